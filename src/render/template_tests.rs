use super::*;
use crate::render::{draft_template_pages, render_template_pdf, tests::sample};

/// A delegate's A6 badge: a colour band with the category, the names,
/// the photo, an answer in large type, the QR; a back with fixed text.
const DELEGATE: &str = include_str!("../../examples/templates/delegate.toml");

fn delegate() -> Template {
    Template::from_toml(DELEGATE).unwrap()
}

fn kinds(problems: &[Problem]) -> Vec<(&str, &ProblemKind)> {
    problems
        .iter()
        .map(|p| (p.path.as_str(), &p.kind))
        .collect()
}

fn cards() -> Vec<BadgeCard> {
    let mut latin = sample(
        "Maximilian Alexander Friedrich Wilhelm",
        "von Hohenzollern-Sigmaringen",
        "",
    );
    latin.values.insert("interpreter".into(), "Chinese".into());
    let arabic = sample("Abdulaziz", "Al Saud", "عبد العزيز بن عبد الرحمن آل سعود");
    let cjk = sample("Wei", "Zhang", "张伟");
    vec![latin, arabic, cjk]
}

#[test]
fn a_sound_template_passes_and_prints_front_and_back() {
    let t = delegate();
    assert_eq!(kinds(&t.check(&cards())), []);
    let pdf = render_template_pdf(&cards(), &t, &Assets::new(), "t").unwrap();
    assert!(pdf.starts_with(b"%PDF"));
    let doc = lopdf::Document::load_mem(&pdf).unwrap();
    assert_eq!(doc.get_pages().len(), 6, "a front and a back per badge");
    if let Ok(dir) = std::env::var("EXPOPASS_RENDER_DIR") {
        std::fs::write(format!("{dir}/template.pdf"), &pdf).unwrap();
    }
    // The document survives a round trip through its own JSON and TOML.
    assert_eq!(Template::from_json(&t.to_json()).unwrap(), t);
    let toml = toml::to_string(&t).unwrap();
    assert_eq!(Template::from_toml(&toml).unwrap(), t);
}

#[test]
fn every_line_stays_in_its_box_for_long_latin_arabic_and_cjk_names() {
    let t = delegate();
    let book = FontBook::get();
    for card in cards() {
        let pages = draft_template_pages(std::slice::from_ref(&card), &t, &Assets::new()).unwrap();
        let mut texts = Vec::new();
        for draw in &pages[0].draws {
            if let Draw::Text {
                line, size, x, y, ..
            } = draw
            {
                let w = line.width_pt(*size) / PT_PER_MM;
                let s = size / PT_PER_MM;
                // To the document's top-left frame.
                texts.push((
                    *x,
                    t.height - (y + 0.75 * s),
                    x + w,
                    t.height - (y - 0.25 * s),
                ));
            }
        }
        assert!(texts.len() >= 6, "{}: {texts:?}", card.given_name);
        let boxes: Vec<BoxMm> = t
            .front
            .elements
            .iter()
            .filter_map(|e| match e {
                Element::Text(te) => Some(te.at),
                _ => None,
            })
            .collect();
        for line in &texts {
            let within = boxes.iter().any(|b| {
                line.0 >= b[0] - 0.01
                    && line.2 <= b[0] + b[2] + 0.01
                    && line.1 >= b[1] - 0.01
                    && line.3 <= b[1] + b[3] + 0.01
            });
            assert!(
                within,
                "{}: a line at {line:?} leaves its box",
                card.given_name
            );
        }
        let _ = book;
    }
}

#[test]
fn a_category_fill_takes_the_categorys_colour_and_text_on_it_reads() {
    let t = delegate();
    let mut card = sample("Aziz", "Karimov", "");
    card.category_color = "#8E24AA".into();
    let pages = draft_template_pages(&[card], &t, &Assets::new()).unwrap();
    let band = pages[0]
        .draws
        .iter()
        .find_map(|d| match d {
            Draw::Rect { color, w, .. } if (*w - 105.0).abs() < 0.01 => Some(color.clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!(
        (band.r * 255.0).round() as u8,
        0x8E,
        "the band is the category's purple"
    );
    let heading = pages[0]
        .draws
        .iter()
        .find_map(|d| match d {
            Draw::Text { color, .. } => Some(color.clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!(
        (heading.r, heading.g, heading.b),
        (1.0, 1.0, 1.0),
        "white on purple"
    );
}

#[test]
fn the_validator_refuses_a_small_qr_a_box_off_the_page_and_an_unknown_binding() {
    let mut t = delegate();
    let Element::Qr(q) = &mut t.front.elements[8] else {
        panic!("the QR moved")
    };
    q.size = 25.0;
    let Element::Text(name) = &mut t.front.elements[3] else {
        panic!("the name moved")
    };
    name.at = [80.0, 22.0, 40.0, 10.0];
    name.bind = "passport_number".into();
    let problems = t.check(&cards());
    assert_eq!(
        kinds(&problems),
        [
            ("front.elements[3].box", &ProblemKind::OutsidePage),
            ("front.elements[3].bind", &ProblemKind::UnknownBinding),
            (
                "front.elements[8].size",
                &ProblemKind::QrTooSmall { min: 30.0 }
            ),
        ]
    );
}

#[test]
fn the_qr_keeps_its_quiet_zone_and_the_front_needs_one() {
    let mut t = delegate();
    // A sponsor strip drawn after the QR, over its quiet zone.
    t.front.elements.push(Element::Rect(RectElement {
        at: [0.0, 119.5, 105.0, 8.0],
        fill: "#FFCC00".into(),
    }));
    let problems = t.check(&cards());
    assert_eq!(
        kinds(&problems),
        [("front.elements[11]", &ProblemKind::CoversQr)]
    );
    // The same strip drawn first lies under the QR's white square.
    let strip = t.front.elements.pop().unwrap();
    t.front.elements.insert(0, strip);
    assert_eq!(kinds(&t.check(&cards())), []);
    let mut none = delegate();
    none.front.elements.retain(|e| !matches!(e, Element::Qr(_)));
    assert_eq!(
        kinds(&none.check(&cards())),
        [("front.elements", &ProblemKind::NoQr)]
    );
}

#[test]
fn unknown_keys_and_wrong_types_are_refused_not_ignored() {
    let json = delegate().to_json();
    let typo = json.replacen("\"min_size\":10", "\"minsize\":10", 1);
    assert_ne!(typo, json);
    let Err(p) = Template::from_json(&typo) else {
        panic!("a typo passed")
    };
    let ProblemKind::Unreadable(message) = p.kind else {
        panic!("{p:?}")
    };
    assert!(message.contains("minsize"), "{message}");
    let toml_typo = DELEGATE.replacen("min_size = 10", "minsize = 10", 1);
    assert!(Template::from_toml(&toml_typo).is_err());
    for bad in [
        json.replacen("\"type\":\"qr\"", "\"type\":\"barcode\"", 1),
        json.replacen("\"size\":35.0", "\"size\":\"35\"", 1),
        json.replacen("\"width\":105.0,", "", 1),
        json.replacen("\"align\":\"right\"", "\"align\":\"justify\"", 1),
    ] {
        assert_ne!(bad, json);
        assert!(Template::from_json(&bad).is_err(), "{bad}");
    }
}

#[test]
fn text_that_cannot_fit_at_its_smallest_size_is_named_with_the_sample() {
    let mut t = delegate();
    let Element::Text(org) = &mut t.front.elements[6] else {
        panic!("the organisation moved")
    };
    org.at = [5.0, 64.0, 20.0, 8.0];
    org.max_lines = 1;
    let problems = t.check(&cards());
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].path, "front.elements[6]");
    assert!(
        matches!(&problems[0].kind, ProblemKind::DoesNotFit { sample } if sample.contains("Metallurgical")),
        "{problems:?}"
    );
}

#[test]
fn colours_sizes_sources_and_fixed_texts_are_checked() {
    let mut t = delegate();
    t.language = "de".into();
    let Element::Text(head) = &mut t.front.elements[1] else {
        panic!()
    };
    head.color = "purple".into();
    head.size = 400.0;
    let Element::Image(photo) = &mut t.front.elements[2] else {
        panic!()
    };
    photo.source = "https://example.com/logo.png".into();
    let back = t.back.as_mut().unwrap();
    let Element::Text(fixed) = &mut back.elements[0] else {
        panic!()
    };
    fixed.text.en = "\u{202E}".repeat(300);
    let paths: Vec<String> = t.check(&cards()).into_iter().map(|p| p.path).collect();
    assert_eq!(
        paths,
        [
            "language",
            "front.elements[1].size",
            "front.elements[1].color",
            "front.elements[2].source",
            "back.elements[0].text",
        ]
    );
}
