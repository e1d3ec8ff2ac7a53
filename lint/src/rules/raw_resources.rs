//! PHI-LNT-003: raw AWS resources that would hold PHI without the controls
//! the phi resources enforce. The list is the policy's `raw_resource_types`.

use hcl_edit::Span;
use hcl_edit::structure::Body;
use phi_policy::{Policy, ids};

use crate::finding::Finding;
use crate::source::SourceFile;

pub fn check(file: &SourceFile, body: &Body, policy: &Policy) -> Vec<Finding> {
    body.blocks()
        .filter(|b| b.ident.as_str() == "resource")
        .filter_map(|b| {
            let ty = b.labels.first()?.as_str();
            let name = b.labels.get(1).map_or("?", |l| l.as_str());
            policy.is_raw_resource(ty).then(|| {
                Finding::new(
                    ids::LINT_RAW_RESOURCE,
                    &file.path,
                    file.span_position(b.ident.span()),
                    format!(
                        "resource \"{ty}\" \"{name}\" bypasses the compliant phi resources; use \
                         phi_bucket, phi_database or phi_audit_log_sink (or an approved module)"
                    ),
                )
            })
        })
        .collect()
}
