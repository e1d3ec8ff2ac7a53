//! What a compliant PHI bucket looks like in AWS, derived from its
//! configuration, and the words its `enforced` map uses.
//!
//! As for the audit sink, the always-on settings are not attributes: they
//! appear in the read-only `enforced` map, keyed by the control that requires
//! them. Read fills the map from AWS, plan fills it with what compliance
//! requires, so drift shows as a change of an entry and apply restores it.

use std::collections::BTreeMap;

use aws_sdk_s3::types::{
    AbortIncompleteMultipartUpload, BucketLifecycleConfiguration, DeleteMarkerReplication,
    DeleteMarkerReplicationStatus, Destination, EncryptionConfiguration, ExpirationStatus,
    LifecycleRule, LifecycleRuleFilter, NoncurrentVersionExpiration, ReplicationConfiguration,
    ReplicationRule, ReplicationRuleFilter, ReplicationRuleStatus, SourceSelectionCriteria,
    SseKmsEncryptedObjects, SseKmsEncryptedObjectsStatus,
};
use phi_policy::ids;

use crate::resources::s3_common::{self, StepError, built};

pub const DEFAULT_ALGORITHM: &str = "aws:kms";
pub const DEFAULT_MIN_TLS: &str = "1.2";
/// Incomplete multipart uploads are aborted after this many days.
pub const ABORT_UPLOAD_DAYS: i32 = 7;
pub const LIFECYCLE_RULE_ID: &str = "phi-guard-baseline";
pub const REPLICATION_RULE_ID: &str = "phi-guard-replication";

/// Where and how objects are replicated (all four keys known).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replication {
    pub region: String,
    pub destination_bucket: String,
    pub kms_key_arn: String,
    pub role_arn: String,
}

/// The bucket's settings, all known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Desired {
    pub name: String,
    pub kms_key_arn: String,
    pub algorithm: String,
    pub minimum_tls_version: String,
    pub noncurrent_days: i64,
    pub replication: Option<Replication>,
    pub tags: BTreeMap<String, String>,
    /// The sink whose trail records object access (its name).
    pub audit_log_sink: String,
}

/// Keys of the `enforced` map, each starting with its control id.
pub mod key {
    pub const ENCRYPTION: &str = "PHI-S3-001 bucket encryption";
    pub const PUBLIC_ACCESS: &str = "PHI-S3-002 public access block";
    pub const OWNERSHIP: &str = "PHI-S3-003 object ownership";
    pub const TLS_POLICY: &str = "PHI-S3-004 TLS-only bucket policy";
    pub const VERSIONING: &str = "PHI-S3-005 versioning";
    pub const SSE_C: &str = "PHI-S3-006 SSE-C uploads";
    pub const LIFECYCLE: &str = "PHI-S3-007 lifecycle";
    pub const REPLICATION: &str = "PHI-S3-010 replication";
    pub const RECORDED: &str = "PHI-S3-011 object access audit";
}

/// Checks at compile time that the map keys name real controls.
const _: () = {
    use crate::resources::s3_common::const_starts_with as starts;
    assert!(starts(key::ENCRYPTION, ids::S3_ENCRYPTION));
    assert!(starts(key::PUBLIC_ACCESS, ids::S3_PUBLIC_ACCESS_BLOCK));
    assert!(starts(key::OWNERSHIP, ids::S3_ACLS_DISABLED));
    assert!(starts(key::TLS_POLICY, ids::S3_TLS_ONLY));
    assert!(starts(key::VERSIONING, ids::S3_VERSIONING));
    assert!(starts(key::SSE_C, ids::S3_SSE_C_BLOCKED));
    assert!(starts(key::LIFECYCLE, ids::S3_ABORT_UPLOADS));
    assert!(starts(key::REPLICATION, ids::S3_REPLICATION_REGION));
    assert!(starts(key::RECORDED, ids::S3_ACCESS_RECORDED));
};

pub fn lifecycle_text(
    abort_days: Option<i32>,
    noncurrent_days: Option<i32>,
    expires_current: bool,
) -> String {
    let abort = abort_days.map_or_else(
        || "incomplete uploads never aborted".to_owned(),
        |d| format!("abort incomplete uploads after {d} days"),
    );
    let noncurrent = noncurrent_days.map_or_else(
        || "noncurrent versions kept forever".to_owned(),
        |d| format!("noncurrent versions expire after {d} days"),
    );
    let current = if expires_current {
        "; a rule expires current objects"
    } else {
        ""
    };
    format!("{abort}; {noncurrent}{current}")
}

pub fn replication_text(r: Option<(&str, &str)>) -> String {
    match r {
        Some((dest_arn, key)) => format!("to {dest_arn} with replica key {key}"),
        None => "none".to_owned(),
    }
}

impl Desired {
    pub fn partition_arn(&self, partition: &str) -> String {
        s3_common::bucket_arn(partition, &self.name)
    }

    fn noncurrent_i32(&self) -> i32 {
        i32::try_from(self.noncurrent_days).unwrap_or(i32::MAX)
    }

    /// The `enforced` map a compliant bucket has.
    pub fn enforced(&self, partition: &str) -> BTreeMap<String, String> {
        let replication = self.replication.as_ref().map(|r| {
            (
                s3_common::bucket_arn(partition, &r.destination_bucket),
                r.kms_key_arn.clone(),
            )
        });
        [
            (
                key::ENCRYPTION,
                s3_common::encryption_text(&self.algorithm, &self.kms_key_arn, true),
            ),
            (key::PUBLIC_ACCESS, s3_common::ALL_BLOCKED.to_owned()),
            (key::OWNERSHIP, s3_common::OWNER_ENFORCED.to_owned()),
            (
                key::TLS_POLICY,
                s3_common::tls_text(&self.minimum_tls_version),
            ),
            (key::VERSIONING, s3_common::VERSIONING_ENABLED.to_owned()),
            (key::SSE_C, s3_common::SSE_C_BLOCKED.to_owned()),
            (
                key::LIFECYCLE,
                lifecycle_text(Some(ABORT_UPLOAD_DAYS), Some(self.noncurrent_i32()), false),
            ),
            (
                key::REPLICATION,
                replication_text(replication.as_ref().map(|(a, k)| (a.as_str(), k.as_str()))),
            ),
            (
                key::RECORDED,
                crate::resources::audit_trail::recorded_text(&self.audit_log_sink),
            ),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect()
    }

    pub fn bucket_policy(&self, partition: &str) -> String {
        let arn = self.partition_arn(partition);
        s3_common::policy_document(s3_common::tls_statements(&arn, &self.minimum_tls_version))
    }

    /// One rule over the whole bucket: abort incomplete multipart uploads,
    /// expire noncurrent versions after the configured days. Current objects
    /// are never expired by the provider.
    pub fn lifecycle(&self) -> Result<BucketLifecycleConfiguration, StepError> {
        const STEP: &str = "set the lifecycle rule";
        let rule = built(
            STEP,
            LifecycleRule::builder()
                .id(LIFECYCLE_RULE_ID)
                .status(ExpirationStatus::Enabled)
                .filter(LifecycleRuleFilter::builder().prefix("").build())
                .abort_incomplete_multipart_upload(
                    AbortIncompleteMultipartUpload::builder()
                        .days_after_initiation(ABORT_UPLOAD_DAYS)
                        .build(),
                )
                .noncurrent_version_expiration(
                    NoncurrentVersionExpiration::builder()
                        .noncurrent_days(self.noncurrent_i32())
                        .build(),
                )
                .build(),
        )?;
        built(
            STEP,
            BucketLifecycleConfiguration::builder().rules(rule).build(),
        )
    }

    /// Replication of every object to the destination, re-encrypted there
    /// with the destination region's customer-managed key; objects encrypted
    /// with SSE-KMS (all of them, by default encryption) are included.
    pub fn replication_configuration(
        &self,
        partition: &str,
    ) -> Option<Result<ReplicationConfiguration, StepError>> {
        const STEP: &str = "configure replication";
        let r = self.replication.as_ref()?;
        let build = || {
            let destination = built(
                STEP,
                Destination::builder()
                    .bucket(s3_common::bucket_arn(partition, &r.destination_bucket))
                    .encryption_configuration(
                        EncryptionConfiguration::builder()
                            .replica_kms_key_id(&r.kms_key_arn)
                            .build(),
                    )
                    .build(),
            )?;
            let criteria = SourceSelectionCriteria::builder()
                .sse_kms_encrypted_objects(built(
                    STEP,
                    SseKmsEncryptedObjects::builder()
                        .status(SseKmsEncryptedObjectsStatus::Enabled)
                        .build(),
                )?)
                .build();
            let rule = built(
                STEP,
                ReplicationRule::builder()
                    .id(REPLICATION_RULE_ID)
                    .priority(1)
                    .status(ReplicationRuleStatus::Enabled)
                    .filter(ReplicationRuleFilter::builder().prefix("").build())
                    .delete_marker_replication(
                        DeleteMarkerReplication::builder()
                            .status(DeleteMarkerReplicationStatus::Disabled)
                            .build(),
                    )
                    .source_selection_criteria(criteria)
                    .destination(destination)
                    .build(),
            )?;
            built(
                STEP,
                ReplicationConfiguration::builder()
                    .role(&r.role_arn)
                    .rules(rule)
                    .build(),
            )
        };
        Some(build())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn desired() -> Desired {
        Desired {
            name: "acme-records".into(),
            kms_key_arn: "arn:aws:kms:eu-central-1:123456789012:key/k".into(),
            algorithm: "aws:kms".into(),
            minimum_tls_version: "1.2".into(),
            noncurrent_days: 365,
            replication: None,
            tags: BTreeMap::new(),
            audit_log_sink: "acme-audit".into(),
        }
    }

    #[test]
    fn enforced_map_names_every_always_on_control() {
        let map = desired().enforced("aws");
        assert_eq!(map.len(), 9);
        assert!(map.keys().all(|k| k.starts_with("PHI-S3-")));
        assert_eq!(
            map[key::LIFECYCLE],
            "abort incomplete uploads after 7 days; noncurrent versions expire after 365 days"
        );
        assert_eq!(map[key::REPLICATION], "none");
        assert_eq!(
            map[key::RECORDED],
            "data events recorded by trail phi-guard-acme-audit"
        );
    }

    #[test]
    fn lifecycle_aborts_uploads_and_expires_only_noncurrent_versions() {
        let config = desired().lifecycle().unwrap();
        let rule = &config.rules()[0];
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
        assert!(rule.expiration().is_none());
    }

    #[test]
    fn replication_reencrypts_with_the_destination_key() {
        let mut d = desired();
        assert!(d.replication_configuration("aws").is_none());
        d.replication = Some(Replication {
            region: "eu-west-1".into(),
            destination_bucket: "acme-records-dr".into(),
            kms_key_arn: "arn:aws:kms:eu-west-1:123456789012:key/r".into(),
            role_arn: "arn:aws:iam::123456789012:role/replication".into(),
        });
        let config = d.replication_configuration("aws").unwrap().unwrap();
        let rule = &config.rules()[0];
        let dest = rule.destination().unwrap();
        assert_eq!(dest.bucket(), "arn:aws:s3:::acme-records-dr");
        assert_eq!(
            dest.encryption_configuration()
                .and_then(|e| e.replica_kms_key_id()),
            Some("arn:aws:kms:eu-west-1:123456789012:key/r")
        );
        assert_eq!(
            rule.source_selection_criteria()
                .and_then(|c| c.sse_kms_encrypted_objects())
                .map(|s| s.status()),
            Some(&SseKmsEncryptedObjectsStatus::Enabled)
        );
        assert_eq!(
            d.enforced("aws")[key::REPLICATION],
            "to arn:aws:s3:::acme-records-dr with replica key arn:aws:kms:eu-west-1:123456789012:key/r"
        );
    }

    #[test]
    fn generated_policy_is_the_tls_policy() {
        let policy = desired().bucket_policy("aws");
        assert_eq!(
            s3_common::describe_tls_policy(Some(&policy)),
            s3_common::tls_text("1.2")
        );
    }
}
