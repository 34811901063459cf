//! Custom field definitions, one row per version (`custom_fields`), and
//! what answers them.

use diesel::{
    QueryResult, QueryableByName,
    sql_types::{Integer, Jsonb, Text, Uuid as SqlUuid},
};
use diesel_async::RunQueryDsl as _;

use super::Conn;
use crate::ids::EventId;

/// One stored version of a field.
#[derive(Debug, QueryableByName)]
pub(crate) struct FieldRow {
    #[diesel(sql_type = Integer)]
    pub version: i32,
    #[diesel(sql_type = Jsonb)]
    pub definition: serde_json::Value,
}

/// Every version of every field of the event.
pub(crate) async fn all_versions(conn: &mut Conn, event_id: EventId) -> QueryResult<Vec<FieldRow>> {
    diesel::sql_query(
        "SELECT version, definition FROM custom_fields WHERE event_id = $1 ORDER BY key, version",
    )
    .bind::<SqlUuid, _>(event_id)
    .load(conn)
    .await
}

/// The newest version of each field (callers hold the event's lock).
pub(crate) async fn newest(conn: &mut Conn, event_id: EventId) -> QueryResult<Vec<FieldRow>> {
    diesel::sql_query(
        "SELECT DISTINCT ON (key) version, definition FROM custom_fields
         WHERE event_id = $1 ORDER BY key, version DESC",
    )
    .bind::<SqlUuid, _>(event_id)
    .load(conn)
    .await
}

pub(crate) async fn insert(
    conn: &mut Conn,
    event_id: EventId,
    key: &str,
    version: i32,
    definition: &serde_json::Value,
) -> QueryResult<()> {
    diesel::sql_query(
        "INSERT INTO custom_fields (event_id, key, version, definition) VALUES ($1, $2, $3, $4)",
    )
    .bind::<SqlUuid, _>(event_id)
    .bind::<Text, _>(key)
    .bind::<Integer, _>(version)
    .bind::<Jsonb, _>(definition)
    .execute(conn)
    .await
    .map(drop)
}

/// Rewrites one version in place (a field nobody answered yet, or a new
/// position).
pub(crate) async fn rewrite(
    conn: &mut Conn,
    event_id: EventId,
    key: &str,
    version: i32,
    definition: &serde_json::Value,
) -> QueryResult<()> {
    diesel::sql_query(
        "UPDATE custom_fields SET definition = $4 WHERE event_id = $1 AND key = $2 AND version = $3",
    )
    .bind::<SqlUuid, _>(event_id)
    .bind::<Text, _>(key)
    .bind::<Integer, _>(version)
    .bind::<Jsonb, _>(definition)
    .execute(conn)
    .await
    .map(drop)
}

/// Removes every version of a field.
pub(crate) async fn delete(conn: &mut Conn, event_id: EventId, key: &str) -> QueryResult<()> {
    diesel::sql_query("DELETE FROM custom_fields WHERE event_id = $1 AND key = $2")
        .bind::<SqlUuid, _>(event_id)
        .bind::<Text, _>(key)
        .execute(conn)
        .await
        .map(drop)
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

/// The records of the event (participants, delegations and organisations)
/// that hold an answer to `key`.
pub(crate) async fn answered(conn: &mut Conn, event_id: EventId, key: &str) -> QueryResult<i64> {
    let row: Count = diesel::sql_query(
        "SELECT (SELECT count(*) FROM participants WHERE event_id = $1 AND answers ? $2)
              + (SELECT count(*) FROM delegations WHERE event_id = $1 AND answers ? $2)
              + (SELECT count(*) FROM organizations WHERE event_id = $1 AND answers ? $2) AS n",
    )
    .bind::<SqlUuid, _>(event_id)
    .bind::<Text, _>(key)
    .get_result(conn)
    .await?;
    Ok(row.n)
}

#[derive(QueryableByName)]
pub(crate) struct HolderAnswers {
    #[diesel(sql_type = Jsonb)]
    pub answers: serde_json::Value,
    #[diesel(sql_type = Text)]
    pub category_code: String,
}

/// The answers and category of the holder of badge `serial`.
pub(crate) async fn of_badge(conn: &mut Conn, serial: i64) -> QueryResult<Option<HolderAnswers>> {
    use diesel::OptionalExtension as _;
    diesel::sql_query(
        "SELECT p.answers, c.code AS category_code FROM badges b
         JOIN participants p ON p.id = b.participant_id
         JOIN categories c ON c.id = p.category_id
         WHERE b.serial = $1 LIMIT 1",
    )
    .bind::<diesel::sql_types::BigInt, _>(serial)
    .get_result(conn)
    .await
    .optional()
}
