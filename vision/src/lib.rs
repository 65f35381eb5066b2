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
//! [`detect`] (YuNet 2023mar, letterboxed to `detector_side` for live frames and 640 for
//! photos, decoded as OpenCV's `FaceDetectorYN`) →
//! [`align`] (Umeyama similarity to the ArcFace 5-point template, OpenCV `warpAffine`) →
//! SFace 2021dec embedding through ONNX Runtime ([`pipeline`]) → [`quality`] →
//! [`capture`] (the sans-IO capture window, with [`freeze`]: a camera that keeps delivering
//! one frame is frozen, never matched) → [`matcher`] with a threshold from
//! [`calibration`]. [`eval`] is the accuracy harness behind `egate vision eval`; [`bench`]
//! times the per-frame path.
//!
//! The camera adapter ([`CameraSource`], OpenCV) lives here, next to its trait and the replay
//! source, so that `hardware` does not depend on OpenCV; `sim` replays frames with
//! [`ReplaySource`].
//!
//! Models and runtime come from `scripts/setup-models.sh` (see `models/NOTICE`); they are
//! loaded once by [`FacePipeline::new`], each checked against its pinned SHA-256.
//!
//! # Using it from the daemon
//!
//! ```no_run
//! # fn demo(chip_dg2: &[u8]) -> vision::Result<()> {
//! use std::time::Instant;
//! let config = vision::VisionConfig::default(); // the `[vision]` table of egate.toml
//! let mut pipeline = vision::FacePipeline::new(&config)?; // once, at start, on the vision thread
//! let matcher = vision::Matcher::from_config(&config)?; // target FMR -> threshold
//! let mut camera = vision::CameraSource::open(&config.camera)?; // or sim's ReplaySource
//!
//! // Per passage: the chip photo (DG2 bytes, or the JPEG / JPEG 2000 from `document`'s DG2 parser) ...
//! let photo = vision::decode_photo(chip_dg2)?;
//! let Some((_, _, _, reference)) = vision::matcher::largest_face(&mut pipeline, &photo)? else {
//!     return Ok(()); // no face in the chip photo: refer to an officer
//! };
//! drop(photo); // zeroized
//! // ... then one capture window; time comes from the caller, guidance goes to the display.
//! let verdict = vision::run_capture(
//!     &mut pipeline, &mut camera, &reference, &matcher, config.capture,
//!     Instant::now, |_guidance| {},
//! )?;
//! // verdict.decision (Match / NoMatch / NoFace / MultipleFaces / PoorQuality ...), .score,
//! // .threshold, .target_fmr, .reason: translate into gate's FaceVerdict.
//! # let _ = verdict; Ok(()) }
//! ```
//!
//! A driver that owns its own loop uses [`CaptureSession`] directly (`handle_frame(now, ..)`,
//! `poll_timeout()`, `is_complete(now)`, `finish(..)`).

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
pub mod freeze;
pub mod matcher;
pub mod models;
pub mod pad;
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
pub use frame::{Frame, Interpolation};
pub use freeze::{FreezeCheck, Freshness};
pub use matcher::{compare_images, Comparison, Matcher, MultiFace};
pub use pipeline::{DangerousDebug, FacePipeline, FrameAnalysis};
pub use quality::{Guidance, Quality, QualityGates};
pub use source::{CameraConfig, CameraSource, FrameSource, ReplaySource};
pub use verdict::{Decision, FaceVerdict};
