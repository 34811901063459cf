//! What Expopass counts, and the Prometheus endpoint that shows it
//! (`serve --metrics-listen`).
//!
//! Every metric is named and described here; the rest of the code calls
//! the functions below. Labels are bounded: RPC names from the protos,
//! codes of events and zones an organiser set up, decisions and reasons
//! from closed lists. Never a badge, participant or token.
//!
//! Without `--metrics-listen` no recorder is installed and every call
//! below costs next to nothing.

use std::{sync::OnceLock, time::Duration};

use anyhow::Context as _;
use metrics::{counter, gauge, histogram};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

pub mod endpoint;

/// Default address of `--metrics-listen` given without one.
pub const DEFAULT_ADDR: &str = "127.0.0.1:9464";

/// Bucket bounds, in seconds, of every latency histogram.
const LATENCY_BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// How long the scrape may wait for the occupancy query.
pub(crate) const OCCUPANCY_DEADLINE: Duration = Duration::from_secs(2);

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Installs the process's recorder (once; later calls return the same
/// handle).
pub fn install() -> anyhow::Result<PrometheusHandle> {
    if let Some(handle) = HANDLE.get() {
        return Ok(handle.clone());
    }
    let recorder = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Suffix("_seconds".to_owned()), &LATENCY_BUCKETS)
        .context("invalid histogram buckets")?
        // A zone of an event that is over stops being reported instead of
        // showing its last count for ever; gauges set at each scrape stay.
        .idle_timeout(
            metrics_util::MetricKindMask::GAUGE,
            Some(Duration::from_secs(300)),
        )
        .build_recorder();
    let handle = recorder.handle();
    if metrics::set_global_recorder(recorder).is_err() {
        // Another recorder won the race: its handle is the one to use.
        return HANDLE
            .get()
            .cloned()
            .context("a metrics recorder of another kind is installed");
    }
    let _ = HANDLE.set(handle.clone());
    describe();
    // Histograms keep samples until drained: drain them even when nobody
    // scrapes.
    let upkeep = handle.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(5));
        loop {
            tick.tick().await;
            upkeep.run_upkeep();
        }
    });
    Ok(handle)
}

fn describe() {
    use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
    describe_counter!(
        "expopass_grpc_requests_total",
        "gRPC calls answered, by service, method and status code"
    );
    describe_histogram!(
        "expopass_grpc_request_duration_seconds",
        Unit::Seconds,
        "Time from a call's arrival to its last byte (a stream's whole life)"
    );
    describe_counter!(
        "expopass_scans_total",
        "Online scans decided, by event, zone, direction, decision and reason"
    );
    describe_counter!(
        "expopass_offline_uploads_total",
        "Uploads of scans decided offline, by event"
    );
    describe_counter!(
        "expopass_offline_scans_total",
        "Scans decided offline and uploaded, by event and outcome (stored or duplicate)"
    );
    describe_counter!(
        "expopass_offline_conflicts_total",
        "Conflicts found among uploaded offline scans, by event"
    );
    describe_counter!(
        "expopass_registrations_total",
        "Participants registered one by one (retries not counted), by event"
    );
    describe_counter!(
        "expopass_import_rows_total",
        "Imported rows, by event and outcome (created, updated, rejected)"
    );
    describe_counter!(
        "expopass_print_jobs_total",
        "Badge print jobs, by outcome (completed, failed, abandoned)"
    );
    describe_counter!("expopass_print_pages_total", "PDF pages of print jobs");
    describe_counter!("expopass_print_badges_total", "Badges in print jobs");
    describe_gauge!(
        "expopass_db_pool_connections",
        "Database connections of the pool, by state (in_use, idle)"
    );
    describe_gauge!(
        "expopass_db_pool_max_connections",
        "Connections the database pool may open"
    );
    describe_gauge!(
        "expopass_db_pool_waiting",
        "Calls waiting for a database connection"
    );
    describe_gauge!(
        "expopass_database_up",
        "1 while the database answers, 0 while it does not"
    );
    describe_gauge!(
        "expopass_notifications_listening",
        "1 while this instance listens to the database's gate notifications"
    );
    describe_gauge!(
        "expopass_notification_age_seconds",
        Unit::Seconds,
        "Seconds since the last notification was heard (a heartbeat is sent every 10 s)"
    );
    describe_gauge!(
        "expopass_zone_occupancy",
        "Badges inside a zone, for events not yet over"
    );
    describe_gauge!(
        "expopass_zone_capacity",
        "Capacity of a zone (0: unlimited), for events not yet over"
    );
}

/// One gRPC call answered.
pub(crate) fn call(
    service: &'static str,
    method: &'static str,
    code: &'static str,
    took: Duration,
) {
    counter!("expopass_grpc_requests_total", "service" => service, "method" => method, "code" => code)
        .increment(1);
    histogram!("expopass_grpc_request_duration_seconds", "service" => service, "method" => method)
        .record(took.as_secs_f64());
}

/// One online scan decided: `reason` is empty for an allowed one.
pub(crate) fn scan(event: &str, zone: &str, direction: &'static str, reason: Option<&'static str>) {
    counter!(
        "expopass_scans_total",
        "event" => event.to_owned(),
        "zone" => zone.to_owned(),
        "direction" => direction,
        "decision" => if reason.is_some() { "deny" } else { "allow" },
        "reason" => reason.unwrap_or(""),
    )
    .increment(1);
}

/// One upload of offline scans.
pub(crate) fn offline_upload(event: &str, stored: u32, duplicates: u32, conflicts: usize) {
    let event = event.to_owned();
    counter!("expopass_offline_uploads_total", "event" => event.clone()).increment(1);
    counter!("expopass_offline_scans_total", "event" => event.clone(), "outcome" => "stored")
        .increment(u64::from(stored));
    counter!("expopass_offline_scans_total", "event" => event.clone(), "outcome" => "duplicate")
        .increment(u64::from(duplicates));
    counter!("expopass_offline_conflicts_total", "event" => event)
        .increment(u64::try_from(conflicts).unwrap_or(u64::MAX));
}

/// One participant registered (not a replay).
pub(crate) fn registered(event: &str) {
    counter!("expopass_registrations_total", "event" => event.to_owned()).increment(1);
}

/// The rows of one import, once it committed.
pub(crate) fn imported(event: &str, created: u64, updated: u64, rejected: u64) {
    for (outcome, n) in [
        ("created", created),
        ("updated", updated),
        ("rejected", rejected),
    ] {
        counter!("expopass_import_rows_total", "event" => event.to_owned(), "outcome" => outcome)
            .increment(n);
    }
}

/// How a print job ended.
#[derive(Debug, Clone, Copy)]
pub(crate) enum PrintOutcome {
    Completed,
    Failed,
    /// The client went away before the end.
    Abandoned,
}

/// One print job ended.
pub(crate) fn print_job(outcome: PrintOutcome) {
    let outcome = match outcome {
        PrintOutcome::Completed => "completed",
        PrintOutcome::Failed => "failed",
        PrintOutcome::Abandoned => "abandoned",
    };
    counter!("expopass_print_jobs_total", "outcome" => outcome).increment(1);
}

/// Pages and badges of a print job, as they are sent.
pub(crate) fn printed(pages: usize, badges: usize) {
    counter!("expopass_print_pages_total").increment(u64::try_from(pages).unwrap_or(u64::MAX));
    counter!("expopass_print_badges_total").increment(u64::try_from(badges).unwrap_or(u64::MAX));
}

/// The health watcher's last view of the database: 0 not yet known, 1
/// down, 2 up.
pub(crate) static DATABASE: std::sync::atomic::AtomicU8 = std::sync::atomic::AtomicU8::new(0);

/// Whether the database answers (the health watcher's view).
pub(crate) fn database_up(up: bool) {
    DATABASE.store(if up { 2 } else { 1 }, std::sync::atomic::Ordering::Relaxed);
    gauge!("expopass_database_up").set(if up { 1.0 } else { 0.0 });
}
