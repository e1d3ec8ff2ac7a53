//! Evaluation as Terraform does it: variables from every source in
//! Terraform's precedence, locals, functions, local modules called with their
//! callers' arguments, provider aliases handed to modules, `.tf.json`, and
//! unknown values reported as "could not verify", never as violations.

mod common;
use common::*;

#[test]
fn a_nested_local_module_is_checked_with_the_arguments_its_callers_pass() {
    let (code, json) = lint_json(&[fixture("nested").to_str().unwrap()], &[]);
    assert_eq!(code, 1);
    // Two calls of modules/audit, each calling modules/sink: only the call
    // passing retention 90 violates, reported in the sink with its path.
    assert_eq!(
        located(&json, "findings"),
        [f("PHI-LOG-001", "nested/modules/sink/main.tf", 16, 20)]
    );
    let finding = &json["findings"][0];
    assert_eq!(
        finding["modules"],
        serde_json::json!(["module.audit_short.module.sink"])
    );
    assert!(
        messages(&json)[0].contains("retention_days is 90"),
        "{json}"
    );
}

#[test]
fn provider_aliases_and_the_alias_a_module_receives_are_checked() {
    let (code, json) = lint_json(&[fixture("aliases").to_str().unwrap()], &[]);
    assert_eq!(code, 1);
    assert_eq!(
        located(&json, "findings"),
        [
            // The aliased provider block itself.
            f("PHI-REG-001", "aliases/main.tf", 7, 12),
            // The module call that hands it to `replica`.
            f("PHI-REG-001", "aliases/main.tf", 18, 15),
            // A resource-level region (the compliant twin on line 27 passes).
            f("PHI-REG-001", "aliases/main.tf", 23, 12),
            // Inside the module, the sink is created in the alias's region:
            // the key-in-the-same-region check sees it. The region itself is
            // reported once, at the module call above, not again here.
            f("PHI-KMS-006", "aliases/replica/main.tf", 3, 20),
        ]
    );
    let m = messages(&json);
    assert!(
        m[1].contains("module \"replica\" receives provider phi.apac"),
        "{m:?}"
    );
    assert!(m[3].contains("The key is in eu-central-1, but this resource is in ap-southeast-1"));
}

fn retention_finding(json: &serde_json::Value) -> Option<String> {
    json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["control"] == "PHI-LOG-001")
        .map(|f| f["message"].as_str().unwrap().to_owned())
}

#[test]
fn variables_follow_terraforms_precedence() {
    let dir = fixture("tfvars");
    let dir = dir.to_str().unwrap();
    // default 1 < terraform.tfvars 30 < a.auto.tfvars 60 < b.auto.tfvars.json 90
    let (_, json) = lint_json(&[dir], &[]);
    assert!(
        retention_finding(&json)
            .unwrap()
            .contains("retention_days is 90"),
        "{json}"
    );
    // TF_VAR_* comes before every file, so it does not win here...
    let (_, json) = lint_json(&[dir], &[("TF_VAR_retention", "2192")]);
    assert!(
        retention_finding(&json)
            .unwrap()
            .contains("retention_days is 90")
    );
    // ...but sets what no file sets.
    let (_, json) = lint_json(&[dir], &[("TF_VAR_region", "ap-southeast-1")]);
    assert_eq!(
        located(&json, "findings")[0],
        f("PHI-REG-001", "tfvars/main.tf", 2, 12)
    );
    // --var-file wins over the automatic files; later --var-file wins.
    let six = format!("{dir}/six-years.tfvars");
    let one = format!("{dir}/one-year.tfvars");
    let (code, json) = lint_json(&["--var-file", &six, dir], &[]);
    assert_eq!((code, retention_finding(&json)), (0, None), "{json}");
    let (_, json) = lint_json(&["--var-file", &six, "--var-file", &one, dir], &[]);
    assert!(
        retention_finding(&json)
            .unwrap()
            .contains("retention_days is 365")
    );
    let (_, json) = lint_json(&["--var-file", &one, "--var-file", &six, dir], &[]);
    assert_eq!(retention_finding(&json), None);
}

#[test]
fn a_missing_var_file_is_a_usage_error() {
    let (code, _) = {
        let out = command()
            .args(["--var-file", "/nonexistent.tfvars"])
            .arg(fixture("tfvars"))
            .output()
            .unwrap();
        (out.status.code().unwrap(), ())
    };
    assert_eq!(code, 2);
}

#[test]
fn unknown_values_are_one_finding_each_never_a_violation() {
    let (code, json) = lint_json(&[fixture("unknown").to_str().unwrap()], &[]);
    assert_eq!(code, 1);
    assert_eq!(
        located(&json, "findings"),
        [
            f("PHI-LNT-001", "unknown/main.tf", 6, 12),
            f("PHI-LNT-001", "unknown/main.tf", 11, 20),
            f("PHI-LNT-001", "unknown/main.tf", 12, 20),
            f("PHI-LNT-001", "unknown/main.tf", 13, 20),
        ]
    );
    let m = messages(&json);
    assert!(
        m[0].contains("`region = var.region`") && m[0].contains("var.region (no value given)"),
        "{m:?}"
    );
    assert!(
        m[1].contains("`kms_key_arn = data.aws_kms_key.audit.arn`"),
        "{m:?}"
    );
    assert!(m[2].contains("aws_s3_bucket_policy.x.policy"), "{m:?}");
    assert!(m[3].contains("each.key"), "{m:?}");
    // Given the missing input, the same file is checked for real.
    let (code, json) = lint_json(
        &[fixture("unknown").to_str().unwrap()],
        &[("TF_VAR_region", "eu-central-1")],
    );
    assert_eq!(code, 1);
    assert_eq!(located(&json, "findings").len(), 3);
}

#[test]
fn terraform_json_syntax_is_checked_like_native_syntax() {
    let (code, json) = lint_json(&[fixture("json").to_str().unwrap()], &[]);
    assert_eq!(code, 1);
    assert_eq!(
        located(&json, "findings"),
        [
            // "${var.region}" resolved through the variable's default; the
            // resource inheriting it is not reported a second time.
            f("PHI-REG-001", "json/main.tf.json", 9, 7),
            f("PHI-KMS-006", "json/main.tf.json", 16, 9),
            f("PHI-LOG-001", "json/main.tf.json", 17, 9),
        ]
    );
}

#[test]
fn a_module_source_with_no_files_cannot_be_verified() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("main.tf"),
        "module \"gone\" {\n  source = \"./nowhere\"\n}\n",
    )
    .unwrap();
    let (code, json) = lint_json(&[dir.path().to_str().unwrap()], &[]);
    assert_eq!(code, 1);
    assert_eq!(json["findings"][0]["control"], "PHI-LNT-001");
    assert_eq!(json["findings"][0]["line"], 2);
}

#[test]
fn modules_installed_by_terraform_init_are_checked_when_present() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::write(
        root.join("main.tf"),
        "module \"logs\" {\n  source  = \"acme/logs/aws\"\n  version = \"1.0.0\"\n  days    = 30\n}\n",
    )
    .unwrap();
    let installed = root.join(".terraform/modules/logs");
    std::fs::create_dir_all(&installed).unwrap();
    std::fs::write(
        root.join(".terraform/modules/modules.json"),
        r#"{"Modules":[{"Key":"","Source":"","Dir":"."},{"Key":"logs","Source":"registry.terraform.io/acme/logs/aws","Version":"1.0.0","Dir":".terraform/modules/logs"}]}"#,
    )
    .unwrap();
    std::fs::write(
        installed.join("main.tf"),
        "variable \"days\" {}\nresource \"phi_audit_log_sink\" \"s\" {\n  name           = \"s\"\n  kms_key_arn    = \"arn:aws:kms:eu-central-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab\"\n  retention_days = var.days\n}\n",
    )
    .unwrap();
    let (_, json) = lint_json(&[root.to_str().unwrap()], &[]);
    let found: Vec<_> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["control"].as_str().unwrap(),
                f["file"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert!(
        found
            .iter()
            .any(|(c, file)| *c == "PHI-LOG-001"
                && file.ends_with(".terraform/modules/logs/main.tf")),
        "{found:?}"
    );
}

#[test]
fn an_empty_provider_region_comes_from_the_environment_and_cannot_be_verified() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("main.tf"),
        "variable \"region\" {\n  default = \"\"\n}\n\nprovider \"aws\" {\n  region = var.region\n}\n\nresource \"aws_kms_key\" \"k\" {\n  region = \"\"\n}\n",
    )
    .unwrap();
    let (_, json) = lint_json(&[dir.path().to_str().unwrap()], &[]);
    let found: Vec<(String, u64)> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["control"].as_str().unwrap().to_owned(),
                f["line"].as_u64().unwrap(),
            )
        })
        .collect();
    // The provider: could not verify; the resource: uses its provider's.
    assert_eq!(found, [("PHI-LNT-001".to_owned(), 6)], "{json}");
}

#[test]
fn count_for_each_and_optional_defaults_are_expanded_per_instance() {
    let (code, json) = lint_json(&[fixture("expansion").to_str().unwrap()], &[]);
    assert_eq!(code, 1);
    // One finding per violating instance, at the line Terraform refuses;
    // the compliant instances (scans, logs[0], db["main"] with its
    // optional() defaults, sink["long"]) pass.
    assert_eq!(
        located(&json, "findings"),
        [
            f("PHI-S3-008", "expansion/main.tf", 10, 39),
            f("PHI-RDS-002", "expansion/main.tf", 27, 28),
            f("PHI-LOG-001", "expansion/main.tf", 39, 20),
            f("PHI-LNT-001", "expansion/main.tf", 50, 20),
            f("PHI-LOG-001", "expansion/sink/main.tf", 8, 20),
        ]
    );
    let m = messages(&json);
    assert!(m[0].starts_with("phi_bucket.store[\"notes\"]: "), "{m:?}");
    assert!(
        m[1].starts_with("phi_database.db[\"open\"]: ")
            && m[1].ends_with("(value from terraform.tfvars:1)"),
        "{m:?}"
    );
    assert!(m[2].starts_with("phi_audit_log_sink.logs[1]: "), "{m:?}");
    assert!(
        m[3].contains("phi_bucket.unknown: its instances could not be verified")
            && m[3].contains("data.aws_s3_buckets.all.names"),
        "{m:?}"
    );
    assert!(
        m[4].starts_with("module.sink[\"short\"].phi_audit_log_sink.this: "),
        "{m:?}"
    );
    assert_eq!(
        json["findings"][4]["modules"],
        serde_json::json!(["module.sink[\"short\"]"])
    );
}

#[test]
fn an_optional_attribute_left_out_takes_its_default_and_passes() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("main.tf"),
        "terraform {\n  required_providers {\n    phi = {\n      source  = \"phi-guard/phi\"\n      version = \"0.1.0\"\n    }\n  }\n}\n\nvariable \"db\" {\n  type    = object({ publicly_accessible = optional(bool, false) })\n  default = {}\n}\n\nresource \"phi_database\" \"db\" {\n  identifier          = \"acme-db\"\n  engine              = \"postgres\"\n  engine_version      = \"16.4\"\n  kms_key_arn         = \"arn:aws:kms:eu-central-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab\"\n  publicly_accessible = var.db.publicly_accessible\n  instance_class      = \"db.t4g.medium\"\n  allocated_storage_gb = 20\n  db_subnet_group_name = \"acme-private\"\n  vpc_security_group_ids = [\"sg-0123456789abcdef0\"]\n}\n",
    )
    .unwrap();
    let (code, json) = lint_json(&[dir.path().to_str().unwrap()], &[]);
    assert_eq!((code, located(&json, "findings")), (0, vec![]), "{json}");
}

#[test]
fn a_failing_expression_is_described_without_internal_wording() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("main.tf"),
        "locals {\n  days = { short = 90 }\n}\n\nresource \"phi_audit_log_sink\" \"s\" {\n  name           = \"s\"\n  kms_key_arn    = \"arn:aws:kms:eu-central-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab\"\n  retention_days = local.days.long\n}\n",
    )
    .unwrap();
    let (_, json) = lint_json(&[dir.path().to_str().unwrap()], &[]);
    let m = messages(&json).join("\n");
    assert!(m.contains("evaluating it fails"), "{m}");
    assert!(!m.contains("error:"), "{m}");
}

#[test]
fn a_missing_required_argument_is_named_with_the_near_miss() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("main.tf"),
        "terraform {\n  required_providers {\n    phi = {\n      source  = \"phi-guard/phi\"\n      version = \"0.1.0\"\n    }\n  }\n}\n\nresource \"phi_audit_log_sink\" \"s\" {\n  name          = \"acme-audit\"\n  kms_key_arn   = \"arn:aws:kms:eu-central-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab\"\n  retention_day = 2192\n}\n",
    )
    .unwrap();
    let (code, json) = lint_json(&[dir.path().to_str().unwrap()], &[]);
    assert_eq!(code, 1);
    assert_eq!(
        located(&json, "findings")
            .into_iter()
            .map(|(c, _, l, col)| (c, l, col))
            .collect::<Vec<_>>(),
        [
            ("PHI-LNT-008".to_owned(), 10, 1),
            ("PHI-LNT-008".to_owned(), 13, 19),
        ]
    );
    let m = messages(&json);
    assert!(
        m[0].contains("the required argument `retention_days` is missing")
            && m[0].contains("did you mean `retention_days` instead of `retention_day`?"),
        "{m:?}"
    );
    assert!(m[1].contains("`retention_day` is not an argument of phi_audit_log_sink (did you mean `retention_days`?)"), "{m:?}");
}

#[test]
fn a_resource_region_from_each_value_is_checked_per_instance() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("main.tf"),
        "resource \"aws_kms_key\" \"k\" {\n  for_each = { eu = \"eu-central-1\", ap = \"ap-southeast-1\" }\n  region   = each.value\n}\n",
    )
    .unwrap();
    let (code, json) = lint_json(&[dir.path().to_str().unwrap()], &[]);
    assert_eq!(code, 1);
    let found: Vec<(String, u64)> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["control"].as_str().unwrap().to_owned(),
                f["line"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(found, [("PHI-REG-001".to_owned(), 3)], "{json}");
    assert!(messages(&json)[0].contains("[\"ap\"]"), "{json}");
}
