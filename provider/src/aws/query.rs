//! A signed client for AWS's Query-protocol APIs (form-encoded POST, XML
//! answer), used for the two EC2 reads of the database's network checks;
//! `json_api.rs` adds the JSON protocol (Secrets Manager) on the same
//! signing, endpoint, credential, timeout and retry code.
//!
//! DESIGN: the EC2 SDK crate is one of the largest in the SDK; compiling it
//! took about seven minutes of every cold build and check, for two read-only
//! calls. This client keeps what the SDK clients give the others: the same
//! credential chain and region, SigV4 signing by the SDK's own signer, the
//! endpoint settings (`AWS_ENDPOINT_URL_EC2`, `AWS_ENDPOINT_URL`, the
//! profile's `endpoint_url`, FIPS and dual-stack), the attempt and operation
//! timeouts of the provider block, and retries of throttling and transient
//! failures with jittered exponential backoff.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use aws_types::SdkConfig;
use aws_types::service_config::ServiceConfigKey;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client as HttpClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use super::error::Unreached;
use super::xml::{self, Element};
use super::{AwsError, CallLimits, MAX_ATTEMPTS, MAX_BACKOFF};

/// Error codes that mean "slow down" or "try again" in the Query APIs.
const RETRYABLE_CODES: &[&str] = &[
    "RequestLimitExceeded",
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottled",
    "RequestThrottledException",
    "TooManyRequestsException",
    "SlowDown",
    "InternalError",
    "InternalFailure",
    "ServiceUnavailable",
    "Unavailable",
];

/// The first wait before a retry; doubled each attempt, up to MAX_BACKOFF,
/// and each wait drawn uniformly below it ("full jitter").
const INITIAL_BACKOFF: Duration = Duration::from_millis(200);

/// Credentials are refreshed this long before they expire.
const CREDENTIALS_MARGIN: Duration = Duration::from_secs(300);

/// One service's Query API in one region.
#[derive(Clone)]
pub struct QueryClient {
    /// The signing name and the service id of the endpoint settings.
    service: &'static str,
    api_version: &'static str,
    endpoint: String,
    region: String,
    credentials: Option<SharedCredentialsProvider>,
    cached: Arc<tokio::sync::Mutex<Option<Credentials>>>,
    limits: CallLimits,
}

impl std::fmt::Debug for QueryClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QueryClient")
            .field("service", &self.service)
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .finish_non_exhaustive()
    }
}

/// How one service is named in signing, in the endpoint settings and in
/// its requests.
#[derive(Debug, Clone, Copy)]
pub struct ServiceNames {
    /// The signing name and host prefix (`ec2`).
    pub signing_name: &'static str,
    /// The id in `AWS_ENDPOINT_URL_<ID>` and the profile's `services`
    /// section (`EC2`).
    pub service_id: &'static str,
    /// The `Version` parameter of every request.
    pub api_version: &'static str,
}

impl QueryClient {
    /// A client configured like the SDK clients from the same `sdk`
    /// configuration.
    pub fn new(sdk: &SdkConfig, names: ServiceNames, limits: &CallLimits) -> Self {
        let region = sdk
            .region()
            .map(|r| r.to_string())
            .unwrap_or_else(|| "us-east-1".to_owned());
        let configured = sdk
            .service_config()
            .and_then(|c| {
                ServiceConfigKey::builder()
                    .service_id(names.service_id)
                    .env("AWS_ENDPOINT_URL")
                    .profile("endpoint_url")
                    .build()
                    .ok()
                    .and_then(|key| c.load_config(key))
            })
            .or_else(|| sdk.endpoint_url().map(str::to_owned));
        let endpoint = configured.unwrap_or_else(|| {
            aws_endpoint(
                names.signing_name,
                &region,
                sdk.use_fips().unwrap_or(false),
                sdk.use_dual_stack().unwrap_or(false),
            )
        });
        QueryClient {
            service: names.signing_name,
            api_version: names.api_version,
            endpoint,
            region,
            credentials: sdk.credentials_provider(),
            cached: Arc::default(),
            limits: *limits,
        }
    }

    /// Calls `action` with `params` and returns the answer's root element.
    /// Throttling, 5xx answers, timeouts and connection failures are retried
    /// up to MAX_ATTEMPTS times within the operation timeout.
    pub async fn call(
        &self,
        operation: &'static str,
        action: &str,
        params: &[(String, String)],
    ) -> Result<Element, AwsError> {
        const CONTENT_TYPE: &str = "application/x-www-form-urlencoded; charset=utf-8";
        let body = form_body(action, self.api_version, params);
        let headers = [("content-type", CONTENT_TYPE)];
        self.with_retries(operation, &body, &headers, |status, text| {
            if status.is_success() {
                return Ok(xml::parse(text)
                    .map_err(|e| AwsError::service(operation, "MalformedAnswer", &e.to_string())));
            }
            Err(error_of(text, status.as_u16()))
        })
        .await
    }

    /// Sends `body` with `headers` (signed) until an answer is final, and
    /// hands it to `decode`: `Ok` for a success (itself `Ok` or, for a
    /// malformed answer, a non-retryable `Err`), `Err((code, message))` for an
    /// error answer, retried when the status or code says so. The signing,
    /// credentials, endpoint, timeouts and retries of every protocol.
    pub(super) async fn with_retries<T>(
        &self,
        operation: &'static str,
        body: &str,
        headers: &[(&'static str, &str)],
        decode: impl Fn(http::StatusCode, &str) -> Decoded<T>,
    ) -> Result<T, AwsError> {
        let attempts = async {
            let mut attempt = 1;
            loop {
                let failure = match self.attempt(operation, body, headers, &decode).await {
                    Ok(answer) => return Ok(answer),
                    Err(failure) => failure,
                };
                if !failure.retryable || attempt >= MAX_ATTEMPTS {
                    return Err(failure.error);
                }
                let wait = backoff(attempt);
                tracing::debug!(operation, attempt, ?wait, error = %failure.error, "retrying");
                tokio::time::sleep(wait).await;
                attempt += 1;
            }
        };
        match tokio::time::timeout(self.limits.operation, attempts).await {
            Ok(result) => result,
            Err(_) => Err(AwsError::unreachable(operation, Unreached::TimedOut)),
        }
    }

    async fn attempt<T>(
        &self,
        operation: &'static str,
        body: &str,
        headers: &[(&'static str, &str)],
        decode: &impl Fn(http::StatusCode, &str) -> Decoded<T>,
    ) -> Result<T, Failure> {
        let credentials = self.credentials(operation).await?;
        let request = self
            .signed_request(&credentials, body, headers)
            .map_err(|e| Failure::fatal(AwsError::unreachable(operation, Unreached::Cause(e))))?;
        let client = http_client()
            .map_err(|e| Failure::fatal(AwsError::unreachable(operation, Unreached::Cause(e))))?;
        let exchange = async {
            let response = client.request(request).await?;
            let status = response.status();
            let bytes = response.into_body().collect().await?.to_bytes();
            Ok::<_, Box<dyn std::error::Error + Send + Sync>>((status, bytes))
        };
        let (status, bytes) = match tokio::time::timeout(self.limits.attempt, exchange).await {
            Err(_) => {
                return Err(Failure::retry(AwsError::unreachable(
                    operation,
                    Unreached::TimedOut,
                )));
            }
            Ok(Err(e)) => {
                return Err(Failure::retry(AwsError::unreachable(
                    operation,
                    Unreached::Cause(innermost(e.as_ref())),
                )));
            }
            Ok(Ok(answer)) => answer,
        };
        let text = String::from_utf8_lossy(&bytes);
        let (code, message) = match decode(status, &text) {
            Ok(decoded) => return decoded.map_err(Failure::fatal),
            Err(error) => error,
        };
        let retryable = status.is_server_error()
            || status.as_u16() == 429
            || RETRYABLE_CODES.contains(&code.as_str());
        Err(Failure {
            error: AwsError::service(operation, &code, &message),
            retryable,
        })
    }

    /// Credentials from the chain, cached until shortly before they expire
    /// (the chain itself may call STS or the instance metadata service).
    async fn credentials(&self, operation: &'static str) -> Result<Credentials, Failure> {
        let mut cached = self.cached.lock().await;
        if let Some(c) = cached.as_ref() {
            let fresh = c
                .expiry()
                .is_none_or(|at| at > SystemTime::now() + CREDENTIALS_MARGIN);
            if fresh {
                return Ok(c.clone());
            }
        }
        let provider = self.credentials.as_ref().ok_or_else(|| {
            Failure::fatal(AwsError::unreachable(operation, Unreached::NoCredentials))
        })?;
        let fetched = provider.provide_credentials().await.map_err(|e| {
            tracing::debug!(error = %e, "no credentials");
            Failure::fatal(AwsError::unreachable(operation, Unreached::NoCredentials))
        })?;
        *cached = Some(fetched.clone());
        Ok(fetched)
    }

    fn signed_request(
        &self,
        credentials: &Credentials,
        body: &str,
        headers: &[(&'static str, &str)],
    ) -> Result<http::Request<Full<Bytes>>, String> {
        let identity = Identity::from(credentials.clone());
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(&self.region)
            .name(self.service)
            .time(SystemTime::now())
            .settings(SigningSettings::default())
            .build()
            .map_err(|e| e.to_string())?
            .into();
        let signable = SignableRequest::new(
            "POST",
            self.endpoint.as_str(),
            headers.iter().copied(),
            SignableBody::Bytes(body.as_bytes()),
        )
        .map_err(|e| e.to_string())?;
        let (instructions, _signature) = sign(signable, &params)
            .map_err(|e| e.to_string())?
            .into_parts();
        let mut builder = http::Request::builder()
            .method("POST")
            .uri(self.endpoint.as_str());
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        let mut request = builder
            .body(Full::new(Bytes::from(body.to_owned())))
            .map_err(|e| format!("invalid endpoint {:?}: {e}", self.endpoint))?;
        instructions.apply_to_request_http1x(&mut request);
        Ok(request)
    }
}

/// How a protocol reads one answer: `Ok` for a success (itself `Ok`, or a
/// final `Err` when the answer is malformed), `Err((code, message))` for an
/// error answer.
pub(super) type Decoded<T> = Result<Result<T, AwsError>, (String, String)>;

/// A failed attempt, and whether another one may succeed.
struct Failure {
    error: AwsError,
    retryable: bool,
}

impl Failure {
    fn retry(error: AwsError) -> Self {
        Failure {
            error,
            retryable: true,
        }
    }

    fn fatal(error: AwsError) -> Self {
        Failure {
            error,
            retryable: false,
        }
    }
}

type Https = HttpClient<HttpsConnector<HttpConnector>, Full<Bytes>>;

/// The process's one HTTPS client for these calls, built on first use.
///
/// DESIGN: building it reads and parses the system's trust store (about
/// 150 certificates), which a profile of `terraform plan` showed in every
/// provider start; most runs never call EC2 or Secrets Manager, so the cost
/// is paid only by the first call that needs it, once.
fn http_client() -> Result<&'static Https, String> {
    static CLIENT: std::sync::OnceLock<Result<Https, String>> = std::sync::OnceLock::new();
    CLIENT
        .get_or_init(build_http_client)
        .as_ref()
        .map_err(Clone::clone)
}

fn build_http_client() -> Result<Https, String> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let builder = hyper_rustls::HttpsConnectorBuilder::new();
    // No readable trust store is an error only for an https endpoint; the
    // connector is built with no roots and the TLS handshake then says so.
    let builder = match builder.with_provider_and_native_roots(provider.clone()) {
        Ok(b) => b,
        Err(e) => {
            tracing::warn!(error = %e, "no system trust store");
            let tls = rustls::ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .map_err(|e| format!("no TLS configuration: {e}"))?
                .with_root_certificates(rustls::RootCertStore::empty())
                .with_no_client_auth();
            hyper_rustls::HttpsConnectorBuilder::new().with_tls_config(tls)
        }
    };
    let mut connector = HttpConnector::new();
    connector.enforce_http(false);
    connector.set_connect_timeout(Some(super::timeouts::CONNECT_TIMEOUT));
    let https = builder
        .https_or_http()
        .enable_http1()
        .wrap_connector(connector);
    Ok(HttpClient::builder(TokioExecutor::new()).build(https))
}

/// AWS's own endpoint of `service` in `region`, as the SDK's endpoint rules
/// give it for the standard, China and GovCloud partitions.
pub fn aws_endpoint(service: &str, region: &str, fips: bool, dual_stack: bool) -> String {
    let host = if fips {
        format!("{service}-fips")
    } else {
        service.to_owned()
    };
    let domain = match (region.starts_with("cn-"), dual_stack) {
        (true, true) => "api.amazonwebservices.com.cn",
        (true, false) => "amazonaws.com.cn",
        (false, true) => "api.aws",
        (false, false) => "amazonaws.com",
    };
    format!("https://{host}.{region}.{domain}/")
}

/// `Action=…&Version=…&<params>`, form-encoded.
fn form_body(action: &str, version: &str, params: &[(String, String)]) -> String {
    let mut form = form_urlencoded::Serializer::new(String::new());
    form.append_pair("Action", action);
    form.append_pair("Version", version);
    for (k, v) in params {
        form.append_pair(k, v);
    }
    form.finish()
}

/// The code and message of an error answer: EC2 writes
/// `<Response><Errors><Error>`, the other Query APIs `<ErrorResponse><Error>`.
fn error_of(body: &str, status: u16) -> (String, String) {
    let parsed = xml::parse(body).ok();
    let error = parsed.as_ref().and_then(|root| {
        root.child("Errors")
            .and_then(|e| e.child("Error"))
            .or_else(|| root.child("Error"))
    });
    match error.and_then(|e| e.child_text("Code").map(|c| (e, c))) {
        Some((e, code)) => (
            code.to_owned(),
            e.child_text("Message").unwrap_or("no message").to_owned(),
        ),
        None => (
            status.to_string(),
            format!("HTTP {status} with an answer that names no error code"),
        ),
    }
}

fn backoff(attempt: u32) -> Duration {
    let ceiling = INITIAL_BACKOFF
        .saturating_mul(1 << (attempt - 1).min(16))
        .min(MAX_BACKOFF);
    ceiling.mul_f64(fastrand::f64())
}

fn innermost(e: &(dyn std::error::Error + 'static)) -> String {
    let mut last = e;
    while let Some(next) = last.source() {
        last = next;
    }
    last.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aws_endpoints_follow_the_partition_fips_and_dual_stack() {
        assert_eq!(
            aws_endpoint("ec2", "eu-central-1", false, false),
            "https://ec2.eu-central-1.amazonaws.com/"
        );
        assert_eq!(
            aws_endpoint("ec2", "us-gov-west-1", true, false),
            "https://ec2-fips.us-gov-west-1.amazonaws.com/"
        );
        assert_eq!(
            aws_endpoint("ec2", "cn-north-1", false, false),
            "https://ec2.cn-north-1.amazonaws.com.cn/"
        );
        assert_eq!(
            aws_endpoint("ec2", "eu-west-1", false, true),
            "https://ec2.eu-west-1.api.aws/"
        );
    }

    #[test]
    fn the_body_is_form_encoded_with_action_and_version() {
        let body = form_body(
            "DescribeRouteTables",
            "2016-11-15",
            &[
                ("Filter.1.Name".into(), "vpc-id".into()),
                ("NextToken".into(), "a+b/c=".into()),
            ],
        );
        assert_eq!(
            body,
            "Action=DescribeRouteTables&Version=2016-11-15&Filter.1.Name=vpc-id&NextToken=a%2Bb%2Fc%3D"
        );
    }

    #[test]
    fn error_answers_of_both_shapes_give_code_and_message() {
        let ec2 = "<Response><Errors><Error><Code>InvalidGroup.NotFound</Code>\
                   <Message>The security group 'sg-1' does not exist</Message></Error></Errors>\
                   <RequestID>r</RequestID></Response>";
        assert_eq!(
            error_of(ec2, 400),
            (
                "InvalidGroup.NotFound".to_owned(),
                "The security group 'sg-1' does not exist".to_owned()
            )
        );
        let query = "<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code>\
                     <Message>Rate exceeded</Message></Error></ErrorResponse>";
        assert_eq!(error_of(query, 400).0, "Throttling");
        let (code, message) = error_of("<html>bad gateway</html>", 502);
        assert_eq!(code, "502");
        assert!(message.contains("HTTP 502"));
    }

    #[test]
    fn backoff_is_jittered_below_a_doubling_ceiling() {
        for attempt in 1..=20 {
            let ceiling = INITIAL_BACKOFF
                .saturating_mul(1 << (attempt - 1).min(16))
                .min(MAX_BACKOFF);
            for _ in 0..50 {
                assert!(backoff(attempt) <= ceiling);
            }
        }
        assert!(backoff(30) <= MAX_BACKOFF);
    }

    #[tokio::test]
    async fn a_request_is_signed_for_the_service_and_region() {
        let sdk = SdkConfig::builder()
            .region(aws_types::region::Region::new("eu-central-1"))
            .endpoint_url("http://127.0.0.1:1")
            .build();
        let client = QueryClient::new(
            &sdk,
            ServiceNames {
                signing_name: "ec2",
                service_id: "EC2",
                api_version: "2016-11-15",
            },
            &CallLimits::default(),
        );
        assert_eq!(client.endpoint, "http://127.0.0.1:1");
        let credentials =
            Credentials::new("AKIDEXAMPLE", "secret", Some("token".into()), None, "t");
        let request = client
            .signed_request(&credentials, "Action=X", &[("content-type", "text/plain")])
            .unwrap();
        let auth = request.headers()["authorization"].to_str().unwrap();
        assert!(
            auth.starts_with("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/"),
            "{auth}"
        );
        assert!(auth.contains("/eu-central-1/ec2/aws4_request"), "{auth}");
        assert!(auth.contains("SignedHeaders=content-type;host;"), "{auth}");
        assert_eq!(request.headers()["x-amz-security-token"], "token");
        assert!(request.headers().contains_key("x-amz-date"));
    }

    #[tokio::test]
    async fn no_credentials_is_said_plainly_and_not_retried() {
        let sdk = SdkConfig::builder()
            .region(aws_types::region::Region::new("eu-central-1"))
            .endpoint_url("http://127.0.0.1:1")
            .build();
        let names = ServiceNames {
            signing_name: "ec2",
            service_id: "EC2",
            api_version: "2016-11-15",
        };
        let client = QueryClient::new(&sdk, names, &CallLimits::default());
        let e = client
            .call("ec2:DescribeRouteTables", "DescribeRouteTables", &[])
            .await
            .unwrap_err();
        assert!(e.is_unreachable());
        assert!(e.message.contains("no credentials found"), "{e}");
    }
}
