//! The active challenge on synthetic presentations (vision::pad::synth) made from the real
//! test photographs, judged from the face detector's landmarks: a bona fide traveller who
//! follows the prompts passes each action; a replay that ignores them, a response in the
//! wrong order, a response too late and a replay clip that turns the wrong way fail. The
//! presentations are synthetic: this exercises the code paths, it is not an accuracy figure.
//!
//! Frames are 100 ms apart (10 frames per second) in the challenge's time.

mod common;

use std::time::{Duration, Instant};

use vision::pad::challenge::{
    Action, ActionOutcome, Challenge, ChallengeConfig, ChallengeSession, OnFailure,
};
use vision::pad::synth::{self, Follower};
use vision::pad::{PadConfig, PadDecision, PadSession, PadVerdict, Signal, Species};
use vision::{Detection, FacePipeline, Frame};

const FRAME_GAP: Duration = Duration::from_millis(100);

fn config() -> ChallengeConfig {
    ChallengeConfig {
        enabled: true,
        ..ChallengeConfig::default()
    }
}

/// The test photos of a face (every one the simulator's travellers are made from; the
/// partial crops aside).
fn photos() -> Vec<std::path::PathBuf> {
    common::labelled_images()
        .into_iter()
        .filter(|(_, p)| !p.file_name().unwrap().to_string_lossy().contains("partial"))
        .map(|(_, p)| p)
        .collect()
}

fn largest(pipeline: &mut FacePipeline, frame: &Frame) -> Option<Detection> {
    pipeline
        .detect(frame)
        .expect("detect")
        .into_iter()
        .max_by(|a, b| a.area().total_cmp(&b.area()))
}

/// Where a presentation's frames come from: they may look at the prompt on the display.
trait Presenter {
    fn next(&mut self, prompt: Option<Action>) -> Frame;
}

/// A traveller who follows the prompt.
impl Presenter for Follower {
    fn next(&mut self, prompt: Option<Action>) -> Frame {
        self.next_frame(prompt).expect("render")
    }
}

/// A recorded clip, played whatever the display asks.
struct Clip(std::vec::IntoIter<Frame>);

impl Presenter for Clip {
    fn next(&mut self, _prompt: Option<Action>) -> Frame {
        self.0.next().expect("the clip is long enough")
    }
}

/// A traveller who does what `script` says instead of what is asked.
struct Scripted(Follower, fn(usize) -> Option<Action>, usize);

impl Presenter for Scripted {
    fn next(&mut self, _prompt: Option<Action>) -> Frame {
        self.2 += 1;
        self.0.next_frame((self.1)(self.2)).expect("render")
    }
}

/// Runs a challenge of `actions` against `presenter` with the real detector, and PAD on the
/// same frames; `max` frames at most.
fn run(
    pipeline: &mut FacePipeline,
    actions: &[Action],
    presenter: &mut dyn Presenter,
    max: usize,
) -> (PadVerdict, ChallengeSession) {
    let t0 = Instant::now();
    let mut challenge = ChallengeSession::new(Challenge::of(actions), config(), t0);
    let mut pad = PadSession::new(PadConfig::default());
    let mut now = t0;
    for id in 0..max as u64 {
        if challenge.is_complete() && pad.geometry_decided() {
            break;
        }
        let frame = presenter.next(challenge.prompt().map(|p| p.0));
        match largest(pipeline, &frame) {
            Some(face) => {
                challenge.handle_face(now, id, &face);
                pad.handle_frame(id, &frame, &face).expect("pad");
            }
            None => {
                challenge.handle_no_face(now);
                pad.handle_no_face();
            }
        }
        now += FRAME_GAP;
    }
    pad.handle_challenge(challenge.finish(now));
    let v = pad.finish();
    eprintln!(
        "{actions:?}: {:?} by {} — {:?}",
        v.decision,
        v.deciding,
        challenge.results()
    );
    for s in &v.signals {
        eprintln!(
            "    {} {:?} {:.2} {}",
            s.signal, s.decision, s.score, s.reason
        );
    }
    (v, challenge)
}

fn challenge_signal(v: &PadVerdict) -> PadDecision {
    v.signals
        .iter()
        .find(|s| s.signal == Signal::Challenge)
        .map(|s| s.decision)
        .expect("the challenge's signal is in the verdict")
}

fn follower(pipeline: &mut FacePipeline, path: &std::path::Path, seed: u64) -> Follower {
    let photo = vision::read_photo(path).expect("photo");
    let face = largest(pipeline, &photo).expect("a face in the test photo");
    Follower::new(&photo, &face, seed).expect("follower")
}

#[test]
fn each_action_is_seen_on_a_bona_fide_traveller_who_follows_it() {
    let mut pipeline = common::pipeline();
    for (i, path) in photos().iter().enumerate() {
        for (j, actions) in [
            &[Action::TurnLeft][..],
            &[Action::TurnRight],
            &[Action::StepCloser],
            &[Action::TurnLeft, Action::TurnRight],
            &[Action::StepCloser, Action::TurnLeft],
            &[Action::TurnRight, Action::StepCloser],
        ]
        .into_iter()
        .enumerate()
        {
            let mut f = follower(&mut pipeline, path, (i * 10 + j) as u64);
            let (v, s) = run(&mut pipeline, actions, &mut f, 80);
            let name = path.display();
            assert_eq!(
                challenge_signal(&v),
                PadDecision::Live,
                "{name} {actions:?}"
            );
            for r in s.results() {
                let ActionOutcome::Done { after_ms, .. } = r.outcome else {
                    panic!("{name} {actions:?}: {r:?}");
                };
                assert!(after_ms <= 3000, "{name}: {r:?}");
            }
            // The passive signals still decide: the head turned and swayed with depth.
            assert_eq!(v.decision, PadDecision::Live, "{name} {actions:?}: {v:#?}");
            assert_eq!(v.deciding, Signal::Geometry, "{name} {actions:?}");
        }
    }
}

#[test]
fn a_screen_replay_that_ignores_the_challenge_fails_it() {
    let mut pipeline = common::pipeline();
    for (i, path) in photos().iter().enumerate() {
        // The holder recorded looking at the camera, swaying a little, then replayed.
        let mut f = follower(&mut pipeline, path, i as u64);
        f.sway_deg = 4.0;
        let clip: Vec<Frame> = (0..80).map(|_| f.next_frame(None).unwrap()).collect();
        let replay = synth::on_screen(&clip, i as u64).unwrap();
        for actions in [&[Action::TurnLeft][..], &[Action::StepCloser]] {
            let mut p = Clip(
                replay
                    .iter()
                    .map(|f| f.try_clone().unwrap())
                    .collect::<Vec<_>>()
                    .into_iter(),
            );
            let (v, s) = run(&mut pipeline, actions, &mut p, 80);
            assert_eq!(
                challenge_signal(&v),
                PadDecision::Attack(Species::Unknown),
                "{actions:?}: {v:#?}"
            );
            // Not done: the time ran out, or the screen's own motion read as a turn the
            // other way.
            assert!(
                !matches!(s.results()[0].outcome, ActionOutcome::Done { .. }),
                "{:?}",
                s.results()
            );
            assert!(matches!(v.decision, PadDecision::Attack(_)), "{v:#?}");
        }
    }
}

#[test]
fn the_wrong_order_and_too_late_fail() {
    let mut pipeline = common::pipeline();
    let path = &photos()[0];
    // Asked left then right; this traveller turns right first, then left.
    let mut p = Scripted(
        follower(&mut pipeline, path, 1),
        |k| {
            Some(if k < 10 {
                Action::TurnRight
            } else {
                Action::TurnLeft
            })
        },
        0,
    );
    let (v, s) = run(
        &mut pipeline,
        &[Action::TurnLeft, Action::TurnRight],
        &mut p,
        60,
    );
    assert!(
        matches!(s.results()[0].outcome, ActionOutcome::WrongDirection { .. }),
        "{:?}",
        s.results()
    );
    assert_eq!(challenge_signal(&v), PadDecision::Attack(Species::Unknown));
    assert_eq!(v.decision, PadDecision::Attack(Species::Unknown), "{v:#?}");
    assert_eq!(v.deciding, Signal::Challenge);
    // Follows, but reacts 3.5 s after each prompt: 3 s are allowed.
    let mut late = follower(&mut pipeline, path, 2);
    late.reaction = 35;
    let (v, s) = run(&mut pipeline, &[Action::TurnRight], &mut late, 60);
    assert_eq!(s.results()[0].outcome, ActionOutcome::NotInTime);
    assert_eq!(challenge_signal(&v), PadDecision::Attack(Species::Unknown));
    assert_eq!(v.deciding, Signal::Challenge, "{v:#?}");
    // The same, configured inconclusive: the verdict is inconclusive, by the challenge,
    // although the passive signals saw a live face.
    let mut late = follower(&mut pipeline, path, 2);
    late.reaction = 35;
    let t0 = Instant::now();
    let cfg = ChallengeConfig {
        on_failure: OnFailure::Inconclusive,
        ..config()
    };
    let mut c = ChallengeSession::new(Challenge::of(&[Action::TurnRight]), cfg, t0);
    let mut pad = PadSession::new(PadConfig::default());
    for id in 0..40u64 {
        let frame = late.next_frame(c.prompt().map(|p| p.0)).unwrap();
        let face = largest(&mut pipeline, &frame).expect("face");
        c.handle_face(t0 + FRAME_GAP * id as u32, id, &face);
        pad.handle_frame(id, &frame, &face).unwrap();
    }
    pad.handle_challenge(c.finish(t0 + Duration::from_secs(4)));
    let v = pad.finish();
    assert_eq!(
        (v.decision, v.deciding),
        (PadDecision::Inconclusive, Signal::Challenge),
        "{v:#?}"
    );
}

/// Adversarial: a replay clip that does contain a head turn, to the other side. The clip
/// (the holder asked "turn right" earlier, recorded, replayed on a screen) is shown to a
/// challenge that asks "turn left".
#[test]
fn a_replayed_head_turn_to_the_wrong_side_fails() {
    let mut pipeline = common::pipeline();
    let path = &photos()[1];
    let mut f = follower(&mut pipeline, path, 3);
    let clip: Vec<Frame> = (0..60)
        .map(|_| f.next_frame(Some(Action::TurnRight)).unwrap())
        .collect();
    let replay = synth::on_screen(&clip, 3).unwrap();
    let mut p = Clip(replay.into_iter().collect::<Vec<_>>().into_iter());
    let (v, s) = run(&mut pipeline, &[Action::TurnLeft], &mut p, 60);
    assert!(
        matches!(s.results()[0].outcome, ActionOutcome::WrongDirection { .. }),
        "{:?}",
        s.results()
    );
    assert_eq!(challenge_signal(&v), PadDecision::Attack(Species::Unknown));
    assert!(matches!(v.decision, PadDecision::Attack(_)), "{v:#?}");
    // The same clip before a bona fide check: the follower's turn right is seen as one.
    let mut f = follower(&mut pipeline, path, 3);
    let clip: Vec<Frame> = (0..30)
        .map(|_| f.next_frame(Some(Action::TurnRight)).unwrap())
        .collect();
    let mut p = Clip(clip.into_iter().collect::<Vec<_>>().into_iter());
    let (_, s) = run(&mut pipeline, &[Action::TurnRight], &mut p, 30);
    assert!(
        matches!(s.results()[0].outcome, ActionOutcome::Done { .. }),
        "{:?}",
        s.results()
    );
}

/// A passed challenge never makes a presentation live on its own: a photo moved as a plane
/// whose challenge passed (a print moved closer passes "step closer") is still an attack,
/// decided by the geometry.
#[test]
fn a_passed_challenge_does_not_make_a_planar_photo_live() {
    let mut pipeline = common::pipeline();
    let path = &photos()[1];
    let photo = vision::read_photo(path).expect("photo");
    let face = largest(&mut pipeline, &photo).expect("face");
    let frames = synth::sequence(synth::Kind::PlanarPhoto, &photo, &face, 10, 0).unwrap();
    let mut pad = PadSession::new(PadConfig::default());
    for (id, frame) in frames.iter().enumerate() {
        if let Some(f) = largest(&mut pipeline, frame) {
            pad.handle_frame(id as u64, frame, &f).unwrap();
        }
    }
    pad.handle_challenge(vision::pad::SignalResult {
        signal: Signal::Challenge,
        decision: PadDecision::Live,
        score: 0.9,
        reason: "asked step_closer: step_closer done after 400 ms".into(),
    });
    let v = pad.finish();
    assert!(matches!(v.decision, PadDecision::Attack(_)), "{v:#?}");
    assert_eq!(v.deciding, Signal::Geometry, "{v:#?}");
    assert_eq!(challenge_signal(&v), PadDecision::Live);
}
