//! Badge templates as an event keeps them: a draft per code that the
//! designer rewrites, published versions that never change, and the
//! category that prints with each. Drawing is `render::template`'s.

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};

use crate::domain::{
    Principal, Services,
    ids::{EventId, ParticipantId},
    qr::BadgeClaims,
    records::audit_row,
};
use crate::{
    db::{self, Conn, templates::TemplateRow},
    error::{AppError, AppResult, FieldViolation, Reason},
    render::{
        BadgeCard,
        template::{Assets, Problem, ProblemKind, Template},
    },
    words::Violation,
};

/// Previews show at most this many participants.
pub(crate) const MAX_PREVIEW: usize = 8;
/// Published versions kept parsed, across events.
const CACHED_TEMPLATES: usize = 512;

/// One version of a template; version 0 is the draft.
#[derive(Debug, Clone)]
pub(crate) struct TemplateView {
    pub code: String,
    pub name: String,
    pub version: i32,
    pub document: Template,
    pub saved_at: DateTime<Utc>,
    pub published_at: Option<DateTime<Utc>>,
}

/// An event's templates and where they are used.
#[derive(Debug, Clone, Default)]
pub(crate) struct TemplateList {
    /// Every version, by code: the draft first, then published ones,
    /// newest first.
    pub templates: Vec<TemplateView>,
    /// (category code, template code).
    pub assignments: Vec<(String, String)>,
}

/// What a preview draws.
#[derive(Debug, Clone)]
pub(crate) enum PreviewOf {
    /// A document not saved yet: what the designer shows while editing.
    Document(Template),
    /// A stored version (0: the draft).
    Stored { code: String, version: i32 },
}

/// A preview: the PDF, a page per card side, and what the validator
/// found.
#[derive(Debug, Clone)]
pub(crate) struct Preview {
    pub pdf: Vec<u8>,
    /// The names shown, in order.
    pub names: Vec<String>,
    pub problems: Vec<FieldViolation>,
}

/// Published versions, parsed, by (event, code, version): they never
/// change, so an entry is never stale.
#[derive(Default)]
pub(crate) struct TemplateCache {
    parsed: std::sync::RwLock<std::collections::HashMap<(EventId, String, i32), Arc<Template>>>,
}

impl TemplateCache {
    fn get(&self, key: &(EventId, String, i32)) -> Option<Arc<Template>> {
        crate::domain::cached(&self.parsed, key)
    }

    fn put(&self, key: (EventId, String, i32), template: Arc<Template>) {
        if let Ok(mut map) = self.parsed.write() {
            if map.len() >= CACHED_TEMPLATES {
                map.clear();
            }
            map.insert(key, template);
        }
    }
}

/// The validator's findings as field violations under `prefix`.
pub(crate) fn violations(problems: &[Problem], prefix: &str) -> Vec<FieldViolation> {
    problems
        .iter()
        .map(|p| {
            let field = if p.path.is_empty() {
                prefix.trim_end_matches('.').to_owned()
            } else {
                format!("{prefix}{}", p.path)
            };
            FieldViolation::new(field, &violation(&p.kind))
        })
        .collect()
}

fn number(v: f32) -> String {
    let rounded = (v * 10.0).round() / 10.0;
    if rounded.fract() == 0.0 {
        format!("{rounded:.0}")
    } else {
        format!("{rounded:.1}")
    }
}

fn violation(kind: &ProblemKind) -> Violation {
    match kind {
        ProblemKind::Unreadable(detail) => Violation::Unreadable {
            detail: detail.chars().take(300).collect(),
        },
        ProblemKind::OutOfRange { min, max } => Violation::NotBetween {
            min: number(*min),
            max: number(*max),
        },
        ProblemKind::OutsidePage => Violation::OutsidePage,
        ProblemKind::QrTooSmall { min } => Violation::QrTooSmall {
            min_mm: min.ceil() as u32,
        },
        ProblemKind::CoversQr => Violation::CoversQr,
        ProblemKind::NoQr => Violation::NoQr,
        ProblemKind::SecondQr => Violation::SecondQr,
        ProblemKind::UnknownBinding => Violation::UnknownBinding,
        ProblemKind::NotAColor => Violation::NotAColor,
        ProblemKind::UnknownSource => Violation::UnknownAsset,
        ProblemKind::UnknownLanguage => Violation::OneOf {
            choices: "en, ru or uz",
        },
        ProblemKind::TooManyElements { max } => Violation::AtMost { max: *max as u64 },
        ProblemKind::BadText => Violation::NotPrintable,
        ProblemKind::DoesNotFit { sample } => Violation::DoesNotFit {
            sample: sample.chars().take(80).collect(),
        },
    }
}

/// A template document from its bytes: JSON when it opens with `{`,
/// TOML otherwise. INVALID_ARGUMENT under `field` when it does not read.
pub(crate) fn parse_document(field: &str, bytes: &[u8]) -> AppResult<Template> {
    let unreadable = |detail: String| {
        AppError::invalid_fields(vec![FieldViolation::new(
            field,
            &Violation::Unreadable {
                detail: detail.chars().take(300).collect(),
            },
        )])
    };
    let text = std::str::from_utf8(bytes).map_err(|_| unreadable("not UTF-8 text".into()))?;
    let parsed = if text.trim_start().starts_with('{') {
        Template::from_json(text)
    } else {
        Template::from_toml(text)
    };
    parsed.map_err(|p| match p.kind {
        ProblemKind::Unreadable(detail) => unreadable(detail),
        other => AppError::invalid_fields(violations(
            &[Problem {
                path: p.path,
                kind: other,
            }],
            &format!("{field}."),
        )),
    })
}

fn view(row: TemplateRow) -> AppResult<TemplateView> {
    let document: Template = serde_json::from_value(row.document).map_err(AppError::internal)?;
    Ok(TemplateView {
        code: row.code,
        name: row.name,
        version: row.version,
        document,
        saved_at: row.saved_at,
        published_at: row.published_at,
    })
}

/// The names every template must hold: a long Latin name, an Arabic one,
/// a Chinese one; none with a photo. `event` and the category dress them
/// as the event's badges.
pub(crate) fn sample_cards(
    event: &db::models::Event,
    category: Option<&db::models::Category>,
) -> Vec<BadgeCard> {
    let line = super::event_line(event.first_day, event.last_day, &event.venue);
    let (category_name, category_color, also) = match category {
        Some(c) => (
            c.name.clone(),
            c.color.clone(),
            [&c.name_ru, &c.name_uz]
                .into_iter()
                .filter(|n| !n.trim().is_empty() && **n != c.name)
                .cloned()
                .collect(),
        ),
        None => (
            "Delegate".to_owned(),
            "#1F5FAF".to_owned(),
            vec!["Делегат".to_owned(), "Delegat".to_owned()],
        ),
    };
    let qr_text = sample_qr(event.first_day);
    let card = |given: &str, family: &str, native: &str, org: &str, country: &str| BadgeCard {
        event_name: event.name.clone(),
        event_line: line.clone(),
        given_name: given.to_owned(),
        family_name: family.to_owned(),
        native_name: native.to_owned(),
        organization: org.to_owned(),
        country_code: country.to_owned(),
        country_name: super::country_name(country),
        category_name: category_name.clone(),
        category_names_also: also.clone(),
        category_color: category_color.clone(),
        number: "0001042-1".to_owned(),
        qr_text: qr_text.clone(),
        photo: None,
        answers: Vec::new(),
        values: Default::default(),
        zones: vec!["Exhibition halls".to_owned(), "Plenary hall".to_owned()],
        days: String::new(),
    };
    vec![
        card(
            "Maximilian-Alexander",
            "von Hohenzollern-Sigmaringen",
            "",
            "Uzbekistan Metallurgical Combine Joint-Stock Company",
            "DE",
        ),
        card(
            "عبد الرحمن",
            "الهاشمي",
            "",
            "شركة الإمارات العالمية للألمنيوم",
            "AE",
        ),
        card(
            "Mingyuan",
            "Ouyang",
            "欧阳明远",
            "中国机械工业集团有限公司",
            "CN",
        ),
    ]
}

/// A QR as long as a real badge's, signed by a key no gate knows.
pub(crate) fn sample_qr(first_day: NaiveDate) -> String {
    let key = ed25519_dalek::SigningKey::from_bytes(&[7u8; 32]);
    let (first_day, days) = BadgeClaims::day_bits(&[first_day]).unwrap_or((first_day, 1));
    BadgeClaims {
        key_id: 0,
        event_tag: 0,
        serial: 1042,
        version: 1,
        category: 1,
        zones: 3,
        first_day,
        days,
    }
    .sign(&key)
    .unwrap_or_default()
}

fn not_found(code: &str, version: i32) -> AppError {
    let what = if version == 0 {
        format!("no draft of badge template {code}")
    } else {
        format!("no badge template {code} version {version}")
    };
    AppError::not_found(Reason::TemplateNotFound, what)
}

impl Services {
    /// A published version, parsed once.
    pub(crate) async fn published_template(
        &self,
        conn: &mut Conn,
        event_id: EventId,
        code: &str,
        version: i32,
    ) -> AppResult<Arc<Template>> {
        let key = (event_id, code.to_owned(), version);
        if let Some(found) = self.templates.get(&key) {
            return Ok(found);
        }
        let row = db::templates::find(conn, event_id, code, version)
            .await?
            .ok_or_else(|| not_found(code, version))?;
        let template = Arc::new(view(row)?.document);
        if version > 0 {
            self.templates.put(key, template.clone());
        }
        Ok(template)
    }

    /// The images an event's templates may use. None are stored yet.
    pub(crate) fn template_assets(&self, _event_id: EventId) -> Arc<Assets> {
        Arc::new(Assets::new())
    }

    /// The samples a template of the event is checked with.
    async fn samples_for(&self, conn: &mut Conn, event_id: EventId) -> AppResult<Vec<BadgeCard>> {
        let event = self.event(conn, event_id).await?;
        let categories = db::events::list_categories(conn, event_id).await?;
        Ok(sample_cards(&event, categories.first()))
    }

    /// What the validator finds in `document` (violations under
    /// `document.`), checked with the event's samples.
    pub(crate) async fn validate_template(
        &self,
        actor: &Principal,
        event_id: EventId,
        document: Template,
    ) -> AppResult<Vec<FieldViolation>> {
        actor.require_event(event_id)?;
        let mut conn = self.db.get().await?;
        let samples = self.samples_for(&mut conn, event_id).await?;
        drop(conn);
        let problems = tokio::task::spawn_blocking(move || document.check(&samples))
            .await
            .map_err(AppError::internal)?;
        Ok(violations(&problems, "document."))
    }

    /// Saves the draft of `code`, whatever the validator finds (a draft
    /// is work in progress); returns it with the findings.
    pub(crate) async fn save_template_draft(
        &self,
        actor: &Principal,
        event_id: EventId,
        code: String,
        name: String,
        document: Template,
    ) -> AppResult<(TemplateView, Vec<FieldViolation>)> {
        let problems = self
            .validate_template(actor, event_id, document.clone())
            .await?;
        let json = serde_json::to_value(&document).map_err(AppError::internal)?;
        let mut conn = self.db.get().await?;
        let actor = actor.clone();
        let row = crate::domain::transaction(&mut conn, async move |conn| {
            let row = db::templates::save_draft(conn, event_id, &code, &name, &json).await?;
            let entry = audit_row(&actor, "template.save", "event", event_id.0, "");
            db::audit::record_with_details(conn, &entry, &serde_json::json!({"code": code}))
                .await?;
            Ok(row)
        })
        .await?;
        Ok((view(row)?, problems))
    }

    /// Publishes the draft of `code` as its next version. INVALID_ARGUMENT
    /// with the validator's findings (under `document.`) when it would not
    /// print.
    pub(crate) async fn publish_template(
        &self,
        actor: &Principal,
        event_id: EventId,
        code: String,
    ) -> AppResult<TemplateView> {
        actor.require_event(event_id)?;
        let mut conn = self.db.get().await?;
        let event_code = self.event(&mut conn, event_id).await?.code;
        let draft = db::templates::find(&mut conn, event_id, &code, 0)
            .await?
            .ok_or_else(|| not_found(&code, 0))?;
        let draft = view(draft)?;
        let problems = self
            .validate_template(actor, event_id, draft.document.clone())
            .await?;
        if !problems.is_empty() {
            return Err(AppError::invalid_fields(problems));
        }
        let json = serde_json::to_value(&draft.document).map_err(AppError::internal)?;
        let actor = actor.clone();
        let row = crate::domain::transaction(&mut conn, async move |conn| {
            db::event_file::lock_event(conn, &event_code).await?;
            let row = db::templates::publish(conn, event_id, &code, &draft.name, &json).await?;
            let entry = audit_row(&actor, "template.publish", "event", event_id.0, "");
            db::audit::record_with_details(
                conn,
                &entry,
                &serde_json::json!({"code": code, "version": row.version}),
            )
            .await?;
            Ok(row)
        })
        .await?;
        view(row)
    }

    /// Makes `category_code` print with the newest published version of
    /// `template_code` (`None`: its built-in layout again).
    pub(crate) async fn assign_template(
        &self,
        actor: &Principal,
        event_id: EventId,
        category_code: String,
        template_code: Option<String>,
    ) -> AppResult<()> {
        actor.require_event(event_id)?;
        let mut conn = self.db.get().await?;
        self.event(&mut conn, event_id).await?;
        let actor = actor.clone();
        crate::domain::transaction(&mut conn, async move |conn| {
            if let Some(code) = &template_code
                && db::templates::newest_published(conn, event_id, code)
                    .await?
                    .is_none()
            {
                let any = db::templates::find(conn, event_id, code, 0).await?;
                return Err(match any {
                    Some(_) => AppError::precondition(
                        Reason::TemplateNotPublished,
                        format!("badge template {code} has no published version"),
                    ),
                    None => not_found(code, 0),
                });
            }
            if !db::templates::assign(conn, event_id, &category_code, template_code.as_deref())
                .await?
            {
                return Err(AppError::not_found(
                    Reason::CategoryNotFound,
                    format!("no category {category_code} in this event"),
                ));
            }
            let entry = audit_row(&actor, "template.assign", "event", event_id.0, "");
            db::audit::record_with_details(
                conn,
                &entry,
                &serde_json::json!({"category": category_code, "template": template_code}),
            )
            .await?;
            Ok(())
        })
        .await
    }

    /// The event's templates, every version, and their categories.
    pub(crate) async fn list_templates(
        &self,
        actor: &Principal,
        event_id: EventId,
    ) -> AppResult<TemplateList> {
        actor.require_event(event_id)?;
        let mut conn = self.db.get().await?;
        self.event(&mut conn, event_id).await?;
        let rows = db::templates::all(&mut conn, event_id).await?;
        let assignments = db::templates::assignments(&mut conn, event_id).await?;
        Ok(TemplateList {
            templates: rows.into_iter().map(view).collect::<AppResult<_>>()?,
            assignments: assignments
                .into_iter()
                .map(|a| (a.category_code, a.template_code))
                .collect(),
        })
    }

    /// Draws a template for some of the event's participants (their
    /// current badge, or a sample number and code when they have none),
    /// or for the built-in samples when none are named: the same drawing
    /// and the same file as `IssueBadge` makes.
    pub(crate) async fn preview_template(
        &self,
        actor: &Principal,
        event_id: EventId,
        of: PreviewOf,
        participants: Vec<ParticipantId>,
    ) -> AppResult<Preview> {
        actor.require_event(event_id)?;
        let mut conn = self.db.get().await?;
        let template = match of {
            PreviewOf::Document(t) => Arc::new(t),
            PreviewOf::Stored { code, version } => {
                self.published_template(&mut conn, event_id, &code, version)
                    .await?
            }
        };
        let samples = self.samples_for(&mut conn, event_id).await?;
        let cards = if participants.is_empty() {
            samples.clone()
        } else {
            self.preview_cards(&mut conn, event_id, &participants)
                .await?
        };
        drop(conn);
        let names = cards
            .iter()
            .map(|c| {
                format!("{} {}", c.given_name, c.family_name)
                    .trim()
                    .to_owned()
            })
            .collect();
        let assets = self.template_assets(event_id);
        let (pdf, problems) = tokio::task::spawn_blocking(move || {
            let problems = template.check(&samples);
            let title = match cards.as_slice() {
                [one] => format!("Badge {}", one.number),
                _ => "Badge preview".to_owned(),
            };
            crate::render::render_template_pdf(&cards, &template, &assets, &title)
                .map(|pdf| (pdf, problems))
        })
        .await
        .map_err(AppError::internal)?
        .map_err(AppError::internal)?;
        Ok(Preview {
            pdf,
            names,
            problems: violations(&problems, "document."),
        })
    }

    async fn preview_cards(
        &self,
        conn: &mut Conn,
        event_id: EventId,
        ids: &[ParticipantId],
    ) -> AppResult<Vec<BadgeCard>> {
        let sources = db::badges::sources(conn, ids).await?;
        let fields = self.event_fields(conn, event_id).await?;
        // The valid badges of the event's participants, in one read.
        let badge_ids: Vec<_> = sources
            .iter()
            .filter(|s| s.event_id == event_id)
            .filter_map(|s| s.current_badge_id)
            .collect();
        let badges: std::collections::HashMap<_, _> = db::badges::find_many(conn, &badge_ids)
            .await?
            .into_iter()
            .map(|(row, _)| (row.id, row))
            .collect();
        let mut violations = Vec::new();
        let mut cards = Vec::with_capacity(ids.len());
        for (i, id) in ids.iter().enumerate() {
            let field = format!("participant_ids[{i}]");
            let Some(source) = sources.iter().find(|s| s.participant_id == *id) else {
                violations.push(FieldViolation::with_reason(
                    field,
                    format!("no participant {id}"),
                    Reason::ParticipantNotFound,
                ));
                continue;
            };
            if source.event_id != event_id {
                violations.push(FieldViolation::new(
                    field,
                    &Violation::ParticipantOfAnotherEvent,
                ));
                continue;
            }
            let badge = source
                .current_badge_id
                .and_then(|id| badges.get(&id).cloned());
            cards.push(super::preview_card(source, badge, &fields));
        }
        if !violations.is_empty() {
            return Err(AppError::invalid_fields(violations));
        }
        Ok(cards)
    }
}
