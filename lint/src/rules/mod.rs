//! The rules. Each module checks one concern over one module instance, with
//! values already evaluated in that instance's context ([`crate::instance`]).
//! Every rule's control has a page in `docs/controls/` (`phi-lint explain`).

pub mod module_sources;
pub mod phi_attributes;
pub mod provider_pinning;
pub mod raw_resources;
pub mod regions;
pub mod version_constraint;

use phi_policy::{Policy, ids};

use crate::eval::Value;
use crate::finding::Finding;
use crate::instance::Instance;
use crate::ir::Attr;
use crate::source::SourceFile;

/// Runs every rule on one instance.
pub fn run(instance: &Instance, policy: &Policy) -> Vec<Finding> {
    let mut out = regions::check(instance, policy);
    out.extend(phi_attributes::check(instance, policy));
    out.extend(raw_resources::check(instance, policy));
    out.extend(module_sources::check(instance, policy));
    out.extend(provider_pinning::check(instance, policy));
    out.into_iter()
        .map(|f| f.in_module(&instance.address))
        .collect()
}

/// The PHI-LNT-001 finding for a value that could not be known.
pub fn unverifiable(file: &SourceFile, what: &str, attr: &Attr, value: &Value) -> Finding {
    let why = value.unknown_reason().unwrap_or("an unknown value");
    Finding::new(
        ids::LINT_UNVERIFIABLE,
        &file.path,
        attr.at,
        format!(
            "{what}: `{} = {}` could not be verified from the source: {}",
            attr.name,
            attr.source_text(&file.text),
            reason_text(why)
        ),
    )
}

/// Why a value is unknown, in words for a message: what it depends on, or,
/// for an expression that fails to evaluate, what fails (the evaluator's
/// `error:` marker is internal and never shown).
pub fn reason_text(why: &str) -> String {
    match why.strip_prefix("error:") {
        Some(problem) => format!("evaluating it fails ({})", problem.trim()),
        None => format!("it depends on {why}"),
    }
}
