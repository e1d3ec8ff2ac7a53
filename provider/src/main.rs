//! Entry point of terraform-provider-phi: check that Terraform launched us,
//! set up mutual TLS, print the handshake line, serve gRPC.

use std::io::Write as _;
use std::process::ExitCode;

use phi_provider::plugin::{handshake, serve, tls};
use phi_provider::policy_source;
use phi_provider::provider::PhiProvider;

fn main() -> ExitCode {
    if std::env::args().nth(1).as_deref() == Some("--version") {
        println!("terraform-provider-phi {}", env!("CARGO_PKG_VERSION"));
        return ExitCode::SUCCESS;
    }
    init_logging();
    // A bug must never show Terraform users a Rust backtrace: one line on
    // stderr, which Terraform reports as a plugin crash.
    // `say`, never `eprintln!`: with stderr closed (Terraform gone) a failed
    // `eprintln!` panics, and a panic in the panic hook aborts the process.
    std::panic::set_hook(Box::new(|info| {
        let location = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        say(&format!(
            "terraform-provider-phi hit an internal error{location}; please report it with the \
             Terraform command you ran"
        ));
    }));
    let cookie = std::env::var(handshake::MAGIC_COOKIE_KEY).ok();
    if let Err(e) = handshake::check_cookie(cookie.as_deref()) {
        say(&e.to_string());
        return ExitCode::from(1);
    }
    // DESIGN: one thread. Everything the provider does is waiting on
    // Terraform or AWS, and its CPU work per call is a fraction of a
    // millisecond, while Terraform, on the same machine, is busy for the
    // whole plan. A second worker thread only added wake-ups between
    // threads: measured with `scripts/bench`-style runs on 2 cores, a plan of
    // 200 buckets took 4-5% longer with two workers than with this runtime.
    // (No code here may block the thread: no `block_in_place`, no
    // synchronous I/O in a handler.)
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            say(&format!(
                "terraform-provider-phi: could not start its runtime: {e}"
            ));
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(run()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            say(&format!("terraform-provider-phi: {e:#}"));
            ExitCode::from(1)
        }
    }
}

/// One line on stderr; dropped if stderr is gone.
fn say(line: &str) {
    let _ = writeln!(std::io::stderr(), "{line}");
}

/// Logs go to stderr, which go-plugin forwards into Terraform's log (visible
/// with `TF_LOG=debug`). `PHI_LOG` takes an `EnvFilter` directive. A line
/// that cannot be written (stderr closed) is dropped: the subscriber's own
/// fallback report uses `eprintln!`, which would panic, so it is off.
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("PHI_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .log_internal_errors(false)
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .without_time()
        .init();
}

async fn run() -> anyhow::Result<()> {
    tracing::info!(
        version = env!("CARGO_PKG_VERSION"),
        "terraform-provider-phi starting"
    );
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

    // The policy is read before the handshake so that a broken policy file is
    // reported on the first RPC, not discovered halfway through an apply.
    let provider = PhiProvider::new(policy_source::load_from_environment());
    let stop = provider.stop_token();

    let line = handshake::line(
        version,
        &socket.as_path().to_string_lossy(),
        &identity.cert_der,
    );
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{line}")?;
    stdout.flush()?;
    drop(stdout);

    serve::run(provider, connections, stop, signals).await?;
    Ok(())
}
