//! AWS's JSON protocol (awsJson1_1: `POST /` with `X-Amz-Target:
//! <prefix>.<Operation>`, a JSON body and a JSON answer, errors named by
//! `__type`) on the signed client of `query.rs`, for the two Secrets
//! Manager calls of the database's master-secret rotation.
//!
//! DESIGN: the Secrets Manager SDK crate would add its compile time to every
//! cold build for two calls; the Query client already has the credential
//! chain, SigV4 signing, the endpoint settings, timeouts and retries, so only
//! the body and the answer differ here.

use serde_json::Value;

use super::AwsError;
use super::query::{QueryClient, ServiceNames};

/// Secrets Manager: signing name, endpoint id (`AWS_ENDPOINT_URL_SECRETS_MANAGER`)
/// and API version.
pub const SECRETS_MANAGER: ServiceNames = ServiceNames {
    signing_name: "secretsmanager",
    service_id: "Secrets Manager",
    api_version: "2017-10-17",
};

/// The awsJson1_1 content type.
const CONTENT_TYPE: &str = "application/x-amz-json-1.1";

impl QueryClient {
    /// Calls `<target_prefix>.<action>` with `input` and returns the answer's
    /// JSON. Retried like [`QueryClient::call`].
    pub async fn call_json(
        &self,
        operation: &'static str,
        target_prefix: &str,
        action: &str,
        input: &Value,
    ) -> Result<Value, AwsError> {
        let body = input.to_string();
        let target = format!("{target_prefix}.{action}");
        let headers = [
            ("content-type", CONTENT_TYPE),
            ("x-amz-target", target.as_str()),
        ];
        self.with_retries(operation, &body, &headers, |status, text| {
            if status.is_success() {
                return Ok(parse_answer(text)
                    .map_err(|e| AwsError::service(operation, "MalformedAnswer", &e)));
            }
            Err(json_error_of(text, status.as_u16()))
        })
        .await
    }
}

/// A success answer; an empty body is an empty object.
fn parse_answer(text: &str) -> Result<Value, String> {
    if text.trim().is_empty() {
        return Ok(Value::Object(Default::default()));
    }
    serde_json::from_str(text).map_err(|e| format!("the answer is not JSON: {e}"))
}

/// The code and message of a JSON error answer. `__type` may carry a
/// namespace (`com.amazonaws.secretsmanager#ResourceNotFoundException`) and
/// the message is `message` or `Message` depending on the service.
fn json_error_of(text: &str, status: u16) -> (String, String) {
    let parsed: Option<Value> = serde_json::from_str(text).ok();
    let code = parsed
        .as_ref()
        .and_then(|v| v.get("__type"))
        .and_then(Value::as_str)
        .map(|t| t.rsplit('#').next().unwrap_or(t).to_owned());
    match code {
        Some(code) => {
            let message = parsed
                .as_ref()
                .and_then(|v| v.get("message").or_else(|| v.get("Message")))
                .and_then(Value::as_str)
                .unwrap_or("no message")
                .to_owned();
            (code, message)
        }
        None => (
            status.to_string(),
            format!("HTTP {status} with an answer that names no error code"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::CallLimits;
    use aws_types::SdkConfig;

    #[test]
    fn error_answers_give_the_type_without_its_namespace_and_the_message() {
        let (code, message) = json_error_of(
            r#"{"__type":"com.amazonaws.secretsmanager#ResourceNotFoundException","message":"Secrets Manager can't find the specified secret."}"#,
            400,
        );
        assert_eq!(code, "ResourceNotFoundException");
        assert_eq!(message, "Secrets Manager can't find the specified secret.");
        let (code, message) = json_error_of(
            r#"{"__type":"ThrottlingException","Message":"Rate exceeded"}"#,
            400,
        );
        assert_eq!(
            (code.as_str(), message.as_str()),
            ("ThrottlingException", "Rate exceeded")
        );
        let (code, message) = json_error_of("<html>bad gateway</html>", 502);
        assert_eq!(code, "502");
        assert!(message.contains("HTTP 502"), "{message}");
    }

    #[test]
    fn answers_are_json_and_an_empty_one_is_an_empty_object() {
        assert_eq!(
            parse_answer(r#"{"RotationEnabled":true}"#).unwrap()["RotationEnabled"],
            true
        );
        assert!(parse_answer("").unwrap().as_object().unwrap().is_empty());
        assert!(parse_answer("<xml/>").unwrap_err().contains("not JSON"));
    }

    #[test]
    fn the_default_endpoint_is_secrets_managers_own_in_the_region() {
        // Without endpoint settings: AWS's endpoint under the signing name.
        // (`AWS_ENDPOINT_URL_SECRETS_MANAGER` is read through the service id
        // by the same code as EC2's; the acceptance tests use the global one.)
        let sdk = SdkConfig::builder()
            .region(aws_types::region::Region::new("eu-central-1"))
            .build();
        let client = QueryClient::new(&sdk, SECRETS_MANAGER, &CallLimits::default());
        assert_eq!(
            format!("{client:?}"),
            "QueryClient { service: \"secretsmanager\", endpoint: \
             \"https://secretsmanager.eu-central-1.amazonaws.com/\", region: \"eu-central-1\", .. }"
        );
    }

    /// A one-shot HTTP server on loopback answering `status` and `body`,
    /// returning what it received.
    async fn serve_once(
        status: u16,
        body: &'static str,
    ) -> (String, tokio::task::JoinHandle<String>) {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/", listener.local_addr().unwrap());
        let handle = tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut received = Vec::new();
            let mut buf = [0u8; 4096];
            loop {
                let n = socket.read(&mut buf).await.unwrap();
                received.extend_from_slice(&buf[..n]);
                let text = String::from_utf8_lossy(&received);
                if let Some(head_end) = text.find("\r\n\r\n") {
                    let length = text[..head_end]
                        .lines()
                        .find_map(|l| {
                            l.to_ascii_lowercase()
                                .strip_prefix("content-length:")
                                .map(|v| v.trim().parse::<usize>().unwrap())
                        })
                        .unwrap_or(0);
                    if received.len() >= head_end + 4 + length {
                        break;
                    }
                }
                if n == 0 {
                    break;
                }
            }
            let answer = format!(
                "HTTP/1.1 {status} X\r\ncontent-type: application/x-amz-json-1.1\r\n\
                 content-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            socket.write_all(answer.as_bytes()).await.unwrap();
            String::from_utf8_lossy(&received).into_owned()
        });
        (url, handle)
    }

    fn client_for(url: &str) -> QueryClient {
        let sdk = SdkConfig::builder()
            .region(aws_types::region::Region::new("eu-central-1"))
            .endpoint_url(url)
            .credentials_provider(
                aws_credential_types::provider::SharedCredentialsProvider::new(
                    aws_credential_types::Credentials::new(
                        "AKIDEXAMPLE",
                        "secret",
                        None,
                        None,
                        "t",
                    ),
                ),
            )
            .build();
        QueryClient::new(&sdk, SECRETS_MANAGER, &CallLimits::default())
    }

    #[tokio::test]
    async fn a_call_posts_signed_json_with_the_target_and_reads_the_answer() {
        let (url, server) = serve_once(200, r#"{"RotationEnabled":true}"#).await;
        let answer = client_for(&url)
            .call_json(
                "secretsmanager:DescribeSecret",
                "secretsmanager",
                "DescribeSecret",
                &serde_json::json!({"SecretId": "arn:s"}),
            )
            .await
            .unwrap();
        assert_eq!(answer["RotationEnabled"], true);
        let request = server.await.unwrap().to_ascii_lowercase();
        assert!(request.starts_with("post / http/1.1"), "{request}");
        assert!(
            request.contains("x-amz-target: secretsmanager.describesecret"),
            "{request}"
        );
        assert!(
            request.contains("content-type: application/x-amz-json-1.1"),
            "{request}"
        );
        assert!(
            request.contains("/eu-central-1/secretsmanager/aws4_request"),
            "{request}"
        );
        assert!(
            request.contains("signedheaders=content-type;host;"),
            "{request}"
        );
        assert!(request.contains("x-amz-target"), "{request}");
        assert!(request.ends_with(r#"{"secretid":"arn:s"}"#), "{request}");
    }

    #[tokio::test]
    async fn a_client_error_is_returned_with_its_code_and_not_retried() {
        // The server answers once: a retry would find nobody listening and
        // fail as unreachable instead.
        let (url, server) = serve_once(
            400,
            r#"{"__type":"ResourceNotFoundException","message":"no such secret"}"#,
        )
        .await;
        let e = client_for(&url)
            .call_json(
                "secretsmanager:DescribeSecret",
                "secretsmanager",
                "DescribeSecret",
                &serde_json::json!({"SecretId": "arn:gone"}),
            )
            .await
            .unwrap_err();
        server.await.unwrap();
        assert!(!e.is_unreachable(), "{e}");
        assert!(e.to_string().contains("ResourceNotFoundException"), "{e}");
        assert!(e.to_string().contains("no such secret"), "{e}");
    }
}
