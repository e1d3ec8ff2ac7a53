//! Manual snapshots of the database shared out of the account (PHI-RDS-018).
//!
//! A manual snapshot is a full copy of the PHI. Sharing it (the snapshot's
//! `restore` attribute) with `all` makes it public; sharing it with another
//! account lets that account restore the data. The read lists the manual
//! snapshots of the instance (DescribeDBSnapshots) and the accounts each is
//! shared with (DescribeDBSnapshotAttributes); anything public or outside
//! the policy's `database.snapshot_allowed_accounts` shows in `enforced`,
//! and apply removes exactly those entries (ModifyDBSnapshotAttribute).

use std::collections::BTreeMap;

use crate::aws::{AwsError, Clients};

use super::converge::{StepError, step_error};

/// The snapshot attribute that lists who may restore (copy) a snapshot.
const RESTORE: &str = "restore";
/// The `restore` value that makes a snapshot public.
pub const PUBLIC: &str = "all";

/// The compliant entry.
pub const NOT_SHARED: &str = "no manual snapshot shared outside the allowed accounts";

/// The entries of `restore` that are not allowed: `all` always, an account
/// unless the policy lists it.
pub fn offending(restore: &[String], allowed: &[String]) -> Vec<String> {
    restore
        .iter()
        .filter(|v| v.as_str() == PUBLIC || !allowed.contains(v))
        .cloned()
        .collect()
}

/// The `enforced` entry: [`NOT_SHARED`], or each offending snapshot with
/// whom it is shared (`all` read as PUBLIC).
pub fn text(shared_outside: &BTreeMap<String, Vec<String>>) -> String {
    if shared_outside.is_empty() {
        return NOT_SHARED.to_owned();
    }
    let parts: Vec<String> = shared_outside
        .iter()
        .map(|(snapshot, with)| {
            let whom: Vec<&str> = with
                .iter()
                .map(|v| if v == PUBLIC { "PUBLIC" } else { v.as_str() })
                .collect();
            format!("{snapshot} shared with {}", whom.join(", "))
        })
        .collect();
    format!("SHARED: {}", parts.join(", "))
}

/// The manual snapshots of `identifier` shared outside `allowed`, with the
/// offending `restore` entries of each.
pub async fn shared_outside(
    clients: &Clients,
    identifier: &str,
    allowed: &[String],
) -> Result<BTreeMap<String, Vec<String>>, AwsError> {
    let mut names = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let page = clients
            .rds
            .describe_db_snapshots()
            .db_instance_identifier(identifier)
            .snapshot_type("manual")
            .set_marker(marker.clone())
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("rds:DescribeDBSnapshots", e))?;
        names.extend(
            page.db_snapshots()
                .iter()
                .filter_map(|s| s.db_snapshot_identifier().map(str::to_owned)),
        );
        match page.marker() {
            Some(m) if Some(m) != marker.as_deref() => marker = Some(m.to_owned()),
            _ => break,
        }
    }
    let mut out = BTreeMap::new();
    for name in names {
        let restore = restore_values(clients, &name).await?;
        let bad = offending(&restore, allowed);
        if !bad.is_empty() {
            out.insert(name, bad);
        }
    }
    Ok(out)
}

async fn restore_values(clients: &Clients, snapshot: &str) -> Result<Vec<String>, AwsError> {
    let out = clients
        .rds
        .describe_db_snapshot_attributes()
        .db_snapshot_identifier(snapshot)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("rds:DescribeDBSnapshotAttributes", e))?;
    Ok(out
        .db_snapshot_attributes_result()
        .map(|r| r.db_snapshot_attributes())
        .unwrap_or_default()
        .iter()
        .filter(|a| a.attribute_name() == Some(RESTORE))
        .flat_map(|a| a.attribute_values().iter().cloned())
        .collect())
}

/// Removes every offending `restore` entry, snapshot by snapshot.
pub async fn unshare(
    clients: &Clients,
    shared_outside: &BTreeMap<String, Vec<String>>,
) -> Result<(), StepError> {
    for (snapshot, values) in shared_outside {
        clients
            .rds
            .modify_db_snapshot_attribute()
            .db_snapshot_identifier(snapshot)
            .attribute_name(RESTORE)
            .set_values_to_remove(Some(values.clone()))
            .send()
            .await
            .map_err(|e| {
                step_error(
                    &format!("stop sharing the snapshot {snapshot}"),
                    AwsError::from_sdk("rds:ModifyDBSnapshotAttribute", e),
                )
            })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn only_public_and_unlisted_accounts_are_offending() {
        let allowed = strings(&["111122223333"]);
        assert_eq!(
            offending(&strings(&["all", "111122223333", "444455556666"]), &allowed),
            strings(&["all", "444455556666"])
        );
        assert!(offending(&strings(&["111122223333"]), &allowed).is_empty());
        // The default policy allows no account at all.
        assert_eq!(
            offending(&strings(&["111122223333"]), &[]),
            strings(&["111122223333"])
        );
        // `all` cannot be allowed by listing it.
        assert_eq!(offending(&strings(&["all"]), &strings(&["all"])), ["all"]);
    }

    #[test]
    fn the_entry_names_each_snapshot_and_whom_it_is_shared_with() {
        assert_eq!(text(&BTreeMap::new()), NOT_SHARED);
        let shared = BTreeMap::from([
            ("acme-ehr-manual".to_owned(), strings(&["all"])),
            ("acme-ehr-q3".to_owned(), strings(&["444455556666"])),
        ]);
        assert_eq!(
            text(&shared),
            "SHARED: acme-ehr-manual shared with PUBLIC, acme-ehr-q3 shared with 444455556666"
        );
    }
}
