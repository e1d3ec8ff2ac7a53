//! Baselines, for adopting phi-lint on a repository that already has
//! findings: `--write-baseline FILE` records today's findings, and with
//! `--baseline FILE` only findings not in it fail the run. Entries that no
//! longer match anything are reported as stale, so the baseline only
//! shrinks.
//!
//! A finding is keyed by a fingerprint of its control, its file relative to
//! the source root, the address of the block it is in (`aws_s3_bucket.logs`,
//! `module.sink`, `provider.aws`) and the attribute path in that block
//! (`server_side_encryption_configuration.rule`) — not its line or message,
//! so moving code or rewording a message keeps it matched. SARIF's
//! `partialFingerprints` carry the same value.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::finding::Finding;
use crate::ir::Block;
use crate::project::Project;
use crate::suppress::Waiver;

/// The owner recorded on findings a baseline waives (how reports tell them
/// from inline suppressions).
pub const OWNER: &str = "baseline";

/// One recorded finding. Only `fingerprint` matters for matching; the rest
/// is for the people reading the file and the stale-entry report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub fingerprint: String,
    pub control: String,
    pub file: String,
    pub address: String,
    pub attribute: String,
    pub message: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Baseline {
    pub version: u32,
    pub findings: Vec<Entry>,
}

/// Whether a baseline, not an inline comment, waived this finding.
pub fn is_baselined(f: &Finding) -> bool {
    f.suppressed.as_ref().is_some_and(|w| w.owner == OWNER)
}

/// FNV-1a, 64 bits: stable across runs, platforms and Rust versions.
fn fnv1a(s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// Where a finding is, as its fingerprint sees it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Place {
    pub file: String,
    pub address: String,
    pub attribute: String,
}

impl Place {
    pub fn fingerprint(&self, control: &str) -> u64 {
        fnv1a(&format!(
            "{control}|{}|{}|{}",
            self.file, self.address, self.attribute
        ))
    }
}

/// The address Terraform gives a top-level block.
fn address(b: &Block) -> String {
    let labels = b.labels.join(".");
    match b.ident.as_str() {
        "resource" => labels,
        "variable" => format!("var.{labels}"),
        _ if labels.is_empty() => b.ident.clone(),
        other => format!("{other}.{labels}"),
    }
}

/// The attribute path at `line` inside `block`.
fn attribute(block: &Block, line: usize) -> String {
    if let Some(inner) = block
        .blocks
        .iter()
        .find(|b| b.lines.0 <= line && line <= b.lines.1)
    {
        let rest = attribute(inner, line);
        return if rest.is_empty() {
            inner.ident.clone()
        } else {
            format!("{}.{rest}", inner.ident)
        };
    }
    block
        .attrs
        .iter()
        .filter(|a| a.at.0 <= line)
        .max_by_key(|a| a.at.0)
        .map(|a| a.name.clone())
        .unwrap_or_default()
}

/// The place of a finding in a parsed file.
pub fn place(root: Option<&Block>, file: &str, line: usize) -> Place {
    let mut place = Place {
        file: crate::report::root_relative(file),
        ..Place::default()
    };
    let Some(root) = root else { return place };
    // JSON blocks record only their first line; native ones their span.
    let block = root
        .blocks
        .iter()
        .filter(|b| b.at.0 <= line && (b.lines.1 >= line || b.lines.0 == b.lines.1))
        .max_by_key(|b| b.at.0);
    if let Some(b) = block {
        place.address = address(b);
        place.attribute = attribute(b, line);
    } else if root.attrs.iter().any(|a| a.at.0 <= line) {
        place.attribute = attribute(root, line);
    }
    place
}

/// Sets every finding's fingerprint; returns the place each stands for.
pub fn fingerprint_all(project: &Project, findings: &mut [Finding]) -> HashMap<u64, Place> {
    let roots: HashMap<&str, &Block> = project
        .modules
        .values()
        .flat_map(|m| m.config.iter().chain(&m.auto_vars))
        .map(|p| (p.source.path.as_str(), &p.root))
        .collect();
    let mut places = HashMap::new();
    for f in findings {
        let place = place(
            roots.get(f.file.as_str()).copied(),
            &f.file,
            f.line as usize,
        );
        f.fingerprint = place.fingerprint(f.control);
        places.insert(f.fingerprint, place);
    }
    places
}

/// The baseline of every active finding.
pub fn record(findings: &[Finding], places: &HashMap<u64, Place>) -> Baseline {
    Baseline {
        version: 1,
        findings: findings
            .iter()
            .filter(|f| f.suppressed.is_none())
            .map(|f| {
                let p = places.get(&f.fingerprint).cloned().unwrap_or_default();
                Entry {
                    fingerprint: f.fingerprint_text(),
                    control: f.control.to_owned(),
                    file: p.file,
                    address: p.address,
                    attribute: p.attribute,
                    message: f.message.clone(),
                }
            })
            .collect(),
    }
}

/// Reads a baseline file (a regular file, size-capped, JSON).
pub fn load(path: &Path) -> Result<Baseline, String> {
    let bytes = crate::input::read_regular(path)?;
    let baseline: Baseline =
        serde_json::from_slice(&bytes).map_err(|e| format!("not a phi-lint baseline: {e}"))?;
    if baseline.version != 1 {
        return Err(format!(
            "baseline version {} (this phi-lint reads version 1)",
            baseline.version
        ));
    }
    Ok(baseline)
}

/// Waives the active findings the baseline records (each entry waives one
/// finding) and returns the entries nothing matched: stale, to be removed.
pub fn apply(findings: &mut [Finding], baseline: &Baseline, file: &Path) -> Vec<Entry> {
    let mut left: BTreeMap<&str, Vec<&Entry>> = BTreeMap::new();
    for e in &baseline.findings {
        left.entry(e.fingerprint.as_str()).or_default().push(e);
    }
    for f in findings.iter_mut().filter(|f| f.suppressed.is_none()) {
        if let Some(entries) = left.get_mut(f.fingerprint_text().as_str())
            && entries.pop().is_some()
        {
            f.suppressed = Some(Box::new(Waiver {
                reason: "recorded in the baseline".to_owned(),
                owner: OWNER.to_owned(),
                expires: String::new(),
                at: file.display().to_string(),
            }));
        }
    }
    left.into_values().flatten().cloned().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root(src: &str) -> Block {
        crate::source::SourceFile::new("main.tf", src.to_owned())
            .root()
            .unwrap()
    }

    #[test]
    fn the_place_names_the_block_and_attribute_not_the_line() {
        let a = root(
            "resource \"aws_s3_bucket\" \"logs\" {\n  bucket = \"x\"\n  rule {\n    kms = \"k\"\n  }\n}\n",
        );
        let p = place(Some(&a), "main.tf", 4);
        assert_eq!(p.address, "aws_s3_bucket.logs");
        assert_eq!(p.attribute, "rule.kms");
        // Ten lines added above: the same place, the same fingerprint.
        let b = root(&format!(
            "{}resource \"aws_s3_bucket\" \"logs\" {{\n  bucket = \"x\"\n  rule {{\n    kms = \"k\"\n  }}\n}}\n",
            "\n".repeat(10)
        ));
        let q = place(Some(&b), "main.tf", 14);
        assert_eq!(p.fingerprint("PHI-KMS-001"), q.fingerprint("PHI-KMS-001"));
        assert_ne!(p.fingerprint("PHI-KMS-001"), p.fingerprint("PHI-KMS-002"));
    }
}
