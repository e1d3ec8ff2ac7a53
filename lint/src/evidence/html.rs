//! The evidence report as one self-contained HTML page an auditor can open
//! and print: inline styles only, no script, no external asset. Summary
//! tables per control and per resource come first, failing rows first.

use std::fmt::Write as _;

use super::{Evidence, Status};

/// HTML-escapes text for element content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn badge(s: Status) -> String {
    format!(
        "<span class=\"st {}\">{}</span>",
        match s {
            Status::Fail => "fail",
            Status::Waived => "waived",
            Status::NotAssessed => "na",
            Status::Pass => "pass",
        },
        s.word()
    )
}

const STYLE: &str = "body{font:14px/1.4 system-ui,-apple-system,'Segoe UI',sans-serif;color:#111;margin:2em;max-width:75em}\
h1{font-size:1.6em;margin:0 0 .3em}h2{font-size:1.25em;margin-top:1.6em;border-bottom:2px solid #333}\
h3{font-size:1.05em;margin-top:1.3em}table{border-collapse:collapse;width:100%;margin:.5em 0}\
th,td{border:1px solid #999;padding:4px 6px;text-align:left;vertical-align:top}th{background:#e8e8e8}\
td.n{text-align:right}td>code{white-space:nowrap}code{font-family:ui-monospace,monospace;font-size:.92em}\
.st{display:inline-block;white-space:nowrap;padding:1px 7px;border-radius:3px;font-weight:600}\
.fail{background:#c62828;color:#fff}.waived{background:#f9a825;color:#000}.na{background:#bbb;color:#000}\
.pass{background:#2e7d32;color:#fff}dl{display:grid;grid-template-columns:max-content auto;gap:2px 12px}\
dt{font-weight:600}dd{margin:0}.small{font-size:.9em;color:#333}\
@media print{body{margin:0;max-width:none}h2,h3{break-after:avoid}tr{break-inside:avoid}\
.st{border:1px solid #000}}";

pub fn render(e: &Evidence) -> String {
    let mut o = String::new();
    let _ = write!(
        o,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>phi-guard evidence report</title><style>{STYLE}</style></head><body>\n"
    );
    let _ = writeln!(
        o,
        "<h1>phi-guard evidence report</h1><p>Overall: {}</p>",
        badge(e.status)
    );
    let _ = writeln!(
        o,
        "<dl><dt>State</dt><dd><code>{}</code> — Terraform {}, format {}</dd>\
         <dt>State written</dt><dd>{}</dd>\
         <dt>Policy</dt><dd>{} — {} exception(s)</dd>\
         <dt>Policy file sha256</dt><dd><code>{}</code></dd>\
         <dt>Policy fingerprint</dt><dd><code>{}</code></dd>\
         <dt>Generated</dt><dd>{} by phi-lint {}, from the file alone (no AWS call)</dd></dl>",
        escape(&e.state.file),
        escape(e.state.terraform_version.as_deref().unwrap_or("unknown")),
        escape(e.state.format_version.as_deref().unwrap_or("unknown")),
        escape(e.state.modified.as_deref().unwrap_or("unknown")),
        escape(&e.policy.source),
        e.policy.exceptions,
        escape(
            e.policy
                .file_sha256
                .as_deref()
                .unwrap_or("n/a (built-in baseline)")
        ),
        escape(&e.policy.fingerprint),
        escape(&e.generated),
        escape(e.phi_lint_version)
    );
    let _ = writeln!(
        o,
        "<h2>Controls</h2><table id=\"controls\"><thead><tr><th>Control</th><th>Title</th>\
         <th>Status</th><th>Pass</th><th>Fail</th><th>Waived</th><th>Not assessed</th>\
         <th>HIPAA</th><th>GDPR</th></tr></thead><tbody>"
    );
    for c in &e.controls {
        let _ = writeln!(
            o,
            "<tr data-control=\"{}\"><td><code>{}</code></td><td>{}</td><td>{}</td>\
             <td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>\
             <td class=\"n\">{}</td><td>{}</td><td>{}</td></tr>",
            c.id,
            c.id,
            escape(c.title),
            badge(c.status),
            c.pass,
            c.fail,
            c.waived,
            c.not_assessed,
            escape(&c.hipaa.join(", ")),
            escape(&c.gdpr.join(", "))
        );
    }
    let _ = writeln!(o, "</tbody></table>");
    let _ = writeln!(
        o,
        "<h2>Resources</h2><table id=\"resources\"><thead><tr><th>Resource</th><th>Type</th>\
         <th>Name</th><th>Region</th><th>Status</th><th>Failing controls</th></tr></thead><tbody>"
    );
    for r in &e.resources {
        let failing: Vec<&str> = r
            .controls
            .iter()
            .filter(|c| c.status == Status::Fail)
            .map(|c| c.id)
            .collect();
        let _ = writeln!(
            o,
            "<tr data-resource=\"{}\"><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td>\
             <td>{}</td><td>{}</td></tr>",
            escape(&r.address),
            escape(&r.address),
            escape(&r.resource_type),
            escape(r.name.as_deref().unwrap_or("")),
            escape(
                &r.region
                    .as_ref()
                    .map(|reg| format!("{reg} (from {})", r.region_source.unwrap_or("?")))
                    .unwrap_or_default()
            ),
            badge(r.status),
            escape(&failing.join(", "))
        );
    }
    let _ = writeln!(o, "</tbody></table>");
    for r in &e.resources {
        let _ = writeln!(
            o,
            "<h3><code>{}</code> {}</h3><table class=\"detail\"><thead><tr><th>Control</th>\
             <th>Status</th><th>What AWS reported / the state records</th><th>Basis</th>\
             </tr></thead><tbody>",
            escape(&r.address),
            badge(r.status)
        );
        for c in &r.controls {
            let mut what = String::new();
            for p in &c.reported {
                let _ = write!(
                    what,
                    "<div>{}: <code>{}</code>{}</div>",
                    escape(&p.setting),
                    escape(&p.value),
                    p.expected
                        .as_deref()
                        .map(|x| format!(" — required: <code>{}</code>", escape(x)))
                        .unwrap_or_default()
                );
            }
            for a in &c.configured {
                let _ = write!(
                    what,
                    "<div><code>{} = {}</code></div>",
                    escape(&a.attribute),
                    escape(&a.value)
                );
            }
            for v in &c.violations {
                let _ = write!(what, "<div>{}</div>", escape(v));
            }
            for x in &c.exceptions {
                let _ = write!(
                    what,
                    "<div>exception <code>{}</code>, owner {}, reason: {}; {} {}</div>",
                    escape(&x.scope),
                    escape(&x.owner),
                    escape(&x.reason),
                    if x.active { "valid through" } else { "expired" },
                    escape(&x.expires)
                );
            }
            let _ = writeln!(
                o,
                "<tr><td><code>{}</code> {}<div class=\"small\">HIPAA {} · GDPR {}</div></td>\
                 <td>{}</td><td>{}</td><td class=\"small\">{}</td></tr>",
                c.id,
                escape(c.title),
                escape(&c.hipaa.join(", ")),
                escape(&c.gdpr.join(", ")),
                badge(c.status),
                what,
                escape(&c.basis)
            );
        }
        let _ = writeln!(o, "</tbody></table>");
    }
    let _ = writeln!(o, "</body></html>");
    o
}
