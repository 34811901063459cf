//! `expopass.v1.AuditService`.

use tonic::{Request, Response, Status};

use super::{ApiState, timestamp};
use crate::{
    domain::{
        Role,
        audit::{AuditFilter, MAX_AUDIT_PAGE},
        validate::Validator,
    },
    ids::{EventId, TokenId},
    proto::pb::{self, audit_service_server::AuditService},
    words::Violation,
};

/// Implements `AuditService`; needs the admin role.
#[derive(Clone)]
pub(crate) struct AuditApi {
    state: ApiState,
}

impl AuditApi {
    pub(crate) fn new(state: ApiState) -> Self {
        Self { state }
    }
}

const ADMIN: &[Role] = &[Role::Admin];

/// Every filter of a request checked, every violation at once.
fn audit_filter(r: pb::ListAuditEntriesRequest) -> Result<AuditFilter, crate::error::AppError> {
    let mut v = Validator::new();
    let text = |s: String| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
    let event_id = v.optional_id("event_id", &r.event_id).map(EventId);
    let token_id = v.optional_id("token_id", &r.token_id).map(TokenId);
    let entity_id = v.optional_id::<uuid::Uuid>("entity_id", &r.entity_id);
    let mut time = |field: &str, ts: Option<prost_types::Timestamp>| {
        ts.and_then(|ts| {
            let t = chrono::DateTime::from_timestamp(ts.seconds, 0);
            if t.is_none() {
                v.violation(field, Violation::OutOfRange);
            }
            t
        })
    };
    let since = time("since", r.since);
    let until = time("until", r.until);
    if r.page_size > MAX_AUDIT_PAGE {
        v.violation(
            "page_size",
            Violation::AtMost {
                max: u64::from(MAX_AUDIT_PAGE),
            },
        );
    }
    let before = match r.page_token.trim() {
        "" => None,
        token => {
            let id = token.parse::<i64>().ok().filter(|id| *id > 0);
            if id.is_none() {
                v.violation("page_token", Violation::NotAPageToken);
            }
            id
        }
    };
    v.finish()?;
    Ok(AuditFilter {
        event_id,
        token_id,
        action: text(r.action),
        entity_type: text(r.entity_type),
        entity_id,
        since,
        until,
        page_size: r.page_size,
        before,
    })
}

#[tonic::async_trait]
impl AuditService for AuditApi {
    #[tracing::instrument(skip_all, fields(token_id))]
    async fn list_audit_entries(
        &self,
        request: Request<pb::ListAuditEntriesRequest>,
    ) -> Result<Response<pb::ListAuditEntriesResponse>, Status> {
        let actor = self.state.authorize(&request, ADMIN).await?;
        let filter = audit_filter(request.into_inner())?;
        let page = self.state.services.list_audit(&actor, filter).await?;
        Ok(Response::new(pb::ListAuditEntriesResponse {
            entries: page
                .entries
                .into_iter()
                .map(|e| pb::AuditEntry {
                    id: e.id,
                    at: Some(timestamp(e.at)),
                    token_id: e.token_id.map(|t| t.to_string()).unwrap_or_default(),
                    token_name: e.token_name.unwrap_or_default(),
                    action: e.action,
                    entity_type: e.entity_type,
                    entity_id: e.entity_id.to_string(),
                    request_id: e.request_id,
                    event_id: e.event_id.map(|t| t.to_string()).unwrap_or_default(),
                    details: e.details.to_string(),
                })
                .collect(),
            next_page_token: page.next_before.map(|b| b.to_string()).unwrap_or_default(),
        }))
    }
}
