//! Holders' photos: whatever a desk sends (a webcam frame, a phone picture,
//! a scan) becomes one small JPEG fit for a badge, or a clear refusal.
//!
//! Pure: bytes in, bytes out. The image is decoded with limits (size of the
//! file, pixels, memory), turned upright from its EXIF orientation, cropped
//! to 3:4 around its centre, scaled to at most 600 x 800, flattened onto
//! white, and encoded afresh, so nothing of the file's metadata (EXIF,
//! location, comments, ICC profiles) survives.

use std::io::Cursor;

use image::{
    DynamicImage, ImageDecoder as _, ImageFormat, ImageReader, Limits, RgbImage,
    codecs::jpeg::JpegEncoder, imageops::FilterType,
};

use crate::error::{AppError, ErrorKind, Reason};

/// Largest file accepted.
pub const MAX_FILE_BYTES: usize = 10 * 1024 * 1024;
/// Largest picture accepted, in pixels.
pub const MAX_PIXELS: u64 = 40_000_000;
/// Size of the stored photo at most.
pub const WIDTH: u32 = 600;
pub const HEIGHT: u32 = 800;
/// Smallest 3:4 crop accepted: below it a badge prints a blur.
pub const MIN_WIDTH: u32 = 150;
pub const MIN_HEIGHT: u32 = 200;
/// Largest stored JPEG.
pub const MAX_JPEG_BYTES: usize = 150 * 1024;

/// A photo as stored: a JPEG without metadata.
#[derive(Debug, Clone)]
pub struct Photo {
    pub jpeg: Vec<u8>,
    pub width: u32,
    pub height: u32,
}

fn refuse(reason: Reason, message: impl Into<String>) -> AppError {
    let message = message.into();
    let mut err = AppError::new(ErrorKind::InvalidArgument, reason, message.clone());
    err.violations
        .push(crate::error::FieldViolation::with_reason(
            "image", message, reason,
        ));
    err
}

/// Turns an uploaded image into the stored photo. CPU-bound (tens of
/// milliseconds for a camera picture): call it off the async threads.
pub fn prepare(bytes: &[u8]) -> Result<Photo, AppError> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(refuse(
            Reason::PhotoTooLarge,
            format!(
                "the file has {} bytes; at most {MAX_FILE_BYTES} are accepted",
                bytes.len()
            ),
        ));
    }
    let format = image::guess_format(bytes).ok();
    if !matches!(
        format,
        Some(ImageFormat::Jpeg | ImageFormat::Png | ImageFormat::WebP)
    ) {
        return Err(refuse(
            Reason::PhotoNotAnImage,
            "the file is not a JPEG, PNG or WebP image",
        ));
    }
    let not_an_image = |e: image::ImageError| {
        refuse(
            Reason::PhotoNotAnImage,
            format!("the image cannot be decoded: {e}"),
        )
    };
    let reader = |bytes: &[u8]| {
        let mut reader = ImageReader::new(Cursor::new(bytes.to_vec()));
        if let Some(format) = format {
            reader.set_format(format);
        }
        let mut limits = Limits::default();
        // Four bytes a pixel at most, and some room for the decoder.
        limits.max_alloc = Some(MAX_PIXELS * 4 + 64 * 1024 * 1024);
        reader.limits(limits);
        reader
    };

    let (w, h) = reader(bytes).into_dimensions().map_err(not_an_image)?;
    if u64::from(w) * u64::from(h) > MAX_PIXELS {
        return Err(refuse(
            Reason::PhotoTooManyPixels,
            format!("the image is {w} x {h} pixels; at most {MAX_PIXELS} pixels are accepted"),
        ));
    }
    let mut decoder = reader(bytes).into_decoder().map_err(not_an_image)?;
    // An unreadable EXIF block only loses the orientation.
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut image = DynamicImage::from_decoder(decoder).map_err(not_an_image)?;
    image.apply_orientation(orientation);

    let (w, h) = (image.width(), image.height());
    let (cw, ch) = crop_size(w, h);
    if cw < MIN_WIDTH || ch < MIN_HEIGHT {
        return Err(refuse(
            Reason::PhotoTooSmall,
            format!(
                "the image is {w} x {h} pixels; its 3:4 portrait needs at least {MIN_WIDTH} x {MIN_HEIGHT}"
            ),
        ));
    }
    let cropped = image.crop_imm((w - cw) / 2, (h - ch) / 2, cw, ch);
    let scaled = if cw > WIDTH || ch > HEIGHT {
        cropped.resize_exact(WIDTH, HEIGHT, FilterType::Lanczos3)
    } else {
        cropped
    };
    let rgb = flatten(&scaled);
    let jpeg = encode(&rgb)?;
    Ok(Photo {
        jpeg,
        width: rgb.width(),
        height: rgb.height(),
    })
}

/// The largest 3:4 (portrait) rectangle inside `w` x `h`.
fn crop_size(w: u32, h: u32) -> (u32, u32) {
    let (w64, h64) = (u64::from(w), u64::from(h));
    if w64 * 4 > h64 * 3 {
        // Wider than 3:4: keep the height.
        let cw = (h64 * 3 / 4).max(1);
        (u32::try_from(cw).unwrap_or(w), h)
    } else {
        let ch = (w64 * 4 / 3).max(1);
        (w, u32::try_from(ch).unwrap_or(h))
    }
}

/// RGB on white: transparent parts of a PNG or WebP print as paper.
fn flatten(image: &DynamicImage) -> RgbImage {
    if !image.color().has_alpha() {
        return image.to_rgb8();
    }
    let rgba = image.to_rgba8();
    RgbImage::from_fn(rgba.width(), rgba.height(), |x, y| {
        let p = rgba.get_pixel(x, y).0;
        let a = u16::from(p[3]);
        let mix = |c: u8| u8::try_from((u16::from(c) * a + 255 * (255 - a)) / 255).unwrap_or(255);
        image::Rgb([mix(p[0]), mix(p[1]), mix(p[2])])
    })
}

/// The best quality that fits in [`MAX_JPEG_BYTES`].
fn encode(rgb: &RgbImage) -> Result<Vec<u8>, AppError> {
    let mut last = Vec::new();
    for quality in [88, 80, 72, 64, 55, 45, 35] {
        let mut out = Vec::with_capacity(128 * 1024);
        JpegEncoder::new_with_quality(&mut out, quality)
            .encode_image(rgb)
            .map_err(AppError::internal)?;
        if out.len() <= MAX_JPEG_BYTES {
            return Ok(out);
        }
        last = out;
    }
    // 600 x 800 at quality 35 is far below the limit for any picture; keep
    // the rule anyway.
    if last.len() <= MAX_JPEG_BYTES {
        Ok(last)
    } else {
        Err(AppError::internal(anyhow::anyhow!(
            "the photo does not fit in {MAX_JPEG_BYTES} bytes"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{ImageEncoder as _, Rgba, RgbaImage};

    fn png(w: u32, h: u32) -> Vec<u8> {
        let img = RgbaImage::from_fn(w, h, |x, y| {
            Rgba([(x % 256) as u8, (y % 256) as u8, ((x + y) % 256) as u8, 255])
        });
        let mut out = Vec::new();
        image::codecs::png::PngEncoder::new(&mut out)
            .write_image(img.as_raw(), w, h, image::ExtendedColorType::Rgba8)
            .unwrap();
        out
    }

    fn reason(r: Result<Photo, AppError>) -> Reason {
        r.unwrap_err().reason
    }

    #[test]
    fn a_landscape_picture_becomes_a_3_by_4_portrait_of_at_most_600_by_800() {
        let photo = prepare(&png(1920, 1080)).unwrap();
        assert_eq!((photo.width, photo.height), (600, 800));
        assert!(photo.jpeg.len() <= MAX_JPEG_BYTES);
        assert_eq!(image::guess_format(&photo.jpeg).unwrap(), ImageFormat::Jpeg);
        let small = prepare(&png(300, 500)).unwrap();
        assert_eq!((small.width, small.height), (300, 400));
    }

    #[test]
    fn refusals_say_why() {
        assert_eq!(reason(prepare(b"GIF89a....")), Reason::PhotoNotAnImage);
        assert_eq!(reason(prepare(b"%PDF-1.7")), Reason::PhotoNotAnImage);
        let mut cut = png(400, 400);
        cut.truncate(cut.len() / 2);
        assert_eq!(reason(prepare(&cut)), Reason::PhotoNotAnImage);
        assert_eq!(reason(prepare(&png(100, 100))), Reason::PhotoTooSmall);
        assert_eq!(
            reason(prepare(&vec![0xFF; MAX_FILE_BYTES + 1])),
            Reason::PhotoTooLarge
        );
    }

    #[test]
    fn crops_keep_the_centre() {
        assert_eq!(crop_size(1000, 1000), (750, 1000));
        assert_eq!(crop_size(600, 2000), (600, 800));
        assert_eq!(crop_size(3, 4), (3, 4));
    }
}
