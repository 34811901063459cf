//! `expopass.v1.RegistrationService`.

use std::pin::Pin;

use tokio_stream::{Stream, StreamExt as _, wrappers::ReceiverStream};
use tonic::{Request, Response, Status, Streaming};

use super::{ApiState, convert, id_and_text, id_field, id_or_empty, timestamp};
use crate::{
    db::models::{Organization, OrganizationKind, ParticipantStatus},
    domain::{
        Role,
        export::{ExportFilterInput, ExportFormat, ExportInput, ExportPiece},
        import::{ImportMessage, ImportRow, RowError, RowOutcome},
        registration::{BadgeState, DelegationView, ParticipantView, SearchInput},
        validate::Validator,
    },
    error::{AppError, Reason, excerpt},
    ids::{DelegationId, EventId, ParticipantId},
    proto::{
        check::CheckInput as _,
        pb::{self, registration_service_server::RegistrationService},
    },
};
use crate::{error::FieldViolation, words::Violation};

type ExportStream =
    Pin<Box<dyn Stream<Item = Result<pb::ExportParticipantsResponse, Status>> + Send>>;

/// An export's request, checked field by field.
fn export_input(r: pb::ExportParticipantsRequest) -> Result<ExportInput, Status> {
    let mut v = Validator::new();
    let event_id = v.id("event_id", &r.event_id).map(EventId);
    let format = match pb::ExportFormat::try_from(r.format) {
        Ok(pb::ExportFormat::Unspecified | pb::ExportFormat::Csv) => ExportFormat::Csv,
        Ok(pb::ExportFormat::Xlsx) => ExportFormat::Xlsx,
        Err(_) => {
            v.violation("format", Violation::UnknownValue);
            ExportFormat::Csv
        }
    };
    let f = r.filter.unwrap_or_default();
    let status = match pb::ParticipantStatus::try_from(f.status) {
        Ok(pb::ParticipantStatus::Unspecified) => None,
        Ok(pb::ParticipantStatus::Active) => Some(ParticipantStatus::Active),
        Ok(pb::ParticipantStatus::Cancelled) => Some(ParticipantStatus::Cancelled),
        Err(_) => {
            v.violation("filter.status", Violation::UnknownValue);
            None
        }
    };
    let mut badge_states = Vec::new();
    for (i, state) in f.badge_states.iter().enumerate() {
        match pb::BadgeState::try_from(*state) {
            Ok(pb::BadgeState::Unspecified) => {}
            Ok(pb::BadgeState::None) => badge_states.push(BadgeState::None),
            Ok(pb::BadgeState::Valid) => badge_states.push(BadgeState::Valid),
            Ok(pb::BadgeState::Outdated) => badge_states.push(BadgeState::Outdated),
            Ok(pb::BadgeState::Revoked) => badge_states.push(BadgeState::Revoked),
            Ok(pb::BadgeState::Blocked) => badge_states.push(BadgeState::Blocked),
            Err(_) => v.violation(
                &format!("filter.badge_states[{i}]"),
                Violation::UnknownValue,
            ),
        }
    }
    let filter = ExportFilterInput {
        category_codes: f.category_codes,
        delegation_ids: f.delegation_ids,
        organization_ids: f.organization_ids,
        countries: f.countries,
        status,
        badge_states,
        entered: f.entered,
    };
    let event_id = v.finish_with(event_id)?;
    Ok(ExportInput {
        event_id,
        format,
        columns: r.columns,
        lang: crate::call::lang().unwrap_or(crate::words::Lang::En),
        filter,
    })
}

/// Implements `RegistrationService`; needs the desk or admin role.
#[derive(Clone)]
pub(crate) struct RegistrationApi {
    state: ApiState,
}

impl RegistrationApi {
    pub(crate) fn new(state: ApiState) -> Self {
        Self { state }
    }
}

const DESK: &[Role] = &[Role::Desk, Role::Admin];
/// Rows handed to the domain at once: one transaction, a few statements.
const IMPORT_BATCH: usize = 1_000;
/// Most rows one import call may carry.
const IMPORT_MAX_ROWS: usize = 100_000;

/// Stored answers as the wire carries them.
pub(super) fn answers_pb(
    answers: crate::domain::fields::Answers,
) -> std::collections::HashMap<String, pb::AnswerValue> {
    use pb::answer_value::Value as V;
    use serde_json::Value;
    answers
        .into_iter()
        .filter_map(|(key, a)| {
            let value = match a.x? {
                Value::String(s) => V::Text(s),
                Value::Number(n) => V::Integer(n.as_i64()?),
                Value::Bool(b) => V::Boolean(b),
                Value::Array(items) => V::Choices(pb::AnswerChoices {
                    keys: items
                        .into_iter()
                        .filter_map(|i| i.as_str().map(str::to_owned))
                        .collect(),
                }),
                _ => return None,
            };
            Some((
                key,
                pb::AnswerValue {
                    value: Some(value),
                    on_badge: a.b,
                },
            ))
        })
        .collect()
}

fn participant_pb(v: ParticipantView) -> pb::Participant {
    let answers = answers_pb(v.answers);
    let p = v.row;
    let status = if p.status == ParticipantStatus::Active {
        pb::ParticipantStatus::Active
    } else {
        pb::ParticipantStatus::Cancelled
    };
    pb::Participant {
        id: p.id.to_string(),
        event_id: p.event_id.to_string(),
        given_name: p.given_name,
        family_name: p.family_name,
        native_name: p.native_name,
        organization_id: id_or_empty(p.organization_id),
        organization_name: v.organization_name.unwrap_or_default(),
        country: p.country,
        job_title: p.job_title,
        category_code: v.category_code,
        delegation_id: id_or_empty(p.delegation_id),
        email: p.email,
        phone: p.phone,
        travel_document_masked: v.document_masked.unwrap_or_default(),
        has_travel_document: p.document_cipher.is_some(),
        status: status.into(),
        cancel_reason: p.cancel_reason,
        version: p.version,
        created_at: Some(timestamp(p.created_at)),
        updated_at: Some(timestamp(p.updated_at)),
        external_ref: p.external_ref,
        answers,
        badge_state: v
            .desk
            .map_or(pb::BadgeState::Unspecified, |d| match d.badge {
                BadgeState::None => pb::BadgeState::None,
                BadgeState::Valid => pb::BadgeState::Valid,
                BadgeState::Outdated => pb::BadgeState::Outdated,
                BadgeState::Revoked => pb::BadgeState::Revoked,
                BadgeState::Blocked => pb::BadgeState::Blocked,
            })
            .into(),
        has_photo: v.desk.is_some_and(|d| d.has_photo),
        badge_number: v
            .desk
            .and_then(|d| d.badge_number)
            .map(|(serial, version)| crate::domain::badges::badge_number(serial, version))
            .unwrap_or_default(),
    }
}

fn delegation_pb(v: DelegationView) -> pb::Delegation {
    let d = v.delegation;
    pb::Delegation {
        id: d.id.to_string(),
        event_id: d.event_id.to_string(),
        country: d.country,
        name: d.name,
        head_participant_id: id_or_empty(d.head_participant_id),
        quotas: v
            .quotas
            .into_iter()
            .map(|q| pb::DelegationQuota {
                category_code: q.category_code,
                quota: q.quota,
                used: q.used,
            })
            .collect(),
        member_count: v.member_count,
        created_at: Some(timestamp(d.created_at)),
        answers: answers_pb(
            crate::domain::fields::answers::from_json(&d.answers)
                .into_iter()
                .filter(|(_, a)| a.s.is_none())
                .collect(),
        ),
    }
}

fn organization_pb(o: Organization) -> pb::Organization {
    let kind = match o.kind {
        OrganizationKind::Company => pb::OrganizationKind::Company,
        OrganizationKind::Government => pb::OrganizationKind::Government,
        OrganizationKind::Media => pb::OrganizationKind::Media,
        OrganizationKind::Other => pb::OrganizationKind::Other,
    };
    pb::Organization {
        id: o.id.to_string(),
        event_id: o.event_id.to_string(),
        name: o.name,
        country: o.country,
        kind: kind.into(),
        created_at: Some(timestamp(o.created_at)),
        answers: answers_pb(
            crate::domain::fields::answers::from_json(&o.answers)
                .into_iter()
                .filter(|(_, a)| a.s.is_none())
                .collect(),
        ),
    }
}

fn row_result_pb(o: RowOutcome) -> pb::ImportRowResult {
    let mut r = pb::ImportRowResult {
        row_index: o.index,
        row_ref: o.row_ref,
        updated: o.updated,
        ..Default::default()
    };
    match o.result {
        Ok(id) => r.participant_id = id.to_string(),
        Err(e) => {
            r.error_reason = e.reason;
            r.error_message = e.message;
            // The domain names the fields of the row's participant.
            let prefix = if e.of_participant { "participant." } else { "" };
            r.field_errors = e
                .violations
                .into_iter()
                .map(|v| pb::FieldError {
                    localized_description: crate::call::lang()
                        .and_then(|l| v.in_lang(l))
                        .unwrap_or_default()
                        .to_owned(),
                    field: format!("{prefix}{}", v.field),
                    description: v.description,
                    reason: v.code,
                })
                .collect();
        }
    }
    r
}

#[tonic::async_trait]
impl RegistrationService for RegistrationApi {
    type ExportParticipantsStream = ExportStream;

    #[tracing::instrument(skip_all, fields(token_id))]
    async fn export_participants(
        &self,
        request: Request<pb::ExportParticipantsRequest>,
    ) -> Result<Response<Self::ExportParticipantsStream>, Status> {
        let actor = self.state.authorize(&request, DESK).await?;
        let input = export_input(request.into_inner())?;
        let export = self
            .state
            .services
            .export_participants(&actor, input)
            .await?;
        let started = pb::ExportParticipantsResponse {
            item: Some(pb::export_participants_response::Item::Started(
                pb::ExportStarted {
                    file_name: export.file_name,
                    content_type: export.content_type.to_owned(),
                    columns: export.columns.iter().map(|c| c.name().to_owned()).collect(),
                    withheld_columns: export
                        .withheld
                        .iter()
                        .map(|c| c.name().to_owned())
                        .collect(),
                    total_rows: export.total_rows,
                },
            )),
        };
        let pieces = ReceiverStream::new(export.pieces).map(|piece| {
            use pb::export_participants_response::Item;
            let item = match piece? {
                ExportPiece::Chunk(bytes) => Item::Chunk(bytes),
                ExportPiece::Progress(rows) => Item::RowsDone(rows),
            };
            Ok(pb::ExportParticipantsResponse { item: Some(item) })
        });
        let stream = tokio_stream::once(Ok(started)).chain(pieces);
        Ok(Response::new(Box::pin(stream)))
    }

    #[tracing::instrument(skip_all, fields(token_id))]
    async fn register_participant(
        &self,
        request: Request<pb::RegisterParticipantRequest>,
    ) -> Result<Response<pb::RegisterParticipantResponse>, Status> {
        let actor = self.state.authorize(&request, DESK).await?;
        let r = request.into_inner();
        let view = self
            .state
            .services
            .register_participant(&actor, convert::registration(r)?)
            .await
            .map_err(|e| e.within("participant."))?;
        Ok(Response::new(pb::RegisterParticipantResponse {
            participant: Some(participant_pb(view)),
        }))
    }

    #[tracing::instrument(skip_all, fields(token_id))]
    async fn get_participant(
        &self,
        request: Request<pb::GetParticipantRequest>,
    ) -> Result<Response<pb::GetParticipantResponse>, Status> {
        let actor = self.state.authorize(&request, DESK).await?;
        let view = self
            .state
            .services
            .get_participant(
                &actor,
                id_field("id", &request.into_inner().id, ParticipantId)?,
            )
            .await?;
        Ok(Response::new(pb::GetParticipantResponse {
            participant: Some(participant_pb(view)),
        }))
    }

    #[tracing::instrument(skip_all, fields(token_id))]
    async fn set_participant_photo(
        &self,
        request: Request<pb::SetParticipantPhotoRequest>,
    ) -> Result<Response<pb::SetParticipantPhotoResponse>, Status> {
        let actor = self.state.authorize(&request, DESK).await?;
        let r = request.into_inner();
        let id = id_field("participant_id", &r.participant_id, ParticipantId)?;
        let (view, width, height) = self.state.services.set_photo(&actor, id, r.image).await?;
        Ok(Response::new(pb::SetParticipantPhotoResponse {
            participant: Some(participant_pb(view)),
            width,
            height,
        }))
    }

    #[tracing::instrument(skip_all, fields(token_id))]
    async fn get_participant_photo(
        &self,
        request: Request<pb::GetParticipantPhotoRequest>,
    ) -> Result<Response<pb::GetParticipantPhotoResponse>, Status> {
        let actor = self.state.authorize(&request, DESK).await?;
        let r = request.into_inner();
        let id = id_field("participant_id", &r.participant_id, ParticipantId)?;
        let (jpeg, at) = self.state.services.get_photo(&actor, id).await?;
        Ok(Response::new(pb::GetParticipantPhotoResponse {
            jpeg,
            updated_at: Some(timestamp(at)),
        }))
    }

    #[tracing::instrument(skip_all, fields(token_id))]
    async fn remove_participant_photo(
        &self,
        request: Request<pb::RemoveParticipantPhotoRequest>,
    ) -> Result<Response<pb::RemoveParticipantPhotoResponse>, Status> {
        let actor = self.state.authorize(&request, DESK).await?;
        let r = request.into_inner();
        let id = id_field("participant_id", &r.participant_id, ParticipantId)?;
        let view = self.state.services.remove_photo(&actor, id).await?;
        Ok(Response::new(pb::RemoveParticipantPhotoResponse {
            participant: Some(participant_pb(view)),
        }))
    }

    #[tracing::instrument(skip_all, fields(token_id))]
    async fn update_participant(
        &self,
        request: Request<pb::UpdateParticipantRequest>,
    ) -> Result<Response<pb::UpdateParticipantResponse>, Status> {
        let actor = self.state.authorize(&request, DESK).await?;
        let r = request.into_inner();
        let changes = convert::participant_changes(r)?;
        let view = self
            .state
            .services
            .update_participant(&actor, changes)
            .await?;
        Ok(Response::new(pb::UpdateParticipantResponse {
            participant: Some(participant_pb(view)),
        }))
    }

    #[tracing::instrument(skip_all, fields(token_id))]
    async fn cancel_participant(
        &self,
        request: Request<pb::CancelParticipantRequest>,
    ) -> Result<Response<pb::CancelParticipantResponse>, Status> {
        let actor = self.state.authorize(&request, DESK).await?;
        let r = request.into_inner();
        let (id, reason) = id_and_text(("id", &r.id), ParticipantId, ("reason", &r.reason))?;
        let view = self
            .state
            .services
            .cancel_participant(&actor, id, reason)
            .await?;
        Ok(Response::new(pb::CancelParticipantResponse {
            participant: Some(participant_pb(view)),
        }))
    }

    #[tracing::instrument(skip_all, fields(token_id))]
    async fn search_participants(
        &self,
        request: Request<pb::SearchParticipantsRequest>,
    ) -> Result<Response<pb::SearchParticipantsResponse>, Status> {
        let actor = self.state.authorize(&request, DESK).await?;
        let r = request.into_inner();
        let active = match pb::ParticipantStatus::try_from(r.status) {
            Ok(pb::ParticipantStatus::Active) => Some(true),
            Ok(pb::ParticipantStatus::Cancelled) => Some(false),
            Ok(pb::ParticipantStatus::Unspecified) => None,
            Err(_) => return Err(AppError::invalid_field("status", Violation::UnknownValue).into()),
        };
        let input = SearchInput {
            event_id: id_field("event_id", &r.event_id, EventId)?,
            name_prefix: r.name_prefix,
            organization_id: r.organization_id,
            country: r.country,
            category_code: r.category_code,
            delegation_id: r.delegation_id,
            active,
            page_size: r.page_size,
            page_token: r.page_token,
        };
        let (views, next, total) = self
            .state
            .services
            .search_participants(&actor, input)
            .await?;
        Ok(Response::new(pb::SearchParticipantsResponse {
            participants: views.into_iter().map(participant_pb).collect(),
            next_page_token: next,
            total,
        }))
    }

    #[tracing::instrument(skip_all, fields(token_id, rows))]
    async fn import_participants(
        &self,
        request: Request<Streaming<pb::ImportParticipantsRequest>>,
    ) -> Result<Response<pb::ImportParticipantsResponse>, Status> {
        let actor = self.state.authorize(&request, DESK).await?;
        let mut stream = request.into_inner();
        // The first message names the event and the import's request id.
        let Some(first) = stream.message().await? else {
            return Err(
                AppError::invalid_field("event_id", Violation::FirstMessageNamesTheEvent).into(),
            );
        };
        let violations = first.violations();
        if !violations.is_empty() {
            return Err(AppError::invalid_fields(violations).into());
        }
        let event_id = match uuid::Uuid::parse_str(first.event_id.trim()).map(EventId) {
            Ok(id) => id,
            Err(_) if first.event_id.trim().is_empty() => {
                return Err(AppError::invalid_field(
                    "event_id",
                    Violation::FirstMessageNamesTheEvent,
                )
                .into());
            }
            Err(_) => return Err(AppError::invalid_field("event_id", Violation::NotAUuid).into()),
        };
        let request_id = first.request_id.clone();
        let import_id = request_id.clone();
        // Rows go to the import while later ones are still arriving; the
        // import is stored only if the stream ends cleanly.
        let (tx, rx) = tokio::sync::mpsc::channel::<ImportMessage>(2);
        let reader = async move {
            let mut batch: Vec<ImportRow> = Vec::with_capacity(IMPORT_BATCH);
            let mut index: u32 = 0;
            let mut next = Some(first);
            loop {
                let message = match next.take() {
                    Some(m) => m,
                    None => match stream.message().await? {
                        Some(m) => m,
                        None => break,
                    },
                };
                if usize::try_from(index).unwrap_or(usize::MAX) >= IMPORT_MAX_ROWS {
                    return Err(AppError::new(
                        crate::error::ErrorKind::ResourceExhausted,
                        Reason::ImportTooLarge,
                        format!(
                            "an import carries at most {IMPORT_MAX_ROWS} rows: split the roster"
                        ),
                    )
                    .into());
                }
                batch.push(import_row(index, message, event_id, &request_id));
                index += 1;
                if batch.len() >= IMPORT_BATCH {
                    let rows = std::mem::replace(&mut batch, Vec::with_capacity(IMPORT_BATCH));
                    if tx.send(ImportMessage::Rows(rows)).await.is_err() {
                        return Ok(());
                    }
                }
            }
            if !batch.is_empty() && tx.send(ImportMessage::Rows(batch)).await.is_err() {
                return Ok(());
            }
            let _ = tx.send(ImportMessage::End).await;
            Ok::<(), Status>(())
        };
        let import = self
            .state
            .services
            .import_participants(&actor, event_id, &import_id, rx);
        let (read, imported) = tokio::join!(reader, import);
        // A stream that broke off explains the failure better than the
        // import's own (it only saw the stream end early).
        read?;
        let outcomes = imported?;
        let results: Vec<pb::ImportRowResult> = outcomes.into_iter().map(row_result_pb).collect();
        let imported = u32::try_from(
            results
                .iter()
                .filter(|r| !r.participant_id.is_empty())
                .count(),
        )
        .unwrap_or(u32::MAX);
        let failed = u32::try_from(results.len()).unwrap_or(u32::MAX) - imported;
        tracing::Span::current().record("rows", results.len());
        Ok(Response::new(pb::ImportParticipantsResponse {
            results,
            imported,
            failed,
        }))
    }

    #[tracing::instrument(skip_all, fields(token_id))]
    async fn create_delegation(
        &self,
        request: Request<pb::CreateDelegationRequest>,
    ) -> Result<Response<pb::CreateDelegationResponse>, Status> {
        let actor = self.state.authorize(&request, DESK).await?;
        let r = request.into_inner();
        let view = self
            .state
            .services
            .create_delegation(&actor, convert::new_delegation(r)?)
            .await?;
        Ok(Response::new(pb::CreateDelegationResponse {
            delegation: Some(delegation_pb(view)),
        }))
    }

    #[tracing::instrument(skip_all, fields(token_id))]
    async fn get_delegation(
        &self,
        request: Request<pb::GetDelegationRequest>,
    ) -> Result<Response<pb::GetDelegationResponse>, Status> {
        let actor = self.state.authorize(&request, DESK).await?;
        let (view, members) = self
            .state
            .services
            .get_delegation(
                &actor,
                id_field("id", &request.into_inner().id, DelegationId)?,
            )
            .await?;
        Ok(Response::new(pb::GetDelegationResponse {
            delegation: Some(delegation_pb(view)),
            members: members.into_iter().map(participant_pb).collect(),
        }))
    }

    #[tracing::instrument(skip_all, fields(token_id))]
    async fn list_delegations(
        &self,
        request: Request<pb::ListDelegationsRequest>,
    ) -> Result<Response<pb::ListDelegationsResponse>, Status> {
        let actor = self.state.authorize(&request, DESK).await?;
        let event_id = id_field("event_id", &request.into_inner().event_id, EventId)?;
        actor.require_event(event_id)?;
        let list = self.state.services.list_delegations(event_id).await?;
        Ok(Response::new(pb::ListDelegationsResponse {
            delegations: list.into_iter().map(delegation_pb).collect(),
        }))
    }

    #[tracing::instrument(skip_all, fields(token_id))]
    async fn update_delegation(
        &self,
        request: Request<pb::UpdateDelegationRequest>,
    ) -> Result<Response<pb::UpdateDelegationResponse>, Status> {
        let actor = self.state.authorize(&request, DESK).await?;
        let r = request.into_inner();
        let view = self
            .state
            .services
            .update_delegation(&actor, convert::delegation_update(r)?)
            .await?;
        Ok(Response::new(pb::UpdateDelegationResponse {
            delegation: Some(delegation_pb(view)),
        }))
    }

    #[tracing::instrument(skip_all, fields(token_id))]
    async fn create_organization(
        &self,
        request: Request<pb::CreateOrganizationRequest>,
    ) -> Result<Response<pb::CreateOrganizationResponse>, Status> {
        let actor = self.state.authorize(&request, DESK).await?;
        let r = request.into_inner();
        let org = self
            .state
            .services
            .create_organization(&actor, convert::new_organization(r)?)
            .await?;
        Ok(Response::new(pb::CreateOrganizationResponse {
            organization: Some(organization_pb(org)),
        }))
    }

    #[tracing::instrument(skip_all, fields(token_id))]
    async fn list_organizations(
        &self,
        request: Request<pb::ListOrganizationsRequest>,
    ) -> Result<Response<pb::ListOrganizationsResponse>, Status> {
        let actor = self.state.authorize(&request, DESK).await?;
        let r = request.into_inner();
        let event_id = id_field("event_id", &r.event_id, EventId)?;
        actor.require_event(event_id)?;
        let (orgs, next) = self
            .state
            .services
            .list_organizations(event_id, &r.name_prefix, r.page_size, &r.page_token)
            .await?;
        Ok(Response::new(pb::ListOrganizationsResponse {
            organizations: orgs.into_iter().map(organization_pb).collect(),
            next_page_token: next,
        }))
    }
}

/// A row of an import as the domain takes it: refused here when its
/// strings break the rules every field follows (checked row by row, not by
/// the codec, so that one bad row is refused alone) or when it names
/// another event or import.
fn import_row(
    index: u32,
    message: pb::ImportParticipantsRequest,
    event_id: EventId,
    request_id: &str,
) -> ImportRow {
    let refuse = |message: &str, violations: Vec<FieldViolation>| RowError {
        reason: Reason::InvalidField.as_str().to_owned(),
        message: message.to_owned(),
        violations,
        of_participant: false,
    };
    let violations = message.violations();
    let refused = if !violations.is_empty() {
        Some(refuse("the row holds text no field may hold", violations))
    } else if !message.event_id.trim().is_empty()
        && uuid::Uuid::parse_str(message.event_id.trim()).ok() != Some(event_id.0)
    {
        Some(refuse(
            "an import covers one event",
            vec![FieldViolation::new(
                "event_id",
                &Violation::DiffersFromFirstMessage,
            )],
        ))
    } else if !message.request_id.is_empty() && message.request_id != request_id {
        Some(refuse(
            "an import has one request id",
            vec![FieldViolation::new(
                "request_id",
                &Violation::DiffersFromFirstMessage,
            )],
        ))
    } else {
        None
    };
    let input = convert::participant_input(message.participant);
    let fields = match refused {
        Some(refused) => Err(refused),
        None => {
            let mut v = Validator::with_prefix("participant.");
            let fields = convert::participant_fields(&mut v, &input);
            let violations = v.into_violations();
            if violations.is_empty() {
                Ok(fields)
            } else {
                let e = AppError::invalid_fields(violations);
                Err(refuse(&e.message, e.violations))
            }
        }
    };
    ImportRow {
        index,
        row_ref: excerpt(&message.row_ref),
        input,
        fields,
    }
}
