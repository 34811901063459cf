//! The operations board: what an event's doors are doing now, and the
//! state gate devices report.
//!
//! A device's report is telemetry, not a record: only the newest one per
//! gate is kept, and it is not audited (a gate reports every 30 s).

use chrono::{DateTime, Utc};

use crate::{
    db,
    domain::{Principal, Services, badges::badge_number},
    error::AppResult,
    ids::{EventId, GateId},
    vocab::{ConflictKind, DenyReason},
};

/// Denials listed at most.
const INCIDENTS: i64 = 20;
/// Conflicts listed at most.
const CONFLICTS: i64 = 20;
/// A device that has not reported for this long is shown offline.
const REPORT_FRESH_SECONDS: i64 = 45;

/// Scans of one minute.
#[derive(Debug, Clone)]
pub struct MinuteCount {
    pub minute: DateTime<Utc>,
    pub allowed: u32,
    pub denied: u32,
}

/// A denied scan.
#[derive(Debug, Clone)]
pub struct Incident {
    pub at: DateTime<Utc>,
    pub gate_code: String,
    pub reason: Option<DenyReason>,
    pub badge_number: String,
    pub offline: bool,
}

/// A conflict found in uploaded scans.
#[derive(Debug, Clone)]
pub struct RecordedConflict {
    pub found_at: DateTime<Utc>,
    pub scanned_at: DateTime<Utc>,
    /// `None` for a kind this build does not know (stored by a newer one).
    pub kind: Option<ConflictKind>,
    pub badge_number: String,
    pub gate_codes: Vec<String>,
}

/// How one gate stands.
#[derive(Debug, Clone)]
pub struct GateState {
    pub gate_id: GateId,
    pub gate_code: String,
    pub gate_name: String,
    pub zone_code: String,
    pub last_scan_at: Option<DateTime<Utc>>,
    pub last_report_at: Option<DateTime<Utc>>,
    pub bundle_version: u64,
    pub pending_offline: u32,
    pub online: bool,
    pub offline_scans: u32,
    /// The enrolment name of the device that last reported.
    pub device_name: Option<String>,
}

/// The board of one event.
#[derive(Debug, Clone)]
pub struct Operations {
    /// (zone code, inside, capacity).
    pub zones: Vec<(String, u32, u32)>,
    pub per_minute: Vec<MinuteCount>,
    pub incidents: Vec<Incident>,
    pub gates: Vec<GateState>,
    pub conflicts: Vec<RecordedConflict>,
    /// Denials of the last hour by reason, the most frequent first.
    pub denials_by_reason: Vec<(DenyReason, u32)>,
    pub as_of: DateTime<Utc>,
}

fn count(n: i64) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// A person inside a zone.
#[derive(Debug, Clone)]
pub struct InsidePerson {
    pub participant_id: crate::ids::ParticipantId,
    pub given_name: String,
    pub family_name: String,
    pub native_name: String,
    pub badge_number: String,
    pub category_code: String,
    pub entered_at: DateTime<Utc>,
}

/// Most people `list_inside` answers.
pub const MAX_INSIDE: u32 = 500;

impl Services {
    /// Who is inside a zone now, latest entry first (at most `limit`), and
    /// how many in all. It names people: audited.
    pub async fn list_inside(
        &self,
        actor: &Principal,
        event_id: EventId,
        zone_code: &str,
        limit: u32,
    ) -> AppResult<(Vec<InsidePerson>, u32)> {
        actor.require_event(event_id)?;
        let mut conn = self.db.get().await?;
        let event = self.event(&mut conn, event_id).await?;
        let zone = db::events::list_zones(&mut conn, event.id)
            .await?
            .into_iter()
            .find(|z| z.code == zone_code)
            .ok_or_else(|| {
                crate::error::AppError::invalid_field(
                    "zone_code",
                    crate::words::Violation::UnknownZone,
                )
            })?;
        let limit = i64::from(limit.clamp(1, MAX_INSIDE));
        let rows = crate::domain::transaction(&mut conn, async |conn| {
            let rows = db::operations::inside(conn, zone.id, limit).await?;
            db::audit::record(
                conn,
                &crate::domain::records::audit_row(actor, "zone.list_inside", "zone", zone.id, ""),
            )
            .await?;
            Ok(rows)
        })
        .await?;
        let total = rows.first().map_or(0, |r| count(r.total));
        let people = rows
            .into_iter()
            .map(|r| InsidePerson {
                participant_id: r.participant_id,
                given_name: r.given_name,
                family_name: r.family_name,
                native_name: r.native_name,
                badge_number: badge_number(r.serial, r.version),
                category_code: r.category_code,
                entered_at: r.since,
            })
            .collect();
        Ok((people, total))
    }

    /// The operations board of an event.
    pub async fn operations(&self, event_id: EventId) -> AppResult<Operations> {
        let zones = self.occupancy(event_id).await?;
        let mut conn = self.db.get().await?;
        let now = crate::domain::now();
        let per_minute = db::operations::per_minute(&mut conn, event_id)
            .await?
            .into_iter()
            .map(|r| MinuteCount {
                minute: r.minute,
                allowed: count(r.allowed),
                denied: count(r.denied),
            })
            .collect();
        let incidents = db::operations::incidents(&mut conn, event_id, INCIDENTS)
            .await?
            .into_iter()
            .map(|r| Incident {
                at: r.at,
                gate_code: r.gate_code,
                reason: r.reason.as_deref().and_then(DenyReason::parse),
                badge_number: match (r.serial, r.version) {
                    (Some(serial), Some(version)) => badge_number(serial, version),
                    _ => String::new(),
                },
                offline: r.offline,
            })
            .collect();
        let gates = db::operations::gate_states(&mut conn, event_id)
            .await?
            .into_iter()
            .map(|r| GateState {
                online: r
                    .reported_at
                    .is_some_and(|at| (now - at).num_seconds() <= REPORT_FRESH_SECONDS),
                gate_id: r.gate_id,
                gate_code: r.gate_code,
                gate_name: r.gate_name,
                zone_code: r.zone_code,
                last_scan_at: r.last_scan_at,
                last_report_at: r.reported_at,
                bundle_version: r
                    .bundle_version
                    .and_then(|v| u64::try_from(v).ok())
                    .unwrap_or(0),
                pending_offline: r
                    .pending_offline
                    .and_then(|v| u32::try_from(v).ok())
                    .unwrap_or(0),
                offline_scans: count(r.offline_scans),
                device_name: r.device_name,
            })
            .collect();
        let conflicts = db::operations::conflicts(&mut conn, event_id, CONFLICTS)
            .await?
            .into_iter()
            .map(|r| RecordedConflict {
                found_at: r.found_at,
                scanned_at: r.scanned_at,
                kind: ConflictKind::parse(&r.kind),
                badge_number: match (r.serial, r.version) {
                    (Some(serial), Some(version)) => badge_number(serial, version),
                    _ => String::new(),
                },
                gate_codes: r.gate_codes,
            })
            .collect();
        let denials_by_reason = db::operations::denials_by_reason(&mut conn, event_id)
            .await?
            .into_iter()
            // A reason this build does not know (stored by a newer one) is
            // left out rather than counted as another.
            .filter_map(|r| Some((DenyReason::parse(r.reason.as_deref()?)?, count(r.n))))
            .collect();
        Ok(Operations {
            denials_by_reason,
            zones,
            per_minute,
            incidents,
            gates,
            conflicts,
            as_of: now,
        })
    }

    /// Keeps what a gate device reports of itself.
    pub async fn report_gate_status(
        &self,
        actor: &Principal,
        gate_id: GateId,
        bundle_version: u64,
        pending_offline: u32,
    ) -> AppResult<()> {
        let event_id = self.gate_event(gate_id).await?;
        actor.require_gate(gate_id, event_id)?;
        let mut conn = self.db.get().await?;
        let version = i64::try_from(bundle_version).unwrap_or(i64::MAX);
        let pending = i32::try_from(pending_offline).unwrap_or(i32::MAX);
        crate::domain::transaction(&mut conn, async move |conn| {
            db::operations::report(conn, gate_id, event_id, version, pending, actor.token_id)
                .await?;
            Ok(())
        })
        .await
    }
}
