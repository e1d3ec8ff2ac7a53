//! What a compliant resource reports for each always-on setting, in the
//! provider's words, computed from the resource's own recorded arguments, so
//! that an `enforced` entry can be judged from the state alone. The provider
//! writes these words (`provider/src/resources/*/desired.rs`); the
//! acceptance suite checks a real compliant stack judges all-pass and a real
//! drifted one fails exactly where AWS was changed, so the two cannot part
//! silently.

use phi_policy::Policy;
use phi_policy::engines::Engine;
use serde_json::Value;

/// The verdict on one reported setting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Judgement {
    Pass,
    /// Not what compliance requires; the expected words.
    Fail(String),
    /// phi-lint has no expectation for this setting; shown as reported.
    Unjudged,
}

fn text<'a>(values: &'a Value, attr: &str) -> Option<&'a str> {
    values.get(attr).and_then(Value::as_str)
}

fn equal(reported: &str, expected: Option<String>) -> Judgement {
    match expected {
        Some(e) if e == reported => Judgement::Pass,
        Some(e) => Judgement::Fail(e),
        None => Judgement::Unjudged,
    }
}

/// Judges `reported`, the value of `enforced[key]` of a `resource_type`
/// resource whose recorded arguments are `values`.
pub fn judge(
    resource_type: &str,
    key: &str,
    reported: &str,
    values: &Value,
    policy: &Policy,
) -> Judgement {
    let control = crate::tfjson::control_of_key(key);
    let detail = key[control.len()..].trim();
    let kms = text(values, "kms_key_arn");
    let tls = text(values, "minimum_tls_version").unwrap_or("1.2");
    let constant = |s: &str| Some(s.to_owned());
    let expected: Option<String> = match (resource_type, control) {
        ("phi_audit_log_sink" | "phi_bucket", "PHI-S3-002") => constant("all four blocks on"),
        ("phi_audit_log_sink" | "phi_bucket", "PHI-S3-003") => constant("BucketOwnerEnforced"),
        ("phi_audit_log_sink" | "phi_bucket", "PHI-S3-004") => {
            Some(format!("denies non-TLS and TLS below {tls}"))
        }
        ("phi_audit_log_sink" | "phi_bucket", "PHI-S3-005") => constant("Enabled"),
        ("phi_audit_log_sink", "PHI-S3-001") => kms.map(|k| format!("aws:kms key={k} bucket_key=true")),
        ("phi_audit_log_sink", "PHI-AUD-001") => values.get("retention_days").and_then(Value::as_i64).map(
            |days| {
                format!(
                    "{} default retention {days} days",
                    text(values, "object_lock_mode").unwrap_or("COMPLIANCE")
                )
            },
        ),
        ("phi_audit_log_sink", "PHI-LOG-001") => values
            .get("retention_days")
            .and_then(Value::as_i64)
            .map(|d| format!("{d} days")),
        ("phi_audit_log_sink", "PHI-LOG-002") => kms.map(str::to_owned),
        ("phi_audit_log_sink", "PHI-LOG-003") => constant("on"),
        ("phi_audit_log_sink", "PHI-LOG-004") => constant("STANDARD"),
        ("phi_audit_log_sink", "PHI-S3-011") => match (text(values, "name"), kms) {
            (Some(name), Some(k)) => Some(format!(
                "logging, multi-region, log file validation on; encrypted with {k}; \
                 events to log group /phi-guard/audit/{name}"
            )),
            _ => None,
        },
        ("phi_bucket", "PHI-S3-001") => kms.map(|k| {
            format!(
                "{} key={k} bucket_key=true",
                text(values, "encryption_algorithm").unwrap_or("aws:kms")
            )
        }),
        ("phi_bucket", "PHI-S3-006") => constant("SSE-C blocked"),
        ("phi_bucket", "PHI-S3-007") => values
            .get("noncurrent_version_retention_days")
            .and_then(Value::as_i64)
            .map(|d| {
                format!(
                    "abort incomplete uploads after 7 days; noncurrent versions expire after {d} days"
                )
            }),
        ("phi_bucket", "PHI-S3-010") if values.get("replication").is_none_or(Value::is_null) => {
            constant("none")
        }
        ("phi_bucket", "PHI-S3-011") => text(values, "audit_log_sink")
            .map(|s| format!("data events recorded by trail phi-guard-{s}")),
        ("phi_database", "PHI-RDS-001") => kms.map(|k| format!("encrypted with {k}")),
        ("phi_database", "PHI-RDS-002") => constant("not publicly accessible"),
        ("phi_database", "PHI-RDS-003") if detail.contains("parameter group") => {
            text(values, "identifier").map(|i| format!("{i}-phi (in-sync)"))
        }
        ("phi_database", "PHI-RDS-003") => engine(values).map(|e| {
            e.tls_parameters()
                .iter()
                .map(|(n, v)| format!("{n}={v}"))
                .collect::<Vec<_>>()
                .join(" ")
        }),
        ("phi_database", "PHI-RDS-004") => {
            kms.map(|k| format!("managed by RDS, encrypted with {k}"))
        }
        ("phi_database", "PHI-RDS-005" | "PHI-RDS-012") => constant("on"),
        ("phi_database", "PHI-RDS-006") if detail.starts_with("log group") => {
            return log_group(reported, kms, policy);
        }
        ("phi_database", "PHI-RDS-006") => engine(values).map(|e| {
            let mut types = e.log_types().to_vec();
            types.sort_unstable();
            types.join(", ")
        }),
        ("phi_database", "PHI-RDS-011") if detail.contains("CA") => constant("current"),
        ("phi_database", "PHI-RDS-011") => constant("on"),
        ("phi_kms_key", "PHI-KMS-003") => constant("Enabled"),
        ("phi_kms_key", "PHI-KMS-004") => values
            .get("rotation_period_days")
            .and_then(Value::as_i64)
            .map(|d| format!("every {d} days")),
        ("phi_kms_key", "PHI-KMS-010") => constant("as written by phi-guard"),
        ("phi_database", "PHI-RDS-015") => engine(values).map(|e| database_audit(e, values, policy)),
        // Performance Insights and enhanced monitoring, as
        // `provider/src/resources/database/insights.rs` words them.
        ("phi_database", "PHI-RDS-016") => match values.get("performance_insights") {
            Some(Value::Bool(false)) => constant("off"),
            Some(Value::Bool(true)) => kms.zip(
                values
                    .get("performance_insights_retention_days")
                    .and_then(Value::as_i64),
            )
            .map(|(k, days)| format!("on, encrypted with {k}, {days} days")),
            _ => None,
        },
        ("phi_database", "PHI-RDS-018") => {
            constant("no manual snapshot shared outside the allowed accounts")
        }
        // As `provider/src/resources/database/secret_rotation.rs` words it.
        ("phi_database", "PHI-RDS-019") => Some(format!(
            "on, at most every {} days",
            policy.database().secret_rotation_max_days
        )),
        ("phi_database", "PHI-RDS-017") => match values.get("enhanced_monitoring") {
            Some(Value::Bool(false)) => constant("off"),
            Some(Value::Bool(true)) => Some(format!(
                "every {} seconds, role {}",
                policy.database().enhanced_monitoring_interval,
                text(values, "monitoring_role_arn")
                    .map_or("phi-guard-rds-monitoring", |a| a.rsplit('/').next().unwrap_or(a))
            )),
            _ => None,
        },
        _ => None,
    };
    equal(reported, expected)
}

/// The settings one `enforced` entry holds. State written since schema
/// version 1 keys the map by control id alone and writes a control with
/// several settings as `name: value; name: value` (see the provider's
/// `resources/enforced.rs`); each of those is judged on its own, under the
/// finer key the provider observes it by (`PHI-RDS-003 parameter group`).
/// A single setting, whose value may itself hold `; ` (a lifecycle's two
/// rules), stays whole: only an entry whose every part is `name: value`
/// is split.
pub fn settings(key: &str, value: &str) -> Vec<(String, String)> {
    let bare_id = !key.contains(char::is_whitespace);
    let parts: Option<Vec<(String, String)>> = value
        .split("; ")
        .map(|part| {
            let (name, setting) = part.split_once(": ")?;
            let is_name = !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, ' ' | '-' | '_' | '.'));
            is_name.then(|| (format!("{key} {name}"), setting.to_owned()))
        })
        .collect();
    match parts {
        Some(parts) if bare_id && parts.len() > 1 => parts,
        _ => vec![(key.to_owned(), value.to_owned())],
    }
}

/// The in-database audit entry of a compliant database (PHI-RDS-015), as
/// `provider/src/resources/database/desired.rs` words it: PostgreSQL's
/// pgaudit preloaded and its parameters from the policy; MySQL's option
/// group `<identifier>-phi` with the audit plugin's events.
fn database_audit(engine: Engine, values: &Value, policy: &Policy) -> String {
    use phi_policy::engines::{MYSQL_AUDIT_EVENTS, MYSQL_AUDIT_EVENTS_SETTING, MYSQL_AUDIT_OPTION};
    match engine {
        Engine::Postgres => std::iter::once("pgaudit preloaded".to_owned())
            .chain(
                policy
                    .database()
                    .postgres_audit_parameters()
                    .into_iter()
                    .filter(|(name, _)| *name != "shared_preload_libraries")
                    .map(|(name, value)| format!("{name}={value}")),
            )
            .collect::<Vec<_>>()
            .join("; "),
        Engine::Mysql => format!(
            "option group {}-phi (in-sync), {MYSQL_AUDIT_OPTION} {MYSQL_AUDIT_EVENTS_SETTING}={MYSQL_AUDIT_EVENTS}",
            text(values, "identifier").unwrap_or("?")
        ),
    }
}

fn engine(values: &Value) -> Option<Engine> {
    text(values, "engine").and_then(Engine::from_name)
}

/// An engine log group: encrypted with the database's key and kept at least
/// the policy's audit retention floor (the provider picks the smallest
/// CloudWatch value at or above it).
fn log_group(reported: &str, kms: Option<&str>, policy: &Policy) -> Judgement {
    let Some(kms) = kms else {
        return Judgement::Unjudged;
    };
    let floor = policy.audit_retention_min_days();
    let expected = format!("encrypted with {kms}, at least {floor} days");
    let days = reported
        .strip_prefix(&format!("encrypted with {kms}, "))
        .and_then(|rest| rest.strip_suffix(" days"))
        .and_then(|d| d.parse::<i64>().ok());
    match days {
        Some(d) if d >= floor => Judgement::Pass,
        _ => Judgement::Fail(expected),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn judges_in_the_providers_words() {
        let p = Policy::baseline();
        let sink =
            json!({"kms_key_arn": "K", "retention_days": 2192, "object_lock_mode": "COMPLIANCE"});
        let j = |k: &str, v: &str| judge("phi_audit_log_sink", k, v, &sink, &p);
        assert_eq!(
            j("PHI-LOG-001 log group retention", "2192 days"),
            Judgement::Pass
        );
        assert_eq!(
            j("PHI-LOG-001 log group retention", "30 days"),
            Judgement::Fail("2192 days".to_owned())
        );
        // The key spelled as the bare control id works the same.
        assert_eq!(j("PHI-LOG-001", "2192 days"), Judgement::Pass);
        assert_eq!(j("PHI-XYZ-001 something new", "x"), Judgement::Unjudged);
        let db = json!({"kms_key_arn": "K", "engine": "postgres", "identifier": "ehr"});
        let d = |k: &str, v: &str| judge("phi_database", k, v, &db, &p);
        assert_eq!(
            d(
                "PHI-RDS-006 log group postgresql",
                "encrypted with K, 2192 days"
            ),
            Judgement::Pass
        );
        assert!(matches!(
            d(
                "PHI-RDS-006 log group postgresql",
                "encrypted with K, 30 days"
            ),
            Judgement::Fail(_)
        ));
        assert_eq!(
            d("PHI-RDS-003 parameter group", "ehr-phi (in-sync)"),
            Judgement::Pass
        );
        // In-database audit, in the provider's words (desired.rs).
        let pgaudit = "pgaudit preloaded; pgaudit.log=ddl,role,write,read; \
                       pgaudit.log_parameter=0; log_connections=1; log_disconnections=1";
        assert_eq!(d("PHI-RDS-015", pgaudit), Judgement::Pass);
        assert!(matches!(
            d(
                "PHI-RDS-015",
                &pgaudit.replace("pgaudit preloaded", "pgaudit NOT preloaded")
            ),
            Judgement::Fail(_)
        ));
        let my = json!({"engine": "mysql", "identifier": "billing"});
        assert_eq!(
            judge(
                "phi_database",
                "PHI-RDS-015",
                "option group billing-phi (in-sync), MARIADB_AUDIT_PLUGIN \
                 SERVER_AUDIT_EVENTS=CONNECT,QUERY_DCL,QUERY_DDL,QUERY_DML",
                &my,
                &p
            ),
            Judgement::Pass
        );
        assert!(matches!(
            judge(
                "phi_database",
                "PHI-RDS-015",
                "option group billing-phi (in-sync), MARIADB_AUDIT_PLUGIN missing",
                &my,
                &p
            ),
            Judgement::Fail(_)
        ));
    }

    #[test]
    fn a_control_with_several_settings_is_split_into_them() {
        assert_eq!(
            settings(
                "PHI-RDS-011",
                "CA certificate: current; auto minor version upgrade: on"
            ),
            vec![
                (
                    "PHI-RDS-011 CA certificate".to_owned(),
                    "current".to_owned()
                ),
                (
                    "PHI-RDS-011 auto minor version upgrade".to_owned(),
                    "on".to_owned()
                ),
            ]
        );
        // One setting whose value holds "; " stays whole, and so does an
        // ARN with colons.
        let lifecycle =
            "abort incomplete uploads after 7 days; noncurrent versions expire after 10 days";
        assert_eq!(
            settings("PHI-S3-007", lifecycle),
            vec![("PHI-S3-007".to_owned(), lifecycle.to_owned())]
        );
        let trail = "logging, multi-region, log file validation on; encrypted with arn:aws:kms:eu-central-1:1:key/k; events to log group /phi-guard/audit/a";
        assert_eq!(settings("PHI-S3-011", trail).len(), 1);
        // An older state's finer key is never split again.
        assert_eq!(
            settings("PHI-RDS-003 parameter group", "a: b; c: d").len(),
            1
        );
    }

    #[test]
    fn split_settings_of_a_compliant_database_all_pass() {
        let p = Policy::baseline();
        let db = json!({"kms_key_arn": "K", "engine": "postgres", "identifier": "ehr"});
        let reported = "log exports: postgresql, upgrade; log group postgresql: encrypted with K, 2192 days; log group upgrade: encrypted with K, 2192 days";
        for (key, value) in settings("PHI-RDS-006", reported) {
            assert_eq!(
                judge("phi_database", &key, &value, &db, &p),
                Judgement::Pass,
                "{key}"
            );
        }
        let sink = json!({"kms_key_arn": "K", "name": "a"});
        assert_eq!(
            judge(
                "phi_audit_log_sink",
                "PHI-S3-011",
                "logging, multi-region, log file validation on; encrypted with K; events to log group /phi-guard/audit/a",
                &sink,
                &p
            ),
            Judgement::Pass
        );
        assert!(matches!(
            judge(
                "phi_audit_log_sink",
                "PHI-S3-011",
                "logging, multi-region, log file validation on; encrypted with OLD; events to log group /phi-guard/audit/a",
                &sink,
                &p
            ),
            Judgement::Fail(_)
        ));
    }
}
