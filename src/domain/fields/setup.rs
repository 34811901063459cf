//! Defining an event's fields, and the answers as the use cases store and
//! read them: cached definitions, sealed secrets, searchable text.

use std::{
    collections::{BTreeMap, HashSet},
    sync::Arc,
};

use serde_json::Value;

use super::{
    Answers, EventFields, FieldDef, FieldDraft, Kind, Sensitivity,
    answers::{Asked, Given, check_answers, from_json, to_json},
    check_set,
};
use crate::{
    db::{self, Conn},
    domain::{
        Principal, Role, Services, records::audit_row, secrets::DocumentVault, validate::Validator,
    },
    error::{AppError, AppResult, FieldViolation},
    ids::EventId,
};

/// A field as the set-up calls answer it.
#[derive(Debug, Clone)]
pub struct FieldView {
    pub def: FieldDef,
    pub version: i32,
    /// Records holding an answer to it (any version).
    pub answered: i64,
}

impl Services {
    /// The event's fields, every version; cached while notifications are
    /// heard (a change anywhere clears it).
    pub(crate) async fn event_fields(
        &self,
        conn: &mut Conn,
        event_id: EventId,
    ) -> AppResult<Arc<EventFields>> {
        let listening = self.hub.is_listening();
        if listening && let Some(found) = crate::domain::cached(&self.hub.fields, &event_id) {
            return Ok(found);
        }
        let rows = db::fields::all_versions(conn, event_id).await?;
        let fields = Arc::new(EventFields::new(parse_rows(rows)));
        if listening {
            crate::domain::remember(&self.hub.fields, event_id, fields.clone());
        }
        Ok(fields)
    }

    /// The event's fields, newest versions, in order.
    pub async fn list_fields(
        &self,
        caller: &Principal,
        event_id: EventId,
    ) -> AppResult<Vec<FieldView>> {
        caller.require_event(event_id)?;
        let mut conn = self.db.get().await?;
        self.event(&mut conn, event_id).await?;
        let fields = self.event_fields(&mut conn, event_id).await?;
        let mut out = Vec::with_capacity(fields.current.len());
        for f in &fields.current {
            let answered = if caller.role == Role::Admin {
                db::fields::answered(&mut conn, event_id, &f.def.key).await?
            } else {
                0
            };
            out.push(FieldView {
                def: f.def.clone(),
                version: f.version,
                answered,
            });
        }
        Ok(out)
    }

    /// Adds or changes one field (violations under `field.`). A change to
    /// a field with answers adds a version; a new position alone does not.
    pub async fn upsert_field(
        &self,
        actor: &Principal,
        event_id: EventId,
        draft: FieldDraft,
    ) -> AppResult<FieldView> {
        actor.require_event(event_id)?;
        let mut conn = self.db.get().await?;
        let code = self.event(&mut conn, event_id).await?.code;
        let view = crate::domain::transaction(&mut conn, async move |conn| {
            db::event_file::lock_event(conn, &code).await?;
            let categories: HashSet<String> = db::events::list_categories(conn, event_id)
                .await?
                .into_iter()
                .map(|c| c.code)
                .collect();
            let mut v = Validator::new();
            let def = draft.check(&mut v, "field.", &categories);
            v.finish()?;
            let newest = newest(conn, event_id).await?;
            let mut all: Vec<FieldDef> = newest
                .iter()
                .filter(|(d, _)| d.key != def.key)
                .map(|(d, _)| d.clone())
                .collect();
            all.push(def.clone());
            let mut v = Validator::new();
            let last = all.len() - 1;
            check_set(&mut v, &all, |i| {
                if i == last {
                    "field.".to_owned()
                } else {
                    format!("fields.{}.", all[i].key)
                }
            });
            v.finish()?;
            let before = newest.iter().find(|(d, _)| d.key == def.key);
            // A new field without a position goes after the others.
            let mut def = def;
            if before.is_none() && def.position == 0 {
                let last = newest.iter().map(|(d, _)| d.position).max().unwrap_or(0);
                def.position = (last + 10).min(10_000);
            }
            let version = write_field(conn, event_id, &def, before.map(|(d, v)| (d, *v))).await?;
            let entry = audit_row(actor, "field.upsert", "event", event_id.0, "");
            db::audit::record_with_details(
                conn,
                &entry,
                &serde_json::json!({"key": def.key, "version": version}),
            )
            .await?;
            let answered = db::fields::answered(conn, event_id, &def.key).await?;
            Ok(FieldView {
                def,
                version,
                answered,
            })
        })
        .await?;
        self.rules_changed_here(event_id);
        Ok(view)
    }

    /// Checks `given` against the event's fields and merges it into
    /// `stored`: the answers to store (secrets sealed) and their
    /// searchable text; every violation at once, named `answers.<key>`.
    pub(crate) fn settle_answers(
        &self,
        fields: &EventFields,
        asked: Asked<'_>,
        stored: &Value,
        given: &BTreeMap<String, Given>,
    ) -> AppResult<(Value, String)> {
        let stored = match stored {
            Value::Object(map) if map.is_empty() => Answers::new(),
            other => from_json(other),
        };
        if given.is_empty() && !asked.check_required {
            return Ok((to_json(&stored), search_text(&stored, fields)));
        }
        let merged = check_answers(fields, asked, &stored, given).map_err(|problems| {
            AppError::invalid_fields(
                problems
                    .into_iter()
                    .map(|(path, v)| FieldViolation::new(path, &v))
                    .collect(),
            )
        })?;
        let text = search_text(&merged, fields);
        let mut sealed = Answers::new();
        for (key, mut answer) in merged {
            let secret = fields
                .version(&key, answer.v)
                .is_some_and(|f| f.def.sensitivity == Sensitivity::Secret);
            if secret && let Some(x) = answer.x.take() {
                use base64::Engine as _;
                let plain = serde_json::to_string(&x).map_err(AppError::internal)?;
                let cipher = self.vault.encrypt(&plain)?;
                answer.s = Some(base64::engine::general_purpose::STANDARD.encode(cipher));
            }
            sealed.insert(key, answer);
        }
        Ok((to_json(&sealed), text))
    }

    /// The answers `caller` may read: secrets (opened) for organisers
    /// only, nothing for gates.
    pub(crate) fn readable_answers(&self, caller: &Principal, stored: &Value) -> Answers {
        let mut answers = from_json(stored);
        match caller.role {
            Role::Admin => {
                for answer in answers.values_mut() {
                    if let Some(sealed) = answer.s.take() {
                        answer.x = self.open(&sealed);
                    }
                }
            }
            Role::Desk => answers.retain(|_, a| a.s.is_none()),
            _ => answers.clear(),
        }
        answers
    }

    /// A sealed answer opened; `None` when it does not open.
    pub(crate) fn open(&self, sealed: &str) -> Option<Value> {
        open_sealed(&self.vault, sealed)
    }
}

/// A secret answer opened with the document key; `None` when it does not
/// open.
pub(crate) fn open_sealed(vault: &DocumentVault, sealed: &str) -> Option<Value> {
    use base64::Engine as _;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(sealed)
        .ok()?;
    let plain = vault.decrypt(&bytes).ok()?;
    serde_json::from_str(&plain).ok()
}

/// The text desks find a participant by: public and internal answers that
/// name the person (a press card, a plate, a hotel, an email), not the
/// choices and numbers thousands share, which a name search would drown
/// in.
fn search_text(answers: &Answers, fields: &EventFields) -> String {
    let mut text = String::new();
    for (key, answer) in answers {
        let Some(field) = fields.version(key, answer.v) else {
            continue;
        };
        let def = &field.def;
        let searchable = def.sensitivity <= Sensitivity::Internal
            && matches!(def.kind, Kind::Text | Kind::Email | Kind::Phone);
        if let (true, Some(Value::String(s))) = (searchable, &answer.x) {
            if !text.is_empty() {
                text.push(' ');
            }
            text.push_str(s);
        }
    }
    text
}

fn parse_rows(rows: Vec<db::fields::FieldRow>) -> Vec<(FieldDef, i32)> {
    rows.into_iter()
        .filter_map(|r| {
            let def: FieldDef = serde_json::from_value(r.definition).ok()?;
            Some((def, r.version))
        })
        .collect()
}

/// The newest version of each of the event's fields.
pub(crate) async fn newest(conn: &mut Conn, event_id: EventId) -> AppResult<Vec<(FieldDef, i32)>> {
    Ok(parse_rows(db::fields::newest(conn, event_id).await?))
}

/// Stores `def` over `before` (its newest stored version): nothing when
/// equal, in place when only the position changed or nobody answered it,
/// else as a new version. Returns the version now newest.
pub(crate) async fn write_field(
    conn: &mut Conn,
    event_id: EventId,
    def: &FieldDef,
    before: Option<(&FieldDef, i32)>,
) -> AppResult<i32> {
    let json = serde_json::to_value(def).map_err(AppError::internal)?;
    match before {
        None => {
            db::fields::insert(conn, event_id, &def.key, 1, &json).await?;
            Ok(1)
        }
        Some((old, version)) if old == def => Ok(version),
        Some((old, version)) if old.same_meaning(def) => {
            db::fields::rewrite(conn, event_id, &def.key, version, &json).await?;
            Ok(version)
        }
        Some((_, version)) => {
            if db::fields::answered(conn, event_id, &def.key).await? > 0 {
                db::fields::insert(conn, event_id, &def.key, version + 1, &json).await?;
                Ok(version + 1)
            } else {
                db::fields::rewrite(conn, event_id, &def.key, version, &json).await?;
                Ok(version)
            }
        }
    }
}
