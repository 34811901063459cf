//! TLS on the gRPC listener: the venue CA `tls init` makes, clients that
//! verify it (Rust and Python), a wrong CA refused, and a certificate
//! replaced without a restart.

use std::{path::Path, sync::Arc, time::Duration};

use expopass::{
    proto::pb,
    tls::{ServerTls, TlsFiles, fingerprint, init_venue_ca},
};
use rustls_pki_types::{CertificateDer, ServerName, pem::PemObject as _};
use tokio_rustls::{TlsConnector, rustls};

use crate::support::{TestApp, TestDb, tls_channel};

fn venue_ca(dir: &Path) -> (ServerTls, Vec<u8>) {
    let made = init_venue_ca(dir, &["localhost".to_owned(), "127.0.0.1".to_owned()], 30).unwrap();
    let tls = ServerTls::load(TlsFiles {
        cert: made.server_cert,
        key: made.server_key,
    })
    .unwrap();
    (tls, std::fs::read(made.ca_cert).unwrap())
}

async fn tls_app() -> (TestApp, tempfile::TempDir, Vec<u8>) {
    let dir = tempfile::tempdir().unwrap();
    let (tls, ca) = venue_ca(dir.path());
    let app = TestApp::start_tls(TestDb::new().await, tls, &ca).await;
    (app, dir, ca)
}

/// The certificate the server presents to a new handshake.
async fn presented(port: u16, ca: &[u8]) -> String {
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_slice(ca).unwrap())
        .unwrap();
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let tcp = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    let stream = TlsConnector::from(Arc::new(config))
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await
        .unwrap();
    let (_, session) = stream.get_ref();
    fingerprint(&session.peer_certificates().unwrap()[0])
}

fn file_fingerprint(path: &Path) -> String {
    fingerprint(&CertificateDer::from_pem_file(path).unwrap())
}

#[tokio::test]
async fn calls_go_over_tls_to_a_server_the_venue_ca_vouches_for() {
    let (app, _dir, _ca) = tls_app().await;
    // The test app's channel is TLS, verifying the CA and the name.
    let events = app
        .events()
        .list_events(pb::ListEventsRequest {})
        .await
        .unwrap()
        .into_inner();
    assert!(events.events.is_empty());
    // Tokens are still required over TLS.
    let refused = app
        .events_as(None)
        .list_events(pb::ListEventsRequest {})
        .await
        .unwrap_err();
    assert_eq!(refused.code(), tonic::Code::Unauthenticated);
}

#[tokio::test]
async fn a_client_trusting_another_ca_fails_the_handshake() {
    let (app, _dir, _ca) = tls_app().await;
    let other = tempfile::tempdir().unwrap();
    let (_, other_ca) = venue_ca(other.path());
    let failed = tls_channel(app.addr.port(), &other_ca).await;
    assert!(
        failed.is_err(),
        "a handshake against the wrong CA succeeded"
    );
    // A plaintext client gets no gRPC answer from a TLS port either.
    let plaintext = tonic::transport::Channel::from_shared(format!("http://{}", app.addr))
        .unwrap()
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(5))
        .connect()
        .await;
    if let Ok(channel) = plaintext {
        let health = tonic_health::pb::health_client::HealthClient::new(channel)
            .check(tonic_health::pb::HealthCheckRequest::default())
            .await;
        assert!(
            health.is_err(),
            "a plaintext call was answered on the TLS port"
        );
    }
}

#[tokio::test]
async fn tls_init_reuses_the_venue_ca_and_a_new_certificate_is_served_without_a_restart() {
    let (app, dir, ca) = tls_app().await;
    let server_cert = dir.path().join("server.pem");
    let before = file_fingerprint(&server_cert);
    assert_eq!(presented(app.addr.port(), &ca).await, before);

    // A new server certificate from the same CA, as `tls init` run again
    // for more host names makes it.
    let again = init_venue_ca(
        dir.path(),
        &["localhost".to_owned(), "expopass.hall".to_owned()],
        30,
    )
    .unwrap();
    assert!(!again.new_ca, "the existing venue CA was replaced");
    assert_eq!(std::fs::read(&again.ca_cert).unwrap(), ca);
    let after = file_fingerprint(&server_cert);
    assert_ne!(before, after);

    // New handshakes get the new certificate within a few polls; the
    // connection opened before keeps working throughout.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        app.events()
            .list_events(pb::ListEventsRequest {})
            .await
            .unwrap();
        if presented(app.addr.port(), &ca).await == after {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the new certificate was not served within 15 s"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    app.events()
        .list_events(pb::ListEventsRequest {})
        .await
        .unwrap();
}

#[tokio::test]
async fn a_broken_certificate_file_keeps_the_previous_certificate() {
    let (app, dir, ca) = tls_app().await;
    let before = presented(app.addr.port(), &ca).await;
    std::fs::write(dir.path().join("server.pem"), "not a certificate").unwrap();
    // Two polls later the server still answers with the old pair.
    tokio::time::sleep(expopass::tls::RELOAD_POLL * 2 + Duration::from_millis(500)).await;
    assert_eq!(presented(app.addr.port(), &ca).await, before);
    app.events()
        .list_events(pb::ListEventsRequest {})
        .await
        .unwrap();
}

#[tokio::test]
async fn python_grpcio_verifies_the_venue_ca_and_calls_over_tls() {
    let (app, dir, _ca) = tls_app().await;
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop/tls_client.py");
    let ca_path = dir.path().join("ca.pem");
    let target = format!("127.0.0.1:{}", app.addr.port());
    let output = tokio::process::Command::new("python3")
        .arg(&script)
        .arg(&ca_path)
        .arg(&target)
        .arg(&app.admin_token)
        .output()
        .await
        .expect("python3 runs (the tests need Python 3 with grpcio: pip install grpcio)");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the Python client failed (is grpcio installed? pip install grpcio):\n{stderr}"
    );
    assert_eq!(
        stdout.lines().collect::<Vec<_>>(),
        ["health SERVING", "events 0", "anonymous UNAUTHENTICATED"],
        "{stderr}"
    );

    // With another CA the Python client cannot connect.
    let other = tempfile::tempdir().unwrap();
    venue_ca(other.path());
    let output = tokio::process::Command::new("python3")
        .arg(&script)
        .arg(other.path().join("ca.pem"))
        .arg(&target)
        .arg(&app.admin_token)
        .output()
        .await
        .unwrap();
    assert!(
        !output.status.success(),
        "grpcio trusted a server of another CA"
    );
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("UNAVAILABLE"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
