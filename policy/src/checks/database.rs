//! Static checks for `phi_database`.
//!
//! The always-on controls (encryption, TLS parameter group, managed secret,
//! IAM authentication, log exports, deletion safety, patching, copy tags) are
//! not configurable, so they have nothing to check here: the provider sets
//! them and reports their live state. What a user can set is checked against
//! the policy: engine and version, backup retention, Multi-AZ, public access,
//! the key reference, tags and region.

use std::collections::BTreeMap;

use crate::catalogue::ids;
use crate::document::Policy;
use crate::engines::{Engine, RDS_BACKUP_MAX_DAYS, version_well_formed};
use crate::violation::{Context, Violation};

/// The database's configuration. `None` = not known yet.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DatabaseConfig {
    pub identifier: Option<String>,
    pub engine: Option<String>,
    pub engine_version: Option<String>,
    pub kms_key_arn: Option<String>,
    pub backup_retention_days: Option<i64>,
    pub multi_az: Option<bool>,
    pub publicly_accessible: Option<bool>,
    pub tags: Option<BTreeMap<String, String>>,
    /// `performance_insights`, `performance_insights_retention_days` and
    /// `enhanced_monitoring` (PHI-RDS-016, PHI-RDS-017).
    pub performance_insights: Option<bool>,
    pub performance_insights_retention_days: Option<i64>,
    pub enhanced_monitoring: Option<bool>,
}

/// Every static violation at once. Fields that are `None` are skipped.
pub fn check(cfg: &DatabaseConfig, ctx: &Context, policy: &Policy) -> Vec<Violation> {
    let mut out = Vec::new();
    let db = policy.database();
    out.extend(super::common::key_arn(
        cfg.kms_key_arn.as_deref(),
        ctx,
        policy,
    ));
    if cfg.publicly_accessible == Some(true) {
        out.push(Violation::new(
            ids::RDS_NOT_PUBLIC,
            &["publicly_accessible"],
            "publicly_accessible is true: the instance would get a public address, one \
             security-group rule away from exposing PHI to the internet.",
        ));
    }
    if let Some(engine) = &cfg.engine {
        match Engine::from_name(engine) {
            None => out.push(Violation::new(
                ids::RDS_ENGINE_APPROVED,
                &["engine"],
                format!(
                    "engine is {engine:?}; phi_database supports \"postgres\" and \"mysql\". \
                     Approved versions: {}.",
                    db.describe_versions()
                ),
            )),
            Some(e) => {
                if let Some(version) = &cfg.engine_version {
                    let problem = if !version_well_formed(e, version) {
                        Some(format!(
                            "engine_version {version:?} is not a full {engine} version (for \
                             example {}).",
                            match e {
                                Engine::Postgres => "\"16.4\"",
                                Engine::Mysql => "\"8.4.3\"",
                            }
                        ))
                    } else if !db.is_version_approved(engine, version) {
                        Some(format!("{engine} {version} is not approved by the policy."))
                    } else {
                        None
                    };
                    if let Some(problem) = problem {
                        out.push(Violation::new(
                            ids::RDS_ENGINE_APPROVED,
                            &["engine_version"],
                            format!("{problem} Approved versions: {}.", db.describe_versions()),
                        ));
                    }
                }
            }
        }
    }
    if let Some(days) = cfg.backup_retention_days {
        let min = db.backup_retention_min_days;
        if days < min || days > RDS_BACKUP_MAX_DAYS {
            out.push(Violation::new(
                ids::RDS_BACKUP_RETENTION,
                &["backup_retention_days"],
                format!(
                    "backup_retention_days is {days}; the policy requires {min} to \
                     {RDS_BACKUP_MAX_DAYS} days{}.",
                    if days == 0 {
                        " (0 turns automated backups off)"
                    } else if days > RDS_BACKUP_MAX_DAYS {
                        " (RDS keeps automated backups at most 35 days; use AWS Backup for \
                         longer)"
                    } else {
                        ""
                    }
                ),
            ));
        }
    }
    if db.require_multi_az && cfg.multi_az == Some(false) {
        out.push(Violation::new(
            ids::RDS_MULTI_AZ,
            &["multi_az"],
            "multi_az is false, but the policy requires a Multi-AZ standby for PHI databases.",
        ));
    }
    out.extend(insights_and_monitoring(cfg, policy));
    out.extend(super::common::tags(cfg.tags.as_ref(), policy));
    out.extend(super::common::region(ctx, policy));
    out
}

/// PHI-RDS-016 and PHI-RDS-017 as far as the configuration decides them:
/// a feature the policy requires turned off, a Performance Insights retention
/// RDS does not accept or the policy does not allow. The retention is judged
/// whether Performance Insights is on or not, so a linter that cannot tell
/// (a variable) decides exactly as the provider.
fn insights_and_monitoring(cfg: &DatabaseConfig, policy: &Policy) -> Vec<Violation> {
    use crate::engines::performance_insights_retention_valid;
    let db = policy.database();
    let mut out = Vec::new();
    if db.require_performance_insights && cfg.performance_insights == Some(false) {
        out.push(Violation::new(
            ids::RDS_PERFORMANCE_INSIGHTS,
            &["performance_insights"],
            "performance_insights is false, but the policy requires Performance Insights on \
             every PHI database.",
        ));
    }
    if let Some(days) = cfg.performance_insights_retention_days {
        let max = db.performance_insights_max_retention_days;
        let problem = if !performance_insights_retention_valid(days) {
            Some(
                "Performance Insights keeps 7 days or a whole number of months (31, 62, ... 713) \
                 or 731 days",
            )
        } else if days > max {
            Some("longer than the policy allows")
        } else {
            None
        };
        if let Some(problem) = problem {
            out.push(Violation::new(
                ids::RDS_PERFORMANCE_INSIGHTS,
                &["performance_insights_retention_days"],
                format!(
                    "performance_insights_retention_days is {days}: {problem}. The policy allows \
                     at most {max} days; statement text kept by Performance Insights can hold PHI."
                ),
            ));
        }
    }
    if db.require_enhanced_monitoring && cfg.enhanced_monitoring == Some(false) {
        out.push(Violation::new(
            ids::RDS_ENHANCED_MONITORING,
            &["enhanced_monitoring"],
            format!(
                "enhanced_monitoring is false, but the policy requires enhanced monitoring \
                 (every {} seconds) on every PHI database.",
                db.enhanced_monitoring_interval
            ),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARN: &str = "arn:aws:kms:eu-central-1:111122223333:key/abcd";

    fn compliant() -> DatabaseConfig {
        DatabaseConfig {
            identifier: Some("acme-ehr".into()),
            engine: Some("postgres".into()),
            engine_version: Some("16.4".into()),
            kms_key_arn: Some(ARN.into()),
            backup_retention_days: Some(14),
            multi_az: Some(false),
            publicly_accessible: None,
            tags: Some(BTreeMap::new()),
            performance_insights: None,
            performance_insights_retention_days: None,
            enhanced_monitoring: None,
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

    fn with(f: impl FnOnce(&mut DatabaseConfig)) -> Vec<Violation> {
        let mut cfg = compliant();
        f(&mut cfg);
        check(&cfg, &ctx(), &Policy::baseline())
    }

    #[test]
    fn compliant_postgres_and_mysql_pass() {
        assert!(with(|_| {}).is_empty());
        assert!(
            with(|c| {
                c.engine = Some("mysql".into());
                c.engine_version = Some("8.4.3".into());
                c.publicly_accessible = Some(false);
            })
            .is_empty()
        );
    }

    #[test]
    fn public_database_is_refused() {
        let v = with(|c| c.publicly_accessible = Some(true));
        assert_eq!(ids_of(&v), [ids::RDS_NOT_PUBLIC]);
        assert_eq!(v[0].path, ["publicly_accessible"]);
    }

    #[test]
    fn unsupported_engine_or_unapproved_version_is_refused() {
        let v = with(|c| c.engine = Some("oracle-ee".into()));
        assert_eq!(ids_of(&v), [ids::RDS_ENGINE_APPROVED]);
        assert_eq!(v[0].path, ["engine"]);
        let v = with(|c| c.engine_version = Some("13.16".into()));
        assert_eq!(ids_of(&v), [ids::RDS_ENGINE_APPROVED]);
        assert_eq!(v[0].path, ["engine_version"]);
        assert!(v[0].message.contains("postgres 16.*"), "{}", v[0].message);
        let v = with(|c| {
            c.engine = Some("mysql".into());
            c.engine_version = Some("8.0.39".into());
        });
        assert_eq!(ids_of(&v), [ids::RDS_ENGINE_APPROVED]);
        let v = with(|c| c.engine_version = Some("16".into()));
        assert!(v[0].message.contains("not a full postgres version"));
    }

    #[test]
    fn backup_retention_outside_bounds_is_refused() {
        for days in [0, 1, 6, 36] {
            let v = with(|c| c.backup_retention_days = Some(days));
            assert_eq!(ids_of(&v), [ids::RDS_BACKUP_RETENTION], "{days}");
            assert_eq!(v[0].path, ["backup_retention_days"]);
        }
        assert!(with(|c| c.backup_retention_days = Some(7)).is_empty());
        assert!(with(|c| c.backup_retention_days = Some(35)).is_empty());
        let v = with(|c| c.backup_retention_days = Some(0));
        assert!(v[0].message.contains("turns automated backups off"));
    }

    #[test]
    fn policy_floor_multi_az_and_versions_apply() {
        let policy = Policy::parse(
            "database {\n  engine_versions = [\"postgres 17.*\"]\n  backup_retention_min_days = 21\n  require_multi_az = true\n}\n",
            "p",
        )
        .unwrap();
        let v = check(&compliant(), &ctx(), &policy);
        assert_eq!(
            ids_of(&v),
            [
                ids::RDS_ENGINE_APPROVED,
                ids::RDS_BACKUP_RETENTION,
                ids::RDS_MULTI_AZ
            ]
        );
        let mut cfg = compliant();
        cfg.engine_version = Some("17.2".into());
        cfg.backup_retention_days = Some(21);
        cfg.multi_az = Some(true);
        assert!(check(&cfg, &ctx(), &policy).is_empty());
    }

    #[test]
    fn key_tags_and_region_checks_apply() {
        let v = with(|c| c.kms_key_arn = Some("alias/aws/rds".into()));
        assert_eq!(ids_of(&v), [ids::KMS_KEY_ARN, ids::KMS_CUSTOMER_MANAGED]);
        let policy = Policy::parse("required_tags = [\"owner\"]\n", "p").unwrap();
        assert_eq!(
            ids_of(&check(&compliant(), &ctx(), &policy)),
            [ids::TAGS_REQUIRED]
        );
        let far = Context {
            region: "ap-southeast-1".into(),
            account_id: None,
        };
        assert_eq!(
            ids_of(&check(&compliant(), &far, &Policy::baseline())),
            [ids::KMS_SAME_REGION, ids::REGION_APPROVED]
        );
    }

    #[test]
    fn every_violation_is_reported_at_once() {
        let cfg = DatabaseConfig {
            identifier: Some("x".into()),
            engine: Some("postgres".into()),
            engine_version: Some("12.1".into()),
            kms_key_arn: Some("alias/aws/rds".into()),
            backup_retention_days: Some(1),
            multi_az: None,
            publicly_accessible: Some(true),
            tags: None,
            ..DatabaseConfig::default()
        };
        assert_eq!(
            ids_of(&check(&cfg, &ctx(), &Policy::baseline())),
            [
                ids::KMS_KEY_ARN,
                ids::KMS_CUSTOMER_MANAGED,
                ids::RDS_NOT_PUBLIC,
                ids::RDS_ENGINE_APPROVED,
                ids::RDS_BACKUP_RETENTION
            ]
        );
    }

    #[test]
    fn required_insights_and_monitoring_and_the_retention_ceiling_apply() {
        // The baseline requires neither, and allows every retention RDS does.
        assert!(
            with(|c| {
                c.performance_insights = Some(false);
                c.enhanced_monitoring = Some(false);
                c.performance_insights_retention_days = Some(731);
            })
            .is_empty()
        );
        let v = with(|c| c.performance_insights_retention_days = Some(30));
        assert_eq!(ids_of(&v), [ids::RDS_PERFORMANCE_INSIGHTS]);
        assert_eq!(v[0].path, ["performance_insights_retention_days"]);
        let policy = Policy::parse(
            "database {\n  require_performance_insights = true\n  performance_insights_max_retention_days = 31\n  require_enhanced_monitoring = true\n}\n",
            "p",
        )
        .unwrap();
        let mut cfg = compliant();
        cfg.performance_insights = Some(false);
        cfg.performance_insights_retention_days = Some(62);
        cfg.enhanced_monitoring = Some(false);
        let v = check(&cfg, &ctx(), &policy);
        assert_eq!(
            ids_of(&v),
            [
                ids::RDS_PERFORMANCE_INSIGHTS,
                ids::RDS_PERFORMANCE_INSIGHTS,
                ids::RDS_ENHANCED_MONITORING
            ]
        );
        assert!(v[1].message.contains("longer than the policy allows"));
        assert!(v[2].message.contains("every 60 seconds"));
        // Unset (the default follows the policy) or on: nothing to refuse.
        assert!(check(&compliant(), &ctx(), &policy).is_empty());
        cfg.performance_insights = Some(true);
        cfg.performance_insights_retention_days = Some(31);
        cfg.enhanced_monitoring = Some(true);
        assert!(check(&cfg, &ctx(), &policy).is_empty());
    }

    #[test]
    fn unknown_values_are_skipped() {
        assert!(check(&DatabaseConfig::default(), &ctx(), &Policy::baseline()).is_empty());
    }
}
