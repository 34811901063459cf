//! Name search in memory: each server instance keeps, per event searched,
//! every participant's search keys in a sorted map, and brings it up to
//! date before each search with one indexed query for the rows written
//! since (`db::name_index`). A prefix is a range of the map; a page is the
//! first matches in the listing order (family name, given name, id), found
//! by keeping the smallest ones among the matches, so a search costs
//! microseconds per match instead of a heap visit per match in PostgreSQL.
//!
//! The map is derived data: it can always be rebuilt from the database,
//! and every search first reads what changed, so a participant written on
//! any instance is found by the next search on every instance.

use std::{
    collections::{BTreeMap, BinaryHeap, HashMap},
    ops::Bound,
    sync::{Arc, Mutex, RwLock},
};

use crate::ids::{CategoryId, DelegationId, EventId, OrganizationId, ParticipantId};

use super::{Services, search_key};
use crate::{
    db::{
        self, Conn,
        models::ParticipantStatus,
        name_index::{Horizon, IndexRow},
        participants::{Cursor, SearchFilter},
    },
    error::{AppError, AppResult},
};

/// The name indexes of this process, by event.
#[derive(Debug, Default)]
pub struct NameIndexes {
    events: Mutex<HashMap<EventId, Arc<Slot>>>,
}

/// One event's index, read by searches at once, written by the one that
/// brings it up to date; `loading` lets one search build it.
#[derive(Debug, Default)]
struct Slot {
    index: RwLock<Option<EventIndex>>,
    loading: tokio::sync::Mutex<()>,
}

/// What a search needs of one participant.
#[derive(Debug, PartialEq, Eq)]
struct Entry {
    id: ParticipantId,
    family_key: String,
    given_key: String,
    keys: Vec<String>,
    organization_id: Option<OrganizationId>,
    country: String,
    category_id: CategoryId,
    delegation_id: Option<DelegationId>,
    active: bool,
    version: i64,
}

/// One event's index.
#[derive(Debug, Default)]
struct EventIndex {
    horizon: Horizon,
    entries: Vec<Entry>,
    by_id: HashMap<ParticipantId, usize>,
    /// Key -> entries holding it.
    keys: BTreeMap<String, Vec<usize>>,
}

impl EventIndex {
    fn apply(&mut self, row: IndexRow) {
        // Names, and the words of public and internal custom answers.
        let keys = search_key::name_keys([
            row.given_name.as_str(),
            row.family_name.as_str(),
            row.native_name.as_str(),
            row.answer_text.as_str(),
        ]);
        let entry = Entry {
            id: row.id,
            family_key: row.family_key,
            given_key: row.given_key,
            keys,
            organization_id: row.organization_id,
            country: row.country,
            category_id: row.category_id,
            delegation_id: row.delegation_id,
            active: row.status == ParticipantStatus::Active,
            version: row.version,
        };
        let at = match self.by_id.get(&entry.id) {
            Some(&at) => {
                let old = &self.entries[at];
                // An older copy, or the same one read again (a later
                // snapshot can return a row already applied).
                if entry.version < old.version || *old == entry {
                    return;
                }
                for key in &old.keys {
                    if let Some(holders) = self.keys.get_mut(key) {
                        holders.retain(|&i| i != at);
                        if holders.is_empty() {
                            self.keys.remove(key);
                        }
                    }
                }
                self.entries[at] = entry;
                at
            }
            None => {
                let at = self.entries.len();
                self.by_id.insert(entry.id, at);
                self.entries.push(entry);
                at
            }
        };
        for key in &self.entries[at].keys {
            self.keys.entry(key.clone()).or_default().push(at);
        }
    }

    /// Entries holding a key that begins with `word`, as a bit set.
    fn holders_of_prefix(&self, word: &str) -> Vec<u64> {
        let mut set = vec![0u64; self.entries.len().div_ceil(64)];
        let from = (Bound::Included(word), Bound::Unbounded);
        for (key, holders) in self.keys.range::<str, _>(from) {
            if !key.starts_with(word) {
                break;
            }
            for &i in holders {
                set[i / 64] |= 1 << (i % 64);
            }
        }
        set
    }

    /// The first `filter.limit` matches after the cursor, in the listing
    /// order, and how many match in all (every page).
    fn first_matches(
        &self,
        words: &[String],
        filter: &SearchFilter,
    ) -> (Vec<(String, String, ParticipantId)>, usize) {
        let mut matched: Option<Vec<u64>> = None;
        for word in words {
            let set = self.holders_of_prefix(word);
            matched = Some(match matched {
                None => set,
                Some(mut all) => {
                    for (a, b) in all.iter_mut().zip(set) {
                        *a &= b;
                    }
                    all
                }
            });
        }
        let Some(matched) = matched else {
            return (Vec::new(), 0);
        };
        let mut total = 0;
        let limit = usize::try_from(filter.limit).unwrap_or(usize::MAX);
        let after = filter
            .after
            .as_ref()
            .map(|Cursor(f, g, id)| (f.as_str(), g.as_str(), *id));
        // The `limit` smallest matches: a max-heap that drops its largest.
        let mut best: BinaryHeap<(&str, &str, ParticipantId)> =
            BinaryHeap::with_capacity(limit + 1);
        for (word_at, &bits) in matched.iter().enumerate() {
            let mut bits = bits;
            while bits != 0 {
                let i = word_at * 64 + bits.trailing_zeros() as usize;
                bits &= bits - 1;
                let e = &self.entries[i];
                let place = (e.family_key.as_str(), e.given_key.as_str(), e.id);
                if !passes(e, filter) {
                    continue;
                }
                total += 1;
                if after.is_some_and(|a| place <= a) {
                    continue;
                }
                if best.len() == limit && best.peek().is_some_and(|top| place >= *top) {
                    continue;
                }
                best.push(place);
                if best.len() > limit {
                    best.pop();
                }
            }
        }
        let first = best
            .into_sorted_vec()
            .into_iter()
            .map(|(f, g, id)| (f.to_owned(), g.to_owned(), id))
            .collect();
        (first, total)
    }
}

fn passes(e: &Entry, filter: &SearchFilter) -> bool {
    filter
        .organization_id
        .is_none_or(|o| e.organization_id == Some(o))
        && filter.country.as_ref().is_none_or(|c| &e.country == c)
        && filter.category_id.is_none_or(|c| e.category_id == c)
        && filter
            .delegation_id
            .is_none_or(|d| e.delegation_id == Some(d))
        && filter
            .status
            .is_none_or(|s| (s == ParticipantStatus::Active) == e.active)
}

impl Services {
    /// The first matches of a name search after the cursor, in the listing
    /// order: (family key, given key, id). The index is brought up to date
    /// first, outside its lock: searches run side by side and only the
    /// moment of applying changes is exclusive.
    pub(super) async fn name_matches(
        &self,
        conn: &mut Conn,
        filter: &SearchFilter,
        words: &[String],
    ) -> AppResult<(Vec<(String, String, ParticipantId)>, usize)> {
        let poisoned = || AppError::internal(anyhow::anyhow!("a name index is poisoned"));
        let slot = {
            let mut events = self.name_indexes.events.lock().map_err(|_| poisoned())?;
            events.entry(filter.event_id).or_default().clone()
        };
        let horizon = slot
            .index
            .read()
            .map_err(|_| poisoned())?
            .as_ref()
            .map(|built| built.horizon.clone());
        match horizon {
            Some(horizon) => {
                let (newer, rows) =
                    db::name_index::changes(conn, filter.event_id, &horizon).await?;
                let mut index = slot.index.write().map_err(|_| poisoned())?;
                if let Some(built) = index.as_mut() {
                    for row in rows {
                        built.apply(row);
                    }
                    // Another search may have applied a later snapshot
                    // meanwhile; rows never go back to an older version.
                    if newer.is_after(&built.horizon) {
                        built.horizon = newer;
                    }
                }
            }
            None => {
                let _loading = slot.loading.lock().await;
                let missing = slot.index.read().map_err(|_| poisoned())?.is_none();
                if missing {
                    let (horizon, rows) = db::name_index::load(conn, filter.event_id).await?;
                    let mut built = EventIndex {
                        horizon,
                        ..EventIndex::default()
                    };
                    for row in rows {
                        built.apply(row);
                    }
                    *slot.index.write().map_err(|_| poisoned())? = Some(built);
                }
            }
        }
        let index = slot.index.read().map_err(|_| poisoned())?;
        Ok(index
            .as_ref()
            .map(|built| built.first_matches(words, filter))
            .unwrap_or_default())
    }
}
