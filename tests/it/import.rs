use expopass::proto::pb;

use crate::support::{TestApp, builders::person};

fn row(
    event_id: &str,
    input: pb::ParticipantInput,
    row_ref: &str,
) -> pb::ImportParticipantsRequest {
    pb::ImportParticipantsRequest {
        event_id: event_id.to_owned(),
        participant: Some(input),
        row_ref: row_ref.to_owned(),
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

async fn import(
    app: &TestApp,
    rows: Vec<pb::ImportParticipantsRequest>,
) -> pb::ImportParticipantsResponse {
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
