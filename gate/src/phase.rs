//! The fieldless phase of the gate, for metrics, the console and audit events.

use std::fmt;

/// Where the gate is, without the data of its state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(rename_all = "snake_case")
)]
pub enum Phase {
    /// Waiting for a document.
    Idle,
    /// A chip-read job is running.
    ReadingDocument,
    /// A watchlist job is running.
    CheckingWatchlist,
    /// Two-step: the entry is open; waiting for one person alone in the mantrap.
    Entering,
    /// Two-step: the entry was commanded closed; waiting for its position sensor.
    ClosingEntry,
    /// Capture, liveness and match attempts.
    Verifying,
    /// The exit is open; waiting for the traveller to pass (zone C entered, then clear).
    Exiting,
    /// The exit was commanded closed; waiting for its position sensor.
    ClosingExit,
    /// A referred traveller is leaving by the configured route.
    Referred,
    /// Someone needs an officer (referral that waits, loitering, lost traveller).
    AwaitingOfficer,
    /// Lane closed (officer or mains lost); doors locked.
    LaneClosed,
    /// Out of service by an officer; doors locked.
    OutOfService,
    /// Fire alarm or emergency button: every door open until an officer resets.
    Emergency,
    /// A device fault: doors in the configured safe state until an officer resets.
    Fault,
    /// Shut down: doors in the safe state; terminal.
    Stopped,
}

impl Phase {
    /// Every phase, for metrics that pre-register their labels.
    pub const ALL: &'static [Phase] = &[
        Self::Idle,
        Self::ReadingDocument,
        Self::CheckingWatchlist,
        Self::Entering,
        Self::ClosingEntry,
        Self::Verifying,
        Self::Exiting,
        Self::ClosingExit,
        Self::Referred,
        Self::AwaitingOfficer,
        Self::LaneClosed,
        Self::OutOfService,
        Self::Emergency,
        Self::Fault,
        Self::Stopped,
    ];

    /// The stable snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Idle => "idle",
            Self::ReadingDocument => "reading_document",
            Self::CheckingWatchlist => "checking_watchlist",
            Self::Entering => "entering",
            Self::ClosingEntry => "closing_entry",
            Self::Verifying => "verifying",
            Self::Exiting => "exiting",
            Self::ClosingExit => "closing_exit",
            Self::Referred => "referred",
            Self::AwaitingOfficer => "awaiting_officer",
            Self::LaneClosed => "lane_closed",
            Self::OutOfService => "out_of_service",
            Self::Emergency => "emergency",
            Self::Fault => "fault",
            Self::Stopped => "stopped",
        }
    }

    /// Resting phases: nothing is in progress and nobody waits on the gate, so they need
    /// no deadline. Every other phase always has one ([`crate::Gate::poll_timeout`] is
    /// `Some`): a step timeout, or an alarm reminder while an officer is needed.
    pub fn is_at_rest(self) -> bool {
        matches!(
            self,
            Self::Idle | Self::LaneClosed | Self::OutOfService | Self::Stopped
        )
    }

    /// Phases that belong to a traveller's passage.
    pub fn in_passage(self) -> bool {
        matches!(
            self,
            Self::ReadingDocument
                | Self::CheckingWatchlist
                | Self::Entering
                | Self::ClosingEntry
                | Self::Verifying
                | Self::Exiting
                | Self::ClosingExit
                | Self::Referred
        )
    }
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
