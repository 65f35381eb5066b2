//! The virtual-time engine: a discrete-event simulation of a bank of lanes serving one
//! queue. Time is an argument everywhere — the gate, the door tracker, the simulated
//! controller and the walkers all take the virtual instant — so a run of hours takes the CPU
//! time of its computations only. Walking, door travel and the chip link follow the modelled
//! durations of [`crate::timing::Timing`]; CPU time spent in face inference does not advance
//! virtual time. Each distinct (portrait, presentation) pair is matched once per run and the
//! result reused (same bytes, same result); every chip is read afresh for every passage.
//!
//! Determinism: one seeded RNG draws the population before the run; events at the same
//! instant run in the order they were scheduled; nothing reads the wall clock except the one
//! anchor instant that virtual time is counted from, and resource samples (resident memory,
//! open file descriptors), which the report keeps apart from the run's figures.

mod faults;
mod jobs;
mod lane;
pub mod population;
mod record;

pub use record::{Clock, FaultRecord, Outcome, Record, Resources, Sample};

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use gate::{AuditEvent, Command, Input, OfficerCommand, PassageOutcome, Phase, SensorEvent};
use sim::traveller::{Place, WalkTimes};

use crate::checks::{Checks, DocumentCheck, FaceCheck};
use crate::faces::Identity;
use crate::kinds::Kind;
use crate::scenario::Checked;
use lane::{Lane, Role};
use population::Plan;

/// Why a run could not be made.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The face set.
    #[error("faces: {0}")]
    Faces(#[from] crate::faces::FacesError),
    /// The face models are needed for the synthetic camera.
    #[error("acceptance runs need the face models (the synthetic camera finds the face in each live photo): {0}")]
    NoModels(String),
    /// A presentation could not be rendered.
    #[error("rendering a presentation: {0}")]
    Vision(#[from] vision::VisionError),
}

#[derive(Debug, Clone)]
enum Event {
    Poll(usize),
    Arrive(u32),
    StepUp(usize, u32),
    PlaceDocument(usize, u32),
    Leave(usize, u32),
    Follow(usize, u32),
    Job(usize, Input),
    Fault(usize, usize, bool),
    Officer(usize, usize),
    Sample,
}

/// Per-lane state of the engine around the lane.
struct Served {
    plan: u32,
    passage_started: bool,
    faced_at: Option<Instant>,
    document: Option<DocumentCheck>,
    face: Option<FaceCheck>,
    /// When the current capture's face verdict is due (its PAD verdict follows it).
    face_at: Duration,
    ended_at: Option<Instant>,
}

struct LaneState {
    lane: Lane,
    served: Option<Served>,
    shut_since: Option<Instant>,
    reader_down: bool,
    camera_frozen: bool,
    /// The lane's capture found the camera frozen and the gate was told.
    camera_faulted: bool,
    pull_card: bool,
    busy_since: Option<Instant>,
    busy_s: f64,
    passages: u32,
    officer_due: Option<Instant>,
    /// Open faults (index into the fault records) waiting for the lane to recover.
    recovering: Vec<usize>,
    /// Faults (scenario index) and officer commands waiting for their phase.
    armed: Vec<Trigger>,
    consent_asked: bool,
    officer_visits: u32,
}

#[derive(Debug, Clone, Copy)]
enum Trigger {
    Fault(usize),
    Officer(usize),
}

/// How long a body may stay in the lane after its passage ended before it counts as trapped.
const TRAPPED_AFTER: Duration = Duration::from_secs(120);
/// How long both doors must be shut before the next traveller steps up.
const SETTLED: Duration = Duration::from_millis(500);

/// What runs over the same face set and PKI can share: the documents made, each distinct
/// presentation's face check (same bytes, same result), the lookalike of each holder.
#[derive(Default)]
pub struct Cache {
    documents: BTreeMap<(usize, String, usize), sim::factory::Document>,
    faces: BTreeMap<(usize, usize, usize, &'static str), FaceCheck>,
    lookalike: BTreeMap<usize, usize>,
}

/// The engine.
pub struct Engine<'a> {
    c: &'a Checked,
    checks: &'a mut dyn Checks,
    ids: Vec<Identity>,
    plans: Vec<Plan>,
    records: Vec<Record>,
    t0: Instant,
    now: Duration,
    seq: u64,
    events: BTreeMap<(Duration, u64), Event>,
    lanes: Vec<LaneState>,
    queue: std::collections::VecDeque<u32>,
    pki: &'a sim::factory::pki::TestPki,
    cache: &'a mut Cache,
    face_hits: u64,
    face_new: u64,
    faults: Vec<FaultRecord>,
    samples: Vec<Sample>,
    resources: Vec<Resources>,
    done: u32,
    chip_reads: u64,
    passage_of: BTreeMap<(usize, u64), u32>,
}

fn secs(d: Duration) -> f64 {
    (d.as_secs_f64() * 1000.0).round() / 1000.0
}

impl<'a> Engine<'a> {
    /// Prepares a run over the face set `ids` ([`load_faces`]) with documents signed under
    /// `pki` (which the checks must trust): draws the population.
    pub fn new(
        c: &'a Checked,
        checks: &'a mut dyn Checks,
        ids: Vec<Identity>,
        pki: &'a sim::factory::pki::TestPki,
        cache: &'a mut Cache,
    ) -> Result<Self, RunError> {
        let photos: Vec<usize> = ids.iter().map(|i| i.faces.len()).collect();
        if photos.contains(&0) {
            return Err(RunError::NoModels(
                "an identity has no live photo with a detectable face".into(),
            ));
        }
        let plans = population::draw(c, &photos);
        let records = plans
            .iter()
            .map(|p| Record {
                id: p.id,
                ty: p.ty.name(),
                gate: None,
                arrived_s: secs(p.arrive),
                served_s: None,
                left_s: None,
                transaction_s: None,
                outcome: "no_passage",
                reason: None,
                through: false,
                trapped: false,
                scores: Vec::new(),
                pad_species: p.ty.pad_species(),
                pad: None,
                expected: p.ty.expected().as_str(),
                as_expected: false,
                attack: p.ty.is_attack(),
                genuine_face: !p.ty.shows_other_face() && p.ty.pad_species().is_none(),
            })
            .collect();
        let t0 = Instant::now();
        let g = &c.scenario.gates;
        let mut lanes = Vec::new();
        for n in 0..g.count as usize {
            let mut cfg = checks.gate_config(c.today);
            cfg.layout = c.layout;
            cfg.liveness = c.liveness;
            cfg.eligibility.borderdb = c.borderdb;
            if let Some(age) = g.minimum_age.filter(|a| *a > 0) {
                // The scenario's minimum age comes before the deployment's rule table.
                cfg.eligibility.rules.rules.insert(
                    0,
                    gate::eligibility::Rule {
                        name: "scenario-minimum-age".into(),
                        documents: None,
                        nationality: None,
                        issuing_state: None,
                        age: gate::eligibility::AgeBand::Years {
                            min: 0,
                            max: Some(u16::from(age) - 1),
                        },
                        direction: None,
                        outcome: gate::eligibility::Outcome::Refer(gate::ReasonCode::Underage),
                    },
                );
            }
            cfg.attempts.capture = g.capture_attempts;
            cfg.attempts.chip_read = g.chip_read_attempts;
            let travel = Duration::from_secs_f64(c.scenario.timing.door_travel_s);
            lanes.push(LaneState {
                lane: Lane::new(cfg, travel, c.scenario.seed ^ n as u64, t0),
                served: None,
                shut_since: None,
                reader_down: false,
                camera_frozen: false,
                camera_faulted: false,
                pull_card: false,
                busy_since: None,
                busy_s: 0.0,
                passages: 0,
                officer_due: None,
                recovering: Vec::new(),
                armed: Vec::new(),
                consent_asked: false,
                officer_visits: 0,
            });
        }
        Ok(Self {
            c,
            checks,
            ids,
            plans,
            records,
            t0,
            now: Duration::ZERO,
            seq: 0,
            events: BTreeMap::new(),
            lanes,
            queue: Default::default(),
            pki,
            cache,
            face_hits: 0,
            face_new: 0,
            faults: Vec::new(),
            samples: Vec::new(),
            resources: Vec::new(),
            done: 0,
            chip_reads: 0,
            passage_of: BTreeMap::new(),
        })
    }

    fn at(&self, d: Duration) -> Instant {
        self.t0 + d
    }

    fn schedule(&mut self, after: Duration, ev: Event) {
        self.seq += 1;
        self.events.insert((self.now + after, self.seq), ev);
    }

    fn schedule_at(&mut self, at: Duration, ev: Event) {
        self.seq += 1;
        self.events.insert((at.max(self.now), self.seq), ev);
    }

    /// Runs to the end; `progress(done, total)` after every finished traveller.
    pub fn run(mut self, progress: &mut dyn FnMut(u32, u32)) -> Outcome {
        let total = self.plans.len() as u32;
        for i in 0..self.lanes.len() {
            let phase = Duration::from_millis(7 * i as u64);
            self.schedule_at(phase, Event::Poll(i));
        }
        for p in 0..self.plans.len() {
            let at = self.plans[p].arrive;
            self.schedule_at(at, Event::Arrive(p as u32));
        }
        for (i, f) in self.c.scenario.faults.iter().enumerate() {
            let lane = f.gate as usize - 1;
            let at = Duration::from_secs_f64(f.at_s);
            self.schedule_at(at, Event::Fault(lane, i, true));
            if let Some(d) = f.for_s {
                self.schedule_at(
                    at + Duration::from_secs_f64(d),
                    Event::Fault(lane, i, false),
                );
            }
        }
        for (n, o) in self.c.scenario.officer.iter().enumerate() {
            let at = Duration::from_secs_f64(o.at_s);
            self.schedule_at(at, Event::Officer(o.gate as usize - 1, n));
        }
        self.schedule_at(Duration::ZERO, Event::Sample);
        // A run ends when every traveller is done, or at a hard limit of virtual time.
        // A run also ends when no traveller has finished for STUCK of virtual time while some
        // are left: the report then shows them without a passage.
        const STUCK: Duration = Duration::from_secs(4 * 3600);
        let mut last_done = (0, Duration::ZERO);
        while let Some(((at, _), ev)) = self.events.pop_first() {
            self.now = at;
            if at.saturating_sub(last_done.1) > STUCK {
                break;
            }
            self.handle(ev);
            if self.done != last_done.0 {
                last_done = (self.done, at);
                progress(self.done, total);
            }
            // After the last traveller, the run goes on until every fault has cleared and
            // every lane is back in service (at most an hour), so recovery is measured.
            if self.done >= total && self.lanes.iter().all(|l| l.lane.bodies.is_empty()) {
                let settled = self
                    .lanes
                    .iter()
                    .all(|l| l.recovering.is_empty() && l.armed.is_empty());
                if settled || at.saturating_sub(last_done.1) > Duration::from_secs(3600) {
                    break;
                }
            }
        }
        self.finish()
    }

    fn handle(&mut self, ev: Event) {
        let now = self.at(self.now);
        match ev {
            Event::Poll(i) => {
                self.advance(i, now);
                self.lanes[i].lane.poll(now);
                self.after(i, now);
                let period = self.lanes[i].lane.poll_period();
                self.schedule(period, Event::Poll(i));
            }
            Event::Arrive(p) => {
                self.queue.push_back(p);
                self.sample();
            }
            Event::StepUp(i, p) => {
                let plan = &self.plans[p as usize];
                let times = walk_times(&self.c.scenario.timing, plan);
                self.lanes[i].lane.arrive(p, Role::Main, times, now);
                let kind = plan.ty.as_kind();
                let doc_after = Duration::from_secs_f64(plan.document_s);
                match kind {
                    Some(Kind::WrongDirection) => {}
                    _ => self.schedule(doc_after, Event::PlaceDocument(i, p)),
                }
                match kind {
                    Some(Kind::SecondPerson) => self.schedule(Duration::ZERO, Event::Follow(i, p)),
                    Some(Kind::Tailgater) => {
                        // Slips in behind once the entry opens: waits at the entry meanwhile.
                        self.schedule(doc_after + Duration::from_secs(2), Event::Follow(i, p))
                    }
                    _ => {}
                }
            }
            Event::Follow(i, p) => {
                let plan = &self.plans[p as usize];
                let times = walk_times(&self.c.scenario.timing, plan);
                self.lanes[i].lane.arrive(p, Role::Follower, times, now);
            }
            Event::PlaceDocument(i, p) => {
                let here = self.lanes[i]
                    .lane
                    .bodies
                    .iter()
                    .any(|b| b.traveller == p && b.role == Role::Main);
                if !here {
                    return;
                }
                self.lanes[i].lane.input(now, Input::DocumentPresented);
                if self.plans[p as usize].ty.as_kind() == Some(Kind::Leaving) {
                    // Walks away while the chip is being read.
                    self.schedule(Duration::from_millis(300), Event::Leave(i, p));
                }
                self.after(i, now);
            }
            Event::Leave(i, p) => {
                for b in &mut self.lanes[i].lane.bodies {
                    if b.traveller == p {
                        b.walker.turn_away(now);
                    }
                }
            }
            // A result for an earlier traveller carries a stale ticket: the gate drops it.
            Event::Job(i, input) => {
                self.advance(i, now);
                self.lanes[i].lane.input(now, input);
                self.after(i, now);
            }
            Event::Fault(i, n, true) if self.c.scenario.faults[n].when.is_some() => {
                self.lanes[i].armed.push(Trigger::Fault(n));
            }
            Event::Fault(i, n, on) => self.fault(i, n, on, now),
            Event::Officer(i, n) if self.c.scenario.officer[n].when.is_some() => {
                self.lanes[i].armed.push(Trigger::Officer(n));
            }
            Event::Officer(i, n) => self.officer(i, n, now),
            Event::Sample => {
                self.sample();
                self.resources.push(Resources {
                    t_s: secs(self.now),
                    done: self.done,
                    rss_kib: rss_kib(),
                    fds: open_fds(),
                });
                let every = Duration::from_secs_f64(self.c.scenario.sample_every_s);
                self.schedule(every, Event::Sample);
            }
        }
    }

    fn sample(&mut self) {
        let s = Sample {
            t_s: secs(self.now),
            queue: self.queue.len() as u32,
            done: self.done,
        };
        if self.samples.last().is_some_and(|l| l.t_s == s.t_s) {
            self.samples.pop();
        }
        self.samples.push(s);
    }

    /// Moves the lane's bodies and records those who left.
    fn advance(&mut self, i: usize, now: Instant) {
        let gone = self.lanes[i].lane.advance(now);
        for (body, place) in gone {
            if body.role != Role::Main {
                continue;
            }
            let r = &mut self.records[body.traveller as usize];
            r.left_s = Some(secs(now - self.t0));
            r.through = place == Place::Through;
            let without_passage = self.lanes[i]
                .served
                .as_ref()
                .is_some_and(|s| s.plan == body.traveller && !s.passage_started);
            if without_passage {
                // Left without a passage (gave up, or walked in the wrong way).
                self.finish_traveller(i, now);
            }
        }
    }

    /// After the lane handled something: the gate's commands, referrals, the next traveller.
    fn after(&mut self, i: usize, now: Instant) {
        let cmds = std::mem::take(&mut self.lanes[i].lane.out);
        for cmd in cmds {
            self.command(i, cmd, now);
        }
        let phase = self.lanes[i].lane.gate.phase();
        // An officer attends a lane that waits for one, after the response time.
        // A lane closed for lost mains is opened again by an officer once mains are back.
        let mains_back = phase == Phase::LaneClosed
            && self.lanes[i].lane.gate.reason() == Some(gate::ReasonCode::MainsLost)
            && !self.faults.iter().any(|f| {
                f.gate as usize == i + 1 && f.kind == "mains_lost" && f.cleared_s.is_none()
            });
        let waits = mains_back
            || matches!(
                phase,
                Phase::AwaitingOfficer | Phase::Emergency | Phase::Fault
            );
        let l = &mut self.lanes[i];
        match (waits, l.officer_due) {
            (true, None) => l.officer_due = Some(now + Duration::from_secs_f64(OFFICER_RESPONSE_S)),
            (true, Some(due)) if now >= due => {
                l.officer_due = None;
                // Sends the traveller back first; resets the lane if that did not end it.
                l.officer_visits += 1;
                let cmd = if phase == Phase::AwaitingOfficer && l.officer_visits % 2 == 1 {
                    OfficerCommand::Refer
                } else if phase == Phase::LaneClosed {
                    OfficerCommand::LaneOpen
                } else {
                    OfficerCommand::Reset
                };
                l.lane.input(now, Input::Officer(cmd));
                let cmds = std::mem::take(&mut l.lane.out);
                for c in cmds {
                    self.command(i, c, now);
                }
            }
            (false, _) => {
                l.officer_due = None;
                l.officer_visits = 0;
            }
            _ => {}
        }
        // Consent, where the lane asks for it: the traveller agrees after a moment.
        if phase == Phase::AwaitingConsent && !self.lanes[i].consent_asked {
            self.lanes[i].consent_asked = true;
            self.schedule(Duration::from_secs(1), Event::Job(i, Input::Consent(true)));
        } else if phase != Phase::AwaitingConsent {
            self.lanes[i].consent_asked = false;
        }
        let l = &mut self.lanes[i];
        if l.lane.shut() {
            l.shut_since.get_or_insert(now);
        } else {
            l.shut_since = None;
        }
        // A traveller whose passage ended and who is still inside is told to leave the way
        // the doors let them (the display says so).
        let phase = l.lane.gate.phase();
        if let Some(s) = &l.served {
            if s.ended_at.is_some() || (s.passage_started && phase == Phase::Idle) {
                let referred = matches!(
                    self.records[s.plan as usize].outcome,
                    "referred" | "aborted"
                );
                if referred {
                    for b in &mut l.lane.bodies {
                        b.walker.turn_away(now);
                    }
                }
            }
            if matches!(phase, Phase::Referred | Phase::AwaitingOfficer) {
                for b in &mut l.lane.bodies {
                    if b.walker.place() == Place::AtEntry {
                        b.walker.turn_away(now);
                    }
                }
            }
        }
        // Done with the traveller once their passage ended and the lane is empty.
        let empty = l.lane.bodies.is_empty();
        if let Some(s) = &l.served {
            if empty && s.ended_at.is_some() && s.passage_started {
                self.finish_traveller(i, now);
            }
        }
        self.trapped_check(i, now);
        self.recovery_check(i, now);
        self.dispatch(i, now);
        if !self.lanes[i].armed.is_empty() {
            self.triggers(i, now);
        }
    }

    fn trapped_check(&mut self, i: usize, now: Instant) {
        let Some(s) = &self.lanes[i].served else {
            return;
        };
        if let Some(end) = s.ended_at {
            if now.saturating_duration_since(end) > TRAPPED_AFTER {
                let p = s.plan;
                self.records[p as usize].trapped = true;
                // The run goes on: the body is taken out (an officer frees them).
                self.lanes[i].lane.bodies.clear();
                self.finish_traveller(i, now);
            }
        }
    }

    fn recovery_check(&mut self, i: usize, now: Instant) {
        let l = &self.lanes[i];
        let ready = l.lane.gate.phase() == Phase::Idle && l.lane.shut();
        if !ready {
            return;
        }
        let open: Vec<usize> = l.recovering.clone();
        let mut keep = Vec::new();
        for n in open {
            let f = &mut self.faults[n];
            let from = f.cleared_s.unwrap_or(f.at_s);
            let t = secs(now - self.t0);
            if f.cleared_s.is_some() || f.kind == "card_pulled" {
                f.recovered_s = Some(t);
                f.recovery_s = Some(((t - from) * 1000.0).round() / 1000.0);
            } else {
                keep.push(n);
            }
        }
        self.lanes[i].recovering = keep;
    }

    fn finish_traveller(&mut self, i: usize, now: Instant) {
        let Some(s) = self.lanes[i].served.take() else {
            return;
        };
        let l = &mut self.lanes[i];
        if let Some(b) = l.busy_since.take() {
            l.busy_s += now.saturating_duration_since(b).as_secs_f64();
        }
        l.passages += 1;
        let r = &mut self.records[s.plan as usize];
        if r.left_s.is_none() {
            r.left_s = Some(secs(now - self.t0));
        }
        let ty = self.plans[s.plan as usize].ty;
        r.as_expected = ty.expected().met(r.outcome, r.through, r.trapped);
        for n in &self.lanes[i].recovering {
            self.faults[*n].passages_affected += 1;
        }
        self.done += 1;
    }

    fn dispatch(&mut self, i: usize, now: Instant) {
        let l = &self.lanes[i];
        if l.served.is_some() || !l.lane.bodies.is_empty() {
            return;
        }
        let settled = l
            .shut_since
            .is_some_and(|t| now.saturating_duration_since(t) >= SETTLED);
        if !(settled && l.lane.gate.phase() == Phase::Idle) {
            return;
        }
        let Some(p) = self.queue.pop_front() else {
            return;
        };
        self.sample();
        let plan = &self.plans[p as usize];
        let r = &mut self.records[p as usize];
        r.gate = Some(i as u32 + 1);
        r.served_s = Some(secs(self.now));
        self.lanes[i].served = Some(Served {
            plan: p,
            passage_started: false,
            faced_at: None,
            document: None,
            face: None,
            face_at: Duration::ZERO,
            ended_at: None,
        });
        self.lanes[i].busy_since = Some(now);
        let walk = (self.c.scenario.timing.step_up_s * 1.2 / plan.speed.max(0.1))
            .max(self.c.scenario.timing.step_up_s);
        if plan.ty.as_kind() == Some(Kind::WrongDirection) {
            // From the exit side: stands in zone C for a while, then goes. The simulated
            // controller has no direction sensor: the engine gives the gate the input a
            // direction sensor would.
            self.lanes[i].lane.intrude(p, Duration::from_secs(5), now);
            self.lanes[i]
                .lane
                .input(now, Input::Sensor(gate::SensorEvent::WrongDirection));
            let cmds = std::mem::take(&mut self.lanes[i].lane.out);
            for c in cmds {
                self.command(i, c, now);
            }
            return;
        }
        self.schedule(Duration::from_secs_f64(walk), Event::StepUp(i, p));
    }

    fn command(&mut self, i: usize, cmd: Command, now: Instant) {
        match cmd {
            Command::StartChipRead { ticket } => {
                let (check, took) = self.read_chip(i);
                let verdict = check.verdict.clone();
                if let Some(s) = self.lanes[i].served.as_mut() {
                    s.document = Some(check);
                }
                self.schedule(
                    took,
                    Event::Job(i, Input::DocumentVerdict { ticket, verdict }),
                );
            }
            Command::StartBorderDb { ticket } => {
                let result = self.lanes[i]
                    .served
                    .as_ref()
                    .and_then(|s| s.document.as_ref())
                    .map_or(gate::BorderDbResult::Unavailable, |d| d.borderdb);
                let after = Duration::from_secs_f64(self.c.scenario.timing.borderdb_s);
                self.schedule(
                    after,
                    Event::Job(i, Input::BorderDbResult { ticket, result }),
                );
            }
            Command::StartFaceMatch { ticket } => {
                let (face, at) = self.capture(i, now);
                if face.camera_frozen && !self.lanes[i].camera_faulted {
                    // As the lane's face job: the device fault reaches the gate before the
                    // verdict.
                    self.lanes[i].camera_faulted = true;
                    let fault = SensorEvent::DeviceFault(gate::Device::Camera);
                    self.schedule_at(at, Event::Job(i, Input::Sensor(fault)));
                }
                let verdict = face.face;
                if let Some(s) = self.lanes[i].served.as_mut() {
                    s.face = Some(face);
                    s.face_at = at;
                }
                self.schedule_at(at, Event::Job(i, Input::FaceVerdict { ticket, verdict }));
            }
            Command::StartPad { ticket } => {
                // Delivered just after its face verdict: the same capture.
                let (verdict, at) = match self.lanes[i].served.as_ref() {
                    Some(Served {
                        face: Some(f),
                        face_at,
                        ..
                    }) => (f.pad, *face_at + Duration::from_millis(1)),
                    _ => (gate::PadVerdict::Inconclusive, self.now),
                };
                self.schedule_at(at, Event::Job(i, Input::PadVerdict { ticket, verdict }));
            }
            Command::Audit(ev) => self.audit(i, ev, now),
            _ => {}
        }
    }

    fn audit(&mut self, i: usize, ev: AuditEvent, now: Instant) {
        match ev {
            AuditEvent::PassageStarted { passage } => {
                if let Some(s) = self.lanes[i].served.as_mut() {
                    s.passage_started = true;
                    self.passage_of.insert((i, passage.0), s.plan);
                }
            }
            AuditEvent::Occupancy { reason, .. } => {
                if let Some(s) = &self.lanes[i].served {
                    let r = &mut self.records[s.plan as usize];
                    if r.reason.is_none() && !s.passage_started {
                        r.reason = Some(reason.as_str());
                    }
                }
            }
            AuditEvent::Attempt(a) => {
                if let (gate::Step::Face, Some(score)) = (a.step, a.score) {
                    if let Some(&p) = self.passage_of.get(&(i, a.passage.0)) {
                        self.records[p as usize].scores.push(score);
                    }
                }
            }
            AuditEvent::PassageEnded {
                passage,
                outcome,
                took,
                ..
            } => {
                let Some(p) = self.passage_of.remove(&(i, passage.0)) else {
                    return;
                };
                let pad = self.lanes[i]
                    .served
                    .as_ref()
                    .filter(|s| s.plan == p)
                    .and_then(|s| s.face.as_ref())
                    .map(|f| match f.pad {
                        gate::PadVerdict::Live { .. } => "live",
                        gate::PadVerdict::Attack { .. } => "attack",
                        gate::PadVerdict::Inconclusive => "inconclusive",
                        gate::PadVerdict::NotChecked => "not_checked",
                    });
                let r = &mut self.records[p as usize];
                r.transaction_s = Some(secs(took));
                r.pad = pad;
                let (o, reason) = match outcome {
                    PassageOutcome::Accepted => ("accepted", None),
                    PassageOutcome::ReleasedByOfficer => ("released", None),
                    PassageOutcome::Referred(r) => ("referred", Some(r.as_str())),
                    PassageOutcome::Aborted(r) => ("aborted", Some(r.as_str())),
                };
                r.outcome = o;
                r.reason = reason;
                if let Some(s) = self.lanes[i].served.as_mut() {
                    if s.plan == p {
                        s.ended_at = Some(now);
                    }
                }
            }
            _ => {}
        }
    }

    fn finish(mut self) -> Outcome {
        let end = self.at(self.now);
        for i in 0..self.lanes.len() {
            if let Some(s) = &self.lanes[i].served {
                let p = s.plan as usize;
                if !self.lanes[i].lane.bodies.is_empty() && s.ended_at.is_some() {
                    self.records[p].trapped = true;
                }
            }
            self.finish_traveller(i, end);
        }
        let frames = self.lanes.iter().fold((0, 0), |a, l| {
            (a.0 + l.lane.frames.0, a.1 + l.lane.frames.1)
        });
        Outcome {
            clock: Clock::Virtual,
            gates: self
                .lanes
                .iter()
                .map(|l| (l.passages, (l.busy_s * 1000.0).round() / 1000.0))
                .collect(),
            records: self.records,
            faults: self.faults,
            samples: self.samples,
            resources: self.resources,
            end_s: secs(self.now),
            face_cache: (self.face_new, self.face_hits),
            chip_reads: self.chip_reads,
            frames,
            identities: self.ids.iter().map(|i| i.label.clone()).collect(),
        }
    }
}

/// Seconds an officer takes to attend a lane that waits for one (a modelling assumption).
pub const OFFICER_RESPONSE_S: f64 = 30.0;

/// The face set of a scenario, each live photo's face found with the checks' pipeline.
pub fn load_faces(c: &Checked, checks: &mut dyn Checks) -> Result<Vec<Identity>, RunError> {
    let detector = checks
        .detector()
        .ok_or_else(|| RunError::NoModels("the face pipeline did not load".into()))?;
    Ok(crate::faces::load_identities(&c.faces, Some(detector))?)
}

/// The test PKI every acceptance run signs its documents under.
pub fn test_pki() -> sim::factory::pki::TestPki {
    sim::factory::pki::TestPki::generate("egate-accept", "DE")
}

fn refused() -> DocumentCheck {
    DocumentCheck {
        verdict: gate::DocumentVerdict::Refused(gate::ReasonCode::ChipReadFailed),
        borderdb: gate::BorderDbResult::Unavailable,
        portrait: None,
    }
}

fn key_hash(s: &str) -> u32 {
    s.bytes()
        .fold(7u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)))
        % 10_000
}

fn walk_times(t: &crate::timing::Timing, p: &Plan) -> WalkTimes {
    let speed = p.speed.max(0.05);
    WalkTimes {
        // A door passage is about a metre; walking away the rest of the lane.
        through_door: Duration::from_secs_f64(1.0 / speed),
        walk_away: Duration::from_secs_f64((t.lane_m / 2.0).max(0.5) / speed),
        patience: Duration::from_secs_f64(p.patience_s),
    }
}

/// Resident memory of this process, KiB (Linux `/proc/self/statm`; 0 elsewhere).
pub fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<u64>().ok())
        .map_or(0, |pages| pages * 4)
}

/// Open file descriptors of this process (Linux `/proc/self/fd`; 0 elsewhere).
pub fn open_fds() -> u32 {
    std::fs::read_dir("/proc/self/fd").map_or(0, |d| d.count() as u32)
}
