//! The policy's static checks (the same `phi_policy::checks` functions the
//! provider runs at plan) over resolved resource values: a plan's planned
//! values or a state's recorded ones. A value Terraform does not know yet is
//! `None` and its checks are skipped, as the provider does at plan.

use std::collections::BTreeMap;

use phi_policy::checks::{audit_log_sink, bucket, database};
use phi_policy::{Context, Policy, Violation};
use serde_json::Value;

/// Values of one resource, with the attributes Terraform marks unknown.
pub struct Resolved<'a> {
    pub values: &'a Value,
    /// `after_unknown` of a plan change (`{}` or absent for a state).
    pub unknown: Option<&'a Value>,
}

impl Resolved<'_> {
    fn known(&self, attr: &str) -> Option<&Value> {
        if self
            .unknown
            .and_then(|u| u.get(attr))
            .is_some_and(|u| u == &Value::Bool(true))
        {
            return None;
        }
        self.values.get(attr).filter(|v| !v.is_null())
    }
    fn string(&self, attr: &str) -> Option<String> {
        self.known(attr).and_then(Value::as_str).map(str::to_owned)
    }
    fn int(&self, attr: &str) -> Option<i64> {
        self.known(attr).and_then(Value::as_i64)
    }
    fn bool(&self, attr: &str) -> Option<bool> {
        self.known(attr).and_then(Value::as_bool)
    }
    fn map(&self, attr: &str) -> Option<BTreeMap<String, String>> {
        let obj = self.known(attr)?.as_object()?;
        Some(
            obj.iter()
                .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_owned())))
                .collect(),
        )
    }
    fn optional_map(&self, attr: &str) -> Option<BTreeMap<String, Option<String>>> {
        let obj = self.known(attr)?.as_object()?;
        Some(
            obj.iter()
                .map(|(k, v)| (k.clone(), v.as_str().map(str::to_owned)))
                .collect(),
        )
    }
}

/// The AWS name exceptions are scoped by (`<type>.<glob over the name>`).
pub fn aws_name(resource_type: &str, values: &Value) -> Option<String> {
    let attr = match resource_type {
        "phi_database" => "identifier",
        _ => "name",
    };
    values.get(attr).and_then(Value::as_str).map(str::to_owned)
}

/// Every static violation of a `phi_*` resource's values; `None` for a type
/// phi-lint does not know.
pub fn violations(
    resource_type: &str,
    r: &Resolved,
    ctx: &Context,
    policy: &Policy,
) -> Option<Vec<Violation>> {
    Some(match resource_type {
        "phi_audit_log_sink" => audit_log_sink::check(
            &audit_log_sink::AuditLogSinkConfig {
                name: r.string("name"),
                kms_key_arn: r.string("kms_key_arn"),
                retention_days: r.int("retention_days"),
                object_lock_mode: r.string("object_lock_mode"),
                tags: r.map("tags"),
            },
            ctx,
            policy,
        ),
        "phi_bucket" => bucket::check(
            &bucket::BucketConfig {
                name: r.string("name"),
                kms_key_arn: r.string("kms_key_arn"),
                encryption_algorithm: r.string("encryption_algorithm"),
                minimum_tls_version: r.string("minimum_tls_version"),
                noncurrent_version_retention_days: r.int("noncurrent_version_retention_days"),
                tags: r.map("tags"),
                replication: r.optional_map("replication"),
            },
            ctx,
            policy,
        ),
        "phi_database" => database::check(
            &database::DatabaseConfig {
                identifier: r.string("identifier"),
                engine: r.string("engine"),
                engine_version: r.string("engine_version"),
                kms_key_arn: r.string("kms_key_arn"),
                backup_retention_days: r.int("backup_retention_days"),
                multi_az: r.bool("multi_az"),
                publicly_accessible: r.bool("publicly_accessible"),
                tags: r.map("tags"),
                performance_insights: r.bool("performance_insights"),
                performance_insights_retention_days: r.int("performance_insights_retention_days"),
                enhanced_monitoring: r.bool("enhanced_monitoring"),
            },
            ctx,
            policy,
        ),
        _ => return None,
    })
}
