//! API tokens, stored as hashes.

use chrono::{DateTime, Utc};
use diesel::{
    BoolExpressionMethods as _, ExpressionMethods as _, OptionalExtension as _, QueryDsl as _,
    QueryResult, SelectableHelper as _,
};
use diesel_async::RunQueryDsl as _;

use crate::ids::{EventId, TokenId};

use super::{
    Conn,
    models::{ApiToken, NewApiToken},
    schema::api_tokens,
};

pub(crate) async fn insert(conn: &mut Conn, token: &NewApiToken<'_>) -> QueryResult<()> {
    diesel::insert_into(api_tokens::table)
        .values(token)
        .execute(conn)
        .await
        .map(drop)
}

/// The live (not revoked) token with this hash.
pub(crate) async fn find_by_hash(conn: &mut Conn, hash: &[u8]) -> QueryResult<Option<ApiToken>> {
    api_tokens::table
        .filter(api_tokens::token_hash.eq(hash))
        .filter(api_tokens::revoked_at.is_null())
        .select(ApiToken::as_select())
        .first(conn)
        .await
        .optional()
}

/// Tokens, newest first; of one event when `event` is given, with the
/// tokens for every event too when `with_global`.
pub(crate) async fn list(
    conn: &mut Conn,
    event: Option<EventId>,
    with_global: bool,
) -> QueryResult<Vec<ApiToken>> {
    let mut query = api_tokens::table
        .select(ApiToken::as_select())
        .order((api_tokens::created_at.desc(), api_tokens::id))
        .into_boxed();
    match (event, with_global) {
        (None, _) => {}
        (Some(event), true) => {
            query = query.filter(
                api_tokens::event_id
                    .eq(event)
                    .or(api_tokens::event_id.is_null()),
            );
        }
        (Some(event), false) => query = query.filter(api_tokens::event_id.eq(event)),
    }
    query.load(conn).await
}

pub(crate) async fn find(conn: &mut Conn, id: TokenId) -> QueryResult<Option<ApiToken>> {
    api_tokens::table
        .find(id)
        .select(ApiToken::as_select())
        .first(conn)
        .await
        .optional()
}

/// Revokes a live token; returns whether it was live.
pub(crate) async fn revoke(conn: &mut Conn, id: TokenId, at: DateTime<Utc>) -> QueryResult<bool> {
    diesel::update(api_tokens::table.find(id))
        .filter(api_tokens::revoked_at.is_null())
        .set(api_tokens::revoked_at.eq(at))
        .execute(conn)
        .await
        .map(|n| n == 1)
}

/// Notes that a token was just used (when it was looked up, at most once
/// per cache period).
pub(crate) async fn touch(conn: &mut Conn, id: TokenId, at: DateTime<Utc>) -> QueryResult<()> {
    diesel::update(api_tokens::table.find(id))
        .set(api_tokens::last_used_at.eq(at))
        .execute(conn)
        .await
        .map(drop)
}
