//! Looking at PDFs as a printer and a reader would: poppler-utils
//! (pdftoppm, pdftotext, pdffonts, pdfinfo) and zbar's `zbarimg`.

use std::{path::Path, process::Command};

/// A PDF written to a temporary directory.
pub struct PdfFile {
    dir: tempfile::TempDir,
}

fn run(program: &str, args: &[&str], dir: &Path) -> String {
    let out = Command::new(program)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("{program} is needed (poppler-utils, zbar-tools): {e}"));
    assert!(
        out.status.success(),
        "{program} {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 output")
}

impl PdfFile {
    pub fn new(bytes: &[u8]) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("badge.pdf"), bytes).expect("write pdf");
        Self { dir }
    }

    /// `pdftotext` of the whole file.
    pub fn text(&self) -> String {
        run("pdftotext", &["badge.pdf", "-"], self.dir.path())
    }

    /// Every word `pdftotext -bbox` finds: (page from 1, text, [x min,
    /// y min, x max, y max] in mm from the page's top left).
    pub fn words(&self) -> Vec<(usize, String, [f64; 4])> {
        let xml = run("pdftotext", &["-bbox", "badge.pdf", "-"], self.dir.path());
        let attr = |line: &str, name: &str| -> f64 {
            let start = line.find(&format!("{name}=\"")).expect("attribute") + name.len() + 2;
            let end = start + line[start..].find('"').expect("closing quote");
            line[start..end].parse::<f64>().expect("number") * 25.4 / 72.0
        };
        let mut page = 0;
        let mut words = Vec::new();
        for line in xml.lines().map(str::trim) {
            if line.starts_with("<page ") {
                page += 1;
            } else if line.starts_with("<word ") {
                let text = line
                    .split_once('>')
                    .and_then(|(_, rest)| rest.strip_suffix("</word>"))
                    .unwrap_or_default()
                    .to_owned();
                let b = ["xMin", "yMin", "xMax", "yMax"].map(|n| attr(line, n));
                words.push((page, text, b));
            }
        }
        words
    }

    /// The first page's size in points, from `pdfinfo` ("Page size: w x h pts").
    pub fn page_size(&self) -> (f64, f64) {
        let info = run("pdfinfo", &["badge.pdf"], self.dir.path());
        let size = info
            .lines()
            .find_map(|l| l.strip_prefix("Page size:"))
            .expect("pdfinfo gives the page size");
        let mut numbers = size
            .split_whitespace()
            .filter_map(|w| w.parse::<f64>().ok());
        (
            numbers.next().expect("width"),
            numbers.next().expect("height"),
        )
    }

    /// The colour at (`x`, `y`) mm from the top left of page `page`,
    /// rasterised by `pdftoppm` at 72 dpi.
    pub fn pixel(&self, page: usize, x_mm: f64, y_mm: f64) -> (u8, u8, u8) {
        let p = page.to_string();
        run(
            "pdftoppm",
            &[
                "-r",
                "72",
                "-f",
                &p,
                "-l",
                &p,
                "-singlefile",
                "badge.pdf",
                "colour",
            ],
            self.dir.path(),
        );
        let bytes =
            std::fs::read(self.dir.path().join("colour.ppm")).expect("pdftoppm wrote a PPM");
        // P6, width, height, maxval, one whitespace, then RGB bytes.
        let mut fields = Vec::new();
        let mut at = 0;
        while fields.len() < 4 {
            while bytes[at].is_ascii_whitespace() {
                at += 1;
            }
            let start = at;
            while !bytes[at].is_ascii_whitespace() {
                at += 1;
            }
            fields.push(String::from_utf8_lossy(&bytes[start..at]).into_owned());
        }
        assert_eq!(fields[0], "P6");
        let width: usize = fields[1].parse().expect("width");
        let data = &bytes[at + 1..];
        let px = |mm: f64| (mm / 25.4 * 72.0).floor() as usize;
        let i = (px(y_mm) * width + px(x_mm)) * 3;
        (data[i], data[i + 1], data[i + 2])
    }

    /// Page count from `pdfinfo`.
    pub fn pages(&self) -> usize {
        run("pdfinfo", &["badge.pdf"], self.dir.path())
            .lines()
            .find_map(|l| l.strip_prefix("Pages:"))
            .and_then(|n| n.trim().parse().ok())
            .expect("pdfinfo gives the page count")
    }

    /// (name, embedded, subset) of each font `pdffonts` lists.
    pub fn fonts(&self) -> Vec<(String, bool, bool)> {
        run("pdffonts", &["badge.pdf"], self.dir.path())
            .lines()
            .skip(2)
            .map(|line| {
                let cols: Vec<&str> = line.split_whitespace().collect();
                let n = cols.len();
                (
                    cols[0].to_owned(),
                    cols[n - 5] == "yes",
                    cols[n - 4] == "yes",
                )
            })
            .collect()
    }

    /// (page, width, height, encoding) of each image `pdfimages -list` finds.
    pub fn images(&self) -> Vec<(usize, u32, u32, String)> {
        run("pdfimages", &["-list", "badge.pdf"], self.dir.path())
            .lines()
            .skip(2)
            .map(|line| {
                let cols: Vec<&str> = line.split_whitespace().collect();
                (
                    cols[0].parse().expect("page"),
                    cols[3].parse().expect("width"),
                    cols[4].parse().expect("height"),
                    cols[8].to_owned(),
                )
            })
            .collect()
    }

    /// Every QR code on page `page`, rasterised at 300 dpi and read by zbar.
    pub fn qr_codes(&self, page: usize) -> Vec<String> {
        let p = page.to_string();
        run(
            "pdftoppm",
            &[
                "-r",
                "300",
                "-gray",
                "-png",
                "-f",
                &p,
                "-l",
                &p,
                "badge.pdf",
                "page",
            ],
            self.dir.path(),
        );
        let image = std::fs::read_dir(self.dir.path())
            .expect("dir")
            .map(|e| e.expect("entry").path())
            .find(|path| {
                path.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with("page") && n.ends_with(".png"))
            })
            .expect("pdftoppm wrote an image");
        let out = Command::new("zbarimg")
            .args(["--quiet", "--raw", "-Sdisable", "-Sqrcode.enable"])
            .arg(&image)
            .output()
            .expect("zbarimg is needed (zbar-tools)");
        std::fs::remove_file(&image).expect("remove image");
        String::from_utf8(out.stdout)
            .expect("utf-8")
            .lines()
            .map(str::to_owned)
            .collect()
    }

    /// Every QR code on page `page` as a worn print seen by a cheap camera:
    /// rasterised at 150 dpi, blurred by a pixel, turned by 5°, then read
    /// by zbar.
    pub fn qr_codes_degraded(&self, page: usize) -> Vec<String> {
        let p = page.to_string();
        run(
            "pdftoppm",
            &[
                "-r",
                "150",
                "-gray",
                "-f",
                &p,
                "-l",
                &p,
                "badge.pdf",
                "worn",
            ],
            self.dir.path(),
        );
        let path = std::fs::read_dir(self.dir.path())
            .expect("dir")
            .map(|e| e.expect("entry").path())
            .find(|path| {
                path.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with("worn") && n.ends_with(".pgm"))
            })
            .expect("pdftoppm wrote a PGM image");
        let image = Gray::read(&path).blurred().rotated(5.0);
        std::fs::remove_file(&path).expect("remove image");
        let worn = self.dir.path().join("worn.pgm");
        image.write(&worn);
        let out = Command::new("zbarimg")
            .args(["--quiet", "--raw", "-Sdisable", "-Sqrcode.enable"])
            .arg(&worn)
            .output()
            .expect("zbarimg is needed (zbar-tools)");
        std::fs::remove_file(&worn).expect("remove image");
        String::from_utf8(out.stdout)
            .expect("utf-8")
            .lines()
            .map(str::to_owned)
            .collect()
    }
}

/// An 8-bit grey image (binary PGM, as pdftoppm writes it).
struct Gray {
    width: usize,
    height: usize,
    pixels: Vec<u8>,
}

impl Gray {
    fn read(path: &Path) -> Self {
        let bytes = std::fs::read(path).expect("read PGM");
        // "P5" <ws> width <ws> height <ws> maxval <one ws> data
        let mut fields = Vec::new();
        let mut at = 0;
        while fields.len() < 4 {
            while bytes[at].is_ascii_whitespace() {
                at += 1;
            }
            let start = at;
            while !bytes[at].is_ascii_whitespace() {
                at += 1;
            }
            fields.push(String::from_utf8_lossy(&bytes[start..at]).into_owned());
        }
        assert_eq!(fields[0], "P5", "a binary PGM");
        assert_eq!(fields[3], "255", "8-bit grey");
        let width: usize = fields[1].parse().expect("width");
        let height: usize = fields[2].parse().expect("height");
        let pixels = bytes[at + 1..at + 1 + width * height].to_vec();
        Self {
            width,
            height,
            pixels,
        }
    }

    fn write(&self, path: &Path) {
        let mut bytes = format!("P5\n{} {}\n255\n", self.width, self.height).into_bytes();
        bytes.extend_from_slice(&self.pixels);
        std::fs::write(path, bytes).expect("write PGM");
    }

    fn at(&self, x: isize, y: isize) -> f32 {
        if x < 0 || y < 0 || x as usize >= self.width || y as usize >= self.height {
            return 255.0;
        }
        f32::from(self.pixels[y as usize * self.width + x as usize])
    }

    /// A Gaussian blur of radius one pixel (the 3 x 3 kernel 1 2 1).
    fn blurred(&self) -> Self {
        let mut pixels = vec![0u8; self.pixels.len()];
        for y in 0..self.height {
            for x in 0..self.width {
                let mut sum = 0.0;
                for (dy, wy) in [(-1isize, 1.0), (0, 2.0), (1, 1.0)] {
                    for (dx, wx) in [(-1isize, 1.0), (0, 2.0), (1, 1.0)] {
                        sum += wy * wx * self.at(x as isize + dx, y as isize + dy);
                    }
                }
                pixels[y * self.width + x] = (sum / 16.0).round() as u8;
            }
        }
        Self {
            width: self.width,
            height: self.height,
            pixels,
        }
    }

    /// Turned by `degrees` about the centre (bilinear, white outside).
    fn rotated(&self, degrees: f32) -> Self {
        let (sin, cos) = degrees.to_radians().sin_cos();
        let (cx, cy) = (self.width as f32 / 2.0, self.height as f32 / 2.0);
        let mut pixels = vec![255u8; self.pixels.len()];
        for y in 0..self.height {
            for x in 0..self.width {
                let (dx, dy) = (x as f32 - cx, y as f32 - cy);
                let sx = cos * dx + sin * dy + cx;
                let sy = -sin * dx + cos * dy + cy;
                let (x0, y0) = (sx.floor(), sy.floor());
                let (fx, fy) = (sx - x0, sy - y0);
                let (x0, y0) = (x0 as isize, y0 as isize);
                let top = self.at(x0, y0) * (1.0 - fx) + self.at(x0 + 1, y0) * fx;
                let bottom = self.at(x0, y0 + 1) * (1.0 - fx) + self.at(x0 + 1, y0 + 1) * fx;
                pixels[y * self.width + x] = (top * (1.0 - fy) + bottom * fy).round() as u8;
            }
        }
        Self {
            width: self.width,
            height: self.height,
            pixels,
        }
    }
}
