//! Where the organisation's policy comes from: one function for the
//! provider and the linter, so both use the same policy on the same machine.
//!
//! In order:
//! 1. the file the linter's `--policy` names (the provider has no flag: a
//!    module author must not be able to point it at a looser file);
//! 2. the file named by `PHI_POLICY_FILE`;
//! 3. `/etc/phi-guard/phi-policy.hcl` when it exists (baked into runner
//!    images);
//! 4. the built-in baseline.
//!
//! A variable that is set but empty, or a named file that is missing,
//! unreadable, not a regular file, too large or invalid, stops both programs
//! with the same message: never a silent fallback to a different policy.

use std::ffi::OsStr;
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::Policy;

pub const POLICY_ENV: &str = "PHI_POLICY_FILE";
pub const SYSTEM_POLICY_PATH: &str = "/etc/phi-guard/phi-policy.hcl";
/// A policy file is a few kilobytes; anything larger is not one.
pub const MAX_POLICY_BYTES: u64 = 1024 * 1024;

/// Which source the policy came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    Flag(PathBuf),
    Env(PathBuf),
    System(PathBuf),
    Baseline,
}

impl Origin {
    /// The file read, if any.
    pub fn path(&self) -> Option<&Path> {
        match self {
            Origin::Flag(p) | Origin::Env(p) | Origin::System(p) => Some(p),
            Origin::Baseline => None,
        }
    }
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Origin::Flag(p) => write!(f, "{} (from --policy)", p.display()),
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

/// Reads a policy file's text: only a regular file (after symlinks), at
/// most [`MAX_POLICY_BYTES`]. A FIFO is refused before it is opened, so
/// reading never blocks.
pub fn read_policy_text(path: &Path) -> std::io::Result<String> {
    let meta = std::fs::metadata(path)?;
    if !meta.is_file() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "not a regular file (a policy must be a plain file, not a directory, FIFO or device)",
        ));
    }
    if meta.len() > MAX_POLICY_BYTES {
        return Err(too_large());
    }
    let mut text = String::new();
    std::fs::File::open(path)?
        .take(MAX_POLICY_BYTES + 1)
        .read_to_string(&mut text)?;
    if text.len() as u64 > MAX_POLICY_BYTES {
        return Err(too_large());
    }
    // Terraform-style files may start with a byte-order mark.
    Ok(text
        .strip_prefix('\u{feff}')
        .map(str::to_owned)
        .unwrap_or(text))
}

fn too_large() -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::InvalidData,
        format!("larger than {MAX_POLICY_BYTES} bytes; a policy file is not that large"),
    )
}

/// Picks and loads the policy as the module docs describe. `flag` is the
/// linter's `--policy`; `env` the value of `PHI_POLICY_FILE` (`None` when
/// unset); `today` the day exception expiry dates are capped from. The
/// error is the user-facing text both programs print.
pub fn resolve(
    flag: Option<&Path>,
    env: Option<&OsStr>,
    system: &Path,
    today: time::Date,
) -> Result<LoadedPolicy, String> {
    let (path, origin) = if let Some(p) = flag {
        (p.to_owned(), Origin::Flag(p.to_owned()))
    } else if let Some(value) = env {
        if value.is_empty() || value.to_string_lossy().trim().is_empty() {
            return Err(format!(
                "{POLICY_ENV} is set but empty: set it to the policy file, or unset it to use \
                 {SYSTEM_POLICY_PATH} or the built-in baseline"
            ));
        }
        let p = PathBuf::from(value);
        (p.clone(), Origin::Env(p))
    } else {
        match std::fs::symlink_metadata(system) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(LoadedPolicy {
                    policy: Policy::baseline(),
                    origin: Origin::Baseline,
                });
            }
            _ => (system.to_owned(), Origin::System(system.to_owned())),
        }
    };
    if !path.exists() && std::fs::symlink_metadata(&path).is_err() {
        return Err(format!(
            "{}: no such policy file ({}); fix the path or unset {POLICY_ENV}",
            path.display(),
            match origin {
                Origin::Flag(_) => "named by --policy",
                _ => "named by PHI_POLICY_FILE",
            }
        ));
    }
    let policy = Policy::load(&path).map_err(|e| e.to_string())?;
    let beyond = policy.exceptions_beyond_cap(today);
    if !beyond.is_empty() {
        return Err(beyond
            .iter()
            .map(|b| format!("{}: {b}", path.display()))
            .collect::<Vec<_>>()
            .join("\n"));
    }
    Ok(LoadedPolicy { policy, origin })
}

/// [`resolve`] with the real environment and system path, today in UTC.
pub fn resolve_from_environment(flag: Option<&Path>) -> Result<LoadedPolicy, String> {
    let env = std::env::var_os(POLICY_ENV);
    resolve(
        flag,
        env.as_deref(),
        Path::new(SYSTEM_POLICY_PATH),
        time::OffsetDateTime::now_utc().date(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> time::Date {
        time::macros::date!(2026 - 11 - 30)
    }

    #[test]
    fn precedence_is_flag_env_system_baseline() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, text: &str| {
            let p = dir.path().join(name);
            std::fs::write(&p, text).unwrap();
            p
        };
        let flag = write("flag.hcl", "required_tags = [\"a\"]\n");
        let env = write("env.hcl", "required_tags = [\"b\"]\n");
        let system = write("system.hcl", "required_tags = [\"c\"]\n");
        let tags = |l: LoadedPolicy| l.policy.required_tags().to_vec();
        let r = resolve(Some(&flag), Some(env.as_os_str()), &system, today()).unwrap();
        assert_eq!(tags(r), ["a"]);
        let r = resolve(None, Some(env.as_os_str()), &system, today()).unwrap();
        assert_eq!(r.origin, Origin::Env(env.clone()));
        assert_eq!(tags(r), ["b"]);
        let r = resolve(None, None, &system, today()).unwrap();
        assert_eq!(r.origin, Origin::System(system.clone()));
        let r = resolve(None, None, &dir.path().join("absent.hcl"), today()).unwrap();
        assert_eq!(r.origin, Origin::Baseline);
    }

    #[test]
    fn set_but_empty_or_missing_is_an_error_never_the_baseline() {
        let none = Path::new("/nonexistent/system.hcl");
        let err = resolve(None, Some(OsStr::new("")), none, today()).unwrap_err();
        assert!(err.starts_with("PHI_POLICY_FILE is set but empty"), "{err}");
        let err = resolve(None, Some(OsStr::new("/nonexistent/p.hcl")), none, today()).unwrap_err();
        assert!(
            err.contains("/nonexistent/p.hcl: no such policy file"),
            "{err}"
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_fifo_is_refused_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("policy.hcl");
        let status = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(status.success());
        let err = resolve(Some(&fifo), None, Path::new("/nonexistent"), today()).unwrap_err();
        assert!(err.contains("not a regular file"), "{err}");
    }

    #[test]
    fn exceptions_beyond_the_cap_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("p.hcl");
        let exception = |expires: &str| {
            format!(
                "exception_max_days = 365\n\nexception \"PHI-LOG-001\" {{\n  scope   = \"phi_audit_log_sink.dev-*\"\n  owner   = \"o\"\n  reason  = \"r\"\n  expires = \"{expires}\"\n}}\n"
            )
        };
        std::fs::write(&p, exception("2099-12-31")).unwrap();
        let err = resolve(Some(&p), None, Path::new("/nonexistent"), today()).unwrap_err();
        assert!(err.contains("expires on 2099-12-31"), "{err}");
        assert!(err.contains("exception_max_days = 365"), "{err}");
        std::fs::write(&p, exception("2027-11-30")).unwrap();
        assert!(resolve(Some(&p), None, Path::new("/nonexistent"), today()).is_ok());
    }
}
