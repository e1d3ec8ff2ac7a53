//! `phi_kms_key`: a customer-managed KMS key that is compliant by
//! construction, so a stack needs no raw `aws_kms_key`.
//!
//! Always symmetric (`SYMMETRIC_DEFAULT`, `ENCRYPT_DECRYPT`), `AWS_KMS`
//! origin, single-Region, with automatic rotation on. The key policy is not
//! an argument: the provider writes it from `services`, `administrator_arns`
//! and `user_arns` (`phi_policy::key_policy::compliant_policy`), so it passes
//! the key-policy checks every phi resource runs on its key. Policy,
//! rotation, alias and key state are read on refresh into `enforced`, so a
//! change made outside Terraform shows in the next plan and apply restores
//! it. Destroy schedules deletion after `deletion_window_days` and is refused
//! while `deletion_protection` is on.

mod apply;
mod observe;

use std::collections::BTreeMap;

use phi_policy::key_policy::{KeyPolicyInputs, KeyScope, KeyService};
use phi_policy::{Policy, Violation};

use crate::configured::Configured;
use crate::diagnostics::{Diagnostics, attr};
use crate::resources::{
    ApplyRequest, ApplyResponse, ImportResponse, PlanRequest, PlanResponse, ReadResponse, Resource,
    checks, plan_common,
};
use crate::schema::{AttrType, Attribute, Mode, Schema};
use crate::value::Value;

pub const TYPE_NAME: &str = "phi_kms_key";
pub const DEFAULT_DELETION_WINDOW_DAYS: i64 = 30;
/// KMS's own bounds on the rotation period and the deletion window.
const KMS_MIN_ROTATION_DAYS: i64 = 90;
const KMS_MAX_DELETION_WINDOW_DAYS: i64 = 30;

/// Keys of the `enforced` map: the settings read from KMS on refresh.
pub mod key {
    pub const POLICY: &str = "PHI-KMS-010 key policy";
    pub const STATE: &str = "PHI-KMS-003 key state";
    pub const ROTATION: &str = "PHI-KMS-004 rotation";
    pub const ALIAS: &str = "alias";
}

/// What `enforced` says when the live key policy is the one the provider
/// wrote.
pub const POLICY_AS_WRITTEN: &str = "as written by phi-guard";
pub const POLICY_CHANGED: &str = "changed outside Terraform";

pub struct KmsKey {
    schema: Schema,
}

impl Default for KmsKey {
    fn default() -> Self {
        Self::new()
    }
}

impl KmsKey {
    pub fn new() -> Self {
        KmsKey { schema: schema() }
    }
}

fn schema() -> Schema {
    use AttrType::*;
    use Mode::*;
    Schema {
        version: 0,
        description: "A customer-managed KMS key for PHI: symmetric, AWS_KMS origin, \
            single-Region, automatic rotation on, and a key policy the provider writes from \
            `services`, `administrator_arns` and `user_arns` (administrators manage but cannot \
            use; each service uses the key only for this account and Region; nothing is granted \
            to `*`). Policy, rotation, alias and state are restored when changed outside \
            Terraform.",
        attributes: vec![
            Attribute::new("id", String, Computed, "The key id."),
            Attribute::new(
                "name",
                String,
                Required,
                "The key's alias without `alias/` (letters, digits, `/`, `_`, `-`; not \
                 starting with `aws/`). Changing it moves the alias.",
            ),
            Attribute::new("description", String, Optional, "The key's description."),
            Attribute::new(
                "services",
                SetOfString,
                Required,
                "The AWS services that may use the key: any of `s3`, `rds`, `logs`, \
                 `cloudtrail`, `secretsmanager`. A `phi_audit_log_sink` key needs `logs`, \
                 `cloudtrail` and `s3`; a `phi_bucket` key `s3`; a `phi_database` key `rds`, \
                 `secretsmanager` and `logs` (control PHI-KMS-011).",
            ),
            Attribute::new(
                "administrator_arns",
                SetOfString,
                Required,
                "IAM roles or users that manage the key (policy, rotation, enable/disable, \
                 deletion) but cannot encrypt or decrypt with it. KMS refuses a policy that \
                 would lock out the principal applying it, so include the role Terraform runs \
                 as.",
            ),
            Attribute::new(
                "user_arns",
                SetOfString,
                Optional,
                "IAM roles or users that may use the key through the listed services. Without \
                 it, the account's IAM policies decide who may (the key policy names the \
                 account root, always with `kms:ViaService` and `kms:CallerAccount`).",
            ),
            Attribute::new(
                "rotation_period_days",
                Number,
                OptionalComputed,
                "Days between automatic rotations: 90 to the policy's maximum (baseline 365), \
                 default the policy's maximum (control PHI-KMS-004).",
            ),
            Attribute::new(
                "deletion_window_days",
                Number,
                OptionalComputed,
                "Days KMS waits after destroy before deleting the key: the policy's minimum \
                 (baseline 7) to 30, default 30. The key can be recovered \
                 (`aws kms cancel-key-deletion`) until then.",
            ),
            Attribute::new(
                "deletion_protection",
                Bool,
                OptionalComputed,
                "While true (the default), destroy is refused at plan and apply: data \
                 encrypted under a deleted key is lost. Set it to false and apply first.",
            ),
            Attribute::new(
                "tags",
                MapOfString,
                Optional,
                "Tags for the key; the policy may require some keys (control PHI-TAG-001).",
            ),
            Attribute::new(
                "arn",
                String,
                Computed,
                "Full ARN of the key: pass it as `kms_key_arn`.",
            ),
            Attribute::new("key_id", String, Computed, "The key id."),
            Attribute::new("alias_arn", String, Computed, "ARN of the key's alias."),
            Attribute::new(
                "enforced",
                MapOfString,
                Computed,
                "Live key policy, state, rotation and alias, read from KMS on refresh. A value \
                 that differs from what the arguments require appears as a change in the next \
                 plan, and apply restores it.",
            ),
        ],
    }
}

/// The key's settings, all known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Desired {
    pub name: String,
    pub description: String,
    pub services: Vec<KeyService>,
    pub administrators: Vec<String>,
    pub users: Vec<String>,
    pub rotation_period_days: i64,
    pub deletion_window_days: i64,
    pub tags: BTreeMap<String, String>,
}

impl Desired {
    pub fn alias(&self) -> String {
        format!("alias/{}", self.name)
    }

    /// The key policy for this account and Region. Keys CloudTrail may use
    /// are audit keys: when the organisation names break-glass principals,
    /// the guard statement is written too (PHI-KMS-012).
    pub fn key_policy(&self, scope: KeyScope, policy: &Policy) -> String {
        let audit_key = self.services.contains(&KeyService::CloudTrail);
        phi_policy::key_policy::compliant_policy(&KeyPolicyInputs {
            scope,
            services: self.services.clone(),
            administrators: self.administrators.clone(),
            users: self.users.clone(),
            break_glass: if audit_key {
                policy.audit_key_break_glass_principals().to_vec()
            } else {
                Vec::new()
            },
        })
        .to_string()
    }

    pub fn enforced(&self) -> BTreeMap<String, String> {
        BTreeMap::from([
            (key::POLICY.to_owned(), POLICY_AS_WRITTEN.to_owned()),
            (key::STATE.to_owned(), "Enabled".to_owned()),
            (
                key::ROTATION.to_owned(),
                rotation_text(true, Some(self.rotation_period_days)),
            ),
            (key::ALIAS.to_owned(), self.alias()),
        ])
    }
}

pub fn rotation_text(enabled: bool, period: Option<i64>) -> String {
    match (enabled, period) {
        (false, _) => "off".to_owned(),
        (true, Some(days)) => format!("every {days} days"),
        (true, None) => "on".to_owned(),
    }
}

fn strings(v: &Value) -> Option<Vec<String>> {
    match v {
        Value::Null => Some(Vec::new()),
        Value::List(items) => items
            .iter()
            .map(|i| i.as_str().map(str::to_owned))
            .collect(),
        _ => None,
    }
}

fn or_number(v: &Value, default: i64) -> Option<i64> {
    match v {
        Value::Null => Some(default),
        v => v.as_i64(),
    }
}

/// The desired key, when every input is known and valid.
fn desired_from(value: &Value, policy: &Policy) -> Option<Desired> {
    let mut services = strings(value.get("services"))?
        .iter()
        .map(|s| KeyService::parse(s))
        .collect::<Option<Vec<_>>>()?;
    services.sort();
    let mut administrators = strings(value.get("administrator_arns"))?;
    administrators.sort();
    let mut users = strings(value.get("user_arns"))?;
    users.sort();
    Some(Desired {
        name: value.get("name").as_str()?.to_owned(),
        description: match value.get("description") {
            Value::Null => String::new(),
            v => v.as_str()?.to_owned(),
        },
        services,
        administrators,
        users,
        rotation_period_days: or_number(
            value.get("rotation_period_days"),
            policy.kms_rotation_max_days(),
        )?,
        deletion_window_days: or_number(
            value.get("deletion_window_days"),
            DEFAULT_DELETION_WINDOW_DAYS,
        )?,
        tags: match value.get("tags") {
            Value::Null => BTreeMap::new(),
            v => v.as_string_map()?,
        },
    })
}

fn alias_problem(name: &str) -> Option<&'static str> {
    if name.is_empty() || name.len() > 250 {
        return Some("must be 1 to 250 characters long");
    }
    if name.starts_with("aws/") || name.starts_with("alias/") {
        return Some("must not start with `aws/` (reserved for AWS-managed keys) or `alias/`");
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '_' | '-'))
    {
        return Some("may contain only letters, digits, `/`, `_` and `-`");
    }
    None
}

fn principal_problem(arn: &str) -> Option<&'static str> {
    let f: Vec<&str> = arn.splitn(6, ':').collect();
    let ok = f.len() == 6
        && f[0] == "arn"
        && f[1].starts_with("aws")
        && f[2] == "iam"
        && f[4].len() == 12
        && f[4].chars().all(|c| c.is_ascii_digit())
        && !f[5].is_empty();
    if !ok {
        return Some("is not the ARN of an IAM principal (arn:aws:iam::<account>:role/<name>)");
    }
    if arn.contains('*') {
        return Some("contains a wildcard; name each principal");
    }
    None
}

/// Checks on the arguments: errors for values KMS or the design refuse,
/// violations for the policy's bounds. Unknown values are skipped.
fn static_checks(config: &Value, policy: &Policy) -> (Diagnostics, Vec<Violation>) {
    let mut d = Diagnostics::new();
    let mut violations = Vec::new();
    if let Some(name) = config.get("name").as_str()
        && let Some(problem) = alias_problem(name)
    {
        d.error_at(
            &attr("name"),
            "Invalid key name",
            format!("The alias name {name:?} {problem}."),
        );
    }
    if let Some(services) = strings(config.get("services")) {
        if services.is_empty() && !config.get("services").is_null() {
            d.error_at(
                &attr("services"),
                "No services",
                "List the services that may use the key: any of s3, rds, logs, cloudtrail, \
                 secretsmanager. A key no service may use protects nothing.",
            );
        }
        for s in services.iter().filter(|s| KeyService::parse(s).is_none()) {
            d.error_at(
                &attr("services"),
                "Unknown service",
                format!(
                    "{s:?} is not a service phi_kms_key can admit; use any of s3, rds, logs, \
                     cloudtrail, secretsmanager."
                ),
            );
        }
    }
    for attribute in ["administrator_arns", "user_arns"] {
        let Some(arns) = strings(config.get(attribute)) else {
            continue;
        };
        if attribute == "administrator_arns" && arns.is_empty() && !config.get(attribute).is_null()
        {
            d.error_at(
                &attr(attribute),
                "No key administrators",
                "Name at least one IAM role that manages the key; without one nobody could \
                 change or delete it.",
            );
        }
        for arn in &arns {
            if let Some(problem) = principal_problem(arn) {
                d.error_at(
                    &attr(attribute),
                    format!("Invalid {attribute}"),
                    format!("{arn:?} {problem}."),
                );
            }
        }
    }
    // Above the policy's maximum is a violation (`checks::kms_key`, below).
    if let Some(days) = config.get("rotation_period_days").as_i64()
        && days < KMS_MIN_ROTATION_DAYS
    {
        d.error_at(
            &attr("rotation_period_days"),
            "Rotation period too short",
            format!(
                "rotation_period_days is {days}; KMS rotates at most every \
                 {KMS_MIN_ROTATION_DAYS} days."
            ),
        );
    }
    if let Some(days) = config.get("deletion_window_days").as_i64() {
        let min = policy.key_deletion_window_min_days();
        if !(min..=KMS_MAX_DELETION_WINDOW_DAYS).contains(&days) {
            d.error_at(
                &attr("deletion_window_days"),
                "Deletion window out of bounds",
                format!(
                    "deletion_window_days is {days}; it must be between the policy's minimum \
                     of {min} and KMS's maximum of {KMS_MAX_DELETION_WINDOW_DAYS} days."
                ),
            );
        }
    }
    // The policy's checks, the same function phi-lint runs on the source.
    let tags = match config.get("tags") {
        Value::Null => Some(BTreeMap::new()),
        v => v.as_string_map(),
    };
    violations.extend(phi_policy::checks::kms_key::check(
        &phi_policy::checks::kms_key::KmsKeyConfig {
            rotation_period_days: config.get("rotation_period_days").as_i64(),
            tags,
        },
        policy,
    ));
    (d, violations)
}

fn name_of(config: &Value) -> Option<&str> {
    config.get("name").as_str()
}

/// Whether a key in state is protected: anything but an explicit `false`.
pub fn protected(state: &Value) -> bool {
    state.get("deletion_protection").as_bool() != Some(false)
}

pub fn protection_error(d: &mut Diagnostics, name: &str) {
    d.error_at(
        &attr("deletion_protection"),
        format!("Key {name} is protected from deletion"),
        format!(
            "Destroying phi_kms_key {name} would schedule the deletion of the key, and every \
             object, database and log encrypted under it would become unreadable for good. Its \
             deletion_protection is on, so nothing was scheduled.\n\nHow to fix: if the key \
             really must go, re-encrypt or delete what it protects, set `deletion_protection = \
             false`, run `terraform apply`, then destroy again."
        ),
    );
}

impl KmsKey {
    fn full_checks(&self, config: &Value, ctx: &Configured) -> Diagnostics {
        let policy = ctx.policy();
        let (mut d, violations) = static_checks(config, policy);
        checks::report(
            violations,
            policy,
            TYPE_NAME,
            name_of(config),
            ctx.today(),
            &mut d,
        );
        d
    }
}

#[tonic::async_trait]
impl Resource for KmsKey {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> &Schema {
        &self.schema
    }

    fn validate(&self, config: &Value, policy: &Policy) -> Diagnostics {
        let (d, violations) = static_checks(config, policy);
        checks::at_validate(d, policy, TYPE_NAME, name_of(config), |_| violations)
    }

    async fn plan(&self, request: PlanRequest, ctx: &Configured) -> PlanResponse {
        let PlanRequest {
            prior,
            proposed,
            config,
        } = request;
        if proposed.is_null() {
            let mut d = Diagnostics::new();
            if protected(&prior) {
                protection_error(&mut d, prior.get("name").as_str().unwrap_or("(unknown)"));
            }
            return PlanResponse {
                planned: Value::Null,
                requires_replace: Vec::new(),
                diagnostics: d,
            };
        }
        let diagnostics = self.full_checks(&config, ctx);
        let Value::Map(mut planned) = proposed else {
            return plan_common::not_an_object(diagnostics);
        };
        plan_common::defaults_win(
            &mut planned,
            &config,
            [
                (
                    "rotation_period_days",
                    Value::number(ctx.policy().kms_rotation_max_days()),
                ),
                (
                    "deletion_window_days",
                    Value::number(DEFAULT_DELETION_WINDOW_DAYS),
                ),
                ("deletion_protection", Value::Bool(true)),
            ],
        );
        let creating = prior.is_null();
        for computed in ["id", "arn", "key_id"] {
            planned.insert(
                computed.to_owned(),
                if creating {
                    Value::Unknown
                } else {
                    prior.get(computed).clone()
                },
            );
        }
        let same_name = !creating && planned.get("name") == Some(prior.get("name"));
        let alias_arn = match (
            ctx.account_id().await,
            planned.get("name").and_then(Value::as_str),
        ) {
            _ if same_name && !prior.get("alias_arn").is_null() => prior.get("alias_arn").clone(),
            (Some(account), Some(name)) => Value::string(format!(
                "arn:{}:kms:{}:{account}:alias/{name}",
                crate::resources::s3_common::partition(&ctx.region),
                ctx.region
            )),
            _ => Value::Unknown,
        };
        planned.insert("alias_arn".to_owned(), alias_arn);
        let planned_value = Value::Map(planned);
        let enforced = desired_from(&planned_value, ctx.policy())
            .map(|d| crate::resources::enforced::state_value(&d.enforced()))
            .unwrap_or(Value::Unknown);
        let Value::Map(mut planned) = planned_value else {
            unreachable!("built as a map above")
        };
        planned.insert("enforced".to_owned(), enforced);
        PlanResponse {
            planned: Value::Map(planned),
            requires_replace: Vec::new(),
            diagnostics,
        }
    }

    async fn apply(&self, request: ApplyRequest, ctx: &Configured) -> ApplyResponse {
        apply::apply(self, request, ctx).await
    }

    async fn read(&self, state: Value, ctx: &Configured) -> ReadResponse {
        apply::read(state, ctx).await
    }

    async fn import(&self, _id: &str, _ctx: &Configured) -> ImportResponse {
        let mut d = Diagnostics::new();
        d.error(
            "phi_kms_key cannot be imported",
            "The provider writes a phi_kms_key's key policy from its arguments and cannot \
             recover them from an existing key. Create a new key with phi_kms_key and move \
             the data to it (S3 copy, RDS snapshot copy with the new key), or keep passing the \
             existing key's ARN as kms_key_arn: the phi resources check it at plan.",
        );
        ImportResponse {
            state: None,
            diagnostics: d,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use phi_policy::ids;

    fn config(entries: &[(&str, Value)]) -> Value {
        Value::Map(
            entries
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.clone()))
                .collect(),
        )
    }

    fn list(items: &[&str]) -> Value {
        Value::List(items.iter().map(|s| Value::string(*s)).collect())
    }

    const ADMIN: &str = "arn:aws:iam::111122223333:role/key-admin";

    #[test]
    fn defaults_come_from_the_policy() {
        let c = config(&[
            ("name", Value::string("acme-audit")),
            ("services", list(&["logs", "cloudtrail", "s3"])),
            ("administrator_arns", list(&[ADMIN])),
        ]);
        let policy = Policy::parse("kms {\n  rotation_max_days = 180\n}\n", "p").unwrap();
        let d = desired_from(&c, &policy).unwrap();
        assert_eq!(d.rotation_period_days, 180);
        assert_eq!(d.deletion_window_days, 30);
        assert_eq!(
            d.services,
            [KeyService::S3, KeyService::Logs, KeyService::CloudTrail]
        );
        assert_eq!(d.alias(), "alias/acme-audit");
    }

    #[test]
    fn invalid_arguments_are_refused() {
        let c = config(&[
            ("name", Value::string("aws/s3")),
            ("services", list(&["s3", "dynamodb"])),
            ("administrator_arns", list(&["*"])),
            ("rotation_period_days", Value::number(30)),
            ("deletion_window_days", Value::number(3)),
        ]);
        let (d, v) = static_checks(&c, &Policy::baseline());
        let summaries: Vec<&str> = d.iter().map(|d| d.summary.as_str()).collect();
        assert_eq!(
            summaries,
            [
                "Invalid key name",
                "Unknown service",
                "Invalid administrator_arns",
                "Rotation period too short",
                "Deletion window out of bounds"
            ]
        );
        assert!(v.is_empty());
    }

    #[test]
    fn a_rotation_period_above_the_policy_is_a_violation() {
        let c = config(&[("rotation_period_days", Value::number(400))]);
        let (_, v) = static_checks(&c, &Policy::baseline());
        assert_eq!(v[0].control.id, ids::KMS_ROTATION);
    }

    #[test]
    fn a_deletion_window_below_the_policy_minimum_is_refused() {
        let policy = Policy::parse("kms {\n  deletion_window_min_days = 14\n}\n", "p").unwrap();
        let c = config(&[("deletion_window_days", Value::number(7))]);
        let (d, _) = static_checks(&c, &policy);
        assert_eq!(d.iter().count(), 1);
        assert!(d.iter().next().unwrap().detail.contains("minimum of 14"));
    }

    #[test]
    fn the_written_policy_passes_the_checks_the_resources_run() {
        let c = config(&[
            ("name", Value::string("acme-audit")),
            ("services", list(&["logs", "cloudtrail", "s3"])),
            ("administrator_arns", list(&[ADMIN])),
        ]);
        let bg = "arn:aws:iam::111122223333:role/break-glass";
        let policy = Policy::parse(
            &format!("kms {{\n  audit_key_break_glass_principals = [\"{bg}\"]\n}}\n"),
            "p",
        )
        .unwrap();
        let ctx = phi_policy::Context {
            region: "eu-central-1".into(),
            account_id: Some("111122223333".into()),
        };
        let d = desired_from(&c, &policy).unwrap();
        let written = d.key_policy(KeyScope::from_context(&ctx), &policy);
        assert!(written.contains(bg), "{written}");
        let v = phi_policy::key_policy::check_key_policy(
            &written,
            &crate::resources::key_policy_checks::sink_needs(),
            &ctx,
            &policy,
            &["kms_key_arn".to_owned()],
        );
        assert!(v.is_empty(), "{v:?}");
    }
}
