//! Calls racing into the same unique constraint: each answer is a success
//! or the constraint's own reason, never INTERNAL.

use expopass::proto::pb;
use futures::future::join_all;
use tonic::Code;

use crate::support::{TestApp, builders::person, reason};

/// Every error among `results` has `code` and `expected` as its reason;
/// returns how many calls succeeded.
fn successes<T>(results: &[Result<T, tonic::Status>], code: Code, expected: &[&str]) -> usize {
    for status in results.iter().filter_map(|r| r.as_ref().err()) {
        assert_eq!(status.code(), code, "{status:?}");
        assert!(expected.contains(&reason(status).as_str()), "{status:?}");
    }
    results.iter().filter(|r| r.is_ok()).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_calls_meet_each_unique_constraint_with_its_reason() {
    let app = TestApp::start().await;
    let fixture = app.event("RACE").await;

    // Events with one code.
    let results = join_all((0..12).map(|_| {
        let mut events = app.events();
        async move {
            events
                .create_event(pb::CreateEventRequest {
                    code: "RACE-CODE".to_owned(),
                    name: "Race".to_owned(),
                    venue: String::new(),
                    time_zone: String::new(),
                    first_day: "2024-04-22".to_owned(),
                    last_day: "2024-04-22".to_owned(),
                    names_at_gates: false,
                    photos_at_gates: false,
                })
                .await
        }
    }))
    .await;
    assert_eq!(
        successes(&results, Code::AlreadyExists, &["EVENT_CODE_TAKEN"]),
        1
    );

    // Organisations with one name.
    let results = join_all((0..12).map(|i| {
        let mut desk = app.desk();
        let event_id = fixture.event_id.clone();
        async move {
            desk.create_organization(pb::CreateOrganizationRequest {
                request_id: format!("org-{i}"),
                event_id,
                name: "Uzbek Aluminium".to_owned(),
                country: "UZ".to_owned(),
                kind: 0,
                ..Default::default()
            })
            .await
        }
    }))
    .await;
    assert_eq!(
        successes(&results, Code::AlreadyExists, &["ORGANIZATION_EXISTS"]),
        1
    );

    // Twelve delegations renamed to one name at once.
    let mut ids = Vec::new();
    for country in [
        "KZ", "KG", "TJ", "TM", "AZ", "AM", "GE", "MN", "TR", "IR", "PK", "IN",
    ] {
        ids.push(
            app.delegation(&fixture, country, &[("DELEGATE", 5)])
                .await
                .id,
        );
    }
    let results = join_all(ids.iter().map(|id| {
        let mut desk = app.desk();
        let id = id.clone();
        async move {
            desk.update_delegation(pb::UpdateDelegationRequest {
                id,
                name: Some("Central Asian delegation".to_owned()),
                ..Default::default()
            })
            .await
        }
    }))
    .await;
    assert_eq!(
        successes(&results, Code::AlreadyExists, &["DELEGATION_EXISTS"]),
        1
    );

    // Twelve participants given one email at once.
    let mut people = Vec::new();
    for i in 0..12 {
        let mut input = person("Racer", &format!("Number{i}"));
        input.email = format!("racer{i}@example.uz");
        people.push(app.register(&fixture, input).await.id);
    }
    let results = join_all(people.iter().map(|id| {
        let mut desk = app.desk();
        let id = id.clone();
        async move {
            desk.update_participant(pb::UpdateParticipantRequest {
                id,
                expected_version: 1,
                email: Some("the.same@example.uz".to_owned()),
                ..Default::default()
            })
            .await
        }
    }))
    .await;
    assert_eq!(
        successes(&results, Code::AlreadyExists, &["DUPLICATE_PARTICIPANT"]),
        1
    );

    // Twelve registrations with one roster reference.
    let results = join_all((0..12).map(|i| {
        let mut desk = app.desk();
        let mut input = person("Listed", &format!("Twice{i}"));
        input.email = format!("listed{i}@example.uz");
        input.external_ref = "ROSTER-7".to_owned();
        let request = crate::support::builders::register_request(&fixture, input);
        async move { desk.register_participant(request).await }
    }))
    .await;
    assert_eq!(
        successes(&results, Code::AlreadyExists, &["DUPLICATE_EXTERNAL_REF"]),
        1
    );

    // Twelve badges for one participant at once: reprints, one after the
    // other, each with a version of its own.
    let results = join_all((0..12).map(|_| {
        let mut badges = app.badges();
        let id = people[0].clone();
        async move {
            badges
                .issue_badge(pb::IssueBadgeRequest {
                    participant_id: id,
                    layout: 0,
                })
                .await
        }
    }))
    .await;
    assert_eq!(
        successes(&results, Code::Aborted, &["BADGE_IN_PROGRESS"]),
        12
    );
    let mut versions: Vec<u32> = results
        .into_iter()
        .map(|r| r.unwrap().into_inner().badge.unwrap().version)
        .collect();
    versions.sort_unstable();
    assert_eq!(versions, (1..=12).collect::<Vec<u32>>());
}
