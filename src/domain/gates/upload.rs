//! Scans decided offline: stored once each, and checked for conflicts
//! with what other gates recorded.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Utc};

use crate::{
    db::{self, gates::DecidedScan, operations::NewConflict},
    domain::{Principal, Services, badges::badge_number, qr::ParsedToken},
    error::AppResult,
    ids::{BadgeId, EventId, GateId, ZoneId},
    vocab::{ConflictKind, Decision, DenyReason, Direction},
};

/// Offline scans stored per statement.
const UPLOAD_BATCH: usize = 1_000;

/// A scan a gate decided offline, parsed: the gate's id, and its nonce
/// checked (1 to 64 characters, trimmed).
#[derive(Debug, Clone)]
pub struct OfflineScanInput {
    pub gate_id: GateId,
    pub nonce: String,
    pub scanned_at: Option<DateTime<Utc>>,
    pub qr_text: String,
    pub direction: Direction,
    pub decision: Decision,
    /// The gate's reason for a denial (a denial without one is stored as
    /// malformed).
    pub deny: Option<DenyReason>,
}

/// A badge's id and when it was revoked, if it was.
type BadgeRevocation = (BadgeId, Option<DateTime<Utc>>);

/// A conflict found among scans.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    pub kind: ConflictKind,
    pub event_id: EventId,
    pub badge_id: Option<BadgeId>,
    pub serial: i64,
    pub version: Option<i32>,
    /// The scans involved, (gate, nonce), oldest first.
    pub scans: Vec<(GateId, String)>,
    /// When the latest scan involved was read.
    pub scanned_at: DateTime<Utc>,
}

impl Conflict {
    /// The nonces of the scans involved, oldest first.
    pub fn nonces(&self) -> Vec<String> {
        self.scans.iter().map(|(_, n)| n.clone()).collect()
    }

    /// The badge's number, as printed ("" when its version is unknown).
    pub fn badge_number(&self) -> String {
        self.version
            .map(|v| badge_number(self.serial, v))
            .unwrap_or_default()
    }

    /// The row that keeps it.
    fn row(&self) -> NewConflict<'_> {
        NewConflict {
            event_id: self.event_id,
            kind: self.kind,
            serial: self.serial,
            version: self.version,
            scans: &self.scans,
            scanned_at: self.scanned_at,
        }
    }
}

/// The outcome of an upload.
#[derive(Debug, Clone, Default)]
pub struct UploadResult {
    pub stored: u32,
    pub duplicates: u32,
    pub conflicts: Vec<Conflict>,
}

impl Services {
    /// Stores scans decided offline, once each, and reports conflicts.
    pub async fn upload_offline_scans(
        &self,
        actor: &Principal,
        scans: Vec<OfflineScanInput>,
    ) -> AppResult<UploadResult> {
        let mut rows = Vec::with_capacity(scans.len());
        let mut gates = HashMap::new();
        // The event the upload is counted under: its first gate's (an
        // upload's gates are one device's, of one event).
        let mut event_code = None;
        for scan in &scans {
            let gate_id = scan.gate_id;
            if let std::collections::hash_map::Entry::Vacant(slot) = gates.entry(gate_id) {
                let mut conn = self.db.get().await?;
                slot.insert(self.gate_zone(&mut conn, gate_id).await?);
            }
            let gate = &gates[&gate_id];
            // Nothing is stored when one scan is for a gate the token may
            // not act for.
            actor.require_gate(gate_id, gate.event_id)?;
            let rules = self.gate_rules(gate.event_id).await?;
            if event_code.is_none() {
                event_code = Some(rules.event_code.clone());
            }
            // The badge as the server reads it: trusted only when it verifies.
            let claims = ParsedToken::parse(ParsedToken::scanned(&scan.qr_text))
                .ok()
                .filter(|t| {
                    rules
                        .keys
                        .get(&t.claims.key_id)
                        .is_some_and(|k| t.verify(k).is_ok())
                        && t.claims.event_tag == rules.event_tag
                })
                .map(|t| t.claims);
            rows.push(DecidedScan {
                gate_id,
                nonce: scan.nonce.clone(),
                event_id: gate.event_id,
                zone_id: gate.zone_id,
                serial: claims.as_ref().map(|c| i64::from(c.serial)),
                version: claims.as_ref().map(|c| i32::from(c.version)),
                direction: scan.direction,
                deny: match scan.decision {
                    Decision::Allow => None,
                    Decision::Deny => Some(scan.deny.unwrap_or(DenyReason::Malformed)),
                },
                scanned_at: scan.scanned_at.unwrap_or_else(crate::domain::now),
            });
        }
        let mut conn = self.db.get().await?;
        // One transaction, committed before the gate is told its scans are
        // stored (an implicit one would commit after the answer).
        let rows_ref = &rows;
        let mut result = crate::domain::transaction(&mut conn, async move |conn| {
            let mut result = UploadResult::default();
            for batch in rows_ref.chunks(UPLOAD_BATCH) {
                let stored = db::gates::insert_decided(conn, batch, true).await?;
                let stored = u32::try_from(stored.len()).unwrap_or(u32::MAX);
                result.stored += stored;
                result.duplicates += u32::try_from(batch.len()).unwrap_or(u32::MAX) - stored;
            }
            Ok(result)
        })
        .await?;
        let nonces: HashSet<(GateId, &str)> =
            rows.iter().map(|r| (r.gate_id, r.nonce.as_str())).collect();
        let serials: Vec<i64> = rows
            .iter()
            .filter_map(|r| r.serial)
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        let events: HashMap<GateId, EventId> =
            gates.iter().map(|(id, g)| (*id, g.event_id)).collect();
        result.conflicts = self
            .conflicts(&mut conn, &serials, &nonces, &events)
            .await?;
        // Kept for the operations board; a conflict found again (a repeated
        // upload) is the row already there. Stored after the scans: an
        // upload cut in between is sent again, and finds them again.
        if !result.conflicts.is_empty() {
            let found: Vec<NewConflict<'_>> = result.conflicts.iter().map(Conflict::row).collect();
            let found = &found;
            crate::domain::transaction(&mut conn, async move |conn| {
                db::operations::record_conflicts(conn, found).await?;
                Ok(())
            })
            .await?;
        }
        if let Some(event) = &event_code {
            crate::meter::offline_upload(
                event,
                result.stored,
                result.duplicates,
                result.conflicts.len(),
            );
        }
        Ok(result)
    }

    /// Conflicts among the recorded scans of these badges that involve one
    /// of `ours`: entries into one zone at two gates without an exit
    /// between (one of them offline), and an offline entry after the badge
    /// was revoked or blocked.
    async fn conflicts(
        &self,
        conn: &mut db::Conn,
        serials: &[i64],
        ours: &HashSet<(GateId, &str)>,
        events: &HashMap<GateId, EventId>,
    ) -> AppResult<Vec<Conflict>> {
        if serials.is_empty() {
            return Ok(Vec::new());
        }
        let scans = db::gates::scans_of(conn, serials).await?;
        let badges = db::gates::revocations_of(conn, serials).await?;
        let blocks: HashMap<i64, DateTime<Utc>> = db::gates::blocks_of(conn, serials)
            .await?
            .into_iter()
            .collect();
        let badge_of: HashMap<(i64, i32), BadgeRevocation> = badges
            .into_iter()
            .map(|(s, v, id, at)| ((s, v), (id, at)))
            .collect();
        let mut by_serial: BTreeMap<i64, Vec<&db::gates::BadgeScan>> = BTreeMap::new();
        for scan in &scans {
            if let Some(serial) = scan.serial {
                by_serial.entry(serial).or_default().push(scan);
            }
        }
        let mut conflicts = Vec::new();
        for (serial, scans) in by_serial {
            // The last entry into each zone not followed by an exit from it.
            let mut entered: HashMap<ZoneId, &db::gates::BadgeScan> = HashMap::new();
            for scan in scans {
                if scan.decision != Decision::Allow {
                    continue;
                }
                let badge = scan.version.and_then(|v| badge_of.get(&(serial, v)));
                let ours_here = ours.contains(&(scan.gate_id, scan.nonce.as_str()));
                if scan.direction == Direction::Out {
                    entered.remove(&scan.zone_id);
                    continue;
                }
                let previous_ours = entered
                    .get(&scan.zone_id)
                    .is_some_and(|p| ours.contains(&(p.gate_id, p.nonce.as_str())));
                let conflict = |kind, involved: &[&db::gates::BadgeScan]| {
                    // The event of the uploading gate (one of the scans is ours).
                    let event_id = involved.iter().find_map(|s| events.get(&s.gate_id))?;
                    Some(Conflict {
                        kind,
                        event_id: *event_id,
                        badge_id: badge.map(|b| b.0),
                        serial,
                        version: scan.version,
                        scans: involved
                            .iter()
                            .map(|s| (s.gate_id, s.nonce.clone()))
                            .collect(),
                        scanned_at: scan.scanned_at,
                    })
                };
                if let Some(previous) = entered.get(&scan.zone_id)
                    && previous.gate_id != scan.gate_id
                    && (previous.offline || scan.offline)
                    && (ours_here || previous_ours)
                {
                    conflicts.extend(conflict(ConflictKind::EnteredTwice, &[previous, scan]));
                }
                if scan.offline && ours_here {
                    if let Some((_, Some(revoked_at))) = badge
                        && scan.scanned_at >= *revoked_at
                    {
                        conflicts.extend(conflict(ConflictKind::AdmittedRevoked, &[scan]));
                    }
                    if let Some(blocked_at) = blocks.get(&serial)
                        && scan.scanned_at >= *blocked_at
                    {
                        conflicts.extend(conflict(ConflictKind::AdmittedBlocked, &[scan]));
                    }
                }
                entered.insert(scan.zone_id, scan);
            }
        }
        Ok(conflicts)
    }
}
