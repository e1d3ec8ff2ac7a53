//! Every module under modules/ follows the layout of well-kept public modules
//! and passes its own native Terraform tests (`terraform test`) against the
//! real provider binary and a moto endpoint.

use phi_acceptance::aws::{clients, create_cmk};
use phi_acceptance::{Moto, Workdir, repo_root};

fn module_names() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(repo_root().join("modules"))
        .expect("modules/ exists")
        .map(|e| e.expect("dir entry"))
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn every_module_has_the_standard_layout() {
    let names = module_names();
    assert!(!names.is_empty(), "no modules found");
    for name in names {
        let dir = repo_root().join("modules").join(&name);
        for file in [
            "main.tf",
            "variables.tf",
            "outputs.tf",
            "versions.tf",
            "README.md",
        ] {
            assert!(dir.join(file).is_file(), "modules/{name} lacks {file}");
        }
        let has = |sub: &str, ext: &str| {
            std::fs::read_dir(dir.join(sub)).is_ok_and(|rd| {
                rd.flatten()
                    .any(|e| e.path().is_dir() || e.path().to_string_lossy().ends_with(ext))
            })
        };
        assert!(has("examples", ".tf"), "modules/{name} has no examples/");
        assert!(
            has("tests", ".tftest.hcl"),
            "modules/{name} has no tests/*.tftest.hcl"
        );
        let versions = std::fs::read_to_string(dir.join("versions.tf")).unwrap();
        assert!(
            versions.contains("required_version") && versions.contains("phi-guard/phi"),
            "modules/{name}/versions.tf must pin Terraform and the phi provider"
        );
        // Every input is typed and described, as the README tables promise.
        let variables = std::fs::read_to_string(dir.join("variables.tf")).unwrap();
        let blocks = variables.matches("variable \"").count();
        assert!(blocks > 0, "modules/{name} declares no variables");
        assert_eq!(
            variables.matches("\n  type ").count(),
            blocks,
            "modules/{name}: untyped variable"
        );
        assert_eq!(
            variables.matches("\n  description ").count(),
            blocks,
            "modules/{name}: undocumented variable"
        );
        let readme = std::fs::read_to_string(dir.join("README.md")).unwrap();
        for var in variables
            .lines()
            .filter_map(|l| l.strip_prefix("variable \""))
            .filter_map(|l| l.split('"').next())
        {
            assert!(
                readme.contains(&format!("`{var}`")),
                "modules/{name}/README.md omits input `{var}`"
            );
        }
    }
}

#[tokio::test]
async fn every_module_passes_its_terraform_tests() {
    let moto = Moto::start().unwrap();
    let aws = clients(&moto, "eu-central-1").await;
    let key = create_cmk(&aws, true).await;
    let net = phi_acceptance::network::private_network(&moto, "tftest-private");
    let wd = Workdir::new(&moto);
    wd.copy_repo_dir("modules");
    for name in module_names() {
        let chdir = format!("-chdir=modules/{name}");
        let var = format!("-var=kms_key_arn={key}");
        // The database module also needs a private network; the other
        // modules do not declare these variables.
        let network = if name == "phi-database" {
            vec![
                format!("-var=db_subnet_group_name={}", net.subnet_group),
                format!("-var=vpc_security_group_ids=[\"{}\"]", net.security_group),
            ]
        } else {
            Vec::new()
        };
        // Runs that call a sibling module need it installed; offline, since
        // modules are local and the provider comes from dev_overrides.
        wd.terraform(&[
            &chdir,
            "init",
            "-no-color",
            "-input=false",
            "-backend=false",
        ])
        .assert_success();
        let mut args = vec![chdir.as_str(), "test", "-no-color", var.as_str()];
        args.extend(network.iter().map(String::as_str));
        let run = wd.terraform(&args);
        assert_eq!(
            run.code,
            0,
            "terraform test failed for modules/{name}:\n{}",
            run.combined()
        );
        run.assert_contains(", 0 failed");
        assert!(
            !run.combined().contains(" 0 passed"),
            "modules/{name} ran no test:\n{}",
            run.combined()
        );
    }
}
