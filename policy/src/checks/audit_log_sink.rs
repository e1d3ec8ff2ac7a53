//! Static checks for `phi_audit_log_sink`.

use std::collections::BTreeMap;

use crate::catalogue::ids;
use crate::document::Policy;
use crate::violation::{Context, Violation};

/// Retention values CloudWatch Logs accepts (PutRetentionPolicy).
pub const CLOUDWATCH_RETENTION_DAYS: &[i64] = &[
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];

/// The sink's configuration. `None` = not known yet.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditLogSinkConfig {
    pub name: Option<String>,
    pub kms_key_arn: Option<String>,
    pub retention_days: Option<i64>,
    pub object_lock_mode: Option<String>,
    pub tags: Option<BTreeMap<String, String>>,
}

/// Retention values the policy accepts: CloudWatch's values within bounds.
pub fn acceptable_retention(policy: &Policy) -> Vec<i64> {
    CLOUDWATCH_RETENTION_DAYS
        .iter()
        .copied()
        .filter(|d| {
            *d >= policy.audit_retention_min_days() && *d <= policy.audit_retention_max_days()
        })
        .collect()
}

fn list(days: &[i64]) -> String {
    let text: Vec<String> = days.iter().map(i64::to_string).collect();
    match text.len() {
        0 => "none".to_owned(),
        1 => text[0].clone(),
        n => format!("{} or {}", text[..n - 1].join(", "), text[n - 1]),
    }
}

/// Days as years for a reader: 2192 -> "6 years", 2400 -> "6.6 years".
fn years(days: i64) -> String {
    let tenths = (days as f64 / 365.25 * 10.0).round() as i64;
    match (tenths / 10, tenths % 10) {
        (1, 0) => "1 year".to_owned(),
        (y, 0) => format!("{y} years"),
        (y, t) => format!("{y}.{t} years"),
    }
}

/// Every static violation of a sink configuration at once, so one plan shows
/// everything to fix. Fields that are `None` (unknown at plan) are skipped.
pub fn check(cfg: &AuditLogSinkConfig, ctx: &Context, policy: &Policy) -> Vec<Violation> {
    let mut out = Vec::new();
    out.extend(super::common::key_arn(
        cfg.kms_key_arn.as_deref(),
        ctx,
        policy,
    ));
    if let Some(days) = cfg.retention_days {
        let min = policy.audit_retention_min_days();
        let max = policy.audit_retention_max_days();
        let ok = acceptable_retention(policy);
        let problem = if days < min {
            Some(format!(
                "retention_days is {days}; the policy floor is {min} days ({}).",
                years(min)
            ))
        } else if days > max {
            Some(format!(
                "retention_days is {days}; the policy keeps audit records at most {max} days \
                 (GDPR requires an upper bound)."
            ))
        } else if !CLOUDWATCH_RETENTION_DAYS.contains(&days) {
            Some(format!(
                "retention_days is {days}, which CloudWatch Logs does not accept."
            ))
        } else {
            None
        };
        if let Some(problem) = problem {
            out.push(Violation::new(
                ids::LOG_RETENTION,
                &["retention_days"],
                format!("{problem} Accepted values: {}.", list(&ok)),
            ));
        }
    }
    if let Some(mode) = &cfg.object_lock_mode
        && mode != "COMPLIANCE"
    {
        out.push(Violation::new(
            ids::AUDIT_LOCK_MODE,
            &["object_lock_mode"],
            format!(
                "object_lock_mode is {mode:?}; only \"COMPLIANCE\" makes audit records \
                     impossible to delete or shorten before their retention ends."
            ),
        ));
    }
    out.extend(super::common::tags(cfg.tags.as_ref(), policy));
    out.extend(super::common::region(ctx, policy));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARN: &str = "arn:aws:kms:eu-central-1:111122223333:key/abcd";

    fn compliant() -> AuditLogSinkConfig {
        AuditLogSinkConfig {
            name: Some("acme-audit".into()),
            kms_key_arn: Some(ARN.into()),
            retention_days: Some(2192),
            object_lock_mode: Some("COMPLIANCE".into()),
            tags: Some(BTreeMap::new()),
        }
    }

    fn ctx() -> Context {
        Context {
            region: "eu-central-1".into(),
            account_id: Some("111122223333".into()),
        }
    }

    fn ids_of(v: &[Violation]) -> Vec<&str> {
        v.iter().map(|v| v.control.id).collect()
    }

    #[test]
    fn compliant_sink_passes() {
        assert!(check(&compliant(), &ctx(), &Policy::baseline()).is_empty());
    }

    #[test]
    fn short_retention_names_the_floor_and_the_accepted_values() {
        let mut cfg = compliant();
        cfg.retention_days = Some(90);
        let v = check(&cfg, &ctx(), &Policy::baseline());
        assert_eq!(ids_of(&v), [ids::LOG_RETENTION]);
        assert_eq!(v[0].path, ["retention_days"]);
        assert!(
            v[0].message.contains("floor is 2192 days (6 years)"),
            "{}",
            v[0].message
        );
        assert!(
            v[0].message.contains("2192, 2557, 2922, 3288 or 3653"),
            "{}",
            v[0].message
        );
    }

    #[test]
    fn retention_above_max_or_not_cloudwatch_is_refused() {
        let mut cfg = compliant();
        cfg.retention_days = Some(4000);
        assert_eq!(
            ids_of(&check(&cfg, &ctx(), &Policy::baseline())),
            [ids::LOG_RETENTION]
        );
        cfg.retention_days = Some(2200);
        let v = check(&cfg, &ctx(), &Policy::baseline());
        assert!(v[0].message.contains("does not accept"));
    }

    #[test]
    fn governance_mode_is_refused() {
        let mut cfg = compliant();
        cfg.object_lock_mode = Some("GOVERNANCE".into());
        assert_eq!(
            ids_of(&check(&cfg, &ctx(), &Policy::baseline())),
            [ids::AUDIT_LOCK_MODE]
        );
    }

    #[test]
    fn all_violations_are_reported_together() {
        let cfg = AuditLogSinkConfig {
            name: Some("x".into()),
            kms_key_arn: Some("alias/aws/s3".into()),
            retention_days: Some(90),
            object_lock_mode: Some("GOVERNANCE".into()),
            tags: None,
        };
        let ctx = Context {
            region: "ap-southeast-1".into(),
            account_id: None,
        };
        assert_eq!(
            ids_of(&check(&cfg, &ctx, &Policy::baseline())),
            [
                ids::KMS_KEY_ARN,
                ids::KMS_CUSTOMER_MANAGED,
                ids::LOG_RETENTION,
                ids::AUDIT_LOCK_MODE,
                ids::REGION_APPROVED
            ]
        );
    }

    #[test]
    fn years_read_naturally() {
        assert_eq!(years(365), "1 year");
        assert_eq!(years(2192), "6 years");
        assert_eq!(years(2400), "6.6 years");
    }

    #[test]
    fn aws_managed_alias_is_refused_statically() {
        let mut cfg = compliant();
        cfg.kms_key_arn = Some("alias/aws/logs".into());
        let v = check(&cfg, &ctx(), &Policy::baseline());
        assert_eq!(ids_of(&v), [ids::KMS_KEY_ARN, ids::KMS_CUSTOMER_MANAGED]);
        assert!(v.iter().all(|v| v.path == ["kms_key_arn"]));
    }

    #[test]
    fn key_in_another_region_or_account_is_refused() {
        let mut cfg = compliant();
        cfg.kms_key_arn = Some("arn:aws:kms:eu-west-1:444455556666:key/abcd".into());
        assert_eq!(
            ids_of(&check(&cfg, &ctx(), &Policy::baseline())),
            [ids::KMS_SAME_REGION, ids::KMS_SAME_ACCOUNT]
        );
    }

    #[test]
    fn missing_required_tags_are_refused() {
        let policy = Policy::parse("required_tags = [\"owner\"]\n", "p").unwrap();
        let v = check(&compliant(), &ctx(), &policy);
        assert_eq!(ids_of(&v), [ids::TAGS_REQUIRED]);
        assert_eq!(v[0].path, ["tags"]);
        let mut cfg = compliant();
        cfg.tags = Some(BTreeMap::from([("owner".to_owned(), "team-a".to_owned())]));
        assert!(check(&cfg, &ctx(), &policy).is_empty());
    }

    #[test]
    fn unapproved_region_is_refused() {
        let ctx = Context {
            region: "ap-southeast-1".into(),
            account_id: Some("111122223333".into()),
        };
        let mut cfg = compliant();
        cfg.kms_key_arn = Some("arn:aws:kms:ap-southeast-1:111122223333:key/abcd".into());
        assert_eq!(
            ids_of(&check(&cfg, &ctx, &Policy::baseline())),
            [ids::REGION_APPROVED]
        );
    }

    #[test]
    fn unknown_values_are_skipped() {
        let cfg = AuditLogSinkConfig::default();
        assert!(check(&cfg, &ctx(), &Policy::baseline()).is_empty());
    }

    #[test]
    fn a_tighter_floor_narrows_the_accepted_values() {
        let policy = Policy::parse("audit {\n  retention_min_days = 2557\n}\n", "p").unwrap();
        assert_eq!(acceptable_retention(&policy), [2557, 2922, 3288, 3653]);
        let v = check(&compliant(), &ctx(), &policy);
        assert_eq!(ids_of(&v), [ids::LOG_RETENTION]);
    }
}
