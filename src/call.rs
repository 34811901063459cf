//! What the server knows of the call at hand: the interface language it
//! asked for, and whether it lost a database connection. A cut connection
//! shows first as the error of the statement in flight, in the words of
//! the server's `lc_messages`, which the driver hands on without its
//! SQLSTATE. The connection itself knows better: one that comes back to
//! the pool closed (or with its transaction broken) was lost, whatever its
//! last error said.
//!
//! Each call runs in a scope (`observe`). A connection returned lost says
//! so there (`db::PooledConn`), and the one conversion to a gRPC status
//! reads it (`error`). The driver may learn that the socket closed a
//! moment after it handed on the error, so a connection returned right
//! after an unexplained database error is kept aside, and the scope
//! watches it for a moment once the call has answered: if it turns out
//! closed, the call's INTERNAL becomes UNAVAILABLE. A leaf: it imports
//! nothing of the crate but the interface languages (`words`).

use std::{cell::RefCell, time::Duration};

use diesel_async::{AsyncPgConnection, pooled_connection::PoolableConnection as _};

/// How long a connection kept aside is watched.
const WATCH: Duration = Duration::from_millis(100);

#[derive(Default)]
struct Call {
    /// The interface language the call asked for (`accept-language`).
    lang: Option<crate::words::Lang>,
    /// A connection of this call came back lost.
    lost: bool,
    /// A statement of this call failed without a known reason.
    unexplained: bool,
    /// Connections returned after such a failure, not yet seen closed.
    suspects: Vec<AsyncPgConnection>,
}

tokio::task_local! {
    static CALL: RefCell<Call>;
}

/// Runs `call` in a scope of its own, in the interface language it asked
/// for; answers its output and whether a database connection it used was
/// lost.
pub(crate) async fn scope<F: Future>(
    lang: Option<crate::words::Lang>,
    call: F,
) -> (F::Output, bool) {
    let state = Call {
        lang,
        ..Call::default()
    };
    CALL.scope(RefCell::new(state), async move {
        let output = call.await;
        let (lost, mut suspects) = CALL.with(|c| {
            let mut c = c.borrow_mut();
            (c.lost, std::mem::take(&mut c.suspects))
        });
        if lost || suspects.is_empty() {
            return (output, lost);
        }
        let deadline = tokio::time::Instant::now() + WATCH;
        loop {
            if suspects.iter_mut().any(|c| c.is_broken()) {
                return (output, true);
            }
            if tokio::time::Instant::now() >= deadline {
                return (output, false);
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    })
    .await
}

/// The interface language the call at hand asked for, if any.
pub(crate) fn lang() -> Option<crate::words::Lang> {
    CALL.try_with(|c| c.borrow().lang).ok().flatten()
}

/// Says that a connection this call used came back lost.
pub(crate) fn saw_one() {
    let _ = CALL.try_with(|c| c.borrow_mut().lost = true);
}

/// Says that a statement of this call failed without a known reason.
pub(crate) fn unexplained() {
    let _ = CALL.try_with(|c| c.borrow_mut().unexplained = true);
}

/// Whether a connection returned now is to be kept aside and watched
/// (a statement of this call failed without a known reason).
pub(crate) fn suspicious() -> bool {
    CALL.try_with(|c| c.borrow().unexplained).unwrap_or(false)
}

/// Keeps a connection aside, out of the pool, to watch.
pub(crate) fn keep(conn: AsyncPgConnection) {
    let _ = CALL.try_with(|c| c.borrow_mut().suspects.push(conn));
}

/// Whether a connection this call used came back lost (false outside a
/// scope).
pub(crate) fn seen() -> bool {
    CALL.try_with(|c| c.borrow().lost).unwrap_or(false)
}
