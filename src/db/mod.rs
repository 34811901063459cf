//! PostgreSQL access through diesel-async: the pool, the embedded
//! migrations, and the model functions (`&mut AsyncPgConnection` in,
//! `QueryResult<T>` out). SQL lives here and nowhere else.

pub(crate) mod audit;
pub(crate) mod badges;
pub mod ceiling;
pub(crate) mod enrolment;
pub(crate) mod event_file;
pub(crate) mod events;
pub(crate) mod explain;
pub(crate) mod export;
pub(crate) mod fields;
pub(crate) mod gates;
pub(crate) mod idempotency;
pub(crate) mod imports;
pub(crate) mod keys;
pub(crate) mod models;
pub(crate) mod name_index;
pub(crate) mod operations;
pub(crate) mod participants;
pub(crate) mod photos;
pub(crate) mod registry;
pub(crate) mod schema;
pub mod seed;
pub(crate) mod stats;
pub(crate) mod templates;
pub(crate) mod tokens;

use anyhow::Context as _;
use diesel_async::{
    AsyncPgConnection, RunQueryDsl as _,
    async_connection_wrapper::AsyncConnectionWrapper,
    pooled_connection::{AsyncDieselConnectionManager, deadpool},
};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness as _, embed_migrations};

/// The connection pool. Its connections tell the call that used them when
/// they come back lost (`crate::call`).
#[derive(Clone)]
pub struct Pool(deadpool::Pool<AsyncPgConnection>);

impl Pool {
    /// A connection, waiting at most the pool's wait timeout.
    pub async fn get(&self) -> Result<PooledConn, deadpool::PoolError> {
        self.0
            .get()
            .await
            .map(|object| PooledConn(std::mem::ManuallyDrop::new(object)))
    }

    /// A connection taken out of the pool for good (a listener's own).
    pub(crate) async fn take_one(&self) -> Result<AsyncPgConnection, deadpool::PoolError> {
        self.0.get().await.map(deadpool::Object::take)
    }

    /// How many connections are open, idle and awaited.
    pub fn status(&self) -> ::deadpool::Status {
        self.0.status()
    }
}

/// A connection checked out of the pool; back in it when dropped, unless it
/// came back lost or suspect (`crate::call`).
pub struct PooledConn(std::mem::ManuallyDrop<deadpool::Object<AsyncPgConnection>>);

impl std::ops::Deref for PooledConn {
    type Target = AsyncPgConnection;
    fn deref(&self) -> &AsyncPgConnection {
        &self.0
    }
}

impl std::ops::DerefMut for PooledConn {
    fn deref_mut(&mut self) -> &mut AsyncPgConnection {
        &mut self.0
    }
}

impl Drop for PooledConn {
    fn drop(&mut self) {
        use diesel_async::pooled_connection::PoolableConnection as _;
        // SAFETY: the object is taken once, here, and never used again.
        let mut object = unsafe { std::mem::ManuallyDrop::take(&mut self.0) };
        if object.is_broken() {
            crate::call::saw_one();
        } else if crate::call::suspicious() {
            // Not closed yet, after a statement failed without a known
            // reason: watched once the call answers, out of the pool.
            crate::call::keep(deadpool::Object::take(object));
        }
    }
}
/// A connection, as model functions take it.
pub type Conn = AsyncPgConnection;

/// Every migration under `migrations/`, compiled in.
pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

/// The shape of work run in a transaction: an async closure over the
/// connection whose future is `Send` (spelled out because the bound cannot
/// be written on an `AsyncFnOnce` directly).
pub trait Work<T, R>: AsyncFnOnce(T) -> R + FnOnce(T) -> <Self as Work<T, R>>::Fut {
    type Fut: Future<Output = R>;
}

impl<F, T, Fut, R> Work<T, R> for F
where
    F: AsyncFnOnce(T) -> R + FnOnce(T) -> Fut,
    Fut: Future<Output = R>,
{
    type Fut = Fut;
}

/// A unit of work: `work` runs in one transaction, committed when it
/// returns `Ok` and rolled back otherwise (nested, a savepoint). The
/// domain's one way into a transaction.
pub async fn transaction<R, E, F>(conn: &mut Conn, work: F) -> Result<R, E>
where
    for<'r> F: AsyncFnOnce(&'r mut Conn) -> Result<R, E>
        + Work<&'r mut Conn, Result<R, E>, Fut: Send>
        + Send,
    E: From<diesel::result::Error> + Send,
    R: Send,
{
    use diesel_async::AsyncConnection as _;
    conn.transaction(work).await
}

/// Work that reads in one snapshot: a read-only, repeatable-read
/// transaction (an export's count and its pages agree).
pub async fn snapshot<R, E, F>(conn: &mut Conn, work: F) -> Result<R, E>
where
    for<'r> F: AsyncFnOnce(&'r mut Conn) -> Result<R, E>
        + Work<&'r mut Conn, Result<R, E>, Fut: Send>
        + Send,
    E: From<diesel::result::Error> + Send,
    R: Send,
{
    conn.build_transaction()
        .repeatable_read()
        .read_only()
        .run(work)
        .await
}

/// Builds a pool of `size` connections to `url`. Connections open lazily.
pub fn pool(url: &str, size: usize) -> anyhow::Result<Pool> {
    let manager = AsyncDieselConnectionManager::<AsyncPgConnection>::new(url);
    deadpool::Pool::builder(manager)
        .max_size(size)
        .wait_timeout(Some(std::time::Duration::from_secs(10)))
        .runtime(::deadpool::Runtime::Tokio1)
        .build()
        .map(Pool)
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
