//! What the operations board reads: scans per minute, the latest denials,
//! each gate's state; and the reports gate devices send.

use chrono::{DateTime, Utc};
use diesel::sql_types::{BigInt, Bool, Integer, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::RunQueryDsl as _;

use crate::ids::{EventId, GateId};

use super::Conn;

/// Scans of one minute.
#[derive(Debug, Clone, diesel::QueryableByName)]
pub(crate) struct MinuteRow {
    #[diesel(sql_type = Timestamptz)]
    pub minute: DateTime<Utc>,
    #[diesel(sql_type = BigInt)]
    pub allowed: i64,
    #[diesel(sql_type = BigInt)]
    pub denied: i64,
}

/// A denied scan.
#[derive(Debug, Clone, diesel::QueryableByName)]
pub(crate) struct IncidentRow {
    #[diesel(sql_type = Timestamptz)]
    pub at: DateTime<Utc>,
    #[diesel(sql_type = Text)]
    pub gate_code: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub reason: Option<String>,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub serial: Option<i64>,
    #[diesel(sql_type = Nullable<Integer>)]
    pub version: Option<i32>,
    #[diesel(sql_type = Bool)]
    pub offline: bool,
}

/// How one gate stands.
#[derive(Debug, Clone, diesel::QueryableByName)]
pub(crate) struct GateStateRow {
    #[diesel(sql_type = SqlUuid)]
    pub gate_id: GateId,
    #[diesel(sql_type = Text)]
    pub gate_code: String,
    #[diesel(sql_type = Text)]
    pub gate_name: String,
    #[diesel(sql_type = Text)]
    pub zone_code: String,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub last_scan_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub reported_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub bundle_version: Option<i64>,
    #[diesel(sql_type = Nullable<Integer>)]
    pub pending_offline: Option<i32>,
    #[diesel(sql_type = BigInt)]
    pub offline_scans: i64,
}

/// Scans per minute of the last hour, oldest first.
pub(crate) async fn per_minute(
    conn: &mut Conn,
    event_id: EventId,
) -> diesel::QueryResult<Vec<MinuteRow>> {
    diesel::sql_query(
        "SELECT date_trunc('minute', recorded_at) AS minute,
                count(*) FILTER (WHERE decision = 'allow') AS allowed,
                count(*) FILTER (WHERE decision = 'deny') AS denied
         FROM scans
         WHERE event_id = $1 AND recorded_at > now() - interval '1 hour'
         GROUP BY 1 ORDER BY 1",
    )
    .bind::<SqlUuid, _>(event_id)
    .load(conn)
    .await
}

/// The latest denials, newest first.
pub(crate) async fn incidents(
    conn: &mut Conn,
    event_id: EventId,
    limit: i64,
) -> diesel::QueryResult<Vec<IncidentRow>> {
    diesel::sql_query(
        "SELECT s.recorded_at AS at, g.code AS gate_code, s.reason, s.serial, s.version, s.offline
         FROM scans s JOIN gates g ON g.id = s.gate_id
         WHERE s.event_id = $1 AND s.decision = 'deny'
           AND s.recorded_at > now() - interval '1 day'
         ORDER BY s.recorded_at DESC LIMIT $2",
    )
    .bind::<SqlUuid, _>(event_id)
    .bind::<BigInt, _>(limit)
    .load(conn)
    .await
}

/// Every gate of the event with its last scan and its device's last report.
pub(crate) async fn gate_states(
    conn: &mut Conn,
    event_id: EventId,
) -> diesel::QueryResult<Vec<GateStateRow>> {
    diesel::sql_query(
        "SELECT g.id AS gate_id, g.code AS gate_code, g.name AS gate_name, z.code AS zone_code,
                (SELECT max(s.recorded_at) FROM scans s
                  WHERE s.event_id = g.event_id AND s.gate_id = g.id
                    AND s.recorded_at > now() - interval '1 day') AS last_scan_at,
                st.reported_at, st.bundle_version, st.pending_offline,
                (SELECT count(*) FROM scans s
                  WHERE s.event_id = g.event_id AND s.gate_id = g.id AND s.offline
                    AND s.recorded_at > now() - interval '1 hour') AS offline_scans
         FROM gates g
         JOIN zones z ON z.id = g.zone_id
         LEFT JOIN gate_status st ON st.gate_id = g.id
         WHERE g.event_id = $1
         ORDER BY g.code",
    )
    .bind::<SqlUuid, _>(event_id)
    .load(conn)
    .await
}

/// Keeps a gate device's newest report.
pub(crate) async fn report(
    conn: &mut Conn,
    gate_id: GateId,
    event_id: EventId,
    bundle_version: i64,
    pending_offline: i32,
) -> diesel::QueryResult<()> {
    diesel::sql_query(
        "INSERT INTO gate_status (gate_id, event_id, bundle_version, pending_offline, reported_at)
         VALUES ($1, $2, $3, $4, now())
         ON CONFLICT (gate_id) DO UPDATE
         SET bundle_version = EXCLUDED.bundle_version,
             pending_offline = EXCLUDED.pending_offline,
             reported_at = EXCLUDED.reported_at",
    )
    .bind::<SqlUuid, _>(gate_id)
    .bind::<SqlUuid, _>(event_id)
    .bind::<BigInt, _>(bundle_version)
    .bind::<Integer, _>(pending_offline)
    .execute(conn)
    .await
    .map(drop)
}
