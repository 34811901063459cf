//! Every RPC, fed generated messages: random, empty, huge, NUL-laden and
//! boundary values, ids that exist beside ids that do not, enum numbers
//! out of range, timestamps out of range, and bytes that are not protobuf
//! at all. No answer may be INTERNAL or UNKNOWN, and health still answers
//! SERVING afterwards.

use std::time::Duration;

use expopass::proto::pb;
use prost::Message as _;
use prost_reflect::{
    DescriptorPool, DynamicMessage, FieldDescriptor, Kind, MessageDescriptor, Value,
};
use tonic::Code;
use tonic_health::pb::{
    HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient,
};

use crate::support::{
    TestApp,
    builders::person,
    raw::{Shape, call},
};

/// Messages sent to each RPC.
const ROUNDS: usize = 40;

struct Gen {
    rng: fastrand::Rng,
    /// Ids and codes that exist, so that some calls get past the lookups.
    known: Vec<String>,
}

impl Gen {
    fn string(&mut self) -> String {
        match self.rng.u8(0..14) {
            0 => String::new(),
            1 => "\0".to_owned(),
            2 => format!("a\0{}", self.rng.u32(..)),
            3 => "x".repeat(5_000),
            4 => "ж".repeat(self.rng.usize(150..400)),
            5 => "\u{7}\u{1b}[31m\r\n\t".to_owned(),
            6 => "' OR 1=1 --%_\\".to_owned(),
            7 => uuid::Uuid::new_v4().to_string(),
            8 => "\u{202e}\u{fffd}\u{10ffff}🙂 ʻ’".to_owned(),
            9 => "-1".to_owned(),
            10 => "EP1:".to_owned() + &"0".repeat(self.rng.usize(0..200)),
            _ => self.known[self.rng.usize(0..self.known.len())].clone(),
        }
    }

    /// Mostly plausible values for fields whose name says what they hold,
    /// so that calls get past validation into the use cases.
    fn string_for(&mut self, name: &str) -> String {
        if self.rng.u8(0..10) == 0 {
            return self.string();
        }
        let pick =
            |g: &mut Self, options: &[String]| options[g.rng.usize(0..options.len())].clone();
        match name {
            "request_id" | "nonce" => uuid::Uuid::new_v4().to_string(),
            "country" => pick(self, &["UZ".to_owned(), "KZ".to_owned(), "QQ".to_owned()]),
            "color" => "#12AB34".to_owned(),
            "time_zone" => "Asia/Tashkent".to_owned(),
            "first_day" | "last_day" => "2024-04-23".to_owned(),
            "email" => format!("f{}@fuzz.example.org", self.rng.u32(..)),
            "given_name" | "family_name" | "name" => pick(
                self,
                &[
                    "Oʻktam".to_owned(),
                    "Lévy-Strauss".to_owned(),
                    "王伟".to_owned(),
                ],
            ),
            n if n.ends_with("_id") || n.ends_with("code") || n == "qr_text" => {
                let known = self.known.clone();
                pick(self, &known)
            }
            _ => self.string(),
        }
    }

    fn int(&mut self) -> i64 {
        match self.rng.u8(0..6) {
            0 => 0,
            1 => -1,
            2 => i64::from(i32::MAX),
            3 => i64::from(i32::MIN),
            4 => i64::MAX,
            _ => self.rng.i64(-1_000..100_000),
        }
    }

    fn value(&mut self, field: &FieldDescriptor, depth: usize) -> Option<Value> {
        Some(match field.kind() {
            Kind::String => Value::String(self.string_for(field.name())),
            Kind::Bytes => {
                let n = self.rng.usize(0..64);
                Value::Bytes(std::iter::repeat_with(|| self.rng.u8(..)).take(n).collect())
            }
            Kind::Bool => Value::Bool(self.rng.bool()),
            Kind::Int32 | Kind::Sint32 | Kind::Sfixed32 => {
                Value::I32(i32::try_from(self.int()).unwrap_or(i32::MIN))
            }
            Kind::Int64 | Kind::Sint64 | Kind::Sfixed64 => Value::I64(self.int()),
            Kind::Uint32 | Kind::Fixed32 => {
                Value::U32(u32::try_from(self.int()).unwrap_or(u32::MAX))
            }
            Kind::Uint64 | Kind::Fixed64 => Value::U64(self.int().unsigned_abs()),
            Kind::Float => Value::F32(if self.rng.bool() { f32::NAN } else { 1e30 }),
            Kind::Double => Value::F64(if self.rng.bool() { f64::NAN } else { -1e300 }),
            Kind::Enum(e) => Value::EnumNumber(match self.rng.u8(0..4) {
                0 => 999,
                1 => -5,
                _ => {
                    let values: Vec<i32> = e.values().map(|v| v.number()).collect();
                    values[self.rng.usize(0..values.len())]
                }
            }),
            Kind::Message(m) => {
                if depth > 3 {
                    return None;
                }
                Value::Message(self.message(&m, depth + 1))
            }
        })
    }

    fn message(&mut self, descriptor: &MessageDescriptor, depth: usize) -> DynamicMessage {
        let mut message = DynamicMessage::new(descriptor.clone());
        if descriptor.full_name() == "google.protobuf.Timestamp" {
            let seconds = match self.rng.u8(0..3) {
                0 => i64::MAX,
                1 => -62_135_596_801,
                _ => self.rng.i64(1_700_000_000..1_800_000_000),
            };
            message.set_field_by_name("seconds", Value::I64(seconds));
            let nanos = [0, -1, 2_000_000_000][self.rng.usize(0..3)];
            message.set_field_by_name("nanos", Value::I32(nanos));
            return message;
        }
        let mut oneofs_done = Vec::new();
        for field in descriptor.fields() {
            if let Some(oneof) = field.containing_oneof()
                && !field.field_descriptor_proto().proto3_optional()
            {
                if oneofs_done.contains(&oneof.name().to_owned()) || self.rng.bool() {
                    continue;
                }
                oneofs_done.push(oneof.name().to_owned());
            }
            if self.rng.u8(0..6) == 0 {
                continue;
            }
            if field.is_list() {
                let n = self.rng.usize(0..4);
                let items: Vec<Value> = (0..n).filter_map(|_| self.value(&field, depth)).collect();
                message.set_field(&field, Value::List(items));
            } else if let Some(value) = self.value(&field, depth) {
                message.set_field(&field, value);
            }
        }
        message
    }

    fn bytes(&mut self, descriptor: &MessageDescriptor) -> Vec<u8> {
        if self.rng.u8(0..8) == 0 {
            let n = self.rng.usize(1..40);
            return std::iter::repeat_with(|| self.rng.u8(..)).take(n).collect();
        }
        self.message(descriptor, 0).encode_to_vec()
    }
}

#[tokio::test]
async fn every_rpc_answers_generated_input_without_internal_errors() {
    let app = TestApp::start().await;
    let fixture = app.event("FUZZ").await;
    let gate = app.gate(&fixture, "G-FUZZ", "HALL-A").await;
    let participant = app.register(&fixture, person("Fuzz", "Target")).await;
    let badge = app
        .badges()
        .issue_badge(pb::IssueBadgeRequest {
            participant_id: participant.id.clone(),
            layout: 0,
        })
        .await
        .unwrap()
        .into_inner()
        .badge
        .unwrap();
    let delegation = app.delegation(&fixture, "KZ", &[("DELEGATE", 3)]).await;
    let mut generator = Gen {
        rng: fastrand::Rng::with_seed(20_261_130),
        known: vec![
            fixture.event_id.clone(),
            "FUZZ".to_owned(),
            gate.id.clone(),
            participant.id.clone(),
            badge.id.clone(),
            badge.qr_text.clone(),
            delegation.id.clone(),
            "VISITOR".to_owned(),
            "HALL-A".to_owned(),
            "UZ".to_owned(),
            "2024-04-23".to_owned(),
        ],
    };

    let mut pool = DescriptorPool::global();
    pool.decode_file_descriptor_set(expopass::proto::FILE_DESCRIPTOR_SET)
        .unwrap();
    let mut calls = 0;
    let mut failures = Vec::new();
    let mut codes: std::collections::BTreeMap<String, usize> = std::collections::BTreeMap::new();
    for service in pool
        .services()
        .filter(|s| s.package_name() == "expopass.v1")
    {
        for method in service.methods() {
            let path = format!("/{}/{}", service.full_name(), method.name());
            let shape = match (method.is_client_streaming(), method.is_server_streaming()) {
                (true, _) => Shape::ClientStreaming,
                (false, true) => Shape::ServerStreaming,
                (false, false) => Shape::Unary,
            };
            for round in 0..ROUNDS {
                let count = if shape == Shape::ClientStreaming {
                    generator.rng.usize(1..4)
                } else {
                    1
                };
                let messages: Vec<Vec<u8>> = (0..count)
                    .map(|_| generator.bytes(&method.input()))
                    .collect();
                let token = match round % 3 {
                    0 => app.gate_token.clone(),
                    1 => app.desk_token.clone(),
                    _ => app.admin_token.clone(),
                };
                let status = call(
                    app.channel(),
                    &token,
                    &path,
                    shape,
                    messages.clone(),
                    Duration::from_millis(100),
                )
                .await;
                calls += 1;
                *codes.entry(format!("{:?}", status.code())).or_default() += 1;
                if matches!(status.code(), Code::Internal | Code::Unknown) {
                    failures.push(format!(
                        "{path}: {:?} {} for {:?}",
                        status.code(),
                        status.message(),
                        messages
                            .iter()
                            .map(|m| m.iter().take(80).copied().collect::<Vec<u8>>())
                            .collect::<Vec<_>>()
                    ));
                }
            }
        }
    }
    eprintln!("{calls} calls: {codes:?}");
    assert!(calls > 500, "{calls} calls");
    assert!(
        failures.is_empty(),
        "{} of {calls} calls failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    let health = HealthClient::new(app.channel())
        .check(HealthCheckRequest {
            service: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(health.status(), ServingStatus::Serving);
}
