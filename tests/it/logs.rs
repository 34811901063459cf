//! What `serve` logs, as text and as JSON: no personal data even at debug
//! level, and the request id of a call on its lines.

use std::time::Duration;

use expopass::proto::pb;
use tonic::{Code, metadata::MetadataValue};

use crate::support::{TestApp, builders::register_request, serve::ServeProcess};

/// Personal values no log line may hold.
const CANARIES: [&str; 7] = [
    "Quokkafield",
    "Ørnsvikova",
    "Щукинаканар",
    "quokka.canary@example.uz",
    "+998 90 555 31 77",
    "QK7319046",
    // The answer to a secret custom field.
    "Kakapovisa-note-7734",
];

fn canary_person() -> pb::ParticipantInput {
    pb::ParticipantInput {
        given_name: CANARIES[0].to_owned(),
        family_name: CANARIES[1].to_owned(),
        native_name: CANARIES[2].to_owned(),
        country: "UZ".to_owned(),
        category_code: "VISITOR".to_owned(),
        email: CANARIES[3].to_owned(),
        phone: CANARIES[4].to_owned(),
        travel_document: CANARIES[5].to_owned(),
        answers: std::collections::HashMap::from([(
            "visa_note".to_owned(),
            pb::AnswerValue {
                value: Some(pb::answer_value::Value::Text(CANARIES[6].to_owned())),
                on_badge: false,
            },
        )]),
        ..Default::default()
    }
}

/// `message` with a request id of ours, noted in `ids`.
fn tagged<T>(ids: &mut Vec<String>, message: T) -> tonic::Request<T> {
    let id = format!("log-test-{}", ids.len() + 1);
    let mut request = tonic::Request::new(message);
    request.metadata_mut().insert(
        "x-request-id",
        MetadataValue::try_from(id.as_str()).unwrap(),
    );
    ids.push(id);
    request
}

/// Registers, repeats, refuses and searches the canary through `server`,
/// each call with a request id of ours; returns those ids.
async fn calls_with_personal_data(app: &TestApp, server: &ServeProcess) -> Vec<String> {
    let fixture = app.event(&format!("LOG-{}", fastrand::u32(..))).await;
    app.events()
        .upsert_field(pb::UpsertFieldRequest {
            event_id: fixture.event_id.clone(),
            field: Some(pb::FieldDefinition {
                key: "visa_note".to_owned(),
                kind: "text".to_owned(),
                sensitivity: "secret".to_owned(),
                label: Some(pb::LocalizedText {
                    en: "Visa note".to_owned(),
                    ..Default::default()
                }),
                ..Default::default()
            }),
        })
        .await
        .expect("a secret field");
    let mut desk = server.desk(&app.desk_token).await;
    let mut ids = Vec::new();
    let first = register_request(&fixture, canary_person());
    let registered = desk
        .register_participant(tagged(&mut ids, first))
        .await
        .expect("registered");
    assert_eq!(
        registered.metadata().get("x-request-id").unwrap(),
        "log-test-1",
        "the answer carries the request id"
    );
    // The same email again: refused, naming the field, not the value.
    let mut again = register_request(&fixture, canary_person());
    again.participant.as_mut().unwrap().given_name = "Other".to_owned();
    let clash = desk
        .register_participant(tagged(&mut ids, again))
        .await
        .unwrap_err();
    assert_eq!(clash.code(), Code::AlreadyExists);
    // Invalid values everywhere.
    let mut bad = canary_person();
    bad.email = format!("{} at nowhere", CANARIES[3]);
    bad.country = CANARIES[0].to_owned();
    let invalid = desk
        .register_participant(tagged(&mut ids, register_request(&fixture, bad)))
        .await
        .unwrap_err();
    assert_eq!(invalid.code(), Code::InvalidArgument);
    let found = desk
        .search_participants(tagged(
            &mut ids,
            pb::SearchParticipantsRequest {
                event_id: fixture.event_id.clone(),
                name_prefix: CANARIES[0].to_owned(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(found.participants.len(), 1);
    ids
}

/// Lines logged by a server at debug level while it served the canary.
async fn logged(format: &str) -> (Vec<String>, Vec<String>) {
    let app = TestApp::start().await;
    let server = ServeProcess::start_with(
        &app.db.url,
        &["--log-format", format],
        &[("RUST_LOG", "debug")],
    );
    let ids = calls_with_personal_data(&app, &server).await;
    // Lines of the last call may still be on their way.
    tokio::time::sleep(Duration::from_millis(300)).await;
    (server.lines(), ids)
}

fn no_canary(lines: &[String]) {
    // As text, and as the bytes a driver would print (`[81, 117, ...]`).
    let bytes: Vec<String> = CANARIES
        .iter()
        .map(|c| {
            format!("{:?}", c.as_bytes())
                .trim_matches(['[', ']'])
                .to_owned()
        })
        .collect();
    for line in lines {
        for (canary, bytes) in CANARIES.iter().zip(&bytes) {
            assert!(
                !line.contains(canary) && !line.contains(bytes.as_str()),
                "a log line holds personal data ({canary}):\n{line}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn text_logs_hold_no_personal_data_even_at_debug() {
    let (lines, ids) = logged("text").await;
    no_canary(&lines);
    for id in &ids {
        assert!(
            lines
                .iter()
                .any(|l| l.contains(&format!("request_id=\"{id}\"")) && l.contains("call ended")),
            "no line of call {id}:\n{}",
            lines.join("\n")
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_logs_are_json_with_the_request_id_and_no_personal_data() {
    let (lines, ids) = logged("json").await;
    no_canary(&lines);
    let mut by_request: std::collections::HashMap<String, Vec<serde_json::Value>> =
        std::collections::HashMap::new();
    for line in &lines {
        let value: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not a JSON line ({e}): {line}"));
        assert!(value["timestamp"].is_string(), "{line}");
        assert!(value["level"].is_string(), "{line}");
        if let Some(id) = value["span"]["request_id"].as_str() {
            by_request
                .entry(id.to_owned())
                .or_default()
                .push(value.clone());
        }
    }
    assert!(
        lines.iter().any(|l| l.contains("ready to serve")),
        "the ready line is there"
    );
    for id in &ids {
        let call = by_request
            .get(id)
            .unwrap_or_else(|| panic!("no line carries request id {id}: {lines:#?}"));
        let ended = call
            .iter()
            .find(|v| v["fields"]["message"] == "call ended")
            .unwrap_or_else(|| panic!("call {id} has no end line: {call:#?}"));
        assert!(ended["fields"]["code"].is_string(), "{ended}");
        assert_eq!(ended["span"]["rpc"], ended["fields"]["method"], "{ended}");
    }
}
