//! Participants: writes, lookups, listings.

use diesel::pg::Pg;
use diesel::{
    BoolExpressionMethods as _, ExpressionMethods as _, JoinOnDsl as _,
    NullableExpressionMethods as _, OptionalExtension as _, QueryDsl as _, QueryResult,
    SelectableHelper as _,
};
use diesel_async::RunQueryDsl as _;

use crate::ids::{CategoryId, DelegationId, EventId, OrganizationId, ParticipantId, TokenId};

use super::{
    Conn,
    models::{Participant, ParticipantStatus},
    schema::{categories, organizations, participants},
};

/// A participant with the names of what it refers to.
pub(crate) type ParticipantRow = (Participant, String, Option<String>);

/// Inserts participants, skipping any that collide with an active
/// participant's email, travel document or roster reference;
/// returns the ids inserted. The rows travel as one array per column
/// (`unnest`): a statement of 24 parameters whatever the batch size,
/// instead of 24 per row to parse.
pub(crate) async fn insert_many(
    conn: &mut Conn,
    rows: &[&Participant],
) -> QueryResult<Vec<ParticipantId>> {
    use diesel::sql_types::{Array, BigInt, Bytea, Nullable, Text, Timestamptz, Uuid as SqlUuid};
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    macro_rules! column {
        ($field:ident) => {
            rows.iter().map(|r| r.$field.clone()).collect::<Vec<_>>()
        };
    }
    #[derive(diesel::QueryableByName)]
    struct Id {
        #[diesel(sql_type = SqlUuid)]
        id: ParticipantId,
    }
    let ids: Vec<Id> = diesel::sql_query(
        "INSERT INTO participants (id, event_id, given_name, family_name, native_name, given_key, family_key,
             organization_id, country, job_title, category_id, delegation_id, email, phone,
             document_cipher, document_hash, status, cancel_reason, version, created_at, updated_at,
             external_ref, answers, answer_text)
         SELECT id, event_id, given_name, family_name, native_name, given_key, family_key, organization_id,
             country, job_title, category_id, delegation_id, email, phone, document_cipher, document_hash,
             status, cancel_reason, version, created_at, updated_at, external_ref, answers, answer_text
         FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
             $8::uuid[], $9::text[], $10::text[], $11::uuid[], $12::uuid[], $13::text[], $14::text[],
             $15::bytea[], $16::bytea[], $17::text[], $18::text[], $19::int8[], $20::timestamptz[],
             $21::timestamptz[], $22::text[], $23::jsonb[], $24::text[])
             AS u (id, event_id, given_name, family_name, native_name, given_key, family_key, organization_id,
                 country, job_title, category_id, delegation_id, email, phone, document_cipher, document_hash,
                 status, cancel_reason, version, created_at, updated_at, external_ref, answers, answer_text)
         ON CONFLICT DO NOTHING RETURNING id",
    )
    .bind::<Array<SqlUuid>, _>(column!(id))
    .bind::<Array<SqlUuid>, _>(column!(event_id))
    .bind::<Array<Text>, _>(column!(given_name))
    .bind::<Array<Text>, _>(column!(family_name))
    .bind::<Array<Text>, _>(column!(native_name))
    .bind::<Array<Text>, _>(column!(given_key))
    .bind::<Array<Text>, _>(column!(family_key))
    .bind::<Array<Nullable<SqlUuid>>, _>(column!(organization_id))
    .bind::<Array<Text>, _>(column!(country))
    .bind::<Array<Text>, _>(column!(job_title))
    .bind::<Array<SqlUuid>, _>(column!(category_id))
    .bind::<Array<Nullable<SqlUuid>>, _>(column!(delegation_id))
    .bind::<Array<Text>, _>(column!(email))
    .bind::<Array<Text>, _>(column!(phone))
    .bind::<Array<Nullable<Bytea>>, _>(column!(document_cipher))
    .bind::<Array<Nullable<Bytea>>, _>(column!(document_hash))
    .bind::<Array<Text>, _>(column!(status))
    .bind::<Array<Text>, _>(column!(cancel_reason))
    .bind::<Array<BigInt>, _>(column!(version))
    .bind::<Array<Timestamptz>, _>(column!(created_at))
    .bind::<Array<Timestamptz>, _>(column!(updated_at))
    .bind::<Array<Text>, _>(column!(external_ref))
    .bind::<Array<diesel::sql_types::Jsonb>, _>(column!(answers))
    .bind::<Array<Text>, _>(column!(answer_text))
    .load(conn)
    .await?;
    Ok(ids.into_iter().map(|i| i.id).collect())
}

/// Removes participants this transaction has just inserted and nothing
/// refers to yet (an import's rows over a delegation quota).
pub(crate) async fn delete_unreferenced(conn: &mut Conn, ids: &[ParticipantId]) -> QueryResult<()> {
    if ids.is_empty() {
        return Ok(());
    }
    diesel::delete(participants::table.filter(participants::id.eq_any(ids)))
        .execute(conn)
        .await
        .map(drop)
}

/// Active participants of the event holding any of these emails (compared
/// lower-cased) or document hashes: `(id, lower(email), document_hash)`.
pub(crate) async fn find_active_duplicates(
    conn: &mut Conn,
    event_id: EventId,
    emails_lower: &[String],
    document_hashes: &[Vec<u8>],
) -> QueryResult<Vec<(ParticipantId, String, Option<Vec<u8>>)>> {
    use diesel::sql_types::{Array, Bytea, Nullable, Text, Uuid as SqlUuid};
    #[derive(diesel::QueryableByName)]
    struct Found {
        #[diesel(sql_type = SqlUuid)]
        id: ParticipantId,
        #[diesel(sql_type = Text)]
        email: String,
        #[diesel(sql_type = Nullable<Bytea>)]
        document_hash: Option<Vec<u8>>,
    }
    if emails_lower.is_empty() && document_hashes.is_empty() {
        return Ok(Vec::new());
    }
    // The partial unique indexes' own predicates, written as literals: with
    // `status` as a bind parameter a cached generic plan cannot use them
    // and reads every participant of the event, once per imported batch.
    let found: Vec<Found> = diesel::sql_query(
        "SELECT id, lower(email) AS email, document_hash FROM participants
         WHERE event_id = $1 AND status = 'active' AND email <> '' AND lower(email) = ANY ($2)
         UNION
         SELECT id, lower(email) AS email, document_hash FROM participants
         WHERE event_id = $1 AND status = 'active' AND document_hash IS NOT NULL
           AND document_hash = ANY ($3)",
    )
    .bind::<SqlUuid, _>(event_id)
    .bind::<Array<Text>, _>(emails_lower)
    .bind::<Array<Bytea>, _>(document_hashes)
    .load(conn)
    .await?;
    Ok(found
        .into_iter()
        .map(|f| (f.id, f.email, f.document_hash))
        .collect())
}

#[diesel::dsl::auto_type]
fn with_refs() -> _ {
    participants::table
        .inner_join(categories::table.on(categories::id.eq(participants::category_id)))
        .left_join(
            organizations::table.on(organizations::id
                .nullable()
                .eq(participants::organization_id)),
        )
}

pub(crate) async fn find(
    conn: &mut Conn,
    id: ParticipantId,
) -> QueryResult<Option<ParticipantRow>> {
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

pub(crate) async fn find_many(
    conn: &mut Conn,
    ids: &[ParticipantId],
) -> QueryResult<Vec<ParticipantRow>> {
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

pub(crate) async fn members_of(
    conn: &mut Conn,
    delegation_id: DelegationId,
) -> QueryResult<Vec<ParticipantRow>> {
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
pub(crate) async fn lock(conn: &mut Conn, id: ParticipantId) -> QueryResult<Option<Participant>> {
    participants::table
        .find(id)
        .select(Participant::as_select())
        .for_update()
        .first(conn)
        .await
        .optional()
}

/// The participants of `event_id` holding these roster references, locked
/// until the transaction ends.
pub(crate) async fn lock_by_external_refs(
    conn: &mut Conn,
    event_id: EventId,
    refs: &[String],
) -> QueryResult<Vec<Participant>> {
    participants::table
        .filter(participants::event_id.eq(event_id))
        .filter(participants::external_ref.eq_any(refs))
        .select(Participant::as_select())
        .for_update()
        .load(conn)
        .await
}

/// Writes every column of `row` (the caller bumped the version).
pub(crate) async fn update(conn: &mut Conn, row: &Participant) -> QueryResult<()> {
    diesel::update(participants::table.find(row.id))
        .set(row)
        .execute(conn)
        .await
        .map(drop)
}

/// Active members of a delegation in a category.
pub(crate) async fn count_active_in(
    conn: &mut Conn,
    delegation_id: DelegationId,
    category_id: CategoryId,
) -> QueryResult<i64> {
    participants::table
        .filter(participants::delegation_id.eq(delegation_id))
        .filter(participants::category_id.eq(category_id))
        .filter(participants::status.eq(ParticipantStatus::Active))
        .count()
        .get_result(conn)
        .await
}

/// Where the previous page of a search ended: family key, given key and id
/// of its last participant (the listing order, with or without a name).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct Cursor(pub String, pub String, pub ParticipantId);

/// The name part of a search.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) enum NameFilter {
    /// No name typed: everybody.
    #[default]
    Any,
    /// Typed text without a word: nobody.
    Nobody,
    /// Participants with, for every one of these typed words, a search key
    /// that begins with it (`domain::name_index`).
    Words(Vec<String>),
}

/// Filters of a search, already resolved to ids and keys.
#[derive(Debug, Clone)]
pub(crate) struct SearchFilter {
    pub event_id: EventId,
    pub name: NameFilter,
    pub organization_id: Option<OrganizationId>,
    pub country: Option<String>,
    pub category_id: Option<CategoryId>,
    pub delegation_id: Option<DelegationId>,
    pub status: Option<ParticipantStatus>,
    /// Keyset: the last row of the previous page.
    pub after: Option<Cursor>,
    pub limit: i64,
}

type BoxedListing = participants::BoxedQuery<
    'static,
    Pg,
    (
        diesel::sql_types::Text,
        diesel::sql_types::Text,
        diesel::sql_types::Uuid,
    ),
>;

/// Everybody matching the filters (the cursor aside).
fn matching(filter: &SearchFilter) -> BoxedListing {
    let mut query = participants::table
        .filter(participants::event_id.eq(filter.event_id))
        .select((
            participants::family_key,
            participants::given_key,
            participants::id,
        ))
        .into_boxed();
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
    query
}

/// How many match the filters, every page together.
pub(crate) async fn count_matching(conn: &mut Conn, filter: &SearchFilter) -> QueryResult<i64> {
    matching(filter).count().get_result(conn).await
}

/// Everybody matching the filters, by family name, given name, id.
fn listing(filter: &SearchFilter) -> BoxedListing {
    let mut query = matching(filter);
    if let Some(Cursor(family, given, id)) = &filter.after {
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

/// The first matches of a search without a name, in the listing order:
/// (family key, given key, id).
pub(crate) async fn listing_order(
    conn: &mut Conn,
    filter: &SearchFilter,
) -> QueryResult<Vec<(String, String, ParticipantId)>> {
    match filter.name {
        NameFilter::Any => listing(filter).load(conn).await,
        NameFilter::Nobody | NameFilter::Words(_) => Ok(Vec::new()),
    }
}

/// The participants of a page, in its order, each with its cursor.
pub(crate) async fn rows_in_order(
    conn: &mut Conn,
    order: Vec<(String, String, ParticipantId)>,
) -> QueryResult<Vec<(ParticipantRow, Cursor)>> {
    let ids: Vec<ParticipantId> = order.iter().map(|(_, _, id)| *id).collect();
    let mut rows: std::collections::HashMap<ParticipantId, ParticipantRow> = find_many(conn, &ids)
        .await?
        .into_iter()
        .map(|r| (r.0.id, r))
        .collect();
    Ok(order
        .into_iter()
        .filter_map(|(f, g, id)| rows.remove(&id).map(|row| (row, Cursor(f, g, id))))
        .collect())
}

/// The plan PostgreSQL picks for a search: the listing without a name, or
/// the query that brings a name index up to date with a name.
pub(crate) async fn explain_search(conn: &mut Conn, filter: &SearchFilter) -> QueryResult<String> {
    match &filter.name {
        NameFilter::Words(_) => super::name_index::explain_changes(conn, filter.event_id).await,
        NameFilter::Any | NameFilter::Nobody => {
            super::explain::explain(conn, listing(filter)).await
        }
    }
}

/// What [`register_one`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RegisterOutcome {
    /// The participant and its audit row are written.
    Inserted,
    /// The idempotency key was used before (or is being used by a concurrent
    /// call): nothing written.
    KeySeen,
    /// An active participant holds the email or document: nothing written.
    Duplicate,
}

/// The single statement of [`register_one`]; a type of its own so the
/// prepared statement is cached per connection (a raw `sql_query` is parsed
/// and planned anew on every call).
struct RegisterStatement<'a> {
    request_id: &'a str,
    fingerprint: &'a [u8],
    row: &'a Participant,
    token_id: Option<TokenId>,
}

struct RegisterStatementId;

impl diesel::query_builder::QueryId for RegisterStatement<'_> {
    type QueryId = RegisterStatementId;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl diesel::query_builder::Query for RegisterStatement<'_> {
    type SqlType = (diesel::sql_types::BigInt, diesel::sql_types::BigInt);
}

impl diesel::query_builder::QueryFragment<Pg> for RegisterStatement<'_> {
    fn walk_ast<'b>(
        &'b self,
        mut out: diesel::query_builder::AstPass<'_, 'b, Pg>,
    ) -> QueryResult<()> {
        use diesel::sql_types::{BigInt, Bytea, Nullable, Text, Timestamptz, Uuid as SqlUuid};
        let r = self.row;
        out.push_sql(
            "WITH p AS (INSERT INTO participants (id, event_id, given_name, family_name, native_name, given_key, \
             family_key, organization_id, country, job_title, category_id, delegation_id, email, phone, \
             document_cipher, document_hash, status, cancel_reason, version, created_at, updated_at, \
             external_ref, answers, answer_text) SELECT ",
        );
        out.push_bind_param::<SqlUuid, _>(&r.id)?;
        out.push_sql(", ");
        out.push_bind_param::<SqlUuid, _>(&r.event_id)?;
        for text in [
            &r.given_name,
            &r.family_name,
            &r.native_name,
            &r.given_key,
            &r.family_key,
        ] {
            out.push_sql(", ");
            out.push_bind_param::<Text, _>(text)?;
        }
        out.push_sql(", ");
        out.push_bind_param::<Nullable<SqlUuid>, _>(&r.organization_id)?;
        out.push_sql(", ");
        out.push_bind_param::<Text, _>(&r.country)?;
        out.push_sql(", ");
        out.push_bind_param::<Text, _>(&r.job_title)?;
        out.push_sql(", ");
        out.push_bind_param::<SqlUuid, _>(&r.category_id)?;
        out.push_sql(", ");
        out.push_bind_param::<Nullable<SqlUuid>, _>(&r.delegation_id)?;
        out.push_sql(", ");
        out.push_bind_param::<Text, _>(&r.email)?;
        out.push_sql(", ");
        out.push_bind_param::<Text, _>(&r.phone)?;
        out.push_sql(", ");
        out.push_bind_param::<Nullable<Bytea>, _>(&r.document_cipher)?;
        out.push_sql(", ");
        out.push_bind_param::<Nullable<Bytea>, _>(&r.document_hash)?;
        out.push_sql(", ");
        out.push_bind_param::<Text, _>(&r.status)?;
        out.push_sql(", ");
        out.push_bind_param::<Text, _>(&r.cancel_reason)?;
        out.push_sql(", ");
        out.push_bind_param::<BigInt, _>(&r.version)?;
        out.push_sql(", ");
        out.push_bind_param::<Timestamptz, _>(&r.created_at)?;
        out.push_sql(", ");
        out.push_bind_param::<Timestamptz, _>(&r.updated_at)?;
        out.push_sql(", ");
        out.push_bind_param::<Text, _>(&r.external_ref)?;
        out.push_sql(", ");
        out.push_bind_param::<diesel::sql_types::Jsonb, _>(&r.answers)?;
        out.push_sql(", ");
        out.push_bind_param::<Text, _>(&r.answer_text)?;
        out.push_sql(
            " WHERE NOT EXISTS (SELECT 1 FROM idempotency_keys WHERE scope = 'participant.register' AND request_id = ",
        );
        out.push_bind_param::<Text, _>(&self.request_id)?;
        out.push_sql(
            ") ON CONFLICT DO NOTHING RETURNING id, event_id), \
             claim AS (INSERT INTO idempotency_keys (scope, request_id, fingerprint, resource_id) \
             SELECT 'participant.register', ",
        );
        out.push_bind_param::<Text, _>(&self.request_id)?;
        out.push_sql(", ");
        out.push_bind_param::<Bytea, _>(&self.fingerprint)?;
        out.push_sql(
            ", p.id FROM p), \
             a AS (INSERT INTO audit_log (token_id, action, entity_type, entity_id, request_id) SELECT ",
        );
        out.push_bind_param::<Nullable<SqlUuid>, _>(&self.token_id)?;
        out.push_sql(", 'participant.register', 'participant', p.id, ");
        out.push_bind_param::<Text, _>(&self.request_id)?;
        out.push_sql(
            " FROM p) SELECT (SELECT count(*) FROM p), \
             (SELECT count(*) FROM idempotency_keys WHERE scope = 'participant.register' AND request_id = ",
        );
        out.push_bind_param::<Text, _>(&self.request_id)?;
        out.push_sql(")");
        Ok(())
    }
}

/// Inserts the participant, its audit row and its
/// idempotency key in one statement: one round trip, atomic even outside a
/// transaction. A concurrent call with the same key makes this statement
/// fail on the key's primary key, so the loser writes nothing.
pub(crate) async fn register_one(
    conn: &mut Conn,
    request_id: &str,
    fingerprint: &[u8],
    row: &Participant,
    token_id: Option<TokenId>,
) -> QueryResult<RegisterOutcome> {
    let statement = RegisterStatement {
        request_id,
        fingerprint,
        row,
        token_id,
    };
    match statement.get_result::<(i64, i64)>(conn).await {
        Ok((inserted, _)) if inserted > 0 => Ok(RegisterOutcome::Inserted),
        Ok((_, seen)) if seen > 0 => Ok(RegisterOutcome::KeySeen),
        Ok(_) => Ok(RegisterOutcome::Duplicate),
        Err(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            info,
        )) if info.constraint_name() == Some("idempotency_keys_pkey") => {
            Ok(RegisterOutcome::KeySeen)
        }
        Err(e) => Err(e),
    }
}
