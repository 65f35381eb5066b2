//! Throughput of one two-step gate in virtual time, sans-IO: the gate state machine
//! ([`gate::Gate`], every step checked by [`gate::check::SafetyModel`]), the simulated door
//! controller ([`crate::controller::Device`]: door drives with their travel time, the
//! obstruction guard, and [`crate::traveller::Walker`]s whose bodies occupy the zone
//! sensors), and modelled durations for what the lane's jobs take (chip read, borderdb,
//! face step) and for the traveller placing the document on the reader.
//!
//! A queue of genuine travellers never runs dry, so the figure is the lane's capacity. Time
//! is an argument throughout: a run of a few hundred travellers takes milliseconds and the
//! same inputs always give the same figures. The modelled figures and where they come from
//! are in `sim/data/passage-timing.md`.
//!
//! How the next traveller comes forward ([`StepUp`]):
//! - without overlap, once the lane is idle with nobody in it (the lamp turns green);
//! - with overlap, when the entry reader calls them ([`gate::Command::ShowEntryMessage`]
//!   with `present_document`: the traveller ahead has stepped out of the mantrap), or, with
//!   [`StepUp::AsSoonAsAllowed`], as soon as the entry has shut behind the traveller ahead.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use gate::check::SafetyModel;
use gate::script::{genuine_facts, LIVE, MATCH};
use gate::{
    AuditEvent, BorderDbResult, Command, DocumentVerdict, DoorAction, DoorId, Gate, GateConfig,
    Input, JobKind, MessageCode, PassageId, PassageOutcome, Phase, SensorEvent, Ticket,
};
use hardware::door::{Input as Hw, Output};

use crate::controller::rtu::{Pdu, Request};
use crate::controller::{Device, SimControllerConfig};
use crate::traveller::{Place, WalkTimes};

/// The modelled durations of a passage. See `sim/data/passage-timing.md` for each figure's
/// origin.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Durations {
    /// The chip read with passive authentication, from the document placed on the reader.
    pub chip_read: Duration,
    /// The border database query (when the policy requires one).
    pub borderdb: Duration,
    /// The face step: facing the camera, capture, match and PAD.
    pub face_step: Duration,
    /// Placing the document on the reader once at it.
    pub place_document: Duration,
    /// A door leaf's travel, fully open or fully closed.
    pub door_travel: Duration,
    /// How travellers walk.
    pub walk: WalkTimes,
    /// How often the door controller is read (the adapter's poll period).
    pub poll: Duration,
}

/// When the next traveller comes forward to the entry reader with overlap on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepUp {
    /// When the entry reader calls them: the traveller ahead has left the mantrap.
    Called,
    /// As soon as the entry has shut behind the traveller ahead.
    AsSoonAsAllowed,
}

/// The figures of one run.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// Travellers through the exit.
    pub through: usize,
    /// From the first document presented to the last exit closed.
    pub span: Duration,
    /// Each accepted passage, from the document presented to the exit closed behind the
    /// traveller, in order.
    pub passages: Vec<Duration>,
    /// Passages that ended otherwise (a model error for genuine travellers).
    pub not_accepted: usize,
    /// Passages that overlapped the one ahead (the document was presented while it ran).
    pub overlapped: usize,
}

impl Report {
    /// Travellers per hour: the passages after the first over the time between the first
    /// and the last exit closing (the steady state, without the empty lane at the start).
    pub fn per_hour(&self) -> f64 {
        let n = self.through.saturating_sub(1) as f64;
        let span = self.steady_span().as_secs_f64();
        if span > 0.0 {
            n * 3600.0 / span
        } else {
            0.0
        }
    }

    /// Time between the first and the last exit closing.
    pub fn steady_span(&self) -> Duration {
        self.span
            .saturating_sub(self.passages.first().copied().unwrap_or_default())
    }

    /// The `q`-quantile (0..=1) of the accepted passages, nearest rank.
    pub fn quantile(&self, q: f64) -> Duration {
        let mut v = self.passages.clone();
        v.sort();
        if v.is_empty() {
            return Duration::ZERO;
        }
        let i = ((q.clamp(0.0, 1.0) * v.len() as f64).ceil() as usize).clamp(1, v.len()) - 1;
        v[i]
    }
}

/// Why a run stopped.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum RunError {
    /// The safety model found a breach.
    #[error("safety violation at {at:?} after {after}: {violation}")]
    Violation {
        /// Virtual time since the start.
        at: Duration,
        /// The input.
        after: String,
        /// The breach.
        violation: gate::check::Violation,
    },
    /// The lane stopped moving (no traveller got through for a long virtual time).
    #[error("the lane is stuck in {phase} after {at:?}")]
    Stuck {
        /// The gate's phase.
        phase: Phase,
        /// Virtual time since the start.
        at: Duration,
    },
    /// The configuration is not a two-step lane.
    #[error("the throughput model walks a two-step lane")]
    NotTwoStep,
}

/// A job the model will answer at `due`.
#[derive(Debug, Clone, Copy)]
struct Job {
    kind: JobKind,
    due: Instant,
}

/// One lane in virtual time.
struct Lane {
    gate: Gate,
    model: SafetyModel,
    device: Device,
    durations: Durations,
    start: Instant,
    now: Instant,
    jobs: BTreeMap<Ticket, Job>,
    last_inputs: Option<hardware::door::InputSet>,
    next_poll: Instant,
    /// The traveller at the reader places their document until then.
    placing: Option<Instant>,
    /// A traveller at the reader whose document has not started a passage yet.
    at_reader: bool,
    /// The reader called the next traveller forward.
    called: bool,
    presented: BTreeMap<PassageId, Instant>,
    overlapped: usize,
    /// Accepted passages whose exit has not yet closed behind them.
    leaving: Vec<PassageId>,
    report: Report,
    first_presented: Option<Instant>,
    last_exit_closed: Option<Instant>,
}

/// Runs `travellers` genuine travellers through a gate built from `config`.
pub fn run(
    config: GateConfig,
    durations: Durations,
    step_up: StepUp,
    travellers: usize,
) -> Result<Report, RunError> {
    if config.layout != gate::Layout::TwoStep {
        return Err(RunError::NotTwoStep);
    }
    let start = Instant::now();
    let device = Device::new(
        SimControllerConfig {
            door_travel: durations.door_travel,
            walk: durations.walk,
            comms_watchdog: None,
            ..SimControllerConfig::default()
        },
        start,
    );
    let overlap = config.overlap;
    let mut model = SafetyModel::new(&config);
    let mut gate = Gate::new(config, start);
    let first = model
        .drain(&mut gate)
        .map_err(|violation| RunError::Violation {
            at: Duration::ZERO,
            after: "start".into(),
            violation,
        })?;
    let mut lane = Lane {
        gate,
        model,
        device,
        durations,
        start,
        now: start,
        jobs: BTreeMap::new(),
        last_inputs: None,
        next_poll: start,
        placing: None,
        at_reader: false,
        called: false,
        presented: BTreeMap::new(),
        overlapped: 0,
        leaving: Vec::new(),
        report: Report {
            through: 0,
            span: Duration::ZERO,
            passages: Vec::new(),
            not_accepted: 0,
            overlapped: 0,
        },
        first_presented: None,
        last_exit_closed: None,
    };
    lane.act(first);
    let mut arrived = 0usize;
    let stuck_after = Duration::from_secs(120);
    let mut last_progress = start;
    // The controller reports the empty lane before anyone steps up.
    lane.advance()?;
    while lane.report.through + lane.report.not_accepted < travellers {
        let done = lane.report.through + lane.report.not_accepted;
        if lane.at_reader && !lane.device.state().travellers.contains(&Place::AtEntry) {
            // They gave up waiting at the entry.
            lane.at_reader = false;
            lane.placing = None;
        }
        // The next traveller comes forward when the lane lets them.
        if arrived < travellers && !lane.at_reader && lane.may_step_up(overlap, step_up) {
            lane.device.add_traveller(lane.now);
            lane.at_reader = true;
            lane.called = false;
            lane.placing = Some(lane.now + lane.durations.place_document);
            arrived += 1;
        }
        lane.advance()?;
        if lane.report.through + lane.report.not_accepted > done {
            last_progress = lane.now;
        } else if lane.now.duration_since(last_progress) > stuck_after {
            return Err(RunError::Stuck {
                phase: lane.gate.phase(),
                at: lane.now.duration_since(start),
            });
        }
    }
    let mut report = lane.report;
    report.overlapped = lane.overlapped;
    if let (Some(a), Some(b)) = (lane.first_presented, lane.last_exit_closed) {
        report.span = b.saturating_duration_since(a);
    }
    Ok(report)
}

impl Lane {
    /// Whether the next traveller may come forward to the entry reader now.
    fn may_step_up(&self, overlap: bool, step_up: StepUp) -> bool {
        let state = self.device.state();
        let nobody_at_entry = !state.travellers.iter().any(|p| {
            matches!(
                p,
                Place::AtEntry | Place::EnteringMantrap | Place::GoingBack
            )
        });
        let phase = self.gate.phase();
        if phase == Phase::Idle {
            // An empty lane, both doors shut (the start-up safe state has settled).
            return state.travellers.is_empty() && state.door_position == [0.0, 0.0];
        }
        if !overlap || !nobody_at_entry || self.gate.waiting().is_some() {
            return false;
        }
        let entry_shut = state.door_position[0] <= 0.0;
        let busy = matches!(
            phase,
            Phase::Verifying | Phase::Exiting | Phase::ClosingExit
        );
        match step_up {
            StepUp::AsSoonAsAllowed => busy && entry_shut,
            StepUp::Called => busy && entry_shut && self.called,
        }
    }

    /// Moves virtual time to the next event and handles everything due then.
    fn advance(&mut self) -> Result<(), RunError> {
        let mut next = self.next_poll;
        if let Some(t) = self.gate.poll_timeout() {
            next = next.min(t);
        }
        if let Some(j) = self.jobs.values().map(|j| j.due).min() {
            next = next.min(j);
        }
        if let Some(t) = self.placing {
            next = next.min(t);
        }
        self.now = self.now.max(next);
        let now = self.now;
        // Job results due now, in ticket order.
        let due: Vec<(Ticket, JobKind)> = self
            .jobs
            .iter()
            .filter(|(_, j)| j.due <= now)
            .map(|(t, j)| (*t, j.kind))
            .collect();
        for (ticket, kind) in due {
            self.jobs.remove(&ticket);
            let input = match kind {
                JobKind::ChipRead => Input::DocumentVerdict {
                    ticket,
                    verdict: DocumentVerdict::Read(genuine_facts()),
                },
                JobKind::BorderDb => Input::BorderDbResult {
                    ticket,
                    result: BorderDbResult::Clear,
                },
                JobKind::FaceMatch => Input::FaceVerdict {
                    ticket,
                    verdict: MATCH,
                },
                JobKind::Pad => Input::PadVerdict {
                    ticket,
                    verdict: LIVE,
                },
            };
            self.step(Some(input))?;
        }
        if self.gate.poll_timeout().is_some_and(|t| t <= now) {
            self.step(None)?;
        }
        if self.placing.is_some_and(|t| t <= now) {
            self.placing = None;
            self.step(Some(Input::DocumentPresented))?;
            if self.at_reader {
                // Not taken (the gate was not ready): the traveller tries again shortly.
                self.placing = Some(now + Duration::from_millis(500));
            }
        }
        if self.next_poll <= now {
            self.next_poll = now + self.durations.poll;
            self.poll()?;
        }
        Ok(())
    }

    /// Reads the controller, as the door adapter does every poll period, and hands the
    /// gate what changed.
    fn poll(&mut self) -> Result<(), RunError> {
        self.device.tick(self.now);
        let inputs = self.device.inputs();
        let changed: Vec<Hw> = match self.last_inputs {
            None => vec![
                Hw::EntryClosed,
                Hw::ExitClosed,
                Hw::ZoneA,
                Hw::ZoneB,
                Hw::ZoneC,
                Hw::MultiplePersons,
            ],
            Some(last) => last.changed(inputs).collect(),
        };
        self.last_inputs = Some(inputs);
        for input in changed {
            let Some(event) = hardware::door::sensor(input, inputs.contains(input)) else {
                continue;
            };
            if event
                == (SensorEvent::Door {
                    door: DoorId::Exit,
                    closed: true,
                })
            {
                for passage in std::mem::take(&mut self.leaving) {
                    if let Some(at) = self.presented.remove(&passage) {
                        self.report
                            .passages
                            .push(self.now.saturating_duration_since(at));
                        self.report.through += 1;
                        self.last_exit_closed = Some(self.now);
                    }
                }
            }
            self.step(Some(Input::Sensor(event)))?;
        }
        Ok(())
    }

    /// Feeds one input (or the deadline) through the safety model and acts on the commands.
    fn step(&mut self, input: Option<Input>) -> Result<(), RunError> {
        let after = format!("{input:?}");
        let commands = self
            .model
            .step(&mut self.gate, self.now, input)
            .map_err(|violation| RunError::Violation {
                at: self.now.duration_since(self.start),
                after,
                violation,
            })?;
        self.act(commands);
        Ok(())
    }

    fn act(&mut self, commands: Vec<Command>) {
        let d = self.durations;
        for command in commands {
            match command {
                Command::Door { door, action } => self.drive(door, action),
                Command::StartChipRead { ticket } => {
                    self.job(ticket, JobKind::ChipRead, d.chip_read)
                }
                Command::StartBorderDb { ticket } => {
                    self.job(ticket, JobKind::BorderDb, d.borderdb)
                }
                Command::StartFaceMatch { ticket } => {
                    self.job(ticket, JobKind::FaceMatch, d.face_step)
                }
                Command::StartPad { ticket } => self.job(ticket, JobKind::Pad, d.face_step),
                Command::CancelJob { ticket } => {
                    self.jobs.remove(&ticket);
                }
                Command::ShowEntryMessage(MessageCode::PresentDocument) => self.called = true,
                Command::Audit(AuditEvent::PassageStarted { passage }) => {
                    if self.gate.phase().in_passage() && self.gate.waiting().is_some() {
                        self.overlapped += 1;
                    }
                    self.presented.insert(passage, self.now);
                    self.first_presented.get_or_insert(self.now);
                    self.at_reader = false;
                }
                Command::Audit(AuditEvent::PassageEnded {
                    passage, outcome, ..
                }) => match outcome {
                    PassageOutcome::Accepted => self.leaving.push(passage),
                    _ => {
                        self.presented.remove(&passage);
                        self.report.not_accepted += 1;
                    }
                },
                _ => {}
            }
        }
    }

    fn job(&mut self, ticket: Ticket, kind: JobKind, takes: Duration) {
        let due = self.now + takes;
        self.jobs.insert(ticket, Job { kind, due });
    }

    /// A door command as the Modbus adapter writes it: the open coil, and the lock coil.
    fn drive(&mut self, door: DoorId, action: DoorAction) {
        let (open, lock) = match (door, action) {
            (DoorId::Entry, _) => (Output::OpenEntry, Output::LockEntry),
            (DoorId::Exit, _) => (Output::OpenExit, Output::LockExit),
        };
        let writes = match action {
            DoorAction::Open => [(lock, false), (open, true)],
            DoorAction::Close => [(open, false), (lock, false)],
            DoorAction::Lock => [(open, false), (lock, true)],
        };
        let map = self.device.map().clone();
        for (output, on) in writes {
            let request = Request {
                unit: map.unit_id,
                pdu: Pdu::WriteSingleCoil {
                    addr: map.coils.address(output),
                    value: if on { 0xFF00 } else { 0x0000 },
                },
            };
            let _ = self.device.handle(&request, self.now);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn durations() -> Durations {
        Durations {
            chip_read: Duration::from_millis(900),
            borderdb: Duration::from_millis(50),
            face_step: Duration::from_millis(800),
            place_document: Duration::from_millis(1500),
            door_travel: Duration::from_secs(1),
            walk: WalkTimes::default(),
            poll: Duration::from_millis(50),
        }
    }

    fn config(overlap: bool) -> GateConfig {
        let mut c = GateConfig::two_step(gate::script::today());
        c.overlap = overlap;
        c
    }

    #[test]
    fn every_genuine_traveller_gets_through_safely_with_and_without_overlap() {
        for (overlap, step_up) in [
            (false, StepUp::Called),
            (true, StepUp::Called),
            (true, StepUp::AsSoonAsAllowed),
        ] {
            let r = run(config(overlap), durations(), step_up, 30).expect("safe run");
            assert_eq!((r.through, r.not_accepted), (30, 0), "overlap {overlap}");
            assert_eq!(r.passages.len(), 30);
            // Without overlap nobody waits at the entry during another's passage.
            assert_eq!(r.overlapped > 0, overlap, "overlap {overlap}: {r:?}");
        }
    }

    #[test]
    fn overlap_hides_the_document_read_from_the_lane_cycle() {
        let with = run(config(true), durations(), StepUp::Called, 40).expect("safe");
        let without = run(config(false), durations(), StepUp::Called, 40).expect("safe");
        // The lane's cycle loses at least the placing and the chip read (2.4 s of 10 s).
        assert!(
            with.per_hour() > without.per_hour() * 1.15,
            "with {} /h, without {} /h",
            with.per_hour(),
            without.per_hour()
        );
    }

    #[test]
    fn a_one_step_configuration_is_refused() {
        let c = GateConfig::one_step(gate::script::today());
        assert_eq!(
            run(c, durations(), StepUp::Called, 2),
            Err(RunError::NotTwoStep)
        );
    }
}
