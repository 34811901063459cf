//! Badge PDFs: layouts, text in every shipped script, the QR as vector
//! graphics. Pure: no database, no transport. `sink` turns batches of pages
//! into one PDF streamed in pieces.

mod draw;
mod fit;
pub(crate) mod fonts;
mod layouts;
pub(crate) mod sink;
pub mod template;
pub(crate) mod text;

use printpdf::{Mm, PdfDocument, PdfFontHandle, PdfPage, PdfSaveOptions};

use draw::{Draw, emit};
use fonts::FontBook;
use layouts::{card_sheet_origin, draw_a6, draw_card, sheet_a6_marks, sheet_card_marks};

/// What a badge shows. No contact data, no documents.
#[derive(Debug, Clone)]
pub struct BadgeCard {
    pub event_name: String,
    /// Dates and venue, one line.
    pub event_line: String,
    pub given_name: String,
    pub family_name: String,
    /// The name in its native script; empty when none.
    pub native_name: String,
    pub organization: String,
    pub country_code: String,
    pub country_name: String,
    pub category_name: String,
    /// The category's name in the other languages of the event's
    /// operators (Russian, Uzbek), printed smaller under the first; those
    /// empty or equal to `category_name` left out.
    pub category_names_also: Vec<String>,
    /// `#RRGGBB`.
    pub category_color: String,
    /// Printed badge number.
    pub number: String,
    pub qr_text: String,
    /// The holder's photo, a JPEG; `None` keeps the layout without one.
    pub photo: Option<bytes::Bytes>,
    /// Answers to custom fields printed on the badge ("Press card:
    /// UZ-1234"), one line each, under the country.
    pub answers: Vec<String>,
    /// Shown answers by field key, for templates that place a field
    /// themselves ("Interpreter" in large type).
    pub values: std::collections::BTreeMap<String, String>,
    /// The zones the badge opens, by name.
    pub zones: Vec<String>,
    /// The days it is valid, one line ("14–16 April"; empty: every day).
    pub days: String,
}

/// Paper and arrangement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// A6 portrait, one badge per page.
    A6,
    /// ID-1 / CR80 card, one per page.
    Card,
    /// A4 pages of 2 × 2 A6 badges with cut marks.
    SheetA6,
    /// A4 pages of 2 × 5 cards with cut marks.
    SheetCard,
}

impl Layout {
    /// Badges per page.
    pub fn per_page(self) -> usize {
        match self {
            Layout::A6 | Layout::Card => 1,
            Layout::SheetA6 => 4,
            Layout::SheetCard => 10,
        }
    }

    fn page_size(self) -> (f32, f32) {
        match self {
            Layout::A6 => A6,
            Layout::Card => CARD,
            Layout::SheetA6 | Layout::SheetCard => A4,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("the QR text does not fit a QR code: {0}")]
    Qr(String),
}

const A4: (f32, f32) = (210.0, 297.0);
const A6: (f32, f32) = (105.0, 148.0);
const CARD: (f32, f32) = (85.6, 54.0);
/// Quiet zone around the QR, in modules (ISO/IEC 18004 asks for 4).
const QUIET_MODULES: usize = 4;
/// Cut mark length.
const MARK: f32 = 5.0;

/// A page's drawings, ready for a document.
pub struct PageDraft {
    size: (f32, f32),
    draws: Vec<Draw>,
}

/// Lays out `cards` on pages of `layout`.
pub fn draft_pages(cards: &[BadgeCard], layout: Layout) -> Result<Vec<PageDraft>, RenderError> {
    let book = FontBook::get();
    let mut pages = Vec::with_capacity(cards.len().div_ceil(layout.per_page()));
    for chunk in cards.chunks(layout.per_page()) {
        let mut draws = Vec::new();
        for (slot, card) in chunk.iter().enumerate() {
            match layout {
                Layout::A6 => draw_a6(book, card, 0.0, 0.0, &mut draws)?,
                Layout::Card => draw_card(book, card, 0.0, 0.0, &mut draws)?,
                Layout::SheetA6 => {
                    let (col, row) = (slot % 2, slot / 2);
                    let x = col as f32 * A6.0;
                    // Slots of 148.5 mm; the badge sits centred in its slot.
                    let y = A4.1 - (row as f32 + 1.0) * (A4.1 / 2.0) + 0.25;
                    draw_a6(book, card, x, y, &mut draws)?;
                }
                Layout::SheetCard => {
                    let (x0, y0) = card_sheet_origin();
                    let (col, row) = (slot % 2, slot / 2);
                    let x = x0 + col as f32 * CARD.0;
                    let y = y0 + (4 - row) as f32 * CARD.1;
                    draw_card(book, card, x, y, &mut draws)?;
                }
            }
        }
        match layout {
            Layout::SheetA6 => sheet_a6_marks(&mut draws),
            Layout::SheetCard => sheet_card_marks(&mut draws),
            Layout::A6 | Layout::Card => {}
        }
        pages.push(PageDraft {
            size: layout.page_size(),
            draws,
        });
    }
    Ok(pages)
}

/// Lays out `cards` with `template`: a page per side, the back (when the
/// template has one) after its front.
pub fn draft_template_pages(
    cards: &[BadgeCard],
    template: &template::Template,
    assets: &template::Assets,
) -> Result<Vec<PageDraft>, RenderError> {
    let book = FontBook::get();
    let size = (template.width, template.height);
    let mut pages = Vec::with_capacity(cards.len() * 2);
    for card in cards {
        for side in std::iter::once(&template.front).chain(template.back.as_ref()) {
            let mut draws = Vec::new();
            template::draw_side(book, template, side, card, assets, (0.0, 0.0), &mut draws)?;
            pages.push(PageDraft { size, draws });
        }
    }
    Ok(pages)
}

/// One PDF file of `cards` printed with `template`.
pub fn render_template_pdf(
    cards: &[BadgeCard],
    template: &template::Template,
    assets: &template::Assets,
    title: &str,
) -> Result<Vec<u8>, RenderError> {
    let doc = document(draft_template_pages(cards, template, assets)?, title);
    let mut sink = sink::PdfSink::new();
    sink.append(sink::PdfSink::prepare(&doc));
    let mut bytes = sink.take();
    bytes.extend(sink.finish());
    Ok(bytes)
}

/// A PDF document of drafted pages, fonts added as used.
pub fn document(pages: Vec<PageDraft>, title: &str) -> PdfDocument {
    let book = FontBook::get();
    let mut doc = PdfDocument::new(title);
    let mut handles: Vec<Option<PdfFontHandle>> = vec![None; book.len()];
    for page in &pages {
        for draw in &page.draws {
            if let Draw::Text { line, .. } = draw {
                for face in line.faces() {
                    if handles[face].is_none() {
                        // Named by face, not at random as `add_font` would,
                        // so the same badge is the same file byte for byte.
                        // The name's six capitals are also its subset tag.
                        let id = printpdf::FontId(subset_tag(face));
                        let font = printpdf::PdfFont::new(book.face(face).pdf.clone());
                        doc.resources.fonts.map.insert(id.clone(), font);
                        handles[face] = Some(PdfFontHandle::External(id));
                    }
                }
            }
        }
    }
    let mut images = 0usize;
    let pdf_pages = pages
        .into_iter()
        .map(|page| {
            let mut ops = Vec::with_capacity(page.draws.len() * 4);
            for draw in page.draws {
                if let Draw::Photo(placed) = draw {
                    // The JPEG goes in as it is (DCTDecode): no re-encoding.
                    images += 1;
                    let id = printpdf::XObjectId(format!("Im{images}"));
                    doc.resources
                        .xobjects
                        .map
                        .insert(id.clone(), printpdf::XObject::External(placed.xobject()));
                    placed.ops(id, &mut ops);
                    continue;
                }
                emit(&mut ops, &handles, draw);
            }
            PdfPage::new(Mm(page.size.0), Mm(page.size.1), ops)
        })
        .collect();
    doc.with_pages(pdf_pages);
    doc
}

/// Six capitals naming the subset of face `face` in a file: `EXPOAA`,
/// `EXPOAB`...
fn subset_tag(face: usize) -> String {
    let letter = |n: usize| char::from(b'A' + (n % 26) as u8);
    format!("EXPO{}{}", letter(face / 26), letter(face))
}

/// Save options: compressed streams, subset fonts.
pub fn save_options() -> PdfSaveOptions {
    PdfSaveOptions {
        optimize: true,
        subset_fonts: true,
        secure: true,
        image_optimization: None,
    }
}

/// One PDF file of `cards`.
pub fn render_pdf(
    cards: &[BadgeCard],
    layout: Layout,
    title: &str,
) -> Result<Vec<u8>, RenderError> {
    let doc = document(draft_pages(cards, layout)?, title);
    let mut sink = sink::PdfSink::new();
    sink.append(sink::PdfSink::prepare(&doc));
    let mut bytes = sink.take();
    bytes.extend(sink.finish());
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::fit::PT_PER_MM;

    pub(crate) fn sample(given: &str, family: &str, native: &str) -> BadgeCard {
        BadgeCard {
            event_name: "INNOPROM. Central Asia 2026".into(),
            event_line: "14–16 April 2026 · Uzexpocentre, Tashkent".into(),
            given_name: given.into(),
            family_name: family.into(),
            native_name: native.into(),
            organization: "Uzbek Metallurgical Plant JSC".into(),
            country_code: "UZ".into(),
            country_name: "Uzbekistan".into(),
            category_name: "Delegate".into(),
            category_names_also: vec!["Делегат".into(), "Delegat".into()],
            category_color: "#1F5FAF".into(),
            number: "0001042-1".into(),
            qr_text: format!("EP1:{}", "A".repeat(141)),
            photo: None,
            answers: Vec::new(),
            values: Default::default(),
            zones: vec!["Hall A".into(), "Plenary".into()],
            days: "14–16 April".into(),
        }
    }

    #[test]
    fn every_layout_renders_a_small_pdf() {
        let cards = vec![
            sample("Oʻgʻiloy", "Gʻulomova", "Ўғилой Ғуломова"),
            sample("Aigerim", "Nurlanqyzy", "Әйгерім Нұрланқызы"),
            sample("Wei", "Zhang", "张伟"),
            sample("Mohammed", "Al-Rashid", "محمد الراشد"),
            sample(
                "Maximilian-Alexander Friedrich",
                "von Hohenzollern-Sigmaringen",
                "",
            ),
        ];
        for layout in [Layout::A6, Layout::Card, Layout::SheetA6, Layout::SheetCard] {
            let pdf = render_pdf(&cards, layout, "test").unwrap();
            assert!(pdf.starts_with(b"%PDF"));
            if let Ok(dir) = std::env::var("EXPOPASS_RENDER_DIR") {
                std::fs::write(format!("{dir}/{layout:?}.pdf"), &pdf).unwrap();
            }
        }
        let one = render_pdf(&cards[3..4], Layout::A6, "test").unwrap();
        assert!(one.len() < 60 * 1024, "one A6 badge is {} bytes", one.len());
    }

    /// (x1, y1, x2, y2) in mm of every text line and of the QR with its
    /// quiet zone.
    /// (x1, y1, x2, y2) in mm.
    type Box = (f32, f32, f32, f32);

    fn boxes(page: &PageDraft) -> (Vec<Box>, Option<Box>) {
        let mut texts = Vec::new();
        let mut qr = None;
        for draw in &page.draws {
            match draw {
                Draw::Text {
                    line, size, x, y, ..
                } => {
                    let w = line.width_pt(*size) / PT_PER_MM;
                    let s = size / PT_PER_MM;
                    texts.push((*x, y - 0.25 * s, x + w, y + 0.75 * s));
                }
                Draw::Qr {
                    width,
                    x,
                    y,
                    module,
                    ..
                } => {
                    let quiet = QUIET_MODULES as f32 * module;
                    let side = *width as f32 * module;
                    qr = Some((x - quiet, y - quiet, x + side + quiet, y + side + quiet));
                }
                _ => {}
            }
        }
        (texts, qr)
    }

    #[test]
    fn long_names_shrink_or_wrap_and_never_leave_the_badge_or_cover_the_qr() {
        let long_word = "Wolfeschlegelsteinhausenbergerdorffwelchevoralternwarengewissenhaft";
        let cards = [
            sample(
                "Maximilian Alexander Friedrich Wilhelm",
                "von Hohenzollern-Sigmaringen und Thurn",
                "Максимилиан Александр Фридрих фон Гогенцоллерн",
            ),
            sample(long_word, long_word, long_word),
            sample(
                "Abdulaziz",
                "Al Saud",
                "عبد العزيز بن عبد الرحمن بن فيصل بن تركي بن عبد الله آل سعود",
            ),
            {
                let mut card = sample("Li", "Wang", "王丽");
                card.organization = "Joint Stock Company Almalyk Mining and Metallurgical Complex of the Republic of Uzbekistan, Tashkent Regional Branch".into();
                card.event_name = "INNOPROM. Central Asia — International Industrial Trade Fair and Forum of the Republic of Uzbekistan".into();
                card
            },
        ];
        for layout in [Layout::A6, Layout::Card] {
            if let Ok(dir) = std::env::var("EXPOPASS_RENDER_DIR") {
                let pdf = render_pdf(&cards, layout, "long").unwrap();
                std::fs::write(format!("{dir}/long-{layout:?}.pdf"), pdf).unwrap();
            }
            let (pw, ph) = layout.page_size();
            for card in &cards {
                let pages = draft_pages(std::slice::from_ref(card), layout).unwrap();
                let (texts, qr) = boxes(&pages[0]);
                let qr = qr.unwrap();
                for (i, t) in texts.iter().enumerate() {
                    assert!(
                        t.0 >= 0.5 && t.2 <= pw - 0.5,
                        "{layout:?} line {i} leaves the badge sideways: {t:?}"
                    );
                    assert!(
                        t.1 >= 0.0 && t.3 <= ph,
                        "{layout:?} line {i} leaves the badge: {t:?}"
                    );
                    let overlaps = t.0 < qr.2 && t.2 > qr.0 && t.1 < qr.3 && t.3 > qr.1;
                    assert!(
                        !overlaps,
                        "{layout:?} line {i} {t:?} covers the QR {qr:?} ({})",
                        card.given_name
                    );
                }
                for (i, a) in texts.iter().enumerate() {
                    for b in &texts[i + 1..] {
                        let overlaps = a.0 < b.2 && a.2 > b.0 && a.1 < b.3 && a.3 > b.1;
                        assert!(
                            !overlaps,
                            "{layout:?}: lines {a:?} and {b:?} overlap ({})",
                            card.given_name
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn the_sink_writes_one_valid_file() {
        let cards: Vec<_> = (0..9)
            .map(|i| sample(&format!("Name{i}"), "Family", "张伟"))
            .collect();
        let mut sink = sink::PdfSink::new();
        let mut file = Vec::new();
        for chunk in cards.chunks(4) {
            sink.append(sink::PdfSink::prepare(&document(
                draft_pages(chunk, Layout::SheetA6).unwrap(),
                "t",
            )));
            file.extend(sink.take());
        }
        file.extend(sink.finish());
        let doc = lopdf::Document::load_mem(&file).unwrap();
        assert_eq!(doc.get_pages().len(), 3);
        if let Ok(dir) = std::env::var("EXPOPASS_RENDER_DIR") {
            std::fs::write(format!("{dir}/sink.pdf"), &file).unwrap();
        }
    }
}
