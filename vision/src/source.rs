//! Frame sources: where live frames come from.
//!
//! [`FrameSource`] is the boundary between the capture loop and the outside world. Two
//! implementations: [`CameraSource`] (OpenCV `VideoCapture`: a device index, a video file, an
//! image sequence such as `frames/frame_%03d.png`, or a stream URL) and [`ReplaySource`]
//! (frames held in memory, looping), which the simulator uses.

use std::path::Path;

use opencv::core::Mat;
use opencv::prelude::*;
use opencv::videoio::{self, VideoCapture};
use serde::Deserialize;

use crate::error::{Result, VisionError};
use crate::frame::Frame;

/// A source of live frames.
pub trait FrameSource: Send {
    /// The next frame; `Ok(None)` when the source has ended (end of file or sequence).
    /// Blocks for at most about one frame interval on a camera.
    fn next_frame(&mut self) -> Result<Option<Frame>>;
    /// A short description for logs (device index, file name or URL; never pixels).
    fn describe(&self) -> String;
}

/// `[vision.camera]`: which camera and how to set it up.
#[derive(Debug, Clone, PartialEq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct CameraConfig {
    /// A device index (`"0"`), a device path (`/dev/video0`), a video file, an image sequence
    /// (`frames/frame_%03d.png`) or a stream URL (`rtsp://...`).
    pub source: String,
    /// Requested frame width in pixels; 0 leaves the device default.
    pub width: u32,
    /// Requested frame height in pixels; 0 leaves the device default.
    pub height: u32,
    /// Requested frames per second; 0 leaves the device default.
    pub fps: f64,
    /// Exposure in the backend's units (V4L2: 100 µs steps); 0 keeps auto exposure.
    pub exposure: f64,
}

impl Default for CameraConfig {
    fn default() -> Self {
        Self {
            source: "0".into(),
            width: 1280,
            height: 720,
            fps: 30.0,
            exposure: 0.0,
        }
    }
}

/// A camera, video file, image sequence or stream read through OpenCV `VideoCapture`.
///
/// The one real adapter of [`FrameSource`]; it lives here rather than in `hardware` so that
/// `hardware` does not depend on OpenCV.
pub struct CameraSource {
    cap: VideoCapture,
    name: String,
}

impl CameraSource {
    /// Opens the source named in `config` and applies resolution, frame rate and exposure.
    pub fn open(config: &CameraConfig) -> Result<Self> {
        let name = config.source.clone();
        let err = |message: String| VisionError::Source {
            source_name: name.clone(),
            message,
        };
        let cap = if let Ok(index) = config.source.parse::<i32>() {
            VideoCapture::new(index, videoio::CAP_ANY)
        } else if config.source.contains('%') {
            VideoCapture::from_file(&config.source, videoio::CAP_IMAGES)
        } else {
            VideoCapture::from_file(&config.source, videoio::CAP_ANY)
        };
        let mut cap = cap.map_err(|e| err(e.message))?;
        if !cap.is_opened().unwrap_or(false) {
            return Err(err("cannot open (no such device, file or stream?)".into()));
        }
        let mut set = |prop: i32, value: f64, what: &str| {
            if value > 0.0 && !cap.set(prop, value).unwrap_or(false) {
                tracing::debug!(source = %name, "camera ignored {what} = {value}");
            }
        };
        set(videoio::CAP_PROP_FRAME_WIDTH, config.width as f64, "width");
        set(
            videoio::CAP_PROP_FRAME_HEIGHT,
            config.height as f64,
            "height",
        );
        set(videoio::CAP_PROP_FPS, config.fps, "fps");
        if config.exposure > 0.0 {
            // V4L2: 1 = manual exposure; other backends ignore it.
            set(videoio::CAP_PROP_AUTO_EXPOSURE, 1.0, "manual exposure");
            set(videoio::CAP_PROP_EXPOSURE, config.exposure, "exposure");
        }
        Ok(Self {
            cap,
            name: config.source.clone(),
        })
    }
}

impl FrameSource for CameraSource {
    fn next_frame(&mut self) -> Result<Option<Frame>> {
        let mut mat = Mat::default();
        let ok = self.cap.read(&mut mat).map_err(|e| VisionError::Source {
            source_name: self.name.clone(),
            message: e.message,
        })?;
        if !ok || mat.empty() {
            return Ok(None);
        }
        Frame::from_mat(mat).map(Some)
    }

    fn describe(&self) -> String {
        format!("camera {}", self.name)
    }
}

/// Frames held in memory, replayed in order and (optionally) looping: the simulator's camera.
pub struct ReplaySource {
    frames: Vec<Frame>,
    next: usize,
    looping: bool,
    name: String,
}

impl ReplaySource {
    /// Replays the given frames.
    pub fn new(frames: Vec<Frame>, looping: bool) -> Self {
        let name = format!("replay of {} frame(s)", frames.len());
        Self {
            frames,
            next: 0,
            looping,
            name,
        }
    }

    /// Decodes image files into memory and replays them.
    pub fn from_files<P: AsRef<Path>>(paths: &[P], looping: bool) -> Result<Self> {
        let frames = paths
            .iter()
            .map(|p| crate::decode::read_photo(p.as_ref()))
            .collect::<Result<Vec<_>>>()?;
        Ok(Self::new(frames, looping))
    }
}

impl FrameSource for ReplaySource {
    fn next_frame(&mut self) -> Result<Option<Frame>> {
        if self.frames.is_empty() {
            return Ok(None);
        }
        if self.next >= self.frames.len() {
            if !self.looping {
                return Ok(None);
            }
            self.next = 0;
        }
        let frame = self.frames[self.next].try_clone()?;
        self.next += 1;
        Ok(Some(frame))
    }

    fn describe(&self) -> String {
        self.name.clone()
    }
}
