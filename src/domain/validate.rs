//! Field validation that collects every violation of a request before
//! failing, so a desk sees all its mistakes at once.

use chrono::NaiveDate;
use unicode_normalization::{IsNormalized, UnicodeNormalization as _, is_nfc_quick};
use uuid::Uuid;

use crate::{
    error::{AppError, AppResult, FieldViolation},
    words::Violation,
};

/// Longest name or title, in characters.
pub(crate) const MAX_NAME: usize = 200;

#[derive(Debug, Default)]
pub(crate) struct Validator {
    prefix: String,
    violations: Vec<FieldViolation>,
}

impl Validator {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Field paths below `prefix` (e.g. "participant.").
    pub(crate) fn with_prefix(prefix: &str) -> Self {
        Self {
            prefix: prefix.to_owned(),
            violations: Vec::new(),
        }
    }

    pub(crate) fn violation(&mut self, field: &str, violation: Violation) {
        self.violations.push(FieldViolation::new(
            format!("{}{field}", self.prefix),
            &violation,
        ));
    }

    /// Violations found elsewhere (their paths already whole).
    pub(crate) fn extend(&mut self, found: impl IntoIterator<Item = FieldViolation>) {
        self.violations.extend(found);
    }

    pub(crate) fn finish(self) -> AppResult<()> {
        if self.violations.is_empty() {
            Ok(())
        } else {
            Err(AppError::invalid_fields(self.violations))
        }
    }

    /// A gate's nonce for a scan: 1 to 64 characters, trimmed.
    pub(crate) fn nonce(&mut self, field: &str, value: &str) -> Option<String> {
        let nonce = value.trim();
        if nonce.is_empty() || nonce.chars().count() > 64 {
            self.violation(field, Violation::NotANonce);
            return None;
        }
        Some(nonce.to_owned())
    }

    /// Ends validation with the values parsed along the way: every
    /// violation in one error, or the values. A value missing without a
    /// violation recorded is a fault of the caller, never a stand-in.
    pub(crate) fn finish_with<T>(self, parsed: Option<T>) -> AppResult<T> {
        self.finish()?;
        parsed.ok_or_else(|| {
            AppError::internal(anyhow::anyhow!("a field was refused without a violation"))
        })
    }

    pub(crate) fn into_violations(self) -> Vec<FieldViolation> {
        self.violations
    }

    /// Free text that must be given: trimmed, NFC, no control characters,
    /// at most `max` characters.
    pub(crate) fn required_text(&mut self, field: &str, value: &str, max: usize) -> String {
        let value = self.optional_text(field, value, max);
        if value.is_empty() {
            self.violation(field, Violation::Required);
        }
        value
    }

    /// Free text that may be empty: trimmed, NFC, no control characters,
    /// at most `max` characters.
    pub(crate) fn optional_text(&mut self, field: &str, value: &str, max: usize) -> String {
        let value = nfc(value.trim());
        if value.chars().count() > max {
            self.violation(field, Violation::TooLong { max });
        }
        if value.chars().any(char::is_control) {
            self.violation(field, Violation::ControlCharacters);
        }
        value
    }

    /// A person's name that must be given, in any script.
    pub(crate) fn required_name(&mut self, field: &str, value: &str) -> String {
        let value = self.required_text(field, value, MAX_NAME);
        self.letters(field, &value);
        value
    }

    /// A person's name that may be empty, in any script.
    pub(crate) fn optional_name(&mut self, field: &str, value: &str) -> String {
        let value = self.optional_text(field, value, MAX_NAME);
        self.letters(field, &value);
        value
    }

    /// A name, when given, has letters.
    fn letters(&mut self, field: &str, value: &str) {
        if !value.is_empty() && !value.chars().any(char::is_alphabetic) {
            self.violation(field, Violation::NoLetters);
        }
    }

    /// A code: 1 to 32 of A-Z, 0-9, '-', '_' (upper-cased).
    pub(crate) fn code(&mut self, field: &str, value: &str) -> String {
        let value = value.trim().to_uppercase();
        let ok = (1..=32).contains(&value.len())
            && value
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-' || c == '_');
        if !ok {
            self.violation(field, Violation::NotACode);
        }
        value
    }

    /// ISO 3166-1 alpha-2, upper-cased.
    pub(crate) fn country(&mut self, field: &str, value: &str) -> String {
        let value = value.trim().to_uppercase();
        if isocountry::CountryCode::for_alpha2(&value).is_err() {
            self.violation(field, Violation::NotACountry);
        }
        value
    }

    /// Optional email address (kept as typed, trimmed).
    pub(crate) fn email(&mut self, field: &str, value: &str) -> String {
        let value = value.trim().to_owned();
        if !value.is_empty()
            && (value.len() > 254 || !email_address::EmailAddress::is_valid(&value))
        {
            self.violation(field, Violation::NotAnEmail);
        }
        value
    }

    /// Optional phone: digits, an optional leading '+', spaces, dashes,
    /// dots and parentheses; 5 to 20 digits.
    pub(crate) fn phone(&mut self, field: &str, value: &str) -> String {
        let value = value.trim().to_owned();
        if value.is_empty() {
            return value;
        }
        let body = value.strip_prefix('+').unwrap_or(&value);
        let digits = body.chars().filter(char::is_ascii_digit).count();
        let allowed = body
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '-' | '.' | '(' | ')'));
        if !allowed || !(5..=20).contains(&digits) {
            self.violation(field, Violation::NotAPhone);
        }
        value
    }

    /// Optional travel document number: 5 to 20 letters or digits once
    /// spaces and dashes are removed. The value never appears in the message.
    pub(crate) fn travel_document(&mut self, field: &str, normalized: &str) {
        if normalized.is_empty() {
            return;
        }
        let ok = (5..=20).contains(&normalized.chars().count())
            && normalized.chars().all(|c| c.is_ascii_alphanumeric());
        if !ok {
            self.violation(field, Violation::NotADocument);
        }
    }

    /// A required id, typed as the caller needs it (`EventId`, `Uuid`...).
    pub(crate) fn id<T: From<Uuid>>(&mut self, field: &str, value: &str) -> Option<T> {
        match Uuid::parse_str(value.trim()) {
            Ok(id) => Some(T::from(id)),
            Err(_) if value.trim().is_empty() => {
                self.violation(field, Violation::Required);
                None
            }
            Err(_) => {
                self.violation(field, Violation::NotAUuid);
                None
            }
        }
    }

    /// An optional id: empty means none.
    pub(crate) fn optional_id<T: From<Uuid>>(&mut self, field: &str, value: &str) -> Option<T> {
        if value.trim().is_empty() {
            None
        } else {
            self.id(field, value)
        }
    }

    /// A "YYYY-MM-DD" date.
    pub(crate) fn date(&mut self, field: &str, value: &str) -> Option<NaiveDate> {
        match NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d") {
            Ok(d) => Some(d),
            Err(_) => {
                self.violation(field, Violation::NotADate);
                None
            }
        }
    }

    /// "#RRGGBB", upper-cased.
    pub(crate) fn color(&mut self, field: &str, value: &str) -> String {
        let value = value.trim().to_uppercase();
        let ok = value.len() == 7
            && value.starts_with('#')
            && value[1..].chars().all(|c| c.is_ascii_hexdigit());
        if !ok {
            self.violation(field, Violation::NotAColor);
        }
        value
    }

    /// An idempotency key: 1 to 128 printable ASCII characters.
    pub(crate) fn request_id(&mut self, field: &str, value: &str) -> String {
        let ok = (1..=128).contains(&value.len()) && value.chars().all(|c| c.is_ascii_graphic());
        if !ok {
            self.violation(field, Violation::NotARequestId);
        }
        value.to_owned()
    }
}

/// The NFC form of a text; most input already is (ASCII always is), and
/// the quick check spares composing it again.
pub(crate) fn nfc(value: &str) -> String {
    if value.is_ascii() || is_nfc_quick(value.chars()) == IsNormalized::Yes {
        value.to_owned()
    } else {
        value.nfc().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collects_every_violation() {
        let mut v = Validator::with_prefix("participant.");
        v.required_name("given_name", "");
        v.country("country", "XX");
        v.email("email", "not-an-email");
        v.phone("phone", "+998 71 123 45 67");
        let fields: Vec<String> = v.into_violations().into_iter().map(|x| x.field).collect();
        assert_eq!(
            fields,
            [
                "participant.given_name",
                "participant.country",
                "participant.email"
            ]
        );
    }

    #[test]
    fn names_in_any_script_pass() {
        let mut v = Validator::new();
        for name in ["Oʻktam", "Ғайратжон", "王伟", "محمد", "Nguyễn", "ვახტანგ"]
        {
            v.required_name("n", name);
        }
        v.required_name("n", &"a".repeat(201));
        assert_eq!(v.into_violations().len(), 1);
    }
}
