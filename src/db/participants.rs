//! Participants and their search keys.

use diesel::pg::Pg;
use diesel::{
    BoolExpressionMethods as _, ExpressionMethods as _, JoinOnDsl as _,
    NullableExpressionMethods as _, OptionalExtension as _, QueryDsl as _, QueryResult,
    SelectableHelper as _, TextExpressionMethods as _,
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
/// Inserts participants, skipping any that collide with an active
/// participant's email or travel document; returns the ids inserted. The
/// rows travel as one array per column (`unnest`): a statement of 21
/// parameters whatever the batch size, instead of 21 per row to parse.
pub async fn insert_many(conn: &mut Conn, rows: &[Participant]) -> QueryResult<Vec<Uuid>> {
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
             document_cipher, document_hash, status, cancel_reason, version, created_at, updated_at)
         SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
             $8::uuid[], $9::text[], $10::text[], $11::uuid[], $12::uuid[], $13::text[], $14::text[],
             $15::bytea[], $16::bytea[], $17::text[], $18::text[], $19::int8[], $20::timestamptz[], $21::timestamptz[])
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
    .load(conn)
    .await?;
    Ok(ids.into_iter().map(|i| i.id).collect())
}

/// Inserts search keys, as three arrays (`unnest`). A participant's keys
/// are distinct (`search_key::name_keys`) and its id is new or its old keys
/// were just deleted, so there is nothing to skip: a plain insert, without
/// the extra index probe and WAL record per row of `ON CONFLICT`.
pub async fn insert_name_keys(conn: &mut Conn, keys: &[NameKey]) -> QueryResult<()> {
    use diesel::sql_types::{Array, Text, Uuid as SqlUuid};
    if keys.is_empty() {
        return Ok(());
    }
    diesel::sql_query(
        "INSERT INTO participant_name_keys (event_id, key, participant_id)
         SELECT * FROM unnest($1::uuid[], $2::text[], $3::uuid[])",
    )
    .bind::<Array<SqlUuid>, _>(keys.iter().map(|k| k.event_id).collect::<Vec<_>>())
    .bind::<Array<Text>, _>(keys.iter().map(|k| k.key.as_str()).collect::<Vec<_>>())
    .bind::<Array<SqlUuid>, _>(keys.iter().map(|k| k.participant_id).collect::<Vec<_>>())
    .execute(conn)
    .await
    .map(drop)
}

/// Replaces a participant's search keys: `old` are the keys of its
/// previous names (deleted through the primary key), `new` those of its
/// current ones.
pub async fn replace_name_keys(
    conn: &mut Conn,
    event_id: Uuid,
    participant_id: Uuid,
    old: &[String],
    new: &[NameKey],
) -> QueryResult<()> {
    diesel::delete(
        participant_name_keys::table
            .filter(participant_name_keys::event_id.eq(event_id))
            .filter(participant_name_keys::key.eq_any(old))
            .filter(participant_name_keys::participant_id.eq(participant_id)),
    )
    .execute(conn)
    .await?;
    insert_name_keys(conn, new).await
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

/// Where the previous page of a search ended.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(untagged)]
pub enum Cursor {
    /// A name search: the matched key and the participant.
    Name(String, Uuid),
    /// A listing: family key, given key, participant.
    Listing(String, String, Uuid),
}

/// Filters of a search, already resolved to ids and keys.
#[derive(Debug, Clone, Default)]
pub struct SearchFilter {
    pub event_id: Uuid,
    /// A name prefix to match against the search keys.
    pub name: Option<NameMatch>,
    pub organization_id: Option<Uuid>,
    pub country: Option<String>,
    pub category_id: Option<Uuid>,
    pub delegation_id: Option<Uuid>,
    pub status: Option<&'static str>,
    /// Keyset: the last row of the previous page.
    pub after: Option<Cursor>,
    pub limit: i64,
}

/// A name prefix, as search keys are matched.
#[derive(Debug, Clone)]
pub struct NameMatch {
    /// What keys start with: lower-cased, NFC (`search_key::sort_key`).
    pub prefix: String,
    /// The same as a LIKE pattern over `participant_name_keys.key`
    /// (wildcards escaped, ending in `%`).
    pub pattern: String,
    /// Every search key of a participant, as they were stored.
    pub keys_of: fn(&Participant) -> Vec<String>,
}

/// Adds the filters on participants' columns to a boxed query.
macro_rules! participant_filters {
    ($query:expr, $filter:expr) => {{
        let mut query = $query;
        let filter: &SearchFilter = $filter;
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
    }};
}

/// A name search walks the key index in (key, participant) order from the
/// cursor, so a page costs the same whether the prefix matches ten people or
/// ten thousand. (Each participant is then kept once, under its smallest
/// matching key: see [`search`].)
macro_rules! name_search {
    ($filter:expr, $pattern:expr, $after:expr, $limit:expr) => {{
        let filter: &SearchFilter = $filter;
        let pattern: String = $pattern;
        let after: &Option<Cursor> = $after;
        let mut query = participant_name_keys::table
            .inner_join(
                participants::table.on(participants::id.eq(participant_name_keys::participant_id)),
            )
            .filter(participant_name_keys::event_id.eq(filter.event_id))
            .filter(participant_name_keys::key.like(pattern))
            .select((
                participant_name_keys::key,
                participant_name_keys::participant_id,
            ))
            .into_boxed();
        query = participant_filters!(query, filter);
        if let Some(Cursor::Name(key, id)) = after {
            query = query.filter(
                participant_name_keys::key
                    .gt(key.clone())
                    .or(participant_name_keys::key
                        .eq(key.clone())
                        .and(participant_name_keys::participant_id.gt(*id))),
            );
        }
        query
            .order((
                participant_name_keys::key,
                participant_name_keys::participant_id,
            ))
            .limit($limit)
    }};
}

/// Name-search hits from the cursor on, each participant once: a hit is
/// kept only under the participant's smallest matching key, so a person
/// whose given and family names both match is listed once across all pages.
/// The smallest key is worked out from the participant's names (the keys
/// are derived from them), so no index by participant is kept on the keys.
async fn name_hits(
    conn: &mut Conn,
    filter: &SearchFilter,
    name: &NameMatch,
) -> QueryResult<Vec<(ParticipantRow, Cursor)>> {
    let wanted = usize::try_from(filter.limit).unwrap_or(0);
    let batch = filter.limit.saturating_mul(2).max(16);
    let mut after = filter.after.clone();
    let mut hits: Vec<(ParticipantRow, Cursor)> = Vec::new();
    loop {
        let rows: Vec<(String, Uuid)> = name_search!(filter, name.pattern.clone(), &after, batch)
            .load(conn)
            .await?;
        let exhausted = rows.len() < usize::try_from(batch).unwrap_or(0);
        let ids: Vec<Uuid> = rows.iter().map(|(_, id)| *id).collect();
        let mut people: std::collections::HashMap<Uuid, ParticipantRow> = find_many(conn, &ids)
            .await?
            .into_iter()
            .map(|r| (r.0.id, r))
            .collect();
        for (key, id) in rows {
            after = Some(Cursor::Name(key.clone(), id));
            let smallest = people.get(&id).is_some_and(|row| {
                (name.keys_of)(&row.0)
                    .iter()
                    .all(|k| !k.starts_with(&name.prefix) || *k >= key)
            });
            if let Some(row) = people.remove(&id).filter(|_| smallest) {
                hits.push((row, Cursor::Name(key, id)));
                if hits.len() == wanted {
                    return Ok(hits);
                }
            }
        }
        if exhausted {
            return Ok(hits);
        }
    }
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
    query = participant_filters!(query, filter);
    if let Some(Cursor::Listing(family, given, id)) = &filter.after {
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
    if let Some(name) = &filter.name {
        return name_hits(conn, filter, name).await;
    }
    let order: Vec<(Uuid, Cursor)> = listing(filter)
        .load::<(String, String, Uuid)>(conn)
        .await?
        .into_iter()
        .map(|(f, g, id)| (id, Cursor::Listing(f, g, id)))
        .collect();
    let ids: Vec<Uuid> = order.iter().map(|(id, _)| *id).collect();
    let mut rows: std::collections::HashMap<Uuid, ParticipantRow> = find_many(conn, &ids)
        .await?
        .into_iter()
        .map(|r| (r.0.id, r))
        .collect();
    Ok(order
        .into_iter()
        .filter_map(|(id, cursor)| rows.remove(&id).map(|row| (row, cursor)))
        .collect())
}

/// The plan PostgreSQL picks for a search.
pub async fn explain_search(conn: &mut Conn, filter: &SearchFilter) -> QueryResult<String> {
    match &filter.name {
        Some(name) => {
            super::explain::explain(
                conn,
                name_search!(filter, name.pattern.clone(), &filter.after, filter.limit),
            )
            .await
        }
        None => super::explain::explain(conn, listing(filter)).await,
    }
}

/// What [`register_one`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegisterOutcome {
    /// The participant, its keys and its audit row are written.
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
    keys: &'a [String],
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
        use diesel::sql_types::{
            Array, BigInt, Bytea, Nullable, Text, Timestamptz, Uuid as SqlUuid,
        };
        let r = self.row;
        out.push_sql(
            "WITH p AS (INSERT INTO participants (id, event_id, given_name, family_name, native_name, given_key, \
             family_key, organization_id, country, job_title, category_id, delegation_id, email, phone, \
             document_cipher, document_hash, status, cancel_reason, version, created_at, updated_at) SELECT ",
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
             k AS (INSERT INTO participant_name_keys (event_id, key, participant_id) \
             SELECT p.event_id, key, p.id FROM p, unnest(",
        );
        out.push_bind_param::<Array<Text>, _>(&self.keys)?;
        out.push_sql(
            ") AS key), \
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

/// Inserts the participant, its search keys, its audit row and its
/// idempotency key in one statement: one round trip, atomic even outside a
/// transaction. A concurrent call with the same key makes this statement
/// fail on the key's primary key, so the loser writes nothing.
pub async fn register_one(
    conn: &mut Conn,
    request_id: &str,
    fingerprint: &[u8],
    row: &Participant,
    keys: &[String],
    token_id: Option<Uuid>,
) -> QueryResult<RegisterOutcome> {
    let statement = RegisterStatement {
        request_id,
        fingerprint,
        row,
        keys,
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
