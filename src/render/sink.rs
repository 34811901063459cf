//! One PDF written in pieces: batches of pages come in as documents, their
//! objects go out renumbered, and only the page list and the cross-reference
//! offsets (a few bytes per object) stay in memory until `finish` writes
//! the page tree, the catalog and the xref table.
//!
//! Each batch embeds its own font subsets, so a batch of a few dozen badges
//! costs one subset per face it uses.

use lopdf::{Dictionary, Object, ObjectId, StringFormat};
use printpdf::PdfDocument;

use super::save_options;

/// Object number of the page tree root.
const PAGES_ID: u32 = 1;
/// Object number of the catalog.
const CATALOG_ID: u32 = 2;

/// A PDF file being written.
pub(crate) struct PdfSink {
    out: Vec<u8>,
    written: u64,
    /// Byte offset of each object, by object number (0 unused).
    offsets: Vec<u64>,
    pages: Vec<u32>,
    next_id: u32,
}

impl Default for PdfSink {
    fn default() -> Self {
        Self::new()
    }
}

impl PdfSink {
    pub(crate) fn new() -> Self {
        let mut sink = Self {
            out: Vec::with_capacity(64 * 1024),
            written: 0,
            offsets: vec![0; CATALOG_ID as usize + 1],
            pages: Vec::new(),
            next_id: CATALOG_ID + 1,
        };
        // The binary comment marks the file as binary for transfer tools.
        sink.out.extend_from_slice(b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n");
        sink
    }

    /// Serialises a batch into PDF objects, compressed, numbered from 1.
    /// The costly part (font subsetting, compression); batches can be
    /// prepared in parallel and appended in order.
    pub(crate) fn prepare(doc: &PdfDocument) -> lopdf::Document {
        let mut warnings = Vec::new();
        let mut lo = doc.to_lopdf_document(&save_options(), &mut warnings);
        compress(&mut lo);
        lo
    }

    /// Appends the pages of a prepared batch.
    pub(crate) fn append(&mut self, mut lo: lopdf::Document) {
        lo.renumber_objects_with(self.next_id);
        let catalog = lo.trailer.get(b"Root").and_then(Object::as_reference).ok();
        let info = lo.trailer.get(b"Info").and_then(Object::as_reference).ok();
        let root_pages = catalog
            .and_then(|id| lo.get_dictionary(id).ok())
            .and_then(|c| c.get(b"Pages").and_then(Object::as_reference).ok());
        let page_ids: Vec<ObjectId> = lo.get_pages().into_values().collect();
        for id in &page_ids {
            if let Ok(page) = lo.get_dictionary_mut(*id) {
                page.set("Parent", Object::Reference((PAGES_ID, 0)));
            }
        }
        let skip = [catalog, info, root_pages];
        let objects = std::mem::take(&mut lo.objects);
        for (id, object) in objects {
            if skip.contains(&Some(id)) {
                continue;
            }
            self.write_object(id.0, &object);
        }
        self.pages.extend(page_ids.iter().map(|id| id.0));
        self.next_id = self.next_id.max(lo.max_id + 1);
    }

    fn write_object(&mut self, id: u32, object: &Object) {
        let index = id as usize;
        if self.offsets.len() <= index {
            self.offsets.resize(index + 1, 0);
        }
        self.offsets[index] = self.written + self.out.len() as u64;
        self.out
            .extend_from_slice(format!("{id} 0 obj\n").as_bytes());
        write_value(&mut self.out, object);
        self.out.extend_from_slice(b"\nendobj\n");
    }

    /// The bytes written since the last call, to send on.
    pub(crate) fn take(&mut self) -> Vec<u8> {
        let bytes = std::mem::replace(&mut self.out, Vec::with_capacity(64 * 1024));
        self.written += bytes.len() as u64;
        bytes
    }

    /// Writes the page tree, the catalog, the xref table and the trailer;
    /// returns the last bytes of the file.
    pub(crate) fn finish(mut self) -> Vec<u8> {
        let kids = self
            .pages
            .iter()
            .map(|&id| Object::Reference((id, 0)))
            .collect::<Vec<_>>();
        let mut pages = Dictionary::new();
        pages.set("Type", Object::Name(b"Pages".to_vec()));
        pages.set("Count", Object::Integer(self.pages.len() as i64));
        pages.set("Kids", Object::Array(kids));
        self.write_object(PAGES_ID, &Object::Dictionary(pages));
        let mut catalog = Dictionary::new();
        catalog.set("Type", Object::Name(b"Catalog".to_vec()));
        catalog.set("Pages", Object::Reference((PAGES_ID, 0)));
        self.write_object(CATALOG_ID, &Object::Dictionary(catalog));

        let xref_at = self.written + self.out.len() as u64;
        let size = self.offsets.len();
        let mut table = String::with_capacity(32 + size * 20);
        table.push_str(&format!("xref\n0 {size}\n0000000000 65535 f \n"));
        for &offset in &self.offsets[1..] {
            if offset == 0 {
                // Numbers left unused by renumbering.
                table.push_str("0000000000 65535 f \n");
            } else {
                table.push_str(&format!("{offset:010} 00000 n \n"));
            }
        }
        self.out.extend_from_slice(table.as_bytes());
        self.out.extend_from_slice(
            format!(
                "trailer\n<< /Size {size} /Root {CATALOG_ID} 0 R >>\nstartxref\n{xref_at}\n%%EOF\n"
            )
            .as_bytes(),
        );
        self.take()
    }
}

/// Deflate level of streams. Level 9 (lopdf's choice) spent half of a
/// bulk print's time compressing for a few percent of size.
const DEFLATE_LEVEL: u32 = 1;

/// Compresses every stream that allows it and has no filter yet.
fn compress(doc: &mut lopdf::Document) {
    use std::io::Write as _;
    for object in doc.objects.values_mut() {
        let Object::Stream(stream) = object else {
            continue;
        };
        if !stream.allows_compression || stream.dict.get(b"Filter").is_ok() {
            continue;
        }
        let mut encoder = flate2::write::ZlibEncoder::new(
            Vec::with_capacity(stream.content.len() / 2),
            flate2::Compression::new(DEFLATE_LEVEL),
        );
        let Ok(compressed) = encoder
            .write_all(&stream.content)
            .and_then(|()| encoder.finish())
        else {
            continue;
        };
        if compressed.len() + 19 < stream.content.len() {
            stream
                .dict
                .set("Filter", Object::Name(b"FlateDecode".to_vec()));
            stream.set_content(compressed);
        }
    }
}

/// PDF syntax of one object (ISO 32000-1, 7.3).
fn write_value(out: &mut Vec<u8>, object: &Object) {
    match object {
        Object::Null => out.extend_from_slice(b"null"),
        Object::Boolean(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Object::Integer(i) => out.extend_from_slice(i.to_string().as_bytes()),
        Object::Real(r) => write_real(out, *r),
        Object::Name(name) => write_name(out, name),
        Object::String(bytes, StringFormat::Hexadecimal) => {
            out.push(b'<');
            out.extend_from_slice(hex::encode(bytes).as_bytes());
            out.push(b'>');
        }
        Object::String(bytes, StringFormat::Literal) => {
            out.push(b'(');
            for &b in bytes {
                match b {
                    b'(' | b')' | b'\\' => out.extend_from_slice(&[b'\\', b]),
                    b'\r' => out.extend_from_slice(b"\\r"),
                    b'\n' => out.extend_from_slice(b"\\n"),
                    _ => out.push(b),
                }
            }
            out.push(b')');
        }
        Object::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b' ');
                }
                write_value(out, item);
            }
            out.push(b']');
        }
        Object::Dictionary(dict) => write_dict(out, dict, None),
        Object::Stream(stream) => {
            write_dict(out, &stream.dict, Some(stream.content.len()));
            out.extend_from_slice(b"\nstream\n");
            out.extend_from_slice(&stream.content);
            out.extend_from_slice(b"\nendstream");
        }
        Object::Reference((id, generation)) => {
            out.extend_from_slice(format!("{id} {generation} R").as_bytes());
        }
    }
}

fn write_dict(out: &mut Vec<u8>, dict: &Dictionary, stream_length: Option<usize>) {
    out.extend_from_slice(b"<<");
    for (key, value) in dict.iter() {
        if stream_length.is_some() && key.as_slice() == b"Length" {
            continue;
        }
        write_name(out, key);
        out.push(b' ');
        write_value(out, value);
    }
    if let Some(length) = stream_length {
        out.extend_from_slice(format!("/Length {length}").as_bytes());
    }
    out.extend_from_slice(b">>");
}

fn write_name(out: &mut Vec<u8>, name: &[u8]) {
    out.push(b'/');
    for &b in name {
        let regular = b.is_ascii_graphic() && !b"#()<>[]{}/%".contains(&b);
        if regular {
            out.push(b);
        } else {
            out.extend_from_slice(format!("#{b:02X}").as_bytes());
        }
    }
}

fn write_real(out: &mut Vec<u8>, r: f32) {
    if !r.is_finite() {
        out.push(b'0');
        return;
    }
    let text = format!("{r:.4}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    out.extend_from_slice(if text.is_empty() || text == "-" {
        b"0"
    } else {
        text.as_bytes()
    });
}
