//! GitHub Actions workflow commands: one annotation per active finding,
//! shown on the pull request diff. Paths are relative to the repository
//! root (GitHub resolves them there), wherever phi-lint runs.

use crate::finding::Finding;

fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

pub fn github(findings: &[Finding]) -> String {
    let mut out = String::new();
    for f in findings.iter().filter(|f| f.suppressed.is_none()) {
        let level = match f.severity {
            "critical" | "high" => "error",
            "medium" | "warning" => "warning",
            _ => "notice",
        };
        let title = phi_policy::control(f.control).map_or("", |c| c.title);
        out.push_str(&format!(
            "::{level} file={},line={},col={},title={}::{}\n",
            escape_property(&super::root_relative(&f.file)),
            f.line,
            f.column,
            escape_property(&format!("{} {title}", f.control)),
            escape_data(&f.message)
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn annotations_escape_their_fields() {
        let f = Finding::new("PHI-REG-001", "a,b.tf", (3, 4), "50% bad\nregion");
        let file = escape_property(&super::super::root_relative("a,b.tf"));
        assert!(file.ends_with("a%2Cb.tf"), "{file}");
        assert_eq!(
            github(&[f]),
            format!(
                "::error file={file},line=3,col=4,title=PHI-REG-001 Resources only in approved regions::50%25 bad%0Aregion\n"
            )
        );
    }
}
