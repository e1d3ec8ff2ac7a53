//! `import {}` with `terraform plan -generate-config-out`: the configuration
//! Terraform writes from an imported bucket or database is one the provider
//! accepts, its plan lists the compliance changes per control, and after the
//! apply the next plan is empty. moto holds the objects, made by hand through
//! the SDK as a team would have them before phi-guard. Where a required
//! argument cannot be found (a bucket no sink's trail records), the plan is
//! refused naming what to write.

use aws_sdk_cloudtrail::types::{AdvancedEventSelector, AdvancedFieldSelector};
use aws_sdk_s3::types::{
    BucketLocationConstraint, CreateBucketConfiguration, ServerSideEncryption,
    ServerSideEncryptionByDefault, ServerSideEncryptionConfiguration, ServerSideEncryptionRule,
};
use phi_acceptance::network::private_network;
use phi_acceptance::suite::{Env, env, sink_with_buckets};
use phi_acceptance::{TfRun, Workdir};

const SINK: &str = "acme-audit";
const BUCKET: &str = "acme-legacy-scans";

/// `terraform plan -generate-config-out=gen.tf`.
fn plan_generating(wd: &Workdir) -> TfRun {
    wd.terraform(&[
        "plan",
        "-no-color",
        "-input=false",
        "-generate-config-out=gen.tf",
    ])
}

fn generated(wd: &Workdir) -> String {
    std::fs::read_to_string(wd.path().join("gen.tf")).expect("gen.tf written")
}

/// No sentinel value in a generated file: no empty string, no "none".
#[track_caller]
fn assert_no_sentinel(written: &str) {
    assert!(!written.contains("\"\""), "empty string in:\n{written}");
    assert!(!written.contains("\"none\""), "\"none\" in:\n{written}");
}

/// The line `name = value` of a generated file, whitespace folded.
fn has_line(written: &str, name: &str, value: &str) -> bool {
    written.lines().any(|l| {
        let words: Vec<&str> = l.split_whitespace().collect();
        words == [name, "=", value]
    })
}

/// A bucket as a team made it: SSE-KMS with its customer-managed key (no
/// bucket key), nothing else of the baseline, one object in it.
async fn hand_made_bucket(e: &Env) {
    let s3 = &e.aws.s3;
    s3.create_bucket()
        .bucket(BUCKET)
        .create_bucket_configuration(
            CreateBucketConfiguration::builder()
                .location_constraint(BucketLocationConstraint::EuCentral1)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let by_default = ServerSideEncryptionByDefault::builder()
        .sse_algorithm(ServerSideEncryption::AwsKms)
        .kms_master_key_id(&e.key)
        .build()
        .unwrap();
    s3.put_bucket_encryption()
        .bucket(BUCKET)
        .server_side_encryption_configuration(
            ServerSideEncryptionConfiguration::builder()
                .rules(
                    ServerSideEncryptionRule::builder()
                        .apply_server_side_encryption_by_default(by_default)
                        .build(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    s3.put_object()
        .bucket(BUCKET)
        .key("scans/0001.dcm")
        .body(b"DICM".to_vec().into())
        .send()
        .await
        .unwrap();
}

/// The sink's trail records the bucket's object access, as a team set it up
/// by hand: a data-event selector of its own next to the sink's.
async fn record_bucket_in_sink_trail(e: &Env) {
    let trail = format!("phi-guard-{SINK}");
    let ct = &e.aws.cloudtrail;
    let current = ct
        .get_event_selectors()
        .trail_name(&trail)
        .send()
        .await
        .unwrap();
    let field = |name: &str, equals: Option<&str>, starts: Option<&str>| {
        AdvancedFieldSelector::builder()
            .field(name)
            .set_equals(equals.map(|v| vec![v.to_owned()]))
            .set_starts_with(starts.map(|v| vec![v.to_owned()]))
            .build()
            .unwrap()
    };
    let mut selectors = current.advanced_event_selectors().to_vec();
    selectors.push(
        AdvancedEventSelector::builder()
            .name("legacy scans object access")
            .field_selectors(field("eventCategory", Some("Data"), None))
            .field_selectors(field("resources.type", Some("AWS::S3::Object"), None))
            .field_selectors(field(
                "resources.ARN",
                None,
                Some(&format!("arn:aws:s3:::{BUCKET}/")),
            ))
            .build()
            .unwrap(),
    );
    ct.put_event_selectors()
        .trail_name(&trail)
        .set_advanced_event_selectors(Some(selectors))
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn a_generated_bucket_configuration_plans_applies_and_settles_or_names_the_missing_sink() {
    let e = env().await;
    let wd = Workdir::new(&e.moto);
    wd.write("main.tf", &sink_with_buckets(&e.key, SINK, 0, ""));
    wd.apply(&[]).assert_success();
    hand_made_bucket(&e).await;
    wd.write(
        "imports.tf",
        &format!("import {{\n  to = phi_bucket.scans\n  id = \"{BUCKET}\"\n}}\n"),
    );

    // No sink records the bucket yet: the file is written, with the key
    // from the bucket's default encryption, and the plan is refused naming
    // what to write for the sink.
    let refused = plan_generating(&wd);
    refused
        .assert_failure()
        .assert_contains("Missing required argument `audit_log_sink`")
        .assert_contains("Write `audit_log_sink = phi_audit_log_sink.<name>.id`");
    let written = generated(&wd);
    assert_no_sentinel(&written);
    assert!(has_line(&written, "audit_log_sink", "null"), "{written}");
    assert!(
        has_line(&written, "kms_key_arn", &format!("\"{}\"", e.key)),
        "{written}"
    );
    assert!(
        wd.state_json()["values"]["root_module"]["resources"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["type"] != "phi_bucket")
    );

    // Once the sink's trail records the bucket, the import finds the sink.
    record_bucket_in_sink_trail(&e).await;
    std::fs::remove_file(wd.path().join("gen.tf")).unwrap();
    let plan = plan_generating(&wd);
    plan.assert_success()
        .assert_contains("phi_bucket.scans will be updated in-place")
        .assert_contains(&format!("(imported from \"{BUCKET}\")"))
        .assert_contains("\"PHI-S3-002\"")
        .assert_contains("\"PHI-S3-003\"")
        .assert_contains("\"PHI-S3-005\"")
        .assert_contains("1 to import, 0 to add, 1 to change, 0 to destroy");
    let written = generated(&wd);
    assert_no_sentinel(&written);
    assert!(
        has_line(&written, "audit_log_sink", &format!("\"{SINK}\"")),
        "{written}"
    );
    assert!(
        has_line(&written, "kms_key_arn", &format!("\"{}\"", e.key)),
        "{written}"
    );
    // Defaults are left out: SSE-KMS is the default algorithm, protection
    // is on by default, and the rest AWS did not report.
    for default in [
        "encryption_algorithm",
        "deletion_protection",
        "minimum_tls_version",
        "noncurrent_version_retention_days",
    ] {
        assert!(
            !written.lines().any(|l| l.trim_start().starts_with(default)),
            "{default} in:\n{written}"
        );
    }

    wd.apply(&[]).assert_success();
    let second = wd.plan(&[]);
    assert_eq!(
        second.code,
        0,
        "second plan not empty:\n{}",
        second.combined()
    );
    phi_acceptance::suite::assert_s3_baseline(&e.aws.s3, BUCKET, &e.key, "1.2").await;
}

#[tokio::test]
async fn a_generated_database_configuration_plans_applies_and_settles() {
    let e = env().await;
    let net = private_network(&e.moto, "acme-private");
    let config = phi_acceptance::aws::sdk_config(&e.moto, "eu-central-1").await;
    let rds = aws_sdk_rds::Client::new(&config);
    // Made by hand: encrypted with the team's key in its private network,
    // but public, one day of backups, a master user of its own name, no TLS
    // group, no log exports, no IAM authentication.
    rds.create_db_instance()
        .db_instance_identifier("acme-ehr")
        .engine("postgres")
        .engine_version("16.4")
        .db_instance_class("db.t3.medium")
        .allocated_storage(50)
        .storage_encrypted(true)
        .kms_key_id(&e.key)
        .master_username("ehradmin")
        .master_user_password("hunter2hunter2")
        .backup_retention_period(1)
        .publicly_accessible(true)
        .db_subnet_group_name(&net.subnet_group)
        .vpc_security_group_ids(&net.security_group)
        .send()
        .await
        .unwrap();
    let wd = Workdir::new(&e.moto);
    wd.write(
        "main.tf",
        "terraform {\n  required_providers {\n    phi = { source = \"phi-guard/phi\" }\n  }\n}\n\
         provider \"phi\" {\n  region = \"eu-central-1\"\n}\n\
         import {\n  to = phi_database.ehr\n  id = \"acme-ehr\"\n}\n",
    );
    let plan = plan_generating(&wd);
    plan.assert_success()
        .assert_contains("phi_database.ehr will be updated in-place")
        .assert_contains("(imported from \"acme-ehr\")")
        .assert_contains("\"PHI-RDS-002\"")
        .assert_contains("\"PHI-RDS-003\"")
        .assert_contains("\"PHI-RDS-004\"")
        .assert_contains("+ backup_retention_days")
        .assert_contains("1 to import, 0 to add, 1 to change, 0 to destroy");
    assert!(!plan.stdout.contains("must be replaced"), "{}", plan.stdout);
    let written = generated(&wd);
    assert_no_sentinel(&written);
    assert!(
        has_line(&written, "kms_key_arn", &format!("\"{}\"", e.key)),
        "{written}"
    );
    // Not the default: kept, or the plan would replace the database.
    assert!(
        has_line(&written, "master_username", "\"ehradmin\""),
        "{written}"
    );
    assert!(
        has_line(
            &written,
            "db_subnet_group_name",
            &format!("\"{}\"", net.subnet_group)
        ),
        "{written}"
    );
    // Public access is refused by the policy: left to the default (false).
    // The refresh after the import reads it back as true; the provider's
    // GenerateResourceConfig (Terraform 1.14+) leaves it out again.
    assert!(
        has_line(&written, "publicly_accessible", "null"),
        "{written}"
    );
    // One day of backups is refused by the policy: left to the default.
    assert!(!written.contains("backup_retention_days"), "{written}");
    assert!(!written.contains("hunter2"), "{written}");

    wd.apply(&[]).assert_success();
    let second = wd.plan(&[]);
    assert_eq!(
        second.code,
        0,
        "second plan not empty:\n{}",
        second.combined()
    );
    assert!(!wd.state_file().contains("hunter2"));
}

#[tokio::test]
async fn a_generated_sink_configuration_takes_key_and_retention_from_the_archive() {
    use aws_sdk_s3::types::{
        DefaultRetention, ObjectLockConfiguration, ObjectLockEnabled, ObjectLockRetentionMode,
        ObjectLockRule,
    };
    let e = env().await;
    let s3 = &e.aws.s3;
    // An archive made by hand: Object Lock in compliance mode for six
    // years, SSE-KMS with the team's key, nothing else of the baseline.
    s3.create_bucket()
        .bucket("legacy-audit")
        .object_lock_enabled_for_bucket(true)
        .create_bucket_configuration(
            CreateBucketConfiguration::builder()
                .location_constraint(BucketLocationConstraint::EuCentral1)
                .build(),
        )
        .send()
        .await
        .unwrap();
    s3.put_object_lock_configuration()
        .bucket("legacy-audit")
        .object_lock_configuration(
            ObjectLockConfiguration::builder()
                .object_lock_enabled(ObjectLockEnabled::Enabled)
                .rule(
                    ObjectLockRule::builder()
                        .default_retention(
                            DefaultRetention::builder()
                                .mode(ObjectLockRetentionMode::Compliance)
                                .days(2192)
                                .build(),
                        )
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    let by_default = ServerSideEncryptionByDefault::builder()
        .sse_algorithm(ServerSideEncryption::AwsKms)
        .kms_master_key_id(&e.key)
        .build()
        .unwrap();
    s3.put_bucket_encryption()
        .bucket("legacy-audit")
        .server_side_encryption_configuration(
            ServerSideEncryptionConfiguration::builder()
                .rules(
                    ServerSideEncryptionRule::builder()
                        .apply_server_side_encryption_by_default(by_default)
                        .build(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let wd = Workdir::new(&e.moto);
    wd.write(
        "main.tf",
        "terraform {\n  required_providers {\n    phi = { source = \"phi-guard/phi\" }\n  }\n}\n\
         provider \"phi\" {\n  region = \"eu-central-1\"\n}\n\
         import {\n  to = phi_audit_log_sink.main\n  id = \"legacy-audit\"\n}\n",
    );
    let plan = plan_generating(&wd);
    plan.assert_success()
        .assert_contains("phi_audit_log_sink.main will be updated in-place")
        .assert_contains("\"PHI-S3-002\"")
        .assert_contains("1 to import, 0 to add, 1 to change, 0 to destroy");
    let written = generated(&wd);
    assert_no_sentinel(&written);
    assert!(
        has_line(&written, "kms_key_arn", &format!("\"{}\"", e.key)),
        "{written}"
    );
    assert!(has_line(&written, "retention_days", "2192"), "{written}");
    // COMPLIANCE is the default mode: left out.
    assert!(!written.contains("object_lock_mode"), "{written}");
}
