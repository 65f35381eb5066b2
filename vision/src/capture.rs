//! The capture loop over a capture window, sans-IO: frames and time come from the caller.
//!
//! ```text
//! let mut s = CaptureSession::new(now, policy);
//! while !s.is_complete(now) {
//!     let analysis = pipeline.analyze(&frame)?;      // on the vision thread
//!     let guidance = s.handle_frame(now, analysis);  // show on the display
//! }
//! let verdict = s.finish(&chip_embedding, &matcher);
//! ```
//! [`run_capture`] is that loop over a [`FrameSource`] with a caller-supplied clock.
//!
//! Each frame goes through [`CaptureSession::handle_raw`] before it is analysed: a frame that
//! repeats one of the last few is not analysed (it carries nothing new), and a camera that
//! keeps repeating ends the window as frozen ([`crate::freeze`]) with
//! [`Decision::CameraFrozen`], never a match.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::embed::Embedding;
use crate::error::Result;
use crate::frame::Frame;
use crate::freeze::{FreezeCheck, Freshness};
use crate::matcher::Matcher;
use crate::pipeline::{FacePipeline, FrameAnalysis};
use crate::quality::{Guidance, Quality, QualityGates};
use crate::source::FrameSource;
use crate::verdict::{Decision, FaceVerdict};

/// `[vision.capture]`: how long to look and what counts as a usable frame.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct CapturePolicy {
    /// Length of the capture window, seconds.
    pub window_s: f64,
    /// Stop early once this many usable frames were seen.
    pub enough_usable_frames: u32,
    /// Compare the best N usable frames with the reference; the verdict uses the highest score.
    pub best_frames: u32,
    /// Repeated frames in a row after which the camera is frozen ([`crate::freeze`]).
    pub frozen_after: u32,
    /// Mean absolute difference (levels of 8 bits) at or below which a frame repeats an
    /// earlier one on the sampled bytes; 0: only identical ones repeat.
    pub repeat_difference: f32,
    /// Quality gates.
    pub gates: QualityGates,
}

impl Default for CapturePolicy {
    fn default() -> Self {
        Self {
            window_s: 5.0,
            enough_usable_frames: 5,
            best_frames: 3,
            frozen_after: 10,
            repeat_difference: 0.1,
            gates: QualityGates::default(),
        }
    }
}

impl CapturePolicy {
    /// Range checks as `(key, message)`.
    pub fn validate(&self) -> Vec<(String, String)> {
        let mut errs = Vec::new();
        if !(self.window_s > 0.0 && self.window_s <= 60.0) {
            errs.push(("window_s".into(), "must be in (0, 60] seconds".into()));
        }
        if self.enough_usable_frames == 0 {
            errs.push(("enough_usable_frames".into(), "must be at least 1".into()));
        }
        if self.best_frames == 0 {
            errs.push(("best_frames".into(), "must be at least 1".into()));
        }
        if !(2..=1000).contains(&self.frozen_after) {
            errs.push((
                "frozen_after".into(),
                "must be in 2..=1000 repeated frames".into(),
            ));
        }
        // Sensor noise moves a working camera's frames by a level or more on average; a
        // limit near that would take a still traveller for a frozen camera.
        if !(0.0..=0.5).contains(&self.repeat_difference) {
            errs.push((
                "repeat_difference".into(),
                "must be in 0..=0.5 levels (sensor noise is about 1)".into(),
            ));
        }
        errs
    }
}

struct Candidate {
    rank: f32,
    quality: Quality,
    embedding: Embedding,
}

/// One traveller's capture window.
pub struct CaptureSession {
    policy: CapturePolicy,
    deadline: Instant,
    frames_seen: u32,
    frames_usable: u32,
    frames_with_face: u32,
    frames_multi: u32,
    best: Vec<Candidate>,
    guidance_counts: HashMap<Guidance, u32>,
    freeze: FreezeCheck,
}

impl CaptureSession {
    /// Opens a capture window at `now`.
    pub fn new(now: Instant, policy: CapturePolicy) -> Self {
        let window = Duration::from_secs_f64(policy.window_s.clamp(0.001, 3600.0));
        Self {
            policy,
            deadline: now + window,
            frames_seen: 0,
            frames_usable: 0,
            frames_with_face: 0,
            frames_multi: 0,
            best: Vec::new(),
            guidance_counts: HashMap::new(),
            freeze: FreezeCheck::new(policy.frozen_after, policy.repeat_difference),
        }
    }

    /// When the window closes.
    pub fn poll_timeout(&self) -> Instant {
        self.deadline
    }

    /// True once the window has closed, enough usable frames were collected, or the camera
    /// froze.
    pub fn is_complete(&self, now: Instant) -> bool {
        now >= self.deadline
            || self.frames_usable >= self.policy.enough_usable_frames
            || self.is_frozen()
    }

    /// Whether the camera froze during the window: its verdict is
    /// [`Decision::CameraFrozen`].
    pub fn is_frozen(&self) -> bool {
        self.freeze.is_frozen()
    }

    /// Takes the next frame of the camera before it is analysed: `true` when it is new and
    /// goes to [`Self::handle_frame`]; `false` when it repeats a recent frame (dropped
    /// unanalysed) or the camera is frozen ([`Self::is_complete`] then says so).
    pub fn handle_raw(&mut self, frame: &Frame) -> bool {
        match self.freeze.handle_frame(frame) {
            Freshness::Fresh | Freshness::Blank => true,
            Freshness::Repeat | Freshness::Frozen => false,
        }
    }

    /// Takes one analysed frame; returns the guidance to show (empty when the frame was usable).
    /// Frames arriving after the window closed are ignored.
    pub fn handle_frame(
        &mut self,
        now: Instant,
        analysis: FrameAnalysis,
        frame_width: u32,
    ) -> Vec<Guidance> {
        if now >= self.deadline {
            return Vec::new();
        }
        self.frames_seen += 1;
        let Some(primary) = analysis.primary else {
            self.count(&[Guidance::NoFace]);
            return vec![Guidance::NoFace];
        };
        self.frames_with_face += 1;
        if analysis.faces.len() > 1 {
            self.frames_multi += 1;
        }
        let guidance = self.policy.gates.assess(&primary.quality, frame_width);
        if !guidance.is_empty() {
            self.count(&guidance);
            return guidance;
        }
        self.frames_usable += 1;
        let rank = self.policy.gates.rank(&primary.quality);
        self.best.push(Candidate {
            rank,
            quality: primary.quality,
            embedding: primary.embedding,
        });
        // Keep only the best N (dropping a candidate zeroizes its embedding).
        self.best.sort_by(|a, b| b.rank.total_cmp(&a.rank));
        self.best.truncate(self.policy.best_frames.max(1) as usize);
        Vec::new()
    }

    fn count(&mut self, g: &[Guidance]) {
        for &x in g {
            *self.guidance_counts.entry(x).or_insert(0) += 1;
        }
    }

    /// Closes the window and compares the best frames with the reference embedding.
    pub fn finish(self, reference: &Embedding, matcher: &Matcher) -> FaceVerdict {
        let mut guidance: Vec<(Guidance, u32)> = self.guidance_counts.into_iter().collect();
        guidance.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.code().cmp(b.0.code())));
        let guidance: Vec<Guidance> = guidance.into_iter().map(|(g, _)| g).collect();
        let mut verdict = FaceVerdict {
            guidance,
            ..FaceVerdict::no_face(matcher, self.frames_seen, self.frames_usable)
        };
        if self.freeze.is_frozen() {
            // Nothing seen on a frozen camera is evidence of who stands before it now.
            verdict.decision = Decision::CameraFrozen;
            verdict.reason = format!(
                "camera frozen: {} frame(s) in a row repeated an earlier one ({} new frame(s) \
                 before)",
                self.freeze.repeats(),
                self.frames_seen
            );
            return verdict;
        }
        let best = self
            .best
            .iter()
            .map(|c| (reference.cosine(&c.embedding), c.quality))
            .max_by(|a, b| a.0.total_cmp(&b.0));
        match best {
            Some((score, quality)) => {
                let decision = matcher.decide(score);
                verdict.decision = decision;
                verdict.score = Some(score);
                verdict.quality = Some(quality);
                verdict.reason = format!(
                    "best of {} usable frame(s): score {score:.3} {} threshold {:.3} (target FMR {})",
                    self.best.len(),
                    if decision == Decision::Match { "≥" } else { "<" },
                    matcher.threshold(),
                    matcher.target_fmr()
                );
            }
            None if self.frames_with_face == 0 => {
                verdict.reason = format!("no face in {} frame(s)", self.frames_seen);
            }
            None if self.frames_multi == self.frames_with_face => {
                verdict.decision = Decision::MultipleFaces;
                verdict.reason = format!(
                    "more than one face in every one of {} frame(s) with a face",
                    self.frames_with_face
                );
            }
            None => {
                verdict.decision = Decision::PoorQuality;
                verdict.reason = format!(
                    "{} frame(s) with a face, none passed the quality gates",
                    self.frames_with_face
                );
            }
        }
        verdict
    }
}

/// Runs a whole capture window: frames from `source`, time from `clock`, guidance to
/// `on_guidance`. Ends at the deadline, with enough usable frames, or when the source ends.
pub fn run_capture(
    pipeline: &mut FacePipeline,
    source: &mut dyn FrameSource,
    reference: &Embedding,
    matcher: &Matcher,
    policy: CapturePolicy,
    mut clock: impl FnMut() -> Instant,
    mut on_guidance: impl FnMut(&[Guidance]),
) -> Result<FaceVerdict> {
    let mut session = CaptureSession::new(clock(), policy);
    while !session.is_complete(clock()) {
        let Some(frame) = source.next_frame()? else {
            break;
        };
        if !session.handle_raw(&frame) {
            continue;
        }
        let width = frame.width();
        let analysis = pipeline.analyze(&frame)?;
        drop(frame); // zeroized now, not at the end of the window
        let guidance = session.handle_frame(clock(), analysis, width);
        on_guidance(&guidance);
    }
    Ok(session.finish(reference, matcher))
}
