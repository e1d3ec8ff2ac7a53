//! The evidence report as Markdown.

use std::fmt::Write as _;

use super::{Evidence, Status};

fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

pub fn render(e: &Evidence) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# phi-guard evidence report\n");
    let _ = writeln!(out, "- Overall: **{}**", e.status.word());
    let _ = writeln!(
        out,
        "- State: `{}` (Terraform {}, format {}), written {}",
        e.state.file,
        e.state.terraform_version.as_deref().unwrap_or("unknown"),
        e.state.format_version.as_deref().unwrap_or("unknown"),
        e.state.modified.as_deref().unwrap_or("at an unknown time")
    );
    let _ = writeln!(
        out,
        "- Policy: {} (file sha256 {}, fingerprint {}, {} exception(s))",
        e.policy.source,
        e.policy.file_sha256.as_deref().unwrap_or("n/a"),
        e.policy.fingerprint,
        e.policy.exceptions
    );
    let _ = writeln!(
        out,
        "- Generated {} by phi-lint {} from the file alone (no AWS call)\n",
        e.generated, e.phi_lint_version
    );

    let _ = writeln!(out, "## Controls\n");
    let _ = writeln!(
        out,
        "| Control | Title | Status | Pass | Fail | Waived | Not assessed | HIPAA | GDPR |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|---|---|---|");
    for c in &e.controls {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            c.id,
            cell(c.title),
            c.status.word(),
            c.pass,
            c.fail,
            c.waived,
            c.not_assessed,
            c.hipaa.join(", "),
            c.gdpr.join(", ")
        );
    }
    let _ = writeln!(out, "\n## Resources\n");
    let _ = writeln!(
        out,
        "| Resource | Type | Name | Region | Status | Failing |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|");
    for r in &e.resources {
        let failing: Vec<&str> = r
            .controls
            .iter()
            .filter(|c| c.status == Status::Fail)
            .map(|c| c.id)
            .collect();
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} | {} | {} |",
            r.address,
            r.resource_type,
            r.name.as_deref().unwrap_or(""),
            &r.region
                .as_ref()
                .map(|reg| format!("{reg} (from {})", r.region_source.unwrap_or("?")))
                .unwrap_or_default(),
            r.status.word(),
            failing.join(", ")
        );
    }
    for r in &e.resources {
        let _ = writeln!(out, "\n### `{}` ({})\n", r.address, r.status.word());
        let _ = writeln!(
            out,
            "| Control | Status | What AWS reported / recorded | Basis |"
        );
        let _ = writeln!(out, "|---|---|---|---|");
        for c in &r.controls {
            let mut what: Vec<String> = c
                .reported
                .iter()
                .map(|p| match &p.expected {
                    Some(x) => format!("{}: {} (required: {})", p.setting, p.value, x),
                    None => format!("{}: {}", p.setting, p.value),
                })
                .collect();
            what.extend(
                c.configured
                    .iter()
                    .map(|a| format!("{} = {}", a.attribute, a.value)),
            );
            what.extend(c.violations.iter().cloned());
            what.extend(c.exceptions.iter().map(|x| {
                format!(
                    "exception {} (owner {}, reason: {}) {} {}",
                    x.scope,
                    x.owner,
                    x.reason,
                    if x.active { "valid through" } else { "expired" },
                    x.expires
                )
            }));
            let _ = writeln!(
                out,
                "| {} {} | {} | {} | {} |",
                c.id,
                cell(c.title),
                c.status.word(),
                cell(&what.join("; ")),
                cell(&c.basis)
            );
        }
    }
    out
}
