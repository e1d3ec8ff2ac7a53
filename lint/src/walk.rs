//! Finding Terraform files exactly as Terraform would: every `.tf`,
//! `.tf.json` (and `.tfvars[.json]`) file of every directory under the given
//! paths, whatever `.gitignore`, `.ignore` or git's exclude files say (a
//! committed ignore file must not turn the gate green). Symbolic links to
//! files and directories are followed, as Terraform follows them; each real
//! directory is read once, so a link loop ends. `.terraform/` (installed
//! modules, reached through its manifest instead) and `.git/` are skipped.
//! A directory that cannot be read is a finding, never a silent skip; the
//! only way to skip something is an explicit `--exclude` glob, and every
//! path it skips is listed so a reviewer sees it.

use std::collections::HashSet;
use std::os::unix::fs::MetadataExt;
use std::path::{Component, Path, PathBuf};

use phi_policy::ids;

use crate::finding::Finding;

/// Configuration (`.tf`, `.tf.json`) or variables (`.tfvars`, `.tfvars.json`).
pub fn is_terraform(path: &Path) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    name.ends_with(".tf")
        || name.ends_with(".tf.json")
        || name.ends_with(".tfvars")
        || name.ends_with(".tfvars.json")
}

pub fn is_config(path: &Path) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    name.ends_with(".tf") || name.ends_with(".tf.json")
}

/// `--exclude` globs. A pattern without `/` matches a file or directory
/// name anywhere (`examples`, `*_test.tf`); one with `/` matches the path
/// relative to the linted directory (`modules/legacy/**`).
#[derive(Debug, Clone, Default)]
pub struct Excludes {
    names: Option<globset::GlobSet>,
    paths: Option<globset::GlobSet>,
}

impl Excludes {
    pub fn new(patterns: &[String]) -> Result<Excludes, globset::Error> {
        let mut names = globset::GlobSetBuilder::new();
        let mut paths = globset::GlobSetBuilder::new();
        let (mut any_name, mut any_path) = (false, false);
        for p in patterns {
            let p = p.trim_start_matches("./").trim_end_matches('/');
            let glob = globset::GlobBuilder::new(p)
                .literal_separator(true)
                .build()?;
            if p.contains('/') {
                paths.add(glob);
                any_path = true;
            } else {
                names.add(glob);
                any_name = true;
            }
        }
        Ok(Excludes {
            names: any_name.then(|| names.build()).transpose()?,
            paths: any_path.then(|| paths.build()).transpose()?,
        })
    }

    fn matches(&self, relative: &Path) -> bool {
        let name_hit = self
            .names
            .as_ref()
            .zip(relative.file_name())
            .is_some_and(|(set, name)| set.is_match(name));
        name_hit || self.paths.as_ref().is_some_and(|s| s.is_match(relative))
    }
}

/// What a walk found.
#[derive(Debug, Default)]
pub struct Walk {
    /// Terraform files, normalised, sorted, without duplicates.
    pub files: Vec<PathBuf>,
    /// Directories and links that could not be read (PHI-LNT-002 findings).
    pub problems: Vec<Finding>,
    /// Paths an `--exclude` glob skipped, sorted.
    pub excluded: Vec<PathBuf>,
}

/// Every Terraform file under `paths` (see the module docs).
pub fn terraform_files(paths: &[PathBuf]) -> Vec<PathBuf> {
    walk(paths, &Excludes::default()).files
}

fn unreadable(path: &Path, what: &str, e: &std::io::Error) -> Finding {
    Finding::new(
        ids::LINT_PARSE_ERROR,
        &path.display().to_string(),
        (1, 1),
        format!("cannot read the {what}: {e}; Terraform would fail on it, so it is not skipped"),
    )
}

/// Walks `paths`: files named on the command line are taken as they are,
/// directories are read recursively.
pub fn walk(paths: &[PathBuf], excludes: &Excludes) -> Walk {
    let mut out = Walk::default();
    // Real directories already read, by (device, inode): a link loop, or two
    // links to one directory, is read once.
    let mut seen: HashSet<(u64, u64)> = HashSet::new();
    for root in paths {
        let meta = match std::fs::metadata(root) {
            Ok(m) => m,
            Err(e) => {
                out.problems.push(unreadable(root, "path", &e));
                continue;
            }
        };
        if !meta.is_dir() {
            out.files.push(root.clone());
            continue;
        }
        // An explicit stack, not recursion: depth is the file system's.
        let mut stack = vec![(root.clone(), meta)];
        while let Some((dir, meta)) = stack.pop() {
            if !seen.insert((meta.dev(), meta.ino())) {
                continue;
            }
            let entries = match std::fs::read_dir(&dir) {
                Ok(entries) => entries,
                Err(e) => {
                    out.problems.push(unreadable(&dir, "directory", &e));
                    continue;
                }
            };
            for entry in entries {
                let entry = match entry {
                    Ok(entry) => entry,
                    Err(e) => {
                        out.problems.push(unreadable(&dir, "directory", &e));
                        break;
                    }
                };
                let path = entry.path();
                let name = entry.file_name();
                if name == ".terraform" || name == ".git" {
                    continue;
                }
                let relative = path.strip_prefix(root).unwrap_or(&path);
                let is_link = entry.file_type().is_ok_and(|t| t.is_symlink());
                // Follows links; a dangling link to a Terraform file is an
                // error for Terraform too.
                let meta = match std::fs::metadata(&path) {
                    Ok(m) => m,
                    Err(e) => {
                        if is_terraform(&path) || !is_link {
                            let what = if is_link { "link" } else { "file" };
                            out.problems.push(unreadable(&path, what, &e));
                        }
                        continue;
                    }
                };
                if !meta.is_dir() && !is_terraform(&path) {
                    continue;
                }
                if excludes.matches(relative) {
                    out.excluded.push(normalize(&path));
                    continue;
                }
                if meta.is_dir() {
                    stack.push((path, meta));
                } else {
                    // Regular or not: the loader refuses FIFOs and devices
                    // with a finding rather than blocking on them.
                    out.files.push(path);
                }
            }
        }
    }
    for p in &mut out.files {
        *p = normalize(p);
    }
    out.files.sort();
    out.files.dedup();
    out.excluded.sort();
    out.excluded.dedup();
    out
}

/// Lexical normalisation (`a/./b/../c` -> `a/c`), so a module directory
/// reached by a walk and by a `source = "../x"` is one key.
pub fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                let last = out.components().next_back();
                if matches!(last, Some(Component::Normal(_))) {
                    out.pop();
                } else if !matches!(last, Some(Component::RootDir)) {
                    out.push("..");
                }
            }
            other => out.push(other),
        }
    }
    if out.as_os_str().is_empty() {
        out.push(".");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_lexically() {
        assert_eq!(normalize(Path::new("./a/b/../c")), PathBuf::from("a/c"));
        assert_eq!(normalize(Path::new("../x/./y")), PathBuf::from("../x/y"));
        assert_eq!(normalize(Path::new("a/..")), PathBuf::from("."));
    }
}
