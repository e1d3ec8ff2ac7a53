//! Policy exceptions in phi-lint, applied by the provider's own function:
//! a waived violation is a warning naming the exception and does not fail
//! the run; an expired exception waives nothing and is reported beside the
//! violation (PHI-EXC-001).

mod common;
use common::*;

const KEY: &str = "arn:aws:kms:eu-central-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";

const POLICY: &str = r#"exception "PHI-LOG-001" {
  scope   = "phi_audit_log_sink.acme-dev-*"
  owner   = "security@acme.example"
  reason  = "sandbox without PHI"
  expires = "2099-12-31"
}

exception "PHI-LOG-001" {
  scope   = "phi_audit_log_sink.acme-old-*"
  owner   = "platform@acme.example"
  reason  = "migration"
  expires = "2020-01-31"
}
"#;

fn stack(sink_name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("phi-policy.hcl"), POLICY).unwrap();
    let code = dir.path().join("code");
    std::fs::create_dir(&code).unwrap();
    std::fs::write(
        code.join("main.tf"),
        format!(
            "terraform {{\n  required_providers {{\n    phi = {{\n      source  = \"phi-guard/phi\"\n      version = \"0.1.0\"\n    }}\n  }}\n}}\n\nresource \"phi_audit_log_sink\" \"s\" {{\n  name           = \"{sink_name}\"\n  kms_key_arn    = \"{KEY}\"\n  retention_days = 90\n}}\n"
        ),
    )
    .unwrap();
    dir
}

fn run(dir: &tempfile::TempDir, format: &str) -> (i32, String) {
    let out = command()
        .args(["--format", format, "--policy"])
        .arg(dir.path().join("phi-policy.hcl"))
        .arg(dir.path().join("code"))
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn a_waived_violation_is_a_warning_naming_the_exception_and_exits_zero() {
    let dir = stack("acme-dev-1");
    let (code, out) = run(&dir, "json");
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(code, 0, "{json}");
    assert!(json["findings"].as_array().unwrap().is_empty(), "{json}");
    let waived = &json["waived"][0];
    assert_eq!(waived["control"], "PHI-LOG-001");
    assert_eq!(waived["severity"], "warning");
    assert_eq!(waived["line"], 13);
    assert_eq!(waived["waived"]["owner"], "security@acme.example");
    assert_eq!(waived["waived"]["reason"], "sandbox without PHI");
    assert_eq!(waived["waived"]["expires"], "2099-12-31");

    let (code, text) = run(&dir, "text");
    assert_eq!(code, 0);
    assert!(text.contains("warning[PHI-LOG-001]"), "{text}");
    assert!(text.contains("owner security@acme.example"), "{text}");
    assert!(text.contains("1 waived by policy exceptions"), "{text}");

    let (code, sarif) = run(&dir, "sarif");
    assert_eq!(code, 0);
    let sarif: serde_json::Value = serde_json::from_str(&sarif).unwrap();
    let result = &sarif["runs"][0]["results"][0];
    assert_eq!(result["level"], "warning");
    assert_eq!(result["suppressions"][0]["kind"], "external");
    assert!(
        result["suppressions"][0]["justification"]
            .as_str()
            .unwrap()
            .contains("security@acme.example")
    );
}

#[test]
fn an_expired_exception_waives_nothing_and_is_reported_beside_the_violation() {
    let dir = stack("acme-old-1");
    let (code, out) = run(&dir, "json");
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(code, 1);
    let found: Vec<(String, u64)> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["control"].as_str().unwrap().to_owned(),
                f["line"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            ("PHI-EXC-001".to_owned(), 13),
            ("PHI-LOG-001".to_owned(), 13)
        ]
    );
    assert!(
        messages(&json)[0].contains("expired on 2020-01-31"),
        "{json}"
    );
    assert!(json["waived"].as_array().unwrap().is_empty());
}

#[test]
fn a_resource_outside_every_scope_is_not_waived() {
    let dir = stack("acme-prod-1");
    let (code, out) = run(&dir, "json");
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(code, 1);
    assert_eq!(json["findings"][0]["control"], "PHI-LOG-001");
    assert_eq!(json["findings"].as_array().unwrap().len(), 1);
}
