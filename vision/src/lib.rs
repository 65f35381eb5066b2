//! Faces: frame sources, detection, alignment, embedding, 1:1 matching, quality, evaluation.
//!
//! Contract: given live frames and a chip photo, produce a [`FaceVerdict`] — decision, cosine
//! score, the threshold derived from a target false-match rate, and a reason. Biometric buffers
//! ([`Frame`], [`Embedding`], model input tensors) are zeroized when dropped; nothing biometric
//! is logged or written to disk unless [`DangerousDebug`] is set by the daemon's
//! `[dangerous]` table. (What OpenCV and ONNX Runtime keep internally is outside our reach:
//! see [`frame`].)
//!
//! Pipeline: [`decode`] (JPEG / JPEG 2000 / DG2 bytes → [`Frame`]) or a [`FrameSource`] →
//! [`detect`] (YuNet 2023mar, letterboxed to 640×640, decoded as OpenCV's `FaceDetectorYN`) →
//! [`align`] (Umeyama similarity to the ArcFace 5-point template, OpenCV `warpAffine`) →
//! SFace 2021dec embedding through ONNX Runtime ([`pipeline`]) → [`quality`] →
//! [`capture`] (the sans-IO capture window) → [`matcher`] with a threshold from
//! [`calibration`]. [`eval`] is the accuracy harness behind `egate vision eval`; [`bench`]
//! times the per-frame path.
//!
//! Where the camera lives: DESIGN.md lists the camera under `hardware`. The OpenCV camera
//! adapter ([`CameraSource`]) lives here instead, next to its trait and the replay source,
//! so that `hardware` does not depend on OpenCV; `sim` replays frames with [`ReplaySource`].
//!
//! Models and runtime come from `scripts/setup-models.sh` (see `models/NOTICE`); they are
//! loaded once by [`FacePipeline::new`], each checked against its pinned SHA-256.

pub mod align;
pub mod bench;
pub mod calibrate;
pub mod calibration;
pub mod capture;
pub mod config;
pub mod decode;
pub mod detect;
pub mod embed;
pub mod error;
pub mod eval;
pub mod frame;
pub mod matcher;
pub mod models;
pub mod pipeline;
pub mod quality;
pub mod source;
pub mod verdict;

pub use calibration::Calibration;
pub use capture::{run_capture, CapturePolicy, CaptureSession};
pub use config::VisionConfig;
pub use decode::{decode_image, decode_photo, locate_image, read_photo};
pub use detect::Detection;
pub use embed::Embedding;
pub use error::{ErrorKind, Result, VisionError};
pub use frame::Frame;
pub use matcher::{compare_images, Comparison, Matcher, MultiFace};
pub use pipeline::{DangerousDebug, FacePipeline, FrameAnalysis};
pub use quality::{Guidance, Quality, QualityGates};
pub use source::{CameraConfig, CameraSource, FrameSource, ReplaySource};
pub use verdict::{Decision, FaceVerdict};
