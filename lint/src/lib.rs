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

// A file that cannot be read or parsed is a `Finding` in the `Err` variant;
// that path is cold (once per broken file), so boxing every finding to keep
// the `Result` small would cost more than it saves.
#![allow(clippy::result_large_err)]

pub mod eval;
pub mod evidence;
pub mod expand;
pub mod finding;
pub mod instance;
pub mod ir;
pub mod json;
pub mod policy_show;
pub mod project;
pub mod report;
pub mod review;
pub mod rules;
pub mod source;
pub mod suppress;
pub mod tfjson;
pub mod walk;

pub mod baseline;
pub mod budget;
pub mod input;
pub mod locals;

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
    /// `--exclude` globs: paths the walk skips (and lists).
    pub exclude: walk::Excludes,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            inputs: RootInputs::default(),
            ignore_suppressions: false,
            today: time::OffsetDateTime::now_utc().date(),
            exclude: walk::Excludes::default(),
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
    lint_report(paths, policy, options).findings
}

/// What one run found, and what it was told to skip.
#[derive(Debug, Default)]
pub struct Report {
    /// As [`lint`] returns them, each with its baseline fingerprint.
    pub findings: Vec<Finding>,
    /// Paths `--exclude` skipped, for the summary.
    pub excluded: Vec<PathBuf>,
    /// Fingerprint -> where it points (for `--write-baseline`).
    pub places: std::collections::HashMap<u64, baseline::Place>,
}

/// Stack of each thread that parses or evaluates: the parser and the
/// evaluator recurse once per nesting level, bounded by
/// `source::MAX_NESTING` and the evaluator's depth limit, which fits here
/// whatever the main thread's stack is (the memory is reserved, not used).
const STACK_BYTES: usize = 256 * 1024 * 1024;

/// The pool every run uses, with known stacks (rayon's default is the
/// platform's, 2 MiB).
fn pool() -> &'static rayon::ThreadPool {
    static POOL: std::sync::OnceLock<rayon::ThreadPool> = std::sync::OnceLock::new();
    POOL.get_or_init(|| {
        rayon::ThreadPoolBuilder::new()
            .stack_size(STACK_BYTES)
            .thread_name(|i| format!("phi-lint-{i}"))
            .build()
            .unwrap_or_else(|e| panic!("cannot start phi-lint's threads: {e}"))
    })
}

/// [`lint`], with the paths excluded and each finding's fingerprint.
pub fn lint_report(paths: &[PathBuf], policy: &Policy, options: &Options) -> Report {
    pool().install(|| lint_on_pool(paths, policy, options))
}

fn lint_on_pool(paths: &[PathBuf], policy: &Policy, options: &Options) -> Report {
    let mut project = Project::load_excluding(paths, &options.exclude);
    instance::load_called_modules(&mut project);
    let roots = instance::roots(&project);
    let project = &project;
    let mut findings: Vec<Finding> = roots
        .par_iter()
        .flat_map_iter(|dir| {
            let mut out = Vec::new();
            if let Some(mut root) = Instance::root(project, dir, &options.inputs) {
                root.today = options.today;
                let mut stack = vec![dir.clone()];
                let mut instances = 1;
                visit(project, &root, policy, &mut stack, &mut instances, &mut out);
                if let Some(why) = root.scope.budget.exhausted()
                    && let Some(first) = root.module.config.first()
                {
                    out.push(Finding::new(
                        ids::LINT_UNVERIFIABLE,
                        &first.source.path,
                        (1, 1),
                        format!(
                            "could not verify the module in {} and the modules it calls: {why}; \
                             values computed after that are unknown",
                            dir.display()
                        ),
                    ));
                }
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
    let places = baseline::fingerprint_all(project, &mut findings);
    Report {
        findings,
        excluded: project.excluded.clone(),
        places,
    }
}

/// Runs the rules on one instance, then on every module it calls.
fn visit(
    project: &Project,
    instance: &Instance,
    policy: &Policy,
    stack: &mut Vec<PathBuf>,
    instances: &mut usize,
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
        let expanded = match expand::instances(call, &instance.scope) {
            Ok(list) => list,
            Err(u) => {
                out.push(
                    Finding::new(
                        ids::LINT_UNVERIFIABLE,
                        &file.path,
                        u.attr.at,
                        format!(
                            "module \"{name}\": its instances could not be verified from the \
                             source: `{} = {}`: {}",
                            u.attr.name,
                            u.attr.source_text(&file.text),
                            expand::unexpandable_reason(&u)
                        ),
                    )
                    .in_module(&instance.address),
                );
                continue;
            }
        };
        for each in &expanded {
            let Some(child) = instance.child_instance(project, call, each, |s| {
                rules::module_sources::approved(s, policy)
            }) else {
                continue;
            };
            if stack.contains(&child.module.dir) {
                continue; // A cycle: Terraform refuses it at init.
            }
            if *instances >= budget::MAX_INSTANCES {
                // Fan-out (3 calls per module, 12 levels) is exponential; past
                // the budget the rest of the tree is not verified, and says so.
                out.push(Finding::new(
                    ids::LINT_UNVERIFIABLE,
                    &file.path,
                    call.at,
                    format!(
                        "module \"{name}\": could not verify: {}: more than {} module \
                         instances under one root module; not followed",
                        budget::EXCEEDED,
                        budget::MAX_INSTANCES
                    ),
                ));
                continue;
            }
            *instances += 1;
            if stack.len() >= MAX_DEPTH {
                out.push(Finding::new(
                    ids::LINT_UNVERIFIABLE,
                    &file.path,
                    call.at,
                    format!(
                        "module \"{name}\": nested deeper than {MAX_DEPTH} modules; not followed"
                    ),
                ));
                continue;
            }
            stack.push(child.module.dir.clone());
            visit(project, &child, policy, stack, instances, out);
            stack.pop();
        }
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
