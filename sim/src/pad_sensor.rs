//! A simulated near-infrared PAD sensor, for the `hardware::pad_sensor` hook: the simulator
//! tells it what stands before the camera, and it reads as an NIR camera would (skin
//! reflects near-infrared, paper and screens do not). It knows the truth by construction, so
//! it tests the path from a sensor to the passage record, never PAD accuracy.

use std::sync::Mutex;

use hardware::pad_sensor::{Material, PadSensor, PadSensorError, PadSensorKind, Reading};

/// What stands before the simulated camera, as the sensor sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Before {
    /// Nobody.
    Nothing,
    /// A live face.
    Face,
    /// A print of a face.
    Print,
    /// A screen showing a face.
    Screen,
}

/// The simulated sensor.
#[derive(Debug)]
pub struct SimPadSensor {
    before: Mutex<Before>,
}

impl Default for SimPadSensor {
    fn default() -> Self {
        Self {
            before: Mutex::new(Before::Nothing),
        }
    }
}

impl SimPadSensor {
    /// What stands before the camera from now on.
    pub fn present(&self, before: Before) {
        *self.before.lock().unwrap_or_else(|p| p.into_inner()) = before;
    }
}

impl PadSensor for SimPadSensor {
    fn kind(&self) -> PadSensorKind {
        PadSensorKind::NearInfrared
    }

    fn read(&self) -> Result<Reading, PadSensorError> {
        let before = *self.before.lock().unwrap_or_else(|p| p.into_inner());
        Ok(match before {
            Before::Nothing => Reading::Unusable,
            Before::Face => Reading::Face { score: 0.8 },
            Before::Print => Reading::NotFace {
                material: Material::Paper,
                score: 0.1,
            },
            Before::Screen => Reading::NotFace {
                material: Material::Display,
                score: 0.05,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn it_reads_what_stands_before_the_camera() {
        let s = SimPadSensor::default();
        assert_eq!(s.kind(), PadSensorKind::NearInfrared);
        assert_eq!(s.read().unwrap(), Reading::Unusable);
        s.present(Before::Face);
        assert!(matches!(s.read().unwrap(), Reading::Face { score } if score > 0.5));
        s.present(Before::Print);
        assert!(matches!(
            s.read().unwrap(),
            Reading::NotFace { material: Material::Paper, score } if score < 0.5
        ));
        s.present(Before::Screen);
        assert!(matches!(
            s.read().unwrap(),
            Reading::NotFace {
                material: Material::Display,
                ..
            }
        ));
    }
}
