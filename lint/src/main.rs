//! `phi-lint [PATH...]`: exit 0 when clean, 1 with findings, 2 when it could
//! not run (bad usage, unreadable policy).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use phi_policy::Policy;

#[derive(Parser)]
#[command(
    name = "phi-lint",
    version,
    about = "Checks Terraform against the phi-guard controls and the organisation policy"
)]
#[command(args_conflicts_with_subcommands = true)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// Files or directories to check (default: the current directory).
    paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Policy file (default: $PHI_POLICY_FILE, else the built-in baseline).
    #[arg(long, env = "PHI_POLICY_FILE")]
    policy: Option<PathBuf>,
}

#[derive(Subcommand)]
enum Command {
    /// List the controls.
    Rules,
    /// Print one control's page.
    Explain { id: String },
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Text,
    Json,
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
    match cli.command {
        Some(Command::Rules) => {
            for c in phi_policy::controls() {
                println!("{}  {:<8}  {}", c.id, c.severity, c.title);
            }
            ExitCode::SUCCESS
        }
        Some(Command::Explain { id }) => match phi_policy::control(&id.to_ascii_uppercase()) {
            Some(c) => {
                print!("{}", phi_policy::docs::render_control_page(c));
                ExitCode::SUCCESS
            }
            None => {
                eprintln!("phi-lint: no control {id:?}; `phi-lint rules` lists them");
                ExitCode::from(2)
            }
        },
        None => check(&cli),
    }
}

fn check(cli: &Cli) -> ExitCode {
    let policy = match &cli.policy {
        Some(path) => match Policy::load(path) {
            Ok(p) => p,
            Err(e) => {
                eprintln!("phi-lint: invalid policy:\n{e}");
                return ExitCode::from(2);
            }
        },
        None => Policy::baseline(),
    };
    let paths = if cli.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        cli.paths.clone()
    };
    for p in &paths {
        if !p.exists() {
            eprintln!("phi-lint: {}: no such file or directory", p.display());
            return ExitCode::from(2);
        }
    }
    let findings = phi_lint::lint_paths(&paths, &policy);
    match cli.format {
        Format::Text => print!("{}", phi_lint::report::text(&findings)),
        Format::Json => println!("{}", phi_lint::report::json(&findings)),
    }
    if findings.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
