//! The desk's work: participants, delegations, organisations.

use std::collections::HashMap;

use diesel_async::AsyncConnection as _;
use serde::Serialize;
use uuid::Uuid;

use super::{
    Principal, Role, Services,
    ids::{DelegationId, OrganizationId, ParticipantId},
    search_key,
    secrets::{DocumentVault, mask_document},
    validate::{MAX_NAME, Validator},
};
use crate::{
    db::{
        self, Conn,
        idempotency::Claim,
        models::{
            Delegation, DelegationQuota, NewAuditEntry, Organization, Participant, STATUS_ACTIVE,
            STATUS_CANCELLED,
        },
        participants::{NameFilter, ParticipantRow, RegisterOutcome, SearchFilter},
    },
    error::{AppError, AppResult, ErrorKind},
};

/// What the desk enters, as typed. Serialised (with the event id) into the
/// fingerprint that detects a reused idempotency key.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ParticipantInput {
    pub given_name: String,
    pub family_name: String,
    pub native_name: String,
    pub organization_id: String,
    pub country: String,
    pub job_title: String,
    pub category_code: String,
    pub delegation_id: String,
    pub email: String,
    pub phone: String,
    pub travel_document: String,
    /// The roster's own reference; empty when none (and then left out of
    /// the fingerprint, which stays what it was before references existed).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub external_ref: String,
}

/// A participant as callers see it.
#[derive(Debug, Clone)]
pub struct ParticipantView {
    pub row: Participant,
    pub category_code: String,
    pub organization_name: Option<String>,
    /// The masked travel document; only for admins.
    pub document_masked: Option<String>,
}

/// Partial change of a participant: `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct ParticipantChanges {
    pub id: String,
    pub expected_version: i64,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub native_name: Option<String>,
    pub organization_id: Option<String>,
    pub country: Option<String>,
    pub job_title: Option<String>,
    pub category_code: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub travel_document: Option<String>,
}

/// Search criteria as typed.
#[derive(Debug, Clone, Default)]
pub struct SearchInput {
    pub event_id: String,
    pub name_prefix: String,
    pub organization_id: String,
    pub country: String,
    pub category_code: String,
    pub delegation_id: String,
    /// `Some(true)` active only, `Some(false)` cancelled only.
    pub active: Option<bool>,
    pub page_size: u32,
    pub page_token: String,
}

#[derive(Debug, Clone, Default)]
pub struct QuotaInput {
    pub category_code: String,
    pub quota: u32,
}

#[derive(Debug, Clone, Default)]
pub struct DelegationInput {
    pub event_id: String,
    pub country: String,
    pub name: String,
    pub quotas: Vec<QuotaInput>,
}

#[derive(Debug, Clone, Default)]
pub struct DelegationChanges {
    pub id: String,
    pub name: Option<String>,
    pub head_participant_id: Option<String>,
    pub quotas: Option<Vec<QuotaInput>>,
}

#[derive(Debug, Clone)]
pub struct QuotaView {
    pub category_code: String,
    pub quota: u32,
    pub used: u32,
}

#[derive(Debug, Clone)]
pub struct DelegationView {
    pub delegation: Delegation,
    pub quotas: Vec<QuotaView>,
    pub member_count: u32,
}

#[derive(Debug, Clone, Default)]
pub struct OrganizationInput {
    pub event_id: String,
    pub name: String,
    pub country: String,
    /// company, government, media or other; company when empty.
    pub kind: String,
}

/// Kinds of organisation as stored.
pub const ORGANIZATION_KINDS: [&str; 4] = ["company", "government", "media", "other"];

/// A participant ready to insert.
pub(super) struct Prepared {
    pub(super) row: Participant,
    pub(super) email_lower: String,
}

/// The fields of an input once checked, before references are resolved.
pub(super) struct Checked {
    given_name: String,
    family_name: String,
    native_name: String,
    organization_id: Option<Uuid>,
    country: String,
    job_title: String,
    category_code: String,
    delegation_id: Option<Uuid>,
    email: String,
    phone: String,
    document: String,
    pub(super) external_ref: String,
}

/// Longest roster reference, in characters.
const MAX_EXTERNAL_REF: usize = 64;

pub(super) fn check_input(v: &mut Validator, input: &ParticipantInput) -> Checked {
    let document = DocumentVault::normalize(&input.travel_document);
    v.travel_document("travel_document", &document);
    Checked {
        given_name: v.name("given_name", &input.given_name, false),
        family_name: v.name("family_name", &input.family_name, false),
        native_name: v.name("native_name", &input.native_name, true),
        organization_id: v.optional_id("organization_id", &input.organization_id),
        country: v.country("country", &input.country),
        job_title: v.text("job_title", &input.job_title, 200, true),
        category_code: {
            let code = input.category_code.trim().to_uppercase();
            if code.is_empty() {
                v.violation("category_code", "is required");
            }
            code
        },
        delegation_id: v.optional_id("delegation_id", &input.delegation_id),
        email: v.email("email", &input.email),
        phone: v.phone("phone", &input.phone),
        document,
        external_ref: v.text("external_ref", &input.external_ref, MAX_EXTERNAL_REF, true),
    }
}

/// Locks a delegation's row until the transaction ends and gives its
/// quota for a category and how many of its active members hold that
/// category: the seats are exact while the lock is held.
pub(super) async fn delegation_seats(
    conn: &mut Conn,
    delegation_id: Uuid,
    category_id: Uuid,
) -> AppResult<(i64, i64)> {
    db::registry::lock_delegations(conn, &[delegation_id]).await?;
    let quota = db::registry::quotas_of(conn, &[delegation_id])
        .await?
        .into_iter()
        .find(|q| q.category_id == category_id)
        .map_or(0, |q| i64::from(q.quota));
    let used = db::participants::count_active_in(conn, delegation_id, category_id).await?;
    Ok((quota, used))
}

pub(super) fn duplicate(existing: Uuid) -> AppError {
    AppError::already_exists(
        "DUPLICATE_PARTICIPANT",
        format!("participant {existing} already has this email or travel document in this event"),
    )
    .with_metadata("participant_id", existing.to_string())
}

pub(super) fn quota_exceeded(category: &str, quota: i64) -> AppError {
    AppError::precondition(
        "DELEGATION_QUOTA_EXCEEDED",
        format!("the delegation's quota for {category} ({quota}) is used up"),
    )
    .with_metadata("quota", quota.to_string())
}

pub(super) fn reused_key() -> AppError {
    AppError::new(
        ErrorKind::InvalidArgument,
        "IDEMPOTENCY_KEY_REUSED",
        "this request_id was already used with a different request body",
    )
}

pub(crate) fn entry<'a>(
    actor: &Principal,
    action: &'a str,
    kind: &'a str,
    id: Uuid,
    request_id: &'a str,
) -> NewAuditEntry<'a> {
    NewAuditEntry {
        token_id: Some(actor.token_id.0),
        action,
        entity_type: kind,
        entity_id: id,
        request_id,
    }
}

/// Encodes the keyset of the last row of a page.
fn encode_page_token<T: Serialize>(key: &T) -> String {
    use base64::Engine as _;
    let json = serde_json::to_vec(key).unwrap_or_default();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json)
}

fn parse_page_token<T: serde::de::DeserializeOwned>(v: &mut Validator, token: &str) -> Option<T> {
    use base64::Engine as _;
    if token.is_empty() {
        return None;
    }
    let parsed = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok());
    if parsed.is_none() {
        v.violation("page_token", "is not a token this server issued");
    }
    parsed
}

/// A reference of an event resolved to its id (and, for organisations, its
/// name), cached: references never move between events.
#[derive(Debug, Clone)]
struct Owner {
    event_id: Uuid,
    name: String,
}

impl Services {
    async fn organization_owner(&self, conn: &mut Conn, id: Uuid) -> AppResult<Option<Owner>> {
        if let Some(owner) = self.cache_owner(id) {
            return Ok(Some(owner));
        }
        let found = db::registry::find_organization(conn, id).await?;
        Ok(found.map(|org| self.remember_owner(id, org.event_id, org.name)))
    }

    async fn delegation_owner(&self, conn: &mut Conn, id: Uuid) -> AppResult<Option<Owner>> {
        if let Some(owner) = self.cache_owner(id) {
            return Ok(Some(owner));
        }
        let found = db::registry::find_delegation(conn, id).await?;
        Ok(found.map(|d| self.remember_owner(id, d.event_id, String::new())))
    }

    fn cache_owner(&self, id: Uuid) -> Option<Owner> {
        let owners = self.cache.owners.read().ok()?;
        owners.get(&id).map(|(event_id, name)| Owner {
            event_id: *event_id,
            name: name.clone(),
        })
    }

    fn remember_owner(&self, id: Uuid, event_id: Uuid, name: String) -> Owner {
        if let Ok(mut owners) = self.cache.owners.write() {
            owners.insert(id, (event_id, name.clone()));
        }
        Owner { event_id, name }
    }

    /// Resolves the references of a checked input and builds the row.
    pub(super) async fn prepare(
        &self,
        conn: &mut Conn,
        event_id: Uuid,
        checked: Checked,
        field_prefix: &str,
    ) -> AppResult<(Prepared, Option<String>)> {
        let mut v = Validator::with_prefix(field_prefix);
        let category_id = self
            .category_id(conn, event_id, &checked.category_code)
            .await?;
        if category_id.is_none() {
            v.violation("category_code", "no category with this code in the event");
        }
        let mut organization_name = None;
        if let Some(id) = checked.organization_id {
            match self.organization_owner(conn, id).await? {
                None => {
                    return Err(AppError::not_found(
                        "ORGANIZATION_NOT_FOUND",
                        format!("no organisation {id}"),
                    ));
                }
                Some(o) if o.event_id != event_id => {
                    v.violation(
                        "organization_id",
                        "the organisation belongs to another event",
                    );
                }
                Some(o) => organization_name = Some(o.name),
            }
        }
        if let Some(id) = checked.delegation_id {
            match self.delegation_owner(conn, id).await? {
                None => {
                    return Err(AppError::not_found(
                        "DELEGATION_NOT_FOUND",
                        format!("no delegation {id}"),
                    ));
                }
                Some(o) if o.event_id != event_id => {
                    v.violation("delegation_id", "the delegation belongs to another event");
                }
                Some(_) => {}
            }
        }
        v.finish()?;
        let (document_cipher, document_hash) = if checked.document.is_empty() {
            (None, None)
        } else {
            (
                Some(self.vault.encrypt(&checked.document)?),
                Some(self.vault.document_hash(&checked.document)),
            )
        };
        let now = crate::domain::now();
        let row = Participant {
            id: ParticipantId::generate().0,
            event_id,
            given_key: search_key::sort_key(&checked.given_name),
            family_key: search_key::sort_key(&checked.family_name),
            given_name: checked.given_name,
            family_name: checked.family_name,
            native_name: checked.native_name,
            organization_id: checked.organization_id,
            country: checked.country,
            job_title: checked.job_title,
            category_id: category_id.unwrap_or_default(),
            delegation_id: checked.delegation_id,
            email: checked.email,
            phone: checked.phone,
            document_cipher,
            document_hash,
            status: STATUS_ACTIVE.to_owned(),
            cancel_reason: String::new(),
            version: 1,
            created_at: now,
            updated_at: now,
            external_ref: checked.external_ref,
        };
        let email_lower = row.email.to_lowercase();
        Ok((Prepared { row, email_lower }, organization_name))
    }
}

/// What a registration transaction produced.
enum Registered {
    New,
    Replay(Uuid),
}

impl Services {
    /// Writes a prepared registration; tells a repeat from a duplicate.
    async fn write_registration(
        &self,
        conn: &mut Conn,
        actor: &Principal,
        request_id: &str,
        fingerprint: &[u8],
        prepared: &Prepared,
    ) -> AppResult<Registered> {
        let p = &prepared.row;
        let outcome = db::participants::register_one(
            conn,
            request_id,
            fingerprint,
            p,
            Some(actor.token_id.0),
        )
        .await?;
        match outcome {
            RegisterOutcome::Inserted => Ok(Registered::New),
            RegisterOutcome::KeySeen => {
                match db::idempotency::peek(conn, "participant.register", request_id).await? {
                    Claim::Seen {
                        fingerprint: f,
                        resource_id,
                    } if f == fingerprint => Ok(Registered::Replay(resource_id)),
                    _ => Err(reused_key()),
                }
            }
            RegisterOutcome::Duplicate => {
                // A concurrent call with the same key may have committed the
                // participant while this statement ran: that is a repeat.
                if let Claim::Seen {
                    fingerprint: f,
                    resource_id,
                } = db::idempotency::peek(conn, "participant.register", request_id).await?
                {
                    return if f == fingerprint {
                        Ok(Registered::Replay(resource_id))
                    } else {
                        Err(reused_key())
                    };
                }
                let hashes: Vec<Vec<u8>> = p.document_hash.iter().cloned().collect();
                let emails: Vec<String> = [prepared.email_lower.clone()]
                    .into_iter()
                    .filter(|e| !e.is_empty())
                    .collect();
                let existing =
                    db::participants::find_active_duplicates(conn, p.event_id, &emails, &hashes)
                        .await?;
                if let Some(found) = existing.first() {
                    return Err(duplicate(found.0));
                }
                if !p.external_ref.is_empty()
                    && let Some(other) = db::participants::lock_by_external_refs(
                        conn,
                        p.event_id,
                        std::slice::from_ref(&p.external_ref),
                    )
                    .await?
                    .first()
                {
                    return Err(AppError::already_exists(
                        "DUPLICATE_EXTERNAL_REF",
                        format!("participant {} already has this external_ref", other.id),
                    )
                    .with_metadata("participant_id", other.id.to_string()));
                }
                Err(duplicate(Uuid::nil()))
            }
        }
    }
}

impl Services {
    /// Turns a stored row into what the caller may see.
    fn view(
        &self,
        caller: &Principal,
        (row, category_code, organization_name): ParticipantRow,
    ) -> AppResult<ParticipantView> {
        let document_masked = match (&row.document_cipher, caller.role) {
            (Some(cipher), Role::Admin) => Some(mask_document(&self.vault.decrypt(cipher)?)),
            _ => None,
        };
        Ok(ParticipantView {
            row,
            category_code,
            organization_name,
            document_masked,
        })
    }

    async fn load_view(
        &self,
        conn: &mut Conn,
        caller: &Principal,
        id: Uuid,
    ) -> AppResult<ParticipantView> {
        let row = db::participants::find(conn, id).await?.ok_or_else(|| {
            AppError::not_found("PARTICIPANT_NOT_FOUND", format!("no participant {id}"))
        })?;
        self.view(caller, row)
    }

    /// Registers one participant, idempotently per `request_id`.
    pub async fn register_participant(
        &self,
        actor: &Principal,
        request_id: &str,
        event_id: &str,
        input: ParticipantInput,
    ) -> AppResult<ParticipantView> {
        let mut v = Validator::new();
        let request_id = v.request_id("request_id", request_id);
        let event_uuid = v.id("event_id", event_id);
        let mut pv = Validator::with_prefix("participant.");
        let checked = check_input(&mut pv, &input);
        let mut violations = v.into_violations();
        violations.extend(pv.into_violations());
        if !violations.is_empty() {
            return Err(AppError::invalid_fields(violations));
        }
        let event_uuid = event_uuid.unwrap_or_default();
        let fingerprint = self
            .vault
            .fingerprint(&serde_json::to_vec(&(event_uuid, &input)).map_err(AppError::internal)?);
        let mut conn = self.db.get().await?;
        let event = self.event(&mut conn, event_uuid).await?;
        let (prepared, organization_name) = self
            .prepare(&mut conn, event.id, checked, "participant.")
            .await?;
        let category_code = input.category_code.trim().to_uppercase();
        let (request_id, fingerprint, code, ready) =
            (&request_id, &fingerprint, &category_code, &prepared);
        let outcome = match prepared.row.delegation_id {
            // Into a delegation: serialised on the delegation's row, so the
            // quota count is exact.
            Some(delegation_id) => {
                conn.transaction::<_, AppError, _>(async move |conn| {
                    let (quota, used) =
                        delegation_seats(conn, delegation_id, ready.row.category_id).await?;
                    if used >= quota {
                        // A retry of a registration that did get in still
                        // returns it.
                        return match db::idempotency::peek(conn, "participant.register", request_id)
                            .await?
                        {
                            Claim::Seen {
                                fingerprint: f,
                                resource_id,
                            } if &f == fingerprint => Ok(Registered::Replay(resource_id)),
                            Claim::Seen { .. } => Err(reused_key()),
                            Claim::Fresh => Err(quota_exceeded(code, quota)),
                        };
                    }
                    self.write_registration(conn, actor, request_id, fingerprint, ready)
                        .await
                })
                .await?
            }
            // One atomic statement, no transaction round trips.
            None => {
                self.write_registration(&mut conn, actor, request_id, fingerprint, ready)
                    .await?
            }
        };
        match outcome {
            Registered::New => {
                let row = (prepared.row, category_code, organization_name);
                self.view(actor, row)
            }
            Registered::Replay(id) => self.load_view(&mut conn, actor, id).await,
        }
    }

    pub async fn get_participant(
        &self,
        caller: &Principal,
        id: &str,
    ) -> AppResult<ParticipantView> {
        let mut v = Validator::new();
        let id = v.id("id", id);
        v.finish()?;
        let mut conn = self.db.get().await?;
        self.load_view(&mut conn, caller, id.unwrap_or_default())
            .await
    }

    /// Changes some fields, refusing a stale `expected_version`.
    pub async fn update_participant(
        &self,
        actor: &Principal,
        changes: ParticipantChanges,
    ) -> AppResult<ParticipantView> {
        let mut v = Validator::new();
        let id = v.id("id", &changes.id).unwrap_or_default();
        v.finish()?;
        let mut conn = self.db.get().await?;
        let id = conn
            .transaction::<_, AppError, _>(async move |conn| {
                {
                    let current = db::participants::lock(conn, id).await?.ok_or_else(|| {
                        AppError::not_found("PARTICIPANT_NOT_FOUND", format!("no participant {id}"))
                    })?;
                    if current.version != changes.expected_version {
                        return Err(AppError::new(
                            ErrorKind::Aborted,
                            "VERSION_CONFLICT",
                            format!(
                                "the participant changed since version {} (now {}): read it again",
                                changes.expected_version, current.version
                            ),
                        )
                        .with_metadata("current_version", current.version.to_string()));
                    }
                    if current.status == STATUS_CANCELLED {
                        return Err(AppError::precondition(
                            "PARTICIPANT_CANCELLED",
                            "a cancelled participant cannot be changed",
                        ));
                    }
                    // Re-check the merged record as a whole.
                    let document_changed = changes.travel_document.is_some();
                    let old_document = match (&current.document_cipher, document_changed) {
                        (Some(cipher), false) => self.vault.decrypt(cipher)?,
                        _ => String::new(),
                    };
                    let old_category = db::events::list_categories(conn, current.event_id)
                        .await?
                        .into_iter()
                        .find(|c| c.id == current.category_id)
                        .map(|c| c.code)
                        .unwrap_or_default();
                    let merged = ParticipantInput {
                        given_name: changes
                            .given_name
                            .clone()
                            .unwrap_or_else(|| current.given_name.clone()),
                        family_name: changes
                            .family_name
                            .clone()
                            .unwrap_or_else(|| current.family_name.clone()),
                        native_name: changes
                            .native_name
                            .clone()
                            .unwrap_or_else(|| current.native_name.clone()),
                        organization_id: changes.organization_id.clone().unwrap_or_else(|| {
                            current
                                .organization_id
                                .map(|u| u.to_string())
                                .unwrap_or_default()
                        }),
                        country: changes
                            .country
                            .clone()
                            .unwrap_or_else(|| current.country.clone()),
                        job_title: changes
                            .job_title
                            .clone()
                            .unwrap_or_else(|| current.job_title.clone()),
                        category_code: changes.category_code.clone().unwrap_or(old_category),
                        delegation_id: current
                            .delegation_id
                            .map(|u| u.to_string())
                            .unwrap_or_default(),
                        email: changes
                            .email
                            .clone()
                            .unwrap_or_else(|| current.email.clone()),
                        phone: changes
                            .phone
                            .clone()
                            .unwrap_or_else(|| current.phone.clone()),
                        travel_document: changes.travel_document.clone().unwrap_or(old_document),
                        external_ref: current.external_ref.clone(),
                    };
                    let mut v = Validator::new();
                    let checked = check_input(&mut v, &merged);
                    v.finish()?;
                    let (prepared, _) = self.prepare(conn, current.event_id, checked, "").await?;
                    let mut row = prepared.row;
                    row.id = current.id;
                    row.created_at = current.created_at;
                    row.version = current.version + 1;
                    if !document_changed {
                        row.document_cipher = current.document_cipher.clone();
                        row.document_hash = current.document_hash.clone();
                    }
                    if let (Some(delegation_id), true) =
                        (row.delegation_id, row.category_id != current.category_id)
                    {
                        let (quota, used) =
                            delegation_seats(conn, delegation_id, row.category_id).await?;
                        if used >= quota {
                            return Err(quota_exceeded(&merged.category_code, quota));
                        }
                    }
                    let email_lower = row.email.to_lowercase();
                    let emails: Vec<String> = [email_lower]
                        .into_iter()
                        .filter(|e| !e.is_empty())
                        .collect();
                    let hashes: Vec<Vec<u8>> = row.document_hash.iter().cloned().collect();
                    let clash = db::participants::find_active_duplicates(
                        conn,
                        row.event_id,
                        &emails,
                        &hashes,
                    )
                    .await?
                    .into_iter()
                    .find(|d| d.0 != row.id);
                    if let Some((other, _, _)) = clash {
                        return Err(duplicate(other));
                    }
                    db::participants::update(conn, &row).await?;
                    db::audit::record(
                        conn,
                        &entry(actor, "participant.update", "participant", row.id, ""),
                    )
                    .await?;
                    Ok(row.id)
                }
            })
            .await?;
        self.load_view(&mut conn, actor, id).await
    }

    /// Cancels a participant (kept, with the reason). Idempotent.
    pub async fn cancel_participant(
        &self,
        actor: &Principal,
        id: &str,
        reason: &str,
    ) -> AppResult<ParticipantView> {
        let mut v = Validator::new();
        let id = v.id("id", id).unwrap_or_default();
        let reason = v.text("reason", reason, 500, false);
        v.finish()?;
        let mut conn = self.db.get().await?;
        conn.transaction::<_, AppError, _>(async move |conn| {
            let mut row = db::participants::lock(conn, id).await?.ok_or_else(|| {
                AppError::not_found("PARTICIPANT_NOT_FOUND", format!("no participant {id}"))
            })?;
            if row.status == STATUS_CANCELLED {
                return Ok(());
            }
            row.status = STATUS_CANCELLED.to_owned();
            row.cancel_reason = reason;
            row.version += 1;
            row.updated_at = crate::domain::now();
            db::participants::update(conn, &row).await?;
            db::audit::record(
                conn,
                &entry(actor, "participant.cancel", "participant", row.id, ""),
            )
            .await?;
            super::badges::revoke_for_cancel(conn, actor, row.id).await?;
            Ok(())
        })
        .await?;
        self.load_view(&mut conn, actor, id).await
    }

    /// What a name search asks for: nothing, nobody (typed text with no
    /// words), or every typed word as the prefix of a key.
    fn typed_name(&self, v: &mut Validator, typed: &str) -> NameFilter {
        let typed = v.text("name_prefix", typed, MAX_NAME, true);
        match search_key::typed_words(&typed) {
            None => NameFilter::Any,
            Some(words) if words.is_empty() => NameFilter::Nobody,
            Some(words) if words.len() > search_key::MAX_TYPED_WORDS => {
                v.violation(
                    "name_prefix",
                    format!("must have at most {} words", search_key::MAX_TYPED_WORDS),
                );
                NameFilter::Nobody
            }
            Some(words) => NameFilter::Words(words),
        }
    }

    fn search_filter(
        &self,
        v: &mut Validator,
        input: &SearchInput,
        event_id: Uuid,
    ) -> SearchFilter {
        let page_size = match input.page_size {
            0 => 50,
            n if n > 500 => {
                v.violation("page_size", "must be at most 500");
                500
            }
            n => n,
        };
        SearchFilter {
            event_id,
            name: self.typed_name(v, &input.name_prefix),
            organization_id: v.optional_id("organization_id", &input.organization_id),
            country: (!input.country.trim().is_empty())
                .then(|| v.country("country", &input.country)),
            category_id: None,
            delegation_id: v.optional_id("delegation_id", &input.delegation_id),
            status: input
                .active
                .map(|a| if a { STATUS_ACTIVE } else { STATUS_CANCELLED }),
            after: parse_page_token(v, &input.page_token),
            limit: i64::from(page_size) + 1,
        }
    }

    /// One page of matches and the token of the next page.
    pub async fn search_participants(
        &self,
        caller: &Principal,
        input: SearchInput,
    ) -> AppResult<(Vec<ParticipantView>, String)> {
        let (mut conn, filter) = self.resolve_search(&input).await?;
        let page_size = usize::try_from(filter.limit - 1).unwrap_or(50);
        let order = match &filter.name {
            NameFilter::Words(words) => self.name_matches(&mut conn, &filter, words).await?,
            NameFilter::Any | NameFilter::Nobody => {
                db::participants::listing_order(&mut conn, &filter).await?
            }
        };
        let mut rows = db::participants::rows_in_order(&mut conn, order).await?;
        let next = if rows.len() > page_size {
            rows.truncate(page_size);
            rows.last()
                .map(|(_, cursor)| encode_page_token(cursor))
                .unwrap_or_default()
        } else {
            String::new()
        };
        let views = rows
            .into_iter()
            .map(|(r, _)| self.view(caller, r))
            .collect::<AppResult<Vec<_>>>()?;
        Ok((views, next))
    }

    /// The query plan of a search (benchmarks and tests show it uses indexes).
    pub async fn explain_search(&self, input: SearchInput) -> AppResult<String> {
        let (mut conn, filter) = self.resolve_search(&input).await?;
        Ok(db::participants::explain_search(&mut conn, &filter).await?)
    }

    async fn resolve_search(
        &self,
        input: &SearchInput,
    ) -> AppResult<(db::PooledConn, SearchFilter)> {
        let mut conn = self.db.get().await?;
        let event = self
            .existing_event(&mut conn, "event_id", &input.event_id)
            .await?;
        let mut v = Validator::new();
        let mut filter = self.search_filter(&mut v, input, event.id);
        if !input.category_code.trim().is_empty() {
            let code = input.category_code.trim().to_uppercase();
            match self.category_id(&mut conn, event.id, &code).await? {
                Some(id) => filter.category_id = Some(id),
                None => v.violation("category_code", "no category with this code in the event"),
            }
        }
        v.finish()?;
        Ok((conn, filter))
    }
}

impl Services {
    fn check_quotas(
        &self,
        v: &mut Validator,
        quotas: &[QuotaInput],
        categories: &HashMap<String, Uuid>,
        delegation_id: Uuid,
    ) -> Vec<DelegationQuota> {
        let mut out: Vec<DelegationQuota> = Vec::new();
        for (i, q) in quotas.iter().enumerate() {
            let code = q.category_code.trim().to_uppercase();
            match categories.get(&code) {
                None => v.violation(
                    &format!("quotas[{i}].category_code"),
                    "no category with this code in the event",
                ),
                Some(id) if out.iter().any(|o| o.category_id == *id) => {
                    v.violation(&format!("quotas[{i}].category_code"), "appears twice");
                }
                Some(id) => match i32::try_from(q.quota) {
                    Ok(quota) => out.push(DelegationQuota {
                        delegation_id,
                        category_id: *id,
                        quota,
                    }),
                    Err(_) => v.violation(&format!("quotas[{i}].quota"), "is too large"),
                },
            }
        }
        out
    }

    async fn category_codes(
        &self,
        conn: &mut Conn,
        event_id: Uuid,
    ) -> AppResult<HashMap<String, Uuid>> {
        Ok(db::events::list_categories(conn, event_id)
            .await?
            .into_iter()
            .map(|c| (c.code, c.id))
            .collect())
    }

    async fn delegation_views(
        &self,
        conn: &mut Conn,
        delegations: Vec<Delegation>,
    ) -> AppResult<Vec<DelegationView>> {
        let Some(first) = delegations.first() else {
            return Ok(Vec::new());
        };
        let codes: HashMap<Uuid, String> = self
            .category_codes(conn, first.event_id)
            .await?
            .into_iter()
            .map(|(code, id)| (id, code))
            .collect();
        let ids: Vec<Uuid> = delegations.iter().map(|d| d.id).collect();
        let quotas = db::registry::quotas_of(conn, &ids).await?;
        let usage: HashMap<(Uuid, Uuid), i64> = db::registry::usage_of(conn, &ids)
            .await?
            .into_iter()
            .map(|(d, c, n)| ((d, c), n))
            .collect();
        Ok(delegations
            .into_iter()
            .map(|delegation| {
                let mut quotas: Vec<QuotaView> = quotas
                    .iter()
                    .filter(|q| q.delegation_id == delegation.id)
                    .map(|q| QuotaView {
                        category_code: codes.get(&q.category_id).cloned().unwrap_or_default(),
                        quota: u32::try_from(q.quota).unwrap_or(0),
                        used: u32::try_from(
                            usage
                                .get(&(delegation.id, q.category_id))
                                .copied()
                                .unwrap_or(0),
                        )
                        .unwrap_or(0),
                    })
                    .collect();
                quotas.sort_by(|a, b| a.category_code.cmp(&b.category_code));
                let members: i64 = usage
                    .iter()
                    .filter(|((d, _), _)| *d == delegation.id)
                    .map(|(_, n)| n)
                    .sum();
                DelegationView {
                    delegation,
                    quotas,
                    member_count: u32::try_from(members).unwrap_or(0),
                }
            })
            .collect())
    }

    async fn one_delegation_view(&self, conn: &mut Conn, id: Uuid) -> AppResult<DelegationView> {
        let delegation = db::registry::find_delegation(conn, id)
            .await?
            .ok_or_else(|| {
                AppError::not_found("DELEGATION_NOT_FOUND", format!("no delegation {id}"))
            })?;
        let mut views = self.delegation_views(conn, vec![delegation]).await?;
        views
            .pop()
            .ok_or_else(|| AppError::internal(anyhow::anyhow!("delegation view lost")))
    }

    pub async fn create_delegation(
        &self,
        actor: &Principal,
        request_id: &str,
        input: DelegationInput,
    ) -> AppResult<DelegationView> {
        let mut v = Validator::new();
        let request_id = v.request_id("request_id", request_id);
        let event_uuid = v.id("event_id", &input.event_id);
        let country = v.country("country", &input.country);
        let name = v.text("name", &input.name, 200, false);
        v.finish()?;
        let mut conn = self.db.get().await?;
        let event = self
            .event(&mut conn, event_uuid.unwrap_or_default())
            .await?;
        let categories = self.category_codes(&mut conn, event.id).await?;
        let id = DelegationId::generate().0;
        let mut v = Validator::new();
        let quotas = self.check_quotas(&mut v, &input.quotas, &categories, id);
        v.finish()?;
        let quota_key: Vec<(String, u32)> = input
            .quotas
            .iter()
            .map(|q| (q.category_code.trim().to_uppercase(), q.quota))
            .collect();
        let fingerprint = self.vault.fingerprint(
            &serde_json::to_vec(&(event.id, &country, &name, &quota_key))
                .map_err(AppError::internal)?,
        );
        let delegation = Delegation {
            id,
            event_id: event.id,
            country,
            name,
            head_participant_id: None,
            created_at: crate::domain::now(),
        };
        let id = conn
            .transaction::<_, AppError, _>(async move |conn| {
                let request_id = &request_id;
                {
                    match db::idempotency::claim(
                        conn,
                        "delegation.create",
                        request_id,
                        &fingerprint,
                        delegation.id,
                    )
                    .await?
                    {
                        Claim::Fresh => {}
                        Claim::Seen {
                            fingerprint: f,
                            resource_id,
                        } => {
                            return if f == fingerprint {
                                Ok(resource_id)
                            } else {
                                Err(reused_key())
                            };
                        }
                    }
                    if db::registry::insert_delegation(conn, &delegation, &quotas)
                        .await?
                        .is_none()
                    {
                        return Err(AppError::already_exists(
                            "DELEGATION_EXISTS",
                            "the event has a delegation with this name",
                        ));
                    }
                    db::audit::record(
                        conn,
                        &entry(
                            actor,
                            "delegation.create",
                            "delegation",
                            delegation.id,
                            request_id,
                        ),
                    )
                    .await?;
                    Ok(delegation.id)
                }
            })
            .await?;
        self.one_delegation_view(&mut conn, id).await
    }

    pub async fn get_delegation(
        &self,
        caller: &Principal,
        id: &str,
    ) -> AppResult<(DelegationView, Vec<ParticipantView>)> {
        let mut v = Validator::new();
        let id = v.id("id", id).unwrap_or_default();
        v.finish()?;
        let mut conn = self.db.get().await?;
        let view = self.one_delegation_view(&mut conn, id).await?;
        let members = db::participants::members_of(&mut conn, id)
            .await?
            .into_iter()
            .map(|r| self.view(caller, r))
            .collect::<AppResult<Vec<_>>>()?;
        Ok((view, members))
    }

    pub async fn list_delegations(&self, event_id: &str) -> AppResult<Vec<DelegationView>> {
        let mut conn = self.db.get().await?;
        let event = self.existing_event(&mut conn, "event_id", event_id).await?;
        let delegations = db::registry::list_delegations(&mut conn, event.id).await?;
        self.delegation_views(&mut conn, delegations).await
    }

    pub async fn update_delegation(
        &self,
        actor: &Principal,
        changes: DelegationChanges,
    ) -> AppResult<DelegationView> {
        let mut v = Validator::new();
        let id = v.id("id", &changes.id).unwrap_or_default();
        let name = changes
            .name
            .as_deref()
            .map(|n| v.text("name", n, 200, false));
        let head = changes
            .head_participant_id
            .as_deref()
            .map(|h| v.optional_id("head_participant_id", h));
        v.finish()?;
        let mut conn = self.db.get().await?;
        conn.transaction::<_, AppError, _>(async move |conn| {
            {
                let Some(delegation) = db::registry::lock_delegations(conn, &[id]).await?.pop() else {
                    return Err(AppError::not_found("DELEGATION_NOT_FOUND", format!("no delegation {id}")));
                };
                if let Some(name) = &name {
                    let taken = db::registry::list_delegations(conn, delegation.event_id)
                        .await?
                        .into_iter()
                        .any(|d| d.id != id && &d.name == name);
                    if taken {
                        return Err(AppError::already_exists("DELEGATION_EXISTS", "the event has a delegation with this name"));
                    }
                    db::registry::set_delegation_name(conn, id, name).await?;
                }
                if let Some(head) = head {
                    if let Some(head_id) = head {
                        let member = db::participants::find(conn, head_id).await?;
                        let ok = member.is_some_and(|(p, _, _)| p.delegation_id == Some(id) && p.status == STATUS_ACTIVE);
                        if !ok {
                            return Err(AppError::precondition("HEAD_NOT_MEMBER", "the head must be an active member of the delegation"));
                        }
                    }
                    db::registry::set_delegation_head(conn, id, head).await?;
                }
                if let Some(quotas) = &changes.quotas {
                    let categories = self.category_codes(conn, delegation.event_id).await?;
                    let mut v = Validator::new();
                    let rows = self.check_quotas(&mut v, quotas, &categories, id);
                    v.finish()?;
                    let usage = db::registry::usage_of(conn, &[id]).await?;
                    for (_, category_id, used) in usage {
                        let quota = rows.iter().find(|q| q.category_id == category_id).map_or(0, |q| i64::from(q.quota));
                        if used > quota {
                            let code = categories.iter().find(|(_, c)| **c == category_id).map(|(k, _)| k.as_str()).unwrap_or("?");
                            return Err(AppError::precondition(
                                "QUOTA_BELOW_USAGE",
                                format!("{used} members of category {code} are registered: the quota cannot be {quota}"),
                            ));
                        }
                    }
                    db::registry::replace_quotas(conn, id, &rows).await?;
                }
                db::audit::record(conn, &entry(actor, "delegation.update", "delegation", id, "")).await?;
                Ok(())
            }
        })
        .await?;
        self.one_delegation_view(&mut conn, id).await
    }

    pub async fn create_organization(
        &self,
        actor: &Principal,
        request_id: &str,
        input: OrganizationInput,
    ) -> AppResult<Organization> {
        let mut v = Validator::new();
        let request_id = v.request_id("request_id", request_id);
        let event_uuid = v.id("event_id", &input.event_id);
        let name = v.text("name", &input.name, 200, false);
        let country = v.country("country", &input.country);
        let kind = if input.kind.is_empty() {
            "company".to_owned()
        } else {
            input.kind.to_lowercase()
        };
        if !ORGANIZATION_KINDS.contains(&kind.as_str()) {
            v.violation("kind", "must be company, government, media or other");
        }
        v.finish()?;
        let mut conn = self.db.get().await?;
        let event = self
            .event(&mut conn, event_uuid.unwrap_or_default())
            .await?;
        let fingerprint = self.vault.fingerprint(
            &serde_json::to_vec(&(event.id, &name, &country, &kind)).map_err(AppError::internal)?,
        );
        let org = Organization {
            id: OrganizationId::generate().0,
            event_id: event.id,
            name_key: search_key::sort_key(&name),
            name,
            country,
            kind,
            created_at: crate::domain::now(),
        };
        let id = conn
            .transaction::<_, AppError, _>(async move |conn| {
                let request_id = &request_id;
                {
                    match db::idempotency::claim(
                        conn,
                        "organization.create",
                        request_id,
                        &fingerprint,
                        org.id,
                    )
                    .await?
                    {
                        Claim::Fresh => {}
                        Claim::Seen {
                            fingerprint: f,
                            resource_id,
                        } => {
                            return if f == fingerprint {
                                Ok(resource_id)
                            } else {
                                Err(reused_key())
                            };
                        }
                    }
                    if db::registry::insert_organization(conn, &org)
                        .await?
                        .is_none()
                    {
                        let existing = db::registry::find_organization_by_key(
                            conn,
                            org.event_id,
                            &org.name_key,
                        )
                        .await?;
                        let mut err = AppError::already_exists(
                            "ORGANIZATION_EXISTS",
                            "the event has an organisation with this name",
                        );
                        if let Some(e) = existing {
                            err = err.with_metadata("organization_id", e.id.to_string());
                        }
                        return Err(err);
                    }
                    db::audit::record(
                        conn,
                        &entry(
                            actor,
                            "organization.create",
                            "organization",
                            org.id,
                            request_id,
                        ),
                    )
                    .await?;
                    Ok(org.id)
                }
            })
            .await?;
        db::registry::find_organization(&mut conn, id)
            .await?
            .ok_or_else(|| AppError::internal(anyhow::anyhow!("organisation {id} vanished")))
    }

    pub async fn list_organizations(
        &self,
        event_id: &str,
        name_prefix: &str,
        page_size: u32,
        page_token: &str,
    ) -> AppResult<(Vec<Organization>, String)> {
        let mut conn = self.db.get().await?;
        let event = self.existing_event(&mut conn, "event_id", event_id).await?;
        let mut v = Validator::new();
        let page_size = match page_size {
            0 => 100,
            n if n > 1000 => {
                v.violation("page_size", "must be at most 1000");
                1000
            }
            n => n,
        };
        let after: Option<(String, Uuid)> = parse_page_token(&mut v, page_token);
        v.finish()?;
        let pattern = search_key::prefix_pattern(name_prefix);
        let mut orgs = db::registry::list_organizations(
            &mut conn,
            event.id,
            pattern.as_deref(),
            after.as_ref().map(|(k, id)| (k.as_str(), *id)),
            i64::from(page_size) + 1,
        )
        .await?;
        let size = usize::try_from(page_size).unwrap_or(100);
        let next = if orgs.len() > size {
            orgs.truncate(size);
            orgs.last()
                .map(|o| encode_page_token(&(&o.name_key, o.id)))
                .unwrap_or_default()
        } else {
            String::new()
        };
        Ok((orgs, next))
    }
}
