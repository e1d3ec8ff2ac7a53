//! Where the provider reads the organisation's policy from.
//!
//! The policy is read from the environment of the process that runs
//! Terraform, never from Terraform configuration: the provider block has no
//! policy attribute, so a module author cannot point it at a looser file. In
//! order, the provider uses:
//!
//! 1. the file named by `PHI_POLICY_FILE` (set by the platform team in CI or
//!    the runner image);
//! 2. `/etc/phi-guard/phi-policy.hcl` when present (baked into runner images);
//! 3. the built-in baseline.
//!
//! Whatever the source, a policy can only tighten the baseline; loosening a
//! control takes a recorded, expiring exception (see `phi_policy::document`).
//! A policy file that is named but unreadable or invalid is an error, never a
//! silent fallback to the baseline.

use std::path::{Path, PathBuf};

use phi_policy::Policy;

pub const POLICY_ENV: &str = "PHI_POLICY_FILE";
pub const SYSTEM_POLICY_PATH: &str = "/etc/phi-guard/phi-policy.hcl";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    Env(PathBuf),
    System(PathBuf),
    Baseline,
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Origin::Env(p) => write!(f, "{} (from {POLICY_ENV})", p.display()),
            Origin::System(p) => write!(f, "{}", p.display()),
            Origin::Baseline => write!(f, "the built-in baseline"),
        }
    }
}

#[derive(Debug)]
pub struct LoadedPolicy {
    pub policy: Policy,
    pub origin: Origin,
}

/// Loads the policy as described in the module docs. The error is user-facing
/// text naming the file and the problem.
pub fn load(env_value: Option<&str>, system_path: &Path) -> Result<LoadedPolicy, String> {
    if let Some(path) = env_value.filter(|v| !v.trim().is_empty()) {
        let path = PathBuf::from(path);
        return Policy::load(&path)
            .map(|policy| LoadedPolicy {
                policy,
                origin: Origin::Env(path.clone()),
            })
            .map_err(|e| format!("{e}"));
    }
    if system_path.exists() {
        return Policy::load(system_path)
            .map(|policy| LoadedPolicy {
                policy,
                origin: Origin::System(system_path.to_path_buf()),
            })
            .map_err(|e| format!("{e}"));
    }
    Ok(LoadedPolicy {
        policy: Policy::baseline(),
        origin: Origin::Baseline,
    })
}

/// Loads from the real environment.
pub fn load_from_environment() -> Result<LoadedPolicy, String> {
    let env = std::env::var(POLICY_ENV).ok();
    load(env.as_deref(), Path::new(SYSTEM_POLICY_PATH))
}

#[cfg(test)]
mod tests {
    use super::*;

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
