//! Making a calibration table: impostor scores (optionally from augmented variants) to
//! FMR → threshold rows, with the method of each row recorded.

use std::path::{Path, PathBuf};

use crate::calibration::{Calibration, CalibrationPoint};
use crate::decode::read_photo;
use crate::embed::Embedding;
use crate::error::{Result, VisionError};
use crate::pipeline::FacePipeline;

/// Builds a calibration table from impostor scores. For each target FMR the threshold is the
/// empirical quantile when the set can resolve it (at least 10 impostor pairs per expected
/// false match, i.e. n·FMR ≥ 10), otherwise a Gaussian-tail extrapolation
/// (mean + z·sd of the impostor scores), never lower than the highest impostor score seen
/// plus `margin`. Rows record which method gave them.
pub fn calibrate(
    impostor_scores: &[f32],
    genuine_pairs: u64,
    identities: u64,
    fmrs: &[f64],
    margin: f32,
    model: &str,
    description: &str,
) -> Result<Calibration> {
    let mut s: Vec<f32> = impostor_scores
        .iter()
        .copied()
        .filter(|x| x.is_finite())
        .collect();
    if s.len() < 10 {
        return Err(VisionError::Config(format!(
            "{} impostor scores are too few to calibrate anything",
            s.len()
        )));
    }
    s.sort_by(|a, b| a.total_cmp(b));
    let n = s.len() as f64;
    let mean = s.iter().map(|&x| x as f64).sum::<f64>() / n;
    let sd = (s.iter().map(|&x| (x as f64 - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
    let max = *s.last().unwrap_or(&1.0);
    let mut point = Vec::new();
    for &fmr in fmrs {
        if !(fmr > 0.0 && fmr < 1.0) {
            continue;
        }
        let (threshold, method) = if n * fmr >= 10.0 {
            // Smallest t with (#scores ≥ t)/n ≤ fmr: just above the score ranked k from the top.
            let k = ((n * fmr).floor() as usize).min(s.len() - 1);
            (next_up(s[s.len() - 1 - k]) as f64, "empirical")
        } else {
            // Beyond what the pairs resolve: a normal-tail estimate, but never below the highest
            // impostor score + margin, the margin growing by 0.025 per decade below the
            // resolvable FMR (10/n). A guard, not a measurement.
            let z = normal_quantile(1.0 - fmr);
            let decades = ((10.0 / n) / fmr).log10().max(0.0);
            let floor = max as f64 + margin as f64 + 0.025 * decades;
            ((mean + z * sd).max(floor), "extrapolated")
        };
        point.push(CalibrationPoint {
            fmr,
            threshold: (threshold * 10_000.0).ceil() / 10_000.0,
            method: method.into(),
        });
    }
    Ok(Calibration {
        model: model.into(),
        description: description.into(),
        impostor_pairs: s.len() as u64,
        identities,
        genuine_pairs,
        images: Vec::new(),
        point,
    })
}

fn next_up(x: f32) -> f32 {
    x + f32::EPSILON.max(x.abs() * f32::EPSILON)
}

/// Inverse standard normal CDF (Acklam's rational approximation, |error| < 1.2e-9).
#[allow(clippy::excessive_precision)] // the published coefficients, digit for digit
pub fn normal_quantile(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969683028665376e1,
        2.209460984245205e2,
        -2.759285104469687e2,
        1.383577518672690e2,
        -3.066479806614716e1,
        2.506628277459239,
    ];
    const B: [f64; 5] = [
        -5.447609879822406e1,
        1.615858368580409e2,
        -1.556989798598866e2,
        6.680131188771972e1,
        -1.328068155288572e1,
    ];
    const C: [f64; 6] = [
        -7.784894002430293e-3,
        -3.223964580411365e-1,
        -2.400758277161838,
        -2.549732539343734,
        4.374664141464968,
        2.938163982698783,
    ];
    const D: [f64; 4] = [
        7.784695709041462e-3,
        3.224671290700398e-1,
        2.445134137142996,
        3.754408661907416,
    ];
    let p = p.clamp(1e-300, 1.0 - 1e-16);
    let pl = 0.02425;
    if p < pl {
        let q = (-2.0 * p.ln()).sqrt();
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    } else if p <= 1.0 - pl {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    } else {
        -normal_quantile(1.0 - p)
    }
}

/// Image variants used to widen an impostor distribution for calibration: the original, a
/// mirror image, ±8° rotations, half scale, darker + blurred, brighter, and a JPEG re-encode
/// at quality 30. They add pairs, not identities: scores of variants of the same two people
/// are strongly correlated, and reports must say so.
pub fn augment(frame: &crate::Frame) -> Result<Vec<crate::Frame>> {
    use opencv::core::{self as cvcore, Mat, Point2f, Scalar, Size, Vector};
    use opencv::prelude::*;
    use opencv::{imgcodecs, imgproc};

    let mut out = vec![frame.try_clone()?];
    let src = frame.mat();
    let mut m = Mat::default();
    cvcore::flip(src, &mut m, 1)?;
    out.push(crate::Frame::from_mat(m)?);
    for angle in [-8.0, 8.0] {
        let c = Point2f::new(frame.width() as f32 / 2.0, frame.height() as f32 / 2.0);
        let r = imgproc::get_rotation_matrix_2d(c, angle, 1.0)?;
        let mut m = Mat::default();
        imgproc::warp_affine(
            src,
            &mut m,
            &r,
            Size::new(frame.width() as i32, frame.height() as i32),
            imgproc::INTER_LINEAR,
            cvcore::BORDER_REPLICATE,
            Scalar::all(0.0),
        )?;
        out.push(crate::Frame::from_mat(m)?);
    }
    // Half scale, rounded as OpenCV rounds a scale factor (to nearest, ties to even).
    let half = |n: u32| ((f64::from(n) * 0.5).round_ties_even() as u32).max(1);
    out.push(frame.resize(
        half(frame.width()),
        half(frame.height()),
        crate::Interpolation::Area,
    )?);
    let mut dark = Mat::default();
    src.convert_to(&mut dark, -1, 0.6, 0.0)?;
    let mut m = Mat::default();
    imgproc::gaussian_blur_def(&dark, &mut m, Size::new(5, 5), 1.5)?;
    crate::frame::wipe(&mut dark);
    out.push(crate::Frame::from_mat(m)?);
    let mut m = Mat::default();
    src.convert_to(&mut m, -1, 1.25, 20.0)?;
    out.push(crate::Frame::from_mat(m)?);
    let mut buf = Vector::<u8>::new();
    let params = Vector::<i32>::from_slice(&[imgcodecs::IMWRITE_JPEG_QUALITY, 30]);
    imgcodecs::imencode(".jpg", src, &mut buf, &params)?;
    let decoded = crate::decode::decode_image(buf.as_slice());
    let zeros = vec![0u8; buf.len()];
    buf = Vector::<u8>::from_slice(&zeros);
    drop(buf);
    out.push(decoded?);
    Ok(out)
}

/// SHA-256 (lower-case hex) of each image file, sorted and without repeats: the record of what
/// a calibration table was made from ([`Calibration::images`]).
pub fn image_digests(images: &[(String, PathBuf)]) -> Result<Vec<String>> {
    use sha2::{Digest, Sha256};
    let mut out = Vec::with_capacity(images.len());
    for (_, path) in images {
        let bytes = std::fs::read(path).map_err(|e| VisionError::io(path, e))?;
        out.push(hex::encode(Sha256::digest(&bytes)));
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// Every image of a folder-per-identity layout, with its identity.
pub fn images_by_identity(dir: &Path) -> Result<Vec<(String, PathBuf)>> {
    let mut out = Vec::new();
    let mut ids: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| VisionError::io(dir, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    ids.sort();
    for id in ids {
        let name = id
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut files: Vec<PathBuf> = std::fs::read_dir(&id)
            .map_err(|e| VisionError::io(&id, e))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file() && crate::eval::is_image_name(p))
            .collect();
        files.sort();
        out.extend(files.into_iter().map(|f| (name.clone(), f)));
    }
    Ok(out)
}

/// Scores for calibration: embeds every image and (with `augment`) its variants, then forms
/// every pair once. Returns (genuine scores, impostor scores, identities). Pairs between
/// variants of the same source image are left out (they are not genuine pairs in any useful
/// sense).
pub fn calibration_scores(
    pipeline: &mut FacePipeline,
    images: &[(String, PathBuf)],
    with_augment: bool,
    mut progress: impl FnMut(u64, u64),
) -> Result<(Vec<f32>, Vec<f32>, u64)> {
    let mut embs: Vec<(usize, &str, Embedding)> = Vec::new();
    let total = images.len() as u64;
    for (i, (id, path)) in images.iter().enumerate() {
        let frame = read_photo(path)?;
        let variants = if with_augment {
            augment(&frame)?
        } else {
            vec![frame]
        };
        for v in &variants {
            if let Some(found) = crate::matcher::largest_face(pipeline, v)? {
                embs.push((i, id.as_str(), found.3));
            }
        }
        progress(i as u64 + 1, total);
    }
    let (mut gen, mut imp) = (Vec::new(), Vec::new());
    for i in 0..embs.len() {
        for j in i + 1..embs.len() {
            let (a, b) = (&embs[i], &embs[j]);
            if a.0 == b.0 {
                continue;
            }
            let s = a.2.cosine(&b.2);
            if a.1 == b.1 {
                gen.push(s);
            } else {
                imp.push(s);
            }
        }
    }
    let mut ids: Vec<&str> = images.iter().map(|(id, _)| id.as_str()).collect();
    ids.sort();
    ids.dedup();
    Ok((gen, imp, ids.len() as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantile_and_calibration() {
        assert!((normal_quantile(0.999) - 3.0902).abs() < 1e-3);
        assert!((normal_quantile(0.5)).abs() < 1e-9);
        let scores: Vec<f32> = (0..1000).map(|i| i as f32 / 1000.0 * 0.4 - 0.1).collect();
        let cal = calibrate(&scores, 0, 2, &[0.1, 0.001], 0.05, "m", "d").unwrap();
        assert_eq!(cal.point[0].method, "empirical");
        assert!((cal.point[0].threshold - 0.26).abs() < 0.002);
        assert_eq!(cal.point[1].method, "extrapolated");
        assert!(cal.point[1].threshold >= 0.3 + 0.05 - 1e-3);
    }
}
