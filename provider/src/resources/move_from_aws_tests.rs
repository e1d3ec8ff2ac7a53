//! The mapping over source states shaped like real hashicorp/aws 5.x and
//! 6.x states (`provider/tests/fixtures/aws-state/`).

use super::*;
use crate::resources::Resource;
use crate::resources::bucket::Bucket;
use crate::resources::database::Database;

const AWS: &str = "registry.terraform.io/hashicorp/aws";

fn fixture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/tests/fixtures/aws-state/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn request<'a>(source_type: &'a str, json: &'a [u8], target: &'a str) -> MoveRequest<'a> {
    MoveRequest {
        source_provider_address: AWS,
        source_type_name: source_type,
        source_state_json: json,
        target_type_name: target,
    }
}

fn moved_bucket(name: &str) -> Value {
    let json = fixture(name);
    let bucket = Bucket::new();
    move_state(
        &request("aws_s3_bucket", &json, "phi_bucket"),
        bucket.schema(),
        None,
    )
    .unwrap_or_else(|d| panic!("{d:?}"))
}

fn moved_database(json: &[u8], region: Option<&str>) -> Result<Value, Diagnostics> {
    let db = Database::new();
    move_state(
        &request("aws_db_instance", json, "phi_database"),
        db.schema(),
        region,
    )
}

fn error_text(d: &Diagnostics) -> String {
    d.iter()
        .map(|d| format!("{}: {}", d.summary, d.detail))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn a_5x_bucket_keeps_name_arn_key_and_tags() {
    let state = moved_bucket("aws_s3_bucket-5.x");
    assert_eq!(state.get("id"), &Value::string("acme-ehr-records"));
    assert_eq!(state.get("name"), &Value::string("acme-ehr-records"));
    assert_eq!(
        state.get("arn"),
        &Value::string("arn:aws:s3:::acme-ehr-records")
    );
    assert_eq!(
        state.get("kms_key_arn"),
        &Value::string(
            "arn:aws:kms:eu-central-1:111122223333:key/0b5e2c4f-1111-4c1e-9a55-0e6b8d1f2a3c"
        )
    );
    assert_eq!(state.get("encryption_algorithm"), &Value::string("aws:kms"));
    // tags_all: what the bucket really carries, default tags included.
    let tags = state.get("tags").as_string_map().unwrap();
    assert_eq!(tags.get("owner").map(String::as_str), Some("ehr-team"));
    assert_eq!(tags.len(), 3);
    assert_eq!(state.get("deletion_protection"), &Value::Bool(true));
}

#[test]
fn what_the_source_cannot_say_is_left_null_not_a_sentinel() {
    let state = moved_bucket("aws_s3_bucket-6.x-sse-s3");
    // SSE-S3: no customer-managed key to carry over; the configuration
    // supplies it at plan.
    assert!(state.get("kms_key_arn").is_null());
    assert_eq!(state.get("encryption_algorithm"), &Value::string("AES256"));
    for attribute in [
        "audit_log_sink",
        "minimum_tls_version",
        "noncurrent_version_retention_days",
        "replication",
        "tags",
        "timeouts",
        // Read from AWS by the refresh that follows the move.
        "enforced",
    ] {
        assert!(
            state.get(attribute).is_null(),
            "{attribute} = {:?}",
            state.get(attribute)
        );
    }
    // force_destroy = true does not turn protection off.
    assert_eq!(state.get("deletion_protection"), &Value::Bool(true));
}

#[test]
fn the_moved_state_has_exactly_the_target_schema() {
    for (state, schema) in [
        (
            moved_bucket("aws_s3_bucket-5.x"),
            Bucket::new().schema().clone(),
        ),
        (
            moved_database(&fixture("aws_db_instance-5.x"), None).unwrap(),
            Database::new().schema().clone(),
        ),
    ] {
        let Value::Map(entries) = &state else {
            panic!("an object")
        };
        let names: Vec<&str> = entries.keys().map(String::as_str).collect();
        let mut expected: Vec<&str> = schema.attributes.iter().map(|a| a.name).collect();
        expected.sort_unstable();
        assert_eq!(names, expected);
        assert!(crate::state_types::mismatches(&schema, &state).is_empty());
    }
}

#[test]
fn a_5x_database_keeps_every_setting_the_source_knows() {
    let state = moved_database(&fixture("aws_db_instance-5.x"), Some("eu-central-1")).unwrap();
    let s = |n: &str| state.get(n).as_str().map(str::to_owned);
    assert_eq!(s("id").as_deref(), Some("acme-ehr"));
    assert_eq!(s("identifier").as_deref(), Some("acme-ehr"));
    assert_eq!(s("engine").as_deref(), Some("postgres"));
    assert_eq!(s("engine_version").as_deref(), Some("16"));
    assert_eq!(s("engine_version_actual").as_deref(), Some("16.4"));
    assert_eq!(s("instance_class").as_deref(), Some("db.t3.medium"));
    assert_eq!(state.get("allocated_storage_gb").as_i64(), Some(50));
    assert!(s("kms_key_arn").unwrap().starts_with("arn:aws:kms:"));
    assert_eq!(s("master_username").as_deref(), Some("ehradmin"));
    assert_eq!(state.get("backup_retention_days").as_i64(), Some(7));
    assert_eq!(state.get("multi_az"), &Value::Bool(false));
    assert_eq!(state.get("deletion_protection"), &Value::Bool(true));
    assert!(state.get("publicly_accessible").is_null());
    assert_eq!(s("db_subnet_group_name").as_deref(), Some("acme-private"));
    assert_eq!(
        state.get("vpc_security_group_ids"),
        &Value::List(vec![Value::string("sg-0a1b2c3d4e5f60718")])
    );
    assert_eq!(
        state.get("tags").as_string_map().unwrap()["data-class"],
        "phi"
    );
    assert_eq!(state.get("timeouts").get("create"), &Value::string("60m"));
    assert_eq!(state.get("port").as_i64(), Some(5432));
    assert!(
        s("master_user_secret_arn")
            .unwrap()
            .contains(":secret:rds!")
    );
    assert_eq!(
        s("parameter_group_name").as_deref(),
        Some("default.postgres16")
    );
    assert!(state.get("enforced").is_null());
    assert!(state.get("audit_log_sink").is_null());
}

#[test]
fn an_unencrypted_database_is_refused_and_its_password_never_read() {
    let d = moved_database(&fixture("aws_db_instance-6.x-unencrypted"), None).unwrap_err();
    let text = error_text(&d);
    assert!(text.contains("acme-legacy"), "{text}");
    assert!(
        text.contains("RDS cannot encrypt an existing instance"),
        "{text}"
    );
    assert!(!text.contains("hunter2"), "{text}");
}

#[test]
fn a_6x_encrypted_mysql_database_moves_without_its_password() {
    let mut source = value::decode_json(&fixture("aws_db_instance-6.x-unencrypted")).unwrap();
    let Value::Map(entries) = &mut source else {
        panic!("an object")
    };
    entries.insert("storage_encrypted".to_owned(), Value::Bool(true));
    entries.insert(
        "kms_key_id".to_owned(),
        Value::string("arn:aws:kms:eu-central-1:111122223333:key/k"),
    );
    let json = serde_json::to_vec(&to_json(&source)).unwrap();
    let state = moved_database(&json, Some("eu-central-1")).unwrap();
    assert_eq!(state.get("engine"), &Value::string("mysql"));
    assert_eq!(state.get("engine_version"), &Value::string("8.4.3"));
    assert!(state.get("master_user_secret_arn").is_null());
    let encoded = String::from_utf8_lossy(&crate::value::encode_msgpack(&state)).into_owned();
    assert!(!encoded.contains("hunter2"));
}

#[test]
fn a_database_in_another_region_is_refused() {
    let d = moved_database(&fixture("aws_db_instance-5.x"), Some("eu-west-1")).unwrap_err();
    let text = error_text(&d);
    assert!(
        text.contains("eu-central-1") && text.contains("eu-west-1"),
        "{text}"
    );
}

#[test]
fn an_unsupported_engine_is_refused() {
    let mut source = value::decode_json(&fixture("aws_db_instance-5.x")).unwrap();
    if let Value::Map(entries) = &mut source {
        entries.insert("engine".to_owned(), Value::string("oracle-ee"));
    }
    let json = serde_json::to_vec(&to_json(&source)).unwrap();
    let text = error_text(&moved_database(&json, None).unwrap_err());
    assert!(
        text.contains("oracle-ee") && text.contains("postgres and mysql"),
        "{text}"
    );
}

#[test]
fn other_sources_and_targets_are_refused_with_what_is_supported() {
    let bucket = Bucket::new();
    let json = fixture("aws_s3_bucket-5.x");
    let cases = [
        (
            "registry.terraform.io/hashicorp/google",
            "aws_s3_bucket",
            "phi_bucket",
            "hashicorp/aws only",
        ),
        (
            AWS,
            "aws_s3_bucket_versioning",
            "phi_bucket",
            "`removed` block",
        ),
        (
            AWS,
            "aws_s3_bucket",
            "phi_database",
            "only be moved into phi_bucket",
        ),
    ];
    for (provider, source_type, target, expected) in cases {
        let d = move_state(
            &MoveRequest {
                source_provider_address: provider,
                source_type_name: source_type,
                source_state_json: &json,
                target_type_name: target,
            },
            bucket.schema(),
            None,
        )
        .unwrap_err();
        let text = error_text(&d);
        assert!(text.contains(expected), "{source_type}: {text}");
    }
}

#[test]
fn another_registry_host_of_the_same_provider_is_accepted() {
    assert!(is_aws_provider("registry.opentofu.org/hashicorp/aws"));
    assert!(is_aws_provider("registry.terraform.io/hashicorp/aws"));
    assert!(!is_aws_provider("registry.terraform.io/acme/aws"));
    assert!(!is_aws_provider("hashicorp/awscc"));
}

#[test]
fn a_state_that_is_not_an_object_or_lacks_its_name_is_refused() {
    let bucket = Bucket::new();
    for json in [&b"[1,2]"[..], b"not json", br#"{"arn":"arn:aws:s3:::x"}"#] {
        let d = move_state(
            &request("aws_s3_bucket", json, "phi_bucket"),
            bucket.schema(),
            None,
        )
        .unwrap_err();
        assert!(d.has_errors());
    }
}

fn to_json(v: &Value) -> serde_json::Value {
    match v {
        Value::Null | Value::Unknown => serde_json::Value::Null,
        Value::Bool(b) => serde_json::Value::Bool(*b),
        Value::Number(n) => serde_json::json!(n),
        Value::String(s) => serde_json::Value::String(s.clone()),
        Value::List(items) => serde_json::Value::Array(items.iter().map(to_json).collect()),
        Value::Map(m) => {
            serde_json::Value::Object(m.iter().map(|(k, v)| (k.clone(), to_json(v))).collect())
        }
    }
}
