//! Control texts under an organisation's policy. The catalogue's fix texts
//! quote the baseline's numbers, which is right for the docs; a refusal must
//! quote the numbers of the policy in force, or a reviewer reads "baseline 7"
//! next to "the policy requires 21".

use crate::catalogue::{Control, ids};
use crate::document::Policy;

/// The control's remediation with the baseline's numbers replaced by the
/// effective policy's.
pub fn remediation(c: &Control, policy: &Policy) -> String {
    let text = c.remediation.to_owned();
    match c.id {
        ids::LOG_RETENTION => {
            let accepted: Vec<String> = crate::checks::audit_log_sink::acceptable_retention(policy)
                .iter()
                .map(i64::to_string)
                .collect();
            text.replace(
                "with the baseline 2192, 2557, 2922, 3288 or 3653",
                &format!("under this policy {}", or_list(&accepted)),
            )
        }
        ids::S3_NONCURRENT_RETENTION => text.replace(
            "(baseline 3653)",
            &format!("({} under this policy)", policy.audit_retention_max_days()),
        ),
        ids::RDS_BACKUP_RETENTION => text.replace(
            "(baseline 7)",
            &format!(
                "({} under this policy)",
                policy.database().backup_retention_min_days
            ),
        ),
        ids::REGION_APPROVED => text.replace(
            "one of the regions the policy approves",
            &format!(
                "one of the regions the policy approves ({})",
                or_list(policy.approved_regions())
            ),
        ),
        ids::KMS_ROTATION => text.replacen(
            "at most the policy maximum",
            &format!(
                "at most {} days, the maximum under this policy",
                policy.kms_rotation_max_days()
            ),
            1,
        ),
        ids::RDS_PERFORMANCE_INSIGHTS => text.replace(
            "baseline 731",
            &format!(
                "{} under this policy",
                policy.database().performance_insights_max_retention_days
            ),
        ),
        ids::RDS_ENHANCED_MONITORING => text.replace(
            "(baseline 60 seconds)",
            &format!(
                "({} seconds under this policy)",
                policy.database().enhanced_monitoring_interval
            ),
        ),
        ids::RDS_SECRET_ROTATION => text.replace(
            "(baseline 7 days)",
            &format!(
                "({} days under this policy)",
                policy.database().secret_rotation_max_days
            ),
        ),
        ids::RDS_ENGINE_APPROVED
            if policy.database().engine_versions
                != crate::engines::DatabasePolicy::baseline().engine_versions =>
        {
            let approved: Vec<String> = policy
                .database()
                .engine_versions
                .iter()
                .map(|(engine, pattern)| format!("`{engine} {pattern}`"))
                .collect();
            text.replace(
                "the baseline accepts `postgres` 14, 15, 16 and 17 and `mysql` 8.4; the \
                 policy's `database.engine_versions` may narrow this.",
                &format!("this policy accepts {}.", or_list(&approved)),
            )
        }
        _ => text,
    }
}

fn or_list(items: &[String]) -> String {
    match items {
        [] => "no value".to_owned(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::control;

    #[test]
    fn fix_texts_quote_the_policy_in_force() {
        let policy = Policy::parse(
            "audit {\n  retention_min_days = 2557\n  retention_max_days = 3288\n}\ndatabase {\n  backup_retention_min_days = 21\n}\n",
            "p",
        )
        .unwrap();
        let log = remediation(control(ids::LOG_RETENTION).unwrap(), &policy);
        assert!(
            log.contains("under this policy 2557, 2922 or 3288"),
            "{log}"
        );
        assert!(!log.contains("2192"), "{log}");
        let rds = remediation(control(ids::RDS_BACKUP_RETENTION).unwrap(), &policy);
        assert!(
            rds.contains("(21 under this policy)") && !rds.contains("baseline 7"),
            "{rds}"
        );
        let s3 = remediation(control(ids::S3_NONCURRENT_RETENTION).unwrap(), &policy);
        assert!(s3.contains("(3288 under this policy)"), "{s3}");
        let region = remediation(control(ids::REGION_APPROVED).unwrap(), &Policy::baseline());
        assert!(region.contains("eu-central-1"), "{region}");
        let strict = Policy::parse(
            "kms {\n  rotation_max_days = 180\n}\ndatabase {\n  engine_versions = [\"postgres 16.*\"]\n}\n",
            "p",
        )
        .unwrap();
        let rotation = remediation(control(ids::KMS_ROTATION).unwrap(), &strict);
        assert!(rotation.contains("at most 180 days"), "{rotation}");
        let engines = remediation(control(ids::RDS_ENGINE_APPROVED).unwrap(), &strict);
        assert!(
            engines.contains("this policy accepts `postgres 16.*`") && !engines.contains("8.4"),
            "{engines}"
        );
        // The baseline's engine text stays as the catalogue words it.
        let baseline = control(ids::RDS_ENGINE_APPROVED).unwrap();
        assert_eq!(
            remediation(baseline, &Policy::baseline()),
            baseline.remediation
        );
        let strict = Policy::parse(
            "database {\n  performance_insights_max_retention_days = 31\n  enhanced_monitoring_interval = 15\n}\n",
            "p",
        )
        .unwrap();
        let insights = remediation(control(ids::RDS_PERFORMANCE_INSIGHTS).unwrap(), &strict);
        assert!(insights.contains("31 under this policy"), "{insights}");
        let monitoring = remediation(control(ids::RDS_ENHANCED_MONITORING).unwrap(), &strict);
        assert!(
            monitoring.contains("(15 seconds under this policy)"),
            "{monitoring}"
        );
        // Every other control's text is the catalogue's.
        let tls = control(ids::S3_TLS_ONLY).unwrap();
        assert_eq!(remediation(tls, &policy), tls.remediation);
    }
}
