//! The organiser's console in headless Chromium: from an empty server, an
//! event is built on /admin/ alone (zones, categories, a gate, a delegation
//! with a quota, desk and gate enrolment codes); then a desk enrolled with
//! the one code registers and prints, and a gate enrolled with the other
//! admits the printed badge. No step uses the command line or a gRPC call
//! of the test's own.

use fantoccini::key::Key;

use super::browser::Browser;
use super::gate::{verdict, wedge};
use crate::support::{TestApp, pdf::PdfFile};

fn admin_url(app: &TestApp) -> String {
    format!("http://{}/admin/", app.addr)
}

/// Sets a date input as its picker would (typing into one depends on the
/// browser's locale).
async fn set_date(b: &Browser, css: &str, day: &str) {
    b.eval(&format!(
        "const i = document.querySelector('{css}'); i.value = '{day}'; \
         i.dispatchEvent(new Event('input', {{ bubbles: true }})); return true;"
    ))
    .await;
}

/// Types into the input named `name` of the row being edited in the table
/// of `section` (its heading's id).
async fn row_input(b: &Browser, section: &str, name: &str, text: &str) {
    b.type_into(
        &format!("section[aria-labelledby='{section}'] tr.editing input[name='{name}']"),
        text,
    )
    .await;
}

/// Waits for the table of `section` to list `text`, out of edit mode.
async fn row_listed(b: &Browser, section: &str, text: &str) {
    let escaped = serde_json::to_string(text).unwrap();
    b.until(
        &format!("{text} listed in {section}"),
        &format!(
            "(() => {{ const s = document.querySelector(\"section[aria-labelledby='{section}']\"); \
             return s && !s.querySelector('tr.editing') && s.querySelector('tbody').innerText.includes({escaped}); }})()"
        ),
    )
    .await;
}

/// The text of the enrolment code the page shows, after it changes from
/// `before`.
async fn made_code(b: &Browser, before: &str) -> String {
    let escaped = serde_json::to_string(before).unwrap();
    b.until(
        "a new enrolment code",
        &format!(
            "(() => {{ const c = document.querySelector(\"[data-testid='enrolment-code']\"); return c && c.innerText !== {escaped}; }})()"
        ),
    )
    .await;
    b.until(
        "the code's QR shown",
        "document.querySelector('figure.enrol-code img')?.naturalWidth > 0",
    )
    .await;
    b.text("[data-testid='enrolment-code']").await
}

#[tokio::test]
async fn an_organiser_builds_an_event_on_the_admin_page_and_its_desk_and_gate_work() {
    let app = TestApp::start().await;
    let b = Browser::start(1280, 900).await;
    b.goto(&admin_url(&app)).await;
    b.until_text("Sign in as the organiser").await;
    b.screenshot("admin-sign-in").await;
    b.type_into("#admin-token", &app.admin_token).await;
    b.find("#admin-token")
        .await
        .send_keys(&Key::Enter.to_string())
        .await
        .unwrap();
    b.until_text("No event yet").await;

    // A new event: refused by field first (no code, no name, no days).
    b.press("Create the event").await;
    b.until(
        "the code's problem under its field",
        "!!document.querySelector(\"#ev-code-error[data-field='code']\")",
    )
    .await;
    let invalid = b
        .eval("return document.querySelector('#ev-code').getAttribute('aria-invalid');")
        .await;
    assert_eq!(invalid.as_str(), Some("true"));
    b.screenshot("admin-event-error").await;
    let today = chrono::Utc::now()
        .with_timezone(&chrono_tz::Asia::Tashkent)
        .date_naive();
    b.type_into("#ev-code", "TASHKENT-EXPO").await;
    b.type_into("#ev-name", "Tashkent Industrial Expo").await;
    b.type_into("#ev-venue", "Uzexpocentre").await;
    set_date(&b, "#ev-first", &today.to_string()).await;
    set_date(
        &b,
        "#ev-last",
        &(today + chrono::Duration::days(2)).to_string(),
    )
    .await;
    b.press("Create the event").await;
    b.until_text("Event file").await;
    assert!(
        b.text(".event-name")
            .await
            .contains("Tashkent Industrial Expo")
    );
    // Settings changed in place; an empty name is refused under its field.
    b.type_into("#set-name", "").await;
    b.press("Save the settings").await;
    b.until(
        "the name's problem",
        "!!document.querySelector(\"#set-name-error[data-field='name']\")",
    )
    .await;
    b.type_into("#set-name", "Tashkent Industrial Expo").await;
    b.type_into("#set-venue", "Uzexpocentre, pavilion 1").await;
    b.press("Save the settings").await;
    b.until_text("The settings are saved.").await;

    // Two zones; a bad code is named under its cell.
    b.press("Add a zone").await;
    row_input(&b, "zones-title", "code", "hall a!").await;
    row_input(&b, "zones-title", "name", "Hall A").await;
    b.press("Add").await;
    b.until(
        "the zone code's problem",
        "!!document.querySelector(\"section[aria-labelledby='zones-title'] [data-field='code']\")",
    )
    .await;
    row_input(&b, "zones-title", "code", "HALL").await;
    row_input(&b, "zones-title", "capacity", "500").await;
    b.press("Add").await;
    row_listed(&b, "zones-title", "HALL").await;
    b.press("Add a zone").await;
    row_input(&b, "zones-title", "code", "VIP").await;
    row_input(&b, "zones-title", "name", "VIP lounge").await;
    row_input(&b, "zones-title", "name_ru", "VIP-зал").await;
    row_input(&b, "zones-title", "capacity", "40").await;
    // Enter in a cell saves the row.
    b.find("section[aria-labelledby='zones-title'] tr.editing input[name='capacity']")
        .await
        .send_keys(&Key::Enter.to_string())
        .await
        .unwrap();
    row_listed(&b, "zones-title", "VIP lounge").await;
    // Edited in place.
    b.click("button[aria-label='Edit VIP']").await;
    row_input(&b, "zones-title", "capacity", "60").await;
    b.press("Save").await;
    row_listed(&b, "zones-title", "60").await;

    // Two categories.
    for (code, name, zones) in [
        ("VISITOR", "Visitor", vec!["HALL"]),
        ("VIP", "VIP guest", vec!["HALL", "VIP"]),
    ] {
        b.press("Add a category").await;
        row_input(&b, "categories-title", "code", code).await;
        row_input(&b, "categories-title", "name", name).await;
        for zone in zones {
            b.eval(&format!(
                "[...document.querySelectorAll(\"section[aria-labelledby='categories-title'] tr.editing label.check\")]\
                 .find(l => l.innerText.trim() === '{zone}').querySelector('input').click(); return true;"
            ))
            .await;
        }
        b.press("Add").await;
        row_listed(&b, "categories-title", name).await;
    }
    // A gate into the hall.
    b.press("Add a gate").await;
    row_input(&b, "gates-title", "code", "HALL-1").await;
    row_input(&b, "gates-title", "name", "Hall, north door").await;
    b.press("Add").await;
    row_listed(&b, "gates-title", "Hall, north door").await;
    b.screenshot("admin-setup").await;

    // A delegation with a quota; a billion seats is refused by its field.
    b.press("Delegations").await;
    b.type_into("#dl-name", "Delegation of Kazakhstan").await;
    b.type_into("#dl-country", "KZ").await;
    b.type_into("#quota-VISITOR", "1000000000").await;
    b.press("Create the delegation").await;
    b.until(
        "the quota's problem under it",
        "document.querySelector('#quota-VISITOR')?.getAttribute('aria-invalid') === 'true'",
    )
    .await;
    b.type_into("#quota-VISITOR", "2").await;
    b.press("Create the delegation").await;
    b.until_text("0 / 2").await;
    b.screenshot("admin-delegations").await;

    // Enrolment codes: a desk's, and a gate's for HALL-1.
    b.press("Devices").await;
    b.type_into("#enrol-name", "Desk 1").await;
    b.press("Make the code").await;
    let desk_code = made_code(&b, "").await;
    b.type_into("#enrol-name", "Hall north lane").await;
    b.find("#enrol-role")
        .await
        .select_by_value("gate")
        .await
        .unwrap();
    b.eval(
        "[...document.querySelectorAll('.enrol-form label.check')].find(l => l.innerText.trim() === 'HALL-1').querySelector('input').click(); return true;",
    )
    .await;
    b.press("Make the code").await;
    let gate_code = made_code(&b, &desk_code).await;
    assert_ne!(desk_code, gate_code);
    b.screenshot("admin-devices").await;

    // The other screens, and the console in Russian and Uzbek.
    b.press("Numbers").await;
    b.until_text("By category").await;
    b.press("Audit").await;
    b.until_text("delegation.create").await;
    b.until_text("enrolment.create").await;
    b.screenshot("admin-audit").await;
    // Every screen, in Russian and in Uzbek.
    for (lang, tabs, marks) in [
        (
            "ru",
            ["Настройка", "Делегации", "Устройства", "Цифры", "Журнал"],
            [
                "Зоны",
                "Новая делегация",
                "Подключить устройство",
                "По категориям",
                "Действие",
            ],
        ),
        (
            "uz",
            [
                "Sozlash",
                "Delegatsiyalar",
                "Qurilmalar",
                "Raqamlar",
                "Jurnal",
            ],
            [
                "Zonalar",
                "Yangi delegatsiya",
                "Qurilmani ulash",
                "Toifalar boʻyicha",
                "Amal",
            ],
        ),
    ] {
        b.find("header select")
            .await
            .select_by_value(lang)
            .await
            .unwrap();
        for ((tab, mark), name) in
            tabs.iter()
                .zip(marks)
                .zip(["setup", "delegations", "devices", "numbers", "audit"])
        {
            b.press(tab).await;
            b.until_text(mark).await;
            b.screenshot(&format!("admin-{name}-{lang}")).await;
        }
    }
    b.find("header select")
        .await
        .select_by_value("en")
        .await
        .unwrap();

    // The desk, enrolled with its code, registers a visitor and prints.
    b.goto(&format!("http://{}/desk/", app.addr)).await;
    b.type_into("#enrol-code", &desk_code).await;
    b.type_into("#device-name", "desk 1").await;
    b.press("Sign in").await;
    b.find("#search").await;
    b.press("New participant").await;
    b.type_into("#f-given_name", "Dilnoza").await;
    b.type_into("#f-family_name", "Rakhimova").await;
    b.type_into("#f-country", "UZ").await;
    b.type_into("#f-category_code", "VISITOR").await;
    b.type_into("#f-email", "dilnoza@example.uz").await;
    b.press("Register").await;
    b.until(
        "Dilnoza opened",
        "document.querySelector('#detail-name')?.innerText === 'Dilnoza Rakhimova'",
    )
    .await;
    b.press("Print badge").await;
    b.find("#badge-pdf").await;
    let pdf = PdfFile::new(&b.blob("#badge-pdf").await);
    let qr = pdf.qr_codes(1).remove(0);

    // The gate, enrolled with the other code, admits the badge.
    b.goto(&format!("http://{}/gate/", app.addr)).await;
    b.until_text("Set up this gate").await;
    b.type_into("#gate-code", &gate_code).await;
    b.press("Enrol").await;
    b.until_text("Hall, north door").await;
    b.until_text("Ready: show a badge").await;
    wedge(&b, &qr).await;
    verdict(&b, "ALLOW", "").await;

    // Back on the console: the numbers count her, and her entry.
    // The console remembers the event it had open.
    b.goto(&admin_url(&app)).await;
    b.press("Numbers").await;
    b.until(
        "one registered",
        "document.querySelector(\"[data-testid='stat-active']\")?.innerText === '1'",
    )
    .await;
    b.screenshot("admin-numbers").await;

    // Another event from a file: a broken one is refused line by line,
    // then the plan of a good one is shown and applied.
    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("broken.toml");
    std::fs::write(
        &broken,
        "[event]\ncode = \"FILE-FAIR\"\nname = \"File fair\"\nfirst_day = 2026-05-01\nlast_day = 2026-05-03\n\n[[zones]]\ncode = \"HALL\"\nname = \"Hall\"\ncapacity = -5\n",
    )
    .unwrap();
    let good = dir.path().join("file-fair.toml");
    std::fs::write(
        &good,
        "[event]\ncode = \"FILE-FAIR\"\nname = \"File fair\"\nfirst_day = 2026-05-01\nlast_day = 2026-05-03\n\n[[zones]]\ncode = \"HALL\"\nname = \"Hall\"\ncapacity = 300\n\n[[categories]]\ncode = \"VISITOR\"\nname = \"Visitor\"\ncolor = \"#1E88E5\"\nzones = [\"HALL\"]\nbadge = \"card\"\n",
    )
    .unwrap();
    b.press("Events").await;
    b.until_text("Set up from a file").await;
    b.find("#new-event-file")
        .await
        .send_keys(broken.to_str().unwrap())
        .await
        .unwrap();
    b.until_text("line 10: zones[0].capacity").await;
    b.find("#new-event-file")
        .await
        .send_keys(good.to_str().unwrap())
        .await
        .unwrap();
    b.until_text("What file-fair.toml changes").await;
    let plan = b.text(".plan-list").await;
    assert!(
        plan.contains("create event FILE-FAIR")
            && plan.contains("create zone HALL")
            && plan.contains("VISITOR"),
        "{plan}"
    );
    b.screenshot("admin-file-plan").await;
    b.press("Apply these changes").await;
    b.until(
        "the new event open",
        "document.querySelector('.event-name')?.innerText === 'File fair'",
    )
    .await;
    row_listed(&b, "categories-title", "Card").await;
    b.stop().await;
}

/// A list exported on /admin/, corrected in a spreadsheet and imported at
/// the desk updates the same people (by external_ref): no one is added,
/// a phone written `'+998 …` for the spreadsheet comes back as `+998 …`.
#[tokio::test]
async fn an_export_corrected_in_a_spreadsheet_goes_back_through_the_desk_import() {
    use expopass::proto::pb;
    let app = TestApp::start().await;
    let fixture = app.event("ROUND-TRIP").await;
    for (n, (given, family)) in [("Gulnora", "Saidova"), ("Timur", "Rashidov")]
        .into_iter()
        .enumerate()
    {
        let mut p = crate::support::builders::person(given, family);
        p.external_ref = format!("UZ-{n}");
        p.phone = format!("+998 90 111 22 3{n}");
        p.job_title = "Engineer".to_owned();
        app.register(&fixture, p).await;
    }
    let b = Browser::start(1280, 900).await;
    b.goto(&admin_url(&app)).await;
    b.type_into("#admin-token", &app.admin_token).await;
    b.press("Sign in").await;
    b.press_containing("Test fair ROUND-TRIP").await;
    b.press("Numbers").await;
    b.until_text("Export participants").await;
    b.press("Export").await;
    b.find("a[download]").await;
    assert!(b.text("[role='status']").await.contains("2 rows"));
    let exported = String::from_utf8(b.blob("a[download]").await).unwrap();
    assert!(exported.starts_with('\u{feff}'));
    assert!(exported.contains("'+998 90 111 22 30"), "{exported}");
    // The spreadsheet user corrects Timur's job title.
    let corrected = exported.replacen("Engineer", "Chief engineer", 2).replacen(
        "Chief engineer",
        "Engineer",
        1,
    );
    assert_eq!(corrected.matches("Chief engineer").count(), 1);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("corrected.csv");
    std::fs::write(&file, &corrected).unwrap();

    super::sign_in(&b, &app, &app.desk_token, "Test fair ROUND-TRIP").await;
    b.press("Import").await;
    b.find("#roster-file")
        .await
        .send_keys(file.to_str().unwrap())
        .await
        .unwrap();
    b.until_text("2 rows in corrected.csv").await;
    b.press("Import 2 rows").await;
    b.until_text("2 rows stored (2 of them updated), 0 refused.")
        .await;
    b.stop().await;

    let people = app
        .desk()
        .search_participants(pb::SearchParticipantsRequest {
            event_id: fixture.event_id.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .participants;
    assert_eq!(people.len(), 2, "updated, not added");
    let titles: Vec<(&str, &str)> = people
        .iter()
        .map(|p| (p.family_name.as_str(), p.job_title.as_str()))
        .collect();
    assert!(
        titles == [("Rashidov", "Engineer"), ("Saidova", "Chief engineer")]
            || titles == [("Rashidov", "Chief engineer"), ("Saidova", "Engineer")],
        "{titles:?}"
    );
    let full = app
        .registration_admin()
        .get_participant(pb::GetParticipantRequest {
            id: people[0].id.clone(),
        })
        .await
        .unwrap()
        .into_inner()
        .participant
        .unwrap();
    assert!(full.phone.starts_with("+998 90 111 22 3"), "{}", full.phone);
}

/// The event's questions on the console: one added (a bad pattern refused
/// under its field first), listed, moved, retired, and edited after it has
/// answers, which makes a second version.
#[tokio::test]
async fn an_organiser_asks_the_events_questions_on_the_admin_page() {
    use expopass::proto::pb;
    let app = TestApp::start().await;
    let fixture = app.event("ASKS").await;
    let b = Browser::start(1280, 1000).await;
    b.goto(&admin_url(&app)).await;
    b.type_into("#admin-token", &app.admin_token).await;
    b.press("Sign in").await;
    b.press_containing("Test fair ASKS").await;
    b.press("Questions").await;
    b.until_text("No questions yet.").await;

    // A choice question for visitors and the press.
    b.type_into("#field-key", "sector").await;
    b.find("#field-kind")
        .await
        .select_by_label("One choice")
        .await
        .unwrap();
    b.type_into("#field-label-en", "Industry sector").await;
    b.type_into("#field-label-ru", "Отрасль").await;
    b.type_into("#field-options", "energy = Energy\nmining = Mining")
        .await;
    b.type_into("#field-categories", "visitor, PRESS").await;
    b.click("#field-required").await;
    b.press("Save question").await;
    b.until_text("Question sector saved (version 1).").await;

    // A press card: a pattern that is not one is named under its input.
    b.type_into("#field-key", "press_card").await;
    b.type_into("#field-label-en", "Press card").await;
    b.type_into("#field-pattern", "[A-Z").await;
    b.type_into("#field-categories", "PRESS").await;
    b.find("#field-badge")
        .await
        .select_by_label("always")
        .await
        .unwrap();
    b.click("#field-gate").await;
    b.press("Save question").await;
    b.until(
        "the pattern's problem under it",
        "!!document.querySelector(\"[data-field='field.pattern']\") && \
         document.querySelector('#field-pattern').getAttribute('aria-invalid') === 'true'",
    )
    .await;
    b.screenshot("admin-fields-error").await;
    b.type_into("#field-pattern", "^[A-Z]{2}-[0-9]{4,8}$").await;
    b.press("Save question").await;
    b.until_text("Question press_card saved (version 1).").await;

    let listed = |fields: &[pb::FieldDefinition]| -> Vec<(String, bool)> {
        let mut order: Vec<_> = fields.iter().collect();
        order.sort_by_key(|f| f.position);
        order
            .into_iter()
            .map(|f| (f.key.clone(), f.retired))
            .collect()
    };
    let fields = || async {
        app.events()
            .list_fields(pb::ListFieldsRequest {
                event_id: fixture.event_id.clone(),
            })
            .await
            .unwrap()
            .into_inner()
            .fields
    };
    let saved = fields().await;
    assert_eq!(
        listed(&saved),
        [
            ("sector".to_owned(), false),
            ("press_card".to_owned(), false)
        ]
    );
    let sector = &saved[0];
    assert_eq!(sector.kind, "single_choice");
    assert_eq!(sector.label.as_ref().unwrap().ru, "Отрасль");
    let options: Vec<_> = sector.options.iter().map(|o| o.key.as_str()).collect();
    assert_eq!(options, ["energy", "mining"]);
    let mut asked: Vec<_> = sector.categories.keys().cloned().collect();
    asked.sort();
    assert_eq!(asked, ["PRESS", "VISITOR"]);
    assert!(sector.categories["VISITOR"].required);
    let card = &saved[1];
    assert_eq!(card.categories["PRESS"].badge, "always");
    assert!(card.categories["PRESS"].gate);

    // The press card moves first; the sector is retired.
    b.click("button[aria-label='Move up press_card']").await;
    b.until(
        "press_card listed first",
        "document.querySelector('table.fields-table tbody tr')?.dataset.fieldKey === 'press_card'",
    )
    .await;
    b.click("button[aria-label='Retire sector']").await;
    b.until(
        "sector shown retired",
        "document.querySelector(\"tr[data-field-key='sector']\")?.classList.contains('revoked')",
    )
    .await;
    assert_eq!(
        listed(&fields().await),
        [
            ("press_card".to_owned(), false),
            ("sector".to_owned(), true)
        ]
    );

    // A journalist answers; relabelling the question then makes version 2.
    let mut p = crate::support::builders::person("Aziza", "Karimova");
    p.category_code = "PRESS".to_owned();
    p.answers.insert(
        "press_card".to_owned(),
        pb::AnswerValue {
            value: Some(pb::answer_value::Value::Text("UZ-20431".to_owned())),
            on_badge: false,
        },
    );
    app.register(&fixture, p).await;
    b.goto(&admin_url(&app)).await;
    b.press("Questions").await;
    b.click("button[aria-label='Edit question press_card']")
        .await;
    b.type_into("#field-label-en", "Press card number").await;
    b.press("Save question").await;
    b.until_text("Question press_card saved (version 2).").await;
    b.until_text("Press card number").await;
    b.screenshot("admin-fields").await;
    b.stop().await;
    let card = fields()
        .await
        .into_iter()
        .find(|f| f.key == "press_card")
        .unwrap();
    assert_eq!((card.version, card.answered), (2, 1));
}
