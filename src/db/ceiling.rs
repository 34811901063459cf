//! What PostgreSQL alone does on this machine: the writes of a registration
//! and of a scan sent straight to it, from the same pool, at the same
//! concurrency and with the same durability (the server's own
//! `synchronous_commit`). The benchmarks quote their figures as a share of
//! these, which holds across machines where absolute figures do not.
//!
//! The tables live in a schema of their own, made for the run and dropped
//! after it.

use std::time::{Duration, Instant};

use diesel::sql_types::{BigInt, Integer, Text, Uuid as SqlUuid};
use diesel_async::{RunQueryDsl as _, SimpleAsyncConnection as _};
use futures::future::try_join_all;
use uuid::Uuid;

use super::{Conn, Pool};

/// The write one call stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// One participant-sized row inserted and committed.
    Registration,
    /// One transaction in one round trip: a scan row inserted, presence
    /// moved, a sharded counter updated.
    Scan,
}

impl Shape {
    /// How a report names it.
    pub fn describe(self) -> &'static str {
        match self {
            Shape::Registration => "single-row insert commits",
            Shape::Scan => "scan-shaped transactions",
        }
    }
}

const SETUP: &str = "
DROP SCHEMA IF EXISTS expopass_ceiling CASCADE;
CREATE SCHEMA expopass_ceiling;
CREATE TABLE expopass_ceiling.registrations (
    id UUID PRIMARY KEY, event_id UUID NOT NULL, given_name TEXT NOT NULL,
    family_name TEXT NOT NULL, email TEXT NOT NULL, country TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX ON expopass_ceiling.registrations (event_id, family_name);
CREATE TABLE expopass_ceiling.scans (
    gate INTEGER NOT NULL, nonce TEXT NOT NULL, serial BIGINT NOT NULL,
    scanned_at TIMESTAMPTZ NOT NULL DEFAULT now(), PRIMARY KEY (gate, nonce)
);
CREATE TABLE expopass_ceiling.presence (serial BIGINT PRIMARY KEY, since TIMESTAMPTZ NOT NULL);
CREATE TABLE expopass_ceiling.counters (shard INTEGER PRIMARY KEY, inside BIGINT NOT NULL);
INSERT INTO expopass_ceiling.counters SELECT s, 0 FROM generate_series(0, 15) s;
";

const REGISTRATION: &str = "INSERT INTO expopass_ceiling.registrations
    (id, event_id, given_name, family_name, email, country) VALUES ($1, $2, $3, $4, $5, 'UZ')";

/// An entry when the badge is outside, a leave when inside: the same rows
/// a scan writes, in one statement (one round trip, one commit).
const SCAN: &str = "WITH s AS (
    INSERT INTO expopass_ceiling.scans (gate, nonce, serial) VALUES ($1, $2, $3)
), gone AS (
    DELETE FROM expopass_ceiling.presence WHERE serial = $3 RETURNING serial
), came AS (
    INSERT INTO expopass_ceiling.presence (serial, since)
    SELECT $3, now() WHERE NOT EXISTS (SELECT 1 FROM gone)
    ON CONFLICT DO NOTHING RETURNING serial
)
UPDATE expopass_ceiling.counters SET inside = inside
    + (SELECT count(*) FROM came) - (SELECT count(*) FROM gone)
WHERE shard = $3 % 16";

async fn one(conn: &mut Conn, shape: Shape, n: i64, event: Uuid) -> diesel::QueryResult<()> {
    match shape {
        Shape::Registration => {
            diesel::sql_query(REGISTRATION)
                .bind::<SqlUuid, _>(Uuid::now_v7())
                .bind::<SqlUuid, _>(event)
                .bind::<Text, _>(format!("Given{n}"))
                .bind::<Text, _>(format!("Family{n}"))
                .bind::<Text, _>(format!("ceiling{n}@bench.example"))
                .execute(conn)
                .await?;
        }
        Shape::Scan => {
            diesel::sql_query(SCAN)
                .bind::<Integer, _>(i32::try_from(n % 8).unwrap_or(0))
                .bind::<Text, _>(format!("ceiling-{n}"))
                .bind::<BigInt, _>(n % 4_000)
                .execute(conn)
                .await?;
        }
    }
    Ok(())
}

/// Calls per second PostgreSQL completes for `shape` with `in_flight`
/// calls at once over `pool`, for `duration`.
pub async fn measure(
    pool: &Pool,
    shape: Shape,
    in_flight: usize,
    duration: Duration,
) -> anyhow::Result<f64> {
    pool.get()
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .batch_execute(SETUP)
        .await?;
    let event = Uuid::now_v7();
    let next = std::sync::atomic::AtomicI64::new(0);
    let started = Instant::now();
    let workers = (0..in_flight.max(1)).map(|_| async {
        while started.elapsed() < duration {
            let n = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let mut conn = pool.get().await.map_err(|e| anyhow::anyhow!("{e}"))?;
            one(&mut conn, shape, n, event).await?;
        }
        anyhow::Ok(())
    });
    let outcome = try_join_all(workers).await;
    let took = started.elapsed().as_secs_f64();
    let done = std::sync::atomic::AtomicI64::load(&next, std::sync::atomic::Ordering::Relaxed);
    pool.get()
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .batch_execute("DROP SCHEMA IF EXISTS expopass_ceiling CASCADE")
        .await?;
    outcome?;
    Ok(done as f64 / took)
}
