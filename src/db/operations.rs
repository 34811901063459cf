//! What the operations board reads: scans per minute, the latest denials,
//! each gate's state; and the reports gate devices send.

use chrono::{DateTime, Utc};
use diesel::sql_types::{
    Array, BigInt, Bool, Integer, Nullable, Text, Timestamptz, Uuid as SqlUuid,
};
use diesel_async::RunQueryDsl as _;

use crate::{
    ids::{EventId, GateId, TokenId},
    vocab::ConflictKind,
};

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
    /// The enrolment name of the device that last reported.
    #[diesel(sql_type = Nullable<Text>)]
    pub device_name: Option<String>,
}

/// Denials for one reason.
#[derive(Debug, Clone, diesel::QueryableByName)]
pub(crate) struct ReasonCountRow {
    #[diesel(sql_type = Nullable<Text>)]
    pub reason: Option<String>,
    #[diesel(sql_type = BigInt)]
    pub n: i64,
}

/// A conflict found in uploaded scans.
#[derive(Debug, Clone, diesel::QueryableByName)]
pub(crate) struct ConflictRow {
    #[diesel(sql_type = Timestamptz)]
    pub found_at: DateTime<Utc>,
    #[diesel(sql_type = Timestamptz)]
    pub scanned_at: DateTime<Utc>,
    #[diesel(sql_type = Text)]
    pub kind: String,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub serial: Option<i64>,
    #[diesel(sql_type = Nullable<Integer>)]
    pub version: Option<i32>,
    /// Codes of the gates involved, in the order of the scans.
    #[diesel(sql_type = Array<Text>)]
    pub gate_codes: Vec<String>,
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

/// Denials of the last hour by reason, the most frequent first.
pub(crate) async fn denials_by_reason(
    conn: &mut Conn,
    event_id: EventId,
) -> diesel::QueryResult<Vec<ReasonCountRow>> {
    diesel::sql_query(
        "SELECT reason, count(*) AS n
         FROM scans
         WHERE event_id = $1 AND decision = 'deny' AND recorded_at > now() - interval '1 hour'
         GROUP BY reason ORDER BY n DESC, reason",
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
                    AND s.recorded_at > now() - interval '1 hour') AS offline_scans,
                t.name AS device_name
         FROM gates g
         JOIN zones z ON z.id = g.zone_id
         LEFT JOIN gate_status st ON st.gate_id = g.id
         LEFT JOIN api_tokens t ON t.id = st.token_id
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
    token_id: TokenId,
) -> diesel::QueryResult<()> {
    diesel::sql_query(
        "INSERT INTO gate_status (gate_id, event_id, bundle_version, pending_offline, reported_at, token_id)
         VALUES ($1, $2, $3, $4, now(), $5)
         ON CONFLICT (gate_id) DO UPDATE
         SET bundle_version = EXCLUDED.bundle_version,
             pending_offline = EXCLUDED.pending_offline,
             reported_at = EXCLUDED.reported_at,
             token_id = EXCLUDED.token_id",
    )
    .bind::<SqlUuid, _>(gate_id)
    .bind::<SqlUuid, _>(event_id)
    .bind::<BigInt, _>(bundle_version)
    .bind::<Integer, _>(pending_offline)
    .bind::<SqlUuid, _>(token_id)
    .execute(conn)
    .await
    .map(drop)
}

/// A conflict found among the scans of one badge, to keep.
#[derive(Debug, Clone)]
pub(crate) struct NewConflict<'a> {
    pub event_id: EventId,
    pub kind: ConflictKind,
    pub serial: i64,
    pub version: Option<i32>,
    /// The scans involved, (gate, nonce), oldest first.
    pub scans: &'a [(GateId, String)],
    /// When the latest scan involved was read.
    pub scanned_at: DateTime<Utc>,
}

/// Keeps conflicts found in an upload; one found before is left as it is.
pub(crate) async fn record_conflicts(
    conn: &mut Conn,
    conflicts: &[NewConflict<'_>],
) -> diesel::QueryResult<()> {
    for c in conflicts {
        let mut keys: Vec<String> = c
            .scans
            .iter()
            .map(|(gate, nonce)| format!("{gate}/{nonce}"))
            .collect();
        keys.sort();
        let gate_ids: Vec<uuid::Uuid> = c.scans.iter().map(|(g, _)| g.0).collect();
        diesel::sql_query(
            "INSERT INTO scan_conflicts (event_id, kind, serial, version, scans, gate_ids, nonces, scanned_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
             ON CONFLICT (event_id, kind, scans) DO NOTHING",
        )
        .bind::<SqlUuid, _>(c.event_id)
        .bind::<Text, _>(c.kind)
        .bind::<BigInt, _>(c.serial)
        .bind::<Nullable<Integer>, _>(c.version)
        .bind::<Text, _>(keys.join(" "))
        .bind::<Array<SqlUuid>, _>(gate_ids)
        .bind::<Array<Text>, _>(c.scans.iter().map(|(_, n)| n.as_str()).collect::<Vec<_>>())
        .bind::<Timestamptz, _>(c.scanned_at)
        .execute(conn)
        .await?;
    }
    Ok(())
}

/// The conflicts found in an event's uploads over the last day, in the
/// order they happened (the latest scan involved), newest first.
pub(crate) async fn conflicts(
    conn: &mut Conn,
    event_id: EventId,
    limit: i64,
) -> diesel::QueryResult<Vec<ConflictRow>> {
    diesel::sql_query(
        "SELECT c.found_at, c.scanned_at, c.kind, c.serial, c.version,
                ARRAY(SELECT coalesce(g.code, '') FROM unnest(c.gate_ids) WITH ORDINALITY AS u(id, n)
                      LEFT JOIN gates g ON g.id = u.id ORDER BY u.n) AS gate_codes
         FROM scan_conflicts c
         WHERE c.event_id = $1 AND c.found_at > now() - interval '1 day'
         ORDER BY c.scanned_at DESC, c.id DESC LIMIT $2",
    )
    .bind::<SqlUuid, _>(event_id)
    .bind::<BigInt, _>(limit)
    .load(conn)
    .await
}

/// A person inside a zone, as the board lists them.
#[derive(Debug, Clone, diesel::QueryableByName)]
pub(crate) struct InsideRow {
    #[diesel(sql_type = SqlUuid)]
    pub participant_id: crate::ids::ParticipantId,
    #[diesel(sql_type = Text)]
    pub given_name: String,
    #[diesel(sql_type = Text)]
    pub family_name: String,
    #[diesel(sql_type = Text)]
    pub native_name: String,
    #[diesel(sql_type = BigInt)]
    pub serial: i64,
    #[diesel(sql_type = Integer)]
    pub version: i32,
    #[diesel(sql_type = Text)]
    pub category_code: String,
    #[diesel(sql_type = Timestamptz)]
    pub since: DateTime<Utc>,
    /// How many are inside in all.
    #[diesel(sql_type = BigInt)]
    pub total: i64,
}

/// The holders of the badges present in a zone (their badge's newest
/// version), latest entry first, at most `limit`.
pub(crate) async fn inside(
    conn: &mut Conn,
    zone_id: crate::ids::ZoneId,
    limit: i64,
) -> diesel::QueryResult<Vec<InsideRow>> {
    diesel::sql_query(
        "SELECT pa.id AS participant_id, pa.given_name, pa.family_name, pa.native_name,
                b.serial, b.version, c.code AS category_code, p.since,
                count(*) OVER () AS total
         FROM presence p
         JOIN LATERAL (SELECT * FROM badges WHERE serial = p.serial
                       ORDER BY version DESC LIMIT 1) b ON true
         JOIN participants pa ON pa.id = b.participant_id
         JOIN categories c ON c.id = pa.category_id
         WHERE p.zone_id = $1
         ORDER BY p.since DESC, b.serial
         LIMIT $2",
    )
    .bind::<SqlUuid, _>(zone_id)
    .bind::<BigInt, _>(limit)
    .load(conn)
    .await
}
