//! The provider's resources. Each resource lives in its own folder with its
//! schema, plan, apply and read next to each other.

pub mod apply_gate;
pub mod audit_log_sink;
pub mod audit_trail;
pub mod audit_trail_role;
pub mod bucket;
pub mod checks;
pub mod database;
pub mod plan_common;
pub mod refresh;
pub mod s3_common;

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
    /// Static checks on configuration; runs before the provider is configured
    /// (no region, no credentials) and skips unknown values.
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
                (
                    a.name.to_owned(),
                    entries.remove(a.name).unwrap_or(Value::Null),
                )
            })
            .collect(),
    )
}
