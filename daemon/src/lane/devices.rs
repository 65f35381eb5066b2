//! `egate run` without `--sim`: one gate wired to its real devices, all named in the config.
//!
//! - the chip through PC/SC (`[reader]`, `hardware::pcsc_reader`), verified against the trust
//!   anchors of `[pki]`;
//! - the doors through the Modbus RTU adapter on a serial port (`[doors]`);
//! - the MRZ scanner on a serial port (`[scanner]`): a scan while the gate is idle starts a
//!   passage;
//! - the camera through OpenCV `VideoCapture` (`[vision.camera]`) and the face models of
//!   `[vision]`;
//! - the traveller display on a serial port (`[display]`);
//! - the border databases (`[borderdb]`).
//!
//! A device that is named but cannot be opened stops the start with an error that says which
//! and why: a gate with a missing device must not admit anybody. The same driver loop, gate
//! and jobs run under `egate run --sim` (`crate::simulation::bank`), with simulated devices.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use gate::{Device, Input, SensorEvent};
use hardware::scanner::ScanEvent;
use tokio::sync::{mpsc, watch};
use tracing::{debug, info, warn};
use zeroize::Zeroizing;

use crate::config::policy::BorderDb;
use crate::config::{Config, ConfigError};
use crate::lane::jobs::{self, Camera, ChipError, ChipLink};
use crate::lane::{Devices, Lane, Shared};
use console::link::GateLink;

/// Reads the document on a PC/SC reader: wait up to `wait` for a card, connect, read with
/// `key`, disconnect. `reader`: the reader's name, or `None` for the first one.
///
/// pcscd that is not there, or does not list the reader yet (restarted by systemd, or its
/// driver still starting), is waited for within `wait` too: the reader is at fault only when
/// it is still missing then.
pub fn read_on_reader(
    reader: Option<&str>,
    wait: Duration,
    key: &document::reader::AccessKey,
) -> Result<document::reader::ReadDocument, ChipError> {
    use hardware::pcsc_reader::PcscReader;
    let deadline = Instant::now() + wait;
    let mut pcsc = loop {
        match PcscReader::open(reader) {
            Ok(p) => break p,
            Err(e)
                if e.kind() == hardware::error::ErrorKind::Disconnected
                    && Instant::now() < deadline =>
            {
                debug!(error = %e, "PC/SC reader not available yet; waiting");
                std::thread::sleep(Duration::from_millis(100));
            }
            Err(e) => return Err(ChipError::Reader(e.to_string())),
        }
    };
    while !pcsc
        .card_present()
        .map_err(|e| ChipError::Reader(e.to_string()))?
    {
        if Instant::now() > deadline {
            return Err(ChipError::Document(format!(
                "no chip seen on the reader within {} ms",
                wait.as_millis()
            )));
        }
        let _ = pcsc.wait_event(Duration::from_millis(200));
    }
    pcsc.connect()
        .map_err(|e| ChipError::Document(e.to_string()))?;
    let read =
        document::reader::read_document(&mut pcsc, key, document::reader::ReaderOptions::default())
            .map_err(|e| ChipError::Document(e.to_string()));
    pcsc.disconnect();
    read
}

/// The chip reader of a real gate.
struct PcscChipLink {
    reader: Option<String>,
    wait: Duration,
}

impl ChipLink for PcscChipLink {
    fn read(
        &self,
        key: &document::reader::AccessKey,
    ) -> Result<document::reader::ReadDocument, ChipError> {
        read_on_reader(self.reader.as_deref(), self.wait, key)
    }
}

/// The camera of a real gate. Opened at start to prove it is there, then opened afresh for
/// every capture attempt and closed after it: a camera left open buffers frames (V4L2 keeps
/// several, a stream seconds), and a frame of the previous traveller must never be matched
/// against the next one's document. The price is the camera's start-up time per attempt.
struct OpenCvCamera {
    config: vision::source::CameraConfig,
}

impl OpenCvCamera {
    fn open(config: &vision::source::CameraConfig) -> anyhow::Result<Self> {
        drop(
            vision::source::CameraSource::open(config)
                .with_context(|| format!("[vision.camera] source {:?}", config.source))?,
        );
        Ok(Self {
            config: config.clone(),
        })
    }
}

impl Camera for OpenCvCamera {
    fn frames(&self) -> Result<Box<dyn vision::source::FrameSource>, String> {
        vision::source::CameraSource::open(&self.config)
            .map(|c| Box::new(c) as Box<dyn vision::source::FrameSource>)
            .map_err(|e| e.to_string())
    }
}

/// Shows the gate's messages on the serial display, or logs them when none is configured.
async fn run_display(
    cfg: crate::config::devices::DisplayConfig,
    mut messages: mpsc::UnboundedReceiver<gate::MessageCode>,
) {
    // The display is not a device the gate's decisions depend on (a referral still refers,
    // the lamps are the controller's): its failures are logged, not a lane fault.
    use hardware::display::{LineDisplay, TravellerDisplay};
    let texts = hardware::display::DisplayConfig {
        languages: cfg.languages.clone(),
        ..Default::default()
    };
    let mut display = None;
    let mut healthy = true;
    while let Some(code) = messages.recv().await {
        if cfg.port.is_empty() {
            debug!(
                message = code.as_str(),
                "traveller display (none configured)"
            );
            continue;
        }
        if display.is_none() {
            match LineDisplay::open(&cfg.port, cfg.baud, texts.clone()) {
                Ok(d) => display = Some(d),
                Err(e) => warn!(port = %cfg.port, error = %e, "traveller display unavailable"),
            }
        }
        let lamp = hardware::display::pictogram(code);
        let shown = match display.as_mut() {
            Some(d) => d.show(code, lamp).map_err(|e| e.to_string()),
            None => Err("not open".into()),
        };
        match shown {
            Ok(()) if !healthy => {
                healthy = true;
                info!("traveller display back");
            }
            Ok(()) => {}
            Err(e) => {
                display = None;
                if healthy {
                    healthy = false;
                    warn!(error = %e, "traveller display write failed");
                }
            }
        }
    }
}

/// How long a scan made while the gate was busy (the last traveller still leaving) waits
/// for the gate to become idle before it is dropped: the traveller has placed their
/// document and should not have to place it again; an older scan may be a document that
/// has been taken away.
const PENDING_SCAN: Duration = Duration::from_secs(10);

/// Turns scanner reads into passages: a complete MRZ starts a passage once the gate is idle
/// (at once, or within [`PENDING_SCAN`] if the previous passage is still ending). A scanner
/// that goes away is a device fault for the gate, and the port is reopened every second
/// until it answers again.
async fn run_scanner(
    port: String,
    baud: u32,
    first: (
        hardware::scanner::SerialMrzScanner,
        mpsc::UnboundedReceiver<ScanEvent>,
    ),
    ctx: Arc<jobs::JobContext>,
    mut shutdown: watch::Receiver<bool>,
) {
    let fault = |on: bool| {
        let e = if on {
            SensorEvent::DeviceFault(Device::MrzScanner)
        } else {
            SensorEvent::DeviceRecovered(Device::MrzScanner)
        };
        let _ = ctx.inputs.send(Input::Sensor(e));
    };
    let idle = || {
        ctx.link
            .status()
            .map(|s| s.phase == "idle")
            .unwrap_or(false)
    };
    let mut open = Some(first);
    // The last scan not yet taken by the gate, with when it was made and when it was last
    // handed over. It stays here until the gate leaves idle (it took it) or it expires: an
    // idle gate may still turn a document away (doors settling, someone in the lane).
    let mut pending: Option<(Zeroizing<String>, Instant, Option<Instant>)> = None;
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    loop {
        if let Some((text, at, handed)) = &mut pending {
            if handed.is_some() && !idle() {
                // The gate started the passage with it.
                pending = None;
            } else if at.elapsed() > PENDING_SCAN {
                debug!("a scan the gate did not take expired");
                pending = None;
                // Nothing of it stays behind for a passage that never started.
                if idle() {
                    ctx.drop_unclaimed();
                }
            } else if idle() && handed.is_none_or(|h| h.elapsed() > Duration::from_secs(1)) {
                ctx.begin_passage(text.clone());
                let _ = ctx.inputs.send(Input::DocumentPresented);
                *handed = Some(Instant::now());
            }
        }
        let Some((_scanner, events)) = open.as_mut() else {
            tokio::select! {
                _ = shutdown.wait_for(|s| *s) => return,
                _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            }
            if let Ok(s) = hardware::scanner::SerialMrzScanner::open(&port, baud) {
                info!(port = %port, "MRZ scanner back");
                fault(false);
                open = Some(s);
            }
            continue;
        };
        let event = tokio::select! {
            _ = shutdown.wait_for(|s| *s) => return,
            _ = tick.tick() => continue,
            e = events.recv() => e,
        };
        match event {
            Some(ScanEvent::Read(read)) => {
                let text = Zeroizing::new(read.lines().join("\n"));
                drop(read);
                if pending.is_some() || !idle() {
                    debug!("MRZ scanned while the gate is busy; it waits for the gate");
                }
                // The newest scan wins: it is the document on the reader now.
                pending = Some((text, Instant::now(), None));
                tick.reset_immediately();
            }
            Some(ScanEvent::Rejected(why)) => debug!(?why, "scanner input rejected"),
            Some(ScanEvent::Disconnected(e)) => {
                warn!(error = %e, "MRZ scanner disconnected");
                fault(true);
                open = None;
            }
            Some(other) => debug!(?other, "scanner event"),
            None => {
                warn!("MRZ scanner adapter stopped");
                fault(true);
                open = None;
            }
        }
    }
}

/// What `[doors] port = ""` means.
#[cfg(feature = "sim")]
const DOORS_MISSING: &str =
    "[doors] port is empty: a gate needs its door controller (or run `egate run --sim`)";
#[cfg(not(feature = "sim"))]
const DOORS_MISSING: &str = "[doors] port is empty: a gate needs its door controller";

/// What a gate on real devices needs but the config does not name, as config errors (the
/// simulator needs none of it, so `egate config check` cannot tell on its own).
pub fn missing(cfg: &Config) -> Vec<ConfigError> {
    let mut out = Vec::new();
    let mut need = |key: &str, message: &str| {
        out.push(ConfigError {
            key: key.into(),
            line: None,
            message: message.into(),
        })
    };
    if cfg.doors.port.is_empty() {
        need("doors.port", DOORS_MISSING);
    }
    if cfg.scanner.port.is_empty() {
        need(
            "scanner.port",
            "[scanner] port is empty: a gate needs an MRZ scanner to start passages",
        );
    }
    if cfg.policy.borderdb == BorderDb::Required && !cfg.borderdb.is_configured() {
        need(
            "policy.borderdb",
            "\"required\" but [borderdb] names neither a file nor a url",
        );
    }
    let ports = [
        ("doors.port", &cfg.doors.port),
        ("scanner.port", &cfg.scanner.port),
        ("display.port", &cfg.display.port),
    ];
    for (i, (a, pa)) in ports.iter().enumerate() {
        for (b, pb) in &ports[i + 1..] {
            if !pa.is_empty() && pa == pb {
                need(b, &format!("the same serial port as {a}"));
            }
        }
    }
    out
}

/// Opens every device named in the config and starts the gate's driver loop.
pub async fn start(cfg: &Config, shared: &Shared) -> anyhow::Result<Lane> {
    if let Some(e) = missing(cfg).into_iter().next() {
        anyhow::bail!("{e}");
    }
    // Trust anchors.
    let (trust, notes) = crate::lane::trust::Trust::load(&cfg.pki, None)
        .map_err(|e| anyhow::anyhow!("[pki] {e}"))?;
    for n in &notes {
        info!(source = %n, "trust anchor loaded");
    }
    if trust.store().certificates().is_empty() {
        warn!("[pki] names no CSCA: every document will be csca_not_found");
    }
    // The borderdb: a gate whose policy requires one must have one.
    let borderdb: Box<dyn jobs::BorderDbCheck> = if cfg.borderdb.is_configured() {
        Box::new(borderdb::BorderDb::new(&cfg.borderdb).context("[borderdb]")?)
    } else {
        anyhow::ensure!(
            cfg.policy.borderdb == BorderDb::Off,
            "[policy] borderdb = \"required\" but [borderdb] names neither a file nor a url"
        );
        Box::new(jobs::NoBorderDb)
    };
    anyhow::ensure!(
        cfg.ees.adapter != crate::config::EesAdapter::Sim,
        "[ees] adapter = \"sim\" is the simulator's EES: for `egate run --sim` only"
    );
    // The chip reader must be there (it is used only when a document is presented).
    let readers = hardware::pcsc_reader::list_readers()
        .map_err(|e| anyhow::anyhow!("[reader] PC/SC is not usable: {e}"))?;
    if cfg.reader.pcsc_reader.is_empty() {
        anyhow::ensure!(!readers.is_empty(), "[reader] pcscd lists no reader");
    } else {
        anyhow::ensure!(
            readers.contains(&cfg.reader.pcsc_reader),
            "[reader] pcsc_reader {:?} is not among the readers pcscd lists: {readers:?}",
            cfg.reader.pcsc_reader
        );
    }
    // Faces.
    let vision = jobs::VisionParts::load(&cfg.vision, cfg.gate.liveness)?;
    let camera = OpenCvCamera::open(&cfg.vision.camera)?;
    // Doors.
    let map = if cfg.doors.map_file.as_os_str().is_empty() {
        hardware::door::DoorMap::default()
    } else {
        let text = std::fs::read_to_string(&cfg.doors.map_file)
            .with_context(|| format!("[doors] map_file {}", cfg.doors.map_file.display()))?;
        hardware::door::DoorMap::from_toml(&text).map_err(|errors| {
            let list: Vec<String> = errors.iter().map(ToString::to_string).collect();
            anyhow::anyhow!(
                "[doors] map_file {}: {}",
                cfg.doors.map_file.display(),
                list.join("; ")
            )
        })?
    };
    if map.registers.fault_code_ignore != 0 {
        warn!(
            mask = format!("{:#06x}", map.registers.fault_code_ignore),
            "[registers] fault_code_ignore: these fault-code bits of the door controller are not \
             taken as faults"
        );
    }
    let (doors, door_events) = hardware::door::ModbusDoorController::open(&cfg.doors.port, map)
        .with_context(|| format!("[doors] port {}", cfg.doors.port))?;
    // Scanner.
    let scanner = hardware::scanner::SerialMrzScanner::open(&cfg.scanner.port, cfg.scanner.baud)
        .with_context(|| format!("[scanner] port {}", cfg.scanner.port))?;
    let (display, display_rx) = mpsc::unbounded_channel();
    tokio::spawn(run_display(cfg.display.clone(), display_rx));
    // No driver for a real PAD sensor is built yet (hardware::pad_sensor says why).
    let devices = Devices {
        pad_sensor: None,
        doors: Arc::new(doors),
        door_events,
        display,
        chip: Box::new(PcscChipLink {
            reader: (!cfg.reader.pcsc_reader.is_empty()).then(|| cfg.reader.pcsc_reader.clone()),
            wait: Duration::from_secs_f64(cfg.reader.card_wait_s),
        }),
        camera: Box::new(camera),
        borderdb,
        // No EES adapter of a real back end exists yet: an entry lane refers third-country
        // nationals with ees_required ([ees] adapter = "sim" is refused above).
        ees: None,
        vision: Some(vision),
        trust: trust.clone(),
    };
    let lane = Lane::start(&cfg.gate.id, cfg, None, devices, shared);
    crate::lane::trust::watch(
        trust,
        crate::lane::trust::TrustReport {
            links: vec![lane.link.clone()],
            audit: shared.audit.clone(),
        },
        shared.shutdown.clone(),
    );
    tokio::spawn(run_scanner(
        cfg.scanner.port.clone(),
        cfg.scanner.baud,
        scanner,
        lane.ctx.clone(),
        shared.shutdown.clone(),
    ));
    info!(gate = %cfg.gate.id, doors = %cfg.doors.port, scanner = %cfg.scanner.port,
        camera = %cfg.vision.camera.source, "gate started with its devices");
    Ok(lane)
}
