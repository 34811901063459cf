//! Blocking a badge (every version of it) and lifting the block. A block
//! bites at once on this instance, and on the others within the
//! notification's round trip.

use super::{BadgeKey, BadgeView, existing_badge};
use crate::{
    db,
    domain::{Principal, Services, hub::GateEvent, records::audit_row},
    error::AppResult,
    ids::BadgeId,
};

impl Services {
    /// Blocks a badge (every version) with a reason.
    pub async fn block_badge(
        &self,
        actor: &Principal,
        badge_id: BadgeId,
        reason: String,
    ) -> AppResult<BadgeView> {
        let id = badge_id;
        let mut conn = self.db.get().await?;
        let actor = actor.clone();
        let badge = crate::domain::transaction(&mut conn, async move |conn| {
            let badge = existing_badge(conn, id).await?;
            actor.require_event(badge.event_id)?;
            if db::gates::block(conn, badge.event_id, badge.serial, &reason).await? {
                db::audit::record(conn, &audit_row(&actor, "badge.block", "badge", id, "")).await?;
            }
            Ok(badge)
        })
        .await?;
        drop(conn);
        if let Ok(serial) = u32::try_from(badge.serial) {
            self.applied_here(GateEvent::Blocked {
                event_id: badge.event_id,
                serial,
            });
        }
        self.get_badge(BadgeKey::Badge(id)).await
    }

    /// Lifts the block of a badge.
    pub async fn unblock_badge(
        &self,
        actor: &Principal,
        badge_id: BadgeId,
    ) -> AppResult<BadgeView> {
        let id = badge_id;
        let mut conn = self.db.get().await?;
        let actor = actor.clone();
        let badge = crate::domain::transaction(&mut conn, async move |conn| {
            let badge = existing_badge(conn, id).await?;
            actor.require_event(badge.event_id)?;
            if db::gates::unblock(conn, badge.serial).await? {
                db::audit::record(conn, &audit_row(&actor, "badge.unblock", "badge", id, ""))
                    .await?;
            }
            Ok(badge)
        })
        .await?;
        drop(conn);
        if let Ok(serial) = u32::try_from(badge.serial) {
            self.applied_here(GateEvent::Unblocked {
                event_id: badge.event_id,
                serial,
            });
        }
        self.get_badge(BadgeKey::Badge(id)).await
    }
}
