//! The schemas the stand-in serves: the attributes of hashicorp/aws 5.x that
//! the migration reads, with the real names and types.

use phi_provider::proto::tfplugin6 as pb;
use phi_provider::value::Value;

/// One attribute: name, cty type as JSON, and who sets it.
struct Attr {
    name: &'static str,
    ty: &'static str,
    required: bool,
    optional: bool,
    computed: bool,
    sensitive: bool,
}

const fn required(name: &'static str, ty: &'static str) -> Attr {
    Attr {
        name,
        ty,
        required: true,
        optional: false,
        computed: false,
        sensitive: false,
    }
}

const fn optional(name: &'static str, ty: &'static str) -> Attr {
    Attr {
        name,
        ty,
        required: false,
        optional: true,
        computed: false,
        sensitive: false,
    }
}

const fn optional_computed(name: &'static str, ty: &'static str) -> Attr {
    Attr {
        name,
        ty,
        required: false,
        optional: true,
        computed: true,
        sensitive: false,
    }
}

const fn computed(name: &'static str, ty: &'static str) -> Attr {
    Attr {
        name,
        ty,
        required: false,
        optional: false,
        computed: true,
        sensitive: false,
    }
}

/// A nested block: in list mode (how hashicorp/aws declares most of them),
/// or in single mode (`timeouts`, which the plugin SDK declares so).
struct Block {
    name: &'static str,
    attributes: Vec<Attr>,
    blocks: Vec<Block>,
    max_items: i64,
    single: bool,
}

/// A block in list mode of at most `max_items` (0: unbounded).
fn list_block(
    name: &'static str,
    attributes: Vec<Attr>,
    blocks: Vec<Block>,
    max_items: i64,
) -> Block {
    Block {
        name,
        attributes,
        blocks,
        max_items,
        single: false,
    }
}

/// The `timeouts` block of a plugin-SDK resource, with these operations.
fn timeouts_block(operations: &[&'static str]) -> Block {
    Block {
        name: "timeouts",
        attributes: operations.iter().map(|o| optional(o, STRING)).collect(),
        blocks: vec![],
        max_items: 0,
        single: true,
    }
}

struct Resource {
    attributes: Vec<Attr>,
    blocks: Vec<Block>,
}

const STRING: &str = r#""string""#;
const NUMBER: &str = r#""number""#;
const BOOL: &str = r#""bool""#;
const TAGS: &str = r#"["map","string"]"#;
const STRING_SET: &str = r#"["set","string"]"#;
const SSE_CONFIGURATION: &str = r#"["list",["object",{"rule":["list",["object",{"apply_server_side_encryption_by_default":["list",["object",{"kms_master_key_id":"string","sse_algorithm":"string"}]],"bucket_key_enabled":"bool"}]]}]]"#;
const VERSIONING: &str = r#"["list",["object",{"enabled":"bool","mfa_delete":"bool"}]]"#;
const MASTER_USER_SECRET: &str =
    r#"["list",["object",{"kms_key_id":"string","secret_arn":"string","secret_status":"string"}]]"#;

/// The resource types served.
pub const TYPES: &[&str] = &[
    "aws_s3_bucket",
    "aws_db_instance",
    "aws_s3_bucket_versioning",
    "aws_s3_bucket_server_side_encryption_configuration",
    "aws_s3_bucket_public_access_block",
    "aws_s3_bucket_policy",
    "aws_s3_bucket_ownership_controls",
    "aws_s3_bucket_lifecycle_configuration",
    "aws_s3_bucket_logging",
];

/// hashicorp/aws's schema versions of these types.
pub fn version(type_name: &str) -> i64 {
    if type_name == "aws_db_instance" { 2 } else { 0 }
}

fn resource(type_name: &str) -> Option<Resource> {
    let companion = |attributes: Vec<Attr>, blocks: Vec<Block>| {
        let mut all = vec![computed("id", STRING), required("bucket", STRING)];
        all.extend(attributes);
        Resource {
            attributes: all,
            blocks,
        }
    };
    Some(match type_name {
        "aws_s3_bucket" => Resource {
            attributes: vec![
                computed("id", STRING),
                optional_computed("bucket", STRING),
                computed("arn", STRING),
                optional("force_destroy", BOOL),
                computed("region", STRING),
                optional("tags", TAGS),
                optional_computed("tags_all", TAGS),
                computed("server_side_encryption_configuration", SSE_CONFIGURATION),
                computed("versioning", VERSIONING),
            ],
            blocks: vec![],
        },
        "aws_db_instance" => Resource {
            attributes: vec![
                computed("id", STRING),
                optional_computed("identifier", STRING),
                computed("arn", STRING),
                computed("address", STRING),
                computed("port", NUMBER),
                optional_computed("engine", STRING),
                optional_computed("engine_version", STRING),
                computed("engine_version_actual", STRING),
                required("instance_class", STRING),
                optional_computed("allocated_storage", NUMBER),
                optional_computed("storage_encrypted", BOOL),
                optional_computed("kms_key_id", STRING),
                optional_computed("username", STRING),
                Attr {
                    sensitive: true,
                    ..optional("password", STRING)
                },
                optional("manage_master_user_password", BOOL),
                computed("master_user_secret", MASTER_USER_SECRET),
                optional_computed("backup_retention_period", NUMBER),
                optional_computed("multi_az", BOOL),
                optional_computed("db_subnet_group_name", STRING),
                optional_computed("vpc_security_group_ids", STRING_SET),
                optional("deletion_protection", BOOL),
                optional("publicly_accessible", BOOL),
                optional_computed("parameter_group_name", STRING),
                optional("skip_final_snapshot", BOOL),
                optional("tags", TAGS),
                optional_computed("tags_all", TAGS),
            ],
            blocks: vec![timeouts_block(&["create", "update", "delete"])],
        },
        "aws_s3_bucket_versioning" => companion(
            vec![],
            vec![Block {
                name: "versioning_configuration",
                attributes: vec![
                    required("status", STRING),
                    optional_computed("mfa_delete", STRING),
                ],
                blocks: vec![],
                max_items: 1,
                single: false,
            }],
        ),
        "aws_s3_bucket_server_side_encryption_configuration" => companion(
            vec![],
            vec![Block {
                name: "rule",
                attributes: vec![optional("bucket_key_enabled", BOOL)],
                blocks: vec![Block {
                    name: "apply_server_side_encryption_by_default",
                    attributes: vec![
                        required("sse_algorithm", STRING),
                        optional("kms_master_key_id", STRING),
                    ],
                    blocks: vec![],
                    max_items: 1,
                    single: false,
                }],
                max_items: 0,
                single: false,
            }],
        ),
        "aws_s3_bucket_public_access_block" => companion(
            vec![
                optional("block_public_acls", BOOL),
                optional("block_public_policy", BOOL),
                optional("ignore_public_acls", BOOL),
                optional("restrict_public_buckets", BOOL),
            ],
            vec![],
        ),
        "aws_s3_bucket_policy" => companion(vec![required("policy", STRING)], vec![]),
        "aws_s3_bucket_ownership_controls" => companion(
            vec![],
            vec![list_block(
                "rule",
                vec![required("object_ownership", STRING)],
                vec![],
                1,
            )],
        ),
        "aws_s3_bucket_lifecycle_configuration" => companion(
            vec![optional("expected_bucket_owner", STRING)],
            vec![list_block(
                "rule",
                vec![
                    required("id", STRING),
                    required("status", STRING),
                    optional("prefix", STRING),
                ],
                vec![
                    list_block("filter", vec![optional("prefix", STRING)], vec![], 1),
                    list_block(
                        "expiration",
                        vec![
                            optional("date", STRING),
                            optional("days", NUMBER),
                            optional_computed("expired_object_delete_marker", BOOL),
                        ],
                        vec![],
                        1,
                    ),
                    list_block(
                        "noncurrent_version_expiration",
                        vec![
                            optional("newer_noncurrent_versions", STRING),
                            optional("noncurrent_days", NUMBER),
                        ],
                        vec![],
                        1,
                    ),
                    list_block(
                        "abort_incomplete_multipart_upload",
                        vec![optional("days_after_initiation", NUMBER)],
                        vec![],
                        1,
                    ),
                ],
                0,
            )],
        ),
        "aws_s3_bucket_logging" => companion(
            vec![
                optional("expected_bucket_owner", STRING),
                required("target_bucket", STRING),
                required("target_prefix", STRING),
            ],
            vec![],
        ),
        _ => return None,
    })
}

fn attribute_proto(a: &Attr) -> pb::schema::Attribute {
    pb::schema::Attribute {
        name: a.name.to_owned(),
        r#type: a.ty.as_bytes().to_vec(),
        required: a.required,
        optional: a.optional,
        computed: a.computed,
        sensitive: a.sensitive,
        ..Default::default()
    }
}

fn block_proto(attributes: &[Attr], blocks: &[Block]) -> pb::schema::Block {
    pb::schema::Block {
        attributes: attributes.iter().map(attribute_proto).collect(),
        block_types: blocks
            .iter()
            .map(|b| pb::schema::NestedBlock {
                type_name: b.name.to_owned(),
                block: Some(block_proto(&b.attributes, &b.blocks)),
                nesting: if b.single {
                    pb::schema::nested_block::NestingMode::Single as i32
                } else {
                    pb::schema::nested_block::NestingMode::List as i32
                },
                min_items: 0,
                max_items: b.max_items,
            })
            .collect(),
        ..Default::default()
    }
}

pub fn proto(type_name: &str) -> Option<pb::Schema> {
    let r = resource(type_name)?;
    Some(pb::Schema {
        version: version(type_name),
        block: Some(block_proto(&r.attributes, &r.blocks)),
    })
}

pub fn provider() -> pb::Schema {
    pb::Schema {
        version: 0,
        block: Some(block_proto(&[optional("region", STRING)], &[])),
    }
}

/// `state` with exactly the type's top-level attributes and blocks:
/// missing attributes null, missing blocks empty (null in single mode),
/// others dropped.
pub fn conform(type_name: &str, state: Value) -> Value {
    let (Some(r), Value::Map(mut entries)) = (resource(type_name), state) else {
        return Value::Null;
    };
    let mut out = std::collections::BTreeMap::new();
    for a in &r.attributes {
        out.insert(
            a.name.to_owned(),
            entries.remove(a.name).unwrap_or(Value::Null),
        );
    }
    for b in &r.blocks {
        let value = match entries.remove(b.name) {
            Some(v @ Value::List(_)) if !b.single => v,
            Some(v @ Value::Map(_)) if b.single => v,
            _ if b.single => Value::Null,
            _ => Value::List(Vec::new()),
        };
        out.insert(b.name.to_owned(), value);
    }
    Value::Map(out)
}
