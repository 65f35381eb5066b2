//! Per-frame benchmark, ours and OpenCV's side by side on the same frames, in one run:
//!
//!   cargo bench -p vision --bench pipeline        (or scripts/bench-vision.sh)
//!
//! Two frame sets:
//! - the five test photographs in vision/tests/data (the calibration images are not used):
//!   the face step alone (letterbox + YuNet + decode/NMS + Umeyama + warpAffine + SFace through
//!   ONNX Runtime, on the largest face);
//! - camera-like frames: synthetic 640×480 bona fide sequences (vision::pad::synth) of four of
//!   them, run as the capture loop runs them: the face step, then PAD on the same frame
//!   (issue #20's goal: face + liveness under 20 ms per frame).
//!
//! Ours twice: the default configuration (`yunet-anysize.onnx` at `detector_side` 320,
//! `sface-expanded.onnx`) and the one before issue #20 (`yunet.onnx` at 640, `sface.onnx`).
//! Reference: the same steps with OpenCV's FaceDetectorYN + FaceRecognizerSF at 640
//! (scripts/vision_reference.py in the assets venv; it has no PAD). Needs
//! scripts/setup-models.sh; fails with a message when the assets are missing.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use vision::bench::{BenchStats, PadBenchStats};
use vision::pad::synth::{self, Kind};
use vision::{FacePipeline, Frame, VisionConfig};

/// Frames per camera-like sequence.
const SEQUENCE_FRAMES: usize = 10;
/// Goal of issue #20: face step + PAD per frame.
const GOAL_FACE_PAD_MS: f64 = 20.0;

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn load(config: &VisionConfig) -> Result<FacePipeline, String> {
    FacePipeline::new(config).map_err(|e| format!("cannot load the pipeline: {e}"))
}

/// OpenCV's reference over image files: its JSON figures, or why not.
fn reference(
    config: &VisionConfig,
    files: &[PathBuf],
    rounds: usize,
    threads: u32,
) -> Result<serde_json::Value, String> {
    let assets = config.assets_dir();
    let py = assets.join("venv/bin/python");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/vision_reference.py");
    let out = Command::new(&py)
        .arg(&script)
        .args(["bench", "--rounds", &rounds.to_string(), "--warmup", "2"])
        .args(["--threads", &threads.to_string()])
        .arg("--models")
        .arg(assets.join("models"))
        .args(files)
        .output()
        .map_err(|e| {
            format!(
                "cannot run {}: {e} (run scripts/setup-models.sh)",
                py.display()
            )
        })?;
    if !out.status.success() {
        return Err(format!(
            "the OpenCV reference failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    serde_json::from_slice(&out.stdout).map_err(|e| format!("the OpenCV reference's JSON: {e}"))
}

fn face_row(name: &str, s: &BenchStats) {
    println!(
        "{name:<38} {:>7.1}  {:>7.1}  {:>7.1}  {:>5.1}   {:>7.1}   (detect {:.1} + align {:.1} + embed {:.1} ms)",
        s.mean_ms, s.p50_ms, s.p95_ms, s.fps, s.cpu_ms_per_frame, s.detect_ms, s.align_ms, s.embed_ms
    );
}

fn reference_row(r: &serde_json::Value) -> f64 {
    let f = |k: &str| r[k].as_f64().unwrap_or(f64::NAN);
    println!(
        "{:<38} {:>7.1}  {:>7.1}  {:>7.1}  {:>5.1}   {:>7.1}   (face step only)",
        format!(
            "OpenCV {} (Python), 640",
            r["opencv"].as_str().unwrap_or("?")
        ),
        f("mean_ms"),
        f("p50_ms"),
        f("p95_ms"),
        f("fps"),
        f("cpu_ms_per_frame")
    );
    f("mean_ms")
}

fn pad_row(name: &str, s: &PadBenchStats) {
    println!(
        "{name:<38} {:>7.1}  {:>7.1}  {:>7.1}  {:>5.1}   {:>7.1}   (face {:.1} + PAD {:.1} ms)",
        s.mean_ms,
        s.p50_ms,
        s.p95_ms,
        1e3 / s.mean_ms,
        s.cpu_ms_per_frame,
        s.face_ms,
        s.pad_ms
    );
}

fn main() -> ExitCode {
    match bench() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench: {e}");
            ExitCode::FAILURE
        }
    }
}

fn bench() -> Result<(), String> {
    let rounds: usize = env_or("BENCH_ROUNDS", 5);
    let threads: u32 = env_or("BENCH_THREADS", 2);
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let mut files: Vec<_> = std::fs::read_dir(&data)
        .map_err(|e| format!("vision/tests/data: {e}"))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "jpg"))
        .collect();
    files.sort();
    let photos: Vec<Frame> = files
        .iter()
        .map(|f| vision::read_photo(f).map_err(|e| format!("{}: {e}", f.display())))
        .collect::<Result<_, _>>()?;

    let fast = VisionConfig {
        threads,
        ..VisionConfig::default()
    };
    let models = fast.assets_dir().join("models");
    let before = VisionConfig {
        yunet: models.join("yunet.onnx").display().to_string(),
        sface: models.join("sface.onnx").display().to_string(),
        detector_side: vision::detect::PHOTO_SIDE,
        ..fast.clone()
    };

    // Camera-like sequences: a whole face in a 640×480 frame (the small person_a_1 and the
    // partial faces make poor presentations, as in the PAD bench).
    let mut pipeline = load(&fast)?;
    let mut sequences = Vec::new();
    for (i, (path, photo)) in files.iter().zip(&photos).enumerate() {
        let name = path.file_name().map(|n| n.to_string_lossy().to_string());
        if name.as_deref() == Some("person_a_1.jpg") {
            continue;
        }
        let faces = pipeline.detect_photo(photo).map_err(|e| e.to_string())?;
        let Some(face) = faces.iter().max_by(|a, b| a.area().total_cmp(&b.area())) else {
            return Err(format!("{}: no face", path.display()));
        };
        let seq = synth::sequence(Kind::BonaFide, photo, face, SEQUENCE_FRAMES, i as u64)
            .map_err(|e| e.to_string())?;
        sequences.push(seq);
    }

    // PAD includes the weak models as configured by default (`[vision.pad.models] every`),
    // in both rows, so that the rows differ by the face step only.
    let mut pad_models = vision::pad::models::PadModels::load(&fast)
        .map_err(|e| format!("cannot load the PAD models: {e}"))?;
    let ours = vision::bench::run(&mut pipeline, &photos, 2, rounds).map_err(|e| e.to_string())?;
    let ours_pad = vision::bench::run_with_pad(
        &mut pipeline,
        Some(&mut pad_models),
        &sequences,
        fast.pad,
        1,
        rounds,
    )
    .map_err(|e| e.to_string())?;
    drop(pipeline);
    let mut pipeline = load(&before)?;
    let old = vision::bench::run(&mut pipeline, &photos, 2, rounds).map_err(|e| e.to_string())?;
    let old_pad = vision::bench::run_with_pad(
        &mut pipeline,
        Some(&mut pad_models),
        &sequences,
        before.pad,
        1,
        rounds,
    )
    .map_err(|e| e.to_string())?;
    drop(pipeline);

    let reference_photos = reference(&fast, &files, rounds, threads);
    // The reference reads files: the camera-like frames go to a temporary folder (test
    // photographs, removed at the end).
    let dir = tempfile::tempdir().map_err(|e| format!("temporary folder: {e}"))?;
    let mut frame_files = Vec::new();
    for (s, seq) in sequences.iter().enumerate() {
        for (f, frame) in seq.iter().enumerate() {
            let png = vision::decode::encode_image(frame, ".png").map_err(|e| e.to_string())?;
            let path = dir.path().join(format!("seq{s:02}-frame{f:02}.png"));
            std::fs::write(&path, png).map_err(|e| format!("{}: {e}", path.display()))?;
            frame_files.push(path);
        }
    }
    let reference_frames = reference(&fast, &frame_files, rounds, threads);

    let load_avg = std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .next()
        .unwrap_or("?")
        .to_string();
    println!(
        "face step per frame: {} test photos × {rounds} rounds, {threads} thread(s), largest face (load average {load_avg})",
        photos.len()
    );
    println!(
        "                                       mean ms   p50 ms   p95 ms    fps   CPU ms/frame"
    );
    face_row(&format!("egate (ort, Rust), {}", fast.detector_side), &ours);
    face_row("egate before #20 (yunet/sface.onnx, 640)", &old);
    match &reference_photos {
        Ok(r) => {
            let theirs = reference_row(r);
            println!(
                "ratio OpenCV / egate: latency {:.2}× (before #20: {:.2}×)",
                theirs / ours.mean_ms,
                theirs / old.mean_ms
            );
        }
        Err(e) => eprintln!("bench: {e}"),
    }
    println!();
    println!(
        "face + liveness per frame: {} camera-like sequences (640×480 synthetic bona fide) × {SEQUENCE_FRAMES} frames × {rounds} rounds",
        sequences.len()
    );
    println!(
        "                                       mean ms   p50 ms   p95 ms    fps   CPU ms/frame"
    );
    pad_row(
        &format!("egate face + PAD, {}", fast.detector_side),
        &ours_pad,
    );
    pad_row("egate face + PAD before #20, 640", &old_pad);
    if let Ok(r) = &reference_frames {
        reference_row(r);
    }
    println!(
        "goal: face + PAD under {GOAL_FACE_PAD_MS} ms per frame: {} (mean {:.1} ms, p95 {:.1} ms)",
        if ours_pad.mean_ms < GOAL_FACE_PAD_MS {
            "yes"
        } else {
            "NO"
        },
        ours_pad.mean_ms,
        ours_pad.p95_ms
    );
    match (reference_photos, reference_frames) {
        (Ok(_), Ok(_)) => Ok(()),
        (Err(e), _) | (_, Err(e)) => Err(e),
    }
}
