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
