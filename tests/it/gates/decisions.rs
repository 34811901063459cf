//! Online decisions: each deny reason, exits, replays, what a gate token may do and see.

use super::*;

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
    let id = expopass::ids::EventId(uuid::Uuid::parse_str(&venue.fixture.event_id).unwrap());
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
    assert_eq!(offline.deny.map(|d| d.as_str()), Some("BLOCKED"));

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
            photos_at_gates: false,
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
            ..Default::default()
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
            ..Default::default()
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
