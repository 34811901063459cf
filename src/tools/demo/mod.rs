//! `expopass demo`: the reference event (INNOPROM. Central Asia, Tashkent)
//! rebuilt end to end through the real gRPC API: the organiser's set-up,
//! 450 foreign companies and the local ones, 27 delegations with heads and
//! quotas, 10,000 participants whose names fit their countries.

mod morning;
pub(crate) mod names;

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
    time::{Duration, Instant},
};

use anyhow::Context as _;
use futures::{StreamExt as _, stream};
use tonic::Code;

use self::names::{COUNTRIES, Country, GOVERNMENT, MEDIA, SECTORS};
use expopass::{
    app::Database,
    config::Config,
    domain::{Role, Services},
    local::{Authed, LocalServer},
    proto::pb::{
        self, badge_service_client::BadgeServiceClient,
        badge_template_service_client::BadgeTemplateServiceClient,
        event_service_client::EventServiceClient, gate_service_client::GateServiceClient,
        registration_service_client::RegistrationServiceClient,
    },
};

#[derive(Debug, Clone, clap::Args)]
pub(crate) struct DemoArgs {
    /// Participants to register.
    #[arg(long, default_value_t = 10_000)]
    pub participants: usize,
    /// Foreign companies.
    #[arg(long, default_value_t = 450)]
    pub foreign_companies: usize,
    /// RegisterParticipant calls in flight at once.
    #[arg(long, default_value_t = 32)]
    pub concurrency: usize,
    /// Parallel ImportParticipants streams.
    #[arg(long, default_value_t = 4)]
    pub import_streams: usize,
    /// Seed of the generated names.
    #[arg(long, default_value_t = 2024)]
    pub seed: u64,
    /// Keep serving when done, with the desk page, until Ctrl-C.
    #[arg(long)]
    pub serve: bool,
    /// Where the server listens with --serve (loopback only: the demo
    /// serves plaintext).
    #[arg(long, default_value = "127.0.0.1:50051", requires = "serve")]
    pub listen: std::net::SocketAddr,
}

/// One line of the timing summary.
struct Phase {
    name: &'static str,
    count: usize,
    unit: &'static str,
    took: Duration,
}

impl Phase {
    fn print(&self) {
        let secs = self.took.as_secs_f64();
        let rate = if secs > 0.0 {
            self.count as f64 / secs
        } else {
            0.0
        };
        println!(
            "  {:<52} {:>6} {:<10} {:>6.2} s {:>8.0}/s",
            self.name, self.count, self.unit, secs, rate
        );
    }
}

pub(crate) async fn run(config: Config, args: DemoArgs) -> anyhow::Result<()> {
    let key = config.load_document_key()?;
    let db = Database::open(&config).await?;
    let out_dir = config.data_dir.join("badges");
    let result = run_on(&db.url, key, config.pool_size, &args, &out_dir).await;
    db.close().await?;
    result
}

async fn run_on(
    url: &str,
    key: expopass::domain::DocumentKey,
    pool_size: usize,
    args: &DemoArgs,
    out_dir: &Path,
) -> anyhow::Result<()> {
    let started = Instant::now();
    expopass::db::migrate(url).await?;
    let services = Services::new(expopass::db::pool(url, pool_size.max(16))?, &key);
    let (_, admin) = services.create_token("demo organiser", Role::Admin).await?;
    let (_, desk) = services.create_token("demo desk", Role::Desk).await?;
    let (_, gate) = services.create_token("demo gates", Role::Gate).await?;

    let enrolments = services.clone();
    // The real server on a free loopback port, or where --serve says.
    let server = if args.serve {
        anyhow::ensure!(
            args.listen.ip().is_loopback(),
            "the demo serves plaintext: --listen must be a loopback address"
        );
        LocalServer::start_at(services, args.listen, None).await?
    } else {
        LocalServer::start(services).await?
    };
    let desk_token = desk.clone();
    let addr = server.addr;
    let events = EventServiceClient::new(server.client(&admin)?);
    let gates = GateServiceClient::new(server.client(&gate)?);
    let badges = BadgeServiceClient::new(server.client(&desk)?).max_decoding_message_size(64 << 20);
    let desk = RegistrationServiceClient::new(server.client(&desk)?);
    let templates =
        BadgeTemplateServiceClient::new(server.client(&admin)?).max_decoding_message_size(64 << 20);
    println!("Expopass demo: INNOPROM. Central Asia, Uzexpocentre, Tashkent (server on {addr})");

    let outcome = Demo {
        events,
        desk,
        badges,
        gates,
        templates,
        out_dir: out_dir.to_owned(),
        samples: BTreeMap::new(),
        args: args.clone(),
        rng: fastrand::Rng::with_seed(args.seed),
        phases: Vec::new(),
    }
    .play()
    .await;

    if let (Ok(event_id), true) = (&outcome, args.serve) {
        println!("\nDone in {:.1} s.", started.elapsed().as_secs_f64());
        println!("\nThe desk: http://{addr}/desk/");
        println!("Sign in with the desk token {desk_token}");
        let code = gate_enrolment(&server, &admin, &enrolments, event_id).await?;
        println!("\nA gate: http://{addr}/gate/");
        println!("{code}");
        println!("\nThe operations board: http://{addr}/ops/ (admin token {admin})");
        println!("Serving gRPC and gRPC-Web on {addr} until Ctrl-C.");
        expopass::server::shutdown_signal().await;
        server.stop().await?;
        return Ok(());
    }
    server.stop().await?;
    outcome?;
    println!("\nDone in {:.1} s.", started.elapsed().as_secs_f64());
    Ok(())
}

/// A one-time enrolment code for the event's first gate, and what it is for.
async fn gate_enrolment(
    server: &LocalServer,
    admin: &str,
    services: &Services,
    event_id: &str,
) -> anyhow::Result<String> {
    let mut events = EventServiceClient::new(server.client(admin)?);
    let event = events
        .get_event(expopass::proto::pb::GetEventRequest {
            key: Some(expopass::proto::pb::get_event_request::Key::Id(
                event_id.to_owned(),
            )),
        })
        .await?
        .into_inner()
        .event
        .context("the demo's event")?;
    let gate = events
        .list_gates(expopass::proto::pb::ListGatesRequest {
            event_id: event_id.to_owned(),
        })
        .await?
        .into_inner()
        .gates
        .into_iter()
        .next()
        .context("the demo's gates")?;
    let (code, _) = services
        .create_enrolment(
            None,
            expopass::domain::enrolment::NewEnrolment {
                token: expopass::domain::NewToken {
                    name: format!("demo gate {}", gate.code),
                    role: Role::Gate,
                    event_code: Some(event.code.clone()),
                    gate_codes: vec![gate.code.clone()],
                    expires_at: None,
                },
                ttl: Duration::from_secs(3600),
            }
            .check()?,
        )
        .await?;
    Ok(format!(
        "Enrol it as gate {} ({}) with the code {code} (valid for an hour, once). \
         The badges are for the event's days ({} to {}): on other days the gate says \
         \"not valid today\".",
        gate.code, gate.name, event.first_day, event.last_day
    ))
}

struct Demo {
    events: EventServiceClient<Authed>,
    desk: RegistrationServiceClient<Authed>,
    badges: BadgeServiceClient<Authed>,
    gates: GateServiceClient<Authed>,
    templates: BadgeTemplateServiceClient<Authed>,
    /// Where badge PDFs go: `<data dir>/badges`.
    out_dir: PathBuf,
    /// One participant id per script, for the A6 samples.
    samples: BTreeMap<&'static str, String>,
    args: DemoArgs,
    rng: fastrand::Rng,
    phases: Vec<Phase>,
}

/// Code, name, colour, zones and days of a category.
/// The reference event as an event file, applied by every run.
const REFERENCE_EVENT: &str = include_str!("../../../examples/innoprom-ca-2024.toml");
/// The delegates' badge template.
const DELEGATE_TEMPLATE: &str = include_str!("../../../examples/templates/delegate.toml");

/// An organisation the demo created.
#[derive(Clone)]
struct Org {
    id: String,
    country: &'static str,
}

/// A delegation the demo created, with what it may still take.
struct DelegationPlan {
    id: String,
    country: &'static Country,
    quotas: Vec<(&'static str, u32)>,
}

impl Demo {
    /// Plays the whole demo; returns the event's id.
    async fn play(mut self) -> anyhow::Result<String> {
        let event_id = self.set_up_event().await?;
        let (companies, media, government) = self.organisations(&event_id).await?;
        let delegations = self.delegations(&event_id).await?;
        let registered = self.register_delegations(&event_id, &delegations).await?;
        let imported = self
            .import_the_rest(&event_id, registered.len(), &companies, &media, &government)
            .await?;
        self.appoint_heads(&delegations, &registered).await?;
        self.checks(&event_id, &delegations, &registered).await?;
        self.report(&event_id, registered.len() + imported).await?;
        self.print_badges(&event_id).await?;
        if let Some((_, delegate)) = registered
            .iter()
            .find(|(_, p)| p.category_code == "DELEGATE")
        {
            self.designed_badge(&event_id, &delegate.id).await?;
        }
        let clients = morning::Clients {
            events: self.events.clone(),
            desk: self.desk.clone(),
            badges: self.badges.clone(),
            gates: self.gates.clone(),
        };
        let (scans, took) =
            morning::play(clients, &event_id, &self.out_dir, self.args.seed).await?;
        self.phases.push(Phase {
            name: "gate scans, opening morning (Scan)",
            count: scans,
            unit: "scans",
            took,
        });
        self.print_timings();
        Ok(event_id)
    }

    fn timed(&mut self, name: &'static str, count: usize, unit: &'static str, since: Instant) {
        self.phases.push(Phase {
            name,
            count,
            unit,
            took: since.elapsed(),
        });
    }

    /// The event, its zones, categories and gates.
    async fn set_up_event(&mut self) -> anyhow::Result<String> {
        let t = Instant::now();
        // A fresh code on every run: the demo never touches earlier events.
        let mut code = "INNOPROM-CA-2024".to_owned();
        for n in 2.. {
            let found = self
                .events
                .get_event(pb::GetEventRequest {
                    key: Some(pb::get_event_request::Key::Code(code.clone())),
                })
                .await;
            match found {
                Err(s) if s.code() == Code::NotFound => break,
                Err(s) => return Err(s.into()),
                Ok(_) => code = format!("INNOPROM-CA-2024-R{n}"),
            }
        }
        // The reference event's file, applied under this run's code.
        let applied = self
            .events
            .apply_event_definition(pb::ApplyEventDefinitionRequest {
                content: REFERENCE_EVENT.as_bytes().to_vec(),
                dry_run: false,
                event_code: code.clone(),
            })
            .await?
            .into_inner();
        let count = |kind: &str| applied.changes.iter().filter(|c| c.kind == kind).count();
        println!(
            "Event {code}: 3 days (22-24 April 2024), {} zones, {} categories, {} gates, \
             {} delegations, {} custom fields (sector, purpose of visit, the delegations' \
             interpreter, press card, VIP parking), from examples/innoprom-ca-2024.toml",
            count("zone"),
            count("category"),
            count("gate"),
            count("delegation"),
            count("field"),
        );
        self.timed(
            "event set-up (ApplyEventDefinition)",
            applied.changes.len(),
            "changes",
            t,
        );
        Ok(applied.event_id)
    }

    /// Companies (foreign and local), media and government bodies.
    async fn organisations(
        &mut self,
        event_id: &str,
    ) -> anyhow::Result<(Vec<Org>, Vec<Org>, Vec<Org>)> {
        let t = Instant::now();
        let foreign: Vec<&'static Country> = COUNTRIES.iter().filter(|c| c.code != "UZ").collect();
        let mut requests = Vec::new();
        let mut names = std::collections::HashSet::new();
        let mut push = |name: String,
                        country: &'static str,
                        kind: pb::OrganizationKind,
                        requests: &mut Vec<_>| {
            if names.insert(name.to_lowercase()) {
                requests.push((
                    pb::CreateOrganizationRequest {
                        request_id: format!("demo-org-{}", requests.len()),
                        event_id: event_id.to_owned(),
                        name,
                        country: country.to_owned(),
                        kind: kind.into(),
                        ..Default::default()
                    },
                    country,
                    kind,
                ));
            }
        };
        let mut n_foreign = 0;
        while n_foreign < self.args.foreign_companies {
            let country = pick_weighted(&mut self.rng, &foreign);
            let stem = country.company_stems[self.rng.usize(0..country.company_stems.len())];
            let sector = SECTORS[self.rng.usize(0..SECTORS.len())];
            let before = requests.len();
            push(
                format!("{stem} {sector} {}", country.company_form),
                country.code,
                pb::OrganizationKind::Company,
                &mut requests,
            );
            if requests.len() > before {
                n_foreign += 1;
            }
        }
        let uz = &COUNTRIES[0];
        for stem in uz.company_stems {
            for sector in SECTORS.iter().take(12) {
                push(
                    format!("{stem} {sector} {}", uz.company_form),
                    "UZ",
                    pb::OrganizationKind::Company,
                    &mut requests,
                );
            }
        }
        for (name, country) in MEDIA {
            push(
                (*name).to_owned(),
                country,
                pb::OrganizationKind::Media,
                &mut requests,
            );
        }
        for (name, country) in GOVERNMENT {
            push(
                (*name).to_owned(),
                country,
                pb::OrganizationKind::Government,
                &mut requests,
            );
        }
        let created: Vec<anyhow::Result<(Org, pb::OrganizationKind)>> = stream::iter(requests)
            .map(|(request, country, kind)| {
                let mut desk = self.desk.clone();
                async move {
                    let org = desk
                        .create_organization(request)
                        .await?
                        .into_inner()
                        .organization
                        .context("no organisation in the reply")?;
                    Ok((
                        Org {
                            id: org.id,
                            country,
                        },
                        kind,
                    ))
                }
            })
            .buffer_unordered(self.args.concurrency)
            .collect()
            .await;
        let (mut companies, mut media, mut government) = (Vec::new(), Vec::new(), Vec::new());
        for result in created {
            let (org, kind) = result?;
            match kind {
                pb::OrganizationKind::Media => media.push(org),
                pb::OrganizationKind::Government => government.push(org),
                _ => companies.push(org),
            }
        }
        companies.sort_by(|a, b| a.id.cmp(&b.id));
        let local = companies.iter().filter(|o| o.country == "UZ").count();
        println!(
            "Organisations: {} foreign companies from {} countries, {local} local companies, {} media, {} government bodies",
            companies.len() - local,
            foreign.len(),
            media.len(),
            government.len()
        );
        self.timed(
            "organisations (CreateOrganization)",
            companies.len() + media.len() + government.len(),
            "created",
            t,
        );
        Ok((companies, media, government))
    }

    /// The official delegations the event file made, one per country.
    async fn delegations(&mut self, event_id: &str) -> anyhow::Result<Vec<DelegationPlan>> {
        let listed = self
            .desk
            .list_delegations(pb::ListDelegationsRequest {
                event_id: event_id.to_owned(),
            })
            .await?
            .into_inner()
            .delegations;
        let mut plans = Vec::new();
        for country in COUNTRIES {
            let delegation = listed
                .iter()
                .find(|d| d.country == country.code)
                .with_context(|| format!("no delegation of {} in the event file", country.name))?;
            // Each delegation answers its own field: its interpreter.
            let language = match country.code {
                "CN" => "zh",
                "AE" | "SA" | "EG" | "QA" => "ar",
                "TR" => "tr",
                "KR" => "ko",
                "JP" => "ja",
                "DE" => "de",
                "FR" => "fr",
                "IR" => "fa",
                "KZ" | "KG" | "TJ" | "TM" | "RU" | "BY" | "AZ" => "none",
                _ => "en",
            };
            self.desk
                .update_delegation(pb::UpdateDelegationRequest {
                    id: delegation.id.clone(),
                    answers: std::collections::HashMap::from([(
                        "interpreter".to_owned(),
                        pb::AnswerValue {
                            value: Some(pb::answer_value::Value::Text(language.to_owned())),
                            on_badge: false,
                        },
                    )]),
                    ..Default::default()
                })
                .await?;
            let quotas = ["DELEGATE", "VIP", "PRESS"]
                .into_iter()
                .map(|code| {
                    let quota = delegation
                        .quotas
                        .iter()
                        .find(|q| q.category_code == code)
                        .map_or(0, |q| q.quota);
                    (code, quota)
                })
                .collect();
            plans.push(DelegationPlan {
                id: delegation.id.clone(),
                country,
                quotas,
            });
        }
        println!(
            "Delegations: {} countries, each with quotas for delegates, VIPs and press",
            plans.len()
        );
        Ok(plans)
    }

    /// A participant of `country` with a realistic name.
    fn person(&mut self, n: usize, country: &Country, category: &str) -> pb::ParticipantInput {
        let (given, family, native_name) = names::person_name(
            country,
            self.rng.usize(0..country.given.len()),
            self.rng.usize(0..country.family.len()),
        );
        let phone = format!(
            "{} {:03} {:03} {:04}",
            country.phone,
            self.rng.u32(100..999),
            self.rng.u32(100..999),
            self.rng.u32(0..9999)
        );
        let foreign = country.code != "UZ";
        let official = matches!(category, "DELEGATE" | "VIP" | "SPEAKER");
        pb::ParticipantInput {
            given_name: given.to_owned(),
            family_name: family.to_owned(),
            native_name,
            country: country.code.to_owned(),
            category_code: category.to_owned(),
            email: format!("p{n:05}.{}@expo-mail.example", country.code.to_lowercase()),
            phone,
            travel_document: if foreign && official {
                format!("{}{:07}", country.code, 1_000_000 + n)
            } else {
                String::new()
            },
            job_title: match category {
                "DELEGATE" => "Delegation member",
                "VIP" => "Head of delegation",
                "PRESS" => "Correspondent",
                "SPEAKER" => "Speaker",
                "EXHIBITOR" => "Sales manager",
                "ORGANIZER" => "Organising committee",
                "STAFF" => "Event staff",
                _ => "",
            }
            .to_owned(),
            answers: self.answers(n, country, category),
            ..Default::default()
        }
    }

    /// What the reference event's custom fields ask of `category`.
    fn answers(
        &mut self,
        n: usize,
        country: &Country,
        category: &str,
    ) -> std::collections::HashMap<String, pb::AnswerValue> {
        const SECTORS: [&str; 8] = [
            "metallurgy",
            "mining",
            "machinery",
            "energy",
            "chemicals",
            "construction",
            "digital",
            "other",
        ];
        const PURPOSES: [&str; 4] = ["buy", "partners", "invest", "learn"];
        let text = |t: String| pb::AnswerValue {
            value: Some(pb::answer_value::Value::Text(t)),
            on_badge: false,
        };
        let mut answers = std::collections::HashMap::new();
        let mut pick = |list: &[&str]| list[self.rng.usize(0..list.len())].to_owned();
        match category {
            "VISITOR" => {
                answers.insert("sector".to_owned(), text(pick(&SECTORS)));
                answers.insert("purpose".to_owned(), text(pick(&PURPOSES)));
            }
            "EXHIBITOR" | "DELEGATE" => {
                answers.insert("sector".to_owned(), text(pick(&SECTORS)));
            }
            "PRESS" => {
                answers.insert(
                    "press_card".to_owned(),
                    text(format!("{}-{:05}", country.code, 10_000 + n)),
                );
            }
            "VIP" => {
                answers.insert(
                    "vip_parking".to_owned(),
                    pb::AnswerValue {
                        value: Some(pb::answer_value::Value::Boolean(!n.is_multiple_of(3))),
                        on_badge: false,
                    },
                );
            }
            _ => {}
        }
        answers
    }

    /// Delegation members through RegisterParticipant, many desks at once.
    async fn register_delegations(
        &mut self,
        event_id: &str,
        delegations: &[DelegationPlan],
    ) -> anyhow::Result<Vec<(usize, pb::Participant)>> {
        let t = Instant::now();
        let mut requests = Vec::new();
        let mut n = 0;
        // Desks of many delegations work at once, not one delegation after another.
        for (d, plan) in delegations.iter().enumerate() {
            for (category, quota) in &plan.quotas {
                // VIPs fill their quota; delegates leave two seats; press half.
                let count = match *category {
                    "VIP" => *quota,
                    "DELEGATE" => quota.saturating_sub(2),
                    _ => quota / 2,
                };
                for _ in 0..count {
                    let mut input = self.person(n, plan.country, category);
                    input.delegation_id = plan.id.clone();
                    requests.push((
                        d,
                        pb::RegisterParticipantRequest {
                            request_id: format!("demo-register-{n}"),
                            event_id: event_id.to_owned(),
                            participant: Some(input),
                        },
                    ));
                    n += 1;
                }
            }
        }
        self.rng.shuffle(&mut requests);
        let results: Vec<anyhow::Result<(usize, pb::Participant)>> = stream::iter(requests)
            .map(|(d, request)| {
                let mut desk = self.desk.clone();
                async move {
                    let p = desk
                        .register_participant(request)
                        .await?
                        .into_inner()
                        .participant
                        .context("no participant in the reply")?;
                    Ok((d, p))
                }
            })
            .buffer_unordered(self.args.concurrency)
            .collect()
            .await;
        let registered = results.into_iter().collect::<anyhow::Result<Vec<_>>>()?;
        self.timed(
            "delegation members (RegisterParticipant)",
            registered.len(),
            "registered",
            t,
        );
        Ok(registered)
    }

    /// Everybody else through ImportParticipants, several rosters at once.
    async fn import_the_rest(
        &mut self,
        event_id: &str,
        already: usize,
        companies: &[Org],
        media: &[Org],
        government: &[Org],
    ) -> anyhow::Result<usize> {
        let t = Instant::now();
        let rest = self.args.participants.saturating_sub(already);
        let everyone: Vec<&'static Country> = COUNTRIES.iter().collect();
        let mut rows = Vec::with_capacity(rest);
        for i in 0..rest {
            let n = already + i;
            // Category mix of a trade fair's public.
            let category = match self.rng.u32(0..1000) {
                0..=579 => "VISITOR",
                580..=869 => "EXHIBITOR",
                870..=909 => "PRESS",
                910..=925 => "SPEAKER",
                926..=934 => "ORGANIZER",
                935..=995 => "STAFF",
                _ => "VIP",
            };
            let (country, org) = match category {
                "EXHIBITOR" => {
                    let org = &companies[self.rng.usize(0..companies.len())];
                    (country_of(org.country), Some(org.id.clone()))
                }
                "PRESS" => {
                    let org = &media[self.rng.usize(0..media.len())];
                    (country_of(org.country), Some(org.id.clone()))
                }
                "ORGANIZER" | "VIP" => {
                    let org = &government[self.rng.usize(0..government.len())];
                    (country_of(org.country), Some(org.id.clone()))
                }
                "STAFF" => (&COUNTRIES[0], None),
                _ => (pick_weighted(&mut self.rng, &everyone), None),
            };
            let mut input = self.person(n, country, category);
            input.organization_id = org.unwrap_or_default();
            rows.push(pb::ImportParticipantsRequest {
                event_id: event_id.to_owned(),
                participant: Some(input),
                row_ref: format!("row {}", i + 1),
                request_id: String::new(),
            });
        }
        let streams = self.args.import_streams.max(1);
        let chunk = rows.len().div_ceil(streams).max(1);
        let mut calls = Vec::new();
        let mut rows = rows.into_iter();
        loop {
            let mut part: Vec<_> = rows.by_ref().take(chunk).collect();
            let Some(first) = part.first_mut() else {
                break;
            };
            // Each part is an import of its own, retried safely by its id.
            first.request_id = uuid::Uuid::new_v4().to_string();
            let mut desk = self.desk.clone();
            calls.push(tokio::spawn(async move {
                desk.import_participants(stream::iter(part)).await
            }));
        }
        let (mut imported, mut failed) = (0usize, 0usize);
        let mut reasons: BTreeMap<String, usize> = BTreeMap::new();
        for call in calls {
            let response = call.await??.into_inner();
            imported += response.imported as usize;
            failed += response.failed as usize;
            for r in response
                .results
                .iter()
                .filter(|r| !r.error_reason.is_empty())
            {
                *reasons.entry(r.error_reason.clone()).or_default() += 1;
            }
        }
        if failed > 0 {
            println!("Import refused {failed} rows: {reasons:?}");
        }
        self.timed(
            "visitors, exhibitors, press... (ImportParticipants)",
            imported,
            "rows",
            t,
        );
        Ok(imported)
    }

    /// The first VIP of each delegation heads it.
    async fn appoint_heads(
        &mut self,
        delegations: &[DelegationPlan],
        registered: &[(usize, pb::Participant)],
    ) -> anyhow::Result<()> {
        let t = Instant::now();
        let mut n = 0;
        for (d, plan) in delegations.iter().enumerate() {
            let head = registered
                .iter()
                .filter(|(i, _)| *i == d)
                .map(|(_, p)| p)
                .find(|p| p.category_code == "VIP");
            if let Some(head) = head {
                self.desk
                    .update_delegation(pb::UpdateDelegationRequest {
                        id: plan.id.clone(),
                        head_participant_id: Some(head.id.clone()),
                        ..Default::default()
                    })
                    .await?;
                n += 1;
            }
        }
        self.timed("heads of delegation (UpdateDelegation)", n, "appointed", t);
        Ok(())
    }

    /// What a desk sees when it gets things wrong, and what it cannot break.
    async fn checks(
        &mut self,
        event_id: &str,
        delegations: &[DelegationPlan],
        registered: &[(usize, pb::Participant)],
    ) -> anyhow::Result<()> {
        println!("\nDesk checks:");
        let Some((_, first)) = registered.first() else {
            return Ok(());
        };
        // The same request twice (a desk retrying after a timeout): one participant.
        let request = pb::RegisterParticipantRequest {
            request_id: "demo-retry".to_owned(),
            event_id: event_id.to_owned(),
            participant: Some(self.person(999_990, delegations[0].country, "VISITOR")),
        };
        let once = self
            .desk
            .register_participant(request.clone())
            .await?
            .into_inner()
            .participant;
        let twice = self
            .desk
            .register_participant(request)
            .await?
            .into_inner()
            .participant;
        println!(
            "  a retried registration (same request_id and body) returns the first participant: {}",
            once.zip(twice).is_some_and(|(a, b)| a.id == b.id)
        );
        // Same email as somebody registered.
        let mut dup = self.person(999_999, delegations[0].country, "VISITOR");
        dup.email = first.email.to_uppercase();
        let err = self
            .desk
            .register_participant(pb::RegisterParticipantRequest {
                request_id: "demo-duplicate".to_owned(),
                event_id: event_id.to_owned(),
                participant: Some(dup),
            })
            .await
            .err();
        println!("  the same email again: {}", describe(err.as_ref()));
        // A VIP beyond the delegation's quota.
        let mut extra = self.person(999_998, delegations[0].country, "VIP");
        extra.delegation_id = delegations[0].id.clone();
        let err = self
            .desk
            .register_participant(pb::RegisterParticipantRequest {
                request_id: "demo-over-quota".to_owned(),
                event_id: event_id.to_owned(),
                participant: Some(extra),
            })
            .await
            .err();
        println!(
            "  one VIP more than the Uzbek delegation's quota: {}",
            describe(err.as_ref())
        );
        // A bad row.
        let mut bad = self.person(999_997, delegations[0].country, "VISITOR");
        bad.country = "XX".to_owned();
        bad.email = "not an email".to_owned();
        let err = self
            .desk
            .register_participant(pb::RegisterParticipantRequest {
                request_id: "demo-bad".to_owned(),
                event_id: event_id.to_owned(),
                participant: Some(bad),
            })
            .await
            .err();
        println!("  a bad country and email: {}", describe(err.as_ref()));
        Ok(())
    }

    async fn report(&mut self, event_id: &str, total: usize) -> anyhow::Result<()> {
        println!("\nSearch (SearchParticipants, first page of 50):");
        for prefix in [
            "ivan",
            "Иван",
            "王",
            "gʻulom",
            "Müller",
            "محمد",
            "გიორ",
            "김",
            "ozt",
        ] {
            let t = Instant::now();
            let page = self
                .desk
                .search_participants(pb::SearchParticipantsRequest {
                    event_id: event_id.to_owned(),
                    name_prefix: prefix.to_owned(),
                    page_size: 50,
                    ..Default::default()
                })
                .await?
                .into_inner();
            let sample = page
                .participants
                .first()
                .map(|p| {
                    let native = if p.native_name.is_empty() {
                        String::new()
                    } else {
                        format!(" / {}", p.native_name)
                    };
                    format!("{} {}{native} ({})", p.given_name, p.family_name, p.country)
                })
                .unwrap_or_default();
            println!(
                "  {prefix:<8} {:>3}{} matches in {:>5.1} ms, e.g. {sample}",
                page.participants.len(),
                if page.next_page_token.is_empty() {
                    " "
                } else {
                    "+"
                },
                t.elapsed().as_secs_f64() * 1000.0
            );
        }

        // Count by category and script through the API, page by page.
        let mut by_category: BTreeMap<String, usize> = BTreeMap::new();
        let mut by_country: BTreeMap<String, usize> = BTreeMap::new();
        let mut by_script: BTreeMap<&'static str, usize> = BTreeMap::new();
        for p in &all_participants(&mut self.desk, event_id).await? {
            *by_category.entry(p.category_code.clone()).or_default() += 1;
            *by_country.entry(p.country.clone()).or_default() += 1;
            let script = script(&format!("{}{}", p.native_name, p.given_name));
            *by_script.entry(script).or_default() += 1;
            self.samples.entry(script).or_insert_with(|| p.id.clone());
        }
        let listed: usize = by_category.values().sum();
        println!(
            "\nParticipants: {total} registered by the demo (+1 by the desk checks); {listed} listed back through the API"
        );
        println!("  by category: {}", join_counts(&by_category));
        println!("  countries: {} ({})", by_country.len(), {
            let mut top: Vec<_> = by_country.iter().collect();
            top.sort_by(|a, b| b.1.cmp(a.1));
            top.iter()
                .take(6)
                .map(|(c, n)| format!("{c} {n}"))
                .collect::<Vec<_>>()
                .join(", ")
        });
        println!("  names by script: {}", join_counts(&by_script));
        Ok(())
    }

    fn print_timings(&self) {
        println!("\nTimings (this machine, one process, over gRPC on loopback):");
        for phase in &self.phases {
            phase.print();
        }
    }

    /// Every badge of the event on A4 sheets, one file per category, then
    /// one A6 badge per script of the names.
    async fn print_badges(&mut self, event_id: &str) -> anyhow::Result<()> {
        tokio::fs::create_dir_all(&self.out_dir)
            .await
            .with_context(|| format!("cannot create {}", self.out_dir.display()))?;
        let categories = self
            .events
            .list_categories(pb::ListCategoriesRequest {
                event_id: event_id.to_owned(),
            })
            .await?
            .into_inner()
            .categories;
        println!("\nBadges (PrintBadges, A4 sheets of four A6 badges with cut marks):");
        let t = Instant::now();
        let bar = indicatif::ProgressBar::new(0).with_style(
            indicatif::ProgressStyle::with_template(
                "  {bar:40} {pos}/{len} badges, {per_sec}, {msg}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        let (mut printed, mut bytes) = (0u32, 0usize);
        let mut files = Vec::new();
        for category in &categories {
            let path = self.out_dir.join(format!("badges-{}.pdf", category.code));
            let written = self
                .print_to(
                    &path,
                    pb::PrintBadgesRequest {
                        event_id: event_id.to_owned(),
                        selection: Some(pb::print_badges_request::Selection::CategoryCode(
                            category.code.clone(),
                        )),
                        layout: pb::BadgeLayout::A4SheetA6.into(),
                    },
                    Some((&bar, printed)),
                )
                .await;
            match written {
                Ok((n, size)) => {
                    printed += n;
                    bytes += size;
                    files.push((path, n, size));
                }
                Err(status) if status.code() == Code::FailedPrecondition => {} // nobody in it
                Err(status) => return Err(status.into()),
            }
        }
        bar.finish_and_clear();
        self.timed(
            "badges issued and printed (PrintBadges, A4)",
            printed as usize,
            "badges",
            t,
        );
        for (path, n, size) in &files {
            println!(
                "  {:<48} {n:>6} badges {:>8.1} KB",
                path.display(),
                *size as f64 / 1024.0
            );
        }
        println!(
            "  {printed} badges, {:.1} MB, {:.1} KB per badge",
            bytes as f64 / 1e6,
            bytes as f64 / f64::from(printed.max(1)) / 1024.0
        );

        println!("A6 samples, one per script of the names:");
        let samples: Vec<(&'static str, String)> =
            self.samples.iter().map(|(k, v)| (*k, v.clone())).collect();
        for (script, id) in samples {
            let path = self
                .out_dir
                .join(format!("sample-{}.pdf", script.to_lowercase()));
            let (_, size) = self
                .print_to(
                    &path,
                    pb::PrintBadgesRequest {
                        event_id: event_id.to_owned(),
                        selection: Some(pb::print_badges_request::Selection::ParticipantIds(
                            pb::ParticipantIds { ids: vec![id] },
                        )),
                        layout: pb::BadgeLayout::A6.into(),
                    },
                    None,
                )
                .await?;
            println!("  {:<48} {:>8.1} KB", path.display(), size as f64 / 1024.0);
        }
        Ok(())
    }

    /// The delegates' own badge: the example template saved, published
    /// and assigned to DELEGATE, then one delegate's badge issued with it.
    async fn designed_badge(&mut self, event_id: &str, participant_id: &str) -> anyhow::Result<()> {
        let t = Instant::now();
        let saved = self
            .templates
            .save_badge_template_draft(pb::SaveBadgeTemplateDraftRequest {
                event_id: event_id.to_owned(),
                code: "DELEGATES".to_owned(),
                name: "Delegates".to_owned(),
                document: DELEGATE_TEMPLATE.as_bytes().to_vec(),
            })
            .await?
            .into_inner();
        anyhow::ensure!(
            saved.problems.is_empty(),
            "the delegates' template does not print: {:?}",
            saved.problems
        );
        let published = self
            .templates
            .publish_badge_template(pb::PublishBadgeTemplateRequest {
                event_id: event_id.to_owned(),
                code: "DELEGATES".to_owned(),
            })
            .await?
            .into_inner()
            .template
            .map_or(0, |t| t.version);
        self.templates
            .assign_badge_template(pb::AssignBadgeTemplateRequest {
                event_id: event_id.to_owned(),
                category_code: "DELEGATE".to_owned(),
                template_code: "DELEGATES".to_owned(),
            })
            .await?;
        let issued = self
            .badges
            .issue_badge(pb::IssueBadgeRequest {
                participant_id: participant_id.to_owned(),
                layout: pb::BadgeLayout::Unspecified.into(),
            })
            .await?
            .into_inner();
        let path = self.out_dir.join("badge-template-delegate.pdf");
        tokio::fs::write(&path, &issued.pdf)
            .await
            .with_context(|| format!("cannot write {}", path.display()))?;
        let badge = issued.badge.unwrap_or_default();
        println!(
            "A delegate's badge from the event's own template (examples/templates/delegate.toml, \
             DELEGATES v{published}, front and back):\n  {:<48} {:>8.1} KB, badge {} printed with {} v{}",
            path.display(),
            issued.pdf.len() as f64 / 1024.0,
            badge.number,
            badge.template_code,
            badge.template_version,
        );
        self.timed(
            "badge template saved, published, assigned, printed",
            1,
            "badges",
            t,
        );
        Ok(())
    }

    /// Streams one print job into `path`; returns (badges, bytes).
    async fn print_to(
        &mut self,
        path: &Path,
        request: pb::PrintBadgesRequest,
        bar: Option<(&indicatif::ProgressBar, u32)>,
    ) -> Result<(u32, usize), tonic::Status> {
        use tokio::io::AsyncWriteExt as _;
        let mut stream = self.badges.print_badges(request).await?.into_inner();
        let io = |e: std::io::Error| tonic::Status::internal(format!("{}: {e}", path.display()));
        let mut file = tokio::fs::File::create(path).await.map_err(io)?;
        let (mut done, mut size) = (0u32, 0usize);
        let mut total_known = false;
        while let Some(message) = stream.next().await {
            match message?.item {
                Some(pb::print_badges_response::Item::PdfChunk(chunk)) => {
                    size += chunk.len();
                    file.write_all(&chunk).await.map_err(io)?;
                }
                Some(pb::print_badges_response::Item::Progress(p)) => {
                    if let Some((bar, before)) = bar {
                        if !total_known {
                            bar.inc_length(u64::from(p.total));
                            bar.set_message(
                                path.file_name()
                                    .map(|n| n.to_string_lossy().into_owned())
                                    .unwrap_or_default(),
                            );
                            total_known = true;
                        }
                        bar.set_position(u64::from(before + p.done));
                    }
                    done = p.done;
                }
                None => {}
            }
        }
        file.flush().await.map_err(io)?;
        Ok((done, size))
    }
}

/// A country drawn in proportion to its weight.
fn pick_weighted(rng: &mut fastrand::Rng, countries: &[&'static Country]) -> &'static Country {
    let total: u32 = countries.iter().map(|c| c.weight).sum();
    let mut pick = rng.u32(0..total.max(1));
    for country in countries {
        if pick < country.weight {
            return country;
        }
        pick -= country.weight;
    }
    &COUNTRIES[0]
}

fn country_of(code: &str) -> &'static Country {
    COUNTRIES
        .iter()
        .find(|c| c.code == code)
        .unwrap_or(&COUNTRIES[0])
}

fn describe(err: Option<&tonic::Status>) -> String {
    match err {
        None => "accepted (unexpected)".to_owned(),
        Some(s) => {
            use tonic_types::StatusExt as _;
            let reason = s
                .get_details_error_info()
                .map(|i| i.reason)
                .unwrap_or_default();
            let fields: Vec<String> = s
                .get_details_bad_request()
                .map(|b| b.field_violations.into_iter().map(|v| v.field).collect())
                .unwrap_or_default();
            if fields.is_empty() {
                format!("{:?} {reason}", s.code())
            } else {
                format!("{:?} {reason} [{}]", s.code(), fields.join(", "))
            }
        }
    }
}

fn join_counts<K: std::fmt::Display>(map: &BTreeMap<K, usize>) -> String {
    map.iter()
        .map(|(k, n)| format!("{k} {n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The writing system of the first letter of a name.
fn script(name: &str) -> &'static str {
    let Some(c) = name.chars().find(|c| c.is_alphabetic()) else {
        return "none";
    };
    match c as u32 {
        0x0400..=0x04FF => "Cyrillic",
        0x0530..=0x058F => "Armenian",
        0x0600..=0x06FF => "Arabic",
        0x10A0..=0x10FF => "Georgian",
        0x3040..=0x30FF | 0x4E00..=0x9FFF => "CJK",
        0xAC00..=0xD7AF => "Hangul",
        _ => "Latin",
    }
}

/// Every participant of the event, listed through the API page by page.
async fn all_participants(
    desk: &mut RegistrationServiceClient<Authed>,
    event_id: &str,
) -> anyhow::Result<Vec<pb::Participant>> {
    let mut all = Vec::new();
    let mut token = String::new();
    loop {
        let page = desk
            .search_participants(pb::SearchParticipantsRequest {
                event_id: event_id.to_owned(),
                page_size: 500,
                page_token: token.clone(),
                ..Default::default()
            })
            .await?
            .into_inner();
        all.extend(page.participants);
        if page.next_page_token.is_empty() {
            return Ok(all);
        }
        token = page.next_page_token;
    }
}
