//! An event as a file: its days, zones, categories, gates, organisations
//! and delegations in one TOML text (`docs/event-file.md`). `parse` reads
//! it with every problem at once, each at its line; `plan` compares it
//! with what is stored; `apply` makes the event match it in one
//! transaction, or changes nothing; `render` writes an event back.

mod apply;
mod parse;
mod plan;
mod render;

use crate::db::models::CategoryLayout;
use chrono::NaiveDate;

use crate::db::models::OrganizationKind;

pub use apply::{Applied, EventFileRequest};
pub use parse::{MAX_FILE_BYTES, parse};
pub use plan::{Change, ChangeKind};

/// Everything an event file says, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct EventDefinition {
    pub event: EventSpec,
    pub zones: Vec<ZoneSpec>,
    pub categories: Vec<CategorySpec>,
    pub gates: Vec<GateSpec>,
    pub organizations: Vec<OrganizationSpec>,
    pub delegations: Vec<DelegationSpec>,
    /// Custom registration fields (`[[fields]]`), checked.
    pub fields: Vec<crate::domain::fields::FieldDef>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct EventSpec {
    pub code: String,
    pub name: String,
    pub venue: String,
    pub time_zone: String,
    pub first_day: NaiveDate,
    pub last_day: NaiveDate,
    pub names_at_gates: bool,
    pub photos_at_gates: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ZoneSpec {
    pub code: String,
    pub name: String,
    pub name_ru: String,
    pub name_uz: String,
    /// 0: unlimited.
    pub capacity: i32,
    pub parent: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CategorySpec {
    pub code: String,
    pub name: String,
    pub name_ru: String,
    pub name_uz: String,
    /// "#RRGGBB".
    pub color: String,
    /// Zone codes of the file, each once.
    pub zones: Vec<String>,
    /// Days of the event, sorted, each once; empty: every day.
    pub days: Vec<NaiveDate>,
    /// The badge its holders get by default (`badge = "a6"` or `"card"`).
    pub badge: CategoryLayout,
}

#[derive(Debug, Clone, PartialEq)]
pub struct GateSpec {
    pub code: String,
    pub name: String,
    pub zone: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct OrganizationSpec {
    pub name: String,
    pub country: String,
    pub kind: OrganizationKind,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DelegationSpec {
    pub name: String,
    pub country: String,
    /// The head: a participant's roster reference (`external_ref`) or id.
    pub head: Option<String>,
    /// (category code, quota), in category code order.
    pub quotas: Vec<(String, i32)>,
}

/// Where each key of a file is: its line, by key path
/// (`zones[2].capacity`).
#[derive(Debug, Clone, Default)]
pub struct KeyLines(std::collections::HashMap<String, usize>);

impl KeyLines {
    /// The line of `path`, or of the nearest key above it.
    pub fn line_of(&self, path: &str) -> Option<usize> {
        let mut path = path;
        loop {
            if let Some(line) = self.0.get(path) {
                return Some(*line);
            }
            let cut = path.rfind(['.', '['])?;
            path = &path[..cut];
        }
    }

    /// `path` as a violation names it: "line 12: zones[2].capacity".
    pub fn field(&self, path: &str) -> String {
        match self.line_of(path) {
            Some(line) => format!("line {line}: {path}"),
            None => path.to_owned(),
        }
    }
}
