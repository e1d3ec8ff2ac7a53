//! What the project knows about the RDS engines `phi_database` supports:
//! which versions the baseline approves, and per engine the parameter-group
//! family, the parameters that force TLS with a floor, and the log types RDS
//! can export. Shared by the policy checks, the policy file and the provider,
//! so the allowlist and the TLS settings are written down once.

/// A supported engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Postgres,
    Mysql,
}

/// The engines by their RDS names.
pub const ENGINES: &[(&str, Engine)] = &[("postgres", Engine::Postgres), ("mysql", Engine::Mysql)];

/// Baseline approved major versions. PostgreSQL 13 and MySQL 8.0 have left
/// RDS standard support (extended support only); older ones are gone.
pub const BASELINE_MAJORS: &[(&str, &[&str])] =
    &[("postgres", &["14", "15", "16", "17"]), ("mysql", &["8.4"])];

impl Engine {
    pub fn from_name(name: &str) -> Option<Engine> {
        ENGINES.iter().find(|(n, _)| *n == name).map(|(_, e)| *e)
    }

    pub fn name(self) -> &'static str {
        match self {
            Engine::Postgres => "postgres",
            Engine::Mysql => "mysql",
        }
    }

    /// The major version of a version string: `16` of `16.4`, `8.4` of
    /// `8.4.3` (MySQL majors have two parts).
    pub fn major(self, version: &str) -> String {
        let parts: Vec<&str> = version.split('.').collect();
        match self {
            Engine::Postgres => parts[0].to_owned(),
            Engine::Mysql => parts.iter().take(2).copied().collect::<Vec<_>>().join("."),
        }
    }

    /// The DB parameter group family of a version (`postgres16`, `mysql8.4`).
    pub fn family(self, version: &str) -> String {
        format!("{}{}", self.name(), self.major(version))
    }

    /// The parameters that force TLS and set the protocol floor, as
    /// (name, value). PostgreSQL: `rds.force_ssl` and
    /// `ssl_min_protocol_version`; MySQL: `require_secure_transport` and
    /// `tls_version` (which lists the versions allowed).
    pub fn tls_parameters(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Engine::Postgres => &[
                ("rds.force_ssl", "1"),
                ("ssl_min_protocol_version", "TLSv1.2"),
            ],
            Engine::Mysql => &[
                ("require_secure_transport", "1"),
                ("tls_version", "TLSv1.2,TLSv1.3"),
            ],
        }
    }

    /// Every log type RDS exports for the engine (Security Hub RDS.9's set).
    pub fn log_types(self) -> &'static [&'static str] {
        match self {
            Engine::Postgres => &["postgresql", "upgrade"],
            Engine::Mysql => &["audit", "error", "general", "slowquery"],
        }
    }
}

/// Whether `version` is a well-formed engine version: digits separated by
/// dots, at least major and minor (`16.4`, `8.4.3`).
pub fn version_well_formed(engine: Engine, version: &str) -> bool {
    let parts: Vec<&str> = version.split('.').collect();
    let min_parts = match engine {
        Engine::Postgres => 2,
        Engine::Mysql => 3,
    };
    parts.len() >= min_parts
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
}

/// `a.b.c.d/n` (n <= 32) or an IPv6 prefix `x::/n` (n <= 128), parsed by
/// the standard library so a typo is a policy error, not a rule that never
/// matches.
pub fn cidr_well_formed(cidr: &str) -> bool {
    let Some((addr, len)) = cidr.split_once('/') else {
        return false;
    };
    let Ok(len) = len.parse::<u8>() else {
        return false;
    };
    match addr.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V4(_)) => len <= 32,
        Ok(std::net::IpAddr::V6(_)) => len <= 128,
        Err(_) => false,
    }
}

/// The database section of the policy (`database { ... }` in
/// `phi-policy.hcl`). Every field may only tighten the baseline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatabasePolicy {
    /// Approved `(engine, version pattern)` pairs; the pattern is a glob over
    /// the full version (`16.*`, `8.4.4`).
    pub engine_versions: Vec<(String, String)>,
    pub backup_retention_min_days: i64,
    pub require_multi_az: bool,
    /// Source prefixes a database security group may not admit, beyond
    /// `0.0.0.0/0` and `::/0` which are always refused (PHI-RDS-014).
    pub forbidden_ingress_cidrs: Vec<String>,
    /// pgaudit statement classes logged on PostgreSQL (PHI-RDS-015); the
    /// policy may add classes, never drop a baseline one.
    pub pgaudit_log: Vec<String>,
    /// Whether pgaudit logs statement parameters, which can hold PHI
    /// themselves: off unless the policy says so.
    pub pgaudit_log_parameter: bool,
    /// Whether every database must run Performance Insights (PHI-RDS-016).
    pub require_performance_insights: bool,
    /// The longest Performance Insights retention allowed: it keeps SQL
    /// text, which can hold PHI, so a policy may shorten it.
    pub performance_insights_max_retention_days: i64,
    /// Whether every database must run enhanced monitoring (PHI-RDS-017).
    pub require_enhanced_monitoring: bool,
    /// The enhanced monitoring interval, in seconds, the provider sets.
    pub enhanced_monitoring_interval: i64,
    /// Accounts a manual snapshot of a PHI database may be shared with
    /// (PHI-RDS-018); empty by default: none. Public sharing never is.
    pub snapshot_allowed_accounts: Vec<String>,
    /// The longest rotation interval, in days, of the RDS-managed master
    /// secret (PHI-RDS-019); the provider restores this interval when
    /// rotation is off or longer.
    pub secret_rotation_max_days: i64,
}

/// Performance Insights retention RDS accepts: 7 days (the free tier), a
/// whole number of months (31 days each) up to 23 months, or 731 days.
pub fn performance_insights_retention_valid(days: i64) -> bool {
    days == 7 || days == 731 || (days % 31 == 0 && (31..=713).contains(&days))
}

/// RDS's longest Performance Insights retention, the baseline's maximum.
pub const PERFORMANCE_INSIGHTS_MAX_RETENTION_DAYS: i64 = 731;
/// The retention `phi_database` sets unless configured: the shortest.
pub const PERFORMANCE_INSIGHTS_DEFAULT_RETENTION_DAYS: i64 = 7;

/// The baseline's longest master-secret rotation interval: the 7 days RDS
/// sets on the secrets it manages. A policy may shorten it, down to a day.
pub const BASELINE_SECRET_ROTATION_MAX_DAYS: i64 = 7;

/// Enhanced monitoring intervals RDS accepts (0, off, aside).
pub const ENHANCED_MONITORING_INTERVALS: &[i64] = &[1, 5, 10, 15, 30, 60];
/// The baseline's interval.
pub const BASELINE_ENHANCED_MONITORING_INTERVAL: i64 = 60;

/// Baseline pgaudit classes for PHI: schema changes, grants and roles, every
/// write and every read.
pub const BASELINE_PGAUDIT_LOG: &[&str] = &["ddl", "role", "write", "read"];

/// Every class pgaudit knows.
pub const PGAUDIT_CLASSES: &[&str] = &[
    "read", "write", "function", "role", "ddl", "misc", "misc_set", "all",
];

/// The MySQL audit plugin option (RDS option groups) and the events it
/// records: connections and every DCL, DDL and DML statement.
pub const MYSQL_AUDIT_OPTION: &str = "MARIADB_AUDIT_PLUGIN";
pub const MYSQL_AUDIT_EVENTS_SETTING: &str = "SERVER_AUDIT_EVENTS";
pub const MYSQL_AUDIT_EVENTS: &str = "CONNECT,QUERY_DCL,QUERY_DDL,QUERY_DML";

/// The library that must be in `shared_preload_libraries` for pgaudit.
pub const PGAUDIT_LIBRARY: &str = "pgaudit";
/// What the provider sets `shared_preload_libraries` to: RDS's default
/// (`pg_stat_statements`, which Performance Insights uses) plus pgaudit.
pub const PRELOAD_LIBRARIES: &str = "pg_stat_statements,pgaudit";

/// Ingress sources no PHI database security group may admit, whatever the
/// policy says: the whole IPv4 and IPv6 internet.
pub const INTERNET_CIDRS: &[&str] = &["0.0.0.0/0", "::/0"];

/// Baseline backup retention floor (Security Hub RDS.11), and RDS's maximum.
pub const BASELINE_BACKUP_MIN_DAYS: i64 = 7;
pub const RDS_BACKUP_MAX_DAYS: i64 = 35;

impl DatabasePolicy {
    pub fn baseline() -> DatabasePolicy {
        DatabasePolicy {
            engine_versions: BASELINE_MAJORS
                .iter()
                .flat_map(|(engine, majors)| {
                    majors
                        .iter()
                        .map(move |m| ((*engine).to_owned(), format!("{m}.*")))
                })
                .collect(),
            backup_retention_min_days: BASELINE_BACKUP_MIN_DAYS,
            require_multi_az: false,
            forbidden_ingress_cidrs: Vec::new(),
            pgaudit_log: BASELINE_PGAUDIT_LOG
                .iter()
                .map(|c| (*c).to_owned())
                .collect(),
            pgaudit_log_parameter: false,
            require_performance_insights: false,
            performance_insights_max_retention_days: PERFORMANCE_INSIGHTS_MAX_RETENTION_DAYS,
            require_enhanced_monitoring: false,
            enhanced_monitoring_interval: BASELINE_ENHANCED_MONITORING_INTERVAL,
            snapshot_allowed_accounts: Vec::new(),
            secret_rotation_max_days: BASELINE_SECRET_ROTATION_MAX_DAYS,
        }
    }

    pub fn is_version_approved(&self, engine: &str, version: &str) -> bool {
        self.engine_versions
            .iter()
            .any(|(e, p)| e == engine && crate::exceptions::glob_match(p, version))
    }

    /// Whether a security group rule admitting `cidr` is refused: the
    /// internet always, and the prefixes the policy lists.
    pub fn ingress_forbidden(&self, cidr: &str) -> bool {
        INTERNET_CIDRS.contains(&cidr) || self.forbidden_ingress_cidrs.iter().any(|c| c == cidr)
    }

    /// The audit parameters of a PostgreSQL parameter group, as (name,
    /// value): pgaudit preloaded and configured from the policy, connections
    /// and disconnections logged. All static or applied on reboot.
    pub fn postgres_audit_parameters(&self) -> Vec<(&'static str, String)> {
        vec![
            ("shared_preload_libraries", PRELOAD_LIBRARIES.to_owned()),
            ("pgaudit.log", self.pgaudit_log.join(",")),
            (
                "pgaudit.log_parameter",
                if self.pgaudit_log_parameter { "1" } else { "0" }.to_owned(),
            ),
            ("log_connections", "1".to_owned()),
            ("log_disconnections", "1".to_owned()),
        ]
    }

    /// The approved patterns, for messages: `postgres 16.*, mysql 8.4.*`.
    pub fn describe_versions(&self) -> String {
        self.engine_versions
            .iter()
            .map(|(e, p)| format!("{e} {p}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Whether a policy's `engine_versions` entry stays inside the baseline: its
/// engine is supported and its pattern starts with a baseline major followed
/// by a dot (so `16.*` and `16.4` do, `1*` and `*` do not). Returns why not.
pub fn entry_within_baseline(engine: &str, pattern: &str) -> Result<(), String> {
    let Some((_, majors)) = BASELINE_MAJORS.iter().find(|(e, _)| *e == engine) else {
        return Err(format!(
            "engine {engine:?} is not supported; phi_database supports {}",
            ENGINES
                .iter()
                .map(|(n, _)| *n)
                .collect::<Vec<_>>()
                .join(" and ")
        ));
    };
    if majors
        .iter()
        .any(|m| pattern.starts_with(&format!("{m}.")) && !pattern[m.len()..].is_empty())
    {
        Ok(())
    } else {
        Err(format!(
            "{engine} {pattern:?} is not within the baseline's approved majors ({}); a policy \
             may only narrow the list. Record an `exception \"PHI-RDS-009\"` block instead.",
            majors.join(", ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn majors_and_families() {
        assert_eq!(Engine::Postgres.major("16.4"), "16");
        assert_eq!(Engine::Mysql.major("8.4.3"), "8.4");
        assert_eq!(Engine::Postgres.family("16.4"), "postgres16");
        assert_eq!(Engine::Mysql.family("8.4.3"), "mysql8.4");
    }

    #[test]
    fn baseline_approves_supported_majors_only() {
        let p = DatabasePolicy::baseline();
        assert!(p.is_version_approved("postgres", "16.4"));
        assert!(p.is_version_approved("mysql", "8.4.3"));
        assert!(!p.is_version_approved("mysql", "8.0.39"));
        assert!(!p.is_version_approved("postgres", "13.16"));
        assert!(!p.is_version_approved("postgres", "160.1"));
        assert!(!p.is_version_approved("mariadb", "10.11.9"));
    }

    #[test]
    fn versions_must_be_dotted_numbers() {
        assert!(version_well_formed(Engine::Postgres, "16.4"));
        assert!(!version_well_formed(Engine::Postgres, "16"));
        assert!(!version_well_formed(Engine::Mysql, "8.4"));
        assert!(!version_well_formed(Engine::Postgres, "16.x"));
    }

    #[test]
    fn performance_insights_retention_is_seven_days_or_whole_months() {
        assert!(performance_insights_retention_valid(7));
        assert!(performance_insights_retention_valid(31));
        assert!(performance_insights_retention_valid(713));
        assert!(performance_insights_retention_valid(731));
        assert!(!performance_insights_retention_valid(744));
        assert!(!performance_insights_retention_valid(8));
        assert!(!performance_insights_retention_valid(30));
        assert!(!performance_insights_retention_valid(762));
    }

    #[test]
    fn policy_entries_may_only_narrow() {
        assert!(entry_within_baseline("postgres", "16.*").is_ok());
        assert!(entry_within_baseline("postgres", "16.4").is_ok());
        assert!(entry_within_baseline("postgres", "13.*").is_err());
        assert!(entry_within_baseline("postgres", "1*").is_err());
        assert!(entry_within_baseline("postgres", "16.").is_ok());
        assert!(entry_within_baseline("oracle-ee", "19.*").is_err());
    }
}
