//! `egate run --sim`: a bank of simulated gates in one process, each driven by the same
//! driver loop, gate state machine and adapters as a real gate.
//!
//! Per gate: a simulated door controller served as a Modbus RTU device on a pty and driven
//! by the real Modbus adapter (`hardware::door`); a virtual passport (`sim::chip`) read by the
//! real reader (`document::reader`) and verified by passive authentication against the
//! simulator's test PKI; a replayed camera whose frames go through the real face pipeline
//! (`vision`, ONNX Runtime); and simulated travellers (`sim::traveller`) whose bodies drive
//! the controller's zone sensors.
//!
//! The chip is read through pcscd + vpcd with the production PC/SC adapter on the lanes that
//! have a vpcd reader (two per pcscd), and in-process with a link model on the others.
//!
//! What is simulated rather than real, and named so: the MRZ scanner (the traveller's printed
//! MRZ is handed to the chip-read job directly), the camera (image files replayed), a border
//! database source and the EES (`super::backends`).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use gate::Input;
use rand::{Rng, SeedableRng};
use tokio::sync::{mpsc, watch};
use tracing::{debug, info, warn};
use zeroize::Zeroizing;

use super::camera::{Presented, ReplayCamera};
use crate::config::{Config, SimConfig};
use crate::lane::jobs;
use crate::lane::{Devices, Lane, Shared};
use acceptance::faces::{load_identities, Identity, LISTED_DOCUMENT, PRESENTATION_FRAMES};
use console::link::GateLink;

/// One kind of simulated traveller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Case {
    /// The holder of a genuine document.
    Genuine,
    /// Someone else's genuine document.
    Impostor,
    /// A document whose data group was altered after signing.
    Forged,
    /// The holder of a genuine document that is on the border database list.
    Listed,
    /// A clean document whose holder (name and date of birth) the simulated border database
    /// holds.
    ListedPerson,
    /// A third-country national whose record in the simulated EES shows an overstay.
    Overstayer,
    /// A third-country national on a first entry.
    ThirdCountry,
    /// The holder of a cloned chip: one of the factory's clone defects
    /// (`sim::factory::Defect::CLONES`), named in `[sim] pattern` by its profile name.
    Clone(sim::factory::Defect),
    /// The genuine document, and a print of the holder's photo held before the camera.
    Print,
    /// The genuine document, and a screen replaying a clip of the holder.
    ScreenReplay,
    /// A document with any defect of the factory (`sim::factory::Defect`): expired, revoked,
    /// tampered, a clone... (driven travellers, `super::driven`).
    Defect(sim::factory::Defect),
    /// A child of ten with their own genuine document.
    Minor,
}

/// The nationality of the simulated third-country nationals: Utopia, ICAO 9303-3's
/// specimen state.
const THIRD_COUNTRY: &str = "UTO";

/// One simulated traveller: the chip they carry, their printed MRZ and what they present
/// to the camera.
struct Traveller {
    chip: sim::chip::ChipSpec,
    printed_mrz: Zeroizing<String>,
    live: Presented,
}

/// The simulator's chip link: the card the current traveller placed on the reader, read
/// through pcscd + vpcd with the production PC/SC adapter when the lane has a vpcd reader,
/// in-process with the contactless link model otherwise.
struct SimChipLink {
    card: Mutex<Option<sim::chip::ChipSpec>>,
    vpcd: Option<Mutex<VpcdLane>>,
}

impl jobs::ChipLink for SimChipLink {
    fn read(
        &self,
        key: &document::reader::AccessKey,
    ) -> Result<document::reader::ReadDocument, jobs::ChipError> {
        use document::reader::{read_document, ReaderOptions};
        let chip = self
            .card
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
            .ok_or_else(|| jobs::ChipError::Document("no card on the reader".into()))?;
        match &self.vpcd {
            Some(lane) => {
                let mut lane = lane.lock().unwrap_or_else(|p| p.into_inner());
                read_via_pcscd(&mut lane, chip, key)
            }
            None => {
                // In process, with the contactless link at 424 kbit/s and 5 ms per APDU: the
                // read takes as long as it would on a real reader (passage-timing.md).
                let mut card = sim::inprocess::InProcessCard::new(
                    sim::chip::VirtualChip::new(chip),
                    sim::chip::LinkModel::TYPICAL,
                );
                let r = read_document(&mut card, key, ReaderOptions::default());
                std::thread::sleep(card.modelled_time());
                r.map_err(|e| jobs::ChipError::Document(e.to_string()))
            }
        }
    }
}

/// Per lane: the job context plus the simulated devices the travellers use.
struct SimLane {
    ctx: Arc<jobs::JobContext>,
    chip: Arc<SimChipLink>,
    camera: Arc<ReplayCamera>,
}

/// One lane's virtual reader: the vpcd slot the card is inserted into and the PC/SC reader
/// name pcscd presents it under.
struct VpcdLane {
    slot: sim::vpcd::VpcdSlot,
    reader: String,
}

/// Virtual reader `n`: "Virtual PCD 00 0n" on vpcd port 35963 + n, when pcscd runs with the
/// vpcd driver (Debian's vpcd serves two readers per pcscd, see scripts/pcscd.sh).
fn vpcd_lane(n: u8) -> Option<VpcdLane> {
    let readers = hardware::pcsc_reader::list_readers().ok()?;
    let reader = format!("Virtual PCD 00 {n:02}");
    if n > 1 || !readers.contains(&reader) {
        return None;
    }
    let slot = sim::vpcd::VpcdSlot::new(
        ("127.0.0.1", 35963 + n as u16),
        sim::vpcd::VpcdOptions {
            realtime: Some(sim::chip::LinkModel::TYPICAL),
        },
    )
    .ok()?;
    Some(VpcdLane { slot, reader })
}

/// Reads the chip through pcscd: insert the card into the lane's vpcd slot, wait for pcscd
/// to see it, read with the production PC/SC adapter, remove the card.
fn read_via_pcscd(
    lane: &mut VpcdLane,
    chip: sim::chip::ChipSpec,
    key: &document::reader::AccessKey,
) -> Result<document::reader::ReadDocument, jobs::ChipError> {
    // vpcd is pcscd's driver: while pcscd restarts there is nothing to insert the card
    // into. The card stays on the reader until it is back (a few seconds at most), then
    // this read fails like any other.
    let deadline = Instant::now() + Duration::from_secs(3);
    let mut inserted = lane.slot.insert(sim::chip::VirtualChip::new(chip.clone()));
    while inserted.is_err() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
        inserted = lane.slot.insert(sim::chip::VirtualChip::new(chip.clone()));
    }
    inserted.map_err(|e| jobs::ChipError::Document(format!("vpcd insert: {e}")))?;
    // The simulated reader cannot break: a PC/SC error while pcscd follows vpcd's card
    // changes is this read failing, not a reader fault that would close the lane.
    let result =
        crate::lane::devices::read_on_reader(Some(&lane.reader), Duration::from_secs(5), key)
            .map_err(|e| match e {
                jobs::ChipError::Reader(m) => jobs::ChipError::Document(m),
                other => other,
            });
    lane.slot.remove();
    // Wait until pcscd has seen the card go: a card inserted before pcscd noticed the last
    // one leave is taken for the old card reset, and the next read fails mid-transaction.
    if let Ok(mut pcsc) = hardware::pcsc_reader::PcscReader::open(Some(&lane.reader)) {
        let deadline = Instant::now() + Duration::from_secs(3);
        while pcsc.card_present().unwrap_or(false) && Instant::now() < deadline {
            let _ = pcsc.wait_event(Duration::from_millis(100));
        }
    }
    result
}

/// Starts the simulated bank: `[sim] gates` lanes, named after `[gate] id`.
pub async fn start(cfg: &Config, shared: &Shared) -> anyhow::Result<SimBank> {
    let sim_cfg = &cfg.sim;
    // The faces first: without them there is no traveller to simulate, whatever else works.
    let faces_dir = sim_cfg.faces_dir(&cfg.vision.assets_dir());
    let list = faces_dir.join("identities.txt");
    if !list.is_file() {
        anyhow::bail!(
            "[sim] faces_dir: cannot read {} (scripts/setup.sh installs the simulator's faces \
             under $EGATE_ASSETS/faces; or set [sim] faces_dir to a folder with identities.txt)",
            list.display()
        );
    }
    // The synthetic camera finds the face in each live photo once; PAD cannot run without
    // the face models, so with liveness required their absence stops the start.
    let mut detector = match vision::FacePipeline::new(&cfg.vision) {
        Ok(p) => Some(p),
        Err(e) if cfg.gate.liveness == gate::LivenessMode::Required => {
            anyhow::bail!(
                "[gate] liveness = \"required\", but presentation attack detection cannot run: \
                 the face models do not load ({e})"
            )
        }
        Err(e) => {
            warn!(error = %e, "face models unavailable: the simulated camera replays the photos as they are");
            None
        }
    };
    // The weak PAD models: with a weight above 0 and liveness required, a missing or corrupt
    // file stops the start here, naming it (each gate loads its own copy below).
    drop(crate::lane::pad::load_models(
        &cfg.vision,
        cfg.gate.liveness,
    )?);
    let identities = load_identities(&faces_dir, detector.as_mut())
        .map_err(|e| anyhow::anyhow!("[sim] faces_dir: {e}"))?;
    drop(detector);
    let source = Arc::new(super::backends::SimSource::new(Duration::from_millis(
        sim_cfg.borderdb_latency_ms,
    )));
    let borderdb = sim_borderdb(cfg, source.clone())?;
    let clock = crate::lane::clock::LaneClock::new(cfg.gate.utc_offset_minutes);
    let ees: Option<Arc<dyn borderdb::ees::Ees>> = match cfg.ees.adapter {
        crate::config::EesAdapter::Sim => {
            Some(Arc::new(super::backends::SimEes::new(clock.today())))
        }
        crate::config::EesAdapter::None => None,
    };
    // Who the travellers are, and a test PKI for each state that issues their documents
    // (passive authentication checks the signer's country against the issuing state).
    let holders: Vec<sim::holder::Holder> = sim_cfg
        .holders
        .iter()
        .map(|h| sim::holder::Holder::parse(h))
        .collect::<Result<_, _>>()
        .map_err(|e| anyhow::anyhow!("[sim] holders: {e}"))?;
    let mut pkis = Pkis::new();
    for country in std::iter::once("DE").chain(holders.iter().map(|h| h.pki_country())) {
        pkis.entry(country.to_string()).or_insert_with(|| {
            Arc::new(sim::factory::pki::TestPki::generate("egate-sim", country))
        });
    }
    let pkis = Arc::new(pkis);
    let mut store = document::pki::CscaStore::new();
    for pki in pkis.values() {
        store.add_der_or_pem(&pki.csca.der)?;
        store.add_der_or_pem(&pki.link.der)?;
        store.add_crl(&pki.crl)?;
    }
    // `[pki]` adds to the test PKI, and is watched as on a real gate.
    let (trust, notes) = crate::lane::trust::Trust::load(&cfg.pki, Some(store))
        .map_err(|e| anyhow::anyhow!("[pki] {e}"))?;
    for n in &notes {
        info!(source = %n, "trust anchor loaded");
    }
    let mut bank = SimBank {
        lanes: Vec::new(),
        controllers: Vec::new(),
        cameras: Vec::new(),
        source,
        driven: sim_cfg
            .driven
            .then(|| Arc::new(super::driven::Driven::default())),
    };
    if bank.driven.is_some() {
        info!("simulated travellers come from POST /sim/travellers ([sim] driven)");
    }
    for n in 0..sim_cfg.gates {
        let id = format!("{}-{}", cfg.gate.id, n + 1);
        // The models load before the door link starts: its watchdog runs from the first poll.
        let vision = match crate::lane::blocking(|| {
            jobs::VisionParts::load(&cfg.vision, cfg.gate.liveness)
        }) {
            Ok(v) => Some(v),
            Err(e) => {
                warn!(gate = %id, error = %e, "face pipeline unavailable: every face match will fail");
                None
            }
        };
        let map = hardware::door::DoorMap {
            watchdog_ms: SIM_LINK_WATCHDOG_MS,
            ..hardware::door::DoorMap::default()
        };
        let controller = Arc::new(sim::controller::SimController::spawn(
            sim::controller::SimControllerConfig {
                map: map.clone(),
                ..Default::default()
            },
        )?);
        bank.controllers.push(controller.clone());
        let (doors, door_events) =
            hardware::door::ModbusDoorController::open(controller.path(), map)?;
        let vpcd = sim_cfg.vpcd_readers.get(n).copied().and_then(vpcd_lane);
        match &vpcd {
            Some(l) => info!(gate = %id, reader = %l.reader, "chip link: pcscd + vpcd"),
            None => info!(gate = %id, "chip link: in-process virtual chip (no vpcd reader)"),
        }
        let chip = Arc::new(SimChipLink {
            card: Mutex::new(None),
            vpcd: vpcd.map(Mutex::new),
        });
        let pad_sensor = sim_cfg
            .pad_sensor
            .then(|| Arc::new(sim::pad_sensor::SimPadSensor::default()));
        let camera = Arc::new(ReplayCamera {
            files: Mutex::new(Presented::Nothing),
            sensor: pad_sensor.clone(),
            prompts: (cfg.vision.pad.challenge.enabled
                && cfg.gate.liveness == gate::LivenessMode::Required)
                .then(|| shared.screens.lane(&id)),
            freezer: Arc::default(),
        });
        bank.cameras.push(camera.freezer.clone());
        // The simulated lane has no traveller display: its messages go nowhere.
        let (display, _) = mpsc::unbounded_channel();
        let devices = Devices {
            doors: Arc::new(doors),
            door_events,
            display,
            chip: Box::new(chip.clone()),
            camera: Box::new(camera.clone()),
            borderdb: Box::new(borderdb.clone()),
            ees: ees.clone(),
            vision,
            trust: trust.clone(),
            pad_sensor: pad_sensor
                .clone()
                .map(|s| s as Arc<dyn hardware::pad_sensor::PadSensor>),
        };
        // The simulated travellers walk a two-step lane (entry, mantrap, exit).
        let lane = Lane::start(&id, cfg, Some(gate::Layout::TwoStep), devices, shared);
        let lane_devices = SimLane {
            ctx: lane.ctx.clone(),
            chip,
            camera,
        };
        tokio::spawn(travellers(
            controller,
            lane_devices,
            identities.clone(),
            pkis.clone(),
            holders.clone(),
            crate::lane::clock::LaneClock::new(cfg.gate.utc_offset_minutes),
            sim_cfg.clone(),
            cfg.gate.overlap,
            n as u64,
            bank.driven.clone(),
            shared.shutdown.clone(),
        ));
        info!(gate = %id, "simulated gate started");
        bank.lanes.push(lane);
    }
    crate::lane::trust::watch(
        trust,
        crate::lane::trust::TrustReport {
            links: bank.lanes.iter().map(|l| l.link.clone()).collect(),
            audit: shared.audit.clone(),
        },
        shared.shutdown.clone(),
    );
    Ok(bank)
}

/// The simulated bank's border databases: the file and endpoint `[borderdb]` names, or else
/// a list file the simulator writes next to the audit trail with its one listed document;
/// then the simulated source — the real `borderdb` code either way.
fn sim_borderdb(
    cfg: &Config,
    source: Arc<super::backends::SimSource>,
) -> anyhow::Result<Arc<borderdb::BorderDb>> {
    let wcfg = if cfg.borderdb.is_configured() {
        cfg.borderdb.clone()
    } else {
        let dir = cfg.state_dir();
        std::fs::create_dir_all(&dir)?;
        let file = dir.join("sim-borderdb.txt");
        std::fs::write(
            &file,
            format!(
                "# The simulator's borderdb: the document every \"listed\" traveller carries.\n{} {}\n",
                LISTED_DOCUMENT.0, LISTED_DOCUMENT.1
            ),
        )?;
        borderdb::BorderDbConfig {
            file,
            ..Default::default()
        }
    };
    Ok(Arc::new(
        borderdb::BorderDb::new(&wcfg)
            .map_err(|e| anyhow::anyhow!("[borderdb] {e}"))?
            .with_source(Box::new(source)),
    ))
}

/// A running simulated bank.
pub struct SimBank {
    /// The lanes, in gate order.
    pub lanes: Vec<Lane>,
    /// The simulated controllers, in gate order, kept alive until the drivers have stopped.
    pub controllers: Vec<Arc<sim::controller::SimController>>,
    /// The simulated border database source (its outage switch).
    pub source: Arc<super::backends::SimSource>,
    /// The simulated cameras' freeze switches, in gate order.
    pub cameras: Vec<Arc<super::camera::Freezer>>,
    /// The travellers handed in from outside, when `[sim] driven`.
    pub driven: Option<Arc<super::driven::Driven>>,
}

impl SimBank {
    /// What the `/sim/...` routes act on: the lanes' links, simulated controllers and
    /// cameras in gate order, the simulated border database source, the driven travellers'
    /// queue.
    pub fn controls(&self) -> super::http::SimControls {
        super::http::SimControls {
            lanes: self
                .lanes
                .iter()
                .map(|l| l.link.clone())
                .zip(self.controllers.iter().cloned())
                .collect(),
            cameras: self.cameras.clone(),
            source: self.source.clone(),
            driven: self.driven.clone(),
        }
    }
}

impl SimLane {
    /// A traveller steps up to an idle lane: card on the reader, face before the camera, MRZ
    /// scanned.
    fn arrive(&self, t: Traveller) {
        *self.chip.card.lock().unwrap_or_else(|p| p.into_inner()) = Some(t.chip);
        self.camera.show(t.live);
        self.ctx.begin_passage(t.printed_mrz);
    }

    /// The next traveller steps up to the entry reader while the one ahead leaves (overlap):
    /// their card on the reader and their MRZ scanned; the camera still sees the one ahead.
    /// Returns what they will show the camera once in the mantrap.
    fn arrive_next(&self, t: Traveller) -> Presented {
        *self.chip.card.lock().unwrap_or_else(|p| p.into_inner()) = Some(t.chip);
        self.ctx.begin_passage(t.printed_mrz);
        t.live
    }

    /// The waiting traveller is now the lane's: the camera sees them.
    fn step_forward(&self, live: Presented) {
        self.camera.show(live);
    }

    /// The traveller has left the lane with their document, nobody behind them.
    fn leave(&self) {
        *self.chip.card.lock().unwrap_or_else(|p| p.into_inner()) = None;
        self.camera.show(Presented::Nothing);
        // Their passage's data went with its end; a scan the gate never took goes now.
        self.ctx.drop_unclaimed();
    }
}

/// The door link watchdog of a simulated lane. The simulated controller answers from a task
/// of this process, which shares two cores with the face models and (in the tests) a
/// browser: a pause of 200 ms (the default map's watchdog, right for a controller of its
/// own) is CPU contention there, not a cut cable, and would take the lane out of service.
const SIM_LINK_WATCHDOG_MS: u64 = 1000;

/// The simulator's test PKIs by CSCA country (ISO 3166-1 alpha-2).
type Pkis = std::collections::BTreeMap<String, Arc<sim::factory::pki::TestPki>>;
/// A simulated traveller on foot in the lane.
struct OnFoot {
    walker: sim::traveller::Walker,
    /// Whether the gate has left idle since they arrived.
    seen_busy: bool,
    /// Waiting at the entry (overlap): what they show the camera once in the mantrap.
    live: Option<Presented>,
    /// Waiting at the entry: when they (next) hand their document to the reader.
    present_at: Option<Instant>,
    /// A driven traveller (`super::driven`): their order's id, their scan's generation, and
    /// when they walk away from the reader (a traveller who leaves).
    driven: Option<DrivenOnFoot>,
}

/// What the bank follows of a driven traveller on foot.
struct DrivenOnFoot {
    id: u32,
    generation: u64,
    leaves: bool,
    leave_at: Option<Instant>,
}

/// Placing the document on the reader (sim/data/passage-timing.md).
const PLACE_DOCUMENT: Duration = Duration::from_millis(1500);

/// A traveller who leaves walks away this long after the gate took their document (as in
/// virtual time: while the chip is being read).
const LEAVE_AFTER: Duration = Duration::from_millis(300);

/// What a driven traveller's order makes: their behaviour, walking times and the time they
/// take to place their document.
fn driven_traveller(
    o: &acceptance::realtime::Order,
) -> Result<
    (
        super::driven::Behaviour,
        sim::traveller::WalkTimes,
        Duration,
    ),
    String,
> {
    let b = super::driven::behaviour(&o.kind)?;
    let (walk, doc) = super::driven::walk_times(o)?;
    Ok((b, walk, doc))
}

/// Phases in which the lane's traveller is on the normal way out: the next traveller may
/// wait at the entry reader (overlap).
fn on_its_way_out(phase: &str) -> bool {
    matches!(phase, "verifying" | "exiting" | "closing_exit")
}

/// One lane's travellers: arrive at an idle gate, present their document, walk as the
/// doors let them, leave. With overlap, the next one steps up to the entry reader when the
/// one ahead has stepped out of the mantrap, and presents their document while they leave.
#[allow(clippy::too_many_arguments)]
async fn travellers(
    controller: Arc<sim::controller::SimController>,
    devices: SimLane,
    identities: Vec<Identity>,
    pkis: Arc<Pkis>,
    holders: Vec<sim::holder::Holder>,
    clock: crate::lane::clock::LaneClock,
    cfg: SimConfig,
    overlap: bool,
    lane_no: u64,
    driven: Option<Arc<super::driven::Driven>>,
    mut shutdown: watch::Receiver<bool>,
) {
    use hardware::door::Input as Hw;
    use sim::traveller::{Doors, Place, WalkTimes, Walker};
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(cfg.seed ^ (lane_no * 0x9E37));
    // The lane's traveller, and (overlap) the next one waiting at the entry.
    let mut front: Option<OnFoot> = None;
    let mut next: Option<OnFoot> = None;
    // Since when both doors have been shut.
    let mut shut_since: Option<Instant> = None;
    const SETTLED: Duration = Duration::from_millis(500);
    let mut served = 0usize;
    let mut last_left = Instant::now() - Duration::from_secs_f64(cfg.arrival_interval_s)
        + Duration::from_millis(300 * lane_no);
    let mut tick = tokio::time::interval(Duration::from_millis(50));
    loop {
        tokio::select! {
            _ = shutdown.wait_for(|s| *s) => return,
            _ = tick.tick() => {}
        }
        let now = Instant::now();
        let state = controller.state();
        let doors = Doors {
            entry: state.door_position[0],
            exit: state.door_position[1],
        };
        if doors.entry <= 0.0 && doors.exit <= 0.0 {
            shut_since.get_or_insert(now);
        } else {
            shut_since = None;
        }
        let phase = devices
            .ctx
            .link
            .status()
            .map(|s| s.phase)
            .unwrap_or_default();
        for t in [&mut front, &mut next].into_iter().flatten() {
            if phase != "idle" {
                t.seen_busy = true;
            }
            // Referred before entering (the referral may be over before a tick sees it:
            // the gate back to idle with the traveller still at the entry says so too, once
            // they have handed their document in: one still about to hand it in to an idle
            // lane is not being sent away).
            let sent_away = matches!(phase.as_str(), "referred" | "awaiting_officer" | "fault")
                || (t.seen_busy && phase == "idle" && t.present_at.is_none());
            if sent_away && t.walker.place() == Place::AtEntry {
                debug!(phase = %phase, "simulated traveller turned away at the entry");
                t.walker.turn_away(now);
            }
            // Referred inside the mantrap: the display says "please go back", so they walk
            // out through the entry once it opens, whether or not a tick saw it shut
            // behind them (a referral decided while it closes reopens it at once). A lane
            // out of service for a fault opens its entry (the safe state) for the same.
            if matches!(phase.as_str(), "referred" | "fault")
                && matches!(t.walker.place(), Place::EnteringMantrap | Place::InMantrap)
            {
                t.walker.turn_away(now);
            }
            if t.walker.tick(now, doors) {
                debug!(place = ?t.walker.place(), "simulated traveller moved");
            }
        }
        // A driven traveller places their document once they have taken their time for it,
        // and one who leaves walks away once the gate has taken it.
        if let Some(t) = front.as_mut() {
            if t.driven.is_some()
                && t.walker.place() == Place::AtEntry
                && t.present_at.is_some_and(|at| now >= at)
                && phase == "idle"
            {
                let _ = devices.ctx.inputs.send(Input::DocumentPresented);
                t.present_at = None;
            }
        }
        if let Some(driven) = &driven {
            for t in [&mut front, &mut next].into_iter().flatten() {
                let Some(dr) = t.driven.as_mut() else {
                    continue;
                };
                let claimed = devices.ctx.passages().claimed(dr.generation);
                if dr.leaves && claimed.is_some() {
                    dr.leaves = false;
                    dr.leave_at = Some(now + LEAVE_AFTER);
                }
                if dr.leave_at.is_some_and(|at| now >= at) {
                    dr.leave_at = None;
                    t.walker.turn_away(now);
                }
                let place = t.walker.place();
                let gone = t.walker.is_gone();
                driven.update(dr.id, |p| {
                    if let Some(c) = claimed {
                        if !p.passages.contains(&c.0) {
                            p.passages.push(c.0);
                        }
                    }
                    place.as_str().clone_into(&mut p.place);
                    if gone && p.left_ms.is_none() {
                        p.left_ms = Some(console::hub::now_ms());
                        p.through = place == Place::Through;
                    }
                });
            }
        }
        // The waiting traveller hands their document to the reader, again if the gate did
        // not take it (it was not ready).
        if let Some(t) = next.as_mut() {
            if t.walker.place() == Place::AtEntry
                && t.present_at.is_some_and(|at| now >= at)
                && (on_its_way_out(&phase) || phase == "idle")
            {
                if devices.ctx.latest_scan_taken() {
                    t.present_at = None;
                } else {
                    let _ = devices.ctx.inputs.send(Input::DocumentPresented);
                    t.present_at = Some(now + Duration::from_secs(1));
                }
            }
        }
        if front.as_ref().is_some_and(|t| t.walker.is_gone()) {
            debug!("simulated traveller gone");
            front = next.take();
            match front.as_mut() {
                Some(t) => {
                    if let Some(live) = t.live.take() {
                        devices.step_forward(live);
                    }
                }
                None => {
                    last_left = now;
                    // The traveller took their document and face away.
                    devices.leave();
                }
            }
        }
        if next.as_ref().is_some_and(|t| t.walker.is_gone()) {
            debug!("simulated traveller waiting at the entry gone");
            next = None;
            if front.is_none() {
                devices.leave();
            }
        }
        // With overlap the next traveller steps up to the entry reader once the one ahead
        // has stepped out of the mantrap and the entry is shut behind them.
        let called = overlap
            && next.is_none()
            && doors.entry <= 0.0
            && on_its_way_out(&phase)
            && front
                .as_ref()
                .is_some_and(|t| matches!(t.walker.place(), Place::Exiting | Place::Leaving));
        // The next traveller steps up to an idle lane once it is ready: gate idle and both
        // doors shut for a moment (a door still closing behind the last one is not an
        // invitation, and one that has just touched its frame still reverses for someone
        // stepping into its path before the controller confirms it closed).
        // Driven, the queue is the arrival process.
        let due = driven.is_some()
            || now.duration_since(last_left).as_secs_f64() >= cfg.arrival_interval_s;
        let shut = shut_since.is_some_and(|t| now.duration_since(t) >= SETTLED);
        let idle_ready = front.is_none() && due && shut && phase == "idle";
        let order = match &driven {
            Some(d) if called || idle_ready => d.take(),
            _ => None,
        };
        if (called || idle_ready) && (driven.is_none() || order.is_some()) {
            let (case, holder, seed, walk, place_document, on_foot) = match &order {
                Some(o) => match driven_traveller(o) {
                    Ok((b, walk, doc)) => (b.case, None, o.seed, walk, doc, Some(b.leaves)),
                    Err(e) => {
                        // Never made: it leaves the queue (the run's report counts it).
                        warn!(traveller = o.id, error = %e, "driven traveller refused");
                        if let Some(d) = &driven {
                            d.update(o.id, |p| {
                                p.place = "not_made".into();
                                p.left_ms = Some(console::hub::now_ms());
                            });
                        }
                        continue;
                    }
                },
                None => {
                    let case = pick_case(&mut rng, &cfg, served);
                    let holder = pick_holder(&mut rng, &holders, !cfg.pattern.is_empty(), served);
                    let seed = rng.gen::<u64>();
                    (
                        case,
                        holder,
                        seed,
                        WalkTimes::default(),
                        PLACE_DOCUMENT,
                        None,
                    )
                }
            };
            debug!(?case, called, "simulated traveller arrives");
            served += 1;
            // Rendering a synthetic presentation takes a while: off the runtime's
            // threads, so the door controller's link is served meanwhile.
            let (ids, pkis) = (identities.clone(), pkis.clone());
            let today = clock.today();
            let today = sim::factory::DateTime::date(today.year(), today.month(), today.day());
            let made = tokio::task::spawn_blocking(move || {
                let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
                make_traveller(case, &ids, &pkis, holder.as_ref(), today, &mut rng)
            })
            .await
            .unwrap_or_else(|e| Err(anyhow::anyhow!("making a traveller: {e}")));
            let now = Instant::now();
            let followed = |generation| {
                let o = order.as_ref()?;
                Some(DrivenOnFoot {
                    id: o.id,
                    generation,
                    leaves: on_foot.unwrap_or(false),
                    leave_at: None,
                })
            };
            if let (Some(d), Ok(_)) = (&driven, &made) {
                if let Some(o) = &order {
                    d.update(o.id, |p| {
                        p.lane = Some(lane_no as u32 + 1);
                        p.served_ms = Some(console::hub::now_ms());
                    });
                }
            }
            match made {
                Ok(t) if idle_ready => {
                    devices.arrive(t);
                    let generation = devices.ctx.passages().latest_generation();
                    let driven_on_foot = followed(generation);
                    // A driven traveller takes their time to place the document.
                    let present_at = driven_on_foot.as_ref().map(|_| now + place_document);
                    if present_at.is_none() {
                        let _ = devices.ctx.inputs.send(Input::DocumentPresented);
                    }
                    front = Some(OnFoot {
                        walker: Walker::arrive(now, walk),
                        seen_busy: false,
                        live: None,
                        present_at,
                        driven: driven_on_foot,
                    });
                }
                Ok(t) => {
                    let live = devices.arrive_next(t);
                    let generation = devices.ctx.passages().latest_generation();
                    next = Some(OnFoot {
                        walker: Walker::arrive(now, walk),
                        seen_busy: false,
                        live: Some(live),
                        present_at: Some(now + place_document),
                        driven: followed(generation),
                    });
                }
                Err(e) => {
                    warn!(error = %e, "could not make a simulated traveller");
                    if let (Some(d), Some(o)) = (&driven, &order) {
                        d.update(o.id, |p| {
                            p.place = "not_made".into();
                            p.left_ms = Some(console::hub::now_ms());
                        });
                    }
                }
            }
        }
        let mut z = [false; 3];
        for t in [&front, &next].into_iter().flatten() {
            for (zone, on) in z.iter_mut().zip(t.walker.zones()) {
                *zone |= on;
            }
        }
        controller.set_zone(Hw::ZoneA, Some(z[0]));
        controller.set_zone(Hw::ZoneB, Some(z[1]));
        controller.set_zone(Hw::ZoneC, Some(z[2]));
    }
}

/// The holder of the next traveller's document: with a pattern, the one beside its entry
/// (cycled); otherwise one at random; `None`: the specimen's holder.
fn pick_holder(
    rng: &mut impl Rng,
    holders: &[sim::holder::Holder],
    cycled: bool,
    served: usize,
) -> Option<sim::holder::Holder> {
    if holders.is_empty() {
        return None;
    }
    let i = if cycled {
        served % holders.len()
    } else {
        rng.gen_range(0..holders.len())
    };
    Some(holders[i].clone())
}

fn pick_case(rng: &mut impl Rng, cfg: &SimConfig, served: usize) -> Case {
    if !cfg.pattern.is_empty() {
        return match cfg.pattern[served % cfg.pattern.len()].as_str() {
            "impostor" => Case::Impostor,
            "forged" => Case::Forged,
            "listed" => Case::Listed,
            "listed_person" => Case::ListedPerson,
            "overstayer" => Case::Overstayer,
            "third_country" => Case::ThirdCountry,
            "print" => Case::Print,
            "screen_replay" => Case::ScreenReplay,
            other => sim::factory::Defect::from_name(other)
                .filter(|d| sim::factory::Defect::CLONES.iter().any(|(c, _)| c == d))
                .map_or(Case::Genuine, Case::Clone),
        };
    }
    let x: f64 = rng.gen();
    if x < cfg.forged_share {
        Case::Forged
    } else if x < cfg.forged_share + cfg.impostor_share {
        Case::Impostor
    } else if x < cfg.forged_share + cfg.impostor_share + cfg.listed_share {
        Case::Listed
    } else {
        Case::Genuine
    }
}

fn make_traveller(
    case: Case,
    ids: &[Identity],
    pkis: &Pkis,
    who: Option<&sim::holder::Holder>,
    today: sim::factory::DateTime,
    rng: &mut impl Rng,
) -> anyhow::Result<Traveller> {
    let holder = rng.gen_range(0..ids.len());
    let other = (holder + 1 + rng.gen_range(0..ids.len() - 1)) % ids.len();
    let mut spec = sim::factory::DocumentSpec::specimen();
    let mut country = "DE";
    if let Some(who) = who {
        who.apply(&mut spec, today);
        country = who.pki_country();
    }
    if case == Case::Listed {
        // The simulator's borderdb lists one German document.
        LISTED_DOCUMENT.0.clone_into(&mut spec.bio.issuing_state);
        country = "DE";
    }
    let pki = pkis
        .get(country)
        .ok_or_else(|| anyhow::anyhow!("no test PKI for {country}"))?;
    spec.bio.number = format!("X{:07}", rng.gen_range(0..10_000_000u32));
    spec.bio
        .number
        .push(char::from(b'0' + rng.gen_range(0..10u8)));
    let (face, w, h) = &*ids[holder].portrait;
    spec.face = face.clone();
    spec.face_size = (*w, *h);
    spec.face_format = sim::factory::lds::ImageFormat::Jpeg;
    match case {
        Case::Listed => LISTED_DOCUMENT.1.clone_into(&mut spec.bio.number),
        Case::ListedPerson => {
            let (surname, given, (y, m, d)) = super::backends::LISTED_PERSON;
            spec.bio.surname = surname.into();
            spec.bio.given_names = given.into();
            spec.bio.birth = sim::factory::DateTime::date(y, m, d);
        }
        Case::Overstayer => {
            super::backends::OVERSTAYER_DOCUMENT.clone_into(&mut spec.bio.number);
            spec.bio.nationality = THIRD_COUNTRY.into();
        }
        Case::ThirdCountry => spec.bio.nationality = THIRD_COUNTRY.into(),
        _ => {}
    }
    spec.key_seed = spec.bio.number.clone();
    if case == Case::Forged {
        spec.defect = Some(sim::factory::Defect::TamperedDg2);
    }
    if let Case::Clone(defect) | Case::Defect(defect) = case {
        spec.set_defect(defect);
    }
    if case == Case::Minor {
        spec.bio.birth =
            sim::factory::DateTime::date(today.year - 10, today.month, today.day.min(28));
    }
    let doc = sim::factory::build(&spec, pki);
    let face = match case {
        Case::Impostor => &ids[other],
        _ => &ids[holder],
    };
    use vision::pad::synth::Kind;
    let kind = match case {
        Case::Print => Kind::Print,
        Case::ScreenReplay => Kind::ScreenReplay,
        _ => Kind::BonaFide,
    };
    let live = if face.faces.is_empty() {
        anyhow::ensure!(
            kind == Kind::BonaFide,
            "a {case:?} traveller needs the face models (the synthetic camera)"
        );
        Presented::Files(face.live.clone())
    } else {
        let photo = face.faces[rng.gen_range(0..face.faces.len())].clone();
        let live = &*photo;
        use sim::pad_sensor::Before;
        let before = match kind {
            Kind::Print => Before::Print,
            Kind::ScreenReplay => Before::Screen,
            _ => Before::Face,
        };
        match kind {
            Kind::BonaFide => Presented::Live {
                clip: live
                    .bona_fide
                    .iter()
                    .map(vision::Frame::try_clone)
                    .collect::<Result<_, _>>()?,
                seed: rng.gen(),
                photo,
            },
            _ => Presented::Frames(
                vision::pad::synth::sequence(
                    kind,
                    &live.photo,
                    &live.face,
                    PRESENTATION_FRAMES,
                    rng.gen(),
                )?,
                before,
            ),
        }
    };
    Ok(Traveller {
        chip: doc.chip,
        printed_mrz: Zeroizing::new(doc.printed_mrz),
        live,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clone_patterns_are_the_factory_clone_profiles() {
        let factory: Vec<&str> = sim::factory::Defect::CLONES
            .iter()
            .map(|(d, _)| d.name())
            .collect();
        assert_eq!(factory, crate::config::sections::CLONE_PATTERNS);
        let cfg = SimConfig {
            pattern: vec!["clone-dg2-not-found".into(), "tampered-dg1".into()],
            ..SimConfig::default()
        };
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        assert_eq!(
            pick_case(&mut rng, &cfg, 0),
            Case::Clone(sim::factory::Defect::CloneDg2NotFound)
        );
        // Only clones: other defects are not travellers of the bank.
        assert_eq!(pick_case(&mut rng, &cfg, 1), Case::Genuine);
    }
}
