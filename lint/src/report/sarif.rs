//! SARIF 2.1.0 for GitHub code scanning. What GitHub needs (LINTERS.md §2):
//! relative, non-empty URIs; `startLine` >= 1; stable rule ids with a valid
//! `ruleIndex`; `partialFingerprints`; `security-severity` as a *string*;
//! waived findings kept with `suppressions`.

use serde_json::{Value, json};

use crate::finding::Finding;

use super::root_uri;

/// Where the control pages (`docs/controls/<ID>.md`) are published; the
/// rules' `helpUri` points there. Override with `PHI_LINT_DOCS_URL` when the
/// repository lives elsewhere.
pub const DOCS_URL: &str = "https://github.com/phi-guard/phi-guard/blob/main/docs/controls/";

/// The tool's home, SARIF's `informationUri`.
pub const INFORMATION_URI: &str = "https://github.com/phi-guard/phi-guard#linting";

fn docs_url() -> String {
    let base = std::env::var("PHI_LINT_DOCS_URL").unwrap_or_else(|_| DOCS_URL.to_owned());
    if base.ends_with('/') {
        base
    } else {
        format!("{base}/")
    }
}

/// The end of a finding's region: the end of the source line's content (a
/// finding points at a value; its line is the span a reviewer reads), and
/// never before the start.
fn end_column(f: &Finding, sources: &mut std::collections::HashMap<String, Option<String>>) -> u32 {
    let text = sources
        .entry(f.file.clone())
        .or_insert_with(|| std::fs::read_to_string(&f.file).ok());
    let width = text
        .as_deref()
        .and_then(|t| t.lines().nth(f.line as usize - 1))
        .map_or(0, |l| l.trim_end().chars().count() as u32);
    (width + 1).max(f.column.max(1) + 1)
}

/// GitHub maps security-severity to critical (>= 9), high (>= 7), medium
/// (>= 4), low.
fn security_severity(severity: &str) -> &'static str {
    match severity {
        "critical" => "9.5",
        "high" => "8.0",
        "medium" => "5.5",
        _ => "3.0",
    }
}

fn level(severity: &str) -> &'static str {
    match severity {
        "critical" | "high" => "error",
        "medium" | "warning" => "warning",
        _ => "note",
    }
}

/// FNV-1a, 64 bits: stable across runs and platforms (std's hasher is not).
fn fnv1a(s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// The line's content, not its number, so a finding keeps its fingerprint
/// when lines are added above it.
fn fingerprint(
    f: &Finding,
    uri: &str,
    sources: &mut std::collections::HashMap<String, Option<String>>,
) -> String {
    let text = sources
        .entry(f.file.clone())
        .or_insert_with(|| std::fs::read_to_string(&f.file).ok());
    let line = text
        .as_deref()
        .and_then(|t| t.lines().nth(f.line as usize - 1))
        .unwrap_or("")
        .trim();
    format!(
        "{:016x}:1",
        fnv1a(&format!("{}|{uri}|{line}|{}", f.control, f.message))
    )
}

pub fn sarif(findings: &[Finding]) -> String {
    let controls = phi_policy::controls();
    let docs = docs_url();
    let rules: Vec<Value> = controls
        .iter()
        .map(|c| {
            json!({
                "id": c.id,
                "name": c.title,
                "shortDescription": { "text": c.title },
                "helpUri": format!("{docs}{}.md", c.id),
                "fullDescription": { "text": c.rationale },
                "help": {
                    "text": format!("{}\n\nRemediation: {}", c.rationale, c.remediation),
                    "markdown": format!("{}\n\n**Remediation:** {}", c.rationale, c.remediation),
                },
                "defaultConfiguration": { "level": level(&c.severity.to_string()) },
                "properties": {
                    "security-severity": security_severity(&c.severity.to_string()),
                    "tags": ["security", "compliance", "terraform"],
                },
            })
        })
        .collect();
    let mut sources = std::collections::HashMap::new();
    let results: Vec<Value> = findings
        .iter()
        .map(|f| {
            let (uri, under_root) = root_uri(&f.file);
            let index = controls.iter().position(|c| c.id == f.control);
            let mut artifact = json!({ "uri": uri });
            if under_root {
                artifact["uriBaseId"] = json!("%SRCROOT%");
            }
            let end = end_column(f, &mut sources);
            let mut fingerprints = json!({
                "primaryLocationLineHash": fingerprint(f, &uri, &mut sources),
            });
            if f.fingerprint != 0 {
                // The baseline's key: the same finding in both places.
                fingerprints["phiLintFingerprint/v1"] = json!(f.fingerprint_text());
            }
            let mut r = json!({
                "ruleId": f.control,
                "level": level(f.severity),
                "message": { "text": f.message },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": artifact,
                        "region": {
                            "startLine": f.line.max(1),
                            "startColumn": f.column.max(1),
                            "endLine": f.line.max(1),
                            "endColumn": end,
                        },
                    }
                }],
                "partialFingerprints": fingerprints,
            });
            if let Some(i) = index {
                r["ruleIndex"] = json!(i);
            }
            if let Some(w) = &f.waived {
                r["suppressions"] = json!([{
                    "kind": "external",
                    "status": "accepted",
                    "justification": format!(
                        "policy exception {} (owner {}, reason: {}, valid through {})",
                        w.scope, w.owner, w.reason, w.expires
                    ),
                }]);
            }
            if let Some(w) = &f.suppressed {
                // A baseline waives from outside the source.
                let kind = if w.owner == crate::baseline::OWNER { "external" } else { "inSource" };
                r["suppressions"] = json!([{
                    "kind": kind,
                    "status": "accepted",
                    "justification": format!("{} (owner {}, expires {})", w.reason, w.owner, w.expires),
                }]);
            }
            r
        })
        .collect();
    let doc = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "phi-lint",
                "version": env!("CARGO_PKG_VERSION"),
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "informationUri": INFORMATION_URI,
                "rules": rules,
            }},
            "originalUriBaseIds": {
                "%SRCROOT%": {
                    "uri": format!("file://{}/", super::encode(&super::source_root().to_string_lossy())),
                },
            },
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    });
    serde_json::to_string_pretty(&doc).unwrap_or_default()
}
