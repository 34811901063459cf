//! Registering, reading, changing and cancelling one participant.

use std::collections::BTreeMap;

use serde::Serialize;
use uuid::Uuid;

use super::{ParticipantFields, Prepared, delegation_seats, duplicate, duplicate_unnamed};
use crate::words::Violation;
use crate::{
    db::{
        self, Conn,
        models::{Participant, ParticipantStatus},
        participants::{ParticipantRow, RegisterOutcome},
    },
    domain::{
        Principal, Role, Services,
        fields::answers::{Asked, Given},
        records::{audit_row, replay_of, reused_key},
        search_key,
        secrets::mask_document,
        validate::Validator,
    },
    error::{AppError, AppResult, ErrorKind, Reason},
    ids::{DelegationId, EventId, OrganizationId, ParticipantId},
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
    /// Custom answers; left out of the fingerprint when none.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub answers: BTreeMap<String, Given>,
}

/// A participant as callers see it.
#[derive(Debug, Clone)]
pub struct ParticipantView {
    pub row: Participant,
    pub category_code: String,
    pub organization_name: Option<String>,
    /// The masked travel document; only for admins.
    pub document_masked: Option<String>,
    /// Badge state and photo, for the answers that list them to the desk.
    pub desk: Option<super::DeskFacts>,
    /// The custom answers the caller may read.
    pub answers: crate::domain::fields::Answers,
}

/// Partial change of a participant, parsed: `None` leaves a field as it
/// is; every value given is checked.
#[derive(Debug, Clone)]
pub struct ParticipantChanges {
    pub id: ParticipantId,
    pub expected_version: i64,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub native_name: Option<String>,
    /// `Some(None)` takes the organisation off.
    pub organization_id: Option<Option<OrganizationId>>,
    pub country: Option<String>,
    pub job_title: Option<String>,
    pub category_code: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// Normalised; `Some("")` takes the document off.
    pub travel_document: Option<String>,
    /// Answers to set (or, empty, to take off); the others stay.
    pub answers: BTreeMap<String, Given>,
}

/// A reference of an event resolved to its id (and, for organisations, its
/// name), cached: references never move between events.
#[derive(Debug, Clone)]
struct Owner {
    event_id: EventId,
    name: String,
}

/// A registration, parsed: what `register_participant` takes.
pub struct Registration {
    pub request_id: String,
    pub event_id: EventId,
    /// As sent: the request's fingerprint is taken of it.
    pub input: ParticipantInput,
    pub fields: ParticipantFields,
}

impl Services {
    async fn organization_owner(
        &self,
        conn: &mut Conn,
        id: OrganizationId,
    ) -> AppResult<Option<Owner>> {
        if let Some(owner) = self.cache_owner(id.into()) {
            return Ok(Some(owner));
        }
        let found = db::registry::find_organization(conn, id).await?;
        Ok(found.map(|org| self.remember_owner(id.into(), org.event_id, org.name)))
    }

    async fn delegation_owner(
        &self,
        conn: &mut Conn,
        id: DelegationId,
    ) -> AppResult<Option<Owner>> {
        if let Some(owner) = self.cache_owner(id.into()) {
            return Ok(Some(owner));
        }
        let found = db::registry::find_delegation(conn, id).await?;
        Ok(found.map(|d| self.remember_owner(id.into(), d.event_id, String::new())))
    }

    fn cache_owner(&self, id: Uuid) -> Option<Owner> {
        let owners = self.cache.owners.read().ok()?;
        owners.get(&id).map(|(event_id, name)| Owner {
            event_id: *event_id,
            name: name.clone(),
        })
    }

    fn remember_owner(&self, id: Uuid, event_id: EventId, name: String) -> Owner {
        if let Ok(mut owners) = self.cache.owners.write() {
            owners.insert(id, (event_id, name.clone()));
        }
        Owner { event_id, name }
    }

    /// Resolves the references of parsed fields, checks the answers (over
    /// `base`: the answers stored now and whether required ones are
    /// checked; none for a new participant) and builds the row.
    pub(in crate::domain) async fn prepare(
        &self,
        conn: &mut Conn,
        event_id: EventId,
        checked: ParticipantFields,
        base: Option<(&serde_json::Value, bool)>,
    ) -> AppResult<(Prepared, Option<String>)> {
        let mut v = Validator::new();
        let category_id = self
            .category_id(conn, event_id, &checked.category_code)
            .await?;
        if category_id.is_none() {
            v.violation("category_code", Violation::UnknownCategory);
        }
        let mut organization_name = None;
        if let Some(id) = checked.organization_id {
            match self.organization_owner(conn, id).await? {
                None => {
                    return Err(AppError::not_found(
                        Reason::OrganizationNotFound,
                        format!("no organisation {id}"),
                    ));
                }
                Some(o) if o.event_id != event_id => {
                    v.violation("organization_id", Violation::OrganizationOfAnotherEvent);
                }
                Some(o) => organization_name = Some(o.name),
            }
        }
        if let Some(id) = checked.delegation_id {
            match self.delegation_owner(conn, id).await? {
                None => {
                    return Err(AppError::not_found(
                        Reason::DelegationNotFound,
                        format!("no delegation {id}"),
                    ));
                }
                Some(o) if o.event_id != event_id => {
                    v.violation("delegation_id", Violation::DelegationOfAnotherEvent);
                }
                Some(_) => {}
            }
        }
        let category_id = v.finish_with(category_id)?;
        let fields = self.event_fields(conn, event_id).await?;
        let empty = serde_json::Value::Object(serde_json::Map::new());
        let (stored, check_required) = base.unwrap_or((&empty, true));
        let (answers, answer_text) = if fields.is_empty() && checked.answers.is_empty() {
            (stored.clone(), String::new())
        } else {
            let asked = Asked {
                scope: crate::domain::fields::Scope::Participant,
                category: Some(&checked.category_code),
                check_required,
            };
            self.settle_answers(&fields, asked, stored, &checked.answers)?
        };
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
            id: ParticipantId::generate(),
            event_id,
            given_key: search_key::sort_key(&checked.given_name),
            family_key: search_key::sort_key(&checked.family_name),
            given_name: checked.given_name,
            family_name: checked.family_name,
            native_name: checked.native_name,
            organization_id: checked.organization_id,
            country: checked.country,
            job_title: checked.job_title,
            category_id,
            delegation_id: checked.delegation_id,
            email: checked.email,
            phone: checked.phone,
            document_cipher,
            document_hash,
            status: ParticipantStatus::Active,
            cancel_reason: String::new(),
            version: 1,
            created_at: now,
            updated_at: now,
            external_ref: checked.external_ref,
            answers,
            answer_text,
        };
        let email_lower = row.email.to_lowercase();
        Ok((Prepared { row, email_lower }, organization_name))
    }
}

/// What a registration transaction produced.
enum Registered {
    New,
    Replay(ParticipantId),
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
        let outcome =
            db::participants::register_one(conn, request_id, fingerprint, p, Some(actor.token_id))
                .await?;
        match outcome {
            RegisterOutcome::Inserted => Ok(Registered::New),
            RegisterOutcome::KeySeen => {
                match replay_of(conn, "participant.register", request_id, fingerprint).await? {
                    Some(first) => Ok(Registered::Replay(first)),
                    None => Err(reused_key()),
                }
            }
            RegisterOutcome::Duplicate => {
                // A concurrent call with the same key may have committed the
                // participant while this statement ran: that is a repeat.
                if let Some(first) =
                    replay_of(conn, "participant.register", request_id, fingerprint).await?
                {
                    return Ok(Registered::Replay(first));
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
                        Reason::DuplicateExternalRef,
                        format!("participant {} already has this external_ref", other.id),
                    )
                    .with_metadata("participant_id", other.id.to_string()));
                }
                Err(duplicate_unnamed())
            }
        }
    }
}

impl Services {
    /// Turns a stored row into what the caller may see.
    pub(super) fn view(
        &self,
        caller: &Principal,
        (row, category_code, organization_name): ParticipantRow,
    ) -> AppResult<ParticipantView> {
        let document_masked = match (&row.document_cipher, caller.role) {
            (Some(cipher), Role::Admin) => Some(mask_document(&self.vault.decrypt(cipher)?)),
            _ => None,
        };
        let answers = self.readable_answers(caller, &row.answers);
        Ok(ParticipantView {
            row,
            category_code,
            organization_name,
            document_masked,
            desk: None,
            answers,
        })
    }

    pub(super) async fn load_view(
        &self,
        conn: &mut Conn,
        caller: &Principal,
        id: ParticipantId,
    ) -> AppResult<ParticipantView> {
        let row = db::participants::find(conn, id).await?.ok_or_else(|| {
            AppError::not_found(Reason::ParticipantNotFound, format!("no participant {id}"))
        })?;
        caller.require_event(row.0.event_id)?;
        let mut view = [self.view(caller, row)?];
        self.with_desk_facts(conn, &mut view).await?;
        let [view] = view;
        Ok(view)
    }

    /// Registers one participant, idempotently per `request_id`.
    pub async fn register_participant(
        &self,
        actor: &Principal,
        registration: Registration,
    ) -> AppResult<ParticipantView> {
        let Registration {
            request_id,
            event_id,
            input,
            fields,
        } = registration;
        actor.require_event(event_id)?;
        let fingerprint = self
            .vault
            .fingerprint(&serde_json::to_vec(&(event_id, &input)).map_err(AppError::internal)?);
        let mut conn = self.db.get().await?;
        let event = self.event(&mut conn, event_id).await?;
        let category_code = fields.category_code.clone();
        let (prepared, organization_name) = self.prepare(&mut conn, event.id, fields, None).await?;
        let (request_id, fingerprint, code, ready) =
            (&request_id, &fingerprint, &category_code, &prepared);
        let outcome = match prepared.row.delegation_id {
            // Into a delegation: serialised on the delegation's row, so the
            // quota count is exact.
            Some(delegation_id) => {
                crate::domain::transaction(&mut conn, async move |conn| {
                    let mut seats =
                        delegation_seats(conn, delegation_id, ready.row.category_id).await?;
                    if let Err(full) = seats.take(code) {
                        // A retry of a registration that did get in still
                        // returns it.
                        return match replay_of(
                            conn,
                            "participant.register",
                            request_id,
                            fingerprint,
                        )
                        .await?
                        {
                            Some(first) => Ok(Registered::Replay(first)),
                            None => Err(full),
                        };
                    }
                    self.write_registration(conn, actor, request_id, fingerprint, ready)
                        .await
                })
                .await?
            }
            // One atomic statement, in an explicit transaction all the
            // same: an implicit one commits only at the protocol's Sync,
            // after the driver has already reported success, so a commit
            // that never completes (the primary stopped while waiting for
            // its synchronous standby) would be answered OK.
            None => {
                crate::domain::transaction(&mut conn, async move |conn| {
                    self.write_registration(conn, actor, request_id, fingerprint, ready)
                        .await
                })
                .await?
            }
        };
        match outcome {
            Registered::New => {
                crate::meter::registered(&event.code);
                let row = (prepared.row, category_code, organization_name);
                self.view(actor, row)
            }
            Registered::Replay(id) => self.load_view(&mut conn, actor, id).await,
        }
    }

    pub async fn get_participant(
        &self,
        caller: &Principal,
        id: ParticipantId,
    ) -> AppResult<ParticipantView> {
        let mut conn = self.db.get().await?;
        self.load_view(&mut conn, caller, id).await
    }

    /// Changes some fields, refusing a stale `expected_version`.
    pub async fn update_participant(
        &self,
        actor: &Principal,
        changes: ParticipantChanges,
    ) -> AppResult<ParticipantView> {
        let id = changes.id;
        let mut conn = self.db.get().await?;
        let id = crate::domain::transaction(&mut conn, async move |conn| {
            {
                let current = db::participants::lock(conn, id).await?.ok_or_else(|| {
                    AppError::not_found(Reason::ParticipantNotFound, format!("no participant {id}"))
                })?;
                actor.require_event(current.event_id)?;
                if current.version != changes.expected_version {
                    return Err(AppError::new(
                        ErrorKind::Aborted,
                        Reason::VersionConflict,
                        format!(
                            "the participant changed since version {} (now {}): read it again",
                            changes.expected_version, current.version
                        ),
                    )
                    .with_metadata("current_version", current.version.to_string()));
                }
                if current.status == ParticipantStatus::Cancelled {
                    return Err(AppError::precondition(
                        Reason::ParticipantCancelled,
                        "a cancelled participant cannot be changed",
                    ));
                }
                // The stored record, with the changes given (each checked
                // at the edge); references are resolved again.
                let document_changed = changes.travel_document.is_some();
                let old_category = db::events::list_categories(conn, current.event_id)
                    .await?
                    .into_iter()
                    .find(|c| c.id == current.category_id)
                    .map(|c| c.code)
                    .unwrap_or_default();
                let c = changes.clone();
                let merged = ParticipantFields {
                    given_name: c.given_name.unwrap_or_else(|| current.given_name.clone()),
                    family_name: c.family_name.unwrap_or_else(|| current.family_name.clone()),
                    native_name: c.native_name.unwrap_or_else(|| current.native_name.clone()),
                    organization_id: c.organization_id.unwrap_or(current.organization_id),
                    country: c.country.unwrap_or_else(|| current.country.clone()),
                    job_title: c.job_title.unwrap_or_else(|| current.job_title.clone()),
                    category_code: c.category_code.unwrap_or(old_category),
                    delegation_id: current.delegation_id,
                    email: c.email.unwrap_or_else(|| current.email.clone()),
                    phone: c.phone.unwrap_or_else(|| current.phone.clone()),
                    // Kept as stored when not given (below).
                    document: c.travel_document.unwrap_or_default(),
                    external_ref: current.external_ref.clone(),
                    answers: c.answers,
                };
                let category_code = merged.category_code.clone();
                // Required answers are asked for when the answers or the
                // category change, not on every edit of a name.
                let check_required = !merged.answers.is_empty() || changes.category_code.is_some();
                let base = Some((&current.answers, check_required));
                let (prepared, _) = self.prepare(conn, current.event_id, merged, base).await?;
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
                    delegation_seats(conn, delegation_id, row.category_id)
                        .await?
                        .take(&category_code)?;
                }
                let email_lower = row.email.to_lowercase();
                let emails: Vec<String> = [email_lower]
                    .into_iter()
                    .filter(|e| !e.is_empty())
                    .collect();
                let hashes: Vec<Vec<u8>> = row.document_hash.iter().cloned().collect();
                let clash =
                    db::participants::find_active_duplicates(conn, row.event_id, &emails, &hashes)
                        .await?
                        .into_iter()
                        .find(|d| d.0 != row.id);
                if let Some((other, _, _)) = clash {
                    return Err(duplicate(other));
                }
                db::participants::update(conn, &row).await?;
                db::audit::record(
                    conn,
                    &audit_row(actor, "participant.update", "participant", row.id, ""),
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
        id: ParticipantId,
        reason: String,
    ) -> AppResult<ParticipantView> {
        let mut conn = self.db.get().await?;
        crate::domain::transaction(&mut conn, async move |conn| {
            let mut row = db::participants::lock(conn, id).await?.ok_or_else(|| {
                AppError::not_found(Reason::ParticipantNotFound, format!("no participant {id}"))
            })?;
            actor.require_event(row.event_id)?;
            if row.status == ParticipantStatus::Cancelled {
                return Ok(());
            }
            row.status = ParticipantStatus::Cancelled;
            row.cancel_reason = reason;
            row.version += 1;
            row.updated_at = crate::domain::now();
            db::participants::update(conn, &row).await?;
            db::audit::record(
                conn,
                &audit_row(actor, "participant.cancel", "participant", row.id, ""),
            )
            .await?;
            crate::domain::badges::revoke_for_cancel(conn, actor, row.id).await?;
            Ok(())
        })
        .await?;
        self.load_view(&mut conn, actor, id).await
    }
}
