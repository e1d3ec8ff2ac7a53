//! Running the real phi-lint binary on fixtures.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// The binary with no policy or TF_VAR_* from the caller's environment.
pub fn command() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_phi-lint"));
    c.env_remove("PHI_POLICY_FILE");
    for (k, _) in std::env::vars() {
        if k.starts_with("TF_VAR_") {
            c.env_remove(k);
        }
    }
    c
}

/// Exit code and JSON document.
pub fn lint_json(args: &[&str], env: &[(&str, &str)]) -> (i32, serde_json::Value) {
    let out = command()
        .args(["--format", "json"])
        .args(args)
        .envs(env.iter().copied())
        .output()
        .unwrap();
    let json = serde_json::from_slice(&out.stdout).unwrap_or_else(|_| {
        panic!(
            "not JSON: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap(), json)
}

/// (control, file name relative to the fixture root, line, column) of the
/// active findings.
pub fn located(json: &serde_json::Value, key: &str) -> Vec<(String, String, u64, u64)> {
    let root = fixture("");
    let root = root.to_str().unwrap();
    json[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let file = f["file"].as_str().unwrap();
            (
                f["control"].as_str().unwrap().to_owned(),
                file.strip_prefix(root).unwrap_or(file).to_owned(),
                f["line"].as_u64().unwrap(),
                f["column"].as_u64().unwrap(),
            )
        })
        .collect()
}

pub fn messages(json: &serde_json::Value) -> Vec<String> {
    json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["message"].as_str().unwrap().to_owned())
        .collect()
}

pub fn f(control: &str, file: &str, line: u64, column: u64) -> (String, String, u64, u64) {
    (control.to_owned(), file.to_owned(), line, column)
}
