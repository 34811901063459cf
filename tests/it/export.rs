//! `RegistrationService.ExportParticipants`: the columns each role gets, the
//! CSV a spreadsheet opens (byte order mark, no formulas), the XLSX as
//! openpyxl reads it, the filters, the audit entry, and 100,000 rows.

use diesel_async::RunQueryDsl as _;
use expopass::{domain::Role, proto::pb};
use tonic::Code;

use crate::support::{
    Bearer, TestApp,
    builders::{Fixture, person},
    reason, violated_fields,
};

/// An export, gathered: its start and the file's bytes, with the progress
/// seen on the way.
pub(crate) struct Exported {
    pub(crate) started: pb::ExportStarted,
    pub(crate) file: Vec<u8>,
    progress: Vec<u64>,
}

pub(crate) async fn export(
    app: &TestApp,
    role: Role,
    request: pb::ExportParticipantsRequest,
) -> Result<Exported, tonic::Status> {
    use pb::export_participants_response::Item;
    let mut stream = app
        .registration_as(Some(role))
        .export_participants(request)
        .await?
        .into_inner();
    let mut started = None;
    let mut file = Vec::new();
    let mut progress = Vec::new();
    while let Some(message) = stream.message().await? {
        match message.item.expect("an item") {
            Item::Started(s) => {
                assert!(started.is_none(), "started twice");
                assert!(file.is_empty(), "bytes before the start");
                started = Some(s);
            }
            Item::Chunk(bytes) => file.extend_from_slice(&bytes),
            Item::RowsDone(n) => progress.push(n),
        }
    }
    Ok(Exported {
        started: started.expect("an ExportStarted"),
        file,
        progress,
    })
}

pub(crate) fn request(
    fixture: &Fixture,
    format: pb::ExportFormat,
) -> pb::ExportParticipantsRequest {
    pb::ExportParticipantsRequest {
        event_id: fixture.event_id.clone(),
        format: format.into(),
        ..Default::default()
    }
}

/// The CSV's rows as a spreadsheet reads them (header first), after
/// checking the byte order mark.
pub(crate) fn csv_rows(file: &[u8]) -> Vec<Vec<String>> {
    let text = std::str::from_utf8(file).expect("UTF-8");
    let body = text.strip_prefix('\u{feff}').expect("a byte order mark");
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(body.as_bytes())
        .records()
        .map(|r| r.expect("a CSV record").iter().map(str::to_owned).collect())
        .collect()
}

fn column(rows: &[Vec<String>], name: &str) -> Vec<String> {
    let i = rows[0]
        .iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("no column {name} in {:?}", rows[0]));
    rows[1..].iter().map(|r| r[i].clone()).collect()
}

/// Three visitors: one with a Cyrillic name, a phone, a document and a
/// hostile organisation name, printed; one cancelled; one plain.
async fn three_visitors(app: &TestApp, code: &str) -> (Fixture, Vec<pb::Participant>) {
    let fixture = app.event(code).await;
    let org = app
        .desk()
        .create_organization(pb::CreateOrganizationRequest {
            request_id: uuid::Uuid::new_v4().to_string(),
            event_id: fixture.event_id.clone(),
            name: "=HYPERLINK(\"http://evil.example\",\"click\")".to_owned(),
            country: "UZ".to_owned(),
            kind: pb::OrganizationKind::Company.into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .organization
        .unwrap();
    let mut first = person("Oʻktam", "Gʻulomov");
    first.native_name = "Ўктам Ғуломов".to_owned();
    first.phone = "+998 90 123 45 67".to_owned();
    first.travel_document = "AB1234567".to_owned();
    first.organization_id = org.id.clone();
    first.external_ref = "UZ-0001".to_owned();
    let first = app.register(&fixture, first).await;
    let second = app.register(&fixture, person("Olga", "Petrova")).await;
    let third = app.register(&fixture, person("Wei", "Wang")).await;
    app.badges()
        .issue_badge(pb::IssueBadgeRequest {
            participant_id: first.id.clone(),
            layout: pb::BadgeLayout::A6.into(),
        })
        .await
        .unwrap();
    app.desk()
        .cancel_participant(pb::CancelParticipantRequest {
            id: second.id.clone(),
            reason: "did not come".to_owned(),
        })
        .await
        .unwrap();
    (fixture, vec![first, second, third])
}

#[tokio::test]
async fn a_csv_export_gives_each_role_its_columns_and_opens_in_a_spreadsheet() {
    let app = TestApp::start().await;
    let (fixture, people) = three_visitors(&app, "EXPORT-CSV").await;

    // A desk token: every column but the personal ones.
    let desk = export(&app, Role::Desk, request(&fixture, pb::ExportFormat::Csv))
        .await
        .unwrap();
    assert_eq!(
        desk.started.withheld_columns,
        ["email", "phone", "travel_document_masked"]
    );
    assert_eq!(desk.started.total_rows, 3);
    assert_eq!(desk.started.content_type, "text/csv; charset=utf-8");
    assert!(
        desk.started
            .file_name
            .starts_with("EXPORT-CSV-participants-")
            && desk.started.file_name.ends_with(".csv"),
        "{}",
        desk.started.file_name
    );
    assert_eq!(desk.progress.last(), Some(&3));
    let rows = csv_rows(&desk.file);
    assert_eq!(rows[0], desk.started.columns);
    assert_eq!(rows.len(), 4, "a header and three rows");
    let text = String::from_utf8(desk.file.clone()).unwrap();
    for secret in ["@example.uz", "998 90", "567"] {
        assert!(!text.contains(secret), "a desk export shows {secret}");
    }
    // By family name: Gʻulomov, Petrova, Wang.
    assert_eq!(
        column(&rows, "family_name"),
        ["Gʻulomov", "Petrova", "Wang"]
    );
    assert_eq!(column(&rows, "native_name")[0], "Ўктам Ғуломов");
    assert_eq!(column(&rows, "status"), ["active", "cancelled", "active"]);
    assert_eq!(column(&rows, "badge_state"), ["valid", "none", "none"]);
    assert!(column(&rows, "badge_number")[0].ends_with("-1"));
    assert_eq!(column(&rows, "entered"), ["no", "no", "no"]);
    assert_eq!(column(&rows, "external_ref")[0], "UZ-0001");
    assert_eq!(column(&rows, "category_code"), ["VISITOR"; 3]);
    assert_eq!(column(&rows, "id")[2], people[2].id);
    // A formula stays text.
    assert_eq!(
        column(&rows, "organization")[0],
        "'=HYPERLINK(\"http://evil.example\",\"click\")"
    );

    // An admin token: the contact columns too, the document masked.
    let admin = export(&app, Role::Admin, request(&fixture, pb::ExportFormat::Csv))
        .await
        .unwrap();
    assert!(admin.started.withheld_columns.is_empty());
    let rows = csv_rows(&admin.file);
    assert_eq!(column(&rows, "email")[1], "olga.petrova@example.uz");
    assert_eq!(column(&rows, "phone")[0], "'+998 90 123 45 67");
    assert_eq!(
        column(&rows, "travel_document_masked"),
        ["******567", "", ""]
    );
    assert!(!String::from_utf8(admin.file).unwrap().contains("AB1234567"));

    // Columns by name, in the order asked; a desk token asking for the
    // email gets the file without it.
    let mut asked = request(&fixture, pb::ExportFormat::Csv);
    asked.columns = ["family_name", "email", "given_name"]
        .map(String::from)
        .to_vec();
    let chosen = export(&app, Role::Desk, asked).await.unwrap();
    assert_eq!(chosen.started.columns, ["family_name", "given_name"]);
    assert_eq!(chosen.started.withheld_columns, ["email"]);
    assert_eq!(csv_rows(&chosen.file)[1], ["Gʻulomov", "Oʻktam"]);
}

#[tokio::test]
async fn export_filters_narrow_the_rows_and_bad_ones_are_named() {
    let app = TestApp::start().await;
    let (fixture, _) = three_visitors(&app, "EXPORT-FILTER").await;
    let families = async |filter: pb::ExportFilter| -> Vec<String> {
        let mut r = request(&fixture, pb::ExportFormat::Csv);
        r.columns = vec!["family_name".to_owned()];
        r.filter = Some(filter);
        let e = export(&app, Role::Desk, r).await.unwrap();
        let rows = csv_rows(&e.file);
        assert_eq!(e.started.total_rows as usize, rows.len() - 1);
        column(&rows, "family_name")
    };
    assert_eq!(
        families(pb::ExportFilter {
            status: pb::ParticipantStatus::Cancelled.into(),
            ..Default::default()
        })
        .await,
        ["Petrova"]
    );
    assert_eq!(
        families(pb::ExportFilter {
            badge_states: vec![pb::BadgeState::Valid.into()],
            ..Default::default()
        })
        .await,
        ["Gʻulomov"]
    );
    assert_eq!(
        families(pb::ExportFilter {
            entered: Some(true),
            ..Default::default()
        })
        .await,
        Vec::<String>::new()
    );
    assert_eq!(
        families(pb::ExportFilter {
            category_codes: vec!["visitor".to_owned()],
            countries: vec!["uz".to_owned()],
            status: pb::ParticipantStatus::Active.into(),
            ..Default::default()
        })
        .await,
        ["Gʻulomov", "Wang"]
    );

    let mut bad = request(&fixture, pb::ExportFormat::Csv);
    bad.columns = vec!["family_name".to_owned(), "passport".to_owned()];
    bad.filter = Some(pb::ExportFilter {
        category_codes: vec!["NOBODY".to_owned()],
        countries: vec!["XX".to_owned()],
        delegation_ids: vec!["not-an-id".to_owned()],
        ..Default::default()
    });
    let refused = export(&app, Role::Admin, bad).await.err().unwrap();
    assert_eq!(refused.code(), Code::InvalidArgument, "{refused:?}");
    assert_eq!(
        violated_fields(&refused),
        [
            "columns[1]",
            "filter.category_codes[0]",
            "filter.delegation_ids[0]",
            "filter.countries[0]"
        ]
    );
    // Gates do not export; a desk token of another event does not either.
    let gate = export(&app, Role::Gate, request(&fixture, pb::ExportFormat::Csv))
        .await
        .err()
        .unwrap();
    assert_eq!(gate.code(), Code::PermissionDenied);
    assert_eq!(reason(&gate), "ROLE_NOT_ALLOWED");

    // Every export is audited with its filters and row count.
    let entries = expopass::proto::pb::audit_service_client::AuditServiceClient::with_interceptor(
        app.channel(),
        Bearer(Some(app.admin_token.clone())),
    )
    .list_audit_entries(pb::ListAuditEntriesRequest {
        event_id: fixture.event_id.clone(),
        action: "participants.export".to_owned(),
        ..Default::default()
    })
    .await
    .unwrap()
    .into_inner()
    .entries;
    assert_eq!(
        entries.len(),
        4,
        "four exports made, the refused ones aside"
    );
    let newest: serde_json::Value = serde_json::from_str(&entries[0].details).unwrap();
    assert_eq!(newest["rows"], 2);
    assert_eq!(newest["format"], "csv");
    assert_eq!(newest["columns"], serde_json::json!(["family_name"]));
    assert_eq!(
        newest["filter"]["category_codes"],
        serde_json::json!(["VISITOR"])
    );
    assert_eq!(newest["filter"]["countries"], serde_json::json!(["UZ"]));
    assert_eq!(newest["filter"]["status"], "active");
    assert_eq!(entries[0].entity_id, fixture.event_id);
}

#[tokio::test]
async fn an_xlsx_export_opens_in_openpyxl_with_every_cell_as_text() {
    let app = TestApp::start().await;
    let (fixture, _) = three_visitors(&app, "EXPORT-XLSX").await;
    let e = export(&app, Role::Admin, request(&fixture, pb::ExportFormat::Xlsx))
        .await
        .unwrap();
    assert_eq!(
        e.started.content_type,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    assert!(e.started.file_name.ends_with(".xlsx"));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(&e.started.file_name);
    std::fs::write(&path, &e.file).unwrap();
    let script = "import json, sys, openpyxl\n\
        wb = openpyxl.load_workbook(sys.argv[1])\n\
        ws = wb.active\n\
        rows = [[c.value for c in r] for r in ws.iter_rows()]\n\
        types = sorted({c.data_type for r in ws.iter_rows(min_row=2) for c in r if c.value is not None})\n\
        print(json.dumps({'sheet': ws.title, 'rows': rows, 'types': types, 'frozen': ws.freeze_panes}))\n";
    let out = std::process::Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(&path)
        .output()
        .expect("python3");
    assert!(
        out.status.success(),
        "openpyxl: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let read: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(read["sheet"], "participants");
    assert_eq!(read["types"], serde_json::json!(["s"]), "text cells only");
    assert_eq!(read["frozen"], "A2");
    let rows: Vec<Vec<String>> = read["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            r.as_array()
                .unwrap()
                .iter()
                .map(|c| c.as_str().unwrap_or("").to_owned())
                .collect()
        })
        .collect();
    assert_eq!(rows[0], e.started.columns);
    assert_eq!(rows.len(), 4);
    assert_eq!(column(&rows, "native_name")[0], "Ўктам Ғуломов");
    assert_eq!(column(&rows, "phone")[0], "+998 90 123 45 67");
    assert_eq!(
        column(&rows, "organization")[0],
        "=HYPERLINK(\"http://evil.example\",\"click\")"
    );
    assert_eq!(column(&rows, "travel_document_masked")[0], "******567");
    assert_eq!(column(&rows, "email")[2], "wei.wang@example.uz");
}

/// 100,000 participants exported by a desk token: every row, no personal
/// column, progress on the way.
#[tokio::test]
async fn a_desk_token_exports_one_hundred_thousand_rows_without_personal_columns() {
    let app = TestApp::start().await;
    let fixture = app.event("EXPORT-BIG").await;
    let seed = app.register(&fixture, person("Seed", "Person")).await;
    let mut conn = app.db.connect().await;
    diesel::sql_query(format!(
        "INSERT INTO participants (id, event_id, given_name, family_name, native_name, given_key, family_key,
             country, job_title, category_id, email, phone, status)
         SELECT gen_random_uuid(), p.event_id, 'Given' || i, 'Family' || i, '', 'given' || i, 'family' || i,
             'KZ', '', p.category_id, 'bulk' || i || '@example.org', '+7 701 ' || i, 'active'
         FROM participants p, generate_series(1, 99999) AS i WHERE p.id = '{}'",
        seed.id
    ))
    .execute(&mut conn)
    .await
    .unwrap();
    let e = export(&app, Role::Desk, request(&fixture, pb::ExportFormat::Csv))
        .await
        .unwrap();
    assert_eq!(e.started.total_rows, 100_000);
    assert_eq!(
        e.started.withheld_columns,
        ["email", "phone", "travel_document_masked"]
    );
    assert!(e.progress.len() >= 100, "progress every thousand rows");
    assert_eq!(e.progress.last(), Some(&100_000));
    let rows = csv_rows(&e.file);
    assert_eq!(rows.len(), 100_001);
    let ids: std::collections::HashSet<&String> = rows[1..].iter().map(|r| &r[0]).collect();
    assert_eq!(ids.len(), 100_000, "every participant once");
    let text = std::str::from_utf8(&e.file).unwrap();
    assert!(!text.contains("@example.org") && !text.contains("+7 701"));
    assert_eq!(
        column(&rows, "country")
            .iter()
            .filter(|c| *c == "KZ")
            .count(),
        99_999
    );
}

/// Lists longer than 100 (columns, filter values) are refused by name
/// before anything is looked up.
#[tokio::test]
async fn an_export_asking_for_thousands_of_columns_or_values_is_refused_by_field() {
    let app = TestApp::start().await;
    let fixture = app.event("EXPORT-LONG").await;
    let mut r = request(&fixture, pb::ExportFormat::Csv);
    r.columns = vec!["family_name".to_owned(); 5_000];
    r.filter = Some(pb::ExportFilter {
        category_codes: vec!["VISITOR".to_owned(); 10_000],
        ..Default::default()
    });
    let refused = export(&app, Role::Admin, r).await.err().unwrap();
    assert_eq!(refused.code(), Code::InvalidArgument);
    assert_eq!(
        violated_fields(&refused),
        ["columns", "filter.category_codes"]
    );
}
