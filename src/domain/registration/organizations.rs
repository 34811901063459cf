//! Organisations: the companies, ministries and media of an event.

use super::{paged, parse_page_token};
use crate::{
    db::{
        self,
        models::{Organization, OrganizationKind},
    },
    domain::{
        Principal, Services,
        fields::{
            Scope,
            answers::{Asked, Given},
        },
        records::{audit_row, claim_or_replay},
        search_key,
        validate::Validator,
    },
    error::{AppError, AppResult, Reason},
    ids::{EventId, OrganizationId},
};
/// A new organisation, parsed: what `create_organization` takes.
#[derive(Debug, Clone)]
pub struct NewOrganization {
    pub request_id: String,
    pub event_id: EventId,
    pub name: String,
    pub country: String,
    pub kind: OrganizationKind,
    pub answers: std::collections::BTreeMap<String, Given>,
}

impl Services {
    pub async fn create_organization(
        &self,
        actor: &Principal,
        command: NewOrganization,
    ) -> AppResult<Organization> {
        let NewOrganization {
            request_id,
            event_id,
            name,
            country,
            kind,
            answers: given,
        } = command;
        actor.require_event(event_id)?;
        let mut conn = self.db.get().await?;
        let event = self.event(&mut conn, event_id).await?;
        let fingerprint = self.vault.fingerprint(
            &serde_json::to_vec(&(event.id, &name, &country, kind.as_str(), &given))
                .map_err(AppError::internal)?,
        );
        let fields = self.event_fields(&mut conn, event.id).await?;
        let asked = Asked {
            scope: Scope::Organization,
            category: None,
            check_required: true,
        };
        let (answers, _) = self.settle_answers(&fields, asked, &serde_json::json!({}), &given)?;
        let org = Organization {
            id: OrganizationId::generate(),
            event_id: event.id,
            name_key: search_key::sort_key(&name),
            name,
            country,
            kind,
            created_at: crate::domain::now(),
            answers,
        };
        let id = crate::domain::transaction(&mut conn, async move |conn| {
            let request_id = &request_id;
            {
                if let Some(earlier) = claim_or_replay(
                    conn,
                    "organization.create",
                    request_id,
                    &fingerprint,
                    org.id,
                )
                .await?
                {
                    return Ok(earlier);
                }
                if db::registry::insert_organization(conn, &org)
                    .await?
                    .is_none()
                {
                    let existing =
                        db::registry::find_organization_by_key(conn, org.event_id, &org.name_key)
                            .await?;
                    let mut err = AppError::already_exists(
                        Reason::OrganizationExists,
                        "the event has an organisation with this name",
                    );
                    if let Some(e) = existing {
                        err = err.with_metadata("organization_id", e.id.to_string());
                    }
                    return Err(err);
                }
                db::audit::record(
                    conn,
                    &audit_row(
                        actor,
                        "organization.create",
                        "organization",
                        org.id,
                        request_id,
                    ),
                )
                .await?;
                Ok(org.id)
            }
        })
        .await?;
        db::registry::find_organization(&mut conn, id)
            .await?
            .ok_or_else(|| AppError::internal(anyhow::anyhow!("organisation {id} vanished")))
    }

    pub async fn list_organizations(
        &self,
        event_id: EventId,
        name_prefix: &str,
        page_size: u32,
        page_token: &str,
    ) -> AppResult<(Vec<Organization>, String)> {
        let mut conn = self.db.get().await?;
        let event = self.event(&mut conn, event_id).await?;
        let mut v = Validator::new();
        let page_size = super::page_size(&mut v, page_size, 100, 1000);
        let after: Option<(String, OrganizationId)> = parse_page_token(&mut v, page_token);
        v.finish()?;
        let pattern = search_key::prefix_pattern(name_prefix);
        let orgs = db::registry::list_organizations(
            &mut conn,
            event.id,
            pattern.as_deref(),
            after.as_ref().map(|(k, id)| (k.as_str(), *id)),
            i64::from(page_size) + 1,
        )
        .await?;
        Ok(paged(orgs, page_size, |o| (o.name_key.clone(), o.id)))
    }
}
