//! Drawing primitives of a page and how they become PDF operations: text
//! runs, filled rectangles, the QR as vector modules, cut marks.

use printpdf::{
    Color, CurTransMat, DictItem, ExternalStream, ExternalXObject, Line, LinePoint, Mm, Op,
    PaintMode, PdfFontHandle, Point, Polygon, PolygonRing, Pt, Rgb, WindingOrder, XObjectId,
    XObjectTransform,
};

use super::{BadgeCard, QUIET_MODULES, RenderError, text::ShapedLine};

/// Drawing primitives of a page, in millimetres from the page's bottom left.
pub(super) enum Draw {
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
    /// Added to the document as an image of its own, not by [`emit`].
    Photo(PlacedPhoto),
}

/// A JPEG and its size in pixels, ready to place.
pub(super) struct PhotoSource {
    jpeg: bytes::Bytes,
    pixels: (u32, u32),
}

/// A photo on a page: its box in millimetres, and the box it is cut to
/// when it overflows one.
pub(super) struct PlacedPhoto {
    source: PhotoSource,
    x: f32,
    y: f32,
    w: f32,
    h: f32,
    clip: Option<(f32, f32, f32, f32)>,
}

/// The card's photo when it has one that reads as a JPEG; a photo that
/// does not is left out rather than failing the badge.
pub(super) fn photo(card: &BadgeCard) -> Option<PhotoSource> {
    PhotoSource::from_jpeg(card.photo.clone()?)
}

impl PhotoSource {
    /// A JPEG whose size reads; `None` otherwise.
    pub(super) fn from_jpeg(jpeg: bytes::Bytes) -> Option<PhotoSource> {
        let pixels = image::ImageReader::with_format(
            std::io::Cursor::new(&jpeg[..]),
            image::ImageFormat::Jpeg,
        )
        .into_dimensions()
        .ok()?;
        Some(PhotoSource { jpeg, pixels })
    }

    /// Stretched to the box.
    pub(super) fn at(self, x: f32, y: f32, w: f32, h: f32) -> Draw {
        Draw::Photo(PlacedPhoto {
            source: self,
            x,
            y,
            w,
            h,
            clip: None,
        })
    }

    /// In the box with its proportions kept: whole and centred
    /// (`cover` false), or filling the box, the overflow cut.
    pub(super) fn fitted(self, x: f32, y: f32, w: f32, h: f32, cover: bool) -> Draw {
        let (pw, ph) = self.pixels;
        if pw == 0 || ph == 0 {
            return self.at(x, y, w, h);
        }
        let by_width = w / pw as f32;
        let by_height = h / ph as f32;
        let scale = if cover {
            by_width.max(by_height)
        } else {
            by_width.min(by_height)
        };
        let (iw, ih) = (pw as f32 * scale, ph as f32 * scale);
        Draw::Photo(PlacedPhoto {
            source: self,
            x: x + (w - iw) / 2.0,
            y: y + (h - ih) / 2.0,
            w: iw,
            h: ih,
            clip: cover.then_some((x, y, w, h)),
        })
    }
}

impl PlacedPhoto {
    /// The image XObject: the JPEG bytes with the DCTDecode filter.
    pub(super) fn xobject(&self) -> ExternalXObject {
        let (w, h) = self.source.pixels;
        let int = |v: u32| DictItem::Int(i64::from(v));
        let name = |n: &str| DictItem::Name(n.as_bytes().to_vec());
        let dict = [
            ("Type", name("XObject")),
            ("Subtype", name("Image")),
            ("Width", int(w)),
            ("Height", int(h)),
            ("ColorSpace", name("DeviceRGB")),
            ("BitsPerComponent", int(8)),
            ("Filter", name("DCTDecode")),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        ExternalXObject {
            stream: ExternalStream {
                dict,
                content: self.source.jpeg.to_vec(),
                compress: false,
            },
            width: None,
            height: None,
            dpi: None,
        }
    }

    /// The operations that draw the image, cut to its clip box if any.
    pub(super) fn ops(&self, id: XObjectId, ops: &mut Vec<Op>) {
        let Some((x, y, w, h)) = self.clip else {
            ops.push(self.op(id));
            return;
        };
        ops.push(Op::SaveGraphicsState);
        ops.push(Op::DrawPolygon {
            polygon: Polygon {
                rings: vec![rect_ring(x, y, w, h)],
                mode: PaintMode::Clip,
                winding_order: WindingOrder::NonZero,
            },
        });
        ops.push(self.op(id));
        ops.push(Op::RestoreGraphicsState);
    }

    /// Draws the image (a unit square) scaled to its box.
    pub(super) fn op(&self, id: XObjectId) -> Op {
        Op::UseXobject {
            id,
            transform: XObjectTransform {
                translate_x: Some(Mm(self.x).into()),
                translate_y: Some(Mm(self.y).into()),
                scale_x: Some(Pt::from(Mm(self.w)).0),
                scale_y: Some(Pt::from(Mm(self.h)).0),
                no_auto_scale: true,
                ..XObjectTransform::default()
            },
        }
    }
}

pub(super) fn emit(ops: &mut Vec<Op>, handles: &[Option<PdfFontHandle>], draw: Draw) {
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
        // Placed by `document`, which owns the image resources.
        Draw::Photo(_) => {}
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

pub(super) fn point(x: f32, y: f32) -> LinePoint {
    LinePoint {
        p: Point {
            x: Mm(x).into(),
            y: Mm(y).into(),
        },
        bezier: false,
    }
}

pub(super) fn rect_ring(x: f32, y: f32, w: f32, h: f32) -> PolygonRing {
    PolygonRing {
        points: vec![
            point(x, y),
            point(x + w, y),
            point(x + w, y + h),
            point(x, y + h),
        ],
    }
}

pub(super) fn rgb(r: u8, g: u8, b: u8) -> Rgb {
    Rgb {
        r: f32::from(r) / 255.0,
        g: f32::from(g) / 255.0,
        b: f32::from(b) / 255.0,
        icc_profile: None,
    }
}

/// `#RRGGBB` to a colour; grey when malformed (the event service
/// validates colours, this is only a guard).
pub(super) fn parse_color(hex: &str) -> (u8, u8, u8) {
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
pub(super) fn text_on(r: u8, g: u8, b: u8) -> Rgb {
    let luminance = 0.2126 * f32::from(r) + 0.7152 * f32::from(g) + 0.0722 * f32::from(b);
    if luminance > 150.0 {
        rgb(0, 0, 0)
    } else {
        rgb(255, 255, 255)
    }
}

pub(super) fn qr(text: &str, x: f32, y: f32, side: f32) -> Result<Draw, RenderError> {
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
