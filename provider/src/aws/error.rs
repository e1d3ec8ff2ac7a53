//! AWS failures turned into text a platform engineer can act on: the
//! operation, AWS's error code and message, never a Rust debug dump.

use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use thiserror::Error;

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
        R: std::fmt::Debug,
    {
        match &err {
            SdkError::ServiceError(service) => AwsError {
                operation,
                code: service.err().code().map(str::to_owned),
                message: service
                    .err()
                    .message()
                    .map(str::to_owned)
                    .unwrap_or_else(|| {
                        format!("unexpected response ({})", DisplayErrorContext(&err))
                    }),
            },
            _ => AwsError {
                operation,
                code: None,
                message: format!(
                    "could not reach AWS ({}); check the network, the credentials and AWS_ENDPOINT_URL",
                    DisplayErrorContext(&err)
                ),
            },
        }
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
