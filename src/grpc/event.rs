//! `expopass.v1.EventService`.

use tonic::{Request, Response, Status};

use super::{ApiState, convert, id_field, timestamp};
use crate::words::Violation;
use crate::{
    db::models::{CategoryLayout, Event},
    domain::{
        Role,
        event_file::{Change, ChangeKind, EventFileRequest},
        events::{CategoryView, EventKey, GateView, ZoneView},
        fields,
        keys::KeyView,
        offline::GateDisplay,
    },
    ids::EventId,
    proto::pb::{self, event_service_server::EventService},
};

/// Implements `EventService`; needs the admin role.
#[derive(Clone)]
pub(crate) struct EventApi {
    state: ApiState,
}

impl EventApi {
    pub(crate) fn new(state: ApiState) -> Self {
        Self { state }
    }

    /// The code of the event `id` names, once the caller may act on it.
    async fn event_code(
        &self,
        actor: &crate::domain::Principal,
        id: &str,
    ) -> Result<String, Status> {
        let id = id_field("event_id", id, EventId)?;
        actor.require_event(id)?;
        Ok(self.state.services.get_event(EventKey::Id(id)).await?.code)
    }
}

fn change_pb(c: Change) -> pb::EventChange {
    pb::EventChange {
        action: match c.kind {
            ChangeKind::Create => "create",
            ChangeKind::Update => "update",
            ChangeKind::Remove => "remove",
        }
        .to_owned(),
        kind: c.what.to_owned(),
        key: c.key,
        fields: c.fields.into_iter().map(str::to_owned).collect(),
    }
}

fn key_pb(k: KeyView) -> pb::SigningKey {
    pb::SigningKey {
        key_id: k.id_text(),
        status: k.status,
        created_at: Some(timestamp(k.created_at)),
        retired_at: k.retired_at.map(timestamp),
        public_key: hex::encode(k.public_key),
    }
}

const ADMIN: &[Role] = &[Role::Admin];
/// Who reads an event's custom fields: its organisers and desks.
const STAFF: &[Role] = &[Role::Desk, Role::Admin];
/// Reading an event and its categories, zones and gates: desks and gates
/// need them too (a gate sees only the gates its token names, when it
/// names some).
const READERS: &[Role] = &[Role::Desk, Role::Gate, Role::Admin];
/// Registration numbers: the organiser, and desks of the event.
const STATS_READERS: &[Role] = &[Role::Desk, Role::Admin];

fn event_pb(e: Event) -> pb::Event {
    pb::Event {
        id: e.id.to_string(),
        code: e.code,
        name: e.name,
        venue: e.venue,
        time_zone: e.time_zone,
        first_day: e.first_day.to_string(),
        last_day: e.last_day.to_string(),
        names_at_gates: e.names_at_gates,
        created_at: Some(timestamp(e.created_at)),
        photos_at_gates: e.photos_at_gates,
    }
}

fn zone_pb(v: ZoneView) -> pb::Zone {
    pb::Zone {
        id: v.zone.id.to_string(),
        event_id: v.zone.event_id.to_string(),
        code: v.zone.code,
        name: v.zone.name,
        capacity: u32::try_from(v.zone.capacity).unwrap_or(0),
        parent_code: v.parent_code.unwrap_or_default(),
        name_ru: v.zone.name_ru,
        name_uz: v.zone.name_uz,
    }
}

fn category_pb(v: CategoryView) -> pb::Category {
    pb::Category {
        id: v.category.id.to_string(),
        event_id: v.category.event_id.to_string(),
        code: v.category.code,
        name: v.category.name,
        color: v.category.color,
        zone_codes: v.zone_codes,
        valid_days: v.valid_days.iter().map(ToString::to_string).collect(),
        name_ru: v.category.name_ru,
        name_uz: v.category.name_uz,
        badge_layout: match v.category.badge_layout {
            CategoryLayout::A6 => pb::BadgeLayout::A6,
            CategoryLayout::Card => pb::BadgeLayout::Card,
        }
        .into(),
    }
}

fn gate_pb(v: GateView) -> pb::Gate {
    pb::Gate {
        id: v.gate.id.to_string(),
        event_id: v.gate.event_id.to_string(),
        code: v.gate.code,
        name: v.gate.name,
        zone_code: v.zone_code,
    }
}

#[tonic::async_trait]
impl EventService for EventApi {
    #[tracing::instrument(skip_all, fields(token_id))]
    async fn list_signing_keys(
        &self,
        request: Request<pb::ListSigningKeysRequest>,
    ) -> Result<Response<pb::ListSigningKeysResponse>, Status> {
        let actor = self.state.authorize(&request, ADMIN).await?;
        let code = self
            .event_code(&actor, &request.into_inner().event_id)
            .await?;
        let keys = self.state.services.list_keys(&code).await?;
        Ok(Response::new(pb::ListSigningKeysResponse {
            keys: keys.into_iter().map(key_pb).collect(),
        }))
    }

    #[tracing::instrument(skip_all, fields(token_id))]
    async fn list_fields(
        &self,
        request: Request<pb::ListFieldsRequest>,
    ) -> Result<Response<pb::ListFieldsResponse>, Status> {
        let actor = self.state.authorize(&request, STAFF).await?;
        let event_id = id_field("event_id", &request.into_inner().event_id, EventId)?;
        let fields = self.state.services.list_fields(&actor, event_id).await?;
        Ok(Response::new(pb::ListFieldsResponse {
            fields: fields.into_iter().map(field_pb).collect(),
        }))
    }

    #[tracing::instrument(skip_all, fields(token_id))]
    async fn upsert_field(
        &self,
        request: Request<pb::UpsertFieldRequest>,
    ) -> Result<Response<pb::UpsertFieldResponse>, Status> {
        let actor = self.state.authorize(&request, ADMIN).await?;
        let r = request.into_inner();
        let event_id = id_field("event_id", &r.event_id, EventId)?;
        let draft = field_draft(r.field.unwrap_or_default());
        let view = self
            .state
            .services
            .upsert_field(&actor, event_id, draft)
            .await?;
        Ok(Response::new(pb::UpsertFieldResponse {
            field: Some(field_pb(view)),
        }))
    }

    #[tracing::instrument(skip_all, fields(token_id))]
    async fn rotate_signing_key(
        &self,
        request: Request<pb::RotateSigningKeyRequest>,
    ) -> Result<Response<pb::RotateSigningKeyResponse>, Status> {
        let actor = self.state.authorize(&request, ADMIN).await?;
        let code = self
            .event_code(&actor, &request.into_inner().event_id)
            .await?;
        let key = self.state.services.rotate_key(Some(&actor), &code).await?;
        Ok(Response::new(pb::RotateSigningKeyResponse {
            key: Some(key_pb(key)),
        }))
    }

    #[tracing::instrument(skip_all, fields(token_id))]
    async fn retire_signing_keys(
        &self,
        request: Request<pb::RetireSigningKeysRequest>,
    ) -> Result<Response<pb::RetireSigningKeysResponse>, Status> {
        let actor = self.state.authorize(&request, ADMIN).await?;
        let r = request.into_inner();
        let key_id = match r.key_id.trim() {
            "" => None,
            text => Some(u32::from_str_radix(text, 16).map_err(|_| {
                crate::error::AppError::invalid_field("key_id", Violation::NotACode)
            })?),
        };
        let code = self.event_code(&actor, &r.event_id).await?;
        let retired = self
            .state
            .services
            .retire_keys(Some(&actor), &code, key_id)
            .await?;
        Ok(Response::new(pb::RetireSigningKeysResponse {
            retired: retired.into_iter().map(key_pb).collect(),
        }))
    }

    #[tracing::instrument(skip_all, fields(token_id))]
    async fn create_event(
        &self,
        request: Request<pb::CreateEventRequest>,
    ) -> Result<Response<pb::CreateEventResponse>, Status> {
        let actor = self.state.authorize(&request, ADMIN).await?;
        actor.require_every_event()?;
        let input = convert::new_event(request.into_inner())?;
        let event = self.state.services.create_event(&actor, input).await?;
        Ok(Response::new(pb::CreateEventResponse {
            event: Some(event_pb(event)),
        }))
    }

    #[tracing::instrument(skip_all, fields(token_id))]
    async fn update_event(
        &self,
        request: Request<pb::UpdateEventRequest>,
    ) -> Result<Response<pb::UpdateEventResponse>, Status> {
        let actor = self.state.authorize(&request, ADMIN).await?;
        let r = request.into_inner();
        let id = id_field("id", &r.id, EventId)?;
        actor.require_event(id)?;
        let services = &self.state.services;
        let code = services.get_event(EventKey::Id(id)).await?.code;
        let input = convert::new_event(pb::CreateEventRequest {
            code,
            name: r.name,
            venue: r.venue,
            time_zone: r.time_zone,
            first_day: r.first_day,
            last_day: r.last_day,
            names_at_gates: r.names_at_gates,
            photos_at_gates: r.photos_at_gates,
        })?;
        let (event, changes) = services.update_event_settings(&actor, input).await?;
        Ok(Response::new(pb::UpdateEventResponse {
            event: Some(event_pb(event)),
            changes: changes.into_iter().map(change_pb).collect(),
        }))
    }

    #[tracing::instrument(skip_all, fields(token_id))]
    async fn set_gate_display(
        &self,
        request: Request<pb::SetGateDisplayRequest>,
    ) -> Result<Response<pb::SetGateDisplayResponse>, Status> {
        let actor = self.state.authorize(&request, ADMIN).await?;
        let r = request.into_inner();
        let event_id = id_field("event_id", &r.event_id, EventId)?;
        let display = GateDisplay {
            names: r.names_at_gates,
            photos: r.photos_at_gates,
        };
        let event = self
            .state
            .services
            .set_gate_display(Some(&actor), event_id, display)
            .await?;
        Ok(Response::new(pb::SetGateDisplayResponse {
            event: Some(event_pb(event)),
        }))
    }

    #[tracing::instrument(skip_all, fields(token_id))]
    async fn get_event(
        &self,
        request: Request<pb::GetEventRequest>,
    ) -> Result<Response<pb::GetEventResponse>, Status> {
        let actor = self.state.authorize(&request, READERS).await?;
        let key = match request.into_inner().key {
            Some(pb::get_event_request::Key::Id(id)) => EventKey::Id(id_field("id", &id, EventId)?),
            Some(pb::get_event_request::Key::Code(code)) => EventKey::Code(code),
            None => {
                return Err(crate::error::AppError::invalid_field(
                    "key",
                    Violation::OneOf {
                        choices: "an id or a code",
                    },
                )
                .into());
            }
        };
        let event = self.state.services.get_event(key).await?;
        actor.require_event(event.id)?;
        Ok(Response::new(pb::GetEventResponse {
            event: Some(event_pb(event)),
        }))
    }

    #[tracing::instrument(skip_all, fields(token_id))]
    async fn list_events(
        &self,
        request: Request<pb::ListEventsRequest>,
    ) -> Result<Response<pb::ListEventsResponse>, Status> {
        let actor = self.state.authorize(&request, READERS).await?;
        let events = self.state.services.list_events().await?;
        Ok(Response::new(pb::ListEventsResponse {
            events: events
                .into_iter()
                .filter(|e| actor.require_event(e.id).is_ok())
                .map(event_pb)
                .collect(),
        }))
    }

    #[tracing::instrument(skip_all, fields(token_id))]
    async fn upsert_category(
        &self,
        request: Request<pb::UpsertCategoryRequest>,
    ) -> Result<Response<pb::UpsertCategoryResponse>, Status> {
        let actor = self.state.authorize(&request, ADMIN).await?;
        let parsed = convert::category_input(request.into_inner())?;
        actor.require_event(parsed.event_id)?;
        let services = &self.state.services;
        let Some(input) = parsed.category else {
            // Every violation at once: the request's, and what of its
            // zones and days is not the event's.
            let mut violations = parsed.violations;
            violations.extend(
                services
                    .category_violations(parsed.event_id, &parsed.zone_codes, &parsed.days)
                    .await?,
            );
            return Err(crate::error::AppError::invalid_fields(violations).into());
        };
        let category = services.upsert_category(&actor, input).await?;
        Ok(Response::new(pb::UpsertCategoryResponse {
            category: Some(category_pb(category)),
        }))
    }

    #[tracing::instrument(skip_all, fields(token_id))]
    async fn list_categories(
        &self,
        request: Request<pb::ListCategoriesRequest>,
    ) -> Result<Response<pb::ListCategoriesResponse>, Status> {
        let actor = self.state.authorize(&request, READERS).await?;
        let event_id = id_field("event_id", &request.into_inner().event_id, EventId)?;
        actor.require_event(event_id)?;
        let list = self.state.services.list_categories(event_id).await?;
        Ok(Response::new(pb::ListCategoriesResponse {
            categories: list.into_iter().map(category_pb).collect(),
        }))
    }

    #[tracing::instrument(skip_all, fields(token_id))]
    async fn upsert_zone(
        &self,
        request: Request<pb::UpsertZoneRequest>,
    ) -> Result<Response<pb::UpsertZoneResponse>, Status> {
        let actor = self.state.authorize(&request, ADMIN).await?;
        let input = convert::zone_input(request.into_inner())?;
        actor.require_event(input.event_id)?;
        let zone = self.state.services.upsert_zone(&actor, input).await?;
        Ok(Response::new(pb::UpsertZoneResponse {
            zone: Some(zone_pb(zone)),
        }))
    }

    #[tracing::instrument(skip_all, fields(token_id))]
    async fn list_zones(
        &self,
        request: Request<pb::ListZonesRequest>,
    ) -> Result<Response<pb::ListZonesResponse>, Status> {
        let actor = self.state.authorize(&request, READERS).await?;
        let event_id = id_field("event_id", &request.into_inner().event_id, EventId)?;
        actor.require_event(event_id)?;
        let list = self.state.services.list_zones(event_id).await?;
        Ok(Response::new(pb::ListZonesResponse {
            zones: list.into_iter().map(zone_pb).collect(),
        }))
    }

    #[tracing::instrument(skip_all, fields(token_id))]
    async fn upsert_gate(
        &self,
        request: Request<pb::UpsertGateRequest>,
    ) -> Result<Response<pb::UpsertGateResponse>, Status> {
        let actor = self.state.authorize(&request, ADMIN).await?;
        let input = convert::gate_input(request.into_inner())?;
        actor.require_event(input.event_id)?;
        let gate = self.state.services.upsert_gate(&actor, input).await?;
        Ok(Response::new(pb::UpsertGateResponse {
            gate: Some(gate_pb(gate)),
        }))
    }

    #[tracing::instrument(skip_all, fields(token_id))]
    async fn list_gates(
        &self,
        request: Request<pb::ListGatesRequest>,
    ) -> Result<Response<pb::ListGatesResponse>, Status> {
        let actor = self.state.authorize(&request, READERS).await?;
        let event_id = id_field("event_id", &request.into_inner().event_id, EventId)?;
        actor.require_event(event_id)?;
        let list = self.state.services.list_gates(event_id).await?;
        Ok(Response::new(pb::ListGatesResponse {
            gates: list
                .into_iter()
                .filter(|g| actor.require_gate(g.gate.id, event_id).is_ok())
                .map(gate_pb)
                .collect(),
        }))
    }

    #[tracing::instrument(skip_all, fields(token_id))]
    async fn apply_event_definition(
        &self,
        request: Request<pb::ApplyEventDefinitionRequest>,
    ) -> Result<Response<pb::ApplyEventDefinitionResponse>, Status> {
        let actor = self.state.authorize(&request, ADMIN).await?;
        let r = request.into_inner();
        let applied = self
            .state
            .services
            .apply_event_file(
                Some(&actor),
                EventFileRequest {
                    content: r.content,
                    code: Some(r.event_code).filter(|c| !c.trim().is_empty()),
                    dry_run: r.dry_run,
                },
            )
            .await?;
        Ok(Response::new(pb::ApplyEventDefinitionResponse {
            event_id: applied
                .event_id
                .map(|id| id.to_string())
                .unwrap_or_default(),
            event_code: applied.code,
            changes: applied.changes.into_iter().map(change_pb).collect(),
            applied: applied.applied,
        }))
    }

    #[tracing::instrument(skip_all, fields(token_id))]
    async fn export_event_definition(
        &self,
        request: Request<pb::ExportEventDefinitionRequest>,
    ) -> Result<Response<pb::ExportEventDefinitionResponse>, Status> {
        let actor = self.state.authorize(&request, ADMIN).await?;
        let code = request.into_inner().event_code;
        let services = &self.state.services;
        let event = services.get_event(EventKey::Code(code.clone())).await?;
        actor.require_event(event.id)?;
        let content = services.export_event_file(&event.code).await?;
        Ok(Response::new(pb::ExportEventDefinitionResponse { content }))
    }

    #[tracing::instrument(skip_all, fields(token_id))]
    async fn get_registration_stats(
        &self,
        request: Request<pb::GetRegistrationStatsRequest>,
    ) -> Result<Response<pb::GetRegistrationStatsResponse>, Status> {
        let actor = self.state.authorize(&request, STATS_READERS).await?;
        let event_id = id_field("event_id", &request.into_inner().event_id, EventId)?;
        let s = self
            .state
            .services
            .registration_stats(&actor, event_id)
            .await?;
        let count = |n: i64| u64::try_from(n).unwrap_or(0);
        let counts = |rows: Vec<(String, String, i64)>| {
            rows.into_iter()
                .map(|(key, label, n)| pb::StatCount {
                    key,
                    label,
                    count: count(n),
                })
                .collect()
        };
        let days = |rows: Vec<(chrono::NaiveDate, i64)>| {
            rows.into_iter()
                .map(|(day, n)| pb::DayCount {
                    day: day.to_string(),
                    count: count(n),
                })
                .collect()
        };
        Ok(Response::new(pb::GetRegistrationStatsResponse {
            active: count(s.active),
            cancelled: count(s.cancelled),
            by_category: counts(s.by_category),
            by_country: counts(s.by_country),
            by_delegation: s
                .by_delegation
                .into_iter()
                .map(|d| pb::DelegationFill {
                    delegation_id: d.id.to_string(),
                    name: d.name,
                    country: d.country,
                    members: count(d.members),
                    quota: count(d.quota),
                })
                .collect(),
            by_organization: counts(s.by_organization),
            badges_valid: count(s.badges_valid),
            badges_printed: count(s.badges_printed),
            badges_revoked: count(s.badges_revoked),
            entered_per_day: days(s.entered_per_day),
            registered_per_day: days(s.registered_per_day),
        }))
    }
}

fn texts_pb(t: fields::Texts) -> pb::LocalizedText {
    pb::LocalizedText {
        en: t.en,
        ru: t.ru,
        uz: t.uz,
    }
}

fn texts(t: Option<pb::LocalizedText>) -> fields::Texts {
    let t = t.unwrap_or_default();
    fields::Texts {
        en: t.en,
        ru: t.ru,
        uz: t.uz,
    }
}

fn placement_pb(p: fields::Placement) -> pb::FieldPlacement {
    pb::FieldPlacement {
        required: p.required,
        badge: p.badge.name().to_owned(),
        gate: p.gate,
        export: p.export,
    }
}

/// A field as the set-up calls answer it.
fn field_pb(view: fields::FieldView) -> pb::FieldDefinition {
    let d = view.def;
    pb::FieldDefinition {
        key: d.key,
        scope: d.scope.name().to_owned(),
        kind: d.kind.name().to_owned(),
        sensitivity: d.sensitivity.name().to_owned(),
        position: d.position,
        label: Some(texts_pb(d.label)),
        help: Some(texts_pb(d.help)),
        min_length: d.rules.min_length.map(i64::from),
        max_length: d.rules.max_length.map(i64::from),
        pattern: d.rules.pattern,
        min: d.rules.min.unwrap_or_default(),
        max: d.rules.max.unwrap_or_default(),
        min_date: d.rules.min_date.map(|x| x.to_string()).unwrap_or_default(),
        max_date: d.rules.max_date.map(|x| x.to_string()).unwrap_or_default(),
        options: d
            .options
            .into_iter()
            .map(|o| pb::FieldOption {
                key: o.key,
                label: Some(texts_pb(o.label)),
                retired: o.retired,
            })
            .collect(),
        show_if: d.show_if.map(|s| pb::FieldShowIf {
            field: s.field,
            any_of: s.any_of,
        }),
        placement: Some(placement_pb(d.placement)),
        categories: d
            .categories
            .into_iter()
            .map(|(code, p)| (code, placement_pb(p)))
            .collect(),
        retired: d.retired,
        version: view.version,
        answered: view.answered,
    }
}

/// A field as sent, for the domain to check.
fn field_draft(f: pb::FieldDefinition) -> fields::FieldDraft {
    let placement = f.placement.unwrap_or(pb::FieldPlacement {
        required: false,
        badge: String::new(),
        gate: false,
        export: true,
    });
    fields::FieldDraft {
        key: f.key,
        scope: f.scope,
        kind: f.kind,
        sensitivity: f.sensitivity,
        position: Some(i64::from(f.position)),
        label: texts(f.label),
        help: texts(f.help),
        min_length: f.min_length,
        max_length: f.max_length,
        pattern: f.pattern,
        min: f.min,
        max: f.max,
        min_date: f.min_date,
        max_date: f.max_date,
        options: f
            .options
            .into_iter()
            .map(|o| fields::FieldOption {
                key: o.key,
                label: texts(o.label),
                retired: o.retired,
            })
            .collect(),
        show_if: f.show_if.map(|s| fields::ShowIf {
            field: s.field,
            any_of: s.any_of,
        }),
        required: placement.required,
        badge: placement.badge,
        gate: placement.gate,
        export: placement.export,
        categories: f
            .categories
            .into_iter()
            .map(|(code, p)| {
                (
                    code,
                    fields::PlacementDraft {
                        required: Some(p.required),
                        badge: Some(p.badge).filter(|b| !b.is_empty()),
                        gate: Some(p.gate),
                        export: Some(p.export),
                    },
                )
            })
            .collect(),
        retired: f.retired,
    }
}
