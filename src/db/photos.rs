//! Holders' photos, and what the desk lists of each participant: their
//! badge's state and whether a photo is on file.

use chrono::{DateTime, Utc};
use diesel::sql_types::{Array, BigInt, Bool, Integer, Nullable, Timestamptz, Uuid as SqlUuid};
use diesel::{
    ExpressionMethods as _, JoinOnDsl as _, OptionalExtension as _, QueryDsl as _, QueryResult,
};
use diesel_async::RunQueryDsl as _;

use crate::ids::{EventId, ParticipantId};

use super::{Conn, schema::participant_photos};

/// Stores a participant's photo, replacing any.
pub(crate) async fn set(
    conn: &mut Conn,
    participant_id: ParticipantId,
    event_id: EventId,
    jpeg: &[u8],
    (width, height): (i32, i32),
    at: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::insert_into(participant_photos::table)
        .values((
            participant_photos::participant_id.eq(participant_id),
            participant_photos::event_id.eq(event_id),
            participant_photos::jpeg.eq(Some(jpeg)),
            participant_photos::width.eq(width),
            participant_photos::height.eq(height),
            participant_photos::updated_at.eq(at),
        ))
        .on_conflict(participant_photos::participant_id)
        .do_update()
        .set((
            participant_photos::jpeg.eq(Some(jpeg)),
            participant_photos::width.eq(width),
            participant_photos::height.eq(height),
            participant_photos::updated_at.eq(at),
        ))
        .execute(conn)
        .await
        .map(drop)
}

/// Forgets a participant's photo, keeping when it changed; whether there
/// was one.
pub(crate) async fn remove(
    conn: &mut Conn,
    participant_id: ParticipantId,
    at: DateTime<Utc>,
) -> QueryResult<bool> {
    let n = diesel::update(participant_photos::table)
        .filter(participant_photos::participant_id.eq(participant_id))
        .filter(participant_photos::jpeg.is_not_null())
        .set((
            participant_photos::jpeg.eq(None::<Vec<u8>>),
            participant_photos::width.eq(0),
            participant_photos::height.eq(0),
            participant_photos::updated_at.eq(at),
        ))
        .execute(conn)
        .await?;
    Ok(n > 0)
}

/// The photo of a participant and when it was set.
pub(crate) async fn get(
    conn: &mut Conn,
    participant_id: ParticipantId,
) -> QueryResult<Option<(Vec<u8>, DateTime<Utc>)>> {
    let row: Option<(Option<Vec<u8>>, DateTime<Utc>)> = participant_photos::table
        .find(participant_id)
        .select((participant_photos::jpeg, participant_photos::updated_at))
        .first(conn)
        .await
        .optional()?;
    Ok(row.and_then(|(jpeg, at)| jpeg.map(|j| (j, at))))
}

/// The photo of the holder of a badge (by its serial, which every version
/// keeps), if one is on file.
pub(crate) async fn of_badge(conn: &mut Conn, serial: i64) -> QueryResult<Option<Vec<u8>>> {
    let row: Option<Option<Vec<u8>>> = participant_photos::table
        .inner_join(
            super::schema::badges::table
                .on(super::schema::badges::participant_id.eq(participant_photos::participant_id)),
        )
        .filter(super::schema::badges::serial.eq(serial))
        .select(participant_photos::jpeg)
        .first(conn)
        .await
        .optional()?;
    Ok(row.flatten())
}

/// What the desk lists of a participant besides their record.
#[derive(Debug, Clone, diesel::QueryableByName)]
pub(crate) struct DeskFacts {
    #[diesel(sql_type = SqlUuid)]
    pub participant_id: ParticipantId,
    #[diesel(sql_type = Bool)]
    pub has_photo: bool,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub photo_changed_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub issued_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Bool)]
    pub revoked: bool,
    #[diesel(sql_type = Bool)]
    pub blocked: bool,
    /// The newest badge's serial and version.
    #[diesel(sql_type = Nullable<BigInt>)]
    pub serial: Option<i64>,
    #[diesel(sql_type = Nullable<Integer>)]
    pub version: Option<i32>,
}

/// The latest badge and the photo of each of these participants, in one
/// statement (a page of search results, a delegation's members).
pub(crate) async fn desk_facts(
    conn: &mut Conn,
    ids: &[ParticipantId],
) -> QueryResult<Vec<DeskFacts>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    diesel::sql_query(
        "SELECT p.id AS participant_id,
                coalesce(ph.jpeg IS NOT NULL, false) AS has_photo,
                ph.updated_at AS photo_changed_at,
                b.issued_at,
                coalesce(b.revoked_at IS NOT NULL, false) AS revoked,
                (bb.serial IS NOT NULL) AS blocked,
                b.serial, b.version
         FROM unnest($1) AS p(id)
         LEFT JOIN participant_photos ph ON ph.participant_id = p.id
         LEFT JOIN LATERAL (
             SELECT serial, version, issued_at, revoked_at FROM badges
             WHERE participant_id = p.id ORDER BY version DESC LIMIT 1
         ) b ON true
         LEFT JOIN badge_blocks bb ON bb.serial = b.serial",
    )
    .bind::<Array<SqlUuid>, _>(ids)
    .load(conn)
    .await
}
