//! Custom registration fields: one table of cases (`tests/data/
//! field_cases.json`, which the web unit tests read too) gives the same
//! verdict through `RegisterParticipant`, `UpdateParticipant` and an
//! import row; versions keep old answers' labels; secrets stay sealed.

use std::collections::{BTreeSet, HashMap};

use expopass::proto::pb;
use serde_json::Value;
use tonic::Code;
use tonic_types::StatusExt as _;

use crate::support::{TestApp, builders::Fixture, builders::person};

const CASES: &str = include_str!("../data/field_cases.json");

fn texts(v: &Value) -> Option<pb::LocalizedText> {
    let s = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
    Some(pb::LocalizedText {
        en: s("en"),
        ru: s("ru"),
        uz: s("uz"),
    })
}

fn placement(v: &Value) -> pb::FieldPlacement {
    pb::FieldPlacement {
        required: v.get("required").and_then(Value::as_bool).unwrap_or(false),
        badge: v
            .get("badge")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned(),
        gate: v.get("gate").and_then(Value::as_bool).unwrap_or(false),
        export: v.get("export").and_then(Value::as_bool).unwrap_or(true),
    }
}

/// A field of the table as `UpsertField` takes it.
pub fn field_pb(v: &Value) -> pb::FieldDefinition {
    let s = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
    pb::FieldDefinition {
        key: s("key"),
        scope: s("scope"),
        kind: s("kind"),
        sensitivity: s("sensitivity"),
        label: texts(&v["label"]),
        min_length: v.get("min_length").and_then(Value::as_i64),
        max_length: v.get("max_length").and_then(Value::as_i64),
        pattern: s("pattern"),
        min: s("min"),
        max: s("max"),
        min_date: s("min_date"),
        max_date: s("max_date"),
        options: v
            .get("options")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|o| pb::FieldOption {
                key: o["key"].as_str().unwrap_or("").to_owned(),
                label: texts(&o["label"]),
                retired: o.get("retired").and_then(Value::as_bool).unwrap_or(false),
            })
            .collect(),
        show_if: v.get("show_if").map(|si| pb::FieldShowIf {
            field: si["field"].as_str().unwrap_or("").to_owned(),
            any_of: si["any_of"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|x| x.as_str().map(str::to_owned))
                .collect(),
        }),
        placement: Some(placement(v)),
        categories: v
            .get("categories")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .map(|(code, p)| (code.clone(), placement(p)))
            .collect(),
        ..Default::default()
    }
}

fn answer(v: &Value) -> pb::AnswerValue {
    use pb::answer_value::Value as V;
    let value = if let Some(t) = v.get("text").and_then(Value::as_str) {
        V::Text(t.to_owned())
    } else if let Some(n) = v.get("integer").and_then(Value::as_i64) {
        V::Integer(n)
    } else if let Some(b) = v.get("boolean").and_then(Value::as_bool) {
        V::Boolean(b)
    } else {
        V::Choices(pb::AnswerChoices {
            keys: v["choices"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|x| x.as_str().map(str::to_owned))
                .collect(),
        })
    };
    pb::AnswerValue {
        value: Some(value),
        on_badge: false,
    }
}

fn answers(case: &Value) -> HashMap<String, pb::AnswerValue> {
    case["answers"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| (k.clone(), answer(v)))
        .collect()
}

/// A stored answer as the table writes it.
fn plain(a: &pb::AnswerValue) -> Value {
    use pb::answer_value::Value as V;
    match &a.value {
        Some(V::Text(t)) => Value::from(t.as_str()),
        Some(V::Integer(n)) => Value::from(*n),
        Some(V::Boolean(b)) => Value::from(*b),
        Some(V::Choices(c)) => Value::from(c.keys.clone()),
        None => Value::Null,
    }
}

fn stored(p: &pb::Participant) -> Value {
    Value::Object(
        p.answers
            .iter()
            .map(|(k, v)| (k.clone(), plain(v)))
            .collect(),
    )
}

/// "OK", or the violations as "answers.key:CODE", sorted, without the
/// request's own prefix.
fn verdict_of(violations: impl IntoIterator<Item = (String, String)>) -> String {
    let set: BTreeSet<String> = violations
        .into_iter()
        .map(|(field, code)| {
            let at = field
                .find("answers.")
                .map_or(field.as_str(), |i| &field[i..]);
            format!("{at}:{code}")
        })
        .collect();
    set.into_iter().collect::<Vec<_>>().join(" ")
}

fn status_verdict(status: &tonic::Status) -> String {
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    let violations = status
        .get_details_bad_request()
        .map(|b| b.field_violations)
        .unwrap_or_default();
    verdict_of(violations.into_iter().map(|v| (v.field, v.reason)))
}

/// The fixture's event with the table's fields.
pub async fn event_with_fields(app: &TestApp, code: &str) -> (Fixture, Value) {
    let table: Value = serde_json::from_str(CASES).unwrap();
    let fixture = app.event(code).await;
    for f in table["fields"].as_array().unwrap() {
        app.events()
            .upsert_field(pb::UpsertFieldRequest {
                event_id: fixture.event_id.clone(),
                field: Some(field_pb(f)),
            })
            .await
            .unwrap_or_else(|e| panic!("field {}: {e:?}", f["key"]));
    }
    (fixture, table)
}

fn someone(i: usize, case: &Value) -> pb::ParticipantInput {
    let mut p = person("Case", &format!("Number{i}"));
    p.category_code = case["category"].as_str().unwrap().to_owned();
    p
}

#[tokio::test]
async fn every_case_of_the_table_has_the_same_verdict_on_register_update_and_import() {
    let app = TestApp::start().await;
    let (fixture, table) = event_with_fields(&app, "FIELDS-TABLE").await;
    let cases = table["cases"].as_array().unwrap();
    assert!(cases.len() >= 60, "{} cases", cases.len());

    // The import: one row per case.
    let rows: Vec<pb::ImportParticipantsRequest> = cases
        .iter()
        .enumerate()
        .map(|(i, case)| {
            let mut p = someone(i, case);
            p.email = format!("import{i}@example.uz");
            p.answers = answers(case);
            pb::ImportParticipantsRequest {
                event_id: fixture.event_id.clone(),
                participant: Some(p),
                row_ref: format!("R{i}"),
                request_id: if i == 0 {
                    uuid::Uuid::new_v4().to_string()
                } else {
                    String::new()
                },
            }
        })
        .collect();
    let imported = app
        .desk()
        .import_participants(tokio_stream::iter(rows))
        .await
        .unwrap()
        .into_inner();

    for (i, case) in cases.iter().enumerate() {
        let name = case["name"].as_str().unwrap();
        let want = case["verdict"].as_str().unwrap();

        // RegisterParticipant.
        let mut p = someone(i, case);
        p.answers = answers(case);
        let registered = app
            .desk()
            .register_participant(crate::support::builders::register_request(&fixture, p))
            .await;
        let got = match &registered {
            Ok(r) => {
                let p = r.get_ref().participant.as_ref().unwrap();
                assert_eq!(stored(p), case["stored"], "{name}: stored on register");
                "OK".to_owned()
            }
            Err(status) => status_verdict(status),
        };
        assert_eq!(got, want, "{name}: RegisterParticipant");

        // UpdateParticipant of someone of the category without answers
        // (a press member has the press card the category requires).
        let mut base = someone(i, case);
        base.email = format!("update{i}@example.uz");
        if base.category_code == "PRESS" {
            base.answers = HashMap::from([(
                "press_card".to_owned(),
                answer(&serde_json::json!({"text": "AA-0001"})),
            )]);
        }
        let base = app.register(&fixture, base).await;
        let mut changes = answers(case);
        if case["category"] == "PRESS" && !changes.contains_key("press_card") {
            // The case leaves the press card out: take it off.
            changes.insert("press_card".to_owned(), pb::AnswerValue::default());
        }
        let updated = app
            .desk()
            .update_participant(pb::UpdateParticipantRequest {
                id: base.id.clone(),
                expected_version: base.version,
                answers: changes,
                ..Default::default()
            })
            .await;
        let got = match &updated {
            Ok(r) => {
                let p = r.get_ref().participant.as_ref().unwrap();
                assert_eq!(stored(p), case["stored"], "{name}: stored on update");
                "OK".to_owned()
            }
            Err(status) => status_verdict(status),
        };
        assert_eq!(got, want, "{name}: UpdateParticipant");
        if updated.is_err() {
            let now = app
                .desk()
                .get_participant(pb::GetParticipantRequest { id: base.id })
                .await
                .unwrap()
                .into_inner()
                .participant
                .unwrap();
            assert_eq!(
                now.version, base.version,
                "{name}: a refusal changes nothing"
            );
        }

        // The import row.
        let row = &imported.results[i];
        let got = if row.error_reason.is_empty() {
            let p = app
                .desk()
                .get_participant(pb::GetParticipantRequest {
                    id: row.participant_id.clone(),
                })
                .await
                .unwrap()
                .into_inner()
                .participant
                .unwrap();
            assert_eq!(stored(&p), case["stored"], "{name}: stored on import");
            "OK".to_owned()
        } else {
            assert_eq!(row.error_reason, "INVALID_FIELD", "{name}: {row:?}");
            verdict_of(
                row.field_errors
                    .iter()
                    .map(|e| (e.field.clone(), e.reason.clone())),
            )
        };
        assert_eq!(got, want, "{name}: import row");
    }
}

async fn upsert(app: &TestApp, fixture: &Fixture, field: Value) -> pb::FieldDefinition {
    app.events()
        .upsert_field(pb::UpsertFieldRequest {
            event_id: fixture.event_id.clone(),
            field: Some(field_pb(&field)),
        })
        .await
        .unwrap()
        .into_inner()
        .field
        .unwrap()
}

fn text(t: &str) -> pb::AnswerValue {
    answer(&serde_json::json!({ "text": t }))
}

async fn read(app: &TestApp, role: expopass::domain::Role, id: &str) -> pb::Participant {
    app.registration_as(Some(role))
        .get_participant(pb::GetParticipantRequest { id: id.to_owned() })
        .await
        .unwrap()
        .into_inner()
        .participant
        .unwrap()
}

#[tokio::test]
async fn an_edit_with_answers_makes_a_version_and_old_answers_keep_their_labels() {
    use expopass::domain::Role;
    let app = TestApp::start().await;
    let fixture = app.event("FIELDS-VERSIONS").await;
    let sector = serde_json::json!({
        "key": "sector", "kind": "single_choice", "sensitivity": "public",
        "label": {"en": "Sector"},
        "options": [
            {"key": "energy", "label": {"en": "Energy", "ru": "Энергетика"}},
            {"key": "mining", "label": {"en": "Mining"}}
        ]
    });
    let first = upsert(&app, &fixture, sector.clone()).await;
    assert_eq!(first.version, 1);
    // Nobody answered yet: an edit stays version 1.
    let mut edited = sector.clone();
    edited["label"]["en"] = "Industry sector".into();
    assert_eq!(upsert(&app, &fixture, edited.clone()).await.version, 1);

    let mut input = person("Aziza", "Karimova");
    input.answers = HashMap::from([("sector".to_owned(), text("energy"))]);
    let aziza = app.register(&fixture, input).await;

    // Now answered: the energy option is renamed and retired in version 2.
    edited["options"][0]["label"]["en"] = "Power generation".into();
    edited["options"][0]["retired"] = true.into();
    let second = upsert(&app, &fixture, edited).await;
    assert_eq!((second.version, second.answered), (2, 1));

    // Nobody chooses the retired option anew; Aziza keeps it, also through
    // an edit of another field.
    let mut late = person("Bobur", "Aliev");
    late.answers = HashMap::from([("sector".to_owned(), text("energy"))]);
    let refused = app
        .desk()
        .register_participant(crate::support::builders::register_request(&fixture, late))
        .await
        .unwrap_err();
    assert_eq!(status_verdict(&refused), "answers.sector:UNKNOWN_OPTION");
    let kept = app
        .desk()
        .update_participant(pb::UpdateParticipantRequest {
            id: aziza.id.clone(),
            expected_version: aziza.version,
            job_title: Some("Engineer".to_owned()),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .participant
        .unwrap();
    assert_eq!(stored(&kept), serde_json::json!({"sector": "energy"}));

    // The export writes Aziza's answer with the labels of version 1, in
    // the language asked for.
    let mut asked = crate::export::request(&fixture, pb::ExportFormat::Csv);
    asked.columns = vec!["family_name".to_owned(), "sector".to_owned()];
    let file = crate::export::export(&app, Role::Admin, asked.clone())
        .await
        .unwrap();
    assert_eq!(file.started.columns, ["family_name", "sector"]);
    let rows = crate::export::csv_rows(&file.file);
    assert_eq!(rows[1], ["Karimova", "Energy"]);
    let mut russian = tonic::Request::new(asked);
    russian
        .metadata_mut()
        .insert("accept-language", "ru".parse().unwrap());
    let mut stream = app
        .registration_admin()
        .export_participants(russian)
        .await
        .unwrap()
        .into_inner();
    let mut bytes = Vec::new();
    while let Some(m) = stream.message().await.unwrap() {
        if let Some(pb::export_participants_response::Item::Chunk(c)) = m.item {
            bytes.extend(c);
        }
    }
    assert_eq!(
        crate::export::csv_rows(&bytes)[1],
        ["Karimova", "Энергетика"]
    );
    // And the default columns hold every exported field.
    let all = crate::export::export(
        &app,
        Role::Desk,
        crate::export::request(&fixture, pb::ExportFormat::Csv),
    )
    .await
    .unwrap();
    assert_eq!(
        all.started.columns.last().map(String::as_str),
        Some("sector")
    );

    // Given again, the retired option stays hers (now under version 2).
    let again = app
        .desk()
        .update_participant(pb::UpdateParticipantRequest {
            id: aziza.id.clone(),
            expected_version: kept.version,
            answers: HashMap::from([("sector".to_owned(), text("energy"))]),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .participant
        .unwrap();
    assert_eq!(stored(&again), serde_json::json!({"sector": "energy"}));
    assert_eq!(
        stored(&read(&app, Role::Desk, &aziza.id).await),
        serde_json::json!({"sector": "energy"})
    );
}

#[tokio::test]
async fn a_secret_answer_is_sealed_in_the_database_and_shown_to_organisers_only() {
    use expopass::domain::Role;
    let app = TestApp::start().await;
    let fixture = app.event("FIELDS-SECRET").await;
    upsert(
        &app,
        &fixture,
        serde_json::json!({
            "key": "visa_note", "kind": "text", "sensitivity": "secret",
            "label": {"en": "Visa note"}
        }),
    )
    .await;
    upsert(
        &app,
        &fixture,
        serde_json::json!({
            "key": "hobby", "kind": "text", "sensitivity": "public",
            "label": {"en": "Hobby"}
        }),
    )
    .await;
    upsert(
        &app,
        &fixture,
        serde_json::json!({
            "key": "diet", "kind": "text", "sensitivity": "personal",
            "label": {"en": "Diet"}
        }),
    )
    .await;
    let secret = format!("Kestrelvisa{}", fastrand::u32(100_000..));
    let mut input = person("Nodira", "Yusupova");
    input.answers = HashMap::from([
        ("visa_note".to_owned(), text(&secret)),
        ("hobby".to_owned(), text("Falconry")),
        ("diet".to_owned(), text("Vegetarian")),
    ]);
    let p = app.register(&fixture, input).await;

    let desk = read(&app, Role::Desk, &p.id).await;
    assert!(
        !desk.answers.contains_key("visa_note"),
        "desks never read it"
    );
    assert!(
        desk.answers.contains_key("diet"),
        "desks read personal answers"
    );
    let admin = read(&app, Role::Admin, &p.id).await;
    assert_eq!(
        plain(&admin.answers["visa_note"]),
        Value::from(secret.clone())
    );

    // Search finds public answers, never personal or secret ones.
    assert_eq!(app.found(&fixture.event_id, "falcon").await, ["Nodira"]);
    assert!(app.found(&fixture.event_id, "vegetar").await.is_empty());
    assert!(app.found(&fixture.event_id, "kestrel").await.is_empty());

    // Exports: the organiser's has it; a desk's leaves it out and says so.
    let by_desk = crate::export::export(
        &app,
        Role::Desk,
        crate::export::request(&fixture, pb::ExportFormat::Csv),
    )
    .await
    .unwrap();
    assert!(
        by_desk
            .started
            .withheld_columns
            .contains(&"visa_note".to_owned())
    );
    assert!(
        by_desk
            .started
            .withheld_columns
            .contains(&"diet".to_owned())
    );
    assert!(!String::from_utf8_lossy(&by_desk.file).contains(&secret));
    let by_admin = crate::export::export(
        &app,
        Role::Admin,
        crate::export::request(&fixture, pb::ExportFormat::Csv),
    )
    .await
    .unwrap();
    assert!(String::from_utf8_lossy(&by_admin.file).contains(&secret));

    // The plaintext is in no table: a dump of the whole database.
    let dump = std::process::Command::new(crate::failover::bin_dir().join("pg_dump"))
        .args(["--format=plain", "--dbname"])
        .arg(&app.db.url)
        .output()
        .unwrap();
    assert!(dump.status.success());
    let dump = String::from_utf8_lossy(&dump.stdout);
    assert!(dump.contains("Falconry"), "the dump holds the answers");
    assert!(!dump.contains(&secret), "a secret answer is sealed");
}

#[tokio::test]
async fn answers_print_on_badges_in_any_script_and_show_at_gates_online() {
    let app = TestApp::start().await;
    let venue = crate::gates::venue(&app, "FIELDS-PRINT").await;
    let fixture = &venue.fixture;
    upsert(
        &app,
        fixture,
        serde_json::json!({
            "key": "interpreter", "kind": "text", "sensitivity": "public",
            "label": {"en": "Interpreter"}, "badge": "always", "gate": true
        }),
    )
    .await;
    upsert(
        &app,
        fixture,
        serde_json::json!({
            "key": "vip_parking", "kind": "boolean", "label": {"en": "VIP parking"},
            "gate": true
        }),
    )
    .await;
    for (given, said) in [("Layla", "العربية"), ("Wei", "中文普通话")] {
        let mut input = person(given, "Holder");
        input.answers = HashMap::from([
            ("interpreter".to_owned(), text(said)),
            ("vip_parking".to_owned(), text("yes")),
        ]);
        let p = app.register(fixture, input).await;
        let issued = app
            .badges()
            .issue_badge(pb::IssueBadgeRequest {
                participant_id: p.id.clone(),
                layout: 0,
            })
            .await
            .unwrap()
            .into_inner();
        let pdf = crate::support::pdf::PdfFile::new(&issued.pdf);
        let printed = pdf.text();
        assert!(printed.contains("Interpreter"), "{printed}");
        assert!(
            printed.contains(said) || printed.contains(&said.chars().rev().collect::<String>()),
            "{said} is printed: {printed}"
        );
        let badge = issued.badge.unwrap();
        assert_eq!(
            pdf.qr_codes(1),
            std::slice::from_ref(&badge.qr_text),
            "zbar reads the QR"
        );

        let scan = app
            .gates()
            .scan(crate::gates::scan_request(
                &venue.hall,
                &badge.qr_text,
                &format!("n-{given}"),
                pb::Direction::In,
                crate::gates::DURING,
            ))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(scan.decision(), pb::Decision::Allow);
        assert_eq!(
            scan.notes,
            [format!("Interpreter: {said}"), "VIP parking".to_owned()]
        );
    }
}

#[tokio::test]
async fn delegations_and_organisations_answer_their_own_fields() {
    let app = TestApp::start().await;
    let fixture = app.event("FIELDS-DELEGATION").await;
    upsert(
        &app,
        &fixture,
        serde_json::json!({
            "key": "interpreter_language", "scope": "delegation", "kind": "single_choice",
            "label": {"en": "Interpreter"}, "required": true,
            "options": [
                {"key": "zh", "label": {"en": "Chinese"}},
                {"key": "ar", "label": {"en": "Arabic"}}
            ]
        }),
    )
    .await;
    let create = |answers: HashMap<String, pb::AnswerValue>| pb::CreateDelegationRequest {
        request_id: uuid::Uuid::new_v4().to_string(),
        event_id: fixture.event_id.clone(),
        country: "CN".to_owned(),
        name: "Delegation of China".to_owned(),
        answers,
        ..Default::default()
    };
    let missing = app
        .desk()
        .create_delegation(create(HashMap::new()))
        .await
        .unwrap_err();
    assert_eq!(
        status_verdict(&missing),
        "answers.interpreter_language:REQUIRED"
    );
    let created = app
        .desk()
        .create_delegation(create(HashMap::from([(
            "interpreter_language".to_owned(),
            text("Chinese"),
        )])))
        .await
        .unwrap()
        .into_inner()
        .delegation
        .unwrap();
    assert_eq!(plain(&created.answers["interpreter_language"]), "zh");
    let updated = app
        .desk()
        .update_delegation(pb::UpdateDelegationRequest {
            id: created.id.clone(),
            answers: HashMap::from([("interpreter_language".to_owned(), text("ar"))]),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .delegation
        .unwrap();
    assert_eq!(plain(&updated.answers["interpreter_language"]), "ar");

    // An organisation answers its own fields when it is created.
    upsert(
        &app,
        &fixture,
        serde_json::json!({
            "key": "chamber_member", "scope": "organization", "kind": "boolean",
            "label": {"en": "Member of the chamber of commerce"}, "required": true
        }),
    )
    .await;
    let org = |answers: HashMap<String, pb::AnswerValue>| pb::CreateOrganizationRequest {
        request_id: uuid::Uuid::new_v4().to_string(),
        event_id: fixture.event_id.clone(),
        name: "Sinoma Engineering".to_owned(),
        country: "CN".to_owned(),
        answers,
        ..Default::default()
    };
    let missing = app
        .desk()
        .create_organization(org(HashMap::new()))
        .await
        .unwrap_err();
    assert_eq!(status_verdict(&missing), "answers.chamber_member:REQUIRED");
    let created = app
        .desk()
        .create_organization(org(HashMap::from([(
            "chamber_member".to_owned(),
            text("да"),
        )])))
        .await
        .unwrap()
        .into_inner()
        .organization
        .unwrap();
    assert_eq!(plain(&created.answers["chamber_member"]), true);

    // A participant does not answer a delegation's field.
    let mut input = person("Li", "Wei");
    input.answers = HashMap::from([("interpreter_language".to_owned(), text("zh"))]);
    let refused = app
        .desk()
        .register_participant(crate::support::builders::register_request(&fixture, input))
        .await
        .unwrap_err();
    assert_eq!(
        status_verdict(&refused),
        "answers.interpreter_language:UNKNOWN_FIELD"
    );
}
