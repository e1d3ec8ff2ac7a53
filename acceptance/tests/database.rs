//! phi_database end to end: real Terraform, the real provider binary, moto
//! on loopback; outcomes asserted in Terraform's output and through the AWS
//! SDK. moto's RDS is instant (no `creating`/`modifying` phases) and reports
//! no engine-default parameters; the waiting, reboot and hand-made-instance
//! branches are unit-tested over SDK types in the provider (CONTROLS.md §4).

use aws_sdk_rds::types::{ApplyMethod, Parameter};
use phi_acceptance::aws::{Clients, clients, create_cmk, sdk_config};
use phi_acceptance::network::{Network, private_network, private_network_as};
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

variable "subnet_group" {
  type = string
}

variable "security_group" {
  type = string
}
"#;

const SINK: &str = r#"
resource "phi_audit_log_sink" "main" {
  name           = "acme-audit"
  kms_key_arn    = var.key
  retention_days = 2192
}
"#;

fn database(identifier: &str, extra: &str) -> String {
    format!(
        r#"
resource "phi_database" "ehr" {{
  identifier           = "{identifier}"
  engine               = "postgres"
  engine_version       = "16.4"
  instance_class       = "db.t3.medium"
  allocated_storage_gb = 50
  kms_key_arn          = var.key
  db_subnet_group_name   = var.subnet_group
  vpc_security_group_ids = [var.security_group]
{extra}
}}
"#
    )
}

struct Env {
    moto: Moto,
    aws: Clients,
    rds: aws_sdk_rds::Client,
    key: String,
    net: Network,
}

/// The variables every root here takes: the key and the private network.
fn vars<'a>(key: &'a str, net: &'a Network) -> [(&'static str, &'a str); 3] {
    [
        ("key", key),
        ("subnet_group", net.subnet_group.as_str()),
        ("security_group", net.security_group.as_str()),
    ]
}

async fn env() -> Env {
    let moto = Moto::start().expect("moto starts");
    let aws = clients(&moto, "eu-central-1").await;
    let config = sdk_config(&moto, "eu-central-1").await;
    let rds = aws_sdk_rds::Client::new(&config);
    let key = create_cmk(&aws, true).await;
    let net = private_network(&moto, "acme-private");
    Env {
        moto,
        aws,
        rds,
        key,
        net,
    }
}

impl Env {
    async fn instance(&self, id: &str) -> Option<aws_sdk_rds::types::DbInstance> {
        match self
            .rds
            .describe_db_instances()
            .db_instance_identifier(id)
            .send()
            .await
        {
            Ok(out) => out.db_instances().first().cloned(),
            Err(_) => None,
        }
    }

    async fn parameter(&self, group: &str, name: &str) -> Option<String> {
        let out = self
            .rds
            .describe_db_parameters()
            .db_parameter_group_name(group)
            .send()
            .await
            .unwrap();
        out.parameters()
            .iter()
            .find(|p| p.parameter_name() == Some(name))
            .and_then(|p| p.parameter_value().map(str::to_owned))
    }
}

impl Env {
    /// `SERVER_AUDIT_EVENTS` of the audit plugin in an option group, `None`
    /// when the plugin is not in it.
    async fn audit_events(&self, group: &str) -> Option<String> {
        let out = self
            .rds
            .describe_option_groups()
            .option_group_name(group)
            .send()
            .await
            .unwrap();
        let option = out.option_groups_list()[0]
            .options()
            .iter()
            .find(|o| o.option_name() == Some("MARIADB_AUDIT_PLUGIN"))?;
        option
            .option_settings()
            .iter()
            .find(|s| s.name() == Some("SERVER_AUDIT_EVENTS"))
            .and_then(|s| s.value().map(str::to_owned))
    }
}

/// A root with a compliant database (and whatever `extra` adds), applied.
fn applied(e: &Env, identifier: &str, extra: &str) -> Workdir {
    let wd = Workdir::new(&e.moto);
    wd.write(
        "main.tf",
        &format!("{PROVIDER}{}", database(identifier, extra)),
    );
    wd.apply(&vars(&e.key, &e.net)).assert_success();
    wd
}

#[tokio::test]
async fn compliant_database_applies_with_every_setting_confirmed_by_the_sdk() {
    let e = env().await;
    let wd = Workdir::new(&e.moto);
    wd.write(
        "main.tf",
        &format!(
            "{PROVIDER}{SINK}{}",
            database(
                "acme-ehr",
                "  audit_log_sink = phi_audit_log_sink.main.id\n  tags = { owner = \"ehr-team\" }"
            )
        ),
    );
    let vars = vars(&e.key, &e.net);
    wd.apply(&vars).assert_success();

    let i = e.instance("acme-ehr").await.expect("instance exists");
    assert_eq!(i.storage_encrypted(), Some(true));
    assert_eq!(i.kms_key_id(), Some(e.key.as_str()));
    assert_eq!(i.publicly_accessible(), Some(false));
    assert_eq!(i.iam_database_authentication_enabled(), Some(true));
    assert_eq!(i.copy_tags_to_snapshot(), Some(true));
    assert_eq!(i.deletion_protection(), Some(true));
    assert_eq!(i.backup_retention_period(), Some(14));
    assert_eq!(i.auto_minor_version_upgrade(), Some(true));
    assert_eq!(i.ca_certificate_identifier(), Some("rds-ca-rsa2048-g1"));
    let mut exports = i.enabled_cloudwatch_logs_exports().to_vec();
    exports.sort();
    assert_eq!(exports, ["postgresql", "upgrade"]);
    let secret = i.master_user_secret().expect("managed master secret");
    assert_eq!(secret.kms_key_id(), Some(e.key.as_str()));
    let secret_arn = secret.secret_arn().expect("secret ARN").to_owned();
    let group = &i.db_parameter_groups()[0];
    assert_eq!(group.db_parameter_group_name(), Some("acme-ehr-phi"));
    assert_eq!(
        e.parameter("acme-ehr-phi", "rds.force_ssl")
            .await
            .as_deref(),
        Some("1")
    );
    assert_eq!(
        e.parameter("acme-ehr-phi", "ssl_min_protocol_version")
            .await
            .as_deref(),
        Some("TLSv1.2")
    );
    // In-database audit (PHI-RDS-015): pgaudit preloaded with the baseline
    // classes, no parameters logged, connections and disconnections logged.
    for (name, value) in [
        ("shared_preload_libraries", "pg_stat_statements,pgaudit"),
        ("pgaudit.log", "ddl,role,write,read"),
        ("pgaudit.log_parameter", "0"),
        ("log_connections", "1"),
        ("log_disconnections", "1"),
    ] {
        assert_eq!(
            e.parameter("acme-ehr-phi", name).await.as_deref(),
            Some(value),
            "{name}"
        );
    }
    for log_type in ["postgresql", "upgrade"] {
        let name = format!("/aws/rds/instance/acme-ehr/{log_type}");
        let groups = e
            .aws
            .logs
            .describe_log_groups()
            .log_group_name_prefix(&name)
            .send()
            .await
            .unwrap();
        let g = groups
            .log_groups()
            .iter()
            .find(|g| g.log_group_name() == Some(name.as_str()))
            .unwrap_or_else(|| panic!("log group {name} exists"));
        assert_eq!(g.kms_key_id(), Some(e.key.as_str()), "{name}");
        assert_eq!(g.retention_in_days(), Some(2192), "{name}");
    }

    // A second plan is empty.
    let plan = wd.plan(&vars);
    assert_eq!(plan.code, 0, "second plan not empty:\n{}", plan.combined());

    phi_acceptance::aws::assert_no_secret_in_state(&e.moto, &wd.state_file(), &secret_arn);
}

/// Also the managed master secret's rotation (PHI-RDS-019): moto creates the
/// secret with rotation unset (RDS turns on 7 days), so the create itself
/// must turn it on with the policy's interval; stretched to 30 days in
/// Secrets Manager it shows as drift and apply sets 7 days again. (moto
/// cannot turn rotation off without a Lambda, so "off" is unit-tested in
/// `secret_rotation.rs`.)
#[tokio::test]
async fn drift_behind_terraforms_back_shows_in_the_plan_and_apply_restores_it() {
    let e = env().await;
    let wd = applied(&e, "acme-drift", "");
    let vars = vars(&e.key, &e.net);
    let secret_arn = e
        .instance("acme-drift")
        .await
        .unwrap()
        .master_user_secret()
        .and_then(|s| s.secret_arn())
        .expect("a managed master secret")
        .to_owned();
    assert_eq!(
        phi_acceptance::aws::secret_rotation(&e.moto, &secret_arn),
        (true, Some(7)),
        "rotation not on with the policy's 7 days after create"
    );
    phi_acceptance::aws::set_secret_rotation_days(&e.moto, &secret_arn, 30);
    // A console user weakens the database and its TLS parameter.
    e.rds
        .modify_db_instance()
        .db_instance_identifier("acme-drift")
        .deletion_protection(false)
        .publicly_accessible(true)
        .backup_retention_period(1)
        .enable_iam_database_authentication(false)
        .apply_immediately(true)
        .send()
        .await
        .unwrap();
    e.rds
        .modify_db_parameter_group()
        .db_parameter_group_name("acme-drift-phi")
        .parameters(
            Parameter::builder()
                .parameter_name("rds.force_ssl")
                .parameter_value("0")
                .apply_method(ApplyMethod::PendingReboot)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let plan = wd.plan(&vars);
    assert_eq!(plan.code, 2, "drift not shown:\n{}", plan.combined());
    plan.assert_contains("deletion_protection")
        .assert_contains("backup_retention_days")
        .assert_contains("publicly_accessible")
        .assert_contains("\"PHI-RDS-003\"")
        .assert_contains("TLS parameters:")
        .assert_contains("\"PHI-RDS-002\"")
        .assert_contains("\"PHI-RDS-005\"")
        .assert_contains("\"PHI-RDS-019\"")
        .assert_contains("on, every 30 days (longer than 7)");

    wd.apply(&vars).assert_success();
    assert_eq!(
        phi_acceptance::aws::secret_rotation(&e.moto, &secret_arn),
        (true, Some(7)),
        "rotation not restored"
    );
    let i = e.instance("acme-drift").await.unwrap();
    assert_eq!(i.deletion_protection(), Some(true));
    assert_eq!(i.publicly_accessible(), Some(false));
    assert_eq!(i.backup_retention_period(), Some(14));
    assert_eq!(i.iam_database_authentication_enabled(), Some(true));
    assert_eq!(
        e.parameter("acme-drift-phi", "rds.force_ssl")
            .await
            .as_deref(),
        Some("1")
    );
    let plan = wd.plan(&vars);
    assert_eq!(plan.code, 0, "not restored:\n{}", plan.combined());
}

#[tokio::test]
async fn a_database_deleted_outside_terraform_leaves_state_and_is_recreated() {
    let e = env().await;
    let wd = applied(&e, "acme-gone", "");
    let vars = vars(&e.key, &e.net);
    e.rds
        .modify_db_instance()
        .db_instance_identifier("acme-gone")
        .deletion_protection(false)
        .apply_immediately(true)
        .send()
        .await
        .unwrap();
    e.rds
        .delete_db_instance()
        .db_instance_identifier("acme-gone")
        .skip_final_snapshot(true)
        .send()
        .await
        .unwrap();
    let plan = wd.plan(&vars);
    assert_eq!(plan.code, 2, "{}", plan.combined());
    plan.assert_contains("phi_database.ehr will be created");
    wd.apply(&vars).assert_success();
    assert!(e.instance("acme-gone").await.is_some());
}

#[tokio::test]
async fn import_adopts_a_database_and_the_next_plan_lists_what_must_change() {
    let e = env().await;
    // A database made by hand: unencrypted, password typed in, no TLS group,
    // no log exports, one day of backups.
    e.rds
        .create_db_instance()
        .db_instance_identifier("acme-legacy")
        .engine("postgres")
        .engine_version("16.4")
        .db_instance_class("db.t3.medium")
        .allocated_storage(50)
        .master_username("phiadmin")
        .master_user_password("hunter2hunter2")
        .backup_retention_period(1)
        .send()
        .await
        .unwrap();
    let wd = Workdir::new(&e.moto);
    wd.write(
        "main.tf",
        &format!("{PROVIDER}{}", database("acme-legacy", "")),
    );
    let vars = vars(&e.key, &e.net);
    wd.import("phi_database.ehr", "acme-legacy", &vars)
        .assert_success();
    let plan = wd.plan(&vars);
    assert_eq!(plan.code, 2, "{}", plan.combined());
    plan.assert_contains("must be replaced")
        .assert_contains("kms_key_arn")
        .assert_contains("\"PHI-RDS-001\"")
        .assert_contains("\"PHI-RDS-003\"")
        .assert_contains("\"PHI-RDS-004\"")
        .assert_contains("\"PHI-RDS-006\"")
        .assert_contains("backup_retention_days");
    // The state never held the password typed in by hand.
    assert!(!wd.state_file().contains("hunter2"));
}

#[tokio::test]
async fn destroy_is_refused_while_deletion_protection_is_on_then_takes_a_final_snapshot() {
    let e = env().await;
    let wd = applied(&e, "acme-keep", "");
    let vars = vars(&e.key, &e.net);
    wd.destroy(&vars)
        .assert_failure()
        .assert_contains("PHI-RDS-008: deletion protection is on");
    assert!(e.instance("acme-keep").await.is_some());

    wd.write(
        "main.tf",
        &format!(
            "{PROVIDER}{}",
            database("acme-keep", "  deletion_protection = false")
        ),
    );
    wd.apply(&vars).assert_success();
    wd.destroy(&vars).assert_success();
    assert!(e.instance("acme-keep").await.is_none());
    let snapshots = e
        .rds
        .describe_db_snapshots()
        .db_instance_identifier("acme-keep")
        .send()
        .await
        .unwrap();
    assert!(
        snapshots.db_snapshots().iter().any(|s| s
            .db_snapshot_identifier()
            .is_some_and(|id| id.starts_with("acme-keep-final-"))),
        "no final snapshot: {snapshots:?}"
    );
    // The engine log groups stay: they hold audit records until retention ends.
    let groups = e
        .aws
        .logs
        .describe_log_groups()
        .log_group_name_prefix("/aws/rds/instance/acme-keep/")
        .send()
        .await
        .unwrap();
    assert_eq!(groups.log_groups().len(), 2);
}

#[tokio::test]
async fn every_violation_of_one_database_is_reported_at_once_on_its_line() {
    let e = env().await;
    let wd = Workdir::new(&e.moto);
    let body = database(
        "acme-bad",
        "  publicly_accessible   = true\n  backup_retention_days = 1",
    )
    .replace("\"16.4\"", "\"12.22\"");
    let config = format!("{PROVIDER}{body}");
    wd.write("main.tf", &config);
    let line = |needle: &str| {
        config
            .lines()
            .position(|l| l.contains(needle))
            .expect("needle in config")
            + 1
    };
    let plan = wd.plan(&vars(&e.key, &e.net));
    plan.assert_failure()
        .assert_contains("Error: PHI-RDS-002")
        .assert_contains(&format!("on main.tf line {}", line("publicly_accessible")))
        .assert_contains("Error: PHI-RDS-007")
        .assert_contains(&format!(
            "on main.tf line {}",
            line("backup_retention_days")
        ))
        .assert_contains("Error: PHI-RDS-009")
        .assert_contains(&format!("on main.tf line {}", line("engine_version")))
        .assert_contains("How to fix:");
    assert_eq!(plan.combined().matches("Error: PHI-").count(), 3);
    assert!(e.instance("acme-bad").await.is_none());
}

/// Sets up, through boto3 from the tools venv, a rotating key and an IAM
/// user allowed everything except `deny`; returns (key ARN, access key id,
/// secret key). Exactly five requests, matching the moto server's
/// `INITIAL_NO_AUTH_ACTION_COUNT`, after which moto enforces IAM.
fn restricted_user(moto: &Moto, deny: &str) -> (String, String, String) {
    let python = phi_acceptance::tools_dir().unwrap().join("venv/bin/python");
    let script = format!(
        r#"
import json, boto3
kw = dict(endpoint_url="{endpoint}", region_name="eu-central-1",
          aws_access_key_id="testing", aws_secret_access_key="testing")
kms = boto3.client("kms", **kw)
key = kms.create_key(KeyUsage="ENCRYPT_DECRYPT", Policy={policy:?})["KeyMetadata"]["Arn"]
kms.enable_key_rotation(KeyId=key)
iam = boto3.client("iam", **kw)
iam.create_user(UserName="deployer")
iam.put_user_policy(UserName="deployer", PolicyName="all-but-one", PolicyDocument=json.dumps({{
  "Version": "2012-10-17",
  "Statement": [
    {{"Effect": "Allow", "Action": "*", "Resource": "*"}},
    {{"Effect": "Deny", "Action": "{deny}", "Resource": "*"}}]}}))
k = iam.create_access_key(UserName="deployer")["AccessKey"]
print(key, k["AccessKeyId"], k["SecretAccessKey"])
"#,
        endpoint = moto.endpoint(),
        policy = phi_acceptance::aws::key_policy_admitting_every_service("eu-central-1"),
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
    let text = String::from_utf8(out.stdout).unwrap();
    let parts: Vec<&str> = text.split_whitespace().collect();
    (
        parts[0].to_owned(),
        parts[1].to_owned(),
        parts[2].to_owned(),
    )
}

#[tokio::test]
async fn a_permission_missing_mid_create_leaves_a_tainted_database_naming_the_step() {
    // After CreateDBInstance the provider reads the instance back, including
    // its TLS parameters; without rds:DescribeDBParameters that step fails
    // once the instance exists.
    let moto = Moto::start_with_env(&[("INITIAL_NO_AUTH_ACTION_COUNT", "5")]).unwrap();
    let (key, access_key, secret_key) = restricted_user(&moto, "rds:DescribeDBParameters");
    // The network is set up with the deployer's own credentials: moto
    // enforces IAM by now.
    let net = private_network_as(&moto, "acme-private", (&access_key, &secret_key));
    let mut wd = Workdir::new(&moto);
    wd.env("AWS_ACCESS_KEY_ID", &access_key)
        .env("AWS_SECRET_ACCESS_KEY", &secret_key);
    wd.write(
        "main.tf",
        &format!("{PROVIDER}{}", database("acme-fault", "")),
    );
    let apply = wd.apply(&vars(&key, &net));
    apply
        .assert_failure()
        .assert_contains("Database not fully configured")
        .assert_contains("read the database back")
        .assert_contains("rds:DescribeDBParameters")
        .assert_contains("NOT fully secured");
    let state = wd.state_json();
    let resource = &state["values"]["root_module"]["resources"][0];
    assert_eq!(resource["address"], "phi_database.ehr", "{state}");
    assert_eq!(resource["tainted"], true, "{state}");

    // The remedy the error gives: grant the permission, untaint, apply. The
    // refresh now reads what the failed step could not confirm, and nothing
    // is replaced.
    grant_everything(&moto, &access_key, &secret_key);
    wd.terraform(&["untaint", "-no-color", "phi_database.ehr"])
        .assert_success();
    let vars = vars(&key, &net);
    wd.apply(&vars)
        .assert_success()
        .assert_contains("0 destroyed");
    let plan = wd.plan(&vars);
    assert_eq!(plan.code, 0, "{}", plan.combined());
    assert!(
        wd.state_file().contains(
            "\"PHI-RDS-003\": \"TLS parameters: rds.force_ssl=1 ssl_min_protocol_version=TLSv1.2"
        ),
        "{}",
        wd.state_file()
    );
}

/// Replaces the deployer's policy with one that allows everything, signed
/// with the deployer's own credentials (moto enforces IAM by now).
fn grant_everything(moto: &Moto, access_key: &str, secret_key: &str) {
    let python = phi_acceptance::tools_dir().unwrap().join("venv/bin/python");
    let script = format!(
        r#"
import json, boto3
iam = boto3.client("iam", endpoint_url="{}", region_name="eu-central-1",
                   aws_access_key_id="{access_key}", aws_secret_access_key="{secret_key}")
iam.put_user_policy(UserName="deployer", PolicyName="all-but-one", PolicyDocument=json.dumps({{
  "Version": "2012-10-17",
  "Statement": [{{"Effect": "Allow", "Action": "*", "Resource": "*"}}]}}))
"#,
        moto.endpoint()
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
}

#[tokio::test]
async fn a_permission_missing_before_the_instance_creates_no_database() {
    let moto = Moto::start_with_env(&[("INITIAL_NO_AUTH_ACTION_COUNT", "5")]).unwrap();
    let (key, access_key, secret_key) = restricted_user(&moto, "logs:CreateLogGroup");
    // The network is set up with the deployer's own credentials: moto
    // enforces IAM by now.
    let net = private_network_as(&moto, "acme-private", (&access_key, &secret_key));
    let mut wd = Workdir::new(&moto);
    wd.env("AWS_ACCESS_KEY_ID", &access_key)
        .env("AWS_SECRET_ACCESS_KEY", &secret_key);
    wd.write(
        "main.tf",
        &format!("{PROVIDER}{}", database("acme-nolog", "")),
    );
    wd.apply(&vars(&key, &net))
        .assert_failure()
        .assert_contains("create the encrypted log group /aws/rds/instance/acme-nolog/postgresql")
        .assert_contains("No database instance was created");
    // Nothing is in state, and RDS has no instance.
    let state = wd.state_json();
    assert!(
        state["values"]["root_module"]["resources"].is_null(),
        "{state}"
    );
    // Asked with the deployer's own credentials (moto now enforces IAM).
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("eu-central-1"))
        .endpoint_url(moto.endpoint())
        .credentials_provider(aws_sdk_rds::config::Credentials::new(
            access_key, secret_key, None, None, "test",
        ))
        .load()
        .await;
    let err = aws_sdk_rds::Client::new(&config)
        .describe_db_instances()
        .db_instance_identifier("acme-nolog")
        .send()
        .await
        .unwrap_err();
    assert!(
        format!("{:?}", err).contains("DBInstanceNotFound"),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_compliant_mysql_database_forces_tls_and_exports_every_log() {
    let e = env().await;
    let wd = Workdir::new(&e.moto);
    let body = database("acme-billing", "")
        .replace("\"postgres\"", "\"mysql\"")
        .replace("\"16.4\"", "\"8.4.3\"");
    wd.write("main.tf", &format!("{PROVIDER}{body}"));
    let vars = vars(&e.key, &e.net);
    wd.apply(&vars).assert_success();
    let i = e.instance("acme-billing").await.unwrap();
    let mut exports = i.enabled_cloudwatch_logs_exports().to_vec();
    exports.sort();
    assert_eq!(exports, ["audit", "error", "general", "slowquery"]);
    assert_eq!(
        e.parameter("acme-billing-phi", "require_secure_transport")
            .await
            .as_deref(),
        Some("1")
    );
    assert_eq!(
        e.parameter("acme-billing-phi", "tls_version")
            .await
            .as_deref(),
        Some("TLSv1.2,TLSv1.3")
    );
    let groups = e
        .aws
        .logs
        .describe_log_groups()
        .log_group_name_prefix("/aws/rds/instance/acme-billing/")
        .send()
        .await
        .unwrap();
    assert_eq!(groups.log_groups().len(), 4);
    assert!(
        groups
            .log_groups()
            .iter()
            .all(|g| g.kms_key_id() == Some(e.key.as_str()) && g.retention_in_days() == Some(2192))
    );
    // The audit plugin (PHI-RDS-015), in the dedicated option group attached
    // to the instance.
    assert_eq!(
        i.option_group_memberships()[0].option_group_name(),
        Some("acme-billing-phi")
    );
    assert_eq!(
        e.audit_events("acme-billing-phi").await.as_deref(),
        Some("CONNECT,QUERY_DCL,QUERY_DDL,QUERY_DML")
    );
    let plan = wd.plan(&vars);
    assert_eq!(plan.code, 0, "second plan not empty:\n{}", plan.combined());
}

#[tokio::test]
async fn a_swapped_parameter_group_or_a_deleted_log_group_shows_in_the_plan_and_apply_restores_it()
{
    let e = env().await;
    let wd = applied(&e, "acme-swap", "");
    let vars = vars(&e.key, &e.net);
    // Someone attaches a permissive parameter group and deletes a log group
    // (RDS would recreate it unencrypted and never expiring).
    e.rds
        .create_db_parameter_group()
        .db_parameter_group_name("permissive")
        .db_parameter_group_family("postgres16")
        .description("no-TLS")
        .send()
        .await
        .unwrap();
    e.rds
        .modify_db_instance()
        .db_instance_identifier("acme-swap")
        .db_parameter_group_name("permissive")
        .apply_immediately(true)
        .send()
        .await
        .unwrap();
    e.aws
        .logs
        .delete_log_group()
        .log_group_name("/aws/rds/instance/acme-swap/postgresql")
        .send()
        .await
        .unwrap();
    let plan = wd.plan(&vars);
    assert_eq!(plan.code, 2, "drift not shown:\n{}", plan.combined());
    plan.assert_contains("\"PHI-RDS-003\"")
        .assert_contains("parameter group: permissive (in-sync)")
        .assert_contains("parameter group: acme-swap-phi (in-sync)")
        .assert_contains("\"PHI-RDS-006\"")
        .assert_contains("log group postgresql: log group missing");

    wd.apply(&vars).assert_success();
    let i = e.instance("acme-swap").await.unwrap();
    assert_eq!(
        i.db_parameter_groups()[0].db_parameter_group_name(),
        Some("acme-swap-phi")
    );
    let groups = e
        .aws
        .logs
        .describe_log_groups()
        .log_group_name_prefix("/aws/rds/instance/acme-swap/postgresql")
        .send()
        .await
        .unwrap();
    let g = &groups.log_groups()[0];
    assert_eq!(g.kms_key_id(), Some(e.key.as_str()));
    assert_eq!(g.retention_in_days(), Some(2192));
    let plan = wd.plan(&vars);
    assert_eq!(plan.code, 0, "not restored:\n{}", plan.combined());
}

#[tokio::test]
async fn a_key_unknown_at_plan_is_checked_at_apply_before_anything_is_created() {
    let e = env().await;
    let disabled = create_cmk(&e.aws, true).await;
    phi_acceptance::aws::disable_key(&e.aws, &disabled).await;
    // terraform_data's output is unknown until apply, like the ARN of a key
    // created in the same run.
    let body = database("acme-later", "").replace(
        "kms_key_arn          = var.key",
        "kms_key_arn          = terraform_data.key.output",
    );
    let config = format!(
        "{PROVIDER}\nresource \"terraform_data\" \"key\" {{\n  input = var.key\n}}\n{body}"
    );
    let wd = Workdir::new(&e.moto);
    wd.write("main.tf", &config);
    let plan = wd.plan(&vars(&disabled, &e.net));
    assert_eq!(plan.code, 2, "{}", plan.combined());
    plan.assert_contains("KMS key will be verified at apply");
    wd.apply(&vars(&disabled, &e.net))
        .assert_failure()
        .assert_contains("Error: PHI-KMS-003");
    // Nothing was created: no instance, no parameter group, no log group.
    assert!(e.instance("acme-later").await.is_none());
    let groups = e.rds.describe_db_parameter_groups().send().await.unwrap();
    assert!(
        groups
            .db_parameter_groups()
            .iter()
            .all(|g| g.db_parameter_group_name() != Some("acme-later-phi")),
        "{groups:?}"
    );
    let groups = e
        .aws
        .logs
        .describe_log_groups()
        .log_group_name_prefix("/aws/rds/instance/acme-later/")
        .send()
        .await
        .unwrap();
    assert!(groups.log_groups().is_empty());

    // The same run with a compliant key goes through.
    let wd = Workdir::new(&e.moto);
    wd.write("main.tf", &config);
    wd.apply(&vars(&e.key, &e.net)).assert_success();
    assert!(e.instance("acme-later").await.is_some());
}

/// The 1-based line of `config` that contains `needle`.
fn line_in(config: &str, needle: &str) -> usize {
    config
        .lines()
        .position(|l| l.contains(needle))
        .expect("needle in config")
        + 1
}

#[tokio::test]
async fn a_route_to_an_internet_gateway_added_later_is_refused_at_the_next_plan_naming_the_route() {
    let e = env().await;
    let wd = applied(&e, "acme-net", "");
    let vars = vars(&e.key, &e.net);
    // The network team later gives the VPC an internet gateway and a default
    // route in the main table, which the database's subnets use.
    let (table, igw) = phi_acceptance::network::route_to_internet(&e.moto, &e.net);
    let plan = wd.plan(&vars);
    let source = std::fs::read_to_string(wd.path().join("main.tf")).unwrap();
    plan.assert_failure()
        .assert_contains("Error: PHI-RDS-013")
        .assert_contains(&format!(
            "route table {table}, whose route 0.0.0.0/0 -> {igw}"
        ))
        .assert_contains(&format!(
            "on main.tf line {}",
            line_in(&source, "db_subnet_group_name")
        ))
        .assert_contains("How to fix:");
    // The refusal stops apply too; the database is left as it was.
    wd.apply(&vars)
        .assert_failure()
        .assert_contains("Error: PHI-RDS-013");
    assert!(e.instance("acme-net").await.is_some());
}

#[tokio::test]
async fn a_security_group_admitting_the_internet_is_refused_naming_the_rule() {
    let e = env().await;
    phi_acceptance::network::open_to_internet(&e.moto, &e.net);
    let wd = Workdir::new(&e.moto);
    let source = format!("{PROVIDER}{}", database("acme-open", ""));
    wd.write("main.tf", &source);
    let plan = wd.plan(&vars(&e.key, &e.net));
    plan.assert_failure()
        .assert_contains("Error: PHI-RDS-014")
        .assert_contains(&format!(
            "security group {} (acme-private) has the ingress rule \"tcp 5432 from 0.0.0.0/0\"",
            e.net.security_group
        ))
        .assert_contains(&format!(
            "on main.tf line {}",
            line_in(&source, "vpc_security_group_ids")
        ));
    // Exactly this refusal: the private subnets pass.
    assert_eq!(plan.combined().matches("Error: PHI-").count(), 1);
    assert!(e.instance("acme-open").await.is_none());
}

#[tokio::test]
async fn pgaudit_turned_off_out_of_band_shows_as_drift_with_a_reboot_and_apply_restores_it() {
    let e = env().await;
    let wd = applied(&e, "acme-audit-pg", "");
    let vars = vars(&e.key, &e.net);
    // A DBA "tidies up" the parameter group: pgaudit no longer preloaded,
    // connections no longer logged.
    e.rds
        .modify_db_parameter_group()
        .db_parameter_group_name("acme-audit-pg-phi")
        .parameters(
            Parameter::builder()
                .parameter_name("shared_preload_libraries")
                .parameter_value("pg_stat_statements")
                .apply_method(ApplyMethod::PendingReboot)
                .build(),
        )
        .parameters(
            Parameter::builder()
                .parameter_name("log_connections")
                .parameter_value("0")
                .apply_method(ApplyMethod::PendingReboot)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let plan = wd.plan(&vars);
    assert_eq!(plan.code, 2, "drift not shown:\n{}", plan.combined());
    plan.assert_contains("\"PHI-RDS-015\"")
        .assert_contains("pgaudit NOT preloaded")
        .assert_contains("log_connections=0")
        .assert_contains("This apply reboots the database");

    wd.apply(&vars).assert_success();
    assert_eq!(
        e.parameter("acme-audit-pg-phi", "shared_preload_libraries")
            .await
            .as_deref(),
        Some("pg_stat_statements,pgaudit")
    );
    assert_eq!(
        e.parameter("acme-audit-pg-phi", "log_connections")
            .await
            .as_deref(),
        Some("1")
    );
    let plan = wd.plan(&vars);
    assert_eq!(plan.code, 0, "not restored:\n{}", plan.combined());
}

#[tokio::test]
async fn the_mysql_audit_plugin_removed_out_of_band_shows_as_drift_and_apply_restores_it() {
    let e = env().await;
    let wd = Workdir::new(&e.moto);
    let body = database("acme-audit-my", "")
        .replace("\"postgres\"", "\"mysql\"")
        .replace("\"16.4\"", "\"8.4.3\"");
    wd.write("main.tf", &format!("{PROVIDER}{body}"));
    let vars = vars(&e.key, &e.net);
    wd.apply(&vars).assert_success();
    e.rds
        .modify_option_group()
        .option_group_name("acme-audit-my-phi")
        .options_to_remove("MARIADB_AUDIT_PLUGIN")
        .apply_immediately(true)
        .send()
        .await
        .unwrap();
    assert_eq!(e.audit_events("acme-audit-my-phi").await, None);
    let plan = wd.plan(&vars);
    assert_eq!(plan.code, 2, "drift not shown:\n{}", plan.combined());
    plan.assert_contains("\"PHI-RDS-015\"")
        .assert_contains("MARIADB_AUDIT_PLUGIN missing");
    assert!(
        !plan.combined().contains("This apply reboots the database"),
        "the audit plugin needs no reboot:\n{}",
        plan.combined()
    );

    wd.apply(&vars).assert_success();
    assert_eq!(
        e.audit_events("acme-audit-my-phi").await.as_deref(),
        Some("CONNECT,QUERY_DCL,QUERY_DDL,QUERY_DML")
    );
    let plan = wd.plan(&vars);
    assert_eq!(plan.code, 0, "not restored:\n{}", plan.combined());
}

/// docs/guides/major-version-upgrade.md, walked: a PostgreSQL 16 database,
/// a manual snapshot of it, a new phi_database on 17 created from the
/// snapshot beside it, then the old one retired under deletion protection.
#[tokio::test]
async fn the_major_version_upgrade_path_restores_an_encrypted_snapshot_onto_the_next_major() {
    let e = env().await;
    let vars = vars(&e.key, &e.net);
    let wd = Workdir::new(&e.moto);
    let old = database("acme-ehr16", "");
    wd.write("main.tf", &format!("{PROVIDER}{old}"));
    wd.apply(&vars).assert_success();

    // 1. A manual snapshot of the running database.
    e.rds
        .create_db_snapshot()
        .db_instance_identifier("acme-ehr16")
        .db_snapshot_identifier("acme-ehr16-to-17")
        .send()
        .await
        .unwrap();
    // 2. A new phi_database on the next major version from the snapshot.
    let new = database("acme-ehr17", "  snapshot_identifier = \"acme-ehr16-to-17\"")
        .replace("\"phi_database\" \"ehr\"", "\"phi_database\" \"ehr17\"")
        .replace("\"16.4\"", "\"17.2\"");
    wd.write("main.tf", &format!("{PROVIDER}{old}{new}"));
    wd.apply(&vars)
        .assert_success()
        .assert_contains("1 added, 0 changed, 0 destroyed");
    let i = e.instance("acme-ehr17").await.expect("restored instance");
    assert_eq!(i.engine_version(), Some("17.2"));
    assert_eq!(i.storage_encrypted(), Some(true));
    assert_eq!(i.kms_key_id(), Some(e.key.as_str()));
    assert_eq!(i.publicly_accessible(), Some(false));
    assert_eq!(i.iam_database_authentication_enabled(), Some(true));
    assert_eq!(
        i.db_parameter_groups()[0].db_parameter_group_name(),
        Some("acme-ehr17-phi")
    );
    assert_eq!(
        i.db_subnet_group().and_then(|g| g.db_subnet_group_name()),
        Some("acme-private")
    );
    assert_eq!(
        e.parameter("acme-ehr17-phi", "rds.force_ssl")
            .await
            .as_deref(),
        Some("1")
    );
    assert_eq!(
        e.parameter("acme-ehr17-phi", "pgaudit.log")
            .await
            .as_deref(),
        Some("ddl,role,write,read")
    );
    // The transitional group (postgres16 family) is gone after the upgrade.
    let groups = e.rds.describe_db_parameter_groups().send().await.unwrap();
    assert!(
        groups
            .db_parameter_groups()
            .iter()
            .all(|g| g.db_parameter_group_name() != Some("acme-ehr17-phi-restore")),
        "{groups:?}"
    );
    let plan = wd.plan(&vars);
    assert_eq!(plan.code, 0, "second plan not empty:\n{}", plan.combined());

    // 3. Switch the applications (outside this test), then retire the old
    // database: deletion protection off, apply, remove it.
    let retiring = database("acme-ehr16", "  deletion_protection = false");
    wd.write("main.tf", &format!("{PROVIDER}{retiring}{new}"));
    wd.apply(&vars).assert_success();
    wd.write("main.tf", &format!("{PROVIDER}{new}"));
    wd.apply(&vars)
        .assert_success()
        .assert_contains("1 destroyed");
    assert!(e.instance("acme-ehr16").await.is_none());
    assert!(e.instance("acme-ehr17").await.is_some());
}

#[tokio::test]
async fn a_snapshot_that_is_not_encrypted_with_the_key_is_refused_at_plan() {
    let e = env().await;
    // A database made by hand without encryption, and its snapshot.
    e.rds
        .create_db_instance()
        .db_instance_identifier("acme-plain")
        .engine("postgres")
        .engine_version("16.4")
        .db_instance_class("db.t3.medium")
        .allocated_storage(50)
        .master_username("phiadmin")
        .master_user_password("hunter2hunter2")
        .send()
        .await
        .unwrap();
    e.rds
        .create_db_snapshot()
        .db_instance_identifier("acme-plain")
        .db_snapshot_identifier("acme-plain-snap")
        .send()
        .await
        .unwrap();
    let wd = Workdir::new(&e.moto);
    let source = format!(
        "{PROVIDER}{}",
        database(
            "acme-from-plain",
            "  snapshot_identifier = \"acme-plain-snap\""
        )
    );
    wd.write("main.tf", &source);
    let plan = wd.plan(&vars(&e.key, &e.net));
    plan.assert_failure()
        .assert_contains("Error: PHI-RDS-001")
        .assert_contains("snapshot acme-plain-snap is not encrypted")
        .assert_contains(&format!(
            "on main.tf line {}",
            line_in(&source, "snapshot_identifier")
        ));
    assert!(e.instance("acme-from-plain").await.is_none());
}

/// Enhanced monitoring with the role the provider creates: set at create,
/// confirmed through the SDK (moto reports MonitoringInterval and
/// MonitoringRoleArn); turned off by hand, it shows as drift in
/// `enforced["PHI-RDS-017"]` and apply restores the interval and the role.
/// Performance Insights stays off and reads `off`: moto never reports
/// `PerformanceInsightsEnabled`, so its "on" branches are unit-tested in
/// provider/src/resources/database/insights.rs.
#[tokio::test]
async fn enhanced_monitoring_turned_off_out_of_band_shows_as_drift_and_apply_restores_it_with_the_provider_role()
 {
    let e = env().await;
    let wd = applied(&e, "acme-mon", "  enhanced_monitoring = true");
    let vars = vars(&e.key, &e.net);
    let i = e.instance("acme-mon").await.expect("instance exists");
    assert_eq!(i.monitoring_interval(), Some(60));
    let role = i
        .monitoring_role_arn()
        .expect("a monitoring role")
        .to_owned();
    assert!(role.ends_with(":role/phi-guard-rds-monitoring"), "{role}");
    let trust = e
        .aws
        .iam
        .get_role()
        .role_name("phi-guard-rds-monitoring")
        .send()
        .await
        .unwrap();
    let trust = trust.role().and_then(|r| r.assume_role_policy_document());
    assert!(
        trust.is_some_and(|t| t.contains("monitoring.rds.amazonaws.com")),
        "{trust:?}"
    );
    let metrics = e
        .aws
        .iam
        .get_role_policy()
        .role_name("phi-guard-rds-monitoring")
        .policy_name("phi-guard-rds-os-metrics")
        .send()
        .await
        .unwrap();
    assert!(
        metrics.policy_document().contains("PutLogEvents"),
        "{metrics:?}"
    );
    let state = wd.state_json().to_string();
    assert!(
        state.contains("\"PHI-RDS-017\":\"every 60 seconds, role phi-guard-rds-monitoring\""),
        "{state}"
    );
    assert!(state.contains("\"PHI-RDS-016\":\"off\""), "{state}");
    let plan = wd.plan(&vars);
    assert_eq!(plan.code, 0, "not settled:\n{}", plan.combined());

    // Somebody turns enhanced monitoring off in the console.
    e.rds
        .modify_db_instance()
        .db_instance_identifier("acme-mon")
        .monitoring_interval(0)
        .apply_immediately(true)
        .send()
        .await
        .unwrap();
    let plan = wd.plan(&vars);
    assert_eq!(plan.code, 2, "drift not shown:\n{}", plan.combined());
    plan.assert_contains("\"PHI-RDS-017\"")
        .assert_contains("every 60 seconds, role phi-guard-rds-monitoring");
    wd.apply(&vars).assert_success();
    let i = e.instance("acme-mon").await.expect("instance exists");
    assert_eq!(i.monitoring_interval(), Some(60));
    assert_eq!(i.monitoring_role_arn(), Some(role.as_str()));
    let plan = wd.plan(&vars);
    assert_eq!(plan.code, 0, "not restored:\n{}", plan.combined());
}

#[tokio::test]
async fn insights_and_monitoring_required_by_the_policy_are_refused_when_turned_off_in_configuration()
 {
    let e = env().await;
    let mut wd = Workdir::new(&e.moto);
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("phi-policy.hcl");
    std::fs::write(
        &policy,
        "database {\n  require_performance_insights = true\n  performance_insights_max_retention_days = 31\n  require_enhanced_monitoring = true\n}\n",
    )
    .unwrap();
    wd.env("PHI_POLICY_FILE", policy.to_str().unwrap());
    let body = database(
        "acme-insight",
        "  performance_insights                = false\n  performance_insights_retention_days = 62\n  enhanced_monitoring                 = false",
    );
    let config = format!("{PROVIDER}{body}");
    wd.write("main.tf", &config);
    let plan = wd.plan(&vars(&e.key, &e.net));
    plan.assert_failure()
        .assert_contains("Error: PHI-RDS-016")
        .assert_contains(&format!(
            "on main.tf line {}",
            line_in(&config, "performance_insights  ")
        ))
        .assert_contains(&format!(
            "on main.tf line {}",
            line_in(&config, "performance_insights_retention_days")
        ))
        .assert_contains("longer than the policy allows")
        .assert_contains("Error: PHI-RDS-017")
        .assert_contains(&format!(
            "on main.tf line {}",
            line_in(&config, "enhanced_monitoring")
        ));
    assert_eq!(plan.combined().matches("Error: PHI-").count(), 3);
    assert!(e.instance("acme-insight").await.is_none());
    // Left to the policy's defaults, the same database plans: both on.
    wd.write(
        "main.tf",
        &format!("{PROVIDER}{}", database("acme-insight", "")),
    );
    let plan = wd.plan(&vars(&e.key, &e.net));
    assert_eq!(plan.code, 2, "{}", plan.combined());
    plan.assert_contains("every 60 seconds, role phi-guard-rds-monitoring")
        .assert_contains("7 days");
}

/// A manual snapshot of the database shared out of band, publicly and with
/// two accounts, one of which the policy lists: the refresh shows the public
/// share and the unlisted account in `enforced["PHI-RDS-018"]`, and apply
/// removes exactly those (moto keeps snapshot attributes as RDS does).
#[tokio::test]
async fn a_snapshot_shared_publicly_or_with_an_unlisted_account_shows_as_drift_and_apply_unshares_it()
 {
    let e = env().await;
    let mut wd = Workdir::new(&e.moto);
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("phi-policy.hcl");
    std::fs::write(
        &policy,
        "database {\n  snapshot_allowed_accounts = [\"111122223333\"]\n}\n",
    )
    .unwrap();
    wd.env("PHI_POLICY_FILE", policy.to_str().unwrap());
    wd.write(
        "main.tf",
        &format!("{PROVIDER}{}", database("acme-snap", "")),
    );
    let vars = vars(&e.key, &e.net);
    wd.apply(&vars).assert_success();
    e.rds
        .create_db_snapshot()
        .db_instance_identifier("acme-snap")
        .db_snapshot_identifier("acme-snap-manual")
        .send()
        .await
        .unwrap();
    // Shared with the listed account only: compliant.
    e.rds
        .modify_db_snapshot_attribute()
        .db_snapshot_identifier("acme-snap-manual")
        .attribute_name("restore")
        .values_to_add("111122223333")
        .send()
        .await
        .unwrap();
    let plan = wd.plan(&vars);
    assert_eq!(plan.code, 0, "{}", plan.combined());
    // Then made public and shared with an account nobody listed.
    e.rds
        .modify_db_snapshot_attribute()
        .db_snapshot_identifier("acme-snap-manual")
        .attribute_name("restore")
        .values_to_add("all")
        .values_to_add("444455556666")
        .send()
        .await
        .unwrap();
    let plan = wd.plan(&vars);
    assert_eq!(plan.code, 2, "drift not shown:\n{}", plan.combined());
    plan.assert_contains("\"PHI-RDS-018\"")
        .assert_contains("SHARED: acme-snap-manual shared with PUBLIC, 444455556666");
    wd.apply(&vars).assert_success();
    let attributes = e
        .rds
        .describe_db_snapshot_attributes()
        .db_snapshot_identifier("acme-snap-manual")
        .send()
        .await
        .unwrap();
    let restore: Vec<String> = attributes
        .db_snapshot_attributes_result()
        .unwrap()
        .db_snapshot_attributes()
        .iter()
        .filter(|a| a.attribute_name() == Some("restore"))
        .flat_map(|a| a.attribute_values().to_vec())
        .collect();
    assert_eq!(restore, ["111122223333"]);
    let plan = wd.plan(&vars);
    assert_eq!(plan.code, 0, "not restored:\n{}", plan.combined());
}
