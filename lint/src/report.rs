//! Output formats: readable text with the source line, and JSON.

use std::collections::HashMap;

use crate::finding::Finding;

pub fn json(findings: &[Finding]) -> String {
    let doc = serde_json::json!({
        "version": env!("CARGO_PKG_VERSION"),
        "findings": findings,
    });
    serde_json::to_string_pretty(&doc).unwrap_or_default()
}

/// `file:line:col: severity[ID] title` then the message and the source line
/// with a caret under the column.
pub fn text(findings: &[Finding]) -> String {
    let mut sources: HashMap<&str, Option<String>> = HashMap::new();
    let mut out = String::new();
    for f in findings {
        let title = phi_policy::control(f.control).map_or("", |c| c.title);
        out.push_str(&format!(
            "{}:{}:{}: {}[{}] {}\n  {}\n",
            f.file, f.line, f.column, f.severity, f.control, title, f.message
        ));
        let source = sources
            .entry(f.file.as_str())
            .or_insert_with(|| std::fs::read_to_string(&f.file).ok());
        if let Some(line) = source.as_deref().and_then(|s| s.lines().nth(f.line - 1)) {
            let gutter = f.line.to_string();
            out.push_str(&format!("  {gutter} | {line}\n"));
            out.push_str(&format!(
                "  {} | {}^\n",
                " ".repeat(gutter.len()),
                " ".repeat(f.column.saturating_sub(1))
            ));
        }
        out.push('\n');
    }
    let count = findings.len();
    out.push_str(&match count {
        0 => "No findings.\n".to_owned(),
        1 => "1 finding.\n".to_owned(),
        n => format!("{n} findings.\n"),
    });
    out
}
