//! The start and the end every resource's apply shares, so the rules that
//! keep PHI safe are written once. At the start: an interrupted run changes
//! nothing, a destroy goes to the resource's own delete, and a create or
//! update happens only after every check has passed again with the values
//! known now (plan may have seen some of them as unknown) and every argument
//! is known. At the end: every always-on setting AWS does not report as
//! required is an error, even when every step succeeded.

use std::collections::BTreeMap;
use std::future::Future;

use crate::configured::Configured;
use crate::diagnostics::Diagnostics;
use crate::resources::{ApplyRequest, ApplyResponse};
use crate::value::Value;

/// What the apply does after the gate.
pub enum Gate<D> {
    /// Terraform destroys the object; `prior` is its state.
    Destroy { prior: Value },
    /// Every check passed and every argument is known: create (when `prior`
    /// is null) or update.
    Write(Write<D>),
    /// Nothing may change (interrupted, refused by a check, or arguments
    /// still unknown): return this response as it is.
    Stop(ApplyResponse),
}

/// A create or update the checks allowed.
pub struct Write<D> {
    pub prior: Value,
    pub planned: Value,
    pub desired: D,
    /// What the checks reported (warnings only), to carry into the result.
    pub checks: Diagnostics,
}

/// Decides what `request` may do. `noun` names the resource in the error
/// for arguments still unknown ("sink", "bucket", …); `full_checks` runs the
/// resource's checks at apply on the configuration; `desired_from` reads
/// the desired resource from the planned state, `None` while any of it is
/// unknown.
pub async fn gate<D, Checks, Checked>(
    request: ApplyRequest,
    ctx: &Configured,
    noun: &str,
    full_checks: Checks,
    desired_from: impl FnOnce(&Value) -> Option<D>,
) -> Gate<D>
where
    Checks: FnOnce(Value) -> Checked,
    Checked: Future<Output = Diagnostics>,
{
    let ApplyRequest {
        prior,
        planned,
        config,
    } = request;
    if ctx.cancelled().is_cancelled() {
        let mut d = Diagnostics::new();
        d.error(
            "Interrupted",
            "Terraform was interrupted before this change started; nothing was changed.",
        );
        return Gate::Stop(ApplyResponse {
            new_state: prior,
            diagnostics: d,
        });
    }
    if planned.is_null() {
        return Gate::Destroy { prior };
    }
    // Values unknown at plan are known now: check everything again, and the
    // key's current state, before creating or changing anything.
    let checks = full_checks(config).await;
    if checks.has_errors() {
        return Gate::Stop(ApplyResponse {
            new_state: prior,
            diagnostics: checks,
        });
    }
    let Some(desired) = desired_from(&planned) else {
        let mut d = checks;
        d.error(
            "Configuration still unknown at apply",
            format!(
                "Some arguments of this {noun} were still unknown when it was applied. This \
                 should not happen; please report it with the plan output."
            ),
        );
        return Gate::Stop(ApplyResponse {
            new_state: prior,
            diagnostics: d,
        });
    };
    Gate::Write(Write {
        prior,
        planned,
        desired,
        checks,
    })
}

/// After a create or update whose steps all succeeded: reports as one error
/// every always-on setting AWS does not show as `want` says, so a setting
/// that silently did not take effect is never taken for done. `title` and
/// `noun` name the resource ("Audit sink", "sink"), `verb` what happened
/// ("created"), `consequence` what the user must know and do.
pub fn settings_not_in_effect(
    d: &mut Diagnostics,
    title: &str,
    noun: &str,
    verb: &str,
    want: &BTreeMap<String, String>,
    observed: &BTreeMap<String, String>,
    consequence: &str,
) {
    let off: Vec<String> = want
        .iter()
        .filter(|(k, v)| observed.get(*k) != Some(*v))
        .map(|(k, v)| {
            format!(
                "{k}: wanted {v:?}, AWS reports {:?}",
                observed.get(k).map_or("nothing", String::as_str)
            )
        })
        .collect();
    if !off.is_empty() {
        d.error(
            format!("{title} settings did not take effect"),
            format!(
                "After the {noun} was {verb}, AWS reports settings that differ from what was \
                 applied:\n  {}\n\n{consequence}",
                off.join("\n  ")
            ),
        );
    }
}
