//! Idempotency keys of creating calls.

use diesel::{ExpressionMethods as _, OptionalExtension as _, QueryDsl as _, QueryResult};
use diesel_async::RunQueryDsl as _;
use uuid::Uuid;

use super::{Conn, schema::idempotency_keys};

/// What a claim found.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Claim {
    /// The key is new: this call proceeds and creates `resource_id`.
    Fresh,
    /// The key was used before, with this fingerprint, creating this resource.
    Seen {
        fingerprint: Vec<u8>,
        resource_id: Uuid,
    },
}

/// Claims `(scope, request_id)` inside the caller's transaction. A concurrent
/// claim of the same key waits for the first transaction to end.
pub(crate) async fn claim(
    conn: &mut Conn,
    scope: &str,
    request_id: &str,
    fingerprint: &[u8],
    resource_id: Uuid,
) -> QueryResult<Claim> {
    let inserted = diesel::insert_into(idempotency_keys::table)
        .values((
            idempotency_keys::scope.eq(scope),
            idempotency_keys::request_id.eq(request_id),
            idempotency_keys::fingerprint.eq(fingerprint),
            idempotency_keys::resource_id.eq(resource_id),
        ))
        .on_conflict_do_nothing()
        .execute(conn)
        .await?;
    if inserted == 1 {
        return Ok(Claim::Fresh);
    }
    let (fingerprint, resource_id) = idempotency_keys::table
        .find((scope, request_id))
        .select((idempotency_keys::fingerprint, idempotency_keys::resource_id))
        .first::<(Vec<u8>, Uuid)>(conn)
        .await?;
    Ok(Claim::Seen {
        fingerprint,
        resource_id,
    })
}

/// Reads a key without claiming it: `Fresh` when unused.
pub(crate) async fn peek(conn: &mut Conn, scope: &str, request_id: &str) -> QueryResult<Claim> {
    let found = idempotency_keys::table
        .find((scope, request_id))
        .select((idempotency_keys::fingerprint, idempotency_keys::resource_id))
        .first::<(Vec<u8>, Uuid)>(conn)
        .await
        .optional()?;
    Ok(match found {
        Some((fingerprint, resource_id)) => Claim::Seen {
            fingerprint,
            resource_id,
        },
        None => Claim::Fresh,
    })
}

/// Sets the fingerprint of a key claimed earlier in the caller's
/// transaction (an import knows its fingerprint only once it has read every
/// row).
pub(crate) async fn set_fingerprint(
    conn: &mut Conn,
    scope: &str,
    request_id: &str,
    fingerprint: &[u8],
) -> QueryResult<()> {
    diesel::update(idempotency_keys::table.find((scope, request_id)))
        .set(idempotency_keys::fingerprint.eq(fingerprint))
        .execute(conn)
        .await
        .map(drop)
}
