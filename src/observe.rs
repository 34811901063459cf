//! Every call, seen from outside the handlers: a request id (the caller's
//! `x-request-id` when it is a sane one, a new one otherwise) on every log
//! line the call makes and on its response headers; and the call's status
//! code and duration for the metrics, taken when its last byte leaves
//! (a stream's trailers), or when the client goes away first (`CANCELLED`).
//!
//! Method names come from the served protos only: a request for anything
//! else is counted as `unknown`, so a caller cannot grow the label set.

use std::{
    collections::HashMap,
    future::Future,
    pin::Pin,
    sync::LazyLock,
    task::{Context, Poll},
    time::{Duration, Instant},
};

use http::{HeaderValue, Request, Response};
use http_body::Frame;
use tonic::Code;
use tower::{Layer, Service};
use tracing::Instrument as _;

/// The header that carries a call's request id, both ways.
pub(crate) const REQUEST_ID: &str = "x-request-id";

/// Longest request id taken from a caller.
const MAX_REQUEST_ID: usize = 64;

/// `/package.Service/Method` of every method served, to its (service,
/// method) labels.
static METHODS: LazyLock<HashMap<String, (String, String)>> = LazyLock::new(|| {
    use prost::Message as _;
    let mut methods = HashMap::new();
    for set in [
        crate::proto::FILE_DESCRIPTOR_SET,
        tonic_health::pb::FILE_DESCRIPTOR_SET,
        tonic_reflection::pb::v1::FILE_DESCRIPTOR_SET,
    ] {
        let Ok(set) = prost_types::FileDescriptorSet::decode(set) else {
            continue;
        };
        for file in set.file {
            let package = file.package.unwrap_or_default();
            for service in file.service {
                let service_name = format!("{package}.{}", service.name.unwrap_or_default());
                for method in service.method {
                    let method = method.name.unwrap_or_default();
                    methods.insert(
                        format!("/{service_name}/{method}"),
                        (service_name.clone(), method),
                    );
                }
            }
        }
    }
    methods
});

/// The (service, method) labels of a request path.
fn labels(path: &str) -> (&'static str, &'static str) {
    match METHODS.get(path) {
        Some((service, method)) => (service.as_str(), method.as_str()),
        None => ("unknown", "unknown"),
    }
}

/// The caller's request id if it is 1 to 64 visible ASCII characters of
/// `[A-Za-z0-9._:-]`, a new one otherwise.
fn request_id<B>(request: &Request<B>) -> HeaderValue {
    if let Some(given) = request.headers().get(REQUEST_ID)
        && (1..=MAX_REQUEST_ID).contains(&given.len())
        && given
            .as_bytes()
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-'))
    {
        return given.clone();
    }
    let id = format!("{:016x}", fastrand::u64(..));
    HeaderValue::from_str(&id).unwrap_or_else(|_| HeaderValue::from_static("0"))
}

/// Puts each call in a span with its request id, and meters it.
#[derive(Debug, Clone, Default)]
pub(crate) struct ObserveLayer;

impl<S> Layer<S> for ObserveLayer {
    type Service = Observe<S>;

    fn layer(&self, inner: S) -> Observe<S> {
        Observe { inner }
    }
}

/// The service of [`ObserveLayer`].
#[derive(Debug, Clone)]
pub(crate) struct Observe<S> {
    inner: S,
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

impl<S, B> Service<Request<B>> for Observe<S>
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
        let (service, method) = labels(request.uri().path());
        let lang = request
            .headers()
            .get(http::header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .and_then(crate::words::Lang::from_accept_language);
        let id = request_id(&request);
        // At error level so that it is on whenever any log line is.
        let span = tracing::error_span!(
            "call",
            request_id = id.to_str().unwrap_or_default(),
            rpc = method
        );
        let mut record = CallRecord {
            service,
            method,
            started: Instant::now(),
            code: None,
            ended: false,
            span: span.clone(),
        };
        let call = {
            let _entered = span.enter();
            self.inner.call(request)
        };
        Box::pin(
            async move {
                // The call's own scope: a connection it loses tells it
                // (`crate::call`), whatever language its error is in.
                let (response, lost) = crate::call::scope(lang, call).await;
                let mut response = response?;
                if lost && code_of(response.headers()) == Some(Code::Internal) {
                    response = tonic::Status::from(crate::error::AppError::database_unavailable(
                        anyhow::anyhow!("a database connection of the call was lost"),
                    ))
                    .into_http();
                }
                response.headers_mut().insert(REQUEST_ID, id);
                // A trailers-only answer carries its status in the headers.
                record.code = code_of(response.headers());
                let (parts, body) = response.into_parts();
                let body = ObservedBody {
                    inner: body,
                    record,
                };
                Ok(Response::from_parts(parts, tonic::body::Body::new(body)))
            }
            .instrument(span),
        )
    }
}

fn code_of(headers: &http::HeaderMap) -> Option<Code> {
    headers
        .get("grpc-status")
        .map(|v| Code::from_bytes(v.as_bytes()))
}

/// Counts one call when it ends.
struct CallRecord {
    service: &'static str,
    method: &'static str,
    started: Instant,
    code: Option<Code>,
    /// The body ended (rather than being dropped unfinished).
    ended: bool,
    span: tracing::Span,
}

impl Drop for CallRecord {
    fn drop(&mut self) {
        let code = match (self.code, self.ended) {
            (Some(code), _) => code_name(code),
            (None, true) => "UNKNOWN",
            (None, false) => "CANCELLED",
        };
        let took: Duration = self.started.elapsed();
        crate::meter::call(self.service, self.method, code, took);
        let _entered = self.span.enter();
        tracing::debug!(
            service = self.service,
            method = self.method,
            code,
            ms = took.as_secs_f64() * 1000.0,
            "call ended"
        );
    }
}

/// A response body that notes its call's status from the trailers and
/// keeps the call's span while it is polled.
struct ObservedBody {
    inner: tonic::body::Body,
    record: CallRecord,
}

impl http_body::Body for ObservedBody {
    type Data = bytes::Bytes;
    type Error = tonic::Status;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let this = &mut *self;
        let _entered = this.record.span.enter();
        let polled = Pin::new(&mut this.inner).poll_frame(cx);
        match &polled {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(trailers) = frame.trailers_ref()
                    && let Some(code) = code_of(trailers)
                {
                    this.record.code = Some(code);
                }
            }
            Poll::Ready(Some(Err(status))) => {
                this.record.code = Some(status.code());
                this.record.ended = true;
            }
            Poll::Ready(None) => this.record.ended = true,
            Poll::Pending => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

/// The name of a status code, as grpc-go and the gRPC docs spell it.
fn code_name(code: Code) -> &'static str {
    match code {
        Code::Ok => "OK",
        Code::Cancelled => "CANCELLED",
        Code::Unknown => "UNKNOWN",
        Code::InvalidArgument => "INVALID_ARGUMENT",
        Code::DeadlineExceeded => "DEADLINE_EXCEEDED",
        Code::NotFound => "NOT_FOUND",
        Code::AlreadyExists => "ALREADY_EXISTS",
        Code::PermissionDenied => "PERMISSION_DENIED",
        Code::ResourceExhausted => "RESOURCE_EXHAUSTED",
        Code::FailedPrecondition => "FAILED_PRECONDITION",
        Code::Aborted => "ABORTED",
        Code::OutOfRange => "OUT_OF_RANGE",
        Code::Unimplemented => "UNIMPLEMENTED",
        Code::Internal => "INTERNAL",
        Code::Unavailable => "UNAVAILABLE",
        Code::DataLoss => "DATA_LOSS",
        Code::Unauthenticated => "UNAUTHENTICATED",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_come_from_the_protos_only() {
        assert_eq!(
            labels("/expopass.v1.GateService/Scan"),
            ("expopass.v1.GateService", "Scan")
        );
        assert_eq!(
            labels("/grpc.health.v1.Health/Check"),
            ("grpc.health.v1.Health", "Check")
        );
        assert_eq!(
            labels("/expopass.v1.GateService/Nope"),
            ("unknown", "unknown")
        );
        assert_eq!(labels("/x"), ("unknown", "unknown"));
    }

    #[test]
    fn a_sane_request_id_is_kept_and_anything_else_replaced() {
        let with = |v: &str| Request::builder().header(REQUEST_ID, v).body(()).unwrap();
        assert_eq!(request_id(&with("desk-3.42")), "desk-3.42");
        let long = "a".repeat(65);
        for bad in ["", "a b", "ä", long.as_str(), "x\"y"] {
            let Ok(value) = HeaderValue::from_str(bad) else {
                continue;
            };
            let request = Request::builder()
                .header(REQUEST_ID, value)
                .body(())
                .unwrap();
            let id = request_id(&request);
            assert_eq!(id.len(), 16, "{bad:?} gave {id:?}");
        }
        let fresh = request_id(&Request::builder().body(()).unwrap());
        assert_eq!(fresh.len(), 16);
    }
}
