//! Inline suppressions: valid ones waive (and are kept, marked, in the
//! output); expired, malformed, unsuppressible and unused ones are findings.

mod common;
use common::*;

#[test]
fn valid_suppressions_waive_and_bad_ones_are_reported() {
    let (code, json) = lint_json(&[fixture("suppressions").to_str().unwrap()], &[]);
    assert_eq!(code, 1);
    assert_eq!(
        located(&json, "findings"),
        [
            // Expired: reported, and the finding stands.
            f("PHI-LNT-005", "suppressions/main.tf", 11, 1),
            f("PHI-LNT-003", "suppressions/main.tf", 12, 1),
            // Malformed (no owner, no expiry): reported, the finding stands.
            f("PHI-LNT-005", "suppressions/main.tf", 16, 1),
            f("PHI-LNT-003", "suppressions/main.tf", 17, 1),
            // Covers a block with nothing to waive.
            f("PHI-LNT-006", "suppressions/main.tf", 25, 1),
        ]
    );
    let m = messages(&json);
    assert!(m[0].contains("expired on 2020-01-31"), "{m:?}");
    assert!(
        m[2].contains("an owner=") && m[2].contains("expires=YYYY-MM-DD"),
        "{m:?}"
    );
    assert!(m[4].contains("unused suppression of PHI-LNT-003"), "{m:?}");
    // The waived findings: the provider region (comment inside the block,
    // on the line above), the bucket block, and a trailing comment.
    assert_eq!(
        located(&json, "suppressed"),
        [
            f("PHI-REG-001", "suppressions/main.tf", 3, 12),
            f("PHI-LNT-003", "suppressions/main.tf", 7, 1),
            f("PHI-LNT-003", "suppressions/main.tf", 21, 1),
        ]
    );
    let waiver = &json["suppressed"][1]["suppressed"];
    assert_eq!(waiver["reason"], "legacy bucket, migration in JIRA-123");
    assert_eq!(waiver["owner"], "data-team");
    assert_eq!(waiver["expires"], "2999-12-31");
}

#[test]
fn a_control_the_policy_marks_unsuppressible_cannot_be_waived() {
    let dir = fixture("suppressions");
    let policy = dir.join("phi-policy.hcl");
    let (_, json) = lint_json(
        &["--policy", policy.to_str().unwrap(), dir.to_str().unwrap()],
        &[],
    );
    let found = located(&json, "findings");
    assert!(
        found.contains(&f("PHI-LNT-005", "suppressions/main.tf", 2, 3)),
        "{found:?}"
    );
    assert!(
        found.contains(&f("PHI-REG-001", "suppressions/main.tf", 3, 12)),
        "{found:?}"
    );
    let m = messages(&json);
    assert!(
        m.iter()
            .any(|m| m.contains("PHI-REG-001 may not be suppressed inline")),
        "{m:?}"
    );
}

#[test]
fn the_flag_ignores_every_inline_suppression() {
    let (code, json) = lint_json(
        &[
            "--no-inline-suppressions",
            fixture("suppressions").to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(code, 1);
    let found = located(&json, "findings");
    assert_eq!(
        found,
        [
            f("PHI-REG-001", "suppressions/main.tf", 3, 12),
            f("PHI-LNT-003", "suppressions/main.tf", 7, 1),
            f("PHI-LNT-003", "suppressions/main.tf", 12, 1),
            f("PHI-LNT-003", "suppressions/main.tf", 17, 1),
            f("PHI-LNT-003", "suppressions/main.tf", 21, 1),
        ]
    );
    assert!(json["suppressed"].as_array().unwrap().is_empty());
}

#[test]
fn only_suppressed_findings_exit_zero() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("main.tf"),
        "# phi-lint:ignore PHI-LNT-003 reason=\"r\" owner=\"o\" expires=2999-01-01\nresource \"aws_s3_bucket\" \"b\" {}\n",
    )
    .unwrap();
    let (code, json) = lint_json(&[dir.path().to_str().unwrap()], &[]);
    assert_eq!(code, 0, "{json}");
    assert_eq!(json["suppressed"].as_array().unwrap().len(), 1);
}
