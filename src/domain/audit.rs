//! Reading the audit trail (`AuditService`).

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{Principal, Services};
use crate::{
    db::{
        self,
        audit::{AuditQuery, AuditRow},
    },
    error::AppResult,
    ids::{EventId, TokenId},
};

/// Most entries in one page.
pub const MAX_AUDIT_PAGE: u32 = 500;
const DEFAULT_AUDIT_PAGE: u32 = 100;

/// Which entries to read, parsed.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub event_id: Option<EventId>,
    pub token_id: Option<TokenId>,
    /// An action, or a prefix of actions when it ends in ".".
    pub action: Option<String>,
    pub entity_type: Option<String>,
    pub entity_id: Option<Uuid>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    /// 0: the default page.
    pub page_size: u32,
    /// Entries older than this id (the previous page's last).
    pub before: Option<i64>,
}

/// A page of entries, newest first, and where the next one starts.
#[derive(Debug, Clone)]
pub struct AuditPage {
    pub(crate) entries: Vec<AuditRow>,
    pub next_before: Option<i64>,
}

impl Services {
    /// The audit trail as `filter` narrows it. A token of one event reads
    /// that event's entries only, and must name it.
    pub async fn list_audit(&self, actor: &Principal, filter: AuditFilter) -> AppResult<AuditPage> {
        match filter.event_id {
            Some(event) => actor.require_event(event)?,
            None => actor.require_every_event()?,
        }
        let size = match filter.page_size {
            0 => DEFAULT_AUDIT_PAGE,
            n => n.min(MAX_AUDIT_PAGE),
        };
        let (action, action_prefix) = match filter.action {
            Some(a) if a.ends_with('.') => (None, Some(a)),
            other => (other, None),
        };
        let query = AuditQuery {
            event_id: filter.event_id.map(|e| e.0),
            token_id: filter.token_id.map(|t| t.0),
            action,
            action_prefix,
            entity_type: filter.entity_type,
            entity_id: filter.entity_id,
            since: filter.since,
            until: filter.until,
            before: filter.before,
            limit: i64::from(size) + 1,
        };
        let mut conn = self.db.get().await?;
        let mut entries = db::audit::list(&mut conn, &query).await?;
        let more = entries.len() > size as usize;
        entries.truncate(size as usize);
        let next_before = if more {
            entries.last().map(|e| e.id)
        } else {
            None
        };
        Ok(AuditPage {
            entries,
            next_before,
        })
    }
}
