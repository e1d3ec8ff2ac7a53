//! The provider's static checks, on `phi_*` resources in the source, from the
//! same `policy` functions the provider runs at plan time.

use std::collections::BTreeMap;

use hcl_edit::Span;
use hcl_edit::structure::{Block, Body};
use phi_policy::checks::audit_log_sink::{AuditLogSinkConfig, check as check_sink};
use phi_policy::{Context, Policy, ids};

use super::literal::{Known, read};
use crate::finding::Finding;
use crate::source::SourceFile;

/// Arguments of `phi_audit_log_sink` that carry checks.
const SINK_CHECKED: &[&str] = &["kms_key_arn", "retention_days", "object_lock_mode", "tags"];

pub fn check(file: &SourceFile, body: &Body, policy: &Policy) -> Vec<Finding> {
    let mut out = Vec::new();
    for block in body.blocks() {
        if block.ident.as_str() == "resource"
            && block.labels.first().map(|l| l.as_str()) == Some("phi_audit_log_sink")
        {
            out.extend(audit_log_sink(file, block, policy));
        }
    }
    out
}

fn audit_log_sink(file: &SourceFile, block: &Block, policy: &Policy) -> Vec<Finding> {
    let address = format!(
        "phi_audit_log_sink.{}",
        block.labels.get(1).map_or("?", |l| l.as_str())
    );
    let mut out = Vec::new();
    let mut positions = BTreeMap::new();
    let mut values = BTreeMap::new();
    for name in SINK_CHECKED.iter().chain(&["name"]) {
        if let Some(attr) = block.body.get_attribute(name) {
            let at = file.span_position(attr.value.span());
            positions.insert(*name, at);
            let value = read(&attr.value, &file.text);
            if let Known::Unknown(expr) = &value
                && SINK_CHECKED.contains(name)
            {
                out.push(Finding::new(
                        ids::LINT_UNVERIFIABLE,
                        &file.path,
                        at,
                        format!("{address}: `{name} = {expr}` could not be verified from the source; the provider checks it at plan time"),
                    ));
            }
            values.insert(*name, value);
        }
    }
    let string = |n: &str| match values.get(n) {
        Some(Known::String(s)) => Some(s.clone()),
        _ => None,
    };
    let config = AuditLogSinkConfig {
        name: string("name"),
        kms_key_arn: string("kms_key_arn"),
        retention_days: match values.get("retention_days") {
            Some(Known::Number(n)) => Some(*n),
            _ => None,
        },
        object_lock_mode: match values.get("object_lock_mode") {
            None | Some(Known::Null) => Some("COMPLIANCE".to_owned()),
            Some(Known::String(s)) => Some(s.clone()),
            _ => None,
        },
        tags: match values.get("tags") {
            None | Some(Known::Null) => Some(BTreeMap::new()),
            Some(Known::StringMap(m)) => Some(m.clone()),
            _ => None,
        },
    };
    let block_at = file.span_position(block.ident.span());
    // The region and account are not known from one resource block; the
    // region rule checks provider blocks, the provider checks the rest.
    for v in check_sink(&config, &Context::default(), policy) {
        let at = v
            .path
            .first()
            .and_then(|p| positions.get(p.as_str()))
            .copied()
            .unwrap_or(block_at);
        out.push(Finding::new(
            v.control.id,
            &file.path,
            at,
            format!("{address}: {}", v.message),
        ));
    }
    out
}
