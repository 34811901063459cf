//! Participants and their search keys.

use diesel::pg::Pg;
use diesel::{
    BoolExpressionMethods as _, ExpressionMethods as _, NullableExpressionMethods as _,
    OptionalExtension as _, QueryDsl as _, QueryResult, SelectableHelper as _,
    TextExpressionMethods as _,
};
use diesel_async::RunQueryDsl as _;
use uuid::Uuid;

use super::{
    Conn,
    models::{NameKey, Participant, STATUS_ACTIVE},
    schema::{categories, organizations, participant_name_keys, participants},
};

diesel::define_sql_function!(fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text);

/// A participant with the names of what it refers to.
pub type ParticipantRow = (Participant, String, Option<String>);

/// Inserts participants, skipping any that collide with an active
/// participant's email or travel document; returns the ids inserted.
pub async fn insert_many(conn: &mut Conn, rows: &[Participant]) -> QueryResult<Vec<Uuid>> {
    let mut inserted = Vec::with_capacity(rows.len());
    // 21 columns a row: 1,000 rows stay well under the 65,535 bind limit.
    for chunk in rows.chunks(1_000) {
        let ids: Vec<Uuid> = diesel::insert_into(participants::table)
            .values(chunk)
            .on_conflict_do_nothing()
            .returning(participants::id)
            .get_results(conn)
            .await?;
        inserted.extend(ids);
    }
    Ok(inserted)
}

pub async fn insert_name_keys(conn: &mut Conn, keys: &[NameKey]) -> QueryResult<()> {
    for chunk in keys.chunks(10_000) {
        diesel::insert_into(participant_name_keys::table)
            .values(chunk)
            .on_conflict_do_nothing()
            .execute(conn)
            .await?;
    }
    Ok(())
}

pub async fn replace_name_keys(conn: &mut Conn, id: Uuid, keys: &[NameKey]) -> QueryResult<()> {
    diesel::delete(
        participant_name_keys::table.filter(participant_name_keys::participant_id.eq(id)),
    )
    .execute(conn)
    .await?;
    insert_name_keys(conn, keys).await
}

/// Active participants of the event holding any of these emails (compared
/// lower-cased) or document hashes: `(id, lower(email), document_hash)`.
pub async fn find_active_duplicates(
    conn: &mut Conn,
    event_id: Uuid,
    emails_lower: &[String],
    document_hashes: &[Vec<u8>],
) -> QueryResult<Vec<(Uuid, String, Option<Vec<u8>>)>> {
    if emails_lower.is_empty() && document_hashes.is_empty() {
        return Ok(Vec::new());
    }
    participants::table
        .filter(participants::event_id.eq(event_id))
        .filter(participants::status.eq(STATUS_ACTIVE))
        .filter(
            lower(participants::email)
                .eq_any(emails_lower)
                .and(participants::email.ne(""))
                .or(participants::document_hash.eq_any(document_hashes)),
        )
        .select((
            participants::id,
            lower(participants::email),
            participants::document_hash,
        ))
        .load(conn)
        .await
}

#[diesel::dsl::auto_type]
fn with_refs() -> _ {
    participants::table
        .inner_join(categories::table)
        .left_join(organizations::table)
}

pub async fn find(conn: &mut Conn, id: Uuid) -> QueryResult<Option<ParticipantRow>> {
    with_refs()
        .filter(participants::id.eq(id))
        .select((
            Participant::as_select(),
            categories::code,
            organizations::name.nullable(),
        ))
        .first(conn)
        .await
        .optional()
}

pub async fn find_many(conn: &mut Conn, ids: &[Uuid]) -> QueryResult<Vec<ParticipantRow>> {
    with_refs()
        .filter(participants::id.eq_any(ids))
        .select((
            Participant::as_select(),
            categories::code,
            organizations::name.nullable(),
        ))
        .load(conn)
        .await
}

pub async fn members_of(conn: &mut Conn, delegation_id: Uuid) -> QueryResult<Vec<ParticipantRow>> {
    with_refs()
        .filter(participants::delegation_id.eq(delegation_id))
        .order((
            participants::family_key,
            participants::given_key,
            participants::id,
        ))
        .select((
            Participant::as_select(),
            categories::code,
            organizations::name.nullable(),
        ))
        .load(conn)
        .await
}

/// Reads and locks one participant until the transaction ends.
pub async fn lock(conn: &mut Conn, id: Uuid) -> QueryResult<Option<Participant>> {
    participants::table
        .find(id)
        .select(Participant::as_select())
        .for_update()
        .first(conn)
        .await
        .optional()
}

/// Writes every column of `row` (the caller bumped the version).
pub async fn update(conn: &mut Conn, row: &Participant) -> QueryResult<()> {
    diesel::update(participants::table.find(row.id))
        .set(row)
        .execute(conn)
        .await
        .map(drop)
}

/// Active members of a delegation in a category.
pub async fn count_active_in(
    conn: &mut Conn,
    delegation_id: Uuid,
    category_id: Uuid,
) -> QueryResult<i64> {
    participants::table
        .filter(participants::delegation_id.eq(delegation_id))
        .filter(participants::category_id.eq(category_id))
        .filter(participants::status.eq(STATUS_ACTIVE))
        .count()
        .get_result(conn)
        .await
}

/// Filters of a search, already resolved to ids and keys.
#[derive(Debug, Clone, Default)]
pub struct SearchFilter {
    pub event_id: Uuid,
    /// A LIKE pattern over `participant_name_keys.key` (escaped, ending in %).
    pub name_pattern: Option<String>,
    pub organization_id: Option<Uuid>,
    pub country: Option<String>,
    pub category_id: Option<Uuid>,
    pub delegation_id: Option<Uuid>,
    pub status: Option<&'static str>,
    /// Keyset: the last row of the previous page.
    pub after: Option<(String, String, Uuid)>,
    pub limit: i64,
}

type BoxedSearch = participants::BoxedQuery<'static, Pg, diesel::sql_types::Uuid>;

/// The search as one query over ids, in the stable order.
fn search_ids(filter: &SearchFilter) -> BoxedSearch {
    let mut query = participants::table
        .filter(participants::event_id.eq(filter.event_id))
        .select(participants::id)
        .into_boxed();
    if let Some(pattern) = &filter.name_pattern {
        let matching = participant_name_keys::table
            .filter(participant_name_keys::event_id.eq(filter.event_id))
            .filter(participant_name_keys::key.like(pattern.clone()))
            .select(participant_name_keys::participant_id);
        query = query.filter(participants::id.eq_any(matching));
    }
    if let Some(id) = filter.organization_id {
        query = query.filter(participants::organization_id.eq(id));
    }
    if let Some(country) = &filter.country {
        query = query.filter(participants::country.eq(country.clone()));
    }
    if let Some(id) = filter.category_id {
        query = query.filter(participants::category_id.eq(id));
    }
    if let Some(id) = filter.delegation_id {
        query = query.filter(participants::delegation_id.eq(id));
    }
    if let Some(status) = filter.status {
        query = query.filter(participants::status.eq(status));
    }
    if let Some((family, given, id)) = &filter.after {
        let (family, given, id) = (family.clone(), given.clone(), *id);
        query = query.filter(
            participants::family_key
                .gt(family.clone())
                .or(participants::family_key.eq(family).and(
                    participants::given_key
                        .gt(given.clone())
                        .or(participants::given_key
                            .eq(given)
                            .and(participants::id.gt(id))),
                )),
        );
    }
    query
        .order((
            participants::family_key,
            participants::given_key,
            participants::id,
        ))
        .limit(filter.limit)
}

/// One page of a search, in order.
pub async fn search(conn: &mut Conn, filter: &SearchFilter) -> QueryResult<Vec<ParticipantRow>> {
    let ids: Vec<Uuid> = search_ids(filter).load(conn).await?;
    let mut rows = find_many(conn, &ids).await?;
    rows.sort_by(|a, b| {
        (&a.0.family_key, &a.0.given_key, a.0.id).cmp(&(&b.0.family_key, &b.0.given_key, b.0.id))
    });
    Ok(rows)
}

/// The plan PostgreSQL picks for a search.
pub async fn explain_search(conn: &mut Conn, filter: &SearchFilter) -> QueryResult<String> {
    super::explain::explain(conn, search_ids(filter)).await
}
