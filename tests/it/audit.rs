//! The audit trail over gRPC: `AuditService.ListAuditEntries`.

use expopass::proto::pb::{self, audit_service_client::AuditServiceClient};
use tonic::Code;

use crate::support::{Authed, Bearer, TestApp, builders::Fixture, builders::person, reason};

fn audit(app: &TestApp, token: &str) -> AuditServiceClient<Authed> {
    AuditServiceClient::with_interceptor(app.channel(), Bearer(Some(token.to_owned())))
}

async fn list(
    app: &TestApp,
    request: pb::ListAuditEntriesRequest,
) -> Result<pb::ListAuditEntriesResponse, tonic::Status> {
    audit(app, &app.admin_token)
        .list_audit_entries(request)
        .await
        .map(tonic::Response::into_inner)
}

#[tokio::test]
async fn the_audit_trail_filters_by_event_action_entity_token_and_time_newest_first() {
    let app = TestApp::start().await;
    let started = chrono::Utc::now() - chrono::Duration::seconds(1);
    let a = app.event("AUDIT-A").await;
    let b = app.event("AUDIT-B").await;
    let in_a = app.register(&a, person("Jasur", "Tursunov")).await;
    app.register(&a, person("Dilnoza", "Karimova")).await;
    app.register(&b, person("Olga", "Petrova")).await;
    app.desk()
        .cancel_participant(pb::CancelParticipantRequest {
            id: in_a.id.clone(),
            reason: "left early".to_owned(),
        })
        .await
        .unwrap();

    // One event's entries only: its set-up and its two registrations.
    let of_a = list(
        &app,
        pb::ListAuditEntriesRequest {
            event_id: a.event_id.clone(),
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .entries;
    assert!(of_a.iter().all(|e| e.event_id == a.event_id), "{of_a:?}");
    let actions: Vec<&str> = of_a.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions[0], "participant.cancel", "{actions:?}");
    assert_eq!(
        actions
            .iter()
            .filter(|a| **a == "participant.register")
            .count(),
        2,
        "{actions:?}"
    );
    assert!(actions.contains(&"event.create"), "{actions:?}");
    assert!(of_a.windows(2).all(|w| w[0].id > w[1].id), "newest first");
    // The desk's token acted, by name; no personal value anywhere.
    let cancel = &of_a[0];
    assert_eq!(cancel.entity_type, "participant");
    assert_eq!(cancel.entity_id, in_a.id);
    assert!(!cancel.token_name.is_empty());
    let everything = format!("{of_a:?}");
    for secret in ["Jasur", "Tursunov", "left early", "example"] {
        assert!(!everything.contains(secret), "{secret} in {everything}");
    }

    // By action, by a kind of actions, by entity, by token, by time.
    let cancels = list(
        &app,
        pb::ListAuditEntriesRequest {
            action: "participant.cancel".to_owned(),
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .entries;
    assert_eq!(cancels.len(), 1);
    let participants = list(
        &app,
        pb::ListAuditEntriesRequest {
            action: "participant.".to_owned(),
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .entries;
    assert_eq!(participants.len(), 4, "{participants:?}");
    let of_one = list(
        &app,
        pb::ListAuditEntriesRequest {
            entity_id: in_a.id.clone(),
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .entries;
    assert_eq!(of_one.len(), 2);
    let by_desk = list(
        &app,
        pb::ListAuditEntriesRequest {
            token_id: cancel.token_id.clone(),
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .entries;
    assert!(by_desk.iter().all(|e| e.token_id == cancel.token_id));
    assert_eq!(by_desk.len(), 4);
    let later = list(
        &app,
        pb::ListAuditEntriesRequest {
            since: Some(prost_types::Timestamp {
                seconds: (chrono::Utc::now() + chrono::Duration::hours(1)).timestamp(),
                nanos: 0,
            }),
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .entries;
    assert!(later.is_empty());
    let since_start = list(
        &app,
        pb::ListAuditEntriesRequest {
            since: Some(prost_types::Timestamp {
                seconds: started.timestamp(),
                nanos: 0,
            }),
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .entries;
    assert!(since_start.len() >= 6);

    // Pages: two at a time, each entry once.
    let mut seen = Vec::new();
    let mut token = String::new();
    loop {
        let page = list(
            &app,
            pb::ListAuditEntriesRequest {
                event_id: a.event_id.clone(),
                page_size: 2,
                page_token: token.clone(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert!(page.entries.len() <= 2);
        seen.extend(page.entries.into_iter().map(|e| e.id));
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    assert_eq!(seen, of_a.iter().map(|e| e.id).collect::<Vec<_>>());
}

#[tokio::test]
async fn only_admins_read_the_audit_trail_and_bad_filters_are_named() {
    let app = TestApp::start().await;
    let Fixture { .. } = app.event("AUDIT-C").await;
    let err = audit(&app, &app.desk_token)
        .list_audit_entries(pb::ListAuditEntriesRequest::default())
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    let err = list(
        &app,
        pb::ListAuditEntriesRequest {
            event_id: "not-an-id".to_owned(),
            page_size: 100_000,
            page_token: "xyz".to_owned(),
            ..Default::default()
        },
    )
    .await
    .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    assert_eq!(reason(&err), "INVALID_FIELD");
    let mut fields = crate::support::violated_fields(&err);
    fields.sort();
    assert_eq!(fields, ["event_id", "page_size", "page_token"]);
}
