//! Reading a sink's live settings from AWS, in the vocabulary of the
//! `enforced` map (see `desired.rs`).

use std::collections::BTreeMap;

use crate::aws::concurrency::bounded;
use crate::aws::{AwsError, Clients};
use crate::resources::s3_common;

use super::archive;
use super::desired::{self, key};

/// What AWS reports about a sink.
#[derive(Debug, Clone, Default)]
pub struct Observed {
    pub enforced: BTreeMap<String, String>,
    pub tags: BTreeMap<String, String>,
    /// The KMS key the bucket is encrypted with, if any (used by import).
    pub bucket_key_arn: Option<String>,
    pub lock_mode: Option<String>,
    pub lock_days: Option<i64>,
    pub log_retention_days: Option<i64>,
    pub min_tls: Option<String>,
    pub log_group_arn: Option<String>,
    pub log_group_exists: bool,
    pub log_stored_bytes: i64,
}

/// Reads everything about the sink `name`. `Ok(None)` when its bucket does
/// not exist (the sink was deleted outside Terraform).
pub async fn observe(
    clients: &Clients,
    name: &str,
    expected_protection: &str,
) -> Result<Option<Observed>, AwsError> {
    let s3 = &clients.s3;
    if !s3_common::exists(s3, name).await? {
        return Ok(None);
    }
    // DESIGN: the reads below do not depend on each other, so they go out
    // together: a refresh waits about two round trips per sink (exists, then
    // everything else) instead of one per setting.
    let group_name = desired::log_group_name(name);
    let (base, lifecycle, (lock_text, lock_mode, lock_days), group, trail) = tokio::try_join!(
        s3_common::read_baseline(s3, name),
        bounded(archive::read_lifecycle(s3, name)),
        bounded(read_object_lock(s3, name)),
        bounded(read_log_group(clients, &group_name)),
        bounded(crate::resources::audit_trail::describe_trail(clients, name)),
    )?;
    let mut o = Observed::default();
    let mut put = |k: &str, v: String| {
        o.enforced.insert(k.to_owned(), v);
    };

    put(key::S3_ENCRYPTION, base.encryption.text);
    let enc_key = base.encryption.key;
    // An endpoint that does not report BlockedEncryptionTypes at all (the
    // emulator; S3 before the field existed) cannot show this drift: only
    // an explicit list without SSE-C is drift. The request the provider
    // sends always blocks SSE-C (unit-tested in `s3_common`).
    put(
        key::S3_SSE_C,
        match base.encryption.sse_c_blocked {
            Some(false) => "SSE-C allowed".to_owned(),
            Some(true) | None => s3_common::SSE_C_BLOCKED.to_owned(),
        },
    );
    put(key::S3_PUBLIC_ACCESS, base.public_access);
    put(key::S3_OWNERSHIP, base.ownership);
    put(
        key::ARCHIVE_GUARD,
        archive::describe_guard(
            base.policy.as_deref(),
            &crate::resources::audit_trail::trail_name(name),
        ),
    );
    put(key::S3_LIFECYCLE, lifecycle);
    let tls = s3_common::describe_tls_policy(base.policy.as_deref());
    let min_tls = s3_common::min_tls_of(&tls);
    put(key::S3_TLS_POLICY, tls);
    put(key::S3_VERSIONING, base.versioning);
    put(key::S3_OBJECT_LOCK, lock_text);

    let mut log_retention_days = None;
    let mut log_group_arn = None;
    let mut stored = 0;
    match &group {
        Some(g) => {
            log_retention_days = g.retention_in_days().map(i64::from);
            put(
                key::LOG_RETENTION,
                log_retention_days
                    .map_or_else(|| "never expire".to_owned(), desired::retention_text),
            );
            put(
                key::LOG_ENCRYPTION,
                g.kms_key_id()
                    .unwrap_or("not encrypted with a customer key")
                    .to_owned(),
            );
            put(key::LOG_CLASS, class_text(g.log_group_class()));
            put(
                key::LOG_DELETION_PROTECTION,
                protection_text(g.deletion_protection_enabled(), expected_protection),
            );
            log_group_arn = g
                .log_group_arn()
                .map(str::to_owned)
                .or_else(|| g.arn().map(|a| a.trim_end_matches(":*").to_owned()));
            stored = g.stored_bytes().unwrap_or(0);
        }
        None => {
            for k in [
                key::LOG_RETENTION,
                key::LOG_ENCRYPTION,
                key::LOG_CLASS,
                key::LOG_DELETION_PROTECTION,
            ] {
                put(k, "log group missing".to_owned());
            }
        }
    }

    put(key::S3_ACCESS_TRAIL, trail);
    o.tags = base.tags;
    // The create-intent marker is the provider's, never a configured tag.
    o.tags.remove(crate::resources::create_intent::MARKER_TAG);
    o.bucket_key_arn = enc_key;
    o.lock_mode = lock_mode;
    o.lock_days = lock_days;
    o.log_retention_days = log_retention_days;
    o.min_tls = min_tls;
    o.log_group_exists = group.is_some();
    o.log_group_arn = log_group_arn;
    o.log_stored_bytes = stored;
    Ok(Some(o))
}

/// The archive's Object Lock default retention: its `enforced` text, mode
/// and days.
async fn read_object_lock(
    s3: &aws_sdk_s3::Client,
    name: &str,
) -> Result<(String, Option<String>, Option<i64>), AwsError> {
    Ok(
        match s3.get_object_lock_configuration().bucket(name).send().await {
            Ok(out) => {
                let retention = out
                    .object_lock_configuration()
                    .and_then(|c| c.rule())
                    .and_then(|r| r.default_retention());
                match retention {
                    Some(r) => {
                        let mode = r.mode().map(|m| m.as_str().to_owned());
                        // The emulator reports `Days: 0` next to `Years`; a
                        // positive value of either is the real setting.
                        let days = match (r.days(), r.years()) {
                            (Some(d), _) if d > 0 => Some(i64::from(d)),
                            (_, Some(y)) if y > 0 => Some(i64::from(y) * 365),
                            _ => None,
                        };
                        (
                            desired::lock_text(
                                mode.as_deref().unwrap_or("no mode"),
                                days.unwrap_or(0),
                            ),
                            mode,
                            days,
                        )
                    }
                    None => ("enabled, no default retention".to_owned(), None, None),
                }
            }
            Err(e) => {
                let err = AwsError::from_sdk("s3:GetObjectLockConfiguration", e);
                if err.code_is("ObjectLockConfigurationNotFoundError") {
                    ("object lock not enabled".to_owned(), None, None)
                } else {
                    return Err(err);
                }
            }
        },
    )
}

/// The sink's log group, if it exists.
async fn read_log_group(
    clients: &Clients,
    group_name: &str,
) -> Result<Option<aws_sdk_cloudwatchlogs::types::LogGroup>, AwsError> {
    let groups = clients
        .logs
        .describe_log_groups()
        .log_group_name_prefix(group_name)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("logs:DescribeLogGroups", e))?;
    Ok(groups
        .log_groups()
        .iter()
        .find(|g| g.log_group_name() == Some(group_name))
        .cloned())
}

/// The `PHI-LOG-004` entry: the class CloudWatch Logs reports; a group
/// that reports none is STANDARD (the class predates the field).
fn class_text(class: Option<&aws_sdk_cloudwatchlogs::types::LogGroupClass>) -> String {
    class
        .map_or(desired::LOG_CLASS_STANDARD, |c| c.as_str())
        .to_owned()
}

/// The `PHI-LOG-003` entry. Older CloudWatch Logs endpoints (and the
/// emulator) do not report the flag at all; only an explicit `false` is
/// drift, so an endpoint that omits it reads as `expected`.
fn protection_text(reported: Option<bool>, expected: &str) -> String {
    match reported {
        Some(true) => desired::PROTECTION_ON.to_owned(),
        Some(false) => "off".to_owned(),
        None => expected.to_owned(),
    }
}

/// Whether the bucket still holds any object version or delete marker:
/// under COMPLIANCE Object Lock, such versions cannot be deleted by anyone
/// until their retention ends.
pub async fn holds_records(clients: &Clients, name: &str) -> Result<bool, AwsError> {
    let out = clients
        .s3
        .list_object_versions()
        .bucket(name)
        .max_keys(1)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("s3:ListObjectVersions", e))?;
    Ok(!out.versions().is_empty() || !out.delete_markers().is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_cloudwatchlogs::types::LogGroupClass;

    /// moto does not report deletion protection, so the drift branch is
    /// only reachable here.
    #[test]
    fn log_group_deletion_protection_drift_only_when_reported() {
        let on = desired::PROTECTION_ON;
        assert_eq!(protection_text(Some(true), on), on);
        assert_eq!(protection_text(Some(false), on), "off");
        assert_eq!(protection_text(None, on), on);
    }

    #[test]
    fn log_group_class_reads_as_reported() {
        assert_eq!(class_text(None), desired::LOG_CLASS_STANDARD);
        assert_eq!(class_text(Some(&LogGroupClass::Standard)), "STANDARD");
        assert_eq!(
            class_text(Some(&LogGroupClass::InfrequentAccess)),
            "INFREQUENT_ACCESS"
        );
    }
}
