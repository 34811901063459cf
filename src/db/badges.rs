//! Badges: what issuing needs to know, issue, revoke, read.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::sql_types::{Array, BigInt, Date, Int2, Integer, Nullable, Text, Uuid as SqlUuid};
use diesel::{
    ExpressionMethods as _, OptionalExtension as _, QueryDsl as _, QueryResult,
    SelectableHelper as _,
};
use diesel_async::RunQueryDsl as _;

use crate::ids::{
    BadgeId, CategoryId, DelegationId, EventId, OrganizationId, ParticipantId, ZoneId,
};

use super::{
    Conn,
    models::ParticipantStatus,
    schema::{badges, categories},
};

pub(crate) const REVOKED_REPRINTED: &str = "reprinted";
pub(crate) const REVOKED_CANCELLED: &str = "cancelled";
pub(crate) const REVOKED_STAFF: &str = "staff";

#[derive(Debug, Clone, diesel::Queryable, diesel::Selectable, diesel::Insertable)]
#[diesel(table_name = badges, check_for_backend(diesel::pg::Pg))]
pub struct BadgeRow {
    pub id: BadgeId,
    pub event_id: EventId,
    pub participant_id: ParticipantId,
    pub serial: i64,
    pub version: i32,
    pub key_id: i64,
    pub category_id: CategoryId,
    pub qr_text: String,
    pub issued_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub revocation_reason: Option<String>,
    pub revocation_note: String,
    /// The template it was printed with, and its version; `None` for a
    /// built-in layout.
    pub template_code: Option<String>,
    pub template_version: Option<i32>,
}

/// A badge with its category code.
pub(crate) type BadgeWithCategory = (BadgeRow, String);

/// Everything a badge of a participant is made of, and their latest badge.
#[derive(Debug, Clone, diesel::QueryableByName)]
pub(crate) struct IssueSource {
    #[diesel(sql_type = SqlUuid)]
    pub participant_id: ParticipantId,
    #[diesel(sql_type = SqlUuid)]
    pub event_id: EventId,
    #[diesel(sql_type = Text)]
    pub given_name: String,
    #[diesel(sql_type = Text)]
    pub family_name: String,
    #[diesel(sql_type = Text)]
    pub native_name: String,
    #[diesel(sql_type = Text)]
    pub country: String,
    #[diesel(sql_type = Text)]
    pub status: ParticipantStatus,
    #[diesel(sql_type = Nullable<Text>)]
    pub organization: Option<String>,
    #[diesel(sql_type = SqlUuid)]
    pub category_id: CategoryId,
    #[diesel(sql_type = Text)]
    pub category_code: String,
    #[diesel(sql_type = Text)]
    pub category_name: String,
    /// The category's name in Russian and in Uzbek; empty: as in English.
    #[diesel(sql_type = Text)]
    pub category_name_ru: String,
    #[diesel(sql_type = Text)]
    pub category_name_uz: String,
    #[diesel(sql_type = Text)]
    pub category_color: String,
    #[diesel(sql_type = Int2)]
    pub category_number: i16,
    /// The category's badge: "a6" or "card".
    #[diesel(sql_type = Text)]
    pub badge_layout: String,
    /// The category's template and its newest published version, when it
    /// has one.
    #[diesel(sql_type = Nullable<Text>)]
    pub template_code: Option<String>,
    #[diesel(sql_type = Nullable<Integer>)]
    pub template_version: Option<i32>,
    #[diesel(sql_type = Array<Int2>)]
    pub zone_numbers: Vec<i16>,
    #[diesel(sql_type = Array<Text>)]
    pub zone_names: Vec<String>,
    #[diesel(sql_type = Array<Nullable<Date>>)]
    pub valid_days: Vec<Option<NaiveDate>>,
    #[diesel(sql_type = Text)]
    pub event_name: String,
    #[diesel(sql_type = Text)]
    pub event_venue: String,
    #[diesel(sql_type = Date)]
    pub first_day: NaiveDate,
    #[diesel(sql_type = Date)]
    pub last_day: NaiveDate,
    /// The latest badge: serial, version, and its id when still valid.
    #[diesel(sql_type = Nullable<BigInt>)]
    pub last_serial: Option<i64>,
    #[diesel(sql_type = Nullable<Integer>)]
    pub last_version: Option<i32>,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub current_badge_id: Option<BadgeId>,
    /// The holder's photo (JPEG), when on file.
    #[diesel(sql_type = Nullable<diesel::sql_types::Bytea>)]
    pub photo: Option<Vec<u8>>,
    /// The holder's custom answers.
    #[diesel(sql_type = diesel::sql_types::Jsonb)]
    pub answers: serde_json::Value,
}

const SOURCES: &str = "
SELECT p.id AS participant_id, p.event_id, p.given_name, p.family_name, p.native_name,
       p.country, p.status, o.name AS organization,
       c.id AS category_id, c.code AS category_code, c.name AS category_name,
       c.name_ru AS category_name_ru, c.name_uz AS category_name_uz,
       c.color AS category_color, c.number AS category_number, c.badge_layout,
       t.code AS template_code, t.version AS template_version,
       coalesce((SELECT array_agg(z.number ORDER BY z.number) FROM zones z
                 WHERE z.id = ANY (c.zone_ids)), '{}') AS zone_numbers,
       coalesce((SELECT array_agg(z.name ORDER BY z.number) FROM zones z
                 WHERE z.id = ANY (c.zone_ids)), '{}') AS zone_names,
       c.valid_days, e.name AS event_name, e.venue AS event_venue, e.first_day, e.last_day,
       b.serial AS last_serial, b.version AS last_version,
       CASE WHEN b.revoked_at IS NULL THEN b.id END AS current_badge_id,
       ph.jpeg AS photo, p.answers
FROM participants p
JOIN categories c ON c.id = p.category_id
JOIN events e ON e.id = p.event_id
LEFT JOIN organizations o ON o.id = p.organization_id
LEFT JOIN participant_photos ph ON ph.participant_id = p.id
LEFT JOIN LATERAL (
    SELECT code, version FROM badge_templates
    WHERE event_id = p.event_id AND code = c.badge_template AND version > 0
    ORDER BY version DESC LIMIT 1
) t ON true
LEFT JOIN LATERAL (
    SELECT serial, version, id, revoked_at FROM badges
    WHERE participant_id = p.id ORDER BY version DESC LIMIT 1
) b ON true
WHERE p.id = ANY ($1)
ORDER BY p.id";

/// The sources of these participants, locked (in id order, so concurrent
/// batches cannot deadlock) until the transaction ends. The lock is taken
/// by a statement of its own: a statement that waits for a row lock still
/// reads the other tables as they were when it began, and would miss the
/// badge a concurrent reprint committed meanwhile (its version taken twice).
pub(crate) async fn lock_sources(
    conn: &mut Conn,
    ids: &[ParticipantId],
) -> QueryResult<Vec<IssueSource>> {
    diesel::sql_query("SELECT id FROM participants WHERE id = ANY ($1) ORDER BY id FOR UPDATE")
        .bind::<Array<SqlUuid>, _>(ids)
        .execute(conn)
        .await?;
    diesel::sql_query(SOURCES)
        .bind::<Array<SqlUuid>, _>(ids)
        .load(conn)
        .await
}

/// The sources of these participants as they are now, unlocked: what a
/// preview shows.
pub(crate) async fn sources(
    conn: &mut Conn,
    ids: &[ParticipantId],
) -> QueryResult<Vec<IssueSource>> {
    diesel::sql_query(SOURCES)
        .bind::<Array<SqlUuid>, _>(ids)
        .load(conn)
        .await
}

/// `n` fresh badge serials.
pub(crate) async fn next_serials(conn: &mut Conn, n: usize) -> QueryResult<Vec<i64>> {
    #[derive(diesel::QueryableByName)]
    struct Serial {
        #[diesel(sql_type = BigInt)]
        serial: i64,
    }
    if n == 0 {
        return Ok(Vec::new());
    }
    let rows: Vec<Serial> =
        diesel::sql_query("SELECT nextval('badge_serials') AS serial FROM generate_series(1, $1)")
            .bind::<Integer, _>(i32::try_from(n).unwrap_or(i32::MAX))
            .load(conn)
            .await?;
    Ok(rows.into_iter().map(|r| r.serial).collect())
}

pub(crate) async fn insert_many(conn: &mut Conn, rows: &[BadgeRow]) -> QueryResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    diesel::insert_into(badges::table)
        .values(rows)
        .execute(conn)
        .await
        .map(drop)
}

/// Revokes the valid badges of these participants; returns their ids.
pub(crate) async fn revoke_current(
    conn: &mut Conn,
    participant_ids: &[ParticipantId],
    reason: &str,
    note: &str,
    at: DateTime<Utc>,
) -> QueryResult<Vec<BadgeId>> {
    diesel::update(badges::table)
        .filter(badges::participant_id.eq_any(participant_ids))
        .filter(badges::revoked_at.is_null())
        .set((
            badges::revoked_at.eq(at),
            badges::revocation_reason.eq(reason),
            badges::revocation_note.eq(note),
        ))
        .returning(badges::id)
        .get_results(conn)
        .await
}

/// Revokes one badge if it is valid; returns whether it was.
pub(crate) async fn revoke(
    conn: &mut Conn,
    id: BadgeId,
    reason: &str,
    note: &str,
    at: DateTime<Utc>,
) -> QueryResult<bool> {
    diesel::update(badges::table)
        .filter(badges::id.eq(id))
        .filter(badges::revoked_at.is_null())
        .set((
            badges::revoked_at.eq(at),
            badges::revocation_reason.eq(reason),
            badges::revocation_note.eq(note),
        ))
        .execute(conn)
        .await
        .map(|n| n == 1)
}

pub(crate) async fn find(conn: &mut Conn, id: BadgeId) -> QueryResult<Option<BadgeWithCategory>> {
    badges::table
        .inner_join(categories::table)
        .filter(badges::id.eq(id))
        .select((BadgeRow::as_select(), categories::code))
        .first(conn)
        .await
        .optional()
}

pub(crate) async fn find_many(
    conn: &mut Conn,
    ids: &[BadgeId],
) -> QueryResult<Vec<BadgeWithCategory>> {
    badges::table
        .inner_join(categories::table)
        .filter(badges::id.eq_any(ids))
        .select((BadgeRow::as_select(), categories::code))
        .load(conn)
        .await
}

/// The badge of a serial: the version given, or the newest one.
pub(crate) async fn find_by_serial(
    conn: &mut Conn,
    serial: i64,
    version: Option<i32>,
) -> QueryResult<Option<BadgeWithCategory>> {
    let mut query = badges::table
        .inner_join(categories::table)
        .filter(badges::serial.eq(serial))
        .select((BadgeRow::as_select(), categories::code))
        .order(badges::version.desc())
        .into_boxed();
    if let Some(version) = version {
        query = query.filter(badges::version.eq(version));
    }
    query.first(conn).await.optional()
}

/// The latest badge of a participant, valid or not.
pub(crate) async fn latest_for(
    conn: &mut Conn,
    participant_id: ParticipantId,
) -> QueryResult<Option<BadgeWithCategory>> {
    badges::table
        .inner_join(categories::table)
        .filter(badges::participant_id.eq(participant_id))
        .order(badges::version.desc())
        .select((BadgeRow::as_select(), categories::code))
        .first(conn)
        .await
        .optional()
}

/// Revoked badges of an event: (serial, version), in order.
pub(crate) async fn revoked(conn: &mut Conn, event_id: EventId) -> QueryResult<Vec<(i64, i32)>> {
    badges::table
        .filter(badges::event_id.eq(event_id))
        .filter(badges::revoked_at.is_not_null())
        .order((badges::serial, badges::version))
        .select((badges::serial, badges::version))
        .load(conn)
        .await
}

/// What to print: active participants of an event, in listing order.
#[derive(Debug, Clone)]
pub(crate) enum PrintSelection {
    Delegation(DelegationId),
    Category(CategoryId),
    Organization(OrganizationId),
}

pub(crate) async fn print_order(
    conn: &mut Conn,
    event_id: EventId,
    selection: &PrintSelection,
) -> QueryResult<Vec<ParticipantId>> {
    use super::schema::participants as p;
    let mut query = p::table
        .filter(p::event_id.eq(event_id))
        .filter(p::status.eq(ParticipantStatus::Active))
        .into_boxed();
    query = match selection {
        PrintSelection::Delegation(id) => query.filter(p::delegation_id.eq(*id)),
        PrintSelection::Category(id) => query.filter(p::category_id.eq(*id)),
        PrintSelection::Organization(id) => query.filter(p::organization_id.eq(*id)),
    };
    query
        .order((p::family_key, p::given_key, p::id))
        .select(p::id)
        .load(conn)
        .await
}

/// (id, event, status) of these participants.
pub(crate) async fn participant_states(
    conn: &mut Conn,
    ids: &[ParticipantId],
) -> QueryResult<Vec<(ParticipantId, EventId, ParticipantStatus)>> {
    use super::schema::participants as p;
    p::table
        .filter(p::id.eq_any(ids))
        .select((p::id, p::event_id, p::status))
        .load(conn)
        .await
}

/// A category with its number.
#[derive(Debug, Clone, diesel::Queryable)]
pub(crate) struct NumberedCategory {
    pub code: String,
    pub name: String,
    pub name_ru: String,
    pub name_uz: String,
    pub color: String,
    pub number: i16,
    pub zone_ids: Vec<Option<ZoneId>>,
    pub valid_days: Vec<Option<NaiveDate>>,
}

/// A zone with its number.
#[derive(Debug, Clone, diesel::Queryable)]
pub(crate) struct NumberedZone {
    pub id: ZoneId,
    pub code: String,
    pub name: String,
    pub name_ru: String,
    pub name_uz: String,
    pub number: i16,
    pub parent_zone_id: Option<ZoneId>,
    pub capacity: i32,
}

pub(crate) async fn numbered_categories(
    conn: &mut Conn,
    event_id: EventId,
) -> QueryResult<Vec<NumberedCategory>> {
    categories::table
        .filter(categories::event_id.eq(event_id))
        .order(categories::number)
        .select((
            categories::code,
            categories::name,
            categories::name_ru,
            categories::name_uz,
            categories::color,
            categories::number,
            categories::zone_ids,
            categories::valid_days,
        ))
        .load(conn)
        .await
}

pub(crate) async fn numbered_zones(
    conn: &mut Conn,
    event_id: EventId,
) -> QueryResult<Vec<NumberedZone>> {
    use super::schema::zones;
    zones::table
        .filter(zones::event_id.eq(event_id))
        .order(zones::number)
        .select((
            zones::id,
            zones::code,
            zones::name,
            zones::name_ru,
            zones::name_uz,
            zones::number,
            zones::parent_zone_id,
            zones::capacity,
        ))
        .load(conn)
        .await
}
