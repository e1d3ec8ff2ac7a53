//! Create, update, delete, read and import for `phi_bucket`.
//!
//! Create is several AWS calls. If one fails after the bucket exists, the
//! state returned says what exists, with an error naming the failed step, so
//! Terraform taints the bucket and replaces it on the next apply; it is never
//! left half-secured and unnoticed. Such a bucket has never been handed to
//! anyone, so its partial state carries `deletion_protection = false`: the
//! replacement may delete it (S3 refuses to delete a bucket that holds
//! objects, so nothing written to it meanwhile can be lost).

use std::collections::BTreeMap;

use crate::configured::Configured;
use crate::diagnostics::Diagnostics;
use crate::resources::apply_gate::{self, Gate, Write};
use crate::resources::audit_trail;
use crate::resources::create_intent;
use crate::resources::enforced;
use crate::resources::import_config;
use crate::resources::refresh;
use crate::resources::s3_common::{self, StepError, fail};
use crate::resources::timeouts;
use crate::resources::{ApplyRequest, ApplyResponse, ImportResponse, ReadResponse};
use crate::value::Value;

use super::desired::{Desired, key};
use super::observe::{self, Observed};
use super::plan::{protected, protection_error};
use super::{Bucket, desired_from};

pub async fn apply(bucket: &Bucket, request: ApplyRequest, ctx: &Configured) -> ApplyResponse {
    let gate = apply_gate::gate(
        request,
        ctx,
        "bucket",
        |config| async move { bucket.full_checks(&config, ctx, true).await },
        desired_from,
    )
    .await;
    let Write {
        prior,
        planned,
        desired,
        checks,
    } = match gate {
        Gate::Destroy { prior } => return destroy(prior, ctx).await,
        Gate::Stop(response) => return response,
        Gate::Write(write) => write,
    };
    if prior.is_null() {
        create(desired, planned, checks, ctx).await
    } else {
        update(prior, desired, planned, checks, ctx).await
    }
}

/// Brings every always-on setting whose observed value differs from the
/// desired one (all of them for a new bucket) into place. Public access is
/// blocked first, before anything else is configured.
async fn converge(
    ctx: &Configured,
    d: &Desired,
    observed: &BTreeMap<String, String>,
) -> Result<(), StepError> {
    let partition = s3_common::partition(&ctx.region);
    let want = d.enforced(partition);
    let drifted = |k: &str| observed.get(k) != want.get(k);
    let s3 = &ctx.clients.s3;
    let bucket = d.name.as_str();
    if drifted(key::PUBLIC_ACCESS) {
        s3_common::block_public_access(s3, bucket).await?;
    }
    if drifted(key::OWNERSHIP) {
        s3_common::disable_acls(s3, bucket).await?;
    }
    if drifted(key::ENCRYPTION) || drifted(key::SSE_C) {
        let config = s3_common::encryption_configuration(&d.algorithm, &d.kms_key_arn, true)?;
        s3_common::put_encryption(s3, bucket, config).await?;
    }
    if drifted(key::VERSIONING) {
        s3_common::enable_versioning(s3, bucket).await?;
    }
    if drifted(key::TLS_POLICY) {
        s3_common::put_policy(s3, bucket, d.bucket_policy(partition)).await?;
    }
    if drifted(key::LIFECYCLE) {
        s3.put_bucket_lifecycle_configuration()
            .bucket(bucket)
            .lifecycle_configuration(d.lifecycle()?)
            .send()
            .await
            .map_err(|e| crate::aws::AwsError::from_sdk("s3:PutBucketLifecycleConfiguration", e))
            .map_err(s3_common::step("set the lifecycle rule"))?;
    }
    if drifted(key::REPLICATION) {
        match d.replication_configuration(partition) {
            Some(config) => {
                s3.put_bucket_replication()
                    .bucket(bucket)
                    .replication_configuration(config?)
                    .send()
                    .await
                    .map_err(|e| crate::aws::AwsError::from_sdk("s3:PutBucketReplication", e))
                    .map_err(s3_common::step("configure replication"))?;
            }
            None => {
                s3.delete_bucket_replication()
                    .bucket(bucket)
                    .send()
                    .await
                    .map_err(|e| crate::aws::AwsError::from_sdk("s3:DeleteBucketReplication", e))
                    .map_err(s3_common::step(
                        "remove replication not in the configuration",
                    ))?;
            }
        }
    }
    if drifted(key::RECORDED) {
        audit_trail::set_recorded(&ctx.clients, &d.audit_log_sink, bucket, partition, true).await?;
    }
    Ok(())
}

/// The kind of object in create-intent records.
const INTENT_KIND: &str = "bucket";

async fn create(
    desired: Desired,
    planned: Value,
    mut d: Diagnostics,
    ctx: &Configured,
) -> ApplyResponse {
    let creating = create_intent::Creating::start(INTENT_KIND, "bucket", &desired.name);
    let sent = s3_common::create_bucket_marked(
        &ctx.clients,
        &desired.name,
        false,
        "create the bucket",
        creating.token(),
    );
    let verdict = || adoption_verdict(ctx, &desired.name, &creating);
    let began = s3_common::began(
        sent,
        ctx.cancelled(),
        &creating,
        &mut d,
        "Could not create the PHI bucket",
        verdict,
    )
    .await;
    if began.is_none() {
        return ApplyResponse {
            new_state: Value::Null,
            diagnostics: d,
        };
    }
    let visible_within = timeouts::get(&planned, "create", s3_common::DEFAULT_CREATE_TIMEOUT);
    let work = async {
        s3_common::wait_until_visible(&ctx.clients, &desired.name, visible_within).await?;
        converge(ctx, &desired, &BTreeMap::new()).await?;
        if !desired.tags.is_empty() {
            s3_common::set_bucket_tags(&ctx.clients.s3, &desired.name, &desired.tags).await?;
        }
        Ok::<(), StepError>(())
    };
    let outcome = tokio::select! {
        r = work => r.map_err(Some),
        _ = ctx.cancelled().cancelled() => Err(None),
    };
    finish(desired, planned, outcome, d, ctx, "created").await
}

/// Whether the existing bucket `name` is one this working directory
/// started to create (see [`create_intent`]). S3 endpoints may drop the
/// marker sent in CreateBucket, so its creation time is the fallback proof.
async fn adoption_verdict(
    ctx: &Configured,
    name: &str,
    creating: &create_intent::Creating,
) -> Result<create_intent::Verdict, crate::aws::AwsError> {
    let s3 = &ctx.clients.s3;
    let tags = s3_common::read_tags(s3, name).await?;
    let created = s3_common::creation_time(s3, name).await?;
    Ok(creating.verdict(
        tags.get(create_intent::MARKER_TAG).map(String::as_str),
        created,
        create_intent::Proof::MarkerOrTime,
    ))
}

async fn update(
    prior: Value,
    desired: Desired,
    planned: Value,
    mut d: Diagnostics,
    ctx: &Configured,
) -> ApplyResponse {
    let observed =
        match observe::observe(&ctx.clients, &desired.name, Some(&desired.audit_log_sink)).await {
            Ok(Some(o)) => o,
            Ok(None) => {
                d.error(
                    "PHI bucket no longer exists",
                    format!(
                        "The bucket {} was deleted outside Terraform while this change was being \
                     applied. Run `terraform plan` again to recreate it.",
                        desired.name
                    ),
                );
                return ApplyResponse {
                    new_state: Value::Null,
                    diagnostics: d,
                };
            }
            Err(e) => {
                d.error(
                    "Could not read the PHI bucket",
                    format!("{e}. Nothing was changed."),
                );
                return ApplyResponse {
                    new_state: prior,
                    diagnostics: d,
                };
            }
        };
    let tags_changed = observed.tags != desired.tags;
    let old_sink = prior
        .get("audit_log_sink")
        .as_str()
        .filter(|s| *s != desired.audit_log_sink)
        .map(str::to_owned);
    let work = async {
        converge(ctx, &desired, &observed.enforced).await?;
        // Moved to another sink: the old sink's trail stops recording it
        // only once the new one does.
        if let Some(old) = &old_sink {
            let partition = s3_common::partition(&ctx.region);
            audit_trail::set_recorded(&ctx.clients, old, &desired.name, partition, false).await?;
        }
        if tags_changed {
            s3_common::set_bucket_tags(&ctx.clients.s3, &desired.name, &desired.tags).await?;
        }
        Ok::<(), StepError>(())
    };
    let outcome = tokio::select! {
        r = work => r.map_err(Some),
        _ = ctx.cancelled().cancelled() => Err(None),
    };
    finish(desired, planned, outcome, d, ctx, "updated").await
}

/// Reads back what exists after create or update, and reports anything that
/// is not as required, whether a step failed or not.
async fn finish(
    desired: Desired,
    planned: Value,
    outcome: Result<(), Option<StepError>>,
    mut d: Diagnostics,
    ctx: &Configured,
    verb: &str,
) -> ApplyResponse {
    let consequence = "The bucket exists but is NOT fully secured: do not store PHI in it. \
        Terraform keeps it in state (tainted on create), and the next apply finishes or replaces \
        it. Fix the cause (often a missing IAM permission) and apply again.";
    match &outcome {
        Err(Some(e)) => fail(&mut d, "PHI bucket not fully configured", e, consequence),
        Err(None) => d.error(
            "Interrupted",
            format!("Terraform was interrupted while the bucket was being {verb}. {consequence}"),
        ),
        Ok(()) => {}
    }
    // The read-back is cancelled by StopProvider too. When a step already
    // failed, that error is the one diagnostic: a read-back that fails as
    // well (the endpoint is down) adds nothing the user can act on.
    let read_back = observe::observe(&ctx.clients, &desired.name, Some(&desired.audit_log_sink));
    let read_back = tokio::select! {
        r = read_back => Some(r),
        _ = ctx.cancelled().cancelled() => None,
    };
    let observed = match read_back {
        Some(Ok(Some(o))) => o,
        Some(Ok(None)) => Observed::default(),
        Some(Err(e)) => {
            if outcome.is_ok() {
                d.error(
                    "Could not read back the PHI bucket",
                    format!(
                        "{e}. The bucket was {verb}, but its settings could not be confirmed. \
                         {consequence}"
                    ),
                );
            }
            Observed::default()
        }
        None => {
            if outcome.is_ok() {
                d.error(
                    "Interrupted",
                    format!(
                        "Terraform was interrupted while the {verb} bucket was being read back. \
                         {consequence}"
                    ),
                );
            }
            Observed::default()
        }
    };
    let confirmed = read_back_confirmed(&d, &outcome);
    if outcome.is_ok() && confirmed {
        apply_gate::settings_not_in_effect(
            &mut d,
            "PHI bucket",
            "bucket",
            verb,
            &desired.enforced(s3_common::partition(&ctx.region)),
            &observed.enforced,
            consequence,
        );
    }
    let failed_create = verb == "created" && d.has_errors();
    let mut state = with_enforced(planned, &observed.enforced);
    if failed_create && let Value::Map(entries) = &mut state {
        entries.insert("deletion_protection".to_owned(), Value::Bool(false));
    }
    ApplyResponse {
        new_state: state,
        diagnostics: d,
    }
}

/// True when nothing has been reported yet that makes the observed settings
/// meaningless (the read-back itself failing).
fn read_back_confirmed(d: &Diagnostics, outcome: &Result<(), Option<StepError>>) -> bool {
    outcome.is_err() || !d.has_errors()
}

fn with_enforced(state: Value, enforced: &BTreeMap<String, String>) -> Value {
    match state {
        Value::Map(mut entries) => {
            entries.insert("enforced".to_owned(), enforced::state_value(enforced));
            Value::Map(entries)
        }
        other => other,
    }
}

async fn destroy(prior: Value, ctx: &Configured) -> ApplyResponse {
    let mut d = Diagnostics::new();
    let Some(name) = prior.get("name").as_str().map(str::to_owned) else {
        return ApplyResponse {
            new_state: Value::Null,
            diagnostics: d,
        };
    };
    create_intent::settled(INTENT_KIND, &name);
    // Checked again here: a plan made by another tool, or a state changed
    // between plan and apply, must not bypass it.
    if protected(&prior) {
        protection_error(&mut d, &name, "destroy");
        return ApplyResponse {
            new_state: prior,
            diagnostics: d,
        };
    }
    match ctx.clients.s3.delete_bucket().bucket(&name).send().await {
        Ok(_) => {
            // The bucket is gone; its entry in the sink's trail selector is
            // now noise, not a risk, so failing to remove it only warns.
            if let Some(sink) = prior.get("audit_log_sink").as_str() {
                let partition = s3_common::partition(&ctx.region);
                if let Err(e) =
                    audit_trail::set_recorded(&ctx.clients, sink, &name, partition, false).await
                {
                    d.warning(
                        "Bucket deleted; its audit trail entry remains",
                        format!(
                            "The bucket {name} was deleted, but removing it from the sink's \
                             trail selector failed: {e}. Remove the prefix by hand or apply \
                             another bucket of the sink to tidy it."
                        ),
                    );
                }
            }
            ApplyResponse {
                new_state: Value::Null,
                diagnostics: d,
            }
        }
        Err(e) => {
            let err = crate::aws::AwsError::from_sdk("s3:DeleteBucket", e);
            if err.is_not_found() {
                return ApplyResponse {
                    new_state: Value::Null,
                    diagnostics: d,
                };
            }
            let hint = if err.code_is("BucketNotEmpty") {
                "The bucket still holds objects or object versions. The provider never deletes \
                 PHI: empty the bucket under your retention rules, then destroy again. The \
                 bucket is kept in state."
            } else {
                "The bucket is kept in state."
            };
            d.error(
                "Could not delete the PHI bucket",
                format!("{err}.\n\n{hint}"),
            );
            ApplyResponse {
                new_state: prior,
                diagnostics: d,
            }
        }
    }
}

pub async fn read(state: Value, ctx: &Configured) -> ReadResponse {
    let sink = state.get("audit_log_sink").as_str().map(str::to_owned);
    // A bucket Terraform refreshes is in its state: an intent to create it
    // has done its job.
    if let Some(name) = state.get("name").as_str() {
        create_intent::settled(INTENT_KIND, name);
    }
    refresh::read(
        state,
        "name",
        "the PHI bucket",
        |name| async move { observe::observe(&ctx.clients, &name, sink.as_deref()).await },
        |state, o| {
            // Never drop a resource from state over its shape: keep it.
            let Value::Map(mut entries) = state else {
                return state;
            };
            let tags = refresh::refreshed_tags(entries.get("tags"), &o.tags);
            entries.insert("tags".to_owned(), tags);
            entries.insert("enforced".to_owned(), enforced::state_value(&o.enforced));
            Value::Map(entries)
        },
    )
    .await
}

pub async fn import(id: &str, ctx: &Configured) -> ImportResponse {
    let mut d = Diagnostics::new();
    // Checked before any call: the SDK refuses to send a request for an
    // invalid name, which would otherwise read as "could not reach AWS".
    if let Some(problem) = crate::resources::checks::bucket_name_problem(id) {
        d.error(
            "Invalid import ID",
            format!(
                "{id:?} is not a phi_bucket name: a bucket name {problem}. The import ID of a \
                 phi_bucket is the bucket name."
            ),
        );
        return ImportResponse {
            state: None,
            diagnostics: d,
        };
    }
    match observe::observe(&ctx.clients, id, None).await {
        Ok(Some(o)) => {
            create_intent::settled(INTENT_KIND, id);
            let partition = s3_common::partition(&ctx.region);
            let sink = match import_config::sink_recording(&ctx.clients, id, partition).await {
                Ok(sink) => sink,
                Err(e) => {
                    d.warning(
                        "Could not look for the bucket's audit log sink",
                        format!(
                            "{e}. `audit_log_sink` is left null: write the sink that keeps \
                             this bucket's audit records."
                        ),
                    );
                    None
                }
            };
            let state = imported_state(id, &o, &ctx.region, sink);
            ImportResponse {
                state: Some(leave_defaults_out(Value::Map(state), ctx).await),
                diagnostics: d,
            }
        }
        Ok(None) => {
            d.error(
                "Nothing to import",
                format!(
                    "There is no S3 bucket named {id:?} in this account. The import ID of a \
                     phi_bucket is the bucket name."
                ),
            );
            ImportResponse {
                state: None,
                diagnostics: d,
            }
        }
        Err(e) => {
            d.error("Could not import the PHI bucket", format!("{e}."));
            ImportResponse {
                state: None,
                diagnostics: d,
            }
        }
    }
}

/// The state (or a configuration derived from it) with each optional
/// argument whose value is its default, or one the policy refuses, set to
/// null (see `resources::import_config`).
pub async fn leave_defaults_out(state: Value, ctx: &Configured) -> Value {
    let Value::Map(mut e) = state else {
        return state;
    };
    let violations = phi_policy::checks::bucket::check(
        &super::policy_config(&Value::Map(e.clone())),
        &ctx.policy_context().await,
        ctx.policy(),
    );
    import_config::leave_defaults_out(&mut e, &import_defaults(), &violations);
    Value::Map(e)
}

/// The optional arguments with a default, as plan fills them in: an
/// imported value equal to one (or refused by the policy) is left null, so
/// the generated configuration leaves it out.
fn import_defaults() -> [(&'static str, Value); 4] {
    [
        (
            "encryption_algorithm",
            Value::string(super::desired::DEFAULT_ALGORITHM),
        ),
        (
            "minimum_tls_version",
            Value::string(super::desired::DEFAULT_MIN_TLS),
        ),
        (
            "noncurrent_version_retention_days",
            Value::number(phi_policy::checks::bucket::NONCURRENT_DEFAULT_DAYS),
        ),
        ("deletion_protection", Value::Bool(true)),
    ]
}

/// The state of an adopted bucket: what AWS reports, so the next plan shows
/// every setting that must change; no sentinel for what AWS does not report
/// (see `import_config`). It starts protected from deletion. `sink` is the
/// audit sink whose trail already records the bucket, if one does.
fn imported_state(
    id: &str,
    o: &Observed,
    region: &str,
    sink: Option<String>,
) -> BTreeMap<String, Value> {
    let replication = o.replication.as_ref().map(|(dest, key, role)| {
        let dest = dest.rsplit(':').next().unwrap_or(dest);
        let mut entries = BTreeMap::from([
            ("destination_bucket".to_owned(), dest.to_owned()),
            ("role_arn".to_owned(), role.clone()),
        ]);
        // A rule without a replica key has none to write (not "none").
        if key.starts_with("arn:") {
            entries.insert("kms_key_arn".to_owned(), key.clone());
        }
        Value::from_string_map(&entries)
    });
    [
        ("id", Value::string(id)),
        ("name", Value::string(id)),
        (
            "kms_key_arn",
            import_config::key_arn_or_null(o.key_arn.as_deref()),
        ),
        ("audit_log_sink", Value::opt_string(sink)),
        (
            "encryption_algorithm",
            Value::opt_string(o.algorithm.clone()),
        ),
        ("minimum_tls_version", Value::opt_string(o.min_tls.clone())),
        (
            "noncurrent_version_retention_days",
            o.noncurrent_days
                .map_or(Value::Null, |n| Value::number(i64::from(n))),
        ),
        ("deletion_protection", Value::Bool(true)),
        ("replication", replication.unwrap_or(Value::Null)),
        (
            "tags",
            if o.tags.is_empty() {
                Value::Null
            } else {
                Value::from_string_map(&o.tags)
            },
        ),
        (
            "arn",
            Value::string(s3_common::bucket_arn(s3_common::partition(region), id)),
        ),
        ("enforced", enforced::state_value(&o.enforced)),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}
