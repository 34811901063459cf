//! Registration numbers of one event, counted by PostgreSQL.

use chrono::NaiveDate;
use diesel::QueryResult;
use diesel::sql_types::{BigInt, Date, Text, Uuid as SqlUuid};
use diesel_async::RunQueryDsl as _;

use crate::ids::EventId;

use super::Conn;

/// A count under a key, with a label.
#[derive(Debug, Clone, diesel::QueryableByName)]
pub(crate) struct KeyCount {
    #[diesel(sql_type = Text)]
    pub key: String,
    #[diesel(sql_type = Text)]
    pub label: String,
    #[diesel(sql_type = BigInt)]
    pub n: i64,
}

/// A delegation's fill.
#[derive(Debug, Clone, diesel::QueryableByName)]
pub(crate) struct FillRow {
    #[diesel(sql_type = SqlUuid)]
    pub id: uuid::Uuid,
    #[diesel(sql_type = Text)]
    pub name: String,
    #[diesel(sql_type = Text)]
    pub country: String,
    #[diesel(sql_type = BigInt)]
    pub members: i64,
    #[diesel(sql_type = BigInt)]
    pub quota: i64,
}

#[derive(Debug, Clone, diesel::QueryableByName)]
pub(crate) struct DayRow {
    #[diesel(sql_type = Date)]
    pub day: NaiveDate,
    #[diesel(sql_type = BigInt)]
    pub n: i64,
}

async fn keyed(conn: &mut Conn, sql: &str, event_id: EventId) -> QueryResult<Vec<KeyCount>> {
    diesel::sql_query(sql)
        .bind::<SqlUuid, _>(event_id)
        .load(conn)
        .await
}

/// Participants by status ("active", "cancelled").
pub(crate) async fn by_status(conn: &mut Conn, event_id: EventId) -> QueryResult<Vec<KeyCount>> {
    keyed(
        conn,
        "SELECT status AS key, '' AS label, count(*) AS n FROM participants
         WHERE event_id = $1 GROUP BY status",
        event_id,
    )
    .await
}

/// Active participants per category, every category of the event.
pub(crate) async fn by_category(conn: &mut Conn, event_id: EventId) -> QueryResult<Vec<KeyCount>> {
    keyed(
        conn,
        "SELECT c.code AS key, c.name AS label, count(p.id) AS n
         FROM categories c
         LEFT JOIN participants p ON p.category_id = c.id AND p.status = 'active'
         WHERE c.event_id = $1 GROUP BY c.code, c.name ORDER BY n DESC, c.code",
        event_id,
    )
    .await
}

pub(crate) async fn by_country(conn: &mut Conn, event_id: EventId) -> QueryResult<Vec<KeyCount>> {
    keyed(
        conn,
        "SELECT country AS key, '' AS label, count(*) AS n FROM participants
         WHERE event_id = $1 AND status = 'active' GROUP BY country ORDER BY n DESC, country",
        event_id,
    )
    .await
}

pub(crate) async fn by_organization(
    conn: &mut Conn,
    event_id: EventId,
) -> QueryResult<Vec<KeyCount>> {
    keyed(
        conn,
        "SELECT o.id::text AS key, o.name AS label, count(*) AS n
         FROM participants p JOIN organizations o ON o.id = p.organization_id
         WHERE p.event_id = $1 AND p.status = 'active'
         GROUP BY o.id, o.name ORDER BY n DESC, o.name",
        event_id,
    )
    .await
}

pub(crate) async fn delegation_fill(
    conn: &mut Conn,
    event_id: EventId,
) -> QueryResult<Vec<FillRow>> {
    diesel::sql_query(
        "SELECT d.id, d.name, d.country,
                (SELECT count(*) FROM participants p
                 WHERE p.delegation_id = d.id AND p.status = 'active') AS members,
                coalesce((SELECT sum(q.quota) FROM delegation_quotas q
                          WHERE q.delegation_id = d.id), 0)::BIGINT AS quota
         FROM delegations d WHERE d.event_id = $1 ORDER BY d.country, d.name",
    )
    .bind::<SqlUuid, _>(event_id)
    .load(conn)
    .await
}

/// Badges: (valid now, versions printed, versions revoked).
pub(crate) async fn badges(conn: &mut Conn, event_id: EventId) -> QueryResult<(i64, i64, i64)> {
    let rows = keyed(
        conn,
        "SELECT 'valid' AS key, '' AS label, count(*) FILTER (WHERE revoked_at IS NULL) AS n
           FROM badges WHERE event_id = $1
         UNION ALL
         SELECT 'printed', '', count(*) FROM badges WHERE event_id = $1
         UNION ALL
         SELECT 'revoked', '', count(*) FILTER (WHERE revoked_at IS NOT NULL)
           FROM badges WHERE event_id = $1",
        event_id,
    )
    .await?;
    let get = |k: &str| rows.iter().find(|r| r.key == k).map_or(0, |r| r.n);
    Ok((get("valid"), get("printed"), get("revoked")))
}

/// Different badges let in per day, in the event's time zone.
pub(crate) async fn entered_per_day(
    conn: &mut Conn,
    event_id: EventId,
    time_zone: &str,
) -> QueryResult<Vec<DayRow>> {
    diesel::sql_query(
        "SELECT (scanned_at AT TIME ZONE $2)::date AS day, count(DISTINCT serial) AS n
         FROM scans
         WHERE event_id = $1 AND decision = 'allow' AND direction = 'in' AND serial IS NOT NULL
         GROUP BY 1 ORDER BY 1",
    )
    .bind::<SqlUuid, _>(event_id)
    .bind::<Text, _>(time_zone)
    .load(conn)
    .await
}

/// Registrations per day over the last 30 days, in the event's time zone.
pub(crate) async fn registered_per_day(
    conn: &mut Conn,
    event_id: EventId,
    time_zone: &str,
) -> QueryResult<Vec<DayRow>> {
    diesel::sql_query(
        "SELECT (created_at AT TIME ZONE $2)::date AS day, count(*) AS n
         FROM participants
         WHERE event_id = $1 AND created_at >= now() - interval '30 days'
         GROUP BY 1 ORDER BY 1",
    )
    .bind::<SqlUuid, _>(event_id)
    .bind::<Text, _>(time_zone)
    .load(conn)
    .await
}
