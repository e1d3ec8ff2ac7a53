//! The data sources end to end: one stack (A) manages a central audit sink
//! and a PHI bucket; another stack (B, its own working directory and state,
//! same moto) looks them up by name, uses what it reads, and fails at plan
//! once the sink drifts out of compliance behind A's back. Real Terraform,
//! the real provider binary, moto on loopback; drift made through the SDK.

use phi_acceptance::Workdir;
use phi_acceptance::suite::{Env, env};

const PROVIDER: &str = r#"
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
"#;

const SINK: &str = "acme-central-audit";
const RECORDS: &str = "acme-central-records";

/// Stack A: the central sink and a bucket on it, applied.
fn central_stack(e: &Env) -> Workdir {
    let wd = Workdir::new(&e.moto);
    wd.write(
        "main.tf",
        &format!(
            "{PROVIDER}\nresource \"phi_audit_log_sink\" \"central\" {{\n  name           = \"{SINK}\"\n  \
             kms_key_arn    = var.key\n  retention_days = 2192\n}}\n\n\
             resource \"phi_bucket\" \"records\" {{\n  name           = \"{RECORDS}\"\n  \
             kms_key_arn    = var.key\n  audit_log_sink = phi_audit_log_sink.central.id\n}}\n"
        ),
    );
    wd.apply(&[("key", e.key.as_str())]).assert_success();
    wd
}

/// Stack B: reads the sink and the bucket, records its own bucket in the
/// central sink, and exports what it read. `sink_extra` goes into the sink's
/// data block.
fn team_stack(sink_extra: &str) -> String {
    format!(
        "{PROVIDER}\ndata \"phi_audit_log_sink\" \"central\" {{\n  name = \"{SINK}\"\n{sink_extra}}}\n\n\
         data \"phi_bucket\" \"records\" {{\n  name           = \"{RECORDS}\"\n  \
         audit_log_sink = data.phi_audit_log_sink.central.name\n}}\n\n\
         resource \"phi_bucket\" \"team\" {{\n  name           = \"acme-team-records\"\n  \
         kms_key_arn    = data.phi_audit_log_sink.central.kms_key_arn\n  \
         audit_log_sink = data.phi_audit_log_sink.central.id\n}}\n\n\
         output \"sink_bucket_arn\" {{\n  value = data.phi_audit_log_sink.central.bucket_arn\n}}\n\
         output \"sink_trail_arn\" {{\n  value = data.phi_audit_log_sink.central.trail_arn\n}}\n\
         output \"sink_log_group\" {{\n  value = data.phi_audit_log_sink.central.log_group_name\n}}\n\
         output \"sink_compliant\" {{\n  value = data.phi_audit_log_sink.central.compliant\n}}\n\
         output \"sink_failing\" {{\n  value = data.phi_audit_log_sink.central.failing_controls\n}}\n\
         output \"sink_versioning\" {{\n  value = data.phi_audit_log_sink.central.enforced[\"PHI-S3-005\"]\n}}\n\
         output \"records_arn\" {{\n  value = data.phi_bucket.records.arn\n}}\n\
         output \"records_compliant\" {{\n  value = data.phi_bucket.records.compliant\n}}\n"
    )
}

fn outputs(wd: &Workdir) -> serde_json::Value {
    let run = wd.terraform(&["output", "-json", "-no-color"]);
    run.assert_success();
    serde_json::from_str(&run.stdout).expect("terraform output -json is JSON")
}

#[tokio::test]
async fn another_stack_reads_the_central_sink_and_fails_at_plan_once_it_drifts() {
    let e = env().await;
    let _central = central_stack(&e);
    let vars = [("key", e.key.as_str())];

    // Stack B reads both by name and uses what it reads.
    let team = Workdir::new(&e.moto);
    team.write("main.tf", &team_stack(""));
    team.apply(&vars).assert_success();
    let out = outputs(&team);
    assert_eq!(
        out["sink_bucket_arn"]["value"],
        format!("arn:aws:s3:::{SINK}")
    );
    assert_eq!(
        out["sink_trail_arn"]["value"],
        format!("arn:aws:cloudtrail:eu-central-1:123456789012:trail/phi-guard-{SINK}")
    );
    assert_eq!(
        out["sink_log_group"]["value"],
        format!("/phi-guard/audit/{SINK}")
    );
    assert_eq!(out["sink_compliant"]["value"], true, "{out}");
    assert_eq!(out["sink_failing"]["value"], serde_json::json!([]), "{out}");
    assert_eq!(out["sink_versioning"]["value"], "Enabled");
    assert_eq!(
        out["records_arn"]["value"],
        format!("arn:aws:s3:::{RECORDS}")
    );
    assert_eq!(out["records_compliant"]["value"], true, "{out}");
    // The team's own bucket was made with the key read from the sink.
    let enc = e
        .aws
        .s3
        .get_bucket_encryption()
        .bucket("acme-team-records")
        .send()
        .await
        .unwrap();
    let rule = &enc.server_side_encryption_configuration().unwrap().rules()[0];
    assert_eq!(
        rule.apply_server_side_encryption_by_default()
            .unwrap()
            .kms_master_key_id(),
        Some(e.key.as_str())
    );
    assert_eq!(team.plan(&vars).code, 0, "second plan of stack B not empty");

    // Out of band, someone stops the central trail.
    e.aws
        .cloudtrail
        .stop_logging()
        .name(format!("phi-guard-{SINK}"))
        .send()
        .await
        .unwrap();

    let plan = team.plan(&vars);
    assert_eq!(
        plan.code,
        1,
        "a drifted sink must fail B's plan:\n{}",
        plan.combined()
    );
    plan.assert_contains("Error: PHI-S3-011")
        .assert_contains(&format!("phi_audit_log_sink \"{SINK}\""))
        .assert_contains("not logging")
        .assert_contains("How to fix:")
        .assert_contains("require_compliant = false");

    // Opting out turns the finding into a warning, and the stack can see it.
    team.write("main.tf", &team_stack("  require_compliant = false\n"));
    team.apply(&vars)
        .assert_success()
        .assert_contains("Warning: PHI-S3-011");
    let out = outputs(&team);
    assert_eq!(out["sink_compliant"]["value"], false, "{out}");
    assert_eq!(
        out["sink_failing"]["value"],
        serde_json::json!(["PHI-S3-011"]),
        "{out}"
    );
    assert!(!plan.combined().contains("panicked"));

    // The bucket lookup judges its bucket the same way: versioning suspended
    // behind stack A's back fails B's plan at the bucket's data block.
    e.aws
        .s3
        .put_bucket_versioning()
        .bucket(RECORDS)
        .versioning_configuration(
            aws_sdk_s3::types::VersioningConfiguration::builder()
                .status(aws_sdk_s3::types::BucketVersioningStatus::Suspended)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let plan = team.plan(&vars);
    assert_eq!(plan.code, 1, "{}", plan.combined());
    plan.assert_contains("Error: PHI-S3-005")
        .assert_contains(&format!("phi_bucket \"{RECORDS}\""))
        .assert_contains("\"Suspended\"")
        .assert_contains("data \"phi_bucket\" \"records\"");
}

#[tokio::test]
async fn a_name_that_does_not_exist_is_a_clear_error_at_plan() {
    let e = env().await;
    let wd = Workdir::new(&e.moto);
    wd.write(
        "main.tf",
        &format!(
            "{PROVIDER}\ndata \"phi_bucket\" \"missing\" {{\n  name              = \"acme-no-such-bucket\"\n  \
             require_compliant = false\n}}\n\n\
             data \"phi_audit_log_sink\" \"bad\" {{\n  name = \"Not_A_Bucket\"\n}}\n"
        ),
    );
    // An invalid name is refused before any AWS call.
    let plan = wd.plan(&[("key", "unused")]);
    plan.assert_failure()
        .assert_contains("Error: Invalid name")
        .assert_contains("\"Not_A_Bucket\" cannot be the name of an audit log sink");

    wd.write(
        "main.tf",
        &format!(
            "{PROVIDER}\ndata \"phi_bucket\" \"missing\" {{\n  name              = \"acme-no-such-bucket\"\n  \
             require_compliant = false\n}}\n"
        ),
    );
    let plan = wd.plan(&[("key", "unused")]);
    assert_eq!(plan.code, 1, "{}", plan.combined());
    plan.assert_contains("Error: No PHI bucket named \"acme-no-such-bucket\"")
        .assert_contains("in eu-central-1");
    assert!(!plan.combined().contains("panicked"));
}

/// The lookups as teams write them: `for_each` over the buckets a stack makes
/// and a sink name known only after apply. Terraform defers such reads to
/// apply, so validation must accept unknown names; after the apply every
/// instance reads its own bucket and the next plan is empty. A bad name in
/// the set is refused at its instance.
#[tokio::test]
async fn lookups_with_for_each_and_names_known_only_after_apply() {
    let e = env().await;
    let vars = [("key", e.key.as_str())];
    let stack = |names: &str| {
        format!(
            "{PROVIDER}\nresource \"phi_audit_log_sink\" \"central\" {{\n  name           = \"acme-fe-audit\"\n  \
             kms_key_arn    = var.key\n  retention_days = 2192\n}}\n\n\
             resource \"phi_bucket\" \"records\" {{\n  for_each       = toset([\"acme-fe-a\", \"acme-fe-b\"])\n  \
             name           = each.key\n  kms_key_arn    = var.key\n  \
             audit_log_sink = phi_audit_log_sink.central.id\n}}\n\n\
             data \"phi_audit_log_sink\" \"late\" {{\n  name = phi_audit_log_sink.central.name\n}}\n\n\
             data \"phi_bucket\" \"each\" {{\n  for_each       = {names}\n  name           = each.key\n  \
             audit_log_sink = data.phi_audit_log_sink.late.name\n  depends_on     = [phi_bucket.records]\n}}\n\n\
             output \"compliant\" {{\n  value = {{ for k, d in data.phi_bucket.each : k => d.compliant }}\n}}\n\
             output \"arns\" {{\n  value = {{ for k, d in data.phi_bucket.each : k => d.arn }}\n}}\n\
             output \"sink_compliant\" {{\n  value = data.phi_audit_log_sink.late.compliant\n}}\n"
        )
    };
    let wd = Workdir::new(&e.moto);
    wd.write("main.tf", &stack("phi_bucket.records"));
    let plan = wd.plan(&vars);
    assert_eq!(
        plan.code,
        2,
        "the plan defers the lookups and plans the creates:\n{}",
        plan.combined()
    );
    plan.assert_contains("data.phi_bucket.each[\"acme-fe-a\"] will be read during apply")
        .assert_contains("data.phi_audit_log_sink.late will be read during apply");
    wd.apply(&vars).assert_success();
    let out = outputs(&wd);
    assert_eq!(
        out["compliant"]["value"],
        serde_json::json!({"acme-fe-a": true, "acme-fe-b": true}),
        "{out}"
    );
    assert_eq!(
        out["arns"]["value"],
        serde_json::json!({
            "acme-fe-a": "arn:aws:s3:::acme-fe-a",
            "acme-fe-b": "arn:aws:s3:::acme-fe-b"
        }),
        "{out}"
    );
    assert_eq!(out["sink_compliant"]["value"], true, "{out}");
    let again = wd.plan(&vars);
    assert_eq!(
        again.code,
        0,
        "second plan not empty:\n{}",
        again.combined()
    );

    // A name no bucket can have, among good ones, is refused at its instance.
    wd.write("main.tf", &stack("toset([\"acme-fe-a\", \"Acme_Fe_B\"])"));
    let plan = wd.plan(&vars);
    plan.assert_failure()
        .assert_contains("Error: Invalid name")
        .assert_contains("data.phi_bucket.each[\"Acme_Fe_B\"]");
    assert!(
        !plan
            .combined()
            .contains("data.phi_bucket.each[\"acme-fe-a\"],"),
        "only the bad instance is refused:\n{}",
        plan.combined()
    );
    assert!(!plan.combined().contains("panicked"));
}
