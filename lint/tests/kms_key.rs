//! `phi_kms_key` on the source: its rotation period against the policy's
//! maximum (PHI-KMS-004) and its required tags, the checks the provider
//! makes at plan (the differential test found the linter silent on both).

mod common;
use common::*;

#[test]
fn a_rotation_period_above_the_policy_maximum_is_reported_where_it_is_set() {
    let (code, json) = lint_json(&[fixture("kms-key").to_str().unwrap()], &[]);
    assert_eq!(code, 1, "{json}");
    // The 365-day key complies with the baseline; the 366-day one does not.
    assert_eq!(
        located(&json, "findings"),
        [f("PHI-KMS-004", "kms-key/main.tf", 18, 26)]
    );
    assert!(
        messages(&json)[0].starts_with("phi_kms_key.audit: rotation_period_days is 366"),
        "{json}"
    );
}

#[test]
fn a_stricter_policy_bounds_the_rotation_and_requires_tags_on_keys() {
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("phi-policy.hcl");
    std::fs::write(
        &policy,
        "kms {\n  rotation_max_days = 180\n}\nrequired_tags = [\"owner\"]\n",
    )
    .unwrap();
    let (code, json) = lint_json(
        &[fixture("kms-key").to_str().unwrap()],
        &[("PHI_POLICY_FILE", policy.to_str().unwrap())],
    );
    assert_eq!(code, 1, "{json}");
    let found: Vec<(String, u64)> = located(&json, "findings")
        .into_iter()
        .map(|(c, _, line, _)| (c, line))
        .collect();
    assert_eq!(
        found,
        [
            ("PHI-TAG-001".to_owned(), 14),
            ("PHI-KMS-004".to_owned(), 18),
            ("PHI-TAG-001".to_owned(), 21),
            ("PHI-KMS-004".to_owned(), 25),
        ]
    );
}
