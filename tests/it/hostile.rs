//! What a broken or hostile client sends gets a clear status with a
//! reason, never INTERNAL, and the server stays healthy.

use std::time::Duration;

use diesel_async::RunQueryDsl as _;
use expopass::proto::pb;
use tonic::Code;
use tonic_health::pb::{
    HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient,
};
use tonic_types::StatusExt as _;

use crate::support::{
    TestApp, TestDb,
    builders::person,
    raw::{Shape, call},
    reason, violated_fields,
};

async fn serving(app: &TestApp) -> ServingStatus {
    let reply = HealthClient::new(app.channel())
        .check(HealthCheckRequest {
            service: String::new(),
        })
        .await
        .expect("health answers");
    reply.into_inner().status()
}

fn assert_field(status: &tonic::Status, field: &str) {
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    assert_eq!(reason(status), "INVALID_FIELD", "{status:?}");
    assert_eq!(violated_fields(status), [field], "{status:?}");
}

#[tokio::test]
async fn nul_and_control_characters_are_field_violations_in_every_rpc() {
    let app = TestApp::start().await;
    let fixture = app.event("NUL").await;
    let e = fixture.event_id.clone();

    let err = app
        .events()
        .get_event(pb::GetEventRequest {
            key: Some(pb::get_event_request::Key::Code("NUL\0".to_owned())),
        })
        .await
        .unwrap_err();
    assert_field(&err, "code");

    let mut input = person("Ivan", "Petrov");
    input.category_code = "VISITOR\0".to_owned();
    let err = app
        .desk()
        .register_participant(crate::support::builders::register_request(&fixture, input))
        .await
        .unwrap_err();
    assert_field(&err, "participant.category_code");

    for (prefix, category) in [("iv\0an", ""), ("ivan", "VIS\u{1}")] {
        let err = app
            .desk()
            .search_participants(pb::SearchParticipantsRequest {
                event_id: e.clone(),
                name_prefix: prefix.to_owned(),
                category_code: category.to_owned(),
                ..Default::default()
            })
            .await
            .unwrap_err();
        let field = if category.is_empty() {
            "name_prefix"
        } else {
            "category_code"
        };
        assert_field(&err, field);
    }

    let p = app.register(&fixture, person("Aziz", "Rahimov")).await;
    let err = app
        .desk()
        .update_participant(pb::UpdateParticipantRequest {
            id: p.id.clone(),
            expected_version: 1,
            category_code: Some("PRESS\0".to_owned()),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_field(&err, "category_code");

    let err = app
        .badges()
        .print_badges(pb::PrintBadgesRequest {
            event_id: e.clone(),
            selection: Some(pb::print_badges_request::Selection::CategoryCode(
                "VISITOR\0".to_owned(),
            )),
            layout: 0,
        })
        .await
        .unwrap_err();
    assert_field(&err, "category_code");

    let gate = app.gate(&fixture, "G1", "HALL-A").await;
    let err = app
        .gates()
        .scan(pb::ScanRequest {
            gate_id: gate.id.clone(),
            qr_text: "EP1:X".to_owned(),
            nonce: "n\0".to_owned(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_field(&err, "nonce");

    let scans = vec![pb::UploadOfflineScansRequest {
        scan: Some(pb::OfflineScan {
            gate_id: gate.id.clone(),
            nonce: "offline\0".to_owned(),
            qr_text: "EP1:X".to_owned(),
            ..Default::default()
        }),
    }];
    let err = app
        .gates()
        .upload_offline_scans(tokio_stream::iter(scans))
        .await
        .unwrap_err();
    assert_field(&err, "scan.nonce");

    // An import refuses the bad row alone and stores the others.
    let mut bad = person("Bad", "Row");
    bad.category_code = "VISITOR\0".to_owned();
    let mut good = person("Good", "Row");
    good.email = "good.row@example.uz".to_owned();
    let rows = vec![
        pb::ImportParticipantsRequest {
            event_id: e.clone(),
            participant: Some(good),
            row_ref: "1".to_owned(),
            request_id: "nul-import".to_owned(),
        },
        pb::ImportParticipantsRequest {
            event_id: String::new(),
            participant: Some(bad),
            row_ref: "2".to_owned(),
            request_id: String::new(),
        },
    ];
    let imported = app
        .desk()
        .import_participants(tokio_stream::iter(rows))
        .await
        .unwrap()
        .into_inner();
    assert_eq!((imported.imported, imported.failed), (1, 1));
    assert_eq!(imported.results[1].error_reason, "INVALID_FIELD");
    assert_eq!(
        imported.results[1].field_errors[0].field,
        "participant.category_code"
    );
    assert_eq!(serving(&app).await, ServingStatus::Serving);
}

#[tokio::test]
async fn oversized_strings_are_refused_and_never_echoed_back() {
    let app = TestApp::start().await;
    let fixture = app.event("HUGE").await;
    let huge = "V".repeat(1024 * 1024);
    let mut input = person("Ivan", "Petrov");
    input.category_code = huge.clone();
    let err = app
        .desk()
        .register_participant(crate::support::builders::register_request(&fixture, input))
        .await
        .unwrap_err();
    assert_field(&err, "participant.category_code");
    assert!(err.message().len() < 600, "{} bytes", err.message().len());
    assert!(err.details().len() < 2_000, "{} bytes", err.details().len());

    let err = app
        .desk()
        .search_participants(pb::SearchParticipantsRequest {
            event_id: fixture.event_id.clone(),
            name_prefix: huge,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_field(&err, "name_prefix");

    // Under the codec's limit but over the field's: still no echo.
    let long = "Ж".repeat(1_500);
    let err = app
        .desk()
        .search_participants(pb::SearchParticipantsRequest {
            event_id: fixture.event_id.clone(),
            name_prefix: long,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_field(&err, "name_prefix");
    assert!(!err.message().contains("ЖЖЖ"));
}

#[tokio::test]
async fn malformed_protobuf_is_an_invalid_argument() {
    let app = TestApp::start().await;
    let token = app.admin_token.clone();
    let path = "/expopass.v1.EventService/GetEvent";
    let cases: Vec<(&str, Vec<u8>)> = vec![
        // Field 2 (code), length 10, but only 3 bytes follow.
        ("truncated", vec![0x12, 0x0a, b'A', b'B', b'C']),
        (
            "garbage",
            vec![0xff, 0xff, 0xff, 0xff, 0xff, 0x07, 0x00, 0x13],
        ),
        // Field 2 (code) holding bytes that are not UTF-8.
        ("invalid UTF-8", vec![0x12, 0x03, 0xc3, 0x28, 0xff]),
        // A varint of eleven bytes.
        (
            "varint overflow",
            vec![
                0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01,
            ],
        ),
    ];
    for (what, bytes) in cases {
        let status = call(
            app.channel(),
            &token,
            path,
            Shape::Unary,
            vec![bytes],
            Duration::ZERO,
        )
        .await;
        assert_eq!(status.code(), Code::InvalidArgument, "{what}: {status:?}");
        assert_eq!(reason(&status), "MALFORMED_MESSAGE", "{what}");
    }
    assert_eq!(serving(&app).await, ServingStatus::Serving);
}

#[tokio::test]
async fn a_message_over_the_size_limit_gets_a_reason() {
    let app = TestApp::start().await;
    // Field 2 (code) of 17 MB: over the 16 MB limit.
    let len = 17 * 1024 * 1024;
    let mut bytes = vec![0x12];
    let mut n = len;
    while n >= 0x80 {
        bytes.push(u8::try_from(n & 0x7f).unwrap() | 0x80);
        n >>= 7;
    }
    bytes.push(u8::try_from(n).unwrap());
    bytes.resize(bytes.len() + len, b'A');
    let status = call(
        app.channel(),
        &app.admin_token,
        "/expopass.v1.EventService/GetEvent",
        Shape::Unary,
        vec![bytes],
        Duration::ZERO,
    )
    .await;
    assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
    assert_eq!(reason(&status), "MESSAGE_TOO_LARGE");
}

#[tokio::test]
async fn overload_is_refused_with_a_reason_and_a_retry_delay() {
    let app = TestApp::start_configured(TestDb::new().await, 2).await;
    let fixture = app.event("BUSY").await;
    // Two imports that do not end hold both places, each on a connection
    // of its own.
    let mut holders = Vec::new();
    for _ in 0..2 {
        let (tx, rx) = tokio::sync::mpsc::channel::<pb::ImportParticipantsRequest>(1);
        tx.send(pb::ImportParticipantsRequest {
            event_id: fixture.event_id.clone(),
            participant: Some(person("Held", "Open")),
            row_ref: String::new(),
            request_id: uuid::Uuid::new_v4().to_string(),
        })
        .await
        .unwrap();
        let channel = tonic::transport::Channel::from_shared(format!("http://{}", app.addr))
            .unwrap()
            .connect()
            .await
            .unwrap();
        let mut desk = expopass::proto::pb::registration_service_client::RegistrationServiceClient::with_interceptor(
            channel,
            crate::support::Bearer(Some(app.desk_token.clone())),
        );
        let call = tokio::spawn(async move {
            desk.import_participants(tokio_stream::wrappers::ReceiverStream::new(rx))
                .await
        });
        holders.push((tx, call));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let err = app
        .events()
        .list_events(pb::ListEventsRequest::default())
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::ResourceExhausted, "{err:?}");
    assert_eq!(reason(&err), "OVERLOADED");
    let retry = err.get_details_retry_info().expect("a RetryInfo");
    assert!(retry.retry_delay.is_some_and(|d| d > Duration::ZERO));
    // Once they end, calls are served again.
    for (tx, call) in holders {
        drop(tx);
        call.await.unwrap().unwrap();
    }
    app.events()
        .list_events(pb::ListEventsRequest::default())
        .await
        .unwrap();
}

#[tokio::test]
async fn a_burst_on_one_connection_queues_instead_of_being_shed() {
    let app = TestApp::start().await;
    let fixture = app.event("BURST").await;
    let calls = (0..1_000).map(|_| {
        let mut events = app.events();
        let id = fixture.event_id.clone();
        async move {
            events
                .get_event(pb::GetEventRequest {
                    key: Some(pb::get_event_request::Key::Id(id)),
                })
                .await
        }
    });
    let results = futures::future::join_all(calls).await;
    let refused: Vec<_> = results.iter().filter_map(|r| r.as_ref().err()).collect();
    assert!(
        refused.is_empty(),
        "{} refused: {:?}",
        refused.len(),
        <[_]>::first(&refused)
    );
}

/// Cuts every connection of the server to its database.
async fn cut(db: &TestDb) {
    let mut admin = diesel_async::AsyncPgConnection::establish(&format!(
        "{}/postgres",
        crate::support::server_url()
    ))
    .await
    .unwrap();
    diesel::sql_query(format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{}' AND pid <> pg_backend_pid()",
        db.name
    ))
    .execute(&mut admin)
    .await
    .unwrap();
}

use diesel_async::AsyncConnection as _;

/// Registrations and reads in flight while every connection of the server
/// is cut, round after round until calls saw the cut in at least three
/// rounds (at most 30): each call that failed is UNAVAILABLE with
/// DATABASE_UNAVAILABLE, never INTERNAL. Returns how many calls saw it.
async fn calls_through_cuts(app: &TestApp, fixture: &crate::support::builders::Fixture) -> usize {
    let known = app.register(fixture, person("Before", "Cut")).await;
    let mut seen_unavailable = 0;
    let mut rounds_that_saw = 0;
    for round in 0..30 {
        let writes = (0..40).map(|i| {
            let mut desk = app.desk();
            let mut input = person("Cut", &format!("Round{round}x{i}"));
            input.email = format!("cut{round}.{i}@example.uz");
            let request = crate::support::builders::register_request(fixture, input);
            async move { desk.register_participant(request).await.map(drop) }
        });
        let reads = (0..20).map(|_| {
            let mut desk = app.desk();
            let id = known.id.clone();
            async move {
                desk.get_participant(pb::GetParticipantRequest { id })
                    .await
                    .map(drop)
            }
        });
        let (writes, reads, ()) = tokio::join!(
            futures::future::join_all(writes),
            futures::future::join_all(reads),
            async {
                tokio::time::sleep(Duration::from_millis(5)).await;
                cut(&app.db).await;
            }
        );
        let before = seen_unavailable;
        for result in writes.into_iter().chain(reads) {
            if let Err(status) = result {
                assert_eq!(status.code(), Code::Unavailable, "{status:?}");
                assert_eq!(reason(&status), "DATABASE_UNAVAILABLE");
                seen_unavailable += 1;
            }
        }
        if seen_unavailable > before {
            rounds_that_saw += 1;
        }
        if rounds_that_saw >= 3 {
            break;
        }
    }
    assert!(
        seen_unavailable > 0,
        "no call saw any of the cuts: the test proved nothing"
    );
    // The pool recovers: calls succeed again.
    let p = app.register(fixture, person("After", "Cut")).await;
    assert!(!p.id.is_empty());
    seen_unavailable
}

#[tokio::test]
async fn a_database_cut_mid_call_is_unavailable_not_internal() {
    let app = TestApp::start().await;
    let fixture = app.event("CUT").await;
    let seen = calls_through_cuts(&app, &fixture).await;
    eprintln!("{seen} calls saw the cut");
}

/// The server's messages follow `lc_messages`; a cut is known by what the
/// connection says, not by English words.
#[tokio::test]
async fn a_database_cut_is_unavailable_whatever_language_the_server_speaks() {
    let app = TestApp::start().await;
    let mut admin = diesel_async::AsyncPgConnection::establish(&format!(
        "{}/postgres",
        crate::support::server_url()
    ))
    .await
    .unwrap();
    diesel::sql_query(format!(
        "ALTER DATABASE {} SET lc_messages = 'de_DE.UTF-8'",
        app.db.name
    ))
    .execute(&mut admin)
    .await
    .expect(
        "the German locale is needed on the PostgreSQL host: \
         add 'de_DE.UTF-8 UTF-8' to /etc/locale.gen and run locale-gen (.ci/run does)",
    );
    // Every connection from now on speaks German: the pool's ones too.
    cut(&app.db).await;
    let fixture = app.event("SCHNITT").await;
    let seen = calls_through_cuts(&app, &fixture).await;
    eprintln!("{seen} calls saw the cut, in German");
}

#[tokio::test]
async fn health_turns_not_serving_within_a_second_of_a_failed_call() {
    let app = TestApp::start().await;
    let fixture = app.event("DOWN").await;
    assert_eq!(serving(&app).await, ServingStatus::Serving);
    let mut admin = diesel_async::AsyncPgConnection::establish(&format!(
        "{}/postgres",
        crate::support::server_url()
    ))
    .await
    .unwrap();
    let set = |allow: bool| {
        format!(
            "ALTER DATABASE {} WITH ALLOW_CONNECTIONS {allow}",
            app.db.name
        )
    };
    diesel::sql_query(set(false))
        .execute(&mut admin)
        .await
        .unwrap();
    cut(&app.db).await;
    let err = app
        .desk()
        .search_participants(pb::SearchParticipantsRequest {
            event_id: fixture.event_id.clone(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::Unavailable, "{err:?}");
    assert_eq!(reason(&err), "DATABASE_UNAVAILABLE");
    let failed_at = tokio::time::Instant::now();
    loop {
        if serving(&app).await == ServingStatus::NotServing {
            break;
        }
        assert!(
            failed_at.elapsed() < Duration::from_millis(1_500),
            "health still SERVING after the database was lost"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    diesel::sql_query(set(true))
        .execute(&mut admin)
        .await
        .unwrap();
    let back = tokio::time::Instant::now();
    while serving(&app).await != ServingStatus::Serving {
        assert!(
            back.elapsed() < Duration::from_secs(5),
            "never SERVING again"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// CPU seconds a process has used (user + system), from /proc.
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let fields: Vec<&str> = stat
        .rsplit(')')
        .next()
        .unwrap()
        .split_whitespace()
        .collect();
    // After the command: state is field 0, utime 11, stime 12.
    let ticks: f64 = fields[11].parse::<f64>().unwrap() + fields[12].parse::<f64>().unwrap();
    // SAFETY: sysconf has no preconditions.
    ticks / unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64
}

/// 1,100 sockets that never speak, against a server limited to 1,024
/// open files (systemd's default): a new client still gets an answer, and
/// the server does not spin.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_sockets_do_not_lock_out_a_new_client() {
    use base64::Engine as _;
    let app = TestApp::start().await;
    expopass::listener::raise_file_limit();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let data = tempfile::tempdir().unwrap();
    let mut server = std::process::Command::new("sh")
        .args([
            "-c",
            "ulimit -n 1024 && exec \"$0\" serve --no-migrate --listen \"$1\"",
            env!("CARGO_BIN_EXE_expopass"),
            &format!("127.0.0.1:{port}"),
        ])
        .env("DATABASE_URL", &app.db.url)
        .env("EXPOPASS_DATA_DIR", data.path())
        .env(
            "EXPOPASS_DOCUMENT_KEY",
            base64::engine::general_purpose::STANDARD.encode(crate::support::TEST_DOCUMENT_KEY),
        )
        .env("RUST_LOG", "info")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    crate::support::serve::wait_ready(&mut server);
    let mut silent = Vec::new();
    for _ in 0..1_100 {
        match tokio::net::TcpStream::connect(("127.0.0.1", port)).await {
            Ok(socket) => silent.push(socket),
            Err(e) => panic!("connect {}: {e}", silent.len()),
        }
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let cpu_before = cpu_seconds(server.id());
    let started = tokio::time::Instant::now();
    let answer = tokio::time::timeout(Duration::from_secs(3), async {
        let channel = tonic::transport::Channel::from_shared(format!("http://127.0.0.1:{port}"))
            .unwrap()
            .connect()
            .await?;
        let reply = HealthClient::new(channel)
            .check(HealthCheckRequest {
                service: String::new(),
            })
            .await
            .map_err(|s| anyhow::anyhow!("{s:?}"))?;
        anyhow::Ok(reply.into_inner().status())
    })
    .await;
    assert!(
        matches!(answer, Ok(Ok(ServingStatus::Serving))),
        "a new client got {answer:?} after {:?}",
        started.elapsed()
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    let busy = cpu_seconds(server.id()) - cpu_before;
    let spent = started.elapsed().as_secs_f64();
    assert!(
        busy < 0.5 * spent,
        "the server used {busy:.2} s of CPU in {spent:.2} s among silent sockets"
    );
    drop(silent);
    let _ = server.kill();
    let _ = server.wait();
}
