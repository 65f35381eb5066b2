//! Periodic texture in the face region: a screen's pixel grid and the moiré it makes with
//! the camera's sensor, a print's halftone screen. Skin, hair and ordinary scenes have a
//! spectrum that falls off smoothly with frequency; these leave isolated peaks in it.
//!
//! Per frame: a square of the face region at the camera's own resolution (never resampled,
//! which would hide the pattern), grey, Hann-windowed, OpenCV `dft`. In the band of 0.08 to
//! 0.5 cycles per pixel, each magnitude is divided by the median of its frequency ring (to
//! undo the natural fall-off); the candidates that stand highest are then compared with
//! their own neighbourhood, so that the spectral line of a straight edge (which is high
//! along its whole length) does not count as a peak. The measure is the highest peak's
//! ratio to its neighbourhood, and its orientation: a pixel grid is aligned with the image
//! axes, a halftone screen is classically turned 45°.

use opencv::core::{self, Mat, Vector, CV_32F};
use opencv::imgproc;
use opencv::prelude::*;
use serde::{Deserialize, Serialize};

use super::{
    clamp_rect, grey_roi, score_attack_high, PadDecision, PadSample, Signal, SignalResult, Species,
};
use crate::detect::Detection;
use crate::error::Result;
use crate::frame::Frame;

/// Thresholds of the texture signal.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct TextureConfig {
    /// Median (over frames) peak-to-neighbourhood ratio above which the texture is periodic.
    pub peak_ratio: f64,
}

impl Default for TextureConfig {
    fn default() -> Self {
        Self { peak_ratio: 12.0 }
    }
}

/// One frame's texture measure.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct TextureMeasure {
    /// The highest spectral peak's ratio to its neighbourhood (0 when the region was too small).
    pub peak_ratio: f32,
    /// That peak's orientation, degrees in 0..180 (0 = horizontal frequency).
    pub angle_deg: f32,
}

/// Largest side of the analysed square, pixels.
const MAX_SIDE: i32 = 192;
/// Smallest side worth analysing.
const MIN_SIDE: i32 = 32;
/// Candidates compared with their neighbourhood.
const CANDIDATES: usize = 24;

/// Measures the face region of `frame`.
pub fn measure(frame: &Frame, face: &Detection) -> Result<TextureMeasure> {
    let [x, y, w, h] = face.bbox;
    let half = (0.32 * w.min(h)).min(MAX_SIDE as f32 / 2.0);
    let Some(rect) = clamp_rect(frame, x + w / 2.0, y + h / 2.0, half, half) else {
        return Ok(TextureMeasure::default());
    };
    let side = rect.2.min(rect.3) & !1;
    if side < MIN_SIDE {
        return Ok(TextureMeasure::default());
    }
    let grey = grey_roi(frame, (rect.0, rect.1, side, side))?;
    let mut f = Mat::default();
    grey.convert_to(&mut f, CV_32F, 1.0, 0.0)?;
    let mean = core::mean_def(&f)?[0];
    let mut centred = Mat::default();
    core::subtract_def(&f, &core::Scalar::all(mean), &mut centred)?;
    let mut window = Mat::default();
    imgproc::create_hanning_window(&mut window, core::Size::new(side, side), CV_32F)?;
    let mut windowed = Mat::default();
    core::multiply_def(&centred, &window, &mut windowed)?;
    let mut spectrum = Mat::default();
    core::dft(&windowed, &mut spectrum, core::DFT_COMPLEX_OUTPUT, 0)?;
    let mut planes = Vector::<Mat>::new();
    core::split(&spectrum, &mut planes)?;
    let mut mag = Mat::default();
    core::magnitude(&planes.get(0)?, &planes.get(1)?, &mut mag)?;
    peak(&mag, side as usize)
}

fn peak(mag: &Mat, n: usize) -> Result<TextureMeasure> {
    let m = mag.data_typed::<f32>()?;
    let freq = |i: usize| -> f64 {
        let i = i as f64;
        let n = n as f64;
        if i <= n / 2.0 {
            i / n
        } else {
            (i - n) / n
        }
    };
    // Half plane (the spectrum of a real image is symmetric): rows all, columns 0..=n/2.
    const RINGS: usize = 24;
    let ring_of = |fx: f64, fy: f64| -> Option<usize> {
        let r = (fx * fx + fy * fy).sqrt();
        if !(0.08..0.5).contains(&r) {
            return None;
        }
        Some((((r - 0.08) / 0.42) * RINGS as f64) as usize)
    };
    let mut rings: Vec<Vec<f32>> = vec![Vec::new(); RINGS];
    for v in 0..n {
        for u in 0..=n / 2 {
            if let Some(k) = ring_of(freq(u), freq(v)) {
                rings[k.min(RINGS - 1)].push(m[v * n + u]);
            }
        }
    }
    let medians: Vec<f32> = rings
        .iter_mut()
        .map(|r| {
            if r.is_empty() {
                return 1.0;
            }
            let mid = r.len() / 2;
            *r.select_nth_unstable_by(mid, f32::total_cmp).1
        })
        .collect();
    let mut cand: Vec<(f32, usize, usize)> = Vec::new();
    for v in 0..n {
        for u in 0..=n / 2 {
            if let Some(k) = ring_of(freq(u), freq(v)) {
                let med = medians[k.min(RINGS - 1)].max(1e-6);
                cand.push((m[v * n + u] / med, u, v));
            }
        }
    }
    let keep = CANDIDATES.min(cand.len());
    if keep == 0 {
        return Ok(TextureMeasure::default());
    }
    cand.select_nth_unstable_by(keep - 1, |a, b| b.0.total_cmp(&a.0));
    let mut best = TextureMeasure::default();
    for &(_, u, v) in &cand[..keep] {
        // Neighbourhood: the ring at Chebyshev distance 3..=4 (a windowed tone spreads over
        // ±2 bins), wrapping around the spectrum's edges.
        let mut around = Vec::with_capacity(64);
        for dv in -4i64..=4 {
            for du in -4i64..=4 {
                if dv.abs().max(du.abs()) < 3 {
                    continue;
                }
                let uu = (u as i64 + du).rem_euclid(n as i64) as usize;
                let vv = (v as i64 + dv).rem_euclid(n as i64) as usize;
                around.push(m[vv * n + uu]);
            }
        }
        let mid = around.len() / 2;
        let med = (*around.select_nth_unstable_by(mid, f32::total_cmp).1).max(1e-6);
        let ratio = m[v * n + u] / med;
        if ratio > best.peak_ratio {
            let a = freq(v).atan2(freq(u)).to_degrees().rem_euclid(180.0);
            best = TextureMeasure {
                peak_ratio: ratio,
                angle_deg: a as f32,
            };
        }
    }
    Ok(best)
}

/// The texture signal over a sequence: the median frame decides.
pub fn check(samples: &[PadSample], config: &TextureConfig) -> SignalResult {
    let mut ratios: Vec<(f32, f32)> = samples
        .iter()
        .map(|s| (s.texture.peak_ratio, s.texture.angle_deg))
        .collect();
    ratios.sort_by(|a, b| a.0.total_cmp(&b.0));
    let (median, angle) = ratios.get(ratios.len() / 2).copied().unwrap_or((0.0, 0.0));
    let score = score_attack_high(median as f64, config.peak_ratio);
    if (median as f64) > config.peak_ratio {
        // Axis-aligned: a display's pixel grid; diagonal: a halftone screen.
        let off_axis = (angle % 90.0 - 45.0).abs();
        let species = if off_axis < 22.5 {
            Species::Print
        } else {
            Species::ScreenReplay
        };
        SignalResult {
            signal: Signal::Texture,
            decision: PadDecision::Attack(species),
            score,
            reason: format!(
                "periodic texture: median spectral peak {median:.1} > {} at {angle:.0}°",
                config.peak_ratio
            ),
        }
    } else {
        SignalResult {
            signal: Signal::Texture,
            decision: PadDecision::Live,
            score,
            reason: format!(
                "no periodic texture: median spectral peak {median:.1} ≤ {}",
                config.peak_ratio
            ),
        }
    }
}
