//! What an export of participants reads: the rows matching its filters,
//! a page at a time in the listing order, each with its organisation,
//! delegation, category, latest badge and first entry, in one statement.

use chrono::{DateTime, Utc};
use diesel::{
    QueryResult,
    sql_types::{Array, BigInt, Bool, Bytea, Nullable, Text, Timestamptz, Uuid as SqlUuid},
};
use diesel_async::RunQueryDsl as _;
use uuid::Uuid;

use super::Conn;

/// Which participants, resolved to ids; `None` matches everybody.
#[derive(Debug, Clone, Default)]
pub(crate) struct ExportQuery {
    pub event_id: Uuid,
    pub category_ids: Option<Vec<Uuid>>,
    pub delegation_ids: Option<Vec<Uuid>>,
    pub organization_ids: Option<Vec<Uuid>>,
    pub countries: Option<Vec<String>>,
    /// "active" or "cancelled".
    pub status: Option<String>,
    /// Badge states as [`BADGE_STATE`] names them.
    pub badge_states: Option<Vec<String>>,
    pub entered: Option<bool>,
}

/// The last row of a page: (family key, given key, id).
pub(crate) type ExportCursor = (String, String, Uuid);

/// A participant as an export writes it.
#[derive(Debug, Clone, diesel::QueryableByName)]
pub(crate) struct ExportRow {
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    #[diesel(sql_type = Text)]
    pub given_name: String,
    #[diesel(sql_type = Text)]
    pub family_name: String,
    #[diesel(sql_type = Text)]
    pub native_name: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub organization: Option<String>,
    #[diesel(sql_type = Text)]
    pub country: String,
    #[diesel(sql_type = Text)]
    pub job_title: String,
    #[diesel(sql_type = Text)]
    pub category_code: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub delegation: Option<String>,
    #[diesel(sql_type = Text)]
    pub email: String,
    #[diesel(sql_type = Text)]
    pub phone: String,
    #[diesel(sql_type = Nullable<Bytea>)]
    pub document_cipher: Option<Vec<u8>>,
    #[diesel(sql_type = Text)]
    pub status: String,
    #[diesel(sql_type = Text)]
    pub external_ref: String,
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
    #[diesel(sql_type = Text)]
    pub badge_state: String,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub serial: Option<i64>,
    #[diesel(sql_type = Nullable<diesel::sql_types::Integer>)]
    pub version: Option<i32>,
    #[diesel(sql_type = Bool)]
    pub has_photo: bool,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub first_entry: Option<DateTime<Utc>>,
    #[diesel(sql_type = diesel::sql_types::Jsonb)]
    pub answers: serde_json::Value,
}

/// The state of a participant's latest badge, as the desk reads it
/// (`domain::registration::photos::state_of`): none, blocked, revoked,
/// outdated (printed before the photo changed) or valid.
const BADGE_STATE: &str = "CASE
       WHEN b.issued_at IS NULL THEN 'none'
       WHEN EXISTS (SELECT 1 FROM badge_blocks bb WHERE bb.serial = b.serial) THEN 'blocked'
       WHEN b.revoked_at IS NOT NULL THEN 'revoked'
       WHEN ph.updated_at IS NOT NULL AND ph.updated_at > b.issued_at THEN 'outdated'
       ELSE 'valid'
     END";

fn statement(select: &str, tail: &str) -> String {
    format!(
        "SELECT {select}
         FROM participants p
         JOIN categories c ON c.id = p.category_id
         LEFT JOIN organizations o ON o.id = p.organization_id
         LEFT JOIN delegations d ON d.id = p.delegation_id
         LEFT JOIN participant_photos ph ON ph.participant_id = p.id
         LEFT JOIN LATERAL (
             SELECT serial, version, issued_at, revoked_at FROM badges
             WHERE participant_id = p.id ORDER BY version DESC LIMIT 1
         ) b ON true
         CROSS JOIN LATERAL (SELECT {BADGE_STATE} AS badge_state) s
         LEFT JOIN LATERAL (
             SELECT min(sc.scanned_at) AS first_entry
             FROM badges pb JOIN scans sc ON sc.serial = pb.serial
             WHERE pb.participant_id = p.id AND sc.event_id = p.event_id
               AND sc.decision = 'allow' AND sc.direction = 'in'
         ) e ON true
         WHERE p.event_id = $1
           AND ($2::uuid[] IS NULL OR p.category_id = ANY($2))
           AND ($3::uuid[] IS NULL OR p.delegation_id = ANY($3))
           AND ($4::uuid[] IS NULL OR p.organization_id = ANY($4))
           AND ($5::text[] IS NULL OR p.country = ANY($5))
           AND ($6::text IS NULL OR p.status = $6)
           AND ($7::text[] IS NULL OR s.badge_state = ANY($7))
           AND ($8::bool IS NULL OR (e.first_entry IS NOT NULL) = $8)
         {tail}"
    )
}

macro_rules! bind_filters {
    ($query:expr, $q:expr) => {
        $query
            .bind::<SqlUuid, _>($q.event_id)
            .bind::<Nullable<Array<SqlUuid>>, _>($q.category_ids.clone())
            .bind::<Nullable<Array<SqlUuid>>, _>($q.delegation_ids.clone())
            .bind::<Nullable<Array<SqlUuid>>, _>($q.organization_ids.clone())
            .bind::<Nullable<Array<Text>>, _>($q.countries.clone())
            .bind::<Nullable<Text>, _>($q.status.clone())
            .bind::<Nullable<Array<Text>>, _>($q.badge_states.clone())
            .bind::<Nullable<Bool>, _>($q.entered)
    };
}

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// How many participants match.
pub(crate) async fn count(conn: &mut Conn, q: &ExportQuery) -> QueryResult<i64> {
    let row: Count = bind_filters!(diesel::sql_query(statement("count(*) AS n", "")), q)
        .get_result(conn)
        .await?;
    Ok(row.n)
}

/// The next `limit` participants after `after` in the listing order
/// (family key, given key, id) that pass the filters of the participant
/// row itself, by `participants_order_idx` alone: a page of keys costs its
/// own rows whatever the table's statistics say (a fresh import has none).
pub(crate) async fn page_keys(
    conn: &mut Conn,
    q: &ExportQuery,
    after: Option<&ExportCursor>,
    limit: i64,
) -> QueryResult<Vec<KeyRow>> {
    let base = "SELECT p.family_key, p.given_key, p.id FROM participants p
         WHERE p.event_id = $1
           AND ($2::uuid[] IS NULL OR p.category_id = ANY($2))
           AND ($3::uuid[] IS NULL OR p.delegation_id = ANY($3))
           AND ($4::uuid[] IS NULL OR p.organization_id = ANY($4))
           AND ($5::text[] IS NULL OR p.country = ANY($5))
           AND ($6::text IS NULL OR p.status = $6)";
    let order = "ORDER BY p.family_key, p.given_key, p.id LIMIT $7";
    let query = |tail: &str| {
        diesel::sql_query(format!("{base} {tail}"))
            .bind::<SqlUuid, _>(q.event_id)
            .bind::<Nullable<Array<SqlUuid>>, _>(q.category_ids.clone())
            .bind::<Nullable<Array<SqlUuid>>, _>(q.delegation_ids.clone())
            .bind::<Nullable<Array<SqlUuid>>, _>(q.organization_ids.clone())
            .bind::<Nullable<Array<Text>>, _>(q.countries.clone())
            .bind::<Nullable<Text>, _>(q.status.clone())
            .bind::<BigInt, _>(limit)
    };
    // Right after a bulk import the table has no statistics, and the
    // planner would sort every row after the cursor for each page: the
    // index's order is asked for outright, for this statement only.
    index_order(conn, true).await?;
    let keys = match after {
        None => query(order).load(conn).await,
        Some((family, given, id)) => {
            query(&format!(
                "AND (p.family_key, p.given_key, p.id) > ($8, $9, $10) {order}"
            ))
            .bind::<Text, _>(family.clone())
            .bind::<Text, _>(given.clone())
            .bind::<SqlUuid, _>(*id)
            .load(conn)
            .await
        }
    };
    index_order(conn, false).await?;
    keys
}

/// Whether the planner is kept from sorting and from bitmap scans, within
/// the transaction (`SET LOCAL`).
async fn index_order(conn: &mut Conn, on: bool) -> QueryResult<()> {
    let value = if on { "off" } else { "on" };
    diesel::sql_query(format!(
        "SELECT set_config('enable_sort', '{value}', true), set_config('enable_bitmapscan', '{value}', true)"
    ))
    .execute(conn)
    .await
    .map(drop)
}

/// A participant's place in the listing order.
#[derive(Debug, Clone, diesel::QueryableByName)]
pub(crate) struct KeyRow {
    #[diesel(sql_type = Text)]
    pub family_key: String,
    #[diesel(sql_type = Text)]
    pub given_key: String,
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
}

/// These participants as an export writes them, those that pass every
/// filter (their badge's state, their entry), in the listing order.
pub(crate) async fn rows(
    conn: &mut Conn,
    q: &ExportQuery,
    ids: &[Uuid],
) -> QueryResult<Vec<ExportRow>> {
    let select = "p.id, p.given_name, p.family_name, p.native_name,
                  o.name AS organization, p.country, p.job_title, c.code AS category_code,
                  d.name AS delegation, p.email, p.phone, p.document_cipher, p.status,
                  p.external_ref, p.created_at, s.badge_state, b.serial, b.version, p.answers,
                  coalesce(ph.jpeg IS NOT NULL, false) AS has_photo, e.first_entry";
    let tail = "AND p.id = ANY($9) ORDER BY p.family_key, p.given_key, p.id";
    bind_filters!(diesel::sql_query(statement(select, tail)), q)
        .bind::<Array<SqlUuid>, _>(ids)
        .load(conn)
        .await
}
