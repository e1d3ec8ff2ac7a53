//! The key-policy checks (PHI-KMS-010 to PHI-KMS-012) on a key attribute:
//! the provider reads the key's policy (kms:GetKeyPolicy, once per key per
//! run at plan, afresh at apply) and the pure analysis in
//! `phi_policy::key_policy` decides. Kept apart from `checks::key_api_checks`
//! so the two kinds of lookup fail and report independently.

use phi_policy::key_policy::{KeyNeeds, KeyService};
use phi_policy::{Violation, ids};

use crate::configured::Configured;
use crate::diagnostics::{Diagnostics, attr};
use crate::value::Value;

/// Checks the policy of the key in `attribute` against what the resource
/// needs of it. Skipped when the key is not known yet (apply checks it), when
/// its reference is already refused (wrong form, region or account: the
/// policy could not be read here), or when DescribeKey already failed (that
/// error is reported once, by the API checks).
pub async fn key_policy_checks(
    config: &Value,
    attribute: &str,
    needs: &KeyNeeds,
    ctx: &Configured,
    violations: &mut Vec<Violation>,
    d: &mut Diagnostics,
) {
    let Value::String(arn) = config.get(attribute) else {
        return;
    };
    let key_path = vec![attribute.to_owned()];
    let Ok(parsed) = phi_policy::kms::parse_key_arn(arn) else {
        return;
    };
    let refused_reference = violations.iter().any(|v| {
        v.path == key_path
            && [
                ids::KMS_KEY_ARN,
                ids::KMS_SAME_REGION,
                ids::KMS_SAME_ACCOUNT,
            ]
            .contains(&v.control.id)
    });
    if refused_reference {
        return;
    }
    if parsed.region != ctx.region || ctx.keys.facts(arn).await.is_err() {
        return;
    }
    // KMS serves GetKeyPolicy only to the key's own account: a key in a
    // central key account the policy allows cannot be read from here. Say
    // so rather than pass it.
    if let Some(own) = ctx.account_id().await
        && parsed.account != own
    {
        d.warning_at(
            &attr(attribute),
            "Key policy not verified: the key is in another account",
            format!(
                "The key belongs to account {}; KMS lets only that account read its key policy, \
                 so PHI-KMS-010 and PHI-KMS-011 were not checked here. Verify in that account \
                 that the policy grants nothing to everyone without an account condition and \
                 admits the services this resource needs.",
                parsed.account
            ),
        );
        return;
    }
    match ctx.keys.policy(arn).await {
        Ok(document) => violations.extend(phi_policy::key_policy::check_key_policy(
            &document,
            needs,
            &ctx.policy_context().await,
            ctx.policy(),
            &key_path,
        )),
        Err(e) => d.error_at(
            &attr(attribute),
            "Could not read the KMS key policy",
            format!(
                "{e}\n\nThe key policy was not verified, so nothing is created with this key. \
                 The provider reads it (kms:GetKeyPolicy) to confirm that it grants nothing to \
                 everyone and admits the services this resource needs; allow these credentials \
                 kms:GetKeyPolicy on the key."
            ),
        ),
    }
}

/// What a `phi_bucket` needs of its key.
pub fn bucket_needs() -> KeyNeeds {
    KeyNeeds {
        services: vec![KeyService::S3],
        audit_sink: false,
    }
}

/// What a `phi_audit_log_sink` needs of its key: its log group, its trail
/// and its archive bucket, and the break-glass guard when the policy asks.
pub fn sink_needs() -> KeyNeeds {
    KeyNeeds {
        services: vec![KeyService::Logs, KeyService::CloudTrail, KeyService::S3],
        audit_sink: true,
    }
}

/// What a `phi_database` needs of its key: the instance, its RDS-managed
/// master secret and its engine log groups.
pub fn database_needs() -> KeyNeeds {
    KeyNeeds {
        services: vec![
            KeyService::Rds,
            KeyService::SecretsManager,
            KeyService::Logs,
        ],
        audit_sink: false,
    }
}
