//! The oldest Terraform release the provider supports (1.6, as README,
//! docs, examples and modules declare) runs an example end to end: plan,
//! apply, an empty second plan, and a refusal. The other suites run on the
//! newest release; this one keeps the declared floor honest, including for
//! the `phi-lint review` and `evidence` reading that release's JSON.

use phi_acceptance::aws::{bucket_names, clients, create_cmk};
use phi_acceptance::{Moto, TerraformRelease, Workdir};

fn oldest(moto: &Moto) -> Workdir {
    let mut wd = Workdir::new(moto);
    wd.use_terraform(TerraformRelease::OldestSupported);
    wd
}

#[test]
fn the_oldest_supported_terraform_is_the_declared_one() {
    let moto = Moto::start().unwrap();
    let run = oldest(&moto).terraform(&["version"]);
    run.assert_success();
    assert!(
        run.stdout.starts_with("Terraform v1.6."),
        "{}",
        run.combined()
    );
    // Everything that names a minimum names this one.
    let root = phi_acceptance::repo_root();
    for file in [
        "README.md",
        "docs/index.md",
        "docs/guides/getting-started.md",
        "examples/phi-bucket/main.tf",
        "modules/phi-bucket/versions.tf",
        "modules/phi-database/versions.tf",
        "modules/audit-log-sink/versions.tf",
    ] {
        let text = std::fs::read_to_string(root.join(file)).unwrap();
        assert!(
            text.contains("\">= 1.6\"") || text.contains("Terraform 1.6 or newer"),
            "{file} does not declare Terraform 1.6 as the minimum"
        );
        assert!(!text.contains(">= 1.12"), "{file} still demands 1.12");
    }
}

#[tokio::test]
async fn the_bucket_example_plans_applies_and_replans_empty_on_the_oldest_terraform() {
    let moto = Moto::start().unwrap();
    let aws = clients(&moto, "eu-central-1").await;
    let key = create_cmk(&aws, true).await;
    let wd = oldest(&moto);
    wd.copy_example("phi-bucket");
    let vars = [("audit_key_arn", key.as_str())];
    let plan = wd.plan(&vars);
    assert_eq!(plan.code, 2, "{}", plan.combined());
    plan.assert_contains("phi_bucket.records will be created");
    wd.apply(&vars).assert_success();
    let replan = wd.plan(&vars);
    assert_eq!(
        replan.code,
        0,
        "second plan not empty:\n{}",
        replan.combined()
    );
    assert!(
        bucket_names(&aws)
            .await
            .contains(&"acme-records".to_owned())
    );

    // The reviewer's and the auditor's commands read this release's JSON
    // too: its state gives an all-pass evidence report, and a plan that
    // changes nothing has nothing for a reviewer.
    let state = wd.terraform(&["show", "-json", "-no-color"]);
    state.assert_success();
    std::fs::write(wd.path().join("state.json"), &state.stdout).unwrap();
    let evidence = lint(wd.path(), &["evidence", "state.json", "--format", "json"]);
    assert_eq!(evidence.0, 0, "{}", evidence.1);
    let doc: serde_json::Value = serde_json::from_str(&evidence.1).unwrap();
    assert_eq!(doc["status"], "pass", "{doc:#}");
    assert!(
        doc["state"]["terraform_version"]
            .as_str()
            .is_some_and(|v| v.starts_with("1.6.")),
        "{doc:#}"
    );
    let mut args = vec!["plan", "-no-color", "-input=false", "-out=quiet.tfplan"];
    let var = format!("audit_key_arn={key}");
    args.extend(["-var", var.as_str()]);
    wd.terraform(&args).assert_success();
    let plan = wd.terraform(&["show", "-json", "-no-color", "quiet.tfplan"]);
    plan.assert_success();
    std::fs::write(wd.path().join("plan.json"), &plan.stdout).unwrap();
    let review = lint(wd.path(), &["review", "plan.json", "--format", "json"]);
    assert_eq!(review.0, 0, "{}", review.1);
    let doc: serde_json::Value = serde_json::from_str(&review.1).unwrap();
    assert_eq!(doc["phi_changes"], serde_json::json!([]), "{doc:#}");
}

/// `phi-lint ARGS` in `dir`: exit code and stdout (stderr appended on
/// failure, for the assertion message).
fn lint(dir: &std::path::Path, args: &[&str]) -> (i32, String) {
    let out = std::process::Command::new(phi_acceptance::terraform::phi_lint())
        .args(args)
        .current_dir(dir)
        .env_remove("PHI_POLICY_FILE")
        .output()
        .expect("running phi-lint");
    let code = out.status.code().unwrap_or(-1);
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    if code != 0 {
        text.push_str(&String::from_utf8_lossy(&out.stderr));
    }
    (code, text)
}

#[tokio::test]
async fn a_refusal_example_is_refused_on_the_oldest_terraform() {
    let moto = Moto::start().unwrap();
    let aws = clients(&moto, "eu-central-1").await;
    let key = create_cmk(&aws, true).await;
    let wd = oldest(&moto);
    wd.copy_example("refusals/short-retention");
    let plan = wd.plan(&[("audit_key_arn", key.as_str())]);
    assert_eq!(plan.code, 1, "{}", plan.combined());
    plan.assert_contains("Error: PHI-LOG-001");
    assert!(bucket_names(&aws).await.is_empty());
}
