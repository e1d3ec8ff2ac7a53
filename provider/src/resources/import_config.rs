//! The state an import leaves, shaped so that the configuration Terraform
//! generates from it (`terraform plan -generate-config-out`) is one the
//! provider accepts.
//!
//! Why the state and not only the GenerateResourceConfig RPC: Terraform
//! 1.6 to 1.13 write the generated file straight from the imported state
//! (every required and optional argument, with its value), and 1.14+ does
//! the same for a provider without the RPC (dropping only computed and
//! empty values). So the imported state itself must hold no sentinel
//! (`""`, `"none"`, `0`), the required arguments AWS can tell (the key,
//! the sink), and null for an argument whose default is what the user
//! would write: a default, or the default because the value AWS reports is
//! one the policy refuses (the plan then lists the change per control).
//! Where a required argument cannot be found it stays null, and
//! [`missing_required`] refuses the plan saying exactly what to write.

use std::collections::BTreeMap;

use phi_policy::Violation;

use crate::aws::{AwsError, Clients};
use crate::diagnostics::{Diagnostics, attr};
use crate::schema::{Mode, Schema};
use crate::value::Value;

/// Sets to null each argument of `defaults` whose imported value is the
/// default, or is refused by one of `violations` (the resource's policy
/// checks run over the imported state): the generated configuration then
/// leaves it out and the default applies.
pub fn leave_defaults_out(
    state: &mut BTreeMap<String, Value>,
    defaults: &[(&str, Value)],
    violations: &[Violation],
) {
    for (name, default) in defaults {
        let refused = violations
            .iter()
            .any(|v| v.path.first().map(String::as_str) == Some(*name));
        if let Some(value) = state.get_mut(*name)
            && (value == default || refused)
        {
            *value = Value::Null;
        }
    }
}

/// A key ARN as S3 or RDS report it, or null: an alias or a bare key id is
/// not what `kms_key_arn` takes, and an empty answer means no key.
pub fn key_arn_or_null(reported: Option<&str>) -> Value {
    match reported {
        Some(arn) if arn.starts_with("arn:") && arn.contains(":key/") => Value::string(arn),
        _ => Value::Null,
    }
}

/// What to write for a required argument that is null: the generated
/// configuration of an import where the argument could not be found.
fn what_to_write(type_name: &str, name: &str) -> String {
    match (type_name, name) {
        (_, "audit_log_sink") => "Write `audit_log_sink = phi_audit_log_sink.<name>.id`, naming \
            the sink that keeps this bucket's audit records (import fills it in only when \
            exactly one sink's trail, `phi-guard-<sink>`, already records this bucket's object \
            access)."
            .to_owned(),
        (_, "kms_key_arn") => "Write `kms_key_arn = \"arn:aws:kms:<region>:<account>:key/<id>\"`, \
            the full ARN of the customer-managed key (import fills it in from the key AWS \
            reports; this one reports none, or an alias or AWS-managed key)."
            .to_owned(),
        ("phi_audit_log_sink", "retention_days") => "Write `retention_days = <days>`, how long \
            audit records are kept (the policy's minimum or more; import fills it in from the \
            Object Lock or log group retention AWS reports)."
            .to_owned(),
        _ => format!("Write `{name} = ...` in this {type_name}."),
    }
}

/// An error for every required argument whose configured value is null
/// (Terraform checks only that the argument is present): the provider
/// names what to write instead of failing later on a missing value.
pub fn missing_required(type_name: &str, schema: &Schema, config: &Value) -> Diagnostics {
    let mut d = Diagnostics::new();
    if !matches!(config, Value::Map(_)) {
        return d;
    }
    for a in schema
        .attributes
        .iter()
        .filter(|a| a.mode == Mode::Required)
    {
        if config.get(a.name).is_null() {
            d.error_at(
                &attr(a.name),
                format!("Missing required argument `{}`", a.name),
                format!(
                    "This {type_name} has `{} = null`, and the argument is required. {} Then \
                     plan again; nothing was changed.",
                    a.name,
                    what_to_write(type_name, a.name)
                ),
            );
        }
    }
    d
}

/// GenerateResourceConfig (protocol 6.10, Terraform 1.14+): the
/// configuration Terraform writes for an imported object, from its state:
/// computed-only attributes and `timeouts` null, and each optional argument
/// whose value is its default, or one the policy refuses, null (again: a
/// refresh may have read back a value the import left out, such as a
/// database made public by hand). Terraform writes the non-null arguments,
/// and `= null` for the others without a default.
pub async fn generated_config(
    type_name: &str,
    schema: &Schema,
    state: Value,
    ctx: &crate::configured::Configured,
) -> Value {
    let Value::Map(mut e) = state else {
        return state;
    };
    for a in &schema.attributes {
        let computed_only = a.mode == Mode::Computed;
        let block = matches!(a.ty, crate::schema::AttrType::TimeoutsBlock(_));
        let empty = e.get(a.name).and_then(Value::as_str) == Some("");
        if computed_only || block || empty {
            e.insert(a.name.to_owned(), Value::Null);
        }
    }
    let state = Value::Map(e);
    match type_name {
        crate::resources::bucket::TYPE_NAME => {
            crate::resources::bucket::leave_defaults_out(state, ctx).await
        }
        crate::resources::database::TYPE_NAME => {
            crate::resources::database::leave_defaults_out(state, ctx).await
        }
        crate::resources::audit_log_sink::TYPE_NAME => {
            crate::resources::audit_log_sink::leave_defaults_out(state, ctx).await
        }
        _ => state,
    }
}

/// The sink whose trail records every read and write of `bucket`'s objects:
/// `Ok(None)` when no phi-guard trail does, or more than one (the choice is
/// then the user's).
pub async fn sink_recording(
    clients: &Clients,
    bucket: &str,
    partition: &str,
) -> Result<Option<String>, AwsError> {
    let prefix = crate::resources::audit_trail::object_prefix(partition, bucket);
    let trails = clients
        .cloudtrail
        .describe_trails()
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("cloudtrail:DescribeTrails", e))?;
    let mut sinks = Vec::new();
    for trail in trails.trail_list() {
        let Some(sink) = trail.name().and_then(|n| n.strip_prefix("phi-guard-")) else {
            continue;
        };
        if let Some(selectors) = crate::resources::audit_trail::selectors(clients, sink).await?
            && crate::resources::audit_trail::covers(&selectors, &prefix)
        {
            sinks.push(sink.to_owned());
        }
    }
    Ok(match sinks.as_slice() {
        [one] => Some(one.clone()),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(entries: &[(&str, Value)]) -> BTreeMap<String, Value> {
        entries
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect()
    }

    #[test]
    fn defaults_and_refused_values_become_null_others_stay() {
        let mut s = state(&[
            ("minimum_tls_version", Value::string("1.2")),
            ("encryption_algorithm", Value::string("AES256")),
            ("noncurrent_version_retention_days", Value::number(90)),
        ]);
        let refused = vec![Violation::new(
            "PHI-S3-001",
            &["encryption_algorithm"],
            "SSE-S3",
        )];
        leave_defaults_out(
            &mut s,
            &[
                ("minimum_tls_version", Value::string("1.2")),
                ("encryption_algorithm", Value::string("aws:kms")),
                ("noncurrent_version_retention_days", Value::number(365)),
            ],
            &refused,
        );
        assert_eq!(s["minimum_tls_version"], Value::Null);
        assert_eq!(s["encryption_algorithm"], Value::Null);
        assert_eq!(s["noncurrent_version_retention_days"], Value::number(90));
    }

    #[test]
    fn only_full_key_arns_are_kept() {
        let arn = "arn:aws:kms:eu-central-1:111122223333:key/1234";
        assert_eq!(key_arn_or_null(Some(arn)), Value::string(arn));
        assert_eq!(key_arn_or_null(Some("alias/aws/s3")), Value::Null);
        assert_eq!(key_arn_or_null(Some("1234")), Value::Null);
        assert_eq!(key_arn_or_null(Some("")), Value::Null);
        assert_eq!(key_arn_or_null(None), Value::Null);
    }

    #[test]
    fn a_null_required_argument_names_what_to_write() {
        let schema = crate::resources::registry()
            .into_iter()
            .find(|r| r.type_name() == "phi_bucket")
            .unwrap()
            .schema()
            .clone();
        let config = Value::Map(state(&[
            ("name", Value::string("acme-records")),
            ("kms_key_arn", Value::Unknown),
            ("audit_log_sink", Value::Null),
        ]));
        let d = missing_required("phi_bucket", &schema, &config);
        let all: Vec<_> = d.iter().collect();
        assert_eq!(all.len(), 1, "{all:?}");
        assert_eq!(all[0].summary, "Missing required argument `audit_log_sink`");
        assert!(
            all[0]
                .detail
                .contains("`audit_log_sink = phi_audit_log_sink.<name>.id`")
        );
    }
}
