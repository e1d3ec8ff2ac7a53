//! Finding Terraform files: directories are walked in parallel respecting
//! `.gitignore` (and skipping `.terraform/` and `.git/`), files named on the
//! command line are taken as they are.

use std::path::{Component, Path, PathBuf};
use std::sync::Mutex;

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

pub fn terraform_files(paths: &[PathBuf]) -> Vec<PathBuf> {
    let out = Mutex::new(Vec::new());
    for root in paths {
        if root.is_file() {
            out.lock().expect("not poisoned").push(root.clone());
            continue;
        }
        ignore::WalkBuilder::new(root)
            .hidden(false)
            .filter_entry(|e| e.file_name() != ".terraform" && e.file_name() != ".git")
            .build_parallel()
            .run(|| {
                let out = &out;
                Box::new(move |entry| {
                    if let Ok(entry) = entry
                        && entry.file_type().is_some_and(|t| t.is_file())
                        && is_terraform(entry.path())
                    {
                        out.lock().expect("not poisoned").push(entry.into_path());
                    }
                    ignore::WalkState::Continue
                })
            });
    }
    let mut out = out.into_inner().expect("not poisoned");
    for p in &mut out {
        *p = normalize(p);
    }
    out.sort();
    out.dedup();
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
