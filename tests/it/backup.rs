//! A backup that restores: `pg_dump` of a database in use, `pg_restore`
//! into a fresh one, and a server on the restored copy (with the same
//! document key) that lets an old badge in, finds an old participant,
//! reads their travel document, and signs a reprint.

use expopass::proto::pb;

use crate::support::{
    TestApp, TestDb,
    builders::{person, register_request},
    serve::ServeProcess,
};

fn run(command: &mut std::process::Command) {
    let output = command.output().expect("runs");
    assert!(
        output.status.success(),
        "{command:?}:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restored_dump_verifies_old_badges_and_finds_old_participants() {
    let app = TestApp::start().await;
    let venue = crate::gates::venue(&app, "BACKUP").await;
    let (_, badge) = crate::gates::badge_holder(&app, &venue, "Before", "VISITOR").await;
    let mut traveller = person("Dilnoza", "Rashidova");
    traveller.travel_document = "FA4417093".to_owned();
    let registered = app
        .desk()
        .register_participant(register_request(&venue.fixture, traveller))
        .await
        .unwrap()
        .into_inner()
        .participant
        .unwrap();

    let dir = tempfile::tempdir().unwrap();
    let dump = dir.path().join("expopass.dump");
    let bin = crate::failover::bin_dir();
    run(std::process::Command::new(bin.join("pg_dump"))
        .args(["--format=custom", "--dbname"])
        .arg(&app.db.url)
        .arg("--file")
        .arg(&dump));
    let restored = TestDb::empty().await;
    run(std::process::Command::new(bin.join("pg_restore"))
        .args(["--no-owner", "--exit-on-error", "--dbname"])
        .arg(&restored.url)
        .arg(&dump));

    // Another server, on the restored copy only, with the same key.
    let server = ServeProcess::start(&restored.url);
    let scan = server
        .gates(&app.gate_token)
        .await
        .scan(crate::gates::scan_request(
            &venue.hall,
            &badge.qr_text,
            "after-restore",
            pb::Direction::In,
            crate::gates::DURING,
        ))
        .await
        .expect("scan on the restored copy")
        .into_inner();
    assert_eq!(scan.decision(), pb::Decision::Allow, "{scan:?}");
    let found = server
        .desk(&app.desk_token)
        .await
        .search_participants(pb::SearchParticipantsRequest {
            event_id: venue.fixture.event_id.clone(),
            name_prefix: "rashidova dil".to_owned(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .participants;
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].id, registered.id);
    let seen_by_admin = server
        .desk(&app.admin_token)
        .await
        .get_participant(pb::GetParticipantRequest {
            id: registered.id.clone(),
        })
        .await
        .expect("the document key opens the restored documents")
        .into_inner()
        .participant
        .unwrap();
    assert_eq!(seen_by_admin.travel_document_masked, "******093");
    // The sealed signing key opens too: a new badge is signed and verifies.
    let issued = server
        .badges(&app.admin_token)
        .await
        .issue_badge(pb::IssueBadgeRequest {
            participant_id: registered.id.clone(),
            layout: 0,
        })
        .await
        .expect("a badge signed after the restore")
        .into_inner()
        .badge
        .unwrap();
    let entry = server
        .gates(&app.gate_token)
        .await
        .scan(crate::gates::scan_request(
            &venue.hall_b,
            &issued.qr_text,
            "new-after-restore",
            pb::Direction::In,
            crate::gates::DURING,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(entry.decision(), pb::Decision::Allow, "{entry:?}");

    // With another document key, the restored copy is refused at start,
    // not served half-working.
    drop(server);
    use base64::Engine as _;
    let data = tempfile::tempdir().unwrap();
    let mut other = std::process::Command::new(env!("CARGO_BIN_EXE_expopass"))
        .args(["serve", "--no-migrate", "--listen", "127.0.0.1:0"])
        .env("DATABASE_URL", &restored.url)
        .env("EXPOPASS_DATA_DIR", data.path())
        .env(
            "EXPOPASS_DOCUMENT_KEY",
            base64::engine::general_purpose::STANDARD.encode([7u8; 32]),
        )
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let status = loop {
        if let Some(status) = other.try_wait().unwrap() {
            break status;
        }
        if std::time::Instant::now() > deadline {
            let _ = other.kill();
            panic!("serve with another document key kept running");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut other.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(!status.success());
    assert!(
        stderr.contains("document key does not open this database's signing keys"),
        "{stderr}"
    );
}
