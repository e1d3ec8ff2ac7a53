//! phi-lint as CI runs it: the real binary on fixture directories, asserting
//! exit codes, controls, and exact locations.

use std::path::{Path, PathBuf};
use std::process::Command;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn lint(args: &[&str]) -> (i32, serde_json::Value) {
    let out = Command::new(env!("CARGO_BIN_EXE_phi-lint"))
        .args(["--format", "json"])
        .args(args)
        .env_remove("PHI_POLICY_FILE")
        .output()
        .unwrap();
    let json = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("not JSON: {}", String::from_utf8_lossy(&out.stdout)));
    (out.status.code().unwrap(), json)
}

fn controls_at(json: &serde_json::Value) -> Vec<(String, u64, u64)> {
    json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["control"].as_str().unwrap().to_owned(),
                f["line"].as_u64().unwrap(),
                f["column"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn compliant_code_exits_zero_with_no_findings() {
    let (code, json) = lint(&[fixture("compliant").to_str().unwrap()]);
    assert_eq!(code, 0, "{json}");
    assert!(json["findings"].as_array().unwrap().is_empty());
}

#[test]
fn every_violation_is_reported_at_its_value() {
    let (code, json) = lint(&[fixture("violations").to_str().unwrap()]);
    assert_eq!(code, 1);
    let found = controls_at(&json);
    for expected in [
        ("PHI-REG-001", 2, 12),
        ("PHI-KMS-001", 7, 22),
        ("PHI-KMS-002", 7, 22),
        ("PHI-LOG-001", 8, 22),
        ("PHI-AUD-001", 9, 22),
    ] {
        let e = (expected.0.to_owned(), expected.1, expected.2);
        assert!(found.contains(&e), "missing {e:?} in {found:?}");
    }
    assert_eq!(found.len(), 5, "{found:?}");
}

#[test]
fn a_file_that_does_not_parse_is_a_located_finding_and_the_rest_is_checked() {
    let (code, json) = lint(&[fixture("broken").to_str().unwrap()]);
    assert_eq!(code, 1);
    let findings = json["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 2, "{json}");
    assert_eq!(findings[0]["control"], "PHI-LNT-002");
    assert!(
        findings[0]["file"]
            .as_str()
            .unwrap()
            .ends_with("broken/main.tf")
    );
    assert_eq!(findings[0]["line"], 3);
    // ok.tf beside it was still parsed and checked.
    assert_eq!(findings[1]["control"], "PHI-LOG-001");
    assert!(
        findings[1]["file"]
            .as_str()
            .unwrap()
            .ends_with("broken/ok.tf")
    );
}

#[test]
fn usage_errors_and_bad_policies_exit_two() {
    let out = Command::new(env!("CARGO_BIN_EXE_phi-lint"))
        .arg("/nonexistent/dir")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("p.hcl");
    std::fs::write(&policy, "audit {\n  retention_min_days = 1\n}\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_phi-lint"))
        .args([
            "--policy",
            policy.to_str().unwrap(),
            fixture("compliant").to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("p.hcl:2:24"));
}

#[test]
fn text_output_shows_the_source_line_with_a_caret() {
    let out = Command::new(env!("CARGO_BIN_EXE_phi-lint"))
        .arg(fixture("violations"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("main.tf:8:22: high[PHI-LOG-001]"), "{text}");
    assert!(
        text.contains("  8 |   retention_days   = 90\n    |                      ^\n"),
        "{text}"
    );
    assert!(text.ends_with("5 findings.\n"));
}

#[test]
fn rules_and_explain_come_from_the_catalogue() {
    let out = Command::new(env!("CARGO_BIN_EXE_phi-lint"))
        .arg("rules")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).lines().count(),
        phi_policy::controls().len()
    );
    let out = Command::new(env!("CARGO_BIN_EXE_phi-lint"))
        .args(["explain", "phi-log-001"])
        .output()
        .unwrap();
    // The page itself, without the generator's banner for the docs folder.
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("# PHI-LOG-001: "));
    assert!(!String::from_utf8_lossy(&out.stdout).contains("<!--"));
    assert!(String::from_utf8_lossy(&out.stdout).contains("## Proven by"));
}

#[test]
fn raw_resources_from_the_policy_list_are_refused() {
    let (code, json) = lint(&[fixture("raw").to_str().unwrap()]);
    assert_eq!(code, 1);
    assert_eq!(
        controls_at(&json),
        [
            ("PHI-LNT-003".to_owned(), 1, 1),
            ("PHI-LNT-003".to_owned(), 5, 1)
        ]
    );
}

#[test]
fn module_sources_must_be_approved_and_pinned() {
    let dir = fixture("modules");
    let policy = dir.join("phi-policy.hcl");
    let (code, json) = lint(&[
        "--policy",
        policy.to_str().unwrap(),
        dir.join("main.tf").to_str().unwrap(),
    ]);
    assert_eq!(code, 1);
    let found: Vec<(String, u64, String)> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["control"].as_str().unwrap().to_owned(),
                f["line"].as_u64().unwrap(),
                f["message"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(found.len(), 3, "{found:?}");
    assert!(found.iter().all(|(c, _, _)| c == "PHI-LNT-004"));
    assert_eq!(found[0].1, 10);
    assert!(found[0].2.contains("ref=main is a moving branch"));
    assert_eq!(found[1].1, 14);
    assert!(found[1].2.contains("not in the policy's approved_modules"));
    assert_eq!(found[2].1, 14);
    assert!(found[2].2.contains("\"~> 4.0\" is a range"));
}

#[test]
fn the_repository_examples_lint_as_documented() {
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples");
    let (code, json) = lint(&[examples.join("audit-sink").to_str().unwrap()]);
    assert_eq!(code, 0, "the compliant example has no findings: {json}");
    for (root, control) in [
        ("refusals/short-retention", "PHI-LOG-001"),
        ("refusals/key-in-other-region", "PHI-KMS-006"),
        ("refusals/aws-managed-key", "PHI-KMS-002"),
        ("refusals/unapproved-region", "PHI-REG-001"),
        ("refusals/governance-mode", "PHI-AUD-001"),
    ] {
        let (code, json) = lint(&[examples.join(root).to_str().unwrap()]);
        assert_eq!(code, 1);
        let found: Vec<&str> = json["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["control"].as_str().unwrap())
            .collect();
        assert!(found.contains(&control), "{root}: {found:?}");
    }
}

#[test]
fn the_phi_provider_must_be_declared_with_its_source_and_a_pinned_version() {
    let (code, json) = lint(&[fixture("pinning").to_str().unwrap()]);
    assert_eq!(code, 1);
    let found: Vec<(String, u64, String)> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let file = f["file"].as_str().unwrap();
            let dir = file.rsplit('/').nth(1).unwrap().to_owned();
            (
                dir,
                f["line"].as_u64().unwrap(),
                f["message"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert!(
        json["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["control"] == "PHI-LNT-007")
    );
    assert_eq!(found.len(), 5, "{found:?}");
    // The lock file locks 1.2.0; `~> 0.1` does not allow it.
    assert_eq!((found[0].0.as_str(), found[0].1), ("locked-mismatch", 5));
    assert!(found[0].2.contains("locks phi provider 1.2.0"), "{found:?}");
    assert_eq!((found[1].0.as_str(), found[1].1), ("no-entry", 1));
    assert!(found[1].2.contains("would look for hashicorp/phi"));
    assert_eq!((found[2].0.as_str(), found[2].1), ("root-range", 3));
    assert!(
        found[2]
            .2
            .contains("\">= 0.1.0\", which has no upper bound")
    );
    assert!(found[3].2.contains("no `version`") || found[4].2.contains("no `version`"));
    assert!(found.iter().any(|f| f.2.contains("source is \"acme/phi\"")));
    // The compliant twin: an exact version in the root, a constraint in a
    // child module (fixtures/aliases/replica).
    let (code, _) = lint(&[fixture("compliant").to_str().unwrap()]);
    assert_eq!(code, 0);
}

#[test]
fn a_bounded_constraint_with_a_lock_file_inside_it_passes() {
    let dir = tempfile::tempdir().unwrap();
    for constraint in ["~> 0.1", ">= 0.1.0, < 1.0.0", "0.1.3"] {
        std::fs::write(
            dir.path().join("main.tf"),
            format!(
                "terraform {{\n  required_providers {{\n    phi = {{\n      source  = \"phi-guard/phi\"\n      version = \"{constraint}\"\n    }}\n  }}\n}}\n\nprovider \"phi\" {{\n  region = \"eu-central-1\"\n}}\n"
            ),
        )
        .unwrap();
        std::fs::write(
            dir.path().join(".terraform.lock.hcl"),
            "provider \"registry.terraform.io/phi-guard/phi\" {\n  version     = \"0.1.3\"\n  constraints = \"~> 0.1\"\n}\n",
        )
        .unwrap();
        let (code, json) = lint(&[dir.path().to_str().unwrap()]);
        assert_eq!(code, 0, "{constraint}: {json}");
    }
}
