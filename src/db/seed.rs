//! History written straight into the tables, for benchmarks that measure
//! reading it (`bench stats`): the calls that would write it are measured
//! by their own benchmarks.

use diesel::sql_types::{BigInt, Uuid as SqlUuid};
use diesel_async::RunQueryDsl as _;
use uuid::Uuid;

use super::Pool;

/// `count` scans at the event's first gate (by code), alternately in and
/// out, allowed, of badge serials 1 to `badges`, spread over the event's
/// days.
pub async fn scans(pool: &Pool, event_id: Uuid, count: i64, badges: i64) -> anyhow::Result<()> {
    let mut conn = pool.get().await.map_err(|e| anyhow::anyhow!("{e}"))?;
    diesel::sql_query(
        "INSERT INTO scans (gate_id, nonce, event_id, zone_id, serial, version, direction,
                            decision, scanned_at, offline)
         SELECT g.id, 'seed-' || n, g.event_id, g.zone_id, 1 + n % $3, 1,
                CASE WHEN (n / $3) % 2 = 0 THEN 'in' ELSE 'out' END, 'allow',
                (e.first_day::timestamp AT TIME ZONE e.time_zone)
                  + ((n % ((e.last_day - e.first_day + 1) * 10)) * interval '2.4 hours'),
                false
         FROM generate_series(0, $2 - 1) AS n,
              (SELECT * FROM gates WHERE event_id = $1 ORDER BY code LIMIT 1) g
              JOIN events e ON e.id = g.event_id",
    )
    .bind::<SqlUuid, _>(event_id)
    .bind::<BigInt, _>(count)
    .bind::<BigInt, _>(badges.max(1))
    .execute(&mut conn)
    .await?;
    Ok(())
}
