//! Everything the gate asks of the outside world, polled with [`crate::Gate::poll_command`].

use std::fmt;
use std::time::Duration;

use crate::config::OccupancyAction;
use crate::date::CivilDate;
use crate::input::{Device, OfficerCommand};
use crate::phase::Phase;
use crate::reason::{MessageCode, ReasonCode};
use crate::verdict::{ChipAuthOutcome, DoorId, PaOutcome, Pseudonym, Ticket};

crate::named_enum! {
    /// What to do with a door.
    pub enum DoorAction {
        /// Open it.
        Open => "open",
        /// Close it (unlocked). Also unlocks a locked door.
        Close => "close",
        /// Close and lock it.
        Lock => "lock",
    }
}

crate::named_enum! {
    serde;
    /// The lane's signal lamp, seen from the entry side.
    pub enum Lamp {
        /// Off (stopped).
        Off => "off",
        /// Free, or proceed.
        Green => "green",
        /// Busy: a passage is in progress.
        Amber => "amber",
        /// Stop: closed, referred, fault or emergency.
        Red => "red",
    }
}

crate::named_enum! {
    /// The kind of a background job, for audit events about tickets.
    pub enum JobKind {
        /// Chip read + PA (+ AA/CA).
        ChipRead => "chip_read",
        /// Border database query.
        BorderDb => "borderdb",
        /// Face capture + 1:1 match.
        FaceMatch => "face_match",
        /// Presentation attack detection.
        Pad => "pad",
    }
}

/// Identifies one passage (one traveller's transaction with the gate) in the audit trail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PassageId(pub u64);

impl fmt::Display for PassageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "P{}", self.0)
    }
}

crate::named_enum! {
    /// A step of the passage that has attempts and a transaction (ISO/IEC 19795-2).
    pub enum Step {
        /// Chip read, PA, AA/CA.
        DocumentRead => "document_read",
        /// Border database query.
        BorderDb => "borderdb",
        /// Face capture, liveness and match.
        Face => "face",
    }
}

crate::named_enum! {
    /// Whether liveness took part in a passage's decision. Recorded on every passage, so
    /// "not checked" can never be mistaken for "checked".
    pub enum Liveness {
        /// A PAD verdict took part in the decision.
        Checked => "checked",
        /// Configured `NotChecked`: no PAD ran, and the record says so on every passage.
        NotChecked => "not_checked",
        /// Liveness is required, but the passage ended before the face step.
        NotReached => "not_reached",
    }
}

/// How a passage ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PassageOutcome {
    /// Verified and through the exit.
    Accepted,
    /// An officer released the exit.
    ReleasedByOfficer,
    /// Referred with a reason.
    Referred(ReasonCode),
    /// Cut short by an emergency, fault, shutdown or reset.
    Aborted(ReasonCode),
}

/// One attempt of a step (ISO/IEC 19795-2), as the audit trail records it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AttemptRecord {
    /// The passage.
    pub passage: PassageId,
    /// The step.
    pub step: Step,
    /// 1-based attempt number.
    pub attempt: u8,
    /// Attempts allowed.
    pub of: u8,
    /// Why it failed, if it did (`None` is a success).
    pub failure: Option<ReasonCode>,
    /// Face similarity score and threshold, for face attempts with a comparison.
    pub score: Option<(f32, f32)>,
    /// How long it took.
    pub took: Duration,
}

/// A structured audit record. No biometrics, no MRZ, no document number: a pseudonym,
/// reason codes, scores and timings only. The daemon timestamps and chains them.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum AuditEvent {
    /// The accessible mode was turned on for the passage in progress or the next one.
    Assisted,
    /// The phase changed after `after` in the previous one.
    PhaseChanged {
        /// Previous phase.
        from: Phase,
        /// New phase.
        to: Phase,
        /// Time spent in `from`.
        after: Duration,
    },
    /// A document was presented and a passage began.
    PassageStarted {
        /// The passage.
        passage: PassageId,
    },
    /// One attempt of a step ended (`failure: None` is a success).
    Attempt(AttemptRecord),
    /// A step's transaction ended with a decision (`failure: None` is an accept).
    Transaction {
        /// The passage.
        passage: PassageId,
        /// The step.
        step: Step,
        /// Attempts used.
        attempts: u8,
        /// Why it failed, if it did.
        failure: Option<ReasonCode>,
        /// How long the whole transaction took.
        took: Duration,
    },
    /// The chip was read and the eligibility policy decided.
    DocumentDecision {
        /// The passage.
        passage: PassageId,
        /// Keyed pseudonym of the document.
        pseudonym: Pseudonym,
        /// PA outcome.
        pa: PaOutcome,
        /// AA/CA outcome.
        chip_auth: ChipAuthOutcome,
        /// `None` if eligible.
        refusal: Option<ReasonCode>,
        /// The name of the eligibility rule that decided (`default`: the table's default);
        /// `None` when a check before the table (authenticity, validity) refused.
        rule: Option<String>,
    },
    /// A passage ended.
    PassageEnded {
        /// The passage.
        passage: PassageId,
        /// How.
        outcome: PassageOutcome,
        /// Whether liveness took part (always present; `NotChecked` when configured so).
        liveness: Liveness,
        /// From the document being presented to the end.
        took: Duration,
    },
    /// A job result arrived with a ticket the gate no longer waits for; dropped.
    StaleResult {
        /// Kind of the result.
        job: JobKind,
        /// Its ticket.
        ticket: Ticket,
    },
    /// An input made no sense in the current phase; ignored.
    UnexpectedInput {
        /// The phase it arrived in.
        phase: Phase,
        /// [`crate::Input::kind`] of the input.
        input: &'static str,
    },
    /// An occupancy anomaly and what policy did about it.
    Occupancy {
        /// The anomaly.
        reason: ReasonCode,
        /// The configured action.
        action: OccupancyAction,
        /// The phase it happened in.
        phase: Phase,
    },
    /// A device's health changed.
    DeviceHealth {
        /// The device.
        device: Device,
        /// Faulted (`true`) or recovered.
        fault: bool,
    },
    /// An officer's command and whether the gate carried it out.
    OfficerAction {
        /// The command.
        command: OfficerCommand,
        /// The phase it arrived in.
        phase: Phase,
        /// Carried out, or refused as unsafe or meaningless in that phase.
        accepted: bool,
    },
    /// The door interlock refused to open a door while the other one is open.
    InterlockRefused {
        /// The door that stayed closed.
        door: DoorId,
    },
    /// The doors were sent to the configured safe state.
    SafeState {
        /// Why.
        cause: ReasonCode,
    },
    /// The civil date used for age and expiry changed.
    DateChanged {
        /// The new date.
        date: CivilDate,
    },
    /// A building or power condition changed (fire alarm, emergency button, tamper, mains).
    Condition {
        /// Which condition.
        reason: ReasonCode,
        /// Raised (`true`) or cleared.
        active: bool,
    },
}

/// One thing for the daemon to do, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// Move a door.
    Door {
        /// Which door.
        door: DoorId,
        /// What to do.
        action: DoorAction,
    },
    /// Read the presented document's chip (PA, AA/CA); answer with
    /// [`crate::Input::DocumentVerdict`] carrying the same ticket.
    StartChipRead {
        /// The job's ticket.
        ticket: Ticket,
    },
    /// Query the border databases for the document just read; answer with
    /// [`crate::Input::BorderDbResult`].
    StartBorderDb {
        /// The job's ticket.
        ticket: Ticket,
    },
    /// Capture the face and match it against the chip photo; answer with
    /// [`crate::Input::FaceVerdict`].
    StartFaceMatch {
        /// The job's ticket.
        ticket: Ticket,
    },
    /// Run presentation attack detection on the same capture; answer with
    /// [`crate::Input::PadVerdict`]. Issued right after its `StartFaceMatch`.
    StartPad {
        /// The job's ticket.
        ticket: Ticket,
    },
    /// Abandon a job; any result it still produces will be dropped as stale.
    CancelJob {
        /// The job's ticket.
        ticket: Ticket,
    },
    /// Show a message to the traveller.
    ShowMessage(MessageCode),
    /// Show a message at the entry reader to the next traveller, waiting there while the
    /// lane is busy ([`crate::GateConfig::overlap`]); the lane's own display keeps
    /// serving the traveller inside.
    ShowEntryMessage(MessageCode),
    /// Set the lane lamp.
    Lamp(Lamp),
    /// Switch the sounder on or off.
    Sounder(bool),
    /// Put an alarm in the officer's queue.
    RaiseAlarm(ReasonCode),
    /// Record an audit event.
    Audit(AuditEvent),
}

impl Command {
    /// The kind and ticket of the job this command starts, if it starts one.
    pub fn started_job(&self) -> Option<(JobKind, Ticket)> {
        match *self {
            Command::StartChipRead { ticket } => Some((JobKind::ChipRead, ticket)),
            Command::StartBorderDb { ticket } => Some((JobKind::BorderDb, ticket)),
            Command::StartFaceMatch { ticket } => Some((JobKind::FaceMatch, ticket)),
            Command::StartPad { ticket } => Some((JobKind::Pad, ticket)),
            _ => None,
        }
    }
}

impl PassageOutcome {
    /// The stable snake_case name of the outcome (without its reason).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Accepted => "accepted",
            Self::ReleasedByOfficer => "released_by_officer",
            Self::Referred(_) => "referred",
            Self::Aborted(_) => "aborted",
        }
    }

    /// The reason of a referral or abort.
    pub fn reason(self) -> Option<ReasonCode> {
        match self {
            Self::Referred(r) | Self::Aborted(r) => Some(r),
            Self::Accepted | Self::ReleasedByOfficer => None,
        }
    }
}
