//! The frame every resource's Read shares, written once so that each
//! resource behaves the same when its object is gone or AWS cannot be asked:
//! a state without its id is kept as it is, an object that no longer exists
//! is removed from state (Terraform then plans to create it again), and an
//! error keeps the last known state rather than dropping the resource.

use std::collections::BTreeMap;
use std::future::Future;

use crate::aws::AwsError;
use crate::diagnostics::Diagnostics;
use crate::resources::ReadResponse;
use crate::value::Value;

/// Reads the object whose id is in attribute `id_attribute` of `state`.
/// `observe` asks AWS (`Ok(None)`: it no longer exists); `refreshed` writes
/// what it saw into the state. `what` names the object in the error
/// ("the database").
pub async fn read<O, Observe, Observing>(
    state: Value,
    id_attribute: &str,
    what: &str,
    observe: Observe,
    refreshed: impl FnOnce(Value, O) -> Value,
) -> ReadResponse
where
    Observe: FnOnce(String) -> Observing,
    Observing: Future<Output = Result<Option<O>, AwsError>>,
{
    let mut d = Diagnostics::new();
    let Some(id) = state.get(id_attribute).as_str().map(str::to_owned) else {
        return ReadResponse {
            new_state: state,
            diagnostics: d,
        };
    };
    match observe(id).await {
        Ok(None) => ReadResponse {
            new_state: Value::Null,
            diagnostics: d,
        },
        Ok(Some(o)) => ReadResponse {
            new_state: refreshed(state, o),
            diagnostics: d,
        },
        Err(e) => {
            d.error(
                format!("Could not refresh {what}"),
                format!("{e}. The last known state is kept."),
            );
            ReadResponse {
                new_state: state,
                diagnostics: d,
            }
        }
    }
}

/// The `tags` to keep in state given the tags AWS reports: null stays null
/// while AWS has none (a configuration without tags shows no change),
/// otherwise exactly AWS's tags, so tags changed outside Terraform show in
/// the next plan.
pub fn refreshed_tags(in_state: Option<&Value>, observed: &BTreeMap<String, String>) -> Value {
    if observed.is_empty() && in_state.is_none_or(Value::is_null) {
        Value::Null
    } else {
        Value::from_string_map(observed)
    }
}
