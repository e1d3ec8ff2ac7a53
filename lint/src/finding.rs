//! One finding: a control, where, and what exactly.

use phi_policy::Severity;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub control: &'static str,
    pub severity: &'static str,
    pub file: String,
    /// 1-based.
    pub line: u32,
    /// 1-based, in characters.
    pub column: u32,
    pub message: String,
    /// The module instances the finding was seen in (`module.a.module.b`),
    /// when it depends on what a caller passed; empty for root modules.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub modules: Vec<String>,
    /// Set when an inline suppression waives the finding.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suppressed: Option<Box<crate::suppress::Waiver>>,
    /// What the baseline and SARIF's `partialFingerprints` key it by:
    /// control, repository-relative file, resource address and attribute,
    /// so it survives line moves and message rewording ([`crate::baseline`]).
    /// 0 until computed. A number, not text, to keep findings small.
    #[serde(skip)]
    pub fingerprint: u64,
    /// Set when an `exception` of the policy waives the finding, as the
    /// provider waives it at plan: it stays listed, as a warning.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub waived: Option<Box<ExceptionWaiver>>,
}

/// The policy exception that waives a finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExceptionWaiver {
    pub scope: String,
    pub owner: String,
    pub reason: String,
    /// Valid through this day, `YYYY-MM-DD`.
    pub expires: String,
}

impl From<&phi_policy::Exception> for ExceptionWaiver {
    fn from(e: &phi_policy::Exception) -> Self {
        ExceptionWaiver {
            scope: e.scope.clone(),
            owner: e.owner.clone(),
            reason: e.reason.clone(),
            expires: e.expires.to_string(),
        }
    }
}

impl Finding {
    pub fn new(
        control_id: &'static str,
        file: &str,
        (line, column): (usize, usize),
        message: impl Into<String>,
    ) -> Self {
        let severity = match phi_policy::control(control_id).map(|c| c.severity) {
            Some(Severity::Critical) => "critical",
            Some(Severity::High) | None => "high",
            Some(Severity::Medium) => "medium",
            Some(Severity::Low) => "low",
        };
        Finding {
            control: control_id,
            severity,
            file: file.to_owned(),
            line: u32::try_from(line).unwrap_or(u32::MAX).max(1),
            column: u32::try_from(column).unwrap_or(u32::MAX).max(1),
            message: message.into(),
            modules: Vec::new(),
            suppressed: None,
            fingerprint: 0,
            waived: None,
        }
    }

    /// The fingerprint as baselines and SARIF write it (16 hex digits).
    pub fn fingerprint_text(&self) -> String {
        format!("{:016x}", self.fingerprint)
    }

    /// Marks the finding waived by a policy exception: a warning that names
    /// the exception, as the provider's plan warning does.
    pub fn waived_by(mut self, e: &phi_policy::Exception) -> Self {
        self.severity = "warning";
        self.message = format!(
            "{} (waived by the policy's exception: scope {}, owner {}, reason: {}, valid through {})",
            self.message, e.scope, e.owner, e.reason, e.expires
        );
        self.waived = Some(Box::new(ExceptionWaiver::from(e)));
        self
    }

    /// Whether the finding fails the run: not suppressed inline and not
    /// waived by a policy exception.
    pub fn fails(&self) -> bool {
        self.suppressed.is_none() && self.waived.is_none()
    }

    /// Records the module instance the finding was seen in.
    pub fn in_module(mut self, address: &str) -> Self {
        if !address.is_empty() {
            self.modules.push(address.to_owned());
        }
        self
    }

    /// What makes two findings the same finding.
    pub fn key(&self) -> (&str, u32, u32, &str, &str) {
        (
            &self.file,
            self.line,
            self.column,
            self.control,
            &self.message,
        )
    }
}

/// Sorts by file, line, column, control and merges the same finding seen in
/// several module instances into one listing all of them. Linear in the
/// number of instances (after the sort): a set remembers the instances
/// already listed, rather than scanning the list for each one.
pub fn merge(mut findings: Vec<Finding>) -> Vec<Finding> {
    findings.sort_by(|a, b| a.key().cmp(&b.key()).then(a.modules.cmp(&b.modules)));
    let mut out: Vec<Finding> = Vec::with_capacity(findings.len());
    let mut listed: std::collections::HashSet<String> = std::collections::HashSet::new();
    // Whether the finding being merged was seen in a root module: then it
    // does not depend on a caller, and lists no instance.
    let mut root_seen = false;
    for f in findings {
        match out.last_mut() {
            Some(last) if last.key() == f.key() => {
                if root_seen {
                    continue;
                }
                if f.modules.is_empty() {
                    root_seen = true;
                    last.modules.clear();
                    continue;
                }
                for m in f.modules {
                    if listed.insert(m.clone()) {
                        last.modules.push(m);
                    }
                }
            }
            _ => {
                listed.clear();
                listed.extend(f.modules.iter().cloned());
                root_seen = f.modules.is_empty();
                out.push(f);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen_in(module: &str) -> Finding {
        Finding::new("PHI-REG-001", "m/main.tf", (2, 3), "region").in_module(module)
    }

    #[test]
    fn one_finding_lists_each_instance_once_or_none_when_a_root_has_it() {
        let mut many: Vec<Finding> = (0..50_000)
            .map(|i| seen_in(&format!("module.m{}", i % 25_000)))
            .collect();
        let start = std::time::Instant::now();
        let merged = merge(many.clone());
        assert!(
            start.elapsed().as_secs() < 5,
            "linear: {:?}",
            start.elapsed()
        );
        assert_eq!(merged.len(), 1);
        assert_eq!(merged[0].modules.len(), 25_000);
        many.push(seen_in(""));
        let merged = merge(many);
        assert!(merged[0].modules.is_empty(), "seen in a root module");
    }
}
