//! `expopass bench`: load generators behind `docs/benchmarks.md`.
//!
//! Each bench talks gRPC over loopback. With `--addr` it targets a running
//! server (the token must be an admin's); without, it starts the server in
//! this process on the configured database, exactly as `serve` would.

use std::{collections::HashMap, time::Instant};

use anyhow::Context as _;
use futures::{StreamExt as _, stream};
use hdrhistogram::Histogram;
use tonic::transport::Channel;

use expopass::{
    app::Database,
    config::Config,
    db::ceiling::Shape,
    domain::{Role, Services, qr::ParsedToken, registration::SearchInput},
    ids::{CategoryId, EventId, GateId},
    local::{Authed, Bearer, LocalServer},
    proto::pb::{
        self, event_service_client::EventServiceClient,
        registration_service_client::RegistrationServiceClient,
    },
};

#[derive(Debug, Clone, clap::Subcommand)]
pub(crate) enum BenchCommand {
    /// Single registrations (RegisterParticipant), bulk import
    /// (ImportParticipants) and search latency.
    Register(RegisterArgs),
    /// Badge rendering (one A6 badge), IssueBadge latency and bulk
    /// PrintBadges throughput.
    Badges(BadgesArgs),
    /// Online scans open-loop at fixed rates, and offline verifications.
    Scan(ScanArgs),
    /// GetRegistrationStats latency on an event with its registrations and
    /// a history of scans.
    Stats(StatsArgs),
    /// ExportParticipants: a whole event as CSV and as XLSX, to the last
    /// byte.
    Export(ExportArgs),
}

#[derive(Debug, Clone, clap::Args)]
pub(crate) struct ExportArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    /// Participants imported, then exported.
    #[arg(long, default_value_t = 10_000)]
    pub participants: usize,
    /// Exports per format, one at a time.
    #[arg(long, default_value_t = 5)]
    pub runs: usize,
    /// Custom fields of the event, every participant answering each (one
    /// column each in the file).
    #[arg(long, default_value_t = 0)]
    pub answers: usize,
}

#[derive(Debug, Clone, clap::Args)]
pub(crate) struct StatsArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    /// Participants imported.
    #[arg(long, default_value_t = 10_000)]
    pub participants: usize,
    /// Scans written into the history (straight into the table: the scan
    /// path is measured by `bench scan`).
    #[arg(long, default_value_t = 100_000)]
    pub scans: i64,
    /// GetRegistrationStats calls, one at a time.
    #[arg(long, default_value_t = 100)]
    pub calls: usize,
}

#[derive(Debug, Clone, clap::Args)]
pub(crate) struct ScanArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    /// Badges scanned (each alternately in and out).
    #[arg(long, default_value_t = 4_000)]
    pub badges: usize,
    /// Offered rates (scans/s), each held for `--seconds`; by default
    /// 500 to 5,000 for valid codes, 2,500 to 15,000 for forged ones.
    #[arg(long, value_delimiter = ',')]
    pub rates: Option<Vec<u32>>,
    /// What the gates scan: the badges as issued, or forged codes (a bit of
    /// each signature flipped: refused as BAD_SIGNATURE, without a write
    /// on the scan's path).
    #[arg(long, value_enum, default_value_t = Codes::Valid)]
    pub codes: Codes,
    /// Seconds per rate.
    #[arg(long, default_value_t = 5)]
    pub seconds: u64,
    /// Gates the scans spread over.
    #[arg(long, default_value_t = 8)]
    pub gates: usize,
}

/// The codes `bench scan` sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Codes {
    Valid,
    Forged,
}

#[derive(Debug, Clone, clap::Args)]
pub(crate) struct BadgesArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    /// A6 badges rendered in-process, one at a time.
    #[arg(long, default_value_t = 1_000)]
    pub renders: usize,
    /// IssueBadge calls, one at a time.
    #[arg(long, default_value_t = 300)]
    pub issues: usize,
    /// Participants printed by one PrintBadges call per sheet layout.
    #[arg(long, default_value_t = 10_000)]
    pub bulk: usize,
    /// Render with this badge template (TOML) instead of the built-in A6.
    #[arg(long)]
    pub template: Option<std::path::PathBuf>,
    /// Only render in-process: no server, no database.
    #[arg(long)]
    pub render_only: bool,
    /// PreviewBadgeTemplate calls of the template (with --template), one
    /// at a time, as the designer sends them.
    #[arg(long, default_value_t = 200)]
    pub previews: usize,
}

/// Which server a bench measures.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct TargetArgs {
    /// A running server, e.g. http://127.0.0.1:50051; without it the bench
    /// starts one in this process.
    #[arg(long)]
    pub addr: Option<String>,
    /// Admin token for `--addr`.
    #[arg(long, env = "EXPOPASS_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// Serve the server started here over TLS (a venue CA made for the
    /// run), so the figures include encryption.
    #[arg(long, conflicts_with = "addr")]
    pub tls: bool,
    /// Record metrics in the server started here, as `serve
    /// --metrics-listen` does, so the figures include their cost.
    #[arg(long, conflicts_with = "addr")]
    pub metrics: bool,
}

#[derive(Debug, Clone, clap::Args)]
pub(crate) struct RegisterArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    /// Single registrations to send.
    #[arg(long, default_value_t = 20_000)]
    pub count: usize,
    /// Calls in flight at once.
    #[arg(long, default_value_t = 64)]
    pub concurrency: usize,
    /// Rows to import.
    #[arg(long, default_value_t = 50_000)]
    pub import_rows: usize,
    /// Parallel import streams.
    #[arg(long, default_value_t = 2)]
    pub import_streams: usize,
    /// Searches to time.
    #[arg(long, default_value_t = 1_000)]
    pub searches: usize,
    /// Who is registered, and what the desk types.
    #[arg(long, value_enum, default_value_t = Population::Realistic)]
    pub names: Population,
    /// Custom fields of the event, every registration and import row
    /// answering each.
    #[arg(long, default_value_t = 0)]
    pub answers: usize,
}

/// The people of `bench register` and the searches typed for them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Population {
    /// Names of the reference event's 27 countries, given and family names
    /// drawn apart, in Latin and native scripts; searches typed as a desk
    /// types a name, one query per keystroke (one to seven letters of a
    /// family, given or native name).
    Realistic,
    /// Five name pairs with numbers (every Ivan is a Petrov), searched by
    /// eight fixed prefixes, four of which match a fifth of everybody each
    /// and sit together in the listing order: the worst case of a name
    /// search.
    Clustered,
}

/// A participant of the realistic population: a country by its weight,
/// then a given and a family name of it.
fn realistic_person(n: usize) -> (String, String, String, &'static str) {
    use crate::tools::demo::names::COUNTRIES;
    let mut rng = fastrand::Rng::with_seed(u64::try_from(n).unwrap_or(0) ^ 0x005e_ed0f_4a11);
    let total: u32 = COUNTRIES.iter().map(|c| c.weight).sum();
    let mut pick = rng.u32(0..total.max(1));
    let country = COUNTRIES
        .iter()
        .find(|c| {
            let hit = pick < c.weight;
            pick = pick.saturating_sub(c.weight);
            hit
        })
        .unwrap_or(&COUNTRIES[0]);
    let (given, family, native) = crate::tools::demo::names::person_name(
        country,
        rng.usize(0..country.given.len()),
        rng.usize(0..country.family.len()),
    );
    (given, family, native, country.code)
}

/// What a desk types to find people of the realistic population: each
/// name is typed letter by letter, one search per keystroke.
fn realistic_searches(people: usize, count: usize) -> Vec<String> {
    let mut rng = fastrand::Rng::with_seed(0x7e57);
    let mut typed = Vec::with_capacity(count);
    while typed.len() < count {
        let (given, family, native, _) = realistic_person(rng.usize(0..people.max(1)));
        let name = match rng.u8(0..10) {
            0..5 => family,
            5..8 => given,
            _ if !native.is_empty() => native,
            _ => family,
        };
        let letters: Vec<char> = name.chars().collect();
        for len in 1..=letters.len().min(7) {
            typed.push(letters[..len].iter().collect());
        }
    }
    typed.truncate(count);
    typed
}

pub(crate) async fn run(config: Config, command: BenchCommand) -> anyhow::Result<()> {
    match command {
        BenchCommand::Register(args) => register(config, args).await,
        BenchCommand::Badges(args) => badges(config, args).await,
        BenchCommand::Scan(args) => scan(config, args).await,
        BenchCommand::Stats(args) => stats(config, args).await,
        BenchCommand::Export(args) => export(config, args).await,
    }
}

/// This process's resident memory, and its peak, in MiB (Linux).
fn memory_mib() -> (f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
            .map_or(0.0, |kb| kb / 1024.0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

async fn export(config: Config, args: ExportArgs) -> anyhow::Result<()> {
    use pb::export_participants_response::Item;
    let target = target(&config, &args.target).await?;
    let (code, event_id) = bench_event(&target).await?;
    bench_fields(&target, &event_id, args.answers).await?;
    // In calls of at most 10,000 rows: an import's answer carries a
    // result per row.
    let mut left = args.participants;
    let mut part = 0;
    while left > 0 {
        let n = left.min(10_000);
        import_visitors(
            &target,
            &event_id,
            n,
            &format!("export{part}-"),
            args.answers,
        )
        .await?;
        left -= n;
        part += 1;
    }
    let mut desk = RegistrationServiceClient::new(target.client()?);
    let (rss_before, _) = memory_mib();
    println!(
        "event {code}: {} participants, {} custom answers each; resident memory before the \
         exports {rss_before:.0} MiB",
        args.participants, args.answers
    );
    for (format, name, target_ms) in [
        (pb::ExportFormat::Csv, "CSV", 2_000.0),
        (pb::ExportFormat::Xlsx, "XLSX", 4_000.0),
    ] {
        let mut times = Vec::new();
        let mut size = 0usize;
        let mut chunks = 0usize;
        // One more than asked: the first warms PostgreSQL's caches.
        for run in 0..=args.runs {
            let t = Instant::now();
            let mut stream = desk
                .export_participants(pb::ExportParticipantsRequest {
                    event_id: event_id.clone(),
                    format: format.into(),
                    ..Default::default()
                })
                .await?
                .into_inner();
            let (mut bytes, mut pieces, mut rows) = (0usize, 0usize, 0u64);
            while let Some(message) = stream.message().await? {
                match message.item {
                    Some(Item::Chunk(c)) => {
                        bytes += c.len();
                        pieces += 1;
                    }
                    Some(Item::RowsDone(n)) => rows = n,
                    Some(Item::Started(_)) | None => {}
                }
            }
            anyhow::ensure!(
                rows == u64::try_from(args.participants).unwrap_or(u64::MAX),
                "the {name} export wrote {rows} rows, not {}",
                args.participants
            );
            if run > 0 {
                times.push(t.elapsed().as_secs_f64() * 1000.0);
            }
            (size, chunks) = (bytes, pieces);
        }
        times.sort_by(f64::total_cmp);
        let median = times.get(times.len() / 2).copied().unwrap_or(0.0);
        let (rss, peak) = memory_mib();
        println!(
            "ExportParticipants {name}, {} rows, {:.1} MiB in {chunks} chunks: median {median:.0} ms, \
             min {:.0} ms, max {:.0} ms over {} runs (target: {target_ms:.0} ms); \
             resident memory {rss:.0} MiB, peak {peak:.0} MiB",
            args.participants,
            size as f64 / (1024.0 * 1024.0),
            times.first().copied().unwrap_or(0.0),
            times.last().copied().unwrap_or(0.0),
            times.len(),
        );
    }
    target.close().await
}

/// A server to measure: either given, or started here.
struct Target {
    channel: Channel,
    /// Where a connection of its own goes (plaintext only).
    uri: Option<String>,
    token: String,
    local: Option<(Services, LocalServer, Database)>,
    /// The CA the server started here is trusted by (`--tls`).
    tls_ca: Option<Vec<u8>>,
}

async fn target(config: &Config, args: &TargetArgs) -> anyhow::Result<Target> {
    if let Some(addr) = args.addr.clone() {
        let token = args
            .token
            .clone()
            .context("--addr needs --token (an admin token)")?;
        let channel = Channel::from_shared(addr.clone())?
            .connect()
            .await
            .context("cannot reach the server")?;
        return Ok(Target {
            channel,
            uri: Some(addr),
            token,
            local: None,
            tls_ca: None,
        });
    }
    let key = config.load_document_key()?;
    let db = Database::open(config).await?;
    expopass::db::migrate(&db.url).await?;
    let services = Services::new(expopass::db::pool(&db.url, config.pool_size)?, &key);
    let (_, token) = services.create_token("bench", Role::Admin).await?;
    let tls = if args.tls {
        let dir = config.data_dir.join("bench-tls");
        let made = expopass::tls::init_venue_ca(&dir, &["localhost".to_owned()], 1)?;
        let server = expopass::tls::ServerTls::load(expopass::tls::TlsFiles {
            cert: made.server_cert,
            key: made.server_key,
        })?;
        Some((server, std::fs::read(&made.ca_cert)?))
    } else {
        None
    };
    let tls_ca = tls.as_ref().map(|(_, ca)| ca.clone());
    if args.metrics {
        expopass::meter::install()?;
    }
    let server = LocalServer::start_with(services.clone(), tls).await?;
    Ok(Target {
        uri: tls_ca.is_none().then(|| format!("http://{}", server.addr)),
        channel: server.channel.clone(),
        token,
        local: Some((services, server, db)),
        tls_ca,
    })
}

impl Target {
    fn client(&self) -> anyhow::Result<Authed> {
        Ok(tonic::service::interceptor::InterceptedService::new(
            self.channel.clone(),
            Bearer::new(&self.token)?,
        ))
    }

    /// A client on a connection of its own, as another device would hold
    /// (the shared one over TLS).
    async fn own_client(&self) -> anyhow::Result<Authed> {
        let channel = match &self.uri {
            Some(uri) => Channel::from_shared(uri.clone())?.connect().await?,
            None => self.channel.clone(),
        };
        Ok(tonic::service::interceptor::InterceptedService::new(
            channel,
            Bearer::new(&self.token)?,
        ))
    }

    async fn close(self) -> anyhow::Result<()> {
        if let Some((_, server, db)) = self.local {
            server.stop().await?;
            db.close().await?;
        }
        Ok(())
    }
}

/// What PostgreSQL alone completes of `shape` on the bench's own database,
/// from the server's pool, with `in_flight` calls at once; `None` when the
/// bench targets a server elsewhere (`--addr`).
async fn ceiling(target: &Target, shape: Shape, in_flight: usize) -> anyhow::Result<Option<f64>> {
    let Some((services, ..)) = &target.local else {
        println!("PostgreSQL alone: not measured (the server is elsewhere)");
        return Ok(None);
    };
    let per_second = expopass::db::ceiling::measure(
        &services.db,
        shape,
        in_flight,
        std::time::Duration::from_secs(CEILING_SECONDS),
    )
    .await?;
    println!(
        "PostgreSQL alone: {per_second:.0} {}/s ({in_flight} in flight, the server's pool)",
        shape.describe()
    );
    Ok(Some(per_second))
}

/// The server's own registration statement (`register_one` in its
/// transaction) sent straight to PostgreSQL from the server's pool, at
/// `in_flight` calls at once, each a new visitor of the bench event: what
/// gRPC, validation and the pool add is the difference.
async fn own_registrations(
    target: &Target,
    event_id: &str,
    in_flight: usize,
) -> anyhow::Result<Option<f64>> {
    let Some((services, ..)) = &target.local else {
        return Ok(None);
    };
    let mut events = EventServiceClient::new(target.client()?);
    let visitor = events
        .list_categories(pb::ListCategoriesRequest {
            event_id: event_id.to_owned(),
        })
        .await?
        .into_inner()
        .categories
        .into_iter()
        .find(|c| c.code == "VISITOR")
        .context("no VISITOR category")?;
    let per_second = expopass::db::ceiling::own_registrations(
        &services.db,
        EventId(event_id.parse()?),
        CategoryId(visitor.id.parse()?),
        in_flight,
        std::time::Duration::from_secs(CEILING_SECONDS),
    )
    .await?;
    println!(
        "the server's own registration statements alone: {per_second:.0}/s ({in_flight} in flight, the server's pool)"
    );
    Ok(Some(per_second))
}

/// `figure` as a share of `of` (named `what`).
fn share_of(figure: f64, of: Option<f64>, what: &str) -> String {
    match of {
        Some(limit) if limit > 0.0 => format!("{:.0} % of {what}", figure / limit * 100.0),
        _ => format!("share of {what} not measured"),
    }
}

/// Seconds each PostgreSQL-alone measurement runs.
const CEILING_SECONDS: u64 = 5;

/// `figure` as a share of PostgreSQL alone.
fn share(figure: f64, ceiling: Option<f64>) -> String {
    match ceiling {
        Some(limit) if limit > 0.0 => {
            format!("{:.0} % of PostgreSQL alone", figure / limit * 100.0)
        }
        _ => "share of PostgreSQL alone not measured".to_owned(),
    }
}

fn histogram() -> anyhow::Result<Histogram<u64>> {
    Histogram::new_with_bounds(1, 60_000_000, 3).context("histogram")
}

fn ms(micros: u64) -> f64 {
    micros as f64 / 1000.0
}

/// A fresh event with one zone and a VISITOR category; returns (code, id).
async fn bench_event(target: &Target) -> anyhow::Result<(String, String)> {
    let mut events = EventServiceClient::new(target.client()?);
    let code = format!(
        "BENCH-{}",
        &uuid::Uuid::new_v4().simple().to_string()[..8].to_uppercase()
    );
    let event_id = events
        .create_event(pb::CreateEventRequest {
            code: code.clone(),
            name: "Benchmark fair".to_owned(),
            venue: "Loopback".to_owned(),
            time_zone: "Asia/Tashkent".to_owned(),
            first_day: "2024-04-22".to_owned(),
            last_day: "2024-04-24".to_owned(),
            names_at_gates: false,
            photos_at_gates: false,
        })
        .await?
        .into_inner()
        .event
        .context("no event")?
        .id;
    events
        .upsert_zone(pb::UpsertZoneRequest {
            event_id: event_id.clone(),
            code: "HALL".to_owned(),
            name: "Hall".to_owned(),
            capacity: 0,
            parent_code: String::new(),
            ..Default::default()
        })
        .await?;
    events
        .upsert_category(pb::UpsertCategoryRequest {
            event_id: event_id.clone(),
            code: "VISITOR".to_owned(),
            name: "Visitor".to_owned(),
            color: "#1E88E5".to_owned(),
            zone_codes: vec!["HALL".to_owned()],
            valid_days: vec![],
            ..Default::default()
        })
        .await?;
    Ok((code, event_id))
}

async fn stats(config: Config, args: StatsArgs) -> anyhow::Result<()> {
    let target = target(&config, &args.target).await?;
    let Some((services, ..)) = &target.local else {
        anyhow::bail!("bench stats writes its scan history itself: run it without --addr");
    };
    let (code, event_id) = bench_event(&target).await?;
    let mut events = EventServiceClient::new(target.client()?);
    events
        .upsert_gate(pb::UpsertGateRequest {
            event_id: event_id.clone(),
            code: "HALL-1".to_owned(),
            name: "Hall, door 1".to_owned(),
            zone_code: "HALL".to_owned(),
        })
        .await?;
    let t = Instant::now();
    import_visitors(&target, &event_id, args.participants, "stats", 0).await?;
    let participants = u64::try_from(args.participants).unwrap_or(u64::MAX);
    expopass::db::seed::scans(
        &services.db,
        event_id.parse()?,
        args.scans,
        i64::try_from(args.participants).unwrap_or(i64::MAX),
    )
    .await?;
    println!(
        "event {code}: {participants} participants imported, {} scans written, in {:.1} s",
        args.scans,
        t.elapsed().as_secs_f64()
    );
    let request = pb::GetRegistrationStatsRequest {
        event_id: event_id.clone(),
    };
    // Warm: the first calls fill PostgreSQL's caches.
    for _ in 0..3 {
        events.get_registration_stats(request.clone()).await?;
    }
    let mut hist = histogram()?;
    let mut last = None;
    for _ in 0..args.calls {
        let t = Instant::now();
        let answer = events
            .get_registration_stats(request.clone())
            .await?
            .into_inner();
        hist.record(u64::try_from(t.elapsed().as_micros()).unwrap_or(u64::MAX))?;
        last = Some(answer);
    }
    let answer = last.context("no call made")?;
    anyhow::ensure!(
        answer.active == participants,
        "the stats count {} participants, not {participants}",
        answer.active
    );
    let entered: u64 = answer.entered_per_day.iter().map(|d| d.count).sum();
    println!(
        "GetRegistrationStats, {participants} participants and {} scans ({entered} entries counted over {} days): \
         p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms over {} calls (target: 200 ms)",
        args.scans,
        answer.entered_per_day.len(),
        ms(hist.value_at_quantile(0.5)),
        ms(hist.value_at_quantile(0.9)),
        ms(hist.value_at_quantile(0.99)),
        ms(hist.max()),
        hist.len(),
    );
    target.close().await
}

async fn register(config: Config, args: RegisterArgs) -> anyhow::Result<()> {
    let target = target(&config, &args.target).await?;
    let desk = RegistrationServiceClient::new(target.client()?);
    let (code, event_id) = bench_event(&target).await?;
    let names = [
        ("Ivan", "Petrov", "Иван Петров"),
        ("Wei", "Wang", "王伟"),
        ("Oʻktam", "Gʻulomov", "Ўктам Ғуломов"),
        ("Mohammed", "Al Mansouri", "محمد المنصوري"),
        ("Jürgen", "Müller", ""),
    ];
    let population = args.names;
    bench_fields(&target, &event_id, args.answers).await?;
    let answer_count = args.answers;
    let person = |n: usize, tag: &str| {
        let (given, family, native, country) = match population {
            Population::Realistic => realistic_person(n),
            Population::Clustered => {
                let (given, family, native) = names[n % names.len()];
                (
                    format!("{given}{}", n % 97),
                    format!("{family}{}", n % 89),
                    native.to_owned(),
                    "UZ",
                )
            }
        };
        pb::ParticipantInput {
            given_name: given,
            family_name: family,
            native_name: native,
            country: country.to_owned(),
            category_code: "VISITOR".to_owned(),
            email: format!("{tag}{n}@bench.example"),
            phone: "+998 71 200 00 00".to_owned(),
            travel_document: if n.is_multiple_of(4) {
                format!("{}{n:07}", tag[..2].to_uppercase())
            } else {
                String::new()
            },
            job_title: "Engineer".to_owned(),
            answers: bench_answers(n, answer_count),
            ..Default::default()
        }
    };
    println!(
        "expopass bench register: event {code}, {} in flight, {} custom answers each",
        args.concurrency, args.answers
    );

    // 1. Single registrations.
    let mut hist = histogram()?;
    let started = Instant::now();
    let results: Vec<Result<u64, tonic::Status>> = stream::iter(0..args.count)
        .map(|n| {
            let mut desk = desk.clone();
            let request = pb::RegisterParticipantRequest {
                request_id: format!("{code}-{n}"),
                event_id: event_id.clone(),
                participant: Some(person(n, "single")),
            };
            async move {
                let t = Instant::now();
                desk.register_participant(request).await?;
                Ok(u64::try_from(t.elapsed().as_micros()).unwrap_or(u64::MAX))
            }
        })
        .buffer_unordered(args.concurrency)
        .collect()
        .await;
    let took = started.elapsed();
    let mut failures = 0;
    for r in results {
        match r {
            Ok(us) => hist.record(us.max(1))?,
            Err(_) => failures += 1,
        }
    }
    let singles = hist.len() as f64 / took.as_secs_f64();
    println!(
        "single registrations: {} in {:.2} s = {singles:.0}/s; latency p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms; {failures} failed",
        hist.len(),
        took.as_secs_f64(),
        ms(hist.value_at_quantile(0.5)),
        ms(hist.value_at_quantile(0.99)),
        ms(hist.max()),
    );
    let limit = ceiling(&target, Shape::Registration, args.concurrency).await?;
    println!("single registrations: {}", share(singles, limit));
    let own = own_registrations(&target, &event_id, args.concurrency).await?;
    println!(
        "single registrations: {}",
        share_of(
            singles,
            own,
            "the server's own registration statements alone"
        )
    );

    // 2. Import. The rows are made before the clock starts: the figure is
    // the import's, not the making of its test data.
    let streams = args.import_streams.max(1);
    let per_stream = args.import_rows.div_ceil(streams);
    let batches: Vec<Vec<pb::ImportParticipantsRequest>> = (0..streams)
        .map(|s| {
            (s * per_stream..((s + 1) * per_stream).min(args.import_rows))
                .map(|n| pb::ImportParticipantsRequest {
                    event_id: event_id.clone(),
                    participant: Some(person(n, "import")),
                    row_ref: n.to_string(),
                    request_id: format!("{code}-import-{s}"),
                })
                .collect()
        })
        .collect();
    let started = Instant::now();
    let mut calls = Vec::new();
    for rows in batches {
        let mut desk = desk.clone();
        calls.push(tokio::spawn(async move {
            desk.import_participants(stream::iter(rows)).await
        }));
    }
    let (mut imported, mut failed) = (0u64, 0u64);
    for call in calls {
        let response = call.await??.into_inner();
        imported += u64::from(response.imported);
        failed += u64::from(response.failed);
    }
    let took = started.elapsed();
    println!(
        "import: {imported} rows in {:.2} s = {:.0} rows/s over {streams} streams; {failed} refused",
        took.as_secs_f64(),
        imported as f64 / took.as_secs_f64()
    );

    // 3. Search.
    let prefixes: Vec<String> = match population {
        Population::Realistic => realistic_searches(args.count + args.import_rows, args.searches),
        Population::Clustered => [
            "ivan", "иван", "王", "gʻulom", "müller1", "petrov4", "al man", "wei1",
        ]
        .iter()
        .map(|p| (*p).to_owned())
        .collect(),
    };
    let mut hist = histogram()?;
    let started = Instant::now();
    let results: Vec<Result<u64, tonic::Status>> = stream::iter(0..args.searches)
        .map(|n| {
            let mut desk = desk.clone();
            let request = pb::SearchParticipantsRequest {
                event_id: event_id.clone(),
                name_prefix: prefixes[n % prefixes.len()].clone(),
                page_size: 50,
                ..Default::default()
            };
            async move {
                let t = Instant::now();
                desk.search_participants(request).await?;
                Ok(u64::try_from(t.elapsed().as_micros()).unwrap_or(u64::MAX))
            }
        })
        .buffer_unordered(8)
        .collect()
        .await;
    let took = started.elapsed();
    for us in results.into_iter().flatten() {
        hist.record(us.max(1))?;
    }
    println!(
        "search (page of 50, 8 in flight): {} in {:.2} s = {:.0}/s; latency p50 {:.2} ms, p99 {:.2} ms",
        hist.len(),
        took.as_secs_f64(),
        hist.len() as f64 / took.as_secs_f64(),
        ms(hist.value_at_quantile(0.5)),
        ms(hist.value_at_quantile(0.99)),
    );
    if let Some((services, ..)) = &target.local {
        let plan = services
            .explain_search(SearchInput {
                name_prefix: "petrov4".to_owned(),
                page_size: 50,
                ..SearchInput::everyone_in(EventId(event_id.parse()?))
            })
            .await?;
        println!(
            "plan of a name search over {} participants:\n{plan}",
            args.count + imported as usize
        );
    }
    target.close().await
}

/// The kinds of the bench's custom fields, in turn, with an answer of
/// each.
const ANSWER_KINDS: [&str; 6] = [
    "text",
    "integer",
    "single_choice",
    "date",
    "boolean",
    "multiple_choice",
];

/// Defines `count` custom fields on the event, of every kind in turn.
async fn bench_fields(target: &Target, event_id: &str, count: usize) -> anyhow::Result<()> {
    let mut events = EventServiceClient::new(target.client()?);
    let text = |en: &str| {
        Some(pb::LocalizedText {
            en: en.to_owned(),
            ru: format!("{en} (ru)"),
            uz: format!("{en} (uz)"),
        })
    };
    for i in 0..count {
        let kind = ANSWER_KINDS[i % ANSWER_KINDS.len()];
        let options = if kind.ends_with("choice") {
            (0..8)
                .map(|o| pb::FieldOption {
                    key: format!("option_{o}"),
                    label: text(&format!("Option {o}")),
                    retired: false,
                })
                .collect()
        } else {
            Vec::new()
        };
        events
            .upsert_field(pb::UpsertFieldRequest {
                event_id: event_id.to_owned(),
                field: Some(pb::FieldDefinition {
                    key: format!("question_{i:02}"),
                    kind: kind.to_owned(),
                    sensitivity: "public".to_owned(),
                    label: text(&format!("Question {i}")),
                    max_length: (kind == "text").then_some(100),
                    pattern: if kind == "text" {
                        "[A-Za-z0-9 ]+".to_owned()
                    } else {
                        String::new()
                    },
                    min: if kind == "integer" {
                        "0".to_owned()
                    } else {
                        String::new()
                    },
                    max: if kind == "integer" {
                        "1000000".to_owned()
                    } else {
                        String::new()
                    },
                    options,
                    position: i32::try_from(i + 1).unwrap_or(0),
                    ..Default::default()
                }),
            })
            .await?;
    }
    Ok(())
}

/// Answers of participant `n` to the bench's `count` custom fields, as a
/// desk or a spreadsheet sends them (text).
fn bench_answers(n: usize, count: usize) -> HashMap<String, pb::AnswerValue> {
    (0..count)
        .map(|i| {
            let text = match ANSWER_KINDS[i % ANSWER_KINDS.len()] {
                "text" => format!("Answer {n} to {i}"),
                "integer" => (n % 1000).to_string(),
                "single_choice" => format!("option_{}", (n + i) % 8),
                "date" => format!("2024-04-{:02}", 1 + (n + i) % 28),
                "boolean" => if (n + i).is_multiple_of(2) {
                    "yes"
                } else {
                    "no"
                }
                .to_owned(),
                _ => format!("option_{}; option_{}", n % 8, (n + 3) % 8),
            };
            (
                format!("question_{i:02}"),
                pb::AnswerValue {
                    value: Some(pb::answer_value::Value::Text(text)),
                    on_badge: false,
                },
            )
        })
        .collect()
}

/// Imports `count` visitors with names in several scripts; returns their
/// ids in order.
async fn import_visitors(
    target: &Target,
    event_id: &str,
    count: usize,
    tag: &str,
    answers: usize,
) -> anyhow::Result<Vec<String>> {
    let rows: Vec<pb::ImportParticipantsRequest> = (0..count)
        .map(|n| {
            let (given, family, native) = BADGE_NAMES[n % BADGE_NAMES.len()];
            pb::ImportParticipantsRequest {
                event_id: event_id.to_owned(),
                row_ref: n.to_string(),
                request_id: format!("{tag}-{event_id}"),
                participant: Some(pb::ParticipantInput {
                    given_name: given.to_owned(),
                    family_name: format!("{family} {n}"),
                    native_name: native.to_owned(),
                    country: "UZ".to_owned(),
                    category_code: "VISITOR".to_owned(),
                    email: format!("{tag}{n}@bench.example"),
                    answers: bench_answers(n, answers),
                    ..Default::default()
                }),
            }
        })
        .collect();
    let imported = RegistrationServiceClient::new(target.client()?)
        .import_participants(stream::iter(rows))
        .await?
        .into_inner();
    let ids: Vec<String> = imported
        .results
        .into_iter()
        .filter(|r| r.error_reason.is_empty())
        .map(|r| r.participant_id)
        .collect();
    anyhow::ensure!(
        ids.len() == count,
        "import refused {} rows",
        count - ids.len()
    );
    Ok(ids)
}

/// Names in the scripts a badge run meets: (given, family, native).
const BADGE_NAMES: &[(&str, &str, &str)] = &[
    ("Ivan", "Petrov", "Иван Петров"),
    ("Wei", "Wang", "王伟"),
    ("Oʻktam", "Gʻulomov", "Ўктам Ғуломов"),
    ("Mohammed", "Al Mansouri", "محمد المنصوري"),
    ("Aigerim", "Nurlanqyzy", "Әйгерім Нұрланқызы"),
    ("Minjun", "Kim", "김민준"),
    ("Jürgen", "Müller", ""),
];

async fn badges(config: Config, args: BadgesArgs) -> anyhow::Result<()> {
    use expopass::proto::pb::badge_service_client::BadgeServiceClient;
    use expopass::render::{self, BadgeCard, Layout};

    // 1. Rendering alone: one A6 badge, start to PDF bytes, on one core.
    let key = ed25519_dalek::SigningKey::from_bytes(&[7; 32]);
    let first = chrono::NaiveDate::from_ymd_opt(2026, 4, 14).context("date")?;
    let template_text = match &args.template {
        None => None,
        Some(path) => Some(
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?,
        ),
    };
    let template = match (&args.template, &template_text) {
        (Some(path), Some(text)) => Some(
            render::template::Template::from_toml(text)
                .map_err(|p| anyhow::anyhow!("{}: {:?}", path.display(), p.kind))?,
        ),
        _ => None,
    };
    let assets = render::template::Assets::new();
    let mut hist = histogram()?;
    let mut bytes = 0usize;
    for n in 0..args.renders.max(1) {
        let (given, family, native) = BADGE_NAMES[n % BADGE_NAMES.len()];
        let claims = expopass::domain::qr::BadgeClaims {
            key_id: 1,
            event_tag: 2,
            serial: u32::try_from(n + 1).unwrap_or(u32::MAX),
            version: 1,
            category: 1,
            zones: 0b111,
            first_day: first,
            days: 0b111,
        };
        let card = BadgeCard {
            event_name: "INNOPROM. Central Asia".to_owned(),
            event_line: "14–16 April 2026 · Uzexpocentre, Tashkent".to_owned(),
            given_name: given.to_owned(),
            family_name: family.to_owned(),
            native_name: native.to_owned(),
            organization: "Almalyk Mining and Metallurgical Complex".to_owned(),
            country_code: "UZ".to_owned(),
            country_name: "Uzbekistan".to_owned(),
            category_name: "Visitor".to_owned(),
            category_names_also: vec!["Посетитель".to_owned(), "Tashrif buyuruvchi".to_owned()],
            category_color: "#1E88E5".to_owned(),
            number: format!("{:07}-1", n + 1),
            qr_text: claims.sign(&key).context("sign")?,
            photo: None,
            answers: Vec::new(),
            values: Default::default(),
            zones: vec!["Hall A".to_owned(), "Plenary".to_owned()],
            days: "14–16 April".to_owned(),
        };
        let t = Instant::now();
        let pdf = match &template {
            Some(template) => render::render_template_pdf(&[card], template, &assets, "bench")?,
            None => render::render_pdf(&[card], Layout::A6, "bench")?,
        };
        hist.record(
            u64::try_from(t.elapsed().as_micros())
                .unwrap_or(u64::MAX)
                .max(1),
        )?;
        bytes += pdf.len();
    }
    println!(
        "render one {} badge (sign + QR + layout + PDF, one core): p50 {:.2} ms, p99 {:.2} ms over {}; {:.1} KB per badge",
        args.template
            .as_ref()
            .map_or("A6".to_owned(), |p| p.display().to_string()),
        ms(hist.value_at_quantile(0.5)),
        ms(hist.value_at_quantile(0.99)),
        hist.len(),
        bytes as f64 / hist.len() as f64 / 1024.0,
    );
    if args.render_only {
        return Ok(());
    }

    let target = target(&config, &args.target).await?;
    let (code, event_id) = bench_event(&target).await?;
    let mut badges = BadgeServiceClient::new(target.client()?).max_decoding_message_size(64 << 20);
    let total = args.issues + args.bulk;
    let mut ids = import_visitors(&target, &event_id, total, "badge", 0).await?;
    println!("expopass bench badges: event {code}, {total} participants");
    let issue_layout = match &template_text {
        Some(text) => {
            preview_round_trips(&target, &event_id, text, args.previews).await?;
            pb::BadgeLayout::Unspecified
        }
        None => pb::BadgeLayout::A6,
    };

    // 2. IssueBadge end to end (database, signing, PDF), one at a time.
    let bulk_ids = ids.split_off(args.issues);
    let mut hist = histogram()?;
    let mut bytes = 0usize;
    for id in &ids {
        let t = Instant::now();
        let response = badges
            .issue_badge(pb::IssueBadgeRequest {
                participant_id: id.clone(),
                layout: issue_layout.into(),
            })
            .await?
            .into_inner();
        hist.record(
            u64::try_from(t.elapsed().as_micros())
                .unwrap_or(u64::MAX)
                .max(1),
        )?;
        bytes += response.pdf.len();
    }
    if !hist.is_empty() {
        println!(
            "IssueBadge {} over gRPC, one at a time: p50 {:.2} ms, p99 {:.2} ms over {}; {:.1} KB per PDF",
            if template_text.is_some() {
                "with the template"
            } else {
                "A6"
            },
            ms(hist.value_at_quantile(0.5)),
            ms(hist.value_at_quantile(0.99)),
            hist.len(),
            bytes as f64 / hist.len() as f64 / 1024.0,
        );
    }

    // 3. Bulk: every badge missing, issued and printed in one call.
    for layout in [pb::BadgeLayout::A4SheetA6, pb::BadgeLayout::A4SheetCard] {
        let started = Instant::now();
        let mut stream = badges
            .print_badges(pb::PrintBadgesRequest {
                event_id: event_id.clone(),
                selection: Some(pb::print_badges_request::Selection::ParticipantIds(
                    pb::ParticipantIds {
                        ids: bulk_ids.clone(),
                    },
                )),
                layout: layout.into(),
            })
            .await?
            .into_inner();
        let (mut size, mut done, mut largest) = (0usize, 0u32, 0usize);
        while let Some(message) = stream.next().await {
            match message?.item {
                Some(pb::print_badges_response::Item::PdfChunk(chunk)) => {
                    size += chunk.len();
                    largest = largest.max(chunk.len());
                }
                Some(pb::print_badges_response::Item::Progress(p)) => done = p.done,
                None => {}
            }
        }
        let took = started.elapsed();
        println!(
            "PrintBadges {:?}: {done} badges in {:.2} s = {:.0} badges/s; {:.1} MB, {:.1} KB per badge; largest chunk {:.0} KB",
            layout,
            took.as_secs_f64(),
            f64::from(done) / took.as_secs_f64(),
            size as f64 / 1e6,
            size as f64 / f64::from(done.max(1)) / 1024.0,
            largest as f64 / 1024.0,
        );
    }
    target.close().await
}

/// The designer's preview, round trip over gRPC: an unsaved document
/// drawn for the sample names, `count` times one at a time. Then the
/// template is published and given to VISITOR, so the badges issued next
/// print with it.
async fn preview_round_trips(
    target: &Target,
    event_id: &str,
    document: &str,
    count: usize,
) -> anyhow::Result<()> {
    use expopass::proto::pb::badge_template_service_client::BadgeTemplateServiceClient;
    let mut templates =
        BadgeTemplateServiceClient::new(target.client()?).max_decoding_message_size(64 << 20);
    let mut hist = histogram()?;
    let mut bytes = 0usize;
    for _ in 0..count.max(1) {
        let t = Instant::now();
        let preview = templates
            .preview_badge_template(pb::PreviewBadgeTemplateRequest {
                event_id: event_id.to_owned(),
                template: Some(pb::preview_badge_template_request::Template::Document(
                    document.as_bytes().to_vec(),
                )),
                participant_ids: Vec::new(),
            })
            .await?
            .into_inner();
        hist.record(
            u64::try_from(t.elapsed().as_micros())
                .unwrap_or(u64::MAX)
                .max(1),
        )?;
        bytes += preview.pdf.len();
    }
    println!(
        "PreviewBadgeTemplate round trip (3 sample badges, validated and drawn): p50 {:.2} ms, p99 {:.2} ms over {}; {:.1} KB per preview",
        ms(hist.value_at_quantile(0.5)),
        ms(hist.value_at_quantile(0.99)),
        hist.len(),
        bytes as f64 / hist.len() as f64 / 1024.0,
    );
    templates
        .save_badge_template_draft(pb::SaveBadgeTemplateDraftRequest {
            event_id: event_id.to_owned(),
            code: "BENCH".to_owned(),
            name: "Bench".to_owned(),
            document: document.as_bytes().to_vec(),
        })
        .await?;
    templates
        .publish_badge_template(pb::PublishBadgeTemplateRequest {
            event_id: event_id.to_owned(),
            code: "BENCH".to_owned(),
        })
        .await?;
    templates
        .assign_badge_template(pb::AssignBadgeTemplateRequest {
            event_id: event_id.to_owned(),
            category_code: "VISITOR".to_owned(),
            template_code: "BENCH".to_owned(),
        })
        .await?;
    Ok(())
}

/// Calls in flight when PostgreSQL alone runs scan-shaped transactions:
/// enough to keep every pooled connection busy.
const SCAN_CEILING_IN_FLIGHT: usize = 64;

async fn scan(config: Config, args: ScanArgs) -> anyhow::Result<()> {
    use expopass::proto::pb::{
        badge_service_client::BadgeServiceClient, gate_service_client::GateServiceClient,
    };

    let target = target(&config, &args.target).await?;
    let (code, event_id) = bench_event(&target).await?;
    let mut events = EventServiceClient::new(target.client()?);
    let mut badges = BadgeServiceClient::new(target.client()?).max_decoding_message_size(64 << 20);
    let gates_client = GateServiceClient::new(target.client()?);

    // The bench event's days are in the past: scan as of its second day.
    let at = prost_types::Timestamp {
        seconds: chrono::NaiveDate::from_ymd_opt(2024, 4, 23)
            .and_then(|d| d.and_hms_opt(8, 0, 0))
            .context("date")?
            .and_utc()
            .timestamp(),
        nanos: 0,
    };
    let mut gate_ids = Vec::new();
    for g in 0..args.gates.max(1) {
        let gate = events
            .upsert_gate(pb::UpsertGateRequest {
                event_id: event_id.clone(),
                code: format!("G{g}"),
                name: format!("Turnstile {g}"),
                zone_code: "HALL".to_owned(),
            })
            .await?
            .into_inner()
            .gate
            .context("no gate")?;
        gate_ids.push(gate.id);
    }
    let ids = import_visitors(&target, &event_id, args.badges, "scan", 0).await?;
    // Issue every badge (PrintBadges issues the missing ones), then read
    // their QR texts back.
    let mut printing = badges
        .print_badges(pb::PrintBadgesRequest {
            event_id: event_id.clone(),
            selection: Some(pb::print_badges_request::Selection::CategoryCode(
                "VISITOR".to_owned(),
            )),
            layout: pb::BadgeLayout::A4SheetCard.into(),
        })
        .await?
        .into_inner();
    while let Some(message) = printing.next().await {
        message?;
    }
    let qr_texts: Vec<String> = stream::iter(ids)
        .map(|id| {
            let mut badges = badges.clone();
            async move {
                badges
                    .get_badge(pb::GetBadgeRequest {
                        key: Some(pb::get_badge_request::Key::ParticipantId(id)),
                    })
                    .await
                    .map(|r| r.into_inner().badge.map(|b| b.qr_text).unwrap_or_default())
            }
        })
        .buffer_unordered(16)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<_, _>>()?;
    let badge_numbers: Vec<(i64, i32)> = qr_texts
        .iter()
        .filter_map(|qr| {
            let token = ParsedToken::parse(ParsedToken::scanned(qr)).ok()?;
            Some((
                i64::from(token.claims.serial),
                i32::from(token.claims.version),
            ))
        })
        .collect();
    let (rates, sent) = match args.codes {
        Codes::Valid => (
            args.rates
                .clone()
                .unwrap_or_else(|| vec![500, 1000, 2000, 3000, 4000, 5000]),
            qr_texts.clone(),
        ),
        Codes::Forged => (
            args.rates
                .clone()
                .unwrap_or_else(|| vec![2500, 5000, 7500, 10000, 12500, 15000]),
            qr_texts
                .iter()
                .map(|qr| forged(qr))
                .collect::<anyhow::Result<_>>()?,
        ),
    };
    println!(
        "expopass bench scan: event {code}, {} {} codes, {} gates; each rate held {} s, open loop (latency counts queueing from the scheduled send time)",
        sent.len(),
        match args.codes {
            Codes::Valid => "valid",
            Codes::Forged => "forged",
        },
        gate_ids.len(),
        args.seconds
    );

    // Offline verifications: the gate's own check, one core.
    let bundle = gates_client
        .clone()
        .get_offline_bundle(pb::GetOfflineBundleRequest {
            gate_id: gate_ids[0].clone(),
        })
        .await?
        .into_inner()
        .bundle;
    let rules = expopass::domain::offline::Rules::from_bundle(&bundle)?;
    let zone = rules.zone_number("HALL");
    let when = chrono::DateTime::from_timestamp(at.seconds, 0).context("time")?;
    let started = Instant::now();
    let mut verified = 0u64;
    let mut allowed = 0u64;
    while started.elapsed() < std::time::Duration::from_secs(2) {
        for qr in qr_texts.iter().take(1000) {
            allowed +=
                u64::from(expopass::domain::offline::decide(&rules, qr, zone, when).allowed());
            verified += 1;
        }
    }
    let took = started.elapsed().as_secs_f64();
    println!(
        "offline verifications (decide from the bundle, one core): {:.0}/s ({allowed} of {verified} allowed)",
        verified as f64 / took
    );

    if let Some((_, server, _)) = &target.local {
        connection_setup(server.addr, target.tls_ca.as_deref()).await?;
    }

    // Online, open loop; each gate a device with a connection of its own.
    let mut gate_clients = Vec::with_capacity(gate_ids.len());
    for _ in &gate_ids {
        gate_clients.push(GateServiceClient::new(target.own_client().await?));
    }
    println!(
        "  {:>7} {:>9} {:>9} {:>9} {:>9} {:>7}",
        "offered", "achieved", "p50 ms", "p99 ms", "max ms", "errors"
    );
    let mut n = 0usize;
    let mut best_sustained = 0u32;
    let mut best_within_5ms = 0u32;
    let mut most_achieved = 0f64;
    for &rate in &rates {
        let total = (u64::from(rate) * args.seconds) as usize;
        let interval = std::time::Duration::from_secs_f64(1.0 / f64::from(rate.max(1)));
        let start = tokio::time::Instant::now();
        let mut tasks = Vec::with_capacity(total);
        for i in 0..total {
            let due = start + interval.mul_f64(i as f64);
            tokio::time::sleep_until(due).await;
            n += 1;
            let badge = n % sent.len();
            let pass = n / sent.len();
            let request = pb::ScanRequest {
                gate_id: gate_ids[n % gate_ids.len()].clone(),
                qr_text: sent[badge].clone(),
                direction: if pass.is_multiple_of(2) {
                    pb::Direction::In
                } else {
                    pb::Direction::Out
                }
                .into(),
                nonce: format!("bench-{rate}-{i}"),
                scanned_at: Some(at),
            };
            let mut client = gate_clients[n % gate_clients.len()].clone();
            tasks.push(tokio::spawn(async move {
                let result = client.scan(request).await;
                (due.elapsed(), result.is_ok())
            }));
        }
        let mut hist = histogram()?;
        let mut errors = 0;
        for task in tasks {
            let (latency, ok) = task.await?;
            if ok {
                hist.record(
                    u64::try_from(latency.as_micros())
                        .unwrap_or(u64::MAX)
                        .max(1),
                )?;
            } else {
                errors += 1;
            }
        }
        let elapsed = start.elapsed().as_secs_f64();
        let achieved = total as f64 / elapsed;
        most_achieved = most_achieved.max(achieved);
        let p99 = ms(hist.value_at_quantile(0.99));
        println!(
            "  {rate:>7} {achieved:>9.0} {:>9.2} {p99:>9.2} {:>9.2} {errors:>7}",
            ms(hist.value_at_quantile(0.5)),
            ms(hist.max()),
        );
        // Sustained: every scan answered, the run finished within 5 % of
        // its schedule, and p99 under 100 ms.
        if errors == 0 && achieved >= f64::from(rate) * 0.95 && p99 <= 100.0 {
            best_sustained = best_sustained.max(rate);
        }
        if errors == 0 && achieved >= f64::from(rate) * 0.95 && p99 <= 5.0 {
            best_within_5ms = best_within_5ms.max(rate);
        }
    }
    println!(
        "highest sustained rate tried: {best_sustained} scans/s (p99 ≤ 100 ms), {best_within_5ms} scans/s (p99 ≤ 5 ms); most answered per second: {most_achieved:.0}"
    );
    if args.codes == Codes::Forged {
        return target.close().await;
    }
    let limit = ceiling(&target, Shape::Scan, SCAN_CEILING_IN_FLIGHT).await?;
    println!(
        "highest sustained rate: {}; most scans answered per second (saturated): {most_achieved:.0} = {}",
        share(f64::from(best_sustained), limit),
        share(most_achieved, limit)
    );
    if let Some((services, ..)) = &target.local {
        let gates: Vec<GateId> = gate_ids
            .iter()
            .map(|g| g.parse().map(GateId))
            .collect::<Result<_, _>>()?;
        let own = expopass::db::ceiling::own_scans(
            &services.db,
            &gates,
            &badge_numbers,
            when,
            SCAN_CEILING_IN_FLIGHT,
            std::time::Duration::from_secs(CEILING_SECONDS),
        )
        .await?;
        println!(
            "the server's own scan statements alone (gate_scan): {own:.0}/s ({SCAN_CEILING_IN_FLIGHT} in flight, the server's pool)"
        );
        let what = "the server's own scan statements alone";
        println!(
            "highest sustained rate: {}; saturated: {}",
            share_of(f64::from(best_sustained), Some(own), what),
            share_of(most_achieved, Some(own), what)
        );
    }
    target.close().await
}

/// A badge's code with one bit of its signature flipped: it reads, its key
/// is known, and its signature fails.
fn forged(qr: &str) -> anyhow::Result<String> {
    let body = qr.strip_prefix("EP1:").context("not a badge code")?;
    let mut bytes = base45::decode(body).map_err(|e| anyhow::anyhow!("{e}"))?;
    let last = bytes.len().checked_sub(1).context("an empty code")?;
    bytes[last] ^= 0x01;
    Ok(format!("EP1:{}", base45::encode(&bytes)))
}

/// Connections opened one after another, each up to its first answer.
const SETUP_CONNECTIONS: usize = 200;

/// What a gate pays to (re)connect: a new connection (TCP, and the TLS
/// handshake with `--tls`) up to the answer of a first call.
async fn connection_setup(addr: std::net::SocketAddr, ca: Option<&[u8]>) -> anyhow::Result<()> {
    use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};
    let mut hist = histogram()?;
    for _ in 0..SETUP_CONNECTIONS {
        let started = Instant::now();
        let channel = expopass::local::connect(addr, ca).await?;
        HealthClient::new(channel)
            .check(HealthCheckRequest::default())
            .await?;
        hist.record(
            u64::try_from(started.elapsed().as_micros())
                .unwrap_or(u64::MAX)
                .max(1),
        )?;
    }
    println!(
        "new connection up to its first answer ({}, {SETUP_CONNECTIONS} in a row): p50 {:.2} ms, p99 {:.2} ms",
        if ca.is_some() { "TLS" } else { "plaintext" },
        ms(hist.value_at_quantile(0.5)),
        ms(hist.value_at_quantile(0.99)),
    );
    Ok(())
}
