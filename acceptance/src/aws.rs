//! SDK clients pointed at moto, for setting up and verifying AWS state.

use aws_config::{BehaviorVersion, Region};
use aws_sdk_kms::types::KeyUsageType;

use crate::moto::Moto;

pub async fn sdk_config(moto: &Moto, region: &str) -> aws_config::SdkConfig {
    sdk_config_as(moto, region, "testing", "testing").await
}

/// An SDK configuration with given credentials (for a moto that enforces IAM).
pub async fn sdk_config_as(
    moto: &Moto,
    region: &str,
    access_key: &str,
    secret: &str,
) -> aws_config::SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(region.to_owned()))
        .endpoint_url(moto.endpoint())
        .credentials_provider(aws_sdk_kms::config::Credentials::new(
            access_key,
            secret,
            None,
            None,
            "acceptance",
        ))
        .load()
        .await
}

pub struct Clients {
    pub kms: aws_sdk_kms::Client,
    pub s3: aws_sdk_s3::Client,
    pub logs: aws_sdk_cloudwatchlogs::Client,
    pub cloudtrail: aws_sdk_cloudtrail::Client,
    pub iam: aws_sdk_iam::Client,
}

pub async fn clients(moto: &Moto, region: &str) -> Clients {
    clients_from(&sdk_config(moto, region).await)
}

pub fn clients_from(config: &aws_config::SdkConfig) -> Clients {
    Clients {
        kms: aws_sdk_kms::Client::new(config),
        s3: aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(config)
                .force_path_style(true)
                .build(),
        ),
        logs: aws_sdk_cloudwatchlogs::Client::new(config),
        cloudtrail: aws_sdk_cloudtrail::Client::new(config),
        iam: aws_sdk_iam::Client::new(config),
    }
}

/// The account moto answers STS with.
pub const MOTO_ACCOUNT: &str = "123456789012";

/// A key policy in the shape AWS documents, written out here rather than
/// taken from the provider so the tests do not grade the provider's own
/// generator: the account may manage the key through IAM; S3, RDS and
/// Secrets Manager may use it through `kms:ViaService` in `region`;
/// CloudWatch Logs and CloudTrail through their service principals for this
/// account. Every phi resource's key-policy checks (PHI-KMS-010, -011) pass.
pub fn key_policy_admitting_every_service(region: &str) -> String {
    let account = MOTO_ACCOUNT;
    let via = |service: &str| {
        serde_json::json!({
            "Sid": format!("Via{service}"),
            "Effect": "Allow",
            "Principal": {"AWS": format!("arn:aws:iam::{account}:root")},
            "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*",
                       "kms:DescribeKey", "kms:CreateGrant"],
            "Resource": "*",
            "Condition": {"StringEquals": {
                "kms:ViaService": format!("{service}.{region}.amazonaws.com"),
                "kms:CallerAccount": account
            }}
        })
    };
    serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "Admin",
                "Effect": "Allow",
                "Principal": {"AWS": format!("arn:aws:iam::{account}:root")},
                "Action": ["kms:Describe*", "kms:Get*", "kms:List*", "kms:Put*", "kms:Enable*",
                           "kms:Disable*", "kms:ScheduleKeyDeletion", "kms:CancelKeyDeletion",
                           "kms:TagResource", "kms:UntagResource"],
                "Resource": "*"
            },
            via("s3"),
            via("rds"),
            via("secretsmanager"),
            {
                "Sid": "Logs",
                "Effect": "Allow",
                "Principal": {"Service": format!("logs.{region}.amazonaws.com")},
                "Action": ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*",
                           "kms:Describe*"],
                "Resource": "*",
                "Condition": {"ArnLike": {
                    "kms:EncryptionContext:aws:logs:arn":
                        format!("arn:aws:logs:{region}:{account}:log-group:*")
                }}
            },
            {
                "Sid": "CloudTrail",
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": ["kms:GenerateDataKey*", "kms:DescribeKey"],
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:SourceAccount": account}}
            }
        ]
    })
    .to_string()
}

/// Creates a symmetric customer-managed key whose policy admits every
/// service a phi resource needs, and returns its full ARN.
pub async fn create_cmk(clients: &Clients, rotation: bool) -> String {
    let region = clients
        .kms
        .config()
        .region()
        .map(|r| r.to_string())
        .unwrap_or_else(|| "eu-central-1".to_owned());
    create_cmk_with_policy(
        clients,
        rotation,
        &key_policy_admitting_every_service(&region),
    )
    .await
}

/// Creates a symmetric customer-managed key with this key policy.
pub async fn create_cmk_with_policy(clients: &Clients, rotation: bool, policy: &str) -> String {
    let key = clients
        .kms
        .create_key()
        .key_usage(KeyUsageType::EncryptDecrypt)
        .description("phi-guard acceptance test key")
        .policy(policy)
        .send()
        .await
        .expect("CreateKey");
    let arn = key
        .key_metadata()
        .and_then(|m| m.arn())
        .expect("key ARN")
        .to_owned();
    if rotation {
        clients
            .kms
            .enable_key_rotation()
            .key_id(&arn)
            .send()
            .await
            .expect("EnableKeyRotation");
    }
    arn
}

/// Disables a key by its ARN: the "key turned off" case every resource's
/// KMS checks must refuse.
pub async fn disable_key(clients: &Clients, key_arn: &str) {
    let key_id = key_arn
        .rsplit('/')
        .next()
        .expect("a key ARN ends in its id");
    clients
        .kms
        .disable_key()
        .key_id(key_id)
        .send()
        .await
        .expect("kms:DisableKey on the endpoint");
}

/// Names of every bucket in the emulator, to prove what was (not) created.
pub async fn bucket_names(clients: &Clients) -> Vec<String> {
    clients
        .s3
        .list_buckets()
        .send()
        .await
        .expect("ListBuckets")
        .buckets()
        .iter()
        .filter_map(|b| b.name().map(str::to_owned))
        .collect()
}

/// The SecretString of a Secrets Manager secret, read with boto3 from the
/// tools venv (the workspace has no Secrets Manager SDK crate).
pub fn secret_string(moto: &Moto, arn: &str) -> String {
    let python = crate::tools_dir().unwrap().join("venv/bin/python");
    let script = format!(
        r#"
import boto3, sys
sm = boto3.client("secretsmanager", endpoint_url="{}", region_name="eu-central-1",
                  aws_access_key_id="testing", aws_secret_access_key="testing")
sys.stdout.write(sm.get_secret_value(SecretId="{arn}")["SecretString"])
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
    String::from_utf8(out.stdout).unwrap()
}

/// Runs `body` with a boto3 Secrets Manager client `sm` on the endpoint and
/// returns what it writes to stdout.
fn secrets_manager(moto: &Moto, body: &str) -> String {
    let python = crate::tools_dir().unwrap().join("venv/bin/python");
    let script = format!(
        r#"
import boto3, json, sys
sm = boto3.client("secretsmanager", endpoint_url="{}", region_name="eu-central-1",
                  aws_access_key_id="testing", aws_secret_access_key="testing")
{body}
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
    String::from_utf8(out.stdout).unwrap()
}

/// A secret's rotation as `DescribeSecret` reports it: `RotationEnabled`
/// (false when absent) and `RotationRules.AutomaticallyAfterDays`.
pub fn secret_rotation(moto: &Moto, arn: &str) -> (bool, Option<i64>) {
    let out = secrets_manager(
        moto,
        &format!(
            r#"d = sm.describe_secret(SecretId="{arn}")
sys.stdout.write(json.dumps([d.get("RotationEnabled", False),
                             d.get("RotationRules", {{}}).get("AutomaticallyAfterDays")]))"#
        ),
    );
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

/// Sets a secret's rotation interval out of band, as a console user would
/// (`RotateSecret` with `RotationRules` only).
pub fn set_secret_rotation_days(moto: &Moto, arn: &str, days: i64) {
    secrets_manager(
        moto,
        &format!(
            r#"sm.rotate_secret(SecretId="{arn}", RotationRules={{"AutomaticallyAfterDays": {days}}},
                 RotateImmediately=False)"#
        ),
    );
}

/// Asserts that a state file holds the RDS-managed secret's ARN but neither
/// the secret itself nor its password, nor any password field: the value is
/// read from Secrets Manager on the endpoint and searched for verbatim.
pub fn assert_no_secret_in_state(moto: &Moto, state: &str, secret_arn: &str) {
    let secret = secret_string(moto, secret_arn);
    let password = serde_json::from_str::<serde_json::Value>(&secret).unwrap()["password"]
        .as_str()
        .expect("the managed secret holds a password")
        .to_owned();
    assert!(state.contains(secret_arn), "{state}");
    assert!(!state.contains(&password), "password in state:\n{state}");
    assert!(!state.contains(&secret), "secret in state:\n{state}");
    let lower = state.to_ascii_lowercase();
    assert!(!lower.contains("password"), "{state}");
}

/// The ARN prefixes the trail of the sink `sink` records object access
/// (S3 data events) for.
pub async fn recorded_prefixes(clients: &Clients, sink: &str) -> Vec<String> {
    let out = clients
        .cloudtrail
        .get_event_selectors()
        .trail_name(format!("phi-guard-{sink}"))
        .send()
        .await
        .unwrap();
    out.advanced_event_selectors()
        .iter()
        .filter(|s| {
            s.field_selectors()
                .iter()
                .any(|f| f.field() == "eventCategory" && f.equals().iter().any(|v| v == "Data"))
        })
        .flat_map(|s| s.field_selectors())
        .filter(|f| f.field() == "resources.ARN")
        .flat_map(|f| f.starts_with().to_vec())
        .collect()
}
