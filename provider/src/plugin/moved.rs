//! The MoveResourceState RPC and the guard on the first plan after a move.
//!
//! The mapping itself is in [`crate::resources::move_from_aws`]; this
//! module decodes the request, encodes the answer, and marks the moved
//! state in the resource's private data so that [`refuse_replacement`] can
//! recognise the first plan after the move (Terraform hands the private
//! data through ReadResource to PlanResourceChange; our ApplyResourceChange
//! returns none, so the mark ends with the first apply).

use std::collections::HashMap;
use std::sync::Arc;

use crate::diagnostics::{Diagnostics, Step};
use crate::proto::tfplugin6 as pb;
use crate::resources::move_from_aws::{self, MOVED_MARKER, MoveRequest};
use crate::resources::{PlanResponse, Resource};
use crate::value;

/// Answers MoveResourceState: the moved state, or diagnostics and no state.
pub fn move_resource_state(
    resources: &HashMap<&'static str, Arc<dyn Resource>>,
    request: pb::move_resource_state::Request,
    region: Option<&str>,
) -> pb::move_resource_state::Response {
    let mut d = Diagnostics::new();
    let Some(target) = resources.get(request.target_type_name.as_str()) else {
        d.error(
            "Unknown resource type",
            format!(
                "The phi provider has no resource type {:?} to move into.",
                request.target_type_name
            ),
        );
        return refused(d);
    };
    let json = request
        .source_state
        .as_ref()
        .map(|s| s.json.as_slice())
        .unwrap_or_default();
    if json.is_empty() {
        d.error(
            "Unsupported source state",
            format!(
                "Terraform sent the state of the {} being moved without its JSON form, which \
                 the phi provider needs. Use Terraform 1.8 or newer. Nothing was changed.",
                request.source_type_name
            ),
        );
        return refused(d);
    }
    let moved = move_from_aws::move_state(
        &MoveRequest {
            source_provider_address: &request.source_provider_address,
            source_type_name: &request.source_type_name,
            source_state_json: json,
            target_type_name: &request.target_type_name,
        },
        target.schema(),
        region,
    );
    match moved {
        Ok(state) => {
            tracing::info!(
                source = %request.source_type_name,
                target = %request.target_type_name,
                "moved state from the aws provider"
            );
            pb::move_resource_state::Response {
                target_state: Some(pb::DynamicValue {
                    msgpack: value::encode_msgpack(&state),
                    json: Vec::new(),
                }),
                diagnostics: Vec::new(),
                target_private: MOVED_MARKER.to_vec(),
                target_identity: None,
            }
        }
        Err(d) => refused(d),
    }
}

fn refused(d: Diagnostics) -> pb::move_resource_state::Response {
    pb::move_resource_state::Response {
        diagnostics: d.into_proto(),
        ..Default::default()
    }
}

/// The first plan after a move never replaces: an argument that differs
/// from what the moved bucket or database has (its name, a database's
/// engine, key or master user) is an error naming it, not a replacement
/// that would delete the data.
pub fn refuse_replacement(type_name: &str, plan: &mut PlanResponse) {
    if plan.requires_replace.is_empty() {
        return;
    }
    let attributes: Vec<String> = plan
        .requires_replace
        .iter()
        .filter_map(|p| match p.first() {
            Some(Step::Attr(name)) => Some(name.clone()),
            _ => None,
        })
        .collect();
    for name in &attributes {
        plan.diagnostics.error_at(
            &crate::diagnostics::attr(name),
            format!("Moving into {type_name} would replace it"),
            format!(
                "This {type_name} was just moved from the aws provider, and its configured \
                 `{name}` differs from what the existing object has, which would replace it \
                 (delete and recreate). A move never replaces: set `{name}` to the value the \
                 object has now (see `terraform state show` of the aws resource before the \
                 move), then plan again. Nothing was changed."
            ),
        );
    }
    plan.requires_replace.clear();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::Value;

    fn resources() -> HashMap<&'static str, Arc<dyn Resource>> {
        crate::resources::registry()
            .into_iter()
            .map(|r| (r.type_name(), r))
            .collect()
    }

    fn request(json: &[u8], source: &str, target: &str) -> pb::move_resource_state::Request {
        pb::move_resource_state::Request {
            source_provider_address: "registry.terraform.io/hashicorp/aws".to_owned(),
            source_type_name: source.to_owned(),
            source_schema_version: 0,
            source_state: Some(pb::RawState {
                json: json.to_vec(),
                flatmap: Default::default(),
            }),
            target_type_name: target.to_owned(),
            ..Default::default()
        }
    }

    #[test]
    fn a_moved_bucket_is_encoded_and_marked() {
        let json = br#"{"bucket":"acme-ehr-records","arn":"arn:aws:s3:::acme-ehr-records"}"#;
        let response = move_resource_state(
            &resources(),
            request(json, "aws_s3_bucket", "phi_bucket"),
            None,
        );
        assert!(response.diagnostics.is_empty());
        assert_eq!(response.target_private, MOVED_MARKER);
        let state = value::decode_msgpack(&response.target_state.unwrap().msgpack).unwrap();
        assert_eq!(state.get("name"), &Value::string("acme-ehr-records"));
    }

    #[test]
    fn a_refusal_returns_no_state() {
        let response = move_resource_state(
            &resources(),
            request(b"{}", "aws_instance", "phi_bucket"),
            None,
        );
        assert!(response.target_state.is_none());
        assert_eq!(response.diagnostics.len(), 1);
        let response = move_resource_state(
            &resources(),
            request(b"", "aws_s3_bucket", "phi_bucket"),
            None,
        );
        assert!(response.target_state.is_none());
        assert!(response.diagnostics[0].detail.contains("Terraform 1.8"));
    }

    #[test]
    fn a_replacement_after_a_move_becomes_an_error_per_attribute() {
        let mut plan = PlanResponse {
            planned: Value::Null,
            requires_replace: vec![
                crate::diagnostics::attr("master_username"),
                crate::diagnostics::attr("kms_key_arn"),
            ],
            diagnostics: Diagnostics::new(),
        };
        refuse_replacement("phi_database", &mut plan);
        assert!(plan.requires_replace.is_empty());
        let details: Vec<&str> = plan.diagnostics.iter().map(|d| d.detail.as_str()).collect();
        assert_eq!(details.len(), 2);
        assert!(details[0].contains("`master_username`"), "{details:?}");
        assert!(details[1].contains("`kms_key_arn`"), "{details:?}");
        assert!(plan.diagnostics.has_errors());
    }

    #[test]
    fn an_update_after_a_move_passes_untouched() {
        let mut plan = PlanResponse::default();
        refuse_replacement("phi_bucket", &mut plan);
        assert!(!plan.diagnostics.has_errors());
    }
}
