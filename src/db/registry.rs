//! Organisations and delegations.

use diesel::{
    BoolExpressionMethods as _, ExpressionMethods as _, NullableExpressionMethods as _,
    OptionalExtension as _, QueryDsl as _, QueryResult, SelectableHelper as _,
    TextExpressionMethods as _,
};
use diesel_async::RunQueryDsl as _;

use crate::ids::{CategoryId, DelegationId, EventId, OrganizationId, ParticipantId};

use super::{
    Conn,
    models::{Delegation, DelegationQuota, Organization, ParticipantStatus},
    schema::{delegation_quotas, delegations, organizations, participants},
};

/// Inserts an organisation; `None` when the event has one with that name.
pub(crate) async fn insert_organization(
    conn: &mut Conn,
    org: &Organization,
) -> QueryResult<Option<Organization>> {
    diesel::insert_into(organizations::table)
        .values(org)
        .on_conflict((organizations::event_id, organizations::name_key))
        .do_nothing()
        .returning(Organization::as_returning())
        .get_result(conn)
        .await
        .optional()
}

pub(crate) async fn find_organization(
    conn: &mut Conn,
    id: OrganizationId,
) -> QueryResult<Option<Organization>> {
    organizations::table
        .find(id)
        .select(Organization::as_select())
        .first(conn)
        .await
        .optional()
}

pub(crate) async fn find_organization_by_key(
    conn: &mut Conn,
    event_id: EventId,
    name_key: &str,
) -> QueryResult<Option<Organization>> {
    organizations::table
        .filter(organizations::event_id.eq(event_id))
        .filter(organizations::name_key.eq(name_key))
        .select(Organization::as_select())
        .first(conn)
        .await
        .optional()
}

/// Organisations whose key starts with `key_prefix` (a LIKE pattern already
/// escaped), after the keyset `(name_key, id)` when given.
pub(crate) async fn list_organizations(
    conn: &mut Conn,
    event_id: EventId,
    pattern: Option<&str>,
    after: Option<(&str, OrganizationId)>,
    limit: i64,
) -> QueryResult<Vec<Organization>> {
    let mut query = organizations::table
        .filter(organizations::event_id.eq(event_id))
        .select(Organization::as_select())
        .into_boxed();
    if let Some(pattern) = pattern {
        query = query.filter(organizations::name_key.like(pattern.to_owned()));
    }
    if let Some((key, id)) = after {
        query = query.filter(
            organizations::name_key
                .gt(key.to_owned())
                .or(organizations::name_key
                    .eq(key.to_owned())
                    .and(organizations::id.gt(id))),
        );
    }
    query
        .order((organizations::name_key, organizations::id))
        .limit(limit)
        .load(conn)
        .await
}

/// Inserts a delegation and its quotas; `None` when the event has one with
/// that name.
pub(crate) async fn insert_delegation(
    conn: &mut Conn,
    delegation: &Delegation,
    quotas: &[DelegationQuota],
) -> QueryResult<Option<Delegation>> {
    let inserted = diesel::insert_into(delegations::table)
        .values(delegation)
        .on_conflict((delegations::event_id, delegations::name))
        .do_nothing()
        .returning(Delegation::as_returning())
        .get_result(conn)
        .await
        .optional()?;
    if inserted.is_some() && !quotas.is_empty() {
        diesel::insert_into(delegation_quotas::table)
            .values(quotas)
            .execute(conn)
            .await?;
    }
    Ok(inserted)
}

pub(crate) async fn find_delegation(
    conn: &mut Conn,
    id: DelegationId,
) -> QueryResult<Option<Delegation>> {
    delegations::table
        .find(id)
        .select(Delegation::as_select())
        .first(conn)
        .await
        .optional()
}

/// Locks delegations (in id order, so concurrent lockers cannot deadlock)
/// until the transaction ends: registrations into one delegation are
/// serialised, which keeps quotas exact.
pub(crate) async fn lock_delegations(
    conn: &mut Conn,
    ids: &[DelegationId],
) -> QueryResult<Vec<Delegation>> {
    delegations::table
        .filter(delegations::id.eq_any(ids))
        .order(delegations::id)
        .select(Delegation::as_select())
        .for_update()
        .load(conn)
        .await
}

pub(crate) async fn list_delegations(
    conn: &mut Conn,
    event_id: EventId,
) -> QueryResult<Vec<Delegation>> {
    delegations::table
        .filter(delegations::event_id.eq(event_id))
        .order((delegations::country, delegations::name))
        .select(Delegation::as_select())
        .load(conn)
        .await
}

pub(crate) async fn quotas_of(
    conn: &mut Conn,
    ids: &[DelegationId],
) -> QueryResult<Vec<DelegationQuota>> {
    delegation_quotas::table
        .filter(delegation_quotas::delegation_id.eq_any(ids))
        .select(DelegationQuota::as_select())
        .load(conn)
        .await
}

/// Active members per (delegation, category).
pub(crate) async fn usage_of(
    conn: &mut Conn,
    ids: &[DelegationId],
) -> QueryResult<Vec<(DelegationId, CategoryId, i64)>> {
    participants::table
        .filter(participants::delegation_id.eq_any(ids))
        .filter(participants::status.eq(ParticipantStatus::Active))
        .group_by((participants::delegation_id, participants::category_id))
        .select((
            participants::delegation_id.assume_not_null(),
            participants::category_id,
            diesel::dsl::count_star(),
        ))
        .load(conn)
        .await
}

pub(crate) async fn set_delegation_name(
    conn: &mut Conn,
    id: DelegationId,
    name: &str,
) -> QueryResult<bool> {
    let n = diesel::update(delegations::table.find(id))
        .set(delegations::name.eq(name))
        .execute(conn)
        .await?;
    Ok(n == 1)
}

pub(crate) async fn set_delegation_answers(
    conn: &mut Conn,
    id: DelegationId,
    answers: &serde_json::Value,
) -> QueryResult<()> {
    diesel::update(delegations::table.find(id))
        .set(delegations::answers.eq(answers))
        .execute(conn)
        .await
        .map(drop)
}

pub(crate) async fn set_delegation_head(
    conn: &mut Conn,
    id: DelegationId,
    head: Option<ParticipantId>,
) -> QueryResult<()> {
    diesel::update(delegations::table.find(id))
        .set(delegations::head_participant_id.eq(head))
        .execute(conn)
        .await
        .map(drop)
}

pub(crate) async fn replace_quotas(
    conn: &mut Conn,
    id: DelegationId,
    quotas: &[DelegationQuota],
) -> QueryResult<()> {
    diesel::delete(delegation_quotas::table.filter(delegation_quotas::delegation_id.eq(id)))
        .execute(conn)
        .await?;
    if !quotas.is_empty() {
        diesel::insert_into(delegation_quotas::table)
            .values(quotas)
            .execute(conn)
            .await?;
    }
    Ok(())
}
