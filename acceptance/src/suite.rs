//! Set-up and checks the per-resource suites share: a moto endpoint with SDK
//! clients and a compliant key, the line of a snippet in a configuration,
//! and the secure S3 baseline that every bucket the provider makes carries
//! (the audit sink's archive and every `phi_bucket`).

use aws_sdk_s3::types::ServerSideEncryption;

use crate::aws::{Clients, clients, create_cmk};
use crate::moto::Moto;
use crate::terraform::TfRun;

/// A moto endpoint, SDK clients for it in eu-central-1 and a rotating
/// customer-managed key there.
pub struct Env {
    pub moto: Moto,
    pub aws: Clients,
    pub key: String,
}

pub async fn env() -> Env {
    let moto = Moto::start().expect("moto starts");
    let aws = clients(&moto, "eu-central-1").await;
    let key = create_cmk(&aws, true).await;
    Env { moto, aws, key }
}

/// The line of `needle` in `text`, 1-based.
pub fn line_of(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|l| l.contains(needle))
        .expect("needle in config")
        + 1
}

/// Asserts that `plan` refused each control in `expected` (id, a snippet of
/// `config`) with an error that points at the snippet's line of `main.tf`:
/// the line is looked for in that control's own error, not anywhere in the
/// output. Also asserts that the refusals say how to fix them.
#[track_caller]
pub fn assert_refused_on_lines(plan: &TfRun, config: &str, expected: &[(&str, &str)]) {
    let output = plan.combined();
    let errors: Vec<&str> = output.split("Error: ").skip(1).collect();
    for (id, snippet) in expected {
        let line = format!("on main.tf line {}", line_of(config, snippet));
        assert!(
            errors
                .iter()
                .any(|e| e.starts_with(id) && e.contains(&line)),
            "expected an error {id} {line}:\n{output}"
        );
    }
    plan.assert_contains("How to fix:");
}

/// Asserts, through the SDK, the baseline of `bucket`: SSE-KMS with `key`
/// and the bucket key, all four public access blocks, ACLs disabled, and a
/// bucket policy that denies requests without TLS to anyone and below
/// `min_tls`.
pub async fn assert_s3_baseline(s3: &aws_sdk_s3::Client, bucket: &str, key: &str, min_tls: &str) {
    let enc = s3
        .get_bucket_encryption()
        .bucket(bucket)
        .send()
        .await
        .unwrap();
    let rule = &enc.server_side_encryption_configuration().unwrap().rules()[0];
    let default = rule.apply_server_side_encryption_by_default().unwrap();
    assert_eq!(default.sse_algorithm(), &ServerSideEncryption::AwsKms);
    assert_eq!(default.kms_master_key_id(), Some(key));
    assert_eq!(rule.bucket_key_enabled(), Some(true));

    let pab = s3
        .get_public_access_block()
        .bucket(bucket)
        .send()
        .await
        .unwrap();
    let pab = pab.public_access_block_configuration().unwrap();
    assert_eq!(
        [
            pab.block_public_acls(),
            pab.ignore_public_acls(),
            pab.block_public_policy(),
            pab.restrict_public_buckets()
        ],
        [Some(true); 4]
    );
    let ownership = s3
        .get_bucket_ownership_controls()
        .bucket(bucket)
        .send()
        .await
        .unwrap();
    assert_eq!(
        ownership.ownership_controls().unwrap().rules()[0]
            .object_ownership()
            .as_str(),
        "BucketOwnerEnforced"
    );
    let policy = s3.get_bucket_policy().bucket(bucket).send().await.unwrap();
    let policy: serde_json::Value = serde_json::from_str(policy.policy().unwrap()).unwrap();
    let statements = policy["Statement"].as_array().unwrap();
    assert!(statements.iter().any(|s| s["Effect"] == "Deny"
        && s["Principal"] == "*"
        && s["Condition"]["Bool"]["aws:SecureTransport"] == "false"));
    assert!(
        statements.iter().any(|s| s["Effect"] == "Deny"
            && s["Condition"]["NumericLessThan"]["s3:TlsVersion"] == min_tls)
    );
}

/// Asserts, through the SDK, that the DB instance `identifier` carries every
/// always-on setting of a `phi_database` created with `key`: storage and
/// master secret encrypted with the key, not public, IAM authentication,
/// copy tags to snapshots, deletion protection, backups, minor upgrades,
/// the current CA, every engine log exported, and the provider's TLS
/// parameter group.
pub async fn assert_database_secured(rds: &aws_sdk_rds::Client, identifier: &str, key: &str) {
    let out = rds
        .describe_db_instances()
        .db_instance_identifier(identifier)
        .send()
        .await
        .unwrap_or_else(|e| panic!("DescribeDBInstances {identifier}: {e:?}"));
    let i = &out.db_instances()[0];
    assert_eq!(i.storage_encrypted(), Some(true), "{identifier}");
    assert_eq!(i.kms_key_id(), Some(key), "{identifier}");
    assert_eq!(i.publicly_accessible(), Some(false), "{identifier}");
    assert_eq!(
        i.iam_database_authentication_enabled(),
        Some(true),
        "{identifier}"
    );
    assert_eq!(i.copy_tags_to_snapshot(), Some(true), "{identifier}");
    assert_eq!(i.deletion_protection(), Some(true), "{identifier}");
    assert!(
        i.backup_retention_period().unwrap_or(0) >= 7,
        "{identifier}"
    );
    assert_eq!(i.auto_minor_version_upgrade(), Some(true), "{identifier}");
    assert_eq!(
        i.ca_certificate_identifier(),
        Some("rds-ca-rsa2048-g1"),
        "{identifier}"
    );
    let mut exports = i.enabled_cloudwatch_logs_exports().to_vec();
    exports.sort();
    assert_eq!(exports, ["postgresql", "upgrade"], "{identifier}");
    let secret = i.master_user_secret().expect("a managed master secret");
    assert_eq!(secret.kms_key_id(), Some(key), "{identifier}");
    assert_eq!(
        i.db_parameter_groups()[0].db_parameter_group_name(),
        Some(format!("{identifier}-phi").as_str()),
        "{identifier}"
    );
}

/// Asserts, through the SDK, that the log group `name` is encrypted with
/// `key` and keeps its events `retention_days`.
pub async fn assert_log_group_secured(
    logs: &aws_sdk_cloudwatchlogs::Client,
    name: &str,
    key: &str,
    retention_days: i32,
) {
    let groups = logs
        .describe_log_groups()
        .log_group_name_prefix(name)
        .send()
        .await
        .unwrap();
    let group = groups
        .log_groups()
        .iter()
        .find(|g| g.log_group_name() == Some(name))
        .unwrap_or_else(|| panic!("log group {name} exists"));
    assert_eq!(group.kms_key_id(), Some(key), "{name}");
    assert_eq!(group.retention_in_days(), Some(retention_days), "{name}");
}

/// A root with one audit sink `sink` and `count` buckets `<sink>-NN` on it,
/// every one on `key`: the estate the throttling test and the refresh
/// benchmark refresh. `sink_extra` is added to the sink's block.
pub fn sink_with_buckets(key: &str, sink: &str, count: usize, sink_extra: &str) -> String {
    let mut tf = format!(
        "terraform {{\n  required_providers {{\n    phi = {{ source = \"phi-guard/phi\" }}\n  }}\n}}\n\
         provider \"phi\" {{\n  region = \"eu-central-1\"\n}}\n\
         resource \"phi_audit_log_sink\" \"main\" {{\n  name           = \"{sink}\"\n  \
         kms_key_arn    = \"{key}\"\n  retention_days = 2192\n{sink_extra}}}\n"
    );
    for i in 0..count {
        tf.push_str(&format!(
            "resource \"phi_bucket\" \"b{i}\" {{\n  name           = \"{sink}-{i:03}\"\n  \
             kms_key_arn    = \"{key}\"\n  audit_log_sink = phi_audit_log_sink.main.id\n}}\n"
        ));
    }
    tf
}
