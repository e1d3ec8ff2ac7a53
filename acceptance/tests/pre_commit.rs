//! The pre-commit hook builds phi-lint itself: pre-commit's `rust` language
//! runs `cargo install --path .` at this repository's root (a tiny package
//! whose one binary is phi-lint's main.rs) and the hook then lints the
//! user's repository. Driven with `pre-commit try-repo` against this
//! repository, as a user trying the hook would.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Output};

use phi_acceptance::{repo_root, tools_dir};

/// The dependency names of a manifest's `[dependencies]` table.
fn dependencies(manifest: &Path) -> BTreeSet<String> {
    let text = std::fs::read_to_string(manifest).unwrap();
    let table = text
        .split("\n[dependencies]\n")
        .nth(1)
        .expect("a [dependencies] table");
    table
        .lines()
        .take_while(|l| !l.starts_with('['))
        .filter_map(|l| l.split(['=', '.']).next())
        .map(str::trim)
        .filter(|name| !name.is_empty() && !name.starts_with('#'))
        .map(str::to_owned)
        .collect()
}

#[test]
fn the_root_package_has_every_dependency_of_phi_lint() {
    let root = dependencies(&repo_root().join("Cargo.toml"));
    let lint = dependencies(&repo_root().join("lint/Cargo.toml"));
    let missing: Vec<_> = lint.difference(&root).collect();
    assert!(
        missing.is_empty(),
        "the root package builds lint/src/main.rs for pre-commit and needs \
         the same dependencies; add {missing:?} to the root Cargo.toml"
    );
}

fn text(out: &Output) -> String {
    format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn git(dir: &Path, args: &[&str]) {
    let status = Command::new("git")
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args(args)
        .current_dir(dir)
        .status()
        .unwrap();
    assert!(status.success(), "git {args:?}");
}

#[test]
fn pre_commit_builds_the_hook_from_this_repository_and_runs_it() {
    let pre_commit = tools_dir().unwrap().join("venv/bin/pre-commit");
    let user_repo = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    git(user_repo.path(), &["init", "-q"]);
    std::fs::write(
        user_repo.path().join("main.tf"),
        "resource \"aws_s3_bucket\" \"raw\" {\n  bucket = \"acme-raw\"\n}\n",
    )
    .unwrap();
    git(user_repo.path(), &["add", "main.tf"]);

    // The hook's build shares one target folder across runs. pre-commit
    // builds in release mode; what this test checks is that the hook builds
    // and lints, not how fast the result runs, so the release profile is
    // turned into an unoptimised one through cargo's environment (a cold
    // optimised build took two minutes of CI).
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| repo_root().join("target"))
        .join("pre-commit");
    let try_repo = || {
        Command::new(&pre_commit)
            .args(["try-repo"])
            .arg(repo_root())
            .args(["phi-lint", "--all-files", "--color", "never"])
            .current_dir(user_repo.path())
            .env("PRE_COMMIT_HOME", home.path())
            .env("CARGO_TARGET_DIR", &target)
            .env("CARGO_PROFILE_RELEASE_OPT_LEVEL", "0")
            .env("CARGO_PROFILE_RELEASE_LTO", "false")
            .env("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "256")
            .env("CARGO_PROFILE_RELEASE_INCREMENTAL", "false")
            .env_remove("PHI_POLICY_FILE")
            .output()
            .unwrap()
    };

    let failing = try_repo();
    assert_eq!(failing.status.code(), Some(1), "{}", text(&failing));
    assert!(text(&failing).contains("PHI-LNT-003"), "{}", text(&failing));

    std::fs::write(user_repo.path().join("main.tf"), "locals {\n  a = 1\n}\n").unwrap();
    git(user_repo.path(), &["add", "main.tf"]);
    let passing = try_repo();
    assert_eq!(passing.status.code(), Some(0), "{}", text(&passing));
}
