//! Protocol-level tests against the real provider binary: the go-plugin
//! handshake, mutual TLS with the pinned client certificate, and gRPC calls,
//! exactly as Terraform makes them (Terraform itself is exercised by the
//! acceptance suite).

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use hyper_util::rt::TokioIo;
use phi_provider::plugin::handshake::{MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE};
use phi_provider::proto::tfplugin6 as pb;
use phi_provider::proto::tfplugin6::provider_client::ProviderClient;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use tonic::transport::{Endpoint, Uri};

const BIN: &str = env!("CARGO_BIN_EXE_terraform-provider-phi");

/// A client identity like the one Terraform generates for each plugin.
struct ClientIdentity {
    cert_pem: String,
    cert_der: CertificateDer<'static>,
    key_der: Vec<u8>,
}

fn client_identity() -> ClientIdentity {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P384_SHA384).unwrap();
    let mut params = rcgen::CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let cert = params.self_signed(&key).unwrap();
    ClientIdentity {
        cert_pem: cert.pem(),
        cert_der: cert.der().clone(),
        key_der: key.serialize_der(),
    }
}

struct Plugin {
    child: Child,
    socket: PathBuf,
    server_cert: CertificateDer<'static>,
    _dir: tempfile::TempDir,
}

impl Drop for Plugin {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_plugin(client: &ClientIdentity) -> Plugin {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(BIN)
        .env(MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE)
        .env("PLUGIN_PROTOCOL_VERSIONS", "5,6")
        .env("PLUGIN_CLIENT_CERT", &client.cert_pem)
        .env("PLUGIN_UNIX_SOCKET_DIR", dir.path())
        .env_remove("PHI_POLICY_FILE")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let parts: Vec<&str> = line.trim_end().split('|').collect();
    assert_eq!(parts.len(), 6, "handshake line: {line:?}");
    assert_eq!(&parts[..3], ["1", "6", "unix"]);
    assert_eq!(parts[4], "grpc");
    let socket = PathBuf::from(parts[3]);
    assert!(
        socket.starts_with(dir.path()),
        "socket {socket:?} not in PLUGIN_UNIX_SOCKET_DIR"
    );
    let der = base64::engine::general_purpose::STANDARD_NO_PAD
        .decode(parts[5])
        .unwrap();
    Plugin {
        child,
        socket,
        server_cert: CertificateDer::from(der),
        _dir: dir,
    }
}

/// Trusts exactly the server certificate from the handshake, as go-plugin does.
#[derive(Debug)]
struct PinnedServer(CertificateDer<'static>);

impl ServerCertVerifier for PinnedServer {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if end_entity.as_ref() == self.0.as_ref() {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::General(
                "unexpected server certificate".into(),
            ))
        }
    }
    fn verify_tls12_signature(
        &self,
        m: &[u8],
        c: &CertificateDer<'_>,
        d: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let p = rustls::crypto::aws_lc_rs::default_provider();
        rustls::crypto::verify_tls12_signature(m, c, d, &p.signature_verification_algorithms)
    }
    fn verify_tls13_signature(
        &self,
        m: &[u8],
        c: &CertificateDer<'_>,
        d: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let p = rustls::crypto::aws_lc_rs::default_provider();
        rustls::crypto::verify_tls13_signature(m, c, d, &p.signature_verification_algorithms)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        rustls::crypto::aws_lc_rs::default_provider()
            .signature_verification_algorithms
            .supported_schemes()
    }
}

async fn connect(
    plugin: &Plugin,
    identity: Option<&ClientIdentity>,
) -> Result<ProviderClient<tonic::transport::Channel>, Box<dyn std::error::Error>> {
    let builder = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()?
    .dangerous()
    .with_custom_certificate_verifier(Arc::new(PinnedServer(plugin.server_cert.clone())));
    let mut config = match identity {
        Some(id) => builder.with_client_auth_cert(
            vec![id.cert_der.clone()],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(id.key_der.clone())),
        )?,
        None => builder.with_no_client_auth(),
    };
    config.alpn_protocols = vec![b"h2".to_vec()];
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let socket = plugin.socket.clone();
    let channel = Endpoint::try_from("http://localhost")?
        .connect_timeout(Duration::from_secs(5))
        .connect_with_connector(tower::service_fn(move |_: Uri| {
            let connector = connector.clone();
            let socket = socket.clone();
            async move {
                let unix = tokio::net::UnixStream::connect(socket).await?;
                let tls = connector
                    .connect(ServerName::try_from("localhost").unwrap(), unix)
                    .await?;
                Ok::<_, std::io::Error>(TokioIo::new(tls))
            }
        }))
        .await?;
    Ok(ProviderClient::new(channel))
}

/// Connects and asks for the schema; any failure (TLS or gRPC) is an error.
async fn schema_call(
    plugin: &Plugin,
    identity: Option<&ClientIdentity>,
) -> Result<(), Box<dyn std::error::Error>> {
    let mut client = connect(plugin, identity).await?;
    client
        .get_provider_schema(pb::get_provider_schema::Request {})
        .await?;
    Ok(())
}

#[tokio::test]
async fn terraform_client_with_pinned_certificate_gets_the_schema() {
    let id = client_identity();
    let plugin = start_plugin(&id);
    let mut client = connect(&plugin, Some(&id)).await.expect("mTLS connection");
    let schema = client
        .get_provider_schema(pb::get_provider_schema::Request {})
        .await
        .expect("GetProviderSchema")
        .into_inner();
    let sink = &schema.resource_schemas["phi_audit_log_sink"];
    let block = sink.block.as_ref().unwrap();
    for a in &block.attributes {
        assert!(!a.description.is_empty(), "{} has no description", a.name);
    }
    assert!(
        block
            .attributes
            .iter()
            .any(|a| a.name == "retention_days" && a.required)
    );
    let capabilities = schema.server_capabilities.unwrap();
    assert!(capabilities.plan_destroy);
    // Terraform may then skip GetProviderSchema and rely on GetMetadata
    // listing every type the schema has.
    assert!(capabilities.get_provider_schema_optional);
    let metadata = client
        .get_metadata(pb::get_metadata::Request {})
        .await
        .expect("GetMetadata")
        .into_inner();
    let mut listed: Vec<_> = metadata
        .resources
        .iter()
        .map(|r| r.type_name.clone())
        .collect();
    listed.sort();
    let mut schemas: Vec<_> = schema.resource_schemas.keys().cloned().collect();
    schemas.sort();
    assert_eq!(listed, schemas);
    let mut listed: Vec<_> = metadata
        .data_sources
        .iter()
        .map(|r| r.type_name.clone())
        .collect();
    listed.sort();
    let mut schemas: Vec<_> = schema.data_source_schemas.keys().cloned().collect();
    schemas.sort();
    assert_eq!(listed, schemas);
}

#[tokio::test]
async fn client_without_certificate_is_refused() {
    let id = client_identity();
    let plugin = start_plugin(&id);
    assert!(
        schema_call(&plugin, None).await.is_err(),
        "a client without a certificate was served"
    );
}

#[tokio::test]
async fn client_with_another_certificate_is_refused() {
    let announced = client_identity();
    let intruder = client_identity();
    let plugin = start_plugin(&announced);
    assert!(
        schema_call(&plugin, Some(&intruder)).await.is_err(),
        "a client with a different certificate was served"
    );
}

#[test]
fn run_by_hand_it_explains_and_exits_non_zero() {
    let out = Command::new(BIN)
        .env_remove(MAGIC_COOKIE_KEY)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(out.stdout.is_empty(), "nothing may be printed on stdout");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("Terraform plugin"), "{stderr}");
    assert!(stderr.contains("terraform plan"), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
}

#[test]
fn refuses_terraform_without_protocol_6() {
    let id = client_identity();
    let out = Command::new(BIN)
        .env(MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE)
        .env("PLUGIN_PROTOCOL_VERSIONS", "5")
        .env("PLUGIN_CLIENT_CERT", &id.cert_pem)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("protocol 6"));
}

#[test]
fn refuses_to_start_without_a_client_certificate() {
    let out = Command::new(BIN)
        .env(MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE)
        .env("PLUGIN_PROTOCOL_VERSIONS", "6")
        .env_remove("PLUGIN_CLIENT_CERT")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("PLUGIN_CLIENT_CERT"));
}

fn msgpack_object(pairs: &[(&str, rmpv::Value)]) -> Vec<u8> {
    let map = rmpv::Value::Map(
        pairs
            .iter()
            .map(|(k, v)| (rmpv::Value::from(*k), v.clone()))
            .collect(),
    );
    let mut out = Vec::new();
    rmpv::encode::write_value(&mut out, &map).unwrap();
    out
}

#[tokio::test]
async fn stop_provider_cancels_work_before_it_touches_aws() {
    let id = client_identity();
    let plugin = start_plugin(&id);
    let mut client = connect(&plugin, Some(&id)).await.unwrap();
    let config = msgpack_object(&[
        ("region", "eu-central-1".into()),
        ("profile", rmpv::Value::Nil),
    ]);
    let configured = client
        .configure_provider(pb::configure_provider::Request {
            terraform_version: "1.15.5".into(),
            config: Some(pb::DynamicValue {
                msgpack: config,
                json: vec![],
            }),
            client_capabilities: None,
        })
        .await
        .unwrap()
        .into_inner();
    assert!(
        configured.diagnostics.is_empty(),
        "{:?}",
        configured.diagnostics
    );
    client
        .stop_provider(pb::stop_provider::Request {})
        .await
        .unwrap();
    let planned = msgpack_object(&[
        ("name", "acme-audit".into()),
        (
            "kms_key_arn",
            "arn:aws:kms:eu-central-1:123456789012:key/k".into(),
        ),
        ("retention_days", 2192.into()),
    ]);
    let started = std::time::Instant::now();
    let applied = client
        .apply_resource_change(pb::apply_resource_change::Request {
            type_name: "phi_audit_log_sink".into(),
            prior_state: None,
            planned_state: Some(pb::DynamicValue {
                msgpack: planned.clone(),
                json: vec![],
            }),
            config: Some(pb::DynamicValue {
                msgpack: planned,
                json: vec![],
            }),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(started.elapsed() < Duration::from_secs(5));
    let diag = &applied.diagnostics[0];
    assert_eq!(diag.summary, "Interrupted");
    assert!(diag.detail.contains("nothing was changed"));
}

/// The diagnostics' summaries and details, as one text.
fn diagnostics_text(diagnostics: &[pb::Diagnostic]) -> String {
    diagnostics
        .iter()
        .map(|d| format!("{}: {}", d.summary, d.detail))
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test]
async fn reserved_msgpack_bytes_and_trailing_data_are_refused_with_a_diagnostic() {
    let id = client_identity();
    let plugin = start_plugin(&id);
    let mut client = connect(&plugin, Some(&id)).await.unwrap();
    // 0xC1 as the value of `name` (the map's last byte is its nil marker):
    // a lenient decoder reads it as null.
    let mut reserved = msgpack_object(&[("name", rmpv::Value::Nil)]);
    *reserved.last_mut().unwrap() = 0xc1;
    let mut trailing = msgpack_object(&[("name", "acme-audit".into())]);
    trailing.extend_from_slice(&[0xc0, 0xc0]);
    for (bytes, expected) in [(reserved, "0xC1"), (trailing, "2 bytes follow the value")] {
        let response = client
            .validate_resource_config(pb::validate_resource_config::Request {
                type_name: "phi_audit_log_sink".into(),
                config: Some(pb::DynamicValue {
                    msgpack: bytes,
                    json: vec![],
                }),
                client_capabilities: None,
            })
            .await
            .unwrap()
            .into_inner();
        let text = diagnostics_text(&response.diagnostics);
        assert_eq!(response.diagnostics.len(), 1, "{text}");
        assert!(
            text.contains("Could not decode a value from Terraform"),
            "{text}"
        );
        assert!(text.contains(expected), "{text}");
    }
}

#[tokio::test]
async fn upgrade_resource_state_refuses_wrong_typed_values_by_name() {
    let id = client_identity();
    let plugin = start_plugin(&id);
    let mut client = connect(&plugin, Some(&id)).await.unwrap();
    let response = client
        .upgrade_resource_state(pb::upgrade_resource_state::Request {
            type_name: "phi_audit_log_sink".into(),
            version: 0,
            raw_state: Some(pb::RawState {
                json: br#"{"name":"acme-audit","retention_days":"forever"}"#.to_vec(),
                flatmap: Default::default(),
            }),
        })
        .await
        .unwrap()
        .into_inner();
    let text = diagnostics_text(&response.diagnostics);
    assert!(response.upgraded_state.is_none(), "{text}");
    assert!(
        text.contains("`retention_days`: expected a number, found a string"),
        "{text}"
    );
}

/// Data sources travel in the protocol's own fields: metadata, schema and
/// validation, as Terraform asks for them before any read.
#[tokio::test]
async fn data_sources_are_announced_and_validated_over_the_protocol() {
    let id = client_identity();
    let plugin = start_plugin(&id);
    let mut client = connect(&plugin, Some(&id)).await.expect("mTLS connection");
    let metadata = client
        .get_metadata(pb::get_metadata::Request {})
        .await
        .expect("GetMetadata")
        .into_inner();
    let mut names: Vec<&str> = metadata
        .data_sources
        .iter()
        .map(|d| d.type_name.as_str())
        .collect();
    names.sort_unstable();
    assert_eq!(names, ["phi_audit_log_sink", "phi_bucket"]);

    let schema = client
        .get_provider_schema(pb::get_provider_schema::Request {})
        .await
        .expect("GetProviderSchema")
        .into_inner();
    let bucket = schema.data_source_schemas["phi_bucket"]
        .block
        .as_ref()
        .unwrap();
    let attribute = |name: &str| bucket.attributes.iter().find(|a| a.name == name).unwrap();
    assert!(attribute("name").required);
    assert!(attribute("require_compliant").optional);
    assert!(attribute("compliant").computed && !attribute("compliant").optional);

    let validate = |name: &str| pb::validate_data_resource_config::Request {
        type_name: "phi_audit_log_sink".to_owned(),
        config: Some(pb::DynamicValue {
            msgpack: msgpack_object(&[
                ("name", name.into()),
                ("require_compliant", rmpv::Value::Nil),
            ]),
            json: Vec::new(),
        }),
    };
    let refused = client
        .validate_data_resource_config(validate("Acme_Audit"))
        .await
        .expect("ValidateDataResourceConfig")
        .into_inner();
    let text = diagnostics_text(&refused.diagnostics);
    assert!(text.contains("Invalid name"), "{text}");
    let accepted = client
        .validate_data_resource_config(validate("acme-audit"))
        .await
        .expect("ValidateDataResourceConfig")
        .into_inner();
    assert!(
        accepted.diagnostics.is_empty(),
        "{:?}",
        accepted.diagnostics
    );

    let unknown = client
        .validate_data_resource_config(pb::validate_data_resource_config::Request {
            type_name: "phi_nothing".to_owned(),
            config: None,
        })
        .await;
    assert_eq!(unknown.unwrap_err().code(), tonic::Code::InvalidArgument);
}
