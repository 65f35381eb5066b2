//! Between the gate and the door controller: hardware [`DoorEvent`]s become gate sensor
//! [`Input`]s, and the gate's door, lamp and sounder commands become controller commands.
//!
//! The controller adapter (Modbus RTU over a serial port, `hardware::door`) is the same for a
//! real controller and for the simulated one on a pty.

use std::sync::Arc;

use gate::{DoorAction, Input, Lamp, MessageCode};
use hardware::door::{self as hw, DoorCommand, DoorController, DoorEvent, Output};
use tokio::sync::mpsc;
use tracing::{debug, info, warn};

use crate::lane::driver::Signals;

/// Translates one adapter event into gate inputs (`hardware::door::gate_inputs`).
pub fn inputs_for(event: &DoorEvent) -> Vec<Input> {
    hw::gate_inputs(event)
}

/// Forwards adapter events to the gate's input channel until either side stops.
pub async fn forward_events(
    mut events: mpsc::UnboundedReceiver<DoorEvent>,
    inputs: mpsc::UnboundedSender<Input>,
) {
    while let Some(ev) = events.recv().await {
        match &ev {
            DoorEvent::LinkFault { silent_for } => {
                warn!(
                    silent_ms = silent_for.as_millis() as u64,
                    "door controller link fault"
                )
            }
            DoorEvent::Fallback { reason, state } => {
                warn!(?reason, ?state, "door controller applied a safe state")
            }
            DoorEvent::DoorFault { door, command } => {
                warn!(door = door.as_str(), ?command, "door fault")
            }
            DoorEvent::Connected(_) => info!("door controller connected"),
            other => debug!(?other, "door event"),
        }
        for input in inputs_for(&ev) {
            if inputs.send(input).is_err() {
                return;
            }
        }
    }
}

/// [`Signals`] over a door controller. Each command runs as its own task so the driver
/// loop never waits for a door; a refused or failed command is logged, and the gate learns
/// the door's real position from the sensors.
pub struct ControllerSignals {
    /// The controller.
    pub doors: Arc<dyn DoorController>,
    /// The traveller display: message codes only, never a reason for a border database hit.
    pub display: mpsc::UnboundedSender<MessageCode>,
    /// Commands being carried out.
    pub pending: Vec<tokio::task::JoinHandle<()>>,
    /// Per door (entry, exit): bumped by every command, so a retried close stops as soon as
    /// a newer command for that door exists.
    generation: [Arc<std::sync::atomic::AtomicU64>; 2],
}

/// How long a close refused because someone is in the doorway is retried.
const CLOSE_RETRY_FOR: std::time::Duration = std::time::Duration::from_secs(120);
/// Pause between two tries of such a close.
const CLOSE_RETRY_EVERY: std::time::Duration = std::time::Duration::from_millis(250);

impl ControllerSignals {
    /// Signals over `doors`, messages to `display`.
    pub fn new(
        doors: Arc<dyn DoorController>,
        display: mpsc::UnboundedSender<MessageCode>,
    ) -> Self {
        Self {
            doors,
            display,
            pending: Vec::new(),
            generation: Default::default(),
        }
    }

    /// Closes `door`. The gate only commands a close once its own view of the doorway is
    /// clear, but the controller's view can be a poll newer: a close it refuses because the
    /// guarded zone is occupied is tried again until it is carried out, a newer command for
    /// the door replaces it, or [`CLOSE_RETRY_FOR`] has passed — a door must not stay open
    /// in an idle lane because someone was still passing when it was first told to close.
    /// With `lock`, the door's lock is set once the close is carried out (the gate's
    /// [`DoorAction::Lock`]: close and lock, whether the door was open or closed).
    fn close(&mut self, door: gate::DoorId, lock: bool) {
        use std::sync::atomic::Ordering;
        let generation = self.generation[hw::door_index(door)].clone();
        let mine = generation.fetch_add(1, Ordering::AcqRel) + 1;
        let doors = self.doors.clone();
        self.pending.retain(|h| !h.is_finished());
        self.pending.push(tokio::spawn(async move {
            let started = tokio::time::Instant::now();
            loop {
                match doors.command(DoorCommand::Close(door)).await {
                    Ok(()) if lock && generation.load(Ordering::Acquire) == mine => {
                        let cmd = DoorCommand::Set(Output::lock(door), true);
                        if let Err(e) = doors.command(cmd).await {
                            warn!(?cmd, error = %e, kind = ?e.kind(), "door controller command not carried out");
                        }
                        return;
                    }
                    Ok(()) => return,
                    Err(hw::DoorError::ZoneOccupied { .. })
                        if generation.load(Ordering::Acquire) == mine
                            && started.elapsed() < CLOSE_RETRY_FOR =>
                    {
                        debug!(door = door.as_str(), "close refused while the doorway is occupied; retrying");
                        tokio::time::sleep(CLOSE_RETRY_EVERY).await;
                        if generation.load(Ordering::Acquire) != mine {
                            return;
                        }
                    }
                    Err(e) => {
                        warn!(door = door.as_str(), error = %e, kind = ?e.kind(), "door close not carried out");
                        return;
                    }
                }
            }
        }));
    }

    fn send(&mut self, cmd: DoorCommand) {
        let doors = self.doors.clone();
        self.pending.retain(|h| !h.is_finished());
        self.pending.push(tokio::spawn(async move {
            if let Err(e) = doors.command(cmd).await {
                warn!(?cmd, error = %e, kind = ?e.kind(), "door controller command not carried out");
            }
        }));
    }
}

impl Signals for ControllerSignals {
    fn door(&mut self, door: gate::DoorId, action: DoorAction) {
        match action {
            DoorAction::Close => return self.close(door, false),
            DoorAction::Lock => return self.close(door, true),
            DoorAction::Open => self.send(DoorCommand::Open(door)),
        }
        // Any other command for the door ends a close still being retried.
        self.generation[hw::door_index(door)].fetch_add(1, std::sync::atomic::Ordering::AcqRel);
    }
    fn message(&mut self, code: MessageCode) {
        let _ = self.display.send(code);
    }
    fn lamp(&mut self, lamp: Lamp) {
        let (green, red) = match lamp {
            Lamp::Off => (false, false),
            Lamp::Green => (true, false),
            Lamp::Red => (false, true),
            // The default map has no amber lamp: both lit reads as amber on most lanes.
            Lamp::Amber => (true, true),
        };
        self.send(DoorCommand::Set(Output::GreenLamp, green));
        self.send(DoorCommand::Set(Output::RedLamp, red));
    }
    fn sounder(&mut self, on: bool) {
        self.send(DoorCommand::Set(Output::AlarmSounder, on));
    }
    fn in_flight(&mut self) -> Vec<tokio::task::JoinHandle<()>> {
        std::mem::take(&mut self.pending)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gate::{Device, SensorEvent, Zone};

    /// The gate inputs for one of the controller's inputs changing to `active`.
    fn inputs_for_change(input: hw::Input, active: bool) -> Vec<Input> {
        inputs_for(&DoorEvent::InputChanged { input, active })
    }

    #[test]
    fn zone_and_door_inputs_map_one_to_one() {
        let zone_b = SensorEvent::Zone {
            zone: Zone::B,
            occupied: true,
        };
        let exit_open = SensorEvent::Door {
            door: gate::DoorId::Exit,
            closed: false,
        };
        assert_eq!(
            inputs_for_change(hw::Input::ZoneB, true),
            vec![Input::Sensor(zone_b)]
        );
        assert_eq!(
            inputs_for_change(hw::Input::ExitClosed, false),
            vec![Input::Sensor(exit_open)]
        );
        assert!(inputs_for_change(hw::Input::EntryOpen, true).is_empty());
    }

    #[test]
    fn link_faults_are_device_faults() {
        let ev = DoorEvent::LinkFault {
            silent_for: std::time::Duration::from_millis(210),
        };
        assert_eq!(
            inputs_for(&ev),
            vec![Input::Sensor(SensorEvent::DeviceFault(
                Device::DoorController
            ))]
        );
        assert_eq!(
            inputs_for(&DoorEvent::ControllerFault(0)),
            vec![Input::Sensor(SensorEvent::DeviceRecovered(
                Device::DoorController
            ))]
        );
    }

    /// A controller that refuses the first `refusals` closes as if someone stood in the
    /// doorway, and records every command.
    struct Doorway {
        refusals: std::sync::Mutex<u32>,
        seen: std::sync::Mutex<Vec<DoorCommand>>,
    }

    impl DoorController for Doorway {
        fn command(&self, command: DoorCommand) -> hw::BoxFuture<'_, Result<(), hw::DoorError>> {
            self.seen.lock().unwrap().push(command);
            let refuse = matches!(command, DoorCommand::Close(_)) && {
                let mut n = self.refusals.lock().unwrap();
                let r = *n > 0;
                *n = n.saturating_sub(1);
                r
            };
            Box::pin(async move {
                if refuse {
                    Err(hw::DoorError::ZoneOccupied {
                        door: hw::DoorId::Entry,
                        zone: hw::Input::ZoneA,
                    })
                } else {
                    Ok(())
                }
            })
        }
        fn snapshot(&self) -> Option<hw::Snapshot> {
            None
        }
        fn stats(&self) -> hw::LinkStatsSnapshot {
            Default::default()
        }
    }

    fn closes(d: &Doorway) -> usize {
        d.seen
            .lock()
            .unwrap()
            .iter()
            .filter(|c| matches!(c, DoorCommand::Close(_)))
            .count()
    }

    #[tokio::test(start_paused = true)]
    async fn a_close_refused_for_an_occupied_doorway_is_retried_until_carried_out() {
        let doorway = Arc::new(Doorway {
            refusals: std::sync::Mutex::new(3),
            seen: Default::default(),
        });
        let (tx, _rx) = mpsc::unbounded_channel();
        let mut signals = ControllerSignals::new(doorway.clone(), tx);
        signals.door(gate::DoorId::Entry, DoorAction::Close);
        for h in signals.in_flight() {
            h.await.unwrap();
        }
        // Three refusals, then the close that went through.
        assert_eq!(closes(&doorway), 4);
    }

    #[tokio::test(start_paused = true)]
    async fn a_newer_command_ends_the_retries_of_a_close() {
        let doorway = Arc::new(Doorway {
            refusals: std::sync::Mutex::new(u32::MAX),
            seen: Default::default(),
        });
        let (tx, _rx) = mpsc::unbounded_channel();
        let mut signals = ControllerSignals::new(doorway.clone(), tx);
        signals.door(gate::DoorId::Entry, DoorAction::Close);
        tokio::time::sleep(CLOSE_RETRY_EVERY * 3).await;
        signals.door(gate::DoorId::Entry, DoorAction::Open);
        for h in signals.in_flight() {
            h.await.unwrap();
        }
        // Without the newer command the close would be tried every 250 ms for two minutes.
        let tried = closes(&doorway);
        assert!((2..=5).contains(&tried), "{tried} closes");
    }

    /// The gate's lock is "close and lock": a lock output set on a door left open would hold
    /// nothing (an out-of-service lane with its exit standing open).
    #[tokio::test(start_paused = true)]
    async fn a_lock_closes_the_door_before_locking_it() {
        let doorway = Arc::new(Doorway {
            refusals: std::sync::Mutex::new(2),
            seen: Default::default(),
        });
        let (tx, _rx) = mpsc::unbounded_channel();
        let mut signals = ControllerSignals::new(doorway.clone(), tx);
        signals.door(gate::DoorId::Exit, DoorAction::Lock);
        for h in signals.in_flight() {
            h.await.unwrap();
        }
        let seen = doorway.seen.lock().unwrap().clone();
        let exit = hw::DoorId::Exit;
        assert_eq!(
            seen,
            vec![
                DoorCommand::Close(exit),
                DoorCommand::Close(exit),
                DoorCommand::Close(exit),
                DoorCommand::Set(Output::lock(exit), true),
            ]
        );
    }

    /// A lock whose close is still refused when a newer command comes never sets the lock.
    #[tokio::test(start_paused = true)]
    async fn a_newer_command_ends_a_lock_before_it_locks() {
        let doorway = Arc::new(Doorway {
            refusals: std::sync::Mutex::new(u32::MAX),
            seen: Default::default(),
        });
        let (tx, _rx) = mpsc::unbounded_channel();
        let mut signals = ControllerSignals::new(doorway.clone(), tx);
        signals.door(gate::DoorId::Exit, DoorAction::Lock);
        tokio::time::sleep(CLOSE_RETRY_EVERY * 2).await;
        signals.door(gate::DoorId::Exit, DoorAction::Open);
        for h in signals.in_flight() {
            h.await.unwrap();
        }
        let seen = doorway.seen.lock().unwrap().clone();
        assert!(
            !seen.iter().any(|c| matches!(c, DoorCommand::Set(..))),
            "{seen:?}"
        );
        assert_eq!(seen.last(), Some(&DoorCommand::Open(hw::DoorId::Exit)));
    }
}
