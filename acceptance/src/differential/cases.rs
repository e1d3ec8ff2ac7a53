//! The configurations of the differential test: compliant roots (a sink, a
//! bucket, a database, a key, a provider region) with one checked attribute
//! varied through boundary and violating values, under one of four
//! policies, the value arriving in one of eight ways.
//!
//! Only attributes whose verdict both programs can reach from the
//! configuration are varied: see the test's doc comment for the controls
//! left out and why.

use std::fmt;

/// The compliant root a case varies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    Sink,
    Bucket,
    Database,
    Key,
    /// The `region` of a (aliased) phi provider block, with one key using it.
    Provider,
}

impl Kind {
    pub fn resource_type(self) -> &'static str {
        match self {
            Kind::Sink => "phi_audit_log_sink",
            Kind::Bucket => "phi_bucket",
            Kind::Database => "phi_database",
            Kind::Key | Kind::Provider => "phi_kms_key",
        }
    }
}

/// How the varied value reaches the attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Way {
    Literal,
    VariableDefault,
    Tfvars,
    Local,
    ForEachMap,
    Count,
    ModuleArgument,
    OptionalDefault,
}

pub const WAYS: [Way; 8] = [
    Way::Literal,
    Way::VariableDefault,
    Way::Tfvars,
    Way::Local,
    Way::ForEachMap,
    Way::Count,
    Way::ModuleArgument,
    Way::OptionalDefault,
];

/// The ways a provider block's `region` can be given (no `count`,
/// `for_each` or module argument on a provider block).
pub const PROVIDER_WAYS: [Way; 5] = [
    Way::Literal,
    Way::VariableDefault,
    Way::Tfvars,
    Way::Local,
    Way::OptionalDefault,
];

impl fmt::Display for Way {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Way::Literal => "literal",
            Way::VariableDefault => "variable default",
            Way::Tfvars => "tfvars",
            Way::Local => "local",
            Way::ForEachMap => "for_each map",
            Way::Count => "count",
            Way::ModuleArgument => "module argument",
            Way::OptionalDefault => "optional() default",
        })
    }
}

/// The policy a case runs under (both programs read the same file through
/// `PHI_POLICY_FILE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum PolicyKind {
    Baseline,
    /// Stricter floors than the baseline and required tags.
    Stricter,
    /// A valid exception for PHI-LOG-001, PHI-RDS-002 and PHI-TAG-001 on
    /// names `acme-w*`, an expired one for PHI-S3-008 on the same names.
    Exceptions,
    /// `regions { profiles = ["eu-strict"] }`.
    RegionProfile,
}

pub const POLICIES: [PolicyKind; 4] = [
    PolicyKind::Baseline,
    PolicyKind::Stricter,
    PolicyKind::Exceptions,
    PolicyKind::RegionProfile,
];

impl PolicyKind {
    /// The policy file, or `None` for the built-in baseline.
    pub fn document(self) -> Option<&'static str> {
        match self {
            PolicyKind::Baseline => None,
            PolicyKind::Stricter => Some(
                "audit {\n  retention_min_days = 2557\n}\n\nkms {\n  rotation_max_days = 180\n}\n\n\
                 required_tags = [\"owner\"]\n\ndatabase {\n  engine_versions           = [\"postgres 16.*\"]\n  \
                 backup_retention_min_days = 14\n  require_multi_az          = true\n  \
                 require_performance_insights = true\n  performance_insights_max_retention_days = 31\n  \
                 require_enhanced_monitoring = true\n}\n",
            ),
            PolicyKind::Exceptions => Some(
                "required_tags = [\"owner\"]\n\n\
                 exception \"PHI-LOG-001\" {\n  scope   = \"phi_audit_log_sink.acme-w*\"\n  owner   = \"security@acme.example\"\n  reason  = \"differential test\"\n  expires = \"2099-12-31\"\n}\n\n\
                 exception \"PHI-RDS-002\" {\n  scope   = \"phi_database.acme-w*\"\n  owner   = \"security@acme.example\"\n  reason  = \"differential test\"\n  expires = \"2099-12-31\"\n}\n\n\
                 exception \"PHI-TAG-001\" {\n  scope   = \"phi_kms_key.acme-w*\"\n  owner   = \"security@acme.example\"\n  reason  = \"differential test\"\n  expires = \"2099-12-31\"\n}\n\n\
                 exception \"PHI-S3-008\" {\n  scope   = \"phi_bucket.acme-w*\"\n  owner   = \"security@acme.example\"\n  reason  = \"differential test\"\n  expires = \"2020-01-31\"\n}\n",
            ),
            PolicyKind::RegionProfile => Some("regions {\n  profiles = [\"eu-strict\"]\n}\n"),
        }
    }
}

impl fmt::Display for PolicyKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PolicyKind::Baseline => "baseline",
            PolicyKind::Stricter => "stricter policy",
            PolicyKind::Exceptions => "policy with exceptions",
            PolicyKind::RegionProfile => "region profile eu-strict",
        })
    }
}

/// One checked attribute and the values it is tried with, under a policy.
#[derive(Debug, Clone, Copy)]
pub struct Attribute {
    pub kind: Kind,
    pub name: &'static str,
    /// Its Terraform type, for variables and `optional()`.
    pub ty: &'static str,
    /// A compliant value (HCL), for the other instance of `count` and
    /// `for_each` and for the attribute when another one is varied.
    pub compliant: &'static str,
    /// Boundary and violating values (HCL). `KEY` stands for the ARN of a
    /// compliant customer-managed key in eu-central-1.
    pub values: &'static [&'static str],
    pub policy: PolicyKind,
}

/// The placeholder for the compliant key's ARN in values.
pub const KEY: &str = "KEY";

const OTHER_REGION_KEY: &str =
    "\"arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab\"";

const REPLICATION_TYPE: &str = "object({ region = string, destination_bucket = string, kms_key_arn = string, role_arn = string })";

fn replication(region: &str) -> &'static str {
    // Leaked once per distinct region: the table below is static.
    Box::leak(
        format!(
            "{{\n    region             = \"{region}\"\n    destination_bucket = \"acme-dr-{region}\"\n    \
             kms_key_arn        = \"REPLICA_KEY_{region}\"\n    \
             role_arn           = \"arn:aws:iam::123456789012:role/replication\"\n  }}"
        )
        .into_boxed_str(),
    )
}

/// The regions replication is tried with: the test makes a real key
/// (`REPLICA_KEY_<region>` in values) and a versioned destination bucket
/// `acme-dr-<region>` in each, so the provider's checks of those AWS
/// objects pass and only the configuration is judged.
pub const REPLICA_REGIONS: [&str; 4] = ["eu-west-1", "ap-southeast-1", "eu-north-1", "us-east-1"];

/// Every attribute varied, with its values, per policy.
pub fn attributes() -> Vec<Attribute> {
    use Kind::*;
    use PolicyKind::*;
    let a = |kind, name, ty, compliant, values: &'static [&'static str], policy| Attribute {
        kind,
        name,
        ty,
        compliant,
        values,
        policy,
    };
    let key_values: &'static [&'static str] = Box::leak(
        vec![
            KEY,
            "\"alias/aws/s3\"",
            "\"alias/acme-phi\"",
            "\"1234abcd-12ab-34cd-56ef-1234567890ab\"",
            OTHER_REGION_KEY,
        ]
        .into_boxed_slice(),
    );
    let replications: &'static [&'static str] = Box::leak(
        vec![
            replication(REPLICA_REGIONS[0]),
            replication(REPLICA_REGIONS[1]),
        ]
        .into_boxed_slice(),
    );
    let replications_eu: &'static [&'static str] = Box::leak(
        vec![
            replication(REPLICA_REGIONS[2]),
            replication(REPLICA_REGIONS[3]),
        ]
        .into_boxed_slice(),
    );
    vec![
        // The baseline.
        a(
            Sink,
            "retention_days",
            "number",
            "2192",
            &["2191", "2192", "2200", "3653", "3654"],
            Baseline,
        ),
        a(
            Sink,
            "object_lock_mode",
            "string",
            "\"COMPLIANCE\"",
            &["\"COMPLIANCE\"", "\"GOVERNANCE\""],
            Baseline,
        ),
        a(Sink, "kms_key_arn", "string", KEY, key_values, Baseline),
        a(
            Bucket,
            "encryption_algorithm",
            "string",
            "\"aws:kms\"",
            &["\"aws:kms:dsse\"", "\"AES256\""],
            Baseline,
        ),
        a(
            Bucket,
            "minimum_tls_version",
            "string",
            "\"1.2\"",
            &["\"1.3\"", "\"1.1\""],
            Baseline,
        ),
        a(
            Bucket,
            "noncurrent_version_retention_days",
            "number",
            "365",
            &["29", "30", "3653", "3654"],
            Baseline,
        ),
        a(
            Bucket,
            "replication",
            REPLICATION_TYPE,
            "null",
            replications,
            Baseline,
        ),
        a(Bucket, "kms_key_arn", "string", KEY, key_values, Baseline),
        a(
            Database,
            "publicly_accessible",
            "bool",
            "false",
            &["false", "true"],
            Baseline,
        ),
        a(
            Database,
            "engine_version",
            "string",
            "\"16.4\"",
            &["\"17.2\"", "\"13.7\""],
            Baseline,
        ),
        a(
            Database,
            "engine",
            "string",
            "\"postgres\"",
            &["\"mysql\""],
            Baseline,
        ),
        a(
            Database,
            "backup_retention_days",
            "number",
            "7",
            &["6", "7", "35"],
            Baseline,
        ),
        a(Database, "kms_key_arn", "string", KEY, key_values, Baseline),
        a(
            Database,
            "performance_insights_retention_days",
            "number",
            "7",
            &["8", "731", "732"],
            Baseline,
        ),
        a(
            Key,
            "rotation_period_days",
            "number",
            "365",
            &["90", "365", "366"],
            Baseline,
        ),
        a(
            Provider,
            "region",
            "string",
            "\"eu-central-1\"",
            &["\"eu-central-1\"", "\"ap-southeast-1\""],
            Baseline,
        ),
        // Stricter floors and required tags.
        a(
            Sink,
            "retention_days",
            "number",
            "2557",
            &["2192", "2557"],
            Stricter,
        ),
        a(
            Sink,
            "tags",
            "map(string)",
            "{ owner = \"platform\" }",
            &["{ owner = \"platform\" }", "{ team = \"platform\" }"],
            Stricter,
        ),
        a(
            Bucket,
            "tags",
            "map(string)",
            "{ owner = \"platform\" }",
            &["{}"],
            Stricter,
        ),
        a(
            Database,
            "backup_retention_days",
            "number",
            "14",
            &["13", "14"],
            Stricter,
        ),
        a(
            Database,
            "multi_az",
            "bool",
            "true",
            &["true", "false"],
            Stricter,
        ),
        a(
            Database,
            "engine_version",
            "string",
            "\"16.4\"",
            &["\"16.4\"", "\"15.8\""],
            Stricter,
        ),
        a(
            Database,
            "tags",
            "map(string)",
            "{ owner = \"platform\" }",
            &["{}"],
            Stricter,
        ),
        a(
            Database,
            "performance_insights",
            "bool",
            "true",
            &["false"],
            Stricter,
        ),
        a(
            Database,
            "performance_insights_retention_days",
            "number",
            "31",
            &["62"],
            Stricter,
        ),
        a(
            Database,
            "enhanced_monitoring",
            "bool",
            "true",
            &["false"],
            Stricter,
        ),
        a(
            Key,
            "rotation_period_days",
            "number",
            "180",
            &["180", "181"],
            Stricter,
        ),
        a(
            Key,
            "tags",
            "map(string)",
            "{ owner = \"platform\" }",
            &["{ owner = \"platform\" }", "{}"],
            Stricter,
        ),
        // Exceptions: waived (names acme-w*) and not (acme-c*), one expired.
        a(
            Sink,
            "retention_days",
            "number",
            "2192",
            &["2191", "3654"],
            Exceptions,
        ),
        a(
            Database,
            "publicly_accessible",
            "bool",
            "false",
            &["true"],
            Exceptions,
        ),
        a(
            Key,
            "tags",
            "map(string)",
            "{ owner = \"platform\" }",
            &["{}"],
            Exceptions,
        ),
        a(
            Bucket,
            "noncurrent_version_retention_days",
            "number",
            "365",
            &["29"],
            Exceptions,
        ),
        // A region profile.
        a(
            Provider,
            "region",
            "string",
            "\"eu-central-1\"",
            &["\"eu-west-1\"", "\"eu-west-2\"", "\"us-east-1\""],
            RegionProfile,
        ),
        a(
            Bucket,
            "replication",
            REPLICATION_TYPE,
            "null",
            replications_eu,
            RegionProfile,
        ),
    ]
}

/// One configuration: an attribute set to a value arriving in a way,
/// under a policy, on a resource whose AWS name starts `acme-<prefix>`.
#[derive(Debug, Clone)]
pub struct Case {
    pub id: usize,
    pub attribute: Attribute,
    pub value: &'static str,
    pub way: Way,
    /// `w` (an exception of the policy matches the name) or `c`.
    pub prefix: char,
}

impl Case {
    pub fn kind(&self) -> Kind {
        self.attribute.kind
    }
    pub fn policy(&self) -> PolicyKind {
        self.attribute.policy
    }
    /// The AWS name's stem; instances add `-<key>`.
    pub fn name(&self) -> String {
        format!("acme-{}{}", self.prefix, self.id)
    }
}

impl fmt::Display for Case {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "case {} ({}, {}.{} = {}, {}, name {})",
            self.id,
            self.policy(),
            self.kind().resource_type(),
            self.attribute.name,
            self.value.replace('\n', " "),
            self.way,
            self.name()
        )
    }
}

/// The full set: every attribute x value x way (x name prefix under the
/// exceptions policy).
pub fn all() -> Vec<Case> {
    let mut out = Vec::new();
    for attribute in attributes() {
        let ways: &[Way] = if attribute.kind == Kind::Provider {
            &PROVIDER_WAYS
        } else {
            &WAYS
        };
        let prefixes: &[char] = if attribute.policy == PolicyKind::Exceptions {
            &['w', 'c']
        } else {
            &['c']
        };
        for value in attribute.values {
            for way in ways {
                for prefix in prefixes {
                    out.push(Case {
                        id: out.len(),
                        attribute,
                        value,
                        way: *way,
                        prefix: *prefix,
                    });
                }
            }
        }
    }
    out
}

/// The deterministic CI sample: every value of every attribute in two ways
/// a fixed stride apart, the ways rotating from one value to the next (so
/// each attribute meets several ways and every root meets every way).
pub fn sample() -> Vec<Case> {
    let all = all();
    let mut out: Vec<Case> = Vec::new();
    let mut turn = 0usize;
    for attribute in attributes() {
        let ways: &[Way] = if attribute.kind == Kind::Provider {
            &PROVIDER_WAYS
        } else {
            &WAYS
        };
        for value in attribute.values {
            // Two ways per value, a stride apart.
            for step in [0, 3] {
                let way = ways[(turn + step) % ways.len()];
                out.extend(
                    all.iter()
                        .filter(|c| {
                            c.attribute.kind == attribute.kind
                                && c.attribute.name == attribute.name
                                && c.attribute.policy == attribute.policy
                                && c.value == *value
                                && c.way == way
                        })
                        .cloned(),
                );
            }
            turn += 1;
        }
    }
    out.sort_by_key(|c| c.id);
    out.dedup_by_key(|c| c.id);
    out
}
