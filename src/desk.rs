//! The browser pages, served by the binary on the gRPC port: the desk
//! (`GET /desk/`), the gate (`GET /gate/`), the operations board
//! (`GET /ops/`) and the organiser's console (`GET /admin/`) with their
//! assets, built from
//! `web/` and embedded at compile time. Each page is a gRPC-Web client of
//! `expopass.v1` like any other; nothing here answers anything but these
//! files.

use std::{
    future::Future,
    pin::Pin,
    sync::LazyLock,
    task::{Context, Poll},
};

use bytes::Bytes;
use http::{HeaderValue, Method, Request, Response, StatusCode, header};
use http_body_util::Full;
use sha2::Digest as _;
use tower::{Layer, Service};

/// Where the desk page lives.
pub const PATH: &str = "/desk/";
/// Where the gate page lives.
pub const GATE_PATH: &str = "/gate/";
/// Where the operations board lives.
pub const OPS_PATH: &str = "/ops/";
/// Where the organiser's console lives.
pub const ADMIN_PATH: &str = "/admin/";

/// The page's Content-Security-Policy: its own scripts and styles only,
/// calls to its own origin, images, PDFs and the camera from blobs (the
/// page's own: a badge PDF is a blob it made).
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
    connect-src 'self' blob:; img-src 'self' blob: data:; media-src 'self' blob: mediastream:; \
    frame-src 'self' blob:; object-src 'self' blob:; worker-src 'self'; manifest-src 'self'; \
    base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

struct Asset {
    body: Bytes,
    gzip: Bytes,
    content_type: &'static str,
    etag: HeaderValue,
}

impl Asset {
    fn new(raw: &'static [u8], content_type: &'static str) -> Self {
        use std::io::Write as _;
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        let gzip = encoder
            .write_all(raw)
            .and_then(|()| encoder.finish())
            .unwrap_or_default();
        let digest = sha2::Sha256::digest(raw);
        let etag = HeaderValue::from_str(&format!("\"{}\"", hex::encode(&digest[..12])))
            .unwrap_or_else(|_| HeaderValue::from_static("\"desk\""));
        Self {
            body: Bytes::from_static(raw),
            gzip: Bytes::from(gzip),
            content_type,
            etag,
        }
    }
}

static INDEX: LazyLock<Asset> = LazyLock::new(|| {
    Asset::new(
        include_bytes!("../web/dist/index.html"),
        "text/html; charset=utf-8",
    )
});
static SCRIPT: LazyLock<Asset> = LazyLock::new(|| {
    Asset::new(
        include_bytes!("../web/dist/app.js"),
        "text/javascript; charset=utf-8",
    )
});
static STYLE: LazyLock<Asset> = LazyLock::new(|| {
    Asset::new(
        include_bytes!("../web/dist/app.css"),
        "text/css; charset=utf-8",
    )
});
static GATE: LazyLock<Asset> = LazyLock::new(|| {
    Asset::new(
        include_bytes!("../web/dist/gate.html"),
        "text/html; charset=utf-8",
    )
});
static GATE_SCRIPT: LazyLock<Asset> = LazyLock::new(|| {
    Asset::new(
        include_bytes!("../web/dist/gate.js"),
        "text/javascript; charset=utf-8",
    )
});
static GATE_STYLE: LazyLock<Asset> = LazyLock::new(|| {
    Asset::new(
        include_bytes!("../web/dist/gate.css"),
        "text/css; charset=utf-8",
    )
});
static GATE_WORKER: LazyLock<Asset> = LazyLock::new(|| {
    Asset::new(
        include_bytes!("../web/dist/gate-sw.js"),
        "text/javascript; charset=utf-8",
    )
});
static GATE_MANIFEST: LazyLock<Asset> = LazyLock::new(|| {
    Asset::new(
        include_bytes!("../web/dist/manifest.webmanifest"),
        "application/manifest+json",
    )
});
static GATE_ICON: LazyLock<Asset> =
    LazyLock::new(|| Asset::new(include_bytes!("../web/dist/icon.svg"), "image/svg+xml"));
static OPS: LazyLock<Asset> = LazyLock::new(|| {
    Asset::new(
        include_bytes!("../web/dist/ops.html"),
        "text/html; charset=utf-8",
    )
});
static OPS_SCRIPT: LazyLock<Asset> = LazyLock::new(|| {
    Asset::new(
        include_bytes!("../web/dist/ops.js"),
        "text/javascript; charset=utf-8",
    )
});
static OPS_STYLE: LazyLock<Asset> = LazyLock::new(|| {
    Asset::new(
        include_bytes!("../web/dist/ops.css"),
        "text/css; charset=utf-8",
    )
});
static ADMIN: LazyLock<Asset> = LazyLock::new(|| {
    Asset::new(
        include_bytes!("../web/dist/admin.html"),
        "text/html; charset=utf-8",
    )
});
static ADMIN_SCRIPT: LazyLock<Asset> = LazyLock::new(|| {
    Asset::new(
        include_bytes!("../web/dist/admin.js"),
        "text/javascript; charset=utf-8",
    )
});
static ADMIN_STYLE: LazyLock<Asset> = LazyLock::new(|| {
    Asset::new(
        include_bytes!("../web/dist/admin.css"),
        "text/css; charset=utf-8",
    )
});

/// What a GET of `path` gets, when the page answers it.
enum Answer {
    File(&'static Asset),
    Redirect(&'static str),
    Missing,
}

fn route(path: &str) -> Option<Answer> {
    match path {
        "/" | "/desk" => Some(Answer::Redirect(PATH)),
        "/desk/" | "/desk/index.html" => Some(Answer::File(&INDEX)),
        "/desk/app.js" => Some(Answer::File(&SCRIPT)),
        "/desk/app.css" => Some(Answer::File(&STYLE)),
        "/gate" => Some(Answer::Redirect(GATE_PATH)),
        "/gate/" | "/gate/index.html" => Some(Answer::File(&GATE)),
        "/gate/gate.js" => Some(Answer::File(&GATE_SCRIPT)),
        "/gate/gate.css" => Some(Answer::File(&GATE_STYLE)),
        "/gate/sw.js" => Some(Answer::File(&GATE_WORKER)),
        "/gate/manifest.webmanifest" => Some(Answer::File(&GATE_MANIFEST)),
        // One icon for every page, and for browsers that ask for
        // /favicon.ico whatever the page says.
        "/gate/icon.svg" | "/desk/icon.svg" | "/ops/icon.svg" | "/admin/icon.svg"
        | "/favicon.ico" => Some(Answer::File(&GATE_ICON)),
        "/ops" => Some(Answer::Redirect(OPS_PATH)),
        "/ops/" | "/ops/index.html" => Some(Answer::File(&OPS)),
        "/ops/ops.js" => Some(Answer::File(&OPS_SCRIPT)),
        "/ops/ops.css" => Some(Answer::File(&OPS_STYLE)),
        "/admin" => Some(Answer::Redirect(ADMIN_PATH)),
        "/admin/" | "/admin/index.html" => Some(Answer::File(&ADMIN)),
        "/admin/admin.js" => Some(Answer::File(&ADMIN_SCRIPT)),
        "/admin/admin.css" => Some(Answer::File(&ADMIN_STYLE)),
        p if p.starts_with("/desk/")
            || p.starts_with("/gate/")
            || p.starts_with("/ops/")
            || p.starts_with("/admin/") =>
        {
            Some(Answer::Missing)
        }
        _ => None,
    }
}

fn accepts_gzip(headers: &http::HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|coding| {
            let mut parts = coding.split(';');
            let name = parts.next().unwrap_or_default().trim();
            let refused = parts.any(|p| {
                p.trim()
                    .strip_prefix("q=")
                    .is_some_and(|q| q.trim().parse::<f32>().is_ok_and(|q| q == 0.0))
            });
            name.eq_ignore_ascii_case("gzip") && !refused
        })
}

fn answer<B>(request: &Request<B>, found: Answer) -> Response<tonic::body::Body> {
    let mut response = Response::new(tonic::body::Body::empty());
    let headers = response.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    match found {
        Answer::Redirect(to) => {
            *response.status_mut() = StatusCode::FOUND;
            response
                .headers_mut()
                .insert(header::LOCATION, HeaderValue::from_static(to));
        }
        Answer::Missing => {
            *response.status_mut() = StatusCode::NOT_FOUND;
        }
        Answer::File(asset) => {
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static(asset.content_type),
            );
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
            headers.insert(header::ETAG, asset.etag.clone());
            headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
            headers.insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(CSP),
            );
            let fresh = request
                .headers()
                .get(header::IF_NONE_MATCH)
                .is_some_and(|tag| tag == asset.etag);
            if fresh {
                *response.status_mut() = StatusCode::NOT_MODIFIED;
                return response;
            }
            let body = if accepts_gzip(request.headers()) && !asset.gzip.is_empty() {
                headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
                asset.gzip.clone()
            } else {
                asset.body.clone()
            };
            if request.method() != Method::HEAD {
                *response.body_mut() = tonic::body::Body::new(Full::new(body));
            }
        }
    }
    response
}

/// Answers GETs of the desk page before gRPC sees them.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct DeskLayer;

impl<S> Layer<S> for DeskLayer {
    type Service = Desk<S>;

    fn layer(&self, inner: S) -> Desk<S> {
        Desk { inner }
    }
}

/// The service of [`DeskLayer`].
#[derive(Debug, Clone)]
pub(crate) struct Desk<S> {
    inner: S,
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

impl<S, B> Service<Request<B>> for Desk<S>
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
        let page = matches!(*request.method(), Method::GET | Method::HEAD)
            .then(|| route(request.uri().path()))
            .flatten();
        match page {
            Some(found) => {
                let response = answer(&request, found);
                Box::pin(async move { Ok(response) })
            }
            None => Box::pin(self.inner.call(request)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_page_and_its_assets_are_answered() {
        assert!(matches!(route("/desk/"), Some(Answer::File(_))));
        assert!(matches!(route("/desk/app.js"), Some(Answer::File(_))));
        assert!(matches!(route("/desk"), Some(Answer::Redirect(PATH))));
        assert!(matches!(route("/favicon.ico"), Some(Answer::File(_))));
        assert!(matches!(route("/ops/icon.svg"), Some(Answer::File(_))));
        assert!(matches!(route("/admin/"), Some(Answer::File(_))));
        assert!(matches!(route("/admin/admin.js"), Some(Answer::File(_))));
        assert!(matches!(route("/admin/nothing"), Some(Answer::Missing)));
        assert!(matches!(
            route("/desk/../Cargo.toml"),
            Some(Answer::Missing)
        ));
        assert!(route("/expopass.v1.EventService/ListEvents").is_none());
    }

    #[test]
    fn gzip_is_sent_only_when_accepted() {
        let mut h = http::HeaderMap::new();
        assert!(!accepts_gzip(&h));
        h.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_static("gzip, deflate, br"),
        );
        assert!(accepts_gzip(&h));
        h.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_static("gzip;q=0, br"),
        );
        assert!(!accepts_gzip(&h));
    }
}
