//! `--metrics-listen`'s HTTP endpoint: the text exposition on every GET,
//! with the gauges read at scrape time (the pool, the notification
//! listener, the occupancy of current events).

use std::time::Duration;

use metrics::gauge;
use metrics_exporter_prometheus::PrometheusHandle;
use tokio::net::TcpListener;

use super::{DATABASE, OCCUPANCY_DEADLINE};
use crate::domain::Services;

/// Sets the gauges read at scrape time: the pool, the notification
/// listener, and the occupancy of zones of events not yet over.
async fn refresh(services: &Services) {
    let status = services.db.status();
    let idle = status.available;
    let in_use = status.size.saturating_sub(idle);
    gauge!("expopass_db_pool_connections", "state" => "in_use").set(in_use as f64);
    gauge!("expopass_db_pool_connections", "state" => "idle").set(idle as f64);
    gauge!("expopass_db_pool_max_connections").set(status.max_size as f64);
    gauge!("expopass_db_pool_waiting").set(status.waiting as f64);
    match DATABASE.load(std::sync::atomic::Ordering::Relaxed) {
        1 => gauge!("expopass_database_up").set(0.0),
        2 => gauge!("expopass_database_up").set(1.0),
        _ => {}
    }
    gauge!("expopass_notifications_listening").set(if services.hub.is_listening() {
        1.0
    } else {
        0.0
    });
    if let Some(age) = services.hub.notification_age() {
        gauge!("expopass_notification_age_seconds").set(age.as_secs_f64());
    }
    match tokio::time::timeout(OCCUPANCY_DEADLINE, services.current_occupancy()).await {
        Ok(Ok(zones)) => {
            for zone in zones {
                let labels = [("event", zone.event), ("zone", zone.zone)];
                gauge!("expopass_zone_occupancy", &labels).set(f64::from(zone.inside.max(0)));
                gauge!("expopass_zone_capacity", &labels).set(f64::from(zone.capacity.max(0)));
            }
        }
        Ok(Err(e)) => tracing::debug!("occupancy not read for metrics: {e}"),
        Err(_) => tracing::debug!("occupancy not read for metrics within {OCCUPANCY_DEADLINE:?}"),
    }
}

/// The exposition for a GET; 405 for anything else.
async fn answer<B>(
    request: &hyper::Request<B>,
    handle: &PrometheusHandle,
    services: &Services,
) -> Result<hyper::Response<http_body_util::Full<bytes::Bytes>>, http::Error> {
    use http_body_util::Full;
    if request.method() != hyper::Method::GET {
        return hyper::Response::builder()
            .status(hyper::StatusCode::METHOD_NOT_ALLOWED)
            .header("allow", "GET")
            .body(Full::new(bytes::Bytes::new()));
    }
    refresh(services).await;
    hyper::Response::builder()
        .header("content-type", "text/plain; version=0.0.4; charset=utf-8")
        .body(Full::new(bytes::Bytes::from(handle.render())))
}

/// Serves the text exposition on every GET (HTTP/1.1) until the task is
/// dropped.
pub async fn serve(listener: TcpListener, handle: PrometheusHandle, services: Services) {
    use hyper::{body::Incoming, server::conn::http1, service::service_fn};
    use hyper_util::rt::{TokioIo, TokioTimer};
    loop {
        let (stream, _) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                tracing::warn!("metrics listener: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let handle = handle.clone();
        let services = services.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request: hyper::Request<Incoming>| {
                let handle = handle.clone();
                let services = services.clone();
                async move { answer(&request, &handle, &services).await }
            });
            let connection = http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(Duration::from_secs(10))
                .serve_connection(TokioIo::new(stream), service);
            let _ = tokio::time::timeout(Duration::from_secs(60), connection).await;
        });
    }
}
