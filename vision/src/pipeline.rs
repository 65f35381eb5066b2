//! The face pipeline: detect (YuNet) → align (5 points) → embed (SFace), plus per-frame quality.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use ort::value::TensorRef;

use crate::align;
use crate::config::VisionConfig;
use crate::detect::{self, Detection, RawOutputs};
use crate::embed::Embedding;
use crate::error::{Result, VisionError};
use crate::frame::Frame;
use crate::models::Models;
use crate::quality::{self, Quality};

/// The most faces reported per frame.
pub const MAX_FACES: usize = 50;

/// Biometric debug output; off unless the daemon's `[dangerous]` table turns it on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DangerousDebug {
    /// When set, aligned face crops are written here as PNG. Biometric data on disk: only for
    /// debugging on test data. The daemon must log loudly when it passes this in.
    pub dump_aligned_crops: Option<PathBuf>,
}

/// What the pipeline found in one frame.
#[derive(Debug)]
pub struct FrameAnalysis {
    /// All faces found, highest detector score first.
    pub faces: Vec<Detection>,
    /// The face chosen for matching (the largest), its quality and embedding.
    pub primary: Option<PrimaryFace>,
    /// Time spent per stage.
    pub timing: StageTiming,
}

/// The face chosen in a frame.
#[derive(Debug)]
pub struct PrimaryFace {
    /// Its detection.
    pub detection: Detection,
    /// Quality measures.
    pub quality: Quality,
    /// Its embedding (zeroized on drop).
    pub embedding: Embedding,
}

/// Time per pipeline stage for one frame.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct StageTiming {
    /// Letterbox + YuNet + decoding.
    pub detect: Duration,
    /// Similarity estimate + warp.
    pub align: Duration,
    /// SFace.
    pub embed: Duration,
}

impl StageTiming {
    /// Total.
    pub fn total(&self) -> Duration {
        self.detect + self.align + self.embed
    }
}

/// Detector + recognizer, loaded once. Not `Sync`: run it on one dedicated thread.
///
/// Live frames ([`FacePipeline::analyze`], [`FacePipeline::detect`]) are detected at the
/// configured `detector_side`; photos ([`FacePipeline::analyze_photo`],
/// [`FacePipeline::detect_photo`]: the chip photo, evaluation) at [`detect::PHOTO_SIDE`].
pub struct FacePipeline {
    models: Models,
    score_threshold: f32,
    nms_threshold: f32,
    live_side: u32,
    debug: DangerousDebug,
    dumped: u64,
}

impl FacePipeline {
    /// Loads ONNX Runtime and the models named in `config`.
    pub fn new(config: &VisionConfig) -> Result<Self> {
        if !detect::valid_side(config.detector_side) {
            return Err(VisionError::Config(format!(
                "vision.detector_side = {}: must be a multiple of 32 in 32..=1280",
                config.detector_side
            )));
        }
        let models = Models::load(config)?;
        if let Some(fixed) = models.detector_fixed_side {
            if fixed != config.detector_side || fixed != detect::PHOTO_SIDE {
                return Err(VisionError::Config(format!(
                    "vision.detector_side = {}, but the YuNet model {} takes only {fixed}×{fixed}: \
                     use models/yunet-anysize.onnx (scripts/setup-models.sh writes it) or set \
                     detector_side = {fixed}",
                    config.detector_side,
                    config.paths().yunet.display()
                )));
            }
        }
        Ok(Self {
            models,
            score_threshold: config.detector_score_threshold,
            nms_threshold: config.nms_threshold,
            live_side: config.detector_side,
            debug: DangerousDebug::default(),
            dumped: 0,
        })
    }

    /// The detector's input side for live frames.
    pub fn detector_side(&self) -> u32 {
        self.live_side
    }

    /// Turns on biometric debug output (see [`DangerousDebug`]).
    pub fn set_dangerous_debug(&mut self, debug: DangerousDebug) {
        if let Some(dir) = &debug.dump_aligned_crops {
            tracing::warn!(dir = %dir.display(), "DANGEROUS: aligned face crops will be written to disk");
        }
        self.debug = debug;
    }

    /// Finds faces in a live frame (frame coordinates), highest score first.
    pub fn detect(&mut self, frame: &Frame) -> Result<Vec<Detection>> {
        self.detect_at(frame, self.live_side)
    }

    /// Finds faces in a photo (frame coordinates), highest score first.
    pub fn detect_photo(&mut self, frame: &Frame) -> Result<Vec<Detection>> {
        self.detect_at(frame, detect::PHOTO_SIDE)
    }

    fn detect_at(&mut self, frame: &Frame, side: u32) -> Result<Vec<Detection>> {
        let lb = detect::letterbox(frame, side)?;
        let n = side as usize;
        let input = TensorRef::from_array_view(([1usize, 3, n, n], &lb.blob[..]))?;
        let outputs = self.models.detector.run(ort::inputs!["input" => input])?;
        let get = |name: &str| -> Result<&[f32]> {
            let v = outputs
                .get(name)
                .ok_or_else(|| VisionError::Inference(format!("YuNet has no output {name}")))?;
            Ok(v.try_extract_tensor::<f32>()?.1)
        };
        let raw = RawOutputs {
            cls: [get("cls_8")?, get("cls_16")?, get("cls_32")?],
            obj: [get("obj_8")?, get("obj_16")?, get("obj_32")?],
            bbox: [get("bbox_8")?, get("bbox_16")?, get("bbox_32")?],
            kps: [get("kps_8")?, get("kps_16")?, get("kps_32")?],
        };
        let faces = detect::decode(
            &raw,
            side,
            self.score_threshold,
            self.nms_threshold,
            MAX_FACES,
        );
        Ok(faces
            .into_iter()
            .map(|d| detect::unscale(d, lb.scale))
            .collect())
    }

    /// The aligned 112×112 crop of a face.
    pub fn align(&self, frame: &Frame, face: &Detection) -> Result<Frame> {
        align::align(frame, face)
    }

    /// Embeds an aligned 112×112 crop.
    pub fn embed_aligned(&mut self, crop: &Frame) -> Result<Embedding> {
        let side = align::CROP_SIDE as usize;
        if crop.width() as usize != side || crop.height() as usize != side {
            return Err(VisionError::Inference(format!(
                "SFace needs a {side}×{side} crop, got {crop:?}"
            )));
        }
        // SFace: RGB 0..255 NCHW; normalisation is inside the model.
        let blob = detect::hwc_to_chw(crop.bgr(), side, true);
        let input = TensorRef::from_array_view(([1usize, 3, side, side], &blob[..]))?;
        let outputs = self.models.recognizer.run(ort::inputs!["data" => input])?;
        let out = outputs
            .get("fc1")
            .ok_or_else(|| VisionError::Inference("SFace has no output fc1".into()))?;
        let (_, raw) = out.try_extract_tensor::<f32>()?;
        Embedding::from_raw(raw)
            .ok_or_else(|| VisionError::Inference("SFace returned a degenerate embedding".into()))
    }

    /// Aligns and embeds one face of a frame.
    pub fn embed(&mut self, frame: &Frame, face: &Detection) -> Result<Embedding> {
        let crop = self.align(frame, face)?;
        self.embed_aligned(&crop)
    }

    /// Detects all faces in a live frame, picks the largest, measures its quality and embeds it.
    pub fn analyze(&mut self, frame: &Frame) -> Result<FrameAnalysis> {
        self.analyze_at(frame, self.live_side)
    }

    /// [`FacePipeline::analyze`] for a photo: detection at [`detect::PHOTO_SIDE`].
    pub fn analyze_photo(&mut self, frame: &Frame) -> Result<FrameAnalysis> {
        self.analyze_at(frame, detect::PHOTO_SIDE)
    }

    fn analyze_at(&mut self, frame: &Frame, side: u32) -> Result<FrameAnalysis> {
        let t0 = Instant::now();
        let faces = self.detect_at(frame, side)?;
        let t1 = Instant::now();
        let mut timing = StageTiming {
            detect: t1 - t0,
            ..StageTiming::default()
        };
        let Some(largest) = faces
            .iter()
            .copied()
            .max_by(|a, b| a.area().total_cmp(&b.area()))
        else {
            return Ok(FrameAnalysis {
                faces,
                primary: None,
                timing,
            });
        };
        let crop = self.align(frame, &largest)?;
        let t2 = Instant::now();
        timing.align = t2 - t1;
        let embedding = self.embed_aligned(&crop)?;
        timing.embed = t2.elapsed();
        let quality = quality::measure(frame, &largest, &crop, faces.len())?;
        self.maybe_dump(&crop);
        Ok(FrameAnalysis {
            primary: Some(PrimaryFace {
                detection: largest,
                quality,
                embedding,
            }),
            faces,
            timing,
        })
    }

    fn maybe_dump(&mut self, crop: &Frame) {
        let Some(dir) = &self.debug.dump_aligned_crops else {
            return;
        };
        self.dumped += 1;
        let path = dir.join(format!("aligned-{:06}.png", self.dumped));
        let written = crate::decode::encode_image(crop, ".png")
            .ok()
            .and_then(|png| std::fs::write(&path, png).ok());
        if written.is_none() {
            tracing::warn!(path = %path.display(), "dangerous debug dump failed");
        }
    }
}
