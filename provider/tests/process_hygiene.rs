//! The provider process when its surroundings fail: Terraform gone, stderr
//! closed, SIGHUP, a client that never finishes the TLS handshake, a broken
//! client certificate. Run against the real binary.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use phi_provider::plugin::handshake::{MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE};

const BIN: &str = env!("CARGO_BIN_EXE_terraform-provider-phi");

fn client_cert_pem() -> String {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let params = rcgen::CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
    params.self_signed(&key).unwrap().pem()
}

fn plugin_command(dir: &Path) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.env(MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE)
        .env("PLUGIN_PROTOCOL_VERSIONS", "6")
        .env("PLUGIN_CLIENT_CERT", client_cert_pem())
        .env("PLUGIN_UNIX_SOCKET_DIR", dir)
        .env("PHI_LOG", "debug")
        .env_remove("PHI_POLICY_FILE");
    cmd
}

/// Starts the provider as Terraform would, with its sockets under `dir`
/// and stderr as given; returns it with the socket path of its handshake.
fn start_provider(dir: &Path, stderr: Stdio) -> (Child, PathBuf) {
    let mut child = plugin_command(dir)
        .stdout(Stdio::piped())
        .stderr(stderr)
        .spawn()
        .unwrap();
    let socket = socket_of(child.stdout.take().unwrap());
    (child, socket)
}

/// Reads the handshake line and returns the socket path.
fn socket_of(out: impl Read) -> PathBuf {
    let mut line = String::new();
    BufReader::new(out).read_line(&mut line).unwrap();
    PathBuf::from(line.split('|').nth(3).expect("handshake line"))
}

fn wait_exit(child: &mut Child, limit: Duration) -> std::process::ExitStatus {
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            panic!("the provider did not exit within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn signal(pid: u32, sig: &str) {
    assert!(
        Command::new("kill")
            .args([sig, &pid.to_string()])
            .status()
            .unwrap()
            .success()
    );
}

#[test]
fn sighup_stops_the_provider_and_removes_its_private_socket_directory() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, socket) = start_provider(dir.path(), Stdio::null());
    let private = socket.parent().unwrap().to_path_buf();
    assert_ne!(private, dir.path(), "the socket has a directory of its own");
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&private).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o700, "{mode:o}");
    assert!(socket.exists());
    signal(child.id(), "-HUP");
    let status = wait_exit(&mut child, Duration::from_secs(15));
    assert!(status.success(), "{status:?}");
    assert!(!socket.exists() && !private.exists());
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn a_closed_stderr_drops_log_lines_instead_of_aborting() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, socket) = start_provider(dir.path(), Stdio::piped());
    // Terraform gone: nobody reads stderr any more.
    drop(child.stderr.take());
    // Connections without a certificate are logged as warnings.
    for _ in 0..3 {
        let mut s = std::os::unix::net::UnixStream::connect(&socket).unwrap();
        use std::io::Write as _;
        let _ = s.write_all(b"not TLS\r\n\r\n");
        let mut buf = [0u8; 64];
        let _ = s.read(&mut buf);
    }
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        child.try_wait().unwrap().is_none(),
        "the provider died after logging to a closed stderr"
    );
    signal(child.id(), "-TERM");
    let status = wait_exit(&mut child, Duration::from_secs(15));
    assert!(status.success(), "{status:?}");
}

#[test]
fn a_connection_that_never_handshakes_is_closed() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, socket) = start_provider(dir.path(), Stdio::null());
    let mut idle = std::os::unix::net::UnixStream::connect(&socket).unwrap();
    idle.set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let started = Instant::now();
    let mut buf = [0u8; 16];
    let n = idle.read(&mut buf).unwrap_or(0);
    assert_eq!(n, 0, "the server closes the idle connection");
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_secs(9) && waited < Duration::from_secs(20),
        "{waited:?}"
    );
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn the_provider_exits_when_terraform_is_gone() {
    let dir = tempfile::tempdir().unwrap();
    // A stand-in for Terraform that starts the provider and dies at once,
    // the way a SIGKILLed Terraform does.
    let mut parent = Command::new("sh")
        .args(["-c", "\"$0\" & echo $!; sleep 1", BIN])
        .envs(
            plugin_command(dir.path())
                .get_envs()
                .filter_map(|(k, v)| Some((k, v?))),
        )
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(parent.stdout.take().unwrap());
    let mut pid = String::new();
    out.read_line(&mut pid).unwrap();
    let pid: u32 = pid.trim().parse().unwrap();
    parent.wait().unwrap();
    let proc = PathBuf::from(format!("/proc/{pid}/stat"));
    let started = Instant::now();
    let alive = || {
        std::fs::read_to_string(&proc)
            .map(|s| !s.split(") ").nth(1).unwrap_or("").starts_with('Z'))
            .unwrap_or(false)
    };
    while alive() {
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "the provider outlived Terraform"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "the socket was left behind"
    );
}

#[test]
fn a_garbled_client_certificate_fails_at_start_with_one_line() {
    let out = Command::new(BIN)
        .env(MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE)
        .env("PLUGIN_PROTOCOL_VERSIONS", "6")
        .env(
            "PLUGIN_CLIENT_CERT",
            "-----BEGIN CERTIFICATE-----\nZ2FyYmFnZSBnYXJiYWdl\n-----END CERTIFICATE-----\n",
        )
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(out.stdout.is_empty(), "no handshake line");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("PLUGIN_CLIENT_CERT"), "{stderr}");
    assert!(stderr.contains("not an X.509 certificate"), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
}
