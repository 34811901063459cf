//! Gates: online scans, offline uploads, blocks, occupancy, and the hub
//! that turns PostgreSQL notifications (from any instance) into events for
//! watching gates and for the rules cache.

use std::{
    collections::{BTreeMap, HashMap, HashSet},
    sync::{Arc, RwLock},
    time::Duration,
};

use chrono::{DateTime, Utc};
use futures::StreamExt as _;
use tokio::sync::broadcast;
use uuid::Uuid;

use super::{
    Principal, Services,
    badges::badge_number,
    offline::{Decision, DenyReason, Direction, Rules, Verdict, decide},
    qr::ParsedToken,
    records::audit_row,
};
use crate::{
    db::{
        self,
        gates::{GateZone, OfflineScanRow, ScanInput},
    },
    error::{AppError, AppResult, Reason},
    ids::{BadgeId, EventId, GateId, TokenId, ZoneId},
};

mod scan;
mod upload;

pub(crate) use scan::ScanRequest;
pub(crate) use upload::{Conflict, ConflictKind, OfflineScanInput};

/// How often each instance sends the notification heartbeat.
pub(crate) const HEARTBEAT: Duration = Duration::from_secs(10);

/// A change gates must hear about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GateEvent {
    Revoked {
        event_id: EventId,
        serial: u32,
        version: u16,
        badge_id: BadgeId,
    },
    Blocked {
        event_id: EventId,
        serial: u32,
    },
    Unblocked {
        event_id: EventId,
        serial: u32,
    },
    /// Keys, categories, zones or gates changed.
    Rules {
        event_id: EventId,
    },
    /// Notifications may have been missed (the listening connection was
    /// re-established): everything may have changed.
    Resync,
}

impl GateEvent {
    pub fn event_id(&self) -> Option<EventId> {
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
        let event_id = EventId(parts.next()?.parse().ok()?);
        let serial = parts.next().and_then(|s| s.parse::<u32>().ok());
        let version = parts.next().and_then(|s| s.parse::<u16>().ok());
        let badge_id = parts
            .next()
            .and_then(|s| s.parse::<Uuid>().ok())
            .map(BadgeId);
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
    rules: RwLock<HashMap<EventId, Arc<Rules>>>,
    gates: RwLock<HashMap<GateId, GateZone>>,
    started: std::sync::Once,
    stopping: std::sync::atomic::AtomicBool,
    /// Whether a listening session is open (revocations are heard).
    listening: std::sync::atomic::AtomicBool,
    /// When a notification (or the session's start) was last heard, in
    /// milliseconds since the epoch; 0 before any.
    last_heard_ms: std::sync::atomic::AtomicI64,
}

impl Default for GateHub {
    fn default() -> Self {
        Self {
            events: broadcast::channel(4096).0,
            rules: RwLock::default(),
            gates: RwLock::default(),
            started: std::sync::Once::new(),
            stopping: std::sync::atomic::AtomicBool::new(false),
            listening: std::sync::atomic::AtomicBool::new(false),
            last_heard_ms: std::sync::atomic::AtomicI64::new(0),
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

    fn edit(&self, event_id: EventId, change: impl FnOnce(&mut Rules)) {
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

    /// Whether a listening session is open now.
    pub fn is_listening(&self) -> bool {
        self.listening.load(std::sync::atomic::Ordering::Acquire)
    }

    fn heard(&self) {
        self.last_heard_ms.store(
            chrono::Utc::now().timestamp_millis(),
            std::sync::atomic::Ordering::Relaxed,
        );
    }

    /// Time since a notification (or the start of the listening session)
    /// was last heard; `None` before any. Every instance sends a heartbeat
    /// every [`HEARTBEAT`], so a value well above it means revocations and
    /// blocks are not being heard.
    pub fn notification_age(&self) -> Option<Duration> {
        let last = self
            .last_heard_ms
            .load(std::sync::atomic::Ordering::Relaxed);
        (last > 0).then(|| {
            let now = chrono::Utc::now().timestamp_millis();
            Duration::from_millis(u64::try_from(now.saturating_sub(last)).unwrap_or(0))
        })
    }

    /// A receiver of every event from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<GateEvent> {
        self.events.subscribe()
    }
}

impl Services {
    /// Starts listening to the gate channels once per process.
    pub(crate) fn start_hub(&self) {
        let hub = self.hub.clone();
        let tokens = self.tokens.clone();
        let pool = self.db.clone();
        let (heartbeat_hub, heartbeat_pool) = (hub.clone(), pool.clone());
        hub.clone().started.call_once(move || {
            tokio::spawn(async move {
                let mut failures = 0u32;
                while !hub.is_stopping() {
                    let session = listen_once(&pool, &hub, &tokens, failures > 0).await;
                    hub.listening
                        .store(false, std::sync::atomic::Ordering::Release);
                    match session {
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
            // The heartbeat every listener hears, so that a silent channel
            // is told from a dead one.
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(HEARTBEAT);
                tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                while !heartbeat_hub.is_stopping() {
                    tick.tick().await;
                    if heartbeat_hub.is_listening()
                        && let Err(e) = db::gates::heartbeat(&heartbeat_pool).await
                    {
                        tracing::debug!("notification heartbeat not sent: {e}");
                    }
                }
            });
        });
    }

    /// Starts listening to notifications and waits until it does, at most
    /// `limit`; returns whether it does.
    pub async fn listen_to_notifications(&self, limit: Duration) -> bool {
        self.start_hub();
        let deadline = tokio::time::Instant::now() + limit;
        while !self
            .hub
            .listening
            .load(std::sync::atomic::Ordering::Acquire)
        {
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        true
    }

    /// Subscribes to gate events (starting the listener if needed).
    pub fn gate_events(&self) -> broadcast::Receiver<GateEvent> {
        self.start_hub();
        self.hub.subscribe()
    }

    async fn gate_zone(&self, conn: &mut db::Conn, gate_id: GateId) -> AppResult<GateZone> {
        if let Some(gate) = super::cached(&self.hub.gates, &gate_id) {
            return Ok(gate);
        }
        let gate = db::gates::gate_zone(conn, gate_id).await?.ok_or_else(|| {
            AppError::not_found(Reason::GateNotFound, format!("no gate {gate_id}"))
        })?;
        super::remember(&self.hub.gates, gate_id, gate.clone());
        Ok(gate)
    }

    /// The rules gates of an event decide with (cached, kept current by
    /// notifications).
    pub async fn gate_rules(&self, event_id: EventId) -> AppResult<Arc<Rules>> {
        self.start_hub();
        if let Some(rules) = super::cached(&self.hub.rules, &event_id) {
            return Ok(rules);
        }
        let mut rules = self.event_rules(event_id).await?;
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
        super::remember(&self.hub.rules, event_id, rules.clone());
        Ok(rules)
    }

    /// Every zone of the events not yet over, with who is inside.
    pub async fn current_occupancy(&self) -> AppResult<Vec<db::gates::ZoneCount>> {
        let mut conn = self.db.get().await?;
        Ok(db::gates::current_occupancy(&mut conn).await?)
    }

    /// (zone code, inside, capacity) of every zone of an event.
    pub async fn occupancy(&self, event_id: EventId) -> AppResult<Vec<(String, u32, u32)>> {
        let mut conn = self.db.get().await?;
        let event = self.event(&mut conn, event_id).await?;
        let zones = db::gates::occupancy(&mut conn, event.id).await?;
        Ok(zones
            .into_iter()
            .map(|(code, inside, capacity)| {
                (
                    code,
                    u32::try_from(inside).unwrap_or(0),
                    u32::try_from(capacity).unwrap_or(0),
                )
            })
            .collect())
    }

    /// The event of a gate.
    pub async fn gate_event(&self, gate_id: GateId) -> AppResult<EventId> {
        let mut conn = self.db.get().await?;
        Ok(self.gate_zone(&mut conn, gate_id).await?.event_id)
    }

    /// Applies a change this instance has just committed to its own gate
    /// rules at once: a steward who unblocks a badge and scans it at once
    /// is not refused by the notification still on its way. The
    /// notification (which every instance and watcher gets) then changes
    /// nothing more here.
    pub(crate) fn applied_here(&self, event: GateEvent) {
        self.hub.apply(&event);
    }

    /// Blocks a badge (every version) with a reason.
    pub async fn block_badge(
        &self,
        actor: &Principal,
        badge_id: BadgeId,
        reason: String,
    ) -> AppResult<super::badges::BadgeView> {
        let id = badge_id;
        let mut conn = self.db.get().await?;
        let actor = actor.clone();
        let badge = crate::db::transaction::<_, AppError, _>(&mut conn, async move |conn| {
            let badge = super::badges::existing_badge(conn, id).await?;
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
        self.get_badge(super::badges::BadgeKey::Badge(id)).await
    }

    /// Lifts the block of a badge.
    pub async fn unblock_badge(
        &self,
        actor: &Principal,
        badge_id: BadgeId,
    ) -> AppResult<super::badges::BadgeView> {
        let id = badge_id;
        let mut conn = self.db.get().await?;
        let actor = actor.clone();
        let badge = crate::db::transaction::<_, AppError, _>(&mut conn, async move |conn| {
            let badge = super::badges::existing_badge(conn, id).await?;
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
        self.get_badge(super::badges::BadgeKey::Badge(id)).await
    }
}

/// One listening session: forwards notifications until the connection
/// fails. A session after a failure starts with `Resync`.
async fn listen_once(
    pool: &db::Pool,
    hub: &Arc<GateHub>,
    tokens: &super::auth::TokenCache,
    after_failure: bool,
) -> AppResult<()> {
    let stream = db::gates::listen(pool).await.map_err(AppError::internal)?;
    let mut stream = std::pin::pin!(stream);
    // Tokens cached before this session listened may have been revoked
    // unheard.
    tokens.clear();
    hub.heard();
    hub.listening
        .store(true, std::sync::atomic::Ordering::Release);
    if after_failure {
        hub.apply(&GateEvent::Resync);
        let _ = hub.events.send(GateEvent::Resync);
    }
    while let Some(item) = stream.next().await {
        let (_, payload) = item?;
        hub.heard();
        // A revoked token: `token:<id>:::`.
        if let Some(id) = payload
            .strip_prefix("token:")
            .and_then(|rest| rest.split(':').next())
            .and_then(|id| id.parse::<Uuid>().ok())
        {
            tokens.forget(TokenId(id));
            continue;
        }
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
        let event = EventId(Uuid::from_u128(5));
        let badge = BadgeId(Uuid::from_u128(9));
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
