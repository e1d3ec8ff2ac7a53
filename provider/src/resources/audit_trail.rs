//! Recording object-level access to PHI buckets into their audit sink, with
//! CloudTrail data events (control PHI-S3-011).
//!
//! Why CloudTrail and not S3 server access logging: the sink's archive bucket
//! has Object Lock, and AWS does not accept an Object Lock bucket as a
//! server-access-log target (CONTROLS.md §2.3 O5). CloudTrail delivers into
//! it, signs digests (log file validation) and encrypts with the sink's key.
//!
//! Who owns what: each `phi_audit_log_sink` owns one trail,
//! `phi-guard-<sink name>`, that delivers into its archive bucket. The sink
//! creates it with a management-event selector and deletes it with the sink.
//! Each `phi_bucket` adds the prefix of its objects' ARNs to the trail's
//! data-event selector when it is created, and removes it when it is
//! destroyed. Selectors are read-modify-written under a process-wide lock,
//! so the buckets of one Terraform run never overwrite each other's entry.
//!
//! DESIGN: two Terraform runs against the same sink at the same moment are
//! two processes, and PutEventSelectors replaces the whole list with no
//! condition: the later write drops the entries the other run added in
//! between. So every write is verified: after a short, randomised pause the
//! selectors are read again, and if this bucket's entry is not as wanted
//! (another run wrote over it) the read-modify-write is repeated, up to
//! [`SELECTOR_ATTEMPTS`] times. The other run does the same for its entry,
//! so both end present. A write that lands after both verifications can
//! still drop an entry; the next plan then shows it as drift of the
//! bucket's `PHI-S3-011` entry and the apply restores it.

use aws_sdk_cloudtrail::types::{AdvancedEventSelector, AdvancedFieldSelector};

use crate::aws::{AwsError, Clients};
use crate::resources::s3_common::{StepError, built, step};

pub const DATA_SELECTOR: &str = "phi-guard PHI object access";
pub const MANAGEMENT_SELECTOR: &str = "phi-guard management events";
pub const RECORD_STEP: &str = "record object access in the audit sink";

/// Serialises read-modify-write of trail selectors within this process.
static SELECTORS: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

pub fn trail_name(sink: &str) -> String {
    format!("phi-guard-{sink}")
}

pub fn trail_arn(partition: &str, region: &str, account: &str, sink: &str) -> String {
    format!(
        "arn:{partition}:cloudtrail:{region}:{account}:trail/{}",
        trail_name(sink)
    )
}

/// The ARN prefix of every object in `bucket`.
pub fn object_prefix(partition: &str, bucket: &str) -> String {
    format!("arn:{partition}:s3:::{bucket}/")
}

pub fn recorded_text(sink: &str) -> String {
    format!("data events recorded by trail {}", trail_name(sink))
}

/// The sink's trail as the sink's `enforced` map shows it when compliant,
/// before the key and the log group (see [`trail_text`]).
pub const TRAIL_OK: &str = "logging, multi-region, log file validation on";

/// The sink's `PHI-S3-011` entry: the trail's state, the key it encrypts
/// with and the log group it delivers to, so a trail re-pointed to another
/// key or group is drift, and so is a change of the sink's key.
pub fn trail_text(state: &str, key: &str, log_group: &str) -> String {
    format!("{state}; encrypted with {key}; events to log group {log_group}")
}

/// The log group name in a CloudTrail `CloudWatchLogsLogGroupArn`
/// (`arn:aws:logs:<region>:<account>:log-group:<name>:*`).
fn log_group_of(arn: &str) -> &str {
    arn.split_once(":log-group:")
        .map_or(arn, |(_, rest)| rest.trim_end_matches(":*"))
}

/// Where the trail delivers besides the bucket.
pub struct Delivery<'a> {
    pub key_arn: &'a str,
    /// The log group's ARN without the `:*` suffix.
    pub log_group_arn: &'a str,
    pub role_arn: &'a str,
}

fn field(name: &str, equals: &[&str]) -> Result<AdvancedFieldSelector, StepError> {
    built(
        RECORD_STEP,
        AdvancedFieldSelector::builder()
            .field(name)
            .set_equals(Some(equals.iter().map(|s| (*s).to_owned()).collect()))
            .build(),
    )
}

fn management_selector() -> Result<AdvancedEventSelector, StepError> {
    built(
        RECORD_STEP,
        AdvancedEventSelector::builder()
            .name(MANAGEMENT_SELECTOR)
            .field_selectors(field("eventCategory", &["Management"])?)
            .build(),
    )
}

/// The S3 object-ARN prefixes the trail's data selector records.
fn data_prefixes(selectors: &[AdvancedEventSelector]) -> Vec<String> {
    selectors
        .iter()
        .filter(|s| s.name() == Some(DATA_SELECTOR))
        .flat_map(|s| s.field_selectors())
        .filter(|f| f.field() == "resources.ARN")
        .flat_map(|f| f.starts_with().iter().cloned())
        .collect()
}

/// The selectors with `prefix` added to (or removed from) the data
/// selector; every other selector is kept as it is. Pure, so the merge is
/// unit-tested without an endpoint.
pub fn with_prefix(
    selectors: &[AdvancedEventSelector],
    prefix: &str,
    present: bool,
) -> Result<Vec<AdvancedEventSelector>, StepError> {
    let mut prefixes = data_prefixes(selectors);
    prefixes.retain(|p| p != prefix);
    if present {
        prefixes.push(prefix.to_owned());
    }
    prefixes.sort();
    prefixes.dedup();
    let mut out: Vec<AdvancedEventSelector> = selectors
        .iter()
        .filter(|s| s.name() != Some(DATA_SELECTOR))
        .cloned()
        .collect();
    if out.is_empty() {
        out.push(management_selector()?);
    }
    if !prefixes.is_empty() {
        let arn = built(
            RECORD_STEP,
            AdvancedFieldSelector::builder()
                .field("resources.ARN")
                .set_starts_with(Some(prefixes))
                .build(),
        )?;
        out.push(built(
            RECORD_STEP,
            AdvancedEventSelector::builder()
                .name(DATA_SELECTOR)
                .field_selectors(field("eventCategory", &["Data"])?)
                .field_selectors(field("resources.type", &["AWS::S3::Object"])?)
                .field_selectors(arn)
                .build(),
        )?);
    }
    Ok(out)
}

/// Whether any selector records every read and write of objects under
/// `prefix`: a data selector on S3 objects with no read-only filter whose
/// ARN filter (if any) starts with a prefix of it.
pub fn covers(selectors: &[AdvancedEventSelector], prefix: &str) -> bool {
    selectors.iter().any(|s| {
        let fields = s.field_selectors();
        let equals = |name: &str, value: &str| {
            fields
                .iter()
                .any(|f| f.field() == name && f.equals().iter().any(|v| v == value))
        };
        let has = |name: &str| fields.iter().any(|f| f.field() == name);
        let arn_ok = fields
            .iter()
            .filter(|f| f.field() == "resources.ARN")
            .all(|f| {
                f.starts_with()
                    .iter()
                    .any(|p| prefix.starts_with(p.as_str()))
            });
        equals("eventCategory", "Data")
            && equals("resources.type", "AWS::S3::Object")
            && !has("readOnly")
            && arn_ok
    })
}

// ---- the sink's trail ----------------------------------------------------------

/// Creates the sink's trail if it does not exist, and makes sure it logs
/// with log file validation, encrypts with the sink's key and delivers to
/// the sink's log group.
/// `marker` is the sink's create-intent token while it is being created,
/// written as a tag in CreateTrail.
pub async fn ensure_trail(
    clients: &Clients,
    sink: &str,
    delivery: &Delivery<'_>,
    marker: Option<&str>,
) -> Result<(), StepError> {
    const STEP: &str = "create the CloudTrail trail that records PHI access";
    let ct = &clients.cloudtrail;
    let name = trail_name(sink);
    let key_arn = delivery.key_arn;
    let group_arn = format!("{}:*", delivery.log_group_arn);
    let existing = ct
        .get_trail()
        .name(&name)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("cloudtrail:GetTrail", e));
    match existing {
        Ok(out) => {
            let trail = out.trail();
            let good = trail.is_some_and(|t| {
                t.log_file_validation_enabled() == Some(true)
                    && t.is_multi_region_trail() == Some(true)
                    && t.s3_bucket_name() == Some(sink)
                    && t.kms_key_id() == Some(key_arn)
                    && t.cloud_watch_logs_log_group_arn() == Some(group_arn.as_str())
                    && t.cloud_watch_logs_role_arn() == Some(delivery.role_arn)
            });
            if !good {
                ct.update_trail()
                    .name(&name)
                    .s3_bucket_name(sink)
                    .kms_key_id(key_arn)
                    .cloud_watch_logs_log_group_arn(&group_arn)
                    .cloud_watch_logs_role_arn(delivery.role_arn)
                    .is_multi_region_trail(true)
                    .enable_log_file_validation(true)
                    .send()
                    .await
                    .map_err(|e| AwsError::from_sdk("cloudtrail:UpdateTrail", e))
                    .map_err(step(STEP))?;
            }
        }
        Err(e) if e.code_is("TrailNotFoundException") || e.is_not_found() => {
            ct.create_trail()
                .name(&name)
                .s3_bucket_name(sink)
                .kms_key_id(key_arn)
                .cloud_watch_logs_log_group_arn(&group_arn)
                .cloud_watch_logs_role_arn(delivery.role_arn)
                .is_multi_region_trail(true)
                .enable_log_file_validation(true)
                .set_tags_list(marker.and_then(|token| {
                    aws_sdk_cloudtrail::types::Tag::builder()
                        .key(crate::resources::create_intent::MARKER_TAG)
                        .value(token)
                        .build()
                        .ok()
                        .map(|tag| vec![tag])
                }))
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("cloudtrail:CreateTrail", e))
                .map_err(step(STEP))?;
            let _guard = SELECTORS.lock().await;
            ct.put_event_selectors()
                .trail_name(&name)
                .advanced_event_selectors(management_selector()?)
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("cloudtrail:PutEventSelectors", e))
                .map_err(step(STEP))?;
        }
        Err(e) => return Err(step(STEP)(e)),
    }
    ct.start_logging()
        .name(&name)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| AwsError::from_sdk("cloudtrail:StartLogging", e))
        .map_err(step("start the CloudTrail trail"))
}

/// The sink's trail in the words of [`trail_text`].
pub async fn describe_trail(clients: &Clients, sink: &str) -> Result<String, AwsError> {
    let ct = &clients.cloudtrail;
    let name = trail_name(sink);
    let trail = match ct.get_trail().name(&name).send().await {
        Ok(out) => out.trail,
        Err(e) => {
            let err = AwsError::from_sdk("cloudtrail:GetTrail", e);
            if err.code_is("TrailNotFoundException") || err.is_not_found() {
                return Ok(format!("trail {name} missing"));
            }
            return Err(err);
        }
    };
    let Some(trail) = trail else {
        return Ok(format!("trail {name} missing"));
    };
    let status = ct
        .get_trail_status()
        .name(&name)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("cloudtrail:GetTrailStatus", e))?;
    let mut problems = Vec::new();
    if status.is_logging() != Some(true) {
        problems.push("not logging".to_owned());
    }
    if trail.is_multi_region_trail() != Some(true) {
        problems.push("single-region".to_owned());
    }
    if trail.log_file_validation_enabled() != Some(true) {
        problems.push("log file validation off".to_owned());
    }
    if trail.s3_bucket_name() != Some(sink) {
        problems.push(format!(
            "delivers to {}",
            trail.s3_bucket_name().unwrap_or("no bucket")
        ));
    }
    if let Some(err) = status.latest_delivery_error().filter(|e| !e.is_empty()) {
        problems.push(format!("delivery failing: {err}"));
    }
    if let Some(err) = status
        .latest_cloud_watch_logs_delivery_error()
        .filter(|e| !e.is_empty())
    {
        problems.push(format!("log group delivery failing: {err}"));
    }
    let expected_role = crate::resources::audit_trail_role::role_name(sink);
    if trail.cloud_watch_logs_log_group_arn().is_some()
        && !trail
            .cloud_watch_logs_role_arn()
            .is_some_and(|r| r.ends_with(&format!(":role/{expected_role}")))
    {
        problems.push(format!(
            "log group delivery role {}",
            trail.cloud_watch_logs_role_arn().unwrap_or("missing")
        ));
    }
    let state = if problems.is_empty() {
        TRAIL_OK.to_owned()
    } else {
        problems.join(", ")
    };
    Ok(trail_text(
        &state,
        trail.kms_key_id().unwrap_or("no key"),
        trail
            .cloud_watch_logs_log_group_arn()
            .map_or("none", log_group_of),
    ))
}

/// Deletes the sink's trail; a trail already gone is fine.
pub async fn delete_trail(clients: &Clients, sink: &str) -> Result<(), StepError> {
    match clients
        .cloudtrail
        .delete_trail()
        .name(trail_name(sink))
        .send()
        .await
    {
        Ok(_) => Ok(()),
        Err(e) => {
            let err = AwsError::from_sdk("cloudtrail:DeleteTrail", e);
            if err.code_is("TrailNotFoundException") || err.is_not_found() {
                Ok(())
            } else {
                Err(step("delete the CloudTrail trail")(err))
            }
        }
    }
}

// ---- a bucket's entry ----------------------------------------------------------

pub async fn selectors(
    clients: &Clients,
    sink: &str,
) -> Result<Option<Vec<AdvancedEventSelector>>, AwsError> {
    match clients
        .cloudtrail
        .get_event_selectors()
        .trail_name(trail_name(sink))
        .send()
        .await
    {
        Ok(out) => Ok(Some(out.advanced_event_selectors().to_vec())),
        Err(e) => {
            let err = AwsError::from_sdk("cloudtrail:GetEventSelectors", e);
            if err.code_is("TrailNotFoundException") || err.is_not_found() {
                Ok(None)
            } else {
                Err(err)
            }
        }
    }
}

/// Adds (`present`) or removes the bucket's objects in the sink's trail.
pub async fn set_recorded(
    clients: &Clients,
    sink: &str,
    bucket: &str,
    partition: &str,
    present: bool,
) -> Result<(), StepError> {
    let _guard = SELECTORS.lock().await;
    let current = match selectors(clients, sink).await.map_err(step(RECORD_STEP))? {
        Some(s) => s,
        None if !present => return Ok(()),
        None => {
            return Err(StepError {
                step: RECORD_STEP,
                error: AwsError {
                    operation: "cloudtrail:GetEventSelectors",
                    code: Some("TrailNotFoundException".to_owned()),
                    message: format!(
                        "the audit sink {sink} has no trail {}; run `terraform apply` on the sink \
                         to restore it",
                        trail_name(sink)
                    ),
                },
            });
        }
    };
    let prefix = object_prefix(partition, bucket);
    let mut current = current;
    for attempt in 1..=SELECTOR_ATTEMPTS {
        if data_prefixes(&current).contains(&prefix) != present {
            let next = with_prefix(&current, &prefix, present)?;
            clients
                .cloudtrail
                .put_event_selectors()
                .trail_name(trail_name(sink))
                .set_advanced_event_selectors(Some(next))
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("cloudtrail:PutEventSelectors", e))
                .map_err(step(RECORD_STEP))?;
        }
        // Give a concurrent run's write the chance to land, then check that
        // ours survived it.
        tokio::time::sleep(verify_pause(attempt)).await;
        current = selectors(clients, sink)
            .await
            .map_err(step(RECORD_STEP))?
            .unwrap_or_default();
        if data_prefixes(&current).contains(&prefix) == present {
            return Ok(());
        }
        tracing::info!(
            "the event selectors of trail {} were rewritten concurrently; writing the entry of \
             {bucket} again (attempt {})",
            trail_name(sink),
            attempt + 1
        );
    }
    Err(StepError {
        step: RECORD_STEP,
        error: AwsError {
            operation: "cloudtrail:PutEventSelectors",
            code: None,
            message: format!(
                "another run kept rewriting the event selectors of trail {} ({SELECTOR_ATTEMPTS} \
                 attempts); apply again",
                trail_name(sink)
            ),
        },
    })
}

/// How many times a bucket's entry is written before giving up.
pub const SELECTOR_ATTEMPTS: u32 = 6;

/// The pause before verifying a selector write: 150 to 450 ms, growing with
/// the attempt and randomised so that two runs that collided once do not
/// collide again in lockstep.
fn verify_pause(attempt: u32) -> std::time::Duration {
    let jitter = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| u64::from(d.subsec_nanos()) % 300)
        .unwrap_or(0);
    std::time::Duration::from_millis(150 * u64::from(attempt.min(4)) + jitter)
}

/// The bucket's `PHI-S3-011` entry: [`recorded_text`] when the sink's trail
/// records every read and write of its objects.
pub async fn describe_recording(
    clients: &Clients,
    sink: &str,
    bucket: &str,
    partition: &str,
) -> Result<String, AwsError> {
    Ok(match selectors(clients, sink).await? {
        None => format!("trail {} missing", trail_name(sink)),
        Some(s) if covers(&s, &object_prefix(partition, bucket)) => recorded_text(sink),
        Some(_) => format!("not recorded by trail {}", trail_name(sink)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_added_and_removed_without_touching_other_selectors() {
        let a = object_prefix("aws", "acme-a");
        let b = object_prefix("aws", "acme-b");
        let start = vec![management_selector().unwrap()];
        let one = with_prefix(&start, &a, true).unwrap();
        assert_eq!(one.len(), 2);
        assert!(covers(&one, &a));
        assert!(!covers(&one, &b));
        let two = with_prefix(&one, &b, true).unwrap();
        assert!(covers(&two, &a) && covers(&two, &b));
        assert_eq!(data_prefixes(&two), [a.clone(), b.clone()]);
        // Adding again is idempotent.
        assert_eq!(with_prefix(&two, &b, true).unwrap(), two);
        let back = with_prefix(&two, &a, false).unwrap();
        assert!(!covers(&back, &a) && covers(&back, &b));
        // The last bucket leaves only the management selector.
        let none = with_prefix(&back, &b, false).unwrap();
        assert_eq!(none, start);
    }

    #[test]
    fn log_group_name_is_read_from_the_trail_arn() {
        assert_eq!(
            log_group_of("arn:aws:logs:eu-central-1:111122223333:log-group:/phi-guard/audit/a:*"),
            "/phi-guard/audit/a"
        );
    }

    #[test]
    fn read_only_or_other_resource_selectors_do_not_count() {
        let prefix = object_prefix("aws", "acme");
        let reads_only = AdvancedEventSelector::builder()
            .field_selectors(field("eventCategory", &["Data"]).unwrap())
            .field_selectors(field("resources.type", &["AWS::S3::Object"]).unwrap())
            .field_selectors(field("readOnly", &["true"]).unwrap())
            .build()
            .unwrap();
        assert!(!covers(&[reads_only], &prefix));
        // All S3 objects in the account (no ARN filter) covers the bucket.
        let all = AdvancedEventSelector::builder()
            .field_selectors(field("eventCategory", &["Data"]).unwrap())
            .field_selectors(field("resources.type", &["AWS::S3::Object"]).unwrap())
            .build()
            .unwrap();
        assert!(covers(&[all], &prefix));
    }
}
