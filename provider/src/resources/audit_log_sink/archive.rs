//! What the archive bucket adds to the shared S3 baseline: a lifecycle that
//! bounds how long records are kept (PHI-LOG-001, PHI-S3-007) and bucket
//! policy statements that guard the lock, the lifecycle and the policy and
//! admit only the sink's own trail (PHI-AUD-003). Each is written and read
//! back in the same words, so the `enforced` map compares them.

use aws_sdk_s3::types::{
    AbortIncompleteMultipartUpload, BucketLifecycleConfiguration, ExpirationStatus,
    LifecycleExpiration, LifecycleRule, LifecycleRuleFilter, NoncurrentVersionExpiration,
};
use serde_json::{Value as Json, json};

use crate::aws::AwsError;
use crate::resources::s3_common::{StepError, built};

/// Incomplete multipart uploads are aborted after this many days, as on
/// every `phi_bucket`.
pub const ABORT_UPLOAD_DAYS: i32 = 7;
/// A record that has expired (its current version replaced by a delete
/// marker once `retention_days` have passed) is removed this many days
/// later. One day keeps the last copy within a day of the retention period.
pub const NONCURRENT_DAYS: i32 = 1;
pub const LIFECYCLE_RULE_ID: &str = "phi-guard-archive-retention";
pub const LIFECYCLE_STEP: &str = "set the archive lifecycle rule";

/// The actions the guard statement denies to all but break-glass principals.
pub const GUARDED_ACTIONS: [&str; 4] = [
    "s3:PutBucketObjectLockConfiguration",
    "s3:PutLifecycleConfiguration",
    "s3:DeleteBucketPolicy",
    "s3:BypassGovernanceRetention",
];
const GUARD_SID: &str = "PhiGuardProtectArchive";

pub fn lifecycle_text(abort: Option<i32>, current: Option<i32>, noncurrent: Option<i32>) -> String {
    let abort = abort.map_or_else(
        || "incomplete uploads never aborted".to_owned(),
        |d| format!("abort incomplete uploads after {d} days"),
    );
    let current = current.map_or_else(
        || "records never expire".to_owned(),
        |d| format!("records expire after {d} days"),
    );
    let noncurrent = noncurrent.map_or_else(
        || "expired records kept forever".to_owned(),
        |d| format!("expired records removed {d} day(s) later"),
    );
    format!("{abort}; {current}; {noncurrent}")
}

/// The compliant lifecycle text for a sink keeping records `retention_days`.
pub fn desired_lifecycle_text(retention_days: i64) -> String {
    lifecycle_text(
        Some(ABORT_UPLOAD_DAYS),
        Some(days_i32(retention_days)),
        Some(NONCURRENT_DAYS),
    )
}

fn days_i32(days: i64) -> i32 {
    i32::try_from(days).unwrap_or(i32::MAX)
}

/// One rule over the whole archive: abort incomplete uploads; expire each
/// record once `retention_days` have passed (S3 never removes a version
/// whose Object Lock retention has not ended, so this can never shorten the
/// lock); remove the expired version a day later. `retention_days` is
/// already within the policy's maximum (PHI-LOG-001).
pub fn lifecycle(retention_days: i64) -> Result<BucketLifecycleConfiguration, StepError> {
    let rule = built(
        LIFECYCLE_STEP,
        LifecycleRule::builder()
            .id(LIFECYCLE_RULE_ID)
            .status(ExpirationStatus::Enabled)
            .filter(LifecycleRuleFilter::builder().prefix("").build())
            .abort_incomplete_multipart_upload(
                AbortIncompleteMultipartUpload::builder()
                    .days_after_initiation(ABORT_UPLOAD_DAYS)
                    .build(),
            )
            .expiration(
                LifecycleExpiration::builder()
                    .days(days_i32(retention_days))
                    .build(),
            )
            .noncurrent_version_expiration(
                NoncurrentVersionExpiration::builder()
                    .noncurrent_days(NONCURRENT_DAYS)
                    .build(),
            )
            .build(),
    )?;
    built(
        LIFECYCLE_STEP,
        BucketLifecycleConfiguration::builder().rules(rule).build(),
    )
}

/// The archive's lifecycle in the words of [`lifecycle_text`]: the shortest
/// abort, record expiry and noncurrent expiry of any enabled rule (the
/// shortest is what takes effect).
pub async fn read_lifecycle(s3: &aws_sdk_s3::Client, bucket: &str) -> Result<String, AwsError> {
    let rules = match s3
        .get_bucket_lifecycle_configuration()
        .bucket(bucket)
        .send()
        .await
    {
        Ok(out) => out.rules().to_vec(),
        Err(e) => {
            let err = AwsError::from_sdk("s3:GetBucketLifecycleConfiguration", e);
            if err.code_is("NoSuchLifecycleConfiguration") {
                Vec::new()
            } else {
                return Err(err);
            }
        }
    };
    Ok(describe_rules(&rules))
}

fn describe_rules(rules: &[LifecycleRule]) -> String {
    let enabled = || {
        rules
            .iter()
            .filter(|r| r.status() == &ExpirationStatus::Enabled)
    };
    let abort = enabled()
        .filter_map(|r| {
            r.abort_incomplete_multipart_upload()
                .and_then(|a| a.days_after_initiation())
        })
        .min();
    let current = enabled()
        .filter_map(|r| r.expiration().and_then(|e| e.days()))
        .filter(|d| *d > 0)
        .min();
    let noncurrent = enabled()
        .filter_map(|r| {
            r.noncurrent_version_expiration()
                .and_then(|n| n.noncurrent_days())
        })
        .min();
    lifecycle_text(abort, current, noncurrent)
}

// ---- the guard statements ----------------------------------------------------

pub fn guard_text(break_glass: &[String], trail_name: &str) -> String {
    let who = if break_glass.is_empty() {
        "no one".to_owned()
    } else {
        break_glass.join(", ")
    };
    format!(
        "lock, lifecycle and policy changes and governance bypass allowed to {who}; \
         deliveries only from trail {trail_name}"
    )
}

/// The deny statement: the guarded actions, for everyone but the
/// break-glass principals (for everyone when there are none).
pub fn guard_statement(bucket_arn: &str, break_glass: &[String]) -> Json {
    let mut s = json!({
        "Sid": GUARD_SID,
        "Effect": "Deny",
        "Principal": "*",
        "Action": GUARDED_ACTIONS,
        "Resource": [bucket_arn, format!("{bucket_arn}/*")],
    });
    if !break_glass.is_empty() {
        s["Condition"] = json!({"ArnNotLike": {"aws:PrincipalArn": break_glass}});
    }
    s
}

fn strings(v: &Json) -> Vec<String> {
    match v {
        Json::String(s) => vec![s.clone()],
        Json::Array(items) => items
            .iter()
            .filter_map(|i| i.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    }
}

fn statements(policy_json: Option<&str>) -> Vec<Json> {
    let Some(doc) = policy_json.and_then(|j| serde_json::from_str::<Json>(j).ok()) else {
        return Vec::new();
    };
    match &doc["Statement"] {
        Json::Array(items) => items.clone(),
        single @ Json::Object(_) => vec![single.clone()],
        _ => Vec::new(),
    }
}

/// Who a deny statement exempts: `Some(vec![])` when it denies everyone,
/// `Some(list)` when its only condition exempts principal ARNs, `None` when
/// it is conditioned on anything else (and so does not reliably deny).
fn exempted(s: &Json) -> Option<Vec<String>> {
    let everyone = s["Principal"] == "*" || s["Principal"]["AWS"] == "*";
    if s["Effect"] != "Deny" || !everyone {
        return None;
    }
    match s.get("Condition") {
        None => Some(Vec::new()),
        Some(Json::Object(c)) if c.len() == 1 => {
            let (op, inner) = c.iter().next()?;
            let inner = inner.as_object()?;
            if !(op == "ArnNotLike" || op == "ArnNotEquals") || inner.len() != 1 {
                return None;
            }
            let mut list = strings(inner.get("aws:PrincipalArn")?);
            list.sort();
            list.dedup();
            Some(list)
        }
        _ => None,
    }
}

/// What the archive's bucket policy achieves, in the words of
/// [`guard_text`] when intact; otherwise what is missing.
pub fn describe_guard(policy_json: Option<&str>, trail_name: &str) -> String {
    let statements = statements(policy_json);
    let mut exempt: Option<Vec<String>> = None;
    let mut missing = Vec::new();
    for action in GUARDED_ACTIONS {
        let found = statements.iter().find_map(|s| {
            let actions = strings(&s["Action"]);
            let covers = actions.iter().any(|a| a == action || a == "s3:*");
            if covers { exempted(s) } else { None }
        });
        match found {
            Some(list) => {
                // Different exemptions per action: report the widest.
                if exempt.as_ref().is_none_or(|e| list.len() > e.len()) {
                    exempt = Some(list);
                }
            }
            None => missing.push(action),
        }
    }
    let guard = if missing.is_empty() {
        None
    } else {
        Some(format!("{} not denied", missing.join(", ")))
    };
    let trail_suffix = format!(":trail/{trail_name}");
    let deliveries: Vec<&Json> = statements
        .iter()
        .filter(|s| {
            s["Effect"] == "Allow" && s["Principal"]["Service"] == "cloudtrail.amazonaws.com"
        })
        .collect();
    let source_ok = |s: &&Json| {
        strings(&s["Condition"]["StringEquals"]["aws:SourceArn"])
            .iter()
            .all(|a| a.ends_with(&trail_suffix))
            && !strings(&s["Condition"]["StringEquals"]["aws:SourceArn"]).is_empty()
    };
    let trail = if deliveries.is_empty() {
        Some("no trail may deliver".to_owned())
    } else if !deliveries.iter().all(source_ok) {
        Some("any trail may deliver (no aws:SourceArn condition)".to_owned())
    } else {
        None
    };
    match (guard, trail) {
        (None, None) => guard_text(&exempt.unwrap_or_default(), trail_name),
        (g, t) => [g, t].into_iter().flatten().collect::<Vec<_>>().join("; "),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::s3_common;

    #[test]
    fn lifecycle_expires_after_retention_and_reads_back_in_the_same_words() {
        let config = lifecycle(2192).unwrap();
        let rule = &config.rules()[0];
        assert_eq!(rule.expiration().unwrap().days(), Some(2192));
        assert_eq!(
            rule.noncurrent_version_expiration()
                .unwrap()
                .noncurrent_days(),
            Some(NONCURRENT_DAYS)
        );
        assert_eq!(
            rule.abort_incomplete_multipart_upload()
                .unwrap()
                .days_after_initiation(),
            Some(ABORT_UPLOAD_DAYS)
        );
        assert_eq!(describe_rules(config.rules()), desired_lifecycle_text(2192));
        assert_eq!(
            describe_rules(&[]),
            "incomplete uploads never aborted; records never expire; expired records kept forever"
        );
    }

    #[test]
    fn guard_reads_back_as_written_and_weakening_shows() {
        let arn = s3_common::bucket_arn("aws", "acme-audit");
        let glass = vec!["arn:aws:iam::111122223333:role/BreakGlass".to_owned()];
        let trail = json!({
            "Sid": "PhiGuardCloudTrailWrite", "Effect": "Allow",
            "Principal": {"Service": "cloudtrail.amazonaws.com"},
            "Action": "s3:PutObject", "Resource": format!("{arn}/AWSLogs/*"),
            "Condition": {"StringEquals": {"aws:SourceArn":
                "arn:aws:cloudtrail:eu-central-1:111122223333:trail/phi-guard-acme-audit"}}
        });
        let policy = s3_common::policy_document(vec![guard_statement(&arn, &glass), trail.clone()]);
        assert_eq!(
            describe_guard(Some(&policy), "phi-guard-acme-audit"),
            guard_text(&glass, "phi-guard-acme-audit")
        );
        let nobody = s3_common::policy_document(vec![guard_statement(&arn, &[]), trail.clone()]);
        assert!(
            describe_guard(Some(&nobody), "phi-guard-acme-audit").contains("allowed to no one")
        );

        let mut open_trail = trail.clone();
        open_trail.as_object_mut().unwrap().remove("Condition");
        let policy = s3_common::policy_document(vec![guard_statement(&arn, &glass), open_trail]);
        assert_eq!(
            describe_guard(Some(&policy), "phi-guard-acme-audit"),
            "any trail may deliver (no aws:SourceArn condition)"
        );
        assert_eq!(
            describe_guard(None, "phi-guard-acme-audit"),
            "s3:PutBucketObjectLockConfiguration, s3:PutLifecycleConfiguration, \
             s3:DeleteBucketPolicy, s3:BypassGovernanceRetention not denied; no trail may deliver"
        );
    }
}
