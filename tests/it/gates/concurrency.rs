//! Scans racing each other: one badge at many gates, two instances, a full zone.

use super::*;

/// `count` entries of one badge sent at once, spread over `gates` in turn;
/// the answers in sending order.
async fn race(
    app: &TestApp,
    gates: &[&String],
    qr_text: &str,
    count: usize,
) -> Vec<Result<pb::ScanResponse, tonic::Status>> {
    let calls: Vec<_> = (0..count)
        .map(|i| {
            let mut client = app.gates();
            let request = scan_request(
                gates[i % gates.len()],
                qr_text,
                &format!("race-{i}"),
                pb::Direction::In,
                DURING,
            );
            tokio::spawn(async move { client.scan(request).await.map(|r| r.into_inner()) })
        })
        .collect();
    let mut answers = Vec::with_capacity(count);
    for call in calls {
        answers.push(call.await.unwrap());
    }
    answers
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_scans_of_one_badge_allow_exactly_one() {
    let app = TestApp::start().await;
    let venue = venue(&app, "G-RACE").await;
    let (_, badge) = badge_holder(&app, &venue, "Racer", "DELEGATE").await;
    let mut allows = 0;
    for response in race(&app, &[&venue.hall, &venue.hall_b], &badge.qr_text, 60).await {
        let response = response.unwrap();
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
    for response in race(&app, &[&venue.hall, &venue.plenary], &badge.qr_text, 40).await {
        // Every scan is answered: none fails on the other's locks.
        let response = response.expect("scan answered");
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
