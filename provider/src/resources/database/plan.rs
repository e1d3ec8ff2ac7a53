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
        .map(|d| crate::resources::enforced::state_value(&d.enforced()))
        .unwrap_or(Value::Unknown);
    if same {
        warn_of_reboot(prior.get("enforced"), &enforced, &mut diagnostics);
        // Turning on the managed secret, or moving it to the configured key,
        // may make RDS issue a new secret with a new ARN (moto does), e.g.
        // after a move from hashicorp/aws with the secret under another key.
        let secret = phi_policy::ids::RDS_MANAGED_SECRET;
        if prior.get("enforced").get(secret) != enforced.get(secret) {
            planned.insert("master_user_secret_arn".to_owned(), Value::Unknown);
        }
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

/// The value of the per-setting entry `key` ("PHI-RDS-003 TLS parameters")
/// within the `enforced` map as state holds it, keyed by control id: the
/// whole entry for a control with one setting, else the `name: value` part
/// of that setting (see `resources/enforced.rs`).
fn setting_value<'a>(enforced: &'a Value, key: &str) -> Option<&'a str> {
    let (control, name) = key.split_once(' ').unwrap_or((key, ""));
    let entry = enforced.get(control).as_str()?;
    let prefix = format!("{name}: ");
    match entry
        .split("; ")
        .find_map(|part| part.strip_prefix(&prefix))
    {
        Some(value) => Some(value),
        // A control with one setting: the entry is its value, unnamed.
        None if !entry.contains(": ") => Some(entry),
        None => None,
    }
}

/// Says in the plan when the apply will reboot the instance (a brief outage),
/// so nobody is surprised by it.
fn warn_of_reboot(prior: &Value, planned: &Value, d: &mut Diagnostics) {
    let changed: Vec<&str> = REBOOT_ENTRIES
        .iter()
        .copied()
        .filter(|k| {
            let after = setting_value(planned, k);
            // MySQL's audit lives in the option group: no reboot.
            let pg_audit = *k != desired::key::DATABASE_AUDIT
                || after.is_some_and(|v| v.starts_with("pgaudit"));
            pg_audit && after.is_some() && setting_value(prior, k) != after
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
    // Anything but an explicit false is protected: an imported database
    // holds null here until its first apply (the default, true, applies).
    if prior.get("deletion_protection").as_bool() != Some(false) {
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

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn state(settings: &[(&str, &str)]) -> Value {
        let map: BTreeMap<String, String> = settings
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        crate::resources::enforced::state_value(&map)
    }

    const PG_AUDIT: &str = "pgaudit preloaded; pgaudit.log=ddl,role,write,read; \
                            pgaudit.log_parameter=0; log_connections=1; log_disconnections=1";

    fn compliant() -> Vec<(&'static str, &'static str)> {
        vec![
            (desired::key::PARAMETER_GROUP, "acme-phi (in-sync)"),
            (
                desired::key::TLS_PARAMETERS,
                "rds.force_ssl=1 ssl_min_protocol_version=TLSv1.2",
            ),
            (desired::key::DATABASE_AUDIT, PG_AUDIT),
        ]
    }

    fn warnings(prior: &Value, planned: &Value) -> String {
        let mut d = Diagnostics::new();
        warn_of_reboot(prior, planned, &mut d);
        format!("{d:?}")
    }

    #[test]
    fn settings_are_found_inside_the_control_keyed_entries() {
        let s = state(&compliant());
        assert_eq!(
            setting_value(&s, desired::key::TLS_PARAMETERS),
            Some("rds.force_ssl=1 ssl_min_protocol_version=TLSv1.2")
        );
        assert_eq!(
            setting_value(&s, desired::key::DATABASE_AUDIT),
            Some(PG_AUDIT)
        );
    }

    #[test]
    fn restoring_pgaudit_or_tls_warns_of_the_reboot_and_nothing_else_does() {
        let planned = state(&compliant());
        assert!(!warnings(&planned, &planned).contains("reboots"));
        let mut drifted = compliant();
        drifted[2].1 = "pgaudit NOT preloaded; pgaudit.log=ddl,role,write,read; \
                        pgaudit.log_parameter=0; log_connections=0; log_disconnections=1";
        let w = warnings(&state(&drifted), &planned);
        assert!(w.contains("This apply reboots the database"), "{w}");
        assert!(w.contains(desired::key::DATABASE_AUDIT), "{w}");
        let mut drifted = compliant();
        drifted[1].1 = "rds.force_ssl=0 ssl_min_protocol_version=TLSv1.2";
        let w = warnings(&state(&drifted), &planned);
        assert!(w.contains(desired::key::TLS_PARAMETERS), "{w}");
        // A swapped parameter group alone is fixed by ModifyDBInstance.
        let mut drifted = compliant();
        drifted[0].1 = "permissive (in-sync)";
        assert!(!warnings(&state(&drifted), &planned).contains("reboots"));
        // MySQL's audit plugin is restored in the option group: no reboot.
        let my = "option group acme-phi (in-sync), MARIADB_AUDIT_PLUGIN \
                  SERVER_AUDIT_EVENTS=CONNECT,QUERY_DCL,QUERY_DDL,QUERY_DML";
        let planned = state(&[(desired::key::DATABASE_AUDIT, my)]);
        let prior = state(&[(
            desired::key::DATABASE_AUDIT,
            "option group acme-phi (in-sync), MARIADB_AUDIT_PLUGIN missing",
        )]);
        assert!(!warnings(&prior, &planned).contains("reboots"));
    }
}
