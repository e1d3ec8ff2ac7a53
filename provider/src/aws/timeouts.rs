//! Time limits on every AWS call, so a frozen or black-holed endpoint ends a
//! plan or apply with an error instead of hanging it.
//!
//! DESIGN: the SDK's defaults set only a connect timeout; a connection that
//! is accepted and never answered waits forever (a fault test saw plan and
//! apply hang past two minutes). Each client gets an attempt timeout (one
//! HTTP exchange) and an operation timeout (all attempts and the backoff
//! between them). The defaults are generous for the control-plane calls the
//! provider makes, whose answers take well under a second; the provider
//! block can change both (`attempt_timeout_seconds`,
//! `operation_timeout_seconds`), e.g. behind a slow proxy.

use std::time::Duration;

use aws_config::timeout::TimeoutConfig;

/// One HTTP exchange with AWS, including reading the answer.
pub const DEFAULT_ATTEMPT_TIMEOUT: Duration = Duration::from_secs(30);
/// One call, with every retry and the backoff between them.
pub const DEFAULT_OPERATION_TIMEOUT: Duration = Duration::from_secs(120);
/// Establishing the TCP and TLS connection.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The largest value either setting accepts (one hour): a larger one is
/// almost certainly a unit mistake.
const MAX_SECONDS: i64 = 3600;

/// The time limits of every AWS call the provider makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallLimits {
    pub attempt: Duration,
    pub operation: Duration,
}

impl Default for CallLimits {
    fn default() -> Self {
        CallLimits {
            attempt: DEFAULT_ATTEMPT_TIMEOUT,
            operation: DEFAULT_OPERATION_TIMEOUT,
        }
    }
}

impl CallLimits {
    /// The limits from the provider block's two optional settings (whole
    /// seconds), checked: each between 1 and 3600, and an attempt no longer
    /// than the operation it is part of. The error names the setting.
    pub fn from_settings(
        attempt_seconds: Option<i64>,
        operation_seconds: Option<i64>,
    ) -> Result<CallLimits, (&'static str, String)> {
        let check = |name: &'static str, v: Option<i64>, default: Duration| match v {
            None => Ok(default),
            Some(s) if (1..=MAX_SECONDS).contains(&s) => Ok(Duration::from_secs(s as u64)),
            Some(s) => Err((
                name,
                format!(
                    "{name} must be a whole number of seconds from 1 to {MAX_SECONDS}, not {s}."
                ),
            )),
        };
        let attempt = check(
            "attempt_timeout_seconds",
            attempt_seconds,
            DEFAULT_ATTEMPT_TIMEOUT,
        )?;
        let operation = check(
            "operation_timeout_seconds",
            operation_seconds,
            DEFAULT_OPERATION_TIMEOUT,
        )?;
        if attempt > operation {
            return Err((
                "attempt_timeout_seconds",
                format!(
                    "attempt_timeout_seconds ({}) is longer than operation_timeout_seconds ({}): \
                     one attempt cannot outlast the call it is part of.",
                    attempt.as_secs(),
                    operation.as_secs()
                ),
            ));
        }
        Ok(CallLimits { attempt, operation })
    }

    /// The SDK form, set on every client.
    pub fn timeout_config(&self) -> TimeoutConfig {
        TimeoutConfig::builder()
            .connect_timeout(CONNECT_TIMEOUT.min(self.attempt))
            .operation_attempt_timeout(self.attempt)
            .operation_timeout(self.operation)
            .build()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_apply_when_unset() {
        assert_eq!(
            CallLimits::from_settings(None, None),
            Ok(CallLimits::default())
        );
        let config = CallLimits::default().timeout_config();
        assert_eq!(config.operation_timeout(), Some(DEFAULT_OPERATION_TIMEOUT));
        assert_eq!(
            config.operation_attempt_timeout(),
            Some(DEFAULT_ATTEMPT_TIMEOUT)
        );
        assert_eq!(config.connect_timeout(), Some(CONNECT_TIMEOUT));
    }

    #[test]
    fn out_of_range_and_inverted_settings_are_refused_by_name() {
        let (name, msg) = CallLimits::from_settings(Some(0), None).unwrap_err();
        assert_eq!(name, "attempt_timeout_seconds");
        assert!(msg.contains("from 1 to 3600"), "{msg}");
        let (name, _) = CallLimits::from_settings(None, Some(86_400)).unwrap_err();
        assert_eq!(name, "operation_timeout_seconds");
        let (name, msg) = CallLimits::from_settings(Some(60), Some(10)).unwrap_err();
        assert_eq!(name, "attempt_timeout_seconds");
        assert!(msg.contains("longer than"), "{msg}");
        let ok = CallLimits::from_settings(Some(2), Some(5)).unwrap();
        assert_eq!(ok.attempt, Duration::from_secs(2));
        assert_eq!(ok.operation, Duration::from_secs(5));
    }
}
