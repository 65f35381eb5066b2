//! The fieldless phase of the gate, for metrics, the console and audit events.

crate::named_enum! {
    serde;
    /// Where the gate is, without the data of its state.
    #[derive(PartialOrd, Ord)]
    pub enum Phase {
        /// Waiting for a document.
        Idle => "idle",
        /// A chip-read job is running.
        ReadingDocument => "reading_document",
        /// A border database job is running.
        CheckingBorderDb => "checking_borderdb",
        /// Explicit consent: waiting for the traveller's answer before any capture.
        AwaitingConsent => "awaiting_consent",
        /// Two-step: the entry is open; waiting for one person alone in the mantrap.
        Entering => "entering",
        /// Two-step: the entry was commanded closed; waiting for its position sensor.
        ClosingEntry => "closing_entry",
        /// Capture, liveness and match attempts.
        Verifying => "verifying",
        /// The exit is open; waiting for the traveller to pass (zone C entered, then clear).
        Exiting => "exiting",
        /// The exit was commanded closed; waiting for its position sensor.
        ClosingExit => "closing_exit",
        /// A referred traveller is leaving by the configured route.
        Referred => "referred",
        /// Someone needs an officer (referral that waits, loitering, lost traveller).
        AwaitingOfficer => "awaiting_officer",
        /// Lane closed (officer or mains lost); doors locked.
        LaneClosed => "lane_closed",
        /// Out of service by an officer; doors locked.
        OutOfService => "out_of_service",
        /// Fire alarm or emergency button: every door open until an officer resets.
        Emergency => "emergency",
        /// A device fault: doors in the configured safe state until an officer resets.
        Fault => "fault",
        /// Shut down: doors in the safe state; terminal.
        Stopped => "stopped",
    }
}

impl Phase {
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
                | Self::CheckingBorderDb
                | Self::AwaitingConsent
                | Self::Entering
                | Self::ClosingEntry
                | Self::Verifying
                | Self::Exiting
                | Self::ClosingExit
                | Self::Referred
        )
    }
}
