use expopass::proto::pb;
use tonic::Code;

use crate::support::{TestApp, reason, violated_fields};

fn event(code: &str) -> pb::CreateEventRequest {
    pb::CreateEventRequest {
        code: code.to_owned(),
        name: "INNOPROM. Central Asia".to_owned(),
        venue: "Uzexpocentre".to_owned(),
        time_zone: "Asia/Tashkent".to_owned(),
        first_day: "2024-04-22".to_owned(),
        last_day: "2024-04-24".to_owned(),
        names_at_gates: true,
        photos_at_gates: false,
    }
}

#[tokio::test]
async fn an_event_is_created_once_per_code_and_found_by_id_or_code() {
    let app = TestApp::start().await;
    let mut events = app.events();
    let created = events
        .create_event(event("INNO-24"))
        .await
        .unwrap()
        .into_inner()
        .event
        .unwrap();
    assert_eq!(created.time_zone, "Asia/Tashkent");
    assert_eq!(created.first_day, "2024-04-22");

    let err = events.create_event(event("inno-24")).await.unwrap_err();
    assert_eq!(err.code(), Code::AlreadyExists);
    assert_eq!(reason(&err), "EVENT_CODE_TAKEN");

    let by_code = events
        .get_event(pb::GetEventRequest {
            key: Some(pb::get_event_request::Key::Code("INNO-24".to_owned())),
        })
        .await
        .unwrap()
        .into_inner()
        .event
        .unwrap();
    assert_eq!(by_code.id, created.id);
    let missing = events
        .get_event(pb::GetEventRequest {
            key: Some(pb::get_event_request::Key::Id(
                uuid::Uuid::new_v4().to_string(),
            )),
        })
        .await
        .unwrap_err();
    assert_eq!(missing.code(), Code::NotFound);
    assert_eq!(reason(&missing), "EVENT_NOT_FOUND");
    let listed = events
        .list_events(pb::ListEventsRequest {})
        .await
        .unwrap()
        .into_inner()
        .events;
    assert_eq!(listed.len(), 1);
}

#[tokio::test]
async fn a_bad_event_names_every_bad_field() {
    let app = TestApp::start().await;
    let mut bad = event("no spaces allowed");
    bad.name = String::new();
    bad.time_zone = "Mars/Olympus".to_owned();
    bad.first_day = "2024-04-25".to_owned();
    let err = app.events().create_event(bad).await.unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    assert_eq!(reason(&err), "INVALID_FIELD");
    assert_eq!(
        violated_fields(&err),
        ["code", "name", "time_zone", "last_day"]
    );
    let listed = app
        .events()
        .list_events(pb::ListEventsRequest {})
        .await
        .unwrap()
        .into_inner()
        .events;
    assert!(listed.is_empty(), "nothing half-written");
}

#[tokio::test]
async fn zones_categories_and_gates_upsert_by_code() {
    let app = TestApp::start().await;
    let fixture = app.event("SETUP").await;
    let mut events = app.events();
    let zone = |code: &str, parent: &str| pb::UpsertZoneRequest {
        event_id: fixture.event_id.clone(),
        code: code.to_owned(),
        name: format!("Zone {code}"),
        capacity: 100,
        parent_code: parent.to_owned(),
        ..Default::default()
    };
    let first = events
        .upsert_zone(zone("PAVILION-UZ", "HALL-A"))
        .await
        .unwrap()
        .into_inner()
        .zone
        .unwrap();
    let again = events
        .upsert_zone(zone("PAVILION-UZ", "HALL-A"))
        .await
        .unwrap()
        .into_inner()
        .zone
        .unwrap();
    assert_eq!(first.id, again.id, "an upsert keeps the id");
    assert_eq!(again.parent_code, "HALL-A");

    // HALL-A inside its own pavilion would be a cycle.
    let cycle = events
        .upsert_zone(zone("HALL-A", "PAVILION-UZ"))
        .await
        .unwrap_err();
    assert_eq!(cycle.code(), Code::FailedPrecondition);
    assert_eq!(reason(&cycle), "ZONE_CYCLE");

    let bad_category = events
        .upsert_category(pb::UpsertCategoryRequest {
            event_id: fixture.event_id.clone(),
            code: "SPEAKER".to_owned(),
            name: "Speaker".to_owned(),
            color: "red".to_owned(),
            zone_codes: vec!["NOWHERE".to_owned()],
            valid_days: vec!["2024-05-01".to_owned()],
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(
        violated_fields(&bad_category),
        ["color", "zone_codes[0]", "valid_days[0]"]
    );

    let speaker = events
        .upsert_category(pb::UpsertCategoryRequest {
            event_id: fixture.event_id.clone(),
            code: "speaker".to_owned(),
            name: "Speaker".to_owned(),
            color: "#e53935".to_owned(),
            zone_codes: vec!["PLENARY".to_owned(), "HALL-A".to_owned()],
            valid_days: vec!["2024-04-22".to_owned()],
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .category
        .unwrap();
    assert_eq!(speaker.code, "SPEAKER");
    assert_eq!(speaker.color, "#E53935");
    assert_eq!(speaker.zone_codes, ["PLENARY", "HALL-A"]);

    let gate = events
        .upsert_gate(pb::UpsertGateRequest {
            event_id: fixture.event_id.clone(),
            code: "MAIN-1".to_owned(),
            name: "Main entrance, lane 1".to_owned(),
            zone_code: "HALL-A".to_owned(),
        })
        .await
        .unwrap()
        .into_inner()
        .gate
        .unwrap();
    assert_eq!(gate.zone_code, "HALL-A");
    let gates = events
        .list_gates(pb::ListGatesRequest {
            event_id: fixture.event_id.clone(),
        })
        .await
        .unwrap()
        .into_inner()
        .gates;
    assert_eq!(gates.len(), 1);
    let categories = events
        .list_categories(pb::ListCategoriesRequest {
            event_id: fixture.event_id.clone(),
        })
        .await
        .unwrap()
        .into_inner()
        .categories;
    let codes: Vec<&str> = categories.iter().map(|c| c.code.as_str()).collect();
    assert_eq!(codes, ["DELEGATE", "PRESS", "SPEAKER", "VIP", "VISITOR"]);
}
