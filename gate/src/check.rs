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

use crate::command::{AuditEvent, Command, DoorAction, PassageId};
use crate::config::{ConsentMode, DoorSafeState, GateConfig, Layout, LivenessMode};
use crate::date::CivilDate;
use crate::eligibility::{AgeBand, Direction, Outcome};
use crate::gate::Gate;
use crate::input::{Input, OfficerCommand, SensorEvent, Zone};
use crate::phase::Phase;
use crate::policy::{BorderDbMode, EligibilityPolicy, PaStrictness};
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
    /// The entry was commanded open while another traveller's passage was still in the
    /// lane (overlap): two people could end up in the mantrap.
    #[error("entry opened while {live} passages were live (phase {phase})")]
    EntryOpenedWhileLaneBusy {
        /// Passages started and not ended.
        live: usize,
        /// The phase after the step.
        phase: Phase,
    },
    /// The entry was first opened for a traveller who waited at the entry reader while
    /// the mantrap or zone C was occupied or unreported, or before the exit was reported
    /// closed behind the previous traveller.
    #[error("entry opened for the waiting traveller before the lane was free (phase {phase})")]
    EntryOpenedBeforeLaneFree {
        /// The phase after the step.
        phase: Phase,
    },
    /// The entry was first opened for a traveller while the mantrap or zone C was
    /// occupied or unreported, or the exit not commanded closed or reported open: two
    /// people could end up in the mantrap.
    #[error("entry opened for a traveller onto an occupied lane (phase {phase})")]
    EntryOpenedOntoOccupiedLane {
        /// The phase after the step.
        phase: Phase,
    },
    /// A job result that no live passage awaits (stale, duplicate, cancelled or never
    /// issued) made the gate do something other than record it.
    #[error("a stale result for ticket {ticket} acted: {command}")]
    StaleResultActed {
        /// The result's ticket.
        ticket: Ticket,
        /// The command it caused.
        command: String,
    },
}

/// One traveller's passage as the model follows it: its job tickets and verdicts. A
/// passage begins with the gate's `PassageStarted` record and ends with its
/// `PassageEnded`; the chip read belongs to the newest passage, the face and PAD jobs to
/// the oldest (the one in the lane).
#[derive(Debug, Clone, Default)]
struct Chain {
    passage: Option<PassageId>,
    chip: Option<Ticket>,
    borderdb: Option<Ticket>,
    face: Option<Ticket>,
    pad: Option<Ticket>,
    document_ok: bool,
    borderdb_ok: bool,
    face_ok: bool,
    pad_ok: bool,
    /// Only the first result for a ticket counts (later ones are stale), and a cancelled
    /// job's result is stale: chip, borderdb, face, PAD.
    answered: [bool; 4],
    /// The traveller said yes to the consent question since the chip read started.
    consented: bool,
    /// Started while another passage was live: the traveller waited at the entry.
    waited: bool,
    /// The entry has been opened for this passage.
    entry_opened: bool,
}

impl Chain {
    fn tickets(&self) -> [Option<Ticket>; 4] {
        [self.chip, self.borderdb, self.face, self.pad]
    }

    /// Whether `ticket` is the unanswered job of slot `k` (chip, borderdb, face, PAD).
    fn awaits(&self, k: usize, ticket: Ticket) -> bool {
        self.tickets()[k] == Some(ticket) && !self.answered[k]
    }
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
    /// Live passages, oldest first.
    chains: Vec<Chain>,
    /// The chain whose chip result came in this step (a border database query follows it).
    step_chip_chain: Option<PassageKey>,
    /// This step's input is a job result no live passage awaits.
    step_stale: Option<Ticket>,
    /// What the exit's position sensor last reported: closed or not (`None` before any
    /// report).
    exit_reported_closed: Option<bool>,
    /// The current step may open the exit: it brought the decisive verdict or an
    /// officer's release.
    step_may_open_exit: bool,
    /// `Some(emergency active)` once the gate was seen stopped.
    stopped_in_emergency: Option<bool>,
    /// The first drain (the gate's start-up commands) has been seen.
    started: bool,
    /// The highest ticket issued so far.
    high_ticket: Option<Ticket>,
}

/// Which chain: by passage id (`None` for a chain the model opened itself).
type PassageKey = Option<PassageId>;

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
/// field and of the rule table, and written apart from `policy::evaluate` and
/// `RuleTable::decide` (and from `CivilDate::age_on`), so that an eligibility bug in the
/// gate opens an exit the model did not authorise. Only the yes/no matters here; which
/// reason a refusal carries is the policy's own business.
fn may_pass(
    policy: &EligibilityPolicy,
    facts: &DocumentFacts,
    direction: Direction,
    today: CivilDate,
) -> bool {
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
    // Completed years: the birthday of this year has come (a 29 February birthday
    // completes on 1 March in a common year).
    let age = facts.birth_date.map(|born| {
        let (y, m, d) = ymd(born);
        let (ty, tm, td) = ymd(today);
        let birthday_passed = (tm, td) >= (m, d);
        i32::from(ty) - i32::from(y) - i32::from(!birthday_passed)
    });
    // The rule table: the first row all of whose stated criteria hold decides.
    let table = &policy.rules;
    let member = |group: &Option<String>, code| {
        group.as_ref().is_none_or(|name| {
            table
                .groups
                .iter()
                .any(|g| &g.name == name && g.members.contains(code))
        })
    };
    let in_band = |band: AgeBand| match (band, age) {
        (AgeBand::Any, _) => true,
        (AgeBand::Unknown, a) => a.is_none(),
        (AgeBand::Years { .. }, None) => false,
        (AgeBand::Years { min, max }, Some(a)) => {
            a >= i32::from(min) && max.is_none_or(|m| a <= i32::from(m))
        }
    };
    let outcome = table
        .rules
        .iter()
        .find(|r| {
            r.documents.as_ref().is_none_or(|k| k.contains(&facts.kind))
                && member(&r.nationality, &facts.nationality)
                && member(&r.issuing_state, &facts.issuing_state)
                && in_band(r.age)
                && r.direction.is_none_or(|d| d == direction)
        })
        .map_or(table.default, |r| r.outcome);
    authentic
        && not_a_copy
        && facts.chip_refusal.is_none()
        && facts.mrz_matches_dg1
        && valid
        && outcome == Outcome::Allow
}

impl SafetyModel {
    /// A model for a gate built from `config`.
    pub fn new(config: &GateConfig) -> Self {
        Self {
            config: config.clone(),
            doors: [Seen::Unknown; 2],
            zones: [None; 3],
            emergency_inputs: (false, false),
            chains: Vec::new(),
            step_chip_chain: None,
            step_stale: None,
            exit_reported_closed: None,
            step_may_open_exit: false,
            stopped_in_emergency: None,
            started: false,
            high_ticket: None,
        }
    }

    fn all_verified(&self, c: &Chain) -> bool {
        c.document_ok
            && (self.config.eligibility.borderdb == BorderDbMode::Off || c.borderdb_ok)
            && c.face_ok
            && (self.config.liveness == LivenessMode::NotChecked || c.pad_ok)
    }

    /// The chain awaiting `ticket` in slot `k`, by index.
    fn awaiting(&self, k: usize, ticket: Ticket) -> Option<usize> {
        self.chains.iter().position(|c| c.awaits(k, ticket))
    }

    /// Records result `k` for `ticket`; returns the chain's index if a live passage
    /// awaited it, else marks the step's input stale.
    fn answer(&mut self, k: usize, ticket: Ticket) -> Option<usize> {
        let i = self.awaiting(k, ticket);
        match i {
            Some(i) => self.chains[i].answered[k] = true,
            None => self.step_stale = Some(ticket),
        }
        i
    }

    /// The newest chain, opened by the model if the gate started a job without a
    /// passage.
    fn newest(&mut self) -> &mut Chain {
        if self.chains.is_empty() {
            self.chains.push(Chain::default());
        }
        let last = self.chains.len() - 1;
        &mut self.chains[last]
    }

    /// The oldest chain: the passage in the lane.
    fn oldest(&mut self) -> &mut Chain {
        if self.chains.is_empty() {
            self.chains.push(Chain::default());
        }
        &mut self.chains[0]
    }

    /// Records an input about to be fed to the gate; starts a step.
    pub fn observe_input(&mut self, input: &Input) {
        self.step_may_open_exit = false;
        self.step_chip_chain = None;
        self.step_stale = None;
        match input {
            Input::Sensor(SensorEvent::Zone { zone, occupied }) => {
                self.zones[zone_idx(*zone)] = Some(*occupied);
            }
            Input::Sensor(SensorEvent::Door {
                door: DoorId::Exit,
                closed,
            }) => self.exit_reported_closed = Some(*closed),
            Input::Sensor(SensorEvent::Door {
                door: DoorId::Entry,
                closed: true,
            }) => {
                // Early capture: an attempt decided while the entry closed opens the exit
                // once the entry reports closed.
                let c = self.chains.first();
                self.step_may_open_exit = c.is_some_and(|c| self.all_verified(c));
            }
            Input::Sensor(SensorEvent::FireAlarm(on)) => self.emergency_inputs.0 = *on,
            Input::Sensor(SensorEvent::EmergencyButton(on)) => self.emergency_inputs.1 = *on,
            Input::DateChanged(date) => self.config.today = *date,
            Input::DocumentVerdict { ticket, verdict } => {
                if let Some(i) = self.answer(0, *ticket) {
                    let ok = match verdict {
                        DocumentVerdict::Read(facts) => may_pass(
                            &self.config.eligibility,
                            facts,
                            self.config.direction,
                            self.config.today,
                        ),
                        DocumentVerdict::Refused(_) => false,
                    };
                    self.chains[i].document_ok = ok;
                    self.step_chip_chain = Some(self.chains[i].passage);
                }
            }
            Input::BorderDbResult { ticket, result } => {
                if let Some(i) = self.answer(1, *ticket) {
                    self.chains[i].borderdb_ok = *result == BorderDbResult::Clear;
                }
            }
            Input::FaceVerdict { ticket, verdict } => {
                if let Some(i) = self.answer(2, *ticket) {
                    self.chains[i].face_ok = verdict.failure().is_none();
                    // Only the passage in the lane (the oldest) may open the exit.
                    self.step_may_open_exit = i == 0 && self.all_verified(&self.chains[0]);
                }
            }
            Input::PadVerdict { ticket, verdict } => {
                if let Some(i) = self.answer(3, *ticket) {
                    self.chains[i].pad_ok = matches!(verdict, PadVerdict::Live { .. });
                    self.step_may_open_exit = i == 0 && self.all_verified(&self.chains[0]);
                }
            }
            Input::Officer(OfficerCommand::ReleaseExit) => self.step_may_open_exit = true,
            Input::Consent(yes) => {
                if let Some(c) = self.chains.first_mut() {
                    c.consented |= *yes;
                }
            }
            _ => {}
        }
    }

    /// Starts a step that is a call to [`Gate::handle_timeout`].
    pub fn observe_timeout(&mut self) {
        self.step_may_open_exit = false;
        self.step_chip_chain = None;
        self.step_stale = None;
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
        if let Some(ticket) = self.step_stale {
            if !matches!(command, Command::Audit(_)) {
                return Err(Violation::StaleResultActed {
                    ticket,
                    command: format!("{command:?}"),
                });
            }
        }
        match command {
            Command::Audit(AuditEvent::PassageStarted { passage }) => {
                // A passage that does not begin with the lane reading its document waits at
                // the entry while the lane is busy.
                let waited = !self.chains.is_empty() || phase != Phase::ReadingDocument;
                self.chains.push(Chain {
                    passage: Some(*passage),
                    waited,
                    ..Chain::default()
                });
            }
            Command::Audit(AuditEvent::PassageEnded { passage, .. }) => {
                self.chains.retain(|c| c.passage != Some(*passage));
            }
            Command::CancelJob { ticket } => {
                for c in &mut self.chains {
                    for (k, t) in c.tickets().into_iter().enumerate() {
                        if t == Some(*ticket) {
                            c.answered[k] = true;
                        }
                    }
                }
            }
            Command::StartChipRead { ticket } => {
                let c = self.newest();
                c.chip = Some(*ticket);
                c.answered = [false; 4];
                c.document_ok = false;
                c.borderdb_ok = false;
                c.face_ok = false;
                c.pad_ok = false;
                c.consented = false;
            }
            Command::StartBorderDb { ticket } => {
                let key = self.step_chip_chain;
                let i = self
                    .chains
                    .iter()
                    .position(|c| Some(c.passage) == key)
                    .unwrap_or(self.chains.len().saturating_sub(1));
                if self.chains.is_empty() {
                    self.chains.push(Chain::default());
                }
                let c = &mut self.chains[i];
                c.borderdb = Some(*ticket);
                c.answered[1] = false;
                c.borderdb_ok = false;
            }
            Command::StartFaceMatch { ticket } => {
                let explicit = self.config.consent.mode == ConsentMode::Explicit;
                let c = self.oldest();
                if explicit && !c.consented {
                    return Err(Violation::CaptureWithoutConsent { phase });
                }
                c.face = Some(*ticket);
                c.answered[2] = false;
                c.face_ok = false;
            }
            Command::StartPad { ticket } => {
                let c = self.oldest();
                c.pad = Some(*ticket);
                c.answered[3] = false;
                c.pad_ok = false;
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
                        if *door == DoorId::Entry
                            && !self.fail_safe_exception(phase, Some(DoorId::Entry))
                        {
                            self.check_entry_open(phase)?;
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

    /// The entry opens for one traveller at a time (overlap), and the first time it opens
    /// for a passage the mantrap (zone B) and the exit (zone C) are clear and the exit is
    /// commanded closed and not reported open: never two people in the mantrap. For a traveller who waited at
    /// the entry, the exit must also have been reported closed behind the one ahead.
    fn check_entry_open(&mut self, phase: Phase) -> Result<(), Violation> {
        let live = self.chains.len();
        if live > 1 {
            return Err(Violation::EntryOpenedWhileLaneBusy { live, phase });
        }
        let free = !self.occupied(Zone::B)
            && !self.occupied(Zone::C)
            && matches!(self.doors[idx(DoorId::Exit)], Seen::Closed | Seen::Locked)
            && self.exit_reported_closed != Some(false);
        let exit_reported_closed = self.exit_reported_closed == Some(true);
        if let Some(c) = self.chains.first_mut() {
            let first = !c.entry_opened;
            c.entry_opened = true;
            if first && c.waited && !(free && exit_reported_closed) {
                return Err(Violation::EntryOpenedBeforeLaneFree { phase });
            }
            if first && !free {
                return Err(Violation::EntryOpenedOntoOccupiedLane { phase });
            }
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
