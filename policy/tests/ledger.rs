//! The control-to-test ledger is complete and true: every control in the
//! catalogue names at least one test, every named test exists as a test
//! function in the named file, and the ledger names no unknown control.
//! Runs with `cargo test` in CI, so a renamed or deleted test, or a new
//! control without a proof, fails the build.

use std::path::{Path, PathBuf};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the policy crate lives in the workspace")
        .to_path_buf()
}

/// Whether `source` defines `fn name(` directly under a `#[test]` or
/// `#[tokio::test]` attribute (other attributes may sit between them).
fn defines_test(source: &str, name: &str) -> bool {
    let needle = format!("fn {name}(");
    source.match_indices(&needle).any(|(at, _)| {
        let before = &source[..at];
        let item_start = before.rfind(['}', ';']).map_or(0, |i| i + 1);
        let attributes = &before[item_start..];
        attributes.contains("#[test]") || attributes.contains("#[tokio::test]")
    })
}

#[test]
fn every_control_names_tests_that_exist() {
    let root = repo_root();
    let mut problems = Vec::new();
    for c in phi_policy::controls() {
        let proofs = phi_policy::ledger::proofs(c.id);
        if proofs.is_empty() {
            problems.push(format!(
                "{}: no test proves it; add its tests to policy/src/ledger.rs",
                c.id
            ));
        }
        for p in proofs {
            match std::fs::read_to_string(root.join(p.file)) {
                Ok(source) if defines_test(&source, p.test) => {}
                Ok(_) => problems.push(format!(
                    "{}: {} has no test function `{}`",
                    c.id, p.file, p.test
                )),
                Err(e) => problems.push(format!("{}: cannot read {}: {e}", c.id, p.file)),
            }
        }
    }
    for id in phi_policy::ledger::controls() {
        if phi_policy::control(id).is_none() {
            problems.push(format!(
                "the ledger names {id}, which is not in the catalogue"
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "ledger problems:\n{}",
        problems.join("\n")
    );
}

#[test]
fn the_test_finder_needs_a_test_attribute() {
    let source = "#[test]\nfn proven() {}\n\nfn helper() {}\n#[tokio::test]\n#[ignore]\nasync fn later() {}\n";
    assert!(defines_test(source, "proven"));
    assert!(defines_test(source, "later"));
    assert!(!defines_test(source, "helper"));
    assert!(!defines_test(source, "missing"));
}
