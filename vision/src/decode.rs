//! Decoding still images (chip photos, files) from bytes, and finding the image inside a DG2.
//!
//! A chip photo is JPEG or JPEG 2000 (ICAO Doc 9303-10 §4.7.2, ISO/IEC 19794-5 image data).
//! The `document` crate parses DG2 properly; [`locate_image`] is a small, fuzz-safe fallback
//! that finds the first JPEG or JPEG 2000 signature in arbitrary bytes, so the CLI can take a
//! raw DG2 file.

use opencv::core::{Mat, Vector};
use opencv::imgcodecs;
use opencv::prelude::*;

use crate::error::{Result, VisionError};
use crate::frame::Frame;

/// Largest encoded image accepted (bytes). Chip photos are ~15–30 kB; camera stills a few MB.
pub const MAX_ENCODED_BYTES: usize = 64 * 1024 * 1024;
/// Largest decoded image accepted (pixels), against decompression bombs.
pub const MAX_PIXELS: u64 = 40_000_000;

/// The image format found by [`locate_image`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageFormat {
    /// JPEG (starts FF D8 FF).
    Jpeg,
    /// JPEG 2000 in a JP2 file (signature box 0000000C 6A502020 0D0A870A).
    Jp2,
    /// A raw JPEG 2000 codestream (starts FF 4F FF 51: SOC then SIZ).
    J2k,
}

const JPEG_SIG: &[u8] = &[0xFF, 0xD8, 0xFF];
const JP2_SIG: &[u8] = &[0x00, 0x00, 0x00, 0x0C, 0x6A, 0x50, 0x20, 0x20];
const J2K_SIG: &[u8] = &[0xFF, 0x4F, 0xFF, 0x51];

/// Finds the first embedded JPEG or JPEG 2000 image in `data` (e.g. a DG2 file) and returns
/// its format and the bytes from its signature to the end of `data` (decoders ignore trailing
/// bytes). Returns `None` when there is none. Never panics.
pub fn locate_image(data: &[u8]) -> Option<(ImageFormat, &[u8])> {
    let candidates = [
        (ImageFormat::Jpeg, JPEG_SIG),
        (ImageFormat::Jp2, JP2_SIG),
        (ImageFormat::J2k, J2K_SIG),
    ];
    candidates
        .iter()
        .filter_map(|(fmt, sig)| find(data, sig).map(|at| (at, *fmt)))
        .min_by_key(|(at, _)| *at)
        .map(|(at, fmt)| (fmt, &data[at..]))
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || hay.len() < needle.len() {
        return None;
    }
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Decodes image bytes (any format OpenCV reads: JPEG, JPEG 2000, PNG, ...) into a frame.
pub fn decode_image(bytes: &[u8]) -> Result<Frame> {
    if bytes.is_empty() {
        return Err(VisionError::NotAnImage("no bytes".into()));
    }
    if bytes.len() > MAX_ENCODED_BYTES {
        return Err(VisionError::NotAnImage(format!(
            "{} bytes is more than the {MAX_ENCODED_BYTES} accepted",
            bytes.len()
        )));
    }
    // A view of the caller's bytes, no copy.
    let buf = Mat::from_slice(bytes)?;
    let mat = imgcodecs::imdecode(&buf, imgcodecs::IMREAD_COLOR)
        .map_err(|e| VisionError::NotAnImage(e.message))?;
    if mat.empty() {
        return Err(VisionError::NotAnImage(
            "OpenCV could not decode it (unknown format or truncated)".into(),
        ));
    }
    let pixels = mat.rows() as u64 * mat.cols() as u64;
    let frame = Frame::from_mat(mat)?;
    if pixels > MAX_PIXELS {
        return Err(VisionError::NotAnImage(format!(
            "{pixels} pixels is more than the {MAX_PIXELS} accepted"
        )));
    }
    Ok(frame)
}

/// Decodes a chip photo: either image bytes directly, or a container (DG2, a CBEFF record)
/// that holds a JPEG or JPEG 2000 image somewhere inside.
pub fn decode_photo(bytes: &[u8]) -> Result<Frame> {
    let starts_with_image = [JPEG_SIG, JP2_SIG, J2K_SIG]
        .iter()
        .any(|sig| bytes.starts_with(sig));
    if starts_with_image {
        return decode_image(bytes);
    }
    match locate_image(bytes) {
        Some((_, image)) => decode_image(image),
        // Not a container with a JPEG/JPEG 2000: maybe a PNG or other file OpenCV reads.
        None => decode_image(bytes).map_err(|e| match e {
            VisionError::NotAnImage(_) => VisionError::NoImageInContainer,
            other => other,
        }),
    }
}

/// Reads and decodes an image or DG2 file.
pub fn read_photo(path: &std::path::Path) -> Result<Frame> {
    let meta = std::fs::metadata(path).map_err(|e| VisionError::io(path, e))?;
    if meta.len() > MAX_ENCODED_BYTES as u64 {
        return Err(VisionError::NotAnImage(format!(
            "{}: file too large",
            path.display()
        )));
    }
    let bytes = zeroize::Zeroizing::new(std::fs::read(path).map_err(|e| VisionError::io(path, e))?);
    decode_photo(&bytes)
}

/// Encodes a frame (used by tests and the dangerous debug dump only).
pub fn encode_image(frame: &Frame, ext: &str) -> Result<Vec<u8>> {
    let mut out = Vector::<u8>::new();
    imgcodecs::imencode_def(ext, frame.mat(), &mut out)?;
    Ok(out.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locates_each_signature_and_the_earliest() {
        let mut dg2 = vec![0x75, 0x82, 0x01, 0x00, 0x7F, 0x61];
        dg2.extend_from_slice(&[0, 0, 0, 0x0C, 0x6A, 0x50, 0x20, 0x20, 0x0D, 0x0A]);
        dg2.extend_from_slice(&[0xFF, 0xD8, 0xFF, 0xE0]);
        let (fmt, rest) = locate_image(&dg2).unwrap();
        assert_eq!(fmt, ImageFormat::Jp2);
        assert_eq!(rest.len(), 14);
        assert_eq!(
            locate_image(&[1, 2, 0xFF, 0x4F, 0xFF, 0x51, 9]).map(|x| x.0),
            Some(ImageFormat::J2k)
        );
        assert_eq!(
            locate_image(&[0xFF, 0xD8, 0xFF]).map(|x| x.0),
            Some(ImageFormat::Jpeg)
        );
    }

    #[test]
    fn locator_never_panics_on_short_or_random_input() {
        assert!(locate_image(&[]).is_none());
        assert!(locate_image(&[0xFF]).is_none());
        assert!(locate_image(&[0xFF, 0xD8]).is_none());
        let mut x: u32 = 12345;
        for len in 0..300 {
            let data: Vec<u8> = (0..len)
                .map(|_| {
                    x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
                    (x >> 16) as u8
                })
                .collect();
            let _ = locate_image(&data);
        }
    }

    #[test]
    fn garbage_is_a_clear_error() {
        assert!(matches!(
            decode_image(b"hello, not an image"),
            Err(VisionError::NotAnImage(_))
        ));
        assert!(matches!(
            decode_photo(b"hello, not an image"),
            Err(VisionError::NoImageInContainer)
        ));
        assert!(decode_image(&[]).is_err());
        // A JPEG signature followed by garbage.
        assert!(decode_photo(&[0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3]).is_err());
    }
}
