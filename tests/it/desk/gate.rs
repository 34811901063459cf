//! The gate page in headless Chromium: enrolment, a printed badge at the
//! camera, a hand scanner, verdicts.

use std::{process::Command, time::Duration};

use expopass::proto::pb;

use super::browser::{Browser, y4m};
use crate::support::{TestApp, builders::person};

/// An event running today (Tashkent time) with one gate into HALL-A, and a
/// visitor's printed badge; returns (event id, gate id, the badge's PDF and
/// QR text).
async fn running_event(app: &TestApp, code: &str) -> (String, String, Vec<u8>, String) {
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
        })
        .await
        .unwrap();
    let gate = app
        .events()
        .upsert_gate(pb::UpsertGateRequest {
            event_id: event.id.clone(),
            code: "HALL-A-N".to_owned(),
            name: "Hall A north".to_owned(),
            zone_code: "HALL-A".to_owned(),
        })
        .await
        .unwrap()
        .into_inner()
        .gate
        .unwrap();
    let fixture = crate::support::builders::Fixture {
        event_id: event.id.clone(),
    };
    let p = app.register(&fixture, person("Jasur", "Tursunov")).await;
    let issued = app
        .badges()
        .issue_badge(pb::IssueBadgeRequest {
            participant_id: p.id,
            layout: pb::BadgeLayout::A6.into(),
        })
        .await
        .unwrap()
        .into_inner();
    let qr = issued.badge.unwrap().qr_text;
    (event.id, gate.id, issued.pdf, qr)
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

async fn verdict(b: &Browser, decision: &str, reason: &str) {
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
    let (_, gate_id, pdf, qr) = running_event(&app, "GATEP").await;
    let code = app
        .services
        .create_enrolment(
            None,
            expopass::domain::enrolment::NewEnrolment {
                token: expopass::domain::NewToken {
                    name: "Hall A lane 1".to_owned(),
                    role: expopass::domain::Role::Gate,
                    event_code: Some("GATEP".to_owned()),
                    gate_codes: vec!["HALL-A-N".to_owned()],
                    expires_at: None,
                },
                ttl: Duration::from_secs(600),
            },
        )
        .await
        .unwrap()
        .0;
    let dir = tempfile::tempdir().unwrap();
    let clip = film_of_badge(&pdf, dir.path());
    let b = Browser::start_filming(1280, 800, Some(&clip)).await;
    b.goto(&format!("http://{}/gate/", app.addr)).await;
    b.until_text("Set up this gate").await;
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
    b.screenshot("gate-allow").await;
    verdict(&b, "DENY", "ALREADY_INSIDE").await;
    assert!(b.text(".verdict").await.contains("Already inside"));
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

    let timings = b
        .eval("return performance.getEntriesByName('expopass:verdict').map(e => e.duration);")
        .await;
    println!("QR to verdict, online (ms): {timings}");
    b.stop().await;
}
