//! Rules and use cases. No tonic here, and no SQL: persistence goes through
//! `crate::db`, transport through `crate::grpc`.

pub mod audit;
pub(crate) mod auth;
pub(crate) mod badges;
pub mod enrolment;
pub mod event_file;
pub(crate) mod events;
pub mod export;
pub mod fields;
pub(crate) mod gates;
pub(crate) mod hub;
pub use crate::ids;
pub(crate) mod import;
pub(crate) mod keys;
pub(crate) mod name_index;
pub(crate) mod occupancy;
pub mod offline;
pub mod operations;
pub mod photo;
pub mod qr;
pub(crate) mod records;
pub mod registration;
pub mod search_key;
pub(crate) mod secrets;
pub mod stats;
pub(crate) mod validate;

use std::sync::Arc;

use crate::{
    db::{self, Pool},
    error::AppResult,
};

pub use auth::{NewToken, Principal, Role, TokenSpec, TokenView};

/// The 32-byte key that encrypts travel documents and seals signing keys:
/// kept out of `Debug` output and wiped when dropped.
pub type DocumentKey = secrecy::SecretBox<[u8; 32]>;

/// Everything the use cases share: the pool and the secrets.
#[derive(Clone)]
pub struct Services {
    pub db: Pool,
    pub vault: Arc<secrets::DocumentVault>,
    pub cache: Arc<events::SetupCache>,
    /// Recently authenticated tokens.
    pub tokens: Arc<auth::TokenCache>,
    /// Failed enrolment attempts per source.
    pub enrolment: Arc<enrolment::EnrolmentGuard>,
    pub hub: Arc<hub::GateHub>,
    pub occupancy_hub: Arc<occupancy::OccupancyHub>,
    pub name_indexes: Arc<name_index::NameIndexes>,
    /// Scans refused for the badge itself, written in the background.
    pub(crate) denials: gates::SharedDenialLog,
    /// Published badge templates, parsed.
    pub(crate) templates: Arc<badges::templates::TemplateCache>,
}

impl Services {
    pub fn new(db: Pool, document_key: &DocumentKey) -> Self {
        Self {
            db,
            vault: Arc::new(secrets::DocumentVault::new(document_key)),
            cache: Arc::new(events::SetupCache::default()),
            tokens: Arc::new(auth::TokenCache::default()),
            enrolment: Arc::new(enrolment::EnrolmentGuard::default()),
            hub: Arc::new(hub::GateHub::default()),
            occupancy_hub: Arc::new(occupancy::OccupancyHub::default()),
            name_indexes: Arc::new(name_index::NameIndexes::default()),
            denials: Arc::default(),
            templates: Arc::default(),
        }
    }
}

/// A unit of work of a use case: `work` runs in one transaction, committed
/// when it returns `Ok` and rolled back otherwise (nested, a savepoint).
/// The domain's one way into a transaction.
pub(crate) async fn transaction<R, F>(conn: &mut db::Conn, work: F) -> AppResult<R>
where
    for<'r> F: AsyncFnOnce(&'r mut db::Conn) -> AppResult<R>
        + db::Work<&'r mut db::Conn, AppResult<R>, Fut: Send>
        + Send,
    R: Send,
{
    db::transaction(conn, work).await
}

/// What a read-through cache holds for `key`, if anything. The caches hold
/// what never changes once written, or what notifications clear.
pub(crate) fn cached<K: Eq + std::hash::Hash, V: Clone>(
    cache: &std::sync::RwLock<std::collections::HashMap<K, V>>,
    key: &K,
) -> Option<V> {
    cache.read().ok().and_then(|c| c.get(key).cloned())
}

/// Remembers `value` for `key` in a read-through cache.
pub(crate) fn remember<K: Eq + std::hash::Hash, V>(
    cache: &std::sync::RwLock<std::collections::HashMap<K, V>>,
    key: K,
    value: V,
) {
    if let Ok(mut c) = cache.write() {
        c.insert(key, value);
    }
}

/// The current time at PostgreSQL's precision (microseconds), so what a
/// call returns equals what a later read returns.
pub fn now() -> chrono::DateTime<chrono::Utc> {
    use chrono::SubsecRound as _;
    chrono::Utc::now().trunc_subsecs(6)
}
