//! The stand-in's RPCs: schemas, import from the endpoint, state returned
//! as it is, and nothing ever created, changed or deleted.

use std::collections::BTreeMap;

use phi_provider::proto::tfplugin6 as pb;
use phi_provider::proto::tfplugin6::provider_server::Provider;
use phi_provider::value::{self, Value};
use tokio::sync::OnceCell;
use tonic::{Request, Response, Status};

use crate::schema;

#[derive(Default)]
pub struct StandIn {
    clients: OnceCell<Clients>,
}

struct Clients {
    region: String,
    s3: aws_sdk_s3::Client,
    rds: aws_sdk_rds::Client,
}

fn error(summary: &str, detail: String) -> Vec<pb::Diagnostic> {
    vec![pb::Diagnostic {
        severity: pb::diagnostic::Severity::Error as i32,
        summary: summary.to_owned(),
        detail,
        attribute: None,
    }]
}

fn decode(dv: Option<&pb::DynamicValue>) -> Value {
    dv.and_then(|dv| value::decode_msgpack(&dv.msgpack).ok())
        .unwrap_or(Value::Null)
}

fn encode(v: &Value) -> Option<pb::DynamicValue> {
    Some(pb::DynamicValue {
        msgpack: value::encode_msgpack(v),
        json: Vec::new(),
    })
}

fn object(entries: Vec<(&str, Value)>) -> Value {
    Value::Map(
        entries
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect(),
    )
}

fn known(type_name: &str) -> Result<(), Status> {
    if schema::TYPES.contains(&type_name) {
        Ok(())
    } else {
        Err(Status::invalid_argument(format!(
            "the aws stand-in does not serve {type_name}"
        )))
    }
}

/// The stand-in announces no data sources, so Terraform never asks for one.
fn no_data_sources(type_name: &str) -> Status {
    Status::invalid_argument(format!(
        "the aws stand-in serves no data sources ({type_name})"
    ))
}

#[tonic::async_trait]
impl Provider for StandIn {
    async fn get_metadata(
        &self,
        _request: Request<pb::get_metadata::Request>,
    ) -> Result<Response<pb::get_metadata::Response>, Status> {
        Ok(Response::new(pb::get_metadata::Response {
            server_capabilities: Some(pb::ServerCapabilities::default()),
            diagnostics: vec![],
            data_sources: vec![],
            resources: schema::TYPES
                .iter()
                .map(|t| pb::get_metadata::ResourceMetadata {
                    type_name: (*t).to_owned(),
                })
                .collect(),
            list_resources: Vec::new(),
        }))
    }

    async fn get_provider_schema(
        &self,
        _request: Request<pb::get_provider_schema::Request>,
    ) -> Result<Response<pb::get_provider_schema::Response>, Status> {
        Ok(Response::new(pb::get_provider_schema::Response {
            provider: Some(schema::provider()),
            resource_schemas: schema::TYPES
                .iter()
                .filter_map(|t| Some(((*t).to_owned(), schema::proto(t)?)))
                .collect(),
            server_capabilities: Some(pb::ServerCapabilities::default()),
            ..Default::default()
        }))
    }

    async fn validate_provider_config(
        &self,
        _request: Request<pb::validate_provider_config::Request>,
    ) -> Result<Response<pb::validate_provider_config::Response>, Status> {
        Ok(Response::new(Default::default()))
    }

    async fn validate_resource_config(
        &self,
        request: Request<pb::validate_resource_config::Request>,
    ) -> Result<Response<pb::validate_resource_config::Response>, Status> {
        known(&request.into_inner().type_name)?;
        Ok(Response::new(Default::default()))
    }

    async fn upgrade_resource_state(
        &self,
        request: Request<pb::upgrade_resource_state::Request>,
    ) -> Result<Response<pb::upgrade_resource_state::Response>, Status> {
        let request = request.into_inner();
        known(&request.type_name)?;
        let json = request.raw_state.map(|r| r.json).unwrap_or_default();
        let response = match value::decode_json(&json) {
            Ok(v) => pb::upgrade_resource_state::Response {
                upgraded_state: encode(&schema::conform(&request.type_name, v)),
                diagnostics: vec![],
            },
            Err(e) => pb::upgrade_resource_state::Response {
                upgraded_state: None,
                diagnostics: error("Unreadable state", e.to_string()),
            },
        };
        Ok(Response::new(response))
    }

    async fn get_resource_identity_schemas(
        &self,
        _request: Request<pb::get_resource_identity_schemas::Request>,
    ) -> Result<Response<pb::get_resource_identity_schemas::Response>, Status> {
        Ok(Response::new(Default::default()))
    }

    /// The stand-in announces no identities, so Terraform never asks.
    async fn upgrade_resource_identity(
        &self,
        _request: Request<pb::upgrade_resource_identity::Request>,
    ) -> Result<Response<pb::upgrade_resource_identity::Response>, Status> {
        Err(Status::unimplemented(
            "the stand-in has no resource identities",
        ))
    }

    /// Without the capability, Terraform never asks.
    async fn generate_resource_config(
        &self,
        _request: Request<pb::generate_resource_config::Request>,
    ) -> Result<Response<pb::generate_resource_config::Response>, Status> {
        Err(Status::unimplemented(
            "the stand-in generates no configuration",
        ))
    }

    type ListResourceStream = tonic::codegen::BoxStream<pb::list_resource::Event>;

    /// The stand-in lists nothing (it announces no list resources).
    async fn list_resource(
        &self,
        _request: Request<pb::list_resource::Request>,
    ) -> Result<Response<Self::ListResourceStream>, Status> {
        Err(Status::unimplemented("the stand-in lists nothing"))
    }

    async fn validate_list_resource_config(
        &self,
        _request: Request<pb::validate_list_resource_config::Request>,
    ) -> Result<Response<pb::validate_list_resource_config::Response>, Status> {
        Err(Status::unimplemented("the stand-in lists nothing"))
    }

    async fn configure_provider(
        &self,
        request: Request<pb::configure_provider::Request>,
    ) -> Result<Response<pb::configure_provider::Response>, Status> {
        let config = decode(request.into_inner().config.as_ref());
        let region = config
            .get("region")
            .as_str()
            .map(str::to_owned)
            .or_else(|| std::env::var("AWS_REGION").ok())
            .unwrap_or_else(|| "us-east-1".to_owned());
        let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new(region.clone()))
            .load()
            .await;
        let s3 = aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&sdk)
                .force_path_style(true)
                .build(),
        );
        let rds = aws_sdk_rds::Client::new(&sdk);
        let _ = self.clients.set(Clients { region, s3, rds });
        Ok(Response::new(Default::default()))
    }

    async fn read_resource(
        &self,
        request: Request<pb::read_resource::Request>,
    ) -> Result<Response<pb::read_resource::Response>, Status> {
        let request = request.into_inner();
        known(&request.type_name)?;
        Ok(Response::new(pb::read_resource::Response {
            new_state: request.current_state,
            private: request.private,
            ..Default::default()
        }))
    }

    async fn plan_resource_change(
        &self,
        request: Request<pb::plan_resource_change::Request>,
    ) -> Result<Response<pb::plan_resource_change::Response>, Status> {
        let request = request.into_inner();
        known(&request.type_name)?;
        let prior = decode(request.prior_state.as_ref());
        let proposed = decode(request.proposed_new_state.as_ref());
        if prior == proposed && !prior.is_null() {
            return Ok(Response::new(pb::plan_resource_change::Response {
                planned_state: request.proposed_new_state,
                ..Default::default()
            }));
        }
        Ok(Response::new(pb::plan_resource_change::Response {
            diagnostics: error(
                "The aws stand-in changes nothing",
                format!(
                    "This is a test stand-in for hashicorp/aws that only holds state; it \
                     cannot plan a change to {}.",
                    request.type_name
                ),
            ),
            ..Default::default()
        }))
    }

    async fn apply_resource_change(
        &self,
        request: Request<pb::apply_resource_change::Request>,
    ) -> Result<Response<pb::apply_resource_change::Response>, Status> {
        let request = request.into_inner();
        Ok(Response::new(pb::apply_resource_change::Response {
            new_state: request.prior_state,
            diagnostics: error(
                "The aws stand-in changes nothing",
                "This is a test stand-in for hashicorp/aws; it never applies changes.".to_owned(),
            ),
            ..Default::default()
        }))
    }

    async fn import_resource_state(
        &self,
        request: Request<pb::import_resource_state::Request>,
    ) -> Result<Response<pb::import_resource_state::Response>, Status> {
        let request = request.into_inner();
        known(&request.type_name)?;
        let Some(clients) = self.clients.get() else {
            return Err(Status::failed_precondition("not configured"));
        };
        let state = match request.type_name.as_str() {
            "aws_s3_bucket" => bucket_state(clients, &request.id).await,
            "aws_db_instance" => database_state(clients, &request.id).await,
            _ => Ok(object(vec![
                ("id", Value::string(&request.id)),
                ("bucket", Value::string(&request.id)),
            ])),
        };
        let response = match state {
            Ok(state) => pb::import_resource_state::Response {
                imported_resources: vec![pb::import_resource_state::ImportedResource {
                    type_name: request.type_name.clone(),
                    state: encode(&schema::conform(&request.type_name, state)),
                    ..Default::default()
                }],
                ..Default::default()
            },
            Err(e) => pb::import_resource_state::Response {
                diagnostics: error("Cannot import", e),
                ..Default::default()
            },
        };
        Ok(Response::new(response))
    }

    async fn stop_provider(
        &self,
        _request: Request<pb::stop_provider::Request>,
    ) -> Result<Response<pb::stop_provider::Response>, Status> {
        Ok(Response::new(Default::default()))
    }

    async fn validate_data_resource_config(
        &self,
        request: Request<pb::validate_data_resource_config::Request>,
    ) -> Result<Response<pb::validate_data_resource_config::Response>, Status> {
        Err(no_data_sources(&request.into_inner().type_name))
    }

    async fn read_data_source(
        &self,
        request: Request<pb::read_data_source::Request>,
    ) -> Result<Response<pb::read_data_source::Response>, Status> {
        Err(no_data_sources(&request.into_inner().type_name))
    }

    async fn move_resource_state(
        &self,
        _request: Request<pb::move_resource_state::Request>,
    ) -> Result<Response<pb::move_resource_state::Response>, Status> {
        Err(Status::unimplemented("the aws stand-in moves nothing"))
    }
}

fn tags_value(tags: &BTreeMap<String, String>) -> Value {
    Value::from_string_map(tags)
}

/// The bucket as hashicorp/aws 5.x records it after an import.
async fn bucket_state(c: &Clients, name: &str) -> Result<Value, String> {
    c.s3.head_bucket()
        .bucket(name)
        .send()
        .await
        .map_err(|e| format!("no bucket {name}: {e:?}"))?;
    let encryption = c.s3.get_bucket_encryption().bucket(name).send().await.ok();
    let rules: Vec<Value> = encryption
        .as_ref()
        .and_then(|e| e.server_side_encryption_configuration())
        .map(|cfg| {
            cfg.rules()
                .iter()
                .map(|r| {
                    let default = r.apply_server_side_encryption_by_default();
                    object(vec![
                        (
                            "apply_server_side_encryption_by_default",
                            Value::List(
                                default
                                    .map(|d| {
                                        object(vec![
                                            (
                                                "kms_master_key_id",
                                                Value::string(
                                                    d.kms_master_key_id().unwrap_or_default(),
                                                ),
                                            ),
                                            (
                                                "sse_algorithm",
                                                Value::string(d.sse_algorithm().as_str()),
                                            ),
                                        ])
                                    })
                                    .into_iter()
                                    .collect(),
                            ),
                        ),
                        (
                            "bucket_key_enabled",
                            Value::Bool(r.bucket_key_enabled().unwrap_or(false)),
                        ),
                    ])
                })
                .collect()
        })
        .unwrap_or_default();
    let tags: BTreeMap<String, String> =
        c.s3.get_bucket_tagging()
            .bucket(name)
            .send()
            .await
            .map(|t| {
                t.tag_set()
                    .iter()
                    .map(|t| (t.key().to_owned(), t.value().to_owned()))
                    .collect()
            })
            .unwrap_or_default();
    // The phi provider's reader: it also understands moto's answer.
    let versioning = phi_provider::resources::s3_common::read_versioning(&c.s3, name)
        .await
        .map_err(|e| format!("versioning of {name}: {e}"))?;
    let enabled = versioning == "Enabled";
    Ok(object(vec![
        ("id", Value::string(name)),
        ("bucket", Value::string(name)),
        ("arn", Value::string(format!("arn:aws:s3:::{name}"))),
        ("force_destroy", Value::Bool(false)),
        ("region", Value::string(&c.region)),
        ("tags", tags_value(&tags)),
        ("tags_all", tags_value(&tags)),
        (
            "server_side_encryption_configuration",
            Value::List(vec![object(vec![("rule", Value::List(rules))])]),
        ),
        (
            "versioning",
            Value::List(vec![object(vec![
                ("enabled", Value::Bool(enabled)),
                ("mfa_delete", Value::Bool(false)),
            ])]),
        ),
    ]))
}

/// The DB instance as hashicorp/aws 5.x records it after an import (schema
/// version 2: `id` is the resource id, `identifier` the name).
async fn database_state(c: &Clients, identifier: &str) -> Result<Value, String> {
    let out = c
        .rds
        .describe_db_instances()
        .db_instance_identifier(identifier)
        .send()
        .await
        .map_err(|e| format!("no DB instance {identifier}: {e:?}"))?;
    let db = out
        .db_instances()
        .first()
        .ok_or_else(|| format!("no DB instance {identifier}"))?;
    let s = |v: Option<&str>| Value::string(v.unwrap_or_default());
    let n = |v: Option<i32>| v.map_or(Value::Null, |n| Value::number(i64::from(n)));
    let tags: BTreeMap<String, String> = db
        .tag_list()
        .iter()
        .filter_map(|t| Some((t.key()?.to_owned(), t.value()?.to_owned())))
        .collect();
    let secret = db.master_user_secret().map(|m| {
        object(vec![
            ("kms_key_id", s(m.kms_key_id())),
            ("secret_arn", s(m.secret_arn())),
            ("secret_status", s(m.secret_status())),
        ])
    });
    Ok(object(vec![
        ("id", s(db.dbi_resource_id())),
        ("identifier", Value::string(identifier)),
        ("arn", s(db.db_instance_arn())),
        ("address", s(db.endpoint().and_then(|e| e.address()))),
        ("port", n(db.endpoint().and_then(|e| e.port()))),
        ("engine", s(db.engine())),
        ("engine_version", s(db.engine_version())),
        ("engine_version_actual", s(db.engine_version())),
        ("instance_class", s(db.db_instance_class())),
        ("allocated_storage", n(db.allocated_storage())),
        (
            "storage_encrypted",
            Value::Bool(db.storage_encrypted().unwrap_or(false)),
        ),
        ("kms_key_id", s(db.kms_key_id())),
        ("username", s(db.master_username())),
        (
            "manage_master_user_password",
            if secret.is_some() {
                Value::Bool(true)
            } else {
                Value::Null
            },
        ),
        (
            "master_user_secret",
            Value::List(secret.into_iter().collect()),
        ),
        ("backup_retention_period", n(db.backup_retention_period())),
        ("multi_az", Value::Bool(db.multi_az().unwrap_or(false))),
        (
            "db_subnet_group_name",
            s(db.db_subnet_group().and_then(|g| g.db_subnet_group_name())),
        ),
        (
            "vpc_security_group_ids",
            Value::List(
                db.vpc_security_groups()
                    .iter()
                    .filter_map(|g| g.vpc_security_group_id())
                    .map(Value::string)
                    .collect(),
            ),
        ),
        (
            "deletion_protection",
            Value::Bool(db.deletion_protection().unwrap_or(false)),
        ),
        (
            "publicly_accessible",
            Value::Bool(db.publicly_accessible().unwrap_or(false)),
        ),
        (
            "parameter_group_name",
            s(db.db_parameter_groups()
                .first()
                .and_then(|g| g.db_parameter_group_name())),
        ),
        ("tags", tags_value(&tags)),
        ("tags_all", tags_value(&tags)),
    ]))
}
