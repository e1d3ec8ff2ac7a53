//! JUnit XML: one test case per active finding (a failure), or one passing
//! case when there is none, so CI dashboards show the run either way.

use crate::finding::Finding;

fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\t' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

pub fn junit(findings: &[Finding]) -> String {
    let active: Vec<&Finding> = findings.iter().filter(|f| f.fails()).collect();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let tests = active.len().max(1);
    out.push_str(&format!(
        "<testsuites name=\"phi-lint\" tests=\"{tests}\" failures=\"{}\">\n  <testsuite name=\"phi-lint\" tests=\"{tests}\" failures=\"{}\">\n",
        active.len(),
        active.len()
    ));
    if active.is_empty() {
        out.push_str("    <testcase classname=\"phi-lint\" name=\"no findings\"/>\n");
    }
    for f in &active {
        let title = phi_policy::control(f.control).map_or("", |c| c.title);
        out.push_str(&format!(
            "    <testcase classname=\"{}\" name=\"{} {}:{}:{}\">\n      <failure type=\"{}\" message=\"{}\">{}:{}:{}: {} [{}] {}</failure>\n    </testcase>\n",
            xml(&f.file),
            xml(f.control),
            xml(&f.file),
            f.line,
            f.column,
            xml(f.severity),
            xml(title),
            xml(&f.file),
            f.line,
            f.column,
            xml(f.severity),
            xml(f.control),
            xml(&f.message)
        ));
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}
