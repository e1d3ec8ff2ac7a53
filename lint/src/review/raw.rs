//! Resources of other providers in the plan that hold or protect PHI
//! without the phi resources' controls: the types the policy forbids
//! (`raw_resource_types`: `aws_s3_bucket*`, `aws_db_instance` …) and KMS keys,
//! whose settings decide what every phi resource using them is worth. Their
//! planned values are resolved here, so regions and keys are checked with the
//! same catalogue functions the provider uses, on real values.

use phi_policy::{Context, Policy, ids};
use serde::Serialize;
use serde_json::Value;

use super::Finding;

/// Types that are not forbidden but carry PHI-relevant settings.
const PHI_RELEVANT: &[&str] = &["aws_kms_key"];

/// Settings shown for each type, in this order, when the plan has them.
fn shown(resource_type: &str) -> &'static [&'static str] {
    match resource_type {
        "aws_s3_bucket" => &["bucket", "region", "force_destroy", "object_lock_enabled"],
        "aws_s3_bucket_public_access_block" => &[
            "bucket",
            "block_public_acls",
            "block_public_policy",
            "ignore_public_acls",
            "restrict_public_buckets",
        ],
        "aws_db_instance" => &[
            "identifier",
            "region",
            "engine",
            "engine_version",
            "storage_encrypted",
            "kms_key_id",
            "publicly_accessible",
            "deletion_protection",
            "backup_retention_period",
        ],
        "aws_kms_key" => &[
            "region",
            "key_usage",
            "customer_master_key_spec",
            "enable_key_rotation",
            "rotation_period_in_days",
            "multi_region",
            "is_enabled",
        ],
        "aws_cloudwatch_log_group" => &["name", "region", "retention_in_days", "kms_key_id"],
        _ => &["bucket", "name", "identifier", "region"],
    }
}

/// One raw resource with its planned values.
#[derive(Debug, Clone, Serialize)]
pub struct RawResource {
    pub address: String,
    #[serde(rename = "type")]
    pub resource_type: String,
    pub actions: Vec<String>,
    /// Whether the policy forbids the type (PHI-LNT-003).
    pub forbidden: bool,
    /// The region it is planned in: its own `region` argument, else its
    /// provider configuration's.
    pub region: Option<String>,
    /// `(setting, planned value)`; "known after apply" for unknowns.
    pub settings: Vec<(String, String)>,
}

fn is_raw(resource_type: &str, policy: &Policy) -> Option<bool> {
    if policy.is_raw_resource(resource_type) {
        Some(true)
    } else if PHI_RELEVANT.contains(&resource_type) {
        Some(false)
    } else {
        None
    }
}

/// The raw resources of `plan` and the findings on them.
pub fn review(
    plan: &Value,
    policy: &Policy,
    provider_region: impl Fn(&str) -> Option<String>,
) -> (Vec<RawResource>, Vec<Finding>) {
    let mut raws = Vec::new();
    let mut findings = Vec::new();
    for rc in plan
        .get("resource_changes")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if rc.get("mode").and_then(Value::as_str) != Some("managed") {
            continue;
        }
        let ty = rc.get("type").and_then(Value::as_str).unwrap_or_default();
        let Some(forbidden) = is_raw(ty, policy) else {
            continue;
        };
        let address = rc
            .get("address")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let actions = super::actions(rc);
        let change = rc.get("change").unwrap_or(&Value::Null);
        let after = change.get("after").unwrap_or(&Value::Null);
        let unknown = change.get("after_unknown").unwrap_or(&Value::Null);
        let deleting = actions == ["delete"];
        let values = if deleting {
            change.get("before").unwrap_or(&Value::Null)
        } else {
            after
        };
        let provider = rc
            .get("provider_name")
            .and_then(Value::as_str)
            .and_then(|p| p.rsplit('/').next())
            .unwrap_or("aws");
        let inherited = provider_region(provider);
        let own = values
            .get("region")
            .and_then(Value::as_str)
            .map(str::to_owned);
        // A region the resource merely inherits is reported once, on the
        // provider configuration that sets it.
        let own_region = own.clone().filter(|r| Some(r) != inherited.as_ref());
        let region = own.or(inherited);
        let settings = shown(ty)
            .iter()
            .filter_map(|s| {
                if unknown.get(*s) == Some(&Value::Bool(true)) {
                    Some(((*s).to_owned(), "known after apply".to_owned()))
                } else if *s == "region" {
                    region.clone().map(|r| ("region".to_owned(), r))
                } else {
                    values
                        .get(*s)
                        .filter(|v| !v.is_null())
                        .map(|v| ((*s).to_owned(), crate::tfjson::show(v)))
                }
            })
            .collect();
        let raw = RawResource {
            address,
            resource_type: ty.to_owned(),
            actions,
            forbidden,
            region,
            settings,
        };
        if !deleting {
            findings.extend(check(&raw, own_region.as_deref(), values, policy));
        }
        raws.push(raw);
    }
    (raws, findings)
}

/// The findings on one raw resource that stays or is created.
fn check(
    raw: &RawResource,
    own_region: Option<&str>,
    values: &Value,
    policy: &Policy,
) -> Vec<Finding> {
    let mut out = Vec::new();
    let at = |control: &'static str, message: String| Finding::new(control, &raw.address, message);
    if raw.forbidden {
        out.push(at(
            ids::LINT_RAW_RESOURCE,
            format!(
                "{} is a raw resource the policy forbids for PHI: none of the phi resources' \
                 controls apply to it. Use the phi resource (phi_bucket, phi_database, \
                 phi_audit_log_sink) instead.",
                raw.resource_type
            ),
        ));
    }
    if let Some(region) = own_region
        && let Some(v) =
            phi_policy::checks::region::check_region(region, policy, &["region".to_owned()])
    {
        out.push(at(v.control.id, v.message));
    }
    let ctx = Context {
        region: raw.region.clone().unwrap_or_default(),
        account_id: None,
    };
    for attr in ["kms_key_id", "kms_master_key_id"] {
        if let Some(key) = values.get(attr).and_then(Value::as_str) {
            for v in phi_policy::kms::check_key_reference(key, &ctx, policy, &[attr.to_owned()]) {
                out.push(at(v.control.id, format!("{attr}: {}", v.message)));
            }
        }
    }
    match raw.resource_type.as_str() {
        "aws_kms_key" => {
            if values.get("enable_key_rotation") == Some(&Value::Bool(false))
                || values.get("enable_key_rotation") == Some(&Value::Null)
            {
                out.push(at(
                    ids::KMS_ROTATION,
                    "enable_key_rotation is off: a phi resource will refuse this key (PHI-KMS-004)."
                        .to_owned(),
                ));
            }
            if let Some(spec) = values
                .get("customer_master_key_spec")
                .and_then(Value::as_str)
                && spec != "SYMMETRIC_DEFAULT"
            {
                out.push(at(
                    ids::KMS_SYMMETRIC,
                    format!("customer_master_key_spec is {spec:?}, not SYMMETRIC_DEFAULT."),
                ));
            }
            if values.get("multi_region") == Some(&Value::Bool(true)) {
                out.push(at(
                    ids::KMS_MULTI_REGION,
                    "multi_region is true: replicas of the key may be created outside the \
                     approved regions."
                        .to_owned(),
                ));
            }
        }
        "aws_db_instance" => {
            if values.get("storage_encrypted") != Some(&Value::Bool(true)) {
                out.push(at(
                    ids::RDS_ENCRYPTION,
                    "storage_encrypted is not true.".to_owned(),
                ));
            }
            if values.get("publicly_accessible") == Some(&Value::Bool(true)) {
                out.push(at(
                    ids::RDS_NOT_PUBLIC,
                    "publicly_accessible is true.".to_owned(),
                ));
            }
        }
        _ => {}
    }
    for rule in values
        .get("rule")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        for d in rule
            .get("apply_server_side_encryption_by_default")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(alg) = d.get("sse_algorithm").and_then(Value::as_str)
                && !phi_policy::checks::bucket::ENCRYPTION_ALGORITHMS.contains(&alg)
            {
                out.push(at(
                    ids::S3_ENCRYPTION,
                    format!(
                        "sse_algorithm is {alg:?}: not encrypted with a customer-managed KMS key."
                    ),
                ));
            }
            if let Some(key) = d.get("kms_master_key_id").and_then(Value::as_str) {
                for v in phi_policy::kms::check_key_reference(
                    key,
                    &ctx,
                    policy,
                    &["kms_master_key_id".to_owned()],
                ) {
                    out.push(at(
                        v.control.id,
                        format!("kms_master_key_id: {}", v.message),
                    ));
                }
            }
        }
    }
    out
}
