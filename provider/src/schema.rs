//! Resource and provider schemas, declared once and rendered to the protocol.
//!
//! Every attribute carries a description, so `terraform providers schema -json`
//! documents the whole contract, and the same declarations drive state
//! decoding (which attributes exist) in [`crate::resources`].

use crate::proto::tfplugin6 as pb;

/// The cty type of an attribute, as Terraform spells it in JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttrType {
    String,
    Number,
    Bool,
    MapOfString,
    SetOfString,
    /// Not an attribute: a `timeouts { ... }` block (nesting single) whose
    /// optional string attributes are the operations listed, as every AWS
    /// resource takes it. Declared among the attributes so that state
    /// decoding and conforming treat it like any other top-level value.
    TimeoutsBlock(&'static [&'static str]),
}

impl AttrType {
    fn cty_json(self) -> &'static [u8] {
        match self {
            AttrType::String => br#""string""#,
            AttrType::Number => br#""number""#,
            AttrType::Bool => br#""bool""#,
            AttrType::MapOfString => br#"["map","string"]"#,
            AttrType::SetOfString => br#"["set","string"]"#,
            // Rendered as a block, never as an attribute type; an object of
            // strings is what its value is.
            AttrType::TimeoutsBlock(_) => br#"["object",{}]"#,
        }
    }
}

/// Who sets an attribute: the user, the provider, or the user with a provider
/// default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Required,
    Optional,
    /// Optional, with a default the provider fills in at plan time.
    OptionalComputed,
    Computed,
}

#[derive(Debug, Clone)]
pub struct Attribute {
    pub name: &'static str,
    pub ty: AttrType,
    pub mode: Mode,
    pub description: &'static str,
    pub sensitive: bool,
}

impl Attribute {
    pub const fn new(
        name: &'static str,
        ty: AttrType,
        mode: Mode,
        description: &'static str,
    ) -> Self {
        Attribute {
            name,
            ty,
            mode,
            description,
            sensitive: false,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Schema {
    pub version: i64,
    pub description: &'static str,
    pub attributes: Vec<Attribute>,
}

impl Schema {
    pub fn to_proto(&self) -> pb::Schema {
        pb::Schema {
            version: self.version,
            block: Some(pb::schema::Block {
                version: self.version,
                description: self.description.to_owned(),
                description_kind: pb::StringKind::Markdown as i32,
                attributes: self
                    .attributes
                    .iter()
                    .filter(|a| !matches!(a.ty, AttrType::TimeoutsBlock(_)))
                    .map(|a| pb::schema::Attribute {
                        name: a.name.to_owned(),
                        r#type: a.ty.cty_json().to_vec(),
                        description: a.description.to_owned(),
                        description_kind: pb::StringKind::Markdown as i32,
                        required: a.mode == Mode::Required,
                        optional: matches!(a.mode, Mode::Optional | Mode::OptionalComputed),
                        computed: matches!(a.mode, Mode::Computed | Mode::OptionalComputed),
                        sensitive: a.sensitive,
                        ..Default::default()
                    })
                    .collect(),
                block_types: self
                    .attributes
                    .iter()
                    .filter_map(|a| match a.ty {
                        AttrType::TimeoutsBlock(operations) => {
                            Some(timeouts_block(a.name, a.description, operations))
                        }
                        _ => None,
                    })
                    .collect(),
                ..Default::default()
            }),
        }
    }

    pub fn attribute(&self, name: &str) -> Option<&Attribute> {
        self.attributes.iter().find(|a| a.name == name)
    }
}

/// A `timeouts` block: nesting single (at most one, null when absent), one
/// optional string per operation.
fn timeouts_block(
    name: &str,
    description: &str,
    operations: &[&'static str],
) -> pb::schema::NestedBlock {
    pb::schema::NestedBlock {
        type_name: name.to_owned(),
        nesting: pb::schema::nested_block::NestingMode::Single as i32,
        block: Some(pb::schema::Block {
            description: description.to_owned(),
            description_kind: pb::StringKind::Markdown as i32,
            attributes: operations
                .iter()
                .map(|op| pb::schema::Attribute {
                    name: (*op).to_owned(),
                    r#type: AttrType::String.cty_json().to_vec(),
                    description: format!(
                        "How long `{op}` may wait, in Terraform's duration syntax \
                         (`\"45m\"`, `\"1h30m\"`, `\"1.5h\"`)."
                    ),
                    description_kind: pb::StringKind::Markdown as i32,
                    optional: true,
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        }),
        ..Default::default()
    }
}
