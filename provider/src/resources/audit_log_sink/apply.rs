//! Create, update, delete, read and import for the sink.
//!
//! Create is several AWS calls. If one fails after the bucket exists, the
//! state returned says exactly what exists and which setting is missing, with
//! an error, so Terraform taints the sink and replaces it next time; it is
//! never left half-secured and unnoticed.

use std::collections::BTreeMap;

use crate::configured::Configured;
use crate::diagnostics::Diagnostics;
use crate::resources::apply_gate::{self, Gate, Write};
use crate::resources::create_intent;
use crate::resources::refresh;
use crate::resources::{ApplyRequest, ApplyResponse, ImportResponse, ReadResponse};
use crate::value::Value;

use super::converge::{self, StepError};
use super::desired::{self, Desired};
use super::observe::{self, Observed};
use super::plan::{protected, protection_error};
use super::{AuditLogSink, desired_under};
use crate::resources::enforced;
use crate::resources::import_config;
use crate::resources::s3_common::{self, fail};
use crate::resources::timeouts;

pub async fn apply(sink: &AuditLogSink, request: ApplyRequest, ctx: &Configured) -> ApplyResponse {
    let gate = apply_gate::gate(
        request,
        ctx,
        "sink",
        |config| async move { sink.full_checks(&config, ctx, true).await },
        |planned| desired_under(planned, ctx.policy()),
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
    let tags = planned.get("tags").clone();
    let protection = match planned.get("deletion_protection") {
        Value::Bool(b) => *b,
        _ => true,
    };
    let kept = Kept { tags, protection };
    let mut response = if prior.is_null() {
        let visible_within = timeouts::get(&planned, "create", s3_common::DEFAULT_CREATE_TIMEOUT);
        create(desired, kept, checks, ctx, visible_within).await
    } else {
        update(prior, desired, kept, checks, ctx).await
    };
    // The timeouts are configuration only: they stay as planned.
    if let Value::Map(entries) = &mut response.new_state {
        entries.insert(
            timeouts::BLOCK.to_owned(),
            planned.get(timeouts::BLOCK).clone(),
        );
    }
    response
}

/// The arguments state keeps as configured, beside the desired settings.
struct Kept {
    tags: Value,
    protection: bool,
}

/// The kind of object in create-intent records.
const INTENT_KIND: &str = "sink";

async fn create(
    desired: Desired,
    kept: Kept,
    mut d: Diagnostics,
    ctx: &Configured,
    visible_within: std::time::Duration,
) -> ApplyResponse {
    const SUMMARY: &str = "Could not create the audit sink";
    let creating = create_intent::Creating::start(INTENT_KIND, "audit sink", &desired.name);
    let sent = converge::create_bucket(&ctx.clients, &desired, creating.token());
    let verdict = || adoption_verdict(ctx, &desired, &creating);
    let began = s3_common::began(sent, ctx.cancelled(), &creating, &mut d, SUMMARY, verdict).await;
    let Some(adopted) = began else {
        return ApplyResponse {
            new_state: Value::Null,
            diagnostics: d,
        };
    };
    let work = async {
        s3_common::wait_until_visible(&ctx.clients, desired.bucket_name(), visible_within).await?;
        // An adopted sink is converged from what exists, like an update.
        let (observed, log_group_exists) = if adopted {
            match observe::observe(&ctx.clients, &desired.name, desired::PROTECTION_ON).await {
                Ok(Some(o)) => (o.enforced, o.log_group_exists),
                Ok(None) => (BTreeMap::new(), false),
                Err(error) => {
                    return Err(StepError {
                        step: "read the adopted sink",
                        error,
                    });
                }
            }
        } else {
            (BTreeMap::new(), false)
        };
        let account = ctx.account_id().await;
        converge::converge(
            &ctx.clients,
            &desired,
            &observed,
            log_group_exists,
            account.as_deref(),
            creating.token(),
        )
        .await?;
        if !desired.tags.is_empty() {
            converge::set_bucket_tags(&ctx.clients, desired.bucket_name(), &desired.tags).await?;
        }
        Ok::<(), StepError>(())
    };
    let outcome = tokio::select! {
        r = work => r.map_err(Some),
        _ = ctx.cancelled().cancelled() => Err(None),
    };
    finish(desired, kept, outcome, d, ctx, "created").await
}

/// Whether the existing archive bucket is one this working directory
/// started to create: its marker, else its log group's (CreateLogGroup
/// always keeps it), else its creation time (S3 endpoints may drop the
/// marker sent in CreateBucket; see `create_intent`).
async fn adoption_verdict(
    ctx: &Configured,
    desired: &Desired,
    creating: &create_intent::Creating,
) -> Result<create_intent::Verdict, crate::aws::AwsError> {
    let s3 = &ctx.clients.s3;
    let bucket = desired.bucket_name();
    let tags = s3_common::read_tags(s3, bucket).await?;
    let created = s3_common::creation_time(s3, bucket).await?;
    let mut marker = tags.get(create_intent::MARKER_TAG).cloned();
    if marker.is_none() {
        marker = converge::log_group_marker_of(ctx, desired).await;
    }
    Ok(creating.verdict(
        marker.as_deref(),
        created,
        create_intent::Proof::MarkerOrTime,
    ))
}

async fn update(
    prior: Value,
    desired: Desired,
    kept: Kept,
    mut d: Diagnostics,
    ctx: &Configured,
) -> ApplyResponse {
    let observed = match observe::observe(&ctx.clients, &desired.name, desired::PROTECTION_ON).await
    {
        Ok(Some(o)) => o,
        Ok(None) => {
            d.error(
                "Audit sink no longer exists",
                format!(
                    "The archive bucket {} was deleted outside Terraform while this change was \
                     being applied. Run `terraform plan` again to recreate it.",
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
                "Could not read the audit sink",
                format!("{e}. Nothing was changed."),
            );
            return ApplyResponse {
                new_state: prior,
                diagnostics: d,
            };
        }
    };
    let tags_changed = prior.get("tags") != &kept.tags;
    let work = async {
        let account = ctx.account_id().await;
        converge::converge(
            &ctx.clients,
            &desired,
            &observed.enforced,
            observed.log_group_exists,
            account.as_deref(),
            None,
        )
        .await?;
        if tags_changed {
            converge::set_bucket_tags(&ctx.clients, desired.bucket_name(), &desired.tags).await?;
            if let Some(arn) = &observed.log_group_arn {
                converge::tag_log_group(&ctx.clients, arn, &desired.tags).await?;
            }
        }
        Ok::<(), StepError>(())
    };
    let outcome = tokio::select! {
        r = work => r.map_err(Some),
        _ = ctx.cancelled().cancelled() => Err(None),
    };
    finish(desired, kept, outcome, d, ctx, "updated").await
}

/// Reads back what exists after create or update, and reports anything that
/// is not as required, whether a step failed or not.
async fn finish(
    desired: Desired,
    kept: Kept,
    outcome: Result<(), Option<StepError>>,
    mut d: Diagnostics,
    ctx: &Configured,
    verb: &str,
) -> ApplyResponse {
    let consequence = "The sink exists but is NOT fully secured. Terraform keeps it in state \
        (tainted on create), and the next apply finishes or replaces it. Fix the cause \
        (often a missing IAM permission) and apply again.";
    match &outcome {
        Err(Some(e)) => fail(&mut d, "Audit sink not fully configured", e, consequence),
        Err(None) => d.error(
            "Interrupted",
            format!("Terraform was interrupted while the sink was being {verb}. {consequence}"),
        ),
        Ok(()) => {}
    }
    let observed = match observe::observe(&ctx.clients, &desired.name, desired::PROTECTION_ON).await
    {
        Ok(Some(o)) => o,
        Ok(None) => Observed::default(),
        Err(e) => {
            d.error(
                "Could not read back the audit sink",
                format!("{e}. The sink was {verb}, but its settings could not be confirmed."),
            );
            Observed::default()
        }
    };
    if outcome.is_ok() {
        apply_gate::settings_not_in_effect(
            &mut d,
            "Audit sink",
            "sink",
            verb,
            &desired.enforced(),
            &observed.enforced,
            consequence,
        );
    }
    // A sink whose create failed has never been handed to anyone: its
    // partial state is unprotected, so the replacement may delete it (it is
    // still never deleted while it holds records).
    let protection = kept.protection && !(verb == "created" && d.has_errors());
    let kept = Kept {
        tags: kept.tags,
        protection,
    };
    ApplyResponse {
        new_state: state(&desired, kept, &observed, ctx),
        diagnostics: d,
    }
}

fn state(desired: &Desired, kept: Kept, observed: &Observed, ctx: &Configured) -> Value {
    let partition = desired::partition(&ctx.region);
    let entries: BTreeMap<String, Value> = [
        ("id", Value::string(&desired.name)),
        ("name", Value::string(&desired.name)),
        ("kms_key_arn", Value::string(&desired.kms_key_arn)),
        ("retention_days", Value::number(desired.retention_days)),
        ("object_lock_mode", Value::string(&desired.lock_mode)),
        (
            "minimum_tls_version",
            Value::string(&desired.minimum_tls_version),
        ),
        ("tags", kept.tags),
        ("deletion_protection", Value::Bool(kept.protection)),
        (
            "bucket_arn",
            Value::string(format!("arn:{partition}:s3:::{}", desired.name)),
        ),
        ("log_group_name", Value::string(desired.log_group_name())),
        (
            "log_group_arn",
            Value::opt_string(observed.log_group_arn.clone()),
        ),
        ("enforced", enforced::state_value(&observed.enforced)),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    Value::Map(entries)
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
    let keep = |mut d: Diagnostics, summary: &str, detail: String| {
        d.error(summary.to_owned(), detail);
        ApplyResponse {
            new_state: prior.clone(),
            diagnostics: d,
        }
    };
    match observe::holds_records(&ctx.clients, &name).await {
        Ok(false) => {}
        Err(e) if e.is_not_found() => {}
        Ok(true) => {
            return keep(
                d,
                "Audit sink holds locked records",
                format!(
                    "The archive bucket {name} holds audit records under Object Lock COMPLIANCE \
                     retention; they cannot be deleted by anyone before their retention ends, so \
                     the sink stays (and stays in state). Use `terraform state rm` to stop \
                     managing it."
                ),
            );
        }
        Err(e) => {
            return keep(
                d,
                "Could not check the audit sink",
                format!("{e}. Nothing was deleted."),
            );
        }
    }
    match observe::observe(&ctx.clients, &name, desired::PROTECTION_ON).await {
        Ok(Some(o)) if o.log_stored_bytes > 0 => {
            return keep(
                d,
                "Audit log group holds records",
                format!(
                    "The log group {} holds {} bytes of audit events kept for the retention \
                     period; the sink is not deleted. Use `terraform state rm` to stop managing it.",
                    desired::log_group_name(&name),
                    o.log_stored_bytes
                ),
            );
        }
        Ok(_) => {}
        Err(e) => {
            return keep(
                d,
                "Could not read the audit sink",
                format!("{e}. Nothing was deleted."),
            );
        }
    }
    match converge::delete(&ctx.clients, &name).await {
        Ok(()) => ApplyResponse {
            new_state: Value::Null,
            diagnostics: d,
        },
        Err(e) => {
            fail(
                &mut d,
                "Could not delete the audit sink",
                &e,
                "The sink is kept in state.",
            );
            ApplyResponse {
                new_state: prior,
                diagnostics: d,
            }
        }
    }
}

pub async fn read(state: Value, ctx: &Configured) -> ReadResponse {
    // A sink Terraform refreshes is in its state: an intent to create it
    // has done its job.
    if let Some(name) = state.get("name").as_str() {
        create_intent::settled(INTENT_KIND, name);
    }
    refresh::read(
        state,
        "name",
        "the audit sink",
        |name| async move { observe::observe(&ctx.clients, &name, desired::PROTECTION_ON).await },
        |state, o| {
            // Never drop a resource from state over its shape: keep it.
            let Value::Map(mut entries) = state else {
                return state;
            };
            let tags = refresh::refreshed_tags(entries.get("tags"), &o.tags);
            entries.insert("tags".to_owned(), tags);
            entries.insert("enforced".to_owned(), enforced::state_value(&o.enforced));
            if let Some(arn) = o.log_group_arn {
                entries.insert("log_group_arn".to_owned(), Value::string(arn));
            }
            Value::Map(entries)
        },
    )
    .await
}

/// The state (or a configuration derived from it) with each optional
/// argument whose value is its default, or one the policy refuses, set to
/// null (see `resources::import_config`).
pub async fn leave_defaults_out(state: Value, ctx: &Configured) -> Value {
    let Value::Map(mut e) = state else {
        return state;
    };
    let violations = phi_policy::checks::audit_log_sink::check(
        &super::policy_config(&Value::Map(e.clone())),
        &ctx.policy_context().await,
        ctx.policy(),
    );
    import_config::leave_defaults_out(
        &mut e,
        &[
            (
                "object_lock_mode",
                Value::string(desired::DEFAULT_LOCK_MODE),
            ),
            (
                "minimum_tls_version",
                Value::string(desired::DEFAULT_MIN_TLS),
            ),
            ("deletion_protection", Value::Bool(true)),
        ],
        &violations,
    );
    Value::Map(e)
}

pub async fn import(id: &str, ctx: &Configured) -> ImportResponse {
    let mut d = Diagnostics::new();
    match observe::observe(&ctx.clients, id, desired::PROTECTION_ON).await {
        Ok(Some(o)) => {
            create_intent::settled(INTENT_KIND, id);
            let partition = desired::partition(&ctx.region);
            // No sentinel for what AWS does not report: null, so the
            // generated configuration asks for it (resources::import_config).
            let retention = o.log_retention_days.or(o.lock_days);
            let entries: BTreeMap<String, Value> = [
                ("id", Value::string(id)),
                ("name", Value::string(id)),
                (
                    "kms_key_arn",
                    import_config::key_arn_or_null(o.bucket_key_arn.as_deref()),
                ),
                (
                    "retention_days",
                    retention.map_or(Value::Null, Value::number),
                ),
                ("object_lock_mode", Value::opt_string(o.lock_mode.clone())),
                ("minimum_tls_version", Value::opt_string(o.min_tls.clone())),
                (
                    "tags",
                    if o.tags.is_empty() {
                        Value::Null
                    } else {
                        Value::from_string_map(&o.tags)
                    },
                ),
                ("deletion_protection", Value::Bool(true)),
                (
                    "bucket_arn",
                    Value::string(format!("arn:{partition}:s3:::{id}")),
                ),
                ("log_group_name", Value::string(desired::log_group_name(id))),
                ("log_group_arn", Value::opt_string(o.log_group_arn.clone())),
                ("enforced", enforced::state_value(&o.enforced)),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect();
            ImportResponse {
                state: Some(leave_defaults_out(Value::Map(entries), ctx).await),
                diagnostics: d,
            }
        }
        Ok(None) => {
            d.error(
                "Nothing to import",
                format!(
                    "There is no S3 bucket named {id:?} in this account. The import ID of a \
                     phi_audit_log_sink is its name (the archive bucket's name)."
                ),
            );
            ImportResponse {
                state: None,
                diagnostics: d,
            }
        }
        Err(e) => {
            d.error("Could not import the audit sink", format!("{e}."));
            ImportResponse {
                state: None,
                diagnostics: d,
            }
        }
    }
}
