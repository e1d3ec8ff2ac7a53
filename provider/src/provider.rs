//! The Terraform provider service: decodes each request, dispatches it to the
//! resource, and encodes the answer. Protocol plumbing lives here so that the
//! resources deal only in [`Value`]s and [`Diagnostics`].

use std::collections::HashMap;
use std::sync::Arc;

use phi_policy::Policy;
use tokio::sync::RwLock;
use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status};

use crate::aws::{CallLimits, Clients, kms::KeyInspector};
use crate::configured::Configured;
use crate::data_sources::DataSource;
use crate::diagnostics::{Diagnostics, attr};
use crate::policy_source::LoadedPolicy;
use crate::proto::tfplugin6 as pb;
use crate::proto::tfplugin6::provider_server::Provider;
use crate::resources::{self, ApplyRequest, PlanRequest, Resource};
use crate::schema::{AttrType, Attribute, Mode, Schema};
use crate::value::{self, Value};

pub struct PhiProvider {
    resources: HashMap<&'static str, Arc<dyn Resource>>,
    data_sources: HashMap<&'static str, Arc<dyn DataSource>>,
    policy: Result<Arc<LoadedPolicy>, String>,
    configured: RwLock<Option<Arc<Configured>>>,
    stop: CancellationToken,
}

fn provider_schema() -> Schema {
    Schema {
        version: 0,
        description: "The phi provider creates AWS resources for protected health information \
            that are compliant by construction, and refuses insecure configurations at plan time. \
            Credentials and endpoints come from the standard AWS chain (environment, shared config, \
            `AWS_ENDPOINT_URL`). The organisation policy is read from `PHI_POLICY_FILE` or \
            `/etc/phi-guard/phi-policy.hcl`, never from Terraform code.",
        attributes: vec![
            Attribute::new(
                "region",
                AttrType::String,
                Mode::Optional,
                "AWS region for every resource of this provider. Must be approved by the policy \
                 (control PHI-REG-001). Defaults to the standard AWS chain (`AWS_REGION`, profile).",
            ),
            Attribute::new(
                "profile",
                AttrType::String,
                Mode::Optional,
                "Named profile from the shared AWS config files. Defaults to the standard chain.",
            ),
            Attribute::new(
                "attempt_timeout_seconds",
                AttrType::Number,
                Mode::Optional,
                "Longest wait, in seconds, for one HTTP exchange with AWS (1 to 3600; default \
                 30). An attempt that times out is retried within the operation timeout.",
            ),
            Attribute::new(
                "operation_timeout_seconds",
                AttrType::Number,
                Mode::Optional,
                "Longest time, in seconds, one AWS call may take with all its retries (1 to \
                 3600; default 120). A frozen endpoint ends the plan or apply with an error \
                 after this long instead of hanging it.",
            ),
        ],
    }
}

impl PhiProvider {
    pub fn new(policy: Result<LoadedPolicy, String>) -> Self {
        PhiProvider {
            resources: resources::registry()
                .into_iter()
                .map(|r| (r.type_name(), r))
                .collect(),
            data_sources: crate::data_sources::registry()
                .into_iter()
                .map(|d| (d.type_name(), d))
                .collect(),
            policy: policy.map(Arc::new),
            configured: RwLock::new(None),
            stop: CancellationToken::new(),
        }
    }

    /// Cancelled on StopProvider, and by the server when the process must
    /// stop (Terraform gone, SIGTERM, SIGHUP), so in-flight AWS work ends.
    pub fn stop_token(&self) -> CancellationToken {
        self.stop.clone()
    }

    fn resource(&self, type_name: &str) -> Result<&Arc<dyn Resource>, Status> {
        self.resources
            .get(type_name)
            .ok_or_else(|| Status::invalid_argument(format!("unknown resource type {type_name}")))
    }

    fn data_source(&self, type_name: &str) -> Result<&Arc<dyn DataSource>, Status> {
        self.data_sources
            .get(type_name)
            .ok_or_else(|| Status::invalid_argument(format!("unknown data source {type_name}")))
    }

    fn policy(&self) -> Result<&Arc<LoadedPolicy>, Diagnostics> {
        self.policy.as_ref().map_err(|e| policy_error(e))
    }

    async fn configured(&self) -> Result<Arc<Configured>, Diagnostics> {
        match self.configured.read().await.as_ref() {
            Some(c) => Ok(c.clone()),
            None => {
                let mut d = Diagnostics::new();
                d.error(
                    "Provider not configured",
                    "Terraform called the phi provider before configuring it. This is a bug in \
                     the provider or Terraform; please report it with the Terraform version.",
                );
                Err(d)
            }
        }
    }
}

fn policy_error(e: &str) -> Diagnostics {
    let mut d = Diagnostics::new();
    d.error(
        "Invalid phi-guard policy",
        format!(
            "{e}\n\nThe provider refuses to run on a policy it cannot read, rather than fall back \
             to a different one. Fix the file, or unset PHI_POLICY_FILE to use the built-in baseline."
        ),
    );
    d
}

fn decode(dv: Option<&pb::DynamicValue>, what: &str) -> Result<Value, Diagnostics> {
    let Some(dv) = dv else { return Ok(Value::Null) };
    let result = if !dv.msgpack.is_empty() {
        value::decode_msgpack(&dv.msgpack)
    } else if !dv.json.is_empty() {
        value::decode_json(&dv.json)
    } else {
        Ok(Value::Null)
    };
    result.map_err(|e| {
        let mut d = Diagnostics::new();
        d.error(
            "Could not decode a value from Terraform",
            format!("The {what} sent by Terraform could not be decoded: {e}."),
        );
        d
    })
}

fn encode(v: &Value) -> Option<pb::DynamicValue> {
    Some(pb::DynamicValue {
        msgpack: value::encode_msgpack(v),
        json: Vec::new(),
    })
}

fn capabilities() -> pb::ServerCapabilities {
    pb::ServerCapabilities {
        // We want PlanResourceChange on destroy, to explain what Object Lock
        // retention keeps before anyone confirms.
        plan_destroy: true,
        // The schemas are static: Terraform may reuse the ones it already
        // has instead of asking every provider process it starts in a run
        // (validate, plan and apply each start one).
        get_provider_schema_optional: true,
        // `moved` from hashicorp/aws (see resources::move_from_aws).
        move_resource_state: true,
        // `-generate-config-out` (Terraform 1.14+): resources::import_config.
        generate_resource_config: true,
    }
}

/// The AWS call time limits the provider block sets (see
/// [`crate::aws::timeouts`]); unknown or unset values take the defaults.
fn call_limits(config: &Value) -> Result<CallLimits, Diagnostics> {
    let seconds = |name: &str| -> Result<Option<i64>, Diagnostics> {
        let v = config.get(name);
        if v.is_null() || v.is_unknown() {
            return Ok(None);
        }
        v.as_i64().map(Some).ok_or_else(|| {
            let mut d = Diagnostics::new();
            d.error_at(
                &attr(name),
                "Invalid timeout",
                format!("{name} must be a whole number of seconds."),
            );
            d
        })
    };
    CallLimits::from_settings(
        seconds("attempt_timeout_seconds")?,
        seconds("operation_timeout_seconds")?,
    )
    .map_err(|(name, message)| {
        let mut d = Diagnostics::new();
        d.error_at(&attr(name), "Invalid timeout", message);
        d
    })
}

/// Checks a known provider region against the policy.
fn check_provider_region(region: &str, policy: &Policy) -> Diagnostics {
    let mut d = Diagnostics::new();
    if let Some(v) =
        phi_policy::checks::region::check_region(region, policy, &["region".to_owned()])
    {
        d.violation(&v, policy);
    }
    d
}

#[tonic::async_trait]
impl Provider for PhiProvider {
    async fn get_metadata(
        &self,
        _request: Request<pb::get_metadata::Request>,
    ) -> Result<Response<pb::get_metadata::Response>, Status> {
        Ok(Response::new(pb::get_metadata::Response {
            server_capabilities: Some(capabilities()),
            diagnostics: vec![],
            data_sources: self
                .data_sources
                .keys()
                .map(|t| pb::get_metadata::DataSourceMetadata {
                    type_name: (*t).to_owned(),
                })
                .collect(),
            resources: self
                .resources
                .keys()
                .map(|t| pb::get_metadata::ResourceMetadata {
                    type_name: (*t).to_owned(),
                })
                .collect(),
            list_resources: vec![pb::get_metadata::ListResourceMetadata {
                type_name: resources::bucket_list::TYPE_NAME.to_owned(),
            }],
        }))
    }

    async fn get_provider_schema(
        &self,
        _request: Request<pb::get_provider_schema::Request>,
    ) -> Result<Response<pb::get_provider_schema::Response>, Status> {
        Ok(Response::new(pb::get_provider_schema::Response {
            provider: Some(provider_schema().to_proto()),
            resource_schemas: self
                .resources
                .iter()
                .map(|(t, r)| ((*t).to_owned(), r.schema().to_proto()))
                .collect(),
            data_source_schemas: self
                .data_sources
                .iter()
                .map(|(t, d)| ((*t).to_owned(), d.schema().to_proto()))
                .collect(),
            server_capabilities: Some(capabilities()),
            list_resource_schemas: [(
                resources::bucket_list::TYPE_NAME.to_owned(),
                resources::bucket_list::schema().to_proto(),
            )]
            .into_iter()
            .collect(),
            ..Default::default()
        }))
    }

    async fn validate_provider_config(
        &self,
        request: Request<pb::validate_provider_config::Request>,
    ) -> Result<Response<pb::validate_provider_config::Response>, Status> {
        let request = request.into_inner();
        let diagnostics = match (
            self.policy(),
            decode(request.config.as_ref(), "provider configuration"),
        ) {
            (Err(d), _) | (_, Err(d)) => d,
            (Ok(policy), Ok(config)) => {
                let mut d = match config.get("region").as_str() {
                    Some(region) => check_provider_region(region, &policy.policy),
                    None => Diagnostics::new(),
                };
                if let Err(e) = call_limits(&config) {
                    d.extend(e);
                }
                d
            }
        };
        Ok(Response::new(pb::validate_provider_config::Response {
            diagnostics: diagnostics.into_proto(),
        }))
    }

    async fn validate_resource_config(
        &self,
        request: Request<pb::validate_resource_config::Request>,
    ) -> Result<Response<pb::validate_resource_config::Response>, Status> {
        let request = request.into_inner();
        let resource = self.resource(&request.type_name)?;
        let diagnostics = match (
            self.policy(),
            decode(request.config.as_ref(), "configuration"),
        ) {
            (Err(d), _) | (_, Err(d)) => d,
            (Ok(policy), Ok(config)) => {
                let mut d = resource.validate(&config, &policy.policy);
                // A generated configuration holds `x = null` for a required
                // argument an import could not find: say what to write.
                d.extend(resources::import_config::missing_required(
                    &request.type_name,
                    resource.schema(),
                    &config,
                ));
                d
            }
        };
        Ok(Response::new(pb::validate_resource_config::Response {
            diagnostics: diagnostics.into_proto(),
        }))
    }

    async fn upgrade_resource_state(
        &self,
        request: Request<pb::upgrade_resource_state::Request>,
    ) -> Result<Response<pb::upgrade_resource_state::Response>, Status> {
        let request = request.into_inner();
        let resource = self.resource(&request.type_name)?;
        let raw = request.raw_state.unwrap_or_default();
        let mut diagnostics = Diagnostics::new();
        let mut upgraded = None;
        if request.version > resource.schema().version {
            diagnostics.error(
                "State written by a newer provider",
                format!(
                    "This {} was saved by a newer version of the phi provider (schema version {}, \
                     this provider knows {}). Upgrade the provider rather than risk losing settings.",
                    request.type_name,
                    request.version,
                    resource.schema().version
                ),
            );
        } else if raw.json.is_empty() {
            diagnostics.error(
                "Unsupported state format",
                "The state holds this resource in the legacy flatmap format, which the phi \
                 provider never wrote. Re-import the resource.",
            );
        } else {
            match value::decode_json(&raw.json) {
                Ok(v) => {
                    match resources::state_upgrade::upgrade(resource.schema(), request.version, v) {
                        Ok(v)
                            if !crate::state_types::mismatches(resource.schema(), &v)
                                .is_empty() =>
                        {
                            diagnostics.error(
                                "Stored state does not match the schema",
                                format!(
                                    "The stored state of this {} has values of the wrong type:\n  {}\n\n\
                                     The state was left as it is. Restore it from a backup, or remove \
                                     the resource from state (`terraform state rm`) and import it again.",
                                    request.type_name,
                                    crate::state_types::mismatches(resource.schema(), &v).join("\n  ")
                                ),
                            );
                        }
                        Ok(v) => upgraded = encode(&v),
                        Err(e) => diagnostics.error(
                            "State cannot be upgraded",
                            format!(
                                "The stored state of this {} (schema version {}) cannot be read by \
                             this provider: {e}. Nothing was changed; use the provider version \
                             that wrote it.",
                                request.type_name, request.version
                            ),
                        ),
                    }
                }
                Err(e) => diagnostics.error(
                    "Unreadable state",
                    format!(
                        "The stored state of this {} is not valid JSON: {e}.",
                        request.type_name
                    ),
                ),
            }
        }
        Ok(Response::new(pb::upgrade_resource_state::Response {
            upgraded_state: upgraded,
            diagnostics: diagnostics.into_proto(),
        }))
    }

    async fn get_resource_identity_schemas(
        &self,
        _request: Request<pb::get_resource_identity_schemas::Request>,
    ) -> Result<Response<pb::get_resource_identity_schemas::Response>, Status> {
        Ok(Response::new(pb::get_resource_identity_schemas::Response {
            identity_schemas: crate::plugin::identity::schemas(),
            diagnostics: Vec::new(),
        }))
    }

    async fn upgrade_resource_identity(
        &self,
        request: Request<pb::upgrade_resource_identity::Request>,
    ) -> Result<Response<pb::upgrade_resource_identity::Response>, Status> {
        Ok(Response::new(crate::plugin::identity::upgrade(
            &request.into_inner(),
        )))
    }

    async fn configure_provider(
        &self,
        request: Request<pb::configure_provider::Request>,
    ) -> Result<Response<pb::configure_provider::Response>, Status> {
        let request = request.into_inner();
        let diagnostics = match self.configure(request).await {
            Ok(()) => Diagnostics::new(),
            Err(d) => d,
        };
        Ok(Response::new(pb::configure_provider::Response {
            diagnostics: diagnostics.into_proto(),
        }))
    }

    async fn read_resource(
        &self,
        request: Request<pb::read_resource::Request>,
    ) -> Result<Response<pb::read_resource::Response>, Status> {
        let request = request.into_inner();
        let resource = self.resource(&request.type_name)?.clone();
        let outcome = async {
            let state = decode(request.current_state.as_ref(), "current state")?;
            let ctx = self.configured().await?;
            self.unless_stopped("refreshing", resource.read(state, &ctx))
                .await
        }
        .await;
        let (new_state, diagnostics, new_identity) = match outcome {
            Ok(r) => {
                let identity = self
                    .identity(&request.type_name, &r.new_state, false)
                    .await
                    .or(request.current_identity.clone());
                (encode(&r.new_state), r.diagnostics, identity)
            }
            // Keep the prior state on failure: nothing is dropped from state
            // because of an error.
            Err(d) => (
                request.current_state.clone(),
                d,
                request.current_identity.clone(),
            ),
        };
        Ok(Response::new(pb::read_resource::Response {
            new_state,
            diagnostics: diagnostics.into_proto(),
            private: request.private,
            new_identity,
            ..Default::default()
        }))
    }

    async fn plan_resource_change(
        &self,
        request: Request<pb::plan_resource_change::Request>,
    ) -> Result<Response<pb::plan_resource_change::Response>, Status> {
        let request = request.into_inner();
        let resource = self.resource(&request.type_name)?.clone();
        let outcome = async {
            let prior = decode(request.prior_state.as_ref(), "prior state")?;
            let proposed = decode(request.proposed_new_state.as_ref(), "proposed state")?;
            let config = decode(request.config.as_ref(), "configuration")?;
            let ctx = self.configured().await?;
            let plan = resource.plan(
                PlanRequest {
                    prior,
                    proposed,
                    config,
                },
                &ctx,
            );
            self.unless_stopped("planning", plan).await
        }
        .await;
        // The first plan after a `moved` from hashicorp/aws never replaces.
        let outcome = outcome.map(|mut plan| {
            if resources::move_from_aws::MOVED_MARKER == request.prior_private.as_slice() {
                crate::plugin::moved::refuse_replacement(&request.type_name, &mut plan);
            }
            plan
        });
        let creating = request
            .prior_state
            .as_ref()
            .is_none_or(|p| decode(Some(p), "prior state").is_ok_and(|v| v.is_null()));
        let response = match outcome {
            Ok(plan) => pb::plan_resource_change::Response {
                // A create's (or replacement's) name may be unknown yet.
                planned_identity: self
                    .identity(
                        &request.type_name,
                        &plan.planned,
                        creating || !plan.requires_replace.is_empty(),
                    )
                    .await,
                planned_state: encode(&plan.planned),
                requires_replace: plan
                    .requires_replace
                    .iter()
                    .map(|p| crate::diagnostics::path_proto(p))
                    .collect(),
                diagnostics: plan.diagnostics.into_proto(),
                ..Default::default()
            },
            Err(d) => pb::plan_resource_change::Response {
                diagnostics: d.into_proto(),
                ..Default::default()
            },
        };
        Ok(Response::new(response))
    }

    async fn apply_resource_change(
        &self,
        request: Request<pb::apply_resource_change::Request>,
    ) -> Result<Response<pb::apply_resource_change::Response>, Status> {
        let request = request.into_inner();
        let resource = self.resource(&request.type_name)?.clone();
        let outcome = async {
            let prior = decode(request.prior_state.as_ref(), "prior state")?;
            let planned = decode(request.planned_state.as_ref(), "planned state")?;
            let config = decode(request.config.as_ref(), "configuration")?;
            let ctx = self.configured().await?;
            Ok::<_, Diagnostics>(
                resource
                    .apply(
                        ApplyRequest {
                            prior,
                            planned,
                            config,
                        },
                        &ctx,
                    )
                    .await,
            )
        }
        .await;
        let (new_state, diagnostics, new_identity) = match outcome {
            Ok(r) => {
                let identity = self.identity(&request.type_name, &r.new_state, false).await;
                (encode(&r.new_state), r.diagnostics, identity)
            }
            // Nothing was done: report the prior state back unchanged.
            Err(d) => (request.prior_state.clone(), d, None),
        };
        Ok(Response::new(pb::apply_resource_change::Response {
            new_state,
            diagnostics: diagnostics.into_proto(),
            new_identity,
            ..Default::default()
        }))
    }

    async fn import_resource_state(
        &self,
        request: Request<pb::import_resource_state::Request>,
    ) -> Result<Response<pb::import_resource_state::Response>, Status> {
        let request = request.into_inner();
        let resource = self.resource(&request.type_name)?.clone();
        let (imported, diagnostics) = match self.configured().await {
            Ok(ctx) => match self.import_id(&request, &ctx).await {
                Ok(id) => match self
                    .unless_stopped("importing", resource.import(&id, &ctx))
                    .await
                {
                    Ok(r) => (r.state, r.diagnostics),
                    Err(d) => (None, d),
                },
                Err(d) => (None, d),
            },
            Err(d) => (None, d),
        };
        // Every attribute present, whichever the resource set.
        let imported = imported.map(|state| resources::conform(resource.schema(), state));
        let identity = match &imported {
            Some(state) => self.identity(&request.type_name, state, false).await,
            None => None,
        };
        Ok(Response::new(pb::import_resource_state::Response {
            imported_resources: imported
                .map(|state| pb::import_resource_state::ImportedResource {
                    type_name: request.type_name.clone(),
                    state: encode(&state),
                    identity,
                    ..Default::default()
                })
                .into_iter()
                .collect(),
            diagnostics: diagnostics.into_proto(),
            deferred: None,
        }))
    }

    async fn move_resource_state(
        &self,
        request: Request<pb::move_resource_state::Request>,
    ) -> Result<Response<pb::move_resource_state::Response>, Status> {
        let request = request.into_inner();
        let region = self
            .configured
            .read()
            .await
            .as_ref()
            .map(|c| c.region.clone());
        Ok(Response::new(crate::plugin::moved::move_resource_state(
            &self.resources,
            request,
            region.as_deref(),
        )))
    }

    async fn validate_data_resource_config(
        &self,
        request: Request<pb::validate_data_resource_config::Request>,
    ) -> Result<Response<pb::validate_data_resource_config::Response>, Status> {
        let request = request.into_inner();
        let source = self.data_source(&request.type_name)?;
        let diagnostics = match decode(request.config.as_ref(), "configuration") {
            Ok(config) => source.validate(&config),
            Err(d) => d,
        };
        Ok(Response::new(pb::validate_data_resource_config::Response {
            diagnostics: diagnostics.into_proto(),
        }))
    }

    async fn read_data_source(
        &self,
        request: Request<pb::read_data_source::Request>,
    ) -> Result<Response<pb::read_data_source::Response>, Status> {
        let request = request.into_inner();
        let source = self.data_source(&request.type_name)?.clone();
        let outcome = async {
            let config = decode(request.config.as_ref(), "configuration")?;
            let ctx = self.configured().await?;
            self.unless_stopped("reading a data source", source.read(&config, &ctx))
                .await
        }
        .await;
        let (state, diagnostics) = match outcome {
            Ok(read) => (read.state.as_ref().and_then(encode), read.diagnostics),
            Err(d) => (None, d),
        };
        Ok(Response::new(pb::read_data_source::Response {
            state,
            diagnostics: diagnostics.into_proto(),
            deferred: None,
        }))
    }

    async fn generate_resource_config(
        &self,
        request: Request<pb::generate_resource_config::Request>,
    ) -> Result<Response<pb::generate_resource_config::Response>, Status> {
        let request = request.into_inner();
        let resource = self.resource(&request.type_name)?.clone();
        let outcome = async {
            let state = decode(request.state.as_ref(), "imported state")?;
            let ctx = self.configured().await?;
            Ok::<_, Diagnostics>(
                resources::import_config::generated_config(
                    &request.type_name,
                    resource.schema(),
                    state,
                    &ctx,
                )
                .await,
            )
        }
        .await;
        Ok(Response::new(match outcome {
            Ok(config) => pb::generate_resource_config::Response {
                config: encode(&config),
                diagnostics: Vec::new(),
            },
            Err(d) => pb::generate_resource_config::Response {
                config: None,
                diagnostics: d.into_proto(),
            },
        }))
    }

    type ListResourceStream = tonic::codegen::BoxStream<pb::list_resource::Event>;

    /// `terraform query` over `list "phi_bucket"` (resources::bucket_list).
    async fn list_resource(
        &self,
        request: Request<pb::list_resource::Request>,
    ) -> Result<Response<Self::ListResourceStream>, Status> {
        let request = request.into_inner();
        if request.type_name != resources::bucket_list::TYPE_NAME {
            return Err(Status::invalid_argument(format!(
                "unknown list resource type {}",
                request.type_name
            )));
        }
        let bucket = self.resource(&request.type_name)?.clone();
        let outcome = async {
            let config = decode(request.config.as_ref(), "list configuration")?;
            let ctx = self.configured().await?;
            let limit = usize::try_from(request.limit.max(0)).unwrap_or(usize::MAX);
            let prefix = config.get("name_prefix").as_str().map(str::to_owned);
            self.unless_stopped(
                "listing buckets",
                resources::bucket_list::list(bucket.as_ref(), prefix.as_deref(), limit, &ctx),
            )
            .await?
        }
        .await;
        let events: Vec<Result<pb::list_resource::Event, Status>> = match outcome {
            Ok(listed) => listed
                .into_iter()
                .map(|l| {
                    Ok(resources::bucket_list::event(
                        l,
                        request.include_resource_object,
                    ))
                })
                .collect(),
            Err(d) => vec![Ok(pb::list_resource::Event {
                diagnostic: d.into_proto(),
                ..Default::default()
            })],
        };
        Ok(Response::new(Box::pin(tokio_stream::iter(events))))
    }

    async fn validate_list_resource_config(
        &self,
        request: Request<pb::validate_list_resource_config::Request>,
    ) -> Result<Response<pb::validate_list_resource_config::Response>, Status> {
        let request = request.into_inner();
        let mut d = Diagnostics::new();
        if request.type_name != resources::bucket_list::TYPE_NAME {
            d.error(
                "Unknown list resource",
                format!(
                    "The phi provider lists only {}.",
                    resources::bucket_list::TYPE_NAME
                ),
            );
        }
        Ok(Response::new(pb::validate_list_resource_config::Response {
            diagnostics: d.into_proto(),
        }))
    }

    async fn stop_provider(
        &self,
        _request: Request<pb::stop_provider::Request>,
    ) -> Result<Response<pb::stop_provider::Response>, Status> {
        tracing::info!("StopProvider: cancelling in-flight operations");
        self.stop.cancel();
        Ok(Response::new(pb::stop_provider::Response::default()))
    }
}

impl PhiProvider {
    /// The resource identity of `state` (see [`crate::plugin::identity`]):
    /// the configured region and the account STS reported.
    async fn identity(
        &self,
        type_name: &str,
        state: &Value,
        allow_unknown: bool,
    ) -> Option<pb::ResourceIdentityData> {
        crate::plugin::identity::name_attribute(type_name)?;
        let ctx = self.configured.read().await.clone()?;
        let account = ctx.account_id().await;
        crate::plugin::identity::of_state(
            type_name,
            state,
            account.as_deref(),
            &ctx.region,
            allow_unknown,
        )
    }

    /// The ID to import: the request's, or the name its identity gives
    /// (`import { identity = { ... } }`, Terraform 1.12+).
    async fn import_id(
        &self,
        request: &pb::import_resource_state::Request,
        ctx: &Configured,
    ) -> Result<String, Diagnostics> {
        match &request.identity {
            Some(identity) if request.id.is_empty() => {
                let account = ctx.account_id().await;
                crate::plugin::identity::import_id(
                    &request.type_name,
                    identity,
                    account.as_deref(),
                    &ctx.region,
                )
            }
            _ => Ok(request.id.clone()),
        }
    }

    /// Runs a read-only call (refresh, plan, import) unless Terraform stops
    /// the provider first. Such calls change nothing in AWS, so abandoning
    /// them on StopProvider loses nothing; the caller keeps the prior state.
    /// Applies handle StopProvider themselves, because they must return the
    /// partial state of what they changed.
    async fn unless_stopped<T>(
        &self,
        doing: &str,
        call: impl std::future::Future<Output = T>,
    ) -> Result<T, Diagnostics> {
        tokio::select! {
            r = call => Ok(r),
            _ = self.stop.cancelled() => {
                let mut d = Diagnostics::new();
                d.error(
                    "Interrupted",
                    format!(
                        "Terraform was interrupted while {doing}; this resource was left as it \
                         was, and nothing was changed in AWS by this step."
                    ),
                );
                Err(d)
            }
        }
    }

    async fn configure(&self, request: pb::configure_provider::Request) -> Result<(), Diagnostics> {
        let policy = self.policy()?.clone();
        let config = decode(request.config.as_ref(), "provider configuration")?;
        let mut d = Diagnostics::new();
        let profile = config.get("profile").as_str().map(str::to_owned);
        if config.get("region").is_unknown() || config.get("profile").is_unknown() {
            d.error_at(
                &attr("region"),
                "Provider configuration not known at plan time",
                "The phi provider's region and profile must be known when planning, because \
                 they decide which regions and keys are acceptable. Use literal values or \
                 variables, not attributes of resources created in the same run.",
            );
            return Err(d);
        }
        let region = match config.get("region").as_str() {
            Some(r) => r.to_owned(),
            None => match crate::aws::default_region(profile.as_deref()).await {
                Some(r) => r,
                None => {
                    d.error_at(
                        &attr("region"),
                        "No AWS region",
                        "Set `region` in the provider \"phi\" block (or AWS_REGION) to a region \
                         the policy approves.",
                    );
                    return Err(d);
                }
            },
        };
        let region_check = check_provider_region(&region, &policy.policy);
        if region_check.has_errors() {
            return Err(region_check);
        }
        tracing::info!(region, policy = %policy.origin, "configuring the phi provider");
        let limits = call_limits(&config)?;
        let clients = Clients::new(&region, profile.as_deref(), &limits).await;
        let keys = KeyInspector::new(clients.kms.clone());
        let configured = Arc::new(Configured::new(
            region,
            clients,
            keys,
            policy,
            request.terraform_version,
            self.stop.clone(),
        ));
        // Every plan needs the account (same-account key checks); asking STS
        // now, while Terraform is still walking the graph, takes one round
        // trip off the first resource's plan. Callers share the same cell,
        // so this never adds a call.
        let warm = configured.clone();
        tokio::spawn(async move {
            warm.account_id().await;
        });
        *self.configured.write().await = Some(configured);
        Ok(())
    }
}
