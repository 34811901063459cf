use std::time::Duration;

use diesel_async::RunQueryDsl as _;
use expopass::{
    domain::{Role, qr::BadgeClaims},
    proto::pb,
};
use tokio_stream::StreamExt as _;
use tonic::Code;

use crate::support::{
    TestApp,
    builders::{Fixture, person},
    reason,
    serve::ServeProcess,
};

/// Noon in Tashkent on the fixture event's second day.
const DURING: i64 = 1_713_855_600; // 2024-04-23T07:00:00Z

struct Venue {
    fixture: Fixture,
    hall: String,
    hall_b: String,
    plenary: String,
    b2b: String,
}

async fn venue(app: &TestApp, code: &str) -> Venue {
    let fixture = app.event(code).await;
    let mut gates = Vec::new();
    for (gate, zone) in [
        ("G-HALL-1", "HALL-A"),
        ("G-HALL-2", "HALL-A"),
        ("G-PLEN", "PLENARY"),
        ("G-B2B", "B2B"),
    ] {
        let g = app
            .events()
            .upsert_gate(pb::UpsertGateRequest {
                event_id: fixture.event_id.clone(),
                code: gate.to_owned(),
                name: gate.to_owned(),
                zone_code: zone.to_owned(),
            })
            .await
            .expect("gate")
            .into_inner()
            .gate
            .expect("gate");
        gates.push(g.id);
    }
    Venue {
        fixture,
        hall: gates[0].clone(),
        hall_b: gates[1].clone(),
        plenary: gates[2].clone(),
        b2b: gates[3].clone(),
    }
}

/// Gives the fixture's B2B zone a capacity.
async fn set_b2b_capacity(app: &TestApp, venue: &Venue, capacity: u32) {
    app.events()
        .upsert_zone(pb::UpsertZoneRequest {
            event_id: venue.fixture.event_id.clone(),
            code: "B2B".to_owned(),
            name: "B2B".to_owned(),
            capacity,
            parent_code: String::new(),
        })
        .await
        .expect("zone");
}

/// Registers someone of `category` and issues their badge; returns
/// (participant id, badge).
async fn badge_holder(
    app: &TestApp,
    venue: &Venue,
    given: &str,
    category: &str,
) -> (String, pb::Badge) {
    let mut input = person(given, "Holder");
    input.category_code = category.to_owned();
    let p = app.register(&venue.fixture, input).await;
    let badge = app
        .badges()
        .issue_badge(pb::IssueBadgeRequest {
            participant_id: p.id.clone(),
            layout: 0,
        })
        .await
        .expect("badge")
        .into_inner()
        .badge
        .expect("badge");
    (p.id, badge)
}

fn scan_request(
    gate: &str,
    qr: &str,
    nonce: &str,
    direction: pb::Direction,
    at: i64,
) -> pb::ScanRequest {
    pb::ScanRequest {
        gate_id: gate.to_owned(),
        qr_text: qr.to_owned(),
        direction: direction.into(),
        nonce: nonce.to_owned(),
        scanned_at: Some(prost_types::Timestamp {
            seconds: at,
            nanos: 0,
        }),
    }
}

async fn scan_at(
    app: &TestApp,
    gate: &str,
    qr: &str,
    direction: pb::Direction,
    at: i64,
) -> pb::ScanResponse {
    app.gates()
        .scan(scan_request(
            gate,
            qr,
            &uuid::Uuid::new_v4().to_string(),
            direction,
            at,
        ))
        .await
        .expect("scan")
        .into_inner()
}

async fn enter(app: &TestApp, gate: &str, qr: &str) -> pb::ScanResponse {
    scan_at(app, gate, qr, pb::Direction::In, DURING).await
}

fn denied(response: &pb::ScanResponse) -> pb::DenyReason {
    assert_eq!(response.decision(), pb::Decision::Deny, "{response:?}");
    response.reason()
}

fn allowed(response: &pb::ScanResponse) {
    assert_eq!(response.decision(), pb::Decision::Allow, "{response:?}");
}

async fn inside(app: &TestApp, venue: &Venue, zone: &str) -> u32 {
    app.gates()
        .get_occupancy(pb::GetOccupancyRequest {
            event_id: venue.fixture.event_id.clone(),
        })
        .await
        .unwrap()
        .into_inner()
        .zones
        .into_iter()
        .find(|z| z.zone_code == zone)
        .map(|z| z.inside)
        .expect("zone listed")
}

#[tokio::test]
async fn valid_entry() {
    let app = TestApp::start().await;
    let venue = venue(&app, "G-VALID").await;
    let (_, badge) = badge_holder(&app, &venue, "Valid", "VISITOR").await;
    let response = enter(&app, &venue.hall, &badge.qr_text).await;
    allowed(&response);
    assert_eq!(response.category_code, "VISITOR");
    assert_eq!(response.category_color, "#1E88E5");
    assert_eq!(response.badge_number, badge.number);
    assert_eq!(
        response.holder_name, "",
        "the event does not allow names at gates"
    );
    assert_eq!(inside(&app, &venue, "HALL-A").await, 1);
}

/// What a keyboard-wedge scanner adds around a token (CR, LF, Tab, a
/// leading space) is trimmed alike by the server, an offline gate and
/// `expopass verify`; anything else that makes the text longer is
/// MALFORMED everywhere.
#[tokio::test]
async fn whitespace_around_a_token_is_trimmed_alike_everywhere() {
    let app = TestApp::start().await;
    let venue = venue(&app, "G-TRIM").await;
    let (_, badge) = badge_holder(&app, &venue, "Trimmed", "VISITOR").await;
    let id = uuid::Uuid::parse_str(&venue.fixture.event_id).unwrap();
    let bundle = prost::Message::encode_to_vec(&app.services.offline_bundle(id).await.unwrap());
    let rules = expopass::domain::offline::Rules::from_bundle(&bundle).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("trim.bundle");
    std::fs::write(&path, &bundle).unwrap();
    let verify = |qr: &str| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_expopass"))
            .args(["verify", "--bundle"])
            .arg(&path)
            .args(["--zone", "HALL-A", "--at", "2024-04-23T12:00:00+05:00", qr])
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap()
    };
    let offline = |qr: &str| {
        expopass::domain::offline::decide(
            &rules,
            qr,
            rules.zone_number("HALL-A"),
            chrono::DateTime::from_timestamp(DURING, 0).unwrap(),
        )
    };
    for (i, wrapped) in [
        format!("{}\r\n", badge.qr_text),
        format!("{}\t", badge.qr_text),
        format!("  {}\n", badge.qr_text),
    ]
    .iter()
    .enumerate()
    {
        let direction = if i % 2 == 0 {
            pb::Direction::In
        } else {
            pb::Direction::Out
        };
        let online = scan_at(&app, &venue.hall, wrapped, direction, DURING).await;
        allowed(&online);
        assert!(offline(wrapped).allowed(), "{wrapped:?}");
        assert!(verify(wrapped).starts_with("ALLOW"), "{wrapped:?}");
    }
    let (head, tail) = badge.qr_text.split_at(40);
    for broken in [
        format!("{head} {tail}"),
        format!("{head}\n{tail}"),
        format!("{}A", badge.qr_text),
    ] {
        let online = scan_at(&app, &venue.hall, &broken, pb::Direction::In, DURING).await;
        assert_eq!(denied(&online), pb::DenyReason::Malformed, "{broken:?}");
        assert!(!offline(&broken).allowed(), "{broken:?}");
        assert!(verify(&broken).starts_with("DENY MALFORMED"), "{broken:?}");
    }
}

#[tokio::test]
async fn unknown_key() {
    let app = TestApp::start().await;
    let venue = venue(&app, "G-UNKNOWN").await;
    let (_, badge) = badge_holder(&app, &venue, "Real", "VISITOR").await;
    let real = expopass::domain::qr::ParsedToken::parse(&badge.qr_text)
        .unwrap()
        .claims;
    let forged = BadgeClaims {
        key_id: real.key_id ^ 0xffff_ffff,
        ..real
    }
    .sign(&ed25519_dalek::SigningKey::from_bytes(&[9; 32]))
    .unwrap();
    assert_eq!(
        denied(&enter(&app, &venue.hall, &forged).await),
        pb::DenyReason::UnknownKey
    );
}

#[tokio::test]
async fn bad_signature() {
    let app = TestApp::start().await;
    let venue = venue(&app, "G-BADSIG").await;
    let (_, badge) = badge_holder(&app, &venue, "Real", "VISITOR").await;
    // Same claims signed with another key under the real key id: a forgery.
    let real = expopass::domain::qr::ParsedToken::parse(&badge.qr_text)
        .unwrap()
        .claims;
    let forged = real
        .sign(&ed25519_dalek::SigningKey::from_bytes(&[9; 32]))
        .unwrap();
    assert_eq!(
        denied(&enter(&app, &venue.hall, &forged).await),
        pb::DenyReason::BadSignature
    );
    // And one byte of a real token changed.
    let mut bytes = base45::decode(&badge.qr_text[4..]).unwrap();
    bytes[20] ^= 0x01;
    let altered = format!("EP1:{}", base45::encode(&bytes));
    assert_eq!(
        denied(&enter(&app, &venue.hall, &altered).await),
        pb::DenyReason::BadSignature
    );
    assert_eq!(
        denied(&enter(&app, &venue.hall, "hello").await),
        pb::DenyReason::Malformed
    );
}

#[tokio::test]
async fn wrong_event() {
    let app = TestApp::start().await;
    let venue = venue(&app, "G-HERE").await;
    let elsewhere = app.event("G-ELSEWHERE").await;
    let p = app
        .register(&elsewhere, person("Visiting", "Elsewhere"))
        .await;
    let badge = app
        .badges()
        .issue_badge(pb::IssueBadgeRequest {
            participant_id: p.id,
            layout: 0,
        })
        .await
        .unwrap()
        .into_inner()
        .badge
        .unwrap();
    assert_eq!(
        denied(&enter(&app, &venue.hall, &badge.qr_text).await),
        pb::DenyReason::WrongEvent
    );
}

#[tokio::test]
async fn revoked_by_reprint() {
    let app = TestApp::start().await;
    let venue = venue(&app, "G-REPRINT").await;
    let (id, old) = badge_holder(&app, &venue, "Reprinted", "VISITOR").await;
    let new = app
        .badges()
        .issue_badge(pb::IssueBadgeRequest {
            participant_id: id,
            layout: 0,
        })
        .await
        .unwrap()
        .into_inner()
        .badge
        .unwrap();
    assert_eq!(
        denied(&enter(&app, &venue.hall, &old.qr_text).await),
        pb::DenyReason::Revoked
    );
    allowed(&enter(&app, &venue.hall, &new.qr_text).await);
}

#[tokio::test]
async fn cancelled_participant() {
    let app = TestApp::start().await;
    let venue = venue(&app, "G-CANCEL").await;
    let (id, badge) = badge_holder(&app, &venue, "Cancelled", "VISITOR").await;
    app.desk()
        .cancel_participant(pb::CancelParticipantRequest {
            id,
            reason: "withdrew".to_owned(),
        })
        .await
        .unwrap();
    assert_eq!(
        denied(&enter(&app, &venue.hall, &badge.qr_text).await),
        pb::DenyReason::Revoked
    );
}

#[tokio::test]
async fn blocked() {
    let app = TestApp::start().await;
    let venue = venue(&app, "G-BLOCK").await;
    let (_, badge) = badge_holder(&app, &venue, "Blocked", "VISITOR").await;
    let blocked = app
        .badges()
        .block_badge(pb::BlockBadgeRequest {
            badge_id: badge.id.clone(),
            reason: "reported lost".to_owned(),
        })
        .await
        .unwrap()
        .into_inner()
        .badge
        .unwrap();
    assert!(blocked.blocked);
    assert_eq!(blocked.block_reason, "reported lost");
    assert_eq!(
        denied(&enter(&app, &venue.hall, &badge.qr_text).await),
        pb::DenyReason::Blocked
    );

    // The offline bundle lists it too.
    let bundle = app
        .gates()
        .get_offline_bundle(pb::GetOfflineBundleRequest {
            gate_id: venue.hall.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    let rules = expopass::domain::offline::Rules::from_bundle(&bundle.bundle).unwrap();
    let at = chrono::DateTime::from_timestamp(DURING, 0).unwrap();
    let offline =
        expopass::domain::offline::decide(&rules, &badge.qr_text, rules.zone_number("HALL-A"), at);
    assert_eq!(offline.deny.map(|d| d.code()), Some("BLOCKED"));

    app.badges()
        .unblock_badge(pb::UnblockBadgeRequest {
            badge_id: badge.id.clone(),
        })
        .await
        .unwrap();
    allowed(&enter(&app, &venue.hall, &badge.qr_text).await);
}

#[tokio::test]
async fn not_valid_today() {
    let app = TestApp::start().await;
    let venue = venue(&app, "G-DAYS").await;
    let (_, badge) = badge_holder(&app, &venue, "Early", "VISITOR").await;
    // 2024-04-21 23:30 in Tashkent: the day before the event.
    let before = 1_713_724_200; // 2024-04-21T18:30:00Z
    assert_eq!(
        denied(&scan_at(&app, &venue.hall, &badge.qr_text, pb::Direction::In, before).await),
        pb::DenyReason::NotValidToday
    );
    // 2024-04-22 00:30 in Tashkent, still the 21st in UTC: valid.
    let first_morning = 1_713_727_800; // 2024-04-21T19:30:00Z
    allowed(
        &scan_at(
            &app,
            &venue.hall,
            &badge.qr_text,
            pb::Direction::In,
            first_morning,
        )
        .await,
    );
}

#[tokio::test]
async fn zone_not_allowed() {
    let app = TestApp::start().await;
    let venue = venue(&app, "G-ZONES").await;
    let (_, badge) = badge_holder(&app, &venue, "Visitor", "VISITOR").await;
    assert_eq!(
        denied(&enter(&app, &venue.plenary, &badge.qr_text).await),
        pb::DenyReason::ZoneNotAllowed
    );
    let (_, delegate) = badge_holder(&app, &venue, "Delegate", "DELEGATE").await;
    allowed(&enter(&app, &venue.plenary, &delegate.qr_text).await);
}

#[tokio::test]
async fn zone_full() {
    let app = TestApp::start().await;
    let venue = venue(&app, "G-FULL").await;
    set_b2b_capacity(&app, &venue, 2).await;
    let mut badges = Vec::new();
    for name in ["One", "Two", "Three"] {
        badges.push(badge_holder(&app, &venue, name, "DELEGATE").await.1);
    }
    allowed(&enter(&app, &venue.b2b, &badges[0].qr_text).await);
    allowed(&enter(&app, &venue.b2b, &badges[1].qr_text).await);
    assert_eq!(
        denied(&enter(&app, &venue.b2b, &badges[2].qr_text).await),
        pb::DenyReason::ZoneFull
    );
    assert_eq!(inside(&app, &venue, "B2B").await, 2);
    // One leaves: the third gets in.
    allowed(
        &scan_at(
            &app,
            &venue.b2b,
            &badges[0].qr_text,
            pb::Direction::Out,
            DURING + 60,
        )
        .await,
    );
    allowed(
        &scan_at(
            &app,
            &venue.b2b,
            &badges[2].qr_text,
            pb::Direction::In,
            DURING + 120,
        )
        .await,
    );
}

#[tokio::test]
async fn already_inside() {
    let app = TestApp::start().await;
    let venue = venue(&app, "G-PASSBACK").await;
    let (_, badge) = badge_holder(&app, &venue, "Passback", "VISITOR").await;
    allowed(&enter(&app, &venue.hall, &badge.qr_text).await);
    // The same badge handed back through the fence to a second person.
    assert_eq!(
        denied(&enter(&app, &venue.hall_b, &badge.qr_text).await),
        pb::DenyReason::AlreadyInside
    );
    assert_eq!(inside(&app, &venue, "HALL-A").await, 1);
}

#[tokio::test]
async fn exit_then_re_entry() {
    let app = TestApp::start().await;
    let venue = venue(&app, "G-EXIT").await;
    let (_, badge) = badge_holder(&app, &venue, "Returning", "DELEGATE").await;
    allowed(&enter(&app, &venue.hall, &badge.qr_text).await);
    assert_eq!(inside(&app, &venue, "HALL-A").await, 1);
    allowed(
        &scan_at(
            &app,
            &venue.hall,
            &badge.qr_text,
            pb::Direction::Out,
            DURING + 60,
        )
        .await,
    );
    assert_eq!(inside(&app, &venue, "HALL-A").await, 0);
    allowed(
        &scan_at(
            &app,
            &venue.hall_b,
            &badge.qr_text,
            pb::Direction::In,
            DURING + 120,
        )
        .await,
    );
    assert_eq!(inside(&app, &venue, "HALL-A").await, 1);
    // Entering a sibling zone leaves the hall.
    allowed(
        &scan_at(
            &app,
            &venue.plenary,
            &badge.qr_text,
            pb::Direction::In,
            DURING + 180,
        )
        .await,
    );
    assert_eq!(inside(&app, &venue, "HALL-A").await, 0);
    assert_eq!(inside(&app, &venue, "PLENARY").await, 1);
}

#[tokio::test]
async fn nonce_replay() {
    let app = TestApp::start().await;
    let venue = venue(&app, "G-NONCE").await;
    let (_, badge) = badge_holder(&app, &venue, "Retried", "VISITOR").await;
    let request = scan_request(
        &venue.hall,
        &badge.qr_text,
        "turnstile-7-000123",
        pb::Direction::In,
        DURING,
    );
    let first = app
        .gates()
        .scan(request.clone())
        .await
        .unwrap()
        .into_inner();
    let again = app.gates().scan(request).await.unwrap().into_inner();
    allowed(&first);
    assert_eq!(
        again, first,
        "a retry gets the first answer, not ALREADY_INSIDE"
    );
    assert_eq!(inside(&app, &venue, "HALL-A").await, 1);
    let mut conn = app.db.connect().await;
    #[derive(diesel::QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let n: N = diesel::sql_query("SELECT count(*) AS n FROM scans")
        .get_result(&mut conn)
        .await
        .unwrap();
    assert_eq!(n.n, 1);
}

fn offline(
    gate: &str,
    nonce: &str,
    qr: &str,
    at: i64,
    allowed: bool,
) -> pb::UploadOfflineScansRequest {
    pb::UploadOfflineScansRequest {
        scan: Some(pb::OfflineScan {
            gate_id: gate.to_owned(),
            nonce: nonce.to_owned(),
            scanned_at: Some(prost_types::Timestamp {
                seconds: at,
                nanos: 0,
            }),
            qr_text: qr.to_owned(),
            direction: pb::Direction::In.into(),
            decision: if allowed {
                pb::Decision::Allow
            } else {
                pb::Decision::Deny
            }
            .into(),
            reason: if allowed {
                0
            } else {
                pb::DenyReason::ZoneNotAllowed.into()
            },
        }),
    }
}

async fn upload(
    app: &TestApp,
    scans: Vec<pb::UploadOfflineScansRequest>,
) -> pb::UploadOfflineScansResponse {
    app.gates()
        .upload_offline_scans(tokio_stream::iter(scans))
        .await
        .expect("upload")
        .into_inner()
}

#[tokio::test]
async fn offline_upload_repeated() {
    let app = TestApp::start().await;
    let venue = venue(&app, "G-UPLOAD").await;
    let mut scans = Vec::new();
    for i in 0..30 {
        let (_, badge) = badge_holder(&app, &venue, &format!("Offline{i}"), "VISITOR").await;
        scans.push(offline(
            &venue.hall,
            &format!("h1-{i}"),
            &badge.qr_text,
            DURING + i,
            true,
        ));
    }
    scans.push(offline(
        &venue.hall,
        "h1-garbage",
        "not a badge",
        DURING,
        false,
    ));
    let first = upload(&app, scans.clone()).await;
    assert_eq!((first.stored, first.duplicates), (31, 0));
    assert!(first.conflicts.is_empty(), "{:?}", first.conflicts);
    // Again, and again in another order: nothing new, nothing lost.
    let second = upload(&app, scans.clone()).await;
    assert_eq!((second.stored, second.duplicates), (0, 31));
    scans.reverse();
    let third = upload(&app, scans).await;
    assert_eq!((third.stored, third.duplicates), (0, 31));
}

#[tokio::test]
async fn offline_conflict_across_two_gates() {
    let app = TestApp::start().await;
    let venue = venue(&app, "G-CONFLICT").await;
    let (_, badge) = badge_holder(&app, &venue, "Twice", "VISITOR").await;
    let (id, revoked) = badge_holder(&app, &venue, "Revoked", "VISITOR").await;
    app.desk()
        .cancel_participant(pb::CancelParticipantRequest {
            id,
            reason: "left".to_owned(),
        })
        .await
        .unwrap();
    let response = upload(
        &app,
        vec![
            offline(&venue.hall, "gate1-1", &badge.qr_text, DURING, true),
            offline(&venue.hall_b, "gate2-1", &badge.qr_text, DURING + 30, true),
            offline(
                &venue.hall_b,
                "gate2-2",
                &revoked.qr_text,
                chrono::Utc::now().timestamp() + 5,
                true,
            ),
        ],
    )
    .await;
    assert_eq!(response.stored, 3);
    let two_gates = response
        .conflicts
        .iter()
        .find(|c| c.description.contains("two gates"))
        .expect("two gates conflict");
    assert_eq!(two_gates.badge_id, badge.id);
    assert_eq!(two_gates.nonces, ["gate1-1", "gate2-1"]);
    let after_revocation = response
        .conflicts
        .iter()
        .find(|c| c.description.contains("revoked"))
        .expect("revoked conflict");
    assert_eq!(after_revocation.badge_id, revoked.id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_scans_of_one_badge_allow_exactly_one() {
    let app = TestApp::start().await;
    let venue = venue(&app, "G-RACE").await;
    let (_, badge) = badge_holder(&app, &venue, "Racer", "DELEGATE").await;
    let gates = [&venue.hall, &venue.hall_b];
    let mut calls = Vec::new();
    for i in 0..60 {
        let mut client = app.gates();
        let request = scan_request(
            gates[i % 2],
            &badge.qr_text,
            &format!("race-{i}"),
            pb::Direction::In,
            DURING,
        );
        calls.push(tokio::spawn(async move {
            client.scan(request).await.unwrap().into_inner()
        }));
    }
    let mut allows = 0;
    for call in calls {
        let response = call.await.unwrap();
        if response.decision() == pb::Decision::Allow {
            allows += 1;
        } else {
            assert_eq!(response.reason(), pb::DenyReason::AlreadyInside);
        }
    }
    assert_eq!(allows, 1);
    assert_eq!(inside(&app, &venue, "HALL-A").await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn scans_of_one_badge_into_two_zones_at_once_leave_it_in_one() {
    let app = TestApp::start().await;
    let venue = venue(&app, "G-TWO-ZONES").await;
    let (_, badge) = badge_holder(&app, &venue, "Wanderer", "DELEGATE").await;
    let gates = [&venue.hall, &venue.plenary];
    let mut calls = Vec::new();
    for i in 0..40 {
        let mut client = app.gates();
        let request = scan_request(
            gates[i % 2],
            &badge.qr_text,
            &format!("zones-{i}"),
            pb::Direction::In,
            DURING,
        );
        calls.push(tokio::spawn(async move { client.scan(request).await }));
    }
    for call in calls {
        // Every scan is answered: none fails on the other's locks.
        let response = call.await.unwrap().expect("scan answered").into_inner();
        if response.decision() == pb::Decision::Deny {
            assert_eq!(response.reason(), pb::DenyReason::AlreadyInside);
        }
    }
    // Entering a zone leaves its siblings: the badge is in exactly one.
    let hall = inside(&app, &venue, "HALL-A").await;
    let plenary = inside(&app, &venue, "PLENARY").await;
    assert_eq!(hall + plenary, 1, "inside HALL-A {hall}, PLENARY {plenary}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances() {
    let app = TestApp::start().await;
    let venue = venue(&app, "G-TWO").await;
    let (_, badge) = badge_holder(&app, &venue, "Shared", "DELEGATE").await;
    let a = ServeProcess::start(&app.db.url);
    let b = ServeProcess::start(&app.db.url);
    let clients = [
        a.gates(&app.gate_token).await,
        b.gates(&app.gate_token).await,
    ];
    let mut calls = Vec::new();
    for i in 0..60 {
        let mut client = clients[i % 2].clone();
        let gate = if i % 2 == 0 {
            &venue.hall
        } else {
            &venue.hall_b
        };
        let request = scan_request(
            gate,
            &badge.qr_text,
            &format!("two-{i}"),
            pb::Direction::In,
            DURING,
        );
        calls.push(tokio::spawn(async move {
            client.scan(request).await.unwrap().into_inner()
        }));
    }
    let mut allows = 0;
    for call in calls {
        if call.await.unwrap().decision() == pb::Decision::Allow {
            allows += 1;
        }
    }
    assert_eq!(allows, 1, "one ALLOW across two serve processes");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_watching_gate_receives_a_revocation_made_on_the_other_instance() {
    let app = TestApp::start().await;
    let venue = venue(&app, "G-WATCH").await;
    let (_, badge) = badge_holder(&app, &venue, "Watched", "VISITOR").await;
    let other = ServeProcess::start(&app.db.url);
    let mut watcher = other.gates(&app.gate_token).await;
    let mut stream = watcher
        .watch_gate(pb::WatchGateRequest {
            gate_id: venue.hall.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    // Give the other process a moment to start listening.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let revoked_at = std::time::Instant::now();
    app.badges()
        .revoke_badge(pb::RevokeBadgeRequest {
            badge_id: badge.id.clone(),
            note: "confiscated".to_owned(),
        })
        .await
        .unwrap();
    let message = tokio::time::timeout(Duration::from_secs(1), stream.next())
        .await
        .expect("the revocation arrives within a second")
        .unwrap()
        .unwrap();
    let elapsed = revoked_at.elapsed();
    match message.change {
        Some(pb::watch_gate_response::Change::Revoked(r)) => {
            assert_eq!(r.badge_id, badge.id);
            assert_eq!(r.version, 1);
        }
        other => panic!("expected a revocation, got {other:?} after {elapsed:?}"),
    }
}

#[tokio::test]
async fn occupancy_is_streamed_on_change() {
    let app = TestApp::start().await;
    let venue = venue(&app, "G-OCC").await;
    let (_, badge) = badge_holder(&app, &venue, "Counted", "VISITOR").await;
    let mut stream = app
        .gates()
        .watch_occupancy(pb::WatchOccupancyRequest {
            event_id: venue.fixture.event_id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    let first = stream.next().await.unwrap().unwrap();
    assert_eq!(first.zones.len(), 3);
    assert!(first.zones.iter().all(|z| z.inside == 0));
    allowed(&enter(&app, &venue.hall, &badge.qr_text).await);
    let change = tokio::time::timeout(Duration::from_secs(2), stream.next())
        .await
        .expect("a change arrives")
        .unwrap()
        .unwrap();
    assert_eq!(change.zones.len(), 1);
    assert_eq!(
        (change.zones[0].zone_code.as_str(), change.zones[0].inside),
        ("HALL-A", 1)
    );
}

/// Transactions committed in the test's database so far.
async fn commits(app: &TestApp) -> i64 {
    #[derive(diesel::QueryableByName)]
    struct Commits {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let mut conn = app.db.connect().await;
    diesel::sql_query(
        "SELECT xact_commit AS n FROM pg_stat_database WHERE datname = current_database()",
    )
    .get_result::<Commits>(&mut conn)
    .await
    .unwrap()
    .n
}

/// Three hundred streams that never read cost one reader of the counters,
/// and a stream that reads still gets every change.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_occupancy_watchers_share_one_reader() {
    let app = TestApp::start().await;
    let venue = venue(&app, "G-MANY").await;
    let (_, badge) = badge_holder(&app, &venue, "Watched", "VISITOR").await;
    let request = || pb::WatchOccupancyRequest {
        event_id: venue.fixture.event_id.clone(),
    };
    // A connection opens at most 128 streams at once: three connections.
    let mut idle = Vec::new();
    for _ in 0..3 {
        let channel = tonic::transport::Channel::from_shared(format!("http://{}", app.addr))
            .unwrap()
            .connect()
            .await
            .unwrap();
        let mut gates = pb::gate_service_client::GateServiceClient::with_interceptor(
            channel,
            crate::support::Bearer(Some(app.gate_token.clone())),
        );
        for _ in 0..100 {
            idle.push(gates.watch_occupancy(request()).await.unwrap().into_inner());
        }
    }
    let mut reading = app
        .gates()
        .watch_occupancy(request())
        .await
        .unwrap()
        .into_inner();
    reading.next().await.unwrap().unwrap();
    // Settle (an idle backend reports its statistics up to 10 s late),
    // then count the database's commits over two seconds: one reader polls
    // 4 times a second; one per stream would commit 2,400 times.
    tokio::time::sleep(Duration::from_secs(11)).await;
    let before = commits(&app).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let spent = commits(&app).await - before;
    assert!(spent < 100, "{spent} commits in 2 s with 301 watchers");
    allowed(&enter(&app, &venue.hall, &badge.qr_text).await);
    let change = tokio::time::timeout(Duration::from_secs(2), reading.next())
        .await
        .expect("a change arrives")
        .unwrap()
        .unwrap();
    assert_eq!(change.zones[0].inside, 1);
    drop(idle);
}

#[tokio::test]
async fn a_gate_token_scans_and_nothing_else() {
    let app = TestApp::start().await;
    let venue = venue(&app, "G-ROLES").await;
    let err = app
        .registration_as(Some(Role::Gate))
        .get_participant(pb::GetParticipantRequest {
            id: uuid::Uuid::now_v7().to_string(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    let err = app
        .badges_as(Some(Role::Gate))
        .issue_badge(pb::IssueBadgeRequest::default())
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    let err = app
        .gates_as(Some(Role::Desk))
        .scan(scan_request(
            &venue.hall,
            "x",
            "n",
            pb::Direction::In,
            DURING,
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    let err = app
        .gates()
        .scan(scan_request(
            &uuid::Uuid::now_v7().to_string(),
            "x",
            "n",
            pb::Direction::In,
            DURING,
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    assert_eq!(reason(&err), "GATE_NOT_FOUND");
}

#[tokio::test]
async fn an_offline_bundle_with_50000_revocations_fits_in_one_megabyte() {
    let app = TestApp::start().await;
    let venue = venue(&app, "G-BIG").await;
    let (participant, badge) = badge_holder(&app, &venue, "Often", "VISITOR").await;
    // 50,000 earlier versions of one badge, all revoked: the list's size
    // depends only on how many entries it has.
    let mut conn = app.db.connect().await;
    diesel::sql_query(
        "INSERT INTO badges (id, event_id, participant_id, serial, version, key_id, category_id, qr_text,
                             issued_at, revoked_at, revocation_reason)
         SELECT gen_random_uuid(), b.event_id, b.participant_id, b.serial + 1, v, b.key_id, b.category_id, '',
                now(), now(), 'staff'
         FROM badges b, generate_series(2, 50001) v WHERE b.participant_id = $1",
    )
    .bind::<diesel::sql_types::Uuid, _>(uuid::Uuid::parse_str(&participant).unwrap())
    .execute(&mut conn)
    .await
    .unwrap();
    let bundle = app
        .gates()
        .get_offline_bundle(pb::GetOfflineBundleRequest {
            gate_id: venue.hall.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    let rules = expopass::domain::offline::Rules::from_bundle(&bundle.bundle).unwrap();
    assert_eq!(rules.revoked.len(), 50_000);
    assert!(
        bundle.bundle.len() <= 1 << 20,
        "{} bytes",
        bundle.bundle.len()
    );
    assert!(bundle.version > 0);
    // The badge itself is still valid.
    let at = chrono::DateTime::from_timestamp(DURING, 0).unwrap();
    assert!(
        expopass::domain::offline::decide(&rules, &badge.qr_text, rules.zone_number("HALL-A"), at)
            .allowed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_zone_at_capacity_admits_exactly_its_capacity_under_concurrent_entries() {
    let app = TestApp::start().await;
    let venue = venue(&app, "G-CAP").await;
    set_b2b_capacity(&app, &venue, 5).await;
    let mut badges = Vec::new();
    for i in 0..24 {
        badges.push(
            badge_holder(&app, &venue, &format!("Guest{i}"), "DELEGATE")
                .await
                .1,
        );
    }
    // Half of them are in the hall first: entering B2B leaves it, so the
    // scans also move counters of another zone at the same time.
    for badge in badges.iter().step_by(2) {
        allowed(&enter(&app, &venue.hall, &badge.qr_text).await);
    }
    let mut calls = Vec::new();
    for (i, badge) in badges.iter().enumerate() {
        let mut client = app.gates();
        let request = scan_request(
            &venue.b2b,
            &badge.qr_text,
            &format!("cap-{i}"),
            pb::Direction::In,
            DURING + 60,
        );
        calls.push(tokio::spawn(async move {
            (i, client.scan(request).await.unwrap().into_inner())
        }));
    }
    let mut admitted = Vec::new();
    for call in calls {
        let (i, response) = call.await.unwrap();
        if response.decision() == pb::Decision::Allow {
            admitted.push(i);
        } else {
            assert_eq!(response.reason(), pb::DenyReason::ZoneFull);
        }
    }
    assert_eq!(admitted.len(), 5);
    assert_eq!(inside(&app, &venue, "B2B").await, 5);
    let left_the_hall = admitted.iter().filter(|i| *i % 2 == 0).count();
    assert_eq!(
        inside(&app, &venue, "HALL-A").await,
        12 - left_the_hall as u32
    );
}

#[tokio::test]
async fn names_show_at_gates_only_where_the_event_allows_them() {
    let app = TestApp::start().await;
    let mut events = app.events();
    let event = events
        .create_event(pb::CreateEventRequest {
            code: "G-NAMES".to_owned(),
            name: "Named fair".to_owned(),
            venue: "Tashkent".to_owned(),
            time_zone: "Asia/Tashkent".to_owned(),
            first_day: "2024-04-22".to_owned(),
            last_day: "2024-04-24".to_owned(),
            names_at_gates: true,
        })
        .await
        .unwrap()
        .into_inner()
        .event
        .unwrap();
    events
        .upsert_zone(pb::UpsertZoneRequest {
            event_id: event.id.clone(),
            code: "HALL".to_owned(),
            name: "Hall".to_owned(),
            capacity: 0,
            parent_code: String::new(),
        })
        .await
        .unwrap();
    events
        .upsert_category(pb::UpsertCategoryRequest {
            event_id: event.id.clone(),
            code: "VISITOR".to_owned(),
            name: "Visitor".to_owned(),
            color: "#1E88E5".to_owned(),
            zone_codes: vec!["HALL".to_owned()],
            valid_days: vec![],
        })
        .await
        .unwrap();
    let gate = events
        .upsert_gate(pb::UpsertGateRequest {
            event_id: event.id.clone(),
            code: "G1".to_owned(),
            name: "Gate 1".to_owned(),
            zone_code: "HALL".to_owned(),
        })
        .await
        .unwrap()
        .into_inner()
        .gate
        .unwrap();
    let fixture = Fixture { event_id: event.id };
    let mut input = person("Malika", "Yusupova");
    input.phone = "+998 90 123 45 67".to_owned();
    let p = app.register(&fixture, input).await;
    let badge = app
        .badges()
        .issue_badge(pb::IssueBadgeRequest {
            participant_id: p.id,
            layout: 0,
        })
        .await
        .unwrap()
        .into_inner()
        .badge
        .unwrap();
    let response = enter(&app, &gate.id, &badge.qr_text).await;
    allowed(&response);
    assert_eq!(response.holder_name, "Malika Yusupova");
    // A gate reply has no field for contact data or documents at all.
    let text = format!("{response:?}");
    assert!(
        !text.contains("example.uz") && !text.contains("+998"),
        "{text}"
    );
}
