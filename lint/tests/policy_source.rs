//! phi-lint reads its policy by the provider's rules (`phi_policy::source`):
//! `--policy`, `PHI_POLICY_FILE`, `/etc/phi-guard/phi-policy.hcl`, baseline;
//! set-but-empty and missing files stop it with the provider's message, and
//! `phi-lint policy show` prints the policy in force.

mod common;
use common::*;

fn run(args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let out = command()
        .args(args)
        .envs(env.iter().copied())
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_set_but_empty_variable_stops_with_the_providers_message() {
    let dir = fixture("compliant");
    let (code, _, err) = run(&[dir.to_str().unwrap()], &[("PHI_POLICY_FILE", "")]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("PHI_POLICY_FILE is set but empty"), "{err}");
    assert!(!err.contains("--policy"), "{err}");
}

#[test]
fn a_missing_file_named_by_the_variable_stops_the_run() {
    let dir = fixture("compliant");
    let (code, _, err) = run(
        &[dir.to_str().unwrap()],
        &[("PHI_POLICY_FILE", "/nonexistent/phi-policy.hcl")],
    );
    assert_eq!(code, 2);
    assert!(
        err.contains("/nonexistent/phi-policy.hcl: no such policy file (named by PHI_POLICY_FILE)"),
        "{err}"
    );
}

#[test]
fn policy_show_prints_the_effective_policy() {
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("p.hcl");
    std::fs::write(
        &policy,
        "regions {\n  profiles = [\"eu-adequacy\"]\n}\n\napproved_modules = [\"*\"]\nexception_max_days = 400\n\nexception \"PHI-LOG-001\" {\n  scope   = \"phi_audit_log_sink.dev-*\"\n  owner   = \"sec@acme\"\n  reason  = \"sandbox\"\n  expires = \"2020-01-31\"\n}\n",
    )
    .unwrap();
    let (code, out, err) = run(
        &["policy", "show"],
        &[("PHI_POLICY_FILE", policy.to_str().unwrap())],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("(from PHI_POLICY_FILE)"), "{out}");
    // The profile expanded: London and Zurich are in eu-adequacy.
    assert!(
        out.contains("eu-west-2") && out.contains("eu-central-2"),
        "{out}"
    );
    assert!(out.contains("audit retention: 2192 to 3653 days"), "{out}");
    assert!(out.contains("at most 400 days ahead"), "{out}");
    assert!(
        out.contains(
            "PHI-LOG-001 phi_audit_log_sink.dev-* owner sec@acme until 2020-01-31 [EXPIRED"
        ),
        "{out}"
    );
    // approved_modules = ["*"] is valid, with a warning.
    assert!(
        err.contains("warning") && err.contains("approved_modules contains \"*\""),
        "{err}"
    );
    let (code, out, _) = run(&["policy", "show"], &[]);
    assert_eq!(code, 0);
    assert!(
        out.starts_with("policy: the built-in baseline")
            || out.starts_with("policy: /etc/phi-guard/phi-policy.hcl"),
        "{out}"
    );
}
