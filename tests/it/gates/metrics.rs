//! `serve --metrics-listen`: what a Prometheus server scraping the door
//! would read, checked by `promtool` as well as by value.

use std::collections::BTreeMap;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use super::*;
use crate::support::{builders::register_request, serve::free_port};

/// One sample of the exposition: name, labels, value.
#[derive(Debug)]
struct Sample {
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

fn parse(text: &str) -> Vec<Sample> {
    let mut samples = Vec::new();
    for line in text
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        let (series, value) = line.rsplit_once(' ').expect("sample line");
        let (name, labels) = match series.split_once('{') {
            Some((name, rest)) => {
                let body = rest.strip_suffix('}').expect("closing brace");
                let labels = body
                    .split("\",")
                    .filter(|p| !p.is_empty())
                    .map(|pair| {
                        let (k, v) = pair.split_once("=\"").expect("label");
                        (k.to_owned(), v.trim_end_matches('"').to_owned())
                    })
                    .collect();
                (name, labels)
            }
            None => (series, BTreeMap::new()),
        };
        samples.push(Sample {
            name: name.to_owned(),
            labels,
            value: value.parse().expect("value"),
        });
    }
    samples
}

/// The value of the one sample of `name` whose labels include `with`;
/// None when there is none.
fn value(samples: &[Sample], name: &str, with: &[(&str, &str)]) -> Option<f64> {
    let found: Vec<&Sample> = samples
        .iter()
        .filter(|s| {
            s.name == name
                && with
                    .iter()
                    .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
        })
        .collect();
    assert!(
        found.len() <= 1,
        "several samples match {name} {with:?}: {found:?}"
    );
    <[&Sample]>::first(&found).map(|s| s.value)
}

/// GET /metrics over plain HTTP/1.1, as Prometheus does.
async fn scrape(port: u16) -> String {
    let mut socket = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("metrics port");
    socket
        .write_all(b"GET /metrics HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut answer = String::new();
    socket.read_to_string(&mut answer).await.unwrap();
    let (head, body) = answer.split_once("\r\n\r\n").expect("an HTTP answer");
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(
        head.to_lowercase().contains("content-type: text/plain"),
        "{head}"
    );
    body.to_owned()
}

fn promtool_check(text: &str) {
    use std::io::Write as _;
    let mut child = std::process::Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("promtool runs (apt-get install prometheus)");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "promtool check metrics:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_metrics_endpoint_shows_calls_scans_uploads_desks_printing_pool_and_occupancy() {
    let app = TestApp::start().await;
    let venue = venue(&app, "G-METRICS").await;
    let (_, badge) = badge_holder(&app, &venue, "Metered", "VISITOR").await;
    let metrics_port = free_port();
    let server = ServeProcess::start_with(
        &app.db.url,
        &["--metrics-listen", &format!("127.0.0.1:{metrics_port}")],
        &[("RUST_LOG", "info")],
    );
    // The door: one entry allowed, one forged code refused, then an upload
    // of two offline scans, one of them sent twice.
    let mut gates = server.gates(&app.gate_token).await;
    let entry = gates
        .scan(scan_request(
            &venue.hall,
            &badge.qr_text,
            "m-1",
            pb::Direction::In,
            DURING,
        ))
        .await
        .unwrap()
        .into_inner();
    allowed(&entry);
    let forged = gates
        .scan(scan_request(
            &venue.plenary,
            "EP1:not-a-badge",
            "m-2",
            pb::Direction::In,
            DURING,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(denied(&forged), pb::DenyReason::Malformed);
    let offline = |nonce: &str| pb::UploadOfflineScansRequest {
        scan: Some(pb::OfflineScan {
            gate_id: venue.b2b.clone(),
            nonce: nonce.to_owned(),
            scanned_at: Some(prost_types::Timestamp {
                seconds: DURING + 60,
                nanos: 0,
            }),
            qr_text: badge.qr_text.clone(),
            direction: pb::Direction::Out.into(),
            decision: pb::Decision::Allow.into(),
            reason: 0,
        }),
    };
    gates
        .upload_offline_scans(tokio_stream::iter(vec![
            offline("off-1"),
            offline("off-2"),
            offline("off-1"),
        ]))
        .await
        .unwrap();

    // The desk: one registration, one refused, an import of two rows (one
    // refused), and a print job of the one badge.
    let mut desk = server.desk(&app.desk_token).await;
    desk.register_participant(register_request(&venue.fixture, person("Counted", "Once")))
        .await
        .unwrap();
    let mut bad = person("Bad", "Email");
    bad.email = "not an address".to_owned();
    let refused = desk
        .register_participant(register_request(&venue.fixture, bad.clone()))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument);
    let row = |input: pb::ParticipantInput, row_ref: &str, request_id: &str| {
        pb::ImportParticipantsRequest {
            event_id: venue.fixture.event_id.clone(),
            participant: Some(input),
            row_ref: row_ref.to_owned(),
            request_id: request_id.to_owned(),
        }
    };
    desk.import_participants(tokio_stream::iter(vec![
        row(person("Imported", "Row"), "r1", "metrics-import"),
        row(bad, "r2", ""),
    ]))
    .await
    .unwrap();
    let mut print = server
        .badges(&app.admin_token)
        .await
        .print_badges(pb::PrintBadgesRequest {
            event_id: venue.fixture.event_id.clone(),
            selection: Some(pb::print_badges_request::Selection::CategoryCode(
                "VISITOR".to_owned(),
            )),
            layout: pb::BadgeLayout::A6.into(),
        })
        .await
        .unwrap()
        .into_inner();
    while let Some(item) = print.next().await {
        item.unwrap();
    }

    // The fixture event is in 2024; zones are shown for events not yet
    // over.
    let mut conn = app.db.connect().await;
    diesel::sql_query(format!(
        "UPDATE events SET last_day = current_date + 1 WHERE id = '{}'",
        venue.fixture.event_id
    ))
    .execute(&mut conn)
    .await
    .unwrap();

    let text = scrape(metrics_port).await;
    promtool_check(&text);
    let samples = parse(&text);
    let event = [("event", "G-METRICS")];
    let get = |name: &str, with: &[(&str, &str)]| value(&samples, name, with);

    let scans = |zone: &str, decision: &str, reason: &str| {
        get(
            "expopass_scans_total",
            &[
                event[0],
                ("zone", zone),
                ("direction", "in"),
                ("decision", decision),
                ("reason", reason),
            ],
        )
    };
    assert_eq!(scans("HALL-A", "allow", ""), Some(1.0), "{text}");
    assert_eq!(scans("PLENARY", "deny", "MALFORMED"), Some(1.0), "{text}");
    assert_eq!(scans("HALL-A", "deny", "MALFORMED"), None);

    let scan_calls = [
        ("service", "expopass.v1.GateService"),
        ("method", "Scan"),
        ("code", "OK"),
    ];
    assert_eq!(get("expopass_grpc_requests_total", &scan_calls), Some(2.0));
    assert_eq!(
        get(
            "expopass_grpc_requests_total",
            &[
                ("method", "RegisterParticipant"),
                ("code", "INVALID_ARGUMENT")
            ]
        ),
        Some(1.0)
    );
    assert_eq!(
        get(
            "expopass_grpc_request_duration_seconds_count",
            &[("method", "Scan")]
        ),
        Some(2.0)
    );
    assert_eq!(
        get(
            "expopass_grpc_request_duration_seconds_bucket",
            &[("method", "Scan"), ("le", "+Inf")]
        ),
        Some(2.0)
    );

    assert_eq!(get("expopass_offline_uploads_total", &event), Some(1.0));
    assert_eq!(
        get(
            "expopass_offline_scans_total",
            &[event[0], ("outcome", "stored")]
        ),
        Some(2.0)
    );
    assert_eq!(
        get(
            "expopass_offline_scans_total",
            &[event[0], ("outcome", "duplicate")]
        ),
        Some(1.0)
    );
    assert!(get("expopass_offline_conflicts_total", &event).is_some());

    assert_eq!(get("expopass_registrations_total", &event), Some(1.0));
    for (outcome, n) in [("created", 1.0), ("updated", 0.0), ("rejected", 1.0)] {
        assert_eq!(
            get(
                "expopass_import_rows_total",
                &[event[0], ("outcome", outcome)]
            ),
            Some(n),
            "{outcome}"
        );
    }

    // Two visitors had badges to print (the holder and the imported row)
    // plus the one registered: three A6 pages.
    assert_eq!(
        get("expopass_print_jobs_total", &[("outcome", "completed")]),
        Some(1.0)
    );
    assert_eq!(get("expopass_print_badges_total", &[]), Some(3.0));
    assert_eq!(get("expopass_print_pages_total", &[]), Some(3.0));

    let max = get("expopass_db_pool_max_connections", &[]).expect("pool size");
    let idle = get("expopass_db_pool_connections", &[("state", "idle")]).expect("idle");
    let in_use = get("expopass_db_pool_connections", &[("state", "in_use")]).expect("in use");
    assert!(
        idle + in_use <= max && idle >= 1.0,
        "{idle} + {in_use} of {max}"
    );
    assert_eq!(get("expopass_db_pool_waiting", &[]), Some(0.0));
    assert_eq!(get("expopass_database_up", &[]), Some(1.0));
    assert_eq!(get("expopass_notifications_listening", &[]), Some(1.0));
    let age = get("expopass_notification_age_seconds", &[]).expect("age");
    assert!((0.0..60.0).contains(&age), "{age}");

    // The holder entered the hall, then left B2B offline (which moves no
    // counter online): one inside the hall.
    assert_eq!(
        get("expopass_zone_occupancy", &[event[0], ("zone", "HALL-A")]),
        Some(1.0)
    );
    let zones = app
        .gates()
        .get_occupancy(pb::GetOccupancyRequest {
            event_id: venue.fixture.event_id.clone(),
        })
        .await
        .unwrap()
        .into_inner()
        .zones;
    for zone in zones {
        assert_eq!(
            get(
                "expopass_zone_capacity",
                &[event[0], ("zone", &zone.zone_code)]
            ),
            Some(f64::from(zone.capacity)),
            "{}",
            zone.zone_code
        );
    }
    assert_eq!(
        get("expopass_zone_occupancy", &[event[0], ("zone", "PLENARY")]),
        Some(0.0)
    );

    // No label carries a badge, a participant or a token.
    for forbidden in [&badge.qr_text, &badge.id, &app.gate_token] {
        assert!(!text.contains(forbidden.as_str()), "{forbidden} in metrics");
    }
}

#[tokio::test]
async fn an_unknown_method_is_counted_as_unknown_not_by_its_name() {
    let app = TestApp::start().await;
    let metrics_port = free_port();
    let server = ServeProcess::start_with(
        &app.db.url,
        &["--metrics-listen", &format!("127.0.0.1:{metrics_port}")],
        &[("RUST_LOG", "info")],
    );
    let mut grpc = tonic::client::Grpc::new(server.channel().await);
    for i in 0..5 {
        grpc.ready().await.unwrap();
        let path = http::uri::PathAndQuery::from_maybe_shared(format!(
            "/expopass.v1.GateService/Invented{i}"
        ))
        .unwrap();
        let status = grpc
            .unary::<_, (), _>(
                tonic::Request::new(()),
                path,
                tonic_prost::ProstCodec::<(), ()>::default(),
            )
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::Unimplemented);
    }
    let text = scrape(metrics_port).await;
    assert!(!text.contains("Invented"), "{text}");
    let samples = parse(&text);
    assert_eq!(
        value(
            &samples,
            "expopass_grpc_requests_total",
            &[("method", "unknown"), ("code", "UNIMPLEMENTED")]
        ),
        Some(5.0)
    );
}
