//! The `expopass` command line.

use std::{net::SocketAddr, path::PathBuf, process::ExitCode, time::Duration};

use clap::{Args, Parser, Subcommand};

mod tools;
use expopass::{
    app::Database,
    config::{Config, ServeConfig},
    domain::{NewToken, Role, Services},
    telemetry::LogFormat,
};

/// glibc's allocator spent a third of the server's CPU in an import
/// (`malloc_consolidate`, `_int_free`): rows are many small, short-lived
/// allocations across threads.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "expopass",
    version,
    about = "Accreditation backend of a large trade fair"
)]
struct Cli {
    #[command(flatten)]
    common: Common,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args)]
struct Common {
    /// PostgreSQL URL; without it, a private cluster in the data directory.
    #[arg(long, env = "DATABASE_URL", global = true, hide_env_values = true)]
    database_url: Option<String>,
    /// Data directory: the private PostgreSQL cluster, key files, demo output.
    #[arg(
        long,
        env = "EXPOPASS_DATA_DIR",
        default_value = "expopass-data",
        global = true
    )]
    data_dir: PathBuf,
    /// Connections in the database pool.
    #[arg(long, env = "EXPOPASS_POOL_SIZE", default_value_t = 16, global = true)]
    pool_size: usize,
    /// Log lines as text, or as one JSON object per line for log shippers.
    #[arg(
        long,
        env = "EXPOPASS_LOG_FORMAT",
        value_enum,
        default_value_t = LogFormat::Text,
        global = true
    )]
    log_format: LogFormat,
}

#[derive(Subcommand)]
enum Command {
    /// Run the gRPC server.
    Serve(ServeArgs),
    /// Apply pending migrations and exit.
    Migrate {
        /// Revert every migration instead (destroys all data).
        #[arg(long)]
        revert_all: bool,
    },
    /// Manage API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Event settings.
    #[command(subcommand)]
    Event(expopass::console::EventCommand),
    /// Signing keys of an event.
    #[command(subcommand)]
    Keys(expopass::console::KeysCommand),
    /// The venue's TLS certificates.
    #[command(subcommand)]
    Tls(TlsCommand),
    /// Decide a scan offline from a bundle, as a gate would. Exit status 0
    /// for ALLOW, 3 for DENY.
    Verify(expopass::console::VerifyArgs),
    /// Rebuild the reference event end to end on this machine.
    Demo(tools::demo::DemoArgs),
    /// Load generators behind docs/benchmarks.md.
    #[command(subcommand)]
    Bench(tools::bench::BenchCommand),
}

#[derive(Args)]
struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "EXPOPASS_LISTEN", default_value = "127.0.0.1:50051")]
    listen: SocketAddr,
    /// Do not apply pending migrations on start.
    #[arg(long)]
    no_migrate: bool,
    /// Allow plaintext gRPC on a non-loopback address (behind a TLS proxy).
    #[arg(long, conflicts_with = "tls_cert")]
    allow_plaintext_remote: bool,
    /// Serve TLS with this PEM certificate chain (server certificate
    /// first). Reloaded on SIGHUP and when the file changes.
    #[arg(long, env = "EXPOPASS_TLS_CERT", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The PEM private key of --tls-cert.
    #[arg(long, env = "EXPOPASS_TLS_KEY", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Calls in flight (all connections) before new ones get
    /// RESOURCE_EXHAUSTED (OVERLOADED); each connection may open a quarter
    /// of them at once.
    #[arg(long, env = "EXPOPASS_MAX_IN_FLIGHT", default_value_t = 512)]
    max_in_flight: usize,
    /// Client connections open at once; 0 leaves room below the file limit
    /// (raised to its hard limit at start) for the rest, at most 10,000.
    #[arg(long, env = "EXPOPASS_MAX_CONNECTIONS", default_value_t = 0)]
    max_connections: usize,
    /// Serve Prometheus metrics over HTTP on this address (given alone:
    /// 127.0.0.1:9464). Off without it.
    #[arg(
        long,
        env = "EXPOPASS_METRICS_LISTEN",
        num_args = 0..=1,
        default_missing_value = expopass::meter::DEFAULT_ADDR
    )]
    metrics_listen: Option<SocketAddr>,
}

/// Who a token is for and where it may act.
#[derive(Args)]
struct TokenScope {
    /// admin, desk or gate.
    #[arg(long)]
    role: Role,
    /// Who or what holds it, e.g. "desk 3, hall A" or "Hall 1 lane 3".
    #[arg(long)]
    name: String,
    /// The event (code) the token is for; without it, every event.
    #[arg(long)]
    event: Option<String>,
    /// A gate (code) of that event a gate token may act at; repeat for
    /// more. Without it, every gate of the event.
    #[arg(long = "gate", requires = "event")]
    gates: Vec<String>,
}

impl TokenScope {
    fn token(self, expires_at: Option<chrono::DateTime<chrono::Utc>>) -> NewToken {
        NewToken {
            name: self.name,
            role: self.role,
            event_code: self.event,
            gate_codes: self.gates,
            expires_at,
        }
    }
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Print a new API token on stdout, and nothing else.
    Create {
        #[command(flatten)]
        scope: TokenScope,
        /// How long the token works, e.g. 72h, 3days; without it, until
        /// revoked.
        #[arg(long, value_parser = humantime::parse_duration)]
        expires: Option<Duration>,
    },
    /// List tokens (never their secrets): role, scope, creator, creation,
    /// last use (to within 30 s), expiry, revocation.
    List {
        /// Only the tokens for this event (and those for every event).
        #[arg(long)]
        event: Option<String>,
    },
    /// Make a one-time enrolment code: the device exchanges it
    /// (AuthService.Enroll) for a token of its own with this scope. Prints
    /// the code, and the code as a QR in the terminal.
    Enrol {
        #[command(flatten)]
        scope: TokenScope,
        /// How long the code works, e.g. 10m, 2h (at most 7 days).
        #[arg(long, default_value = "10m", value_parser = humantime::parse_duration)]
        ttl: Duration,
        /// Also write the QR as a PNG here.
        #[arg(long)]
        png: Option<PathBuf>,
    },
    /// Revoke a token by id: refused everywhere within a second.
    Revoke {
        /// The token's id, as `token list` shows it.
        id: uuid::Uuid,
    },
}

#[derive(Subcommand)]
enum TlsCommand {
    /// Make a venue CA (or re-use the one in --dir) and a server
    /// certificate for these names; print the CA's fingerprint.
    Init {
        /// Host names and IP addresses clients reach the server by,
        /// comma-separated, e.g. expopass.hall,10.0.0.5.
        #[arg(long, value_delimiter = ',', required = true)]
        hosts: Vec<String>,
        /// Where the files go (default: tls/ in the data directory).
        #[arg(long)]
        dir: Option<PathBuf>,
        /// Days the server certificate is valid.
        #[arg(long, default_value_t = 90)]
        days: u32,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    expopass::telemetry::init(cli.common.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    if let Command::Verify(args) = &cli.command {
        return match expopass::console::run_verify(args) {
            Ok(true) => ExitCode::SUCCESS,
            Ok(false) => ExitCode::from(3),
            Err(e) => {
                eprintln!("error: {e:#}");
                ExitCode::FAILURE
            }
        };
    }
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn config(common: &Common) -> Config {
    Config::from_env(
        common.database_url.as_deref(),
        common.data_dir.clone(),
        common.pool_size,
    )
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let config = config(&cli.common);
    match cli.command {
        Command::Serve(args) => {
            let serve = ServeConfig {
                listen: args.listen,
                migrate: !args.no_migrate,
                max_in_flight: args.max_in_flight.max(1),
                max_message_bytes: 16 * 1024 * 1024,
                request_timeout: Duration::from_secs(60),
                max_connections: match args.max_connections {
                    0 => expopass::listener::default_max_connections(
                        expopass::listener::raise_file_limit(),
                    ),
                    n => {
                        expopass::listener::raise_file_limit();
                        n
                    }
                },
                handshake_timeout: expopass::config::HANDSHAKE_TIMEOUT,
                tls: match (args.tls_cert, args.tls_key) {
                    (Some(cert), Some(key)) => {
                        Some(expopass::tls::ServerTls::load(expopass::tls::TlsFiles {
                            cert,
                            key,
                        })?)
                    }
                    _ => None,
                },
                metrics_listen: args.metrics_listen,
            };
            serve.check(args.allow_plaintext_remote)?;
            let key = config.load_document_key()?;
            let listener = expopass::server::bind(serve.listen).await?;
            let db = Database::open(&config).await?;
            let result = async {
                if serve.migrate {
                    let applied = expopass::db::migrate(&db.url).await?;
                    if !applied.is_empty() {
                        tracing::info!(count = applied.len(), "applied migrations");
                    }
                }
                let pool = expopass::db::pool(&db.url, config.pool_size)?;
                let services = Services::new(pool, &key);
                match services.document_key_fits().await {
                    Ok(true) => {}
                    Ok(false) => anyhow::bail!(
                        "the document key does not open this database's signing keys: give the EXPOPASS_DOCUMENT_KEY (or key file) this database was made with (see docs/OPERATIONS.md, Backups)"
                    ),
                    // The database may come up later: serving waits for it.
                    Err(e) => tracing::warn!("the document key was not checked: {e}"),
                }
                expopass::server::serve(
                    services,
                    &serve,
                    listener,
                    expopass::server::shutdown_signal(),
                )
                .await
            }
            .await;
            db.close().await?;
            result
        }
        Command::Migrate { revert_all } => {
            let db = Database::open(&config).await?;
            let result = async {
                if revert_all {
                    let n = expopass::db::revert_all(&db.url).await?;
                    eprintln!("reverted {n} migrations");
                } else {
                    let applied = expopass::db::migrate(&db.url).await?;
                    eprintln!("applied {} migrations", applied.len());
                }
                anyhow::Ok(())
            }
            .await;
            db.close().await?;
            result
        }
        Command::Token(command) => {
            let key = config.load_document_key()?;
            let db = Database::open(&config).await?;
            let result = async {
                expopass::db::migrate(&db.url).await?;
                let services = Services::new(expopass::db::pool(&db.url, 1)?, &key);
                token_command(&services, command).await
            }
            .await;
            db.close().await?;
            result
        }
        Command::Keys(command) => expopass::console::run_keys(config, command).await,
        Command::Event(command) => expopass::console::run_event(config, command).await,
        Command::Tls(TlsCommand::Init { hosts, dir, days }) => {
            let dir = dir.unwrap_or_else(|| config.data_dir.join("tls"));
            let made = expopass::tls::init_venue_ca(&dir, &hosts, days)?;
            let ca = if made.new_ca {
                "new venue CA"
            } else {
                "existing venue CA"
            };
            println!("{ca}: {}", made.ca_cert.display());
            println!(
                "CA key (keep it off the venue network): {}",
                made.ca_key.display()
            );
            println!("CA SHA-256 fingerprint: {}", made.ca_fingerprint);
            println!(
                "server certificate for {}: {}",
                hosts.join(", "),
                made.server_cert.display()
            );
            println!("server key: {}", made.server_key.display());
            println!(
                "serve with: expopass serve --listen 0.0.0.0:50051 --tls-cert {} --tls-key {}",
                made.server_cert.display(),
                made.server_key.display()
            );
            Ok(())
        }
        Command::Verify(_) => Ok(()),
        Command::Demo(args) => tools::demo::run(config, args).await,
        Command::Bench(command) => tools::bench::run(config, command).await,
    }
}

async fn token_command(services: &Services, command: TokenCommand) -> anyhow::Result<()> {
    match command {
        TokenCommand::Create { scope, expires } => {
            let expires_at = match expires {
                None => None,
                Some(d) => Some(chrono::Utc::now() + chrono::Duration::from_std(d)?),
            };
            let (_, token) = services
                .create_scoped_token(None, scope.token(expires_at).check()?)
                .await?;
            println!("{token}");
        }
        TokenCommand::List { event } => {
            let tokens = services.list_tokens(None, event.as_deref()).await?;
            let when = |t: Option<chrono::DateTime<chrono::Utc>>| {
                t.map_or_else(
                    || "-".to_owned(),
                    |t| t.format("%Y-%m-%d %H:%M").to_string(),
                )
            };
            println!(
                "{:<36}  {:<5}  {:<20}  {:<24}  {:<20}  {:<16}  {:<16}  {:<16}  NAME",
                "ID", "ROLE", "SCOPE", "CREATED BY", "CREATED", "LAST USED", "EXPIRES", "REVOKED"
            );
            for t in tokens {
                let mut scope = t.event_code.unwrap_or_else(|| "every event".to_owned());
                if !t.gate_codes.is_empty() {
                    scope = format!("{scope} [{}]", t.gate_codes.join(","));
                }
                println!(
                    "{:<36}  {:<5}  {:<20}  {:<24}  {:<20}  {:<16}  {:<16}  {:<16}  {}",
                    t.id,
                    t.role,
                    scope,
                    t.created_by.unwrap_or_else(|| "command line".to_owned()),
                    when(Some(t.created_at)),
                    when(t.last_used_at),
                    when(t.expires_at),
                    when(t.revoked_at),
                    t.name
                );
            }
        }
        TokenCommand::Enrol { scope, ttl, png } => {
            let (code, expires_at) = services
                .create_enrolment(
                    None,
                    expopass::domain::enrolment::NewEnrolment {
                        token: scope.token(None),
                        ttl,
                    }
                    .check()?,
                )
                .await?;
            println!("{code}");
            eprintln!(
                "one-time enrolment code, valid until {} UTC",
                expires_at.format("%Y-%m-%d %H:%M")
            );
            let qr = expopass::console::EnrolmentQr::new(&code)?;
            eprintln!("{}", qr.terminal());
            if let Some(path) = png {
                qr.write_png(&path)?;
                eprintln!("QR written to {}", path.display());
            }
        }
        TokenCommand::Revoke { id } => {
            services
                .revoke_token(None, expopass::ids::TokenId(id))
                .await?;
            eprintln!("token {id} revoked");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory as _;

    #[test]
    fn the_command_line_is_well_formed() {
        super::Cli::command().debug_assert();
    }
}
