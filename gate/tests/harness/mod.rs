//! A virtual-time lane for scenario tests: feeds inputs, echoes door commands as door
//! position sensors, jumps virtual time to the gate's next deadline, and checks every
//! step against the safety model.

#![allow(dead_code)]

use std::time::{Duration, Instant};

use gate::check::SafetyModel;
use gate::{
    AuditEvent, ChipAuthOutcome, CivilDate, Command, CountryCode, DocumentFacts, DocumentKind,
    DocumentVerdict, DoorAction, DoorId, FaceVerdict, Gate, GateConfig, Input, LivenessMode,
    MessageCode, PaOutcome, PadVerdict, PassageOutcome, Phase, Pseudonym, ReasonCode, SensorEvent,
    Ticket, WatchlistMode, WatchlistResult, Zone,
};

pub fn today() -> CivilDate {
    CivilDate::new(2026, 11, 26).expect("date")
}

/// A genuine adult's valid German passport.
pub fn facts() -> DocumentFacts {
    DocumentFacts {
        kind: DocumentKind::Passport,
        issuing_state: CountryCode::new("DEU").expect("code"),
        nationality: CountryCode::new("DEU").expect("code"),
        birth_date: Some(CivilDate::new(1990, 5, 17).expect("date")),
        expiry: CivilDate::new(2031, 3, 1).expect("date"),
        pa: PaOutcome::Trusted,
        chip_auth: ChipAuthOutcome::Passed,
        mrz_matches_dg1: true,
        pseudonym: Pseudonym("hmac:3f9a".into()),
    }
}

pub const MATCH: FaceVerdict = FaceVerdict::Match {
    score: 0.71,
    threshold: 0.5,
};
pub const NO_MATCH: FaceVerdict = FaceVerdict::NoMatch {
    score: 0.12,
    threshold: 0.5,
};
pub const LIVE: PadVerdict = PadVerdict::Live { score: 0.93 };

pub struct Lane {
    pub gate: Gate,
    pub model: SafetyModel,
    pub t0: Instant,
    pub now: Instant,
    /// Every command so far.
    pub log: Vec<Command>,
    /// Echo door commands as position sensor reports (a door that works).
    pub echo_doors: bool,
    liveness: LivenessMode,
    watchlist: WatchlistMode,
}

impl Lane {
    /// A lane whose controller has reported every zone clear.
    pub fn new(config: GateConfig) -> Self {
        let t0 = Instant::now();
        let liveness = config.liveness;
        let watchlist = config.eligibility.watchlist;
        let mut model = SafetyModel::new(&config);
        let mut gate = Gate::new(config, t0);
        let log = model.drain(&mut gate).expect("safe start");
        let mut lane = Self {
            gate,
            model,
            t0,
            now: t0,
            log,
            echo_doors: true,
            liveness,
            watchlist,
        };
        for zone in [Zone::A, Zone::B, Zone::C] {
            lane.zone(zone, false);
        }
        assert_eq!(lane.gate.phase(), Phase::Idle);
        lane.clear_log();
        lane
    }

    pub fn two_step() -> Self {
        Self::new(GateConfig::two_step(today()))
    }

    pub fn one_step() -> Self {
        Self::new(GateConfig::one_step(today()))
    }

    fn record(&mut self, commands: Vec<Command>) {
        let echoes: Vec<Input> = if self.echo_doors {
            commands
                .iter()
                .filter_map(|c| match c {
                    Command::Door { door, action } => Some(Input::Sensor(SensorEvent::Door {
                        door: *door,
                        closed: *action != DoorAction::Open,
                    })),
                    _ => None,
                })
                .collect()
        } else {
            Vec::new()
        };
        self.log.extend(commands);
        for echo in echoes {
            self.feed(echo);
        }
    }

    /// Feeds one input now; panics on a safety violation.
    pub fn feed(&mut self, input: Input) {
        let label = format!("{input:?}");
        let commands = self
            .model
            .step(&mut self.gate, self.now, Some(input))
            .unwrap_or_else(|v| panic!("safety violation after {label}: {v}"));
        self.record(commands);
    }

    pub fn sensor(&mut self, event: SensorEvent) {
        self.feed(Input::Sensor(event));
    }

    pub fn zone(&mut self, zone: Zone, occupied: bool) {
        self.sensor(SensorEvent::Zone { zone, occupied });
    }

    /// Jumps virtual time to the next deadline and fires it.
    pub fn run_to_deadline(&mut self) {
        let at = self.gate.poll_timeout().expect("a deadline");
        self.now = self.now.max(at);
        let commands = self
            .model
            .step(&mut self.gate, self.now, None)
            .unwrap_or_else(|v| panic!("safety violation on timeout: {v}"));
        self.record(commands);
    }

    /// Advances virtual time by `d`, firing every deadline on the way.
    pub fn advance(&mut self, d: Duration) {
        let end = self.now + d;
        while let Some(at) = self.gate.poll_timeout() {
            if at > end {
                break;
            }
            self.run_to_deadline();
        }
        self.now = end;
    }

    pub fn elapsed(&self) -> Duration {
        self.now - self.t0
    }

    fn last(&self, f: impl Fn(&Command) -> Option<Ticket>) -> Ticket {
        self.log.iter().rev().find_map(f).expect("job started")
    }

    pub fn chip_ticket(&self) -> Ticket {
        self.last(|c| match c {
            Command::StartChipRead { ticket } => Some(*ticket),
            _ => None,
        })
    }

    pub fn watchlist_ticket(&self) -> Ticket {
        self.last(|c| match c {
            Command::StartWatchlist { ticket } => Some(*ticket),
            _ => None,
        })
    }

    pub fn face_ticket(&self) -> Ticket {
        self.last(|c| match c {
            Command::StartFaceMatch { ticket } => Some(*ticket),
            _ => None,
        })
    }

    pub fn pad_ticket(&self) -> Ticket {
        self.last(|c| match c {
            Command::StartPad { ticket } => Some(*ticket),
            _ => None,
        })
    }

    // ---- traveller actions ----------------------------------------------------------

    pub fn present(&mut self) {
        self.zone(Zone::A, true);
        if !self.two_step_layout() {
            self.zone(Zone::B, true);
        }
        self.feed(Input::DocumentPresented);
    }

    pub fn two_step_layout(&self) -> bool {
        self.gate.config().layout == gate::Layout::TwoStep
    }

    pub fn chip(&mut self, verdict: DocumentVerdict) {
        self.now += Duration::from_millis(2500);
        let ticket = self.chip_ticket();
        self.feed(Input::DocumentVerdict { ticket, verdict });
    }

    pub fn watchlist(&mut self, result: WatchlistResult) {
        self.now += Duration::from_millis(300);
        let ticket = self.watchlist_ticket();
        self.feed(Input::WatchlistResult { ticket, result });
    }

    /// Presents a document that reads as `facts` and, if the watchlist is on, is clear.
    pub fn document_ok(&mut self, facts: DocumentFacts) {
        self.present();
        self.chip(DocumentVerdict::Read(facts));
        if self.watchlist == WatchlistMode::Required
            && self.gate.phase() == Phase::CheckingWatchlist
        {
            self.watchlist(WatchlistResult::Clear);
        }
    }

    /// Two-step: walks from zone A into the mantrap, alone.
    pub fn walk_in(&mut self) {
        self.now += Duration::from_millis(1500);
        self.zone(Zone::B, true);
        self.zone(Zone::A, false);
    }

    pub fn face(&mut self, verdict: FaceVerdict) {
        self.now += Duration::from_millis(800);
        let ticket = self.face_ticket();
        self.feed(Input::FaceVerdict { ticket, verdict });
    }

    pub fn pad(&mut self, verdict: PadVerdict) {
        let ticket = self.pad_ticket();
        self.feed(Input::PadVerdict { ticket, verdict });
    }

    /// One capture attempt with a face verdict and (if required) a PAD verdict.
    pub fn attempt(&mut self, face: FaceVerdict, pad: PadVerdict) {
        if self.liveness == LivenessMode::Required {
            self.pad(pad);
        }
        self.face(face);
    }

    /// Walks out through the exit: zone C, then B and C clear.
    pub fn walk_out(&mut self) {
        self.now += Duration::from_millis(1200);
        self.zone(Zone::C, true);
        self.zone(Zone::B, false);
        self.now += Duration::from_millis(800);
        self.zone(Zone::C, false);
    }

    /// A genuine traveller from the reader to the far side.
    pub fn genuine_passage(&mut self) {
        self.document_ok(facts());
        if self.two_step_layout() {
            self.walk_in();
        }
        self.attempt(MATCH, LIVE);
        self.walk_out();
    }

    /// Walks back out through the entry (two-step) or away from the reader (one-step).
    pub fn walk_back(&mut self) {
        self.now += Duration::from_millis(1500);
        if self.two_step_layout() {
            self.zone(Zone::A, true);
            self.zone(Zone::B, false);
        } else {
            self.zone(Zone::B, false);
        }
        self.zone(Zone::A, false);
    }

    // ---- observations ---------------------------------------------------------------

    pub fn audits(&self) -> Vec<&AuditEvent> {
        self.log
            .iter()
            .filter_map(|c| match c {
                Command::Audit(e) => Some(e),
                _ => None,
            })
            .collect()
    }

    pub fn outcomes(&self) -> Vec<PassageOutcome> {
        self.audits()
            .into_iter()
            .filter_map(|e| match e {
                AuditEvent::PassageEnded { outcome, .. } => Some(*outcome),
                _ => None,
            })
            .collect()
    }

    pub fn alarms(&self) -> Vec<ReasonCode> {
        self.log
            .iter()
            .filter_map(|c| match c {
                Command::RaiseAlarm(r) => Some(*r),
                _ => None,
            })
            .collect()
    }

    pub fn messages(&self) -> Vec<MessageCode> {
        self.log
            .iter()
            .filter_map(|c| match c {
                Command::ShowMessage(m) => Some(*m),
                _ => None,
            })
            .collect()
    }

    pub fn doors(&self) -> Vec<(DoorId, DoorAction)> {
        self.log
            .iter()
            .filter_map(|c| match c {
                Command::Door { door, action } => Some((*door, *action)),
                _ => None,
            })
            .collect()
    }

    pub fn exit_opens(&self) -> usize {
        self.doors()
            .iter()
            .filter(|d| **d == (DoorId::Exit, DoorAction::Open))
            .count()
    }

    /// The last commanded action of a door.
    pub fn door(&self, door: DoorId) -> Option<DoorAction> {
        self.doors()
            .iter()
            .rev()
            .find(|(d, _)| *d == door)
            .map(|(_, a)| *a)
    }

    /// Forgets the log (keeps the gate and the model).
    pub fn clear_log(&mut self) {
        self.log.clear();
    }
}
