//! PlanResourceChange for the sink: every check, then the planned state with
//! defaults and the compliant `enforced` map.

use phi_policy::ids;

use crate::configured::Configured;
use crate::diagnostics::{Diagnostics, attr};
use crate::resources::plan_common;
use crate::resources::{PlanRequest, PlanResponse};
use crate::value::Value;

use super::{AuditLogSink, desired, desired_under, observe};

/// Whether a sink in state is protected. Anything but an explicit `false`
/// is protected, so a state from a version without the argument is never
/// deleted by accident.
pub fn protected(state: &Value) -> bool {
    state.get("deletion_protection").as_bool() != Some(false)
}

pub fn protection_error(d: &mut Diagnostics, name: &str, action: &str) {
    d.error_at(
        &attr("deletion_protection"),
        format!(
            "{}: audit sink {name} is protected from deletion",
            ids::S3_DELETION_PROTECTION
        ),
        format!(
            "This change would {action} the audit sink {name} (archive bucket {name} and log \
             group {}), but its deletion_protection is on. Nothing was deleted.\n\nHow to fix: \
             if the sink really must go, set `deletion_protection = false`, run `terraform \
             apply`, then run the destroy again; a sink whose archive still holds records or \
             whose log group holds events is never deleted. Run `phi-lint explain {}` for the \
             control.",
            desired::log_group_name(name),
            ids::S3_DELETION_PROTECTION
        ),
    );
}

pub async fn plan(sink: &AuditLogSink, request: PlanRequest, ctx: &Configured) -> PlanResponse {
    let PlanRequest {
        prior,
        proposed,
        config,
    } = request;
    if proposed.is_null() {
        return plan_destroy(&prior, ctx).await;
    }
    let diagnostics = sink.full_checks(&config, ctx, false).await;
    let Value::Map(mut planned) = proposed else {
        return plan_common::not_an_object(diagnostics);
    };
    // For optional arguments with a default, Terraform proposes the prior
    // value when the configuration omits them; the default must win, or an
    // imported GOVERNANCE lock would silently stay.
    plan_common::defaults_win(
        &mut planned,
        &config,
        [
            (
                "object_lock_mode",
                Value::string(desired::DEFAULT_LOCK_MODE),
            ),
            (
                "minimum_tls_version",
                Value::string(desired::DEFAULT_MIN_TLS),
            ),
            ("deletion_protection", Value::Bool(true)),
        ],
    );
    let name = planned.get("name").cloned().unwrap_or(Value::Null);
    let same_sink = prior.get("name") == &name && !prior.is_null();
    let mut requires_replace = Vec::new();
    let mut diagnostics = diagnostics;
    if !prior.is_null() && !same_sink {
        requires_replace.push(attr("name"));
        if protected(&prior) {
            let old = prior.get("name").as_str().unwrap_or("(unknown)");
            protection_error(&mut diagnostics, old, "replace (delete and recreate)");
        }
    }
    let derived = |f: &dyn Fn(&str) -> String| match name.as_str() {
        Some(n) => Value::string(f(n)),
        None => Value::Unknown,
    };
    let partition = desired::partition(&ctx.region);
    planned.insert(
        "id".to_owned(),
        if same_sink {
            prior.get("id").clone()
        } else {
            derived(&|n| n.to_owned())
        },
    );
    planned.insert(
        "bucket_arn".to_owned(),
        derived(&|n| format!("arn:{partition}:s3:::{n}")),
    );
    planned.insert(
        "log_group_name".to_owned(),
        derived(&desired::log_group_name),
    );
    planned.insert(
        "log_group_arn".to_owned(),
        if same_sink && !prior.get("log_group_arn").is_null() {
            prior.get("log_group_arn").clone()
        } else {
            Value::Unknown
        },
    );
    let planned = Value::Map(planned);
    let enforced = desired_under(&planned, ctx.policy())
        .map(|d| crate::resources::enforced::state_value(&d.enforced()))
        .unwrap_or(Value::Unknown);
    let Value::Map(mut planned) = planned else {
        unreachable!("built as a map above")
    };
    planned.insert("enforced".to_owned(), enforced);
    PlanResponse {
        planned: Value::Map(planned),
        requires_replace,
        diagnostics,
    }
}

/// Destroy is planned like any change, so a sink that still holds locked
/// records is refused before anything else in the run is destroyed.
async fn plan_destroy(prior: &Value, ctx: &Configured) -> PlanResponse {
    let mut d = Diagnostics::new();
    if protected(prior) {
        let name = prior.get("name").as_str().unwrap_or("(unknown)");
        protection_error(&mut d, name, "destroy");
        return PlanResponse {
            planned: Value::Null,
            requires_replace: Vec::new(),
            diagnostics: d,
        };
    }
    if let Some(name) = prior.get("name").as_str() {
        match observe::holds_records(&ctx.clients, name).await {
            Ok(true) => d.error(
                "Audit sink holds locked records",
                format!(
                    "The archive bucket {name} holds audit records under Object Lock COMPLIANCE \
                     retention. No one, including the account root user, can delete them before \
                     their retention ends, so the sink cannot be destroyed. To stop managing it \
                     with Terraform while keeping the records, run `terraform state rm` on this \
                     resource."
                ),
            ),
            Ok(false) => {}
            Err(e) if e.is_not_found() => {}
            Err(e) => d.error(
                "Could not check the audit sink before destroying it",
                format!("{e}. The sink is left untouched."),
            ),
        }
    }
    PlanResponse {
        planned: Value::Null,
        requires_replace: Vec::new(),
        diagnostics: d,
    }
}
