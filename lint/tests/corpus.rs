//! Robustness over real Terraform written by others (`../shared/corpus`
//! beside the repository, read in place): no panic, every finding located,
//! and the parse verdict of every file the same as Terraform's own. Terraform
//! is run once over the whole tree (`terraform fmt -check`, which parses every
//! `.tf` and `.tfvars` file and reports each syntax error with its file), not
//! once per file. The tree is skipped, with a message, only when absent.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Files Terraform's parser rejects, from `terraform fmt` diagnostics
/// (`on <file> line <n>`).
fn rejected_by_terraform(paths: &[&Path]) -> BTreeSet<PathBuf> {
    let terraform = repo_root().join(".tools/bin/terraform");
    assert!(
        terraform.exists(),
        "{} missing: run scripts/setup-tools",
        terraform.display()
    );
    let out = Command::new(&terraform)
        .args(["fmt", "-check", "-list=false", "-no-color", "-recursive"])
        .args(paths)
        .env("TF_CLI_CONFIG_FILE", "/dev/null")
        .output()
        .unwrap();
    // 0: formatted, 3: would reformat; both mean "parsed". 2: errors.
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        matches!(out.status.code(), Some(0 | 2 | 3)),
        "terraform fmt failed to run: {stderr}"
    );
    stderr
        .lines()
        .filter_map(|l| {
            let rest = l.split_once(" on ")?.1;
            let (file, _) = rest.split_once(" line ")?;
            Some(absolute(Path::new(file)))
        })
        .collect()
}

/// Terraform prints paths relative to the working directory when it can.
fn absolute(path: &Path) -> PathBuf {
    phi_lint::walk::normalize(&std::env::current_dir().unwrap().join(path))
}

fn rejected_by_phi_lint(findings: &[phi_lint::Finding]) -> BTreeSet<PathBuf> {
    findings
        .iter()
        .filter(|f| f.control == "PHI-LNT-002")
        .map(|f| absolute(Path::new(&f.file)))
        .collect()
}

#[test]
fn parse_verdicts_agree_with_terraform_on_fixtures() {
    // The negative controls (broken files) and the hcl-edit gaps.
    let broken = repo_root().join("lint/tests/fixtures/broken");
    let gaps = repo_root().join("lint/tests/fixtures/parser-gaps");
    let cidr = repo_root().join("lint/tests/fixtures/unquoted-cidr");
    let findings = phi_lint::lint_paths(
        &[broken.clone(), gaps.clone(), cidr.clone()],
        &phi_policy::Policy::baseline(),
    );
    let ours = rejected_by_phi_lint(&findings);
    let theirs = rejected_by_terraform(&[&broken, &gaps, &cidr]);
    assert_eq!(ours, theirs);
    // broken/main.tf, and unquoted-cidr/main.tf with a CIDR (a number
    // literal Terraform rejects); parser-gaps/bom.tf, which starts with a
    // byte-order mark, parses in both.
    assert_eq!(
        ours.len(),
        2,
        "broken/main.tf and unquoted-cidr/main.tf: {ours:?}"
    );
    // The gaps parse, and their values evaluate as Terraform's would (the
    // last duplicate key wins: region eu-central-1, no finding).
    assert!(
        findings.iter().all(|f| !f.file.contains("parser-gaps")),
        "{findings:?}"
    );
}

#[test]
fn every_corpus_file_is_processed_and_parse_verdicts_agree_with_terraform() {
    let corpus = phi_lint::walk::normalize(&repo_root().join("../shared/corpus"));
    if !corpus.is_dir() {
        eprintln!(
            "SKIPPED: {} not found (the corpus lives in shared/ beside the repository)",
            corpus.display()
        );
        return;
    }
    let files = phi_lint::walk::terraform_files(std::slice::from_ref(&corpus));
    assert!(files.len() > 700, "only {} files", files.len());
    let findings = phi_lint::lint_paths(
        std::slice::from_ref(&corpus),
        &phi_policy::Policy::baseline(),
    );
    for f in &findings {
        assert!(f.line >= 1 && f.column >= 1, "{f:?}");
        assert!(Path::new(&f.file).exists(), "{f:?}");
        assert!(
            !f.message.contains(phi_lint::budget::EXCEEDED),
            "real code within the evaluation budgets: {f:?}"
        );
    }
    let ours = rejected_by_phi_lint(&findings);
    let theirs = rejected_by_terraform(&[&corpus]);
    assert_eq!(ours, theirs, "parse verdicts differ from Terraform's");
    println!(
        "{} files, {} rejected by both, {} findings",
        files.len(),
        ours.len(),
        findings.len()
    );
}
