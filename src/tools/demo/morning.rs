//! The opening morning of the reference event at the gates: arrivals at the
//! halls, the plenary session, the VIP lounge, people leaving; forged,
//! altered, reprinted, blocked and cancelled badges; one gate offline that
//! decides alone from its bundle and uploads later. Simulated time (08:00
//! to 12:00 in Tashkent on the first day), played as fast as the server
//! answers, in time order, a five-minute slot at a time.

use std::{
    collections::{BTreeMap, HashMap},
    path::Path,
    time::Instant,
};

use anyhow::Context as _;
use chrono::{DateTime, Duration, TimeZone as _, Utc};
use futures::{StreamExt as _, stream};

use expopass::{
    domain::{
        offline::{Rules, decide},
        qr::{BadgeClaims, ParsedToken},
    },
    local::Authed,
    proto::pb::{
        self, badge_service_client::BadgeServiceClient, event_service_client::EventServiceClient,
        gate_service_client::GateServiceClient,
        registration_service_client::RegistrationServiceClient,
    },
};

/// The gate that loses its network for the morning.
const OFFLINE_GATE: &str = "HALL-MAIN-6";
/// Scans in flight at once.
const CONCURRENCY: usize = 32;
/// Minutes per slot (and per point of the chart).
const SLOT_MINUTES: i64 = 5;
/// Top-level zones drawn on the chart.
const CHARTED: &[&str] = &["HALL-1", "HALL-2", "HALL-3", "CONGRESS", "B2B", "VIP"];

/// One planned scan.
#[derive(Clone)]
struct Planned {
    at: DateTime<Utc>,
    gate: String,
    qr: String,
    exit: bool,
    /// What the scan stages; empty for the crowd.
    label: &'static str,
}

pub(super) struct Clients {
    pub events: EventServiceClient<Authed>,
    pub desk: RegistrationServiceClient<Authed>,
    pub badges: BadgeServiceClient<Authed>,
    pub gates: GateServiceClient<Authed>,
}

/// The holder of a badge as the simulation needs it.
struct Holder {
    participant_id: String,
    badge_id: String,
    category: String,
    qr: String,
}

impl Planned {
    /// An entry scan.
    fn entry(at: DateTime<Utc>, gate: String, qr: String, label: &'static str) -> Self {
        Self {
            at,
            gate,
            qr,
            exit: false,
            label,
        }
    }
}

/// One of the lanes, at random.
fn pick_lane(rng: &mut fastrand::Rng, lanes: &[String]) -> String {
    lanes[rng.usize(0..lanes.len())].clone()
}

fn opening(hour: u32, minute: u32) -> DateTime<Utc> {
    // 22 April 2024 in Tashkent (UTC+5, no summer time).
    Utc.with_ymd_and_hms(2024, 4, 22, hour, minute, 0)
        .single()
        .unwrap_or_default()
        - Duration::hours(5)
}

pub(super) async fn play(
    mut c: Clients,
    event_id: &str,
    out_dir: &Path,
    seed: u64,
) -> anyhow::Result<(usize, std::time::Duration)> {
    let mut rng = fastrand::Rng::with_seed(seed ^ 0x6a7e);
    println!("\nOpening morning at the gates (22 April 2024, 08:00-12:00 in Tashkent, simulated):");

    // Gates by zone.
    let gates = c
        .events
        .list_gates(pb::ListGatesRequest {
            event_id: event_id.to_owned(),
        })
        .await?
        .into_inner()
        .gates;
    let gate_of = |code: &str| -> anyhow::Result<String> {
        gates
            .iter()
            .find(|g| g.code == code)
            .map(|g| g.id.clone())
            .with_context(|| format!("no gate {code}"))
    };
    let main_lanes: Vec<String> = gates
        .iter()
        .filter(|g| g.code.starts_with("HALL-MAIN-"))
        .map(|g| g.id.clone())
        .collect();
    let offline_gate = gate_of(OFFLINE_GATE)?;

    // Every participant's badge.
    let holders = holders(&mut c, event_id).await?;
    println!("  {} badges in hand", holders.len());

    // The incidents of the morning, staged through the API.
    let mut incidents: Vec<Planned> = Vec::new();
    let visitors: Vec<&Holder> = holders.iter().filter(|h| h.category == "VISITOR").collect();
    let pick =
        |rng: &mut fastrand::Rng, list: &[&Holder]| -> usize { rng.usize(0..list.len().max(1)) };
    // Reprinted: the old badge is used by someone else.
    for _ in 0..5 {
        let h = visitors[pick(&mut rng, &visitors)];
        c.badges
            .issue_badge(pb::IssueBadgeRequest {
                participant_id: h.participant_id.clone(),
                layout: pb::BadgeLayout::A6.into(),
            })
            .await?;
        let at = opening(9, rng.u32(0..50));
        incidents.push(Planned::entry(
            at,
            pick_lane(&mut rng, &main_lanes),
            h.qr.clone(),
            "old badge after a reprint",
        ));
    }
    // Blocked: reported lost, then found at a gate.
    for _ in 0..3 {
        let h = visitors[pick(&mut rng, &visitors)];
        c.badges
            .block_badge(pb::BlockBadgeRequest {
                badge_id: h.badge_id.clone(),
                reason: "reported lost at the info desk".to_owned(),
            })
            .await?;
        let at = opening(10, rng.u32(0..50));
        incidents.push(Planned::entry(
            at,
            pick_lane(&mut rng, &main_lanes),
            h.qr.clone(),
            "blocked badge",
        ));
    }
    // Cancelled registrations whose badges were already printed.
    for _ in 0..2 {
        let h = visitors[pick(&mut rng, &visitors)];
        c.desk
            .cancel_participant(pb::CancelParticipantRequest {
                id: h.participant_id.clone(),
                reason: "registration withdrawn".to_owned(),
            })
            .await?;
        let at = opening(9, rng.u32(0..59));
        incidents.push(Planned::entry(
            at,
            pick_lane(&mut rng, &main_lanes),
            h.qr.clone(),
            "cancelled participant",
        ));
    }
    // Forgeries: a self-made key, and a real badge with one byte changed.
    let template = ParsedToken::parse(&holders[0].qr)
        .context("a demo badge does not parse")?
        .claims;
    for i in 0..5u32 {
        let forged = BadgeClaims {
            key_id: template.key_id ^ 0x0bad_f00d,
            serial: template.serial + 900_000 + i,
            ..template.clone()
        }
        .sign(&ed25519_dalek::SigningKey::from_bytes(&[i as u8 + 1; 32]))
        .context("sign")?;
        let at = opening(9, rng.u32(0..59));
        incidents.push(Planned::entry(
            at,
            pick_lane(&mut rng, &main_lanes),
            forged,
            "forged badge",
        ));
    }
    for _ in 0..3 {
        let h = &holders[rng.usize(0..holders.len())];
        let mut bytes = base45::decode(&h.qr[4..]).context("base45")?;
        bytes[12] ^= 0x40; // serial's last byte
        let at = opening(9, rng.u32(0..59));
        incidents.push(Planned::entry(
            at,
            pick_lane(&mut rng, &main_lanes),
            format!("EP1:{}", base45::encode(&bytes)),
            "altered badge",
        ));
    }

    // Passback across the offline lane: in through the lane that cannot
    // know, then the badge goes back over the fence to an online lane.
    let mut staged = std::collections::HashSet::new();
    for i in 0..3 {
        let h = visitors[pick(&mut rng, &visitors)];
        staged.insert(h.participant_id.clone());
        let at = opening(9, 10 + 7 * i);
        incidents.push(Planned {
            at,
            gate: offline_gate.clone(),
            qr: h.qr.clone(),
            exit: false,
            label: "passback via the offline lane",
        });
        incidents.push(Planned {
            at: at + Duration::minutes(4),
            gate: main_lanes[1].clone(),
            qr: h.qr.clone(),
            exit: false,
            label: "passback via the offline lane",
        });
    }

    // The crowd.
    let mut plan: Vec<Planned> = Vec::new();
    let hall_gates = [
        ("HALL-1", main_lanes.clone()),
        ("HALL-2", vec![gate_of("HALL-2-EAST")?]),
        ("HALL-3", vec![gate_of("HALL-3-WEST")?]),
    ];
    let congress = [gate_of("CONGRESS-1")?, gate_of("CONGRESS-2")?];
    let vip = gate_of("VIP-1")?;
    let b2b = gate_of("B2B-1")?;
    for h in &holders {
        // Most come on the first morning; staff come early.
        if rng.f32() > 0.72 || staged.contains(&h.participant_id) {
            continue;
        }
        let minute = if h.category == "STAFF" || h.category == "ORGANIZER" {
            rng.i64(0..30)
        } else {
            // A peak around 09:40.
            30 + (rng.i64(0..120) + rng.i64(0..120)) / 2 + rng.i64(-20..40)
        }
        .clamp(0, 200);
        let at = opening(8, 0) + Duration::minutes(minute) + Duration::seconds(rng.i64(0..60));
        let r = rng.f32();
        let (_, lanes) = if r < 0.62 {
            &hall_gates[0]
        } else if r < 0.84 {
            &hall_gates[1]
        } else {
            &hall_gates[2]
        };
        plan.push(Planned {
            at,
            gate: lanes[rng.usize(0..lanes.len())].clone(),
            qr: h.qr.clone(),
            exit: false,
            label: "",
        });
        // The plenary session at 10:00 for delegations, speakers, press, VIPs
        // (and a few visitors who try their luck).
        let to_plenary = matches!(
            h.category.as_str(),
            "DELEGATE" | "SPEAKER" | "PRESS" | "VIP"
        ) || (h.category == "VISITOR" && rng.f32() < 0.01);
        if to_plenary && minute < 115 {
            plan.push(Planned {
                at: opening(9, 45) + Duration::minutes(rng.i64(0..25)),
                gate: congress[rng.usize(0..2)].clone(),
                qr: h.qr.clone(),
                exit: false,
                label: "",
            });
            if h.category == "VIP" && rng.f32() < 0.6 {
                plan.push(Planned {
                    at: opening(11, 15) + Duration::minutes(rng.i64(0..20)),
                    gate: vip.clone(),
                    qr: h.qr.clone(),
                    exit: false,
                    label: "",
                });
            }
        } else if h.category == "EXHIBITOR" && rng.f32() < 0.25 {
            plan.push(Planned {
                at: at + Duration::minutes(rng.i64(20..90)),
                gate: b2b.clone(),
                qr: h.qr.clone(),
                exit: false,
                label: "",
            });
        } else if rng.f32() < 0.12 {
            // Out for lunch.
            let out = at + Duration::minutes(rng.i64(40..120));
            plan.push(Planned {
                at: out,
                gate: lanes[0].clone(),
                qr: h.qr.clone(),
                exit: true,
                label: "",
            });
        }
        // Passback: the badge handed back over the fence to a second person,
        // who tries another lane of the same hall.
        if rng.f32() < 0.002 {
            plan.push(Planned {
                at: at + Duration::minutes(rng.i64(2..10)),
                gate: lanes[rng.usize(0..lanes.len())].clone(),
                qr: h.qr.clone(),
                exit: false,
                label: "passback",
            });
        }
    }
    plan.extend(incidents);
    plan.sort_by_key(|p| p.at);

    // The offline gate decides from a bundle taken before it lost the
    // network.
    let bundle = c
        .gates
        .get_offline_bundle(pb::GetOfflineBundleRequest {
            gate_id: offline_gate.clone(),
        })
        .await?
        .into_inner();
    let rules = Rules::from_bundle(&bundle.bundle)?;
    let offline_zone = rules.zone_number("HALL-1");
    println!(
        "  gate {OFFLINE_GATE} is offline all morning: it decides from its bundle (version {}, {} bytes)",
        bundle.version,
        bundle.bundle.len()
    );

    let mut by_reason: BTreeMap<String, usize> = BTreeMap::new();
    let mut incident_outcomes: BTreeMap<&'static str, BTreeMap<String, usize>> = BTreeMap::new();
    let mut offline_scans = Vec::new();
    let mut series: Vec<(i64, HashMap<String, u32>)> = Vec::new();
    let started = Instant::now();
    let mut online = 0usize;
    let end = opening(12, 0);
    let mut slot_start = opening(8, 0);
    let mut index = 0;
    let mut nonce = 0u64;
    while slot_start < end {
        let slot_end = slot_start + Duration::minutes(SLOT_MINUTES);
        let mut slot: Vec<Planned> = Vec::new();
        while index < plan.len() && plan[index].at < slot_end {
            slot.push(plan[index].clone());
            index += 1;
        }
        let mut requests = Vec::new();
        for p in slot {
            nonce += 1;
            if p.gate == offline_gate {
                let verdict = decide(&rules, &p.qr, offline_zone, p.at);
                let key = format!("{} (offline)", verdict.deny.map_or("ALLOW", |r| r.as_str()));
                if !p.label.is_empty() {
                    *incident_outcomes
                        .entry(p.label)
                        .or_default()
                        .entry(key.clone())
                        .or_default() += 1;
                }
                *by_reason.entry(key).or_default() += 1;
                offline_scans.push(pb::UploadOfflineScansRequest {
                    scan: Some(pb::OfflineScan {
                        gate_id: p.gate.clone(),
                        nonce: format!("{OFFLINE_GATE}-{nonce}"),
                        scanned_at: Some(prost_types::Timestamp {
                            seconds: p.at.timestamp(),
                            nanos: 0,
                        }),
                        qr_text: p.qr.clone(),
                        direction: if p.exit {
                            pb::Direction::Out
                        } else {
                            pb::Direction::In
                        }
                        .into(),
                        decision: if verdict.allowed() {
                            pb::Decision::Allow
                        } else {
                            pb::Decision::Deny
                        }
                        .into(),
                        reason: verdict.deny.map_or(0, |r| reason_number(r.as_str())),
                    }),
                });
                continue;
            }
            requests.push((
                p.label,
                pb::ScanRequest {
                    gate_id: p.gate,
                    qr_text: p.qr,
                    direction: if p.exit {
                        pb::Direction::Out
                    } else {
                        pb::Direction::In
                    }
                    .into(),
                    nonce: format!("demo-{nonce}"),
                    scanned_at: Some(prost_types::Timestamp {
                        seconds: p.at.timestamp(),
                        nanos: 0,
                    }),
                },
            ));
        }
        online += requests.len();
        let answers: Vec<(&'static str, Result<pb::ScanResponse, tonic::Status>)> =
            stream::iter(requests)
                .map(|(label, request)| {
                    let mut gates = c.gates.clone();
                    async move {
                        (
                            label,
                            gates.scan(request).await.map(tonic::Response::into_inner),
                        )
                    }
                })
                .buffer_unordered(CONCURRENCY)
                .collect()
                .await;
        for (label, answer) in answers {
            let answer = answer?;
            let key = if answer.decision() == pb::Decision::Allow {
                "ALLOW".to_owned()
            } else {
                answer
                    .reason()
                    .as_str_name()
                    .trim_start_matches("DENY_REASON_")
                    .to_owned()
            };
            if !label.is_empty() {
                *incident_outcomes
                    .entry(label)
                    .or_default()
                    .entry(key.clone())
                    .or_default() += 1;
            }
            *by_reason.entry(key).or_default() += 1;
        }
        let occupancy = c
            .gates
            .get_occupancy(pb::GetOccupancyRequest {
                event_id: event_id.to_owned(),
            })
            .await?
            .into_inner();
        let minute = (slot_end - opening(8, 0)).num_minutes();
        series.push((
            minute,
            occupancy
                .zones
                .into_iter()
                .map(|z| (z.zone_code, z.inside))
                .collect(),
        ));
        slot_start = slot_end;
    }
    let took = started.elapsed();
    println!(
        "  {online} online scans in {:.2} s ({:.0}/s, {CONCURRENCY} in flight) and {} decided offline",
        took.as_secs_f64(),
        online as f64 / took.as_secs_f64(),
        offline_scans.len()
    );
    println!("  decisions by reason:");
    for (reason, n) in &by_reason {
        println!("    {reason:<28} {n:>6}");
    }
    println!("  the morning's incidents, as the gates answered them:");
    for (label, outcomes) in &incident_outcomes {
        let outcomes: Vec<String> = outcomes.iter().map(|(k, n)| format!("{k} {n}")).collect();
        println!("    {label:<30} {}", outcomes.join(", "));
    }

    // The offline gate comes back and uploads, twice (a retry after a
    // dropped connection): nothing is stored twice.
    let upload = c
        .gates
        .upload_offline_scans(stream::iter(offline_scans.clone()))
        .await?
        .into_inner();
    let again = c
        .gates
        .upload_offline_scans(stream::iter(offline_scans))
        .await?
        .into_inner();
    println!(
        "  {OFFLINE_GATE} back online: uploaded {} scans ({} duplicates); the retry stored {} ({} duplicates); {} conflicts",
        upload.stored,
        upload.duplicates,
        again.stored,
        again.duplicates,
        upload.conflicts.len()
    );
    for conflict in upload.conflicts.iter().take(5) {
        println!(
            "    badge {}: {} ({})",
            conflict.badge_number,
            conflict.description,
            conflict.nonces.join(", ")
        );
    }

    let occupancy = c
        .gates
        .get_occupancy(pb::GetOccupancyRequest {
            event_id: event_id.to_owned(),
        })
        .await?
        .into_inner();
    println!("  inside at noon (online gates), by zone:");
    for zone in occupancy
        .zones
        .iter()
        .filter(|z| z.inside > 0 || CHARTED.contains(&z.zone_code.as_str()))
    {
        let capacity = if zone.capacity == 0 {
            "no limit".to_owned()
        } else {
            zone.capacity.to_string()
        };
        println!(
            "    {:<10} {:>5} of {capacity}",
            zone.zone_code, zone.inside
        );
    }
    let chart = out_dir.join("occupancy.svg");
    draw_chart(&chart, &series)?;
    println!("  occupancy over the morning: {}", chart.display());
    Ok((online, took))
}

fn reason_number(code: &str) -> i32 {
    pb::DenyReason::from_str_name(&format!("DENY_REASON_{code}")).map_or(0, i32::from)
}

/// Every badge of the event, with its holder's category.
async fn holders(c: &mut Clients, event_id: &str) -> anyhow::Result<Vec<Holder>> {
    let ids: Vec<String> = super::all_participants(&mut c.desk, event_id)
        .await?
        .into_iter()
        .map(|p| p.id)
        .collect();
    let badges: Vec<Result<pb::GetBadgeResponse, tonic::Status>> = stream::iter(ids)
        .map(|id| {
            let mut badges = c.badges.clone();
            async move {
                badges
                    .get_badge(pb::GetBadgeRequest {
                        key: Some(pb::get_badge_request::Key::ParticipantId(id)),
                    })
                    .await
                    .map(tonic::Response::into_inner)
            }
        })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    let mut holders = Vec::new();
    for badge in badges {
        if let Some(b) = badge?.badge
            && !b.revoked
        {
            holders.push(Holder {
                participant_id: b.participant_id,
                badge_id: b.id,
                category: b.category_code,
                qr: b.qr_text,
            });
        }
    }
    // A stable order whatever order the answers came in.
    holders.sort_by(|a, b| a.participant_id.cmp(&b.participant_id));
    Ok(holders)
}

fn draw_chart(path: &Path, series: &[(i64, HashMap<String, u32>)]) -> anyhow::Result<()> {
    use plotters::prelude::*;
    let root = SVGBackend::new(path, (960, 540)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| anyhow::anyhow!("{e}"))?;
    let top = series
        .iter()
        .flat_map(|(_, zones)| CHARTED.iter().filter_map(|z| zones.get(*z)))
        .copied()
        .max()
        .unwrap_or(1)
        .max(1);
    let last = series.last().map_or(240, |(m, _)| *m);
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "INNOPROM. Central Asia: people inside, opening morning",
            ("sans-serif", 22),
        )
        .margin(16)
        .x_label_area_size(40)
        .y_label_area_size(56)
        .build_cartesian_2d(0i64..last, 0u32..(top + top / 10))
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    chart
        .configure_mesh()
        .x_labels(9)
        .x_desc("time (Tashkent)")
        .y_desc("people inside")
        .x_label_formatter(&|m| format!("{:02}:{:02}", 8 + m / 60, m % 60))
        .draw()
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let colours = [
        RGBColor(0x1E, 0x88, 0xE5),
        RGBColor(0x00, 0x89, 0x7B),
        RGBColor(0xFB, 0x8C, 0x00),
        RGBColor(0xE5, 0x39, 0x35),
        RGBColor(0x6D, 0x4C, 0x41),
        RGBColor(0x8E, 0x24, 0xAA),
    ];
    for (zone, colour) in CHARTED.iter().zip(colours) {
        let points: Vec<(i64, u32)> = series
            .iter()
            .map(|(m, zones)| (*m, zones.get(*zone).copied().unwrap_or(0)))
            .collect();
        chart
            .draw_series(LineSeries::new(points, colour.stroke_width(2)))
            .map_err(|e| anyhow::anyhow!("{e}"))?
            .label(*zone)
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], colour.stroke_width(2))
            });
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .position(SeriesLabelPosition::UpperLeft)
        .draw()
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    root.present().map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(())
}
