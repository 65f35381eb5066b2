//! The gate's configuration: layout, timeouts, attempts, policy and safe states.
//!
//! The daemon builds a [`GateConfig`] from its TOML file and calls
//! [`GateConfig::validate`] to report every problem at once; [`crate::Gate::new`] never
//! fails and clamps nonsensical values (zero attempts count as one).

use std::time::Duration;

use crate::date::CivilDate;
use crate::eligibility::{Direction, TableProblem};
use crate::policy::EligibilityPolicy;

crate::named_enum! {
    serde;
    /// The physical shape of the lane.
    pub enum Layout {
        /// Entry door, mantrap, exit door: the document is checked at the entry (zone A), the
        /// face inside the mantrap (zone B). The two doors are never open together.
        TwoStep => "two-step",
        /// A single exit door: document and face are both checked at the capture position
        /// (zone B) in front of the exit.
        OneStep => "one-step",
    }
}

/// How long each step may take before the gate acts on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// One chip-read attempt (read, PA, AA/CA).
    pub chip_read: Duration,
    /// The border database query.
    pub borderdb: Duration,
    /// Two-step: from the entry opening to single occupancy confirmed in the mantrap.
    pub enter: Duration,
    /// A door reaching the commanded closed position (from its position sensor).
    pub door_travel: Duration,
    /// One capture + liveness + match attempt.
    pub capture_attempt: Duration,
    /// From the exit opening to the passage being confirmed (zone C entered then clear).
    pub exit: Duration,
    /// A referred traveller leaving the lane by the configured route.
    pub referral: Duration,
    /// Someone (or something) in the lane with no passage in progress.
    pub loiter: Duration,
    /// Re-raise an alarm that needs an officer at this interval until one acts.
    pub alarm_repeat: Duration,
}

impl Default for Timeouts {
    /// Defaults in the range of the published figures in `passage-timing.md`.
    fn default() -> Self {
        Self {
            chip_read: Duration::from_secs(10),
            borderdb: Duration::from_secs(5),
            enter: Duration::from_secs(15),
            door_travel: Duration::from_secs(3),
            capture_attempt: Duration::from_secs(8),
            exit: Duration::from_secs(15),
            referral: Duration::from_secs(30),
            loiter: Duration::from_secs(60),
            alarm_repeat: Duration::from_secs(30),
        }
    }
}

/// How many attempts each step gets within one transaction (ISO/IEC 19795-2 terms: an
/// attempt is one presentation; a transaction is the attempts leading to one decision).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attempts {
    /// Chip-read attempts (a `chip_read_failed` or timeout is retried).
    pub chip_read: u8,
    /// Capture + match (+ PAD) attempts.
    pub capture: u8,
}

impl Default for Attempts {
    fn default() -> Self {
        Self {
            chip_read: 2,
            capture: 3,
        }
    }
}

crate::named_enum! {
    serde;
    /// Whether presentation attack detection takes part in the decision.
    pub enum LivenessMode {
        /// A PAD job runs with every capture attempt and must say `Live`.
        Required => "required",
        /// No PAD job runs. Must be chosen explicitly; every passage's audit records
        /// `liveness: not_checked`.
        NotChecked => "not-checked",
    }
}

crate::named_enum! {
    serde;
    /// How the traveller agrees to the face capture (the identity-management guidance's
    /// first principle: inform, and where the law asks for it, get consent, before any
    /// biometric is taken).
    pub enum ConsentMode {
        /// The privacy notice is shown before any capture; presenting the document is the
        /// traveller's choice to use the gate.
        Notice => "notice",
        /// After the document step, the traveller must answer yes before any capture; no,
        /// or no answer in time, sends them to the manual lane with no capture at all.
        Explicit => "explicit",
    }
}

/// The consent step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Consent {
    /// Notice only, or an explicit answer.
    pub mode: ConsentMode,
    /// How long an explicit answer is awaited.
    pub wait: Duration,
}

impl Default for Consent {
    fn default() -> Self {
        Self {
            mode: ConsentMode::Notice,
            wait: Duration::from_secs(20),
        }
    }
}

/// Where a traveller who was referred from inside the lane goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReferralRoute {
    /// Back out through the entry (two-step: the entry reopens) to a manual lane.
    BackThroughEntry,
    /// Stay in the lane until an officer releases the exit, refers them back or resets.
    WaitForOfficer,
}

crate::named_enum! {
    serde;
    /// What an occupancy anomaly does.
    pub enum OccupancyAction {
        /// During a passage: refer the traveller (with an alarm). With no passage: call an
        /// officer (the gate waits for one).
        Refer => "refer",
        /// Raise an alarm for the officer; the passage continues.
        Alarm => "alarm",
        /// Record it in the audit trail only.
        Record => "record",
    }
}

/// What each occupancy anomaly does (the daemon's `[occupancy]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(deny_unknown_fields, default)
)]
pub struct OccupancyPolicy {
    /// More than one person in the mantrap or someone following in (piggybacking,
    /// tailgating).
    pub tailgating: OccupancyAction,
    /// Someone moving against the lane's direction.
    pub wrong_direction: OccupancyAction,
    /// Someone in the lane longer than [`Timeouts::loiter`] without a passage, or not
    /// leaving after the exit opened.
    pub loitering: OccupancyAction,
    /// A child detected during a passage.
    pub child: OccupancyAction,
    /// An object left in the mantrap (zone B occupied while the person count is zero).
    pub object_left: OccupancyAction,
}

impl Default for OccupancyPolicy {
    fn default() -> Self {
        Self {
            tailgating: OccupancyAction::Refer,
            wrong_direction: OccupancyAction::Refer,
            loitering: OccupancyAction::Alarm,
            child: OccupancyAction::Refer,
            object_left: OccupancyAction::Alarm,
        }
    }
}

crate::named_enum! {
    serde;
    /// A door's position in the safe state (fault, shutdown).
    pub enum DoorSafeState {
        /// Open: nobody can be trapped (fail-safe).
        Open => "open",
        /// Closed and locked (fail-secure); applied once the door's zone is clear.
        Locked => "locked",
    }
}

/// The doors' positions on a fault or shutdown. Opening both doors of a two-step lane is
/// the documented exception to the "never both open" invariant (like a fire alarm).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(deny_unknown_fields, default)
)]
pub struct SafeState {
    /// The entry door (ignored in the one-step layout).
    pub entry: DoorSafeState,
    /// The exit door.
    pub exit: DoorSafeState,
}

impl Default for SafeState {
    /// Entry open (a trapped traveller can walk back out), exit locked (nobody crosses
    /// the border unchecked).
    fn default() -> Self {
        Self {
            entry: DoorSafeState::Open,
            exit: DoorSafeState::Locked,
        }
    }
}

/// Everything the gate needs to know about its lane and its rules.
#[derive(Debug, Clone, PartialEq)]
pub struct GateConfig {
    /// Two-step or one-step.
    pub layout: Layout,
    /// Step timeouts.
    pub timeouts: Timeouts,
    /// Attempts per step.
    pub attempts: Attempts,
    /// Who may use the gate.
    pub eligibility: EligibilityPolicy,
    /// Which way the lane takes travellers (the rule table matches on it).
    pub direction: Direction,
    /// Whether PAD takes part.
    pub liveness: LivenessMode,
    /// Where a referred traveller goes from inside the lane.
    pub referral: ReferralRoute,
    /// What occupancy anomalies do.
    pub occupancy: OccupancyPolicy,
    /// Doors on fault and shutdown.
    pub safe_state: SafeState,
    /// Today's date, for age and expiry; update with [`crate::Input::DateChanged`].
    pub today: CivilDate,
    /// Notice only, or explicit consent before capture.
    pub consent: Consent,
    /// In the accessible mode ([`crate::Input::Assistance`]), the traveller's own steps
    /// (consent, entering, capture, exit, a referral's way out) get this many times their
    /// timeout.
    pub assisted_factor: f64,
    /// Two-step only: the next traveller may present their document at the entry reader
    /// while the previous one is in the face step or leaving through the exit; their
    /// chip is read and checked while they wait, and the entry opens for them as soon as
    /// the exit has closed behind the previous traveller with the mantrap empty. Each
    /// traveller keeps their own passage, tickets and record.
    pub overlap: bool,
    /// Two-step only: face capture (and PAD) starts as soon as the traveller is alone in
    /// the mantrap and the entry is commanded closed, rather than once its position
    /// sensor reports it closed. The exit still opens only after the entry is closed.
    pub early_capture: bool,
}

impl GateConfig {
    /// A two-step lane with the default policy, timeouts and attempts, liveness required.
    pub fn two_step(today: CivilDate) -> Self {
        Self {
            layout: Layout::TwoStep,
            timeouts: Timeouts::default(),
            attempts: Attempts::default(),
            eligibility: EligibilityPolicy::default(),
            direction: Direction::Entry,
            liveness: LivenessMode::Required,
            referral: ReferralRoute::BackThroughEntry,
            occupancy: OccupancyPolicy::default(),
            safe_state: SafeState::default(),
            today,
            consent: Consent::default(),
            assisted_factor: 2.0,
            overlap: true,
            early_capture: true,
        }
    }

    /// A one-step lane with the default policy, timeouts and attempts, liveness required.
    pub fn one_step(today: CivilDate) -> Self {
        Self {
            layout: Layout::OneStep,
            overlap: false,
            early_capture: false,
            ..Self::two_step(today)
        }
    }

    /// Reports every problem at once.
    pub fn validate(&self) -> Result<(), ConfigErrors> {
        let mut errors = Vec::new();
        let t = &self.timeouts;
        for (name, value) in [
            ("chip_read", t.chip_read),
            ("borderdb", t.borderdb),
            ("enter", t.enter),
            ("door_travel", t.door_travel),
            ("capture_attempt", t.capture_attempt),
            ("exit", t.exit),
            ("referral", t.referral),
            ("loiter", t.loiter),
            ("alarm_repeat", t.alarm_repeat),
        ] {
            if value.is_zero() {
                errors.push(ConfigError::ZeroTimeout(name));
            }
        }
        if self.attempts.chip_read == 0 {
            errors.push(ConfigError::ZeroAttempts("chip_read"));
        }
        if self.attempts.capture == 0 {
            errors.push(ConfigError::ZeroAttempts("capture"));
        }
        errors.extend(
            self.eligibility
                .rules
                .problems()
                .into_iter()
                .map(ConfigError::Eligibility),
        );
        if self.layout == Layout::OneStep {
            // One-step: the traveller presents the document where the face is captured;
            // there is no entry reader to wait at and no entry door to close early.
            for (key, on) in [
                ("overlap", self.overlap),
                ("early_capture", self.early_capture),
            ] {
                if on {
                    errors.push(ConfigError::NeedsTwoStep(key));
                }
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(ConfigErrors(errors))
        }
    }
}

/// One problem in a [`GateConfig`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A timeout of zero would expire at once.
    #[error("timeout `{0}` must be greater than zero")]
    ZeroTimeout(&'static str),
    /// A step with no attempts could never succeed.
    #[error("attempts `{0}` must be at least 1")]
    ZeroAttempts(&'static str),
    /// A two-step feature switched on for a one-step lane.
    #[error("`{0}` applies to the two-step layout only")]
    NeedsTwoStep(&'static str),
    /// A problem of the eligibility rule table.
    #[error("eligibility: {0}")]
    Eligibility(TableProblem),
}

/// Every problem found in a [`GateConfig`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{} problem(s) in the gate configuration: {}", .0.len(), join(.0))]
pub struct ConfigErrors(pub Vec<ConfigError>);

fn join(errors: &[ConfigError]) -> String {
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_validate_and_errors_are_all_reported() {
        let today = CivilDate::new(2026, 11, 26).expect("date");
        assert_eq!(GateConfig::two_step(today).validate(), Ok(()));
        let mut c = GateConfig::one_step(today);
        c.timeouts.exit = Duration::ZERO;
        c.attempts.capture = 0;
        c.eligibility.rules.rules.clear();
        c.eligibility.rules.default =
            crate::eligibility::Outcome::Refer(crate::reason::ReasonCode::IneligibleTraveller);
        let err = c.validate().expect_err("invalid");
        assert_eq!(err.0.len(), 3);
        assert!(err.to_string().starts_with("3 problem(s)"));
    }
}
