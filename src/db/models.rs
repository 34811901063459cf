//! Row types: `X` is read, `NewX` is inserted.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use crate::ids::{
    CategoryId, DelegationId, EventId, GateId, OrganizationId, ParticipantId, TokenId, ZoneId,
};

use super::schema::*;
use crate::vocab::text_enum;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = api_tokens, check_for_backend(diesel::pg::Pg))]
pub(crate) struct ApiToken {
    pub id: TokenId,
    pub name: String,
    pub role: String,
    pub token_hash: Vec<u8>,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub event_id: Option<EventId>,
    pub gate_ids: Vec<Option<GateId>>,
    pub expires_at: Option<DateTime<Utc>>,
    pub created_by: Option<TokenId>,
    pub last_used_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = api_tokens)]
pub struct NewApiToken<'a> {
    pub id: TokenId,
    pub name: &'a str,
    pub role: &'a str,
    pub token_hash: &'a [u8],
    pub event_id: Option<EventId>,
    pub gate_ids: Vec<Option<GateId>>,
    pub expires_at: Option<DateTime<Utc>>,
    pub created_by: Option<TokenId>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = events, check_for_backend(diesel::pg::Pg))]
pub struct Event {
    pub id: EventId,
    pub code: String,
    pub name: String,
    pub venue: String,
    pub time_zone: String,
    pub first_day: NaiveDate,
    pub last_day: NaiveDate,
    pub names_at_gates: bool,
    pub created_at: DateTime<Utc>,
    pub photos_at_gates: bool,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = zones, check_for_backend(diesel::pg::Pg), treat_none_as_null = true)]
pub struct Zone {
    pub id: ZoneId,
    pub event_id: EventId,
    pub code: String,
    pub name: String,
    pub capacity: i32,
    pub parent_zone_id: Option<ZoneId>,
    pub name_ru: String,
    pub name_uz: String,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = categories, check_for_backend(diesel::pg::Pg))]
pub struct Category {
    pub id: CategoryId,
    pub event_id: EventId,
    pub code: String,
    pub name: String,
    pub color: String,
    pub zone_ids: Vec<Option<ZoneId>>,
    pub valid_days: Vec<Option<NaiveDate>>,
    pub name_ru: String,
    pub name_uz: String,
    pub badge_layout: CategoryLayout,
}

text_enum! {
    /// The badge a category's holders get by default (`categories.badge_layout`).
    CategoryLayout {
        A6 => "a6",
        Card => "card",
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = gates, check_for_backend(diesel::pg::Pg))]
pub struct Gate {
    pub id: GateId,
    pub event_id: EventId,
    pub code: String,
    pub name: String,
    pub zone_id: ZoneId,
}

text_enum! {
    /// Whether a participant is registered (`participants.status`).
    ParticipantStatus {
        Active => "active",
        Cancelled => "cancelled",
    }
}

text_enum! {
    /// What an organisation is (`organizations.kind`).
    OrganizationKind {
        Company => "company",
        Government => "government",
        Media => "media",
        Other => "other",
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = organizations, check_for_backend(diesel::pg::Pg))]
pub struct Organization {
    pub id: OrganizationId,
    pub event_id: EventId,
    pub name: String,
    pub name_key: String,
    pub country: String,
    pub kind: OrganizationKind,
    pub created_at: DateTime<Utc>,
    /// Custom answers of organisation fields (`domain::fields::answers`).
    pub answers: serde_json::Value,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = delegations, check_for_backend(diesel::pg::Pg))]
pub struct Delegation {
    pub id: DelegationId,
    pub event_id: EventId,
    pub country: String,
    pub name: String,
    pub head_participant_id: Option<ParticipantId>,
    pub created_at: DateTime<Utc>,
    /// Custom answers of delegation fields (`domain::fields::answers`).
    pub answers: serde_json::Value,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = delegation_quotas, check_for_backend(diesel::pg::Pg))]
pub struct DelegationQuota {
    pub delegation_id: DelegationId,
    pub category_id: CategoryId,
    pub quota: i32,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = participants, check_for_backend(diesel::pg::Pg), treat_none_as_null = true)]
pub struct Participant {
    pub id: ParticipantId,
    pub event_id: EventId,
    pub given_name: String,
    pub family_name: String,
    pub native_name: String,
    pub given_key: String,
    pub family_key: String,
    pub organization_id: Option<OrganizationId>,
    pub country: String,
    pub job_title: String,
    pub category_id: CategoryId,
    pub delegation_id: Option<DelegationId>,
    pub email: String,
    pub phone: String,
    pub document_cipher: Option<Vec<u8>>,
    pub document_hash: Option<Vec<u8>>,
    pub status: ParticipantStatus,
    pub cancel_reason: String,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub external_ref: String,
    /// Custom answers by field key (`domain::fields::answers`).
    pub answers: serde_json::Value,
    /// The searchable text of the public and internal answers.
    pub answer_text: String,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = audit_log)]
pub struct NewAuditEntry<'a> {
    pub token_id: Option<TokenId>,
    pub action: &'a str,
    pub entity_type: &'a str,
    pub entity_id: Uuid,
    pub request_id: &'a str,
}
