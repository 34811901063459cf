//! Scans, presence, occupancy, blocks, and the change notifications gates
//! listen to.

use chrono::{DateTime, Utc};
use diesel::sql_types::{BigInt, Bool, Integer, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use diesel::{ExpressionMethods as _, OptionalExtension as _, QueryDsl as _, QueryResult};
use diesel_async::{AsyncPgConnection, RunQueryDsl as _};
use futures::{Stream, StreamExt as _};

use super::{
    Conn,
    schema::{badge_blocks, badges, gates, scans, zones},
};
use crate::{
    ids::{BadgeId, EventId, GateId, ZoneId},
    vocab::{Decision, DenyReason, Direction},
};

/// Channel of badge and rule changes.
pub(crate) const GATE_CHANNEL: &str = "expopass_gate";

/// A gate with its zone.
#[derive(Debug, Clone, diesel::Queryable)]
pub(crate) struct GateZone {
    pub event_id: EventId,
    pub zone_id: ZoneId,
    pub zone_number: i16,
}

pub(crate) async fn gate_zone(conn: &mut Conn, gate_id: GateId) -> QueryResult<Option<GateZone>> {
    gates::table
        .inner_join(zones::table)
        .filter(gates::id.eq(gate_id))
        .select((gates::event_id, gates::zone_id, zones::number))
        .first(conn)
        .await
        .optional()
}

/// A refusal as `gate_scan` returns it: a decision and a reason code. A
/// denial without a reason, or with one this version does not know, is an
/// error: the stored scan says something this server cannot tell a gate.
fn refusal(decision: Decision, reason: Option<&str>) -> QueryResult<Option<DenyReason>> {
    match decision {
        Decision::Allow => Ok(None),
        Decision::Deny => reason.and_then(DenyReason::parse).map(Some).ok_or_else(|| {
            diesel::result::Error::DeserializationError(
                format!("gate_scan denied with an unknown reason {reason:?}").into(),
            )
        }),
    }
}

/// What `gate_scan` decided.
#[derive(Debug, Clone)]
pub(crate) struct ScanOutcome {
    pub deny: Option<DenyReason>,
    /// The holder's name, when asked for and the badge is known.
    pub holder: Option<String>,
}

/// One scan to record and decide.
#[derive(Debug, Clone)]
pub(crate) struct ScanInput<'a> {
    pub gate_id: GateId,
    pub nonce: &'a str,
    pub event_id: EventId,
    pub zone_id: ZoneId,
    pub serial: Option<i64>,
    pub version: Option<i32>,
    pub direction: Direction,
    pub scanned_at: DateTime<Utc>,
    /// The refusal of the checks that need no database, if any.
    pub deny: Option<DenyReason>,
    /// Whether to return the holder's name.
    pub names: bool,
}

/// Whether a failed scan call is to be made again: a concurrent replay of
/// the same (gate, nonce), which `gate_scan` raises as `EP001` with the code
/// in its hint, or a serialization failure (`40001`, under a server whose
/// default isolation is serializable). Matched by code, never by message
/// text, which follows the server's `lc_messages`.
fn call_again(err: &diesel::result::Error) -> bool {
    use diesel::result::{DatabaseErrorKind, Error};
    match err {
        Error::DatabaseError(DatabaseErrorKind::SerializationFailure, _) => true,
        Error::DatabaseError(_, info) => info.hint() == Some(SCAN_REPLAYED),
        _ => false,
    }
}

/// The code `gate_scan` raises when the same (gate, nonce) committed while
/// it ran.
const SCAN_REPLAYED: &str = "EP001";

/// Runs the `gate_scan` function: one round trip, one transaction. When
/// the same (gate, nonce) committed while this call ran, the call is undone
/// and made again, and answers with that first decision.
pub(crate) async fn scan(conn: &mut Conn, s: &ScanInput<'_>) -> QueryResult<ScanOutcome> {
    let mut attempt = 0;
    loop {
        match scan_committed(conn, s).await {
            Err(err) if attempt < 3 && call_again(&err) => attempt += 1,
            Err(err) => return Err(err),
            Ok((decision, reason, holder)) => {
                return Ok(ScanOutcome {
                    deny: refusal(decision, reason.as_deref())?,
                    holder,
                });
            }
        }
    }
}

/// The scan in an explicit transaction, answered once `COMMIT` has
/// returned. Run alone, the statement would commit only at the protocol's
/// Sync, after the driver has handed back its row: a commit that never
/// completed (a primary stopped while it waited for its synchronous
/// standby) would reach the gate as a decision. (Sending `BEGIN`, the scan
/// and `COMMIT` pipelined would save the two round trips, but a statement
/// not yet prepared on the connection is parsed first and would run after
/// the `COMMIT`.)
async fn scan_committed(
    conn: &mut Conn,
    s: &ScanInput<'_>,
) -> QueryResult<(Decision, Option<String>, Option<String>)> {
    super::transaction(conn, async |conn| {
        ScanStatement { input: s }
            .get_result::<(Decision, Option<String>, Option<String>)>(conn)
            .await
    })
    .await
}

/// `SELECT * FROM gate_scan(...)` as a type of its own, so the prepared
/// statement is cached per connection (`sql_query` is parsed and planned on
/// every call).
struct ScanStatement<'s, 'a> {
    input: &'s ScanInput<'a>,
}

struct ScanStatementId;

impl diesel::query_builder::QueryId for ScanStatement<'_, '_> {
    type QueryId = ScanStatementId;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl diesel::query_builder::Query for ScanStatement<'_, '_> {
    type SqlType = (Text, Nullable<Text>, Nullable<Text>);
}

impl diesel::query_builder::QueryFragment<diesel::pg::Pg> for ScanStatement<'_, '_> {
    fn walk_ast<'b>(
        &'b self,
        mut out: diesel::query_builder::AstPass<'_, 'b, diesel::pg::Pg>,
    ) -> QueryResult<()> {
        let s = self.input;
        out.push_sql("SELECT decision, reason, holder FROM gate_scan(");
        out.push_bind_param::<SqlUuid, _>(&s.gate_id)?;
        out.push_sql(", ");
        out.push_bind_param::<Text, _>(&s.nonce)?;
        out.push_sql(", ");
        out.push_bind_param::<SqlUuid, _>(&s.event_id)?;
        out.push_sql(", ");
        out.push_bind_param::<SqlUuid, _>(&s.zone_id)?;
        out.push_sql(", ");
        out.push_bind_param::<Nullable<BigInt>, _>(&s.serial)?;
        out.push_sql(", ");
        out.push_bind_param::<Nullable<Integer>, _>(&s.version)?;
        out.push_sql(", ");
        out.push_bind_param::<Text, _>(&s.direction)?;
        out.push_sql(", ");
        out.push_bind_param::<Timestamptz, _>(&s.scanned_at)?;
        out.push_sql(", ");
        out.push_bind_param::<Nullable<Text>, _>(&s.deny)?;
        out.push_sql(", ");
        out.push_bind_param::<Bool, _>(&s.names)?;
        out.push_sql(")");
        Ok(())
    }
}

/// A scan decided without the database: uploaded by a gate that decided
/// offline, or refused online for the badge itself (a code that cannot be
/// read or trusted needs no shared state).
#[derive(Debug, Clone)]
pub(crate) struct DecidedScan {
    pub gate_id: GateId,
    pub nonce: String,
    pub event_id: EventId,
    pub zone_id: ZoneId,
    pub serial: Option<i64>,
    pub version: Option<i32>,
    pub direction: Direction,
    /// The gate's refusal; `None` when it let the badge through.
    pub deny: Option<DenyReason>,
    pub scanned_at: DateTime<Utc>,
}

/// Stores scans decided without the database, once per (gate, nonce);
/// `offline` says whether a gate decided them alone. Returns the (gate,
/// nonce) newly stored.
pub(crate) async fn insert_decided(
    conn: &mut Conn,
    rows: &[DecidedScan],
    offline: bool,
) -> QueryResult<Vec<(GateId, String)>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let values: Vec<_> = rows
        .iter()
        .map(|r| {
            (
                scans::gate_id.eq(r.gate_id),
                scans::nonce.eq(&r.nonce),
                scans::event_id.eq(r.event_id),
                scans::zone_id.eq(r.zone_id),
                scans::serial.eq(r.serial),
                scans::version.eq(r.version),
                scans::direction.eq(r.direction),
                scans::decision.eq(if r.deny.is_some() {
                    Decision::Deny
                } else {
                    Decision::Allow
                }),
                scans::reason.eq(r.deny.map(DenyReason::as_str)),
                scans::scanned_at.eq(r.scanned_at),
                scans::offline.eq(offline),
            )
        })
        .collect();
    diesel::insert_into(scans::table)
        .values(values)
        .on_conflict_do_nothing()
        .returning((scans::gate_id, scans::nonce))
        .get_results(conn)
        .await
}

/// A recorded scan of a badge.
#[derive(Debug, Clone, diesel::Queryable)]
pub(crate) struct BadgeScan {
    pub gate_id: GateId,
    pub nonce: String,
    pub zone_id: ZoneId,
    pub serial: Option<i64>,
    pub version: Option<i32>,
    pub direction: Direction,
    pub decision: Decision,
    pub scanned_at: DateTime<Utc>,
    pub offline: bool,
}

/// Every scan of these badges, in time order.
pub(crate) async fn scans_of(conn: &mut Conn, serials: &[i64]) -> QueryResult<Vec<BadgeScan>> {
    scans::table
        .filter(scans::serial.eq_any(serials))
        .order((
            scans::serial,
            scans::scanned_at,
            scans::gate_id,
            scans::nonce,
        ))
        .select((
            scans::gate_id,
            scans::nonce,
            scans::zone_id,
            scans::serial,
            scans::version,
            scans::direction,
            scans::decision,
            scans::scanned_at,
            scans::offline,
        ))
        .load(conn)
        .await
}

/// (serial, version, badge id, revoked at) of these badges.
pub(crate) async fn revocations_of(
    conn: &mut Conn,
    serials: &[i64],
) -> QueryResult<Vec<(i64, i32, BadgeId, Option<DateTime<Utc>>)>> {
    badges::table
        .filter(badges::serial.eq_any(serials))
        .select((
            badges::serial,
            badges::version,
            badges::id,
            badges::revoked_at,
        ))
        .load(conn)
        .await
}

/// (serial, blocked at) of blocked badges among these.
pub(crate) async fn blocks_of(
    conn: &mut Conn,
    serials: &[i64],
) -> QueryResult<Vec<(i64, DateTime<Utc>)>> {
    badge_blocks::table
        .filter(badge_blocks::serial.eq_any(serials))
        .select((badge_blocks::serial, badge_blocks::blocked_at))
        .load(conn)
        .await
}

/// Blocks a badge serial; returns whether it was not blocked before.
pub(crate) async fn block(
    conn: &mut Conn,
    event_id: EventId,
    serial: i64,
    reason: &str,
) -> QueryResult<bool> {
    diesel::insert_into(badge_blocks::table)
        .values((
            badge_blocks::serial.eq(serial),
            badge_blocks::event_id.eq(event_id),
            badge_blocks::reason.eq(reason),
        ))
        .on_conflict_do_nothing()
        .execute(conn)
        .await
        .map(|n| n == 1)
}

/// Lifts a block; returns whether there was one.
pub(crate) async fn unblock(conn: &mut Conn, serial: i64) -> QueryResult<bool> {
    diesel::delete(badge_blocks::table.filter(badge_blocks::serial.eq(serial)))
        .execute(conn)
        .await
        .map(|n| n == 1)
}

/// The block reason of a serial, if blocked.
pub(crate) async fn block_reason(conn: &mut Conn, serial: i64) -> QueryResult<Option<String>> {
    badge_blocks::table
        .filter(badge_blocks::serial.eq(serial))
        .select(badge_blocks::reason)
        .first(conn)
        .await
        .optional()
}

/// Blocked serials of an event, ascending.
pub(crate) async fn blocked(conn: &mut Conn, event_id: EventId) -> QueryResult<Vec<i64>> {
    badge_blocks::table
        .filter(badge_blocks::event_id.eq(event_id))
        .order(badge_blocks::serial)
        .select(badge_blocks::serial)
        .load(conn)
        .await
}

/// (zone code, inside, capacity) of every zone of an event: the sum of each
/// zone's counter shards.
pub(crate) async fn occupancy(
    conn: &mut Conn,
    event_id: EventId,
) -> QueryResult<Vec<(String, i32, i32)>> {
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = Text)]
        code: String,
        #[diesel(sql_type = Integer)]
        inside: i32,
        #[diesel(sql_type = Integer)]
        capacity: i32,
    }
    let rows: Vec<Row> = diesel::sql_query(
        "SELECT z.code, coalesce(sum(o.inside), 0)::int AS inside, z.capacity
         FROM zones z LEFT JOIN zone_occupancy o ON o.zone_id = z.id
         WHERE z.event_id = $1
         GROUP BY z.id, z.code, z.capacity
         ORDER BY z.code",
    )
    .bind::<SqlUuid, _>(event_id)
    .load(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.code, r.inside, r.capacity))
        .collect())
}

/// Sends the heartbeat every listener hears (and ignores but for the
/// time it was heard).
pub(crate) async fn heartbeat(pool: &super::Pool) -> anyhow::Result<()> {
    let mut conn = pool.get().await.map_err(|e| anyhow::anyhow!("{e}"))?;
    diesel::sql_query(format!("SELECT pg_notify('{GATE_CHANNEL}', 'heartbeat')"))
        .execute(&mut conn)
        .await?;
    Ok(())
}

/// A zone of an event, with the badges inside it.
#[derive(Debug, Clone, diesel::QueryableByName)]
pub struct ZoneCount {
    #[diesel(sql_type = Text)]
    pub event: String,
    #[diesel(sql_type = Text)]
    pub zone: String,
    #[diesel(sql_type = Integer)]
    pub inside: i32,
    #[diesel(sql_type = Integer)]
    pub capacity: i32,
}

/// Every zone of the events whose last day is not yet a day past.
pub(crate) async fn current_occupancy(conn: &mut Conn) -> QueryResult<Vec<ZoneCount>> {
    diesel::sql_query(
        "SELECT e.code AS event, z.code AS zone,
                coalesce(sum(o.inside), 0)::int AS inside, z.capacity
         FROM events e
         JOIN zones z ON z.event_id = e.id
         LEFT JOIN zone_occupancy o ON o.zone_id = z.id
         WHERE e.last_day >= current_date - 1
         GROUP BY e.code, z.id, z.code, z.capacity
         ORDER BY e.code, z.code",
    )
    .load(conn)
    .await
}

/// A notification: (channel, payload).
pub(crate) type Notification = (String, String);

/// A connection of its own (taken out of the pool for good) listening to
/// the gate channel; yields notifications until the connection drops.
pub(crate) async fn listen(
    pool: &super::Pool,
) -> anyhow::Result<impl Stream<Item = QueryResult<Notification>> + use<>> {
    let mut conn: AsyncPgConnection = pool.take_one().await.map_err(|e| anyhow::anyhow!("{e}"))?;
    diesel::sql_query(format!("LISTEN {GATE_CHANNEL}"))
        .execute(&mut conn)
        .await?;
    Ok(futures::stream::unfold(conn, |mut conn| async move {
        let next = {
            let mut stream = std::pin::pin!(conn.notifications_stream());
            stream.next().await
        };
        next.map(|item| (item.map(|n| (n.channel, n.payload)), conn))
    }))
}
