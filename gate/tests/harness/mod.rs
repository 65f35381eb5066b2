//! A virtual-time lane for scenario tests: [`gate::script::Script`] (feeds inputs, echoes
//! door commands as door position sensors, answers jobs with their tickets, jumps virtual
//! time to the gate's next deadline) with every step checked against the safety model, a
//! panic on any breach, and the observations the scenarios assert on.

#![allow(dead_code)]

use std::ops::{Deref, DerefMut};
use std::time::{Duration, Instant};

pub use gate::script::{genuine_facts as facts, today, LIVE, MATCH, NO_MATCH};
use gate::script::{Keep, Script};
use gate::{
    AuditEvent, BorderDbResult, Command, DocumentFacts, DocumentVerdict, DoorAction, DoorId,
    FaceVerdict, GateConfig, Input, MessageCode, PadVerdict, PassageOutcome, Phase, ReasonCode,
    SensorEvent, Ticket, Zone,
};

/// A [`Script`] checked by the safety model, keeping every command in `log`; its
/// actions panic on a safety violation. Its fields (`gate`, `now`, `log`, `echo_doors`)
/// are the script's.
pub struct Lane {
    script: Script,
}

impl Deref for Lane {
    type Target = Script;

    fn deref(&self) -> &Script {
        &self.script
    }
}

impl DerefMut for Lane {
    fn deref_mut(&mut self) -> &mut Script {
        &mut self.script
    }
}

/// The script's actions, panicking on a safety violation or a job never started.
macro_rules! or_panic {
    ($($(#[$doc:meta])* $name:ident($($arg:ident: $ty:ty),*);)*) => {$(
        $(#[$doc])*
        pub fn $name(&mut self $(, $arg: $ty)*) {
            if let Err(e) = self.script.$name($($arg),*) {
                panic!("{}: {e}", stringify!($name));
            }
        }
    )*};
}

impl Lane {
    /// A lane whose controller has reported every zone clear.
    pub fn new(config: GateConfig) -> Self {
        let script = Script::checked(config, Instant::now(), Keep::All).expect("safe start");
        let mut lane = Self { script };
        lane.clear_lane();
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

    /// A two-step lane with the default configuration changed by `change`.
    pub fn two_step_with(change: impl FnOnce(&mut GateConfig)) -> Self {
        let mut config = GateConfig::two_step(today());
        change(&mut config);
        Self::new(config)
    }

    /// A two-step lane whose genuine document has been read, waiting for the borderdb.
    pub fn checking_borderdb() -> Self {
        let mut lane = Self::two_step();
        lane.read(facts());
        lane
    }

    /// A two-step lane with a genuine traveller alone in the mantrap, facing the camera.
    pub fn in_the_mantrap() -> Self {
        let mut lane = Self::two_step();
        lane.document_ok(facts());
        lane.walk_in();
        lane
    }

    /// Presents a document whose chip reads as `facts`.
    pub fn read(&mut self, facts: DocumentFacts) {
        self.present();
        self.chip(DocumentVerdict::Read(facts));
    }

    or_panic! {
        /// Feeds one input now.
        feed(input: Input);
        sensor(event: SensorEvent);
        zone(zone: Zone, occupied: bool);
        clear_lane();
        /// Jumps virtual time to the next deadline and fires it.
        run_to_deadline();
        /// Advances virtual time by `d`, firing every deadline on the way.
        advance(d: Duration);
        present();
        chip(verdict: DocumentVerdict);
        borderdb(result: BorderDbResult);
        /// Presents a document that reads as `facts` and, if the border databases is on, is clear.
        document_ok(facts: DocumentFacts);
        /// Two-step: walks from zone A into the mantrap, alone.
        walk_in();
        face(verdict: FaceVerdict);
        pad(verdict: PadVerdict);
        /// One capture attempt with a face verdict and (if required) a PAD verdict.
        attempt(face: FaceVerdict, pad: PadVerdict);
        /// Walks out through the exit: zone C, then B and C clear.
        walk_out();
        /// A genuine traveller from the reader to the far side.
        genuine_passage();
        /// Walks back out through the entry (two-step) or away from the reader (one-step).
        walk_back();
    }

    pub fn chip_ticket(&self) -> Ticket {
        self.jobs.chip_read.expect("job started")
    }

    pub fn borderdb_ticket(&self) -> Ticket {
        self.jobs.borderdb.expect("job started")
    }

    pub fn face_ticket(&self) -> Ticket {
        self.jobs.face_match.expect("job started")
    }

    pub fn pad_ticket(&self) -> Ticket {
        self.jobs.pad.expect("job started")
    }

    // ---- observations ---------------------------------------------------------------

    pub fn audits(&self) -> Vec<&AuditEvent> {
        self.script.audits().collect()
    }

    pub fn outcomes(&self) -> Vec<PassageOutcome> {
        self.script
            .audits()
            .filter_map(|e| match e {
                AuditEvent::PassageEnded { outcome, .. } => Some(*outcome),
                _ => None,
            })
            .collect()
    }

    /// What `pick` finds in the command log, in order.
    fn logged<T>(&self, pick: impl FnMut(&Command) -> Option<T>) -> Vec<T> {
        self.log.iter().filter_map(pick).collect()
    }

    pub fn alarms(&self) -> Vec<ReasonCode> {
        self.logged(|c| match c {
            Command::RaiseAlarm(r) => Some(*r),
            _ => None,
        })
    }

    pub fn messages(&self) -> Vec<MessageCode> {
        self.logged(|c| match c {
            Command::ShowMessage(m) => Some(*m),
            _ => None,
        })
    }

    pub fn doors(&self) -> Vec<(DoorId, DoorAction)> {
        self.logged(|c| match c {
            Command::Door { door, action } => Some((*door, *action)),
            _ => None,
        })
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

    /// Forgets the log (keeps the gate, the model and the tickets).
    pub fn clear_log(&mut self) {
        self.script.log.clear();
    }
}
