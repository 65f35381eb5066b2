//! The 1:1 decision: a cosine threshold derived from a target FMR, and still-image comparison.

use serde::Serialize;

use crate::calibration::Calibration;
use crate::config::VisionConfig;
use crate::detect::Detection;
use crate::error::Result;
use crate::frame::Frame;
use crate::pipeline::FacePipeline;
use crate::quality::{self, Quality};
use crate::verdict::{Decision, FaceVerdict};

/// Accept when cosine ≥ threshold; the threshold comes from a target FMR.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Matcher {
    threshold: f32,
    target_fmr: f64,
}

impl Matcher {
    /// Threshold for `target_fmr` from a calibration table.
    pub fn from_calibration(cal: &Calibration, target_fmr: f64) -> Result<Self> {
        Ok(Self {
            threshold: cal.threshold_for(target_fmr)?,
            target_fmr,
        })
    }

    /// From config: the configured table (or the shipped one) and `target_fmr`.
    pub fn from_config(config: &VisionConfig) -> Result<Self> {
        let cal = if config.calibration.is_empty() {
            Calibration::shipped()?
        } else {
            Calibration::load(std::path::Path::new(&config.calibration))?
        };
        Self::from_calibration(&cal, config.target_fmr)
    }

    /// A fixed threshold (evaluation, tests); `target_fmr` is recorded as NaN.
    pub fn with_threshold(threshold: f32) -> Self {
        Self {
            threshold,
            target_fmr: f64::NAN,
        }
    }

    /// The score threshold.
    pub fn threshold(&self) -> f32 {
        self.threshold
    }

    /// The target FMR.
    pub fn target_fmr(&self) -> f64 {
        self.target_fmr
    }

    /// Match or no match for a score.
    pub fn decide(&self, score: f32) -> Decision {
        if score >= self.threshold {
            Decision::Match
        } else {
            Decision::NoMatch
        }
    }
}

/// What was found in one still image.
#[derive(Debug, Clone, Serialize)]
pub struct ImageReport {
    /// Image width.
    pub width: u32,
    /// Image height.
    pub height: u32,
    /// Faces found.
    pub faces: usize,
    /// Quality of the face used (the largest).
    pub quality: Option<Quality>,
}

/// Result of comparing two still images.
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    /// The verdict.
    pub verdict: FaceVerdict,
    /// The probe (first image).
    pub probe: ImageReport,
    /// The reference (second image, e.g. the chip photo).
    pub reference: ImageReport,
}

/// How to treat a still image with several faces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MultiFace {
    /// Refuse: decision `multiple_faces` (a gate must not guess who travels).
    Refuse,
    /// Use the largest face (evaluation data sets with faces in the background).
    Largest,
}

/// Compares a probe image with a reference image (e.g. a live still with the chip photo).
pub fn compare_images(
    pipeline: &mut FacePipeline,
    probe: &Frame,
    reference: &Frame,
    matcher: &Matcher,
    multi: MultiFace,
) -> Result<Comparison> {
    let p = largest_face(pipeline, probe)?;
    let r = largest_face(pipeline, reference)?;
    let report =
        |f: &Frame, x: &Option<(Detection, usize, Quality, crate::Embedding)>| ImageReport {
            width: f.width(),
            height: f.height(),
            faces: x.as_ref().map_or(0, |x| x.1),
            quality: x.as_ref().map(|x| x.2),
        };
    let (probe_report, ref_report) = (report(probe, &p), report(reference, &r));
    let mut verdict = FaceVerdict {
        quality: p.as_ref().map(|x| x.2),
        ..FaceVerdict::no_face(matcher, 1, 0)
    };
    match (&p, &r) {
        (None, _) => verdict.reason = "no face found in the probe image".into(),
        (_, None) => {
            verdict.decision = Decision::NoReferenceFace;
            verdict.reason = "no face found in the reference image".into();
        }
        (Some(a), Some(b)) if multi == MultiFace::Refuse && (a.1 > 1 || b.1 > 1) => {
            verdict.decision = Decision::MultipleFaces;
            verdict.reason = format!(
                "{} face(s) in the probe and {} in the reference: one person only",
                a.1, b.1
            );
        }
        (Some(a), Some(b)) => {
            let score = a.3.cosine(&b.3);
            verdict.frames_usable = 1;
            verdict.score = Some(score);
            verdict.decision = matcher.decide(score);
            verdict.guidance = matcher_guidance(&a.2, probe.width());
            verdict.reason = format!(
                "score {score:.3} {} threshold {:.3}",
                if verdict.decision == Decision::Match {
                    "≥"
                } else {
                    "<"
                },
                matcher.threshold()
            );
        }
    }
    Ok(Comparison {
        verdict,
        probe: probe_report,
        reference: ref_report,
    })
}

fn matcher_guidance(q: &Quality, width: u32) -> Vec<quality::Guidance> {
    quality::QualityGates::default().assess(q, width)
}

type Found = (Detection, usize, Quality, crate::Embedding);

/// Detects faces in a photo (at [`crate::detect::PHOTO_SIDE`]) and embeds the largest; `None`
/// when there is no face.
pub fn largest_face(pipeline: &mut FacePipeline, frame: &Frame) -> Result<Option<Found>> {
    let analysis = pipeline.analyze_photo(frame)?;
    let n = analysis.faces.len();
    Ok(analysis
        .primary
        .map(|p| (p.detection, n, p.quality, p.embedding)))
}
