//! The notification fan-out: changes gates must hear (revocations,
//! blocks, rule changes), heard on one listening connection per process
//! from PostgreSQL's `expopass_gate` channel (whichever instance or
//! command made them), applied to this process's cache of gate rules and
//! sent on to every `WatchGate` stream. A revoked token's notification
//! empties it from the token cache.

use std::{
    collections::HashMap,
    sync::{
        Arc, RwLock,
        atomic::{AtomicBool, AtomicI64, Ordering},
    },
    time::Duration,
};

use futures::StreamExt as _;
use tokio::sync::broadcast;
use uuid::Uuid;

use crate::{
    db::{self, Pool, gates::GateZone},
    domain::{auth::TokenCache, fields::EventFields, offline::Rules},
    error::{AppError, AppResult},
    ids::{BadgeId, EventId, GateId, TokenId},
};

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
    /// The rules each event's gates decide with.
    pub(crate) rules: RwLock<HashMap<EventId, Arc<Rules>>>,
    /// Gates with their zones.
    pub(crate) gates: RwLock<HashMap<GateId, GateZone>>,
    /// Each event's custom fields (cleared with its rules).
    pub(crate) fields: RwLock<HashMap<EventId, Arc<EventFields>>>,
    started: std::sync::Once,
    stopping: AtomicBool,
    /// Whether a listening session is open (revocations are heard).
    listening: AtomicBool,
    /// When a notification (or the session's start) was last heard, in
    /// milliseconds since the epoch; 0 before any.
    last_heard_ms: AtomicI64,
}

impl Default for GateHub {
    fn default() -> Self {
        Self {
            events: broadcast::channel(4096).0,
            rules: RwLock::default(),
            gates: RwLock::default(),
            fields: RwLock::default(),
            started: std::sync::Once::new(),
            stopping: AtomicBool::new(false),
            listening: AtomicBool::new(false),
            last_heard_ms: AtomicI64::new(0),
        }
    }
}

impl GateHub {
    /// Applies a change to the cached rules.
    pub(crate) fn apply(&self, event: &GateEvent) {
        match event {
            GateEvent::Rules { event_id } => {
                // Every event's rules hold every event's keys.
                if let Ok(mut rules) = self.rules.write() {
                    rules.clear();
                }
                if let Ok(mut gates) = self.gates.write() {
                    gates.retain(|_, g| g.event_id != *event_id);
                }
                if let Ok(mut fields) = self.fields.write() {
                    fields.remove(event_id);
                }
            }
            GateEvent::Resync => {
                if let Ok(mut rules) = self.rules.write() {
                    rules.clear();
                }
                if let Ok(mut gates) = self.gates.write() {
                    gates.clear();
                }
                if let Ok(mut fields) = self.fields.write() {
                    fields.clear();
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
        self.stopping.store(true, Ordering::Relaxed);
    }

    fn is_stopping(&self) -> bool {
        self.stopping.load(Ordering::Relaxed)
    }

    /// Whether a listening session is open now.
    pub fn is_listening(&self) -> bool {
        self.listening.load(Ordering::Acquire)
    }

    fn heard(&self) {
        self.last_heard_ms
            .store(chrono::Utc::now().timestamp_millis(), Ordering::Relaxed);
    }

    /// Time since a notification (or the start of the listening session)
    /// was last heard; `None` before any. Every instance sends a heartbeat
    /// every [`HEARTBEAT`], so a value well above it means revocations and
    /// blocks are not being heard.
    pub fn notification_age(&self) -> Option<Duration> {
        let last = self.last_heard_ms.load(Ordering::Relaxed);
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

impl GateHub {
    /// Starts listening to the gate channel once per process: a session
    /// that fails is opened again, and every instance's heartbeat is sent
    /// so that a silent channel is told from a dead one.
    pub(crate) fn start(self: &Arc<Self>, pool: Pool, tokens: Arc<TokenCache>) {
        let hub = self.clone();
        let (heartbeat_hub, heartbeat_pool) = (hub.clone(), pool.clone());
        hub.clone().started.call_once(move || {
            tokio::spawn(async move {
                let mut failures = 0u32;
                while !hub.is_stopping() {
                    let session = listen_once(&pool, &hub, &tokens, failures > 0).await;
                    hub.listening.store(false, Ordering::Release);
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
}

/// One listening session: forwards notifications until the connection
/// fails. A session after a failure starts with `Resync`.
async fn listen_once(
    pool: &Pool,
    hub: &Arc<GateHub>,
    tokens: &TokenCache,
    after_failure: bool,
) -> AppResult<()> {
    let stream = db::gates::listen(pool).await.map_err(AppError::internal)?;
    let mut stream = std::pin::pin!(stream);
    // Tokens cached before this session listened may have been revoked
    // unheard.
    tokens.clear();
    hub.heard();
    hub.listening.store(true, Ordering::Release);
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
    use uuid::Uuid;

    use super::GateEvent;
    use crate::ids::{BadgeId, EventId};

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
