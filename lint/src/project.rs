//! The files to lint, parsed once each (in parallel) and grouped into module
//! directories, as Terraform groups them: every `.tf`/`.tf.json` file of a
//! directory is one module; `terraform.tfvars` and `*.auto.tfvars` beside
//! them feed its variables when it is the root.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;

use crate::finding::Finding;
use crate::ir::Block;
use crate::source::SourceFile;
use crate::walk;

/// One parsed file.
#[derive(Debug)]
pub struct Parsed {
    pub source: Arc<SourceFile>,
    pub root: Block,
}

/// One module directory.
#[derive(Default)]
pub struct ModuleDir {
    pub dir: PathBuf,
    /// `.tf` and `.tf.json` files, by name.
    pub config: Vec<Parsed>,
    /// `terraform.tfvars[.json]` and `*.auto.tfvars[.json]`, in the order
    /// Terraform reads them.
    pub auto_vars: Vec<Parsed>,
}

impl ModuleDir {
    /// Every top-level block of the module with the file it is in.
    pub fn blocks(&self) -> impl Iterator<Item = (&Arc<SourceFile>, &Block)> {
        self.config
            .iter()
            .flat_map(|p| p.root.blocks.iter().map(move |b| (&p.source, b)))
    }
}

/// Everything loaded: modules by directory, parse findings, and every file
/// that parsed (suppression comments live there).
#[derive(Default)]
pub struct Project {
    pub modules: BTreeMap<PathBuf, ModuleDir>,
    pub parse_findings: Vec<Finding>,
    pub files: Vec<Arc<SourceFile>>,
    /// Directories named on the command line or found by the walk (modules
    /// loaded only because a module call points at them are not listed).
    pub linted: Vec<PathBuf>,
    /// Paths `--exclude` skipped, for the report's summary.
    pub excluded: Vec<PathBuf>,
}

/// Reads and parses one file.
pub fn parse(path: &Path) -> Result<Parsed, Finding> {
    let source = SourceFile::load(path)?;
    let root = source.root()?;
    Ok(Parsed {
        source: Arc::new(source),
        root,
    })
}

fn dir_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => walk::normalize(p),
        _ => PathBuf::from("."),
    }
}

fn is_auto_vars(name: &str) -> bool {
    name == "terraform.tfvars"
        || name == "terraform.tfvars.json"
        || name.ends_with(".auto.tfvars")
        || name.ends_with(".auto.tfvars.json")
}

/// Terraform's order: terraform.tfvars, terraform.tfvars.json, then
/// `*.auto.tfvars[.json]` in lexical order.
fn auto_vars_rank(name: &str) -> (u8, String) {
    match name {
        "terraform.tfvars" => (0, String::new()),
        "terraform.tfvars.json" => (1, String::new()),
        other => (2, other.to_owned()),
    }
}

impl Project {
    pub fn load(paths: &[PathBuf]) -> Project {
        Project::load_excluding(paths, &walk::Excludes::default())
    }

    /// Loads `paths` except what `excludes` matches.
    pub fn load_excluding(paths: &[PathBuf], excludes: &walk::Excludes) -> Project {
        let walked = walk::walk(paths, excludes);
        let files = walked.files;
        let parsed: Vec<(PathBuf, Result<Parsed, Finding>)> = files
            .into_par_iter()
            .map(|p| {
                let r = parse(&p);
                (p, r)
            })
            .collect();
        let mut project = Project {
            parse_findings: walked.problems,
            excluded: walked.excluded,
            ..Project::default()
        };
        for (path, result) in parsed {
            let dir = dir_of(&path);
            match result {
                Ok(p) => project.add(dir, &path, p),
                Err(f) => project.parse_findings.push(f),
            }
        }
        project.linted = project.modules.keys().cloned().collect();
        for m in project.modules.values_mut() {
            m.auto_vars
                .sort_by_key(|p| auto_vars_rank(&file_name(&p.source.path)));
        }
        project
    }

    fn add(&mut self, dir: PathBuf, path: &Path, parsed: Parsed) {
        self.files.push(parsed.source.clone());
        let name = file_name(&parsed.source.path);
        let module = self
            .modules
            .entry(dir.clone())
            .or_insert_with(|| ModuleDir {
                dir,
                ..ModuleDir::default()
            });
        if walk::is_config(path) {
            module.config.push(parsed);
        } else if is_auto_vars(&name) {
            module.auto_vars.push(parsed);
        }
        // Other .tfvars files are only read when named with --var-file; they
        // are still parsed, so a syntax error in them is reported.
    }

    /// Loads a module directory that no walked path covered (a module call
    /// pointing outside the linted paths, or under `.terraform/modules`).
    pub fn ensure_loaded(&mut self, dir: &Path) -> bool {
        if self.modules.contains_key(dir) {
            return true;
        }
        let Ok(entries) = std::fs::read_dir(dir) else {
            return false;
        };
        let mut paths: Vec<PathBuf> = entries
            .flatten()
            .map(|e| e.path())
            // Not only regular files: the loader refuses a FIFO or device
            // named `*.tf` with a finding instead of dropping it.
            .filter(|p| !p.is_dir() && walk::is_config(p))
            .collect();
        paths.sort();
        let mut module = ModuleDir {
            dir: dir.to_owned(),
            ..ModuleDir::default()
        };
        for p in paths {
            match parse(&p) {
                Ok(parsed) => {
                    self.files.push(parsed.source.clone());
                    module.config.push(parsed);
                }
                Err(f) => self.parse_findings.push(f),
            }
        }
        self.modules.insert(dir.to_owned(), module);
        true
    }
}

pub fn file_name(path: &str) -> String {
    Path::new(path)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}
