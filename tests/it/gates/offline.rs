//! Offline: uploads of scans decided alone, their conflicts, and the bundle.

use super::*;

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
        .find(|c| c.kind() == pb::ConflictKind::EnteredTwice)
        .expect("two gates conflict");
    assert_eq!(two_gates.badge_id, badge.id);
    assert_eq!(two_gates.nonces, ["gate1-1", "gate2-1"]);
    assert!(two_gates.description.contains("two gates"));
    assert_eq!(two_gates.badge_number, badge.number);
    let after_revocation = response
        .conflicts
        .iter()
        .find(|c| c.kind() == pb::ConflictKind::AdmittedRevoked)
        .expect("revoked conflict");
    assert_eq!(after_revocation.badge_id, revoked.id);
    assert_eq!(response.conflicts.len(), 2, "{:?}", response.conflicts);

    // The server keeps them for the operations board, each once however
    // often the same scans come back.
    let again = upload(
        &app,
        vec![
            offline(&venue.hall, "gate1-1", &badge.qr_text, DURING, true),
            offline(&venue.hall_b, "gate2-1", &badge.qr_text, DURING + 30, true),
        ],
    )
    .await;
    assert_eq!((again.stored, again.duplicates), (0, 2));
    assert_eq!(again.conflicts.len(), 1);
    let board = app
        .gates_as(Some(Role::Admin))
        .get_operations(pb::GetOperationsRequest {
            event_id: venue.fixture.event_id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    let mut listed: Vec<(pb::ConflictKind, Vec<String>)> = board
        .conflicts
        .iter()
        .map(|c| (c.kind(), c.gate_codes.clone()))
        .collect();
    listed.sort_by_key(|(kind, _)| *kind as i32);
    assert_eq!(
        listed,
        [
            (
                pb::ConflictKind::EnteredTwice,
                vec!["G-HALL-1".to_owned(), "G-HALL-2".to_owned()]
            ),
            (
                pb::ConflictKind::AdmittedRevoked,
                vec!["G-HALL-2".to_owned()]
            ),
        ]
    );
    let twice = &board
        .conflicts
        .iter()
        .find(|c| c.kind() == pb::ConflictKind::EnteredTwice)
        .unwrap();
    assert_eq!(twice.badge_number, badge.number);
    assert_eq!(
        twice.scanned_at.as_ref().map(|t| t.seconds),
        Some(DURING + 30)
    );
    // Another event's board does not show them.
    let other = venue_board_conflicts(&app, &app.event("G-CONFLICT-2").await.event_id).await;
    assert!(other.is_empty(), "{other:?}");
}

async fn venue_board_conflicts(app: &TestApp, event_id: &str) -> Vec<pb::RecordedConflict> {
    app.gates_as(Some(Role::Admin))
        .get_operations(pb::GetOperationsRequest {
            event_id: event_id.to_owned(),
        })
        .await
        .unwrap()
        .into_inner()
        .conflicts
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
