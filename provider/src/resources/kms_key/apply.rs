//! Create, update, destroy and read for `phi_kms_key`.
//!
//! Create is CreateKey (with the written policy, never bypassing KMS's
//! lockout safety check), then rotation, then the alias. If a step after
//! CreateKey fails, the state returned holds the key with an error naming
//! the step, so Terraform taints it; such a key has protected nothing yet, so
//! its partial state carries `deletion_protection = false` and the
//! replacement may schedule its deletion.

use std::collections::BTreeMap;

use aws_sdk_kms::types::{KeySpec, KeyUsageType, OriginType, Tag};
use phi_policy::key_policy::KeyScope;

use crate::aws::AwsError;
use crate::configured::Configured;
use crate::diagnostics::Diagnostics;
use crate::resources::apply_gate::{self, Gate, Write};
use crate::resources::refresh;
use crate::resources::s3_common::{self, StepError, fail, step};
use crate::resources::{ApplyRequest, ApplyResponse, ReadResponse};
use crate::value::Value;

use super::observe::{self, Observed};
use super::{Desired, KmsKey, desired_from, protected, protection_error};

pub async fn apply(key: &KmsKey, request: ApplyRequest, ctx: &Configured) -> ApplyResponse {
    let gate = apply_gate::gate(
        request,
        ctx,
        "key",
        |config| async move { key.full_checks(&config, ctx) },
        |planned| desired_from(planned, ctx.policy()),
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
    let Some(scope) = scope(ctx).await else {
        let mut d = checks;
        d.error(
            "Could not determine the AWS account",
            "The key policy names this account (sts:GetCallerIdentity), which could not be \
             read. Nothing was changed; check the credentials and try again.",
        );
        return ApplyResponse {
            new_state: prior,
            diagnostics: d,
        };
    };
    let written = desired.key_policy(scope, ctx.policy());
    if prior.is_null() {
        create(desired, planned, written, checks, ctx).await
    } else {
        update(prior, desired, planned, written, checks, ctx).await
    }
}

async fn scope(ctx: &Configured) -> Option<KeyScope> {
    Some(KeyScope {
        partition: s3_common::partition(&ctx.region).to_owned(),
        region: ctx.region.clone(),
        account: Some(ctx.account_id().await?),
    })
}

fn sdk_tags(tags: &BTreeMap<String, String>) -> Result<Vec<Tag>, StepError> {
    tags.iter()
        .map(|(k, v)| {
            s3_common::built(
                "build the key's tags",
                Tag::builder().tag_key(k).tag_value(v).build(),
            )
        })
        .collect()
}

async fn create(
    desired: Desired,
    planned: Value,
    written: String,
    mut d: Diagnostics,
    ctx: &Configured,
) -> ApplyResponse {
    let kms = &ctx.clients.kms;
    let tags = match sdk_tags(&desired.tags) {
        Ok(t) => t,
        Err(e) => {
            fail(
                &mut d,
                "Could not create the KMS key",
                &e,
                "Nothing was created.",
            );
            return ApplyResponse {
                new_state: Value::Null,
                diagnostics: d,
            };
        }
    };
    let mut request = kms
        .create_key()
        .key_spec(KeySpec::SymmetricDefault)
        .key_usage(KeyUsageType::EncryptDecrypt)
        .origin(OriginType::AwsKms)
        .multi_region(false)
        .bypass_policy_lockout_safety_check(false)
        .policy(&written)
        .set_tags((!tags.is_empty()).then_some(tags));
    if !desired.description.is_empty() {
        request = request.description(&desired.description);
    }
    let created = match request.send().await {
        Ok(out) => out,
        Err(e) => {
            let err = AwsError::from_sdk("kms:CreateKey", e);
            let hint = if err.code_is("MalformedPolicyDocumentException") {
                "KMS refused the key policy. If it says the policy would lock you out, add the \
                 role Terraform runs as to administrator_arns. Nothing was created."
            } else {
                "Nothing was created."
            };
            fail(
                &mut d,
                "Could not create the KMS key",
                &StepError {
                    step: "create the key",
                    error: err,
                },
                hint,
            );
            return ApplyResponse {
                new_state: Value::Null,
                diagnostics: d,
            };
        }
    };
    let Some(key_id) = created.key_metadata().map(|m| m.key_id().to_owned()) else {
        d.error(
            "Could not create the KMS key",
            "KMS answered CreateKey without the new key's id; check the account for a key \
             with this description.",
        );
        return ApplyResponse {
            new_state: Value::Null,
            diagnostics: d,
        };
    };
    let work = async {
        kms.enable_key_rotation()
            .key_id(&key_id)
            .rotation_period_in_days(desired.rotation_period_days as i32)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("kms:EnableKeyRotation", e))
            .map_err(step("turn on automatic rotation"))?;
        kms.create_alias()
            .alias_name(desired.alias())
            .target_key_id(&key_id)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("kms:CreateAlias", e))
            .map_err(step("create the alias"))?;
        Ok::<(), StepError>(())
    };
    let outcome = tokio::select! {
        r = work => r.map_err(Some),
        _ = ctx.cancelled().cancelled() => Err(None),
    };
    finish(&key_id, desired, planned, &written, outcome, d, ctx, true).await
}

async fn update(
    prior: Value,
    desired: Desired,
    planned: Value,
    written: String,
    mut d: Diagnostics,
    ctx: &Configured,
) -> ApplyResponse {
    let Some(key_id) = prior.get("key_id").as_str().map(str::to_owned) else {
        d.error(
            "KMS key id missing from state",
            "The state of this phi_kms_key has no key_id; please report this.",
        );
        return ApplyResponse {
            new_state: prior,
            diagnostics: d,
        };
    };
    let observed = match observe::observe(&ctx.clients.kms, &key_id).await {
        Ok(Some(o)) => o,
        Ok(None) => {
            d.error(
                "KMS key no longer exists",
                format!(
                    "The key {key_id} was deleted outside Terraform. Run `terraform plan` \
                     again to create a new one."
                ),
            );
            return ApplyResponse {
                new_state: Value::Null,
                diagnostics: d,
            };
        }
        Err(e) => {
            d.error(
                "Could not read the KMS key",
                format!("{e}. Nothing was changed."),
            );
            return ApplyResponse {
                new_state: prior,
                diagnostics: d,
            };
        }
    };
    let old_alias = prior
        .get("name")
        .as_str()
        .map(|n| format!("alias/{n}"))
        .filter(|a| *a != desired.alias() && observed.aliases.contains(a));
    let outcome = tokio::select! {
        r = converge(&key_id, &desired, &observed, &written, old_alias, ctx) => r.map_err(Some),
        _ = ctx.cancelled().cancelled() => Err(None),
    };
    finish(&key_id, desired, planned, &written, outcome, d, ctx, false).await
}

/// Brings every setting that differs from the desired one into place: the
/// key back to Enabled (cancelling a scheduled deletion), the policy, the
/// rotation, the alias, the description and the tags.
async fn converge(
    key_id: &str,
    desired: &Desired,
    observed: &Observed,
    written: &str,
    old_alias: Option<String>,
    ctx: &Configured,
) -> Result<(), StepError> {
    let kms = &ctx.clients.kms;
    let want = desired.enforced();
    let have = observed.enforced(written, &desired.alias(), desired.rotation_period_days);
    let drifted = |k: &str| want.get(k) != have.get(k);
    if observed.key_state == "PendingDeletion" {
        kms.cancel_key_deletion()
            .key_id(key_id)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("kms:CancelKeyDeletion", e))
            .map_err(step("cancel the key's scheduled deletion"))?;
    }
    if drifted(super::key::STATE) {
        kms.enable_key()
            .key_id(key_id)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("kms:EnableKey", e))
            .map_err(step("enable the key"))?;
    }
    if drifted(super::key::POLICY) {
        kms.put_key_policy()
            .key_id(key_id)
            .policy_name("default")
            .policy(written)
            .bypass_policy_lockout_safety_check(false)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("kms:PutKeyPolicy", e))
            .map_err(step("write the key policy"))?;
    }
    if drifted(super::key::ROTATION) {
        kms.enable_key_rotation()
            .key_id(key_id)
            .rotation_period_in_days(desired.rotation_period_days as i32)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("kms:EnableKeyRotation", e))
            .map_err(step("turn on automatic rotation"))?;
    }
    if !observed.aliases.contains(&desired.alias()) {
        kms.create_alias()
            .alias_name(desired.alias())
            .target_key_id(key_id)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("kms:CreateAlias", e))
            .map_err(step("create the alias"))?;
    }
    if let Some(old) = old_alias {
        kms.delete_alias()
            .alias_name(old)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("kms:DeleteAlias", e))
            .map_err(step("remove the previous alias"))?;
    }
    if observed.description != desired.description {
        kms.update_key_description()
            .key_id(key_id)
            .description(&desired.description)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("kms:UpdateKeyDescription", e))
            .map_err(step("update the description"))?;
    }
    let stale: Vec<String> = observed
        .tags
        .keys()
        .filter(|k| !desired.tags.contains_key(*k))
        .cloned()
        .collect();
    if !stale.is_empty() {
        kms.untag_resource()
            .key_id(key_id)
            .set_tag_keys(Some(stale))
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("kms:UntagResource", e))
            .map_err(step("remove tags"))?;
    }
    if observed.tags != desired.tags && !desired.tags.is_empty() {
        kms.tag_resource()
            .key_id(key_id)
            .set_tags(Some(sdk_tags(&desired.tags)?))
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("kms:TagResource", e))
            .map_err(step("set tags"))?;
    }
    Ok(())
}

/// Reads back what exists after create or update and reports anything not
/// as required, whether a step failed or not.
#[allow(clippy::too_many_arguments)]
async fn finish(
    key_id: &str,
    desired: Desired,
    planned: Value,
    written: &str,
    outcome: Result<(), Option<StepError>>,
    mut d: Diagnostics,
    ctx: &Configured,
    creating: bool,
) -> ApplyResponse {
    let verb = if creating { "created" } else { "updated" };
    let consequence = "The key exists but is NOT configured as required: do not encrypt PHI \
        with it. Run `terraform apply` again to finish (a new key that failed half way is \
        replaced).";
    match &outcome {
        Ok(()) => {}
        Err(Some(e)) => fail(&mut d, "KMS key not fully configured", e, consequence),
        Err(None) => d.error(
            "Interrupted",
            format!("Terraform was interrupted while the key was being {verb}. {consequence}"),
        ),
    }
    let failed = outcome.is_err();
    match observe::observe(&ctx.clients.kms, key_id).await {
        Ok(Some(o)) => {
            let have = o.enforced(written, &desired.alias(), desired.rotation_period_days);
            if !failed {
                apply_gate::settings_not_in_effect(
                    &mut d,
                    "KMS key",
                    "key",
                    verb,
                    &desired.enforced(),
                    &have,
                    consequence,
                );
            }
            let mut state = with_observed(planned, &o, have);
            if failed
                && creating
                && let Value::Map(m) = &mut state
            {
                m.insert("deletion_protection".to_owned(), Value::Bool(false));
            }
            ApplyResponse {
                new_state: state,
                diagnostics: d,
            }
        }
        Ok(None) | Err(_) => {
            d.error(
                "Could not read the KMS key back",
                format!(
                    "The key {key_id} could not be read after it was {verb}. Run `terraform \
                     plan` to see its state."
                ),
            );
            let mut state = planned;
            if let Value::Map(m) = &mut state {
                m.insert("id".to_owned(), Value::string(key_id));
                m.insert("key_id".to_owned(), Value::string(key_id));
                if creating {
                    m.insert("deletion_protection".to_owned(), Value::Bool(false));
                }
                for unknown in ["arn", "alias_arn", "enforced"] {
                    if m.get(unknown).is_some_and(Value::is_unknown) {
                        m.insert(unknown.to_owned(), Value::Null);
                    }
                }
            }
            ApplyResponse {
                new_state: state,
                diagnostics: d,
            }
        }
    }
}

/// `state` with what KMS reports: ids, description, tags and `enforced`.
fn with_observed(state: Value, o: &Observed, enforced: BTreeMap<String, String>) -> Value {
    let Value::Map(mut m) = state else {
        return state;
    };
    m.insert("id".to_owned(), Value::string(&o.key_id));
    m.insert("key_id".to_owned(), Value::string(&o.key_id));
    m.insert("arn".to_owned(), Value::string(&o.arn));
    if m.get("alias_arn")
        .is_none_or(|v| v.is_unknown() || v.is_null())
        && let Some(name) = m.get("name").and_then(Value::as_str)
    {
        // arn:<partition>:kms:<region>:<account>:key/<id> → …:alias/<name>
        let alias_arn = match o.arn.rsplit_once(":key/") {
            Some((prefix, _)) => Value::string(format!("{prefix}:alias/{name}")),
            None => Value::Null,
        };
        m.insert("alias_arn".to_owned(), alias_arn);
    }
    let description = match m.get("description") {
        Some(Value::Null) | None if o.description.is_empty() => Value::Null,
        _ => Value::string(&o.description),
    };
    m.insert("description".to_owned(), description);
    let tags = refresh::refreshed_tags(m.get("tags"), &o.tags);
    m.insert("tags".to_owned(), tags);
    m.insert(
        "enforced".to_owned(),
        crate::resources::enforced::state_value(&enforced),
    );
    Value::Map(m)
}

async fn destroy(prior: Value, ctx: &Configured) -> ApplyResponse {
    let mut d = Diagnostics::new();
    let name = prior.get("name").as_str().unwrap_or("(unknown)").to_owned();
    if protected(&prior) {
        protection_error(&mut d, &name);
        return ApplyResponse {
            new_state: prior,
            diagnostics: d,
        };
    }
    let Some(key_id) = prior.get("key_id").as_str().map(str::to_owned) else {
        return ApplyResponse {
            new_state: Value::Null,
            diagnostics: d,
        };
    };
    let kms = &ctx.clients.kms;
    if let Err(e) = kms
        .delete_alias()
        .alias_name(format!("alias/{name}"))
        .send()
        .await
    {
        let err = AwsError::from_sdk("kms:DeleteAlias", e);
        if !err.is_not_found() {
            d.warning(
                "Could not remove the key's alias",
                format!("{err}. Remove alias/{name} by hand if it remains."),
            );
        }
    }
    let window = prior
        .get("deletion_window_days")
        .as_i64()
        .unwrap_or(super::DEFAULT_DELETION_WINDOW_DAYS);
    match kms
        .schedule_key_deletion()
        .key_id(&key_id)
        .pending_window_in_days(window as i32)
        .send()
        .await
    {
        Ok(_) => ApplyResponse {
            new_state: Value::Null,
            diagnostics: d,
        },
        Err(e) => {
            let err = AwsError::from_sdk("kms:ScheduleKeyDeletion", e);
            if err.is_not_found() {
                return ApplyResponse {
                    new_state: Value::Null,
                    diagnostics: d,
                };
            }
            d.error(
                "Could not schedule the key's deletion",
                format!("{err}. The key was not scheduled for deletion and stays in state."),
            );
            ApplyResponse {
                new_state: prior,
                diagnostics: d,
            }
        }
    }
}

pub async fn read(state: Value, ctx: &Configured) -> ReadResponse {
    let written = match (desired_from(&state, ctx.policy()), scope(ctx).await) {
        (Some(desired), Some(scope)) => Some((
            desired.key_policy(scope, ctx.policy()),
            desired.alias(),
            desired.rotation_period_days,
        )),
        _ => None,
    };
    refresh::read(
        state,
        "key_id",
        "the KMS key",
        |id| async move { observe::observe(&ctx.clients.kms, &id).await },
        |state, o: Observed| {
            let enforced = match &written {
                Some((policy, alias, period)) => o.enforced(policy, alias, *period),
                // Without the account the written policy cannot be
                // rebuilt: the live one is then never shown as matching.
                None => o.enforced("", "", 0),
            };
            with_observed(state, &o, enforced)
        },
    )
    .await
}
