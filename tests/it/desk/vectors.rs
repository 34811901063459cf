//! The Rust decider (`domain::offline::decide`) and the browser's
//! (`web/src/decide.ts`) must agree: this writes a vector file of bundles,
//! tokens, gate zones, times and the Rust decisions, and runs the browser's
//! decider over it in Node.

use std::process::Command;

use base64::Engine as _;
use chrono::{DateTime, Duration, NaiveDate, TimeZone as _, Utc};
use ed25519_dalek::SigningKey;
use expopass::{
    domain::{
        offline::{Rules, decide, decide_way},
        qr::BadgeClaims,
    },
    proto::pb,
    vocab::Direction,
};
use prost::Message as _;
use serde_json::json;

/// How many cases the file holds.
const CASES: usize = 3_000;

struct Key {
    id: u32,
    signing: SigningKey,
}

fn bundle(
    tag: u32,
    time_zone: &str,
    keys: &[&Key],
    revoked: &[(u32, u16)],
    blocked: &[u32],
) -> Vec<u8> {
    let mut rev: Vec<(u32, u16)> = revoked.to_vec();
    rev.sort_unstable();
    let mut blk: Vec<u32> = blocked.to_vec();
    blk.sort_unstable();
    pb::OfflineBundle {
        format: 1,
        event_id: uuid::Uuid::new_v4().to_string(),
        event_code: "VECTORS".to_owned(),
        event_tag: tag,
        time_zone: time_zone.to_owned(),
        first_day: "2026-04-13".to_owned(),
        last_day: "2026-04-17".to_owned(),
        keys: keys
            .iter()
            .map(|k| pb::BundleKey {
                key_id: k.id,
                public_key: k.signing.verifying_key().to_bytes().to_vec(),
                active: true,
                valid_from: None,
            })
            .collect(),
        categories: (1..=4)
            .map(|n| pb::BundleCategory {
                number: n,
                code: format!("CAT{n}"),
                name: format!("Category {n}"),
                color: "#123456".to_owned(),
                zone_numbers: vec![1, 2],
                valid_days: vec![],
                ..Default::default()
            })
            .collect(),
        zones: (1..=5)
            .map(|n| pb::BundleZone {
                number: n,
                code: format!("Z{n}"),
                name: format!("Zone {n}"),
                parent_number: 0,
                capacity: 0,
                ..Default::default()
            })
            .collect(),
        revoked: rev
            .iter()
            .flat_map(|(s, v)| {
                let mut b = s.to_be_bytes().to_vec();
                b.extend_from_slice(&v.to_be_bytes());
                b
            })
            .collect(),
        blocked: blk.iter().flat_map(|s| s.to_be_bytes()).collect(),
        version: 7,
        generated_at: None,
        event_name: "Vectors".to_owned(),
    }
    .encode_to_vec()
}

fn token(rng: &mut fastrand::Rng, key: &Key, tag: u32) -> String {
    let first_day = NaiveDate::from_ymd_opt(2026, 4, 11).unwrap() + Duration::days(rng.i64(0..5));
    BadgeClaims {
        key_id: key.id,
        event_tag: tag,
        serial: rng.u32(1..25),
        version: rng.u16(1..4),
        category: rng.u8(1..5),
        zones: rng.u64(..) & 0x1F,
        first_day,
        days: rng.u32(..) & 0x3FF,
    }
    .sign(&key.signing)
    .unwrap()
}

/// A token changed the ways a forger or a worn print would change it.
fn mutate(rng: &mut fastrand::Rng, text: &str) -> String {
    match rng.u8(0..8) {
        0..=2 => {
            let mut bytes = base45::decode(&text[4..]).unwrap();
            let i = rng.usize(..bytes.len());
            bytes[i] ^= 1 << rng.u8(0..8);
            format!("EP1:{}", base45::encode(&bytes))
        }
        3 => format!(" {text}\r\n"),
        4 => text[..text.len() - 3].to_owned(),
        5 => text.replacen("EP1:", "EP2:", 1),
        6 => text.to_lowercase(),
        _ => {
            let mut chars: Vec<char> = text.chars().collect();
            let i = rng.usize(4..chars.len());
            chars[i] = ['#', 'a', '~', 'Z', ' ', '\t'][rng.usize(..6)];
            chars.into_iter().collect()
        }
    }
}

#[test]
fn the_browser_decides_every_vector_as_the_server_does() {
    let mut rng = fastrand::Rng::with_seed(2026);
    let keys: Vec<Key> = (1..=3u8)
        .map(|n| Key {
            id: 0x5EC0_0000 + u32::from(n),
            signing: SigningKey::from_bytes(&[n; 32]),
        })
        .collect();
    let (tag_a, tag_b) = (0x368a_1565, 0x0BAD_CAFE);
    let revoked: Vec<(u32, u16)> = (0..12).map(|_| (rng.u32(1..25), rng.u16(1..4))).collect();
    let blocked: Vec<u32> = (0..5).map(|_| rng.u32(1..25)).collect();
    // Bundle 0: keys 1 and 2 (key 3 unknown), Tashkent; bundle 1: another
    // event, key 1 only, New York (another day at the same instant).
    let bundles = [
        bundle(
            tag_a,
            "Asia/Tashkent",
            &[&keys[0], &keys[1]],
            &revoked,
            &blocked,
        ),
        bundle(tag_b, "America/New_York", &[&keys[0]], &revoked[..4], &[]),
    ];
    let rules: Vec<Rules> = bundles
        .iter()
        .map(|b| Rules::from_bundle(b).unwrap())
        .collect();

    let base = Utc.with_ymd_and_hms(2026, 4, 10, 0, 0, 0).unwrap();
    let mut cases = Vec::with_capacity(CASES);
    let mut seen = std::collections::BTreeMap::<String, usize>::new();
    while cases.len() < CASES {
        let b = rng.usize(..bundles.len());
        let key = &keys[rng.usize(..keys.len())];
        let tag = [tag_a, tag_a, tag_b, rng.u32(..)][rng.usize(..4)];
        let mut qr = token(&mut rng, key, tag);
        if rng.u8(0..4) == 0 {
            qr = mutate(&mut rng, &qr);
        }
        if rng.u8(0..50) == 0 {
            qr = ["", "hello", "EP1:", "https://example.com/EP1:"][rng.usize(..4)].to_owned();
        }
        // Any minute over nine days, so that days change in either zone.
        let at: DateTime<Utc> = base + Duration::minutes(rng.i64(0..9 * 24 * 60));
        let zone = match rng.u8(0..8) {
            0 => None,
            1 => Some(rng.u8(..)),
            _ => Some(rng.u8(1..7)),
        };
        // One case in four is an exit: refused only for the badge itself.
        let direction = if rng.u8(0..4) == 0 {
            Direction::Out
        } else {
            Direction::In
        };
        let verdict = decide_way(&rules[b], &qr, zone, at, direction);
        let expect = verdict.deny.map_or("ALLOW", |r| r.as_str()).to_owned();
        *seen.entry(expect.clone()).or_default() += 1;
        if direction == Direction::Out {
            let entry = decide(&rules[b], &qr, zone, at).deny;
            let key = match (entry, verdict.deny) {
                (Some(_), None) => "exit allowed where an entry is refused",
                (Some(_), Some(_)) => "exit refused",
                _ => "exit allowed",
            };
            *seen.entry(key.to_owned()).or_default() += 1;
        }
        cases.push(json!({
            "bundle": b,
            "zone": zone,
            "at": at.to_rfc3339(),
            "qr": qr,
            "direction": direction.as_str(),
            "expect": expect,
        }));
    }
    // Every outcome of §5 is exercised.
    for outcome in [
        "ALLOW",
        "MALFORMED",
        "UNKNOWN_KEY",
        "BAD_SIGNATURE",
        "WRONG_EVENT",
        "REVOKED",
        "BLOCKED",
        "NOT_VALID_TODAY",
        "ZONE_NOT_ALLOWED",
        "exit allowed",
        "exit refused",
        "exit allowed where an entry is refused",
    ] {
        assert!(
            seen.get(outcome).copied().unwrap_or(0) >= 10,
            "{outcome}: {seen:?}"
        );
    }

    let file = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("decide-vectors.json");
    let b64 = base64::engine::general_purpose::STANDARD;
    std::fs::write(
        &file,
        serde_json::to_vec(&json!({
            "bundles": bundles.iter().map(|b| b64.encode(b)).collect::<Vec<_>>(),
            "cases": cases,
        }))
        .unwrap(),
    )
    .unwrap();
    let checker = concat!(env!("CARGO_MANIFEST_DIR"), "/web/dist/check-vectors.mjs");
    let out = Command::new("node")
        .arg(checker)
        .arg(&file)
        .output()
        .expect("node runs (the browser decider's check needs Node.js)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "the browser's decider disagrees:\n{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(stdout.trim(), format!("{CASES} cases, 0 differences"));
    println!("{stdout}{seen:?}");
}
