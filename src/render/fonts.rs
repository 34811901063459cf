//! The fonts shipped in `assets/fonts`, parsed once: each face for shaping
//! (rustybuzz) and for embedding (printpdf), with the same glyph ids.

use std::sync::LazyLock;

use printpdf::ParsedFont;

/// One face of the book.
pub(crate) struct Face {
    /// The face's name, for tests to tell which face drew what.
    #[cfg(test)]
    pub name: &'static str,
    pub shaper: rustybuzz::Face<'static>,
    pub pdf: ParsedFont,
    pub units_per_em: f32,
}

/// Index of a face in the book.
pub(crate) type FaceId = usize;

/// Bold Latin/Cyrillic/Greek: names and headings.
pub(crate) const BOLD: FaceId = 0;
/// Regular Latin/Cyrillic/Greek: everything else.
pub(crate) const REGULAR: FaceId = 1;

/// (name, bytes, face index in a collection), in fallback order after the
/// two Latin faces.
const SOURCES: &[(&str, &[u8], u32)] = &[
    (
        "NotoSans-Bold",
        include_bytes!("../../assets/fonts/NotoSans-Bold.ttf"),
        0,
    ),
    (
        "NotoSans-Regular",
        include_bytes!("../../assets/fonts/NotoSans-Regular.ttf"),
        0,
    ),
    (
        "NotoSansArabic",
        include_bytes!("../../assets/fonts/NotoSansArabic-Regular.ttf"),
        0,
    ),
    (
        "NotoSansHebrew",
        include_bytes!("../../assets/fonts/NotoSansHebrew-Regular.ttf"),
        0,
    ),
    (
        "NotoSansGeorgian",
        include_bytes!("../../assets/fonts/NotoSansGeorgian-Regular.ttf"),
        0,
    ),
    (
        "NotoSansArmenian",
        include_bytes!("../../assets/fonts/NotoSansArmenian-Regular.ttf"),
        0,
    ),
    (
        "NotoSansDevanagari",
        include_bytes!("../../assets/fonts/NotoSansDevanagari-Regular.ttf"),
        0,
    ),
    (
        "NotoSansThai",
        include_bytes!("../../assets/fonts/NotoSansThai-Regular.ttf"),
        0,
    ),
    (
        "WenQuanYiMicroHei",
        include_bytes!("../../assets/fonts/WenQuanYiMicroHei.ttc"),
        0,
    ),
];

/// All faces, parsed on first use (a few tens of milliseconds).
pub(crate) struct FontBook {
    faces: Vec<Face>,
}

static BOOK: LazyLock<FontBook> = LazyLock::new(FontBook::load);

impl FontBook {
    /// The shared book.
    pub(crate) fn get() -> &'static FontBook {
        &BOOK
    }

    fn load() -> FontBook {
        let faces = SOURCES
            .iter()
            .map(|&(name, bytes, index)| {
                // The fonts are part of the binary: failing to parse one is a
                // build defect, caught by the first test that renders.
                let shaper = rustybuzz::Face::from_slice(bytes, index)
                    .unwrap_or_else(|| panic!("shipped font {name} does not parse"));
                let mut warnings = Vec::new();
                let pdf = ParsedFont::from_bytes(bytes, index as usize, &mut warnings)
                    .unwrap_or_else(|| panic!("shipped font {name} does not parse for PDF"));
                let units_per_em = shaper.units_per_em() as f32;
                Face {
                    #[cfg(test)]
                    name,
                    shaper,
                    pdf,
                    units_per_em,
                }
            })
            .collect();
        FontBook { faces }
    }

    pub(crate) fn face(&self, id: FaceId) -> &Face {
        &self.faces[id]
    }

    pub(crate) fn len(&self) -> usize {
        self.faces.len()
    }

    /// The face for `c` when the text's first choice is `preferred`: that
    /// face if it has the glyph, else the first face in fallback order that
    /// has it.
    pub(crate) fn face_for(&self, c: char, preferred: FaceId) -> Option<FaceId> {
        if self.faces[preferred].shaper.glyph_index(c).is_some() {
            return Some(preferred);
        }
        (REGULAR..self.faces.len()).find(|&id| self.faces[id].shaper.glyph_index(c).is_some())
    }
}
