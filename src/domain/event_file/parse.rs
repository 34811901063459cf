//! An event file's text read into an `EventDefinition`: every problem at
//! once, each named by its key path and line, with the same checks as the
//! set-up calls (codes, names, colours, days, countries).

use crate::db::models::CategoryLayout;
use std::collections::HashSet;

use chrono::NaiveDate;
use toml::{
    Spanned,
    de::{DeTable, DeValue},
};

use super::{
    CategorySpec, DelegationSpec, EventDefinition, EventSpec, GateSpec, KeyLines, OrganizationSpec,
    ZoneSpec,
};
use crate::{
    db::models::OrganizationKind,
    domain::{
        events::MAX_EVENT_DAYS,
        validate::{MAX_NAME, Validator},
    },
    error::{FieldViolation, Reason},
    words::Violation,
};

/// Largest event file, in bytes.
pub const MAX_FILE_BYTES: usize = 1024 * 1024;
/// Most problems named in one answer; the rest are counted.
const MAX_PROBLEMS: usize = 100;
/// Most zones of an event (a badge carries a bit per zone).
const MAX_ZONES: usize = 64;
/// Most categories of an event (a badge carries its number in a byte).
const MAX_CATEGORIES: usize = 255;
/// Largest quota of a category in a delegation.
const MAX_QUOTA: i64 = 100_000;

const SECTIONS: &[&str] = &[
    "event",
    "zones",
    "categories",
    "gates",
    "organizations",
    "delegations",
    "fields",
];

/// The file read: the definition with its keys' lines, or every problem
/// (fields "line N: key.path"), at most `MAX_PROBLEMS` of them plus one
/// that counts the rest.
pub fn parse(text: &str) -> Result<(EventDefinition, KeyLines), Vec<FieldViolation>> {
    let mut r = Reader::new(text);
    let (doc, errors) = DeTable::parse_recoverable(text);
    if !errors.is_empty() {
        for e in errors {
            let line = e.span().map(|s| r.line(s.start));
            let field = line.map_or_else(|| "file".to_owned(), |l| format!("line {l}"));
            let mut v = FieldViolation::new(field, &Violation::TomlSyntax);
            v.description = format!("is not valid TOML: {}", e.message());
            r.problems.push(v);
        }
        return Err(r.finish_problems());
    }
    let root = doc.get_ref();
    r.check_keys(root, "", SECTIONS);
    let event = r.event(root);
    let zones = r.zones(root);
    let zone_codes: HashSet<String> = zones.iter().map(|z| z.code.clone()).collect();
    let categories = r.categories(root, &zone_codes, event.as_ref());
    let category_codes: HashSet<String> = categories.iter().map(|c| c.code.clone()).collect();
    let gates = r.gates(root, &zone_codes);
    let organizations = r.organizations(root);
    let delegations = r.delegations(root, &category_codes);
    let fields = r.fields(root, text, &category_codes);
    match event {
        Some(event) if r.problems.is_empty() && r.v.is_empty() => Ok((
            EventDefinition {
                event,
                zones,
                categories,
                gates,
                organizations,
                delegations,
                fields,
            },
            r.lines,
        )),
        _ => Err(r.finish_problems()),
    }
}

/// A `[[fields]]` table with its dates and numbers as text, as a field
/// draft reads them.
fn field_value(value: toml::Value) -> toml::Value {
    let toml::Value::Table(mut t) = value else {
        return value;
    };
    for key in ["min", "max", "min_date", "max_date"] {
        if let Some(v) = t.get_mut(key) {
            let text = match &*v {
                toml::Value::Integer(n) => Some(n.to_string()),
                toml::Value::Float(f) => Some(f.to_string()),
                toml::Value::Datetime(d) => Some(d.to_string()),
                _ => None,
            };
            if let Some(text) = text {
                *v = toml::Value::String(text);
            }
        }
    }
    toml::Value::Table(t)
}

/// At most `MAX_PROBLEMS` problems, then one that counts the rest.
/// (its reason is the answer's own).
pub(super) fn bounded(mut problems: Vec<FieldViolation>, reason: Reason) -> Vec<FieldViolation> {
    let total = problems.len();
    if total > MAX_PROBLEMS {
        problems.truncate(MAX_PROBLEMS);
        problems.push(FieldViolation::with_reason(
            "file",
            format!("and {} more problems", total - MAX_PROBLEMS),
            reason,
        ));
    }
    problems
}

type Value<'i> = Spanned<DeValue<'i>>;

struct Reader<'t> {
    line_starts: Vec<usize>,
    lines: KeyLines,
    /// Problems already placed (syntax, types, unknown keys).
    problems: Vec<FieldViolation>,
    /// The value checks, by key path; placed at the end.
    v: Vec<FieldViolation>,
    _text: &'t str,
}

impl<'t> Reader<'t> {
    fn new(text: &'t str) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Self {
            line_starts,
            lines: KeyLines::default(),
            problems: Vec::new(),
            v: Vec::new(),
            _text: text,
        }
    }

    /// The 1-based line of a byte offset.
    fn line(&self, offset: usize) -> usize {
        self.line_starts.partition_point(|s| *s <= offset)
    }

    fn finish_problems(mut self) -> Vec<FieldViolation> {
        let checks = std::mem::take(&mut self.v);
        for mut v in checks {
            v.field = self.lines.field(&v.field);
            self.problems.push(v);
        }
        bounded(self.problems, Reason::InvalidField)
    }

    fn problem(&mut self, path: &str, violation: Violation) {
        let field = self.lines.field(path);
        self.problems.push(FieldViolation::new(field, &violation));
    }

    /// Notes the line of every key of `table` and names those it does
    /// not know.
    fn check_keys(&mut self, table: &DeTable<'_>, prefix: &str, known: &[&str]) {
        for (key, _) in table.iter() {
            let path = format!("{prefix}{}", key.get_ref());
            let line = self.line(key.span().start);
            self.lines.0.insert(path.clone(), line);
            if !known.contains(&key.get_ref().as_ref()) {
                self.problem(&path, Violation::UnknownKey);
            }
        }
    }

    fn validator(&self) -> Validator {
        Validator::new()
    }

    /// Keeps the value checks of one item.
    fn keep(&mut self, v: Validator) {
        self.v.extend(v.into_violations());
    }

    fn get<'a, 'i>(table: &'a DeTable<'i>, key: &str) -> Option<&'a Value<'i>> {
        table
            .iter()
            .find(|(k, _)| k.get_ref() == key)
            .map(|(_, v)| v)
    }

    fn wrong(&mut self, path: &str, expected: &'static str) {
        self.problem(path, Violation::WrongType { expected });
    }

    /// A text key; "" when absent or not text (the latter a problem).
    fn text(&mut self, table: &DeTable<'_>, prefix: &str, key: &str) -> String {
        match Self::get(table, key).map(Spanned::get_ref) {
            None => String::new(),
            Some(DeValue::String(s)) => s.to_string(),
            Some(_) => {
                self.wrong(&format!("{prefix}{key}"), "text");
                String::new()
            }
        }
    }

    fn integer(&mut self, table: &DeTable<'_>, prefix: &str, key: &str) -> Option<i64> {
        match Self::get(table, key).map(Spanned::get_ref) {
            None => None,
            Some(DeValue::Integer(i)) => {
                let parsed = i64::from_str_radix(i.as_str(), i.radix()).ok();
                if parsed.is_none() {
                    self.problem(&format!("{prefix}{key}"), Violation::TooLarge);
                }
                parsed
            }
            Some(_) => {
                self.wrong(&format!("{prefix}{key}"), "integer");
                None
            }
        }
    }

    fn boolean(&mut self, table: &DeTable<'_>, prefix: &str, key: &str) -> bool {
        match Self::get(table, key).map(Spanned::get_ref) {
            None => false,
            Some(DeValue::Boolean(b)) => *b,
            Some(_) => {
                self.wrong(&format!("{prefix}{key}"), "boolean");
                false
            }
        }
    }

    /// A date, written bare (2024-04-22) or quoted.
    fn date_value(&mut self, value: &DeValue<'_>, path: &str) -> Option<NaiveDate> {
        let text = match value {
            DeValue::String(s) => s.to_string(),
            DeValue::Datetime(d) => d.to_string(),
            _ => {
                self.wrong(path, "date");
                return None;
            }
        };
        let mut v = self.validator();
        let day = v.date(path, &text);
        self.keep(v);
        day
    }

    fn list<'a, 'i>(
        &mut self,
        table: &'a DeTable<'i>,
        prefix: &str,
        key: &str,
    ) -> Vec<(String, &'a Value<'i>)> {
        match Self::get(table, key) {
            None => Vec::new(),
            Some(value) => match value.get_ref() {
                DeValue::Array(items) => items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| {
                        let path = format!("{prefix}{key}[{i}]");
                        let line = self.line(item.span().start);
                        self.lines.0.insert(path.clone(), line);
                        (path, item)
                    })
                    .collect(),
                _ => {
                    self.wrong(&format!("{prefix}{key}"), "list");
                    Vec::new()
                }
            },
        }
    }

    fn text_list(&mut self, table: &DeTable<'_>, prefix: &str, key: &str) -> Vec<String> {
        let mut out = Vec::new();
        for (path, item) in self.list(table, prefix, key) {
            match item.get_ref() {
                DeValue::String(s) => out.push(s.trim().to_uppercase()),
                _ => self.wrong(&path, "text"),
            }
        }
        out
    }

    /// The tables of an array of tables (`[[zones]]`), with their paths.
    fn tables<'a, 'i>(
        &mut self,
        root: &'a DeTable<'i>,
        key: &str,
        known: &[&str],
    ) -> Vec<(String, &'a DeTable<'i>)> {
        let mut out = Vec::new();
        for (path, item) in self.list(root, "", key) {
            match item.get_ref() {
                DeValue::Table(t) => {
                    self.check_keys(t, &format!("{path}."), known);
                    out.push((path, t));
                }
                _ => self.wrong(&path, "table"),
            }
        }
        out
    }

    /// Codes must be unique within their section.
    fn unique(&mut self, seen: &mut HashSet<String>, path: &str, key: String) {
        if !key.is_empty() && !seen.insert(key) {
            self.v.push(FieldViolation::new(path, &Violation::Twice));
        }
    }

    fn event(&mut self, root: &DeTable<'_>) -> Option<EventSpec> {
        let Some(value) = Self::get(root, "event") else {
            self.problem("event", Violation::Required);
            return None;
        };
        let DeValue::Table(t) = value.get_ref() else {
            self.wrong("event", "table");
            return None;
        };
        self.check_keys(
            t,
            "event.",
            &[
                "code",
                "name",
                "venue",
                "time_zone",
                "first_day",
                "last_day",
                "names_at_gates",
                "photos_at_gates",
            ],
        );
        let p = "event.";
        let code = self.text(t, p, "code");
        let name = self.text(t, p, "name");
        let venue = self.text(t, p, "venue");
        let time_zone = match self.text(t, p, "time_zone").trim() {
            "" => "UTC".to_owned(),
            tz => tz.to_owned(),
        };
        let first = Self::get(t, "first_day").map(|d| d.get_ref().clone());
        let last = Self::get(t, "last_day").map(|d| d.get_ref().clone());
        let names_at_gates = self.boolean(t, p, "names_at_gates");
        let photos_at_gates = self.boolean(t, p, "photos_at_gates");
        let first = match first {
            Some(d) => self.date_value(&d, "event.first_day"),
            None => {
                self.problem("event.first_day", Violation::Required);
                None
            }
        };
        let last = match last {
            Some(d) => self.date_value(&d, "event.last_day"),
            None => {
                self.problem("event.last_day", Violation::Required);
                None
            }
        };
        let mut v = self.validator();
        let code = v.code("event.code", &code);
        let name = v.required_text("event.name", &name, MAX_NAME);
        let venue = v.optional_text("event.venue", &venue, MAX_NAME);
        if time_zone.parse::<chrono_tz::Tz>().is_err() {
            v.violation("event.time_zone", Violation::NotATimeZone);
        }
        if let (Some(first), Some(last)) = (first, last) {
            if last < first {
                v.violation("event.last_day", Violation::BeforeFirstDay);
            } else if (last - first).num_days() >= MAX_EVENT_DAYS {
                v.violation(
                    "event.last_day",
                    Violation::EventTooLong {
                        days: MAX_EVENT_DAYS,
                    },
                );
            }
        }
        self.keep(v);
        Some(EventSpec {
            code,
            name,
            venue,
            time_zone,
            first_day: first?,
            last_day: last?,
            names_at_gates,
            photos_at_gates,
        })
    }

    fn zones(&mut self, root: &DeTable<'_>) -> Vec<ZoneSpec> {
        let known = ["code", "name", "name_ru", "name_uz", "capacity", "parent"];
        let mut zones = Vec::new();
        let mut seen = HashSet::new();
        for (path, t) in self.tables(root, "zones", &known) {
            let p = format!("{path}.");
            let code = self.text(t, &p, "code");
            let name = self.text(t, &p, "name");
            let name_ru = self.text(t, &p, "name_ru");
            let name_uz = self.text(t, &p, "name_uz");
            let capacity = self.integer(t, &p, "capacity").unwrap_or(0);
            let parent = self.text(t, &p, "parent").trim().to_uppercase();
            let mut v = self.validator();
            let code = v.code(&format!("{p}code"), &code);
            let name = v.required_text(&format!("{p}name"), &name, MAX_NAME);
            let name_ru = v.optional_text(&format!("{p}name_ru"), &name_ru, MAX_NAME);
            let name_uz = v.optional_text(&format!("{p}name_uz"), &name_uz, MAX_NAME);
            let capacity = match i32::try_from(capacity) {
                Ok(c) if c >= 0 => c,
                _ => {
                    v.violation(&format!("{p}capacity"), Violation::OutOfRange);
                    0
                }
            };
            if parent == code {
                v.violation(&format!("{p}parent"), Violation::OwnParent);
            }
            self.keep(v);
            self.unique(&mut seen, &format!("{p}code"), code.clone());
            zones.push(ZoneSpec {
                code,
                name,
                name_ru,
                name_uz,
                capacity,
                parent: Some(parent).filter(|p| !p.is_empty()),
            });
        }
        if zones.len() > MAX_ZONES {
            self.problem(
                "zones",
                Violation::AtMost {
                    max: MAX_ZONES as u64,
                },
            );
        }
        // Parents are zones of the file, and no zone is inside itself.
        for (i, zone) in zones.iter().enumerate() {
            let Some(parent) = &zone.parent else { continue };
            if !seen.contains(parent) {
                self.v.push(FieldViolation::new(
                    format!("zones[{i}].parent"),
                    &Violation::UnknownZone,
                ));
                continue;
            }
            let mut cursor = Some(parent.clone());
            let mut steps = 0;
            while let Some(code) = cursor {
                if code == zone.code || steps > zones.len() {
                    self.v.push(FieldViolation::new(
                        format!("zones[{i}].parent"),
                        &Violation::OwnParent,
                    ));
                    break;
                }
                steps += 1;
                cursor = zones
                    .iter()
                    .find(|z| z.code == code)
                    .and_then(|z| z.parent.clone());
            }
        }
        zones
    }

    fn categories(
        &mut self,
        root: &DeTable<'_>,
        zone_codes: &HashSet<String>,
        event: Option<&EventSpec>,
    ) -> Vec<CategorySpec> {
        let known = [
            "code", "name", "name_ru", "name_uz", "color", "zones", "days", "badge",
        ];
        let mut out = Vec::new();
        let mut seen = HashSet::new();
        for (path, t) in self.tables(root, "categories", &known) {
            let p = format!("{path}.");
            let code = self.text(t, &p, "code");
            let name = self.text(t, &p, "name");
            let name_ru = self.text(t, &p, "name_ru");
            let name_uz = self.text(t, &p, "name_uz");
            let color = self.text(t, &p, "color");
            let badge_text = self.text(t, &p, "badge");
            let listed = self.text_list(t, &p, "zones");
            let mut days = Vec::new();
            for (day_path, item) in self.list(t, &p, "days") {
                let value = item.get_ref().clone();
                if let Some(day) = self.date_value(&value, &day_path) {
                    if event.is_some_and(|e| day < e.first_day || day > e.last_day) {
                        self.v
                            .push(FieldViolation::new(day_path, &Violation::NotAnEventDay));
                    } else if !days.contains(&day) {
                        days.push(day);
                    }
                }
            }
            days.sort();
            let mut v = self.validator();
            let code = v.code(&format!("{p}code"), &code);
            let name = v.required_text(&format!("{p}name"), &name, MAX_NAME);
            let name_ru = v.optional_text(&format!("{p}name_ru"), &name_ru, MAX_NAME);
            let name_uz = v.optional_text(&format!("{p}name_uz"), &name_uz, MAX_NAME);
            let color = v.color(&format!("{p}color"), &color);
            let badge = match badge_text.trim().to_lowercase().as_str() {
                "" => CategoryLayout::A6,
                text => CategoryLayout::parse(text).unwrap_or_else(|| {
                    v.violation(
                        &format!("{p}badge"),
                        Violation::OneOf {
                            choices: "\"a6\", \"card\"",
                        },
                    );
                    CategoryLayout::A6
                }),
            };
            let mut zones = Vec::new();
            for (i, zone) in listed.into_iter().enumerate() {
                if !zone_codes.contains(&zone) {
                    v.violation(&format!("{p}zones[{i}]"), Violation::UnknownZone);
                } else if !zones.contains(&zone) {
                    zones.push(zone);
                }
            }
            self.keep(v);
            self.unique(&mut seen, &format!("{p}code"), code.clone());
            out.push(CategorySpec {
                code,
                name,
                name_ru,
                name_uz,
                color,
                zones,
                days,
                badge,
            });
        }
        if out.len() > MAX_CATEGORIES {
            self.problem(
                "categories",
                Violation::AtMost {
                    max: MAX_CATEGORIES as u64,
                },
            );
        }
        out
    }

    fn gates(&mut self, root: &DeTable<'_>, zone_codes: &HashSet<String>) -> Vec<GateSpec> {
        let mut out = Vec::new();
        let mut seen = HashSet::new();
        for (path, t) in self.tables(root, "gates", &["code", "name", "zone"]) {
            let p = format!("{path}.");
            let code = self.text(t, &p, "code");
            let name = self.text(t, &p, "name");
            let zone = self.text(t, &p, "zone").trim().to_uppercase();
            let mut v = self.validator();
            let code = v.code(&format!("{p}code"), &code);
            let name = v.required_text(&format!("{p}name"), &name, MAX_NAME);
            if !zone_codes.contains(&zone) {
                v.violation(&format!("{p}zone"), Violation::UnknownZone);
            }
            self.keep(v);
            self.unique(&mut seen, &format!("{p}code"), code.clone());
            out.push(GateSpec { code, name, zone });
        }
        out
    }

    fn organizations(&mut self, root: &DeTable<'_>) -> Vec<OrganizationSpec> {
        let mut out = Vec::new();
        let mut seen = HashSet::new();
        for (path, t) in self.tables(root, "organizations", &["name", "country", "kind"]) {
            let p = format!("{path}.");
            let name = self.text(t, &p, "name");
            let country = self.text(t, &p, "country");
            let kind = self.text(t, &p, "kind");
            let mut v = self.validator();
            let name = v.required_text(&format!("{p}name"), &name, MAX_NAME);
            let country = v.country(&format!("{p}country"), &country);
            let kind = match kind.trim().to_lowercase().as_str() {
                "" | "company" => OrganizationKind::Company,
                "government" => OrganizationKind::Government,
                "media" => OrganizationKind::Media,
                "other" => OrganizationKind::Other,
                _ => {
                    v.violation(&format!("{p}kind"), Violation::UnknownOrganizationKind);
                    OrganizationKind::Company
                }
            };
            self.keep(v);
            let key = crate::domain::search_key::sort_key(&name);
            self.unique(&mut seen, &format!("{p}name"), key);
            out.push(OrganizationSpec {
                name,
                country,
                kind,
            });
        }
        out
    }

    /// `[[fields]]`: each table read as a field draft and checked; then
    /// what only the whole set tells (keys once, show-if).
    fn fields(
        &mut self,
        root: &DeTable<'_>,
        text: &str,
        category_codes: &HashSet<String>,
    ) -> Vec<crate::domain::fields::FieldDef> {
        use crate::domain::fields::{FieldDraft, check_set};
        const KNOWN: &[&str] = &[
            "key",
            "scope",
            "kind",
            "sensitivity",
            "position",
            "label",
            "help",
            "min_length",
            "max_length",
            "pattern",
            "min",
            "max",
            "min_date",
            "max_date",
            "options",
            "show_if",
            "required",
            "badge",
            "gate",
            "export",
            "categories",
            "retired",
        ];
        let tables = self.tables(root, "fields", KNOWN);
        if tables.is_empty() {
            return Vec::new();
        }
        // The same tables as plain TOML values, for serde.
        #[derive(serde::Deserialize)]
        struct Doc {
            #[serde(default)]
            fields: Vec<toml::Value>,
        }
        let values = toml::from_str::<Doc>(text)
            .map(|d| d.fields)
            .unwrap_or_default();
        let mut out = Vec::new();
        for (i, ((path, table), value)) in tables.iter().zip(values).enumerate() {
            let unknown = table
                .iter()
                .any(|(k, _)| !KNOWN.contains(&k.get_ref().as_ref()));
            let mut draft: FieldDraft = match field_value(value).try_into() {
                Ok(draft) => draft,
                Err(e) if !unknown => {
                    let mut v = FieldViolation::new(
                        self.lines.field(path),
                        &Violation::WrongType { expected: "table" },
                    );
                    v.description = e.message().to_owned();
                    self.problems.push(v);
                    continue;
                }
                Err(_) => continue,
            };
            if draft.position.is_none() {
                draft.position = i64::try_from((i + 1) * 10).ok();
            }
            let mut v = self.validator();
            out.push(draft.check(&mut v, &format!("{path}."), category_codes));
            self.keep(v);
        }
        let mut v = self.validator();
        check_set(&mut v, &out, |i| format!("fields[{i}]."));
        self.keep(v);
        out
    }

    fn delegations(
        &mut self,
        root: &DeTable<'_>,
        category_codes: &HashSet<String>,
    ) -> Vec<DelegationSpec> {
        let mut out = Vec::new();
        let mut seen = HashSet::new();
        let known = ["name", "country", "head", "quotas"];
        for (path, t) in self.tables(root, "delegations", &known) {
            let p = format!("{path}.");
            let name = self.text(t, &p, "name");
            let country = self.text(t, &p, "country");
            let head = self.text(t, &p, "head").trim().to_owned();
            let mut quotas: Vec<(String, i32)> = Vec::new();
            match Self::get(t, "quotas").map(Spanned::get_ref) {
                None => {}
                Some(DeValue::Table(q)) => {
                    for (key, value) in q.iter() {
                        let code = key.get_ref().trim().to_uppercase();
                        let qpath = format!("{p}quotas.{}", key.get_ref());
                        let line = self.line(key.span().start);
                        self.lines.0.insert(qpath.clone(), line);
                        let DeValue::Integer(i) = value.get_ref() else {
                            self.wrong(&qpath, "integer");
                            continue;
                        };
                        let n = i64::from_str_radix(i.as_str(), i.radix()).ok();
                        match n {
                            Some(n) if (0..=MAX_QUOTA).contains(&n) => {
                                if !category_codes.contains(&code) {
                                    self.v.push(FieldViolation::new(
                                        qpath,
                                        &Violation::UnknownCategory,
                                    ));
                                } else if quotas.iter().any(|(c, _)| *c == code) {
                                    self.v.push(FieldViolation::new(qpath, &Violation::Twice));
                                } else {
                                    // In range: 0..=MAX_QUOTA fits an i32.
                                    quotas.push((code, i32::try_from(n).unwrap_or(0)));
                                }
                            }
                            _ => self.v.push(FieldViolation::new(
                                qpath,
                                &Violation::AtMost {
                                    max: MAX_QUOTA.unsigned_abs(),
                                },
                            )),
                        }
                    }
                }
                Some(_) => self.wrong(&format!("{p}quotas"), "table"),
            }
            quotas.sort();
            let mut v = self.validator();
            let name = v.required_text(&format!("{p}name"), &name, MAX_NAME);
            let country = v.country(&format!("{p}country"), &country);
            self.keep(v);
            self.unique(&mut seen, &format!("{p}name"), name.to_lowercase());
            out.push(DelegationSpec {
                name,
                country,
                head: Some(head).filter(|h| !h.is_empty()),
                quotas,
            });
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::parse;

    const SMALL: &str = r##"
[event]
code = "fair-1"
name = "Fair"
time_zone = "Asia/Tashkent"
first_day = 2024-04-22
last_day = "2024-04-24"

[[zones]]
code = "HALL"
name = "Hall"
capacity = 100

[[zones]]
code = "VIP"
name = "VIP lounge"
parent = "hall"

[[categories]]
code = "VISITOR"
name = "Visitor"
name_ru = "Посетитель"
color = "#1e88e5"
zones = ["HALL", "hall"]
days = [2024-04-23]

[[gates]]
code = "HALL-1"
name = "Hall door"
zone = "HALL"

[[delegations]]
name = "Delegation of Uzbekistan"
country = "uz"
quotas = { VISITOR = 5 }
"##;

    #[test]
    fn a_small_file_reads_into_its_definition() {
        let (d, lines) = parse(SMALL).unwrap();
        assert_eq!(d.event.code, "FAIR-1");
        assert_eq!(d.event.first_day.to_string(), "2024-04-22");
        assert_eq!(d.zones[1].parent.as_deref(), Some("HALL"));
        assert_eq!(d.categories[0].zones, ["HALL"]);
        assert_eq!(d.categories[0].color, "#1E88E5");
        assert_eq!(d.delegations[0].quotas, [("VISITOR".to_owned(), 5)]);
        assert_eq!(d.delegations[0].country, "UZ");
        assert_eq!(lines.line_of("zones[0].capacity"), Some(12));
    }

    #[test]
    fn every_problem_is_named_with_its_line() {
        let bad = SMALL
            .replace("capacity = 100", "capacity = -1\ncolour = 2")
            .replace("zone = \"HALL\"", "zone = \"NOWHERE\"")
            .replace("VISITOR = 5", "VISITOR = 1000000000, PRESS = 1");
        let problems = parse(&bad).unwrap_err();
        let fields: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
        assert!(fields.contains(&"line 12: zones[0].capacity"), "{fields:?}");
        assert!(fields.contains(&"line 13: zones[0].colour"), "{fields:?}");
        assert!(fields.contains(&"line 31: gates[0].zone"), "{fields:?}");
        assert!(
            fields.contains(&"line 36: delegations[0].quotas.PRESS"),
            "{fields:?}"
        );
        assert!(
            fields.contains(&"line 36: delegations[0].quotas.VISITOR"),
            "{fields:?}"
        );
    }

    #[test]
    fn junk_and_broken_syntax_are_refused_with_a_line() {
        let problems = parse("[event\ncode = 1").unwrap_err();
        assert!(problems[0].field.starts_with("line 1"), "{problems:?}");
        assert!(parse("\u{0}\u{1}binary").is_err());
        let many: String = (0..1000).map(|i| format!("k{i} = 1\n")).collect();
        let problems = parse(&many).unwrap_err();
        assert_eq!(problems.len(), 101);
        assert!(problems[100].description.contains("more"), "{problems:?}");
    }

    #[test]
    fn the_documented_example_and_the_reference_event_read() {
        let doc = include_str!("../../../docs/event-file.md");
        let start = doc.rfind("```toml\n").unwrap() + "```toml\n".len();
        let end = start + doc[start..].find("```").unwrap();
        let (d, _) = parse(&doc[start..end]).unwrap();
        assert_eq!(d.organizations.len(), 1);
        let (d, _) = parse(include_str!("../../../examples/innoprom-ca-2024.toml")).unwrap();
        assert_eq!(d.delegations.len(), 27);
    }

    #[test]
    fn a_zone_cannot_be_inside_itself() {
        let looped = SMALL.replace(
            "code = \"HALL\"\nname = \"Hall\"",
            "code = \"HALL\"\nname = \"Hall\"\nparent = \"VIP\"",
        );
        let problems = parse(&looped).unwrap_err();
        assert!(
            problems.iter().any(|p| p.code == "OWN_PARENT"),
            "{problems:?}"
        );
    }
}
