use expopass::{domain::Role, proto::pb};
use tonic::Code;
use tonic_health::pb::{
    HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient,
};

use crate::support::{TestApp, reason};

#[tokio::test]
async fn a_call_without_a_token_is_unauthenticated() {
    let app = TestApp::start().await;
    let err = app
        .events_as(None)
        .list_events(pb::ListEventsRequest {})
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::Unauthenticated);
    assert_eq!(reason(&err), "UNAUTHENTICATED");
}

#[tokio::test]
async fn an_unknown_token_is_unauthenticated() {
    let app = TestApp::start().await;
    let mut client = pb::event_service_client::EventServiceClient::with_interceptor(
        app.channel(),
        crate::support::Bearer(Some("xp_not-a-real-token".to_owned())),
    );
    let err = client
        .list_events(pb::ListEventsRequest {})
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::Unauthenticated);
}

#[tokio::test]
async fn desk_and_gate_tokens_cannot_set_up_events() {
    let app = TestApp::start().await;
    let fixture = app.event("SETUP").await;
    for role in [Role::Desk, Role::Gate] {
        let err = app
            .events_as(Some(role))
            .upsert_category(pb::UpsertCategoryRequest {
                event_id: fixture.event_id.clone(),
                code: "GUEST".to_owned(),
                name: "Guest".to_owned(),
                color: "#123456".to_owned(),
                zone_codes: vec![],
                valid_days: vec![],
                ..Default::default()
            })
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::PermissionDenied, "{role:?}");
        assert_eq!(reason(&err), "ROLE_NOT_ALLOWED");
    }
    // Desks and gates read their events and their set-up.
    let events = app
        .events_as(Some(Role::Desk))
        .list_events(pb::ListEventsRequest {})
        .await
        .expect("a desk may list events")
        .into_inner()
        .events;
    assert_eq!(events.len(), 1);
    app.events_as(Some(Role::Desk))
        .list_categories(pb::ListCategoriesRequest {
            event_id: fixture.event_id.clone(),
        })
        .await
        .expect("a desk may list categories");
    app.events_as(Some(Role::Gate))
        .list_gates(pb::ListGatesRequest {
            event_id: fixture.event_id.clone(),
        })
        .await
        .expect("a gate may list gates");
}

#[tokio::test]
async fn a_gate_token_cannot_register_or_read_participants() {
    let app = TestApp::start().await;
    let fixture = app.event("AUTH").await;
    let err = app
        .registration_as(Some(Role::Gate))
        .search_participants(pb::SearchParticipantsRequest {
            event_id: fixture.event_id.clone(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    // A desk token may.
    app.desk()
        .search_participants(pb::SearchParticipantsRequest {
            event_id: fixture.event_id,
            ..Default::default()
        })
        .await
        .expect("desk may search");
}

#[tokio::test]
async fn health_says_serving_and_reflection_lists_the_services() {
    let app = TestApp::start().await;
    let mut health = HealthClient::new(app.channel());
    // The first database check runs as the server starts.
    let mut status = ServingStatus::Unknown;
    for _ in 0..50 {
        let reply = health
            .check(HealthCheckRequest {
                service: "expopass.v1.RegistrationService".to_owned(),
            })
            .await
            .expect("health");
        status = reply.into_inner().status();
        if status == ServingStatus::Serving {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(status, ServingStatus::Serving);

    use tonic_reflection::pb::v1::{
        ServerReflectionRequest, server_reflection_client::ServerReflectionClient,
        server_reflection_request::MessageRequest, server_reflection_response::MessageResponse,
    };
    let mut reflection = ServerReflectionClient::new(app.channel());
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut stream = reflection
        .server_reflection_info(tokio_stream::once(request))
        .await
        .expect("reflection")
        .into_inner();
    let reply = stream.message().await.expect("reply").expect("one reply");
    let Some(MessageResponse::ListServicesResponse(list)) = reply.message_response else {
        panic!("unexpected reflection reply");
    };
    let names: Vec<String> = list.service.into_iter().map(|s| s.name).collect();
    for name in expopass::server::SERVICE_NAMES {
        assert!(
            names.contains(&name.to_owned()),
            "{name} missing from {names:?}"
        );
    }
}
