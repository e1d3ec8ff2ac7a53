//! A loopback TCP proxy between the provider and the AWS endpoint that
//! injects the network faults a real apply meets: a connection reset after
//! the request reached AWS (the answer is lost, the change was made), an
//! endpoint that accepts and never answers, slow calls, and throttling.
//!
//! Why a TCP proxy and not an SDK interceptor: the faults must hit the real
//! provider binary, through its real HTTP client, retry and timeout code,
//! exactly as a broken network would. Every request is read in full (head
//! and `Content-Length` body) before it is matched, so a rule can select a
//! call by its request line (`PUT /acme-x HTTP/1.1` is S3 CreateBucket),
//! its `X-Amz-Target` header (JSON protocols: KMS, CloudTrail, Logs) or its
//! `Action=` form field (query protocols: RDS, STS). Each request gets its
//! own upstream connection, which moto closes after answering.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What happens to a matched request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Forward the request, wait until the endpoint starts answering (so the
    /// change was made), then reset the client's connection: the answer is
    /// lost.
    ResetAfterForward,
    /// Accept the request and never answer, holding the connection open.
    Freeze,
    /// Forward after this delay.
    Delay(Duration),
    /// Answer at once, without forwarding, with the service's throttling
    /// error: S3's `503 SlowDown`, `ThrottlingException` for the JSON
    /// protocols (KMS, CloudTrail, Logs), `Throttling` for the query ones
    /// (RDS, STS, IAM).
    Throttle,
}

/// One request as the client sent it.
#[derive(Debug, Clone)]
pub struct Request {
    /// `METHOD /path?query HTTP/1.1`.
    pub line: String,
    /// Header lines, as sent.
    pub headers: Vec<(String, String)>,
    /// The body (requests to AWS are small; read in full).
    pub body: Vec<u8>,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The operation for JSON (`X-Amz-Target: Service.Operation`) and query
    /// (`Action=Operation`) protocols; `None` for S3's REST calls.
    pub fn operation(&self) -> Option<String> {
        if let Some(target) = self.header("x-amz-target") {
            return target.rsplit('.').next().map(str::to_owned);
        }
        let body = String::from_utf8_lossy(&self.body);
        let query = self.line.split(' ').nth(1).and_then(|p| p.split_once('?'));
        let fields = body
            .split('&')
            .chain(query.map(|(_, q)| q).unwrap_or("").split('&'));
        for field in fields {
            if let Some(action) = field.strip_prefix("Action=") {
                return Some(action.to_owned());
            }
        }
        None
    }

    /// Which attempt of its call this request is, from the SDK's
    /// `amz-sdk-request: attempt=N; max=M` header (1 when absent).
    pub fn attempt(&self) -> u32 {
        self.header("amz-sdk-request")
            .and_then(|v| {
                v.split(';')
                    .find_map(|p| p.trim().strip_prefix("attempt="))
                    .and_then(|n| n.parse().ok())
            })
            .unwrap_or(1)
    }

    /// The SDK's id of the call this request is an attempt of (the same for
    /// every retry of it).
    pub fn invocation_id(&self) -> Option<&str> {
        self.header("amz-sdk-invocation-id")
    }

    /// True for S3 CreateBucket of `bucket` (path-style, as the provider
    /// addresses a custom endpoint).
    pub fn is_create_bucket(&self, bucket: &str) -> bool {
        let mut parts = self.line.split(' ');
        let (Some("PUT"), Some(target)) = (parts.next(), parts.next()) else {
            return false;
        };
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        path.trim_end_matches('/') == format!("/{bucket}")
            && (query.is_empty() || query == "x-id=CreateBucket")
    }
}

type Matcher = Arc<dyn Fn(&Request) -> bool + Send + Sync>;

struct Rule {
    matcher: Matcher,
    fault: Fault,
    /// How many more requests this rule hits; `None` for every one.
    remaining: Option<usize>,
    hits: Arc<AtomicUsize>,
}

#[derive(Default)]
struct Shared {
    rules: Mutex<Vec<Rule>>,
    freeze_all: AtomicBool,
    /// Every request line forwarded or faulted, in order (for diagnosing a
    /// failed test).
    seen: Mutex<Vec<String>>,
}

/// A running proxy; stops accepting when dropped.
pub struct FaultProxy {
    port: u16,
    shared: Arc<Shared>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        // Without blocking: the proxy is often dropped inside an async test,
        // where a blocking runtime shutdown panics.
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

/// Counts the requests a rule hit.
#[derive(Clone, Debug)]
pub struct Hits(Arc<AtomicUsize>);

impl Hits {
    pub fn count(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

impl FaultProxy {
    /// Starts a proxy on a free loopback port in front of `upstream`
    /// (`http://127.0.0.1:PORT`). It runs on its own runtime, so it works
    /// the same from synchronous and asynchronous tests.
    pub fn start(upstream: &str) -> anyhow::Result<FaultProxy> {
        let upstream = upstream
            .strip_prefix("http://")
            .unwrap_or(upstream)
            .trim_end_matches('/')
            .to_owned();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()?;
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        std_listener.set_nonblocking(true)?;
        let port = std_listener.local_addr()?.port();
        let shared = Arc::new(Shared::default());
        let accepting = shared.clone();
        runtime.spawn(async move {
            let Ok(listener) = TcpListener::from_std(std_listener) else {
                return;
            };
            while let Ok((client, _)) = listener.accept().await {
                tokio::spawn(serve(client, upstream.clone(), accepting.clone()));
            }
        });
        Ok(FaultProxy {
            port,
            shared,
            runtime: Some(runtime),
        })
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Applies `fault` to the next `times` requests `matcher` selects
    /// (`None`: every one). Rules are tried in the order they were added.
    pub fn on(
        &self,
        matcher: impl Fn(&Request) -> bool + Send + Sync + 'static,
        fault: Fault,
        times: Option<usize>,
    ) -> Hits {
        let hits = Arc::new(AtomicUsize::new(0));
        self.shared
            .rules
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(Rule {
                matcher: Arc::new(matcher),
                fault,
                remaining: times,
                hits: hits.clone(),
            });
        Hits(hits)
    }

    /// Removes every rule.
    pub fn clear(&self) {
        self.shared
            .rules
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
        self.shared.freeze_all.store(false, Ordering::SeqCst);
    }

    /// Freezes every request from now on (an endpoint that accepts and
    /// never answers), or lifts that.
    pub fn freeze_all(&self, on: bool) {
        self.shared.freeze_all.store(on, Ordering::SeqCst);
    }

    /// The request lines seen so far.
    pub fn seen(&self) -> Vec<String> {
        self.shared
            .seen
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

/// The fault for `request`, consuming one use of the rule that matched.
fn fault_for(shared: &Shared, request: &Request) -> Option<Fault> {
    if shared.freeze_all.load(Ordering::SeqCst) {
        return Some(Fault::Freeze);
    }
    let mut rules = shared.rules.lock().unwrap_or_else(|p| p.into_inner());
    for rule in rules.iter_mut() {
        if rule.remaining == Some(0) || !(rule.matcher)(request) {
            continue;
        }
        if let Some(n) = &mut rule.remaining {
            *n -= 1;
        }
        rule.hits.fetch_add(1, Ordering::SeqCst);
        return Some(rule.fault);
    }
    None
}

/// Reads one request: the head up to the blank line and `Content-Length`
/// bytes of body. `None` when the client closed the connection first.
async fn read_request(client: &mut TcpStream) -> Option<(Request, Vec<u8>)> {
    let mut raw = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(i) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = client.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        raw.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&raw[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let line = lines.next().unwrap_or_default().to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let length = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .unwrap_or(0);
    while raw.len() < head_end + length {
        let n = client.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        raw.extend_from_slice(&chunk[..n]);
    }
    let body = raw[head_end..(head_end + length).min(raw.len())].to_vec();
    Some((
        Request {
            line,
            headers,
            body,
        },
        raw,
    ))
}

async fn serve(mut client: TcpStream, upstream: String, shared: Arc<Shared>) {
    let Some((request, raw)) = read_request(&mut client).await else {
        return;
    };
    shared
        .seen
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .push(request.line.clone());
    let fault = fault_for(&shared, &request);
    match fault {
        Some(Fault::Freeze) => {
            // Hold the connection open, answering nothing, until the client
            // gives up (its read returns) or the proxy is dropped.
            let mut sink = [0u8; 1024];
            while let Ok(n) = client.read(&mut sink).await {
                if n == 0 {
                    break;
                }
            }
            return;
        }
        Some(Fault::Delay(d)) => tokio::time::sleep(d).await,
        Some(Fault::Throttle) => {
            let _ = client.write_all(&throttling_answer(&request)).await;
            let _ = client.shutdown().await;
            return;
        }
        _ => {}
    }
    let Ok(mut server) = TcpStream::connect(&upstream).await else {
        let _ = client.set_zero_linger();
        return;
    };
    if server.write_all(&raw).await.is_err() {
        let _ = client.set_zero_linger();
        return;
    }
    if fault == Some(Fault::ResetAfterForward) {
        // The first byte of the answer means the endpoint has acted on the
        // request; then the client's connection is reset, losing the answer.
        let mut first = [0u8; 1];
        let _ = server.read(&mut first).await;
        let _ = client.set_zero_linger();
        return;
    }
    let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
}

/// The throttling error the service `request` is addressed to sends, as a
/// complete HTTP response that closes the connection.
fn throttling_answer(request: &Request) -> Vec<u8> {
    let (status, content_type, body) = if request.header("x-amz-target").is_some() {
        (
            "400 Bad Request",
            "application/x-amz-json-1.1",
            r#"{"__type":"ThrottlingException","message":"Rate exceeded"}"#.to_owned(),
        )
    } else if request.operation().is_some() {
        (
            "400 Bad Request",
            "text/xml",
            "<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code>\
             <Message>Rate exceeded</Message></Error><RequestId>fault-proxy</RequestId>\
             </ErrorResponse>"
                .to_owned(),
        )
    } else {
        (
            "503 Slow Down",
            "application/xml",
            "<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message>\
             <RequestId>fault-proxy</RequestId></Error>"
                .to_owned(),
        )
    };
    format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\
         x-amzn-RequestId: fault-proxy\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}
