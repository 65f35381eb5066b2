//! YuNet face detection: letterbox, output decoding and non-maximum suppression.
//!
//! YuNet (2023mar) takes an `input` of [1,3,side,side] float32, BGR 0..255: 640 for the
//! prepared `yunet.onnx` (fixed), any multiple of 32 for `yunet-anysize.onnx` (the same
//! weights with a symbolic size). A frame is letterboxed: scaled by `side / max(w, h)`
//! (bilinear) into the top-left corner, the rest zero. The outputs are decoded exactly as
//! OpenCV's `FaceDetectorYN` does (opencv/modules/objdetect/src/face_detect.cpp,
//! `postProcess`), so results agree with it at the same side.

use opencv::core::{self, Mat, Rect, Scalar};
use opencv::prelude::*;
use zeroize::Zeroizing;

use crate::error::Result;
use crate::frame::{Frame, Interpolation};

/// YuNet's input side for photos (chip photo, enrolment, evaluation), and the only side of the
/// fixed `yunet.onnx`: what OpenCV's reference uses.
pub const PHOTO_SIDE: u32 = 640;
/// Feature-map strides, in output order.
pub const STRIDES: [usize; 3] = [8, 16, 32];
/// Input sides must be a multiple of the coarsest stride.
pub const SIDE_STEP: u32 = 32;
/// The largest input side accepted.
pub const MAX_SIDE: u32 = 1280;

/// Whether `side` is a YuNet input side: a multiple of 32 in 32..=1280.
pub fn valid_side(side: u32) -> bool {
    (SIDE_STEP..=MAX_SIDE).contains(&side) && side % SIDE_STEP == 0
}

/// One detected face, in the coordinates of the original frame.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Detection {
    /// Box: left, top, width, height.
    pub bbox: [f32; 4],
    /// Landmarks (subject's view): right eye, left eye, nose tip, right and left mouth corner.
    pub landmarks: [[f32; 2]; 5],
    /// Detector confidence, 0..1.
    pub score: f32,
}

impl Detection {
    /// Distance between the eye centres in pixels.
    pub fn inter_eye_distance(&self) -> f32 {
        let [r, l] = [self.landmarks[0], self.landmarks[1]];
        ((r[0] - l[0]).powi(2) + (r[1] - l[1]).powi(2)).sqrt()
    }

    /// Box area in square pixels.
    pub fn area(&self) -> f32 {
        self.bbox[2].max(0.0) * self.bbox[3].max(0.0)
    }
}

/// The letterboxed detector input and the scale applied to the frame.
pub(crate) struct Letterbox {
    /// NCHW float32 BGR, 3×side×side.
    pub blob: Zeroizing<Vec<f32>>,
    /// Frame coordinates = letterbox coordinates / scale.
    pub scale: f32,
}

/// Scales the frame into a side×side canvas (top-left, zero padding) and makes the NCHW blob.
pub(crate) fn letterbox(frame: &Frame, side: u32) -> Result<Letterbox> {
    let side_i = side as i32;
    let (w, h) = (frame.width() as f32, frame.height() as f32);
    let scale = side as f32 / w.max(h);
    let nw = ((w * scale).round() as i32).clamp(1, side_i);
    let nh = ((h * scale).round() as i32).clamp(1, side_i);
    let resized = frame.resize(nw as u32, nh as u32, Interpolation::Bilinear)?;
    let mut canvas =
        Mat::new_rows_cols_with_default(side_i, side_i, core::CV_8UC3, Scalar::all(0.0))?;
    {
        let mut roi = Mat::roi_mut(&mut canvas, Rect::new(0, 0, nw, nh))?;
        resized.mat().copy_to(&mut roi)?;
    }
    let canvas = Frame::from_mat(canvas)?;
    Ok(Letterbox {
        blob: hwc_to_chw(canvas.bgr(), side as usize, false),
        scale,
    })
}

/// Packed 8-bit HWC (BGR) to planar float CHW, optionally swapping to RGB.
pub(crate) fn hwc_to_chw(pixels: &[u8], side: usize, to_rgb: bool) -> Zeroizing<Vec<f32>> {
    let plane = side * side;
    let mut out = Zeroizing::new(vec![0f32; 3 * plane]);
    for (i, px) in pixels.chunks_exact(3).take(plane).enumerate() {
        for c in 0..3 {
            let src = if to_rgb { 2 - c } else { c };
            out[c * plane + i] = px[src] as f32;
        }
    }
    out
}

/// The twelve YuNet outputs, borrowed per stride: `cls`, `obj` (N), `bbox` (N×4), `kps` (N×10).
pub struct RawOutputs<'a> {
    /// Per stride 8, 16, 32: class scores.
    pub cls: [&'a [f32]; 3],
    /// Per stride: objectness.
    pub obj: [&'a [f32]; 3],
    /// Per stride: box deltas.
    pub bbox: [&'a [f32]; 3],
    /// Per stride: landmark deltas.
    pub kps: [&'a [f32]; 3],
}

/// Decodes raw outputs of a side×side input into faces in letterbox coordinates (OpenCV's
/// `postProcess`), then NMS. Malformed (short) outputs yield fewer faces, never a panic.
pub fn decode(
    out: &RawOutputs<'_>,
    side: u32,
    score_threshold: f32,
    nms_threshold: f32,
    top_k: usize,
) -> Vec<Detection> {
    let mut faces = Vec::new();
    for (si, &stride) in STRIDES.iter().enumerate() {
        let cols = side as usize / stride;
        let n = cols * cols;
        let (cls, obj, bbox, kps) = (out.cls[si], out.obj[si], out.bbox[si], out.kps[si]);
        let n = n
            .min(cls.len())
            .min(obj.len())
            .min(bbox.len() / 4)
            .min(kps.len() / 10);
        let s = stride as f32;
        for idx in 0..n {
            let score = (cls[idx].clamp(0.0, 1.0) * obj[idx].clamp(0.0, 1.0)).sqrt();
            if score < score_threshold || score.is_nan() {
                continue;
            }
            let (r, c) = ((idx / cols) as f32, (idx % cols) as f32);
            let b = &bbox[idx * 4..idx * 4 + 4];
            let cx = (c + b[0]) * s;
            let cy = (r + b[1]) * s;
            let w = b[2].exp() * s;
            let h = b[3].exp() * s;
            let k = &kps[idx * 10..idx * 10 + 10];
            let mut landmarks = [[0f32; 2]; 5];
            for (j, lm) in landmarks.iter_mut().enumerate() {
                *lm = [(k[2 * j] + c) * s, (k[2 * j + 1] + r) * s];
            }
            if !(w.is_finite() && h.is_finite()) {
                continue;
            }
            faces.push(Detection {
                bbox: [cx - w / 2.0, cy - h / 2.0, w, h],
                landmarks,
                score,
            });
        }
    }
    nms(faces, nms_threshold, top_k)
}

/// Greedy NMS as `cv::dnn::NMSBoxes` does it for integer rectangles: boxes truncated to
/// integers, stable sort by descending score, keep a box when its IoU with every kept box is
/// at most the threshold.
fn nms(mut faces: Vec<Detection>, threshold: f32, top_k: usize) -> Vec<Detection> {
    faces.sort_by(|a, b| b.score.total_cmp(&a.score));
    let rect = |d: &Detection| {
        [
            d.bbox[0] as i64,
            d.bbox[1] as i64,
            d.bbox[2] as i64,
            d.bbox[3] as i64,
        ]
    };
    let mut kept: Vec<Detection> = Vec::new();
    for f in faces {
        let a = rect(&f);
        let keep = kept.iter().all(|k| iou(a, rect(k)) <= threshold);
        if keep {
            kept.push(f);
            if top_k > 0 && kept.len() >= top_k {
                break;
            }
        }
    }
    kept
}

fn iou(a: [i64; 4], b: [i64; 4]) -> f32 {
    let x1 = a[0].max(b[0]);
    let y1 = a[1].max(b[1]);
    let x2 = (a[0] + a[2]).min(b[0] + b[2]);
    let y2 = (a[1] + a[3]).min(b[1] + b[3]);
    let inter = if x2 > x1 && y2 > y1 {
        (x2 - x1) * (y2 - y1)
    } else {
        0
    };
    let union = a[2] * a[3] + b[2] * b[3] - inter;
    if union <= 0 {
        0.0
    } else {
        inter as f32 / union as f32
    }
}

/// Maps a detection from letterbox coordinates back to the frame.
pub(crate) fn unscale(mut d: Detection, scale: f32) -> Detection {
    for v in d.bbox.iter_mut() {
        *v /= scale;
    }
    for lm in d.landmarks.iter_mut() {
        lm[0] /= scale;
        lm[1] /= scale;
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    fn empty(n: usize, k: usize) -> Vec<f32> {
        vec![0.0; n * k]
    }

    #[test]
    fn decodes_one_cell_like_opencv() {
        let n: Vec<usize> = STRIDES.iter().map(|s| (640 / s) * (640 / s)).collect();
        let mut cls8 = empty(n[0], 1);
        let mut obj8 = empty(n[0], 1);
        let mut bbox8 = empty(n[0], 4);
        let kps8 = empty(n[0], 10);
        // Cell r=2, c=3 at stride 8: idx = 2*80+3.
        let idx = 2 * 80 + 3;
        cls8[idx] = 0.81;
        obj8[idx] = 1.2; // clamped to 1
        bbox8[idx * 4..idx * 4 + 4].copy_from_slice(&[0.5, 0.5, 0.0, 1.0f32.ln()]);
        let (c1, o1, b1, k1) = (
            empty(n[1], 1),
            empty(n[1], 1),
            empty(n[1], 4),
            empty(n[1], 10),
        );
        let (c2, o2, b2, k2) = (
            empty(n[2], 1),
            empty(n[2], 1),
            empty(n[2], 4),
            empty(n[2], 10),
        );
        let out = RawOutputs {
            cls: [&cls8, &c1, &c2],
            obj: [&obj8, &o1, &o2],
            bbox: [&bbox8, &b1, &b2],
            kps: [&kps8, &k1, &k2],
        };
        let faces = decode(&out, PHOTO_SIDE, 0.5, 0.3, 10);
        assert_eq!(faces.len(), 1);
        let f = faces[0];
        assert!((f.score - 0.9).abs() < 1e-6);
        // cx = (3+0.5)*8 = 28, w = 8 → x1 = 24; cy = 20, h = 8 → y1 = 16.
        assert_eq!(f.bbox, [24.0, 16.0, 8.0, 8.0]);
        assert_eq!(f.landmarks[0], [24.0, 16.0]);
    }

    /// The same cell of a 320 input: 40 cells a row at stride 8, not 80. Decoding it as a
    /// 640 input would put the face on another row and column.
    #[test]
    fn decodes_a_cell_of_a_smaller_input_where_it_is() {
        let side = 320u32;
        let n: Vec<usize> = STRIDES.iter().map(|s| (side as usize / s).pow(2)).collect();
        let idx = 2 * 40 + 3;
        let mut cls8 = empty(n[0], 1);
        let mut obj8 = empty(n[0], 1);
        cls8[idx] = 1.0;
        obj8[idx] = 1.0;
        let (b8, k8) = (empty(n[0], 4), empty(n[0], 10));
        let z: Vec<Vec<f32>> = [1usize, 1, 4, 10, 1, 1, 4, 10]
            .iter()
            .enumerate()
            .map(|(i, k)| empty(n[1 + i / 4], *k))
            .collect();
        let out = RawOutputs {
            cls: [&cls8, &z[0], &z[4]],
            obj: [&obj8, &z[1], &z[5]],
            bbox: [&b8, &z[2], &z[6]],
            kps: [&k8, &z[3], &z[7]],
        };
        let faces = decode(&out, side, 0.5, 0.3, 10);
        assert_eq!(faces.len(), 1);
        // Centre (3, 2) cells of 8 px; width exp(0) * 8.
        assert_eq!(faces[0].bbox, [20.0, 12.0, 8.0, 8.0]);
        let wrong = decode(&out, PHOTO_SIDE, 0.5, 0.3, 10);
        assert_ne!(wrong.first().map(|f| f.bbox), Some(faces[0].bbox));
        assert!(valid_side(side) && valid_side(PHOTO_SIDE));
        assert!(!valid_side(0) && !valid_side(330) && !valid_side(1312));
    }

    #[test]
    fn short_outputs_do_not_panic() {
        let z: Vec<f32> = vec![0.9; 3];
        let out = RawOutputs {
            cls: [&z, &z, &z],
            obj: [&z, &z, &z],
            bbox: [&z, &z, &z],
            kps: [&z, &z, &z],
        };
        assert!(decode(&out, PHOTO_SIDE, 0.5, 0.3, 10).is_empty());
    }

    #[test]
    fn nms_drops_overlaps_and_keeps_separate_faces() {
        let d = |x: f32, s: f32| Detection {
            bbox: [x, 0.0, 100.0, 100.0],
            landmarks: [[0.0; 2]; 5],
            score: s,
        };
        let kept = nms(vec![d(0.0, 0.8), d(10.0, 0.9), d(300.0, 0.7)], 0.3, 0);
        assert_eq!(kept.len(), 2);
        assert_eq!(kept[0].score, 0.9);
        assert_eq!(kept[1].score, 0.7);
    }
}
