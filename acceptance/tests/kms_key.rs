//! phi_kms_key end to end: real Terraform, the real provider binary, moto on
//! loopback; what was created and restored is read back through the SDK.
//! moto stores the key policy but does not evaluate it, and does not run
//! KMS's lockout safety check.

use phi_acceptance::Workdir;
use phi_acceptance::aws::bucket_names;
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
"#;

const ADMIN: &str = "arn:aws:iam::123456789012:role/platform-terraform";

fn audit_key(extra: &str) -> String {
    format!(
        "{PROVIDER}\nresource \"phi_kms_key\" \"audit\" {{\n  name               = \"acme-audit\"\n  description        = \"audit sink key\"\n  services           = [\"logs\", \"cloudtrail\", \"s3\"]\n  administrator_arns = [\"{ADMIN}\"]\n{extra}\n}}\n"
    )
}

fn key_id(wd: &Workdir) -> String {
    let state = wd.state_json();
    state["values"]["root_module"]["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["type"] == "phi_kms_key")
        .expect("a phi_kms_key in state")["values"]["arn"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn policy_of(kms: &aws_sdk_kms::Client, key: &str) -> serde_json::Value {
    let out = kms
        .get_key_policy()
        .key_id(key)
        .policy_name("default")
        .send()
        .await
        .unwrap();
    serde_json::from_str(out.policy().unwrap()).unwrap()
}

fn statement<'a>(policy: &'a serde_json::Value, sid: &str) -> &'a serde_json::Value {
    policy["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["Sid"] == sid)
        .unwrap_or_else(|| panic!("no statement {sid} in {policy}"))
}

#[tokio::test]
async fn phi_kms_key_creates_a_key_whose_policy_and_rotation_the_sdk_confirms() {
    let e = env().await;
    let wd = Workdir::new(&e.moto);
    // The key and a sink on it in one run: the sink's key-policy checks run
    // at apply on the policy the provider wrote.
    wd.write(
        "main.tf",
        &format!(
            "{}\nresource \"phi_audit_log_sink\" \"main\" {{\n  name           = \"acme-audit\"\n  kms_key_arn    = phi_kms_key.audit.arn\n  retention_days = 2192\n}}\n",
            audit_key("  rotation_period_days = 180")
        ),
    );
    wd.apply(&[]).assert_success();
    let arn = key_id(&wd);
    let kms = &e.aws.kms;

    let meta = kms.describe_key().key_id(&arn).send().await.unwrap();
    let meta = meta.key_metadata().unwrap();
    assert_eq!(meta.key_state().unwrap().as_str(), "Enabled");
    assert_eq!(meta.key_spec().unwrap().as_str(), "SYMMETRIC_DEFAULT");
    assert_eq!(meta.origin().unwrap().as_str(), "AWS_KMS");
    assert_eq!(meta.multi_region(), Some(false));
    assert_eq!(meta.description(), Some("audit sink key"));
    let rotation = kms
        .get_key_rotation_status()
        .key_id(&arn)
        .send()
        .await
        .unwrap();
    assert!(rotation.key_rotation_enabled());
    let aliases = kms.list_aliases().key_id(&arn).send().await.unwrap();
    assert!(
        aliases
            .aliases()
            .iter()
            .any(|a| a.alias_name() == Some("alias/acme-audit"))
    );

    let policy = policy_of(kms, &arn).await;
    let admin = statement(&policy, "AllowKeyAdministration");
    assert_eq!(admin["Principal"]["AWS"], serde_json::json!([ADMIN]));
    let admin_actions: Vec<&str> = admin["Action"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert!(admin_actions.contains(&"kms:PutKeyPolicy"));
    for usage in ["kms:Decrypt", "kms:Encrypt", "kms:CreateGrant", "kms:*"] {
        assert!(!admin_actions.contains(&usage), "admin may {usage}");
    }
    let logs = statement(&policy, "AllowUseByCloudWatchLogs");
    assert_eq!(
        logs["Principal"]["Service"],
        "logs.eu-central-1.amazonaws.com"
    );
    assert_eq!(
        logs["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"],
        "arn:aws:logs:eu-central-1:123456789012:log-group:*"
    );
    let trail = statement(&policy, "AllowUseByCloudTrail");
    assert_eq!(
        trail["Condition"]["StringEquals"]["aws:SourceAccount"],
        "123456789012"
    );
    let s3 = statement(&policy, "AllowUseByS3");
    assert_eq!(
        s3["Condition"]["StringEquals"]["kms:ViaService"],
        "s3.eu-central-1.amazonaws.com"
    );
    assert_eq!(
        s3["Condition"]["StringEquals"]["kms:CallerAccount"],
        "123456789012"
    );
    for s in policy["Statement"].as_array().unwrap() {
        assert_ne!(s["Principal"], "*", "{s}");
        assert_ne!(s["Principal"]["AWS"], "*", "{s}");
    }
    // The sink on it exists, and a second plan is empty.
    assert!(
        bucket_names(&e.aws)
            .await
            .contains(&"acme-audit".to_owned())
    );
    assert_eq!(wd.plan(&[]).code, 0, "{}", wd.plan(&[]).combined());
}

#[tokio::test]
async fn drift_in_its_policy_state_rotation_and_alias_is_shown_and_restored() {
    let e = env().await;
    let wd = Workdir::new(&e.moto);
    wd.write("main.tf", &audit_key(""));
    wd.apply(&[]).assert_success();
    let arn = key_id(&wd);
    let kms = &e.aws.kms;
    let written = policy_of(kms, &arn).await;

    // Someone opens the policy to everyone, disables the key, turns
    // rotation off and removes the alias.
    let open = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "kms:*", "Resource": "*"}]
    });
    kms.put_key_policy()
        .key_id(&arn)
        .policy_name("default")
        .policy(open.to_string())
        .send()
        .await
        .unwrap();
    kms.disable_key_rotation()
        .key_id(&arn)
        .send()
        .await
        .unwrap();
    phi_acceptance::aws::disable_key(&e.aws, &arn).await;
    kms.delete_alias()
        .alias_name("alias/acme-audit")
        .send()
        .await
        .unwrap();

    let plan = wd.plan(&[]);
    assert_eq!(plan.code, 2, "{}", plan.combined());
    plan.assert_contains("changed outside Terraform")
        .assert_contains("\"PHI-KMS-003\"")
        .assert_contains("\"Disabled\"")
        .assert_contains("\"PHI-KMS-004\"")
        .assert_contains("\"off\"")
        .assert_contains("\"none\"");

    wd.apply(&[]).assert_success();
    assert_eq!(policy_of(kms, &arn).await, written);
    let meta = kms.describe_key().key_id(&arn).send().await.unwrap();
    assert_eq!(
        meta.key_metadata().unwrap().key_state().unwrap().as_str(),
        "Enabled"
    );
    assert!(
        kms.get_key_rotation_status()
            .key_id(&arn)
            .send()
            .await
            .unwrap()
            .key_rotation_enabled()
    );
    let aliases = kms.list_aliases().key_id(&arn).send().await.unwrap();
    assert!(
        aliases
            .aliases()
            .iter()
            .any(|a| a.alias_name() == Some("alias/acme-audit"))
    );
    assert_eq!(wd.plan(&[]).code, 0);
}

#[tokio::test]
async fn destroy_is_refused_while_protected_and_then_schedules_deletion() {
    let e = env().await;
    let wd = Workdir::new(&e.moto);
    wd.write("main.tf", &audit_key("  deletion_window_days = 14"));
    wd.apply(&[]).assert_success();
    let arn = key_id(&wd);
    wd.destroy(&[])
        .assert_failure()
        .assert_contains("is protected from deletion");
    let state = |kms: &aws_sdk_kms::Client| {
        let kms = kms.clone();
        let arn = arn.clone();
        async move {
            kms.describe_key()
                .key_id(&arn)
                .send()
                .await
                .unwrap()
                .key_metadata()
                .unwrap()
                .key_state()
                .unwrap()
                .as_str()
                .to_owned()
        }
    };
    assert_eq!(state(&e.aws.kms).await, "Enabled");
    wd.write(
        "main.tf",
        &audit_key("  deletion_window_days = 14\n  deletion_protection = false"),
    );
    wd.apply(&[]).assert_success();
    wd.destroy(&[]).assert_success();
    assert_eq!(state(&e.aws.kms).await, "PendingDeletion");
}

#[tokio::test]
async fn invalid_arguments_are_refused_at_plan() {
    let e = env().await;
    let wd = Workdir::new(&e.moto);
    wd.write(
        "main.tf",
        &format!(
            "{PROVIDER}\nresource \"phi_kms_key\" \"bad\" {{\n  name               = \"aws/s3\"\n  services           = [\"s3\", \"dynamodb\"]\n  administrator_arns = [\"*\"]\n  rotation_period_days = 400\n}}\n"
        ),
    );
    wd.plan(&[])
        .assert_failure()
        .assert_contains("Invalid key name")
        .assert_contains("Unknown service")
        .assert_contains("Invalid administrator_arns")
        .assert_contains("Error: PHI-KMS-004");
    let keys = e.aws.kms.list_keys().send().await.unwrap();
    assert_eq!(keys.keys().len(), 1, "only the suite's own key exists");
}
