//! Logging set-up: `tracing` to stderr, filtered by `RUST_LOG` (default
//! `info`), as text for people or as one JSON object per line for log
//! shippers. Lines logged during a call carry its request id (the `call`
//! span of `observe`).

use tracing_subscriber::EnvFilter;

/// How log lines are written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines (coloured on a terminal).
    #[default]
    Text,
    /// One JSON object per line: `timestamp`, `level`, `fields.message`,
    /// the other fields, and `span` (with `request_id`) inside a call.
    Json,
}

/// The database driver logs every statement's parameters at debug level:
/// names, emails, document numbers. It never logs below info, whatever
/// `RUST_LOG` asks.
const DRIVER_CAP: &str = "tokio_postgres=info";

/// Installs the global subscriber. Safe to call more than once.
pub fn init(format: LogFormat) {
    let mut filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    if let Ok(cap) = DRIVER_CAP.parse() {
        filter = filter.add_directive(cap);
    }
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false);
    let _ = match format {
        LogFormat::Text => builder
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .try_init(),
        LogFormat::Json => builder
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .try_init(),
    };
}
