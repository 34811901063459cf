//! `expopass serve` as its own process on the test database, on a free
//! port: what a restart, a crash or a second instance looks like.

use std::{
    io::{BufRead as _, BufReader},
    process::{Child, Command, Stdio},
    time::Duration,
};

use expopass::proto::pb::{
    badge_service_client::BadgeServiceClient, gate_service_client::GateServiceClient,
    registration_service_client::RegistrationServiceClient,
};

use super::{Authed, Bearer, TEST_DOCUMENT_KEY};

/// A running `expopass serve`; killed when dropped.
pub struct ServeProcess {
    pub child: Child,
    pub port: u16,
    /// Every line it has logged so far.
    pub log: Log,
    _data: tempfile::TempDir,
}

/// The lines a process logged, as they arrive.
pub type Log = std::sync::Arc<std::sync::Mutex<Vec<String>>>;

/// A free port on 127.0.0.1 (free when asked).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl ServeProcess {
    pub fn start(url: &str) -> Self {
        Self::start_with(url, &[], &[("RUST_LOG", "info")])
    }

    /// Starts with more arguments of `serve` and more environment.
    pub fn start_with(url: &str, args: &[&str], env: &[(&str, &str)]) -> Self {
        Self::start_on(url, free_port(), args, env)
    }

    /// Starts on `port` (a restart where clients expect the server).
    pub fn start_on(url: &str, port: u16, args: &[&str], env: &[(&str, &str)]) -> Self {
        use base64::Engine as _;
        let data = tempfile::tempdir().unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_expopass"))
            .args([
                "serve",
                "--no-migrate",
                "--listen",
                &format!("127.0.0.1:{port}"),
            ])
            .args(args)
            .envs(env.iter().copied())
            .env("DATABASE_URL", url)
            .env("EXPOPASS_DATA_DIR", data.path())
            .env(
                "EXPOPASS_DOCUMENT_KEY",
                base64::engine::general_purpose::STANDARD.encode(TEST_DOCUMENT_KEY),
            )
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let log = wait_ready(&mut child);
        Self {
            child,
            port,
            log,
            _data: data,
        }
    }

    /// What it has logged so far.
    pub fn lines(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }

    pub async fn channel(&self) -> tonic::transport::Channel {
        tonic::transport::Channel::from_shared(format!("http://127.0.0.1:{}", self.port))
            .unwrap()
            .connect()
            .await
            .unwrap()
    }

    pub async fn gates(&self, token: &str) -> GateServiceClient<Authed> {
        GateServiceClient::with_interceptor(self.channel().await, Bearer(Some(token.to_owned())))
    }

    pub async fn desk(&self, token: &str) -> RegistrationServiceClient<Authed> {
        RegistrationServiceClient::with_interceptor(
            self.channel().await,
            Bearer(Some(token.to_owned())),
        )
    }

    pub async fn badges(&self, token: &str) -> BadgeServiceClient<Authed> {
        BadgeServiceClient::with_interceptor(self.channel().await, Bearer(Some(token.to_owned())))
    }

    /// Kills the process at once, as `kill -9` would.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Waits until a `serve` started with its stderr piped logs that it is
/// ready (at most a minute); every line it logs is kept in the log
/// returned.
pub fn wait_ready(child: &mut Child) -> Log {
    let stderr = child.stderr.take().expect("serve's stderr is piped");
    let log = Log::default();
    let (tx, rx) = std::sync::mpsc::channel();
    let kept = log.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            kept.lock().unwrap().push(line.clone());
            let _ = tx.send(line);
        }
    });
    loop {
        let line = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("serve logs a ready line");
        if line.contains("ready to serve") {
            return log;
        }
    }
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        self.kill();
    }
}
