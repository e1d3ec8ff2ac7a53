//! Bringing AWS to the desired database: log groups first, then the TLS
//! parameter group, then the instance (create, or one ModifyDBInstance with
//! everything that drifted), then a reboot if RDS holds the parameter group
//! back until one. Every step is named, so a failure says exactly which
//! setting is not in place.

use std::collections::BTreeMap;

use aws_sdk_cloudwatchlogs::types::LogGroupClass;
use aws_sdk_rds::types::{
    ApplyMethod, CloudwatchLogsExportConfiguration, OptionConfiguration, OptionSetting, Parameter,
    Tag,
};
use phi_policy::engines::{
    Engine, MYSQL_AUDIT_EVENTS, MYSQL_AUDIT_EVENTS_SETTING, MYSQL_AUDIT_OPTION,
};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::aws::rds::{self as rds_api, EVENTUALLY_CONSISTENT, WaitError};
use crate::aws::{AwsError, Clients};

use super::desired::{self, Desired};
use super::observe::{LogGroup, Observed};

/// A step that failed, with what it was for.
#[derive(Debug)]
pub struct StepError {
    pub step: String,
    pub error: String,
    /// True when AWS refused for lack of permission (for the hint).
    pub access_denied: bool,
}

impl std::fmt::Display for StepError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "step \"{}\" failed: {}", self.step, self.error)
    }
}

/// A failed AWS call as the step it was for.
pub fn step_error(name: &str, e: AwsError) -> StepError {
    step(name)(e)
}

fn step(name: impl Into<String>) -> impl FnOnce(AwsError) -> StepError {
    let name = name.into();
    move |e| StepError {
        access_denied: e.code.as_deref().is_some_and(|c| {
            c.contains("AccessDenied") || c.contains("UnauthorizedOperation") || c == "403"
        }),
        step: name,
        error: e.to_string(),
    }
}

fn waited(name: &str) -> impl FnOnce(WaitError) -> StepError + '_ {
    move |e| StepError {
        step: name.to_owned(),
        error: e.to_string(),
        access_denied: matches!(&e, WaitError::Aws(a) if a.code.as_deref().is_some_and(|c| c.contains("AccessDenied"))),
    }
}

/// Creates missing engine log groups with the key, class STANDARD and the
/// retention; fixes retention and key of existing ones. Runs before the
/// instance exists so RDS never creates them itself (unencrypted by the
/// customer key, never expiring).
///
/// `tags` are sent in CreateLogGroup: the configured ones, plus the
/// create-intent marker while the database is being created.
pub async fn ensure_log_groups(
    clients: &Clients,
    d: &Desired,
    existing: &BTreeMap<String, LogGroup>,
    tags: &BTreeMap<String, String>,
) -> Result<(), StepError> {
    let logs = &clients.logs;
    let retention = i32::try_from(d.log_retention_days).unwrap_or(i32::MAX);
    for (log_type, name) in d.log_group_names() {
        match existing.get(log_type) {
            None => {
                let created = logs
                    .create_log_group()
                    .log_group_name(&name)
                    .kms_key_id(&d.kms_key_arn)
                    .log_group_class(LogGroupClass::Standard)
                    .set_tags((!tags.is_empty()).then(|| tags.clone().into_iter().collect()))
                    .send()
                    .await
                    .map_err(|e| AwsError::from_sdk("logs:CreateLogGroup", e));
                match created {
                    Ok(_) => {}
                    // Created meanwhile (a retried apply): fixed up below on
                    // the next read; set the retention now regardless.
                    Err(e) if e.code_is("ResourceAlreadyExistsException") => {}
                    Err(e) => {
                        return Err(step(format!("create the encrypted log group {name}"))(e));
                    }
                }
                put_retention(clients, &name, retention).await?;
            }
            Some(g) => {
                if g.kms_key_id.as_deref() != Some(d.kms_key_arn.as_str()) {
                    logs.associate_kms_key()
                        .log_group_name(&name)
                        .kms_key_id(&d.kms_key_arn)
                        .send()
                        .await
                        .map_err(|e| AwsError::from_sdk("logs:AssociateKmsKey", e))
                        .map_err(step(format!(
                            "encrypt the log group {name} with the customer-managed key"
                        )))?;
                }
                if g.retention_days != Some(d.log_retention_days) {
                    put_retention(clients, &name, retention).await?;
                }
            }
        }
    }
    Ok(())
}

async fn put_retention(clients: &Clients, name: &str, days: i32) -> Result<(), StepError> {
    clients
        .logs
        .put_retention_policy()
        .log_group_name(name)
        .retention_in_days(days)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| AwsError::from_sdk("logs:PutRetentionPolicy", e))
        .map_err(step(format!("set the retention of the log group {name}")))
}

/// Creates the dedicated parameter group if needed and sets the TLS
/// parameters it lacks. Creation is tried first, so a new database needs no
/// read permission on parameters before it exists. `pending-reboot` is
/// accepted for static and dynamic parameters alike; a reboot follows if RDS
/// reports one is needed.
pub async fn ensure_parameter_group(clients: &Clients, d: &Desired) -> Result<(), StepError> {
    ensure_named_parameter_group(clients, d, &d.parameter_group_name()).await
}

/// [`ensure_parameter_group`] under another name: the transitional group a
/// restore across a major version boots on (family of `d.engine_version`).
pub async fn ensure_named_parameter_group(
    clients: &Clients,
    d: &Desired,
    group: &str,
) -> Result<(), StepError> {
    let created = clients
        .rds
        .create_db_parameter_group()
        .db_parameter_group_name(group)
        .db_parameter_group_family(d.engine.family(&d.engine_version))
        // No spaces: moto re-encodes form bodies (spaces as `+`) when it
        // verifies signatures, so a space breaks the IAM-enforcing fault test.
        .description(format!(
            "phi-guard-TLS-only-parameters-for-PHI-database-{}",
            d.identifier
        ))
        .set_tags(rds_tags(&d.tags))
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("rds:CreateDBParameterGroup", e));
    let wanted = d.group_parameters();
    let current = match created {
        Ok(_) => BTreeMap::new(),
        Err(e) if e.code_is("DBParameterGroupAlreadyExists") => {
            let names: Vec<&str> = wanted.iter().map(|(n, _)| n.as_str()).collect();
            rds_api::parameters(&clients.rds, group, &names)
                .await
                .map_err(step("read the TLS parameter group"))?
        }
        Err(e) => return Err(step("create the TLS parameter group")(e)),
    };
    let missing: Vec<Parameter> = wanted
        .iter()
        .filter(|(n, v)| !desired::parameter_satisfied(n, v, current.get(n).map(String::as_str)))
        .map(|(n, v)| {
            Parameter::builder()
                .parameter_name(n)
                .parameter_value(v)
                .apply_method(ApplyMethod::PendingReboot)
                .build()
        })
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    clients
        .rds
        .modify_db_parameter_group()
        .db_parameter_group_name(group)
        .set_parameters(Some(missing))
        .send()
        .await
        .map(|_| ())
        .map_err(|e| AwsError::from_sdk("rds:ModifyDBParameterGroup", e))
        .map_err(step("set the TLS and audit parameters"))
}

/// MySQL: creates the dedicated option group if needed and puts the audit
/// plugin in it with the required events (PHI-RDS-015). Creation is tried
/// first, as for the parameter group. Nothing to do for PostgreSQL, whose
/// audit lives in the parameter group.
pub async fn ensure_option_group(clients: &Clients, d: &Desired) -> Result<(), StepError> {
    if d.engine != Engine::Mysql {
        return Ok(());
    }
    let group = d.option_group_name();
    let created = clients
        .rds
        .create_option_group()
        .option_group_name(&group)
        .engine_name(d.engine.name())
        .major_engine_version(d.engine.major(&d.engine_version))
        .option_group_description(format!(
            "phi-guard-audit-plugin-for-PHI-database-{}",
            d.identifier
        ))
        .set_tags(rds_tags(&d.tags))
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("rds:CreateOptionGroup", e));
    let events = match created {
        Ok(_) => None,
        Err(e) if e.code_is("OptionGroupAlreadyExistsFault") => {
            rds_api::audit_plugin_events(&clients.rds, &group)
                .await
                .map_err(step("read the audit option group"))?
        }
        Err(e) => return Err(step("create the audit option group")(e)),
    };
    if events.as_deref() == Some(MYSQL_AUDIT_EVENTS) {
        return Ok(());
    }
    clients
        .rds
        .modify_option_group()
        .option_group_name(&group)
        .options_to_include(audit_plugin_option())
        .apply_immediately(true)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| AwsError::from_sdk("rds:ModifyOptionGroup", e))
        .map_err(step("add the audit plugin to the option group"))
}

/// `MARIADB_AUDIT_PLUGIN` recording connections and DCL, DDL and DML.
pub fn audit_plugin_option() -> OptionConfiguration {
    OptionConfiguration::builder()
        .option_name(MYSQL_AUDIT_OPTION)
        .option_settings(
            OptionSetting::builder()
                .name(MYSQL_AUDIT_EVENTS_SETTING)
                .value(MYSQL_AUDIT_EVENTS)
                .build(),
        )
        .build()
}

pub fn rds_tags(tags: &BTreeMap<String, String>) -> Option<Vec<Tag>> {
    (!tags.is_empty()).then(|| {
        tags.iter()
            .map(|(k, v)| Tag::builder().key(k).value(v).build())
            .collect()
    })
}

/// What CreateDBInstance answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Created {
    /// RDS accepted the create.
    New,
    /// An instance of this identifier exists already: an earlier attempt of
    /// this create (the SDK's retry after a lost answer) or somebody else's.
    AlreadyExists,
}

/// Creates the instance with every always-on setting in the one call, so it
/// is never available without them. `tags` are sent in the call: the
/// configured ones plus the create-intent marker, so the instance carries
/// the proof of who started it from its first moment.
pub async fn create_instance(
    clients: &Clients,
    d: &Desired,
    tags: &BTreeMap<String, String>,
    cancel: &CancellationToken,
) -> Result<Created, StepError> {
    let storage = i32::try_from(d.allocated_storage_gb).unwrap_or(i32::MAX);
    let backups = i32::try_from(d.backup_retention_days).unwrap_or(35);
    let exports: Vec<String> = d
        .engine
        .log_types()
        .iter()
        .map(|t| (*t).to_owned())
        .collect();
    let outcome = rds_api::retry_consistency(EVENTUALLY_CONSISTENT, 5, cancel, || {
        let request = clients
            .rds
            .create_db_instance()
            .db_instance_identifier(&d.identifier)
            .engine(d.engine.name())
            .engine_version(&d.engine_version)
            .db_instance_class(&d.instance_class)
            .allocated_storage(storage)
            .master_username(&d.master_username)
            .manage_master_user_password(true)
            .master_user_secret_kms_key_id(&d.kms_key_arn)
            .storage_encrypted(true)
            .kms_key_id(&d.kms_key_arn)
            // The API default is true without a subnet group: always send it.
            .publicly_accessible(false)
            .db_parameter_group_name(d.parameter_group_name())
            .set_option_group_name((d.engine == Engine::Mysql).then(|| d.option_group_name()))
            .enable_iam_database_authentication(true)
            .set_enable_cloudwatch_logs_exports(Some(exports.clone()))
            .copy_tags_to_snapshot(true)
            .deletion_protection(d.deletion_protection)
            .backup_retention_period(backups)
            .multi_az(d.multi_az)
            .auto_minor_version_upgrade(true)
            .ca_certificate_identifier(desired::DEFAULT_CA)
            .set_db_subnet_group_name(d.db_subnet_group_name.clone())
            .set_vpc_security_group_ids(d.vpc_security_group_ids.clone())
            .enable_performance_insights(d.performance_insights)
            .set_performance_insights_kms_key_id(
                d.performance_insights.then(|| d.kms_key_arn.clone()),
            )
            .set_performance_insights_retention_period(
                d.performance_insights
                    .then(|| i32::try_from(d.performance_insights_retention_days).unwrap_or(7)),
            )
            .monitoring_interval(i32::try_from(d.monitoring_interval).unwrap_or(60))
            .set_monitoring_role_arn(
                (d.monitoring_interval > 0)
                    .then(|| d.monitoring_role_arn.clone())
                    .flatten(),
            )
            .set_tags(rds_tags(tags));
        async move {
            request
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("rds:CreateDBInstance", e))
        }
    })
    .await;
    match outcome {
        Ok(_) => Ok(Created::New),
        Err(e)
            if e.code_is("DBInstanceAlreadyExists")
                || e.code_is("DBInstanceAlreadyExistsFault") =>
        {
            Ok(Created::AlreadyExists)
        }
        Err(e) => Err(step("create the database instance")(e)),
    }
}

/// What one ModifyDBInstance must change to make the instance compliant and
/// match the configuration. Pure, so every branch is unit-tested.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Modify {
    pub parameter_group: Option<String>,
    pub option_group: Option<String>,
    pub not_public: bool,
    pub iam_auth: bool,
    pub enable_exports: Vec<String>,
    pub copy_tags: bool,
    pub auto_minor: bool,
    pub ca: bool,
    pub managed_secret: bool,
    pub deletion_protection: Option<bool>,
    pub backup_retention_days: Option<i64>,
    pub multi_az: Option<bool>,
    pub instance_class: Option<String>,
    pub allocated_storage_gb: Option<i64>,
    pub engine_version: Option<String>,
    pub db_subnet_group_name: Option<String>,
    pub vpc_security_group_ids: Option<Vec<String>>,
    /// Performance Insights and enhanced monitoring (see `insights.rs`).
    pub insights: super::insights::Change,
}

impl Modify {
    pub fn is_empty(&self) -> bool {
        *self == Modify::default()
    }
}

/// Numeric comparison of dotted versions (`16.10` > `16.9`).
fn version_newer(a: &str, b: &str) -> bool {
    let parse = |v: &str| -> Vec<u64> { v.split('.').map(|p| p.parse().unwrap_or(0)).collect() };
    parse(a) > parse(b)
}

pub fn modify_plan(d: &Desired, o: &Observed) -> Modify {
    let mut m = Modify::default();
    let group = d.parameter_group_name();
    if o.parameter_group.as_ref().map(|(n, _)| n) != Some(&group) {
        m.parameter_group = Some(group);
    }
    if d.engine == Engine::Mysql
        && o.option_group.as_ref().map(|(n, _)| n) != Some(&d.option_group_name())
    {
        m.option_group = Some(d.option_group_name());
    }
    m.not_public = o.publicly_accessible;
    m.iam_auth = !o.iam_auth;
    m.enable_exports = d
        .engine
        .log_types()
        .iter()
        .filter(|t| !o.exports.iter().any(|e| e == *t))
        .map(|t| (*t).to_owned())
        .collect();
    m.copy_tags = !o.copy_tags;
    m.auto_minor = !o.auto_minor_upgrade;
    m.ca = !o.ca_current;
    m.managed_secret =
        !o.secret_managed || o.secret_kms_key_id.as_deref() != Some(d.kms_key_arn.as_str());
    if o.deletion_protection != d.deletion_protection {
        m.deletion_protection = Some(d.deletion_protection);
    }
    if o.backup_retention_days != d.backup_retention_days {
        m.backup_retention_days = Some(d.backup_retention_days);
    }
    if o.multi_az != d.multi_az {
        m.multi_az = Some(d.multi_az);
    }
    if o.instance_class != d.instance_class {
        m.instance_class = Some(d.instance_class.clone());
    }
    if o.allocated_storage_gb < d.allocated_storage_gb {
        m.allocated_storage_gb = Some(d.allocated_storage_gb);
    }
    // Automatic minor upgrades move the instance ahead of the configuration;
    // only an explicitly newer configured version is applied.
    if version_newer(&d.engine_version, &o.engine_version) {
        m.engine_version = Some(d.engine_version.clone());
    }
    if let Some(name) = &d.db_subnet_group_name
        && o.db_subnet_group_name.as_ref() != Some(name)
    {
        m.db_subnet_group_name = Some(name.clone());
    }
    if let Some(ids) = &d.vpc_security_group_ids {
        let mut want = ids.clone();
        want.sort();
        if want != o.vpc_security_group_ids {
            m.vpc_security_group_ids = Some(want);
        }
    }
    m.insights = super::insights::change(d, &o.insights);
    m
}

/// Sends one ModifyDBInstance with everything in `m`, applied immediately.
pub async fn modify_instance(
    clients: &Clients,
    d: &Desired,
    m: &Modify,
    cancel: &CancellationToken,
) -> Result<(), StepError> {
    let export_config = (!m.enable_exports.is_empty()).then(|| {
        CloudwatchLogsExportConfiguration::builder()
            .set_enable_log_types(Some(m.enable_exports.clone()))
            .build()
    });
    let flag = |b: bool| b.then_some(true);
    rds_api::retry_consistency(EVENTUALLY_CONSISTENT, 5, cancel, || {
        let request = clients
            .rds
            .modify_db_instance()
            .db_instance_identifier(&d.identifier)
            .apply_immediately(true)
            .set_db_parameter_group_name(m.parameter_group.clone())
            .set_option_group_name(m.option_group.clone())
            .set_publicly_accessible(m.not_public.then_some(false))
            .set_enable_iam_database_authentication(flag(m.iam_auth))
            .set_cloudwatch_logs_export_configuration(export_config.clone())
            .set_copy_tags_to_snapshot(flag(m.copy_tags))
            .set_auto_minor_version_upgrade(flag(m.auto_minor))
            .set_ca_certificate_identifier(m.ca.then(|| desired::DEFAULT_CA.to_owned()))
            .set_manage_master_user_password(flag(m.managed_secret))
            .set_master_user_secret_kms_key_id(m.managed_secret.then(|| d.kms_key_arn.clone()))
            .set_deletion_protection(m.deletion_protection)
            .set_backup_retention_period(
                m.backup_retention_days
                    .map(|v| i32::try_from(v).unwrap_or(35)),
            )
            .set_multi_az(m.multi_az)
            .set_db_instance_class(m.instance_class.clone())
            .set_allocated_storage(
                m.allocated_storage_gb
                    .map(|v| i32::try_from(v).unwrap_or(i32::MAX)),
            )
            .set_engine_version(m.engine_version.clone())
            .set_db_subnet_group_name(m.db_subnet_group_name.clone())
            .set_vpc_security_group_ids(m.vpc_security_group_ids.clone())
            .set_enable_performance_insights(m.insights.performance_insights)
            .set_performance_insights_kms_key_id(
                (m.insights.performance_insights == Some(true)).then(|| d.kms_key_arn.clone()),
            )
            .set_performance_insights_retention_period(
                (m.insights.performance_insights == Some(true))
                    .then(|| i32::try_from(d.performance_insights_retention_days).unwrap_or(7)),
            )
            .set_monitoring_interval(
                m.insights
                    .monitoring_interval
                    .map(|v| i32::try_from(v).unwrap_or(60)),
            )
            .set_monitoring_role_arn(
                m.insights
                    .monitoring_interval
                    .filter(|v| *v > 0)
                    .and(d.monitoring_role_arn.clone()),
            );
        async move {
            request
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("rds:ModifyDBInstance", e))
        }
    })
    .await
    .map(|_| ())
    .map_err(step("apply the compliant settings (ModifyDBInstance)"))
}

/// Waits until the instance is available.
pub async fn wait_available(
    clients: &Clients,
    identifier: &str,
    deadline: Instant,
    cancel: &CancellationToken,
) -> Result<(), StepError> {
    rds_api::wait_for(
        &clients.rds,
        identifier,
        "available",
        deadline,
        cancel,
        rds_api::is_settled,
    )
    .await
    .map(|_| ())
    .map_err(waited("wait for the database to become available"))
}

/// Reboots so a parameter group in `pending-reboot` takes effect, and waits.
pub async fn reboot(
    clients: &Clients,
    identifier: &str,
    deadline: Instant,
    cancel: &CancellationToken,
) -> Result<(), StepError> {
    clients
        .rds
        .reboot_db_instance()
        .db_instance_identifier(identifier)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("rds:RebootDBInstance", e))
        .map_err(step("reboot to apply the parameter group (TLS and audit)"))?;
    wait_available(clients, identifier, deadline, cancel).await
}

/// Makes the instance's tags equal to the configured ones.
pub async fn set_tags(clients: &Clients, d: &Desired, o: &Observed) -> Result<(), StepError> {
    let Some(arn) = &o.arn else { return Ok(()) };
    let stale: Vec<String> = o
        .tags
        .keys()
        .filter(|k| !d.tags.contains_key(*k))
        .cloned()
        .collect();
    if !stale.is_empty() {
        clients
            .rds
            .remove_tags_from_resource()
            .resource_name(arn)
            .set_tag_keys(Some(stale))
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("rds:RemoveTagsFromResource", e))
            .map_err(step("tag the database"))?;
    }
    let changed: BTreeMap<String, String> = d
        .tags
        .iter()
        .filter(|(k, v)| o.tags.get(*k) != Some(*v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if !changed.is_empty() {
        clients
            .rds
            .add_tags_to_resource()
            .resource_name(arn)
            .set_tags(rds_tags(&changed))
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("rds:AddTagsToResource", e))
            .map_err(step("tag the database"))?;
    }
    Ok(())
}

/// Deletes the instance with a final snapshot, keeping automated backups,
/// waits until it is gone, then removes its parameter group. The engine log
/// groups are kept: they hold audit records and expire with their retention.
/// Returns the final snapshot's identifier.
pub async fn delete(
    clients: &Clients,
    identifier: &str,
    deadline: Instant,
    cancel: &CancellationToken,
) -> Result<String, StepError> {
    let snapshot = desired::final_snapshot_identifier(identifier, time::OffsetDateTime::now_utc());
    let deleted = clients
        .rds
        .delete_db_instance()
        .db_instance_identifier(identifier)
        .skip_final_snapshot(false)
        .final_db_snapshot_identifier(&snapshot)
        .delete_automated_backups(false)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("rds:DeleteDBInstance", e));
    match deleted {
        Ok(_) => {}
        Err(e) if e.code_is("DBInstanceNotFound") || e.code_is("DBInstanceNotFoundFault") => {}
        Err(e) => {
            return Err(step("delete the database instance with a final snapshot")(
                e,
            ));
        }
    }
    rds_api::wait_for(&clients.rds, identifier, "deleted", deadline, cancel, |i| {
        i.is_none()
    })
    .await
    .map_err(waited("wait for the database to be deleted"))?;
    match clients
        .rds
        .delete_db_parameter_group()
        .db_parameter_group_name(desired::parameter_group_name(identifier))
        .send()
        .await
    {
        Ok(_) => {}
        Err(e) => {
            let e = AwsError::from_sdk("rds:DeleteDBParameterGroup", e);
            if !e.code_is("DBParameterGroupNotFound") {
                // The database is gone; an orphaned parameter group holds no
                // data. Say so rather than fail the destroy.
                tracing::warn!("{e}; the parameter group is left behind");
            }
        }
    }
    Ok(snapshot)
}

#[cfg(test)]
mod tests {
    use phi_policy::engines::Engine;

    use super::super::desired::tests_support::desired;
    use super::*;

    const KEY: &str = "arn:aws:kms:eu-central-1:111122223333:key/k";

    fn compliant_observed() -> Observed {
        Observed {
            engine: Some(Engine::Postgres),
            engine_version: "16.4".into(),
            instance_class: "db.t3.medium".into(),
            allocated_storage_gb: 50,
            storage_encrypted: true,
            kms_key_id: Some(KEY.into()),
            backup_retention_days: 14,
            deletion_protection: true,
            iam_auth: true,
            copy_tags: true,
            auto_minor_upgrade: true,
            ca_current: true,
            exports: vec!["postgresql".into(), "upgrade".into()],
            secret_managed: true,
            secret_kms_key_id: Some(KEY.into()),
            parameter_group: Some(("acme-ehr-phi".into(), "in-sync".into())),
            ..Observed::default()
        }
    }

    #[test]
    fn a_mysql_instance_on_another_option_group_is_moved_back_to_its_own() {
        let d = desired(Engine::Mysql);
        let mut o = compliant_observed();
        o.engine = Some(Engine::Mysql);
        o.exports = ["audit", "error", "general", "slowquery"]
            .map(String::from)
            .to_vec();
        o.option_group = Some(("default:mysql-8-4".into(), "in-sync".into()));
        assert_eq!(
            modify_plan(&d, &o).option_group.as_deref(),
            Some("acme-ehr-phi")
        );
        o.option_group = Some(("acme-ehr-phi".into(), "in-sync".into()));
        assert!(modify_plan(&d, &o).is_empty());
        // PostgreSQL audits through its parameter group: no option group.
        assert!(
            modify_plan(&desired(Engine::Postgres), &compliant_observed())
                .option_group
                .is_none()
        );
    }

    #[test]
    fn the_audit_plugin_records_connections_and_every_statement_class() {
        let option = audit_plugin_option();
        assert_eq!(option.option_name(), Some("MARIADB_AUDIT_PLUGIN"));
        let setting = &option.option_settings()[0];
        assert_eq!(setting.name(), Some("SERVER_AUDIT_EVENTS"));
        assert_eq!(
            setting.value(),
            Some("CONNECT,QUERY_DCL,QUERY_DDL,QUERY_DML")
        );
    }

    #[test]
    fn the_group_carries_tls_and_audit_parameters() {
        let names: Vec<String> = desired(Engine::Postgres)
            .group_parameters()
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        assert_eq!(
            names,
            [
                "rds.force_ssl",
                "ssl_min_protocol_version",
                "shared_preload_libraries",
                "pgaudit.log",
                "pgaudit.log_parameter",
                "log_connections",
                "log_disconnections"
            ]
        );
        assert_eq!(desired(Engine::Mysql).group_parameters().len(), 2);
    }

    #[test]
    fn a_compliant_instance_needs_no_modify() {
        assert!(modify_plan(&desired(Engine::Postgres), &compliant_observed()).is_empty());
    }

    #[test]
    fn every_drifted_setting_is_restored_in_one_modify() {
        let o = Observed {
            publicly_accessible: true,
            iam_auth: false,
            copy_tags: false,
            auto_minor_upgrade: false,
            ca_current: false,
            exports: vec!["postgresql".into()],
            secret_managed: false,
            secret_kms_key_id: None,
            deletion_protection: false,
            backup_retention_days: 1,
            parameter_group: Some(("default.postgres16".into(), "in-sync".into())),
            ..compliant_observed()
        };
        let m = modify_plan(&desired(Engine::Postgres), &o);
        assert_eq!(
            m,
            Modify {
                parameter_group: Some("acme-ehr-phi".into()),
                not_public: true,
                iam_auth: true,
                enable_exports: vec!["upgrade".into()],
                copy_tags: true,
                auto_minor: true,
                ca: true,
                managed_secret: true,
                deletion_protection: Some(true),
                backup_retention_days: Some(14),
                ..Modify::default()
            }
        );
    }

    #[test]
    fn engine_versions_only_move_forward_and_storage_only_grows() {
        let mut d = desired(Engine::Postgres);
        let mut o = compliant_observed();
        o.engine_version = "16.6".into(); // upgraded automatically
        assert!(modify_plan(&d, &o).is_empty());
        d.engine_version = "16.10".into();
        assert_eq!(modify_plan(&d, &o).engine_version.as_deref(), Some("16.10"));
        let mut d = desired(Engine::Postgres);
        o = compliant_observed();
        o.allocated_storage_gb = 80; // storage autoscaling grew it
        assert!(modify_plan(&d, &o).is_empty());
        d.allocated_storage_gb = 100;
        assert_eq!(modify_plan(&d, &o).allocated_storage_gb, Some(100));
    }

    #[test]
    fn a_secret_under_another_key_is_re_keyed() {
        let mut o = compliant_observed();
        o.secret_kms_key_id = Some("arn:aws:kms:eu-central-1:111122223333:key/other".into());
        assert!(modify_plan(&desired(Engine::Postgres), &o).managed_secret);
    }

    #[test]
    fn access_denied_is_recognised_for_the_hint() {
        let e = step("x")(AwsError {
            operation: "rds:ModifyDBInstance",
            code: Some("AccessDenied".into()),
            message: "no".into(),
        });
        assert!(e.access_denied);
        assert!(
            e.to_string()
                .starts_with("step \"x\" failed: rds:ModifyDBInstance failed")
        );
    }
}
