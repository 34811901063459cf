//! The gate page in headless Chromium: enrolment, a printed badge at the
//! camera, a hand scanner, verdicts.

use std::{process::Command, time::Duration};

use expopass::{domain::Role, proto::pb};

use super::browser::{Browser, y4m};
use crate::support::{
    TestApp,
    builders::person,
    serve::{ServeProcess, free_port},
};

/// An event running today, and a visitor's badge.
struct Running {
    event_id: String,
    /// HALL-A-N, the gate enrolment codes name.
    gate_id: String,
    /// HALL-A-S, another gate into the same hall.
    other_gate_id: String,
    /// The visitor's printed badge, with their photo.
    pdf: Vec<u8>,
    qr: String,
}

/// A face-like picture, 3:4: a head and shoulders on a pale ground.
fn portrait() -> Vec<u8> {
    use image::ImageEncoder as _;
    let img = image::RgbImage::from_fn(300, 400, |x, y| {
        let (x, y) = (f64::from(x), f64::from(y));
        let head = ((x - 150.0) / 70.0).powi(2) + ((y - 150.0) / 90.0).powi(2) <= 1.0;
        let body = ((x - 150.0) / 140.0).powi(2) + ((y - 400.0) / 130.0).powi(2) <= 1.0;
        if head {
            image::Rgb([214, 170, 140])
        } else if body {
            image::Rgb([40, 70, 120])
        } else {
            image::Rgb([220, 228, 236])
        }
    });
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90)
        .write_image(img.as_raw(), 300, 400, image::ExtendedColorType::Rgb8)
        .unwrap();
    out
}

/// An event running today (Tashkent time) showing names and photos at its
/// two gates into HALL-A, and a visitor's printed badge.
async fn running_event(app: &TestApp, code: &str) -> Running {
    let today = chrono::Utc::now().date_naive();
    let event = app
        .events()
        .create_event(pb::CreateEventRequest {
            code: code.to_owned(),
            name: format!("Fair {code}"),
            venue: "Uzexpocentre".to_owned(),
            time_zone: "Asia/Tashkent".to_owned(),
            first_day: (today - chrono::Days::new(1)).to_string(),
            last_day: (today + chrono::Days::new(1)).to_string(),
            names_at_gates: true,
            photos_at_gates: true,
        })
        .await
        .unwrap()
        .into_inner()
        .event
        .unwrap();
    app.events()
        .upsert_zone(pb::UpsertZoneRequest {
            event_id: event.id.clone(),
            code: "HALL-A".to_owned(),
            name: "Hall A".to_owned(),
            capacity: 100,
            parent_code: String::new(),
            ..Default::default()
        })
        .await
        .unwrap();
    app.events()
        .upsert_category(pb::UpsertCategoryRequest {
            event_id: event.id.clone(),
            code: "VISITOR".to_owned(),
            name: "Visitor".to_owned(),
            color: "#1E88E5".to_owned(),
            zone_codes: vec!["HALL-A".to_owned()],
            valid_days: vec![],
            name_ru: "Посетитель".to_owned(),
            name_uz: "Tashrif buyuruvchi".to_owned(),
            ..Default::default()
        })
        .await
        .unwrap();
    let mut gates = Vec::new();
    for (code, name) in [("HALL-A-N", "Hall A north"), ("HALL-A-S", "Hall A south")] {
        let gate = app
            .events()
            .upsert_gate(pb::UpsertGateRequest {
                event_id: event.id.clone(),
                code: code.to_owned(),
                name: name.to_owned(),
                zone_code: "HALL-A".to_owned(),
            })
            .await
            .unwrap()
            .into_inner()
            .gate
            .unwrap();
        gates.push(gate.id);
    }
    let [gate_id, other_gate_id] = <[String; 2]>::try_from(gates).unwrap();
    let fixture = crate::support::builders::Fixture {
        event_id: event.id.clone(),
    };
    let p = app.register(&fixture, person("Jasur", "Tursunov")).await;
    app.desk()
        .set_participant_photo(pb::SetParticipantPhotoRequest {
            participant_id: p.id.clone(),
            image: portrait(),
        })
        .await
        .unwrap();
    let issued = app
        .badges()
        .issue_badge(pb::IssueBadgeRequest {
            participant_id: p.id,
            layout: pb::BadgeLayout::A6.into(),
        })
        .await
        .unwrap()
        .into_inner();
    Running {
        event_id: event.id,
        gate_id,
        other_gate_id,
        pdf: issued.pdf,
        qr: issued.badge.unwrap().qr_text,
    }
}

/// The printed badge as a camera would film it: rasterised by pdftoppm,
/// the lower half (the QR) in a 640 x 480 frame.
fn film_of_badge(pdf: &[u8], dir: &std::path::Path) -> std::path::PathBuf {
    std::fs::write(dir.join("badge.pdf"), pdf).unwrap();
    let status = Command::new("pdftoppm")
        .args(["-r", "165", "-png", "-singlefile", "badge.pdf", "badge"])
        .current_dir(dir)
        .status()
        .expect("pdftoppm (poppler-utils)");
    assert!(status.success());
    let page = image::open(dir.join("badge.png")).unwrap().to_rgb8();
    let mut frame = image::RgbImage::from_pixel(640, 480, image::Rgb([255, 255, 255]));
    let x = (i64::from(page.width()) - 640) / 2;
    let y = i64::from(page.height()) - 480 - i64::from(page.height()) / 12;
    image::imageops::overlay(&mut frame, &page, -x, -y);
    let clip = dir.join("badge.y4m");
    y4m(&frame, &clip);
    clip
}

pub(super) async fn verdict(b: &Browser, decision: &str, reason: &str) {
    b.until(
        &format!("a verdict {decision} {reason}"),
        &format!(
            "(() => {{ const v = document.querySelector('.verdict'); return v && v.dataset.decision === '{decision}' && v.dataset.reason === '{reason}'; }})()"
        ),
    )
    .await;
}

#[tokio::test]
async fn a_gate_enrols_and_decides_from_a_printed_badge_and_a_hand_scanner() {
    let app = TestApp::start().await;
    let Running {
        gate_id, pdf, qr, ..
    } = running_event(&app, "GATEP").await;
    // The badge names the category in English, then in Russian and Uzbek.
    let printed = crate::support::pdf::PdfFile::new(&pdf).text();
    assert!(
        printed.contains("VISITOR") && printed.contains("ПОСЕТИТЕЛЬ · TASHRIF BUYURUVCHI"),
        "{printed}"
    );
    let code = gate_code(&app, "GATEP").await;
    let dir = tempfile::tempdir().unwrap();
    let clip = film_of_badge(&pdf, dir.path());
    let b = Browser::start_filming(1280, 800, Some(&clip)).await;
    // A venue with a slow network gives its gates more time to answer.
    b.goto(&format!("http://{}/gate/?deadline=1200", app.addr))
        .await;
    b.until_text("Set up this gate").await;
    let kept = b
        .eval("return localStorage.getItem('expopass.gate.deadline');")
        .await;
    assert_eq!(kept.as_str(), Some("1200"));
    b.type_into("#gate-code", &code).await;
    b.press("Enrol").await;
    // The code names one gate: the device is that gate at once.
    b.until_text("Hall A north").await;
    b.until_text("Ready: show a badge").await;
    let stored = b
        .eval("return await new Promise(r => { const q = indexedDB.open('keyval-store'); q.onsuccess = () => { const g = q.result.transaction('keyval').objectStore('keyval').get('device'); g.onsuccess = () => r(g.result); }; });")
        .await;
    assert_eq!(stored["gateId"].as_str(), Some(gate_id.as_str()));
    assert!(
        stored["token"]
            .as_str()
            .is_some_and(|t| t.starts_with("xp_"))
    );
    b.screenshot("gate-ready").await;

    // The printed badge in front of the camera: in, then (2 s later, the
    // badge still in view) already inside.
    b.press("Start the camera").await;
    verdict(&b, "ALLOW", "").await;
    let shown = b.text(".verdict").await;
    assert!(
        shown.contains("VISITOR") && shown.contains("Jasur Tursunov"),
        "{shown}"
    );
    // The event shows photos at gates: the holder's, decoded.
    b.until(
        "the holder's photo",
        "document.querySelector('.verdict img.photo')?.naturalWidth > 0",
    )
    .await;
    b.screenshot("gate-allow").await;
    verdict(&b, "DENY", "ALREADY_INSIDE").await;
    assert!(b.text(".verdict").await.contains("Already inside"));
    let photo = b
        .eval("return !!document.querySelector('.verdict img.photo');")
        .await;
    assert_eq!(photo.as_bool(), Some(false), "no photo on a denial");
    b.screenshot("gate-deny").await;
    // The verdict covers the screen; the camera's switch is under it.
    b.eval("document.querySelector('.controls button').click(); return true;")
        .await;
    b.until("the camera stopped", "!document.querySelector('video')")
        .await;
    b.click(".verdict").await;
    b.until(
        "the verdict dismissed",
        "!document.querySelector('.verdict')",
    )
    .await;

    // A hand scanner types the code and Enter: out, then the altered code.
    b.press("Out").await;
    b.find("body")
        .await
        .send_keys(&format!("{qr}{}", fantoccini::key::Key::Enter))
        .await
        .unwrap();
    verdict(&b, "ALLOW", "").await;
    // An exit is told from an admission at a glance.
    b.until(
        "the exit's own screen",
        "document.querySelector('.verdict').classList.contains('exit')",
    )
    .await;
    assert!(b.text(".verdict h1").await.contains("Exit recorded"));
    b.screenshot("gate-exit").await;
    let mut bytes = base45::decode(&qr[4..]).unwrap();
    bytes[20] ^= 0x01;
    let altered = format!("EP1:{}", base45::encode(&bytes));
    b.click(".verdict").await;
    b.press("In").await;
    b.find("body")
        .await
        .send_keys(&format!("{altered}{}", fantoccini::key::Key::Enter))
        .await
        .unwrap();
    verdict(&b, "DENY", "BAD_SIGNATURE").await;
    assert!(b.text(".verdict").await.contains("Forged or altered"));

    // The steward's language: Russian, then Uzbek.
    for (lang, stop, reason, way, category) in [
        (
            "ru",
            "Стоп",
            "Поддельный или изменённый бейдж",
            "first-child",
            "Посетитель",
        ),
        (
            "uz",
            "Toʻxtang",
            "Soxta yoki oʻzgartirilgan beyj",
            "last-child",
            "Tashrif buyuruvchi",
        ),
    ] {
        b.click(".verdict").await;
        b.find("select.lang")
            .await
            .select_by_value(lang)
            .await
            .unwrap();
        bytes[20] ^= 0x02;
        let altered = format!("EP1:{}", base45::encode(&bytes));
        b.find("body")
            .await
            .send_keys(&format!("{altered}{}", fantoccini::key::Key::Enter))
            .await
            .unwrap();
        verdict(&b, "DENY", "BAD_SIGNATURE").await;
        let shown = b.text(".verdict").await;
        assert!(
            shown.contains(stop) && shown.contains(reason),
            "{lang}: {shown}"
        );
        if lang == "uz" {
            b.screenshot("gate-deny-uz").await;
        }
        // The category by its name in the steward's language (in, then out).
        b.click(".verdict").await;
        b.click(&format!(".direction button:{way}")).await;
        wedge(&b, &qr).await;
        verdict(&b, "ALLOW", "").await;
        assert_eq!(b.text(".verdict .category").await, category, "{lang}");
    }
    b.screenshot("gate-exit-uz").await;

    let timings = b
        .eval("return performance.getEntriesByName('expopass:verdict').map(e => e.duration);")
        .await;
    println!("QR to verdict, online (ms): {timings}");
    b.stop().await;
}

#[tokio::test]
async fn a_gate_enrols_from_the_codes_qr_at_its_camera() {
    let app = TestApp::start().await;
    running_event(&app, "GATEQR").await;
    let code = gate_code(&app, "GATEQR").await;
    // The QR `token enrol` prints (and writes with --png), on a screen
    // held up to the device's camera.
    let dir = tempfile::tempdir().unwrap();
    let png = dir.path().join("enrol.png");
    expopass::console::EnrolmentQr::new(&code)
        .unwrap()
        .write_png(&png)
        .unwrap();
    let qr = image::open(&png).unwrap().to_rgb8();
    let mut frame = image::RgbImage::from_pixel(640, 480, image::Rgb([255, 255, 255]));
    let (x, y) = (
        (640 - i64::from(qr.width())) / 2,
        (480 - i64::from(qr.height())) / 2,
    );
    image::imageops::overlay(&mut frame, &qr, x, y);
    let clip = dir.path().join("enrol.y4m");
    y4m(&frame, &clip);
    let b = Browser::start_filming(1280, 800, Some(&clip)).await;
    b.goto(&format!("http://{}/gate/", app.addr)).await;
    b.until_text("Set up this gate").await;
    b.press("Scan the code's QR with the camera").await;
    b.until_text("Ready: show a badge").await;
    assert!(b.text("header").await.contains("Hall A north"));
    // The code is spent: a second device cannot use it.
    let again = app.channel();
    let err = expopass::proto::pb::auth_service_client::AuthServiceClient::new(again)
        .enroll(pb::EnrollRequest {
            code,
            device_name: String::new(),
            roles: vec![],
        })
        .await
        .unwrap_err();
    assert_eq!(crate::support::reason(&err), "ENROLMENT_CODE_USED");
    b.stop().await;
}

async fn gate_code(app: &TestApp, event: &str) -> String {
    app.services
        .create_enrolment(
            None,
            expopass::domain::enrolment::NewEnrolment {
                token: expopass::domain::NewToken {
                    name: "Hall A lane 2".to_owned(),
                    role: expopass::domain::Role::Gate,
                    event_code: Some(event.to_owned()),
                    gate_codes: vec!["HALL-A-N".to_owned()],
                    expires_at: None,
                },
                ttl: Duration::from_secs(600),
            }
            .check()
            .unwrap(),
        )
        .await
        .unwrap()
        .0
}

/// A hand scanner's read of `text`, the previous verdict dismissed first.
pub(super) async fn wedge(b: &Browser, text: &str) {
    let shown = b.eval("return !!document.querySelector('.verdict');").await;
    if shown.as_bool() == Some(true) {
        b.click(".verdict").await;
        b.until(
            "the verdict dismissed",
            "!document.querySelector('.verdict')",
        )
        .await;
    }
    b.find("body")
        .await
        .send_keys(&format!("{text}{}", fantoccini::key::Key::Enter))
        .await
        .unwrap();
}

async fn offline_verdict(b: &Browser, decision: &str, reason: &str, offline: bool) {
    verdict(b, decision, reason).await;
    let got = b
        .eval("return document.querySelector('.verdict').dataset.offline;")
        .await;
    assert_eq!(
        got.as_str(),
        Some(if offline { "true" } else { "false" }),
        "{decision} {reason}"
    );
}

#[tokio::test]
async fn a_gate_decides_offline_and_uploads_its_journal_exactly_once() {
    let app = TestApp::start().await;
    let Running {
        event_id,
        gate_id,
        other_gate_id,
        qr,
        ..
    } = running_event(&app, "GATEOFF").await;
    let fixture = crate::support::builders::Fixture {
        event_id: event_id.clone(),
    };
    let other = app.register(&fixture, person("Kamola", "Nazarova")).await;
    let revoked = app
        .badges()
        .issue_badge(pb::IssueBadgeRequest {
            participant_id: other.id,
            layout: 0,
        })
        .await
        .unwrap()
        .into_inner()
        .badge
        .unwrap();
    let code = gate_code(&app, "GATEOFF").await;
    let port = free_port();
    let mut server = ServeProcess::start_on(&app.db.url, port, &[], &[("RUST_LOG", "info")]);
    let b = Browser::start(1280, 800).await;
    b.goto(&format!("http://127.0.0.1:{port}/gate/")).await;
    b.type_into("#gate-code", &code).await;
    b.press("Enrol").await;
    b.until(
        "the bundle held",
        "document.querySelector('.state')?.dataset.bundle",
    )
    .await;
    b.until(
        "the page works offline",
        "navigator.serviceWorker.controller",
    )
    .await;
    let first_bundle = b
        .eval("return document.querySelector('.state').dataset.bundle;")
        .await;

    // A revocation made through the API reaches the open page (WatchGate),
    // and the next scan of that badge is REVOKED.
    let revoked_at = std::time::Instant::now();
    app.badges()
        .revoke_badge(pb::RevokeBadgeRequest {
            badge_id: revoked.id.clone(),
            note: "lost".to_owned(),
        })
        .await
        .unwrap();
    b.until(
        "the revocation pushed",
        &format!("document.querySelector('.state').dataset.bundle !== {first_bundle}"),
    )
    .await;
    println!(
        "revocation to the gate's bundle: {:?}",
        revoked_at.elapsed()
    );
    wedge(&b, &revoked.qr_text).await;
    offline_verdict(&b, "DENY", "REVOKED", false).await;

    // The server goes away: scans go on from the bundle, journalled.
    server.kill();
    tokio::time::sleep(Duration::from_millis(2100)).await;
    // Meanwhile the same visitor enters the hall at its other gate, which
    // is still online: the two entries will conflict.
    let south = app
        .gates_as(Some(Role::Admin))
        .scan(pb::ScanRequest {
            gate_id: other_gate_id,
            qr_text: qr.clone(),
            direction: pb::Direction::In.into(),
            nonce: "south-1".to_owned(),
            scanned_at: None,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(south.decision(), pb::Decision::Allow);
    wedge(&b, &qr).await;
    offline_verdict(&b, "ALLOW", "", true).await;
    let photo = b
        .eval("return !!document.querySelector('.verdict img.photo');")
        .await;
    assert_eq!(photo.as_bool(), Some(false), "no photo offline");
    b.until_text("Offline.").await;
    b.screenshot("gate-offline").await;
    wedge(&b, &revoked.qr_text).await;
    offline_verdict(&b, "DENY", "REVOKED", true).await;
    let mut bytes = base45::decode(&qr[4..]).unwrap();
    bytes[40] ^= 0x10;
    wedge(&b, &format!("EP1:{}", base45::encode(&bytes))).await;
    offline_verdict(&b, "DENY", "BAD_SIGNATURE", true).await;
    b.until(
        "three scans journalled",
        "document.querySelector('.state').dataset.pending === '3'",
    )
    .await;
    b.click(".verdict").await;
    b.until(
        "the verdict dismissed",
        "!document.querySelector('.verdict')",
    )
    .await;
    b.screenshot("gate-offline-banner").await;

    // (Hand-scanner reads, from the Enter to the verdict: the first online,
    // the others offline.)
    let timings = b
        .eval("return performance.getEntriesByName('expopass:verdict').map(e => e.duration);")
        .await;
    println!("QR to verdict, online then offline (ms): {timings}");

    // The tab closes and opens again, still without a server.
    b.goto("about:blank").await;
    b.goto(&format!("http://127.0.0.1:{port}/gate/")).await;
    b.until_text("Offline.").await;
    b.until(
        "the journal kept",
        "document.querySelector('.state')?.dataset.pending === '3'",
    )
    .await;

    // The server is back: the journal goes up once, and empties.
    let _server = ServeProcess::start_on(&app.db.url, port, &[], &[("RUST_LOG", "info")]);
    b.until(
        "the journal uploaded",
        "document.querySelector('.state').dataset.pending === '0'",
    )
    .await;
    b.until(
        "online again",
        "document.querySelector('.state').dataset.online === 'true'",
    )
    .await;
    // The server found the double entry; the page says so.
    b.until_text("Entered the same zone at two gates without leaving it")
        .await;
    b.screenshot("gate-conflict").await;
    // A reload after the upload sends nothing twice.
    b.goto(&format!("http://127.0.0.1:{port}/gate/")).await;
    b.until(
        "online",
        "document.querySelector('.state')?.dataset.online === 'true'",
    )
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;

    // Checked through the API: the operations board counts the gate's
    // offline scans stored, and lists the conflict once.
    let board = app
        .gates_as(Some(Role::Admin))
        .get_operations(pb::GetOperationsRequest { event_id })
        .await
        .unwrap()
        .into_inner();
    let north = board.gates.iter().find(|g| g.gate_id == gate_id).unwrap();
    assert_eq!(north.offline_scans, 3, "each offline scan stored once");
    assert_eq!(north.pending_offline, 0);
    let kinds: Vec<_> = board.conflicts.iter().map(|c| c.kind()).collect();
    assert_eq!(kinds, [pb::ConflictKind::EnteredTwice]);
    assert_eq!(board.conflicts[0].gate_codes, ["HALL-A-S", "HALL-A-N"]);

    // The device's token is revoked: the server answers but refuses it.
    // The page keeps deciding from its bundle, journals, and says why.
    let device = app
        .services
        .list_tokens(None, Some("GATEOFF"))
        .await
        .unwrap()
        .into_iter()
        .find(|t| t.name.starts_with("Hall A lane 2"))
        .unwrap();
    app.services.revoke_token(None, device.id).await.unwrap();
    // Refused on every instance within a second.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    wedge(&b, &qr).await;
    offline_verdict(&b, "ALLOW", "", true).await;
    b.until_text("The server refuses this device").await;
    b.until(
        "the scan journalled",
        "document.querySelector('.state').dataset.pending === '1'",
    )
    .await;
    b.stop().await;
}

#[tokio::test]
async fn the_operations_board_shows_entries_denials_gate_devices_and_conflicts() {
    let app = TestApp::start().await;
    let Running {
        event_id,
        gate_id,
        other_gate_id,
        qr,
        ..
    } = running_event(&app, "OPS").await;
    let b = Browser::start(1280, 800).await;
    b.goto(&format!("http://{}/ops/", app.addr)).await;
    b.type_into("#ops-token", &app.admin_token).await;
    b.press("Sign in").await;
    b.until_text("Fair OPS").await;
    b.until(
        "the zone listed",
        "document.querySelector('[data-zone=\"HALL-A\"]')?.dataset.inside === '0'",
    )
    .await;
    // Occupancy comes live from WatchOccupancy.
    b.until(
        "the occupancy stream open",
        "document.querySelector('ul.zones')?.dataset.live === 'true'",
    )
    .await;

    // A gate device reports, then lets someone in and refuses an altered
    // badge.
    app.gates()
        .report_gate_status(pb::ReportGateStatusRequest {
            gate_id: gate_id.clone(),
            bundle_version: 41,
            pending_offline: 2,
        })
        .await
        .unwrap();
    let scan = |qr: String, nonce: &str| pb::ScanRequest {
        gate_id: gate_id.clone(),
        qr_text: qr,
        direction: pb::Direction::In.into(),
        nonce: nonce.to_owned(),
        scanned_at: None,
    };
    let entered = std::time::Instant::now();
    let allowed = app
        .gates()
        .scan(scan(qr.clone(), "ops-1"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(allowed.decision(), pb::Decision::Allow);
    b.until(
        "the entry on the board",
        "document.querySelector('[data-zone=\"HALL-A\"]').dataset.inside === '1'",
    )
    .await;
    println!("entry to the board: {:?}", entered.elapsed());
    let mut bytes = base45::decode(&qr[4..]).unwrap();
    bytes[50] ^= 0x04;
    app.gates()
        .scan(scan(format!("EP1:{}", base45::encode(&bytes)), "ops-2"))
        .await
        .unwrap();
    b.until_text("Forged or altered badge").await;
    // Denials of the last hour, counted by reason.
    b.until(
        "the denials by reason",
        "document.querySelector('ul.reasons li[data-reason=\"BAD_SIGNATURE\"] strong')?.textContent === '1'",
    )
    .await;
    let board = app
        .gates_as(Some(Role::Admin))
        .get_operations(pb::GetOperationsRequest {
            event_id: event_id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    let by_reason: Vec<_> = board
        .denials_by_reason
        .iter()
        .map(|d| (d.reason(), d.count))
        .collect();
    assert_eq!(by_reason, [(pb::DenyReason::BadSignature, 1)]);
    let gate_row = b.text("[data-gate='HALL-A-N']").await;
    assert!(
        gate_row.contains("online") && gate_row.contains("v41"),
        "{gate_row}"
    );
    b.until_text("2 scans in the last hour").await;

    // The same badge comes in through the other gate, decided offline and
    // uploaded: the board lists the conflict.
    let upload = app
        .gates()
        .upload_offline_scans(tokio_stream::iter([pb::UploadOfflineScansRequest {
            scan: Some(pb::OfflineScan {
                gate_id: other_gate_id,
                nonce: "south-offline-1".to_owned(),
                scanned_at: None,
                qr_text: qr.clone(),
                direction: pb::Direction::In.into(),
                decision: pb::Decision::Allow.into(),
                reason: 0,
            }),
        }]))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(upload.conflicts.len(), 1);
    b.until(
        "the conflict on the board",
        "!!document.querySelector('table.conflicts tr[data-kind=\"ENTERED_TWICE\"]')",
    )
    .await;
    let row = b.text("table.conflicts tbody tr").await;
    assert!(
        row.contains("HALL-A-N + HALL-A-S") && row.contains("two gates"),
        "{row}"
    );
    b.screenshot("ops-board").await;
    // Zones by their names; who is inside, on demand; each badge links to
    // its holder at the desk.
    assert!(b.text("ul.zones").await.contains("Hall A"));
    b.click("[data-zone='HALL-A'] button.zone").await;
    b.until(
        "who is inside",
        "document.querySelector('.inside')?.innerText.includes('Jasur Tursunov')",
    )
    .await;
    let link = b
        .eval("return document.querySelector('.inside a').getAttribute('href');")
        .await;
    let link = link.as_str().unwrap().to_owned();
    assert!(link.starts_with("/desk/#badge="), "{link}");
    b.screenshot("ops-inside").await;
    // The organiser's language.
    b.find("select.lang")
        .await
        .select_by_value("ru")
        .await
        .unwrap();
    b.until_text("Конфликты проходов без связи").await;
    let row = b.text("table.conflicts tbody tr").await;
    assert!(row.contains("Вошёл в одну зону через два входа"), "{row}");
    b.screenshot("ops-board-ru").await;
    b.find("select.lang")
        .await
        .select_by_value("uz")
        .await
        .unwrap();
    b.until_text("Ichkarida").await;
    b.screenshot("ops-board-uz").await;
    b.find("select.lang")
        .await
        .select_by_value("en")
        .await
        .unwrap();

    // The link opens the holder at the desk, once a desk has signed in.
    b.goto(&format!("http://{}{link}", app.addr)).await;
    b.press("Desk token").await;
    b.type_into("#desk-token", &app.desk_token).await;
    b.find("#desk-token")
        .await
        .send_keys(&fantoccini::key::Key::Enter.to_string())
        .await
        .unwrap();
    b.until(
        "the holder opened at the desk",
        "document.querySelector('#detail-name')?.innerText === 'Jasur Tursunov'",
    )
    .await;

    // Gates and desks do not see the board.
    let err = app
        .gates_as(Some(Role::Gate))
        .get_operations(pb::GetOperationsRequest { event_id })
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::PermissionDenied);
    b.stop().await;
}

/// A code with one byte of its signature flipped: `n` makes it one of its own.
fn forged(qr: &str, n: usize) -> String {
    let mut bytes = base45::decode(&qr[4..]).unwrap();
    let at = bytes.len() - 1 - n % 40;
    bytes[at] ^= 0x01;
    format!("EP1:{}", base45::encode(&bytes))
}

/// Types `burst` and Enter into whatever has focus, as a hand scanner does.
async fn burst_into_focus(b: &Browser, burst: &str) {
    b.client
        .active_element()
        .await
        .unwrap()
        .send_keys(&format!("{burst}{}", fantoccini::key::Key::Enter))
        .await
        .unwrap();
}

#[tokio::test]
async fn a_hand_scanner_burst_is_read_whatever_control_has_focus_online_and_offline() {
    let app = TestApp::start().await;
    let Running { event_id, qr, .. } = running_event(&app, "BURST").await;
    let code = gate_code(&app, "BURST").await;
    let port = free_port();
    let mut server = ServeProcess::start_on(&app.db.url, port, &[], &[]);
    let b = Browser::start(1280, 800).await;
    b.goto(&format!("http://127.0.0.1:{port}/gate/")).await;
    b.type_into("#gate-code", &code).await;
    b.press("Enrol").await;
    b.until(
        "the bundle held",
        "document.querySelector('.state')?.dataset.bundle",
    )
    .await;
    let controls = "main.scanner button, main.scanner select, main.scanner input, main.scanner a[href], main.scanner [tabindex]";
    let count = b
        .eval(&format!(
            "return document.querySelectorAll('{controls}').length;"
        ))
        .await
        .as_u64()
        .unwrap();
    assert!(count >= 5, "the page's controls: {count}");
    let mut n = 0;
    for (online, pending) in [(true, false), (false, true)] {
        if !online {
            // The server goes away: the bursts are decided from the bundle.
            server.kill();
            tokio::time::sleep(Duration::from_millis(2100)).await;
        }
        for i in 0..count {
            b.eval(&format!(
                "document.querySelector('.verdict')?.click(); document.querySelectorAll('{controls}')[{i}].focus(); return true;"
            ))
            .await;
            let focused = b
                .eval("return document.activeElement.tagName + ' ' + (document.activeElement.textContent || document.activeElement.value || '').slice(0, 20);")
                .await;
            burst_into_focus(&b, &forged(&qr, n)).await;
            n += 1;
            let shown = b
                .within(
                    3000,
                    "(() => { const v = document.querySelector('.verdict'); return v && v.dataset.reason === 'BAD_SIGNATURE'; })()",
                )
                .await;
            assert!(
                shown,
                "no verdict for a burst into {focused} (online: {online})"
            );
            let offline = b
                .eval("return document.querySelector('.verdict').dataset.offline;")
                .await;
            assert_eq!(
                offline.as_str(),
                Some(if online { "false" } else { "true" })
            );
            // Nothing of the burst reached the control: the language stayed.
            let lang = b.eval("return document.documentElement.lang;").await;
            assert_eq!(lang.as_str(), Some("en"), "after a burst into {focused}");
            if pending {
                let journalled = b
                    .within(
                        2000,
                        &format!(
                            "document.querySelector('.state').dataset.pending === '{}'",
                            i + 1
                        ),
                    )
                    .await;
                assert!(journalled, "the burst into {focused} is not in the journal");
            }
        }
        if online {
            // Each online burst is recorded: the board counts them.
            let mut counted = 0;
            for _ in 0..50 {
                let board = app
                    .gates_as(Some(Role::Admin))
                    .get_operations(pb::GetOperationsRequest {
                        event_id: event_id.clone(),
                    })
                    .await
                    .unwrap()
                    .into_inner();
                counted = board
                    .denials_by_reason
                    .iter()
                    .find(|d| d.reason() == pb::DenyReason::BadSignature)
                    .map_or(0, |d| d.count);
                if u64::from(counted) == count {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            assert_eq!(u64::from(counted), count, "every online burst recorded");
        }
    }
    b.stop().await;
}

/// What overflows on the page: buttons, chips and pickers whose text runs
/// past their border, and a page wider than the window.
const OVERFLOWS: &str = "(() => {
    const bad = [];
    for (const e of document.querySelectorAll('button, .chip, select, .tab, nav a')) {
        const r = e.getBoundingClientRect();
        if (r.width === 0 || r.height === 0) continue;
        if (e.scrollWidth > e.clientWidth + 1) bad.push(e.tagName + ' ' + (e.textContent || '').trim().slice(0, 40) + ' ' + e.scrollWidth + '>' + e.clientWidth);
    }
    if (document.documentElement.scrollWidth > window.innerWidth + 1) bad.push('the page is wider than the window: ' + document.documentElement.scrollWidth);
    return bad;
})()";

async fn no_overflow(b: &Browser, page: &str, lang: &str, size: (u32, u32)) {
    let bad = b.eval(&format!("return {OVERFLOWS};")).await;
    assert_eq!(
        bad,
        serde_json::json!([]),
        "{page} in {lang} at {}x{}",
        size.0,
        size.1
    );
}

async fn set_lang(b: &Browser, lang: &str) {
    b.eval(&format!(
        "localStorage.setItem('expopass.lang', '{lang}'); location.reload(); return true;"
    ))
    .await;
    b.until(
        "the page in its language",
        &format!("document.documentElement.lang === '{lang}'"),
    )
    .await;
}

#[tokio::test]
async fn nothing_overflows_on_any_page_in_any_language_at_two_sizes() {
    let app = TestApp::start().await;
    let running = running_event(&app, "FIT").await;
    let fixture = crate::support::builders::Fixture {
        event_id: running.event_id.clone(),
    };
    let mut long = person("Aleksandra-Mariya", "Konstantinopolskaya-Vasilyeva");
    long.email = "aleksandra@example.ru".to_owned();
    app.register(&fixture, long).await;
    for size in [(1280, 800), (1024, 768)] {
        let b = Browser::start(size.0, size.1).await;
        // The desk, a participant open; then the delegations.
        super::sign_in(&b, &app, &app.desk_token, "Fair FIT").await;
        for lang in ["en", "ru", "uz"] {
            set_lang(&b, lang).await;
            b.find("#search").await;
            b.until(
                "results",
                "document.querySelectorAll('button.row-link').length > 0",
            )
            .await;
            b.click("button.row-link").await;
            b.find("#detail-name").await;
            no_overflow(&b, "the desk", lang, size).await;
            if size.0 == 1280 {
                b.screenshot(&format!("desk-participant-{lang}")).await;
            }
            b.click("nav button:nth-child(2)").await;
            no_overflow(&b, "the delegations", lang, size).await;
            if size.0 == 1280 {
                b.screenshot(&format!("desk-delegations-{lang}")).await;
            }
            b.click("nav button:nth-child(3)").await;
            no_overflow(&b, "the import", lang, size).await;
            b.click("nav button:nth-child(1)").await;
        }
        // The gate, enrolled.
        let code = gate_code(&app, "FIT").await;
        b.goto(&format!("http://{}/gate/", app.addr)).await;
        set_lang(&b, "en").await;
        b.type_into("#gate-code", &code).await;
        b.press("Enrol").await;
        b.find(".direction").await;
        for lang in ["en", "ru", "uz"] {
            set_lang(&b, lang).await;
            b.find(".direction").await;
            no_overflow(&b, "the gate", lang, size).await;
            if size.0 == 1280 {
                b.screenshot(&format!("gate-ready-{lang}")).await;
            }
            wedge(&b, &running.qr).await;
            b.find(".verdict").await;
            no_overflow(&b, "the gate's verdict", lang, size).await;
            if size.0 == 1280 {
                b.screenshot(&format!("gate-verdict-{lang}")).await;
            }
            b.click(".verdict").await;
        }
        // The board.
        b.goto(&format!("http://{}/ops/", app.addr)).await;
        set_lang(&b, "en").await;
        b.type_into("#ops-token", &app.admin_token).await;
        b.press("Sign in").await;
        b.until_text("Fair FIT").await;
        for lang in ["en", "ru", "uz"] {
            set_lang(&b, lang).await;
            b.until_text("Fair FIT").await;
            b.until("the zones", "!!document.querySelector('ul.zones li')")
                .await;
            no_overflow(&b, "the board", lang, size).await;
        }
        // The organiser's console: each of its screens.
        b.goto(&format!("http://{}/admin/", app.addr)).await;
        set_lang(&b, "en").await;
        b.type_into("#admin-token", &app.admin_token).await;
        b.press("Sign in").await;
        b.press_containing("Fair FIT").await;
        for lang in ["en", "ru", "uz"] {
            set_lang(&b, lang).await;
            for tab in 1..=5 {
                b.click(&format!("nav button:nth-child({tab})")).await;
                b.until(
                    "the screen's content",
                    "document.querySelectorAll('main .pane').length > 0 \
                     && !/Loading…|Загрузка…|Yuklanmoqda…/.test(document.body.innerText)",
                )
                .await;
                no_overflow(&b, &format!("the console's screen {tab}"), lang, size).await;
            }
        }
        b.stop().await;
    }
}

#[tokio::test]
async fn a_field_shown_at_gates_appears_with_an_entry_allowed() {
    let app = TestApp::start().await;
    let Running { event_id, .. } = running_event(&app, "GATEFIELD").await;
    let fixture = crate::support::builders::Fixture {
        event_id: event_id.clone(),
    };
    app.events()
        .upsert_field(pb::UpsertFieldRequest {
            event_id: event_id.clone(),
            field: Some(pb::FieldDefinition {
                key: "vip_parking".to_owned(),
                kind: "boolean".to_owned(),
                label: Some(pb::LocalizedText {
                    en: "VIP parking".to_owned(),
                    ru: "VIP-парковка".to_owned(),
                    uz: "VIP avtoturargoh".to_owned(),
                }),
                placement: Some(pb::FieldPlacement {
                    gate: true,
                    export: true,
                    ..Default::default()
                }),
                ..Default::default()
            }),
        })
        .await
        .unwrap();
    let mut guest = person("Bekzod", "Usmonov");
    guest.answers = std::collections::HashMap::from([(
        "vip_parking".to_owned(),
        pb::AnswerValue {
            value: Some(pb::answer_value::Value::Boolean(true)),
            on_badge: false,
        },
    )]);
    let guest = app.register(&fixture, guest).await;
    let badge = app
        .badges()
        .issue_badge(pb::IssueBadgeRequest {
            participant_id: guest.id,
            layout: 0,
        })
        .await
        .unwrap()
        .into_inner()
        .badge
        .unwrap();

    let code = gate_code(&app, "GATEFIELD").await;
    let b = Browser::start(1280, 800).await;
    b.goto(&format!("http://{}/gate/", app.addr)).await;
    b.type_into("#gate-code", &code).await;
    b.press("Enrol").await;
    b.until_text("Ready: show a badge").await;
    wedge(&b, &badge.qr_text).await;
    verdict(&b, "ALLOW", "").await;
    b.until(
        "the field shown with the entry",
        "document.querySelector('.verdict .notes')?.innerText.includes('VIP parking')",
    )
    .await;
    b.screenshot("gate-field").await;
    b.stop().await;
}
