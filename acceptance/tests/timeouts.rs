//! The `timeouts { ... }` block every AWS resource takes, on all three
//! resources, with Terraform's duration syntax ("1h30m", "1.5h"): accepted,
//! kept in state without showing as a change, refused with a clear error
//! when malformed, and old `phi_database` state (where `timeouts` was a map
//! of strings) still read. That the waiters stop at the deadline is not
//! reachable here: moto makes a new bucket visible and an RDS instance
//! available at once, so the SDK waiter and `aws::rds::wait_for` succeed on
//! their first poll; `aws::rds`'s unit tests cover the deadline.

use phi_acceptance::network::{Network, private_network};
use phi_acceptance::suite::{env, line_of};
use phi_acceptance::{Moto, Workdir};

const PROVIDER: &str = r#"
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
"#;

fn sink(timeouts: &str) -> String {
    format!(
        r#"
resource "phi_audit_log_sink" "main" {{
  name           = "acme-audit"
  kms_key_arn    = var.key
  retention_days = 2192
{timeouts}
}}
"#
    )
}

fn bucket(timeouts: &str) -> String {
    format!(
        r#"
resource "phi_bucket" "records" {{
  name           = "acme-records"
  kms_key_arn    = var.key
  audit_log_sink = phi_audit_log_sink.main.id
  tags = {{
    data_classification = "phi"
    owner               = "records-team"
  }}
{timeouts}
}}
"#
    )
}

/// A database on `net`, the private network it requires (PHI-RDS-013/014).
fn database(timeouts: &str, net: &Network) -> String {
    format!(
        r#"
resource "phi_database" "ehr" {{
  identifier             = "acme-ehr"
  engine                 = "postgres"
  engine_version         = "16.4"
  instance_class         = "db.t3.medium"
  allocated_storage_gb   = 50
  kms_key_arn            = var.key
  deletion_protection    = false
  db_subnet_group_name   = "{subnet_group}"
  vpc_security_group_ids = ["{security_group}"]
{timeouts}
}}
"#,
        subnet_group = net.subnet_group,
        security_group = net.security_group,
    )
}

fn root(moto: &Moto, resources: &[String]) -> Workdir {
    let wd = Workdir::new(moto);
    wd.write("main.tf", &format!("{PROVIDER}{}", resources.concat()));
    wd
}

/// `attributes.timeouts` of `address` in `terraform show -json`.
fn timeouts_in_state(wd: &Workdir, address: &str) -> serde_json::Value {
    let state = wd.state_json();
    let resources = state["values"]["root_module"]["resources"]
        .as_array()
        .expect("resources in state");
    resources
        .iter()
        .find(|r| r["address"] == address)
        .unwrap_or_else(|| panic!("{address} not in state"))["values"]["timeouts"]
        .clone()
}

#[tokio::test]
async fn timeouts_blocks_in_go_duration_syntax_apply_on_every_resource_and_replan_empty() {
    let e = env().await;
    let net = private_network(&e.moto, "acme-private");
    let wd = root(
        &e.moto,
        &[
            sink("  timeouts {\n    create = \"1h30m\"\n  }"),
            bucket("  timeouts {\n    create = \"1.5h\"\n  }"),
            database(
                "  timeouts {\n    create = \"60m\"\n    update = \"1.5h\"\n    delete = \"45m\"\n  }",
                &net,
            ),
        ],
    );
    let vars = [("key", e.key.as_str())];
    wd.apply(&vars).assert_success();
    let replan = wd.plan(&vars);
    assert_eq!(
        replan.code,
        0,
        "second plan not empty:\n{}",
        replan.combined()
    );
    assert_eq!(
        timeouts_in_state(&wd, "phi_audit_log_sink.main")["create"],
        "1h30m"
    );
    assert_eq!(
        timeouts_in_state(&wd, "phi_bucket.records")["create"],
        "1.5h"
    );
    let db = timeouts_in_state(&wd, "phi_database.ehr");
    assert_eq!(
        (&db["create"], &db["update"], &db["delete"]),
        (
            &serde_json::json!("60m"),
            &serde_json::json!("1.5h"),
            &serde_json::json!("45m")
        )
    );
    // Without the block nothing changes either: it is configuration only.
    wd.write(
        "main.tf",
        &format!("{PROVIDER}{}{}{}", sink(""), bucket(""), database("", &net)),
    );
    let plan = wd.plan(&vars);
    assert_eq!(plan.code, 2, "{}", plan.combined());
    plan.assert_contains("3 to change, 0 to destroy");
    wd.apply(&vars).assert_success();
    assert!(timeouts_in_state(&wd, "phi_bucket.records").is_null());
    assert_eq!(wd.plan(&vars).code, 0);
}

#[tokio::test]
async fn a_malformed_timeout_is_refused_at_plan_on_its_line_before_anything_exists() {
    let e = env().await;
    let net = private_network(&e.moto, "acme-private");
    let wd = root(
        &e.moto,
        &[
            sink("  timeouts {\n    create = \"5d\"\n  }"),
            database("  timeouts {\n    delete = \"forever\"\n  }", &net),
        ],
    );
    let plan = wd.plan(&[("key", e.key.as_str())]);
    assert_eq!(plan.code, 1, "{}", plan.combined());
    plan.assert_contains("Error: Invalid timeout");
    plan.assert_contains("timeouts.create: \"5d\" is not a duration (unknown unit \"d\")");
    plan.assert_contains("timeouts.delete: \"forever\" is not a duration");
    let source = std::fs::read_to_string(wd.path().join("main.tf")).unwrap();
    plan.assert_contains(&format!("on main.tf line {}", line_of(&source, "\"5d\"")));
    plan.assert_contains(&format!(
        "on main.tf line {}",
        line_of(&source, "\"forever\"")
    ));
    assert!(phi_acceptance::aws::bucket_names(&e.aws).await.is_empty());

    // An operation the resource has no waiter for is not offered.
    wd.write(
        "main.tf",
        &format!(
            "{PROVIDER}{}{}",
            sink(""),
            bucket("  timeouts {\n    update = \"10m\"\n  }")
        ),
    );
    let plan = wd.plan(&[("key", e.key.as_str())]);
    assert_eq!(plan.code, 1, "{}", plan.combined());
    plan.assert_contains("An argument named \"update\" is not expected here");
}

/// State written before the block existed held `phi_database.timeouts` as
/// a map of strings; it is read into the block with its values.
#[tokio::test]
async fn database_state_with_the_old_timeouts_map_keeps_its_values() {
    let e = env().await;
    let net = private_network(&e.moto, "acme-private");
    let wd = root(&e.moto, &[database("", &net)]);
    let vars = [("key", e.key.as_str())];
    wd.apply(&vars).assert_success();
    let path = wd.path().join("terraform.tfstate");
    let mut state: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    state["resources"][0]["instances"][0]["attributes"]["timeouts"] =
        serde_json::json!({ "create": "60m" });
    std::fs::write(&path, serde_json::to_string_pretty(&state).unwrap()).unwrap();
    wd.write(
        "main.tf",
        &format!(
            "{PROVIDER}{}",
            database("  timeouts {\n    create = \"60m\"\n  }", &net)
        ),
    );
    let plan = wd.plan(&vars);
    assert_eq!(plan.code, 0, "{}", plan.combined());
    // An apply with nothing to do writes the upgraded state back.
    wd.apply(&vars).assert_success();
    let db = timeouts_in_state(&wd, "phi_database.ehr");
    assert_eq!(db["create"], "60m");
    assert!(db["update"].is_null() && db["delete"].is_null());
}
