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
//! MRZ is handed to the chip-read job directly), the camera (image files replayed), and the
//! watchlist (an empty list).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use gate::{CivilDate, Input, JobKind, Ticket};
use rand::{Rng, SeedableRng};
use tokio::sync::{mpsc, watch};
use tracing::{info, warn};
use zeroize::Zeroizing;

use crate::audit::{AuditLog, Pseudonymizer};
use crate::bank::{GateLink, GateStatus, LocalGate, PhotoKind};
use crate::config::SimConfig;
use crate::doors::{forward_events, ControllerSignals};
use crate::driver::{Driver, JobRunner};
use crate::metrics::Metrics;

/// One kind of simulated traveller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Case {
    /// The holder of a genuine document.
    Genuine,
    /// Someone else's genuine document.
    Impostor,
    /// A document whose data group was altered after signing.
    Forged,
}

/// An identity of the face set: a chip photo and live images.
#[derive(Debug, Clone)]
struct Identity {
    /// The chip portrait: JPEG, width, height (made once at start).
    portrait: Arc<(Vec<u8>, u16, u16)>,
    live: Vec<PathBuf>,
}

/// Loads `identities.txt` ("file identity" per line) from the faces folder; identities with
/// at least two images qualify (one for the chip, the others for the camera).
fn load_identities(dir: &Path) -> anyhow::Result<Vec<Identity>> {
    let list = dir.join("identities.txt");
    let text = std::fs::read_to_string(&list).map_err(|e| {
        anyhow::anyhow!(
            "[sim] faces_dir: cannot read {}: {e} (run from the repository root, or set \
             faces_dir to a folder with identities.txt)",
            list.display()
        )
    })?;
    let mut by_id: std::collections::BTreeMap<String, Vec<PathBuf>> = Default::default();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut parts = line.split_whitespace();
        if let (Some(file), Some(id)) = (parts.next(), parts.next()) {
            // Partly visible faces make poor chip photos; keep the set to whole faces.
            if !file.contains("partial") {
                by_id
                    .entry(id.to_string())
                    .or_default()
                    .push(dir.join(file));
            }
        }
    }
    let mut ids = Vec::new();
    for mut files in by_id.into_values().filter(|f| f.len() >= 2) {
        let chip_photo = files.remove(0);
        ids.push(Identity {
            portrait: Arc::new(chip_portrait(&chip_photo)?),
            live: files,
        });
    }
    anyhow::ensure!(
        ids.len() >= 2,
        "[sim] faces_dir {}: need at least two identities with two images each",
        dir.display()
    );
    Ok(ids)
}

/// What one passage carries between its jobs; personal data zeroized when it is dropped.
struct Passage {
    /// The chip the traveller presented.
    chip: sim::chip::ChipSpec,
    /// The printed MRZ, as the (simulated) scanner read it.
    printed_mrz: Zeroizing<String>,
    /// Live images the replayed camera shows.
    live: Vec<PathBuf>,
    /// The chip photo, once the chip has been read.
    chip_photo: Option<Zeroizing<Vec<u8>>>,
}

struct Shared {
    passage: Mutex<Option<Passage>>,
    inputs: mpsc::UnboundedSender<Input>,
    store: document::pki::CscaStore,
    pseudonyms: Arc<Pseudonymizer>,
    vision: Option<Arc<Mutex<VisionParts>>>,
    link: Arc<LocalGate>,
    /// The chip link through pcscd + vpcd, when pcscd offers a vpcd reader for this lane.
    vpcd: Option<Mutex<VpcdLane>>,
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
) -> Result<document::reader::ReadDocument, String> {
    use hardware::pcsc_reader::PcscReader;
    lane.slot
        .insert(sim::chip::VirtualChip::new(chip))
        .map_err(|e| format!("vpcd insert: {e}"))?;
    let result = (|| {
        let mut pcsc = PcscReader::open(Some(&lane.reader)).map_err(|e| e.to_string())?;
        let deadline = Instant::now() + Duration::from_secs(5);
        while !pcsc.card_present().map_err(|e| e.to_string())? {
            if Instant::now() > deadline {
                return Err("pcscd did not see the card within 5 s".to_string());
            }
            let _ = pcsc.wait_event(Duration::from_millis(200));
        }
        pcsc.connect().map_err(|e| e.to_string())?;
        let read = document::reader::read_document(
            &mut pcsc,
            key,
            document::reader::ReaderOptions::default(),
        )
        .map_err(|e| e.to_string());
        pcsc.disconnect();
        read
    })();
    lane.slot.remove();
    result
}

struct VisionParts {
    pipeline: vision::FacePipeline,
    matcher: vision::Matcher,
    policy: vision::CapturePolicy,
}

/// Runs chip reads and face matches on blocking threads.
struct SimJobs {
    shared: Arc<Shared>,
}

impl JobRunner for SimJobs {
    fn start(&mut self, kind: JobKind, ticket: Ticket) {
        let shared = self.shared.clone();
        tokio::task::spawn_blocking(move || {
            let input = match kind {
                JobKind::ChipRead => Input::DocumentVerdict {
                    ticket,
                    verdict: chip_job(&shared),
                },
                JobKind::Watchlist => Input::WatchlistResult {
                    ticket,
                    // The simulator's watchlist is empty.
                    result: gate::WatchlistResult::Clear,
                },
                JobKind::FaceMatch => Input::FaceVerdict {
                    ticket,
                    verdict: face_job(&shared),
                },
                JobKind::Pad => {
                    // Liveness is configured "not-checked": the gate does not start PAD jobs.
                    warn!("PAD job requested but no detector exists");
                    return;
                }
            };
            let _ = shared.inputs.send(input);
        });
    }
    fn cancel(&mut self, _ticket: Ticket) {
        // Jobs are short; a late result carries a stale ticket and the gate drops it.
    }
}

fn chip_job(shared: &Shared) -> gate::DocumentVerdict {
    use document::reader::{read_document, AccessKey, ReaderOptions};
    use gate::{DocumentVerdict, ReasonCode};
    let (chip, printed) = {
        let p = shared.passage.lock().unwrap_or_else(|p| p.into_inner());
        match p.as_ref() {
            Some(p) => (p.chip.clone(), p.printed_mrz.clone()),
            None => return DocumentVerdict::Refused(ReasonCode::ChipReadFailed),
        }
    };
    let lines: Vec<&str> = printed.lines().collect();
    let mrz = match document::mrz::Mrz::parse(&lines) {
        Ok(m) => m,
        Err(e) => {
            warn!(error = %e, "the scanned MRZ does not parse");
            return DocumentVerdict::Refused(ReasonCode::ChipReadFailed);
        }
    };
    let key = AccessKey::from(&mrz);
    let result = match &shared.vpcd {
        // Through pcscd + vpcd with the production PC/SC adapter; the vpcd front end delays
        // each answer by the link model.
        Some(lane) => {
            let mut lane = lane.lock().unwrap_or_else(|p| p.into_inner());
            read_via_pcscd(&mut lane, chip, &key)
        }
        None => {
            // In process, with the contactless link at 424 kbit/s and 5 ms per APDU: the read
            // takes as long as it would on a real reader (../shared/passage-timing.md).
            let mut card = sim::inprocess::InProcessCard::new(
                sim::chip::VirtualChip::new(chip),
                sim::chip::LinkModel::TYPICAL,
            );
            let r = read_document(&mut card, &key, ReaderOptions::default());
            std::thread::sleep(card.modelled_time());
            r.map_err(|e| e.to_string())
        }
    };
    let read = match result {
        Ok(r) => r,
        Err(e) => {
            warn!(error = %e, "chip read failed");
            return DocumentVerdict::Refused(ReasonCode::ChipReadFailed);
        }
    };
    let dgs: std::collections::BTreeMap<u8, Vec<u8>> = read
        .data_groups
        .iter()
        .map(|(k, v)| (*k, v.to_vec()))
        .collect();
    let mrz_key = mrz.key();
    let pa = document::pa::verify_sod(
        &document::pa::PaInput {
            sod: &read.sod,
            data_groups: &dgs,
            access_key: Some(&mrz_key),
        },
        &shared.store,
        &document::pa::PaOptions::new(SystemTime::now()),
    );
    drop(dgs);
    let chip_mrz = match read.mrz() {
        Ok(m) => m,
        Err(e) => {
            warn!(error = %e, "DG1 does not parse");
            return DocumentVerdict::Refused(ReasonCode::ChipReadFailed);
        }
    };
    if let Ok(face) = read.face() {
        if let Some(p) = shared
            .passage
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_mut()
        {
            p.chip_photo = Some(Zeroizing::new(face.image.clone()));
        }
        shared
            .link
            .set_photo(PhotoKind::Chip, Some(face.image.clone()));
    }
    let pa_outcome = if pa.passed() {
        gate::PaOutcome::Trusted
    } else if pa.has_reason("csca_not_found") && pa.reasons().len() == 1 {
        gate::PaOutcome::UntrustedCsca
    } else {
        gate::PaOutcome::Failed
    };
    // ICAO 9303-11 §6: a chip that proves either key is not a copy; one that offers a key
    // and fails to prove it is. Chip Authentication runs last, so it decides when both ran.
    let ca = read
        .chip_authentication
        .as_ref()
        .map(|v| matches!(v, document::ca::CaVerdict::Passed));
    let aa = read.active_authentication.as_ref().map(|v| v.passed());
    let chip_auth = match (ca, aa) {
        (Some(false), _) | (None, Some(false)) => gate::ChipAuthOutcome::Failed,
        (Some(true), _) | (None, Some(true)) => gate::ChipAuthOutcome::Passed,
        (None, None) => gate::ChipAuthOutcome::NotSupported,
    };
    let facts = |m: &document::mrz::Mrz| -> Option<gate::DocumentFacts> {
        Some(gate::DocumentFacts {
            kind: if m.document_code().starts_with('P') {
                gate::DocumentKind::Passport
            } else {
                gate::DocumentKind::IdentityCard
            },
            issuing_state: country(m.issuing_state())?,
            nationality: country(m.nationality())?,
            birth_date: yymmdd(m.birth_date(), true),
            expiry: yymmdd(m.expiry_date(), false)?,
            pa: pa_outcome,
            chip_auth,
            mrz_matches_dg1: m.lines() == mrz.lines(),
            pseudonym: gate::Pseudonym(
                shared
                    .pseudonyms
                    .pseudonym(m.issuing_state(), m.document_number()),
            ),
        })
    };
    match facts(&chip_mrz) {
        Some(f) => DocumentVerdict::Read(f),
        None => {
            warn!("DG1 holds a country code or date the gate cannot use");
            DocumentVerdict::Refused(ReasonCode::ChipReadFailed)
        }
    }
}

/// An MRZ country code with its fillers put back (`D` is Germany's `D<<`, ICAO 9303-3 §5).
fn country(code: &str) -> Option<gate::CountryCode> {
    gate::CountryCode::new(&format!("{code:<<3}")).ok()
}

/// An MRZ date (YYMMDD) as a civil date: birth dates lie in the past, expiry dates within
/// the next 50 years (ICAO 9303-3 leaves the century to the reader).
fn yymmdd(s: &str, birth: bool) -> Option<CivilDate> {
    if s.len() != 6 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let yy: u16 = s[0..2].parse().ok()?;
    let mm: u8 = s[2..4].parse().ok()?;
    let dd: u8 = s[4..6].parse().ok()?;
    let this_year = 2026 % 100;
    let year = if birth {
        if yy > this_year {
            1900 + yy
        } else {
            2000 + yy
        }
    } else if yy < 70 {
        2000 + yy
    } else {
        1900 + yy
    };
    CivilDate::new(year, mm, dd).ok()
}

fn face_job(shared: &Shared) -> gate::FaceVerdict {
    let Some(vision) = shared.vision.as_ref() else {
        return gate::FaceVerdict::NoFace;
    };
    let (photo, live) = {
        let p = shared.passage.lock().unwrap_or_else(|p| p.into_inner());
        match p.as_ref() {
            Some(p) => (p.chip_photo.clone(), p.live.clone()),
            None => return gate::FaceVerdict::NoFace,
        }
    };
    let Some(photo) = photo else {
        return gate::FaceVerdict::NoFace;
    };
    let mut v = vision.lock().unwrap_or_else(|p| p.into_inner());
    let VisionParts {
        pipeline,
        matcher,
        policy,
    } = &mut *v;
    let reference = match vision::decode::decode_photo(&photo)
        .and_then(|f| vision::matcher::largest_face(pipeline, &f))
    {
        Ok(Some(found)) => found.3,
        _ => return gate::FaceVerdict::NoFace,
    };
    let mut source = match vision::source::ReplaySource::from_files(&live, true) {
        Ok(s) => s,
        Err(e) => {
            warn!(error = %e, "replayed camera failed");
            return gate::FaceVerdict::NoFace;
        }
    };
    if let Some(first) = live.first() {
        if let Ok(bytes) = std::fs::read(first) {
            shared.link.set_photo(PhotoKind::Live, Some(bytes));
        }
    }
    let verdict = match vision::capture::run_capture(
        pipeline,
        &mut source,
        &reference,
        matcher,
        *policy,
        Instant::now,
        |_| {},
    ) {
        Ok(v) => v,
        Err(e) => {
            warn!(error = %e, "capture failed");
            return gate::FaceVerdict::NoFace;
        }
    };
    to_gate_face(&verdict)
}

fn to_gate_face(v: &vision::FaceVerdict) -> gate::FaceVerdict {
    use vision::Decision;
    let threshold = v.threshold;
    match (v.decision, v.score) {
        (Decision::Match, Some(score)) => gate::FaceVerdict::Match { score, threshold },
        (Decision::NoMatch, Some(score)) => gate::FaceVerdict::NoMatch { score, threshold },
        (Decision::MultipleFaces, _) => gate::FaceVerdict::MultipleFaces,
        (Decision::PoorQuality, _) => gate::FaceVerdict::PoorQuality {
            quality: 0.0,
            threshold: 1.0,
        },
        _ => gate::FaceVerdict::NoFace,
    }
}

/// Starts the simulated bank; returns the console links of its gates.
pub async fn start(
    cfg: &SimConfig,
    gate_cfg: &crate::config::Config,
    audit: Arc<Mutex<AuditLog>>,
    pseudonyms: Arc<Pseudonymizer>,
    metrics: Metrics,
    shutdown: watch::Receiver<bool>,
) -> anyhow::Result<SimBank> {
    let identities = load_identities(Path::new(&cfg.faces_dir))?;
    let pki = Arc::new(sim::factory::pki::TestPki::generate("egate-sim", "DE"));
    let mut store = document::pki::CscaStore::new();
    store.add_der_or_pem(&pki.csca.der)?;
    store.add_der_or_pem(&pki.link.der)?;
    store.add_crl(&pki.crl)?;
    let mut bank = SimBank {
        links: Vec::new(),
        drivers: Vec::new(),
        controllers: Vec::new(),
    };
    for n in 0..cfg.gates {
        let id = format!("{}-{}", gate_cfg.gate.id, n + 1);
        let map = lane_map();
        let controller = Arc::new(sim::controller::SimController::spawn(
            sim::controller::SimControllerConfig {
                map: map.clone(),
                ..Default::default()
            },
        )?);
        bank.controllers.push(controller.clone());
        let (doors, events) = hardware::door::ModbusDoorController::open(controller.path(), map)?;
        let (inputs_tx, inputs_rx) = mpsc::unbounded_channel();
        tokio::spawn(forward_events(events, inputs_tx.clone()));
        let (link, officer_rx) = LocalGate::new(GateStatus {
            id: id.clone(),
            phase: "idle".into(),
            step: String::new(),
            elapsed_ms: 0,
            lane_open: true,
            out_of_service: false,
            liveness: "not-checked".into(),
            devices: Vec::new(),
            photos_available: false,
            passages_accepted: 0,
            passages_referred: 0,
        });
        let vision = match vision_parts(gate_cfg) {
            Ok(v) => Some(Arc::new(Mutex::new(v))),
            Err(e) => {
                warn!(gate = %id, error = %e, "face pipeline unavailable: every face match will fail");
                None
            }
        };
        let vpcd = cfg.vpcd_readers.get(n).copied().and_then(vpcd_lane);
        match &vpcd {
            Some(l) => info!(gate = %id, reader = %l.reader, "chip link: pcscd + vpcd"),
            None => info!(gate = %id, "chip link: in-process virtual chip (no vpcd reader)"),
        }
        let shared = Arc::new(Shared {
            vpcd: vpcd.map(Mutex::new),
            passage: Mutex::new(None),
            inputs: inputs_tx.clone(),
            store: store.clone(),
            pseudonyms: pseudonyms.clone(),
            vision,
            link: link.clone(),
        });
        let (display_tx, _display_rx) = mpsc::unbounded_channel();
        let today = today();
        let mut gcfg = gate::GateConfig::two_step(today);
        gcfg.liveness = gate::LivenessMode::NotChecked;
        let driver = Driver {
            gate: gate::Gate::new(gcfg, Instant::now()),
            inputs: inputs_rx,
            officer: officer_rx,
            jobs: Box::new(SimJobs {
                shared: shared.clone(),
            }),
            signals: Box::new(ControllerSignals::new(Arc::new(doors), display_tx)),
            audit: audit.clone(),
            link: link.clone(),
            metrics: metrics.for_gate(&id),
            liveness: "not-checked".into(),
            audit_failed: false,
        };
        bank.drivers
            .push(tokio::spawn(driver.run(shutdown.clone())));
        tokio::spawn(lane(
            controller,
            shared,
            identities.clone(),
            pki.clone(),
            cfg.clone(),
            n as u64,
            shutdown.clone(),
        ));
        info!(gate = %id, "simulated gate started");
        bank.links.push(link);
    }
    Ok(bank)
}

/// The register map of a simulated lane: the default map, with each door guarded by the
/// zone on its outer side only. A traveller passing a door occupies the zones on both sides
/// of it, so the entry never closes on someone in the doorway, yet closes behind a traveller
/// standing in the mantrap (zone B) — which the default guard (A and B) would forbid.
fn lane_map() -> hardware::door::DoorMap {
    use hardware::door::Input as Hw;
    let mut map = hardware::door::DoorMap::default();
    map.guard.entry = vec![Hw::ZoneA];
    map.guard.exit = vec![Hw::ZoneC];
    map
}

/// A running simulated bank.
pub struct SimBank {
    /// The console links, one per gate.
    pub links: Vec<Arc<LocalGate>>,
    /// The driver loops; each returns after putting its doors in the safe state.
    pub drivers: Vec<tokio::task::JoinHandle<()>>,
    /// The simulated controllers, kept alive until the drivers have stopped.
    pub controllers: Vec<Arc<sim::controller::SimController>>,
}

impl SimBank {
    /// The simulated controllers by gate id, for the fault-injection routes.
    pub fn controls(
        &self,
    ) -> std::collections::BTreeMap<String, Arc<sim::controller::SimController>> {
        self.links
            .iter()
            .map(|l| l.id_string())
            .zip(self.controllers.iter().cloned())
            .collect()
    }
}

fn vision_parts(cfg: &crate::config::Config) -> anyhow::Result<VisionParts> {
    let vcfg = &cfg.vision;
    Ok(VisionParts {
        pipeline: vision::FacePipeline::new(vcfg)?,
        matcher: vision::Matcher::from_config(vcfg)?,
        policy: vcfg.capture,
    })
}

/// Today's civil date (UTC) from the system clock.
pub fn today() -> CivilDate {
    let days = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs() / 86_400)
        .unwrap_or(0) as i64;
    let (y, m, d) = civil_from_days(days);
    CivilDate::new(y, m, d).unwrap_or_else(|_| CivilDate::new(2026, 1, 1).expect("a valid date"))
}

/// Days since 1970-01-01 to (year, month, day) in the proleptic Gregorian calendar
/// (H. Hinnant's `civil_from_days`).
fn civil_from_days(z: i64) -> (u16, u8, u8) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u8;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y.clamp(0, 9999) as u16, m, d)
}

/// One lane's travellers: arrive at an idle gate, present their document, walk as the
/// doors let them, leave.
#[allow(clippy::too_many_arguments)]
async fn lane(
    controller: Arc<sim::controller::SimController>,
    shared: Arc<Shared>,
    identities: Vec<Identity>,
    pki: Arc<sim::factory::pki::TestPki>,
    cfg: SimConfig,
    lane_no: u64,
    mut shutdown: watch::Receiver<bool>,
) {
    use hardware::door::Input as Hw;
    use sim::traveller::{Doors, WalkTimes, Walker};
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(cfg.seed ^ (lane_no * 0x9E37));
    let mut walker: Option<Walker> = None;
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
        let phase = shared.link.status().map(|s| s.phase).unwrap_or_default();
        match walker.as_mut() {
            Some(w) => {
                if matches!(phase.as_str(), "referred" | "awaiting_officer")
                    && w.place() == sim::traveller::Place::AtEntry
                {
                    w.turn_away(now);
                }
                w.tick(now, doors);
                if w.is_gone() {
                    walker = None;
                    last_left = now;
                    // The passage is over: its personal data goes.
                    *shared.passage.lock().unwrap_or_else(|p| p.into_inner()) = None;
                }
            }
            None => {
                let due = now.duration_since(last_left).as_secs_f64() >= cfg.arrival_interval_s;
                if due && phase == "idle" {
                    let case = pick_case(&mut rng, &cfg, served);
                    served += 1;
                    match make_passage(case, &identities, &pki, &mut rng) {
                        Ok(p) => {
                            *shared.passage.lock().unwrap_or_else(|p| p.into_inner()) = Some(p);
                            walker = Some(Walker::arrive(now, WalkTimes::default()));
                            let _ = shared.inputs.send(Input::DocumentPresented);
                        }
                        Err(e) => warn!(error = %e, "could not make a simulated traveller"),
                    }
                }
            }
        }
        let z = walker.as_ref().map_or([false; 3], |w| w.zones());
        controller.set_zone(Hw::ZoneA, Some(z[0]));
        controller.set_zone(Hw::ZoneB, Some(z[1]));
        controller.set_zone(Hw::ZoneC, Some(z[2]));
    }
}

fn pick_case(rng: &mut impl Rng, cfg: &SimConfig, served: usize) -> Case {
    if !cfg.pattern.is_empty() {
        return match cfg.pattern[served % cfg.pattern.len()].as_str() {
            "impostor" => Case::Impostor,
            "forged" => Case::Forged,
            _ => Case::Genuine,
        };
    }
    let x: f64 = rng.gen();
    if x < cfg.forged_share {
        Case::Forged
    } else if x < cfg.forged_share + cfg.impostor_share {
        Case::Impostor
    } else {
        Case::Genuine
    }
}

/// Longest side of a simulated chip photo: ICAO 9303-9 portraits are a few hundred pixels
/// and typically 15–20 KB, far below a camera photo.
const PORTRAIT_MAX_SIDE: u32 = 360;

/// A camera photo made into a chip portrait: box-downscaled so its longest side is at most
/// [`PORTRAIT_MAX_SIDE`], JPEG-encoded. Returns the JPEG bytes, width and height.
fn chip_portrait(path: &Path) -> anyhow::Result<(Vec<u8>, u16, u16)> {
    let frame = vision::read_photo(path)?;
    let (w, h) = (frame.width(), frame.height());
    let k = w.max(h).div_ceil(PORTRAIT_MAX_SIDE).max(1);
    let (nw, nh) = (w / k, h / k);
    let src = frame.bgr();
    anyhow::ensure!(
        src.len() >= (w * h * 3) as usize,
        "{}: unexpected pixel layout",
        path.display()
    );
    let mut out = Zeroizing::new(vec![0u8; (nw * nh * 3) as usize]);
    for y in 0..nh {
        for x in 0..nw {
            for c in 0..3 {
                let mut sum = 0u32;
                for dy in 0..k {
                    for dx in 0..k {
                        let i = (((y * k + dy) * w + (x * k + dx)) * 3 + c) as usize;
                        sum += u32::from(src[i]);
                    }
                }
                out[((y * nw + x) * 3 + c) as usize] = (sum / (k * k)) as u8;
            }
        }
    }
    let small = vision::Frame::from_bgr(nw, nh, &out)?;
    let jpeg = vision::decode::encode_image(&small, ".jpg")?;
    Ok((jpeg, nw as u16, nh as u16))
}

fn make_passage(
    case: Case,
    ids: &[Identity],
    pki: &sim::factory::pki::TestPki,
    rng: &mut impl Rng,
) -> anyhow::Result<Passage> {
    let holder = rng.gen_range(0..ids.len());
    let other = (holder + 1 + rng.gen_range(0..ids.len() - 1)) % ids.len();
    let mut spec = sim::factory::DocumentSpec::specimen();
    spec.bio.number = format!("X{:07}", rng.gen_range(0..10_000_000u32));
    spec.bio
        .number
        .push(char::from(b'0' + rng.gen_range(0..10u8)));
    let (face, w, h) = &*ids[holder].portrait;
    spec.face = face.clone();
    spec.face_size = (*w, *h);
    spec.face_format = sim::factory::lds::ImageFormat::Jpeg;
    spec.key_seed = spec.bio.number.clone();
    if case == Case::Forged {
        spec.defect = Some(sim::factory::Defect::TamperedDg2);
    }
    let doc = sim::factory::build(&spec, pki);
    let live = match case {
        Case::Impostor => ids[other].live.clone(),
        _ => ids[holder].live.clone(),
    };
    Ok(Passage {
        chip: doc.chip,
        printed_mrz: Zeroizing::new(doc.printed_mrz),
        live,
        chip_photo: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates_from_unix_days() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(20_418), (2025, 11, 26));
        assert_eq!(civil_from_days(19_417), (2023, 3, 1));
    }

    #[test]
    fn country_codes_get_their_fillers_back() {
        assert_eq!(country("D").map(|c| c.to_string()), Some("D<<".into()));
        assert_eq!(country("UTO").map(|c| c.to_string()), Some("UTO".into()));
        assert_eq!(country("d1"), None);
    }

    #[test]
    fn mrz_dates_get_their_century() {
        assert_eq!(yymmdd("740812", true), CivilDate::new(1974, 8, 12).ok());
        assert_eq!(yymmdd("120415", true), CivilDate::new(2012, 4, 15).ok());
        assert_eq!(yymmdd("340415", false), CivilDate::new(2034, 4, 15).ok());
        assert_eq!(yymmdd("34041", false), None);
        assert_eq!(yymmdd("341345", false), None);
    }
}
