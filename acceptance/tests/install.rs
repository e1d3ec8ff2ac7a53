//! The getting-started path: `scripts/install-provider` puts the provider in
//! `~/.terraform.d/plugins`, and a plain `terraform init` (no dev_overrides,
//! no registry) installs it from there; the plan then runs against moto.

use std::process::Command;

use phi_acceptance::terraform::provider_dir;
use phi_acceptance::{Moto, Workdir, repo_root};

#[test]
fn plain_terraform_init_finds_the_installed_provider() {
    let moto = Moto::start().unwrap();
    let home = tempfile::tempdir().unwrap();
    let binary = provider_dir().join("terraform-provider-phi");
    let status = Command::new(repo_root().join("scripts/install-provider"))
        .arg("--binary")
        .arg(&binary)
        .env("HOME", home.path())
        .status()
        .unwrap();
    assert!(status.success(), "install-provider failed");

    let mut wd = Workdir::new(&moto);
    let empty_config = wd.path().join("empty.rc");
    std::fs::write(&empty_config, "").unwrap();
    wd.env("HOME", &home.path().display().to_string())
        .env("TF_CLI_CONFIG_FILE", &empty_config.display().to_string());
    wd.write(
        "main.tf",
        "terraform {\n  required_providers {\n    phi = {\n      source  = \"phi-guard/phi\"\n      version = \">= 0.1.0, < 1.0.0\"\n    }\n  }\n}\n\nprovider \"phi\" {\n  region = \"eu-central-1\"\n}\n",
    );
    let init = wd.terraform(&["init", "-no-color", "-input=false"]);
    init.assert_success();
    init.assert_contains("Installing phi-guard/phi");
    assert!(
        std::fs::read_to_string(wd.path().join(".terraform.lock.hcl"))
            .unwrap()
            .contains("registry.terraform.io/phi-guard/phi"),
        "the lock file must record the provider"
    );
    let plan = wd.plan(&[]);
    assert_eq!(plan.code, 0, "empty plan expected:\n{}", plan.combined());
}
