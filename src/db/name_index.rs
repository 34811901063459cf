//! What an in-memory name index of an event reads: every participant once,
//! then the rows written since, by transaction id.
//!
//! A read returns the snapshot it was made with, as (xmax, in-progress
//! xids). Every transaction whose id is below xmax and not in progress had
//! ended when the rows were read, so its rows were read (or it rolled
//! back); the next read asks only for rows whose `changed_by` is at least
//! xmax or one of those in progress (`participants_changes_idx`).

use diesel::QueryResult;
use diesel_async::RunQueryDsl as _;

use crate::ids::{CategoryId, DelegationId, EventId, OrganizationId, ParticipantId};

use super::{Conn, models::ParticipantStatus};

/// The part of a snapshot that says which transactions it could not see.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Horizon {
    /// `pg_snapshot_xmax`: this and later transactions were not seen.
    pub xmax: String,
    /// `pg_snapshot_xip`: transactions in progress then.
    pub in_progress: Vec<String>,
}

impl Horizon {
    /// Whether this snapshot was taken after `other` (its xmax is later).
    pub(crate) fn is_after(&self, other: &Horizon) -> bool {
        let number = |x: &str| x.parse::<u64>().unwrap_or(0);
        number(&self.xmax) > number(&other.xmax)
    }
}

/// What the index keeps of a participant.
#[derive(Debug, Clone, diesel::QueryableByName)]
pub(crate) struct IndexRow {
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    pub id: ParticipantId,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub given_name: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub family_name: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub native_name: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub given_key: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub family_key: String,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Uuid>)]
    pub organization_id: Option<OrganizationId>,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub country: String,
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    pub category_id: CategoryId,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Uuid>)]
    pub delegation_id: Option<DelegationId>,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub status: ParticipantStatus,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub version: i64,
    /// The searchable text of the public and internal custom answers.
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub answer_text: String,
}

#[derive(diesel::QueryableByName)]
struct Snapshot {
    #[diesel(sql_type = diesel::sql_types::Text)]
    xmax: String,
    #[diesel(sql_type = diesel::sql_types::Array<diesel::sql_types::Text>)]
    xip: Vec<String>,
}

const COLUMNS: &str = "id, given_name, family_name, native_name, given_key, family_key, \
     organization_id, country, category_id, delegation_id, status, version, answer_text";

const SNAPSHOT: &str = "SELECT pg_snapshot_xmax(s)::text AS xmax, \
     ARRAY(SELECT x::text FROM pg_snapshot_xip(s) AS x) AS xip FROM pg_current_snapshot() AS s";

/// Every participant of `event_id`, and the horizon of the snapshot they
/// were read in.
pub(crate) async fn load(
    conn: &mut Conn,
    event_id: EventId,
) -> QueryResult<(Horizon, Vec<IndexRow>)> {
    use diesel::sql_types::Uuid as SqlUuid;
    conn.build_transaction()
        .repeatable_read()
        .read_only()
        .run::<_, diesel::result::Error, _>(async move |conn| {
            let snapshot: Snapshot = diesel::sql_query(SNAPSHOT).get_result(conn).await?;
            let rows: Vec<IndexRow> = diesel::sql_query(format!(
                "SELECT {COLUMNS} FROM participants WHERE event_id = $1"
            ))
            .bind::<SqlUuid, _>(event_id)
            .load(conn)
            .await?;
            Ok((
                Horizon {
                    xmax: snapshot.xmax,
                    in_progress: snapshot.xip,
                },
                rows,
            ))
        })
        .await
}

/// A row of [`changes`]: the snapshot, with a participant when one changed.
#[derive(diesel::QueryableByName)]
struct Change {
    #[diesel(sql_type = diesel::sql_types::Text)]
    xmax: String,
    #[diesel(sql_type = diesel::sql_types::Array<diesel::sql_types::Text>)]
    xip: Vec<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Uuid>)]
    id: Option<ParticipantId>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    given_name: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    family_name: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    native_name: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    given_key: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    family_key: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Uuid>)]
    organization_id: Option<OrganizationId>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    country: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Uuid>)]
    category_id: Option<CategoryId>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Uuid>)]
    delegation_id: Option<DelegationId>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    status: Option<ParticipantStatus>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::BigInt>)]
    version: Option<i64>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    answer_text: Option<String>,
}

type BoxedSql =
    diesel::query_builder::BoxedSqlQuery<'static, diesel::pg::Pg, diesel::query_builder::SqlQuery>;

fn changes_query(event_id: EventId, since: &Horizon) -> BoxedSql {
    use diesel::sql_types::{Array, Text, Uuid as SqlUuid};
    diesel::sql_query(
        "WITH snap AS (SELECT pg_snapshot_xmax(s)::text AS xmax, \
             ARRAY(SELECT x::text FROM pg_snapshot_xip(s) AS x) AS xip FROM pg_current_snapshot() AS s) \
         SELECT snap.xmax, snap.xip, p.id, p.given_name, p.family_name, p.native_name, p.given_key, \
             p.family_key, p.organization_id, p.country, p.category_id, p.delegation_id, p.status, p.version, \
             p.answer_text \
         FROM snap LEFT JOIN participants p ON p.event_id = $1 \
             AND (p.changed_by >= CAST($2 AS xid8) OR p.changed_by = ANY (CAST($3 AS xid8[])))",
    )
    .into_boxed()
    .bind::<SqlUuid, _>(event_id)
    .bind::<Text, _>(since.xmax.clone())
    .bind::<Array<Text>, _>(since.in_progress.clone())
}

/// The plan of the query that brings an index of `event_id` up to date
/// from now.
pub(crate) async fn explain_changes(conn: &mut Conn, event_id: EventId) -> QueryResult<String> {
    let now: Snapshot = diesel::sql_query(SNAPSHOT).get_result(conn).await?;
    let since = Horizon {
        xmax: now.xmax,
        in_progress: now.xip,
    };
    super::explain::explain(conn, changes_query(event_id, &since)).await
}

/// The participants of `event_id` written by transactions that `since`
/// could not see, and the new horizon: one statement, so one snapshot for
/// both, and one round trip.
pub(crate) async fn changes(
    conn: &mut Conn,
    event_id: EventId,
    since: &Horizon,
) -> QueryResult<(Horizon, Vec<IndexRow>)> {
    let found: Vec<Change> = changes_query(event_id, since).load(conn).await?;
    let mut horizon = Horizon::default();
    let mut rows = Vec::new();
    for c in found {
        horizon = Horizon {
            xmax: c.xmax,
            in_progress: c.xip,
        };
        if let (
            Some(id),
            Some(given_name),
            Some(family_name),
            Some(native_name),
            Some(given_key),
            Some(family_key),
            Some(country),
            Some(category_id),
            Some(status),
            Some(version),
        ) = (
            c.id,
            c.given_name,
            c.family_name,
            c.native_name,
            c.given_key,
            c.family_key,
            c.country,
            c.category_id,
            c.status,
            c.version,
        ) {
            rows.push(IndexRow {
                id,
                given_name,
                family_name,
                native_name,
                given_key,
                family_key,
                organization_id: c.organization_id,
                country,
                category_id,
                delegation_id: c.delegation_id,
                status,
                version,
                answer_text: c.answer_text.unwrap_or_default(),
            });
        }
    }
    Ok((horizon, rows))
}
