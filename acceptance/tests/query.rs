//! `terraform query` (Terraform 1.14+) over the `phi_bucket` list resource:
//! the buckets of the region with their identity and whether each passes
//! phi_bucket's controls as it is; `-generate-config-out` writes `import`
//! blocks by identity with configurations that plan.

use aws_sdk_s3::types::{BucketLocationConstraint, CreateBucketConfiguration};
use phi_acceptance::suite::{env, sink_with_buckets};
use phi_acceptance::{TfRun, Workdir};

const SINK: &str = "acme-audit";

fn query(wd: &Workdir, extra: &[&str]) -> TfRun {
    let mut args = vec!["query", "-no-color"];
    args.extend(extra);
    wd.terraform(&args)
}

#[tokio::test]
async fn query_lists_the_regions_buckets_with_identity_and_compliance() {
    let e = env().await;
    let wd = Workdir::new(&e.moto);
    // A sink and one compliant bucket made by the provider.
    wd.write("main.tf", &sink_with_buckets(&e.key, SINK, 1, ""));
    wd.apply(&[]).assert_success();
    // A bucket made by hand: no encryption setting of its own, nothing of
    // the baseline.
    e.aws
        .s3
        .create_bucket()
        .bucket("acme-legacy-exports")
        .create_bucket_configuration(
            CreateBucketConfiguration::builder()
                .location_constraint(BucketLocationConstraint::EuCentral1)
                .build(),
        )
        .send()
        .await
        .unwrap();
    wd.write(
        "buckets.tfquery.hcl",
        "list \"phi_bucket\" \"all\" {\n  provider = phi\n  config {\n    name_prefix = \"acme-\"\n  }\n}\n",
    );
    let listed = query(&wd, &[]);
    listed
        .assert_success()
        .assert_contains("acme-audit-000: passes every phi_bucket control")
        .assert_contains("acme-legacy-exports: not adoptable as is")
        .assert_contains("Missing required argument `kms_key_arn`");
    // Each with its identity.
    listed.assert_contains("account_id=123456789012,name=acme-audit-000,region=eu-central-1");
    // The sink's archive is a phi_audit_log_sink, not a phi_bucket.
    assert!(!listed.stdout.contains("acme-audit:"), "{}", listed.stdout);

    // With the objects, Terraform writes an import block by identity and
    // the configuration (the provider's GenerateResourceConfig) for each.
    wd.write(
        "buckets.tfquery.hcl",
        "list \"phi_bucket\" \"all\" {\n  provider = phi\n  include_resource = true\n  \
         config {\n    name_prefix = \"acme-audit-\"\n  }\n}\n",
    );
    query(&wd, &["-generate-config-out=found.tf"]).assert_success();
    let found = std::fs::read_to_string(wd.path().join("found.tf")).unwrap();
    let folded: String = found.split_whitespace().collect::<Vec<_>>().join(" ");
    for needle in [
        "resource \"phi_bucket\" \"all_0\"",
        "name = \"acme-audit-000\"",
        &format!("kms_key_arn = \"{}\"", e.key),
        "audit_log_sink = \"acme-audit\"",
        "identity = {",
        "account_id = \"123456789012\"",
    ] {
        assert!(folded.contains(needle), "{needle} not in:\n{found}");
    }
}
