//! RDS helpers shared by the database resource: describing one instance,
//! waiting for a state with backoff, reading selected parameters of a group,
//! and retrying calls that fail only because AWS is eventually consistent.
//!
//! RDS operations are asynchronous: CreateDBInstance returns while the
//! instance is `creating`, and a modify or reboot moves it through
//! `modifying` / `rebooting`. Every wait is bounded by the caller's deadline
//! (the resource's `timeouts`) and ends at once when Terraform cancels.

use std::collections::BTreeMap;
use std::future::Future;
use std::time::Duration;

use aws_sdk_rds::types::DbInstance;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::AwsError;

/// Why a wait ended without reaching its goal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WaitError {
    Aws(AwsError),
    TimedOut { waited_for: String, last: String },
    Cancelled,
}

impl std::fmt::Display for WaitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WaitError::Aws(e) => write!(f, "{e}"),
            WaitError::TimedOut { waited_for, last } => write!(
                f,
                "timed out waiting for the instance to be {waited_for} (last status: {last}); \
                 raise the `timeouts` for this operation if RDS is slow"
            ),
            WaitError::Cancelled => write!(f, "Terraform cancelled the operation"),
        }
    }
}

/// The instance, or `None` when it does not exist.
pub async fn describe_instance(
    client: &aws_sdk_rds::Client,
    identifier: &str,
) -> Result<Option<DbInstance>, AwsError> {
    match client
        .describe_db_instances()
        .db_instance_identifier(identifier)
        .send()
        .await
    {
        Ok(out) => Ok(out.db_instances().first().cloned()),
        Err(e) => {
            let err = AwsError::from_sdk("rds:DescribeDBInstances", e);
            if err.code_is("DBInstanceNotFound") || err.code_is("DBInstanceNotFoundFault") {
                Ok(None)
            } else {
                Err(err)
            }
        }
    }
}

/// The DB subnet group `name`, or `None` when it does not exist.
pub async fn subnet_group(
    client: &aws_sdk_rds::Client,
    name: &str,
) -> Result<Option<aws_sdk_rds::types::DbSubnetGroup>, AwsError> {
    match client
        .describe_db_subnet_groups()
        .db_subnet_group_name(name)
        .send()
        .await
    {
        Ok(out) => Ok(out.db_subnet_groups().first().cloned()),
        Err(e) => {
            let err = AwsError::from_sdk("rds:DescribeDBSubnetGroups", e);
            if err.code_is("DBSubnetGroupNotFoundFault") || err.code_is("DBSubnetGroupNotFound") {
                Ok(None)
            } else {
                Err(err)
            }
        }
    }
}

/// `SERVER_AUDIT_EVENTS` of the MySQL audit plugin in option group `name`:
/// `Ok(None)` when the group lacks the plugin or does not exist (a default
/// group the account never materialised).
pub async fn audit_plugin_events(
    client: &aws_sdk_rds::Client,
    name: &str,
) -> Result<Option<String>, AwsError> {
    let out = match client
        .describe_option_groups()
        .option_group_name(name)
        .send()
        .await
    {
        Ok(out) => out,
        Err(e) => {
            let err = AwsError::from_sdk("rds:DescribeOptionGroups", e);
            return if err.code_is("OptionGroupNotFoundFault") {
                Ok(None)
            } else {
                Err(err)
            };
        }
    };
    Ok(audit_events_of(out.option_groups_list()))
}

/// The plugin's events in the first group that has it (pure, for tests).
pub fn audit_events_of(groups: &[aws_sdk_rds::types::OptionGroup]) -> Option<String> {
    use phi_policy::engines::{MYSQL_AUDIT_EVENTS_SETTING, MYSQL_AUDIT_OPTION};
    let option = groups
        .iter()
        .flat_map(|g| g.options())
        .find(|o| o.option_name() == Some(MYSQL_AUDIT_OPTION))?;
    Some(
        option
            .option_settings()
            .iter()
            .find(|s| s.name() == Some(MYSQL_AUDIT_EVENTS_SETTING))
            .and_then(|s| s.value())
            .unwrap_or("")
            .to_owned(),
    )
}

/// Delays between polls: 2 s doubling to 30 s. RDS changes take minutes;
/// polling faster only spends API quota.
pub fn poll_delay(attempt: u32) -> Duration {
    Duration::from_secs((2u64 << attempt.min(4)).min(30))
}

/// Polls until `done` says the instance (or its absence) is what the caller
/// waits for, the deadline passes, or Terraform cancels.
pub async fn wait_for(
    client: &aws_sdk_rds::Client,
    identifier: &str,
    waited_for: &str,
    deadline: Instant,
    cancel: &CancellationToken,
    done: impl Fn(Option<&DbInstance>) -> bool,
) -> Result<Option<DbInstance>, WaitError> {
    wait_for_with(
        client, identifier, waited_for, deadline, cancel, poll_delay, done,
    )
    .await
}

/// [`wait_for`] with the delay schedule as a parameter.
pub async fn wait_for_with(
    client: &aws_sdk_rds::Client,
    identifier: &str,
    waited_for: &str,
    deadline: Instant,
    cancel: &CancellationToken,
    delay: impl Fn(u32) -> Duration,
    done: impl Fn(Option<&DbInstance>) -> bool,
) -> Result<Option<DbInstance>, WaitError> {
    let mut attempt = 0;
    loop {
        let current = describe_instance(client, identifier)
            .await
            .map_err(WaitError::Aws)?;
        if done(current.as_ref()) {
            return Ok(current);
        }
        let last = current
            .as_ref()
            .and_then(|i| i.db_instance_status())
            .unwrap_or("gone")
            .to_owned();
        let delay = delay(attempt);
        if Instant::now() + delay > deadline {
            return Err(WaitError::TimedOut {
                waited_for: waited_for.to_owned(),
                last,
            });
        }
        tokio::select! {
            _ = tokio::time::sleep(delay) => {}
            _ = cancel.cancelled() => return Err(WaitError::Cancelled),
        }
        attempt += 1;
    }
}

/// True once the instance is `available` with nothing left pending.
pub fn is_settled(instance: Option<&DbInstance>) -> bool {
    instance.is_some_and(|i| i.db_instance_status() == Some("available"))
}

/// Reads the named parameters of a DB parameter group (all pages). A
/// parameter the group does not report is absent from the map.
pub async fn parameters(
    client: &aws_sdk_rds::Client,
    group: &str,
    names: &[&str],
) -> Result<BTreeMap<String, String>, AwsError> {
    let mut out = BTreeMap::new();
    let mut marker: Option<String> = None;
    loop {
        let page = client
            .describe_db_parameters()
            .db_parameter_group_name(group)
            .set_marker(marker.clone())
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("rds:DescribeDBParameters", e))?;
        for p in page.parameters() {
            if let (Some(name), Some(value)) = (p.parameter_name(), p.parameter_value())
                && names.contains(&name)
            {
                out.insert(name.to_owned(), value.to_owned());
            }
        }
        match page.marker() {
            Some(m) if !m.is_empty() && Some(m) != marker.as_deref() => marker = Some(m.to_owned()),
            _ => return Ok(out),
        }
    }
}

/// Error codes that mean "AWS has not caught up yet" right after something
/// was created (a parameter group, a log group, a key grant): retried.
pub const EVENTUALLY_CONSISTENT: &[&str] = &[
    "DBParameterGroupNotFound",
    "KMSKeyNotAccessibleFault",
    "InvalidDBInstanceState",
    "InvalidDBParameterGroupState",
];

/// Runs `call` and retries it with backoff while it fails with one of
/// `codes`, at most `attempts` times in all. Throttling is already retried
/// by the SDK's standard retry mode; this covers the service-specific
/// "not yet" errors the SDK treats as final.
pub async fn retry_consistency<T, F, Fut>(
    codes: &[&str],
    attempts: u32,
    cancel: &CancellationToken,
    call: F,
) -> Result<T, AwsError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, AwsError>>,
{
    retry_with_delays(codes, attempts, cancel, poll_delay, call).await
}

/// [`retry_consistency`] with the delay schedule as a parameter.
pub async fn retry_with_delays<T, F, Fut>(
    codes: &[&str],
    attempts: u32,
    cancel: &CancellationToken,
    delay: impl Fn(u32) -> Duration,
    mut call: F,
) -> Result<T, AwsError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, AwsError>>,
{
    let mut attempt = 0;
    loop {
        match call().await {
            Ok(v) => return Ok(v),
            Err(e)
                if attempt + 1 < attempts
                    && e.code.as_deref().is_some_and(|c| codes.contains(&c)) =>
            {
                tracing::debug!("{e}; retrying (attempt {})", attempt + 2);
                tokio::select! {
                    _ = tokio::time::sleep(delay(attempt)) => {}
                    _ = cancel.cancelled() => return Err(e),
                }
                attempt += 1;
            }
            Err(e) => return Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;

    fn no_delay(_: u32) -> Duration {
        Duration::ZERO
    }

    fn err(code: &str) -> AwsError {
        AwsError {
            operation: "rds:CreateDBInstance",
            code: Some(code.to_owned()),
            message: "not yet".to_owned(),
        }
    }

    #[tokio::test]
    async fn consistency_errors_are_retried_until_success() {
        let calls = AtomicU32::new(0);
        let out = retry_with_delays(
            EVENTUALLY_CONSISTENT,
            5,
            &CancellationToken::new(),
            no_delay,
            || {
                let n = calls.fetch_add(1, Ordering::SeqCst);
                async move {
                    if n < 2 {
                        Err(err("DBParameterGroupNotFound"))
                    } else {
                        Ok(n)
                    }
                }
            },
        )
        .await;
        assert_eq!(out, Ok(2));
        assert_eq!(calls.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn other_errors_and_exhausted_attempts_are_returned() {
        let calls = AtomicU32::new(0);
        let out: Result<(), _> = retry_with_delays(
            EVENTUALLY_CONSISTENT,
            5,
            &CancellationToken::new(),
            no_delay,
            || {
                calls.fetch_add(1, Ordering::SeqCst);
                async { Err(err("AccessDenied")) }
            },
        )
        .await;
        assert_eq!(out.unwrap_err().code.as_deref(), Some("AccessDenied"));
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        let calls = AtomicU32::new(0);
        let out: Result<(), _> = retry_with_delays(
            EVENTUALLY_CONSISTENT,
            3,
            &CancellationToken::new(),
            no_delay,
            || {
                calls.fetch_add(1, Ordering::SeqCst);
                async { Err(err("KMSKeyNotAccessibleFault")) }
            },
        )
        .await;
        assert!(out.is_err());
        assert_eq!(calls.load(Ordering::SeqCst), 3);
    }

    /// A stand-in RDS endpoint on loopback that answers DescribeDBInstances
    /// with a scripted sequence of statuses (`None` = not found): RDS phases
    /// such as `creating` and `modifying` that moto skips.
    async fn scripted_rds(
        statuses: Vec<Option<&'static str>>,
    ) -> (aws_sdk_rds::Client, Arc<AtomicU32>) {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let calls = Arc::new(AtomicU32::new(0));
        let served = calls.clone();
        tokio::spawn(async move {
            loop {
                let Ok((mut socket, _)) = listener.accept().await else {
                    return;
                };
                let n = served.fetch_add(1, Ordering::SeqCst) as usize;
                let status = statuses[n.min(statuses.len() - 1)];
                // Read the request head and body before answering.
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                loop {
                    let read = socket.read(&mut chunk).await.unwrap_or(0);
                    buf.extend_from_slice(&chunk[..read]);
                    let text = String::from_utf8_lossy(&buf).to_string();
                    if let Some(end) = text.find("\r\n\r\n") {
                        let length = text[..end]
                            .lines()
                            .find_map(|l| {
                                let (k, v) = l.split_once(':')?;
                                k.eq_ignore_ascii_case("content-length")
                                    .then(|| v.trim().parse::<usize>().ok())?
                            })
                            .unwrap_or(0);
                        if buf.len() >= end + 4 + length {
                            break;
                        }
                    }
                    if read == 0 {
                        break;
                    }
                }
                let (code, body) = match status {
                    Some(s) => (
                        "200 OK",
                        format!(
                            "<DescribeDBInstancesResponse xmlns=\"http://rds.amazonaws.com/doc/2014-10-31/\">\
                         <DescribeDBInstancesResult><DBInstances><DBInstance>\
                         <DBInstanceIdentifier>acme-ehr</DBInstanceIdentifier>\
                         <DBInstanceStatus>{s}</DBInstanceStatus>\
                         </DBInstance></DBInstances></DescribeDBInstancesResult>\
                         <ResponseMetadata><RequestId>r</RequestId></ResponseMetadata>\
                         </DescribeDBInstancesResponse>"
                        ),
                    ),
                    None => (
                        "404 Not Found",
                        "<ErrorResponse xmlns=\"http://rds.amazonaws.com/doc/2014-10-31/\">\
                         <Error><Type>Sender</Type><Code>DBInstanceNotFound</Code>\
                         <Message>DBInstance acme-ehr not found.</Message></Error>\
                         <RequestId>r</RequestId></ErrorResponse>"
                            .to_owned(),
                    ),
                };
                let response = format!(
                    "HTTP/1.1 {code}\r\nContent-Type: text/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = socket.write_all(response.as_bytes()).await;
                let _ = socket.shutdown().await;
            }
        });
        let config = aws_sdk_rds::Config::builder()
            .behavior_version(aws_sdk_rds::config::BehaviorVersion::latest())
            .region(aws_sdk_rds::config::Region::new("eu-central-1"))
            .endpoint_url(url)
            .credentials_provider(aws_sdk_rds::config::Credentials::new(
                "test", "test", None, None, "test",
            ))
            .build();
        (aws_sdk_rds::Client::from_conf(config), calls)
    }

    fn later(secs: u64) -> Instant {
        Instant::now() + Duration::from_secs(secs)
    }

    #[tokio::test]
    async fn waits_through_creating_and_modifying_until_available() {
        let (client, calls) =
            scripted_rds(vec![Some("creating"), Some("modifying"), Some("available")]).await;
        let found = wait_for_with(
            &client,
            "acme-ehr",
            "available",
            later(60),
            &CancellationToken::new(),
            no_delay,
            is_settled,
        )
        .await
        .unwrap();
        assert_eq!(found.unwrap().db_instance_status(), Some("available"));
        assert_eq!(calls.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn a_missing_instance_is_none_and_ends_a_wait_for_deletion() {
        let (client, _) = scripted_rds(vec![Some("deleting"), None]).await;
        let gone = wait_for_with(
            &client,
            "acme-ehr",
            "deleted",
            later(60),
            &CancellationToken::new(),
            no_delay,
            |i| i.is_none(),
        )
        .await
        .unwrap();
        assert!(gone.is_none());
    }

    #[tokio::test]
    async fn the_deadline_ends_the_wait_with_the_last_status() {
        let (client, _) = scripted_rds(vec![Some("creating")]).await;
        let err = wait_for_with(
            &client,
            "acme-ehr",
            "available",
            later(5),
            &CancellationToken::new(),
            |_| Duration::from_secs(30),
            is_settled,
        )
        .await
        .unwrap_err();
        assert_eq!(
            err,
            WaitError::TimedOut {
                waited_for: "available".into(),
                last: "creating".into()
            }
        );
        assert!(err.to_string().contains("raise the `timeouts`"));
    }

    #[tokio::test]
    async fn cancellation_ends_the_wait_at_once() {
        let (client, _) = scripted_rds(vec![Some("rebooting")]).await;
        let cancel = CancellationToken::new();
        cancel.cancel();
        let err = wait_for_with(
            &client,
            "acme-ehr",
            "available",
            later(3600),
            &cancel,
            |_| Duration::from_secs(30),
            is_settled,
        )
        .await
        .unwrap_err();
        assert_eq!(err, WaitError::Cancelled);
    }

    #[test]
    fn the_audit_plugin_events_are_read_from_the_option_group() {
        use aws_sdk_rds::types::{Option as RdsOption, OptionGroup, OptionSetting};
        let group = |options: Vec<RdsOption>| {
            OptionGroup::builder()
                .option_group_name("acme-ehr-phi")
                .set_options(Some(options))
                .build()
        };
        let plugin = RdsOption::builder()
            .option_name("MARIADB_AUDIT_PLUGIN")
            .option_settings(
                OptionSetting::builder()
                    .name("SERVER_AUDIT_EVENTS")
                    .value("CONNECT,QUERY_DDL")
                    .build(),
            )
            .build();
        assert_eq!(
            audit_events_of(&[group(vec![plugin])]).as_deref(),
            Some("CONNECT,QUERY_DDL")
        );
        let other = RdsOption::builder().option_name("MEMCACHED").build();
        assert_eq!(audit_events_of(&[group(vec![other])]), None);
        assert_eq!(audit_events_of(&[]), None);
    }

    #[test]
    fn polling_backs_off_to_thirty_seconds() {
        assert_eq!(poll_delay(0), Duration::from_secs(2));
        assert_eq!(poll_delay(1), Duration::from_secs(4));
        assert_eq!(poll_delay(3), Duration::from_secs(16));
        assert_eq!(poll_delay(9), Duration::from_secs(30));
    }
}
