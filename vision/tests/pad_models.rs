//! The two weak PAD models (vision::pad::models): the converted ONNX files are the pinned
//! ones, compute what the TF.js runtime computes on the original models, load through ONNX
//! Runtime, score faces, and fail clearly on a bad file.
//!
//! What is and is not shown: the conversion is checked numerically against TF.js 4.22.0 (the
//! models' own runtime) on generated inputs (`tests/data/pad-models-reference.json`, made by
//! `scripts/tfjs-reference/reference.mjs`). The scores on the test faces and the synthetic
//! attacks are printed and only checked to be probabilities that depend on the image: they
//! are NOT accuracy figures (the attacks are synthetic, and the set is tiny).

mod common;

use sha2::{Digest, Sha256};
use vision::pad::models::{self, ModelScores, PadModel, PadModels};
use vision::pad::synth::{self, Kind};
use vision::pad::{PadConfig, PadDecision, PadSession, Signal};
use vision::{ErrorKind, VisionConfig, VisionError};

fn load() -> PadModels {
    PadModels::load(&VisionConfig::default()).unwrap_or_else(|e| {
        panic!(
            "PAD models missing or broken under {} ({e}).\n\
             Run `scripts/setup-models.sh` as root (or set EGATE_ASSETS) — these tests never skip.",
            common::assets().display()
        )
    })
}

/// The pin of `name` in scripts/setup-models.sh.
fn setup_pin(name: &str) -> String {
    let script = std::fs::read_to_string(common::repo().join("scripts/setup-models.sh"))
        .expect("scripts/setup-models.sh");
    script
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{name}=")))
        .unwrap_or_else(|| panic!("{name} not pinned in scripts/setup-models.sh"))
        .trim()
        .to_string()
}

#[test]
fn converted_files_have_the_pinned_checksums() {
    let paths = VisionConfig::default().paths();
    for (path, pin, script_pin) in [
        (
            &paths.antispoof,
            models::ANTISPOOF_SHA256,
            setup_pin("ANTISPOOF_SHA"),
        ),
        (
            &paths.livenessnet,
            models::LIVENESSNET_SHA256,
            setup_pin("LIVENESSNET_SHA"),
        ),
    ] {
        assert_eq!(
            pin, script_pin,
            "vision and setup-models.sh pin differently"
        );
        let bytes = std::fs::read(path).unwrap_or_else(|e| {
            panic!(
                "{}: {e}: run scripts/setup-models.sh — this test never skips",
                path.display()
            )
        });
        assert_eq!(
            hex::encode(Sha256::digest(&bytes)),
            pin,
            "{}",
            path.display()
        );
    }
}

/// The input reference.mjs builds for (kind, seed) at `side`: the same integer arithmetic.
fn input(kind: &str, seed: u32, side: usize) -> Vec<f32> {
    let n = side * side * 3;
    match kind {
        "noise" => {
            let mut s = seed;
            (0..n)
                .map(|_| {
                    s = s.wrapping_mul(1664525).wrapping_add(1013904223);
                    (0.25 + 0.5 * (f64::from(s >> 8) / 16_777_216.0)) as f32
                })
                .collect()
        }
        "gradient" => {
            let mut out = vec![0f32; n];
            for y in 0..side {
                for x in 0..side {
                    for c in 0..3 {
                        let v = (x + 2 * y + 37 * c + seed as usize) % 64;
                        out[(y * side + x) * 3 + c] = (v as f64 / 63.0) as f32;
                    }
                }
            }
            out
        }
        "grey" => vec![(f64::from(seed) / 255.0) as f32; n],
        other => panic!("unknown input kind {other}"),
    }
}

#[test]
fn converted_models_match_the_tfjs_runtime() {
    let text = std::fs::read_to_string(common::data().join("pad-models-reference.json"))
        .expect("pad-models-reference.json");
    let reference: serde_json::Value = serde_json::from_str(&text).expect("reference JSON");
    let mut models = load();
    let mut compared = 0;
    for (name, model) in [
        ("antispoof", PadModel::Antispoof),
        ("livenessnet", PadModel::Livenessnet),
    ] {
        let m = &reference["models"][name];
        let side = m["side"].as_u64().expect("side") as usize;
        assert_eq!(side, model.side() as usize, "{name}");
        for case in m["cases"].as_array().expect("cases") {
            let kind = case["kind"].as_str().expect("kind");
            let seed = case["seed"].as_u64().expect("seed") as u32;
            let want: Vec<f32> = case["output"]
                .as_array()
                .expect("output")
                .iter()
                .map(|v| v.as_f64().expect("number") as f32)
                .collect();
            let got = models
                .run_input(model, &input(kind, seed, side))
                .expect("inference");
            assert_eq!(got.len(), want.len(), "{name} {kind} {seed}");
            for (g, w) in got.iter().zip(&want) {
                assert!(
                    (g - w).abs() < 1e-4,
                    "{name} {kind} {seed}: ONNX {got:?}, TF.js {want:?}"
                );
            }
            compared += 1;
        }
    }
    assert_eq!(compared, 14, "the reference holds 7 inputs per model");
}

#[test]
fn models_score_test_faces_and_synthetic_attacks() {
    let mut pipeline = common::pipeline();
    let mut models = load();
    let mut all = Vec::new();
    for (i, path) in common::whole_face_photos().iter().enumerate() {
        let photo = vision::read_photo(path).expect("photo");
        let faces = pipeline.detect_photo(&photo).expect("detect");
        let face = *faces
            .iter()
            .max_by(|a, b| a.area().total_cmp(&b.area()))
            .expect("a face");
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        // The photo itself, then each synthetic presentation through the capture path.
        let s = models.score(0, &photo, &face).expect("score photo");
        let again = models.score(0, &photo, &face).expect("score photo");
        assert_eq!(s, again, "{name}: the same input scores the same");
        eprintln!(
            "photo {name}: antispoof {:.3} livenessnet {:.3}",
            s.antispoof, s.livenessnet
        );
        all.push(s);
        for kind in Kind::ALL {
            let frames = synth::sequence(kind, &photo, &face, 8, i as u64).expect("synth");
            let config = PadConfig {
                models: models::ModelsConfig {
                    weight: 0.0,
                    every: 2,
                },
                ..PadConfig::default()
            };
            let mut session = PadSession::new(config);
            let mut scored = 0;
            for (id, frame) in frames.iter().enumerate() {
                let faces = pipeline.detect(frame).expect("detect");
                let Some(face) = faces.iter().max_by(|a, b| a.area().total_cmp(&b.area())) else {
                    session.handle_no_face();
                    continue;
                };
                session.handle_frame(id as u64, frame, face).expect("pad");
                if session.wants_model_scores() {
                    let s = models.score(id as u64, frame, face).expect("score");
                    all.push(s);
                    session.handle_model_scores(s);
                    scored += 1;
                }
            }
            let v = session.finish();
            let weak: Vec<_> = v
                .signals
                .iter()
                .filter(|s| matches!(s.signal, Signal::Antispoof | Signal::Livenessnet))
                .collect();
            assert_eq!(weak.len(), 2, "{name} {kind:?}: both weak signals recorded");
            assert!(scored >= 3, "{name} {kind:?}: every other of 8 frames");
            eprintln!(
                "{kind:?} {name}: verdict {:?} by {}; antispoof {:.3}, livenessnet {:.3} ({scored} frames)",
                v.decision, v.deciding, weak[0].score, weak[1].score
            );
            // Weight 0: the weak signals never decide.
            assert!(
                !matches!(v.deciding, Signal::Antispoof | Signal::Livenessnet),
                "{name} {kind:?}"
            );
        }
    }
    for s in &all {
        for p in [s.antispoof, s.livenessnet] {
            assert!((0.0..=1.0).contains(&p), "{s:?}");
        }
    }
    // The scores depend on the image: a flat grey square scores otherwise than the faces.
    let grey = vision::Frame::from_bgr(200, 200, &vec![128u8; 200 * 200 * 3]).unwrap();
    let box_ = vision::Detection {
        bbox: [20.0, 20.0, 160.0, 160.0],
        landmarks: [[0.0; 2]; 5],
        score: 1.0,
    };
    let g = models.score(0, &grey, &box_).expect("grey");
    eprintln!(
        "flat grey: antispoof {:.3} livenessnet {:.3}",
        g.antispoof, g.livenessnet
    );
    let differs = |f: fn(&ModelScores) -> f32| all.iter().any(|s| (f(s) - f(&g)).abs() > 1e-3);
    assert!(differs(|s| s.antispoof), "antispoof ignores the image");
    assert!(differs(|s| s.livenessnet), "livenessnet ignores the image");
}

#[test]
fn a_missing_or_corrupt_model_file_is_a_clear_error_naming_it() {
    let paths = VisionConfig::default().paths();
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("antispoof.onnx");
    let e = PadModels::load_from(&paths.onnxruntime, &missing, &paths.livenessnet).unwrap_err();
    assert!(matches!(e, VisionError::Missing { .. }), "{e}");
    assert_eq!(e.kind(), ErrorKind::Setup);
    assert!(e.to_string().contains(&*missing.to_string_lossy()), "{e}");
    assert!(e.to_string().contains("setup-models.sh"), "{e}");
    // A truncated copy of the real file: the checksum catches it before ONNX Runtime sees it.
    let corrupt = dir.path().join("livenessnet.onnx");
    let bytes = std::fs::read(&paths.livenessnet).expect("livenessnet.onnx");
    std::fs::write(&corrupt, &bytes[..bytes.len() / 2]).unwrap();
    let e = PadModels::load_from(&paths.onnxruntime, &paths.antispoof, &corrupt).unwrap_err();
    assert!(matches!(e, VisionError::Checksum { .. }), "{e}");
    assert!(e.to_string().contains(&*corrupt.to_string_lossy()), "{e}");
    // The other model's file under this one's name: also refused.
    let swapped = dir.path().join("swapped.onnx");
    std::fs::copy(&paths.antispoof, &swapped).unwrap();
    let e = PadModels::load_from(&paths.onnxruntime, &paths.antispoof, &swapped).unwrap_err();
    assert!(matches!(e, VisionError::Checksum { .. }), "{e}");
}

#[test]
fn a_live_model_score_does_not_rescue_a_synthetic_attack() {
    // End to end on the capture path: a screen replay, with both models forced to "live" at
    // full weight, stays the attack the other signals see.
    let mut pipeline = common::pipeline();
    let path = &common::whole_face_photos()[0];
    let photo = vision::read_photo(path).expect("photo");
    let faces = pipeline.detect_photo(&photo).expect("detect");
    let face = faces[0];
    let frames = synth::sequence(Kind::ScreenReplay, &photo, &face, 10, 3).expect("synth");
    let config = PadConfig {
        models: models::ModelsConfig {
            weight: 1.0,
            every: 1,
        },
        ..PadConfig::default()
    };
    let mut session = PadSession::new(config);
    for (id, frame) in frames.iter().enumerate() {
        let faces = pipeline.detect(frame).expect("detect");
        if let Some(face) = faces.iter().max_by(|a, b| a.area().total_cmp(&b.area())) {
            session.handle_frame(id as u64, frame, face).expect("pad");
            session.handle_model_scores(ModelScores {
                frame_id: id as u64,
                antispoof: 1.0,
                livenessnet: 1.0,
            });
        }
    }
    let v = session.finish();
    assert!(matches!(v.decision, PadDecision::Attack(_)), "{v:#?}");
    assert!(
        !matches!(v.deciding, Signal::Antispoof | Signal::Livenessnet),
        "{v:#?}"
    );
}

/// Runs scripts/tfjs_to_onnx.py in the assets venv: (exit code, stderr).
fn convert(model_json: &std::path::Path, out: &std::path::Path) -> (i32, String) {
    let o = std::process::Command::new(common::venv_python())
        .arg(common::repo().join("scripts/tfjs_to_onnx.py"))
        .arg(model_json)
        .arg(out)
        .output()
        .expect("run tfjs_to_onnx.py");
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stderr).to_string(),
    )
}

#[test]
fn the_converter_reproduces_the_pinned_file_and_refuses_what_it_cannot_convert() {
    let tfjs = common::assets().join("models/tfjs");
    let dir = tempfile::tempdir().unwrap();
    // The setup's conversion, again: byte for byte the pinned file.
    let out = dir.path().join("livenessnet.onnx");
    let (code, err) = convert(&tfjs.join("liveness.json"), &out);
    assert_eq!(code, 0, "{err}");
    let bytes = std::fs::read(&out).unwrap();
    assert_eq!(
        hex::encode(Sha256::digest(&bytes)),
        models::LIVENESSNET_SHA256
    );
    // An op it does not map (Tanh where the graph had Sigmoid) is refused by name, not
    // converted into something else.
    let text = std::fs::read_to_string(tfjs.join("antispoof.json")).unwrap();
    assert!(text.contains("\"op\": \"Sigmoid\"") || text.contains("\"op\":\"Sigmoid\""));
    let tampered = text
        .replace("\"op\": \"Sigmoid\"", "\"op\": \"Tanh\"")
        .replace("\"op\":\"Sigmoid\"", "\"op\":\"Tanh\"");
    std::fs::write(dir.path().join("antispoof.json"), tampered).unwrap();
    std::fs::copy(tfjs.join("antispoof.bin"), dir.path().join("antispoof.bin")).unwrap();
    let (code, err) = convert(
        &dir.path().join("antispoof.json"),
        &dir.path().join("a.onnx"),
    );
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("op Tanh") && err.contains("not supported"),
        "{err}"
    );
    // A weight shard cut short (an interrupted download) is refused, not padded.
    std::fs::write(dir.path().join("antispoof.json"), &text).unwrap();
    let bin = std::fs::read(tfjs.join("antispoof.bin")).unwrap();
    std::fs::write(dir.path().join("antispoof.bin"), &bin[..bin.len() - 2]).unwrap();
    let (code, err) = convert(
        &dir.path().join("antispoof.json"),
        &dir.path().join("a.onnx"),
    );
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("shards end early"), "{err}");
    assert!(!dir.path().join("a.onnx").exists());
}
