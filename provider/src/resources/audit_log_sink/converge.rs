//! Bringing AWS to the desired sink: create it, restore drifted settings,
//! delete it. Every step is named, so a failure says exactly which setting is
//! not in place.

use std::collections::BTreeMap;

use aws_sdk_cloudwatchlogs::types::LogGroupClass;
use aws_sdk_s3::types::{
    DefaultRetention, ObjectLockConfiguration, ObjectLockEnabled, ObjectLockRetentionMode,
    ObjectLockRule,
};

use crate::aws::{AwsError, Clients};
use crate::resources::create_intent::MARKER_TAG;
use crate::resources::s3_common;
pub use crate::resources::s3_common::StepError;
use crate::resources::s3_common::step;

use super::archive;
use super::desired::{self, Desired, key};

/// Creates the bucket with Object Lock (which also turns versioning on; both
/// are irreversible) and ACLs disabled from the first moment, with the
/// create-intent `marker` in the call.
pub async fn create_bucket(
    clients: &Clients,
    d: &Desired,
    marker: Option<&str>,
) -> Result<(), StepError> {
    s3_common::create_bucket_marked(
        clients,
        d.bucket_name(),
        true,
        "create the archive bucket",
        marker,
    )
    .await
}

/// The account is needed to name the sink's own trail in the bucket policy
/// and the log group in the trail; without it nothing is written, rather
/// than a policy that lets any trail deliver.
fn require_account(account: Option<&str>) -> Result<&str, StepError> {
    account.ok_or_else(|| StepError {
        step: "look up the account (sts:GetCallerIdentity)",
        error: AwsError {
            operation: "sts:GetCallerIdentity",
            code: None,
            message: "the account could not be determined, so the bucket policy cannot restrict \
                      deliveries to the sink's own trail (aws:SourceArn); nothing that needs it \
                      was written"
                .to_owned(),
        },
    })
}

/// Applies every always-on setting whose observed value differs from the
/// desired one (all of them for a new sink). Order matters: public access is
/// blocked before anything else is configured, and the lock and the
/// lifecycle are set before the policy that denies changing them.
/// `marker` is the create-intent token while the sink is being created: it
/// is written in CreateLogGroup and CreateTrail, and an existing log group
/// of the sink's name is taken over only if it carries it.
pub async fn converge(
    clients: &Clients,
    d: &Desired,
    observed: &BTreeMap<String, String>,
    log_group_exists: bool,
    account: Option<&str>,
    marker: Option<&str>,
) -> Result<(), StepError> {
    let want = d.enforced();
    let drifted = |k: &str| observed.get(k) != want.get(k);
    let s3 = &clients.s3;
    let bucket = d.bucket_name();

    if drifted(key::S3_PUBLIC_ACCESS) {
        s3_common::block_public_access(s3, bucket).await?;
    }
    if drifted(key::S3_OWNERSHIP) {
        s3_common::disable_acls(s3, bucket).await?;
    }
    if drifted(key::S3_ENCRYPTION) || drifted(key::S3_SSE_C) {
        let config = s3_common::encryption_configuration("aws:kms", &d.kms_key_arn, true)?;
        s3_common::put_encryption(s3, bucket, config).await?;
    }
    if drifted(key::S3_VERSIONING) {
        s3_common::enable_versioning(s3, bucket).await?;
    }
    if drifted(key::S3_OBJECT_LOCK) {
        let days = i32::try_from(d.retention_days).unwrap_or(i32::MAX);
        s3.put_object_lock_configuration()
            .bucket(bucket)
            .object_lock_configuration(
                ObjectLockConfiguration::builder()
                    .object_lock_enabled(ObjectLockEnabled::Enabled)
                    .rule(
                        ObjectLockRule::builder()
                            .default_retention(
                                DefaultRetention::builder()
                                    .mode(ObjectLockRetentionMode::from(d.lock_mode.as_str()))
                                    .days(days)
                                    .build(),
                            )
                            .build(),
                    )
                    .build(),
            )
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("s3:PutObjectLockConfiguration", e))
            .map_err(step("set the Object Lock default retention"))?;
    }
    if drifted(key::S3_LIFECYCLE) {
        s3.put_bucket_lifecycle_configuration()
            .bucket(bucket)
            .lifecycle_configuration(archive::lifecycle(d.retention_days)?)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("s3:PutBucketLifecycleConfiguration", e))
            .map_err(step(archive::LIFECYCLE_STEP))?;
    }
    // The policy also lets the sink's trail deliver, so it is written
    // before the trail is created or repaired.
    if drifted(key::S3_TLS_POLICY) || drifted(key::ARCHIVE_GUARD) || drifted(key::S3_ACCESS_TRAIL) {
        let account = require_account(account)?;
        s3_common::put_policy(s3, bucket, d.bucket_policy(&clients.region, account)).await?;
    }
    converge_log_group(
        clients,
        d,
        observed,
        &want,
        log_group_exists,
        account,
        marker,
    )
    .await?;
    if drifted(key::S3_ACCESS_TRAIL) {
        let account = require_account(account)?;
        let partition = desired::partition(&clients.region);
        let trail_arn =
            crate::resources::audit_trail::trail_arn(partition, &clients.region, account, bucket);
        let group_arn = format!(
            "arn:{partition}:logs:{}:{account}:log-group:{}",
            clients.region,
            d.log_group_name()
        );
        let role_arn = crate::resources::audit_trail_role::ensure_role(
            clients, bucket, &trail_arn, &group_arn,
        )
        .await?;
        let delivery = crate::resources::audit_trail::Delivery {
            key_arn: &d.kms_key_arn,
            log_group_arn: &group_arn,
            role_arn: &role_arn,
        };
        // A new IAM role takes a few seconds to be usable everywhere;
        // CloudTrail says so with this code, so wait and try again.
        let mut attempt = 0;
        loop {
            match crate::resources::audit_trail::ensure_trail(clients, bucket, &delivery, marker)
                .await
            {
                Err(e)
                    if attempt < 10 && e.error.code_is("InvalidCloudWatchLogsRoleArnException") =>
                {
                    attempt += 1;
                    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
                }
                other => break other?,
            }
        }
    }
    Ok(())
}

async fn converge_log_group(
    clients: &Clients,
    d: &Desired,
    observed: &BTreeMap<String, String>,
    want: &BTreeMap<String, String>,
    exists: bool,
    account: Option<&str>,
    marker: Option<&str>,
) -> Result<(), StepError> {
    const CREATE: &str = "create the encrypted log group";
    let logs = &clients.logs;
    let name = d.log_group_name();
    let drifted = |k: &str| observed.get(k) != want.get(k);
    if !exists {
        let mut tags = d.tags.clone();
        if let Some(token) = marker {
            tags.insert(MARKER_TAG.to_owned(), token.to_owned());
        }
        let created = logs
            .create_log_group()
            .log_group_name(&name)
            .kms_key_id(&d.kms_key_arn)
            .log_group_class(LogGroupClass::Standard)
            .deletion_protection_enabled(true)
            .set_tags((!tags.is_empty()).then(|| tags.into_iter().collect()))
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("logs:CreateLogGroup", e));
        match created {
            Ok(_) => {}
            // The SDK retried a CreateLogGroup whose answer was lost: the
            // group is ours if it carries this create's marker.
            Err(e) if e.code_is("ResourceAlreadyExistsException") => {
                let theirs = match (marker, account) {
                    (Some(token), Some(account)) => {
                        let arn = format!(
                            "arn:{}:logs:{}:{account}:log-group:{name}",
                            desired::partition(&clients.region),
                            clients.region
                        );
                        log_group_marker(clients, &arn).await?.as_deref() != Some(token)
                    }
                    _ => true,
                };
                if theirs {
                    return Err(StepError {
                        step: CREATE,
                        error: AwsError {
                            message: format!(
                                "a log group {name} exists that this sink did not create (it \
                                 carries no marker of this create); delete or rename it, or \
                                 import the sink"
                            ),
                            ..e
                        },
                    });
                }
            }
            Err(e) => return Err(step(CREATE)(e)),
        }
    } else {
        if drifted(key::LOG_ENCRYPTION) {
            logs.associate_kms_key()
                .log_group_name(&name)
                .kms_key_id(&d.kms_key_arn)
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("logs:AssociateKmsKey", e))
                .map_err(step("encrypt the log group with the customer-managed key"))?;
        }
        if drifted(key::LOG_DELETION_PROTECTION) {
            logs.put_log_group_deletion_protection()
                .log_group_identifier(&name)
                .deletion_protection_enabled(true)
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("logs:PutLogGroupDeletionProtection", e))
                .map_err(step("turn on log group deletion protection"))?;
        }
        if drifted(key::LOG_CLASS) {
            return Err(StepError {
                step: "keep the log group class STANDARD",
                error: AwsError {
                    operation: "logs:CreateLogGroup",
                    code: None,
                    message: format!(
                        "log group {name} is not STANDARD class and CloudWatch Logs cannot \
                         change the class of an existing group; export its events and recreate it"
                    ),
                },
            });
        }
    }
    if !exists || drifted(key::LOG_RETENTION) {
        logs.put_retention_policy()
            .log_group_name(&name)
            .retention_in_days(i32::try_from(d.retention_days).unwrap_or(i32::MAX))
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("logs:PutRetentionPolicy", e))
            .map_err(step("set the log group retention"))?;
    }
    Ok(())
}

/// The create-intent marker on the log group `arn`, if any.
async fn log_group_marker(clients: &Clients, arn: &str) -> Result<Option<String>, StepError> {
    let out = clients
        .logs
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("logs:ListTagsForResource", e))
        .map_err(step("read the log group's tags"))?;
    Ok(out.tags().and_then(|t| t.get(MARKER_TAG)).cloned())
}

/// The create-intent marker on the sink's log group, if the group exists,
/// the account is known and its tags can be read. Supplementary evidence
/// only (the archive bucket's own marker and creation time come first), so
/// a failed read counts as no marker rather than blocking the adoption.
pub async fn log_group_marker_of(
    ctx: &crate::configured::Configured,
    d: &Desired,
) -> Option<String> {
    let account = ctx.account_id().await?;
    let clients = &ctx.clients;
    let arn = format!(
        "arn:{}:logs:{}:{account}:log-group:{}",
        desired::partition(&clients.region),
        clients.region,
        d.log_group_name()
    );
    match log_group_marker(clients, &arn).await {
        Ok(marker) => marker,
        Err(e) => {
            tracing::debug!("no log group marker for {}: {e}", d.name);
            None
        }
    }
}

/// Makes the bucket's tags equal to `tags`.
pub async fn set_bucket_tags(
    clients: &Clients,
    bucket: &str,
    tags: &BTreeMap<String, String>,
) -> Result<(), StepError> {
    s3_common::set_bucket_tags(&clients.s3, bucket, tags).await
}

/// Tags the log group (by ARN) with `tags`.
pub async fn tag_log_group(
    clients: &Clients,
    arn: &str,
    tags: &BTreeMap<String, String>,
) -> Result<(), StepError> {
    if tags.is_empty() {
        return Ok(());
    }
    clients
        .logs
        .tag_resource()
        .resource_arn(arn)
        .set_tags(Some(tags.clone().into_iter().collect()))
        .send()
        .await
        .map(|_| ())
        .map_err(|e| AwsError::from_sdk("logs:TagResource", e))
        .map_err(step("tag the log group"))
}

/// Deletes the log group and the bucket. Callers check first that neither
/// holds audit records.
pub async fn delete(clients: &Clients, name: &str) -> Result<(), StepError> {
    crate::resources::audit_trail::delete_trail(clients, name).await?;
    crate::resources::audit_trail_role::delete_role(clients, name).await?;
    let group = desired::log_group_name(name);
    let first = clients
        .logs
        .delete_log_group()
        .log_group_name(&group)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("logs:DeleteLogGroup", e));
    match first {
        Ok(_) => {}
        Err(e) if e.is_not_found() => {}
        // Deletion protection is on (as we set it): lift it for this empty
        // group only, then delete.
        Err(e)
            if e.message
                .to_ascii_lowercase()
                .contains("deletion protection") =>
        {
            clients
                .logs
                .put_log_group_deletion_protection()
                .log_group_identifier(&group)
                .deletion_protection_enabled(false)
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("logs:PutLogGroupDeletionProtection", e))
                .map_err(step("lift deletion protection of the empty log group"))?;
            clients
                .logs
                .delete_log_group()
                .log_group_name(&group)
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("logs:DeleteLogGroup", e))
                .map_err(step("delete the log group"))?;
        }
        Err(e) => {
            return Err(StepError {
                step: "delete the log group",
                error: e,
            });
        }
    }
    match clients.s3.delete_bucket().bucket(name).send().await {
        Ok(_) => Ok(()),
        Err(e) => {
            let err = AwsError::from_sdk("s3:DeleteBucket", e);
            if err.is_not_found() {
                Ok(())
            } else {
                Err(StepError {
                    step: "delete the archive bucket",
                    error: err,
                })
            }
        }
    }
}
