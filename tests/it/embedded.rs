//! `expopass serve` with no DATABASE_URL: the private PostgreSQL cluster.

use std::{
    io::{BufRead as _, BufReader},
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use expopass::proto::pb;
use tonic_health::pb::{
    HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient,
};

fn expopass(data_dir: &std::path::Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_expopass"));
    cmd.env_remove("DATABASE_URL")
        .env_remove("EXPOPASS_DOCUMENT_KEY")
        .env("EXPOPASS_DATA_DIR", data_dir)
        .env("RUST_LOG", "info");
    cmd
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_runs_on_a_private_cluster_when_no_database_url_is_set() {
    let dir = tempfile::Builder::new()
        .prefix("expopass-it-")
        .tempdir_in("/tmp")
        .unwrap();
    let data = dir.path().join("data");

    // A token made before the server starts lives in the same cluster.
    let token = expopass(&data)
        .args(["token", "create", "--role", "admin", "--name", "it"])
        .output()
        .unwrap();
    assert!(
        token.status.success(),
        "{}",
        String::from_utf8_lossy(&token.stderr)
    );
    let token = String::from_utf8(token.stdout).unwrap();
    let token = token.trim().to_owned();
    assert!(
        token.starts_with("xp_"),
        "stdout holds only the token: {token:?}"
    );
    assert!(data.join("pg/PG_VERSION").exists());
    assert!(
        !data.join("pg/postmaster.pid").exists(),
        "stopped again by the command that started it"
    );

    let port = free_port();
    let mut server = expopass(&data)
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = server.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let started = Instant::now();
    let mut lines = Vec::new();
    loop {
        let line = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("serve logs a ready line");
        lines.push(line.clone());
        if line.contains("ready to serve") {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "{lines:#?}");
    }
    assert!(
        lines
            .iter()
            .filter(|l| l.contains("private PostgreSQL cluster"))
            .count()
            == 1,
        "one log line says which database: {lines:#?}"
    );

    let channel = tonic::transport::Channel::from_shared(format!("http://127.0.0.1:{port}"))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let status = HealthClient::new(channel.clone())
        .check(HealthCheckRequest {
            service: String::new(),
        })
        .await
        .unwrap()
        .into_inner()
        .status();
    assert_eq!(status, ServingStatus::Serving);
    let mut events = pb::event_service_client::EventServiceClient::with_interceptor(
        channel,
        crate::support::Bearer(Some(token)),
    );
    events
        .create_event(pb::CreateEventRequest {
            code: "EMBEDDED".to_owned(),
            name: "Embedded".to_owned(),
            venue: String::new(),
            time_zone: String::new(),
            first_day: "2024-04-22".to_owned(),
            last_day: "2024-04-22".to_owned(),
            names_at_gates: false,
            photos_at_gates: false,
        })
        .await
        .expect("the token made earlier works against the server");

    // SIGTERM: graceful stop, cluster stopped with it.
    drop(events);
    let pid = server.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let exit = tokio::task::spawn_blocking(move || server.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(exit.success(), "{exit:?}");
    assert!(
        !data.join("pg/postmaster.pid").exists(),
        "the private cluster stops with the server"
    );
}

#[test]
fn without_postgresql_binaries_one_sentence_says_what_to_do() {
    let dir = tempfile::Builder::new()
        .prefix("expopass-it-")
        .tempdir_in("/tmp")
        .unwrap();
    let output = expopass(dir.path())
        .env("PATH", "/nonexistent")
        .env("EXPOPASS_PG_SEARCH_DIR", "/nonexistent")
        .args(["migrate"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("PostgreSQL is not installed") && stderr.contains("DATABASE_URL"),
        "{stderr}"
    );
}

/// `expopass serve` on a data directory, waited for until it is ready.
struct Served {
    child: std::process::Child,
    port: u16,
}

impl Served {
    fn start(data: &std::path::Path) -> Self {
        let port = free_port();
        let mut child = expopass(data)
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        crate::support::serve::wait_ready(&mut child);
        Self { child, port }
    }

    async fn serving(&self) -> bool {
        let Ok(channel) =
            tonic::transport::Channel::from_shared(format!("http://127.0.0.1:{}", self.port))
                .unwrap()
                .connect()
                .await
        else {
            return false;
        };
        HealthClient::new(channel)
            .check(HealthCheckRequest {
                service: String::new(),
            })
            .await
            .is_ok_and(|r| r.into_inner().status() == ServingStatus::Serving)
    }

    async fn stop(mut self) {
        let pid = self.child.id().to_string();
        assert!(
            Command::new("kill")
                .args(["-TERM", &pid])
                .status()
                .unwrap()
                .success()
        );
        let exit = tokio::task::spawn_blocking(move || self.child.wait())
            .await
            .unwrap()
            .unwrap();
        assert!(exit.success(), "{exit:?}");
    }
}

/// Whether the private cluster of `data` runs (its postmaster answers).
fn cluster_runs(data: &std::path::Path) -> bool {
    let port: u16 = std::fs::read_to_string(data.join("pg.port"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cluster_left_by_a_killed_serve_is_adopted_and_stopped_by_the_next() {
    let dir = tempfile::Builder::new()
        .prefix("expopass-it-")
        .tempdir_in("/tmp")
        .unwrap();
    let data = dir.path().join("data");
    let mut first = Served::start(&data);
    first.child.kill().unwrap();
    first.child.wait().unwrap();
    assert!(cluster_runs(&data), "kill -9 leaves the cluster running");

    let next = Served::start(&data);
    assert!(next.serving().await);
    next.stop().await;
    assert!(
        !cluster_runs(&data),
        "the next serve stopped what it adopted"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_serves_share_a_data_directory_and_the_last_one_stops_the_cluster() {
    let dir = tempfile::Builder::new()
        .prefix("expopass-it-")
        .tempdir_in("/tmp")
        .unwrap();
    let data = dir.path().join("data");
    let a = Served::start(&data);
    let b = Served::start(&data);
    assert!(a.serving().await && b.serving().await);
    a.stop().await;
    assert!(cluster_runs(&data), "the other serve still uses it");
    assert!(b.serving().await, "the second serve keeps its database");
    b.stop().await;
    assert!(!cluster_runs(&data), "the last one out stopped it");
}
