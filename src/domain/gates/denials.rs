//! Scans refused for the badge itself (a code that cannot be read, an
//! unknown key, a signature that does not hold, another event's badge):
//! decided without shared state, so answered at once and recorded in the
//! background, many per statement. The operations board and the metrics
//! see them within a fraction of a second; a process killed in between
//! loses at most the refusals of that moment, which a retry of the same
//! scan decides the same way again.

use std::{
    sync::{Arc, OnceLock},
    time::Duration,
};

use tokio::sync::mpsc;

use crate::{
    db::{self, Pool, gates::DecidedScan},
    domain::Services,
};

/// Refusals waiting to be written, at most; beyond, a scan is recorded the
/// ordinary way, in its own transaction.
const QUEUE: usize = 50_000;
/// Refusals written per statement, at most.
const BATCH: usize = 2_000;
/// How long a batch gathers after its first refusal: one commit (one WAL
/// flush) for all that come in meanwhile, rather than one each.
const GATHER: Duration = Duration::from_millis(50);

/// The queue of refusals to write, with its writer, started on first use.
#[derive(Default)]
pub(crate) struct DenialLog {
    queue: OnceLock<mpsc::Sender<DecidedScan>>,
}

impl DenialLog {
    /// Queues a refusal; gives it back when the queue is full.
    fn queue(&self, pool: &Pool, scan: DecidedScan) -> Result<(), DecidedScan> {
        let queue = self.queue.get_or_init(|| {
            let (tx, rx) = mpsc::channel(QUEUE);
            tokio::spawn(write(pool.clone(), rx));
            tx
        });
        queue.try_send(scan).map_err(|e| match e {
            mpsc::error::TrySendError::Full(s) | mpsc::error::TrySendError::Closed(s) => s,
        })
    }
}

/// Writes refusals as they come, in batches, until every sender is gone.
/// A batch that fails is tried again (each (gate, nonce) is stored once).
async fn write(pool: Pool, mut rx: mpsc::Receiver<DecidedScan>) {
    let mut batch = Vec::with_capacity(BATCH);
    while rx.recv_many(&mut batch, BATCH).await > 0 {
        tokio::time::sleep(GATHER).await;
        while batch.len() < BATCH {
            match rx.try_recv() {
                Ok(scan) => batch.push(scan),
                Err(_) => break,
            }
        }
        loop {
            match store(&pool, &batch).await {
                Ok(()) => break,
                Err(e) => {
                    tracing::warn!("refused scans not recorded yet: {e}; trying again");
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
            }
        }
        batch.clear();
    }
}

async fn store(pool: &Pool, batch: &[DecidedScan]) -> anyhow::Result<()> {
    let mut conn = pool.get().await?;
    db::transaction(&mut conn, async |conn| {
        db::gates::insert_decided(conn, batch, false).await
    })
    .await?;
    Ok(())
}

impl Services {
    /// Records a refusal in the background; gives it back when the queue
    /// is full (the caller then records it itself).
    pub(super) fn record_refusal(&self, scan: DecidedScan) -> Result<(), DecidedScan> {
        self.denials.queue(&self.db, scan)
    }
}

/// The log shared by the clones of one `Services`.
pub(crate) type SharedDenialLog = Arc<DenialLog>;
