//! Badge PDFs: layouts, text in every shipped script, the QR as vector
//! graphics. Pure: no database, no transport. `sink` turns batches of pages
//! into one PDF streamed in pieces.

pub(crate) mod fonts;
pub(crate) mod sink;
pub(crate) mod text;

use printpdf::{
    Color, CurTransMat, Line, LinePoint, Mm, Op, PaintMode, PdfDocument, PdfFontHandle, PdfPage,
    PdfSaveOptions, Point, Polygon, PolygonRing, Pt, Rgb, WindingOrder,
};

use fonts::{BOLD, FaceId, FontBook, REGULAR};
use text::{ShapedLine, shape};

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
    /// `#RRGGBB`.
    pub category_color: String,
    /// Printed badge number.
    pub number: String,
    pub qr_text: String,
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

/// Drawing primitives of a page, in millimetres from the page's bottom left.
enum Draw {
    Text {
        line: ShapedLine,
        size: f32,
        x: f32,
        y: f32,
        color: Rgb,
    },
    Rect {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        color: Rgb,
    },
    Qr {
        modules: Vec<bool>,
        width: usize,
        x: f32,
        y: f32,
        module: f32,
    },
    Mark {
        x1: f32,
        y1: f32,
        x2: f32,
        y2: f32,
    },
}

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
                        let id = doc.add_font(&book.face(face).pdf);
                        handles[face] = Some(PdfFontHandle::External(id));
                    }
                }
            }
        }
    }
    let pdf_pages = pages
        .into_iter()
        .map(|page| {
            let mut ops = Vec::with_capacity(page.draws.len() * 4);
            for draw in page.draws {
                emit(&mut ops, &handles, draw);
            }
            PdfPage::new(Mm(page.size.0), Mm(page.size.1), ops)
        })
        .collect();
    doc.with_pages(pdf_pages);
    doc
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

fn emit(ops: &mut Vec<Op>, handles: &[Option<PdfFontHandle>], draw: Draw) {
    match draw {
        Draw::Text {
            line,
            size,
            x,
            y,
            color,
        } => {
            ops.push(Op::SetFillColor {
                col: Color::Rgb(color),
            });
            line.show(ops, handles, size, Mm(x), Mm(y));
        }
        Draw::Rect { x, y, w, h, color } => {
            ops.push(Op::SetFillColor {
                col: Color::Rgb(color),
            });
            ops.push(Op::DrawPolygon {
                polygon: Polygon {
                    rings: vec![rect_ring(x, y, w, h)],
                    mode: PaintMode::Fill,
                    winding_order: WindingOrder::NonZero,
                },
            });
        }
        Draw::Qr {
            modules,
            width,
            x,
            y,
            module,
        } => {
            // Drawn in module units under a scaling matrix: whole numbers
            // make a short content stream.
            let scale = Pt::from(Mm(module)).0;
            ops.push(Op::SaveGraphicsState);
            ops.push(Op::SetTransformationMatrix {
                matrix: CurTransMat::Raw([
                    scale,
                    0.0,
                    0.0,
                    scale,
                    Pt::from(Mm(x)).0,
                    Pt::from(Mm(y)).0,
                ]),
            });
            ops.push(Op::SetFillColor {
                col: Color::Rgb(rgb(0, 0, 0)),
            });
            // One filled rectangle (`re f`) per horizontal run of dark
            // modules, grown downwards over rows with the same run.
            let mut used = vec![false; modules.len()];
            for row in 0..width {
                let mut col = 0;
                while col < width {
                    let at = row * width + col;
                    if !modules[at] || used[at] {
                        col += 1;
                        continue;
                    }
                    let start = col;
                    while col < width && modules[row * width + col] && !used[row * width + col] {
                        col += 1;
                    }
                    let run = start..col;
                    // Rows below with exactly this run (dark inside, light or
                    // edge at both ends) join the rectangle.
                    let mut rows = 1;
                    while row + rows < width {
                        let r = row + rows;
                        let inside = run
                            .clone()
                            .all(|c| modules[r * width + c] && !used[r * width + c]);
                        let left_ok = start == 0
                            || !modules[r * width + start - 1]
                            || used[r * width + start - 1];
                        let right_ok = col == width || !modules[r * width + col];
                        if !(inside && left_ok && right_ok) {
                            break;
                        }
                        rows += 1;
                    }
                    for r in row..row + rows {
                        for c in run.clone() {
                            used[r * width + c] = true;
                        }
                    }
                    ops.push(Op::DrawRectangle {
                        rectangle: printpdf::Rect {
                            x: Pt(start as f32),
                            y: Pt((width - row - rows) as f32),
                            width: Pt((col - start) as f32),
                            height: Pt(rows as f32),
                            mode: Some(PaintMode::Fill),
                            winding_order: Some(WindingOrder::NonZero),
                        },
                    });
                }
            }
            ops.push(Op::RestoreGraphicsState);
        }
        Draw::Mark { x1, y1, x2, y2 } => {
            ops.push(Op::SetOutlineColor {
                col: Color::Rgb(rgb(0, 0, 0)),
            });
            ops.push(Op::SetOutlineThickness { pt: Pt(0.3) });
            ops.push(Op::DrawLine {
                line: Line {
                    points: vec![point(x1, y1), point(x2, y2)],
                    is_closed: false,
                },
            });
        }
    }
}

fn point(x: f32, y: f32) -> LinePoint {
    LinePoint {
        p: Point {
            x: Mm(x).into(),
            y: Mm(y).into(),
        },
        bezier: false,
    }
}

fn rect_ring(x: f32, y: f32, w: f32, h: f32) -> PolygonRing {
    PolygonRing {
        points: vec![
            point(x, y),
            point(x + w, y),
            point(x + w, y + h),
            point(x, y + h),
        ],
    }
}

fn rgb(r: u8, g: u8, b: u8) -> Rgb {
    Rgb {
        r: f32::from(r) / 255.0,
        g: f32::from(g) / 255.0,
        b: f32::from(b) / 255.0,
        icc_profile: None,
    }
}

/// `#RRGGBB` to a colour; grey when malformed (the event service
/// validates colours, this is only a guard).
fn parse_color(hex: &str) -> (u8, u8, u8) {
    let hex = hex.trim_start_matches('#');
    let channel = |i: usize| {
        hex.get(i..i + 2)
            .and_then(|h| u8::from_str_radix(h, 16).ok())
    };
    match (channel(0), channel(2), channel(4)) {
        (Some(r), Some(g), Some(b)) if hex.len() == 6 => (r, g, b),
        _ => (0x80, 0x80, 0x80),
    }
}

/// Black or white, whichever reads better on `(r, g, b)`.
fn text_on(r: u8, g: u8, b: u8) -> Rgb {
    let luminance = 0.2126 * f32::from(r) + 0.7152 * f32::from(g) + 0.0722 * f32::from(b);
    if luminance > 150.0 {
        rgb(0, 0, 0)
    } else {
        rgb(255, 255, 255)
    }
}

const PT_PER_MM: f32 = 72.0 / 25.4;

/// A text block fitted into a box: centred lines at the largest size up to
/// `max_size` whose lines fit `width` mm, wrapping at spaces into at most
/// `max_lines` lines before shrinking below `min_size`.
struct Fitted {
    lines: Vec<ShapedLine>,
    size: f32,
}

fn fit(
    book: &FontBook,
    text: &str,
    face: FaceId,
    width: f32,
    max_size: f32,
    min_size: f32,
    max_lines: usize,
) -> Fitted {
    let width_pt = width * PT_PER_MM;
    let single = shape(book, text, face);
    let size_for = |lines: &[ShapedLine]| -> f32 {
        let widest = lines.iter().map(|l| l.width_pt(1.0)).fold(0.0f32, f32::max);
        if widest <= 0.0 {
            max_size
        } else {
            (width_pt / widest).min(max_size)
        }
    };
    let one = size_for(std::slice::from_ref(&single));
    if one >= min_size || max_lines < 2 || !text.contains(' ') {
        return Fitted {
            size: one,
            lines: vec![single],
        };
    }
    // Wrap: the split into two lines (at a space) whose wider half is the
    // narrowest, then three if that is not enough.
    let words: Vec<&str> = text.split(' ').filter(|w| !w.is_empty()).collect();
    let mut best: Option<Fitted> = None;
    for lines_wanted in 2..=max_lines.min(words.len()) {
        let candidate = split_balanced(&words, lines_wanted);
        let shaped: Vec<ShapedLine> = candidate.iter().map(|l| shape(book, l, face)).collect();
        let size = size_for(&shaped);
        let better = best.as_ref().is_none_or(|b| size > b.size);
        if better {
            best = Some(Fitted {
                size,
                lines: shaped,
            });
        }
        if size >= min_size {
            break;
        }
    }
    best.unwrap_or(Fitted {
        size: one,
        lines: vec![single],
    })
}

/// Splits words into `n` lines of balanced character counts.
fn split_balanced(words: &[&str], n: usize) -> Vec<String> {
    let total: usize = words.iter().map(|w| w.chars().count() + 1).sum();
    let target = total.div_ceil(n);
    let mut lines = Vec::with_capacity(n);
    let mut current = String::new();
    for (i, word) in words.iter().enumerate() {
        let remaining_words = words.len() - i;
        let remaining_lines = n - lines.len();
        if !current.is_empty()
            && (current.chars().count() + word.chars().count() > target
                || remaining_words < remaining_lines)
            && lines.len() + 1 < n
        {
            lines.push(std::mem::take(&mut current));
        }
        if !current.is_empty() {
            current.push(' ');
        }
        current.push_str(word);
    }
    if !current.is_empty() {
        lines.push(current);
    }
    lines
}

/// Places a fitted block centred on `cx`, first baseline at `y` (mm from the
/// bottom), lines `leading` × size apart downwards. Returns the baseline of
/// the last line.
fn place(draws: &mut Vec<Draw>, fitted: Fitted, cx: f32, y: f32, color: &Rgb) -> f32 {
    let size = fitted.size;
    let step = size * 1.15 / PT_PER_MM;
    let mut baseline = y;
    for (i, line) in fitted.lines.into_iter().enumerate() {
        baseline = y - i as f32 * step;
        let w = line.width_pt(size) / PT_PER_MM;
        draws.push(Draw::Text {
            line,
            size,
            x: cx - w / 2.0,
            y: baseline,
            color: color.clone(),
        });
    }
    baseline
}

/// Places a block left-aligned at `x`.
fn place_left(draws: &mut Vec<Draw>, fitted: Fitted, x: f32, y: f32, color: &Rgb) -> f32 {
    let size = fitted.size;
    let step = size * 1.15 / PT_PER_MM;
    let mut baseline = y;
    for (i, line) in fitted.lines.into_iter().enumerate() {
        baseline = y - i as f32 * step;
        draws.push(Draw::Text {
            line,
            size,
            x,
            y: baseline,
            color: color.clone(),
        });
    }
    baseline
}

fn qr(text: &str, x: f32, y: f32, side: f32) -> Result<Draw, RenderError> {
    let code = qrcode::QrCode::with_error_correction_level(text.as_bytes(), qrcode::EcLevel::M)
        .map_err(|e| RenderError::Qr(e.to_string()))?;
    let width = code.width();
    let modules = code
        .to_colors()
        .into_iter()
        .map(|c| c == qrcode::Color::Dark)
        .collect();
    let module = side / (width + 2 * QUIET_MODULES) as f32;
    let offset = QUIET_MODULES as f32 * module;
    Ok(Draw::Qr {
        modules,
        width,
        x: x + offset,
        y: y + offset,
        module,
    })
}

/// The native-script name, when there is one worth printing: different
/// from the Latin name and fully drawable (a name the fonts cannot show
/// is left off rather than printed with holes).
fn native_line(book: &FontBook, card: &BadgeCard) -> Option<String> {
    let native = card.native_name.trim();
    if native.is_empty() {
        return None;
    }
    let latin = format!("{} {}", card.given_name, card.family_name);
    if native.eq_ignore_ascii_case(latin.trim()) {
        return None;
    }
    let shaped = shape(book, native, REGULAR);
    if shaped.missing > 0 {
        tracing::warn!(
            chars = shaped.missing,
            "native name has characters no badge font can show; left off the badge"
        );
        return None;
    }
    Some(native.to_owned())
}

/// Text sizes are tried at these scales, largest first, until the block
/// fits above what follows it.
const SCALES: [f32; 6] = [1.0, 0.9, 0.8, 0.7, 0.6, 0.5];

/// The personal block of a badge (names, organisation, country) laid out
/// from `first_baseline` downwards at `scale`; returns its draws and the
/// lowest point its text reaches (mm).
fn personal_block(
    book: &FontBook,
    card: &BadgeCard,
    scale: f32,
    width: f32,
    anchor: Anchor,
    first_baseline: f32,
    sizes: &BlockSizes,
) -> (Vec<Draw>, f32) {
    let ink = rgb(0x1a, 0x1a, 0x1a);
    let grey = rgb(0x55, 0x55, 0x55);
    let mut draws = Vec::new();
    let mut put = |fitted: Fitted, y: f32, color: &Rgb| -> f32 {
        match anchor {
            Anchor::Centre(cx) => place(&mut draws, fitted, cx, y, color),
            Anchor::Left(x) => place_left(&mut draws, fitted, x, y, color),
        }
    };
    let gap = |size: f32| size * scale * 0.42 / PT_PER_MM + 1.2 * scale;
    let lines = if sizes.wrap { 2 } else { 1 };
    let given = fit(
        book,
        &card.given_name,
        BOLD,
        width,
        sizes.name * scale,
        sizes.name_min * scale,
        lines,
    );
    let size = given.size;
    let mut last = put(given, first_baseline, &ink);
    let family = fit(
        book,
        &card.family_name.to_uppercase(),
        BOLD,
        width,
        sizes.name * scale,
        sizes.name_min * scale,
        lines,
    );
    let family_size = family.size;
    last = put(family, last - size.max(family_size) * 1.1 / PT_PER_MM, &ink);
    let mut lowest = last - family_size * 0.25 / PT_PER_MM;
    let mut below = gap(sizes.native);
    if let Some(native) = native_line(book, card) {
        let fitted = fit(
            book,
            &native,
            REGULAR,
            width,
            sizes.native * scale,
            sizes.native_min * scale,
            lines,
        );
        let size = fitted.size;
        last = put(fitted, last - size / PT_PER_MM - below, &ink);
        lowest = last - size * 0.3 / PT_PER_MM;
        below = gap(sizes.small);
    }
    if !card.organization.is_empty() {
        let fitted = fit(
            book,
            &card.organization,
            REGULAR,
            width,
            sizes.small * scale,
            sizes.small_min * scale,
            2,
        );
        let size = fitted.size;
        last = put(fitted, last - size / PT_PER_MM - below, &ink);
        lowest = last - size * 0.3 / PT_PER_MM;
        below = gap(sizes.small) * 0.6;
    }
    let country = format!("{} · {}", card.country_name, card.country_code);
    let fitted = fit(
        book,
        &country,
        REGULAR,
        width,
        sizes.small * 0.9 * scale,
        sizes.small_min * scale,
        1,
    );
    let size = fitted.size;
    last = put(fitted, last - size / PT_PER_MM - below, &grey);
    lowest = lowest.min(last - size * 0.3 / PT_PER_MM);
    (draws, lowest)
}

/// How a block is aligned.
#[derive(Clone, Copy)]
enum Anchor {
    Centre(f32),
    Left(f32),
}

/// Largest and smallest sizes (pt) of a block's lines.
struct BlockSizes {
    name: f32,
    name_min: f32,
    native: f32,
    native_min: f32,
    small: f32,
    small_min: f32,
    /// Whether names may wrap onto a second line.
    wrap: bool,
}

/// Lays out the personal block at the largest scale whose text stays above
/// `floor`.
#[expect(
    clippy::too_many_arguments,
    reason = "a layout step takes the badge, the fonts, its frame and its sizes"
)]
fn fitted_block(
    book: &FontBook,
    card: &BadgeCard,
    width: f32,
    anchor: Anchor,
    first_baseline: f32,
    floor: f32,
    sizes: &BlockSizes,
    draws: &mut Vec<Draw>,
) {
    let mut chosen = None;
    for scale in SCALES {
        let (block, lowest) =
            personal_block(book, card, scale, width, anchor, first_baseline, sizes);
        let fits = lowest >= floor;
        chosen = Some(block);
        if fits {
            break;
        }
    }
    draws.extend(chosen.unwrap_or_default());
}

fn draw_a6(
    book: &FontBook,
    card: &BadgeCard,
    x0: f32,
    y0: f32,
    draws: &mut Vec<Draw>,
) -> Result<(), RenderError> {
    let (w, h) = A6;
    let cx = x0 + w / 2.0;
    let top = y0 + h;
    let inner = w - 12.0;
    let ink = rgb(0x1a, 0x1a, 0x1a);
    let grey = rgb(0x55, 0x55, 0x55);

    let event = fit(book, &card.event_name, BOLD, inner, 13.0, 9.0, 2);
    let last = place(draws, event, cx, top - 11.0, &ink);
    let last = place(
        draws,
        fit(book, &card.event_line, REGULAR, inner, 8.5, 6.0, 1),
        cx,
        last - 5.5,
        &grey,
    );
    let rule = last - 3.5;
    draws.push(Draw::Rect {
        x: x0 + 6.0,
        y: rule,
        w: inner,
        h: 0.4,
        color: grey.clone(),
    });

    // QR, 40 mm with its quiet zone, above the number and the band.
    let band = 20.0;
    let side = 40.0;
    let qr_y = y0 + band + 7.0;
    let sizes = BlockSizes {
        name: 26.0,
        name_min: 14.0,
        native: 16.0,
        native_min: 10.0,
        small: 11.0,
        small_min: 7.0,
        wrap: true,
    };
    fitted_block(
        book,
        card,
        inner,
        Anchor::Centre(cx),
        rule - 11.5,
        qr_y + side + 1.0,
        &sizes,
        draws,
    );
    draws.push(qr(&card.qr_text, cx - side / 2.0, qr_y, side)?);
    place(
        draws,
        fit(book, &card.number, REGULAR, inner, 8.0, 6.0, 1),
        cx,
        qr_y - 3.5,
        &grey,
    );

    category_band(book, card, (x0, y0, w, band), inner, (22.0, 10.0), draws);
    Ok(())
}

fn draw_card(
    book: &FontBook,
    card: &BadgeCard,
    x0: f32,
    y0: f32,
    draws: &mut Vec<Draw>,
) -> Result<(), RenderError> {
    let (w, h) = CARD;
    let top = y0 + h;
    let grey = rgb(0x55, 0x55, 0x55);
    let band = 8.0;
    // 36 mm with the quiet zone: 30 mm of modules (0.73 mm each), so a
    // worn or blurred card still reads (docs/qr-format.md).
    let side = 36.0;
    let left = x0 + 4.0;
    let column = w - side - 4.0 - 2.0;

    place_left(
        draws,
        fit(book, &card.event_name, BOLD, column, 7.0, 5.0, 1),
        left,
        top - 5.5,
        &grey,
    );
    let sizes = BlockSizes {
        name: 13.0,
        name_min: 8.0,
        native: 10.0,
        native_min: 6.0,
        small: 7.5,
        small_min: 5.0,
        wrap: false,
    };
    fitted_block(
        book,
        card,
        column,
        Anchor::Left(left),
        top - 12.5,
        y0 + band + 1.0,
        &sizes,
        draws,
    );

    let qr_x = x0 + w - side - 1.0;
    let qr_y = top - side - 1.0;
    draws.push(qr(&card.qr_text, qr_x, qr_y, side)?);
    place(
        draws,
        fit(book, &card.number, REGULAR, side, 6.0, 5.0, 1),
        qr_x + side / 2.0,
        qr_y - 2.3,
        &grey,
    );

    category_band(book, card, (x0, y0, w, band), w - 8.0, (11.0, 6.0), draws);
    Ok(())
}

/// The band at the foot of a badge, in the category colour, with the
/// category name centred in black or white. `frame` is (x, y, width,
/// height) of the band; `sizes` the largest and smallest label size.
fn category_band(
    book: &FontBook,
    card: &BadgeCard,
    frame: (f32, f32, f32, f32),
    label_width: f32,
    sizes: (f32, f32),
    draws: &mut Vec<Draw>,
) {
    let (x, y, w, h) = frame;
    let (r, g, b) = parse_color(&card.category_color);
    draws.push(Draw::Rect {
        x,
        y,
        w,
        h,
        color: rgb(r, g, b),
    });
    let label = fit(
        book,
        &card.category_name.to_uppercase(),
        BOLD,
        label_width,
        sizes.0,
        sizes.1,
        1,
    );
    let size = label.size;
    place(
        draws,
        label,
        x + w / 2.0,
        y + h / 2.0 - size * 0.36 / PT_PER_MM,
        &text_on(r, g, b),
    );
}

fn card_sheet_origin() -> (f32, f32) {
    ((A4.0 - 2.0 * CARD.0) / 2.0, (A4.1 - 5.0 * CARD.1) / 2.0)
}

/// Ticks at the page edges where the cuts between the four A6 run.
fn sheet_a6_marks(draws: &mut Vec<Draw>) {
    let (w, h) = A4;
    let mid_x = w / 2.0;
    let mid_y = h / 2.0;
    draws.push(Draw::Mark {
        x1: mid_x,
        y1: 0.0,
        x2: mid_x,
        y2: MARK,
    });
    draws.push(Draw::Mark {
        x1: mid_x,
        y1: h - MARK,
        x2: mid_x,
        y2: h,
    });
    draws.push(Draw::Mark {
        x1: 0.0,
        y1: mid_y,
        x2: MARK,
        y2: mid_y,
    });
    draws.push(Draw::Mark {
        x1: w - MARK,
        y1: mid_y,
        x2: w,
        y2: mid_y,
    });
}

/// Ticks in the margins on every cut line of the 2 × 5 card grid.
fn sheet_card_marks(draws: &mut Vec<Draw>) {
    let (w, h) = A4;
    let (x0, y0) = card_sheet_origin();
    let gap = 2.0;
    for col in 0..=2 {
        let x = x0 + col as f32 * CARD.0;
        draws.push(Draw::Mark {
            x1: x,
            y1: y0 - gap - MARK,
            x2: x,
            y2: y0 - gap,
        });
        draws.push(Draw::Mark {
            x1: x,
            y1: h - y0 + gap,
            x2: x,
            y2: h - y0 + gap + MARK,
        });
    }
    for row in 0..=5 {
        let y = y0 + row as f32 * CARD.1;
        draws.push(Draw::Mark {
            x1: x0 - gap - MARK,
            y1: y,
            x2: x0 - gap,
            y2: y,
        });
        draws.push(Draw::Mark {
            x1: w - x0 + gap,
            y1: y,
            x2: w - x0 + gap + MARK,
            y2: y,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
            category_color: "#1F5FAF".into(),
            number: "0001042-1".into(),
            qr_text: format!("EP1:{}", "A".repeat(141)),
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
