//! The real door-controller adapter: the [`DoorTracker`] driven over Modbus RTU.
//!
//! One tokio task owns the port ([`Client`]) and the tracker. It polls the discrete inputs
//! (function 02) and the input registers (function 04) every `poll_period_ms`, hands each
//! reading to the tracker, runs the coil writes (function 05, Modbus Application Protocol
//! V1.1b3 §6.5) the tracker plans for commands, fallbacks and confirmations between polls,
//! and forwards the tracker's events and answers. Commands reach the task through a channel,
//! so the handle is cheap, `Send + Sync` and object-safe.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio::time::MissedTickBehavior;

use super::client::Client;
use super::codec::{self, Op, Reply};
use super::map::DoorMap;
use super::stats::{LinkStats, LinkStatsSnapshot};
use super::tracker::{CoilWrite, Confirmation, DoorTracker, Outcome};
use super::{
    BoxFuture, DoorCommand, DoorController, DoorError, DoorEvent, Output, Snapshot, DOORS,
};

/// Where a command's final answer goes.
type Answer = oneshot::Sender<Result<(), DoorError>>;

/// A command and where to send its outcome.
struct Request {
    command: DoorCommand,
    reply: Answer,
}

/// The Modbus RTU door controller adapter. Dropping it stops its task.
#[derive(Debug)]
pub struct ModbusDoorController {
    requests: mpsc::UnboundedSender<Request>,
    snapshot: Arc<Mutex<Option<Snapshot>>>,
    stats: Arc<LinkStats>,
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
        let snapshot = Arc::new(Mutex::new(None));
        let stats = Arc::new(LinkStats::default());
        let (events_tx, events_rx) = mpsc::unbounded_channel();
        let (requests_tx, requests_rx) = mpsc::unbounded_channel();
        let adapter = Adapter {
            client: Client::open(port, map.clone(), stats.clone())?,
            tracker: DoorTracker::new(map, Instant::now()),
            events: events_tx,
            snapshot: snapshot.clone(),
            stats: stats.clone(),
        };
        let task = tokio::spawn(adapter.run(requests_rx));
        Ok((
            ModbusDoorController {
                requests: requests_tx,
                snapshot,
                stats,
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
        *lock(&self.snapshot)
    }

    fn stats(&self) -> LinkStatsSnapshot {
        self.stats.snapshot()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The task's state: the I/O around the tracker.
struct Adapter {
    client: Client,
    tracker: DoorTracker<Answer>,
    events: mpsc::UnboundedSender<DoorEvent>,
    snapshot: Arc<Mutex<Option<Snapshot>>>,
    stats: Arc<LinkStats>,
}

impl Adapter {
    async fn run(mut self, mut requests: mpsc::UnboundedReceiver<Request>) {
        let mut ticker = tokio::time::interval(self.tracker.map().poll_period());
        ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                biased;
                req = requests.recv() => match req {
                    Some(req) => self.handle_request(req).await,
                    // The handle is gone: keep nothing running.
                    None => return,
                },
                _ = ticker.tick() => self.poll().await,
            }
        }
    }

    /// Publishes the tracker's reading and forwards its events and answers.
    fn drain(&mut self) {
        *lock(&self.snapshot) = self.tracker.reading();
        while let Some(outcome) = self.tracker.poll_outcome() {
            match outcome {
                Outcome::Event(event) => {
                    if let DoorEvent::LinkFault { silent_for } = event {
                        self.stats.link_faults();
                        tracing::warn!(port = %self.client.port(), ?silent_for, "door controller link fault");
                    }
                    tracing::debug!(?event, "door controller event");
                    // The receiver may have been dropped (a CLI that only wanted one answer).
                    let _ = self.events.send(event);
                }
                // The caller may have gone away; that is not an error.
                Outcome::Reply(reply, result) => {
                    let _ = reply.send(result);
                }
            }
        }
    }

    async fn transact(&mut self, op: Op) -> Result<Reply, DoorError> {
        let reply = self.client.transact(op, &mut self.tracker).await;
        self.drain();
        reply
    }

    /// Writes in order, stopping at the first that fails.
    async fn write(&mut self, writes: &[CoilWrite]) -> Result<(), DoorError> {
        for w in writes {
            let addr = self.tracker.map().coils.address(w.output);
            self.transact(Op::WriteCoil(addr, w.on)).await?;
        }
        Ok(())
    }

    async fn write_coil(&mut self, output: Output, on: bool) -> Result<(), DoorError> {
        self.write(&[CoilWrite { output, on }]).await
    }

    /// Reads inputs and registers into a snapshot.
    async fn read(&mut self) -> Result<Snapshot, DoorError> {
        let map = self.tracker.map();
        let (ispan, rspan) = (map.input_span(), map.register_span());
        let Reply::Bits(bits) = self.transact(Op::ReadInputs(ispan)).await? else {
            return Err(DoorError::Protocol(
                "unexpected discrete-input answer".into(),
            ));
        };
        let Reply::Words(words) = self.transact(Op::ReadRegisters(rspan)).await? else {
            return Err(DoorError::Protocol(
                "unexpected input-register answer".into(),
            ));
        };
        Ok(codec::snapshot(self.tracker.map(), &bits, &words))
    }

    async fn poll(&mut self) {
        let snap = match self.read().await {
            Ok(s) => s,
            Err(e) => {
                tracing::trace!(error = %e, "door controller poll failed");
                let now = Instant::now();
                self.tracker.check_watchdog(now);
                self.tracker.check_deadlines(now);
                self.drain();
                return;
            }
        };
        self.stats.polls();
        if let Some(plan) = self.tracker.on_reading(snap) {
            self.drain();
            let acknowledged = self.write(&plan.writes).await.is_ok();
            self.tracker.fallback_written(plan, acknowledged);
        }
        for door in DOORS {
            match self.tracker.confirmation(door, &snap) {
                Some(Confirmation::Reached) => self.tracker.confirmed(door, Instant::now()),
                Some(Confirmation::LockThenReached) => {
                    if self.write_coil(Output::lock(door), true).await.is_err() {
                        tracing::warn!(door = door.as_str(), "lock after close not acknowledged");
                    }
                    self.tracker.confirmed(door, Instant::now());
                }
                Some(Confirmation::Reopen(zone)) => {
                    if self.write_coil(Output::open(door), true).await.is_err() {
                        tracing::error!(door = door.as_str(), "could not re-open a closing door");
                    }
                    self.tracker.close_aborted(door, zone);
                }
                None => {}
            }
        }
        self.tracker.check_deadlines(Instant::now());
        self.drain();
    }

    async fn handle_request(&mut self, req: Request) {
        let plan = match self.tracker.plan(req.command) {
            Ok(plan) => plan,
            Err(e) => {
                let _ = req.reply.send(Err(e));
                return;
            }
        };
        match self.write(&plan.writes).await {
            Ok(()) => self
                .tracker
                .command_written(&plan, req.reply, Instant::now()),
            Err(e) => {
                let _ = req.reply.send(Err(e));
            }
        }
        self.drain();
    }
}
