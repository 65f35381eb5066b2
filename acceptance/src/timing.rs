//! The modelled physical durations of a passage. Every default comes from
//! `docs/passage-timing.md` (copied from the project's shared notes); each field
//! says which line. A scenario's `[timing]` table overrides any of them, and every report
//! lists the figures it ran with.

use serde::{Deserialize, Serialize};

/// A range `[low, high]` drawn uniformly.
pub type Range = [f64; 2];

/// The modelled durations.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Timing {
    /// Length of the lane in metres ("a lane is a few metres long").
    pub lane_m: f64,
    /// Walking speed in m/s ("1.0–1.4 m/s for most travellers").
    pub walk_m_s: Range,
    /// Seconds to place the passport on the reader ("a few seconds").
    pub document_s: Range,
    /// Share of first-time users who take longer ("with a long tail for first-time users").
    pub first_time_share: f64,
    /// Extra seconds a first-time user takes to place the document.
    pub first_time_extra_s: Range,
    /// Seconds a door leaf travels ("well under a second to about a second").
    pub door_travel_s: f64,
    /// Contactless link bit rate in bit/s ("106–848 kbit/s (424 kbit/s is common)").
    pub chip_bit_rate: u32,
    /// Turnaround per APDU in ms ("a few ms of turnaround per APDU").
    pub chip_turnaround_ms: f64,
    /// Seconds before the traveller faces the camera ("the traveller needs a moment to face
    /// the camera").
    pub face_s: Range,
    /// Seconds for the capture itself: a few frames ("a few frames of good quality are
    /// enough"), at the camera's frame rate.
    pub capture_s: f64,
    /// Seconds for a border database answer (not in the notes: a modelling assumption).
    pub borderdb_s: f64,
    /// Seconds for the next traveller in the queue to step up to a free gate (not in the
    /// notes: 2 m at the walking speed is assumed, this is the floor).
    pub step_up_s: f64,
    /// Seconds a traveller waits at a shut entry before giving up.
    pub patience_s: f64,
}

impl Default for Timing {
    fn default() -> Self {
        Self {
            lane_m: 3.0,
            walk_m_s: [1.0, 1.4],
            document_s: [2.0, 5.0],
            first_time_share: 0.1,
            first_time_extra_s: [3.0, 10.0],
            door_travel_s: 0.8,
            chip_bit_rate: 424_000,
            chip_turnaround_ms: 5.0,
            face_s: [1.0, 3.0],
            capture_s: 0.6,
            borderdb_s: 0.2,
            step_up_s: 1.5,
            patience_s: 20.0,
        }
    }
}

/// What a kind of traveller does differently (multiplies or adds to [`Timing`]).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Modifier {
    /// Walking speed factor.
    pub speed: f64,
    /// Extra seconds to place the document.
    pub extra_document_s: f64,
    /// Extra seconds before facing the camera.
    pub extra_face_s: f64,
    /// Patience factor at a shut entry.
    pub patience: f64,
}

impl Default for Modifier {
    fn default() -> Self {
        Self {
            speed: 1.0,
            extra_document_s: 0.0,
            extra_face_s: 0.0,
            patience: 1.0,
        }
    }
}

impl Modifier {
    /// The built-in behaviour of a kind (a scenario may override it per kind).
    pub fn built_in(kind: crate::kinds::Kind) -> Self {
        use crate::kinds::Kind as K;
        let d = Self::default();
        match kind {
            // Slower, and the camera has to find a face lower than a standing adult's.
            K::Wheelchair => Self {
                speed: 0.5,
                extra_document_s: 2.0,
                extra_face_s: 2.0,
                ..d
            },
            K::Luggage => Self {
                speed: 0.75,
                extra_document_s: 1.0,
                ..d
            },
            K::Minor => Self {
                extra_document_s: 1.0,
                extra_face_s: 1.0,
                ..d
            },
            // Turns away from the camera for a while; gives up sooner.
            K::Hesitant => Self {
                speed: 0.8,
                extra_face_s: 6.0,
                patience: 0.5,
                ..d
            },
            _ => d,
        }
    }
}

impl Timing {
    /// The problems of a `[timing]` table, each with its key.
    pub fn problems(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let mut range = |key: &str, r: Range, max: f64| {
            if !(r[0] >= 0.0 && r[0] <= r[1] && r[1] <= max) {
                out.push((
                    format!("timing.{key}"),
                    format!("must be [low, high] with 0 <= low <= high <= {max}"),
                ));
            }
        };
        range("walk_m_s", self.walk_m_s, 5.0);
        range("document_s", self.document_s, 120.0);
        range("first_time_extra_s", self.first_time_extra_s, 300.0);
        range("face_s", self.face_s, 120.0);
        if self.walk_m_s[0] <= 0.0 {
            out.push(("timing.walk_m_s".into(), "must be above 0".into()));
        }
        let mut positive = |key: &str, v: f64, max: f64| {
            if !(v > 0.0 && v <= max) {
                out.push((
                    format!("timing.{key}"),
                    format!("must be above 0 and at most {max}"),
                ));
            }
        };
        positive("lane_m", self.lane_m, 50.0);
        positive("door_travel_s", self.door_travel_s, 30.0);
        positive("chip_turnaround_ms", self.chip_turnaround_ms, 1000.0);
        positive("capture_s", self.capture_s, 60.0);
        positive("borderdb_s", self.borderdb_s, 60.0);
        positive("step_up_s", self.step_up_s, 60.0);
        positive("patience_s", self.patience_s, 600.0);
        if !(106_000..=6_780_000).contains(&self.chip_bit_rate) {
            out.push((
                "timing.chip_bit_rate".into(),
                "must be an ISO/IEC 14443 bit rate between 106000 and 6780000".into(),
            ));
        }
        if !(0.0..=1.0).contains(&self.first_time_share) {
            out.push((
                "timing.first_time_share".into(),
                "must be between 0 and 1".into(),
            ));
        }
        out
    }

    /// The chip link model.
    pub fn link(&self) -> sim::chip::LinkModel {
        sim::chip::LinkModel {
            bit_rate: self.chip_bit_rate,
            turnaround: std::time::Duration::from_secs_f64(self.chip_turnaround_ms / 1000.0),
        }
    }
}
