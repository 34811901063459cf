//! Applying an event file: in one transaction, under the event row's
//! lock, the stored event is read, compared with the file, and made to
//! match it; a problem in the file or a change that would lose data
//! applies nothing.

use std::collections::HashMap;

use super::{
    Change, ChangeKind, EventDefinition, EventSpec, parse,
    plan::{
        Heads, Stored, StoredCategory, StoredDelegation, StoredGate, StoredOrganization,
        StoredZone, plan,
    },
    render::render,
};
use crate::{
    db::{
        self,
        models::{Category, Delegation, DelegationQuota, Event, Gate, Organization, Zone},
    },
    domain::{
        Principal, Services, events::NewEvent, hub::GateEvent, records::Actor, records::audit_row,
        search_key::sort_key, validate::Validator,
    },
    error::{AppError, AppResult, ErrorKind, Reason},
    ids::{CategoryId, DelegationId, EventId, GateId, OrganizationId, ZoneId},
    words::Violation,
};

/// An event file to apply.
#[derive(Debug, Clone)]
pub struct EventFileRequest {
    /// The file as sent: checked to be UTF-8 text here.
    pub content: Vec<u8>,
    /// Applies the file to the event with this code instead of its own.
    pub code: Option<String>,
    /// Plans only.
    pub dry_run: bool,
}

/// What applying a file did, or would do.
#[derive(Debug, Clone)]
pub struct Applied {
    pub event_id: Option<EventId>,
    pub code: String,
    pub changes: Vec<super::Change>,
    /// False for a dry run or a file that changes nothing.
    pub applied: bool,
}

impl Services {
    /// Makes the event match the file, or plans it (`dry_run`).
    pub async fn apply_event_file(
        &self,
        actor: Option<&Principal>,
        request: EventFileRequest,
    ) -> AppResult<Applied> {
        if request.content.len() > super::MAX_FILE_BYTES {
            return Err(AppError::new(
                ErrorKind::InvalidArgument,
                Reason::EventFileTooLarge,
                format!(
                    "the event file is {} bytes; at most {} are read",
                    request.content.len(),
                    super::MAX_FILE_BYTES
                ),
            ));
        }
        let Ok(text) = std::str::from_utf8(&request.content) else {
            return Err(AppError::invalid_field("content", Violation::TomlSyntax));
        };
        let (mut def, lines) = parse(text).map_err(AppError::invalid_fields)?;
        if let Some(code) = &request.code {
            let mut v = Validator::new();
            def.event.code = v.code("code", code);
            v.finish()?;
        }
        let mut conn = self.db.get().await?;
        let dry_run = request.dry_run;
        let applied = crate::domain::transaction(&mut conn, async move |conn| {
            let event = db::event_file::lock_event(conn, &def.event.code).await?;
            // A token of one event applies files of that event only.
            if let Some(actor) = actor {
                match &event {
                    Some(e) => actor.require_event(e.id)?,
                    None => actor.require_every_event()?,
                }
            }
            let stored = stored(conn, event).await?;
            let heads = heads(conn, &stored, &def).await?;
            let (changes, blocked) = plan(&def, &stored, &lines, &heads);
            if !blocked.is_empty() {
                let mut err = AppError::new(
                    ErrorKind::FailedPrecondition,
                    Reason::WouldLoseData,
                    "nothing was applied: the file would lose data already recorded",
                );
                err.violations = super::parse::bounded(blocked, Reason::WouldLoseData);
                return Err(err);
            }
            let mut applied = Applied {
                event_id: stored.event.as_ref().map(|e| e.id),
                code: def.event.code.clone(),
                applied: !dry_run && !changes.is_empty(),
                changes,
            };
            if applied.applied {
                let id = write(conn, &actor, &def, &stored, &heads, &applied.changes).await?;
                applied.event_id = Some(id);
            }
            Ok(applied)
        })
        .await?;
        if applied.applied
            && let Some(event_id) = applied.event_id
        {
            self.forget_setup(event_id);
            self.applied_here(GateEvent::Rules { event_id });
        }
        Ok(applied)
    }

    /// Changes an event's own settings (name, venue, time zone, days, what
    /// gates show) as a file with these settings would: the same checks,
    /// the same refusals of changes that lose data (a day a category is
    /// valid on cannot leave the event), in one
    /// transaction under the event's lock. Returns the event and what
    /// changed.
    pub async fn update_event_settings(
        &self,
        actor: &Principal,
        settings: NewEvent,
    ) -> AppResult<(Event, Vec<Change>)> {
        let mut conn = self.db.get().await?;
        let (event_id, changes) = crate::domain::transaction(&mut conn, async move |conn| {
            let event = db::event_file::lock_event(conn, &settings.code)
                .await?
                .ok_or_else(|| AppError::not_found(Reason::EventNotFound, "no such event"))?;
            actor.require_event(event.id)?;
            let event_id = event.id;
            let stored = stored(conn, Some(event)).await?;
            // The event as its file, with the new settings.
            let text = render(&stored).map_err(AppError::internal)?;
            let (mut def, lines) = parse(&text).map_err(AppError::invalid_fields)?;
            def.event = EventSpec {
                code: settings.code,
                name: settings.name,
                venue: settings.venue,
                time_zone: settings.time_zone,
                first_day: settings.first_day,
                last_day: settings.last_day,
                names_at_gates: settings.names_at_gates,
                photos_at_gates: settings.photos_at_gates,
            };
            // A category's days stay days of the event (a file is checked
            // for it as it is read).
            let mut outside: Vec<crate::error::FieldViolation> = Vec::new();
            for c in &def.categories {
                for (i, day) in c.days.iter().enumerate() {
                    if *day < def.event.first_day || *day > def.event.last_day {
                        outside.push(crate::error::FieldViolation::new(
                            format!("categories: {} days[{i}]", c.code),
                            &Violation::NotAnEventDay,
                        ));
                    }
                }
            }
            let heads = heads(conn, &stored, &def).await?;
            let (changes, mut blocked) = plan(&def, &stored, &lines, &heads);
            blocked.extend(outside);
            if !blocked.is_empty() {
                let mut err = AppError::new(
                    ErrorKind::FailedPrecondition,
                    Reason::WouldLoseData,
                    "nothing was changed: a category is valid on a day the event would no longer have",
                );
                // The lines are those of a file nobody wrote: the key alone.
                err.violations = super::parse::bounded(blocked, Reason::WouldLoseData)
                    .into_iter()
                    .map(|mut v| {
                        if let Some((_, key)) = v
                            .field
                            .split_once(": ")
                            .filter(|(line, _)| line.starts_with("line "))
                        {
                            v.field = key.to_owned();
                        }
                        v
                    })
                    .collect();
                return Err(err);
            }
            if !changes.is_empty() {
                write(conn, &Some(actor), &def, &stored, &heads, &changes).await?;
            }
            Ok((event_id, changes))
        })
        .await?;
        if !changes.is_empty() {
            self.forget_setup(event_id);
            self.applied_here(GateEvent::Rules { event_id });
        }
        let event = self.fresh_event(&mut conn, event_id).await?;
        Ok((event, changes))
    }

    /// The event with this code as an event file.
    pub async fn export_event_file(&self, code: &str) -> AppResult<String> {
        let code = code.trim().to_uppercase();
        let mut conn = self.db.get().await?;
        let event = db::events::find_event_by_code(&mut conn, &code)
            .await?
            .ok_or_else(|| AppError::not_found(Reason::EventNotFound, "no such event"))?;
        let stored = stored(&mut conn, Some(event)).await?;
        render(&stored).map_err(AppError::internal)
    }

    /// Drops what the set-up caches hold of an event whose set-up changed
    /// (category codes may now name other ids, or none).
    fn forget_setup(&self, event_id: EventId) {
        self.cache.forget_event(event_id);
    }
}

fn count_map(rows: Vec<db::event_file::CountRow>) -> HashMap<uuid::Uuid, i64> {
    rows.into_iter().map(|r| (r.id, r.n)).collect()
}

/// The event as stored, with how much each part is used.
async fn stored(conn: &mut db::Conn, event: Option<Event>) -> AppResult<Stored> {
    let Some(event) = event else {
        return Ok(Stored::default());
    };
    let id = event.id;
    let zones = db::events::list_zones(conn, id).await?;
    let inside = count_map(db::event_file::zone_inside(conn, id).await?);
    let scanned = count_map(db::event_file::zones_scanned(conn, id).await?);
    let zone_code: HashMap<ZoneId, String> = zones.iter().map(|z| (z.id, z.code.clone())).collect();
    let stored_zones = zones
        .into_iter()
        .map(|zone| StoredZone {
            parent_code: zone.parent_zone_id.and_then(|p| zone_code.get(&p).cloned()),
            inside: inside.get(&zone.id.0).copied().unwrap_or(0),
            scanned: scanned.contains_key(&zone.id.0),
            zone,
        })
        .collect();
    let people = count_map(db::event_file::category_people(conn, id).await?);
    let categories: Vec<StoredCategory> = db::events::list_categories(conn, id)
        .await?
        .into_iter()
        .map(|category| StoredCategory {
            zone_codes: category
                .zone_ids
                .iter()
                .flatten()
                .filter_map(|z| zone_code.get(z).cloned())
                .collect(),
            days: {
                let mut days: Vec<_> = category.valid_days.iter().flatten().copied().collect();
                days.sort();
                days
            },
            participants: people.get(&category.id.0).copied().unwrap_or(0),
            category,
        })
        .collect();
    let category_code: HashMap<CategoryId, String> = categories
        .iter()
        .map(|c| (c.category.id, c.category.code.clone()))
        .collect();
    let gates_scanned = count_map(db::event_file::gates_scanned(conn, id).await?);
    let gates = db::events::list_gates(conn, id)
        .await?
        .into_iter()
        .map(|gate| StoredGate {
            zone_code: zone_code.get(&gate.zone_id).cloned().unwrap_or_default(),
            scanned: gates_scanned.contains_key(&gate.id.0),
            gate,
        })
        .collect();
    let org_people = count_map(db::event_file::organization_people(conn, id).await?);
    let organizations = db::registry::list_organizations(conn, id, None, None, i64::MAX)
        .await?
        .into_iter()
        .map(|organization| StoredOrganization {
            participants: org_people.get(&organization.id.0).copied().unwrap_or(0),
            organization,
        })
        .collect();
    let delegations = db::registry::list_delegations(conn, id).await?;
    let ids: Vec<DelegationId> = delegations.iter().map(|d| d.id).collect();
    let quotas = db::registry::quotas_of(conn, &ids).await?;
    let usage = db::registry::usage_of(conn, &ids).await?;
    let delegation_people = count_map(db::event_file::delegation_people(conn, id).await?);
    let head_ids: Vec<uuid::Uuid> = delegations
        .iter()
        .filter_map(|d| d.head_participant_id.map(|h| h.0))
        .collect();
    let head_rows = db::event_file::participants_by_ref(conn, id, &[], &head_ids).await?;
    let stored_delegations = delegations
        .into_iter()
        .map(|delegation| {
            let mut q: Vec<(String, i32)> = quotas
                .iter()
                .filter(|q| q.delegation_id == delegation.id)
                .filter_map(|q| {
                    category_code
                        .get(&q.category_id)
                        .map(|c| (c.clone(), q.quota))
                })
                .collect();
            q.sort();
            let members = usage
                .iter()
                .filter(|(d, _, _)| *d == delegation.id)
                .filter_map(|(_, c, n)| category_code.get(c).map(|c| (c.clone(), *n)))
                .collect();
            let head_ref = delegation.head_participant_id.map(|h| {
                head_rows
                    .iter()
                    .find(|r| r.id == h)
                    .map(|r| r.external_ref.clone())
                    .filter(|r| !r.is_empty())
                    .unwrap_or_else(|| h.to_string())
            });
            StoredDelegation {
                quotas: q,
                members,
                people: delegation_people
                    .get(&delegation.id.0)
                    .copied()
                    .unwrap_or(0),
                head_ref,
                delegation,
            }
        })
        .collect();
    let mut fields = Vec::new();
    for (def, version) in crate::domain::fields::newest(conn, id).await? {
        let answered = db::fields::answered(conn, id, &def.key).await?;
        fields.push(super::plan::StoredField {
            def,
            version,
            answered,
        });
    }
    fields.sort_by(|a, b| (a.def.position, &a.def.key).cmp(&(b.def.position, &b.def.key)));
    Ok(Stored {
        fields,
        badges_issued: db::event_file::badges_issued(conn, id).await?,
        event: Some(event),
        zones: stored_zones,
        categories,
        gates,
        organizations,
        delegations: stored_delegations,
    })
}

/// The participants the file names as heads, by the file's words.
async fn heads(conn: &mut db::Conn, stored: &Stored, def: &EventDefinition) -> AppResult<Heads> {
    let Some(event) = &stored.event else {
        return Ok(Heads::new());
    };
    let named: Vec<String> = def
        .delegations
        .iter()
        .filter_map(|d| d.head.clone())
        .collect();
    if named.is_empty() {
        return Ok(Heads::new());
    }
    let ids: Vec<uuid::Uuid> = named.iter().filter_map(|n| n.parse().ok()).collect();
    let rows = db::event_file::participants_by_ref(conn, event.id, &named, &ids).await?;
    let mut heads = Heads::new();
    for name in named {
        let found = rows
            .iter()
            .find(|r| r.external_ref == name)
            .or_else(|| rows.iter().find(|r| r.id.to_string() == name));
        if let Some(r) = found {
            heads.insert(name, (r.id, r.delegation_id));
        }
    }
    Ok(heads)
}

/// Writes what the plan found to change (`changes`), each with its audit
/// row; what the plan leaves alone is not written again.
async fn write(
    conn: &mut db::Conn,
    actor: &(impl Actor + Sync),
    def: &EventDefinition,
    stored: &Stored,
    heads: &Heads,
    changes: &[Change],
) -> AppResult<EventId> {
    // The keys the plan changes of a part it creates or updates.
    let planned = |what: &str, key: &str| {
        changes
            .iter()
            .find(|c| c.kind != ChangeKind::Remove && c.what == what && c.key == key)
            .map(|c| c.fields.as_slice())
    };
    let e = &def.event;
    let event = Event {
        id: stored
            .event
            .as_ref()
            .map_or_else(EventId::generate, |s| s.id),
        code: e.code.clone(),
        name: e.name.clone(),
        venue: e.venue.clone(),
        time_zone: e.time_zone.clone(),
        first_day: e.first_day,
        last_day: e.last_day,
        names_at_gates: e.names_at_gates,
        photos_at_gates: e.photos_at_gates,
        created_at: stored
            .event
            .as_ref()
            .map_or_else(crate::domain::now, |s| s.created_at),
    };
    if stored.event.is_none() {
        if db::events::insert_event(conn, &event).await?.is_none() {
            return Err(AppError::already_exists(
                Reason::EventCodeTaken,
                format!("an event with code {} exists", event.code),
            ));
        }
        audit(conn, actor, "event.create", "event", event.id.0).await?;
    } else if planned("event", &event.code).is_some() {
        db::event_file::update_event(conn, &event).await?;
    }
    audit(conn, actor, "event.apply", "event", event.id.0).await?;
    let event_id = event.id;

    // Zones, parents first: each upsert finds its parent stored.
    let mut zone_ids: HashMap<String, ZoneId> = stored
        .zones
        .iter()
        .map(|z| (z.zone.code.clone(), z.zone.id))
        .collect();
    let mut left: Vec<&super::ZoneSpec> = def.zones.iter().collect();
    let mut done: Vec<String> = Vec::new();
    while !left.is_empty() {
        let before = left.len();
        let mut next = Vec::new();
        for z in left {
            if z.parent.as_ref().is_some_and(|p| !done.contains(p)) {
                next.push(z);
                continue;
            }
            if planned("zone", &z.code).is_none() {
                done.push(z.code.clone());
                continue;
            }
            let id = zone_ids
                .get(&z.code)
                .copied()
                .unwrap_or_else(ZoneId::generate);
            let zone = db::events::upsert_zone(
                conn,
                &Zone {
                    id,
                    event_id,
                    code: z.code.clone(),
                    name: z.name.clone(),
                    capacity: z.capacity,
                    parent_zone_id: z.parent.as_ref().and_then(|p| zone_ids.get(p).copied()),
                    name_ru: z.name_ru.clone(),
                    name_uz: z.name_uz.clone(),
                },
            )
            .await
            .map_err(zone_numbers_spent)?;
            audit(conn, actor, "zone.upsert", "zone", zone.id.0).await?;
            zone_ids.insert(zone.code.clone(), zone.id);
            done.push(zone.code);
        }
        if next.len() == before {
            // The file was checked for cycles; this cannot happen.
            return Err(AppError::precondition(
                Reason::ZoneCycle,
                "the zones' parents form a cycle",
            ));
        }
        left = next;
    }

    let mut category_ids: HashMap<String, CategoryId> = stored
        .categories
        .iter()
        .map(|c| (c.category.code.clone(), c.category.id))
        .collect();
    for c in &def.categories {
        if planned("category", &c.code).is_none() {
            continue;
        }
        let id = category_ids
            .get(&c.code)
            .copied()
            .unwrap_or_else(CategoryId::generate);
        let category = db::events::upsert_category(
            conn,
            &Category {
                id,
                event_id,
                code: c.code.clone(),
                name: c.name.clone(),
                color: c.color.clone(),
                zone_ids: c.zones.iter().map(|z| zone_ids.get(z).copied()).collect(),
                valid_days: c.days.iter().copied().map(Some).collect(),
                name_ru: c.name_ru.clone(),
                name_uz: c.name_uz.clone(),
                badge_layout: c.badge,
            },
        )
        .await?;
        audit(conn, actor, "category.upsert", "category", category.id.0).await?;
        category_ids.insert(category.code, category.id);
    }

    for g in &def.gates {
        let existing = stored.gates.iter().find(|s| s.gate.code == g.code);
        if planned("gate", &g.code).is_none() {
            continue;
        }
        let Some(zone_id) = zone_ids.get(&g.zone).copied() else {
            continue;
        };
        let gate = db::events::upsert_gate(
            conn,
            &Gate {
                id: existing.map_or_else(GateId::generate, |s| s.gate.id),
                event_id,
                code: g.code.clone(),
                name: g.name.clone(),
                zone_id,
            },
        )
        .await?;
        audit(conn, actor, "gate.upsert", "gate", gate.id.0).await?;
    }

    for o in &def.organizations {
        let key = sort_key(&o.name);
        match stored
            .organizations
            .iter()
            .find(|s| s.organization.name_key == key)
        {
            Some(s) => {
                let org = &s.organization;
                if planned("organization", &o.name).is_some() {
                    db::event_file::update_organization(conn, org.id, &o.name, &o.country, o.kind)
                        .await?;
                    audit(conn, actor, "organization.update", "organization", org.id.0).await?;
                }
            }
            None => {
                let org = Organization {
                    id: OrganizationId::generate(),
                    event_id,
                    name: o.name.clone(),
                    name_key: key,
                    country: o.country.clone(),
                    kind: o.kind,
                    created_at: crate::domain::now(),
                    answers: serde_json::json!({}),
                };
                db::registry::insert_organization(conn, &org).await?;
                audit(conn, actor, "organization.create", "organization", org.id.0).await?;
            }
        }
    }

    // Delegations: those left out go first, so their quotas free the
    // categories removed after them.
    for s in &stored.delegations {
        let name = s.delegation.name.to_lowercase();
        if !def
            .delegations
            .iter()
            .any(|d| d.name.to_lowercase() == name)
        {
            audit(
                conn,
                actor,
                "delegation.remove",
                "delegation",
                s.delegation.id.0,
            )
            .await?;
            db::event_file::delete_delegation(conn, s.delegation.id).await?;
        }
    }
    for d in &def.delegations {
        let found = stored
            .delegations
            .iter()
            .find(|s| s.delegation.name.to_lowercase() == d.name.to_lowercase());
        let id = found.map_or_else(DelegationId::generate, |s| s.delegation.id);
        let quotas: Vec<DelegationQuota> = d
            .quotas
            .iter()
            .filter_map(|(code, quota)| {
                category_ids.get(code).map(|c| DelegationQuota {
                    delegation_id: id,
                    category_id: *c,
                    quota: *quota,
                })
            })
            .collect();
        let head = d.head.as_ref().and_then(|h| heads.get(h)).map(|(p, _)| *p);
        match found {
            None => {
                let delegation = Delegation {
                    id,
                    event_id,
                    country: d.country.clone(),
                    name: d.name.clone(),
                    head_participant_id: None,
                    created_at: crate::domain::now(),
                    answers: serde_json::json!({}),
                };
                db::registry::insert_delegation(conn, &delegation, &quotas).await?;
                audit(conn, actor, "delegation.create", "delegation", id.0).await?;
            }
            Some(_) => {
                let Some(fields) = planned("delegation", &d.name) else {
                    continue;
                };
                if fields.contains(&"name") {
                    db::registry::set_delegation_name(conn, id, &d.name).await?;
                }
                if fields.contains(&"country") {
                    db::event_file::set_delegation_country(conn, id, &d.country).await?;
                }
                if fields.contains(&"head") {
                    db::registry::set_delegation_head(conn, id, head).await?;
                }
                if fields.contains(&"quotas") {
                    db::registry::replace_quotas(conn, id, &quotas).await?;
                }
                audit(conn, actor, "delegation.update", "delegation", id.0).await?;
            }
        }
    }

    // What the file leaves out, when nothing refers to it (the plan
    // refused the rest).
    for s in &stored.organizations {
        if !def
            .organizations
            .iter()
            .any(|o| sort_key(&o.name) == s.organization.name_key)
        {
            audit(
                conn,
                actor,
                "organization.remove",
                "organization",
                s.organization.id.0,
            )
            .await?;
            db::event_file::delete_organization(conn, s.organization.id).await?;
        }
    }
    for s in &stored.gates {
        if !def.gates.iter().any(|g| g.code == s.gate.code) {
            audit(conn, actor, "gate.remove", "gate", s.gate.id.0).await?;
            db::event_file::delete_gate(conn, s.gate.id).await?;
        }
    }
    for s in &stored.categories {
        if !def.categories.iter().any(|c| c.code == s.category.code) {
            audit(conn, actor, "category.remove", "category", s.category.id.0).await?;
            db::event_file::delete_category(conn, s.category.id).await?;
        }
    }
    // Children before parents.
    let mut removed: Vec<&StoredZone> = stored
        .zones
        .iter()
        .filter(|s| !def.zones.iter().any(|z| z.code == s.zone.code))
        .collect();
    while !removed.is_empty() {
        let before = removed.len();
        let mut next = Vec::new();
        for s in &removed {
            let has_child = removed
                .iter()
                .any(|c| c.zone.parent_zone_id == Some(s.zone.id));
            if has_child {
                next.push(*s);
            } else {
                audit(conn, actor, "zone.remove", "zone", s.zone.id.0).await?;
                db::event_file::delete_zone(conn, s.zone.id).await?;
            }
        }
        if next.len() == before {
            break;
        }
        removed = next;
    }
    // Custom fields: a changed one with answers gets a new version.
    for f in &def.fields {
        let before = stored.fields.iter().find(|s| s.def.key == f.key);
        let version = crate::domain::fields::write_field(
            conn,
            event_id,
            f,
            before.map(|s| (&s.def, s.version)),
        )
        .await?;
        if before.is_none_or(|s| s.def != *f) {
            let entry = audit_row(actor, "field.upsert", "event", event_id.0, "");
            db::audit::record_with_details(
                conn,
                &entry,
                &serde_json::json!({"key": f.key, "version": version}),
            )
            .await?;
        }
    }
    for s in &stored.fields {
        if !def.fields.iter().any(|f| f.key == s.def.key) {
            audit(conn, actor, "field.remove", "event", event_id.0).await?;
            db::fields::delete(conn, event_id, &s.def.key).await?;
        }
    }
    Ok(event_id)
}

/// A new zone past number 64 (numbers of removed zones are not reused
/// while later ones exist): a refusal that names the zones, not a failure.
fn zone_numbers_spent(err: diesel::result::Error) -> AppError {
    use diesel::result::{DatabaseErrorKind, Error};
    match &err {
        Error::DatabaseError(DatabaseErrorKind::CheckViolation, info)
            if info.constraint_name() == Some("zones_number_range") =>
        {
            AppError::invalid_field("zones", Violation::AtMost { max: 64 })
        }
        _ => err.into(),
    }
}

async fn audit(
    conn: &mut db::Conn,
    actor: &(impl Actor + Sync),
    action: &str,
    kind: &str,
    id: uuid::Uuid,
) -> AppResult<()> {
    db::audit::record(conn, &audit_row(actor, action, kind, id, "")).await?;
    Ok(())
}
