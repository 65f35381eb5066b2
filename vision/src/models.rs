//! Loading ONNX Runtime and the two models, once, with SHA-256 checks.
//!
//! The library is loaded with `ort::init_from(path)` (not `ort::init()`, which panics when the
//! library is missing), so a missing or wrong-version library is a [`VisionError::Runtime`].

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use ort::session::builder::GraphOptimizationLevel;
use ort::session::Session;
use sha2::{Digest, Sha256};

use crate::config::{AssetPaths, VisionConfig};
use crate::error::{Result, VisionError};

/// SHA-256 of `yunet-anysize.onnx` (`scripts/setup-models.sh`, same pin as there): YuNet with
/// a symbolic input size, loaded by default.
pub const YUNET_ANYSIZE_SHA256: &str =
    "2ca4ce987527788b5ed01cb2ad124a8be4414c97af70983f35fb25d541ee92a1";
/// SHA-256 of `yunet.onnx` as prepared by `scripts/setup-models.sh` (same pin as there): fixed
/// 640×640 input; what OpenCV's reference loads, accepted here with `detector_side = 640`.
pub const YUNET_SHA256: &str = "9c7dc32959aa8fc10d76c84eecea10b5fd90dd4009b37fd150ad043382f6ab7e";
/// SHA-256 of `sface-expanded.onnx` (`scripts/setup-models.sh`, same pin as there): SFace with
/// PRelu expanded into Relu/Mul/Add (the same function, about 2.5 times faster on ONNX
/// Runtime's CPU provider), loaded by default.
pub const SFACE_EXPANDED_SHA256: &str =
    "8efd3cdc5ed3b5cc8184653436fec5ae3b0860bf22cda3e27d97f6bb04c0f95b";
/// SHA-256 of `sface.onnx` as prepared by `scripts/setup-models.sh` (same pin as there): what
/// OpenCV's reference loads; accepted here too.
pub const SFACE_SHA256: &str = "107111c7155b7f4316fe357472ff37f5cc5c6e10a7ffdc432cd5031d78ea1c44";

/// The two inference sessions.
pub struct Models {
    pub(crate) detector: Session,
    pub(crate) recognizer: Session,
    /// The detector's input side when the model fixes it (`yunet.onnx`: 640); `None` when any
    /// side goes.
    pub(crate) detector_fixed_side: Option<u32>,
    // Keeps the ONNX Runtime environment alive as long as the sessions.
    _env: ort::environment::Environment,
}

impl Models {
    /// Loads ONNX Runtime and both models named by the config, checking each model's SHA-256.
    pub fn load(config: &VisionConfig) -> Result<Self> {
        Self::load_from(&config.paths(), config.threads.max(1) as usize)
    }

    /// Loads from explicit paths with `threads` intra-op threads per session.
    pub fn load_from(paths: &AssetPaths, threads: usize) -> Result<Self> {
        // Check files first: the clearest message for a half-done setup.
        if !paths.onnxruntime.exists() {
            return Err(VisionError::Missing {
                what: "ONNX Runtime library",
                path: paths.onnxruntime.clone(),
            });
        }
        let yunet = read_checked(
            &paths.yunet,
            "YuNet model",
            &[YUNET_ANYSIZE_SHA256, YUNET_SHA256],
        )?;
        let sface = read_checked(
            &paths.sface,
            "SFace model",
            &[SFACE_EXPANDED_SHA256, SFACE_SHA256],
        )?;
        let env = environment(&paths.onnxruntime)?;
        let session = |bytes: &[u8]| -> Result<Session> {
            let session = Session::builder(&env)?
                .with_optimization_level(GraphOptimizationLevel::Level3)?
                .with_intra_threads(threads)?
                .with_inter_threads(1)?
                // Busy-waiting worker threads collapse under CPU contention (a gate's CPU is
                // shared with the driver, the console and the chip reader): let them sleep.
                .with_config_entry("session.intra_op.allow_spinning", "0")?
                .with_config_entry("session.inter_op.allow_spinning", "0")?
                .commit_from_memory(bytes)?;
            Ok(session)
        };
        let detector = session(&yunet)?;
        let detector_fixed_side = detector
            .inputs()
            .first()
            .and_then(|i| i.dtype().tensor_shape())
            .and_then(|shape| match shape.get(2..4) {
                Some(&[h, w]) if h == w && h > 0 => u32::try_from(h).ok(),
                _ => None,
            });
        Ok(Self {
            detector,
            recognizer: session(&sface)?,
            detector_fixed_side,
            _env: env,
        })
    }
}

/// ONNX Runtime allows one environment per process, created once from one library; later
/// loads reuse it (a different library path then is an error rather than silently ignored).
pub(crate) fn environment(lib: &Path) -> Result<ort::environment::Environment> {
    static ENV: Mutex<Option<(PathBuf, ort::environment::Environment)>> = Mutex::new(None);
    let mut guard = ENV.lock().unwrap_or_else(|p| p.into_inner());
    if let Some((path, env)) = guard.as_ref() {
        if path != lib {
            return Err(VisionError::Runtime {
                path: lib.to_path_buf(),
                message: format!(
                    "ONNX Runtime was already loaded from {} in this process",
                    path.display()
                ),
            });
        }
        return Ok(env.clone());
    }
    let runtime_err = |message: String| VisionError::Runtime {
        path: lib.to_path_buf(),
        message,
    };
    let env = ort::init_from(lib)
        .map_err(|e| runtime_err(e.to_string()))?
        .with_name("egate-vision")
        .with_telemetry(false)
        .build()
        .map_err(|e| runtime_err(e.to_string()))?;
    *guard = Some((lib.to_path_buf(), env.clone()));
    Ok(env)
}

/// Reads a model file and checks its SHA-256 against the pins (the first is the default file).
pub(crate) fn read_checked(path: &Path, what: &'static str, pins: &[&str]) -> Result<Vec<u8>> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(VisionError::Missing {
                what,
                path: path.to_path_buf(),
            })
        }
        Err(e) => return Err(VisionError::io(path, e)),
    };
    let found = hex::encode(Sha256::digest(&bytes));
    if !pins.contains(&found.as_str()) {
        return Err(VisionError::Checksum {
            path: path.to_path_buf(),
            found,
            expected: pins.join(" or "),
        });
    }
    Ok(bytes)
}
