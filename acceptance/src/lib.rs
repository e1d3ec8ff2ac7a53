//! The end-to-end harness every acceptance test uses: the real Terraform CLI
//! (from `.tools`, installed by `scripts/setup-tools`), the provider binary
//! built from this workspace, and a moto AWS endpoint on loopback.

pub mod aws;
pub mod differential;
pub mod fault_proxy;
pub mod moto;
pub mod network;
pub mod suite;
pub mod terraform;

use std::path::{Path, PathBuf};

pub use moto::Moto;
pub use terraform::{TerraformRelease, TfRun, Workdir};

/// The workspace root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("acceptance/ lives in the workspace root")
        .to_path_buf()
}

/// The workspace version (`[workspace.package] version` in Cargo.toml), the
/// single source the release script and the binaries use.
pub fn workspace_version() -> String {
    let manifest = std::fs::read_to_string(repo_root().join("Cargo.toml"))
        .expect("the workspace Cargo.toml is readable");
    manifest
        .split("[workspace.package]")
        .nth(1)
        .and_then(|t| t.lines().find_map(|l| l.strip_prefix("version = \"")))
        .and_then(|v| v.strip_suffix('"'))
        .expect("a workspace version")
        .to_owned()
}

/// `.tools`, or an error saying how to create it.
pub fn tools_dir() -> anyhow::Result<PathBuf> {
    let dir = repo_root().join(".tools");
    anyhow::ensure!(
        dir.join("bin/terraform").exists() && dir.join("venv/bin/moto_server").exists(),
        "{} is missing Terraform or moto: run scripts/setup-tools first",
        dir.display()
    );
    Ok(dir)
}
