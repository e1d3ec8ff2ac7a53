//! The provider's static checks on `phi_*` resources, from the same
//! `phi_policy::checks` functions the provider runs at plan time, on values
//! evaluated in the module instance.
//!
//! Adding a resource is one entry in [`RESOURCES`]: the attributes its checks
//! read (an unknown one is reported as "could not verify") and a function
//! that builds the policy crate's config from [`Attrs`] and calls its
//! `check(cfg, ctx, policy)`.

use std::collections::BTreeMap;

use phi_policy::checks::audit_log_sink::{AuditLogSinkConfig, check as check_sink};
use phi_policy::checks::bucket::{BucketConfig, check as check_bucket};
use phi_policy::checks::database::{DatabaseConfig, check as check_database};
use phi_policy::checks::kms_key::{KmsKeyConfig, check as check_kms_key};
use phi_policy::{Context, Policy, Violation};

use super::unverifiable;
use crate::eval::Value;
use crate::finding::Finding;
use crate::instance::Instance;
use crate::ir::Block;

/// One `phi_*` resource type the linter checks.
pub struct PhiResource {
    pub resource_type: &'static str,
    /// The argument holding the AWS name policy exceptions match on (the
    /// provider matches the same one).
    pub name_attr: &'static str,
    /// Arguments the checks read: an unknown value in one of them is a
    /// PHI-LNT-001 finding (the check itself skips it).
    pub checked: &'static [&'static str],
    pub check: fn(&Attrs, &Context, &Policy) -> Vec<Violation>,
}

pub static RESOURCES: &[PhiResource] = &[
    PhiResource {
        resource_type: "phi_audit_log_sink",
        name_attr: "name",
        checked: &["kms_key_arn", "retention_days", "object_lock_mode", "tags"],
        check: |a, ctx, policy| {
            let cfg = AuditLogSinkConfig {
                name: a.string("name"),
                kms_key_arn: a.string("kms_key_arn"),
                retention_days: a.int("retention_days"),
                object_lock_mode: a.string_or("object_lock_mode", "COMPLIANCE"),
                tags: a.string_map_or_empty("tags"),
            };
            check_sink(&cfg, ctx, policy)
        },
    },
    // Absent tunables are skipped rather than defaulted: the provider's defaults
    // (SSE-KMS, TLS 1.2, 365 noncurrent days, the policy's backup floor and
    // Multi-AZ requirement) comply by construction.
    PhiResource {
        resource_type: "phi_bucket",
        name_attr: "name",
        checked: &[
            "kms_key_arn",
            "encryption_algorithm",
            "minimum_tls_version",
            "noncurrent_version_retention_days",
            "replication",
            "tags",
        ],
        check: |a, ctx, policy| {
            let cfg = BucketConfig {
                name: a.string("name"),
                kms_key_arn: a.string("kms_key_arn"),
                encryption_algorithm: a.string("encryption_algorithm"),
                minimum_tls_version: a.string("minimum_tls_version"),
                noncurrent_version_retention_days: a.int("noncurrent_version_retention_days"),
                tags: a.string_map_or_empty("tags"),
                replication: a.string_entries("replication"),
            };
            check_bucket(&cfg, ctx, policy)
        },
    },
    PhiResource {
        resource_type: "phi_database",
        name_attr: "identifier",
        checked: &[
            "kms_key_arn",
            "engine",
            "engine_version",
            "backup_retention_days",
            "multi_az",
            "publicly_accessible",
            "tags",
            "performance_insights",
            "performance_insights_retention_days",
            "enhanced_monitoring",
        ],
        check: |a, ctx, policy| {
            let cfg = DatabaseConfig {
                identifier: a.string("identifier"),
                engine: a.string("engine"),
                engine_version: a.string("engine_version"),
                kms_key_arn: a.string("kms_key_arn"),
                backup_retention_days: a.int("backup_retention_days"),
                multi_az: a.get("multi_az").and_then(Value::as_bool),
                publicly_accessible: a.get("publicly_accessible").and_then(Value::as_bool),
                tags: a.string_map_or_empty("tags"),
                performance_insights: a.get("performance_insights").and_then(Value::as_bool),
                performance_insights_retention_days: a.int("performance_insights_retention_days"),
                enhanced_monitoring: a.get("enhanced_monitoring").and_then(Value::as_bool),
            };
            check_database(&cfg, ctx, policy)
        },
    },
    // A key the provider makes: its rotation period against the policy's
    // maximum and its tags, as the provider checks them at plan.
    PhiResource {
        resource_type: "phi_kms_key",
        name_attr: "name",
        checked: &["rotation_period_days", "tags"],
        check: |a, _ctx, policy| {
            let cfg = KmsKeyConfig {
                rotation_period_days: a.int("rotation_period_days"),
                tags: a.string_map_or_empty("tags"),
            };
            check_kms_key(&cfg, policy)
        },
    },
];

/// A resource's arguments, evaluated. Getters return `None` for a value
/// that is unknown or of the wrong type: the policy checks skip `None`.
pub struct Attrs {
    values: BTreeMap<String, Value>,
}

impl Attrs {
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.values.get(name)
    }
    pub fn string(&self, name: &str) -> Option<String> {
        match self.get(name)? {
            Value::String(s) => Some(s.clone()),
            v if v.is_known() => v.as_string(),
            _ => None,
        }
    }
    /// Absent or null: the resource's default.
    pub fn string_or(&self, name: &str, default: &str) -> Option<String> {
        match self.get(name) {
            None | Some(Value::Null) => Some(default.to_owned()),
            Some(_) => self.string(name),
        }
    }
    pub fn int(&self, name: &str) -> Option<i64> {
        self.get(name)?
            .as_number()
            .filter(|n| n.fract() == 0.0)
            .map(|n| n as i64)
    }
    pub fn bool_or(&self, name: &str, default: bool) -> Option<bool> {
        match self.get(name) {
            None | Some(Value::Null) => Some(default),
            Some(v) => v.as_bool(),
        }
    }
    /// A map whose entries may be unknown one by one (`None`): known entries
    /// are checked, unknown ones were already reported. Absent, null or not a
    /// map is `None`.
    pub fn string_entries(&self, name: &str) -> Option<BTreeMap<String, Option<String>>> {
        match self.get(name)? {
            Value::Map(m) => Some(
                m.iter()
                    .map(|(k, v)| (k.clone(), v.as_string().filter(|_| v.is_known())))
                    .collect(),
            ),
            _ => None,
        }
    }
    /// A map of strings; absent or null is an empty map.
    pub fn string_map_or_empty(&self, name: &str) -> Option<BTreeMap<String, String>> {
        match self.get(name) {
            None | Some(Value::Null) => Some(BTreeMap::new()),
            Some(Value::Map(m)) => m
                .iter()
                .map(|(k, v)| v.as_string().map(|s| (k.clone(), s)))
                .collect(),
            Some(_) => None,
        }
    }
}

/// Whether an unknown key ARN is the `arn` of a `phi_kms_key`: such a key is
/// compliant by construction (customer-managed, symmetric, rotating, its
/// policy written by the provider) and is checked again by the provider at
/// apply, so it is not "unverifiable".
fn from_phi_kms_key(value: &Value) -> bool {
    let Some(why) = value.unknown_reason() else {
        return false;
    };
    let parts: Vec<&str> = why.split('.').collect();
    matches!(parts.as_slice(), ["phi_kms_key", name, "arn"] if !name.is_empty())
}

pub fn check(instance: &Instance, policy: &Policy) -> Vec<Finding> {
    let mut out = Vec::new();
    for (file, block) in instance.module.blocks() {
        if block.ident == "data" {
            out.extend(check_data_source(instance, file, block));
            continue;
        }
        if block.ident != "resource" {
            continue;
        }
        let Some(kind) = RESOURCES
            .iter()
            .find(|r| block.label(0) == Some(r.resource_type))
        else {
            continue;
        };
        out.extend(check_resource(instance, policy, file, block, kind));
    }
    out
}

fn check_resource(
    instance: &Instance,
    policy: &Policy,
    file: &crate::source::SourceFile,
    block: &Block,
    kind: &PhiResource,
) -> Vec<Finding> {
    let mut address = format!("{}.{}", kind.resource_type, block.label(1).unwrap_or("?"));
    if !instance.address.is_empty() {
        address = format!("{}.{address}", instance.address);
    }
    let mut out = arguments(file, block, &address);
    match crate::expand::instances(block, &instance.scope) {
        Ok(list) => {
            out.extend(list.iter().flat_map(|each| {
                check_instance(instance, policy, file, block, kind, &address, each)
            }));
            out
        }
        Err(u) => {
            out.push(Finding::new(
                phi_policy::ids::LINT_UNVERIFIABLE,
                &file.path,
                u.attr.at,
                format!(
                    "{address}: its instances could not be verified from the source: `{} = {}`: {}",
                    u.attr.name,
                    u.attr.source_text(&file.text),
                    crate::expand::unexpandable_reason(&u)
                ),
            ));
            out
        }
    }
}

/// PHI-LNT-008: required arguments missing (or set to a literal `null`) and
/// arguments the resource does not have, from the table the provider's
/// schemas are tested against; a near miss gets a "did you mean".
fn arguments(file: &crate::source::SourceFile, block: &Block, address: &str) -> Vec<Finding> {
    let Some(table) = block.label(0).and_then(phi_policy::arguments::arguments) else {
        return Vec::new();
    };
    arguments_of(file, block, address, table, table.resource_type)
}

/// A `data "phi_*"` block: PHI-LNT-008 against the data source's arguments.
/// A data source creates nothing, so there is nothing else to check in it;
/// the provider checks the object it reads when it reads it (at plan).
fn check_data_source(
    instance: &Instance,
    file: &crate::source::SourceFile,
    block: &Block,
) -> Vec<Finding> {
    let Some(table) = block
        .label(0)
        .and_then(phi_policy::arguments::data_source_arguments)
    else {
        return Vec::new();
    };
    let mut address = format!(
        "data.{}.{}",
        table.resource_type,
        block.label(1).unwrap_or("?")
    );
    if !instance.address.is_empty() {
        address = format!("{}.{address}", instance.address);
    }
    let what = format!("data source {}", table.resource_type);
    arguments_of(file, block, &address, table, &what)
}

/// PHI-LNT-008 for `block` against `table`; `what` names the block's type
/// in messages ("phi_bucket", "data source phi_bucket").
fn arguments_of(
    file: &crate::source::SourceFile,
    block: &Block,
    address: &str,
    table: &phi_policy::arguments::ResourceArguments,
    what: &str,
) -> Vec<Finding> {
    let all = table.all();
    let mut out = Vec::new();
    let unknown: Vec<&crate::ir::Attr> = block
        .attrs
        .iter()
        .filter(|a| !all.contains(&a.name.as_str()))
        .collect();
    for a in &unknown {
        let hint = phi_policy::document::nearest(&a.name, &all)
            .map(|n| format!(" (did you mean `{n}`?)"))
            .unwrap_or_default();
        out.push(Finding::new(
            phi_policy::ids::LINT_ARGUMENTS,
            &file.path,
            a.at,
            format!(
                "{address}: `{}` is not an argument of {what}{hint}; Terraform refuses it",
                a.name
            ),
        ));
    }
    for name in table.required {
        let missing = match block.attr(name) {
            None => true,
            Some(a) => matches!(a.expr, hcl_edit::expr::Expression::Null(_)),
        };
        if missing {
            let hint = unknown
                .iter()
                .find(|a| phi_policy::document::nearest(&a.name, &[name]).is_some())
                .map(|a| format!(" (did you mean `{name}` instead of `{}`?)", a.name))
                .unwrap_or_default();
            out.push(Finding::new(
                phi_policy::ids::LINT_ARGUMENTS,
                &file.path,
                block.at,
                format!(
                    "{address}: the required argument `{name}` is missing{hint}; `terraform \
                     validate` and the plan refuse the {} without it",
                    if block.ident == "data" {
                        "data source"
                    } else {
                        "resource"
                    }
                ),
            ));
        }
    }
    out
}

/// One instance of a `phi_*` resource (the whole resource without
/// `count`/`for_each`), named as Terraform names it.
fn check_instance(
    instance: &Instance,
    policy: &Policy,
    file: &crate::source::SourceFile,
    block: &Block,
    kind: &PhiResource,
    address: &str,
    each: &crate::expand::BlockInstance,
) -> Vec<Finding> {
    let address = format!("{address}{}", each.suffix);
    let address = address.as_str();
    let mut out = Vec::new();
    let mut values = BTreeMap::new();
    for attr in &block.attrs {
        if attr.name == "for_each" || attr.name == "count" {
            continue;
        }
        let value = instance.scope.eval_with(&attr.expr, &each.bindings);
        if kind.checked.contains(&attr.name.as_str())
            && !value.is_known()
            && !(attr.name == "kms_key_arn"
                && (from_phi_kms_key(&value) || instance.key_from_checked_lookup(&value)))
        {
            out.push(unverifiable(file, address, attr, &value));
        }
        values.insert(attr.name.clone(), value);
    }
    let attrs = Attrs { values };
    // The region the resource is created in: its own `region`, else its
    // provider configuration's, when known. The account is only known at plan.
    let region = match attrs.get("region") {
        Some(Value::String(r)) => r.clone(),
        _ => match instance.provider_for(block).and_then(|p| p.region.clone()) {
            Some(Value::String(r)) => r,
            _ => String::new(),
        },
    };
    let ctx = Context {
        region,
        account_id: None,
    };
    // The region itself is the regions rule's finding, on the provider block
    // or the resource's own `region`: reporting it here again would repeat it
    // on every resource that inherits an unapproved provider region.
    let violations: Vec<_> = (kind.check)(&attrs, &ctx, policy)
        .into_iter()
        .filter(|v| v.control.id != phi_policy::ids::REGION_APPROVED)
        .collect();
    // Exceptions are applied by the provider's own function, on the same
    // AWS name, so a waiver means the same thing in CI and at plan.
    let name = attrs.string(kind.name_attr);
    let outcome = phi_policy::apply_exceptions(
        policy,
        kind.resource_type,
        name.as_deref(),
        violations,
        instance.today,
    );
    let finding = |v: &phi_policy::Violation| {
        let attr = v.path.first().and_then(|p| block.attr(p));
        let at = attr.map_or(block.at, |a| {
            object_key_at(file, &a.expr, &v.path[1..]).unwrap_or(a.at)
        });
        let origin = attr
            .and_then(|a| instance.origin_of(&a.expr, block))
            .map(|o| format!(" (value from {o})"))
            .unwrap_or_default();
        Finding::new(
            v.control.id,
            &file.path,
            at,
            format!("{address}: {}{origin}", v.message),
        )
    };
    for v in &outcome.errors {
        let f = finding(v);
        // An expired exception that would have covered this violation is
        // reported beside it.
        for e in outcome.expired.iter().filter(|e| e.control == v.control.id) {
            out.push(Finding::new(
                phi_policy::ids::EXCEPTION_VALID,
                &f.file,
                (f.line as usize, f.column as usize),
                format!(
                    "{address}: the policy's exception for {} (scope {}, owner {}) expired on {}; \
                     it no longer waives anything: renew it or fix the configuration",
                    e.control, e.scope, e.owner, e.expires
                ),
            ));
        }
        out.push(f);
    }
    for (v, e) in &outcome.waived {
        out.push(finding(v).waived_by(e));
    }
    out
}

/// Where the key a violation's path names inside an object literal is (for
/// `replication = { region = "..." }`, the `region` line), so the finding
/// points at the same line as the provider's refusal. `None` when the path
/// ends at the attribute, the value is not a literal object, or the source
/// has no spans (`.tf.json`).
fn object_key_at(
    file: &crate::source::SourceFile,
    expr: &hcl_edit::expr::Expression,
    rest: &[String],
) -> Option<crate::ir::Pos> {
    use hcl_edit::Span;
    use hcl_edit::expr::{Expression, ObjectKey};
    let (name, deeper) = rest.split_first()?;
    let Expression::Object(object) = expr else {
        return None;
    };
    let (key, value) = object.iter().find(|(k, _)| match k {
        ObjectKey::Ident(i) => i.as_str() == name,
        ObjectKey::Expression(Expression::String(s)) => s.as_str() == name,
        ObjectKey::Expression(_) => false,
    })?;
    object_key_at(file, value.expr(), deeper)
        .or_else(|| key.span().map(|span| file.position(span.start)))
}

#[cfg(test)]
mod phi_kms_key_tests {
    use super::*;

    #[test]
    fn only_a_phi_kms_key_arn_counts_as_verified() {
        assert!(from_phi_kms_key(&Value::unknown("phi_kms_key.audit.arn")));
        for other in [
            "aws_kms_key.audit.arn",
            "data.aws_kms_key.audit.arn",
            "phi_kms_key.audit.key_id",
            "phi_kms_key.audit.alias_arn",
            "var.key",
        ] {
            assert!(!from_phi_kms_key(&Value::unknown(other)), "{other}");
        }
        assert!(!from_phi_kms_key(&Value::String("x".into())));
    }
}
