//! Events and their set-up: zones, categories, gates.

use diesel::upsert::excluded;
use diesel::{
    ExpressionMethods as _, OptionalExtension as _, QueryDsl as _, QueryResult,
    SelectableHelper as _,
};
use diesel_async::RunQueryDsl as _;

use crate::ids::EventId;

use super::{
    Conn,
    models::{Category, Event, Gate, Zone},
    schema::{categories, events, gates, zones},
};

/// Inserts an event; `None` when the code is taken.
pub(crate) async fn insert_event(conn: &mut Conn, event: &Event) -> QueryResult<Option<Event>> {
    diesel::insert_into(events::table)
        .values(event)
        .on_conflict(events::code)
        .do_nothing()
        .returning(Event::as_returning())
        .get_result(conn)
        .await
        .optional()
}

/// Sets what gates show of holders; `None` when there is no such event.
pub(crate) async fn set_gate_display(
    conn: &mut Conn,
    id: EventId,
    names: bool,
    photos: bool,
) -> QueryResult<Option<Event>> {
    diesel::update(events::table.find(id))
        .set((
            events::names_at_gates.eq(names),
            events::photos_at_gates.eq(photos),
        ))
        .returning(Event::as_returning())
        .get_result(conn)
        .await
        .optional()
}

pub(crate) async fn find_event(conn: &mut Conn, id: EventId) -> QueryResult<Option<Event>> {
    events::table
        .find(id)
        .select(Event::as_select())
        .first(conn)
        .await
        .optional()
}

pub(crate) async fn find_event_by_code(conn: &mut Conn, code: &str) -> QueryResult<Option<Event>> {
    events::table
        .filter(events::code.eq(code))
        .select(Event::as_select())
        .first(conn)
        .await
        .optional()
}

pub(crate) async fn list_events(conn: &mut Conn) -> QueryResult<Vec<Event>> {
    events::table
        .order((events::first_day.desc(), events::code))
        .select(Event::as_select())
        .load(conn)
        .await
}

/// Inserts or replaces a zone keyed by (event, code); the id of an existing
/// zone is kept.
pub(crate) async fn upsert_zone(conn: &mut Conn, zone: &Zone) -> QueryResult<Zone> {
    diesel::insert_into(zones::table)
        .values(zone)
        .on_conflict((zones::event_id, zones::code))
        .do_update()
        .set((
            zones::name.eq(excluded(zones::name)),
            zones::name_ru.eq(excluded(zones::name_ru)),
            zones::name_uz.eq(excluded(zones::name_uz)),
            zones::capacity.eq(excluded(zones::capacity)),
            zones::parent_zone_id.eq(excluded(zones::parent_zone_id)),
        ))
        .returning(Zone::as_returning())
        .get_result(conn)
        .await
}

pub(crate) async fn list_zones(conn: &mut Conn, event_id: EventId) -> QueryResult<Vec<Zone>> {
    zones::table
        .filter(zones::event_id.eq(event_id))
        .order(zones::code)
        .select(Zone::as_select())
        .load(conn)
        .await
}

pub(crate) async fn upsert_category(conn: &mut Conn, category: &Category) -> QueryResult<Category> {
    diesel::insert_into(categories::table)
        .values(category)
        .on_conflict((categories::event_id, categories::code))
        .do_update()
        .set((
            categories::name.eq(excluded(categories::name)),
            categories::name_ru.eq(excluded(categories::name_ru)),
            categories::name_uz.eq(excluded(categories::name_uz)),
            categories::color.eq(excluded(categories::color)),
            categories::zone_ids.eq(excluded(categories::zone_ids)),
            categories::valid_days.eq(excluded(categories::valid_days)),
            categories::badge_layout.eq(excluded(categories::badge_layout)),
        ))
        .returning(Category::as_returning())
        .get_result(conn)
        .await
}

pub(crate) async fn list_categories(
    conn: &mut Conn,
    event_id: EventId,
) -> QueryResult<Vec<Category>> {
    categories::table
        .filter(categories::event_id.eq(event_id))
        .order(categories::code)
        .select(Category::as_select())
        .load(conn)
        .await
}

pub(crate) async fn find_category_by_code(
    conn: &mut Conn,
    event_id: EventId,
    code: &str,
) -> QueryResult<Option<Category>> {
    categories::table
        .filter(categories::event_id.eq(event_id))
        .filter(categories::code.eq(code))
        .select(Category::as_select())
        .first(conn)
        .await
        .optional()
}

pub(crate) async fn upsert_gate(conn: &mut Conn, gate: &Gate) -> QueryResult<Gate> {
    diesel::insert_into(gates::table)
        .values(gate)
        .on_conflict((gates::event_id, gates::code))
        .do_update()
        .set((
            gates::name.eq(excluded(gates::name)),
            gates::zone_id.eq(excluded(gates::zone_id)),
        ))
        .returning(Gate::as_returning())
        .get_result(conn)
        .await
}

pub(crate) async fn list_gates(conn: &mut Conn, event_id: EventId) -> QueryResult<Vec<Gate>> {
    gates::table
        .filter(gates::event_id.eq(event_id))
        .order(gates::code)
        .select(Gate::as_select())
        .load(conn)
        .await
}
