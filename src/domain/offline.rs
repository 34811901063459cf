//! Gate decisions that need no database: the rules of an event (keys,
//! revocations, blocks, categories, zones, time zone), read from an offline
//! bundle or built by the server, and the ordered checks of a scan.
//! `expopass verify` and gates deciding alone both call `decide`.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use ed25519_dalek::VerifyingKey;
use prost::Message as _;
use uuid::Uuid;

use super::qr::{BadgeClaims, ParsedToken};
use crate::{
    ids::EventId,
    proto::pb,
    vocab::{DenyReason, Direction},
};

/// A category as a gate shows it.
#[derive(Debug, Clone)]
pub struct CategoryRule {
    pub code: String,
    pub name: String,
    pub color: String,
}

/// A zone as tokens name it.
#[derive(Debug, Clone)]
pub struct ZoneRule {
    pub number: u8,
    pub code: String,
    pub name: String,
    pub parent: Option<u8>,
    pub capacity: u32,
}

/// What an online gate shows of a holder on ALLOW, as the event allows.
/// Bundles carry none of it: read from a bundle, it shows nothing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GateDisplay {
    pub names: bool,
    pub photos: bool,
}

/// What deciding a scan of one event takes.
#[derive(Debug, Clone)]
pub struct Rules {
    pub event_id: EventId,
    pub event_code: String,
    pub event_name: String,
    pub event_tag: u32,
    pub time_zone: Tz,
    pub keys: HashMap<u32, VerifyingKey>,
    /// (serial, version) of revoked badges.
    pub revoked: HashSet<(u32, u16)>,
    /// Serials of blocked badges.
    pub blocked: HashSet<u32>,
    pub categories: HashMap<u8, CategoryRule>,
    pub zones: Vec<ZoneRule>,
    pub version: u64,
    pub display: GateDisplay,
}

/// The outcome of the checks: the claims when the token could be read, and
/// the first failed check, if any.
#[derive(Debug, Clone)]
pub struct Verdict {
    pub claims: Option<BadgeClaims>,
    pub deny: Option<DenyReason>,
}

impl Verdict {
    pub fn allowed(&self) -> bool {
        self.deny.is_none()
    }
}

/// Runs the checks that need no presence data, in the design's order:
/// malformed, unknown key, bad signature, wrong event, revoked, blocked,
/// not valid today (in the event's time zone), zone not allowed. Zone full
/// and already inside are the online server's to add.
pub fn decide(rules: &Rules, qr_text: &str, zone: Option<u8>, at: DateTime<Utc>) -> Verdict {
    let deny = |claims: Option<BadgeClaims>, reason| Verdict {
        claims,
        deny: Some(reason),
    };
    let token = match ParsedToken::parse(ParsedToken::scanned(qr_text)) {
        Ok(token) => token,
        Err(_) => return deny(None, DenyReason::Malformed),
    };
    let claims = token.claims.clone();
    let Some(key) = rules.keys.get(&claims.key_id) else {
        return deny(Some(claims), DenyReason::UnknownKey);
    };
    if token.verify(key).is_err() {
        return deny(Some(claims), DenyReason::BadSignature);
    }
    if claims.event_tag != rules.event_tag {
        return deny(Some(claims), DenyReason::WrongEvent);
    }
    if rules.revoked.contains(&(claims.serial, claims.version)) {
        return deny(Some(claims), DenyReason::Revoked);
    }
    if rules.blocked.contains(&claims.serial) {
        return deny(Some(claims), DenyReason::Blocked);
    }
    let today = at.with_timezone(&rules.time_zone).date_naive();
    if !claims.valid_on(today) {
        return deny(Some(claims), DenyReason::NotValidToday);
    }
    if let Some(zone) = zone
        && !claims.zone_allowed(zone)
    {
        return deny(Some(claims), DenyReason::ZoneNotAllowed);
    }
    Verdict {
        claims: Some(claims),
        deny: None,
    }
}

/// The checks for one direction: an exit is refused only for the badge
/// itself (a token that cannot be read or trusted), never for days, zones,
/// revocations or blocks. Gates deciding alone and the server both use it.
pub fn decide_way(
    rules: &Rules,
    qr_text: &str,
    zone: Option<u8>,
    at: DateTime<Utc>,
    direction: Direction,
) -> Verdict {
    let verdict = decide(rules, qr_text, zone, at);
    match verdict.deny {
        Some(reason) if direction == Direction::Out && !reason.refuses_exit() => Verdict {
            claims: verdict.claims,
            deny: None,
        },
        _ => verdict,
    }
}

/// Why a bundle file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    #[error("not an offline bundle: {0}")]
    Decode(#[from] prost::DecodeError),
    #[error("bundle format {0} is not supported")]
    Format(u32),
    #[error("bundle field {0} is invalid")]
    Field(&'static str),
}

/// Current bundle format.
pub const BUNDLE_FORMAT: u32 = 1;

impl Rules {
    /// Reads a bundle (`OfflineBundle` bytes).
    pub fn from_bundle(bytes: &[u8]) -> Result<Rules, BundleError> {
        let b = pb::OfflineBundle::decode(bytes)?;
        if b.format != BUNDLE_FORMAT {
            return Err(BundleError::Format(b.format));
        }
        let mut keys = HashMap::new();
        for k in &b.keys {
            let bytes: [u8; 32] = k
                .public_key
                .as_slice()
                .try_into()
                .map_err(|_| BundleError::Field("keys.public_key"))?;
            let key = VerifyingKey::from_bytes(&bytes)
                .map_err(|_| BundleError::Field("keys.public_key"))?;
            keys.insert(k.key_id, key);
        }
        if b.revoked.len() % 6 != 0 {
            return Err(BundleError::Field("revoked"));
        }
        let revoked = b
            .revoked
            .chunks_exact(6)
            .map(|c| {
                (
                    u32::from_be_bytes([c[0], c[1], c[2], c[3]]),
                    u16::from_be_bytes([c[4], c[5]]),
                )
            })
            .collect();
        if b.blocked.len() % 4 != 0 {
            return Err(BundleError::Field("blocked"));
        }
        let blocked = b
            .blocked
            .chunks_exact(4)
            .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        let small = |n: u32, field| u8::try_from(n).map_err(|_| BundleError::Field(field));
        let mut categories = HashMap::new();
        for c in b.categories {
            categories.insert(
                small(c.number, "categories.number")?,
                CategoryRule {
                    code: c.code,
                    name: c.name,
                    color: c.color,
                },
            );
        }
        let mut zones = Vec::with_capacity(b.zones.len());
        for z in b.zones {
            zones.push(ZoneRule {
                number: small(z.number, "zones.number")?,
                code: z.code,
                name: z.name,
                parent: match z.parent_number {
                    0 => None,
                    n => Some(small(n, "zones.parent_number")?),
                },
                capacity: z.capacity,
            });
        }
        Ok(Rules {
            event_id: Uuid::parse_str(&b.event_id)
                .map(EventId)
                .map_err(|_| BundleError::Field("event_id"))?,
            event_code: b.event_code,
            event_name: b.event_name,
            event_tag: b.event_tag,
            time_zone: b
                .time_zone
                .parse()
                .map_err(|_| BundleError::Field("time_zone"))?,
            keys,
            revoked,
            blocked,
            categories,
            zones,
            version: b.version,
            display: GateDisplay::default(),
        })
    }

    /// The number of a zone code.
    pub fn zone_number(&self, code: &str) -> Option<u8> {
        self.zones.iter().find(|z| z.code == code).map(|z| z.number)
    }
}
