//! Scans, presence, occupancy, blocks, and the change notifications gates
//! listen to.

use chrono::{DateTime, Utc};
use diesel::sql_types::{BigInt, Bool, Integer, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use diesel::{ExpressionMethods as _, OptionalExtension as _, QueryDsl as _, QueryResult};
use diesel_async::{AsyncPgConnection, RunQueryDsl as _};
use futures::{Stream, StreamExt as _};
use uuid::Uuid;

use super::{
    Conn,
    schema::{badge_blocks, badges, gates, participants, scans, zones},
};

/// Channel of badge and rule changes.
pub const GATE_CHANNEL: &str = "expopass_gate";

/// A gate with its zone.
#[derive(Debug, Clone, diesel::Queryable)]
pub struct GateZone {
    pub gate_id: Uuid,
    pub event_id: Uuid,
    pub zone_id: Uuid,
    pub zone_number: i16,
}

pub async fn gate_zone(conn: &mut Conn, gate_id: Uuid) -> QueryResult<Option<GateZone>> {
    gates::table
        .inner_join(zones::table)
        .filter(gates::id.eq(gate_id))
        .select((gates::id, gates::event_id, gates::zone_id, zones::number))
        .first(conn)
        .await
        .optional()
}

/// What `gate_scan` decided.
#[derive(Debug, Clone)]
pub struct ScanOutcome {
    pub decision: String,
    pub reason: Option<String>,
    pub replayed: bool,
}

/// One scan to record and decide.
#[derive(Debug, Clone)]
pub struct ScanInput<'a> {
    pub gate_id: Uuid,
    pub nonce: &'a str,
    pub event_id: Uuid,
    pub zone_id: Uuid,
    pub serial: Option<i64>,
    pub version: Option<i32>,
    pub direction: &'a str,
    pub scanned_at: DateTime<Utc>,
    /// The refusal of the checks that need no database, if any.
    pub deny: Option<&'a str>,
}

/// Runs the `gate_scan` function: one round trip, one transaction. When
/// the same (gate, nonce) committed while this call ran, the call is undone
/// and made again, and answers with that first decision.
pub async fn scan(conn: &mut Conn, s: &ScanInput<'_>) -> QueryResult<ScanOutcome> {
    let mut attempt = 0;
    loop {
        match scan_once(conn, s).await {
            // A concurrent duplicate nonce, or (rarely: two scans of one
            // badge in two zones at once) a deadlock PostgreSQL broke by
            // undoing this call: call again.
            Err(diesel::result::Error::DatabaseError(_, info))
                if attempt < 3
                    && (info.message() == "scan replayed concurrently"
                        || info.message() == "deadlock detected") =>
            {
                attempt += 1;
            }
            other => return other,
        }
    }
}

async fn scan_once(conn: &mut Conn, s: &ScanInput<'_>) -> QueryResult<ScanOutcome> {
    let (decision, reason, replayed) = ScanStatement(s)
        .get_result::<(String, Option<String>, bool)>(conn)
        .await?;
    Ok(ScanOutcome {
        decision,
        reason,
        replayed,
    })
}

/// `SELECT * FROM gate_scan(...)` as a type of its own, so the prepared
/// statement is cached per connection (`sql_query` is parsed and planned on
/// every call).
struct ScanStatement<'s, 'a>(&'s ScanInput<'a>);

struct ScanStatementId;

impl diesel::query_builder::QueryId for ScanStatement<'_, '_> {
    type QueryId = ScanStatementId;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl diesel::query_builder::Query for ScanStatement<'_, '_> {
    type SqlType = (Text, Nullable<Text>, Bool);
}

impl diesel::query_builder::QueryFragment<diesel::pg::Pg> for ScanStatement<'_, '_> {
    fn walk_ast<'b>(
        &'b self,
        mut out: diesel::query_builder::AstPass<'_, 'b, diesel::pg::Pg>,
    ) -> QueryResult<()> {
        let s = self.0;
        out.push_sql("SELECT decision, reason, replayed FROM gate_scan(");
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
        out.push_sql(")");
        Ok(())
    }
}

/// An offline scan as uploaded.
#[derive(Debug, Clone, diesel::Insertable)]
#[diesel(table_name = scans)]
pub struct OfflineScanRow {
    pub gate_id: Uuid,
    pub nonce: String,
    pub event_id: Uuid,
    pub zone_id: Uuid,
    pub serial: Option<i64>,
    pub version: Option<i32>,
    pub direction: String,
    pub decision: String,
    pub reason: Option<String>,
    pub scanned_at: DateTime<Utc>,
    pub offline: bool,
}

/// Stores uploaded scans once; returns the (gate, nonce) newly stored.
pub async fn insert_offline(
    conn: &mut Conn,
    rows: &[OfflineScanRow],
) -> QueryResult<Vec<(Uuid, String)>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    diesel::insert_into(scans::table)
        .values(rows)
        .on_conflict_do_nothing()
        .returning((scans::gate_id, scans::nonce))
        .get_results(conn)
        .await
}

/// A recorded scan of a badge.
#[derive(Debug, Clone, diesel::Queryable)]
pub struct BadgeScan {
    pub gate_id: Uuid,
    pub nonce: String,
    pub zone_id: Uuid,
    pub serial: Option<i64>,
    pub version: Option<i32>,
    pub direction: String,
    pub decision: String,
    pub scanned_at: DateTime<Utc>,
    pub offline: bool,
}

/// Every scan of these badges, in time order.
pub async fn scans_of(conn: &mut Conn, serials: &[i64]) -> QueryResult<Vec<BadgeScan>> {
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
pub async fn revocations_of(
    conn: &mut Conn,
    serials: &[i64],
) -> QueryResult<Vec<(i64, i32, Uuid, Option<DateTime<Utc>>)>> {
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
pub async fn blocks_of(conn: &mut Conn, serials: &[i64]) -> QueryResult<Vec<(i64, DateTime<Utc>)>> {
    badge_blocks::table
        .filter(badge_blocks::serial.eq_any(serials))
        .select((badge_blocks::serial, badge_blocks::blocked_at))
        .load(conn)
        .await
}

/// Blocks a badge serial; returns whether it was not blocked before.
pub async fn block(
    conn: &mut Conn,
    event_id: Uuid,
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
pub async fn unblock(conn: &mut Conn, serial: i64) -> QueryResult<bool> {
    diesel::delete(badge_blocks::table.filter(badge_blocks::serial.eq(serial)))
        .execute(conn)
        .await
        .map(|n| n == 1)
}

/// The block reason of a serial, if blocked.
pub async fn block_reason(conn: &mut Conn, serial: i64) -> QueryResult<Option<String>> {
    badge_blocks::table
        .filter(badge_blocks::serial.eq(serial))
        .select(badge_blocks::reason)
        .first(conn)
        .await
        .optional()
}

/// Blocked serials of an event, ascending.
pub async fn blocked(conn: &mut Conn, event_id: Uuid) -> QueryResult<Vec<i64>> {
    badge_blocks::table
        .filter(badge_blocks::event_id.eq(event_id))
        .order(badge_blocks::serial)
        .select(badge_blocks::serial)
        .load(conn)
        .await
}

/// (zone code, inside, capacity) of every zone of an event: the sum of each
/// zone's counter shards.
pub async fn occupancy(conn: &mut Conn, event_id: Uuid) -> QueryResult<Vec<(String, i32, i32)>> {
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

/// Given and family name of the holder of a badge serial.
pub async fn holder_name(conn: &mut Conn, serial: i64) -> QueryResult<Option<(String, String)>> {
    badges::table
        .inner_join(participants::table)
        .filter(badges::serial.eq(serial))
        .select((participants::given_name, participants::family_name))
        .first(conn)
        .await
        .optional()
}

/// A notification: (channel, payload).
pub type Notification = (String, String);

/// A connection of its own (taken out of the pool for good) listening to
/// the gate channel; yields notifications until the connection drops.
pub async fn listen(
    pool: &super::Pool,
) -> anyhow::Result<impl Stream<Item = QueryResult<Notification>> + use<>> {
    let pooled = pool.get().await.map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut conn: AsyncPgConnection = deadpool::managed::Object::take(pooled);
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
