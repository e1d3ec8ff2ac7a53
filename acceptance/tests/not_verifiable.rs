//! A check whose facts cannot be fetched is never a pass: real Terraform,
//! the real provider, moto on loopback for everything but the service made
//! unreachable (its endpoint pointed at a closed loopback port).

use phi_acceptance::Workdir;
use phi_acceptance::aws::bucket_names;
use phi_acceptance::suite::env;

const CONFIG: &str = r#"
terraform {
  required_providers {
    phi = { source = "phi-guard/phi" }
  }
}

provider "phi" {
  region = "eu-central-1"
}

variable "key" {
  type = string
}

resource "phi_audit_log_sink" "main" {
  name           = "acme-unverified"
  kms_key_arn    = var.key
  retention_days = 2192
}
"#;

/// A loopback port nothing listens on: connections are refused at once.
fn closed_port() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}

#[tokio::test]
async fn an_unreachable_sts_is_not_verifiable_never_a_pass() {
    let e = env().await;
    let mut wd = Workdir::new(&e.moto);
    wd.write("main.tf", CONFIG);
    wd.env("AWS_ENDPOINT_URL_STS", &closed_port());
    let plan = wd.plan(&[("key", e.key.as_str())]);
    assert_eq!(plan.code, 1, "{}", plan.combined());
    plan.assert_contains("Error: Not verifiable: the account of KMS key")
        .assert_contains("Could not reach AWS")
        .assert_contains("Not checked, so not passed: PHI-KMS-007");
    // Plain text: no SDK debug rendering, and no other control's id
    // standing in for the one that could not be checked.
    let out = plan.combined();
    assert!(
        !out.contains("DispatchFailure") && !out.contains("ConnectorError"),
        "{out}"
    );
    assert!(!out.contains("Error: PHI-KMS-002"), "{out}");
    assert!(bucket_names(&e.aws).await.is_empty());
}

#[tokio::test]
async fn an_unreachable_kms_is_not_verifiable_and_borrows_no_control_id() {
    let e = env().await;
    let mut wd = Workdir::new(&e.moto);
    wd.write("main.tf", CONFIG);
    wd.env("AWS_ENDPOINT_URL_KMS", &closed_port());
    let plan = wd.plan(&[("key", e.key.as_str())]);
    assert_eq!(plan.code, 1, "{}", plan.combined());
    plan.assert_contains(&format!("Error: Not verifiable: KMS key {}", e.key))
        .assert_contains("Could not reach AWS")
        .assert_contains("PHI-KMS-002, PHI-KMS-003, PHI-KMS-004");
    let out = plan.combined();
    assert!(!out.contains("Error: PHI-KMS-002"), "{out}");
    assert!(!out.contains("DispatchFailure"), "{out}");
}
