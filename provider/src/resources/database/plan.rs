//! PlanResourceChange for the database: every check, then the planned state
//! with defaults, computed values and the compliant `enforced` map.

use phi_policy::engines::Engine;

use crate::configured::Configured;
use crate::diagnostics::{Diagnostics, attr};
use crate::resources::plan_common;
use crate::resources::{PlanRequest, PlanResponse};
use crate::value::Value;

use super::{Database, defaults, desired, desired_from};

/// Arguments whose change replaces the database (RDS cannot change them in
/// place). `kms_key_arn` is among them: storage encryption is fixed at create.
const REPLACE_ON_CHANGE: &[&str] = &[
    "identifier",
    "engine",
    "kms_key_arn",
    "master_username",
    "snapshot_identifier",
];

pub async fn plan(db: &Database, request: PlanRequest, ctx: &Configured) -> PlanResponse {
    let PlanRequest {
        prior,
        proposed,
        config,
    } = request;
    if proposed.is_null() {
        return plan_destroy(&prior);
    }
    let mut diagnostics = db.full_checks(&config, ctx, false, prior.is_null()).await;
    let Value::Map(mut planned) = proposed else {
        return plan_common::not_an_object(diagnostics);
    };
    // Terraform proposes the prior value for an omitted optional argument;
    // the default must win, or deletion protection turned off once would
    // silently stay off after the argument is removed.
    plan_common::defaults_win(&mut planned, &config, defaults(ctx.policy()));
    let exists = !prior.is_null();
    let mut requires_replace = Vec::new();
    if exists {
        for name in REPLACE_ON_CHANGE {
            if prior.get(name) != planned.get(*name).unwrap_or(&Value::Null) {
                requires_replace.push(attr(name));
            }
        }
    }
    let replacing = !requires_replace.is_empty();
    let same = exists && !replacing;
    if same {
        check_in_place_change(&prior, &planned, &mut diagnostics);
    }
    let identifier = planned.get("identifier").cloned().unwrap_or(Value::Null);
    planned.insert("id".to_owned(), identifier.clone());
    planned.insert(
        "parameter_group_name".to_owned(),
        match identifier.as_str() {
            Some(id) => Value::string(desired::parameter_group_name(id)),
            None => Value::Unknown,
        },
    );
    for computed in ["arn", "address", "port", "master_user_secret_arn"] {
        let value = if same && !prior.get(computed).is_null() {
            prior.get(computed).clone()
        } else {
            Value::Unknown
        };
        planned.insert(computed.to_owned(), value);
    }
    let version_unchanged = same
        && prior.get("engine_version") == planned.get("engine_version").unwrap_or(&Value::Null);
    planned.insert(
        "engine_version_actual".to_owned(),
        if version_unchanged && !prior.get("engine_version_actual").is_null() {
            prior.get("engine_version_actual").clone()
        } else {
            Value::Unknown
        },
    );
    let planned_value = Value::Map(planned.clone());
    let enforced = desired_from(&planned_value, ctx.policy())
        .map(|d| Value::from_string_map(&d.enforced()))
        .unwrap_or(Value::Unknown);
    if same {
        warn_of_reboot(prior.get("enforced"), &enforced, &mut diagnostics);
    }
    planned.insert("enforced".to_owned(), enforced);
    PlanResponse {
        planned: Value::Map(planned),
        requires_replace,
        diagnostics,
    }
}

/// Changes RDS cannot make in place and that must not silently become a
/// replacement (which would delete the data): refused with how to proceed.
fn check_in_place_change(
    prior: &Value,
    planned: &std::collections::BTreeMap<String, Value>,
    d: &mut Diagnostics,
) {
    let get = |n: &str| planned.get(n).unwrap_or(&Value::Null);
    if let (Some(before), Some(after)) = (
        prior.get("allocated_storage_gb").as_i64(),
        get("allocated_storage_gb").as_i64(),
    ) && after < before
    {
        d.error_at(
            &attr("allocated_storage_gb"),
            "Storage cannot shrink",
            format!(
                "allocated_storage_gb goes from {before} to {after}; RDS cannot reduce allocated \
                 storage. Keep {before} or more, or migrate the data into a new database."
            ),
        );
    }
    if let (Some(engine), Some(before), Some(after)) = (
        get("engine").as_str().and_then(Engine::from_name),
        prior
            .get("engine_version_actual")
            .as_str()
            .or(prior.get("engine_version").as_str()),
        get("engine_version").as_str(),
    ) && engine.major(before) != engine.major(after)
        && !prior.get("engine_version").is_null()
        && prior.get("engine_version").as_str() != Some(after)
    {
        d.error_at(
            &attr("engine_version"),
            "Major version upgrades are not applied in place",
            format!(
                "engine_version goes from {before} to {after}, a new major version. phi_database \
                 applies minor upgrades only: a major upgrade needs a new TLS parameter group \
                 family and a tested upgrade path. Create a new phi_database on {after} with \
                 `snapshot_identifier` set to a manual snapshot of this one, switch to it, then \
                 retire this one (docs/guides/major-version-upgrade.md); or keep the current \
                 major version."
            ),
        );
    }
}

/// Parameter-group entries whose restore needs a reboot: every parameter is
/// set with the `pending-reboot` apply method, and `shared_preload_libraries`
/// (pgaudit) is static anyway.
const REBOOT_ENTRIES: &[&str] = &[desired::key::TLS_PARAMETERS, desired::key::DATABASE_AUDIT];

/// Says in the plan when the apply will reboot the instance (a brief outage),
/// so nobody is surprised by it.
fn warn_of_reboot(prior: &Value, planned: &Value, d: &mut Diagnostics) {
    let changed: Vec<&str> = REBOOT_ENTRIES
        .iter()
        .copied()
        .filter(|k| {
            // MySQL's audit lives in the option group: no reboot.
            let pg_audit = *k != desired::key::DATABASE_AUDIT
                || planned
                    .get(k)
                    .as_str()
                    .is_some_and(|v| v.starts_with("pgaudit"));
            pg_audit && planned.get(k).is_wholly_known() && prior.get(k) != planned.get(k)
        })
        .collect();
    if !changed.is_empty() {
        d.warning(
            "This apply reboots the database",
            format!(
                "{} must be restored in the dedicated parameter group, and RDS applies them only \
                 on a reboot. Apply sets them, reboots the instance and waits until it is \
                 available again: connections drop for a minute or two.",
                changed.join(" and ")
            ),
        );
    }
}

/// Destroy is planned like any change, so a protected database is refused
/// before anything else in the run is destroyed.
fn plan_destroy(prior: &Value) -> PlanResponse {
    let mut d = Diagnostics::new();
    if prior.get("deletion_protection").as_bool() == Some(true) {
        let id = prior.get("identifier").as_str().unwrap_or("this database");
        d.error_at(
            &attr("deletion_protection"),
            format!(
                "{}: deletion protection is on",
                phi_policy::ids::RDS_DELETION_SAFETY
            ),
            format!(
                "The database {id} has deletion protection on, so it is not destroyed. To delete \
                 it, set `deletion_protection = false`, apply, then destroy: the provider takes a \
                 final snapshot and keeps the automated backups. To stop managing it with \
                 Terraform instead, run `terraform state rm`."
            ),
        );
    }
    PlanResponse {
        planned: Value::Null,
        requires_replace: Vec::new(),
        diagnostics: d,
    }
}
