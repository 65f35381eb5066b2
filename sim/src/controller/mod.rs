//! The simulated door controller: a Modbus RTU device (the sans-IO [`Device`]) served on a
//! pty pair, so the production adapter opens a real serial device path through tokio-serial.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use sim::controller::{SimController, SimControllerConfig};
//! let sim = SimController::spawn(SimControllerConfig::default())?;
//! let (doors, events) = hardware::door::ModbusDoorController::open(
//!     sim.path(), hardware::door::DoorMap::default())?;
//! # Ok(()) }
//! ```

mod device;
pub mod rtu;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use rand::{Rng, SeedableRng};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::Instant;

pub use device::{fault_code, CommsLossAction, Device, DeviceState, Fault, SimControllerConfig};
use hardware::door::rtu::frame_gap;
use hardware::door::Input;
use rtu::{parse_request, RequestAssembler};

/// How often the device model advances.
const TICK: Duration = Duration::from_millis(5);

/// An error starting the simulated controller.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SimError {
    /// The pty pair could not be created.
    #[error("cannot create a pty pair: {0}")]
    Pty(String),
}

/// A running simulated controller. Dropping it stops the device and closes the pty.
#[derive(Debug)]
pub struct SimController {
    device: Arc<Mutex<Device>>,
    state: watch::Receiver<DeviceState>,
    path: String,
    task: JoinHandle<()>,
}

fn lock(m: &Mutex<Device>) -> std::sync::MutexGuard<'_, Device> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl SimController {
    /// Creates a pty pair and serves the device on its master side; the adapter opens
    /// [`SimController::path`]. Must be called inside a tokio runtime.
    pub fn spawn(config: SimControllerConfig) -> Result<SimController, SimError> {
        // `Pty` keeps one slave descriptor open for the device's lifetime, so the master never
        // sees a hang-up while the adapter reopens the port (calling `set_exclusive(false)` on
        // it would take a shared flock and make the adapter's exclusive open fail).
        let pty = crate::pty::Pty::open()?;
        let path = pty.path().to_string();
        let now = Instant::now().into_std();
        let gap = frame_gap(config.map.serial.baud);
        let seed = config.seed;
        let device = Device::new(config, now);
        let (state_tx, state) = watch::channel(device.state());
        let device = Arc::new(Mutex::new(device));
        let task = tokio::spawn(serve(pty, device.clone(), state_tx, gap, seed));
        Ok(SimController {
            device,
            state,
            path,
            task,
        })
    }

    /// The pty path the adapter opens.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The device state now.
    pub fn state(&self) -> DeviceState {
        lock(&self.device).state()
    }

    /// Waits until `pred` holds for the device state (checked after every device tick), or
    /// `timeout` passes; returns the state that satisfied it.
    pub async fn wait_for(
        &self,
        timeout: Duration,
        mut pred: impl FnMut(&DeviceState) -> bool,
    ) -> Option<DeviceState> {
        let mut rx = self.state.clone();
        tokio::time::timeout(timeout, async move {
            rx.wait_for(|s| pred(s)).await.ok().map(|s| s.clone())
        })
        .await
        .ok()
        .flatten()
    }

    /// Injects a fault.
    pub fn inject(&self, fault: Fault) {
        lock(&self.device).inject(fault);
    }

    /// Clears a fault.
    pub fn clear(&self, fault: Fault) {
        lock(&self.device).clear(fault);
    }

    /// Forces a zone's occupancy, or hands it back to the traveller model with `None`.
    pub fn set_zone(&self, zone: Input, occupied: Option<bool>) {
        lock(&self.device).set_zone(zone, occupied);
    }

    /// A traveller arrives in zone A and walks through as the doors open (a
    /// [`crate::traveller::Walker`] with [`SimControllerConfig::walk`]).
    pub fn add_traveller(&self) {
        lock(&self.device).add_traveller(Instant::now().into_std());
    }

    /// Every traveller in the lane is told to leave back through the entry
    /// ([`Device::turn_away`]).
    pub fn turn_away(&self) {
        lock(&self.device).turn_away(Instant::now().into_std());
    }

    /// Forces the person count register, or hands it back to the travellers with `None`.
    pub fn set_person_count(&self, count: Option<u16>) {
        lock(&self.device).set_person_count(count);
    }

    /// The device state after every tick (every 5 ms), for a watcher that reports changes.
    pub fn subscribe(&self) -> watch::Receiver<DeviceState> {
        self.state.clone()
    }
}

impl Drop for SimController {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The I/O loop: bytes from the master side into the assembler, answers back, ticks.
async fn serve(
    mut pty: crate::pty::Pty,
    device: Arc<Mutex<Device>>,
    state_tx: watch::Sender<DeviceState>,
    gap: Duration,
    seed: u64,
) {
    let master = &mut pty.master;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let mut asm = RequestAssembler::new();
    let mut buf = [0u8; 512];
    let mut last_byte = Instant::now();
    let mut ticker = tokio::time::interval(TICK);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            read = master.read(&mut buf) => {
                let n = match read {
                    Ok(0) | Err(_) => {
                        // The pty is gone; nothing more to serve.
                        return;
                    }
                    Ok(n) => n,
                };
                let now = Instant::now();
                if lock(&device).has(Fault::LinkCut) {
                    continue;
                }
                // Serial Line §2.5.1.1: a silence of 3.5 characters ended the previous frame.
                if now.duration_since(last_byte) >= gap {
                    if let Some(Err(_)) = asm.on_silence() {
                        lock(&device).count_bad_frame();
                    }
                }
                last_byte = now;
                let mut answers = Vec::new();
                {
                    let mut dev = lock(&device);
                    for frame in asm.push(&buf[..n]) {
                        match frame.ok().and_then(|f| parse_request(&f)) {
                            Some(req) => answers.extend(dev.handle(&req, now.into_std())),
                            None => dev.count_bad_frame(),
                        }
                    }
                }
                for mut answer in answers {
                    let (silent, corrupt, noise) = {
                        let dev = lock(&device);
                        (
                            dev.has(Fault::Silence) || dev.has(Fault::LinkCut),
                            dev.has(Fault::CorruptReplies),
                            dev.has(Fault::NoiseBursts),
                        )
                    };
                    if silent {
                        continue;
                    }
                    if corrupt {
                        let i = rng.gen_range(0..answer.len());
                        answer[i] ^= 1 << rng.gen_range(0..8);
                    }
                    if noise {
                        let len = rng.gen_range(1..40);
                        let mut junk: Vec<u8> = (0..len).map(|_| rng.gen()).collect();
                        junk.extend_from_slice(&answer);
                        answer = junk;
                    }
                    if master.write_all(&answer).await.is_err() {
                        return;
                    }
                }
            }
            _ = ticker.tick() => {
                let now = Instant::now();
                if !asm.is_empty() && now.duration_since(last_byte) >= gap {
                    if let Some(Err(_)) = asm.on_silence() {
                        lock(&device).count_bad_frame();
                    }
                }
                let state = {
                    let mut dev = lock(&device);
                    dev.tick(now.into_std());
                    dev.state()
                };
                state_tx.send_replace(state);
            }
        }
    }
}
