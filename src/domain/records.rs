//! What every creating or changing call writes beside its change: the
//! audit row, and the idempotency key that makes a retry safe.

use uuid::Uuid;

use super::Principal;
use crate::{
    db::{self, Conn, idempotency::Claim, models::NewAuditEntry},
    error::{AppError, AppResult, ErrorKind, Reason},
    ids::TokenId,
};

/// Who made a change, as its audit row names them: a token, or nobody (the
/// operator's console, or a command run on the server).
pub(crate) trait Actor {
    fn audit_token(&self) -> Option<TokenId>;
}

/// The operator's console: a command run on the server, with no token.
pub(crate) struct Console;

impl Actor for Console {
    fn audit_token(&self) -> Option<TokenId> {
        None
    }
}

impl Actor for Principal {
    fn audit_token(&self) -> Option<TokenId> {
        Some(self.token_id)
    }
}

impl Actor for Option<&Principal> {
    fn audit_token(&self) -> Option<TokenId> {
        self.map(|p| p.token_id)
    }
}

impl Actor for Option<TokenId> {
    fn audit_token(&self) -> Option<TokenId> {
        *self
    }
}

/// The audit row of `action` by `actor` on entity `id` of `kind`, for the
/// call with `request_id` ("" for calls that carry none). The one way an
/// audit row is made.
pub(crate) fn audit_row<'a>(
    actor: &impl Actor,
    action: &'a str,
    kind: &'a str,
    id: impl Into<Uuid>,
    request_id: &'a str,
) -> NewAuditEntry<'a> {
    NewAuditEntry {
        token_id: actor.audit_token(),
        action,
        entity_type: kind,
        entity_id: id.into(),
        request_id,
    }
}

/// The answer to a `request_id` used before with another body.
pub(crate) fn reused_key() -> AppError {
    AppError::new(
        ErrorKind::InvalidArgument,
        Reason::IdempotencyKeyReused,
        "this request_id was already used with a different request body",
    )
}

/// What an earlier use of a request id says about this call.
fn earlier<T: From<Uuid>>(claim: Claim, fingerprint: &[u8]) -> AppResult<Option<T>> {
    match claim {
        Claim::Fresh => Ok(None),
        Claim::Seen {
            fingerprint: f,
            resource_id,
        } if f == fingerprint => Ok(Some(T::from(resource_id))),
        Claim::Seen { .. } => Err(reused_key()),
    }
}

/// Claims `(scope, request_id)` for `resource` inside the caller's
/// transaction (a concurrent claim of the same key waits for it): `None`
/// when the key is new and the call goes on; the resource of the first
/// call when it was made before with the same body; `IDEMPOTENCY_KEY_REUSED`
/// when with another.
pub(crate) async fn claim_or_replay<T: Into<Uuid> + From<Uuid>>(
    conn: &mut Conn,
    scope: &str,
    request_id: &str,
    fingerprint: &[u8],
    resource: T,
) -> AppResult<Option<T>> {
    let claim =
        db::idempotency::claim(conn, scope, request_id, fingerprint, resource.into()).await?;
    earlier(claim, fingerprint)
}

/// Reads `(scope, request_id)` without claiming it: as
/// [`claim_or_replay`], `None` when unused.
pub(crate) async fn replay_of<T: From<Uuid>>(
    conn: &mut Conn,
    scope: &str,
    request_id: &str,
    fingerprint: &[u8],
) -> AppResult<Option<T>> {
    let claim = db::idempotency::peek(conn, scope, request_id).await?;
    earlier(claim, fingerprint)
}
