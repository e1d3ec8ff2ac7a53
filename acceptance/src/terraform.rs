//! A Terraform root in a temporary directory, run with the real CLI against
//! the freshly built provider (through `dev_overrides`) and a moto endpoint.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use crate::moto::Moto;

/// Builds the provider once per test process and returns the directory that
/// holds `terraform-provider-phi` (the same profile as the tests).
pub fn provider_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        built_binary("terraform-provider-phi", "terraform-provider-phi")
            .parent()
            .expect("a binary lives in a directory")
            .to_path_buf()
    })
}

/// Builds the `hashicorp/aws` test stand-in (`acceptance/standin-aws`, used
/// only by the migration test) once per test process and returns the
/// directory that holds its `terraform-provider-aws` binary.
pub fn standin_aws_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        built_binary("standin-aws", "terraform-provider-aws")
            .parent()
            .expect("a binary lives in a directory")
            .to_path_buf()
    })
}

/// Builds `phi-lint` once per test process and returns its path.
pub fn phi_lint() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| built_binary("phi-lint", "phi-lint"))
}

/// `cargo build -p <package> --bin <bin>` in the tests' own profile, and the
/// path of the result: the binaries under test are always the workspace's
/// current code, never a stale copy.
fn built_binary(package: &str, bin: &str) -> PathBuf {
    // target/<profile>/deps/<test binary> -> target/<profile>
    let exe = std::env::current_exe().expect("test binary path");
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("test binary inside target/<profile>/deps");
    // A benchmark runs in the release profile and measures release binaries.
    let mut args = vec!["build", "-p", package, "--bin", bin];
    if profile_dir.file_name().is_some_and(|n| n == "release") {
        args.push("--release");
    }
    let status = Command::new(env!("CARGO"))
        .args(&args)
        .current_dir(crate::repo_root())
        .status()
        .unwrap_or_else(|e| panic!("running cargo build for {bin}: {e}"));
    assert!(status.success(), "building {bin} failed");
    let path = profile_dir.join(bin);
    assert!(path.exists(), "no {}", path.display());
    path
}

/// The outcome of one terraform command.
#[derive(Debug)]
pub struct TfRun {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl TfRun {
    pub fn combined(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }

    #[track_caller]
    pub fn assert_success(&self) -> &Self {
        assert_eq!(self.code, 0, "terraform failed:\n{}", self.combined());
        self
    }

    #[track_caller]
    pub fn assert_failure(&self) -> &Self {
        assert_ne!(
            self.code,
            0,
            "terraform succeeded unexpectedly:\n{}",
            self.combined()
        );
        self
    }

    /// Asserts `needle` appears in the output, ignoring how Terraform
    /// wrapped the lines of a diagnostic.
    #[track_caller]
    pub fn assert_contains(&self, needle: &str) -> &Self {
        let fold = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(
            fold(&self.combined()).contains(&fold(needle)),
            "expected {needle:?} in terraform output:\n{}",
            self.combined()
        );
        self
    }
}

/// Which Terraform release a [`Workdir`] runs: the newest (the one every
/// suite uses) or the oldest the provider supports (installed by
/// `scripts/setup-tools` as `.tools/bin/terraform-oldest`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TerraformRelease {
    Newest,
    OldestSupported,
}

impl TerraformRelease {
    fn binary(self) -> &'static str {
        match self {
            TerraformRelease::Newest => "bin/terraform",
            TerraformRelease::OldestSupported => "bin/terraform-oldest",
        }
    }
}

pub struct Workdir {
    dir: tempfile::TempDir,
    env: Vec<(String, String)>,
    release: TerraformRelease,
}

impl Workdir {
    pub fn new(moto: &Moto) -> Workdir {
        let dir = tempfile::tempdir().expect("temp dir");
        let cli_config = dir.path().join("terraform.rc");
        std::fs::write(
            &cli_config,
            format!(
                "provider_installation {{\n  dev_overrides {{\n    \"phi-guard/phi\" = \"{}\"\n  }}\n  direct {{}}\n}}\n",
                provider_dir().display()
            ),
        )
        .expect("writing the CLI config");
        let env = [
            ("TF_CLI_CONFIG_FILE", cli_config.display().to_string()),
            ("TF_IN_AUTOMATION", "1".to_owned()),
            ("CHECKPOINT_DISABLE", "1".to_owned()),
            ("TF_INPUT", "0".to_owned()),
            ("AWS_ENDPOINT_URL", moto.endpoint()),
            ("AWS_ACCESS_KEY_ID", "testing".to_owned()),
            ("AWS_SECRET_ACCESS_KEY", "testing".to_owned()),
            ("AWS_REGION", "eu-central-1".to_owned()),
            ("AWS_EC2_METADATA_DISABLED", "true".to_owned()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        Workdir {
            dir,
            env,
            release: TerraformRelease::Newest,
        }
    }

    /// Runs every later command with `release` instead of the newest.
    pub fn use_terraform(&mut self, release: TerraformRelease) -> &mut Self {
        self.release = release;
        self
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn write(&self, name: &str, contents: &str) -> &Self {
        std::fs::write(self.dir.path().join(name), contents).expect("writing a file");
        self
    }

    /// Copies every `.tf` file of an example root.
    pub fn copy_example(&self, example: &str) -> &Self {
        let src = crate::repo_root().join("examples").join(example);
        for entry in std::fs::read_dir(&src).expect("example exists") {
            let path = entry.expect("dir entry").path();
            if path.extension().is_some_and(|e| e == "tf") {
                std::fs::copy(&path, self.dir.path().join(path.file_name().unwrap()))
                    .expect("copying an example file");
            }
        }
        self
    }

    /// Copies a folder of the repository (e.g. `modules`,
    /// `examples/compliant-stack`) to the same relative path here, so that
    /// relative module sources such as `../../modules/x` keep working. Local
    /// Terraform state and `.terraform` folders are left behind.
    pub fn copy_repo_dir(&self, rel: &str) -> &Self {
        copy_tree(&crate::repo_root().join(rel), &self.dir.path().join(rel));
        self
    }

    /// Lets Terraform find the `hashicorp/aws` test stand-in as well as the
    /// phi provider (both through `dev_overrides`). Only the migration test
    /// uses it.
    pub fn with_standin_aws(&self) -> &Self {
        std::fs::write(
            self.dir.path().join("terraform.rc"),
            format!(
                "provider_installation {{\n  dev_overrides {{\n    \"phi-guard/phi\" = \"{}\"\n    \"hashicorp/aws\" = \"{}\"\n  }}\n  direct {{}}\n}}\n",
                provider_dir().display(),
                standin_aws_dir().display()
            ),
        )
        .expect("writing the CLI config");
        self
    }

    pub fn env(&mut self, key: &str, value: &str) -> &mut Self {
        self.env.retain(|(k, _)| k != key);
        self.env.push((key.to_owned(), value.to_owned()));
        self
    }

    pub fn terraform(&self, args: &[&str]) -> TfRun {
        let out = self.command(args).output().expect("running terraform");
        TfRun {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Starts a terraform command without waiting for it, its output piped,
    /// for tests that interrupt or kill it.
    pub fn spawn(&self, args: &[&str]) -> std::process::Child {
        self.command(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("starting terraform")
    }

    fn command(&self, args: &[&str]) -> Command {
        let tools = crate::tools_dir().expect("tools installed");
        let binary = tools.join(self.release.binary());
        assert!(
            binary.exists(),
            "{} is missing: run scripts/setup-tools",
            binary.display()
        );
        let mut cmd = Command::new(binary);
        cmd.args(args)
            .current_dir(self.dir.path())
            .env_remove("AWS_PROFILE")
            .env_remove("PHI_POLICY_FILE")
            .env_remove("TF_LOG");
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        cmd
    }

    fn with_vars<'a>(base: &[&'a str], vars: &'a [String]) -> Vec<&'a str> {
        let mut args = base.to_vec();
        args.extend(vars.iter().map(String::as_str));
        args
    }

    /// `terraform plan -detailed-exitcode`: 0 no changes, 1 error, 2 changes.
    pub fn plan(&self, vars: &[(&str, &str)]) -> TfRun {
        let vars = var_args(vars);
        self.terraform(&Self::with_vars(
            &["plan", "-no-color", "-input=false", "-detailed-exitcode"],
            &vars,
        ))
    }

    pub fn apply(&self, vars: &[(&str, &str)]) -> TfRun {
        let vars = var_args(vars);
        self.terraform(&Self::with_vars(
            &["apply", "-auto-approve", "-no-color", "-input=false"],
            &vars,
        ))
    }

    /// `terraform import ADDRESS ID`: adopts an existing AWS object.
    pub fn import(&self, address: &str, id: &str, vars: &[(&str, &str)]) -> TfRun {
        let vars = var_args(vars);
        let mut args = Self::with_vars(&["import", "-no-color", "-input=false"], &vars);
        args.extend([address, id]);
        self.terraform(&args)
    }

    pub fn destroy(&self, vars: &[(&str, &str)]) -> TfRun {
        let vars = var_args(vars);
        self.terraform(&Self::with_vars(
            &["destroy", "-auto-approve", "-no-color", "-input=false"],
            &vars,
        ))
    }

    /// The state as `terraform show -json` prints it.
    pub fn state_json(&self) -> serde_json::Value {
        let run = self.terraform(&["show", "-json", "-no-color"]);
        run.assert_success();
        serde_json::from_str(&run.stdout).expect("terraform show -json is JSON")
    }

    pub fn state_file(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("terraform.tfstate")).unwrap_or_default()
    }
}

fn var_args(vars: &[(&str, &str)]) -> Vec<String> {
    vars.iter().map(|(k, v)| format!("-var={k}={v}")).collect()
}

fn copy_tree(src: &Path, dst: &Path) {
    std::fs::create_dir_all(dst).expect("creating a directory");
    for entry in std::fs::read_dir(src).expect("reading a directory") {
        let entry = entry.expect("dir entry");
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name == ".terraform" || name.starts_with("terraform.tfstate") {
            continue;
        }
        let (from, to) = (entry.path(), dst.join(entry.file_name()));
        if from.is_dir() {
            copy_tree(&from, &to);
        } else {
            std::fs::copy(&from, &to).expect("copying a file");
        }
    }
}
