//! Tokens with a scope, an expiry and a revocation that bites everywhere
//! at once; and the admin's TokenService.

use std::time::Duration;

use diesel_async::RunQueryDsl as _;
use expopass::{
    domain::Services,
    proto::pb::{
        self, badge_service_client::BadgeServiceClient, gate_service_client::GateServiceClient,
        registration_service_client::RegistrationServiceClient,
        token_service_client::TokenServiceClient,
    },
};
use tonic::{Code, Status, codegen::InterceptedService, transport::Channel};

use crate::support::{
    Bearer, TestApp,
    builders::{Fixture, person, register_request},
    reason,
};

const DURING: i64 = 1_713_855_600; // 2024-04-23T07:00:00Z

type Authed = InterceptedService<Channel, Bearer>;

fn tokens(app: &TestApp, token: &str) -> TokenServiceClient<Authed> {
    TokenServiceClient::with_interceptor(app.channel(), Bearer(Some(token.to_owned())))
}

fn gates(app: &TestApp, token: &str) -> GateServiceClient<Authed> {
    GateServiceClient::with_interceptor(app.channel(), Bearer(Some(token.to_owned())))
}

fn desk(app: &TestApp, token: &str) -> RegistrationServiceClient<Authed> {
    RegistrationServiceClient::with_interceptor(app.channel(), Bearer(Some(token.to_owned())))
}

fn badges(app: &TestApp, token: &str) -> BadgeServiceClient<Authed> {
    BadgeServiceClient::with_interceptor(app.channel(), Bearer(Some(token.to_owned())))
}

/// A token made by the test's admin through TokenService.
async fn token(
    app: &TestApp,
    role: &str,
    event: &str,
    gates: &[&str],
    expires_at: Option<i64>,
) -> (pb::ApiToken, String) {
    let made = tokens(app, &app.admin_token)
        .create_token(pb::CreateTokenRequest {
            name: format!("{role} of {event}"),
            role: role.to_owned(),
            event_code: event.to_owned(),
            gate_codes: gates.iter().map(|g| (*g).to_owned()).collect(),
            expires_at: expires_at.map(|seconds| prost_types::Timestamp { seconds, nanos: 0 }),
        })
        .await
        .unwrap()
        .into_inner();
    (made.token.unwrap(), made.secret)
}

fn denied(result: Result<impl std::fmt::Debug, Status>, why: &str) {
    let status = result.expect_err("the call went through");
    assert_eq!(status.code(), Code::PermissionDenied, "{status:?}");
    assert_eq!(reason(&status), why, "{status:?}");
}

struct Fair {
    fixture: Fixture,
    hall: String,
    plenary: String,
    badge: pb::Badge,
}

async fn fair(app: &TestApp, code: &str) -> Fair {
    let fixture = app.event(code).await;
    let hall = app.gate(&fixture, "HALL-1", "HALL-A").await.id;
    let plenary = app.gate(&fixture, "PLEN-1", "PLENARY").await.id;
    let mut input = person("Dilnoza", code);
    input.category_code = "DELEGATE".to_owned();
    let participant = app.register(&fixture, input).await;
    let badge = app
        .badges()
        .issue_badge(pb::IssueBadgeRequest {
            participant_id: participant.id,
            layout: 0,
        })
        .await
        .unwrap()
        .into_inner()
        .badge
        .unwrap();
    Fair {
        fixture,
        hall,
        plenary,
        badge,
    }
}

fn scan(gate: &str, qr: &str) -> pb::ScanRequest {
    pb::ScanRequest {
        gate_id: gate.to_owned(),
        qr_text: qr.to_owned(),
        direction: pb::Direction::In.into(),
        nonce: uuid::Uuid::new_v4().to_string(),
        scanned_at: Some(prost_types::Timestamp {
            seconds: DURING,
            nanos: 0,
        }),
    }
}

fn offline(gate: &str, qr: &str) -> pb::UploadOfflineScansRequest {
    pb::UploadOfflineScansRequest {
        scan: Some(pb::OfflineScan {
            gate_id: gate.to_owned(),
            nonce: uuid::Uuid::new_v4().to_string(),
            scanned_at: Some(prost_types::Timestamp {
                seconds: DURING,
                nanos: 0,
            }),
            qr_text: qr.to_owned(),
            direction: pb::Direction::In.into(),
            decision: pb::Decision::Allow.into(),
            ..Default::default()
        }),
    }
}

#[tokio::test]
async fn a_gate_token_acts_only_at_its_event_and_its_gates() {
    let app = TestApp::start().await;
    let a = fair(&app, "FAIR-A").await;
    let b = fair(&app, "FAIR-B").await;
    let (_, lane) = token(&app, "gate", "FAIR-A", &["HALL-1"], None).await;
    let mut lane_gates = gates(&app, &lane);

    // Its own gate: scans are decided.
    let allowed = lane_gates
        .scan(scan(&a.hall, &a.badge.qr_text))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(allowed.decision(), pb::Decision::Allow);

    // Another event's gate, bundle and occupancy.
    denied(
        lane_gates.scan(scan(&b.hall, &b.badge.qr_text)).await,
        "EVENT_NOT_ALLOWED",
    );
    denied(
        lane_gates
            .get_offline_bundle(pb::GetOfflineBundleRequest {
                gate_id: b.hall.clone(),
            })
            .await,
        "EVENT_NOT_ALLOWED",
    );
    denied(
        lane_gates
            .get_occupancy(pb::GetOccupancyRequest {
                event_id: b.fixture.event_id.clone(),
            })
            .await,
        "EVENT_NOT_ALLOWED",
    );
    // Its event's other gate: neither scans nor the bundle nor its stream.
    denied(
        lane_gates.scan(scan(&a.plenary, &a.badge.qr_text)).await,
        "GATE_NOT_ALLOWED",
    );
    denied(
        lane_gates
            .watch_gate(pb::WatchGateRequest {
                gate_id: a.plenary.clone(),
            })
            .await
            .map(drop),
        "GATE_NOT_ALLOWED",
    );
    // Its own bundle and its event's occupancy are fine.
    lane_gates
        .get_offline_bundle(pb::GetOfflineBundleRequest {
            gate_id: a.hall.clone(),
        })
        .await
        .unwrap();
    lane_gates
        .get_occupancy(pb::GetOccupancyRequest {
            event_id: a.fixture.event_id.clone(),
        })
        .await
        .unwrap();

    // An upload with one scan in another gate's name stores nothing.
    let uploaded = lane_gates
        .upload_offline_scans(tokio_stream::iter(vec![
            offline(&a.hall, &a.badge.qr_text),
            offline(&a.plenary, &a.badge.qr_text),
        ]))
        .await;
    denied(uploaded, "GATE_NOT_ALLOWED");
    let mut conn = app.db.connect().await;
    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let stored: Count = diesel::sql_query("SELECT count(*) AS n FROM scans WHERE offline")
        .get_result(&mut conn)
        .await
        .unwrap();
    assert_eq!(stored.n, 0, "a refused upload stored scans");
    // Its own gate alone goes through.
    let result = lane_gates
        .upload_offline_scans(tokio_stream::iter(vec![offline(&a.hall, &a.badge.qr_text)]))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(result.stored, 1);
}

#[tokio::test]
async fn a_desk_token_registers_prints_and_searches_only_in_its_event() {
    let app = TestApp::start().await;
    let a = fair(&app, "DESK-A").await;
    let b = fair(&app, "DESK-B").await;
    let (_, secret) = token(&app, "desk", "DESK-A", &[], None).await;
    let mut registration = desk(&app, &secret);
    let mut badge_desk = badges(&app, &secret);

    registration
        .register_participant(register_request(&a.fixture, person("Aziz", "Own")))
        .await
        .unwrap();
    denied(
        registration
            .register_participant(register_request(&b.fixture, person("Aziz", "Other")))
            .await,
        "EVENT_NOT_ALLOWED",
    );
    let search = |event: &Fixture| pb::SearchParticipantsRequest {
        event_id: event.event_id.clone(),
        ..Default::default()
    };
    let own = registration
        .search_participants(search(&a.fixture))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(own.participants.len(), 2);
    denied(
        registration.search_participants(search(&b.fixture)).await,
        "EVENT_NOT_ALLOWED",
    );
    denied(
        registration
            .get_participant(pb::GetParticipantRequest {
                id: b.badge.participant_id.clone(),
            })
            .await,
        "EVENT_NOT_ALLOWED",
    );
    denied(
        registration
            .list_delegations(pb::ListDelegationsRequest {
                event_id: b.fixture.event_id.clone(),
            })
            .await,
        "EVENT_NOT_ALLOWED",
    );
    // Badges of the other event: neither read, issued, revoked nor printed.
    denied(
        badge_desk
            .get_badge(pb::GetBadgeRequest {
                key: Some(pb::get_badge_request::Key::BadgeId(b.badge.id.clone())),
            })
            .await,
        "EVENT_NOT_ALLOWED",
    );
    denied(
        badge_desk
            .issue_badge(pb::IssueBadgeRequest {
                participant_id: b.badge.participant_id.clone(),
                layout: 0,
            })
            .await,
        "EVENT_NOT_ALLOWED",
    );
    denied(
        badge_desk
            .revoke_badge(pb::RevokeBadgeRequest {
                badge_id: b.badge.id.clone(),
                note: "not mine".to_owned(),
            })
            .await,
        "EVENT_NOT_ALLOWED",
    );
    denied(
        badge_desk
            .print_badges(pb::PrintBadgesRequest {
                event_id: b.fixture.event_id.clone(),
                selection: Some(pb::print_badges_request::Selection::CategoryCode(
                    "DELEGATE".to_owned(),
                )),
                layout: 0,
            })
            .await
            .map(drop),
        "EVENT_NOT_ALLOWED",
    );
    // The other event's badge is untouched.
    let theirs = app
        .badges()
        .get_badge(pb::GetBadgeRequest {
            key: Some(pb::get_badge_request::Key::BadgeId(b.badge.id.clone())),
        })
        .await
        .unwrap()
        .into_inner()
        .badge
        .unwrap();
    assert!(!theirs.revoked);
    // Its own event's badge is the desk's to read.
    badge_desk
        .get_badge(pb::GetBadgeRequest {
            key: Some(pb::get_badge_request::Key::BadgeId(a.badge.id.clone())),
        })
        .await
        .unwrap();
}

#[tokio::test]
async fn an_event_admin_sees_and_manages_only_its_event() {
    let app = TestApp::start().await;
    fair(&app, "ADM-A").await;
    fair(&app, "ADM-B").await;
    let (_, admin_a) = token(&app, "admin", "ADM-A", &[], None).await;
    let mut events =
        expopass::proto::pb::event_service_client::EventServiceClient::with_interceptor(
            app.channel(),
            Bearer(Some(admin_a.clone())),
        );
    let listed = events
        .list_events(pb::ListEventsRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        listed
            .events
            .iter()
            .map(|e| e.code.as_str())
            .collect::<Vec<_>>(),
        ["ADM-A"]
    );
    denied(
        events
            .get_event(pb::GetEventRequest {
                key: Some(pb::get_event_request::Key::Code("ADM-B".to_owned())),
            })
            .await,
        "EVENT_NOT_ALLOWED",
    );
    denied(
        events
            .create_event(pb::CreateEventRequest {
                code: "ADM-C".to_owned(),
                name: "Another fair".to_owned(),
                venue: "Tashkent".to_owned(),
                time_zone: "Asia/Tashkent".to_owned(),
                first_day: "2024-05-01".to_owned(),
                last_day: "2024-05-02".to_owned(),
                names_at_gates: false,
                photos_at_gates: false,
            })
            .await,
        "EVENT_NOT_ALLOWED",
    );
    // Its tokens: it may make one for its event, not for the other.
    let mut its_tokens = tokens(&app, &admin_a);
    its_tokens
        .create_token(pb::CreateTokenRequest {
            name: "desk 1".to_owned(),
            role: "desk".to_owned(),
            event_code: "ADM-A".to_owned(),
            ..Default::default()
        })
        .await
        .unwrap();
    denied(
        its_tokens
            .create_token(pb::CreateTokenRequest {
                name: "desk 1".to_owned(),
                role: "desk".to_owned(),
                event_code: "ADM-B".to_owned(),
                ..Default::default()
            })
            .await,
        "EVENT_NOT_ALLOWED",
    );
    let visible = its_tokens
        .list_tokens(pb::ListTokensRequest::default())
        .await
        .unwrap()
        .into_inner()
        .tokens;
    assert!(
        visible.iter().all(|t| t.event_code == "ADM-A"),
        "{visible:?}"
    );
}

#[tokio::test]
async fn a_revoked_token_is_refused_on_every_instance_within_a_second() {
    let app = TestApp::start().await;
    fair(&app, "REV").await;
    let (made, secret) = token(&app, "desk", "REV", &[], None).await;
    // A second instance on the same database, with the token in its cache.
    let other = Services::new(
        expopass::db::pool(&app.db.url, 2).unwrap(),
        &expopass::domain::DocumentKey::new(Box::new(crate::support::TEST_DOCUMENT_KEY)),
    );
    // An instance that has been running: it hears notifications.
    assert!(other.listen_to_notifications(Duration::from_secs(30)).await);
    other.authenticate(&secret).await.unwrap();
    let mut own = desk(&app, &secret);
    own.list_organizations(pb::ListOrganizationsRequest {
        event_id: String::new(),
        ..Default::default()
    })
    .await
    .ok();

    tokens(&app, &app.admin_token)
        .revoke_token(pb::RevokeTokenRequest {
            id: made.id.clone(),
        })
        .await
        .unwrap();
    let revoked_at = tokio::time::Instant::now();
    // This instance: at once.
    let refused = own
        .search_participants(pb::SearchParticipantsRequest::default())
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::Unauthenticated);
    // The other: within a second, though its cache keeps tokens 30 s.
    loop {
        if other.authenticate(&secret).await.is_err() {
            break;
        }
        assert!(
            revoked_at.elapsed() < Duration::from_secs(1),
            "the other instance still accepts the token after 1 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Revoking again changes nothing; an unknown id is NOT_FOUND.
    tokens(&app, &app.admin_token)
        .revoke_token(pb::RevokeTokenRequest { id: made.id })
        .await
        .unwrap();
    let unknown = tokens(&app, &app.admin_token)
        .revoke_token(pb::RevokeTokenRequest {
            id: uuid::Uuid::new_v4().to_string(),
        })
        .await
        .unwrap_err();
    assert_eq!(unknown.code(), Code::NotFound);
    assert_eq!(reason(&unknown), "TOKEN_NOT_FOUND");
}

#[tokio::test]
async fn an_expired_token_is_refused_at_once() {
    let app = TestApp::start().await;
    fair(&app, "EXP").await;
    let soon = chrono::Utc::now().timestamp() + 2;
    let (_, secret) = token(&app, "desk", "EXP", &[], Some(soon)).await;
    let mut client = desk(&app, &secret);
    // Works now (and is cached).
    let search = || pb::SearchParticipantsRequest {
        event_id: String::new(),
        ..Default::default()
    };
    let early = client.search_participants(search()).await.unwrap_err();
    assert_eq!(early.code(), Code::InvalidArgument, "{early:?}");
    while chrono::Utc::now().timestamp() <= soon {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let late = client.search_participants(search()).await.unwrap_err();
    assert_eq!(late.code(), Code::Unauthenticated, "{late:?}");
    assert_eq!(reason(&late), "TOKEN_EXPIRED");

    // A token cannot be made already expired.
    let past = tokens(&app, &app.admin_token)
        .create_token(pb::CreateTokenRequest {
            name: "late".to_owned(),
            role: "desk".to_owned(),
            expires_at: Some(prost_types::Timestamp {
                seconds: chrono::Utc::now().timestamp() - 60,
                nanos: 0,
            }),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(past.code(), Code::InvalidArgument);
}

#[tokio::test]
async fn tokens_are_listed_without_secrets_and_every_operation_is_audited() {
    let app = TestApp::start().await;
    fair(&app, "LIST").await;
    let (made, secret) = token(&app, "gate", "LIST", &["HALL-1"], Some(4_102_444_800)).await;
    gates(&app, &secret)
        .get_occupancy(pb::GetOccupancyRequest {
            event_id: String::new(),
        })
        .await
        .ok();
    let listed = tokens(&app, &app.admin_token)
        .list_tokens(pb::ListTokensRequest {
            event_code: "LIST".to_owned(),
        })
        .await
        .unwrap()
        .into_inner()
        .tokens;
    let shown = listed.iter().find(|t| t.id == made.id).unwrap();
    assert_eq!(shown.role, "gate");
    assert_eq!(shown.event_code, "LIST");
    assert_eq!(shown.gate_codes, ["HALL-1"]);
    assert_eq!(shown.created_by, "test admin");
    assert!(shown.created_at.is_some());
    assert!(shown.last_used_at.is_some(), "{shown:?}");
    assert_eq!(shown.expires_at.map(|t| t.seconds), Some(4_102_444_800));
    assert!(shown.revoked_at.is_none());
    assert!(
        !format!("{listed:?}").contains(&secret),
        "a listing shows a secret"
    );
    // Bad scopes are refused with the field named.
    for (role, event, gates, field) in [
        ("desk", "LIST", vec!["HALL-1"], "gates"),
        ("gate", "LIST", vec!["NO-SUCH"], "gates[0]"),
        ("guest", "LIST", vec![], "role"),
    ] {
        let refused = tokens(&app, &app.admin_token)
            .create_token(pb::CreateTokenRequest {
                name: "x".to_owned(),
                role: role.to_owned(),
                event_code: event.to_owned(),
                gate_codes: gates.into_iter().map(str::to_owned).collect(),
                expires_at: None,
            })
            .await
            .unwrap_err();
        assert_eq!(refused.code(), Code::InvalidArgument, "{refused:?}");
        assert_eq!(crate::support::violated_fields(&refused), [field]);
    }
    // Desks cannot manage tokens.
    let refused = tokens(&app, &app.desk_token)
        .list_tokens(pb::ListTokensRequest::default())
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied);

    tokens(&app, &app.admin_token)
        .revoke_token(pb::RevokeTokenRequest {
            id: made.id.clone(),
        })
        .await
        .unwrap();
    #[derive(diesel::QueryableByName)]
    struct Entry {
        #[diesel(sql_type = diesel::sql_types::Text)]
        action: String,
    }
    let mut conn = app.db.connect().await;
    let entries: Vec<Entry> =
        diesel::sql_query("SELECT action FROM audit_log WHERE entity_id = $1::uuid ORDER BY id")
            .bind::<diesel::sql_types::Text, _>(&made.id)
            .load(&mut conn)
            .await
            .unwrap();
    assert_eq!(
        entries
            .iter()
            .map(|e| e.action.as_str())
            .collect::<Vec<_>>(),
        ["token.create", "token.revoke"]
    );
}

fn auth(app: &TestApp) -> pb::auth_service_client::AuthServiceClient<Channel> {
    pb::auth_service_client::AuthServiceClient::new(app.channel())
}

async fn enrolment_code(app: &TestApp, event: &str, gates: &[&str], ttl: Duration) -> String {
    app.services
        .create_enrolment(
            None,
            expopass::domain::enrolment::NewEnrolment {
                token: expopass::domain::NewToken {
                    name: "Hall 1 lane 3".to_owned(),
                    role: expopass::domain::Role::Gate,
                    event_code: Some(event.to_owned()),
                    gate_codes: gates.iter().map(|g| (*g).to_owned()).collect(),
                    expires_at: None,
                },
                ttl,
            }
            .check()
            .unwrap(),
        )
        .await
        .unwrap()
        .0
}

#[tokio::test]
async fn a_device_enrols_once_with_a_code_and_gets_the_codes_scope() {
    let app = TestApp::start().await;
    let a = fair(&app, "ENROL").await;
    let code = enrolment_code(&app, "ENROL", &["HALL-1"], Duration::from_secs(600)).await;
    assert_eq!(code.len(), 19, "{code}");

    // Typed at a desk, the gate's code is refused and not spent; a role
    // that does not exist is a bad field.
    for (role, status, why) in [
        ("desk", Code::FailedPrecondition, "ENROLMENT_ROLE_MISMATCH"),
        ("janitor", Code::InvalidArgument, "INVALID_FIELD"),
    ] {
        let refused = auth(&app)
            .enroll(pb::EnrollRequest {
                code: code.clone(),
                device_name: "desk 2".to_owned(),
                roles: vec![role.to_owned()],
            })
            .await
            .unwrap_err();
        assert_eq!(
            (refused.code(), reason(&refused).as_str()),
            (status, why),
            "{refused:?}"
        );
    }

    // Typed by hand: lower case, spaces instead of dashes.
    let typed = code.to_lowercase().replace('-', " ");
    let enrolled = auth(&app)
        .enroll(pb::EnrollRequest {
            code: typed,
            device_name: "tablet 7".to_owned(),
            roles: vec!["gate".to_owned()],
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(enrolled.role, "gate");
    let mut device = gates(&app, &enrolled.token);
    let decided = device
        .scan(scan(&a.hall, &a.badge.qr_text))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(decided.decision(), pb::Decision::Allow);
    denied(
        device.scan(scan(&a.plenary, &a.badge.qr_text)).await,
        "GATE_NOT_ALLOWED",
    );

    // The token is listed under the code's name and the device's.
    let listed = tokens(&app, &app.admin_token)
        .list_tokens(pb::ListTokensRequest::default())
        .await
        .unwrap()
        .into_inner()
        .tokens;
    let token = listed.iter().find(|t| t.id == enrolled.token_id).unwrap();
    assert_eq!(token.name, "Hall 1 lane 3 (tablet 7)");
    assert_eq!(token.gate_codes, ["HALL-1"]);

    // A second use of the code.
    let again = auth(&app)
        .enroll(pb::EnrollRequest {
            code: code.clone(),
            device_name: "tablet 8".to_owned(),
            roles: vec![],
        })
        .await
        .unwrap_err();
    assert_eq!(again.code(), Code::FailedPrecondition, "{again:?}");
    assert_eq!(reason(&again), "ENROLMENT_CODE_USED");

    // An expired code.
    let short = enrolment_code(&app, "ENROL", &[], Duration::from_secs(1)).await;
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    let late = auth(&app)
        .enroll(pb::EnrollRequest {
            code: short,
            device_name: String::new(),
            roles: vec![],
        })
        .await
        .unwrap_err();
    assert_eq!(late.code(), Code::FailedPrecondition, "{late:?}");
    assert_eq!(reason(&late), "ENROLMENT_CODE_EXPIRED");

    // Made and used, both audited; the token's creation too.
    #[derive(diesel::QueryableByName)]
    struct Entry {
        #[diesel(sql_type = diesel::sql_types::Text)]
        action: String,
    }
    let mut conn = app.db.connect().await;
    let entries: Vec<Entry> = diesel::sql_query(
        "SELECT action FROM audit_log WHERE entity_type IN ('enrolment_code', 'api_token') \
         AND (entity_type = 'enrolment_code' OR entity_id = $1::uuid) ORDER BY id",
    )
    .bind::<diesel::sql_types::Text, _>(&enrolled.token_id)
    .load(&mut conn)
    .await
    .unwrap();
    assert_eq!(
        entries
            .iter()
            .map(|e| e.action.as_str())
            .collect::<Vec<_>>(),
        [
            "enrolment.create",
            "token.create",
            "enrolment.use",
            "enrolment.create"
        ]
    );
}

#[tokio::test]
async fn guessing_enrolment_codes_locks_the_source_out() {
    let app = TestApp::start().await;
    fair(&app, "GUESS").await;
    let code = enrolment_code(&app, "GUESS", &[], Duration::from_secs(600)).await;
    for i in 0..expopass::domain::enrolment::MAX_FAILURES {
        let wrong = auth(&app)
            .enroll(pb::EnrollRequest {
                code: format!("AAAA-BBBB-CCCC-{i:04}"),
                device_name: String::new(),
                roles: vec![],
            })
            .await
            .unwrap_err();
        assert_eq!(wrong.code(), Code::Unauthenticated, "{wrong:?}");
        assert_eq!(reason(&wrong), "ENROLMENT_CODE_UNKNOWN");
    }
    // Now even the right code is refused from this address, and the code
    // itself is not spent.
    let locked = auth(&app)
        .enroll(pb::EnrollRequest {
            code: code.clone(),
            device_name: String::new(),
            roles: vec![],
        })
        .await
        .unwrap_err();
    assert_eq!(locked.code(), Code::ResourceExhausted, "{locked:?}");
    assert_eq!(reason(&locked), "ENROLMENT_LOCKED");
    let mut conn = app.db.connect().await;
    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let unused: Count =
        diesel::sql_query("SELECT count(*) AS n FROM enrolment_codes WHERE used_at IS NULL")
            .get_result(&mut conn)
            .await
            .unwrap();
    assert_eq!(unused.n, 1);
}

/// An organiser makes a desk code over gRPC; its QR reads back as the code
/// (zbar), and a device enrols with it once.
#[tokio::test]
async fn an_admin_makes_an_enrolment_code_with_its_qr_over_grpc() {
    let app = TestApp::start().await;
    let a = fair(&app, "ENROL-RPC").await;
    let made = tokens(&app, &app.admin_token)
        .create_enrolment_code(pb::CreateEnrolmentCodeRequest {
            name: "Desk 4".to_owned(),
            role: "desk".to_owned(),
            event_code: "ENROL-RPC".to_owned(),
            ttl_seconds: 600,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let dir = tempfile::tempdir().unwrap();
    let png = dir.path().join("code.png");
    std::fs::write(&png, &made.qr_png).unwrap();
    let read = std::process::Command::new("zbarimg")
        .args(["--quiet", "--raw", "-Sdisable", "-Sqrcode.enable"])
        .arg(&png)
        .output()
        .expect("zbarimg is needed (zbar-tools)");
    assert_eq!(String::from_utf8(read.stdout).unwrap().trim(), made.code);
    let expires = made.expires_at.unwrap().seconds - chrono::Utc::now().timestamp();
    assert!((590..=600).contains(&expires), "{expires}");

    let enrolled = auth(&app)
        .enroll(pb::EnrollRequest {
            code: made.code.to_lowercase(),
            device_name: "tablet".to_owned(),
            roles: vec!["desk".to_owned()],
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(enrolled.role, "desk");
    let desk = RegistrationServiceClient::with_interceptor(
        app.channel(),
        Bearer(Some(enrolled.token.clone())),
    );
    desk.clone()
        .register_participant(register_request(&a.fixture, person("Aziz", "Rahimov")))
        .await
        .unwrap();
    // Spent: a second device is refused.
    let again = auth(&app)
        .enroll(pb::EnrollRequest {
            code: made.code.clone(),
            device_name: "another".to_owned(),
            roles: vec![],
        })
        .await
        .unwrap_err();
    assert_ne!(again.code(), Code::Ok);

    // A desk token makes none; bad fields are named.
    let refused = tokens(&app, &enrolled.token)
        .create_enrolment_code(pb::CreateEnrolmentCodeRequest {
            name: "x".to_owned(),
            role: "desk".to_owned(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied);
    let bad = tokens(&app, &app.admin_token)
        .create_enrolment_code(pb::CreateEnrolmentCodeRequest {
            name: "Lane".to_owned(),
            role: "gate".to_owned(),
            event_code: "ENROL-RPC".to_owned(),
            ttl_seconds: 30 * 24 * 3600,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(bad.code(), Code::InvalidArgument);
    assert_eq!(crate::support::violated_fields(&bad), ["ttl"]);
}

/// Signing keys over gRPC: list, rotate, retire the old one; the active
/// key cannot be retired.
#[tokio::test]
async fn an_admin_rotates_and_retires_signing_keys_over_grpc() {
    let app = TestApp::start().await;
    let a = fair(&app, "KEYS-RPC").await;
    let mut events = pb::event_service_client::EventServiceClient::with_interceptor(
        app.channel(),
        Bearer(Some(app.admin_token.clone())),
    );
    let event_id = a.fixture.event_id.clone();
    let first = events
        .list_signing_keys(pb::ListSigningKeysRequest {
            event_id: event_id.clone(),
        })
        .await
        .unwrap()
        .into_inner()
        .keys;
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].status, "active");
    assert_eq!(first[0].public_key.len(), 64);
    let new = events
        .rotate_signing_key(pb::RotateSigningKeyRequest {
            event_id: event_id.clone(),
        })
        .await
        .unwrap()
        .into_inner()
        .key
        .unwrap();
    assert_eq!(new.status, "active");
    let active = events
        .retire_signing_keys(pb::RetireSigningKeysRequest {
            event_id: event_id.clone(),
            key_id: new.key_id.clone(),
        })
        .await
        .unwrap_err();
    assert_eq!(active.code(), Code::FailedPrecondition);
    assert_eq!(reason(&active), "KEY_ACTIVE");
    let retired = events
        .retire_signing_keys(pb::RetireSigningKeysRequest {
            event_id: event_id.clone(),
            key_id: String::new(),
        })
        .await
        .unwrap()
        .into_inner()
        .retired;
    assert_eq!(retired.len(), 1);
    assert_eq!(retired[0].key_id, first[0].key_id);
    assert!(retired[0].retired_at.is_some());
    let bad = events
        .retire_signing_keys(pb::RetireSigningKeysRequest {
            event_id,
            key_id: "zz".to_owned(),
        })
        .await
        .unwrap_err();
    assert_eq!(bad.code(), Code::InvalidArgument);
}
