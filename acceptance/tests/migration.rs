//! The migration guide, run: docs/guides/migrating-from-the-aws-provider.md
//! step for step. Its `terraform` blocks are written and its `shell` blocks
//! run, in the order of the page (marked `<!-- migration-test: ... -->`), so
//! the guide and this test cannot drift. moto holds a bucket and a
//! PostgreSQL instance (encrypted with the customer-managed key, in a
//! private subnet group behind a security group) created through the SDK;
//! the `hashicorp/aws` state is held by the test stand-in
//! (acceptance/standin-aws), the registry being out of reach. One moto and
//! one working directory serve the whole walk, as they would one team.

use aws_sdk_s3::types::{
    BucketLifecycleConfiguration, BucketLocationConstraint, BucketLoggingStatus,
    BucketVersioningStatus, CreateBucketConfiguration, ExpirationStatus, LifecycleRule,
    LifecycleRuleFilter, LoggingEnabled, NoncurrentVersionExpiration, ObjectOwnership,
    OwnershipControls, OwnershipControlsRule, PublicAccessBlockConfiguration, ServerSideEncryption,
    ServerSideEncryptionByDefault, ServerSideEncryptionConfiguration, ServerSideEncryptionRule,
    Tag, Tagging, VersioningConfiguration,
};
use phi_acceptance::network::{Network, private_network};
use phi_acceptance::suite::{Env, assert_database_secured, assert_s3_baseline, env};
use phi_acceptance::{TfRun, Workdir};

const GUIDE: &str = "docs/guides/migrating-from-the-aws-provider.md";
const BUCKET: &str = "acme-ehr-records";
const DATABASE: &str = "acme-ehr";
/// Where the bucket's server access logs go (the guide's
/// `aws_s3_bucket_logging`).
const ACCESS_LOGS: &str = "acme-access-logs";
const ACCESS_LOG_PREFIX: &str = "ehr-records/";
/// The seven `aws_s3_bucket_*` companions the guide hands over.
const COMPANIONS: [&str; 7] = [
    "aws_s3_bucket_versioning",
    "aws_s3_bucket_server_side_encryption_configuration",
    "aws_s3_bucket_public_access_block",
    "aws_s3_bucket_policy",
    "aws_s3_bucket_ownership_controls",
    "aws_s3_bucket_lifecycle_configuration",
    "aws_s3_bucket_logging",
];

/// One step of the guide.
#[derive(Debug, PartialEq)]
enum Step {
    /// Write this file (replacing it).
    File { name: String, contents: String },
    /// Run these terraform commands, one a line.
    Run(Vec<String>),
}

/// The marked blocks of the guide, in order.
fn guide_steps() -> Vec<Step> {
    let text = std::fs::read_to_string(phi_acceptance::repo_root().join(GUIDE)).expect("guide");
    let mut steps = Vec::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        let Some(marker) = line
            .trim()
            .strip_prefix("<!-- migration-test:")
            .and_then(|m| m.strip_suffix("-->"))
        else {
            continue;
        };
        let fence = lines.next().expect("a code block follows the marker");
        assert!(fence.starts_with("```"), "marker not followed by a block");
        let body: Vec<&str> = lines.by_ref().take_while(|l| *l != "```").collect();
        match marker.trim().split_once(' ') {
            Some(("file", name)) => steps.push(Step::File {
                name: name.trim().to_owned(),
                contents: body.join("\n") + "\n",
            }),
            None if marker.trim() == "run" => steps.push(Step::Run(
                body.iter()
                    .filter(|l| !l.trim().is_empty())
                    .map(|l| (*l).to_owned())
                    .collect(),
            )),
            _ => panic!("unknown marker {marker:?}"),
        }
    }
    steps
}

/// Runs one command of the guide with `-no-color -input=false` added after
/// the subcommand. (The key comes from `TF_VAR_kms_key_arn`, which, unlike
/// `-var`, the first steps may ignore before the variable is declared.)
fn run(wd: &Workdir, command: &str) -> TfRun {
    let words: Vec<&str> = command.split_whitespace().collect();
    assert_eq!(words[0], "terraform", "{command}");
    let mut args = vec![words[1], "-no-color", "-input=false"];
    args.extend(&words[2..]);
    wd.terraform(&args)
}

/// The bucket as a team has it before the move, made outside this test's
/// Terraform with the settings of the guide's seven companions: versioned,
/// SSE-S3, public access blocked, a policy denying plain HTTP, ownership
/// `BucketOwnerPreferred` (ACLs on), a lifecycle rule of its own, server
/// access logs into another bucket; tagged, with one object.
async fn existing_bucket(e: &Env) {
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
    s3.put_bucket_versioning()
        .bucket(BUCKET)
        .versioning_configuration(
            VersioningConfiguration::builder()
                .status(BucketVersioningStatus::Enabled)
                .build(),
        )
        .send()
        .await
        .unwrap();
    s3.put_bucket_tagging()
        .bucket(BUCKET)
        .tagging(
            Tagging::builder()
                .tag_set(
                    Tag::builder()
                        .key("data-class")
                        .value("phi")
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    // The object is written first: moto applies the policy below to plain
    // HTTP object requests, as S3 would.
    s3.put_object()
        .bucket(BUCKET)
        .key("patients/0001.json")
        .body(b"{}".to_vec().into())
        .send()
        .await
        .unwrap();
    // The settings of the guide's companions, as they made them.
    s3.put_bucket_encryption()
        .bucket(BUCKET)
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
    s3.put_public_access_block()
        .bucket(BUCKET)
        .public_access_block_configuration(
            PublicAccessBlockConfiguration::builder()
                .block_public_acls(true)
                .block_public_policy(true)
                .ignore_public_acls(true)
                .restrict_public_buckets(true)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let policy = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [format!("arn:aws:s3:::{BUCKET}"), format!("arn:aws:s3:::{BUCKET}/*")],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}}
        }]
    });
    s3.put_bucket_policy()
        .bucket(BUCKET)
        .policy(policy.to_string())
        .send()
        .await
        .unwrap();
    s3.put_bucket_ownership_controls()
        .bucket(BUCKET)
        .ownership_controls(
            OwnershipControls::builder()
                .rules(
                    OwnershipControlsRule::builder()
                        .object_ownership(ObjectOwnership::BucketOwnerPreferred)
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    s3.put_bucket_lifecycle_configuration()
        .bucket(BUCKET)
        .lifecycle_configuration(
            BucketLifecycleConfiguration::builder()
                .rules(
                    LifecycleRule::builder()
                        .id("expire-old-versions")
                        .status(ExpirationStatus::Enabled)
                        .filter(LifecycleRuleFilter::builder().prefix("").build())
                        .noncurrent_version_expiration(
                            NoncurrentVersionExpiration::builder()
                                .noncurrent_days(90)
                                .build(),
                        )
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    s3.create_bucket()
        .bucket(ACCESS_LOGS)
        .create_bucket_configuration(
            CreateBucketConfiguration::builder()
                .location_constraint(BucketLocationConstraint::EuCentral1)
                .build(),
        )
        .send()
        .await
        .unwrap();
    // The logging service may write there (AWS's recommended grant).
    let log_delivery = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "S3ServerAccessLogsPolicy",
            "Effect": "Allow",
            "Principal": {"Service": "logging.s3.amazonaws.com"},
            "Action": "s3:PutObject",
            "Resource": format!("arn:aws:s3:::{ACCESS_LOGS}/*")
        }]
    });
    s3.put_bucket_policy()
        .bucket(ACCESS_LOGS)
        .policy(log_delivery.to_string())
        .send()
        .await
        .unwrap();
    s3.put_bucket_logging()
        .bucket(BUCKET)
        .bucket_logging_status(
            BucketLoggingStatus::builder()
                .logging_enabled(
                    LoggingEnabled::builder()
                        .target_bucket(ACCESS_LOGS)
                        .target_prefix(ACCESS_LOG_PREFIX)
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
}

/// The database as a team has it before the move: PostgreSQL encrypted
/// with the customer-managed key, in a private subnet group, the master
/// password managed by RDS (its secret under the default key), a week of
/// backups, and none of the other controls: no IAM authentication, no log
/// exports, no deletion protection, the default parameter group.
async fn existing_database(rds: &aws_sdk_rds::Client, key: &str, net: &Network) {
    rds.create_db_instance()
        .db_instance_identifier(DATABASE)
        .engine("postgres")
        .engine_version("16.4")
        .db_instance_class("db.t3.medium")
        .allocated_storage(50)
        .storage_encrypted(true)
        .kms_key_id(key)
        .master_username("ehradmin")
        .manage_master_user_password(true)
        .db_subnet_group_name(&net.subnet_group)
        .vpc_security_group_ids(&net.security_group)
        .backup_retention_period(7)
        .publicly_accessible(false)
        .tags(
            aws_sdk_rds::types::Tag::builder()
                .key("data-class")
                .value("phi")
                .build(),
        )
        .send()
        .await
        .unwrap();
}

/// What identifies the instance as the same one: its resource id (which
/// RDS never reuses) and its creation time.
async fn database_identity(rds: &aws_sdk_rds::Client) -> (Option<String>, Option<String>) {
    let out = rds
        .describe_db_instances()
        .db_instance_identifier(DATABASE)
        .send()
        .await
        .unwrap();
    let i = &out.db_instances()[0];
    (
        i.dbi_resource_id().map(str::to_owned),
        i.instance_create_time().map(|t| t.to_string()),
    )
}

/// A bucket's versioning status, read with boto3 from the tools venv:
/// moto's GetBucketVersioning answer does not parse in the Rust SDK.
fn versioning_status(e: &Env, bucket: &str) -> String {
    let python = phi_acceptance::tools_dir()
        .expect("tools installed")
        .join("venv/bin/python");
    let script = format!(
        "import boto3\n\
         s3 = boto3.client('s3', endpoint_url='{}', region_name='eu-central-1',\n\
         aws_access_key_id='testing', aws_secret_access_key='testing')\n\
         print(s3.get_bucket_versioning(Bucket='{bucket}').get('Status', 'never enabled'))\n",
        e.moto.endpoint()
    );
    let out = std::process::Command::new(python)
        .args(["-c", &script])
        .output()
        .expect("running boto3");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// The bucket's creation time (ListBuckets: an account-level call the new
/// TLS-only bucket policy does not govern).
async fn created_at(e: &Env) -> Option<aws_sdk_s3::primitives::DateTime> {
    let out = e.aws.s3.list_buckets().send().await.unwrap();
    out.buckets()
        .iter()
        .find(|b| b.name() == Some(BUCKET))
        .and_then(|b| b.creation_date().cloned())
}

fn resource_addresses(wd: &Workdir) -> Vec<String> {
    let state = wd.state_json();
    state["values"]["root_module"]["resources"]
        .as_array()
        .map(|rs| {
            rs.iter()
                .map(|r| r["address"].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// The walk's commands split in two: the bucket's (up to and including its
/// second plan) and the database's.
fn walk_commands(steps: &[Step]) -> (Vec<String>, Vec<String>) {
    let commands: Vec<String> = steps
        .iter()
        .filter_map(|s| match s {
            Step::Run(c) => Some(c.clone()),
            Step::File { .. } => None,
        })
        .flatten()
        .collect();
    let end = commands
        .iter()
        .position(|c| c == "terraform plan -detailed-exitcode")
        .expect("the bucket's walk ends with an empty plan")
        + 1;
    (commands[..end].to_vec(), commands[end..].to_vec())
}

#[test]
fn the_guide_has_the_walk_in_order() {
    let (bucket, database) = walk_commands(&guide_steps());
    let imports = bucket.len() - 4;
    assert!(
        bucket[..imports]
            .iter()
            .all(|c| c.starts_with("terraform import aws_s3_bucket")),
        "{bucket:?}"
    );
    assert!(bucket[0].starts_with("terraform import aws_s3_bucket.records"));
    // Every companion is imported, then let go of with `removed` and
    // `destroy = false` in the moved configuration.
    let steps = guide_steps();
    let moved_main = steps
        .iter()
        .filter_map(|s| match s {
            Step::File { name, contents } if name == "main.tf" => Some(contents.as_str()),
            _ => None,
        })
        .next_back()
        .expect("the guide writes main.tf");
    for companion in COMPANIONS {
        let import = format!("terraform import {companion}.records {BUCKET}");
        assert!(bucket.contains(&import), "{import} missing: {bucket:?}");
        let removed = format!(
            "removed {{\n  from = {companion}.records\n  lifecycle {{\n    destroy = false\n  }}\n}}"
        );
        assert!(moved_main.contains(&removed), "{removed} missing");
    }
    assert_eq!(
        &bucket[imports..],
        [
            "terraform apply -auto-approve -target=phi_audit_log_sink.main",
            "terraform plan",
            "terraform apply -auto-approve",
            "terraform plan -detailed-exitcode"
        ]
    );
    assert_eq!(
        database,
        [
            "terraform import aws_db_instance.ehr acme-ehr",
            "terraform plan",
            "terraform apply -auto-approve",
            "terraform plan -detailed-exitcode"
        ]
    );
}

#[tokio::test]
async fn the_guide_moves_a_bucket_and_a_database_from_the_aws_provider_without_replacing_them() {
    let e = env().await;
    let rds =
        aws_sdk_rds::Client::new(&phi_acceptance::aws::sdk_config(&e.moto, "eu-central-1").await);
    let net = private_network(&e.moto, "acme-private");
    existing_bucket(&e).await;
    existing_database(&rds, &e.key, &net).await;
    let created_before = created_at(&e).await;
    let database_before = database_identity(&rds).await;
    let mut wd = Workdir::new(&e.moto);
    wd.with_standin_aws();
    wd.env("TF_VAR_kms_key_arn", &e.key);
    wd.env("TF_VAR_ehr_security_group_id", &net.security_group);
    let steps = guide_steps();
    let (bucket_commands, _) = walk_commands(&steps);
    let first_bucket_plan = bucket_commands.len() - 3;
    let mut ran = Vec::new();
    for step in steps {
        match step {
            Step::File { name, contents } => {
                wd.write(&name, &contents);
            }
            Step::Run(commands) => {
                for command in commands {
                    if ran.len() == first_bucket_plan {
                        // Not in the guide: a move whose configuration would
                        // replace the bucket is refused, nothing changed.
                        let main = std::fs::read_to_string(wd.path().join("main.tf")).unwrap();
                        wd.write(
                            "main.tf",
                            &main.replacen(
                                &format!("name           = \"{BUCKET}\""),
                                "name           = \"acme-ehr-records-2\"",
                                1,
                            ),
                        );
                        let refused = run(&wd, "terraform plan");
                        refused
                            .assert_failure()
                            .assert_contains("Moving into phi_bucket would replace it")
                            .assert_contains("`name`");
                        wd.write("main.tf", &main);
                    }
                    if ran.len() == bucket_commands.len() + 1 {
                        // Not in the guide either: a database move whose
                        // master user differs from the instance's (RDS
                        // cannot rename it) is refused, not replaced.
                        let database =
                            std::fs::read_to_string(wd.path().join("database.tf")).unwrap();
                        let wrong = database.replacen(
                            "master_username      = \"ehradmin\"",
                            "master_username      = \"phiadmin\"",
                            1,
                        );
                        assert_ne!(wrong, database, "the guide's master_username line");
                        wd.write("database.tf", &wrong);
                        run(&wd, "terraform plan")
                            .assert_failure()
                            .assert_contains("Moving into phi_database would replace it")
                            .assert_contains("`master_username`");
                        wd.write("database.tf", &database);
                    }
                    let out = run(&wd, &command);
                    if command.starts_with("terraform import") {
                        assert_eq!(out.code, 0, "{command}:\n{}", out.combined());
                    }
                    ran.push((command, out));
                }
            }
        }
    }
    let (bucket_walk, database_walk) = ran.split_at(bucket_commands.len());
    let [imports @ .., sink, plan, apply, second_plan] = bucket_walk else {
        panic!("the bucket's walk has {} commands", bucket_walk.len())
    };
    for (command, out) in imports {
        assert_eq!(out.code, 0, "{command}:\n{}", out.combined());
    }
    assert_eq!(sink.1.code, 0, "{}", sink.1.combined());

    // The first plan: moved, updated in place, per-control changes, the
    // companions forgotten, nothing replaced or destroyed.
    let plan = &plan.1;
    assert_eq!(plan.code, 0, "{}", plan.combined());
    plan.assert_contains("phi_bucket.records will be updated in-place")
        .assert_contains("(moved from aws_s3_bucket.records)")
        .assert_contains("\"PHI-S3-001\"")
        .assert_contains("\"PHI-S3-004\"")
        .assert_contains("\"PHI-S3-011\" = \"no audit_log_sink\" -> \"data events recorded by trail phi-guard-acme-audit\"")
        .assert_contains("\"PHI-S3-003\" = \"BucketOwnerPreferred\" -> \"BucketOwnerEnforced\"")
        .assert_contains("\"PHI-S3-007\" = \"incomplete uploads never aborted; noncurrent versions expire after 90 days\"")
        .assert_contains("0 to add, 1 to change, 0 to destroy");
    for companion in COMPANIONS {
        plan.assert_contains(&format!(
            "{companion}.records will no longer be managed by Terraform"
        ));
    }
    assert!(
        !plan.stdout.contains("must be replaced") && !plan.stdout.contains("will be destroyed"),
        "{}",
        plan.stdout
    );
    // Settings the companions already made compliant are not changes.
    for met in ["PHI-S3-002", "PHI-S3-005"] {
        assert!(
            !plan.stdout.contains(&format!("\"{met}\" =")),
            "{met} listed as a change:\n{}",
            plan.stdout
        );
    }

    let apply = &apply.1;
    assert_eq!(apply.code, 0, "{}", apply.combined());
    let second = &second_plan.1;
    assert_eq!(
        second.code,
        0,
        "second plan not empty:\n{}",
        second.combined()
    );

    // Only the phi resources are left in state.
    let mut addresses = resource_addresses(&wd);
    addresses.sort();
    assert_eq!(
        addresses,
        [
            "phi_audit_log_sink.main",
            "phi_bucket.records",
            "phi_database.ehr"
        ]
    );

    // The same bucket, its object still there, now passing every control.
    let s3 = &e.aws.s3;
    assert_eq!(
        created_at(&e).await,
        created_before,
        "the bucket was not replaced: same creation time"
    );
    // Encryption, public access block, ownership (ACLs disabled) and the
    // TLS-only policy, each what phi_bucket requires.
    assert_s3_baseline(s3, BUCKET, &e.key, "1.2").await;
    // The policy is phi_bucket's document: the companion's statement is
    // replaced, as the guide says.
    let policy = s3.get_bucket_policy().bucket(BUCKET).send().await.unwrap();
    let policy: serde_json::Value = serde_json::from_str(policy.policy().unwrap()).unwrap();
    let sids: Vec<&str> = policy["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["Sid"].as_str())
        .collect();
    assert_eq!(
        sids,
        ["PhiGuardDenyInsecureTransport", "PhiGuardDenyOutdatedTls"]
    );
    // Versioning (already on) stays on.
    assert_eq!(versioning_status(&e, BUCKET), "Enabled");
    // The lifecycle: phi_bucket's one rule replaces the companion's.
    let lifecycle = s3
        .get_bucket_lifecycle_configuration()
        .bucket(BUCKET)
        .send()
        .await
        .unwrap();
    let [rule] = lifecycle.rules() else {
        panic!("one lifecycle rule: {lifecycle:?}")
    };
    assert_eq!(rule.id(), Some("phi-guard-baseline"));
    assert_eq!(rule.status(), &ExpirationStatus::Enabled);
    assert_eq!(
        rule.abort_incomplete_multipart_upload()
            .and_then(|a| a.days_after_initiation()),
        Some(7)
    );
    assert_eq!(
        rule.noncurrent_version_expiration()
            .and_then(|n| n.noncurrent_days()),
        Some(365)
    );
    assert!(rule.expiration().is_none(), "current objects never expire");
    // Logging is not a phi_bucket setting: the server access logs the
    // companion set up still flow (removed with destroy = false), and object
    // access is recorded by the sink's trail (PHI-S3-011).
    let logging = s3.get_bucket_logging().bucket(BUCKET).send().await.unwrap();
    let logging = logging.logging_enabled().expect("access logging kept");
    assert_eq!(logging.target_bucket(), ACCESS_LOGS);
    assert_eq!(logging.target_prefix(), ACCESS_LOG_PREFIX);
    assert!(
        phi_acceptance::aws::recorded_prefixes(&e.aws, "acme-audit")
            .await
            .iter()
            .any(|p| p.starts_with(&format!("arn:aws:s3:::{BUCKET}/"))),
        "data events of {BUCKET} recorded by the sink's trail"
    );
    let state = wd.state_json();
    let bucket = state["values"]["root_module"]["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["type"] == "phi_bucket")
        .unwrap();
    assert_eq!(bucket["values"]["kms_key_arn"], e.key.as_str());
    assert_eq!(bucket["values"]["audit_log_sink"], "acme-audit");
    assert_eq!(bucket["values"]["deletion_protection"], true);

    // The database's walk: imported into the aws state, moved, planned per
    // control, applied in place, then an empty plan.
    let [import, plan, apply, second_plan] = database_walk else {
        panic!("the database's walk has {} commands", database_walk.len())
    };
    assert_eq!(import.1.code, 0, "{}", import.1.combined());
    let plan = &plan.1;
    assert_eq!(plan.code, 0, "{}", plan.combined());
    plan.assert_contains("phi_database.ehr will be updated in-place")
        .assert_contains("(moved from aws_db_instance.ehr)")
        .assert_contains("backup_retention_days  = 7 -> 14")
        .assert_contains("deletion_protection    = false -> true")
        .assert_contains("parameter_group_name   = \"default.postgres16\" -> \"acme-ehr-phi\"")
        .assert_contains("This apply reboots the database")
        .assert_contains("0 to add, 1 to change, 0 to destroy");
    // Per control, what RDS has now and what it will have.
    for control in [
        "PHI-RDS-003",
        "PHI-RDS-004",
        "PHI-RDS-005",
        "PHI-RDS-006",
        "PHI-RDS-011",
        "PHI-RDS-012",
        "PHI-RDS-015",
    ] {
        assert!(
            plan.stdout
                .lines()
                .any(|l| l.contains(&format!("~ \"{control}\" = ")) && l.contains(" -> ")),
            "{control} not listed as a change:\n{}",
            plan.stdout
        );
    }
    plan.assert_contains("\"PHI-RDS-005\" = \"off\" -> \"on\"");
    assert!(
        !plan.stdout.contains("must be replaced") && !plan.stdout.contains("will be destroyed"),
        "{}",
        plan.stdout
    );
    let apply = &apply.1;
    assert_eq!(apply.code, 0, "{}", apply.combined());
    let second = &second_plan.1;
    assert_eq!(
        second.code,
        0,
        "second plan not empty:\n{}",
        second.combined()
    );
    assert_eq!(
        database_identity(&rds).await,
        database_before,
        "the database was not replaced: same resource id and creation time"
    );
    assert_database_secured(&rds, DATABASE, &e.key).await;
    let out = rds
        .describe_db_instances()
        .db_instance_identifier(DATABASE)
        .send()
        .await
        .unwrap();
    assert_eq!(out.db_instances()[0].backup_retention_period(), Some(14));
    let parameters = rds
        .describe_db_parameters()
        .db_parameter_group_name("acme-ehr-phi")
        .send()
        .await
        .unwrap();
    let force_ssl = parameters
        .parameters()
        .iter()
        .find(|p| p.parameter_name() == Some("rds.force_ssl"))
        .and_then(|p| p.parameter_value());
    assert_eq!(force_ssl, Some("1"), "the parameter group forces TLS");
    let database = state["values"]["root_module"]["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["type"] == "phi_database")
        .unwrap();
    assert_eq!(database["values"]["kms_key_arn"], e.key.as_str());
    assert_eq!(database["values"]["db_subnet_group_name"], "acme-private");
    assert_eq!(
        database["values"]["vpc_security_group_ids"],
        serde_json::json!([net.security_group])
    );
}
