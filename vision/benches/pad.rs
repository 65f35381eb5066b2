//! Cost of presentation attack detection per frame, on top of the face pipeline:
//!
//!   cargo bench -p vision --bench pad
//!   (or, without a release build of the OpenCV bindings: cargo bench -p vision --bench pad
//!    --profile dev --config 'profile.dev.package.vision.opt-level=3')
//!
//! Frames: synthetic bona fide and print sequences (vision::pad::synth, 640×480, face about
//! 170 pixels wide) made from the whole-face test photographs. Timed: `PadSession::handle_frame`
//! (texture spectrum, framing edges, patch tracking against the previous frame) and the
//! verdict at the end of each sequence, and the weak PAD models (`antispoof`, `livenessnet`)
//! on the frames PAD asks them for (`[vision.pad.models] every`, default every other frame);
//! each model's cost per scored frame is printed too. Not timed: face detection, which the
//! matcher runs on the same frames anyway. Target: under 20 ms per frame (issue #14);
//! reported, not asserted.

use std::path::Path;
use std::time::{Duration, Instant};

use vision::pad::models::{PadModel, PadModels};
use vision::pad::synth::{self, Kind};
use vision::pad::{PadConfig, PadSession};
use vision::{FacePipeline, VisionConfig};

fn main() {
    let rounds: usize = std::env::var("BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let mut pipeline = FacePipeline::new(&VisionConfig::default()).unwrap_or_else(|e| {
        panic!("vision assets missing ({e}): run scripts/setup-models.sh");
    });
    let mut sequences = Vec::new();
    let mut names: Vec<_> = std::fs::read_dir(&data)
        .expect("vision/tests/data")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "jpg"))
        .filter(|p| {
            let n = p.file_name().unwrap().to_string_lossy().to_string();
            !n.contains("partial") && n != "person_a_1.jpg"
        })
        .collect();
    names.sort();
    for (i, path) in names.iter().enumerate() {
        let photo = vision::read_photo(path).expect("photo");
        let face = *pipeline
            .detect_photo(&photo)
            .expect("detect")
            .iter()
            .max_by(|a, b| a.area().total_cmp(&b.area()))
            .expect("a face");
        for kind in [Kind::BonaFide, Kind::Print] {
            let frames = synth::sequence(kind, &photo, &face, 10, i as u64).expect("synth");
            let mut with_faces = Vec::new();
            for f in frames {
                let faces = pipeline.detect(&f).expect("detect");
                if let Some(d) = faces.iter().max_by(|a, b| a.area().total_cmp(&b.area())) {
                    let d = *d;
                    with_faces.push((f, d));
                }
            }
            sequences.push(with_faces);
        }
    }
    // Each signal's share, on the same frames.
    let (mut tex, mut edg, mut trk) = (Duration::ZERO, Duration::ZERO, Duration::ZERO);
    let mut n = 0u32;
    for seq in &sequences {
        let mut prev: Option<vision::pad::geometry::Previous> = None;
        for (frame, face) in seq {
            let t = Instant::now();
            std::hint::black_box(vision::pad::texture::measure(frame, face).expect("texture"));
            tex += t.elapsed();
            let t = Instant::now();
            std::hint::black_box(vision::pad::edges::measure(frame, face).expect("edges"));
            edg += t.elapsed();
            let t = Instant::now();
            prev = match &prev {
                Some(p) => {
                    let (m, next) = vision::pad::geometry::track(p, frame, face).expect("track");
                    std::hint::black_box(m);
                    Some(next)
                }
                None => vision::pad::geometry::previous(frame, face).expect("previous"),
            };
            trk += t.elapsed();
            n += 1;
        }
    }
    let ms = |d: Duration| d.as_secs_f64() * 1000.0 / n.max(1) as f64;
    println!(
        "per frame by signal (mean): texture {:.2} ms, edges {:.2} ms (run on every other frame), geometry tracking {:.2} ms",
        ms(tex),
        ms(edg),
        ms(trk)
    );
    let mut models = PadModels::load(&VisionConfig::default()).unwrap_or_else(|e| {
        panic!("PAD models missing ({e}): run scripts/setup-models.sh");
    });
    // Each weak model alone, on the face crop of every frame.
    let crops: Vec<_> = sequences
        .iter()
        .flatten()
        .map(|(frame, face)| vision::pad::models::face_crop(frame, face).expect("crop"))
        .collect();
    for model in PadModel::ALL {
        let t = Instant::now();
        for _ in 0..rounds {
            for crop in &crops {
                std::hint::black_box(models.run(model, crop).expect("model"));
            }
        }
        println!(
            "{model:?} per scored frame (resize + inference): {:.2} ms",
            t.elapsed().as_secs_f64() * 1000.0 / (rounds * crops.len()).max(1) as f64
        );
    }
    let mut per_frame: Vec<Duration> = Vec::new();
    let mut per_verdict: Vec<Duration> = Vec::new();
    for _ in 0..rounds {
        for seq in &sequences {
            let mut session = PadSession::new(PadConfig::default());
            for (id, (frame, face)) in seq.iter().enumerate() {
                let t = Instant::now();
                session
                    .handle_frame(id as u64, frame, face)
                    .expect("pad frame");
                if session.wants_model_scores() {
                    let s = models.score(id as u64, frame, face).expect("models");
                    session.handle_model_scores(s);
                }
                per_frame.push(t.elapsed());
            }
            let t = Instant::now();
            let v = session.finish();
            per_verdict.push(t.elapsed());
            std::hint::black_box(v);
        }
    }
    let stats = |v: &mut Vec<Duration>| {
        v.sort();
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        let mean = v.iter().map(|d| ms(*d)).sum::<f64>() / v.len().max(1) as f64;
        (
            mean,
            ms(v[v.len() / 2]),
            ms(v[(v.len() * 95 / 100).min(v.len() - 1)]),
            ms(*v.last().unwrap()),
        )
    };
    let (mean, p50, p95, max) = stats(&mut per_frame);
    println!(
        "PAD per frame ({} frames, {} sequences × {rounds} rounds): mean {mean:.2} ms, p50 {p50:.2} ms, p95 {p95:.2} ms, max {max:.2} ms (target < 20 ms)",
        per_frame.len(),
        sequences.len()
    );
    let (mean, p50, p95, max) = stats(&mut per_verdict);
    println!(
        "PAD verdict per sequence: mean {mean:.3} ms, p50 {p50:.3} ms, p95 {p95:.3} ms, max {max:.3} ms"
    );
}
