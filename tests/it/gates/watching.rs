//! What gates and boards watch: revocations from other instances, occupancy streams.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_watching_gate_receives_a_revocation_made_on_the_other_instance() {
    let app = TestApp::start().await;
    let venue = venue(&app, "G-WATCH").await;
    let (_, badge) = badge_holder(&app, &venue, "Watched", "VISITOR").await;
    let other = ServeProcess::start(&app.db.url);
    let mut watcher = other.gates(&app.gate_token).await;
    let mut stream = watcher
        .watch_gate(pb::WatchGateRequest {
            gate_id: venue.hall.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    // Give the other process a moment to start listening.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let revoked_at = std::time::Instant::now();
    app.badges()
        .revoke_badge(pb::RevokeBadgeRequest {
            badge_id: badge.id.clone(),
            note: "confiscated".to_owned(),
        })
        .await
        .unwrap();
    let message = tokio::time::timeout(Duration::from_secs(1), stream.next())
        .await
        .expect("the revocation arrives within a second")
        .unwrap()
        .unwrap();
    let elapsed = revoked_at.elapsed();
    match message.change {
        Some(pb::watch_gate_response::Change::Revoked(r)) => {
            assert_eq!(r.badge_id, badge.id);
            assert_eq!(r.version, 1);
        }
        other => panic!("expected a revocation, got {other:?} after {elapsed:?}"),
    }
}

#[tokio::test]
async fn occupancy_is_streamed_on_change() {
    let app = TestApp::start().await;
    let venue = venue(&app, "G-OCC").await;
    let (_, badge) = badge_holder(&app, &venue, "Counted", "VISITOR").await;
    let mut stream = app
        .gates()
        .watch_occupancy(pb::WatchOccupancyRequest {
            event_id: venue.fixture.event_id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    let first = stream.next().await.unwrap().unwrap();
    assert_eq!(first.zones.len(), 3);
    assert!(first.zones.iter().all(|z| z.inside == 0));
    allowed(&enter(&app, &venue.hall, &badge.qr_text).await);
    let change = tokio::time::timeout(Duration::from_secs(2), stream.next())
        .await
        .expect("a change arrives")
        .unwrap()
        .unwrap();
    assert_eq!(change.zones.len(), 1);
    assert_eq!(
        (change.zones[0].zone_code.as_str(), change.zones[0].inside),
        ("HALL-A", 1)
    );
}

/// Transactions committed in the test's database so far.
async fn commits(app: &TestApp) -> i64 {
    #[derive(diesel::QueryableByName)]
    struct Commits {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let mut conn = app.db.connect().await;
    diesel::sql_query(
        "SELECT xact_commit AS n FROM pg_stat_database WHERE datname = current_database()",
    )
    .get_result::<Commits>(&mut conn)
    .await
    .unwrap()
    .n
}

/// Three hundred streams that never read cost one reader of the counters,
/// and a stream that reads still gets every change.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_occupancy_watchers_share_one_reader() {
    let app = TestApp::start().await;
    let venue = venue(&app, "G-MANY").await;
    let (_, badge) = badge_holder(&app, &venue, "Watched", "VISITOR").await;
    let request = || pb::WatchOccupancyRequest {
        event_id: venue.fixture.event_id.clone(),
    };
    // A connection opens at most 128 streams at once: three connections.
    let mut idle = Vec::new();
    for _ in 0..3 {
        let channel = tonic::transport::Channel::from_shared(format!("http://{}", app.addr))
            .unwrap()
            .connect()
            .await
            .unwrap();
        let mut gates = pb::gate_service_client::GateServiceClient::with_interceptor(
            channel,
            crate::support::Bearer(Some(app.gate_token.clone())),
        );
        for _ in 0..100 {
            idle.push(gates.watch_occupancy(request()).await.unwrap().into_inner());
        }
    }
    let mut reading = app
        .gates()
        .watch_occupancy(request())
        .await
        .unwrap()
        .into_inner();
    reading.next().await.unwrap().unwrap();
    // Settle (an idle backend reports its statistics up to 10 s late),
    // then count the database's commits over two seconds: one reader polls
    // 4 times a second; one per stream would commit 2,400 times.
    tokio::time::sleep(Duration::from_secs(11)).await;
    let before = commits(&app).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let spent = commits(&app).await - before;
    assert!(spent < 100, "{spent} commits in 2 s with 301 watchers");
    allowed(&enter(&app, &venue.hall, &badge.qr_text).await);
    let change = tokio::time::timeout(Duration::from_secs(2), reading.next())
        .await
        .expect("a change arrives")
        .unwrap()
        .unwrap();
    assert_eq!(change.zones[0].inside, 1);
    drop(idle);
}
