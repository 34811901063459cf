//! `expopass.v1.BadgeService`; needs the desk or admin role.

use std::pin::Pin;
use tracing::Instrument as _;

use tokio::sync::mpsc;
use tokio_stream::{Stream, StreamExt as _, wrappers::ReceiverStream};
use tonic::{Request, Response, Status};

use super::{ApiState, id_and_text, id_field, timestamp};
use crate::words::Violation;
use crate::{
    domain::{
        Role,
        badges::{BadgeKey, BadgeView, PrintItem, PrintTarget, Revocation},
        validate::Validator,
    },
    error::AppError,
    ids::{BadgeId, EventId, ParticipantId},
    proto::pb::{self, badge_service_server::BadgeService},
    render::Layout,
};

/// The badge a `GetBadge` names.
fn badge_key(key: Option<pb::get_badge_request::Key>) -> Result<BadgeKey, AppError> {
    use pb::get_badge_request::Key;
    let mut v = Validator::new();
    let key = match key {
        Some(Key::BadgeId(id)) => v.id("badge_id", &id).map(BadgeKey::Badge),
        Some(Key::ParticipantId(id)) => v.id("participant_id", &id).map(BadgeKey::Participant),
        Some(Key::Number(number)) => {
            let key = BadgeKey::number(&number);
            if key.is_none() {
                v.violation("number", Violation::NotABadgeNumber);
            }
            key
        }
        Some(Key::QrText(text)) => Some(BadgeKey::Scanned(text)),
        None => {
            v.violation(
                "key",
                Violation::OneOf {
                    choices: "a badge id or a participant id",
                },
            );
            None
        }
    };
    v.finish_with(key)
}

/// Whose badges a `PrintBadges` asks for, every id parsed.
fn print_target(
    selection: Option<pb::print_badges_request::Selection>,
) -> Result<PrintTarget, AppError> {
    use pb::print_badges_request::Selection;
    let mut v = Validator::new();
    let target = match selection {
        Some(Selection::DelegationId(id)) => {
            v.id("delegation_id", &id).map(PrintTarget::Delegation)
        }
        Some(Selection::OrganizationId(id)) => {
            v.id("organization_id", &id).map(PrintTarget::Organization)
        }
        Some(Selection::CategoryCode(code)) => {
            if code.trim().is_empty() {
                v.violation("category_code", Violation::Required);
            }
            Some(PrintTarget::CategoryCode(code))
        }
        Some(Selection::ParticipantIds(list)) => {
            if list.ids.is_empty() {
                v.violation("participant_ids", Violation::AtLeastOne);
            }
            let ids: Vec<_> = list
                .ids
                .iter()
                .enumerate()
                .map(|(i, id)| v.id(&format!("participant_ids.ids[{i}]"), id))
                .collect();
            ids.into_iter()
                .collect::<Option<Vec<_>>>()
                .map(PrintTarget::Participants)
        }
        None => {
            v.violation(
                "selection",
                Violation::OneOf {
                    choices: "a delegation, category, organisation or list of participants",
                },
            );
            None
        }
    };
    v.finish_with(target)
}

/// Implements `BadgeService`.
#[derive(Clone)]
pub(crate) struct BadgeApi {
    state: ApiState,
}

impl BadgeApi {
    pub(crate) fn new(state: ApiState) -> Self {
        Self { state }
    }
}

const DESK: &[Role] = &[Role::Desk, Role::Admin];
/// Print stream messages buffered ahead of a slow client.
const PRINT_BUFFER: usize = 8;

fn layout_from(raw: i32, default: Layout) -> Result<Layout, Status> {
    match pb::BadgeLayout::try_from(raw) {
        Ok(pb::BadgeLayout::Unspecified) => Ok(default),
        Ok(pb::BadgeLayout::A6) => Ok(Layout::A6),
        Ok(pb::BadgeLayout::Card) => Ok(Layout::Card),
        Ok(pb::BadgeLayout::A4SheetA6) => Ok(Layout::SheetA6),
        Ok(pb::BadgeLayout::A4SheetCard) => Ok(Layout::SheetCard),
        Err(_) => Err(AppError::invalid_field("layout", Violation::UnknownValue).into()),
    }
}

fn badge_pb(v: BadgeView) -> pb::Badge {
    let number = v.number();
    let reason = match v.revocation() {
        Some(Revocation::Reprinted) => pb::RevocationReason::Reprinted,
        Some(Revocation::Cancelled) => pb::RevocationReason::Cancelled,
        Some(Revocation::Staff) => pb::RevocationReason::Staff,
        None => pb::RevocationReason::Unspecified,
    };
    let b = v.row;
    let blocked = v.block_reason.is_some();
    pb::Badge {
        id: b.id.to_string(),
        participant_id: b.participant_id.to_string(),
        event_id: b.event_id.to_string(),
        version: u32::try_from(b.version).unwrap_or(0),
        number,
        qr_text: b.qr_text,
        category_code: v.category_code,
        issued_at: Some(timestamp(b.issued_at)),
        revoked: b.revoked_at.is_some(),
        revocation_reason: reason.into(),
        revocation_note: b.revocation_note,
        blocked,
        block_reason: v.block_reason.unwrap_or_default(),
        template_code: b.template_code.unwrap_or_default(),
        template_version: b
            .template_version
            .and_then(|v| u32::try_from(v).ok())
            .unwrap_or(0),
    }
}

type PrintStream = Pin<Box<dyn Stream<Item = Result<pb::PrintBadgesResponse, Status>> + Send>>;

#[tonic::async_trait]
impl BadgeService for BadgeApi {
    type PrintBadgesStream = PrintStream;

    #[tracing::instrument(skip_all, fields(token_id))]
    async fn issue_badge(
        &self,
        request: Request<pb::IssueBadgeRequest>,
    ) -> Result<Response<pb::IssueBadgeResponse>, Status> {
        let actor = self.state.authorize(&request, DESK).await?;
        let r = request.into_inner();
        // Unspecified: the category's badge.
        let layout = match r.layout {
            0 => None,
            raw => Some(layout_from(raw, Layout::A6)?),
        };
        let participant = id_field("participant_id", &r.participant_id, ParticipantId)?;
        let (badge, pdf) = self
            .state
            .services
            .issue_badge(&actor, participant, layout)
            .await?;
        Ok(Response::new(pb::IssueBadgeResponse {
            badge: Some(badge_pb(badge)),
            pdf,
        }))
    }

    #[tracing::instrument(skip_all, fields(token_id))]
    async fn get_badge(
        &self,
        request: Request<pb::GetBadgeRequest>,
    ) -> Result<Response<pb::GetBadgeResponse>, Status> {
        let actor = self.state.authorize(&request, DESK).await?;
        let key = badge_key(request.into_inner().key)?;
        let badge = self.state.services.get_badge(key).await?;
        actor.require_event(badge.row.event_id)?;
        Ok(Response::new(pb::GetBadgeResponse {
            badge: Some(badge_pb(badge)),
        }))
    }

    #[tracing::instrument(skip_all, fields(token_id))]
    async fn revoke_badge(
        &self,
        request: Request<pb::RevokeBadgeRequest>,
    ) -> Result<Response<pb::RevokeBadgeResponse>, Status> {
        let actor = self.state.authorize(&request, DESK).await?;
        let r = request.into_inner();
        let (badge, note) = id_and_text(("badge_id", &r.badge_id), BadgeId, ("note", &r.note))?;
        let badge = self
            .state
            .services
            .revoke_badge(&actor, badge, note)
            .await?;
        Ok(Response::new(pb::RevokeBadgeResponse {
            badge: Some(badge_pb(badge)),
        }))
    }

    #[tracing::instrument(skip_all, fields(token_id))]
    async fn print_badges(
        &self,
        request: Request<pb::PrintBadgesRequest>,
    ) -> Result<Response<Self::PrintBadgesStream>, Status> {
        let actor = self.state.authorize(&request, DESK).await?;
        let r = request.into_inner();
        let layout = layout_from(r.layout, Layout::SheetA6)?;
        let target = print_target(r.selection)?;
        let services = self.state.services.clone();
        let event = id_field("event_id", &r.event_id, EventId)?;
        actor.require_event(event)?;
        let plan = services.plan_print(event, target, layout).await?;
        let (tx, rx) = mpsc::channel(PRINT_BUFFER);
        // The job's log lines keep the call's request id.
        tokio::spawn(
            async move { services.run_print(&actor, plan, tx).await }
                .instrument(tracing::Span::current()),
        );
        let stream = ReceiverStream::new(rx).map(|item| match item {
            Ok(PrintItem::Chunk(bytes)) => Ok(pb::PrintBadgesResponse {
                item: Some(pb::print_badges_response::Item::PdfChunk(bytes)),
            }),
            Ok(PrintItem::Progress { done, total }) => Ok(pb::PrintBadgesResponse {
                item: Some(pb::print_badges_response::Item::Progress(
                    pb::PrintProgress { done, total },
                )),
            }),
            Err(err) => Err(Status::from(err)),
        });
        Ok(Response::new(Box::pin(stream)))
    }

    #[tracing::instrument(skip_all, fields(token_id))]
    async fn block_badge(
        &self,
        request: Request<pb::BlockBadgeRequest>,
    ) -> Result<Response<pb::BlockBadgeResponse>, Status> {
        let actor = self.state.authorize(&request, DESK).await?;
        let r = request.into_inner();
        let (badge, reason) =
            id_and_text(("badge_id", &r.badge_id), BadgeId, ("reason", &r.reason))?;
        let badge = self
            .state
            .services
            .block_badge(&actor, badge, reason)
            .await?;
        Ok(Response::new(pb::BlockBadgeResponse {
            badge: Some(badge_pb(badge)),
        }))
    }

    #[tracing::instrument(skip_all, fields(token_id))]
    async fn unblock_badge(
        &self,
        request: Request<pb::UnblockBadgeRequest>,
    ) -> Result<Response<pb::UnblockBadgeResponse>, Status> {
        let actor = self.state.authorize(&request, DESK).await?;
        let badge = id_field("badge_id", &request.into_inner().badge_id, BadgeId)?;
        let badge = self.state.services.unblock_badge(&actor, badge).await?;
        Ok(Response::new(pb::UnblockBadgeResponse {
            badge: Some(badge_pb(badge)),
        }))
    }
}
