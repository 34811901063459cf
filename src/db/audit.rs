//! The audit trail: ids and action names only, never personal values.

use diesel::QueryResult;
use diesel_async::RunQueryDsl as _;

use super::{Conn, models::NewAuditEntry, schema::audit_log};

pub(crate) async fn record(conn: &mut Conn, entry: &NewAuditEntry<'_>) -> QueryResult<()> {
    diesel::insert_into(audit_log::table)
        .values(entry)
        .execute(conn)
        .await
        .map(drop)
}

/// Records many entries in one statement (one array per column).
pub(crate) async fn record_many(conn: &mut Conn, entries: &[NewAuditEntry<'_>]) -> QueryResult<()> {
    use diesel::sql_types::{Array, Nullable, Text, Uuid as SqlUuid};
    if entries.is_empty() {
        return Ok(());
    }
    diesel::sql_query(
        "INSERT INTO audit_log (token_id, action, entity_type, entity_id, request_id)
         SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::uuid[], $5::text[])",
    )
    .bind::<Array<Nullable<SqlUuid>>, _>(entries.iter().map(|e| e.token_id).collect::<Vec<_>>())
    .bind::<Array<Text>, _>(entries.iter().map(|e| e.action).collect::<Vec<_>>())
    .bind::<Array<Text>, _>(entries.iter().map(|e| e.entity_type).collect::<Vec<_>>())
    .bind::<Array<SqlUuid>, _>(entries.iter().map(|e| e.entity_id).collect::<Vec<_>>())
    .bind::<Array<Text>, _>(entries.iter().map(|e| e.request_id).collect::<Vec<_>>())
    .execute(conn)
    .await
    .map(drop)
}

/// The newest audit row id: grows with every change.
pub(crate) async fn last_id(conn: &mut Conn) -> QueryResult<i64> {
    use diesel::{QueryDsl as _, dsl::max};
    audit_log::table
        .select(max(audit_log::id))
        .first::<Option<i64>>(conn)
        .await
        .map(|id| id.unwrap_or(0))
}
