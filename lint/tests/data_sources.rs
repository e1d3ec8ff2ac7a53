//! `data "phi_*"` blocks: phi-lint knows the provider's data sources. Their
//! arguments are checked from the table the provider's data source schemas
//! are tested against (PHI-LNT-008), they are neither raw resources nor
//! unknown types, and a key read from a lookup that keeps
//! `require_compliant` on is not "unverifiable".

mod common;
use common::*;

const HEADER: &str = "terraform {\n  required_providers {\n    phi = {\n      source  = \"phi-guard/phi\"\n      version = \"0.1.0\"\n    }\n  }\n}\n\nprovider \"phi\" {\n  region = \"eu-central-1\"\n}\n";

fn lint_source(body: &str) -> (i32, serde_json::Value) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("main.tf"), format!("{HEADER}{body}")).unwrap();
    lint_json(&[dir.path().to_str().unwrap()], &[])
}

/// Line numbers in `body` as phi-lint reports them (after the header).
fn line(n: u64) -> u64 {
    HEADER.lines().count() as u64 + n
}

/// (control, line) of each active finding.
fn controls_and_lines(json: &serde_json::Value) -> Vec<(String, u64)> {
    located(json, "findings")
        .into_iter()
        .map(|(c, _, l, _)| (c, l))
        .collect()
}

#[test]
fn a_stack_that_reads_the_central_sink_and_bucket_is_clean() {
    let (code, json) = lint_source(
        "data \"phi_audit_log_sink\" \"central\" {\n  name = \"acme-audit\"\n}\n\n\
         data \"phi_bucket\" \"records\" {\n  name              = \"acme-records\"\n  \
         audit_log_sink    = data.phi_audit_log_sink.central.name\n  require_compliant = true\n}\n\n\
         resource \"phi_bucket\" \"team\" {\n  name           = \"acme-team-records\"\n  \
         kms_key_arn    = data.phi_audit_log_sink.central.kms_key_arn\n  \
         audit_log_sink = data.phi_audit_log_sink.central.id\n}\n",
    );
    assert_eq!(code, 0, "{json}");
    assert!(json["findings"].as_array().unwrap().is_empty(), "{json}");
}

#[test]
fn a_misspelt_or_missing_data_source_argument_is_phi_lnt_008() {
    let (code, json) = lint_source(
        "data \"phi_bucket\" \"records\" {\n  nme            = \"acme-records\"\n  \
         audit_log_sink = \"acme-audit\"\n}\n\n\
         data \"phi_audit_log_sink\" \"central\" {\n  name        = \"acme-audit\"\n  \
         kms_key_arn = \"arn:aws:kms:eu-central-1:111122223333:key/k\"\n}\n",
    );
    assert_eq!(code, 1, "{json}");
    let found = controls_and_lines(&json);
    assert_eq!(
        found,
        [
            ("PHI-LNT-008".to_owned(), line(1)),
            ("PHI-LNT-008".to_owned(), line(2)),
            ("PHI-LNT-008".to_owned(), line(8)),
        ],
        "{json}"
    );
    let m = messages(&json);
    assert!(
        m[0].contains("data.phi_bucket.records: the required argument `name` is missing")
            && m[0].contains("did you mean `name` instead of `nme`?"),
        "{m:?}"
    );
    assert!(
        m[1].contains("`nme` is not an argument of data source phi_bucket (did you mean `name`?)"),
        "{m:?}"
    );
    // A resource argument is not a data source argument.
    assert!(
        m[2].contains("`kms_key_arn` is not an argument of data source phi_audit_log_sink"),
        "{m:?}"
    );
}

#[test]
fn a_key_read_from_a_lookup_that_only_warns_is_unverifiable() {
    let (code, json) = lint_source(
        "data \"phi_audit_log_sink\" \"central\" {\n  name              = \"acme-audit\"\n  \
         require_compliant = false\n}\n\n\
         resource \"phi_bucket\" \"team\" {\n  name           = \"acme-team-records\"\n  \
         kms_key_arn    = data.phi_audit_log_sink.central.kms_key_arn\n  \
         audit_log_sink = data.phi_audit_log_sink.central.id\n}\n",
    );
    assert_eq!(code, 1, "{json}");
    let found = controls_and_lines(&json);
    assert_eq!(found, [("PHI-LNT-001".to_owned(), line(8))], "{json}");
}

/// Lookups with `for_each` or `count`, read by instance: a key from a lookup
/// that keeps `require_compliant` on for every instance is checked at read;
/// one whose setting is off, or decided per instance, is unverifiable.
#[test]
fn a_key_read_from_an_instance_of_a_lookup_follows_the_blocks_require_compliant() {
    let (code, json) = lint_source(
        "variable \"sinks\" {\n  type    = map(bool)\n  default = { \"acme-audit-a\" = true }\n}\n\n\
         data \"phi_audit_log_sink\" \"strict\" {\n  for_each = var.sinks\n  name     = each.key\n}\n\n\
         data \"phi_audit_log_sink\" \"counted\" {\n  count = 1\n  name  = \"acme-audit-c\"\n}\n\n\
         data \"phi_audit_log_sink\" \"per_instance\" {\n  for_each          = var.sinks\n  \
         name              = each.key\n  require_compliant = each.value\n}\n\n\
         resource \"phi_bucket\" \"strict\" {\n  for_each       = var.sinks\n  name           = \"${each.key}-r\"\n  \
         kms_key_arn    = data.phi_audit_log_sink.strict[each.key].kms_key_arn\n  \
         audit_log_sink = each.key\n}\n\n\
         resource \"phi_bucket\" \"counted\" {\n  name           = \"acme-counted-r\"\n  \
         kms_key_arn    = data.phi_audit_log_sink.counted[0].kms_key_arn\n  \
         audit_log_sink = \"acme-audit-c\"\n}\n\n\
         resource \"phi_bucket\" \"per_instance\" {\n  for_each       = var.sinks\n  name           = \"${each.key}-p\"\n  \
         kms_key_arn    = data.phi_audit_log_sink.per_instance[each.key].kms_key_arn\n  \
         audit_log_sink = each.key\n}\n",
    );
    assert_eq!(code, 1, "{json}");
    let found = controls_and_lines(&json);
    assert_eq!(found, [("PHI-LNT-001".to_owned(), line(38))], "{json}");
    assert!(
        messages(&json)[0].contains("phi_bucket.per_instance[\"acme-audit-a\"]"),
        "{json}"
    );
}

/// A key read from a lookup in the calling module and passed into a child
/// module as an argument: checked when the caller's lookup keeps
/// `require_compliant` on, unverifiable when it does not, and unverifiable
/// when the child declares a lenient lookup of the same name (the two reads
/// cannot be told apart, so the safe answer wins).
#[test]
fn a_key_passed_into_a_module_from_the_callers_lookup_follows_that_lookup() {
    let child = |extra: &str| {
        format!(
            "terraform {{\n  required_providers {{\n    phi = {{\n      source  = \"phi-guard/phi\"\n      \
             version = \"0.1.0\"\n    }}\n  }}\n}}\n\nvariable \"key\" {{\n  type = string\n}}\n\n{extra}\
             resource \"phi_bucket\" \"this\" {{\n  name           = \"acme-store-records\"\n  \
             kms_key_arn    = var.key\n  audit_log_sink = \"acme-audit\"\n}}\n"
        )
    };
    let run = |require_compliant: &str, child_extra: &str| {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("store")).unwrap();
        std::fs::write(dir.path().join("store/main.tf"), child(child_extra)).unwrap();
        std::fs::write(
            dir.path().join("main.tf"),
            format!(
                "{HEADER}data \"phi_audit_log_sink\" \"central\" {{\n  name = \"acme-audit\"\n{require_compliant}}}\n\n\
                 module \"store\" {{\n  source = \"./store\"\n  key    = data.phi_audit_log_sink.central.kms_key_arn\n}}\n"
            ),
        )
        .unwrap();
        let (code, json) = lint_json(&[dir.path().to_str().unwrap()], &[]);
        let found: Vec<String> = located(&json, "findings")
            .into_iter()
            .map(|(c, _, _, _)| c)
            .collect();
        (code, found, json)
    };
    let (code, found, json) = run("", "");
    assert_eq!((code, found), (0, vec![]), "{json}");
    let (code, found, json) = run("  require_compliant = false\n", "");
    assert_eq!((code, found), (1, vec!["PHI-LNT-001".to_owned()]), "{json}");
    assert!(
        messages(&json)[0].contains("module.store.phi_bucket.this"),
        "{json}"
    );
    let (code, found, json) = run(
        "",
        "data \"phi_audit_log_sink\" \"central\" {\n  name              = \"acme-other\"\n  \
         require_compliant = false\n}\n\n",
    );
    assert_eq!((code, found), (1, vec!["PHI-LNT-001".to_owned()]), "{json}");
}
