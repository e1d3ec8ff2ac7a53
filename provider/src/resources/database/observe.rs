//! Reading a database's live settings from AWS: the instance
//! (DescribeDBInstances), the TLS parameters of the group it uses
//! (DescribeDBParameters) and its engine log groups (DescribeLogGroups),
//! in the vocabulary of the `enforced` map (see `desired.rs`).

use std::collections::BTreeMap;

use aws_sdk_rds::types::DbInstance;
use phi_policy::engines::{DatabasePolicy, Engine};

use crate::aws::concurrency::bounded;
use crate::aws::{AwsError, Clients};

use super::desired::{self, key};

/// A log group as CloudWatch Logs reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogGroup {
    pub kms_key_id: Option<String>,
    pub retention_days: Option<i64>,
}

/// What AWS reports about a database.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Observed {
    pub enforced: BTreeMap<String, String>,
    pub status: String,
    pub engine: Option<Engine>,
    pub engine_name: String,
    pub engine_version: String,
    pub instance_class: String,
    pub allocated_storage_gb: i64,
    pub storage_encrypted: bool,
    pub kms_key_id: Option<String>,
    pub master_username: String,
    pub backup_retention_days: i64,
    pub multi_az: bool,
    pub deletion_protection: bool,
    pub publicly_accessible: bool,
    pub iam_auth: bool,
    pub copy_tags: bool,
    pub auto_minor_upgrade: bool,
    pub ca_current: bool,
    pub exports: Vec<String>,
    pub secret_managed: bool,
    pub secret_arn: Option<String>,
    pub secret_kms_key_id: Option<String>,
    /// The parameter group the instance uses and its apply status.
    pub parameter_group: Option<(String, String)>,
    pub tls_parameters: BTreeMap<String, String>,
    /// PostgreSQL's audit parameters, as the group the instance uses sets them.
    pub audit_parameters: BTreeMap<String, String>,
    /// The option group the instance uses and its status (MySQL).
    pub option_group: Option<(String, String)>,
    /// `SERVER_AUDIT_EVENTS` of the audit plugin in that option group;
    /// `None` when the plugin is not in it.
    pub audit_events: Option<String>,
    pub db_subnet_group_name: Option<String>,
    pub vpc_security_group_ids: Vec<String>,
    pub tags: BTreeMap<String, String>,
    pub arn: Option<String>,
    pub address: Option<String>,
    pub port: Option<i64>,
    /// Log groups by log type.
    pub log_groups: BTreeMap<String, LogGroup>,
    /// Performance Insights and enhanced monitoring as the instance reports them.
    pub insights: super::insights::Live,
    /// Manual snapshots shared publicly or outside the policy's accounts,
    /// with the offending `restore` entries (PHI-RDS-018).
    pub snapshots_shared_outside: BTreeMap<String, Vec<String>>,
    /// The managed master secret's rotation; `None` without one (PHI-RDS-019).
    pub secret_rotation: Option<super::secret_rotation::Rotation>,
    /// The policy's longest secret rotation, which the entry is judged by.
    pub secret_rotation_max_days: i64,
}

impl Observed {
    /// True when RDS waits for a reboot to apply the parameter group.
    pub fn pending_reboot(&self) -> bool {
        self.parameter_group
            .as_ref()
            .is_some_and(|(_, status)| status == "pending-reboot")
    }
}

/// The instance's own settings (no parameters, no log groups yet).
pub fn from_instance(i: &DbInstance) -> Observed {
    let engine_name = i.engine().unwrap_or_default().to_owned();
    let secret = i.master_user_secret();
    let mut vpc_security_group_ids: Vec<String> = i
        .vpc_security_groups()
        .iter()
        .filter_map(|g| g.vpc_security_group_id().map(str::to_owned))
        .collect();
    vpc_security_group_ids.sort();
    Observed {
        status: i.db_instance_status().unwrap_or("unknown").to_owned(),
        engine: Engine::from_name(&engine_name),
        engine_name,
        engine_version: i.engine_version().unwrap_or_default().to_owned(),
        instance_class: i.db_instance_class().unwrap_or_default().to_owned(),
        allocated_storage_gb: i64::from(i.allocated_storage().unwrap_or(0)),
        storage_encrypted: i.storage_encrypted() == Some(true),
        kms_key_id: i.kms_key_id().map(str::to_owned),
        master_username: i.master_username().unwrap_or_default().to_owned(),
        backup_retention_days: i64::from(i.backup_retention_period().unwrap_or(0)),
        multi_az: i.multi_az() == Some(true),
        deletion_protection: i.deletion_protection() == Some(true),
        publicly_accessible: i.publicly_accessible() == Some(true),
        iam_auth: i.iam_database_authentication_enabled() == Some(true),
        copy_tags: i.copy_tags_to_snapshot() == Some(true),
        auto_minor_upgrade: i.auto_minor_version_upgrade() == Some(true),
        ca_current: desired::ca_text(i.ca_certificate_identifier()) == desired::CA_CURRENT,
        exports: i.enabled_cloudwatch_logs_exports().to_vec(),
        secret_managed: secret.and_then(|s| s.secret_arn()).is_some(),
        secret_arn: secret.and_then(|s| s.secret_arn()).map(str::to_owned),
        secret_kms_key_id: secret.and_then(|s| s.kms_key_id()).map(str::to_owned),
        parameter_group: i.db_parameter_groups().first().map(|g| {
            (
                g.db_parameter_group_name().unwrap_or_default().to_owned(),
                g.parameter_apply_status().unwrap_or("unknown").to_owned(),
            )
        }),
        option_group: i.option_group_memberships().first().map(|g| {
            (
                g.option_group_name().unwrap_or_default().to_owned(),
                g.status().unwrap_or("unknown").to_owned(),
            )
        }),
        db_subnet_group_name: i
            .db_subnet_group()
            .and_then(|g| g.db_subnet_group_name())
            .map(str::to_owned),
        vpc_security_group_ids,
        // The create-intent marker is the provider's, never a configured tag.
        tags: i
            .tag_list()
            .iter()
            .filter(|t| t.key() != Some(crate::resources::create_intent::MARKER_TAG))
            .filter_map(|t| Some((t.key()?.to_owned(), t.value().unwrap_or("").to_owned())))
            .collect(),
        arn: i.db_instance_arn().map(str::to_owned),
        address: i.endpoint().and_then(|e| e.address()).map(str::to_owned),
        port: i.endpoint().and_then(|e| e.port()).map(i64::from),
        insights: super::insights::Live::from_instance(i),
        ..Observed::default()
    }
}

/// Fills `enforced` from everything observed.
pub fn fill_enforced(o: &mut Observed, i: &DbInstance) {
    let mut put = |k: &str, v: String| {
        o.enforced.insert(k.to_owned(), v);
    };
    put(
        key::ENCRYPTION,
        desired::encryption_text(i.storage_encrypted(), i.kms_key_id()),
    );
    put(key::PUBLIC, desired::public_text(i.publicly_accessible()));
    put(
        key::PARAMETER_GROUP,
        match &o.parameter_group {
            Some((name, status)) => desired::parameter_group_text(name, status),
            None => "none".to_owned(),
        },
    );
    put(
        key::SECRET,
        desired::secret_text(o.secret_managed, o.secret_kms_key_id.as_deref()),
    );
    put(
        key::IAM_AUTH,
        desired::on_off(i.iam_database_authentication_enabled()),
    );
    put(
        key::MINOR_UPGRADE,
        desired::on_off(i.auto_minor_version_upgrade()),
    );
    put(key::CA, desired::ca_text(i.ca_certificate_identifier()));
    put(key::COPY_TAGS, desired::on_off(i.copy_tags_to_snapshot()));
    let exports: Vec<&str> = o.exports.iter().map(String::as_str).collect();
    put(key::LOG_EXPORTS, desired::exports_text(&exports));
    for (k, v) in o.insights.entries() {
        put(k, v);
    }
    put(
        key::SNAPSHOT_SHARING,
        super::snapshots::text(&o.snapshots_shared_outside),
    );
    put(
        key::SECRET_ROTATION,
        super::secret_rotation::text(o.secret_rotation.as_ref(), o.secret_rotation_max_days),
    );
    match o.engine {
        Some(engine) => {
            put(
                key::TLS_PARAMETERS,
                desired::tls_text(engine, &o.tls_parameters),
            );
            put(
                key::DATABASE_AUDIT,
                match engine {
                    Engine::Postgres => desired::postgres_audit_text(&o.audit_parameters),
                    Engine::Mysql => desired::mysql_audit_text(
                        o.option_group.as_ref(),
                        o.audit_events.as_deref(),
                    ),
                },
            );
            for t in engine.log_types() {
                let text = match o.log_groups.get(*t) {
                    Some(g) => desired::log_group_text(g.kms_key_id.as_deref(), g.retention_days),
                    None => "log group missing".to_owned(),
                };
                put(&format!("{}{t}", key::LOG_GROUP_PREFIX), text);
            }
        }
        None => put(
            key::TLS_PARAMETERS,
            format!("engine {} is not supported", o.engine_name),
        ),
    }
}

/// Reads everything about the database `identifier`. `Ok(None)` when the
/// instance does not exist (deleted outside Terraform). `policy` gives the
/// accounts manual snapshots may be shared with and the longest rotation of
/// the master secret.
pub async fn observe(
    clients: &Clients,
    identifier: &str,
    policy: &DatabasePolicy,
) -> Result<Option<Observed>, AwsError> {
    let Some(instance) = crate::aws::rds::describe_instance(&clients.rds, identifier).await? else {
        return Ok(None);
    };
    let mut o = from_instance(&instance);
    // DESIGN: the parameter group, the option group and the log groups are
    // read together once the instance has named them (two round trips in
    // all), as the bucket's and the sink's settings are.
    let parameters = async {
        let (Some(engine), Some((group, _))) = (o.engine, &o.parameter_group) else {
            return Ok(None);
        };
        let tls: Vec<&str> = engine.tls_parameters().iter().map(|(n, _)| *n).collect();
        let audit: &[&str] = match engine {
            Engine::Postgres => desired::POSTGRES_AUDIT_PARAMETERS,
            Engine::Mysql => &[],
        };
        let names: Vec<&str> = tls.iter().chain(audit).copied().collect();
        let mut values = crate::aws::rds::parameters(&clients.rds, group, &names).await?;
        let audit_values: BTreeMap<String, String> = audit
            .iter()
            .filter_map(|n| values.remove_entry(*n))
            .collect();
        Ok::<_, AwsError>(Some((values, audit_values)))
    };
    let audit_events = async {
        match (&o.engine, &o.option_group) {
            (Some(Engine::Mysql), Some((group, _))) => {
                crate::aws::rds::audit_plugin_events(&clients.rds, group).await
            }
            _ => Ok(None),
        }
    };
    let (parameters, audit_events, log_groups, shared, rotation) = tokio::try_join!(
        bounded(parameters),
        bounded(audit_events),
        bounded(log_groups(clients, identifier)),
        bounded(super::snapshots::shared_outside(
            clients,
            identifier,
            &policy.snapshot_allowed_accounts
        )),
        bounded(super::secret_rotation::read(
            clients,
            o.secret_arn.as_deref()
        )),
    )?;
    o.snapshots_shared_outside = shared;
    o.secret_rotation = rotation;
    o.secret_rotation_max_days = policy.secret_rotation_max_days;
    if let Some((tls, audit)) = parameters {
        o.tls_parameters = tls;
        o.audit_parameters = audit;
    }
    o.audit_events = audit_events;
    o.log_groups = log_groups;
    fill_enforced(&mut o, &instance);
    Ok(Some(o))
}

/// The instance's engine log groups, by log type.
pub async fn log_groups(
    clients: &Clients,
    identifier: &str,
) -> Result<BTreeMap<String, LogGroup>, AwsError> {
    let prefix = desired::log_group_name(identifier, "");
    let mut out = BTreeMap::new();
    let mut token: Option<String> = None;
    loop {
        let page = clients
            .logs
            .describe_log_groups()
            .log_group_name_prefix(&prefix)
            .set_next_token(token.clone())
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("logs:DescribeLogGroups", e))?;
        for g in page.log_groups() {
            if let Some(t) = g.log_group_name().and_then(|n| n.strip_prefix(&prefix)) {
                out.insert(
                    t.to_owned(),
                    LogGroup {
                        kms_key_id: g.kms_key_id().map(str::to_owned),
                        retention_days: g.retention_in_days().map(i64::from),
                    },
                );
            }
        }
        match page.next_token() {
            Some(t) if Some(t) != token.as_deref() => token = Some(t.to_owned()),
            _ => return Ok(out),
        }
    }
}

/// DescribeDBInstances responses the emulator cannot produce (a console
/// user turned settings off, an instance created by hand), built with the
/// SDK's own types and read exactly as at refresh.
#[cfg(test)]
mod tests {
    use aws_sdk_rds::types::{DbParameterGroupStatus, MasterUserSecret};

    use super::super::desired::tests_support::desired;
    use super::*;

    const KEY: &str = "arn:aws:kms:eu-central-1:111122223333:key/k";

    fn compliant_instance() -> aws_sdk_rds::types::builders::DbInstanceBuilder {
        DbInstance::builder()
            .db_instance_identifier("acme-ehr")
            .db_instance_status("available")
            .engine("postgres")
            .engine_version("16.4")
            .storage_encrypted(true)
            .kms_key_id(KEY)
            .publicly_accessible(false)
            .db_parameter_groups(
                DbParameterGroupStatus::builder()
                    .db_parameter_group_name("acme-ehr-phi")
                    .parameter_apply_status("in-sync")
                    .build(),
            )
            .master_user_secret(
                MasterUserSecret::builder()
                    .secret_arn("arn:aws:secretsmanager:eu-central-1:111122223333:secret:rds!db-1")
                    .secret_status("active")
                    .kms_key_id(KEY)
                    .build(),
            )
            .iam_database_authentication_enabled(true)
            .enabled_cloudwatch_logs_exports("upgrade")
            .enabled_cloudwatch_logs_exports("postgresql")
            .auto_minor_version_upgrade(true)
            .ca_certificate_identifier("rds-ca-rsa2048-g1")
            .copy_tags_to_snapshot(true)
    }

    fn read(i: &DbInstance, tls: &[(&str, &str)], groups: &[&str]) -> Observed {
        let mut o = from_instance(i);
        // The compliant audit parameters; tests of audit drift change them.
        o.audit_parameters = desired(Engine::Postgres)
            .audit_parameters
            .into_iter()
            .collect();
        o.tls_parameters = tls
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        o.log_groups = groups
            .iter()
            .map(|t| {
                (
                    (*t).to_owned(),
                    LogGroup {
                        kms_key_id: Some(KEY.to_owned()),
                        retention_days: Some(2192),
                    },
                )
            })
            .collect();
        // The master secret as RDS sets it up: rotation on, every 7 days.
        o.secret_rotation = Some(super::super::secret_rotation::Rotation {
            enabled: true,
            days: Some(7),
            schedule: None,
        });
        o.secret_rotation_max_days = 7;
        fill_enforced(&mut o, i);
        o
    }

    const TLS: &[(&str, &str)] = &[
        ("rds.force_ssl", "1"),
        ("ssl_min_protocol_version", "TLSv1.2"),
    ];

    #[test]
    fn a_compliant_instance_reads_exactly_as_desired() {
        let o = read(
            &compliant_instance().build(),
            TLS,
            &["postgresql", "upgrade"],
        );
        assert_eq!(o.enforced, desired(Engine::Postgres).enforced());
    }

    #[test]
    fn console_changes_show_up_as_drift() {
        let i = compliant_instance()
            .publicly_accessible(true)
            .iam_database_authentication_enabled(false)
            .copy_tags_to_snapshot(false)
            .auto_minor_version_upgrade(false)
            .ca_certificate_identifier("rds-ca-2019")
            .set_enabled_cloudwatch_logs_exports(Some(vec!["postgresql".into()]))
            .set_db_parameter_groups(Some(vec![
                DbParameterGroupStatus::builder()
                    .db_parameter_group_name("acme-ehr-phi")
                    .parameter_apply_status("pending-reboot")
                    .build(),
            ]))
            .build();
        let mut o = read(&i, &[("rds.force_ssl", "0")], &["postgresql"]);
        // Rotation of the master secret turned off in Secrets Manager.
        o.secret_rotation = Some(super::super::secret_rotation::Rotation::default());
        o.enforced.clear();
        fill_enforced(&mut o, &i);
        let want = desired(Engine::Postgres).enforced();
        let drifted: Vec<&str> = want
            .keys()
            .filter(|k| o.enforced.get(*k) != want.get(*k))
            .map(String::as_str)
            .collect();
        assert_eq!(
            drifted,
            [
                key::PUBLIC,
                key::TLS_PARAMETERS,
                key::PARAMETER_GROUP,
                key::IAM_AUTH,
                key::LOG_EXPORTS,
                "PHI-RDS-006 log group upgrade",
                key::CA,
                key::MINOR_UPGRADE,
                key::COPY_TAGS,
                key::SECRET_ROTATION,
            ]
        );
        assert_eq!(o.enforced[key::SECRET_ROTATION], "OFF");
        assert!(o.pending_reboot());
        assert_eq!(o.enforced[key::PUBLIC], "PUBLICLY ACCESSIBLE");
    }

    #[test]
    fn audit_parameters_and_the_plugin_read_as_drift_when_changed() {
        let mut o = read(
            &compliant_instance().build(),
            TLS,
            &["postgresql", "upgrade"],
        );
        o.audit_parameters.insert(
            "shared_preload_libraries".into(),
            "pg_stat_statements".into(),
        );
        o.audit_parameters
            .insert("pgaudit.log_parameter".into(), "1".into());
        fill_enforced(&mut o, &compliant_instance().build());
        assert_eq!(
            o.enforced[key::DATABASE_AUDIT],
            "pgaudit NOT preloaded; pgaudit.log=ddl,role,write,read; pgaudit.log_parameter=1; \
             log_connections=1; log_disconnections=1"
        );
        // MySQL on the engine's default option group, without the plugin.
        let i = compliant_instance()
            .engine("mysql")
            .engine_version("8.4.3")
            .option_group_memberships(
                aws_sdk_rds::types::OptionGroupMembership::builder()
                    .option_group_name("default:mysql-8-4")
                    .status("in-sync")
                    .build(),
            )
            .build();
        let mut o = from_instance(&i);
        fill_enforced(&mut o, &i);
        assert_eq!(
            o.enforced[key::DATABASE_AUDIT],
            "option group default:mysql-8-4 (in-sync), MARIADB_AUDIT_PLUGIN missing"
        );
        o.option_group = Some(("acme-ehr-phi".into(), "in-sync".into()));
        o.audit_events = Some("CONNECT".into());
        fill_enforced(&mut o, &i);
        assert_ne!(
            o.enforced[key::DATABASE_AUDIT],
            desired(Engine::Mysql).enforced()[key::DATABASE_AUDIT]
        );
        o.audit_events = Some("CONNECT,QUERY_DCL,QUERY_DDL,QUERY_DML".into());
        fill_enforced(&mut o, &i);
        assert_eq!(
            o.enforced[key::DATABASE_AUDIT],
            desired(Engine::Mysql).enforced()[key::DATABASE_AUDIT]
        );
    }

    /// A database created by hand: unencrypted, default parameter group,
    /// password set by hand. Real RDS reports the secret as absent.
    #[test]
    fn a_hand_made_instance_reads_as_non_compliant() {
        let i = DbInstance::builder()
            .engine("postgres")
            .engine_version("15.7")
            .storage_encrypted(false)
            .db_parameter_groups(
                DbParameterGroupStatus::builder()
                    .db_parameter_group_name("default.postgres15")
                    .parameter_apply_status("in-sync")
                    .build(),
            )
            .build();
        let o = read(&i, &[], &[]);
        assert_eq!(o.enforced[key::ENCRYPTION], "not encrypted");
        assert_eq!(
            o.enforced[key::PARAMETER_GROUP],
            "default.postgres15 (in-sync)"
        );
        assert!(o.enforced[key::SECRET].starts_with("NOT managed"));
        assert_eq!(
            o.enforced["PHI-RDS-006 log group postgresql"],
            "log group missing"
        );
        assert!(!o.secret_managed);
    }
}
