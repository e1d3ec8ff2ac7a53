//! A moto server on a free loopback port, for one test, stopped on drop.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Moto {
    child: Child,
    port: u16,
    log: tempfile::NamedTempFile,
}

impl Moto {
    pub fn start() -> anyhow::Result<Moto> {
        Moto::start_with_env(&[])
    }

    /// Starts moto with extra environment, e.g. `INITIAL_NO_AUTH_ACTION_COUNT`
    /// to make it enforce IAM after that many requests.
    pub fn start_with_env(env: &[(&str, &str)]) -> anyhow::Result<Moto> {
        let tools = crate::tools_dir()?;
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let log = tempfile::NamedTempFile::new()?;
        // Through acceptance/moto_server.py: moto's own server with MySQL 8.4
        // option groups accepted, as RDS does (see that file).
        let shim = crate::repo_root().join("acceptance/moto_server.py");
        let child = Command::new(tools.join("venv/bin/python"))
            .arg(shim)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(log.reopen()?)
            .spawn()?;
        let mut moto = Moto { child, port, log };
        let deadline = Instant::now() + Duration::from_secs(30);
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
            if let Some(status) = moto.child.try_wait()? {
                anyhow::bail!("moto exited with {status}: {}", moto.log_text());
            }
            anyhow::ensure!(
                Instant::now() < deadline,
                "moto did not start: {}",
                moto.log_text()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        Ok(moto)
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// What the emulator has written to stderr so far, for failure messages.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(self.log.path()).unwrap_or_default()
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
