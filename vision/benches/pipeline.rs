//! Per-frame benchmark, ours and OpenCV's side by side on the same frames, in one run:
//!
//!   cargo bench -p vision --bench pipeline        (or scripts/bench-vision.sh)
//!
//! Frames: the five test photographs in vision/tests/data (the calibration images are not used).
//! Ours: letterbox + YuNet + decode/NMS + Umeyama + warpAffine + SFace through ONNX Runtime,
//! on the largest face. Reference: the same steps with OpenCV's FaceDetectorYN +
//! FaceRecognizerSF (scripts/vision_reference.py in the assets venv). Needs
//! scripts/setup-models.sh; fails with a message when the assets are missing.

use std::path::Path;
use std::process::{Command, ExitCode};

use vision::{FacePipeline, VisionConfig};

fn main() -> ExitCode {
    let rounds: usize = std::env::var("BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let threads: u32 = std::env::var("BENCH_THREADS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2);
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let mut files: Vec<_> = std::fs::read_dir(&data)
        .expect("vision/tests/data")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "jpg"))
        .collect();
    files.sort();
    let frames: Vec<_> = files
        .iter()
        .map(|f| vision::read_photo(f).expect("decode test image"))
        .collect();
    let config = VisionConfig {
        threads,
        ..VisionConfig::default()
    };
    let mut pipeline = match FacePipeline::new(&config) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("bench: cannot load the pipeline: {e}");
            return ExitCode::FAILURE;
        }
    };
    let ours = match vision::bench::run(&mut pipeline, &frames, 2, rounds) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("bench: {e}");
            return ExitCode::FAILURE;
        }
    };
    drop(pipeline);

    let assets = config.assets_dir();
    let py = assets.join("venv/bin/python");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/vision_reference.py");
    let out = Command::new(&py)
        .arg(&script)
        .args(["bench", "--rounds", &rounds.to_string(), "--warmup", "2"])
        .args(["--threads", &threads.to_string()])
        .arg("--models")
        .arg(assets.join("models"))
        .args(&files)
        .output();
    let reference: Option<serde_json::Value> = match out {
        Ok(o) if o.status.success() => serde_json::from_slice(&o.stdout).ok(),
        Ok(o) => {
            eprintln!(
                "bench: the OpenCV reference failed: {}",
                String::from_utf8_lossy(&o.stderr)
            );
            None
        }
        Err(e) => {
            eprintln!(
                "bench: cannot run {}: {e} (run scripts/setup-models.sh)",
                py.display()
            );
            None
        }
    };

    println!(
        "face pipeline per frame: {} frames × {rounds} rounds, {threads} thread(s), largest face",
        frames.len()
    );
    println!("                       mean ms   p50 ms   p95 ms    fps   CPU ms/frame");
    println!(
        "egate (ort, Rust)      {:>7.1}  {:>7.1}  {:>7.1}  {:>5.1}   {:>7.1}   (detect {:.1} + align {:.1} + embed {:.1} ms)",
        ours.mean_ms,
        ours.p50_ms,
        ours.p95_ms,
        ours.fps,
        ours.cpu_ms_per_frame,
        ours.detect_ms,
        ours.align_ms,
        ours.embed_ms
    );
    match &reference {
        Some(r) => {
            let f = |k: &str| r[k].as_f64().unwrap_or(f64::NAN);
            println!(
                "OpenCV {} (Python)  {:>7.1}  {:>7.1}  {:>7.1}  {:>5.1}   {:>7.1}",
                r["opencv"].as_str().unwrap_or("?"),
                f("mean_ms"),
                f("p50_ms"),
                f("p95_ms"),
                f("fps"),
                f("cpu_ms_per_frame")
            );
            println!(
                "ratio OpenCV / egate: latency {:.2}×, CPU time {:.2}× (load average now: {})",
                f("mean_ms") / ours.mean_ms,
                f("cpu_ms_per_frame") / ours.cpu_ms_per_frame,
                std::fs::read_to_string("/proc/loadavg")
                    .unwrap_or_default()
                    .split_whitespace()
                    .next()
                    .unwrap_or("?")
            );
            ExitCode::SUCCESS
        }
        None => ExitCode::FAILURE,
    }
}
