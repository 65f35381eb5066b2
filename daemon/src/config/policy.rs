//! The gate's rules in the configuration: `[gate]`, `[policy]` (how the document is
//! checked), `[eligibility]` (who may use the lane, in [`super::eligibility`]),
//! `[timeouts]`, `[attempts]`, `[occupancy]` and `[safe_state]`. [`gate_config`] turns them
//! into the sans-IO gate's [`gate::GateConfig`]; [`problems`] reports every bad value with its
//! key path, including what [`gate::GateConfig::validate`] would refuse. Layout, liveness and
//! the safe states are the gate's own types (its `serde` feature names them as the file does).
//!
//! Their annotated defaults are in `config/egate.toml` and equal
//! [`gate::GateConfig::two_step`], except liveness (`not-checked`: no detector is built).

use std::ops::RangeInclusive;
use std::time::Duration;

use gate::{Direction, GateConfig, Layout, LivenessMode, SafeState};
use serde::{Deserialize, Serialize};

use super::check::Problems;

/// Accepted `[gate] utc_offset_minutes`: UTC−14:00 to UTC+14:00.
pub const UTC_OFFSET_RANGE: RangeInclusive<i32> = -840..=840;

/// `[gate]`
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct GateSection {
    /// Name of this gate.
    pub id: String,
    /// Physical layout.
    pub layout: Layout,
    /// Liveness handling: `required` (presentation attack detection on every passage), or
    /// `not-checked`, accepted only with `[dangerous] liveness_not_checked = true`.
    pub liveness: LivenessMode,
    /// Where a traveller referred from inside the lane goes.
    pub referral: Referral,
    /// The lane's civil date's offset from UTC, in minutes (see `crate::lane::clock`).
    pub utc_offset_minutes: i32,
    /// Two-step: the next traveller's document is read at the entry while the previous
    /// traveller is in the face step or leaving ([`gate::GateConfig::overlap`]). No effect
    /// with the one-step layout, which has no entry reader to wait at, nor with explicit
    /// consent.
    pub overlap: bool,
    /// Two-step: face capture starts as soon as the traveller is alone in the mantrap,
    /// while the entry closes ([`gate::GateConfig::early_capture`]). A one-step lane
    /// captures at the reader anyway: there it changes nothing.
    pub early_capture: bool,
    /// Which way the lane takes travellers: "entry" or "exit".
    pub direction: Direction,
    /// The border crossing point's code, on every passage record and metric.
    pub bcp: String,
}

impl Default for GateSection {
    fn default() -> Self {
        Self {
            id: "gate-1".into(),
            layout: Layout::TwoStep,
            liveness: LivenessMode::Required,
            referral: Referral::BackThroughEntry,
            utc_offset_minutes: 0,
            overlap: true,
            early_capture: true,
            direction: Direction::Entry,
            bcp: "bcp-1".into(),
        }
    }
}

impl GateSection {
    /// Problems of `[gate]`, under their dotted keys.
    pub fn problems(&self, p: &mut Problems) {
        let name_ok = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
        if self.id.is_empty() || !self.id.chars().all(name_ok) {
            p.bad(
                "gate.id",
                "must be non-empty ASCII letters, digits, '-' or '_'",
            );
        }
        if self.bcp.is_empty() || self.bcp.len() > 32 || !self.bcp.chars().all(name_ok) {
            p.bad(
                "gate.bcp",
                "must be 1 to 32 ASCII letters, digits, '-' or '_' (it labels every metric and \
                 passage record)",
            );
        }
        if !UTC_OFFSET_RANGE.contains(&self.utc_offset_minutes) {
            p.bad(
                "gate.utc_offset_minutes",
                "must be between -840 and 840 minutes (UTC-14:00 to UTC+14:00)",
            );
        }
    }
}

/// The sections that make the gate's rules, borrowed from the whole configuration.
#[derive(Debug, Clone, Copy)]
pub struct Rules<'a> {
    /// `[gate]`
    pub gate: &'a GateSection,
    /// `[policy]`
    pub policy: &'a PolicyConfig,
    /// `[eligibility]`
    pub eligibility: &'a super::eligibility::EligibilityConfig,
    /// `[timeouts]`
    pub timeouts: &'a TimeoutsConfig,
    /// `[attempts]`
    pub attempts: &'a AttemptsConfig,
    /// `[occupancy]`
    pub occupancy: &'a OccupancyConfig,
    /// `[safe_state]`
    pub safe_state: &'a SafeState,
}

/// `[policy]`: how the document is checked before the eligibility rule table decides.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct PolicyConfig {
    /// Refer documents past their expiry date.
    pub require_valid_document: bool,
    /// How strict passive authentication is.
    pub pa: PaMode,
    /// Refer chips with neither active nor chip authentication.
    pub require_chip_authentication: bool,
    /// Whether the border databases are queried.
    pub borderdb: BorderDb,
}

impl Default for PolicyConfig {
    fn default() -> Self {
        Self {
            require_valid_document: true,
            pa: PaMode::TrustedCsca,
            require_chip_authentication: false,
            borderdb: BorderDb::Required,
        }
    }
}

/// `[policy] pa`: passive authentication's strictness (ICAO 9303-11 §5).
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum PaMode {
    /// The document signer must chain to a trusted CSCA (`[pki]`).
    TrustedCsca,
    /// A valid signature from an unknown CSCA is accepted.
    UntrustedCscaAllowed,
}

/// `[policy] borderdb`.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum BorderDb {
    /// Every eligible traveller is checked; an unavailable borderdb refers.
    Required,
    /// No query.
    Off,
}

/// `[timeouts]`: seconds each step may take (the fields of [`gate::Timeouts`]).
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct TimeoutsConfig {
    /// One chip-read attempt.
    pub chip_read: f64,
    /// The border database query.
    pub borderdb: f64,
    /// Two-step: entry opening to one person confirmed in the mantrap.
    pub enter: f64,
    /// A door reaching its commanded position.
    pub door_travel: f64,
    /// One capture + liveness + match attempt.
    pub capture_attempt: f64,
    /// Exit opening to the passage confirmed.
    pub exit: f64,
    /// A referred traveller leaving the lane.
    pub referral: f64,
    /// Someone in the lane with no passage in progress.
    pub loiter: f64,
    /// Interval at which an unanswered alarm is raised again.
    pub alarm_repeat: f64,
}

impl Default for TimeoutsConfig {
    fn default() -> Self {
        Self {
            chip_read: 10.0,
            borderdb: 5.0,
            enter: 15.0,
            door_travel: 3.0,
            capture_attempt: 8.0,
            exit: 15.0,
            referral: 30.0,
            loiter: 60.0,
            alarm_repeat: 30.0,
        }
    }
}

/// `[attempts]`: attempts per step within one passage.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct AttemptsConfig {
    /// Chip-read attempts.
    pub chip_read: u32,
    /// Capture + match attempts.
    pub capture: u32,
}

impl Default for AttemptsConfig {
    fn default() -> Self {
        Self {
            chip_read: 2,
            capture: 3,
        }
    }
}

/// `[occupancy]`: what each occupancy anomaly does, as the gate takes it.
pub type OccupancyConfig = gate::OccupancyPolicy;

/// `[gate] referral`: where a traveller referred from inside the lane goes.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Referral {
    /// Back out through the entry to a manual lane.
    #[default]
    BackThroughEntry,
    /// Stay in the lane until an officer acts.
    WaitForOfficer,
}

/// Longest accepted timeout, in seconds: an hour is already far beyond any step.
const MAX_TIMEOUT_S: f64 = 3600.0;
/// Most attempts accepted for one step.
const MAX_ATTEMPTS: u32 = 10;

/// The sans-IO gate's configuration, with `today` as the lane's civil date.
///
/// Meant for rules that [`problems`] accepted; a bad value that slipped through is replaced
/// by the gate's default, and a bad eligibility value by the strictest reading (see
/// [`super::eligibility::table`]).
pub fn gate_config(rules: Rules<'_>, today: gate::CivilDate) -> GateConfig {
    build(rules, today).0
}

/// Every bad value of the gate's rules, under its key path.
pub fn problems(rules: Rules<'_>, out: &mut Problems) {
    // The date plays no part in validation.
    let today = gate::CivilDate::new(2000, 1, 1).expect("a valid date");
    rules.gate.problems(out);
    for (key, message) in build(rules, today).1 {
        out.bad(key, message);
    }
}

/// Maps the config to a [`GateConfig`], collecting every problem on the way.
fn build(config: Rules<'_>, today: gate::CivilDate) -> (GateConfig, Vec<(String, String)>) {
    let mut problems = Vec::new();
    let mut bad = |key: String, message: String| problems.push((key, message));
    let mut g = GateConfig::two_step(today);
    g.layout = config.gate.layout;
    g.liveness = config.gate.liveness;
    let two_step = g.layout == Layout::TwoStep;
    g.overlap = config.gate.overlap && two_step;
    g.early_capture = config.gate.early_capture && two_step;
    g.referral = match config.gate.referral {
        Referral::BackThroughEntry => gate::ReferralRoute::BackThroughEntry,
        Referral::WaitForOfficer => gate::ReferralRoute::WaitForOfficer,
    };

    g.direction = config.gate.direction;
    let p = config.policy;
    let e = &mut g.eligibility;
    e.rules = super::eligibility::table(config.eligibility, &mut bad);
    e.require_valid_document = p.require_valid_document;
    e.pa = match p.pa {
        PaMode::TrustedCsca => gate::PaStrictness::RequireTrustedCsca,
        PaMode::UntrustedCscaAllowed => gate::PaStrictness::AllowUntrustedCsca,
    };
    e.require_chip_authentication = p.require_chip_authentication;
    e.borderdb = match p.borderdb {
        BorderDb::Required => gate::BorderDbMode::Required,
        BorderDb::Off => gate::BorderDbMode::Off,
    };

    let t = config.timeouts;
    let gt = &mut g.timeouts;
    for (name, secs, slot) in [
        ("chip_read", t.chip_read, &mut gt.chip_read),
        ("borderdb", t.borderdb, &mut gt.borderdb),
        ("enter", t.enter, &mut gt.enter),
        ("door_travel", t.door_travel, &mut gt.door_travel),
        (
            "capture_attempt",
            t.capture_attempt,
            &mut gt.capture_attempt,
        ),
        ("exit", t.exit, &mut gt.exit),
        ("referral", t.referral, &mut gt.referral),
        ("loiter", t.loiter, &mut gt.loiter),
        ("alarm_repeat", t.alarm_repeat, &mut gt.alarm_repeat),
    ] {
        // `0 < secs` also refuses NaN; a timeout too small to be a whole nanosecond would
        // be zero, which the gate refuses (it would expire at once).
        match Duration::try_from_secs_f64(secs) {
            Ok(d) if secs > 0.0 && secs <= MAX_TIMEOUT_S && !d.is_zero() => *slot = d,
            _ => bad(
                format!("timeouts.{name}"),
                format!("must be more than 0 and at most {MAX_TIMEOUT_S} seconds"),
            ),
        }
    }

    let a = config.attempts;
    for (name, n, slot) in [
        ("chip_read", a.chip_read, &mut g.attempts.chip_read),
        ("capture", a.capture, &mut g.attempts.capture),
    ] {
        match u8::try_from(n) {
            Ok(v) if (1..=MAX_ATTEMPTS).contains(&n) => *slot = v,
            _ => bad(
                format!("attempts.{name}"),
                format!("must be between 1 and {MAX_ATTEMPTS}"),
            ),
        }
    }

    g.occupancy = *config.occupancy;
    g.safe_state = *config.safe_state;

    // The gate's own checks, under the key that holds the value; a key already reported
    // above (or an element of it) is not reported twice.
    if let Err(errors) = g.validate() {
        for error in errors.0 {
            let key = match error {
                gate::ConfigError::ZeroTimeout(name) => format!("timeouts.{name}"),
                gate::ConfigError::ZeroAttempts(name) => format!("attempts.{name}"),
                // Reported by the table itself, under each rule's keys.
                gate::ConfigError::Eligibility(_) => continue,
                _ => "gate".into(),
            };
            let seen = problems
                .iter()
                .any(|(k, _)| *k == key || k.starts_with(&format!("{key}[")));
            if !seen {
                problems.push((key, error.to_string()));
            }
        }
    }
    (g, problems)
}
