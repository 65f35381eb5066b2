//! Typed errors of the vision crate.
//!
//! Errors are for what stops the pipeline (a missing model, an unreadable camera, bytes that are
//! not an image). A face that does not match, or no face in a frame, is a verdict, not an error
//! (see [`crate::verdict`]). Messages never contain biometric data.

use std::path::PathBuf;

/// What kind of failure an error is, so a caller can choose retry, refer or fault without
/// knowing the details.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The ONNX Runtime library or a model file is missing, corrupt or of the wrong version:
    /// an installation problem (run `scripts/setup-models.sh`).
    Setup,
    /// Configuration is inconsistent (e.g. a target FMR outside the calibration table).
    Config,
    /// The camera or video source failed or disappeared.
    Device,
    /// Input bytes are not a decodable image (or not a DG2 with one).
    Input,
    /// Inference or image processing failed at run time.
    Runtime,
}

/// An error from the vision crate.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VisionError {
    /// A model or library file is missing.
    #[error("{what} not found at {path}: run scripts/setup-models.sh (or set EGATE_ASSETS)")]
    Missing {
        /// What was looked for.
        what: &'static str,
        /// Where.
        path: PathBuf,
    },
    /// A model file does not have the pinned SHA-256.
    #[error("{path} is corrupt or not the pinned model: SHA-256 {found}, expected {expected}; re-run scripts/setup-models.sh")]
    Checksum {
        /// The file.
        path: PathBuf,
        /// Its SHA-256 (hex).
        found: String,
        /// The pinned SHA-256 (hex).
        expected: String,
    },
    /// The ONNX Runtime shared library could not be loaded.
    #[error("cannot load ONNX Runtime from {path}: {message}; run scripts/setup-models.sh or set vision.onnxruntime")]
    Runtime {
        /// The library path.
        path: PathBuf,
        /// The loader's message.
        message: String,
    },
    /// ONNX Runtime failed to create a session or run a model.
    #[error("ONNX Runtime: {0}")]
    Inference(String),
    /// An OpenCV call failed.
    #[error("OpenCV: {0}")]
    OpenCv(String),
    /// The bytes are not an image OpenCV can decode.
    #[error("not a decodable image ({0})")]
    NotAnImage(String),
    /// A DG2 (or other container) holds no JPEG or JPEG 2000 image.
    #[error("no JPEG or JPEG 2000 image found in the data")]
    NoImageInContainer,
    /// The frame source could not be opened or stopped delivering frames.
    #[error("frame source {source_name}: {message}")]
    Source {
        /// Which source (device index, file, URL).
        source_name: String,
        /// What went wrong.
        message: String,
    },
    /// A calibration table or configuration value is invalid.
    #[error("configuration: {0}")]
    Config(String),
    /// Reading a file failed.
    #[error("{path}: {message}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        message: String,
    },
}

impl VisionError {
    /// The kind of failure.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::Missing { .. } | Self::Checksum { .. } | Self::Runtime { .. } => ErrorKind::Setup,
            Self::Config(_) => ErrorKind::Config,
            Self::Source { .. } => ErrorKind::Device,
            Self::NotAnImage(_) | Self::NoImageInContainer | Self::Io { .. } => ErrorKind::Input,
            Self::Inference(_) | Self::OpenCv(_) => ErrorKind::Runtime,
        }
    }

    pub(crate) fn io(path: &std::path::Path, e: std::io::Error) -> Self {
        Self::Io {
            path: path.to_path_buf(),
            message: e.to_string(),
        }
    }
}

impl From<opencv::Error> for VisionError {
    fn from(e: opencv::Error) -> Self {
        Self::OpenCv(e.message)
    }
}

impl<R> From<ort::Error<R>> for VisionError {
    fn from(e: ort::Error<R>) -> Self {
        Self::Inference(e.message().to_string())
    }
}

/// Result alias of the vision crate.
pub type Result<T, E = VisionError> = std::result::Result<T, E>;
