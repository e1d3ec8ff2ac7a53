//! The default, human output: `file:line:col: severity[ID] title`, the
//! message, and the source line with a caret under the column. Colour only
//! when asked (the CLI asks when stdout is a terminal).

use std::collections::HashMap;

use crate::finding::Finding;

struct Style {
    on: bool,
}

impl Style {
    fn paint(&self, code: &str, s: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_owned()
        }
    }
}

fn severity_colour(severity: &str) -> &'static str {
    match severity {
        "critical" | "high" => "1;31",
        "medium" => "1;33",
        _ => "1;36",
    }
}

/// Active findings only; waived ones are counted in the summary line.
pub fn text(findings: &[Finding]) -> String {
    render(findings, false)
}

pub fn render(findings: &[Finding], colour: bool) -> String {
    let style = Style { on: colour };
    let mut sources: HashMap<&str, Option<String>> = HashMap::new();
    let mut out = String::new();
    let active: Vec<&Finding> = findings.iter().filter(|f| f.suppressed.is_none()).collect();
    for f in &active {
        let title = phi_policy::control(f.control).map_or("", |c| c.title);
        out.push_str(&format!(
            "{}: {} {}\n  {}\n",
            style.paint("1", &format!("{}:{}:{}", f.file, f.line, f.column)),
            style.paint(
                severity_colour(f.severity),
                &format!("{}[{}]", f.severity, f.control)
            ),
            title,
            f.message
        ));
        if !f.modules.is_empty() {
            out.push_str(&format!("  in {}\n", f.modules.join(", ")));
        }
        let source = sources
            .entry(f.file.as_str())
            .or_insert_with(|| std::fs::read_to_string(&f.file).ok());
        if let Some(line) = source
            .as_deref()
            .and_then(|s| s.lines().nth(f.line as usize - 1))
        {
            let gutter = f.line.to_string();
            let pad = " ".repeat(gutter.len());
            out.push_str(&format!(
                "  {} {line}\n",
                style.paint("34", &format!("{gutter} |"))
            ));
            out.push_str(&format!(
                "  {} {}{}\n",
                style.paint("34", &format!("{pad} |")),
                " ".repeat(f.column.saturating_sub(1) as usize),
                style.paint(severity_colour(f.severity), "^")
            ));
        }
        out.push('\n');
    }
    let waived = findings.len() - active.len();
    let excepted = active.iter().filter(|f| f.waived.is_some()).count();
    let mut summary = match active.len() - excepted {
        0 => "No findings".to_owned(),
        1 => "1 finding".to_owned(),
        n => format!("{n} findings"),
    };
    if waived > 0 {
        summary.push_str(&format!(" ({waived} suppressed inline)"));
    }
    if excepted > 0 {
        summary.push_str(&format!(
            "; {excepted} waived by policy exceptions (warnings)"
        ));
    }
    out.push_str(&summary);
    out.push_str(".\n");
    out
}
