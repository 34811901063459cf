//! The organiser's set-up: events, zones, categories, gates.

use std::{collections::HashMap, sync::RwLock};

use chrono::NaiveDate;
use uuid::Uuid;

use super::records::audit_row;
use super::{
    Principal, Services,
    ids::{CategoryId, EventId, GateId, ZoneId},
    validate::Validator,
};
use crate::words::Violation;
use crate::{
    db::{
        self,
        models::{Category, CategoryLayout, Event, Gate, Zone},
    },
    error::{AppError, AppResult, FieldViolation, Reason},
};

/// Longest event, in days.
pub(crate) const MAX_EVENT_DAYS: i64 = 31;

/// Set-up facts that never change once written (ids of events and of
/// category codes: upserts keep ids), cached to spare the hot paths a query.
#[derive(Default)]
pub struct SetupCache {
    events: RwLock<HashMap<EventId, Event>>,
    categories: RwLock<HashMap<(EventId, String), CategoryId>>,
    /// Organisation and delegation ids -> (event id, organisation name).
    pub(crate) owners: RwLock<HashMap<Uuid, (EventId, String)>>,
}

impl SetupCache {
    /// Forgets what is cached of an event whose set-up was replaced (an
    /// event file applied): its row, its category codes, the names of its
    /// organisations and delegations.
    pub(crate) fn forget_event(&self, event_id: EventId) {
        if let Ok(mut events) = self.events.write() {
            events.remove(&event_id);
        }
        if let Ok(mut categories) = self.categories.write() {
            categories.retain(|(e, _), _| *e != event_id);
        }
        if let Ok(mut owners) = self.owners.write() {
            owners.retain(|_, (e, _)| *e != event_id);
        }
    }
}

/// How to find an event.
#[derive(Debug, Clone)]
pub enum EventKey {
    Id(EventId),
    Code(String),
}

/// A new event, parsed: every field checked.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub code: String,
    pub name: String,
    pub venue: String,
    /// An IANA time zone.
    pub time_zone: String,
    pub first_day: NaiveDate,
    /// Not before `first_day`, at most `MAX_EVENT_DAYS` after.
    pub last_day: NaiveDate,
    pub names_at_gates: bool,
    pub photos_at_gates: bool,
}

/// A zone to create or change, parsed.
#[derive(Debug, Clone)]
pub struct ZoneInput {
    pub event_id: EventId,
    pub code: String,
    pub name: String,
    pub capacity: i32,
    /// Upper case; never the zone's own code.
    pub parent_code: Option<String>,
    /// The name in Russian and in Uzbek; empty: as `name`.
    pub name_ru: String,
    pub name_uz: String,
}

/// A category to create or change, parsed; its zones and days are checked
/// against the event when it is applied.
#[derive(Debug, Clone)]
pub struct CategoryInput {
    pub event_id: EventId,
    pub code: String,
    pub name: String,
    pub color: String,
    /// Upper case.
    pub zone_codes: Vec<String>,
    pub valid_days: Vec<NaiveDate>,
    /// The name in Russian and in Uzbek; empty: as `name`.
    pub name_ru: String,
    pub name_uz: String,
    /// The badge its holders get by default.
    pub badge_layout: CategoryLayout,
}

/// A gate to create or change, parsed.
#[derive(Debug, Clone)]
pub struct GateInput {
    pub event_id: EventId,
    pub code: String,
    pub name: String,
    /// Upper case.
    pub zone_code: String,
}

/// A zone with its parent's code.
#[derive(Debug, Clone)]
pub struct ZoneView {
    pub zone: Zone,
    pub parent_code: Option<String>,
}

/// A category with zone codes instead of ids.
#[derive(Debug, Clone)]
pub struct CategoryView {
    pub category: Category,
    pub zone_codes: Vec<String>,
    pub valid_days: Vec<NaiveDate>,
}

/// A gate with its zone's code.
#[derive(Debug, Clone)]
pub struct GateView {
    pub gate: Gate,
    pub zone_code: String,
}

impl Services {
    pub async fn create_event(&self, actor: &Principal, input: NewEvent) -> AppResult<Event> {
        let NewEvent {
            code,
            name,
            venue,
            time_zone,
            first_day,
            last_day,
            names_at_gates,
            photos_at_gates,
        } = input;
        let event = Event {
            id: EventId::generate(),
            code,
            name,
            venue,
            time_zone,
            first_day,
            last_day,
            names_at_gates,
            photos_at_gates,
            created_at: crate::domain::now(),
        };
        let mut conn = self.db.get().await?;
        let created = crate::domain::transaction(&mut conn, async move |conn| {
            let Some(created) = db::events::insert_event(conn, &event).await? else {
                return Err(AppError::already_exists(
                    Reason::EventCodeTaken,
                    format!("an event with code {} exists", event.code),
                ));
            };
            db::audit::record(
                conn,
                &audit_row(actor, "event.create", "event", created.id, ""),
            )
            .await?;
            Ok(created)
        })
        .await?;
        Ok(created)
    }

    /// Sets what gates show of holders. Gates of every instance rebuild
    /// their rules (the row's change is notified); this one at once.
    /// `actor` is `None` for the operator's console.
    pub async fn set_gate_display(
        &self,
        actor: Option<&Principal>,
        event_id: EventId,
        display: super::offline::GateDisplay,
    ) -> AppResult<Event> {
        if let Some(actor) = actor {
            actor.require_event(event_id)?;
        }
        let mut conn = self.db.get().await?;
        let event = crate::domain::transaction(&mut conn, async move |conn| {
            let Some(event) =
                db::events::set_gate_display(conn, event_id, display.names, display.photos).await?
            else {
                return Err(AppError::not_found(Reason::EventNotFound, "no such event"));
            };
            let entry = audit_row(&actor, "event.gate_display", "event", event.id, "");
            db::audit::record(conn, &entry).await?;
            Ok(event)
        })
        .await?;
        super::remember(&self.cache.events, event.id, event.clone());
        self.applied_here(super::hub::GateEvent::Rules { event_id });
        Ok(event)
    }

    pub async fn get_event(&self, key: EventKey) -> AppResult<Event> {
        let mut conn = self.db.get().await?;
        let found = match key {
            EventKey::Id(id) => db::events::find_event(&mut conn, id).await?,
            EventKey::Code(code) => {
                db::events::find_event_by_code(&mut conn, &code.trim().to_uppercase()).await?
            }
        };
        found.ok_or_else(|| AppError::not_found(Reason::EventNotFound, "no such event"))
    }

    pub async fn list_events(&self) -> AppResult<Vec<Event>> {
        let mut conn = self.db.get().await?;
        Ok(db::events::list_events(&mut conn).await?)
    }

    /// The event with this id (cached: events are never deleted; what may
    /// change, the gate display, is read from the gate rules).
    pub async fn event(&self, conn: &mut db::Conn, id: EventId) -> AppResult<Event> {
        if let Some(event) = super::cached(&self.cache.events, &id) {
            return Ok(event);
        }
        self.fresh_event(conn, id).await
    }

    /// The event with this id read from the database, and cached anew.
    pub(crate) async fn fresh_event(&self, conn: &mut db::Conn, id: EventId) -> AppResult<Event> {
        let event = db::events::find_event(conn, id)
            .await?
            .ok_or_else(|| AppError::not_found(Reason::EventNotFound, "no such event"))?;
        super::remember(&self.cache.events, id, event.clone());
        Ok(event)
    }

    /// The id of a category code of an event, if it exists.
    pub async fn category_id(
        &self,
        conn: &mut db::Conn,
        event_id: EventId,
        code: &str,
    ) -> AppResult<Option<CategoryId>> {
        let key = (event_id, code.to_owned());
        if let Some(id) = super::cached(&self.cache.categories, &key) {
            return Ok(Some(id));
        }
        let Some(category) = db::events::find_category_by_code(conn, event_id, code).await? else {
            return Ok(None);
        };
        super::remember(&self.cache.categories, key, category.id);
        Ok(Some(category.id))
    }

    pub async fn upsert_zone(&self, actor: &Principal, input: ZoneInput) -> AppResult<ZoneView> {
        let mut conn = self.db.get().await?;
        let event = self.event(&mut conn, input.event_id).await?;
        let ZoneInput {
            code,
            name,
            capacity,
            parent_code,
            name_ru,
            name_uz,
            ..
        } = input;
        let view = crate::domain::transaction(&mut conn, async move |conn| {
            {
                let zones = db::events::list_zones(conn, event.id).await?;
                let parent = match &parent_code {
                    None => None,
                    Some(parent_code) => {
                        let Some(parent) = zones.iter().find(|z| &z.code == parent_code) else {
                            return Err(AppError::invalid_field(
                                "parent_code",
                                Violation::UnknownZone,
                            ));
                        };
                        // Walk up from the parent: meeting this zone is a cycle.
                        let by_id: HashMap<ZoneId, &Zone> =
                            zones.iter().map(|z| (z.id, z)).collect();
                        let mut cursor = Some(parent);
                        while let Some(z) = cursor {
                            if z.code == code {
                                return Err(AppError::precondition(
                                    Reason::ZoneCycle,
                                    "the parent is inside this zone",
                                ));
                            }
                            cursor = z.parent_zone_id.and_then(|id| by_id.get(&id).copied());
                        }
                        Some(parent.id)
                    }
                };
                let existing = zones.iter().find(|z| z.code == code).map(|z| z.id);
                let zone = db::events::upsert_zone(
                    conn,
                    &Zone {
                        id: existing.unwrap_or_else(ZoneId::generate),
                        event_id: event.id,
                        code,
                        name,
                        capacity,
                        parent_zone_id: parent,
                        name_ru,
                        name_uz,
                    },
                )
                .await?;
                db::audit::record(conn, &audit_row(actor, "zone.upsert", "zone", zone.id, ""))
                    .await?;
                Ok(ZoneView { zone, parent_code })
            }
        })
        .await?;
        Ok(view)
    }

    pub async fn list_zones(&self, event_id: EventId) -> AppResult<Vec<ZoneView>> {
        let mut conn = self.db.get().await?;
        let event = self.event(&mut conn, event_id).await?;
        let zones = db::events::list_zones(&mut conn, event.id).await?;
        let codes: HashMap<ZoneId, String> = zones.iter().map(|z| (z.id, z.code.clone())).collect();
        Ok(zones
            .into_iter()
            .map(|zone| ZoneView {
                parent_code: zone.parent_zone_id.and_then(|id| codes.get(&id).cloned()),
                zone,
            })
            .collect())
    }

    /// What is wrong with a category's zones and days in its event (for an
    /// answer that names every violation of a request, the edge's too):
    /// `days` in request order, `None` for those that did not parse.
    pub async fn category_violations(
        &self,
        event_id: EventId,
        zone_codes: &[String],
        days: &[Option<NaiveDate>],
    ) -> AppResult<Vec<FieldViolation>> {
        let mut conn = self.db.get().await?;
        let event = self.event(&mut conn, event_id).await?;
        let zones = db::events::list_zones(&mut conn, event.id).await?;
        let mut v = Validator::new();
        category_refs(&mut v, &event, &zones, zone_codes, days);
        Ok(v.into_violations())
    }

    pub async fn upsert_category(
        &self,
        actor: &Principal,
        input: CategoryInput,
    ) -> AppResult<CategoryView> {
        let mut conn = self.db.get().await?;
        let event = self.event(&mut conn, input.event_id).await?;
        let zones = db::events::list_zones(&mut conn, event.id).await?;
        let days: Vec<Option<NaiveDate>> = input.valid_days.iter().copied().map(Some).collect();
        let mut v = Validator::new();
        let (zone_ids, zone_codes, valid_days) =
            category_refs(&mut v, &event, &zones, &input.zone_codes, &days);
        v.finish()?;
        let CategoryInput {
            code,
            name,
            color,
            name_ru,
            name_uz,
            badge_layout,
            ..
        } = input;
        let existing = db::events::find_category_by_code(&mut conn, event.id, &code).await?;
        let row = Category {
            id: existing.map_or_else(CategoryId::generate, |c| c.id),
            event_id: event.id,
            code,
            name,
            color,
            zone_ids,
            valid_days: valid_days.iter().copied().map(Some).collect(),
            name_ru,
            name_uz,
            badge_layout,
        };
        let category = crate::domain::transaction(&mut conn, async move |conn| {
            let category = db::events::upsert_category(conn, &row).await?;
            db::audit::record(
                conn,
                &audit_row(actor, "category.upsert", "category", category.id, ""),
            )
            .await?;
            Ok(category)
        })
        .await?;
        Ok(CategoryView {
            category,
            zone_codes,
            valid_days,
        })
    }

    pub async fn list_categories(&self, event_id: EventId) -> AppResult<Vec<CategoryView>> {
        let mut conn = self.db.get().await?;
        let event = self.event(&mut conn, event_id).await?;
        let zones = db::events::list_zones(&mut conn, event.id).await?;
        let codes: HashMap<ZoneId, String> = zones.into_iter().map(|z| (z.id, z.code)).collect();
        let categories = db::events::list_categories(&mut conn, event.id).await?;
        Ok(categories
            .into_iter()
            .map(|category| CategoryView {
                zone_codes: category
                    .zone_ids
                    .iter()
                    .flatten()
                    .filter_map(|id| codes.get(id).cloned())
                    .collect(),
                valid_days: category.valid_days.iter().flatten().copied().collect(),
                category,
            })
            .collect())
    }

    pub async fn upsert_gate(&self, actor: &Principal, input: GateInput) -> AppResult<GateView> {
        let mut conn = self.db.get().await?;
        let event = self.event(&mut conn, input.event_id).await?;
        let zones = db::events::list_zones(&mut conn, event.id).await?;
        let GateInput {
            code,
            name,
            zone_code,
            ..
        } = input;
        let mut v = Validator::new();
        let zone = zones.iter().find(|z| z.code == zone_code);
        if zone.is_none() {
            v.violation("zone_code", Violation::UnknownZone);
        }
        let zone_id = v.finish_with(zone.map(|z| z.id))?;
        let existing = db::events::list_gates(&mut conn, event.id)
            .await?
            .into_iter()
            .find(|g| g.code == code)
            .map(|g| g.id);
        let row = Gate {
            id: existing.unwrap_or_else(GateId::generate),
            event_id: event.id,
            code,
            name,
            zone_id,
        };
        let gate = crate::domain::transaction(&mut conn, async move |conn| {
            let gate = db::events::upsert_gate(conn, &row).await?;
            db::audit::record(conn, &audit_row(actor, "gate.upsert", "gate", gate.id, "")).await?;
            Ok(gate)
        })
        .await?;
        Ok(GateView { gate, zone_code })
    }

    pub async fn list_gates(&self, event_id: EventId) -> AppResult<Vec<GateView>> {
        let mut conn = self.db.get().await?;
        let event = self.event(&mut conn, event_id).await?;
        let zones = db::events::list_zones(&mut conn, event.id).await?;
        let codes: HashMap<ZoneId, String> = zones.into_iter().map(|z| (z.id, z.code)).collect();
        let gates = db::events::list_gates(&mut conn, event.id).await?;
        Ok(gates
            .into_iter()
            .map(|gate| GateView {
                zone_code: codes.get(&gate.zone_id).cloned().unwrap_or_default(),
                gate,
            })
            .collect())
    }
}

/// A category's zone codes and days resolved against its event: zone ids
/// and codes (each once), and the days sorted (each once); what is not the
/// event's is a violation in `v`.
fn category_refs(
    v: &mut Validator,
    event: &Event,
    zones: &[Zone],
    codes: &[String],
    days: &[Option<NaiveDate>],
) -> (Vec<Option<ZoneId>>, Vec<String>, Vec<NaiveDate>) {
    let mut zone_ids = Vec::new();
    let mut zone_codes = Vec::new();
    for (i, code) in codes.iter().enumerate() {
        match zones.iter().find(|z| &z.code == code) {
            Some(z) if !zone_ids.contains(&Some(z.id)) => {
                zone_ids.push(Some(z.id));
                zone_codes.push(code.clone());
            }
            Some(_) => {}
            None => v.violation(&format!("zone_codes[{i}]"), Violation::UnknownZone),
        }
    }
    let mut valid_days = Vec::new();
    for (i, day) in days.iter().enumerate() {
        let Some(day) = *day else { continue };
        if day < event.first_day || day > event.last_day {
            v.violation(&format!("valid_days[{i}]"), Violation::NotAnEventDay);
        } else if !valid_days.contains(&day) {
            valid_days.push(day);
        }
    }
    valid_days.sort();
    (zone_ids, zone_codes, valid_days)
}
