//! ISO/IEC 30107-3 evaluation of PAD over a folder of presentations, behind
//! `egate vision pad`.
//!
//! Layout (one folder per presentation attack instrument species, ISO/IEC 30107-3 §3.1.3):
//!
//! ```text
//! DIR/bona_fide/<presentation>      required
//! DIR/<species>/<presentation>      one folder per species: print, screen_replay, mask, ...
//! ```
//!
//! A presentation is a folder of frames (images OpenCV reads, taken in name order) or a video
//! file OpenCV reads. Metrics (ISO/IEC 30107-3 §13): APCER per species (attack presentations
//! of that species accepted as bona fide), the worst species' APCER, BPCER (bona fide
//! presentations not accepted: an inconclusive verdict refers the traveller, so it counts),
//! BPCER at APCER ≤ 5 % and ≤ 1 % over thresholds on the fused score, and the count of
//! presentations behind every figure.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::{PadConfig, PadDecision, PadSession, PadVerdict};
use crate::error::{Result, VisionError};
use crate::pipeline::FacePipeline;
use crate::source::{CameraConfig, CameraSource, FrameSource, ReplaySource};

/// The folder of bona fide presentations.
pub const BONA_FIDE: &str = "bona_fide";
/// Frames read from one presentation at most.
pub const MAX_FRAMES: usize = 60;

/// One presentation of the set.
#[derive(Debug, Clone)]
pub struct Presentation {
    /// `None` for bona fide, else the species folder's name.
    pub species: Option<String>,
    /// The folder or file.
    pub path: PathBuf,
}

/// Why a set cannot be evaluated.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SetError {
    /// The folder cannot be read.
    #[error("{path}: {message}")]
    Unreadable {
        /// The folder.
        path: PathBuf,
        /// The OS error.
        message: String,
    },
    /// No `bona_fide/` folder, or an empty one.
    #[error("{0}: no bona_fide/ folder with presentations (ISO/IEC 30107-3 layout: DIR/bona_fide/<presentation>, DIR/<species>/<presentation>)")]
    NoBonaFide(PathBuf),
    /// No attack species folder with presentations.
    #[error("{0}: no attack species folder with presentations beside bona_fide/ (e.g. DIR/print/<presentation>)")]
    NoAttacks(PathBuf),
}

fn entries(dir: &Path) -> std::result::Result<Vec<PathBuf>, SetError> {
    let rd = std::fs::read_dir(dir).map_err(|e| SetError::Unreadable {
        path: dir.to_path_buf(),
        message: e.to_string(),
    })?;
    let mut v: Vec<PathBuf> = rd
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            !p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('.'))
        })
        .collect();
    v.sort();
    Ok(v)
}

/// Lists the presentations of a set laid out as above.
pub fn list(dir: &Path) -> std::result::Result<Vec<Presentation>, SetError> {
    let bona = dir.join(BONA_FIDE);
    if !bona.is_dir() {
        // Unreadable root first: a clearer message for a wrong path.
        entries(dir)?;
        return Err(SetError::NoBonaFide(dir.to_path_buf()));
    }
    let mut out: Vec<Presentation> = entries(&bona)?
        .into_iter()
        .map(|path| Presentation {
            species: None,
            path,
        })
        .collect();
    if out.is_empty() {
        return Err(SetError::NoBonaFide(dir.to_path_buf()));
    }
    let before = out.len();
    for species in entries(dir)?.into_iter().filter(|p| p.is_dir()) {
        let name = species
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        if name == BONA_FIDE {
            continue;
        }
        for path in entries(&species)? {
            out.push(Presentation {
                species: Some(name.clone()),
                path,
            });
        }
    }
    if out.len() == before {
        return Err(SetError::NoAttacks(dir.to_path_buf()));
    }
    Ok(out)
}

/// Runs PAD over one presentation: every frame through the detector, the largest face of
/// each into a [`PadSession`] (with `models`, the weak PAD models score the frames it asks
/// for, as in the capture loop). A presentation with no face in any frame is an error (it
/// says nothing about PAD).
pub fn run_presentation(
    pipeline: &mut FacePipeline,
    mut models: Option<&mut super::models::PadModels>,
    config: &PadConfig,
    path: &Path,
) -> Result<PadVerdict> {
    let mut source: Box<dyn FrameSource> = if path.is_dir() {
        let files: Vec<PathBuf> = std::fs::read_dir(path)
            .map_err(|e| VisionError::io(path, e))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file())
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        if files.is_empty() {
            return Err(VisionError::Source {
                source_name: path.display().to_string(),
                message: "an empty folder: no frames".into(),
            });
        }
        // Frames are image files, not chip photos: decoded as they are (a PNG's compressed
        // bytes may happen to hold a JPEG signature, which the DG2 search would follow).
        let mut frames = Vec::new();
        for f in files.iter().take(MAX_FRAMES) {
            let bytes =
                zeroize::Zeroizing::new(std::fs::read(f).map_err(|e| VisionError::io(f, e))?);
            frames.push(
                crate::decode::decode_image(&bytes).map_err(|e| VisionError::Source {
                    source_name: f.display().to_string(),
                    message: e.to_string(),
                })?,
            );
        }
        Box::new(ReplaySource::new(frames, false))
    } else {
        Box::new(CameraSource::open(&CameraConfig {
            source: path.display().to_string(),
            width: 0,
            height: 0,
            fps: 0.0,
            exposure: 0.0,
        })?)
    };
    let mut session = PadSession::new(*config);
    let mut id = 0u64;
    while let Some(frame) = source.next_frame()? {
        if id as usize >= MAX_FRAMES {
            break;
        }
        let faces = pipeline.detect(&frame)?;
        match faces.iter().max_by(|a, b| a.area().total_cmp(&b.area())) {
            Some(face) => {
                session.handle_frame(id, &frame, face)?;
                if let Some(m) = models.as_deref_mut() {
                    // A frame the weak models cannot score (a face region too small) is left
                    // out, as in the capture loop: a weak signal never stops an evaluation.
                    if session.wants_model_scores() {
                        if let Ok(scores) = m.score(id, &frame, face) {
                            session.handle_model_scores(scores);
                        }
                    }
                }
            }
            None => session.handle_no_face(),
        }
        id += 1;
    }
    if id == 0 {
        return Err(VisionError::Source {
            source_name: path.display().to_string(),
            message: "no frame could be read".into(),
        });
    }
    if session.frames() == 0 {
        return Err(VisionError::Source {
            source_name: path.display().to_string(),
            message: format!("no face in any of its {id} frame(s)"),
        });
    }
    Ok(session.finish())
}

/// One presentation's outcome.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    /// `None` for bona fide.
    pub species: Option<String>,
    /// The presentation's file or folder name.
    pub name: String,
    /// The fused decision.
    pub decision: PadDecision,
    /// The fused liveness score.
    pub score: f32,
    /// The deciding signal.
    pub deciding: String,
}

impl Outcome {
    /// Whether PAD accepted it as bona fide.
    pub fn accepted(&self) -> bool {
        self.decision == PadDecision::Live
    }
}

/// APCER of one species.
#[derive(Debug, Clone, Serialize)]
pub struct SpeciesRate {
    /// The species folder's name.
    pub species: String,
    /// Attack presentations of it.
    pub presentations: usize,
    /// Of them accepted as bona fide.
    pub accepted: usize,
    /// accepted / presentations.
    pub apcer: f64,
}

/// A point of the DET curve: a threshold on the fused score.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct DetPoint {
    /// Accept as bona fide when the score is at least this.
    pub threshold: f32,
    /// The worst species' APCER at it.
    pub apcer_max: f64,
    /// BPCER at it.
    pub bpcer: f64,
}

/// The evaluation's figures.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Bona fide presentations.
    pub bona_fide: usize,
    /// Of them not accepted (attack or inconclusive).
    pub bona_fide_rejected: usize,
    /// Of them inconclusive.
    pub bona_fide_inconclusive: usize,
    /// BPCER at the configured decision.
    pub bpcer: f64,
    /// APCER per species, at the configured decision.
    pub species: Vec<SpeciesRate>,
    /// The worst species' APCER.
    pub apcer_max: f64,
    /// Lowest BPCER over score thresholds with APCER (worst species) ≤ 5 %.
    pub bpcer_at_apcer_5: Option<f64>,
    /// Lowest BPCER over score thresholds with APCER (worst species) ≤ 1 %.
    pub bpcer_at_apcer_1: Option<f64>,
    /// DET points over score thresholds.
    pub det: Vec<DetPoint>,
    /// Every presentation's outcome.
    pub outcomes: Vec<Outcome>,
}

/// Computes the figures from the outcomes.
pub fn evaluate(outcomes: Vec<Outcome>) -> Report {
    let bona: Vec<&Outcome> = outcomes.iter().filter(|o| o.species.is_none()).collect();
    let rejected = bona.iter().filter(|o| !o.accepted()).count();
    let inconclusive = bona
        .iter()
        .filter(|o| o.decision == PadDecision::Inconclusive)
        .count();
    let rate = |k: usize, n: usize| if n == 0 { 0.0 } else { k as f64 / n as f64 };
    let mut names: Vec<String> = outcomes.iter().filter_map(|o| o.species.clone()).collect();
    names.sort();
    names.dedup();
    let species: Vec<SpeciesRate> = names
        .iter()
        .map(|s| {
            let of: Vec<&Outcome> = outcomes
                .iter()
                .filter(|o| o.species.as_deref() == Some(s))
                .collect();
            let accepted = of.iter().filter(|o| o.accepted()).count();
            SpeciesRate {
                species: s.clone(),
                presentations: of.len(),
                accepted,
                apcer: rate(accepted, of.len()),
            }
        })
        .collect();
    let apcer_max = species.iter().map(|s| s.apcer).fold(0.0, f64::max);
    let mut thresholds: Vec<f32> = outcomes.iter().map(|o| o.score).collect();
    thresholds.push(f32::INFINITY);
    thresholds.sort_by(f32::total_cmp);
    thresholds.dedup();
    let det: Vec<DetPoint> = thresholds
        .iter()
        .map(|&t| {
            let apcer_max = names
                .iter()
                .map(|s| {
                    let of: Vec<&Outcome> = outcomes
                        .iter()
                        .filter(|o| o.species.as_deref() == Some(s))
                        .collect();
                    rate(of.iter().filter(|o| o.score >= t).count(), of.len())
                })
                .fold(0.0, f64::max);
            let bpcer = rate(bona.iter().filter(|o| o.score < t).count(), bona.len());
            DetPoint {
                threshold: t,
                apcer_max,
                bpcer,
            }
        })
        .collect();
    let at = |x: f64| {
        det.iter()
            .filter(|p| p.apcer_max <= x)
            .map(|p| p.bpcer)
            .min_by(f64::total_cmp)
    };
    Report {
        bona_fide: bona.len(),
        bona_fide_rejected: rejected,
        bona_fide_inconclusive: inconclusive,
        bpcer: rate(rejected, bona.len()),
        apcer_max,
        bpcer_at_apcer_5: at(0.05),
        bpcer_at_apcer_1: at(0.01),
        species,
        det,
        outcomes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn o(species: Option<&str>, decision: PadDecision, score: f32) -> Outcome {
        Outcome {
            species: species.map(String::from),
            name: "x".into(),
            decision,
            score,
            deciding: "geometry".into(),
        }
    }

    #[test]
    fn apcer_per_species_and_bpcer_follow_iso_30107_3() {
        use super::super::Species;
        let a = PadDecision::Attack(Species::Planar);
        let r = evaluate(vec![
            o(None, PadDecision::Live, 0.8),
            o(None, PadDecision::Live, 0.7),
            o(None, PadDecision::Inconclusive, 0.5),
            o(None, a, 0.3),
            o(Some("print"), a, 0.2),
            o(Some("print"), PadDecision::Live, 0.6),
            o(Some("screen_replay"), a, 0.1),
        ]);
        assert_eq!(r.bona_fide, 4);
        // An inconclusive bona fide presentation is referred: it counts against BPCER.
        assert_eq!(r.bona_fide_rejected, 2);
        assert!((r.bpcer - 0.5).abs() < 1e-12);
        let print = r.species.iter().find(|s| s.species == "print").unwrap();
        assert_eq!((print.presentations, print.accepted), (2, 1));
        assert!((r.apcer_max - 0.5).abs() < 1e-12);
        // Threshold above 0.6 keeps every attack out: BPCER then 2 of 4 below 0.7.
        assert_eq!(r.bpcer_at_apcer_1, Some(0.5));
    }
}
