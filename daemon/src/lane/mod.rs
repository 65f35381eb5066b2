//! One gate lane at run time: the driver loop around the sans-IO gate, its jobs (chip read,
//! the border database step, capture and match), the doors, the devices (a faulty camera
//! watched until it works again: `camera`), the lane's clock, its metrics and the
//! health/metrics HTTP endpoint.

pub mod borderdb_step;
pub mod camera;
pub mod clock;
pub mod devices;
pub mod doors;
pub mod driver;
pub mod facts;
pub mod jobs;
pub mod metrics;
pub mod pad;
pub mod passages;
pub mod server;
pub mod step_metrics;
pub mod trust;

use std::sync::{Arc, Mutex};
use std::time::Instant;

use tokio::sync::{mpsc, watch};

use crate::config::Config;
use audit::{AuditLog, Pseudonymizer};
use clock::LaneClock;
use console::link::{GateStatus, LocalGate};
use doors::{forward_events, ControllerSignals};
use driver::Driver;
use jobs::{BorderDbCheck, Camera, ChipLink, JobContext, VisionParts};
use metrics::Metrics;

/// Runs `f`, which blocks its thread (an audit append waits for fsync; models load), without
/// holding up the tasks queued on this runtime worker: the door links are polled against a
/// watchdog (the door map's `watchdog_ms`, 200 ms by default), and a worker parked on the disk
/// would otherwise starve them into a link fault. On a current-thread runtime (or none) it
/// just runs `f`.
pub fn blocking<T>(f: impl FnOnce() -> T) -> T {
    match tokio::runtime::Handle::try_current() {
        Ok(h) if h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(f)
        }
        _ => f(),
    }
}

/// What every lane of one daemon shares.
#[derive(Clone)]
pub struct Shared {
    /// The audit trail.
    pub audit: Arc<Mutex<AuditLog>>,
    /// Document pseudonyms for the audit trail.
    pub pseudonyms: Arc<Pseudonymizer>,
    /// The metrics registry's gate metrics.
    pub metrics: Metrics,
    /// Turns true when the daemon stops.
    pub shutdown: watch::Receiver<bool>,
    /// The lanes' traveller screens.
    pub screens: traveller::Screens,
    /// The systemd watchdog over the drivers' loops.
    pub watchdog: crate::service::Watchdog,
}

/// The devices of one lane, real or simulated, and what its jobs check against.
pub struct Devices {
    /// The door controller (the Modbus adapter, on a real controller or a simulated one).
    pub doors: Arc<dyn hardware::door::DoorController>,
    /// The controller's events.
    pub door_events: mpsc::UnboundedReceiver<hardware::door::DoorEvent>,
    /// Where the gate's messages to the traveller go.
    pub display: mpsc::UnboundedSender<gate::MessageCode>,
    /// The chip reader.
    pub chip: Box<dyn ChipLink>,
    /// The camera.
    pub camera: Box<dyn Camera>,
    /// The border databases.
    pub borderdb: Box<dyn BorderDbCheck>,
    /// The EES adapter of an entry lane; `None`: third-country nationals are referred.
    pub ees: Option<Arc<dyn borderdb::ees::Ees>>,
    /// The face pipeline; `None`: every face match fails.
    pub vision: Option<VisionParts>,
    /// Trust anchors of passive authentication (reloaded while the gate runs).
    pub trust: Arc<trust::Trust>,
    /// A presentation-attack sensor beside the camera (`hardware::pad_sensor`), if the lane
    /// has one.
    pub pad_sensor: Option<Arc<dyn hardware::pad_sensor::PadSensor>>,
}

/// A running lane: the gate's driver loop over its devices and jobs.
pub struct Lane {
    /// Its console link.
    pub link: Arc<LocalGate>,
    /// What its jobs share (the passage in progress, the gate's input channel).
    pub ctx: Arc<JobContext>,
    /// Its driver loop; returns after putting the doors in the safe state.
    pub driver: tokio::task::JoinHandle<()>,
}

impl Lane {
    /// Starts lane `id` as `cfg` says (its rules, its clock) over `devices`; `layout`, when
    /// given, replaces `[gate] layout`.
    pub fn start(
        id: &str,
        cfg: &Config,
        layout: Option<gate::Layout>,
        devices: Devices,
        shared: &Shared,
    ) -> Lane {
        let liveness = cfg.gate.liveness.as_str();
        let clock = LaneClock::new(cfg.gate.utc_offset_minutes);
        let mut rules = cfg.gate_config(clock.today());
        if let Some(layout) = layout {
            rules.layout = layout;
        }
        let (inputs_tx, inputs_rx) = mpsc::unbounded_channel();
        let metrics = shared.metrics.for_gate(id);
        metrics.steps.trust(&devices.trust.store());
        tokio::spawn(forward_events(devices.door_events, inputs_tx.clone()));
        // The traveller screen and the serial display show the same messages.
        let screen = shared.screens.lane(id);
        screen.answers_to(inputs_tx.clone());
        let (display, mut messages) = mpsc::unbounded_channel::<gate::MessageCode>();
        let (serial, feed) = (devices.display, screen.clone());
        tokio::spawn(async move {
            while let Some(code) = messages.recv().await {
                feed.message(code);
                let _ = serial.send(code);
            }
        });
        let (link, officer_rx) = LocalGate::new(GateStatus::idle(id, liveness));
        let ctx = Arc::new(JobContext {
            passage: Mutex::new(jobs::Passages::default()),
            inputs: inputs_tx,
            trust: devices.trust,
            deviations: document::deviation::DeviationPolicy {
                excuse_essential: cfg.dangerous.deviations_excuse_essential,
            },
            pseudonyms: shared.pseudonyms.clone(),
            vision: devices.vision.map(Mutex::new),
            link: link.clone(),
            chip: devices.chip,
            camera: devices.camera,
            borderdb: devices.borderdb,
            sources: Default::default(),
            ees: jobs::EesStep {
                applies: cfg.ees.applies(cfg.gate.direction),
                exempt: cfg.ees_exempt(),
                adapter: devices.ees,
                clock,
            },
            audit: Some(shared.audit.clone()),
            faults: Default::default(),
            screen: screen.clone(),
            metrics: Some(shared.metrics.for_gate(id)),
            pad: pad::PadLink::new(
                (cfg.gate.liveness == gate::LivenessMode::Required).then_some(cfg.vision.pad),
                // A capture with a challenge lasts as long as the challenge if that is longer.
                std::time::Duration::from_secs_f64(cfg.vision.capture.window_s.clamp(0.0, 60.0))
                    .max(if cfg.vision.pad.challenge.enabled {
                        cfg.vision.pad.challenge.max_duration()
                    } else {
                        std::time::Duration::ZERO
                    }),
            ),
            pad_sensor: devices.pad_sensor,
        });
        let driver = Driver {
            gate: gate::Gate::new(rules, Instant::now()),
            inputs: inputs_rx,
            officer: officer_rx,
            jobs: Box::new(jobs::Jobs { ctx: ctx.clone() }),
            signals: Box::new(ControllerSignals::new(devices.doors, display)),
            audit: shared.audit.clone(),
            link: link.clone(),
            metrics,
            liveness: liveness.into(),
            audit_hold: driver::AuditHold::default(),
            clock,
            screen,
            heartbeat: shared.watchdog.heartbeat(),
            bcp: cfg.gate.bcp.clone(),
        };
        tokio::spawn(camera::watch(ctx.clone(), shared.shutdown.clone()));
        let driver = tokio::spawn(driver.run(shared.shutdown.clone()));
        Lane { link, ctx, driver }
    }
}
