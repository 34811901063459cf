//! Badge templates over gRPC: drafts, the validator, previews that are the
//! print, published versions that never change what was printed.

use expopass::{domain::Role, proto::pb};
use tonic::Code;

use crate::support::{
    TestApp,
    builders::{Fixture, person},
    pdf::PdfFile,
    reason, violated_fields,
};

const DELEGATE: &str = include_str!("../../examples/templates/delegate.toml");

async fn save(
    app: &TestApp,
    fixture: &Fixture,
    code: &str,
    document: &str,
) -> pb::SaveBadgeTemplateDraftResponse {
    app.templates()
        .save_badge_template_draft(pb::SaveBadgeTemplateDraftRequest {
            event_id: fixture.event_id.clone(),
            code: code.to_owned(),
            name: format!("{code} badge"),
            document: document.as_bytes().to_vec(),
        })
        .await
        .expect("save draft")
        .into_inner()
}

async fn publish(
    app: &TestApp,
    fixture: &Fixture,
    code: &str,
) -> Result<pb::BadgeTemplate, tonic::Status> {
    app.templates()
        .publish_badge_template(pb::PublishBadgeTemplateRequest {
            event_id: fixture.event_id.clone(),
            code: code.to_owned(),
        })
        .await
        .map(|r| r.into_inner().template.expect("template"))
}

async fn assign(
    app: &TestApp,
    fixture: &Fixture,
    category: &str,
    template: &str,
) -> Result<(), tonic::Status> {
    app.templates()
        .assign_badge_template(pb::AssignBadgeTemplateRequest {
            event_id: fixture.event_id.clone(),
            category_code: category.to_owned(),
            template_code: template.to_owned(),
        })
        .await
        .map(drop)
}

async fn preview_stored(
    app: &TestApp,
    fixture: &Fixture,
    code: &str,
    version: u32,
    participants: &[&str],
) -> pb::PreviewBadgeTemplateResponse {
    app.templates()
        .preview_badge_template(pb::PreviewBadgeTemplateRequest {
            event_id: fixture.event_id.clone(),
            template: Some(pb::preview_badge_template_request::Template::Stored(
                pb::TemplateVersion {
                    code: code.to_owned(),
                    version,
                },
            )),
            participant_ids: participants.iter().map(|s| (*s).to_owned()).collect(),
        })
        .await
        .expect("preview")
        .into_inner()
}

async fn validate(app: &TestApp, fixture: &Fixture, document: &str) -> Vec<(String, String)> {
    app.templates()
        .validate_badge_template(pb::ValidateBadgeTemplateRequest {
            event_id: fixture.event_id.clone(),
            document: document.as_bytes().to_vec(),
        })
        .await
        .expect("validate")
        .into_inner()
        .problems
        .into_iter()
        .map(|p| (p.field, p.code))
        .collect()
}

fn delegate(given: &str, family: &str) -> pb::ParticipantInput {
    pb::ParticipantInput {
        category_code: "DELEGATE".to_owned(),
        ..person(given, family)
    }
}

#[tokio::test]
async fn a_published_template_prints_the_desks_badges_and_a_new_version_changes_no_issued_one() {
    let app = TestApp::start().await;
    let fixture = app.event("TMPL").await;

    let saved = save(&app, &fixture, "delegates", DELEGATE).await;
    let draft = saved.draft.expect("draft");
    assert_eq!((draft.code.as_str(), draft.version), ("DELEGATES", 0));
    assert!(draft.published_at.is_none());
    assert_eq!(saved.problems, vec![], "the example template prints");

    // The sample names, drawn by the same renderer: front and back each.
    let preview = preview_stored(&app, &fixture, "DELEGATES", 0, &[]).await;
    assert_eq!(preview.names.len(), 3, "{:?}", preview.names);
    let pdf = PdfFile::new(&preview.pdf);
    assert_eq!(pdf.pages(), 6);
    let text = pdf.text();
    for name in [
        "Maximilian-Alexander",
        "الهاشمي",
        "欧阳明远",
        "Programme and map",
    ] {
        assert!(
            text.contains(name),
            "{name:?} missing from the preview: {text:?}"
        );
    }

    // Only a published template can be assigned.
    let refused = assign(&app, &fixture, "DELEGATE", "DELEGATES")
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::FailedPrecondition);
    assert_eq!(reason(&refused), "TEMPLATE_NOT_PUBLISHED");
    let published = publish(&app, &fixture, "DELEGATES").await.expect("publish");
    assert_eq!(published.version, 1);
    assert!(published.published_at.is_some());
    assign(&app, &fixture, "DELEGATE", "DELEGATES")
        .await
        .expect("assign");

    let aziz = app.register(&fixture, delegate("Aziz", "Karimov")).await;
    let issued = app.issue(&aziz.id, pb::BadgeLayout::Unspecified).await;
    let badge = issued.badge.expect("badge");
    assert_eq!(
        (badge.template_code.as_str(), badge.template_version),
        ("DELEGATES", 1)
    );
    let printed = PdfFile::new(&issued.pdf);
    assert_eq!(printed.pages(), 2, "front and back");
    let (w, h) = printed.page_size();
    assert!(
        (w - 297.64).abs() < 0.1 && (h - 419.53).abs() < 0.1,
        "{w} x {h} pt"
    );
    let text = printed.text();
    for expected in [
        "Aziz",
        "KARIMOV",
        "DELEGATE",
        &badge.number,
        "Programme and map",
    ] {
        assert!(
            text.contains(expected),
            "{expected:?} missing from {text:?}"
        );
    }
    assert_eq!(printed.qr_codes_degraded(1), vec![badge.qr_text.clone()]);
    // The colour band is the category's colour (#43A047).
    let (r, g, b) = printed.pixel(1, 52.0, 1.5);
    assert!(
        r.abs_diff(0x43) <= 3 && g.abs_diff(0xA0) <= 3 && b.abs_diff(0x47) <= 3,
        "band sampled as ({r}, {g}, {b})"
    );

    // The preview of the published version for this participant is the
    // very file the desk printed.
    let same = preview_stored(&app, &fixture, "DELEGATES", 1, &[&aziz.id]).await;
    assert_eq!(same.names, vec!["Aziz Karimov".to_owned()]);
    assert!(same.pdf == issued.pdf, "the preview differs from the print");

    // Version 2 moves the back's heading; the badge issued stays at 1.
    let v2 = DELEGATE.replace("Programme and map", "Map of the halls");
    save(&app, &fixture, "DELEGATES", &v2).await;
    assert_eq!(
        publish(&app, &fixture, "DELEGATES")
            .await
            .expect("v2")
            .version,
        2
    );
    let held = app
        .badges()
        .get_badge(pb::GetBadgeRequest {
            key: Some(pb::get_badge_request::Key::BadgeId(badge.id.clone())),
        })
        .await
        .expect("get badge")
        .into_inner()
        .badge
        .expect("badge");
    assert_eq!(held.template_version, 1);
    // What version 1 printed is still there to print again.
    let old = PdfFile::new(
        &preview_stored(&app, &fixture, "DELEGATES", 1, &[&aziz.id])
            .await
            .pdf,
    );
    assert!(old.text().contains("Programme and map"));

    let reprint = app.issue(&aziz.id, pb::BadgeLayout::Unspecified).await;
    let reprinted = reprint.badge.expect("badge");
    assert_eq!(reprinted.template_version, 2);
    let text = PdfFile::new(&reprint.pdf).text();
    assert!(text.contains("Map of the halls"), "{text:?}");
    assert!(!text.contains("Programme and map"), "{text:?}");

    // A layout the desk names is a built-in one, and recorded as such.
    let card = app.issue(&aziz.id, pb::BadgeLayout::Card).await;
    let card_badge = card.badge.expect("badge");
    assert_eq!(
        (
            card_badge.template_code.as_str(),
            card_badge.template_version
        ),
        ("", 0)
    );

    // Another category keeps its built-in badge.
    let guest = app.register(&fixture, person("Dilnoza", "Rashidova")).await;
    let visitor = app.issue(&guest.id, pb::BadgeLayout::Unspecified).await;
    assert_eq!(visitor.badge.expect("badge").template_code, "");
    assert_eq!(PdfFile::new(&visitor.pdf).pages(), 1);

    let list = app
        .templates()
        .list_badge_templates(pb::ListBadgeTemplatesRequest {
            event_id: fixture.event_id.clone(),
        })
        .await
        .expect("list")
        .into_inner();
    let versions: Vec<(String, u32)> = list
        .templates
        .iter()
        .map(|t| (t.code.clone(), t.version))
        .collect();
    assert_eq!(
        versions,
        [
            ("DELEGATES".to_owned(), 0),
            ("DELEGATES".to_owned(), 2),
            ("DELEGATES".to_owned(), 1)
        ]
    );
    assert_eq!(
        list.assignments,
        [pb::TemplateAssignment {
            category_code: "DELEGATE".to_owned(),
            template_code: "DELEGATES".to_owned(),
        }]
    );

    // Back to the built-in badge.
    assign(&app, &fixture, "DELEGATE", "")
        .await
        .expect("unassign");
    let plain = app.issue(&aziz.id, pb::BadgeLayout::Unspecified).await;
    assert_eq!(plain.badge.expect("badge").template_code, "");
}

/// A front side of `elements` on an A6 page, with a good QR unless the
/// elements bring their own.
fn a6(elements: &str) -> String {
    format!("width = 105\nheight = 148\n{elements}")
}

const QR_OK: &str = "[[front.elements]]\ntype = \"qr\"\nat = [35, 84]\nsize = 35\n";

#[tokio::test]
async fn the_validator_refuses_what_a_gate_or_a_printer_cannot_take() {
    let app = TestApp::start().await;
    let fixture = app.event("TVAL").await;

    let small_qr = a6("[[front.elements]]\ntype = \"qr\"\nat = [35, 84]\nsize = 25\n");
    assert_eq!(
        validate(&app, &fixture, &small_qr).await,
        [(
            "document.front.elements[0].size".to_owned(),
            "QR_TOO_SMALL".to_owned()
        )]
    );
    let outside = a6(&format!(
        "{QR_OK}[[front.elements]]\ntype = \"rect\"\nbox = [90, 0, 30, 10]\nfill = \"#000000\"\n"
    ));
    assert_eq!(
        validate(&app, &fixture, &outside).await,
        [(
            "document.front.elements[1].box".to_owned(),
            "OUTSIDE_PAGE".to_owned()
        )]
    );
    let unknown = a6(&format!(
        "{QR_OK}[[front.elements]]\ntype = \"text\"\nbox = [5, 5, 95, 10]\nbind = \"salary\"\nsize = 12\n"
    ));
    assert_eq!(
        validate(&app, &fixture, &unknown).await,
        [(
            "document.front.elements[1].bind".to_owned(),
            "UNKNOWN_BINDING".to_owned()
        )]
    );
    let no_qr =
        a6("[[front.elements]]\ntype = \"rect\"\nbox = [0, 0, 105, 16]\nfill = \"category\"\n");
    let found = validate(&app, &fixture, &no_qr).await;
    assert!(found.iter().any(|(_, code)| code == "NO_QR"), "{found:?}");
    let over_qr = a6(&format!(
        "{QR_OK}[[front.elements]]\ntype = \"rect\"\nbox = [30, 80, 10, 10]\nfill = \"#000000\"\n"
    ));
    let found = validate(&app, &fixture, &over_qr).await;
    assert!(
        found.iter().any(|(_, code)| code == "COVERS_QR"),
        "{found:?}"
    );
    // A name box too small for the sample names at its smallest size.
    let tiny = a6(&format!(
        "{QR_OK}[[front.elements]]\ntype = \"text\"\nbox = [5, 5, 12, 4]\nbind = \"full_name\"\nsize = 12\nmin_size = 10\nmax_lines = 1\n"
    ));
    let found = validate(&app, &fixture, &tiny).await;
    assert!(
        found
            .iter()
            .any(|(f, code)| f.starts_with("document.front.elements[1]") && code == "DOES_NOT_FIT"),
        "{found:?}"
    );

    // A document that does not read is not saved, with the key named.
    let refused = app
        .templates()
        .save_badge_template_draft(pb::SaveBadgeTemplateDraftRequest {
            event_id: fixture.event_id.clone(),
            code: "BROKEN".to_owned(),
            name: String::new(),
            document: a6(&format!("{QR_OK}colour = \"red\"\n")).into_bytes(),
        })
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument);
    assert_eq!(violated_fields(&refused), ["document"]);
    assert!(
        refused.message().contains("document"),
        "{}",
        refused.message()
    );
    let bad_code = app
        .templates()
        .save_badge_template_draft(pb::SaveBadgeTemplateDraftRequest {
            event_id: fixture.event_id.clone(),
            code: "9 lives".to_owned(),
            name: String::new(),
            document: Vec::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&bad_code), ["code", "document"]);

    // A draft that would not print is kept, and cannot be published.
    let saved = save(&app, &fixture, "SMALL", &small_qr).await;
    assert_eq!(saved.problems.len(), 1);
    assert!(
        saved.problems[0].description.contains("30 mm"),
        "{}",
        saved.problems[0].description
    );
    let refused = publish(&app, &fixture, "SMALL").await.unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument);
    assert_eq!(
        violated_fields(&refused),
        ["document.front.elements[0].size"]
    );
    let missing = publish(&app, &fixture, "NOSUCH").await.unwrap_err();
    assert_eq!(
        (missing.code(), reason(&missing).as_str()),
        (Code::NotFound, "TEMPLATE_NOT_FOUND")
    );
    let no_category = {
        save(&app, &fixture, "GOOD", &a6(QR_OK)).await;
        publish(&app, &fixture, "GOOD").await.expect("publish");
        assign(&app, &fixture, "ASTRONAUT", "GOOD")
            .await
            .unwrap_err()
    };
    assert_eq!(reason(&no_category), "CATEGORY_NOT_FOUND");

    // Participants of another event are not previewed.
    let other = app.event("TVAL2").await;
    let stranger = app.register(&other, person("Kamola", "Yusupova")).await;
    let refused = app
        .templates()
        .preview_badge_template(pb::PreviewBadgeTemplateRequest {
            event_id: fixture.event_id.clone(),
            template: Some(pb::preview_badge_template_request::Template::Document(
                a6(QR_OK).into_bytes(),
            )),
            participant_ids: vec![stranger.id.clone()],
        })
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&refused), ["participant_ids[0]"]);

    // Templates are the organiser's: a desk token is refused.
    let denied = app
        .templates_as(Some(Role::Desk))
        .list_badge_templates(pb::ListBadgeTemplatesRequest {
            event_id: fixture.event_id.clone(),
        })
        .await
        .unwrap_err();
    assert_eq!(denied.code(), Code::PermissionDenied);
}

/// The text boxes of a side of a template document, [x, y, w, h] mm.
fn text_boxes(document: &str, side: &str) -> Vec<[f64; 4]> {
    let doc: toml::Value = toml::from_str(document).expect("toml");
    doc.get(side)
        .and_then(|s| s.get("elements"))
        .and_then(|e| e.as_array())
        .into_iter()
        .flatten()
        .filter(|e| e.get("type").and_then(|t| t.as_str()) == Some("text"))
        .map(|e| {
            let b: Vec<f64> = e["box"]
                .as_array()
                .expect("box")
                .iter()
                .map(|v| {
                    v.as_float()
                        .or(v.as_integer().map(|i| i as f64))
                        .expect("number")
                })
                .collect();
            [b[0], b[1], b[2], b[3]]
        })
        .collect()
}

#[tokio::test]
async fn no_sample_name_leaves_its_box_in_latin_arabic_or_chinese() {
    let app = TestApp::start().await;
    let fixture = app.event("TBOX").await;
    save(&app, &fixture, "DELEGATES", DELEGATE).await;
    let preview = preview_stored(&app, &fixture, "DELEGATES", 0, &[]).await;
    let pdf = PdfFile::new(&preview.pdf);
    let (front, back) = (text_boxes(DELEGATE, "front"), text_boxes(DELEGATE, "back"));
    let words = pdf.words();
    // Each sample's names came out whole, in their own scripts.
    let all = pdf.text();
    for name in ["Maximilian-Alexander", "الهاشمي", "欧阳明远"] {
        assert!(all.contains(name), "{name:?} missing from {all:?}");
    }
    // Sideways, a word keeps to its box to within a rounding. Up and
    // down, pdftotext measures a word by its font's whole height, which
    // the Arabic face draws far taller than its letters: the middle of the
    // word must lie in the box.
    const ACROSS: f64 = 0.3;
    for (page, word, [x0, y0, x1, y1]) in &words {
        let boxes = if page % 2 == 1 { &front } else { &back };
        let middle = (y0 + y1) / 2.0;
        let inside = boxes.iter().any(|[bx, by, bw, bh]| {
            *x0 >= bx - ACROSS && *x1 <= bx + bw + ACROSS && middle >= *by && middle <= by + bh
        });
        assert!(
            inside,
            "{word:?} on page {page} at [{x0:.1}, {y0:.1}, {x1:.1}, {y1:.1}] leaves its box"
        );
    }
    assert!(words.len() > 20, "{} words", words.len());
}
