//! phi-lint: checks Terraform source against the phi-guard control catalogue
//! and the organisation policy, before any plan.
//!
//! The pipeline: walk the paths and parse every file once, in parallel
//! ([`project`]); evaluate each root module and, recursively, every module it
//! calls in the context of the arguments it passes ([`instance`], [`eval`]);
//! run the rules on each instance ([`rules`]); merge, apply inline
//! suppressions ([`suppress`]) and report ([`report`]). A value that cannot
//! be known from the source is its own finding (PHI-LNT-001), never a pass
//! and never a violation.

pub mod eval;
pub mod evidence;
pub mod finding;
pub mod instance;
pub mod ir;
pub mod json;
pub mod project;
pub mod report;
pub mod review;
pub mod rules;
pub mod source;
pub mod suppress;
pub mod tfjson;
pub mod walk;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use phi_policy::{Policy, ids};
use rayon::prelude::*;

pub use finding::Finding;
use instance::{Instance, MAX_DEPTH, RootInputs};
use project::Project;

/// How to lint.
#[derive(Debug, Clone)]
pub struct Options {
    pub inputs: RootInputs,
    /// Ignore every inline suppression (CI audits, `--no-inline-suppressions`).
    pub ignore_suppressions: bool,
    /// The day suppression expiry dates are compared with.
    pub today: time::Date,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            inputs: RootInputs::default(),
            ignore_suppressions: false,
            today: time::OffsetDateTime::now_utc().date(),
        }
    }
}

/// Lints every Terraform file under `paths` with default options.
pub fn lint_paths(paths: &[PathBuf], policy: &Policy) -> Vec<Finding> {
    lint(paths, policy, &Options::default())
}

/// Lints every Terraform file under `paths`. The result holds suppressed
/// findings too (with `suppressed` set), sorted by file, line, column.
pub fn lint(paths: &[PathBuf], policy: &Policy, options: &Options) -> Vec<Finding> {
    let mut project = Project::load(paths);
    instance::load_called_modules(&mut project);
    let roots = instance::roots(&project);
    let project = &project;
    let mut findings: Vec<Finding> = roots
        .par_iter()
        .flat_map_iter(|dir| {
            let mut out = Vec::new();
            if let Some(root) = Instance::root(project, dir, &options.inputs) {
                let mut stack = vec![dir.clone()];
                visit(project, &root, policy, &mut stack, &mut out);
            }
            out
        })
        .collect();
    findings.extend(project.parse_findings.iter().cloned());
    let mut findings = finding::merge(findings);
    if !options.ignore_suppressions {
        let about = apply_suppressions(project, &mut findings, policy, options.today);
        findings.extend(about);
        findings.sort_by(|a, b| a.key().cmp(&b.key()));
    }
    findings
}

/// Runs the rules on one instance, then on every module it calls.
fn visit(
    project: &Project,
    instance: &Instance,
    policy: &Policy,
    stack: &mut Vec<PathBuf>,
    out: &mut Vec<Finding>,
) {
    out.extend(rules::run(instance, policy));
    for (file, call) in instance
        .module
        .blocks()
        .filter(|(_, b)| b.ident == "module")
    {
        let name = call.label(0).unwrap_or("?");
        let Some(source) = instance::literal_source(call) else {
            continue;
        };
        let local = instance::local_target(&instance.module.dir, &source);
        if let Some(dir) = &local
            && project.modules.get(dir).is_none_or(|m| m.config.is_empty())
        {
            out.push(
                Finding::new(
                    ids::LINT_UNVERIFIABLE,
                    &file.path,
                    call.attr("source").map_or(call.at, |a| a.at),
                    format!(
                        "module \"{name}\": {source:?} has no Terraform files at {}; its contents \
                         could not be verified",
                        dir.display()
                    ),
                )
                .in_module(&instance.address),
            );
            continue;
        }
        let Some(child) = instance.child(project, call, |s| {
            rules::module_sources::approved(s, policy)
        }) else {
            continue;
        };
        if stack.contains(&child.module.dir) {
            continue; // A cycle: Terraform refuses it at init.
        }
        if stack.len() >= MAX_DEPTH {
            out.push(Finding::new(
                ids::LINT_UNVERIFIABLE,
                &file.path,
                call.at,
                format!("module \"{name}\": nested deeper than {MAX_DEPTH} modules; not followed"),
            ));
            continue;
        }
        stack.push(child.module.dir.clone());
        visit(project, &child, policy, stack, out);
        stack.pop();
    }
}

/// Applies every file's suppressions; returns findings about them.
fn apply_suppressions(
    project: &Project,
    findings: &mut [Finding],
    policy: &Policy,
    today: time::Date,
) -> Vec<Finding> {
    let mut out = Vec::new();
    let roots: BTreeMap<&str, &ir::Block> = project
        .modules
        .values()
        .flat_map(|m| m.config.iter().chain(&m.auto_vars))
        .map(|p| (p.source.path.as_str(), &p.root))
        .collect();
    let files: BTreeMap<&str, &source::SourceFile> = project
        .files
        .iter()
        .map(|f| (f.path.as_str(), f.as_ref()))
        .collect();
    let mut grouped: BTreeMap<String, Vec<&mut Finding>> = BTreeMap::new();
    for f in findings.iter_mut() {
        grouped.entry(f.file.clone()).or_default().push(f);
    }
    for (path, file) in &files {
        let Some(root) = roots.get(path) else {
            continue;
        };
        let directives = suppress::directives(file, root);
        if directives.is_empty() {
            continue;
        }
        let mut mine = grouped.remove(*path).unwrap_or_default();
        out.extend(suppress::apply(path, &directives, &mut mine, policy, today));
    }
    out
}

/// Lints one file on its own (tests, fuzzing): parse and evaluate it as a
/// one-file root module.
pub fn lint_file(path: &Path, policy: &Policy) -> Vec<Finding> {
    lint(&[path.to_owned()], policy, &Options::default())
}
