//! Resource identity (plugin protocol 6.9+): for `phi_bucket`,
//! `phi_database` and `phi_audit_log_sink`, the account, the region and the
//! bucket name, DB instance identifier or sink name. Terraform keeps it next
//! to the state, checks that it never changes outside a replacement, and
//! takes it in `import { to = ...  identity = { ... } }` instead of an id.
//!
//! DESIGN: the identity is derived, never stored by the provider: from the
//! resource's state (its name), the provider's region and the account STS
//! reports. It therefore survives every refresh unchanged, and an identity
//! naming another account or region than the provider's is refused at
//! import instead of silently importing a namesake.

use std::collections::HashMap;

use crate::diagnostics::Diagnostics;
use crate::proto::tfplugin6 as pb;
use crate::value::{self, Value};

/// The identity schema version; bump it (and add an upgrade) when the
/// attributes change.
pub const VERSION: i64 = 0;

/// The resources with an identity, with the state attribute that names the
/// object and how to describe it.
const IDENTIFIED: &[(&str, &str, &str)] = &[
    ("phi_bucket", "name", "The bucket name."),
    ("phi_database", "identifier", "The DB instance identifier."),
    (
        "phi_audit_log_sink",
        "name",
        "The sink name (the name of its archive bucket).",
    ),
];

/// The state attribute that names an object of `type_name`, when the type
/// has an identity.
pub fn name_attribute(type_name: &str) -> Option<&'static str> {
    IDENTIFIED
        .iter()
        .find(|(t, _, _)| *t == type_name)
        .map(|(_, name, _)| *name)
}

/// GetResourceIdentitySchemas: the three attributes of each identity; only
/// the name is required at import, account and region default to the
/// provider's.
pub fn schemas() -> HashMap<String, pb::ResourceIdentitySchema> {
    let attribute = |name: &str, required: bool, description: &str| {
        pb::resource_identity_schema::IdentityAttribute {
            name: name.to_owned(),
            r#type: br#""string""#.to_vec(),
            required_for_import: required,
            optional_for_import: !required,
            description: description.to_owned(),
        }
    };
    IDENTIFIED
        .iter()
        .map(|(type_name, name, description)| {
            (
                (*type_name).to_owned(),
                pb::ResourceIdentitySchema {
                    version: VERSION,
                    identity_attributes: vec![
                        attribute(
                            "account_id",
                            false,
                            "The AWS account (defaults to the provider's credentials' account).",
                        ),
                        attribute(
                            "region",
                            false,
                            "The AWS region (defaults to the provider's region).",
                        ),
                        attribute(name, true, description),
                    ],
                },
            )
        })
        .collect()
}

/// The identity of a resource whose state (or planned state) is `state`.
/// `None` for a type without identity, a null state (destroyed), or when a
/// part is not known and `allow_unknown` is false: Terraform accepts an
/// unknown part only in the plan of a create or replacement.
pub fn of_state(
    type_name: &str,
    state: &Value,
    account: Option<&str>,
    region: &str,
    allow_unknown: bool,
) -> Option<pb::ResourceIdentityData> {
    let name_attr = name_attribute(type_name)?;
    if !matches!(state, Value::Map(_)) {
        return None;
    }
    let name = state.get(name_attr).clone();
    let account = account.map_or(Value::Unknown, Value::string);
    if !allow_unknown && (name.is_unknown() || account.is_unknown()) {
        return None;
    }
    if name.is_null() {
        return None;
    }
    let identity = Value::Map(
        [
            ("account_id".to_owned(), account),
            ("region".to_owned(), Value::string(region)),
            (name_attr.to_owned(), name),
        ]
        .into_iter()
        .collect(),
    );
    Some(pb::ResourceIdentityData {
        identity_data: Some(pb::DynamicValue {
            msgpack: value::encode_msgpack(&identity),
            json: Vec::new(),
        }),
    })
}

/// The import ID that an identity from an `import` block names: its name,
/// once its account and region (when given) are the provider's.
pub fn import_id(
    type_name: &str,
    identity: &pb::ResourceIdentityData,
    account: Option<&str>,
    region: &str,
) -> Result<String, Diagnostics> {
    let mut d = Diagnostics::new();
    let Some(name_attr) = name_attribute(type_name) else {
        d.error(
            "Import by identity not supported",
            format!("{type_name} has no resource identity; import it by ID."),
        );
        return Err(d);
    };
    let data = identity.identity_data.as_ref();
    let decoded = match data {
        Some(dv) if !dv.msgpack.is_empty() => value::decode_msgpack(&dv.msgpack),
        Some(dv) if !dv.json.is_empty() => value::decode_json(&dv.json),
        _ => Ok(Value::Null),
    };
    let identity = match decoded {
        Ok(v) => v,
        Err(e) => {
            d.error(
                "Could not decode the identity",
                format!("The identity Terraform sent for {type_name} could not be decoded: {e}."),
            );
            return Err(d);
        }
    };
    let Some(name) = identity.get(name_attr).as_str() else {
        d.error(
            "Identity without a name",
            format!("Set `{name_attr}` in the import block's `identity` of this {type_name}."),
        );
        return Err(d);
    };
    if let Some(wanted) = identity.get("region").as_str()
        && wanted != region
    {
        d.error(
            "Identity in another region",
            format!(
                "The identity names {type_name} {name:?} in region {wanted}, but this provider \
                 is configured for {region}. Import it with a provider configured for {wanted} \
                 (a `provider` argument in the import block), or correct `region`. Nothing \
                 was imported."
            ),
        );
    }
    if let Some(wanted) = identity.get("account_id").as_str()
        && account.is_some_and(|a| a != wanted)
    {
        d.error(
            "Identity in another account",
            format!(
                "The identity names {type_name} {name:?} in account {wanted}, but the provider's \
                 credentials are for account {}. Nothing was imported.",
                account.unwrap_or_default()
            ),
        );
    }
    if d.has_errors() {
        Err(d)
    } else {
        Ok(name.to_owned())
    }
}

/// UpgradeResourceIdentity: every stored identity is of version 0, the
/// only one there has been; a newer one is refused rather than guessed at.
pub fn upgrade(
    request: &pb::upgrade_resource_identity::Request,
) -> pb::upgrade_resource_identity::Response {
    let mut d = Diagnostics::new();
    let raw = request
        .raw_identity
        .as_ref()
        .map(|r| r.json.as_slice())
        .unwrap_or_default();
    if name_attribute(&request.type_name).is_none() {
        d.error(
            "Unknown identity type",
            format!("{} has no resource identity.", request.type_name),
        );
    } else if request.version != VERSION {
        d.error(
            "Identity written by another provider version",
            format!(
                "The stored identity of this {} has version {}, this provider knows {VERSION}. \
                 Use the provider version that wrote it.",
                request.type_name, request.version
            ),
        );
    } else {
        match value::decode_json(raw) {
            Ok(v) => {
                return pb::upgrade_resource_identity::Response {
                    upgraded_identity: Some(pb::ResourceIdentityData {
                        identity_data: Some(pb::DynamicValue {
                            msgpack: value::encode_msgpack(&v),
                            json: Vec::new(),
                        }),
                    }),
                    diagnostics: Vec::new(),
                };
            }
            Err(e) => d.error(
                "Unreadable identity",
                format!(
                    "The stored identity of this {} is not valid JSON: {e}.",
                    request.type_name
                ),
            ),
        }
    }
    pb::upgrade_resource_identity::Response {
        upgraded_identity: None,
        diagnostics: d.into_proto(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decoded(data: &pb::ResourceIdentityData) -> Value {
        value::decode_msgpack(&data.identity_data.as_ref().unwrap().msgpack).unwrap()
    }

    #[test]
    fn three_resources_announce_account_region_and_name() {
        let s = schemas();
        assert_eq!(s.len(), 3);
        let db = &s["phi_database"];
        let names: Vec<&str> = db
            .identity_attributes
            .iter()
            .map(|a| a.name.as_str())
            .collect();
        assert_eq!(names, ["account_id", "region", "identifier"]);
        assert!(db.identity_attributes[2].required_for_import);
        assert!(db.identity_attributes[0].optional_for_import);
        assert!(!s.contains_key("phi_kms_key"));
    }

    #[test]
    fn identity_is_derived_from_the_state_name() {
        let state = Value::Map(
            [
                ("name".to_owned(), Value::string("acme-scans")),
                ("arn".to_owned(), Value::string("arn:aws:s3:::acme-scans")),
            ]
            .into_iter()
            .collect(),
        );
        let id = of_state(
            "phi_bucket",
            &state,
            Some("123456789012"),
            "eu-central-1",
            false,
        )
        .unwrap();
        let v = decoded(&id);
        assert_eq!(v.get("name"), &Value::string("acme-scans"));
        assert_eq!(v.get("account_id"), &Value::string("123456789012"));
        assert_eq!(v.get("region"), &Value::string("eu-central-1"));
        // Without the account, only a create's plan may carry it unknown.
        assert!(of_state("phi_bucket", &state, None, "eu-central-1", false).is_none());
        assert!(of_state("phi_bucket", &state, None, "eu-central-1", true).is_some());
        assert!(of_state("phi_bucket", &Value::Null, Some("1"), "r", true).is_none());
        assert!(of_state("phi_kms_key", &state, Some("1"), "r", true).is_none());
    }

    fn identity(entries: &[(&str, &str)]) -> pb::ResourceIdentityData {
        let v = Value::Map(
            entries
                .iter()
                .map(|(k, v)| ((*k).to_owned(), Value::string(*v)))
                .collect(),
        );
        pb::ResourceIdentityData {
            identity_data: Some(pb::DynamicValue {
                msgpack: value::encode_msgpack(&v),
                json: Vec::new(),
            }),
        }
    }

    #[test]
    fn import_by_identity_checks_region_and_account() {
        let ok = identity(&[("identifier", "acme-ehr")]);
        assert_eq!(
            import_id("phi_database", &ok, Some("1"), "eu-central-1").unwrap(),
            "acme-ehr"
        );
        let elsewhere = identity(&[("identifier", "acme-ehr"), ("region", "us-east-1")]);
        let d = import_id("phi_database", &elsewhere, Some("1"), "eu-central-1").unwrap_err();
        assert!(d.iter().any(|d| d.summary == "Identity in another region"));
        let other = identity(&[("name", "acme-scans"), ("account_id", "2")]);
        let d = import_id("phi_bucket", &other, Some("1"), "eu-central-1").unwrap_err();
        assert!(d.iter().any(|d| d.summary == "Identity in another account"));
        let nameless = identity(&[("region", "eu-central-1")]);
        assert!(import_id("phi_bucket", &nameless, Some("1"), "eu-central-1").is_err());
    }

    #[test]
    fn version_zero_is_taken_as_it_is_and_others_refused() {
        let request = |version| pb::upgrade_resource_identity::Request {
            type_name: "phi_bucket".to_owned(),
            version,
            raw_identity: Some(pb::RawState {
                json: br#"{"account_id":"1","region":"eu-central-1","name":"acme"}"#.to_vec(),
                flatmap: Default::default(),
            }),
        };
        let up = upgrade(&request(0));
        assert!(up.diagnostics.is_empty());
        let v = decoded(up.upgraded_identity.as_ref().unwrap());
        assert_eq!(v.get("name"), &Value::string("acme"));
        let refused = upgrade(&request(1));
        assert!(refused.upgraded_identity.is_none());
        assert_eq!(refused.diagnostics.len(), 1);
    }
}
