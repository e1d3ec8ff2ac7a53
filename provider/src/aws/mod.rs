//! AWS clients, configured from the standard credential chain and the SDK's
//! standard endpoint settings (`AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_<SERVICE>`)
//! so the same binary talks to AWS or to a local emulator.

pub mod compat;
pub mod concurrency;
pub mod ec2;
pub mod error;
pub mod json_api;
pub mod kms;
pub mod query;
pub mod rds;
pub mod timeouts;
pub mod xml;

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_sdk_s3::config::Region;
use aws_smithy_runtime::client::retries::{RetryPartition, TokenBucket};

pub use error::AwsError;
pub use timeouts::CallLimits;

/// The clients one configured provider instance uses.
/// Attempts per AWS call, the first included.
pub const MAX_ATTEMPTS: u32 = 8;
/// The longest wait between two attempts.
pub const MAX_BACKOFF: std::time::Duration = std::time::Duration::from_secs(10);

#[derive(Clone, Debug)]
pub struct Clients {
    pub region: String,
    pub s3: aws_sdk_s3::Client,
    pub kms: aws_sdk_kms::Client,
    pub logs: aws_sdk_cloudwatchlogs::Client,
    pub sts: aws_sdk_sts::Client,
    pub rds: aws_sdk_rds::Client,
    pub cloudtrail: aws_sdk_cloudtrail::Client,
    pub iam: aws_sdk_iam::Client,
    /// EC2 through the signed Query client (`query`), not the SDK crate.
    pub ec2: query::QueryClient,
    /// Secrets Manager through the same client's JSON protocol (`json_api`),
    /// not the SDK crate.
    pub secrets: query::QueryClient,
}

impl Clients {
    /// Clients for `region` (and `profile`), every call bounded by `limits`.
    /// Retry and timeout settings live here, in one place, for every client.
    pub async fn new(region: &str, profile: Option<&str>, limits: &CallLimits) -> Self {
        // DESIGN: an estate-wide refresh is exactly when S3 and RDS answer
        // `SlowDown` / `Throttling`. Every client retries those (and
        // transient errors) with jittered exponential backoff, from a quota
        // sized for throttling (`retry_partition`); the operation timeout
        // (`limits`) bounds the total time of a call with all its retries.
        // The SDK's adaptive mode, which also paces the client's own requests
        // once throttled, made a throttled refresh of 3 buckets take 160 s
        // instead of 23 s (its pacing assumes a steady request rate, which a
        // refresh does not have), so standard mode it is.
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new(region.to_owned()))
            .retry_config(
                RetryConfig::standard()
                    .with_max_attempts(MAX_ATTEMPTS)
                    .with_max_backoff(MAX_BACKOFF),
            )
            .timeout_config(limits.timeout_config());
        if let Some(profile) = profile {
            loader = loader.profile_name(profile);
        }
        let started = std::time::Instant::now();
        let sdk = loader.load().await;
        tracing::debug!(elapsed = ?started.elapsed(), "AWS configuration loaded");
        // A custom endpoint (an emulator, a VPC endpoint by IP) cannot serve
        // virtual-hosted bucket names; path-style works everywhere.
        let custom_endpoint = std::env::var_os("AWS_ENDPOINT_URL_S3").is_some()
            || std::env::var_os("AWS_ENDPOINT_URL").is_some();
        let s3_config = aws_sdk_s3::config::Builder::from(&sdk)
            .force_path_style(custom_endpoint)
            .retry_partition(retry_partition("phi-s3"))
            .build();
        // Each client with its own retry quota, sized for throttling (see
        // `retry_partition`).
        macro_rules! client {
            ($sdk_crate:ident, $name:literal) => {
                $sdk_crate::Client::from_conf(
                    $sdk_crate::config::Builder::from(&sdk)
                        .retry_partition(retry_partition($name))
                        .build(),
                )
            };
        }
        let clients = Clients {
            region: region.to_owned(),
            s3: aws_sdk_s3::Client::from_conf(s3_config),
            kms: client!(aws_sdk_kms, "phi-kms"),
            logs: client!(aws_sdk_cloudwatchlogs, "phi-logs"),
            sts: client!(aws_sdk_sts, "phi-sts"),
            rds: client!(aws_sdk_rds, "phi-rds"),
            cloudtrail: client!(aws_sdk_cloudtrail, "phi-cloudtrail"),
            iam: client!(aws_sdk_iam, "phi-iam"),
            ec2: query::QueryClient::new(&sdk, ec2::EC2, limits),
            secrets: query::QueryClient::new(&sdk, json_api::SECRETS_MANAGER, limits),
        };
        tracing::debug!(elapsed = ?started.elapsed(), "AWS clients ready");
        clients
    }
}

/// The retry quota of one client.
///
/// DESIGN: the SDK's standard quota (500 tokens, 5 per throttling retry,
/// never refilled by time) is spent after about a hundred throttled calls, and
/// every later throttle then fails at once: a refresh of 50 buckets through a
/// proxy throttling one call in three failed that way. A throttle is AWS
/// asking for patience, not an outage, so it costs one token here, and the
/// quota refills over time; failures (5xx, timeouts) still cost 5 and 10, so
/// an outage does not turn into a retry storm.
fn retry_partition(name: &'static str) -> RetryPartition {
    RetryPartition::custom(name)
        .token_bucket(
            TokenBucket::builder()
                .capacity(RETRY_QUOTA)
                .throttling_retry_cost(1)
                .retry_cost(5)
                .timeout_retry_cost(10)
                .refill_rate(RETRY_QUOTA_REFILL_PER_SECOND)
                .build(),
        )
        .build()
}

/// Tokens in a client's retry quota.
const RETRY_QUOTA: usize = 500;
/// Tokens the quota regains each second.
const RETRY_QUOTA_REFILL_PER_SECOND: f32 = 10.0;

/// The region the SDK's standard chain resolves when the provider block sets
/// none (`AWS_REGION`, `AWS_DEFAULT_REGION`, the profile).
pub async fn default_region(profile: Option<&str>) -> Option<String> {
    let mut chain = aws_config::default_provider::region::DefaultRegionChain::builder();
    if let Some(p) = profile {
        chain = chain.profile_name(p);
    }
    chain.build().region().await.map(|r| r.to_string())
}
