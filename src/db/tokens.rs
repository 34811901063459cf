//! API tokens, stored as hashes.

use diesel::{
    ExpressionMethods as _, OptionalExtension as _, QueryDsl as _, QueryResult,
    SelectableHelper as _,
};
use diesel_async::RunQueryDsl as _;

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
