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
    render_with(findings, colour, &super::Summary::default())
}

/// The caret's indent: the line's own characters before the column, tabs
/// kept as tabs (so the caret lines up however wide a terminal draws a tab),
/// everything else as a space.
fn caret_indent(line: &str, column: u32) -> String {
    line.chars()
        .take(column.saturating_sub(1) as usize)
        .map(|c| if c == '\t' { '\t' } else { ' ' })
        .collect()
}

/// [`render`], with the summary's excluded paths and stale baseline entries
/// listed after the findings.
pub fn render_with(findings: &[Finding], colour: bool, summary: &super::Summary) -> String {
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
                caret_indent(line, f.column),
                style.paint(severity_colour(f.severity), "^")
            ));
        }
        out.push('\n');
    }
    for p in &summary.excluded {
        out.push_str(&format!("excluded by --exclude: {}\n", p.display()));
    }
    for e in &summary.stale {
        out.push_str(&format!(
            "stale baseline entry (no longer found; remove it): {} {} {} {}\n",
            e.control, e.file, e.address, e.attribute
        ));
    }
    let baselined = findings
        .iter()
        .filter(|f| crate::baseline::is_baselined(f))
        .count();
    let waived = findings.len() - active.len() - baselined;
    let excepted = active.iter().filter(|f| f.waived.is_some()).count();
    let mut line = match active.len() - excepted {
        0 => "No findings".to_owned(),
        1 => "1 finding".to_owned(),
        n => format!("{n} findings"),
    };
    if waived > 0 {
        line.push_str(&format!(" ({waived} suppressed inline)"));
    }
    if excepted > 0 {
        line.push_str(&format!(
            "; {excepted} waived by policy exceptions (warnings)"
        ));
    }
    if baselined > 0 {
        line.push_str(&format!(" ({baselined} in the baseline)"));
    }
    if !summary.excluded.is_empty() {
        line.push_str(&format!(" ({} paths excluded)", summary.excluded.len()));
    }
    if !summary.stale.is_empty() {
        line.push_str(&format!(
            " ({} stale baseline entries)",
            summary.stale.len()
        ));
    }
    out.push_str(&line);
    out.push_str(".\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_caret_keeps_the_lines_tabs() {
        assert_eq!(caret_indent("\t\tregion = \"x\"", 12), "\t\t         ");
        assert_eq!(caret_indent("  a = 1", 3), "  ");
    }
}
