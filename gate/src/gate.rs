//! The [`Gate`]: public surface, input dispatch, deadlines and shared transitions.
//!
//! The passage itself is in `passage.rs`; sensors, anomalies, emergencies, faults and
//! officers in `events.rs`.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crate::command::{AuditEvent, Command, JobKind, Lamp, PassageOutcome};
use crate::config::{DoorSafeState, GateConfig, Layout};
use crate::doors::Doors;
use crate::input::Input;
use crate::phase::Phase;
use crate::reason::{MessageCode, ReasonCode};
use crate::sensors::Sensors;
use crate::state::{Idle, LaneClosed, Passage, Rest, State, Waiting};
use crate::verdict::{DoorId, Ticket};

/// Running totals for metrics (`egate_*`). Never reset by the gate.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counters {
    /// Passages started (documents presented and accepted for reading).
    pub passages: u64,
    /// Passages that ended with the traveller verified and through.
    pub accepted: u64,
    /// Passages released by an officer.
    pub released: u64,
    /// Passages referred.
    pub referred: u64,
    /// Passages cut short (emergency, fault, shutdown, reset).
    pub aborted: u64,
    /// Attempts, all steps (ISO/IEC 19795-2).
    pub attempts: u64,
    /// Transactions, all steps (ISO/IEC 19795-2).
    pub transactions: u64,
    /// Job results dropped because their ticket was no longer current.
    pub stale_results: u64,
    /// Inputs that made no sense in the phase they arrived in.
    pub unexpected_inputs: u64,
}

/// The sans-IO gate state machine. See the crate documentation for the driver loop.
#[derive(Debug)]
pub struct Gate {
    pub(crate) config: GateConfig,
    pub(crate) state: State,
    pub(crate) phase_since: Instant,
    pub(crate) sensors: Sensors,
    pub(crate) doors: Doors,
    pub(crate) out: VecDeque<Command>,
    next_ticket: u64,
    next_passage: u64,
    pub(crate) after_passage: Option<Rest>,
    lamp: Option<Lamp>,
    pub(crate) counters: Counters,
    /// The accessible mode is on for the passage in progress (or the next one).
    pub(crate) assisted: bool,
    /// Overlap: the next traveller's passage, waiting at the entry reader.
    pub(crate) waiting: Option<Waiting>,
}

/// `now + d`, saturating instead of panicking far in the future.
pub(crate) fn later(now: Instant, d: Duration) -> Instant {
    now.checked_add(d).unwrap_or(now)
}

impl Gate {
    /// Builds the gate. At start the doors go to the configured safe state (a restart
    /// after a crash may find a traveller in the lane); they close for normal service
    /// as soon as the controller reports their zones clear.
    pub fn new(mut config: GateConfig, now: Instant) -> Self {
        config.attempts.chip_read = config.attempts.chip_read.max(1);
        config.attempts.capture = config.attempts.capture.max(1);
        let doors = Doors::new(config.layout);
        let mut gate = Self {
            config,
            state: State::Stopped,
            phase_since: now,
            sensors: Sensors::default(),
            doors,
            out: VecDeque::new(),
            next_ticket: 1,
            next_passage: 1,
            after_passage: None,
            lamp: None,
            counters: Counters::default(),
            assisted: false,
            waiting: None,
        };
        gate.apply_safe_state(ReasonCode::Startup);
        gate.enter_rest(now);
        gate
    }

    /// Feeds one input at time `now`. Never panics; inputs that make no sense in the
    /// current phase are audited and counted.
    pub fn handle(&mut self, now: Instant, input: Input) {
        if matches!(self.state, State::Stopped) {
            // Terminal, except that a safe-state lock still waits for its zone to clear.
            if let Input::Sensor(crate::input::SensorEvent::Zone { zone, occupied }) = input {
                self.sensors.set_zone(zone, occupied);
                self.doors.on_zones(&self.sensors, &mut self.out);
                self.retry_safe_opens();
            } else {
                self.unexpected(&input);
            }
            return;
        }
        match input {
            Input::Sensor(event) => self.on_sensor(now, event),
            Input::DocumentPresented => self.on_document_presented(now),
            Input::DocumentVerdict { ticket, verdict } => {
                self.on_document_verdict(now, ticket, verdict)
            }
            Input::BorderDbResult { ticket, result } => {
                self.on_borderdb_result(now, ticket, result)
            }
            Input::FaceVerdict { ticket, verdict } => self.on_face_verdict(now, ticket, verdict),
            Input::PadVerdict { ticket, verdict } => self.on_pad_verdict(now, ticket, verdict),
            Input::Consent(yes) => self.on_consent(now, yes),
            Input::Assistance => {
                self.assisted = true;
                self.audit(AuditEvent::Assisted);
            }
            Input::Officer(command) => self.on_officer(now, command),
            Input::DateChanged(date) => {
                self.config.today = date;
                self.audit(AuditEvent::DateChanged { date });
            }
            Input::Shutdown => self.shutdown(now),
        }
    }

    /// Acts on the current deadline if `now` has reached it; otherwise does nothing.
    pub fn handle_timeout(&mut self, now: Instant) {
        match self.state.deadline() {
            Some(deadline) if now >= deadline => self.on_deadline(now),
            _ => {}
        }
        match self.waiting.as_ref().and_then(Waiting::deadline) {
            Some(deadline) if now >= deadline => self.on_waiting_deadline(now),
            _ => {}
        }
    }

    /// When [`Gate::handle_timeout`] must next be called. `Some` in every phase that is
    /// not at rest ([`Phase::is_at_rest`]), and while a waiting passage runs a job.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let waiting = self.waiting.as_ref().and_then(Waiting::deadline);
        match (self.state.deadline(), waiting) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// The next command for the outside world, in order. Drain it after every `handle*`.
    pub fn poll_command(&mut self) -> Option<Command> {
        self.out.pop_front()
    }

    /// The current phase.
    pub fn phase(&self) -> Phase {
        self.state.phase()
    }

    /// Why the gate is where it is, for the console: the referral, officer call, lane
    /// closure, emergency or fault reason; `None` otherwise.
    pub fn reason(&self) -> Option<ReasonCode> {
        match &self.state {
            State::Referred(s) => Some(s.reason),
            State::AwaitingOfficer(s) => Some(s.reason),
            State::LaneClosed(s) => Some(s.reason),
            State::Emergency(s) => Some(s.reason),
            State::Fault(s) => Some(s.reason),
            State::OutOfService => Some(ReasonCode::OutOfService),
            _ => None,
        }
    }

    /// The passage in progress and how long it has run, for the console.
    pub fn passage(&self, now: Instant) -> Option<(crate::command::PassageId, Duration)> {
        self.state
            .passage()
            .map(|p| (p.id, now.saturating_duration_since(p.started)))
    }

    /// Overlap: the passage of the traveller waiting at the entry reader, if any, and
    /// whether their document is already accepted (they only wait for the mantrap).
    pub fn waiting(&self) -> Option<(crate::command::PassageId, bool)> {
        self.waiting.as_ref().map(|w| {
            let ready = matches!(w.step, crate::state::WaitingStep::Ready { .. });
            (w.passage.id, ready)
        })
    }

    /// The keyed pseudonym of the accepted document of the passage in progress (between
    /// the eligibility decision and the face decision), for the console.
    pub fn current_pseudonym(&self) -> Option<&crate::verdict::Pseudonym> {
        self.state.document().map(|d| &d.pseudonym)
    }

    /// When the current phase began.
    pub fn phase_since(&self) -> Instant {
        self.phase_since
    }

    /// Running totals for metrics.
    pub fn counters(&self) -> Counters {
        self.counters
    }

    /// The configuration in force (with today's date as last set).
    pub fn config(&self) -> &GateConfig {
        &self.config
    }

    // ---- shared helpers -------------------------------------------------------------

    pub(crate) fn emit(&mut self, command: Command) {
        self.out.push_back(command);
    }

    pub(crate) fn audit(&mut self, event: AuditEvent) {
        self.out.push_back(Command::Audit(event));
    }

    pub(crate) fn message(&mut self, message: MessageCode) {
        self.out.push_back(Command::ShowMessage(message));
    }

    pub(crate) fn alarm(&mut self, reason: ReasonCode) {
        self.out.push_back(Command::RaiseAlarm(reason));
    }

    pub(crate) fn new_ticket(&mut self) -> Ticket {
        let t = Ticket(self.next_ticket);
        self.next_ticket = self.next_ticket.saturating_add(1);
        t
    }

    pub(crate) fn new_passage(&mut self, now: Instant) -> Passage {
        let id = crate::command::PassageId(self.next_passage);
        self.next_passage = self.next_passage.saturating_add(1);
        self.counters.passages += 1;
        Passage {
            id,
            started: now,
            face_reached: false,
        }
    }

    /// Records an input that makes no sense now.
    pub(crate) fn unexpected(&mut self, input: &Input) {
        self.unexpected_kind(input.kind());
    }

    /// Records an input (by [`Input::kind`]) that makes no sense now.
    pub(crate) fn unexpected_kind(&mut self, input: &'static str) {
        self.counters.unexpected_inputs += 1;
        let phase = self.phase();
        self.audit(AuditEvent::UnexpectedInput { phase, input });
    }

    /// Drops a job result whose ticket is not the one awaited: stale if the gate issued
    /// it earlier, unexpected if it never did.
    pub(crate) fn drop_result(&mut self, job: JobKind, ticket: Ticket, input: &'static str) {
        if ticket.0 < self.next_ticket {
            self.counters.stale_results += 1;
            self.audit(AuditEvent::StaleResult { job, ticket });
        } else {
            self.unexpected_kind(input);
        }
    }

    /// Replaces the state, auditing the phase change and setting the lamp.
    pub(crate) fn set_state(&mut self, now: Instant, state: State) {
        let from = self.state.phase();
        let to = state.phase();
        self.state = state;
        if from != to {
            let after = now.saturating_duration_since(self.phase_since);
            self.phase_since = now;
            self.audit(AuditEvent::PhaseChanged { from, to, after });
        }
        if self.waiting.is_some() && !crate::overlap::lane_on_its_way_out(to) {
            // The lane left the previous traveller's normal way out: the waiting
            // traveller cannot follow (the callers that can say why do so first).
            let reason = self.reason().unwrap_or(ReasonCode::PassageTimeout);
            self.abort_waiting(now, reason);
        }
        let lamp = match to {
            Phase::Idle | Phase::Exiting => Lamp::Green,
            Phase::ReadingDocument
            | Phase::CheckingBorderDb
            | Phase::AwaitingConsent
            | Phase::Entering
            | Phase::ClosingEntry
            | Phase::Verifying
            | Phase::ClosingExit => Lamp::Amber,
            Phase::Referred
            | Phase::AwaitingOfficer
            | Phase::LaneClosed
            | Phase::OutOfService
            | Phase::Emergency
            | Phase::Fault => Lamp::Red,
            Phase::Stopped => Lamp::Off,
        };
        if self.lamp != Some(lamp) {
            self.lamp = Some(lamp);
            self.emit(Command::Lamp(lamp));
        }
    }

    /// Cancels the jobs of the current state.
    pub(crate) fn cancel_jobs(&mut self) {
        for ticket in self.state.running_jobs() {
            self.emit(Command::CancelJob { ticket });
        }
    }

    /// Records the end of a passage.
    /// The traveller's step timeout `d`, longer in the accessible mode.
    pub(crate) fn traveller_time(&self, d: Duration) -> Duration {
        if self.assisted {
            d.mul_f64(self.config.assisted_factor.clamp(1.0, 10.0))
        } else {
            d
        }
    }

    /// Whether the accessible mode is on.
    pub fn assisted(&self) -> bool {
        self.assisted
    }

    pub(crate) fn end_passage(&mut self, now: Instant, passage: &Passage, outcome: PassageOutcome) {
        self.assisted = false;
        self.record_passage_end(now, passage, outcome);
    }

    /// Counts and audits the end of a passage (the lane's or a waiting one).
    pub(crate) fn record_passage_end(
        &mut self,
        now: Instant,
        passage: &Passage,
        outcome: PassageOutcome,
    ) {
        match outcome {
            PassageOutcome::Accepted => self.counters.accepted += 1,
            PassageOutcome::ReleasedByOfficer => self.counters.released += 1,
            PassageOutcome::Referred(_) => self.counters.referred += 1,
            PassageOutcome::Aborted(_) => self.counters.aborted += 1,
        }
        let liveness = passage.liveness(self.config.liveness);
        self.audit(AuditEvent::PassageEnded {
            passage: passage.id,
            outcome,
            liveness,
            took: now.saturating_duration_since(passage.started),
        });
    }

    /// Cancels jobs and ends the passage in progress (if any) as aborted.
    pub(crate) fn abort_current(&mut self, now: Instant, reason: ReasonCode) {
        self.cancel_jobs();
        if let Some(passage) = self.state.passage().cloned() {
            self.end_passage(now, &passage, PassageOutcome::Aborted(reason));
        }
    }

    /// Sends the doors to the configured safe state: every door open while a fire alarm
    /// or the emergency button is active; otherwise locks first (each once its zone is
    /// clear), then opens. A door configured open waits for the interlock (the other door
    /// closed) unless both are configured open, the documented fail-safe exception.
    pub(crate) fn apply_safe_state(&mut self, cause: ReasonCode) {
        let safe = self.config.safe_state;
        if !self.sensors.emergency_active() {
            for (door, wanted) in [(DoorId::Entry, safe.entry), (DoorId::Exit, safe.exit)] {
                if wanted == DoorSafeState::Locked {
                    self.doors.close(door, true, &self.sensors, &mut self.out);
                }
            }
        }
        self.retry_safe_opens();
        self.audit(AuditEvent::SafeState { cause });
    }

    /// Opens the doors the safe state wants open, as far as the interlock allows.
    pub(crate) fn retry_safe_opens(&mut self) {
        let safe = self.config.safe_state;
        let emergency = self.sensors.emergency_active();
        let bypass =
            emergency || (safe.entry == DoorSafeState::Open && safe.exit == DoorSafeState::Open);
        for (door, wanted) in [(DoorId::Entry, safe.entry), (DoorId::Exit, safe.exit)] {
            if emergency || wanted == DoorSafeState::Open {
                let _ = self.doors.open(door, bypass, &mut self.out);
            }
        }
    }

    /// Goes to the resting state a finished passage leads to: a scheduled lane closure or
    /// out-of-service, a lane closed by mains loss, or idle.
    pub(crate) fn enter_rest(&mut self, now: Instant) {
        match self.after_passage.take() {
            Some(Rest::OutOfService) => {
                self.abort_waiting(now, ReasonCode::OutOfService);
                self.enter_out_of_service(now)
            }
            Some(Rest::LaneClosed(reason)) => {
                self.abort_waiting(now, reason);
                self.enter_lane_closed(now, reason)
            }
            None if self.sensors.mains_lost => {
                self.abort_waiting(now, ReasonCode::MainsLost);
                self.enter_lane_closed(now, ReasonCode::MainsLost)
            }
            None => match self.waiting.take() {
                Some(waiting) => self.promote_waiting(now, waiting),
                None => self.enter_idle(now),
            },
        }
    }

    pub(crate) fn enter_idle(&mut self, now: Instant) {
        self.doors
            .close(DoorId::Entry, false, &self.sensors, &mut self.out);
        self.doors
            .close(DoorId::Exit, false, &self.sensors, &mut self.out);
        self.set_state(
            now,
            State::Idle(Idle {
                loiter_deadline: None,
                reported: false,
            }),
        );
        self.message(MessageCode::PresentDocument);
        self.update_loiter(now);
    }

    pub(crate) fn enter_lane_closed(&mut self, now: Instant, reason: ReasonCode) {
        self.lock_doors();
        self.set_state(now, State::LaneClosed(LaneClosed { reason }));
        self.message(MessageCode::LaneClosed);
    }

    pub(crate) fn enter_out_of_service(&mut self, now: Instant) {
        self.lock_doors();
        self.set_state(now, State::OutOfService);
        self.message(MessageCode::OutOfService);
    }

    fn lock_doors(&mut self) {
        self.doors
            .close(DoorId::Entry, true, &self.sensors, &mut self.out);
        self.doors
            .close(DoorId::Exit, true, &self.sensors, &mut self.out);
    }

    /// Idle: (re)arms the loitering timer from zones A and B.
    pub(crate) fn update_loiter(&mut self, now: Instant) {
        let occupied = self.sensors.reported_occupied(crate::input::Zone::A)
            || self.sensors.reported_occupied(crate::input::Zone::B);
        let loiter = self.config.timeouts.loiter;
        if let State::Idle(idle) = &mut self.state {
            if !occupied {
                idle.loiter_deadline = None;
                idle.reported = false;
            } else if idle.loiter_deadline.is_none() && !idle.reported {
                idle.loiter_deadline = Some(later(now, loiter));
            }
        }
    }

    pub(crate) fn is_two_step(&self) -> bool {
        self.config.layout == Layout::TwoStep
    }
}
