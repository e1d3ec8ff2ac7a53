//! phi-lint: checks Terraform source against the phi-guard control catalogue
//! and the organisation policy, before any plan.
//!
//! The pipeline is: walk the paths ([`walk`]), parse each file with spans
//! ([`source`]), run the rules ([`rules`]) and report ([`report`]). A value
//! that cannot be known from the source is its own finding (PHI-LNT-001),
//! never a pass and never a violation.

pub mod finding;
pub mod report;
pub mod rules;
pub mod source;
pub mod walk;

use std::path::PathBuf;

use phi_policy::Policy;
use rayon::prelude::*;

pub use finding::Finding;

/// Lints every Terraform file under `paths`; findings sorted by file, line
/// and column.
pub fn lint_paths(paths: &[PathBuf], policy: &Policy) -> Vec<Finding> {
    let files = walk::terraform_files(paths);
    let mut findings: Vec<Finding> = files
        .par_iter()
        .flat_map_iter(|path| lint_file(path, policy))
        .collect();
    findings.sort_by(|a, b| {
        (&a.file, a.line, a.column, a.control).cmp(&(&b.file, b.line, b.column, b.control))
    });
    findings
}

/// Lints one file: a parse error is a located finding of its own.
pub fn lint_file(path: &std::path::Path, policy: &Policy) -> Vec<Finding> {
    match source::SourceFile::load(path) {
        Ok(file) => match file.parse() {
            Ok(body) => rules::run(&file, &body, policy),
            Err(finding) => vec![finding],
        },
        Err(finding) => vec![finding],
    }
}
