//! Bringing AWS to the desired sink: create it, restore drifted settings,
//! delete it. Every step is named, so a failure says exactly which setting is
//! not in place.

use std::collections::BTreeMap;

use aws_sdk_cloudwatchlogs::types::LogGroupClass;
use aws_sdk_s3::types::{
    BucketLocationConstraint, BucketVersioningStatus, CreateBucketConfiguration, DefaultRetention,
    ObjectLockConfiguration, ObjectLockEnabled, ObjectLockRetentionMode, ObjectLockRule,
    ObjectOwnership, OwnershipControls, OwnershipControlsRule, PublicAccessBlockConfiguration,
    ServerSideEncryption, ServerSideEncryptionByDefault, ServerSideEncryptionConfiguration,
    ServerSideEncryptionRule, Tag, Tagging, VersioningConfiguration,
};

use crate::aws::{AwsError, Clients};

use super::desired::{self, Desired, key};

/// A step that failed, with what it was for.
#[derive(Debug)]
pub struct StepError {
    pub step: &'static str,
    pub error: AwsError,
}

impl std::fmt::Display for StepError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.step, self.error)
    }
}

fn step(name: &'static str) -> impl FnOnce(AwsError) -> StepError {
    move |error| StepError { step: name, error }
}

fn built<T, E: std::fmt::Display>(name: &'static str, r: Result<T, E>) -> Result<T, StepError> {
    r.map_err(|e| StepError {
        step: name,
        error: AwsError {
            operation: name,
            code: None,
            message: e.to_string(),
        },
    })
}

/// Creates the bucket with Object Lock (which also turns versioning on; both
/// are irreversible) and ACLs disabled from the first moment.
pub async fn create_bucket(clients: &Clients, d: &Desired) -> Result<(), StepError> {
    let mut req = clients
        .s3
        .create_bucket()
        .bucket(d.bucket_name())
        .object_lock_enabled_for_bucket(true)
        .object_ownership(ObjectOwnership::BucketOwnerEnforced);
    // us-east-1 is the one region that must not be named as a constraint.
    if clients.region != "us-east-1" {
        req = req.create_bucket_configuration(
            CreateBucketConfiguration::builder()
                .location_constraint(BucketLocationConstraint::from(clients.region.as_str()))
                .build(),
        );
    }
    req.send()
        .await
        .map(|_| ())
        .map_err(|e| AwsError::from_sdk("s3:CreateBucket", e))
        .map_err(step("create the archive bucket"))
}

/// Applies every always-on setting whose observed value differs from the
/// desired one (all of them for a new sink). Order matters: public access is
/// blocked before anything else is configured.
pub async fn converge(
    clients: &Clients,
    d: &Desired,
    observed: &BTreeMap<String, String>,
    log_group_exists: bool,
) -> Result<(), StepError> {
    let want = d.enforced();
    let drifted = |k: &str| observed.get(k) != want.get(k);
    let s3 = &clients.s3;
    let bucket = d.bucket_name();

    if drifted(key::S3_PUBLIC_ACCESS) {
        s3.put_public_access_block()
            .bucket(bucket)
            .public_access_block_configuration(
                PublicAccessBlockConfiguration::builder()
                    .block_public_acls(true)
                    .ignore_public_acls(true)
                    .block_public_policy(true)
                    .restrict_public_buckets(true)
                    .build(),
            )
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("s3:PutPublicAccessBlock", e))
            .map_err(step("block all public access"))?;
    }
    if drifted(key::S3_OWNERSHIP) {
        let rule = built(
            "disable ACLs",
            OwnershipControlsRule::builder()
                .object_ownership(ObjectOwnership::BucketOwnerEnforced)
                .build(),
        )?;
        let controls = built(
            "disable ACLs",
            OwnershipControls::builder().rules(rule).build(),
        )?;
        s3.put_bucket_ownership_controls()
            .bucket(bucket)
            .ownership_controls(controls)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("s3:PutBucketOwnershipControls", e))
            .map_err(step("disable ACLs"))?;
    }
    if drifted(key::S3_ENCRYPTION) {
        let default = built(
            "encrypt the bucket with the customer-managed key",
            ServerSideEncryptionByDefault::builder()
                .sse_algorithm(ServerSideEncryption::AwsKms)
                .kms_master_key_id(&d.kms_key_arn)
                .build(),
        )?;
        let config = built(
            "encrypt the bucket with the customer-managed key",
            ServerSideEncryptionConfiguration::builder()
                .rules(
                    ServerSideEncryptionRule::builder()
                        .apply_server_side_encryption_by_default(default)
                        .bucket_key_enabled(true)
                        .build(),
                )
                .build(),
        )?;
        s3.put_bucket_encryption()
            .bucket(bucket)
            .server_side_encryption_configuration(config)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("s3:PutBucketEncryption", e))
            .map_err(step("encrypt the bucket with the customer-managed key"))?;
    }
    if drifted(key::S3_VERSIONING) {
        s3.put_bucket_versioning()
            .bucket(bucket)
            .versioning_configuration(
                VersioningConfiguration::builder()
                    .status(BucketVersioningStatus::Enabled)
                    .build(),
            )
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("s3:PutBucketVersioning", e))
            .map_err(step("enable versioning"))?;
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
    if drifted(key::S3_TLS_POLICY) {
        s3.put_bucket_policy()
            .bucket(bucket)
            .policy(d.bucket_policy(desired::partition(&clients.region)))
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("s3:PutBucketPolicy", e))
            .map_err(step("attach the TLS-only bucket policy"))?;
    }
    converge_log_group(clients, d, observed, &want, log_group_exists).await
}

async fn converge_log_group(
    clients: &Clients,
    d: &Desired,
    observed: &BTreeMap<String, String>,
    want: &BTreeMap<String, String>,
    exists: bool,
) -> Result<(), StepError> {
    let logs = &clients.logs;
    let name = d.log_group_name();
    let drifted = |k: &str| observed.get(k) != want.get(k);
    if !exists {
        logs.create_log_group()
            .log_group_name(&name)
            .kms_key_id(&d.kms_key_arn)
            .log_group_class(LogGroupClass::Standard)
            .deletion_protection_enabled(true)
            .set_tags((!d.tags.is_empty()).then(|| d.tags.clone().into_iter().collect()))
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("logs:CreateLogGroup", e))
            .map_err(step("create the encrypted log group"))?;
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

/// Makes the bucket's tags equal to `tags`.
pub async fn set_bucket_tags(
    clients: &Clients,
    bucket: &str,
    tags: &BTreeMap<String, String>,
) -> Result<(), StepError> {
    if tags.is_empty() {
        return clients
            .s3
            .delete_bucket_tagging()
            .bucket(bucket)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| AwsError::from_sdk("s3:DeleteBucketTagging", e))
            .map_err(step("remove the bucket tags"));
    }
    let mut set = Vec::with_capacity(tags.len());
    for (k, v) in tags {
        set.push(built(
            "tag the bucket",
            Tag::builder().key(k).value(v).build(),
        )?);
    }
    let tagging = built(
        "tag the bucket",
        Tagging::builder().set_tag_set(Some(set)).build(),
    )?;
    clients
        .s3
        .put_bucket_tagging()
        .bucket(bucket)
        .tagging(tagging)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| AwsError::from_sdk("s3:PutBucketTagging", e))
        .map_err(step("tag the bucket"))
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
