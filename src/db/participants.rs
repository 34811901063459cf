//! Participants and their search keys.

use diesel::pg::Pg;
use diesel::{
    BoolExpressionMethods as _, ExpressionMethods as _, JoinOnDsl as _,
    NullableExpressionMethods as _, OptionalExtension as _, QueryDsl as _, QueryResult,
    SelectableHelper as _,
};
use diesel_async::{AsyncConnection as _, RunQueryDsl as _};
use uuid::Uuid;

use super::{
    Conn,
    models::{Participant, STATUS_ACTIVE},
    schema::{categories, organizations, participants},
};

/// A participant with the names of what it refers to.
pub type ParticipantRow = (Participant, String, Option<String>);

/// Inserts participants with their search terms (`terms[i]` is the
/// `tsvector` literal of `rows[i]`, `search_key::terms_literal`), skipping
/// any that collide with an active participant's email or travel document;
/// returns the ids inserted. The rows travel as one array per column
/// (`unnest`): a statement of 23 parameters whatever the batch size,
/// instead of 23 per row to parse.
pub async fn insert_many(
    conn: &mut Conn,
    rows: &[&Participant],
    terms: &[&str],
) -> QueryResult<Vec<Uuid>> {
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
        id: Uuid,
    }
    let ids: Vec<Id> = diesel::sql_query(
        "INSERT INTO participants (id, event_id, given_name, family_name, native_name, given_key, family_key,
             organization_id, country, job_title, category_id, delegation_id, email, phone,
             document_cipher, document_hash, status, cancel_reason, version, created_at, updated_at, name_terms,
             external_ref)
         SELECT id, event_id, given_name, family_name, native_name, given_key, family_key, organization_id,
             country, job_title, category_id, delegation_id, email, phone, document_cipher, document_hash,
             status, cancel_reason, version, created_at, updated_at, CAST(terms AS tsvector), external_ref
         FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
             $8::uuid[], $9::text[], $10::text[], $11::uuid[], $12::uuid[], $13::text[], $14::text[],
             $15::bytea[], $16::bytea[], $17::text[], $18::text[], $19::int8[], $20::timestamptz[],
             $21::timestamptz[], $22::text[], $23::text[])
             AS u (id, event_id, given_name, family_name, native_name, given_key, family_key, organization_id,
                 country, job_title, category_id, delegation_id, email, phone, document_cipher, document_hash,
                 status, cancel_reason, version, created_at, updated_at, terms, external_ref)
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
    .bind::<Array<Text>, _>(terms)
    .bind::<Array<Text>, _>(column!(external_ref))
    .load(conn)
    .await?;
    Ok(ids.into_iter().map(|i| i.id).collect())
}

/// Removes participants this transaction has just inserted and nothing
/// refers to yet (an import's rows over a delegation quota).
pub async fn delete_unreferenced(conn: &mut Conn, ids: &[Uuid]) -> QueryResult<()> {
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
pub async fn find_active_duplicates(
    conn: &mut Conn,
    event_id: Uuid,
    emails_lower: &[String],
    document_hashes: &[Vec<u8>],
) -> QueryResult<Vec<(Uuid, String, Option<Vec<u8>>)>> {
    use diesel::sql_types::{Array, Bytea, Nullable, Text, Uuid as SqlUuid};
    #[derive(diesel::QueryableByName)]
    struct Found {
        #[diesel(sql_type = SqlUuid)]
        id: Uuid,
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

/// The participants of `event_id` holding these roster references, locked
/// until the transaction ends.
pub async fn lock_by_external_refs(
    conn: &mut Conn,
    event_id: Uuid,
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

/// Writes every column of `row` (the caller bumped the version) and, when
/// its names changed, their search terms (a `tsvector` literal).
pub async fn update(conn: &mut Conn, row: &Participant, terms: Option<&str>) -> QueryResult<()> {
    use super::schema::sql_types::Tsvector;
    use diesel::sql_types::Text;
    let target = participants::table.find(row.id);
    match terms {
        Some(terms) => {
            let terms = diesel::dsl::sql::<Tsvector>("CAST(")
                .bind::<Text, _>(terms.to_owned())
                .sql(" AS tsvector)");
            // The terms are derived by the current rules, whose number is
            // the column's default.
            diesel::update(target)
                .set((
                    row,
                    participants::name_terms.eq(terms),
                    participants::terms_version
                        .eq(diesel::dsl::sql::<diesel::sql_types::SmallInt>("DEFAULT")),
                ))
                .execute(conn)
                .await
        }
        None => diesel::update(target).set(row).execute(conn).await,
    }
    .map(drop)
}

/// The names of a participant whose search terms were derived by older
/// rules than `version`.
#[derive(Debug, diesel::QueryableByName)]
pub struct StaleTerms {
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    pub id: Uuid,
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    pub event_id: Uuid,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub given_name: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub family_name: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub native_name: String,
}

/// Up to `limit` participants whose terms are older than `version`,
/// locked until the transaction ends; rows another transaction holds are
/// skipped, so several instances can refresh side by side.
pub async fn lock_stale_terms(
    conn: &mut Conn,
    version: i16,
    limit: i64,
) -> QueryResult<Vec<StaleTerms>> {
    use diesel::sql_types::{BigInt, SmallInt};
    diesel::sql_query(
        "SELECT id, event_id, given_name, family_name, native_name FROM participants
         WHERE terms_version < $1 ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED",
    )
    .bind::<SmallInt, _>(version)
    .bind::<BigInt, _>(limit)
    .load(conn)
    .await
}

/// Writes participants' search terms (`terms[i]` of `ids[i]`, `tsvector`
/// literals) as derived by the rules of `version`.
pub async fn set_terms(
    conn: &mut Conn,
    ids: &[Uuid],
    terms: &[String],
    version: i16,
) -> QueryResult<()> {
    use diesel::sql_types::{Array, SmallInt, Text, Uuid as SqlUuid};
    diesel::sql_query(
        "UPDATE participants p SET name_terms = CAST(u.terms AS tsvector), terms_version = $3
         FROM unnest($1::uuid[], $2::text[]) AS u (id, terms) WHERE p.id = u.id",
    )
    .bind::<Array<SqlUuid>, _>(ids)
    .bind::<Array<Text>, _>(terms)
    .bind::<SmallInt, _>(version)
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

/// Where the previous page of a search ended: family key, given key and id
/// of its last participant (the listing order, with or without a name).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Cursor(pub String, pub String, pub Uuid);

/// The name part of a search.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum NameFilter {
    /// No name typed: everybody.
    #[default]
    Any,
    /// Typed text without a word: nobody.
    Nobody,
    /// Participants whose search terms match this `tsquery` literal
    /// (`search_key::words_query`).
    Words(String),
}

/// Filters of a search, already resolved to ids and keys.
#[derive(Debug, Clone, Default)]
pub struct SearchFilter {
    pub event_id: Uuid,
    pub name: NameFilter,
    pub organization_id: Option<Uuid>,
    pub country: Option<String>,
    pub category_id: Option<Uuid>,
    pub delegation_id: Option<Uuid>,
    pub status: Option<&'static str>,
    /// Keyset: the last row of the previous page.
    pub after: Option<Cursor>,
    pub limit: i64,
}

type BoxedSql = diesel::query_builder::BoxedSqlQuery<'static, Pg, diesel::query_builder::SqlQuery>;

/// Appends ` AND ...` for each filter of a search but the event and the
/// name, binding their values as `$n`, `$n+1`... (`n` is the last
/// placeholder already used).
fn push_filters(mut sql: BoxedSql, filter: &SearchFilter, n: &mut usize) -> BoxedSql {
    use diesel::sql_types::{Text, Uuid as SqlUuid};
    let mut next = || {
        *n += 1;
        *n
    };
    if let Some(id) = filter.organization_id {
        sql = sql
            .sql(format!(" AND organization_id = ${}", next()))
            .bind::<SqlUuid, _>(id);
    }
    if let Some(country) = &filter.country {
        sql = sql
            .sql(format!(" AND country = ${}", next()))
            .bind::<Text, _>(country.clone());
    }
    if let Some(id) = filter.category_id {
        sql = sql
            .sql(format!(" AND category_id = ${}", next()))
            .bind::<SqlUuid, _>(id);
    }
    if let Some(id) = filter.delegation_id {
        sql = sql
            .sql(format!(" AND delegation_id = ${}", next()))
            .bind::<SqlUuid, _>(id);
    }
    if let Some(status) = filter.status {
        sql = sql
            .sql(format!(" AND status = ${}", next()))
            .bind::<Text, _>(status);
    }
    sql
}

/// Appends ` AND (family_key, given_key, id) > (...)` when the search
/// continues after a cursor.
fn push_cursor(mut sql: BoxedSql, filter: &SearchFilter, n: &mut usize) -> BoxedSql {
    use diesel::sql_types::{Text, Uuid as SqlUuid};
    if let Some(Cursor(family, given, id)) = &filter.after {
        let (a, b, c) = (*n + 1, *n + 2, *n + 3);
        *n += 3;
        sql = sql
            .sql(format!(
                " AND (family_key, given_key, id) > (${a}, ${b}, ${c})"
            ))
            .bind::<Text, _>(family.clone())
            .bind::<Text, _>(given.clone())
            .bind::<SqlUuid, _>(*id);
    }
    sql
}

/// Rows of the listing order a name search reads, at most, before it asks
/// the GIN index.
const WALK: i64 = 1_000;

/// The first step of a name search: the event's participants in the
/// listing order from the cursor on, read through the order index and
/// tested one by one, until a page of matches is found or [`WALK`] rows
/// were read. A prefix that many people share fills a page within a few
/// rows, whereas the GIN index would hand over every one of them to be
/// sorted; a rare one does not, and the GIN index answers it from its few
/// matches ([`name_search`]).
fn walk_search(filter: &SearchFilter, query: &str) -> BoxedSql {
    use diesel::sql_types::{BigInt, Text, Uuid as SqlUuid};
    let mut sql = diesel::sql_query(
        "SELECT family_key, given_key, id FROM (SELECT family_key, given_key, id, name_terms, \
         organization_id, country, category_id, delegation_id, status FROM participants \
         WHERE event_id = $1",
    )
    .into_boxed::<'static, Pg>()
    .bind::<SqlUuid, _>(filter.event_id);
    let mut n = 1;
    sql = push_cursor(sql, filter, &mut n);
    let (walk, query_at) = (n + 1, n + 2);
    n += 2;
    sql = sql
        .sql(format!(
            " ORDER BY family_key, given_key, id LIMIT ${walk}) AS w \
             WHERE name_terms @@ CAST(${query_at} AS tsquery)"
        ))
        .bind::<BigInt, _>(WALK)
        .bind::<Text, _>(query.to_owned());
    sql = push_filters(sql, filter, &mut n);
    sql.sql(format!(
        " ORDER BY family_key, given_key, id LIMIT ${}",
        n + 1
    ))
    .bind::<BigInt, _>(filter.limit)
}

/// A name search: the participants whose search terms match, found
/// through the GIN index on `name_terms` alone (the subquery with `OFFSET 0`
/// is a fence: nothing else goes into it; the query names the event, see
/// `search_key::words_query`), then filtered and put in the listing order.
/// Left to itself, PostgreSQL answers a prefix it thinks common by walking
/// the whole listing order and testing every row, which reads all the rows
/// that sort before the matches (every "ivan" may be a "petrov"); and with
/// an event's statistics stale after an import, it intersects the matches
/// with every row of the event read from another index.
fn name_search(filter: &SearchFilter, query: &str) -> BoxedSql {
    use diesel::sql_types::{BigInt, Text, Uuid as SqlUuid};
    let mut sql = diesel::sql_query(
        "SELECT family_key, given_key, id FROM (SELECT id, event_id, family_key, given_key, \
         organization_id, country, category_id, delegation_id, status FROM participants \
         WHERE name_terms @@ CAST($1 AS tsquery) OFFSET 0) AS hits WHERE event_id = $2",
    )
    .into_boxed::<'static, Pg>()
    .bind::<Text, _>(query.to_owned())
    .bind::<SqlUuid, _>(filter.event_id);
    let mut n = 2;
    sql = push_filters(sql, filter, &mut n);
    sql = push_cursor(sql, filter, &mut n);
    sql.sql(format!(
        " ORDER BY family_key, given_key, id LIMIT ${}",
        n + 1
    ))
    .bind::<BigInt, _>(filter.limit)
}

/// The matches of a name search in the listing order: the walk when it
/// settles the page, else the GIN index. One transaction, whose planner
/// settings make each step the plan it is meant to be (see
/// [`plan_walk`] and [`plan_gin`]).
async fn name_matches(
    conn: &mut Conn,
    filter: &SearchFilter,
    query: &str,
) -> QueryResult<Vec<(String, String, Uuid)>> {
    let walk = walk_search(filter, query);
    let search = name_search(filter, query);
    conn.transaction::<_, diesel::result::Error, _>(async move |conn| {
        plan_walk(conn).await?;
        let found: Vec<Hit> = walk.load(conn).await?;
        if i64::try_from(found.len()).unwrap_or(i64::MAX) >= filter.limit {
            return Ok(found
                .into_iter()
                .map(|h| (h.family_key, h.given_key, h.id))
                .collect());
        }
        plan_gin(conn).await?;
        Ok(search
            .load::<Hit>(conn)
            .await?
            .into_iter()
            .map(|h| (h.family_key, h.given_key, h.id))
            .collect())
    })
    .await
}

/// A row of [`name_search`]: its place in the listing order.
#[derive(diesel::QueryableByName)]
struct Hit {
    #[diesel(sql_type = diesel::sql_types::Text)]
    family_key: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    given_key: String,
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    id: Uuid,
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

/// Everybody matching the filters, by family name, given name, id.
fn listing(filter: &SearchFilter) -> BoxedListing {
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

/// One page of a search, in order, each row with its cursor.
pub async fn search(
    conn: &mut Conn,
    filter: &SearchFilter,
) -> QueryResult<Vec<(ParticipantRow, Cursor)>> {
    let order: Vec<(String, String, Uuid)> = match &filter.name {
        NameFilter::Nobody => Vec::new(),
        NameFilter::Words(query) => name_matches(conn, filter, query).await?,
        NameFilter::Any => listing(filter).load(conn).await?,
    };
    let ids: Vec<Uuid> = order.iter().map(|(_, _, id)| *id).collect();
    let mut rows: std::collections::HashMap<Uuid, ParticipantRow> = find_many(conn, &ids)
        .await?
        .into_iter()
        .map(|r| (r.0.id, r))
        .collect();
    Ok(order
        .into_iter()
        .filter_map(|(f, g, id)| rows.remove(&id).map(|row| (row, Cursor(f, g, id))))
        .collect())
}

/// Plans the rest of the transaction to walk the order index: no
/// sequential scan, no bitmap scan, so the index's order is used. Right
/// after an import the event's statistics say it is nearly empty, and
/// PostgreSQL would read and sort all of it instead. A plan that costs
/// more than `jit_above_cost` only because a way is disabled must not be
/// compiled either (a quarter of a second).
async fn plan_walk(conn: &mut Conn) -> QueryResult<()> {
    diesel::sql_query(
        "SELECT set_config('enable_seqscan', 'off', true), \
         set_config('enable_bitmapscan', 'off', true), set_config('jit', 'off', true)",
    )
    .execute(conn)
    .await
    .map(drop)
}

/// Plans the rest of the transaction to ask the GIN index: no sequential
/// scan. PostgreSQL has no statistics for a prefix of search terms that
/// are all different (each lexeme starts with the event id), guesses that
/// 2 % of the table matches, and would read the whole table rather than ask
/// the GIN index.
async fn plan_gin(conn: &mut Conn) -> QueryResult<()> {
    diesel::sql_query(
        "SELECT set_config('enable_seqscan', 'off', true), \
         set_config('enable_bitmapscan', 'on', true), set_config('jit', 'off', true)",
    )
    .execute(conn)
    .await
    .map(drop)
}

/// The plans PostgreSQL picks for a search (both steps of a name search).
pub async fn explain_search(conn: &mut Conn, filter: &SearchFilter) -> QueryResult<String> {
    match &filter.name {
        NameFilter::Words(query) => {
            let walk = walk_search(filter, query);
            let search = name_search(filter, query);
            conn.transaction::<_, diesel::result::Error, _>(async move |conn| {
                plan_walk(conn).await?;
                let walk = super::explain::explain(conn, walk).await?;
                plan_gin(conn).await?;
                let search = super::explain::explain(conn, search).await?;
                Ok(format!(
                    "walk of the listing order:\n{walk}\nthen the GIN index:\n{search}"
                ))
            })
            .await
        }
        NameFilter::Any | NameFilter::Nobody => {
            super::explain::explain(conn, listing(filter)).await
        }
    }
}

/// What [`register_one`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegisterOutcome {
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
    terms: &'a str,
    token_id: Option<Uuid>,
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
             document_cipher, document_hash, status, cancel_reason, version, created_at, updated_at, name_terms, \
             external_ref) SELECT ",
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
        out.push_sql(", CAST(");
        out.push_bind_param::<Text, _>(&self.terms)?;
        out.push_sql(" AS tsvector), ");
        out.push_bind_param::<Text, _>(&r.external_ref)?;
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
pub async fn register_one(
    conn: &mut Conn,
    request_id: &str,
    fingerprint: &[u8],
    row: &Participant,
    terms: &str,
    token_id: Option<Uuid>,
) -> QueryResult<RegisterOutcome> {
    let statement = RegisterStatement {
        request_id,
        fingerprint,
        row,
        terms,
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
