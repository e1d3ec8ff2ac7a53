//! PHI-REG-001 on the source: every `provider "aws"` and `provider "phi"`
//! block, and every resource-level `region` argument (AWS provider v6).

use hcl_edit::Span;
use hcl_edit::structure::{Block, Body};
use phi_policy::{Policy, ids};

use super::literal::{Known, read};
use crate::finding::Finding;
use crate::source::SourceFile;

fn label(block: &Block, i: usize) -> Option<&str> {
    block.labels.get(i).map(|l| l.as_str())
}

pub fn check(file: &SourceFile, body: &Body, policy: &Policy) -> Vec<Finding> {
    let mut out = Vec::new();
    for block in body.blocks() {
        let what = match (block.ident.as_str(), label(block, 0)) {
            ("provider", Some(p @ ("aws" | "phi"))) => format!("provider \"{p}\""),
            ("resource", Some(ty)) if ty.starts_with("aws_") || ty.starts_with("phi_") => {
                format!("resource \"{ty}\" \"{}\"", label(block, 1).unwrap_or("?"))
            }
            _ => continue,
        };
        let Some(attr) = block.body.get_attribute("region") else {
            continue;
        };
        let at = file.span_position(attr.value.span());
        match read(&attr.value, &file.text) {
            Known::String(region) => {
                if let Some(v) = phi_policy::checks::region::check_region(&region, policy, &[]) {
                    out.push(Finding::new(
                        ids::REGION_APPROVED,
                        &file.path,
                        at,
                        format!("{what}: {}", v.message),
                    ));
                }
            }
            Known::Unknown(expr) => out.push(Finding::new(
                ids::LINT_UNVERIFIABLE,
                &file.path,
                at,
                format!("{what}: the region `{expr}` could not be verified from the source"),
            )),
            _ => {}
        }
    }
    out
}
