//! The event's own questions on the desk's participant form: the fields
//! the category is asked, show-if, the page's own checks and the server's
//! violations, each by its field.

use std::collections::HashMap;

use expopass::proto::pb;
use serde_json::json;

use super::{browser::Browser, sign_in};
use crate::support::TestApp;

fn texts(en: &str, ru: &str, uz: &str) -> Option<pb::LocalizedText> {
    Some(pb::LocalizedText {
        en: en.to_owned(),
        ru: ru.to_owned(),
        uz: uz.to_owned(),
    })
}

fn option(key: &str, en: &str) -> pb::FieldOption {
    pb::FieldOption {
        key: key.to_owned(),
        label: texts(en, "", ""),
        retired: false,
    }
}

fn required() -> pb::FieldPlacement {
    pb::FieldPlacement {
        required: true,
        export: true,
        ..Default::default()
    }
}

/// Picks `value` in the select `css` as the keyboard would leave it.
async fn choose(b: &Browser, css: &str, value: &str) {
    let script = format!(
        "const s = document.querySelector({}); s.focus(); s.value = {}; \
         s.dispatchEvent(new Event('change', {{ bubbles: true }})); return s.value;",
        json!(css),
        json!(value)
    );
    assert_eq!(b.eval(&script).await.as_str(), Some(value));
}

#[tokio::test]
async fn the_desk_form_asks_the_categorys_questions_and_shows_each_refusal_by_its_field() {
    let app = TestApp::start().await;
    let fixture = app.event("DESKQ").await;
    let fields = [
        pb::FieldDefinition {
            key: "sector".to_owned(),
            kind: "single_choice".to_owned(),
            label: texts("Industry sector", "Отрасль", "Soha"),
            options: vec![option("energy", "Energy"), option("mining", "Mining")],
            categories: HashMap::from([("VISITOR".to_owned(), required())]),
            ..Default::default()
        },
        pb::FieldDefinition {
            key: "press_card".to_owned(),
            kind: "text".to_owned(),
            label: texts("Press card", "Пресс-карта", "Matbuot kartasi"),
            // An inline flag JavaScript does not read: the server checks it.
            pattern: "(?i)[a-z]{2}-[0-9]{4,6}".to_owned(),
            categories: HashMap::from([("PRESS".to_owned(), required())]),
            ..Default::default()
        },
        pb::FieldDefinition {
            key: "needs_interpreter".to_owned(),
            kind: "boolean".to_owned(),
            label: texts("Needs an interpreter", "Нужен переводчик", "Tarjimon kerak"),
            ..Default::default()
        },
        pb::FieldDefinition {
            key: "interpreter_language".to_owned(),
            kind: "single_choice".to_owned(),
            label: texts("Interpreter", "Переводчик", "Tarjimon"),
            options: vec![option("zh", "Chinese"), option("ar", "Arabic")],
            show_if: Some(pb::FieldShowIf {
                field: "needs_interpreter".to_owned(),
                any_of: vec!["true".to_owned()],
            }),
            placement: Some(required()),
            ..Default::default()
        },
    ];
    for field in fields {
        app.events()
            .upsert_field(pb::UpsertFieldRequest {
                event_id: fixture.event_id.clone(),
                field: Some(field),
            })
            .await
            .unwrap();
    }

    let b = Browser::start(1280, 900).await;
    sign_in(&b, &app, &app.desk_token, "DESKQ").await;
    b.press("New participant").await;
    b.type_into("#f-given_name", "Madina").await;
    b.type_into("#f-family_name", "Yuldasheva").await;
    b.type_into("#f-country", "UZ").await;
    b.type_into("#f-category_code", "VISITOR").await;
    // The visitor's questions, not the press's.
    b.until(
        "the visitor's questions",
        "!!document.querySelector('[data-answer=\"sector\"]') \
         && !document.querySelector('[data-answer=\"press_card\"]') \
         && !document.querySelector('[data-answer=\"interpreter_language\"]')",
    )
    .await;
    b.press("Register").await;
    b.until(
        "the missing sector named by its field",
        "document.querySelector('#a-sector-error')?.innerText === 'Required.'",
    )
    .await;
    let focused = b.eval("return document.activeElement.id;").await;
    assert_eq!(
        focused.as_str(),
        Some("a-sector"),
        "the field at fault has the focus"
    );
    choose(&b, "#a-sector", "energy").await;
    // Show-if: the interpreter's language is asked once one is needed.
    choose(&b, "#a-needs_interpreter", "true").await;
    b.until(
        "the interpreter's language asked",
        "!!document.querySelector('#a-interpreter_language')",
    )
    .await;
    b.press("Register").await;
    b.until(
        "the language required",
        "document.querySelector('#a-interpreter_language-error')?.innerText === 'Required.'",
    )
    .await;
    b.screenshot("desk-questions").await;
    choose(&b, "#a-interpreter_language", "zh").await;
    b.press("Register").await;
    b.until(
        "registered",
        "document.querySelector('#detail-name')?.innerText === 'Madina Yuldasheva'",
    )
    .await;
    let found = app
        .desk()
        .search_participants(pb::SearchParticipantsRequest {
            event_id: fixture.event_id.clone(),
            name_prefix: "Yuldasheva".to_owned(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .participants;
    let text =
        |p: &pb::Participant, key: &str| match p.answers.get(key).and_then(|a| a.value.clone()) {
            Some(pb::answer_value::Value::Text(t)) => t,
            Some(pb::answer_value::Value::Boolean(b)) => b.to_string(),
            other => format!("{other:?}"),
        };
    assert_eq!(text(&found[0], "sector"), "energy");
    assert_eq!(text(&found[0], "needs_interpreter"), "true");
    assert_eq!(text(&found[0], "interpreter_language"), "zh");

    // A press card the server refuses: its words under the field.
    b.press("New participant").await;
    b.type_into("#f-given_name", "Timur").await;
    b.type_into("#f-family_name", "Rashidov").await;
    b.type_into("#f-country", "UZ").await;
    b.type_into("#f-category_code", "PRESS").await;
    b.until(
        "the press's questions",
        "!!document.querySelector('#a-press_card') && !document.querySelector('#a-sector')",
    )
    .await;
    b.type_into("#a-press_card", "press 12").await;
    b.press("Register").await;
    b.until(
        "the server's violation by the field",
        "document.querySelector('#a-press_card-error')?.innerText.includes('form')",
    )
    .await;
    let invalid = b
        .eval("return document.querySelector('#a-press_card').getAttribute('aria-invalid');")
        .await;
    assert_eq!(invalid.as_str(), Some("true"));
    b.screenshot("desk-questions-server").await;
    b.type_into("#a-press_card", "uz-20431").await;
    b.press("Register").await;
    b.until(
        "the journalist registered",
        "document.querySelector('#detail-name')?.innerText === 'Timur Rashidov'",
    )
    .await;
    b.stop().await;
}
