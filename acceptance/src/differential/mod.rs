//! The differential test's machinery, linter against provider: generated
//! configurations ([`cases`]), written as Terraform roots ([`render`]),
//! judged by phi-lint and by `terraform plan` with the real provider
//! ([`compare`]).
//!
//! Many cases share one root (one file each), so one plan judges them all.
//! A plan stops after validation when any resource fails it, so a root is
//! planned in rounds: the cases refused in a round are settled with what
//! that round reported (exactly what a plan of that case alone reports) and
//! taken out, and the rest are planned again, until a round refuses
//! nothing.

pub mod cases;
pub mod compare;
pub mod render;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use cases::{Case, PolicyKind};
use compare::Verdict;

use crate::{Moto, Workdir};

/// What one case came to.
#[derive(Debug)]
pub struct Judged {
    pub case: Case,
    pub lint: BTreeSet<Verdict>,
    pub provider: BTreeSet<Verdict>,
    /// phi-lint could not verify (PHI-LNT-001) one of its instances: those
    /// instances are left out of both sets.
    pub unverified: bool,
    /// The plan output of the round that settled it, for the failure report.
    pub output: String,
}

impl Judged {
    pub fn agrees(&self) -> bool {
        self.lint == self.provider
    }
}

/// Judges `cases` (all under `policy`) in one root: phi-lint once, then
/// `terraform plan` in rounds.
pub fn judge(
    policy: PolicyKind,
    cases: &[&Case],
    moto: &Moto,
    keys: &render::Keys,
    lint_binary: &Path,
) -> Vec<Judged> {
    let wd = Workdir::new(moto);
    let policy_dir = tempfile::tempdir().expect("temp dir");
    let policy_file = policy.document().map(|text| {
        let path = policy_dir.path().join("phi-policy.hcl");
        std::fs::write(&path, text).expect("writing the policy");
        path
    });
    let mut wd = wd;
    if let Some(p) = &policy_file {
        wd.env("PHI_POLICY_FILE", &p.display().to_string());
    }
    for (path, text) in render::root(cases, keys) {
        let full = wd.path().join(&path);
        if let Some(parent) = full.parent() {
            std::fs::create_dir_all(parent).expect("creating a directory");
        }
        std::fs::write(full, text).expect("writing a file");
    }
    if cases.iter().any(|c| c.way == cases::Way::ModuleArgument) {
        // Local modules are recorded by `terraform get` (the provider comes
        // from the dev override, nothing to install).
        wd.terraform(&["get", "-no-color"]).assert_success();
    }
    let lint = compare::lint(lint_binary, wd.path(), policy_file.as_deref());
    assert!(
        lint.own.is_empty(),
        "phi-lint reports problems of the generated root itself ({policy}):\n{}",
        lint.own.join("\n")
    );
    let mut lint_by_case = compare::by_case(lint.verdicts.iter().cloned());
    let mut remaining: BTreeMap<usize, &Case> = cases.iter().map(|c| (c.id, *c)).collect();
    let mut out = Vec::new();
    while !remaining.is_empty() {
        let plan = wd.terraform(&["plan", "-json", "-input=false", "-detailed-exitcode"]);
        let diagnostics = compare::diagnostics(&plan.stdout);
        let output: String = diagnostics.iter().map(|d| format!("    {d}\n")).collect();
        let stray: Vec<_> = diagnostics
            .iter()
            .filter(|d| {
                d.error
                    && d.verdict()
                        .and_then(|v| compare::case_of_file(&v.file))
                        .is_none()
            })
            .collect();
        assert!(
            stray.is_empty(),
            "the plan has errors outside any case ({policy}):\n{output}{}",
            plan.stderr
        );
        let mut provider = compare::by_case(diagnostics.iter().filter_map(|d| d.verdict()));
        let refused: BTreeSet<usize> = provider
            .iter()
            .filter(|(_, vs)| vs.iter().any(|v| !v.waived))
            .filter_map(|(c, _)| *c)
            .filter(|c| remaining.contains_key(c))
            .collect();
        let settled: Vec<usize> = if refused.is_empty() {
            assert_eq!(
                plan.code, 2,
                "a plan refusing nothing plans changes:\n{output}{}",
                plan.stderr
            );
            remaining.keys().copied().collect()
        } else {
            refused.into_iter().collect()
        };
        for id in settled {
            let case = remaining.remove(&id).expect("a remaining case");
            let unverified_instances: Vec<&String> = lint
                .unverified
                .iter()
                .filter(|i| i.split(['.', '[']).any(|part| part == format!("c{id}")))
                .collect();
            let keep = |v: &Verdict| {
                !unverified_instances
                    .iter()
                    .any(|i| v.instance.starts_with(i.as_str()))
            };
            let lint_set: BTreeSet<Verdict> = lint_by_case
                .remove(&Some(id))
                .unwrap_or_default()
                .into_iter()
                .filter(keep)
                .collect();
            let provider_set: BTreeSet<Verdict> = provider
                .remove(&Some(id))
                .unwrap_or_default()
                .into_iter()
                .filter(keep)
                .collect();
            remove_case(wd.path(), id);
            out.push(Judged {
                case: case.clone(),
                lint: lint_set,
                provider: provider_set,
                unverified: !unverified_instances.is_empty(),
                output: diagnostics
                    .iter()
                    .filter(|d| {
                        d.at.as_ref().and_then(|(f, _)| compare::case_of_file(f)) == Some(id)
                    })
                    .map(|d| format!("    {d}\n"))
                    .collect(),
            });
        }
    }
    out
}

/// Takes a settled case out of the root (its module directory stays: an
/// unused module is not an error).
fn remove_case(root: &Path, id: usize) {
    let _ = std::fs::remove_file(root.join(format!("c{id}.tf")));
}
