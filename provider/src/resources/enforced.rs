//! The read-only `enforced` map as it appears in state: one entry per
//! control, keyed by the control id alone (`enforced["PHI-RDS-002"]`), so
//! `check` blocks and `terraform test` assertions never hard-code display
//! text.
//!
//! Inside the provider each resource observes its settings under finer keys
//! ("PHI-RDS-003 parameter group", "PHI-RDS-003 TLS parameters"), because
//! drift is detected and repaired per setting. A control with one setting
//! shows that setting's value; a control with several shows them all, each
//! named, in a stable order, so drift in any of them still shows as a change.

use std::collections::BTreeMap;

use crate::value::Value;

/// The control id of an internal key: its first word.
fn control_id(key: &str) -> &str {
    key.split_whitespace().next().unwrap_or(key)
}

/// What each setting is called within its control: the key without the id.
fn setting(key: &str) -> &str {
    key.split_once(char::is_whitespace)
        .map_or("", |(_, rest)| rest.trim())
}

/// Groups per-setting entries by control id. Idempotent: a map already
/// keyed by control id comes out unchanged, which lets state upgrades apply
/// it to any older map.
pub fn by_control(settings: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    let mut grouped: BTreeMap<String, Vec<(&str, &str)>> = BTreeMap::new();
    for (key, value) in settings {
        grouped
            .entry(control_id(key).to_owned())
            .or_default()
            .push((setting(key), value));
    }
    grouped
        .into_iter()
        .map(|(id, entries)| {
            let value = match entries.as_slice() {
                [(_, only)] => (*only).to_owned(),
                many => many
                    .iter()
                    .map(|(name, value)| format!("{name}: {value}"))
                    .collect::<Vec<_>>()
                    .join("; "),
            };
            (id, value)
        })
        .collect()
}

/// The `enforced` attribute's value for per-setting observations.
pub fn state_value(settings: &BTreeMap<String, String>) -> Value {
    Value::from_string_map(&by_control(settings))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn one_entry_per_control_keyed_by_its_id() {
        let grouped = by_control(&map(&[
            ("PHI-RDS-002 public access", "not publicly accessible"),
            ("PHI-RDS-003 parameter group", "acme-ehr-phi"),
            ("PHI-RDS-003 TLS parameters", "rds.force_ssl=1"),
        ]));
        assert_eq!(
            grouped,
            map(&[
                ("PHI-RDS-002", "not publicly accessible"),
                (
                    "PHI-RDS-003",
                    "TLS parameters: rds.force_ssl=1; parameter group: acme-ehr-phi"
                ),
            ])
        );
    }

    #[test]
    fn grouping_twice_changes_nothing() {
        let once = by_control(&map(&[
            ("PHI-S3-005 versioning", "Enabled"),
            ("PHI-RDS-006 log group postgresql", "ok"),
            ("PHI-RDS-006 log exports", "postgresql"),
        ]));
        assert_eq!(by_control(&once), once);
    }
}
