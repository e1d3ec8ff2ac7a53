//! Reading a PHI bucket's live settings from AWS, in the vocabulary of the
//! `enforced` map (see `desired.rs`).

use std::collections::BTreeMap;

use aws_sdk_s3::types::{ExpirationStatus, ReplicationRuleStatus};

use crate::aws::concurrency::bounded;
use crate::aws::{AwsError, Clients};
use crate::resources::s3_common;

use super::desired::{self, key};

/// What AWS reports about a bucket.
#[derive(Debug, Clone, Default)]
pub struct Observed {
    pub enforced: BTreeMap<String, String>,
    pub tags: BTreeMap<String, String>,
    /// Used by import to fill the configuration-like attributes.
    pub key_arn: Option<String>,
    pub algorithm: Option<String>,
    pub min_tls: Option<String>,
    pub noncurrent_days: Option<i32>,
    /// (destination bucket ARN, replica key, role)
    pub replication: Option<(String, String, String)>,
}

/// Reads everything about the bucket `name`. `Ok(None)` when it does not
/// exist (deleted outside Terraform).
pub async fn observe(
    clients: &Clients,
    name: &str,
    audit_log_sink: Option<&str>,
) -> Result<Option<Observed>, AwsError> {
    let s3 = &clients.s3;
    if !s3_common::exists(s3, name).await? {
        return Ok(None);
    }
    // DESIGN: the reads below do not depend on each other, so they go out
    // together: a refresh waits about two round trips per bucket (exists,
    // then everything else) instead of one per setting. Each is still one
    // request that the SDK's timeouts and retries govern.
    let recording = async {
        match audit_log_sink {
            Some(sink) => {
                crate::resources::audit_trail::describe_recording(
                    clients,
                    sink,
                    name,
                    s3_common::partition(&clients.region),
                )
                .await
            }
            None => Ok("no audit_log_sink".to_owned()),
        }
    };
    let (base, lifecycle, replication, recorded) = tokio::try_join!(
        s3_common::read_baseline(s3, name),
        bounded(read_lifecycle(s3, name)),
        bounded(read_replication(s3, name)),
        bounded(recording),
    )?;
    let mut o = Observed::default();
    let sse_c = sse_c_text(base.encryption.sse_c_blocked);
    let put = |o: &mut Observed, k: &str, v: String| {
        o.enforced.insert(k.to_owned(), v);
    };
    put(&mut o, key::ENCRYPTION, base.encryption.text);
    put(&mut o, key::SSE_C, sse_c);
    o.key_arn = base.encryption.key;
    o.algorithm = base.encryption.algorithm;
    put(&mut o, key::PUBLIC_ACCESS, base.public_access);
    put(&mut o, key::OWNERSHIP, base.ownership);
    let tls = s3_common::describe_tls_policy(base.policy.as_deref());
    o.min_tls = s3_common::min_tls_of(&tls);
    put(&mut o, key::TLS_POLICY, tls);
    put(&mut o, key::VERSIONING, base.versioning);
    let (lifecycle, noncurrent) = lifecycle;
    o.noncurrent_days = noncurrent;
    put(&mut o, key::LIFECYCLE, lifecycle);
    put(
        &mut o,
        key::REPLICATION,
        desired::replication_text(
            replication
                .as_ref()
                .map(|(dest, key, _)| (dest.as_str(), key.as_str())),
        ),
    );
    o.replication = replication;
    put(&mut o, key::RECORDED, recorded);
    o.tags = base.tags;
    // The create-intent marker is the provider's, never a configured tag.
    o.tags.remove(crate::resources::create_intent::MARKER_TAG);
    Ok(Some(o))
}

/// The `PHI-S3-006` entry. An endpoint that does not report
/// BlockedEncryptionTypes at all (the emulator; S3 before the field existed)
/// cannot show drift of it: only an explicit list without SSE-C is drift.
/// The request the provider sends always blocks SSE-C (unit-tested in
/// `s3_common`).
fn sse_c_text(blocked: Option<bool>) -> String {
    match blocked {
        Some(false) => "SSE-C allowed".to_owned(),
        Some(true) | None => s3_common::SSE_C_BLOCKED.to_owned(),
    }
}

/// The lifecycle rules in the words of [`desired::lifecycle_text`]: the
/// shortest abort and noncurrent expiry of any enabled rule, and whether a
/// rule expires current objects.
async fn read_lifecycle(
    s3: &aws_sdk_s3::Client,
    name: &str,
) -> Result<(String, Option<i32>), AwsError> {
    let rules = match s3
        .get_bucket_lifecycle_configuration()
        .bucket(name)
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
    let noncurrent = enabled()
        .filter_map(|r| {
            r.noncurrent_version_expiration()
                .and_then(|n| n.noncurrent_days())
        })
        .min();
    let expires_current = enabled().any(|r| {
        r.expiration()
            .is_some_and(|e| e.days().is_some_and(|d| d > 0) || e.date().is_some())
    });
    Ok((
        desired::lifecycle_text(abort, noncurrent, expires_current),
        noncurrent,
    ))
}

async fn read_replication(
    s3: &aws_sdk_s3::Client,
    name: &str,
) -> Result<Option<(String, String, String)>, AwsError> {
    match s3.get_bucket_replication().bucket(name).send().await {
        Ok(out) => Ok(out.replication_configuration().and_then(|c| {
            let rule = c
                .rules()
                .iter()
                .find(|r| r.status() == &ReplicationRuleStatus::Enabled)?;
            let dest = rule.destination()?;
            Some((
                dest.bucket().to_owned(),
                dest.encryption_configuration()
                    .and_then(|e| e.replica_kms_key_id())
                    .unwrap_or("none")
                    .to_owned(),
                c.role().to_owned(),
            ))
        })),
        Err(e) => {
            let err = AwsError::from_sdk("s3:GetBucketReplication", e);
            if err.code_is("ReplicationConfigurationNotFoundError") {
                Ok(None)
            } else {
                Err(err)
            }
        }
    }
}

/// The region a bucket lives in (GetBucketLocation; an empty constraint means
/// us-east-1). `Ok(None)` when it does not exist.
pub async fn bucket_region(
    s3: &aws_sdk_s3::Client,
    name: &str,
) -> Result<Option<String>, AwsError> {
    match s3.get_bucket_location().bucket(name).send().await {
        Ok(out) => Ok(Some(
            out.location_constraint()
                .map(|c| c.as_str().to_owned())
                .filter(|c| !c.is_empty())
                .unwrap_or_else(|| "us-east-1".to_owned()),
        )),
        Err(e) => {
            let err = AwsError::from_sdk("s3:GetBucketLocation", e);
            if err.is_not_found() {
                Ok(None)
            } else {
                Err(err)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// moto never reports BlockedEncryptionTypes, so the "allowed" branch is
    /// only reachable here.
    #[test]
    fn sse_c_drift_only_when_reported() {
        assert_eq!(sse_c_text(Some(true)), s3_common::SSE_C_BLOCKED);
        assert_eq!(sse_c_text(None), s3_common::SSE_C_BLOCKED);
        assert_eq!(sse_c_text(Some(false)), "SSE-C allowed");
    }
}
