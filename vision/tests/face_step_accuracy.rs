//! The faster face step (issue #20: `yunet-anysize.onnx` detecting live frames at
//! `detector_side`, `sface-expanded.onnx`) decides every test pair as the configuration before
//! it did (`yunet.onnx` at 640, `sface.onnx`): no impostor match gained, no genuine match lost.
//!
//! Pairs: every ordered pair of different test images (vision/tests/data/identities.txt), the
//! first as the chip photo (detected at 640 in both configurations, as the lane does) and the
//! second as the live capture — once as the still photo, and once as each frame of a synthetic
//! 640×480 bona fide sequence made from it (vision::pad::synth: what a gate camera sees). The
//! decision is the shipped calibration's at the default target FMR.

mod common;

use std::collections::HashMap;

use vision::pad::synth::{self, Kind};
use vision::{Decision, Embedding, FacePipeline, Frame, Matcher, VisionConfig};

/// Frames of each synthetic sequence.
const FRAMES: usize = 6;

/// The live probes made from one test image: the photo itself, then camera-like frames.
fn probes(fast: &mut FacePipeline, photo: &Frame, seed: u64) -> Vec<Frame> {
    let mut out = vec![photo.try_clone().expect("copy")];
    let faces = fast.detect_photo(photo).expect("detect");
    if let Some(face) = faces.iter().max_by(|a, b| a.area().total_cmp(&b.area())) {
        out.extend(synth::sequence(Kind::BonaFide, photo, face, FRAMES, seed).expect("synth"));
    }
    out
}

/// One configuration's view of the test set: the chip-photo embedding of each image and the
/// live embeddings of its probes (`None`: no face found in that probe).
struct Embeddings {
    reference: Vec<Embedding>,
    live: Vec<Vec<Option<Embedding>>>,
}

fn embed_all(pipeline: &mut FacePipeline, photos: &[Frame], probes: &[Vec<Frame>]) -> Embeddings {
    Embeddings {
        reference: references(pipeline, photos),
        live: live(pipeline, probes),
    }
}

fn references(pipeline: &mut FacePipeline, photos: &[Frame]) -> Vec<Embedding> {
    photos
        .iter()
        .map(|p| {
            vision::matcher::largest_face(pipeline, p)
                .expect("analyze")
                .expect("a face in every test photo")
                .3
        })
        .collect()
}

fn live(pipeline: &mut FacePipeline, probes: &[Vec<Frame>]) -> Vec<Vec<Option<Embedding>>> {
    probes
        .iter()
        .map(|frames| {
            frames
                .iter()
                .map(|f| {
                    pipeline
                        .analyze(f)
                        .expect("analyze")
                        .primary
                        .map(|p| p.embedding)
                })
                .collect()
        })
        .collect()
}

/// A decision that changed between the two configurations.
#[derive(Debug, PartialEq)]
struct Changed {
    reference: usize,
    probe: usize,
    frame: usize,
    genuine: bool,
    before: Option<Decision>,
    after: Option<Decision>,
}

/// Every pair whose decision differs (a face found by one and not the other counts), and the
/// largest score difference seen.
fn compare(
    ids: &[String],
    before: &Embeddings,
    after: &Embeddings,
    matcher: &Matcher,
) -> (Vec<Changed>, f32, usize) {
    let mut changed = Vec::new();
    let mut max_diff = 0f32;
    let mut pairs = 0;
    for r in 0..ids.len() {
        for p in 0..ids.len() {
            if r == p {
                continue;
            }
            for (k, (b, a)) in before.live[p].iter().zip(&after.live[p]).enumerate() {
                pairs += 1;
                let sb = b.as_ref().map(|e| before.reference[r].cosine(e));
                let sa = a.as_ref().map(|e| after.reference[r].cosine(e));
                if let (Some(x), Some(y)) = (sb, sa) {
                    max_diff = max_diff.max((x - y).abs());
                }
                let (db, da) = (sb.map(|s| matcher.decide(s)), sa.map(|s| matcher.decide(s)));
                if db != da {
                    changed.push(Changed {
                        reference: r,
                        probe: p,
                        frame: k,
                        genuine: ids[r] == ids[p],
                        before: db,
                        after: da,
                    });
                }
            }
        }
    }
    (changed, max_diff, pairs)
}

fn before_config() -> VisionConfig {
    let models = common::assets().join("models");
    VisionConfig {
        yunet: models.join("yunet.onnx").display().to_string(),
        sface: models.join("sface.onnx").display().to_string(),
        detector_side: vision::detect::PHOTO_SIDE,
        ..VisionConfig::default()
    }
}

#[test]
fn the_fast_face_step_keeps_every_decision_on_the_test_pairs() {
    let images = common::labelled_images();
    let ids: Vec<String> = images.iter().map(|(id, _)| id.clone()).collect();
    let photos: Vec<Frame> = images
        .iter()
        .map(|(_, p)| vision::read_photo(p).expect("decode"))
        .collect();
    let fast_config = VisionConfig::default();
    let matcher = Matcher::from_config(&fast_config).expect("shipped calibration");
    let mut fast = common::pipeline_with(&fast_config);
    let probes: Vec<Vec<Frame>> = photos
        .iter()
        .enumerate()
        .map(|(i, p)| probes(&mut fast, p, i as u64))
        .collect();
    let after = embed_all(&mut fast, &photos, &probes);
    drop(fast);
    let mut slow = common::pipeline_with(&before_config());
    let before = embed_all(&mut slow, &photos, &probes);

    // The ground truth first: the configuration before decided every pair right, so "the same
    // decisions" means "every genuine pair matched, no impostor pair did".
    let mut genuine = 0;
    for r in 0..ids.len() {
        for p in (0..ids.len()).filter(|&p| p != r) {
            for (k, e) in before.live[p].iter().enumerate() {
                let e = e.as_ref().unwrap_or_else(|| {
                    panic!("before: no face in probe {k} of {}", images[p].1.display())
                });
                let want = if ids[r] == ids[p] {
                    genuine += 1;
                    Decision::Match
                } else {
                    Decision::NoMatch
                };
                assert_eq!(
                    matcher.decide(before.reference[r].cosine(e)),
                    want,
                    "before: {} against {} frame {k}",
                    images[r].1.display(),
                    images[p].1.display()
                );
            }
        }
    }
    assert!(
        genuine >= 4,
        "too few genuine pairs ({genuine}) to show anything"
    );

    let (changed, max_diff, pairs) = compare(&ids, &before, &after, &matcher);
    eprintln!(
        "{pairs} pairs ({genuine} genuine), threshold {:.4}: {} decisions changed, largest score change {max_diff:.4}",
        matcher.threshold(),
        changed.len()
    );
    let gained: Vec<&Changed> = changed.iter().filter(|c| !c.genuine).collect();
    let lost: Vec<&Changed> = changed.iter().filter(|c| c.genuine).collect();
    assert!(gained.is_empty(), "impostor decisions changed: {gained:?}");
    assert!(lost.is_empty(), "genuine decisions changed: {lost:?}");
}

/// The adversarial counterpart: a face step that loses faces (a detector input too small for
/// them, and a score threshold no face reaches) must show up as changed decisions, so the
/// check above cannot pass by comparing nothing.
#[test]
fn a_face_step_that_loses_matches_is_caught() {
    let images = common::labelled_images();
    let ids: Vec<String> = images.iter().map(|(id, _)| id.clone()).collect();
    let photos: Vec<Frame> = images
        .iter()
        .map(|(_, p)| vision::read_photo(p).expect("decode"))
        .collect();
    let matcher = Matcher::from_config(&VisionConfig::default()).expect("shipped calibration");
    let probes: Vec<Vec<Frame>> = photos
        .iter()
        .map(|p| vec![p.try_clone().expect("copy")])
        .collect();
    let mut good = common::pipeline_with(&before_config());
    let before = embed_all(&mut good, &photos, &probes);
    drop(good);
    let crippled = VisionConfig {
        detector_side: 32,
        detector_score_threshold: 0.99,
        ..VisionConfig::default()
    };
    // The chip photos as before (the lane detects them at 640 either way); the live frames
    // through the crippled detector.
    let mut bad = common::pipeline_with(&crippled);
    let after = Embeddings {
        reference: before.reference.clone(),
        live: live(&mut bad, &probes),
    };
    let (changed, _, _) = compare(&ids, &before, &after, &matcher);
    let lost: HashMap<(usize, usize), bool> = changed
        .iter()
        .filter(|c| c.genuine && c.after.is_none())
        .map(|c| ((c.reference, c.probe), true))
        .collect();
    assert!(
        !lost.is_empty(),
        "a detector that finds no live face must lose the genuine matches: {changed:?}"
    );
}
