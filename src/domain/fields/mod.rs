//! Custom registration fields: each event's own questions (`docs/fields.md`).
//!
//! A field is defined once per event ([`FieldDef`]), from an event file's
//! `[[fields]]` or `EventService.UpsertField`, both of which hand in a
//! [`FieldDraft`] that [`FieldDraft::check`] turns into a definition with
//! every problem named. Definitions are stored one jsonb document per
//! version (`db::fields`); a change to a field that already has answers
//! adds a version. Answers (`answers`) are checked against the newest
//! version and the participant's category, normalised, and stored with
//! the version they were given under.

use std::{
    collections::{BTreeMap, HashMap, HashSet},
    sync::Arc,
};

use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::{domain::validate::Validator, words::Lang, words::Violation};

pub mod answers;
mod setup;

pub use answers::{Answer, Answers, RawAnswer, Shown, check_answers, display};
pub use setup::FieldView;
pub(crate) use setup::{newest, open_sealed, write_field};

/// Most fields of one event.
pub const MAX_FIELDS: usize = 100;
/// Most options of one choice field.
pub const MAX_OPTIONS: usize = 200;
/// Longest pattern, in characters.
pub const MAX_PATTERN: usize = 200;
/// Longest label, in characters.
const MAX_LABEL: usize = 200;
/// Longest help text, in characters.
const MAX_HELP: usize = 1000;
/// Longest text answer (a short text's own `max_length` may be lower).
pub const MAX_TEXT: usize = 1000;
/// Longest long-text answer.
pub const MAX_LONG_TEXT: usize = 5000;

/// Who answers a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    Participant,
    /// Answered once, for the delegation, by its head or the desk.
    Delegation,
    Organization,
}

/// What kind of value a field takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Text,
    LongText,
    Integer,
    Decimal,
    Boolean,
    Date,
    SingleChoice,
    MultipleChoice,
    Country,
    Phone,
    Email,
}

/// Who may read an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sensitivity {
    /// Anyone who sees the participant; searchable; may print on badges.
    Public,
    /// Desks and organisers; searchable.
    Internal,
    /// Desks and organisers; never searched; exported to organisers only.
    Personal,
    /// Organisers only; sealed in the database like the travel document.
    Secret,
}

/// Whether an answer prints on the badge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnBadge {
    #[default]
    Never,
    Always,
    /// When the participant asked for it (`AnswerValue.on_badge`).
    Choice,
}

macro_rules! names {
    ($t:ty { $($v:ident => $s:literal),* $(,)? }) => {
        impl $t {
            pub const NAMES: &[&str] = &[$($s),*];
            pub fn name(self) -> &'static str {
                match self { $(Self::$v => $s),* }
            }
            pub fn parse(text: &str) -> Option<Self> {
                match text.trim().to_ascii_lowercase().as_str() {
                    $($s => Some(Self::$v),)*
                    _ => None,
                }
            }
        }
    };
}

names!(Scope { Participant => "participant", Delegation => "delegation", Organization => "organization" });
names!(Kind {
    Text => "text", LongText => "long_text", Integer => "integer", Decimal => "decimal",
    Boolean => "boolean", Date => "date", SingleChoice => "single_choice",
    MultipleChoice => "multiple_choice", Country => "country", Phone => "phone", Email => "email",
});
names!(Sensitivity { Public => "public", Internal => "internal", Personal => "personal", Secret => "secret" });
names!(OnBadge { Never => "never", Always => "always", Choice => "choice" });

impl Kind {
    fn is_choice(self) -> bool {
        matches!(self, Kind::SingleChoice | Kind::MultipleChoice)
    }
    fn is_text(self) -> bool {
        matches!(self, Kind::Text | Kind::LongText)
    }
    fn is_number(self) -> bool {
        matches!(self, Kind::Integer | Kind::Decimal)
    }
}

/// A text in the interface languages; English is required where a text
/// is, the others fall back to it. Reads from a table (`{ en = "...",
/// ru = "..." }`) or, for English alone, from a plain text.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Texts {
    pub en: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub ru: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub uz: String,
}

impl<'de> Deserialize<'de> for Texts {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Full {
            #[serde(default)]
            en: String,
            #[serde(default)]
            ru: String,
            #[serde(default)]
            uz: String,
        }
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Form {
            Plain(String),
            Full(Full),
        }
        Ok(match Form::deserialize(d)? {
            Form::Plain(en) => Texts {
                en,
                ..Texts::default()
            },
            Form::Full(f) => Texts {
                en: f.en,
                ru: f.ru,
                uz: f.uz,
            },
        })
    }
}

impl Texts {
    pub fn get(&self, lang: Lang) -> &str {
        let t = match lang {
            Lang::En => &self.en,
            Lang::Ru => &self.ru,
            Lang::Uz => &self.uz,
        };
        if t.is_empty() { &self.en } else { t }
    }

    pub fn is_empty(&self) -> bool {
        self.en.is_empty() && self.ru.is_empty() && self.uz.is_empty()
    }

    fn all(&self) -> [&str; 3] {
        [&self.en, &self.ru, &self.uz]
    }
}

/// An option of a choice field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldOption {
    pub key: String,
    pub label: Texts,
    /// Kept on the answers that chose it; cannot be chosen anew.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub retired: bool,
}

/// The rules an answer must keep. Numbers are kept as their decimal text.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rules {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_length: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_length: Option<u32>,
    /// Rust `regex` syntax; the whole answer must match.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub pattern: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_date: Option<chrono::NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_date: Option<chrono::NaiveDate>,
}

/// Asked only when another field of the same scope has one of `any_of`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShowIf {
    pub field: String,
    pub any_of: Vec<String>,
}

/// How a field is asked of one category.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Placement {
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub badge: OnBadge,
    /// Shown with an entry allowed online (never in a bundle).
    #[serde(default)]
    pub gate: bool,
    #[serde(default = "yes")]
    pub export: bool,
}

fn yes() -> bool {
    true
}

fn is_true(b: &bool) -> bool {
    *b
}

impl Default for Placement {
    fn default() -> Self {
        Self {
            required: false,
            badge: OnBadge::Never,
            gate: false,
            export: true,
        }
    }
}

/// A field of an event, checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldDef {
    pub key: String,
    pub scope: Scope,
    pub kind: Kind,
    pub sensitivity: Sensitivity,
    pub position: i32,
    pub label: Texts,
    #[serde(default)]
    pub help: Texts,
    #[serde(default)]
    pub rules: Rules,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<FieldOption>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub show_if: Option<ShowIf>,
    /// How every category is asked, unless `categories` names some.
    #[serde(default)]
    pub placement: Placement,
    /// Category code -> its own settings; when not empty, the field is
    /// asked of these categories only.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub categories: BTreeMap<String, Placement>,
    /// No longer asked; its answers are kept and exported.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub retired: bool,
}

impl FieldDef {
    /// How the field is asked of `category` (`None`: not asked). Fields of
    /// delegations and organisations have no category.
    pub fn placement(&self, category: Option<&str>) -> Option<Placement> {
        if self.retired {
            return None;
        }
        match category {
            Some(code) if !self.categories.is_empty() => self.categories.get(code).copied(),
            _ => Some(self.placement),
        }
    }

    /// Whether any category exports it.
    pub fn exported(&self) -> bool {
        if self.categories.is_empty() {
            self.placement.export
        } else {
            self.categories.values().any(|p| p.export)
        }
    }

    pub fn option(&self, key: &str) -> Option<&FieldOption> {
        self.options.iter().find(|o| o.key == key)
    }

    /// Equal but for the position (which a reordering changes without a
    /// new version).
    pub fn same_meaning(&self, other: &FieldDef) -> bool {
        FieldDef {
            position: other.position,
            ..self.clone()
        } == *other
    }
}

/// A field's definition as stored: one version.
#[derive(Debug)]
pub struct Loaded {
    pub def: FieldDef,
    pub version: i32,
    /// `rules.pattern`, compiled and anchored.
    pub pattern: Option<Regex>,
}

impl Loaded {
    pub fn new(def: FieldDef, version: i32) -> Self {
        let pattern = compile(&def.rules.pattern).ok().flatten();
        Self {
            def,
            version,
            pattern,
        }
    }
}

/// An event's fields: the newest version of each (in position order),
/// and every version, for answers given under an older one.
#[derive(Debug, Default)]
pub struct EventFields {
    pub current: Vec<Arc<Loaded>>,
    versions: HashMap<(String, i32), Arc<Loaded>>,
}

impl EventFields {
    /// From every stored version of every field.
    pub fn new(rows: Vec<(FieldDef, i32)>) -> Self {
        let mut versions = HashMap::new();
        let mut newest: HashMap<String, Arc<Loaded>> = HashMap::new();
        for (def, version) in rows {
            let loaded = Arc::new(Loaded::new(def, version));
            let key = loaded.def.key.clone();
            if newest.get(&key).is_none_or(|n| n.version < version) {
                newest.insert(key.clone(), loaded.clone());
            }
            versions.insert((key, version), loaded);
        }
        let mut current: Vec<Arc<Loaded>> = newest.into_values().collect();
        current.sort_by(|a, b| (a.def.position, &a.def.key).cmp(&(b.def.position, &b.def.key)));
        Self { current, versions }
    }

    pub fn get(&self, key: &str) -> Option<&Arc<Loaded>> {
        self.current.iter().find(|f| f.def.key == key)
    }

    /// The version an answer was given under (the newest when that one is
    /// gone).
    pub fn version(&self, key: &str, version: i32) -> Option<&Arc<Loaded>> {
        match self.get(key) {
            // Most answers are of the newest version: no lookup by version.
            Some(newest) if newest.version == version => Some(newest),
            newest => self.versions.get(&(key.to_owned(), version)).or(newest),
        }
    }

    pub fn of_scope(&self, scope: Scope) -> impl Iterator<Item = &Arc<Loaded>> {
        self.current.iter().filter(move |f| f.def.scope == scope)
    }

    pub fn is_empty(&self) -> bool {
        self.current.is_empty()
    }
}

/// Compiles a pattern to match whole answers; `Ok(None)` for none.
pub fn compile(pattern: &str) -> Result<Option<Regex>, regex::Error> {
    if pattern.is_empty() {
        return Ok(None);
    }
    regex::RegexBuilder::new(&format!("^(?:{pattern})$"))
        .size_limit(1 << 20)
        .dfa_size_limit(1 << 20)
        .build()
        .map(Some)
}

/// A field as a file or a call gives it: every value still text.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FieldDraft {
    pub key: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub scope: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub sensitivity: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<i64>,
    #[serde(default)]
    pub label: Texts,
    #[serde(default, skip_serializing_if = "Texts::is_empty")]
    pub help: Texts,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_length: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_length: Option<i64>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub pattern: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub min: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub max: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub min_date: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub max_date: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<FieldOption>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub show_if: Option<ShowIf>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub required: bool,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub badge: String,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub gate: bool,
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub export: bool,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub categories: BTreeMap<String, PlacementDraft>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub retired: bool,
}

/// A category's own settings as given; what is left out is the field's.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PlacementDraft {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub badge: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gate: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub export: Option<bool>,
}

/// Whether `key` is a field key: `^[a-z][a-z0-9_]{1,39}$`.
pub fn is_key(key: &str) -> bool {
    let b = key.as_bytes();
    (2..=40).contains(&b.len())
        && b[0].is_ascii_lowercase()
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'_')
}

/// Whether `key` is an option key: 1 to 40 of a-z, 0-9, '_', '-'.
fn is_option_key(key: &str) -> bool {
    (1..=40).contains(&key.len())
        && key
            .bytes()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_' || c == b'-')
}

/// A decimal number as text: `-12`, `3.25`.
pub(crate) fn parse_decimal(text: &str) -> Option<f64> {
    let t = text.trim();
    let body = t.strip_prefix('-').unwrap_or(t);
    let (int, frac) = body.split_once('.').unwrap_or((body, ""));
    let ok = (1..=15).contains(&int.len())
        && int.bytes().all(|c| c.is_ascii_digit())
        && frac.len() <= 6
        && frac.bytes().all(|c| c.is_ascii_digit())
        && !(body.contains('.') && frac.is_empty());
    if !ok {
        return None;
    }
    t.parse::<f64>().ok()
}

impl FieldDraft {
    /// The definition, every problem named under `prefix` (`fields[2].` or
    /// `field.`); `categories` are the event's category codes.
    pub(crate) fn check(
        &self,
        v: &mut Validator,
        prefix: &str,
        categories: &HashSet<String>,
    ) -> FieldDef {
        let p = |k: &str| format!("{prefix}{k}");
        let key = self.key.trim().to_owned();
        if !is_key(&key) {
            v.violation(&p("key"), Violation::NotAFieldKey);
        }
        let scope = match self.scope.trim() {
            "" => Scope::Participant,
            s => Scope::parse(s).unwrap_or_else(|| {
                v.violation(
                    &p("scope"),
                    Violation::OneOf {
                        choices: "participant, delegation, organization",
                    },
                );
                Scope::Participant
            }),
        };
        let kind = Kind::parse(&self.kind).unwrap_or_else(|| {
            v.violation(
                &p("kind"),
                Violation::OneOf {
                    choices: "text, long_text, integer, decimal, boolean, date, single_choice, \
                              multiple_choice, country, phone, email",
                },
            );
            Kind::Text
        });
        let sensitivity = match self.sensitivity.trim() {
            "" => Sensitivity::Internal,
            s => Sensitivity::parse(s).unwrap_or_else(|| {
                v.violation(
                    &p("sensitivity"),
                    Violation::OneOf {
                        choices: "public, internal, personal, secret",
                    },
                );
                Sensitivity::Internal
            }),
        };
        let position = match self.position {
            None => 0,
            Some(n) => i32::try_from(n)
                .ok()
                .filter(|n| (0..=10_000).contains(n))
                .unwrap_or_else(|| {
                    v.violation(&p("position"), Violation::AtMost { max: 10_000 });
                    0
                }),
        };
        let label = texts(v, &p("label"), &self.label, MAX_LABEL, true);
        let help = texts(v, &p("help"), &self.help, MAX_HELP, false);
        let mut rules = Rules::default();
        let length = |v: &mut Validator, name: &str, n: Option<i64>| -> Option<u32> {
            let n = n?;
            let max = if kind == Kind::LongText {
                MAX_LONG_TEXT
            } else {
                MAX_TEXT
            };
            match u32::try_from(n) {
                Ok(n) if n as usize <= max => Some(n),
                _ => {
                    v.violation(&p(name), Violation::AtMost { max: max as u64 });
                    None
                }
            }
        };
        if kind.is_text() {
            rules.min_length = length(v, "min_length", self.min_length);
            rules.max_length = length(v, "max_length", self.max_length);
            if let (Some(lo), Some(hi)) = (rules.min_length, rules.max_length)
                && lo > hi
            {
                v.violation(&p("min_length"), Violation::OutOfRange);
            }
        } else {
            for (name, given) in [
                ("min_length", self.min_length),
                ("max_length", self.max_length),
            ] {
                if given.is_some() {
                    v.violation(&p(name), Violation::NotForKind);
                }
            }
        }
        let pattern = self.pattern.trim();
        if !pattern.is_empty() {
            if !matches!(
                kind,
                Kind::Text | Kind::LongText | Kind::Phone | Kind::Email
            ) {
                v.violation(&p("pattern"), Violation::NotForKind);
            } else if pattern.chars().count() > MAX_PATTERN {
                v.violation(&p("pattern"), Violation::TooLong { max: MAX_PATTERN });
            } else if compile(pattern).is_err() {
                v.violation(&p("pattern"), Violation::NotAPattern);
            } else {
                rules.pattern = pattern.to_owned();
            }
        }
        for (name, given, slot) in [
            ("min", &self.min, &mut rules.min),
            ("max", &self.max, &mut rules.max),
        ] {
            let given = given.trim();
            if given.is_empty() {
                continue;
            }
            if !kind.is_number() {
                v.violation(&p(name), Violation::NotForKind);
            } else if parse_decimal(given).is_none()
                || (kind == Kind::Integer && given.parse::<i64>().is_err())
            {
                v.violation(
                    &p(name),
                    Violation::WrongType {
                        expected: if kind == Kind::Integer {
                            "integer"
                        } else {
                            "decimal"
                        },
                    },
                );
            } else {
                *slot = Some(given.to_owned());
            }
        }
        if let (Some(lo), Some(hi)) = (&rules.min, &rules.max)
            && parse_decimal(lo) > parse_decimal(hi)
        {
            v.violation(&p("min"), Violation::OutOfRange);
        }
        for (name, given, slot) in [
            ("min_date", &self.min_date, &mut rules.min_date),
            ("max_date", &self.max_date, &mut rules.max_date),
        ] {
            if given.trim().is_empty() {
                continue;
            }
            if kind != Kind::Date {
                v.violation(&p(name), Violation::NotForKind);
            } else {
                *slot = v.date(&p(name), given);
            }
        }
        if let (Some(lo), Some(hi)) = (rules.min_date, rules.max_date)
            && lo > hi
        {
            v.violation(&p("min_date"), Violation::OutOfRange);
        }
        let mut options = Vec::new();
        if kind.is_choice() {
            if self.options.is_empty() {
                v.violation(&p("options"), Violation::AtLeastOne);
            }
            if self.options.len() > MAX_OPTIONS {
                v.violation(
                    &p("options"),
                    Violation::AtMost {
                        max: MAX_OPTIONS as u64,
                    },
                );
            }
            let mut seen = HashSet::new();
            for (i, o) in self.options.iter().take(MAX_OPTIONS).enumerate() {
                let okey = o.key.trim().to_owned();
                if !is_option_key(&okey) {
                    v.violation(&p(&format!("options[{i}].key")), Violation::NotAFieldKey);
                } else if !seen.insert(okey.clone()) {
                    v.violation(&p(&format!("options[{i}].key")), Violation::Twice);
                }
                let label = texts(
                    v,
                    &p(&format!("options[{i}].label")),
                    &o.label,
                    MAX_LABEL,
                    true,
                );
                options.push(FieldOption {
                    key: okey,
                    label,
                    retired: o.retired,
                });
            }
        } else if !self.options.is_empty() {
            v.violation(&p("options"), Violation::NotForKind);
        }
        let badge_of = |v: &mut Validator, path: &str, text: &str| -> OnBadge {
            match text.trim() {
                "" => OnBadge::Never,
                t => OnBadge::parse(t).unwrap_or_else(|| {
                    v.violation(
                        path,
                        Violation::OneOf {
                            choices: "never, always, choice",
                        },
                    );
                    OnBadge::Never
                }),
            }
        };
        let placement = Placement {
            required: self.required,
            badge: badge_of(v, &p("badge"), &self.badge),
            gate: self.gate,
            export: self.export,
        };
        let mut per_category = BTreeMap::new();
        if scope != Scope::Participant && !self.categories.is_empty() {
            v.violation(&p("categories"), Violation::NotForKind);
        }
        for (code, given) in &self.categories {
            let upper = code.trim().to_uppercase();
            let path = p(&format!("categories.{code}"));
            if !categories.contains(&upper) {
                v.violation(&path, Violation::UnknownCategory);
            }
            let badge = match &given.badge {
                Some(text) => badge_of(v, &format!("{path}.badge"), text),
                None => placement.badge,
            };
            per_category.insert(
                upper,
                Placement {
                    required: given.required.unwrap_or(placement.required),
                    badge,
                    gate: given.gate.unwrap_or(placement.gate),
                    export: given.export.unwrap_or(placement.export),
                },
            );
        }
        let badges = std::iter::once(placement)
            .chain(per_category.values().copied())
            .any(|p| p.badge != OnBadge::Never || p.gate);
        if badges && matches!(sensitivity, Sensitivity::Personal | Sensitivity::Secret) {
            // What a badge or a gate shows, everyone near it reads.
            v.violation(&p("sensitivity"), Violation::ShownButPrivate);
        }
        let show_if = self.show_if.as_ref().map(|s| ShowIf {
            field: s.field.trim().to_owned(),
            any_of: s.any_of.iter().map(|a| a.trim().to_owned()).collect(),
        });
        if let Some(s) = &show_if {
            if s.field == key {
                v.violation(&p("show_if.field"), Violation::UnknownField);
            }
            if s.any_of.is_empty() {
                v.violation(&p("show_if.any_of"), Violation::AtLeastOne);
            }
        }
        FieldDef {
            key,
            scope,
            kind,
            sensitivity,
            position,
            label,
            help,
            rules,
            options,
            show_if,
            placement,
            categories: per_category,
            retired: self.retired,
        }
    }
}

/// A definition as a draft again (the event file and the console read it
/// back this way).
impl From<&FieldDef> for FieldDraft {
    fn from(d: &FieldDef) -> Self {
        FieldDraft {
            key: d.key.clone(),
            scope: d.scope.name().to_owned(),
            kind: d.kind.name().to_owned(),
            sensitivity: d.sensitivity.name().to_owned(),
            position: Some(i64::from(d.position)),
            label: d.label.clone(),
            help: d.help.clone(),
            min_length: d.rules.min_length.map(i64::from),
            max_length: d.rules.max_length.map(i64::from),
            pattern: d.rules.pattern.clone(),
            min: d.rules.min.clone().unwrap_or_default(),
            max: d.rules.max.clone().unwrap_or_default(),
            min_date: d.rules.min_date.map(|x| x.to_string()).unwrap_or_default(),
            max_date: d.rules.max_date.map(|x| x.to_string()).unwrap_or_default(),
            options: d.options.clone(),
            show_if: d.show_if.clone(),
            required: d.placement.required,
            badge: d.placement.badge.name().to_owned(),
            gate: d.placement.gate,
            export: d.placement.export,
            categories: d
                .categories
                .iter()
                .map(|(code, p)| {
                    (
                        code.clone(),
                        PlacementDraft {
                            required: Some(p.required),
                            badge: Some(p.badge.name().to_owned()),
                            gate: Some(p.gate),
                            export: Some(p.export),
                        },
                    )
                })
                .collect(),
            retired: d.retired,
        }
    }
}

fn texts(v: &mut Validator, path: &str, t: &Texts, max: usize, required: bool) -> Texts {
    let en = if required {
        v.required_text(&format!("{path}.en"), &t.en, max)
    } else {
        v.optional_text(&format!("{path}.en"), &t.en, max)
    };
    let ru = v.optional_text(&format!("{path}.ru"), &t.ru, max);
    let uz = v.optional_text(&format!("{path}.uz"), &t.uz, max);
    if en.is_empty() && (!ru.is_empty() || !uz.is_empty()) {
        v.violation(&format!("{path}.en"), Violation::Required);
    }
    Texts { en, ru, uz }
}

/// Checks what only the whole set of an event's fields tells: keys once,
/// show-if naming a choice or yes/no field of the same scope and its
/// values; `path_of(i)` names the i-th field (`fields[i].`).
pub(crate) fn check_set(v: &mut Validator, defs: &[FieldDef], path_of: impl Fn(usize) -> String) {
    if defs.len() > MAX_FIELDS {
        v.violation(
            "fields",
            Violation::AtMost {
                max: MAX_FIELDS as u64,
            },
        );
    }
    let mut seen = HashSet::new();
    for (i, d) in defs.iter().enumerate() {
        if !seen.insert(d.key.as_str()) {
            v.violation(&format!("{}key", path_of(i)), Violation::Twice);
        }
        let Some(s) = &d.show_if else { continue };
        let path = path_of(i);
        match defs
            .iter()
            .find(|o| o.key == s.field && o.key != d.key && o.scope == d.scope)
        {
            Some(o) if o.kind.is_choice() => {
                for (j, value) in s.any_of.iter().enumerate() {
                    if o.option(value).is_none() {
                        v.violation(
                            &format!("{path}show_if.any_of[{j}]"),
                            Violation::UnknownOption,
                        );
                    }
                }
            }
            Some(o) if o.kind == Kind::Boolean && o.sensitivity != Sensitivity::Secret => {
                for (j, value) in s.any_of.iter().enumerate() {
                    if !matches!(value.as_str(), "true" | "false") {
                        v.violation(
                            &format!("{path}show_if.any_of[{j}]"),
                            Violation::OneOf {
                                choices: "true, false",
                            },
                        );
                    }
                }
            }
            Some(o) if o.sensitivity == Sensitivity::Secret => {
                v.violation(&format!("{path}show_if.field"), Violation::ShownButPrivate);
            }
            Some(_) => v.violation(&format!("{path}show_if.field"), Violation::NotForKind),
            None => v.violation(&format!("{path}show_if.field"), Violation::UnknownField),
        }
    }
    // A show-if chain must end.
    for (i, d) in defs.iter().enumerate() {
        let mut at = d;
        let mut steps = 0;
        while let Some(s) = &at.show_if {
            steps += 1;
            match defs.iter().find(|o| o.key == s.field) {
                Some(next) if steps <= defs.len() => at = next,
                Some(_) => {
                    v.violation(
                        &format!("{}show_if.field", path_of(i)),
                        Violation::ShowIfLoop,
                    );
                    break;
                }
                None => break,
            }
        }
    }
}

#[cfg(test)]
mod tests;
