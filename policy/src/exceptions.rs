//! Recorded exceptions: the only way to loosen a control. Each names the
//! control, a scope, an owner, a reason and an expiry date; expired ones waive
//! nothing and are reported.

use crate::violation::Violation;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exception {
    pub control: String,
    /// `<resource type>.<glob over the AWS name>`, e.g.
    /// `phi_audit_log_sink.acme-dev-*`: the provider knows the AWS name but
    /// not the Terraform address, so both programs match on the name.
    pub scope: String,
    pub owner: String,
    pub reason: String,
    /// Valid through this day (inclusive).
    pub expires: time::Date,
}

/// Splits a scope into resource type and name pattern.
pub fn parse_scope(scope: &str) -> Option<(&str, &str)> {
    let (ty, pattern) = scope.split_once('.')?;
    let valid_type = ty.starts_with("phi_")
        && ty.len() > 4
        && ty.chars().all(|c| c.is_ascii_lowercase() || c == '_');
    (valid_type && !pattern.is_empty()).then_some((ty, pattern))
}

/// `*` matches any run of characters, `?` exactly one.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

impl Exception {
    pub fn covers(&self, control: &str, resource_type: &str, resource_name: Option<&str>) -> bool {
        let Some((ty, pattern)) = parse_scope(&self.scope) else {
            return false;
        };
        self.control == control
            && ty == resource_type
            && resource_name.is_some_and(|n| glob_match(pattern, n))
    }

    pub fn is_active(&self, today: time::Date) -> bool {
        today <= self.expires
    }
}

#[derive(Debug, Default)]
pub struct Outcome {
    /// Violations that stand.
    pub errors: Vec<Violation>,
    /// Violations waived by an active exception.
    pub waived: Vec<(Violation, Exception)>,
    /// Exceptions that would have matched but have expired.
    pub expired: Vec<Exception>,
}

pub fn apply_exceptions(
    policy: &crate::Policy,
    resource_type: &str,
    resource_name: Option<&str>,
    violations: Vec<Violation>,
    today: time::Date,
) -> Outcome {
    let mut out = Outcome::default();
    for v in violations {
        let matching: Vec<&Exception> = policy
            .exceptions()
            .iter()
            .filter(|e| e.covers(v.control.id, resource_type, resource_name))
            .collect();
        match matching.iter().find(|e| e.is_active(today)) {
            Some(e) => out.waived.push((v, (*e).clone())),
            None => {
                for e in matching {
                    if !out.expired.contains(e) {
                        out.expired.push(e.clone());
                    }
                }
                out.errors.push(v);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Policy, Violation, ids};

    fn policy(expires: &str) -> Policy {
        Policy::parse(
            &format!(
                "exception \"PHI-LOG-001\" {{\n  scope = \"phi_audit_log_sink.acme-dev-*\"\n  owner = \"sec@acme\"\n  reason = \"sandbox\"\n  expires = \"{expires}\"\n}}\n"
            ),
            "p",
        )
        .unwrap()
    }

    fn day(s: &str) -> time::Date {
        time::Date::parse(s, time::macros::format_description!("[year]-[month]-[day]")).unwrap()
    }

    fn short_retention() -> Vec<Violation> {
        vec![Violation::new(
            ids::LOG_RETENTION,
            &["retention_days"],
            "90 < 2192",
        )]
    }

    #[test]
    fn globs() {
        assert!(glob_match("acme-dev-*", "acme-dev-1"));
        assert!(glob_match("a?c", "abc"));
        assert!(glob_match("*", ""));
        assert!(!glob_match("acme-dev-*", "acme-prod"));
        assert!(!glob_match("a?c", "ac"));
    }

    #[test]
    fn active_exception_waives_in_scope_only() {
        let p = policy("2027-03-31");
        let o = apply_exceptions(
            &p,
            "phi_audit_log_sink",
            Some("acme-dev-7"),
            short_retention(),
            day("2027-03-31"),
        );
        assert!(o.errors.is_empty());
        assert_eq!(o.waived.len(), 1);
        let o = apply_exceptions(
            &p,
            "phi_audit_log_sink",
            Some("acme-prod"),
            short_retention(),
            day("2026-01-01"),
        );
        assert_eq!(o.errors.len(), 1);
        assert!(o.expired.is_empty());
        let o = apply_exceptions(
            &p,
            "phi_bucket",
            Some("acme-dev-7"),
            short_retention(),
            day("2026-01-01"),
        );
        assert_eq!(o.errors.len(), 1);
    }

    #[test]
    fn expired_exception_waives_nothing_and_is_reported() {
        let p = policy("2026-01-31");
        let o = apply_exceptions(
            &p,
            "phi_audit_log_sink",
            Some("acme-dev-7"),
            short_retention(),
            day("2026-02-01"),
        );
        assert_eq!(o.errors.len(), 1);
        assert!(o.waived.is_empty());
        assert_eq!(o.expired.len(), 1);
        assert_eq!(o.expired[0].owner, "sec@acme");
    }

    #[test]
    fn unknown_name_is_not_waived() {
        let p = policy("2027-03-31");
        let o = apply_exceptions(
            &p,
            "phi_audit_log_sink",
            None,
            short_retention(),
            day("2026-01-01"),
        );
        assert_eq!(o.errors.len(), 1);
    }
}
