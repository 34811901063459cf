//! Builders of test data through the public API.

use expopass::proto::pb;

use super::TestApp;

/// An event with zones, categories and a gate, as the organiser sets it up.
#[derive(Debug, Clone)]
pub struct Fixture {
    pub event_id: String,
}

impl TestApp {
    /// Creates event `code` (2024-04-22..24) with zones HALL-A, PLENARY,
    /// B2B and categories VISITOR, DELEGATE, PRESS, VIP.
    pub async fn event(&self, code: &str) -> Fixture {
        let mut events = self.events();
        let event = events
            .create_event(pb::CreateEventRequest {
                code: code.to_owned(),
                name: format!("Test fair {code}"),
                venue: "Uzexpocentre, Tashkent".to_owned(),
                time_zone: "Asia/Tashkent".to_owned(),
                first_day: "2024-04-22".to_owned(),
                last_day: "2024-04-24".to_owned(),
                names_at_gates: false,
                photos_at_gates: false,
            })
            .await
            .expect("create event")
            .into_inner()
            .event
            .expect("event");
        for (zone, capacity) in [("HALL-A", 5000), ("PLENARY", 800), ("B2B", 200)] {
            events
                .upsert_zone(pb::UpsertZoneRequest {
                    event_id: event.id.clone(),
                    code: zone.to_owned(),
                    name: zone.to_owned(),
                    capacity,
                    parent_code: String::new(),
                    ..Default::default()
                })
                .await
                .expect("zone");
        }
        for (code, color, zones) in [
            ("VISITOR", "#1E88E5", vec!["HALL-A"]),
            ("DELEGATE", "#43A047", vec!["HALL-A", "PLENARY", "B2B"]),
            ("PRESS", "#FB8C00", vec!["HALL-A", "PLENARY"]),
            ("VIP", "#8E24AA", vec!["HALL-A", "PLENARY", "B2B"]),
        ] {
            events
                .upsert_category(pb::UpsertCategoryRequest {
                    event_id: event.id.clone(),
                    code: code.to_owned(),
                    name: code.to_owned(),
                    color: color.to_owned(),
                    zone_codes: zones.into_iter().map(str::to_owned).collect(),
                    valid_days: vec![],
                    ..Default::default()
                })
                .await
                .expect("category");
        }
        Fixture { event_id: event.id }
    }

    /// A gate `code` into `zone` of the fixture's event.
    pub async fn gate(&self, fixture: &Fixture, code: &str, zone: &str) -> pb::Gate {
        self.events()
            .upsert_gate(pb::UpsertGateRequest {
                event_id: fixture.event_id.clone(),
                code: code.to_owned(),
                name: code.to_owned(),
                zone_code: zone.to_owned(),
            })
            .await
            .expect("gate")
            .into_inner()
            .gate
            .expect("gate")
    }

    /// A delegation of `country` with these quotas.
    pub async fn delegation(
        &self,
        fixture: &Fixture,
        country: &str,
        quotas: &[(&str, u32)],
    ) -> pb::Delegation {
        self.desk()
            .create_delegation(pb::CreateDelegationRequest {
                request_id: uuid::Uuid::new_v4().to_string(),
                event_id: fixture.event_id.clone(),
                country: country.to_owned(),
                name: format!("Delegation of {country}"),
                quotas: quotas
                    .iter()
                    .map(|(code, quota)| pb::DelegationQuota {
                        category_code: (*code).to_owned(),
                        quota: *quota,
                        used: 0,
                    })
                    .collect(),
                ..Default::default()
            })
            .await
            .expect("delegation")
            .into_inner()
            .delegation
            .expect("delegation")
    }

    /// Registers a participant; returns it.
    pub async fn register(
        &self,
        fixture: &Fixture,
        input: pb::ParticipantInput,
    ) -> pb::Participant {
        self.desk()
            .register_participant(register_request(fixture, input))
            .await
            .expect("register")
            .into_inner()
            .participant
            .expect("participant")
    }

    /// Issues a participant's badge from a desk; returns the badge and
    /// its PDF.
    pub async fn issue(
        &self,
        participant_id: &str,
        layout: pb::BadgeLayout,
    ) -> pb::IssueBadgeResponse {
        self.badges()
            .issue_badge(pb::IssueBadgeRequest {
                participant_id: participant_id.to_owned(),
                layout: layout.into(),
            })
            .await
            .expect("issue badge")
            .into_inner()
    }

    /// Given names of the event's participants found by a name prefix
    /// (first page).
    pub async fn found(&self, event_id: &str, prefix: &str) -> Vec<String> {
        self.desk()
            .search_participants(pb::SearchParticipantsRequest {
                event_id: event_id.to_owned(),
                name_prefix: prefix.to_owned(),
                ..Default::default()
            })
            .await
            .expect("search")
            .into_inner()
            .participants
            .into_iter()
            .map(|p| p.given_name)
            .collect()
    }
}

/// A valid participant: a visitor from Uzbekistan.
pub fn person(given: &str, family: &str) -> pb::ParticipantInput {
    pb::ParticipantInput {
        given_name: given.to_owned(),
        family_name: family.to_owned(),
        country: "UZ".to_owned(),
        category_code: "VISITOR".to_owned(),
        email: format!(
            "{}.{}@example.uz",
            given.to_lowercase(),
            family.to_lowercase()
        ),
        ..Default::default()
    }
}

pub fn register_request(
    fixture: &Fixture,
    input: pb::ParticipantInput,
) -> pb::RegisterParticipantRequest {
    pb::RegisterParticipantRequest {
        request_id: uuid::Uuid::new_v4().to_string(),
        event_id: fixture.event_id.clone(),
        participant: Some(input),
    }
}

/// `p` with the answers the reference event's custom fields require of
/// its category (examples/innoprom-ca-2024.toml).
pub fn answered_for_the_fair(mut p: pb::ParticipantInput) -> pb::ParticipantInput {
    let text = |t: &str| pb::AnswerValue {
        value: Some(pb::answer_value::Value::Text(t.to_owned())),
        on_badge: false,
    };
    match p.category_code.as_str() {
        "VISITOR" => {
            p.answers.insert("sector".to_owned(), text("energy"));
            p.answers.insert("purpose".to_owned(), text("partners"));
        }
        "EXHIBITOR" => {
            p.answers.insert("sector".to_owned(), text("machinery"));
        }
        "PRESS" => {
            p.answers.insert("press_card".to_owned(), text("UZ-20431"));
        }
        _ => {}
    }
    p
}
