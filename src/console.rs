//! Operator commands that are not the server: `keys`, `event` and
//! `verify`.

use std::path::PathBuf;

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use clap::{Args, Subcommand};

use crate::{
    app::Database,
    config::Config,
    domain::{
        Services,
        badges::badge_number,
        keys::KeyView,
        offline::{GateDisplay, Rules, decide},
    },
};

#[derive(Subcommand)]
pub enum EventCommand {
    /// Set what gates show of a holder on an entry allowed online: the
    /// name, the photo, both or neither. Gates follow within a second.
    GateDisplay {
        /// Event code.
        #[arg(long)]
        event: String,
        /// What to show: `name`, `photo`, `name,photo` or `none`.
        #[arg(long, value_delimiter = ',', required = true)]
        show: Vec<Shown>,
    },
    /// Make an event match an event file (docs/event-file.md): create it
    /// when its code is new; create, change and remove its zones,
    /// categories, gates, organisations and delegations. Prints what it
    /// changes; a problem in the file, or a change that would lose data,
    /// applies nothing.
    Apply {
        /// The event file (TOML).
        file: PathBuf,
        /// Print the plan and change nothing.
        #[arg(long)]
        dry_run: bool,
        /// Apply it to the event with this code instead of the file's own.
        #[arg(long)]
        code: Option<String>,
    },
    /// Write an event as an event file (to standard output, or `--out`).
    Export {
        /// Event code.
        #[arg(long)]
        event: String,
        /// Output file.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

/// What a gate may show of a holder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Shown {
    Name,
    Photo,
    None,
}

/// Runs `work` with the services of the configured database (migrated
/// first), and closes the database whatever the outcome.
async fn with_services(
    config: &Config,
    work: impl AsyncFnOnce(&Services) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let key = config.load_document_key()?;
    let db = Database::open(config).await?;
    let result = async {
        crate::db::migrate(&db.url).await?;
        let services = Services::new(crate::db::pool(&db.url, 2)?, &key);
        work(&services).await
    }
    .await;
    db.close().await?;
    result
}

/// Runs an `event` command against the configured database.
pub async fn run_event(config: Config, command: EventCommand) -> anyhow::Result<()> {
    with_services(&config, async |services| {
        match command {
            EventCommand::GateDisplay { event, show } => {
                if show.contains(&Shown::None) && show.len() > 1 {
                    anyhow::bail!("--show none cannot go with name or photo");
                }
                let display = GateDisplay {
                    names: show.contains(&Shown::Name),
                    photos: show.contains(&Shown::Photo),
                };
                let found = services
                    .get_event(crate::domain::events::EventKey::Code(event))
                    .await?;
                let event = services.set_gate_display(None, found.id, display).await?;
                let shown = match (event.names_at_gates, event.photos_at_gates) {
                    (true, true) => "names and photos",
                    (true, false) => "names",
                    (false, true) => "photos",
                    (false, false) => "neither names nor photos",
                };
                println!("{}: gates show {shown}", event.code);
            }
            EventCommand::Apply {
                file,
                dry_run,
                code,
            } => {
                let content = read_bounded(&file, crate::domain::event_file::MAX_FILE_BYTES)?;
                let request = crate::domain::event_file::EventFileRequest {
                    content,
                    code,
                    dry_run,
                };
                let applied = services
                    .apply_event_file(None, request)
                    .await
                    .map_err(|e| anyhow::anyhow!(explain(&e, &file)))?;
                print_plan(&applied, dry_run);
            }
            EventCommand::Export { event, out } => {
                let text = services.export_event_file(&event).await?;
                match out {
                    Some(path) => {
                        std::fs::write(&path, text)
                            .with_context(|| format!("writing {}", path.display()))?;
                        println!("{event}: written to {}", path.display());
                    }
                    None => print!("{text}"),
                }
            }
        }
        anyhow::Ok(())
    })
    .await
}

/// At most `limit` bytes of a file (one more, to tell it is larger).
fn read_bounded(path: &std::path::Path, limit: usize) -> anyhow::Result<Vec<u8>> {
    use std::io::Read as _;
    let file = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut content = Vec::new();
    file.take(u64::try_from(limit).unwrap_or(u64::MAX) + 1)
        .read_to_end(&mut content)
        .with_context(|| format!("reading {}", path.display()))?;
    Ok(content)
}

/// A refused file, every problem on its line.
fn explain(err: &crate::error::AppError, file: &std::path::Path) -> String {
    let mut text = format!("{}: {} ({})", file.display(), err.message, err.reason);
    for v in &err.violations {
        text.push_str(&format!("\n  {}: {}", v.field, v.description));
    }
    text
}

fn print_plan(applied: &crate::domain::event_file::Applied, dry_run: bool) {
    if applied.changes.is_empty() {
        println!(
            "{}: the event already matches the file; nothing changed",
            applied.code
        );
        return;
    }
    for change in &applied.changes {
        println!("  {change}");
    }
    let n = applied.changes.len();
    if dry_run {
        println!(
            "{}: {n} change(s) planned; nothing applied (--dry-run)",
            applied.code
        );
    } else {
        println!("{}: {n} change(s) applied", applied.code);
    }
}

#[derive(Subcommand)]
pub enum KeysCommand {
    /// Make a new key the active one (it signs new badges); older keys keep
    /// verifying until retired.
    Rotate {
        /// Event code.
        #[arg(long)]
        event: String,
    },
    /// Retire verifying keys: badges they signed stop verifying.
    Retire {
        /// Event code.
        #[arg(long)]
        event: String,
        /// Only this key (8 hex digits); all verifying keys when absent.
        #[arg(long)]
        key: Option<String>,
    },
    /// Write the offline bundle of an event (public keys, revocations,
    /// rules) for `expopass verify` and offline gates.
    Export {
        /// Event code.
        #[arg(long)]
        event: String,
        /// Output file; `<EVENT>.bundle` when absent.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// List the keys of an event.
    List {
        /// Event code.
        #[arg(long)]
        event: String,
    },
}

#[derive(Args)]
pub struct VerifyArgs {
    /// Bundle file from `expopass keys export` or `GetOfflineBundle`.
    #[arg(long)]
    pub bundle: PathBuf,
    /// Zone code of the gate; the zone check is skipped when absent.
    #[arg(long)]
    pub zone: Option<String>,
    /// Scan time (RFC 3339); now when absent.
    #[arg(long)]
    pub at: Option<DateTime<Utc>>,
    /// The text of the QR code.
    pub qr_text: String,
}

fn print_key(key: &KeyView) {
    println!(
        "{}  {:<9}  created {}{}  public {}",
        key.id_text(),
        key.status,
        key.created_at.format("%Y-%m-%d %H:%M:%S"),
        key.retired_at
            .map(|at| format!("  retired {}", at.format("%Y-%m-%d %H:%M:%S")))
            .unwrap_or_default(),
        hex::encode(key.public_key),
    );
}

pub async fn run_keys(config: Config, command: KeysCommand) -> anyhow::Result<()> {
    with_services(&config, async |services| {
        match command {
            KeysCommand::Rotate { event } => {
                let key = services.rotate_key(None, &event).await?;
                print_key(&key);
            }
            KeysCommand::Retire { event, key } => {
                let key_id = key
                    .map(|k| {
                        u32::from_str_radix(k.trim(), 16)
                            .with_context(|| format!("key id {k} is not 8 hex digits"))
                    })
                    .transpose()?;
                let retired = services.retire_keys(None, &event, key_id).await?;
                if retired.is_empty() {
                    eprintln!("no verifying key to retire");
                }
                for key in &retired {
                    print_key(key);
                }
            }
            KeysCommand::Export { event, out } => {
                let bytes =
                    prost::Message::encode_to_vec(&services.offline_bundle_by_code(&event).await?);
                let path = out.unwrap_or_else(|| PathBuf::from(format!("{event}.bundle")));
                tokio::fs::write(&path, &bytes)
                    .await
                    .with_context(|| format!("cannot write {}", path.display()))?;
                eprintln!("wrote {} ({} bytes)", path.display(), bytes.len());
            }
            KeysCommand::List { event } => {
                for key in services.list_keys(&event).await? {
                    print_key(&key);
                }
            }
        }
        anyhow::Ok(())
    })
    .await
}

/// Decides a scan from a bundle file; prints the decision. `Ok(true)` for
/// ALLOW.
pub fn run_verify(args: &VerifyArgs) -> anyhow::Result<bool> {
    let bytes = std::fs::read(&args.bundle)
        .with_context(|| format!("cannot read {}", args.bundle.display()))?;
    let rules = Rules::from_bundle(&bytes)
        .with_context(|| format!("{} is not a usable bundle", args.bundle.display()))?;
    let zone = match &args.zone {
        Some(code) => Some(
            rules
                .zone_number(code)
                .with_context(|| format!("event {} has no zone {code}", rules.event_code))?,
        ),
        None => None,
    };
    let verdict = decide(
        &rules,
        &args.qr_text,
        zone,
        args.at.unwrap_or_else(Utc::now),
    );
    let mut line = match verdict.deny {
        None => "ALLOW".to_owned(),
        Some(reason) => format!("DENY {}", reason.as_str()),
    };
    if let Some(claims) = &verdict.claims {
        line.push_str(&format!(
            "  badge {}",
            badge_number(i64::from(claims.serial), i32::from(claims.version))
        ));
        if let Some(category) = rules.categories.get(&claims.category) {
            line.push_str(&format!("  category {}", category.code));
        }
        let days = claims.valid_days();
        if let (Some(first), Some(last)) = (days.first(), days.last()) {
            line.push_str(&format!("  days {first}..{last}"));
        }
        let zones: Vec<&str> = rules
            .zones
            .iter()
            .filter(|z| claims.zone_allowed(z.number))
            .map(|z| z.code.as_str())
            .collect();
        line.push_str(&format!("  zones {}", zones.join(",")));
    }
    println!("{line}");
    Ok(verdict.allowed())
}

/// An enrolment code as a QR: for a terminal, and as a PNG to print or
/// show on a screen.
pub struct EnrolmentQr(qrcode::QrCode);

impl EnrolmentQr {
    pub fn new(code: &str) -> anyhow::Result<Self> {
        qrcode::QrCode::with_error_correction_level(code.as_bytes(), qrcode::EcLevel::M)
            .map(Self)
            .context("the code does not fit a QR")
    }

    /// Two modules per character cell (half blocks), quiet zone included.
    pub fn terminal(&self) -> String {
        self.0
            .render::<qrcode::render::unicode::Dense1x2>()
            .dark_color(qrcode::render::unicode::Dense1x2::Light)
            .light_color(qrcode::render::unicode::Dense1x2::Dark)
            .build()
    }

    /// A black-on-white PNG, 8 pixels a module, with a 4-module quiet zone.
    pub fn png(&self) -> anyhow::Result<Vec<u8>> {
        const SCALE: usize = 8;
        const QUIET: usize = 4;
        let width = self.0.width();
        let colors = self.0.to_colors();
        let side = (width + 2 * QUIET) * SCALE;
        let mut pixels = vec![255u8; side * side];
        for (i, color) in colors.iter().enumerate() {
            if *color == qrcode::Color::Dark {
                let (x, y) = (i % width + QUIET, i / width + QUIET);
                for row in y * SCALE..(y + 1) * SCALE {
                    pixels[row * side + x * SCALE..row * side + (x + 1) * SCALE].fill(0);
                }
            }
        }
        let side = u32::try_from(side).context("QR too large")?;
        let mut out = Vec::new();
        let mut encoder = png::Encoder::new(&mut out, side, side);
        encoder.set_color(png::ColorType::Grayscale);
        encoder.set_depth(png::BitDepth::Eight);
        encoder
            .write_header()
            .and_then(|mut w| w.write_image_data(&pixels))
            .context("cannot encode the QR as PNG")?;
        Ok(out)
    }

    /// [`Self::png`] written to `path`.
    pub fn write_png(&self, path: &std::path::Path) -> anyhow::Result<()> {
        std::fs::write(path, self.png()?)
            .with_context(|| format!("cannot write {}", path.display()))
    }
}
