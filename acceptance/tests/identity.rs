//! Resource identity (plugin protocol 6.9, Terraform 1.12+): the schemas
//! the provider announces, `import { identity = { ... } }` with a generated
//! configuration, the identity Terraform stores after apply and keeps through
//! a refresh, and an identity in another region refused.

use phi_acceptance::aws::MOTO_ACCOUNT;
use phi_acceptance::suite::{env, sink_with_buckets};
use phi_acceptance::{TfRun, Workdir};

const SINK: &str = "acme-audit";
/// The one bucket `sink_with_buckets(.., 1, ..)` makes.
const BUCKET: &str = "acme-audit-000";

fn import_by_identity(identity: &str) -> String {
    format!("import {{\n  to = phi_bucket.records\n  identity = {{\n{identity}\n  }}\n}}\n")
}

fn plan_generating(wd: &Workdir) -> TfRun {
    wd.terraform(&[
        "plan",
        "-no-color",
        "-input=false",
        "-generate-config-out=gen.tf",
    ])
}

/// The identity Terraform stored for `address` in the state file.
fn stored_identity(wd: &Workdir, address: &str) -> serde_json::Value {
    let state: serde_json::Value = serde_json::from_str(&wd.state_file()).unwrap();
    let (kind, name) = address.split_once('.').unwrap();
    state["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["type"] == kind && r["name"] == name)
        .unwrap_or_else(|| panic!("{address} not in state"))["instances"][0]["identity"]
        .clone()
}

#[tokio::test]
async fn a_bucket_imported_by_identity_keeps_its_identity_through_apply_and_refresh() {
    let e = env().await;
    let wd = Workdir::new(&e.moto);

    // The schemas: account and region optional, the name required.
    wd.write("main.tf", &sink_with_buckets(&e.key, SINK, 1, ""));
    wd.apply(&[]).assert_success();
    let schema = wd.terraform(&["providers", "schema", "-json"]);
    schema.assert_success();
    let schema: serde_json::Value = serde_json::from_str(&schema.stdout).unwrap();
    let identities = schema["provider_schemas"]
        .as_object()
        .unwrap()
        .values()
        .next()
        .unwrap()["resource_identity_schemas"]
        .clone();
    let bucket = &identities["phi_bucket"]["attributes"];
    assert_eq!(bucket["name"]["required_for_import"], true, "{identities}");
    assert_eq!(bucket["region"]["optional_for_import"], true);
    assert_eq!(bucket["account_id"]["optional_for_import"], true);
    assert!(identities["phi_database"]["attributes"]["identifier"].is_object());
    assert!(identities["phi_audit_log_sink"]["attributes"]["name"].is_object());

    // Created by Terraform: the identity is stored with the state.
    let created = stored_identity(&wd, "phi_bucket.b0");
    assert_eq!(
        created,
        serde_json::json!({"account_id": MOTO_ACCOUNT, "region": "eu-central-1", "name": BUCKET})
    );

    // Another root takes the bucket over by identity: this one lets go of it.
    wd.terraform(&["state", "rm", "-no-color", "phi_bucket.b0"])
        .assert_success();
    wd.write("main.tf", &sink_with_buckets(&e.key, SINK, 0, ""));

    // An identity in another region than the provider's is refused.
    wd.write(
        "imports.tf",
        &import_by_identity(&format!(
            "    name   = \"{BUCKET}\"\n    region = \"us-east-1\""
        )),
    );
    plan_generating(&wd)
        .assert_failure()
        .assert_contains("Identity in another region")
        .assert_contains("configured for eu-central-1");
    let _ = std::fs::remove_file(wd.path().join("gen.tf"));

    wd.write(
        "imports.tf",
        &import_by_identity(&format!(
            "    name       = \"{BUCKET}\"\n    account_id = \"{MOTO_ACCOUNT}\""
        )),
    );
    let plan = plan_generating(&wd);
    plan.assert_success()
        .assert_contains("phi_bucket.records will be")
        .assert_contains("1 to import");
    let written = std::fs::read_to_string(wd.path().join("gen.tf")).unwrap();
    assert!(written.contains(&format!("\"{SINK}\"")), "{written}");
    wd.apply(&[]).assert_success();
    let imported = stored_identity(&wd, "phi_bucket.records");
    assert_eq!(imported, created);

    // A refresh reads the bucket again; the identity is unchanged.
    wd.terraform(&[
        "apply",
        "-refresh-only",
        "-auto-approve",
        "-no-color",
        "-input=false",
    ])
    .assert_success();
    assert_eq!(stored_identity(&wd, "phi_bucket.records"), created);
    let second = wd.plan(&[]);
    assert_eq!(
        second.code,
        0,
        "second plan not empty:\n{}",
        second.combined()
    );
}
