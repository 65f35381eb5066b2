//! PAD signals on synthetic presentations (vision::pad::synth) made from the real test
//! photographs: each signal catches the attack it is built for and passes the bona fide
//! sequences. These exercise the code paths; they are not accuracy figures (the attacks are
//! synthetic, see vision::pad::synth).

mod common;

use vision::pad::synth::{self, Kind};
use vision::pad::{PadConfig, PadDecision, PadSession, PadVerdict, Signal};
use vision::FacePipeline;

/// Frames per synthetic presentation.
const FRAMES: usize = 10;

fn run(pipeline: &mut FacePipeline, frames: &[vision::Frame]) -> PadVerdict {
    let mut session = PadSession::new(PadConfig::default());
    for (id, frame) in frames.iter().enumerate() {
        let faces = pipeline.detect(frame).expect("detect");
        if let Some(face) = faces.iter().max_by(|a, b| a.area().total_cmp(&b.area())) {
            session
                .handle_frame(id as u64, frame, face)
                .expect("pad measure");
        }
    }
    session.finish()
}

/// The largest face the detector finds in a test photo.
fn largest_face(pipeline: &mut FacePipeline, photo: &vision::Frame) -> vision::Detection {
    *pipeline
        .detect(photo)
        .expect("detect")
        .iter()
        .max_by(|a, b| a.area().total_cmp(&b.area()))
        .expect("a face in the test photo")
}

fn verdicts(kind: Kind) -> Vec<(String, PadVerdict)> {
    let mut pipeline = common::pipeline();
    let mut out = Vec::new();
    for (i, path) in common::whole_face_photos().iter().enumerate() {
        let photo = vision::read_photo(path).expect("photo");
        let face = largest_face(&mut pipeline, &photo);
        let frames = synth::sequence(kind, &photo, &face, FRAMES, i as u64).expect("synth");
        let v = run(&mut pipeline, &frames);
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        eprintln!(
            "{kind:?} {name}: {:?} by {} score {:.2}",
            v.decision, v.deciding, v.score
        );
        for s in &v.signals {
            eprintln!(
                "    {} {:?} {:.2} {}",
                s.signal, s.decision, s.score, s.reason
            );
        }
        out.push((name, v));
    }
    out
}

fn signal(v: &PadVerdict, s: Signal) -> PadDecision {
    v.signals
        .iter()
        .find(|r| r.signal == s)
        .map(|r| r.decision)
        .unwrap_or(PadDecision::Inconclusive)
}

#[test]
fn bona_fide_sequences_are_live_and_no_signal_sees_an_attack() {
    let all = verdicts(Kind::BonaFide);
    // The whole-face test photos: three identities (tests/data/identities.txt).
    assert!(all.len() >= 4, "only {} bona fide photos", all.len());
    for (name, v) in &all {
        assert_eq!(v.decision, PadDecision::Live, "{name}: {v:#?}");
        assert_eq!(v.deciding, Signal::Geometry, "{name}");
        assert_eq!(v.frames.len(), FRAMES, "{name}: every frame has a face");
        for s in Signal::ALL {
            assert!(
                !matches!(signal(v, s), PadDecision::Attack(_)),
                "{name}: {s} {v:#?}"
            );
        }
    }
}

#[test]
fn geometry_catches_a_photo_moved_as_a_plane() {
    for (name, v) in verdicts(Kind::PlanarPhoto) {
        assert!(
            matches!(signal(&v, Signal::Geometry), PadDecision::Attack(_)),
            "{name}: {v:#?}"
        );
        assert!(matches!(v.decision, PadDecision::Attack(_)), "{name}");
    }
}

#[test]
fn prints_are_caught_by_texture_and_edges() {
    for (name, v) in verdicts(Kind::Print) {
        assert!(
            matches!(v.decision, PadDecision::Attack(_)),
            "{name}: {v:#?}"
        );
        assert_eq!(
            signal(&v, Signal::Texture),
            PadDecision::Attack(vision::pad::Species::Print),
            "{name}: the halftone"
        );
        assert!(
            matches!(signal(&v, Signal::Edges), PadDecision::Attack(_)),
            "{name}: the paper border"
        );
    }
}

#[test]
fn screen_replays_are_caught_by_texture_and_edges() {
    for (name, v) in verdicts(Kind::ScreenReplay) {
        assert!(
            matches!(v.decision, PadDecision::Attack(_)),
            "{name}: {v:#?}"
        );
        assert_eq!(
            signal(&v, Signal::Texture),
            PadDecision::Attack(vision::pad::Species::ScreenReplay),
            "{name}: the pixel grid"
        );
        assert!(
            matches!(signal(&v, Signal::Edges), PadDecision::Attack(_)),
            "{name}: the bezel"
        );
    }
}

/// The PAD sensor hook: readings of a sensor beside the camera fuse with the frame signals.
/// A sensor's attack decides even over a bona fide-looking sequence (a mask the camera takes
/// for a face would be such a case); a sensor's "live" never hides a frame signal's attack,
/// and never makes a presentation live on its own.
#[test]
fn a_pad_sensor_reading_fuses_with_the_frame_signals() {
    use vision::pad::{PadSensorEvidence, Species};
    let mut pipeline = common::pipeline();
    let path = &common::whole_face_photos()[0];
    let photo = vision::read_photo(path).expect("photo");
    let face = largest_face(&mut pipeline, &photo);
    let reading = |frame_id: u64, decision: PadDecision, score: f32| PadSensorEvidence {
        frame_id,
        decision,
        score,
        reason: "simulated near-infrared reflectance".into(),
    };
    let mut with_sensor = |kind: Kind, decision: PadDecision, score: f32| {
        let frames = synth::sequence(kind, &photo, &face, FRAMES, 0).expect("synth");
        let mut session = PadSession::new(PadConfig::default());
        for (id, frame) in frames.iter().enumerate() {
            let faces = pipeline.detect(frame).expect("detect");
            if let Some(f) = faces.iter().max_by(|a, b| a.area().total_cmp(&b.area())) {
                session.handle_frame(id as u64, frame, f).expect("pad");
            }
            session.handle_pad_sensor(reading(id as u64, decision, score));
        }
        session.finish()
    };
    // Bona fide frames, the sensor says attack: the sensor decides.
    let v = with_sensor(Kind::BonaFide, PadDecision::Attack(Species::Planar), 0.1);
    assert_eq!(v.decision, PadDecision::Attack(Species::Planar), "{v:#?}");
    assert_eq!(v.deciding, Signal::Sensor, "{v:#?}");
    assert_eq!(signal(&v, Signal::Geometry), PadDecision::Live, "{v:#?}");
    // A print, the sensor says live: still an attack, by a frame signal.
    let v = with_sensor(Kind::Print, PadDecision::Live, 0.9);
    assert!(matches!(v.decision, PadDecision::Attack(_)), "{v:#?}");
    assert_ne!(v.deciding, Signal::Sensor, "{v:#?}");
    assert_eq!(signal(&v, Signal::Sensor), PadDecision::Live);
    // Bona fide frames and a live sensor: live, by the geometry.
    let v = with_sensor(Kind::BonaFide, PadDecision::Live, 0.9);
    assert_eq!(
        (v.decision, v.deciding),
        (PadDecision::Live, Signal::Geometry)
    );
    // Too few faces for the frame signals: a live sensor alone is inconclusive, an
    // attacking one still decides.
    let few = |decision| {
        let mut s = PadSession::new(PadConfig::default());
        s.handle_pad_sensor(reading(1, decision, 0.2));
        s.finish()
    };
    assert_eq!(few(PadDecision::Live).decision, PadDecision::Inconclusive);
    let v = few(PadDecision::Attack(Species::Print));
    assert_eq!(
        (v.decision, v.deciding),
        (PadDecision::Attack(Species::Print), Signal::Sensor)
    );
}

/// A frozen camera replaying one frame of the holder (issue #17, a frozen camera): the same
/// frame, again and again, shows no parallax, so PAD never calls it live, whichever frame
/// of a bona fide sequence it is. (The capture loop does not even hand PAD the repeats:
/// `vision/tests/capture.rs::a_frozen_frame_of_the_holder_is_camera_frozen_not_a_match`.)
#[test]
fn pad_never_calls_one_frame_repeated_live() {
    let mut pipeline = common::pipeline();
    for (i, path) in common::whole_face_photos().iter().enumerate() {
        let photo = vision::read_photo(path).expect("photo");
        let face = largest_face(&mut pipeline, &photo);
        let frames =
            synth::sequence(Kind::BonaFide, &photo, &face, FRAMES, i as u64).expect("synth");
        // The live sequence itself is live (bona_fide_sequences_are_live_...); its middle
        // frame frozen is not.
        let stuck: Vec<vision::Frame> = (0..FRAMES)
            .map(|_| frames[FRAMES / 2].try_clone().expect("copy"))
            .collect();
        let v = run(&mut pipeline, &stuck);
        assert_ne!(v.decision, PadDecision::Live, "{}: {v:#?}", path.display());
        assert_ne!(
            signal(&v, Signal::Geometry),
            PadDecision::Live,
            "{}",
            path.display()
        );
    }
}
