//! Active challenge–response, sans-IO: the traveller display asks for one or two actions in
//! a random order, each within a time bound, and the detector's landmarks across the capture
//! frames say whether each was done in time.
//!
//! The actions are those the five landmarks of the face detector (YuNet: the eyes, the nose
//! tip, the mouth corners) and its box can show honestly:
//!
//! - [`Action::TurnLeft`], [`Action::TurnRight`]: the head turned to the traveller's own
//!   left or right. The measure is the yaw cue [`Pose::yaw`]: the nose tip's offset from the
//!   eye midpoint along the eye axis, divided by the inter-eye distance (0 for a frontal
//!   face, about ±0.3 at a 30° turn). It is positive when the nose moves towards the eye
//!   the detector labels the subject's left, so it is measured in the subject's frame.
//!   **Mirror convention**: the frames are taken as the camera delivers them, not mirrored
//!   (a camera facing the traveller: the traveller's right eye on the image's left). A
//!   mirrored feed swaps the detector's eye labels and with them left and right: a genuine
//!   traveller would then fail every turn (a referral, never an open door).
//! - [`Action::StepCloser`]: the face grows by [`ChallengeConfig::closer_ratio`] from where
//!   it was when the action was asked, across (the inter-eye distance) *and* down (eyes to
//!   mouth): a turned head or a turned screen foreshortens the face across only, so turning
//!   back to the front is not a step closer.
//!
//! Blinking is not asked: the detector gives one point per eye, the same whether the eye is
//! open or shut, so a blink cannot be seen from these landmarks (it needs an eye-region
//! model, which the project does not ship).
//!
//! How an action is judged, from the first face after it was asked (its baseline):
//!
//! - a turn is done when the yaw has moved by [`ChallengeConfig::turn_yaw`] from the
//!   baseline in the asked direction *and* is that far on the asked side of the yaw of the
//!   challenge's first face (so returning to the front from the other side does not count);
//! - a turn away from the asked side by the same amount fails the challenge at once (the
//!   wrong direction: a clip that turns the other way does not get a second chance);
//! - an action not done within [`ChallengeConfig::time_per_action_s`] of being asked fails.
//!
//! The next action is asked when one is done, so the whole challenge takes at most
//! `actions × time_per_action_s`.
//!
//! What a passed challenge shows, and what it does not: a replay clip that happens to move
//! as asked passes (a single turn by chance about half the time when the clip turns at all),
//! and a print moved towards the camera passes "step closer". So a passed challenge never
//! makes a presentation live on its own: the passive signals still decide (see
//! [`super::decide_with`]). A failed one is an attack of unknown species, or inconclusive,
//! as configured.

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::{score_live_high, PadDecision, Signal, SignalResult, Species};
use crate::detect::Detection;

/// An action the traveller is asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Turn the head to the traveller's own left.
    TurnLeft,
    /// Turn the head to the traveller's own right.
    TurnRight,
    /// Step closer to the camera.
    StepCloser,
}

impl Action {
    /// Every action.
    pub const ALL: [Action; 3] = [Action::TurnLeft, Action::TurnRight, Action::StepCloser];

    /// The stable name: the traveller display's prompt code (`challenge.<name>` in the
    /// message catalogues).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::TurnLeft => "turn_left",
            Self::TurnRight => "turn_right",
            Self::StepCloser => "step_closer",
        }
    }

    /// The sign of the yaw a turn asks for (+1 left, -1 right), `None` for other actions.
    fn side(self) -> Option<f32> {
        match self {
            Self::TurnLeft => Some(1.0),
            Self::TurnRight => Some(-1.0),
            Self::StepCloser => None,
        }
    }
}

impl std::fmt::Display for Action {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a failed challenge makes of the presentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OnFailure {
    /// An attack (species unknown): the traveller is referred with `presentation_attack`.
    Attack,
    /// Inconclusive: the attempt counts as failed and is retried within the attempts.
    Inconclusive,
}

/// `[vision.pad.challenge]`: whether the traveller is asked for actions, how many, and how
/// long each may take.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct ChallengeConfig {
    /// Whether the challenge is asked at each capture.
    pub enabled: bool,
    /// Actions per challenge, 1 or 2.
    pub actions: u32,
    /// Seconds each action may take from being asked.
    pub time_per_action_s: f64,
    /// What a failed challenge is.
    pub on_failure: OnFailure,
    /// Yaw cue (inter-eye distances) a turn must reach.
    pub turn_yaw: f64,
    /// Growth of the inter-eye distance that counts as a step closer.
    pub closer_ratio: f64,
}

impl Default for ChallengeConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            actions: 2,
            time_per_action_s: 3.0,
            on_failure: OnFailure::Attack,
            turn_yaw: 0.12,
            closer_ratio: 1.15,
        }
    }
}

impl ChallengeConfig {
    /// Range checks as `(key, message)`.
    pub fn validate(&self) -> Vec<(String, String)> {
        let mut errs = Vec::new();
        if !(1..=2).contains(&self.actions) {
            errs.push(("actions".into(), "must be 1 or 2".into()));
        }
        if !(self.time_per_action_s >= 0.5 && self.time_per_action_s <= 10.0) {
            errs.push((
                "time_per_action_s".into(),
                "must be in 0.5..=10 seconds".into(),
            ));
        }
        if !(self.turn_yaw >= 0.05 && self.turn_yaw <= 0.5) {
            errs.push(("turn_yaw".into(), "must be in 0.05..=0.5".into()));
        }
        if !(self.closer_ratio >= 1.05 && self.closer_ratio <= 2.0) {
            errs.push(("closer_ratio".into(), "must be in 1.05..=2".into()));
        }
        errs
    }

    /// The longest a challenge can take.
    pub fn max_duration(&self) -> Duration {
        Duration::from_secs_f64(self.time_per_action_s.clamp(0.0, 10.0) * self.actions as f64)
    }
}

/// One challenge: the actions in the order they are asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    actions: Vec<Action>,
}

impl Challenge {
    /// Draws `config.actions` different actions (at least 1, at most 2) in a random order.
    /// `below(n)` is the random source: a number in `0..n` (the lane passes the operating
    /// system's generator, tests a fixed sequence).
    pub fn draw(config: &ChallengeConfig, mut below: impl FnMut(usize) -> usize) -> Self {
        let mut pool = Action::ALL.to_vec();
        let mut actions = Vec::new();
        for _ in 0..config.actions.clamp(1, 2) {
            let i = below(pool.len()).min(pool.len() - 1);
            actions.push(pool.remove(i));
        }
        Self { actions }
    }

    /// A challenge of these actions, in this order (1 or 2 of them).
    pub fn of(actions: &[Action]) -> Self {
        Self {
            actions: actions.iter().copied().take(2).collect(),
        }
    }

    /// The actions, in the order they are asked.
    pub fn actions(&self) -> &[Action] {
        &self.actions
    }
}

/// The head's pose as far as the five landmarks tell it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pose {
    /// Yaw cue: the nose tip's offset from the eye midpoint along the eye axis, in
    /// inter-eye distances; positive towards the subject's left.
    pub yaw: f32,
    /// Inter-eye distance, pixels.
    pub size: f32,
    /// Distance from the eye midpoint to the mouth-corner midpoint, pixels.
    pub height: f32,
}

impl Pose {
    /// The pose of a detected face; `None` if its eyes coincide.
    pub fn of(face: &Detection) -> Option<Self> {
        let [r, l, n] = [face.landmarks[0], face.landmarks[1], face.landmarks[2]];
        // From the subject's right eye to their left eye: the subject's leftward axis.
        let e = [l[0] - r[0], l[1] - r[1]];
        let d2 = e[0] * e[0] + e[1] * e[1];
        if !(d2.is_finite() && d2 > 1.0) {
            return None;
        }
        let mid = [(r[0] + l[0]) / 2.0, (r[1] + l[1]) / 2.0];
        let yaw = ((n[0] - mid[0]) * e[0] + (n[1] - mid[1]) * e[1]) / d2;
        let [mr, ml] = [face.landmarks[3], face.landmarks[4]];
        let mouth = [(mr[0] + ml[0]) / 2.0, (mr[1] + ml[1]) / 2.0];
        let height = ((mouth[0] - mid[0]).powi(2) + (mouth[1] - mid[1]).powi(2)).sqrt();
        (yaw.is_finite() && height.is_finite()).then_some(Self {
            yaw,
            size: d2.sqrt(),
            height,
        })
    }
}

/// How one action ended.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "outcome")]
pub enum ActionOutcome {
    /// Done in time.
    Done {
        /// Time from being asked to done, milliseconds.
        after_ms: u64,
        /// The frame that showed it.
        frame: u64,
    },
    /// The head turned the other way.
    WrongDirection {
        /// The frame that showed it.
        frame: u64,
    },
    /// Not done within the time bound (or the frames ran out first).
    NotInTime,
}

/// One action's result.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ActionResult {
    /// The action.
    pub action: Action,
    /// How it ended.
    pub outcome: ActionOutcome,
    /// The furthest the response went, as a share of what the action needs (1 = enough).
    pub reached: f32,
}

/// One capture's challenge, judged frame by frame. Time comes from the caller.
#[derive(Debug)]
pub struct ChallengeSession {
    config: ChallengeConfig,
    challenge: Challenge,
    started: Instant,
    /// When the current action was asked.
    asked: Instant,
    /// The yaw of the challenge's first face.
    reference: Option<Pose>,
    /// The current action's first face.
    baseline: Option<Pose>,
    /// The current action's furthest response, as a share of what it needs.
    reached: f32,
    results: Vec<ActionResult>,
    /// When the challenge was over.
    ended: Option<Instant>,
}

impl ChallengeSession {
    /// The challenge starts at `now`: its first action is asked.
    pub fn new(challenge: Challenge, config: ChallengeConfig, now: Instant) -> Self {
        Self {
            config,
            challenge,
            started: now,
            asked: now,
            reference: None,
            baseline: None,
            reached: 0.0,
            results: Vec::new(),
            ended: None,
        }
    }

    /// The challenge.
    pub fn challenge(&self) -> &Challenge {
        &self.challenge
    }

    /// The action to show on the traveller display now, with its place (`1` of `2`), or
    /// `None` when the challenge is over.
    pub fn prompt(&self) -> Option<(Action, usize, usize)> {
        if self.is_complete() {
            return None;
        }
        let i = self.results.len();
        Some((
            self.challenge.actions[i],
            i + 1,
            self.challenge.actions.len(),
        ))
    }

    /// Whether every action is judged (done, or failed: the challenge then stops).
    pub fn is_complete(&self) -> bool {
        self.ended.is_some()
    }

    /// When the current action's time runs out.
    pub fn poll_timeout(&self) -> Option<Instant> {
        (!self.is_complete()).then(|| self.asked + self.per_action())
    }

    fn per_action(&self) -> Duration {
        Duration::from_secs_f64(self.config.time_per_action_s.clamp(0.0, 10.0))
    }

    /// Time passes: an action whose time ran out fails.
    pub fn handle_timeout(&mut self, now: Instant) {
        if let Some(deadline) = self.poll_timeout() {
            if now >= deadline {
                self.end_action(ActionOutcome::NotInTime, deadline);
                self.ended = Some(deadline);
            }
        }
    }

    /// A frame without a face at `now`.
    pub fn handle_no_face(&mut self, now: Instant) {
        self.handle_timeout(now);
    }

    /// The frame `frame_id`, taken at `now`, and its primary face.
    pub fn handle_face(&mut self, now: Instant, frame_id: u64, face: &Detection) {
        self.handle_timeout(now);
        if self.is_complete() {
            return;
        }
        let Some(pose) = Pose::of(face) else {
            return;
        };
        let reference = *self.reference.get_or_insert(pose);
        let Some(baseline) = self.baseline else {
            self.baseline = Some(pose);
            return;
        };
        let action = self.challenge.actions[self.results.len()];
        let need = self.config.turn_yaw as f32;
        let (reached, wrong) = match action.side() {
            Some(side) => {
                let moved = side * (pose.yaw - baseline.yaw);
                let off_front = side * (pose.yaw - reference.yaw);
                (moved.min(off_front) / need, -moved >= need)
            }
            None => {
                let ratio = self.config.closer_ratio as f32;
                let grown = (pose.size / baseline.size.max(1.0))
                    .min(pose.height / baseline.height.max(1.0));
                ((grown - 1.0) / (ratio - 1.0), false)
            }
        };
        if reached.is_finite() {
            self.reached = self.reached.max(reached);
        }
        if wrong {
            self.end_action(ActionOutcome::WrongDirection { frame: frame_id }, now);
            self.ended = Some(now);
        } else if reached >= 1.0 {
            let after_ms = now.saturating_duration_since(self.asked).as_millis() as u64;
            self.end_action(
                ActionOutcome::Done {
                    after_ms,
                    frame: frame_id,
                },
                now,
            );
            if self.results.len() == self.challenge.actions.len() {
                self.ended = Some(now);
            }
        }
    }

    fn end_action(&mut self, outcome: ActionOutcome, at: Instant) {
        let action = self.challenge.actions[self.results.len()];
        self.results.push(ActionResult {
            action,
            outcome,
            reached: self.reached,
        });
        self.asked = at;
        self.baseline = None;
        self.reached = 0.0;
    }

    /// The actions judged so far.
    pub fn results(&self) -> &[ActionResult] {
        &self.results
    }

    /// How long the challenge took (so far, if it is not over).
    pub fn elapsed(&self, now: Instant) -> Duration {
        self.ended
            .unwrap_or(now)
            .saturating_duration_since(self.started)
    }

    /// Closes the challenge at `now` (actions not yet done fail: the frames ran out) and
    /// gives its signal.
    pub fn finish(&mut self, now: Instant) -> SignalResult {
        self.handle_timeout(now);
        if !self.is_complete() {
            self.end_action(ActionOutcome::NotInTime, now);
            self.ended = Some(now);
        }
        self.signal()
    }

    /// The signal of a completed challenge.
    fn signal(&self) -> SignalResult {
        let asked: Vec<&str> = self.challenge.actions.iter().map(|a| a.as_str()).collect();
        let passed = self.results.len() == self.challenge.actions.len()
            && self
                .results
                .iter()
                .all(|r| matches!(r.outcome, ActionOutcome::Done { .. }));
        let detail: Vec<String> = self
            .results
            .iter()
            .map(|r| match r.outcome {
                ActionOutcome::Done { after_ms, .. } => {
                    format!("{} done after {after_ms} ms", r.action)
                }
                ActionOutcome::WrongDirection { .. } => {
                    format!("{} answered by a turn the other way", r.action)
                }
                ActionOutcome::NotInTime => format!(
                    "{} not done within {:.1} s (reached {:.0} %)",
                    r.action,
                    self.config.time_per_action_s,
                    100.0 * r.reached.clamp(0.0, 9.99)
                ),
            })
            .collect();
        let reason = format!("asked {}: {}", asked.join(" then "), detail.join(", "));
        // The score: the weakest action's response against what it needs (0.5 at exactly
        // enough); a turn the wrong way scores 0.
        let score = self
            .results
            .iter()
            .map(|r| match r.outcome {
                ActionOutcome::WrongDirection { .. } => 0.0,
                _ => score_live_high(r.reached.max(0.0) as f64, 1.0),
            })
            .fold(1.0f32, f32::min);
        let decision = if passed {
            PadDecision::Live
        } else {
            match self.config.on_failure {
                OnFailure::Attack => PadDecision::Attack(Species::Unknown),
                OnFailure::Inconclusive => PadDecision::Inconclusive,
            }
        };
        SignalResult {
            signal: Signal::Challenge,
            decision,
            score: if passed {
                score.max(0.5)
            } else {
                score.min(0.49)
            },
            reason,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A face whose landmarks give yaw cue `yaw` and inter-eye distance `size`.
    fn face(yaw: f32, size: f32) -> Detection {
        let (cx, cy) = (320.0, 240.0);
        let h = size / 2.0;
        Detection {
            bbox: [cx - 1.3 * size, cy - 1.5 * size, 2.6 * size, 3.2 * size],
            // Not mirrored: the subject's right eye on the image's left.
            landmarks: [
                [cx - h, cy],
                [cx + h, cy],
                [cx + yaw * size, cy + 0.6 * size],
                [cx - 0.4 * size, cy + 1.1 * size],
                [cx + 0.4 * size, cy + 1.1 * size],
            ],
            score: 0.9,
        }
    }

    fn config() -> ChallengeConfig {
        ChallengeConfig {
            enabled: true,
            ..ChallengeConfig::default()
        }
    }

    /// Runs `poses` (yaw, size) at 100 ms per frame through a challenge of `actions`.
    fn run(actions: &[Action], poses: &[(f32, f32)]) -> (SignalResult, ChallengeSession) {
        let t0 = Instant::now();
        let mut s = ChallengeSession::new(Challenge::of(actions), config(), t0);
        let mut t = t0;
        for (i, &(yaw, size)) in poses.iter().enumerate() {
            t = t0 + Duration::from_millis(100 * i as u64);
            s.handle_face(t, i as u64, &face(yaw, size));
        }
        let r = s.finish(t + Duration::from_millis(100));
        (r, s)
    }

    #[test]
    fn the_yaw_cue_is_positive_towards_the_subjects_left_whatever_the_roll() {
        assert!(Pose::of(&face(0.2, 60.0)).unwrap().yaw > 0.19);
        // The same face rolled by 90°: the eye axis points down the image.
        let mut f = face(0.2, 60.0);
        for p in &mut f.landmarks {
            *p = [320.0 - (p[1] - 240.0), 240.0 + (p[0] - 320.0)];
        }
        let pose = Pose::of(&f).unwrap();
        assert!((pose.yaw - 0.2).abs() < 1e-4, "{pose:?}");
        // Eyes on one point: no pose.
        let mut f = face(0.0, 60.0);
        f.landmarks[1] = f.landmarks[0];
        assert_eq!(Pose::of(&f), None);
    }

    #[test]
    fn draw_gives_different_actions_in_the_order_of_the_random_source() {
        let c = config();
        let mut seq = [2usize, 0].into_iter();
        let ch = Challenge::draw(&c, |n| seq.next().unwrap() % n);
        assert_eq!(ch.actions(), &[Action::StepCloser, Action::TurnLeft]);
        let mut seq = [0usize, 0].into_iter();
        let ch = Challenge::draw(&c, |n| seq.next().unwrap() % n);
        assert_eq!(ch.actions(), &[Action::TurnLeft, Action::TurnRight]);
        // A random source out of range is clamped, never a panic.
        let ch = Challenge::draw(&ChallengeConfig { actions: 1, ..c }, |_| usize::MAX);
        assert_eq!(ch.actions(), &[Action::StepCloser]);
    }

    #[test]
    fn each_action_followed_in_time_passes() {
        let left = [(0.0, 60.0), (0.0, 60.0), (0.08, 60.0), (0.16, 60.0)];
        let (r, s) = run(&[Action::TurnLeft], &left);
        assert_eq!(r.decision, PadDecision::Live, "{r:?}");
        assert!(matches!(
            s.results()[0].outcome,
            ActionOutcome::Done { frame: 3, .. }
        ));
        let right = [(0.0, 60.0), (-0.05, 60.0), (-0.15, 60.0)];
        assert_eq!(
            run(&[Action::TurnRight], &right).0.decision,
            PadDecision::Live
        );
        let closer = [(0.0, 60.0), (0.0, 64.0), (0.0, 72.0)];
        assert_eq!(
            run(&[Action::StepCloser], &closer).0.decision,
            PadDecision::Live
        );
        // Both, in the asked order: left, then back through the front to the right.
        let both = [
            (0.0, 60.0),
            (0.0, 60.0),
            (0.15, 60.0),
            (0.15, 60.0),
            (0.0, 60.0),
            (-0.15, 60.0),
        ];
        let (r, _) = run(&[Action::TurnLeft, Action::TurnRight], &both);
        assert_eq!(r.decision, PadDecision::Live, "{r:?}");
        assert_eq!(r.signal, Signal::Challenge);
    }

    #[test]
    fn a_presentation_that_ignores_the_challenge_fails_it() {
        let still = vec![(0.01, 60.0); 40];
        let (r, s) = run(&[Action::TurnLeft], &still);
        assert_eq!(r.decision, PadDecision::Attack(Species::Unknown), "{r:?}");
        assert_eq!(s.results()[0].outcome, ActionOutcome::NotInTime);
        assert!(r.score < 0.5 && r.reason.contains("not done"), "{r:?}");
        // Configured inconclusive.
        let t0 = Instant::now();
        let cfg = ChallengeConfig {
            on_failure: OnFailure::Inconclusive,
            ..config()
        };
        let mut s = ChallengeSession::new(Challenge::of(&[Action::StepCloser]), cfg, t0);
        assert_eq!(
            s.finish(t0 + Duration::from_secs(9)).decision,
            PadDecision::Inconclusive
        );
    }

    #[test]
    fn returning_to_the_front_from_the_other_side_is_not_a_turn() {
        // Still turned right when "turn left" is asked, then back to the front: it moved
        // left by enough, but is not on the left of where the challenge began.
        let poses = [
            (0.0, 60.0),
            (-0.15, 60.0),
            (-0.15, 60.0),
            (0.0, 60.0),
            (0.0, 60.0),
        ];
        let t0 = Instant::now();
        let mut s = ChallengeSession::new(
            Challenge::of(&[Action::TurnRight, Action::TurnLeft]),
            config(),
            t0,
        );
        for (i, &(yaw, size)) in poses.iter().enumerate() {
            s.handle_face(
                t0 + Duration::from_millis(100 * i as u64),
                i as u64,
                &face(yaw, size),
            );
        }
        assert!(matches!(s.results()[0].outcome, ActionOutcome::Done { .. }));
        assert_eq!(s.results().len(), 1, "{:?}", s.results());
        let r = s.finish(t0 + Duration::from_secs(10));
        assert_eq!(r.decision, PadDecision::Attack(Species::Unknown), "{r:?}");
    }

    #[test]
    fn a_face_that_widens_only_did_not_step_closer() {
        // A head (or a screen) turned away and back: foreshortened across, not down.
        let across = |k: f32| {
            let mut f = face(0.0, 60.0);
            for p in &mut f.landmarks {
                p[0] = 320.0 + (p[0] - 320.0) * k;
            }
            f
        };
        let t0 = Instant::now();
        let mut s = ChallengeSession::new(Challenge::of(&[Action::StepCloser]), config(), t0);
        s.handle_face(t0, 0, &across(0.8));
        s.handle_face(t0 + Duration::from_millis(100), 1, &across(1.0));
        assert!(!s.is_complete(), "{:?}", s.results());
        // Closer: across and down.
        s.handle_face(t0 + Duration::from_millis(200), 2, &face(0.0, 72.0));
        assert!(matches!(
            s.results()[0].outcome,
            ActionOutcome::Done { frame: 2, .. }
        ));
    }

    #[test]
    fn the_wrong_order_fails() {
        // Asked left then right; the response turns right first.
        let poses = [
            (0.0, 60.0),
            (0.0, 60.0),
            (-0.15, 60.0),
            (0.0, 60.0),
            (0.15, 60.0),
        ];
        let (r, s) = run(&[Action::TurnLeft, Action::TurnRight], &poses);
        assert_eq!(r.decision, PadDecision::Attack(Species::Unknown), "{r:?}");
        assert_eq!(
            s.results()[0].outcome,
            ActionOutcome::WrongDirection { frame: 2 }
        );
        assert_eq!(r.score, 0.0);
        // Asked to step closer then turn left; the response turns left first, then steps
        // closer: the turn came before it was asked, and nothing follows the second prompt.
        let poses = [
            (0.0, 60.0),
            (0.15, 60.0),
            (0.0, 60.0),
            (0.0, 72.0),
            (0.0, 72.0),
        ];
        let mut p = poses.to_vec();
        p.extend(std::iter::repeat_n((0.0, 72.0), 40));
        let (r, s) = run(&[Action::StepCloser, Action::TurnLeft], &p);
        assert!(matches!(s.results()[0].outcome, ActionOutcome::Done { .. }));
        assert_eq!(s.results()[1].outcome, ActionOutcome::NotInTime);
        assert_eq!(r.decision, PadDecision::Attack(Species::Unknown));
    }

    #[test]
    fn too_late_fails_and_the_challenge_takes_at_most_its_bound() {
        let t0 = Instant::now();
        let mut s = ChallengeSession::new(Challenge::of(&[Action::TurnLeft]), config(), t0);
        s.handle_face(t0, 0, &face(0.0, 60.0));
        // The turn comes 3.2 s after the prompt; 3 s were allowed.
        s.handle_face(t0 + Duration::from_millis(3200), 1, &face(0.2, 60.0));
        assert_eq!(s.results()[0].outcome, ActionOutcome::NotInTime);
        assert_eq!(
            s.elapsed(t0 + Duration::from_secs(60)),
            Duration::from_secs(3)
        );
        assert_eq!(
            s.finish(t0 + Duration::from_secs(60)).decision,
            PadDecision::Attack(Species::Unknown)
        );
        // Two actions: the second is asked when the first is done, and gets its own time.
        let mut s = ChallengeSession::new(
            Challenge::of(&[Action::StepCloser, Action::TurnRight]),
            config(),
            t0,
        );
        s.handle_face(t0, 0, &face(0.0, 60.0));
        s.handle_face(t0 + Duration::from_millis(2500), 1, &face(0.0, 70.0));
        assert_eq!(s.prompt(), Some((Action::TurnRight, 2, 2)));
        s.handle_face(t0 + Duration::from_millis(2600), 2, &face(0.0, 70.0));
        s.handle_face(t0 + Duration::from_millis(5000), 3, &face(-0.2, 70.0));
        assert!(s.is_complete());
        assert_eq!(
            s.finish(t0 + Duration::from_secs(6)).decision,
            PadDecision::Live
        );
        assert_eq!(
            s.elapsed(t0 + Duration::from_secs(60)),
            Duration::from_secs(5)
        );
    }

    #[test]
    fn bad_config_is_refused_with_its_key() {
        let bad = ChallengeConfig {
            actions: 3,
            time_per_action_s: f64::NAN,
            turn_yaw: 0.0,
            closer_ratio: 1.0,
            ..config()
        };
        let keys: Vec<String> = bad.validate().into_iter().map(|(k, _)| k).collect();
        assert_eq!(
            keys,
            ["actions", "time_per_action_s", "turn_yaw", "closer_ratio"]
        );
        assert!(config().validate().is_empty());
    }
}
