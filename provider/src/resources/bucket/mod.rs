//! `phi_bucket`: an S3 bucket that holds PHI.
//!
//! Always on, not attributes: SSE-KMS (or DSSE-KMS) with the customer-managed
//! key and the bucket key, SSE-C uploads blocked, versioning, all four public
//! access blocks, ACLs disabled, a bucket policy denying non-TLS and old TLS,
//! and a lifecycle rule aborting incomplete uploads. Tunable within policy:
//! tags, noncurrent-version retention, deletion protection, replication and
//! the minimum TLS version. The shared secure-bucket baseline lives in
//! `resources::s3_common`, used by the audit sink too.

mod apply;
/// For GenerateResourceConfig (see `resources::import_config`).
pub(crate) use apply::leave_defaults_out;
mod desired;
pub mod lookup;
mod observe;
mod plan;

use std::collections::BTreeMap;

use phi_policy::checks::bucket::{self as checks_bucket, BucketConfig};
use phi_policy::{Policy, Violation, ids};

use crate::configured::Configured;
use crate::diagnostics::{Diagnostics, attr};
use crate::resources::checks;
use crate::resources::{
    ApplyRequest, ApplyResponse, ImportResponse, PlanRequest, PlanResponse, ReadResponse, Resource,
};
use crate::schema::{AttrType, Attribute, Mode, Schema};
use crate::value::Value;

use desired::{Desired, Replication};

pub const TYPE_NAME: &str = "phi_bucket";

pub struct Bucket {
    schema: Schema,
}

impl Default for Bucket {
    fn default() -> Self {
        Self::new()
    }
}

impl Bucket {
    pub fn new() -> Self {
        Bucket { schema: schema() }
    }
}

fn schema() -> Schema {
    use AttrType::*;
    use Mode::*;
    Schema {
        version: crate::resources::state_upgrade::CURRENT,
        description: "An S3 bucket for PHI: SSE-KMS (or DSSE-KMS) with a customer-managed key and \
            bucket key, SSE-C blocked, versioning, every public access block, ACLs disabled, a \
            TLS-only bucket policy and a lifecycle rule that aborts incomplete uploads. Security \
            settings are always on; their live state is shown in `enforced`.",
        attributes: vec![
            Attribute::new("id", String, Computed, "The bucket name."),
            Attribute::new(
                "name",
                String,
                Required,
                "Bucket name (3-63 lowercase letters, digits and hyphens; globally unique). \
                 Changing it replaces the bucket, which deletion protection refuses while on.",
            ),
            Attribute::new(
                "kms_key_arn",
                String,
                Required,
                "Full ARN of a customer-managed, enabled, symmetric KMS key with rotation on, in \
                 the provider's region and account (controls PHI-KMS-001 to PHI-KMS-009). \
                 Aliases and AWS-managed keys are refused.",
            ),
            Attribute::new(
                "audit_log_sink",
                String,
                Required,
                "The `id` of the `phi_audit_log_sink` that keeps this bucket's audit records. \
                 It must exist when the bucket is created.",
            ),
            Attribute::new(
                "encryption_algorithm",
                String,
                OptionalComputed,
                "`aws:kms` (SSE-KMS, default) or `aws:kms:dsse` (DSSE-KMS), always with \
                 `kms_key_arn` and the bucket key (control PHI-S3-001).",
            ),
            Attribute::new(
                "minimum_tls_version",
                String,
                OptionalComputed,
                "Lowest TLS version the bucket policy accepts: `1.2` (default) or `1.3` \
                 (control PHI-S3-004).",
            ),
            Attribute::new(
                "noncurrent_version_retention_days",
                Number,
                OptionalComputed,
                "Days overwritten or deleted object versions are kept before they expire: 30 to \
                 the policy's retention maximum (baseline 3653), default 365 (control \
                 PHI-S3-008).",
            ),
            Attribute::new(
                "deletion_protection",
                Bool,
                OptionalComputed,
                "While true (the default), destroying or replacing the bucket is refused at plan \
                 and apply (control PHI-S3-009). Set it to false and apply first to delete on \
                 purpose. The provider never empties a bucket.",
            ),
            Attribute::new(
                "replication",
                MapOfString,
                Optional,
                "Optional replication of every object to another bucket: keys `region` (an \
                 approved region), `destination_bucket` (an existing versioned bucket in that \
                 region), `kms_key_arn` (full ARN of a customer-managed key in that region) and \
                 `role_arn` (the IAM role S3 replicates with). Control PHI-S3-010.",
            ),
            Attribute::new(
                "tags",
                MapOfString,
                Optional,
                "Tags for the bucket; the policy may require some keys (control PHI-TAG-001).",
            ),
            Attribute::new(
                "timeouts",
                TimeoutsBlock(&["create"]),
                Optional,
                "How long to wait, in Terraform's duration syntax (`\"90s\"`, `\"1h30m\"`, \
                 `\"1.5h\"`): `create` (default 2m) bounds the wait for the new bucket to become \
                 visible in S3, e.g. `timeouts { create = \"10m\" }`.",
            ),
            Attribute::new("arn", String, Computed, "ARN of the bucket."),
            Attribute::new(
                "enforced",
                MapOfString,
                Computed,
                "Live state of every always-on control, keyed by control id alone (e.g. \
                 `enforced[\"PHI-S3-005\"]`). Read from AWS on refresh; a value that differs from what compliance requires appears as a change \
                 in the next plan, and apply restores it.",
            ),
        ],
    }
}

/// An optional argument's value with its default filled in for null;
/// `None` when unknown.
fn or_default<'a>(v: &'a Value, default: &'a str) -> Option<&'a str> {
    match v {
        Value::Null => Some(default),
        v => v.as_str(),
    }
}

/// The configuration as the policy checks see it: `None` for values not
/// known yet, defaults filled in for nulls.
fn policy_config(config: &Value) -> BucketConfig {
    let known = |v: &Value| v.as_str().map(str::to_owned);
    BucketConfig {
        name: known(config.get("name")),
        kms_key_arn: known(config.get("kms_key_arn")),
        encryption_algorithm: or_default(
            config.get("encryption_algorithm"),
            desired::DEFAULT_ALGORITHM,
        )
        .map(str::to_owned),
        minimum_tls_version: or_default(
            config.get("minimum_tls_version"),
            desired::DEFAULT_MIN_TLS,
        )
        .map(str::to_owned),
        noncurrent_version_retention_days: match config.get("noncurrent_version_retention_days") {
            Value::Null => Some(checks_bucket::NONCURRENT_DEFAULT_DAYS),
            v => v.as_i64(),
        },
        tags: match config.get("tags") {
            Value::Null => Some(BTreeMap::new()),
            v => v.as_string_map(),
        },
        replication: known_entries(config.get("replication")),
    }
}

/// The entries of a map attribute, `None` for values not known yet (checked
/// again at apply); `None` as a whole when null or unknown.
fn known_entries(v: &Value) -> Option<BTreeMap<String, Option<String>>> {
    match v {
        Value::Map(entries) => Some(
            entries
                .iter()
                .map(|(k, v)| (k.clone(), v.as_str().map(str::to_owned)))
                .collect(),
        ),
        _ => None,
    }
}

/// The desired bucket, when every input is known.
fn desired_from(value: &Value) -> Option<Desired> {
    let replication = match value.get("replication") {
        Value::Null => None,
        v => {
            let m = v.as_string_map()?;
            Some(Replication {
                region: m.get("region")?.clone(),
                destination_bucket: m.get("destination_bucket")?.clone(),
                kms_key_arn: m.get("kms_key_arn")?.clone(),
                role_arn: m.get("role_arn")?.clone(),
            })
        }
    };
    Some(Desired {
        name: value.get("name").as_str()?.to_owned(),
        kms_key_arn: value.get("kms_key_arn").as_str()?.to_owned(),
        algorithm: or_default(
            value.get("encryption_algorithm"),
            desired::DEFAULT_ALGORITHM,
        )?
        .to_owned(),
        minimum_tls_version: or_default(
            value.get("minimum_tls_version"),
            desired::DEFAULT_MIN_TLS,
        )?
        .to_owned(),
        noncurrent_days: match value.get("noncurrent_version_retention_days") {
            Value::Null => checks_bucket::NONCURRENT_DEFAULT_DAYS,
            v => v.as_i64()?,
        },
        replication,
        tags: match value.get("tags") {
            Value::Null => BTreeMap::new(),
            v => v.as_string_map()?,
        },
        audit_log_sink: value.get("audit_log_sink").as_str()?.to_owned(),
    })
}

/// Checks that are not policy controls: names S3 would refuse anyway.
fn static_checks(config: &Value) -> Diagnostics {
    let mut d = Diagnostics::new();
    for (attribute, what) in [
        ("name", "bucket name"),
        (
            "audit_log_sink",
            "audit_log_sink (the sink's id, its bucket name)",
        ),
    ] {
        if let Some(name) = config.get(attribute).as_str()
            && let Some(problem) = checks::bucket_name_problem(name)
        {
            d.error_at(
                &attr(attribute),
                format!("Invalid {attribute}"),
                format!("The {what} {name:?} {problem}."),
            );
        }
    }
    d.extend(crate::resources::timeouts::validate(config));
    d
}

fn report(
    violations: Vec<Violation>,
    policy: &Policy,
    name: Option<&str>,
    today: time::Date,
    d: &mut Diagnostics,
) {
    checks::report(violations, policy, TYPE_NAME, name, today, d);
}

impl Bucket {
    /// Every static and API-backed check for a configuration. Errors mean
    /// "create nothing". At apply (`at_apply`) the key is looked up afresh,
    /// and the audit sink must exist.
    async fn full_checks(&self, config: &Value, ctx: &Configured, at_apply: bool) -> Diagnostics {
        let mut d = static_checks(config);
        let policy = ctx.policy();
        let pctx = ctx.policy_context().await;
        let cfg = policy_config(config);
        let mut violations = checks_bucket::check(&cfg, &pctx, policy);
        checks::kms_key_checks(
            config,
            "stores PHI",
            &crate::resources::key_policy_checks::bucket_needs(),
            ctx,
            at_apply,
            &mut violations,
            &mut d,
        )
        .await;
        self.replication_api_checks(&cfg, ctx, &mut violations, &mut d)
            .await;
        if at_apply && let Some(sink) = config.get("audit_log_sink").as_str() {
            match crate::resources::s3_common::exists(&ctx.clients.s3, sink).await {
                Ok(true) => {}
                Ok(false) => d.error_at(
                    &attr("audit_log_sink"),
                    "Audit log sink not found",
                    format!(
                        "There is no audit log sink {sink:?} (its archive bucket does not exist \
                         in this account). A PHI bucket is only created with a sink to keep its \
                         audit records: reference `phi_audit_log_sink.<name>.id`. Nothing was \
                         created."
                    ),
                ),
                Err(e) => checks::not_verifiable(
                    &mut d,
                    &attr("audit_log_sink"),
                    &format!(
                        "audit log sink {sink} of bucket {}",
                        cfg.name.as_deref().unwrap_or("?")
                    ),
                    &[ids::S3_ACCESS_RECORDED],
                    &e.to_string(),
                    "A PHI bucket is only created once its audit sink is confirmed to exist.",
                ),
            }
        }
        report(violations, policy, cfg.name.as_deref(), ctx.today(), &mut d);
        d
    }

    /// The destination bucket must exist in the region the configuration
    /// names: the static check approved that region, this proves the
    /// replicas really go there.
    async fn replication_api_checks(
        &self,
        cfg: &BucketConfig,
        ctx: &Configured,
        violations: &mut Vec<Violation>,
        d: &mut Diagnostics,
    ) {
        let Some(r) = &cfg.replication else { return };
        if violations
            .iter()
            .any(|v| v.control.id == ids::S3_REPLICATION_REGION)
        {
            return;
        }
        let (Some(Some(region)), Some(Some(dest))) = (r.get("region"), r.get("destination_bucket"))
        else {
            return;
        };
        self.replica_key_checks(r, region, ctx, violations, d).await;
        match observe::bucket_region(&ctx.clients.s3, dest).await {
            Ok(Some(actual)) if &actual == region => {
                self.destination_versioning_check(dest, region, ctx, violations, d)
                    .await;
            }
            Ok(Some(actual)) => violations.push(Violation::new(
                ids::S3_REPLICATION_REGION,
                &["replication", "destination_bucket"],
                format!(
                    "The destination bucket {dest:?} is in {actual:?}, not in {region:?} as \
                     replication.region says; replicas would be stored in {actual:?}."
                ),
            )),
            Ok(None) => d.error_at(
                &[
                    crate::diagnostics::Step::Attr("replication".to_owned()),
                    crate::diagnostics::Step::Key("destination_bucket".to_owned()),
                ],
                format!(
                    "{}: replication destination not found",
                    ids::S3_REPLICATION_REGION
                ),
                format!(
                    "The destination bucket {dest:?} does not exist. Create it (versioned, in \
                     {region}) before configuring replication to it."
                ),
            ),
            Err(e) => checks::not_verifiable(
                d,
                &[
                    crate::diagnostics::Step::Attr("replication".to_owned()),
                    crate::diagnostics::Step::Key("destination_bucket".to_owned()),
                ],
                &format!("the region of replication destination bucket {dest}"),
                &[ids::S3_REPLICATION_REGION],
                &e.to_string(),
                "The provider must confirm where replicas are stored (s3:GetBucketLocation).",
            ),
        }
    }
}

impl Bucket {
    /// The replica key passes the same KMS API checks as the bucket's own
    /// key (enabled, rotating, customer-managed, symmetric, AWS_KMS
    /// origin), looked up in the destination region; region and account are
    /// compared with the destination's.
    async fn replica_key_checks(
        &self,
        r: &BTreeMap<String, Option<String>>,
        region: &str,
        ctx: &Configured,
        violations: &mut Vec<Violation>,
        d: &mut Diagnostics,
    ) {
        let Some(Some(arn)) = r.get("kms_key_arn") else {
            return;
        };
        let key_path = vec!["replication".to_owned(), "kms_key_arn".to_owned()];
        if violations.iter().any(|v| v.path == key_path) {
            return;
        }
        let pctx = phi_policy::Context {
            region: region.to_owned(),
            account_id: ctx.account_id().await,
        };
        match ctx.keys.facts_in(region, arn).await {
            Ok(facts) => violations.extend(phi_policy::kms::check_key_facts(
                &facts,
                &pctx,
                ctx.policy(),
                &key_path,
            )),
            Err(e) => d.error_at(
                &[
                    crate::diagnostics::Step::Attr("replication".to_owned()),
                    crate::diagnostics::Step::Key("kms_key_arn".to_owned()),
                ],
                "Could not verify the replica KMS key",
                format!(
                    "{e}\n\nThe provider must inspect the replica key (kms:DescribeKey and \
                     kms:GetKeyRotationStatus in {region}) before it replicates PHI with it. \
                     Check that the key exists in {region} and that these credentials may \
                     describe it."
                ),
            ),
        }
    }

    /// S3 replicates only into a versioned bucket; an unversioned
    /// destination would fail the replication configuration at apply, after
    /// the bucket exists. Checked at plan, with a client for the
    /// destination's region.
    async fn destination_versioning_check(
        &self,
        dest: &str,
        region: &str,
        ctx: &Configured,
        violations: &mut Vec<Violation>,
        d: &mut Diagnostics,
    ) {
        let s3 = aws_sdk_s3::Client::from_conf(
            ctx.clients
                .s3
                .config()
                .to_builder()
                .region(aws_sdk_s3::config::Region::new(region.to_owned()))
                .build(),
        );
        match crate::resources::s3_common::read_versioning(&s3, dest).await {
            Ok(status) if status == "Enabled" => {}
            Ok(status) => violations.push(Violation::new(
                ids::S3_REPLICATION_REGION,
                &["replication", "destination_bucket"],
                format!(
                    "The destination bucket {dest:?} is not versioned (versioning is {status}); \
                     S3 replicates only into a versioned bucket. Turn versioning on for it."
                ),
            )),
            Err(e) => d.error_at(
                &[
                    crate::diagnostics::Step::Attr("replication".to_owned()),
                    crate::diagnostics::Step::Key("destination_bucket".to_owned()),
                ],
                "Could not verify the replication destination's versioning",
                format!(
                    "{e}. The provider must confirm that {dest:?} is versioned before it \
                     replicates into it."
                ),
            ),
        }
    }
}

#[tonic::async_trait]
impl Resource for Bucket {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> &Schema {
        &self.schema
    }

    fn validate(&self, config: &Value, policy: &Policy) -> Diagnostics {
        let cfg = policy_config(config);
        checks::at_validate(
            static_checks(config),
            policy,
            TYPE_NAME,
            cfg.name.as_deref(),
            |pctx| checks_bucket::check(&cfg, pctx, policy),
        )
    }

    async fn plan(&self, request: PlanRequest, ctx: &Configured) -> PlanResponse {
        plan::plan(self, request, ctx).await
    }

    async fn apply(&self, request: ApplyRequest, ctx: &Configured) -> ApplyResponse {
        apply::apply(self, request, ctx).await
    }

    async fn read(&self, state: Value, ctx: &Configured) -> ReadResponse {
        apply::read(state, ctx).await
    }

    async fn import(&self, id: &str, ctx: &Configured) -> ImportResponse {
        apply::import(id, ctx).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(entries: &[(&str, Value)]) -> Value {
        Value::Map(
            entries
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.clone()))
                .collect(),
        )
    }

    #[test]
    fn nulls_take_defaults_and_unknowns_stay_unknown() {
        let c = config(&[
            ("name", Value::string("acme-records")),
            ("kms_key_arn", Value::Unknown),
            ("audit_log_sink", Value::string("acme-audit")),
        ]);
        let cfg = policy_config(&c);
        assert_eq!(cfg.kms_key_arn, None);
        assert_eq!(cfg.encryption_algorithm.as_deref(), Some("aws:kms"));
        assert_eq!(cfg.minimum_tls_version.as_deref(), Some("1.2"));
        assert_eq!(cfg.noncurrent_version_retention_days, Some(365));
        assert_eq!(cfg.replication, None);
        assert!(desired_from(&c).is_none());
    }

    #[test]
    fn desired_takes_every_known_setting() {
        let c = config(&[
            ("name", Value::string("acme-records")),
            (
                "kms_key_arn",
                Value::string("arn:aws:kms:eu-central-1:111122223333:key/k"),
            ),
            ("encryption_algorithm", Value::string("aws:kms:dsse")),
            ("noncurrent_version_retention_days", Value::number(90)),
            ("audit_log_sink", Value::string("acme-audit")),
        ]);
        let d = desired_from(&c).unwrap();
        assert_eq!(d.algorithm, "aws:kms:dsse");
        assert_eq!(d.noncurrent_days, 90);
        assert_eq!(d.minimum_tls_version, "1.2");
        assert!(d.replication.is_none());
    }

    #[test]
    fn invalid_names_are_refused_before_any_call() {
        let c = config(&[
            ("name", Value::string("Acme_Records")),
            ("audit_log_sink", Value::string("x")),
        ]);
        let d = static_checks(&c);
        assert_eq!(d.iter().count(), 2);
    }

    #[test]
    fn validate_leaves_the_policy_to_plan_while_the_shape_is_sound() {
        // Four controls broken by the values, under a given bucket name.
        let named = |name: &str| {
            config(&[
                ("name", Value::string(name)),
                ("kms_key_arn", Value::string("alias/aws/s3")),
                ("audit_log_sink", Value::string("acme-audit")),
                ("encryption_algorithm", Value::string("AES256")),
                ("noncurrent_version_retention_days", Value::number(1)),
            ])
        };
        assert!(
            Bucket::new()
                .validate(&named("acme-records"), &Policy::baseline())
                .is_empty()
        );
        // With a name S3 rejects, validate fails anyway: it then lists every
        // refusal the values decide, so that run shows them all.
        let broken = named("Acme_Records");
        let d = Bucket::new().validate(&broken, &Policy::baseline());
        let summaries: Vec<&str> = d.iter().map(|d| d.summary.as_str()).collect();
        for id in ["PHI-KMS-001", "PHI-KMS-002", "PHI-S3-001", "PHI-S3-008"] {
            assert!(
                summaries.iter().any(|s| s.starts_with(id)),
                "{id} missing from {summaries:?}"
            );
        }
        assert!(summaries.contains(&"Invalid name"), "{summaries:?}");
    }
}
