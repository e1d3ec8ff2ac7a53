//! `phi-lint evidence STATE_JSON [--format json|markdown|html] [--policy FILE]
//! [--output FILE]`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::ValueEnum;

#[derive(clap::Args)]
pub struct Args {
    /// The state as JSON, after a refresh: `terraform show -json > state.json`.
    pub state: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Markdown)]
    pub format: Format,
    /// Policy file (default: $PHI_POLICY_FILE, else the built-in baseline).
    #[arg(long, env = "PHI_POLICY_FILE")]
    pub policy: Option<PathBuf>,
    /// Write the report to this file instead of standard output.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum Format {
    Markdown,
    Json,
    Html,
}

/// Exit 0 every control passes or is waived, 1 a control fails, 2 could not run.
pub fn run(args: &Args) -> ExitCode {
    let (policy, policy_name) = match super::load_policy(args.policy.as_deref()) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let policy_bytes = args.policy.as_deref().and_then(|p| std::fs::read(p).ok());
    let state = match phi_lint::tfjson::load(&args.state, phi_lint::tfjson::Kind::State) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("phi-lint evidence: {e}");
            return ExitCode::from(2);
        }
    };
    let modified = std::fs::metadata(&args.state)
        .and_then(|m| m.modified())
        .ok()
        .map(|t| phi_lint::evidence::rfc3339(time::OffsetDateTime::from(t)));
    let text = |k: &str| state.get(k).and_then(|v| v.as_str()).map(str::to_owned);
    let info = phi_lint::evidence::StateInfo {
        file: args.state.display().to_string(),
        terraform_version: text("terraform_version"),
        format_version: text("format_version"),
        modified,
    };
    let policy_info =
        phi_lint::evidence::policy_info(&policy, &policy_name, policy_bytes.as_deref());
    let report = phi_lint::evidence::evidence(
        &state,
        info,
        &policy,
        policy_info,
        time::OffsetDateTime::now_utc(),
    );
    let out = match args.format {
        Format::Markdown => phi_lint::evidence::markdown::render(&report),
        Format::Json => serde_json::to_string_pretty(&report).unwrap_or_default() + "\n",
        Format::Html => phi_lint::evidence::html::render(&report),
    };
    match &args.output {
        Some(path) => {
            if let Err(e) = std::fs::write(path, out) {
                eprintln!("phi-lint evidence: writing {}: {e}", path.display());
                return ExitCode::from(2);
            }
        }
        None => print!("{out}"),
    }
    if report.status == phi_lint::evidence::Status::Fail {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
