//! An online scan, one way: parse, decide without the database, then one
//! call of `gate_scan`, which records the scan, adds the checks that need
//! shared state, and returns the holder's name where the event shows it;
//! an entry allowed brings the holder's photo where the event shows those.

use chrono::{DateTime, Utc};

use crate::{
    db::{
        self,
        gates::{DecidedScan, ScanInput},
    },
    domain::{
        Principal, Services,
        badges::badge_number,
        offline::{Rules, Verdict, decide_way},
    },
    error::AppResult,
    ids::GateId,
    vocab::{DenyReason, Direction},
};

/// Longest QR text looked at; longer input is malformed without parsing.
const MAX_QR_TEXT: usize = 512;

/// What a gate sent, parsed: the gate's id, and its nonce checked (1 to 64
/// characters, trimmed).
#[derive(Debug, Clone)]
pub struct ScanRequest {
    pub gate_id: GateId,
    pub qr_text: String,
    pub direction: Direction,
    pub nonce: String,
    pub scanned_at: Option<DateTime<Utc>>,
    /// The language of the answers shown with an entry allowed.
    pub lang: crate::words::Lang,
}

/// What a gate shows.
#[derive(Debug, Clone)]
pub struct ScanResult {
    pub deny: Option<DenyReason>,
    pub category_code: String,
    pub category_color: String,
    pub badge_number: String,
    /// Only where the event allows names at gates.
    pub holder_name: String,
    /// The holder's photo (JPEG), on an entry allowed, only where the event
    /// allows photos at gates and one is on file.
    pub holder_photo: Option<Vec<u8>>,
    /// Answers the event shows at gates, on an entry allowed.
    pub notes: Vec<String>,
}

/// The checks that need no database, for one direction (`decide_way`);
/// an overlong text is malformed without parsing.
fn check(rules: &Rules, request: &ScanRequest, zone: Option<u8>, at: DateTime<Utc>) -> Verdict {
    if request.qr_text.len() > MAX_QR_TEXT {
        return Verdict {
            claims: None,
            deny: Some(DenyReason::Malformed),
        };
    }
    decide_way(rules, &request.qr_text, zone, at, request.direction)
}

impl Services {
    /// Decides one scan online and records it.
    pub async fn scan(&self, actor: &Principal, input: ScanRequest) -> AppResult<ScanResult> {
        let gate_id = input.gate_id;
        // Gate and rules first (cached; filling them takes connections of
        // their own), then one connection for the scan.
        let gate = self.cached_gate_zone(gate_id).await?;
        actor.require_gate(gate_id, gate.event_id)?;
        let rules = self.gate_rules(gate.event_id).await?;
        let names = rules.display.names;
        let at = input.scanned_at.unwrap_or_else(crate::domain::now);
        let verdict = check(&rules, &input, u8::try_from(gate.zone_number).ok(), at);
        let zone = rules
            .zones
            .iter()
            .find(|z| i16::from(z.number) == gate.zone_number)
            .map_or("", |z| z.code.as_str());
        // Refused for the badge itself: nothing shared decides it, so it is
        // answered now and recorded in the background.
        if let Some(reason) = verdict.deny.filter(|r| r.refuses_exit()) {
            let refusal = DecidedScan {
                gate_id,
                nonce: input.nonce.clone(),
                event_id: gate.event_id,
                zone_id: gate.zone_id,
                serial: None,
                version: None,
                direction: input.direction,
                deny: Some(reason),
                scanned_at: at,
            };
            if self.record_refusal(refusal).is_ok() {
                crate::meter::scan(
                    &rules.event_code,
                    zone,
                    input.direction.as_str(),
                    Some(reason.as_str()),
                );
                return Ok(ScanResult {
                    deny: Some(reason),
                    category_code: String::new(),
                    category_color: String::new(),
                    badge_number: String::new(),
                    holder_name: String::new(),
                    holder_photo: None,
                    notes: Vec::new(),
                });
            }
        }
        let mut conn = self.db.get().await?;
        // The badge is known only when its signature holds for this event.
        let badge = verdict
            .claims
            .as_ref()
            .filter(|_| !verdict.deny.is_some_and(DenyReason::refuses_exit));
        let scan = ScanInput {
            gate_id,
            nonce: &input.nonce,
            event_id: gate.event_id,
            zone_id: gate.zone_id,
            serial: badge.map(|c| i64::from(c.serial)),
            version: badge.map(|c| i32::from(c.version)),
            direction: input.direction,
            scanned_at: at,
            deny: verdict.deny,
            names,
        };
        // Committed before it is answered (`db::gates::scan`).
        let outcome = db::gates::scan(&mut conn, &scan).await?;
        crate::meter::scan(
            &rules.event_code,
            zone,
            input.direction.as_str(),
            outcome.deny.map(DenyReason::as_str),
        );
        let mut result = ScanResult {
            deny: outcome.deny,
            category_code: String::new(),
            category_color: String::new(),
            badge_number: String::new(),
            holder_name: outcome.holder.unwrap_or_default(),
            holder_photo: None,
            notes: Vec::new(),
        };
        if outcome.deny.is_none()
            && input.direction == Direction::In
            && rules.display.photos
            && let Some(claims) = badge
        {
            result.holder_photo = db::photos::of_badge(&mut conn, i64::from(claims.serial)).await?;
        }
        if outcome.deny.is_none()
            && input.direction == Direction::In
            && let Some(claims) = badge
        {
            result.notes = self
                .gate_notes(&mut conn, gate.event_id, claims.serial, input.lang)
                .await?;
        }
        if let Some(claims) = badge {
            result.badge_number = badge_number(i64::from(claims.serial), i32::from(claims.version));
            if let Some(category) = rules.categories.get(&claims.category) {
                result.category_code.clone_from(&category.code);
                result.category_color.clone_from(&category.color);
            }
        }
        Ok(result)
    }
}

impl Services {
    /// The holder's answers the event shows at gates for their category;
    /// nothing read when no field is shown at gates.
    async fn gate_notes(
        &self,
        conn: &mut crate::db::Conn,
        event_id: crate::ids::EventId,
        serial: u32,
        lang: crate::words::Lang,
    ) -> AppResult<Vec<String>> {
        let fields = self.event_fields(conn, event_id).await?;
        let shown_somewhere = fields
            .current
            .iter()
            .any(|f| f.def.placement.gate || f.def.categories.values().any(|p| p.gate));
        if !shown_somewhere {
            return Ok(Vec::new());
        }
        let Some(holder) = db::fields::of_badge(conn, i64::from(serial)).await? else {
            return Ok(Vec::new());
        };
        let answers = crate::domain::fields::answers::from_json(&holder.answers);
        Ok(crate::domain::fields::answers::shown_answers(
            &fields,
            &holder.category_code,
            &answers,
            lang,
            |p, _| p.gate,
        )
        .into_iter()
        .map(|s| s.text)
        .collect())
    }
}
