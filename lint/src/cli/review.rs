//! `phi-lint review PLAN_JSON [--format markdown|json] [--policy FILE]`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::ValueEnum;

#[derive(clap::Args)]
pub struct Args {
    /// The plan as JSON: `terraform show -json plan.out > plan.json`.
    pub plan: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Markdown)]
    pub format: Format,
    /// Policy file (default: $PHI_POLICY_FILE, else the built-in baseline).
    #[arg(long, env = "PHI_POLICY_FILE")]
    pub policy: Option<PathBuf>,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum Format {
    Markdown,
    Json,
}

/// Exit 0 nothing to look at, 1 something for a reviewer, 2 could not run.
pub fn run(args: &Args) -> ExitCode {
    let (policy, policy_name) = match super::load_policy(args.policy.as_deref()) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let plan = match phi_lint::tfjson::load(&args.plan, phi_lint::tfjson::Kind::Plan) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("phi-lint review: {e}");
            return ExitCode::from(2);
        }
    };
    // Terraform saves a plan file even when planning fails (`errored`): a
    // refused plan holds no changes to review; its review is the errors
    // `terraform plan` printed and the lint report.
    if plan.get("errored").and_then(|v| v.as_bool()) == Some(true) {
        eprintln!(
            "phi-lint review: {}: Terraform could not complete this plan (errored: true), for \
             instance because the provider refused it; there are no changes to review. Read \
             the errors `terraform plan` printed and the phi-lint report of the code.",
            args.plan.display()
        );
        return ExitCode::from(2);
    }
    let today = time::OffsetDateTime::now_utc().date();
    let review = phi_lint::review::review(&plan, &policy, &policy_name, today);
    match args.format {
        Format::Markdown => print!("{}", phi_lint::review::markdown::render(&review)),
        Format::Json => println!(
            "{}",
            serde_json::to_string_pretty(&review).unwrap_or_default()
        ),
    }
    ExitCode::from(review.verdict.exit_code)
}
