//! What a compliant sink looks like in AWS, derived from its configuration.
//!
//! The always-on settings are not attributes a user can set. They appear in
//! the read-only `enforced` map, one entry per setting, keyed by the control
//! that requires it. Read fills the map from what AWS reports and plan fills it
//! with what compliance requires, so drift shows up in the next plan as a
//! change of that entry, and apply restores it.

use std::collections::BTreeMap;

use phi_policy::ids;

use crate::resources::audit_trail;

use super::archive;
use crate::resources::s3_common::{self, const_starts_with};
pub use crate::resources::s3_common::{
    ALL_BLOCKED, OWNER_ENFORCED, VERSIONING_ENABLED, encryption_text, partition, tls_text,
};

/// The sink's settings, all known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Desired {
    pub name: String,
    pub kms_key_arn: String,
    pub retention_days: i64,
    pub lock_mode: String,
    pub minimum_tls_version: String,
    pub tags: BTreeMap<String, String>,
    /// From the policy, not the configuration: who may still change the
    /// archive's lock, lifecycle and policy (PHI-AUD-003).
    pub break_glass: Vec<String>,
}

pub const DEFAULT_LOCK_MODE: &str = "COMPLIANCE";
pub const DEFAULT_MIN_TLS: &str = "1.2";
pub const TLS_VERSIONS: [&str; 2] = ["1.2", "1.3"];

/// Keys of the `enforced` map. Each starts with the control id so a reviewer
/// reading a plan diff knows which control drifted.
pub mod key {
    pub const S3_ENCRYPTION: &str = "PHI-S3-001 bucket encryption";
    pub const S3_PUBLIC_ACCESS: &str = "PHI-S3-002 public access block";
    pub const S3_OWNERSHIP: &str = "PHI-S3-003 object ownership";
    pub const S3_TLS_POLICY: &str = "PHI-S3-004 TLS-only bucket policy";
    pub const S3_VERSIONING: &str = "PHI-S3-005 versioning";
    pub const S3_OBJECT_LOCK: &str = "PHI-AUD-001 object lock";
    pub const LOG_RETENTION: &str = "PHI-LOG-001 log group retention";
    pub const LOG_ENCRYPTION: &str = "PHI-LOG-002 log group encryption";
    pub const LOG_DELETION_PROTECTION: &str = "PHI-LOG-003 log group deletion protection";
    pub const LOG_CLASS: &str = "PHI-LOG-004 log group class";
    pub const S3_ACCESS_TRAIL: &str = "PHI-S3-011 CloudTrail trail";
    pub const S3_SSE_C: &str = "PHI-S3-006 SSE-C uploads";
    pub const S3_LIFECYCLE: &str = "PHI-S3-007 lifecycle";
    pub const ARCHIVE_GUARD: &str = "PHI-AUD-003 archive guard";
}

/// Checks at compile time that the map keys name real controls.
const _: () = {
    assert!(const_starts_with(key::S3_ENCRYPTION, ids::S3_ENCRYPTION));
    assert!(const_starts_with(
        key::S3_PUBLIC_ACCESS,
        ids::S3_PUBLIC_ACCESS_BLOCK
    ));
    assert!(const_starts_with(key::S3_OWNERSHIP, ids::S3_ACLS_DISABLED));
    assert!(const_starts_with(key::S3_TLS_POLICY, ids::S3_TLS_ONLY));
    assert!(const_starts_with(key::S3_VERSIONING, ids::S3_VERSIONING));
    assert!(const_starts_with(key::S3_OBJECT_LOCK, ids::AUDIT_LOCK_MODE));
    assert!(const_starts_with(key::LOG_RETENTION, ids::LOG_RETENTION));
    assert!(const_starts_with(key::LOG_ENCRYPTION, ids::LOG_ENCRYPTION));
    assert!(const_starts_with(
        key::LOG_DELETION_PROTECTION,
        ids::LOG_DELETION_PROTECTION
    ));
    assert!(const_starts_with(key::LOG_CLASS, ids::LOG_CLASS));
    assert!(const_starts_with(
        key::S3_ACCESS_TRAIL,
        ids::S3_ACCESS_RECORDED
    ));
    assert!(const_starts_with(key::S3_SSE_C, ids::S3_SSE_C_BLOCKED));
    assert!(const_starts_with(key::S3_LIFECYCLE, ids::S3_ABORT_UPLOADS));
    assert!(const_starts_with(
        key::ARCHIVE_GUARD,
        ids::AUDIT_ARCHIVE_GUARDED
    ));
};

pub fn lock_text(mode: &str, days: i64) -> String {
    format!("{mode} default retention {days} days")
}

pub const LOG_CLASS_STANDARD: &str = "STANDARD";
pub const PROTECTION_ON: &str = "on";

pub fn retention_text(days: i64) -> String {
    format!("{days} days")
}

impl Desired {
    pub fn bucket_name(&self) -> &str {
        &self.name
    }

    pub fn log_group_name(&self) -> String {
        log_group_name(&self.name)
    }

    /// The `enforced` map a compliant sink has.
    pub fn enforced(&self) -> BTreeMap<String, String> {
        let entries = [
            (
                key::S3_ENCRYPTION,
                encryption_text("aws:kms", &self.kms_key_arn, true),
            ),
            (key::S3_PUBLIC_ACCESS, ALL_BLOCKED.to_owned()),
            (key::S3_OWNERSHIP, OWNER_ENFORCED.to_owned()),
            (key::S3_TLS_POLICY, tls_text(&self.minimum_tls_version)),
            (key::S3_VERSIONING, VERSIONING_ENABLED.to_owned()),
            (
                key::S3_OBJECT_LOCK,
                lock_text(&self.lock_mode, self.retention_days),
            ),
            (key::LOG_RETENTION, retention_text(self.retention_days)),
            (key::LOG_ENCRYPTION, self.kms_key_arn.clone()),
            (key::LOG_DELETION_PROTECTION, PROTECTION_ON.to_owned()),
            (key::LOG_CLASS, LOG_CLASS_STANDARD.to_owned()),
            (
                key::S3_ACCESS_TRAIL,
                audit_trail::trail_text(
                    audit_trail::TRAIL_OK,
                    &self.kms_key_arn,
                    &self.log_group_name(),
                ),
            ),
            (key::S3_SSE_C, s3_common::SSE_C_BLOCKED.to_owned()),
            (
                key::S3_LIFECYCLE,
                archive::desired_lifecycle_text(self.retention_days),
            ),
            (
                key::ARCHIVE_GUARD,
                archive::guard_text(&self.break_glass, &audit_trail::trail_name(&self.name)),
            ),
        ];
        entries
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect()
    }

    /// The bucket policy: deny any request not made over TLS, and any made
    /// with a TLS version below the minimum (CONTROLS.md §3.2); deny changes
    /// to the lock, the lifecycle and the policy, and governance bypass, to
    /// all but the break-glass principals (PHI-AUD-003); let the sink's own
    /// CloudTrail trail, and only it (`aws:SourceArn`), check the bucket and
    /// deliver under `AWSLogs/`. The account is required: without it the
    /// condition could not name the trail, and a policy without it would let
    /// any trail write.
    pub fn bucket_policy(&self, region: &str, account: &str) -> String {
        let partition = partition(region);
        let arn = s3_common::bucket_arn(partition, &self.name);
        let mut statements = s3_common::tls_statements(&arn, &self.minimum_tls_version);
        statements.push(archive::guard_statement(&arn, &self.break_glass));
        let condition = Some(serde_json::json!({"StringEquals": {
            "aws:SourceArn": audit_trail::trail_arn(partition, region, account, &self.name)
        }}));
        for (sid, action, resource) in [
            ("PhiGuardCloudTrailAclCheck", "s3:GetBucketAcl", arn.clone()),
            (
                "PhiGuardCloudTrailWrite",
                "s3:PutObject",
                format!("{arn}/AWSLogs/*"),
            ),
        ] {
            let mut s = serde_json::json!({
                "Sid": sid,
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": action,
                "Resource": resource,
            });
            if let Some(c) = &condition {
                s["Condition"] = c.clone();
            }
            statements.push(s);
        }
        s3_common::policy_document(statements)
    }
}

pub fn log_group_name(sink_name: &str) -> String {
    format!("/phi-guard/audit/{sink_name}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn desired() -> Desired {
        Desired {
            name: "acme-audit".into(),
            kms_key_arn: "arn:aws:kms:eu-central-1:123456789012:key/k".into(),
            retention_days: 2192,
            lock_mode: "COMPLIANCE".into(),
            minimum_tls_version: "1.2".into(),
            tags: BTreeMap::new(),
            break_glass: vec!["arn:aws:iam::123456789012:role/BreakGlass".into()],
        }
    }

    #[test]
    fn generated_policy_reads_back_as_compliant() {
        let d = desired();
        let policy = d.bucket_policy("eu-central-1", "123456789012");
        assert!(
            policy.contains(
                "arn:aws:cloudtrail:eu-central-1:123456789012:trail/phi-guard-acme-audit"
            )
        );
        assert_eq!(
            s3_common::describe_tls_policy(Some(&policy)),
            tls_text("1.2")
        );
        assert!(policy.contains("arn:aws:s3:::acme-audit/*"));
        assert_eq!(
            archive::describe_guard(Some(&policy), "phi-guard-acme-audit"),
            d.enforced()[key::ARCHIVE_GUARD]
        );
    }

    #[test]
    fn enforced_map_names_every_always_on_control() {
        let map = desired().enforced();
        assert_eq!(map.len(), 14);
        assert!(map.keys().all(|k| k.starts_with("PHI-")));
        assert_eq!(
            map[key::S3_OBJECT_LOCK],
            "COMPLIANCE default retention 2192 days"
        );
    }
}
