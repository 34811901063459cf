//! Badge templates (`badge_templates`): a draft (version 0) and published
//! versions per code, and which category prints with which.

use chrono::{DateTime, Utc};
use diesel::{
    OptionalExtension as _, QueryResult, QueryableByName,
    sql_types::{Integer, Jsonb, Nullable, Text, Timestamptz, Uuid as SqlUuid},
};
use diesel_async::RunQueryDsl as _;

use super::Conn;
use crate::ids::EventId;

/// One stored version of a template; version 0 is the draft.
#[derive(Debug, Clone, QueryableByName)]
pub(crate) struct TemplateRow {
    #[diesel(sql_type = Text)]
    pub code: String,
    #[diesel(sql_type = Integer)]
    pub version: i32,
    #[diesel(sql_type = Text)]
    pub name: String,
    #[diesel(sql_type = Jsonb)]
    pub document: serde_json::Value,
    #[diesel(sql_type = Timestamptz)]
    pub saved_at: DateTime<Utc>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub published_at: Option<DateTime<Utc>>,
}

const COLUMNS: &str = "code, version, name, document, saved_at, published_at";

/// Every version of every template of the event, by code, newest first.
pub(crate) async fn all(conn: &mut Conn, event_id: EventId) -> QueryResult<Vec<TemplateRow>> {
    diesel::sql_query(format!(
        "SELECT {COLUMNS} FROM badge_templates WHERE event_id = $1
         ORDER BY code, version = 0 DESC, version DESC"
    ))
    .bind::<SqlUuid, _>(event_id)
    .load(conn)
    .await
}

/// One version (0: the draft).
pub(crate) async fn find(
    conn: &mut Conn,
    event_id: EventId,
    code: &str,
    version: i32,
) -> QueryResult<Option<TemplateRow>> {
    diesel::sql_query(format!(
        "SELECT {COLUMNS} FROM badge_templates
         WHERE event_id = $1 AND code = $2 AND version = $3"
    ))
    .bind::<SqlUuid, _>(event_id)
    .bind::<Text, _>(code)
    .bind::<Integer, _>(version)
    .get_result(conn)
    .await
    .optional()
}

/// The newest published version of a code.
pub(crate) async fn newest_published(
    conn: &mut Conn,
    event_id: EventId,
    code: &str,
) -> QueryResult<Option<TemplateRow>> {
    diesel::sql_query(format!(
        "SELECT {COLUMNS} FROM badge_templates
         WHERE event_id = $1 AND code = $2 AND version > 0
         ORDER BY version DESC LIMIT 1"
    ))
    .bind::<SqlUuid, _>(event_id)
    .bind::<Text, _>(code)
    .get_result(conn)
    .await
    .optional()
}

/// Writes the draft of a code, replacing the one before.
pub(crate) async fn save_draft(
    conn: &mut Conn,
    event_id: EventId,
    code: &str,
    name: &str,
    document: &serde_json::Value,
) -> QueryResult<TemplateRow> {
    diesel::sql_query(format!(
        "INSERT INTO badge_templates (event_id, code, version, name, document)
         VALUES ($1, $2, 0, $3, $4)
         ON CONFLICT (event_id, code, version)
         DO UPDATE SET name = excluded.name, document = excluded.document, saved_at = now()
         RETURNING {COLUMNS}"
    ))
    .bind::<SqlUuid, _>(event_id)
    .bind::<Text, _>(code)
    .bind::<Text, _>(name)
    .bind::<Jsonb, _>(document)
    .get_result(conn)
    .await
}

/// Publishes a document as the code's next version (callers hold the
/// event's lock, so two publications cannot take one number).
pub(crate) async fn publish(
    conn: &mut Conn,
    event_id: EventId,
    code: &str,
    name: &str,
    document: &serde_json::Value,
) -> QueryResult<TemplateRow> {
    diesel::sql_query(format!(
        "INSERT INTO badge_templates (event_id, code, version, name, document, published_at)
         SELECT $1, $2, coalesce(max(version), 0) + 1, $3, $4, now()
         FROM badge_templates WHERE event_id = $1 AND code = $2
         RETURNING {COLUMNS}"
    ))
    .bind::<SqlUuid, _>(event_id)
    .bind::<Text, _>(code)
    .bind::<Text, _>(name)
    .bind::<Jsonb, _>(document)
    .get_result(conn)
    .await
}

/// Sets the template a category prints with (`None`: its built-in
/// layout); false when the event has no such category.
pub(crate) async fn assign(
    conn: &mut Conn,
    event_id: EventId,
    category_code: &str,
    template_code: Option<&str>,
) -> QueryResult<bool> {
    let n = diesel::sql_query(
        "UPDATE categories SET badge_template = $3 WHERE event_id = $1 AND code = $2",
    )
    .bind::<SqlUuid, _>(event_id)
    .bind::<Text, _>(category_code)
    .bind::<Nullable<Text>, _>(template_code)
    .execute(conn)
    .await?;
    Ok(n > 0)
}

#[derive(QueryableByName)]
pub(crate) struct Assignment {
    #[diesel(sql_type = Text)]
    pub category_code: String,
    #[diesel(sql_type = Text)]
    pub template_code: String,
}

/// The event's categories that print with a template.
pub(crate) async fn assignments(
    conn: &mut Conn,
    event_id: EventId,
) -> QueryResult<Vec<Assignment>> {
    diesel::sql_query(
        "SELECT code AS category_code, badge_template AS template_code FROM categories
         WHERE event_id = $1 AND badge_template IS NOT NULL ORDER BY code",
    )
    .bind::<SqlUuid, _>(event_id)
    .load(conn)
    .await
}
