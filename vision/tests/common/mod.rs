//! Shared helpers for the vision integration tests: where the assets and test images are.
//! Missing assets FAIL the test with a message saying what to run; they never skip.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use vision::{FacePipeline, VisionConfig};

/// `$EGATE_ASSETS`, else /opt/egate.
pub fn assets() -> PathBuf {
    VisionConfig::default().assets_dir()
}

/// The repository root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// vision/tests/data.
pub fn data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data")
}

/// The test images with their identity labels (from tests/data/identities.txt).
pub fn labelled_images() -> Vec<(String, PathBuf)> {
    let text = std::fs::read_to_string(data().join("identities.txt")).expect("identities.txt");
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            let mut it = l.split_whitespace();
            let f = it.next().expect("file");
            let id = it.next().expect("identity");
            (id.to_string(), data().join(f))
        })
        .collect()
}

/// Loads the pipeline or fails with the setup instruction.
pub fn pipeline() -> FacePipeline {
    pipeline_with(&VisionConfig::default())
}

/// Loads the pipeline of `config` or fails with the setup instruction.
pub fn pipeline_with(config: &VisionConfig) -> FacePipeline {
    match FacePipeline::new(config) {
        Ok(p) => p,
        Err(e) => panic!(
            "vision assets missing or broken under {} ({e}).\n\
             Run `scripts/setup-models.sh` as root (or set EGATE_ASSETS) — these tests never skip.",
            assets().display()
        ),
    }
}

/// The venv interpreter that has opencv-python-headless, or a clear failure.
pub fn venv_python() -> PathBuf {
    let py = assets().join("venv/bin/python");
    assert!(
        py.exists(),
        "{} not found: run `scripts/setup-models.sh` (it creates the venv with opencv-python-headless) — this test never skips",
        py.display()
    );
    py
}

/// Whole-face photos of the test set (the partial crops and the 204-pixel thumbnail aside).
pub fn whole_face_photos() -> Vec<PathBuf> {
    labelled_images()
        .into_iter()
        .map(|(_, p)| p)
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy().to_string();
            !name.contains("partial") && name != "person_a_1.jpg"
        })
        .collect()
}
