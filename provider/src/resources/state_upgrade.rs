//! UpgradeResourceState: turns state written by an older version of a
//! resource's schema into the current shape, one explicit step per version,
//! and refuses rather than drops what it does not understand.
//!
//! Schema versions (the same for every resource of this provider):
//! - 0: `enforced` keyed by control id and description
//!   (`"PHI-RDS-002 public access"`); `phi_database.timeouts` a map of
//!   strings.
//! - 1: `enforced` keyed by control id alone (`"PHI-RDS-002"`); `timeouts` a
//!   block on every resource.

use std::collections::BTreeMap;

use crate::resources::enforced;
use crate::schema::Schema;
use crate::value::Value;

/// The schema version every resource of this provider is at.
pub const CURRENT: i64 = 1;

/// Upgrades `state` (decoded from the raw JSON Terraform stored) from
/// `version` to the schema's version. An attribute the schema does not know
/// after the upgrade is an error naming it: silently dropping it could lose
/// a setting (for example state written by a newer provider).
pub fn upgrade(schema: &Schema, version: i64, state: Value) -> Result<Value, String> {
    let mut state = state;
    for from in version..schema.version {
        state = match from {
            0 => v0_to_v1(state),
            // A resource whose schema adds versions must add their steps.
            _ => return Err(format!("no upgrade from schema version {from}")),
        };
    }
    if let Value::Map(entries) = &state {
        let unknown: Vec<&str> = entries
            .keys()
            .map(String::as_str)
            .filter(|k| schema.attribute(k).is_none())
            .collect();
        if !unknown.is_empty() {
            return Err(format!(
                "the stored state has attributes this provider version does not know: {}",
                unknown.join(", ")
            ));
        }
    }
    Ok(super::conform(schema, state))
}

/// Version 0 to 1: `enforced` keyed by control id alone. (The `timeouts`
/// map of strings becomes the block in [`super::conform`], which fills the
/// operations it lacks.)
fn v0_to_v1(state: Value) -> Value {
    let Value::Map(mut entries) = state else {
        return state;
    };
    if let Some(old) = entries.get("enforced").and_then(Value::as_string_map) {
        let old: BTreeMap<String, String> = old;
        entries.insert("enforced".to_owned(), enforced::state_value(&old));
    }
    Value::Map(entries)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::Resource;
    use crate::value::decode_json;

    fn fixture(name: &str) -> Value {
        let path = format!(
            "{}/tests/fixtures/state-v0/{name}.json",
            env!("CARGO_MANIFEST_DIR")
        );
        decode_json(&std::fs::read(&path).unwrap()).unwrap()
    }

    #[test]
    fn a_version_0_database_state_is_upgraded_with_nothing_lost() {
        let db = crate::resources::database::Database::new();
        let upgraded = upgrade(db.schema(), 0, fixture("phi_database")).unwrap();
        let enforced = upgraded.get("enforced").as_string_map().unwrap();
        assert_eq!(enforced["PHI-RDS-002"], "not publicly accessible");
        assert_eq!(enforced["PHI-RDS-001"], "on");
        assert!(enforced["PHI-RDS-003"].contains("parameter group: acme-ehr-phi"));
        assert!(enforced.keys().all(|k| !k.contains(' ')), "{enforced:?}");
        // The old timeouts map keeps its value inside the block.
        assert_eq!(
            upgraded.get("timeouts").get("create"),
            &Value::string("60m")
        );
        assert!(upgraded.get("timeouts").get("delete").is_null());
        // Everything else is as it was.
        assert_eq!(upgraded.get("identifier"), &Value::string("acme-ehr"));
        assert_eq!(upgraded.get("allocated_storage_gb").as_i64(), Some(50));
    }

    #[test]
    fn version_0_bucket_and_sink_states_are_keyed_by_control_id() {
        let bucket = crate::resources::bucket::Bucket::new();
        let upgraded = upgrade(bucket.schema(), 0, fixture("phi_bucket")).unwrap();
        let enforced = upgraded.get("enforced").as_string_map().unwrap();
        assert_eq!(enforced["PHI-S3-005"], "Enabled");
        assert!(upgraded.get("timeouts").is_null());

        let sink = crate::resources::audit_log_sink::AuditLogSink::new();
        let upgraded = upgrade(sink.schema(), 0, fixture("phi_audit_log_sink")).unwrap();
        let enforced = upgraded.get("enforced").as_string_map().unwrap();
        assert_eq!(
            enforced["PHI-AUD-001"],
            "COMPLIANCE default retention 2192 days"
        );
        assert!(enforced.keys().all(|k| !k.contains(' ')), "{enforced:?}");
    }

    #[test]
    fn an_unknown_attribute_is_an_error_not_a_silent_drop() {
        let bucket = crate::resources::bucket::Bucket::new();
        let Value::Map(mut state) = fixture("phi_bucket") else {
            panic!("fixture is an object")
        };
        state.insert("object_lock_days".to_owned(), Value::number(30));
        let err = upgrade(bucket.schema(), 0, Value::Map(state)).unwrap_err();
        assert!(err.contains("object_lock_days"), "{err}");
    }

    #[test]
    fn current_state_passes_through_unchanged() {
        let bucket = crate::resources::bucket::Bucket::new();
        let once = upgrade(bucket.schema(), 0, fixture("phi_bucket")).unwrap();
        assert_eq!(
            upgrade(bucket.schema(), CURRENT, once.clone()).unwrap(),
            once
        );
    }
}
