//! Gates: online scans (`scan`), offline uploads (`upload`), the rules
//! each event's gates decide with (`rules`), and occupancy. Notifications
//! reach them through `domain::hub`.

use std::{sync::Arc, time::Duration};

use tokio::sync::broadcast;

use crate::{
    db::{self, gates::GateZone},
    domain::{Services, cached, hub::GateEvent, keys::verifying_key, offline::Rules, remember},
    error::{AppError, AppResult, Reason},
    ids::{EventId, GateId},
};

mod denials;
mod rules;
mod scan;
mod upload;

pub(crate) use denials::SharedDenialLog;
pub(crate) use scan::ScanRequest;
pub(crate) use upload::OfflineScanInput;

impl Services {
    /// Starts listening to the gate channels once per process.
    pub(crate) fn start_hub(&self) {
        self.hub.start(self.db.clone(), self.tokens.clone());
    }
}

impl Services {
    /// Starts listening to notifications and waits until it does, at most
    /// `limit`; returns whether it does.
    pub async fn listen_to_notifications(&self, limit: Duration) -> bool {
        self.start_hub();
        let deadline = tokio::time::Instant::now() + limit;
        while !self.hub.is_listening() {
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

    /// A gate with its zone: cached, else read with a connection of its own.
    async fn cached_gate_zone(&self, gate_id: GateId) -> AppResult<GateZone> {
        if let Some(gate) = cached(&self.hub.gates, &gate_id) {
            return Ok(gate);
        }
        let mut conn = self.db.get().await?;
        self.gate_zone(&mut conn, gate_id).await
    }

    async fn gate_zone(&self, conn: &mut db::Conn, gate_id: GateId) -> AppResult<GateZone> {
        if let Some(gate) = cached(&self.hub.gates, &gate_id) {
            return Ok(gate);
        }
        let gate = db::gates::gate_zone(conn, gate_id).await?.ok_or_else(|| {
            AppError::not_found(Reason::GateNotFound, format!("no gate {gate_id}"))
        })?;
        remember(&self.hub.gates, gate_id, gate.clone());
        Ok(gate)
    }

    /// The rules gates of an event decide with (cached, kept current by
    /// notifications).
    pub async fn gate_rules(&self, event_id: EventId) -> AppResult<Arc<Rules>> {
        self.start_hub();
        if let Some(rules) = cached(&self.hub.rules, &event_id) {
            return Ok(rules);
        }
        let mut rules = self.event_rules(event_id).await?;
        // Online, the server knows every event's keys: a badge of another
        // event verifies and is refused as WRONG_EVENT (an offline gate,
        // holding only its event's keys, says UNKNOWN_KEY).
        let mut conn = self.db.get().await?;
        for row in db::keys::verifying(&mut conn).await? {
            if let (Ok(key_id), Ok(key)) = (u32::try_from(row.key_id), verifying_key(&row)) {
                rules.keys.entry(key_id).or_insert(key);
            }
        }
        let rules = Arc::new(rules);
        remember(&self.hub.rules, event_id, rules.clone());
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

    /// What this process caches of an event's rules and fields changed
    /// here: forgotten at once, before its notification comes back.
    pub(crate) fn rules_changed_here(&self, event_id: crate::ids::EventId) {
        self.applied_here(GateEvent::Rules { event_id });
    }
}
