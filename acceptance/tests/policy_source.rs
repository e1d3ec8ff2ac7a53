//! Where the provider reads the organisation policy from, proven end to end:
//! the environment of the process running Terraform, never Terraform code.

use phi_acceptance::aws::{clients, create_cmk};
use phi_acceptance::{Moto, Workdir};

const CONFIG: &str = r#"
terraform {
  required_providers {
    phi = { source = "phi-guard/phi" }
  }
}

variable "key" {
  type = string
}

provider "phi" {
  region = "eu-central-1"
}

resource "phi_audit_log_sink" "main" {
  name           = "acme-dev-1"
  kms_key_arn    = var.key
  retention_days = 365
}
"#;

async fn setup() -> (Moto, String) {
    let moto = Moto::start().unwrap();
    let aws = clients(&moto, "eu-central-1").await;
    let key = create_cmk(&aws, true).await;
    (moto, key)
}

#[tokio::test]
async fn policy_from_the_environment_narrows_regions() {
    let (moto, key) = setup().await;
    let mut wd = Workdir::new(&moto);
    wd.write("main.tf", &CONFIG.replace("365", "2192"));
    let policy = wd.path().join("phi-policy.hcl");
    std::fs::write(&policy, "regions {\n  extra = [\"eu-west-1\"]\n}\n").unwrap();
    // Without the policy, eu-central-1 is approved by the baseline.
    assert_eq!(wd.plan(&[("key", &key)]).code, 2);
    wd.env("PHI_POLICY_FILE", policy.to_str().unwrap());
    wd.plan(&[("key", &key)])
        .assert_failure()
        .assert_contains("Error: PHI-REG-001")
        .assert_contains("Approved regions: eu-west-1");
}

#[tokio::test]
async fn a_provider_block_cannot_carry_a_policy() {
    let (moto, key) = setup().await;
    let wd = Workdir::new(&moto);
    wd.write(
        "main.tf",
        &CONFIG.replace(
            "region = \"eu-central-1\"",
            "region = \"eu-central-1\"\n  policy = \"./loose.hcl\"",
        ),
    );
    wd.plan(&[("key", &key)])
        .assert_failure()
        .assert_contains("Unsupported argument");
}

#[tokio::test]
async fn an_invalid_policy_file_stops_the_run_with_its_location() {
    let (moto, key) = setup().await;
    let mut wd = Workdir::new(&moto);
    wd.write("main.tf", CONFIG);
    let policy = wd.path().join("phi-policy.hcl");
    std::fs::write(&policy, "audit {\n  retention_min_days = 30\n}\n").unwrap();
    wd.env("PHI_POLICY_FILE", policy.to_str().unwrap());
    wd.plan(&[("key", &key)])
        .assert_failure()
        .assert_contains("Invalid phi-guard policy")
        .assert_contains("phi-policy.hcl:2:24")
        .assert_contains("loosens the baseline");
}

#[tokio::test]
async fn an_exception_waives_with_a_warning_and_expires() {
    let (moto, key) = setup().await;
    let mut wd = Workdir::new(&moto);
    wd.write("main.tf", CONFIG);
    let policy = wd.path().join("phi-policy.hcl");
    let exception = |expires: &str| {
        format!(
            "exception \"PHI-LOG-001\" {{\n  scope   = \"phi_audit_log_sink.acme-dev-*\"\n  owner   = \"security@acme.example\"\n  reason  = \"sandbox, SEC-123\"\n  expires = \"{expires}\"\n}}\n"
        )
    };
    std::fs::write(&policy, exception("2999-12-31")).unwrap();
    wd.env("PHI_POLICY_FILE", policy.to_str().unwrap());
    let plan = wd.plan(&[("key", &key)]);
    assert_eq!(plan.code, 2, "{}", plan.combined());
    plan.assert_contains("Warning: PHI-LOG-001 waived by exception")
        .assert_contains("security@acme.example");

    std::fs::write(&policy, exception("2020-01-31")).unwrap();
    wd.plan(&[("key", &key)])
        .assert_failure()
        .assert_contains("Error: PHI-LOG-001")
        .assert_contains("PHI-EXC-001: exception for PHI-LOG-001 has expired");
}

/// The same function as phi-lint's (`phi_policy::source::resolve`): a
/// variable set but empty, and an exception beyond the policy's horizon,
/// stop the plan with the message phi-lint prints.
#[tokio::test]
async fn an_empty_variable_and_an_exception_beyond_the_cap_stop_the_run() {
    let (moto, key) = setup().await;
    let mut wd = Workdir::new(&moto);
    wd.write("main.tf", CONFIG);
    wd.env("PHI_POLICY_FILE", "");
    wd.plan(&[("key", &key)])
        .assert_failure()
        .assert_contains("Invalid phi-guard policy")
        .assert_contains("PHI_POLICY_FILE is set but empty");

    let policy = wd.path().join("phi-policy.hcl");
    std::fs::write(
        &policy,
        "exception_max_days = 365\n\nexception \"PHI-LOG-001\" {\n  scope   = \"phi_audit_log_sink.acme-dev-*\"\n  owner   = \"security@acme.example\"\n  reason  = \"sandbox\"\n  expires = \"2099-12-31\"\n}\n",
    )
    .unwrap();
    wd.env("PHI_POLICY_FILE", policy.to_str().unwrap());
    wd.plan(&[("key", &key)])
        .assert_failure()
        .assert_contains("expires on 2099-12-31")
        .assert_contains("exception_max_days = 365");
}
