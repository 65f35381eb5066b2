//! The gate's background jobs — chip read + passive authentication, the border database step
//! (`crate::lane::borderdb_step`), face capture + match — shared by the real gate
//! (`crate::lane::devices`) and the simulated bank (`crate::simulation::bank`). Only where the
//! chip, the frames and the databases come from differs: [`ChipLink`], [`Camera`],
//! [`BorderDbCheck`] and the EES adapter.
//!
//! Jobs run on blocking threads (PC/SC and ONNX Runtime block) and hand their result back to
//! the driver loop as the matching [`Input`] with the job's ticket.
//!
//! Personal data of a passage — the scanned MRZ, the chip's DG1 and portrait — lives in its
//! [`PassageData`] in [`Passages`] and nowhere else; it is zeroized when the passage ends
//! (the driver calls [`JobRunner::passage_ended`]), and a scan the gate never took when the
//! next document is scanned. The chip read and the border database step work on the passage being
//! read (with overlap, the next traveller's), the face match on the lane's.

use std::sync::{Arc, Mutex};
use std::time::{Instant, SystemTime};

use document::reader::{AccessKey, ReadDocument};
use gate::{Input, JobKind, Ticket};
use tokio::sync::mpsc;
use tracing::{debug, info, warn};
use zeroize::Zeroizing;

use crate::lane::driver::JobRunner;
use audit::Pseudonymizer;
use console::link::{LocalGate, PhotoKind};

/// Why a chip could not be read. The texts are for the log: they carry no document data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChipError {
    /// The reader itself is unusable (no such reader, PC/SC service gone): a device fault.
    #[error("chip reader unavailable: {0}")]
    Reader(String),
    /// This document could not be read (no chip, access refused, broken answers): the
    /// traveller's problem, not the lane's.
    #[error("{0}")]
    Document(String),
}

/// Where the chip is read: a PC/SC reader, or the simulator's virtual chip.
pub trait ChipLink: Send + Sync {
    /// Reads the document on the reader, opening it with `key` (BAC or PACE, ICAO 9303-11
    /// §4), and runs AA/CA as the chip offers them.
    fn read(&self, key: &AccessKey) -> Result<ReadDocument, ChipError>;
}

impl<T: ChipLink + ?Sized> ChipLink for Arc<T> {
    fn read(&self, key: &AccessKey) -> Result<ReadDocument, ChipError> {
        (**self).read(key)
    }
}

/// Where live frames come from: a camera through OpenCV, or replayed files.
pub trait Camera: Send + Sync {
    /// A frame source for one capture attempt.
    fn frames(&self) -> Result<Box<dyn vision::source::FrameSource>, String>;
}

pub use crate::lane::borderdb_step::{BorderDbCheck, EesStep, NoBorderDb};

impl<T: Camera + ?Sized> Camera for Arc<T> {
    fn frames(&self) -> Result<Box<dyn vision::source::FrameSource>, String> {
        (**self).frames()
    }
}

pub use crate::lane::passages::{PassageData, Passages};

/// The face pipeline, matcher and capture policy of one gate.
pub struct VisionParts {
    /// Detection, quality, embedding.
    pub pipeline: vision::FacePipeline,
    /// Threshold from the target false-match rate.
    pub matcher: vision::Matcher,
    /// The capture window.
    pub policy: vision::CapturePolicy,
    /// The weak PAD models (`[vision.pad.models]`); `None` when they do not run.
    pub pad_models: Option<vision::pad::models::PadModels>,
}

impl VisionParts {
    /// Loads the models named in `[vision]`; the weak PAD models as
    /// [`crate::lane::pad::load_models`] says for `liveness`.
    pub fn load(vcfg: &vision::VisionConfig, liveness: gate::LivenessMode) -> anyhow::Result<Self> {
        use anyhow::Context;
        Ok(Self {
            pipeline: vision::FacePipeline::new(vcfg)
                .context("[vision] the face models cannot be loaded (run scripts/setup.sh)")?,
            matcher: vision::Matcher::from_config(vcfg)?,
            policy: vcfg.capture,
            pad_models: crate::lane::pad::load_models(vcfg, liveness)?,
        })
    }
}

/// Everything the jobs of one gate share.
pub struct JobContext {
    /// The passages in progress (with overlap, the lane's and the next one's).
    pub passage: Mutex<Passages>,
    /// Results go back to the driver loop here.
    pub inputs: mpsc::UnboundedSender<Input>,
    /// Trust anchors of passive authentication (reloaded while the gate runs).
    pub trust: Arc<crate::lane::trust::Trust>,
    /// What a trusted deviation list may excuse (`[dangerous] deviations_excuse_essential`).
    pub deviations: document::deviation::DeviationPolicy,
    /// Document pseudonyms for the audit trail.
    pub pseudonyms: Arc<Pseudonymizer>,
    /// The face pipeline; `None` when the models could not be loaded (every match fails).
    pub vision: Option<Mutex<VisionParts>>,
    /// The console link (photos of the passage in progress).
    pub link: Arc<LocalGate>,
    /// The chip.
    pub chip: Box<dyn ChipLink>,
    /// The camera.
    pub camera: Box<dyn Camera>,
    /// The border databases.
    pub borderdb: Box<dyn BorderDbCheck>,
    /// The sources that did not answer their last query.
    pub sources: crate::lane::borderdb_step::SourceHealth,
    /// The EES step.
    pub ees: EesStep,
    /// The audit trail, for the border database step's records (source, category, decision).
    pub audit: Option<Arc<Mutex<audit::AuditLog>>>,
    /// Devices the jobs last reported faulty (reader, camera) with why, so that only changes
    /// are sent and the record can say why.
    pub faults: Mutex<std::collections::BTreeMap<&'static str, &'static str>>,
    /// The lane's traveller screen (language, guidance, the start of capture).
    pub screen: traveller::Feed,
    /// The gate's metrics (chip-read recoveries).
    pub metrics: Option<crate::lane::metrics::GateMetrics>,
    /// Each capture's PAD verdict, from the face job to its PAD job.
    pub pad: crate::lane::pad::PadLink,
    /// The lane's PAD sensor, read with each frame of a capture.
    pub pad_sensor: Option<Arc<dyn hardware::pad_sensor::PadSensor>>,
}

impl JobContext {
    /// A document was scanned: its MRZ opens a passage's data (a scan the gate never took
    /// goes).
    pub fn begin_passage(&self, printed_mrz: Zeroizing<String>) {
        let mut p = self.passages();
        if p.begin(printed_mrz) {
            // The traveller's screen follows the lane's passage; only the language derived
            // from the issuing state leaves here.
            if let Some(state) = p.lane().and_then(|d| d.issuing_state()) {
                self.screen.issuing_state(state);
            }
        }
    }

    /// The gate started `passage` with the latest scan.
    pub fn passage_started(&self, passage: gate::PassageId) {
        self.passages().claim(passage);
    }

    /// Whether the latest scan started a passage.
    #[cfg(feature = "sim")]
    pub fn latest_scan_taken(&self) -> bool {
        self.passages().latest_claimed()
    }

    /// Whether `passage` is the lane's (the console's photos and the PAD record are its).
    pub fn is_lane(&self, passage: gate::PassageId) -> bool {
        self.passages().is_lane(passage)
    }

    /// `passage` is over: its personal data goes (zeroized on drop). If it was the lane's,
    /// the console's photos go too, and the next passage's take their place.
    pub fn passage_ended(&self, passage: gate::PassageId) {
        let mut p = self.passages();
        let ended = p.end(passage);
        if !ended.was_lane {
            return;
        }
        let next = p.lane().filter(|_| ended.next_in_lane);
        let photo = next
            .as_ref()
            .and_then(|d| d.chip_photo.as_ref().map(|i| i.to_vec()));
        if let Some(state) = next.and_then(|d| d.issuing_state()) {
            self.screen.issuing_state(state);
        }
        drop(p);
        self.link.set_photo(PhotoKind::Chip, photo);
        self.link.set_photo(PhotoKind::Live, None);
    }

    /// A scan the gate never took goes (zeroized on drop).
    pub fn drop_unclaimed(&self) {
        self.passages().drop_unclaimed();
    }

    pub(crate) fn passages(&self) -> std::sync::MutexGuard<'_, Passages> {
        self.passage.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Reports a job's device as faulty (`Some(why)`) or working again (`None`) to the gate
    /// (only changes): a reader or camera that fails while the gate runs is a device fault
    /// the officers see, not just one referral after another.
    pub(crate) fn device(&self, device: gate::Device, fault: Option<&'static str>) {
        let name = crate::lane::driver::device_name(device);
        let changed = {
            let mut f = self.faults.lock().unwrap_or_else(|p| p.into_inner());
            match fault {
                Some(why) => f.insert(name, why).is_none(),
                None => f.remove(name).is_some(),
            }
        };
        if changed {
            let e = if fault.is_some() {
                gate::SensorEvent::DeviceFault(device)
            } else {
                gate::SensorEvent::DeviceRecovered(device)
            };
            let _ = self.inputs.send(Input::Sensor(e));
        }
    }

    /// Why the jobs reported `device` faulty, while they do.
    pub fn device_fault(&self, device: gate::Device) -> Option<&'static str> {
        let f = self.faults.lock().unwrap_or_else(|p| p.into_inner());
        f.get(crate::lane::driver::device_name(device)).copied()
    }

    /// Runs `f` on the data of scan `generation` if its passage is still in progress (a late
    /// job's result is dropped, never written into another traveller's passage).
    pub(crate) fn update(&self, generation: u64, f: impl FnOnce(&mut PassageData)) -> bool {
        match self.passages().get_mut(generation) {
            Some(p) => {
                f(p);
                true
            }
            None => false,
        }
    }

    /// Whether scan `generation` is the lane's passage.
    fn in_lane(&self, generation: u64) -> bool {
        self.passages().is_lane_generation(generation)
    }
}

/// Why a camera is faulty: it delivers the same frame over and over (`vision::freeze`).
pub const CAMERA_FROZEN: &str = "frozen";

/// The [`JobRunner`] of a gate: each job on a blocking thread.
pub struct Jobs {
    /// What the jobs share.
    pub ctx: Arc<JobContext>,
}

impl JobRunner for Jobs {
    fn start(&mut self, kind: JobKind, ticket: Ticket) {
        let ctx = self.ctx.clone();
        tokio::task::spawn_blocking(move || {
            let input = match kind {
                JobKind::ChipRead => Input::DocumentVerdict {
                    ticket,
                    verdict: chip_job(&ctx),
                },
                JobKind::BorderDb => Input::BorderDbResult {
                    ticket,
                    result: crate::lane::borderdb_step::run(&ctx),
                },
                JobKind::FaceMatch => {
                    // PAD runs on the capture's own frames; its PAD job takes the verdict.
                    let capture = ctx.pad.config().map(|_| ctx.pad.begin());
                    let mut pad = None;
                    let verdict = face_job(&ctx, &mut pad);
                    if let Some(n) = capture {
                        ctx.pad.post(n, pad);
                    }
                    Input::FaceVerdict { ticket, verdict }
                }
                JobKind::Pad => Input::PadVerdict {
                    ticket,
                    verdict: crate::lane::pad::pad_job(&ctx.pad),
                },
            };
            let _ = ctx.inputs.send(input);
        });
    }

    fn cancel(&mut self, _ticket: Ticket) {
        // Jobs are short; a late result carries a stale ticket and the gate drops it.
    }

    fn passage_started(&mut self, passage: gate::PassageId) {
        self.ctx.passage_started(passage);
    }

    fn is_lane(&mut self, passage: gate::PassageId) -> bool {
        self.ctx.is_lane(passage)
    }

    fn passage_ended(&mut self, passage: gate::PassageId, outcome: &gate::PassageOutcome) {
        let accepted = *outcome == gate::PassageOutcome::Accepted;
        let entry = self
            .ctx
            .passages()
            .get_passage(passage)
            .and_then(|p| p.ees_entry.take());
        crate::lane::borderdb_step::passage_ended(&self.ctx, entry, accepted);
        self.ctx.passage_ended(passage);
    }

    fn pad_record(&mut self) -> Option<serde_json::Value> {
        self.ctx.pad.take_record()
    }

    fn deviation_record(&mut self) -> Option<serde_json::Value> {
        self.ctx.passages().lane().and_then(|p| p.deviations.take())
    }

    fn device_detail(&mut self, device: gate::Device) -> Option<&'static str> {
        self.ctx.device_fault(device)
    }
}

/// Chip read, passive authentication (ICAO 9303-11 §5.1), chip authenticity (AA §6.1 /
/// CA §6.2) and the facts the gate's policy needs.
fn chip_job(ctx: &JobContext) -> gate::DocumentVerdict {
    use gate::{DocumentVerdict, ReasonCode};
    let (generation, printed) = match ctx.passages().reading() {
        Some(p) => (p.generation, p.printed_mrz.clone()),
        None => (0, None),
    };
    let Some(printed) = printed else {
        warn!("chip read requested without a scanned MRZ");
        return DocumentVerdict::Refused(ReasonCode::ChipReadFailed);
    };
    let lines: Vec<&str> = printed.lines().collect();
    let mrz = match document::mrz::Mrz::parse(&lines) {
        Ok(m) => m,
        Err(e) => {
            // MrzError names positions and fields, never values.
            warn!(error = %e, "the scanned MRZ does not parse");
            return DocumentVerdict::Refused(ReasonCode::ChipReadFailed);
        }
    };
    let key = AccessKey::from(&mrz);
    let read = match ctx.chip.read(&key) {
        Ok(r) => {
            ctx.device(gate::Device::DocumentReader, None);
            if let Some(m) = &ctx.metrics {
                m.chip_read(&r.stats);
            }
            r
        }
        Err(e @ ChipError::Reader(_)) => {
            warn!(error = %e, "chip read failed");
            ctx.device(gate::Device::DocumentReader, Some("unavailable"));
            return DocumentVerdict::Refused(ReasonCode::ChipReadFailed);
        }
        Err(e) => {
            warn!(error = %e, "chip read failed");
            return DocumentVerdict::Refused(ReasonCode::ChipReadFailed);
        }
    };
    let checked = check_document(ctx, generation, &read, &mrz);
    match read.face() {
        Ok(face) => {
            let image = Zeroizing::new(face.image.clone());
            // The console shows the lane's passage: a waiting traveller's portrait waits.
            if ctx.update(generation, |p| p.chip_photo = Some(image)) && ctx.in_lane(generation) {
                ctx.link
                    .set_photo(PhotoKind::Chip, Some(face.image.clone()));
            }
        }
        Err(e) => warn!(error = %e, "no usable portrait in DG2"),
    }
    checked
}

/// Passive authentication of a chip read, now, against `store`. The data groups are
/// copied for the check and wiped afterwards.
#[cfg(feature = "sim")]
pub fn passive_authentication(
    read: &ReadDocument,
    mrz: &document::mrz::Mrz,
    store: &document::pki::CscaStore,
) -> document::pa::PaVerdict {
    read.verify_sod(
        Some(&mrz.key()),
        store,
        &document::pa::PaOptions::new(SystemTime::now()),
    )
}

/// The gate's words for a chip-authenticity verdict: the AA/CA outcome, and the reason
/// that refers whatever the policy says.
fn chip_facts(
    v: &document::authenticity::AuthenticityVerdict,
) -> (gate::ChipAuthOutcome, Option<gate::ReasonCode>) {
    use document::authenticity::AuthenticityOutcome as A;
    let outcome = match v.outcome {
        A::Passed => gate::ChipAuthOutcome::Passed,
        A::NotSupported => gate::ChipAuthOutcome::NotSupported,
        _ => gate::ChipAuthOutcome::Failed,
    };
    let refusal = v.reason.map(|r| {
        // Every reason of the verdict is a gate reason code (tested below); an unknown one
        // still refers.
        gate::ReasonCode::from_name(r).unwrap_or(gate::ReasonCode::ChipAuthFailed)
    });
    let refusal = refusal
        .or((outcome == gate::ChipAuthOutcome::Failed).then_some(gate::ReasonCode::ChipAuthFailed));
    (outcome, refusal)
}

fn check_document(
    ctx: &JobContext,
    generation: u64,
    read: &ReadDocument,
    mrz: &document::mrz::Mrz,
) -> gate::DocumentVerdict {
    let mut uses = Vec::new();
    let (verdict, query) = check_read(
        &ctx.trust,
        &ctx.pseudonyms,
        ctx.deviations,
        read,
        mrz,
        &mut uses,
    );
    if !uses.is_empty() {
        // Types, effects and list ids only: a deviation's record holds no personal data.
        let record = crate::lane::trust::deviation_record(&uses);
        info!(deviations = %record, "deviation list applied");
        ctx.update(generation, |p| p.deviations = Some(record));
    }
    if let Some(q) = query {
        ctx.update(generation, |p| {
            p.borderdb = Some(q.borderdb);
            p.ees = Some(q.ees);
            p.dg1 = Some(q.dg1);
        });
    }
    verdict
}

/// What the border database step asks about a document, made from DG1 (zeroized on drop).
pub struct DocumentQueries {
    /// The border databases' query: the document and, when DG1's name can be asked, the
    /// person.
    pub borderdb: borderdb::Query,
    /// The EES step's query: the document.
    pub ees: borderdb::Query,
    /// DG1 for the officer who handles a border database referral.
    pub dg1: console::link::Dg1View,
}

/// Checks a chip read against the printed MRZ: passive authentication, chip authenticity,
/// and the facts the gate's policy needs; with them, the border database queries made from
/// DG1.
/// The deviation lists applied under `policy` are left in `uses`. Shared by the lanes' chip
/// job and acceptance runs.
pub fn check_read(
    trust: &crate::lane::trust::Trust,
    pseudonyms: &Pseudonymizer,
    policy: document::deviation::DeviationPolicy,
    read: &ReadDocument,
    mrz: &document::mrz::Mrz,
    uses: &mut Vec<document::deviation::DeviationUse>,
) -> (gate::DocumentVerdict, Option<DocumentQueries>) {
    use gate::{DocumentVerdict, ReasonCode};
    let store = trust.store();
    // Passive authentication, the store's deviation lists (ICAO 9303-12 §10) and chip
    // authenticity (ICAO 9303-11 §6: the signed data say which protections the chip must
    // give; failing any of them refers, whatever the policy says).
    let document::reader::Verification {
        pa,
        chip,
        deviations,
    } = read.verify(
        Some(&mrz.key()),
        &store,
        &document::pa::PaOptions::new(SystemTime::now()),
        policy,
    );
    *uses = deviations;
    let chip_mrz = match read.mrz() {
        Ok(m) => m,
        Err(e) => {
            warn!(error = %e, "DG1 does not parse");
            return (DocumentVerdict::Refused(ReasonCode::ChipReadFailed), None);
        }
    };
    if !pa.passed() {
        // Reason codes only (e.g. dg_hash_mismatch, csca_not_found): no document data.
        debug!(reasons = ?pa.reasons(), "passive authentication did not pass");
    }
    let pa_outcome = if pa.has_reason("ds_revoked") && pa.reasons().len() == 1 {
        // ICAO 9303-12 §7.1.4: the CSCA has revoked this document signer.
        gate::PaOutcome::DsRevoked
    } else if pa.passed() {
        let stale = pa.ds.as_ref().is_some_and(|ds| {
            let country = pa.csca.as_ref().and_then(|c| c.country.as_deref());
            trust.crl_stale_refers(&store, &ds.issuer, country, SystemTime::now())
        });
        if stale {
            gate::PaOutcome::CrlStale
        } else {
            gate::PaOutcome::Trusted
        }
    } else if pa.has_reason("csca_not_found") && pa.reasons().len() == 1 {
        gate::PaOutcome::UntrustedCsca
    } else {
        gate::PaOutcome::Failed
    };
    if let Some(reason) = chip.reason {
        debug!(reason, "chip authenticity did not pass");
    }
    let (chip_auth, chip_refusal) = chip_facts(&chip);
    let m = &chip_mrz;
    let this_year = crate::lane::clock::LaneClock::default().today().year();
    let facts = (|| {
        let read = crate::lane::facts::from_mrz(m, this_year)?;
        Some(gate::DocumentFacts {
            kind: read.holder.kind,
            issuing_state: read.holder.issuing_state,
            nationality: read.holder.nationality,
            birth_date: read.holder.birth_date,
            expiry: read.expiry,
            pa: pa_outcome,
            chip_auth,
            chip_refusal,
            mrz_matches_dg1: m.lines() == mrz.lines(),
            pseudonym: gate::Pseudonym(
                pseudonyms.pseudonym(m.issuing_state(), m.document_number()),
            ),
        })
    })();
    match facts {
        Some(f) => {
            // The query comes from DG1 as passive authentication verified it, not from the
            // printed MRZ (ICAO 9303-11 §5.1: the chip's data is the signed data).
            let query = || {
                borderdb::Query::new(borderdb::QueryFields {
                    document_code: m.document_code(),
                    issuing_state: m.issuing_state(),
                    document_number: m.document_number(),
                    nationality: m.nationality(),
                })
            };
            let queries = match (query(), query()) {
                (Ok(q), Ok(ees)) => {
                    let person = borderdb::Person::new(
                        m.primary_identifier(),
                        m.secondary_identifier(),
                        f.birth_date,
                    );
                    let borderdb = match person {
                        Some(p) => q.with_person(p),
                        None => {
                            warn!("DG1's name cannot be queried: the document only");
                            q
                        }
                    };
                    Some(DocumentQueries {
                        borderdb,
                        ees,
                        dg1: crate::lane::borderdb_step::dg1_view(m),
                    })
                }
                (Err(e), _) | (_, Err(e)) => {
                    warn!(error = %e, "no border database query can be made from DG1");
                    None
                }
            };
            (DocumentVerdict::Read(f), queries)
        }
        None => {
            warn!("DG1 holds a country code or date the gate cannot use");
            (DocumentVerdict::Refused(ReasonCode::ChipReadFailed), None)
        }
    }
}

/// A frame source that keeps the first frame it hands out as a JPEG, for the officer's
/// console (the live photo beside the chip photo); dropped with the passage.
struct FirstFrame<'a> {
    inner: &'a mut dyn vision::source::FrameSource,
    jpeg: Option<Zeroizing<Vec<u8>>>,
    screen: &'a traveller::Feed,
}

impl vision::source::FrameSource for FirstFrame<'_> {
    fn next_frame(&mut self) -> vision::Result<Option<vision::Frame>> {
        let frame = self.inner.next_frame()?;
        if self.jpeg.is_none() {
            if let Some(f) = &frame {
                // Said before the frame is analysed: the screen's notice came first.
                self.screen.capture_started();
                self.jpeg = vision::decode::encode_image(f, ".jpg")
                    .ok()
                    .map(Zeroizing::new);
            }
        }
        Ok(frame)
    }
    fn describe(&self) -> String {
        self.inner.describe()
    }
}

fn face_job(ctx: &JobContext, pad: &mut Option<vision::pad::PadVerdict>) -> gate::FaceVerdict {
    let Some(vision) = ctx.vision.as_ref() else {
        return gate::FaceVerdict::NoFace;
    };
    // The face before the camera is the lane's traveller's.
    let (generation, photo) = match ctx.passages().lane() {
        Some(p) => (p.generation, p.chip_photo.clone()),
        None => (0, None),
    };
    let Some(photo) = photo else {
        warn!("face match requested without a chip photo");
        return gate::FaceVerdict::NoFace;
    };
    let mut v = vision.lock().unwrap_or_else(|p| p.into_inner());
    let VisionParts {
        pipeline,
        matcher,
        policy,
        pad_models,
    } = &mut *v;
    let reference = match vision::decode::decode_photo(&photo)
        .and_then(|f| vision::matcher::largest_face(pipeline, &f))
    {
        Ok(Some(found)) => found.3,
        Ok(None) => {
            warn!("no face found in the chip photo");
            return gate::FaceVerdict::NoFace;
        }
        Err(e) => {
            warn!(error = %e, "the chip photo cannot be decoded");
            return gate::FaceVerdict::NoFace;
        }
    };
    drop(photo);
    let mut source = match ctx.camera.frames() {
        Ok(s) => s,
        Err(e) => {
            warn!(error = %e, "camera unavailable");
            ctx.device(gate::Device::Camera, Some("cannot_open"));
            return gate::FaceVerdict::NoFace;
        }
    };
    let mut tee = FirstFrame {
        inner: source.as_mut(),
        jpeg: None,
        screen: &ctx.screen,
    };
    let plan = crate::lane::pad::PadPlan {
        config: ctx.pad.config(),
        sensor: ctx.pad_sensor.as_deref(),
        challenge: ctx.pad.config().filter(|c| c.challenge.enabled).map(|c| {
            use rand::Rng;
            let mut rng = rand::rngs::OsRng;
            vision::pad::challenge::Challenge::draw(&c.challenge, |n| rng.gen_range(0..n))
        }),
        models: pad_models.as_mut(),
    };
    let asked = plan.challenge.is_some();
    let result = crate::lane::pad::capture(
        pipeline,
        &mut tee,
        &reference,
        matcher,
        *policy,
        plan,
        Instant::now,
        |guidance| {
            if let Some(g) = guidance.first() {
                ctx.screen.guidance(g.code());
            }
        },
        |prompt| show_challenge(ctx, prompt),
    )
    .map(|c| {
        *pad = c.pad;
        if let (Some(r), Some(m)) = (&c.challenge, &ctx.metrics) {
            m.steps.challenge(r.passed, r.took);
        }
        c.face
    });
    // A frozen camera is a device fault, reported before the face verdict reaches the gate
    // (the gate then ends the passage for the fault; the verdict comes too late to count).
    // A capture that ran without freezing shows the camera works.
    match &result {
        Ok(v) if v.decision == vision::Decision::CameraFrozen => {
            warn!(reason = %v.reason, "camera frozen");
            ctx.device(gate::Device::Camera, Some(CAMERA_FROZEN));
        }
        Ok(_) => ctx.device(gate::Device::Camera, None),
        Err(_) => {}
    }
    if asked && result.is_err() {
        // The capture failed midway: no prompt stays on either screen.
        show_challenge(ctx, None);
    }
    // A frozen camera's first frame may be anyone's, the last traveller's even: it is
    // nobody's live photo.
    let frozen = matches!(&result, Ok(v) if v.decision == vision::Decision::CameraFrozen);
    let live = tee.jpeg.take().filter(|_| !frozen);
    let mut ees_reference = None;
    if let Some(jpeg) = &live {
        if ctx.in_lane(generation) {
            ctx.link.set_photo(PhotoKind::Live, Some(jpeg.to_vec()));
        }
        ctx.update(generation, |p| {
            ees_reference = p.ees_reference.clone();
            if let Some(entry) = p.ees_entry.as_mut() {
                entry.live = Some(jpeg.clone());
            }
        });
    }
    match result {
        Ok(v) => match (to_gate_face(&v), ees_reference, live) {
            // Regulation (EU) 2017/2226 Art. 23(2): the live face is verified against the
            // individual file's facial image as well as against DG2; a mismatch with either
            // is a mismatch.
            (gate::FaceVerdict::Match { .. }, Some(reference), Some(live)) => {
                ees_face(pipeline, matcher, &live, &reference)
            }
            (verdict, ..) => verdict,
        },
        Err(e) => {
            warn!(error = %e, "capture failed");
            gate::FaceVerdict::NoFace
        }
    }
}

/// The liveness challenge's prompt (or its end, `None`) on the traveller display and in
/// the officers' live view (the gate's status step, published as an event).
fn show_challenge(
    ctx: &JobContext,
    prompt: Option<(vision::pad::challenge::Action, usize, usize)>,
) {
    ctx.screen
        .challenge(prompt.map(|(a, n, of)| (a.as_str(), n, of)));
    let step = match prompt {
        Some((a, n, of)) => format!(
            "liveness challenge {n} of {of}: {}",
            a.as_str().replace('_', " ")
        ),
        None => String::new(),
    };
    let mut phase = String::new();
    ctx.link.set_status(|s| {
        s.step = step.clone();
        phase = s.phase.clone();
    });
    ctx.link
        .publish(console::link::GateEventKind::Phase { phase, step });
}

/// The live capture's first frame against the EES facial image.
fn ees_face(
    pipeline: &mut vision::FacePipeline,
    matcher: &vision::Matcher,
    live: &[u8],
    reference: &[u8],
) -> gate::FaceVerdict {
    let compared = vision::decode::decode_photo(live).and_then(|probe| {
        let reference = vision::decode::decode_photo(reference)?;
        vision::matcher::compare_images(
            pipeline,
            &probe,
            &reference,
            matcher,
            vision::matcher::MultiFace::Refuse,
        )
    });
    match compared {
        Ok(c) => to_gate_face(&c.verdict),
        Err(e) => {
            warn!(error = %e, "the EES facial image cannot be compared");
            gate::FaceVerdict::NoFace
        }
    }
}

/// The gate's words for a face verdict.
pub fn to_gate_face(v: &vision::FaceVerdict) -> gate::FaceVerdict {
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
        // Nothing was seen of the traveller: the camera's fault goes to the gate apart.
        (Decision::CameraFrozen, _) => gate::FaceVerdict::NoFace,
        _ => gate::FaceVerdict::NoFace,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_chip_authenticity_reason_is_a_gate_reason_code() {
        for r in document::authenticity::REASONS {
            assert!(gate::ReasonCode::from_name(r).is_some(), "{r}");
        }
    }

    struct DeadReader;
    impl ChipLink for DeadReader {
        fn read(&self, _key: &AccessKey) -> Result<ReadDocument, ChipError> {
            Err(ChipError::Reader("no such reader".into()))
        }
    }
    struct NoCamera;
    impl Camera for NoCamera {
        fn frames(&self) -> Result<Box<dyn vision::source::FrameSource>, String> {
            Err("cannot open".into())
        }
    }

    fn context(chip: Box<dyn ChipLink>) -> (JobContext, mpsc::UnboundedReceiver<Input>) {
        let (tx, rx) = mpsc::unbounded_channel();
        let (link, _officer) = LocalGate::new(console::link::GateStatus::idle("t", "not-checked"));
        let ctx = JobContext {
            passage: Mutex::new(Passages::default()),
            inputs: tx,
            trust: crate::lane::trust::Trust::fixed(document::pki::CscaStore::new()),
            deviations: Default::default(),
            pseudonyms: Arc::new(Pseudonymizer::from_key(&[7; 32])),
            vision: None,
            link,
            chip,
            camera: Box::new(NoCamera),
            borderdb: Box::new(NoBorderDb),
            sources: Default::default(),
            ees: EesStep::off(),
            audit: None,
            faults: Default::default(),
            screen: traveller::Screens::new(traveller::Settings::built_in("1")).lane("t"),
            metrics: None,
            pad: crate::lane::pad::PadLink::new(None, std::time::Duration::ZERO),
            pad_sensor: None,
        };
        (ctx, rx)
    }

    const TD3: &str = "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL898902C36UTO7408122F1204159ZE184226B<<<<<10";

    #[test]
    fn a_dead_reader_is_one_device_fault_and_the_document_is_refused() {
        let (ctx, mut rx) = context(Box::new(DeadReader));
        for _ in 0..2 {
            ctx.begin_passage(Zeroizing::new(TD3.into()));
            assert_eq!(
                chip_job(&ctx),
                gate::DocumentVerdict::Refused(gate::ReasonCode::ChipReadFailed)
            );
        }
        // Reported once, not at every read.
        assert_eq!(
            rx.try_recv().ok(),
            Some(Input::Sensor(gate::SensorEvent::DeviceFault(
                gate::Device::DocumentReader
            )))
        );
        assert!(rx.try_recv().is_err());
    }

    /// A virtual passport of `sim/profiles`, read in process by the production reader.
    #[cfg(feature = "sim")]
    struct VirtualPassport(sim::chip::ChipSpec);

    #[cfg(feature = "sim")]
    impl ChipLink for VirtualPassport {
        fn read(&self, key: &AccessKey) -> Result<ReadDocument, ChipError> {
            let card = sim::inprocess::InProcessCard::new(
                sim::chip::VirtualChip::new(self.0.clone()),
                sim::chip::LinkModel::INSTANT,
            );
            document::reader::read_document(card, key, Default::default())
                .map_err(|e| ChipError::Document(e.to_string()))
        }
    }

    /// The chip job on a profile: its verdict and the metrics text afterwards.
    #[cfg(feature = "sim")]
    fn chip_job_on(profile: &str) -> (gate::DocumentVerdict, String) {
        use prometheus::Encoder;
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../sim/profiles")
            .join(profile);
        let p = sim::factory::profile::Profile::load(&path).unwrap();
        let pki = sim::factory::pki::TestPki::generate(&p.pki_seed, &p.pki_country);
        let doc = sim::factory::build(&p.document, &pki);
        let (mut ctx, _rx) = context(Box::new(VirtualPassport(doc.chip)));
        let csca = document::pki::Certificate::from_der(&pki.csca.der).unwrap();
        let mut store = document::pki::CscaStore::new();
        store.add_certificate(csca);
        store.add_crl(&pki.crl).unwrap();
        ctx.trust = crate::lane::trust::Trust::fixed(store);
        let registry = prometheus::Registry::new();
        ctx.metrics = Some(
            crate::lane::metrics::Metrics::register(&registry)
                .unwrap()
                .for_gate("g"),
        );
        ctx.begin_passage(Zeroizing::new(doc.printed_mrz.clone()));
        let verdict = chip_job(&ctx);
        let mut text = Vec::new();
        prometheus::TextEncoder::new()
            .encode(&registry.gather(), &mut text)
            .unwrap();
        (verdict, String::from_utf8(text).unwrap())
    }

    #[cfg(feature = "sim")]
    #[test]
    fn a_chip_that_ends_its_session_is_read_and_its_recoveries_counted() {
        let (verdict, metrics) = chip_job_on("sm-ends-on-plain-status.toml");
        let gate::DocumentVerdict::Read(facts) = verdict else {
            panic!("{verdict:?}");
        };
        assert_eq!(facts.chip_auth, gate::ChipAuthOutcome::Passed);
        assert_eq!(facts.chip_refusal, None);
        assert_eq!(facts.pa, gate::PaOutcome::Trusted);
        assert!(
            metrics.contains("egate_chip_read_recoveries_total{gate=\"g\",status=\"6700\"} 2"),
            "{metrics}"
        );
    }

    #[cfg(feature = "sim")]
    #[test]
    fn a_clone_is_read_and_refused_with_its_reason() {
        let (verdict, _) = chip_job_on("bad/clone-aa-signature-wrong.toml");
        let gate::DocumentVerdict::Read(facts) = verdict else {
            panic!("{verdict:?}");
        };
        assert_eq!(facts.chip_auth, gate::ChipAuthOutcome::Failed);
        assert_eq!(
            facts.chip_refusal,
            Some(gate::ReasonCode::ChipAuthInconsistent)
        );
    }

    #[test]
    fn a_challenge_prompt_reaches_the_traveller_screen_and_the_officers_live_view() {
        use console::link::{GateEventKind, GateLink};
        use vision::pad::challenge::Action;
        let (ctx, _rx) = context(Box::new(DeadReader));
        let (_, mut events) = ctx.link.subscribe_from_start();
        ctx.screen.message(gate::MessageCode::LookAtCamera);
        show_challenge(&ctx, Some((Action::TurnLeft, 1, 2)));
        assert_eq!(ctx.screen.current().challenge, Some(("turn_left", [1, 2])));
        let status = ctx.link.status().unwrap();
        assert_eq!(status.step, "liveness challenge 1 of 2: turn left");
        let ev = events.try_recv().unwrap();
        assert_eq!(
            ev.kind,
            GateEventKind::Phase {
                phase: status.phase.clone(),
                step: "liveness challenge 1 of 2: turn left".into()
            }
        );
        // Over: the prompt goes from both.
        show_challenge(&ctx, None);
        assert_eq!(ctx.screen.current().challenge, None);
        assert_eq!(ctx.link.status().unwrap().step, "");
    }

    #[test]
    fn a_camera_that_cannot_open_is_a_device_fault() {
        let (ctx, mut rx) = context(Box::new(DeadReader));
        ctx.device(gate::Device::Camera, Some("cannot_open"));
        assert_eq!(
            rx.try_recv().ok(),
            Some(Input::Sensor(gate::SensorEvent::DeviceFault(
                gate::Device::Camera
            )))
        );
        // Found frozen while at fault: the why changes, the gate is not told twice.
        ctx.device(gate::Device::Camera, Some(CAMERA_FROZEN));
        assert!(rx.try_recv().is_err());
        assert_eq!(ctx.device_fault(gate::Device::Camera), Some(CAMERA_FROZEN));
        ctx.device(gate::Device::Camera, None);
        assert_eq!(ctx.device_fault(gate::Device::Camera), None);
        assert_eq!(
            rx.try_recv().ok(),
            Some(Input::Sensor(gate::SensorEvent::DeviceRecovered(
                gate::Device::Camera
            )))
        );
    }
}
