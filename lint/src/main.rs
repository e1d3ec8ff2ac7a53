//! `phi-lint [OPTIONS] [PATH...]`: exit 0 when clean, 1 with findings that
//! fail the run, 2 when it could not run (bad usage, unreadable policy,
//! variable or baseline file).
//!
//! Every option is global: it may come before or after a subcommand
//! (`phi-lint --policy p.hcl rules` and `phi-lint rules --policy p.hcl`).

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, Parser, Subcommand, ValueEnum};
use phi_lint::Finding;
use phi_policy::{Policy, ids};

mod cli;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "phi-lint",
    version,
    about = "Checks Terraform against the phi-guard controls and the organisation policy"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// Files or directories to check (default: the current directory).
    paths: Vec<PathBuf>,
    #[command(flatten)]
    options: Global,
}

/// Options accepted before or after any subcommand.
#[derive(Args)]
struct Global {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text, global = true)]
    format: Format,
    /// Policy file (default: $PHI_POLICY_FILE, else
    /// /etc/phi-guard/phi-policy.hcl, else the built-in baseline: the
    /// provider's order).
    #[arg(long, global = true)]
    policy: Option<PathBuf>,
    /// A variables file for every root module, like `terraform -var-file`;
    /// repeatable, later files win. TF_VAR_* are read from the environment.
    #[arg(long = "var-file", value_name = "FILE", global = true)]
    var_files: Vec<PathBuf>,
    /// Ignore every inline `phi-lint:ignore` suppression (audits).
    #[arg(long, global = true)]
    no_inline_suppressions: bool,
    /// Colour in text output.
    #[arg(long, value_enum, default_value_t = Colour::Auto, global = true)]
    color: Colour,
    /// Skip files and directories matching GLOB (a name anywhere, or a path
    /// relative to the linted directory when it holds `/`); repeatable.
    /// Every skipped path is listed in the report.
    #[arg(long, value_name = "GLOB", global = true)]
    exclude: Vec<String>,
    /// Only findings not recorded in this baseline fail the run; entries no
    /// longer found are reported as stale.
    #[arg(long, value_name = "FILE", global = true)]
    baseline: Option<PathBuf>,
    /// Record today's findings in FILE (a baseline) and exit 0.
    #[arg(long, value_name = "FILE", global = true)]
    write_baseline: Option<PathBuf>,
    /// Lowest severity that fails the run (findings below it are reported).
    #[arg(long, value_enum, default_value_t = Level::Low, global = true)]
    fail_on: Level,
    /// Whether PHI-LNT-001 ("could not verify") fails the run.
    #[arg(long, value_enum, default_value_t = Unverifiable::Error, global = true)]
    unverifiable: Unverifiable,
    /// Report only these controls (ids or prefixes: PHI-S3, PHI-KMS-001);
    /// repeatable or comma-separated. PHI-LNT-001/002 are always reported.
    #[arg(long, value_name = "ID", value_delimiter = ',', global = true)]
    select: Vec<String>,
    /// Do not report these controls (ids or prefixes); repeatable or
    /// comma-separated. PHI-LNT-001/002 cannot be ignored.
    #[arg(long, value_name = "ID", value_delimiter = ',', global = true)]
    ignore: Vec<String>,
    /// Write the report to FILE instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE", global = true)]
    output: Option<PathBuf>,
}

#[derive(Subcommand)]
enum Command {
    /// List the controls.
    Rules,
    /// Print one control's page.
    Explain { id: String },
    /// Review a plan for a pull request: `terraform show -json plan.out`.
    Review(cli::review::Args),
    /// Evidence for auditors from a state: `terraform show -json`.
    Evidence(cli::evidence::Args),
    /// The organisation policy in force.
    Policy {
        #[command(subcommand)]
        action: PolicyAction,
    },
}

#[derive(Subcommand)]
enum PolicyAction {
    /// Print the effective policy: where it was read from, regions with
    /// profiles expanded, every bound, exceptions with their state (the
    /// global --policy names the file, as for checking).
    Show,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Text,
    Json,
    Sarif,
    Junit,
    Github,
    /// `review` and `evidence` only.
    Markdown,
    /// `evidence` only.
    Html,
}

#[derive(Clone, Copy, ValueEnum)]
enum Colour {
    Auto,
    Always,
    Never,
}

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, ValueEnum)]
enum Level {
    Low,
    Medium,
    High,
    Critical,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Unverifiable {
    Warn,
    Error,
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    match &cli.command {
        Some(Command::Rules) => {
            use std::io::Write;
            // A closed pipe (`phi-lint rules | head`) ends the listing.
            let mut out = std::io::stdout().lock();
            for c in phi_policy::controls() {
                if writeln!(out, "{}  {:<8}  {}", c.id, c.severity, c.title).is_err() {
                    break;
                }
            }
            ExitCode::SUCCESS
        }
        Some(Command::Explain { id }) => match phi_policy::control(&id.to_ascii_uppercase()) {
            Some(c) => {
                print!("{}", phi_policy::docs::control_page_body(c));
                ExitCode::SUCCESS
            }
            None => {
                eprintln!("phi-lint: no control {id:?}; `phi-lint rules` lists them");
                ExitCode::from(2)
            }
        },
        Some(Command::Review(args)) => match common(&cli.options) {
            Ok(common) => cli::review::run(args, &common),
            Err(code) => code,
        },
        Some(Command::Evidence(args)) => match common(&cli.options) {
            Ok(common) => cli::evidence::run(args, &common),
            Err(code) => code,
        },
        Some(Command::Policy {
            action: PolicyAction::Show,
        }) => match load_policy(cli.options.policy.as_deref()) {
            Ok(loaded) => {
                let today = time::OffsetDateTime::now_utc().date();
                print!("{}", phi_lint::policy_show::render(&loaded, today));
                ExitCode::SUCCESS
            }
            Err(message) => {
                eprintln!("phi-lint: {message}");
                ExitCode::from(2)
            }
        },
        None => match check(&cli) {
            Ok(code) => code,
            Err(message) => {
                eprintln!("phi-lint: {message}");
                ExitCode::from(2)
            }
        },
    }
}

/// Whether a control id matches an id or prefix given on the command line.
fn matches_any(control: &str, patterns: &[String]) -> bool {
    patterns.iter().any(|p| {
        let p = p.trim().to_ascii_uppercase();
        !p.is_empty() && control.starts_with(p.trim_end_matches('-'))
    })
}

/// The linter's own verdicts ("could not verify", "cannot read/parse"):
/// never filtered away, so a selection cannot turn them into a pass.
fn is_verification(control: &str) -> bool {
    control == ids::LINT_UNVERIFIABLE || control == ids::LINT_PARSE_ERROR
}

fn level_of(severity: &str) -> Level {
    match severity {
        "critical" => Level::Critical,
        "high" => Level::High,
        "medium" => Level::Medium,
        _ => Level::Low,
    }
}

/// Whether an active finding fails the run under the options.
fn fails(f: &Finding, o: &Global) -> bool {
    if f.control == ids::LINT_PARSE_ERROR {
        return true;
    }
    if f.control == ids::LINT_UNVERIFIABLE {
        return o.unverifiable == Unverifiable::Error;
    }
    level_of(f.severity) >= o.fail_on
}

/// The global options as the `review` and `evidence` commands take them.
fn common(o: &Global) -> Result<cli::Common<'_>, ExitCode> {
    let policy = load_policy(o.policy.as_deref()).map_err(|message| {
        eprintln!("phi-lint: {message}");
        ExitCode::from(2)
    })?;
    let format = o
        .format
        .to_possible_value()
        .map_or_else(|| "text".to_owned(), |v| v.get_name().to_owned());
    Ok(cli::Common {
        policy,
        format,
        output: o.output.as_deref(),
    })
}

/// The policy by the provider's own rules (`phi_policy::source`: the flag,
/// `PHI_POLICY_FILE`, `/etc/phi-guard/phi-policy.hcl`, the baseline; regular
/// files under a size cap only), with its warnings on stderr.
fn load_policy(flag: Option<&Path>) -> Result<phi_policy::source::LoadedPolicy, String> {
    let loaded = phi_policy::source::resolve_from_environment(flag)
        .map_err(|e| format!("invalid policy:\n{e}"))?;
    for w in loaded.policy.warnings() {
        eprintln!(
            "phi-lint: warning: {}:{}:{}: {}",
            loaded.origin, w.line, w.column, w.message
        );
    }
    Ok(loaded)
}

const CHECK_FORMATS: &str = "--format markdown and html are for `review` and `evidence`; \
     checking writes text, json, sarif, junit or github";

fn check(cli: &Cli) -> Result<ExitCode, String> {
    let o = &cli.options;
    if matches!(o.format, Format::Markdown | Format::Html) {
        return Err(CHECK_FORMATS.to_owned());
    }
    let policy: Policy = load_policy(o.policy.as_deref())?.policy;
    let paths = if cli.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        cli.paths.clone()
    };
    for p in &paths {
        if std::fs::symlink_metadata(p).is_err() {
            return Err(format!("{}: no such file or directory", p.display()));
        }
    }
    let exclude =
        phi_lint::walk::Excludes::new(&o.exclude).map_err(|e| format!("--exclude: {e}"))?;
    let mut options = phi_lint::Options {
        ignore_suppressions: o.no_inline_suppressions,
        exclude,
        ..phi_lint::Options::default()
    };
    for path in &o.var_files {
        match phi_lint::project::parse(path) {
            Ok(parsed) => options.inputs.var_files.push(Arc::new(parsed)),
            Err(f) => {
                return Err(format!(
                    "--var-file {}: {}:{}:{}: {}",
                    path.display(),
                    f.file,
                    f.line,
                    f.column,
                    f.message
                ));
            }
        }
    }
    let baseline = match &o.baseline {
        Some(path) => Some(
            phi_lint::baseline::load(path)
                .map_err(|e| format!("--baseline {}: {e}", path.display()))?,
        ),
        None => None,
    };
    options.inputs.env = std::env::vars()
        .filter_map(|(k, v)| k.strip_prefix("TF_VAR_").map(|n| (n.to_owned(), v)))
        .collect::<BTreeMap<_, _>>();
    let report = phi_lint::lint_report(&paths, &policy, &options);
    let mut findings = report.findings;
    findings.retain(|f| {
        is_verification(f.control)
            || ((o.select.is_empty() || matches_any(f.control, &o.select))
                && !matches_any(f.control, &o.ignore))
    });
    let mut summary = phi_lint::report::Summary {
        excluded: report.excluded,
        stale: Vec::new(),
    };
    if let Some(path) = &o.write_baseline {
        let recorded = phi_lint::baseline::record(&findings, &report.places);
        let text = serde_json::to_string_pretty(&recorded).unwrap_or_default() + "\n";
        std::fs::write(path, text)
            .map_err(|e| format!("--write-baseline {}: {e}", path.display()))?;
        eprintln!(
            "phi-lint: recorded {} findings in {}",
            recorded.findings.len(),
            path.display()
        );
    }
    if let (Some(b), Some(path)) = (&baseline, &o.baseline) {
        summary.stale = phi_lint::baseline::apply(&mut findings, b, path);
    }
    let colour = match o.color {
        Colour::Always => true,
        Colour::Never => false,
        Colour::Auto => {
            o.output.is_none()
                && std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none()
        }
    };
    let out = match o.format {
        Format::Text => phi_lint::report::text::render_with(&findings, colour, &summary),
        Format::Json => phi_lint::report::json_with(&findings, &summary) + "\n",
        Format::Sarif => phi_lint::report::sarif::sarif(&findings) + "\n",
        Format::Junit => phi_lint::report::junit::junit(&findings),
        Format::Github => phi_lint::report::github::github(&findings),
        Format::Markdown | Format::Html => return Err(CHECK_FORMATS.to_owned()),
    };
    if !matches!(o.format, Format::Text | Format::Json) {
        // Formats with no summary: the CI log still shows what was skipped
        // and what the baseline no longer needs.
        for p in &summary.excluded {
            eprintln!("phi-lint: excluded by --exclude: {}", p.display());
        }
        for e in &summary.stale {
            eprintln!(
                "phi-lint: stale baseline entry (no longer found; remove it): {} {} {} {}",
                e.control, e.file, e.address, e.attribute
            );
        }
    }
    match &o.output {
        Some(path) => {
            std::fs::write(path, out).map_err(|e| format!("--output {}: {e}", path.display()))?
        }
        None => {
            use std::io::Write;
            // A closed pipe is not a reason to panic (exit 101).
            let _ = std::io::stdout().lock().write_all(out.as_bytes());
        }
    }
    if o.write_baseline.is_some() {
        return Ok(ExitCode::SUCCESS);
    }
    let failing = findings.iter().filter(|f| f.fails()).any(|f| fails(f, o));
    Ok(if failing {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
