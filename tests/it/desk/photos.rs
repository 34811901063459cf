//! Holders' photos over gRPC: what is accepted, what is stored, who may
//! see it, and what it does to a printed badge.

use diesel::sql_types::BigInt;
use diesel_async::RunQueryDsl as _;
use expopass::{domain::Role, proto::pb};
use image::{ImageEncoder as _, Rgb, RgbImage};
use tonic::Code;

use crate::support::{TestApp, builders::person, pdf::PdfFile, reason};

fn picture(w: u32, h: u32) -> RgbImage {
    RgbImage::from_fn(w, h, |x, y| {
        Rgb([(x * 255 / w) as u8, (y * 255 / h) as u8, 128])
    })
}

fn jpeg(img: &RgbImage) -> Vec<u8> {
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90)
        .write_image(
            img.as_raw(),
            img.width(),
            img.height(),
            image::ExtendedColorType::Rgb8,
        )
        .unwrap();
    out
}

/// A JPEG carrying an EXIF segment with a location-like canary.
fn jpeg_with_exif(img: &RgbImage) -> Vec<u8> {
    let plain = jpeg(img);
    let mut payload = b"Exif\0\0MM\0\x2a\0\0\0\x08\0\0".to_vec();
    payload.extend_from_slice(b"GPS 41.3111N 69.2797E CANARY");
    let mut out = plain[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&u16::try_from(payload.len() + 2).unwrap().to_be_bytes());
    out.extend_from_slice(&payload);
    out.extend_from_slice(&plain[2..]);
    out
}

/// A PNG whose header claims `w` x `h` pixels, with hardly any pixel data
/// after it: a small file announcing a huge picture.
fn png_header_only(w: u32, h: u32) -> Vec<u8> {
    fn chunk(out: &mut Vec<u8>, kind: &[u8], data: &[u8]) {
        let mut body = kind.to_vec();
        body.extend_from_slice(data);
        let mut crc = flate2::Crc::new();
        crc.update(&body);
        out.extend_from_slice(&u32::try_from(data.len()).unwrap().to_be_bytes());
        out.extend_from_slice(&body);
        out.extend_from_slice(&crc.sum().to_be_bytes());
    }
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = w.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(&mut out, b"IDAT", &[0x78, 0x9C, 0x63, 0x00, 0x00]);
    chunk(&mut out, b"IEND", &[]);
    out
}

async fn set(
    app: &TestApp,
    id: &str,
    image: Vec<u8>,
) -> Result<pb::SetParticipantPhotoResponse, tonic::Status> {
    app.desk()
        .set_participant_photo(pb::SetParticipantPhotoRequest {
            participant_id: id.to_owned(),
            image,
        })
        .await
        .map(tonic::Response::into_inner)
}

async fn state(app: &TestApp, id: &str) -> pb::Participant {
    app.desk()
        .get_participant(pb::GetParticipantRequest { id: id.to_owned() })
        .await
        .unwrap()
        .into_inner()
        .participant
        .unwrap()
}

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[tokio::test]
async fn a_photo_is_cropped_scaled_stripped_and_printed_and_outdates_the_badge() {
    let app = TestApp::start().await;
    let fixture = app.event("PHOTO").await;
    let p = app.register(&fixture, person("Malika", "Yusupova")).await;
    let first = app
        .badges()
        .issue_badge(pb::IssueBadgeRequest {
            participant_id: p.id.clone(),
            layout: pb::BadgeLayout::A6.into(),
        })
        .await
        .unwrap()
        .into_inner();
    let before = state(&app, &p.id).await;
    assert_eq!(before.badge_state(), pb::BadgeState::Valid);
    assert!(!before.has_photo);

    // A landscape phone picture with EXIF: a 600 x 800 JPEG without it.
    let answer = set(&app, &p.id, jpeg_with_exif(&picture(2000, 1500)))
        .await
        .unwrap();
    assert_eq!((answer.width, answer.height), (600, 800));
    let after = answer.participant.unwrap();
    assert!(after.has_photo);
    assert_eq!(after.version, before.version + 1);
    assert_eq!(after.badge_state(), pb::BadgeState::Outdated);
    let stored = app
        .desk()
        .get_participant_photo(pb::GetParticipantPhotoRequest {
            participant_id: p.id.clone(),
        })
        .await
        .unwrap()
        .into_inner()
        .jpeg;
    assert!(stored.starts_with(&[0xFF, 0xD8]));
    assert!(stored.len() <= 150 * 1024);
    assert!(!stored.windows(6).any(|w| w == b"CANARY"));
    assert!(!stored.windows(4).any(|w| w == b"Exif"));
    let decoded = image::load_from_memory(&stored).unwrap();
    assert_eq!((decoded.width(), decoded.height()), (600, 800));

    // Outdated is not revoked: the printed badge still opens gates.
    let badge = app
        .badges()
        .get_badge(pb::GetBadgeRequest {
            key: Some(pb::get_badge_request::Key::BadgeId(first.badge.unwrap().id)),
        })
        .await
        .unwrap()
        .into_inner()
        .badge
        .unwrap();
    assert!(!badge.revoked);

    // The reprint carries the photo on A6 and on the card.
    for layout in [pb::BadgeLayout::A6, pb::BadgeLayout::Card] {
        let reprint = app
            .badges()
            .issue_badge(pb::IssueBadgeRequest {
                participant_id: p.id.clone(),
                layout: layout.into(),
            })
            .await
            .unwrap()
            .into_inner();
        let pdf = PdfFile::new(&reprint.pdf);
        let images = pdf.images();
        assert_eq!(images.len(), 1, "{layout:?}: {images:?}");
        assert_eq!((images[0].1, images[0].2), (600, 800));
        assert_eq!(pdf.qr_codes(1), vec![reprint.badge.unwrap().qr_text]);
    }
    assert_eq!(
        state(&app, &p.id).await.badge_state(),
        pb::BadgeState::Valid
    );

    // Removed: the badge printed with it is outdated again, and prints
    // without a photo.
    let removed = app
        .desk()
        .remove_participant_photo(pb::RemoveParticipantPhotoRequest {
            participant_id: p.id.clone(),
        })
        .await
        .unwrap()
        .into_inner()
        .participant
        .unwrap();
    assert!(!removed.has_photo);
    assert_eq!(removed.badge_state(), pb::BadgeState::Outdated);
    let err = app
        .desk()
        .get_participant_photo(pb::GetParticipantPhotoRequest {
            participant_id: p.id.clone(),
        })
        .await
        .unwrap_err();
    assert_eq!(
        (err.code(), reason(&err).as_str()),
        (Code::NotFound, "PHOTO_NOT_FOUND")
    );
    let plain = app
        .badges()
        .issue_badge(pb::IssueBadgeRequest {
            participant_id: p.id.clone(),
            layout: pb::BadgeLayout::A6.into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(PdfFile::new(&plain.pdf).images().is_empty());

    // Every change is in the audit log.
    let mut conn = app.db.connect().await;
    let audited = diesel::sql_query(format!(
        "SELECT count(*) AS n FROM audit_log WHERE entity_id = '{}' AND action LIKE 'participant.photo.%'",
        p.id
    ))
    .get_result::<Count>(&mut conn)
    .await
    .unwrap()
    .n;
    assert_eq!(audited, 2);
}

#[tokio::test]
async fn what_is_not_a_usable_photo_is_refused_with_its_reason() {
    let app = TestApp::start().await;
    let fixture = app.event("PHOTO2").await;
    let p = app.register(&fixture, person("Bobur", "Aliev")).await;
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "a GIF",
            b"GIF89a\x01\0\x01\0\0\0\0;".to_vec(),
            "PHOTO_NOT_AN_IMAGE",
        ),
        ("a PDF", b"%PDF-1.7\n%%EOF".to_vec(), "PHOTO_NOT_AN_IMAGE"),
        ("nothing", Vec::new(), "PHOTO_NOT_AN_IMAGE"),
        (
            "a cut JPEG",
            jpeg(&picture(800, 600))[..600].to_vec(),
            "PHOTO_NOT_AN_IMAGE",
        ),
        ("11 MB", vec![0xFF; 11 * 1024 * 1024], "PHOTO_TOO_LARGE"),
        (
            "48 megapixels",
            png_header_only(8000, 6000),
            "PHOTO_TOO_MANY_PIXELS",
        ),
        ("a thumbnail", jpeg(&picture(120, 90)), "PHOTO_TOO_SMALL"),
    ];
    for (what, bytes, expected) in cases {
        let err = set(&app, &p.id, bytes).await.unwrap_err();
        assert_eq!(err.code(), Code::InvalidArgument, "{what}: {err:?}");
        assert_eq!(reason(&err), expected, "{what}");
    }
    // Nothing was stored or changed.
    let after = state(&app, &p.id).await;
    assert!(!after.has_photo);
    assert_eq!(after.version, p.version);

    // Gates never see photos; nor does anyone without a token.
    for role in [Some(Role::Gate), None] {
        let err = app
            .registration_as(role)
            .get_participant_photo(pb::GetParticipantPhotoRequest {
                participant_id: p.id.clone(),
            })
            .await
            .unwrap_err();
        assert!(
            matches!(err.code(), Code::PermissionDenied | Code::Unauthenticated),
            "{role:?}: {err:?}"
        );
    }
    // A cancelled participant gets no photo.
    app.desk()
        .cancel_participant(pb::CancelParticipantRequest {
            id: p.id.clone(),
            reason: "left".to_owned(),
        })
        .await
        .unwrap();
    let err = set(&app, &p.id, jpeg(&picture(600, 800)))
        .await
        .unwrap_err();
    assert_eq!(reason(&err), "PARTICIPANT_CANCELLED");
}

#[tokio::test]
async fn gates_see_a_photo_only_on_an_entry_allowed_and_only_where_the_event_allows_it() {
    use crate::gates::{DURING, badge_holder, scan_request, venue};
    let app = TestApp::start().await;
    let venue = venue(&app, "PHOTO-GATE").await;
    let event_id = venue.fixture.event_id.clone();
    let (id, badge) = badge_holder(&app, &venue, "Dilnoza", "VISITOR").await;
    set(&app, &id, jpeg(&picture(600, 800))).await.unwrap();
    let stored = app
        .desk()
        .get_participant_photo(pb::GetParticipantPhotoRequest {
            participant_id: id.clone(),
        })
        .await
        .unwrap()
        .into_inner()
        .jpeg;
    let mut at = DURING;
    let mut scan = async |direction: pb::Direction| {
        at += 60;
        app.gates()
            .scan(scan_request(
                &venue.hall,
                &badge.qr_text,
                &uuid::Uuid::new_v4().to_string(),
                direction,
                at,
            ))
            .await
            .unwrap()
            .into_inner()
    };
    let display = async |names: bool, photos: bool| {
        app.events()
            .set_gate_display(pb::SetGateDisplayRequest {
                event_id: event_id.clone(),
                names_at_gates: names,
                photos_at_gates: photos,
            })
            .await
            .map(|r| r.into_inner().event.unwrap())
    };

    // By default gates see neither the name nor the photo.
    let r = scan(pb::Direction::In).await;
    assert_eq!(r.decision(), pb::Decision::Allow);
    assert!(
        r.holder_photo.is_empty() && r.holder_name.is_empty(),
        "{r:?}"
    );
    scan(pb::Direction::Out).await;

    // A second instance on the same database, its rules already built.
    let other = expopass::domain::Services::new(
        expopass::db::pool(&app.db.url, 2).unwrap(),
        &expopass::domain::DocumentKey::new(Box::new(crate::support::TEST_DOCUMENT_KEY)),
    );
    assert!(
        other
            .listen_to_notifications(std::time::Duration::from_secs(30))
            .await
    );
    let event_key = expopass::ids::EventId(event_id.parse().unwrap());
    let shown = async || other.gate_rules(event_key).await.unwrap().display;
    assert!(!shown().await.photos);

    // Photos only.
    let event = display(false, true).await.unwrap();
    assert!(event.photos_at_gates && !event.names_at_gates);
    // The other instance follows within a second.
    let changed = std::time::Instant::now();
    while !shown().await.photos {
        assert!(
            changed.elapsed() < std::time::Duration::from_secs(1),
            "the other instance still hides photos after 1 s"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(!shown().await.names);
    let r = scan(pb::Direction::In).await;
    assert_eq!(r.decision(), pb::Decision::Allow);
    assert_eq!(r.holder_photo, stored);
    assert!(r.holder_name.is_empty());
    // A denial (already inside) and an exit carry no photo.
    let r = scan(pb::Direction::In).await;
    assert_eq!(r.reason(), pb::DenyReason::AlreadyInside);
    assert!(r.holder_photo.is_empty());
    let r = scan(pb::Direction::Out).await;
    assert_eq!(r.decision(), pb::Decision::Allow);
    assert!(r.holder_photo.is_empty());
    // The offline bundle never carries it.
    let bundle = app
        .gates()
        .get_offline_bundle(pb::GetOfflineBundleRequest {
            gate_id: venue.hall.clone(),
        })
        .await
        .unwrap()
        .into_inner()
        .bundle;
    assert!(!bundle.windows(64).any(|w| w == &stored[200..264]));

    // Names only: the photo is gone at once.
    let event = display(true, false).await.unwrap();
    assert!(event.names_at_gates && !event.photos_at_gates);
    let r = scan(pb::Direction::In).await;
    assert_eq!(r.holder_name, "Dilnoza Holder");
    assert!(r.holder_photo.is_empty());
    scan(pb::Direction::Out).await;

    // Both; a holder without a photo gets just the name.
    display(true, true).await.unwrap();
    let (_, plain) = badge_holder(&app, &venue, "Nodir", "VISITOR").await;
    let r = app
        .gates()
        .scan(scan_request(
            &venue.hall,
            &plain.qr_text,
            "plain-1",
            pb::Direction::In,
            DURING,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(r.decision(), pb::Decision::Allow);
    assert_eq!(r.holder_name, "Nodir Holder");
    assert!(r.holder_photo.is_empty());

    // Only an organiser sets it, for a real event.
    for role in [Role::Gate, Role::Desk] {
        let err = app
            .events_as(Some(role))
            .set_gate_display(pb::SetGateDisplayRequest {
                event_id: event_id.clone(),
                names_at_gates: false,
                photos_at_gates: true,
            })
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::PermissionDenied, "{role:?}");
    }
    let err = app
        .events()
        .set_gate_display(pb::SetGateDisplayRequest {
            event_id: uuid::Uuid::new_v4().to_string(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(
        (err.code(), reason(&err).as_str()),
        (Code::NotFound, "EVENT_NOT_FOUND")
    );
    let err = app
        .events()
        .set_gate_display(pb::SetGateDisplayRequest {
            event_id: "not-an-id".to_owned(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);

    // The operator's console sets it too.
    use base64::Engine as _;
    let data = tempfile::tempdir().unwrap();
    let console = |show: &str| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_expopass"))
            .args([
                "event",
                "gate-display",
                "--event",
                "photo-gate",
                "--show",
                show,
            ])
            .env("DATABASE_URL", &app.db.url)
            .env("EXPOPASS_DATA_DIR", data.path())
            .env(
                "EXPOPASS_DOCUMENT_KEY",
                base64::engine::general_purpose::STANDARD.encode(crate::support::TEST_DOCUMENT_KEY),
            )
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (ok, out, err) = console("photo");
    assert!(ok, "{err}");
    assert_eq!(out, "PHOTO-GATE: gates show photos\n");
    // Made by another process, the change reaches this server's rules by
    // the database's notification: a moment later, not at once.
    let mut r = scan(pb::Direction::In).await;
    for _ in 0..50 {
        if r.holder_name.is_empty() {
            break;
        }
        scan(pb::Direction::Out).await;
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        r = scan(pb::Direction::In).await;
    }
    assert_eq!(r.holder_photo, stored);
    assert!(r.holder_name.is_empty());
    let (ok, _, err) = console("none,name");
    assert!(!ok && err.contains("none"), "{err}");

    // Each change is audited.
    let mut conn = app.db.connect().await;
    let audited: Count = diesel::sql_query(
        "SELECT count(*) AS n FROM audit_log WHERE action = 'event.gate_display'",
    )
    .get_result(&mut conn)
    .await
    .unwrap();
    assert_eq!(audited.n, 4);
}
