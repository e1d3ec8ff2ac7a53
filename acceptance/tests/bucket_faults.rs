//! phi_bucket when a step fails mid-create, for a real reason: moto enforces
//! IAM (after `INITIAL_NO_AUTH_ACTION_COUNT` set-up requests) and the
//! credentials Terraform runs with lack `s3:PutBucketPolicy`. The bucket then
//! exists without its TLS-only policy: the apply must fail naming that step,
//! and the bucket must be in state, tainted, never untracked.

use std::process::Command;

use phi_acceptance::aws::{clients_from, create_cmk, sdk_config_as};
use phi_acceptance::{Moto, Workdir};

/// IAM requests made before moto starts enforcing: two users, their inline
/// policies and their access keys.
const SETUP_REQUESTS: &str = "6";

const SETUP: &str = r#"
import boto3, json, sys
iam = boto3.client("iam", endpoint_url=sys.argv[1], region_name="us-east-1",
                   aws_access_key_id="setup", aws_secret_access_key="setup")
out = {}
for user, statements in [
    ("admin", [{"Effect": "Allow", "Action": "*", "Resource": "*"}]),
    ("deployer", [{"Effect": "Allow", "Action": "*", "Resource": "*"},
                  {"Effect": "Deny", "Action": "s3:PutBucketPolicy", "Resource": "*"}]),
]:
    iam.create_user(UserName=user)
    iam.put_user_policy(UserName=user, PolicyName="p",
                        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": statements}))
    key = iam.create_access_key(UserName=user)["AccessKey"]
    out[user] = [key["AccessKeyId"], key["SecretAccessKey"]]
print(json.dumps(out))
"#;

fn credentials(moto: &Moto) -> serde_json::Value {
    let python = phi_acceptance::tools_dir().unwrap().join("venv/bin/python");
    let out = Command::new(python)
        .args(["-c", SETUP, &moto.endpoint()])
        .output()
        .expect("running the IAM set-up");
    assert!(
        out.status.success(),
        "IAM set-up failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[tokio::test]
async fn a_denied_step_mid_create_leaves_a_tainted_bucket_in_state() {
    let moto = Moto::start_with_env(&[("INITIAL_NO_AUTH_ACTION_COUNT", SETUP_REQUESTS)]).unwrap();
    let creds = credentials(&moto);
    let key_of = |user: &str| {
        (
            creds[user][0].as_str().unwrap().to_owned(),
            creds[user][1].as_str().unwrap().to_owned(),
        )
    };
    let (admin_id, admin_secret) = key_of("admin");
    let (deployer_id, deployer_secret) = key_of("deployer");
    let admin = clients_from(&sdk_config_as(&moto, "eu-central-1", &admin_id, &admin_secret).await);
    let key = create_cmk(&admin, true).await;

    // IAM is enforced now: the set-up credentials no longer work.
    let anonymous = clients_from(&sdk_config_as(&moto, "eu-central-1", "setup", "setup").await);
    assert!(anonymous.s3.list_buckets().send().await.is_err());

    let config = format!(
        r#"
terraform {{
  required_providers {{
    phi = {{ source = "phi-guard/phi" }}
  }}
}}

provider "phi" {{
  region = "eu-central-1"
}}

resource "phi_audit_log_sink" "main" {{
  name           = "acme-audit"
  kms_key_arn    = "{key}"
  retention_days = 2192
}}

resource "phi_bucket" "records" {{
  name           = "acme-fault"
  kms_key_arn    = "{key}"
  audit_log_sink = phi_audit_log_sink.main.id
}}
"#
    );
    let mut wd = Workdir::new(&moto);
    wd.write("main.tf", &config);
    // The sink creates an IAM role for its trail. moto, when it enforces
    // IAM, recomputes request signatures from its own re-encoding of the
    // form body and refuses the SDK's IAM requests whose policy documents it
    // encodes differently (an emulator gap, not an IAM decision), so IAM is
    // served by a second, non-enforcing moto; the S3 denial under test is
    // unaffected.
    let iam_moto = Moto::start().unwrap();
    wd.env("AWS_ENDPOINT_URL_IAM", &iam_moto.endpoint());
    // The platform team's credentials create the sink.
    wd.env("AWS_ACCESS_KEY_ID", &admin_id)
        .env("AWS_SECRET_ACCESS_KEY", &admin_secret);
    wd.terraform(&[
        "apply",
        "-no-color",
        "-input=false",
        "-auto-approve",
        "-target=phi_audit_log_sink.main",
    ])
    .assert_success();

    // The deployer lacks s3:PutBucketPolicy.
    wd.env("AWS_ACCESS_KEY_ID", &deployer_id)
        .env("AWS_SECRET_ACCESS_KEY", &deployer_secret);
    let apply = wd.apply(&[]);
    apply
        .assert_failure()
        .assert_contains("PHI bucket not fully configured")
        .assert_contains("attach the TLS-only bucket policy")
        .assert_contains("s3:PutBucketPolicy")
        .assert_contains("NOT fully secured");
    let state = wd.state_json();
    let bucket = state["values"]["root_module"]["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["address"] == "phi_bucket.records")
        .cloned()
        .unwrap_or_else(|| panic!("the half-created bucket is not in state: {state}"));
    assert_eq!(bucket["tainted"], true, "{state}");
    assert_eq!(
        bucket["values"]["enforced"]["PHI-S3-004"], "no bucket policy",
        "{state}"
    );
    // Everything before the failed step is in place.
    assert_eq!(
        bucket["values"]["enforced"]["PHI-S3-002"], "all four blocks on",
        "{state}"
    );
    assert!(
        admin
            .s3
            .head_bucket()
            .bucket("acme-fault")
            .send()
            .await
            .is_ok()
    );

    // With the permission back (the platform's credentials), the next apply
    // replaces the tainted bucket with a complete one.
    wd.env("AWS_ACCESS_KEY_ID", &admin_id)
        .env("AWS_SECRET_ACCESS_KEY", &admin_secret);
    wd.apply(&[])
        .assert_success()
        .assert_contains("1 added, 0 changed, 1 destroyed");
    assert_eq!(wd.plan(&[]).code, 0);
    let policy = admin
        .s3
        .get_bucket_policy()
        .bucket("acme-fault")
        .send()
        .await
        .unwrap();
    assert!(policy.policy().unwrap().contains("aws:SecureTransport"));
}
