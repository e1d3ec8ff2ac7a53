//! A sink looked up by name for `data "phi_audit_log_sink"`: what it is
//! and how it compares with what compliance requires of it.
//!
//! DESIGN: the lookup reads the sink with the same code refresh uses
//! ([`observe::observe`]) and derives what is required with the same code
//! plan uses ([`desired_under`] and the policy checks), taking as
//! "configuration" the settings the sink has in AWS. A drifted setting
//! therefore reads exactly as it would in the plan of the stack that manages
//! the sink, in the same words.

use std::collections::BTreeMap;

use crate::aws::AwsError;
use crate::configured::Configured;
use crate::resources::lookup::Lookup;
use crate::resources::{audit_trail, checks};
use crate::value::Value;

use super::{desired, desired_under, observe, policy_config};

/// The sink `name`, or `None` when its archive bucket does not exist.
pub async fn lookup(name: &str, ctx: &Configured) -> Result<Option<Lookup>, AwsError> {
    let Some(o) = observe::observe(&ctx.clients, name, desired::PROTECTION_ON).await? else {
        return Ok(None);
    };
    // The archive's lock is what keeps the records; the log group's
    // retention is compared with it as drift.
    let retention = o.lock_days.or(o.log_retention_days);
    let settings = Value::Map(
        [
            ("name", Value::string(name)),
            (
                "kms_key_arn",
                Value::string(o.bucket_key_arn.clone().unwrap_or_default()),
            ),
            ("retention_days", Value::number(retention.unwrap_or(0))),
            ("object_lock_mode", Value::opt_string(o.lock_mode.clone())),
            ("minimum_tls_version", Value::opt_string(o.min_tls.clone())),
            ("tags", Value::from_string_map(&o.tags)),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect(),
    );
    let policy = ctx.policy();
    let pctx = ctx.policy_context().await;
    let mut violations =
        phi_policy::checks::audit_log_sink::check(&policy_config(&settings), &pctx, policy);
    let mut diagnostics = crate::diagnostics::Diagnostics::new();
    checks::kms_key_checks(
        &settings,
        "stores PHI audit records",
        &crate::resources::key_policy_checks::sink_needs(),
        ctx,
        false,
        &mut violations,
        &mut diagnostics,
    )
    .await;
    let required = desired_under(&settings, policy)
        .map(|d| d.enforced())
        .unwrap_or_default();

    let partition = desired::partition(&ctx.region);
    let trail_arn = ctx
        .account_id()
        .await
        .map(|account| audit_trail::trail_arn(partition, &ctx.region, &account, name));
    let attributes: BTreeMap<String, Value> = [
        ("kms_key_arn", Value::opt_string(o.bucket_key_arn.clone())),
        (
            "retention_days",
            retention.map_or(Value::Null, Value::number),
        ),
        ("object_lock_mode", Value::opt_string(o.lock_mode.clone())),
        ("minimum_tls_version", Value::opt_string(o.min_tls.clone())),
        ("tags", Value::from_string_map(&o.tags)),
        (
            "bucket_arn",
            Value::string(crate::resources::s3_common::bucket_arn(partition, name)),
        ),
        (
            "log_group_name",
            if o.log_group_exists {
                Value::string(desired::log_group_name(name))
            } else {
                Value::Null
            },
        ),
        ("log_group_arn", Value::opt_string(o.log_group_arn.clone())),
        ("trail_name", Value::string(audit_trail::trail_name(name))),
        ("trail_arn", Value::opt_string(trail_arn)),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    Ok(Some(Lookup {
        attributes,
        observed: o.enforced,
        required,
        violations,
        diagnostics,
    }))
}
