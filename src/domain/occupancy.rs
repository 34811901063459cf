//! Live occupancy for `WatchOccupancy`: one reader of the counters per
//! event and process, however many streams watch it.
//!
//! Scans change the counters in PostgreSQL without a notification per scan
//! (a notification cost more than the scan), so occupancy is read: every
//! 250 ms, by one task per watched event, which publishes the snapshot on
//! a `watch` channel. Each stream sends its client what changed since what
//! it last sent; a client that does not read holds no queue, it only falls
//! behind to the newest snapshot. The task ends when its last stream has
//! gone.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use chrono::{DateTime, Utc};
use tokio::sync::watch;

use super::Services;
use crate::{error::AppResult, ids::EventId};

/// How often a watched event's counters are read.
pub(crate) const POLL: Duration = Duration::from_millis(250);

/// People inside each zone of an event at a moment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snapshot {
    /// (zone code, inside, capacity), in zone order.
    pub zones: Vec<(String, u32, u32)>,
    pub as_of: DateTime<Utc>,
}

/// The readers of this process, by event.
#[derive(Debug, Default)]
pub struct OccupancyHub {
    events: Mutex<HashMap<EventId, watch::Sender<Arc<Snapshot>>>>,
}

impl Services {
    /// The event's occupancy now, and a receiver of every later snapshot.
    pub async fn watch_occupancy(
        &self,
        event_id: EventId,
    ) -> AppResult<(Arc<Snapshot>, watch::Receiver<Arc<Snapshot>>)> {
        let zones = self.occupancy(event_id).await?;
        let event = event_id;
        let now = Arc::new(Snapshot {
            zones,
            as_of: super::now(),
        });
        let Ok(mut events) = self.occupancy_hub.events.lock() else {
            return Err(crate::error::AppError::internal(anyhow::anyhow!(
                "the occupancy hub is poisoned"
            )));
        };
        // A reader leaves the map under this lock, and only when nobody
        // subscribed: a sender found here has a reader behind it.
        let receiver = match events.get(&event) {
            Some(sender) => sender.subscribe(),
            None => {
                let (sender, receiver) = watch::channel(now.clone());
                events.insert(event, sender.clone());
                tokio::spawn(self.clone().read_occupancy(event, sender));
                receiver
            }
        };
        Ok((now, receiver))
    }

    /// Reads the counters of `event` until nobody watches it any more.
    async fn read_occupancy(self, event: EventId, sender: watch::Sender<Arc<Snapshot>>) {
        let mut tick = tokio::time::interval(POLL);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let id = event;
        loop {
            tick.tick().await;
            if sender.receiver_count() == 0 {
                // Unregistered under the lock, so a new watcher either
                // found this sender with a receiver or starts a new task.
                if let Ok(mut events) = self.occupancy_hub.events.lock()
                    && sender.receiver_count() == 0
                {
                    events.remove(&event);
                    return;
                }
                continue;
            }
            match self.occupancy(id).await {
                Ok(zones) => {
                    sender.send_if_modified(|current| {
                        if current.zones == zones {
                            return false;
                        }
                        *current = Arc::new(Snapshot {
                            zones,
                            as_of: super::now(),
                        });
                        true
                    });
                }
                Err(e) => {
                    tracing::warn!(reason = e.reason.as_str(), %event, "occupancy not read: {e}")
                }
            }
        }
    }
}
