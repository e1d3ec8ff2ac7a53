//! The provider's resources. Each resource lives in its own folder with its
//! schema, plan, apply and read next to each other.

pub mod apply_gate;
pub mod audit_log_sink;
pub mod audit_trail;
pub mod audit_trail_role;
pub mod bucket;
pub mod bucket_list;
pub mod checks;
pub mod create_intent;
pub mod database;
pub mod enforced;
pub mod import_config;
pub mod key_policy_checks;
pub mod kms_key;
pub mod lookup;
pub mod move_from_aws;
pub mod plan_common;
pub mod refresh;
pub mod s3_common;
pub mod state_upgrade;
pub mod timeouts;

use std::sync::Arc;

use crate::configured::Configured;
use crate::diagnostics::{Diagnostics, Path};
use crate::schema::Schema;
use crate::value::Value;

pub struct PlanRequest {
    pub prior: Value,
    pub proposed: Value,
    pub config: Value,
}

#[derive(Default)]
pub struct PlanResponse {
    pub planned: Value,
    pub requires_replace: Vec<Path>,
    pub diagnostics: Diagnostics,
}

pub struct ApplyRequest {
    pub prior: Value,
    pub planned: Value,
    pub config: Value,
}

/// `new_state` is what exists now, even when `diagnostics` has errors: a
/// failed create returns the partial state so Terraform taints it instead of
/// losing track of it.
pub struct ApplyResponse {
    pub new_state: Value,
    pub diagnostics: Diagnostics,
}

pub struct ReadResponse {
    /// `Value::Null` when the resource no longer exists.
    pub new_state: Value,
    pub diagnostics: Diagnostics,
}

pub struct ImportResponse {
    pub state: Option<Value>,
    pub diagnostics: Diagnostics,
}

#[tonic::async_trait]
pub trait Resource: Send + Sync {
    fn type_name(&self) -> &'static str;
    fn schema(&self) -> &Schema;
    /// Checks of the configuration's shape, and of the policy only when the
    /// shape is broken (see [`checks::at_validate`] for why); runs before the
    /// provider is configured (no region, no credentials) and skips unknown
    /// values.
    fn validate(&self, config: &Value, policy: &phi_policy::Policy) -> Diagnostics;
    async fn plan(&self, request: PlanRequest, ctx: &Configured) -> PlanResponse;
    async fn apply(&self, request: ApplyRequest, ctx: &Configured) -> ApplyResponse;
    async fn read(&self, state: Value, ctx: &Configured) -> ReadResponse;
    async fn import(&self, id: &str, ctx: &Configured) -> ImportResponse;
}

/// Every resource this provider serves.
pub fn registry() -> Vec<Arc<dyn Resource>> {
    vec![
        Arc::new(audit_log_sink::AuditLogSink::new()),
        Arc::new(database::Database::new()),
        Arc::new(bucket::Bucket::new()),
        Arc::new(kms_key::KmsKey::new()),
    ]
}

/// Brings a decoded object into exactly the schema's shape: every attribute
/// present (missing ones null), attributes the schema no longer has dropped.
/// Used when upgrading raw state written by older versions.
pub fn conform(schema: &Schema, value: Value) -> Value {
    let Value::Map(mut entries) = value else {
        return value;
    };
    Value::Map(
        schema
            .attributes
            .iter()
            .map(|a| {
                let value = entries.remove(a.name).unwrap_or(Value::Null);
                let value = match a.ty {
                    crate::schema::AttrType::TimeoutsBlock(operations) => {
                        timeouts::normalise(&value, operations)
                    }
                    _ => value,
                };
                (a.name.to_owned(), value)
            })
            .collect(),
    )
}

/// The schemas against `phi_policy::arguments`, the table phi-lint reads:
/// a new or renamed argument must change both, or the linter would report
/// a valid configuration (or miss a missing argument).
#[cfg(test)]
mod arguments_table_tests {
    use crate::schema::Mode;

    #[test]
    fn every_schema_matches_the_shared_argument_table() {
        for r in super::registry() {
            let table = phi_policy::arguments::arguments(r.type_name())
                .unwrap_or_else(|| panic!("{} missing from the table", r.type_name()));
            let names = |f: fn(Mode) -> bool| {
                let mut v: Vec<&str> = r
                    .schema()
                    .attributes
                    .iter()
                    .filter(|a| f(a.mode))
                    .map(|a| a.name)
                    .collect();
                v.sort_unstable();
                v
            };
            let sorted = |s: &[&'static str]| {
                let mut v = s.to_vec();
                v.sort_unstable();
                v
            };
            assert_eq!(
                names(|m| m == Mode::Required),
                sorted(table.required),
                "{}",
                r.type_name()
            );
            assert_eq!(
                names(|m| matches!(m, Mode::Optional | Mode::OptionalComputed)),
                sorted(table.optional),
                "{}",
                r.type_name()
            );
        }
        assert_eq!(
            super::registry().len(),
            phi_policy::arguments::RESOURCE_ARGUMENTS.len()
        );
    }
}
