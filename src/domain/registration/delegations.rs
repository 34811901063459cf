//! Delegations: a country's official group, its head and its quotas.

use std::collections::{BTreeMap, HashMap};

use super::{ParticipantView, Seats, claim_or_replay};
use crate::words::Violation;
use crate::{
    db::{
        self, Conn,
        models::{Delegation, DelegationQuota, ParticipantStatus},
    },
    domain::{
        Principal, Services,
        fields::{
            Scope,
            answers::{Asked, Given},
        },
        records::audit_row,
        validate::Validator,
    },
    error::{AppError, AppResult, Reason},
    ids::{CategoryId, DelegationId, EventId, ParticipantId},
};
#[derive(Debug, Clone, Default)]
pub struct QuotaInput {
    pub category_code: String,
    pub quota: u32,
}

/// A new delegation, parsed: what `create_delegation` takes. Its quotas
/// are checked against the event's categories when it is created.
#[derive(Debug, Clone)]
pub struct NewDelegation {
    pub request_id: String,
    pub event_id: EventId,
    pub country: String,
    pub name: String,
    pub quotas: Vec<QuotaInput>,
    pub answers: BTreeMap<String, Given>,
}

/// A change of a delegation, parsed: what `update_delegation` takes. Its
/// quotas are checked against the event's categories when it is applied.
#[derive(Debug, Clone)]
pub struct DelegationUpdate {
    pub id: DelegationId,
    pub name: Option<String>,
    /// `Some(None)` removes the head.
    pub head: Option<Option<ParticipantId>>,
    pub quotas: Option<Vec<QuotaInput>>,
    /// Answers to set (or, empty, to take off); the others stay.
    pub answers: BTreeMap<String, Given>,
}

#[derive(Debug, Clone)]
pub struct QuotaView {
    pub category_code: String,
    pub quota: u32,
    pub used: u32,
}

#[derive(Debug, Clone)]
pub struct DelegationView {
    pub delegation: Delegation,
    pub quotas: Vec<QuotaView>,
    pub member_count: u32,
}

/// The most seats a delegation has in one category (as in event files).
pub(crate) const MAX_QUOTA: i32 = 100_000;

impl Services {
    fn check_quotas(
        &self,
        v: &mut Validator,
        quotas: &[QuotaInput],
        categories: &HashMap<String, CategoryId>,
        delegation_id: DelegationId,
    ) -> Vec<DelegationQuota> {
        let mut out: Vec<DelegationQuota> = Vec::new();
        for (i, q) in quotas.iter().enumerate() {
            let code = q.category_code.trim().to_uppercase();
            match categories.get(&code) {
                None => v.violation(
                    &format!("quotas[{i}].category_code"),
                    Violation::UnknownCategory,
                ),
                Some(id) if out.iter().any(|o| o.category_id == *id) => {
                    v.violation(&format!("quotas[{i}].category_code"), Violation::Twice);
                }
                Some(id) => match i32::try_from(q.quota) {
                    Ok(quota) if quota <= MAX_QUOTA => out.push(DelegationQuota {
                        delegation_id,
                        category_id: *id,
                        quota,
                    }),
                    _ => v.violation(
                        &format!("quotas[{i}].quota"),
                        Violation::AtMost {
                            max: MAX_QUOTA.unsigned_abs().into(),
                        },
                    ),
                },
            }
        }
        out
    }

    async fn category_codes(
        &self,
        conn: &mut Conn,
        event_id: EventId,
    ) -> AppResult<HashMap<String, CategoryId>> {
        Ok(db::events::list_categories(conn, event_id)
            .await?
            .into_iter()
            .map(|c| (c.code, c.id))
            .collect())
    }

    async fn delegation_views(
        &self,
        conn: &mut Conn,
        delegations: Vec<Delegation>,
    ) -> AppResult<Vec<DelegationView>> {
        let Some(first) = delegations.first() else {
            return Ok(Vec::new());
        };
        let codes: HashMap<CategoryId, String> = self
            .category_codes(conn, first.event_id)
            .await?
            .into_iter()
            .map(|(code, id)| (id, code))
            .collect();
        let ids: Vec<DelegationId> = delegations.iter().map(|d| d.id).collect();
        let quotas = db::registry::quotas_of(conn, &ids).await?;
        let usage: HashMap<(DelegationId, CategoryId), i64> = db::registry::usage_of(conn, &ids)
            .await?
            .into_iter()
            .map(|(d, c, n)| ((d, c), n))
            .collect();
        Ok(delegations
            .into_iter()
            .map(|delegation| {
                let mut quotas: Vec<QuotaView> = quotas
                    .iter()
                    .filter(|q| q.delegation_id == delegation.id)
                    .map(|q| QuotaView {
                        category_code: codes.get(&q.category_id).cloned().unwrap_or_default(),
                        quota: u32::try_from(q.quota).unwrap_or(0),
                        used: u32::try_from(
                            usage
                                .get(&(delegation.id, q.category_id))
                                .copied()
                                .unwrap_or(0),
                        )
                        .unwrap_or(0),
                    })
                    .collect();
                quotas.sort_by(|a, b| a.category_code.cmp(&b.category_code));
                let members: i64 = usage
                    .iter()
                    .filter(|((d, _), _)| *d == delegation.id)
                    .map(|(_, n)| n)
                    .sum();
                DelegationView {
                    delegation,
                    quotas,
                    member_count: u32::try_from(members).unwrap_or(0),
                }
            })
            .collect())
    }

    async fn one_delegation_view(
        &self,
        conn: &mut Conn,
        id: DelegationId,
    ) -> AppResult<DelegationView> {
        let delegation = db::registry::find_delegation(conn, id)
            .await?
            .ok_or_else(|| {
                AppError::not_found(Reason::DelegationNotFound, format!("no delegation {id}"))
            })?;
        let mut views = self.delegation_views(conn, vec![delegation]).await?;
        views
            .pop()
            .ok_or_else(|| AppError::internal(anyhow::anyhow!("delegation view lost")))
    }

    pub async fn create_delegation(
        &self,
        actor: &Principal,
        command: NewDelegation,
    ) -> AppResult<DelegationView> {
        let NewDelegation {
            request_id,
            event_id,
            country,
            name,
            quotas: quota_input,
            answers: given,
        } = command;
        actor.require_event(event_id)?;
        let mut conn = self.db.get().await?;
        let event = self.event(&mut conn, event_id).await?;
        let categories = self.category_codes(&mut conn, event.id).await?;
        let id = DelegationId::generate();
        let mut v = Validator::new();
        let quotas = self.check_quotas(&mut v, &quota_input, &categories, id);
        v.finish()?;
        let fields = self.event_fields(&mut conn, event.id).await?;
        let asked = Asked {
            scope: Scope::Delegation,
            category: None,
            check_required: true,
        };
        let (answers, _) = self.settle_answers(&fields, asked, &serde_json::json!({}), &given)?;
        let quota_key: Vec<(String, u32)> = quota_input
            .iter()
            .map(|q| (q.category_code.trim().to_uppercase(), q.quota))
            .collect();
        let fingerprint = self.vault.fingerprint(
            &serde_json::to_vec(&(event.id, &country, &name, &quota_key, &given))
                .map_err(AppError::internal)?,
        );
        let delegation = Delegation {
            id,
            event_id: event.id,
            country,
            name,
            head_participant_id: None,
            created_at: crate::domain::now(),
            answers,
        };
        let id = crate::domain::transaction(&mut conn, async move |conn| {
            let request_id = &request_id;
            {
                if let Some(earlier) = claim_or_replay(
                    conn,
                    "delegation.create",
                    request_id,
                    &fingerprint,
                    delegation.id,
                )
                .await?
                {
                    return Ok(earlier);
                }
                if db::registry::insert_delegation(conn, &delegation, &quotas)
                    .await?
                    .is_none()
                {
                    return Err(AppError::already_exists(
                        Reason::DelegationExists,
                        "the event has a delegation with this name",
                    ));
                }
                db::audit::record(
                    conn,
                    &audit_row(
                        actor,
                        "delegation.create",
                        "delegation",
                        delegation.id,
                        request_id,
                    ),
                )
                .await?;
                Ok(delegation.id)
            }
        })
        .await?;
        self.one_delegation_view(&mut conn, id).await
    }

    pub async fn get_delegation(
        &self,
        caller: &Principal,
        id: DelegationId,
    ) -> AppResult<(DelegationView, Vec<ParticipantView>)> {
        let mut conn = self.db.get().await?;
        let view = self.one_delegation_view(&mut conn, id).await?;
        caller.require_event(view.delegation.event_id)?;
        let mut members = db::participants::members_of(&mut conn, id)
            .await?
            .into_iter()
            .map(|r| self.view(caller, r))
            .collect::<AppResult<Vec<_>>>()?;
        self.with_desk_facts(&mut conn, &mut members).await?;
        Ok((view, members))
    }

    pub async fn list_delegations(&self, event_id: EventId) -> AppResult<Vec<DelegationView>> {
        let mut conn = self.db.get().await?;
        let event = self.event(&mut conn, event_id).await?;
        let delegations = db::registry::list_delegations(&mut conn, event.id).await?;
        self.delegation_views(&mut conn, delegations).await
    }

    pub async fn update_delegation(
        &self,
        actor: &Principal,
        changes: DelegationUpdate,
    ) -> AppResult<DelegationView> {
        let DelegationUpdate {
            id,
            name,
            head,
            quotas,
            answers,
        } = changes;
        let mut conn = self.db.get().await?;
        crate::domain::transaction(&mut conn, async move |conn| {
            let Some(delegation) = db::registry::lock_delegations(conn, &[id]).await?.pop() else {
                return Err(AppError::not_found(
                    Reason::DelegationNotFound,
                    format!("no delegation {id}"),
                ));
            };
            actor.require_event(delegation.event_id)?;
            if let Some(name) = &name {
                // A name another delegation of the event has is refused by
                // the unique constraint (DELEGATION_EXISTS).
                db::registry::set_delegation_name(conn, id, name).await?;
            }
            if !answers.is_empty() {
                let fields = self.event_fields(conn, delegation.event_id).await?;
                let asked = Asked {
                    scope: Scope::Delegation,
                    category: None,
                    check_required: true,
                };
                let (stored, _) =
                    self.settle_answers(&fields, asked, &delegation.answers, &answers)?;
                db::registry::set_delegation_answers(conn, id, &stored).await?;
            }
            if let Some(head) = head {
                if let Some(head_id) = head {
                    let member = db::participants::find(conn, head_id).await?;
                    let ok = member.is_some_and(|(p, _, _)| {
                        p.delegation_id == Some(id) && p.status == ParticipantStatus::Active
                    });
                    if !ok {
                        return Err(AppError::precondition(
                            Reason::HeadNotMember,
                            "the head must be an active member of the delegation",
                        ));
                    }
                }
                db::registry::set_delegation_head(conn, id, head).await?;
            }
            if let Some(quotas) = &quotas {
                let categories = self.category_codes(conn, delegation.event_id).await?;
                let mut v = Validator::new();
                let rows = self.check_quotas(&mut v, quotas, &categories, id);
                v.finish()?;
                for (_, category_id, taken) in db::registry::usage_of(conn, &[id]).await? {
                    let quota = rows
                        .iter()
                        .find(|q| q.category_id == category_id)
                        .map_or(0, |q| i64::from(q.quota));
                    if !(Seats { quota, taken }).hold() {
                        let code = categories
                            .iter()
                            .find(|(_, c)| **c == category_id)
                            .map_or("?", |(k, _)| k.as_str());
                        return Err(AppError::precondition(
                            Reason::QuotaBelowUsage,
                            format!(
                                "{taken} members of category {code} are registered: \
                                 the quota cannot be {quota}"
                            ),
                        ));
                    }
                }
                db::registry::replace_quotas(conn, id, &rows).await?;
            }
            db::audit::record(
                conn,
                &audit_row(actor, "delegation.update", "delegation", id, ""),
            )
            .await?;
            Ok(())
        })
        .await?;
        self.one_delegation_view(&mut conn, id).await
    }
}
