//! What applying a definition changes, and what would stop it: pure, from
//! the stored event (`Stored`) and the file.

use std::collections::HashMap;

use chrono::NaiveDate;

use super::{EventDefinition, KeyLines};
use crate::{
    db::models::{Category, Delegation, Event, Gate, Organization, Zone},
    domain::search_key::sort_key,
    error::FieldViolation,
    ids::ParticipantId,
    words::Violation,
};

/// An event as stored, with what removing or shrinking its parts would
/// lose.
#[derive(Debug, Default)]
pub(crate) struct Stored {
    pub event: Option<Event>,
    pub zones: Vec<StoredZone>,
    pub categories: Vec<StoredCategory>,
    pub gates: Vec<StoredGate>,
    pub organizations: Vec<StoredOrganization>,
    pub delegations: Vec<StoredDelegation>,
    /// Whether any badge was issued: badges carry zone and category
    /// numbers, which a removal would free for another.
    pub badges_issued: bool,
    /// Custom fields, newest versions, in position order.
    pub fields: Vec<StoredField>,
}

#[derive(Debug)]
pub(crate) struct StoredField {
    pub def: crate::domain::fields::FieldDef,
    pub version: i32,
    /// Records holding an answer to it.
    pub answered: i64,
}

#[derive(Debug)]
pub(crate) struct StoredZone {
    pub zone: Zone,
    pub parent_code: Option<String>,
    /// People inside now.
    pub inside: i64,
    /// Whether gates recorded scans in it.
    pub scanned: bool,
}

#[derive(Debug)]
pub(crate) struct StoredCategory {
    pub category: Category,
    pub zone_codes: Vec<String>,
    pub days: Vec<NaiveDate>,
    /// Participants of the category, cancelled ones too.
    pub participants: i64,
}

#[derive(Debug)]
pub(crate) struct StoredGate {
    pub gate: Gate,
    pub zone_code: String,
    pub scanned: bool,
}

#[derive(Debug)]
pub(crate) struct StoredOrganization {
    pub organization: Organization,
    pub participants: i64,
}

#[derive(Debug)]
pub(crate) struct StoredDelegation {
    pub delegation: Delegation,
    /// (category code, quota), by code.
    pub quotas: Vec<(String, i32)>,
    /// Active members per category code.
    pub members: HashMap<String, i64>,
    /// Participants of the delegation, cancelled ones too.
    pub people: i64,
    /// The head's roster reference, or id when it has none.
    pub head_ref: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    Create,
    Update,
    Remove,
}

/// One change of a plan: "update zone HALL-1: capacity".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub kind: ChangeKind,
    /// "event", "zone", "category", "gate", "organization", "delegation".
    pub what: &'static str,
    /// The code or name.
    pub key: String,
    /// The keys an update changes.
    pub fields: Vec<&'static str>,
}

impl std::fmt::Display for Change {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let verb = match self.kind {
            ChangeKind::Create => "create",
            ChangeKind::Update => "update",
            ChangeKind::Remove => "remove",
        };
        write!(f, "{verb} {} {}", self.what, self.key)?;
        if !self.fields.is_empty() {
            write!(f, ": {}", self.fields.join(", "))?;
        }
        Ok(())
    }
}

/// The heads the file names, resolved: ref -> (participant, its
/// delegation).
pub(crate) type Heads = HashMap<String, (ParticipantId, Option<crate::ids::DelegationId>)>;

/// The changes that make `stored` match `def`, in the order they are
/// applied, and what would lose data (fields "line N: key.path", or the
/// section and key of what the file leaves out).
pub(crate) fn plan(
    def: &EventDefinition,
    stored: &Stored,
    lines: &KeyLines,
    heads: &Heads,
) -> (Vec<Change>, Vec<FieldViolation>) {
    let mut changes = Vec::new();
    let mut blocked = Vec::new();
    let mut block = |path: String, violation: Violation| {
        blocked.push(FieldViolation::new(lines.field(&path), &violation));
    };
    let change = |kind, what, key: &str, fields: Vec<&'static str>| Change {
        kind,
        what,
        key: key.to_owned(),
        fields,
    };
    let e = &def.event;
    match &stored.event {
        None => changes.push(change(ChangeKind::Create, "event", &e.code, vec![])),
        Some(s) => {
            let mut fields = Vec::new();
            diff(&mut fields, "name", s.name == e.name);
            diff(&mut fields, "venue", s.venue == e.venue);
            diff(&mut fields, "time_zone", s.time_zone == e.time_zone);
            diff(&mut fields, "first_day", s.first_day == e.first_day);
            diff(&mut fields, "last_day", s.last_day == e.last_day);
            diff(
                &mut fields,
                "names_at_gates",
                s.names_at_gates == e.names_at_gates,
            );
            diff(
                &mut fields,
                "photos_at_gates",
                s.photos_at_gates == e.photos_at_gates,
            );
            if !fields.is_empty() {
                changes.push(change(ChangeKind::Update, "event", &e.code, fields));
            }
        }
    }

    for (i, z) in def.zones.iter().enumerate() {
        match stored.zones.iter().find(|s| s.zone.code == z.code) {
            None => changes.push(change(ChangeKind::Create, "zone", &z.code, vec![])),
            Some(s) => {
                let mut fields = Vec::new();
                diff(&mut fields, "name", s.zone.name == z.name);
                diff(&mut fields, "name_ru", s.zone.name_ru == z.name_ru);
                diff(&mut fields, "name_uz", s.zone.name_uz == z.name_uz);
                diff(&mut fields, "capacity", s.zone.capacity == z.capacity);
                diff(&mut fields, "parent", s.parent_code == z.parent);
                if z.capacity > 0 && i64::from(z.capacity) < s.inside {
                    block(
                        format!("zones[{i}].capacity"),
                        Violation::CapacityBelowInside { inside: s.inside },
                    );
                }
                if !fields.is_empty() {
                    changes.push(change(ChangeKind::Update, "zone", &z.code, fields));
                }
            }
        }
    }
    for c in &def.categories {
        match stored.categories.iter().find(|s| s.category.code == c.code) {
            None => changes.push(change(ChangeKind::Create, "category", &c.code, vec![])),
            Some(s) => {
                let mut fields = Vec::new();
                diff(&mut fields, "name", s.category.name == c.name);
                diff(&mut fields, "name_ru", s.category.name_ru == c.name_ru);
                diff(&mut fields, "name_uz", s.category.name_uz == c.name_uz);
                diff(&mut fields, "color", s.category.color == c.color);
                diff(&mut fields, "zones", s.zone_codes == c.zones);
                diff(&mut fields, "days", s.days == c.days);
                diff(&mut fields, "badge", s.category.badge_layout == c.badge);
                if !fields.is_empty() {
                    changes.push(change(ChangeKind::Update, "category", &c.code, fields));
                }
            }
        }
    }
    for g in &def.gates {
        match stored.gates.iter().find(|s| s.gate.code == g.code) {
            None => changes.push(change(ChangeKind::Create, "gate", &g.code, vec![])),
            Some(s) => {
                let mut fields = Vec::new();
                diff(&mut fields, "name", s.gate.name == g.name);
                diff(&mut fields, "zone", s.zone_code == g.zone);
                if !fields.is_empty() {
                    changes.push(change(ChangeKind::Update, "gate", &g.code, fields));
                }
            }
        }
    }
    for o in &def.organizations {
        let key = sort_key(&o.name);
        match stored
            .organizations
            .iter()
            .find(|s| s.organization.name_key == key)
        {
            None => changes.push(change(ChangeKind::Create, "organization", &o.name, vec![])),
            Some(s) => {
                let mut fields = Vec::new();
                diff(&mut fields, "name", s.organization.name == o.name);
                diff(&mut fields, "country", s.organization.country == o.country);
                diff(&mut fields, "kind", s.organization.kind == o.kind);
                if !fields.is_empty() {
                    changes.push(change(ChangeKind::Update, "organization", &o.name, fields));
                }
            }
        }
    }
    for (i, d) in def.delegations.iter().enumerate() {
        let found = stored
            .delegations
            .iter()
            .find(|s| s.delegation.name.to_lowercase() == d.name.to_lowercase());
        // The head: a participant of the event, a member of this delegation.
        if let Some(head) = &d.head {
            match heads.get(head) {
                None => block(
                    format!("delegations[{i}].head"),
                    Violation::UnknownParticipantRef,
                ),
                Some((_, of)) => {
                    if found.is_none_or(|s| *of != Some(s.delegation.id)) {
                        block(format!("delegations[{i}].head"), Violation::HeadNotMember);
                    }
                }
            }
        }
        match found {
            None => changes.push(change(ChangeKind::Create, "delegation", &d.name, vec![])),
            Some(s) => {
                let mut fields = Vec::new();
                diff(&mut fields, "name", s.delegation.name == d.name);
                diff(&mut fields, "country", s.delegation.country == d.country);
                diff(&mut fields, "head", s.head_ref == d.head);
                diff(&mut fields, "quotas", s.quotas == d.quotas);
                for (code, members) in &s.members {
                    let quota = d
                        .quotas
                        .iter()
                        .find(|(c, _)| c == code)
                        .map_or(0, |(_, q)| i64::from(*q));
                    if quota < *members {
                        block(
                            format!("delegations[{i}].quotas.{code}"),
                            Violation::QuotaBelowMembers { members: *members },
                        );
                    }
                }
                if !fields.is_empty() {
                    changes.push(change(ChangeKind::Update, "delegation", &d.name, fields));
                }
            }
        }
    }

    for f in &def.fields {
        match stored.fields.iter().find(|s| s.def.key == f.key) {
            None => changes.push(change(ChangeKind::Create, "field", &f.key, vec![])),
            Some(s) => {
                let o = &s.def;
                let mut fields = Vec::new();
                diff(&mut fields, "scope", o.scope == f.scope);
                diff(&mut fields, "kind", o.kind == f.kind);
                diff(&mut fields, "sensitivity", o.sensitivity == f.sensitivity);
                diff(&mut fields, "position", o.position == f.position);
                diff(&mut fields, "label", o.label == f.label);
                diff(&mut fields, "help", o.help == f.help);
                diff(&mut fields, "rules", o.rules == f.rules);
                diff(&mut fields, "options", o.options == f.options);
                diff(&mut fields, "show_if", o.show_if == f.show_if);
                diff(&mut fields, "placement", o.placement == f.placement);
                diff(&mut fields, "categories", o.categories == f.categories);
                diff(&mut fields, "retired", o.retired == f.retired);
                if !fields.is_empty() {
                    changes.push(change(ChangeKind::Update, "field", &f.key, fields));
                }
            }
        }
    }
    // What the file leaves out is removed, unless that loses data.
    for s in &stored.fields {
        if !def.fields.iter().any(|f| f.key == s.def.key) {
            if s.answered > 0 {
                block(
                    format!("fields: {}", s.def.key),
                    Violation::HasAnswers { count: s.answered },
                );
            }
            changes.push(change(ChangeKind::Remove, "field", &s.def.key, vec![]));
        }
    }
    for s in &stored.delegations {
        let name = s.delegation.name.to_lowercase();
        if !def
            .delegations
            .iter()
            .any(|d| d.name.to_lowercase() == name)
        {
            if s.people > 0 {
                block(
                    format!("delegations: {}", s.delegation.name),
                    Violation::HasParticipants { count: s.people },
                );
            }
            changes.push(change(
                ChangeKind::Remove,
                "delegation",
                &s.delegation.name,
                vec![],
            ));
        }
    }
    for s in &stored.organizations {
        if !def
            .organizations
            .iter()
            .any(|o| sort_key(&o.name) == s.organization.name_key)
        {
            if s.participants > 0 {
                block(
                    format!("organizations: {}", s.organization.name),
                    Violation::HasParticipants {
                        count: s.participants,
                    },
                );
            }
            changes.push(change(
                ChangeKind::Remove,
                "organization",
                &s.organization.name,
                vec![],
            ));
        }
    }
    for s in &stored.gates {
        if !def.gates.iter().any(|g| g.code == s.gate.code) {
            if s.scanned {
                block(format!("gates: {}", s.gate.code), Violation::HasScans);
            }
            changes.push(change(ChangeKind::Remove, "gate", &s.gate.code, vec![]));
        }
    }
    for s in &stored.categories {
        if !def.categories.iter().any(|c| c.code == s.category.code) {
            let path = format!("categories: {}", s.category.code);
            if s.participants > 0 {
                block(
                    path,
                    Violation::HasParticipants {
                        count: s.participants,
                    },
                );
            } else if stored.badges_issued {
                block(path, Violation::BadgesCarryIt);
            }
            changes.push(change(
                ChangeKind::Remove,
                "category",
                &s.category.code,
                vec![],
            ));
        }
    }
    for s in &stored.zones {
        if !def.zones.iter().any(|z| z.code == s.zone.code) {
            let path = format!("zones: {}", s.zone.code);
            if s.scanned || s.inside > 0 {
                block(path, Violation::HasScans);
            } else if stored.badges_issued {
                block(path, Violation::BadgesCarryIt);
            }
            changes.push(change(ChangeKind::Remove, "zone", &s.zone.code, vec![]));
        }
    }
    (changes, blocked)
}

fn diff(fields: &mut Vec<&'static str>, name: &'static str, same: bool) {
    if !same {
        fields.push(name);
    }
}

#[cfg(test)]
mod tests {
    use super::{Heads, Stored, StoredZone, plan};
    use crate::{
        db::models::Zone,
        domain::event_file::parse,
        ids::{EventId, ZoneId},
    };

    const FILE: &str = "[event]\ncode = \"F\"\nname = \"Fair\"\nfirst_day = 2024-04-22\nlast_day = 2024-04-22\n\n[[zones]]\ncode = \"HALL\"\nname = \"Hall\"\ncapacity = 10\n";

    fn stored_hall(capacity: i32, inside: i64, scanned: bool) -> StoredZone {
        StoredZone {
            zone: Zone {
                id: ZoneId::generate(),
                event_id: EventId::generate(),
                code: "HALL".to_owned(),
                name: "Hall".to_owned(),
                capacity,
                parent_zone_id: None,
                name_ru: String::new(),
                name_uz: String::new(),
            },
            parent_code: None,
            inside,
            scanned,
        }
    }

    #[test]
    fn a_capacity_below_the_people_inside_is_refused_at_its_line() {
        let (def, lines) = parse(FILE).unwrap();
        let stored = Stored {
            zones: vec![stored_hall(100, 40, true)],
            ..Stored::default()
        };
        let (changes, blocked) = plan(&def, &stored, &lines, &Heads::new());
        assert_eq!(blocked.len(), 1, "{blocked:?}");
        assert_eq!(blocked[0].field, "line 10: zones[0].capacity");
        assert_eq!(blocked[0].code, "CAPACITY_BELOW_INSIDE");
        assert!(blocked[0].description.contains("40"));
        // The change is still planned: the refusal names what blocks it.
        assert!(
            changes
                .iter()
                .any(|c| c.to_string() == "update zone HALL: capacity")
        );

        // Unlimited, or room for those inside: no refusal.
        for (capacity, inside) in [(0, 40), (10, 10)] {
            let file = FILE.replace("capacity = 10", &format!("capacity = {capacity}"));
            let (def, lines) = parse(&file).unwrap();
            let stored = Stored {
                zones: vec![stored_hall(100, inside, true)],
                ..Stored::default()
            };
            assert!(plan(&def, &stored, &lines, &Heads::new()).1.is_empty());
        }
    }

    #[test]
    fn a_zone_with_scans_is_not_removed() {
        let file = FILE.replace("code = \"HALL\"", "code = \"NEW\"");
        let (def, lines) = parse(&file).unwrap();
        let stored = Stored {
            zones: vec![stored_hall(100, 0, true)],
            ..Stored::default()
        };
        let (changes, blocked) = plan(&def, &stored, &lines, &Heads::new());
        assert_eq!(blocked[0].field, "zones: HALL");
        assert_eq!(blocked[0].code, "HAS_SCANS");
        let shown: Vec<String> = changes.iter().map(ToString::to_string).collect();
        assert_eq!(
            shown,
            ["create event F", "create zone NEW", "remove zone HALL"]
        );
    }
}
