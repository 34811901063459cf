//! Fitting text into boxes: sizes, balanced line breaks, and the personal
//! block of a badge (names, organisation, country) at the largest scale that
//! fits.

use printpdf::Rgb;

use super::{
    BadgeCard,
    draw::{Draw, rgb},
    fonts::{BOLD, FaceId, FontBook, REGULAR},
    text::{ShapedLine, shape},
};

pub(super) const PT_PER_MM: f32 = 72.0 / 25.4;

/// A text block fitted into a box: centred lines at the largest size up to
/// `max_size` whose lines fit `width` mm, wrapping at spaces into at most
/// `max_lines` lines before shrinking below `min_size`.
pub(super) struct Fitted {
    pub(super) lines: Vec<ShapedLine>,
    pub(super) size: f32,
}

pub(super) fn fit(
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
pub(super) fn split_balanced(words: &[&str], n: usize) -> Vec<String> {
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
pub(super) fn place(draws: &mut Vec<Draw>, fitted: Fitted, cx: f32, y: f32, color: &Rgb) -> f32 {
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
pub(super) fn place_left(
    draws: &mut Vec<Draw>,
    fitted: Fitted,
    x: f32,
    y: f32,
    color: &Rgb,
) -> f32 {
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

/// The native-script name, when there is one worth printing: different
/// from the Latin name and fully drawable (a name the fonts cannot show
/// is left off rather than printed with holes).
pub(super) fn native_line(book: &FontBook, card: &BadgeCard) -> Option<String> {
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
pub(super) const SCALES: [f32; 6] = [1.0, 0.9, 0.8, 0.7, 0.6, 0.5];

/// The personal block of a badge (names, organisation, country) laid out
/// from `first_baseline` downwards at `scale`; returns its draws and the
/// lowest point its text reaches (mm).
pub(super) fn personal_block(
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
    for line in &card.answers {
        if shape(book, line, REGULAR).missing > 0 {
            tracing::warn!("a badge answer has characters no badge font can show; left off");
            continue;
        }
        let fitted = fit(
            book,
            line,
            REGULAR,
            width,
            sizes.small * 0.9 * scale,
            sizes.small_min * scale,
            1,
        );
        let size = fitted.size;
        last = put(
            fitted,
            last - size / PT_PER_MM - gap(sizes.small) * 0.4,
            &ink,
        );
        lowest = lowest.min(last - size * 0.3 / PT_PER_MM);
    }
    (draws, lowest)
}

/// How a block is aligned.
#[derive(Clone, Copy)]
pub(super) enum Anchor {
    Centre(f32),
    Left(f32),
}

/// Largest and smallest sizes (pt) of a block's lines.
pub(super) struct BlockSizes {
    pub(super) name: f32,
    pub(super) name_min: f32,
    pub(super) native: f32,
    pub(super) native_min: f32,
    pub(super) small: f32,
    pub(super) small_min: f32,
    /// Whether names may wrap onto a second line.
    pub(super) wrap: bool,
}

/// Lays out the personal block at the largest scale whose text stays above
/// `floor`.
#[expect(
    clippy::too_many_arguments,
    reason = "a layout step takes the badge, the fonts, its frame and its sizes"
)]
pub(super) fn fitted_block(
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
