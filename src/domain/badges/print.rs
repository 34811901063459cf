//! Bulk printing: a checked plan, then badges issued and rendered batch by
//! batch into one PDF streamed in pieces.

use std::collections::HashMap;

use futures::StreamExt as _;
use tokio::sync::mpsc;

use super::IssueMode;
use crate::words::Violation;
use crate::{
    db::{self, badges::PrintSelection, models::ParticipantStatus},
    domain::{Principal, Services},
    error::{AppError, AppResult, Reason},
    ids::{DelegationId, EventId, OrganizationId, ParticipantId},
    meter::{self, PrintOutcome},
    render::{self, BadgeCard, Layout, sink::PdfSink},
};

/// Participants issued and rendered together in a print job: a multiple of
/// every sheet's badge count, so only the last sheet can be partly empty.
const PRINT_BATCH: usize = 40;
/// Batches in flight in a print job (database and rendering overlap).
const PRINT_IN_FLIGHT: usize = 3;
/// Largest PDF piece in one stream message.
const CHUNK_BYTES: usize = 1 << 20;

/// Whose badges a print job holds.
#[derive(Debug, Clone)]
pub enum PrintTarget {
    Delegation(DelegationId),
    CategoryCode(String),
    Organization(OrganizationId),
    Participants(Vec<ParticipantId>),
}

/// What a print job streams.
#[derive(Debug)]
pub enum PrintItem {
    /// The next bytes of the PDF.
    Chunk(Vec<u8>),
    Progress {
        done: u32,
        total: u32,
    },
}

/// A checked print job, ready to run.
#[derive(Debug, Clone)]
pub struct PrintPlan {
    pub participant_ids: Vec<ParticipantId>,
    pub layout: Layout,
    pub title: String,
}

impl Services {
    /// Checks a print job and lists its participants.
    pub async fn plan_print(
        &self,
        event_id: EventId,
        target: PrintTarget,
        layout: Layout,
    ) -> AppResult<PrintPlan> {
        let mut conn = self.db.get().await?;
        let event = self.event(&mut conn, event_id).await?;
        let selection = match &target {
            PrintTarget::Delegation(id) => Some(PrintSelection::Delegation(*id)),
            PrintTarget::Organization(id) => Some(PrintSelection::Organization(*id)),
            PrintTarget::CategoryCode(_) | PrintTarget::Participants(_) => None,
        };
        let selection = match (&target, selection) {
            (PrintTarget::CategoryCode(code), _) => {
                let id = self
                    .category_id(&mut conn, event.id, code)
                    .await?
                    .ok_or_else(|| {
                        AppError::not_found(
                            Reason::CategoryNotFound,
                            format!("no category {} in this event", crate::error::excerpt(code)),
                        )
                    })?;
                Some(PrintSelection::Category(id))
            }
            (_, selection) => selection,
        };
        let participant_ids = match (selection, target) {
            (Some(selection), _) => {
                db::badges::print_order(&mut conn, event.id, &selection).await?
            }
            (None, PrintTarget::Participants(ids)) => {
                let states = db::badges::participant_states(&mut conn, &ids).await?;
                let by_id: HashMap<ParticipantId, (EventId, ParticipantStatus)> =
                    states.into_iter().map(|(id, e, s)| (id, (e, s))).collect();
                for id in &ids {
                    match by_id.get(id) {
                        Some((e, _)) if *e != event.id => {
                            return Err(AppError::invalid_field(
                                "participant_ids",
                                Violation::ParticipantOfAnotherEvent,
                            ));
                        }
                        Some((_, status)) if *status != ParticipantStatus::Active => {
                            return Err(AppError::precondition(
                                Reason::ParticipantCancelled,
                                format!("participant {id} is cancelled: no badge"),
                            )
                            .with_metadata("participant_id", id.to_string()));
                        }
                        Some(_) => {}
                        None => {
                            return Err(AppError::not_found(
                                Reason::ParticipantNotFound,
                                format!("no participant {id}"),
                            )
                            .with_metadata("participant_id", id.to_string()));
                        }
                    }
                }
                let mut seen = std::collections::HashSet::new();
                ids.into_iter().filter(|id| seen.insert(*id)).collect()
            }
            (None, _) => Vec::new(),
        };
        if participant_ids.is_empty() {
            return Err(AppError::precondition(
                Reason::NothingToPrint,
                "the selection has no active participant",
            ));
        }
        Ok(PrintPlan {
            participant_ids,
            layout,
            title: format!("{} badges", event.name),
        })
    }

    /// Runs a print job: issues missing badges batch by batch, renders
    /// batches on the blocking pool while the next ones are issued, and
    /// sends the PDF in order with progress. Stops when the receiver goes.
    pub async fn run_print(
        &self,
        actor: &Principal,
        plan: PrintPlan,
        tx: mpsc::Sender<AppResult<PrintItem>>,
    ) {
        let total = u32::try_from(plan.participant_ids.len()).unwrap_or(u32::MAX);
        let layout = plan.layout;
        let batches: Vec<Vec<ParticipantId>> = plan
            .participant_ids
            .chunks(PRINT_BATCH)
            .map(<[ParticipantId]>::to_vec)
            .collect();
        let actor = actor.clone();
        let title = plan.title;
        let mut prepared = futures::stream::iter(batches)
            .map(|batch| {
                let services = self.clone();
                let title = title.clone();
                let actor = actor.clone();
                async move {
                    let issued = services
                        .issue_batch(&actor, &batch, IssueMode::Missing)
                        .await?;
                    let cards: Vec<BadgeCard> = issued.into_iter().map(|i| i.card).collect();
                    let (pages, lo) = tokio::task::spawn_blocking(
                        move || -> AppResult<(usize, lopdf::Document)> {
                            let pages =
                                render::draft_pages(&cards, layout).map_err(AppError::internal)?;
                            let count = pages.len();
                            Ok((count, PdfSink::prepare(&render::document(pages, &title))))
                        },
                    )
                    .await
                    .map_err(AppError::internal)??;
                    Ok::<_, AppError>((batch.len(), pages, lo))
                }
            })
            .buffered(PRINT_IN_FLIGHT);
        let mut sink = PdfSink::new();
        let mut done = 0u32;
        while let Some(result) = prepared.next().await {
            let (count, pages, lo) = match result {
                Ok(batch) => batch,
                Err(err) => {
                    meter::print_job(PrintOutcome::Failed);
                    let _ = tx.send(Err(err)).await;
                    return;
                }
            };
            sink.append(lo);
            meter::printed(pages, count);
            done = done.saturating_add(u32::try_from(count).unwrap_or(u32::MAX));
            if !send_chunks(&tx, sink.take()).await {
                meter::print_job(PrintOutcome::Abandoned);
                return;
            }
            if tx
                .send(Ok(PrintItem::Progress { done, total }))
                .await
                .is_err()
            {
                meter::print_job(PrintOutcome::Abandoned);
                return;
            }
        }
        meter::print_job(if send_chunks(&tx, sink.finish()).await {
            PrintOutcome::Completed
        } else {
            PrintOutcome::Abandoned
        });
    }
}

async fn send_chunks(tx: &mpsc::Sender<AppResult<PrintItem>>, bytes: Vec<u8>) -> bool {
    if bytes.len() <= CHUNK_BYTES {
        return bytes.is_empty() || tx.send(Ok(PrintItem::Chunk(bytes))).await.is_ok();
    }
    for piece in bytes.chunks(CHUNK_BYTES) {
        if tx.send(Ok(PrintItem::Chunk(piece.to_vec()))).await.is_err() {
            return false;
        }
    }
    true
}
