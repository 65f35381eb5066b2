//! Mapping a target false-match rate (FMR) to a cosine-score threshold.
//!
//! The table ships in `models/sface-calibration.toml` (see `models/README.md` for how it was
//! made and how little data it rests on). An operator replaces it with one made on their own
//! data by `egate vision eval --write-calibration`.

use serde::{Deserialize, Serialize};

use crate::error::{Result, VisionError};

/// The calibration table shipped with the models.
pub const SHIPPED_TABLE: &str = include_str!("../../models/sface-calibration.toml");

/// One row: at this threshold, this FMR.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CalibrationPoint {
    /// Target false-match rate.
    pub fmr: f64,
    /// Cosine-score threshold that achieves it (accept when score ≥ threshold).
    pub threshold: f64,
    /// How the threshold was obtained: `"empirical"` (an observed quantile) or
    /// `"extrapolated"` (beyond what the impostor pairs can measure).
    pub method: String,
}

/// A calibration table.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Calibration {
    /// The model the table is for.
    pub model: String,
    /// Free text: how the table was made.
    pub description: String,
    /// Impostor (different-identity) pairs behind the table.
    pub impostor_pairs: u64,
    /// Distinct identities behind the table.
    pub identities: u64,
    /// Genuine pairs seen while making it (for the record; FMR does not use them).
    pub genuine_pairs: u64,
    /// SHA-256 (hex) of every source image the table was made from, sorted: tests check that
    /// no image they match faces on is among them. Empty for a table that does not say.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub images: Vec<String>,
    /// Rows, any order.
    pub point: Vec<CalibrationPoint>,
}

impl Calibration {
    /// The table shipped in `models/`.
    pub fn shipped() -> Result<Self> {
        Self::parse(SHIPPED_TABLE)
    }

    /// Parses and checks a table (FMRs in (0,1), thresholds finite, at least one row).
    pub fn parse(text: &str) -> Result<Self> {
        let mut cal: Calibration = toml::from_str(text)
            .map_err(|e| VisionError::Config(format!("calibration table: {}", e.message())))?;
        if cal.point.is_empty() {
            return Err(VisionError::Config(
                "calibration table has no points".into(),
            ));
        }
        for p in &cal.point {
            if !(p.fmr > 0.0 && p.fmr < 1.0 && p.threshold.is_finite()) {
                return Err(VisionError::Config(format!(
                    "calibration point fmr={} threshold={} is out of range",
                    p.fmr, p.threshold
                )));
            }
        }
        cal.point.sort_by(|a, b| a.fmr.total_cmp(&b.fmr));
        Ok(cal)
    }

    /// Reads a table from a file.
    pub fn load(path: &std::path::Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| VisionError::io(path, e))?;
        Self::parse(&text)
    }

    /// The threshold for a target FMR: a listed point exactly, or interpolated linearly in
    /// log(FMR) between the two neighbouring points. A target outside the table is an error
    /// (never extrapolated silently).
    pub fn threshold_for(&self, fmr: f64) -> Result<f32> {
        let pts = &self.point;
        let out_of_range = || {
            VisionError::Config(format!(
                "target FMR {fmr} is outside the calibration table ({} .. {})",
                pts.first().map_or(0.0, |p| p.fmr),
                pts.last().map_or(0.0, |p| p.fmr)
            ))
        };
        if !(fmr > 0.0 && fmr < 1.0) {
            return Err(out_of_range());
        }
        if let Some(p) = pts.iter().find(|p| (p.fmr - fmr).abs() <= fmr * 1e-9) {
            return Ok(p.threshold as f32);
        }
        for w in pts.windows(2) {
            let (a, b) = (&w[0], &w[1]);
            if a.fmr < fmr && fmr < b.fmr {
                let t = (fmr.ln() - a.fmr.ln()) / (b.fmr.ln() - a.fmr.ln());
                return Ok((a.threshold + (b.threshold - a.threshold) * t) as f32);
            }
        }
        Err(out_of_range())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_table_parses_and_covers_frontex_and_ees() {
        let cal = Calibration::shipped().unwrap();
        let t1 = cal.threshold_for(0.001).unwrap();
        let t2 = cal.threshold_for(0.0005).unwrap();
        assert!(t2 >= t1, "a lower FMR needs a higher threshold");
        assert!(cal.threshold_for(0.5).is_err() || cal.point.last().unwrap().fmr >= 0.5);
        assert!(cal.threshold_for(0.0).is_err());
    }

    #[test]
    fn interpolates_in_log_fmr() {
        let cal = Calibration::parse(
            "model='m'\ndescription='d'\nimpostor_pairs=1\nidentities=1\ngenuine_pairs=0\n\
             [[point]]\nfmr=0.01\nthreshold=0.2\nmethod='empirical'\n\
             [[point]]\nfmr=0.0001\nthreshold=0.4\nmethod='extrapolated'\n",
        )
        .unwrap();
        assert!((cal.threshold_for(0.001).unwrap() - 0.3).abs() < 1e-6);
        assert!(cal.threshold_for(0.1).is_err());
        assert!(cal.threshold_for(0.00001).is_err());
    }
}
