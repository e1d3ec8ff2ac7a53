//! `phi-lint review` and `phi-lint evidence` say clearly what is wrong with a
//! file they cannot read as a plan or a state, and exit 2. (Real plans and
//! states are exercised in acceptance/tests/review_evidence.rs.)

use std::process::Command;

fn run(args: &[&str], file_text: &str) -> (i32, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("input.json");
    std::fs::write(&path, file_text).unwrap();
    let mut all: Vec<&str> = args.to_vec();
    let p = path.to_str().unwrap().to_owned();
    all.push(&p);
    let out = Command::new(env!("CARGO_BIN_EXE_phi-lint"))
        .args(&all)
        .env_remove("PHI_POLICY_FILE")
        .output()
        .unwrap();
    assert!(
        out.stdout.is_empty(),
        "nothing on stdout when it cannot run"
    );
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_newer_format_version_is_refused_not_misread() {
    for cmd in ["review", "evidence"] {
        let (code, err) = run(&[cmd], r#"{"format_version": "2.0", "values": {}}"#);
        assert_eq!(code, 2, "{cmd}");
        assert!(err.contains("format_version 2.0 is newer"), "{cmd}: {err}");
    }
}

#[test]
fn files_that_are_not_terraform_json_are_named_for_what_they_are() {
    let cases = [
        ("not json at all", "not JSON"),
        ("{\"hello\": 1}", "not the output of `terraform show -json`"),
        (
            r#"{"version": 4, "lineage": "x", "serial": 1, "resources": []}"#,
            "a raw Terraform state file",
        ),
        ("PK\u{3}\u{4}binary", "binary plan file"),
    ];
    for (text, message) in cases {
        for cmd in ["review", "evidence"] {
            let (code, err) = run(&[cmd], text);
            assert_eq!(code, 2, "{cmd} {text:?}");
            assert!(err.contains(message), "{cmd} {text:?}: {err}");
        }
    }
}

#[test]
fn a_missing_file_is_an_error_not_an_empty_report() {
    for cmd in ["review", "evidence"] {
        let out = Command::new(env!("CARGO_BIN_EXE_phi-lint"))
            .args([cmd, "/nonexistent/plan.json"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read"));
    }
}

#[test]
fn an_errored_plan_has_nothing_to_review() {
    let (code, err) = run(
        &["review"],
        r#"{"format_version": "1.2", "errored": true, "applyable": false, "resource_changes": []}"#,
    );
    assert_eq!(code, 2);
    assert!(
        err.contains("could not complete this plan (errored: true)"),
        "{err}"
    );
}
