//! `phi-lint [PATH...]`: exit 0 when clean, 1 with findings, 2 when it could
//! not run (bad usage, unreadable policy or variable file).

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand, ValueEnum};
use phi_policy::Policy;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
    /// A variables file for every root module, like `terraform -var-file`;
    /// repeatable, later files win. TF_VAR_* are read from the environment.
    #[arg(long = "var-file", value_name = "FILE")]
    var_files: Vec<PathBuf>,
    /// Ignore every inline `phi-lint:ignore` suppression (audits).
    #[arg(long)]
    no_inline_suppressions: bool,
    /// Colour in text output.
    #[arg(long, value_enum, default_value_t = Colour::Auto)]
    color: Colour,
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
    Sarif,
    Junit,
    Github,
}

#[derive(Clone, Copy, ValueEnum)]
enum Colour {
    Auto,
    Always,
    Never,
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
                print!("{}", phi_policy::docs::control_page_body(c));
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
    let mut options = phi_lint::Options {
        ignore_suppressions: cli.no_inline_suppressions,
        ..phi_lint::Options::default()
    };
    for path in &cli.var_files {
        match phi_lint::project::parse(path) {
            Ok(parsed) => options.inputs.var_files.push(Arc::new(parsed)),
            Err(f) => {
                eprintln!(
                    "phi-lint: --var-file {}: {}:{}:{}: {}",
                    path.display(),
                    f.file,
                    f.line,
                    f.column,
                    f.message
                );
                return ExitCode::from(2);
            }
        }
    }
    options.inputs.env = std::env::vars()
        .filter_map(|(k, v)| k.strip_prefix("TF_VAR_").map(|n| (n.to_owned(), v)))
        .collect::<BTreeMap<_, _>>();
    let findings = phi_lint::lint(&paths, &policy, &options);
    let colour = match cli.color {
        Colour::Always => true,
        Colour::Never => false,
        Colour::Auto => std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
    };
    let out = match cli.format {
        Format::Text => phi_lint::report::text::render(&findings, colour),
        Format::Json => phi_lint::report::json(&findings) + "\n",
        Format::Sarif => phi_lint::report::sarif::sarif(&findings) + "\n",
        Format::Junit => phi_lint::report::junit::junit(&findings),
        Format::Github => phi_lint::report::github::github(&findings),
    };
    print!("{out}");
    if findings.iter().any(|f| f.suppressed.is_none()) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
