//! What applying an event file reads (how much each part of an event is
//! used) and writes beyond the set-up upserts: the event's own fields,
//! organisations and delegations changed, and parts removed.

use diesel::sql_types::{BigInt, Nullable, Text, Uuid as SqlUuid};
use diesel::{ExpressionMethods as _, QueryDsl as _, QueryResult};
use diesel_async::RunQueryDsl as _;

use crate::ids::{
    CategoryId, DelegationId, EventId, GateId, OrganizationId, ParticipantId, ZoneId,
};

use super::{
    Conn,
    models::{Event, OrganizationKind},
    schema::{
        categories, delegation_quotas, delegations, events, gates, organizations, zone_occupancy,
        zones,
    },
};

/// A count per id.
#[derive(Debug, Clone, diesel::QueryableByName)]
pub(crate) struct CountRow {
    #[diesel(sql_type = SqlUuid)]
    pub id: uuid::Uuid,
    #[diesel(sql_type = BigInt)]
    pub n: i64,
}

/// Locks the event row: one apply (or set-up call) of an event at a time.
pub(crate) async fn lock_event(conn: &mut Conn, code: &str) -> QueryResult<Option<Event>> {
    use diesel::{OptionalExtension as _, SelectableHelper as _};
    events::table
        .filter(events::code.eq(code))
        .select(Event::as_select())
        .for_update()
        .first(conn)
        .await
        .optional()
}

async fn counts(conn: &mut Conn, sql: &str, event_id: EventId) -> QueryResult<Vec<CountRow>> {
    diesel::sql_query(sql)
        .bind::<SqlUuid, _>(event_id)
        .load(conn)
        .await
}

/// People inside each zone now.
pub(crate) async fn zone_inside(conn: &mut Conn, event_id: EventId) -> QueryResult<Vec<CountRow>> {
    counts(
        conn,
        "SELECT zone_id AS id, sum(inside)::BIGINT AS n FROM zone_occupancy
         WHERE event_id = $1 GROUP BY zone_id",
        event_id,
    )
    .await
}

/// Zones with scans recorded in them.
pub(crate) async fn zones_scanned(
    conn: &mut Conn,
    event_id: EventId,
) -> QueryResult<Vec<CountRow>> {
    counts(
        conn,
        "SELECT DISTINCT zone_id AS id, 1::BIGINT AS n FROM scans WHERE event_id = $1",
        event_id,
    )
    .await
}

/// Gates with scans recorded.
pub(crate) async fn gates_scanned(
    conn: &mut Conn,
    event_id: EventId,
) -> QueryResult<Vec<CountRow>> {
    counts(
        conn,
        "SELECT g.id, 1::BIGINT AS n FROM gates g WHERE g.event_id = $1
         AND EXISTS (SELECT 1 FROM scans s WHERE s.gate_id = g.id)",
        event_id,
    )
    .await
}

/// Participants (cancelled ones too) per category.
pub(crate) async fn category_people(
    conn: &mut Conn,
    event_id: EventId,
) -> QueryResult<Vec<CountRow>> {
    counts(
        conn,
        "SELECT category_id AS id, count(*) AS n FROM participants
         WHERE event_id = $1 GROUP BY category_id",
        event_id,
    )
    .await
}

/// Participants (cancelled ones too) per organisation.
pub(crate) async fn organization_people(
    conn: &mut Conn,
    event_id: EventId,
) -> QueryResult<Vec<CountRow>> {
    counts(
        conn,
        "SELECT organization_id AS id, count(*) AS n FROM participants
         WHERE event_id = $1 AND organization_id IS NOT NULL GROUP BY organization_id",
        event_id,
    )
    .await
}

/// Participants (cancelled ones too) per delegation.
pub(crate) async fn delegation_people(
    conn: &mut Conn,
    event_id: EventId,
) -> QueryResult<Vec<CountRow>> {
    counts(
        conn,
        "SELECT delegation_id AS id, count(*) AS n FROM participants
         WHERE event_id = $1 AND delegation_id IS NOT NULL GROUP BY delegation_id",
        event_id,
    )
    .await
}

/// Whether any badge of the event was issued.
pub(crate) async fn badges_issued(conn: &mut Conn, event_id: EventId) -> QueryResult<bool> {
    let rows = counts(
        conn,
        "SELECT e.id, 1::BIGINT AS n FROM events e WHERE e.id = $1
         AND EXISTS (SELECT 1 FROM badges b WHERE b.event_id = e.id)",
        event_id,
    )
    .await?;
    Ok(!rows.is_empty())
}

/// A participant a file names by roster reference or id.
#[derive(Debug, Clone, diesel::QueryableByName)]
pub(crate) struct RefRow {
    #[diesel(sql_type = SqlUuid)]
    pub id: ParticipantId,
    #[diesel(sql_type = Text)]
    pub external_ref: String,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub delegation_id: Option<DelegationId>,
}

/// The event's participants whose roster reference is one of `refs`, or
/// whose id is one of `ids`.
pub(crate) async fn participants_by_ref(
    conn: &mut Conn,
    event_id: EventId,
    refs: &[String],
    ids: &[uuid::Uuid],
) -> QueryResult<Vec<RefRow>> {
    diesel::sql_query(
        "SELECT id, external_ref, delegation_id FROM participants
         WHERE event_id = $1 AND ((external_ref <> '' AND external_ref = ANY ($2)) OR id = ANY ($3))",
    )
    .bind::<SqlUuid, _>(event_id)
    .bind::<diesel::sql_types::Array<Text>, _>(refs)
    .bind::<diesel::sql_types::Array<SqlUuid>, _>(ids)
    .load(conn)
    .await
}

/// Replaces the event's own fields (not its code).
pub(crate) async fn update_event(conn: &mut Conn, e: &Event) -> QueryResult<()> {
    diesel::update(events::table.find(e.id))
        .set((
            events::name.eq(&e.name),
            events::venue.eq(&e.venue),
            events::time_zone.eq(&e.time_zone),
            events::first_day.eq(e.first_day),
            events::last_day.eq(e.last_day),
            events::names_at_gates.eq(e.names_at_gates),
            events::photos_at_gates.eq(e.photos_at_gates),
        ))
        .execute(conn)
        .await
        .map(drop)
}

pub(crate) async fn update_organization(
    conn: &mut Conn,
    id: OrganizationId,
    name: &str,
    country: &str,
    kind: OrganizationKind,
) -> QueryResult<()> {
    diesel::update(organizations::table.find(id))
        .set((
            organizations::name.eq(name),
            organizations::country.eq(country),
            organizations::kind.eq(kind),
        ))
        .execute(conn)
        .await
        .map(drop)
}

pub(crate) async fn set_delegation_country(
    conn: &mut Conn,
    id: DelegationId,
    country: &str,
) -> QueryResult<()> {
    diesel::update(delegations::table.find(id))
        .set(delegations::country.eq(country))
        .execute(conn)
        .await
        .map(drop)
}

pub(crate) async fn delete_delegation(conn: &mut Conn, id: DelegationId) -> QueryResult<()> {
    diesel::delete(delegation_quotas::table.filter(delegation_quotas::delegation_id.eq(id)))
        .execute(conn)
        .await?;
    diesel::delete(delegations::table.find(id))
        .execute(conn)
        .await
        .map(drop)
}

pub(crate) async fn delete_organization(conn: &mut Conn, id: OrganizationId) -> QueryResult<()> {
    diesel::delete(organizations::table.find(id))
        .execute(conn)
        .await
        .map(drop)
}

pub(crate) async fn delete_gate(conn: &mut Conn, id: GateId) -> QueryResult<()> {
    diesel::delete(gates::table.find(id))
        .execute(conn)
        .await
        .map(drop)
}

pub(crate) async fn delete_category(conn: &mut Conn, id: CategoryId) -> QueryResult<()> {
    diesel::delete(delegation_quotas::table.filter(delegation_quotas::category_id.eq(id)))
        .execute(conn)
        .await?;
    diesel::delete(categories::table.find(id))
        .execute(conn)
        .await
        .map(drop)
}

/// Removes a zone no gate, category or child zone refers to any more.
pub(crate) async fn delete_zone(conn: &mut Conn, id: ZoneId) -> QueryResult<()> {
    diesel::delete(zone_occupancy::table.filter(zone_occupancy::zone_id.eq(id)))
        .execute(conn)
        .await?;
    diesel::delete(zones::table.find(id))
        .execute(conn)
        .await
        .map(drop)
}
