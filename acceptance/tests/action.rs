//! The GitHub Action's steps (`action.yml` runs `scripts/action/*`), run as
//! the shell scripts they are, against a local release directory made by
//! `scripts/release` and reached through a `file://` URL: the install step
//! verifies the checksum and puts phi-lint on the job's PATH; the run step
//! reports findings with phi-lint's exit code and writes SARIF where the
//! upload step looks for it. (The upload itself is GitHub's own
//! `codeql-action/upload-sarif`, which only runs on GitHub.)

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use phi_acceptance::{repo_root, workspace_version};

/// One release directory (linux_amd64, dev profile) for the whole file.
fn release_dir() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let out = Command::new("python3")
            .arg(repo_root().join("scripts/release"))
            .arg(workspace_version())
            .arg("--out")
            .arg(dir.path())
            .args(["--platforms", "linux_amd64", "--profile", "dev"])
            .output()
            .unwrap();
        assert!(out.status.success(), "scripts/release: {}", text(&out));
        dir
    })
    .path()
}

fn text(out: &Output) -> String {
    format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// A runner's view: its temp dir and the files GitHub reads back.
struct Runner {
    temp: tempfile::TempDir,
}

impl Runner {
    fn new() -> Runner {
        Runner {
            temp: tempfile::tempdir().unwrap(),
        }
    }

    fn github_path(&self) -> PathBuf {
        self.temp.path().join("github_path")
    }

    fn github_output(&self) -> PathBuf {
        self.temp.path().join("github_output")
    }

    fn step(&self, script: &str) -> Command {
        let mut cmd = Command::new("bash");
        cmd.arg(repo_root().join("scripts/action").join(script))
            .env("RUNNER_OS", "Linux")
            .env("RUNNER_ARCH", "X64")
            .env("RUNNER_TEMP", self.temp.path())
            .env("GITHUB_PATH", self.github_path())
            .env("GITHUB_OUTPUT", self.github_output())
            .env_remove("PHI_POLICY_FILE");
        cmd
    }

    fn install(&self, release: &Path, version: &str) -> Output {
        self.step("install-phi-lint")
            .env("PHI_LINT_VERSION", version)
            .env(
                "PHI_LINT_RELEASE_URL",
                format!("file://{}", release.display()),
            )
            .output()
            .unwrap()
    }

    /// The PATH a later step sees: what the install step added, first.
    fn path_after_install(&self) -> String {
        let added = std::fs::read_to_string(self.github_path()).unwrap_or_default();
        let mut dirs: Vec<&str> = added.lines().collect();
        let system = std::env::var("PATH").unwrap_or_default();
        dirs.push(&system);
        dirs.join(":")
    }
}

#[test]
fn install_step_verifies_the_checksum_and_puts_phi_lint_on_the_path() {
    let runner = Runner::new();
    let out = runner.install(release_dir(), &format!("v{}", workspace_version()));
    assert!(out.status.success(), "{}", text(&out));
    let dir = std::fs::read_to_string(runner.github_path()).unwrap();
    let bin = Path::new(dir.trim()).join("phi-lint");
    let v = Command::new(&bin).arg("--version").output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&v.stdout).trim(),
        format!("phi-lint {}", workspace_version())
    );
}

#[test]
fn install_step_refuses_an_archive_whose_checksum_does_not_match() {
    let tampered = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(release_dir()).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, tampered.path().join(path.file_name().unwrap())).unwrap();
    }
    let archive = tampered.path().join(format!(
        "phi-lint_{}_linux_amd64.tar.gz",
        workspace_version()
    ));
    let mut bytes = std::fs::read(&archive).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    std::fs::write(&archive, bytes).unwrap();

    let runner = Runner::new();
    let out = runner.install(tampered.path(), &workspace_version());
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("checksum mismatch"), "{}", text(&out));
    assert!(
        std::fs::read_to_string(runner.github_path())
            .unwrap_or_default()
            .is_empty(),
        "nothing may be put on the PATH"
    );
}

#[test]
fn install_step_asks_for_a_version_when_the_ref_is_not_one() {
    let runner = Runner::new();
    let out = runner.install(release_dir(), "main");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("'main' is not a phi-lint version"),
        "{}",
        text(&out)
    );
}

#[test]
fn run_step_fails_on_findings_and_leaves_sarif_for_the_upload_step() {
    let runner = Runner::new();
    assert!(
        runner
            .install(release_dir(), &workspace_version())
            .status
            .success()
    );
    let examples = repo_root().join("examples");

    let run = runner
        .step("run-phi-lint")
        .env("PATH", runner.path_after_install())
        .env("INPUT_FORMAT", "sarif")
        .env("INPUT_PATHS", examples.join("refusals/raw-s3-bucket"))
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(1), "{}", text(&run));
    let outputs = std::fs::read_to_string(runner.github_output()).unwrap();
    let sarif_path = outputs
        .lines()
        .find_map(|l| l.strip_prefix("sarif-file="))
        .expect("the sarif-file output");
    let sarif: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(sarif_path).unwrap()).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert!(
        results.iter().any(|r| r["ruleId"] == "PHI-LNT-003"),
        "{sarif:#}"
    );

    let clean = runner
        .step("run-phi-lint")
        .env("PATH", runner.path_after_install())
        .env("INPUT_FORMAT", "text")
        .env("INPUT_PATHS", examples.join("audit-sink"))
        .output()
        .unwrap();
    assert_eq!(clean.status.code(), Some(0), "{}", text(&clean));
}

#[test]
fn action_yml_runs_exactly_these_steps() {
    let action = std::fs::read_to_string(repo_root().join("action.yml")).unwrap();
    for script in ["install-phi-lint", "run-phi-lint"] {
        assert!(
            action.contains(&format!(
                "\"${{{{ github.action_path }}}}/scripts/action/{script}\""
            )),
            "action.yml must run scripts/action/{script}"
        );
    }
    assert!(action.contains("using: composite"));
    assert!(action.contains("github/codeql-action/upload-sarif@v3"));
}
