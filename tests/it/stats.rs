//! `EventService.GetRegistrationStats`, checked against counts the test
//! makes itself.

use expopass::{domain::Role, proto::pb};
use tonic::Code;

use crate::support::{
    TestApp,
    builders::{Fixture, answered_for_the_fair, person},
};

const REFERENCE: &str = include_str!("../../examples/innoprom-ca-2024.toml");
/// 2024-04-23 12:00 in Tashkent, the reference event's second day.
const SECOND_DAY: i64 = 1_713_855_600;

#[tokio::test]
async fn the_numbers_of_an_event_match_what_was_registered_printed_and_scanned() {
    let app = TestApp::start().await;
    let applied = app
        .events()
        .apply_event_definition(pb::ApplyEventDefinitionRequest {
            content: REFERENCE.as_bytes().to_vec(),
            dry_run: false,
            event_code: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    let event_id = applied.event_id;
    let fixture = Fixture {
        event_id: event_id.clone(),
    };
    let org = app
        .desk()
        .create_organization(pb::CreateOrganizationRequest {
            request_id: "org-1".to_owned(),
            event_id: event_id.clone(),
            name: "Uralmash Engineering".to_owned(),
            country: "RU".to_owned(),
            kind: pb::OrganizationKind::Company.into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .organization
        .unwrap();
    let delegations = app
        .desk()
        .list_delegations(pb::ListDelegationsRequest {
            event_id: event_id.clone(),
        })
        .await
        .unwrap()
        .into_inner()
        .delegations;
    let kz = delegations.iter().find(|d| d.country == "KZ").unwrap();

    let mut visitors = Vec::new();
    for (given, family) in [
        ("Jasur", "Tursunov"),
        ("Dilnoza", "Karimova"),
        ("Aziz", "Rahimov"),
    ] {
        visitors.push(
            app.register(&fixture, answered_for_the_fair(person(given, family)))
                .await,
        );
    }
    for (given, family) in [("Ivan", "Petrov"), ("Olga", "Smirnova")] {
        let mut p = person(given, family);
        p.country = "RU".to_owned();
        p.category_code = "EXHIBITOR".to_owned();
        p.organization_id = org.id.clone();
        app.register(&fixture, answered_for_the_fair(p)).await;
    }
    let mut delegate = person("Aigerim", "Nurlanqyzy");
    delegate.country = "KZ".to_owned();
    delegate.category_code = "DELEGATE".to_owned();
    delegate.delegation_id = kz.id.clone();
    app.register(&fixture, delegate).await;
    app.desk()
        .cancel_participant(pb::CancelParticipantRequest {
            id: visitors[2].id.clone(),
            reason: "did not come".to_owned(),
        })
        .await
        .unwrap();

    // Two badges printed, one of them twice (the first version revoked).
    let mut qr = String::new();
    for (i, who) in [&visitors[0], &visitors[1], &visitors[0]]
        .iter()
        .enumerate()
    {
        let issued = app
            .badges()
            .issue_badge(pb::IssueBadgeRequest {
                participant_id: who.id.clone(),
                layout: pb::BadgeLayout::A6.into(),
            })
            .await
            .unwrap()
            .into_inner();
        if i == 2 {
            qr = issued.badge.unwrap().qr_text;
        }
    }
    // One visitor comes in twice on the second day: one person entered.
    let gates = app
        .events()
        .list_gates(pb::ListGatesRequest {
            event_id: event_id.clone(),
        })
        .await
        .unwrap()
        .into_inner()
        .gates;
    let lane = gates.iter().find(|g| g.code == "HALL-MAIN-1").unwrap();
    for (n, direction) in [pb::Direction::In, pb::Direction::Out, pb::Direction::In]
        .into_iter()
        .enumerate()
    {
        let answer = app
            .gates()
            .scan(pb::ScanRequest {
                gate_id: lane.id.clone(),
                qr_text: qr.clone(),
                direction: direction.into(),
                nonce: format!("stats-{n}"),
                scanned_at: Some(prost_types::Timestamp {
                    seconds: SECOND_DAY + i64::try_from(n).unwrap() * 60,
                    nanos: 0,
                }),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(answer.decision(), pb::Decision::Allow, "{answer:?}");
    }

    let stats = app
        .events_as(Some(Role::Desk))
        .get_registration_stats(pb::GetRegistrationStatsRequest {
            event_id: event_id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!((stats.active, stats.cancelled), (5, 1));
    let by = |rows: &[pb::StatCount]| -> Vec<(String, u64)> {
        rows.iter()
            .filter(|r| r.count > 0)
            .map(|r| (r.key.clone(), r.count))
            .collect()
    };
    assert_eq!(
        by(&stats.by_category),
        [
            ("EXHIBITOR".to_owned(), 2),
            ("VISITOR".to_owned(), 2),
            ("DELEGATE".to_owned(), 1)
        ]
    );
    assert_eq!(stats.by_category.len(), 8, "every category, zeros too");
    assert_eq!(
        by(&stats.by_country),
        [
            ("RU".to_owned(), 2),
            ("UZ".to_owned(), 2),
            ("KZ".to_owned(), 1)
        ]
    );
    assert_eq!(stats.by_organization.len(), 1);
    assert_eq!(stats.by_organization[0].label, "Uralmash Engineering");
    assert_eq!(stats.by_organization[0].count, 2);
    assert_eq!(stats.by_delegation.len(), 27);
    let kz_fill = stats
        .by_delegation
        .iter()
        .find(|d| d.country == "KZ")
        .unwrap();
    let kz_seats: u32 = kz.quotas.iter().map(|q| q.quota).sum();
    assert_eq!((kz_fill.members, kz_fill.quota), (1, u64::from(kz_seats)));
    assert_eq!(
        (
            stats.badges_valid,
            stats.badges_printed,
            stats.badges_revoked
        ),
        (2, 3, 1)
    );
    assert_eq!(stats.entered_per_day.len(), 1);
    assert_eq!(stats.entered_per_day[0].day, "2024-04-23");
    assert_eq!(stats.entered_per_day[0].count, 1);
    let today = chrono::Utc::now()
        .with_timezone(&chrono_tz::Asia::Tashkent)
        .date_naive()
        .to_string();
    let registered: u64 = stats.registered_per_day.iter().map(|d| d.count).sum();
    assert_eq!(registered, 6);
    assert!(stats.registered_per_day.iter().any(|d| d.day == today));

    // Gates do not read it; a bad id is named.
    let err = app
        .events_as(Some(Role::Gate))
        .get_registration_stats(pb::GetRegistrationStatsRequest {
            event_id: event_id.clone(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    let err = app
        .events()
        .get_registration_stats(pb::GetRegistrationStatsRequest {
            event_id: "nope".to_owned(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
}
