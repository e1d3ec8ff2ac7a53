//! Performance Insights (PHI-RDS-016) and enhanced monitoring (PHI-RDS-017):
//! what a compliant database runs, how it reads back from
//! DescribeDBInstances, what one ModifyDBInstance must change to restore it,
//! and the IAM role enhanced monitoring needs.
//!
//! Performance Insights keeps sampled SQL text, which can hold PHI: it is
//! either off, or on with the database's own key (the storage key) and a
//! retention the policy allows. Turned on out of band with the AWS-managed
//! key it reads as drift and apply turns it off again (or re-keys it, when
//! the configuration wants it on).

use aws_sdk_rds::types::DbInstance;

use crate::aws::{AwsError, Clients};

use super::converge::{StepError, step_error};
use super::desired::{Desired, key};

/// The role the provider creates for enhanced monitoring when no
/// `monitoring_role_arn` is given. One per account: its one inline policy is
/// identical for every database, and it is left in place when a database is
/// destroyed (another may use it).
pub const MONITORING_ROLE_NAME: &str = "phi-guard-rds-monitoring";
const MONITORING_POLICY_NAME: &str = "phi-guard-rds-os-metrics";

/// The name of a role from its ARN (`arn:aws:iam::1:role/path/name` ->
/// `name`): what the `enforced` entry shows, so it is known at plan even for
/// the role the provider creates at apply.
pub fn role_name(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

/// The Performance Insights entry: `off`, or on with its key and retention.
pub fn insights_text(enabled: bool, kms_key: Option<&str>, retention_days: Option<i64>) -> String {
    if !enabled {
        return super::desired::OFF.to_owned();
    }
    format!(
        "on, encrypted with {}, {}",
        kms_key.unwrap_or("the AWS-managed key"),
        retention_days.map_or_else(
            || "retention not reported".to_owned(),
            |d| format!("{d} days")
        )
    )
}

/// The enhanced monitoring entry: `off`, or the interval and the role's name.
pub fn monitoring_text(interval_seconds: i64, role_arn: Option<&str>) -> String {
    if interval_seconds == 0 {
        return super::desired::OFF.to_owned();
    }
    format!(
        "every {interval_seconds} seconds, role {}",
        role_arn.map_or("none", role_name)
    )
}

/// The two entries of a compliant database.
pub fn desired_entries(d: &Desired) -> [(&'static str, String); 2] {
    let role = d
        .monitoring_role_arn
        .as_deref()
        .unwrap_or(MONITORING_ROLE_NAME);
    [
        (
            key::PERFORMANCE_INSIGHTS,
            insights_text(
                d.performance_insights,
                Some(&d.kms_key_arn),
                Some(d.performance_insights_retention_days),
            ),
        ),
        (
            key::ENHANCED_MONITORING,
            monitoring_text(d.monitoring_interval, Some(role)),
        ),
    ]
}

/// What DescribeDBInstances reports about both features.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Live {
    pub performance_insights: bool,
    pub performance_insights_kms_key_id: Option<String>,
    pub performance_insights_retention_days: Option<i64>,
    pub monitoring_interval: i64,
    pub monitoring_role_arn: Option<String>,
}

impl Live {
    pub fn from_instance(i: &DbInstance) -> Live {
        Live {
            performance_insights: i.performance_insights_enabled() == Some(true),
            performance_insights_kms_key_id: i.performance_insights_kms_key_id().map(str::to_owned),
            performance_insights_retention_days: i
                .performance_insights_retention_period()
                .map(i64::from),
            monitoring_interval: i.monitoring_interval().map_or(0, i64::from),
            monitoring_role_arn: i.monitoring_role_arn().map(str::to_owned),
        }
    }

    /// The two entries as read.
    pub fn entries(&self) -> [(&'static str, String); 2] {
        [
            (
                key::PERFORMANCE_INSIGHTS,
                insights_text(
                    self.performance_insights,
                    self.performance_insights_kms_key_id.as_deref(),
                    self.performance_insights_retention_days,
                ),
            ),
            (
                key::ENHANCED_MONITORING,
                monitoring_text(
                    self.monitoring_interval,
                    self.monitoring_role_arn.as_deref(),
                ),
            ),
        ]
    }
}

/// What ModifyDBInstance must change: `performance_insights` is
/// `Some(false)` to turn it off, `Some(true)` to turn it on (or re-key it,
/// or set its retention) with the database's key; `monitoring_interval` is
/// the interval to set (0 turns it off).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Change {
    pub performance_insights: Option<bool>,
    pub monitoring_interval: Option<i64>,
}

pub fn change(d: &Desired, live: &Live) -> Change {
    let mut c = Change::default();
    if d.performance_insights {
        let keyed = live.performance_insights_kms_key_id.as_deref() == Some(d.kms_key_arn.as_str());
        let kept =
            live.performance_insights_retention_days == Some(d.performance_insights_retention_days);
        if !live.performance_insights || !keyed || !kept {
            c.performance_insights = Some(true);
        }
    } else if live.performance_insights {
        c.performance_insights = Some(false);
    }
    let role_differs = d.monitoring_interval > 0
        && live.monitoring_role_arn.as_deref().map(role_name)
            != Some(
                d.monitoring_role_arn
                    .as_deref()
                    .map_or(MONITORING_ROLE_NAME, role_name),
            );
    if live.monitoring_interval != d.monitoring_interval || role_differs {
        c.monitoring_interval = Some(d.monitoring_interval);
    }
    c
}

/// What RDS needs to publish OS metrics: the permissions of the AWS-managed
/// `AmazonRDSEnhancedMonitoringRole`, written inline so the role says what
/// it may do in the account's own IAM (and works wherever the managed policy
/// is not loaded, as in the emulator).
fn metrics_policy() -> String {
    serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["logs:CreateLogGroup", "logs:PutRetentionPolicy"],
                "Resource": ["arn:aws:logs:*:*:log-group:RDS*"]
            },
            {
                "Effect": "Allow",
                "Action": [
                    "logs:CreateLogStream",
                    "logs:PutLogEvents",
                    "logs:DescribeLogStreams",
                    "logs:GetLogEvents"
                ],
                "Resource": ["arn:aws:logs:*:*:log-group:RDS*:log-stream:*"]
            }
        ]
    })
    .to_string()
}

fn trust_policy() -> String {
    serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Service": "monitoring.rds.amazonaws.com"},
            "Action": "sts:AssumeRole"
        }]
    })
    .to_string()
}

/// Creates the monitoring role if it is missing and (re)writes its inline
/// policy, so a role changed out of band is put back. Returns its ARN.
pub async fn ensure_monitoring_role(clients: &Clients) -> Result<String, StepError> {
    const STEP: &str = "create the enhanced monitoring role";
    let iam = &clients.iam;
    let arn = match iam.get_role().role_name(MONITORING_ROLE_NAME).send().await {
        Ok(out) => out.role().map(|r| r.arn().to_owned()),
        Err(e) => {
            let err = AwsError::from_sdk("iam:GetRole", e);
            if !err.code_is("NoSuchEntity") {
                return Err(step_error(STEP, err));
            }
            let created = iam
                .create_role()
                .role_name(MONITORING_ROLE_NAME)
                .description(
                    "Lets RDS enhanced monitoring of phi-guard databases publish OS metrics",
                )
                .assume_role_policy_document(trust_policy())
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("iam:CreateRole", e));
            match created {
                Ok(out) => out.role().map(|r| r.arn().to_owned()),
                // Another database's apply created it meanwhile.
                Err(e) if e.code_is("EntityAlreadyExists") => iam
                    .get_role()
                    .role_name(MONITORING_ROLE_NAME)
                    .send()
                    .await
                    .map_err(|e| step_error(STEP, AwsError::from_sdk("iam:GetRole", e)))?
                    .role()
                    .map(|r| r.arn().to_owned()),
                Err(e) => return Err(step_error(STEP, e)),
            }
        }
    };
    iam.put_role_policy()
        .role_name(MONITORING_ROLE_NAME)
        .policy_name(MONITORING_POLICY_NAME)
        .policy_document(metrics_policy())
        .send()
        .await
        .map_err(|e| step_error(STEP, AwsError::from_sdk("iam:PutRolePolicy", e)))?;
    arn.ok_or_else(|| StepError {
        step: STEP.to_owned(),
        error: format!("IAM returned no ARN for role {MONITORING_ROLE_NAME}"),
        access_denied: false,
    })
}

/// The desired database with the monitoring role's ARN filled in: the
/// configured one, or the provider's role (created if missing) when
/// enhanced monitoring is on and none is configured.
pub async fn with_monitoring_role(clients: &Clients, mut d: Desired) -> Result<Desired, StepError> {
    if d.monitoring_interval > 0 && d.monitoring_role_arn.is_none() {
        d.monitoring_role_arn = Some(ensure_monitoring_role(clients).await?);
    }
    Ok(d)
}

/// DescribeDBInstances answers the emulator cannot give: moto accepts the
/// Performance Insights fields but never reports `PerformanceInsightsEnabled`
/// (README, testing gaps), so these branches are proven over the SDK types.
#[cfg(test)]
mod tests {
    use phi_policy::engines::Engine;

    use super::super::desired::tests_support::desired;
    use super::*;

    const KEY: &str = "arn:aws:kms:eu-central-1:111122223333:key/k";
    const AWS_RDS_KEY: &str = "arn:aws:kms:eu-central-1:111122223333:key/aws-rds-managed";

    fn instance() -> aws_sdk_rds::types::builders::DbInstanceBuilder {
        DbInstance::builder()
            .db_instance_identifier("acme-ehr")
            .engine("postgres")
    }

    #[test]
    fn performance_insights_turned_on_out_of_band_with_the_aws_managed_key_is_drift_and_turned_off()
    {
        let d = desired(Engine::Postgres);
        let compliant = Live::from_instance(&instance().build());
        assert_eq!(compliant.entries(), desired_entries(&d));
        assert_eq!(change(&d, &compliant), Change::default());
        let drifted = Live::from_instance(
            &instance()
                .performance_insights_enabled(true)
                .performance_insights_kms_key_id(AWS_RDS_KEY)
                .performance_insights_retention_period(7)
                .build(),
        );
        assert_eq!(
            drifted.entries()[0].1,
            format!("on, encrypted with {AWS_RDS_KEY}, 7 days")
        );
        assert_ne!(drifted.entries()[0], desired_entries(&d)[0]);
        assert_eq!(
            change(&d, &drifted),
            Change {
                performance_insights: Some(false),
                monitoring_interval: None
            }
        );
    }

    #[test]
    fn performance_insights_on_is_created_and_restored_with_the_database_key() {
        let mut d = desired(Engine::Postgres);
        d.performance_insights = true;
        d.performance_insights_retention_days = 31;
        assert_eq!(
            desired_entries(&d)[0].1,
            format!("on, encrypted with {KEY}, 31 days")
        );
        let on = |key: &str, days: i32| {
            Live::from_instance(
                &instance()
                    .performance_insights_enabled(true)
                    .performance_insights_kms_key_id(key)
                    .performance_insights_retention_period(days)
                    .build(),
            )
        };
        assert_eq!(on(KEY, 31).entries()[0], desired_entries(&d)[0]);
        assert_eq!(change(&d, &on(KEY, 31)), Change::default());
        // Off, under another key, or kept another time: turned on again with
        // the database's key and the configured retention.
        for live in [Live::default(), on(AWS_RDS_KEY, 31), on(KEY, 7)] {
            assert_eq!(
                change(&d, &live).performance_insights,
                Some(true),
                "{live:?}"
            );
        }
    }

    #[test]
    fn enhanced_monitoring_reads_its_interval_and_role_and_is_restored() {
        let mut d = desired(Engine::Postgres);
        d.monitoring_interval = 60;
        assert_eq!(
            desired_entries(&d)[1].1,
            "every 60 seconds, role phi-guard-rds-monitoring"
        );
        let live = |interval: i32, role: &str| {
            Live::from_instance(
                &instance()
                    .monitoring_interval(interval)
                    .monitoring_role_arn(role)
                    .build(),
            )
        };
        let ours = "arn:aws:iam::111122223333:role/phi-guard-rds-monitoring";
        assert_eq!(live(60, ours).entries()[1], desired_entries(&d)[1]);
        assert_eq!(change(&d, &live(60, ours)), Change::default());
        // Turned off (RDS keeps the role ARN), slowed down, or another role.
        assert_eq!(live(0, ours).entries()[1].1, "off");
        for l in [
            live(0, ours),
            live(5, ours),
            live(60, "arn:aws:iam::111122223333:role/other"),
        ] {
            assert_eq!(change(&d, &l).monitoring_interval, Some(60), "{l:?}");
        }
        // A configured role is named by its own name.
        d.monitoring_role_arn = Some("arn:aws:iam::111122223333:role/ops/db-monitoring".into());
        assert_eq!(
            desired_entries(&d)[1].1,
            "every 60 seconds, role db-monitoring"
        );
        // Off in the configuration: turned off when found on.
        let off = desired(Engine::Postgres);
        assert_eq!(change(&off, &live(60, ours)).monitoring_interval, Some(0));
    }

    #[test]
    fn the_monitoring_role_trusts_only_rds_monitoring() {
        let policy: serde_json::Value = serde_json::from_str(&trust_policy()).unwrap();
        assert_eq!(
            policy["Statement"][0]["Principal"]["Service"],
            "monitoring.rds.amazonaws.com"
        );
        assert_eq!(role_name("arn:aws:iam::1:role/a/b"), "b");
        let metrics: serde_json::Value = serde_json::from_str(&metrics_policy()).unwrap();
        let text = metrics.to_string();
        assert!(
            text.contains("logs:PutLogEvents") && !text.contains("\"*\""),
            "{text}"
        );
    }
}
