//! Badges: issue and reprint, revocation, bulk printing.

use std::{
    collections::{BTreeMap, HashMap},
    sync::Arc,
};

use chrono::{Datelike as _, NaiveDate};

use super::{
    Principal, Services,
    fields::{EventFields, OnBadge, answers::shown_answers},
    ids::{BadgeId, EventId, ParticipantId},
    qr::{BadgeClaims, event_tag},
    records::audit_row,
};
use crate::{
    db::{
        self, Conn,
        badges::{BadgeRow, IssueSource, REVOKED_CANCELLED, REVOKED_REPRINTED, REVOKED_STAFF},
        models::{CategoryLayout, NewAuditEntry, ParticipantStatus},
    },
    error::{AppError, AppResult, Reason},
    render::{self, BadgeCard, Layout},
};

mod blocks;
mod print;
pub(crate) mod templates;

pub(crate) use print::{PrintItem, PrintTarget};

/// A badge as callers see it.
#[derive(Debug, Clone)]
pub struct BadgeView {
    pub row: BadgeRow,
    pub category_code: String,
    /// The reason of the block, when the badge is blocked.
    pub block_reason: Option<String>,
}

impl BadgeView {
    pub fn number(&self) -> String {
        badge_number(self.row.serial, self.row.version)
    }

    /// Why the badge was revoked; `None` while it is valid.
    pub fn revocation(&self) -> Option<Revocation> {
        match self.row.revocation_reason.as_deref()? {
            REVOKED_REPRINTED => Some(Revocation::Reprinted),
            REVOKED_CANCELLED => Some(Revocation::Cancelled),
            _ => Some(Revocation::Staff),
        }
    }
}

/// Why a badge stopped being valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Revocation {
    Reprinted,
    Cancelled,
    Staff,
}

/// The printed badge number: the serial, and the version after a dash.
pub(crate) fn badge_number(serial: i64, version: i32) -> String {
    format!("{serial:07}-{version}")
}

/// How a badge is looked up.
#[derive(Debug, Clone)]
pub enum BadgeKey {
    Badge(BadgeId),
    Participant(ParticipantId),
    /// A printed number: a serial, and its version when given.
    Number {
        serial: i64,
        version: Option<i32>,
    },
    /// A badge's scanned code, trusted only if its signature holds.
    Scanned(String),
}

impl BadgeKey {
    /// A printed badge number: `0001042-2` (serial and version) or `1042`
    /// (the serial's newest version); spaces ignored.
    pub fn number(text: &str) -> Option<BadgeKey> {
        let text: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        let (serial, version) = match text.split_once('-') {
            Some((s, v)) => (s, Some(v)),
            None => (text.as_str(), None),
        };
        let serial: i64 = serial.parse().ok().filter(|s| *s > 0)?;
        let version = match version {
            Some(v) => Some(v.parse::<i32>().ok().filter(|v| *v > 0)?),
            None => None,
        };
        Some(BadgeKey::Number { serial, version })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum IssueMode {
    /// Always a new version; a valid badge is revoked (REPRINTED). Printed
    /// with the category's template when it has one.
    Reprint,
    /// As `Reprint`, printed with a built-in layout the desk chose.
    ReprintBuiltIn,
    /// Keep valid badges as they are; issue the missing ones (printed on
    /// built-in sheets).
    Missing,
}

fn revocation_error(source: &IssueSource) -> AppError {
    AppError::precondition(
        Reason::ParticipantCancelled,
        format!(
            "participant {} is cancelled: no badge",
            source.participant_id
        ),
    )
    .with_metadata("participant_id", source.participant_id.to_string())
}

/// "14–16 April 2026 · Uzexpocentre, Tashkent".
pub(crate) fn event_line(first: NaiveDate, last: NaiveDate, venue: &str) -> String {
    let dates = if first == last {
        first.format("%-d %B %Y").to_string()
    } else if first.year() == last.year() && first.month() == last.month() {
        format!("{}–{}", first.format("%-d"), last.format("%-d %B %Y"))
    } else if first.year() == last.year() {
        format!("{} – {}", first.format("%-d %B"), last.format("%-d %B %Y"))
    } else {
        format!(
            "{} – {}",
            first.format("%-d %B %Y"),
            last.format("%-d %B %Y")
        )
    };
    if venue.is_empty() {
        dates
    } else {
        format!("{dates} · {venue}")
    }
}

pub(crate) fn country_name(code: &str) -> String {
    isocountry::CountryCode::for_alpha2(code)
        .map(|c| c.name().to_owned())
        .unwrap_or_else(|_| code.to_owned())
}

/// The claims of a new badge. FAILED_PRECONDITION when the category's days
/// do not fit a token.
fn claims_for(
    source: &IssueSource,
    key_id: u32,
    serial: i64,
    version: i32,
) -> AppResult<BadgeClaims> {
    let mut days: Vec<NaiveDate> = source.valid_days.iter().flatten().copied().collect();
    if days.is_empty() {
        days = source
            .first_day
            .iter_days()
            .take_while(|d| *d <= source.last_day)
            .collect();
    }
    let (first_day, day_bits) = BadgeClaims::day_bits(&days).ok_or_else(|| {
        AppError::precondition(
            Reason::ValidDaysTooWide,
            format!(
                "category {} spans more than {} days: a badge cannot carry them",
                source.category_code,
                super::qr::MAX_DAYS
            ),
        )
    })?;
    let zones = source
        .zone_numbers
        .iter()
        .filter(|n| (1..=i16::from(super::qr::MAX_ZONES)).contains(n))
        .fold(0u64, |bits, n| bits | 1 << (n - 1));
    let out_of_range = || AppError::internal(anyhow::anyhow!("badge field out of range"));
    Ok(BadgeClaims {
        key_id,
        event_tag: event_tag(source.event_id),
        serial: u32::try_from(serial).map_err(|_| out_of_range())?,
        version: u16::try_from(version).map_err(|_| out_of_range())?,
        category: u8::try_from(source.category_number).map_err(|_| out_of_range())?,
        zones,
        first_day,
        days: day_bits,
    })
}

/// The answers a badge prints: fields on the badge always, or where the
/// holder asked for it.
fn badge_answers(source: &IssueSource, fields: &EventFields) -> Vec<String> {
    if fields.is_empty() {
        return Vec::new();
    }
    let answers = crate::domain::fields::answers::from_json(&source.answers);
    shown_answers(
        fields,
        &source.category_code,
        &answers,
        crate::words::Lang::En,
        |p, a| match p.badge {
            OnBadge::Always => true,
            OnBadge::Choice => a.b,
            OnBadge::Never => false,
        },
    )
    .into_iter()
    .map(|s| s.text)
    .collect()
}

/// The answers a template may place by key: the shown value, without
/// the label (a template prints its own).
fn shown_values(source: &IssueSource, fields: &EventFields) -> BTreeMap<String, String> {
    if fields.is_empty() {
        return BTreeMap::new();
    }
    let answers = crate::domain::fields::answers::from_json(&source.answers);
    answers
        .iter()
        .filter(|(_, a)| a.x.is_some())
        .filter(|(key, _)| {
            fields.get(key).is_some_and(|f| {
                f.def.sensitivity <= crate::domain::fields::Sensitivity::Public
                    && f.def.placement(Some(&source.category_code)).is_some()
            })
        })
        .map(|(key, a)| {
            let text =
                crate::domain::fields::answers::display(fields, key, a, crate::words::Lang::En);
            (key.clone(), text)
        })
        .collect()
}

/// The days a badge is valid, one line: the category's own days, or the
/// event's span.
fn days_line(source: &IssueSource) -> String {
    let mut days: Vec<NaiveDate> = source.valid_days.iter().flatten().copied().collect();
    days.sort();
    days.dedup();
    if days.is_empty() {
        return event_line(source.first_day, source.last_day, "");
    }
    let last = days.len() - 1;
    days.iter()
        .enumerate()
        .map(|(i, d)| {
            if i == last || d.month() != days[i + 1].month() {
                d.format("%-d %B").to_string()
            } else {
                d.format("%-d").to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// What a badge of `source` shows; `badge` is the badge it is printed
/// as, or `None` for a preview of one not issued yet (a sample number and
/// a code no gate accepts).
pub(crate) fn preview_card(
    source: &IssueSource,
    badge: Option<BadgeRow>,
    fields: &EventFields,
) -> BadgeCard {
    match badge {
        Some(row) => card_for(source, &row, fields),
        None => card_for_number(
            source,
            badge_number(0, 0),
            templates::sample_qr(source.first_day),
            fields,
        ),
    }
}

fn card_for(source: &IssueSource, badge: &BadgeRow, fields: &EventFields) -> BadgeCard {
    card_for_number(
        source,
        badge_number(badge.serial, badge.version),
        badge.qr_text.clone(),
        fields,
    )
}

fn card_for_number(
    source: &IssueSource,
    number: String,
    qr_text: String,
    fields: &EventFields,
) -> BadgeCard {
    let shown = badge_answers(source, fields);
    BadgeCard {
        values: shown_values(source, fields),
        answers: shown,
        zones: source.zone_names.clone(),
        days: days_line(source),
        event_name: source.event_name.clone(),
        event_line: event_line(source.first_day, source.last_day, &source.event_venue),
        given_name: source.given_name.clone(),
        family_name: source.family_name.clone(),
        native_name: source.native_name.clone(),
        organization: source.organization.clone().unwrap_or_default(),
        country_code: source.country.clone(),
        country_name: country_name(&source.country),
        category_name: source.category_name.clone(),
        category_names_also: names_also(
            &source.category_name,
            [&source.category_name_ru, &source.category_name_uz],
        ),
        category_color: source.category_color.clone(),
        number,
        qr_text,
        photo: source.photo.clone().map(bytes::Bytes::from),
    }
}

/// The names a badge prints under `first`: each one given, once, and not
/// `first` again (compared as printed, in capitals).
fn names_also<'a>(first: &str, others: impl IntoIterator<Item = &'a String>) -> Vec<String> {
    let mut seen = vec![first.trim().to_uppercase()];
    let mut also = Vec::new();
    for name in others {
        let name = name.trim();
        let key = name.to_uppercase();
        if name.is_empty() || seen.contains(&key) {
            continue;
        }
        seen.push(key);
        also.push(name.to_owned());
    }
    also
}

/// A badge issued or re-used, with what its card shows.
struct Issued {
    row: BadgeRow,
    card: BadgeCard,
    category_code: String,
    /// The category's badge, when the desk asks for none in particular.
    layout: Layout,
    /// The template and version the badge prints with, when not a
    /// built-in layout.
    template: Option<(String, i32)>,
}

impl Issued {
    fn new(source: &IssueSource, row: BadgeRow, fields: &EventFields) -> Self {
        Self {
            card: card_for(source, &row, fields),
            category_code: source.category_code.clone(),
            layout: match CategoryLayout::parse(&source.badge_layout) {
                Some(CategoryLayout::Card) => Layout::Card,
                Some(CategoryLayout::A6) | None => Layout::A6,
            },
            template: row.template_code.clone().zip(row.template_version),
            row,
        }
    }
}

impl Services {
    /// Issues (or re-uses) the badges of `ids` in one transaction; returns
    /// them in the order of `ids`, each with what its card shows. Cancelled
    /// participants fail the batch in `Reprint` mode and are left out in
    /// `Missing` mode.
    async fn issue_batch(
        &self,
        actor: &Principal,
        ids: &[ParticipantId],
        mode: IssueMode,
    ) -> AppResult<Vec<Issued>> {
        let mut conn = self.db.get().await?;
        let services = self.clone();
        let actor = actor.clone();
        let ids = ids.to_vec();
        crate::domain::transaction(&mut conn, async move |conn| {
            services.issue_in(conn, &actor, &ids, mode).await
        })
        .await
    }

    async fn issue_in(
        &self,
        conn: &mut Conn,
        actor: &Principal,
        ids: &[ParticipantId],
        mode: IssueMode,
    ) -> AppResult<Vec<Issued>> {
        let sources = db::badges::lock_sources(conn, ids).await?;
        let mut fields: HashMap<EventId, Arc<EventFields>> = HashMap::new();
        for source in &sources {
            actor.require_event(source.event_id)?;
            if let std::collections::hash_map::Entry::Vacant(slot) = fields.entry(source.event_id) {
                slot.insert(self.event_fields(conn, source.event_id).await?);
            }
        }
        let no_fields = EventFields::default();
        let fields_of = |e: &EventId| fields.get(e).map_or(&no_fields, |f| f.as_ref());
        let mut keep = Vec::new();
        let mut fresh = Vec::new();
        for source in &sources {
            if source.status != ParticipantStatus::Active {
                if mode != IssueMode::Missing {
                    return Err(revocation_error(source));
                }
                tracing::info!(participant = %source.participant_id, "cancelled while printing: left out");
                continue;
            }
            match (mode, source.current_badge_id) {
                (IssueMode::Missing, Some(badge_id)) => keep.push((source, badge_id)),
                _ => fresh.push(source),
            }
        }

        let mut out: HashMap<ParticipantId, Issued> = HashMap::with_capacity(sources.len());
        if !keep.is_empty() {
            let ids: Vec<BadgeId> = keep.iter().map(|(_, id)| *id).collect();
            let rows = db::badges::find_many(conn, &ids).await?;
            let by_id: HashMap<BadgeId, BadgeRow> =
                rows.into_iter().map(|(r, _)| (r.id, r)).collect();
            for (source, badge_id) in keep {
                if let Some(row) = by_id.get(&badge_id) {
                    let issued = Issued::new(source, row.clone(), fields_of(&source.event_id));
                    out.insert(source.participant_id, issued);
                }
            }
        }

        if !fresh.is_empty() {
            let now = super::now();
            let replaced: Vec<ParticipantId> = fresh
                .iter()
                .filter(|s| s.current_badge_id.is_some())
                .map(|s| s.participant_id)
                .collect();
            let revoked = if replaced.is_empty() {
                Vec::new()
            } else {
                db::badges::revoke_current(conn, &replaced, REVOKED_REPRINTED, "", now).await?
            };
            let mut serials = db::badges::next_serials(
                conn,
                fresh.iter().filter(|s| s.last_serial.is_none()).count(),
            )
            .await?
            .into_iter();
            let mut signers = HashMap::new();
            let mut rows = Vec::with_capacity(fresh.len());
            for source in &fresh {
                if let std::collections::hash_map::Entry::Vacant(slot) =
                    signers.entry(source.event_id)
                {
                    slot.insert(self.active_signer(conn, source.event_id).await?);
                }
                let (key_id, key) = &signers[&source.event_id];
                let serial = match source.last_serial {
                    Some(serial) => serial,
                    None => serials
                        .next()
                        .ok_or_else(|| AppError::internal(anyhow::anyhow!("serials ran out")))?,
                };
                let version = source.last_version.map_or(1, |v| v + 1);
                let claims = claims_for(source, *key_id, serial, version)?;
                let qr_text = claims
                    .sign(key)
                    .ok_or_else(|| AppError::internal(anyhow::anyhow!("badge day out of range")))?;
                let row = BadgeRow {
                    id: BadgeId::generate(),
                    event_id: source.event_id,
                    participant_id: source.participant_id,
                    serial,
                    version,
                    key_id: i64::from(*key_id),
                    category_id: source.category_id,
                    qr_text,
                    issued_at: now,
                    revoked_at: None,
                    revocation_reason: None,
                    revocation_note: String::new(),
                    template_code: None,
                    template_version: None,
                };
                let row = match (&source.template_code, source.template_version) {
                    (Some(code), Some(version)) if mode == IssueMode::Reprint => BadgeRow {
                        template_code: Some(code.clone()),
                        template_version: Some(version),
                        ..row
                    },
                    _ => row,
                };
                let issued = Issued::new(source, row.clone(), fields_of(&source.event_id));
                out.insert(source.participant_id, issued);
                rows.push(row);
            }
            db::badges::insert_many(conn, &rows).await?;
            let mut audit: Vec<NewAuditEntry<'_>> = rows
                .iter()
                .map(|r| audit_row(actor, "badge.issue", "badge", r.id, ""))
                .collect();
            audit.extend(
                revoked
                    .iter()
                    .map(|id| audit_row(actor, "badge.revoke", "badge", *id, "")),
            );
            db::audit::record_many(conn, &audit).await?;
        }

        Ok(ids.iter().filter_map(|id| out.remove(id)).collect())
    }

    /// Issues the badge of a participant: a new version each time, the
    /// previous one revoked (REPRINTED). Returns the badge and its PDF.
    pub async fn issue_badge(
        &self,
        actor: &Principal,
        participant_id: ParticipantId,
        layout: Option<Layout>,
    ) -> AppResult<(BadgeView, Vec<u8>)> {
        let mode = match layout {
            Some(_) => IssueMode::ReprintBuiltIn,
            None => IssueMode::Reprint,
        };
        let mut issued = self.issue_batch(actor, &[participant_id], mode).await?;
        let Some(Issued {
            row,
            card,
            category_code,
            layout: category_layout,
            template,
        }) = issued.pop()
        else {
            return Err(AppError::not_found(
                Reason::ParticipantNotFound,
                format!("no participant {participant_id}"),
            ));
        };
        let title = format!("Badge {}", card.number);
        let mut conn = self.db.get().await?;
        let pdf = match template {
            Some((code, version)) => {
                let template = self
                    .published_template(&mut conn, row.event_id, &code, version)
                    .await?;
                let assets = self.template_assets(row.event_id);
                tokio::task::spawn_blocking(move || {
                    render::render_template_pdf(&[card], &template, &assets, &title)
                })
                .await
            }
            None => {
                let layout = layout.unwrap_or(category_layout);
                tokio::task::spawn_blocking(move || render::render_pdf(&[card], layout, &title))
                    .await
            }
        }
        .map_err(AppError::internal)?
        .map_err(AppError::internal)?;
        let block_reason = db::gates::block_reason(&mut conn, row.serial).await?;
        Ok((
            BadgeView {
                row,
                category_code,
                block_reason,
            },
            pdf,
        ))
    }

    /// A badge by id, or the latest badge of a participant.
    pub async fn get_badge(&self, key: BadgeKey) -> AppResult<BadgeView> {
        let mut conn = self.db.get().await?;
        let found = match key {
            BadgeKey::Badge(id) => db::badges::find(&mut conn, id).await?,
            BadgeKey::Participant(id) => db::badges::latest_for(&mut conn, id).await?,
            BadgeKey::Number { serial, version } => {
                db::badges::find_by_serial(&mut conn, serial, version).await?
            }
            BadgeKey::Scanned(text) => {
                let Ok(token) =
                    super::qr::ParsedToken::parse(super::qr::ParsedToken::scanned(&text))
                else {
                    return Err(AppError::not_found(Reason::BadgeNotFound, "no such badge"));
                };
                let found = db::badges::find_by_serial(
                    &mut conn,
                    i64::from(token.claims.serial),
                    Some(i32::from(token.claims.version)),
                )
                .await?;
                drop(conn);
                // Trusted only when its event's keys verify it.
                let trusted = match &found {
                    Some((row, _)) => {
                        let rules = self.gate_rules(row.event_id).await?;
                        rules
                            .keys
                            .get(&token.claims.key_id)
                            .is_some_and(|k| token.verify(k).is_ok())
                    }
                    None => false,
                };
                conn = self.db.get().await?;
                found.filter(|_| trusted)
            }
        };
        let (row, category_code) =
            found.ok_or_else(|| AppError::not_found(Reason::BadgeNotFound, "no such badge"))?;
        let block_reason = db::gates::block_reason(&mut conn, row.serial).await?;
        Ok(BadgeView {
            row,
            category_code,
            block_reason,
        })
    }

    /// Revokes a badge (staff). Revoking a revoked badge changes nothing.
    pub async fn revoke_badge(
        &self,
        actor: &Principal,
        badge_id: BadgeId,
        note: String,
    ) -> AppResult<BadgeView> {
        let id = badge_id;
        let mut conn = self.db.get().await?;
        let actor = actor.clone();
        let badge = crate::domain::transaction(&mut conn, async move |conn| {
            let badge = existing_badge(conn, id).await?;
            actor.require_event(badge.event_id)?;
            if db::badges::revoke(conn, id, REVOKED_STAFF, &note, super::now()).await? {
                db::audit::record(conn, &audit_row(&actor, "badge.revoke", "badge", id, ""))
                    .await?;
            }
            Ok(badge)
        })
        .await?;
        drop(conn);
        if let (Ok(serial), Ok(version)) =
            (u32::try_from(badge.serial), u16::try_from(badge.version))
        {
            self.applied_here(super::hub::GateEvent::Revoked {
                event_id: badge.event_id,
                serial,
                version,
                badge_id: id,
            });
        }
        self.get_badge(BadgeKey::Badge(id)).await
    }
}

/// A badge by id, or `BADGE_NOT_FOUND`.
pub(crate) async fn existing_badge(conn: &mut Conn, id: BadgeId) -> AppResult<BadgeRow> {
    db::badges::find(conn, id)
        .await?
        .map(|(badge, _)| badge)
        .ok_or_else(|| AppError::not_found(Reason::BadgeNotFound, format!("no badge {id}")))
}

/// Revokes the valid badge of a cancelled participant, inside the
/// cancelling transaction.
pub(crate) async fn revoke_for_cancel(
    conn: &mut Conn,
    actor: &Principal,
    participant_id: ParticipantId,
) -> AppResult<()> {
    let revoked =
        db::badges::revoke_current(conn, &[participant_id], REVOKED_CANCELLED, "", super::now())
            .await?;
    for id in revoked {
        db::audit::record(conn, &audit_row(actor, "badge.revoke", "badge", id, "")).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::names_also;

    #[test]
    fn a_badge_prints_each_other_name_once_and_not_the_first_again() {
        let names = |ru: &str, uz: &str| names_also("Visitor", [&ru.to_owned(), &uz.to_owned()]);
        assert_eq!(
            names("Посетитель", "Tashrif buyuruvchi"),
            ["Посетитель", "Tashrif buyuruvchi"]
        );
        assert_eq!(names("", " "), Vec::<String>::new());
        assert_eq!(names("VISITOR", "visitor"), Vec::<String>::new());
        assert_eq!(names("Пресса", "Пресса"), ["Пресса"]);
        assert_eq!(names("", "Matbuot"), ["Matbuot"]);
    }
}
