//! Enrolling a device: an organiser makes a one-time code with a token's
//! scope; the device exchanges it once for a token of its own, so nobody
//! copies a token by hand.
//!
//! - A code is 16 characters of a 30-letter alphabet without look-alikes
//!   (78 bits), shown as `ABCD-EFGH-JKMN-PQRS`; only its hash is stored.
//! - It works once and until it expires.
//! - A source (IP address) that fails [`MAX_FAILURES`] times within
//!   [`LOCK_WINDOW`] is refused until the window has passed, so codes
//!   cannot be guessed; the count is per instance.

use std::{
    collections::HashMap,
    net::IpAddr,
    sync::Mutex,
    time::{Duration, Instant},
};

use chrono::{DateTime, Utc};

use super::records::audit_row;
use super::{
    NewToken, Principal, Role, Services, TokenSpec, ids::TokenId, secrets, validate::Validator,
};
use crate::words::Violation;
use crate::{
    db::{self, enrolment::EnrolmentCode},
    error::{AppError, AppResult, ErrorKind, Reason},
};

/// Letters of a code: no 0/O, 1/I/L, U.
const ALPHABET: &[u8; 30] = b"ABCDEFGHJKMNPQRSTVWXYZ23456789";
/// Letters in a code.
const CODE_LEN: usize = 16;
/// Failed attempts a source may make within [`LOCK_WINDOW`].
pub const MAX_FAILURES: u32 = 5;
/// How long failures count, and how long a locked source waits.
pub const LOCK_WINDOW: Duration = Duration::from_secs(15 * 60);
/// Longest life of a code.
const MAX_TTL: Duration = Duration::from_secs(7 * 24 * 3600);

/// A code to make: the token's name, role and scope, and how long the code
/// works.
#[derive(Debug, Clone)]
pub struct NewEnrolment {
    pub token: NewToken,
    pub ttl: Duration,
}

impl NewEnrolment {
    /// The code checked as far as it can be without the database (the
    /// token's checks, and a life of 1 second to 7 days): every violation
    /// at once.
    pub fn check(self) -> AppResult<EnrolmentSpec> {
        let mut v = Validator::new();
        let token = self.token.check_into(&mut v);
        if self.ttl.is_zero() || self.ttl > MAX_TTL {
            v.violation("ttl", Violation::TtlOutOfRange);
        }
        v.finish()?;
        Ok(EnrolmentSpec {
            token,
            ttl: self.ttl,
        })
    }
}

/// A code to make, checked (`NewEnrolment::check`).
#[derive(Debug, Clone)]
pub struct EnrolmentSpec {
    token: TokenSpec,
    ttl: Duration,
}

/// Failed attempts per source.
#[derive(Default)]
pub struct EnrolmentGuard {
    failures: Mutex<HashMap<IpAddr, (u32, Instant)>>,
}

impl EnrolmentGuard {
    fn locked(&self, source: Option<IpAddr>) -> bool {
        let Some(source) = source else { return false };
        let Ok(failures) = self.failures.lock() else {
            return true;
        };
        failures
            .get(&source)
            .is_some_and(|(n, since)| *n >= MAX_FAILURES && since.elapsed() < LOCK_WINDOW)
    }

    fn failed(&self, source: Option<IpAddr>) {
        let Some(source) = source else { return };
        if let Ok(mut failures) = self.failures.lock() {
            if failures.len() > 10_000 {
                failures.retain(|_, (_, since)| since.elapsed() < LOCK_WINDOW);
            }
            let entry = failures.entry(source).or_insert((0, Instant::now()));
            if entry.1.elapsed() >= LOCK_WINDOW {
                *entry = (0, Instant::now());
            }
            entry.0 += 1;
        }
    }
}

/// A new code's text.
fn new_code() -> AppResult<String> {
    let mut bytes = [0u8; CODE_LEN];
    getrandom::fill(&mut bytes).map_err(|e| AppError::internal(anyhow::anyhow!("{e}")))?;
    let mut out = String::with_capacity(CODE_LEN + 3);
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 && i % 4 == 0 {
            out.push('-');
        }
        // 256 is not a multiple of 30: redraw the few biased bytes.
        let mut b = *b;
        while b >= 240 {
            let mut one = [0u8; 1];
            getrandom::fill(&mut one).map_err(|e| AppError::internal(anyhow::anyhow!("{e}")))?;
            b = one[0];
        }
        out.push(char::from(ALPHABET[usize::from(b) % ALPHABET.len()]));
    }
    Ok(out)
}

/// A code as typed or scanned: case, spaces and dashes do not matter.
fn normalized(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

impl Services {
    /// Makes a one-time enrolment code; returns its text (shown once) and
    /// when it expires. Audited.
    pub async fn create_enrolment(
        &self,
        actor: Option<&Principal>,
        enrolment: EnrolmentSpec,
    ) -> AppResult<(String, DateTime<Utc>)> {
        let EnrolmentSpec { token, ttl } = enrolment;
        let mut conn = self.db.get().await?;
        let (event_id, gate_ids) = self.token_scope(&mut conn, actor, &token).await?;
        let name = token.name.clone();
        let text = new_code()?;
        let now = super::now();
        let expires_at = now + chrono::Duration::from_std(ttl).map_err(AppError::internal)?;
        let row = EnrolmentCode {
            id: uuid::Uuid::now_v7(),
            code_hash: secrets::token_hash(&normalized(&text)),
            name,
            role: token.role.as_str().to_owned(),
            event_id,
            gate_ids,
            created_by: actor.map(|a| a.token_id),
            created_at: now,
            expires_at,
            used_at: None,
            token_id: None,
        };
        let entry = audit_row(
            &row.created_by,
            "enrolment.create",
            "enrolment_code",
            row.id,
            "",
        );
        crate::domain::transaction(&mut conn, async move |conn| {
            db::enrolment::insert(conn, &row).await?;
            db::audit::record(conn, &entry).await?;
            Ok(())
        })
        .await?;
        Ok((text, expires_at))
    }

    /// Exchanges a code for a token of its scope, named after the code and
    /// the device; returns the token's id and text. `source` is the
    /// caller's address, for the lock after failed attempts; `expected` the
    /// roles the device takes (any when empty: a code of another role is
    /// refused and not spent). Audited.
    pub async fn enroll(
        &self,
        source: Option<IpAddr>,
        code: &str,
        device_name: &str,
        expected: Vec<Role>,
    ) -> AppResult<(TokenId, String, Role)> {
        if self.enrolment.locked(source) {
            return Err(AppError::new(
                ErrorKind::ResourceExhausted,
                Reason::EnrolmentLocked,
                "too many failed enrolment attempts from this address: wait 15 minutes",
            ));
        }
        let mut v = Validator::new();
        let device = v.optional_text("device_name", device_name, 200);
        let typed = normalized(code);
        if typed.is_empty() {
            v.violation("code", Violation::Required);
        }
        v.finish()?;
        let hash = secrets::token_hash(&typed);
        let mut conn = self.db.get().await?;
        let services = self.clone();
        let result = crate::domain::transaction(&mut conn, async move |conn| {
            let Some(found) = db::enrolment::lock_by_hash(conn, &hash).await? else {
                return Err(AppError::new(
                    ErrorKind::Unauthenticated,
                    Reason::EnrolmentCodeUnknown,
                    "no such enrolment code",
                ));
            };
            if found.used_at.is_some() {
                return Err(AppError::precondition(
                    Reason::EnrolmentCodeUsed,
                    "this enrolment code was used already: ask for a new one",
                ));
            }
            let now = super::now();
            if found.expires_at <= now {
                return Err(AppError::precondition(
                    Reason::EnrolmentCodeExpired,
                    "this enrolment code has expired: ask for a new one",
                ));
            }
            let role: Role = found
                .role
                .parse()
                .map_err(|e: String| AppError::internal(anyhow::anyhow!(e)))?;
            // A gate's code typed at a desk is not spent there.
            if !expected.is_empty() && !expected.contains(&role) {
                return Err(AppError::precondition(
                    Reason::EnrolmentRoleMismatch,
                    format!("this code is for a {} device", role.as_str()),
                ));
            }
            let name = if device.is_empty() {
                found.name.clone()
            } else {
                format!("{} ({device})", found.name)
            };
            let (id, text) = services
                .insert_token(
                    conn,
                    found.created_by,
                    &name,
                    role,
                    found.event_id,
                    found.gate_ids.clone(),
                    None,
                )
                .await?;
            db::enrolment::mark_used(conn, found.id, id, now).await?;
            db::audit::record(
                conn,
                &audit_row(
                    &found.created_by,
                    "enrolment.use",
                    "enrolment_code",
                    found.id,
                    "",
                ),
            )
            .await?;
            Ok((id, text, role))
        })
        .await;
        if let Err(e) = &result
            && matches!(
                e.reason,
                Reason::EnrolmentCodeUnknown
                    | Reason::EnrolmentCodeUsed
                    | Reason::EnrolmentCodeExpired
            )
        {
            self.enrolment.failed(source);
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_long_grouped_and_read_back_however_typed() {
        let code = new_code().unwrap();
        assert_eq!(code.len(), CODE_LEN + 3);
        assert_eq!(code.split('-').count(), 4);
        assert!(normalized(&code).bytes().all(|b| ALPHABET.contains(&b)));
        assert_eq!(
            normalized(&code.to_lowercase().replace('-', " ")),
            normalized(&code)
        );
        // 30^16 > 2^64.
        assert!((CODE_LEN as f64) * (ALPHABET.len() as f64).log2() > 64.0);
        assert_ne!(new_code().unwrap(), code);
    }

    #[test]
    fn a_source_locks_after_its_failures_and_others_do_not() {
        let guard = EnrolmentGuard::default();
        let a: IpAddr = "10.0.0.7".parse().unwrap();
        let b: IpAddr = "10.0.0.8".parse().unwrap();
        for _ in 0..MAX_FAILURES {
            assert!(!guard.locked(Some(a)));
            guard.failed(Some(a));
        }
        assert!(guard.locked(Some(a)));
        assert!(!guard.locked(Some(b)));
    }
}
