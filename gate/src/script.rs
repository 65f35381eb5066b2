//! Scripted passages: one traveller model that drives a [`Gate`] the way a lane would.
//!
//! A [`Script`] plays every party around the gate. It is the door controller (zone
//! reports, and a door position report echoing each door command, as a working door
//! sends), the chip reader, the border databases, the camera and the matcher: it remembers the
//! [`Ticket`] of the latest job of each kind the gate started ([`Jobs`]) and answers with
//! it. Virtual time moves with each traveller action at a traveller's pace (a chip read
//! takes 2.5 s, walking into the mantrap 1.5 s, ...), well inside the default timeouts.
//!
//! Its users are the gate's scenario tests (with every step checked by a
//! [`SafetyModel`], [`Script::checked`]), the gate's criterion benchmarks and the
//! daemon's `egate bench gate` / `egate bench passage` ([`Script::new`]): one passage for
//! all three, so a benchmark figure and a scenario test speak of the same inputs.
//!
//! It is in the public API rather than behind a cargo feature because the daemon's
//! `egate bench` is part of the production binary: a `testkit` feature would be on in
//! every build and hide nothing. Like [`crate::check`] it is pure (no I/O, no clock) and
//! adds no dependency; the gate itself never uses it.
//!
//! ```
//! use std::time::Instant;
//! use gate::script::{Keep, Script, MATCH};
//! use gate::{GateConfig, Phase};
//!
//! let config = GateConfig::two_step(gate::script::today());
//! let mut lane = Script::new(config, Instant::now(), Keep::Audit);
//! lane.clear_lane()?;
//! lane.ready_for_face()?;
//! assert!(lane.decide(MATCH)?, "the match opens the exit");
//!
//! let mut lane = Script::checked(GateConfig::one_step(gate::script::today()), Instant::now(), Keep::All)?;
//! lane.clear_lane()?;
//! lane.genuine_passage()?;
//! assert_eq!(lane.gate.phase(), Phase::Idle);
//! # Ok::<(), gate::script::ScriptError>(())
//! ```

use std::time::{Duration, Instant};

use crate::check::{SafetyModel, Violation};
use crate::command::{AuditEvent, Command, DoorAction, JobKind};
use crate::config::{GateConfig, Layout, LivenessMode};
use crate::date::CivilDate;
use crate::gate::Gate;
use crate::input::{Input, SensorEvent, Zone};
use crate::phase::Phase;
use crate::policy::BorderDbMode;
use crate::verdict::{
    BorderDbResult, ChipAuthOutcome, CountryCode, DocumentFacts, DocumentKind, DocumentVerdict,
    DoorId, FaceVerdict, PaOutcome, PadVerdict, Pseudonym, Ticket,
};

/// A face match well above its threshold.
pub const MATCH: FaceVerdict = FaceVerdict::Match {
    score: 0.71,
    threshold: 0.5,
};

/// A face that does not match.
pub const NO_MATCH: FaceVerdict = FaceVerdict::NoMatch {
    score: 0.12,
    threshold: 0.5,
};

/// A live presentation.
pub const LIVE: PadVerdict = PadVerdict::Live { score: 0.93 };

/// The exit-open command: the decision a genuine passage waits for.
const EXIT_OPEN: Command = Command::Door {
    door: DoorId::Exit,
    action: DoorAction::Open,
};

/// The date scripts run on: 2026-11-26.
pub fn today() -> CivilDate {
    CivilDate::new(2026, 11, 26).expect("2026-11-26 is a date")
}

/// A genuine adult's valid German passport (ICAO 9303-3 §5: Germany is `D<<`), read,
/// trusted and authenticated, as the gate sees it after a good chip read (eligible on
/// [`today`]).
pub fn genuine_facts() -> DocumentFacts {
    DocumentFacts {
        kind: DocumentKind::Passport,
        issuing_state: CountryCode::new("D<<").expect("D<< is a country code"),
        nationality: CountryCode::new("D<<").expect("D<< is a country code"),
        birth_date: Some(CivilDate::new(1990, 5, 17).expect("1990-05-17 is a date")),
        expiry: CivilDate::new(2031, 3, 1).expect("2031-03-01 is a date"),
        pa: PaOutcome::Trusted,
        chip_auth: ChipAuthOutcome::Passed,
        chip_refusal: None,
        mrz_matches_dg1: true,
        pseudonym: Pseudonym("hmac:3f9a".into()),
    }
}

/// The report a working door sends after `command`, if it is a door command: closed
/// unless it was told to open.
#[inline]
pub fn door_echo(command: &Command) -> Option<Input> {
    match *command {
        Command::Door { door, action } => Some(Input::Sensor(SensorEvent::Door {
            door,
            closed: action != DoorAction::Open,
        })),
        _ => None,
    }
}

/// The tickets of the jobs the gate has started: the latest of each kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Jobs {
    /// The latest [`Command::StartChipRead`].
    pub chip_read: Option<Ticket>,
    /// The latest [`Command::StartBorderDb`].
    pub borderdb: Option<Ticket>,
    /// The latest [`Command::StartFaceMatch`].
    pub face_match: Option<Ticket>,
    /// The latest [`Command::StartPad`].
    pub pad: Option<Ticket>,
}

impl Jobs {
    /// Notes the ticket of `command` if it starts a job.
    #[inline]
    pub fn note(&mut self, command: &Command) {
        let Some((kind, ticket)) = command.started_job() else {
            return;
        };
        let latest = match kind {
            JobKind::ChipRead => &mut self.chip_read,
            JobKind::BorderDb => &mut self.borderdb,
            JobKind::FaceMatch => &mut self.face_match,
            JobKind::Pad => &mut self.pad,
        };
        *latest = Some(ticket);
    }

    /// The latest ticket of a job kind, or why there is none.
    pub fn ticket(&self, kind: JobKind) -> Result<Ticket, ScriptError> {
        match kind {
            JobKind::ChipRead => self.chip_read,
            JobKind::BorderDb => self.borderdb,
            JobKind::FaceMatch => self.face_match,
            JobKind::Pad => self.pad,
        }
        .ok_or(ScriptError::NotStarted(kind))
    }
}

/// Which of the gate's commands a [`Script`] keeps in [`Script::log`] once it has acted
/// on them (tickets noted, doors echoed).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Keep {
    /// None: each is passed through [`std::hint::black_box`] and dropped, so a benchmark
    /// cannot have their making optimised away.
    #[default]
    Nothing,
    /// The [`Command::Audit`] events (what the daemon writes to its trail).
    Audit,
    /// Every command, in order.
    All,
}

/// Why a script could not go on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ScriptError {
    /// The script has to answer a job the gate never started.
    #[error("the gate has not started a {} job", .0.as_str())]
    NotStarted(JobKind),
    /// [`Script::run_to_deadline`] with no deadline pending.
    #[error("no deadline pending in phase {0}")]
    NoDeadline(Phase),
    /// The safety model of a [`Script::checked`] found a breach.
    #[error("safety violation after {after}: {violation}")]
    Violation {
        /// The input (its `Debug` form), `start` or `timeout`.
        after: String,
        /// The breach.
        violation: Violation,
    },
}

/// A gate driven by a script. See the module documentation.
#[derive(Debug)]
pub struct Script {
    /// The gate.
    pub gate: Gate,
    /// Virtual time: every input is fed at `now`.
    pub now: Instant,
    /// When the script started.
    pub t0: Instant,
    /// The jobs the gate started.
    pub jobs: Jobs,
    /// Echo door commands as door position reports (a door that works); on by default.
    /// Off, a door stays where it was reported last, as if it were stuck or still moving.
    pub echo_doors: bool,
    /// The commands kept (see [`Keep`]).
    pub log: Vec<Command>,
    keep: Keep,
    /// Boxed: most scripts (the benchmarks') have none, and a benchmark moves the script.
    model: Option<Box<SafetyModel>>,
}

impl Script {
    /// A new gate at `now`, its start-up commands drained. Nothing checks the commands:
    /// the fastest way through, for benchmarks.
    pub fn new(config: GateConfig, now: Instant, keep: Keep) -> Self {
        let mut script = Self::with(Gate::new(config, now), now, keep, None);
        // Unchecked, draining cannot fail: only a safety model reports errors.
        let _ = script.drain();
        script
    }

    /// A new gate at `now` whose every step, start-up included, is checked by a
    /// [`SafetyModel`]: an action that breaches a safety invariant returns
    /// [`ScriptError::Violation`].
    pub fn checked(config: GateConfig, now: Instant, keep: Keep) -> Result<Self, ScriptError> {
        let mut model = SafetyModel::new(&config);
        let mut gate = Gate::new(config, now);
        let start = model
            .drain(&mut gate)
            .map_err(|violation| ScriptError::Violation {
                after: "start".into(),
                violation,
            })?;
        let mut script = Self::with(gate, now, keep, Some(Box::new(model)));
        script.record(start)?;
        Ok(script)
    }

    fn with(gate: Gate, now: Instant, keep: Keep, model: Option<Box<SafetyModel>>) -> Self {
        Self {
            gate,
            now,
            t0: now,
            jobs: Jobs::default(),
            echo_doors: true,
            log: Vec::new(),
            keep,
            model,
        }
    }

    /// Virtual time since the start.
    pub fn elapsed(&self) -> Duration {
        self.now - self.t0
    }

    /// Whether the lane is two-step (entry door, mantrap, exit door).
    pub fn two_step_layout(&self) -> bool {
        self.gate.config().layout == Layout::TwoStep
    }

    /// The audit events kept (with [`Keep::Audit`] or [`Keep::All`]).
    pub fn audits(&self) -> impl Iterator<Item = &AuditEvent> {
        self.log.iter().filter_map(|c| match c {
            Command::Audit(e) => Some(e),
            _ => None,
        })
    }

    // ---- driving --------------------------------------------------------------------

    /// Feeds one input at `now` and drains every command: job tickets noted, doors
    /// echoed (each echo fed in turn, depth first), commands kept.
    pub fn feed(&mut self, input: Input) -> Result<(), ScriptError> {
        match &mut self.model {
            None => {
                self.gate.handle(self.now, input);
                self.drain()
            }
            Some(model) => {
                let after = format!("{input:?}");
                let commands = model
                    .step(&mut self.gate, self.now, Some(input))
                    .map_err(|violation| ScriptError::Violation { after, violation })?;
                self.record(commands)
            }
        }
    }

    /// Feeds a sensor report.
    pub fn sensor(&mut self, event: SensorEvent) -> Result<(), ScriptError> {
        self.feed(Input::Sensor(event))
    }

    /// Feeds a zone report.
    pub fn zone(&mut self, zone: Zone, occupied: bool) -> Result<(), ScriptError> {
        self.sensor(SensorEvent::Zone { zone, occupied })
    }

    /// The door controller reports every zone clear: a new gate goes idle.
    pub fn clear_lane(&mut self) -> Result<(), ScriptError> {
        for zone in [Zone::A, Zone::B, Zone::C] {
            self.zone(zone, false)?;
        }
        Ok(())
    }

    /// Jumps virtual time to the gate's next deadline and fires it.
    pub fn run_to_deadline(&mut self) -> Result<(), ScriptError> {
        let at = self
            .gate
            .poll_timeout()
            .ok_or(ScriptError::NoDeadline(self.gate.phase()))?;
        self.now = self.now.max(at);
        match &mut self.model {
            None => {
                self.gate.handle_timeout(self.now);
                self.drain()
            }
            Some(model) => {
                let commands = model
                    .step(&mut self.gate, self.now, None)
                    .map_err(|violation| ScriptError::Violation {
                        after: "timeout".into(),
                        violation,
                    })?;
                self.record(commands)
            }
        }
    }

    /// Advances virtual time by `d`, firing every deadline on the way.
    pub fn advance(&mut self, d: Duration) -> Result<(), ScriptError> {
        let end = self.now + d;
        while let Some(at) = self.gate.poll_timeout() {
            if at > end {
                break;
            }
            self.run_to_deadline()?;
        }
        self.now = end;
        Ok(())
    }

    /// Drains the gate's commands (the unchecked way). This path is what the benchmarks
    /// time, so it stays thin and inlined: little more than a bare poll loop.
    #[inline]
    fn drain(&mut self) -> Result<(), ScriptError> {
        let mut echoes = Vec::new();
        while let Some(command) = self.gate.poll_command() {
            self.take(command, &mut echoes);
        }
        self.echo(echoes)
    }

    /// Acts on the commands of a checked step.
    fn record(&mut self, commands: Vec<Command>) -> Result<(), ScriptError> {
        let mut echoes = Vec::new();
        for command in commands {
            self.take(command, &mut echoes);
        }
        self.echo(echoes)
    }

    /// Acts on one command: ticket noted, door echoed, command kept.
    #[inline]
    fn take(&mut self, command: Command, echoes: &mut Vec<Input>) {
        self.jobs.note(&command);
        if self.echo_doors {
            if let Some(echo) = door_echo(&command) {
                echoes.push(echo);
            }
        }
        self.keep(command);
    }

    /// Keeps a command, or drops it, as [`Keep`] says.
    #[inline]
    fn keep(&mut self, command: Command) {
        match self.keep {
            Keep::Nothing => {
                std::hint::black_box(command);
            }
            Keep::Audit if !matches!(command, Command::Audit(_)) => {}
            Keep::Audit | Keep::All => self.log.push(command),
        }
    }

    /// Feeds the door reports of a step, each with its own commands, in order.
    #[inline]
    fn echo(&mut self, echoes: Vec<Input>) -> Result<(), ScriptError> {
        for echo in echoes {
            self.feed(echo)?;
        }
        Ok(())
    }

    // ---- the traveller and the jobs --------------------------------------------------

    /// The traveller steps up to the reader (zone A; in a one-step lane also zone B) and
    /// presents the document.
    pub fn present(&mut self) -> Result<(), ScriptError> {
        self.zone(Zone::A, true)?;
        if !self.two_step_layout() {
            self.zone(Zone::B, true)?;
        }
        self.feed(Input::DocumentPresented)
    }

    /// 2.5 s later the chip read answers.
    pub fn chip(&mut self, verdict: DocumentVerdict) -> Result<(), ScriptError> {
        self.now += Duration::from_millis(2500);
        let ticket = self.jobs.ticket(JobKind::ChipRead)?;
        self.feed(Input::DocumentVerdict { ticket, verdict })
    }

    /// 0.3 s later the border database answers.
    pub fn borderdb(&mut self, result: BorderDbResult) -> Result<(), ScriptError> {
        self.now += Duration::from_millis(300);
        let ticket = self.jobs.ticket(JobKind::BorderDb)?;
        self.feed(Input::BorderDbResult { ticket, result })
    }

    /// Presents a document that reads as `facts` and, if the gate asks the border databases,
    /// is clear.
    pub fn document_ok(&mut self, facts: DocumentFacts) -> Result<(), ScriptError> {
        self.present()?;
        self.chip(DocumentVerdict::Read(facts))?;
        if self.gate.config().eligibility.borderdb == BorderDbMode::Required
            && self.gate.phase() == Phase::CheckingBorderDb
        {
            self.borderdb(BorderDbResult::Clear)?;
        }
        Ok(())
    }

    /// Two-step: 1.5 s later the traveller is in the mantrap, alone, zone A clear.
    pub fn walk_in(&mut self) -> Result<(), ScriptError> {
        self.now += Duration::from_millis(1500);
        self.zone(Zone::B, true)?;
        self.zone(Zone::A, false)
    }

    /// 0.8 s later the face match answers.
    pub fn face(&mut self, verdict: FaceVerdict) -> Result<(), ScriptError> {
        self.now += Duration::from_millis(800);
        let ticket = self.jobs.ticket(JobKind::FaceMatch)?;
        self.feed(Input::FaceVerdict { ticket, verdict })
    }

    /// The presentation attack detection answers.
    pub fn pad(&mut self, verdict: PadVerdict) -> Result<(), ScriptError> {
        self.feed(Input::PadVerdict {
            ticket: self.jobs.ticket(JobKind::Pad)?,
            verdict,
        })
    }

    /// One capture attempt: the PAD verdict (if the gate requires liveness), then the
    /// face verdict.
    pub fn attempt(&mut self, face: FaceVerdict, pad: PadVerdict) -> Result<(), ScriptError> {
        if self.gate.config().liveness == LivenessMode::Required {
            self.pad(pad)?;
        }
        self.face(face)
    }

    /// The traveller walks out through the exit: zone C, then B clear, 0.8 s later C
    /// clear.
    pub fn walk_out(&mut self) -> Result<(), ScriptError> {
        self.now += Duration::from_millis(1200);
        self.zone(Zone::C, true)?;
        self.zone(Zone::B, false)?;
        self.now += Duration::from_millis(800);
        self.zone(Zone::C, false)
    }

    /// The traveller walks back out through the entry (two-step) or away from the
    /// reader (one-step).
    pub fn walk_back(&mut self) -> Result<(), ScriptError> {
        self.now += Duration::from_millis(1500);
        if self.two_step_layout() {
            self.zone(Zone::A, true)?;
        }
        self.zone(Zone::B, false)?;
        self.zone(Zone::A, false)
    }

    /// A genuine traveller up to the face verdict: the document read and clear, in a
    /// two-step lane walked into the mantrap, the presentation live. The face match job
    /// is running; [`Script::decide`] or [`Script::face`] answers it.
    pub fn ready_for_face(&mut self) -> Result<(), ScriptError> {
        self.document_ok(genuine_facts())?;
        if self.two_step_layout() {
            self.walk_in()?;
        }
        if self.gate.config().liveness == LivenessMode::Required {
            self.pad(LIVE)?;
        }
        Ok(())
    }

    /// A genuine traveller from the reader to the far side: [`Script::ready_for_face`],
    /// a matching face, [`Script::walk_out`].
    pub fn genuine_passage(&mut self) -> Result<(), ScriptError> {
        self.ready_for_face()?;
        self.face(MATCH)?;
        self.walk_out()
    }

    /// The decision, as a benchmark times it: feeds the face verdict at `now` (no time
    /// passes) and polls commands only until the exit-open command, leaving the rest in
    /// the gate. Returns whether the exit opened. Commands polled before it are kept,
    /// but not acted on. A [`Script::checked`] drains and acts on the whole step.
    pub fn decide(&mut self, verdict: FaceVerdict) -> Result<bool, ScriptError> {
        let ticket = self.jobs.ticket(JobKind::FaceMatch)?;
        let input = Input::FaceVerdict { ticket, verdict };
        if let Some(model) = &mut self.model {
            let after = format!("{input:?}");
            let commands = model
                .step(&mut self.gate, self.now, Some(input))
                .map_err(|violation| ScriptError::Violation { after, violation })?;
            let opened = commands.contains(&EXIT_OPEN);
            self.record(commands)?;
            return Ok(opened);
        }
        self.gate.handle(self.now, input);
        while let Some(command) = self.gate.poll_command() {
            if command == EXIT_OPEN {
                return Ok(true);
            }
            self.keep(command);
        }
        Ok(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_genuine_passage_ends_idle_on_both_layouts() {
        for config in [GateConfig::two_step(today()), GateConfig::one_step(today())] {
            let mut lane = Script::checked(config, Instant::now(), Keep::All).expect("start");
            lane.clear_lane().expect("clear");
            assert_eq!(lane.gate.phase(), Phase::Idle);
            lane.genuine_passage().expect("passage");
            assert_eq!(lane.gate.phase(), Phase::Idle);
            assert_eq!(lane.log.iter().filter(|c| **c == EXIT_OPEN).count(), 1);
        }
    }

    #[test]
    fn decide_opens_the_exit_unchecked_and_checked() {
        let now = Instant::now();
        let mut plain = Script::new(GateConfig::two_step(today()), now, Keep::Audit);
        plain.clear_lane().expect("clear");
        plain.ready_for_face().expect("ready");
        assert!(plain.decide(MATCH).expect("decide"));
        assert!(plain.log.iter().all(|c| matches!(c, Command::Audit(_))));
        let mut checked =
            Script::checked(GateConfig::two_step(today()), now, Keep::Nothing).expect("start");
        checked.clear_lane().expect("clear");
        checked.ready_for_face().expect("ready");
        assert!(checked.decide(MATCH).expect("decide"));
        assert!(checked.log.is_empty());
    }

    #[test]
    fn answering_a_job_never_started_is_an_error() {
        let mut lane = Script::new(GateConfig::two_step(today()), Instant::now(), Keep::Nothing);
        lane.clear_lane().expect("clear");
        assert_eq!(
            lane.face(MATCH),
            Err(ScriptError::NotStarted(JobKind::FaceMatch))
        );
        assert_eq!(
            lane.run_to_deadline(),
            Err(ScriptError::NoDeadline(Phase::Idle))
        );
    }
}
