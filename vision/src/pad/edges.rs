//! Straight edges framing the face: the bezel of a phone or tablet, the border of a printed
//! photo. A face in front of a camera may have a door frame or a wall edge beside it, but
//! rarely straight edges close around it on three or four sides.
//!
//! Per frame: a region of 4.4 face widths around the face, shrunk to at most 320 pixels,
//! OpenCV `Canny` and probabilistic `HoughLinesP`. A side (left, right, above, below) counts
//! when a nearly axis-aligned line longer than 0.6 face sides lies beyond the face box on
//! that side and runs alongside at least half of it.

use opencv::core::{Size, Vec4i, Vector};
use opencv::imgproc;
use serde::{Deserialize, Serialize};

use super::{
    clamp_rect, grey_roi, score_attack_high, PadDecision, PadSample, Signal, SignalResult, Species,
};
use crate::detect::Detection;
use crate::error::Result;
use crate::frame::Frame;

/// Thresholds of the edge signal.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct EdgesConfig {
    /// Sides of the face that must be framed by a straight edge (3 or 4).
    pub min_sides: u32,
    /// Share of the frames in which they must be.
    pub min_share: f64,
}

impl Default for EdgesConfig {
    fn default() -> Self {
        Self {
            min_sides: 3,
            min_share: 0.5,
        }
    }
}

/// One frame's edge measure: which sides of the face a straight edge frames.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct EdgeMeasure {
    /// Bits: 1 left, 2 right, 4 above, 8 below.
    pub sides: u8,
}

impl EdgeMeasure {
    /// How many sides are framed.
    pub fn count(&self) -> u32 {
        self.sides.count_ones()
    }
}

/// Longest side of the analysed region after shrinking, pixels.
const MAX_SIDE: f32 = 320.0;

/// Measures the region around the face in `frame`.
pub fn measure(frame: &Frame, face: &Detection) -> Result<EdgeMeasure> {
    let [x, y, w, h] = face.bbox;
    if !(w > 4.0 && h > 4.0) {
        return Ok(EdgeMeasure::default());
    }
    let (cx, cy) = (x + w / 2.0, y + h / 2.0);
    let Some(rect) = clamp_rect(frame, cx, cy, 2.2 * w.max(h), 2.2 * w.max(h)) else {
        return Ok(EdgeMeasure::default());
    };
    let grey = grey_roi(frame, rect)?;
    let k = (MAX_SIDE / rect.2.max(rect.3) as f32).min(1.0);
    let small = if k < 1.0 {
        let mut s = opencv::core::Mat::default();
        let size = Size::new(
            ((rect.2 as f32 * k) as i32).max(1),
            ((rect.3 as f32 * k) as i32).max(1),
        );
        imgproc::resize(&grey, &mut s, size, 0.0, 0.0, imgproc::INTER_AREA)?;
        s
    } else {
        grey
    };
    let mut edges = opencv::core::Mat::default();
    imgproc::canny(&small, &mut edges, 50.0, 150.0, 3, false)?;
    let (fw, fh) = (w * k, h * k);
    let mut lines = Vector::<Vec4i>::new();
    let min_len = 0.6 * fw.min(fh);
    imgproc::hough_lines_p(
        &edges,
        &mut lines,
        1.0,
        std::f64::consts::PI / 180.0,
        (min_len * 0.6).max(10.0) as i32,
        min_len as f64,
        4.0,
    )?;
    // The face box in the region's (shrunk) coordinates.
    let bx0 = (x - rect.0 as f32) * k;
    let by0 = (y - rect.1 as f32) * k;
    let (bx1, by1) = (bx0 + fw, by0 + fh);
    let overlap = |a0: f32, a1: f32, b0: f32, b1: f32| (a1.min(b1) - a0.max(b0)).max(0.0);
    let mut sides = 0u8;
    for l in lines.iter() {
        let (x0, y0, x1, y1) = (l[0] as f32, l[1] as f32, l[2] as f32, l[3] as f32);
        let (dx, dy) = ((x1 - x0).abs(), (y1 - y0).abs());
        let (mx, my) = ((x0 + x1) / 2.0, (y0 + y1) / 2.0);
        // Within about 15° of an image axis.
        if dx < 0.27 * dy {
            let along = overlap(y0.min(y1), y0.max(y1), by0, by1) >= 0.5 * fh;
            if along && mx < bx0 - 0.1 * fw {
                sides |= 1;
            } else if along && mx > bx1 + 0.1 * fw {
                sides |= 2;
            }
        } else if dy < 0.27 * dx {
            let along = overlap(x0.min(x1), x0.max(x1), bx0, bx1) >= 0.5 * fw;
            if along && my < by0 - 0.1 * fh {
                sides |= 4;
            } else if along && my > by1 + 0.1 * fh {
                sides |= 8;
            }
        }
    }
    Ok(EdgeMeasure { sides })
}

/// The edge signal over a sequence.
pub fn check(samples: &[PadSample], config: &EdgesConfig) -> SignalResult {
    let measured: Vec<&EdgeMeasure> = samples.iter().filter_map(|s| s.edges.as_ref()).collect();
    let n = measured.len().max(1);
    let framed = measured
        .iter()
        .filter(|e| e.count() >= config.min_sides)
        .count();
    let share = framed as f64 / n as f64;
    let score = score_attack_high(share, config.min_share);
    if share >= config.min_share && framed > 0 {
        SignalResult {
            signal: Signal::Edges,
            decision: PadDecision::Attack(Species::Planar),
            score,
            reason: format!(
                "straight edges frame the face on {}+ sides in {framed} of {n} frame(s)",
                config.min_sides
            ),
        }
    } else {
        SignalResult {
            signal: Signal::Edges,
            decision: PadDecision::Live,
            score,
            reason: format!(
                "no frame around the face: {}+ sides in {framed} of {n} frame(s)",
                config.min_sides
            ),
        }
    }
}
