//! The subcommands that read Terraform's JSON output (`review`, `evidence`),
//! each in its own file so the main parser only gains one line per command.
//! They take the global options (`--policy`, `--format`, `--output`) like
//! every other command, so the policy comes by the provider's own rules.

pub mod evidence;
pub mod review;

use std::path::Path;
use std::process::ExitCode;

use phi_policy::source::LoadedPolicy;

/// What the global options give a subcommand that reads Terraform output.
pub struct Common<'a> {
    /// The policy in force, by `phi_policy::source` (flag, environment,
    /// `/etc/phi-guard/phi-policy.hcl`, baseline).
    pub policy: LoadedPolicy,
    /// The global `--format`, by name (`text`, `json`, `markdown`, ...).
    pub format: String,
    /// The global `--output`.
    pub output: Option<&'a Path>,
}

impl Common<'_> {
    /// A name a reader can match to what ran: the file, or the baseline.
    pub fn policy_name(&self) -> String {
        match self.policy.origin.path() {
            Some(p) => p.display().to_string(),
            None => "the built-in baseline".to_owned(),
        }
    }

    /// Writes the report to `--output` or standard output.
    pub fn emit(&self, command: &str, out: &str) -> Result<(), ExitCode> {
        match self.output {
            Some(path) => std::fs::write(path, out).map_err(|e| {
                eprintln!("phi-lint {command}: writing {}: {e}", path.display());
                ExitCode::from(2)
            }),
            None => {
                use std::io::Write;
                // A closed pipe is not a reason to panic.
                let _ = std::io::stdout().lock().write_all(out.as_bytes());
                Ok(())
            }
        }
    }

    /// The usage error for a format the command does not write.
    pub fn unsupported_format(&self, command: &str, supported: &str) -> ExitCode {
        eprintln!(
            "phi-lint {command}: --format {} is not available here; use {supported}",
            self.format
        );
        ExitCode::from(2)
    }
}
