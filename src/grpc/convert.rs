//! Requests parsed into the domain's typed commands: every field checked
//! here, at the edge, with every violation in one `BadRequest`, before a
//! use case runs or takes a connection. Field paths (`participant.…`) are
//! the wire's, and are made here only.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use crate::words::Violation;
use crate::{
    db::models::CategoryLayout,
    domain::{
        events::{CategoryInput, GateInput, MAX_EVENT_DAYS, NewEvent, ZoneInput},
        fields::{
            MAX_FIELDS,
            answers::{Given, RawAnswer},
        },
        registration::{
            DelegationUpdate, NewDelegation, NewOrganization, ParticipantChanges,
            ParticipantFields, ParticipantInput, QuotaInput, Registration,
        },
        secrets::DocumentVault,
        validate::Validator,
    },
    error::{AppError, AppResult},
    ids::{DelegationId, EventId, ParticipantId},
    proto::pb,
};

/// Longest roster reference, in characters.
const MAX_EXTERNAL_REF: usize = 64;
/// Longest name of an event, zone, category, gate, delegation or
/// organisation, in characters.
const MAX_TITLE: usize = 200;

/// A participant's fields as sent.
pub(super) fn participant_input(p: Option<pb::ParticipantInput>) -> ParticipantInput {
    let p = p.unwrap_or_default();
    ParticipantInput {
        given_name: p.given_name,
        family_name: p.family_name,
        native_name: p.native_name,
        organization_id: p.organization_id,
        country: p.country,
        job_title: p.job_title,
        category_code: p.category_code,
        delegation_id: p.delegation_id,
        email: p.email,
        phone: p.phone,
        travel_document: p.travel_document,
        external_ref: p.external_ref,
        answers: answers(p.answers),
    }
}

/// Answers as sent: a value per key (none takes an answer off).
pub(super) fn answers(
    sent: std::collections::HashMap<String, pb::AnswerValue>,
) -> BTreeMap<String, Given> {
    use pb::answer_value::Value;
    sent.into_iter()
        .map(|(key, a)| {
            let value = match a.value {
                None => RawAnswer::Clear,
                Some(Value::Text(t)) => RawAnswer::Text(t),
                Some(Value::Integer(n)) => RawAnswer::Integer(n),
                Some(Value::Boolean(b)) => RawAnswer::Boolean(b),
                Some(Value::Choices(c)) => RawAnswer::Choices(c.keys),
            };
            (
                key,
                Given {
                    value,
                    on_badge: a.on_badge,
                },
            )
        })
        .collect()
}

/// Most answers one record carries.
fn answer_count(v: &mut Validator, answers: &BTreeMap<String, Given>) {
    if answers.len() > MAX_FIELDS {
        v.violation(
            "answers",
            Violation::AtMost {
                max: MAX_FIELDS as u64,
            },
        );
    }
}

/// A category code: upper case, required.
fn category_code(v: &mut Validator, field: &str, raw: &str) -> String {
    let code = raw.trim().to_uppercase();
    if code.is_empty() {
        v.violation(field, Violation::Required);
    }
    code
}

/// A travel document, normalised; checked without its value in the message.
fn travel_document(v: &mut Validator, field: &str, raw: &str) -> String {
    let document = DocumentVault::normalize(raw);
    v.travel_document(field, &document);
    document
}

/// A participant's fields, each checked (violations named as in `v`).
pub(super) fn participant_fields(v: &mut Validator, input: &ParticipantInput) -> ParticipantFields {
    let document = travel_document(v, "travel_document", &input.travel_document);
    ParticipantFields {
        given_name: v.required_name("given_name", &input.given_name),
        family_name: v.required_name("family_name", &input.family_name),
        native_name: v.optional_name("native_name", &input.native_name),
        organization_id: v.optional_id("organization_id", &input.organization_id),
        country: v.country("country", &input.country),
        job_title: v.optional_text("job_title", &input.job_title, MAX_TITLE),
        category_code: category_code(v, "category_code", &input.category_code),
        delegation_id: v.optional_id("delegation_id", &input.delegation_id),
        email: v.email("email", &input.email),
        phone: v.phone("phone", &input.phone),
        document,
        external_ref: v.optional_text("external_ref", &input.external_ref, MAX_EXTERNAL_REF),
        answers: {
            answer_count(v, &input.answers);
            input.answers.clone()
        },
    }
}

/// `RegisterParticipant`: the participant's fields named `participant.…`.
pub(super) fn registration(r: pb::RegisterParticipantRequest) -> AppResult<Registration> {
    let mut v = Validator::new();
    let request_id = v.request_id("request_id", &r.request_id);
    let event_id = v.id("event_id", &r.event_id).map(EventId);
    let input = participant_input(r.participant);
    let mut pv = Validator::with_prefix("participant.");
    let fields = participant_fields(&mut pv, &input);
    let mut violations = v.into_violations();
    violations.extend(pv.into_violations());
    if !violations.is_empty() {
        return Err(AppError::invalid_fields(violations));
    }
    let event_id = Validator::new().finish_with(event_id)?;
    Ok(Registration {
        request_id,
        event_id,
        input,
        fields,
    })
}

/// `UpdateParticipant`: each field given, checked.
pub(super) fn participant_changes(
    r: pb::UpdateParticipantRequest,
) -> AppResult<ParticipantChanges> {
    let mut v = Validator::new();
    let id = v.id("id", &r.id).map(ParticipantId);
    let given_name = r.given_name.map(|x| v.required_name("given_name", &x));
    let family_name = r.family_name.map(|x| v.required_name("family_name", &x));
    let native_name = r.native_name.map(|x| v.optional_name("native_name", &x));
    let organization_id = r
        .organization_id
        .map(|x| v.optional_id("organization_id", &x));
    let country = r.country.map(|x| v.country("country", &x));
    let job_title = r
        .job_title
        .map(|x| v.optional_text("job_title", &x, MAX_TITLE));
    let category_code = r
        .category_code
        .map(|x| category_code(&mut v, "category_code", &x));
    let email = r.email.map(|x| v.email("email", &x));
    let phone = r.phone.map(|x| v.phone("phone", &x));
    let travel_document = r
        .travel_document
        .map(|x| travel_document(&mut v, "travel_document", &x));
    let answers = answers(r.answers);
    answer_count(&mut v, &answers);
    Ok(ParticipantChanges {
        id: v.finish_with(id)?,
        expected_version: r.expected_version,
        given_name,
        family_name,
        native_name,
        organization_id,
        country,
        job_title,
        category_code,
        email,
        phone,
        travel_document,
        answers,
    })
}

fn quotas(quotas: Vec<pb::DelegationQuota>) -> Vec<QuotaInput> {
    quotas
        .into_iter()
        .map(|q| QuotaInput {
            category_code: q.category_code,
            quota: q.quota,
        })
        .collect()
}

/// `CreateDelegation`.
pub(super) fn new_delegation(r: pb::CreateDelegationRequest) -> AppResult<NewDelegation> {
    let mut v = Validator::new();
    let request_id = v.request_id("request_id", &r.request_id);
    let event_id = v.id("event_id", &r.event_id).map(EventId);
    let country = v.country("country", &r.country);
    let name = v.required_text("name", &r.name, MAX_TITLE);
    let answers = answers(r.answers);
    answer_count(&mut v, &answers);
    let event_id = v.finish_with(event_id)?;
    Ok(NewDelegation {
        request_id,
        event_id,
        country,
        name,
        quotas: quotas(r.quotas),
        answers,
    })
}

/// `UpdateDelegation`.
pub(super) fn delegation_update(r: pb::UpdateDelegationRequest) -> AppResult<DelegationUpdate> {
    let mut v = Validator::new();
    let id = v.id("id", &r.id).map(DelegationId);
    let name = r
        .name
        .as_deref()
        .map(|n| v.required_text("name", n, MAX_TITLE));
    let head = r
        .head_participant_id
        .as_deref()
        .map(|h| v.optional_id("head_participant_id", h));
    let answers = answers(r.answers);
    answer_count(&mut v, &answers);
    let id = v.finish_with(id)?;
    Ok(DelegationUpdate {
        id,
        name,
        head,
        quotas: r.replace_quotas.then(|| quotas(r.quotas)),
        answers,
    })
}

/// `CreateOrganization`: an unspecified kind is a company; one this
/// version does not know is a violation.
pub(super) fn new_organization(r: pb::CreateOrganizationRequest) -> AppResult<NewOrganization> {
    use crate::db::models::OrganizationKind;
    let mut v = Validator::new();
    let request_id = v.request_id("request_id", &r.request_id);
    let event_id = v.id("event_id", &r.event_id).map(EventId);
    let name = v.required_text("name", &r.name, MAX_TITLE);
    let country = v.country("country", &r.country);
    let kind = match pb::OrganizationKind::try_from(r.kind) {
        Ok(pb::OrganizationKind::Company | pb::OrganizationKind::Unspecified) => {
            Some(OrganizationKind::Company)
        }
        Ok(pb::OrganizationKind::Government) => Some(OrganizationKind::Government),
        Ok(pb::OrganizationKind::Media) => Some(OrganizationKind::Media),
        Ok(pb::OrganizationKind::Other) => Some(OrganizationKind::Other),
        Err(_) => {
            v.violation("kind", Violation::UnknownOrganizationKind);
            None
        }
    };
    let answers = answers(r.answers);
    answer_count(&mut v, &answers);
    let (event_id, kind) = v.finish_with(event_id.zip(kind))?;
    Ok(NewOrganization {
        request_id,
        event_id,
        name,
        country,
        kind,
        answers,
    })
}

/// `CreateEvent`: UTC when no time zone is given; at most
/// `MAX_EVENT_DAYS` days.
pub(super) fn new_event(r: pb::CreateEventRequest) -> AppResult<NewEvent> {
    let mut v = Validator::new();
    let code = v.code("code", &r.code);
    let name = v.required_text("name", &r.name, MAX_TITLE);
    let venue = v.optional_text("venue", &r.venue, MAX_TITLE);
    let time_zone = match r.time_zone.trim() {
        "" => "UTC".to_owned(),
        tz => tz.to_owned(),
    };
    if time_zone.parse::<chrono_tz::Tz>().is_err() {
        v.violation("time_zone", Violation::NotATimeZone);
    }
    let first = v.date("first_day", &r.first_day);
    let last = v.date("last_day", &r.last_day);
    if let (Some(first), Some(last)) = (first, last) {
        if last < first {
            v.violation("last_day", Violation::BeforeFirstDay);
        } else if (last - first).num_days() >= MAX_EVENT_DAYS {
            v.violation(
                "last_day",
                Violation::EventTooLong {
                    days: MAX_EVENT_DAYS,
                },
            );
        }
    }
    let (first_day, last_day) = v.finish_with(first.zip(last))?;
    Ok(NewEvent {
        code,
        name,
        venue,
        time_zone,
        first_day,
        last_day,
        names_at_gates: r.names_at_gates,
        photos_at_gates: r.photos_at_gates,
    })
}

/// `UpsertZone`.
pub(super) fn zone_input(r: pb::UpsertZoneRequest) -> AppResult<ZoneInput> {
    let mut v = Validator::new();
    let event_id = v.id("event_id", &r.event_id).map(EventId);
    let code = v.code("code", &r.code);
    let name = v.required_text("name", &r.name, MAX_TITLE);
    let parent_code = Some(r.parent_code.trim().to_uppercase()).filter(|p| !p.is_empty());
    if parent_code.as_deref() == Some(code.as_str()) {
        v.violation("parent_code", Violation::OwnParent);
    }
    let capacity = i32::try_from(r.capacity).ok();
    if capacity.is_none() {
        v.violation("capacity", Violation::TooLarge);
    }
    let name_ru = v.optional_text("name_ru", &r.name_ru, MAX_TITLE);
    let name_uz = v.optional_text("name_uz", &r.name_uz, MAX_TITLE);
    let (event_id, capacity) = v.finish_with(event_id.zip(capacity))?;
    Ok(ZoneInput {
        event_id,
        code,
        name,
        capacity,
        parent_code,
        name_ru,
        name_uz,
    })
}

/// `UpsertCategory`, parsed as far as it can be: the category when every
/// field holds, and the violations otherwise, with the zone codes and the
/// days (in request order, `None` where one did not parse) for the use case
/// to name what is not the event's in the same answer.
pub(super) struct CategoryParse {
    pub(super) event_id: EventId,
    pub(super) category: Option<CategoryInput>,
    pub(super) violations: Vec<crate::error::FieldViolation>,
    pub(super) zone_codes: Vec<String>,
    pub(super) days: Vec<Option<NaiveDate>>,
}

pub(super) fn category_input(r: pb::UpsertCategoryRequest) -> AppResult<CategoryParse> {
    let mut v = Validator::new();
    let event_id = v.id("event_id", &r.event_id).map(EventId);
    let Some(event_id) = event_id else {
        return Err(AppError::invalid_fields(v.into_violations()));
    };
    let code = v.code("code", &r.code);
    let name = v.required_text("name", &r.name, MAX_TITLE);
    let color = v.color("color", &r.color);
    let name_ru = v.optional_text("name_ru", &r.name_ru, MAX_TITLE);
    let name_uz = v.optional_text("name_uz", &r.name_uz, MAX_TITLE);
    let days: Vec<Option<NaiveDate>> = r
        .valid_days
        .iter()
        .enumerate()
        .map(|(i, raw)| v.date(&format!("valid_days[{i}]"), raw))
        .collect();
    let zone_codes: Vec<String> = r
        .zone_codes
        .iter()
        .map(|z| z.trim().to_uppercase())
        .collect();
    let badge_layout = match pb::BadgeLayout::try_from(r.badge_layout) {
        Ok(pb::BadgeLayout::Unspecified | pb::BadgeLayout::A6) => CategoryLayout::A6,
        Ok(pb::BadgeLayout::Card) => CategoryLayout::Card,
        Ok(pb::BadgeLayout::A4SheetA6 | pb::BadgeLayout::A4SheetCard) | Err(_) => {
            v.violation(
                "badge_layout",
                Violation::OneOf {
                    choices: "BADGE_LAYOUT_A6, BADGE_LAYOUT_CARD",
                },
            );
            CategoryLayout::A6
        }
    };
    let violations = v.into_violations();
    let category = violations.is_empty().then(|| CategoryInput {
        badge_layout,
        event_id,
        code,
        name,
        color,
        zone_codes: zone_codes.clone(),
        valid_days: days.iter().flatten().copied().collect(),
        name_ru,
        name_uz,
    });
    Ok(CategoryParse {
        event_id,
        category,
        violations,
        zone_codes,
        days,
    })
}

/// `UpsertGate`.
pub(super) fn gate_input(r: pb::UpsertGateRequest) -> AppResult<GateInput> {
    let mut v = Validator::new();
    let event_id = v.id("event_id", &r.event_id).map(EventId);
    let code = v.code("code", &r.code);
    let name = v.required_text("name", &r.name, MAX_TITLE);
    let event_id = v.finish_with(event_id)?;
    Ok(GateInput {
        event_id,
        code,
        name,
        zone_code: r.zone_code.trim().to_uppercase(),
    })
}
