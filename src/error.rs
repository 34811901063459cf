//! The one error type of the domain and its one conversion to `tonic::Status`.
//!
//! Every error carries a stable machine-readable `reason` (sent as
//! `google.rpc.ErrorInfo` in the domain `expopass`) and, for bad input, the
//! field violations (sent as `google.rpc.BadRequest`). Internal failures are
//! logged here and reach the client only as a generic `INTERNAL`.

use std::fmt;

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt as _};

use crate::words::{Lang, Violation};

/// The error domain sent in `ErrorInfo`.
pub const ERROR_DOMAIN: &str = "expopass";

/// Declares `Reason` from one table of variants and stable codes.
macro_rules! reasons {
    ($($variant:ident => $code:literal,)*) => {
        /// The stable reason of an error, sent in `ErrorInfo`: clients
        /// branch on it, so a code never changes meaning.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Reason {
            $($variant,)*
        }

        impl Reason {
            pub const ALL: &[Reason] = &[$(Reason::$variant,)*];

            /// The code as clients see it.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Reason::$variant => $code,)*
                }
            }
        }
    };
}

reasons! {
    BadgeInProgress => "BADGE_IN_PROGRESS",
    BadgeNotFound => "BADGE_NOT_FOUND",
    CategoryNotFound => "CATEGORY_NOT_FOUND",
    DatabaseUnavailable => "DATABASE_UNAVAILABLE",
    DelegationExists => "DELEGATION_EXISTS",
    DelegationNotFound => "DELEGATION_NOT_FOUND",
    DelegationQuotaExceeded => "DELEGATION_QUOTA_EXCEEDED",
    DuplicateExternalRef => "DUPLICATE_EXTERNAL_REF",
    DuplicateParticipant => "DUPLICATE_PARTICIPANT",
    EventCodeTaken => "EVENT_CODE_TAKEN",
    EventFileTooLarge => "EVENT_FILE_TOO_LARGE",
    EventNotFound => "EVENT_NOT_FOUND",
    GateNotFound => "GATE_NOT_FOUND",
    HeadNotMember => "HEAD_NOT_MEMBER",
    IdempotencyKeyReused => "IDEMPOTENCY_KEY_REUSED",
    ImportIncomplete => "IMPORT_INCOMPLETE",
    ImportTooLarge => "IMPORT_TOO_LARGE",
    Internal => "INTERNAL",
    EnrolmentCodeExpired => "ENROLMENT_CODE_EXPIRED",
    EnrolmentCodeUnknown => "ENROLMENT_CODE_UNKNOWN",
    EnrolmentCodeUsed => "ENROLMENT_CODE_USED",
    EnrolmentLocked => "ENROLMENT_LOCKED",
    EnrolmentRoleMismatch => "ENROLMENT_ROLE_MISMATCH",
    EventNotAllowed => "EVENT_NOT_ALLOWED",
    GateNotAllowed => "GATE_NOT_ALLOWED",
    InvalidField => "INVALID_FIELD",
    KeyActive => "KEY_ACTIVE",
    KeyNotFound => "KEY_NOT_FOUND",
    MalformedMessage => "MALFORMED_MESSAGE",
    MessageTooLarge => "MESSAGE_TOO_LARGE",
    NothingToPrint => "NOTHING_TO_PRINT",
    OrganizationExists => "ORGANIZATION_EXISTS",
    OrganizationNotFound => "ORGANIZATION_NOT_FOUND",
    Overloaded => "OVERLOADED",
    ParticipantCancelled => "PARTICIPANT_CANCELLED",
    TemplateNotFound => "TEMPLATE_NOT_FOUND",
    TemplateNotPublished => "TEMPLATE_NOT_PUBLISHED",
    TokenExpired => "TOKEN_EXPIRED",
    TokenNotFound => "TOKEN_NOT_FOUND",
    ParticipantNotFound => "PARTICIPANT_NOT_FOUND",
    PhotoNotAnImage => "PHOTO_NOT_AN_IMAGE",
    PhotoNotFound => "PHOTO_NOT_FOUND",
    PhotoTooLarge => "PHOTO_TOO_LARGE",
    PhotoTooManyPixels => "PHOTO_TOO_MANY_PIXELS",
    PhotoTooSmall => "PHOTO_TOO_SMALL",
    QuotaBelowUsage => "QUOTA_BELOW_USAGE",
    RequestInProgress => "REQUEST_IN_PROGRESS",
    RoleNotAllowed => "ROLE_NOT_ALLOWED",
    Unauthenticated => "UNAUTHENTICATED",
    ValidDaysTooWide => "VALID_DAYS_TOO_WIDE",
    VersionConflict => "VERSION_CONFLICT",
    WouldLoseData => "WOULD_LOSE_DATA",
    ZoneCycle => "ZONE_CYCLE",
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What kind of failure, which decides the gRPC status code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    InvalidArgument,
    NotFound,
    AlreadyExists,
    FailedPrecondition,
    Aborted,
    Unauthenticated,
    PermissionDenied,
    ResourceExhausted,
    Unavailable,
    Unimplemented,
    Internal,
}

/// One invalid field.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FieldViolation {
    pub field: String,
    /// In English.
    pub description: String,
    /// The violation's stable code (`words::Violation::code`), sent as the
    /// violation's `reason`; empty in replies stored before codes existed.
    #[serde(default)]
    pub code: String,
    /// The description in the other interface languages, (tag, text).
    #[serde(default)]
    pub localized: Vec<(String, String)>,
}

impl FieldViolation {
    /// `field` breaks the rule `violation` names: its code and its words
    /// in every interface language.
    pub fn new(field: impl Into<String>, violation: &Violation) -> Self {
        Self {
            field: field.into(),
            description: violation.text(Lang::En),
            code: violation.code().to_owned(),
            localized: [Lang::Ru, Lang::Uz]
                .into_iter()
                .map(|l| (l.tag().to_owned(), violation.text(l)))
                .collect(),
        }
    }

    /// A violation whose words are the error's own (its reason names it
    /// for clients: a photo that is not usable).
    pub fn with_reason(field: impl Into<String>, description: String, reason: Reason) -> Self {
        Self {
            field: field.into(),
            description,
            code: reason.as_str().to_owned(),
            localized: Vec::new(),
        }
    }

    /// The words in `lang`, when there are some.
    pub fn in_lang(&self, lang: Lang) -> Option<&str> {
        if lang == Lang::En {
            return Some(&self.description);
        }
        self.localized
            .iter()
            .find(|(tag, _)| tag == lang.tag())
            .map(|(_, text)| text.as_str())
    }
}

/// A failure of a use case.
#[derive(Debug, thiserror::Error)]
pub struct AppError {
    pub kind: ErrorKind,
    /// Stable reason code, e.g. `DUPLICATE_PARTICIPANT`.
    pub reason: Reason,
    /// Human-readable explanation; never contains personal data.
    pub message: String,
    /// Bad fields, for `InvalidArgument`.
    pub violations: Vec<FieldViolation>,
    /// Extra machine-readable facts (e.g. the id of an existing participant).
    pub metadata: Vec<(String, String)>,
    /// When the client may retry (sent as `google.rpc.RetryInfo`).
    pub retry_after: Option<std::time::Duration>,
    #[source]
    pub source: Option<anyhow::Error>,
}

impl fmt::Display for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.reason, self.message)
    }
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    pub fn new(kind: ErrorKind, reason: Reason, message: impl Into<String>) -> Self {
        Self {
            kind,
            reason,
            message: message.into(),
            violations: Vec::new(),
            metadata: Vec::new(),
            retry_after: None,
            source: None,
        }
    }

    /// `INVALID_ARGUMENT` with reason `INVALID_FIELD` and these violations.
    pub fn invalid_fields(violations: Vec<FieldViolation>) -> Self {
        let fields: Vec<&str> = violations.iter().map(|v| v.field.as_str()).collect();
        let message = format!("invalid fields: {}", fields.join(", "));
        Self {
            violations,
            ..Self::new(ErrorKind::InvalidArgument, Reason::InvalidField, message)
        }
    }

    /// `INVALID_ARGUMENT` for one field.
    pub fn invalid_field(field: impl Into<String>, violation: Violation) -> Self {
        Self::invalid_fields(vec![FieldViolation::new(field, &violation)])
    }

    pub fn not_found(reason: Reason, message: impl Into<String>) -> Self {
        Self::new(ErrorKind::NotFound, reason, message)
    }

    pub fn already_exists(reason: Reason, message: impl Into<String>) -> Self {
        Self::new(ErrorKind::AlreadyExists, reason, message)
    }

    pub fn precondition(reason: Reason, message: impl Into<String>) -> Self {
        Self::new(ErrorKind::FailedPrecondition, reason, message)
    }

    pub fn internal(source: impl Into<anyhow::Error>) -> Self {
        Self {
            source: Some(source.into()),
            ..Self::new(ErrorKind::Internal, Reason::Internal, "internal error")
        }
    }

    /// The same error with its violations' fields under `prefix` (a
    /// request's path to what the domain checked, e.g. `participant.`).
    #[must_use]
    pub fn within(mut self, prefix: &str) -> Self {
        if self.violations.is_empty() {
            return self;
        }
        for v in &mut self.violations {
            v.field.insert_str(0, prefix);
        }
        let fields: Vec<&str> = self.violations.iter().map(|v| v.field.as_str()).collect();
        self.message = format!("invalid fields: {}", fields.join(", "));
        self
    }

    #[must_use]
    pub fn with_metadata(mut self, key: &str, value: impl Into<String>) -> Self {
        self.metadata.push((key.to_owned(), value.into()));
        self
    }
}

/// Longest message, field description or metadata value sent to a client,
/// in bytes: a reply never carries back more than a short excerpt of what
/// it was sent.
const MAX_SENT_TEXT: usize = 512;

/// At most `EXCERPT_CHARS` characters of client text, to quote it in a reply.
const EXCERPT_CHARS: usize = 64;

/// The start of `text`, marked with an ellipsis when cut, for a reply to
/// quote what a client sent.
pub fn excerpt(text: &str) -> String {
    match text.char_indices().nth(EXCERPT_CHARS) {
        None => text.to_owned(),
        Some((at, _)) => format!("{}…", &text[..at]),
    }
}

/// `text` cut to at most `max` bytes on a character boundary.
fn bounded(mut text: String, max: usize) -> String {
    if text.len() > max {
        let mut at = max;
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        text.truncate(at);
        text.push('…');
    }
    text
}

impl AppError {
    /// `UNAVAILABLE` with reason `DATABASE_UNAVAILABLE`: the call may be
    /// retried.
    pub fn database_unavailable(source: impl Into<anyhow::Error>) -> Self {
        crate::db::report_trouble();
        Self {
            source: Some(source.into()),
            ..Self::new(
                ErrorKind::Unavailable,
                Reason::DatabaseUnavailable,
                "the database is not reachable right now: retry",
            )
        }
    }
}

/// Whether a failed statement failed because the database went away (its
/// connection was cut, the server shut down or restarted, or refuses new
/// connections) rather than because of the statement, as far as the error
/// alone tells: the driver's own kinds, and, for a server speaking English,
/// PostgreSQL's words for class 57P (operator intervention) and 08
/// (connection exception), whose SQLSTATE the driver does not hand on.
/// Whatever its language, a call also learns it from the connection
/// itself, which comes back to the pool closed (`crate::call`): that is
/// what unary calls rely on; these words serve the streams' tasks, which
/// run outside a call's scope.
fn is_connection_lost(err: &diesel::result::Error) -> bool {
    use diesel::result::{DatabaseErrorKind, Error};
    const LOST: &[&str] = &[
        "terminating connection",
        "the database system is shutting down",
        "the database system is starting up",
        "the database system is in recovery mode",
        "the database system is not yet accepting connections",
        "the database system is not accepting connections",
        "connection closed",
        "connection reset",
        "server closed the connection",
        "sorry, too many clients already",
    ];
    match err {
        Error::DatabaseError(
            DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
            _,
        )
        | Error::BrokenTransactionManager => true,
        Error::DatabaseError(DatabaseErrorKind::ReadOnlyTransaction, _) => true,
        Error::DatabaseError(_, info) => {
            let message = info.message();
            LOST.iter().any(|m| message.starts_with(m))
        }
        _ => false,
    }
}

/// The unique constraints that what a client sends can run into (two
/// calls racing past the domain's own check), and what each means:
/// (constraint, kind, reason, message).
const UNIQUE_VIOLATIONS: &[(&str, ErrorKind, Reason, &str)] = &[
    (
        "events_code_key",
        ErrorKind::AlreadyExists,
        Reason::EventCodeTaken,
        "an event with this code exists",
    ),
    (
        "delegations_event_id_name_key",
        ErrorKind::AlreadyExists,
        Reason::DelegationExists,
        "the event has a delegation with this name",
    ),
    (
        "organizations_event_id_name_key_key",
        ErrorKind::AlreadyExists,
        Reason::OrganizationExists,
        "the event has an organisation with this name",
    ),
    (
        "participants_email_uniq",
        ErrorKind::AlreadyExists,
        Reason::DuplicateParticipant,
        "another participant of the event has this email",
    ),
    (
        "participants_document_uniq",
        ErrorKind::AlreadyExists,
        Reason::DuplicateParticipant,
        "another participant of the event has this travel document",
    ),
    (
        "participants_external_ref_uniq",
        ErrorKind::AlreadyExists,
        Reason::DuplicateExternalRef,
        "another participant of the event has this external_ref",
    ),
    (
        "idempotency_keys_pkey",
        ErrorKind::Aborted,
        Reason::RequestInProgress,
        "a call with this request_id was being made at the same moment: retry it",
    ),
    (
        "badges_current_uniq",
        ErrorKind::Aborted,
        Reason::BadgeInProgress,
        "another badge of this participant was being issued at the same moment: retry",
    ),
];

impl From<diesel::result::Error> for AppError {
    fn from(err: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        if is_connection_lost(&err) {
            return Self::database_unavailable(err);
        }
        if let Error::DatabaseError(DatabaseErrorKind::UniqueViolation, info) = &err
            && let Some((_, kind, reason, message)) = info
                .constraint_name()
                .and_then(|name| UNIQUE_VIOLATIONS.iter().find(|(c, ..)| *c == name))
        {
            return Self::new(*kind, *reason, *message);
        }
        if matches!(err, Error::DatabaseError(DatabaseErrorKind::Unknown, _)) {
            // The server's words only: it may be a cut connection speaking
            // another language (`crate::call`).
            crate::call::unexplained();
        }
        Self::internal(err)
    }
}

impl From<diesel_async::pooled_connection::deadpool::PoolError> for AppError {
    fn from(err: diesel_async::pooled_connection::deadpool::PoolError) -> Self {
        Self::database_unavailable(err)
    }
}

impl AppError {
    /// Whether this is an unexplained failure of a database statement.
    fn is_database_failure(&self) -> bool {
        self.kind == ErrorKind::Internal
            && self
                .source
                .as_ref()
                .is_some_and(|s| s.downcast_ref::<diesel::result::Error>().is_some())
    }
}

impl From<AppError> for Status {
    fn from(err: AppError) -> Self {
        // A statement that failed on a connection the call then found lost
        // failed because the database went away, in whatever words.
        let err = if err.is_database_failure() && crate::call::seen() {
            AppError::database_unavailable(err)
        } else {
            err
        };
        let code = match err.kind {
            ErrorKind::InvalidArgument => Code::InvalidArgument,
            ErrorKind::NotFound => Code::NotFound,
            ErrorKind::AlreadyExists => Code::AlreadyExists,
            ErrorKind::FailedPrecondition => Code::FailedPrecondition,
            ErrorKind::Aborted => Code::Aborted,
            ErrorKind::Unauthenticated => Code::Unauthenticated,
            ErrorKind::PermissionDenied => Code::PermissionDenied,
            ErrorKind::ResourceExhausted => Code::ResourceExhausted,
            ErrorKind::Unavailable => Code::Unavailable,
            ErrorKind::Unimplemented => Code::Unimplemented,
            ErrorKind::Internal => Code::Internal,
        };
        if let Some(source) = &err.source {
            tracing::error!(
                reason = err.reason.as_str(),
                error = format!("{source:#}"),
                "request failed"
            );
        }
        let mut details = ErrorDetails::new();
        details.set_error_info(
            err.reason.as_str(),
            ERROR_DOMAIN,
            err.metadata
                .into_iter()
                .map(|(k, v)| (k, bounded(v, MAX_SENT_TEXT)))
                .collect::<std::collections::HashMap<_, _>>(),
        );
        if let Some(delay) = err.retry_after {
            details.set_retry_info(Some(delay));
        }
        // The violations' words in the language the call asked for, where
        // it asked for one of the interface languages.
        let lang = crate::call::lang();
        if !err.violations.is_empty() {
            let violations = err
                .violations
                .into_iter()
                .map(|v| {
                    let localized = lang.and_then(|l| {
                        v.in_lang(l).map(|text| tonic_types::LocalizedMessage {
                            locale: l.tag().to_owned(),
                            message: bounded(text.to_owned(), MAX_SENT_TEXT),
                        })
                    });
                    tonic_types::FieldViolation {
                        field: bounded(v.field, MAX_SENT_TEXT),
                        description: bounded(v.description, MAX_SENT_TEXT),
                        reason: v.code,
                        localized_message: localized,
                    }
                })
                .collect::<Vec<_>>();
            details.set_bad_request(violations);
        }
        Status::with_error_details(code, bounded(err.message, MAX_SENT_TEXT), details)
    }
}

#[cfg(test)]
mod reason_words {
    use super::Reason;

    /// The pages name every reason in the operator's language: English
    /// defines the keys of `web/src/i18n.ts`, and its compiler makes the
    /// Russian and Uzbek tables hold each of them.
    #[test]
    fn every_reason_has_its_words_in_the_pages_three_languages() {
        let texts = include_str!("../web/src/i18n.ts");
        let missing: Vec<&str> = Reason::ALL
            .iter()
            .map(|r| r.as_str())
            .filter(|code| texts.matches(&format!("\"reason.{code}\":")).count() != 3)
            .collect();
        assert!(
            missing.is_empty(),
            "reasons without words in en, ru and uz: {missing:?}"
        );
    }
}
