//! The arguments of each `phi_*` resource a configuration may set: the one
//! definition the provider's schemas are tested against (a provider test
//! fails when a schema and this table disagree) and the linter reads, so a
//! missing required argument is reported by phi-lint as `terraform validate`
//! reports it, and a misspelt one gets a "did you mean".

/// One resource type's configurable arguments.
#[derive(Debug)]
pub struct ResourceArguments {
    pub resource_type: &'static str,
    /// Arguments Terraform refuses to plan without.
    pub required: &'static [&'static str],
    /// Arguments that may be set (optional, or optional with a default).
    pub optional: &'static [&'static str],
}

pub static RESOURCE_ARGUMENTS: &[ResourceArguments] = &[
    ResourceArguments {
        resource_type: "phi_audit_log_sink",
        required: &["name", "kms_key_arn", "retention_days"],
        optional: &[
            "object_lock_mode",
            "minimum_tls_version",
            "deletion_protection",
            "tags",
            "timeouts",
        ],
    },
    ResourceArguments {
        resource_type: "phi_bucket",
        required: &["name", "kms_key_arn", "audit_log_sink"],
        optional: &[
            "encryption_algorithm",
            "minimum_tls_version",
            "noncurrent_version_retention_days",
            "deletion_protection",
            "replication",
            "tags",
            "timeouts",
        ],
    },
    ResourceArguments {
        resource_type: "phi_database",
        required: &[
            "identifier",
            "engine",
            "engine_version",
            "instance_class",
            "allocated_storage_gb",
            "kms_key_arn",
            "db_subnet_group_name",
            "vpc_security_group_ids",
        ],
        optional: &[
            "master_username",
            "audit_log_sink",
            "backup_retention_days",
            "multi_az",
            "deletion_protection",
            "publicly_accessible",
            "snapshot_identifier",
            "tags",
            "timeouts",
            "performance_insights",
            "performance_insights_retention_days",
            "enhanced_monitoring",
            "monitoring_role_arn",
        ],
    },
    ResourceArguments {
        resource_type: "phi_kms_key",
        required: &["name", "services", "administrator_arns"],
        optional: &[
            "description",
            "user_arns",
            "rotation_period_days",
            "deletion_window_days",
            "deletion_protection",
            "tags",
        ],
    },
];

/// The arguments of each `phi_*` data source (`data "phi_bucket"`), in the
/// same form: the provider's data source schemas are tested against it too.
pub static DATA_SOURCE_ARGUMENTS: &[ResourceArguments] = &[
    ResourceArguments {
        resource_type: "phi_audit_log_sink",
        required: &["name"],
        optional: &["require_compliant"],
    },
    ResourceArguments {
        resource_type: "phi_bucket",
        required: &["name"],
        optional: &["audit_log_sink", "require_compliant"],
    },
];

pub fn data_source_arguments(data_source_type: &str) -> Option<&'static ResourceArguments> {
    DATA_SOURCE_ARGUMENTS
        .iter()
        .find(|r| r.resource_type == data_source_type)
}

/// Terraform's meta-arguments, valid on every resource.
pub const META_ARGUMENTS: &[&str] = &["count", "for_each", "provider", "depends_on", "lifecycle"];

pub fn arguments(resource_type: &str) -> Option<&'static ResourceArguments> {
    RESOURCE_ARGUMENTS
        .iter()
        .find(|r| r.resource_type == resource_type)
}

impl ResourceArguments {
    /// Every name valid in the resource's block.
    pub fn all(&self) -> Vec<&'static str> {
        self.required
            .iter()
            .chain(self.optional)
            .chain(META_ARGUMENTS)
            .copied()
            .collect()
    }
}
