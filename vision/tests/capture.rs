//! The capture loop over replayed frames: guidance, best frames, verdicts.

mod common;

use std::time::{Duration, Instant};

use vision::{
    run_capture, CapturePolicy, CaptureSession, Decision, Guidance, Matcher, ReplaySource,
};

fn reference(p: &mut vision::FacePipeline, name: &str) -> vision::Embedding {
    let f = vision::read_photo(&common::data().join(name)).unwrap();
    vision::matcher::largest_face(p, &f).unwrap().unwrap().3
}

/// `frame` with ±1 level of noise on every byte (a deterministic pattern from `seed`).
fn with_noise(frame: &vision::Frame, seed: u64) -> vision::Frame {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let bytes: Vec<u8> = frame
        .bgr()
        .iter()
        .map(|&b| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            match x % 3 {
                0 => b.saturating_sub(1),
                1 => b,
                _ => b.saturating_add(1),
            }
        })
        .collect();
    vision::Frame::from_bgr(frame.width(), frame.height(), &bytes).unwrap()
}

fn replay(frames: &[vision::Frame]) -> ReplaySource {
    ReplaySource::new(
        frames.iter().map(|f| f.try_clone().unwrap()).collect(),
        true,
    )
}

#[test]
fn replayed_capture_matches_the_same_person_and_not_another() {
    let mut p = common::pipeline();
    let cal = vision::Calibration::shipped().unwrap();
    let matcher = Matcher::from_calibration(&cal, 0.001).unwrap();
    let chip = reference(&mut p, "person_b_2.jpg");
    let other = reference(&mut p, "person_a_2.jpg");
    // A still photo, as a camera delivers it: with sensor noise (one photo replayed as it
    // is would be a frozen camera).
    let photo = vision::read_photo(&common::data().join("person_b_1.jpg")).unwrap();
    let frames = [
        photo.try_clone().unwrap(),
        with_noise(&photo, 1),
        with_noise(&photo, 2),
    ];

    // A virtual clock advancing 100 ms per call.
    let t0 = Instant::now();
    let mut ticks = 0u32;
    let mut clock = || {
        ticks += 1;
        t0 + Duration::from_millis(100 * ticks as u64)
    };
    let policy = CapturePolicy {
        enough_usable_frames: 3,
        ..CapturePolicy::default()
    };
    let mut src = replay(&frames);
    let mut shown = Vec::new();
    let v = run_capture(&mut p, &mut src, &chip, &matcher, policy, &mut clock, |g| {
        shown.push(g.to_vec())
    })
    .unwrap();
    assert_eq!(v.decision, Decision::Match, "{}", v.reason);
    assert_eq!(v.frames_usable, 3);
    assert!(v.score.unwrap() >= v.threshold);

    let mut src = replay(&frames);
    let v = run_capture(
        &mut p,
        &mut src,
        &other,
        &matcher,
        policy,
        &mut clock,
        |_| {},
    )
    .unwrap();
    assert_eq!(v.decision, Decision::NoMatch, "{}", v.reason);
}

#[test]
fn empty_window_is_no_face_and_late_frames_are_ignored() {
    let mut p = common::pipeline();
    let matcher = Matcher::with_threshold(0.5);
    let chip = reference(&mut p, "person_b_2.jpg");
    let t0 = Instant::now();
    let mut s = CaptureSession::new(t0, CapturePolicy::default());
    assert_eq!(s.poll_timeout(), t0 + Duration::from_secs(5));
    let blank = vision::Frame::from_bgr(64, 48, &[0; 64 * 48 * 3]).unwrap();
    let a = p.analyze(&blank).unwrap();
    assert_eq!(s.handle_frame(t0, a, 64), vec![Guidance::NoFace]);
    // After the deadline: ignored.
    let face = vision::read_photo(&common::data().join("person_b_1.jpg")).unwrap();
    let a = p.analyze(&face).unwrap();
    assert!(s
        .handle_frame(t0 + Duration::from_secs(6), a, face.width())
        .is_empty());
    assert!(s.is_complete(t0 + Duration::from_secs(6)));
    let v = s.finish(&chip, &matcher);
    assert_eq!(v.decision, Decision::NoFace);
    assert_eq!(v.frames_seen, 1);
    assert_eq!(v.guidance, vec![Guidance::NoFace]);
}

#[test]
fn missing_models_are_a_clear_setup_error() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = vision::VisionConfig {
        assets: dir.path().display().to_string(),
        ..Default::default()
    };
    let e = vision::FacePipeline::new(&cfg).err().expect("must fail");
    assert_eq!(e.kind(), vision::ErrorKind::Setup);
    assert!(e.to_string().contains("setup-models.sh"), "{e}");
    // A corrupt model: right place, wrong bytes.
    std::fs::create_dir_all(dir.path().join("models")).unwrap();
    std::fs::create_dir_all(dir.path().join("onnxruntime")).unwrap();
    std::fs::write(dir.path().join("models/yunet-anysize.onnx"), b"not a model").unwrap();
    std::os::unix::fs::symlink(
        common::assets().join("onnxruntime/libonnxruntime.so.1.32.0"),
        dir.path().join("onnxruntime/libonnxruntime.so.1.32.0"),
    )
    .unwrap();
    let e = vision::FacePipeline::new(&cfg).err().expect("must fail");
    assert!(matches!(e, vision::VisionError::Checksum { .. }), "{e}");
}

/// Issue #17, a frozen camera: the camera keeps delivering one frame of the holder. Only the
/// first is analysed; the repeats end the window as camera_frozen within `frozen_after`
/// repeats, never a match, though that frame alone would match. The same photo with sensor
/// noise (a traveller standing still) matches: noise is not a freeze.
#[test]
fn a_frozen_frame_of_the_holder_is_camera_frozen_not_a_match() {
    let mut p = common::pipeline();
    let cal = vision::Calibration::shipped().unwrap();
    let matcher = Matcher::from_calibration(&cal, 0.001).unwrap();
    let chip = reference(&mut p, "person_b_2.jpg");
    let photo = vision::read_photo(&common::data().join("person_b_1.jpg")).unwrap();
    let t0 = Instant::now();
    let mut ticks = 0u32;
    let mut clock = || {
        ticks += 1;
        t0 + Duration::from_millis(66 * ticks as u64)
    };
    let policy = CapturePolicy::default();
    let mut frozen = ReplaySource::new(vec![photo.try_clone().unwrap()], true);
    let mut guidance_calls = 0;
    let v = run_capture(
        &mut p,
        &mut frozen,
        &chip,
        &matcher,
        policy,
        &mut clock,
        |_| guidance_calls += 1,
    )
    .unwrap();
    assert_eq!(v.decision, Decision::CameraFrozen, "{}", v.reason);
    assert!(!v.is_match());
    assert_eq!(v.score, None);
    assert_eq!(v.frames_seen, 1, "{}", v.reason);
    assert_eq!(guidance_calls, 1, "only the first frame was analysed");
    assert!(v.reason.contains("camera frozen"), "{}", v.reason);

    // Sensor noise on the same still photo: new frames, a match.
    let still: Vec<vision::Frame> = (1..=8).map(|s| with_noise(&photo, s)).collect();
    let mut src = replay(&still);
    let v = run_capture(
        &mut p,
        &mut src,
        &chip,
        &matcher,
        policy,
        &mut clock,
        |_| {},
    )
    .unwrap();
    assert_eq!(v.decision, Decision::Match, "{}", v.reason);
    assert_eq!(v.frames_usable, policy.enough_usable_frames);
}
