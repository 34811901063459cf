use expopass::proto::pb::{self, registration_service_client::RegistrationServiceClient};

use crate::support::{Authed, TestApp, builders::person, reason, violated_fields};

fn row(
    event_id: &str,
    input: pb::ParticipantInput,
    row_ref: &str,
) -> pb::ImportParticipantsRequest {
    pb::ImportParticipantsRequest {
        event_id: event_id.to_owned(),
        participant: Some(input),
        row_ref: row_ref.to_owned(),
        request_id: String::new(),
    }
}

/// A member of the delegation, in its DELEGATE category.
fn member_of(delegation: &pb::Delegation, given: &str, family: &str) -> pb::ParticipantInput {
    let mut p = person(given, family);
    p.country = delegation.country.clone();
    p.category_code = "DELEGATE".to_owned();
    p.delegation_id = delegation.id.clone();
    p
}

/// Imports `rows` as one call with a request id of its own.
async fn import(
    app: &TestApp,
    mut rows: Vec<pb::ImportParticipantsRequest>,
) -> pb::ImportParticipantsResponse {
    if let Some(first) = rows.first_mut() {
        first.request_id = uuid::Uuid::new_v4().to_string();
    }
    app.desk()
        .import_participants(tokio_stream::iter(rows))
        .await
        .unwrap()
        .into_inner()
}

#[tokio::test]
async fn an_import_stores_good_rows_and_explains_each_bad_one() {
    let app = TestApp::start().await;
    let fixture = app.event("IMPORT").await;
    let delegation = app.delegation(&fixture, "AM", &[("DELEGATE", 2)]).await;
    let existing = app.register(&fixture, person("Existing", "Person")).await;
    let e = fixture.event_id.as_str();

    let delegate = |name: &str| member_of(&delegation, name, "Hakobyan");
    let mut bad_country = person("Bad", "Country");
    bad_country.country = "QQ".to_owned();
    let mut dup_existing = person("Dup", "Existing");
    dup_existing.email = existing.email.to_uppercase();
    let mut dup_in_batch = person("Twice", "Again");
    dup_in_batch.email = "aram.hakobyan@example.uz".to_owned();
    let mut unknown_category = person("No", "Category");
    unknown_category.category_code = "ALIEN".to_owned();

    let rows = vec![
        row(e, delegate("Aram"), "A1"),
        row(e, bad_country, "A2"),
        row(e, delegate("Anahit"), "A3"),
        row(e, dup_existing, "A4"),
        row(e, delegate("Tigran"), "A5"),
        row(e, dup_in_batch, "A6"),
        row(e, unknown_category, "A7"),
        row("", person("Last", "Row"), "A8"),
    ];
    let response = import(&app, rows).await;
    let outcome: Vec<(u32, &str, &str)> = response
        .results
        .iter()
        .map(|r| (r.row_index, r.row_ref.as_str(), r.error_reason.as_str()))
        .collect();
    assert_eq!(
        outcome,
        [
            (0, "A1", ""),
            (1, "A2", "INVALID_FIELD"),
            (2, "A3", ""),
            (3, "A4", "DUPLICATE_PARTICIPANT"),
            (4, "A5", "DELEGATION_QUOTA_EXCEEDED"),
            (5, "A6", "DUPLICATE_PARTICIPANT"),
            (6, "A7", "INVALID_FIELD"),
            (7, "A8", ""),
        ]
    );
    assert_eq!(
        response.results[1].field_errors[0].field,
        "participant.country"
    );
    assert_eq!(
        response.results[6].field_errors[0].field,
        "participant.category_code"
    );
    assert_eq!((response.imported, response.failed), (3, 5));
    for r in response
        .results
        .iter()
        .filter(|r| r.error_reason.is_empty())
    {
        let p = app
            .desk()
            .get_participant(pb::GetParticipantRequest {
                id: r.participant_id.clone(),
            })
            .await
            .unwrap()
            .into_inner()
            .participant
            .unwrap();
        assert_eq!(p.event_id, fixture.event_id);
    }
    assert_eq!(
        app.found(e, "hakob").await.len(),
        2,
        "imported rows are searchable"
    );
}

#[tokio::test]
async fn an_import_without_an_event_is_refused_whole() {
    let app = TestApp::start().await;
    let rows = vec![row("", person("No", "Event"), "1")];
    let err = app
        .desk()
        .import_participants(tokio_stream::iter(rows))
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::InvalidArgument);
}

#[tokio::test]
async fn a_large_import_is_stored_in_batches() {
    let app = TestApp::start().await;
    let fixture = app.event("BULK").await;
    let rows: Vec<_> = (0..2_500)
        .map(|i| {
            let mut p = person("Bulk", &format!("Person{i}"));
            p.email = format!("bulk{i}@example.uz");
            row(&fixture.event_id, p, &i.to_string())
        })
        .collect();
    let response = import(&app, rows).await;
    assert_eq!(response.imported, 2_500);
    assert_eq!(response.results.len(), 2_500);
    assert!(
        response
            .results
            .windows(2)
            .all(|w| w[0].row_index + 1 == w[1].row_index)
    );
}

#[tokio::test]
async fn a_duplicate_row_takes_no_place_in_a_delegation_quota() {
    let app = TestApp::start().await;
    let fixture = app.event("QUOTA").await;
    let delegation = app.delegation(&fixture, "KZ", &[("DELEGATE", 1)]).await;
    let existing = app.register(&fixture, person("Already", "Here")).await;
    let e = fixture.event_id.as_str();
    let delegate = |name: &str, email: &str| {
        let mut p = member_of(&delegation, name, "Nurlanov");
        p.email = email.to_owned();
        p
    };
    let rows = vec![
        // A duplicate of a stored participant: refused as such, so the
        // delegation's one DELEGATE place goes to the next row.
        row(e, delegate("Dup", &existing.email), "K1"),
        row(e, delegate("Aidos", "aidos@example.kz"), "K2"),
        row(e, delegate("Berik", "berik@example.kz"), "K3"),
    ];
    let response = import(&app, rows).await;
    let outcome: Vec<(&str, &str)> = response
        .results
        .iter()
        .map(|r| (r.row_ref.as_str(), r.error_reason.as_str()))
        .collect();
    assert_eq!(
        outcome,
        [
            ("K1", "DUPLICATE_PARTICIPANT"),
            ("K2", ""),
            ("K3", "DELEGATION_QUOTA_EXCEEDED"),
        ]
    );
    assert!(
        response.results[0].error_message.contains(&existing.id),
        "the refusal names the stored participant: {}",
        response.results[0].error_message
    );
    // The row over the quota left nothing behind: no participant, no key.
    assert_eq!(app.found(e, "nurlanov").await, ["Aidos"]);
}

/// Participants of the event, counted in the database.
async fn stored(app: &TestApp, event_id: &str) -> i64 {
    use diesel_async::RunQueryDsl as _;
    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let mut conn = app.db.connect().await;
    diesel::sql_query(format!(
        "SELECT count(*) AS n FROM participants WHERE event_id = '{event_id}'"
    ))
    .get_result::<Count>(&mut conn)
    .await
    .unwrap()
    .n
}

/// A roster of `n` visitors, the first row carrying `request_id`.
fn roster(event_id: &str, n: usize, request_id: &str) -> Vec<pb::ImportParticipantsRequest> {
    (0..n)
        .map(|i| {
            let mut input = person("Roster", &format!("Member{i:05}"));
            input.email = format!("member{i}@roster.example.org");
            input.external_ref = format!("R-{i:05}");
            pb::ImportParticipantsRequest {
                event_id: event_id.to_owned(),
                participant: Some(input),
                row_ref: format!("line {}", i + 2),
                request_id: if i == 0 {
                    request_id.to_owned()
                } else {
                    String::new()
                },
            }
        })
        .collect()
}

type ImportCall =
    tokio::task::JoinHandle<Result<tonic::Response<pb::ImportParticipantsResponse>, tonic::Status>>;

/// An import whose rows the test sends one by one, and the call's answer.
fn open_import(
    mut desk: RegistrationServiceClient<Authed>,
) -> (
    tokio::sync::mpsc::Sender<pb::ImportParticipantsRequest>,
    ImportCall,
) {
    let (tx, rx) = tokio::sync::mpsc::channel(16);
    let call = tokio::spawn(async move {
        desk.import_participants(tokio_stream::wrappers::ReceiverStream::new(rx))
            .await
    });
    (tx, call)
}

/// Sends `rows` on a stream that breaks off after `sent` of them: the
/// client goes away mid-import.
async fn import_and_vanish(
    desk: RegistrationServiceClient<Authed>,
    rows: Vec<pb::ImportParticipantsRequest>,
    sent: usize,
) {
    let (tx, call) = open_import(desk);
    for row in rows.into_iter().take(sent) {
        tx.send(row).await.unwrap();
    }
    // Give the server time to store what it has.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    call.abort();
    let _ = call.await;
    drop(tx);
}

#[tokio::test]
async fn an_import_cut_by_the_client_stores_nothing_and_its_retry_stores_each_row_once() {
    let app = TestApp::start().await;
    let fixture = app.event("CUTC").await;
    let rows = roster(&fixture.event_id, 3_000, "roster-cut-by-client");
    import_and_vanish(app.desk(), rows.clone(), 2_500).await;
    // The server rolls the import back once it sees the stream gone.
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    while stored(&app, &fixture.event_id).await > 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "rows of a cut import stayed"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let done = import(&app, rows.clone()).await;
    assert_eq!((done.imported, done.failed), (3_000, 0));
    assert_eq!(stored(&app, &fixture.event_id).await, 3_000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_import_cut_by_a_killed_server_stores_nothing_and_its_retry_stores_each_row_once() {
    use crate::support::serve::ServeProcess;
    let app = TestApp::start().await;
    let fixture = app.event("CUTS").await;
    let rows = roster(&fixture.event_id, 4_000, "roster-cut-by-kill");
    let mut server = ServeProcess::start(&app.db.url);
    let (tx, call) = open_import(server.desk(&app.desk_token).await);
    for row in rows.iter().take(3_500).cloned() {
        tx.send(row).await.unwrap();
    }
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    server.kill();
    // The client sees the connection go (a transport error of its own).
    assert!(call.await.unwrap().is_err());
    assert_eq!(stored(&app, &fixture.event_id).await, 0);

    // The retry, on a new server, with the same request id.
    let server = ServeProcess::start(&app.db.url);
    let mut desk = server.desk(&app.desk_token).await;
    let first = desk
        .import_participants(tokio_stream::iter(rows.clone()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!((first.imported, first.failed), (4_000, 0));
    assert_eq!(stored(&app, &fixture.event_id).await, 4_000);
    // And again: the same answer, nothing written.
    let again = desk
        .import_participants(tokio_stream::iter(rows))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(again.results, first.results);
    assert_eq!(stored(&app, &fixture.event_id).await, 4_000);
}

#[tokio::test]
async fn a_retried_import_answers_every_row_and_a_reused_id_is_refused() {
    let app = TestApp::start().await;
    let fixture = app.event("RETRY").await;
    let mut rows = roster(&fixture.event_id, 30, "roster-retry");
    let mut bad = person("Bad", "Country");
    bad.country = "QQ".to_owned();
    rows[7].participant = Some(bad);
    let call = |rows: Vec<pb::ImportParticipantsRequest>| {
        let mut desk = app.desk();
        async move {
            desk.import_participants(tokio_stream::iter(rows))
                .await
                .map(tonic::Response::into_inner)
        }
    };
    let first = call(rows.clone()).await.unwrap();
    assert_eq!((first.imported, first.failed), (29, 1));
    let again = call(rows.clone()).await.unwrap();
    assert_eq!(
        again, first,
        "the retry answers every row as the first call did"
    );
    assert_eq!(stored(&app, &fixture.event_id).await, 29);

    // The same request id with other rows.
    let mut other = rows.clone();
    other.truncate(10);
    let err = call(other).await.unwrap_err();
    assert_eq!(err.code(), tonic::Code::InvalidArgument);
    assert_eq!(reason(&err), "IDEMPOTENCY_KEY_REUSED");
    // And without one.
    let mut none = rows;
    none[0].request_id = String::new();
    let err = call(none).await.unwrap_err();
    assert_eq!(violated_fields(&err), ["request_id"]);
}

#[tokio::test]
async fn a_refused_import_stores_nothing() {
    use crate::support::raw::{Shape, call};
    let app = TestApp::start().await;
    let fixture = app.event("REFUSE").await;
    let mut messages: Vec<Vec<u8>> = roster(&fixture.event_id, 2_500, "roster-refused")
        .iter()
        .map(prost::Message::encode_to_vec)
        .collect();
    // Row 2,400 is not protobuf: the call is refused, after two batches
    // of the import were already in the database.
    messages[2_400] = vec![0xff, 0xff, 0xff];
    let status = call(
        app.channel(),
        &app.desk_token,
        "/expopass.v1.RegistrationService/ImportParticipants",
        Shape::ClientStreaming,
        messages,
        std::time::Duration::ZERO,
    )
    .await;
    assert_eq!(status.code(), tonic::Code::InvalidArgument, "{status:?}");
    assert_eq!(reason(&status), "MALFORMED_MESSAGE");
    assert_eq!(stored(&app, &fixture.event_id).await, 0);
}

#[tokio::test]
async fn a_corrected_roster_updates_people_by_their_external_ref() {
    let app = TestApp::start().await;
    let fixture = app.event("ROSTER").await;
    let delegation = app.delegation(&fixture, "KZ", &[("DELEGATE", 3)]).await;
    let member = |i: usize, given: &str| {
        let mut p = member_of(&delegation, given, "Nurlanov");
        p.email = format!("kz{i}@roster.example.org");
        p.external_ref = format!("KZ-{i}");
        p
    };
    let first = import(
        &app,
        vec![
            row(&fixture.event_id, member(1, "Aidos"), "1"),
            row(&fixture.event_id, member(2, "Bolat"), "2"),
            row(&fixture.event_id, member(3, "Daniyar"), "3"),
        ],
    )
    .await;
    assert_eq!((first.imported, first.failed), (3, 0));
    assert!(first.results.iter().all(|r| !r.updated));

    // The delegation sends its list again: one name corrected, one person
    // replaced by a newcomer with a new reference, one unchanged.
    let mut corrected = member(2, "Bolat");
    corrected.family_name = "Nurlanuly".to_owned();
    corrected.native_name = "Болат Нұрланұлы".to_owned();
    let mut newcomer = member(4, "Yerlan");
    newcomer.category_code = "VISITOR".to_owned();
    newcomer.delegation_id = String::new();
    let second = import(
        &app,
        vec![
            row(&fixture.event_id, member(1, "Aidos"), "1"),
            row(&fixture.event_id, corrected, "2"),
            row(&fixture.event_id, newcomer, "4"),
        ],
    )
    .await;
    assert_eq!((second.imported, second.failed), (3, 0), "{second:?}");
    assert_eq!(
        second.results.iter().map(|r| r.updated).collect::<Vec<_>>(),
        [true, true, false]
    );
    assert_eq!(
        second.results[0].participant_id,
        first.results[0].participant_id
    );
    assert_eq!(
        second.results[1].participant_id,
        first.results[1].participant_id
    );
    assert_eq!(stored(&app, &fixture.event_id).await, 4, "nobody twice");
    let bolat = app
        .desk()
        .get_participant(pb::GetParticipantRequest {
            id: first.results[1].participant_id.clone(),
        })
        .await
        .unwrap()
        .into_inner()
        .participant
        .unwrap();
    assert_eq!(bolat.family_name, "Nurlanuly");
    assert_eq!(bolat.version, 2);
    assert_eq!(bolat.external_ref, "KZ-2");
    assert_eq!(app.found(&fixture.event_id, "нұрланұлы").await, ["Bolat"]);
    let aidos = app
        .desk()
        .get_participant(pb::GetParticipantRequest {
            id: first.results[0].participant_id.clone(),
        })
        .await
        .unwrap()
        .into_inner()
        .participant
        .unwrap();
    assert_eq!(aidos.version, 1, "an unchanged row writes nothing");

    // A roster naming one reference twice: the second row is refused.
    let twice = import(
        &app,
        vec![
            row(&fixture.event_id, member(5, "Erzhan"), "5"),
            row(&fixture.event_id, member(5, "Erzhan"), "5 again"),
        ],
    )
    .await;
    assert_eq!(twice.results[1].error_reason, "DUPLICATE_EXTERNAL_REF");

    // A single registration cannot take a reference already held.
    let mut clash = person("Other", "Person");
    clash.external_ref = "KZ-1".to_owned();
    let err = app
        .desk()
        .register_participant(crate::support::builders::register_request(&fixture, clash))
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::AlreadyExists);
    assert_eq!(reason(&err), "DUPLICATE_EXTERNAL_REF");
}

/// SIGTERM in the middle of an import: calls in flight get the grace
/// period, so an import whose client finishes sending is stored whole,
/// then the server exits.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigterm_mid_import_lets_the_import_finish_within_the_grace() {
    use crate::support::serve::ServeProcess;
    let app = TestApp::start().await;
    let fixture = app.event("TERM").await;
    let rows = roster(&fixture.event_id, 3_000, "roster-sigterm");
    let mut server = ServeProcess::start(&app.db.url);
    let (tx, call) = open_import(server.desk(&app.desk_token).await);
    let mut rows = rows.into_iter();
    for row in rows.by_ref().take(1_500) {
        tx.send(row).await.unwrap();
    }
    let pid = i32::try_from(server.child.id()).unwrap();
    // SAFETY: sends a signal to the child process this test started.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    for row in rows {
        tx.send(row).await.unwrap();
    }
    drop(tx);
    let done = call.await.unwrap().unwrap().into_inner();
    assert_eq!((done.imported, done.failed), (3_000, 0));
    assert_eq!(stored(&app, &fixture.event_id).await, 3_000);
    let status = server.child.wait().unwrap();
    assert!(
        status.success(),
        "serve exits cleanly after SIGTERM: {status:?}"
    );
}
