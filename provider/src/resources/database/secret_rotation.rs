//! Rotation of the database's RDS-managed master secret (PHI-RDS-019).
//!
//! RDS creates the master secret with rotation on every 7 days, but the
//! secret belongs to Secrets Manager, where anyone allowed to can turn
//! rotation off or stretch it. The read asks Secrets Manager
//! (`DescribeSecret` on the instance's `MasterUserSecret.SecretArn`) for
//! `RotationEnabled` and `RotationRules`; rotation off, or less often than the
//! policy's `database.secret_rotation_max_days`, shows in `enforced`, and
//! apply sets rotation back on with that interval (`RotateSecret` with
//! `RotationRules` only: RDS rotates its managed secrets without a Lambda).

use serde_json::{Value, json};

use crate::aws::{AwsError, Clients};

use super::converge::{StepError, step_error};

/// The JSON target prefix of Secrets Manager's operations.
const TARGET: &str = "secretsmanager";

/// A secret's rotation as Secrets Manager reports it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rotation {
    pub enabled: bool,
    /// `RotationRules.AutomaticallyAfterDays`.
    pub days: Option<i64>,
    /// `RotationRules.ScheduleExpression` (`rate(…)` or `cron(…)`).
    pub schedule: Option<String>,
}

impl Rotation {
    /// From a `DescribeSecret` answer. An absent `RotationEnabled` (a secret
    /// whose rotation was never configured) is off.
    pub fn from_answer(answer: &Value) -> Rotation {
        let rules = answer.get("RotationRules");
        Rotation {
            enabled: answer.get("RotationEnabled").and_then(Value::as_bool) == Some(true),
            days: rules
                .and_then(|r| r.get("AutomaticallyAfterDays"))
                .and_then(Value::as_i64)
                .filter(|d| *d > 0),
            schedule: rules
                .and_then(|r| r.get("ScheduleExpression"))
                .and_then(Value::as_str)
                .map(str::to_owned),
        }
    }

    /// The longest time between two rotations, in hours, when the rules say
    /// it plainly: the day count, or a `rate(N days|hours)` schedule. A
    /// `cron(…)` schedule is not interpreted.
    fn interval_hours(&self) -> Option<i64> {
        if let Some(days) = self.days {
            return Some(days * 24);
        }
        let rate = self
            .schedule
            .as_deref()?
            .strip_prefix("rate(")?
            .strip_suffix(')')?;
        let (n, unit) = rate.trim().split_once(' ')?;
        let n: i64 = n.parse().ok()?;
        match unit.trim() {
            "day" | "days" => Some(n * 24),
            "hour" | "hours" => Some(n),
            _ => None,
        }
    }
}

/// The compliant entry under a policy allowing `max_days`.
pub fn compliant(max_days: i64) -> String {
    format!("on, at most every {max_days} days")
}

/// The entry for no managed secret: PHI-RDS-004's entry says what is wrong.
pub const NO_MANAGED_SECRET: &str = "no managed secret";

/// The `enforced` entry: [`compliant`] when rotation is on at most every
/// `max_days`, otherwise what was found.
pub fn text(rotation: Option<&Rotation>, max_days: i64) -> String {
    let Some(r) = rotation else {
        return NO_MANAGED_SECRET.to_owned();
    };
    if !r.enabled {
        return "OFF".to_owned();
    }
    match (r.interval_hours(), r.days, r.schedule.as_deref()) {
        (Some(hours), _, _) if hours <= max_days * 24 => compliant(max_days),
        (Some(_), Some(days), _) => format!("on, every {days} days (longer than {max_days})"),
        (_, _, Some(schedule)) => format!("on, {schedule} (not at most every {max_days} days)"),
        _ => "on, with no interval".to_owned(),
    }
}

/// True when apply must set the rotation: there is a managed secret and its
/// entry is not the compliant one.
pub fn needs_restore(rotation: Option<&Rotation>, max_days: i64) -> bool {
    rotation.is_some() && text(rotation, max_days) != compliant(max_days)
}

/// The rotation of `secret_arn`; `None` without a managed secret.
pub async fn read(
    clients: &Clients,
    secret_arn: Option<&str>,
) -> Result<Option<Rotation>, AwsError> {
    let Some(arn) = secret_arn else {
        return Ok(None);
    };
    let answer = clients
        .secrets
        .call_json(
            "secretsmanager:DescribeSecret",
            TARGET,
            "DescribeSecret",
            &json!({ "SecretId": arn }),
        )
        .await?;
    Ok(Some(Rotation::from_answer(&answer)))
}

/// The `RotateSecret` input that turns rotation on every `days` days.
///
/// DESIGN: `RotateImmediately = false` sets the schedule without changing
/// the master password now, so restoring the schedule never cuts off the
/// clients holding the current password; the next rotation follows the rules.
fn rotate_input(secret_arn: &str, days: i64) -> Value {
    json!({
        "SecretId": secret_arn,
        "RotationRules": { "AutomaticallyAfterDays": days },
        "RotateImmediately": false,
    })
}

/// Sets rotation on every `max_days` days when it is off or longer.
pub async fn restore(
    clients: &Clients,
    secret_arn: Option<&str>,
    rotation: Option<&Rotation>,
    max_days: i64,
) -> Result<(), StepError> {
    let Some(arn) = secret_arn else {
        return Ok(());
    };
    if !needs_restore(rotation, max_days) {
        return Ok(());
    }
    clients
        .secrets
        .call_json(
            "secretsmanager:RotateSecret",
            TARGET,
            "RotateSecret",
            &rotate_input(arn, max_days),
        )
        .await
        .map_err(|e| step_error("turn the master secret's rotation back on", e))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rotation(answer: Value) -> Rotation {
        Rotation::from_answer(&answer)
    }

    #[test]
    fn rotation_off_or_longer_than_the_policy_is_drift() {
        // RDS's default: on, every 7 days.
        let rds_default = rotation(json!({
            "RotationEnabled": true,
            "RotationRules": {"AutomaticallyAfterDays": 7}
        }));
        assert_eq!(text(Some(&rds_default), 7), "on, at most every 7 days");
        assert!(!needs_restore(Some(&rds_default), 7));
        // A policy of 3 days makes the default too long.
        assert_eq!(
            text(Some(&rds_default), 3),
            "on, every 7 days (longer than 3)"
        );
        assert!(needs_restore(Some(&rds_default), 3));
        // Shorter than the policy is compliant.
        let daily = rotation(json!({
            "RotationEnabled": true,
            "RotationRules": {"AutomaticallyAfterDays": 1}
        }));
        assert_eq!(text(Some(&daily), 7), compliant(7));
        // Turned off (the rules stay behind), and never configured (moto's
        // answer for a new managed secret: no RotationEnabled at all).
        let off = rotation(json!({
            "RotationEnabled": false,
            "RotationRules": {"AutomaticallyAfterDays": 7}
        }));
        assert_eq!(text(Some(&off), 7), "OFF");
        assert!(needs_restore(Some(&off), 7));
        let never = rotation(json!({"Name": "rds!db-1"}));
        assert_eq!(text(Some(&never), 7), "OFF");
        // No managed secret: nothing to rotate here (PHI-RDS-004 says so).
        assert_eq!(text(None, 7), NO_MANAGED_SECRET);
        assert!(!needs_restore(None, 7));
    }

    #[test]
    fn rate_schedules_are_read_and_cron_ones_are_not_trusted() {
        let hourly = rotation(json!({
            "RotationEnabled": true,
            "RotationRules": {"ScheduleExpression": "rate(4 hours)"}
        }));
        assert_eq!(text(Some(&hourly), 1), compliant(1));
        let ten_days = rotation(json!({
            "RotationEnabled": true,
            "RotationRules": {"ScheduleExpression": "rate(10 days)"}
        }));
        assert_eq!(
            text(Some(&ten_days), 7),
            "on, rate(10 days) (not at most every 7 days)"
        );
        let cron = rotation(json!({
            "RotationEnabled": true,
            "RotationRules": {"ScheduleExpression": "cron(0 16 1,15 * ? *)"}
        }));
        assert!(needs_restore(Some(&cron), 7));
        let bare = rotation(json!({"RotationEnabled": true}));
        assert_eq!(text(Some(&bare), 7), "on, with no interval");
    }

    #[test]
    fn the_restore_sets_the_rules_without_rotating_at_once() {
        assert_eq!(
            rotate_input("arn:aws:secretsmanager:eu-central-1:1:secret:rds!db-1", 5),
            json!({
                "SecretId": "arn:aws:secretsmanager:eu-central-1:1:secret:rds!db-1",
                "RotationRules": {"AutomaticallyAfterDays": 5},
                "RotateImmediately": false
            })
        );
    }
}
