//! Inline suppressions: an accountable, time-limited waiver written next to
//! the code it waives.
//!
//! ```hcl
//! # phi-lint:ignore PHI-LNT-003 reason="legacy bucket, migration in JIRA-123" owner="data-team" expires=2027-01-31
//! resource "aws_s3_bucket" "legacy" { ... }
//! ```
//!
//! A comment on its own line covers the next code line, and the whole block
//! when that line opens one; a comment at the end of a line covers that
//! line. Several controls are separated by commas. `reason`, `owner` and
//! `expires` (a date, valid through that day) are all required. A malformed,
//! expired or policy-forbidden suppression waives nothing and is itself a
//! finding (PHI-LNT-005); one that waives nothing is reported as unused
//! (PHI-LNT-006). Both `#` and `//` comments work.

use std::collections::BTreeMap;

use phi_policy::{Policy, ids};
use serde::Serialize;

use crate::finding::Finding;
use crate::ir::Block;
use crate::source::SourceFile;

const MARKER: &str = "phi-lint:ignore";

/// Controls no inline comment can waive: a file that does not parse is not
/// checked at all, and the suppression findings police suppressions.
const NEVER_SUPPRESSIBLE: &[&str] = &[
    ids::LINT_PARSE_ERROR,
    ids::LINT_SUPPRESSION_INVALID,
    ids::LINT_SUPPRESSION_UNUSED,
];

/// What a finding was waived with (kept in the JSON and SARIF output).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Waiver {
    pub reason: String,
    pub owner: String,
    pub expires: String,
    /// Where the suppression comment is, `file:line`.
    pub at: String,
}

/// One suppression comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directive {
    pub line: usize,
    pub column: usize,
    pub controls: Vec<String>,
    pub reason: String,
    pub owner: String,
    pub expires: Option<time::Date>,
    pub expires_text: String,
    /// First and last line it covers.
    pub covers: (usize, usize),
    /// Why it is malformed, if it is.
    pub problems: Vec<String>,
}

/// `key="quoted value"` or `key=bare` pairs after the control list.
fn fields(rest: &str) -> (BTreeMap<String, String>, Vec<String>) {
    let mut out = BTreeMap::new();
    let mut problems = Vec::new();
    let mut s = rest.trim_start();
    while !s.is_empty() {
        let Some(eq) = s.find('=') else {
            problems.push(format!("unexpected text {:?}", s.trim()));
            break;
        };
        let key = s[..eq].trim().to_owned();
        let after = &s[eq + 1..];
        let (value, remaining) = if let Some(q) = after.strip_prefix('"') {
            match q.find('"') {
                Some(end) => (q[..end].to_owned(), &q[end + 1..]),
                None => {
                    problems.push(format!("unterminated quote in {key}"));
                    (q.to_owned(), "")
                }
            }
        } else {
            let end = after.find(char::is_whitespace).unwrap_or(after.len());
            (after[..end].to_owned(), &after[end..])
        };
        if key.is_empty() || key.contains(char::is_whitespace) {
            problems.push(format!("unexpected text before `=`: {key:?}"));
        } else {
            out.insert(key, value);
        }
        s = remaining.trim_start();
    }
    (out, problems)
}

fn parse_date(s: &str) -> Option<time::Date> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(s, &format).ok()
}

/// Reads one comment's text after the marker.
pub fn parse_directive(text: &str, line: usize, column: usize) -> Directive {
    let text = text.trim();
    let (list, rest) = text.split_once(char::is_whitespace).unwrap_or((text, ""));
    let mut problems = Vec::new();
    let controls: Vec<String> = list
        .split(',')
        .map(|c| c.trim().to_ascii_uppercase())
        .filter(|c| !c.is_empty())
        .collect();
    if controls.is_empty() || list.contains('=') {
        problems.push("name the control(s) first, e.g. `phi-lint:ignore PHI-LNT-003 …`".to_owned());
    }
    for c in &controls {
        if !list.contains('=') && phi_policy::control(c).is_none() {
            problems.push(format!(
                "{c} is not a control (`phi-lint rules` lists them)"
            ));
        }
    }
    let (mut f, more) = fields(rest);
    problems.extend(more);
    let reason = f.remove("reason").unwrap_or_default();
    let owner = f.remove("owner").unwrap_or_default();
    let expires_text = f.remove("expires").unwrap_or_default();
    if reason.trim().is_empty() {
        problems.push("a reason=\"…\" is required".to_owned());
    }
    if owner.trim().is_empty() {
        problems.push("an owner=\"…\" is required".to_owned());
    }
    let expires = parse_date(&expires_text);
    if expires_text.is_empty() {
        problems.push("an expires=YYYY-MM-DD date is required".to_owned());
    } else if expires.is_none() {
        problems.push(format!("expires={expires_text} is not a YYYY-MM-DD date"));
    }
    for k in f.keys() {
        problems.push(format!(
            "unknown field {k:?} (expected reason, owner, expires)"
        ));
    }
    Directive {
        line,
        column,
        controls,
        reason,
        owner,
        expires,
        expires_text,
        covers: (line, line),
        problems,
    }
}

/// Every suppression comment in a file, with the lines it covers.
pub fn directives(file: &SourceFile, root: &Block) -> Vec<Directive> {
    if !file.text.contains(MARKER) {
        return Vec::new();
    }
    let mut starts: BTreeMap<usize, usize> = BTreeMap::new();
    collect_blocks(root, &mut starts);
    let lines: Vec<&str> = file.text.lines().collect();
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let Some(pos) = line.find(MARKER) else {
            continue;
        };
        let before = &line[..pos];
        let comment_start = before
            .rfind('#')
            .or_else(|| before.rfind("//"))
            .filter(|c| before[c + 1..].trim_start_matches('/').trim().is_empty());
        let Some(comment_start) = comment_start else {
            continue;
        };
        let own_line = line[..comment_start].trim().is_empty();
        let number = i + 1;
        let column = line[..comment_start].chars().count() + 1;
        let mut d = parse_directive(&line[pos + MARKER.len()..], number, column);
        d.covers = if own_line {
            // The next line that is neither blank nor a comment.
            let next = (i + 1..lines.len())
                .find(|&j| {
                    let t = lines[j].trim();
                    !t.is_empty() && !t.starts_with('#') && !t.starts_with("//")
                })
                .map_or(number, |j| j + 1);
            (next, starts.get(&next).copied().unwrap_or(next))
        } else {
            (number, starts.get(&number).copied().unwrap_or(number))
        };
        out.push(d);
    }
    out
}

fn collect_blocks(block: &Block, starts: &mut BTreeMap<usize, usize>) {
    for b in &block.blocks {
        let e = starts.entry(b.lines.0).or_insert(b.lines.1);
        *e = (*e).max(b.lines.1);
        collect_blocks(b, starts);
    }
}

/// Applies a file's suppressions to its findings; returns the findings about
/// the suppressions themselves.
pub fn apply(
    file: &str,
    directives: &[Directive],
    findings: &mut [&mut Finding],
    policy: &Policy,
    today: time::Date,
) -> Vec<Finding> {
    let mut out = Vec::new();
    for d in directives {
        let at = (d.line, d.column);
        if !d.problems.is_empty() {
            out.push(Finding::new(
                ids::LINT_SUPPRESSION_INVALID,
                file,
                at,
                format!(
                    "malformed suppression, it waives nothing: {}",
                    d.problems.join("; ")
                ),
            ));
            continue;
        }
        let expires = d.expires.expect("checked: no problems");
        if expires < today {
            out.push(Finding::new(
                ids::LINT_SUPPRESSION_INVALID,
                file,
                at,
                format!(
                    "suppression of {} expired on {} (owner {:?}); it waives nothing: fix the \
                     code or renew it",
                    d.controls.join(", "),
                    d.expires_text,
                    d.owner
                ),
            ));
            continue;
        }
        let mut allowed = Vec::new();
        for c in &d.controls {
            if NEVER_SUPPRESSIBLE.contains(&c.as_str()) || policy.unsuppressible().contains(c) {
                out.push(Finding::new(
                    ids::LINT_SUPPRESSION_INVALID,
                    file,
                    at,
                    format!(
                        "{c} may not be suppressed inline (the policy marks it unsuppressible)"
                    ),
                ));
            } else {
                allowed.push(c.as_str());
            }
        }
        let mut used = false;
        for f in findings.iter_mut() {
            if f.suppressed.is_none()
                && allowed.contains(&f.control)
                && (d.covers.0..=d.covers.1).contains(&(f.line as usize))
            {
                f.suppressed = Some(Box::new(Waiver {
                    reason: d.reason.clone(),
                    owner: d.owner.clone(),
                    expires: d.expires_text.clone(),
                    at: format!("{file}:{}", d.line),
                }));
                used = true;
            }
        }
        if !used && !allowed.is_empty() {
            out.push(Finding::new(
                ids::LINT_SUPPRESSION_UNUSED,
                file,
                at,
                format!(
                    "unused suppression of {}: nothing it covers is reported; remove it",
                    allowed.join(", ")
                ),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_complete_directive_parses() {
        let d = parse_directive(
            " PHI-LNT-003,phi-reg-001 reason=\"legacy, JIRA-1\" owner=\"data-team\" expires=2027-01-31",
            3,
            1,
        );
        assert!(d.problems.is_empty(), "{:?}", d.problems);
        assert_eq!(d.controls, ["PHI-LNT-003", "PHI-REG-001"]);
        assert_eq!(d.reason, "legacy, JIRA-1");
        assert_eq!(d.owner, "data-team");
        assert_eq!(d.expires_text, "2027-01-31");
    }

    #[test]
    fn missing_fields_bad_dates_and_unknown_controls_are_problems() {
        let d = parse_directive(
            " PHI-NOPE-001 reason=\"x\" expires=2027-13-01 colour=red",
            1,
            1,
        );
        let all = d.problems.join("\n");
        assert!(all.contains("PHI-NOPE-001 is not a control"), "{all}");
        assert!(all.contains("owner"), "{all}");
        assert!(all.contains("not a YYYY-MM-DD date"), "{all}");
        assert!(all.contains("unknown field \"colour\""), "{all}");
        assert!(!parse_directive(" reason=\"x\"", 1, 1).problems.is_empty());
    }

    #[test]
    fn an_own_line_comment_covers_the_next_block() {
        let text = "# phi-lint:ignore PHI-LNT-003 reason=\"r\" owner=\"o\" expires=2999-01-01\n\n# another comment\nresource \"aws_s3_bucket\" \"b\" {\n  bucket = \"x\"\n}\nlocals {\n  a = 1 # phi-lint:ignore PHI-REG-001 reason=\"r\" owner=\"o\" expires=2999-01-01\n}\n";
        let f = SourceFile::new("m.tf", text.to_owned());
        let root = f.root().unwrap();
        let d = directives(&f, &root);
        assert_eq!(d.len(), 2);
        assert_eq!(d[0].covers, (4, 6));
        assert_eq!(d[1].covers, (8, 8));
    }
}
