//! Gates: online scans, offline uploads, blocks, occupancy, and the hub
//! that turns PostgreSQL notifications (from any instance) into events for
//! watching gates and for the rules cache.

use std::{
    collections::{BTreeMap, HashMap, HashSet},
    sync::{Arc, RwLock},
    time::Duration,
};

use chrono::{DateTime, Utc};
use diesel_async::AsyncConnection as _;
use futures::StreamExt as _;
use tokio::sync::broadcast;
use uuid::Uuid;

use super::{
    Principal, Services,
    badges::badge_number,
    offline::{DenyReason, Rules, decide},
    qr::ParsedToken,
    records::audit_row,
    validate::Validator,
};
use crate::{
    db::{
        self,
        gates::{GateZone, OfflineScanRow, ScanInput},
    },
    error::{AppError, AppResult},
};

/// Longest QR text looked at; longer input is malformed without parsing.
const MAX_QR_TEXT: usize = 512;
/// Offline scans stored per statement.
const UPLOAD_BATCH: usize = 1_000;

/// A change gates must hear about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GateEvent {
    Revoked {
        event_id: Uuid,
        serial: u32,
        version: u16,
        badge_id: Uuid,
    },
    Blocked {
        event_id: Uuid,
        serial: u32,
    },
    Unblocked {
        event_id: Uuid,
        serial: u32,
    },
    /// Keys, categories, zones or gates changed.
    Rules {
        event_id: Uuid,
    },
    /// Notifications may have been missed (the listening connection was
    /// re-established): everything may have changed.
    Resync,
}

impl GateEvent {
    pub fn event_id(&self) -> Option<Uuid> {
        match self {
            GateEvent::Revoked { event_id, .. }
            | GateEvent::Blocked { event_id, .. }
            | GateEvent::Unblocked { event_id, .. }
            | GateEvent::Rules { event_id } => Some(*event_id),
            GateEvent::Resync => None,
        }
    }

    fn parse(payload: &str) -> Option<GateEvent> {
        let mut parts = payload.split(':');
        let kind = parts.next()?;
        let event_id: Uuid = parts.next()?.parse().ok()?;
        let serial = parts.next().and_then(|s| s.parse::<u32>().ok());
        let version = parts.next().and_then(|s| s.parse::<u16>().ok());
        let badge_id = parts.next().and_then(|s| s.parse::<Uuid>().ok());
        Some(match kind {
            "revoked" => GateEvent::Revoked {
                event_id,
                serial: serial?,
                version: version?,
                badge_id: badge_id?,
            },
            "blocked" => GateEvent::Blocked {
                event_id,
                serial: serial?,
            },
            "unblocked" => GateEvent::Unblocked {
                event_id,
                serial: serial?,
            },
            _ => GateEvent::Rules { event_id },
        })
    }
}

/// Notifications fanned out in this process, and the rules each event's
/// gates decide with.
pub struct GateHub {
    events: broadcast::Sender<GateEvent>,
    rules: RwLock<HashMap<Uuid, Arc<Rules>>>,
    gates: RwLock<HashMap<Uuid, GateZone>>,
    started: std::sync::Once,
    stopping: std::sync::atomic::AtomicBool,
}

impl Default for GateHub {
    fn default() -> Self {
        Self {
            events: broadcast::channel(4096).0,
            rules: RwLock::default(),
            gates: RwLock::default(),
            started: std::sync::Once::new(),
            stopping: std::sync::atomic::AtomicBool::new(false),
        }
    }
}

impl GateHub {
    fn apply(&self, event: &GateEvent) {
        match event {
            GateEvent::Rules { event_id } => {
                // Every event's rules hold every event's keys.
                if let Ok(mut rules) = self.rules.write() {
                    rules.clear();
                }
                if let Ok(mut gates) = self.gates.write() {
                    gates.retain(|_, g| g.event_id != *event_id);
                }
            }
            GateEvent::Resync => {
                if let Ok(mut rules) = self.rules.write() {
                    rules.clear();
                }
                if let Ok(mut gates) = self.gates.write() {
                    gates.clear();
                }
            }
            GateEvent::Revoked {
                event_id,
                serial,
                version,
                ..
            } => self.edit(*event_id, |r| {
                r.revoked.insert((*serial, *version));
            }),
            GateEvent::Blocked { event_id, serial } => self.edit(*event_id, |r| {
                r.blocked.insert(*serial);
            }),
            GateEvent::Unblocked { event_id, serial } => self.edit(*event_id, |r| {
                r.blocked.remove(serial);
            }),
        }
    }

    fn edit(&self, event_id: Uuid, change: impl FnOnce(&mut Rules)) {
        if let Ok(mut rules) = self.rules.write()
            && let Some(current) = rules.get_mut(&event_id)
        {
            change(Arc::make_mut(current));
        }
    }

    /// Stops listening (the process is shutting down).
    pub fn stop(&self) {
        self.stopping
            .store(true, std::sync::atomic::Ordering::Relaxed);
    }

    fn is_stopping(&self) -> bool {
        self.stopping.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// A receiver of every event from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<GateEvent> {
        self.events.subscribe()
    }
}

/// What a gate sent.
#[derive(Debug, Clone)]
pub struct ScanRequest {
    pub gate_id: String,
    pub qr_text: String,
    pub exit: bool,
    pub nonce: String,
    pub scanned_at: Option<DateTime<Utc>>,
}

/// What a gate shows.
#[derive(Debug, Clone)]
pub struct ScanResult {
    pub deny: Option<DenyReason>,
    pub category_code: String,
    pub category_color: String,
    pub badge_number: String,
    /// Only where the event allows names at gates.
    pub holder_name: String,
}

/// A scan a gate decided offline.
#[derive(Debug, Clone)]
pub struct OfflineScanInput {
    pub gate_id: String,
    pub nonce: String,
    pub scanned_at: Option<DateTime<Utc>>,
    pub qr_text: String,
    pub exit: bool,
    pub allowed: bool,
    pub deny: Option<DenyReason>,
}

/// A badge's id and when it was revoked, if it was.
type BadgeRevocation = (Uuid, Option<DateTime<Utc>>);

/// A conflict found among scans.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    pub badge_id: Option<Uuid>,
    pub description: String,
    pub nonces: Vec<String>,
}

/// The outcome of an upload.
#[derive(Debug, Clone, Default)]
pub struct UploadResult {
    pub stored: u32,
    pub duplicates: u32,
    pub conflicts: Vec<Conflict>,
}

/// Whether a refusal concerns the badge itself (and so refuses exits too).
fn refuses_exit(reason: DenyReason) -> bool {
    matches!(
        reason,
        DenyReason::Malformed
            | DenyReason::UnknownKey
            | DenyReason::BadSignature
            | DenyReason::WrongEvent
    )
}

impl Services {
    /// Starts listening to the gate channels once per process.
    fn start_hub(&self) {
        let hub = self.hub.clone();
        let pool = self.db.clone();
        hub.clone().started.call_once(move || {
            tokio::spawn(async move {
                let mut failures = 0u32;
                while !hub.is_stopping() {
                    match listen_once(&pool, &hub, failures > 0).await {
                        Ok(()) => failures = 0,
                        Err(_) if hub.is_stopping() => return,
                        Err(e) => {
                            if failures == 0 {
                                tracing::warn!("gate notifications interrupted: {e}; reconnecting");
                            }
                            failures = failures.saturating_add(1);
                        }
                    }
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
            });
        });
    }

    /// Subscribes to gate events (starting the listener if needed).
    pub fn gate_events(&self) -> broadcast::Receiver<GateEvent> {
        self.start_hub();
        self.hub.subscribe()
    }

    async fn gate_zone(&self, conn: &mut db::Conn, gate_id: Uuid) -> AppResult<GateZone> {
        if let Some(gate) = self
            .hub
            .gates
            .read()
            .ok()
            .and_then(|g| g.get(&gate_id).cloned())
        {
            return Ok(gate);
        }
        let gate = db::gates::gate_zone(conn, gate_id)
            .await?
            .ok_or_else(|| AppError::not_found("GATE_NOT_FOUND", format!("no gate {gate_id}")))?;
        if let Ok(mut gates) = self.hub.gates.write() {
            gates.insert(gate_id, gate.clone());
        }
        Ok(gate)
    }

    /// The rules gates of an event decide with (cached, kept current by
    /// notifications).
    pub async fn gate_rules(&self, event_id: Uuid) -> AppResult<Arc<Rules>> {
        self.start_hub();
        if let Some(rules) = self
            .hub
            .rules
            .read()
            .ok()
            .and_then(|r| r.get(&event_id).cloned())
        {
            return Ok(rules);
        }
        let bytes = self.offline_bundle(event_id).await?;
        let mut rules = Rules::from_bundle(&bytes).map_err(AppError::internal)?;
        // Online, the server knows every event's keys: a badge of another
        // event verifies and is refused as WRONG_EVENT (an offline gate,
        // holding only its event's keys, says UNKNOWN_KEY).
        let mut conn = self.db.get().await?;
        for row in db::keys::verifying(&mut conn).await? {
            if let (Ok(key_id), Ok(key)) =
                (u32::try_from(row.key_id), super::keys::verifying_key(&row))
            {
                rules.keys.entry(key_id).or_insert(key);
            }
        }
        let rules = Arc::new(rules);
        if let Ok(mut cache) = self.hub.rules.write() {
            cache.insert(event_id, rules.clone());
        }
        Ok(rules)
    }

    /// Decides one scan online and records it.
    pub async fn scan(&self, _actor: &Principal, input: ScanRequest) -> AppResult<ScanResult> {
        let mut v = Validator::new();
        let gate_id = v.id("gate_id", &input.gate_id).unwrap_or_default();
        let nonce = input.nonce.trim();
        if nonce.is_empty() || nonce.chars().count() > 64 {
            v.violation("nonce", "1 to 64 characters");
        }
        v.finish()?;
        // Gate and rules first (cached; filling them takes connections of
        // their own), then one connection for the scan.
        let gate = {
            let mut conn = self.db.get().await?;
            self.gate_zone(&mut conn, gate_id).await?
        };
        let rules = self.gate_rules(gate.event_id).await?;
        let mut conn = self.db.get().await?;
        let at = input.scanned_at.unwrap_or_else(super::now);
        let zone = u8::try_from(gate.zone_number).ok();
        let verdict = if input.qr_text.len() > MAX_QR_TEXT {
            super::offline::Verdict {
                claims: None,
                deny: Some(DenyReason::Malformed),
            }
        } else {
            decide(&rules, &input.qr_text, zone, at)
        };
        let deny = match verdict.deny {
            Some(reason) if input.exit && !refuses_exit(reason) => None,
            other => other,
        };
        // The badge is known only when its signature holds for this event.
        let badge = verdict
            .claims
            .as_ref()
            .filter(|_| !deny.is_some_and(refuses_exit));
        let outcome = db::gates::scan(
            &mut conn,
            &ScanInput {
                gate_id,
                nonce,
                event_id: gate.event_id,
                zone_id: gate.zone_id,
                serial: badge.map(|c| i64::from(c.serial)),
                version: badge.map(|c| i32::from(c.version)),
                direction: if input.exit { "out" } else { "in" },
                scanned_at: at,
                deny: deny.map(DenyReason::code),
            },
        )
        .await?;
        let deny = match outcome.decision.as_str() {
            "allow" => None,
            _ => Some(
                outcome
                    .reason
                    .as_deref()
                    .and_then(DenyReason::from_code)
                    .unwrap_or(DenyReason::Malformed),
            ),
        };
        let mut result = ScanResult {
            deny,
            category_code: String::new(),
            category_color: String::new(),
            badge_number: String::new(),
            holder_name: String::new(),
        };
        if let Some(claims) = badge {
            result.badge_number = badge_number(i64::from(claims.serial), i32::from(claims.version));
            if let Some(category) = rules.categories.get(&claims.category) {
                result.category_code = category.code.clone();
                result.category_color = category.color.clone();
            }
            let event = self.event(&mut conn, gate.event_id).await?;
            if event.names_at_gates
                && let Some((given, family)) =
                    db::gates::holder_name(&mut conn, i64::from(claims.serial)).await?
            {
                result.holder_name = format!("{given} {family}");
            }
        }
        Ok(result)
    }

    /// Stores scans decided offline, once each, and reports conflicts.
    pub async fn upload_offline_scans(
        &self,
        _actor: &Principal,
        scans: Vec<OfflineScanInput>,
    ) -> AppResult<UploadResult> {
        let mut rows = Vec::with_capacity(scans.len());
        let mut v = Validator::new();
        let mut gates = HashMap::new();
        for (i, scan) in scans.iter().enumerate() {
            let Some(gate_id) = v.id(&format!("scans[{i}].gate_id"), &scan.gate_id) else {
                continue;
            };
            let nonce = scan.nonce.trim();
            if nonce.is_empty() || nonce.chars().count() > 64 {
                v.violation(&format!("scans[{i}].nonce"), "1 to 64 characters");
                continue;
            }
            if let std::collections::hash_map::Entry::Vacant(slot) = gates.entry(gate_id) {
                let mut conn = self.db.get().await?;
                slot.insert(self.gate_zone(&mut conn, gate_id).await?);
            }
            let gate = &gates[&gate_id];
            let rules = self.gate_rules(gate.event_id).await?;
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
            rows.push(OfflineScanRow {
                gate_id,
                nonce: nonce.to_owned(),
                event_id: gate.event_id,
                zone_id: gate.zone_id,
                serial: claims.as_ref().map(|c| i64::from(c.serial)),
                version: claims.as_ref().map(|c| i32::from(c.version)),
                direction: if scan.exit { "out" } else { "in" }.to_owned(),
                decision: if scan.allowed { "allow" } else { "deny" }.to_owned(),
                reason: if scan.allowed {
                    None
                } else {
                    Some(scan.deny.unwrap_or(DenyReason::Malformed).code().to_owned())
                },
                scanned_at: scan.scanned_at.unwrap_or_else(super::now),
                offline: true,
            });
        }
        v.finish()?;
        let mut conn = self.db.get().await?;
        let mut result = UploadResult::default();
        for batch in rows.chunks(UPLOAD_BATCH) {
            let stored = db::gates::insert_offline(&mut conn, batch).await?;
            let stored = u32::try_from(stored.len()).unwrap_or(u32::MAX);
            result.stored += stored;
            result.duplicates += u32::try_from(batch.len()).unwrap_or(u32::MAX) - stored;
        }
        let nonces: HashSet<(Uuid, &str)> =
            rows.iter().map(|r| (r.gate_id, r.nonce.as_str())).collect();
        let serials: Vec<i64> = rows
            .iter()
            .filter_map(|r| r.serial)
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        result.conflicts = self.conflicts(&mut conn, &serials, &nonces).await?;
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
        ours: &HashSet<(Uuid, &str)>,
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
            let mut entered: HashMap<Uuid, &db::gates::BadgeScan> = HashMap::new();
            for scan in scans {
                if scan.decision != "allow" {
                    continue;
                }
                let badge = scan.version.and_then(|v| badge_of.get(&(serial, v)));
                let ours_here = ours.contains(&(scan.gate_id, scan.nonce.as_str()));
                if scan.direction == "out" {
                    entered.remove(&scan.zone_id);
                    continue;
                }
                if let Some(previous) = entered.get(&scan.zone_id)
                    && previous.gate_id != scan.gate_id
                    && (previous.offline || scan.offline)
                    && (ours_here || ours.contains(&(previous.gate_id, previous.nonce.as_str())))
                {
                    conflicts.push(Conflict {
                        badge_id: badge.map(|b| b.0),
                        description: "entered the same zone at two gates without leaving it, at least once offline"
                            .to_owned(),
                        nonces: vec![previous.nonce.clone(), scan.nonce.clone()],
                    });
                }
                if scan.offline && ours_here {
                    if let Some((id, Some(revoked_at))) = badge
                        && scan.scanned_at >= *revoked_at
                    {
                        conflicts.push(Conflict {
                            badge_id: Some(*id),
                            description: "admitted offline after it was revoked".to_owned(),
                            nonces: vec![scan.nonce.clone()],
                        });
                    }
                    if let Some(blocked_at) = blocks.get(&serial)
                        && scan.scanned_at >= *blocked_at
                    {
                        conflicts.push(Conflict {
                            badge_id: badge.map(|b| b.0),
                            description: "admitted offline while blocked".to_owned(),
                            nonces: vec![scan.nonce.clone()],
                        });
                    }
                }
                entered.insert(scan.zone_id, scan);
            }
        }
        Ok(conflicts)
    }

    /// (zone code, inside, capacity) of every zone of an event.
    pub async fn occupancy(&self, event_id: &str) -> AppResult<(Uuid, Vec<(String, u32, u32)>)> {
        let mut conn = self.db.get().await?;
        let event = self.existing_event(&mut conn, "event_id", event_id).await?;
        let zones = db::gates::occupancy(&mut conn, event.id).await?;
        Ok((
            event.id,
            zones
                .into_iter()
                .map(|(code, inside, capacity)| {
                    (
                        code,
                        u32::try_from(inside).unwrap_or(0),
                        u32::try_from(capacity).unwrap_or(0),
                    )
                })
                .collect(),
        ))
    }

    /// The event of a gate, checked.
    pub async fn gate_event(&self, gate_id: &str) -> AppResult<Uuid> {
        let mut v = Validator::new();
        let gate_id = v.id("gate_id", gate_id).unwrap_or_default();
        v.finish()?;
        let mut conn = self.db.get().await?;
        Ok(self.gate_zone(&mut conn, gate_id).await?.event_id)
    }

    /// Blocks a badge (every version) with a reason.
    pub async fn block_badge(
        &self,
        actor: &Principal,
        badge_id: &str,
        reason: &str,
    ) -> AppResult<super::badges::BadgeView> {
        let mut v = Validator::new();
        let id = v.id("badge_id", badge_id).unwrap_or_default();
        let reason = v.text("reason", reason, 500, false);
        v.finish()?;
        let mut conn = self.db.get().await?;
        let actor = *actor;
        conn.transaction::<_, AppError, _>(async move |conn| {
            let (badge, _) = db::badges::find(conn, id)
                .await?
                .ok_or_else(|| AppError::not_found("BADGE_NOT_FOUND", format!("no badge {id}")))?;
            if db::gates::block(conn, badge.event_id, badge.serial, &reason).await? {
                db::audit::record(conn, &audit_row(&actor, "badge.block", "badge", id, "")).await?;
            }
            Ok(())
        })
        .await?;
        drop(conn);
        self.get_badge(super::badges::BadgeKey::Badge(id.to_string()))
            .await
    }

    /// Lifts the block of a badge.
    pub async fn unblock_badge(
        &self,
        actor: &Principal,
        badge_id: &str,
    ) -> AppResult<super::badges::BadgeView> {
        let mut v = Validator::new();
        let id = v.id("badge_id", badge_id).unwrap_or_default();
        v.finish()?;
        let mut conn = self.db.get().await?;
        let actor = *actor;
        conn.transaction::<_, AppError, _>(async move |conn| {
            let (badge, _) = db::badges::find(conn, id)
                .await?
                .ok_or_else(|| AppError::not_found("BADGE_NOT_FOUND", format!("no badge {id}")))?;
            if db::gates::unblock(conn, badge.serial).await? {
                db::audit::record(conn, &audit_row(&actor, "badge.unblock", "badge", id, ""))
                    .await?;
            }
            Ok(())
        })
        .await?;
        drop(conn);
        self.get_badge(super::badges::BadgeKey::Badge(id.to_string()))
            .await
    }
}

/// One listening session: forwards notifications until the connection
/// fails. A session after a failure starts with `Resync`.
async fn listen_once(pool: &db::Pool, hub: &Arc<GateHub>, after_failure: bool) -> AppResult<()> {
    let stream = db::gates::listen(pool).await.map_err(AppError::internal)?;
    let mut stream = std::pin::pin!(stream);
    if after_failure {
        hub.apply(&GateEvent::Resync);
        let _ = hub.events.send(GateEvent::Resync);
    }
    while let Some(item) = stream.next().await {
        let (_, payload) = item?;
        if let Some(event) = GateEvent::parse(&payload) {
            hub.apply(&event);
            // No receiver is fine: nobody is watching.
            let _ = hub.events.send(event);
        }
    }
    Err(AppError::internal(anyhow::anyhow!(
        "notification stream ended"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notifications_parse() {
        let event = Uuid::from_u128(5);
        let badge = Uuid::from_u128(9);
        assert_eq!(
            GateEvent::parse(&format!("revoked:{event}:1042:2:{badge}")),
            Some(GateEvent::Revoked {
                event_id: event,
                serial: 1042,
                version: 2,
                badge_id: badge
            })
        );
        assert_eq!(
            GateEvent::parse(&format!("blocked:{event}:7::")),
            Some(GateEvent::Blocked {
                event_id: event,
                serial: 7
            })
        );
        assert_eq!(
            GateEvent::parse(&format!("rules:{event}:::")),
            Some(GateEvent::Rules { event_id: event })
        );
        assert_eq!(GateEvent::parse("garbage"), None);
    }
}
