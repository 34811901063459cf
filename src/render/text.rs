//! Text to positioned glyphs: bidirectional reordering (unicode-bidi), a
//! face per run of characters (no face has every script), shaping
//! (rustybuzz: Arabic joining, ligatures, kerning), and the PDF operations
//! that show the glyphs with their text kept for extraction.

use std::collections::BTreeMap;

use printpdf::{Codepoint, DictItem, Mm, Op, PdfFontHandle, Point, Pt, TextItem};
use unicode_bidi::BidiInfo;

use super::fonts::{FaceId, FontBook};

/// A run of glyphs of one face, in visual order.
#[derive(Debug, Clone)]
pub(crate) struct GlyphRun {
    pub face: FaceId,
    /// Leading TJ adjustment (thousandths of an em) before the first glyph.
    pub lead: f32,
    pub glyphs: Vec<Codepoint>,
    /// Advance of the whole run in ems.
    pub advance_em: f32,
    /// The run's text in logical order, as extraction should give it back.
    pub text: String,
    /// Whether the run reads right to left.
    pub rtl: bool,
}

/// One line of text, shaped.
#[derive(Debug, Clone, Default)]
pub(crate) struct ShapedLine {
    pub runs: Vec<GlyphRun>,
    /// Characters no shipped face can show (left out of `runs`).
    pub missing: usize,
}

impl ShapedLine {
    /// Width at `size` points.
    pub(crate) fn width_pt(&self, size: f32) -> f32 {
        self.runs.iter().map(|r| r.advance_em).sum::<f32>() * size
    }

    /// Operations showing the line with its left end at `(x, y)` (baseline),
    /// inside a text section. `handles[face]` is the document's font handle.
    pub(crate) fn show(
        &self,
        ops: &mut Vec<Op>,
        handles: &[Option<PdfFontHandle>],
        size: f32,
        x: Mm,
        y: Mm,
    ) {
        ops.push(Op::StartTextSection);
        ops.push(Op::SetTextCursor {
            pos: Point {
                x: x.into(),
                y: y.into(),
            },
        });
        for run in &self.runs {
            let Some(handle) = handles.get(run.face).and_then(Option::clone) else {
                continue;
            };
            ops.push(Op::SetFont {
                font: handle,
                size: Pt(size),
            });
            let mut items = Vec::with_capacity(2);
            if run.lead != 0.0 {
                items.push(TextItem::Offset(run.lead));
            }
            items.push(TextItem::GlyphIds(run.glyphs.clone()));
            // The font's ToUnicode map holds one text per glyph; a shaped
            // cluster (a Devanagari conjunct, a vowel sign drawn before its
            // consonant, Thai's sara am) can have glyphs without a text of
            // their own, or share one with another cluster. The run's text
            // as ActualText is what extraction gives back instead. Readers
            // put right-to-left ActualText in visual order as they do
            // glyphs, so those runs keep their per-cluster texts alone
            // (Arabic and Hebrew clusters map one to one).
            if run.rtl {
                ops.push(Op::ShowText { items });
            } else {
                ops.push(Op::BeginMarkedContentWithProperties {
                    tag: "Span".to_owned(),
                    properties: actual_text(&run.text),
                });
                ops.push(Op::ShowText { items });
                ops.push(Op::EndMarkedContent);
            }
        }
        ops.push(Op::EndTextSection);
    }

    /// Faces the line uses.
    pub(crate) fn faces(&self) -> impl Iterator<Item = FaceId> + '_ {
        self.runs.iter().map(|r| r.face)
    }
}

/// The property list `<< /ActualText <FEFF...> >>` of a marked-content
/// span: `text` as UTF-16BE with its byte order mark.
fn actual_text(text: &str) -> DictItem {
    let mut data = vec![0xFE, 0xFF];
    for unit in text.encode_utf16() {
        data.extend_from_slice(&unit.to_be_bytes());
    }
    DictItem::Dict {
        map: BTreeMap::from([(
            "ActualText".to_owned(),
            DictItem::String {
                data,
                literal: false,
            },
        )]),
    }
}

/// Shapes one line of `text`, preferring face `preferred` where it has the
/// glyphs.
pub(crate) fn shape(book: &FontBook, text: &str, preferred: FaceId) -> ShapedLine {
    let mut line = ShapedLine::default();
    if text.is_empty() {
        return line;
    }
    let bidi = BidiInfo::new(text, None);
    for para in &bidi.paragraphs {
        let (levels, visual_runs) = bidi.visual_runs(para, para.range.clone());
        for range in visual_runs {
            let rtl = levels[range.start].is_rtl();
            let mut segments =
                segment_by_face(book, &text[range.clone()], preferred, &mut line.missing);
            if rtl {
                segments.reverse();
            }
            for (face, segment) in segments {
                line.runs.push(shape_segment(book, face, segment, rtl));
            }
        }
    }
    line
}

/// Splits `text` into maximal pieces that one face can show. Spaces, marks
/// and joiners stay with the piece around them.
fn segment_by_face<'t>(
    book: &FontBook,
    text: &'t str,
    preferred: FaceId,
    missing: &mut usize,
) -> Vec<(FaceId, &'t str)> {
    let mut segments: Vec<(FaceId, &'t str)> = Vec::new();
    let mut current: Option<(FaceId, usize)> = None;
    let mut pieces: Vec<(FaceId, usize, usize)> = Vec::new();
    for (i, c) in text.char_indices() {
        let neutral = c.is_whitespace() || is_joiner_or_mark(c);
        let face = match current {
            Some((face, _)) if neutral || book.face(face).shaper.glyph_index(c).is_some() => {
                Some(face)
            }
            _ => book.face_for(c, preferred),
        };
        match face {
            None => {
                *missing += 1;
                if let Some((face, start)) = current.take() {
                    pieces.push((face, start, i));
                }
            }
            Some(face) => match current {
                Some((current_face, _)) if current_face == face => {}
                Some((current_face, start)) => {
                    pieces.push((current_face, start, i));
                    current = Some((face, i));
                }
                None => current = Some((face, i)),
            },
        }
    }
    if let Some((face, start)) = current {
        pieces.push((face, start, text.len()));
    }
    for (face, start, end) in pieces {
        segments.push((face, &text[start..end]));
    }
    segments
}

fn is_joiner_or_mark(c: char) -> bool {
    matches!(c, '\u{200C}' | '\u{200D}' | '\u{0300}'..='\u{036F}' | '\u{064B}'..='\u{065F}' | '\u{0670}')
}

fn shape_segment(book: &FontBook, face_id: FaceId, text: &str, rtl: bool) -> GlyphRun {
    let face = book.face(face_id);
    let mut buffer = rustybuzz::UnicodeBuffer::new();
    buffer.push_str(text);
    buffer.set_direction(if rtl {
        rustybuzz::Direction::RightToLeft
    } else {
        rustybuzz::Direction::LeftToRight
    });
    buffer.guess_segment_properties();
    let shaped = rustybuzz::shape(&face.shaper, &[], buffer);
    let infos = shaped.glyph_infos();
    let positions = shaped.glyph_positions();
    let upem = face.units_per_em;
    let to_thousandths = |units: i32| units as f32 * 1000.0 / upem;

    // Text of each cluster, for the ToUnicode map: cluster starts sorted.
    let mut starts: Vec<usize> = infos.iter().map(|i| i.cluster as usize).collect();
    starts.sort_unstable();
    starts.dedup();
    let cluster_text = |start: usize| -> &str {
        let end = starts
            .iter()
            .find(|&&s| s > start)
            .copied()
            .unwrap_or(text.len());
        text.get(start..end).unwrap_or("")
    };

    let mut glyphs = Vec::with_capacity(infos.len());
    let mut advance_units = 0i64;
    let lead = positions
        .first()
        .map_or(0.0, |p| -to_thousandths(p.x_offset));
    let mut seen_clusters = std::collections::HashSet::new();
    for (i, (info, pos)) in infos.iter().zip(positions).enumerate() {
        let gid = u16::try_from(info.glyph_id).unwrap_or(0);
        let nominal = face
            .shaper
            .glyph_hor_advance(rustybuzz::ttf_parser::GlyphId(gid))
            .map_or(0, i32::from);
        let next_x_offset = positions.get(i + 1).map_or(0, |p| p.x_offset);
        // After this glyph the viewer advances by its nominal width; the TJ
        // number corrects that to the shaped advance and moves to the next
        // glyph's offset.
        let adjust = to_thousandths(nominal - pos.x_advance + pos.x_offset - next_x_offset);
        let cid = if seen_clusters.insert(info.cluster) {
            Some(cluster_text(info.cluster as usize).to_owned())
        } else {
            None
        };
        glyphs.push(Codepoint {
            gid,
            offset: if adjust.abs() < 0.01 { 0.0 } else { adjust },
            cid,
        });
        advance_units += i64::from(pos.x_advance);
    }
    GlyphRun {
        face: face_id,
        lead,
        glyphs,
        advance_em: advance_units as f32 / upem,
        text: text.to_owned(),
        rtl,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::fonts::{BOLD, REGULAR};

    #[test]
    fn scripts_pick_their_faces() {
        let book = FontBook::get();
        let line = shape(book, "Oʻgʻiloy Ўрозова 王芳 김민준", BOLD);
        assert_eq!(line.missing, 0);
        let faces: Vec<_> = line.faces().map(|f| book.face(f).name).collect();
        assert_eq!(faces, ["NotoSans-Bold", "WenQuanYiMicroHei"]);
        assert!(line.width_pt(10.0) > 50.0);
    }

    #[test]
    fn arabic_is_joined_and_right_to_left() {
        let book = FontBook::get();
        let line = shape(book, "محمد", REGULAR);
        assert_eq!(line.runs.len(), 1);
        let run = &line.runs[0];
        assert_eq!(book.face(run.face).name, "NotoSansArabic");
        // Four letters, visual order: the last letter (dal) comes first.
        assert_eq!(run.glyphs.len(), 4);
        assert_eq!(run.glyphs[0].cid.as_deref(), Some("د"));
        assert_eq!(run.glyphs[3].cid.as_deref(), Some("م"));
        // Joined forms differ from the isolated ones: the two mims differ.
        assert_ne!(run.glyphs[1].gid, run.glyphs[3].gid);
    }

    #[test]
    fn unknown_characters_are_counted_not_drawn() {
        let book = FontBook::get();
        let line = shape(book, "Ana \u{1F600} Lee", BOLD);
        assert_eq!(line.missing, 1);
        assert!(
            line.runs
                .iter()
                .all(|r| r.glyphs.iter().all(|g| g.gid != 0))
        );
    }
}
