//! Registration numbers of one event (`GetRegistrationStats`).

use chrono::NaiveDate;

use super::{Principal, Services};
use crate::{
    db::{self, stats::KeyCount},
    error::AppResult,
    ids::EventId,
};

/// A delegation's fill against its quotas.
#[derive(Debug, Clone)]
pub struct DelegationFill {
    pub id: uuid::Uuid,
    pub name: String,
    pub country: String,
    pub members: i64,
    pub quota: i64,
}

/// (key, label, count), largest first.
pub type Counts = Vec<(String, String, i64)>;

#[derive(Debug, Clone, Default)]
pub struct RegistrationStats {
    pub active: i64,
    pub cancelled: i64,
    pub by_category: Counts,
    pub by_country: Counts,
    pub by_delegation: Vec<DelegationFill>,
    pub by_organization: Counts,
    pub badges_valid: i64,
    pub badges_printed: i64,
    pub badges_revoked: i64,
    pub entered_per_day: Vec<(NaiveDate, i64)>,
    pub registered_per_day: Vec<(NaiveDate, i64)>,
}

fn counts(rows: Vec<KeyCount>) -> Counts {
    rows.into_iter().map(|r| (r.key, r.label, r.n)).collect()
}

impl Services {
    /// The numbers of one event, read in one transaction.
    pub async fn registration_stats(
        &self,
        actor: &Principal,
        event_id: EventId,
    ) -> AppResult<RegistrationStats> {
        actor.require_event(event_id)?;
        let mut conn = self.db.get().await?;
        let event = self.event(&mut conn, event_id).await?;
        let tz = event.time_zone.clone();
        let stats = crate::domain::transaction(&mut conn, async move |conn| {
            let status = db::stats::by_status(conn, event_id).await?;
            let of = |k: &str| status.iter().find(|r| r.key == k).map_or(0, |r| r.n);
            let (badges_valid, badges_printed, badges_revoked) =
                db::stats::badges(conn, event_id).await?;
            let days =
                |rows: Vec<db::stats::DayRow>| rows.into_iter().map(|r| (r.day, r.n)).collect();
            Ok(RegistrationStats {
                active: of("active"),
                cancelled: of("cancelled"),
                by_category: counts(db::stats::by_category(conn, event_id).await?),
                by_country: counts(db::stats::by_country(conn, event_id).await?),
                by_organization: counts(db::stats::by_organization(conn, event_id).await?),
                by_delegation: db::stats::delegation_fill(conn, event_id)
                    .await?
                    .into_iter()
                    .map(|r| DelegationFill {
                        id: r.id,
                        name: r.name,
                        country: r.country,
                        members: r.members,
                        quota: r.quota,
                    })
                    .collect(),
                badges_valid,
                badges_printed,
                badges_revoked,
                entered_per_day: days(db::stats::entered_per_day(conn, event_id, &tz).await?),
                registered_per_day: days(db::stats::registered_per_day(conn, event_id, &tz).await?),
            })
        })
        .await?;
        Ok(stats)
    }
}
