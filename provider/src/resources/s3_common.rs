//! The secure-bucket baseline every S3 bucket the provider creates shares
//! (`phi_audit_log_sink`'s archive and `phi_bucket`): how each always-on
//! setting is written, how it is read back, and the words the `enforced` map
//! uses for it. One implementation, so a fix to how (say) public access is
//! blocked or the TLS policy is recognised reaches both resources.
//!
//! Every write is a named step: a failure says exactly which setting is not
//! in place. Throttling and transient errors are retried with backoff by the
//! SDK's standard retry mode (`crate::aws::Clients::new`), not here.

use std::collections::BTreeMap;

use aws_sdk_s3::types::{
    BucketLocationConstraint, BucketVersioningStatus, CreateBucketConfiguration, EncryptionType,
    ObjectOwnership, OwnershipControls, OwnershipControlsRule, PublicAccessBlockConfiguration,
    ServerSideEncryption, ServerSideEncryptionByDefault, ServerSideEncryptionConfiguration,
    ServerSideEncryptionRule, Tag, Tagging, VersioningConfiguration,
};

use crate::aws::{AwsError, Clients};
use crate::diagnostics::Diagnostics;

/// A step that failed, with what it was for.
#[derive(Debug)]
pub struct StepError {
    pub step: &'static str,
    pub error: AwsError,
}

impl std::fmt::Display for StepError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.step, self.error)
    }
}

pub fn step(name: &'static str) -> impl FnOnce(AwsError) -> StepError {
    move |error| StepError { step: name, error }
}

/// Reports a failed step as an error: which step, what AWS said, and what
/// that means for the bucket (`consequence`).
pub fn fail(d: &mut Diagnostics, summary: &str, err: &StepError, consequence: &str) {
    d.error(
        summary.to_owned(),
        format!(
            "Step \"{}\" failed: {}.\n\n{consequence}",
            err.step, err.error
        ),
    );
}

/// Turns an SDK builder error (a required field missing) into a step error.
pub fn built<T, E: std::fmt::Display>(name: &'static str, r: Result<T, E>) -> Result<T, StepError> {
    r.map_err(|e| StepError {
        step: name,
        error: AwsError {
            operation: name,
            code: None,
            message: e.to_string(),
        },
    })
}

// ---- the words of the `enforced` map ---------------------------------------

/// `s.starts_with(prefix)` usable in constants: the `enforced` map keys are
/// checked at compile time to start with a real control id.
pub const fn const_starts_with(s: &str, prefix: &str) -> bool {
    let (s, p) = (s.as_bytes(), prefix.as_bytes());
    if p.len() > s.len() {
        return false;
    }
    let mut i = 0;
    while i < p.len() {
        if s[i] != p[i] {
            return false;
        }
        i += 1;
    }
    true
}

pub const ALL_BLOCKED: &str = "all four blocks on";
pub const OWNER_ENFORCED: &str = "BucketOwnerEnforced";
pub const VERSIONING_ENABLED: &str = "Enabled";
pub const SSE_C_BLOCKED: &str = "SSE-C blocked";

pub fn encryption_text(algorithm: &str, key: &str, bucket_key: bool) -> String {
    format!("{algorithm} key={key} bucket_key={bucket_key}")
}

pub fn tls_text(min_tls: &str) -> String {
    format!("denies non-TLS and TLS below {min_tls}")
}

/// The AWS partition a region belongs to.
pub fn partition(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else if region.starts_with("eusc-") {
        "aws-eusc"
    } else {
        "aws"
    }
}

pub fn bucket_arn(partition: &str, bucket: &str) -> String {
    format!("arn:{partition}:s3:::{bucket}")
}

/// The two transport statements (CONTROLS.md §3.2): deny any request not
/// made over TLS, and any made with a TLS version below the minimum.
pub fn tls_statements(bucket_arn: &str, minimum_tls_version: &str) -> Vec<serde_json::Value> {
    let objects = format!("{bucket_arn}/*");
    vec![
        serde_json::json!({
            "Sid": "PhiGuardDenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [bucket_arn, objects],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}}
        }),
        serde_json::json!({
            "Sid": "PhiGuardDenyOutdatedTls",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [bucket_arn, objects],
            "Condition": {"NumericLessThan": {"s3:TlsVersion": minimum_tls_version}}
        }),
    ]
}

pub fn policy_document(statements: Vec<serde_json::Value>) -> String {
    serde_json::json!({"Version": "2012-10-17", "Statement": statements}).to_string()
}

/// What the TLS statements of a bucket policy achieve, in the same words as
/// [`tls_text`], so an intact policy compares equal to the desired one.
pub fn describe_tls_policy(policy_json: Option<&str>) -> String {
    let Some(json) = policy_json else {
        return "no bucket policy".to_owned();
    };
    let Ok(doc) = serde_json::from_str::<serde_json::Value>(json) else {
        return "unreadable bucket policy".to_owned();
    };
    let statements = match &doc["Statement"] {
        serde_json::Value::Array(items) => items.clone(),
        single @ serde_json::Value::Object(_) => vec![single.clone()],
        _ => Vec::new(),
    };
    let everyone = |s: &serde_json::Value| s["Principal"] == "*" || s["Principal"]["AWS"] == "*";
    let denies = |s: &serde_json::Value| s["Effect"] == "Deny" && everyone(s);
    let denies_plaintext = statements.iter().any(|s| {
        let v = &s["Condition"]["Bool"]["aws:SecureTransport"];
        denies(s) && (v == "false" || v == &serde_json::Value::Bool(false))
    });
    let min_tls = statements.iter().find_map(|s| {
        let v = &s["Condition"]["NumericLessThan"]["s3:TlsVersion"];
        if !denies(s) {
            return None;
        }
        v.as_str()
            .map(str::to_owned)
            .or_else(|| v.as_f64().map(|f| format!("{f:.1}")))
    });
    match (denies_plaintext, min_tls) {
        (true, Some(v)) => tls_text(&v),
        (true, None) => "denies non-TLS; no minimum TLS version".to_owned(),
        (false, Some(v)) => format!("allows non-TLS; denies TLS below {v}"),
        (false, None) => "allows non-TLS requests".to_owned(),
    }
}

/// The minimum TLS version a described policy enforces, if it is intact.
pub fn min_tls_of(description: &str) -> Option<String> {
    description
        .strip_prefix("denies non-TLS and TLS below ")
        .map(str::to_owned)
}

// ---- writes ------------------------------------------------------------------

/// Creates the bucket with ACLs disabled from the first moment, optionally
/// with Object Lock (irreversible; it also turns versioning on), and with
/// the create-intent marker tag (see `resources::create_intent`) sent in the
/// CreateBucket call itself, so the bucket carries it from its first moment
/// where S3 accepts tags there.
pub async fn create_bucket_marked(
    clients: &Clients,
    bucket: &str,
    object_lock: bool,
    step_name: &'static str,
    marker: Option<&str>,
) -> Result<(), StepError> {
    let marker_tags = match marker {
        Some(token) => Some(vec![built(
            step_name,
            Tag::builder()
                .key(crate::resources::create_intent::MARKER_TAG)
                .value(token)
                .build(),
        )?]),
        None => None,
    };
    let mut req = clients
        .s3
        .create_bucket()
        .bucket(bucket)
        .object_ownership(ObjectOwnership::BucketOwnerEnforced);
    if object_lock {
        req = req.object_lock_enabled_for_bucket(true);
    }
    // us-east-1 is the one region that must not be named as a constraint.
    let mut configuration = CreateBucketConfiguration::builder().set_tags(marker_tags.clone());
    if clients.region != "us-east-1" {
        configuration = configuration
            .location_constraint(BucketLocationConstraint::from(clients.region.as_str()));
    }
    if clients.region != "us-east-1" || marker_tags.is_some() {
        req = req.create_bucket_configuration(configuration.build());
    }
    req.send()
        .await
        .map_err(|e| AwsError::from_sdk("s3:CreateBucket", e))
        .map(|_| ())
        .map_err(step(step_name))
}

/// What a marked CreateBucket (see [`create_bucket_marked`]) came to, for
/// `phi_bucket` and the sink's archive alike: `Some(false)` created,
/// `Some(true)` an existing bucket this working directory provably started
/// (adopted, with the warning), `None` stop with the error already in `d`
/// (refused, not created, or unconfirmed). `cancelled` ends the wait for
/// the answer at once. `verdict` judges an existing bucket.
pub async fn began<V>(
    sent: impl std::future::Future<Output = Result<(), StepError>>,
    cancelled: &tokio_util::sync::CancellationToken,
    creating: &crate::resources::create_intent::Creating,
    d: &mut Diagnostics,
    summary: &str,
    verdict: impl FnOnce() -> V,
) -> Option<bool>
where
    V: std::future::Future<Output = Result<crate::resources::create_intent::Verdict, AwsError>>,
{
    use crate::resources::create_intent::Verdict;
    let created = tokio::select! {
        r = sent => Some(r),
        _ = cancelled.cancelled() => None,
    };
    match created {
        Some(Ok(())) => Some(false),
        Some(Err(e)) if e.error.code_is("BucketAlreadyOwnedByYou") => match verdict().await {
            Ok(Verdict::Adopt) => {
                creating.adopted(d);
                Some(true)
            }
            Ok(Verdict::Refuse(why)) => {
                creating.refused(d, summary, &why);
                None
            }
            Err(e) => {
                creating.unchecked(d, summary, &e);
                None
            }
        },
        Some(Err(e)) if e.error.code.is_some() => {
            // AWS answered with an error: the bucket was not created.
            creating.settle();
            let hint = if e.error.code_is("BucketAlreadyExists") {
                "Bucket names are global across AWS and this one is taken. Choose another name. \
                 Nothing was created."
            } else {
                "Nothing was created."
            };
            fail(d, summary, &e, hint);
            None
        }
        Some(Err(e)) => {
            fail(d, summary, &e, &creating.lost_answer());
            None
        }
        None => {
            d.error(
                "Interrupted",
                format!(
                    "Terraform was interrupted during the create. {}",
                    creating.lost_answer()
                ),
            );
            None
        }
    }
}

/// How long a new bucket (a `phi_bucket`, a sink's archive) may take to
/// become visible when `timeouts.create` does not say.
pub const DEFAULT_CREATE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(120);

/// Waits until a new bucket is visible. S3 is eventually consistent: right
/// after CreateBucket, other calls can still answer NoSuchBucket, which the
/// SDK's standard retry does not retry. The SDK's waiter polls HeadBucket
/// with backoff, for at most `within` (the resource's `timeouts.create`).
/// Called as the first step after create, so a timeout leaves the bucket
/// tracked (tainted), not lost.
pub async fn wait_until_visible(
    clients: &Clients,
    bucket: &str,
    within: std::time::Duration,
) -> Result<(), StepError> {
    use aws_sdk_s3::client::Waiters;
    clients
        .s3
        .wait_until_bucket_exists()
        .bucket(bucket)
        .wait(within)
        .await
        .map(|_| ())
        .map_err(|e| StepError {
            step: "wait for the new bucket to become visible",
            error: AwsError {
                operation: "s3:HeadBucket",
                code: None,
                message: format!(
                    "the bucket did not become visible within {} s, the create timeout ({})",
                    within.as_secs(),
                    aws_sdk_s3::error::DisplayErrorContext(&e)
                ),
            },
        })
}

pub async fn block_public_access(s3: &aws_sdk_s3::Client, bucket: &str) -> Result<(), StepError> {
    s3.put_public_access_block()
        .bucket(bucket)
        .public_access_block_configuration(
            PublicAccessBlockConfiguration::builder()
                .block_public_acls(true)
                .ignore_public_acls(true)
                .block_public_policy(true)
                .restrict_public_buckets(true)
                .build(),
        )
        .send()
        .await
        .map(|_| ())
        .map_err(|e| AwsError::from_sdk("s3:PutPublicAccessBlock", e))
        .map_err(step("block all public access"))
}

pub async fn disable_acls(s3: &aws_sdk_s3::Client, bucket: &str) -> Result<(), StepError> {
    const STEP: &str = "disable ACLs";
    let rule = built(
        STEP,
        OwnershipControlsRule::builder()
            .object_ownership(ObjectOwnership::BucketOwnerEnforced)
            .build(),
    )?;
    let controls = built(STEP, OwnershipControls::builder().rules(rule).build())?;
    s3.put_bucket_ownership_controls()
        .bucket(bucket)
        .ownership_controls(controls)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| AwsError::from_sdk("s3:PutBucketOwnershipControls", e))
        .map_err(step(STEP))
}

pub const ENCRYPT_STEP: &str = "encrypt the bucket with the customer-managed key";

/// The default-encryption request: `algorithm` (`aws:kms` or `aws:kms:dsse`)
/// with the key, the bucket key on, and, when `block_sse_c`, uploads with
/// customer-provided keys refused. Built separately so tests can check the
/// request itself: moto accepts `BlockedEncryptionTypes` and drops it.
pub fn encryption_configuration(
    algorithm: &str,
    key_arn: &str,
    block_sse_c: bool,
) -> Result<ServerSideEncryptionConfiguration, StepError> {
    let default = built(
        ENCRYPT_STEP,
        ServerSideEncryptionByDefault::builder()
            .sse_algorithm(ServerSideEncryption::from(algorithm))
            .kms_master_key_id(key_arn)
            .build(),
    )?;
    let mut rule = ServerSideEncryptionRule::builder()
        .apply_server_side_encryption_by_default(default)
        .bucket_key_enabled(true);
    if block_sse_c {
        rule = rule.blocked_encryption_types(
            aws_sdk_s3::types::BlockedEncryptionTypes::builder()
                .encryption_type(EncryptionType::SseC)
                .build(),
        );
    }
    built(
        ENCRYPT_STEP,
        ServerSideEncryptionConfiguration::builder()
            .rules(rule.build())
            .build(),
    )
}

pub async fn put_encryption(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    config: ServerSideEncryptionConfiguration,
) -> Result<(), StepError> {
    s3.put_bucket_encryption()
        .bucket(bucket)
        .server_side_encryption_configuration(config)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| AwsError::from_sdk("s3:PutBucketEncryption", e))
        .map_err(step(ENCRYPT_STEP))
}

pub async fn enable_versioning(s3: &aws_sdk_s3::Client, bucket: &str) -> Result<(), StepError> {
    s3.put_bucket_versioning()
        .bucket(bucket)
        .versioning_configuration(
            VersioningConfiguration::builder()
                .status(BucketVersioningStatus::Enabled)
                .build(),
        )
        .send()
        .await
        .map(|_| ())
        .map_err(|e| AwsError::from_sdk("s3:PutBucketVersioning", e))
        .map_err(step("enable versioning"))
}

pub async fn put_policy(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    policy: String,
) -> Result<(), StepError> {
    s3.put_bucket_policy()
        .bucket(bucket)
        .policy(policy)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| AwsError::from_sdk("s3:PutBucketPolicy", e))
        .map_err(step("attach the TLS-only bucket policy"))
}

/// Makes the bucket's tags equal to `tags`.
pub async fn set_bucket_tags(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    tags: &BTreeMap<String, String>,
) -> Result<(), StepError> {
    if tags.is_empty() {
        return s3
            .delete_bucket_tagging()
            .bucket(bucket)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| AwsError::from_sdk("s3:DeleteBucketTagging", e))
            .map_err(step("remove the bucket tags"));
    }
    let mut set = Vec::with_capacity(tags.len());
    for (k, v) in tags {
        set.push(built(
            "tag the bucket",
            Tag::builder().key(k).value(v).build(),
        )?);
    }
    let tagging = built(
        "tag the bucket",
        Tagging::builder().set_tag_set(Some(set)).build(),
    )?;
    s3.put_bucket_tagging()
        .bucket(bucket)
        .tagging(tagging)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| AwsError::from_sdk("s3:PutBucketTagging", e))
        .map_err(step("tag the bucket"))
}

// ---- reads -------------------------------------------------------------------

/// Whether the bucket exists (HeadBucket). A bucket deleted outside Terraform
/// is `false`, so Read can drop it from state.
pub async fn exists(s3: &aws_sdk_s3::Client, bucket: &str) -> Result<bool, AwsError> {
    match s3.head_bucket().bucket(bucket).send().await {
        Ok(_) => Ok(true),
        Err(e) => {
            let err = AwsError::from_sdk("s3:HeadBucket", e);
            if err.is_not_found() {
                Ok(false)
            } else {
                Err(err)
            }
        }
    }
}

/// The settings every bucket the provider makes shares, as AWS reports them.
pub struct BaselineRead {
    pub encryption: EncryptionRead,
    pub public_access: String,
    pub ownership: String,
    /// The bucket policy document, if any.
    pub policy: Option<String>,
    pub versioning: String,
    pub tags: BTreeMap<String, String>,
}

/// Reads the shared settings of `bucket` together (they do not depend on
/// each other), each within the process's read bound.
pub async fn read_baseline(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
) -> Result<BaselineRead, AwsError> {
    use crate::aws::concurrency::bounded;
    let (encryption, public_access, ownership, policy, versioning, tags) = tokio::try_join!(
        bounded(read_encryption(s3, bucket)),
        bounded(read_public_access(s3, bucket)),
        bounded(read_ownership(s3, bucket)),
        bounded(read_policy(s3, bucket)),
        bounded(read_versioning(s3, bucket)),
        bounded(read_tags(s3, bucket)),
    )?;
    Ok(BaselineRead {
        encryption,
        public_access,
        ownership,
        policy,
        versioning,
        tags,
    })
}

/// The default encryption as AWS reports it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EncryptionRead {
    /// In the words of [`encryption_text`], or "no default encryption".
    pub text: String,
    pub algorithm: Option<String>,
    pub key: Option<String>,
    /// `None` when the endpoint does not report `BlockedEncryptionTypes` at
    /// all (older endpoints and the emulator).
    pub sse_c_blocked: Option<bool>,
}

pub async fn read_encryption(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
) -> Result<EncryptionRead, AwsError> {
    match s3.get_bucket_encryption().bucket(bucket).send().await {
        Ok(out) => {
            let rule = out
                .server_side_encryption_configuration()
                .and_then(|c| c.rules().first());
            let default = rule.and_then(|r| r.apply_server_side_encryption_by_default());
            let algorithm = default.map(|d| d.sse_algorithm().as_str().to_owned());
            let key = default.and_then(|d| d.kms_master_key_id().map(str::to_owned));
            let bucket_key = rule.and_then(|r| r.bucket_key_enabled()).unwrap_or(false);
            let sse_c_blocked = rule
                .and_then(|r| r.blocked_encryption_types())
                .map(|b| b.encryption_type().contains(&EncryptionType::SseC));
            Ok(EncryptionRead {
                text: encryption_text(
                    algorithm.as_deref().unwrap_or("none"),
                    key.as_deref().unwrap_or("none"),
                    bucket_key,
                ),
                algorithm,
                key,
                sse_c_blocked,
            })
        }
        Err(e) => {
            let err = AwsError::from_sdk("s3:GetBucketEncryption", e);
            if err.code_is("ServerSideEncryptionConfigurationNotFoundError") {
                Ok(EncryptionRead {
                    text: "no default encryption".to_owned(),
                    ..Default::default()
                })
            } else {
                Err(err)
            }
        }
    }
}

/// [`ALL_BLOCKED`], or which of the four blocks are off.
pub async fn read_public_access(s3: &aws_sdk_s3::Client, bucket: &str) -> Result<String, AwsError> {
    match s3.get_public_access_block().bucket(bucket).send().await {
        Ok(out) => Ok(match out.public_access_block_configuration() {
            Some(c) => {
                let off: Vec<&str> = [
                    ("BlockPublicAcls", c.block_public_acls()),
                    ("IgnorePublicAcls", c.ignore_public_acls()),
                    ("BlockPublicPolicy", c.block_public_policy()),
                    ("RestrictPublicBuckets", c.restrict_public_buckets()),
                ]
                .into_iter()
                .filter(|(_, on)| *on != Some(true))
                .map(|(n, _)| n)
                .collect();
                if off.is_empty() {
                    ALL_BLOCKED.to_owned()
                } else {
                    format!("off: {}", off.join(", "))
                }
            }
            None => "not configured".to_owned(),
        }),
        Err(e) => {
            let err = AwsError::from_sdk("s3:GetPublicAccessBlock", e);
            if err.code_is("NoSuchPublicAccessBlockConfiguration") {
                Ok("not configured".to_owned())
            } else {
                Err(err)
            }
        }
    }
}

pub async fn read_ownership(s3: &aws_sdk_s3::Client, bucket: &str) -> Result<String, AwsError> {
    match s3
        .get_bucket_ownership_controls()
        .bucket(bucket)
        .send()
        .await
    {
        Ok(out) => Ok(out
            .ownership_controls()
            .and_then(|c| c.rules().first())
            .map(|r| r.object_ownership().as_str().to_owned())
            .unwrap_or_else(|| "not set".to_owned())),
        Err(e) => {
            let err = AwsError::from_sdk("s3:GetBucketOwnershipControls", e);
            if err.code_is("OwnershipControlsNotFoundError") {
                Ok("not set (ACLs enabled)".to_owned())
            } else {
                Err(err)
            }
        }
    }
}

/// The bucket policy JSON, `None` when there is none.
pub async fn read_policy(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
) -> Result<Option<String>, AwsError> {
    match s3.get_bucket_policy().bucket(bucket).send().await {
        Ok(out) => Ok(out.policy().map(str::to_owned)),
        Err(e) => {
            let err = AwsError::from_sdk("s3:GetBucketPolicy", e);
            if err.code_is("NoSuchBucketPolicy") {
                Ok(None)
            } else {
                Err(err)
            }
        }
    }
}

/// "Enabled", "Suspended" or "never enabled".
pub async fn read_versioning(s3: &aws_sdk_s3::Client, bucket: &str) -> Result<String, AwsError> {
    Ok(s3
        .get_bucket_versioning()
        .bucket(bucket)
        .customize()
        .interceptor(crate::aws::compat::VersioningRootCompat)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("s3:GetBucketVersioning", e))?
        .status()
        .map(|s| s.as_str().to_owned())
        .unwrap_or_else(|| "never enabled".to_owned()))
}

/// When the bucket was created (seconds since the epoch), from ListBuckets;
/// `None` when the listing does not show it.
pub async fn creation_time(s3: &aws_sdk_s3::Client, bucket: &str) -> Result<Option<u64>, AwsError> {
    let mut pages = s3.list_buckets().prefix(bucket).into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| AwsError::from_sdk("s3:ListBuckets", e))?;
        if let Some(found) = page.buckets().iter().find(|b| b.name() == Some(bucket)) {
            return Ok(found
                .creation_date()
                .and_then(|d| u64::try_from(d.secs()).ok()));
        }
    }
    Ok(None)
}

pub async fn read_tags(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
) -> Result<BTreeMap<String, String>, AwsError> {
    match s3.get_bucket_tagging().bucket(bucket).send().await {
        Ok(out) => Ok(out
            .tag_set()
            .iter()
            .map(|t| (t.key().to_owned(), t.value().to_owned()))
            .collect()),
        Err(e) => {
            let err = AwsError::from_sdk("s3:GetBucketTagging", e);
            if err.code_is("NoSuchTagSet") || err.code_is("NoSuchTagSetError") {
                Ok(BTreeMap::new())
            } else {
                Err(err)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_policy_reads_back_as_compliant() {
        let arn = bucket_arn("aws", "acme");
        let policy = policy_document(tls_statements(&arn, "1.2"));
        assert_eq!(describe_tls_policy(Some(&policy)), tls_text("1.2"));
        assert_eq!(min_tls_of(&tls_text("1.3")).as_deref(), Some("1.3"));
        assert!(policy.contains("arn:aws:s3:::acme/*"));
    }

    #[test]
    fn missing_or_weakened_policies_are_described_differently() {
        assert_eq!(describe_tls_policy(None), "no bucket policy");
        let allow_only = r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"true"}}}]}"#;
        assert_eq!(
            describe_tls_policy(Some(allow_only)),
            "allows non-TLS requests"
        );
        let no_floor = r#"{"Statement":{"Effect":"Deny","Principal":{"AWS":"*"},"Action":"s3:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":false}}}}"#;
        assert_eq!(
            describe_tls_policy(Some(no_floor)),
            "denies non-TLS; no minimum TLS version"
        );
    }

    #[test]
    fn partitions() {
        assert_eq!(partition("eu-central-1"), "aws");
        assert_eq!(partition("cn-north-1"), "aws-cn");
        assert_eq!(partition("us-gov-west-1"), "aws-us-gov");
    }

    /// The emulator drops `BlockedEncryptionTypes` (CONTROLS.md §4), so the
    /// SSE-C block is proven on the request the provider sends.
    #[test]
    fn encryption_request_blocks_sse_c_with_the_key_and_bucket_key() {
        let key = "arn:aws:kms:eu-central-1:111122223333:key/k";
        let config = encryption_configuration("aws:kms:dsse", key, true).unwrap();
        let rule = &config.rules()[0];
        let default = rule.apply_server_side_encryption_by_default().unwrap();
        assert_eq!(default.sse_algorithm(), &ServerSideEncryption::AwsKmsDsse);
        assert_eq!(default.kms_master_key_id(), Some(key));
        assert_eq!(rule.bucket_key_enabled(), Some(true));
        assert_eq!(
            rule.blocked_encryption_types().unwrap().encryption_type(),
            [EncryptionType::SseC]
        );
        let plain = encryption_configuration("aws:kms", key, false).unwrap();
        assert!(plain.rules()[0].blocked_encryption_types().is_none());
    }
}
