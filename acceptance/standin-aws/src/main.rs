//! terraform-provider-aws stand-in: see README.md. A test fixture that
//! holds `hashicorp/aws` state for the migration acceptance test; it is not
//! the AWS provider and creates, changes or deletes nothing.

mod schema;
mod service;

use std::io::Write as _;

use phi_provider::plugin::{handshake, serve, tls};

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .without_time()
        .init();
    handshake::check_cookie(std::env::var(handshake::MAGIC_COOKIE_KEY).ok().as_deref())?;
    let version = handshake::negotiate(std::env::var("PLUGIN_PROTOCOL_VERSIONS").ok().as_deref())?;
    let client_cert = tls::parse_client_cert(std::env::var("PLUGIN_CLIENT_CERT").ok().as_deref())?;
    let identity = tls::ServerIdentity::generate()?;
    let tls_config = tls::server_config(&identity, client_cert)?;
    let socket_dir = std::env::var_os("PLUGIN_UNIX_SOCKET_DIR").map(std::path::PathBuf::from);
    let socket = serve::SocketPath::fresh(socket_dir.as_deref())?;
    let listener = serve::bind(&socket)?;
    let connections = serve::verified_connections(listener, tls_config);
    serve::ignore_interrupts();
    let signals = serve::StopSignals::install();
    let line = handshake::line(
        version,
        &socket.as_path().to_string_lossy(),
        &identity.cert_der,
    );
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{line}")?;
    stdout.flush()?;
    drop(stdout);
    let stop = tokio_util::sync::CancellationToken::new();
    serve::run(service::StandIn::default(), connections, stop, signals).await?;
    Ok(())
}
