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

/// Records an entry with its details (codes, ids and counts; never a
/// personal value).
pub(crate) async fn record_with_details(
    conn: &mut Conn,
    entry: &NewAuditEntry<'_>,
    details: &serde_json::Value,
) -> QueryResult<()> {
    use diesel::sql_types::{Jsonb, Nullable, Text, Uuid as SqlUuid};
    diesel::sql_query(
        "INSERT INTO audit_log (token_id, action, entity_type, entity_id, request_id, details)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind::<Nullable<SqlUuid>, _>(entry.token_id)
    .bind::<Text, _>(entry.action)
    .bind::<Text, _>(entry.entity_type)
    .bind::<SqlUuid, _>(entry.entity_id)
    .bind::<Text, _>(entry.request_id)
    .bind::<Jsonb, _>(details)
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

/// An audit row with its token's name and its entity's event.
#[derive(Debug, Clone, diesel::QueryableByName)]
pub(crate) struct AuditRow {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub id: i64,
    #[diesel(sql_type = diesel::sql_types::Timestamptz)]
    pub at: chrono::DateTime<chrono::Utc>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Uuid>)]
    pub token_id: Option<uuid::Uuid>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    pub token_name: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub action: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub entity_type: String,
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    pub entity_id: uuid::Uuid,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub request_id: String,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Uuid>)]
    pub event_id: Option<uuid::Uuid>,
    #[diesel(sql_type = diesel::sql_types::Jsonb)]
    pub details: serde_json::Value,
}

/// What to read of the trail; `None` matches everything.
#[derive(Debug, Clone, Default)]
pub(crate) struct AuditQuery {
    pub event_id: Option<uuid::Uuid>,
    pub token_id: Option<uuid::Uuid>,
    pub action: Option<String>,
    /// Matches actions starting with it.
    pub action_prefix: Option<String>,
    pub entity_type: Option<String>,
    pub entity_id: Option<uuid::Uuid>,
    pub since: Option<chrono::DateTime<chrono::Utc>>,
    pub until: Option<chrono::DateTime<chrono::Utc>>,
    /// Entries older than this id.
    pub before: Option<i64>,
    pub limit: i64,
}

/// Entries newest first. An entry's event is that of its entity, looked
/// up by the entity's type (none once the entity is removed).
pub(crate) async fn list(conn: &mut Conn, q: &AuditQuery) -> QueryResult<Vec<AuditRow>> {
    use diesel::sql_types::{BigInt, Nullable, Text, Timestamptz, Uuid as SqlUuid};
    diesel::sql_query(
        "SELECT * FROM (
           SELECT a.id, a.at, a.token_id, t.name AS token_name, a.action, a.entity_type,
                  a.entity_id, a.request_id, a.details,
                  CASE a.entity_type
                    WHEN 'event' THEN a.entity_id
                    WHEN 'participant' THEN (SELECT event_id FROM participants WHERE id = a.entity_id)
                    WHEN 'badge' THEN (SELECT event_id FROM badges WHERE id = a.entity_id)
                    WHEN 'zone' THEN (SELECT event_id FROM zones WHERE id = a.entity_id)
                    WHEN 'category' THEN (SELECT event_id FROM categories WHERE id = a.entity_id)
                    WHEN 'gate' THEN (SELECT event_id FROM gates WHERE id = a.entity_id)
                    WHEN 'delegation' THEN (SELECT event_id FROM delegations WHERE id = a.entity_id)
                    WHEN 'organization' THEN (SELECT event_id FROM organizations WHERE id = a.entity_id)
                    WHEN 'api_token' THEN (SELECT event_id FROM api_tokens WHERE id = a.entity_id)
                    WHEN 'enrolment_code' THEN (SELECT event_id FROM enrolment_codes WHERE id = a.entity_id)
                  END AS event_id
           FROM audit_log a LEFT JOIN api_tokens t ON t.id = a.token_id
           WHERE ($2::uuid IS NULL OR a.token_id = $2)
             AND ($3::text IS NULL OR a.action = $3)
             AND ($4::text IS NULL OR starts_with(a.action, $4))
             AND ($5::text IS NULL OR a.entity_type = $5)
             AND ($6::uuid IS NULL OR a.entity_id = $6)
             AND ($7::timestamptz IS NULL OR a.at >= $7)
             AND ($8::timestamptz IS NULL OR a.at < $8)
             AND ($9::bigint IS NULL OR a.id < $9)
         ) e
         WHERE ($1::uuid IS NULL OR e.event_id = $1)
         ORDER BY e.id DESC
         LIMIT $10",
    )
    .bind::<Nullable<SqlUuid>, _>(q.event_id)
    .bind::<Nullable<SqlUuid>, _>(q.token_id)
    .bind::<Nullable<Text>, _>(q.action.as_deref())
    .bind::<Nullable<Text>, _>(q.action_prefix.as_deref())
    .bind::<Nullable<Text>, _>(q.entity_type.as_deref())
    .bind::<Nullable<SqlUuid>, _>(q.entity_id)
    .bind::<Nullable<Timestamptz>, _>(q.since)
    .bind::<Nullable<Timestamptz>, _>(q.until)
    .bind::<Nullable<BigInt>, _>(q.before)
    .bind::<BigInt, _>(q.limit)
    .load(conn)
    .await
}
