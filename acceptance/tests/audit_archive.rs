//! The audit sink's archive and trail beyond the S3 baseline: the bounded
//! lifecycle, the guard statements with break-glass principals, the trail's
//! key and log-group delivery, and deletion protection. Real Terraform, the
//! real provider binary, moto on loopback; outcomes read through the SDK.
//!
//! What moto does not emulate, and where it is proven instead: moto stores
//! but does not evaluate bucket-level policy statements (so the deny on
//! PutLifecycleConfiguration cannot be exercised, only read back), drops
//! `BlockedEncryptionTypes` (the SSE-C block is asserted on the request in
//! `s3_common`'s unit tests), and never delivers trail events (the log group
//! stays empty; the trail's configuration is asserted instead).

use phi_acceptance::Workdir;
use phi_acceptance::aws::create_cmk;
use phi_acceptance::suite::{Env, env};

const BREAK_GLASS: &str = "arn:aws:iam::123456789012:role/BreakGlass";

fn config(name: &str, extra: &str) -> String {
    format!(
        r#"
terraform {{
  required_providers {{
    phi = {{ source = "phi-guard/phi" }}
  }}
}}

provider "phi" {{
  region = "eu-central-1"
}}

variable "key" {{
  type = string
}}

resource "phi_audit_log_sink" "main" {{
  name           = "{name}"
  kms_key_arn    = var.key
  retention_days = 2192
{extra}
}}
"#
    )
}

/// A sink applied under a policy naming one break-glass role.
fn applied(e: &Env, name: &str) -> Workdir {
    let mut wd = Workdir::new(&e.moto);
    let policy = wd.path().join("phi-policy.hcl");
    std::fs::write(
        &policy,
        format!("audit {{\n  break_glass_principals = [\"{BREAK_GLASS}\"]\n}}\n"),
    )
    .unwrap();
    wd.env("PHI_POLICY_FILE", policy.to_str().unwrap());
    wd.write("main.tf", &config(name, ""));
    wd.apply(&[("key", e.key.as_str())]).assert_success();
    wd
}

async fn policy_json(e: &Env, bucket: &str) -> serde_json::Value {
    let out = e
        .aws
        .s3
        .get_bucket_policy()
        .bucket(bucket)
        .send()
        .await
        .unwrap();
    serde_json::from_str(out.policy().unwrap()).unwrap()
}

#[tokio::test]
async fn archive_has_a_bounded_lifecycle_guard_statements_and_a_trail_into_the_log_group() {
    let e = env().await;
    let _wd = applied(&e, "acme-archive");

    // Lifecycle: records expire after the retention period, expired
    // versions a day later, incomplete uploads after 7 days.
    let lifecycle = e
        .aws
        .s3
        .get_bucket_lifecycle_configuration()
        .bucket("acme-archive")
        .send()
        .await
        .unwrap();
    let rule = &lifecycle.rules()[0];
    assert_eq!(rule.expiration().and_then(|x| x.days()), Some(2192));
    assert_eq!(
        rule.noncurrent_version_expiration()
            .and_then(|n| n.noncurrent_days()),
        Some(1)
    );
    assert_eq!(
        rule.abort_incomplete_multipart_upload()
            .and_then(|a| a.days_after_initiation()),
        Some(7)
    );

    // The guard: the four actions denied to everyone but the break-glass
    // role; deliveries only from the sink's own trail.
    let policy = policy_json(&e, "acme-archive").await;
    let statements = policy["Statement"].as_array().unwrap();
    let guard = statements
        .iter()
        .find(|s| {
            s["Effect"] == "Deny"
                && s["Action"]
                    .as_array()
                    .is_some_and(|a| a.iter().any(|x| x == "s3:PutLifecycleConfiguration"))
        })
        .expect("guard statement");
    for action in [
        "s3:PutBucketObjectLockConfiguration",
        "s3:PutLifecycleConfiguration",
        "s3:DeleteBucketPolicy",
        "s3:BypassGovernanceRetention",
    ] {
        assert!(
            guard["Action"]
                .as_array()
                .unwrap()
                .iter()
                .any(|a| a == action),
            "{action} not denied: {guard}"
        );
    }
    assert_eq!(guard["Principal"], "*");
    assert_eq!(
        guard["Condition"]["ArnNotLike"]["aws:PrincipalArn"][0],
        BREAK_GLASS
    );
    let trail_arn = "arn:aws:cloudtrail:eu-central-1:123456789012:trail/phi-guard-acme-archive";
    let deliveries: Vec<_> = statements
        .iter()
        .filter(|s| s["Principal"]["Service"] == "cloudtrail.amazonaws.com")
        .collect();
    assert_eq!(deliveries.len(), 2, "{policy}");
    for s in deliveries {
        assert_eq!(s["Condition"]["StringEquals"]["aws:SourceArn"], trail_arn);
    }

    // The trail: the sink's key, the sink's log group, through the role
    // the sink created, which CloudTrail alone may assume for this trail.
    let trail = e
        .aws
        .cloudtrail
        .get_trail()
        .name("phi-guard-acme-archive")
        .send()
        .await
        .unwrap();
    let trail = trail.trail().unwrap();
    assert_eq!(trail.kms_key_id(), Some(e.key.as_str()));
    assert_eq!(
        trail.cloud_watch_logs_log_group_arn(),
        Some("arn:aws:logs:eu-central-1:123456789012:log-group:/phi-guard/audit/acme-archive:*")
    );
    let role = e
        .aws
        .iam
        .get_role()
        .role_name("phi-guard-trail-acme-archive")
        .send()
        .await
        .unwrap();
    let role = role.role().unwrap();
    assert_eq!(trail.cloud_watch_logs_role_arn(), Some(role.arn()));
    let trust = urlencoding_decode(role.assume_role_policy_document().unwrap());
    assert!(trust.contains("cloudtrail.amazonaws.com") && trust.contains(trail_arn));
}

/// IAM returns policy documents URL-encoded.
fn urlencoding_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Ok(b) = u8::from_str_radix(&s[i + 1..i + 3], 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test]
async fn archive_drift_in_lifecycle_guard_and_trail_key_shows_and_apply_restores_it() {
    let e = env().await;
    let wd = applied(&e, "acme-guard");
    let vars = [("key", e.key.as_str())];
    let other_key = create_cmk(&e.aws, true).await;

    // Behind Terraform's back: the lifecycle removed, the policy replaced
    // by one without the guard and with an open trail statement, the trail
    // re-pointed to another key.
    e.aws
        .s3
        .delete_bucket_lifecycle()
        .bucket("acme-guard")
        .send()
        .await
        .unwrap();
    let mut policy = policy_json(&e, "acme-guard").await;
    let statements: Vec<serde_json::Value> = policy["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["Sid"] != "PhiGuardProtectArchive")
        .map(|s| {
            let mut s = s.clone();
            if s["Principal"]["Service"] == "cloudtrail.amazonaws.com" {
                s.as_object_mut().unwrap().remove("Condition");
            }
            s
        })
        .collect();
    policy["Statement"] = serde_json::Value::Array(statements);
    e.aws
        .s3
        .put_bucket_policy()
        .bucket("acme-guard")
        .policy(policy.to_string())
        .send()
        .await
        .unwrap();
    e.aws
        .cloudtrail
        .update_trail()
        .name("phi-guard-acme-guard")
        .kms_key_id(&other_key)
        .send()
        .await
        .unwrap();

    let plan = wd.plan(&vars);
    assert_eq!(plan.code, 2, "drift must be a change:\n{}", plan.combined());
    plan.assert_contains("\"PHI-S3-007\"")
        .assert_contains("records never expire")
        .assert_contains("\"PHI-AUD-003\"")
        .assert_contains("not denied")
        .assert_contains("\"PHI-S3-011\"")
        .assert_contains(&format!("encrypted with {other_key}"));

    wd.apply(&vars).assert_success();
    assert_eq!(wd.plan(&vars).code, 0, "apply did not restore the drift");
    let trail = e
        .aws
        .cloudtrail
        .get_trail()
        .name("phi-guard-acme-guard")
        .send()
        .await
        .unwrap();
    assert_eq!(trail.trail().unwrap().kms_key_id(), Some(e.key.as_str()));
    let lifecycle = e
        .aws
        .s3
        .get_bucket_lifecycle_configuration()
        .bucket("acme-guard")
        .send()
        .await
        .unwrap();
    assert_eq!(
        lifecycle.rules()[0].expiration().and_then(|x| x.days()),
        Some(2192)
    );
    let policy = policy_json(&e, "acme-guard").await;
    assert!(
        policy["Statement"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["Sid"] == "PhiGuardProtectArchive"),
        "{policy}"
    );
}

#[tokio::test]
async fn a_new_sink_key_moves_the_trail_with_it_in_the_plan() {
    let e = env().await;
    let wd = applied(&e, "acme-rekey");
    let other_key = create_cmk(&e.aws, true).await;
    let plan = wd.plan(&[("key", other_key.as_str())]);
    assert_eq!(plan.code, 2, "{}", plan.combined());
    plan.assert_contains("\"PHI-S3-011\"")
        .assert_contains(&format!("encrypted with {other_key}"));
}

#[tokio::test]
async fn a_protected_sink_is_not_destroyed_until_protection_is_turned_off() {
    let e = env().await;
    let wd = applied(&e, "acme-protected");
    let vars = [("key", e.key.as_str())];
    wd.destroy(&vars)
        .assert_failure()
        .assert_contains("Error: PHI-S3-009: audit sink acme-protected is protected from deletion")
        .assert_contains("phi-lint explain PHI-S3-009");
    assert!(
        e.aws
            .s3
            .head_bucket()
            .bucket("acme-protected")
            .send()
            .await
            .is_ok()
    );
    // Renaming would replace it: refused the same way.
    wd.write("main.tf", &config("acme-renamed", ""));
    wd.plan(&vars)
        .assert_failure()
        .assert_contains("audit sink acme-protected is protected from deletion");

    // The two-step: turn protection off, apply, then destroy.
    wd.write(
        "main.tf",
        &config("acme-protected", "  deletion_protection = false"),
    );
    wd.apply(&vars).assert_success();
    wd.destroy(&vars).assert_success();
    assert!(
        e.aws
            .s3
            .head_bucket()
            .bucket("acme-protected")
            .send()
            .await
            .is_err()
    );
    assert!(
        e.aws
            .iam
            .get_role()
            .role_name("phi-guard-trail-acme-protected")
            .send()
            .await
            .is_err(),
        "the trail's role is deleted with the sink"
    );
}
