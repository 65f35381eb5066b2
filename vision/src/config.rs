//! `[vision]` configuration: where the runtime and models are, threads, the target false-match
//! rate, detector settings, capture-window policy and the camera.
//!
//! Every field has a default; [`VisionConfig::validate`] reports every bad value at once.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::capture::CapturePolicy;
use crate::source::CameraConfig;

/// Default assets directory (overridden by the `EGATE_ASSETS` environment variable).
pub const DEFAULT_ASSETS: &str = "/usr/share/egate";

/// `[vision]`
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct VisionConfig {
    /// Where `scripts/setup-models.sh` installed ONNX Runtime and the models. Empty: the
    /// `EGATE_ASSETS` environment variable, else `/usr/share/egate` (the packaged folder).
    pub assets: String,
    /// ONNX Runtime shared library; empty: `<assets>/onnxruntime/libonnxruntime.so.1.32.0`.
    pub onnxruntime: String,
    /// YuNet model; empty: `<assets>/models/yunet-anysize.onnx` (SHA-256 checked against the
    /// pins: that file, or the fixed-size `yunet.onnx` with `detector_side = 640`).
    pub yunet: String,
    /// SFace model; empty: `<assets>/models/sface-expanded.onnx` (SHA-256 checked against the
    /// pins: that file, or `sface.onnx`, the same function).
    pub sface: String,
    /// The antispoof PAD model (a weak signal, [`crate::pad::models`]); empty:
    /// `<assets>/models/antispoof.onnx` (SHA-256 checked against its pin).
    pub antispoof: String,
    /// The livenessnet PAD model (a weak signal); empty: `<assets>/models/livenessnet.onnx`.
    pub livenessnet: String,
    /// ONNX Runtime intra-op threads per model.
    pub threads: u32,
    /// Target false-match rate, e.g. 0.001 (Frontex) or 0.0005 (EES); mapped to a score
    /// threshold by the calibration table.
    pub target_fmr: f64,
    /// Calibration table; empty: the table shipped in `models/sface-calibration.toml`.
    pub calibration: String,
    /// YuNet score threshold (0..1).
    pub detector_score_threshold: f32,
    /// YuNet NMS IoU threshold.
    pub nms_threshold: f32,
    /// YuNet's input side for live camera frames, pixels: a multiple of 32 in 32..=1280. The
    /// frame is scaled so its longer side fits. Photos (the chip photo, evaluation) are always
    /// detected at 640.
    pub detector_side: u32,
    /// Capture-window policy and quality gates.
    pub capture: CapturePolicy,
    /// The camera.
    pub camera: CameraConfig,
    /// Presentation attack detection thresholds (`[vision.pad]`).
    pub pad: crate::pad::PadConfig,
}

impl Default for VisionConfig {
    fn default() -> Self {
        Self {
            assets: String::new(),
            onnxruntime: String::new(),
            yunet: String::new(),
            sface: String::new(),
            antispoof: String::new(),
            livenessnet: String::new(),
            threads: 2,
            target_fmr: 0.001,
            calibration: String::new(),
            detector_score_threshold: 0.6,
            nms_threshold: 0.3,
            detector_side: 320,
            capture: CapturePolicy::default(),
            camera: CameraConfig::default(),
            pad: crate::pad::PadConfig::default(),
        }
    }
}

/// Resolved file locations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssetPaths {
    /// ONNX Runtime library.
    pub onnxruntime: PathBuf,
    /// YuNet model.
    pub yunet: PathBuf,
    /// SFace model.
    pub sface: PathBuf,
    /// The antispoof PAD model.
    pub antispoof: PathBuf,
    /// The livenessnet PAD model.
    pub livenessnet: PathBuf,
}

impl VisionConfig {
    /// The assets directory: `assets`, else `$EGATE_ASSETS`, else `/usr/share/egate`.
    pub fn assets_dir(&self) -> PathBuf {
        if !self.assets.is_empty() {
            return PathBuf::from(&self.assets);
        }
        match std::env::var_os("EGATE_ASSETS") {
            Some(v) if !v.is_empty() => PathBuf::from(v),
            _ => PathBuf::from(DEFAULT_ASSETS),
        }
    }

    /// Resolves the library and model paths.
    pub fn paths(&self) -> AssetPaths {
        let base = self.assets_dir();
        let pick = |explicit: &str, default: &Path| {
            if explicit.is_empty() {
                default.to_path_buf()
            } else {
                PathBuf::from(explicit)
            }
        };
        AssetPaths {
            onnxruntime: pick(
                &self.onnxruntime,
                &base.join("onnxruntime/libonnxruntime.so.1.32.0"),
            ),
            yunet: pick(&self.yunet, &base.join("models/yunet-anysize.onnx")),
            sface: pick(&self.sface, &base.join("models/sface-expanded.onnx")),
            antispoof: pick(&self.antispoof, &base.join("models/antispoof.onnx")),
            livenessnet: pick(&self.livenessnet, &base.join("models/livenessnet.onnx")),
        }
    }

    /// Range checks; returns every problem as `(key, message)`.
    pub fn validate(&self) -> Vec<(String, String)> {
        let mut errs = Vec::new();
        let mut bad = |k: &str, m: &str| errs.push((format!("vision.{k}"), m.to_string()));
        if self.threads == 0 || self.threads > 64 {
            bad("threads", "must be 1..=64");
        }
        if !(self.target_fmr > 0.0 && self.target_fmr < 1.0) {
            bad(
                "target_fmr",
                "must be between 0 and 1 (exclusive), e.g. 0.001",
            );
        }
        if !(0.0..1.0).contains(&self.detector_score_threshold) {
            bad("detector_score_threshold", "must be in 0..1");
        }
        if !(0.0..1.0).contains(&self.nms_threshold) {
            bad("nms_threshold", "must be in 0..1");
        }
        if !crate::detect::valid_side(self.detector_side) {
            bad(
                "detector_side",
                "must be a multiple of 32 in 32..=1280, e.g. 320",
            );
        }
        for (k, m) in self.capture.validate() {
            errs.push((format!("vision.capture.{k}"), m));
        }
        // A freeze must be seen inside one capture window, or a frozen frame of the holder
        // would be matched before it is.
        let fps = self.camera.fps;
        if fps > 0.0 && (self.capture.frozen_after as f64 + 1.0) > fps * self.capture.window_s {
            errs.push((
                "vision.capture.frozen_after".into(),
                format!(
                    "{} repeats take longer than the capture window ({} s at {fps} fps)",
                    self.capture.frozen_after, self.capture.window_s
                ),
            ));
        }
        for (k, m) in self.pad.validate() {
            errs.push((format!("vision.pad.{k}"), m));
        }
        errs
    }
}

/// The annotated `[vision]` section (for the daemon's default config file).
pub const ANNOTATED_DEFAULT: &str = include_str!("../vision.toml");

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct File {
        vision: VisionConfig,
    }

    #[test]
    fn annotated_section_is_the_default() {
        let f: File = toml::from_str(ANNOTATED_DEFAULT).expect("vision.toml parses");
        assert_eq!(f.vision, VisionConfig::default());
        assert!(f.vision.validate().is_empty());
        let bad = VisionConfig {
            threads: 0,
            target_fmr: 2.0,
            ..VisionConfig::default()
        };
        assert_eq!(bad.validate().len(), 2);
        // A side YuNet's strides do not divide, zero, and one past the limit.
        for side in [300, 0, 1312] {
            let bad = VisionConfig {
                detector_side: side,
                ..VisionConfig::default()
            };
            let errs = bad.validate();
            assert_eq!(errs.len(), 1, "{side}: {errs:?}");
            assert_eq!(errs[0].0, "vision.detector_side");
        }
        // A frozen camera: a limit out of range, a noise-sized difference, and a freeze that
        // a capture window could not see.
        for (frozen_after, repeat_difference, window_s) in
            [(1, 0.1, 5.0), (10, 1.0, 5.0), (200, 0.1, 5.0)]
        {
            let bad = VisionConfig {
                capture: CapturePolicy {
                    frozen_after,
                    repeat_difference,
                    window_s,
                    ..CapturePolicy::default()
                },
                ..VisionConfig::default()
            };
            let errs = bad.validate();
            assert_eq!(errs.len(), 1, "{errs:?}");
            assert!(errs[0].0.starts_with("vision.capture."), "{errs:?}");
        }
    }
}
