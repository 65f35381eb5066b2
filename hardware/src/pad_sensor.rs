//! The hook for a presentation-attack sensor beside the camera: a near-infrared camera (skin
//! reflects NIR as paper and screens do not) or a depth camera (a face has relief, a print
//! or a screen is flat), as real gates carry.
//!
//! egate has no driver for a real sensor yet: no model is on this project's bench, and each
//! vendor has its own SDK. A driver implements [`PadSensor`]; the lane reads it once per
//! camera frame during the capture and fuses the readings with the frame signals
//! (`vision::pad::PadSensorEvidence`). The simulator's implementation is
//! `sim::pad_sensor::SimPadSensor`.

use crate::error::ErrorKind;

gate::named_enum! {
    /// What the sensor measures.
    pub enum PadSensorKind {
        /// Near-infrared reflectance of the face region.
        NearInfrared => "near_infrared",
        /// Depth relief of the face region.
        Depth => "depth",
    }
}

gate::named_enum! {
    /// What a non-face presentation seen by the sensor is made of, as far as it can tell.
    pub enum Material {
        /// Paper (a print).
        Paper => "paper",
        /// A display (a screen replay).
        Display => "display",
        /// Planar, of a material the sensor cannot name.
        Planar => "planar",
    }
}

/// One reading, taken with a camera frame.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Reading {
    /// The face region reads as a face (skin reflectance, depth relief).
    Face {
        /// Liveness score 0..1, 0.5 at the sensor's threshold.
        score: f32,
    },
    /// The face region does not read as a face.
    NotFace {
        /// What it reads as.
        material: Material,
        /// Liveness score 0..1, 0.5 at the sensor's threshold.
        score: f32,
    },
    /// No face in the sensor's view, or a reading it cannot use.
    Unusable,
}

/// A sensor failure.
#[derive(Debug, thiserror::Error)]
pub enum PadSensorError {
    /// The sensor is not there or stopped answering.
    #[error("PAD sensor gone: {0}")]
    Gone(String),
    /// No reading in time.
    #[error("PAD sensor gave no reading in time")]
    Timeout,
}

impl PadSensorError {
    /// The driver's retry / refer / fault class.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::Gone(_) => ErrorKind::Disconnected,
            Self::Timeout => ErrorKind::Timeout,
        }
    }
}

/// A presentation-attack sensor beside the camera.
pub trait PadSensor: Send + Sync {
    /// What it measures.
    fn kind(&self) -> PadSensorKind;
    /// A reading of what is in front of the camera now. It is taken once per camera frame,
    /// inside the capture loop: a driver answers within 20 ms, with
    /// [`PadSensorError::Timeout`] if it has no reading by then, and never blocks longer.
    fn read(&self) -> Result<Reading, PadSensorError>;
}
