//! `phi-lint review PLAN_JSON [--format markdown|json] [--policy FILE]
//! [--output FILE]`.

use std::path::PathBuf;
use std::process::ExitCode;

use super::Common;

#[derive(clap::Args)]
pub struct Args {
    /// The plan as JSON: `terraform show -json plan.out > plan.json`.
    pub plan: PathBuf,
}

/// Exit 0 nothing to look at, 1 something for a reviewer, 2 could not run.
/// `--format` text (the default) or markdown writes Markdown; json, JSON.
pub fn run(args: &Args, common: &Common) -> ExitCode {
    let json = match common.format.as_str() {
        "text" | "markdown" => false,
        "json" => true,
        _ => return common.unsupported_format("review", "markdown (the default) or json"),
    };
    let (policy, policy_name) = (&common.policy.policy, common.policy_name());
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
    let review = phi_lint::review::review(&plan, policy, &policy_name, today);
    let out = if json {
        serde_json::to_string_pretty(&review).unwrap_or_default() + "\n"
    } else {
        phi_lint::review::markdown::render(&review)
    };
    if let Err(code) = common.emit("review", &out) {
        return code;
    }
    ExitCode::from(review.verdict.exit_code)
}
