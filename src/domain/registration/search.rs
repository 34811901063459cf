//! Finding participants: by typed name (`name_index`) or by filters alone.

use super::{ParticipantView, paged, parse_page_token};
use crate::words::Violation;
use crate::{
    db::{
        self,
        models::ParticipantStatus,
        participants::{NameFilter, SearchFilter},
    },
    domain::{
        Principal, Services, search_key,
        validate::{MAX_NAME, Validator},
    },
    error::AppResult,
    ids::EventId,
};
/// Search criteria as typed.
#[derive(Debug, Clone)]
pub struct SearchInput {
    pub event_id: EventId,
    pub name_prefix: String,
    pub organization_id: String,
    pub country: String,
    pub category_code: String,
    pub delegation_id: String,
    /// `Some(true)` active only, `Some(false)` cancelled only.
    pub active: Option<bool>,
    pub page_size: u32,
    pub page_token: String,
}

impl SearchInput {
    /// Everybody registered in an event, first page: no name, no filter.
    pub fn everyone_in(event_id: EventId) -> Self {
        Self {
            event_id,
            name_prefix: String::new(),
            organization_id: String::new(),
            country: String::new(),
            category_code: String::new(),
            delegation_id: String::new(),
            active: None,
            page_size: 0,
            page_token: String::new(),
        }
    }
}

impl Services {
    /// What a name search asks for: nothing, nobody (typed text with no
    /// words), or every typed word as the prefix of a key.
    fn typed_name(&self, v: &mut Validator, typed: &str) -> NameFilter {
        let typed = v.optional_text("name_prefix", typed, MAX_NAME);
        match search_key::typed_words(&typed) {
            None => NameFilter::Any,
            Some(words) if words.is_empty() => NameFilter::Nobody,
            Some(words) if words.len() > search_key::MAX_TYPED_WORDS => {
                v.violation(
                    "name_prefix",
                    Violation::TooManyWords {
                        max: search_key::MAX_TYPED_WORDS,
                    },
                );
                NameFilter::Nobody
            }
            Some(words) => NameFilter::Words(words),
        }
    }

    fn search_filter(
        &self,
        v: &mut Validator,
        input: &SearchInput,
        event_id: EventId,
    ) -> SearchFilter {
        let page_size = super::page_size(v, input.page_size, 50, 500);
        SearchFilter {
            event_id,
            name: self.typed_name(v, &input.name_prefix),
            organization_id: v.optional_id("organization_id", &input.organization_id),
            country: (!input.country.trim().is_empty())
                .then(|| v.country("country", &input.country)),
            category_id: None,
            delegation_id: v.optional_id("delegation_id", &input.delegation_id),
            status: input.active.map(|a| {
                if a {
                    ParticipantStatus::Active
                } else {
                    ParticipantStatus::Cancelled
                }
            }),
            after: parse_page_token(v, &input.page_token),
            limit: i64::from(page_size) + 1,
        }
    }

    /// One page of matches, the token of the next page, and how many
    /// match in all.
    pub async fn search_participants(
        &self,
        caller: &Principal,
        input: SearchInput,
    ) -> AppResult<(Vec<ParticipantView>, String, u64)> {
        caller.require_event(input.event_id)?;
        let (mut conn, filter) = self.resolve_search(&input).await?;
        let page_size = u32::try_from(filter.limit - 1).unwrap_or(50);
        let (order, total) = match &filter.name {
            NameFilter::Words(words) => {
                let (order, total) = self.name_matches(&mut conn, &filter, words).await?;
                (order, u64::try_from(total).unwrap_or(u64::MAX))
            }
            NameFilter::Any => {
                let order = db::participants::listing_order(&mut conn, &filter).await?;
                let total = db::participants::count_matching(&mut conn, &filter).await?;
                (order, u64::try_from(total).unwrap_or(0))
            }
            NameFilter::Nobody => (Vec::new(), 0),
        };
        let rows = db::participants::rows_in_order(&mut conn, order).await?;
        let (rows, next) = paged(rows, page_size, |(_, cursor)| cursor.clone());
        let mut views = rows
            .into_iter()
            .map(|(r, _)| self.view(caller, r))
            .collect::<AppResult<Vec<_>>>()?;
        self.with_desk_facts(&mut conn, &mut views).await?;
        Ok((views, next, total))
    }

    /// The query plan of a search (benchmarks and tests show it uses indexes).
    pub async fn explain_search(&self, input: SearchInput) -> AppResult<String> {
        let (mut conn, filter) = self.resolve_search(&input).await?;
        Ok(db::participants::explain_search(&mut conn, &filter).await?)
    }

    async fn resolve_search(
        &self,
        input: &SearchInput,
    ) -> AppResult<(db::PooledConn, SearchFilter)> {
        let mut conn = self.db.get().await?;
        let event = self.event(&mut conn, input.event_id).await?;
        let mut v = Validator::new();
        let mut filter = self.search_filter(&mut v, input, event.id);
        if !input.category_code.trim().is_empty() {
            let code = input.category_code.trim().to_uppercase();
            match self.category_id(&mut conn, event.id, &code).await? {
                Some(id) => filter.category_id = Some(id),
                None => v.violation("category_code", Violation::UnknownCategory),
            }
        }
        v.finish()?;
        Ok((conn, filter))
    }
}
