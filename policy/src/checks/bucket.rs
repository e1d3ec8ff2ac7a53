//! Static checks for `phi_bucket`: the tunable settings of a PHI bucket,
//! each bounded by the policy. The always-on settings (encryption, public
//! access blocks, ACLs, TLS policy, versioning, SSE-C block, lifecycle abort)
//! are not attributes at all, so there is nothing to check for them here.

use std::collections::BTreeMap;

use crate::catalogue::ids;
use crate::document::Policy;
use crate::violation::{Context, Violation};

/// Encryption algorithms a PHI bucket may use: SSE-KMS or DSSE-KMS, both with
/// the customer-managed key. SSE-S3 (`AES256`) is never accepted.
pub const ENCRYPTION_ALGORITHMS: [&str; 2] = ["aws:kms", "aws:kms:dsse"];

/// Minimum TLS versions the generated bucket policy can require.
pub const TLS_VERSIONS: [&str; 2] = ["1.2", "1.3"];

/// Baseline floor for keeping noncurrent (overwritten or deleted) object
/// versions: thirty days gives time to notice a mistake or ransomware and
/// restore. The ceiling is the policy's audit retention maximum, because GDPR
/// requires an upper bound on keeping personal data.
pub const NONCURRENT_MIN_DAYS: i64 = 30;
/// Default noncurrent-version retention: one year.
pub const NONCURRENT_DEFAULT_DAYS: i64 = 365;

/// Keys the `replication` map accepts.
pub const REPLICATION_KEYS: [&str; 4] = ["region", "destination_bucket", "kms_key_arn", "role_arn"];

/// The bucket's configuration. `None` = not known yet (or, for
/// `replication`, not configured: see `replication_known`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BucketConfig {
    pub name: Option<String>,
    pub kms_key_arn: Option<String>,
    pub encryption_algorithm: Option<String>,
    pub minimum_tls_version: Option<String>,
    pub noncurrent_version_retention_days: Option<i64>,
    pub tags: Option<BTreeMap<String, String>>,
    /// The `replication` map; an entry whose value is not known yet is
    /// `None` (present, but not checked). `None` as a whole when not
    /// configured or unknown.
    pub replication: Option<BTreeMap<String, Option<String>>>,
}

/// Every static violation of a bucket configuration at once. Unknown fields
/// are skipped; the provider checks them again at apply.
pub fn check(cfg: &BucketConfig, ctx: &Context, policy: &Policy) -> Vec<Violation> {
    let mut out = Vec::new();
    out.extend(super::common::key_arn(
        cfg.kms_key_arn.as_deref(),
        ctx,
        policy,
    ));
    if let Some(alg) = &cfg.encryption_algorithm
        && !ENCRYPTION_ALGORITHMS.contains(&alg.as_str())
    {
        out.push(Violation::new(
            ids::S3_ENCRYPTION,
            &["encryption_algorithm"],
            format!(
                "encryption_algorithm is {alg:?}; only \"aws:kms\" (SSE-KMS, the default) or \
                 \"aws:kms:dsse\" (DSSE-KMS) with the customer-managed key protect PHI."
            ),
        ));
    }
    if let Some(tls) = &cfg.minimum_tls_version
        && !TLS_VERSIONS.contains(&tls.as_str())
    {
        out.push(Violation::new(
            ids::S3_TLS_ONLY,
            &["minimum_tls_version"],
            format!(
                "minimum_tls_version is {tls:?}; use \"1.2\" (the default) or \"1.3\". Older \
                 versions have known weaknesses."
            ),
        ));
    }
    if let Some(days) = cfg.noncurrent_version_retention_days {
        out.extend(check_noncurrent_retention(days, policy));
    }
    out.extend(super::common::tags(cfg.tags.as_ref(), policy));
    if let Some(replication) = &cfg.replication {
        out.extend(check_replication(replication, ctx, policy));
    }
    out.extend(super::common::region(ctx, policy));
    out
}

/// PHI-S3-008: noncurrent versions are kept long enough to recover from
/// mistakes, and not forever.
pub fn check_noncurrent_retention(days: i64, policy: &Policy) -> Option<Violation> {
    let max = policy.audit_retention_max_days();
    let problem = if days < NONCURRENT_MIN_DAYS {
        format!(
            "noncurrent_version_retention_days is {days}; overwritten or deleted PHI must stay \
             recoverable for at least {NONCURRENT_MIN_DAYS} days."
        )
    } else if days > max {
        format!(
            "noncurrent_version_retention_days is {days}; the policy keeps personal data at most \
             {max} days (GDPR requires an upper bound)."
        )
    } else {
        return None;
    };
    Some(Violation::new(
        ids::S3_NONCURRENT_RETENTION,
        &["noncurrent_version_retention_days"],
        format!("{problem} Accepted: {NONCURRENT_MIN_DAYS} to {max} days."),
    ))
}

/// PHI-S3-010: replication only to an approved region, encrypted there with a
/// customer-managed key of that region.
pub fn check_replication(
    replication: &BTreeMap<String, Option<String>>,
    ctx: &Context,
    policy: &Policy,
) -> Vec<Violation> {
    let mut out = Vec::new();
    let v = |key: &str, message: String| {
        Violation::new(ids::S3_REPLICATION_REGION, &["replication", key], message)
    };
    for key in replication.keys() {
        if !REPLICATION_KEYS.contains(&key.as_str()) {
            out.push(v(
                key,
                format!(
                    "replication has an unknown key {key:?}; accepted keys: {}.",
                    REPLICATION_KEYS.join(", ")
                ),
            ));
        }
    }
    for key in REPLICATION_KEYS {
        if !replication.contains_key(key) {
            out.push(Violation::new(
                ids::S3_REPLICATION_REGION,
                &["replication"],
                format!(
                    "replication.{key} is missing; replication needs region, \
                     destination_bucket, kms_key_arn and role_arn."
                ),
            ));
        }
    }
    let known = |key: &str| replication.get(key).and_then(Option::as_ref);
    let region = known("region");
    if let Some(region) = region
        && !policy.is_region_approved(region)
    {
        out.push(v(
            "region",
            format!(
                "Replicating PHI to {region:?} copies it to a region the policy does not approve \
                 (approved: {}).",
                policy.approved_regions().join(", ")
            ),
        ));
    }
    if let Some(arn) = known("kms_key_arn") {
        match crate::kms::parse_key_arn(arn) {
            Err(e) => out.push(v(
                "kms_key_arn",
                format!(
                    "replication.kms_key_arn {arn:?} is not accepted: {e}. Replicas must be \
                     encrypted with a customer-managed key given by its full ARN."
                ),
            )),
            Ok(key) => {
                if let Some(region) = region
                    && &key.region != region
                {
                    out.push(v(
                        "kms_key_arn",
                        format!(
                            "replication.kms_key_arn is in {:?} but replicas are written in \
                             {region:?}; S3 encrypts replicas only with a key in the \
                             destination region.",
                            key.region
                        ),
                    ));
                }
                let same_account = ctx.account_id.as_deref().is_none_or(|a| a == key.account)
                    || policy.allowed_accounts().contains(&key.account);
                if !same_account {
                    out.push(v(
                        "kms_key_arn",
                        format!(
                            "replication.kms_key_arn is in account {} which is neither this \
                             account nor one the policy allows.",
                            key.account
                        ),
                    ));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARN: &str = "arn:aws:kms:eu-central-1:111122223333:key/abcd";
    const REPLICA_ARN: &str = "arn:aws:kms:eu-west-1:111122223333:key/efgh";

    fn ctx() -> Context {
        Context {
            region: "eu-central-1".into(),
            account_id: Some("111122223333".into()),
        }
    }

    fn compliant() -> BucketConfig {
        BucketConfig {
            name: Some("acme-records".into()),
            kms_key_arn: Some(ARN.into()),
            encryption_algorithm: Some("aws:kms".into()),
            minimum_tls_version: Some("1.2".into()),
            noncurrent_version_retention_days: Some(365),
            tags: Some(BTreeMap::new()),
            replication: None,
        }
    }

    fn replication(region: &str, key: &str) -> BTreeMap<String, Option<String>> {
        [
            ("region", region),
            ("destination_bucket", "acme-records-dr"),
            ("kms_key_arn", key),
            ("role_arn", "arn:aws:iam::111122223333:role/replication"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), Some(v.to_owned())))
        .collect()
    }

    fn ids_of(v: &[Violation]) -> Vec<&str> {
        v.iter().map(|v| v.control.id).collect()
    }

    #[test]
    fn compliant_bucket_passes() {
        assert!(check(&compliant(), &ctx(), &Policy::baseline()).is_empty());
        let mut dsse = compliant();
        dsse.encryption_algorithm = Some("aws:kms:dsse".into());
        dsse.minimum_tls_version = Some("1.3".into());
        assert!(check(&dsse, &ctx(), &Policy::baseline()).is_empty());
    }

    #[test]
    fn sse_s3_is_refused() {
        let mut cfg = compliant();
        cfg.encryption_algorithm = Some("AES256".into());
        let v = check(&cfg, &ctx(), &Policy::baseline());
        assert_eq!(ids_of(&v), [ids::S3_ENCRYPTION]);
        assert_eq!(v[0].path, ["encryption_algorithm"]);
    }

    #[test]
    fn old_tls_is_refused() {
        let mut cfg = compliant();
        cfg.minimum_tls_version = Some("1.0".into());
        let v = check(&cfg, &ctx(), &Policy::baseline());
        assert_eq!(ids_of(&v), [ids::S3_TLS_ONLY]);
        assert_eq!(v[0].path, ["minimum_tls_version"]);
    }

    #[test]
    fn noncurrent_retention_is_bounded_both_ways() {
        let p = Policy::baseline();
        assert!(check_noncurrent_retention(30, &p).is_none());
        assert!(check_noncurrent_retention(3653, &p).is_none());
        let short = check_noncurrent_retention(7, &p).unwrap();
        assert_eq!(short.control.id, ids::S3_NONCURRENT_RETENTION);
        assert!(
            short.message.contains("at least 30 days"),
            "{}",
            short.message
        );
        let long = check_noncurrent_retention(5000, &p).unwrap();
        assert!(long.message.contains("at most 3653"), "{}", long.message);
        // A policy with a lower maximum lowers the ceiling.
        let tight = Policy::parse("audit {\n  retention_max_days = 2557\n}\n", "p").unwrap();
        assert!(check_noncurrent_retention(3000, &tight).is_some());
    }

    #[test]
    fn missing_required_tags_are_refused() {
        let policy = Policy::parse("required_tags = [\"owner\"]\n", "p").unwrap();
        let v = check(&compliant(), &ctx(), &policy);
        assert_eq!(ids_of(&v), [ids::TAGS_REQUIRED]);
        assert_eq!(v[0].path, ["tags"]);
    }

    #[test]
    fn aws_managed_key_and_foreign_keys_are_refused() {
        let mut cfg = compliant();
        cfg.kms_key_arn = Some("alias/aws/s3".into());
        assert_eq!(
            ids_of(&check(&cfg, &ctx(), &Policy::baseline())),
            [ids::KMS_KEY_ARN, ids::KMS_CUSTOMER_MANAGED]
        );
        cfg.kms_key_arn = Some("arn:aws:kms:eu-west-1:444455556666:key/abcd".into());
        assert_eq!(
            ids_of(&check(&cfg, &ctx(), &Policy::baseline())),
            [ids::KMS_SAME_REGION, ids::KMS_SAME_ACCOUNT]
        );
    }

    #[test]
    fn replication_to_an_approved_region_with_a_key_there_passes() {
        let mut cfg = compliant();
        cfg.replication = Some(replication("eu-west-1", REPLICA_ARN));
        assert!(check(&cfg, &ctx(), &Policy::baseline()).is_empty());
    }

    #[test]
    fn replication_to_an_unapproved_region_is_refused() {
        let mut cfg = compliant();
        cfg.replication = Some(replication(
            "ap-southeast-1",
            "arn:aws:kms:ap-southeast-1:111122223333:key/x",
        ));
        let v = check(&cfg, &ctx(), &Policy::baseline());
        assert_eq!(ids_of(&v), [ids::S3_REPLICATION_REGION]);
        assert_eq!(v[0].path, ["replication", "region"]);
        assert!(v[0].message.contains("ap-southeast-1"));
    }

    #[test]
    fn replica_key_must_be_in_the_destination_region_and_an_allowed_account() {
        let mut cfg = compliant();
        cfg.replication = Some(replication("eu-west-1", ARN));
        let v = check(&cfg, &ctx(), &Policy::baseline());
        assert_eq!(ids_of(&v), [ids::S3_REPLICATION_REGION]);
        assert_eq!(v[0].path, ["replication", "kms_key_arn"]);
        cfg.replication = Some(replication(
            "eu-west-1",
            "arn:aws:kms:eu-west-1:999999999999:key/x",
        ));
        let v = check(&cfg, &ctx(), &Policy::baseline());
        assert!(
            v[0].message.contains("account 999999999999"),
            "{}",
            v[0].message
        );
        cfg.replication = Some(replication("eu-west-1", "alias/aws/s3"));
        let v = check(&cfg, &ctx(), &Policy::baseline());
        assert!(v[0].message.contains("AWS-managed"), "{}", v[0].message);
    }

    #[test]
    fn incomplete_or_misspelt_replication_is_refused() {
        let mut r = replication("eu-west-1", REPLICA_ARN);
        r.remove("role_arn");
        r.insert("regoin".to_owned(), Some("eu-west-1".to_owned()));
        let mut cfg = compliant();
        cfg.replication = Some(r);
        let v = check(&cfg, &ctx(), &Policy::baseline());
        assert_eq!(v.len(), 2);
        assert!(
            v.iter()
                .any(|v| v.message.contains("unknown key \"regoin\""))
        );
        assert!(v.iter().any(|v| v.message.contains("role_arn is missing")));
    }

    #[test]
    fn entries_unknown_at_plan_are_not_reported_missing() {
        let mut r = replication("eu-west-1", REPLICA_ARN);
        r.insert("role_arn".to_owned(), None);
        r.insert("kms_key_arn".to_owned(), None);
        let mut cfg = compliant();
        cfg.replication = Some(r);
        assert!(check(&cfg, &ctx(), &Policy::baseline()).is_empty());
    }

    #[test]
    fn every_violation_is_reported_together() {
        let cfg = BucketConfig {
            name: Some("acme".into()),
            kms_key_arn: Some("alias/aws/s3".into()),
            encryption_algorithm: Some("AES256".into()),
            minimum_tls_version: Some("1.1".into()),
            noncurrent_version_retention_days: Some(1),
            tags: None,
            replication: Some(replication("us-east-1", REPLICA_ARN)),
        };
        let policy = Policy::parse("regions {\n  profiles = [\"eu-strict\"]\n}\n", "p").unwrap();
        let v = check(&cfg, &ctx(), &policy);
        assert_eq!(
            ids_of(&v),
            [
                ids::KMS_KEY_ARN,
                ids::KMS_CUSTOMER_MANAGED,
                ids::S3_ENCRYPTION,
                ids::S3_TLS_ONLY,
                ids::S3_NONCURRENT_RETENTION,
                ids::S3_REPLICATION_REGION,
                ids::S3_REPLICATION_REGION,
            ]
        );
    }

    #[test]
    fn unknown_values_are_skipped() {
        assert!(check(&BucketConfig::default(), &ctx(), &Policy::baseline()).is_empty());
    }
}
