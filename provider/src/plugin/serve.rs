//! Serving the provider: bind a private unix socket, print the handshake line,
//! accept only mutually-authenticated TLS connections, and run gRPC until
//! Terraform asks us to shut down.

use std::io;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::{mpsc, oneshot};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;
use tonic::transport::server::Connected;

use crate::proto::plugin::Empty;
use crate::proto::plugin::grpc_controller_server::{GrpcController, GrpcControllerServer};
use crate::proto::tfplugin6::provider_server::{Provider, ProviderServer};

/// A TLS connection that passed client-certificate verification.
pub struct VerifiedConn(TlsStream<UnixStream>);

impl Connected for VerifiedConn {
    type ConnectInfo = ();
    fn connect_info(&self) -> Self::ConnectInfo {}
}

impl AsyncRead for VerifiedConn {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl AsyncWrite for VerifiedConn {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }
}

/// A unix socket path, in a directory of its own that only our user can
/// enter, both removed when dropped. Dropping happens on every exit path
/// that runs code: a normal return, an error, and the stop conditions of
/// [`run`] (Shutdown, SIGTERM, SIGHUP, Terraform gone). Only SIGKILL leaves
/// them behind.
pub struct SocketPath {
    dir: PathBuf,
    socket: PathBuf,
}

impl SocketPath {
    /// A fresh private directory in `PLUGIN_UNIX_SOCKET_DIR` (or the temp
    /// dir), unique per process and start time, with the socket path in it.
    pub fn fresh(dir: Option<&Path>) -> io::Result<Self> {
        use std::os::unix::fs::DirBuilderExt;
        let parent = dir.map_or_else(std::env::temp_dir, Path::to_path_buf);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or_default();
        let dir = parent.join(format!("phi-plugin-{}-{nanos}", std::process::id()));
        // `create`, not `create_all`: an existing path is never reused.
        std::fs::DirBuilder::new().mode(0o700).create(&dir)?;
        Ok(SocketPath {
            socket: dir.join("plugin.sock"),
            dir,
        })
    }

    pub fn as_path(&self) -> &Path {
        &self.socket
    }
}

impl Drop for SocketPath {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.socket);
        let _ = std::fs::remove_dir(&self.dir);
    }
}

/// Binds the socket with owner-only permissions.
pub fn bind(path: &SocketPath) -> io::Result<UnixListener> {
    let listener = UnixListener::bind(path.as_path())?;
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path.as_path(), std::fs::Permissions::from_mode(0o600))?;
    Ok(listener)
}

/// Accepts connections and completes the TLS handshake off the accept path, so
/// one slow or hostile client cannot stall Terraform's connection. Connections
/// without the pinned client certificate never reach gRPC.
///
/// DESIGN: a client that connects and never completes the handshake is
/// dropped after [`HANDSHAKE_TIMEOUT`], and at most [`MAX_PENDING_HANDSHAKES`]
/// handshakes run at once; connections beyond that are closed at once. The
/// socket is owner-only, so only our own user can connect at all, but a
/// stuck or buggy local process must not pile up thousands of idle
/// connections (a fault test held 5,000 open). Terraform opens one or two.
pub fn verified_connections(
    listener: UnixListener,
    config: rustls::ServerConfig,
) -> mpsc::Receiver<io::Result<VerifiedConn>> {
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let (tx, rx) = mpsc::channel(16);
    let pending = Arc::new(tokio::sync::Semaphore::new(MAX_PENDING_HANDSHAKES));
    tokio::spawn(async move {
        loop {
            let (stream, _) = match listener.accept().await {
                Ok(conn) => conn,
                Err(e) => {
                    tracing::error!("accepting a connection failed: {e}");
                    // Out of file descriptors and the like: do not spin.
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            };
            let Ok(permit) = pending.clone().try_acquire_owned() else {
                tracing::warn!("refused a connection: too many handshakes in progress");
                continue;
            };
            let acceptor = acceptor.clone();
            let tx = tx.clone();
            tokio::spawn(async move {
                let handshake = tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream));
                let result = handshake.await;
                drop(permit);
                match result {
                    Ok(Ok(tls)) => {
                        let _ = tx.send(Ok(VerifiedConn(tls))).await;
                    }
                    Ok(Err(e)) => tracing::warn!(
                        "refused a connection that did not present Terraform's client certificate: {e}"
                    ),
                    Err(_) => tracing::warn!(
                        "closed a connection that did not complete the TLS handshake within {} s",
                        HANDSHAKE_TIMEOUT.as_secs()
                    ),
                }
            });
        }
    });
    rx
}

/// The largest request the provider decodes. A phi resource's
/// configuration, prior and planned state together are a few kilobytes;
/// the cap (with `value::MAX_MSGPACK_VALUES`) keeps a corrupted or hostile
/// request from taking memory out of proportion to it.
pub const MAX_REQUEST_BYTES: usize = 1024 * 1024;

/// How long a new connection has to complete the TLS handshake.
pub const HANDSHAKE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);
/// Handshakes in progress at once.
pub const MAX_PENDING_HANDSHAKES: usize = 32;
/// After the provider is told to stop, how long in-flight calls get to
/// return their partial state before the process exits anyway.
pub const STOP_GRACE: std::time::Duration = std::time::Duration::from_secs(10);

/// go-plugin's controller: `Shutdown` ends the server gracefully.
struct Controller {
    shutdown: tokio::sync::Mutex<Option<oneshot::Sender<()>>>,
}

#[tonic::async_trait]
impl GrpcController for Controller {
    async fn shutdown(
        &self,
        _request: tonic::Request<Empty>,
    ) -> Result<tonic::Response<Empty>, tonic::Status> {
        if let Some(tx) = self.shutdown.lock().await.take() {
            let _ = tx.send(());
        }
        Ok(tonic::Response::new(Empty {}))
    }
}

/// Runs the gRPC server on verified connections until `Shutdown` is called,
/// the process is asked to terminate (SIGTERM or SIGHUP), or Terraform is
/// gone. Then `cancel` is cancelled, so in-flight AWS work stops and returns
/// what exists, and the server ends within [`STOP_GRACE`]; returning lets
/// the caller's cleanup (the socket file) run.
pub async fn run<P: Provider>(
    provider: P,
    connections: mpsc::Receiver<io::Result<VerifiedConn>>,
    cancel: tokio_util::sync::CancellationToken,
    signals: StopSignals,
) -> Result<(), tonic::transport::Error> {
    let StopSignals { term, hup } = signals;
    let (tx, rx) = oneshot::channel();
    let controller = Controller {
        shutdown: tokio::sync::Mutex::new(Some(tx)),
    };
    let incoming = tokio_stream::wrappers::ReceiverStream::new(connections);
    let stopping = tokio_util::sync::CancellationToken::new();
    let stop = {
        let stopping = stopping.clone();
        async move {
            tokio::select! {
                _ = rx => tracing::debug!("Terraform asked the provider to shut down"),
                _ = signalled(term) => tracing::debug!("terminated by SIGTERM"),
                _ = signalled(hup) => tracing::debug!("terminated by SIGHUP"),
                _ = super::parent::gone() => {
                    tracing::warn!("Terraform exited without shutting the provider down; stopping");
                }
            }
            cancel.cancel();
            stopping.cancel();
        }
    };
    let server = tonic::transport::Server::builder()
        .add_service(ProviderServer::new(provider).max_decoding_message_size(MAX_REQUEST_BYTES))
        .add_service(GrpcControllerServer::new(controller))
        .serve_with_incoming_shutdown(incoming, stop);
    tokio::select! {
        r = server => r,
        _ = async {
            stopping.cancelled().await;
            tokio::time::sleep(STOP_GRACE).await;
        } => {
            tracing::warn!("in-flight calls did not end within {} s of the stop; exiting", STOP_GRACE.as_secs());
            Ok(())
        }
    }
}

/// The signals that stop the provider, listened to from before the
/// handshake line is printed: a signal that arrived earlier would otherwise
/// kill the process with its default action, leaving the socket behind.
pub struct StopSignals {
    term: Option<tokio::signal::unix::Signal>,
    hup: Option<tokio::signal::unix::Signal>,
}

impl StopSignals {
    /// Installs the handlers; one that cannot be installed is logged and
    /// left out (the other stop conditions still work).
    pub fn install() -> StopSignals {
        let listen = |kind| match tokio::signal::unix::signal(kind) {
            Ok(s) => Some(s),
            Err(e) => {
                tracing::warn!("could not install a signal handler: {e}");
                None
            }
        };
        StopSignals {
            term: listen(tokio::signal::unix::SignalKind::terminate()),
            hup: listen(tokio::signal::unix::SignalKind::hangup()),
        }
    }
}

/// Resolves when the signal arrives; never without a handler.
async fn signalled(signal: Option<tokio::signal::unix::Signal>) {
    match signal {
        Some(mut s) => {
            s.recv().await;
        }
        None => std::future::pending::<()>().await,
    }
}

/// Terraform forwards Ctrl-C to its whole process group; like go-plugin
/// servers we ignore SIGINT and wait for `StopProvider`, so an interrupted
/// apply can still record what it created.
pub fn ignore_interrupts() {
    tokio::spawn(async {
        if let Ok(mut int) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())
        {
            while int.recv().await.is_some() {
                tracing::debug!("ignoring SIGINT; waiting for Terraform's StopProvider");
            }
        }
    });
}
