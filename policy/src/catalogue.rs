//! The control catalogue: every control the provider and the linter enforce,
//! defined once, with its regulation references, severity, rationale and
//! remediation. Find any control here by its id.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Critical,
    High,
    Medium,
    Low,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Critical => "critical",
            Severity::High => "high",
            Severity::Medium => "medium",
            Severity::Low => "low",
        })
    }
}

/// How a control is enforced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Enforcement {
    /// Secure by construction: not configurable, restored when drift is read.
    AlwaysOn,
    /// Checked from configuration values at plan time (phi-lint checks them
    /// before any plan).
    Static,
    /// Checked at plan time through the AWS API (and again at apply).
    Api,
    /// About the policy document itself.
    Policy,
    /// Reported by phi-lint, before any plan.
    Lint,
    /// Set by the provider when it creates the resource; AWS cannot change
    /// it on an existing resource, so drift is shown but not restored in place.
    AtCreation,
    /// Destroy and replace are refused at plan while `deletion_protection`
    /// is on; turning it off is a separate, reviewed apply.
    DeletionGuard,
}

impl fmt::Display for Enforcement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Enforcement::AlwaysOn => {
                "always on: set by the provider, not configurable; drift is detected on refresh and restored by apply"
            }
            Enforcement::Static => {
                "refused at plan time from the configuration values (and reported by phi-lint before any plan)"
            }
            Enforcement::Api => {
                "refused at plan time after inspecting the AWS resource, and checked again at the start of apply"
            }
            Enforcement::Policy => "checked whenever the policy is evaluated",
            Enforcement::Lint => "reported by phi-lint on the Terraform source, before any plan",
            Enforcement::AtCreation => {
                "always on: set by the provider when it creates the resource, not configurable; \
                 drift is detected on refresh and shown in the plan, but AWS cannot change it on \
                 an existing resource, so it is not restored in place: the resource must be \
                 replaced"
            }
            Enforcement::DeletionGuard => {
                "destroy and replace are refused at plan time, and again at apply, while the \
                 resource's `deletion_protection` argument is true (the default); turning it off \
                 is a separate apply a reviewer sees"
            }
        })
    }
}

#[derive(Debug, PartialEq, Eq)]
pub struct Control {
    pub id: &'static str,
    pub title: &'static str,
    pub hipaa: &'static [&'static str],
    pub gdpr: &'static [&'static str],
    pub severity: Severity,
    /// Why the control matters.
    pub rationale: &'static str,
    /// How to fix a violation.
    pub remediation: &'static str,
    /// The `phi_*` resource types that enforce it.
    pub resources: &'static [&'static str],
    pub enforcement: Enforcement,
}

/// Control ids, so callers never spell them by hand.
pub mod ids {
    pub const REGION_APPROVED: &str = "PHI-REG-001";
    pub const KMS_KEY_ARN: &str = "PHI-KMS-001";
    pub const KMS_CUSTOMER_MANAGED: &str = "PHI-KMS-002";
    pub const KMS_ENABLED: &str = "PHI-KMS-003";
    pub const KMS_ROTATION: &str = "PHI-KMS-004";
    pub const KMS_SYMMETRIC: &str = "PHI-KMS-005";
    pub const KMS_SAME_REGION: &str = "PHI-KMS-006";
    pub const KMS_SAME_ACCOUNT: &str = "PHI-KMS-007";
    pub const KMS_ORIGIN: &str = "PHI-KMS-008";
    pub const KMS_MULTI_REGION: &str = "PHI-KMS-009";
    pub const LOG_RETENTION: &str = "PHI-LOG-001";
    pub const LOG_ENCRYPTION: &str = "PHI-LOG-002";
    pub const LOG_DELETION_PROTECTION: &str = "PHI-LOG-003";
    pub const LOG_CLASS: &str = "PHI-LOG-004";
    pub const AUDIT_LOCK_MODE: &str = "PHI-AUD-001";
    pub const AUDIT_LOCK_PERIOD: &str = "PHI-AUD-002";
    pub const S3_ENCRYPTION: &str = "PHI-S3-001";
    pub const S3_PUBLIC_ACCESS_BLOCK: &str = "PHI-S3-002";
    pub const S3_ACLS_DISABLED: &str = "PHI-S3-003";
    pub const S3_TLS_ONLY: &str = "PHI-S3-004";
    pub const S3_VERSIONING: &str = "PHI-S3-005";
    pub const S3_SSE_C_BLOCKED: &str = "PHI-S3-006";
    pub const S3_ABORT_UPLOADS: &str = "PHI-S3-007";
    pub const S3_NONCURRENT_RETENTION: &str = "PHI-S3-008";
    pub const S3_DELETION_PROTECTION: &str = "PHI-S3-009";
    pub const S3_REPLICATION_REGION: &str = "PHI-S3-010";
    pub const S3_ACCESS_RECORDED: &str = "PHI-S3-011";
    pub const TAGS_REQUIRED: &str = "PHI-TAG-001";
    pub const EXCEPTION_VALID: &str = "PHI-EXC-001";
    pub const LINT_UNVERIFIABLE: &str = "PHI-LNT-001";
    pub const LINT_PARSE_ERROR: &str = "PHI-LNT-002";
    pub const LINT_RAW_RESOURCE: &str = "PHI-LNT-003";
    pub const LINT_MODULE_SOURCE: &str = "PHI-LNT-004";
    pub const RDS_ENCRYPTION: &str = "PHI-RDS-001";
    pub const RDS_NOT_PUBLIC: &str = "PHI-RDS-002";
    pub const RDS_TLS: &str = "PHI-RDS-003";
    pub const RDS_MANAGED_SECRET: &str = "PHI-RDS-004";
    pub const RDS_IAM_AUTH: &str = "PHI-RDS-005";
    pub const RDS_LOG_EXPORTS: &str = "PHI-RDS-006";
    pub const RDS_BACKUP_RETENTION: &str = "PHI-RDS-007";
    pub const RDS_DELETION_SAFETY: &str = "PHI-RDS-008";
    pub const RDS_ENGINE_APPROVED: &str = "PHI-RDS-009";
    pub const RDS_MULTI_AZ: &str = "PHI-RDS-010";
    pub const RDS_PATCHING: &str = "PHI-RDS-011";
    pub const RDS_COPY_TAGS: &str = "PHI-RDS-012";
    pub const RDS_PRIVATE_SUBNETS: &str = "PHI-RDS-013";
    pub const RDS_NO_INTERNET_INGRESS: &str = "PHI-RDS-014";
    pub const RDS_DATABASE_AUDIT: &str = "PHI-RDS-015";
    pub const RDS_PERFORMANCE_INSIGHTS: &str = "PHI-RDS-016";
    pub const RDS_ENHANCED_MONITORING: &str = "PHI-RDS-017";
    pub const RDS_SNAPSHOTS_NOT_SHARED: &str = "PHI-RDS-018";
    pub const RDS_SECRET_ROTATION: &str = "PHI-RDS-019";
    pub const LINT_SUPPRESSION_INVALID: &str = "PHI-LNT-005";
    pub const LINT_SUPPRESSION_UNUSED: &str = "PHI-LNT-006";
    pub const LINT_PROVIDER_PINNED: &str = "PHI-LNT-007";
    pub const LINT_ARGUMENTS: &str = "PHI-LNT-008";
    pub const KMS_POLICY_NOT_PUBLIC: &str = "PHI-KMS-010";
    pub const KMS_POLICY_ADMITS_SERVICES: &str = "PHI-KMS-011";
    pub const KMS_POLICY_BREAK_GLASS: &str = "PHI-KMS-012";
    pub const AUDIT_ARCHIVE_GUARDED: &str = "PHI-AUD-003";
}

/// Resource types that exist today. `phi_bucket` and `phi_database` are added
/// to a control's list in the change that implements them, so the generated
/// pages never claim enforcement that does not exist yet.
const SINK: &[&str] = &["phi_audit_log_sink"];
const DB: &[&str] = &["phi_database"];
const BUCKET: &[&str] = &["phi_bucket"];
/// Controls every S3 bucket the provider creates enforces.
const S3: &[&str] = &["phi_audit_log_sink", "phi_bucket"];
const ALL: &[&str] = &["phi_audit_log_sink", "phi_bucket", "phi_database"];
/// Checked on the keys the resources are given, and enforced by
/// `phi_kms_key` on the keys it makes.
const ALL_AND_KEY: &[&str] = &[
    "phi_audit_log_sink",
    "phi_bucket",
    "phi_database",
    "phi_kms_key",
];
const SINK_AND_KEY: &[&str] = &["phi_audit_log_sink", "phi_kms_key"];

static CONTROLS: &[Control] = &[
    Control {
        id: ids::REGION_APPROVED,
        title: "Resources only in approved regions",
        hipaa: &["164.308(b)(1)", "164.314(a)"],
        gdpr: &["Art. 44", "Art. 45", "Art. 46"],
        severity: Severity::Critical,
        rationale: "Where PHI is stored decides which law governs it and whether a transfer outside \
            the EEA (GDPR Chapter V) or outside the business-associate boundary happens. Only the \
            organisation knows which regions its agreements and risk assessments cover.",
        remediation: "Set the `region` of the phi provider block (or of the provider alias the \
            resource uses) to one of the regions the policy approves. If the organisation has approved another region, add it to the \
            `regions` block of the policy file.",
        resources: ALL,
        enforcement: Enforcement::Static,
    },
    Control {
        id: ids::KMS_KEY_ARN,
        title: "KMS key referenced by its full key ARN",
        hipaa: &["164.312(a)(2)(iv)"],
        gdpr: &["Art. 32"],
        severity: Severity::High,
        rationale: "An alias or bare key id can be repointed or resolves differently per region and \
            account; only a full key ARN (`arn:aws:kms:<region>:<account>:key/<id>`) says exactly \
            which key protects the data, so region and account can be verified before anything \
            is created.",
        remediation: "Use the key's ARN, e.g. `aws_kms_key.phi.arn` or \
            `arn:aws:kms:eu-central-1:111122223333:key/1234abcd-...`, not `alias/...` or a key id.",
        resources: ALL,
        enforcement: Enforcement::Static,
    },
    Control {
        id: ids::KMS_CUSTOMER_MANAGED,
        title: "Customer-managed KMS key",
        hipaa: &["164.312(a)(2)(iv)", "164.308(a)(1)(ii)(B)"],
        gdpr: &["Art. 32"],
        severity: Severity::Critical,
        rationale: "AWS-managed keys (`aws/s3`, `aws/rds`, `aws/logs`...) cannot have their key \
            policy restricted, rotated on the organisation's schedule, or disabled to revoke \
            access: whoever can use the service can decrypt. A customer-managed key keeps \
            control of decryption with the organisation.",
        remediation: "Create a customer-managed symmetric key with `phi_kms_key` (or \
            `aws_kms_key` with `enable_key_rotation = true`) and pass its ARN.",
        resources: ALL,
        enforcement: Enforcement::Api,
    },
    Control {
        id: ids::KMS_ENABLED,
        title: "KMS key enabled and not pending deletion",
        hipaa: &["164.308(a)(7)", "164.312(c)(1)"],
        gdpr: &["Art. 32(1)(b)", "Art. 32(1)(c)"],
        severity: Severity::Critical,
        rationale: "Data encrypted under a disabled key cannot be read, and under a key pending \
            deletion it is lost for good when the waiting period ends: audit records and PHI \
            would become unavailable.",
        remediation: "Enable the key (`aws kms enable-key`) or cancel its deletion \
            (`aws kms cancel-key-deletion`), or use another enabled customer-managed key.",
        resources: ALL_AND_KEY,
        enforcement: Enforcement::Api,
    },
    Control {
        id: ids::KMS_ROTATION,
        title: "KMS key rotates automatically at least yearly",
        hipaa: &["164.312(a)(2)(iv)"],
        gdpr: &["Art. 32"],
        severity: Severity::High,
        rationale: "Automatic rotation limits how much data one key version protects and is \
            expected by every HIPAA and GDPR security baseline; the policy sets the longest \
            acceptable rotation period (baseline 365 days).",
        remediation: "Turn on automatic rotation (`enable_key_rotation = true`, and \
            `rotation_period_in_days` at most the policy maximum). `phi_kms_key` always rotates; \
            its `rotation_period_days` must not exceed the policy maximum.",
        resources: ALL_AND_KEY,
        enforcement: Enforcement::Api,
    },
    Control {
        id: ids::KMS_SYMMETRIC,
        title: "Symmetric encryption key",
        hipaa: &["164.312(a)(2)(iv)"],
        gdpr: &["Art. 32"],
        severity: Severity::High,
        rationale: "S3, RDS, CloudWatch Logs and Secrets Manager encrypt only with symmetric \
            `SYMMETRIC_DEFAULT` keys used for `ENCRYPT_DECRYPT`; any other key fails at create \
            time or is the wrong key.",
        remediation: "Use a key with key spec `SYMMETRIC_DEFAULT` and key usage `ENCRYPT_DECRYPT`.",
        resources: ALL,
        enforcement: Enforcement::Api,
    },
    Control {
        id: ids::KMS_SAME_REGION,
        title: "KMS key in the same region as the resource",
        hipaa: &["164.308(b)(1)"],
        gdpr: &["Art. 44"],
        severity: Severity::High,
        rationale: "AWS services only encrypt with keys in their own region; a key elsewhere \
            either fails at create time or means key material outside the approved region.",
        remediation: "Use a key created in the resource's region.",
        resources: ALL,
        enforcement: Enforcement::Static,
    },
    Control {
        id: ids::KMS_SAME_ACCOUNT,
        title: "KMS key in the same account (or an allowed account)",
        hipaa: &["164.308(b)(1)"],
        gdpr: &["Art. 28", "Art. 32"],
        severity: Severity::High,
        rationale: "A key in another account puts decryption of PHI under someone else's control, \
            outside the boundary the business-associate agreement and access reviews cover.",
        remediation: "Use a key in the same account, or add the key's account to \
            `kms.allowed_accounts` in the policy if the organisation runs a central key account.",
        resources: ALL,
        enforcement: Enforcement::Static,
    },
    Control {
        id: ids::KMS_ORIGIN,
        title: "Key material generated by AWS KMS",
        hipaa: &["164.308(a)(7)"],
        gdpr: &["Art. 32(1)(b)"],
        severity: Severity::Medium,
        rationale: "Imported key material (`EXTERNAL`) can expire and cannot rotate automatically; \
            keys in an external key store (`EXTERNAL_KEY_STORE`) depend on hardware outside AWS. \
            Either can make PHI unreadable. CloudHSM-backed keys (`AWS_CLOUDHSM`) cannot rotate \
            automatically either, so the baseline refuses them too.",
        remediation: "Use a key with origin `AWS_KMS`. An organisation that runs its own CloudHSM \
            key store records that with an `exception` block for this control.",
        resources: ALL,
        enforcement: Enforcement::Api,
    },
    Control {
        id: ids::KMS_MULTI_REGION,
        title: "Multi-Region keys only within approved regions",
        hipaa: &["164.308(b)(1)"],
        gdpr: &["Art. 44", "Art. 45", "Art. 46"],
        severity: Severity::High,
        rationale: "A multi-Region key's replicas can decrypt the same data in every region they \
            live in; a replica outside the approved regions is a transfer of the means to read PHI.",
        remediation: "Use a single-region key, or remove replicas in regions the policy does not \
            approve.",
        resources: ALL,
        enforcement: Enforcement::Api,
    },
    Control {
        id: ids::LOG_RETENTION,
        title: "Audit retention explicit, at least the policy floor, bounded",
        hipaa: &["164.316(b)(2)(i)", "164.530(j)"],
        gdpr: &["Art. 5(1)(e)", "Art. 5(2)", "Art. 30"],
        severity: Severity::High,
        rationale: "Audit records are the evidence of who accessed PHI; HIPAA documentation is kept \
            six years (2192 days), which the baseline applies to audit logs. GDPR requires an upper \
            bound, so retention is never 'forever': the log group expires events after \
            `retention_days`, and the archive bucket's lifecycle rule expires records and their \
            noncurrent versions once that period (and their Object Lock) has passed, never \
            before. CloudWatch Logs accepts only certain values.",
        remediation: "Set `retention_days` to a value CloudWatch Logs accepts between the policy \
            floor and maximum: with the baseline 2192, 2557, 2922, 3288 or 3653.",
        resources: SINK,
        enforcement: Enforcement::Static,
    },
    Control {
        id: ids::LOG_ENCRYPTION,
        title: "Log group encrypted with the customer-managed key",
        hipaa: &["164.312(a)(2)(iv)", "164.312(b)"],
        gdpr: &["Art. 32"],
        severity: Severity::High,
        rationale: "Audit events can contain identifiers of patients and staff; CloudWatch Logs \
            encrypts with a service key unless a customer-managed key is associated.",
        remediation: "Nothing to configure: the provider associates the sink's key. If drift is \
            reported, run `terraform apply` to re-associate it.",
        resources: SINK,
        enforcement: Enforcement::AlwaysOn,
    },
    Control {
        id: ids::LOG_DELETION_PROTECTION,
        title: "Log group deletion protection on",
        hipaa: &["164.312(b)", "164.312(c)(1)"],
        gdpr: &["Art. 5(1)(f)"],
        severity: Severity::High,
        rationale: "Deleting a log group destroys every audit event in it at once; deletion \
            protection makes that a deliberate, separate step.",
        remediation: "Nothing to configure: the provider turns it on. If drift is reported, run \
            `terraform apply` to turn it back on.",
        resources: SINK,
        enforcement: Enforcement::AlwaysOn,
    },
    Control {
        id: ids::LOG_CLASS,
        title: "Log group class STANDARD",
        hipaa: &["164.308(a)(1)(ii)(D)"],
        gdpr: &["Art. 32(1)(d)"],
        severity: Severity::Medium,
        rationale: "The Infrequent Access class has no metric filters, subscription filters or \
            alarms, so security monitoring of the audit trail would be impossible.",
        remediation: "Nothing to configure: the provider creates STANDARD log groups. A group of \
            another class (for example an imported one) must be recreated: CloudWatch Logs cannot \
            change the class of an existing group, so apply reports it as a failed step.",
        resources: SINK,
        enforcement: Enforcement::AtCreation,
    },
    Control {
        id: ids::AUDIT_LOCK_MODE,
        title: "Object Lock in COMPLIANCE mode",
        hipaa: &["164.312(c)(1)", "164.312(b)"],
        gdpr: &["Art. 5(1)(f)"],
        severity: Severity::Critical,
        rationale: "In GOVERNANCE mode anyone with `s3:BypassGovernanceRetention` can delete or \
            shorten the retention of audit records; in COMPLIANCE mode no one can, not even the \
            account root user, so the audit trail is tamper-proof.",
        remediation: "Remove `object_lock_mode` (the default is COMPLIANCE) or set it to \
            \"COMPLIANCE\".",
        resources: SINK,
        enforcement: Enforcement::Static,
    },
    Control {
        id: ids::AUDIT_LOCK_PERIOD,
        title: "Object Lock default retention covers the audit retention",
        hipaa: &["164.312(c)(1)", "164.316(b)(2)(i)"],
        gdpr: &["Art. 5(1)(f)"],
        severity: Severity::High,
        rationale: "Records are only immutable for the lock period; a shorter lock than the \
            retention leaves records deletable while they must still be kept.",
        remediation: "Nothing to configure: the lock period follows `retention_days`. If drift is \
            reported, run `terraform apply`.",
        resources: SINK,
        enforcement: Enforcement::AlwaysOn,
    },
    Control {
        id: ids::S3_ENCRYPTION,
        title: "S3 default encryption SSE-KMS with the customer-managed key",
        hipaa: &["164.312(a)(2)(iv)", "164.312(e)(2)(ii)"],
        gdpr: &["Art. 32"],
        severity: Severity::Critical,
        rationale: "Default SSE-S3 encryption is decryptable by anyone who can read the bucket; \
            SSE-KMS with a customer-managed key adds a second, auditable authorisation for every \
            read. The bucket key keeps KMS costs and throttling down.",
        remediation: "Nothing to configure: the provider sets it. If drift is reported, run \
            `terraform apply`.",
        resources: S3,
        enforcement: Enforcement::AlwaysOn,
    },
    Control {
        id: ids::S3_PUBLIC_ACCESS_BLOCK,
        title: "All four S3 public access blocks on",
        hipaa: &["164.312(a)(1)", "164.308(a)(4)"],
        gdpr: &["Art. 32", "Art. 25"],
        severity: Severity::Critical,
        rationale: "Public buckets are the most common cause of health-data breaches; the four \
            blocks make a public ACL or policy impossible rather than merely absent.",
        remediation: "Nothing to configure: the provider sets them. If drift is reported, run \
            `terraform apply`.",
        resources: S3,
        enforcement: Enforcement::AlwaysOn,
    },
    Control {
        id: ids::S3_ACLS_DISABLED,
        title: "S3 ACLs disabled (bucket owner enforced)",
        hipaa: &["164.312(a)(1)"],
        gdpr: &["Art. 32"],
        severity: Severity::High,
        rationale: "With ACLs disabled, access is decided by policies alone, which are reviewed \
            and versioned; object ACLs are invisible to most reviews.",
        remediation: "Nothing to configure: the provider sets `BucketOwnerEnforced`. If drift is \
            reported, run `terraform apply`.",
        resources: S3,
        enforcement: Enforcement::AlwaysOn,
    },
    Control {
        id: ids::S3_TLS_ONLY,
        title: "Bucket policy denies non-TLS requests and old TLS versions",
        hipaa: &["164.312(e)(1)", "164.312(e)(2)(i)"],
        gdpr: &["Art. 32(1)(a)"],
        severity: Severity::High,
        rationale: "PHI in transit must be encrypted; S3 accepts plain HTTP unless a policy denies \
            `aws:SecureTransport = false`, and only a policy can require a minimum TLS version.",
        remediation: "Nothing to configure (choose `minimum_tls_version` 1.2 or 1.3). If drift is \
            reported, run `terraform apply` to restore the policy.",
        resources: S3,
        enforcement: Enforcement::AlwaysOn,
    },
    Control {
        id: ids::S3_VERSIONING,
        title: "S3 versioning enabled",
        hipaa: &["164.312(c)(1)", "164.308(a)(7)(ii)(A)"],
        gdpr: &["Art. 32(1)(c)"],
        severity: Severity::High,
        rationale: "Versioning keeps every overwritten or deleted object recoverable, protecting \
            integrity and availability against mistakes and ransomware.",
        remediation: "Nothing to configure: the provider enables it. If drift is reported, run \
            `terraform apply`.",
        resources: S3,
        enforcement: Enforcement::AlwaysOn,
    },
    Control {
        id: ids::S3_SSE_C_BLOCKED,
        title: "S3 uploads with customer-provided keys (SSE-C) blocked",
        hipaa: &["164.312(a)(2)(iv)"],
        gdpr: &["Art. 32"],
        severity: Severity::High,
        rationale: "With SSE-C the caller supplies the key on every request and AWS keeps no copy: \
            objects written that way bypass the customer-managed key, its policy and its audit \
            trail, and are lost if the caller loses the key.",
        remediation: "Nothing to configure: the provider blocks SSE-C in the bucket's encryption \
            configuration (`BlockedEncryptionTypes`), on PHI buckets and on the audit archive. If \
            drift is reported, run `terraform apply`.",
        resources: S3,
        enforcement: Enforcement::AlwaysOn,
    },
    Control {
        id: ids::S3_ABORT_UPLOADS,
        title: "Lifecycle rule aborts incomplete multipart uploads",
        hipaa: &["164.310(d)(2)(i)", "164.316(b)(2)(i)"],
        gdpr: &["Art. 5(1)(e)"],
        severity: Severity::Medium,
        rationale: "Parts of an upload that never completed are invisible in object listings but \
            hold PHI indefinitely; a lifecycle rule removes them after 7 days.",
        remediation: "Nothing to configure: the provider sets the lifecycle rule (on the audit \
            archive the same rule also expires records after the retention period, PHI-LOG-001). \
            If drift is reported, run `terraform apply`.",
        resources: S3,
        enforcement: Enforcement::AlwaysOn,
    },
    Control {
        id: ids::S3_NONCURRENT_RETENTION,
        title: "Noncurrent object versions kept for a bounded period",
        hipaa: &["164.308(a)(7)(ii)(A)", "164.312(c)(1)"],
        gdpr: &["Art. 5(1)(e)", "Art. 32(1)(c)"],
        severity: Severity::Medium,
        rationale: "Versioning only protects against mistakes and ransomware while old versions \
            are kept (at least 30 days); keeping them forever breaks GDPR's storage limitation, so \
            the policy's retention maximum is the ceiling.",
        remediation: "Set `noncurrent_version_retention_days` between 30 and the policy maximum \
            (baseline 3653); the default is 365.",
        resources: BUCKET,
        enforcement: Enforcement::Static,
    },
    Control {
        id: ids::S3_DELETION_PROTECTION,
        title: "PHI bucket and audit sink destroy refused while deletion protection is on",
        hipaa: &["164.308(a)(7)", "164.312(c)(1)"],
        gdpr: &["Art. 32(1)(c)"],
        severity: Severity::High,
        rationale: "Destroying a bucket of PHI by a mistaken `terraform destroy` or a renamed \
            resource loses records that must be kept. Turning protection off first makes deletion \
            a deliberate, reviewed change; the bucket is never emptied by the provider.",
        remediation: "To delete the bucket on purpose: set `deletion_protection = false`, apply, \
            empty the bucket under your retention rules, then destroy. An audit sink is only \
            deleted once its archive holds no record and its log group no event.",
        resources: S3,
        enforcement: Enforcement::DeletionGuard,
    },
    Control {
        id: ids::S3_REPLICATION_REGION,
        title: "Replication only to approved regions, with a customer-managed key there",
        hipaa: &["164.308(a)(7)(ii)(B)", "164.308(b)(1)"],
        gdpr: &["Art. 44", "Art. 45", "Art. 46"],
        severity: Severity::Critical,
        rationale: "Replication copies every object to another region: a destination outside the \
            approved regions is a transfer of PHI, and replicas not encrypted with a \
            customer-managed key in that region escape the organisation's key control. At plan \
            the provider confirms through the API that the destination bucket is in that region \
            and versioned (S3 replicates only into versioned buckets), and that the replica key \
            passes the same KMS API checks as the bucket's own key (PHI-KMS-002 to PHI-KMS-009, \
            looked up in the destination region).",
        remediation: "Set `replication.region` to an approved region and `replication.kms_key_arn` \
            to the full ARN of a customer-managed, enabled, rotating key in that region, turn \
            versioning on for the destination bucket, or remove `replication`.",
        resources: BUCKET,
        enforcement: Enforcement::Static,
    },
    Control {
        id: ids::S3_ACCESS_RECORDED,
        title: "Object-level access to PHI recorded by CloudTrail into the audit sink",
        hipaa: &["164.312(b)", "164.308(a)(1)(ii)(D)"],
        gdpr: &["Art. 30", "Art. 33"],
        severity: Severity::High,
        rationale: "HIPAA requires a record of who read or changed PHI. CloudTrail data events \
            record every object read and write with the caller's identity; delivered into the \
            Object Lock audit sink with log file validation, the record cannot be altered. S3 \
            server access logging cannot deliver into an Object Lock bucket.",
        remediation: "Nothing to configure beyond `audit_log_sink`: the sink owns the trail \
            `phi-guard-<sink>` and each bucket adds itself to its data-event selector. The trail \
            encrypts with the sink's key (compared on refresh, and changed with the sink's \
            `kms_key_arn`) and also delivers to the sink's log group through an IAM role the \
            sink creates. The sink's KMS key policy must let `cloudtrail.amazonaws.com` use the \
            key. If drift is reported, run `terraform apply`.",
        resources: S3,
        enforcement: Enforcement::AlwaysOn,
    },
    Control {
        id: ids::TAGS_REQUIRED,
        title: "Required tags present",
        hipaa: &["164.308(a)(1)(ii)(A)"],
        gdpr: &["Art. 30"],
        severity: Severity::Low,
        rationale: "Tags such as data classification and owner are how the organisation's asset \
            inventory and risk analysis find every store of PHI.",
        remediation: "Add the missing keys to `tags`; the policy's `required_tags` lists them.",
        resources: ALL,
        enforcement: Enforcement::Static,
    },
    Control {
        id: ids::EXCEPTION_VALID,
        title: "Policy exceptions complete and unexpired",
        hipaa: &["164.308(a)(1)(ii)(B)", "164.316(b)(1)"],
        gdpr: &["Art. 5(2)", "Art. 24"],
        severity: Severity::Medium,
        rationale: "An exception is a documented, owned, time-limited risk acceptance. One that has \
            expired no longer waives anything, and must be renewed or the configuration fixed.",
        remediation: "Renew the exception with a new `expires` date and reason, or fix the \
            configuration so it is no longer needed.",
        resources: ALL,
        enforcement: Enforcement::Policy,
    },
    Control {
        id: ids::LINT_UNVERIFIABLE,
        title: "Value could not be verified statically",
        hipaa: &["164.308(a)(1)(ii)(B)"],
        gdpr: &["Art. 25"],
        severity: Severity::Medium,
        rationale: "A value that depends on a data source, another resource or a missing input \
            cannot be checked before a plan. phi-lint never guesses: it neither passes it silently \
            nor reports it as a violation, but says what it could not verify. The provider checks \
            it again at plan or apply.",
        remediation: "Give the value a literal, a variable default or a tfvars value where you can; \
            otherwise rely on the provider's plan-time refusal, or suppress this finding with a \
            reason, an owner and an expiry date.",
        resources: ALL,
        enforcement: Enforcement::Lint,
    },
    Control {
        id: ids::LINT_PARSE_ERROR,
        title: "Terraform file does not parse",
        hipaa: &["164.308(a)(8)"],
        gdpr: &["Art. 32(1)(d)"],
        severity: Severity::High,
        rationale: "A file that cannot be parsed cannot be checked; every other file is still \
            checked, but nothing in this one is verified.",
        remediation: "Fix the syntax error at the reported line and column (`terraform validate` \
            shows the same error).",
        resources: ALL,
        enforcement: Enforcement::Lint,
    },
    Control {
        id: ids::LINT_RAW_RESOURCE,
        title: "Raw AWS resource bypasses the compliant resources",
        hipaa: &["164.312(a)(2)(iv)", "164.312(e)(1)", "164.308(a)(1)(ii)(B)"],
        gdpr: &["Art. 25", "Art. 32"],
        severity: Severity::High,
        rationale: "A raw `aws_s3_bucket`, `aws_db_instance` or `aws_cloudwatch_log_group` can hold \
            PHI without any of the controls the phi resources enforce by construction; nothing \
            refuses it at plan time.",
        remediation: "Use `phi_bucket`, `phi_database` or `phi_audit_log_sink` (or the approved \
            modules that wrap them). The policy's `raw_resource_types` lists what is refused.",
        resources: ALL,
        enforcement: Enforcement::Lint,
    },
    Control {
        id: ids::LINT_MODULE_SOURCE,
        title: "Module source approved and pinned",
        hipaa: &["164.308(a)(1)(ii)(B)", "164.308(a)(8)"],
        gdpr: &["Art. 25", "Art. 32(1)(d)"],
        severity: Severity::High,
        rationale: "A module from an unreviewed source, or a floating version of a reviewed one, \
            can change what is deployed without anyone reviewing the change.",
        remediation: "Use a module source the policy's `approved_modules` lists, pinned: an exact \
            `version` for registry modules, `?ref=<tag or commit>` for git sources.",
        resources: ALL,
        enforcement: Enforcement::Lint,
    },
    Control {
        id: ids::RDS_ENCRYPTION,
        title: "Database storage encrypted with the customer-managed key",
        hipaa: &["164.312(a)(2)(iv)"],
        gdpr: &["Art. 32(1)(a)"],
        severity: Severity::Critical,
        rationale: "RDS storage, its automated backups, snapshots and read replicas are encrypted \
            only if encryption is chosen at creation, and with the AWS-managed `aws/rds` key \
            unless a key is named: anyone who may use RDS in the account can then restore and \
            read a copy. Encryption cannot be added to an existing instance.",
        remediation: "Nothing to configure beyond `kms_key_arn`: the provider always creates the \
            instance encrypted with that key. An unencrypted or differently keyed instance (for \
            example an imported one) must be replaced: restore an encrypted snapshot copy.",
        resources: DB,
        enforcement: Enforcement::AtCreation,
    },
    Control {
        id: ids::RDS_NOT_PUBLIC,
        title: "Database not publicly accessible",
        hipaa: &["164.312(a)(1)", "164.312(e)(1)"],
        gdpr: &["Art. 32", "Art. 25"],
        severity: Severity::Critical,
        rationale: "A publicly accessible instance gets a public DNS name and address; one \
            security-group mistake then exposes the PHI database to the internet. The RDS API \
            makes an instance public by default when it has no subnet group or the default one, \
            so the setting must always be sent explicitly.",
        remediation: "Remove `publicly_accessible` or set it to `false`; reach the database \
            through the VPC (VPN, bastion, or Session Manager port forwarding).",
        resources: DB,
        enforcement: Enforcement::Static,
    },
    Control {
        id: ids::RDS_TLS,
        title: "TLS required for every database connection, at least TLS 1.2",
        hipaa: &["164.312(e)(1)", "164.312(e)(2)(ii)"],
        gdpr: &["Art. 32(1)(a)"],
        severity: Severity::High,
        rationale: "RDS PostgreSQL before 15 and RDS MySQL accept unencrypted connections by \
            default, and older TLS versions by default. Only a parameter group that forces TLS \
            (`rds.force_ssl = 1` / `require_secure_transport = 1`) with a floor \
            (`ssl_min_protocol_version` / `tls_version`) makes plaintext PHI on the wire \
            impossible; a shared or default group can be changed for every database at once.",
        remediation: "Nothing to configure: the provider creates a dedicated parameter group \
            `<identifier>-phi` with these settings and attaches it. If drift is reported, run \
            `terraform apply`; it restores the parameters and reboots if RDS needs it.",
        resources: DB,
        enforcement: Enforcement::AlwaysOn,
    },
    Control {
        id: ids::RDS_MANAGED_SECRET,
        title: "Master password managed by RDS in Secrets Manager with the customer-managed key",
        hipaa: &["164.312(a)(2)(i)", "164.312(d)", "164.308(a)(5)(ii)(D)"],
        gdpr: &["Art. 32"],
        severity: Severity::Critical,
        rationale: "A master password written in Terraform ends up in plan files, state and CI \
            logs. When RDS generates it in a Secrets Manager secret encrypted with the \
            organisation's key, no person or file ever holds it, and reading it is an audited, \
            key-policy-controlled act.",
        remediation: "Nothing to configure: `phi_database` has no password argument. Read the \
            secret (its ARN is in `master_user_secret_arn`) with Secrets Manager when an \
            administrator needs it, or use IAM database authentication. RDS turns rotation of \
            the secret on by default, but the provider does not check or restore its rotation \
            schedule: review it in Secrets Manager.",
        resources: DB,
        enforcement: Enforcement::AlwaysOn,
    },
    Control {
        id: ids::RDS_IAM_AUTH,
        title: "IAM database authentication on",
        hipaa: &["164.312(a)(2)(i)", "164.312(d)"],
        gdpr: &["Art. 32"],
        severity: Severity::High,
        rationale: "IAM authentication gives each person and service its own short-lived \
            credential tied to an IAM identity, so access can be revoked centrally and every \
            connection is attributable, instead of shared long-lived database passwords.",
        remediation: "Nothing to configure: the provider turns it on. Grant `rds-db:connect` to \
            the roles that need the database. If drift is reported, run `terraform apply`.",
        resources: DB,
        enforcement: Enforcement::AlwaysOn,
    },
    Control {
        id: ids::RDS_LOG_EXPORTS,
        title: "Engine logs exported to encrypted, retained log groups",
        hipaa: &["164.312(b)", "164.308(a)(1)(ii)(D)"],
        gdpr: &["Art. 30", "Art. 5(1)(e)"],
        severity: Severity::High,
        rationale: "Database logs record connections and errors (and, with auditing, queries) \
            against PHI. RDS creates the log groups `/aws/rds/instance/<id>/<type>` on first \
            export without a customer-managed key and never expiring; created first by the \
            provider, they are encrypted with the database's key and kept for the audit \
            retention.",
        remediation: "Nothing to configure: the provider creates the log groups before the \
            database, with the key and the policy's audit retention floor, and turns the \
            exports on. If drift is reported, run `terraform apply`.",
        resources: DB,
        enforcement: Enforcement::AlwaysOn,
    },
    Control {
        id: ids::RDS_BACKUP_RETENTION,
        title: "Automated backups kept at least the policy minimum",
        hipaa: &["164.308(a)(7)(ii)(A)", "164.308(a)(7)(ii)(B)"],
        gdpr: &["Art. 32(1)(c)"],
        severity: Severity::High,
        rationale: "Automated backups allow point-in-time recovery after corruption, a bad \
            migration or ransomware. RDS defaults to one day and accepts zero (no backups); a \
            week is the least that covers a problem noticed after a weekend.",
        remediation: "Set `backup_retention_days` between the policy minimum (baseline 7) and 35, \
            the most RDS keeps.",
        resources: DB,
        enforcement: Enforcement::Static,
    },
    Control {
        id: ids::RDS_DELETION_SAFETY,
        title: "Database deletion is deliberate and leaves a final snapshot and the backups",
        hipaa: &["164.308(a)(7)(ii)(A)", "164.310(d)(2)(iv)"],
        gdpr: &["Art. 32(1)(c)"],
        severity: Severity::High,
        rationale: "Deleting a database by accident (a renamed resource, a destroyed workspace) \
            destroys PHI that may have to be kept. Deletion protection makes deletion a separate, \
            reviewed step; a final snapshot and the retained automated backups keep the data \
            recoverable afterwards.",
        remediation: "`deletion_protection` defaults to true and destroy is refused while it is \
            on: set it to false and apply first. It is an argument, so it can be turned off, \
            which is a reviewed change in its own plan. The provider always takes a final \
            snapshot (`<identifier>-final-<timestamp>`) and keeps automated backups.",
        resources: DB,
        enforcement: Enforcement::DeletionGuard,
    },
    Control {
        id: ids::RDS_ENGINE_APPROVED,
        title: "Database engine and version approved",
        hipaa: &["164.308(a)(1)(ii)(B)", "164.308(a)(5)(ii)(B)"],
        gdpr: &["Art. 32(1)(d)"],
        severity: Severity::High,
        rationale: "Engine versions past the end of standard support stop receiving security \
            fixes (or cost extended support), and the provider's TLS parameters are defined per \
            engine family. Only PostgreSQL and MySQL versions the policy lists are accepted.",
        remediation: "Use an approved engine and version: the baseline accepts `postgres` 14, \
            15, 16 and 17 and `mysql` 8.4; the policy's `database.engine_versions` may narrow \
            this.",
        resources: DB,
        enforcement: Enforcement::Static,
    },
    Control {
        id: ids::RDS_MULTI_AZ,
        title: "Multi-AZ deployment where the policy requires it",
        hipaa: &["164.308(a)(7)(ii)(B)", "164.308(a)(7)(ii)(C)"],
        gdpr: &["Art. 32(1)(b)"],
        severity: Severity::Medium,
        rationale: "A Multi-AZ standby keeps PHI available through the loss of an availability \
            zone, which emergency-mode operation plans rely on. The baseline leaves it to the \
            team; an organisation can require it.",
        remediation: "Set `multi_az = true` (or remove it: it then defaults to what the policy \
            requires).",
        resources: DB,
        enforcement: Enforcement::Static,
    },
    Control {
        id: ids::RDS_PATCHING,
        title: "Automatic minor version upgrades and a current CA certificate",
        hipaa: &["164.308(a)(5)(ii)(B)", "164.312(e)(1)"],
        gdpr: &["Art. 32(1)(d)"],
        severity: Severity::Medium,
        rationale: "Minor versions carry security fixes; applying them automatically in the \
            maintenance window keeps the engine patched. The server certificate must chain to a \
            current RDS CA (`rds-ca-rsa2048-g1`, `rds-ca-rsa4096-g1`, `rds-ca-ecc384-g1`) so \
            clients can verify the server instead of accepting any certificate.",
        remediation: "Nothing to configure: the provider turns automatic minor version upgrades \
            on and sets `rds-ca-rsa2048-g1` (another current CA set outside Terraform is \
            accepted). If drift is reported, run `terraform apply`.",
        resources: DB,
        enforcement: Enforcement::AlwaysOn,
    },
    Control {
        id: ids::RDS_COPY_TAGS,
        title: "Tags copied to snapshots",
        hipaa: &["164.308(a)(1)(ii)(A)"],
        gdpr: &["Art. 30"],
        severity: Severity::Low,
        rationale: "Snapshots hold the same PHI as the database; without its classification and \
            owner tags they drop out of the asset inventory and of tag-based access policies.",
        remediation: "Nothing to configure: the provider turns it on. If drift is reported, run \
            `terraform apply`.",
        resources: DB,
        enforcement: Enforcement::AlwaysOn,
    },
    Control {
        id: ids::RDS_PRIVATE_SUBNETS,
        title: "Database in its own private subnet group, in the provider's region, across two Availability Zones",
        hipaa: &["164.312(a)(1)", "164.312(e)(1)"],
        gdpr: &["Art. 32(1)(b)", "Art. 25"],
        severity: Severity::Critical,
        rationale: "Without a subnet group RDS places the instance in the default VPC's subnets, \
            which route to an internet gateway; `publicly_accessible = false` is then the only \
            barrier between PHI and the internet. A subnet whose route table sends `0.0.0.0/0` \
            or `::/0` to an internet gateway is public, whatever the instance's flag says. Two \
            Availability Zones are what RDS needs for a standby and for a failover target.",
        remediation: "Set `db_subnet_group_name` to a subnet group of private subnets (routes to \
            the internet, if any, only through a NAT gateway) in at least two Availability Zones \
            of the provider's region. The check is repeated at every plan: a route to an \
            internet gateway added later is refused like a disabled key.",
        resources: DB,
        enforcement: Enforcement::Api,
    },
    Control {
        id: ids::RDS_NO_INTERNET_INGRESS,
        title: "Database security groups admit no ingress from the internet",
        hipaa: &["164.312(a)(1)", "164.312(e)(1)"],
        gdpr: &["Art. 32(1)(b)", "Art. 25"],
        severity: Severity::Critical,
        rationale: "Without security groups RDS attaches the VPC's default group, shared by \
            everything in the VPC and often opened for convenience. A rule admitting \
            `0.0.0.0/0` or `::/0` lets any host that can route to the subnet reach the database \
            port; together with a public route or a peering it exposes PHI to the internet.",
        remediation: "Set `vpc_security_group_ids` to at least one dedicated group whose ingress \
            rules name the application's security groups or private ranges, never `0.0.0.0/0`, \
            `::/0` or a prefix the policy forbids (`database.forbidden_ingress_cidrs`). The \
            check is repeated at every plan.",
        resources: DB,
        enforcement: Enforcement::Api,
    },
    Control {
        id: ids::RDS_DATABASE_AUDIT,
        title: "In-database audit of statements and connections always on",
        hipaa: &["164.312(b)", "164.308(a)(1)(ii)(D)"],
        gdpr: &["Art. 30", "Art. 32(1)(d)"],
        severity: Severity::High,
        rationale: "CloudTrail records API calls, never a SQL statement: who read which PHI rows \
            is only known to the engine. PostgreSQL records it with `pgaudit` (preloaded, \
            statement classes from the policy) and `log_connections`/`log_disconnections`; \
            MySQL with the audit plugin of an option group. Statement parameters can hold PHI \
            themselves, so they are not logged unless the policy says so.",
        remediation: "Nothing to configure: the provider sets the audit parameters in the \
            dedicated parameter group (PostgreSQL; preloading `pgaudit` needs a reboot, which \
            apply performs and plan announces) or attaches the option group `<identifier>-phi` \
            with `MARIADB_AUDIT_PLUGIN` (MySQL). The policy's `database.pgaudit_log` may add \
            statement classes to the baseline `ddl, role, write, read`, never drop one; \
            `database.pgaudit_log_parameter = true` logs statement parameters too. If drift is \
            reported, run `terraform apply`.",
        resources: DB,
        enforcement: Enforcement::AlwaysOn,
    },
    Control {
        id: ids::RDS_PERFORMANCE_INSIGHTS,
        title: "Performance Insights off, or encrypted with the database's key and kept no longer than the policy allows",
        hipaa: &["164.312(a)(2)(iv)", "164.312(b)"],
        gdpr: &["Art. 32(1)(a)", "Art. 5(1)(e)"],
        severity: Severity::High,
        rationale: "Performance Insights stores the text of the SQL statements it samples, and \
            statement text can hold PHI (literals in a WHERE clause). Turned on without a key \
            it is encrypted with the AWS-managed `aws/rds` key, which every principal allowed to \
            use RDS in the account can use, and it keeps the data up to two years. Turned on out \
            of band, nothing in the configuration shows it.",
        remediation: "Leave `performance_insights` off (the default unless the policy requires \
            it), or turn it on: the provider encrypts it with `kms_key_arn`, the key of the \
            storage, and keeps it `performance_insights_retention_days` (default 7; 7, a whole \
            number of months (31 to 713) or 731, at most the policy's \
            `database.performance_insights_max_retention_days`, baseline 731). The policy's \
            `database.require_performance_insights = true` refuses a database that turns it \
            off. Its live state is read back into `enforced`; if it was turned on or re-keyed \
            out of band, run `terraform apply` (RDS does not change the key of running \
            Performance Insights: turn it off and on again if it was re-keyed).",
        resources: DB,
        enforcement: Enforcement::Static,
    },
    Control {
        id: ids::RDS_ENHANCED_MONITORING,
        title: "Enhanced monitoring at the policy's interval when required",
        hipaa: &["164.312(b)", "164.308(a)(1)(ii)(D)"],
        gdpr: &["Art. 32(1)(b)", "Art. 32(1)(d)"],
        severity: Severity::Medium,
        rationale: "Enhanced monitoring reports the operating system's view of the instance \
            (processes, memory, disk) every few seconds into CloudWatch Logs; it is how an \
            operator sees resource exhaustion or an unexpected process before it becomes an \
            outage of a system holding PHI. It needs an IAM role RDS can assume; a role set by \
            hand is easily dropped out of band.",
        remediation: "Set `enhanced_monitoring = true` (the default when the policy's \
            `database.require_enhanced_monitoring` is true, which refuses `false`). The provider \
            sets the policy's `database.enhanced_monitoring_interval` (baseline 60 seconds) with \
            `monitoring_role_arn`, or, when none is given, with the role \
            `phi-guard-rds-monitoring` it creates (trusting `monitoring.rds.amazonaws.com`, with \
            an inline policy granting what the AWS-managed `AmazonRDSEnhancedMonitoringRole` \
            grants: writing to the `RDS*` log groups). Its live state is read \
            back into `enforced`; if drift is reported, run `terraform apply`.",
        resources: DB,
        enforcement: Enforcement::Static,
    },
    Control {
        id: ids::RDS_SNAPSHOTS_NOT_SHARED,
        title: "Manual snapshots of the database not public and not shared outside the policy's accounts",
        hipaa: &["164.312(a)(1)", "164.308(a)(4)(ii)(B)"],
        gdpr: &["Art. 32(1)(b)", "Art. 28", "Art. 44"],
        severity: Severity::Critical,
        rationale: "A manual snapshot is a complete copy of the PHI. Marking it public (`restore` \
            shared with `all`) lets any AWS account restore it; sharing it with another account \
            lets that account restore it, copy it and keep it beyond the reach of this account's \
            controls. Either can be done in a few clicks on a snapshot that no Terraform code \
            mentions.",
        remediation: "Nothing to configure: at every refresh the provider lists the instance's \
            manual snapshots and whom each is shared with, and shows any snapshot shared \
            publicly or with an account outside the policy's \
            `database.snapshot_allowed_accounts` (empty by default) in `enforced`; `terraform \
            apply` removes exactly those shares. To share with a disaster-recovery or audit \
            account, list it in the policy. Public sharing is never allowed.",
        resources: DB,
        enforcement: Enforcement::AlwaysOn,
    },
    Control {
        id: ids::RDS_SECRET_ROTATION,
        title: "Managed master secret rotated automatically, at least as often as the policy requires",
        hipaa: &["164.308(a)(5)(ii)(D)", "164.312(a)(1)", "164.312(d)"],
        gdpr: &["Art. 32(1)(b)"],
        severity: Severity::High,
        rationale: "The master user can read and change every row of PHI. RDS turns on \
            rotation of the master secret it manages, but anyone with Secrets Manager access can \
            turn it off or stretch the interval, and a leaked master password then stays valid \
            indefinitely.",
        remediation: "Nothing to configure: at every refresh the provider reads the rotation of \
            the instance's RDS-managed master secret (Secrets Manager `DescribeSecret`) and shows \
            rotation that is off or longer than the policy's \
            `database.secret_rotation_max_days` (baseline 7 days) in `enforced`; `terraform \
            apply` sets rotation back on with that interval (`RotateSecret` with \
            `RotationRules`, without rotating the password at once).",
        resources: DB,
        enforcement: Enforcement::AlwaysOn,
    },
    Control {
        id: ids::LINT_SUPPRESSION_INVALID,
        title: "Inline suppression complete, unexpired and allowed",
        hipaa: &["164.308(a)(1)(ii)(B)", "164.316(b)(1)"],
        gdpr: &["Art. 5(2)", "Art. 24"],
        severity: Severity::Medium,
        rationale: "An inline suppression is a risk acceptance written next to the code: without a \
            reason, an owner and an expiry date nobody is accountable for it, and one that has \
            expired or waives a control the policy marks unsuppressible must not hide a finding. \
            Such a suppression waives nothing and is reported.",
        remediation: "Write `# phi-lint:ignore <CONTROL> reason=\"…\" owner=\"…\" \
            expires=YYYY-MM-DD` with every field, renew an expired one only after review, or fix \
            the code so it is not needed.",
        resources: ALL,
        enforcement: Enforcement::Lint,
    },
    Control {
        id: ids::LINT_SUPPRESSION_UNUSED,
        title: "Inline suppression unused",
        hipaa: &["164.316(b)(2)(iii)"],
        gdpr: &["Art. 5(2)"],
        severity: Severity::Low,
        rationale: "A suppression that waives nothing is stale: the code it excused changed. Left \
            in place it would silently waive a future finding on the same lines.",
        remediation: "Remove the suppression comment.",
        resources: ALL,
        enforcement: Enforcement::Lint,
    },
    Control {
        id: ids::LINT_PROVIDER_PINNED,
        title: "phi provider declared with its source and a pinned version",
        hipaa: &["164.308(a)(1)(ii)(B)", "164.308(a)(8)"],
        gdpr: &["Art. 25", "Art. 32(1)(d)"],
        severity: Severity::High,
        rationale: "Without a `required_providers` entry Terraform looks for `hashicorp/phi`, not \
            the provider that enforces these controls; without a pinned version a new provider \
            release changes what is enforced without review.",
        remediation: "Declare `phi = { source = \"phi-guard/phi\", version = \"~> 0.1\" }` \
            in `terraform { required_providers { … } }`: a root module needs an upper bound \
            (`~>`, `>=` with `<`, or an exact version) and lets `.terraform.lock.hcl` pin the \
            exact build, which must satisfy the constraint; child modules may state any \
            constraint.",
        resources: ALL,
        enforcement: Enforcement::Lint,
    },
    Control {
        id: ids::LINT_ARGUMENTS,
        title: "phi resources set their required arguments, and only known ones",
        hipaa: &["164.308(a)(1)(ii)(B)"],
        gdpr: &["Art. 25"],
        severity: Severity::High,
        rationale: "A missing required argument (often a misspelt one, `retention_day`) makes \
            `terraform validate` and the plan fail; a linter that stays silent about it says \
            \"compliant\" about a configuration the provider never sees. The argument lists come \
            from one table the provider's schemas are tested against.",
        remediation: "Set every required argument of the resource or data source, spelt as in \
            its documentation (`docs/resources/`, `docs/data-sources/`); remove or rename \
            arguments it does not have.",
        resources: ALL,
        enforcement: Enforcement::Lint,
    },
    Control {
        id: ids::KMS_POLICY_NOT_PUBLIC,
        title: "Key policy grants nothing to everyone without an account condition",
        hipaa: &["164.312(a)(1)", "164.308(a)(4)(ii)(B)"],
        gdpr: &["Art. 32", "Art. 25"],
        severity: Severity::Critical,
        rationale: "The key policy is the root of access to a KMS key: an Allow statement with \
            `\"Principal\": \"*\"` lets any AWS account use or manage the key unless a condition \
            pins the caller's account. Every other key control is worthless if anyone can \
            decrypt. The provider reads the policy (kms:GetKeyPolicy) at plan for every key a \
            phi resource is given.",
        remediation: "Remove the statement that grants to `*`, name the principals instead, or \
            add a condition that limits the caller to this account (`kms:CallerAccount`, \
            `aws:PrincipalAccount` or `aws:SourceAccount` equal to the account id, with \
            `StringEquals`). `phi_kms_key` writes such a policy.",
        resources: ALL_AND_KEY,
        enforcement: Enforcement::Api,
    },
    Control {
        id: ids::KMS_POLICY_ADMITS_SERVICES,
        title: "Key policy lets the services the resource needs use the key",
        hipaa: &["164.308(a)(7)", "164.312(b)"],
        gdpr: &["Art. 32(1)(b)"],
        severity: Severity::High,
        rationale: "CloudWatch Logs and CloudTrail use a key only when its key policy names \
            their service principal; S3, RDS and Secrets Manager need the key policy to admit \
            the caller through them. A key that does not admit them fails only at apply, half \
            way through creating a sink or a database, or leaves the audit trail unable to \
            write. The provider checks at plan that the key admits what the resource needs: \
            S3 for `phi_bucket`; CloudWatch Logs, CloudTrail and S3 for `phi_audit_log_sink`; \
            RDS, Secrets Manager and CloudWatch Logs for `phi_database`. Conditions it \
            understands (`kms:ViaService`, the account keys, ARN keys) are evaluated for this \
            account and Region; other conditions are assumed to be met.",
        remediation: "Add the statement the refusal prints to the key policy (it admits the \
            service only for this account and Region), or create the key with `phi_kms_key` \
            and list the service in `services`.",
        resources: ALL_AND_KEY,
        enforcement: Enforcement::Api,
    },
    Control {
        id: ids::KMS_POLICY_BREAK_GLASS,
        title: "Audit key guarded against disabling, deletion and policy changes",
        hipaa: &["164.312(b)", "164.312(c)(1)", "164.308(a)(1)(ii)(D)"],
        gdpr: &["Art. 5(1)(f)", "Art. 5(2)"],
        severity: Severity::High,
        rationale: "Whoever can disable or schedule the deletion of the audit sink's key, or \
            rewrite its policy, can make every audit record unreadable. An organisation that \
            names break-glass principals in its policy (`kms.audit_key_break_glass_principals`) \
            requires the sink's key policy to deny `kms:DisableKey`, `kms:ScheduleKeyDeletion` \
            and `kms:PutKeyPolicy` to everyone else. Without that setting the control does not \
            apply.",
        remediation: "Add the Deny statement the refusal prints (Principal `*`, the three \
            actions, `ArnNotEquals` on `aws:PrincipalArn` with the break-glass principals). \
            `phi_kms_key` writes it for keys that CloudTrail may use when the policy names \
            break-glass principals.",
        resources: SINK_AND_KEY,
        enforcement: Enforcement::Api,
    },
    Control {
        id: ids::AUDIT_ARCHIVE_GUARDED,
        title: "Audit archive policy guards its lock, lifecycle and policy, and admits only its own trail",
        hipaa: &["164.312(b)", "164.312(c)(1)", "164.308(a)(3)(ii)(A)"],
        gdpr: &["Art. 5(1)(f)", "Art. 32(1)(b)"],
        severity: Severity::High,
        rationale: "Object Lock keeps each record, but whoever may change the bucket's lock \
            configuration, its lifecycle or its policy can shorten how long future records are \
            kept or open the bucket to other writers, and in GOVERNANCE mode bypass the lock. The \
            archive's bucket policy denies `s3:PutBucketObjectLockConfiguration`, \
            `s3:PutLifecycleConfiguration`, `s3:DeleteBucketPolicy` and \
            `s3:BypassGovernanceRetention` to every principal except the break-glass principals \
            the policy names, and lets CloudTrail deliver only for the sink's own trail \
            (`aws:SourceArn`), so no other trail can write under `AWSLogs/`.",
        remediation: "Nothing to configure in Terraform: the provider writes the statements. Name \
            the break-glass roles in the policy file (`audit { break_glass_principals = [...] }`); \
            with none, no one may make those changes, the provider included, so raising \
            `retention_days` later needs a break-glass role to run the apply. If drift is \
            reported, run `terraform apply`.",
        resources: SINK,
        enforcement: Enforcement::AlwaysOn,
    },
];

/// Controls whose configuration-level part phi-lint evaluates before any
/// plan, with the same check functions (`checks::*`) the provider runs: what
/// the static checks can report from values in the source. Key facts that
/// need the AWS API (state, rotation, spec, origin, replicas) and the account
/// (unknown to a linter) are not in it.
pub const LINTED: &[&str] = &[
    ids::REGION_APPROVED,
    ids::KMS_KEY_ARN,
    ids::KMS_CUSTOMER_MANAGED,
    ids::KMS_SAME_REGION,
    ids::LOG_RETENTION,
    ids::AUDIT_LOCK_MODE,
    ids::S3_ENCRYPTION,
    ids::S3_TLS_ONLY,
    ids::S3_NONCURRENT_RETENTION,
    ids::S3_REPLICATION_REGION,
    ids::TAGS_REQUIRED,
    ids::RDS_NOT_PUBLIC,
    ids::RDS_BACKUP_RETENTION,
    ids::RDS_ENGINE_APPROVED,
    ids::RDS_MULTI_AZ,
    ids::RDS_PERFORMANCE_INSIGHTS,
    ids::RDS_ENHANCED_MONITORING,
];

/// The `phi_database` controls (PHI-RDS-*), in catalogue order.
pub fn database_ids() -> [&'static str; 19] {
    [
        ids::RDS_ENCRYPTION,
        ids::RDS_NOT_PUBLIC,
        ids::RDS_TLS,
        ids::RDS_MANAGED_SECRET,
        ids::RDS_IAM_AUTH,
        ids::RDS_LOG_EXPORTS,
        ids::RDS_BACKUP_RETENTION,
        ids::RDS_DELETION_SAFETY,
        ids::RDS_ENGINE_APPROVED,
        ids::RDS_MULTI_AZ,
        ids::RDS_PATCHING,
        ids::RDS_COPY_TAGS,
        ids::RDS_PRIVATE_SUBNETS,
        ids::RDS_NO_INTERNET_INGRESS,
        ids::RDS_DATABASE_AUDIT,
        ids::RDS_PERFORMANCE_INSIGHTS,
        ids::RDS_ENHANCED_MONITORING,
        ids::RDS_SNAPSHOTS_NOT_SHARED,
        ids::RDS_SECRET_ROTATION,
    ]
}

/// Every control, in catalogue order.
pub fn controls() -> &'static [Control] {
    CONTROLS
}

/// The control with this id.
pub fn control(id: &str) -> Option<&'static Control> {
    CONTROLS.iter().find(|c| c.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn well_formed(id: &str) -> bool {
        let parts: Vec<&str> = id.split('-').collect();
        parts.len() == 3
            && parts[0] == "PHI"
            && !parts[1].is_empty()
            && parts[1]
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
            && parts[2].len() == 3
            && parts[2].chars().all(|c| c.is_ascii_digit())
    }

    #[test]
    fn ids_are_unique_and_well_formed() {
        let mut seen = std::collections::HashSet::new();
        for c in controls() {
            assert!(well_formed(c.id), "{}", c.id);
            assert!(seen.insert(c.id), "duplicate {}", c.id);
        }
    }

    #[test]
    fn every_field_is_filled() {
        for c in controls() {
            assert!(!c.title.is_empty(), "{}", c.id);
            assert!(!c.hipaa.is_empty(), "{}: no HIPAA reference", c.id);
            assert!(!c.gdpr.is_empty(), "{}: no GDPR reference", c.id);
            for r in c.hipaa {
                assert!(r.starts_with("164."), "{}: HIPAA ref {r}", c.id);
            }
            for a in c.gdpr {
                assert!(a.starts_with("Art. "), "{}: GDPR ref {a}", c.id);
            }
            for r in c.resources {
                assert!(r.starts_with("phi_"), "{}: resource {r}", c.id);
            }
            assert!(c.rationale.len() > 40, "{}", c.id);
            assert!(c.remediation.len() > 20, "{}", c.id);
            assert!(!c.resources.is_empty(), "{}", c.id);
        }
    }

    #[test]
    fn every_id_constant_is_in_the_catalogue() {
        for id in [
            ids::REGION_APPROVED,
            ids::KMS_KEY_ARN,
            ids::KMS_CUSTOMER_MANAGED,
            ids::KMS_ENABLED,
            ids::KMS_ROTATION,
            ids::KMS_SYMMETRIC,
            ids::KMS_SAME_REGION,
            ids::KMS_SAME_ACCOUNT,
            ids::KMS_ORIGIN,
            ids::KMS_MULTI_REGION,
            ids::LOG_RETENTION,
            ids::LOG_ENCRYPTION,
            ids::LOG_DELETION_PROTECTION,
            ids::LOG_CLASS,
            ids::AUDIT_LOCK_MODE,
            ids::AUDIT_LOCK_PERIOD,
            ids::S3_ENCRYPTION,
            ids::S3_PUBLIC_ACCESS_BLOCK,
            ids::S3_ACLS_DISABLED,
            ids::S3_TLS_ONLY,
            ids::S3_VERSIONING,
            ids::S3_SSE_C_BLOCKED,
            ids::S3_ABORT_UPLOADS,
            ids::S3_NONCURRENT_RETENTION,
            ids::S3_DELETION_PROTECTION,
            ids::S3_REPLICATION_REGION,
            ids::S3_ACCESS_RECORDED,
            ids::TAGS_REQUIRED,
            ids::EXCEPTION_VALID,
            ids::LINT_UNVERIFIABLE,
            ids::LINT_PARSE_ERROR,
            ids::LINT_RAW_RESOURCE,
            ids::LINT_MODULE_SOURCE,
            ids::LINT_SUPPRESSION_INVALID,
            ids::LINT_SUPPRESSION_UNUSED,
            ids::LINT_PROVIDER_PINNED,
            ids::LINT_ARGUMENTS,
            ids::KMS_POLICY_NOT_PUBLIC,
            ids::KMS_POLICY_ADMITS_SERVICES,
            ids::KMS_POLICY_BREAK_GLASS,
            ids::AUDIT_ARCHIVE_GUARDED,
        ] {
            assert!(control(id).is_some(), "{id}");
        }
        for id in super::database_ids() {
            assert!(control(id).is_some(), "{id}");
        }
        assert_eq!(controls().len(), 41 + super::database_ids().len());
    }
}
