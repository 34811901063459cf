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

/// Calls per second of `one` with `in_flight` calls at once over `pool`,
/// for `duration`; `one` gets the call's number.
async fn closed_loop<F, Fut>(
    pool: &Pool,
    in_flight: usize,
    duration: Duration,
    one: F,
) -> anyhow::Result<f64>
where
    F: Fn(super::PooledConn, i64) -> Fut,
    Fut: Future<Output = anyhow::Result<()>>,
{
    let next = std::sync::atomic::AtomicI64::new(0);
    let started = Instant::now();
    let workers = (0..in_flight.max(1)).map(|_| async {
        while started.elapsed() < duration {
            let n = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let conn = pool.get().await.map_err(|e| anyhow::anyhow!("{e}"))?;
            one(conn, n).await?;
        }
        anyhow::Ok(())
    });
    try_join_all(workers).await?;
    let done = std::sync::atomic::AtomicI64::load(&next, std::sync::atomic::Ordering::Relaxed);
    Ok(done as f64 / started.elapsed().as_secs_f64())
}

/// The server's own registration statement sent straight to PostgreSQL
/// (`participants::register_one` in its explicit transaction: participant,
/// audit row and idempotency key), each call a new visitor of the event in
/// `category_id`, one in four with a travel document as `bench register`
/// sends them: registrations per second.
pub async fn own_registrations(
    pool: &Pool,
    event_id: crate::ids::EventId,
    category_id: crate::ids::CategoryId,
    in_flight: usize,
    duration: Duration,
) -> anyhow::Result<f64> {
    use crate::{db::models::ParticipantStatus, ids::ParticipantId};
    let run = Uuid::now_v7().simple().to_string();
    closed_loop(pool, in_flight, duration, |mut conn, n| {
        let run = run.clone();
        async move {
            let now = chrono::Utc::now();
            let document = (n % 4 == 0).then(|| Uuid::now_v7().as_bytes().repeat(3));
            let row = super::models::Participant {
                id: ParticipantId::generate(),
                event_id,
                given_name: format!("Given{n}"),
                family_name: format!("Family{n}"),
                native_name: String::new(),
                given_key: format!("given{n}"),
                family_key: format!("family{n}"),
                organization_id: None,
                country: "UZ".to_owned(),
                job_title: "Engineer".to_owned(),
                category_id,
                delegation_id: None,
                email: format!("own{run}.{n}@bench.example"),
                phone: "+998 71 200 00 00".to_owned(),
                document_hash: document.as_ref().map(|d| d[..32].to_vec()),
                document_cipher: document,
                status: ParticipantStatus::Active,
                cancel_reason: String::new(),
                version: 1,
                created_at: now,
                updated_at: now,
                external_ref: String::new(),
                answers: serde_json::json!({}),
                answer_text: String::new(),
            };
            let request_id = format!("own-{run}-{n}");
            let fingerprint = [7u8; 32];
            super::transaction(&mut conn, async |conn| {
                super::participants::register_one(conn, &request_id, &fingerprint, &row, None).await
            })
            .await?;
            Ok(())
        }
    })
    .await
}

/// The server's own scan statement sent straight to PostgreSQL
/// (`gates::scan`: `gate_scan` in its explicit transaction), over `gates`
/// and the badges `(serial, version)`, each badge in and out in turn as
/// `bench scan` sends them, at `at`: scans per second.
pub async fn own_scans(
    pool: &Pool,
    gates: &[crate::ids::GateId],
    badges: &[(i64, i32)],
    at: chrono::DateTime<chrono::Utc>,
    in_flight: usize,
    duration: Duration,
) -> anyhow::Result<f64> {
    anyhow::ensure!(
        !gates.is_empty() && !badges.is_empty(),
        "no gates or badges"
    );
    let mut zones = Vec::with_capacity(gates.len());
    {
        let mut conn = pool.get().await.map_err(|e| anyhow::anyhow!("{e}"))?;
        for gate in gates {
            let zone = super::gates::gate_zone(&mut conn, *gate)
                .await?
                .ok_or_else(|| anyhow::anyhow!("no gate {gate}"))?;
            zones.push(zone);
        }
    }
    let run = Uuid::now_v7().simple().to_string();
    let (zones, run) = (&zones, &run);
    closed_loop(pool, in_flight, duration, |mut conn, n| async move {
        let n = usize::try_from(n).unwrap_or(0);
        let (serial, version) = badges[n % badges.len()];
        let gate = n % gates.len();
        let nonce = format!("own-{run}-{n}");
        let input = super::gates::ScanInput {
            gate_id: gates[gate],
            nonce: &nonce,
            event_id: zones[gate].event_id,
            zone_id: zones[gate].zone_id,
            serial: Some(serial),
            version: Some(version),
            direction: if (n / badges.len()).is_multiple_of(2) {
                crate::vocab::Direction::In
            } else {
                crate::vocab::Direction::Out
            },
            scanned_at: at,
            deny: None,
            names: false,
        };
        super::gates::scan(&mut conn, &input).await?;
        Ok(())
    })
    .await
}
