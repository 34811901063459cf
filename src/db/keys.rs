//! Signing keys of events.

use chrono::{DateTime, Utc};
use diesel::{
    ExpressionMethods as _, OptionalExtension as _, QueryDsl as _, QueryResult,
    SelectableHelper as _,
};
use diesel_async::RunQueryDsl as _;

use crate::ids::EventId;

use super::{Conn, schema::signing_keys};

pub(crate) const KEY_ACTIVE: &str = "active";
pub(crate) const KEY_VERIFYING: &str = "verifying";
pub(crate) const KEY_RETIRED: &str = "retired";

#[derive(Debug, Clone, diesel::Queryable, diesel::Selectable, diesel::Insertable)]
#[diesel(table_name = signing_keys, check_for_backend(diesel::pg::Pg))]
pub struct SigningKeyRow {
    pub key_id: i64,
    pub event_id: EventId,
    pub public_key: Vec<u8>,
    pub secret_cipher: Vec<u8>,
    pub status: String,
    pub created_at: DateTime<Utc>,
    pub retired_at: Option<DateTime<Utc>>,
}

/// The key that signs new badges of an event.
pub(crate) async fn active(
    conn: &mut Conn,
    event_id: EventId,
) -> QueryResult<Option<SigningKeyRow>> {
    signing_keys::table
        .filter(signing_keys::event_id.eq(event_id))
        .filter(signing_keys::status.eq(KEY_ACTIVE))
        .select(SigningKeyRow::as_select())
        .first(conn)
        .await
        .optional()
}

/// Inserts a key unless it collides (an active key already there, or the
/// key id taken); returns whether it was inserted.
pub(crate) async fn insert(conn: &mut Conn, row: &SigningKeyRow) -> QueryResult<bool> {
    diesel::insert_into(signing_keys::table)
        .values(row)
        .on_conflict_do_nothing()
        .execute(conn)
        .await
        .map(|n| n == 1)
}

/// The active key becomes a verifying one.
pub(crate) async fn demote_active(conn: &mut Conn, event_id: EventId) -> QueryResult<usize> {
    diesel::update(signing_keys::table)
        .filter(signing_keys::event_id.eq(event_id))
        .filter(signing_keys::status.eq(KEY_ACTIVE))
        .set(signing_keys::status.eq(KEY_VERIFYING))
        .execute(conn)
        .await
}

/// Retires verifying keys of an event (one, or all of them); returns the
/// ids retired.
pub(crate) async fn retire(
    conn: &mut Conn,
    event_id: EventId,
    key_id: Option<i64>,
    at: DateTime<Utc>,
) -> QueryResult<Vec<i64>> {
    let mut query = diesel::update(signing_keys::table)
        .filter(signing_keys::event_id.eq(event_id))
        .filter(signing_keys::status.eq(KEY_VERIFYING))
        .into_boxed();
    if let Some(key_id) = key_id {
        query = query.filter(signing_keys::key_id.eq(key_id));
    }
    query
        .set((
            signing_keys::status.eq(KEY_RETIRED),
            signing_keys::retired_at.eq(at),
        ))
        .returning(signing_keys::key_id)
        .get_results(conn)
        .await
}

/// Every key of an event, oldest first.
pub(crate) async fn list(conn: &mut Conn, event_id: EventId) -> QueryResult<Vec<SigningKeyRow>> {
    signing_keys::table
        .filter(signing_keys::event_id.eq(event_id))
        .order((signing_keys::created_at, signing_keys::key_id))
        .select(SigningKeyRow::as_select())
        .load(conn)
        .await
}

/// Keys that still verify (active and verifying), of every event.
pub(crate) async fn verifying(conn: &mut Conn) -> QueryResult<Vec<SigningKeyRow>> {
    signing_keys::table
        .filter(signing_keys::status.ne(KEY_RETIRED))
        .select(SigningKeyRow::as_select())
        .load(conn)
        .await
}
