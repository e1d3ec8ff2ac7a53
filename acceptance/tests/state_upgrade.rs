//! State written by schema version 0 (the `enforced` map keyed by control id
//! and description, `phi_database.timeouts` a map of strings) is upgraded by
//! real Terraform through the provider's UpgradeResourceState: the plan is
//! empty, nothing is lost, and the state written back is at version 1 with
//! `enforced` keyed by control id alone. An attribute the provider does not
//! know stops the run instead of vanishing.

use phi_acceptance::Workdir;
use phi_acceptance::suite::env;

const ROOT: &str = r#"
terraform {
  required_providers {
    phi = { source = "phi-guard/phi" }
  }
}

provider "phi" {
  region = "eu-central-1"
}

variable "key" {
  type = string
}

resource "phi_audit_log_sink" "main" {
  name           = "acme-audit"
  kms_key_arn    = var.key
  retention_days = 2192
}

resource "phi_bucket" "records" {
  name           = "acme-records"
  kms_key_arn    = var.key
  audit_log_sink = phi_audit_log_sink.main.id
  tags = {
    data_classification = "phi"
    owner               = "records-team"
  }
}

check "records_are_versioned" {
  assert {
    condition     = phi_bucket.records.enforced["PHI-S3-005"] == "Enabled"
    error_message = "versioning is off"
  }
}
"#;

/// Rewrites every instance in the state file as version 0 wrote it: each
/// `enforced` key gets its description back (taken from `descriptions`).
fn rewrite_as_version_0(wd: &Workdir, descriptions: &[(&str, &str)]) {
    let path = wd.path().join("terraform.tfstate");
    let mut state: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    for resource in state["resources"].as_array_mut().unwrap() {
        for instance in resource["instances"].as_array_mut().unwrap() {
            instance["schema_version"] = 0.into();
            let attributes = instance["attributes"].as_object_mut().unwrap();
            attributes.remove("timeouts");
            let enforced = attributes["enforced"].as_object().unwrap().clone();
            let old: serde_json::Map<String, serde_json::Value> = enforced
                .into_iter()
                .map(|(id, v)| {
                    let name = descriptions
                        .iter()
                        .find(|(i, _)| *i == id)
                        .map_or(id.clone(), |(i, d)| format!("{i} {d}"));
                    (name, v)
                })
                .collect();
            attributes.insert("enforced".into(), old.into());
        }
    }
    std::fs::write(&path, serde_json::to_string_pretty(&state).unwrap()).unwrap();
}

#[tokio::test]
async fn version_0_state_is_upgraded_with_an_empty_plan_and_keyed_by_control_id() {
    let e = env().await;
    let wd = Workdir::new(&e.moto);
    wd.write("main.tf", ROOT);
    let vars = [("key", e.key.as_str())];
    wd.apply(&vars).assert_success();
    rewrite_as_version_0(
        &wd,
        &[
            ("PHI-S3-005", "versioning"),
            ("PHI-S3-002", "public access block"),
            ("PHI-LOG-001", "log group retention"),
        ],
    );
    let old = wd.state_file();
    assert!(old.contains("\"PHI-S3-005 versioning\""), "{old}");
    assert!(old.contains("\"schema_version\": 0"), "{old}");

    let plan = wd.plan(&vars);
    assert_eq!(
        plan.code,
        0,
        "upgraded state must plan empty:\n{}",
        plan.combined()
    );
    wd.apply(&vars).assert_success();
    let new = wd.state_file();
    assert!(!new.contains("\"schema_version\": 0"), "{new}");
    assert!(new.contains("\"schema_version\": 1"), "{new}");
    assert!(new.contains("\"PHI-S3-005\": \"Enabled\""), "{new}");
    assert!(!new.contains("PHI-S3-005 versioning"), "{new}");
    assert!(new.contains("\"PHI-LOG-001\""), "{new}");
}

#[tokio::test]
async fn an_attribute_the_provider_does_not_know_stops_the_plan_and_stays_in_state() {
    let e = env().await;
    let wd = Workdir::new(&e.moto);
    wd.write("main.tf", ROOT);
    let vars = [("key", e.key.as_str())];
    wd.apply(&vars).assert_success();
    let path = wd.path().join("terraform.tfstate");
    let mut state: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    for resource in state["resources"].as_array_mut().unwrap() {
        if resource["type"] == "phi_bucket" {
            // Older state (Terraform asks the provider to upgrade it) with
            // an attribute this schema does not have.
            resource["instances"][0]["schema_version"] = 0.into();
            resource["instances"][0]["attributes"]["object_lock_days"] = 30.into();
        }
    }
    std::fs::write(&path, serde_json::to_string_pretty(&state).unwrap()).unwrap();
    let plan = wd.plan(&vars);
    assert_eq!(plan.code, 1, "{}", plan.combined());
    plan.assert_contains("State cannot be upgraded")
        .assert_contains("object_lock_days");
    assert!(wd.state_file().contains("object_lock_days"));
}
