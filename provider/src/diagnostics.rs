//! Diagnostics as Terraform shows them: a summary, a detail, and the path of
//! the attribute at fault so Terraform can point at the offending line.
//!
//! Every refusal carries the control id in the summary and "why" and "how to
//! fix" in the detail. Nothing here ever formats a Rust error with `{:?}`: user
//! text is written for users.

use phi_policy::Violation;

use crate::proto::tfplugin6 as pb;

/// One step of an attribute path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    Attr(String),
    Key(String),
}

/// An attribute path from the root of a resource or provider block.
pub type Path = Vec<Step>;

pub fn attr(name: &str) -> Path {
    vec![Step::Attr(name.to_owned())]
}

pub fn path_proto(path: &[Step]) -> pb::AttributePath {
    pb::AttributePath {
        steps: path
            .iter()
            .map(|s| pb::attribute_path::Step {
                selector: Some(match s {
                    Step::Attr(n) => pb::attribute_path::step::Selector::AttributeName(n.clone()),
                    Step::Key(k) => pb::attribute_path::step::Selector::ElementKeyString(k.clone()),
                }),
            })
            .collect(),
    }
}

fn path_to_proto(path: &[Step]) -> Option<pb::AttributePath> {
    (!path.is_empty()).then(|| path_proto(path))
}

/// Diagnostics collected while serving one request.
#[derive(Debug, Default, Clone)]
pub struct Diagnostics(Vec<pb::Diagnostic>);

impl Diagnostics {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn error(&mut self, summary: impl Into<String>, detail: impl Into<String>) {
        self.push(pb::diagnostic::Severity::Error, summary, detail, &[]);
    }

    pub fn error_at(
        &mut self,
        path: &[Step],
        summary: impl Into<String>,
        detail: impl Into<String>,
    ) {
        self.push(pb::diagnostic::Severity::Error, summary, detail, path);
    }

    pub fn warning(&mut self, summary: impl Into<String>, detail: impl Into<String>) {
        self.push(pb::diagnostic::Severity::Warning, summary, detail, &[]);
    }

    pub fn warning_at(
        &mut self,
        path: &[Step],
        summary: impl Into<String>,
        detail: impl Into<String>,
    ) {
        self.push(pb::diagnostic::Severity::Warning, summary, detail, path);
    }

    fn push(
        &mut self,
        severity: pb::diagnostic::Severity,
        summary: impl Into<String>,
        detail: impl Into<String>,
        path: &[Step],
    ) {
        self.0.push(pb::Diagnostic {
            severity: severity as i32,
            summary: summary.into(),
            detail: detail.into(),
            attribute: path_to_proto(path),
        });
    }

    /// A refusal that names no AWS object (the provider block's region):
    /// one error per violated control, its fix text in `policy`'s numbers.
    pub fn violation(&mut self, v: &Violation, policy: &phi_policy::Policy) {
        let remediation = phi_policy::effective::remediation(v.control, policy);
        self.error_at(
            &violation_path(v),
            violation_summary(v),
            detail_with(v, &remediation),
        );
    }

    /// A refusal of one named AWS object (`resource_type` `name`): the
    /// detail starts with it, so Terraform never merges the identical
    /// diagnostics of two `for_each` instances into one.
    /// The fix text quotes the numbers of `policy`, not the baseline's.
    pub fn violation_of(
        &mut self,
        v: &Violation,
        resource_type: &str,
        name: Option<&str>,
        policy: &phi_policy::Policy,
    ) {
        let remediation = phi_policy::effective::remediation(v.control, policy);
        let detail = detail_with(v, &remediation);
        let detail = match name {
            Some(n) => format!("{resource_type} {n:?}: {detail}"),
            None => detail,
        };
        self.error_at(&violation_path(v), violation_summary(v), detail);
    }

    /// A violation waived by a recorded exception: shown, never silent.
    /// PHI-EXC-001 beside a violation an expired exception would have waived.
    pub fn expired_exception(&mut self, v: &Violation, e: &phi_policy::Exception) {
        self.warning_at(
            &violation_path(v),
            format!(
                "{}: exception for {} has expired",
                phi_policy::ids::EXCEPTION_VALID,
                e.control
            ),
            format!(
                "The policy's exception for {} (scope {}, owner {}) expired on {}. It no longer \
                 waives anything; renew it with a new expiry date or fix the configuration.",
                e.control, e.scope, e.owner, e.expires
            ),
        );
    }

    pub fn waived(&mut self, v: &Violation, exception: &phi_policy::Exception) {
        self.warning_at(
            &violation_path(v),
            format!("{} waived by exception: {}", v.control.id, v.control.title),
            format!(
                "{}\n\nThis is allowed only because the policy records an exception \
                 (scope {}, owner {}, reason: {}) valid through {}. When it expires this \
                 configuration will be refused.",
                v.message, exception.scope, exception.owner, exception.reason, exception.expires
            ),
        );
    }

    pub fn extend(&mut self, other: Diagnostics) {
        self.0.extend(other.0);
    }

    pub fn has_errors(&self) -> bool {
        self.0
            .iter()
            .any(|d| d.severity == pb::diagnostic::Severity::Error as i32)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn into_proto(self) -> Vec<pb::Diagnostic> {
        self.0
    }

    pub fn iter(&self) -> impl Iterator<Item = &pb::Diagnostic> {
        self.0.iter()
    }
}

/// Policy paths are attribute names, except that what follows a map-valued
/// attribute (`tags`, `replication`) is a key within it.
fn violation_path(v: &Violation) -> Path {
    let mut path = Vec::with_capacity(v.path.len());
    for (i, part) in v.path.iter().enumerate() {
        if i > 0 && (v.path[i - 1] == "tags" || v.path[i - 1] == "replication") {
            path.push(Step::Key(part.clone()));
        } else {
            path.push(Step::Attr(part.clone()));
        }
    }
    path
}

pub fn violation_summary(v: &Violation) -> String {
    format!("{}: {}", v.control.id, v.control.title)
}

fn detail_with(v: &Violation, remediation: &str) -> String {
    let c = v.control;
    let mut refs: Vec<String> = c.hipaa.iter().map(|s| format!("HIPAA {s}")).collect();
    refs.extend(c.gdpr.iter().map(|s| format!("GDPR {s}")));
    format!(
        "{}\n\nWhy: {}\n\nHow to fix: {}\n\nSeverity: {}. {}. More: `phi-lint explain {}` or {}.",
        v.message,
        c.rationale,
        remediation,
        c.severity,
        refs.join("; "),
        c.id,
        phi_policy::docs::control_url(c.id)
    )
}
