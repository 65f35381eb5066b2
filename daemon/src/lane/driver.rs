//! The driver loop: the only place where the sans-IO [`gate::Gate`] meets the clock, the
//! devices, the audit trail, the metrics and the console.
//!
//! Shape (docs/ARCHITECTURE.md): drain `poll_command()` to the adapters; wait for the next input, the
//! gate's deadline or shutdown; call `handle*` with the clock's `now`. Blocking work (PC/SC,
//! ONNX) runs on the job runner's own threads, whose results come back as [`Input`]s with
//! the job's [`gate::Ticket`]. Officer commands from the console arrive through the gate's
//! [`LocalGate`] link and become [`Input::Officer`] — the console never drives hardware.
//!
//! Every gate audit event is appended (fsync'd) before the next command is carried out, so a
//! door never opens for a decision that is not on disk. When the trail cannot be written (a
//! full disk), a door opening commanded after the failed record waits ([`AuditHold`]; a
//! close or lock goes towards the safe state and is carried out), the gate is taken out of
//! service (its safe state) and takes no traveller, the records are kept in memory in order
//! and retried every [`AUDIT_RETRY`]. Once they are all on disk, the openings that waited for
//! them are carried out (the gate has acted on them all along: a traveller it let out of the
//! mantrap is let out now), and once the gate has reached out of service it is reset and
//! takes travellers again.

use std::collections::VecDeque;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use gate::{
    AuditEvent, Command, DoorAction, DoorId, Gate, Input, JobKind, Lamp, MessageCode,
    OfficerCommand, Phase,
};
use serde_json::{json, Value};
use tokio::sync::{mpsc, watch};
use tracing::{debug, error, info, info_span, warn, Instrument};

use crate::lane::clock::LaneClock;
use crate::lane::metrics::GateMetrics;
use audit::AuditLog;
use console::link::{self, DeviceHealth, GateEventKind, LocalGate};

/// Starts and cancels the gate's background jobs; results come back on the input channel.
pub trait JobRunner: Send {
    /// Starts a job; its result must arrive as the matching [`Input`] with `ticket`.
    fn start(&mut self, kind: JobKind, ticket: gate::Ticket);
    /// Cancels a job; a late result is dropped by the gate anyway (stale ticket).
    fn cancel(&mut self, ticket: gate::Ticket);
    /// The gate started `passage` with the latest scanned document.
    fn passage_started(&mut self, passage: gate::PassageId) {
        let _ = passage;
    }
    /// Whether `passage` is the lane's, rather than the next traveller's waiting at the
    /// entry (overlap): the console's photos and the PAD record are the lane's.
    fn is_lane(&mut self, passage: gate::PassageId) -> bool {
        let _ = passage;
        true
    }
    /// `passage` ended with `outcome`: the runner drops its personal data (zeroized).
    fn passage_ended(&mut self, passage: gate::PassageId, outcome: &gate::PassageOutcome) {
        let _ = (passage, outcome);
    }
    /// What the passage record says about presentation attack detection (the deciding
    /// signal), taken once when the passage ends.
    fn pad_record(&mut self) -> Option<Value> {
        None
    }
    /// What the passage record says about the deviation lists (ICAO 9303-12 §10) the chip
    /// check used, taken once when the passage ends.
    fn deviation_record(&mut self) -> Option<Value> {
        None
    }
    /// Why the jobs found `device` faulty (a camera `frozen`, a reader `unavailable`), for
    /// its device record and the console, while they do.
    fn device_detail(&mut self, device: gate::Device) -> Option<&'static str> {
        let _ = device;
        None
    }
}

/// Carries out the physical signals: doors, traveller display, lamps and sounder.
pub trait Signals: Send {
    /// A door command; the outcome comes back as sensor inputs (door closed/open) or a fault.
    fn door(&mut self, door: DoorId, action: DoorAction);
    /// A message for the traveller's display.
    fn message(&mut self, code: MessageCode);
    /// A message for the next traveller, waiting at the entry reader while the lane is
    /// busy (overlap). A lane without a display at the entry only logs it.
    fn entry_message(&mut self, code: MessageCode) {
        debug!(message = code.as_str(), "entry message");
    }
    /// The lane lamp.
    fn lamp(&mut self, lamp: Lamp);
    /// The alarm sounder.
    fn sounder(&mut self, on: bool);
    /// Commands still being carried out, to await before the process exits (the safe state
    /// at shutdown must reach the doors).
    fn in_flight(&mut self) -> Vec<tokio::task::JoinHandle<()>> {
        Vec::new()
    }
}

/// Everything one gate's driver loop needs.
pub struct Driver {
    /// The state machine.
    pub gate: Gate,
    /// Inputs from adapters and jobs.
    pub inputs: mpsc::UnboundedReceiver<Input>,
    /// Officer commands from the console.
    pub officer: mpsc::UnboundedReceiver<link::OfficerRequest>,
    /// Background jobs.
    pub jobs: Box<dyn JobRunner>,
    /// Doors, display, lamps.
    pub signals: Box<dyn Signals>,
    /// The audit trail (shared by the gates of one process).
    pub audit: Arc<Mutex<AuditLog>>,
    /// The console link.
    pub link: Arc<LocalGate>,
    /// Metrics for this gate.
    pub metrics: GateMetrics,
    /// Whether liveness is checked (for the console's status line).
    pub liveness: String,
    /// Records the trail could not take yet, and whether the gate is held out of service
    /// for them.
    pub audit_hold: AuditHold,
    /// The lane's civil date (`[gate] utc_offset_minutes`): when it turns, the gate gets
    /// [`Input::DateChanged`].
    pub clock: LaneClock,
    /// The lane's traveller screen: which privacy notice the passage record names.
    pub screen: traveller::Feed,
    /// Beats on every turn of the loop, for the systemd watchdog.
    pub heartbeat: crate::service::Heartbeat,
    /// The border crossing point's code (`[gate] bcp`), on every passage record.
    pub bcp: String,
}

/// Audit records kept in memory while the trail cannot be written, and the door openings
/// that wait for them.
#[derive(Debug, Default)]
pub struct AuditHold {
    /// (kind, data) in the order they were produced.
    pending: VecDeque<(&'static str, Value)>,
    /// Whether the gate is held out of service for them.
    held: bool,
    /// Whether the driver took it out of service (and so resets it once they are written
    /// and the gate has come to rest out of service).
    reset_after: bool,
    /// Per door (entry, exit): an opening the gate commanded after a record that is not on
    /// disk, not yet carried out. The gate counts the door as open; a later command for the
    /// door replaces it.
    withheld: [Option<DoorAction>; 2],
}

impl AuditHold {
    /// Whether records are waiting for the trail.
    pub fn failing(&self) -> bool {
        !self.pending.is_empty()
    }

    /// Keeps a record behind those already kept.
    pub fn keep(&mut self, kind: &'static str, data: Value) {
        self.pending.push_back((kind, data));
    }

    /// How many records are kept.
    pub fn kept(&self) -> usize {
        self.pending.len()
    }

    /// What happens to a door command of the gate: `true` to carry it out now, `false` when
    /// it waits for the records before it (an opening while they are not on disk and the
    /// gate has not yet been taken out of service).
    fn door_now(&mut self, door: DoorId, action: DoorAction) -> bool {
        let wait = action == DoorAction::Open && self.failing() && !self.held;
        // A later command for the door replaces one that waits.
        self.withheld[door_slot(door)] = wait.then_some(action);
        !wait
    }

    /// The openings that waited, now that their records are on disk.
    fn take_withheld(&mut self) -> Vec<(DoorId, DoorAction)> {
        [DoorId::Entry, DoorId::Exit]
            .into_iter()
            .filter_map(|d| self.withheld[door_slot(d)].take().map(|a| (d, a)))
            .collect()
    }
}

fn door_slot(door: DoorId) -> usize {
    match door {
        DoorId::Entry => 0,
        DoorId::Exit => 1,
    }
}

/// How often records kept in memory are tried again.
pub const AUDIT_RETRY: Duration = Duration::from_secs(1);
/// Records kept in memory at most; beyond, the gate stops (safe state) as it cannot go on
/// without losing records.
pub const AUDIT_PENDING_MAX: usize = 100_000;

/// Alarms the trail could not record count down from here (their ids cannot collide with a
/// record's sequence number).
const UNRECORDED_ALARM: u64 = u64::MAX;

/// The longest the loop sleeps without comparing the date, even when midnight is far: a
/// wall clock stepped across midnight (NTP, an operator) is noticed within this.
const DATE_RECHECK: Duration = Duration::from_secs(60);

impl Driver {
    /// Runs until `shutdown` turns true; then hands the gate `Input::Shutdown`, carries out
    /// the resulting safe-state commands and returns.
    pub async fn run(mut self, mut shutdown: watch::Receiver<bool>) {
        let id = self.link.id_string();
        let span = info_span!("gate", gate = %id);
        async move {
            let mut phase_since = Instant::now();
            let mut last_phase = self.gate.phase();
            let mut alarm_seq = 0u64;
            let mut date = self.gate.config().today;
            let mut answers: Vec<GateEventKind> = Vec::new();
            loop {
                self.heartbeat.beat();
                self.check_date(&mut date);
                // The status first: the console reads it when an event arrives, so every
                // event below must find the state after the input that caused it.
                let phase = self.gate.phase();
                if phase != last_phase {
                    self.metrics
                        .observe_phase(last_phase.as_str(), phase_since.elapsed());
                    last_phase = phase;
                    phase_since = Instant::now();
                }
                self.publish_status(phase_since);
                self.drain(&mut alarm_seq);
                for answer in answers.drain(..) {
                    self.link.publish(answer);
                }
                if self.audit_hold.failing() && !self.audit_hold.held {
                    // Our own rule: no decision without a record. The gate goes out of
                    // service (its safe state) until the records are on disk.
                    self.audit_hold.held = true;
                    self.audit_hold.reset_after = self.gate.phase() != Phase::OutOfService;
                    self.gate
                        .handle(Instant::now(), Input::Officer(OfficerCommand::OutOfService));
                    self.drain(&mut alarm_seq);
                    self.publish_status(phase_since);
                    alarm_seq += 1;
                    self.link.publish(GateEventKind::Alarm {
                        alarm_id: UNRECORDED_ALARM - alarm_seq,
                        reason: "audit_failure".into(),
                    });
                    error!(
                        "gate out of service: the audit trail cannot be written; its records \
                         are kept until it can"
                    );
                }
                if self.audit_hold.reset_after
                    && !self.audit_hold.failing()
                    && self.gate.phase() == Phase::OutOfService
                {
                    // The passage the hold found has ended and the gate has come to rest out
                    // of service: it takes travellers again.
                    self.audit_hold.reset_after = false;
                    info!("gate back in service: the audit trail takes records again");
                    self.gate
                        .handle(Instant::now(), Input::Officer(OfficerCommand::Reset));
                    self.drain(&mut alarm_seq);
                    continue;
                }
                if self.audit_hold.pending.len() > AUDIT_PENDING_MAX {
                    self.gate.handle(Instant::now(), Input::Shutdown);
                    self.drain(&mut alarm_seq);
                    error!(
                        kept = self.audit_hold.pending.len(),
                        "gate stopped: the audit trail has not been writable for too long"
                    );
                    return;
                }
                let deadline = self.gate.poll_timeout();
                let sleep = async {
                    match deadline {
                        Some(at) => tokio::time::sleep_until(at.into()).await,
                        None => std::future::pending().await,
                    }
                };
                let date_check = tokio::time::sleep(self.clock.until_midnight().min(DATE_RECHECK));
                let retry = tokio::time::sleep(AUDIT_RETRY);
                let holding = self.audit_hold.held;
                tokio::select! {
                    biased;
                    _ = async { drop(shutdown.wait_for(|s| *s).await) } => {
                        self.gate.handle(Instant::now(), Input::Shutdown);
                        self.drain(&mut alarm_seq);
                        for cmd in self.signals.in_flight() {
                            let _ = tokio::time::timeout(Duration::from_secs(1), cmd).await;
                        }
                        info!("driver stopped");
                        return;
                    }
                    input = self.inputs.recv() => match input {
                        Some(input) => {
                            self.metrics.input(input.kind());
                            self.metrics.steps.input(&input);
                            self.gate.handle(Instant::now(), input);
                        }
                        None => {
                            warn!("all input sources closed; shutting the gate down");
                            self.gate.handle(Instant::now(), Input::Shutdown);
                            self.drain(&mut alarm_seq);
                            return;
                        }
                    },
                    cmd = self.officer.recv() => {
                        if let Some(cmd) = cmd {
                            answers.push(self.officer_command(cmd));
                        }
                    }
                    _ = retry, if holding => self.retry_audit(),
                    _ = sleep => self.gate.handle_timeout(Instant::now()),
                    // The date is compared at the top of the loop, on every wake.
                    _ = date_check => {}
                    // The heartbeat, too: a quiet lane still proves its loop turns.
                    _ = self.heartbeat.due() => {}
                }
            }
        }
        .instrument(span)
        .await
    }

    /// Hands the gate the lane's date if it is no longer `date`: at midnight, or after the
    /// wall clock was stepped (either way).
    fn check_date(&mut self, date: &mut gate::CivilDate) {
        let today = self.clock.today();
        if today != *date {
            info!(from = %date, to = %today, "civil date changed");
            *date = today;
            let input = Input::DateChanged(today);
            self.metrics.input(input.kind());
            self.gate.handle(Instant::now(), input);
        }
    }

    /// Writes the records kept in memory, in order, as far as the trail takes them; once all
    /// are written, records the outage and carries out the door openings that waited.
    fn retry_audit(&mut self) {
        let kept = self.audit_hold.pending.len();
        {
            let audit = self.audit.lock().unwrap_or_else(|p| p.into_inner());
            while let Some((kind, data)) = self.audit_hold.pending.front() {
                if audit.append(kind, data).is_err() {
                    return;
                }
                self.audit_hold.pending.pop_front();
            }
        }
        self.audit_hold.held = false;
        info!(kept, "the audit trail takes records again");
        self.append("audit_resumed", json!({ "records_kept": kept }));
        // The gate has counted these doors open since it commanded them; their decisions are
        // on disk now. The gate is reset at the top of the loop once it has come to rest out
        // of service.
        for (door, action) in self.audit_hold.take_withheld() {
            info!(
                ?door,
                ?action,
                "door command carried out: its record is on disk"
            );
            self.signals.door(door, action);
        }
    }

    /// Hands the gate an officer's command; returns the answer to publish once the status
    /// shows its effect. While the audit trail cannot be written, none is carried out.
    fn officer_command(&mut self, cmd: link::OfficerRequest) -> GateEventKind {
        if self.audit_hold.failing() {
            warn!(officer = %cmd.officer, "officer command refused: the audit trail cannot be written");
            return GateEventKind::Command {
                officer: cmd.officer,
                action: cmd.action,
                accepted: false,
            };
        }
        // Who asked is recorded before the gate acts; the gate's own OfficerAction audit
        // event (accepted or not) follows.
        self.append(
            "officer_command",
            json!({ "officer": cmd.officer, "action": cmd.action, "comment": cmd.comment }),
        );
        let before = self.gate.counters();
        self.gate.handle(Instant::now(), Input::Officer(cmd.action));
        let after = self.gate.counters();
        let accepted = after.unexpected_inputs == before.unexpected_inputs;
        if accepted {
            // The officer decides now: the driver no longer resets the gate it took out of
            // service for the audit trail.
            self.audit_hold.reset_after = false;
        }
        GateEventKind::Command {
            officer: cmd.officer,
            action: cmd.action,
            accepted,
        }
    }

    /// Carries out every pending command, in order.
    fn drain(&mut self, alarm_seq: &mut u64) {
        while let Some(cmd) = self.gate.poll_command() {
            debug!(?cmd, "command");
            match cmd {
                // A door opens only for decisions on disk; the gate's own safe state (out
                // of service) follows the failed record.
                Command::Door { door, action } => {
                    if self.audit_hold.door_now(door, action) {
                        self.signals.door(door, action)
                    } else {
                        warn!(
                            ?door,
                            ?action,
                            "door command waits: its record is not on disk"
                        );
                    }
                }
                Command::StartChipRead { ticket } => self.start(JobKind::ChipRead, ticket),
                Command::StartBorderDb { ticket } => self.start(JobKind::BorderDb, ticket),
                Command::StartFaceMatch { ticket } => self.start(JobKind::FaceMatch, ticket),
                Command::StartPad { ticket } => self.start(JobKind::Pad, ticket),
                Command::CancelJob { ticket } => {
                    self.metrics.steps.job_cancelled(ticket);
                    self.jobs.cancel(ticket)
                }
                Command::ShowMessage(code) => self.signals.message(code),
                Command::ShowEntryMessage(code) => self.signals.entry_message(code),
                Command::Lamp(lamp) => self.signals.lamp(lamp),
                Command::Sounder(on) => self.signals.sounder(on),
                Command::RaiseAlarm(reason) => {
                    self.metrics.alarm(reason.as_str());
                    // The alarm's id is its record's sequence number: unique in the trail
                    // across restarts, so the console rebuilds its queue from the trail.
                    let alarm_id = self
                        .append("alarm", json!({ "reason": reason.as_str() }))
                        .unwrap_or_else(|| {
                            *alarm_seq += 1;
                            UNRECORDED_ALARM - *alarm_seq
                        });
                    self.link.publish(GateEventKind::Alarm {
                        alarm_id,
                        reason: reason.as_str().to_string(),
                    });
                }
                Command::Audit(event) => self.audit_event(event),
            }
        }
    }

    fn start(&mut self, kind: JobKind, ticket: gate::Ticket) {
        self.metrics.steps.job_started(kind, ticket);
        self.jobs.start(kind, ticket);
    }

    fn audit_event(&mut self, event: AuditEvent) {
        let (kind, mut data) = audit_record(&event);
        let in_lane = match &event {
            AuditEvent::PassageEnded { passage, .. } => self.jobs.is_lane(*passage),
            _ => false,
        };
        if in_lane {
            if let Some(pad) = self.jobs.pad_record() {
                self.metrics.pad(
                    pad["decision"].as_str().unwrap_or("unknown"),
                    pad["species"].as_str().unwrap_or(""),
                );
                data["pad"] = pad;
            }
            if let Some(deviations) = self.jobs.deviation_record() {
                data["deviations"] = deviations;
            }
        }
        match &event {
            AuditEvent::PassageStarted { passage } => self.jobs.passage_started(*passage),
            AuditEvent::PassageEnded {
                passage,
                outcome,
                took,
                ..
            } => {
                let (o, reason) = outcome_parts(outcome);
                self.metrics.passage(o, reason.unwrap_or("none"), *took);
                self.link.publish(GateEventKind::Passage {
                    outcome: o.to_string(),
                    reason: reason.map(str::to_string),
                    duration_ms: took.as_millis() as u64,
                });
                // The passage is over: its data goes (zeroized), and, if it was the lane's,
                // its photos on the console.
                if in_lane {
                    self.link.set_photo(link::PhotoKind::Chip, None);
                    self.link.set_photo(link::PhotoKind::Live, None);
                }
                self.jobs.passage_ended(*passage, outcome);
                data["notice"] = self.screen.take_notice_shown().into();
                data["bcp"] = self.bcp.as_str().into();
                data["direction"] = self.gate.config().direction.as_str().into();
            }
            AuditEvent::PhaseChanged { to, .. } => {
                self.link.publish(GateEventKind::Phase {
                    phase: to.as_str().to_string(),
                    step: String::new(),
                });
            }
            AuditEvent::DeviceHealth { device, fault } => {
                let name = device_name(*device);
                self.metrics.device(name, !fault);
                let detail = fault.then(|| self.jobs.device_detail(*device)).flatten();
                if let Some(d) = detail {
                    data["detail"] = d.into();
                }
                let health = DeviceHealth {
                    device: name.to_string(),
                    ok: !fault,
                    detail: match (fault, detail) {
                        (true, Some(d)) => d.into(),
                        (true, None) => "fault".into(),
                        (false, _) => String::new(),
                    },
                };
                self.link.set_status(|s| {
                    s.devices.retain(|d| d.device != name);
                    s.devices.push(health.clone());
                });
                self.link.publish(GateEventKind::Device(health));
            }
            AuditEvent::StaleResult { .. } => self.metrics.stale(),
            AuditEvent::UnexpectedInput { .. } => self.metrics.unexpected(),
            _ => {}
        }
        self.append(kind, data);
    }

    /// Appends a record of this gate (its id in `data.gate`: the lanes of one daemon share
    /// its trail); returns its sequence number, `None` when it is kept in memory because the
    /// trail cannot be written.
    fn append(&mut self, kind: &'static str, mut data: Value) -> Option<u64> {
        if let Some(obj) = data.as_object_mut() {
            obj.insert("gate".into(), self.link.id_string().into());
        }
        // Behind records already kept, a record waits its turn: the trail stays in order.
        if self.audit_hold.failing() {
            self.audit_hold.keep(kind, data);
            return None;
        }
        let appended = super::blocking(|| {
            let audit = self.audit.lock().unwrap_or_else(|p| p.into_inner());
            audit.append(kind, &data)
        });
        match appended {
            Ok(seq) => Some(seq),
            Err(e) => {
                // The trail is the record of every decision: without it the gate must not go
                // on deciding. The loop takes the gate out of service until it is written.
                error!(error = %e, "audit trail write failed; the gate goes out of service");
                self.metrics.audit_failure();
                self.audit_hold.keep(kind, data);
                None
            }
        }
    }

    fn publish_status(&self, phase_since: Instant) {
        let phase = self.gate.phase();
        let counters = self.gate.counters();
        self.link.set_status(|s| {
            s.phase = phase.as_str().to_string();
            s.elapsed_ms = phase_since.elapsed().as_millis() as u64;
            s.lane_open = !matches!(phase, gate::Phase::LaneClosed);
            s.out_of_service = matches!(
                phase,
                gate::Phase::OutOfService | gate::Phase::Emergency | gate::Phase::Fault
            );
            s.liveness = self.liveness.clone();
            s.passages_accepted = counters.accepted;
            s.passages_referred = counters.referred;
        });
    }
}

fn outcome_parts(o: &gate::PassageOutcome) -> (&'static str, Option<&'static str>) {
    match o {
        gate::PassageOutcome::Accepted => ("accepted", None),
        gate::PassageOutcome::ReleasedByOfficer => ("released_by_officer", None),
        gate::PassageOutcome::Referred(r) => ("referred", Some(r.as_str())),
        gate::PassageOutcome::Aborted(r) => ("aborted", Some(r.as_str())),
    }
}

/// A device's name in the trail, the metrics and the console.
pub(crate) fn device_name(d: gate::Device) -> &'static str {
    match d {
        gate::Device::DocumentReader => "chip_reader",
        gate::Device::MrzScanner => "mrz_scanner",
        gate::Device::Camera => "camera",
        gate::Device::DoorController => "door_controller",
        gate::Device::BorderDb => "borderdb",
        gate::Device::Biometrics => "biometrics",
    }
}

fn ms(d: Duration) -> u64 {
    d.as_millis() as u64
}

/// Maps a gate audit event to the trail's (kind, data). Only verdicts, reason codes,
/// timings, device events and the pseudonym: the gate holds nothing else.
pub fn audit_record(e: &AuditEvent) -> (&'static str, Value) {
    match e {
        AuditEvent::PhaseChanged { from, to, after } => (
            "phase",
            json!({ "from": from.as_str(), "to": to.as_str(), "after_ms": ms(*after) }),
        ),
        AuditEvent::PassageStarted { passage } => {
            ("passage_started", json!({ "passage": passage.0 }))
        }
        AuditEvent::Attempt(a) => (
            "attempt",
            json!({
                "passage": a.passage.0, "step": format!("{:?}", a.step), "attempt": a.attempt,
                "of": a.of, "failure": a.failure.map(|r| r.as_str()),
                "score": a.score.map(|(s, _)| s), "threshold": a.score.map(|(_, t)| t),
                "took_ms": ms(a.took),
            }),
        ),
        AuditEvent::Transaction {
            passage,
            step,
            attempts,
            failure,
            took,
        } => (
            "transaction",
            json!({
                "passage": passage.0, "step": format!("{step:?}"), "attempts": attempts,
                "failure": failure.map(|r| r.as_str()), "took_ms": ms(*took),
            }),
        ),
        AuditEvent::DocumentDecision {
            passage,
            pseudonym,
            pa,
            chip_auth,
            refusal,
            rule,
        } => (
            "document_decision",
            json!({
                "passage": passage.0, "document": pseudonym.0, "pa": format!("{pa:?}"),
                "chip_auth": format!("{chip_auth:?}"), "refusal": refusal.map(|r| r.as_str()),
                "rule": rule,
            }),
        ),
        AuditEvent::PassageEnded {
            passage,
            outcome,
            liveness,
            took,
        } => {
            let (o, reason) = outcome_parts(outcome);
            (
                "passage",
                json!({
                    "passage": passage.0, "outcome": o, "reason": reason,
                    "liveness": match liveness {
                        gate::Liveness::Checked => "checked",
                        gate::Liveness::NotChecked => "not_checked",
                        gate::Liveness::NotReached => "not_reached",
                    },
                    "took_ms": ms(*took),
                }),
            )
        }
        AuditEvent::StaleResult { job, ticket } => (
            "stale_result",
            json!({ "job": format!("{job:?}"), "ticket": ticket.0 }),
        ),
        AuditEvent::UnexpectedInput { phase, input } => (
            "unexpected_input",
            json!({ "phase": phase.as_str(), "input": input }),
        ),
        AuditEvent::Occupancy {
            reason,
            action,
            phase,
        } => (
            "occupancy",
            json!({ "reason": reason.as_str(), "action": format!("{action:?}"), "phase": phase.as_str() }),
        ),
        AuditEvent::DeviceHealth { device, fault } => (
            "device",
            json!({ "device": device_name(*device), "fault": fault }),
        ),
        AuditEvent::OfficerAction {
            command,
            phase,
            accepted,
        } => (
            "officer_action",
            json!({ "command": format!("{command:?}"), "phase": phase.as_str(), "accepted": accepted }),
        ),
        AuditEvent::InterlockRefused { door } => {
            ("interlock_refused", json!({ "door": format!("{door:?}") }))
        }
        AuditEvent::SafeState { cause } => ("safe_state", json!({ "cause": cause.as_str() })),
        AuditEvent::DateChanged { date } => ("date_changed", json!({ "date": date.to_string() })),
        AuditEvent::Condition { reason, active } => (
            "condition",
            json!({ "reason": reason.as_str(), "active": active }),
        ),
        AuditEvent::Assisted => ("assisted", json!({})),
        other => ("gate_event", json!({ "event": format!("{other:?}") })),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lane::metrics::Metrics;
    use console::link::{GateLink, GateStatus, OfficerRequest};
    use gate::OfficerCommand;

    struct NoJobs;
    impl JobRunner for NoJobs {
        fn start(&mut self, _kind: JobKind, _ticket: gate::Ticket) {}
        fn cancel(&mut self, _ticket: gate::Ticket) {}
    }
    struct NoSignals;
    impl Signals for NoSignals {
        fn door(&mut self, _door: DoorId, _action: DoorAction) {}
        fn message(&mut self, _code: MessageCode) {}
        fn lamp(&mut self, _lamp: Lamp) {}
        fn sounder(&mut self, _on: bool) {}
    }

    /// While a record is not on disk, an opening waits and a close or lock (towards the
    /// safe state) does not; a later command for a door replaces the opening that waited;
    /// once the gate is held out of service its own commands are carried out.
    #[test]
    fn an_opening_waits_for_its_record_and_a_later_command_replaces_it() {
        let mut hold = AuditHold::default();
        assert!(
            hold.door_now(DoorId::Exit, DoorAction::Open),
            "trail writable"
        );
        hold.keep("passage", json!({}));
        assert!(!hold.door_now(DoorId::Exit, DoorAction::Open));
        assert!(!hold.door_now(DoorId::Entry, DoorAction::Open));
        assert!(hold.door_now(DoorId::Entry, DoorAction::Close));
        assert!(hold.door_now(DoorId::Exit, DoorAction::Lock));
        let mut hold2 = AuditHold::default();
        hold2.keep("passage", json!({}));
        assert!(!hold2.door_now(DoorId::Exit, DoorAction::Open));
        assert!(hold2.door_now(DoorId::Entry, DoorAction::Lock));
        hold2.held = true;
        assert!(
            hold2.door_now(DoorId::Entry, DoorAction::Open),
            "held: the gate's own"
        );
        // Both openings of the first hold were replaced by a close and a lock.
        assert_eq!(hold.take_withheld(), vec![]);
        assert_eq!(
            hold2.take_withheld(),
            vec![(DoorId::Exit, DoorAction::Open)]
        );
        assert_eq!(hold2.take_withheld(), vec![], "carried out once");
    }

    /// Every record of a gate names it: the lanes of one daemon share its trail.
    #[tokio::test]
    async fn a_gate_names_itself_in_its_records() {
        let dir = tempfile::tempdir().unwrap();
        let trail = dir.path().join("audit.jsonl");
        let audit =
            AuditLog::open(&trail, "daemon", &audit::AuditKey::from_bytes(&[7; 32])).unwrap();
        let registry = prometheus::Registry::new();
        let clock = LaneClock::new(0);
        let (link, officer) = LocalGate::new(GateStatus::idle("lane-3", "not-checked"));
        let (_inputs_tx, inputs) = mpsc::unbounded_channel();
        let driver = Driver {
            gate: Gate::new(gate::GateConfig::two_step(clock.today()), Instant::now()),
            inputs,
            officer,
            jobs: Box::new(NoJobs),
            signals: Box::new(NoSignals),
            audit: Arc::new(Mutex::new(audit.clone())),
            link: link.clone(),
            metrics: Metrics::register(&registry).unwrap().for_gate("lane-3"),
            liveness: "not-checked".into(),
            bcp: "bcp-test".into(),
            audit_hold: AuditHold::default(),
            clock,
            screen: traveller::Screens::new(traveller::Settings::built_in("1")).lane("lane-3"),
            heartbeat: crate::service::Heartbeat::unwatched(),
        };
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(driver.run(stopped));
        let (early, _rx) = link.subscribe_from_start();
        let first = match early.first() {
            Some(ev) => ev.clone(),
            None => tokio::time::timeout(Duration::from_secs(5), link.subscribe().recv())
                .await
                .expect("an event")
                .unwrap(),
        };
        assert_eq!(first.gate, "lane-3");
        stop.send(true).unwrap();
        task.await.unwrap();
        audit.close();
        let records = audit::read_records(&trail).unwrap();
        assert!(!records.is_empty());
        for r in records {
            assert_eq!(r["gate"], "daemon");
            assert_eq!(r["data"]["gate"], "lane-3", "{r}");
        }
    }

    /// The console reads a gate's status when one of its events arrives, on another thread:
    /// every event must find the status after the input that caused it, or an accepted
    /// `lane_close` shows an open lane until something else happens at that gate.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn every_event_finds_the_status_after_its_cause() {
        let dir = tempfile::tempdir().unwrap();
        let audit = AuditLog::open(
            &dir.path().join("audit.jsonl"),
            "t",
            &audit::AuditKey::from_bytes(&[7; 32]),
        )
        .unwrap();
        let registry = prometheus::Registry::new();
        let clock = LaneClock::new(0);
        let (link, officer) = LocalGate::new(GateStatus::idle("t", "not-checked"));
        let (_inputs_tx, inputs) = mpsc::unbounded_channel();
        let driver = Driver {
            gate: Gate::new(gate::GateConfig::two_step(clock.today()), Instant::now()),
            inputs,
            officer,
            jobs: Box::new(NoJobs),
            signals: Box::new(NoSignals),
            audit: Arc::new(Mutex::new(audit)),
            link: link.clone(),
            metrics: Metrics::register(&registry).unwrap().for_gate("t"),
            liveness: "not-checked".into(),
            bcp: "bcp-test".into(),
            audit_hold: AuditHold::default(),
            clock,
            screen: traveller::Screens::new(traveller::Settings::built_in("1")).lane("t"),
            heartbeat: crate::service::Heartbeat::unwatched(),
        };
        let mut events = link.subscribe();
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(driver.run(stopped));
        // Read on a thread of its own, the moment each event is sent.
        let reader = link.clone();
        let (checked, mut answered) = mpsc::unbounded_channel();
        let checks = std::thread::spawn(move || {
            let mut answers = Vec::new();
            while answers.len() < 40 {
                let ev = match events.blocking_recv() {
                    Ok(ev) => ev,
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(e) => panic!("event stream ended: {e}"),
                };
                let status = reader.status().unwrap();
                match ev.kind {
                    GateEventKind::Phase { phase, .. } => {
                        assert_eq!(status.phase, phase);
                        checked.send(false).unwrap();
                    }
                    GateEventKind::Command {
                        action, accepted, ..
                    } => {
                        assert!(accepted, "{action:?} refused");
                        let open = action == OfficerCommand::LaneOpen;
                        assert_eq!(status.lane_open, open, "status after {action:?}");
                        answers.push(action);
                        checked.send(true).unwrap();
                    }
                    _ => {}
                }
            }
            answers
        });
        // The phase the gate starts in is checked before the first command.
        assert!(!answered.recv().await.unwrap());
        for _ in 0..20 {
            for action in [OfficerCommand::LaneClose, OfficerCommand::LaneOpen] {
                link.command(OfficerRequest {
                    officer: "o1".into(),
                    role: console::auth::Role::Supervisor,
                    action,
                    comment: None,
                })
                .unwrap();
                // One command at a time: the next once this one's answer was checked.
                while !answered.recv().await.unwrap() {}
            }
        }
        assert_eq!(checks.join().unwrap().len(), 40);
        stop.send(true).unwrap();
        task.await.unwrap();
    }
}
