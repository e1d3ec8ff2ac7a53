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
use phi_policy::{Context, Policy, Violation};

use super::unverifiable;
use crate::eval::Value;
use crate::finding::Finding;
use crate::instance::Instance;
use crate::ir::Block;

/// One `phi_*` resource type the linter checks.
pub struct PhiResource {
    pub resource_type: &'static str,
    /// Arguments the checks read: an unknown value in one of them is a
    /// PHI-LNT-001 finding (the check itself skips it).
    pub checked: &'static [&'static str],
    pub check: fn(&Attrs, &Context, &Policy) -> Vec<Violation>,
}

pub static RESOURCES: &[PhiResource] = &[PhiResource {
    resource_type: "phi_audit_log_sink",
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
}];

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

pub fn check(instance: &Instance, policy: &Policy) -> Vec<Finding> {
    let mut out = Vec::new();
    for (file, block) in instance.module.blocks() {
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
    let address = format!("{}.{}", kind.resource_type, block.label(1).unwrap_or("?"));
    let mut out = Vec::new();
    let mut values = BTreeMap::new();
    for attr in &block.attrs {
        let value = instance.scope.eval(&attr.expr);
        if kind.checked.contains(&attr.name.as_str()) && !value.is_known() {
            out.push(unverifiable(file, &address, attr, &value));
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
    for v in (kind.check)(&attrs, &ctx, policy) {
        let at = v
            .path
            .first()
            .and_then(|p| block.attr(p))
            .map_or(block.at, |a| a.at);
        out.push(Finding::new(
            v.control.id,
            &file.path,
            at,
            format!("{address}: {}", v.message),
        ));
    }
    out
}
