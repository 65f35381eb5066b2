//! The gate's brain: a pure, deterministic passage state machine and its policy.
//!
//! # Contract
//!
//! No I/O, no clock, no async, no threads. Time is an argument (`now: Instant`), and so is
//! the civil date ([`GateConfig::today`], [`Input::DateChanged`]). Outputs are polled:
//! [`Gate::poll_command`] yields [`Command`]s in order (doors, jobs to start or cancel,
//! traveller messages, lamps, sounder, officer alarms, audit events) and
//! [`Gate::poll_timeout`] says when [`Gate::handle_timeout`] must next be called. The
//! same inputs at the same instants always produce the same commands.
//!
//! The gate never panics on any input. An input that makes no sense in the current
//! [`Phase`] is audited ([`AuditEvent::UnexpectedInput`]) and counted; a job result whose
//! [`Ticket`] is not the one the current state waits for is dropped
//! ([`AuditEvent::StaleResult`]), so a late match can never open a door for the next
//! traveller. The gate holds no biometrics and no document number: only verdicts and a
//! keyed [`Pseudonym`].
//!
//! # Safety invariants
//!
//! Checked by property tests and a fuzz target with the reusable [`check::SafetyModel`]:
//!
//! - the exit opens only after an accept for the current tickets (document read and
//!   eligible, border databases clear if required, face match and live PAD if required), or an
//!   officer's release;
//! - in a two-step lane the two doors are never commanded open together, except in an
//!   emergency (fire alarm, emergency button) or a configured fail-safe state that opens
//!   both, the documented exceptions;
//! - every phase that is not at rest has a deadline ([`Phase::is_at_rest`]);
//! - fault, shutdown and fire alarm put the doors in the configured safe state
//!   ([`SafeState`]; all open for a fire alarm);
//! - a door never closes while its zone is occupied or unreported (zone A guards the
//!   entry, zone C the exit): the close waits until the zone is clear;
//! - the entry first opens for a traveller only onto a free lane: zones B and C clear, the
//!   exit commanded closed and not reported open (checked at that moment, however long
//!   the document step took), and, with overlap, for one traveller at a time, a waiting
//!   one only after the exit was reported closed behind the one ahead.
//!
//! # The passage
//!
//! `Idle` → [`Input::DocumentPresented`] → `ReadingDocument` (chip read, PA, AA/CA, with
//! retries) → eligibility ([`policy::evaluate`]: authenticity, validity, then the rule table
//! of [`eligibility`] for the lane's [`Direction`]) → `CheckingBorderDb` → two-step:
//! `Entering` (entry open) → one person alone in zone B, zone A clear → `ClosingEntry` →
//! `Verifying` (capture + match, and PAD unless liveness is explicitly `NotChecked`, up to
//! N attempts) → `Exiting` (exit open) → zone C entered, then B and C clear →
//! `ClosingExit` → `Idle`. Every failure is a referral with a [`ReasonCode`]: the
//! traveller goes back out through the entry or waits for an officer
//! ([`ReferralRoute`]), and the officer's console gets [`Command::RaiseAlarm`]; the
//! traveller's display only ever says "see an officer" or "please go back".
//!
//! # API at a glance (for the daemon)
//!
//! - Build: [`GateConfig::two_step`] / [`GateConfig::one_step`] (then adjust fields),
//!   [`GateConfig::validate`] to report every problem at once, [`Gate::new`].
//! - Drive: [`Gate::handle`] with an [`Input`] ([`SensorEvent`], [`OfficerCommand`],
//!   [`DocumentVerdict`], [`BorderDbResult`], [`FaceVerdict`], [`PadVerdict`],
//!   [`Input::DateChanged`], [`Input::Shutdown`]); [`Gate::handle_timeout`] at
//!   [`Gate::poll_timeout`]; drain [`Gate::poll_command`] after every call.
//! - Carry out: [`Command`] — doors ([`DoorAction`]), jobs (`Start*`, `CancelJob`, each
//!   with a [`Ticket`] to echo back in the result), [`MessageCode`], [`Lamp`], sounder,
//!   [`Command::RaiseAlarm`] for the officer's queue, [`AuditEvent`] for the audit trail.
//! - Observe: [`Gate::phase`], [`Gate::reason`], [`Gate::passage`],
//!   [`Gate::current_pseudonym`], [`Gate::phase_since`], [`Gate::counters`]. Every
//!   enum the daemon logs or labels metrics with has a stable `as_str()`.
//! - Test: [`check::SafetyModel`] checks any command stream against the invariants;
//!   [`script::Script`] drives a genuine passage (or any traveller's actions) through a
//!   gate, for tests and benchmarks.
//!
//! # Driver loop
//!
//! The daemon owns the clock and the devices. A sketch (with `tokio`):
//!
//! ```ignore
//! let mut gate = gate::Gate::new(config, Instant::now());
//! loop {
//!     while let Some(cmd) = gate.poll_command() {
//!         match cmd {
//!             Command::Door { door, action } => doors.send(door, action).await?,
//!             Command::StartChipRead { ticket } => reader.start(ticket),   // on its own thread
//!             Command::StartFaceMatch { ticket } => vision.start(ticket),
//!             Command::CancelJob { ticket } => jobs.cancel(ticket),
//!             Command::Audit(event) => audit.append(event)?,              // fsync'd, chained
//!             other => console.publish(other),
//!         }
//!     }
//!     let input = match gate.poll_timeout() {
//!         Some(at) => tokio::select! {
//!             i = inputs.recv() => i,
//!             _ = tokio::time::sleep_until(at.into()) => {
//!                 gate.handle_timeout(Instant::now());
//!                 continue;
//!             }
//!         },
//!         None => inputs.recv().await,
//!     };
//!     match input {
//!         Some(input) => gate.handle(Instant::now(), input),
//!         None => { gate.handle(Instant::now(), Input::Shutdown); /* drain, then exit */ }
//!     }
//! }
//! ```
//!
//! A runnable, synchronous version of the same loop over virtual time:
//!
//! ```
//! use std::time::{Duration, Instant};
//! use gate::{CivilDate, Command, Gate, GateConfig, Input, SensorEvent, Zone};
//!
//! let today = CivilDate::new(2026, 11, 26).unwrap();
//! let mut now = Instant::now();
//! let mut gate = Gate::new(GateConfig::two_step(today), now);
//! // The door controller reports the lane clear; the doors close for service.
//! for zone in [Zone::A, Zone::B, Zone::C] {
//!     gate.handle(now, Input::Sensor(SensorEvent::Zone { zone, occupied: false }));
//! }
//! gate.handle(now, Input::DocumentPresented);
//! let mut chip_read = None;
//! while let Some(cmd) = gate.poll_command() {
//!     if let Command::StartChipRead { ticket } = cmd {
//!         chip_read = Some(ticket);
//!     }
//! }
//! assert!(chip_read.is_some());
//! // Nobody answers: jump virtual time to the deadline, the gate retries the read.
//! now = gate.poll_timeout().unwrap();
//! gate.handle_timeout(now);
//! assert_eq!(gate.phase(), gate::Phase::ReadingDocument);
//! # let _ = Duration::ZERO;
//! ```

pub mod check;
mod command;
mod config;
mod date;
mod deadline;
mod document_step;
mod doors;
pub mod eligibility;
mod events;
mod gate;
mod input;
mod names;
mod overlap;
mod passage;
mod phase;
pub mod policy;
mod reason;
pub mod script;
mod sensors;
mod state;
mod verdict;

pub use command::{
    AttemptRecord, AuditEvent, Command, DoorAction, JobKind, Lamp, Liveness, PassageId,
    PassageOutcome, Step,
};
pub use config::{
    Attempts, ConfigError, ConfigErrors, Consent, ConsentMode, DoorSafeState, GateConfig, Layout,
    LivenessMode, OccupancyAction, OccupancyPolicy, ReferralRoute, SafeState, Timeouts,
};
pub use date::{civil_from_days, days_from_civil, CivilDate, DateError};
pub use eligibility::{
    AgeBand, Decider, Direction, Holder, Outcome, Rule, RuleTable, StateGroup, TableProblem,
};
pub use gate::{Counters, Gate};
pub use input::{Device, Input, OfficerCommand, SensorEvent, Zone};
pub use phase::Phase;
pub use policy::{BorderDbMode, EligibilityPolicy, PaStrictness, PolicyDecision};
pub use reason::{MessageCode, ReasonCode};
pub use verdict::{
    BorderDbResult, ChipAuthOutcome, CountryCode, CountryCodeError, DocumentFacts, DocumentKind,
    DocumentVerdict, DoorId, FaceVerdict, PaOutcome, PadVerdict, Pseudonym, Ticket,
};
