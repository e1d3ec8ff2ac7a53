//! Renders a resource's schema as the "Schema" section of its docs page, in
//! the layout `tfplugindocs` writes for the Terraform registry (Required /
//! Optional / Read-Only, each attribute with its type, nested blocks below),
//! so the page is generated from the same declarations Terraform receives.
//! `provider/tests/schema_docs.rs` fails when a page is out of date and
//! rewrites it with `UPDATE_SCHEMA_DOCS=1`.

use crate::schema::{AttrType, Attribute, Mode, Schema};

/// The line that opens the generated section of a page.
pub const BEGIN: &str = "<!-- schema generated from the provider's schema: do not edit by hand -->";
/// The line that closes it.
pub const END: &str = "<!-- end of generated schema -->";

fn type_name(ty: AttrType) -> &'static str {
    match ty {
        AttrType::String => "String",
        AttrType::Number => "Number",
        AttrType::Bool => "Boolean",
        AttrType::MapOfString => "Map of String",
        AttrType::SetOfString => "Set of String",
        AttrType::TimeoutsBlock(_) => "Block",
    }
}

/// Descriptions are Markdown on one logical line; the source wraps them.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn item(a: &Attribute) -> String {
    match a.ty {
        AttrType::TimeoutsBlock(_) => format!(
            "- `{}` (Block, Optional) {} (see [below for nested schema](#nestedblock--{}))",
            a.name,
            one_line(a.description),
            a.name
        ),
        ty => {
            let sensitive = if a.sensitive { ", Sensitive" } else { "" };
            format!(
                "- `{}` ({}{sensitive}) {}",
                a.name,
                type_name(ty),
                one_line(a.description)
            )
        }
    }
}

/// The generated section, from [`BEGIN`] to [`END`] inclusive.
pub fn render(schema: &Schema) -> String {
    let mut out = vec![BEGIN.to_owned(), "## Schema".to_owned()];
    let groups: [(&str, &dyn Fn(Mode) -> bool); 3] = [
        ("Required", &|m| m == Mode::Required),
        ("Optional", &|m| {
            matches!(m, Mode::Optional | Mode::OptionalComputed)
        }),
        ("Read-Only", &|m| m == Mode::Computed),
    ];
    for (title, wanted) in groups {
        let mut items: Vec<&Attribute> = schema
            .attributes
            .iter()
            .filter(|a| wanted(a.mode))
            .collect();
        if items.is_empty() {
            continue;
        }
        items.sort_by_key(|a| a.name);
        out.push(String::new());
        out.push(format!("### {title}"));
        out.push(String::new());
        out.extend(items.into_iter().map(item));
    }
    for a in &schema.attributes {
        if let AttrType::TimeoutsBlock(operations) = a.ty {
            out.push(String::new());
            out.push(format!("<a id=\"nestedblock--{}\"></a>", a.name));
            out.push(format!("### Nested Schema for `{}`", a.name));
            out.push(String::new());
            out.push("Optional:".to_owned());
            out.push(String::new());
            out.extend(operations.iter().map(|op| {
                format!(
                    "- `{op}` (String) How long `{op}` may wait, in Terraform's duration syntax \
                     (`\"45m\"`, `\"1h30m\"`, `\"1.5h\"`)."
                )
            }));
        }
    }
    out.push(END.to_owned());
    out.join("\n") + "\n"
}

/// `page` with its generated section replaced by `section` (appended, after
/// a blank line, when the page has none yet).
pub fn splice(page: &str, section: &str) -> String {
    match (page.find(BEGIN), page.find(END)) {
        (Some(start), Some(end)) if end > start => {
            let after = &page[end + END.len()..];
            let after = after.strip_prefix('\n').unwrap_or(after);
            format!("{}{section}{after}", &page[..start])
        }
        _ => format!(
            "{}\n{section}",
            page.trim_end_matches('\n').to_owned() + "\n"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attributes_are_grouped_like_tfplugindocs_with_types() {
        let schema = Schema {
            version: 1,
            description: "x",
            attributes: vec![
                Attribute::new("name", AttrType::String, Mode::Required, "The name."),
                Attribute::new("tags", AttrType::MapOfString, Mode::Optional, "Tags."),
                Attribute::new("multi_az", AttrType::Bool, Mode::OptionalComputed, "M."),
                Attribute::new("arn", AttrType::String, Mode::Computed, "The\n   ARN."),
                Attribute::new(
                    "timeouts",
                    AttrType::TimeoutsBlock(&["create"]),
                    Mode::Optional,
                    "Waits.",
                ),
            ],
        };
        let text = render(&schema);
        let want = [
            "### Required\n\n- `name` (String) The name.",
            "### Optional\n\n- `multi_az` (Boolean) M.\n- `tags` (Map of String) Tags.\n- `timeouts` (Block, Optional) Waits.",
            "### Read-Only\n\n- `arn` (String) The ARN.",
            "### Nested Schema for `timeouts`\n\nOptional:\n\n- `create` (String)",
        ];
        for w in want {
            assert!(text.contains(w), "{w:?} not in:\n{text}");
        }
    }

    #[test]
    fn splicing_replaces_only_the_generated_section() {
        let page = format!("# Title\n\nProse.\n\n{BEGIN}\nold\n{END}\nAfter.\n");
        let spliced = splice(&page, &format!("{BEGIN}\nnew\n{END}\n"));
        assert_eq!(
            spliced,
            format!("# Title\n\nProse.\n\n{BEGIN}\nnew\n{END}\nAfter.\n")
        );
        let fresh = splice("# Title\n", &format!("{BEGIN}\nnew\n{END}\n"));
        assert_eq!(fresh, format!("# Title\n\n{BEGIN}\nnew\n{END}\n"));
    }
}
