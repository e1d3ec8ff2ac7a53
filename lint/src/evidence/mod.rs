//! `phi-lint evidence STATE_JSON`: what an auditor keeps. For every `phi_*`
//! resource of a state (`terraform show -json` after a refresh) and every
//! control the catalogue assigns to its type: what AWS reported at the last
//! refresh (the `enforced` map), whether that is what compliance requires,
//! the policy's checks on the recorded arguments with exceptions applied,
//! and the HIPAA and GDPR references. Reads only the file; never calls AWS.

pub mod expected;
pub mod html;
pub mod markdown;

use std::collections::BTreeMap;

use phi_policy::{Context, Enforcement, Policy};
use serde::Serialize;
use serde_json::Value;

use crate::review::checks;
use expected::Judgement;

/// A control's standing on one resource. Ordered worst first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Fail,
    Waived,
    NotAssessed,
    Pass,
}

impl Status {
    pub fn word(self) -> &'static str {
        match self {
            Status::Fail => "fail",
            Status::Waived => "waived",
            Status::NotAssessed => "not assessed",
            Status::Pass => "pass",
        }
    }
}

/// One `enforced` entry: what AWS reported and the verdict on it.
#[derive(Debug, Clone, Serialize)]
pub struct Reported {
    pub setting: String,
    pub value: String,
    /// Set when the value is not what compliance requires.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
    /// `None` when phi-lint has no expectation for this setting.
    pub compliant: Option<bool>,
}

/// A recorded exception that covers this control on this resource.
#[derive(Debug, Clone, Serialize)]
pub struct ExceptionRef {
    pub scope: String,
    pub owner: String,
    pub reason: String,
    pub expires: String,
    pub active: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct ControlEvidence {
    pub id: &'static str,
    pub title: &'static str,
    pub severity: String,
    pub hipaa: Vec<&'static str>,
    pub gdpr: Vec<&'static str>,
    pub status: Status,
    /// What AWS reported for the control's always-on settings.
    pub reported: Vec<Reported>,
    /// Arguments recorded in the state that bear on the control.
    pub configured: Vec<Configured>,
    /// Policy violations of the recorded arguments.
    pub violations: Vec<String>,
    pub exceptions: Vec<ExceptionRef>,
    /// Why the status is what it is, in a sentence.
    pub basis: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Configured {
    pub attribute: String,
    pub value: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ResourceEvidence {
    pub address: String,
    #[serde(rename = "type")]
    pub resource_type: String,
    /// The AWS name (bucket, sink, DB identifier).
    pub name: Option<String>,
    /// The region, read from the resource's ARNs or its key's.
    pub region: Option<String>,
    /// Where the region was read.
    pub region_source: Option<&'static str>,
    pub status: Status,
    pub controls: Vec<ControlEvidence>,
}

/// One control across every resource that enforces it.
#[derive(Debug, Clone, Serialize)]
pub struct ControlSummary {
    pub id: &'static str,
    pub title: &'static str,
    pub hipaa: Vec<&'static str>,
    pub gdpr: Vec<&'static str>,
    pub status: Status,
    pub pass: usize,
    pub fail: usize,
    pub waived: usize,
    pub not_assessed: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct StateInfo {
    pub file: String,
    pub terraform_version: Option<String>,
    pub format_version: Option<String>,
    /// When the state file was last written (the file's modification time,
    /// UTC): `terraform show -json` carries no time of its own.
    pub modified: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PolicyInfo {
    pub source: String,
    /// sha256 of the policy file's bytes (`sha256sum` shows the same).
    pub file_sha256: Option<String>,
    /// sha256 of the parsed policy: equal for files that mean the same.
    pub fingerprint: String,
    pub exceptions: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct Evidence {
    pub schema: &'static str,
    pub phi_lint_version: &'static str,
    pub generated: String,
    pub state: StateInfo,
    pub policy: PolicyInfo,
    pub status: Status,
    pub controls: Vec<ControlSummary>,
    pub resources: Vec<ResourceEvidence>,
}

pub const SCHEMA_ID: &str = "https://phi-guard.dev/schemas/evidence-1.json";

/// sha256 as lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The policy in force, described for the report.
pub fn policy_info(policy: &Policy, source: &str, file_bytes: Option<&[u8]>) -> PolicyInfo {
    PolicyInfo {
        source: source.to_owned(),
        file_sha256: file_bytes.map(sha256_hex),
        fingerprint: sha256_hex(format!("{policy:?}").as_bytes()),
        exceptions: policy.exceptions().len(),
    }
}

fn arn_region(arn: &str) -> Option<&str> {
    arn.split(':').nth(3).filter(|r| !r.is_empty())
}

/// The region of a resource and where it was read: its own ARNs
/// (`arn:aws:logs:eu-central-1:…`), else its key's ARN (S3 ARNs carry no
/// region; the provider refuses a key from another region, PHI-KMS-006).
fn region_of(values: &Value) -> Option<(String, &'static str)> {
    let obj = values.as_object()?;
    let own = obj
        .iter()
        .filter(|(k, _)| k.ends_with("arn") && k.as_str() != "kms_key_arn")
        .filter_map(|(_, v)| v.as_str())
        .find_map(arn_region);
    if let Some(r) = own {
        return Some((r.to_owned(), "the resource's ARN"));
    }
    obj.get("kms_key_arn")
        .and_then(Value::as_str)
        .and_then(arn_region)
        .map(|r| (r.to_owned(), "its KMS key's ARN"))
}

/// The overall standing of several: a failure wins, then a waiver; controls
/// phi-lint cannot assess from a file do not make the rest "not assessed".
fn overall(statuses: impl Iterator<Item = Status>) -> Status {
    let all: Vec<Status> = statuses.collect();
    all.iter()
        .copied()
        .filter(|s| *s != Status::NotAssessed)
        .min()
        .unwrap_or(if all.is_empty() {
            Status::Pass
        } else {
            Status::NotAssessed
        })
}

fn resource(r: &Value, policy: &Policy, today: time::Date) -> Option<ResourceEvidence> {
    let ty = r.get("type")?.as_str()?;
    if !ty.starts_with("phi_") {
        return None;
    }
    let address = r.get("address")?.as_str()?.to_owned();
    let values = r.get("values").unwrap_or(&Value::Null);
    let name = checks::aws_name(ty, values);
    let (region, region_source) = match region_of(values) {
        Some((r, from)) => (Some(r), Some(from)),
        None => (None, None),
    };
    let ctx = Context {
        region: region.clone().unwrap_or_default(),
        account_id: None,
    };
    let resolved = checks::Resolved {
        values,
        unknown: None,
    };
    let violations = checks::violations(ty, &resolved, &ctx, policy).unwrap_or_default();
    let outcome = phi_policy::apply_exceptions(policy, ty, name.as_deref(), violations, today);
    let enforced: BTreeMap<String, String> = values
        .get("enforced")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), crate::tfjson::show(v)))
                .collect()
        })
        .unwrap_or_default();
    let attributes: Vec<&str> = values
        .as_object()
        .map(|m| m.keys().map(String::as_str).collect())
        .unwrap_or_default();
    let mut controls = Vec::new();
    for c in phi_policy::controls()
        .iter()
        .filter(|c| c.resources.contains(&ty) && c.enforcement != Enforcement::Lint)
    {
        let reported: Vec<Reported> = enforced
            .iter()
            .filter(|(k, _)| crate::tfjson::control_of_key(k) == c.id)
            .flat_map(|(k, v)| expected::settings(k, v))
            .map(|(k, v)| {
                let j = expected::judge(ty, &k, &v, values, policy);
                Reported {
                    setting: k,
                    value: v,
                    expected: match &j {
                        Judgement::Fail(e) => Some(e.clone()),
                        _ => None,
                    },
                    compliant: match j {
                        Judgement::Pass => Some(true),
                        Judgement::Fail(_) => Some(false),
                        Judgement::Unjudged => None,
                    },
                }
            })
            .collect();
        let configured: Vec<Configured> = attributes
            .iter()
            .filter(|a| crate::review::attrs::controls_of(ty, a).contains(&c.id))
            .filter_map(|a| {
                values.get(*a).map(|v| Configured {
                    attribute: (*a).to_owned(),
                    value: crate::tfjson::show(v),
                })
            })
            .collect();
        let errors: Vec<String> = outcome
            .errors
            .iter()
            .filter(|v| v.control.id == c.id)
            .map(|v| v.message.clone())
            .collect();
        let waived: Vec<String> = outcome
            .waived
            .iter()
            .filter(|(v, _)| v.control.id == c.id)
            .map(|(v, _)| v.message.clone())
            .collect();
        let exceptions: Vec<ExceptionRef> = policy
            .exceptions()
            .iter()
            .filter(|e| e.covers(c.id, ty, name.as_deref()))
            .map(|e| ExceptionRef {
                scope: e.scope.clone(),
                owner: e.owner.clone(),
                reason: e.reason.clone(),
                expires: e.expires.to_string(),
                active: e.is_active(today),
            })
            .collect();
        let reported_fail = reported.iter().any(|r| r.compliant == Some(false));
        let reported_pass = reported.iter().any(|r| r.compliant == Some(true));
        let region_unknown = c.id == phi_policy::ids::REGION_APPROVED && region.is_none();
        let (status, basis) = if reported_fail || !errors.is_empty() {
            (
                Status::Fail,
                if reported_fail {
                    "AWS reported a setting that is not what compliance requires; the next \
                     apply restores it."
                } else {
                    "The recorded arguments violate the policy in force."
                },
            )
        } else if !waived.is_empty() {
            (
                Status::Waived,
                "Violated, and waived by a recorded exception of the policy.",
            )
        } else if reported_pass {
            (
                Status::Pass,
                "AWS reported the required setting at the last refresh.",
            )
        } else if region_unknown {
            (
                Status::NotAssessed,
                "The state records no region for it; the provider checked it at plan.",
            )
        } else if c.enforcement == Enforcement::Api {
            (
                Status::NotAssessed,
                "Checked by the provider through the KMS API at plan and again at apply; the \
                 state records only the key ARN, and phi-lint never calls AWS.",
            )
        } else if !reported.is_empty() {
            (
                Status::NotAssessed,
                "AWS reported the setting shown; phi-lint has no expectation to compare it with.",
            )
        } else if c.id == phi_policy::ids::REGION_APPROVED {
            (
                Status::Pass,
                "The region, read from the ARN shown in the resource table, is approved.",
            )
        } else {
            (
                Status::Pass,
                "The recorded arguments satisfy the policy in force.",
            )
        };
        let mut violations = errors;
        violations.extend(waived);
        controls.push(ControlEvidence {
            id: c.id,
            title: c.title,
            severity: c.severity.to_string(),
            hipaa: c.hipaa.to_vec(),
            gdpr: c.gdpr.to_vec(),
            status,
            reported,
            configured,
            violations,
            exceptions,
            basis: basis.to_owned(),
        });
    }
    controls.sort_by_key(|c| c.status);
    let status = overall(controls.iter().map(|c| c.status));
    Some(ResourceEvidence {
        address,
        resource_type: ty.to_owned(),
        name,
        region,
        region_source,
        status,
        controls,
    })
}

/// Builds the evidence report of a state document already checked by
/// [`crate::tfjson::load`].
pub fn evidence(
    state: &Value,
    state_info: StateInfo,
    policy: &Policy,
    policy_info: PolicyInfo,
    now: time::OffsetDateTime,
) -> Evidence {
    let today = now.date();
    let mut resources: Vec<ResourceEvidence> = state
        .get("values")
        .map(crate::tfjson::resources)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|r| resource(r, policy, today))
        .collect();
    resources.sort_by(|a, b| (a.status, &a.address).cmp(&(b.status, &b.address)));
    let mut by_control: BTreeMap<&'static str, ControlSummary> = BTreeMap::new();
    for r in &resources {
        for c in &r.controls {
            let s = by_control.entry(c.id).or_insert_with(|| ControlSummary {
                id: c.id,
                title: c.title,
                hipaa: c.hipaa.clone(),
                gdpr: c.gdpr.clone(),
                status: c.status,
                pass: 0,
                fail: 0,
                waived: 0,
                not_assessed: 0,
            });
            s.status = overall([s.status, c.status].into_iter());
            match c.status {
                Status::Pass => s.pass += 1,
                Status::Fail => s.fail += 1,
                Status::Waived => s.waived += 1,
                Status::NotAssessed => s.not_assessed += 1,
            }
        }
    }
    let order: BTreeMap<&str, usize> = phi_policy::controls()
        .iter()
        .enumerate()
        .map(|(i, c)| (c.id, i))
        .collect();
    let mut controls: Vec<ControlSummary> = by_control.into_values().collect();
    controls.sort_by_key(|c| (c.status, order.get(c.id).copied().unwrap_or(usize::MAX)));
    let status = overall(controls.iter().map(|c| c.status));
    Evidence {
        schema: SCHEMA_ID,
        phi_lint_version: env!("CARGO_PKG_VERSION"),
        generated: rfc3339(now),
        state: state_info,
        policy: policy_info,
        status,
        controls,
        resources,
    }
}

/// A UTC time as `2026-11-30T17:24:20Z`.
pub fn rfc3339(t: time::OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}
