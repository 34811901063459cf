//! The accept loop: what keeps silent or hostile sockets from locking
//! clients out.
//!
//! - At most `max_connections` connections are open at once; the
//!   default leaves room below the process's file limit for the database
//!   pool and files, and `raise_file_limit` lifts the soft limit to the
//!   hard one at start.
//! - A connection has `handshake` to send its first bytes (the HTTP/2
//!   preface, or an HTTP/1.1 request line); one that does not is closed.
//!   When every place is taken, the oldest connection still in its
//!   handshake is closed to make room, so a thousand silent sockets cannot
//!   keep a real client waiting.
//! - When the process runs out of file descriptors anyway (`EMFILE`,
//!   `ENFILE`), the loop waits a little before accepting again instead of
//!   spinning on the error.
//! - Peers that vanish after the handshake are found by HTTP/2 keepalive
//!   pings (`server`).

use std::{
    collections::VecDeque,
    io,
    net::SocketAddr,
    pin::Pin,
    sync::{
        Arc, Mutex, Weak,
        atomic::{AtomicBool, Ordering},
    },
    task::{Context, Poll},
    time::Duration,
};

use std::future::Future as _;

use futures::{Stream, task::AtomicWaker};
use tokio::{
    io::{AsyncRead, AsyncWrite, ReadBuf},
    net::{TcpListener, TcpStream},
    sync::{OwnedSemaphorePermit, Semaphore},
    time::Sleep,
};
use tonic::transport::server::{Connected, TcpConnectInfo};

/// Bytes a client sends first: the HTTP/2 client preface is 24.
const HANDSHAKE_BYTES: usize = 24;

/// File descriptors kept for everything but client connections: the
/// database pool, the listener, logs, files.
const RESERVED_FDS: u64 = 128;

/// Raises the soft limit of open files to the hard limit; returns the
/// soft limit in force afterwards.
pub fn raise_file_limit() -> u64 {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit and setrlimit read and write the struct passed.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
            return 1024;
        }
        if limit.rlim_cur < limit.rlim_max {
            let raised = libc::rlimit {
                rlim_cur: limit.rlim_max,
                rlim_max: limit.rlim_max,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                limit = raised;
            }
        }
    }
    limit.rlim_cur
}

/// Client connections the file limit leaves room for, at most 10,000.
pub fn default_max_connections(file_limit: u64) -> usize {
    usize::try_from(file_limit.saturating_sub(RESERVED_FDS).clamp(16, 10_000)).unwrap_or(10_000)
}

/// A connection still in its handshake, as the accept loop tracks it.
#[derive(Debug, Default)]
struct Pending {
    evicted: AtomicBool,
    done: AtomicBool,
    waker: AtomicWaker,
}

/// Accepted connections, as tonic takes them.
pub fn incoming(
    listener: TcpListener,
    max_connections: usize,
    handshake: Duration,
) -> impl Stream<Item = io::Result<Connection>> {
    let state = Accept {
        listener,
        places: Arc::new(Semaphore::new(max_connections.max(1))),
        pending: Arc::new(Mutex::new(VecDeque::new())),
        handshake,
        last_warning: None,
    };
    futures::stream::unfold(state, |mut state| async move {
        let connection = state.next().await;
        Some((Ok(connection), state))
    })
}

struct Accept {
    listener: TcpListener,
    places: Arc<Semaphore>,
    pending: Arc<Mutex<VecDeque<Weak<Pending>>>>,
    handshake: Duration,
    last_warning: Option<tokio::time::Instant>,
}

impl Accept {
    async fn next(&mut self) -> Connection {
        loop {
            let place = match self.places.clone().try_acquire_owned() {
                Ok(place) => place,
                Err(_) => {
                    self.evict_oldest_pending();
                    match self.places.clone().acquire_owned().await {
                        Ok(place) => place,
                        // The semaphore is never closed.
                        Err(_) => continue,
                    }
                }
            };
            match self.listener.accept().await {
                Ok((stream, remote)) => {
                    let _ = stream.set_nodelay(true);
                    let pending = Arc::new(Pending::default());
                    if let Ok(mut list) = self.pending.lock() {
                        list.retain(|p| {
                            p.upgrade().is_some_and(|p| !p.done.load(Ordering::Relaxed))
                        });
                        list.push_back(Arc::downgrade(&pending));
                    }
                    return Connection {
                        local: stream.local_addr().ok(),
                        remote: Some(remote),
                        stream,
                        _place: place,
                        pending: Some(pending),
                        read: 0,
                        deadline: Some(Box::pin(tokio::time::sleep(self.handshake))),
                    };
                }
                Err(e) if is_out_of_files(&e) => {
                    drop(place);
                    let now = tokio::time::Instant::now();
                    if self
                        .last_warning
                        .is_none_or(|at| now.duration_since(at) > Duration::from_secs(10))
                    {
                        tracing::warn!(error = %e, "out of file descriptors: accepting more slowly");
                        self.last_warning = Some(now);
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(e) => {
                    tracing::debug!(error = %e, "a connection failed while being accepted");
                }
            }
        }
    }

    /// Closes the oldest connection that has not finished its handshake.
    fn evict_oldest_pending(&self) {
        let Ok(mut list) = self.pending.lock() else {
            return;
        };
        while let Some(oldest) = list.pop_front() {
            if let Some(p) = oldest.upgrade()
                && !p.done.load(Ordering::Relaxed)
            {
                p.evicted.store(true, Ordering::Relaxed);
                p.waker.wake();
                tracing::debug!("all places taken: closed the oldest connection still silent");
                return;
            }
        }
    }
}

fn is_out_of_files(e: &io::Error) -> bool {
    matches!(e.raw_os_error(), Some(libc::EMFILE | libc::ENFILE))
}

/// An accepted connection: the TCP stream, its place among the open
/// connections, and its handshake deadline until its first bytes came.
pub struct Connection {
    stream: TcpStream,
    local: Option<SocketAddr>,
    remote: Option<SocketAddr>,
    _place: OwnedSemaphorePermit,
    pending: Option<Arc<Pending>>,
    read: usize,
    deadline: Option<Pin<Box<Sleep>>>,
}

impl Connected for Connection {
    type ConnectInfo = TcpConnectInfo;

    fn connect_info(&self) -> TcpConnectInfo {
        TcpConnectInfo {
            local_addr: self.local,
            remote_addr: self.remote,
        }
    }
}

impl AsyncRead for Connection {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        if let Some(pending) = &this.pending {
            pending.waker.register(cx.waker());
            if pending.evicted.load(Ordering::Relaxed) {
                return Poll::Ready(Err(io::Error::new(
                    io::ErrorKind::ConnectionAborted,
                    "closed to make room: no handshake yet",
                )));
            }
        }
        if let Some(deadline) = this.deadline.as_mut()
            && deadline.as_mut().poll(cx).is_ready()
        {
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "no handshake in time",
            )));
        }
        let before = buf.filled().len();
        let polled = Pin::new(&mut this.stream).poll_read(cx, buf);
        if this.deadline.is_some() {
            this.read += buf.filled().len() - before;
            if this.read >= HANDSHAKE_BYTES {
                this.deadline = None;
                if let Some(pending) = this.pending.take() {
                    pending.done.store(true, Ordering::Relaxed);
                }
            }
        }
        polled
    }
}

impl AsyncWrite for Connection {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_limit_leaves_room_for_the_rest() {
        assert_eq!(default_max_connections(1024), 896);
        assert_eq!(default_max_connections(100), 16);
        assert_eq!(default_max_connections(1 << 20), 10_000);
    }
}
