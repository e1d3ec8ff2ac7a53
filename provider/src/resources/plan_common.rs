//! Pieces of PlanResourceChange every resource shares.

use std::collections::BTreeMap;

use crate::diagnostics::Diagnostics;
use crate::resources::PlanResponse;
use crate::value::Value;

/// Terraform proposes the prior value for an optional argument the
/// configuration omits. For an argument with a default the default must
/// win, or a weaker setting (imported, or turned off once) would silently
/// stay: each of `defaults` is planned as configured, or as its default
/// when the configuration leaves it null.
pub fn defaults_win(
    planned: &mut BTreeMap<String, Value>,
    config: &Value,
    defaults: impl IntoIterator<Item = (&'static str, Value)>,
) {
    for (name, default) in defaults {
        let value = match config.get(name) {
            Value::Null => default,
            configured => configured.clone(),
        };
        planned.insert(name.to_owned(), value);
    }
}

/// The answer when Terraform proposes a state that is not an object: the
/// checks' diagnostics and an error, nothing planned.
pub fn not_an_object(mut diagnostics: Diagnostics) -> PlanResponse {
    diagnostics.error(
        "Unexpected proposed state",
        "Terraform proposed a state that is not an object; please report this.",
    );
    PlanResponse {
        diagnostics,
        ..Default::default()
    }
}
