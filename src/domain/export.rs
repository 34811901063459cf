//! Lists out: the participants of an event as a CSV or XLSX file, streamed
//! in chunks while it is written. Rows are read a page at a time in one
//! snapshot; a blocking writer turns them into the file; neither holds more
//! than a couple of pages, so memory does not grow with the event.

use std::{
    io::{self, Write},
    sync::{Arc, LazyLock},
    time::Duration,
};

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde_json::json;
use tokio::sync::{Semaphore, mpsc, oneshot};

use super::{
    Principal, Role, Services,
    badges::badge_number,
    fields::{
        Answers, EventFields, Scope, Sensitivity,
        answers::{self, display},
        open_sealed,
    },
    records::audit_row,
    registration::BadgeState,
    secrets::{DocumentVault, mask_document},
    validate::Validator,
};
use crate::{
    db::{
        self,
        export::{ExportCursor, ExportQuery, ExportRow},
        models::ParticipantStatus,
    },
    error::{AppError, AppResult},
    ids::EventId,
    words::{Lang, Violation},
};

/// A column of an export. The names are those the desk's roster import
/// reads where the column can be imported back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Column {
    Id,
    ExternalRef,
    GivenName,
    FamilyName,
    NativeName,
    Organization,
    Country,
    JobTitle,
    CategoryCode,
    Delegation,
    Email,
    Phone,
    TravelDocumentMasked,
    Status,
    BadgeState,
    BadgeNumber,
    HasPhoto,
    Entered,
    FirstEntry,
    RegisteredAt,
    /// The answers to a custom field, named by its key; personal and
    /// secret ones are the organiser's only.
    Answer {
        key: String,
        private: bool,
    },
}

impl Column {
    /// Every column, in the default order.
    pub const ALL: &[Column] = &[
        Column::Id,
        Column::ExternalRef,
        Column::GivenName,
        Column::FamilyName,
        Column::NativeName,
        Column::Organization,
        Column::Country,
        Column::JobTitle,
        Column::CategoryCode,
        Column::Delegation,
        Column::Email,
        Column::Phone,
        Column::TravelDocumentMasked,
        Column::Status,
        Column::BadgeState,
        Column::BadgeNumber,
        Column::HasPhoto,
        Column::Entered,
        Column::FirstEntry,
        Column::RegisteredAt,
    ];

    pub fn name(&self) -> &str {
        match self {
            Column::Answer { key, .. } => key,
            Column::Id => "id",
            Column::ExternalRef => "external_ref",
            Column::GivenName => "given_name",
            Column::FamilyName => "family_name",
            Column::NativeName => "native_name",
            Column::Organization => "organization",
            Column::Country => "country",
            Column::JobTitle => "job_title",
            Column::CategoryCode => "category_code",
            Column::Delegation => "delegation",
            Column::Email => "email",
            Column::Phone => "phone",
            Column::TravelDocumentMasked => "travel_document_masked",
            Column::Status => "status",
            Column::BadgeState => "badge_state",
            Column::BadgeNumber => "badge_number",
            Column::HasPhoto => "has_photo",
            Column::Entered => "entered",
            Column::FirstEntry => "first_entry",
            Column::RegisteredAt => "registered_at",
        }
    }

    fn parse(name: &str) -> Option<Column> {
        let name = name.trim().to_lowercase();
        Column::ALL.iter().find(|c| c.name() == name).cloned()
    }

    /// Personal contact data, the document and personal or secret
    /// answers: `admin` tokens only.
    pub fn admin_only(&self) -> bool {
        match self {
            Column::Answer { private, .. } => *private,
            Column::Email | Column::Phone | Column::TravelDocumentMasked => true,
            _ => false,
        }
    }

    /// Width in characters in an XLSX sheet.
    fn width(&self) -> f64 {
        match self {
            Column::Id => 38.0,
            Column::GivenName | Column::FamilyName | Column::NativeName | Column::Email => 24.0,
            Column::Organization | Column::JobTitle | Column::Delegation => 30.0,
            Column::FirstEntry | Column::RegisteredAt | Column::Answer { .. } => 18.0,
            _ => 14.0,
        }
    }
}

/// The file's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ExportFormat {
    #[default]
    Csv,
    Xlsx,
}

impl ExportFormat {
    fn extension(self) -> &'static str {
        match self {
            ExportFormat::Csv => "csv",
            ExportFormat::Xlsx => "xlsx",
        }
    }

    fn content_type(self) -> &'static str {
        match self {
            ExportFormat::Csv => "text/csv; charset=utf-8",
            ExportFormat::Xlsx => {
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
        }
    }
}

/// Which participants, as asked.
#[derive(Debug, Clone, Default)]
pub struct ExportFilterInput {
    pub category_codes: Vec<String>,
    pub delegation_ids: Vec<String>,
    pub organization_ids: Vec<String>,
    pub countries: Vec<String>,
    pub status: Option<ParticipantStatus>,
    pub badge_states: Vec<BadgeState>,
    pub entered: Option<bool>,
}

/// An export as asked.
#[derive(Debug, Clone)]
pub struct ExportInput {
    pub event_id: EventId,
    pub format: ExportFormat,
    /// Column names; empty: every column the caller may see.
    pub columns: Vec<String>,
    /// The language of option labels and yes/no in answer columns.
    pub lang: Lang,
    pub filter: ExportFilterInput,
}

/// What an export's stream carries after its start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExportPiece {
    /// The next bytes of the file.
    Chunk(Vec<u8>),
    /// Rows written so far.
    Progress(u64),
}

/// A started export: what the file will be, and its pieces as they are
/// written.
#[derive(Debug)]
pub struct Export {
    pub file_name: String,
    pub content_type: &'static str,
    pub columns: Vec<Column>,
    pub withheld: Vec<Column>,
    pub total_rows: u64,
    pub pieces: mpsc::Receiver<AppResult<ExportPiece>>,
}

/// Rows read and written at a time.
const PAGE_ROWS: i64 = 1000;
/// Bytes sent in one chunk at most (and gathered before one is sent).
const CHUNK_BYTES: usize = 64 * 1024;
/// How long a page may wait for the client to take the previous ones
/// before the export gives up (and frees its database connection).
const STALLED: Duration = Duration::from_secs(60);
/// The most rows an XLSX sheet holds under its header.
const XLSX_MAX_ROWS: u64 = 1_048_575;

/// The most values a list of a request (columns, each filter) may hold.
const MAX_LISTED: usize = 100;

/// Exports running at once; more wait their turn.
static EXPORTS: LazyLock<Arc<Semaphore>> = LazyLock::new(|| Arc::new(Semaphore::new(2)));

/// The columns of the file and those withheld from the caller's role.
fn choose_columns(
    v: &mut Validator,
    asked: &[String],
    role: Role,
    fields: &EventFields,
) -> (Vec<Column>, Vec<Column>) {
    let answer_column = |f: &crate::domain::fields::Loaded| Column::Answer {
        key: f.def.key.clone(),
        private: f.def.sensitivity >= Sensitivity::Personal,
    };
    let wanted: Vec<Column> = if asked.is_empty() {
        let mut all = Column::ALL.to_vec();
        all.extend(
            fields
                .of_scope(Scope::Participant)
                .filter(|f| f.def.exported())
                .map(|f| answer_column(f)),
        );
        all
    } else if asked.len() > MAX_LISTED {
        v.violation(
            "columns",
            Violation::AtMost {
                max: MAX_LISTED as u64,
            },
        );
        Vec::new()
    } else {
        let mut wanted = Vec::with_capacity(asked.len());
        for (i, name) in asked.iter().enumerate() {
            let field = format!("columns[{i}]");
            let answer = fields
                .get(name.trim())
                .filter(|f| f.def.scope == Scope::Participant)
                .map(|f| answer_column(f));
            match Column::parse(name).or(answer) {
                None => v.violation(
                    &field,
                    Violation::OneOf {
                        choices: COLUMN_NAMES,
                    },
                ),
                Some(c) if wanted.contains(&c) => v.violation(&field, Violation::Twice),
                Some(c) => wanted.push(c),
            }
        }
        wanted
    };
    wanted
        .into_iter()
        .partition(|c| !c.admin_only() || role == Role::Admin)
}

/// Every column name, for the violation that lists them.
const COLUMN_NAMES: &str = "id, external_ref, given_name, family_name, native_name, organization, \
     country, job_title, category_code, delegation, email, phone, travel_document_masked, status, \
     badge_state, badge_number, has_photo, entered, first_entry, registered_at";

fn badge_state_name(state: BadgeState) -> &'static str {
    match state {
        BadgeState::None => "none",
        BadgeState::Valid => "valid",
        BadgeState::Outdated => "outdated",
        BadgeState::Revoked => "revoked",
        BadgeState::Blocked => "blocked",
    }
}

fn nonempty<T>(values: Vec<T>) -> Option<Vec<T>> {
    (!values.is_empty()).then_some(values)
}

/// A time as a spreadsheet shows it, in the event's time zone.
fn local_time(at: DateTime<Utc>, tz: Tz) -> String {
    at.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string()
}

fn yes_no(value: bool) -> String {
    if value { "yes" } else { "no" }.to_owned()
}

/// How a row reads: its cells for these columns.
struct RowFormat {
    columns: Vec<Column>,
    tz: Tz,
    vault: Arc<DocumentVault>,
    fields: Arc<EventFields>,
    /// The language of option labels and yes/no.
    lang: Lang,
}

impl RowFormat {
    /// The answer to `key` as the file writes it: empty where the
    /// participant's category does not export it.
    fn answer(&self, answers: &Answers, category: &str, key: &str) -> String {
        let exported = self
            .fields
            .get(key)
            .is_some_and(|f| f.def.placement(Some(category)).is_none_or(|p| p.export));
        let Some(answer) = answers.get(key).filter(|_| exported) else {
            return String::new();
        };
        match &answer.s {
            Some(sealed) => {
                let opened = crate::domain::fields::Answer {
                    x: open_sealed(&self.vault, sealed),
                    ..answer.clone()
                };
                display(&self.fields, key, &opened, self.lang)
            }
            None => display(&self.fields, key, answer, self.lang),
        }
    }

    fn cells(&self, row: ExportRow) -> AppResult<Vec<String>> {
        let mut row = row;
        let answers = if self
            .columns
            .iter()
            .any(|c| matches!(c, Column::Answer { .. }))
        {
            answers::from_json(&row.answers)
        } else {
            Answers::new()
        };
        let mut cells = Vec::with_capacity(self.columns.len());
        for column in &self.columns {
            let cell = match column {
                Column::Id => row.id.to_string(),
                Column::ExternalRef => std::mem::take(&mut row.external_ref),
                Column::GivenName => std::mem::take(&mut row.given_name),
                Column::FamilyName => std::mem::take(&mut row.family_name),
                Column::NativeName => std::mem::take(&mut row.native_name),
                Column::Organization => row.organization.take().unwrap_or_default(),
                Column::Country => std::mem::take(&mut row.country),
                Column::JobTitle => std::mem::take(&mut row.job_title),
                Column::CategoryCode => std::mem::take(&mut row.category_code),
                Column::Delegation => row.delegation.take().unwrap_or_default(),
                Column::Email => std::mem::take(&mut row.email),
                Column::Phone => std::mem::take(&mut row.phone),
                Column::TravelDocumentMasked => match &row.document_cipher {
                    Some(cipher) => mask_document(&self.vault.decrypt(cipher)?),
                    None => String::new(),
                },
                Column::Status => std::mem::take(&mut row.status),
                Column::BadgeState => std::mem::take(&mut row.badge_state),
                Column::BadgeNumber => row
                    .serial
                    .zip(row.version)
                    .map(|(s, v)| badge_number(s, v))
                    .unwrap_or_default(),
                Column::HasPhoto => yes_no(row.has_photo),
                Column::Entered => yes_no(row.first_entry.is_some()),
                Column::FirstEntry => row
                    .first_entry
                    .map(|at| local_time(at, self.tz))
                    .unwrap_or_default(),
                Column::RegisteredAt => local_time(row.created_at, self.tz),
                Column::Answer { key, .. } => self.answer(&answers, &row.category_code, key),
            };
            cells.push(cell);
        }
        Ok(cells)
    }
}

/// A cell a spreadsheet would take for a formula (`=`, `+`, `-`, `@`, or a
/// tab or carriage return first) gets a leading apostrophe in CSV; the
/// desk's import takes it off again.
pub fn csv_cell(value: &str) -> std::borrow::Cow<'_, str> {
    match value.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{value}").into(),
        _ => value.into(),
    }
}

/// Gathers the file's bytes and sends them on in chunks.
struct ChunkWriter {
    buffer: Vec<u8>,
    out: mpsc::Sender<AppResult<ExportPiece>>,
}

impl ChunkWriter {
    fn send(&mut self) -> io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let chunk = std::mem::replace(&mut self.buffer, Vec::with_capacity(CHUNK_BYTES));
        self.out
            .blocking_send(Ok(ExportPiece::Chunk(chunk)))
            .map_err(|_| left())
    }

    fn progress(&mut self, rows: u64) -> io::Result<()> {
        self.send()?;
        self.out
            .blocking_send(Ok(ExportPiece::Progress(rows)))
            .map_err(|_| left())
    }
}

fn left() -> io::Error {
    io::Error::new(io::ErrorKind::BrokenPipe, "the export's reader left")
}

impl Write for ChunkWriter {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.buffer.extend_from_slice(bytes);
        if self.buffer.len() >= CHUNK_BYTES {
            self.send()?;
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.send()
    }
}

/// Where the rows go: a CSV written as it goes, or a workbook whose sheet
/// is kept on disk (constant memory) until it is saved at the end.
enum Sink {
    /// The writer, and where progress goes (after the bytes it flushed).
    Csv(
        Box<csv::Writer<ChunkWriter>>,
        mpsc::Sender<AppResult<ExportPiece>>,
    ),
    Xlsx {
        workbook: Box<rust_xlsxwriter::Workbook>,
        row: u32,
        out: ChunkWriter,
    },
}

fn xlsx_failed(err: rust_xlsxwriter::XlsxError) -> io::Error {
    io::Error::other(err.to_string())
}

impl Sink {
    fn open(
        format: ExportFormat,
        columns: &[Column],
        total: u64,
        mut out: ChunkWriter,
    ) -> io::Result<Sink> {
        let header: Vec<&str> = columns.iter().map(|c| c.name()).collect();
        match format {
            ExportFormat::Csv => {
                // The byte order mark: Excel reads the file as UTF-8 only
                // with it (Cyrillic, Uzbek and Chinese names).
                out.write_all("\u{feff}".as_bytes())?;
                let progress = out.out.clone();
                let mut writer = csv::WriterBuilder::new()
                    .terminator(csv::Terminator::CRLF)
                    .from_writer(out);
                writer.write_record(&header)?;
                Ok(Sink::Csv(Box::new(writer), progress))
            }
            ExportFormat::Xlsx => {
                let mut workbook = Box::new(rust_xlsxwriter::Workbook::new());
                let bold = rust_xlsxwriter::Format::new().set_bold();
                let sheet = workbook
                    .add_worksheet_with_constant_memory()
                    .map_err(xlsx_failed)?;
                sheet.set_name("participants").map_err(xlsx_failed)?;
                let last_column = u16::try_from(columns.len().saturating_sub(1)).unwrap_or(0);
                for (i, column) in columns.iter().enumerate() {
                    let i = u16::try_from(i).unwrap_or(u16::MAX);
                    sheet
                        .set_column_width(i, column.width())
                        .map_err(xlsx_failed)?;
                    sheet
                        .write_string_with_format(0, i, column.name(), &bold)
                        .map_err(xlsx_failed)?;
                }
                sheet.set_freeze_panes(1, 0).map_err(xlsx_failed)?;
                let last_row = u32::try_from(total).unwrap_or(u32::MAX).max(1);
                sheet
                    .autofilter(0, 0, last_row, last_column)
                    .map_err(xlsx_failed)?;
                Ok(Sink::Xlsx {
                    workbook,
                    row: 0,
                    out,
                })
            }
        }
    }

    fn row(&mut self, cells: &[String]) -> io::Result<()> {
        match self {
            Sink::Csv(writer, _) => writer
                .write_record(cells.iter().map(|c| csv_cell(c).into_owned()))
                .map_err(io::Error::from),
            Sink::Xlsx { workbook, row, .. } => {
                *row += 1;
                let sheet = workbook.worksheet_from_index(0).map_err(xlsx_failed)?;
                for (i, cell) in cells.iter().enumerate() {
                    if !cell.is_empty() {
                        let i = u16::try_from(i).unwrap_or(u16::MAX);
                        sheet.write_string(*row, i, cell).map_err(xlsx_failed)?;
                    }
                }
                Ok(())
            }
        }
    }

    fn progress(&mut self, rows: u64) -> io::Result<()> {
        match self {
            Sink::Csv(writer, progress) => {
                writer.flush()?;
                progress
                    .blocking_send(Ok(ExportPiece::Progress(rows)))
                    .map_err(|_| left())
            }
            Sink::Xlsx { out, .. } => out.progress(rows),
        }
    }

    fn finish(self) -> io::Result<()> {
        match self {
            Sink::Csv(writer, _) => {
                let mut out = writer.into_inner().map_err(|e| e.into_error())?;
                out.flush()
            }
            Sink::Xlsx {
                mut workbook,
                mut out,
                ..
            } => {
                workbook.save_to_writer(&mut out).map_err(xlsx_failed)?;
                out.flush()
            }
        }
    }
}

/// What the reader hands the writer: a page of rows as cells, or why it
/// stopped.
type Page = AppResult<Vec<Vec<String>>>;

/// Writes the pages as they come; an error ends the stream with it.
fn write_file(
    format: ExportFormat,
    columns: &[Column],
    total: u64,
    mut pages: mpsc::Receiver<Page>,
    out: mpsc::Sender<AppResult<ExportPiece>>,
) {
    let failed = out.clone();
    let run = || -> Result<(), AppError> {
        let mut sink = Sink::open(
            format,
            columns,
            total,
            ChunkWriter {
                buffer: Vec::with_capacity(CHUNK_BYTES),
                out,
            },
        )
        .map_err(AppError::internal)?;
        let mut done = 0u64;
        while let Some(page) = pages.blocking_recv() {
            let rows = page?;
            for cells in &rows {
                sink.row(cells).map_err(AppError::internal)?;
            }
            done += rows.len() as u64;
            sink.progress(done).map_err(AppError::internal)?;
        }
        sink.finish().map_err(AppError::internal)
    };
    if let Err(err) = run() {
        // Nobody to tell when the reader left.
        let _ = failed.blocking_send(Err(err));
    }
}

/// Reads the matching rows in one snapshot: first their count (sent on
/// `started`), then page after page (sent on `pages`).
async fn read_rows(
    pool: db::Pool,
    query: ExportQuery,
    format: RowFormat,
    started: oneshot::Sender<AppResult<u64>>,
    pages: mpsc::Sender<Page>,
) {
    let failed = pages.clone();
    let mut started = Some(started);
    let result: AppResult<()> = async {
        let mut conn = pool.get().await?;
        let started = &mut started;
        db::snapshot::<_, AppError, _>(&mut conn, async move |conn: &mut db::Conn| {
            let total = db::export::count(conn, &query).await?;
            let total = u64::try_from(total).unwrap_or(0);
            if let Some(tx) = started.take()
                && tx.send(Ok(total)).is_err()
            {
                return Ok(());
            }
            let mut after: Option<ExportCursor> = None;
            loop {
                // A page of keys by the index, then those rows whole (the
                // filters on badges and entries may drop some).
                let keys = db::export::page_keys(conn, &query, after.as_ref(), PAGE_ROWS).await?;
                let Some(last) = keys.last() else {
                    return Ok(());
                };
                after = Some((last.family_key.clone(), last.given_key.clone(), last.id));
                let full = keys.len() as i64 == PAGE_ROWS;
                let ids: Vec<uuid::Uuid> = keys.iter().map(|k| k.id).collect();
                let rows = db::export::rows(conn, &query, &ids).await?;
                let cells = rows
                    .into_iter()
                    .map(|r| format.cells(r))
                    .collect::<AppResult<Vec<_>>>()?;
                match tokio::time::timeout(STALLED, pages.send(Ok(cells))).await {
                    Ok(Ok(())) => {}
                    // The writer stopped: its reader left.
                    Ok(Err(_)) => return Ok(()),
                    Err(_) => {
                        return Err(AppError::internal(anyhow::anyhow!(
                            "an export's reader took no data for {STALLED:?}"
                        )));
                    }
                }
                if !full {
                    return Ok(());
                }
            }
        })
        .await
    }
    .await;
    if let Err(err) = result {
        match started.take() {
            Some(tx) => {
                let _ = tx.send(Err(err));
            }
            None => {
                let _ = failed.send(Err(err)).await;
            }
        }
    }
}

impl Services {
    /// Starts an export: checks what is asked, counts the rows in a
    /// snapshot, audits the export, and returns the stream of its file.
    pub async fn export_participants(
        &self,
        caller: &Principal,
        input: ExportInput,
    ) -> AppResult<Export> {
        let mut v = Validator::new();
        let event_id = input.event_id;
        caller.require_event(event_id)?;
        let mut conn = self.db.get().await?;
        let event = self.event(&mut conn, event_id).await?;
        let fields = self.event_fields(&mut conn, event_id).await?;
        let (columns, withheld) = choose_columns(&mut v, &input.columns, caller.role, &fields);
        let f = &input.filter;
        let mut too_long = input.columns.len() > MAX_LISTED;
        for (field, len) in [
            ("filter.category_codes", f.category_codes.len()),
            ("filter.delegation_ids", f.delegation_ids.len()),
            ("filter.organization_ids", f.organization_ids.len()),
            ("filter.countries", f.countries.len()),
            ("filter.badge_states", f.badge_states.len()),
        ] {
            if len > MAX_LISTED {
                v.violation(
                    field,
                    Violation::AtMost {
                        max: MAX_LISTED as u64,
                    },
                );
                too_long = true;
            }
        }
        if too_long {
            // Nothing more is read of lists that long.
            return v.finish().and_then(|()| {
                Err(AppError::internal(anyhow::anyhow!(
                    "a list too long without a violation"
                )))
            });
        }
        let mut category_ids = Vec::new();
        for (i, code) in f.category_codes.iter().enumerate() {
            let code = code.trim().to_uppercase();
            match self.category_id(&mut conn, event.id, &code).await? {
                Some(id) => category_ids.push(id.0),
                None => v.violation(
                    &format!("filter.category_codes[{i}]"),
                    Violation::UnknownCategory,
                ),
            }
        }
        let ids = |v: &mut Validator, field: &str, values: &[String]| {
            values
                .iter()
                .enumerate()
                .filter_map(|(i, s)| v.id::<uuid::Uuid>(&format!("filter.{field}[{i}]"), s))
                .collect::<Vec<_>>()
        };
        let delegation_ids = ids(&mut v, "delegation_ids", &f.delegation_ids);
        let organization_ids = ids(&mut v, "organization_ids", &f.organization_ids);
        let countries: Vec<String> = f
            .countries
            .iter()
            .enumerate()
            .map(|(i, c)| v.country(&format!("filter.countries[{i}]"), c))
            .collect();
        let query = ExportQuery {
            event_id: event.id.0,
            category_ids: nonempty(category_ids),
            delegation_ids: nonempty(delegation_ids),
            organization_ids: nonempty(organization_ids),
            countries: nonempty(countries),
            status: f.status.map(|s| s.as_str().to_owned()),
            badge_states: nonempty(
                f.badge_states
                    .iter()
                    .map(|s| badge_state_name(*s).to_owned())
                    .collect(),
            ),
            entered: f.entered,
        };
        v.finish()?;
        let tz: Tz = event.time_zone.parse().unwrap_or(Tz::UTC);

        let permit = EXPORTS
            .clone()
            .acquire_owned()
            .await
            .map_err(AppError::internal)?;
        let (started_tx, started_rx) = oneshot::channel();
        let (pages_tx, pages_rx) = mpsc::channel(2);
        let rows = RowFormat {
            columns: columns.clone(),
            tz,
            vault: self.vault.clone(),
            fields,
            lang: input.lang,
        };
        // Not aborted: it ends its snapshot by itself once nobody takes its
        // pages (an answer refused below drops their receiver).
        tokio::spawn(read_rows(
            self.db.clone(),
            query.clone(),
            rows,
            started_tx,
            pages_tx,
        ));
        let total = started_rx
            .await
            .map_err(|_| AppError::internal(anyhow::anyhow!("the export's reader stopped")))??;
        if input.format == ExportFormat::Xlsx && total > XLSX_MAX_ROWS {
            v = Validator::new();
            v.violation("format", Violation::AtMost { max: XLSX_MAX_ROWS });
            v.finish()?;
        }

        let details = json!({
            "format": input.format.extension(),
            "columns": columns.iter().map(|c| c.name()).collect::<Vec<_>>(),
            "withheld_columns": withheld.iter().map(|c| c.name()).collect::<Vec<_>>(),
            "filter": {
                "category_codes": f.category_codes.iter().map(|c| c.trim().to_uppercase()).collect::<Vec<_>>(),
                "delegation_ids": query.delegation_ids.clone().unwrap_or_default(),
                "organization_ids": query.organization_ids.clone().unwrap_or_default(),
                "countries": query.countries.clone().unwrap_or_default(),
                "status": query.status,
                "badge_states": query.badge_states.clone().unwrap_or_default(),
                "entered": query.entered,
            },
            "rows": total,
        });
        let entry = audit_row(caller, "participants.export", "event", event.id, "");
        db::audit::record_with_details(&mut conn, &entry, &details).await?;
        drop(conn);

        let (out_tx, out_rx) = mpsc::channel(4);
        let format = input.format;
        let file_columns = columns.clone();
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            write_file(format, &file_columns, total, pages_rx, out_tx);
        });
        let stamp = Utc::now().with_timezone(&tz).format("%Y%m%d-%H%M");
        Ok(Export {
            file_name: format!("{}-participants-{stamp}.{}", event.code, format.extension()),
            content_type: format.content_type(),
            columns,
            withheld,
            total_rows: total,
            pieces: out_rx,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_quoted_and_plain_text_is_not() {
        assert_eq!(csv_cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(csv_cell("+998 90 123 45 67"), "'+998 90 123 45 67");
        assert_eq!(csv_cell("-1"), "'-1");
        assert_eq!(csv_cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_cell("Ташкент"), "Ташкент");
        assert_eq!(csv_cell(""), "");
    }

    #[test]
    fn desk_tokens_never_get_personal_columns() {
        let mut v = Validator::new();
        let (shown, withheld) = choose_columns(&mut v, &[], Role::Desk, &EventFields::default());
        assert!(v.finish().is_ok());
        assert!(shown.iter().all(|c| !c.admin_only()));
        assert_eq!(
            withheld,
            vec![Column::Email, Column::Phone, Column::TravelDocumentMasked]
        );
        let mut v = Validator::new();
        let (shown, withheld) = choose_columns(&mut v, &[], Role::Admin, &EventFields::default());
        assert!(v.finish().is_ok());
        assert_eq!(shown.len(), Column::ALL.len());
        assert!(withheld.is_empty());
    }

    #[test]
    fn unknown_and_repeated_columns_are_named() {
        let mut v = Validator::new();
        let asked = ["family_name", "FAMILY_NAME", "passport"].map(String::from);
        choose_columns(&mut v, &asked, Role::Admin, &EventFields::default());
        let fields: Vec<String> = v.into_violations().into_iter().map(|f| f.field).collect();
        assert_eq!(fields, ["columns[1]", "columns[2]"]);
    }

    #[test]
    fn every_column_is_listed_once_in_the_names() {
        let names: Vec<&str> = COLUMN_NAMES.split(", ").collect();
        let all: Vec<&str> = Column::ALL.iter().map(|c| c.name()).collect();
        assert_eq!(names, all);
    }
}
