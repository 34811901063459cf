//! One-time enrolment codes, stored as hashes.

use chrono::{DateTime, Utc};
use diesel::{
    ExpressionMethods as _, OptionalExtension as _, QueryDsl as _, QueryResult,
    SelectableHelper as _,
};
use diesel_async::RunQueryDsl as _;
use uuid::Uuid;

use super::{Conn, schema::enrolment_codes};
use crate::ids::{EventId, GateId, TokenId};

#[derive(Debug, Clone, diesel::Queryable, diesel::Selectable, diesel::Insertable)]
#[diesel(table_name = enrolment_codes, check_for_backend(diesel::pg::Pg))]
pub(crate) struct EnrolmentCode {
    pub id: Uuid,
    pub code_hash: Vec<u8>,
    pub name: String,
    pub role: String,
    pub event_id: Option<EventId>,
    pub gate_ids: Vec<Option<GateId>>,
    pub created_by: Option<TokenId>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
    pub token_id: Option<TokenId>,
}

pub(crate) async fn insert(conn: &mut Conn, code: &EnrolmentCode) -> QueryResult<()> {
    diesel::insert_into(enrolment_codes::table)
        .values(code)
        .execute(conn)
        .await
        .map(drop)
}

/// The code with this hash, locked until the transaction ends (two devices
/// racing with one code: the second waits, then finds it used).
pub(crate) async fn lock_by_hash(
    conn: &mut Conn,
    hash: &[u8],
) -> QueryResult<Option<EnrolmentCode>> {
    enrolment_codes::table
        .filter(enrolment_codes::code_hash.eq(hash))
        .select(EnrolmentCode::as_select())
        .for_update()
        .first(conn)
        .await
        .optional()
}

pub(crate) async fn mark_used(
    conn: &mut Conn,
    id: Uuid,
    token: TokenId,
    at: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::update(enrolment_codes::table.find(id))
        .set((
            enrolment_codes::used_at.eq(at),
            enrolment_codes::token_id.eq(token),
        ))
        .execute(conn)
        .await
        .map(drop)
}
