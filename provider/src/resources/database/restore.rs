//! Creating a database from a snapshot (`snapshot_identifier`): the way
//! across major versions, and the way back after a loss.
//!
//! The snapshot is checked before anything is created: it must exist, be of
//! the same engine, be encrypted with the database's own key (RDS restores a
//! snapshot under the key it was taken with, so any other key would leave
//! the new database under a key nobody approved for it), and be on the
//! configured major version or the one before it. Restoring onto the next
//! major version restores on the snapshot's version with a transitional
//! parameter group of that family (TLS and audit forced from the first boot),
//! then upgrades in place to the configured version on the dedicated group.
//! Every always-on control is then settled exactly as after a create.

use aws_sdk_rds::types::DbSnapshot;
use phi_policy::Violation;
use phi_policy::engines::Engine;
use phi_policy::ids;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::aws::rds::{self as rds_api, EVENTUALLY_CONSISTENT};
use crate::aws::{AwsError, Clients};
use crate::configured::Configured;
use crate::diagnostics::{Diagnostics, attr};
use crate::value::Value;

use super::converge::{self, StepError};
use super::desired::{self, Desired};

pub const ATTRIBUTE: &str = "snapshot_identifier";

/// What the snapshot is, as far as the checks are concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotFacts {
    pub identifier: String,
    pub engine: String,
    pub engine_version: String,
    pub encrypted: bool,
    pub kms_key_id: Option<String>,
}

impl SnapshotFacts {
    pub fn from_sdk(s: &DbSnapshot) -> SnapshotFacts {
        SnapshotFacts {
            identifier: s.db_snapshot_identifier().unwrap_or_default().to_owned(),
            engine: s.engine().unwrap_or_default().to_owned(),
            engine_version: s.engine_version().unwrap_or_default().to_owned(),
            encrypted: s.encrypted() == Some(true),
            kms_key_id: s.kms_key_id().map(str::to_owned),
        }
    }
}

/// The snapshot's problems for a database of `engine` at `engine_version`
/// under `kms_key_arn`: a violation of PHI-RDS-001 for the key, plain
/// sentences for what is not a control (engine, version). Pure.
pub fn findings(
    s: &SnapshotFacts,
    engine: Engine,
    engine_version: &str,
    kms_key_arn: &str,
) -> (Vec<Violation>, Vec<String>) {
    let mut violations = Vec::new();
    let mut problems = Vec::new();
    if !s.encrypted {
        violations.push(Violation::new(
            ids::RDS_ENCRYPTION,
            &[ATTRIBUTE],
            format!(
                "snapshot {} is not encrypted; a database restored from it would hold PHI \
                 unencrypted. Copy it with CopyDBSnapshot and `--kms-key-id {kms_key_arn}`, and \
                 restore from the copy.",
                s.identifier
            ),
        ));
    } else if s.kms_key_id.as_deref() != Some(kms_key_arn) {
        violations.push(Violation::new(
            ids::RDS_ENCRYPTION,
            &[ATTRIBUTE],
            format!(
                "snapshot {} is encrypted with {}, not with kms_key_arn {kms_key_arn}; RDS \
                 restores a snapshot under the key it was taken with. Copy it with \
                 CopyDBSnapshot and `--kms-key-id {kms_key_arn}`, and restore from the copy.",
                s.identifier,
                s.kms_key_id.as_deref().unwrap_or("an unknown key")
            ),
        ));
    }
    if s.engine != engine.name() {
        problems.push(format!(
            "snapshot {} is of engine {:?}, the database is {}.",
            s.identifier,
            s.engine,
            engine.name()
        ));
    } else if !major_reachable(engine, &s.engine_version, engine_version) {
        problems.push(format!(
            "snapshot {} is of {} {}; it can be restored onto the same major version or, for \
             PostgreSQL, the next one, not onto {engine_version}.",
            s.identifier,
            engine.name(),
            s.engine_version
        ));
    }
    (violations, problems)
}

/// Same major, or PostgreSQL's next major. MySQL snapshots are upgraded with
/// ModifyDBSnapshot first (RDS supports that for MySQL, not in a restore).
fn major_reachable(engine: Engine, from: &str, to: &str) -> bool {
    let (a, b) = (engine.major(from), engine.major(to));
    if a == b {
        return true;
    }
    match (engine, a.parse::<u32>(), b.parse::<u32>()) {
        (Engine::Postgres, Ok(a), Ok(b)) => b == a + 1,
        _ => false,
    }
}

/// True when the restore must go through a transitional parameter group
/// and an in-place major upgrade.
pub fn crosses_major(engine: Engine, from: &str, to: &str) -> bool {
    engine.major(from) != engine.major(to)
}

/// The snapshot, or `None` when it does not exist.
pub async fn describe(
    client: &aws_sdk_rds::Client,
    identifier: &str,
) -> Result<Option<DbSnapshot>, AwsError> {
    match client
        .describe_db_snapshots()
        .db_snapshot_identifier(identifier)
        .send()
        .await
    {
        Ok(out) => Ok(out.db_snapshots().first().cloned()),
        Err(e) => {
            let err = AwsError::from_sdk("rds:DescribeDBSnapshots", e);
            if err.code_is("DBSnapshotNotFound") || err.code_is("DBSnapshotNotFoundFault") {
                Ok(None)
            } else {
                Err(err)
            }
        }
    }
}

/// The plan- and apply-time check of `snapshot_identifier` for a database
/// about to be created. A snapshot id not known yet is a warning at plan.
pub async fn check(
    config: &Value,
    ctx: &Configured,
    violations: &mut Vec<Violation>,
    d: &mut Diagnostics,
) {
    let id = match config.get(ATTRIBUTE) {
        Value::String(id) => id.clone(),
        Value::Unknown => {
            d.warning_at(
                &attr(ATTRIBUTE),
                "Snapshot will be verified at apply",
                "The snapshot is not known yet. The provider checks its engine, version and key \
                 at the start of apply, before creating anything.",
            );
            return;
        }
        _ => return,
    };
    let (Some(engine), Some(version), Some(key)) = (
        config.get("engine").as_str().and_then(Engine::from_name),
        config.get("engine_version").as_str(),
        config.get("kms_key_arn").as_str(),
    ) else {
        return;
    };
    match describe(&ctx.clients.rds, &id).await {
        Ok(Some(s)) => {
            let (v, problems) = findings(&SnapshotFacts::from_sdk(&s), engine, version, key);
            violations.extend(v);
            for p in problems {
                d.error_at(&attr(ATTRIBUTE), "Snapshot cannot be restored here", p);
            }
        }
        Ok(None) => d.error_at(
            &attr(ATTRIBUTE),
            "Snapshot not found",
            format!(
                "There is no DB snapshot {id:?} in {}. Nothing was created.",
                ctx.region
            ),
        ),
        Err(e) => d.error_at(
            &attr(ATTRIBUTE),
            "Could not check the snapshot",
            format!(
                "{e}\n\nThe provider must read the snapshot (rds:DescribeDBSnapshots) to verify \
                 it is encrypted with kms_key_arn before restoring it."
            ),
        ),
    }
}

/// The transitional parameter group for a restore across a major version.
pub fn transitional_group_name(identifier: &str) -> String {
    format!("{identifier}-phi-restore")
}

/// Restores the instance from the snapshot with every always-on setting the
/// restore call takes, on the snapshot's version. Returns the version the
/// instance was restored on.
pub async fn restore_instance(
    clients: &Clients,
    d: &Desired,
    snapshot: &str,
    cancel: &CancellationToken,
) -> Result<String, StepError> {
    let facts = describe(&clients.rds, snapshot)
        .await
        .map_err(|e| converge::step_error("read the snapshot", e))?
        .map(|s| SnapshotFacts::from_sdk(&s))
        .ok_or_else(|| StepError {
            step: "read the snapshot".to_owned(),
            error: format!("the snapshot {snapshot} no longer exists"),
            access_denied: false,
        })?;
    let crossing = crosses_major(d.engine, &facts.engine_version, &d.engine_version);
    let group = if crossing {
        let mut at_snapshot = d.clone();
        at_snapshot.engine_version = facts.engine_version.clone();
        let name = transitional_group_name(&d.identifier);
        converge::ensure_named_parameter_group(clients, &at_snapshot, &name).await?;
        name
    } else {
        d.parameter_group_name()
    };
    let exports: Vec<String> = d
        .engine
        .log_types()
        .iter()
        .map(|t| (*t).to_owned())
        .collect();
    let storage = i32::try_from(d.allocated_storage_gb).unwrap_or(i32::MAX);
    let backups = i32::try_from(d.backup_retention_days).unwrap_or(35);
    rds_api::retry_consistency(EVENTUALLY_CONSISTENT, 5, cancel, || {
        let request = clients
            .rds
            .restore_db_instance_from_db_snapshot()
            .db_instance_identifier(&d.identifier)
            .db_snapshot_identifier(snapshot)
            .db_instance_class(&d.instance_class)
            .allocated_storage(storage)
            .publicly_accessible(false)
            .db_parameter_group_name(&group)
            .set_option_group_name((d.engine == Engine::Mysql).then(|| d.option_group_name()))
            .enable_iam_database_authentication(true)
            .set_enable_cloudwatch_logs_exports(Some(exports.clone()))
            .copy_tags_to_snapshot(true)
            .deletion_protection(d.deletion_protection)
            .backup_retention_period(backups)
            .multi_az(d.multi_az)
            .auto_minor_version_upgrade(true)
            .ca_certificate_identifier(desired::DEFAULT_CA)
            .manage_master_user_password(true)
            .master_user_secret_kms_key_id(&d.kms_key_arn)
            .set_db_subnet_group_name(d.db_subnet_group_name.clone())
            .set_vpc_security_group_ids(d.vpc_security_group_ids.clone())
            .set_tags(converge::rds_tags(&d.tags));
        async move {
            request
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("rds:RestoreDBInstanceFromDBSnapshot", e))
        }
    })
    .await
    .map_err(|e| converge::step_error("restore the database from the snapshot", e))?;
    Ok(facts.engine_version)
}

/// After a restore across a major version: upgrade in place to the
/// configured version onto the dedicated parameter group, wait, and remove
/// the transitional group.
pub async fn upgrade_after_restore(
    clients: &Clients,
    d: &Desired,
    deadline: Instant,
    cancel: &CancellationToken,
) -> Result<(), StepError> {
    rds_api::retry_consistency(EVENTUALLY_CONSISTENT, 5, cancel, || {
        let request = clients
            .rds
            .modify_db_instance()
            .db_instance_identifier(&d.identifier)
            .engine_version(&d.engine_version)
            .allow_major_version_upgrade(true)
            .db_parameter_group_name(d.parameter_group_name())
            .apply_immediately(true);
        async move {
            request
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("rds:ModifyDBInstance", e))
        }
    })
    .await
    .map_err(|e| {
        converge::step_error(
            "upgrade the restored database to the configured major version",
            e,
        )
    })?;
    converge::wait_available(clients, &d.identifier, deadline, cancel).await?;
    if let Err(e) = clients
        .rds
        .delete_db_parameter_group()
        .db_parameter_group_name(transitional_group_name(&d.identifier))
        .send()
        .await
    {
        // The database is fine; an unused parameter group holds no data.
        tracing::warn!(
            "{}; the transitional parameter group is left behind",
            AwsError::from_sdk("rds:DeleteDBParameterGroup", e)
        );
    }
    Ok(())
}

/// Snapshots the emulator cannot produce in every shape (encrypted under
/// another key, from another engine, two majors back), as facts.
#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "arn:aws:kms:eu-central-1:111122223333:key/k";

    fn snapshot() -> SnapshotFacts {
        SnapshotFacts {
            identifier: "acme-ehr-pre-17".into(),
            engine: "postgres".into(),
            engine_version: "16.4".into(),
            encrypted: true,
            kms_key_id: Some(KEY.into()),
        }
    }

    #[test]
    fn an_encrypted_snapshot_restores_onto_the_same_or_the_next_major() {
        for target in ["16.6", "17.2"] {
            let (v, p) = findings(&snapshot(), Engine::Postgres, target, KEY);
            assert!(v.is_empty() && p.is_empty(), "{target}: {v:?} {p:?}");
        }
        assert!(crosses_major(Engine::Postgres, "16.4", "17.2"));
        assert!(!crosses_major(Engine::Postgres, "16.4", "16.6"));
    }

    #[test]
    fn an_unencrypted_or_differently_keyed_snapshot_is_refused_as_phi_rds_001() {
        let mut s = snapshot();
        s.encrypted = false;
        s.kms_key_id = None;
        let (v, _) = findings(&s, Engine::Postgres, "17.2", KEY);
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].control.id, ids::RDS_ENCRYPTION);
        assert_eq!(v[0].path, [ATTRIBUTE]);
        assert!(v[0].message.contains("is not encrypted"));
        let mut s = snapshot();
        s.kms_key_id = Some("arn:aws:kms:eu-central-1:111122223333:key/other".into());
        let (v, _) = findings(&s, Engine::Postgres, "17.2", KEY);
        assert!(
            v[0].message
                .contains("is encrypted with arn:aws:kms:eu-central-1:111122223333:key/other")
        );
        assert!(v[0].message.contains("CopyDBSnapshot"));
    }

    #[test]
    fn another_engine_or_two_majors_ahead_cannot_be_restored() {
        let (_, p) = findings(&snapshot(), Engine::Mysql, "8.4.3", KEY);
        assert!(p[0].contains("of engine \"postgres\""));
        let mut s = snapshot();
        s.engine_version = "15.8".into();
        let (_, p) = findings(&s, Engine::Postgres, "17.2", KEY);
        assert!(p[0].contains("not onto 17.2"));
        let mut s = snapshot();
        s.engine = "mysql".into();
        s.engine_version = "8.0.39".into();
        let (_, p) = findings(&s, Engine::Mysql, "8.4.3", KEY);
        assert_eq!(
            p.len(),
            1,
            "MySQL snapshots are upgraded before the restore"
        );
    }
}
