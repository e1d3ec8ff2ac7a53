//! `phi-lint evidence STATE_JSON [--format markdown|json|html] [--policy FILE]
//! [--output FILE]`.

use std::path::PathBuf;
use std::process::ExitCode;

use super::Common;

#[derive(clap::Args)]
pub struct Args {
    /// The state as JSON, after a refresh: `terraform show -json > state.json`.
    pub state: PathBuf,
}

enum Format {
    Markdown,
    Json,
    Html,
}

/// Exit 0 every control passes or is waived, 1 a control fails, 2 could not run.
/// `--format` text (the default) or markdown writes Markdown; json and html
/// as named.
pub fn run(args: &Args, common: &Common) -> ExitCode {
    let format = match common.format.as_str() {
        "text" | "markdown" => Format::Markdown,
        "json" => Format::Json,
        "html" => Format::Html,
        _ => {
            return common.unsupported_format("evidence", "markdown (the default), json or html");
        }
    };
    let (policy, policy_name) = (&common.policy.policy, common.policy_name());
    let policy_bytes = common
        .policy
        .origin
        .path()
        .and_then(|p| phi_policy::source::read_policy_text(p).ok())
        .map(String::into_bytes);
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
        phi_lint::evidence::policy_info(policy, &policy_name, policy_bytes.as_deref());
    let report = phi_lint::evidence::evidence(
        &state,
        info,
        policy,
        policy_info,
        time::OffsetDateTime::now_utc(),
    );
    let out = match format {
        Format::Markdown => phi_lint::evidence::markdown::render(&report),
        Format::Json => serde_json::to_string_pretty(&report).unwrap_or_default() + "\n",
        Format::Html => phi_lint::evidence::html::render(&report),
    };
    if let Err(code) = common.emit("evidence", &out) {
        return code;
    }
    if report.status == phi_lint::evidence::Status::Fail {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
