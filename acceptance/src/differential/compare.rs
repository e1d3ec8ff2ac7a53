//! The two verdicts being compared, read into the same shape: phi-lint's
//! JSON report and the diagnostics of `terraform plan`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

/// One verdict on one instance: (control, file relative to the root, line,
/// instance address, waived). A refusal is `waived == false`; a violation
/// a policy exception waives is a warning in both programs.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Verdict {
    pub control: String,
    pub file: String,
    pub line: u64,
    pub instance: String,
    pub waived: bool,
}

/// phi-lint's report on a root.
#[derive(Debug, Default)]
pub struct LintReport {
    /// Findings of catalogue controls (its own PHI-LNT-* ones left out).
    pub verdicts: BTreeSet<Verdict>,
    /// Instances phi-lint could not verify (PHI-LNT-001): not compared.
    pub unverified: BTreeSet<String>,
    /// PHI-LNT-* findings other than PHI-LNT-001, which the generator
    /// should never cause (a parse error, a missing argument).
    pub own: Vec<String>,
}

fn relative(file: &str, root: &Path) -> String {
    let prefix = format!("{}/", root.display());
    file.strip_prefix(&prefix)
        .unwrap_or(file)
        .trim_start_matches("./")
        .to_owned()
}

/// Runs phi-lint (JSON) on `root` with `policy` as `PHI_POLICY_FILE`.
pub fn lint(binary: &Path, root: &Path, policy: Option<&Path>) -> LintReport {
    let mut cmd = Command::new(binary);
    cmd.args(["--format", "json", "."])
        .current_dir(root)
        .env_remove("PHI_POLICY_FILE");
    if let Some(p) = policy {
        cmd.env("PHI_POLICY_FILE", p);
    }
    let out = cmd.output().expect("running phi-lint");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "phi-lint printed no JSON ({e}):\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let mut lint = LintReport::default();
    for (list, waived) in [("findings", false), ("waived", true)] {
        for f in report[list].as_array().into_iter().flatten() {
            let control = f["control"].as_str().unwrap_or_default().to_owned();
            let message = f["message"].as_str().unwrap_or_default();
            let instance = message.split(": ").next().unwrap_or("").to_owned();
            if control == "PHI-LNT-001" {
                lint.unverified.insert(instance);
            } else if control.starts_with("PHI-LNT-") {
                lint.own.push(format!(
                    "{control} {}:{} {message}",
                    f["file"].as_str().unwrap_or_default(),
                    f["line"]
                ));
            } else {
                lint.verdicts.insert(Verdict {
                    control,
                    file: relative(f["file"].as_str().unwrap_or_default(), root),
                    line: f["line"].as_u64().unwrap_or(0),
                    instance,
                    waived,
                });
            }
        }
    }
    lint
}

/// A diagnostic of a plan: its severity, summary and where it points.
#[derive(Debug, Clone, Default)]
pub struct Diagnostic {
    pub error: bool,
    pub summary: String,
    pub address: Option<String>,
    pub at: Option<(String, u64)>,
}

impl Diagnostic {
    /// The catalogue control a summary starts with (`PHI-LOG-001: ...`).
    pub fn control(&self) -> Option<&str> {
        let id = self
            .summary
            .split([':', ' '])
            .next()
            .filter(|id| id.starts_with("PHI-"))?;
        Some(id)
    }

    /// As a verdict: a PHI error is a refusal, a PHI warning other than
    /// PHI-EXC-001 (an expired exception, reported beside the refusal) is a
    /// waived violation. Any other error is kept as `error: <summary>`, so a
    /// refusal the linter does not know of still counts.
    pub fn verdict(&self) -> Option<Verdict> {
        let (file, line) = self.at.clone()?;
        let control = match (self.control(), self.error) {
            (Some(c), _) => c.to_owned(),
            (None, true) => format!("error: {}", self.summary),
            (None, false) => return None,
        };
        let waived = !self.error && control != "PHI-EXC-001";
        Some(Verdict {
            control,
            file,
            line,
            instance: normalise_address(self.address.as_deref().unwrap_or("")),
            waived,
        })
    }
}

/// A provider configuration's address as phi-lint names it:
/// `provider["registry.terraform.io/phi-guard/phi"].c1` is
/// `provider "phi" (alias "c1")`.
fn normalise_address(address: &str) -> String {
    match address.strip_prefix("provider[\"") {
        Some(rest) => {
            let (source, alias) = rest.split_once("\"]").unwrap_or((rest, ""));
            let name = source.rsplit('/').next().unwrap_or(source);
            match alias.strip_prefix('.') {
                Some(a) => format!("provider \"{name}\" (alias \"{a}\")"),
                None => format!("provider \"{name}\""),
            }
        }
        None => address.to_owned(),
    }
}

/// The diagnostics of `terraform plan -json`: every one, with its address
/// and where it points. (The human-readable output merges warnings that
/// share a summary into one, "and N more similar warnings elsewhere", so it
/// cannot say which instances a waiver covers.)
pub fn diagnostics(json_lines: &str) -> Vec<Diagnostic> {
    json_lines
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|m| m["type"] == "diagnostic")
        .map(|m| {
            let d = &m["diagnostic"];
            let range = &d["range"];
            Diagnostic {
                error: d["severity"] == "error",
                summary: d["summary"].as_str().unwrap_or_default().to_owned(),
                address: d["address"].as_str().map(str::to_owned),
                at: range["filename"].as_str().map(|f| {
                    (
                        f.trim_start_matches("./").to_owned(),
                        range["start"]["line"].as_u64().unwrap_or(0),
                    )
                }),
            }
        })
        .collect()
}

impl std::fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (file, line) = self.at.clone().unwrap_or_default();
        write!(
            f,
            "{} {} (with {}, {file}:{line})",
            if self.error { "Error:" } else { "Warning:" },
            self.summary,
            self.address.as_deref().unwrap_or("-")
        )
    }
}

/// Verdicts grouped by the case whose file they are in (`c<id>.tf` or
/// `modules/c<id>/…`); `None` for anything else.
pub fn by_case(
    verdicts: impl IntoIterator<Item = Verdict>,
) -> BTreeMap<Option<usize>, BTreeSet<Verdict>> {
    let mut out: BTreeMap<Option<usize>, BTreeSet<Verdict>> = BTreeMap::new();
    for v in verdicts {
        out.entry(case_of_file(&v.file)).or_default().insert(v);
    }
    out
}

/// The case a file of a generated root belongs to.
pub fn case_of_file(file: &str) -> Option<usize> {
    let stem = file
        .strip_prefix("modules/")
        .and_then(|m| m.split('/').next())
        .or_else(|| file.strip_suffix(".tf"))?;
    stem.strip_prefix('c')?.parse().ok()
}
