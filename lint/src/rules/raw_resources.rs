//! PHI-LNT-003: raw AWS resources that would hold PHI without the controls
//! the phi resources enforce, outside the modules the policy approves. The
//! list is the policy's `raw_resource_types`.

use phi_policy::{Policy, ids};

use crate::finding::Finding;
use crate::instance::Instance;

pub fn check(instance: &Instance, policy: &Policy) -> Vec<Finding> {
    if instance.in_approved_module {
        return Vec::new();
    }
    instance
        .module
        .blocks()
        .filter(|(_, b)| b.ident == "resource")
        .filter_map(|(file, b)| {
            let ty = b.label(0)?;
            let name = b.label(1).unwrap_or("?");
            policy.is_raw_resource(ty).then(|| {
                Finding::new(
                    ids::LINT_RAW_RESOURCE,
                    &file.path,
                    b.at,
                    format!(
                        "resource \"{ty}\" \"{name}\" bypasses the compliant phi resources; use \
                         phi_bucket, phi_database or phi_audit_log_sink (or an approved module)"
                    ),
                )
            })
        })
        .collect()
}
