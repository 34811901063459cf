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
}
