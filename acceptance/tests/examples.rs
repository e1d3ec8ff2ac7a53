//! Every root under examples/ runs against the real provider and moto, and
//! its documented outcome is asserted, so the examples cannot rot.

use std::process::Command;

use phi_acceptance::aws::{bucket_names, clients, create_cmk};
use phi_acceptance::network::{Network, open_to_internet, private_network, route_to_internet};
use phi_acceptance::terraform::phi_lint;
use phi_acceptance::{Moto, Workdir, repo_root};

/// (example, control, argument line the error must point at)
const REFUSALS: &[(&str, &str, &str)] = &[
    (
        "refusals/short-retention",
        "PHI-LOG-001",
        "retention_days = 90",
    ),
    ("refusals/key-in-other-region", "PHI-KMS-006", "kms_key_arn"),
    ("refusals/aws-managed-key", "PHI-KMS-002", "kms_key_arn"),
    ("refusals/aws-managed-key", "PHI-KMS-001", "kms_key_arn"),
    (
        "refusals/governance-mode",
        "PHI-AUD-001",
        "object_lock_mode",
    ),
    (
        "refusals/unapproved-region",
        "PHI-REG-001",
        "region = \"ap-southeast-1\"",
    ),
    (
        "refusals/public-database",
        "PHI-RDS-002",
        "publicly_accessible",
    ),
    (
        "refusals/database-aws-managed-key",
        "PHI-KMS-001",
        "kms_key_arn",
    ),
    (
        "refusals/database-aws-managed-key",
        "PHI-KMS-002",
        "kms_key_arn",
    ),
    (
        "refusals/short-backup-retention",
        "PHI-RDS-007",
        "backup_retention_days",
    ),
    (
        "refusals/unapproved-engine-version",
        "PHI-RDS-009",
        "engine_version",
    ),
    (
        "refusals/database-performance-insights-retention",
        "PHI-RDS-016",
        "performance_insights_retention_days",
    ),
    (
        "refusals/database-monitoring-off",
        "PHI-RDS-017",
        "enhanced_monitoring",
    ),
    (
        "refusals/bucket-aws-managed-key",
        "PHI-KMS-001",
        "alias/aws/s3",
    ),
    (
        "refusals/bucket-aws-managed-key",
        "PHI-KMS-002",
        "alias/aws/s3",
    ),
    (
        "refusals/bucket-missing-tags",
        "PHI-TAG-001",
        "tags = { owner = \"records-team\" }",
    ),
    (
        "refusals/bucket-replication-unapproved-region",
        "PHI-S3-010",
        "region             = \"ap-southeast-1\"",
    ),
];

/// Roots whose refusal the provider finds through the AWS API at plan (the
/// configuration is fine; the network it names is not), so the linter cannot:
/// (example, control, argument line the error must point at).
const API_REFUSALS: &[(&str, &str, &str)] = &[
    (
        "refusals/database-public-subnets",
        "PHI-RDS-013",
        "db_subnet_group_name",
    ),
    (
        "refusals/database-open-security-group",
        "PHI-RDS-014",
        "vpc_security_group_ids",
    ),
];

/// Roots only the linter can refuse, because what is wrong lies outside the
/// phi provider (a raw resource of another provider, a module source):
/// (example, control, line text the finding must point at).
const LINT_REFUSALS: &[(&str, &str, &str)] = &[
    (
        "refusals/raw-s3-bucket",
        "PHI-LNT-003",
        "resource \"aws_s3_bucket\"",
    ),
    (
        "refusals/unapproved-module-source",
        "PHI-LNT-004",
        "source = ",
    ),
];

fn takes_key(wd: &Workdir) -> bool {
    std::fs::read_to_string(wd.path().join("main.tf"))
        .unwrap()
        .contains("variable \"audit_key_arn\"")
}

fn takes_network(wd: &Workdir) -> bool {
    std::fs::read_to_string(wd.path().join("main.tf"))
        .unwrap()
        .contains("variable \"subnet_group\"")
}

/// The networks the database examples are planned against: a private one,
/// one whose subnets route to an internet gateway, one whose security group
/// admits the internet.
struct Networks {
    private: Network,
    public_subnets: Network,
    open_group: Network,
}

fn networks(moto: &Moto) -> Networks {
    let private = private_network(moto, "acme-private");
    let public_subnets = private_network(moto, "acme-public");
    route_to_internet(moto, &public_subnets);
    let open_group = private_network(moto, "acme-open");
    open_to_internet(moto, &open_group);
    Networks {
        private,
        public_subnets,
        open_group,
    }
}

impl Networks {
    fn for_example(&self, example: &str) -> &Network {
        match example {
            "refusals/database-public-subnets" => &self.public_subnets,
            "refusals/database-open-security-group" => &self.open_group,
            _ => &self.private,
        }
    }
}

#[tokio::test]
async fn each_refusal_example_produces_exactly_its_refusal() {
    let moto = Moto::start().unwrap();
    let aws = clients(&moto, "eu-central-1").await;
    let key = create_cmk(&aws, true).await;
    let nets = networks(&moto);
    for (example, control, line_text) in REFUSALS.iter().chain(API_REFUSALS) {
        let mut wd = Workdir::new(&moto);
        wd.copy_example(example);
        // An example that needs an organisation policy carries it beside
        // its main.tf; the provider reads it from the environment only.
        let policy = phi_acceptance::repo_root()
            .join("examples")
            .join(example)
            .join("phi-policy.hcl");
        if policy.exists() {
            wd.env("PHI_POLICY_FILE", &policy.display().to_string());
        }
        let mut vars: Vec<(&str, &str)> = if takes_key(&wd) {
            vec![("audit_key_arn", key.as_str())]
        } else {
            vec![]
        };
        let net = nets.for_example(example);
        if takes_network(&wd) {
            vars.push(("subnet_group", net.subnet_group.as_str()));
            vars.push(("security_group", net.security_group.as_str()));
        }
        let plan = wd.plan(&vars);
        assert_eq!(
            plan.code,
            1,
            "{example} was not refused:\n{}",
            plan.combined()
        );
        plan.assert_contains(&format!("Error: {control}"));
        let source = std::fs::read_to_string(wd.path().join("main.tf")).unwrap();
        let line = source
            .lines()
            .position(|l| l.contains(line_text))
            .map(|i| i + 1)
            .unwrap();
        plan.assert_contains(&format!("on main.tf line {line}"));
        // Exactly the documented refusals, nothing else.
        let errors = plan.combined().matches("Error: PHI-").count();
        let expected = REFUSALS
            .iter()
            .chain(API_REFUSALS)
            .filter(|(e, _, _)| e == example)
            .count();
        assert_eq!(errors, expected, "{example}:\n{}", plan.combined());
    }
    assert!(bucket_names(&aws).await.is_empty());
}

#[tokio::test]
async fn the_compliant_example_applies_and_replans_empty() {
    let moto = Moto::start().unwrap();
    let aws = clients(&moto, "eu-central-1").await;
    let key = create_cmk(&aws, true).await;
    let wd = Workdir::new(&moto);
    wd.copy_example("audit-sink");
    let vars = [("audit_key_arn", key.as_str())];
    wd.apply(&vars).assert_success();
    assert_eq!(wd.plan(&vars).code, 0);
    // deletion_protection is on by default: destroy is refused.
    wd.destroy(&vars)
        .assert_failure()
        .assert_contains("PHI-S3-009");
    assert!(!bucket_names(&aws).await.is_empty());
}

#[tokio::test]
async fn the_compliant_database_example_applies_and_replans_empty() {
    let moto = Moto::start().unwrap();
    let aws = clients(&moto, "eu-central-1").await;
    let key = create_cmk(&aws, true).await;
    let wd = Workdir::new(&moto);
    wd.copy_example("database");
    let net = private_network(&moto, "acme-private");
    let vars = [
        ("audit_key_arn", key.as_str()),
        ("subnet_group", net.subnet_group.as_str()),
        ("security_group", net.security_group.as_str()),
    ];
    wd.apply(&vars).assert_success();
    assert_eq!(wd.plan(&vars).code, 0);
    // deletion_protection defaults to on: destroy is refused.
    wd.destroy(&vars)
        .assert_failure()
        .assert_contains("PHI-RDS-008: deletion protection is on");
}

#[tokio::test]
async fn the_compliant_bucket_example_applies_and_replans_empty() {
    let moto = Moto::start().unwrap();
    let aws = clients(&moto, "eu-central-1").await;
    let key = create_cmk(&aws, true).await;
    let wd = Workdir::new(&moto);
    wd.copy_example("phi-bucket");
    let vars = [("audit_key_arn", key.as_str())];
    wd.apply(&vars).assert_success();
    assert_eq!(wd.plan(&vars).code, 0);
    // deletion_protection is on by default: destroy is refused.
    wd.destroy(&vars)
        .assert_failure()
        .assert_contains("PHI-S3-009");
    assert!(
        bucket_names(&aws)
            .await
            .contains(&"acme-records".to_owned())
    );
}

#[test]
fn every_example_is_listed_in_the_examples_readme() {
    let root = phi_acceptance::repo_root().join("examples");
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let mut roots = vec![
        "audit-sink".to_owned(),
        "compliant-stack".to_owned(),
        "database".to_owned(),
        "phi-bucket".to_owned(),
    ];
    for entry in std::fs::read_dir(root.join("refusals")).unwrap() {
        roots.push(format!(
            "refusals/{}",
            entry.unwrap().file_name().to_string_lossy()
        ));
    }
    for r in roots {
        assert!(
            readme.contains(&format!("`{r}/`")),
            "{r} missing from examples/README.md"
        );
        let tested = ["audit-sink", "compliant-stack", "database", "phi-bucket"]
            .contains(&r.as_str())
            || REFUSALS
                .iter()
                .chain(LINT_REFUSALS)
                .chain(API_REFUSALS)
                .any(|(e, _, _)| *e == r);
        assert!(tested, "{r} has no asserted outcome in this test");
    }
}

/// phi-lint's JSON report on one root of the repository, with the root's own
/// `phi-policy.hcl` when it has one: (exit code, findings).
fn lint_root(rel: &str) -> (i32, Vec<serde_json::Value>) {
    let dir = repo_root().join(rel);
    let mut cmd = Command::new(phi_lint());
    cmd.args(["--format", "json"]).env_remove("PHI_POLICY_FILE");
    if dir.join("phi-policy.hcl").exists() {
        cmd.arg("--policy").arg(dir.join("phi-policy.hcl"));
    }
    let out = cmd.arg(&dir).output().unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("{rel}: not JSON: {}", String::from_utf8_lossy(&out.stdout)));
    let findings = report["findings"].as_array().unwrap().clone();
    (out.status.code().unwrap(), findings)
}

/// The 1-based line of `root/main.tf` that contains `text`.
fn line_of(root: &str, text: &str) -> u64 {
    let source = std::fs::read_to_string(repo_root().join(root).join("main.tf")).unwrap();
    source
        .lines()
        .position(|l| l.contains(text))
        .map(|i| i as u64 + 1)
        .unwrap_or_else(|| panic!("{root}/main.tf has no line with {text:?}"))
}

/// The linter and the provider agree: every refusal the provider makes at
/// plan from the configuration alone, phi-lint finds before any plan, on the
/// same line; and what only the linter can see (raw resources, module
/// sources) it finds and nothing else.
#[test]
fn phi_lint_finds_every_refusal_on_the_same_line() {
    for (example, control, line_text) in REFUSALS.iter().chain(LINT_REFUSALS) {
        let root = format!("examples/{example}");
        let (code, findings) = lint_root(&root);
        assert_eq!(code, 1, "{example}: phi-lint must report findings");
        let line = line_of(&root, line_text);
        assert!(
            findings
                .iter()
                .any(|f| f["control"] == *control && f["line"] == line),
            "{example}: no {control} on line {line}: {findings:#?}"
        );
    }
    for (example, control, _) in LINT_REFUSALS {
        let (_, findings) = lint_root(&format!("examples/{example}"));
        assert!(
            findings.iter().all(|f| f["control"] == *control),
            "{example}: unexpected findings: {findings:#?}"
        );
    }
}

/// Every compliant root, and every module example, lints clean: a
/// `terraform.tfvars` gives the linter the key ARNs Terraform runs pass with
/// `-var`, and each root pins the provider exactly.
#[test]
fn compliant_roots_and_module_examples_have_no_lint_findings() {
    let mut roots: Vec<String> = ["audit-sink", "compliant-stack", "database", "phi-bucket"]
        .iter()
        .map(|r| format!("examples/{r}"))
        .collect();
    for module in std::fs::read_dir(repo_root().join("modules")).unwrap() {
        let module = module.unwrap().file_name().to_string_lossy().into_owned();
        roots.push(format!("modules/{module}/examples/basic"));
    }
    for root in roots {
        let (code, findings) = lint_root(&root);
        assert_eq!((code, findings.len()), (0, 0), "{root}: {findings:#?}");
    }
}

/// The stack a platform team starts from: sink, bucket and database through
/// the organisation's modules, each with its own `phi_kms_key` (no key made
/// outside the stack). It applies, replans empty, keeps no secret in state,
/// and every key it made rotates and has the policy the provider wrote.
#[tokio::test]
async fn the_compliant_stack_applies_replans_empty_and_keeps_no_secret_in_state() {
    let moto = Moto::start().unwrap();
    let aws = clients(&moto, "eu-central-1").await;
    let wd = Workdir::new(&moto);
    wd.copy_repo_dir("modules")
        .copy_repo_dir("examples/compliant-stack");
    let chdir = "-chdir=examples/compliant-stack";
    let net = private_network(&moto, "acme-private");
    let vars = [
        format!("-var=db_subnet_group={}", net.subnet_group),
        format!("-var=db_security_group={}", net.security_group),
    ];
    let run = |args: &[&str]| {
        let mut all = vec![chdir];
        all.extend_from_slice(args);
        all.extend(vars.iter().map(String::as_str));
        wd.terraform(&all)
    };
    wd.terraform(&[chdir, "init", "-no-color", "-input=false", "-backend=false"])
        .assert_success();
    run(&["apply", "-auto-approve", "-no-color", "-input=false"]).assert_success();
    let plan = run(&["plan", "-no-color", "-input=false", "-detailed-exitcode"]);
    assert_eq!(plan.code, 0, "second plan not empty:\n{}", plan.combined());

    let state =
        std::fs::read_to_string(wd.path().join("examples/compliant-stack/terraform.tfstate"))
            .unwrap();
    let secret_arn = wd
        .terraform(&[chdir, "output", "-raw", "ehr_master_user_secret_arn"])
        .stdout;
    assert!(
        secret_arn.starts_with("arn:aws:secretsmanager:"),
        "{secret_arn}"
    );
    phi_acceptance::aws::assert_no_secret_in_state(&moto, &state, &secret_arn);
    assert_eq!(
        bucket_names(&aws).await,
        ["acme-audit", "acme-records"],
        "exactly the sink's archive and the records bucket"
    );
    // The keys the stack made, read back through the SDK.
    let keys: serde_json::Value =
        serde_json::from_str(&wd.terraform(&[chdir, "output", "-json", "key_arns"]).stdout)
            .unwrap();
    for (name, service_principal) in [
        ("audit", Some("logs.eu-central-1.amazonaws.com")),
        ("records", None),
        ("ehr", Some("logs.eu-central-1.amazonaws.com")),
    ] {
        let arn = keys[name].as_str().unwrap();
        let rotation = aws
            .kms
            .get_key_rotation_status()
            .key_id(arn)
            .send()
            .await
            .unwrap();
        assert!(rotation.key_rotation_enabled(), "{name}");
        let policy = aws
            .kms
            .get_key_policy()
            .key_id(arn)
            .policy_name("default")
            .send()
            .await
            .unwrap();
        let policy = policy.policy().unwrap();
        assert!(
            !policy.contains("\"*\"]") && !policy.contains("\"AWS\":\"*\""),
            "{policy}"
        );
        if let Some(sp) = service_principal {
            assert!(policy.contains(sp), "{name}: {policy}");
        }
    }
    assert!(keys["audit"].as_str().unwrap().contains(":key/"));
}
