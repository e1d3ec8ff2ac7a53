//! Installing phi-guard without a Rust toolchain: `scripts/release` builds the
//! archives, checksums and manifest in the registry's format and a provider
//! network mirror; real Terraform installs the provider from that mirror over
//! HTTPS on loopback, locks both platforms, and applies an example against
//! moto.
//!
//! The release build is the heavy part. In `scripts/test` (CI) the sample
//! builds linux_amd64 in the `dev` profile (the build the other tests already
//! made) and locks that platform; the full run,
//! `PHI_RELEASE_TEST=full cargo test -p phi-acceptance --test release`,
//! builds exactly what a release ships (release profile, linux_amd64 and the
//! cross-compiled linux_arm64, after `scripts/setup-cross`) and locks both.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use phi_acceptance::{Workdir, repo_root, suite, workspace_version};

fn release_cmd(script: &Path) -> Command {
    let mut cmd = Command::new("python3");
    cmd.arg(script).current_dir(repo_root());
    cmd
}

fn text(out: &Output) -> String {
    format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// A copy of `scripts/release` beside a `Cargo.toml` and `CHANGELOG.md` of
/// our choosing: the script finds the repository from its own location.
fn fake_repo(version: &str, changelog: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("scripts")).unwrap();
    std::fs::copy(
        repo_root().join("scripts/release"),
        dir.path().join("scripts/release"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("Cargo.toml"),
        format!("[workspace]\n\n[workspace.package]\nversion = \"{version}\"\n"),
    )
    .unwrap();
    std::fs::write(dir.path().join("CHANGELOG.md"), changelog).unwrap();
    dir
}

#[test]
fn release_refuses_a_version_other_than_the_workspace_version() {
    let out = release_cmd(&repo_root().join("scripts/release"))
        .args(["99.0.0", "--out"])
        .arg(tempfile::tempdir().unwrap().path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("is not the workspace version"),
        "{}",
        text(&out)
    );
}

#[test]
fn release_refuses_a_version_without_release_notes() {
    let repo = fake_repo(
        "0.2.0",
        "# Changelog\n\n## [Unreleased]\n\n## [0.1.0] - 2026-11-30\n",
    );
    let out = release_cmd(&repo.path().join("scripts/release"))
        .args(["0.2.0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("CHANGELOG.md has no \"## [0.2.0]\" section"),
        "{}",
        text(&out)
    );
    assert!(!repo.path().join("dist").exists(), "nothing may be built");
}

/// The checksum file's entries, as (file name, sha256).
fn sums(path: &Path) -> Vec<(String, String)> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| {
            let (hash, name) = l.split_once("  ").expect("sha256sum format");
            (name.to_owned(), hash.to_owned())
        })
        .collect()
}

fn sha256_of(path: &Path) -> String {
    let out = Command::new("sha256sum").arg(path).output().unwrap();
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned()
}

fn file_type(path: &Path) -> String {
    let out = Command::new("file").arg("-b").arg(path).output().unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Extracts `member` of a zip into `dir` and returns its path.
fn unzip(zip: &Path, member: &str, dir: &Path) -> PathBuf {
    let status = Command::new("unzip")
        .args(["-q", "-o"])
        .arg(zip)
        .arg(member)
        .arg("-d")
        .arg(dir)
        .status()
        .unwrap();
    assert!(status.success(), "unzip {}", zip.display());
    dir.join(member)
}

/// An HTTPS static file server on loopback, with a throw-away self-signed
/// certificate that Terraform trusts through `SSL_CERT_FILE`.
struct HttpsDir {
    child: Child,
    port: u16,
    cert: PathBuf,
    _tls: tempfile::TempDir,
}

impl HttpsDir {
    fn serve(root: &Path) -> HttpsDir {
        let tls = tempfile::tempdir().unwrap();
        let (cert, key) = (tls.path().join("cert.pem"), tls.path().join("key.pem"));
        let status = Command::new("openssl")
            .args(["req", "-x509", "-newkey", "ec", "-pkeyopt"])
            .args(["ec_paramgen_curve:P-256", "-nodes", "-days", "1"])
            .args(["-subj", "/CN=127.0.0.1", "-addext"])
            .args(["subjectAltName=IP:127.0.0.1,DNS:localhost", "-keyout"])
            .arg(&key)
            .arg("-out")
            .arg(&cert)
            .stderr(Stdio::null())
            .status()
            .unwrap();
        assert!(status.success(), "openssl req");
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let server = r#"
import functools, http.server, ssl, sys
port, root, cert, key = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=root)
httpd = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)
httpd.serve_forever()
"#;
        let child = Command::new("python3")
            .args(["-c", server, &port.to_string()])
            .arg(root)
            .arg(&cert)
            .arg(&key)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(15);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "the HTTPS server did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        HttpsDir {
            child,
            port,
            cert,
            _tls: tls,
        }
    }

    fn url(&self) -> String {
        format!("https://127.0.0.1:{}/", self.port)
    }
}

impl Drop for HttpsDir {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn terraform_installs_from_the_release_mirror_and_locks_each_platform_built() {
    let version = workspace_version();
    let full = std::env::var("PHI_RELEASE_TEST").is_ok_and(|v| v == "full");
    let (profile, platforms): (&str, &[&str]) = if full {
        ("release", &["linux_amd64", "linux_arm64"])
    } else {
        ("dev", &["linux_amd64"])
    };
    let work = tempfile::tempdir().unwrap();
    let (out, mirror) = (work.path().join("dist"), work.path().join("mirror"));
    let run = release_cmd(&repo_root().join("scripts/release"))
        .arg(&version)
        .arg("--out")
        .arg(&out)
        .arg("--mirror")
        .arg(&mirror)
        .args(["--profile", profile, "--platforms", &platforms.join(",")])
        .output()
        .unwrap();
    assert!(run.status.success(), "scripts/release:\n{}", text(&run));

    // The archives, manifest and checksums, in the registry's names.
    let provider =
        |platform: &str| out.join(format!("terraform-provider-phi_{version}_{platform}.zip"));
    let manifest = out.join(format!("terraform-provider-phi_{version}_manifest.json"));
    let listed = sums(&out.join(format!("terraform-provider-phi_{version}_SHA256SUMS")));
    let mut expected: Vec<PathBuf> = platforms.iter().map(|p| provider(p)).collect();
    expected.push(manifest.clone());
    assert_eq!(listed.len(), expected.len(), "{listed:?}");
    for file in &expected {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let entry = listed.iter().find(|(n, _)| *n == name);
        assert_eq!(
            entry.map(|(_, h)| h.clone()),
            Some(sha256_of(file)),
            "{name} in SHA256SUMS"
        );
    }
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&manifest).unwrap()).unwrap();
    assert_eq!(manifest["version"], 1);
    assert_eq!(manifest["metadata"]["protocol_versions"][0], "6.0");
    let member = format!("terraform-provider-phi_v{version}");
    let unpacked = tempfile::tempdir().unwrap();
    for platform in platforms {
        let binary = unzip(
            &provider(platform),
            &member,
            &unpacked.path().join(platform),
        );
        let machine = if *platform == "linux_arm64" {
            "aarch64"
        } else {
            "x86-64"
        };
        assert!(
            file_type(&binary).contains(machine),
            "{platform}: {}",
            file_type(&binary)
        );
    }
    let lint_sums = sums(&out.join(format!("phi-lint_{version}_SHA256SUMS")));
    assert_eq!(
        lint_sums.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>(),
        platforms
            .iter()
            .map(|p| format!("phi-lint_{version}_{p}.tar.gz"))
            .collect::<Vec<_>>()
    );

    // Terraform installs from the mirror, served over HTTPS.
    let server = HttpsDir::serve(&mirror);
    let env = suite::env().await;
    let mut wd = Workdir::new(&env.moto);
    let rc = wd.path().join("mirror.rc");
    std::fs::write(
        &rc,
        format!(
            "provider_installation {{\n  network_mirror {{\n    url     = \"{}\"\n    include = [\"phi-guard/phi\"]\n  }}\n}}\n",
            server.url()
        ),
    )
    .unwrap();
    let empty_home = tempfile::tempdir().unwrap();
    wd.env("TF_CLI_CONFIG_FILE", &rc.display().to_string())
        .env("SSL_CERT_FILE", &server.cert.display().to_string())
        .env("HOME", &empty_home.path().display().to_string());
    wd.copy_example("audit-sink");
    let init = wd.terraform(&["init", "-no-color", "-input=false"]);
    init.assert_success();
    init.assert_contains(&format!("Installed phi-guard/phi v{version}"));
    assert!(
        !init.combined().contains("unauthenticated"),
        "a mirror install with published hashes is checked:\n{}",
        init.combined()
    );

    // Hashes for every platform, with no warning.
    let mirror_flag = format!("-net-mirror={}", server.url());
    let mut lock_args = vec!["providers", "lock", "-no-color", &mirror_flag];
    let platform_flags: Vec<String> = platforms.iter().map(|p| format!("-platform={p}")).collect();
    lock_args.extend(platform_flags.iter().map(String::as_str));
    let lock = wd.terraform(&lock_args);
    lock.assert_success();
    assert!(
        !lock.combined().contains("Warning"),
        "providers lock warned:\n{}",
        lock.combined()
    );
    let lock_file = std::fs::read_to_string(wd.path().join(".terraform.lock.hcl")).unwrap();
    let mirror_json: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(mirror.join(format!(
            "registry.terraform.io/phi-guard/phi/{version}.json"
        )))
        .unwrap(),
    )
    .unwrap();
    for platform in platforms {
        let h1 = mirror_json["archives"][platform]["hashes"][0]
            .as_str()
            .unwrap();
        assert!(h1.starts_with("h1:"), "{h1}");
        assert!(
            lock_file.contains(h1),
            "the lock file lacks {platform}'s {h1}:\n{lock_file}"
        );
    }

    // And the installed provider works.
    let vars = [("audit_key_arn", env.key.as_str())];
    wd.apply(&vars).assert_success();
    let second = wd.plan(&vars);
    assert_eq!(
        second.code,
        0,
        "second plan not empty:\n{}",
        second.combined()
    );

    // The other way without a toolchain: the release zip, unchanged, in the
    // packed filesystem-mirror layout that Terraform searches on its own.
    let home = tempfile::tempdir().unwrap();
    let packed = home
        .path()
        .join(".terraform.d/plugins/registry.terraform.io/phi-guard/phi");
    std::fs::create_dir_all(&packed).unwrap();
    let zip = provider("linux_amd64");
    std::fs::copy(&zip, packed.join(zip.file_name().unwrap())).unwrap();
    let mut fs_wd = Workdir::new(&env.moto);
    let empty_rc = fs_wd.path().join("empty.rc");
    std::fs::write(&empty_rc, "").unwrap();
    fs_wd
        .env("TF_CLI_CONFIG_FILE", &empty_rc.display().to_string())
        .env("HOME", &home.path().display().to_string());
    fs_wd.copy_example("audit-sink");
    let init = fs_wd.terraform(&["init", "-no-color", "-input=false"]);
    init.assert_success();
    init.assert_contains(&format!("Installed phi-guard/phi v{version}"));
    let plan = fs_wd.plan(&[("audit_key_arn", env.key.as_str())]);
    assert_eq!(
        plan.code,
        2,
        "a plan with changes expected:\n{}",
        plan.combined()
    );
}
