//! Where the provider reads the organisation's policy from.
//!
//! The policy is read from the environment of the process that runs
//! Terraform, never from Terraform configuration: the provider block has no
//! policy attribute, so a module author cannot point it at a looser file. In
//! order, the provider uses:
//!
//! 1. the file named by `PHI_POLICY_FILE` (set by the platform team in CI or
//!    the runner image); set but empty is an error;
//! 2. `/etc/phi-guard/phi-policy.hcl` when present (baked into runner images);
//! 3. the built-in baseline.
//!
//! The choice is `phi_policy::source::resolve`, shared with phi-lint, so
//! both programs use the same policy on the same machine.
//!
//! Whatever the source, a policy can only tighten the baseline; loosening a
//! control takes a recorded, expiring exception (see `phi_policy::document`).
//! A policy file that is named but unreadable or invalid is an error, never a
//! silent fallback to the baseline.

use std::path::Path;

pub use phi_policy::source::{LoadedPolicy, Origin, POLICY_ENV, SYSTEM_POLICY_PATH};

/// Loads the policy as described in the module docs, by the same function
/// the linter uses (`phi_policy::source::resolve`, without a `--policy`
/// flag). The error is user-facing text naming the file and the problem.
pub fn load(env_value: Option<&str>, system_path: &Path) -> Result<LoadedPolicy, String> {
    phi_policy::source::resolve(
        None,
        env_value.map(std::ffi::OsStr::new),
        system_path,
        time::OffsetDateTime::now_utc().date(),
    )
}

/// Loads from the real environment, and says at info level which policy is
/// in force (warnings about it at warn level).
pub fn load_from_environment() -> Result<LoadedPolicy, String> {
    let loaded = phi_policy::source::resolve_from_environment(None);
    match &loaded {
        Ok(l) => {
            tracing::info!(policy = %l.origin, "phi-guard policy loaded");
            for w in l.policy.warnings() {
                tracing::warn!(
                    policy = %l.origin,
                    line = w.line,
                    column = w.column,
                    "{}",
                    w.message
                );
            }
        }
        Err(e) => tracing::error!(error = %e, "phi-guard policy could not be loaded"),
    }
    loaded
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_but_empty_is_an_error_not_the_baseline() {
        let err = load(Some(""), Path::new("/nonexistent")).unwrap_err();
        assert!(err.starts_with("PHI_POLICY_FILE is set but empty"), "{err}");
    }

    #[test]
    fn falls_back_to_baseline_only_when_nothing_is_named() {
        let loaded = load(None, Path::new("/nonexistent/phi-policy.hcl")).unwrap();
        assert_eq!(loaded.origin, Origin::Baseline);
    }

    #[test]
    fn a_named_but_missing_file_is_an_error_not_the_baseline() {
        let err = load(Some("/nonexistent/p.hcl"), Path::new("/nonexistent")).unwrap_err();
        assert!(err.contains("/nonexistent/p.hcl"), "{err}");
    }

    #[test]
    fn env_wins_over_system_path() {
        let dir = tempfile::tempdir().unwrap();
        let env_file = dir.path().join("env.hcl");
        std::fs::write(&env_file, "required_tags = [\"owner\"]\n").unwrap();
        let system = dir.path().join("system.hcl");
        std::fs::write(&system, "this is not valid").unwrap();
        let loaded = load(Some(env_file.to_str().unwrap()), &system).unwrap();
        assert_eq!(loaded.origin, Origin::Env(env_file));
        assert_eq!(loaded.policy.required_tags(), ["owner".to_owned()]);
    }
}
