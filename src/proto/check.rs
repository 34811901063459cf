//! What every string of every request must be, whatever its field: at most
//! [`MAX_STRING_BYTES`] long, and free of NUL and other control characters
//! (tab, line feed and carriage return aside, which fields that refuse them
//! check themselves). `build.rs` generates a [`CheckInput`] implementation
//! for each message, visiting nested messages, repeated fields and oneofs,
//! and the codec runs it on every request it decodes
//! ([`super::codec`]). Fields then get their own rules from the domain's
//! `Validator`.

use std::fmt;

use crate::{error::FieldViolation, words::Violation};

/// Longest string any field may hold, in bytes. Fields have tighter limits
/// of their own (names 200 characters, codes 32...); this one keeps
/// megabytes of text away from every handler and from PostgreSQL.
pub const MAX_STRING_BYTES: usize = 4096;

/// A message whose strings can be checked.
pub trait CheckInput {
    /// Whether an RPC takes this message as its request.
    const IS_REQUEST: bool;
    /// Whether the codec checks it as the server decodes it (requests,
    /// except the rows of an import, which its handler checks row by row).
    const CHECKED_ON_DECODE: bool;

    /// Appends a violation for every string below `path` that breaks the
    /// rules.
    fn check_fields(&self, path: &FieldPath<'_>, out: &mut Vec<FieldViolation>);

    /// Every violation of the message.
    fn violations(&self) -> Vec<FieldViolation> {
        let mut out = Vec::new();
        self.check_fields(&FieldPath::Root, &mut out);
        out
    }
}

/// Where a field sits in a message, as the field violations name it:
/// `participant.given_name`, `quotas[2].category_code`.
#[derive(Debug, Clone, Copy)]
pub enum FieldPath<'a> {
    Root,
    Field(&'a FieldPath<'a>, &'static str),
    Index(&'a FieldPath<'a>, usize),
    /// An entry of a map: `answers.sector`.
    Key(&'a FieldPath<'a>, &'a str),
}

impl fmt::Display for FieldPath<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Root => Ok(()),
            Self::Field(Self::Root, name) => f.write_str(name),
            Self::Field(parent, name) => write!(f, "{parent}.{name}"),
            Self::Index(parent, i) => write!(f, "{parent}[{i}]"),
            Self::Key(parent, key) => write!(f, "{parent}.{key}"),
        }
    }
}

/// Whether a character may not appear in any string: NUL and the other C0
/// controls but tab, line feed and carriage return; DEL; the C1 controls.
pub fn is_forbidden(c: char) -> bool {
    c.is_control() && !matches!(c, '\t' | '\n' | '\r')
}

/// Checks one string field.
pub fn text(value: &str, path: &FieldPath<'_>, out: &mut Vec<FieldViolation>) {
    if value.len() > MAX_STRING_BYTES {
        out.push(FieldViolation::new(
            path.to_string(),
            &Violation::TooManyBytes {
                max: MAX_STRING_BYTES,
            },
        ));
    } else if value.chars().any(is_forbidden) {
        out.push(FieldViolation::new(
            path.to_string(),
            &Violation::ControlCharacters,
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::pb;

    #[test]
    fn every_string_of_a_request_is_visited_with_its_path() {
        let request = pb::RegisterParticipantRequest {
            request_id: "ok".to_owned(),
            event_id: "bad\0".to_owned(),
            participant: Some(pb::ParticipantInput {
                given_name: "Ivan\u{7}".to_owned(),
                family_name: "Petrov\n".to_owned(),
                category_code: "x".repeat(MAX_STRING_BYTES + 1),
                ..Default::default()
            }),
        };
        let fields: Vec<String> = request.violations().into_iter().map(|v| v.field).collect();
        assert_eq!(
            fields,
            [
                "event_id",
                "participant.given_name",
                "participant.category_code"
            ]
        );
        let oneof = pb::GetEventRequest {
            key: Some(pb::get_event_request::Key::Code("\u{85}".to_owned())),
        };
        assert_eq!(oneof.violations()[0].field, "code");
        const {
            assert!(pb::RegisterParticipantRequest::CHECKED_ON_DECODE);
            assert!(!pb::ImportParticipantsRequest::CHECKED_ON_DECODE);
            assert!(pb::ImportParticipantsRequest::IS_REQUEST);
            assert!(!pb::RegisterParticipantResponse::IS_REQUEST);
        }
    }

    #[test]
    fn paths_name_repeated_fields_by_index() {
        let request = pb::CreateDelegationRequest {
            quotas: vec![
                pb::DelegationQuota::default(),
                pb::DelegationQuota {
                    category_code: "\0".to_owned(),
                    ..Default::default()
                },
            ],
            ..Default::default()
        };
        assert_eq!(request.violations()[0].field, "quotas[1].category_code");
    }
}
