//! `phi-lint review PLAN_JSON`: what a plan changes for PHI, for a pull
//! request comment. Reads the JSON `terraform show -json plan.out` prints and
//! nothing else (no AWS): every `phi_*` resource created, updated, replaced or
//! destroyed with the controls each change touches, the always-on settings
//! the apply restores (drift), raw AWS resources with their planned values,
//! the policy's checks on resolved values with exceptions applied, and a
//! verdict. A refused plan has no plan file: its review is the lint report.

pub mod attrs;
pub mod checks;
pub mod config;
pub mod markdown;
pub mod raw;

use std::collections::{BTreeMap, BTreeSet};

use phi_policy::{Context, Policy, ids};
use serde::Serialize;
use serde_json::Value;

pub use raw::RawResource;

/// Something a reviewer must act on.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub control: &'static str,
    pub title: &'static str,
    pub severity: String,
    pub address: String,
    pub message: String,
}

impl Finding {
    pub fn new(control: &str, address: &str, message: String) -> Finding {
        let c = phi_policy::control(control);
        Finding {
            control: c.map_or("PHI-LNT-001", |c| c.id),
            title: c.map_or("", |c| c.title),
            severity: c.map_or("high".to_owned(), |c| c.severity.to_string()),
            address: address.to_owned(),
            message,
        }
    }
}

/// One argument change of a phi resource.
#[derive(Debug, Clone, Serialize)]
pub struct AttrChange {
    pub attribute: String,
    pub description: String,
    pub controls: Vec<&'static str>,
}

/// An always-on setting whose reported value changes.
#[derive(Debug, Clone, Serialize)]
pub struct EnforcedChange {
    pub control: String,
    pub setting: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// One `phi_*` resource the plan acts on.
#[derive(Debug, Clone, Serialize)]
pub struct PhiChange {
    pub address: String,
    #[serde(rename = "type")]
    pub resource_type: String,
    /// create, update, replace, delete.
    pub action: String,
    pub changes: Vec<AttrChange>,
    /// Always-on settings AWS reports out of line that apply puts back.
    pub restored: Vec<EnforcedChange>,
    /// Always-on settings that change because a configured value did.
    pub follows: Vec<EnforcedChange>,
    /// Attributes that force the replacement.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub replace_paths: Vec<String>,
}

impl PhiChange {
    /// The controls this change touches, in order.
    pub fn controls(&self) -> BTreeSet<String> {
        self.changes
            .iter()
            .flat_map(|c| c.controls.iter().map(|c| (*c).to_owned()))
            .chain(self.restored.iter().map(|r| r.control.clone()))
            .collect()
    }

    /// Whether a reviewer has something to look at here: an argument that
    /// bears on a control, a restoration, a destroy or a replacement.
    pub fn needs_review(&self) -> bool {
        matches!(self.action.as_str(), "delete" | "replace")
            || !self.restored.is_empty()
            || (self.action == "update" && self.changes.iter().any(|c| !c.controls.is_empty()))
    }
}

/// A violation a recorded exception waives, as the provider warns at plan.
#[derive(Debug, Clone, Serialize)]
pub struct ExceptionUse {
    pub control: String,
    pub address: String,
    pub scope: String,
    pub owner: String,
    pub reason: String,
    pub expires: String,
    /// Days left until it expires (0 on its last day), negative once expired.
    pub days_left: i64,
    pub expired: bool,
    pub message: String,
}

/// The whole review.
#[derive(Debug, Clone, Serialize)]
pub struct Review {
    pub version: &'static str,
    pub terraform_version: Option<String>,
    pub format_version: Option<String>,
    pub timestamp: Option<String>,
    pub policy: String,
    pub verdict: Verdict,
    pub phi_changes: Vec<PhiChange>,
    pub raw_resources: Vec<RawResource>,
    pub exceptions: Vec<ExceptionUse>,
    pub findings: Vec<Finding>,
    /// Things phi-lint could not decide from the plan (e.g. no region).
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Verdict {
    /// 0 nothing for a reviewer to look at, 1 something to look at.
    pub exit_code: u8,
    pub summary: String,
}

/// The `actions` of a resource change, `["delete","create"]` (either order)
/// read as one replacement.
pub fn actions(rc: &Value) -> Vec<String> {
    rc.pointer("/change/actions")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

fn action_word(actions: &[String]) -> Option<&'static str> {
    let a: Vec<&str> = actions.iter().map(String::as_str).collect();
    Some(match a.as_slice() {
        ["create"] => "create",
        ["update"] => "update",
        ["delete"] => "delete",
        ["delete", "create"] | ["create", "delete"] => "replace",
        _ => return None,
    })
}

/// An `enforced` map, one entry per setting: a control with several
/// settings is split into them, so a review names the one that moved.
fn string_map(v: Option<&Value>) -> BTreeMap<String, String> {
    v.and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| {
                    v.as_str()
                        .map(|s| crate::evidence::expected::settings(k, s))
                })
                .flatten()
                .collect()
        })
        .unwrap_or_default()
}

/// The `enforced` keys AWS moved since the last apply, per address, from the
/// plan's `resource_drift`. `None` when the plan does not carry drift.
fn drifted_keys(plan: &Value) -> Option<BTreeMap<String, BTreeSet<String>>> {
    let drift = plan.get("resource_drift")?.as_array()?;
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for d in drift {
        let Some(address) = d.get("address").and_then(Value::as_str) else {
            continue;
        };
        let before = string_map(d.pointer("/change/before/enforced"));
        let after = string_map(d.pointer("/change/after/enforced"));
        let keys = before
            .keys()
            .chain(after.keys())
            .filter(|k| before.get(*k) != after.get(*k))
            .cloned()
            .collect();
        out.insert(address.to_owned(), keys);
    }
    Some(out)
}

fn phi_change(
    rc: &Value,
    action: &str,
    drift: Option<&BTreeMap<String, BTreeSet<String>>>,
    policy: &Policy,
) -> PhiChange {
    let address = rc
        .get("address")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let ty = rc.get("type").and_then(Value::as_str).unwrap_or_default();
    let change = rc.get("change").unwrap_or(&Value::Null);
    let before = change.get("before").unwrap_or(&Value::Null);
    let after = change.get("after").unwrap_or(&Value::Null);
    let unknown = change.get("after_unknown").unwrap_or(&Value::Null);
    let after_of = |attr: &str| {
        if unknown.get(attr) == Some(&Value::Bool(true)) {
            None
        } else {
            Some(after.get(attr).unwrap_or(&Value::Null))
        }
    };
    let mut attrs: BTreeSet<&str> = BTreeSet::new();
    for side in [before, after, unknown] {
        if let Some(m) = side.as_object() {
            attrs.extend(m.keys().map(String::as_str));
        }
    }
    let mut changes = Vec::new();
    for attr in attrs {
        if attrs::is_derived(attr) {
            continue;
        }
        let controls = attrs::controls_of(ty, attr).to_vec();
        let description = match action {
            "create" => {
                if controls.is_empty() {
                    continue;
                }
                attrs::describe_new(attr, after_of(attr))
            }
            "delete" => continue,
            _ => {
                let (b, a) = (before.get(attr), after_of(attr));
                if a.is_some() && b.unwrap_or(&Value::Null) == a.unwrap_or(&Value::Null) {
                    continue;
                }
                attrs::describe(attr, b.filter(|v| !v.is_null()), a)
            }
        };
        changes.push(AttrChange {
            attribute: attr.to_owned(),
            description,
            controls,
        });
    }
    let mut restored = Vec::new();
    let mut follows = Vec::new();
    if matches!(action, "update" | "replace") {
        let eb = string_map(before.get("enforced"));
        let ea = string_map(after.get("enforced"));
        let configured_change = !changes.is_empty();
        for key in eb.keys().chain(ea.keys()).collect::<BTreeSet<_>>() {
            if eb.get(key) == ea.get(key) {
                continue;
            }
            let entry = EnforcedChange {
                control: crate::tfjson::control_of_key(key).to_owned(),
                setting: key.clone(),
                before: eb.get(key).cloned(),
                after: ea.get(key).cloned(),
            };
            // Drift: AWS moved the setting since the last apply (the plan's
            // `resource_drift`), or since a refresh that already recorded it
            // (the value before is not what the prior arguments require).
            // Without drift in the plan (old Terraform), a change no argument
            // explains can only be AWS moving away.
            let off_before = eb.get(key).is_some_and(|v| {
                matches!(
                    crate::evidence::expected::judge(ty, key, v, before, policy),
                    crate::evidence::expected::Judgement::Fail(_)
                )
            });
            let drifted = off_before
                || match drift {
                    Some(d) => d.get(&address).is_some_and(|keys| keys.contains(key)),
                    None => !configured_change,
                };
            if drifted {
                restored.push(entry);
            } else {
                follows.push(entry);
            }
        }
    }
    let replace_paths = change
        .get("replace_paths")
        .and_then(Value::as_array)
        .map(|paths| {
            paths
                .iter()
                .map(|p| match p.as_array() {
                    Some(steps) => steps
                        .iter()
                        .map(crate::tfjson::show)
                        .collect::<Vec<_>>()
                        .join("."),
                    None => crate::tfjson::show(p),
                })
                .collect()
        })
        .unwrap_or_default();
    PhiChange {
        address,
        resource_type: ty.to_owned(),
        action: action.to_owned(),
        changes,
        restored,
        follows,
        replace_paths,
    }
}

/// Builds the review of a plan document already checked by
/// [`crate::tfjson::load`]. `policy_name` says which policy is in force.
pub fn review(plan: &Value, policy: &Policy, policy_name: &str, today: time::Date) -> Review {
    let mut findings = Vec::new();
    let mut notes = Vec::new();
    let mut exceptions = Vec::new();
    let regions = config::provider_regions(plan);
    for p in &regions {
        if let Some(region) = &p.region
            && let Some(v) =
                phi_policy::checks::region::check_region(region, policy, &["region".to_owned()])
        {
            findings.push(Finding::new(
                v.control.id,
                &format!("provider \"{}\"", p.key),
                v.message,
            ));
        }
    }
    for call in config::module_calls(plan) {
        let kind = crate::rules::module_sources::classify(&call.source);
        if kind == crate::rules::module_sources::SourceKind::Local {
            continue;
        }
        if !crate::rules::module_sources::approved(&call.source, policy) {
            findings.push(Finding::new(
                ids::LINT_MODULE_SOURCE,
                &call.address,
                format!(
                    "module source {:?} is not in the policy's approved modules.",
                    call.source
                ),
            ));
        } else if kind == crate::rules::module_sources::SourceKind::Registry
            && !call
                .version
                .as_deref()
                .is_some_and(crate::rules::module_sources::is_exact_version)
        {
            findings.push(Finding::new(
                ids::LINT_MODULE_SOURCE,
                &call.address,
                format!(
                    "module {:?} is not pinned to an exact version (version {:?}).",
                    call.source,
                    call.version.as_deref().unwrap_or("unset")
                ),
            ));
        }
    }
    let phi_region = config::region_of(&regions, "phi");
    if phi_region.is_none() {
        notes.push(
            "The plan does not say which region the phi provider uses (no constant or variable \
             `region` in its configuration): region checks on phi resources were skipped; the \
             provider made them at plan."
                .to_owned(),
        );
    }
    let ctx = Context {
        region: phi_region.clone().unwrap_or_default(),
        account_id: None,
    };
    let drift = drifted_keys(plan);
    let mut phi_changes = Vec::new();
    for rc in plan
        .get("resource_changes")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let ty = rc.get("type").and_then(Value::as_str).unwrap_or_default();
        if !ty.starts_with("phi_") || rc.get("mode").and_then(Value::as_str) != Some("managed") {
            continue;
        }
        let Some(action) = action_word(&actions(rc)) else {
            continue;
        };
        let change = phi_change(rc, action, drift.as_ref(), policy);
        if action != "delete" {
            let values = rc.pointer("/change/after").unwrap_or(&Value::Null);
            let resolved = checks::Resolved {
                values,
                unknown: rc.pointer("/change/after_unknown"),
            };
            if let Some(violations) = checks::violations(ty, &resolved, &ctx, policy) {
                let name = checks::aws_name(ty, values);
                let outcome =
                    phi_policy::apply_exceptions(policy, ty, name.as_deref(), violations, today);
                for v in outcome.errors {
                    findings.push(Finding::new(v.control.id, &change.address, v.message));
                }
                for (v, e) in outcome.waived {
                    exceptions.push(exception_use(&change.address, &v.message, &e, today));
                }
                for e in outcome.expired {
                    exceptions.push(exception_use(&change.address, "", &e, today));
                }
            }
        }
        phi_changes.push(change);
    }
    notes.extend(deferred_lookups_note(plan));
    let (raw_resources, raw_findings) = raw::review(plan, policy, |provider| {
        config::region_of(&regions, provider)
    });
    findings.extend(raw_findings);
    for e in exceptions.iter().filter(|e| e.expired) {
        findings.push(Finding::new(
            ids::EXCEPTION_VALID,
            &e.address,
            format!(
                "the exception for {} (scope {}, owner {}) expired on {}; it waives nothing.",
                e.control, e.scope, e.owner, e.expires
            ),
        ));
    }
    let to_review = phi_changes.iter().filter(|c| c.needs_review()).count();
    let waived = exceptions.iter().filter(|e| !e.expired).count();
    let attention = to_review + findings.len() + waived;
    let verdict = if attention == 0 {
        Verdict {
            exit_code: 0,
            summary: "Nothing for a reviewer to look at: no PHI control changes, no findings."
                .to_owned(),
        }
    } else {
        let mut parts = Vec::new();
        if to_review > 0 {
            parts.push(plural(
                to_review,
                "PHI resource change",
                "PHI resource changes",
            ));
        }
        if !findings.is_empty() {
            parts.push(plural(findings.len(), "finding", "findings"));
        }
        if waived > 0 {
            parts.push(plural(waived, "waived violation", "waived violations"));
        }
        Verdict {
            exit_code: 1,
            summary: format!("For a reviewer: {}.", parts.join(", ")),
        }
    };
    let text = |k: &str| plan.get(k).and_then(Value::as_str).map(str::to_owned);
    Review {
        version: env!("CARGO_PKG_VERSION"),
        terraform_version: text("terraform_version"),
        format_version: text("format_version"),
        timestamp: text("timestamp"),
        policy: policy_name.to_owned(),
        verdict,
        phi_changes,
        raw_resources,
        exceptions,
        findings,
        notes,
    }
}

/// The phi lookups (`data "phi_*"`) Terraform defers to the apply because an
/// argument is known only then: their compliance is judged during the apply,
/// not in this plan, which a reviewer should know.
fn deferred_lookups_note(plan: &Value) -> Option<String> {
    let deferred: Vec<String> = plan
        .get("resource_changes")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|rc| {
            rc.get("mode").and_then(Value::as_str) == Some("data")
                && rc
                    .get("type")
                    .and_then(Value::as_str)
                    .is_some_and(|t| t.starts_with("phi_"))
                && actions(rc) == ["read"]
        })
        .filter_map(|rc| rc.get("address").and_then(Value::as_str))
        .map(|a| format!("`{a}`"))
        .collect();
    if deferred.is_empty() {
        return None;
    }
    Some(format!(
        "{} read during the apply, not in this plan: {}. The provider judges {} \
         compliance when the apply reads {}; one that keeps `require_compliant` on \
         stops the apply there if it fails.",
        plural(deferred.len(), "lookup is", "lookups are"),
        deferred.join(", "),
        if deferred.len() == 1 { "its" } else { "their" },
        if deferred.len() == 1 { "it" } else { "them" },
    ))
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn exception_use(
    address: &str,
    message: &str,
    e: &phi_policy::Exception,
    today: time::Date,
) -> ExceptionUse {
    let days_left = (e.expires - today).whole_days();
    ExceptionUse {
        control: e.control.clone(),
        address: address.to_owned(),
        scope: e.scope.clone(),
        owner: e.owner.clone(),
        reason: e.reason.clone(),
        expires: e.expires.to_string(),
        days_left,
        expired: !e.is_active(today),
        message: message.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The notes of the review, under the baseline, of a plan with these
    /// resource changes.
    fn notes_for(changes: Value) -> Vec<String> {
        let plan = serde_json::json!({
            "format_version": "1.2",
            "terraform_version": "1.15.5",
            "resource_changes": changes,
        });
        review(
            &plan,
            &Policy::baseline(),
            "baseline",
            time::macros::date!(2026 - 12 - 01),
        )
        .notes
    }

    fn read(address: &str, ty: &str, actions: &[&str]) -> Value {
        serde_json::json!({
            "address": address,
            "mode": "data",
            "type": ty,
            "name": "x",
            "change": {"actions": actions, "before": null, "after": {}},
        })
    }

    #[test]
    fn lookups_deferred_to_the_apply_are_named_in_a_note() {
        let notes = notes_for(serde_json::json!([
            read("data.phi_bucket.each[\"a\"]", "phi_bucket", &["read"]),
            read(
                "data.phi_audit_log_sink.late",
                "phi_audit_log_sink",
                &["read"]
            ),
            read(
                "data.aws_caller_identity.me",
                "aws_caller_identity",
                &["read"]
            ),
        ]));
        assert_eq!(notes.len(), 2, "{notes:?}");
        let note = notes
            .iter()
            .find(|n| n.contains("during the apply"))
            .expect("a note on the deferred lookups");
        assert!(
            note.starts_with("2 lookups are read during the apply")
                && note.contains("`data.phi_bucket.each[\"a\"]`, `data.phi_audit_log_sink.late`")
                && note.contains("their compliance")
                && !note.contains("aws_caller_identity"),
            "{note}"
        );
        // Nothing deferred, no note.
        let notes = notes_for(serde_json::json!([read(
            "data.aws_caller_identity.me",
            "aws_caller_identity",
            &["read"]
        )]));
        assert!(
            notes.iter().all(|n| !n.contains("during the apply")),
            "{notes:?}"
        );
    }
}
