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

/// A unix socket path that is removed when dropped.
pub struct SocketPath(PathBuf);

impl SocketPath {
    /// A fresh path in `PLUGIN_UNIX_SOCKET_DIR` (or the temp dir), unique per
    /// process and start time.
    pub fn fresh(dir: Option<&Path>) -> Self {
        let dir = dir.map_or_else(std::env::temp_dir, Path::to_path_buf);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or_default();
        SocketPath(dir.join(format!("phi-plugin-{}-{nanos}.sock", std::process::id())))
    }

    pub fn as_path(&self) -> &Path {
        &self.0
    }
}

impl Drop for SocketPath {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
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
pub fn verified_connections(
    listener: UnixListener,
    config: rustls::ServerConfig,
) -> mpsc::Receiver<io::Result<VerifiedConn>> {
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let (tx, rx) = mpsc::channel(16);
    tokio::spawn(async move {
        loop {
            let (stream, _) = match listener.accept().await {
                Ok(conn) => conn,
                Err(e) => {
                    tracing::error!("accepting a connection failed: {e}");
                    continue;
                }
            };
            let acceptor = acceptor.clone();
            let tx = tx.clone();
            tokio::spawn(async move {
                match acceptor.accept(stream).await {
                    Ok(tls) => {
                        let _ = tx.send(Ok(VerifiedConn(tls))).await;
                    }
                    Err(e) => tracing::warn!(
                        "refused a connection that did not present Terraform's client certificate: {e}"
                    ),
                }
            });
        }
    });
    rx
}

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

/// Runs the gRPC server on verified connections until `Shutdown` is called or
/// the process is asked to terminate.
pub async fn run<P: Provider>(
    provider: P,
    connections: mpsc::Receiver<io::Result<VerifiedConn>>,
) -> Result<(), tonic::transport::Error> {
    let (tx, rx) = oneshot::channel();
    let controller = Controller {
        shutdown: tokio::sync::Mutex::new(Some(tx)),
    };
    let incoming = tokio_stream::wrappers::ReceiverStream::new(connections);
    let stop = async move {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("installing a SIGTERM handler cannot fail on unix");
        tokio::select! {
            _ = rx => tracing::debug!("Terraform asked the provider to shut down"),
            _ = term.recv() => tracing::debug!("terminated by signal"),
        }
    };
    tonic::transport::Server::builder()
        .add_service(ProviderServer::new(provider))
        .add_service(GrpcControllerServer::new(controller))
        .serve_with_incoming_shutdown(incoming, stop)
        .await
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
