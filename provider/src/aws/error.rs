//! AWS failures turned into text a platform engineer can act on: the
//! operation, AWS's error code and message, never a Rust debug dump.

use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use thiserror::Error;

const UNREACHABLE: &str = "Could not reach AWS";

/// A request that never got an answer from AWS, in plain words. The SDK's
/// own rendering (`DisplayErrorContext`) nests Debug output of its internal
/// types, which a platform engineer cannot act on; what matters is whether
/// credentials were missing, the connection failed or it timed out, and the
/// innermost cause as the OS or the credential chain put it.
fn unreachable_message<E, R>(err: &SdkError<E, R>) -> String
where
    E: std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let mut chain: Vec<String> = Vec::new();
    let mut source: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(err);
    while let Some(e) = source {
        chain.push(e.to_string());
        source = e.source();
    }
    let text = chain.join(" ").to_ascii_lowercase();
    let timed_out = matches!(err, SdkError::TimeoutError(_))
        || matches!(err, SdkError::DispatchFailure(d) if d.is_timeout());
    let why = if text.contains("credentials") || text.contains("no identity") {
        Unreached::NoCredentials
    } else if timed_out {
        Unreached::TimedOut
    } else {
        Unreached::Cause(chain.last().cloned().unwrap_or_default())
    };
    why.message()
}

/// Why a request never got an answer from AWS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unreached {
    /// The credential chain found nothing.
    NoCredentials,
    /// The attempt or operation timeout ran out.
    TimedOut,
    /// The innermost cause as the OS or the HTTP stack put it.
    Cause(String),
}

impl Unreached {
    fn message(&self) -> String {
        let fix = "check the network, the credentials and AWS_ENDPOINT_URL";
        match self {
            Unreached::NoCredentials => format!(
                "{UNREACHABLE}: no credentials found in the chain (environment variables, shared \
                 config and credentials files, SSO, container or instance role); configure \
                 credentials for the provider"
            ),
            Unreached::TimedOut => format!("{UNREACHABLE}: the request timed out; {fix}"),
            Unreached::Cause(cause) if !cause.is_empty() => {
                format!("{UNREACHABLE}: {cause}; {fix}")
            }
            Unreached::Cause(_) => format!("{UNREACHABLE}; {fix}"),
        }
    }
}

/// The HTTP status of a raw answer, where the answer type has one.
pub trait HttpStatus {
    fn status(&self) -> Option<u16>;
}

impl HttpStatus for aws_smithy_runtime_api::client::orchestrator::HttpResponse {
    fn status(&self) -> Option<u16> {
        Some(self.status().as_u16())
    }
}

impl HttpStatus for () {
    fn status(&self) -> Option<u16> {
        None
    }
}

#[derive(Debug, Clone, Error, PartialEq, Eq)]
#[error("{operation} failed: {}", self.describe())]
pub struct AwsError {
    pub operation: &'static str,
    pub code: Option<String>,
    pub message: String,
}

impl AwsError {
    pub fn from_sdk<E, R>(operation: &'static str, err: SdkError<E, R>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
        R: std::fmt::Debug + HttpStatus,
    {
        match &err {
            // An answer without an error body (a HEAD request's 503, a proxy's
            // 502) has no code: say the status, never the SDK's Debug dump.
            SdkError::ServiceError(service) if service.err().code().is_none() => AwsError {
                operation,
                code: service.raw().status().map(|s| s.to_string()),
                message: service.err().message().map(str::to_owned).unwrap_or_else(
                    || match service.raw().status() {
                        Some(status) => format!("HTTP {status} with no error code in the answer"),
                        None => format!("unexpected response ({})", DisplayErrorContext(&err)),
                    },
                ),
            },
            SdkError::ServiceError(service) => AwsError {
                operation,
                code: service.err().code().map(str::to_owned),
                message: service
                    .err()
                    .message()
                    .map(str::to_owned)
                    .unwrap_or_else(|| "no message in the answer".to_owned()),
            },
            _ => AwsError {
                operation,
                code: None,
                message: unreachable_message(&err),
            },
        }
    }

    /// A call that never got an answer (for the clients that are not the
    /// SDK's, see `aws::query`).
    pub fn unreachable(operation: &'static str, why: Unreached) -> Self {
        AwsError {
            operation,
            code: None,
            message: why.message(),
        }
    }

    /// An error AWS answered with, by its code and message.
    pub fn service(operation: &'static str, code: &str, message: &str) -> Self {
        AwsError {
            operation,
            code: Some(code.to_owned()),
            message: message.to_owned(),
        }
    }

    /// True when AWS was never reached (no credentials, no connection,
    /// timeout), as opposed to AWS answering with an error.
    pub fn is_unreachable(&self) -> bool {
        self.code.is_none() && self.message.starts_with(UNREACHABLE)
    }

    pub fn code_is(&self, code: &str) -> bool {
        self.code.as_deref() == Some(code)
    }

    /// True for the codes AWS uses when the named thing does not exist.
    pub fn is_not_found(&self) -> bool {
        matches!(
            self.code.as_deref(),
            Some(
                "NoSuchBucket"
                    | "NotFound"
                    | "NotFoundException"
                    | "ResourceNotFoundException"
                    | "404"
            )
        )
    }

    fn describe(&self) -> String {
        match &self.code {
            Some(code) => format!("{code}: {}", self.message),
            None => self.message.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("no providers in chain provided credentials")]
    struct NoCredentials;

    #[derive(Debug, thiserror::Error)]
    #[error("Connection refused (os error 111)")]
    struct Refused;

    type Sdk = SdkError<aws_sdk_s3::operation::head_bucket::HeadBucketError, ()>;

    #[test]
    fn unreachable_aws_is_said_plainly_without_sdk_debug_output() {
        let e = AwsError::from_sdk(
            "sts:GetCallerIdentity",
            Sdk::construction_failure(NoCredentials),
        );
        assert!(e.is_unreachable());
        let text = e.to_string();
        assert!(
            text.starts_with(
                "sts:GetCallerIdentity failed: Could not reach AWS: no credentials found in the chain"
            ),
            "{text}"
        );
        assert!(
            !text.contains("ConstructionFailure") && !text.contains('{'),
            "{text}"
        );

        let e = AwsError::from_sdk("kms:DescribeKey", Sdk::construction_failure(Refused));
        assert_eq!(
            e.message,
            "Could not reach AWS: Connection refused (os error 111); check the network, the \
             credentials and AWS_ENDPOINT_URL"
        );
    }

    #[test]
    fn an_answer_without_an_error_code_is_named_by_its_status() {
        use aws_sdk_s3::operation::head_bucket::HeadBucketError;
        use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
        use aws_smithy_runtime_api::http::StatusCode;
        use aws_smithy_types::body::SdkBody;
        use aws_smithy_types::error::ErrorMetadata;

        let raw = HttpResponse::new(StatusCode::try_from(503).unwrap(), SdkBody::empty());
        let err = HeadBucketError::generic(ErrorMetadata::builder().build());
        let e = AwsError::from_sdk("s3:HeadBucket", SdkError::service_error(err, raw));
        assert_eq!(e.code.as_deref(), Some("503"));
        assert_eq!(e.message, "HTTP 503 with no error code in the answer");
        assert!(!e.to_string().contains('{'), "{e}");
        assert!(!e.is_unreachable());
    }
}
