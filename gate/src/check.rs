//! A reusable safety model: it watches the inputs fed to a [`Gate`] and the commands it
//! emits, tracks the commanded door positions and the reported zones on its own, and
//! reports any breach of the crate's safety invariants.
//!
//! Used by the property tests, the fuzz target and the scenario harness; the daemon's
//! simulator tests can use it too. It shares no state with the gate: it only sees what
//! an observer of the command stream would see (plus [`Gate::phase`] and
//! [`Gate::poll_timeout`]).
//!
//! ```
//! use std::time::Instant;
//! use gate::{check::SafetyModel, CivilDate, Gate, GateConfig, Input};
//!
//! let config = GateConfig::two_step(CivilDate::new(2026, 11, 26).unwrap());
//! let now = Instant::now();
//! let mut model = SafetyModel::new(&config);
//! let mut gate = Gate::new(config, now);
//! model.drain(&mut gate).unwrap();
//! model.step(&mut gate, now, Some(Input::DocumentPresented)).unwrap();
//! ```

#[doc(hidden)]
pub mod arbitrary;

use std::time::Instant;

use crate::command::{Command, DoorAction};
use crate::config::{ConsentMode, DoorSafeState, GateConfig, Layout, LivenessMode};
use crate::date::CivilDate;
use crate::gate::Gate;
use crate::input::{Input, OfficerCommand, SensorEvent, Zone};
use crate::phase::Phase;
use crate::policy::{Allow, BorderDbMode, EligibilityPolicy, PaStrictness};
use crate::verdict::{
    BorderDbResult, ChipAuthOutcome, DocumentFacts, DocumentVerdict, DoorId, PaOutcome, PadVerdict,
    Ticket,
};

/// A breach of a safety invariant.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Violation {
    /// The exit was commanded open without an accept for the current tickets, an
    /// officer's release, or an emergency / fail-safe exception.
    #[error("exit opened without an accept for the current tickets or an officer release (phase {phase})")]
    UnauthorizedExit {
        /// The phase after the step.
        phase: Phase,
    },
    /// A face capture was started with explicit consent configured and no yes from the
    /// traveller since the document was presented.
    #[error("face capture started without the traveller's consent (phase {phase})")]
    CaptureWithoutConsent {
        /// The phase after the step.
        phase: Phase,
    },
    /// Both doors of a two-step lane commanded open outside the documented exceptions.
    #[error("both doors commanded open in phase {phase}")]
    BothDoorsOpen {
        /// The phase after the step.
        phase: Phase,
    },
    /// A door was commanded to close while its zone was occupied or never reported.
    #[error("{door:?} commanded to close while its zone was occupied or unreported")]
    ClosedOnOccupiedZone {
        /// The door.
        door: DoorId,
    },
    /// A phase that is not at rest has no deadline.
    #[error("phase {phase} has no deadline")]
    NoDeadline {
        /// The phase.
        phase: Phase,
    },
    /// A door is not where the emergency or the safe state requires.
    #[error("{door:?} is not in the required safe position in phase {phase}")]
    NotSafe {
        /// The door.
        door: DoorId,
        /// The phase.
        phase: Phase,
    },
    /// A job was started with a ticket not greater than every earlier one.
    #[error("ticket {ticket} issued out of order")]
    TicketReused {
        /// The ticket.
        ticket: Ticket,
    },
    /// A one-step lane was asked to move an entry door it does not have.
    #[error("one-step lane commanded the entry door")]
    NoEntryDoor,
}

/// A door's position as commanded, seen from the command stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Seen {
    Unknown,
    Open,
    Closed,
    Locked,
}

/// The observer. See the module documentation.
#[derive(Debug, Clone)]
pub struct SafetyModel {
    config: GateConfig,
    doors: [Seen; 2],
    zones: [Option<bool>; 3],
    emergency_inputs: (bool, bool),
    last_chip: Option<Ticket>,
    last_borderdb: Option<Ticket>,
    last_face: Option<Ticket>,
    last_pad: Option<Ticket>,
    document_ok: bool,
    borderdb_ok: bool,
    face_ok: bool,
    pad_ok: bool,
    /// Only the first result for a ticket counts (later ones are stale): chip,
    /// borderdb, face, PAD.
    answered: [bool; 4],
    /// The current step may open the exit: it brought the decisive verdict or an
    /// officer's release.
    step_may_open_exit: bool,
    /// `Some(emergency active)` once the gate was seen stopped.
    stopped_in_emergency: Option<bool>,
    /// The first drain (the gate's start-up commands) has been seen.
    started: bool,
    /// The highest ticket issued so far.
    high_ticket: Option<Ticket>,
    /// The traveller said yes to the consent question since the last chip read started.
    consented: bool,
}

fn idx(door: DoorId) -> usize {
    match door {
        DoorId::Entry => 0,
        DoorId::Exit => 1,
    }
}

fn zone_idx(zone: Zone) -> usize {
    match zone {
        Zone::A => 0,
        Zone::B => 1,
        Zone::C => 2,
    }
}

/// Who may pass, stated again from the documented meaning of each [`EligibilityPolicy`]
/// field and written apart from `policy::evaluate` (and from `CivilDate::age_on`), so that
/// an eligibility bug in the gate opens an exit the model did not authorise. Only the
/// yes/no matters here; which reason a refusal carries is the policy's own business.
fn may_pass(policy: &EligibilityPolicy, facts: &DocumentFacts, today: CivilDate) -> bool {
    let ymd = |d: CivilDate| (d.year(), d.month(), d.day());
    // PA (ICAO 9303-11 §5.1): a failed PA never passes; an untrusted CSCA only when allowed.
    let authentic = match facts.pa {
        PaOutcome::Trusted => true,
        PaOutcome::UntrustedCsca => policy.pa == PaStrictness::AllowUntrustedCsca,
        PaOutcome::Failed | PaOutcome::DsRevoked | PaOutcome::CrlStale => false,
    };
    // AA/CA (§6.1, §6.2): a failed one never passes; a chip without either only when the
    // policy does not require it.
    let not_a_copy = match facts.chip_auth {
        ChipAuthOutcome::Passed => true,
        ChipAuthOutcome::NotSupported => !policy.require_chip_authentication,
        ChipAuthOutcome::Failed => false,
    };
    // Valid through the expiry date itself.
    let valid = !policy.require_valid_document || ymd(today) <= ymd(facts.expiry);
    let listed = |allow: &Allow<_>, code| match allow {
        Allow::Any => true,
        Allow::Only(list) => list.contains(code),
    };
    // Completed years: the birthday of this year has come (a 29 February birthday
    // completes on 1 March in a common year).
    let old_enough = policy.minimum_age == 0
        || facts.birth_date.is_some_and(|born| {
            let (y, m, d) = ymd(born);
            let (ty, tm, td) = ymd(today);
            let birthday_passed = (tm, td) >= (m, d);
            let age = i32::from(ty) - i32::from(y) - i32::from(!birthday_passed);
            age >= i32::from(policy.minimum_age)
        });
    authentic
        && not_a_copy
        && facts.chip_refusal.is_none()
        && facts.mrz_matches_dg1
        && valid
        && policy.document_kinds.contains(&facts.kind)
        && listed(&policy.issuing_states, &facts.issuing_state)
        && listed(&policy.nationalities, &facts.nationality)
        && old_enough
}

impl SafetyModel {
    /// A model for a gate built from `config`.
    pub fn new(config: &GateConfig) -> Self {
        Self {
            config: config.clone(),
            doors: [Seen::Unknown; 2],
            zones: [None; 3],
            emergency_inputs: (false, false),
            last_chip: None,
            last_borderdb: None,
            last_face: None,
            last_pad: None,
            document_ok: false,
            borderdb_ok: false,
            face_ok: false,
            pad_ok: false,
            answered: [false; 4],
            step_may_open_exit: false,
            stopped_in_emergency: None,
            started: false,
            high_ticket: None,
            consented: false,
        }
    }

    fn all_verified(&self) -> bool {
        self.document_ok
            && (self.config.eligibility.borderdb == BorderDbMode::Off || self.borderdb_ok)
            && self.face_ok
            && (self.config.liveness == LivenessMode::NotChecked || self.pad_ok)
    }

    /// Records an input about to be fed to the gate; starts a step.
    pub fn observe_input(&mut self, input: &Input) {
        self.step_may_open_exit = false;
        match input {
            Input::Sensor(SensorEvent::Zone { zone, occupied }) => {
                self.zones[zone_idx(*zone)] = Some(*occupied);
            }
            Input::Sensor(SensorEvent::FireAlarm(on)) => self.emergency_inputs.0 = *on,
            Input::Sensor(SensorEvent::EmergencyButton(on)) => self.emergency_inputs.1 = *on,
            Input::DateChanged(date) => self.config.today = *date,
            Input::DocumentVerdict { ticket, verdict }
                if Some(*ticket) == self.last_chip && !self.answered[0] =>
            {
                self.answered[0] = true;
                self.document_ok = match verdict {
                    DocumentVerdict::Read(facts) => {
                        may_pass(&self.config.eligibility, facts, self.config.today)
                    }
                    DocumentVerdict::Refused(_) => false,
                };
            }
            Input::BorderDbResult { ticket, result }
                if Some(*ticket) == self.last_borderdb && !self.answered[1] =>
            {
                self.answered[1] = true;
                self.borderdb_ok = *result == BorderDbResult::Clear;
            }
            Input::FaceVerdict { ticket, verdict }
                if Some(*ticket) == self.last_face && !self.answered[2] =>
            {
                self.answered[2] = true;
                self.face_ok = verdict.failure().is_none();
                self.step_may_open_exit = self.all_verified();
            }
            Input::PadVerdict { ticket, verdict }
                if Some(*ticket) == self.last_pad && !self.answered[3] =>
            {
                self.answered[3] = true;
                self.pad_ok = matches!(verdict, PadVerdict::Live { .. });
                self.step_may_open_exit = self.all_verified();
            }
            Input::Officer(OfficerCommand::ReleaseExit) => self.step_may_open_exit = true,
            Input::Consent(yes) => self.consented |= *yes,
            _ => {}
        }
    }

    /// Starts a step that is a call to [`Gate::handle_timeout`].
    pub fn observe_timeout(&mut self) {
        self.step_may_open_exit = false;
    }

    fn emergency_inputs_active(&self) -> bool {
        self.emergency_inputs.0 || self.emergency_inputs.1
    }

    /// Whether opening doors regardless of the interlock is allowed in `phase`.
    fn fail_safe_exception(&self, phase: Phase, door: Option<DoorId>) -> bool {
        if phase == Phase::Emergency || self.emergency_inputs_active() {
            return true;
        }
        // Start-up (the doors go to the safe state) and faults, shutdown.
        if !self.started || matches!(phase, Phase::Fault | Phase::Stopped) {
            let safe = self.config.safe_state;
            return match door {
                Some(DoorId::Entry) => safe.entry == DoorSafeState::Open,
                Some(DoorId::Exit) => safe.exit == DoorSafeState::Open,
                None => safe.entry == DoorSafeState::Open && safe.exit == DoorSafeState::Open,
            };
        }
        false
    }

    fn occupied(&self, zone: Zone) -> bool {
        self.zones[zone_idx(zone)] != Some(false)
    }

    /// Checks one command; `phase` is the gate's phase after the step that emitted it.
    pub fn observe_command(&mut self, phase: Phase, command: &Command) -> Result<(), Violation> {
        if let Command::StartChipRead { ticket }
        | Command::StartBorderDb { ticket }
        | Command::StartFaceMatch { ticket }
        | Command::StartPad { ticket } = command
        {
            // Tickets are strictly increasing, so a stale result can never match.
            if self.high_ticket.is_some_and(|high| *ticket <= high) {
                return Err(Violation::TicketReused { ticket: *ticket });
            }
            self.high_ticket = Some(*ticket);
        }
        match command {
            Command::StartChipRead { ticket } => {
                self.last_chip = Some(*ticket);
                self.answered = [false; 4];
                self.document_ok = false;
                self.borderdb_ok = false;
                self.face_ok = false;
                self.pad_ok = false;
                self.consented = false;
            }
            Command::StartBorderDb { ticket } => {
                self.last_borderdb = Some(*ticket);
                self.answered[1] = false;
                self.borderdb_ok = false;
            }
            Command::StartFaceMatch { ticket } => {
                if self.config.consent.mode == ConsentMode::Explicit && !self.consented {
                    return Err(Violation::CaptureWithoutConsent { phase });
                }
                self.last_face = Some(*ticket);
                self.answered[2] = false;
                self.face_ok = false;
            }
            Command::StartPad { ticket } => {
                self.last_pad = Some(*ticket);
                self.answered[3] = false;
                self.pad_ok = false;
            }
            Command::Door { door, action } => {
                if self.config.layout == Layout::OneStep && *door == DoorId::Entry {
                    return Err(Violation::NoEntryDoor);
                }
                let before = self.doors[idx(*door)];
                match action {
                    DoorAction::Open => {
                        if *door == DoorId::Exit
                            && !self.step_may_open_exit
                            && !self.fail_safe_exception(phase, Some(DoorId::Exit))
                        {
                            return Err(Violation::UnauthorizedExit { phase });
                        }
                        self.doors[idx(*door)] = Seen::Open;
                    }
                    DoorAction::Close | DoorAction::Lock => {
                        let moving = matches!(before, Seen::Open | Seen::Unknown);
                        let guard = match door {
                            DoorId::Entry => Zone::A,
                            DoorId::Exit => Zone::C,
                        };
                        if moving && self.occupied(guard) {
                            return Err(Violation::ClosedOnOccupiedZone { door: *door });
                        }
                        self.doors[idx(*door)] = if *action == DoorAction::Lock {
                            Seen::Locked
                        } else {
                            Seen::Closed
                        };
                    }
                }
                if self.config.layout == Layout::TwoStep
                    && self.doors == [Seen::Open, Seen::Open]
                    && !self.fail_safe_exception(phase, None)
                {
                    return Err(Violation::BothDoorsOpen { phase });
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// Checks the invariants that hold between steps.
    pub fn check_state(&self, gate: &Gate) -> Result<(), Violation> {
        let phase = gate.phase();
        if !phase.is_at_rest() && gate.poll_timeout().is_none() {
            return Err(Violation::NoDeadline { phase });
        }
        let doors: &[DoorId] = match self.config.layout {
            Layout::TwoStep => &[DoorId::Entry, DoorId::Exit],
            Layout::OneStep => &[DoorId::Exit],
        };
        let all_open = phase == Phase::Emergency
            || (phase == Phase::Stopped && self.stopped_in_emergency == Some(true));
        for door in doors {
            let seen = self.doors[idx(*door)];
            if all_open {
                if seen != Seen::Open {
                    return Err(Violation::NotSafe { door: *door, phase });
                }
            } else if matches!(phase, Phase::Fault | Phase::Stopped) {
                let (wanted, guard) = match door {
                    DoorId::Entry => (self.config.safe_state.entry, Zone::A),
                    DoorId::Exit => (self.config.safe_state.exit, Zone::C),
                };
                let other = match door {
                    DoorId::Entry => self.doors[idx(DoorId::Exit)],
                    DoorId::Exit => self.doors[idx(DoorId::Entry)],
                };
                let interlocked = self.config.layout == Layout::TwoStep
                    && !matches!(other, Seen::Closed | Seen::Locked);
                let ok = match wanted {
                    // Opening waits for the interlock unless both doors are fail-safe open.
                    DoorSafeState::Open => seen == Seen::Open || interlocked,
                    // Locking waits for the zone to clear.
                    DoorSafeState::Locked => seen == Seen::Locked || self.occupied(guard),
                };
                if !ok {
                    return Err(Violation::NotSafe { door: *door, phase });
                }
            }
        }
        Ok(())
    }

    /// Drains the gate's commands through the model, then checks the state.
    pub fn drain(&mut self, gate: &mut Gate) -> Result<Vec<Command>, Violation> {
        let phase = gate.phase();
        if phase == Phase::Stopped && self.stopped_in_emergency.is_none() {
            self.stopped_in_emergency = Some(self.emergency_inputs_active());
        }
        let mut commands = Vec::new();
        while let Some(command) = gate.poll_command() {
            self.observe_command(phase, &command)?;
            commands.push(command);
        }
        self.started = true;
        self.check_state(gate)?;
        Ok(commands)
    }

    /// One step: feeds `input` (or, with `None`, calls `handle_timeout`) at `now`, then
    /// drains and checks. Returns the commands of the step.
    pub fn step(
        &mut self,
        gate: &mut Gate,
        now: Instant,
        input: Option<Input>,
    ) -> Result<Vec<Command>, Violation> {
        match input {
            Some(input) => {
                self.observe_input(&input);
                gate.handle(now, input);
            }
            None => {
                self.observe_timeout();
                gate.handle_timeout(now);
            }
        }
        self.drain(gate)
    }
}
