//! Event files over gRPC: `ApplyEventDefinition` and
//! `ExportEventDefinition`.

use expopass::{domain::Role, proto::pb};
use tonic::Code;
use tonic_types::StatusExt as _;

use crate::support::{
    TestApp,
    builders::{Fixture, answered_for_the_fair, person},
    reason, violated_fields,
};

const REFERENCE: &str = include_str!("../../examples/innoprom-ca-2024.toml");

async fn apply(
    app: &TestApp,
    text: &str,
    dry_run: bool,
) -> Result<pb::ApplyEventDefinitionResponse, tonic::Status> {
    app.events()
        .apply_event_definition(pb::ApplyEventDefinitionRequest {
            content: text.as_bytes().to_vec(),
            dry_run,
            event_code: String::new(),
        })
        .await
        .map(tonic::Response::into_inner)
}

fn lines_of(changes: &[pb::EventChange]) -> Vec<String> {
    changes
        .iter()
        .map(|c| format!("{} {} {}", c.action, c.kind, c.key))
        .collect()
}

async fn event_id(app: &TestApp, code: &str) -> Result<String, tonic::Status> {
    app.events()
        .get_event(pb::GetEventRequest {
            key: Some(pb::get_event_request::Key::Code(code.to_owned())),
        })
        .await
        .map(|r| r.into_inner().event.unwrap().id)
}

#[tokio::test]
async fn the_reference_file_is_planned_applied_once_and_exported_back_unchanged() {
    let app = TestApp::start().await;

    // A dry run plans every part and writes nothing.
    let plan = apply(&app, REFERENCE, true).await.unwrap();
    assert!(!plan.applied);
    assert_eq!(plan.event_code, "INNOPROM-CA-2024");
    let planned = lines_of(&plan.changes);
    assert_eq!(planned.len(), 1 + 14 + 8 + 15 + 27 + 5, "{planned:?}");
    assert!(planned.contains(&"create field press_card".to_owned()));
    assert_eq!(planned[0], "create event INNOPROM-CA-2024");
    assert!(planned.contains(&"create zone PAV-UZ".to_owned()));
    assert!(planned.contains(&"create gate HALL-MAIN-6".to_owned()));
    assert!(planned.contains(&"create delegation Official delegation of Hungary".to_owned()));
    let missing = event_id(&app, "INNOPROM-CA-2024").await.unwrap_err();
    assert_eq!(missing.code(), Code::NotFound);

    // Applied: the event is set up as the file says.
    let done = apply(&app, REFERENCE, false).await.unwrap();
    assert!(done.applied);
    assert_eq!(done.changes.len(), planned.len());
    let id = event_id(&app, "INNOPROM-CA-2024").await.unwrap();
    assert_eq!(done.event_id, id);
    let zones = app
        .events()
        .list_zones(pb::ListZonesRequest {
            event_id: id.clone(),
        })
        .await
        .unwrap()
        .into_inner()
        .zones;
    assert_eq!(zones.len(), 14);
    let pavilion = zones.iter().find(|z| z.code == "PAV-UZ").unwrap();
    assert_eq!(pavilion.parent_code, "HALL-1");
    assert_eq!(pavilion.capacity, 800);
    assert_eq!(pavilion.name_uz, "Oʻzbekiston milliy pavilyoni");
    let categories = app
        .events()
        .list_categories(pb::ListCategoriesRequest {
            event_id: id.clone(),
        })
        .await
        .unwrap()
        .into_inner()
        .categories;
    let staff = categories.iter().find(|c| c.code == "STAFF").unwrap();
    assert_eq!(staff.valid_days.len(), 3);
    assert_eq!(staff.color, "#6D4C41");
    let press = categories.iter().find(|c| c.code == "PRESS").unwrap();
    assert!(!press.zone_codes.contains(&"VIP".to_owned()));
    assert_eq!(press.zone_codes.len(), 13);
    let delegations = app
        .desk()
        .list_delegations(pb::ListDelegationsRequest {
            event_id: id.clone(),
        })
        .await
        .unwrap()
        .into_inner()
        .delegations;
    assert_eq!(delegations.len(), 27);
    let uz = delegations.iter().find(|d| d.country == "UZ").unwrap();
    let quota = |code: &str| {
        uz.quotas
            .iter()
            .find(|q| q.category_code == code)
            .map(|q| q.quota)
    };
    assert_eq!(quota("DELEGATE"), Some(90));
    assert_eq!(quota("VIP"), Some(10));

    // Applying the same file again changes nothing, and says so.
    let again = apply(&app, REFERENCE, false).await.unwrap();
    assert!(!again.applied);
    assert!(again.changes.is_empty(), "{:?}", lines_of(&again.changes));

    // Exported, the file applies as a no-op, and reads as the original.
    let exported = app
        .events()
        .export_event_definition(pb::ExportEventDefinitionRequest {
            event_code: "innoprom-ca-2024".to_owned(),
        })
        .await
        .unwrap()
        .into_inner()
        .content;
    assert!(exported.contains("code = \"HALL-MAIN-1\""), "{exported}");
    assert!(exported.contains("Национальный павильон России"));
    let round = apply(&app, &exported, false).await.unwrap();
    assert!(round.changes.is_empty(), "{:?}", lines_of(&round.changes));

    // A change is planned by its keys, and applied.
    let changed = REFERENCE
        .replace("capacity = 120\n", "capacity = 150\n")
        .replace("name = \"Press\"", "name = \"Media\"");
    let plan = apply(&app, &changed, false).await.unwrap();
    let shown: Vec<String> = plan
        .changes
        .iter()
        .map(|c| format!("{} {} {}: {}", c.action, c.kind, c.key, c.fields.join(",")))
        .collect();
    assert_eq!(
        shown,
        ["update zone VIP: capacity", "update category PRESS: name"]
    );
}

#[tokio::test]
async fn a_file_that_would_lose_data_applies_nothing_and_names_what_blocks_it() {
    let app = TestApp::start().await;
    apply(&app, REFERENCE, false).await.unwrap();
    let id = event_id(&app, "INNOPROM-CA-2024").await.unwrap();
    let fixture = Fixture {
        event_id: id.clone(),
    };
    app.register(&fixture, answered_for_the_fair(person("Jasur", "Tursunov")))
        .await;
    let delegations = app
        .desk()
        .list_delegations(pb::ListDelegationsRequest {
            event_id: id.clone(),
        })
        .await
        .unwrap()
        .into_inner()
        .delegations;
    let hungary = delegations.iter().find(|d| d.country == "HU").unwrap();
    for name in [("Zsófia", "Kovács"), ("Bence", "Nagy"), ("Dóra", "Tóth")] {
        let mut p = person(name.0, name.1);
        p.country = "HU".to_owned();
        p.category_code = "DELEGATE".to_owned();
        p.delegation_id = hungary.id.clone();
        app.register(&fixture, p).await;
    }

    // Visitors left out, Hungary's delegates cut to 2, and a harmless
    // rename beside them: none of it is applied.
    let visitor = REFERENCE
        .find("[[categories]]\ncode = \"VISITOR\"")
        .unwrap();
    let exhibitor = REFERENCE
        .find("[[categories]]\ncode = \"EXHIBITOR\"")
        .unwrap();
    let mut text = format!("{}{}", &REFERENCE[..visitor], &REFERENCE[exhibitor..]);
    let hu = text
        .find("name = \"Official delegation of Hungary\"")
        .unwrap();
    let quotas = hu + text[hu..].find("DELEGATE = ").unwrap();
    let end = quotas + text[quotas..].find(',').unwrap();
    text.replace_range(quotas..end, "DELEGATE = 2");
    let quota_line = text[..quotas].lines().count();
    let text = text
        .replace("name = \"VIP lounge\"", "name = \"The VIP lounge\"")
        // The fields asked of visitors go with them.
        .replace("categories.VISITOR = { required = true }\n", "");
    let err = apply(&app, &text, false).await.unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition);
    assert_eq!(reason(&err), "WOULD_LOSE_DATA");
    let fields = violated_fields(&err);
    assert!(
        fields.contains(&"categories: VISITOR".to_owned()),
        "{fields:?}"
    );
    assert!(
        fields.contains(&format!(
            "line {quota_line}: delegations[26].quotas.DELEGATE"
        )),
        "{fields:?}"
    );
    let details = err.get_details_bad_request().unwrap();
    let quota = details
        .field_violations
        .iter()
        .find(|v| v.field.ends_with("quotas.DELEGATE"))
        .unwrap();
    assert!(
        quota.description.contains("3 member"),
        "{}",
        quota.description
    );

    // Nothing changed: the VIP lounge keeps its name, visitors still exist.
    let zones = app
        .events()
        .list_zones(pb::ListZonesRequest {
            event_id: id.clone(),
        })
        .await
        .unwrap()
        .into_inner()
        .zones;
    let vip = zones.iter().find(|z| z.code == "VIP").unwrap();
    assert_eq!(vip.name, "VIP lounge");
    let dry = apply(&app, REFERENCE, true).await.unwrap();
    assert!(dry.changes.is_empty());
}

#[tokio::test]
async fn errors_in_a_file_are_named_with_their_lines_all_at_once() {
    let app = TestApp::start().await;
    let text = "[event]\ncode = \"FAIR\"\nname = \"Fair\"\nfirst_day = 2024-04-22\nlast_day = 2024-04-21\ncolour = \"red\"\n\n[[zones]]\ncode = \"HALL\"\nname = \"Hall\"\ncapacity = -3\n\n[[gates]]\ncode = \"G1\"\nname = \"Door\"\nzone = \"NOWHERE\"\n\n[[delegations]]\nname = \"D\"\ncountry = \"XX\"\nquotas = { VISITOR = 1000000000 }\n";
    let err = apply(&app, text, false).await.unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    assert_eq!(reason(&err), "INVALID_FIELD");
    let mut fields = violated_fields(&err);
    fields.sort();
    assert_eq!(
        fields,
        [
            "line 11: zones[0].capacity",
            "line 16: gates[0].zone",
            "line 20: delegations[0].country",
            "line 21: delegations[0].quotas.VISITOR",
            "line 5: event.last_day",
            "line 6: event.colour",
        ]
    );
    let missing = event_id(&app, "FAIR").await.unwrap_err();
    assert_eq!(missing.code(), Code::NotFound);

    // A quota of -1, broken syntax, binary junk, a thousand errors, and
    // ten megabytes: each a clear refusal, none of them INTERNAL.
    let negative = REFERENCE.replacen("VIP = 10", "VIP = -1", 1);
    let err = apply(&app, &negative, false).await.unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    let err = apply(&app, "[event\ncode = ", false).await.unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    assert!(violated_fields(&err)[0].starts_with("line 1"), "{err:?}");
    let junk = app
        .events()
        .apply_event_definition(pb::ApplyEventDefinitionRequest {
            content: vec![0xff, 0xfe, 0x00, 0x9f, 0x80],
            dry_run: false,
            event_code: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(junk.code(), Code::InvalidArgument);
    let thousand: String = (0..1000).map(|i| format!("key{i} = {i}\n")).collect();
    let err = apply(&app, &thousand, false).await.unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    assert_eq!(violated_fields(&err).len(), 101);
    let huge = format!("{REFERENCE}\n#{}\n", "x".repeat(10 * 1024 * 1024));
    let err = apply(&app, &huge, false).await.unwrap_err();
    assert_ne!(err.code(), Code::Internal, "{err:?}");
    assert!(
        matches!(
            err.code(),
            Code::InvalidArgument | Code::ResourceExhausted | Code::OutOfRange
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn only_an_admin_applies_or_exports_an_event_file() {
    let app = TestApp::start().await;
    let err = app
        .events_as(Some(Role::Desk))
        .apply_event_definition(pb::ApplyEventDefinitionRequest {
            content: REFERENCE.as_bytes().to_vec(),
            dry_run: true,
            event_code: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    // Another code: a new edition from last year's file.
    let next = app
        .events()
        .apply_event_definition(pb::ApplyEventDefinitionRequest {
            content: REFERENCE.as_bytes().to_vec(),
            dry_run: false,
            event_code: "innoprom-ca-2025".to_owned(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(next.event_code, "INNOPROM-CA-2025");
    event_id(&app, "INNOPROM-CA-2025").await.unwrap();
    let err = app
        .events_as(Some(Role::Gate))
        .export_event_definition(pb::ExportEventDefinitionRequest {
            event_code: "INNOPROM-CA-2025".to_owned(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
}

#[tokio::test]
async fn zone_numbers_past_64_are_a_named_refusal_not_a_failure() {
    let app = TestApp::start().await;
    let file = |codes: &mut dyn Iterator<Item = usize>| {
        let mut text = "[event]\ncode = \"ZONES\"\nname = \"Zones\"\nfirst_day = 2024-04-22\nlast_day = 2024-04-22\n".to_owned();
        for n in codes {
            text.push_str(&format!(
                "\n[[zones]]\ncode = \"Z{n:02}\"\nname = \"Zone {n}\"\n"
            ));
        }
        text
    };
    apply(&app, &file(&mut (1..=64)), false).await.unwrap();
    // Zone 1 out, zone 65 in: the new one would take number 65.
    let err = apply(&app, &file(&mut (2..=65)), false).await.unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument, "{err:?}");
    assert_eq!(violated_fields(&err), ["zones"]);
    let again = apply(&app, &file(&mut (1..=64)), true).await.unwrap();
    assert!(again.changes.is_empty(), "nothing was applied");
}

/// A zone's capacity cannot go below the people inside it now: two visitors
/// came in, a file giving the hall one place is refused by the zone's line,
/// and nothing changes.
#[tokio::test]
async fn a_capacity_below_the_people_inside_is_refused_and_nothing_changes() {
    let app = TestApp::start().await;
    let fixture = app.event("CAPACITY").await;
    let gate = app.gate(&fixture, "HALL-1", "HALL-A").await;
    for (n, (given, family)) in [("Jasur", "Tursunov"), ("Dilnoza", "Karimova")]
        .into_iter()
        .enumerate()
    {
        let who = app.register(&fixture, person(given, family)).await;
        let badge = app
            .badges()
            .issue_badge(pb::IssueBadgeRequest {
                participant_id: who.id,
                layout: pb::BadgeLayout::A6.into(),
            })
            .await
            .unwrap()
            .into_inner()
            .badge
            .unwrap();
        let answer = app
            .gates()
            .scan(pb::ScanRequest {
                gate_id: gate.id.clone(),
                qr_text: badge.qr_text,
                direction: pb::Direction::In.into(),
                nonce: format!("capacity-{n}"),
                scanned_at: Some(prost_types::Timestamp {
                    seconds: 1_713_855_600 + i64::try_from(n).unwrap(),
                    nanos: 0,
                }),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(answer.decision(), pb::Decision::Allow, "{answer:?}");
    }
    let exported = app
        .events()
        .export_event_definition(pb::ExportEventDefinitionRequest {
            event_code: "CAPACITY".to_owned(),
        })
        .await
        .unwrap()
        .into_inner()
        .content;
    assert!(exported.contains("capacity = 5000"), "{exported}");
    let line = exported[..exported.find("capacity = 5000").unwrap()]
        .lines()
        .count()
        + 1;
    let smaller = exported.replace("capacity = 5000", "capacity = 1");
    let err = apply(&app, &smaller, false).await.unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition);
    assert_eq!(reason(&err), "WOULD_LOSE_DATA");
    let fields = violated_fields(&err);
    assert!(
        fields
            .iter()
            .any(|f| f.starts_with(&format!("line {line}: zones[")) && f.ends_with("capacity")),
        "{fields:?}"
    );
    let after = app
        .events()
        .export_event_definition(pb::ExportEventDefinitionRequest {
            event_code: "CAPACITY".to_owned(),
        })
        .await
        .unwrap()
        .into_inner()
        .content;
    assert_eq!(after, exported, "nothing applied");
    // Room for both is accepted.
    let enough = exported.replace("capacity = 5000", "capacity = 2");
    let applied = apply(&app, &enough, false).await.unwrap();
    assert_eq!(lines_of(&applied.changes), ["update zone HALL-A"]);
}

/// A category's badge set in the file is what IssueBadge prints when the
/// desk asks for no layout; exported, the key comes back.
#[tokio::test]
async fn a_category_printed_as_a_card_by_its_file() {
    let app = TestApp::start().await;
    let text = "[event]\ncode = \"CARDS\"\nname = \"Cards fair\"\ntime_zone = \"Asia/Tashkent\"\n\
        first_day = 2024-04-22\nlast_day = 2024-04-24\n\n\
        [[zones]]\ncode = \"HALL\"\nname = \"Hall\"\n\n\
        [[categories]]\ncode = \"PRESS\"\nname = \"Press\"\ncolor = \"#FB8C00\"\nzones = [\"HALL\"]\nbadge = \"card\"\n\n\
        [[categories]]\ncode = \"VISITOR\"\nname = \"Visitor\"\ncolor = \"#1E88E5\"\nzones = [\"HALL\"]\n";
    let applied = apply(&app, text, false).await.unwrap();
    let fixture = Fixture {
        event_id: applied.event_id.clone(),
    };
    let mut press = person("Aziz", "Rahimov");
    press.category_code = "PRESS".to_owned();
    let press = app.register(&fixture, press).await;
    let visitor = app.register(&fixture, person("Olga", "Petrova")).await;
    let size = |id: String| {
        let app = &app;
        async move {
            let pdf = app
                .badges()
                .issue_badge(pb::IssueBadgeRequest {
                    participant_id: id,
                    layout: pb::BadgeLayout::Unspecified.into(),
                })
                .await
                .unwrap()
                .into_inner()
                .pdf;
            let (w, h) = crate::support::pdf::PdfFile::new(&pdf).page_size();
            (w.round() as i64, h.round() as i64)
        }
    };
    // 85.6 x 54 mm and 105 x 148 mm, in points.
    let card = size(press.id.clone()).await;
    assert!(card == (243, 153) || card == (153, 243), "{card:?}");
    assert_eq!(size(visitor.id.clone()).await, (298, 420));
    let categories = app
        .events()
        .list_categories(pb::ListCategoriesRequest {
            event_id: applied.event_id.clone(),
        })
        .await
        .unwrap()
        .into_inner()
        .categories;
    assert_eq!(categories[0].badge_layout(), pb::BadgeLayout::Card);
    assert_eq!(categories[1].badge_layout(), pb::BadgeLayout::A6);
    let exported = app
        .events()
        .export_event_definition(pb::ExportEventDefinitionRequest {
            event_code: "CARDS".to_owned(),
        })
        .await
        .unwrap()
        .into_inner()
        .content;
    assert_eq!(
        exported.matches("badge = \"card\"").count(),
        1,
        "{exported}"
    );
    assert!(
        apply(&app, &exported, false)
            .await
            .unwrap()
            .changes
            .is_empty()
    );
    let bad = text.replace("badge = \"card\"", "badge = \"poster\"");
    let err = apply(&app, &bad, false).await.unwrap_err();
    assert_eq!(violated_fields(&err), ["line 17: categories[0].badge"]);
}

/// An event's settings changed over gRPC: the same checks as a new event's,
/// a change list, the code kept; days that would strand a category's valid
/// day are refused and nothing changes.
#[tokio::test]
async fn an_events_settings_change_and_its_days_cannot_strand_a_category() {
    let app = TestApp::start().await;
    let fixture = app.event("SETTINGS").await;
    app.events()
        .upsert_category(pb::UpsertCategoryRequest {
            event_id: fixture.event_id.clone(),
            code: "PRESS".to_owned(),
            name: "Press".to_owned(),
            color: "#FB8C00".to_owned(),
            zone_codes: vec!["HALL-A".to_owned()],
            valid_days: vec!["2024-04-24".to_owned()],
            ..Default::default()
        })
        .await
        .unwrap();
    let settings = |name: &str, first: &str, last: &str| pb::UpdateEventRequest {
        id: fixture.event_id.clone(),
        name: name.to_owned(),
        venue: "Uzexpocentre, pavilion 2".to_owned(),
        time_zone: "Asia/Tashkent".to_owned(),
        first_day: first.to_owned(),
        last_day: last.to_owned(),
        names_at_gates: true,
        photos_at_gates: false,
    };
    let changed = app
        .events()
        .update_event(settings("Tashkent Fair", "2024-04-22", "2024-04-25"))
        .await
        .unwrap()
        .into_inner();
    let event = changed.event.unwrap();
    assert_eq!(
        (
            event.code.as_str(),
            event.name.as_str(),
            event.last_day.as_str()
        ),
        ("SETTINGS", "Tashkent Fair", "2024-04-25")
    );
    assert!(event.names_at_gates);
    assert_eq!(lines_of(&changed.changes), ["update event SETTINGS"]);
    // The same again: nothing to change.
    let again = app
        .events()
        .update_event(settings("Tashkent Fair", "2024-04-22", "2024-04-25"))
        .await
        .unwrap()
        .into_inner();
    assert!(again.changes.is_empty());

    // PRESS is valid on the 24th: the event cannot end on the 23rd.
    let err = app
        .events()
        .update_event(settings("Shorter", "2024-04-22", "2024-04-23"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition);
    assert_eq!(reason(&err), "WOULD_LOSE_DATA");
    assert!(
        violated_fields(&err)
            .iter()
            .any(|f| f.starts_with("categories: PRESS")),
        "{:?}",
        violated_fields(&err)
    );
    let bad = app
        .events()
        .update_event(settings("", "2024-04-22", "2024-13-01"))
        .await
        .unwrap_err();
    assert_eq!(bad.code(), Code::InvalidArgument);
    assert_eq!(violated_fields(&bad), ["name", "last_day"]);
    let now = app
        .events()
        .get_event(pb::GetEventRequest {
            key: Some(pb::get_event_request::Key::Id(fixture.event_id.clone())),
        })
        .await
        .unwrap()
        .into_inner()
        .event
        .unwrap();
    assert_eq!(
        (now.name.as_str(), now.last_day.as_str()),
        ("Tashkent Fair", "2024-04-25")
    );
    // Desks do not change settings.
    let desk = app
        .events_as(Some(Role::Desk))
        .update_event(settings("Desk's fair", "2024-04-22", "2024-04-25"))
        .await
        .unwrap_err();
    assert_eq!(desk.code(), Code::PermissionDenied);
}
