//! The badge QR token: what a badge's QR code says, signed so that a gate
//! can check it with the event's public key alone. `docs/qr-format.md` is
//! the normative description; this module is its implementation.
//!
//! Text form: `EP1:` followed by the Base45 encoding of 94 bytes, a 30-byte
//! body (big-endian fields) and the 64-byte Ed25519 signature of the body.

use chrono::NaiveDate;
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use sha2::{Digest as _, Sha256};

use crate::ids::EventId;

/// Text before the Base45 part. Base45 letters, so the whole token stays in
/// the QR alphanumeric mode.
pub const PREFIX: &str = "EP1:";
/// The first byte of the body.
pub const FORMAT_VERSION: u8 = 1;
/// Length of the signed body.
pub const BODY_LEN: usize = 30;
/// Length of an Ed25519 signature.
pub const SIGNATURE_LEN: usize = 64;
/// Length of the whole binary token.
pub const TOKEN_LEN: usize = BODY_LEN + SIGNATURE_LEN;
// The design's budget: at most 120 bytes before encoding.
const _: () = assert!(TOKEN_LEN <= 120);

/// Zones a token can name: one bit each.
pub const MAX_ZONES: u8 = 64;
/// Days a token can name: one bit each, from its first day.
pub const MAX_DAYS: i64 = 32;

/// What a badge token asserts. No personal data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadgeClaims {
    /// Id of the signing key (unique across events).
    pub key_id: u32,
    /// The event, as its 32-bit tag (`event_tag`).
    pub event_tag: u32,
    /// Badge serial: the printed badge number.
    pub serial: u32,
    /// Badge version: 1, then +1 per reprint.
    pub version: u16,
    /// Category number within the event (1..=255).
    pub category: u8,
    /// Allowed zones: bit `n - 1` set for zone number `n`.
    pub zones: u64,
    /// The day bit 0 of `days` stands for.
    pub first_day: NaiveDate,
    /// Valid days: bit `i` set for `first_day + i`.
    pub days: u32,
}

/// Why a token text was refused before any key was looked up, or by its key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("not an Expopass badge (prefix)")]
    Prefix,
    #[error("not Base45")]
    Encoding,
    #[error("wrong length")]
    Length,
    #[error("unknown format version")]
    Version,
    #[error("field out of range")]
    Field,
    #[error("signature does not verify")]
    BadSignature,
}

/// The 32-bit tag that stands for an event in tokens: the first four bytes
/// (big-endian) of SHA-256 over the event id's 16 bytes.
pub fn event_tag(event_id: EventId) -> u32 {
    let digest = Sha256::digest(event_id.0.as_bytes());
    u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]])
}

const EPOCH: NaiveDate = NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid date");

fn day_number(day: NaiveDate) -> Option<u16> {
    u16::try_from(day.signed_duration_since(EPOCH).num_days()).ok()
}

impl BadgeClaims {
    /// Valid-day bits for `days`, counted from the earliest of them. `None`
    /// when they span more than `MAX_DAYS` or lie outside the encodable
    /// range. An empty list gives no valid day at all.
    pub fn day_bits(days: &[NaiveDate]) -> Option<(NaiveDate, u32)> {
        let Some(first) = days.iter().min().copied() else {
            return Some((EPOCH, 0));
        };
        day_number(first)?;
        let mut bits = 0u32;
        for day in days {
            let offset = day.signed_duration_since(first).num_days();
            if offset >= MAX_DAYS {
                return None;
            }
            bits |= 1 << offset;
        }
        Some((first, bits))
    }

    /// Whether the badge is valid on `day`.
    pub fn valid_on(&self, day: NaiveDate) -> bool {
        let offset = day.signed_duration_since(self.first_day).num_days();
        (0..MAX_DAYS).contains(&offset) && self.days & (1 << offset) != 0
    }

    /// Whether the category may enter zone `number`.
    pub fn zone_allowed(&self, number: u8) -> bool {
        (1..=MAX_ZONES).contains(&number) && self.zones & (1 << (number - 1)) != 0
    }

    /// The valid days, in order.
    pub fn valid_days(&self) -> Vec<NaiveDate> {
        (0..MAX_DAYS)
            .filter(|i| self.days & (1 << i) != 0)
            .filter_map(|i| self.first_day.checked_add_signed(chrono::Duration::days(i)))
            .collect()
    }

    /// The signed body. `None` when the first day cannot be encoded.
    pub fn body(&self) -> Option<[u8; BODY_LEN]> {
        let mut body = [0u8; BODY_LEN];
        body[0] = FORMAT_VERSION;
        body[1..5].copy_from_slice(&self.key_id.to_be_bytes());
        body[5..9].copy_from_slice(&self.event_tag.to_be_bytes());
        body[9..13].copy_from_slice(&self.serial.to_be_bytes());
        body[13..15].copy_from_slice(&self.version.to_be_bytes());
        body[15] = self.category;
        body[16..24].copy_from_slice(&self.zones.to_be_bytes());
        body[24..26].copy_from_slice(&day_number(self.first_day)?.to_be_bytes());
        body[26..30].copy_from_slice(&self.days.to_be_bytes());
        Some(body)
    }

    fn from_body(body: &[u8; BODY_LEN]) -> Result<Self, TokenError> {
        if body[0] != FORMAT_VERSION {
            return Err(TokenError::Version);
        }
        let u32_at =
            |i: usize| u32::from_be_bytes([body[i], body[i + 1], body[i + 2], body[i + 3]]);
        let days_since_epoch = u16::from_be_bytes([body[24], body[25]]);
        let first_day = EPOCH
            .checked_add_signed(chrono::Duration::days(i64::from(days_since_epoch)))
            .ok_or(TokenError::Field)?;
        let claims = Self {
            key_id: u32_at(1),
            event_tag: u32_at(5),
            serial: u32_at(9),
            version: u16::from_be_bytes([body[13], body[14]]),
            category: body[15],
            zones: u64::from_be_bytes([
                body[16], body[17], body[18], body[19], body[20], body[21], body[22], body[23],
            ]),
            first_day,
            days: u32_at(26),
        };
        if claims.version == 0 || claims.category == 0 || claims.serial == 0 {
            return Err(TokenError::Field);
        }
        Ok(claims)
    }

    /// Signs the claims: the token text for the QR. `None` when the first
    /// day cannot be encoded.
    pub fn sign(&self, key: &SigningKey) -> Option<String> {
        let body = self.body()?;
        let signature = key.sign(&body).to_bytes();
        let mut token = [0u8; TOKEN_LEN];
        token[..BODY_LEN].copy_from_slice(&body);
        token[BODY_LEN..].copy_from_slice(&signature);
        let mut text = String::with_capacity(PREFIX.len() + TOKEN_LEN * 3 / 2);
        text.push_str(PREFIX);
        text.push_str(&base45::encode(token));
        Some(text)
    }
}

/// A token read from its text: the claims and the signature, not yet
/// checked against a key.
#[derive(Debug, Clone)]
pub struct ParsedToken {
    pub claims: BadgeClaims,
    body: [u8; BODY_LEN],
    signature: Signature,
}

impl ParsedToken {
    /// Reads a token text. Checks the form only; `verify` checks the
    /// signature.
    /// The token in what a reader delivered: whitespace around it dropped
    /// (a keyboard-wedge scanner's CR, LF or Tab, a leading space). A token
    /// never begins or ends with whitespace: it begins with `EP1:`, and its
    /// last Base45 letter encodes at most 32 (`W`), never the space (36).
    pub fn scanned(text: &str) -> &str {
        text.trim()
    }

    pub fn parse(text: &str) -> Result<Self, TokenError> {
        let encoded = text.strip_prefix(PREFIX).ok_or(TokenError::Prefix)?;
        // A token is 141 Base45 letters; refuse long input before decoding.
        if encoded.len() != TOKEN_LEN / 2 * 3 {
            return Err(TokenError::Length);
        }
        let bytes = base45::decode(encoded).map_err(|_| TokenError::Encoding)?;
        let token: &[u8; TOKEN_LEN] = bytes
            .as_slice()
            .try_into()
            .map_err(|_| TokenError::Length)?;
        let mut body = [0u8; BODY_LEN];
        body.copy_from_slice(&token[..BODY_LEN]);
        let mut signature = [0u8; SIGNATURE_LEN];
        signature.copy_from_slice(&token[BODY_LEN..]);
        Ok(Self {
            claims: BadgeClaims::from_body(&body)?,
            body,
            signature: Signature::from_bytes(&signature),
        })
    }

    /// Checks the signature with the key the token names.
    pub fn verify(&self, key: &VerifyingKey) -> Result<(), TokenError> {
        key.verify_strict(&self.body, &self.signature)
            .map_err(|_| TokenError::BadSignature)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn key(seed: u8) -> SigningKey {
        SigningKey::from_bytes(&[seed; 32])
    }

    fn claims() -> BadgeClaims {
        let first = NaiveDate::from_ymd_opt(2026, 4, 14).unwrap();
        let (first_day, days) = BadgeClaims::day_bits(&[
            first,
            first.succ_opt().unwrap(),
            first.succ_opt().unwrap().succ_opt().unwrap(),
        ])
        .unwrap();
        BadgeClaims {
            key_id: 0x1234_abcd,
            event_tag: event_tag(EventId(Uuid::from_u128(7))),
            serial: 1042,
            version: 2,
            category: 3,
            zones: 0b1011,
            first_day,
            days,
        }
    }

    /// The test vector of `docs/qr-format.md`.
    fn vector() -> (SigningKey, BadgeClaims) {
        let seed: [u8; 32] = std::array::from_fn(|i| i as u8);
        let event = EventId(Uuid::parse_str("0192f5a0-7c3e-7b1a-9d4e-5f6a7b8c9d0e").unwrap());
        let claims = BadgeClaims {
            key_id: 0x5ca1_ab1e,
            event_tag: event_tag(event),
            serial: 1042,
            version: 2,
            category: 3,
            zones: 0b0000_0101,
            first_day: NaiveDate::from_ymd_opt(2026, 4, 14).unwrap(),
            days: 0b111,
        };
        (SigningKey::from_bytes(&seed), claims)
    }

    #[test]
    fn the_documented_test_vector_holds() {
        let (key, claims) = vector();
        assert_eq!(
            hex::encode(key.verifying_key().to_bytes()),
            "03a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8"
        );
        assert_eq!(claims.event_tag, 0x368a_1565);
        assert_eq!(
            hex::encode(claims.body().unwrap()),
            "015ca1ab1e368a1565000004120002030000000000000005504d00000007"
        );
        let text = claims.sign(&key).unwrap();
        assert_eq!(text, VECTOR_TEXT);
        let parsed = ParsedToken::parse(VECTOR_TEXT).unwrap();
        assert_eq!(parsed.claims, claims);
        parsed.verify(&key.verifying_key()).unwrap();
    }

    const VECTOR_TEXT: &str = "EP1:X70WJK* 3OKHQYC400IC2KB0000000000500$6A000700K377RR*MNZ$E.L9 MRUQN.7110D36J$AS7MNEX4PJIA6G R3W/R+ZKGZ96DNKLD$VITC16SU7W0Y7F23F-$K+ 3%KP0HC+8H";

    #[test]
    fn round_trip() {
        let claims = claims();
        let text = claims.sign(&key(1)).unwrap();
        assert!(text.starts_with(PREFIX));
        assert_eq!(text.len(), PREFIX.len() + 141);
        let parsed = ParsedToken::parse(&text).unwrap();
        assert_eq!(parsed.claims, claims);
        parsed.verify(&key(1).verifying_key()).unwrap();
        assert!(
            parsed
                .claims
                .valid_on(NaiveDate::from_ymd_opt(2026, 4, 16).unwrap())
        );
        assert!(
            !parsed
                .claims
                .valid_on(NaiveDate::from_ymd_opt(2026, 4, 17).unwrap())
        );
        assert!(
            !parsed
                .claims
                .valid_on(NaiveDate::from_ymd_opt(2026, 4, 13).unwrap())
        );
        assert!(parsed.claims.zone_allowed(1) && parsed.claims.zone_allowed(4));
        assert!(!parsed.claims.zone_allowed(3) && !parsed.claims.zone_allowed(0));
        assert_eq!(parsed.claims.valid_days().len(), 3);
    }

    #[test]
    fn a_token_fits_the_size_budget_and_a_version_8_qr_at_level_m() {
        let text = claims().sign(&key(1)).unwrap();
        let code = qrcode::QrCode::with_error_correction_level(text.as_bytes(), qrcode::EcLevel::M)
            .unwrap();
        match code.version() {
            qrcode::Version::Normal(v) => assert!(v <= 8, "version {v}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn every_single_bit_flip_is_refused() {
        let text = claims().sign(&key(1)).unwrap();
        let bytes = base45::decode(&text[PREFIX.len()..]).unwrap();
        let public = key(1).verifying_key();
        for bit in 0..bytes.len() * 8 {
            let mut flipped = bytes.clone();
            flipped[bit / 8] ^= 1 << (bit % 8);
            let forged = format!("{PREFIX}{}", base45::encode(&flipped));
            let outcome = ParsedToken::parse(&forged).and_then(|t| t.verify(&public));
            assert!(outcome.is_err(), "bit {bit} flipped still verifies");
        }
    }

    #[test]
    fn wrong_key_truncated_and_garbage_are_refused() {
        let text = claims().sign(&key(1)).unwrap();
        let parsed = ParsedToken::parse(&text).unwrap();
        assert_eq!(
            parsed.verify(&key(2).verifying_key()),
            Err(TokenError::BadSignature)
        );
        assert_eq!(
            ParsedToken::parse(&text[..text.len() - 3]).unwrap_err(),
            TokenError::Length
        );
        assert_eq!(ParsedToken::parse("").unwrap_err(), TokenError::Prefix);
        assert_eq!(
            ParsedToken::parse("https://example.com").unwrap_err(),
            TokenError::Prefix
        );
        let garbage = format!("{PREFIX}{}", "~".repeat(141));
        assert_eq!(
            ParsedToken::parse(&garbage).unwrap_err(),
            TokenError::Encoding
        );
    }

    #[test]
    fn days_beyond_the_window_do_not_encode() {
        let first = NaiveDate::from_ymd_opt(2026, 4, 1).unwrap();
        let late = first + chrono::Duration::days(MAX_DAYS);
        assert!(BadgeClaims::day_bits(&[first, late]).is_none());
        assert!(BadgeClaims::day_bits(&[first, late - chrono::Duration::days(1)]).is_some());
    }

    proptest::proptest! {
        #[test]
        fn parsing_never_panics(s in "\\PC{0,300}") {
            let _ = ParsedToken::parse(&s);
        }

        #[test]
        fn parsing_base45_noise_never_panics(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..120)) {
            let text = format!("{PREFIX}{}", base45::encode(&bytes));
            if let Ok(token) = ParsedToken::parse(&text) {
                let _ = token.verify(&key(1).verifying_key());
            }
        }
    }
}
