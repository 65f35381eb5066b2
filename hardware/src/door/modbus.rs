//! The real door-controller adapter: Modbus RTU over a serial port.
//!
//! One tokio task owns the port. It polls the discrete inputs (function 02) and the input
//! registers (function 04) every `poll_period_ms`, turns differences into [`DoorEvent`]s,
//! executes commands with single-coil writes (function 05, Modbus Application Protocol V1.1b3
//! §6.5) between polls, and confirms door movements from later polls. Commands reach the task
//! through a channel, so the handle is cheap, `Send + Sync` and object-safe.

use std::io;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::FutureExt;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio::time::{Instant, MissedTickBehavior};
use tokio_modbus::client::{Context, Reader, Writer};
use tokio_modbus::Slave;
use tokio_serial::SerialPortBuilderExt;

use super::map::{DoorMap, Parity, SafeState};
use super::rtu;
use super::stats::{LinkStats, LinkStatsSnapshot};
use super::tap::{Capture, Tap};
use super::{
    BoxFuture, DoorCommand, DoorController, DoorError, DoorEvent, DoorId, DoorPosition, Input,
    InputSet, Output, SafeReason, Snapshot,
};

/// A command and where to send its outcome.
struct Request {
    command: DoorCommand,
    reply: oneshot::Sender<Result<(), DoorError>>,
}

/// State shared between the handle and the task.
#[derive(Debug, Default)]
struct Shared {
    snapshot: Mutex<Option<Snapshot>>,
    stats: LinkStats,
}

/// The Modbus RTU door controller adapter. Dropping it stops its task.
#[derive(Debug)]
pub struct ModbusDoorController {
    requests: mpsc::UnboundedSender<Request>,
    shared: Arc<Shared>,
    task: JoinHandle<()>,
}

impl ModbusDoorController {
    /// Opens `port` (e.g. `/dev/ttyUSB0` or a pty path), starts polling with `map`, and returns
    /// the handle and the event stream. Must be called inside a tokio runtime. Fails only if
    /// the map is invalid or the port cannot be opened; a silent controller is reported later
    /// as [`DoorEvent::LinkFault`].
    pub fn open(
        port: &str,
        map: DoorMap,
    ) -> Result<(Self, mpsc::UnboundedReceiver<DoorEvent>), DoorError> {
        if let Err(errors) = map.validate() {
            let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
            return Err(DoorError::Protocol(format!(
                "invalid register map: {}",
                text.join("; ")
            )));
        }
        let shared = Arc::new(Shared::default());
        let (events_tx, events_rx) = mpsc::unbounded_channel();
        let (requests_tx, requests_rx) = mpsc::unbounded_channel();
        let mut poller = Poller {
            port: port.to_string(),
            link: None,
            last_ok: Instant::now(),
            connected: false,
            link_faulted: false,
            last: None,
            pending: [None, None],
            safe_pending: None,
            events: events_tx,
            shared: shared.clone(),
            map,
        };
        poller.link = Some(poller.open_port()?);
        let task = tokio::spawn(poller.run(requests_rx));
        Ok((
            ModbusDoorController {
                requests: requests_tx,
                shared,
                task,
            },
            events_rx,
        ))
    }

    /// Executes a command (see [`DoorController::command`]).
    pub async fn execute(&self, command: DoorCommand) -> Result<(), DoorError> {
        let (reply, rx) = oneshot::channel();
        self.requests
            .send(Request { command, reply })
            .map_err(|_| DoorError::Stopped)?;
        rx.await.unwrap_or(Err(DoorError::Stopped))
    }
}

impl Drop for ModbusDoorController {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl DoorController for ModbusDoorController {
    fn command(&self, command: DoorCommand) -> BoxFuture<'_, Result<(), DoorError>> {
        Box::pin(self.execute(command))
    }

    fn snapshot(&self) -> Option<Snapshot> {
        *lock(&self.shared.snapshot)
    }

    fn stats(&self) -> LinkStatsSnapshot {
        self.shared.stats.snapshot()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A door command waiting for its confirming reading.
struct Pending {
    command: DoorCommand,
    started: Instant,
    deadline: Instant,
    reply: Option<oneshot::Sender<Result<(), DoorError>>>,
}

impl Pending {
    fn finish(mut self, result: Result<(), DoorError>) {
        if let Some(reply) = self.reply.take() {
            // The caller may have gone away; that is not an error.
            let _ = reply.send(result);
        }
    }
}

/// One Modbus transaction.
#[derive(Debug, Clone, Copy)]
enum Op {
    ReadInputs(u16, u16),
    ReadRegisters(u16, u16),
    WriteCoil(u16, bool),
}

enum Reply {
    Bits(Vec<bool>),
    Words(Vec<u16>),
    Written,
}

/// The open port: the tokio-modbus context and the tap's capture.
struct Link {
    ctx: Context,
    capture: Capture,
}

/// The polling task's state.
struct Poller {
    map: DoorMap,
    port: String,
    link: Option<Link>,
    /// When the last valid answer arrived (start time before the first).
    last_ok: Instant,
    /// A full reading has been reported since start or since the last link fault.
    connected: bool,
    /// The watchdog has fired and the link has not come back yet.
    link_faulted: bool,
    /// The last complete reading while connected.
    last: Option<Snapshot>,
    pending: [Option<Pending>; 2],
    /// A safe state to write as soon as the link is back.
    safe_pending: Option<SafeReason>,
    events: mpsc::UnboundedSender<DoorEvent>,
    shared: Arc<Shared>,
}

fn door_index(door: DoorId) -> usize {
    match door {
        DoorId::Entry => 0,
        DoorId::Exit => 1,
    }
}

impl Poller {
    fn open_port(&self) -> Result<Link, DoorError> {
        let s = &self.map.serial;
        let parity = match s.parity {
            Parity::None => tokio_serial::Parity::None,
            Parity::Even => tokio_serial::Parity::Even,
            Parity::Odd => tokio_serial::Parity::Odd,
        };
        let stop = if s.stop_bits == 2 {
            tokio_serial::StopBits::Two
        } else {
            tokio_serial::StopBits::One
        };
        let stream = tokio_serial::new(&self.port, s.baud)
            .data_bits(tokio_serial::DataBits::Eight)
            .parity(parity)
            .stop_bits(stop)
            .flow_control(tokio_serial::FlowControl::None)
            .open_native_async()
            .map_err(|e| DoorError::Port {
                port: self.port.clone(),
                message: e.to_string(),
            })?;
        let capture = Capture::default();
        let ctx = tokio_modbus::client::rtu::attach_slave(
            Tap::new(stream, capture.clone()),
            Slave(self.map.unit_id),
        );
        Ok(Link { ctx, capture })
    }

    fn emit(&self, event: DoorEvent) {
        tracing::debug!(?event, "door controller event");
        // The receiver may have been dropped (a CLI that only wanted one answer).
        let _ = self.events.send(event);
    }

    async fn run(mut self, mut requests: mpsc::UnboundedReceiver<Request>) {
        let mut ticker = tokio::time::interval(self.map.poll_period());
        ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let mut requests_open = true;
        loop {
            tokio::select! {
                biased;
                req = requests.recv(), if requests_open => match req {
                    Some(req) => self.handle_request(req).await,
                    // The handle is gone: keep nothing running.
                    None => requests_open = false,
                },
                _ = ticker.tick() => self.poll().await,
            }
            if !requests_open {
                return;
            }
        }
    }

    /// Declares a link fault once the watchdog time has passed without a valid answer.
    fn check_watchdog(&mut self) {
        let silent_for = self.last_ok.elapsed();
        if self.link_faulted || silent_for < self.map.watchdog() {
            return;
        }
        self.link_faulted = true;
        self.connected = false;
        self.last = None;
        *lock(&self.shared.snapshot) = None;
        self.shared.stats.link_faults();
        tracing::warn!(port = %self.port, ?silent_for, "door controller link fault");
        self.emit(DoorEvent::LinkFault { silent_for });
        self.safe_pending = Some(SafeReason::LinkLoss);
        for slot in &mut self.pending {
            if let Some(p) = slot.take() {
                p.finish(Err(DoorError::LinkDown));
            }
        }
    }

    /// Runs one transaction with retries, keeping the counters and the watchdog.
    async fn transact(&mut self, op: Op) -> Result<Reply, DoorError> {
        let attempts = u32::from(self.map.retries) + 1;
        let mut last_err = DoorError::Timeout;
        for _ in 0..attempts {
            self.check_watchdog();
            let link = match self.link.as_mut() {
                Some(link) => link,
                None => {
                    self.shared.stats.reconnects();
                    match self.open_port() {
                        Ok(link) => self.link.insert(link),
                        Err(e) => return Err(e),
                    }
                }
            };
            // While the link is up, never wait past the watchdog deadline, so a dead link is
            // declared on time even in the middle of a transaction.
            let mut wait = self.map.response_timeout();
            if !self.link_faulted {
                let left =
                    (self.last_ok + self.map.watchdog()).saturating_duration_since(Instant::now());
                wait = wait.min(left.max(Duration::from_millis(1)));
            }
            self.shared.stats.requests();
            // tokio-modbus checks an answer's item count with `debug_assert!`, so a device that
            // sends a well-framed answer with too few items panics a debug build; catch that
            // and treat it as the protocol error it is (release builds return the short list,
            // which `read_snapshot` rejects).
            let call = AssertUnwindSafe(run_op(&mut link.ctx, op)).catch_unwind();
            let outcome = match tokio::time::timeout(wait, call).await {
                Ok(Ok(result)) => Ok(result),
                Ok(Err(_panic)) => {
                    self.shared.stats.protocol_errors();
                    self.link = None;
                    last_err = DoorError::Protocol("malformed answer".into());
                    self.check_watchdog();
                    if self.link_faulted {
                        break;
                    }
                    continue;
                }
                Err(elapsed) => Err(elapsed),
            };
            match outcome {
                Ok(Ok(Ok(reply))) => {
                    self.shared.stats.answers();
                    self.last_ok = Instant::now();
                    self.link_faulted = false;
                    return Ok(reply);
                }
                Ok(Ok(Err(code))) => {
                    // Application Protocol §7: an exception answer is a valid answer — the
                    // device is alive but refuses. Retrying will not help.
                    self.shared.stats.answers();
                    self.shared.stats.exceptions();
                    self.last_ok = Instant::now();
                    return Err(DoorError::Exception(code));
                }
                Ok(Err(tokio_modbus::Error::Protocol(e))) => {
                    self.shared.stats.protocol_errors();
                    last_err = DoorError::Protocol(e.to_string());
                }
                Ok(Err(tokio_modbus::Error::Transport(e))) if is_framing(&e) => {
                    // tokio-modbus gave up resynchronising on garbage.
                    self.shared.stats.crc_errors();
                    last_err = DoorError::Protocol(e.to_string());
                }
                Ok(Err(tokio_modbus::Error::Transport(e))) => {
                    // The port itself failed (unplugged adapter, closed pty): reopen it.
                    self.link = None;
                    last_err = DoorError::Port {
                        port: self.port.clone(),
                        message: e.to_string(),
                    };
                }
                Err(_elapsed) => {
                    let received = link.capture.take();
                    if received.is_empty() {
                        self.shared.stats.timeouts();
                        last_err = DoorError::Timeout;
                    } else {
                        // Bytes came back but tokio-modbus could not frame them: the answer
                        // failed its CRC (Serial Line §2.5.1.2) or is not a frame at all.
                        self.shared.stats.crc_errors();
                        let what = if rtu::crc_ok(&received) {
                            "unexpected frame"
                        } else {
                            "CRC error"
                        };
                        last_err = DoorError::Protocol(format!(
                            "{what} ({} byte(s) received)",
                            received.len()
                        ));
                    }
                }
            }
            self.check_watchdog();
            if self.link_faulted {
                // One attempt per poll while the link is down: no retry storm.
                break;
            }
        }
        Err(last_err)
    }

    async fn write(&mut self, output: Output, on: bool) -> Result<(), DoorError> {
        let addr = self.map.coils.address(output);
        self.transact(Op::WriteCoil(addr, on)).await.map(|_| ())
    }

    /// Reads inputs and registers into a snapshot.
    async fn read_snapshot(&mut self) -> Result<Snapshot, DoorError> {
        let span = self.map.input_span();
        let bits = match self
            .transact(Op::ReadInputs(span.start, span.count))
            .await?
        {
            Reply::Bits(b) if b.len() >= usize::from(span.count) => b,
            _ => return Err(DoorError::Protocol("short discrete-input answer".into())),
        };
        let rspan = self.map.register_span();
        let words = match self
            .transact(Op::ReadRegisters(rspan.start, rspan.count))
            .await?
        {
            Reply::Words(w) if w.len() >= usize::from(rspan.count) => w,
            _ => return Err(DoorError::Protocol("short input-register answer".into())),
        };
        let mut inputs = InputSet::EMPTY;
        for input in Input::ALL {
            let idx = usize::from(self.map.inputs.address(input) - span.start);
            let raw = bits.get(idx).copied().unwrap_or(false);
            inputs.set(input, raw != self.map.is_active_low(input));
        }
        let word = |addr: u16| {
            words
                .get(usize::from(addr - rspan.start))
                .copied()
                .unwrap_or(0)
        };
        Ok(Snapshot {
            inputs,
            person_count: word(self.map.registers.person_count),
            fault_code: word(self.map.registers.fault_code),
        })
    }

    async fn poll(&mut self) {
        let snap = match self.read_snapshot().await {
            Ok(s) => s,
            Err(e) => {
                tracing::trace!(error = %e, "door controller poll failed");
                self.check_watchdog();
                self.check_deadlines();
                return;
            }
        };
        self.shared.stats.polls();
        *lock(&self.shared.snapshot) = Some(snap);
        let previous = self.last.replace(snap);
        match previous {
            None => {
                self.connected = true;
                self.emit(DoorEvent::Connected(snap));
            }
            Some(prev) => {
                for input in prev.inputs.changed(snap.inputs) {
                    self.emit(DoorEvent::InputChanged {
                        input,
                        active: snap.inputs.contains(input),
                    });
                }
                if prev.person_count != snap.person_count {
                    self.emit(DoorEvent::PersonCount(snap.person_count));
                }
                if prev.fault_code != snap.fault_code {
                    self.emit(DoorEvent::ControllerFault(snap.fault_code));
                }
            }
        }
        let fire_now = snap.inputs.contains(Input::FireAlarm);
        let fire_before = previous.is_some_and(|p| p.inputs.contains(Input::FireAlarm));
        if fire_now && !fire_before {
            // Fail-safe: the fire alarm overrides every pending command.
            for door in DoorId::ALL {
                if let Some(p) = self.pending[door_index(door)].take() {
                    let err = match p.command {
                        DoorCommand::Close(_) => DoorError::FireAlarm { door },
                        _ => DoorError::Superseded { door },
                    };
                    p.finish(Err(err));
                }
            }
            let state = self.map.safe_state.fire;
            if self.apply_safe_state(state, &snap).await.is_ok() {
                self.emit(DoorEvent::SafeState {
                    reason: SafeReason::FireAlarm,
                    state,
                });
            } else {
                // Try again next poll.
                self.last = previous;
            }
        }
        if self.safe_pending.is_some() && fire_now {
            // The fire safe state takes precedence over the link-loss one.
            self.safe_pending = None;
        }
        if self.safe_pending.is_some() {
            let state = self.map.safe_state.link_loss;
            if self.apply_safe_state(state, &snap).await.is_ok() {
                self.safe_pending = None;
                self.emit(DoorEvent::SafeState {
                    reason: SafeReason::LinkLoss,
                    state,
                });
            }
        }
        self.confirm(&snap).await;
        self.check_deadlines();
    }

    /// Drives both doors to `state`. A door whose guarded zone is occupied is never driven
    /// closed: it is left open instead.
    async fn apply_safe_state(
        &mut self,
        state: SafeState,
        snap: &Snapshot,
    ) -> Result<(), DoorError> {
        for door in DoorId::ALL {
            let open = match state {
                SafeState::Open => true,
                SafeState::ClosedUnlocked | SafeState::ClosedLocked => {
                    self.map.blocking(snap, door).is_some()
                }
            };
            let locked = state == SafeState::ClosedLocked && !open;
            // Unlock before opening; lock after the close command (the controller engages the
            // lock once the door is closed).
            if !locked {
                self.write(door.lock_output(), false).await?;
            }
            self.write(door.open_output(), open).await?;
            if locked {
                self.write(door.lock_output(), true).await?;
            }
        }
        Ok(())
    }

    /// Resolves pending door commands from a fresh reading.
    async fn confirm(&mut self, snap: &Snapshot) {
        for door in DoorId::ALL {
            let i = door_index(door);
            let Some(command) = self.pending[i].as_ref().map(|p| p.command) else {
                continue;
            };
            match command {
                DoorCommand::Open(_) if snap.door(door) == DoorPosition::Open => {
                    self.confirmed(door);
                }
                DoorCommand::Close(_) => {
                    if let Some(zone) = self.map.blocking(snap, door) {
                        // Never close on an occupied zone: drive the door back open.
                        let reopened = self.write(door.open_output(), true).await;
                        if reopened.is_err() {
                            tracing::error!(%door, "could not re-open a closing door");
                        }
                        self.emit(DoorEvent::CloseAborted { door, zone });
                        if let Some(p) = self.pending[i].take() {
                            p.finish(Err(DoorError::ZoneOccupied { door, zone }));
                        }
                    } else if snap.door(door) == DoorPosition::Closed {
                        if self.map.lock_on_close
                            && self.write(door.lock_output(), true).await.is_err()
                        {
                            tracing::warn!(%door, "lock after close not acknowledged");
                        }
                        self.confirmed(door);
                    }
                }
                _ => {}
            }
        }
    }

    fn confirmed(&mut self, door: DoorId) {
        if let Some(p) = self.pending[door_index(door)].take() {
            self.emit(DoorEvent::DoorConfirmed {
                door,
                command: p.command,
                after: p.started.elapsed(),
            });
            p.finish(Ok(()));
        }
    }

    fn check_deadlines(&mut self) {
        let now = Instant::now();
        for door in DoorId::ALL {
            let i = door_index(door);
            if self.pending[i].as_ref().is_some_and(|p| now >= p.deadline) {
                if let Some(p) = self.pending[i].take() {
                    let within = self.map.door_confirm();
                    tracing::warn!(%door, ?within, "door fault: position not confirmed");
                    self.emit(DoorEvent::DoorFault {
                        door,
                        command: p.command,
                    });
                    p.finish(Err(DoorError::DoorFault { door, within }));
                }
            }
        }
    }

    async fn handle_request(&mut self, req: Request) {
        // A direct write to a door's drive coil is a door command, with the same checks.
        let command = match req.command {
            DoorCommand::Set(Output::OpenEntry, on) | DoorCommand::Set(Output::OpenExit, on) => {
                let door = if req.command == DoorCommand::Set(Output::OpenEntry, on) {
                    DoorId::Entry
                } else {
                    DoorId::Exit
                };
                if on {
                    DoorCommand::Open(door)
                } else {
                    DoorCommand::Close(door)
                }
            }
            c => c,
        };
        let result = self.start_command(command).await;
        match result {
            Ok(Some(pending)) => {
                let door = match command {
                    DoorCommand::Open(d) | DoorCommand::Close(d) => d,
                    DoorCommand::Set(..) => return,
                };
                let slot = &mut self.pending[door_index(door)];
                if let Some(old) = slot.take() {
                    old.finish(Err(DoorError::Superseded { door }));
                }
                *slot = Some(Pending {
                    reply: Some(req.reply),
                    ..pending
                });
            }
            Ok(None) => {
                let _ = req.reply.send(Ok(()));
            }
            Err(e) => {
                let _ = req.reply.send(Err(e));
            }
        }
    }

    /// Checks and writes a command; `Some` when it now waits for a confirming reading.
    async fn start_command(&mut self, command: DoorCommand) -> Result<Option<Pending>, DoorError> {
        let Some(snap) = self.last.filter(|_| self.connected && !self.link_faulted) else {
            return Err(DoorError::LinkDown);
        };
        let confirm_within = self.map.door_confirm();
        let pending = |command| Pending {
            command,
            started: Instant::now(),
            deadline: Instant::now() + confirm_within,
            reply: None,
        };
        match command {
            DoorCommand::Open(door) => {
                self.write(door.lock_output(), false).await?;
                self.write(door.open_output(), true).await?;
                Ok(Some(pending(command)))
            }
            DoorCommand::Close(door) => {
                if snap.inputs.contains(Input::FireAlarm) {
                    return Err(DoorError::FireAlarm { door });
                }
                if let Some(zone) = self.map.blocking(&snap, door) {
                    return Err(DoorError::ZoneOccupied { door, zone });
                }
                self.write(door.open_output(), false).await?;
                Ok(Some(pending(command)))
            }
            DoorCommand::Set(output, on) => {
                self.write(output, on).await?;
                Ok(None)
            }
        }
    }
}

/// tokio-modbus reports "could not frame this" as `InvalidData`.
fn is_framing(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::InvalidData
}

async fn run_op(ctx: &mut Context, op: Op) -> Result<Result<Reply, u8>, tokio_modbus::Error> {
    Ok(match op {
        // Application Protocol §6.2 (02 Read Discrete Inputs).
        Op::ReadInputs(addr, count) => ctx
            .read_discrete_inputs(addr, count)
            .await?
            .map(Reply::Bits)
            .map_err(u8::from),
        // Application Protocol §6.4 (04 Read Input Registers).
        Op::ReadRegisters(addr, count) => ctx
            .read_input_registers(addr, count)
            .await?
            .map(Reply::Words)
            .map_err(u8::from),
        // Application Protocol §6.5 (05 Write Single Coil; the answer echoes the request).
        Op::WriteCoil(addr, on) => ctx
            .write_single_coil(addr, on)
            .await?
            .map(|()| Reply::Written)
            .map_err(u8::from),
    })
}
