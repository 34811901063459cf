//! The layouts: an A6 badge, a card, and the A4 sheets of either with
//! their cut marks.

use super::{
    A4, A6, BadgeCard, CARD, MARK, RenderError,
    draw::{Draw, parse_color, photo, qr, rgb, text_on},
    fit::{Anchor, BlockSizes, PT_PER_MM, fit, fitted_block, place, place_left},
    fonts::{BOLD, FontBook, REGULAR},
};

pub(super) fn draw_a6(
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
    match photo(card) {
        // The photo at the left under the rule, the names beside it.
        Some(photo) => {
            let (pw, ph) = (30.0, 40.0);
            let left = x0 + 6.0;
            draws.push(photo.at(left, rule - 3.0 - ph, pw, ph));
            fitted_block(
                book,
                card,
                inner - pw - 4.0,
                Anchor::Left(left + pw + 4.0),
                rule - 9.0,
                qr_y + side + 1.0,
                &sizes,
                draws,
            );
        }
        None => fitted_block(
            book,
            card,
            inner,
            Anchor::Centre(cx),
            rule - 11.5,
            qr_y + side + 1.0,
            &sizes,
            draws,
        ),
    }
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

pub(super) fn draw_card(
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
    match photo(card) {
        // The photo at the left, the names in the narrower column beside it.
        Some(photo) => {
            let (pw, ph) = (17.0, 17.0 * 4.0 / 3.0);
            draws.push(photo.at(left, top - 8.0 - ph, pw, ph));
            fitted_block(
                book,
                card,
                column - pw - 2.5,
                Anchor::Left(left + pw + 2.5),
                top - 12.5,
                y0 + band + 1.0,
                &sizes,
                draws,
            );
        }
        None => fitted_block(
            book,
            card,
            column,
            Anchor::Left(left),
            top - 12.5,
            y0 + band + 1.0,
            &sizes,
            draws,
        ),
    }

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
pub(super) fn category_band(
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
    let ink = text_on(r, g, b);
    if card.category_names_also.is_empty() {
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
            &ink,
        );
        return;
    }
    // The first name above, the others on one smaller line below it.
    let label = fit(
        book,
        &card.category_name.to_uppercase(),
        BOLD,
        label_width,
        sizes.0 * 0.8,
        sizes.1,
        1,
    );
    let size = label.size;
    place(
        draws,
        label,
        x + w / 2.0,
        y + h * 0.62 - size * 0.36 / PT_PER_MM,
        &ink,
    );
    let also = fit(
        book,
        &card.category_names_also.join(" · ").to_uppercase(),
        REGULAR,
        label_width,
        (sizes.0 * 0.4).max(5.0),
        4.5,
        1,
    );
    place(draws, also, x + w / 2.0, y + h * 0.16, &ink);
}

pub(super) fn card_sheet_origin() -> (f32, f32) {
    ((A4.0 - 2.0 * CARD.0) / 2.0, (A4.1 - 5.0 * CARD.1) / 2.0)
}

/// Ticks at the page edges where the cuts between the four A6 run.
pub(super) fn sheet_a6_marks(draws: &mut Vec<Draw>) {
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
pub(super) fn sheet_card_marks(draws: &mut Vec<Draw>) {
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
