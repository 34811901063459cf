//! Composes the gRPC server: the seven services, health, reflection,
//! limits, and graceful shutdown.

use std::{future::Future, net::SocketAddr};

use anyhow::Context as _;
use tokio::net::TcpListener;
use tonic::transport::Server;
use tonic_health::ServingStatus;

use crate::{
    config::ServeConfig,
    domain::Services,
    grpc::{
        ApiState, AuditApi, AuthApi, BadgeApi, BadgeTemplateApi, EventApi, GateApi,
        RegistrationApi, TokenApi,
    },
    limits::LimitsLayer,
    observe::ObserveLayer,
    proto::{
        FILE_DESCRIPTOR_SET,
        pb::{
            audit_service_server::AuditServiceServer, auth_service_server::AuthServiceServer,
            badge_service_server::BadgeServiceServer,
            badge_template_service_server::BadgeTemplateServiceServer,
            event_service_server::EventServiceServer, gate_service_server::GateServiceServer,
            registration_service_server::RegistrationServiceServer,
            token_service_server::TokenServiceServer,
        },
    },
};

/// Names of the services, as health checks know them.
pub const SERVICE_NAMES: [&str; 8] = [
    "expopass.v1.AuthService",
    "expopass.v1.EventService",
    "expopass.v1.RegistrationService",
    "expopass.v1.BadgeService",
    "expopass.v1.GateService",
    "expopass.v1.TokenService",
    "expopass.v1.AuditService",
    "expopass.v1.BadgeTemplateService",
];

/// How long calls in flight may take to finish after a shutdown signal.
pub const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(10);

/// The HTTP/2 streams one connection may have open: a quarter of the
/// calls the server sheds at, at most 256.
pub fn streams_per_connection(max_in_flight: usize) -> u32 {
    u32::try_from(max_in_flight / 4)
        .unwrap_or(256)
        .clamp(1, 256)
}

/// Binds the listener (port 0 picks a free one).
pub async fn bind(addr: SocketAddr) -> anyhow::Result<TcpListener> {
    TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))
}

/// Serves until `shutdown` resolves, then lets in-flight calls finish.
pub async fn serve(
    services: Services,
    config: &ServeConfig,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send,
) -> anyhow::Result<()> {
    let addr = listener.local_addr()?;
    let hub = services.hub.clone();
    // Revocations and rule changes are heard from the start.
    services.start_hub();
    let (health, health_service) = tonic_health::server::health_reporter();
    for name in SERVICE_NAMES.iter().chain(&[""]) {
        health
            .set_service_status(*name, ServingStatus::NotServing)
            .await;
    }
    let reflection = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1()
        .context("cannot build the reflection service")?;

    // Metrics first: a port already taken stops the start here.
    let metrics = match config.metrics_listen {
        Some(addr) => {
            let handle = crate::meter::install()?;
            let listener = bind(addr).await.context("the metrics listener")?;
            tracing::info!(addr = %listener.local_addr()?, "serving Prometheus metrics");
            Some(tokio::spawn(crate::meter::endpoint::serve(
                listener,
                handle,
                services.clone(),
            )))
        }
        None => None,
    };

    let state = ApiState::new(services.clone());
    let max = config.max_message_bytes;
    let router = Server::builder()
        // Bulk imports stream rows while earlier batches are in the
        // database; with HTTP/2's 64 KB default windows the unread rows of
        // one import stalled every other stream of the connection.
        .initial_connection_window_size(Some(16 * 1024 * 1024))
        .initial_stream_window_size(Some(4 * 1024 * 1024))
        // One connection never has more calls open than the server sheds
        // at: a client that sends a burst on one connection queues.
        .max_concurrent_streams(Some(streams_per_connection(config.max_in_flight)))
        // Browsers speak gRPC-Web, over HTTP/1.1 as well as HTTP/2; the
        // layer turns their calls into plain gRPC before anything else
        // sees them. gRPC clients are not affected.
        .accept_http1(true)
        // The desk page (`GET /desk/`) is answered before gRPC sees it.
        .layer(crate::desk::DeskLayer)
        .layer(tonic_web::GrpcWebLayer::new())
        // Outside the rest, so that shed and refused calls are seen too.
        .layer(ObserveLayer)
        .layer(LimitsLayer::new(config.max_in_flight))
        .timeout(config.request_timeout)
        // A peer that vanished without closing is found by pings: one after
        // 30 s without traffic, 10 s to answer.
        .http2_keepalive_interval(Some(std::time::Duration::from_secs(30)))
        .http2_keepalive_timeout(Some(std::time::Duration::from_secs(10)))
        .add_service(health_service)
        .add_service(reflection)
        .add_service(
            EventServiceServer::new(EventApi::new(state.clone())).max_decoding_message_size(max),
        )
        .add_service(
            RegistrationServiceServer::new(RegistrationApi::new(state.clone()))
                .max_decoding_message_size(max),
        )
        .add_service(
            BadgeServiceServer::new(BadgeApi::new(state.clone())).max_decoding_message_size(max),
        )
        .add_service(
            GateServiceServer::new(GateApi::new(state.clone())).max_decoding_message_size(max),
        )
        .add_service(
            TokenServiceServer::new(TokenApi::new(state.clone())).max_decoding_message_size(max),
        )
        .add_service(
            AuditServiceServer::new(AuditApi::new(state.clone())).max_decoding_message_size(max),
        )
        .add_service(
            BadgeTemplateServiceServer::new(BadgeTemplateApi::new(state.clone()))
                .max_decoding_message_size(max),
        )
        .add_service(AuthServiceServer::new(AuthApi::new(state)).max_decoding_message_size(max));

    // SERVING only once the database answers; NOT_SERVING while it does not.
    let db = services.db.clone();
    let watcher = tokio::spawn(async move {
        let mut last = None;
        loop {
            let up = crate::db::ping(&db).await;
            if last != Some(up) {
                crate::meter::database_up(up);
                let status = if up {
                    ServingStatus::Serving
                } else {
                    ServingStatus::NotServing
                };
                for name in SERVICE_NAMES.iter().chain(&[""]) {
                    health.set_service_status(*name, status).await;
                }
                if up {
                    tracing::info!(%addr, "expopass is ready to serve gRPC on {addr}");
                } else {
                    tracing::warn!("the database does not answer: health is NOT_SERVING");
                }
                last = Some(up);
            }
            // A call that finds the database gone wakes this loop at once.
            let poll = std::time::Duration::from_secs(if up { 5 } else { 1 });
            tokio::select! {
                () = tokio::time::sleep(poll) => {}
                () = crate::db::trouble() => {}
            }
        }
    });

    // After the signal, calls in flight get a grace period; connections
    // that stay open beyond it (idle clients, endless watch streams) are cut.
    let fired = std::sync::Arc::new(tokio::sync::Notify::new());
    let signal = {
        let fired = fired.clone();
        async move {
            shutdown.await;
            fired.notify_one();
        }
    };
    // Accepted sockets get TCP_NODELAY (small replies must not wait for
    // Nagle's algorithm), a handshake deadline and a place among a bounded
    // number of connections (`listener`).
    let incoming =
        crate::listener::incoming(listener, config.max_connections, config.handshake_timeout);
    let mut reloader = None;
    let serving: std::pin::Pin<
        Box<dyn Future<Output = Result<(), tonic::transport::Error>> + Send>,
    > = match &config.tls {
        None => Box::pin(router.serve_with_incoming_shutdown(incoming, signal)),
        Some(tls) => {
            tracing::info!(fingerprint = %tls.fingerprint(), "serving TLS");
            reloader = Some(tls.watch());
            let incoming = tls.incoming(incoming, config.handshake_timeout);
            Box::pin(router.serve_with_incoming_shutdown(incoming, signal))
        }
    };
    let grace = async {
        fired.notified().await;
        tokio::time::sleep(SHUTDOWN_GRACE).await;
    };
    let result = tokio::select! {
        result = serving => result.context("the gRPC server failed"),
        () = grace => {
            tracing::warn!("connections still open after {SHUTDOWN_GRACE:?}: closing them");
            Ok(())
        }
    };
    watcher.abort();
    if let Some(metrics) = metrics {
        metrics.abort();
    }
    if let Some(reloader) = reloader {
        reloader.abort();
    }
    hub.stop();
    result
}

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down: finishing calls in flight");
}
