//! MoveResourceState: a `moved` block from `hashicorp/aws` (`aws_s3_bucket`
//! to `phi_bucket`, `aws_db_instance` to `phi_database`) turns the source's
//! state into ours without touching AWS.
//!
//! DESIGN: only what the source state really says is carried over (names,
//! ARNs, the key, tags, engine, size, backups, networking). Everything else
//! is left null: the refresh that follows the move reads the live `enforced`
//! settings from AWS, and the required arguments the source cannot supply
//! (a bucket's `audit_log_sink`, its key when it was not encrypted with a
//! customer-managed key) come from the configuration at plan. A sentinel
//! value would show up as a fake change, or worse, be taken for a setting.
//!
//! The moved state is marked in the resource's private data
//! ([`MOVED_MARKER`]) so that the first plan after the move refuses any
//! replacement: a move is how a team adopts a bucket or database full of
//! PHI, and a plan that deleted it because one argument differs from what
//! exists must never reach apply.

use std::collections::BTreeMap;

use crate::diagnostics::Diagnostics;
use crate::schema::Schema;
use crate::value::{self, Value};

/// The provider whose resources can be moved into ours (namespace/type of
/// its source address; the registry host may differ, e.g. OpenTofu's).
pub const SOURCE_PROVIDER: &str = "hashicorp/aws";

/// Private data of a resource whose state was moved and not yet applied.
pub const MOVED_MARKER: &[u8] = br#"{"phi_moved_from":"hashicorp/aws"}"#;

/// Which source type may move into which of our types.
const MOVES: &[(&str, &str)] = &[
    ("aws_s3_bucket", super::bucket::TYPE_NAME),
    ("aws_db_instance", super::database::TYPE_NAME),
];

/// What the RPC layer hands over from the request.
pub struct MoveRequest<'a> {
    pub source_provider_address: &'a str,
    pub source_type_name: &'a str,
    pub source_state_json: &'a [u8],
    pub target_type_name: &'a str,
}

/// The moved state (conformed to `target`'s schema), or the reasons it
/// cannot be moved. `region` is the phi provider's region when it is
/// configured already; a source in another region is refused.
pub fn move_state(
    request: &MoveRequest<'_>,
    target: &Schema,
    region: Option<&str>,
) -> Result<Value, Diagnostics> {
    let mut d = Diagnostics::new();
    if !is_aws_provider(request.source_provider_address) {
        d.error(
            "Unsupported move source",
            format!(
                "The phi provider can take over resources of {SOURCE_PROVIDER} only, not of \
                 {:?}. Import the object instead: `import {{ to = {}.<name>  id = \"...\" }}`.",
                request.source_provider_address, request.target_type_name
            ),
        );
        return Err(d);
    }
    let Some((_, expected_target)) = MOVES
        .iter()
        .find(|(source, _)| *source == request.source_type_name)
    else {
        d.error(
            "Unsupported move source",
            format!(
                "{} cannot be moved into {}: the phi provider takes over aws_s3_bucket (as \
                 phi_bucket) and aws_db_instance (as phi_database) only. Companion resources \
                 such as aws_s3_bucket_versioning are handed over with a `removed` block and \
                 `lifecycle {{ destroy = false }}`; the phi resource then manages those settings \
                 itself.",
                request.source_type_name, request.target_type_name
            ),
        );
        return Err(d);
    };
    if *expected_target != request.target_type_name {
        d.error(
            "Unsupported move target",
            format!(
                "{} can only be moved into {expected_target}, not into {}.",
                request.source_type_name, request.target_type_name
            ),
        );
        return Err(d);
    }
    let source = match value::decode_json(request.source_state_json) {
        Ok(v @ Value::Map(_)) => v,
        Ok(_) | Err(_) => {
            d.error(
                "Unreadable source state",
                format!(
                    "The state of the {} being moved is not a JSON object, so nothing could be \
                     taken from it. Nothing was changed.",
                    request.source_type_name
                ),
            );
            return Err(d);
        }
    };
    let moved = match request.source_type_name {
        "aws_s3_bucket" => from_s3_bucket(&source),
        _ => from_db_instance(&source, region),
    }?;
    Ok(super::conform(target, moved))
}

/// `registry.terraform.io/hashicorp/aws`, or the same provider from another
/// registry host.
fn is_aws_provider(address: &str) -> bool {
    let parts: Vec<&str> = address.split('/').collect();
    match parts.as_slice() {
        [_, namespace, kind] | [namespace, kind] => {
            format!("{namespace}/{kind}").eq_ignore_ascii_case(SOURCE_PROVIDER)
        }
        _ => false,
    }
}

/// A non-empty string attribute of the source state.
fn text(source: &Value, name: &str) -> Option<String> {
    source
        .get(name)
        .as_str()
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// The tags AWS holds: `tags_all` (with the provider's default tags) when
/// the source recorded it, else `tags`; null when there are none, as our
/// resources keep "no tags".
fn tags(source: &Value) -> Value {
    let all = source.get("tags_all").as_string_map();
    let own = source.get("tags").as_string_map();
    match all.filter(|m| !m.is_empty()).or(own) {
        Some(m) if !m.is_empty() => Value::from_string_map(&m),
        _ => Value::Null,
    }
}

/// The first element of a nested-block list (`[{...}]`), as the AWS
/// provider stores blocks.
fn first<'a>(source: &'a Value, name: &str) -> &'a Value {
    static NULL: Value = Value::Null;
    match source.get(name) {
        Value::List(items) => items.first().unwrap_or(&NULL),
        _ => &NULL,
    }
}

fn object(entries: Vec<(&str, Value)>) -> Value {
    Value::Map(
        entries
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect::<BTreeMap<_, _>>(),
    )
}

fn missing(d: &mut Diagnostics, source_type: &str, attribute: &str) {
    d.error(
        "Incomplete source state",
        format!(
            "The state of the {source_type} being moved has no {attribute:?}, so the object it \
             manages cannot be identified. Run `terraform apply -refresh-only` with the aws \
             provider first, or import the object into the phi resource instead. Nothing was \
             changed."
        ),
    );
}

/// `aws_s3_bucket` (hashicorp/aws 5.x and 6.x) to `phi_bucket`.
fn from_s3_bucket(source: &Value) -> Result<Value, Diagnostics> {
    let mut d = Diagnostics::new();
    let Some(name) = text(source, "bucket").or_else(|| text(source, "id")) else {
        missing(&mut d, "aws_s3_bucket", "bucket");
        return Err(d);
    };
    // 5.x and 6.x still record the bucket's default encryption in the
    // (deprecated, computed) server_side_encryption_configuration block.
    let default = first(
        first(
            first(source, "server_side_encryption_configuration"),
            "rule",
        ),
        "apply_server_side_encryption_by_default",
    );
    let algorithm = text(default, "sse_algorithm");
    let key = text(default, "kms_master_key_id").filter(|k| k.starts_with("arn:"));
    Ok(object(vec![
        ("id", Value::string(&name)),
        ("name", Value::string(&name)),
        ("arn", Value::opt_string(text(source, "arn"))),
        ("kms_key_arn", Value::opt_string(key)),
        ("encryption_algorithm", Value::opt_string(algorithm)),
        // A bucket taken over is protected from the first plan on, whatever
        // force_destroy said: our default, and the safe side.
        ("deletion_protection", Value::Bool(true)),
        ("tags", tags(source)),
    ]))
}

/// `aws_db_instance` (hashicorp/aws 5.x and 6.x, schema version 2) to
/// `phi_database`. The master password the source state may hold is never
/// read.
fn from_db_instance(source: &Value, region: Option<&str>) -> Result<Value, Diagnostics> {
    let mut d = Diagnostics::new();
    let Some(identifier) = text(source, "identifier") else {
        missing(&mut d, "aws_db_instance", "identifier");
        return Err(d);
    };
    let engine = text(source, "engine").unwrap_or_default();
    if phi_policy::engines::Engine::from_name(&engine).is_none() {
        d.error(
            "Engine not supported by phi_database",
            format!(
                "The database {identifier} runs {engine:?}; phi_database manages postgres and \
                 mysql only (control PHI-RDS-009), so moving it would plan its replacement. Keep \
                 it in the aws provider. Nothing was changed."
            ),
        );
        return Err(d);
    }
    if source.get("storage_encrypted").as_bool() != Some(true) {
        d.error(
            "Unencrypted database cannot be taken over in place",
            format!(
                "The storage of {identifier} is not encrypted. RDS cannot encrypt an existing \
                 instance, so phi_database (which requires kms_key_arn, control PHI-RDS-001) \
                 would have to replace it, deleting its data. Take an encrypted copy first \
                 (snapshot, copy the snapshot with your customer-managed key, restore), then \
                 move or import the new instance. Nothing was changed."
            ),
        );
        return Err(d);
    }
    let arn = text(source, "arn");
    if let (Some(arn), Some(region)) = (&arn, region)
        && let Some(source_region) = arn.split(':').nth(3)
        && source_region != region
    {
        d.error(
            "Database in another region",
            format!(
                "The database {identifier} is in {source_region}, but the phi provider is \
                 configured for {region}. Move it into a phi_database whose provider is \
                 configured for {source_region}. Nothing was changed."
            ),
        );
        return Err(d);
    }
    let security_groups = match source.get("vpc_security_group_ids") {
        Value::List(ids) if !ids.is_empty() => Value::List(ids.clone()),
        _ => Value::Null,
    };
    let secret_arn = text(first(source, "master_user_secret"), "secret_arn");
    Ok(object(vec![
        ("id", Value::string(&identifier)),
        ("identifier", Value::string(&identifier)),
        ("engine", Value::string(&engine)),
        (
            "engine_version",
            Value::opt_string(text(source, "engine_version")),
        ),
        (
            "engine_version_actual",
            Value::opt_string(text(source, "engine_version_actual")),
        ),
        (
            "instance_class",
            Value::opt_string(text(source, "instance_class")),
        ),
        (
            "allocated_storage_gb",
            source
                .get("allocated_storage")
                .as_i64()
                .map_or(Value::Null, Value::number),
        ),
        ("kms_key_arn", Value::opt_string(text(source, "kms_key_id"))),
        (
            "master_username",
            Value::opt_string(text(source, "username")),
        ),
        (
            "backup_retention_days",
            source
                .get("backup_retention_period")
                .as_i64()
                .map_or(Value::Null, Value::number),
        ),
        (
            "multi_az",
            source
                .get("multi_az")
                .as_bool()
                .map_or(Value::Null, Value::Bool),
        ),
        (
            "deletion_protection",
            source
                .get("deletion_protection")
                .as_bool()
                .map_or(Value::Null, Value::Bool),
        ),
        // Only `true` is recorded, as import does: our argument may only be
        // false, and a public instance must show as a change.
        (
            "publicly_accessible",
            if source.get("publicly_accessible").as_bool() == Some(true) {
                Value::Bool(true)
            } else {
                Value::Null
            },
        ),
        (
            "db_subnet_group_name",
            Value::opt_string(text(source, "db_subnet_group_name")),
        ),
        ("vpc_security_group_ids", security_groups),
        ("tags", tags(source)),
        ("timeouts", source.get("timeouts").clone()),
        ("arn", Value::opt_string(arn)),
        ("address", Value::opt_string(text(source, "address"))),
        (
            "port",
            source
                .get("port")
                .as_i64()
                .map_or(Value::Null, Value::number),
        ),
        (
            "parameter_group_name",
            Value::opt_string(text(source, "parameter_group_name")),
        ),
        ("master_user_secret_arn", Value::opt_string(secret_arn)),
    ]))
}

#[cfg(test)]
#[path = "move_from_aws_tests.rs"]
mod tests;
