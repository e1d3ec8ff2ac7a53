//! The IAM role through which a sink's CloudTrail trail delivers its events
//! into the sink's own CloudWatch Logs log group (CloudTrail needs a role
//! for that; it cannot write to a log group on its own).
//!
//! The role trusts only `cloudtrail.amazonaws.com`, and only for the sink's
//! trail (`aws:SourceArn`); its one inline policy allows creating streams in
//! and putting events into that log group, nothing else. The sink creates it
//! before the trail and deletes it after the trail.

use crate::aws::{AwsError, Clients};
use crate::resources::s3_common::{StepError, step};

const STEP: &str = "create the role that delivers trail events to the log group";
const POLICY_NAME: &str = "phi-guard-trail-to-log-group";
/// IAM role names are at most 64 characters.
const MAX_ROLE_NAME: usize = 64;

/// `phi-guard-trail-<sink>`; a sink name too long for that keeps its start
/// and gets a short hash of the whole name, so two long names never share
/// a role.
pub fn role_name(sink: &str) -> String {
    let full = format!("phi-guard-trail-{sink}");
    if full.len() <= MAX_ROLE_NAME {
        return full;
    }
    // FNV-1a: stable across builds and platforms, unlike std's hasher.
    let hash = sink.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    let suffix = format!("-{:08x}", hash as u32);
    format!("{}{suffix}", &full[..MAX_ROLE_NAME - suffix.len()])
}

pub fn trust_policy(trail_arn: &str) -> String {
    serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Service": "cloudtrail.amazonaws.com"},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"aws:SourceArn": trail_arn}}
        }]
    })
    .to_string()
}

/// `log_group_arn` is the group's ARN without the `:*` suffix.
pub fn delivery_policy(log_group_arn: &str) -> String {
    serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": format!("{log_group_arn}:log-stream:*")
        }]
    })
    .to_string()
}

/// Creates the role if it is missing and (re)writes its trust and delivery
/// policies, so a role changed outside Terraform is put back. Returns its ARN.
pub async fn ensure_role(
    clients: &Clients,
    sink: &str,
    trail_arn: &str,
    log_group_arn: &str,
) -> Result<String, StepError> {
    let iam = &clients.iam;
    let name = role_name(sink);
    let arn = match iam.get_role().role_name(&name).send().await {
        Ok(out) => {
            iam.update_assume_role_policy()
                .role_name(&name)
                .policy_document(trust_policy(trail_arn))
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("iam:UpdateAssumeRolePolicy", e))
                .map_err(step(STEP))?;
            out.role().map(|r| r.arn().to_owned())
        }
        Err(e) => {
            let err = AwsError::from_sdk("iam:GetRole", e);
            if !err.code_is("NoSuchEntity") {
                return Err(step(STEP)(err));
            }
            let out = iam
                .create_role()
                .role_name(&name)
                .description(format!(
                    "Lets the phi-guard audit trail of sink {sink} deliver into its log group"
                ))
                .assume_role_policy_document(trust_policy(trail_arn))
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("iam:CreateRole", e))
                .map_err(step(STEP))?;
            out.role().map(|r| r.arn().to_owned())
        }
    };
    iam.put_role_policy()
        .role_name(&name)
        .policy_name(POLICY_NAME)
        .policy_document(delivery_policy(log_group_arn))
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("iam:PutRolePolicy", e))
        .map_err(step(STEP))?;
    arn.ok_or_else(|| StepError {
        step: STEP,
        error: AwsError {
            operation: "iam:GetRole",
            code: None,
            message: format!("IAM returned no ARN for role {name}"),
        },
    })
}

/// Deletes the role and its inline policy; a role already gone is fine.
pub async fn delete_role(clients: &Clients, sink: &str) -> Result<(), StepError> {
    const DELETE: &str = "delete the trail's log delivery role";
    let iam = &clients.iam;
    let name = role_name(sink);
    let gone = |e: &AwsError| e.code_is("NoSuchEntity") || e.is_not_found();
    if let Err(e) = iam
        .delete_role_policy()
        .role_name(&name)
        .policy_name(POLICY_NAME)
        .send()
        .await
    {
        let err = AwsError::from_sdk("iam:DeleteRolePolicy", e);
        if !gone(&err) {
            return Err(step(DELETE)(err));
        }
    }
    match iam.delete_role().role_name(&name).send().await {
        Ok(_) => Ok(()),
        Err(e) => {
            let err = AwsError::from_sdk("iam:DeleteRole", e);
            if gone(&err) {
                Ok(())
            } else {
                Err(step(DELETE)(err))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_names_fit_iam_and_stay_distinct() {
        assert_eq!(role_name("acme-audit"), "phi-guard-trail-acme-audit");
        let a = role_name(&"a".repeat(63));
        let b = role_name(&format!("{}b", "a".repeat(62)));
        assert_eq!(a.len(), MAX_ROLE_NAME);
        assert_ne!(a, b);
    }

    #[test]
    fn role_is_scoped_to_the_trail_and_the_log_group() {
        let trust = trust_policy("arn:aws:cloudtrail:eu-central-1:111122223333:trail/t");
        assert!(trust.contains("aws:SourceArn") && trust.contains("trail/t"));
        let policy =
            delivery_policy("arn:aws:logs:eu-central-1:111122223333:log-group:/phi-guard/audit/a");
        assert!(policy.contains("log-group:/phi-guard/audit/a:log-stream:*"));
        assert!(!policy.contains("\"*\""));
    }
}
