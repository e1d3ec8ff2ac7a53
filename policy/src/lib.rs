//! The phi-guard control catalogue and organisation policy.
//!
//! One crate, used by both the provider and the linter, so a control can never
//! say one thing at plan time and another in CI. Everything here is a pure
//! function of its inputs: no AWS, no I/O beyond reading a policy file.

pub mod arguments;
pub mod catalogue;
pub mod checks;
pub mod docs;
pub mod document;
pub mod effective;
pub mod engines;
pub mod exceptions;
pub mod key_policy;
pub mod kms;
pub mod ledger;
pub mod regions;
pub mod source;
pub mod violation;

pub use catalogue::{Control, Enforcement, Severity, control, controls, ids};
pub use document::{Policy, PolicyError};
pub use exceptions::{Exception, Outcome, apply_exceptions};
pub use violation::{AttrPath, Context, Violation};
