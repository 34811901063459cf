//! Holders' photos (set, read, remove; audited), and the desk's facts of a
//! participant: their badge's state and whether a photo is on file.

use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use tokio::sync::Semaphore;

use std::collections::HashMap;

use super::ParticipantView;
use crate::domain::photo::{self, Photo};
use crate::{
    db::{
        self, Conn,
        models::{Participant, ParticipantStatus},
    },
    domain::{Principal, Services, records::audit_row},
    error::{AppError, AppResult, Reason},
    ids::ParticipantId,
};

/// The state of a participant's latest badge, for the desk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BadgeState {
    None,
    Valid,
    /// Valid, but printed before the photo changed.
    Outdated,
    Revoked,
    Blocked,
}

/// What the desk lists of a participant besides their record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeskFacts {
    pub badge: BadgeState,
    pub has_photo: bool,
    /// The newest badge's (serial, version), when there is one.
    pub badge_number: Option<(i64, i32)>,
}

/// Decoding a 40-megapixel picture takes a few hundred megabytes for a
/// moment: two at a time at most.
static DECODERS: LazyLock<Semaphore> = LazyLock::new(|| Semaphore::new(2));

fn state_of(f: &db::photos::DeskFacts) -> DeskFacts {
    let badge = match f.issued_at {
        None => BadgeState::None,
        Some(_) if f.blocked => BadgeState::Blocked,
        Some(_) if f.revoked => BadgeState::Revoked,
        Some(issued) if f.photo_changed_at.is_some_and(|changed| changed > issued) => {
            BadgeState::Outdated
        }
        Some(_) => BadgeState::Valid,
    };
    DeskFacts {
        badge,
        has_photo: f.has_photo,
        badge_number: f.serial.zip(f.version),
    }
}

impl Services {
    /// Fills in the desk's facts of these views.
    pub(super) async fn with_desk_facts(
        &self,
        conn: &mut Conn,
        views: &mut [ParticipantView],
    ) -> AppResult<()> {
        let ids: Vec<ParticipantId> = views.iter().map(|v| v.row.id).collect();
        let facts: HashMap<ParticipantId, DeskFacts> = db::photos::desk_facts(conn, &ids)
            .await?
            .iter()
            .map(|f| (f.participant_id, state_of(f)))
            .collect();
        for v in views {
            v.desk = facts.get(&v.row.id).copied();
        }
        Ok(())
    }

    /// Sets a participant's photo from an uploaded image.
    pub async fn set_photo(
        &self,
        actor: &Principal,
        id: ParticipantId,
        image: Vec<u8>,
    ) -> AppResult<(ParticipantView, u32, u32)> {
        // Who and whether first: an image is not even decoded for a caller
        // who may not set it.
        {
            let mut conn = self.db.get().await?;
            let row = self.participant_for_photo(&mut conn, actor, id).await?;
            if row.status == ParticipantStatus::Cancelled {
                return Err(cancelled());
            }
        }
        let Photo {
            jpeg,
            width,
            height,
        } = {
            let _permit = DECODERS.acquire().await.map_err(AppError::internal)?;
            tokio::task::spawn_blocking(move || photo::prepare(&image))
                .await
                .map_err(AppError::internal)??
        };
        let size = (
            i32::try_from(width).unwrap_or(0),
            i32::try_from(height).unwrap_or(0),
        );
        let mut conn = self.db.get().await?;
        crate::domain::transaction(&mut conn, async move |conn| {
            let mut row = self.locked_for_photo(conn, actor, id).await?;
            if row.status == ParticipantStatus::Cancelled {
                return Err(cancelled());
            }
            let at = crate::domain::now();
            db::photos::set(conn, row.id, row.event_id, &jpeg, size, at).await?;
            touch(conn, &mut row, at).await?;
            db::audit::record(
                conn,
                &audit_row(actor, "participant.photo.set", "participant", row.id, ""),
            )
            .await?;
            Ok(())
        })
        .await?;
        let view = self.load_view(&mut conn, actor, id).await?;
        Ok((view, width, height))
    }

    /// Removes a participant's photo; nothing changes when there is none.
    pub async fn remove_photo(
        &self,
        actor: &Principal,
        id: ParticipantId,
    ) -> AppResult<ParticipantView> {
        let mut conn = self.db.get().await?;
        crate::domain::transaction(&mut conn, async move |conn| {
            let mut row = self.locked_for_photo(conn, actor, id).await?;
            let at = crate::domain::now();
            if db::photos::remove(conn, row.id, at).await? {
                touch(conn, &mut row, at).await?;
                db::audit::record(
                    conn,
                    &audit_row(actor, "participant.photo.remove", "participant", row.id, ""),
                )
                .await?;
            }
            Ok(())
        })
        .await?;
        self.load_view(&mut conn, actor, id).await
    }

    /// A participant's photo (JPEG) and when it was set.
    pub async fn get_photo(
        &self,
        actor: &Principal,
        id: ParticipantId,
    ) -> AppResult<(Vec<u8>, DateTime<Utc>)> {
        let mut conn = self.db.get().await?;
        self.participant_for_photo(&mut conn, actor, id).await?;
        db::photos::get(&mut conn, id).await?.ok_or_else(|| {
            AppError::not_found(
                Reason::PhotoNotFound,
                format!("participant {id} has no photo"),
            )
        })
    }

    async fn participant_for_photo(
        &self,
        conn: &mut Conn,
        actor: &Principal,
        id: ParticipantId,
    ) -> AppResult<Participant> {
        let (row, _, _) = db::participants::find(conn, id)
            .await?
            .ok_or_else(|| not_found(id))?;
        actor.require_event(row.event_id)?;
        Ok(row)
    }

    async fn locked_for_photo(
        &self,
        conn: &mut Conn,
        actor: &Principal,
        id: ParticipantId,
    ) -> AppResult<Participant> {
        let row = db::participants::lock(conn, id)
            .await?
            .ok_or_else(|| not_found(id))?;
        actor.require_event(row.event_id)?;
        Ok(row)
    }
}

/// A new version of the participant: a photo is part of the record.
async fn touch(conn: &mut Conn, row: &mut Participant, at: DateTime<Utc>) -> AppResult<()> {
    row.version += 1;
    row.updated_at = at;
    db::participants::update(conn, row).await?;
    Ok(())
}

fn not_found(id: ParticipantId) -> AppError {
    AppError::not_found(Reason::ParticipantNotFound, format!("no participant {id}"))
}

fn cancelled() -> AppError {
    AppError::precondition(
        Reason::ParticipantCancelled,
        "a cancelled participant gets no photo",
    )
}
