//! Answers to custom fields: checked against the field's newest version
//! and the participant's category, normalised (NFC text, E.164 phones,
//! ISO dates and country codes, option keys), and kept with the version
//! they were given under.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{EventFields, Kind, Loaded, MAX_LONG_TEXT, MAX_TEXT, OnBadge, Scope, parse_decimal};
use crate::{
    domain::validate::nfc,
    words::{Lang, Violation},
};

/// An answer as a call or an import row gives it. Text suits every kind
/// (parsed by the field's kind); the typed forms suit their own.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum RawAnswer {
    /// Takes a stored answer off.
    Clear,
    Text(String),
    Integer(i64),
    Boolean(bool),
    /// Option keys (or labels) of a multiple-choice field.
    Choices(Vec<String>),
}

/// An answer given, with the participant's wish to see it on the badge
/// (for fields whose badge setting is `choice`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Given {
    pub value: RawAnswer,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub on_badge: bool,
}

/// An answer as stored: the field version it was given under, and its
/// value (`x`), or the sealed value of a secret field (`s`, base64).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Answer {
    pub v: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub s: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub b: bool,
}

/// A record's answers, by field key.
pub type Answers = BTreeMap<String, Answer>;

/// Reads stored answers; a document that does not read is no answers.
pub fn from_json(value: &Value) -> Answers {
    Answers::deserialize(value).unwrap_or_default()
}

pub fn to_json(answers: &Answers) -> Value {
    serde_json::to_value(answers).unwrap_or_else(|_| Value::Object(Default::default()))
}

/// What is answered for.
#[derive(Debug, Clone, Copy)]
pub struct Asked<'a> {
    pub scope: Scope,
    /// The participant's category code.
    pub category: Option<&'a str>,
    /// Whether missing required answers are refused (a registration, an
    /// edit of the answers or of the category).
    pub check_required: bool,
}

/// The answers after `given` is applied to `stored`: every answer checked,
/// hidden ones (show-if) dropped; or every violation, named
/// `answers.<key>`.
pub fn check_answers(
    fields: &EventFields,
    asked: Asked<'_>,
    stored: &Answers,
    given: &BTreeMap<String, Given>,
) -> Result<Answers, Vec<(String, Violation)>> {
    let mut problems = Vec::new();
    let mut merged = stored.clone();
    for (key, g) in given {
        let path = format!("answers.{key}");
        let Some(field) = fields.get(key).filter(|f| f.def.scope == asked.scope) else {
            problems.push((path, Violation::UnknownField));
            continue;
        };
        let Some(placement) = field.def.placement(asked.category) else {
            problems.push((path, Violation::NotAsked));
            continue;
        };
        let before = stored.get(key).filter(|a| a.s.is_none());
        match normalize(field, &g.value, before.and_then(|a| a.x.as_ref())) {
            Ok(None) => {
                merged.remove(key);
            }
            Ok(Some(x)) => {
                merged.insert(
                    key.clone(),
                    Answer {
                        v: field.version,
                        x: Some(x),
                        s: None,
                        b: g.on_badge && placement.badge == OnBadge::Choice,
                    },
                );
            }
            Err(violation) => problems.push((path, violation)),
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    // Hidden answers go; a hidden field is not required.
    let visible = |key: &str, answers: &Answers| -> bool { shown(fields, key, answers, 0) };
    let hidden: Vec<String> = merged
        .keys()
        .filter(|k| fields.get(k).is_some_and(|f| f.def.scope == asked.scope))
        .filter(|k| !visible(k, &merged))
        .cloned()
        .collect();
    for key in hidden {
        merged.remove(&key);
    }
    if asked.check_required {
        for field in fields.of_scope(asked.scope) {
            let required = field
                .def
                .placement(asked.category)
                .is_some_and(|p| p.required);
            if required && !merged.contains_key(&field.def.key) && visible(&field.def.key, &merged)
            {
                problems.push((format!("answers.{}", field.def.key), Violation::Required));
            }
        }
    }
    if problems.is_empty() {
        Ok(merged)
    } else {
        Err(problems)
    }
}

/// Whether `key` is shown given `answers`: its show-if holds, and the
/// field it depends on is shown itself.
fn shown(fields: &EventFields, key: &str, answers: &Answers, depth: usize) -> bool {
    let Some(field) = fields.get(key) else {
        return true;
    };
    let Some(rule) = &field.def.show_if else {
        return true;
    };
    if depth > super::MAX_FIELDS {
        return false;
    }
    let holds = match answers.get(&rule.field).and_then(|a| a.x.as_ref()) {
        Some(Value::String(s)) => rule.any_of.iter().any(|v| v == s),
        Some(Value::Bool(b)) => rule
            .any_of
            .iter()
            .any(|v| v == if *b { "true" } else { "false" }),
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .any(|s| rule.any_of.iter().any(|v| v == s)),
        _ => false,
    };
    holds && shown(fields, &rule.field, answers, depth + 1)
}

fn wrong(kind: Kind) -> Violation {
    Violation::WrongType {
        expected: match kind {
            Kind::Text | Kind::LongText => "text",
            Kind::Integer => "integer",
            Kind::Decimal => "decimal",
            Kind::Boolean => "boolean",
            Kind::Date => "date",
            Kind::SingleChoice => "option",
            Kind::MultipleChoice => "options",
            Kind::Country => "country",
            Kind::Phone => "phone",
            Kind::Email => "email",
        },
    }
}

/// One answer normalised and checked against its field; `None` for no
/// answer (empty text, no choices, `Clear`). `before` is the answer
/// stored now, whose retired option may stay.
pub fn normalize(
    field: &Loaded,
    raw: &RawAnswer,
    before: Option<&Value>,
) -> Result<Option<Value>, Violation> {
    let def = &field.def;
    let kind = def.kind;
    let text = match raw {
        RawAnswer::Clear => return Ok(None),
        RawAnswer::Text(t) => {
            let trimmed = t.trim();
            if trimmed.is_empty() {
                return Ok(None);
            }
            Some(trimmed)
        }
        _ => None,
    };
    let value = match (kind, raw, text) {
        (Kind::Text | Kind::LongText, _, Some(t)) => {
            let t = nfc(t);
            let long = kind == Kind::LongText;
            if t.chars()
                .any(|c| c.is_control() && !(long && matches!(c, '\n' | '\t' | '\r')))
            {
                return Err(Violation::ControlCharacters);
            }
            let t = if long { t.replace("\r\n", "\n") } else { t };
            let count = t.chars().count();
            let max = def
                .rules
                .max_length
                .map_or(if long { MAX_LONG_TEXT } else { MAX_TEXT }, |m| m as usize);
            if count > max {
                return Err(Violation::TooLong { max });
            }
            if let Some(min) = def.rules.min_length
                && count < min as usize
            {
                return Err(Violation::TooShort { min: min as usize });
            }
            pattern(field, &t)?;
            Value::String(t)
        }
        (Kind::Integer, RawAnswer::Integer(n), _) => {
            range(def, *n as f64)?;
            Value::from(*n)
        }
        (Kind::Integer, _, Some(t)) => {
            let n: i64 = t
                .replace(['\u{a0}', ' '], "")
                .parse()
                .map_err(|_| wrong(kind))?;
            range(def, n as f64)?;
            Value::from(n)
        }
        (Kind::Decimal, RawAnswer::Integer(n), _) => {
            range(def, *n as f64)?;
            Value::String(n.to_string())
        }
        (Kind::Decimal, _, Some(t)) => {
            let t = t.replace(['\u{a0}', ' '], "").replace(',', ".");
            let n = parse_decimal(&t).ok_or_else(|| wrong(kind))?;
            range(def, n)?;
            Value::String(t)
        }
        (Kind::Boolean, RawAnswer::Boolean(b), _) => Value::Bool(*b),
        (Kind::Boolean, _, Some(t)) => Value::Bool(boolean(t).ok_or_else(|| wrong(kind))?),
        (Kind::Date, _, Some(t)) => {
            let day = NaiveDate::parse_from_str(t, "%Y-%m-%d")
                .or_else(|_| NaiveDate::parse_from_str(t, "%d.%m.%Y"))
                .map_err(|_| wrong(kind))?;
            if def.rules.min_date.is_some_and(|m| day < m)
                || def.rules.max_date.is_some_and(|m| day > m)
            {
                return Err(Violation::OutOfRange);
            }
            Value::String(day.format("%Y-%m-%d").to_string())
        }
        (Kind::SingleChoice, _, Some(t)) => Value::String(option(field, t, before)?),
        (Kind::MultipleChoice, RawAnswer::Choices(items), _) => {
            choices(field, items.iter().map(String::as_str), before)?
        }
        (Kind::MultipleChoice, _, Some(t)) => choices(field, t.split([';', ',', '\n']), before)?,
        (Kind::Country, _, Some(t)) => {
            let code = t.to_uppercase();
            if isocountry::CountryCode::for_alpha2(&code).is_err() {
                return Err(wrong(kind));
            }
            Value::String(code)
        }
        (Kind::Phone, _, Some(t)) => {
            let phone = e164(t).ok_or_else(|| wrong(kind))?;
            pattern(field, &phone)?;
            Value::String(phone)
        }
        (Kind::Email, _, Some(t)) => {
            if t.len() > 254 || !email_address::EmailAddress::is_valid(t) {
                return Err(wrong(kind));
            }
            pattern(field, t)?;
            Value::String(t.to_owned())
        }
        _ => return Err(wrong(kind)),
    };
    if let Value::Array(items) = &value
        && items.is_empty()
    {
        return Ok(None);
    }
    Ok(Some(value))
}

fn pattern(field: &Loaded, text: &str) -> Result<(), Violation> {
    match &field.pattern {
        Some(re) if !re.is_match(text) => Err(Violation::Pattern),
        _ => Ok(()),
    }
}

fn range(def: &super::FieldDef, n: f64) -> Result<(), Violation> {
    let below = def
        .rules
        .min
        .as_deref()
        .and_then(parse_decimal)
        .is_some_and(|m| n < m);
    let above = def
        .rules
        .max
        .as_deref()
        .and_then(parse_decimal)
        .is_some_and(|m| n > m);
    if below || above {
        Err(Violation::OutOfRange)
    } else {
        Ok(())
    }
}

/// Yes or no, as spreadsheets and people write it, in the interface
/// languages.
fn boolean(text: &str) -> Option<bool> {
    match text.trim().to_lowercase().as_str() {
        "true" | "yes" | "y" | "1" | "да" | "ha" | "x" | "✓" => Some(true),
        "false" | "no" | "n" | "0" | "нет" | "yo'q" | "yoʻq" | "yo‘q" | "yoq" => Some(false),
        _ => None,
    }
}

/// An option by its key or by its label in any language (as a spreadsheet
/// names it); a retired option only when it is already the answer.
fn option(field: &Loaded, text: &str, before: Option<&Value>) -> Result<String, Violation> {
    let t = text.trim();
    let lower = t.to_lowercase();
    let found = field
        .def
        .options
        .iter()
        .find(|o| o.key == t)
        .or_else(|| field.def.options.iter().find(|o| o.key == lower))
        .or_else(|| {
            field
                .def
                .options
                .iter()
                .find(|o| o.label.all().iter().any(|l| l.to_lowercase() == lower))
        })
        .ok_or(Violation::UnknownOption)?;
    if found.retired {
        let kept = match before {
            Some(Value::String(s)) => *s == found.key,
            Some(Value::Array(items)) => items.iter().any(|i| i.as_str() == Some(&found.key)),
            _ => false,
        };
        if !kept {
            return Err(Violation::UnknownOption);
        }
    }
    Ok(found.key.clone())
}

fn choices<'t>(
    field: &Loaded,
    items: impl Iterator<Item = &'t str>,
    before: Option<&Value>,
) -> Result<Value, Violation> {
    let mut keys = Vec::new();
    for item in items {
        if item.trim().is_empty() {
            continue;
        }
        let key = option(field, item, before)?;
        if !keys.contains(&key) {
            keys.push(key);
        }
    }
    // In the options' order, whatever order they were given in.
    let order = |k: &String| field.def.options.iter().position(|o| o.key == *k);
    keys.sort_by_key(order);
    Ok(Value::Array(keys.into_iter().map(Value::String).collect()))
}

/// A phone number in E.164: '+', then 8 to 15 digits, the first not 0.
/// Spaces, dashes, dots and parentheses go; a leading 00 is '+'.
pub fn e164(text: &str) -> Option<String> {
    let t = text.trim();
    let (plus, rest) = match t.strip_prefix('+') {
        Some(rest) => (true, rest),
        None => match t.strip_prefix("00") {
            Some(rest) => (true, rest),
            None => (false, t),
        },
    };
    if !plus {
        return None;
    }
    let mut digits = String::new();
    for c in rest.chars() {
        match c {
            '0'..='9' => digits.push(c),
            ' ' | '-' | '.' | '(' | ')' | '\u{a0}' => {}
            _ => return None,
        }
    }
    let ok = (8..=15).contains(&digits.len()) && !digits.starts_with('0');
    ok.then(|| format!("+{digits}"))
}

/// An answer's value as people read it, in `lang`: option labels of the
/// version it was given under, yes/no in words, the rest as stored.
pub fn display(fields: &EventFields, key: &str, answer: &Answer, lang: Lang) -> String {
    let Some(x) = &answer.x else {
        return String::new();
    };
    let field = fields.version(key, answer.v);
    let label = |k: &str| -> String {
        field
            .and_then(|f| f.def.option(k))
            .map_or_else(|| k.to_owned(), |o| o.label.get(lang).to_owned())
    };
    match x {
        Value::String(s) if field.is_some_and(|f| f.def.kind == Kind::SingleChoice) => label(s),
        Value::String(s) => s.clone(),
        Value::Bool(b) => match (lang, b) {
            (Lang::En, true) => "yes",
            (Lang::En, false) => "no",
            (Lang::Ru, true) => "да",
            (Lang::Ru, false) => "нет",
            (Lang::Uz, true) => "ha",
            (Lang::Uz, false) => "yoʻq",
        }
        .to_owned(),
        Value::Array(items) => items
            .iter()
            .filter_map(Value::as_str)
            .map(label)
            .collect::<Vec<_>>()
            .join("; "),
        Value::Number(n) => n.to_string(),
        _ => String::new(),
    }
}

/// An answer shown on a badge or at a gate: "Interpreter: Chinese", or
/// only the label of a yes/no field answered yes ("VIP parking").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shown {
    pub key: String,
    pub text: String,
}

/// The answers `answers` shows where `wanted` says (badge or gate), in the
/// fields' order, labelled in `lang`.
pub fn shown_answers(
    fields: &EventFields,
    category: &str,
    answers: &Answers,
    lang: Lang,
    wanted: impl Fn(&super::Placement, &Answer) -> bool,
) -> Vec<Shown> {
    let mut out = Vec::new();
    for field in fields.of_scope(Scope::Participant) {
        let def = &field.def;
        let Some(placement) = def.placement(Some(category)) else {
            continue;
        };
        let Some(answer) = answers.get(&def.key) else {
            continue;
        };
        if answer.x.is_none() || !wanted(&placement, answer) {
            continue;
        }
        let label = def.label.get(lang);
        let text = match &answer.x {
            Some(Value::Bool(true)) => label.to_owned(),
            Some(Value::Bool(false)) => continue,
            _ => format!("{label}: {}", display(fields, &def.key, answer, lang)),
        };
        out.push(Shown {
            key: def.key.clone(),
            text,
        });
    }
    out
}
