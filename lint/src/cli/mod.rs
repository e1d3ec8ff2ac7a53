//! The subcommands that read Terraform's JSON output (`review`, `evidence`),
//! each in its own file so the main parser only gains one line per command.

pub mod evidence;
pub mod review;

use std::path::Path;
use std::process::ExitCode;

use phi_policy::Policy;

/// The policy in force for a command that reads Terraform output: the file
/// given (or `$PHI_POLICY_FILE`, as the provider reads it), else the
/// built-in baseline; with a name a reader can match to what ran.
pub fn load_policy(path: Option<&Path>) -> Result<(Policy, String), ExitCode> {
    match path {
        Some(p) => match Policy::load(p) {
            Ok(policy) => Ok((policy, p.display().to_string())),
            Err(e) => {
                eprintln!("phi-lint: invalid policy:\n{e}");
                Err(ExitCode::from(2))
            }
        },
        None => Ok((Policy::baseline(), "the built-in baseline".to_owned())),
    }
}
