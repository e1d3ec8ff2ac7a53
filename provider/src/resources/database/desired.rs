//! What a compliant database looks like in AWS, derived from its
//! configuration and the policy.
//!
//! As for the audit sink, the always-on settings are not attributes: they
//! appear in the read-only `enforced` map, one entry per setting, keyed by the
//! control that requires it. Plan fills the map with what compliance
//! requires, Read with what AWS reports, so drift shows as a change of one
//! entry in the next plan and apply restores it.

use std::collections::BTreeMap;
use std::time::Duration;

use phi_policy::engines::Engine;

/// The database's settings, all known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Desired {
    pub identifier: String,
    pub engine: Engine,
    pub engine_version: String,
    pub instance_class: String,
    pub allocated_storage_gb: i64,
    pub kms_key_arn: String,
    pub master_username: String,
    pub audit_log_sink: Option<String>,
    pub backup_retention_days: i64,
    pub multi_az: bool,
    pub deletion_protection: bool,
    pub db_subnet_group_name: Option<String>,
    /// `None` when not configured: RDS then uses the VPC's default group and
    /// the provider leaves the choice alone.
    pub vpc_security_group_ids: Option<Vec<String>>,
    /// Create from this snapshot instead of empty.
    pub snapshot_identifier: Option<String>,
    pub tags: BTreeMap<String, String>,
    /// Retention of the engine log groups (see [`log_retention_days`]).
    pub log_retention_days: i64,
    /// PostgreSQL: the audit parameters of the dedicated parameter group, from
    /// the policy (PHI-RDS-015). Empty for MySQL, which audits through the
    /// option group instead.
    pub audit_parameters: Vec<(String, String)>,
    /// Performance Insights on (with `kms_key_arn`) or off (PHI-RDS-016).
    pub performance_insights: bool,
    pub performance_insights_retention_days: i64,
    /// Enhanced monitoring interval in seconds, 0 when off (PHI-RDS-017).
    pub monitoring_interval: i64,
    /// The configured monitoring role; at apply, the provider's role when
    /// none is configured (see `insights::with_monitoring_role`).
    pub monitoring_role_arn: Option<String>,
    /// The longest rotation of the managed master secret (PHI-RDS-019).
    pub secret_rotation_max_days: i64,
    pub timeouts: Timeouts,
}

pub const DEFAULT_MASTER_USERNAME: &str = "phiadmin";
pub const DEFAULT_BACKUP_RETENTION_DAYS: i64 = 14;
/// The CA the provider sets; the other current RDS CAs are accepted too.
pub const DEFAULT_CA: &str = "rds-ca-rsa2048-g1";
pub const CURRENT_CAS: &[&str] = &["rds-ca-rsa2048-g1", "rds-ca-rsa4096-g1", "rds-ca-ecc384-g1"];

/// Keys of the `enforced` map; each starts with its control id.
pub mod key {
    pub const ENCRYPTION: &str = "PHI-RDS-001 storage encryption";
    pub const PUBLIC: &str = "PHI-RDS-002 public access";
    pub const PARAMETER_GROUP: &str = "PHI-RDS-003 parameter group";
    pub const TLS_PARAMETERS: &str = "PHI-RDS-003 TLS parameters";
    pub const SECRET: &str = "PHI-RDS-004 master user secret";
    pub const IAM_AUTH: &str = "PHI-RDS-005 IAM authentication";
    pub const LOG_EXPORTS: &str = "PHI-RDS-006 log exports";
    pub const LOG_GROUP_PREFIX: &str = "PHI-RDS-006 log group ";
    pub const MINOR_UPGRADE: &str = "PHI-RDS-011 auto minor version upgrade";
    pub const CA: &str = "PHI-RDS-011 CA certificate";
    pub const COPY_TAGS: &str = "PHI-RDS-012 copy tags to snapshots";
    pub const DATABASE_AUDIT: &str = "PHI-RDS-015 database audit";
    pub const PERFORMANCE_INSIGHTS: &str = "PHI-RDS-016 performance insights";
    pub const ENHANCED_MONITORING: &str = "PHI-RDS-017 enhanced monitoring";
    pub const SNAPSHOT_SHARING: &str = "PHI-RDS-018 snapshot sharing";
    pub const SECRET_ROTATION: &str = "PHI-RDS-019 secret rotation";
}

/// Checks at compile time that the map keys name real controls.
const _: () = {
    use phi_policy::ids;
    assert!(starts_with(key::ENCRYPTION, ids::RDS_ENCRYPTION));
    assert!(starts_with(key::PUBLIC, ids::RDS_NOT_PUBLIC));
    assert!(starts_with(key::PARAMETER_GROUP, ids::RDS_TLS));
    assert!(starts_with(key::TLS_PARAMETERS, ids::RDS_TLS));
    assert!(starts_with(key::SECRET, ids::RDS_MANAGED_SECRET));
    assert!(starts_with(key::IAM_AUTH, ids::RDS_IAM_AUTH));
    assert!(starts_with(key::LOG_EXPORTS, ids::RDS_LOG_EXPORTS));
    assert!(starts_with(key::LOG_GROUP_PREFIX, ids::RDS_LOG_EXPORTS));
    assert!(starts_with(key::MINOR_UPGRADE, ids::RDS_PATCHING));
    assert!(starts_with(key::CA, ids::RDS_PATCHING));
    assert!(starts_with(key::COPY_TAGS, ids::RDS_COPY_TAGS));
    assert!(starts_with(key::DATABASE_AUDIT, ids::RDS_DATABASE_AUDIT));
    assert!(starts_with(
        key::PERFORMANCE_INSIGHTS,
        ids::RDS_PERFORMANCE_INSIGHTS
    ));
    assert!(starts_with(
        key::ENHANCED_MONITORING,
        ids::RDS_ENHANCED_MONITORING
    ));
    assert!(starts_with(
        key::SNAPSHOT_SHARING,
        ids::RDS_SNAPSHOTS_NOT_SHARED
    ));
    assert!(starts_with(key::SECRET_ROTATION, ids::RDS_SECRET_ROTATION));
};

const fn starts_with(s: &str, prefix: &str) -> bool {
    let (s, p) = (s.as_bytes(), prefix.as_bytes());
    if p.len() > s.len() {
        return false;
    }
    let mut i = 0;
    while i < p.len() {
        if s[i] != p[i] {
            return false;
        }
        i += 1;
    }
    true
}

pub const ON: &str = "on";
pub const OFF: &str = "off";
pub const NOT_PUBLIC: &str = "not publicly accessible";
pub const CA_CURRENT: &str = "current";

pub fn on_off(v: Option<bool>) -> String {
    match v {
        Some(true) => ON.to_owned(),
        Some(false) => OFF.to_owned(),
        None => "not reported".to_owned(),
    }
}

pub fn encryption_text(encrypted: Option<bool>, key: Option<&str>) -> String {
    match (encrypted, key) {
        (Some(true), Some(k)) => format!("encrypted with {k}"),
        (Some(true), None) => "encrypted with the AWS-managed key".to_owned(),
        _ => "not encrypted".to_owned(),
    }
}

pub fn public_text(public: Option<bool>) -> String {
    match public {
        Some(true) => "PUBLICLY ACCESSIBLE".to_owned(),
        // The emulator omits the flag when it was never sent; we always send it.
        _ => NOT_PUBLIC.to_owned(),
    }
}

pub fn parameter_group_text(name: &str, apply_status: &str) -> String {
    format!("{name} ({apply_status})")
}

/// `name=value` for each TLS parameter, `unset` when the group does not set it.
pub fn tls_text(engine: Engine, values: &BTreeMap<String, String>) -> String {
    engine
        .tls_parameters()
        .iter()
        .map(|(name, _)| {
            format!(
                "{name}={}",
                values.get(*name).map_or("unset", String::as_str)
            )
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The PostgreSQL audit parameters the provider reads back, in the order
/// they are shown.
pub const POSTGRES_AUDIT_PARAMETERS: &[&str] = &[
    "shared_preload_libraries",
    "pgaudit.log",
    "pgaudit.log_parameter",
    "log_connections",
    "log_disconnections",
];

/// Whether a parameter's current value satisfies the wanted one. The preload
/// list only has to contain pgaudit: other libraries may be preloaded too.
pub fn parameter_satisfied(name: &str, want: &str, have: Option<&str>) -> bool {
    match (name, have) {
        ("shared_preload_libraries", Some(h)) => h
            .split(',')
            .any(|l| l.trim() == phi_policy::engines::PGAUDIT_LIBRARY),
        (_, Some(h)) => h == want,
        (_, None) => false,
    }
}

/// PostgreSQL's audit entry: whether pgaudit is preloaded, then
/// `name=value` of the other audit parameters (`unset` when the group does
/// not set one).
pub fn postgres_audit_text(values: &BTreeMap<String, String>) -> String {
    let mut parts = vec![if parameter_satisfied(
        "shared_preload_libraries",
        "",
        values.get("shared_preload_libraries").map(String::as_str),
    ) {
        "pgaudit preloaded".to_owned()
    } else {
        "pgaudit NOT preloaded".to_owned()
    }];
    for name in &POSTGRES_AUDIT_PARAMETERS[1..] {
        parts.push(format!(
            "{name}={}",
            values.get(*name).map_or("unset", String::as_str)
        ));
    }
    parts.join("; ")
}

/// MySQL's audit entry: the option group the instance uses and what its
/// audit plugin records.
pub fn mysql_audit_text(option_group: Option<&(String, String)>, events: Option<&str>) -> String {
    let group = match option_group {
        Some((name, status)) => format!("option group {name} ({status})"),
        None => "no option group".to_owned(),
    };
    let plugin = match events {
        Some(e) => format!(
            "{} {}={e}",
            phi_policy::engines::MYSQL_AUDIT_OPTION,
            phi_policy::engines::MYSQL_AUDIT_EVENTS_SETTING
        ),
        None => format!("{} missing", phi_policy::engines::MYSQL_AUDIT_OPTION),
    };
    format!("{group}, {plugin}")
}

pub fn secret_text(managed: bool, key: Option<&str>) -> String {
    match (managed, key) {
        (true, Some(k)) => format!("managed by RDS, encrypted with {k}"),
        (true, None) => "managed by RDS, encrypted with the AWS-managed key".to_owned(),
        (false, _) => "NOT managed by RDS (password set by hand)".to_owned(),
    }
}

pub fn exports_text(types: &[&str]) -> String {
    if types.is_empty() {
        "none".to_owned()
    } else {
        let mut t = types.to_vec();
        t.sort_unstable();
        t.join(", ")
    }
}

pub fn log_group_text(key: Option<&str>, retention_days: Option<i64>) -> String {
    format!(
        "{}, {}",
        key.map_or_else(
            || "no customer key".to_owned(),
            |k| format!("encrypted with {k}")
        ),
        retention_days.map_or_else(|| "never expires".to_owned(), |d| format!("{d} days"))
    )
}

pub fn ca_text(ca: Option<&str>) -> String {
    match ca {
        Some(c) if CURRENT_CAS.contains(&c) => CA_CURRENT.to_owned(),
        Some(c) => format!("outdated ({c})"),
        None => "not reported".to_owned(),
    }
}

/// `/aws/rds/instance/<id>/<type>`: the name RDS writes exported logs to.
pub fn log_group_name(identifier: &str, log_type: &str) -> String {
    format!("/aws/rds/instance/{identifier}/{log_type}")
}

/// The dedicated parameter group the provider creates for each database.
pub fn parameter_group_name(identifier: &str) -> String {
    format!("{identifier}-phi")
}

/// The dedicated option group the provider creates for each MySQL database
/// (option groups are a namespace of their own, so the name is the same).
pub fn option_group_name(identifier: &str) -> String {
    format!("{identifier}-phi")
}

/// `<id>-final-<YYYYMMDDHHMMSS>`: unique per deletion, sorted by time.
pub fn final_snapshot_identifier(identifier: &str, now: time::OffsetDateTime) -> String {
    format!(
        "{identifier}-final-{:04}{:02}{:02}{:02}{:02}{:02}",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second()
    )
}

/// Retention of the engine log groups: the smallest CloudWatch value at or
/// above the policy's audit floor (baseline 2192 days). The provider cannot
/// see the sink's configuration, and the floor is what the policy requires of
/// any audit record, so it is the same for every database and known at plan.
pub fn log_retention_days(policy: &phi_policy::Policy) -> i64 {
    phi_policy::checks::audit_log_sink::acceptable_retention(policy)
        .first()
        .copied()
        .unwrap_or(policy.audit_retention_min_days())
}

/// The audit parameters the dedicated parameter group carries for `engine`
/// under `policy` (none for MySQL, which uses the option group).
pub fn audit_parameters(engine: Engine, policy: &phi_policy::Policy) -> Vec<(String, String)> {
    match engine {
        Engine::Postgres => policy
            .database()
            .postgres_audit_parameters()
            .into_iter()
            .map(|(n, v)| (n.to_owned(), v))
            .collect(),
        Engine::Mysql => Vec::new(),
    }
}

/// How long each operation may take before the provider stops waiting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    pub create: Duration,
    pub update: Duration,
    pub delete: Duration,
}

impl Default for Timeouts {
    /// terraform-provider-aws's defaults for aws_db_instance.
    fn default() -> Self {
        Timeouts {
            create: Duration::from_secs(40 * 60),
            update: Duration::from_secs(80 * 60),
            delete: Duration::from_secs(60 * 60),
        }
    }
}

impl Desired {
    pub fn parameter_group_name(&self) -> String {
        parameter_group_name(&self.identifier)
    }

    pub fn log_group_names(&self) -> Vec<(&'static str, String)> {
        self.engine
            .log_types()
            .iter()
            .map(|t| (*t, log_group_name(&self.identifier, t)))
            .collect()
    }

    /// The `enforced` map a compliant database has.
    pub fn enforced(&self) -> BTreeMap<String, String> {
        let tls: BTreeMap<String, String> = self
            .engine
            .tls_parameters()
            .iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect();
        let mut map: BTreeMap<String, String> = [
            (
                key::ENCRYPTION,
                encryption_text(Some(true), Some(&self.kms_key_arn)),
            ),
            (key::PUBLIC, NOT_PUBLIC.to_owned()),
            (
                key::PARAMETER_GROUP,
                parameter_group_text(&self.parameter_group_name(), "in-sync"),
            ),
            (key::TLS_PARAMETERS, tls_text(self.engine, &tls)),
            (key::SECRET, secret_text(true, Some(&self.kms_key_arn))),
            (key::IAM_AUTH, ON.to_owned()),
            (key::LOG_EXPORTS, exports_text(self.engine.log_types())),
            (key::MINOR_UPGRADE, ON.to_owned()),
            (key::CA, CA_CURRENT.to_owned()),
            (key::COPY_TAGS, ON.to_owned()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        for t in self.engine.log_types() {
            map.insert(
                format!("{}{t}", key::LOG_GROUP_PREFIX),
                log_group_text(Some(&self.kms_key_arn), Some(self.log_retention_days)),
            );
        }
        map.insert(key::DATABASE_AUDIT.to_owned(), self.audit_text());
        for (k, v) in super::insights::desired_entries(self) {
            map.insert(k.to_owned(), v);
        }
        map.insert(
            key::SNAPSHOT_SHARING.to_owned(),
            super::snapshots::NOT_SHARED.to_owned(),
        );
        map.insert(
            key::SECRET_ROTATION.to_owned(),
            super::secret_rotation::compliant(self.secret_rotation_max_days),
        );
        map
    }

    /// The audit entry of a compliant database.
    pub fn audit_text(&self) -> String {
        match self.engine {
            Engine::Postgres => {
                postgres_audit_text(&self.audit_parameters.iter().cloned().collect())
            }
            Engine::Mysql => mysql_audit_text(
                Some(&(self.option_group_name(), "in-sync".to_owned())),
                Some(phi_policy::engines::MYSQL_AUDIT_EVENTS),
            ),
        }
    }

    pub fn option_group_name(&self) -> String {
        option_group_name(&self.identifier)
    }

    /// Every parameter the dedicated group must carry: TLS, then audit.
    pub fn group_parameters(&self) -> Vec<(String, String)> {
        self.engine
            .tls_parameters()
            .iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .chain(self.audit_parameters.iter().cloned())
            .collect()
    }
}

/// A compliant desired database, for tests of this resource's modules.
#[cfg(test)]
pub mod tests_support {
    use super::*;

    pub fn desired(engine: Engine) -> Desired {
        Desired {
            identifier: "acme-ehr".into(),
            engine,
            engine_version: "16.4".into(),
            instance_class: "db.t3.medium".into(),
            allocated_storage_gb: 50,
            kms_key_arn: "arn:aws:kms:eu-central-1:111122223333:key/k".into(),
            master_username: DEFAULT_MASTER_USERNAME.into(),
            audit_log_sink: None,
            backup_retention_days: 14,
            multi_az: false,
            deletion_protection: true,
            db_subnet_group_name: None,
            vpc_security_group_ids: None,
            snapshot_identifier: None,
            tags: BTreeMap::new(),
            log_retention_days: 2192,
            audit_parameters: audit_parameters(engine, &phi_policy::Policy::baseline()),
            performance_insights: false,
            performance_insights_retention_days: 7,
            monitoring_interval: 0,
            monitoring_role_arn: None,
            secret_rotation_max_days: 7,
            timeouts: Timeouts::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::tests_support::desired;
    use super::*;

    #[test]
    fn enforced_map_covers_every_always_on_setting() {
        let pg = desired(Engine::Postgres).enforced();
        assert_eq!(pg.len(), 17);
        assert_eq!(pg[key::PERFORMANCE_INSIGHTS], OFF);
        assert_eq!(pg[key::ENHANCED_MONITORING], OFF);
        assert_eq!(
            pg[key::DATABASE_AUDIT],
            "pgaudit preloaded; pgaudit.log=ddl,role,write,read; pgaudit.log_parameter=0; \
             log_connections=1; log_disconnections=1"
        );
        assert_eq!(
            pg[key::TLS_PARAMETERS],
            "rds.force_ssl=1 ssl_min_protocol_version=TLSv1.2"
        );
        assert_eq!(pg[key::PARAMETER_GROUP], "acme-ehr-phi (in-sync)");
        assert_eq!(pg[key::LOG_EXPORTS], "postgresql, upgrade");
        assert_eq!(
            pg["PHI-RDS-006 log group postgresql"],
            "encrypted with arn:aws:kms:eu-central-1:111122223333:key/k, 2192 days"
        );
        let my = desired(Engine::Mysql).enforced();
        assert_eq!(my.len(), 19);
        assert_eq!(
            my[key::DATABASE_AUDIT],
            "option group acme-ehr-phi (in-sync), MARIADB_AUDIT_PLUGIN \
             SERVER_AUDIT_EVENTS=CONNECT,QUERY_DCL,QUERY_DDL,QUERY_DML"
        );
        assert_eq!(
            my[key::TLS_PARAMETERS],
            "require_secure_transport=1 tls_version=TLSv1.2,TLSv1.3"
        );
    }

    #[test]
    fn drifted_values_read_differently() {
        assert_eq!(encryption_text(Some(false), None), "not encrypted");
        assert_eq!(public_text(Some(true)), "PUBLICLY ACCESSIBLE");
        assert_eq!(public_text(None), NOT_PUBLIC);
        assert_eq!(ca_text(Some("rds-ca-2019")), "outdated (rds-ca-2019)");
        assert_eq!(ca_text(Some("rds-ca-ecc384-g1")), CA_CURRENT);
        assert_eq!(
            tls_text(Engine::Postgres, &BTreeMap::new()),
            "rds.force_ssl=unset ssl_min_protocol_version=unset"
        );
        assert_eq!(log_group_text(None, None), "no customer key, never expires");
        assert!(secret_text(false, None).starts_with("NOT managed"));
        assert_eq!(
            postgres_audit_text(&BTreeMap::new()),
            "pgaudit NOT preloaded; pgaudit.log=unset; pgaudit.log_parameter=unset; \
             log_connections=unset; log_disconnections=unset"
        );
        assert_eq!(
            mysql_audit_text(Some(&("default:mysql-8-4".into(), "in-sync".into())), None),
            "option group default:mysql-8-4 (in-sync), MARIADB_AUDIT_PLUGIN missing"
        );
        assert!(parameter_satisfied(
            "shared_preload_libraries",
            "pg_stat_statements,pgaudit",
            Some("pgaudit, pg_cron")
        ));
        assert!(!parameter_satisfied(
            "shared_preload_libraries",
            "pg_stat_statements,pgaudit",
            Some("pg_stat_statements")
        ));
    }

    #[test]
    fn names() {
        assert_eq!(
            log_group_name("acme-ehr", "postgresql"),
            "/aws/rds/instance/acme-ehr/postgresql"
        );
        let t = time::macros::datetime!(2026-11-24 03:04:05 UTC);
        assert_eq!(
            final_snapshot_identifier("acme-ehr", t),
            "acme-ehr-final-20261124030405"
        );
    }

    #[test]
    fn log_retention_follows_the_policy_floor() {
        assert_eq!(log_retention_days(&phi_policy::Policy::baseline()), 2192);
        let p =
            phi_policy::Policy::parse("audit {\n  retention_min_days = 2300\n}\n", "p").unwrap();
        assert_eq!(log_retention_days(&p), 2557);
    }
}
