//! PlanResourceChange for `phi_bucket`: every check, deletion protection on
//! destroy and replace, then the planned state with defaults and the
//! compliant `enforced` map.

use phi_policy::ids;

use crate::configured::Configured;
use crate::diagnostics::{Diagnostics, attr};
use crate::resources::{PlanRequest, PlanResponse};
use crate::resources::{plan_common, s3_common};
use crate::value::Value;

use super::{Bucket, desired, desired_from};

/// Whether a bucket in state is protected. Anything but an explicit `false`
/// is protected, so a state from an older version is never deleted by
/// accident.
pub fn protected(state: &Value) -> bool {
    state.get("deletion_protection").as_bool() != Some(false)
}

pub fn protection_error(d: &mut Diagnostics, name: &str, action: &str) {
    d.error_at(
        &attr("deletion_protection"),
        format!(
            "{}: bucket {name} is protected from deletion",
            ids::S3_DELETION_PROTECTION
        ),
        format!(
            "This change would {action} the PHI bucket {name}, but its deletion_protection is on. \
             Nothing was deleted.\n\nHow to fix: if the bucket really must go, set \
             `deletion_protection = false`, run `terraform apply`, empty the bucket under your \
             retention rules (the provider never deletes objects), then run the destroy again. \
             More: `phi-lint explain {}`.",
            ids::S3_DELETION_PROTECTION
        ),
    );
}

pub async fn plan(bucket: &Bucket, request: PlanRequest, ctx: &Configured) -> PlanResponse {
    let PlanRequest {
        prior,
        proposed,
        config,
    } = request;
    if proposed.is_null() {
        let mut d = Diagnostics::new();
        if protected(&prior) {
            let name = prior.get("name").as_str().unwrap_or("(unknown)");
            protection_error(&mut d, name, "destroy");
        }
        return PlanResponse {
            planned: Value::Null,
            requires_replace: Vec::new(),
            diagnostics: d,
        };
    }
    let mut diagnostics = bucket.full_checks(&config, ctx, false).await;
    let Value::Map(mut planned) = proposed else {
        return plan_common::not_an_object(diagnostics);
    };
    // For optional arguments with a default, Terraform proposes the prior
    // value when the configuration omits them; the default must win, or an
    // imported bucket's weaker setting would silently stay.
    let defaults = [
        (
            "encryption_algorithm",
            Value::string(desired::DEFAULT_ALGORITHM),
        ),
        (
            "minimum_tls_version",
            Value::string(desired::DEFAULT_MIN_TLS),
        ),
        (
            "noncurrent_version_retention_days",
            Value::number(phi_policy::checks::bucket::NONCURRENT_DEFAULT_DAYS),
        ),
        ("deletion_protection", Value::Bool(true)),
    ];
    plan_common::defaults_win(&mut planned, &config, defaults);
    let name = planned.get("name").cloned().unwrap_or(Value::Null);
    let same_bucket = !prior.is_null() && prior.get("name") == &name;
    let mut requires_replace = Vec::new();
    if !prior.is_null() && !same_bucket {
        requires_replace.push(attr("name"));
        if protected(&prior) {
            let old = prior.get("name").as_str().unwrap_or("(unknown)");
            protection_error(&mut diagnostics, old, "replace (delete and recreate)");
        }
    }
    let partition = s3_common::partition(&ctx.region);
    planned.insert(
        "id".to_owned(),
        if same_bucket {
            prior.get("id").clone()
        } else {
            name.clone()
        },
    );
    planned.insert(
        "arn".to_owned(),
        match name.as_str() {
            Some(n) => Value::string(s3_common::bucket_arn(partition, n)),
            None => Value::Unknown,
        },
    );
    let planned_value = Value::Map(planned);
    let enforced = desired_from(&planned_value)
        .map(|d| crate::resources::enforced::state_value(&d.enforced(partition)))
        .unwrap_or(Value::Unknown);
    let Value::Map(mut planned) = planned_value else {
        unreachable!("built as a map above")
    };
    planned.insert("enforced".to_owned(), enforced);
    PlanResponse {
        planned: Value::Map(planned),
        requires_replace,
        diagnostics,
    }
}
