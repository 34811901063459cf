//! A stored event written as an event file: what `parse` reads back into
//! the same definition, so exporting then applying changes nothing.

use crate::db::models::CategoryLayout;
use std::collections::BTreeMap;

use serde::Serialize;

use super::plan::Stored;

#[derive(Serialize)]
struct File<'a> {
    event: EventOut<'a>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    zones: Vec<ZoneOut<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    categories: Vec<CategoryOut<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    gates: Vec<GateOut<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    organizations: Vec<OrganizationOut<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    delegations: Vec<DelegationOut<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    fields: Vec<crate::domain::fields::FieldDraft>,
}

#[derive(Serialize)]
struct EventOut<'a> {
    code: &'a str,
    name: &'a str,
    venue: &'a str,
    time_zone: &'a str,
    first_day: String,
    last_day: String,
    names_at_gates: bool,
    photos_at_gates: bool,
}

#[derive(Serialize)]
struct ZoneOut<'a> {
    code: &'a str,
    name: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    name_ru: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    name_uz: &'a str,
    capacity: i32,
    #[serde(skip_serializing_if = "Option::is_none")]
    parent: Option<&'a str>,
}

#[derive(Serialize)]
struct CategoryOut<'a> {
    code: &'a str,
    name: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    name_ru: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    name_uz: &'a str,
    color: &'a str,
    zones: &'a [String],
    #[serde(skip_serializing_if = "Vec::is_empty")]
    days: Vec<String>,
    /// Left out when the default (A6).
    #[serde(skip_serializing_if = "Option::is_none")]
    badge: Option<&'static str>,
}

#[derive(Serialize)]
struct GateOut<'a> {
    code: &'a str,
    name: &'a str,
    zone: &'a str,
}

#[derive(Serialize)]
struct OrganizationOut<'a> {
    name: &'a str,
    country: &'a str,
    kind: &'static str,
}

#[derive(Serialize)]
struct DelegationOut<'a> {
    name: &'a str,
    country: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    head: Option<&'a str>,
    quotas: BTreeMap<&'a str, i32>,
}

/// The event file of a stored event (which must exist).
pub(crate) fn render(stored: &Stored) -> Result<String, toml::ser::Error> {
    let Some(e) = &stored.event else {
        return Ok(String::new());
    };
    let file = File {
        event: EventOut {
            code: &e.code,
            name: &e.name,
            venue: &e.venue,
            time_zone: &e.time_zone,
            first_day: e.first_day.to_string(),
            last_day: e.last_day.to_string(),
            names_at_gates: e.names_at_gates,
            photos_at_gates: e.photos_at_gates,
        },
        zones: zones_in_order(stored)
            .into_iter()
            .map(|z| ZoneOut {
                code: &z.zone.code,
                name: &z.zone.name,
                name_ru: &z.zone.name_ru,
                name_uz: &z.zone.name_uz,
                capacity: z.zone.capacity,
                parent: z.parent_code.as_deref(),
            })
            .collect(),
        categories: stored
            .categories
            .iter()
            .map(|c| CategoryOut {
                code: &c.category.code,
                name: &c.category.name,
                name_ru: &c.category.name_ru,
                name_uz: &c.category.name_uz,
                color: &c.category.color,
                zones: &c.zone_codes,
                days: c.days.iter().map(ToString::to_string).collect(),
                badge: (c.category.badge_layout != CategoryLayout::A6)
                    .then(|| c.category.badge_layout.as_str()),
            })
            .collect(),
        gates: stored
            .gates
            .iter()
            .map(|g| GateOut {
                code: &g.gate.code,
                name: &g.gate.name,
                zone: &g.zone_code,
            })
            .collect(),
        organizations: stored
            .organizations
            .iter()
            .map(|o| OrganizationOut {
                name: &o.organization.name,
                country: &o.organization.country,
                kind: o.organization.kind.as_str(),
            })
            .collect(),
        delegations: stored
            .delegations
            .iter()
            .map(|d| DelegationOut {
                name: &d.delegation.name,
                country: &d.delegation.country,
                head: d.head_ref.as_deref(),
                quotas: d.quotas.iter().map(|(c, q)| (c.as_str(), *q)).collect(),
            })
            .collect(),
        fields: stored.fields.iter().map(|f| (&f.def).into()).collect(),
    };
    let body = toml::to_string(&file)?;
    Ok(format!(
        "# The event {} as an Expopass event file (docs/event-file.md).\n\
         # Apply it with: expopass event apply FILE\n\n{body}",
        e.code
    ))
}

/// Zones with every parent before its children, otherwise by code.
fn zones_in_order(stored: &Stored) -> Vec<&super::plan::StoredZone> {
    let mut out: Vec<&super::plan::StoredZone> = Vec::new();
    let mut left: Vec<&super::plan::StoredZone> = stored.zones.iter().collect();
    while !left.is_empty() {
        let before = left.len();
        left.retain(|z| {
            let ready = z
                .parent_code
                .as_ref()
                .is_none_or(|p| out.iter().any(|o| &o.zone.code == p));
            if ready {
                out.push(z);
            }
            !ready
        });
        if left.len() == before {
            // A cycle cannot be stored; should one be, keep every zone.
            out.append(&mut left);
        }
    }
    out
}
