//! The outcome of a 1:1 face comparison: a value, not an error.

use serde::Serialize;

use crate::quality::{Guidance, Quality};

/// What the comparison decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Decision {
    /// Score at or above the threshold.
    Match,
    /// Score below the threshold.
    NoMatch,
    /// No face in the live capture (or the probe image).
    NoFace,
    /// No face in the reference (chip photo).
    NoReferenceFace,
    /// More than one face in every usable frame: refuse rather than guess who travels.
    MultipleFaces,
    /// Faces were seen but none passed the quality gates in the capture window.
    PoorQuality,
    /// The camera kept delivering the same frame (`crate::freeze`): nothing it showed
    /// counts, and the camera is at fault.
    CameraFrozen,
}

impl Decision {
    /// The code used in JSON, the audit trail and `gate`'s reason codes.
    pub fn code(self) -> &'static str {
        match self {
            Self::Match => "match",
            Self::NoMatch => "no_match",
            Self::NoFace => "no_face",
            Self::NoReferenceFace => "no_reference_face",
            Self::MultipleFaces => "multiple_faces",
            Self::PoorQuality => "poor_quality",
            Self::CameraFrozen => "camera_frozen",
        }
    }
}

/// The verdict of a capture or comparison: decision, score, threshold and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FaceVerdict {
    /// The decision.
    pub decision: Decision,
    /// Best cosine similarity between live and reference faces, when a comparison happened.
    pub score: Option<f32>,
    /// The score threshold applied.
    pub threshold: f32,
    /// The target false-match rate the threshold was derived from.
    pub target_fmr: f64,
    /// One-line human reason (no biometric data).
    pub reason: String,
    /// Frames analysed in the capture window.
    pub frames_seen: u32,
    /// Frames that passed the quality gates.
    pub frames_usable: u32,
    /// Quality of the frame that gave the score.
    pub quality: Option<Quality>,
    /// The most frequent guidance during the capture (what held the traveller back).
    pub guidance: Vec<Guidance>,
}

impl FaceVerdict {
    /// A [`Decision::NoFace`] verdict under `matcher`'s threshold, with no score, reason,
    /// quality or guidance yet: what a capture or comparison starts from.
    pub fn no_face(matcher: &crate::Matcher, frames_seen: u32, frames_usable: u32) -> Self {
        FaceVerdict {
            decision: Decision::NoFace,
            score: None,
            threshold: matcher.threshold(),
            target_fmr: matcher.target_fmr(),
            reason: String::new(),
            frames_seen,
            frames_usable,
            quality: None,
            guidance: Vec::new(),
        }
    }

    /// True only for [`Decision::Match`].
    pub fn is_match(&self) -> bool {
        self.decision == Decision::Match
    }
}
