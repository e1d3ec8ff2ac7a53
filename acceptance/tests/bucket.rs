//! phi_bucket end to end: real Terraform, the real provider binary, moto on
//! loopback; outcomes asserted in Terraform's output and through the AWS SDK.

use aws_sdk_s3::types::{
    BucketLocationConstraint, BucketVersioningStatus, CreateBucketConfiguration,
    PublicAccessBlockConfiguration, ServerSideEncryption, ServerSideEncryptionByDefault,
    ServerSideEncryptionConfiguration, ServerSideEncryptionRule, VersioningConfiguration,
};
use phi_acceptance::Workdir;
use phi_acceptance::aws::{bucket_names, clients, create_cmk};
use phi_acceptance::suite::{Env, assert_refused_on_lines, assert_s3_baseline, env, line_of};

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

resource "phi_audit_log_sink" "main" {
  name           = "acme-audit"
  kms_key_arn    = var.key
  retention_days = 2192
  # The bucket's own protection is what these tests exercise; the sink's
  # would refuse every destroy first (see audit_archive.rs).
  deletion_protection = false
}
"#;

/// A sink and one bucket named `name` with extra arguments `body`.
fn stack(name: &str, body: &str) -> String {
    format!(
        "{PROVIDER}\nresource \"phi_bucket\" \"records\" {{\n  name           = \"{name}\"\n  kms_key_arn    = var.key\n  audit_log_sink = phi_audit_log_sink.main.id\n{body}\n}}\n"
    )
}

fn applied(e: &Env, name: &str, body: &str) -> Workdir {
    let wd = Workdir::new(&e.moto);
    wd.write("main.tf", &stack(name, body));
    wd.apply(&[("key", e.key.as_str())]).assert_success();
    wd
}

fn bucket_state(wd: &Workdir) -> serde_json::Value {
    let state = wd.state_json();
    state["values"]["root_module"]["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["type"] == "phi_bucket")
        .cloned()
        .unwrap_or(serde_json::Value::Null)
}

async fn assert_all_always_on_settings(e: &Env, wd: &Workdir, bucket: &str, min_tls: &str) {
    let s3 = &e.aws.s3;
    assert_s3_baseline(s3, bucket, &e.key, min_tls).await;

    let lifecycle = s3
        .get_bucket_lifecycle_configuration()
        .bucket(bucket)
        .send()
        .await
        .unwrap();
    let rule = &lifecycle.rules()[0];
    assert_eq!(
        rule.abort_incomplete_multipart_upload()
            .and_then(|a| a.days_after_initiation()),
        Some(7)
    );
    assert!(rule.expiration().is_none(), "current objects never expire");
    // moto's GetBucketVersioning answer needs the provider's compatibility
    // shim (provider/src/aws/compat.rs), so versioning is confirmed through
    // the provider's read of it, recorded in state.
    let state = bucket_state(wd);
    assert_eq!(
        state["values"]["enforced"]["PHI-S3-005"], "Enabled",
        "{state}"
    );
    // moto drops BlockedEncryptionTypes (CONTROLS.md §4); the request is
    // unit-tested in provider/src/resources/s3_common.rs.
}

#[tokio::test]
async fn compliant_bucket_applies_with_every_setting_confirmed_by_the_sdk() {
    let e = env().await;
    let wd = applied(
        &e,
        "acme-records",
        "  noncurrent_version_retention_days = 90\n  tags = { owner = \"records-team\" }",
    );
    assert_all_always_on_settings(&e, &wd, "acme-records", "1.2").await;
    let lifecycle = e
        .aws
        .s3
        .get_bucket_lifecycle_configuration()
        .bucket("acme-records")
        .send()
        .await
        .unwrap();
    assert_eq!(
        lifecycle.rules()[0]
            .noncurrent_version_expiration()
            .and_then(|n| n.noncurrent_days()),
        Some(90)
    );
    let tags = e
        .aws
        .s3
        .get_bucket_tagging()
        .bucket("acme-records")
        .send()
        .await
        .unwrap();
    assert!(
        tags.tag_set()
            .iter()
            .any(|t| t.key() == "owner" && t.value() == "records-team")
    );
    let plan = wd.plan(&[("key", e.key.as_str())]);
    assert_eq!(plan.code, 0, "second plan not empty:\n{}", plan.combined());
}

#[tokio::test]
async fn drift_behind_terraforms_back_shows_in_the_plan_and_apply_restores_it() {
    let e = env().await;
    let wd = applied(&e, "acme-drift", "");
    let vars = [("key", e.key.as_str())];
    let s3 = &e.aws.s3;
    s3.put_bucket_versioning()
        .bucket("acme-drift")
        .versioning_configuration(
            VersioningConfiguration::builder()
                .status(BucketVersioningStatus::Suspended)
                .build(),
        )
        .send()
        .await
        .unwrap();
    s3.put_public_access_block()
        .bucket("acme-drift")
        .public_access_block_configuration(
            PublicAccessBlockConfiguration::builder()
                .block_public_acls(false)
                .ignore_public_acls(false)
                .block_public_policy(false)
                .restrict_public_buckets(false)
                .build(),
        )
        .send()
        .await
        .unwrap();
    // A public policy replaces the TLS-only one.
    s3.put_bucket_policy()
        .bucket("acme-drift")
        .policy(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::acme-drift/*"}]}"#,
        )
        .send()
        .await
        .unwrap();
    s3.put_bucket_encryption()
        .bucket("acme-drift")
        .server_side_encryption_configuration(
            ServerSideEncryptionConfiguration::builder()
                .rules(
                    ServerSideEncryptionRule::builder()
                        .apply_server_side_encryption_by_default(
                            ServerSideEncryptionByDefault::builder()
                                .sse_algorithm(ServerSideEncryption::Aes256)
                                .build()
                                .unwrap(),
                        )
                        .build(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();

    let plan = wd.plan(&vars);
    assert_eq!(plan.code, 2, "drift must be pending:\n{}", plan.combined());
    plan.assert_contains("\"PHI-S3-005\"")
        .assert_contains("\"Suspended\" -> \"Enabled\"")
        .assert_contains("-> \"all four blocks on\"")
        .assert_contains("\"allows non-TLS requests\" -> \"denies non-TLS and TLS below 1.2\"")
        .assert_contains("\"AES256 key=none bucket_key=false\" ->");

    wd.apply(&vars).assert_success();
    assert_eq!(
        wd.plan(&vars).code,
        0,
        "apply did not restore the drifted settings"
    );
    assert_all_always_on_settings(&e, &wd, "acme-drift", "1.2").await;
}

#[tokio::test]
async fn every_violation_of_one_bucket_is_reported_at_once_on_its_line() {
    let e = env().await;
    let wd = Workdir::new(&e.moto);
    let config = format!(
        "{PROVIDER}\nresource \"phi_bucket\" \"records\" {{\n  name                 = \"acme-bad\"\n  kms_key_arn          = \"alias/aws/s3\"\n  audit_log_sink       = phi_audit_log_sink.main.id\n  encryption_algorithm = \"AES256\"\n  minimum_tls_version  = \"1.0\"\n  noncurrent_version_retention_days = 1\n  replication = {{\n    region             = \"ap-southeast-1\"\n    destination_bucket = \"acme-bad-dr\"\n    kms_key_arn        = \"arn:aws:kms:ap-southeast-1:123456789012:key/x\"\n    role_arn           = \"arn:aws:iam::123456789012:role/replication\"\n  }}\n}}\n"
    );
    wd.write("main.tf", &config);
    let plan = wd.plan(&[("key", e.key.as_str())]);
    assert_eq!(plan.code, 1, "{}", plan.combined());
    assert_refused_on_lines(
        &plan,
        &config,
        &[
            ("PHI-KMS-001", "alias/aws/s3"),
            ("PHI-KMS-002", "alias/aws/s3"),
            ("PHI-S3-001", "encryption_algorithm"),
            ("PHI-S3-004", "minimum_tls_version"),
            ("PHI-S3-008", "noncurrent_version_retention_days"),
            ("PHI-S3-010", "region             = \"ap-southeast-1\""),
        ],
    );
    // `terraform validate` checks the shape only: the policy's refusals all
    // come at plan, so that none hides another (see the next test).
    let validate = wd.terraform(&["validate", "-no-color"]);
    validate.assert_success();
    assert!(
        !validate.combined().contains("PHI-"),
        "{}",
        validate.combined()
    );
    assert!(!plan.combined().contains("panicked"));
    assert!(bucket_names(&e.aws).await.is_empty());
}

#[tokio::test]
async fn destroy_is_refused_while_deletion_protection_is_on() {
    let e = env().await;
    let wd = applied(&e, "acme-keep", "");
    let vars = [("key", e.key.as_str())];
    wd.destroy(&vars)
        .assert_failure()
        .assert_contains("PHI-S3-009")
        .assert_contains("deletion_protection = false");
    assert!(
        e.aws
            .s3
            .head_bucket()
            .bucket("acme-keep")
            .send()
            .await
            .is_ok(),
        "the protected bucket must still exist"
    );
    assert!(!bucket_state(&wd).is_null(), "and stay in state");
    // A rename would replace the bucket: refused too.
    wd.write("main.tf", &stack("acme-keep-renamed", ""));
    wd.plan(&vars)
        .assert_failure()
        .assert_contains("PHI-S3-009")
        .assert_contains("replace");

    wd.write(
        "main.tf",
        &stack("acme-keep", "  deletion_protection = false"),
    );
    wd.apply(&vars).assert_success();
    wd.destroy(&vars).assert_success();
    assert!(bucket_names(&e.aws).await.is_empty());
}

#[tokio::test]
async fn a_bucket_deleted_outside_terraform_leaves_state_and_is_recreated() {
    let e = env().await;
    let wd = applied(&e, "acme-gone", "");
    let vars = [("key", e.key.as_str())];
    e.aws
        .s3
        .delete_bucket()
        .bucket("acme-gone")
        .send()
        .await
        .unwrap();
    let plan = wd.plan(&vars);
    assert_eq!(plan.code, 2, "{}", plan.combined());
    plan.assert_contains("phi_bucket.records will be created");
    wd.apply(&vars).assert_success();
    assert_all_always_on_settings(&e, &wd, "acme-gone", "1.2").await;
}

#[tokio::test]
async fn import_adopts_a_bucket_and_the_next_plan_lists_what_must_change() {
    let e = env().await;
    // A hand-made bucket: default settings, no policy, no public access
    // block, no lifecycle, SSE-S3.
    e.aws
        .s3
        .create_bucket()
        .bucket("legacy-records")
        .create_bucket_configuration(
            CreateBucketConfiguration::builder()
                .location_constraint(BucketLocationConstraint::EuCentral1)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let wd = Workdir::new(&e.moto);
    wd.write("main.tf", &stack("legacy-records", ""));
    let vars = [("key", e.key.as_str())];
    // The sink first, so the bucket's reference resolves.
    wd.terraform(&[
        "apply",
        "-no-color",
        "-input=false",
        "-auto-approve",
        "-target=phi_audit_log_sink.main",
        &format!("-var=key={}", e.key),
    ])
    .assert_success();
    wd.import("phi_bucket.records", "legacy-records", &vars)
        .assert_success();
    let plan = wd.plan(&vars);
    assert_eq!(plan.code, 2, "{}", plan.combined());
    plan.assert_contains("~ update in-place")
        .assert_contains("\"PHI-S3-001\"")
        .assert_contains("\"PHI-S3-002\"")
        .assert_contains("\"PHI-S3-004\"")
        .assert_contains("\"PHI-S3-005\"")
        .assert_contains("\"PHI-S3-007\"");
    wd.apply(&vars).assert_success();
    assert_eq!(wd.plan(&vars).code, 0);
    assert_all_always_on_settings(&e, &wd, "legacy-records", "1.2").await;
}

#[tokio::test]
async fn a_bucket_needs_an_existing_audit_sink_at_apply() {
    let e = env().await;
    let wd = Workdir::new(&e.moto);
    wd.write(
        "main.tf",
        &format!(
            "{PROVIDER}\nresource \"phi_bucket\" \"records\" {{\n  name           = \"acme-orphan\"\n  kms_key_arn    = var.key\n  audit_log_sink = \"no-such-sink\"\n}}\n"
        ),
    );
    wd.terraform(&[
        "apply",
        "-no-color",
        "-input=false",
        "-auto-approve",
        "-target=phi_bucket.records",
        &format!("-var=key={}", e.key),
    ])
    .assert_failure()
    .assert_contains("Audit log sink not found");
    assert!(bucket_names(&e.aws).await.is_empty());
}

#[tokio::test]
async fn replication_goes_only_to_the_configured_region_with_its_key() {
    let e = env().await;
    // The destination: a versioned bucket in eu-west-1 and a key there.
    let west = clients(&e.moto, "eu-west-1").await;
    let replica_key = create_cmk(&west, true).await;
    west.s3
        .create_bucket()
        .bucket("acme-records-dr")
        .create_bucket_configuration(
            CreateBucketConfiguration::builder()
                .location_constraint(BucketLocationConstraint::EuWest1)
                .build(),
        )
        .send()
        .await
        .unwrap();
    west.s3
        .put_bucket_versioning()
        .bucket("acme-records-dr")
        .versioning_configuration(
            VersioningConfiguration::builder()
                .status(BucketVersioningStatus::Enabled)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let replication = |region: &str| {
        format!(
            "  replication = {{\n    region             = \"{region}\"\n    destination_bucket = \"acme-records-dr\"\n    kms_key_arn        = \"{replica_key}\"\n    role_arn           = \"arn:aws:iam::123456789012:role/replication\"\n  }}"
        )
    };
    let vars = [("key", e.key.as_str())];
    // Claiming another region than the destination's is refused at plan.
    let wd = Workdir::new(&e.moto);
    wd.write("main.tf", &stack("acme-records", &replication("eu-west-3")));
    wd.plan(&vars)
        .assert_failure()
        .assert_contains("Error: PHI-S3-010");

    let wd = Workdir::new(&e.moto);
    wd.write("main.tf", &stack("acme-records", &replication("eu-west-1")));
    wd.apply(&vars).assert_success();
    let out = e
        .aws
        .s3
        .get_bucket_replication()
        .bucket("acme-records")
        .send()
        .await
        .unwrap();
    let rule = &out.replication_configuration().unwrap().rules()[0];
    let dest = rule.destination().unwrap();
    assert_eq!(dest.bucket(), "arn:aws:s3:::acme-records-dr");
    assert_eq!(
        dest.encryption_configuration()
            .and_then(|c| c.replica_kms_key_id()),
        Some(replica_key.as_str())
    );
    assert_eq!(wd.plan(&vars).code, 0);
}

#[tokio::test]
async fn object_access_is_recorded_by_the_sinks_trail_into_the_sink() {
    let e = env().await;
    let two = format!(
        "{}\nresource \"phi_bucket\" \"images\" {{\n  name           = \"acme-images\"\n  kms_key_arn    = var.key\n  audit_log_sink = phi_audit_log_sink.main.id\n  deletion_protection = false\n}}\n",
        stack("acme-records", "")
    );
    let wd = Workdir::new(&e.moto);
    wd.write("main.tf", &two);
    let vars = [("key", e.key.as_str())];
    wd.apply(&vars).assert_success();

    // The sink owns one trail that delivers into its archive bucket,
    // encrypted with its key, with log file validation, logging.
    let ct = &e.aws.cloudtrail;
    let trail = ct
        .get_trail()
        .name("phi-guard-acme-audit")
        .send()
        .await
        .unwrap();
    let trail = trail.trail().unwrap();
    assert_eq!(trail.s3_bucket_name(), Some("acme-audit"));
    assert_eq!(trail.kms_key_id(), Some(e.key.as_str()));
    assert_eq!(trail.log_file_validation_enabled(), Some(true));
    assert_eq!(trail.is_multi_region_trail(), Some(true));
    let status = ct
        .get_trail_status()
        .name("phi-guard-acme-audit")
        .send()
        .await
        .unwrap();
    assert_eq!(status.is_logging(), Some(true));
    // Each bucket added its objects to the trail's data-event selector.
    let mut prefixes = phi_acceptance::aws::recorded_prefixes(&e.aws, "acme-audit").await;
    prefixes.sort();
    assert_eq!(
        prefixes,
        ["arn:aws:s3:::acme-images/", "arn:aws:s3:::acme-records/"]
    );
    assert_eq!(wd.plan(&vars).code, 0);

    // Someone narrows the trail to management events only: drift.
    ct.put_event_selectors()
        .trail_name("phi-guard-acme-audit")
        .advanced_event_selectors(
            aws_sdk_cloudtrail::types::AdvancedEventSelector::builder()
                .field_selectors(
                    aws_sdk_cloudtrail::types::AdvancedFieldSelector::builder()
                        .field("eventCategory")
                        .equals("Management")
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let plan = wd.plan(&vars);
    assert_eq!(plan.code, 2, "{}", plan.combined());
    plan.assert_contains("\"not recorded by trail phi-guard-acme-audit\" -> \"data events recorded by trail phi-guard-acme-audit\"");
    wd.apply(&vars).assert_success();
    assert_eq!(
        phi_acceptance::aws::recorded_prefixes(&e.aws, "acme-audit")
            .await
            .len(),
        2
    );
    assert_eq!(wd.plan(&vars).code, 0);

    // Destroying one bucket removes only its entry.
    wd.write("main.tf", &stack("acme-records", ""));
    wd.apply(&vars).assert_success();
    assert_eq!(
        phi_acceptance::aws::recorded_prefixes(&e.aws, "acme-audit").await,
        ["arn:aws:s3:::acme-records/"]
    );
}

#[tokio::test]
async fn a_key_unknown_at_plan_is_checked_at_apply_before_the_bucket_is_created() {
    let e = env().await;
    let disabled = create_cmk(&e.aws, true).await;
    phi_acceptance::aws::disable_key(&e.aws, &disabled).await;
    // terraform_data's output is unknown until apply, like the ARN of a key
    // created in the same run.
    let config = format!(
        "{PROVIDER}\nvariable \"bucket_key\" {{\n  type = string\n}}\n\nresource \"terraform_data\" \"key\" {{\n  input = var.bucket_key\n}}\n\nresource \"phi_bucket\" \"records\" {{\n  name           = \"acme-later\"\n  kms_key_arn    = terraform_data.key.output\n  audit_log_sink = phi_audit_log_sink.main.id\n}}\n"
    );
    let wd = Workdir::new(&e.moto);
    wd.write("main.tf", &config);
    let vars = [("key", e.key.as_str()), ("bucket_key", disabled.as_str())];
    let plan = wd.plan(&vars);
    assert_eq!(plan.code, 2, "{}", plan.combined());
    plan.assert_contains("KMS key will be verified at apply");
    wd.apply(&vars)
        .assert_failure()
        .assert_contains("Error: PHI-KMS-003");
    assert!(
        !bucket_names(&e.aws)
            .await
            .contains(&"acme-later".to_owned()),
        "nothing may be created with a non-compliant key"
    );
    assert!(bucket_state(&wd).is_null());
}

#[tokio::test]
async fn a_key_disabled_after_apply_is_refused_in_the_next_plan() {
    let e = env().await;
    let bucket_key = create_cmk(&e.aws, true).await;
    let wd = Workdir::new(&e.moto);
    wd.write(
        "main.tf",
        &format!(
            "{PROVIDER}\nresource \"phi_bucket\" \"records\" {{\n  name           = \"acme-keyed\"\n  kms_key_arn    = \"{bucket_key}\"\n  audit_log_sink = phi_audit_log_sink.main.id\n}}\n"
        ),
    );
    let vars = [("key", e.key.as_str())];
    wd.apply(&vars).assert_success();
    phi_acceptance::aws::disable_key(&e.aws, &bucket_key).await;
    wd.plan(&vars)
        .assert_failure()
        .assert_contains("Error: PHI-KMS-003");
}

/// One plan shows everything: a refusal decided from the configuration
/// (PHI-S3-008) and one that needs KMS (a disabled key, PHI-KMS-003) come
/// in the same plan, each naming the bucket. When the first was refused at
/// validate, Terraform stopped there and the key's state stayed unchecked
/// until the next plan.
#[tokio::test]
async fn one_plan_lists_configuration_and_kms_refusals_together() {
    let e = env().await;
    let disabled = create_cmk(&e.aws, true).await;
    phi_acceptance::aws::disable_key(&e.aws, &disabled).await;
    let wd = Workdir::new(&e.moto);
    let config = format!(
        "{PROVIDER}\nresource \"phi_bucket\" \"records\" {{\n  name           = \"acme-both\"\n  kms_key_arn    = \"{disabled}\"\n  audit_log_sink = phi_audit_log_sink.main.id\n  noncurrent_version_retention_days = 1\n}}\n"
    );
    wd.write("main.tf", &config);
    let plan = wd.plan(&[("key", e.key.as_str())]);
    assert_eq!(plan.code, 1, "{}", plan.combined());
    plan.assert_contains("Error: PHI-S3-008")
        .assert_contains("Error: PHI-KMS-003")
        .assert_contains("phi_bucket \"acme-both\"");
    plan.assert_contains(&format!(
        "on main.tf line {}",
        line_of(&config, "noncurrent_version_retention_days")
    ));
    assert!(!bucket_names(&e.aws).await.contains(&"acme-both".to_owned()));
}

/// Creates `name` in eu-west-1, versioned or not.
async fn west_bucket(west: &phi_acceptance::aws::Clients, name: &str, versioned: bool) {
    west.s3
        .create_bucket()
        .bucket(name)
        .create_bucket_configuration(
            CreateBucketConfiguration::builder()
                .location_constraint(BucketLocationConstraint::EuWest1)
                .build(),
        )
        .send()
        .await
        .unwrap();
    if versioned {
        west.s3
            .put_bucket_versioning()
            .bucket(name)
            .versioning_configuration(
                VersioningConfiguration::builder()
                    .status(BucketVersioningStatus::Enabled)
                    .build(),
            )
            .send()
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn a_disabled_replica_key_and_an_unversioned_destination_are_refused_at_plan() {
    let e = env().await;
    let west = clients(&e.moto, "eu-west-1").await;
    west_bucket(&west, "acme-dr-versioned", true).await;
    west_bucket(&west, "acme-dr-plain", false).await;
    let good_key = create_cmk(&west, true).await;
    let disabled_key = create_cmk(&west, true).await;
    phi_acceptance::aws::disable_key(&west, &disabled_key).await;
    let lazy_key = create_cmk(&west, false).await;
    let replication = |dest: &str, key: &str| {
        format!(
            "  replication = {{\n    region             = \"eu-west-1\"\n    destination_bucket = \"{dest}\"\n    kms_key_arn        = \"{key}\"\n    role_arn           = \"arn:aws:iam::123456789012:role/replication\"\n  }}"
        )
    };
    let vars = [("key", e.key.as_str())];
    for (dest, key, control, finding) in [
        (
            "acme-dr-versioned",
            &disabled_key,
            "PHI-KMS-003",
            "state is Disabled",
        ),
        (
            "acme-dr-versioned",
            &lazy_key,
            "PHI-KMS-004",
            "rotation is off",
        ),
        ("acme-dr-plain", &good_key, "PHI-S3-010", "is not versioned"),
    ] {
        let wd = Workdir::new(&e.moto);
        wd.write("main.tf", &stack("acme-records", &replication(dest, key)));
        let plan = wd.plan(&vars);
        plan.assert_failure()
            .assert_contains(&format!("Error: {control}"))
            .assert_contains(finding);
        assert_eq!(
            plan.combined().matches("Error: ").count(),
            1,
            "{}",
            plan.combined()
        );
    }
    // The compliant combination plans, and nothing was created.
    let wd = Workdir::new(&e.moto);
    wd.write(
        "main.tf",
        &stack("acme-records", &replication("acme-dr-versioned", &good_key)),
    );
    assert_eq!(wd.plan(&vars).code, 2);
    assert!(
        !bucket_names(&e.aws)
            .await
            .contains(&"acme-records".to_owned())
    );
}
