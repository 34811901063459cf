//! The desk's work: participants (`participants`), name search
//! (`search`), delegations (`delegations`) and organisations
//! (`organizations`); imports are `domain::import`. This module holds what
//! they share: checking a participant's fields, delegation seats, the
//! errors they answer with, audit rows and page tokens.

use serde::Serialize;

use super::{
    ids::{CategoryId, DelegationId, OrganizationId, ParticipantId},
    records::claim_or_replay,
    validate::Validator,
};
use crate::words::Violation;
use crate::{
    db::{self, Conn, models::Participant},
    error::{AppError, AppResult, Reason},
};

mod delegations;
mod organizations;
mod participants;
mod photos;
mod search;

pub use delegations::{DelegationUpdate, DelegationView, NewDelegation, QuotaInput, QuotaView};
pub use organizations::NewOrganization;
pub use participants::{ParticipantChanges, ParticipantInput, ParticipantView, Registration};
pub use photos::{BadgeState, DeskFacts};
pub use search::SearchInput;

/// A participant ready to insert.
pub(super) struct Prepared {
    pub(super) row: Participant,
    pub(super) email_lower: String,
}

/// A participant's fields as the edge parsed them (every field checked),
/// before the references to the event's categories, organisations and
/// delegations are resolved.
#[derive(Debug, Clone)]
pub struct ParticipantFields {
    pub given_name: String,
    pub family_name: String,
    pub native_name: String,
    pub organization_id: Option<OrganizationId>,
    pub country: String,
    pub job_title: String,
    /// Upper case, not empty.
    pub category_code: String,
    pub delegation_id: Option<DelegationId>,
    pub email: String,
    pub phone: String,
    /// Normalised (`DocumentVault::normalize`); empty when none.
    pub document: String,
    pub external_ref: String,
    /// Custom answers as given (checked against the event's fields when
    /// the references are resolved).
    pub answers: std::collections::BTreeMap<String, crate::domain::fields::answers::Given>,
}

/// A delegation's seats of one category: its quota, and how many of its
/// active members hold one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Seats {
    pub(crate) quota: i64,
    pub(crate) taken: i64,
}

impl Seats {
    /// Whether everyone who holds a seat has one: the one comparison of
    /// quotas, for a registration, a move, an import and a changed quota.
    pub(crate) fn hold(self) -> bool {
        self.taken <= self.quota
    }

    /// Takes one seat more, or refuses with `DELEGATION_QUOTA_EXCEEDED`
    /// (taking nothing).
    pub(crate) fn take(&mut self, category_code: &str) -> AppResult<()> {
        let after = Seats {
            taken: self.taken + 1,
            ..*self
        };
        if !after.hold() {
            return Err(quota_exceeded(category_code, self.quota));
        }
        *self = after;
        Ok(())
    }
}

/// Locks a delegation's row until the transaction ends and gives its seats
/// of a category: exact while the lock is held.
pub(super) async fn delegation_seats(
    conn: &mut Conn,
    delegation_id: DelegationId,
    category_id: CategoryId,
) -> AppResult<Seats> {
    db::registry::lock_delegations(conn, &[delegation_id]).await?;
    let quota = db::registry::quotas_of(conn, &[delegation_id])
        .await?
        .into_iter()
        .find(|q| q.category_id == category_id)
        .map_or(0, |q| i64::from(q.quota));
    let taken = db::participants::count_active_in(conn, delegation_id, category_id).await?;
    Ok(Seats { quota, taken })
}

pub(super) fn duplicate(existing: ParticipantId) -> AppError {
    AppError::already_exists(
        Reason::DuplicateParticipant,
        format!("participant {existing} already has this email or travel document in this event"),
    )
    .with_metadata("participant_id", existing.to_string())
}

/// A clash the database saw whose holder changed before it could be named
/// (cancelled or edited by a concurrent call).
pub(super) fn duplicate_unnamed() -> AppError {
    AppError::already_exists(
        Reason::DuplicateParticipant,
        "another participant of this event has this email, travel document or external_ref",
    )
}

fn quota_exceeded(category: &str, quota: i64) -> AppError {
    AppError::precondition(
        Reason::DelegationQuotaExceeded,
        format!("the delegation's quota for {category} ({quota}) is used up"),
    )
    .with_metadata("quota", quota.to_string())
    .with_metadata("category_code", category)
}

/// The page size a call asked for: `default` when 0, at most `max` (a
/// violation of `page_size` beyond).
fn page_size(v: &mut Validator, requested: u32, default: u32, max: u32) -> u32 {
    match requested {
        0 => default,
        n if n > max => {
            v.violation(
                "page_size",
                Violation::AtMost {
                    max: u64::from(max),
                },
            );
            max
        }
        n => n,
    }
}

/// One page out of `rows` fetched with one row more than `size`: the
/// extra row, when there, says a next page exists, whose token is the
/// keyset of the page's last row.
fn paged<R, K: Serialize>(mut rows: Vec<R>, size: u32, key: impl Fn(&R) -> K) -> (Vec<R>, String) {
    let size = usize::try_from(size).unwrap_or(usize::MAX);
    if rows.len() <= size {
        return (rows, String::new());
    }
    rows.truncate(size);
    let next = rows
        .last()
        .map(|last| encode_page_token(&key(last)))
        .unwrap_or_default();
    (rows, next)
}

/// Encodes the keyset of the last row of a page.
fn encode_page_token<T: Serialize>(key: &T) -> String {
    use base64::Engine as _;
    let json = serde_json::to_vec(key).unwrap_or_default();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json)
}

fn parse_page_token<T: serde::de::DeserializeOwned>(v: &mut Validator, token: &str) -> Option<T> {
    use base64::Engine as _;
    if token.is_empty() {
        return None;
    }
    let parsed = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok());
    if parsed.is_none() {
        v.violation("page_token", Violation::NotAPageToken);
    }
    parsed
}

#[cfg(test)]
mod tests {
    use super::{Seats, encode_page_token, page_size, paged, parse_page_token};
    use crate::{domain::validate::Validator, error::Reason};

    #[test]
    fn a_page_is_the_rows_asked_for_and_says_whether_more_follow() {
        let (page, next) = paged(vec![1, 2, 3], 3, |r| *r);
        assert_eq!((page, next), (vec![1, 2, 3], String::new()));
        // Fetched with one row more than the page: a next page exists,
        // and its token is the keyset of the page's last row.
        let (page, next) = paged(vec![1, 2, 3, 4], 3, |r| *r);
        assert_eq!(page, [1, 2, 3]);
        let mut v = Validator::new();
        assert_eq!(parse_page_token::<i32>(&mut v, &next), Some(3));
        assert!(v.into_violations().is_empty());
        assert_eq!(paged(Vec::<i32>::new(), 10, |r| *r).0, Vec::<i32>::new());
    }

    #[test]
    fn page_sizes_default_and_refuse_beyond_the_most() {
        let mut v = Validator::new();
        assert_eq!(page_size(&mut v, 0, 50, 200), 50);
        assert_eq!(page_size(&mut v, 7, 50, 200), 7);
        assert_eq!(page_size(&mut v, 200, 50, 200), 200);
        assert!(v.into_violations().is_empty());
        let mut v = Validator::new();
        assert_eq!(page_size(&mut v, 201, 50, 200), 200);
        let fields: Vec<_> = v.into_violations().into_iter().map(|x| x.field).collect();
        assert_eq!(fields, ["page_size"]);
    }

    #[test]
    fn a_page_token_not_issued_here_is_a_violation() {
        for token in ["not base64!", "bm90IGpzb24", &encode_page_token(&"text")] {
            let mut v = Validator::new();
            assert_eq!(parse_page_token::<(i64, String)>(&mut v, token), None);
            let fields: Vec<_> = v.into_violations().into_iter().map(|x| x.field).collect();
            assert_eq!(fields, ["page_token"], "{token}");
        }
        let mut v = Validator::new();
        assert_eq!(parse_page_token::<i32>(&mut v, ""), None);
        assert!(v.into_violations().is_empty(), "no token is the first page");
    }

    #[test]
    fn seats_are_taken_up_to_the_quota_and_no_further() {
        let mut seats = Seats { quota: 2, taken: 0 };
        assert!(seats.take("PRESS").is_ok());
        assert!(seats.take("PRESS").is_ok());
        let full = seats.take("PRESS").unwrap_err();
        assert_eq!(full.reason, Reason::DelegationQuotaExceeded);
        assert_eq!(
            seats,
            Seats { quota: 2, taken: 2 },
            "a refusal takes nothing"
        );
        assert!(Seats { quota: 0, taken: 0 }.hold());
        assert!(!Seats { quota: 1, taken: 2 }.hold());
        assert!(Seats { quota: 0, taken: 0 }.take("VIP").is_err());
    }
}
