//! The stored results of imports, kept for retries with the same request id.

use diesel::{ExpressionMethods as _, OptionalExtension as _, QueryDsl as _, QueryResult};
use diesel_async::RunQueryDsl as _;
use uuid::Uuid;

use crate::ids::EventId;

use super::{Conn, schema::import_replies};

/// Stores an import's results (encoded by the caller).
pub(crate) async fn insert_reply(
    conn: &mut Conn,
    id: Uuid,
    event_id: EventId,
    rows: i32,
    reply: &[u8],
) -> QueryResult<()> {
    diesel::insert_into(import_replies::table)
        .values((
            import_replies::id.eq(id),
            import_replies::event_id.eq(event_id),
            import_replies::rows.eq(rows),
            import_replies::reply.eq(reply),
        ))
        .execute(conn)
        .await
        .map(drop)
}

/// The results of import `id`, as stored.
pub(crate) async fn reply(conn: &mut Conn, id: Uuid) -> QueryResult<Option<Vec<u8>>> {
    import_replies::table
        .find(id)
        .select(import_replies::reply)
        .first(conn)
        .await
        .optional()
}
