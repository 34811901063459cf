//! PostgreSQL access through diesel-async: the pool, the embedded
//! migrations, and the model functions (`&mut AsyncPgConnection` in,
//! `QueryResult<T>` out). SQL lives here and nowhere else.

pub mod audit;
pub mod badges;
pub mod ceiling;
pub mod events;
pub mod explain;
pub mod gates;
pub mod idempotency;
pub mod imports;
pub mod keys;
pub mod models;
pub mod name_index;
pub mod participants;
pub mod registry;
pub mod schema;
pub mod tokens;

use anyhow::Context as _;
use diesel_async::{
    AsyncPgConnection, RunQueryDsl as _,
    async_connection_wrapper::AsyncConnectionWrapper,
    pooled_connection::{AsyncDieselConnectionManager, deadpool},
};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness as _, embed_migrations};

/// The connection pool.
pub type Pool = deadpool::Pool<AsyncPgConnection>;
/// A connection, as model functions take it.
pub type Conn = AsyncPgConnection;

/// Every migration under `migrations/`, compiled in.
pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

/// Builds a pool of `size` connections to `url`. Connections open lazily.
pub fn pool(url: &str, size: usize) -> anyhow::Result<Pool> {
    let manager = AsyncDieselConnectionManager::<AsyncPgConnection>::new(url);
    deadpool::Pool::builder(manager)
        .max_size(size)
        .wait_timeout(Some(std::time::Duration::from_secs(10)))
        .runtime(::deadpool::Runtime::Tokio1)
        .build()
        .context("cannot build the connection pool")
}

/// Applies pending migrations; returns the versions applied. The migration
/// harness is synchronous, so it runs on a blocking thread.
pub async fn migrate(url: &str) -> anyhow::Result<Vec<String>> {
    let url = url.to_owned();
    tokio::task::spawn_blocking(move || -> anyhow::Result<Vec<String>> {
        use diesel::Connection as _;
        let mut conn = AsyncConnectionWrapper::<AsyncPgConnection>::establish(&url)
            .context("cannot connect to the database")?;
        let applied = conn
            .run_pending_migrations(MIGRATIONS)
            .map_err(|e| anyhow::anyhow!("migration failed: {e}"))?;
        Ok(applied.iter().map(ToString::to_string).collect())
    })
    .await?
}

/// Reverts every applied migration (tests and `expopass migrate --revert-all`).
pub async fn revert_all(url: &str) -> anyhow::Result<usize> {
    let url = url.to_owned();
    tokio::task::spawn_blocking(move || -> anyhow::Result<usize> {
        use diesel::Connection as _;
        let mut conn = AsyncConnectionWrapper::<AsyncPgConnection>::establish(&url)
            .context("cannot connect to the database")?;
        let reverted = conn
            .revert_all_migrations(MIGRATIONS)
            .map_err(|e| anyhow::anyhow!("revert failed: {e}"))?;
        Ok(reverted.len())
    })
    .await?
}

/// Woken whenever a call finds the database gone, so that health turns
/// NOT_SERVING at once rather than at its next poll.
static TROUBLE: tokio::sync::Notify = tokio::sync::Notify::const_new();

/// Says that a call just found the database unreachable.
pub fn report_trouble() {
    TROUBLE.notify_waiters();
}

/// Resolves when a call reports the database unreachable.
pub async fn trouble() {
    TROUBLE.notified().await;
}

/// Whether the database answers a trivial query within three seconds. A
/// database that is gone refuses at once; one that is only busy is given
/// time, so that load alone does not turn health NOT_SERVING.
pub async fn ping(pool: &Pool) -> bool {
    let probe = async {
        let Ok(mut conn) = pool.get().await else {
            return false;
        };
        diesel::sql_query("SELECT 1")
            .execute(&mut conn)
            .await
            .is_ok()
    };
    tokio::time::timeout(std::time::Duration::from_secs(3), probe)
        .await
        .unwrap_or(false)
}

/// A connection checked out of the pool.
pub type PooledConn = deadpool::Object<AsyncPgConnection>;
