//! Create, update, delete, read and import for the database.
//!
//! Create is create log groups -> parameter group -> CreateDBInstance -> wait
//! -> modify what did not take -> maybe reboot. If a step fails after the
//! instance exists, the state returned says what exists and which setting is
//! not in place, with an error, so Terraform taints the database; it is never
//! left half-secured and unnoticed. If a step fails before the instance
//! exists, nothing holding data was created and the state stays empty (the
//! log groups and parameter group are adopted by the next apply).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};

use aws_sdk_rds::types::DbInstance;
use tokio::time::Instant;

use crate::configured::Configured;
use crate::diagnostics::Diagnostics;
use crate::resources::apply_gate::{self, Gate, Write};
use crate::resources::create_intent;
use crate::resources::refresh;
use crate::resources::{ApplyRequest, ApplyResponse, ImportResponse, ReadResponse};
use crate::value::Value;

use super::converge::{self, StepError};
use super::desired::{self, Desired};
use super::insights;
use super::observe::{self, Observed};
use super::restore;
use super::secret_rotation;
use super::snapshots;
use super::{Database, desired_from};

pub async fn apply(db: &Database, request: ApplyRequest, ctx: &Configured) -> ApplyResponse {
    let creating = request.prior.is_null();
    let gate = apply_gate::gate(
        request,
        ctx,
        "database",
        |config| async move { db.full_checks(&config, ctx, true, creating).await },
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
    if prior.is_null() {
        create(desired, planned, checks, ctx).await
    } else {
        update(prior, desired, planned, checks, ctx).await
    }
}

fn fail(d: &mut Diagnostics, summary: &str, err: &StepError, consequence: &str) {
    let hint = if err.access_denied {
        "\n\nAWS refused for lack of permission: grant the credentials Terraform uses the \
         action named above."
    } else {
        ""
    };
    d.error(summary.to_owned(), format!("{err}.{hint}\n\n{consequence}"));
}

/// Runs `work` unless Terraform cancels first (`Err(None)`).
async fn run(
    ctx: &Configured,
    work: impl std::future::Future<Output = Result<(), StepError>>,
) -> Result<(), Option<StepError>> {
    tokio::select! {
        r = work => r.map_err(Some),
        _ = ctx.cancelled().cancelled() => Err(None),
    }
}

/// After the instance is available: one modify for anything that did not
/// take, then a reboot if the parameter group waits for one.
async fn settle(
    ctx: &Configured,
    d: &Desired,
    deadline: Instant,
    observed: Option<Observed>,
) -> Result<(), StepError> {
    let c = &ctx.clients;
    let cancel = ctx.cancelled();
    let read = |o: Option<Observed>| async move {
        match o {
            Some(o) => Ok(o),
            None => observe::observe(c, &d.identifier, database_policy(ctx))
                .await
                .map_err(|e| StepError {
                    step: "read the database back".to_owned(),
                    error: e.to_string(),
                    access_denied: e
                        .code
                        .as_deref()
                        .is_some_and(|c| c.contains("AccessDenied")),
                })?
                .ok_or_else(|| StepError {
                    step: "read the database back".to_owned(),
                    error: "the instance no longer exists".to_owned(),
                    access_denied: false,
                }),
        }
    };
    let o = read(observed).await?;
    let m = converge::modify_plan(d, &o);
    let o = if m.is_empty() {
        o
    } else {
        converge::modify_instance(c, d, &m, cancel).await?;
        converge::wait_available(c, &d.identifier, deadline, cancel).await?;
        read(None).await?
    };
    if o.pending_reboot() {
        converge::reboot(c, &d.identifier, deadline, cancel).await?;
    }
    snapshots::unshare(c, &o.snapshots_shared_outside).await?;
    secret_rotation::restore(
        c,
        o.secret_arn.as_deref(),
        o.secret_rotation.as_ref(),
        d.secret_rotation_max_days,
    )
    .await?;
    Ok(())
}

/// The policy's database settings the read judges against: the accounts
/// manual snapshots may be shared with, the longest secret rotation.
fn database_policy(ctx: &Configured) -> &phi_policy::engines::DatabasePolicy {
    ctx.policy().database()
}

/// The kind of object in create-intent records.
const INTENT_KIND: &str = "database";

const CREATE_FAILED: &str = "Could not create the database";

async fn create(
    desired: Desired,
    planned: Value,
    mut d: Diagnostics,
    ctx: &Configured,
) -> ApplyResponse {
    let deadline = Instant::now() + desired.timeouts.create;
    let c = &ctx.clients;
    let cancel = ctx.cancelled();
    // Recorded before anything is created, log groups included.
    let creating = create_intent::Creating::start(INTENT_KIND, "DB instance", &desired.identifier);
    let stop = |d| ApplyResponse {
        new_state: Value::Null,
        diagnostics: d,
    };
    // An instance of this identifier may exist already: one an interrupted
    // apply started (adopted), or somebody else's (refused before anything
    // of it, its log groups included, is touched).
    let found = tokio::select! {
        r = crate::aws::rds::describe_instance(&c.rds, &desired.identifier) => Some(r),
        _ = cancel.cancelled() => None,
    };
    let mut adopted = match found {
        Some(Ok(None)) => false,
        Some(Ok(Some(instance))) => match judge(&creating, &instance) {
            create_intent::Verdict::Adopt => {
                creating.adopted(&mut d);
                true
            }
            create_intent::Verdict::Refuse(why) => {
                creating.refused(&mut d, CREATE_FAILED, &why);
                return stop(d);
            }
        },
        Some(Err(e)) => {
            d.error(
                CREATE_FAILED,
                format!(
                    "{e}. Whether a DB instance {} already exists could not be read, so nothing \
                     was created. Fix the cause and apply again.",
                    desired.identifier
                ),
            );
            return stop(d);
        }
        None => {
            d.error(
                "Interrupted",
                "Terraform was interrupted before the database was created. Nothing was created.",
            );
            return stop(d);
        }
    };
    // The monitoring role exists before the instance that names it.
    let desired = match insights::with_monitoring_role(c, desired).await {
        Ok(with_role) => with_role,
        Err(e) => {
            fail(
                &mut d,
                CREATE_FAILED,
                &e,
                "No database instance was created. Fix the cause and apply again.",
            );
            return stop(d);
        }
    };
    let marked = creating.marked(&desired.tags);
    let instance_created = AtomicBool::new(adopted);
    let create_sent = AtomicBool::new(false);
    let refused = std::sync::Mutex::new(None::<String>);
    let work = async {
        let existing = observe::log_groups(c, &desired.identifier)
            .await
            .map_err(|e| StepError {
                step: "read the engine log groups".to_owned(),
                error: e.to_string(),
                access_denied: false,
            })?;
        converge::ensure_log_groups(c, &desired, &existing, &marked).await?;
        converge::ensure_parameter_group(c, &desired).await?;
        converge::ensure_option_group(c, &desired).await?;
        let mut restored_from = None;
        if !adopted {
            create_sent.store(true, Ordering::SeqCst);
            match &desired.snapshot_identifier {
                Some(snapshot) => {
                    restored_from =
                        Some(restore::restore_instance(c, &desired, snapshot, cancel).await?);
                }
                None => match converge::create_instance(c, &desired, &marked, cancel).await? {
                    converge::Created::New => {}
                    // The SDK retried a create whose answer was lost, or
                    // somebody created it since the check above: judged again.
                    converge::Created::AlreadyExists => {
                        let instance =
                            crate::aws::rds::describe_instance(&c.rds, &desired.identifier)
                                .await
                                .map_err(|e| StepError {
                                    step: "read the existing database instance".to_owned(),
                                    error: e.to_string(),
                                    access_denied: false,
                                })?;
                        match instance.as_ref().map(|i| judge(&creating, i)) {
                            Some(create_intent::Verdict::Adopt) => adopted = true,
                            Some(create_intent::Verdict::Refuse(why)) => {
                                *refused.lock().unwrap_or_else(|p| p.into_inner()) = Some(why);
                                return Ok(());
                            }
                            None => {
                                return Err(StepError {
                                    step: "create the database instance".to_owned(),
                                    error: "RDS reported that the instance exists, then that it \
                                            does not"
                                        .to_owned(),
                                    access_denied: false,
                                });
                            }
                        }
                    }
                },
            }
            instance_created.store(true, Ordering::SeqCst);
        }
        converge::wait_available(c, &desired.identifier, deadline, cancel).await?;
        if let Some(from) = restored_from
            && restore::crosses_major(desired.engine, &from, &desired.engine_version)
        {
            restore::upgrade_after_restore(c, &desired, deadline, cancel).await?;
        }
        settle(ctx, &desired, deadline, None).await
    };
    let outcome = run(ctx, work).await;
    if let Some(why) = refused.into_inner().unwrap_or_else(|p| p.into_inner()) {
        creating.refused(&mut d, CREATE_FAILED, &why);
        return stop(d);
    }
    if adopted && create_sent.load(Ordering::SeqCst) {
        creating.adopted(&mut d);
    }
    let created = if instance_created.load(Ordering::SeqCst) {
        Creation::Confirmed
    } else if create_sent.load(Ordering::SeqCst) {
        Creation::Unconfirmed(creating.lost_answer())
    } else {
        Creation::NotAttempted
    };
    let unconfirmed = matches!(created, Creation::Unconfirmed(_));
    let response = finish(desired, planned, outcome, d, ctx, "created", created).await;
    if response.new_state.is_null() && !unconfirmed {
        // AWS confirmed there is no instance: nothing to adopt later.
        creating.settle();
    }
    response
}

/// Whether `instance` is one this working directory started to create: only
/// its marker tag counts, since CreateDBInstance carries tags.
fn judge(creating: &create_intent::Creating, instance: &DbInstance) -> create_intent::Verdict {
    let marker = instance
        .tag_list()
        .iter()
        .find(|t| t.key() == Some(create_intent::MARKER_TAG))
        .and_then(|t| t.value());
    creating.verdict(marker, None, create_intent::Proof::Marker)
}

/// What the steps know about the instance's existence, for when the
/// read-back cannot tell.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Creation {
    /// RDS accepted the create (or the instance existed before: update).
    Confirmed,
    /// CreateDBInstance was sent and its answer never arrived (timeout,
    /// reset, interrupt): the instance may exist. With what the error says
    /// about it and what the next apply does.
    Unconfirmed(String),
    /// The create was never sent: no instance.
    NotAttempted,
}

async fn update(
    prior: Value,
    desired: Desired,
    planned: Value,
    mut d: Diagnostics,
    ctx: &Configured,
) -> ApplyResponse {
    let observed =
        match observe::observe(&ctx.clients, &desired.identifier, database_policy(ctx)).await {
            Ok(Some(o)) => o,
            Ok(None) => {
                d.error(
                    "Database no longer exists",
                    format!(
                        "The DB instance {} was deleted outside Terraform while this change was \
                     being applied. Run `terraform plan` again to recreate it.",
                        desired.identifier
                    ),
                );
                return ApplyResponse {
                    new_state: Value::Null,
                    diagnostics: d,
                };
            }
            Err(e) => {
                d.error(
                    "Could not read the database",
                    format!("{e}. Nothing was changed."),
                );
                return ApplyResponse {
                    new_state: prior,
                    diagnostics: d,
                };
            }
        };
    let deadline = Instant::now() + desired.timeouts.update;
    let c = &ctx.clients;
    let cancel = ctx.cancelled();
    let desired = match insights::with_monitoring_role(c, desired).await {
        Ok(with_role) => with_role,
        Err(e) => {
            fail(
                &mut d,
                "Database not fully configured",
                &e,
                "Nothing was changed. Fix the cause and apply again.",
            );
            return ApplyResponse {
                new_state: prior,
                diagnostics: d,
            };
        }
    };
    let work = async {
        converge::ensure_log_groups(c, &desired, &observed.log_groups, &desired.tags).await?;
        converge::ensure_parameter_group(c, &desired).await?;
        converge::ensure_option_group(c, &desired).await?;
        if !rds_settled(&observed) {
            converge::wait_available(c, &desired.identifier, deadline, cancel).await?;
        }
        converge::set_tags(c, &desired, &observed).await?;
        settle(ctx, &desired, deadline, Some(observed.clone())).await
    };
    let outcome = run(ctx, work).await;
    finish(
        desired,
        planned,
        outcome,
        d,
        ctx,
        "updated",
        Creation::Confirmed,
    )
    .await
}

fn rds_settled(o: &Observed) -> bool {
    o.status == "available"
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
    creation: Creation,
) -> ApplyResponse {
    // The read-back is cancelled by StopProvider too; then it is unknown.
    let observed = tokio::select! {
        r = observe::observe(&ctx.clients, &desired.identifier, database_policy(ctx)) => Some(r),
        _ = ctx.cancelled().cancelled() => None,
    };
    let read_back_failed = !matches!(observed, Some(Ok(_)));
    // When the read-back itself fails, trust what the steps did.
    let exists = match &observed {
        Some(Ok(found)) => found.is_some(),
        _ => matches!(creation, Creation::Confirmed),
    };
    let lost_answer = match &creation {
        Creation::Unconfirmed(text) if read_back_failed => Some(text.as_str()),
        _ => None,
    };
    let maybe = lost_answer.is_some();
    let consequence = if let Some(text) = lost_answer {
        text
    } else if exists {
        "The database exists but is NOT fully secured. Terraform keeps it in state (tainted on \
         create); the enforced map shows which settings are missing. Fix the cause (often a \
         missing IAM permission), then run `terraform untaint` on this resource and apply: the \
         update finishes the configuration in place. (Deletion protection keeps Terraform from \
         replacing a tainted database that may already hold data.)"
    } else {
        "No database instance was created. Log groups and the parameter group created so far \
         hold no data and are adopted by the next apply. Fix the cause and apply again."
    };
    match &outcome {
        Err(Some(e)) => fail(&mut d, "Database not fully configured", e, consequence),
        Err(None) => d.error(
            "Interrupted",
            format!("Terraform was interrupted while the database was being {verb}. {consequence}"),
        ),
        Ok(()) => {}
    }
    let observed = match observed {
        Some(Ok(Some(o))) => o,
        Some(Ok(None)) => {
            if outcome.is_ok() {
                d.error(
                    "Database not found after apply",
                    format!(
                        "RDS reports no instance {} right after it was {verb}.",
                        desired.identifier
                    ),
                );
            }
            return ApplyResponse {
                new_state: Value::Null,
                diagnostics: d,
            };
        }
        Some(Err(_)) | None if outcome.is_err() || maybe => {
            // The step's error (or the "may have been created" one) is the
            // one diagnostic: a read-back that failed too adds nothing.
            if !exists {
                return ApplyResponse {
                    new_state: Value::Null,
                    diagnostics: d,
                };
            }
            Observed::default()
        }
        other => {
            let why = match other {
                Some(Err(e)) => e.to_string(),
                _ => "Terraform was interrupted".to_owned(),
            };
            d.error(
                "Could not read back the database",
                format!("{why}. The database was {verb}, but its settings could not be confirmed."),
            );
            if !exists {
                return ApplyResponse {
                    new_state: Value::Null,
                    diagnostics: d,
                };
            }
            Observed::default()
        }
    };
    if outcome.is_ok() && !read_back_failed {
        apply_gate::settings_not_in_effect(
            &mut d,
            "Database",
            "database",
            verb,
            &desired.enforced(),
            &observed.enforced,
            consequence,
        );
    }
    ApplyResponse {
        new_state: state_after_apply(planned, &observed),
        diagnostics: d,
    }
}

/// The planned values for every argument (Terraform requires them back
/// unchanged), with the computed ones from what AWS reports.
fn state_after_apply(planned: Value, o: &Observed) -> Value {
    let Value::Map(mut entries) = planned else {
        return planned;
    };
    set_computed(&mut entries, o);
    Value::Map(entries)
}

fn set_computed(entries: &mut BTreeMap<String, Value>, o: &Observed) {
    entries.insert("arn".to_owned(), Value::opt_string(o.arn.clone()));
    entries.insert("address".to_owned(), Value::opt_string(o.address.clone()));
    entries.insert("port".to_owned(), o.port.map_or(Value::Null, Value::number));
    entries.insert(
        "master_user_secret_arn".to_owned(),
        Value::opt_string(o.secret_arn.clone()),
    );
    entries.insert(
        "engine_version_actual".to_owned(),
        Value::string(&o.engine_version),
    );
    entries.insert(
        "enforced".to_owned(),
        crate::resources::enforced::state_value(&o.enforced),
    );
}

async fn destroy(prior: Value, ctx: &Configured) -> ApplyResponse {
    let mut d = Diagnostics::new();
    let Some(identifier) = prior.get("identifier").as_str().map(str::to_owned) else {
        return ApplyResponse {
            new_state: Value::Null,
            diagnostics: d,
        };
    };
    create_intent::settled(INTENT_KIND, &identifier);
    let timeout = super::timeouts_from(&prior).unwrap_or_default().delete;
    let outcome = run(ctx, async {
        converge::delete(
            &ctx.clients,
            &identifier,
            Instant::now() + timeout,
            ctx.cancelled(),
        )
        .await
        .map(|snapshot| tracing::info!(identifier, snapshot, "database deleted"))
    })
    .await;
    match outcome {
        Ok(()) => ApplyResponse {
            new_state: Value::Null,
            diagnostics: d,
        },
        Err(e) => {
            let still_there = !matches!(
                crate::aws::rds::describe_instance(&ctx.clients.rds, &identifier).await,
                Ok(None)
            );
            match e {
                Some(e) => fail(
                    &mut d,
                    "Could not delete the database",
                    &e,
                    if still_there {
                        "The database is kept in state. If deletion protection is on in AWS, \
                         set `deletion_protection = false` and apply first."
                    } else {
                        "The instance is gone (its final snapshot was requested)."
                    },
                ),
                None => d.error(
                    "Interrupted",
                    "Terraform was interrupted while the database was being deleted; RDS may \
                     still be deleting it. Run `terraform plan` to see what remains.",
                ),
            }
            ApplyResponse {
                new_state: if still_there { prior } else { Value::Null },
                diagnostics: d,
            }
        }
    }
}

pub async fn read(state: Value, ctx: &Configured) -> ReadResponse {
    // A database Terraform refreshes is in its state: an intent to create
    // it has done its job.
    if let Some(identifier) = state.get("identifier").as_str() {
        create_intent::settled(INTENT_KIND, identifier);
    }
    refresh::read(
        state,
        "identifier",
        "the database",
        |identifier| async move {
            observe::observe(&ctx.clients, &identifier, database_policy(ctx)).await
        },
        |state, o| refreshed(state, &o),
    )
    .await
}

/// The state with every setting a user may tune replaced by what AWS
/// reports, so drift shows in the next plan.
fn refreshed(state: Value, o: &Observed) -> Value {
    let Value::Map(mut e) = state else {
        return state;
    };
    // An import leaves these null where the default is what the user would
    // write (see `leave_defaults_out`); a refresh keeps them null until the
    // first apply sets them, so the generated configuration leaves them out.
    // Every other state holds them (plan fills in the defaults).
    let mut observe = |name: &str, value: Value| {
        if !matches!(e.get(name), Some(Value::Null)) {
            e.insert(name.to_owned(), value);
        }
    };
    observe(
        "backup_retention_days",
        Value::number(o.backup_retention_days),
    );
    observe("multi_az", Value::Bool(o.multi_az));
    observe("deletion_protection", Value::Bool(o.deletion_protection));
    e.insert(
        "instance_class".to_owned(),
        Value::string(&o.instance_class),
    );
    // Storage autoscaling only grows storage: show a shrink, never a growth.
    if e.get("allocated_storage_gb")
        .and_then(Value::as_i64)
        .is_none_or(|s| o.allocated_storage_gb < s)
    {
        e.insert(
            "allocated_storage_gb".to_owned(),
            Value::number(o.allocated_storage_gb),
        );
    }
    if o.publicly_accessible {
        e.insert("publicly_accessible".to_owned(), Value::Bool(true));
    }
    if e.get("db_subnet_group_name").is_some_and(|v| !v.is_null()) {
        e.insert(
            "db_subnet_group_name".to_owned(),
            Value::opt_string(o.db_subnet_group_name.clone()),
        );
    }
    if e.get("vpc_security_group_ids")
        .is_some_and(|v| !v.is_null())
    {
        e.insert(
            "vpc_security_group_ids".to_owned(),
            Value::List(o.vpc_security_group_ids.iter().map(Value::string).collect()),
        );
    }
    let tags = refresh::refreshed_tags(e.get("tags"), &o.tags);
    e.insert("tags".to_owned(), tags);
    set_computed(&mut e, o);
    Value::Map(e)
}

/// The imported state with each optional argument whose value is its
/// default, or one the policy refuses, set to null: the configuration
/// Terraform generates from it leaves them out, and the plan shows the
/// default (see `resources::import_config`).
pub async fn leave_defaults_out(state: Value, ctx: &Configured) -> Value {
    let Value::Map(mut e) = state else {
        return state;
    };
    let policy = ctx.policy();
    let violations = phi_policy::checks::database::check(
        &super::policy_config(&Value::Map(e.clone()), policy),
        &ctx.policy_context().await,
        policy,
    );
    let mut defaults = super::defaults(policy).to_vec();
    defaults.push(("publicly_accessible", Value::Bool(false)));
    crate::resources::import_config::leave_defaults_out(&mut e, &defaults, &violations);
    Value::Map(e)
}

pub async fn import(id: &str, ctx: &Configured) -> ImportResponse {
    let mut d = Diagnostics::new();
    match observe::observe(&ctx.clients, id, database_policy(ctx)).await {
        Ok(Some(o)) => {
            create_intent::settled(INTENT_KIND, id);
            let mut e: BTreeMap<String, Value> = [
                ("id", Value::string(id)),
                ("identifier", Value::string(id)),
                ("engine", Value::string(&o.engine_name)),
                ("engine_version", Value::string(&o.engine_version)),
                (
                    "kms_key_arn",
                    if o.storage_encrypted {
                        crate::resources::import_config::key_arn_or_null(o.kms_key_id.as_deref())
                    } else {
                        Value::Null
                    },
                ),
                ("master_username", Value::string(&o.master_username)),
                (
                    "allocated_storage_gb",
                    Value::number(o.allocated_storage_gb),
                ),
                (
                    "publicly_accessible",
                    if o.publicly_accessible {
                        Value::Bool(true)
                    } else {
                        Value::Null
                    },
                ),
                (
                    "db_subnet_group_name",
                    Value::opt_string(o.db_subnet_group_name.clone()),
                ),
                (
                    "parameter_group_name",
                    Value::string(desired::parameter_group_name(id)),
                ),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect();
            e.insert(
                "vpc_security_group_ids".to_owned(),
                if o.vpc_security_group_ids.is_empty() {
                    Value::Null
                } else {
                    Value::List(o.vpc_security_group_ids.iter().map(Value::string).collect())
                },
            );
            let state = super::super::conform(&super::schema(), refreshed(Value::Map(e), &o));
            ImportResponse {
                state: Some(leave_defaults_out(state, ctx).await),
                diagnostics: d,
            }
        }
        Ok(None) => {
            d.error(
                "Nothing to import",
                format!(
                    "There is no DB instance {id:?} in {}. The import ID of a phi_database is \
                     its DB instance identifier.",
                    ctx.region
                ),
            );
            ImportResponse {
                state: None,
                diagnostics: d,
            }
        }
        Err(e) => {
            d.error("Could not import the database", format!("{e}."));
            ImportResponse {
                state: None,
                diagnostics: d,
            }
        }
    }
}
