//! The gate's states. Each carries only the data that exists in it (rustls's `Expect*`
//! style): a state before the chip read cannot hold a document, and only `Verifying`
//! holds face and PAD jobs.

use std::time::Instant;

use crate::command::{Liveness, PassageId};
use crate::config::LivenessMode;
use crate::phase::Phase;
use crate::reason::ReasonCode;
use crate::verdict::{FaceVerdict, PadVerdict, Pseudonym, Ticket};

/// A traveller's passage in progress.
#[derive(Debug, Clone)]
pub(crate) struct Passage {
    pub id: PassageId,
    pub started: Instant,
    /// Whether the face step was reached (for the liveness record).
    pub face_reached: bool,
}

impl Passage {
    /// What the audit records about liveness for this passage.
    pub fn liveness(&self, mode: LivenessMode) -> Liveness {
        match mode {
            LivenessMode::NotChecked => Liveness::NotChecked,
            LivenessMode::Required if self.face_reached => Liveness::Checked,
            LivenessMode::Required => Liveness::NotReached,
        }
    }
}

/// A document that was read and found eligible: only its pseudonym is kept.
#[derive(Debug, Clone)]
pub(crate) struct AcceptedDocument {
    pub pseudonym: Pseudonym,
}

/// A background job and its result once it arrives.
#[derive(Debug, Clone)]
pub(crate) struct Job<V> {
    pub ticket: Ticket,
    pub result: Option<V>,
}

/// Who allowed the exit to open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ExitAuthority {
    /// A face accept (and live PAD if required) for the current ticket.
    Accepted,
    /// An officer's release.
    Officer,
}

/// What the gate goes to when a passage ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Rest {
    LaneClosed(ReasonCode),
    OutOfService,
}

#[derive(Debug)]
pub(crate) struct Idle {
    /// When loitering is reported if the lane is still occupied.
    pub loiter_deadline: Option<Instant>,
    /// Loitering already reported for the current occupation.
    pub reported: bool,
}

#[derive(Debug)]
pub(crate) struct ReadingDocument {
    pub passage: Passage,
    pub ticket: Ticket,
    pub attempt: u8,
    pub attempt_started: Instant,
    pub deadline: Instant,
}

#[derive(Debug)]
pub(crate) struct CheckingBorderDb {
    pub passage: Passage,
    pub doc: AcceptedDocument,
    pub ticket: Ticket,
    pub started: Instant,
    pub deadline: Instant,
}

#[derive(Debug)]
pub(crate) struct AwaitingConsent {
    pub passage: Passage,
    pub doc: AcceptedDocument,
    pub deadline: Instant,
}

#[derive(Debug)]
pub(crate) struct Entering {
    pub passage: Passage,
    pub doc: AcceptedDocument,
    pub deadline: Instant,
}

#[derive(Debug)]
pub(crate) struct ClosingEntry {
    pub passage: Passage,
    pub doc: AcceptedDocument,
    /// The first capture attempt, started early ([`crate::GateConfig::early_capture`]).
    pub capture: Option<Capture>,
    pub deadline: Instant,
}

/// A face attempt's jobs and when they started.
#[derive(Debug)]
pub(crate) struct Capture {
    pub face: Job<FaceVerdict>,
    /// `None` when liveness is configured `NotChecked`.
    pub pad: Option<Job<PadVerdict>>,
    pub started: Instant,
}

impl Capture {
    /// Tickets of the jobs still running.
    pub fn running(&self) -> Vec<Ticket> {
        let mut v = Vec::new();
        if self.face.result.is_none() {
            v.push(self.face.ticket);
        }
        if let Some(pad) = &self.pad {
            if pad.result.is_none() {
                v.push(pad.ticket);
            }
        }
        v
    }
}

/// Overlap ([`crate::GateConfig::overlap`]): the next traveller's passage at the entry
/// reader while the lane is busy with the previous one. It has its own passage, tickets
/// and deadline; the doors are never moved for it until it becomes the lane's state.
#[derive(Debug)]
pub(crate) struct Waiting {
    pub passage: Passage,
    pub step: WaitingStep,
}

/// Where a waiting passage is.
#[derive(Debug)]
pub(crate) enum WaitingStep {
    /// The chip is being read.
    Reading {
        ticket: Ticket,
        attempt: u8,
        attempt_started: Instant,
        deadline: Instant,
    },
    /// The border databases is being asked.
    CheckingBorderDb {
        doc: AcceptedDocument,
        ticket: Ticket,
        started: Instant,
        deadline: Instant,
    },
    /// The document is accepted; the traveller waits for the mantrap. Bounded by the
    /// lane's own deadlines: the waiting passage ends with the previous one's normal way
    /// out or is cut short with it.
    Ready { doc: AcceptedDocument },
}

impl Waiting {
    /// The waiting step's own deadline.
    pub fn deadline(&self) -> Option<Instant> {
        match &self.step {
            WaitingStep::Reading { deadline, .. }
            | WaitingStep::CheckingBorderDb { deadline, .. } => Some(*deadline),
            WaitingStep::Ready { .. } => None,
        }
    }

    /// The ticket of the job still running, if any.
    pub fn running_job(&self) -> Option<Ticket> {
        match &self.step {
            WaitingStep::Reading { ticket, .. } | WaitingStep::CheckingBorderDb { ticket, .. } => {
                Some(*ticket)
            }
            WaitingStep::Ready { .. } => None,
        }
    }
}

#[derive(Debug)]
pub(crate) struct Verifying {
    pub passage: Passage,
    pub doc: AcceptedDocument,
    pub attempt: u8,
    pub transaction_started: Instant,
    pub attempt_started: Instant,
    pub face: Job<FaceVerdict>,
    /// `None` when liveness is configured `NotChecked`.
    pub pad: Option<Job<PadVerdict>>,
    pub deadline: Instant,
}

#[derive(Debug)]
pub(crate) struct Exiting {
    /// `None` when an officer released the exit with no passage in progress.
    pub passage: Option<Passage>,
    pub authority: ExitAuthority,
    /// Zone C was seen occupied since the exit opened.
    pub seen_c: bool,
    /// Overlap: the entry reader has called the next traveller forward.
    pub called_next: bool,
    pub deadline: Instant,
}

#[derive(Debug)]
pub(crate) struct ClosingExit {
    pub deadline: Instant,
}

#[derive(Debug)]
pub(crate) struct Referred {
    pub reason: ReasonCode,
    /// Two-step: the entry was (re)opened for the traveller to walk back out.
    pub via_entry: bool,
    pub deadline: Instant,
}

#[derive(Debug)]
pub(crate) struct AwaitingOfficer {
    pub reason: ReasonCode,
    /// Resolves on its own once every zone is clear (idle loitering, object left).
    pub clears_itself: bool,
    pub deadline: Instant,
}

#[derive(Debug)]
pub(crate) struct LaneClosed {
    pub reason: ReasonCode,
}

#[derive(Debug)]
pub(crate) struct Emergency {
    pub reason: ReasonCode,
    pub deadline: Instant,
}

#[derive(Debug)]
pub(crate) struct Fault {
    pub reason: ReasonCode,
    pub deadline: Instant,
}

/// The gate's state.
#[derive(Debug)]
pub(crate) enum State {
    Idle(Idle),
    ReadingDocument(ReadingDocument),
    CheckingBorderDb(CheckingBorderDb),
    AwaitingConsent(AwaitingConsent),
    Entering(Entering),
    ClosingEntry(ClosingEntry),
    Verifying(Verifying),
    Exiting(Exiting),
    ClosingExit(ClosingExit),
    Referred(Referred),
    AwaitingOfficer(AwaitingOfficer),
    LaneClosed(LaneClosed),
    OutOfService,
    Emergency(Emergency),
    Fault(Fault),
    Stopped,
}

impl State {
    /// The fieldless phase.
    pub fn phase(&self) -> Phase {
        match self {
            Self::Idle(_) => Phase::Idle,
            Self::ReadingDocument(_) => Phase::ReadingDocument,
            Self::CheckingBorderDb(_) => Phase::CheckingBorderDb,
            Self::AwaitingConsent(_) => Phase::AwaitingConsent,
            Self::Entering(_) => Phase::Entering,
            Self::ClosingEntry(_) => Phase::ClosingEntry,
            Self::Verifying(_) => Phase::Verifying,
            Self::Exiting(_) => Phase::Exiting,
            Self::ClosingExit(_) => Phase::ClosingExit,
            Self::Referred(_) => Phase::Referred,
            Self::AwaitingOfficer(_) => Phase::AwaitingOfficer,
            Self::LaneClosed(_) => Phase::LaneClosed,
            Self::OutOfService => Phase::OutOfService,
            Self::Emergency(_) => Phase::Emergency,
            Self::Fault(_) => Phase::Fault,
            Self::Stopped => Phase::Stopped,
        }
    }

    /// The state's deadline, if it has one.
    pub fn deadline(&self) -> Option<Instant> {
        match self {
            Self::Idle(s) => s.loiter_deadline,
            Self::ReadingDocument(s) => Some(s.deadline),
            Self::CheckingBorderDb(s) => Some(s.deadline),
            Self::AwaitingConsent(s) => Some(s.deadline),
            Self::Entering(s) => Some(s.deadline),
            Self::ClosingEntry(s) => Some(s.deadline),
            Self::Verifying(s) => Some(s.deadline),
            Self::Exiting(s) => Some(s.deadline),
            Self::ClosingExit(s) => Some(s.deadline),
            Self::Referred(s) => Some(s.deadline),
            Self::AwaitingOfficer(s) => Some(s.deadline),
            Self::Emergency(s) => Some(s.deadline),
            Self::Fault(s) => Some(s.deadline),
            Self::LaneClosed(_) | Self::OutOfService | Self::Stopped => None,
        }
    }

    /// The passage in progress and its accepted document, as far as the state holds them.
    fn progress(&self) -> (Option<&Passage>, Option<&AcceptedDocument>) {
        match self {
            Self::ReadingDocument(s) => (Some(&s.passage), None),
            Self::CheckingBorderDb(s) => (Some(&s.passage), Some(&s.doc)),
            Self::AwaitingConsent(s) => (Some(&s.passage), Some(&s.doc)),
            Self::Entering(s) => (Some(&s.passage), Some(&s.doc)),
            Self::ClosingEntry(s) => (Some(&s.passage), Some(&s.doc)),
            Self::Verifying(s) => (Some(&s.passage), Some(&s.doc)),
            Self::Exiting(s) => (s.passage.as_ref(), None),
            _ => (None, None),
        }
    }

    /// The passage in progress, if the state holds one.
    pub fn passage(&self) -> Option<&Passage> {
        self.progress().0
    }

    /// The accepted document of the passage in progress, if there is one.
    pub fn document(&self) -> Option<&AcceptedDocument> {
        self.progress().1
    }

    /// Tickets of jobs still running (to cancel when leaving the state early).
    pub fn running_jobs(&self) -> Vec<Ticket> {
        match self {
            Self::ReadingDocument(s) => vec![s.ticket],
            Self::CheckingBorderDb(s) => vec![s.ticket],
            Self::ClosingEntry(s) => s.capture.as_ref().map(Capture::running).unwrap_or_default(),
            Self::Verifying(s) => {
                let mut v = Vec::new();
                if s.face.result.is_none() {
                    v.push(s.face.ticket);
                }
                if let Some(pad) = &s.pad {
                    if pad.result.is_none() {
                        v.push(pad.ticket);
                    }
                }
                v
            }
            _ => Vec::new(),
        }
    }
}
