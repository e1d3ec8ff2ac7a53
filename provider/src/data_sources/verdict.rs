//! Turning a [`Lookup`] into the data source's verdict: which controls the
//! object fails, and the diagnostics that say so (errors while
//! `require_compliant`, warnings otherwise).

use std::collections::BTreeSet;

use phi_policy::{Policy, Violation};

use crate::diagnostics::Diagnostics;
use crate::resources::enforced;
use crate::resources::lookup::Lookup;
use crate::value::Value;

/// The attributes the verdict fills, and its diagnostics.
pub struct Verdict {
    pub enforced: Value,
    pub compliant: bool,
    pub failing_controls: Vec<String>,
    pub diagnostics: Diagnostics,
}

/// The control id of an internal `enforced` key ("PHI-S3-005 versioning").
fn control_id(key: &str) -> &str {
    key.split_whitespace().next().unwrap_or(key)
}

/// One violation per always-on setting whose live value is not the one
/// compliance requires, in the words the managing stack's plan would use.
pub fn drift(lookup: &Lookup) -> Vec<Violation> {
    lookup
        .required
        .iter()
        .filter_map(|(key, required)| {
            let observed = lookup
                .observed
                .get(key)
                .map_or("not reported", |v| v.as_str());
            (observed != required).then(|| {
                let setting = key
                    .split_once(char::is_whitespace)
                    .map_or(key.as_str(), |(_, rest)| rest);
                Violation::new(
                    control_id(key),
                    &["name"],
                    format!(
                        "Its {setting} has drifted: AWS reports {observed:?}, compliance requires \
                         {required:?}."
                    ),
                )
            })
        })
        .collect()
}

/// Judges the object `name` of `resource_type` (the managed resource type,
/// which the policy's exceptions name) under `policy`.
pub fn judge(
    lookup: Lookup,
    resource_type: &str,
    name: &str,
    require: bool,
    policy: &Policy,
    today: time::Date,
) -> Verdict {
    let mut violations = drift(&lookup);
    violations.extend(lookup.violations);
    let outcome = phi_policy::exceptions::apply_exceptions(
        policy,
        resource_type,
        Some(name),
        violations,
        today,
    );
    let failing: BTreeSet<String> = outcome
        .errors
        .iter()
        .map(|v| v.control.id.to_owned())
        .collect();

    let mut findings = Diagnostics::new();
    for v in &outcome.errors {
        findings.violation_of(v, resource_type, Some(name), policy);
    }
    let unverified = lookup.diagnostics.has_errors();
    findings.extend(lookup.diagnostics);
    let note = if require {
        format!(
            "This {resource_type} is read by a data source: fix it in the stack that manages it \
             (its next `terraform apply` restores the always-on settings). To read it anyway, \
             set `require_compliant = false` in this data block; findings are then warnings."
        )
    } else {
        "Reported as a warning because this data block sets `require_compliant = false`.".to_owned()
    };
    let mut diagnostics = Diagnostics::new();
    for f in findings.iter() {
        let detail = format!("{}\n\n{note}", f.detail);
        if require {
            diagnostics.error(f.summary.clone(), detail);
        } else {
            diagnostics.warning(f.summary.clone(), detail);
        }
    }
    for (v, e) in &outcome.waived {
        diagnostics.waived(v, e);
    }
    for v in &outcome.errors {
        for e in outcome.expired.iter().filter(|e| e.control == v.control.id) {
            diagnostics.expired_exception(v, e);
        }
    }
    Verdict {
        enforced: enforced::state_value(&lookup.observed),
        compliant: failing.is_empty() && !unverified,
        failing_controls: failing.into_iter().collect(),
        diagnostics,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn lookup(observed: &[(&str, &str)], required: &[(&str, &str)]) -> Lookup {
        let map = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect()
        };
        Lookup {
            attributes: BTreeMap::new(),
            observed: map(observed),
            required: map(required),
            violations: Vec::new(),
            diagnostics: Diagnostics::new(),
        }
    }

    fn today() -> time::Date {
        time::macros::date!(2026 - 12 - 01)
    }

    #[test]
    fn a_drifted_setting_fails_its_control_as_an_error_by_default() {
        let l = lookup(
            &[
                ("PHI-S3-005 versioning", "Suspended"),
                ("PHI-S3-002 public access block", "all four blocked"),
            ],
            &[
                ("PHI-S3-005 versioning", "Enabled"),
                ("PHI-S3-002 public access block", "all four blocked"),
            ],
        );
        let v = judge(l, "phi_bucket", "acme", true, &Policy::baseline(), today());
        assert!(!v.compliant);
        assert_eq!(v.failing_controls, vec!["PHI-S3-005".to_owned()]);
        let d: Vec<_> = v.diagnostics.iter().collect();
        assert_eq!(d.len(), 1);
        assert!(v.diagnostics.has_errors());
        assert!(d[0].summary.starts_with("PHI-S3-005"), "{}", d[0].summary);
        assert!(d[0].detail.contains("\"Suspended\""), "{}", d[0].detail);
        assert!(d[0].detail.contains("How to fix"), "{}", d[0].detail);
    }

    #[test]
    fn require_compliant_false_turns_findings_into_warnings() {
        let l = lookup(
            &[("PHI-S3-005 versioning", "Suspended")],
            &[("PHI-S3-005 versioning", "Enabled")],
        );
        let v = judge(l, "phi_bucket", "acme", false, &Policy::baseline(), today());
        assert!(!v.compliant);
        assert!(!v.diagnostics.has_errors());
        assert_eq!(v.diagnostics.iter().count(), 1);
    }

    #[test]
    fn a_compliant_object_has_no_findings() {
        let l = lookup(
            &[("PHI-S3-005 versioning", "Enabled")],
            &[("PHI-S3-005 versioning", "Enabled")],
        );
        let v = judge(l, "phi_bucket", "acme", true, &Policy::baseline(), today());
        assert!(v.compliant);
        assert!(v.failing_controls.is_empty());
        assert!(v.diagnostics.is_empty());
    }
}
