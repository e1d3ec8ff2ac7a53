//! The rules. Each module checks one concern; all of them share the value
//! reading in [`literal`], which decides what is known from the source.

pub mod literal;
pub mod module_sources;
pub mod phi_attributes;
pub mod raw_resources;
pub mod regions;

use hcl_edit::structure::Body;
use phi_policy::Policy;

use crate::finding::Finding;
use crate::source::SourceFile;

pub fn run(file: &SourceFile, body: &Body, policy: &Policy) -> Vec<Finding> {
    let mut out = regions::check(file, body, policy);
    out.extend(phi_attributes::check(file, body, policy));
    out.extend(raw_resources::check(file, body, policy));
    out.extend(module_sources::check(file, body, policy));
    out
}
