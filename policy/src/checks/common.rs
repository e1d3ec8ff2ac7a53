//! Checks every resource makes in the same way on attributes of the same
//! name (`kms_key_arn`, `tags`) and on the provider's region, written once so
//! that a control reads the same on every resource. `None` means "not known
//! yet": nothing is checked.

use std::collections::BTreeMap;

use crate::document::Policy;
use crate::violation::{Context, Violation};

/// PHI-KMS-*: the static checks on the key reference in `kms_key_arn`.
pub(crate) fn key_arn(arn: Option<&str>, ctx: &Context, policy: &Policy) -> Vec<Violation> {
    match arn {
        Some(arn) => crate::kms::check_key_reference(arn, ctx, policy, &["kms_key_arn".to_owned()]),
        None => Vec::new(),
    }
}

/// PHI-TAG-001: the tags the policy requires, in `tags`.
pub(crate) fn tags(tags: Option<&BTreeMap<String, String>>, policy: &Policy) -> Option<Violation> {
    super::tags::check_required_tags(tags?, policy, &["tags".to_owned()])
}

/// The provider's region must be approved. Empty before the provider is
/// configured (validation), when it is checked later.
pub(crate) fn region(ctx: &Context, policy: &Policy) -> Option<Violation> {
    if ctx.region.is_empty() {
        return None;
    }
    super::region::check_region(&ctx.region, policy, &[])
}
