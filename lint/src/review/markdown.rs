//! The review as Markdown, for a pull request comment.

use std::fmt::Write as _;

use super::{EnforcedChange, Review};

fn code(s: &str) -> String {
    format!("`{}`", s.replace('`', "'"))
}

fn quoted(v: &Option<String>) -> String {
    v.as_deref()
        .map_or_else(|| "nothing".to_owned(), |s| format!("\"{s}\""))
}

/// What a setting is called in a review line: its finer key
/// (`PHI-RDS-003 parameter group`), or, for a control with one setting,
/// the control's title rather than its id twice.
fn setting_name(e: &EnforcedChange) -> String {
    match phi_policy::control(&e.setting) {
        Some(c) if e.setting == e.control => c.title.to_owned(),
        _ => e.setting.clone(),
    }
}

fn enforced_line(e: &EnforcedChange, restore: bool) -> String {
    if restore {
        format!(
            "{}: AWS reports {}; apply sets {}",
            setting_name(e),
            quoted(&e.before),
            quoted(&e.after)
        )
    } else {
        format!(
            "{}: {} → {}",
            setting_name(e),
            quoted(&e.before),
            quoted(&e.after)
        )
    }
}

pub fn render(r: &Review) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "## phi-guard plan review\n");
    let _ = writeln!(out, "**{}**\n", r.verdict.summary);
    let mut about = Vec::new();
    if let Some(v) = &r.terraform_version {
        about.push(format!("Terraform {v}"));
    }
    if let Some(v) = &r.format_version {
        about.push(format!("plan format {v}"));
    }
    if let Some(t) = &r.timestamp {
        about.push(format!("planned {t}"));
    }
    about.push(format!("policy: {}", r.policy));
    let _ = writeln!(out, "{}.\n", about.join(", "));

    let _ = writeln!(out, "### PHI resources ({})\n", r.phi_changes.len());
    if r.phi_changes.is_empty() {
        let _ = writeln!(
            out,
            "The plan creates, changes or destroys no `phi_*` resource.\n"
        );
    }
    for c in &r.phi_changes {
        let controls: Vec<String> = c.controls().into_iter().collect();
        let _ = writeln!(
            out,
            "- {} **{}**{}",
            code(&c.address),
            c.action,
            if controls.is_empty() {
                String::new()
            } else {
                format!(" — touches {}", controls.join(", "))
            }
        );
        if c.action == "delete" {
            let _ = writeln!(
                out,
                "  - destroyed: the PHI it holds goes with it unless a final snapshot or \
                 retained versions keep it"
            );
        }
        if !c.replace_paths.is_empty() {
            let _ = writeln!(
                out,
                "  - replaced because of: {}",
                c.replace_paths
                    .iter()
                    .map(|p| code(p))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        for a in &c.changes {
            let controls = if a.controls.is_empty() {
                "no control".to_owned()
            } else {
                a.controls.join(", ")
            };
            let _ = writeln!(out, "  - {}, {controls}", a.description);
        }
        for e in &c.restored {
            let _ = writeln!(
                out,
                "  - restored (drift): {}, {}",
                enforced_line(e, true),
                e.control
            );
        }
        for e in &c.follows {
            let _ = writeln!(
                out,
                "  - follows: {}, {}",
                enforced_line(e, false),
                e.control
            );
        }
    }
    if !r.phi_changes.is_empty() {
        out.push('\n');
    }

    if !r.raw_resources.is_empty() {
        let _ = writeln!(out, "### Raw AWS resources ({})\n", r.raw_resources.len());
        for raw in &r.raw_resources {
            let _ = writeln!(
                out,
                "- {} **{}**{}",
                code(&raw.address),
                raw.actions.join(", "),
                if raw.forbidden {
                    " — forbidden by the policy for PHI"
                } else {
                    ""
                }
            );
            for (k, v) in &raw.settings {
                let _ = writeln!(out, "  - {k} = {}", code(v));
            }
        }
        out.push('\n');
    }

    let _ = writeln!(out, "### Findings ({})\n", r.findings.len());
    if r.findings.is_empty() {
        let _ = writeln!(out, "None.\n");
    } else {
        for f in &r.findings {
            let _ = writeln!(
                out,
                "- **{}** ({}) {}: {}",
                f.control,
                f.severity,
                code(&f.address),
                f.message
            );
        }
        out.push('\n');
    }

    if !r.exceptions.is_empty() {
        let _ = writeln!(out, "### Exceptions ({})\n", r.exceptions.len());
        for e in &r.exceptions {
            let when = if e.expired {
                format!("**expired** on {}", e.expires)
            } else {
                format!("expires {} ({} days left)", e.expires, e.days_left)
            };
            let _ = writeln!(
                out,
                "- {} waived for {} by exception {} — owner {}, reason: {}; {when}",
                e.control,
                code(&e.address),
                code(&e.scope),
                e.owner,
                e.reason
            );
        }
        out.push('\n');
    }
    for n in &r.notes {
        let _ = writeln!(out, "> {n}\n");
    }
    out
}
