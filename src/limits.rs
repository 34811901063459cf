//! Refusals that happen before a handler runs, as statuses with a reason
//! like every other error: load shedding (`RESOURCE_EXHAUSTED`,
//! `OVERLOADED`, with a `RetryInfo`) and the refusals tonic makes itself
//! (a request message over the size limit, `MESSAGE_TOO_LARGE`), which
//! otherwise reach the client without an `ErrorInfo`.
//!
//! Shedding counts calls in flight across all connections. Each connection
//! advertises an HTTP/2 `max_concurrent_streams` below that limit
//! (`server`), so one well-behaved client queues its calls instead of
//! having them refused; only many connections at once are shed.

use std::{
    future::Future,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
    time::Duration,
};

use http::{Request, Response};
use tokio::sync::Semaphore;
use tonic::{Code, Status};
use tower::{Layer, Service};

use crate::error::{AppError, ErrorKind, Reason};

/// When a shed client should try again.
const RETRY_AFTER: Duration = Duration::from_millis(200);

/// Sheds calls beyond `limit` in flight, and gives tonic's own refusals a
/// reason.
#[derive(Debug, Clone)]
pub(crate) struct LimitsLayer {
    permits: Arc<Semaphore>,
}

impl LimitsLayer {
    pub(crate) fn new(limit: usize) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(limit.max(1))),
        }
    }
}

impl<S> Layer<S> for LimitsLayer {
    type Service = Limits<S>;

    fn layer(&self, inner: S) -> Limits<S> {
        Limits {
            inner,
            permits: self.permits.clone(),
        }
    }
}

/// The service of [`LimitsLayer`].
#[derive(Debug, Clone)]
pub(crate) struct Limits<S> {
    inner: S,
    permits: Arc<Semaphore>,
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

impl<S, B> Service<Request<B>> for Limits<S>
where
    S: Service<Request<B>, Response = Response<tonic::body::Body>> + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
{
    type Response = Response<tonic::body::Body>;
    type Error = S::Error;
    type Future = BoxFuture<Result<Self::Response, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let Ok(permit) = self.permits.clone().try_acquire_owned() else {
            return Box::pin(std::future::ready(Ok(overloaded().into_http())));
        };
        let call = self.inner.call(request);
        Box::pin(async move {
            let response = call.await;
            drop(permit);
            response.map(with_reason)
        })
    }
}

/// The status of a shed call.
fn overloaded() -> Status {
    let mut error = AppError::new(
        ErrorKind::ResourceExhausted,
        Reason::Overloaded,
        "the server has too many calls in flight: retry shortly",
    );
    error.retry_after = Some(RETRY_AFTER);
    error.into()
}

/// A trailers-only error answer that tonic made without an `ErrorInfo`
/// (it refused the request before any handler ran) gets one.
fn with_reason(response: Response<tonic::body::Body>) -> Response<tonic::body::Body> {
    const DETAILS: &str = "grpc-status-details-bin";
    let headers = response.headers();
    if headers.contains_key(DETAILS) {
        return response;
    }
    let Some(status) = Status::from_header_map(headers) else {
        return response;
    };
    let reason = match status.code() {
        Code::OutOfRange | Code::ResourceExhausted if status.message().contains("too large") => {
            Reason::MessageTooLarge
        }
        _ => return response,
    };
    let error = AppError::new(
        ErrorKind::ResourceExhausted,
        reason,
        "the request message is larger than the server accepts",
    );
    Status::from(error).into_http()
}
