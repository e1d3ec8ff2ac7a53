//! Which controls a change to a `phi_*` argument touches, and how to say the
//! change in a reviewer's words ("retention 2192 → 2557 days",
//! "deletion protection turned off").

use phi_policy::ids;
use serde_json::Value;

/// Controls an argument of a `phi_*` resource type bears on. Arguments not
/// listed (names, sizes, timeouts) touch no control.
pub fn controls_of(resource_type: &str, attr: &str) -> &'static [&'static str] {
    match (resource_type, attr) {
        (_, "tags") => &[ids::TAGS_REQUIRED],
        ("phi_audit_log_sink", "kms_key_arn") => &[
            ids::KMS_KEY_ARN,
            ids::KMS_CUSTOMER_MANAGED,
            ids::S3_ENCRYPTION,
            ids::LOG_ENCRYPTION,
        ],
        ("phi_audit_log_sink", "retention_days") => &[ids::LOG_RETENTION, ids::AUDIT_LOCK_PERIOD],
        ("phi_audit_log_sink", "object_lock_mode") => &[ids::AUDIT_LOCK_MODE],
        ("phi_audit_log_sink" | "phi_bucket", "minimum_tls_version") => &[ids::S3_TLS_ONLY],
        ("phi_bucket", "kms_key_arn") => &[
            ids::KMS_KEY_ARN,
            ids::KMS_CUSTOMER_MANAGED,
            ids::S3_ENCRYPTION,
        ],
        ("phi_bucket", "encryption_algorithm") => &[ids::S3_ENCRYPTION],
        ("phi_bucket", "noncurrent_version_retention_days") => &[ids::S3_NONCURRENT_RETENTION],
        ("phi_bucket", "deletion_protection") => &[ids::S3_DELETION_PROTECTION],
        ("phi_bucket", "replication") => &[ids::S3_REPLICATION_REGION],
        ("phi_bucket", "audit_log_sink") => &[ids::S3_ACCESS_RECORDED],
        ("phi_database", "kms_key_arn") => &[
            ids::KMS_KEY_ARN,
            ids::KMS_CUSTOMER_MANAGED,
            ids::RDS_ENCRYPTION,
            ids::RDS_MANAGED_SECRET,
        ],
        ("phi_database", "engine" | "engine_version") => &[ids::RDS_ENGINE_APPROVED],
        ("phi_database", "backup_retention_days") => &[ids::RDS_BACKUP_RETENTION],
        ("phi_database", "multi_az") => &[ids::RDS_MULTI_AZ],
        ("phi_database", "deletion_protection") => &[ids::RDS_DELETION_SAFETY],
        ("phi_database", "publicly_accessible") => &[ids::RDS_NOT_PUBLIC],
        ("phi_database", "performance_insights" | "performance_insights_retention_days") => {
            &[ids::RDS_PERFORMANCE_INSIGHTS]
        }
        ("phi_database", "enhanced_monitoring" | "monitoring_role_arn") => {
            &[ids::RDS_ENHANCED_MONITORING]
        }
        _ => &[],
    }
}

/// Computed attributes that say nothing a reviewer decides on: they change
/// because something else did. `enforced` is handled on its own.
pub fn is_derived(attr: &str) -> bool {
    matches!(
        attr,
        "id" | "arn"
            | "address"
            | "port"
            | "bucket_arn"
            | "log_group_arn"
            | "log_group_name"
            | "engine_version_actual"
            | "parameter_group_name"
            | "master_user_secret_arn"
            | "enforced"
            | "timeouts"
    )
}

/// `retention_days` -> "retention", `deletion_protection` -> "deletion protection".
pub fn label(attr: &str) -> String {
    attr.strip_suffix("_days").unwrap_or(attr).replace('_', " ")
}

fn unit(attr: &str) -> &'static str {
    if attr.ends_with("_days") {
        " days"
    } else if attr.ends_with("_gb") {
        " GiB"
    } else {
        ""
    }
}

fn value(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => "unset".to_owned(),
        Some(Value::String(s)) => format!("\"{s}\""),
        Some(other) => other.to_string(),
    }
}

/// One argument's change in words. `after == None` means "known after apply".
pub fn describe(attr: &str, before: Option<&Value>, after: Option<&Value>) -> String {
    let name = label(attr);
    match (before, after) {
        (_, None) => format!("{name} known after apply"),
        (Some(Value::Bool(_)) | None | Some(Value::Null), Some(Value::Bool(b))) => {
            format!("{name} turned {}", if *b { "on" } else { "off" })
        }
        (Some(Value::Number(a)), Some(Value::Number(b))) => {
            format!("{name} {a} → {b}{}", unit(attr))
        }
        (Some(a), Some(b)) => format!("{name} {} → {}", value(Some(a)), value(Some(b))),
        (None, Some(b)) => format!("{name} {}", value(Some(b))),
    }
}

/// An argument's value when a resource is created: "retention 2192 days".
pub fn describe_new(attr: &str, after: Option<&Value>) -> String {
    match after {
        None => format!("{} known after apply", label(attr)),
        Some(Value::Bool(b)) => format!("{} {}", label(attr), if *b { "on" } else { "off" }),
        Some(Value::Number(n)) => format!("{} {n}{}", label(attr), unit(attr)),
        Some(v) => format!("{} {}", label(attr), value(Some(v))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_mapped_control_is_enforced_by_that_resource_type() {
        let attrs = [
            "tags",
            "kms_key_arn",
            "retention_days",
            "object_lock_mode",
            "minimum_tls_version",
            "encryption_algorithm",
            "noncurrent_version_retention_days",
            "deletion_protection",
            "replication",
            "audit_log_sink",
            "engine",
            "engine_version",
            "backup_retention_days",
            "multi_az",
            "publicly_accessible",
        ];
        for ty in ["phi_audit_log_sink", "phi_bucket", "phi_database"] {
            for attr in attrs {
                for id in controls_of(ty, attr) {
                    let c = phi_policy::control(id).expect("a catalogue control");
                    assert!(c.resources.contains(&ty), "{ty}.{attr}: {id}");
                }
            }
        }
    }

    #[test]
    fn changes_in_a_reviewers_words() {
        assert_eq!(
            describe("retention_days", Some(&json!(2192)), Some(&json!(2557))),
            "retention 2192 → 2557 days"
        );
        assert_eq!(
            describe(
                "deletion_protection",
                Some(&json!(true)),
                Some(&json!(false))
            ),
            "deletion protection turned off"
        );
        assert_eq!(
            describe("engine_version", Some(&json!("16.4")), None),
            "engine version known after apply"
        );
    }
}
