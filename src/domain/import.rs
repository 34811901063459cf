//! Imports: a roster streamed in by a delegation or an organiser, stored
//! in one transaction, once per request id.
//!
//! The handler feeds rows in batches through a channel while the client is
//! still sending, and says `End` when the stream ended cleanly. The import
//! claims its request id first (a concurrent call with the same id waits
//! for this one to end), stores each batch, and at the end writes the
//! fingerprint of every row and the per-row results beside the claim. A
//! stream that breaks off (client gone, server stopping, a refused
//! message) never says `End`: the transaction rolls back and nothing of
//! the call is stored. A retry with the same id then either finds nothing
//! and imports, or finds the stored results and, when its rows are the
//! same, answers them without writing anything.
//!
//! Rows with an `external_ref` already registered in the event update that
//! participant instead of adding another: a corrected roster is imported
//! again as it is.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use tokio::sync::mpsc;
use uuid::Uuid;

use super::{
    Principal, Services,
    ids::{CategoryId, DelegationId, EventId, ParticipantId},
    records::{audit_row, reused_key},
    registration::{
        ParticipantFields, ParticipantInput, Prepared, Seats, delegation_seats, duplicate,
    },
    validate::Validator,
};
use crate::{
    db::{
        self, Conn,
        idempotency::Claim,
        models::{Participant, ParticipantStatus},
    },
    error::{AppError, AppResult, ErrorKind, FieldViolation, Reason},
};

/// The idempotency scope of imports.
const SCOPE: &str = "participant.import";

/// One row of an import.
#[derive(Debug, Clone)]
pub struct ImportRow {
    pub index: u32,
    pub row_ref: String,
    /// As sent: the import's fingerprint is taken of it.
    pub input: ParticipantInput,
    /// The row's fields as the edge parsed them, or why it refused the row
    /// (a field broke its rules, the message was malformed or named another
    /// event).
    pub fields: Result<ParticipantFields, RowError>,
}

/// What the handler feeds an import.
#[derive(Debug)]
pub enum ImportMessage {
    Rows(Vec<ImportRow>),
    /// The stream ended cleanly: the import may be stored.
    End,
}

/// Why one imported row was refused.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RowError {
    pub reason: String,
    pub message: String,
    pub violations: Vec<FieldViolation>,
    /// The violations name fields of the row's participant (the domain's
    /// findings), rather than of the request message (the edge's): the
    /// edge puts them under the participant's path. Replies stored before
    /// it existed hold full paths.
    #[serde(default)]
    pub of_participant: bool,
}

impl RowError {
    /// What a row's fields are once an import has taken them.
    fn taken() -> Self {
        RowError {
            reason: String::new(),
            message: String::new(),
            violations: Vec::new(),
            of_participant: false,
        }
    }
}

impl From<AppError> for RowError {
    fn from(e: AppError) -> Self {
        if e.kind == ErrorKind::Internal {
            tracing::error!(error = ?e.source, "import row failed");
        }
        Self {
            reason: e.reason.as_str().to_owned(),
            message: e.message,
            of_participant: !e.violations.is_empty(),
            violations: e.violations,
        }
    }
}

/// The outcome of one imported row.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RowOutcome {
    pub index: u32,
    pub row_ref: String,
    pub result: Result<ParticipantId, RowError>,
    /// The row's `external_ref` named a participant already registered.
    pub updated: bool,
}

impl Services {
    /// Imports the rows `rows` brings for `event_id`, once per
    /// `request_id`; returns one outcome per row, in row order.
    pub async fn import_participants(
        &self,
        actor: &Principal,
        event_id: EventId,
        request_id: &str,
        mut rows: mpsc::Receiver<ImportMessage>,
    ) -> AppResult<Vec<RowOutcome>> {
        actor.require_event(event_id)?;
        let mut v = Validator::new();
        let request_id = v.request_id("request_id", request_id);
        v.finish()?;
        let mut conn = self.db.get().await?;
        let event = self.event(&mut conn, event_id).await?;
        let import_id = Uuid::now_v7();
        let request_id = request_id.as_str();
        let rows = &mut rows;
        let (outcomes, fresh) =
            crate::domain::transaction(&mut conn, async move |conn| match db::idempotency::claim(
                conn,
                SCOPE,
                request_id,
                &[],
                import_id,
            )
            .await?
            {
                Claim::Seen {
                    fingerprint,
                    resource_id,
                } => {
                    let again = self.fingerprint_of(rows).await?;
                    if again != fingerprint {
                        return Err(reused_key());
                    }
                    let reply = db::imports::reply(conn, resource_id)
                        .await?
                        .ok_or_else(|| {
                            AppError::internal(anyhow::anyhow!("import {resource_id} has no reply"))
                        })?;
                    Ok((decode_reply(&reply)?, false))
                }
                Claim::Fresh => {
                    let mut outcomes: Vec<RowOutcome> = Vec::new();
                    let mut refs: HashSet<String> = HashSet::new();
                    let mut hasher = Sha256::new();
                    loop {
                        match rows.recv().await {
                            Some(ImportMessage::Rows(mut batch)) => {
                                hash_rows(&mut hasher, &batch);
                                let decided = self
                                    .import_batch(
                                        conn, actor, event.id, request_id, &mut batch, &mut refs,
                                    )
                                    .await?;
                                outcomes.extend(batch.into_iter().zip(decided).map(
                                    |(row, (result, updated))| RowOutcome {
                                        index: row.index,
                                        row_ref: row.row_ref,
                                        result,
                                        updated,
                                    },
                                ));
                            }
                            Some(ImportMessage::End) => break,
                            None => return Err(cut()),
                        }
                    }
                    let fingerprint = self.vault.fingerprint(&hasher.finalize());
                    db::idempotency::set_fingerprint(conn, SCOPE, request_id, &fingerprint).await?;
                    let count = i32::try_from(outcomes.len()).unwrap_or(i32::MAX);
                    db::imports::insert_reply(
                        conn,
                        import_id,
                        event.id,
                        count,
                        &encode_reply(&outcomes)?,
                    )
                    .await?;
                    Ok((outcomes, true))
                }
            })
            .await?;
        if fresh {
            let (mut created, mut updated, mut rejected) = (0, 0, 0);
            for outcome in &outcomes {
                match (&outcome.result, outcome.updated) {
                    (Err(_), _) => rejected += 1,
                    (Ok(_), true) => updated += 1,
                    (Ok(_), false) => created += 1,
                }
            }
            crate::meter::imported(&event.code, created, updated, rejected);
        }
        Ok(outcomes)
    }

    /// Reads every row of a repeated import and gives its fingerprint.
    async fn fingerprint_of(&self, rows: &mut mpsc::Receiver<ImportMessage>) -> AppResult<Vec<u8>> {
        let mut hasher = Sha256::new();
        loop {
            match rows.recv().await {
                Some(ImportMessage::Rows(batch)) => hash_rows(&mut hasher, &batch),
                Some(ImportMessage::End) => return Ok(self.vault.fingerprint(&hasher.finalize())),
                None => return Err(cut()),
            }
        }
    }

    /// Decides and stores one batch inside the import's transaction:
    /// updates first (rows whose `external_ref` is registered), then the
    /// new participants.
    async fn import_batch(
        &self,
        conn: &mut Conn,
        actor: &Principal,
        event_id: EventId,
        request_id: &str,
        rows: &mut [ImportRow],
        refs: &mut HashSet<String>,
    ) -> AppResult<Vec<(Result<ParticipantId, RowError>, bool)>> {
        let mut outcomes: Vec<Option<(Result<ParticipantId, RowError>, bool)>> =
            vec![None; rows.len()];
        let mut checked_rows: Vec<(usize, ParticipantFields)> = Vec::with_capacity(rows.len());
        for (i, row) in rows.iter_mut().enumerate() {
            // The fields are taken, not copied: the row keeps its input and
            // reference for the answer.
            let taken = std::mem::replace(&mut row.fields, Err(RowError::taken()));
            let checked = match taken {
                Ok(fields) => fields,
                Err(refused) => {
                    outcomes[i] = Some((Err(refused), false));
                    continue;
                }
            };
            if !checked.external_ref.is_empty() && !refs.insert(checked.external_ref.clone()) {
                let e = AppError::new(
                    ErrorKind::InvalidArgument,
                    Reason::DuplicateExternalRef,
                    "another row of this import has the same external_ref",
                );
                outcomes[i] = Some((Err(e.into()), false));
                continue;
            }
            checked_rows.push((i, checked));
        }
        // Rows naming a registered participant by its reference.
        let wanted: Vec<String> = checked_rows
            .iter()
            .map(|(_, c)| c.external_ref.clone())
            .filter(|r| !r.is_empty())
            .collect();
        let registered: HashMap<String, Participant> = if wanted.is_empty() {
            HashMap::new()
        } else {
            db::participants::lock_by_external_refs(conn, event_id, &wanted)
                .await?
                .into_iter()
                .map(|p| (p.external_ref.clone(), p))
                .collect()
        };
        let mut ready: Vec<(usize, Prepared, String)> = Vec::with_capacity(checked_rows.len());
        for (i, checked) in checked_rows {
            let code = checked.category_code.clone();
            let current = registered.get(&checked.external_ref);
            let base = current.map(|c| (&c.answers, true));
            match self.prepare(conn, event_id, checked, base).await {
                Ok((p, _)) => match current {
                    Some(current) => {
                        let result = self
                            .update_from_row(conn, actor, request_id, current, p, &code)
                            .await;
                        match result {
                            Err(e) if e.kind == ErrorKind::Internal => return Err(e),
                            r => outcomes[i] = Some((r.map_err(RowError::from), true)),
                        }
                    }
                    None => ready.push((i, p, code)),
                },
                Err(e) if e.kind == ErrorKind::Internal => return Err(e),
                Err(e) => outcomes[i] = Some((Err(e.into()), current.is_some())),
            }
        }
        // Duplicates within the batch: the first row wins.
        let mut seen_email: HashMap<String, ParticipantId> = HashMap::new();
        let mut seen_doc: HashMap<Vec<u8>, ParticipantId> = HashMap::new();
        ready.retain(|(i, p, _)| {
            let clash = (!p.email_lower.is_empty())
                .then(|| seen_email.get(&p.email_lower).copied())
                .flatten()
                .or_else(|| {
                    p.row
                        .document_hash
                        .as_ref()
                        .and_then(|h| seen_doc.get(h).copied())
                });
            if let Some(first) = clash {
                outcomes[*i] = Some((Err(duplicate(first).into()), false));
                return false;
            }
            if !p.email_lower.is_empty() {
                seen_email.insert(p.email_lower.clone(), p.row.id);
            }
            if let Some(h) = &p.row.document_hash {
                seen_doc.insert(h.clone(), p.row.id);
            }
            true
        });
        for (i, result) in insert_batch(conn, actor, event_id, request_id, ready).await? {
            outcomes[i] = Some((result, false));
        }
        Ok(outcomes
            .into_iter()
            .map(|o| {
                o.unwrap_or_else(|| {
                    (
                        Err(RowError {
                            reason: "INTERNAL".to_owned(),
                            message: "row not processed".to_owned(),
                            violations: Vec::new(),
                            of_participant: false,
                        }),
                        false,
                    )
                })
            })
            .collect())
    }

    /// Applies a row to the participant its `external_ref` names: the
    /// row's fields replace the stored ones (a row without a travel
    /// document keeps the one on file). Runs in a savepoint, so that a
    /// clash with another participant refuses this row alone.
    async fn update_from_row(
        &self,
        conn: &mut Conn,
        actor: &Principal,
        request_id: &str,
        current: &Participant,
        prepared: Prepared,
        category_code: &str,
    ) -> AppResult<ParticipantId> {
        if current.status == ParticipantStatus::Cancelled {
            return Err(AppError::precondition(
                Reason::ParticipantCancelled,
                "the participant with this external_ref is cancelled: an import does not change it",
            ));
        }
        let mut row = prepared.row;
        row.id = current.id;
        row.created_at = current.created_at;
        row.status = current.status;
        row.cancel_reason = current.cancel_reason.clone();
        if row.document_hash.is_none() {
            row.document_cipher = current.document_cipher.clone();
            row.document_hash = current.document_hash.clone();
        }
        row.version = current.version;
        row.updated_at = current.updated_at;
        if same_record(&row, current) {
            return Ok(current.id);
        }
        row.version = current.version + 1;
        row.updated_at = crate::domain::now();
        let moved =
            row.delegation_id != current.delegation_id || row.category_id != current.category_id;
        if let (Some(delegation_id), true) = (row.delegation_id, moved) {
            delegation_seats(conn, delegation_id, row.category_id)
                .await?
                .take(category_code)?;
        }
        let emails: Vec<String> = [prepared.email_lower]
            .into_iter()
            .filter(|e| !e.is_empty())
            .collect();
        let hashes: Vec<Vec<u8>> = row.document_hash.iter().cloned().collect();
        if let Some((other, _, _)) =
            db::participants::find_active_duplicates(conn, row.event_id, &emails, &hashes)
                .await?
                .into_iter()
                .find(|d| d.0 != row.id)
        {
            return Err(duplicate(other));
        }
        let row = &row;
        crate::domain::transaction(&mut *conn, async move |conn| {
            db::participants::update(conn, row).await?;
            db::audit::record(
                conn,
                &audit_row(
                    actor,
                    "participant.import_update",
                    "participant",
                    row.id,
                    request_id,
                ),
            )
            .await?;
            Ok(())
        })
        .await?;
        Ok(row.id)
    }
}

/// Whether two rows of one participant hold the same record (ids, times
/// and version aside).
fn same_record(a: &Participant, b: &Participant) -> bool {
    a.given_name == b.given_name
        && a.family_name == b.family_name
        && a.native_name == b.native_name
        && a.organization_id == b.organization_id
        && a.country == b.country
        && a.job_title == b.job_title
        && a.category_id == b.category_id
        && a.delegation_id == b.delegation_id
        && a.email == b.email
        && a.phone == b.phone
        && a.document_hash == b.document_hash
        && a.answers == b.answers
}

/// The error of an import whose stream broke off before its end.
fn cut() -> AppError {
    AppError::new(
        ErrorKind::Aborted,
        Reason::ImportIncomplete,
        "the import's stream ended before its last row: nothing was stored",
    )
}

/// Adds rows to an import's fingerprint: everything a row says, in order.
fn hash_rows(hasher: &mut Sha256, rows: &[ImportRow]) {
    for row in rows {
        let refused = row
            .fields
            .as_ref()
            .err()
            .map(|r| (&r.reason, &r.violations));
        if let Ok(bytes) = serde_json::to_vec(&(row.index, &row.row_ref, &row.input, refused)) {
            hasher.update(&bytes);
            hasher.update(b"\n");
        }
    }
}

/// The stored form of an import's results: deflated JSON.
fn encode_reply(outcomes: &[RowOutcome]) -> AppResult<Vec<u8>> {
    use std::io::Write as _;
    let json = serde_json::to_vec(outcomes).map_err(AppError::internal)?;
    let mut encoder = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(&json).map_err(AppError::internal)?;
    encoder.finish().map_err(AppError::internal)
}

fn decode_reply(bytes: &[u8]) -> AppResult<Vec<RowOutcome>> {
    let decoder = flate2::read::DeflateDecoder::new(bytes);
    serde_json::from_reader(decoder).map_err(AppError::internal)
}

/// Stores one import batch inside the caller's transaction and decides
/// each row. Rows are inserted first and the unique indexes refuse
/// duplicates of stored participants, so a clean batch costs no lookup;
/// only refused rows are looked up, to name the participant they clash
/// with. Delegation quotas are then counted in row order over the rows
/// actually stored (a duplicate takes no place), and rows over a quota are
/// removed again before anything refers to them.
async fn insert_batch(
    conn: &mut Conn,
    actor: &Principal,
    event_id: EventId,
    request_id: &str,
    ready: Vec<(usize, Prepared, String)>,
) -> AppResult<Vec<(usize, Result<ParticipantId, RowError>)>> {
    let mut delegation_ids: Vec<DelegationId> = ready
        .iter()
        .filter_map(|(_, p, _)| p.row.delegation_id)
        .collect();
    delegation_ids.sort();
    delegation_ids.dedup();
    let mut seats: HashMap<(DelegationId, CategoryId), Seats> = HashMap::new();
    if !delegation_ids.is_empty() {
        db::registry::lock_delegations(conn, &delegation_ids).await?;
        for q in db::registry::quotas_of(conn, &delegation_ids).await? {
            seats.insert(
                (q.delegation_id, q.category_id),
                Seats {
                    quota: i64::from(q.quota),
                    taken: 0,
                },
            );
        }
        for (d, c, n) in db::registry::usage_of(conn, &delegation_ids).await? {
            seats
                .entry((d, c))
                .or_insert(Seats { quota: 0, taken: 0 })
                .taken = n;
        }
    }
    let rows: Vec<&Participant> = ready.iter().map(|(_, p, _)| &p.row).collect();
    let inserted: HashSet<ParticipantId> = db::participants::insert_many(conn, &rows)
        .await?
        .into_iter()
        .collect();

    let mut decided: Vec<(usize, Result<ParticipantId, RowError>)> = Vec::new();
    let mut refused: Vec<(usize, &Prepared)> = Vec::new();
    let mut over_quota: Vec<ParticipantId> = Vec::new();
    let mut stored: Vec<&Prepared> = Vec::new();
    for (i, p, code) in &ready {
        if !inserted.contains(&p.row.id) {
            refused.push((*i, p));
            continue;
        }
        if let Some(d) = p.row.delegation_id {
            let held = seats
                .entry((d, p.row.category_id))
                .or_insert(Seats { quota: 0, taken: 0 });
            if let Err(full) = held.take(code) {
                over_quota.push(p.row.id);
                decided.push((*i, Err(full.into())));
                continue;
            }
        }
        stored.push(p);
        decided.push((*i, Ok(p.row.id)));
    }
    db::participants::delete_unreferenced(conn, &over_quota).await?;

    if !refused.is_empty() {
        let emails: Vec<String> = refused
            .iter()
            .map(|(_, p)| p.email_lower.clone())
            .filter(|e| !e.is_empty())
            .collect();
        let hashes: Vec<Vec<u8>> = refused
            .iter()
            .filter_map(|(_, p)| p.row.document_hash.clone())
            .collect();
        let existing =
            db::participants::find_active_duplicates(conn, event_id, &emails, &hashes).await?;
        let by_email: HashMap<&str, ParticipantId> = existing
            .iter()
            .map(|(id, e, _)| (e.as_str(), *id))
            .collect();
        let by_doc: HashMap<&[u8], ParticipantId> = existing
            .iter()
            .filter_map(|(id, _, h)| h.as_deref().map(|h| (h, *id)))
            .collect();
        for (i, p) in refused {
            let other = by_email
                .get(p.email_lower.as_str())
                .filter(|_| !p.email_lower.is_empty())
                .or_else(|| p.row.document_hash.as_deref().and_then(|h| by_doc.get(h)));
            let error = match other {
                Some(other) => duplicate(*other),
                // The clashing participant was cancelled or changed since.
                None => AppError::already_exists(
                    Reason::DuplicateParticipant,
                    "another participant with this email or travel document was registered meanwhile",
                ),
            };
            decided.push((i, Err(error.into())));
        }
    }

    let audits: Vec<_> = stored
        .iter()
        .map(|p| {
            audit_row(
                actor,
                "participant.import",
                "participant",
                p.row.id,
                request_id,
            )
        })
        .collect();
    db::audit::record_many(conn, &audits).await?;
    Ok(decided)
}
