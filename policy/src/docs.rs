//! One Markdown page per control, generated from the catalogue so the docs
//! can never drift from what the programs enforce (a test compares them).

use crate::catalogue::Control;

pub fn render_control_page(c: &Control) -> String {
    let mut refs = Vec::new();
    refs.extend(c.hipaa.iter().map(|s| format!("- HIPAA 45 CFR {s}")));
    refs.extend(c.gdpr.iter().map(|s| format!("- GDPR {s}")));
    let resources: Vec<String> = c
        .resources
        .iter()
        .map(|r| format!("[`{r}`](../resources/{}.md)", r.trim_start_matches("phi_")))
        .collect();
    format!(
        "<!-- Generated from policy/src/catalogue.rs by `cargo run -p phi-policy --bin gen-control-docs`. Do not edit. -->\n\
         # {id}: {title}\n\n\
         **Severity:** {severity}\n\n\
         ## Why it matters\n\n{rationale}\n\n\
         ## How to fix\n\n{remediation}\n\n\
         ## Regulation\n\n{refs}\n\n\
         ## Enforced by\n\n{resources}: {enforcement}.\n\n\
         ## Exceptions\n\n\
         If the organisation accepts the risk, record it in the policy file, never in Terraform code:\n\n\
         ```hcl\nexception \"{id}\" {{\n  scope   = \"<resource type>.<name pattern>\"\n  owner   = \"<accountable person or team>\"\n  reason  = \"<why, with a ticket reference>\"\n  expires = \"<YYYY-MM-DD>\"\n}}\n```\n\n\
         A waived violation still appears as a warning in every plan; an expired exception waives nothing.\n",
        id = c.id,
        title = c.title,
        severity = c.severity,
        rationale = c.rationale,
        remediation = c.remediation,
        refs = refs.join("\n"),
        resources = resources.join(", "),
        enforcement = c.enforcement,
    )
}

pub fn render_index(controls: &[Control]) -> String {
    let mut out = String::from(
        "<!-- Generated from policy/src/catalogue.rs by `cargo run -p phi-policy --bin gen-control-docs`. Do not edit. -->\n\
         # Controls\n\n| id | title | severity | resources |\n|---|---|---|---|\n",
    );
    for c in controls {
        out.push_str(&format!(
            "| [{id}]({id}.md) | {} | {} | {} |\n",
            c.title,
            c.severity,
            c.resources.join(", "),
            id = c.id
        ));
    }
    out
}

/// Every generated file: (file name, contents).
pub fn all_pages() -> Vec<(String, String)> {
    let controls = crate::controls();
    let mut pages: Vec<(String, String)> = controls
        .iter()
        .map(|c| (format!("{}.md", c.id), render_control_page(c)))
        .collect();
    pages.push(("README.md".to_owned(), render_index(controls)));
    pages
}
