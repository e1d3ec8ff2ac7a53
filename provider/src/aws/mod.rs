//! AWS clients, configured from the standard credential chain and the SDK's
//! standard endpoint settings (`AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_<SERVICE>`)
//! so the same binary talks to AWS or to a local emulator.

pub mod compat;
pub mod concurrency;
pub mod ec2;
pub mod error;
pub mod kms;
pub mod query;
pub mod rds;
pub mod timeouts;
pub mod xml;

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_sdk_s3::config::Region;

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
}

impl Clients {
    /// Clients for `region` (and `profile`), every call bounded by `limits`.
    /// Retry and timeout settings live here, in one place, for every client.
    pub async fn new(region: &str, profile: Option<&str>, limits: &CallLimits) -> Self {
        // DESIGN: an estate-wide refresh is exactly when S3 and RDS answer
        // `SlowDown` / `Throttling`. Adaptive mode retries those (and
        // transient errors) with jittered exponential backoff and, once
        // throttled, also paces the client's own requests; the operation
        // timeout (`limits`) bounds the total time of a call with all its
        // retries.
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
            .build();
        let clients = Clients {
            region: region.to_owned(),
            s3: aws_sdk_s3::Client::from_conf(s3_config),
            kms: aws_sdk_kms::Client::new(&sdk),
            logs: aws_sdk_cloudwatchlogs::Client::new(&sdk),
            sts: aws_sdk_sts::Client::new(&sdk),
            rds: aws_sdk_rds::Client::new(&sdk),
            cloudtrail: aws_sdk_cloudtrail::Client::new(&sdk),
            iam: aws_sdk_iam::Client::new(&sdk),
            ec2: query::QueryClient::new(&sdk, ec2::EC2, limits),
        };
        tracing::debug!(elapsed = ?started.elapsed(), "AWS clients ready");
        clients
    }
}

/// The region the SDK's standard chain resolves when the provider block sets
/// none (`AWS_REGION`, `AWS_DEFAULT_REGION`, the profile).
pub async fn default_region(profile: Option<&str>) -> Option<String> {
    let mut chain = aws_config::default_provider::region::DefaultRegionChain::builder();
    if let Some(p) = profile {
        chain = chain.profile_name(p);
    }
    chain.build().region().await.map(|r| r.to_string())
}
