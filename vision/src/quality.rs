//! Per-frame quality: face size, head pose estimated from landmarks, sharpness, exposure and
//! the number of faces, and the guidance codes shown to the traveller.
//!
//! Pose is a geometric estimate from the five landmarks, not a fitted 3-D model: yaw from the
//! nose's horizontal offset from the eye midpoint, pitch from the nose's vertical position
//! between the eye line and the mouth line. Good enough to say "look at the camera"; not a
//! measurement to report as degrees of head pose.

use opencv::core::{Mat, CV_64F};
use opencv::imgproc;
use opencv::prelude::*;
use serde::{Deserialize, Serialize};

use crate::detect::Detection;
use crate::error::Result;
use crate::frame::Frame;

/// Quality of the primary face in one frame.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Quality {
    /// Distance between the eye centres, pixels in the frame.
    pub inter_eye_px: f32,
    /// Estimated yaw, degrees (0 = frontal; sign: positive when the nose is towards the
    /// subject's left eye in the image).
    pub yaw_deg: f32,
    /// Estimated pitch, degrees (0 = frontal; positive = looking down).
    pub pitch_deg: f32,
    /// Variance of the Laplacian of the aligned 112×112 grey crop (higher = sharper).
    pub sharpness: f32,
    /// Mean grey level of the aligned crop, 0..255.
    pub brightness: f32,
    /// Faces in the frame.
    pub face_count: usize,
    /// Detector confidence of the primary face.
    pub detector_score: f32,
}

/// What the traveller should do; shown on the gate's display.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Guidance {
    /// No face seen.
    NoFace,
    /// The face is too small.
    StepCloser,
    /// The face fills too much of the frame.
    StepBack,
    /// Head turned or tilted.
    LookAtCamera,
    /// More than one face.
    OnePersonOnly,
    /// Too dark.
    MoreLight,
    /// Over-exposed.
    LessLight,
    /// Blurred (motion or focus).
    HoldStill,
}

impl Guidance {
    /// The code as used in JSON and on the display protocol.
    pub fn code(self) -> &'static str {
        match self {
            Self::NoFace => "no_face",
            Self::StepCloser => "step_closer",
            Self::StepBack => "step_back",
            Self::LookAtCamera => "look_at_camera",
            Self::OnePersonOnly => "one_person_only",
            Self::MoreLight => "more_light",
            Self::LessLight => "less_light",
            Self::HoldStill => "hold_still",
        }
    }
}

/// Quality gates (part of [`crate::capture::CapturePolicy`]).
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct QualityGates {
    /// Minimum inter-eye distance in pixels (ICAO portraits ask for ≥ 90 at capture; 60 is a
    /// practical floor for SFace's 112×112 crop).
    pub min_inter_eye_px: f32,
    /// Maximum inter-eye distance as a fraction of the frame width.
    pub max_inter_eye_fraction: f32,
    /// Maximum |yaw| estimate, degrees.
    pub max_yaw_deg: f32,
    /// Maximum |pitch| estimate, degrees.
    pub max_pitch_deg: f32,
    /// Minimum variance of the Laplacian of the aligned crop.
    pub min_sharpness: f32,
    /// Minimum mean grey level of the aligned crop.
    pub min_brightness: f32,
    /// Maximum mean grey level of the aligned crop.
    pub max_brightness: f32,
}

impl Default for QualityGates {
    fn default() -> Self {
        Self {
            min_inter_eye_px: 40.0,
            max_inter_eye_fraction: 0.5,
            max_yaw_deg: 25.0,
            max_pitch_deg: 25.0,
            min_sharpness: 20.0,
            min_brightness: 50.0,
            max_brightness: 210.0,
        }
    }
}

impl QualityGates {
    /// The guidance for a frame (empty when the frame passes every gate), most important first.
    pub fn assess(&self, q: &Quality, frame_width: u32) -> Vec<Guidance> {
        let mut g = Vec::new();
        if q.face_count > 1 {
            g.push(Guidance::OnePersonOnly);
        }
        if q.inter_eye_px < self.min_inter_eye_px {
            g.push(Guidance::StepCloser);
        } else if frame_width > 0
            && q.inter_eye_px > self.max_inter_eye_fraction * frame_width as f32
        {
            g.push(Guidance::StepBack);
        }
        if q.yaw_deg.abs() > self.max_yaw_deg || q.pitch_deg.abs() > self.max_pitch_deg {
            g.push(Guidance::LookAtCamera);
        }
        if q.brightness < self.min_brightness {
            g.push(Guidance::MoreLight);
        } else if q.brightness > self.max_brightness {
            g.push(Guidance::LessLight);
        }
        if q.sharpness < self.min_sharpness {
            g.push(Guidance::HoldStill);
        }
        g
    }

    /// A single score to rank acceptable frames (higher is better).
    pub fn rank(&self, q: &Quality) -> f32 {
        let pose = 1.0 - (q.yaw_deg.abs() / 90.0 + q.pitch_deg.abs() / 90.0).min(1.0);
        let size = (q.inter_eye_px / (2.0 * self.min_inter_eye_px.max(1.0))).min(1.0);
        let sharp = (q.sharpness / (4.0 * self.min_sharpness.max(1.0))).min(1.0);
        let light = 1.0 - ((q.brightness - 128.0).abs() / 128.0).min(1.0);
        q.detector_score * (2.0 * pose + size + sharp + 0.5 * light)
    }
}

/// Measures a face's quality from its landmarks, the aligned crop and the face count.
pub fn measure(
    _frame: &Frame,
    face: &Detection,
    crop: &Frame,
    face_count: usize,
) -> Result<Quality> {
    let (yaw_deg, pitch_deg) = pose(face);
    let mut grey = Mat::default();
    imgproc::cvt_color_def(crop.mat(), &mut grey, imgproc::COLOR_BGR2GRAY)?;
    let grey = GreyFrame(grey);
    let mut lap = Mat::default();
    imgproc::laplacian_def(grey.as_ref(), &mut lap, CV_64F)?;
    let (mut mean, mut std) = (Mat::default(), Mat::default());
    opencv::core::mean_std_dev_def(&lap, &mut mean, &mut std)?;
    let sd = *std.at_2d::<f64>(0, 0)?;
    let brightness = opencv::core::mean_def(grey.as_ref())?[0];
    crate::frame::wipe(&mut lap);
    Ok(Quality {
        inter_eye_px: face.inter_eye_distance(),
        yaw_deg,
        pitch_deg,
        sharpness: (sd * sd) as f32,
        brightness: brightness as f32,
        face_count,
        detector_score: face.score,
    })
}

/// (yaw, pitch) estimates in degrees from the five landmarks.
pub fn pose(face: &Detection) -> (f32, f32) {
    let [re, le, nose, rm, lm] = face.landmarks;
    let eye_mid = [(re[0] + le[0]) / 2.0, (re[1] + le[1]) / 2.0];
    let mouth_mid = [(rm[0] + lm[0]) / 2.0, (rm[1] + lm[1]) / 2.0];
    let iod = face.inter_eye_distance().max(1e-3);
    // Yaw: the nose tip moves sideways by about half the inter-eye distance at 45°; map the
    // offset ratio through asin so small turns are roughly linear.
    let ratio =
        ((nose[0] - eye_mid[0]) / (iod / 2.0) * std::f32::consts::FRAC_1_SQRT_2).clamp(-1.0, 1.0);
    let yaw = ratio.asin().to_degrees();
    // Pitch: in a frontal face the nose tip sits ~45% of the way from the eye line to the
    // mouth line; the offset from that, scaled, approximates pitch.
    let span = (mouth_mid[1] - eye_mid[1]).abs().max(1e-3);
    let rel = (nose[1] - eye_mid[1]) / span;
    let pitch = ((rel - 0.45) * 2.0).clamp(-1.0, 1.0).asin().to_degrees();
    (yaw, pitch)
}

/// A zeroizing single-channel image (used for the grey crop).
pub(crate) struct GreyFrame(Mat);

impl AsRef<Mat> for GreyFrame {
    fn as_ref(&self) -> &Mat {
        &self.0
    }
}

impl Drop for GreyFrame {
    fn drop(&mut self) {
        crate::frame::wipe(&mut self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frontal() -> Detection {
        Detection {
            bbox: [0.0, 0.0, 100.0, 120.0],
            landmarks: [
                [35.0, 50.0],
                [65.0, 50.0],
                [50.0, 65.0],
                [38.0, 85.0],
                [62.0, 85.0],
            ],
            score: 0.9,
        }
    }

    #[test]
    fn frontal_pose_is_near_zero_and_turns_show() {
        let (y, p) = pose(&frontal());
        assert!(y.abs() < 1.0 && p.abs() < 5.0, "{y} {p}");
        let mut turned = frontal();
        turned.landmarks[2][0] += 12.0;
        assert!(pose(&turned).0 > 25.0);
    }

    #[test]
    fn guidance_codes() {
        let gates = QualityGates::default();
        let q = Quality {
            inter_eye_px: 30.0,
            yaw_deg: 40.0,
            pitch_deg: 0.0,
            sharpness: 5.0,
            brightness: 20.0,
            face_count: 2,
            detector_score: 0.9,
        };
        let g: Vec<&str> = gates.assess(&q, 1280).iter().map(|g| g.code()).collect();
        assert_eq!(
            g,
            [
                "one_person_only",
                "step_closer",
                "look_at_camera",
                "more_light",
                "hold_still"
            ]
        );
        let good = Quality {
            inter_eye_px: 80.0,
            yaw_deg: 2.0,
            pitch_deg: 3.0,
            sharpness: 200.0,
            brightness: 120.0,
            face_count: 1,
            detector_score: 0.9,
        };
        assert!(gates.assess(&good, 1280).is_empty());
    }
}
