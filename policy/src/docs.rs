//! One Markdown page per control, generated from the catalogue so the docs
//! can never drift from what the programs enforce (a test compares them).

use crate::catalogue::{Control, Enforcement};

/// Where the control pages are published, so a refusal can link to one
/// from any machine (a checkout path means nothing in a CI log).
pub const PUBLISHED_CONTROLS: &str =
    "https://github.com/phi-guard/phi-guard/blob/main/docs/controls";

/// The published page of control `id`.
pub fn control_url(id: &str) -> String {
    format!("{PUBLISHED_CONTROLS}/{id}.md")
}

const GENERATED_BANNER: &str = "<!-- Generated from policy/src/catalogue.rs by `cargo run -p phi-policy --bin gen-control-docs`. Do not edit. -->\n";

/// The committed page for one control: the generator's banner and the
/// [`control_page_body`].
pub fn render_control_page(c: &Control) -> String {
    format!("{GENERATED_BANNER}{}", control_page_body(c))
}

/// The Markdown page for one control: title, severity, why, how to fix,
/// regulation references, where and how it is enforced, the tests that prove
/// it, and exceptions. Without the banner: `phi-lint explain` prints this.
pub fn control_page_body(c: &Control) -> String {
    let mut refs = Vec::new();
    refs.extend(c.hipaa.iter().map(|s| format!("- HIPAA 45 CFR {s}")));
    refs.extend(c.gdpr.iter().map(|s| format!("- GDPR {s}")));
    let resources: Vec<String> = c
        .resources
        .iter()
        .map(|r| format!("[`{r}`](../resources/{}.md)", r.trim_start_matches("phi_")))
        .collect();
    format!(
        "# {id}: {title}\n\n\
         **Severity:** {severity}\n\n\
         ## Why it matters\n\n{rationale}\n\n\
         ## How to fix\n\n{remediation}\n\n\
         ## Regulation\n\n{refs}\n\n\
         ## Enforced by\n\n{resources}: {enforcement}.\n\n{lint}\n\n\
         ## Proven by\n\n{proofs}\n\n\
         ## Exceptions\n\n{exceptions}",
        id = c.id,
        title = c.title,
        severity = c.severity,
        rationale = c.rationale,
        remediation = c.remediation,
        refs = refs.join("\n"),
        resources = resources.join(", "),
        enforcement = c.enforcement,
        exceptions = exceptions_section(c),
        lint = lint_line(c),
        proofs = proofs_section(c),
    )
}

/// The tests the ledger names for the control (`policy/src/ledger.rs`), so
/// a reader can check the evidence; CI fails when one does not exist.
fn proofs_section(c: &Control) -> String {
    let proofs = crate::ledger::proofs(c.id);
    if proofs.is_empty() {
        return "No test is recorded for this control yet.".to_owned();
    }
    proofs
        .iter()
        .map(|p| format!("- `{}` in `{}`", p.test, p.file))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Which phi-lint rule covers the control, so a reader knows whether CI
/// catches it before anyone plans.
fn lint_line(c: &Control) -> String {
    if c.enforcement == Enforcement::Lint {
        format!("`phi-lint`: rule {} (`phi-lint explain {}`).", c.id, c.id)
    } else if c.id == crate::catalogue::ids::KMS_ROTATION {
        format!(
            "`phi-lint`: a `phi_kms_key`'s `rotation_period_days` against the policy maximum, on \
             the Terraform source, reported as {} at the offending line; the rotation of a key \
             given by ARN is a fact of the AWS key, which only the provider checks, at plan.",
            c.id
        )
    } else if crate::catalogue::LINTED.contains(&c.id) {
        format!(
            "`phi-lint`: the same check on the Terraform source, before any plan, reported as \
             {} at the offending line; a value it cannot resolve statically is reported as \
             PHI-LNT-001 instead, never passed.",
            c.id
        )
    } else if matches!(
        c.enforcement,
        Enforcement::AlwaysOn | Enforcement::AtCreation
    ) {
        "`phi-lint`: nothing to check, the setting is not configurable; a raw AWS resource that \
         would bypass it is refused as PHI-LNT-003."
            .to_owned()
    } else {
        "`phi-lint`: not decidable from the source alone; the provider checks it at plan."
            .to_owned()
    }
}

/// What an exception can do for this control. Only configurable controls
/// can be waived: an always-on control has no setting an exception could
/// relax, and the exception rule cannot waive itself.
fn exceptions_section(c: &Control) -> String {
    match c.enforcement {
        Enforcement::AlwaysOn | Enforcement::AtCreation => {
            "None: the provider sets this itself and offers no setting to \
             turn it off, so there is nothing an exception could waive.\n"
                .to_owned()
        }
        Enforcement::Policy => "None: this control is about exceptions themselves and cannot be \
             waived.\n"
            .to_owned(),
        Enforcement::DeletionGuard => "None needed: deleting on purpose is done by setting \
             `deletion_protection = false` in a reviewed apply first; an exception would only \
             hide that step.\n"
            .to_owned(),
        _ => format!(
            "If the organisation accepts the risk, record it in the policy file, never in \
             Terraform code:\n\n\
             ```hcl\nexception \"{id}\" {{\n  scope   = \"<resource type>.<name pattern>\"\n  owner   = \"<accountable person or team>\"\n  reason  = \"<why, with a ticket reference>\"\n  expires = \"<YYYY-MM-DD>\"\n}}\n```\n\n\
             `scope` is a resource type and a glob (`*`, `?`) over the AWS name, e.g. \
             `phi_audit_log_sink.acme-dev-*`. The exception is valid through its `expires` day. \
             A waived violation still appears as a warning in every plan; an expired exception \
             waives nothing and is reported as PHI-EXC-001.\n",
            id = c.id
        ),
    }
}

/// The index page: one table row per control.
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{control, ids};

    #[test]
    fn page_has_every_section() {
        let page = render_control_page(control(ids::LOG_RETENTION).unwrap());
        for needle in [
            "# PHI-LOG-001: Audit retention",
            "**Severity:** high",
            "## Why it matters",
            "## How to fix",
            "- HIPAA 45 CFR 164.316(b)(2)(i)",
            "- GDPR Art. 5(1)(e)",
            "[`phi_audit_log_sink`](../resources/audit_log_sink.md)",
            "exception \"PHI-LOG-001\"",
            "## Proven by",
            "- `retention_above_max_or_not_cloudwatch_is_refused` in `policy/src/checks/audit_log_sink.rs`",
        ] {
            assert!(page.contains(needle), "missing {needle:?} in\n{page}");
        }
    }

    #[test]
    fn pages_say_whether_phi_lint_catches_the_control() {
        let page = |id| render_control_page(control(id).unwrap());
        assert!(page(ids::RDS_NOT_PUBLIC).contains("the same check on the Terraform source"));
        assert!(page(ids::KMS_ENABLED).contains("not decidable from the source alone"));
        assert!(page(ids::LINT_RAW_RESOURCE).contains("rule PHI-LNT-003"));
        assert!(page(ids::S3_VERSIONING).contains("nothing to check"));
    }

    #[test]
    fn the_page_body_has_no_generator_banner() {
        let c = control(ids::LOG_RETENTION).unwrap();
        assert!(control_page_body(c).starts_with("# PHI-LOG-001: "));
        assert!(render_control_page(c).starts_with("<!-- Generated"));
    }

    #[test]
    fn always_on_controls_offer_no_exception() {
        let page = render_control_page(control(ids::S3_PUBLIC_ACCESS_BLOCK).unwrap());
        assert!(page.contains("nothing an exception could waive"));
        assert!(!page.contains("```hcl"));
    }

    #[test]
    fn index_lists_every_control() {
        let index = render_index(crate::controls());
        for c in crate::controls() {
            assert!(index.contains(&format!("[{id}]({id}.md)", id = c.id)));
        }
    }
}
