//! The audit trail: ids and action names only, never personal values.

use diesel::{ExpressionMethods as _, QueryDsl as _, QueryResult};
use diesel_async::RunQueryDsl as _;
use uuid::Uuid;

use super::{Conn, models::NewAuditEntry, schema::audit_log};

pub async fn record(conn: &mut Conn, entry: &NewAuditEntry<'_>) -> QueryResult<()> {
    diesel::insert_into(audit_log::table)
        .values(entry)
        .execute(conn)
        .await
        .map(drop)
}

pub async fn record_many(conn: &mut Conn, entries: &[NewAuditEntry<'_>]) -> QueryResult<()> {
    for chunk in entries.chunks(5_000) {
        diesel::insert_into(audit_log::table)
            .values(chunk)
            .execute(conn)
            .await?;
    }
    Ok(())
}

/// Audit actions recorded for an entity, oldest first.
pub async fn actions_for(conn: &mut Conn, entity_id: Uuid) -> QueryResult<Vec<String>> {
    audit_log::table
        .filter(audit_log::entity_id.eq(entity_id))
        .order(audit_log::id)
        .select(audit_log::action)
        .load(conn)
        .await
}
