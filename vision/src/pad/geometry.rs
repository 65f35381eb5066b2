//! Multi-frame geometry: does the face move as a plane?
//!
//! A print or a screen is a plane: between two frames, the image of every point on it
//! follows one homography. A face is not: when the head turns, the nose moves across the
//! cheeks (parallax). Between consecutive frames, a grid of small patches inside the face is
//! tracked (OpenCV `matchTemplate`, searched around where the landmarks' similarity
//! transform predicts each patch), then one homography is fitted to all the tracked points
//! (least squares, OpenCV `solve`). The signal is how far the points stay from it, in face
//! widths, over the frame pairs whose motion was more than a similarity transform (a turn or
//! a tilt — a shift, an in-plane turn or a zoom tells nothing either way).
//!
//! The five detector landmarks alone are not enough for this: the detector has learned what
//! a turned head looks like and places the nose of a tilted photo as if it had depth.

use opencv::core::{self, Mat, Rect, Scalar, Size, CV_64F};
use opencv::imgproc;
use opencv::prelude::*;
use serde::{Deserialize, Serialize};

use super::{score_live_high, PadDecision, PadSample, Signal, SignalResult, Species};
use crate::align::umeyama;
use crate::detect::Detection;
use crate::error::Result;
use crate::frame::Frame;

/// Thresholds of the geometry signal, in face widths.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct GeometryConfig {
    /// A frame pair counts when the tracked points moved this far (RMS) from the best
    /// similarity transform (a turn or tilt, not just a shift or zoom).
    pub min_motion: f64,
    /// Median distance from the best homography below this: the presentation moves as a
    /// plane (an attack).
    pub planar_below: f64,
    /// Median distance from the best homography above this: a face with depth (live).
    pub live_above: f64,
    /// Frame pairs that must count before the signal decides.
    pub min_pairs: u32,
}

impl Default for GeometryConfig {
    fn default() -> Self {
        Self {
            min_motion: 0.012,
            planar_below: 0.006,
            live_above: 0.010,
            min_pairs: 2,
        }
    }
}

/// Width of the face in the tracking image, pixels.
const FACE_SIDE: f32 = 128.0;
/// Patch half size and search radius around the predicted position, pixels at [`FACE_SIDE`].
const PATCH: i32 = 8;
const SEARCH: i32 = 10;
/// Grid of patches inside the face box.
const GRID: usize = 6;
/// Tracked points needed for a fit.
const MIN_POINTS: usize = 10;

/// The motion of the face between two consecutive frames.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct FlowMeasure {
    /// Points tracked.
    pub points: u32,
    /// RMS distance of the points from the best similarity transform, face widths.
    pub deformation: f32,
    /// RMS distance of the points from the best homography, face widths.
    pub parallax: f32,
}

/// The previous frame, grey and scaled so that its face is [`FACE_SIDE`] wide; its pixels are
/// wiped when it is dropped.
pub struct Previous {
    grey: Mat,
    k: f32,
    face: Detection,
}

impl std::fmt::Debug for Previous {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Previous(scale {})", self.k)
    }
}

impl Drop for Previous {
    fn drop(&mut self) {
        crate::frame::wipe(&mut self.grey);
    }
}

fn grey_scaled(frame: &Frame, k: f32) -> Result<Mat> {
    let mut grey = Mat::default();
    imgproc::cvt_color_def(frame.mat(), &mut grey, imgproc::COLOR_BGR2GRAY)?;
    let size = Size::new(
        ((frame.width() as f32 * k).round() as i32).max(1),
        ((frame.height() as f32 * k).round() as i32).max(1),
    );
    let mut out = Mat::default();
    let how = if k < 1.0 {
        imgproc::INTER_AREA
    } else {
        imgproc::INTER_LINEAR
    };
    imgproc::resize(&grey, &mut out, size, 0.0, 0.0, how)?;
    crate::frame::wipe(&mut grey);
    Ok(out)
}

/// Keeps `frame` for tracking into the next one. `None` if the face box is degenerate.
pub fn previous(frame: &Frame, face: &Detection) -> Result<Option<Previous>> {
    let w = face.bbox[2];
    if w.is_nan() || w < 16.0 {
        return Ok(None);
    }
    let k = FACE_SIDE / w;
    Ok(Some(Previous {
        grey: grey_scaled(frame, k)?,
        k,
        face: *face,
    }))
}

/// Tracks the face's patches from `prev` into `frame`: the motion (`None` when too few
/// patches could be tracked, a textureless or vanished face) and `frame` kept for the next
/// one, at the same scale (one grey conversion per frame).
pub fn track(
    prev: &Previous,
    frame: &Frame,
    face: &Detection,
) -> Result<(Option<FlowMeasure>, Previous)> {
    let k = prev.k;
    let cur = grey_scaled(frame, k)?;
    let next = Previous {
        grey: cur,
        k,
        face: *face,
    };
    let cur = &next.grey;
    let scaled = |d: &Detection| d.landmarks.map(|p| [(p[0] * k) as f64, (p[1] * k) as f64]);
    let s = umeyama(&scaled(&prev.face), &scaled(face));
    let [x, y, w, h] = prev.face.bbox.map(|v| v * k);
    let (pw, ph) = (prev.grey.cols(), prev.grey.rows());
    let (cw, ch) = (cur.cols(), cur.rows());
    let mut src = Vec::new();
    let mut dst = Vec::new();
    for gy in 0..GRID {
        for gx in 0..GRID {
            let px = (x + w * (0.18 + 0.64 * gx as f32 / (GRID - 1) as f32)).round() as i32;
            let py = (y + h * (0.15 + 0.7 * gy as f32 / (GRID - 1) as f32)).round() as i32;
            if px - PATCH < 0 || py - PATCH < 0 || px + PATCH >= pw || py + PATCH >= ph {
                continue;
            }
            let tpl = Mat::roi(
                &prev.grey,
                Rect::new(px - PATCH, py - PATCH, 2 * PATCH + 1, 2 * PATCH + 1),
            )?;
            let mut mean = Scalar::default();
            let mut sd = Scalar::default();
            core::mean_std_dev(&tpl, &mut mean, &mut sd, &core::no_array())?;
            if sd[0] < 4.0 {
                continue; // flat skin: nothing to lock on to
            }
            let qx = (s[0][0] * px as f64 + s[0][1] * py as f64 + s[0][2]).round() as i32;
            let qy = (s[1][0] * px as f64 + s[1][1] * py as f64 + s[1][2]).round() as i32;
            let (wx, wy) = (qx - PATCH - SEARCH, qy - PATCH - SEARCH);
            let side = 2 * (PATCH + SEARCH) + 1;
            if wx < 0 || wy < 0 || wx + side > cw || wy + side > ch {
                continue;
            }
            let window = Mat::roi(cur, Rect::new(wx, wy, side, side))?;
            let mut score = Mat::default();
            imgproc::match_template_def(&window, &tpl, &mut score, imgproc::TM_CCOEFF_NORMED)?;
            let mut best = 0.0;
            let mut at = core::Point::default();
            core::min_max_loc(
                &score,
                None,
                Some(&mut best),
                None,
                Some(&mut at),
                &core::no_array(),
            )?;
            if best < 0.7 {
                continue;
            }
            // Sub-pixel: a parabola through the peak and its neighbours on each axis.
            let v = |dx: i32, dy: i32| -> f64 {
                score
                    .at_2d::<f32>(at.y + dy, at.x + dx)
                    .map(|v| *v as f64)
                    .unwrap_or(f64::NAN)
            };
            let refine = |a: f64, b: f64, c: f64| {
                let d = a - 2.0 * b + c;
                if d.is_finite() && d.abs() > 1e-9 {
                    (0.5 * (a - c) / d).clamp(-0.5, 0.5)
                } else {
                    0.0
                }
            };
            let sx = refine(v(-1, 0), v(0, 0), v(1, 0));
            let sy = refine(v(0, -1), v(0, 0), v(0, 1));
            src.push([px as f64, py as f64]);
            dst.push([
                wx as f64 + at.x as f64 + sx + PATCH as f64,
                wy as f64 + at.y as f64 + sy + PATCH as f64,
            ]);
        }
    }
    if src.len() < MIN_POINTS {
        return Ok((None, next));
    }
    let sim = fit_similarity(&src, &dst);
    let deformation = rms(&src, &dst, |p| apply_affine(&sim, p));
    let Some(hom) = fit_homography(&src, &dst)? else {
        return Ok((None, next));
    };
    let parallax = rms(&src, &dst, |p| apply_homography(&hom, p));
    // Face widths at the tracking scale (the first frame's face is FACE_SIDE wide).
    let face_w = (face.bbox[2] * k).max(1.0) as f64;
    Ok((
        Some(FlowMeasure {
            points: src.len() as u32,
            deformation: (deformation / face_w) as f32,
            parallax: (parallax / face_w) as f32,
        }),
        next,
    ))
}

fn rms(src: &[[f64; 2]], dst: &[[f64; 2]], f: impl Fn([f64; 2]) -> [f64; 2]) -> f64 {
    let sum: f64 = src
        .iter()
        .zip(dst)
        .map(|(p, q)| {
            let r = f(*p);
            (r[0] - q[0]).powi(2) + (r[1] - q[1]).powi(2)
        })
        .sum();
    (sum / src.len().max(1) as f64).sqrt()
}

fn apply_affine(m: &[[f64; 3]; 2], p: [f64; 2]) -> [f64; 2] {
    [
        m[0][0] * p[0] + m[0][1] * p[1] + m[0][2],
        m[1][0] * p[0] + m[1][1] * p[1] + m[1][2],
    ]
}

fn apply_homography(h: &[f64; 9], p: [f64; 2]) -> [f64; 2] {
    let w = h[6] * p[0] + h[7] * p[1] + h[8];
    if w.abs() < 1e-12 {
        return [f64::INFINITY, f64::INFINITY];
    }
    [
        (h[0] * p[0] + h[1] * p[1] + h[2]) / w,
        (h[3] * p[0] + h[4] * p[1] + h[5]) / w,
    ]
}

/// Least-squares similarity (Umeyama 1991, closed form in 2-D) over any number of points.
fn fit_similarity(src: &[[f64; 2]], dst: &[[f64; 2]]) -> [[f64; 3]; 2] {
    let n = src.len() as f64;
    let mean = |p: &[[f64; 2]]| {
        let (x, y) = p.iter().fold((0.0, 0.0), |(x, y), q| (x + q[0], y + q[1]));
        [x / n, y / n]
    };
    let (ms, md) = (mean(src), mean(dst));
    let (mut p, mut q, mut r, mut t, mut var) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for (s, d) in src.iter().zip(dst) {
        let (sx, sy) = (s[0] - ms[0], s[1] - ms[1]);
        let (dx, dy) = (d[0] - md[0], d[1] - md[1]);
        p += dx * sx;
        q += dx * sy;
        r += dy * sx;
        t += dy * sy;
        var += sx * sx + sy * sy;
    }
    let theta = (r - q).atan2(p + t);
    let scale = if var > 0.0 {
        ((p + t).powi(2) + (r - q).powi(2)).sqrt() / var
    } else {
        0.0
    };
    let (a, b) = (scale * theta.cos(), scale * theta.sin());
    [
        [a, -b, md[0] - (a * ms[0] - b * ms[1])],
        [b, a, md[1] - (b * ms[0] + a * ms[1])],
    ]
}

/// Least-squares homography (direct linear transform with h33 = 1, coordinates normalised
/// as Hartley recommends), solved by OpenCV `solve` with SVD.
fn fit_homography(src: &[[f64; 2]], dst: &[[f64; 2]]) -> Result<Option<[f64; 9]>> {
    let norm = |p: &[[f64; 2]]| {
        let n = p.len() as f64;
        let (mx, my) = p
            .iter()
            .fold((0.0, 0.0), |(x, y), q| (x + q[0] / n, y + q[1] / n));
        let d = p
            .iter()
            .map(|q| ((q[0] - mx).powi(2) + (q[1] - my).powi(2)).sqrt())
            .sum::<f64>()
            / n;
        let s = if d > 1e-9 {
            std::f64::consts::SQRT_2 / d
        } else {
            1.0
        };
        (mx, my, s)
    };
    let (sx, sy, ss) = norm(src);
    let (dx, dy, ds) = norm(dst);
    let n = src.len() as i32;
    let mut a = Mat::new_rows_cols_with_default(2 * n, 8, CV_64F, Scalar::all(0.0))?;
    let mut b = Mat::new_rows_cols_with_default(2 * n, 1, CV_64F, Scalar::all(0.0))?;
    for (i, (p, q)) in src.iter().zip(dst).enumerate() {
        let (x, y) = ((p[0] - sx) * ss, (p[1] - sy) * ss);
        let (u, v) = ((q[0] - dx) * ds, (q[1] - dy) * ds);
        let r = 2 * i as i32;
        for (c, val) in [x, y, 1.0, 0.0, 0.0, 0.0, -u * x, -u * y]
            .iter()
            .enumerate()
        {
            *a.at_2d_mut::<f64>(r, c as i32)? = *val;
        }
        for (c, val) in [0.0, 0.0, 0.0, x, y, 1.0, -v * x, -v * y]
            .iter()
            .enumerate()
        {
            *a.at_2d_mut::<f64>(r + 1, c as i32)? = *val;
        }
        *b.at_2d_mut::<f64>(r, 0)? = u;
        *b.at_2d_mut::<f64>(r + 1, 0)? = v;
    }
    let mut h = Mat::default();
    if !core::solve(&a, &b, &mut h, core::DECOMP_SVD)? {
        return Ok(None);
    }
    let hv: Vec<f64> = (0..8)
        .map(|i| h.at_2d::<f64>(i, 0).copied().unwrap_or(f64::NAN))
        .collect();
    if hv.iter().any(|v| !v.is_finite()) {
        return Ok(None);
    }
    // Undo the normalisation: H = T_dst⁻¹ · Hn · T_src.
    let hn = [hv[0], hv[1], hv[2], hv[3], hv[4], hv[5], hv[6], hv[7], 1.0];
    let t_src = [ss, 0.0, -ss * sx, 0.0, ss, -ss * sy, 0.0, 0.0, 1.0];
    let t_dst_inv = [1.0 / ds, 0.0, dx, 0.0, 1.0 / ds, dy, 0.0, 0.0, 1.0];
    let mul = |a: &[f64; 9], b: &[f64; 9]| {
        let mut m = [0.0; 9];
        for i in 0..3 {
            for j in 0..3 {
                m[i * 3 + j] = (0..3).map(|k| a[i * 3 + k] * b[k * 3 + j]).sum();
            }
        }
        m
    };
    Ok(Some(mul(&t_dst_inv, &mul(&hn, &t_src))))
}

/// The geometry signal over a sequence (consecutive frame pairs).
pub fn check(samples: &[PadSample], config: &GeometryConfig) -> SignalResult {
    let mut parallax = Vec::new();
    let mut pairs = 0usize;
    for m in samples.iter().filter_map(|s| s.motion) {
        pairs += 1;
        if m.deformation as f64 >= config.min_motion {
            parallax.push(m.parallax as f64);
        }
    }
    let result = |decision, score, reason| SignalResult {
        signal: Signal::Geometry,
        decision,
        score,
        reason,
    };
    if parallax.len() < config.min_pairs as usize {
        return result(
            PadDecision::Inconclusive,
            0.5,
            format!(
                "{} of {pairs} tracked frame pair(s) turned or tilted enough to tell (need {})",
                parallax.len(),
                config.min_pairs
            ),
        );
    }
    parallax.sort_by(f64::total_cmp);
    let median = parallax[parallax.len() / 2];
    let mid = (config.planar_below + config.live_above) / 2.0;
    let score = score_live_high(median, mid);
    let n = parallax.len();
    if median < config.planar_below {
        result(
            PadDecision::Attack(Species::Planar),
            score,
            format!("moves as a plane: median distance from one homography {median:.4} < {} over {n} pair(s)", config.planar_below),
        )
    } else if median > config.live_above {
        result(
            PadDecision::Live,
            score,
            format!(
                "depth seen: median distance from one homography {median:.4} > {} over {n} pair(s)",
                config.live_above
            ),
        )
    } else {
        result(
            PadDecision::Inconclusive,
            score,
            format!("median distance from one homography {median:.4} between {} and {} over {n} pair(s)", config.planar_below, config.live_above),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_homography_is_recovered_and_a_bump_is_not_absorbed() {
        let h = [1.1, 0.05, 3.0, -0.02, 0.95, -2.0, 0.0004, -0.0002, 1.0];
        let src: Vec<[f64; 2]> = (0..6)
            .flat_map(|i| (0..6).map(move |j| [20.0 * i as f64, 20.0 * j as f64]))
            .collect();
        let dst: Vec<[f64; 2]> = src.iter().map(|p| apply_homography(&h, *p)).collect();
        let fit = fit_homography(&src, &dst).unwrap().unwrap();
        assert!(rms(&src, &dst, |p| apply_homography(&fit, p)) < 1e-6);
        // A bump in the middle (a nose moving across the cheeks) stays off any homography.
        let bumped: Vec<[f64; 2]> = src
            .iter()
            .zip(&dst)
            .map(|(p, q)| {
                let d2 = (p[0] - 50.0).powi(2) + (p[1] - 50.0).powi(2);
                [q[0] + 6.0 * (-d2 / 800.0).exp(), q[1]]
            })
            .collect();
        let fit = fit_homography(&src, &bumped).unwrap().unwrap();
        assert!(rms(&src, &bumped, |p| apply_homography(&fit, p)) > 0.5);
    }
}
