//! Presentation attack detection (PAD, ISO/IEC 30107-1), sans-IO: frames and the faces the
//! detector found in them go in, a [`PadVerdict`] comes out. Nothing here reads a clock, a
//! camera or a file.
//!
//! PAD runs on the very frames the face matcher uses: [`PadSession::handle_frame`] takes the
//! frame id the capture loop gave the frame, and the verdict lists the ids it rests on, so a
//! replayed clip cannot feed PAD one face and the matcher another.
//!
//! Each signal is a check of its own, with a score and a reason:
//!
//! - [`geometry`]: a print or a screen moves as a plane, so the nose tip follows the
//!   homography of the eye/mouth-corner plane; a face does not (parallax).
//! - [`texture`]: periodic peaks in the spectrum of the face region — a screen's pixel grid
//!   and moiré, a print's halftone screen.
//! - [`edges`]: straight edges framing the face on three or four sides (a bezel, a paper
//!   border).
//!
//! - [`challenge`]: the traveller display asks for one or two actions (turn the head left
//!   or right, step closer) in a random order, each within a time bound; the landmarks
//!   across the frames say whether each was done in time. A failed challenge is an attack
//!   of unknown species or inconclusive, as configured; a passed one never makes a
//!   presentation live on its own.
//!
//! - a PAD sensor beside the camera (near-infrared or depth, as real gates carry), when the
//!   gate has one: its readings come in as [`PadSensorEvidence`] per frame, from the
//!   `hardware::pad_sensor` hook.
//! - [`models`]: two small learned models (`antispoof`, `livenessnet`) of unknown accuracy,
//!   as weak signals: their scores come in as [`models::ModelScores`] per frame and can only
//!   pull a live verdict to inconclusive, by a configured weight ([`models::fuse`]).
//!
//! [`decide`] fuses them: any signal that sees an attack decides (the lowest-scoring one is
//! named); otherwise the geometry signal must have seen a live face, else the verdict is
//! inconclusive. Scores are liveness scores in 0..1, 0.5 at each signal's threshold, higher
//! is more live; the fused score is the lowest signal score. [`PadSession::finish`] then adds
//! the weak model signals ([`models::fuse`]), which can only lower it.
//!
//! What these signals have and have not been shown to do: they catch the synthetic attacks
//! of [`synth`] and pass its synthetic bona fide sequences (see the tests). Their error rates
//! on real attacks have not been measured; [`eval`] is the ISO/IEC 30107-3 harness a customer
//! runs on their own attack set.

pub mod challenge;
pub mod edges;
pub mod eval;
pub mod geometry;
pub mod models;
pub mod synth;
pub mod texture;

use serde::{Deserialize, Serialize};

use crate::detect::Detection;
use crate::error::Result;
use crate::frame::Frame;

/// A PAD signal: the name the passage record carries for the one that decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Signal {
    /// Multi-frame geometry: planar motion versus parallax.
    Geometry,
    /// Periodic texture: pixel grid, moiré, halftone.
    Texture,
    /// Straight edges framing the face: bezel, paper border.
    Edges,
    /// A PAD sensor beside the camera (near-infrared reflectance, depth relief).
    Sensor,
    /// The `antispoof` model (a weak signal, [`models`]).
    Antispoof,
    /// The `livenessnet` model (a weak signal, [`models`]).
    Livenessnet,
    /// The active challenge: the actions the traveller display asked for, done in time.
    Challenge,
}

impl Signal {
    /// Every passive signal measured on the camera's frames by the project's own checks (the
    /// sensor needs a sensor, the challenge a display that asks, the weak models their files).
    pub const ALL: [Signal; 3] = [Signal::Geometry, Signal::Texture, Signal::Edges];

    /// The stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Geometry => "geometry",
            Self::Texture => "texture",
            Self::Edges => "edges",
            Self::Sensor => "sensor",
            Self::Antispoof => "antispoof",
            Self::Livenessnet => "livenessnet",
            Self::Challenge => "challenge",
        }
    }
}

impl std::fmt::Display for Signal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A presentation attack instrument species (ISO/IEC 30107-3 §3.1.3), as far as a signal can
/// tell it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Species {
    /// A printed photograph.
    Print,
    /// A photo or video shown on a screen.
    ScreenReplay,
    /// Something planar the signal cannot tell apart (a print or a screen).
    Planar,
    /// An attack whose instrument the signal cannot tell: a presentation that did not
    /// follow the challenge (a replay, a print, a mask).
    Unknown,
}

impl Species {
    /// The stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Print => "print",
            Self::ScreenReplay => "screen_replay",
            Self::Planar => "planar",
            Self::Unknown => "unknown",
        }
    }
}

/// What one signal, or the fusion, concluded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "decision", content = "species")]
pub enum PadDecision {
    /// A live presentation.
    Live,
    /// An attack presentation.
    Attack(Species),
    /// Not enough evidence either way.
    Inconclusive,
}

/// One signal's result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SignalResult {
    /// Which signal.
    pub signal: Signal,
    /// What it concluded.
    pub decision: PadDecision,
    /// Liveness score 0..1, 0.5 at the signal's threshold (higher = more live).
    pub score: f32,
    /// Why, with the measured values (no biometric data).
    pub reason: String,
}

/// The fused PAD verdict of one capture attempt.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PadVerdict {
    /// The decision.
    pub decision: PadDecision,
    /// Fused liveness score (the lowest signal score), 0..1.
    pub score: f32,
    /// The signal that decided.
    pub deciding: Signal,
    /// Every signal's result.
    pub signals: Vec<SignalResult>,
    /// The ids of the frames the verdict rests on (those of the capture loop).
    pub frames: Vec<u64>,
}

/// `[vision.pad]`: thresholds of the signals.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct PadConfig {
    /// Frames with a face needed before any verdict other than inconclusive.
    pub min_frames: u32,
    /// Geometry thresholds.
    pub geometry: geometry::GeometryConfig,
    /// Texture thresholds.
    pub texture: texture::TextureConfig,
    /// Edge thresholds.
    pub edges: edges::EdgesConfig,
    /// The weak model signals: weight and how often they run.
    pub models: models::ModelsConfig,
    /// The active challenge.
    pub challenge: challenge::ChallengeConfig,
}

impl Default for PadConfig {
    fn default() -> Self {
        Self {
            min_frames: 6,
            geometry: geometry::GeometryConfig::default(),
            texture: texture::TextureConfig::default(),
            edges: edges::EdgesConfig::default(),
            models: models::ModelsConfig::default(),
            challenge: challenge::ChallengeConfig::default(),
        }
    }
}

impl PadConfig {
    /// Range checks as `(key, message)`.
    pub fn validate(&self) -> Vec<(String, String)> {
        let mut errs = Vec::new();
        if !(2..=1000).contains(&self.min_frames) {
            errs.push(("min_frames".into(), "must be in 2..=1000".into()));
        }
        let g = &self.geometry;
        if !(g.min_motion > 0.0 && g.planar_below > 0.0 && g.live_above >= g.planar_below) {
            errs.push((
                "geometry".into(),
                "needs min_motion > 0 and 0 < planar_below < live_above".into(),
            ));
        }
        if self.texture.peak_ratio.is_nan() || self.texture.peak_ratio <= 1.0 {
            errs.push(("texture.peak_ratio".into(), "must be above 1".into()));
        }
        if !(3..=4).contains(&self.edges.min_sides) {
            errs.push(("edges.min_sides".into(), "must be 3 or 4".into()));
        }
        errs.extend(self.models.validate());
        for (k, m) in self.challenge.validate() {
            errs.push((format!("challenge.{k}"), m));
        }
        errs
    }
}

/// One frame's PAD evidence: the primary face and the per-frame measures of its pixels. The
/// frame itself is not kept.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PadSample {
    /// The capture loop's id of the frame.
    pub frame_id: u64,
    /// The primary face.
    pub face: Detection,
    /// Periodic-texture measure of the face region.
    pub texture: texture::TextureMeasure,
    /// Framing edges around the face (measured on every other frame).
    pub edges: Option<edges::EdgeMeasure>,
    /// The face's motion since the previous sample (`None` for the first, or when too few
    /// patches could be tracked).
    pub motion: Option<geometry::FlowMeasure>,
}

/// What a PAD sensor beside the camera read while the frame `frame_id` was taken.
#[derive(Debug, Clone, PartialEq)]
pub struct PadSensorEvidence {
    /// The capture loop's id of the frame it goes with.
    pub frame_id: u64,
    /// What the sensor concluded: live, an attack (with the species it can tell), or
    /// inconclusive (no face in its view, a reading it cannot use).
    pub decision: PadDecision,
    /// Liveness score 0..1, 0.5 at the sensor's own threshold.
    pub score: f32,
    /// Why, in the sensor's terms (no image data).
    pub reason: String,
}

/// One capture attempt's PAD: samples in, verdict out.
#[derive(Debug)]
pub struct PadSession {
    config: PadConfig,
    samples: Vec<PadSample>,
    sensor: Vec<PadSensorEvidence>,
    model_scores: Vec<models::ModelScores>,
    challenge: Option<SignalResult>,
    previous: Option<geometry::Previous>,
}

impl PadSession {
    /// A new attempt.
    pub fn new(config: PadConfig) -> Self {
        Self {
            config,
            samples: Vec::new(),
            sensor: Vec::new(),
            model_scores: Vec::new(),
            challenge: None,
            previous: None,
        }
    }

    /// Takes one frame and the primary face the detector found in it. The frame is not
    /// kept, only a grey copy of it for tracking into the next one (wiped when replaced).
    pub fn handle_frame(&mut self, frame_id: u64, frame: &Frame, face: &Detection) -> Result<()> {
        let (motion, next) = match &self.previous {
            Some(prev) => {
                let (m, next) = geometry::track(prev, frame, face)?;
                (m, Some(next))
            }
            None => (None, geometry::previous(frame, face)?),
        };
        self.previous = next;
        // A bezel or a paper border stays from frame to frame: every other frame is enough.
        let edges = if self.samples.len() % 2 == 0 {
            Some(edges::measure(frame, face)?)
        } else {
            None
        };
        self.samples.push(PadSample {
            frame_id,
            face: *face,
            texture: texture::measure(frame, face)?,
            edges,
            motion,
        });
        Ok(())
    }

    /// A frame without a face: the next one is not tracked from the one before it.
    pub fn handle_no_face(&mut self) {
        self.previous = None;
    }

    /// Takes a sample measured elsewhere.
    pub fn handle_sample(&mut self, sample: PadSample) {
        self.samples.push(sample);
    }

    /// Takes the PAD sensor's reading for a frame. Readings of frames PAD has no sample of
    /// (no face found) are kept too: the sensor sees what the camera's detector may miss.
    pub fn handle_pad_sensor(&mut self, evidence: PadSensorEvidence) {
        self.sensor.push(evidence);
    }

    /// True when the weak models should score the frame just taken by
    /// [`PadSession::handle_frame`] (every `models.every`-th frame with a face).
    pub fn wants_model_scores(&self) -> bool {
        let every = self.config.models.every as usize;
        every > 0 && !self.samples.is_empty() && (self.samples.len() - 1) % every == 0
    }

    /// Takes the weak models' scores of a frame ([`models::PadModels::score`]).
    pub fn handle_model_scores(&mut self, scores: models::ModelScores) {
        self.model_scores.push(scores);
    }

    /// Takes the signal of the challenge asked during this capture
    /// ([`challenge::ChallengeSession::finish`]).
    pub fn handle_challenge(&mut self, result: SignalResult) {
        self.challenge = Some(result);
    }

    /// True once enough frames with a face were seen for a verdict.
    pub fn has_enough(&self) -> bool {
        self.samples.len() >= self.config.min_frames as usize
    }

    /// True once enough frames were seen and the geometry signal can tell a face from a
    /// plane (it needs frame pairs in which the head turned or tilted): a capture that
    /// asked for a challenge takes frames until then, or until its window closes, since
    /// the challenge alone never makes a presentation live.
    pub fn geometry_decided(&self) -> bool {
        self.has_enough()
            && geometry::check(&self.samples, &self.config.geometry).decision
                != PadDecision::Inconclusive
    }

    /// Frames with a face so far.
    pub fn frames(&self) -> usize {
        self.samples.len()
    }

    /// The verdict over the frames seen.
    pub fn finish(&self) -> PadVerdict {
        let verdict = decide_with(
            &self.samples,
            &self.sensor,
            self.challenge.as_ref(),
            &self.config,
        );
        let weak = models::check(&self.model_scores, &self.config.models);
        models::fuse(verdict, weak, &self.config.models)
    }
}

/// Fuses the signals over `samples`.
pub fn decide(samples: &[PadSample], config: &PadConfig) -> PadVerdict {
    decide_with_sensor(samples, &[], config)
}

/// The PAD sensor's signal over its readings: an attack if any reading saw one (the
/// lowest-scoring names the species), live if every reading was live, else inconclusive.
fn pad_sensor_signal(readings: &[PadSensorEvidence]) -> SignalResult {
    let attack = readings
        .iter()
        .filter(|r| matches!(r.decision, PadDecision::Attack(_)))
        .min_by(|a, b| a.score.total_cmp(&b.score));
    if let Some(a) = attack {
        let n = readings
            .iter()
            .filter(|r| matches!(r.decision, PadDecision::Attack(_)))
            .count();
        return SignalResult {
            signal: Signal::Sensor,
            decision: a.decision,
            score: a.score,
            reason: format!(
                "{n} of {} reading(s) an attack: {}",
                readings.len(),
                a.reason
            ),
        };
    }
    let live = readings.iter().all(|r| r.decision == PadDecision::Live);
    SignalResult {
        signal: Signal::Sensor,
        decision: if live {
            PadDecision::Live
        } else {
            PadDecision::Inconclusive
        },
        score: readings
            .iter()
            .map(|r| r.score)
            .fold(1.0f32, f32::min)
            .clamp(0.0, 1.0),
        reason: format!(
            "{} reading(s), {}",
            readings.len(),
            if live {
                "all live"
            } else {
                "some inconclusive"
            }
        ),
    }
}

/// Fuses the frame signals over `samples` with the PAD sensor's `readings` (none when the
/// gate has no sensor). A sensor's attack decides like any signal's; a sensor's "live" does
/// not make a presentation live on its own: the geometry signal must have seen parallax.
pub fn decide_with_sensor(
    samples: &[PadSample],
    readings: &[PadSensorEvidence],
    config: &PadConfig,
) -> PadVerdict {
    decide_with(samples, readings, None, config)
}

/// Fuses the frame signals over `samples`, the PAD sensor's `readings` and the challenge's
/// signal (`None` when none was asked). A failed challenge decides like any attack (or makes
/// the verdict inconclusive, as configured); a passed one does not make a presentation live
/// on its own: the geometry signal must have seen parallax.
pub fn decide_with(
    samples: &[PadSample],
    readings: &[PadSensorEvidence],
    challenge: Option<&SignalResult>,
    config: &PadConfig,
) -> PadVerdict {
    let frames: Vec<u64> = samples.iter().map(|s| s.frame_id).collect();
    let sensor = (!readings.is_empty()).then(|| pad_sensor_signal(readings));
    if samples.len() < config.min_frames as usize {
        // Too few faces for the frame signals; a sensor that saw an attack, or a failed
        // challenge, still decides.
        let failed = challenge
            .filter(|c| matches!(c.decision, PadDecision::Attack(_)))
            .cloned();
        if let Some(s) = sensor
            .filter(|s| matches!(s.decision, PadDecision::Attack(_)))
            .or(failed)
        {
            let frames = match s.signal {
                Signal::Sensor => readings.iter().map(|r| r.frame_id).collect(),
                _ => frames,
            };
            return PadVerdict {
                decision: s.decision,
                score: s.score,
                deciding: s.signal,
                frames,
                signals: vec![s],
            };
        }
        let reason = format!(
            "{} frame(s) with a face, {} needed",
            samples.len(),
            config.min_frames
        );
        return PadVerdict {
            decision: PadDecision::Inconclusive,
            score: 0.5,
            deciding: Signal::Geometry,
            signals: vec![SignalResult {
                signal: Signal::Geometry,
                decision: PadDecision::Inconclusive,
                score: 0.5,
                reason,
            }],
            frames,
        };
    }
    let mut signals = vec![
        geometry::check(samples, &config.geometry),
        texture::check(samples, &config.texture),
        edges::check(samples, &config.edges),
    ];
    signals.extend(sensor);
    signals.extend(challenge.cloned());
    let lowest = |pred: &dyn Fn(&SignalResult) -> bool| {
        signals
            .iter()
            .filter(|s| pred(s))
            .min_by(|a, b| a.score.total_cmp(&b.score))
            .cloned()
    };
    let score = signals
        .iter()
        .map(|s| s.score)
        .fold(1.0f32, f32::min)
        .clamp(0.0, 1.0);
    let attack = lowest(&|s| matches!(s.decision, PadDecision::Attack(_)));
    let (decision, deciding) = match attack {
        Some(a) => (a.decision, a.signal),
        None if challenge.is_some_and(|c| c.decision == PadDecision::Inconclusive) => {
            // A failed challenge configured inconclusive: whatever the passive signals saw.
            (PadDecision::Inconclusive, Signal::Challenge)
        }
        None => {
            // Without an attack cue, only seen parallax makes a presentation live.
            let geometry = &signals[0];
            match geometry.decision {
                PadDecision::Live => (PadDecision::Live, Signal::Geometry),
                _ => (PadDecision::Inconclusive, Signal::Geometry),
            }
        }
    };
    PadVerdict {
        decision,
        score,
        deciding,
        signals,
        frames,
    }
}

/// Liveness score of a measure where *higher is more attack-like*: 0.5 at `threshold`.
pub(crate) fn score_attack_high(value: f64, threshold: f64) -> f32 {
    if !value.is_finite() || value < 0.0 {
        return 0.5;
    }
    (threshold / (threshold + value)) as f32
}

/// Liveness score of a measure where *higher is more live*: 0.5 at `threshold`.
pub(crate) fn score_live_high(value: f64, threshold: f64) -> f32 {
    if !value.is_finite() || value < 0.0 {
        return 0.5;
    }
    (value / (threshold + value)) as f32
}

/// A square region of interest clamped to the frame: `(x, y, w, h)` or `None` if empty.
pub(crate) fn clamp_rect(
    frame: &Frame,
    cx: f32,
    cy: f32,
    half_w: f32,
    half_h: f32,
) -> Option<(i32, i32, i32, i32)> {
    let (fw, fh) = (frame.width() as f32, frame.height() as f32);
    let x0 = (cx - half_w).floor().max(0.0);
    let y0 = (cy - half_h).floor().max(0.0);
    let x1 = (cx + half_w).ceil().min(fw);
    let y1 = (cy + half_h).ceil().min(fh);
    if !(x1 - x0 >= 8.0 && y1 - y0 >= 8.0) {
        return None;
    }
    Some((x0 as i32, y0 as i32, (x1 - x0) as i32, (y1 - y0) as i32))
}

/// The grey image of a region of `frame`.
pub(crate) fn grey_roi(frame: &Frame, rect: (i32, i32, i32, i32)) -> Result<opencv::core::Mat> {
    let roi = opencv::core::Mat::roi(
        frame.mat(),
        opencv::core::Rect::new(rect.0, rect.1, rect.2, rect.3),
    )?;
    let mut grey = opencv::core::Mat::default();
    opencv::imgproc::cvt_color_def(&roi, &mut grey, opencv::imgproc::COLOR_BGR2GRAY)?;
    Ok(grey)
}
