//! Start-to-handshake time of the provider binary: Terraform starts the
//! provider several times per plan, so this is paid on every command.
//! Prints figures; run with `cargo bench -p terraform-provider-phi --bench handshake`.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const RUNS: usize = 40;

fn main() {
    let bin = env!("CARGO_BIN_EXE_terraform-provider-phi");
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P384_SHA384).unwrap();
    let cert = rcgen::CertificateParams::new(vec!["localhost".to_owned()])
        .unwrap()
        .self_signed(&key)
        .unwrap()
        .pem();
    let dir = tempfile::tempdir().unwrap();
    let mut times: Vec<Duration> = (0..RUNS)
        .map(|_| {
            let start = Instant::now();
            let mut child = Command::new(bin)
                .env(
                    "TF_PLUGIN_MAGIC_COOKIE",
                    phi_provider::plugin::handshake::MAGIC_COOKIE_VALUE,
                )
                .env("PLUGIN_PROTOCOL_VERSIONS", "5,6")
                .env("PLUGIN_CLIENT_CERT", &cert)
                .env("PLUGIN_UNIX_SOCKET_DIR", dir.path())
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            let mut line = String::new();
            BufReader::new(child.stdout.take().unwrap())
                .read_line(&mut line)
                .unwrap();
            let elapsed = start.elapsed();
            assert!(line.starts_with("1|6|unix|"), "bad handshake: {line}");
            child.kill().unwrap();
            child.wait().unwrap();
            elapsed
        })
        .collect();
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "provider start-to-handshake over {RUNS} runs: median {:.2} ms, p90 {:.2} ms, max {:.2} ms (target < 10 ms)",
        ms(times[RUNS / 2]),
        ms(times[RUNS * 9 / 10]),
        ms(times[RUNS - 1])
    );
}
