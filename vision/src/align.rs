//! Five-point alignment: a similarity transform (Umeyama 1991) from the detected landmarks to
//! the ArcFace template, then an OpenCV affine warp to the 112×112 crop SFace expects.

use opencv::core::{Mat, Scalar, Size, CV_64F};
use opencv::imgproc;
use opencv::prelude::*;

use crate::detect::Detection;
use crate::error::Result;
use crate::frame::Frame;

/// Side of the aligned crop.
pub const CROP_SIDE: i32 = 112;

/// The ArcFace 112×112 landmark template: right eye, left eye, nose, right and left mouth.
pub const TEMPLATE: [[f64; 2]; 5] = [
    [38.2946, 51.6963],
    [73.5318, 51.5014],
    [56.0252, 71.7366],
    [41.5493, 92.3655],
    [70.7299, 92.2041],
];

/// A 2×3 affine matrix `[a -b tx; b a ty]` (rotation+uniform scale+translation).
pub type Similarity = [[f64; 3]; 2];

/// Least-squares similarity transform mapping `src` onto `dst` (Umeyama, "Least-squares
/// estimation of transformation parameters between two point patterns", PAMI 1991), in 2-D,
/// with the reflection case handled. Degenerate input (all points equal) gives the identity
/// scale 0 matrix, which warps to a black crop; never a panic.
pub fn umeyama(src: &[[f64; 2]; 5], dst: &[[f64; 2]; 5]) -> Similarity {
    let n = src.len() as f64;
    let mean = |p: &[[f64; 2]; 5]| {
        let (sx, sy) = p.iter().fold((0.0, 0.0), |(x, y), q| (x + q[0], y + q[1]));
        [sx / n, sy / n]
    };
    let (ms, md) = (mean(src), mean(dst));
    // Covariance Σ = (1/n) Σ (d - md)(s - ms)^T and source variance.
    let mut cov = [[0.0f64; 2]; 2];
    let mut var_s = 0.0;
    for (s, d) in src.iter().zip(dst) {
        let (sx, sy) = (s[0] - ms[0], s[1] - ms[1]);
        let (dx, dy) = (d[0] - md[0], d[1] - md[1]);
        cov[0][0] += dx * sx;
        cov[0][1] += dx * sy;
        cov[1][0] += dy * sx;
        cov[1][1] += dy * sy;
        var_s += sx * sx + sy * sy;
    }
    for row in cov.iter_mut() {
        for v in row.iter_mut() {
            *v /= n;
        }
    }
    var_s /= n;
    // In 2-D the optimal proper rotation has a closed form. Write Σ = [p q; r t]. For
    // R = rot(θ), trace(RᵀΣ) = cos θ (p + t) + sin θ (r − q), maximal at θ = atan2(r − q, p + t)
    // with value sqrt((p+t)² + (r−q)²) = sqrt(‖Σ‖² + 2 det Σ): σ1 + σ2 when det Σ ≥ 0 and
    // σ1 − σ2 when det Σ < 0 — exactly Umeyama's trace(DS), reflection case included.
    let (p, q, r, t) = (cov[0][0], cov[0][1], cov[1][0], cov[1][1]);
    let theta = (r - q).atan2(p + t);
    let trace_ds = ((p + t).powi(2) + (r - q).powi(2)).sqrt();
    let scale = if var_s > 0.0 { trace_ds / var_s } else { 0.0 };
    let (c, s) = (theta.cos(), theta.sin());
    let a = scale * c;
    let b = scale * s;
    let tx = md[0] - (a * ms[0] - b * ms[1]);
    let ty = md[1] - (b * ms[0] + a * ms[1]);
    [[a, -b, tx], [b, a, ty]]
}

/// Warps the face to the 112×112 ArcFace crop (bilinear, black border), as OpenCV's
/// `FaceRecognizerSF::alignCrop` does.
pub fn align(frame: &Frame, face: &Detection) -> Result<Frame> {
    let mut src = [[0.0f64; 2]; 5];
    for (s, lm) in src.iter_mut().zip(face.landmarks.iter()) {
        *s = [lm[0] as f64, lm[1] as f64];
    }
    let m = umeyama(&src, &TEMPLATE);
    let mut mat = Mat::new_rows_cols_with_default(2, 3, CV_64F, Scalar::all(0.0))?;
    for (i, row) in m.iter().enumerate() {
        for (j, v) in row.iter().enumerate() {
            *mat.at_2d_mut::<f64>(i as i32, j as i32)? = *v;
        }
    }
    let mut out = Mat::default();
    imgproc::warp_affine(
        frame.mat(),
        &mut out,
        &mat,
        Size::new(CROP_SIDE, CROP_SIDE),
        imgproc::INTER_LINEAR,
        opencv::core::BORDER_CONSTANT,
        Scalar::all(0.0),
    )?;
    Frame::from_mat(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovers_a_known_similarity() {
        let (s, th, tx, ty) = (2.5f64, 0.3f64, 17.0, -4.0);
        let mut src = [[0.0; 2]; 5];
        for (i, p) in TEMPLATE.iter().enumerate() {
            // src = inverse transform of template
            let (x, y) = ((p[0] - tx) / s, (p[1] - ty) / s);
            let (c, sn) = (th.cos(), -th.sin());
            src[i] = [c * x - sn * y, sn * x + c * y];
        }
        let m = umeyama(&src, &TEMPLATE);
        for (sp, tp) in src.iter().zip(TEMPLATE.iter()) {
            let x = m[0][0] * sp[0] + m[0][1] * sp[1] + m[0][2];
            let y = m[1][0] * sp[0] + m[1][1] * sp[1] + m[1][2];
            assert!((x - tp[0]).abs() < 1e-9 && (y - tp[1]).abs() < 1e-9);
        }
    }

    #[test]
    fn degenerate_points_do_not_panic() {
        let m = umeyama(&[[5.0, 5.0]; 5], &TEMPLATE);
        assert!(m.iter().flatten().all(|v| v.is_finite()));
    }
}
