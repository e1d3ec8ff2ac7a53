//! The `phi_bucket` list resource (`terraform query`, protocol 6.10,
//! Terraform 1.14+): the S3 buckets of the provider's region, each with its
//! identity and whether it would pass phi_bucket's controls as it is.
//!
//! DESIGN: "would it pass" is answered by the resource's own code, not a
//! second copy of the rules: each bucket is imported and refreshed (the
//! state an `import` block would leave), a configuration is derived from that state as
//! `-generate-config-out` would write it, and the resource plans it. The
//! `enforced` entries the plan would change are the controls the bucket
//! fails today; a refusal of the plan (no sink found, a key the policy
//! refuses) is shown as what stands in the way of adopting it. The archive
//! buckets of audit sinks (a `phi-guard-<name>` trail exists) are not
//! listed: they are `phi_audit_log_sink`s.

use std::collections::BTreeSet;

use crate::configured::Configured;
use crate::diagnostics::Diagnostics;
use crate::proto::tfplugin6 as pb;
use crate::resources::{PlanRequest, Resource, import_config};
use crate::schema::{AttrType, Attribute, Mode, Schema};
use crate::value::{self, Value};

pub const TYPE_NAME: &str = "phi_bucket";

/// The `config` block of `list "phi_bucket" "..." { config { ... } }`.
pub fn schema() -> Schema {
    Schema {
        version: 0,
        description: "The S3 buckets of the provider's region (audit sink archives left out), \
            each with its identity and whether it passes phi_bucket's controls as it is.",
        attributes: vec![Attribute::new(
            "name_prefix",
            AttrType::String,
            Mode::Optional,
            "Only buckets whose name starts with this.",
        )],
    }
}

/// One listed bucket.
pub struct Listed {
    pub identity: Option<pb::ResourceIdentityData>,
    pub display_name: String,
    pub state: Option<Value>,
    pub diagnostics: Diagnostics,
}

/// The buckets of the region whose names start with `prefix`, at most
/// `limit`, in name order.
pub async fn list(
    bucket: &dyn Resource,
    prefix: Option<&str>,
    limit: usize,
    ctx: &Configured,
) -> Result<Vec<Listed>, Diagnostics> {
    let s3 = &ctx.clients.s3;
    let listed = s3.list_buckets().send().await.map_err(|e| {
        let mut d = Diagnostics::new();
        d.error(
            "Could not list the buckets",
            format!("s3:ListBuckets failed: {e}."),
        );
        d
    })?;
    let sinks = sink_names(ctx).await?;
    let mut names: Vec<String> = listed
        .buckets()
        .iter()
        .filter_map(|b| b.name().map(str::to_owned))
        .filter(|n| prefix.is_none_or(|p| n.starts_with(p)))
        .filter(|n| !sinks.contains(n))
        .collect();
    names.sort();
    let mut out = Vec::new();
    for name in names {
        if out.len() >= limit {
            break;
        }
        if region_of(ctx, &name).await.as_deref() != Some(ctx.region.as_str()) {
            continue;
        }
        out.push(assess(bucket, &name, ctx).await);
    }
    Ok(out)
}

/// The sink names of the account's `phi-guard-<name>` trails.
async fn sink_names(ctx: &Configured) -> Result<BTreeSet<String>, Diagnostics> {
    let trails = ctx
        .clients
        .cloudtrail
        .describe_trails()
        .send()
        .await
        .map_err(|e| {
            let mut d = Diagnostics::new();
            d.error(
                "Could not list the trails",
                format!("cloudtrail:DescribeTrails failed: {e}."),
            );
            d
        })?;
    Ok(trails
        .trail_list()
        .iter()
        .filter_map(|t| t.name()?.strip_prefix("phi-guard-").map(str::to_owned))
        .collect())
}

/// GetBucketLocation (an empty constraint is us-east-1); `None` when it
/// cannot be read.
async fn region_of(ctx: &Configured, name: &str) -> Option<String> {
    let out = ctx
        .clients
        .s3
        .get_bucket_location()
        .bucket(name)
        .send()
        .await
        .ok()?;
    Some(
        out.location_constraint()
            .map(|c| c.as_str().to_owned())
            .filter(|c| !c.is_empty())
            .unwrap_or_else(|| "us-east-1".to_owned()),
    )
}

/// Imports the bucket, derives the configuration `-generate-config-out`
/// would write, plans it, and names what the plan would change or refuse.
async fn assess(bucket: &dyn Resource, name: &str, ctx: &Configured) -> Listed {
    let imported = bucket.import(name, ctx).await;
    let Some(state) = imported.state else {
        return Listed {
            identity: None,
            display_name: format!("{name}: could not be read"),
            state: None,
            diagnostics: imported.diagnostics,
        };
    };
    // Refreshed, as Terraform refreshes an import: the live `enforced`
    // entries then include the sink's recording of the bucket.
    let state = crate::resources::conform(bucket.schema(), state);
    let refreshed = bucket.read(state.clone(), ctx).await.new_state;
    let state = if refreshed.is_null() {
        state
    } else {
        refreshed
    };
    let identity = crate::plugin::identity::of_state(
        TYPE_NAME,
        &state,
        ctx.account_id().await.as_deref(),
        &ctx.region,
        false,
    );
    let config =
        import_config::generated_config(TYPE_NAME, bucket.schema(), state.clone(), ctx).await;
    let mut refusals: Vec<String> =
        import_config::missing_required(TYPE_NAME, bucket.schema(), &config)
            .iter()
            .map(|d| d.summary.clone())
            .collect();
    if refusals.is_empty() {
        let plan = bucket
            .plan(
                PlanRequest {
                    prior: state.clone(),
                    proposed: proposed(bucket.schema(), &state, &config),
                    config,
                },
                ctx,
            )
            .await;
        refusals.extend(
            plan.diagnostics
                .iter()
                .filter(|d| d.severity == pb::diagnostic::Severity::Error as i32)
                .map(|d| d.summary.clone()),
        );
        if refusals.is_empty() {
            let failing = changed_entries(state.get("enforced"), plan.planned.get("enforced"));
            let display_name = if failing.is_empty() {
                format!("{name}: passes every phi_bucket control")
            } else {
                format!("{name}: fails {}", failing.join(", "))
            };
            return Listed {
                identity,
                display_name,
                state: Some(state),
                diagnostics: Diagnostics::new(),
            };
        }
    }
    Listed {
        identity,
        display_name: format!("{name}: not adoptable as is: {}", refusals.join("; ")),
        state: Some(state),
        diagnostics: Diagnostics::new(),
    }
}

/// What Terraform proposes for a configuration over a prior state: the
/// configured arguments, the prior computed values.
fn proposed(schema: &Schema, prior: &Value, config: &Value) -> Value {
    Value::Map(
        schema
            .attributes
            .iter()
            .map(|a| {
                let v = match (a.mode, config.get(a.name)) {
                    (Mode::Computed, _) => prior.get(a.name).clone(),
                    (Mode::OptionalComputed, Value::Null) => prior.get(a.name).clone(),
                    (_, v) => v.clone(),
                };
                (a.name.to_owned(), v)
            })
            .collect(),
    )
}

/// The `enforced` keys (control ids) whose planned value differs from the
/// live one.
fn changed_entries(live: &Value, planned: &Value) -> Vec<String> {
    let live = live.as_string_map().unwrap_or_default();
    let Some(planned) = planned.as_string_map() else {
        return Vec::new();
    };
    planned
        .iter()
        .filter(|(k, v)| live.get(*k) != Some(*v))
        .map(|(k, _)| k.clone())
        .collect()
}

/// A listed bucket as the protocol's event.
pub fn event(listed: Listed, include_object: bool) -> pb::list_resource::Event {
    pb::list_resource::Event {
        identity: listed.identity,
        display_name: listed.display_name,
        resource_object: listed
            .state
            .filter(|_| include_object)
            .map(|s| pb::DynamicValue {
                msgpack: value::encode_msgpack(&s),
                json: Vec::new(),
            }),
        diagnostic: listed.diagnostics.into_proto(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(entries: &[(&str, &str)]) -> Value {
        Value::Map(
            entries
                .iter()
                .map(|(k, v)| ((*k).to_owned(), Value::string(*v)))
                .collect(),
        )
    }

    #[test]
    fn the_controls_a_plan_would_change_are_the_failing_ones() {
        let live = map(&[("PHI-S3-001", "SSE-KMS"), ("PHI-S3-002", "off")]);
        let planned = map(&[("PHI-S3-001", "SSE-KMS"), ("PHI-S3-002", "all four")]);
        assert_eq!(changed_entries(&live, &planned), ["PHI-S3-002"]);
        assert!(changed_entries(&live, &Value::Unknown).is_empty());
    }
}
