//! `phi_audit_log_sink`: where audit records of PHI access are kept, so that
//! nobody can alter or delete them for the retention period.
//!
//! In AWS it is an S3 archive bucket with Object Lock in COMPLIANCE mode,
//! SSE-KMS with the given customer-managed key (SSE-C blocked), versioning,
//! every public access block, ACLs disabled, a lifecycle that expires records
//! once the retention period has passed, and a bucket policy that is
//! TLS-only, guards the lock, lifecycle and policy, and admits only the
//! sink's own trail; plus a CloudWatch Logs log group encrypted with the same
//! key, with the same explicit retention and deletion protection, into which
//! the sink's CloudTrail trail also delivers.

mod archive;
mod converge;
mod desired;
pub mod lookup;
mod observe;

use std::collections::BTreeMap;

use phi_policy::checks::audit_log_sink::AuditLogSinkConfig;
use phi_policy::{Policy, Violation, ids};

use crate::configured::Configured;
use crate::diagnostics::{Diagnostics, attr};
use crate::resources::{
    ApplyRequest, ApplyResponse, ImportResponse, PlanRequest, PlanResponse, ReadResponse, Resource,
};
use crate::schema::{AttrType, Attribute, Mode, Schema};
use crate::value::Value;

use desired::Desired;

pub const TYPE_NAME: &str = "phi_audit_log_sink";

pub struct AuditLogSink {
    schema: Schema,
}

impl Default for AuditLogSink {
    fn default() -> Self {
        Self::new()
    }
}

impl AuditLogSink {
    pub fn new() -> Self {
        AuditLogSink { schema: schema() }
    }
}

fn schema() -> Schema {
    use AttrType::*;
    use Mode::*;
    Schema {
        version: crate::resources::state_upgrade::CURRENT,
        description: "An immutable audit log sink for PHI access records: an S3 archive bucket \
            with Object Lock in COMPLIANCE mode and a CloudWatch Logs log group, both encrypted \
            with a customer-managed KMS key and kept for at least the policy's retention floor. \
            Security settings are always on; their live state is shown in `enforced`.",
        attributes: vec![
            Attribute::new("id", String, Computed, "The sink name."),
            Attribute::new(
                "name",
                String,
                Required,
                "Name of the sink. Used as the S3 bucket name (3-63 lowercase letters, digits \
                 and hyphens) and in the log group name `/phi-guard/audit/<name>`. Changing it \
                 replaces the sink.",
            ),
            Attribute::new(
                "kms_key_arn",
                String,
                Required,
                "Full ARN of a customer-managed, enabled, symmetric KMS key with rotation on, in \
                 the provider's region and account (controls PHI-KMS-001 to PHI-KMS-009). \
                 Aliases and AWS-managed keys are refused.",
            ),
            Attribute::new(
                "retention_days",
                Number,
                Required,
                "Days audit records are kept and locked: at least the policy floor (baseline \
                 2192 = 6 years), at most the policy maximum, and a value CloudWatch Logs accepts \
                 (control PHI-LOG-001).",
            ),
            Attribute::new(
                "object_lock_mode",
                String,
                OptionalComputed,
                "Object Lock mode of the archive bucket. Only `COMPLIANCE` is accepted \
                 (control PHI-AUD-001); `GOVERNANCE` can be bypassed and is refused.",
            ),
            Attribute::new(
                "minimum_tls_version",
                String,
                OptionalComputed,
                "Lowest TLS version the bucket policy accepts: `1.2` (default) or `1.3` \
                 (control PHI-S3-004).",
            ),
            Attribute::new(
                "tags",
                MapOfString,
                Optional,
                "Tags for the bucket and the log group; the policy may require some keys \
                 (control PHI-TAG-001).",
            ),
            Attribute::new(
                "timeouts",
                TimeoutsBlock(&["create"]),
                Optional,
                "How long to wait, in Terraform's duration syntax (`\"90s\"`, `\"1h30m\"`, \
                 `\"1.5h\"`): `create` (default 2m) bounds the wait for the new archive bucket \
                 to become visible in S3, e.g. `timeouts { create = \"10m\" }`.",
            ),
            Attribute::new(
                "deletion_protection",
                Bool,
                OptionalComputed,
                "While true (the default), destroying or replacing the sink is refused at plan \
                 and apply (control PHI-S3-009). Set it to false and apply first to delete on \
                 purpose; a sink whose archive holds records or whose log group holds events \
                 is still never deleted.",
            ),
            Attribute::new("bucket_arn", String, Computed, "ARN of the archive bucket."),
            Attribute::new("log_group_name", String, Computed, "Name of the log group."),
            Attribute::new("log_group_arn", String, Computed, "ARN of the log group."),
            Attribute::new(
                "enforced",
                MapOfString,
                Computed,
                "Live state of every always-on control, keyed by control id alone (e.g. \
                 `enforced[\"PHI-S3-005\"]`). Read from AWS on refresh; a value that differs from what compliance requires appears as a change \
                 in the next plan, and apply restores it.",
            ),
        ],
    }
}

/// The configuration as the policy checks see it: `None` for values not
/// known yet, defaults filled in for nulls.
fn policy_config(config: &Value) -> AuditLogSinkConfig {
    fn known_str(v: &Value) -> Option<String> {
        v.as_str().map(str::to_owned)
    }
    AuditLogSinkConfig {
        name: known_str(config.get("name")),
        kms_key_arn: known_str(config.get("kms_key_arn")),
        retention_days: config.get("retention_days").as_i64(),
        object_lock_mode: match config.get("object_lock_mode") {
            Value::Null => Some(desired::DEFAULT_LOCK_MODE.to_owned()),
            v => known_str(v),
        },
        tags: match config.get("tags") {
            Value::Null => Some(BTreeMap::new()),
            v => v.as_string_map(),
        },
    }
}

/// The desired sink, when every input is known.
fn desired_from(value: &Value) -> Option<Desired> {
    Some(Desired {
        name: value.get("name").as_str()?.to_owned(),
        kms_key_arn: value.get("kms_key_arn").as_str()?.to_owned(),
        retention_days: value.get("retention_days").as_i64()?,
        lock_mode: match value.get("object_lock_mode") {
            Value::Null => desired::DEFAULT_LOCK_MODE.to_owned(),
            v => v.as_str()?.to_owned(),
        },
        minimum_tls_version: match value.get("minimum_tls_version") {
            Value::Null => desired::DEFAULT_MIN_TLS.to_owned(),
            v => v.as_str()?.to_owned(),
        },
        tags: match value.get("tags") {
            Value::Null => BTreeMap::new(),
            v => v.as_string_map()?,
        },
        break_glass: Vec::new(),
    })
}

/// The desired sink under `policy`: [`desired_from`] plus what the policy
/// decides (the break-glass principals).
fn desired_under(value: &Value, policy: &Policy) -> Option<Desired> {
    desired_from(value).map(|mut d| {
        d.break_glass = policy.audit_break_glass_principals().to_vec();
        d
    })
}

fn name_problem(name: &str) -> Option<&'static str> {
    crate::resources::checks::bucket_name_problem(name)
}

fn static_checks(config: &Value) -> Diagnostics {
    let mut d = Diagnostics::new();
    if let Some(name) = config.get("name").as_str()
        && let Some(problem) = name_problem(name)
    {
        d.error_at(
            &attr("name"),
            "Invalid sink name",
            format!(
                "The sink name {name:?} {problem}. It becomes the name of the S3 archive \
                     bucket, which must be globally unique."
            ),
        );
    }
    if let Some(tls) = config.get("minimum_tls_version").as_str()
        && !desired::TLS_VERSIONS.contains(&tls)
    {
        d.error_at(
            &attr("minimum_tls_version"),
            format!("{}: unsupported minimum TLS version", ids::S3_TLS_ONLY),
            format!(
                "minimum_tls_version is {tls:?}; use \"1.2\" (the default) or \"1.3\". Older \
                     versions have known weaknesses and are never accepted for PHI."
            ),
        );
    }
    d.extend(crate::resources::timeouts::validate(config));
    d
}

fn report(
    violations: Vec<Violation>,
    policy: &Policy,
    name: Option<&str>,
    today: time::Date,
    d: &mut Diagnostics,
) {
    crate::resources::checks::report(violations, policy, TYPE_NAME, name, today, d);
}

impl AuditLogSink {
    /// Every static and API-backed check for a known configuration. Returns
    /// diagnostics; errors mean "create nothing".
    async fn full_checks(&self, config: &Value, ctx: &Configured, at_apply: bool) -> Diagnostics {
        let mut d = static_checks(config);
        let policy = ctx.policy();
        let pctx = ctx.policy_context().await;
        let cfg = policy_config(config);
        let mut violations = phi_policy::checks::audit_log_sink::check(&cfg, &pctx, policy);
        crate::resources::checks::kms_key_checks(
            config,
            "stores PHI audit records",
            &crate::resources::key_policy_checks::sink_needs(),
            ctx,
            at_apply,
            &mut violations,
            &mut d,
        )
        .await;
        report(violations, policy, cfg.name.as_deref(), ctx.today(), &mut d);
        d
    }
}

#[tonic::async_trait]
impl Resource for AuditLogSink {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> &Schema {
        &self.schema
    }

    fn validate(&self, config: &Value, policy: &Policy) -> Diagnostics {
        let cfg = policy_config(config);
        crate::resources::checks::at_validate(
            static_checks(config),
            policy,
            TYPE_NAME,
            cfg.name.as_deref(),
            |pctx| phi_policy::checks::audit_log_sink::check(&cfg, pctx, policy),
        )
    }

    async fn plan(&self, request: PlanRequest, ctx: &Configured) -> PlanResponse {
        plan::plan(self, request, ctx).await
    }

    async fn apply(&self, request: ApplyRequest, ctx: &Configured) -> ApplyResponse {
        apply::apply(self, request, ctx).await
    }

    async fn read(&self, state: Value, ctx: &Configured) -> ReadResponse {
        apply::read(state, ctx).await
    }

    async fn import(&self, id: &str, ctx: &Configured) -> ImportResponse {
        apply::import(id, ctx).await
    }
}

mod apply;
/// For GenerateResourceConfig (see `resources::import_config`).
pub(crate) use apply::leave_defaults_out;
mod plan;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_name_rules() {
        assert_eq!(name_problem("acme-audit"), None);
        assert!(name_problem("ab").is_some());
        assert!(name_problem("Acme").is_some());
        assert!(name_problem("acme.audit").is_some());
        assert!(name_problem("-acme").is_some());
        assert!(name_problem("xn--acme").is_some());
    }

    #[test]
    fn nulls_take_defaults_and_unknowns_stay_unknown() {
        let config = Value::Map(
            [
                ("name".to_owned(), Value::string("acme-audit")),
                ("kms_key_arn".to_owned(), Value::Unknown),
                ("retention_days".to_owned(), Value::number(2192)),
            ]
            .into_iter()
            .collect(),
        );
        let cfg = policy_config(&config);
        assert_eq!(cfg.kms_key_arn, None);
        assert_eq!(cfg.object_lock_mode.as_deref(), Some("COMPLIANCE"));
        assert_eq!(cfg.retention_days, Some(2192));
        assert!(desired_from(&config).is_none());
    }
}
