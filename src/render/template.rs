//! Badge templates: a layout document an organiser writes (millimetres
//! from the page's top left, a front side and an optional back), the
//! validator that holds it to the floors the gates need, and its drawing
//! with the same fonts, fitting and QR as the built-in layouts.
//!
//! The document is parsed strictly: an unknown key is refused, so a typo
//! never silently prints a default.

use std::collections::BTreeMap;

use printpdf::Rgb;
use serde::{Deserialize, Serialize};

use super::{
    BadgeCard, QUIET_MODULES, RenderError,
    draw::{Draw, PhotoSource, parse_color, photo, qr, rgb, text_on},
    fit::{Fitted, PT_PER_MM, fit},
    fonts::{BOLD, FontBook, REGULAR},
    text::shape,
};

/// The smallest page side and the largest (A3's long side), mm.
pub const MIN_PAGE: f32 = 40.0;
pub const MAX_PAGE: f32 = 420.0;
/// The smallest QR a gate camera reads at arm's length: modules only, the
/// quiet zone comes on top (docs/qr-format.md).
pub const MIN_QR: f32 = 30.0;
/// Elements on one side.
pub const MAX_ELEMENTS: usize = 60;
/// Text sizes, pt.
pub const MIN_TEXT: f32 = 4.0;
pub const MAX_TEXT: f32 = 160.0;
/// Lines of one text element.
pub const MAX_LINES: u8 = 6;
/// Fixed text, characters per language.
pub const MAX_FIXED_TEXT: usize = 200;
/// Modules of the badge QR's side (version 6): what the quiet zone is
/// measured in before the payload is known.
const QR_MODULES: f32 = 41.0;

/// A badge template.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Template {
    /// Page width, mm.
    pub width: f32,
    /// Page height, mm.
    pub height: f32,
    /// The language of fixed texts: `en`, `ru` or `uz` (English when a
    /// text lacks it).
    #[serde(default = "english")]
    pub language: String,
    pub front: Side,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub back: Option<Side>,
}

fn english() -> String {
    "en".to_owned()
}

/// One side of a badge: a background and elements drawn in order, later
/// ones over earlier ones.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Side {
    /// An uploaded asset (`asset:<sha256>`) covering the page; empty for
    /// none.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub background: String,
    #[serde(default)]
    pub elements: Vec<Element>,
}

/// What a side shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Element {
    Text(TextElement),
    Rect(RectElement),
    Image(ImageElement),
    Qr(QrElement),
}

/// A box: x and y of its top-left corner, width and height, mm.
pub type BoxMm = [f32; 4];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TextElement {
    #[serde(rename = "box")]
    pub at: BoxMm,
    /// What it prints: see [`Binding`].
    pub bind: String,
    /// The text of `bind = "text"`, by language.
    #[serde(default, skip_serializing_if = "FixedText::is_empty")]
    pub text: FixedText,
    /// The largest size, pt.
    #[serde(default = "twelve")]
    pub size: f32,
    /// The smallest size the text shrinks to before it wraps or is
    /// reported as not fitting; the size itself when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_size: Option<f32>,
    #[serde(default = "one")]
    pub max_lines: u8,
    #[serde(default)]
    pub fit: FitMode,
    #[serde(default)]
    pub align: Align,
    #[serde(default)]
    pub weight: Weight,
    /// `#RRGGBB`, `category` (the category's colour) or `on_category`
    /// (black or white, whichever reads on the category's colour).
    #[serde(default = "ink")]
    pub color: String,
    #[serde(default)]
    pub upper: bool,
}

fn twelve() -> f32 {
    12.0
}
fn one() -> u8 {
    1
}
fn ink() -> String {
    "#1A1A1A".to_owned()
}

/// Fixed text in the operators' languages.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FixedText {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub en: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub ru: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub uz: String,
}

impl FixedText {
    fn is_empty(&self) -> bool {
        self.en.is_empty() && self.ru.is_empty() && self.uz.is_empty()
    }

    fn get(&self, language: &str) -> &str {
        let chosen = match language {
            "ru" => &self.ru,
            "uz" => &self.uz,
            _ => &self.en,
        };
        if chosen.is_empty() { &self.en } else { chosen }
    }
}

/// How text meets its box.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FitMode {
    /// One line, smaller until it fits.
    Shrink,
    /// Lines at the size, up to `max_lines`, smaller only past them.
    Wrap,
    /// Smaller down to `min_size`, then lines.
    #[default]
    ShrinkThenWrap,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Align {
    Left,
    #[default]
    #[serde(alias = "center")]
    Centre,
    Right,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Weight {
    #[default]
    Regular,
    Bold,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RectElement {
    #[serde(rename = "box")]
    pub at: BoxMm,
    /// `#RRGGBB` or `category`.
    pub fill: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImageElement {
    #[serde(rename = "box")]
    pub at: BoxMm,
    /// `photo` (the holder's) or `asset:<sha256>` (an uploaded image).
    pub source: String,
    #[serde(default)]
    pub fit: ImageFit,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImageFit {
    /// The whole image, inside the box.
    #[default]
    Contain,
    /// The box filled, the image's overflow cut.
    Cover,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QrElement {
    /// x and y of the symbol's top-left corner, mm; the quiet zone lies
    /// around it.
    pub at: [f32; 2],
    /// The symbol's side, mm, quiet zone excluded.
    pub size: f32,
}

/// What a text element prints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Binding {
    GivenName,
    FamilyName,
    FullName,
    NativeName,
    Organization,
    CountryName,
    CountryCode,
    CategoryName,
    Number,
    Zones,
    Days,
    EventName,
    EventLine,
    /// The shown answer to a custom field.
    Field(String),
    /// The element's fixed text.
    Fixed,
}

impl Binding {
    /// The binding `text` names; `None` when it names none.
    pub fn parse(text: &str) -> Option<Binding> {
        Some(match text {
            "given_name" => Binding::GivenName,
            "family_name" => Binding::FamilyName,
            "full_name" => Binding::FullName,
            "native_name" => Binding::NativeName,
            "organization" => Binding::Organization,
            "country_name" => Binding::CountryName,
            "country_code" => Binding::CountryCode,
            "category_name" => Binding::CategoryName,
            "number" => Binding::Number,
            "zones" => Binding::Zones,
            "days" => Binding::Days,
            "event_name" => Binding::EventName,
            "event_line" => Binding::EventLine,
            "text" => Binding::Fixed,
            other => {
                let key = other.strip_prefix("field:")?;
                let ok = key.len() >= 2
                    && key.len() <= 40
                    && key.starts_with(|c: char| c.is_ascii_lowercase())
                    && key
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
                if !ok {
                    return None;
                }
                Binding::Field(key.to_owned())
            }
        })
    }
}

/// Why a document is not a template, with the place in it.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    /// `front.elements[2].box`, `width`...
    pub path: String,
    pub kind: ProblemKind,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ProblemKind {
    /// The document does not read (syntax, a type, an unknown key).
    Unreadable(String),
    /// A number out of its range.
    OutOfRange {
        min: f32,
        max: f32,
    },
    /// A box or a QR's quiet zone reaches outside the page.
    OutsidePage,
    /// The QR is smaller than [`MIN_QR`].
    QrTooSmall {
        min: f32,
    },
    /// An element drawn over the QR's quiet zone.
    CoversQr,
    /// No QR on the front.
    NoQr,
    /// More than one QR.
    SecondQr,
    UnknownBinding,
    NotAColor,
    UnknownSource,
    UnknownLanguage,
    TooManyElements {
        max: usize,
    },
    /// Fixed text missing, too long, or with characters no shipped font
    /// draws.
    BadText,
    /// A sample text cannot fit its box at the element's smallest size.
    DoesNotFit {
        sample: String,
    },
}

impl Template {
    /// A template from a JSON document.
    pub fn from_json(text: &str) -> Result<Template, Problem> {
        serde_json::from_str(text).map_err(|e| unreadable(e.to_string()))
    }

    /// A template from a TOML document.
    pub fn from_toml(text: &str) -> Result<Template, Problem> {
        toml::from_str(text).map_err(|e| unreadable(e.message().to_owned()))
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    fn sides(&self) -> impl Iterator<Item = (&'static str, &Side)> {
        std::iter::once(("front", &self.front)).chain(self.back.as_ref().map(|b| ("back", b)))
    }

    /// Every problem of the document, in document order; empty when it
    /// prints. `samples` are cards whose bound texts must fit their boxes
    /// at the smallest sizes allowed.
    pub fn check(&self, samples: &[BadgeCard]) -> Vec<Problem> {
        let mut out = Vec::new();
        let mut at = |path: String, kind: ProblemKind| out.push(Problem { path, kind });
        for (name, value) in [("width", self.width), ("height", self.height)] {
            if !(MIN_PAGE..=MAX_PAGE).contains(&value) {
                at(
                    name.to_owned(),
                    ProblemKind::OutOfRange {
                        min: MIN_PAGE,
                        max: MAX_PAGE,
                    },
                );
            }
        }
        if !matches!(self.language.as_str(), "en" | "ru" | "uz") {
            at("language".to_owned(), ProblemKind::UnknownLanguage);
        }
        let page = (self.width, self.height);
        let mut qrs = 0;
        for (side_name, side) in self.sides() {
            if !side.background.is_empty() && asset_hash(&side.background).is_none() {
                at(
                    format!("{side_name}.background"),
                    ProblemKind::UnknownSource,
                );
            }
            if side.elements.len() > MAX_ELEMENTS {
                at(
                    format!("{side_name}.elements"),
                    ProblemKind::TooManyElements { max: MAX_ELEMENTS },
                );
            }
            for (i, element) in side.elements.iter().enumerate() {
                let path = format!("{side_name}.elements[{i}]");
                let outer = element.outer_box();
                if !finite(&outer) || outer[2] <= 0.0 || outer[3] <= 0.0 {
                    at(
                        format!("{path}.box"),
                        ProblemKind::OutOfRange {
                            min: 0.0,
                            max: page.0.max(page.1),
                        },
                    );
                    continue;
                }
                if !inside(&outer, page) {
                    let field = if matches!(element, Element::Qr(_)) {
                        "at"
                    } else {
                        "box"
                    };
                    at(format!("{path}.{field}"), ProblemKind::OutsidePage);
                }
                match element {
                    Element::Text(t) => check_text(t, &path, &self.language, &mut at),
                    Element::Rect(r) => {
                        if color_of(&r.fill, false).is_none() {
                            at(format!("{path}.fill"), ProblemKind::NotAColor);
                        }
                    }
                    Element::Image(img) => {
                        if img.source != "photo" && asset_hash(&img.source).is_none() {
                            at(format!("{path}.source"), ProblemKind::UnknownSource);
                        }
                    }
                    Element::Qr(q) => {
                        qrs += 1;
                        if qrs > 1 {
                            at(path.to_string(), ProblemKind::SecondQr);
                        }
                        if q.size < MIN_QR {
                            at(
                                format!("{path}.size"),
                                ProblemKind::QrTooSmall { min: MIN_QR },
                            );
                        }
                        // What is drawn after the QR must leave its quiet
                        // zone clear (what is drawn before lies under the
                        // white square the QR brings).
                        for (j, later) in side.elements.iter().enumerate().skip(i + 1) {
                            if overlaps(&later.outer_box(), &outer) {
                                at(format!("{side_name}.elements[{j}]"), ProblemKind::CoversQr);
                            }
                        }
                    }
                }
            }
        }
        if !self
            .front
            .elements
            .iter()
            .any(|e| matches!(e, Element::Qr(_)))
        {
            at("front.elements".to_owned(), ProblemKind::NoQr);
        }
        if out.is_empty() {
            self.check_fit(samples, &mut out);
        }
        out
    }

    /// Texts of `samples` that do not fit their boxes at the smallest
    /// size: one problem per element, naming the first sample that fails.
    fn check_fit(&self, samples: &[BadgeCard], out: &mut Vec<Problem>) {
        let book = FontBook::get();
        for (side_name, side) in self.sides() {
            for (i, element) in side.elements.iter().enumerate() {
                let Element::Text(t) = element else { continue };
                let Some(binding) = Binding::parse(&t.bind) else {
                    continue;
                };
                for card in samples {
                    let text = bound_text(&binding, t, card, &self.language);
                    if text.is_empty() {
                        continue;
                    }
                    let laid = lay_text(book, t, &text);
                    if laid.size + 0.01 < t.min() {
                        out.push(Problem {
                            path: format!("{side_name}.elements[{i}]"),
                            kind: ProblemKind::DoesNotFit { sample: text },
                        });
                        break;
                    }
                }
            }
        }
    }
}

fn unreadable(message: String) -> Problem {
    Problem {
        path: String::new(),
        kind: ProblemKind::Unreadable(message),
    }
}

fn check_text(
    t: &TextElement,
    path: &str,
    language: &str,
    at: &mut impl FnMut(String, ProblemKind),
) {
    match Binding::parse(&t.bind) {
        None => at(format!("{path}.bind"), ProblemKind::UnknownBinding),
        Some(Binding::Fixed) => {
            let text = t.text.get(language);
            let book = FontBook::get();
            let too_long = [&t.text.en, &t.text.ru, &t.text.uz]
                .iter()
                .any(|s| s.chars().count() > MAX_FIXED_TEXT || s.chars().any(char::is_control));
            let undrawable = [&t.text.en, &t.text.ru, &t.text.uz]
                .iter()
                .any(|s| shape(book, s, REGULAR).missing > 0);
            if text.trim().is_empty() || too_long || undrawable {
                at(format!("{path}.text"), ProblemKind::BadText);
            }
        }
        Some(_) => {}
    }
    let size_range = ProblemKind::OutOfRange {
        min: MIN_TEXT,
        max: MAX_TEXT,
    };
    if !(MIN_TEXT..=MAX_TEXT).contains(&t.size) {
        at(format!("{path}.size"), size_range.clone());
    }
    if let Some(min) = t.min_size
        && !(MIN_TEXT..=t.size.clamp(MIN_TEXT, MAX_TEXT)).contains(&min)
    {
        at(
            format!("{path}.min_size"),
            ProblemKind::OutOfRange {
                min: MIN_TEXT,
                max: t.size,
            },
        );
    }
    if !(1..=MAX_LINES).contains(&t.max_lines) {
        at(
            format!("{path}.max_lines"),
            ProblemKind::OutOfRange {
                min: 1.0,
                max: f32::from(MAX_LINES),
            },
        );
    }
    if color_of(&t.color, true).is_none() {
        at(format!("{path}.color"), ProblemKind::NotAColor);
    }
}

/// The hash an `asset:<sha256>` source names.
pub fn asset_hash(source: &str) -> Option<&str> {
    let hash = source.strip_prefix("asset:")?;
    (hash.len() == 64
        && hash
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()))
    .then_some(hash)
}

/// How a colour is given.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Paint {
    Fixed(u8, u8, u8),
    Category,
    OnCategory,
}

fn color_of(text: &str, text_color: bool) -> Option<Paint> {
    match text {
        "category" => Some(Paint::Category),
        "on_category" if text_color => Some(Paint::OnCategory),
        hex => {
            let digits = hex.strip_prefix('#')?;
            if digits.len() != 6 || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
                return None;
            }
            let (r, g, b) = parse_color(hex);
            Some(Paint::Fixed(r, g, b))
        }
    }
}

fn paint(p: Paint, card: &BadgeCard) -> Rgb {
    let (r, g, b) = parse_color(&card.category_color);
    match p {
        Paint::Fixed(r, g, b) => rgb(r, g, b),
        Paint::Category => rgb(r, g, b),
        Paint::OnCategory => text_on(r, g, b),
    }
}

fn finite(b: &BoxMm) -> bool {
    b.iter().all(|v| v.is_finite())
}

fn inside(b: &BoxMm, page: (f32, f32)) -> bool {
    const SLACK: f32 = 0.001;
    b[0] >= -SLACK
        && b[1] >= -SLACK
        && b[0] + b[2] <= page.0 + SLACK
        && b[1] + b[3] <= page.1 + SLACK
}

fn overlaps(a: &BoxMm, b: &BoxMm) -> bool {
    a[0] < b[0] + b[2] && b[0] < a[0] + a[2] && a[1] < b[1] + b[3] && b[1] < a[1] + a[3]
}

impl Element {
    /// The room the element takes: its box, or a QR with its quiet zone.
    pub fn outer_box(&self) -> BoxMm {
        match self {
            Element::Text(t) => t.at,
            Element::Rect(r) => r.at,
            Element::Image(i) => i.at,
            Element::Qr(q) => {
                let quiet = q.size * QUIET_MODULES as f32 / QR_MODULES;
                [
                    q.at[0] - quiet,
                    q.at[1] - quiet,
                    q.size + 2.0 * quiet,
                    q.size + 2.0 * quiet,
                ]
            }
        }
    }
}

impl TextElement {
    fn min(&self) -> f32 {
        self.min_size.unwrap_or(self.size).min(self.size)
    }
}

/// The text `binding` gives for `card`.
fn bound_text(binding: &Binding, t: &TextElement, card: &BadgeCard, language: &str) -> String {
    let text = match binding {
        Binding::GivenName => card.given_name.clone(),
        Binding::FamilyName => card.family_name.clone(),
        Binding::FullName => format!("{} {}", card.given_name, card.family_name)
            .trim()
            .to_owned(),
        Binding::NativeName => super::fit::native_line(FontBook::get(), card).unwrap_or_default(),
        Binding::Organization => card.organization.clone(),
        Binding::CountryName => card.country_name.clone(),
        Binding::CountryCode => card.country_code.clone(),
        Binding::CategoryName => card.category_name.clone(),
        Binding::Number => card.number.clone(),
        Binding::Zones => card.zones.join(" · "),
        Binding::Days => card.days.clone(),
        Binding::EventName => card.event_name.clone(),
        Binding::EventLine => card.event_line.clone(),
        Binding::Field(key) => card.values.get(key).cloned().unwrap_or_default(),
        Binding::Fixed => t.text.get(language).to_owned(),
    };
    if t.upper { text.to_uppercase() } else { text }
}

/// `text` fitted to the element's box: the width by [`fit`], then the
/// height, never larger than the box allows.
fn lay_text(book: &FontBook, t: &TextElement, text: &str) -> Fitted {
    let face = match t.weight {
        Weight::Bold => BOLD,
        Weight::Regular => REGULAR,
    };
    let lines = usize::from(t.max_lines.clamp(1, MAX_LINES));
    let width = t.at[2];
    let mut fitted = match t.fit {
        FitMode::Shrink => fit(book, text, face, width, t.size, t.size, 1),
        FitMode::Wrap => fit(book, text, face, width, t.size, t.size, lines),
        FitMode::ShrinkThenWrap => fit(book, text, face, width, t.size, t.min(), lines),
    };
    let rows = fitted.lines.len() as f32;
    let tallest = t.at[3] * PT_PER_MM / (1.0 + LEADING * (rows - 1.0));
    fitted.size = fitted.size.min(tallest);
    fitted
}

/// Baselines apart, in sizes.
const LEADING: f32 = 1.15;

/// Images an event uploaded, by hash: JPEG bytes.
pub type Assets = BTreeMap<String, bytes::Bytes>;

/// Draws side `side` of `template` for `card` on a page whose bottom-left
/// corner is at (`x0`, `y0`) mm.
pub(super) fn draw_side(
    book: &FontBook,
    template: &Template,
    side: &Side,
    card: &BadgeCard,
    assets: &Assets,
    (x0, y0): (f32, f32),
    draws: &mut Vec<Draw>,
) -> Result<(), RenderError> {
    let top = y0 + template.height;
    // From the document's top-left box to the page's bottom-left one.
    let place = |b: &BoxMm| (x0 + b[0], top - b[1] - b[3], b[2], b[3]);
    if let Some(source) = asset_hash(&side.background).and_then(|h| jpeg_asset(assets, h)) {
        draws.push(source.at(x0, y0, template.width, template.height));
    }
    for element in &side.elements {
        match element {
            Element::Rect(r) => {
                let Some(p) = color_of(&r.fill, false) else {
                    continue;
                };
                let (x, y, w, h) = place(&r.at);
                draws.push(Draw::Rect {
                    x,
                    y,
                    w,
                    h,
                    color: paint(p, card),
                });
            }
            Element::Image(img) => {
                let source = if img.source == "photo" {
                    photo(card)
                } else {
                    asset_hash(&img.source).and_then(|h| jpeg_asset(assets, h))
                };
                if let Some(source) = source {
                    let (x, y, w, h) = place(&img.at);
                    draws.push(source.fitted(x, y, w, h, img.fit == ImageFit::Cover));
                }
            }
            Element::Qr(q) => {
                let outer = element.outer_box();
                let (x, y, w, h) = place(&outer);
                // The quiet zone, white over whatever lies under it.
                draws.push(Draw::Rect {
                    x,
                    y,
                    w,
                    h,
                    color: rgb(255, 255, 255),
                });
                let (sx, sy, side, _) = place(&[q.at[0], q.at[1], q.size, q.size]);
                draws.push(qr_symbol(&card.qr_text, sx, sy, side)?);
            }
            Element::Text(t) => {
                let (Some(binding), Some(p)) = (Binding::parse(&t.bind), color_of(&t.color, true))
                else {
                    continue;
                };
                let text = bound_text(&binding, t, card, &template.language);
                if text.trim().is_empty() {
                    continue;
                }
                if shape(book, &text, REGULAR).missing > 0 {
                    tracing::warn!("a badge text has characters no badge font can show; left off");
                    continue;
                }
                let (x, y, w, h) = place(&t.at);
                put_text(
                    draws,
                    lay_text(book, t, &text),
                    t.align,
                    (x, y, w, h),
                    &paint(p, card),
                );
            }
        }
    }
    Ok(())
}

fn jpeg_asset(assets: &Assets, hash: &str) -> Option<PhotoSource> {
    PhotoSource::from_jpeg(assets.get(hash)?.clone())
}

/// The QR whose modules fill a square of `side` mm at (`x`, `y`).
fn qr_symbol(text: &str, x: f32, y: f32, side: f32) -> Result<Draw, RenderError> {
    let width = qrcode::QrCode::with_error_correction_level(text.as_bytes(), qrcode::EcLevel::M)
        .map_err(|e| RenderError::Qr(e.to_string()))?
        .width() as f32;
    let quiet = side * QUIET_MODULES as f32 / width;
    qr(text, x - quiet, y - quiet, side + 2.0 * quiet)
}

/// Lines of a fitted block in a box, the block centred in its height.
fn put_text(
    draws: &mut Vec<Draw>,
    fitted: Fitted,
    align: Align,
    (x, y, w, h): (f32, f32, f32, f32),
    color: &Rgb,
) {
    let size_mm = fitted.size / PT_PER_MM;
    let rows = fitted.lines.len() as f32;
    let block = size_mm * (1.0 + LEADING * (rows - 1.0));
    // A line reaches 0.75 of its size above the baseline and 0.25 below.
    let first = y + h - (h - block) / 2.0 - 0.75 * size_mm;
    for (i, line) in fitted.lines.into_iter().enumerate() {
        let width = line.width_pt(fitted.size) / PT_PER_MM;
        let lx = match align {
            Align::Left => x,
            Align::Centre => x + (w - width) / 2.0,
            Align::Right => x + w - width,
        };
        draws.push(Draw::Text {
            line,
            size: fitted.size,
            x: lx,
            y: first - i as f32 * LEADING * size_mm,
            color: color.clone(),
        });
    }
}

#[cfg(test)]
#[path = "template_tests.rs"]
mod tests;
