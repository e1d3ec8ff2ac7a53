//! Key-policy checks at plan (PHI-KMS-010, -011, -012), end to end: keys
//! created on the local endpoint with a given key policy, real Terraform and
//! the real provider binary, which reads the policy with kms:GetKeyPolicy.
//! moto stores key policies but does not enforce them; what is proven here is
//! that the provider reads and judges the policy before anything is created.

use phi_acceptance::Workdir;
use phi_acceptance::aws::{MOTO_ACCOUNT, bucket_names, create_cmk_with_policy};
use phi_acceptance::network::{Network, private_network};
use phi_acceptance::suite::env;

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

fn sink(name: &str) -> String {
    format!(
        "{PROVIDER}\nresource \"phi_audit_log_sink\" \"main\" {{\n  name           = \"{name}\"\n  kms_key_arn    = var.key\n  retention_days = 2192\n}}\n"
    )
}

/// A database on `net`, a private network on the endpoint, so that the key
/// is the only thing the plan can refuse.
fn database(identifier: &str, net: &Network) -> String {
    format!(
        "{PROVIDER}\nresource \"phi_database\" \"main\" {{\n  identifier             = \"{identifier}\"\n  engine                 = \"postgres\"\n  engine_version         = \"16.4\"\n  instance_class         = \"db.t3.medium\"\n  allocated_storage_gb   = 20\n  kms_key_arn            = var.key\n  audit_log_sink         = \"acme-audit\"\n  db_subnet_group_name   = \"{}\"\n  vpc_security_group_ids = [\"{}\"]\n}}\n",
        net.subnet_group, net.security_group
    )
}

/// What KMS writes when CreateKey gets no policy: the account may do
/// anything through IAM, no service principal is named.
fn default_policy() -> String {
    serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "Enable IAM User Permissions",
            "Effect": "Allow",
            "Principal": {"AWS": format!("arn:aws:iam::{MOTO_ACCOUNT}:root")},
            "Action": "kms:*",
            "Resource": "*"
        }]
    })
    .to_string()
}

#[tokio::test]
async fn a_key_whose_policy_grants_everyone_is_refused_at_plan() {
    let e = env().await;
    let open = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "Everyone",
            "Effect": "Allow",
            "Principal": "*",
            "Action": "kms:*",
            "Resource": "*"
        }]
    })
    .to_string();
    let key = create_cmk_with_policy(&e.aws, true, &open).await;
    let wd = Workdir::new(&e.moto);
    wd.write("main.tf", &sink("acme-open"));
    wd.plan(&[("key", &key)])
        .assert_failure()
        .assert_contains("Error: PHI-KMS-010")
        .assert_contains("every principal");
    assert!(bucket_names(&e.aws).await.is_empty());
}

#[tokio::test]
async fn a_key_that_does_not_admit_logs_is_refused_at_plan_with_the_statement_to_add() {
    let e = env().await;
    let key = create_cmk_with_policy(&e.aws, true, &default_policy()).await;
    let wd = Workdir::new(&e.moto);
    wd.write("main.tf", &sink("acme-nologs"));
    let plan = wd.plan(&[("key", &key)]);
    plan.assert_failure()
        .assert_contains("Error: PHI-KMS-011")
        .assert_contains("does not let CloudWatch Logs use the key")
        .assert_contains("\"logs.eu-central-1.amazonaws.com\"")
        .assert_contains("arn:aws:logs:eu-central-1:123456789012:log-group:*")
        .assert_contains("does not let CloudTrail use the key");
    // The default policy admits S3 through IAM: only the two refusals.
    assert_eq!(plan.combined().matches("Error: PHI-KMS-011").count(), 2);
    assert!(bucket_names(&e.aws).await.is_empty());
    // The statement the refusal printed, added to the key policy, is enough.
    // Terraform frames each line of a diagnostic with "│ ".
    let text: String = plan
        .combined()
        .lines()
        .map(|l| l.strip_prefix("│ ").or(l.strip_prefix("│")).unwrap_or(l))
        .collect::<Vec<_>>()
        .join("\n");
    let mut statements: Vec<serde_json::Value> = text
        .match_indices('{')
        .filter_map(|(i, _)| {
            let mut de = serde_json::Deserializer::from_str(&text[i..]).into_iter();
            de.next().and_then(Result::ok)
        })
        .filter(|s: &serde_json::Value| s.get("Effect").is_some())
        .collect();
    statements.dedup();
    assert_eq!(statements.len(), 2, "{text}");
    let mut fixed: serde_json::Value = serde_json::from_str(&default_policy()).unwrap();
    fixed["Statement"]
        .as_array_mut()
        .unwrap()
        .extend(statements);
    e.aws
        .kms
        .put_key_policy()
        .key_id(&key)
        .policy_name("default")
        .policy(fixed.to_string())
        .send()
        .await
        .unwrap();
    let fixed_plan = wd.plan(&[("key", &key)]);
    assert_eq!(fixed_plan.code, 2, "{}", fixed_plan.combined());
}

#[tokio::test]
async fn a_database_key_must_admit_rds_secrets_manager_and_logs() {
    let e = env().await;
    // RDS and Secrets Manager may use it, CloudWatch Logs may not.
    let policy = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"AWS": format!("arn:aws:iam::{MOTO_ACCOUNT}:root")},
            "Action": "kms:*",
            "Resource": "*",
            "Condition": {"StringEquals": {"kms:ViaService": [
                "rds.eu-central-1.amazonaws.com",
                "secretsmanager.eu-central-1.amazonaws.com"
            ]}}
        }]
    })
    .to_string();
    let key = create_cmk_with_policy(&e.aws, true, &policy).await;
    let wd = Workdir::new(&e.moto);
    let net = private_network(&e.moto, "acme-keypolicy");
    wd.write("main.tf", &database("acme-keypolicy", &net));
    let plan = wd.plan(&[("key", &key)]);
    plan.assert_failure()
        .assert_contains("Error: PHI-KMS-011")
        .assert_contains("does not let CloudWatch Logs use the key");
    let text = plan.combined();
    assert!(!text.contains("does not let Amazon RDS"), "{text}");
    assert!(!text.contains("does not let Secrets Manager"), "{text}");
}

#[tokio::test]
async fn a_policy_with_break_glass_principals_requires_the_guard_on_the_sink_key() {
    let e = env().await;
    let mut wd = Workdir::new(&e.moto);
    wd.write("main.tf", &sink("acme-guarded"));
    let policy_file = wd.path().join("phi-policy.hcl");
    let break_glass = format!("arn:aws:iam::{MOTO_ACCOUNT}:role/break-glass");
    std::fs::write(
        &policy_file,
        format!("kms {{\n  audit_key_break_glass_principals = [\"{break_glass}\"]\n}}\n"),
    )
    .unwrap();
    wd.env("PHI_POLICY_FILE", policy_file.to_str().unwrap());
    // The suite's key admits every service but has no guard.
    wd.plan(&[("key", &e.key)])
        .assert_failure()
        .assert_contains("Error: PHI-KMS-012")
        .assert_contains("kms:ScheduleKeyDeletion")
        .assert_contains(&break_glass);
    // With the Deny statement added, the plan passes.
    let mut guarded: serde_json::Value = serde_json::from_str(
        &phi_acceptance::aws::key_policy_admitting_every_service("eu-central-1"),
    )
    .unwrap();
    guarded["Statement"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!({
            "Effect": "Deny",
            "Principal": {"AWS": "*"},
            "Action": ["kms:DisableKey", "kms:ScheduleKeyDeletion", "kms:PutKeyPolicy"],
            "Resource": "*",
            "Condition": {"ArnNotEquals": {"aws:PrincipalArn": break_glass}}
        }));
    let key = create_cmk_with_policy(&e.aws, true, &guarded.to_string()).await;
    assert_eq!(wd.plan(&[("key", &key)]).code, 2);
}
