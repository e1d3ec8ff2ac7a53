//! Finding Terraform files: directories are walked respecting `.gitignore`
//! (and skipping `.terraform/`), files named on the command line are taken
//! as they are.

use std::path::{Path, PathBuf};

fn is_terraform(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "tf")
}

pub fn terraform_files(paths: &[PathBuf]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for root in paths {
        if root.is_file() {
            out.push(root.clone());
            continue;
        }
        let walker = ignore::WalkBuilder::new(root)
            .hidden(false)
            .filter_entry(|e| e.file_name() != ".terraform" && e.file_name() != ".git")
            .build();
        for entry in walker.flatten() {
            if entry.file_type().is_some_and(|t| t.is_file()) && is_terraform(entry.path()) {
                out.push(entry.into_path());
            }
        }
    }
    out.sort();
    out.dedup();
    out
}
