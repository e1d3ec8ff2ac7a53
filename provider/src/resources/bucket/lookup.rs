//! A PHI bucket looked up by name for `data "phi_bucket"`: what it is and
//! how it compares with what compliance requires of it.
//!
//! DESIGN: as for the sink (see `audit_log_sink::lookup`), the bucket is
//! read with refresh's code ([`observe::observe`]) and compared with what
//! plan's code ([`desired_from`], the policy checks) requires of the
//! settings it has in AWS. Which sink records the bucket's object access
//! cannot be read from the bucket itself, so PHI-S3-011 is compared only
//! when the caller names the sink.

use std::collections::BTreeMap;

use crate::aws::AwsError;
use crate::configured::Configured;
use crate::resources::lookup::Lookup;
use crate::resources::{checks, s3_common};
use crate::value::Value;

use super::desired::key;
use super::{desired_from, observe, policy_config};

/// The bucket `name`, or `None` when it does not exist. With
/// `audit_log_sink`, whether that sink's trail records its object access.
pub async fn lookup(
    name: &str,
    audit_log_sink: Option<&str>,
    ctx: &Configured,
) -> Result<Option<Lookup>, AwsError> {
    let Some(mut o) = observe::observe(&ctx.clients, name, audit_log_sink).await? else {
        return Ok(None);
    };
    // The destination's region is not in the replication rule; where the
    // replicas really are decides PHI-S3-010.
    let replication = match &o.replication {
        Some((dest, replica_key, role)) => {
            let dest = dest.rsplit(':').next().unwrap_or(dest).to_owned();
            let region = observe::bucket_region(&ctx.clients.s3, &dest)
                .await?
                .unwrap_or_default();
            Some(BTreeMap::from([
                ("region".to_owned(), region),
                ("destination_bucket".to_owned(), dest),
                ("kms_key_arn".to_owned(), replica_key.clone()),
                ("role_arn".to_owned(), role.clone()),
            ]))
        }
        None => None,
    };
    let settings = Value::Map(
        [
            ("name", Value::string(name)),
            (
                "kms_key_arn",
                Value::string(o.key_arn.clone().unwrap_or_default()),
            ),
            (
                "encryption_algorithm",
                Value::opt_string(o.algorithm.clone()),
            ),
            ("minimum_tls_version", Value::opt_string(o.min_tls.clone())),
            (
                "noncurrent_version_retention_days",
                o.noncurrent_days
                    .map_or(Value::Null, |d| Value::number(i64::from(d))),
            ),
            ("tags", Value::from_string_map(&o.tags)),
            (
                "replication",
                replication
                    .as_ref()
                    .map_or(Value::Null, Value::from_string_map),
            ),
            (
                "audit_log_sink",
                Value::string(audit_log_sink.unwrap_or_default()),
            ),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect(),
    );
    let policy = ctx.policy();
    let pctx = ctx.policy_context().await;
    let mut violations =
        phi_policy::checks::bucket::check(&policy_config(&settings), &pctx, policy);
    let mut diagnostics = crate::diagnostics::Diagnostics::new();
    checks::kms_key_checks(
        &settings,
        "stores PHI",
        &crate::resources::key_policy_checks::bucket_needs(),
        ctx,
        false,
        &mut violations,
        &mut diagnostics,
    )
    .await;
    let partition = s3_common::partition(&ctx.region);
    let mut required = desired_from(&settings)
        .map(|d| d.enforced(partition))
        .unwrap_or_default();
    if audit_log_sink.is_none() {
        required.remove(key::RECORDED);
        o.enforced.remove(key::RECORDED);
    }

    let attributes: BTreeMap<String, Value> = [
        ("arn", Value::string(s3_common::bucket_arn(partition, name))),
        ("kms_key_arn", Value::opt_string(o.key_arn.clone())),
        (
            "encryption_algorithm",
            Value::opt_string(o.algorithm.clone()),
        ),
        ("minimum_tls_version", Value::opt_string(o.min_tls.clone())),
        (
            "noncurrent_version_retention_days",
            o.noncurrent_days
                .map_or(Value::Null, |d| Value::number(i64::from(d))),
        ),
        ("tags", Value::from_string_map(&o.tags)),
        (
            "replication",
            replication
                .as_ref()
                .map_or(Value::Null, Value::from_string_map),
        ),
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
