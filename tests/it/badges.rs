use expopass::{
    domain::{Role, offline::Rules, qr::ParsedToken},
    proto::pb,
};
use tokio_stream::StreamExt as _;
use tonic::Code;

use crate::support::{
    TestApp,
    builders::{Fixture, person},
    pdf::PdfFile,
    reason, violated_fields,
};

async fn bundle(app: &TestApp, fixture: &Fixture) -> Rules {
    let id = expopass::ids::EventId(uuid::Uuid::parse_str(&fixture.event_id).unwrap());
    Rules::from_bundle(&prost::Message::encode_to_vec(
        &app.services.offline_bundle(id).await.unwrap(),
    ))
    .unwrap()
}

/// During the fixture event (2024-04-22..24, Asia/Tashkent).
fn during_event() -> chrono::DateTime<chrono::Utc> {
    "2024-04-23T08:00:00Z".parse().unwrap()
}

#[tokio::test]
async fn an_a6_badge_scans_to_its_token_and_names_come_back_as_text() {
    let app = TestApp::start().await;
    let fixture = app.event("BADGE").await;
    let mut input = person("Oʻktam", "Gʻulomov");
    input.native_name = "Ўктам Ғуломов".to_owned();
    let p = app.register(&fixture, input).await;

    let issued = app.issue(&p.id, pb::BadgeLayout::Unspecified).await;
    let badge = issued.badge.unwrap();
    assert_eq!(badge.version, 1);
    assert!(!badge.revoked);
    assert_eq!(badge.category_code, "VISITOR");
    assert!(badge.qr_text.starts_with("EP1:"), "{}", badge.qr_text);
    assert!(
        issued.pdf.len() <= 60 * 1024,
        "A6 badge of {} bytes",
        issued.pdf.len()
    );

    let pdf = PdfFile::new(&issued.pdf);
    assert_eq!(pdf.pages(), 1);
    assert_eq!(pdf.qr_codes(1), vec![badge.qr_text.clone()]);
    let text = pdf.text();
    for expected in [
        "Oʻktam",
        "GʻULOMOV",
        "Ўктам Ғуломов",
        &badge.number,
        "VISITOR",
        "Uzbekistan",
    ] {
        assert!(
            text.contains(expected),
            "{expected:?} missing from {text:?}"
        );
    }
    let fonts = pdf.fonts();
    assert!(!fonts.is_empty());
    assert!(fonts.iter().all(|(_, emb, sub)| *emb && *sub), "{fonts:?}");

    // The token says what the badge is, and verifies offline.
    let token = ParsedToken::parse(&badge.qr_text).unwrap();
    assert_eq!(token.claims.version, 1);
    assert_eq!(format!("{:07}-1", token.claims.serial), badge.number);
    let rules = bundle(&app, &fixture).await;
    let verdict = expopass::domain::offline::decide(
        &rules,
        &badge.qr_text,
        rules.zone_number("HALL-A"),
        during_event(),
    );
    assert!(verdict.allowed(), "{verdict:?}");
    let plenary = expopass::domain::offline::decide(
        &rules,
        &badge.qr_text,
        rules.zone_number("PLENARY"),
        during_event(),
    );
    assert_eq!(plenary.deny.map(|d| d.as_str()), Some("ZONE_NOT_ALLOWED"));
}

#[tokio::test]
async fn every_layout_prints_a_qr_that_scans() {
    let app = TestApp::start().await;
    let fixture = app.event("LAYOUTS").await;
    let p = app
        .register(&fixture, person("Aigerim", "Nurlanqyzy"))
        .await;
    for layout in [
        pb::BadgeLayout::Card,
        pb::BadgeLayout::A4SheetA6,
        pb::BadgeLayout::A4SheetCard,
        pb::BadgeLayout::A6,
    ] {
        let issued = app.issue(&p.id, layout).await;
        let badge = issued.badge.unwrap();
        let pdf = PdfFile::new(&issued.pdf);
        assert_eq!(pdf.qr_codes(1), vec![badge.qr_text.clone()], "{layout:?}");
        // The card's QR is 22.6 mm of modules (0.55 mm each): it still reads
        // when the print is coarse, soft and askew (docs/qr-format.md).
        assert_eq!(
            pdf.qr_codes_degraded(1),
            vec![badge.qr_text],
            "{layout:?} at 150 dpi, blurred, turned 5°"
        );
        assert!(pdf.text().contains("NURLANQYZY"), "{layout:?}");
    }
}

#[tokio::test]
async fn names_in_every_script_are_drawn_and_extractable() {
    let app = TestApp::start().await;
    let fixture = app.event("SCRIPTS").await;
    let people = [
        ("Ivan", "Petrov", "Иван Петров", "RU"),
        ("Aigerim", "Nurlanqyzy", "Әйгерім Нұрланқызы", "KZ"),
        ("Wei", "Zhang", "张伟", "CN"),
        ("Haruto", "Sato", "佐藤 陽翔", "JP"),
        ("Minjun", "Kim", "김민준", "KR"),
        ("Mohammed", "Al-Rashid", "محمد الراشد", "AE"),
        ("Ömer", "Çelik", "", "TR"),
    ];
    let mut ids = Vec::new();
    for (given, family, native, country) in people {
        let mut input = person(given, family);
        input.native_name = native.to_owned();
        input.country = country.to_owned();
        input.email = format!("{}@example.com", given.to_lowercase());
        ids.push(app.register(&fixture, input).await.id);
    }
    let pdf = print(&app, &fixture, pb::BadgeLayout::A6, ids).await;
    let file = PdfFile::new(&pdf.bytes);
    assert_eq!(file.pages(), people.len());
    let text = file.text();
    for (_, family, native, _) in people {
        assert!(text.contains(&family.to_uppercase()), "{family} missing");
        if !native.is_empty() {
            assert!(text.contains(native), "{native:?} missing from {text:?}");
        }
    }
    let fonts = file.fonts();
    for face in ["NotoSans-Bold", "NotoSansArabic", "WenQuanYiMicroHei"] {
        assert!(
            fonts.iter().any(|(name, _, _)| name.contains(face)),
            "{face} not in {fonts:?}"
        );
    }
    assert!(fonts.iter().all(|(_, emb, sub)| *emb && *sub), "{fonts:?}");
}

/// A name of each shipped script comes back from `pdftotext` exactly (NFC,
/// whitespace aside), in every layout: conjuncts and vowel signs of
/// Devanagari, Thai's stacked marks and sara am, Arabic joined right to
/// left, Hebrew, Georgian, Armenian, Greek, Cyrillic, Chinese, Japanese,
/// Korean, and Latin with stacked diacritics.
#[tokio::test]
async fn every_shipped_script_comes_back_from_pdftotext_exactly() {
    use unicode_normalization::UnicodeNormalization as _;
    let app = TestApp::start().await;
    let fixture = app.event("TEXTLAYER").await;
    let people = [
        ("Srinivas", "Kshatriya", "श्रीनिवास क्षत्रिय", "IN"),
        ("Priyanka", "Dwivedi", "प्रियंका द्विवेदी", "IN"),
        ("Somchai", "Namjai", "สมชาย น้ำใจดี", "TH"),
        ("Kittisak", "Srisuk", "กิตติศักดิ์ ศรีสุข", "TH"),
        ("Mohammed", "Al-Rashid", "محمد الراشد", "AE"),
        ("Fatemeh", "Rezaei", "فاطمه رضایی", "IR"),
        ("David", "Cohen", "דוד כהן", "IL"),
        ("Giorgi", "Beridze", "გიორგი ბერიძე", "GE"),
        ("Aram", "Hakobyan", "Արամ Հակոբյան", "AM"),
        ("Giorgos", "Papadopoulos", "Γιώργος Παπαδόπουλος", "GR"),
        ("Aigerim", "Nurlanqyzy", "Әйгерім Нұрланқызы", "KZ"),
        ("Wei", "Zhang", "张伟", "CN"),
        ("Haruto", "Sato", "佐藤 陽翔 さとう", "JP"),
        ("Minjun", "Kim", "김민준", "KR"),
        ("Minh Khai", "Nguyen", "Nguyễn Thị Minh Khai", "VN"),
    ];
    let mut ids = Vec::new();
    for (i, (given, family, native, country)) in people.iter().enumerate() {
        let mut input = person(given, family);
        input.native_name = (*native).to_owned();
        input.country = (*country).to_owned();
        input.email = format!("script{i}@example.com");
        ids.push(app.register(&fixture, input).await.id);
    }
    let squeeze = |s: &str| -> String { s.nfc().filter(|c| !c.is_whitespace()).collect() };
    for layout in [
        pb::BadgeLayout::A6,
        pb::BadgeLayout::Card,
        pb::BadgeLayout::A4SheetA6,
        pb::BadgeLayout::A4SheetCard,
    ] {
        let pdf = print(&app, &fixture, layout, ids.clone()).await;
        let text = squeeze(&PdfFile::new(&pdf.bytes).text());
        assert!(
            !text.contains('\u{FFFD}'),
            "{layout:?}: replacement characters in {text:?}"
        );
        for (_, _, native, _) in people {
            assert!(
                text.contains(&squeeze(native)),
                "{layout:?}: {native:?} does not come back from {text:?}"
            );
        }
    }
}

struct Printed {
    bytes: Vec<u8>,
    progress: Vec<(u32, u32)>,
}

async fn print(
    app: &TestApp,
    fixture: &Fixture,
    layout: pb::BadgeLayout,
    ids: Vec<String>,
) -> Printed {
    print_selection(
        app,
        fixture,
        layout,
        pb::print_badges_request::Selection::ParticipantIds(pb::ParticipantIds { ids }),
    )
    .await
}

async fn print_selection(
    app: &TestApp,
    fixture: &Fixture,
    layout: pb::BadgeLayout,
    selection: pb::print_badges_request::Selection,
) -> Printed {
    let mut stream = app
        .badges()
        .print_badges(pb::PrintBadgesRequest {
            event_id: fixture.event_id.clone(),
            selection: Some(selection),
            layout: layout.into(),
        })
        .await
        .expect("print")
        .into_inner();
    let mut printed = Printed {
        bytes: Vec::new(),
        progress: Vec::new(),
    };
    while let Some(message) = stream.next().await {
        match message.expect("print stream").item.expect("item") {
            pb::print_badges_response::Item::PdfChunk(bytes) => printed.bytes.extend(bytes),
            pb::print_badges_response::Item::Progress(p) => {
                printed.progress.push((p.done, p.total))
            }
        }
    }
    printed
}

#[tokio::test]
async fn a_delegation_prints_on_a4_sheets_with_progress_issuing_missing_badges() {
    let app = TestApp::start().await;
    let fixture = app.event("PRINT").await;
    let delegation = app.delegation(&fixture, "KZ", &[("DELEGATE", 100)]).await;
    let mut ids = Vec::new();
    for i in 0..45 {
        let mut input = person(&format!("Member{i:02}"), "Qazaqov");
        input.country = "KZ".to_owned();
        input.category_code = "DELEGATE".to_owned();
        input.delegation_id = delegation.id.clone();
        ids.push(app.register(&fixture, input).await.id);
    }
    // One member already has a badge: it is printed as it is, not reissued.
    let before = app.issue(&ids[7], pb::BadgeLayout::A6).await.badge.unwrap();

    let printed = print_selection(
        &app,
        &fixture,
        pb::BadgeLayout::A4SheetA6,
        pb::print_badges_request::Selection::DelegationId(delegation.id.clone()),
    )
    .await;
    let file = PdfFile::new(&printed.bytes);
    assert_eq!(file.pages(), 12, "45 badges, 4 per sheet");
    assert_eq!(printed.progress.last(), Some(&(45, 45)));
    assert!(
        printed.progress.windows(2).all(|w| w[0].0 < w[1].0),
        "{:?}",
        printed.progress
    );
    assert!(
        printed.bytes.len() <= 45 * 10 * 1024,
        "{} bytes for 45 badges",
        printed.bytes.len()
    );

    let first_sheet = file.qr_codes(1);
    assert_eq!(first_sheet.len(), 4, "{first_sheet:?}");
    let after = app
        .badges()
        .get_badge(pb::GetBadgeRequest {
            key: Some(pb::get_badge_request::Key::ParticipantId(ids[7].clone())),
        })
        .await
        .unwrap()
        .into_inner()
        .badge
        .unwrap();
    assert_eq!(
        after.id, before.id,
        "an existing badge is reprinted, not reissued"
    );
    for id in &ids {
        let badge = app
            .badges()
            .get_badge(pb::GetBadgeRequest {
                key: Some(pb::get_badge_request::Key::ParticipantId(id.clone())),
            })
            .await
            .unwrap()
            .into_inner()
            .badge
            .unwrap();
        assert!(!badge.revoked);
    }
}

#[tokio::test]
async fn a_reprint_revokes_the_previous_badge() {
    let app = TestApp::start().await;
    let fixture = app.event("REPRINT").await;
    let p = app.register(&fixture, person("Bekzod", "Rahimov")).await;
    let first = app.issue(&p.id, pb::BadgeLayout::A6).await.badge.unwrap();
    let second = app.issue(&p.id, pb::BadgeLayout::A6).await.badge.unwrap();
    assert_eq!(second.version, 2);
    assert_ne!(second.id, first.id);
    assert_ne!(second.qr_text, first.qr_text);
    assert_eq!(
        first.number.split('-').next(),
        second.number.split('-').next(),
        "same serial"
    );

    let old = app
        .badges()
        .get_badge(pb::GetBadgeRequest {
            key: Some(pb::get_badge_request::Key::BadgeId(first.id.clone())),
        })
        .await
        .unwrap()
        .into_inner()
        .badge
        .unwrap();
    assert!(old.revoked);
    assert_eq!(old.revocation_reason(), pb::RevocationReason::Reprinted);

    let rules = bundle(&app, &fixture).await;
    let verdict = expopass::domain::offline::decide(&rules, &first.qr_text, None, during_event());
    assert_eq!(verdict.deny.map(|d| d.as_str()), Some("REVOKED"));
    assert!(
        expopass::domain::offline::decide(&rules, &second.qr_text, None, during_event()).allowed()
    );
}

#[tokio::test]
async fn staff_revoke_a_badge_with_a_note() {
    let app = TestApp::start().await;
    let fixture = app.event("REVOKE").await;
    let p = app.register(&fixture, person("Dilnoza", "Karimova")).await;
    let badge = app.issue(&p.id, pb::BadgeLayout::A6).await.badge.unwrap();

    let err = app
        .badges()
        .revoke_badge(pb::RevokeBadgeRequest {
            badge_id: badge.id.clone(),
            note: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    assert_eq!(violated_fields(&err), ["note"]);

    let err = app
        .badges()
        .revoke_badge(pb::RevokeBadgeRequest {
            badge_id: uuid::Uuid::now_v7().to_string(),
            note: "lost".to_owned(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    assert_eq!(reason(&err), "BADGE_NOT_FOUND");

    let revoked = app
        .badges()
        .revoke_badge(pb::RevokeBadgeRequest {
            badge_id: badge.id.clone(),
            note: "reported lost at gate 3".to_owned(),
        })
        .await
        .unwrap()
        .into_inner()
        .badge
        .unwrap();
    assert!(revoked.revoked);
    assert_eq!(revoked.revocation_reason(), pb::RevocationReason::Staff);
    assert_eq!(revoked.revocation_note, "reported lost at gate 3");

    let rules = bundle(&app, &fixture).await;
    let verdict = expopass::domain::offline::decide(&rules, &badge.qr_text, None, during_event());
    assert_eq!(verdict.deny.map(|d| d.as_str()), Some("REVOKED"));
}

#[tokio::test]
async fn a_cancelled_participant_gets_no_badge_and_loses_the_one_held() {
    let app = TestApp::start().await;
    let fixture = app.event("CANCEL").await;
    let p = app.register(&fixture, person("Jasur", "Tursunov")).await;
    let badge = app.issue(&p.id, pb::BadgeLayout::A6).await.badge.unwrap();

    app.desk()
        .cancel_participant(pb::CancelParticipantRequest {
            id: p.id.clone(),
            reason: "did not travel".to_owned(),
        })
        .await
        .unwrap();
    let after = app
        .badges()
        .get_badge(pb::GetBadgeRequest {
            key: Some(pb::get_badge_request::Key::BadgeId(badge.id.clone())),
        })
        .await
        .unwrap()
        .into_inner()
        .badge
        .unwrap();
    assert!(after.revoked);
    assert_eq!(after.revocation_reason(), pb::RevocationReason::Cancelled);

    let err = app
        .badges()
        .issue_badge(pb::IssueBadgeRequest {
            participant_id: p.id.clone(),
            layout: 0,
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition);
    assert_eq!(reason(&err), "PARTICIPANT_CANCELLED");
    // Nothing was half-written: still one badge, revoked.
    let latest = app
        .badges()
        .get_badge(pb::GetBadgeRequest {
            key: Some(pb::get_badge_request::Key::ParticipantId(p.id.clone())),
        })
        .await
        .unwrap()
        .into_inner()
        .badge
        .unwrap();
    assert_eq!(latest.id, badge.id);
}

#[tokio::test]
async fn bad_badge_requests_get_clear_statuses() {
    let app = TestApp::start().await;
    let fixture = app.event("BADREQ").await;
    let err = app
        .badges()
        .issue_badge(pb::IssueBadgeRequest {
            participant_id: "not-a-uuid".to_owned(),
            layout: 0,
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    assert_eq!(violated_fields(&err), ["participant_id"]);

    let err = app
        .badges()
        .issue_badge(pb::IssueBadgeRequest {
            participant_id: uuid::Uuid::now_v7().to_string(),
            layout: 0,
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);

    let err = app
        .badges()
        .issue_badge(pb::IssueBadgeRequest {
            participant_id: uuid::Uuid::now_v7().to_string(),
            layout: 99,
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    assert_eq!(violated_fields(&err), ["layout"]);

    let err = app
        .badges()
        .print_badges(pb::PrintBadgesRequest {
            event_id: fixture.event_id.clone(),
            selection: Some(pb::print_badges_request::Selection::CategoryCode(
                "PRESS".to_owned(),
            )),
            layout: 0,
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition);
    assert_eq!(reason(&err), "NOTHING_TO_PRINT");

    let err = app
        .badges_as(Some(Role::Gate))
        .get_badge(pb::GetBadgeRequest {
            key: Some(pb::get_badge_request::Key::BadgeId(
                uuid::Uuid::now_v7().to_string(),
            )),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
}

#[tokio::test]
async fn rotated_keys_verify_until_retired_and_verify_runs_offline() {
    let app = TestApp::start().await;
    let fixture = app.event("KEYS").await;
    let a = app.register(&fixture, person("Anvar", "Saidov")).await;
    let b = app.register(&fixture, person("Botir", "Saidov")).await;
    let old = app.issue(&a.id, pb::BadgeLayout::A6).await.badge.unwrap();
    let new_key = app.services.rotate_key(None, "KEYS").await.unwrap();
    let new = app.issue(&b.id, pb::BadgeLayout::A6).await.badge.unwrap();
    let old_token = ParsedToken::parse(&old.qr_text).unwrap();
    let new_token = ParsedToken::parse(&new.qr_text).unwrap();
    assert_eq!(new_token.claims.key_id, new_key.key_id);
    assert_ne!(old_token.claims.key_id, new_key.key_id);

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("KEYS.bundle");
    let write_bundle = async || {
        let id = expopass::ids::EventId(uuid::Uuid::parse_str(&fixture.event_id).unwrap());
        std::fs::write(
            &path,
            prost::Message::encode_to_vec(&app.services.offline_bundle(id).await.unwrap()),
        )
        .unwrap();
    };
    let verify = |qr: &str| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_expopass"))
            .args(["verify", "--bundle"])
            .arg(&path)
            .args(["--zone", "HALL-A", "--at", "2024-04-22T09:00:00+05:00", qr])
            .output()
            .unwrap();
        (out.status.code(), String::from_utf8(out.stdout).unwrap())
    };
    write_bundle().await;
    let (code, out) = verify(&old.qr_text);
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.starts_with("ALLOW") && out.contains(&old.number),
        "{out}"
    );
    assert_eq!(verify(&new.qr_text).0, Some(0));

    let retired = app.services.retire_keys(None, "KEYS", None).await.unwrap();
    assert_eq!(retired.len(), 1);
    assert_eq!(retired[0].key_id, old_token.claims.key_id);
    let err = app
        .services
        .retire_keys(None, "KEYS", Some(new_key.key_id))
        .await
        .unwrap_err();
    assert_eq!(err.reason.as_str(), "KEY_ACTIVE");

    write_bundle().await;
    let (code, out) = verify(&old.qr_text);
    assert_eq!(code, Some(3), "{out}");
    assert!(out.starts_with("DENY UNKNOWN_KEY"), "{out}");
    assert_eq!(verify(&new.qr_text).0, Some(0));
    let (code, out) = verify("EP1:NOT-A-BADGE");
    assert_eq!(code, Some(3));
    assert!(out.starts_with("DENY MALFORMED"), "{out}");
    // A forged copy: one letter of the signature changed.
    let mut forged = new.qr_text.clone();
    let last = forged.pop().unwrap();
    forged.push(if last == 'A' { 'B' } else { 'A' });
    let (_, out) = verify(&forged);
    assert!(
        out.starts_with("DENY BAD_SIGNATURE") || out.starts_with("DENY MALFORMED"),
        "{out}"
    );
}

/// A desk finds a badge by the number printed on it (a lost or damaged
/// badge) and by the code a hand scanner types; a forged code finds
/// nothing.
#[tokio::test]
async fn a_desk_finds_a_badge_by_its_number_or_its_scanned_code() {
    let app = TestApp::start().await;
    let fixture = app.event("FIND").await;
    let p = app.register(&fixture, person("Dilnoza", "Rahimova")).await;
    let first = app.issue(&p.id, pb::BadgeLayout::A6).await.badge.unwrap();
    let second = app.issue(&p.id, pb::BadgeLayout::A6).await.badge.unwrap();
    let get = |key: pb::get_badge_request::Key| {
        let mut badges = app.badges();
        async move {
            badges
                .get_badge(pb::GetBadgeRequest { key: Some(key) })
                .await
                .map(|r| r.into_inner().badge.unwrap())
        }
    };
    use pb::get_badge_request::Key;
    let by_number = get(Key::Number(first.number.clone())).await.unwrap();
    assert_eq!((by_number.id, by_number.version), (first.id.clone(), 1));
    let serial = first
        .number
        .split('-')
        .next()
        .unwrap()
        .trim_start_matches('0');
    let newest = get(Key::Number(format!(" {serial} "))).await.unwrap();
    assert_eq!(newest.id, second.id);
    assert_eq!(newest.participant_id, p.id);
    let scanned = get(Key::QrText(format!("{}\n", second.qr_text)))
        .await
        .unwrap();
    assert_eq!(scanned.id, second.id);
    let mut bytes = base45::decode(&second.qr_text[4..]).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    let forged = get(Key::QrText(format!("EP1:{}", base45::encode(&bytes))))
        .await
        .unwrap_err();
    assert_eq!(forged.code(), Code::NotFound);
    assert_eq!(reason(&forged), "BADGE_NOT_FOUND");
    let nowhere = get(Key::Number("9999999".to_owned())).await.unwrap_err();
    assert_eq!(nowhere.code(), Code::NotFound);
    let junk = get(Key::Number("12-ab".to_owned())).await.unwrap_err();
    assert_eq!(junk.code(), Code::InvalidArgument);
    assert_eq!(violated_fields(&junk), ["number"]);
}
