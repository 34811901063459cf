mod concurrency;
mod decisions;
mod metrics;
mod offline;
mod watching;

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
pub(crate) const DURING: i64 = 1_713_855_600; // 2024-04-23T07:00:00Z

pub(crate) struct Venue {
    pub(crate) fixture: Fixture,
    pub(crate) hall: String,
    pub(crate) hall_b: String,
    pub(crate) plenary: String,
    pub(crate) b2b: String,
}

pub(crate) async fn venue(app: &TestApp, code: &str) -> Venue {
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
            ..Default::default()
        })
        .await
        .expect("zone");
}

/// Registers someone of `category` and issues their badge; returns
/// (participant id, badge).
pub(crate) async fn badge_holder(
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

pub(crate) fn scan_request(
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

/// Who is inside a zone: names, badge numbers and entry times, latest
/// first; admins only, and every reading audited.
#[tokio::test]
async fn an_admin_lists_who_is_inside_a_zone_and_the_reading_is_audited() {
    let app = TestApp::start().await;
    let venue = venue(&app, "INSIDE").await;
    let (ana, ana_badge) = badge_holder(&app, &venue, "Anvar", "VISITOR").await;
    let (bek, bek_badge) = badge_holder(&app, &venue, "Bekzod", "VISITOR").await;
    let (_, out_badge) = badge_holder(&app, &venue, "Olim", "VISITOR").await;
    allowed(
        &scan_at(
            &app,
            &venue.hall,
            &ana_badge.qr_text,
            pb::Direction::In,
            DURING,
        )
        .await,
    );
    allowed(
        &scan_at(
            &app,
            &venue.hall,
            &bek_badge.qr_text,
            pb::Direction::In,
            DURING + 60,
        )
        .await,
    );
    allowed(
        &scan_at(
            &app,
            &venue.hall,
            &out_badge.qr_text,
            pb::Direction::In,
            DURING + 90,
        )
        .await,
    );
    allowed(
        &scan_at(
            &app,
            &venue.hall,
            &out_badge.qr_text,
            pb::Direction::Out,
            DURING + 120,
        )
        .await,
    );
    let ask = |role| {
        let mut gates = app.gates_as(Some(role));
        let event_id = venue.fixture.event_id.clone();
        async move {
            gates
                .list_inside(pb::ListInsideRequest {
                    event_id,
                    zone_code: "HALL-A".to_owned(),
                    page_size: 0,
                })
                .await
        }
    };
    let list = ask(Role::Admin).await.unwrap().into_inner();
    assert_eq!(list.total, 2);
    let seen: Vec<(String, String, String, i64)> = list
        .people
        .iter()
        .map(|p| {
            (
                p.participant_id.clone(),
                p.given_name.clone(),
                p.badge_number.clone(),
                p.entered_at.as_ref().unwrap().seconds,
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            (
                bek,
                "Bekzod".to_owned(),
                bek_badge.number.clone(),
                DURING + 60
            ),
            (ana, "Anvar".to_owned(), ana_badge.number.clone(), DURING),
        ]
    );
    for role in [Role::Desk, Role::Gate] {
        let refused = ask(role).await.unwrap_err();
        assert_eq!(refused.code(), Code::PermissionDenied, "{role:?}");
    }
    let mut conn = app.db.connect().await;
    #[derive(diesel::QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let audited: N =
        diesel::sql_query("SELECT count(*) AS n FROM audit_log WHERE action = 'zone.list_inside'")
            .get_result(&mut conn)
            .await
            .unwrap();
    assert_eq!(audited.n, 1);
    let unknown = app
        .gates_as(Some(Role::Admin))
        .list_inside(pb::ListInsideRequest {
            event_id: venue.fixture.event_id.clone(),
            zone_code: "NOWHERE".to_owned(),
            page_size: 0,
        })
        .await
        .unwrap_err();
    assert_eq!(unknown.code(), Code::InvalidArgument);
}
