//! The gate's background jobs — chip read + passive authentication, the border database step
//! (`crate::lane::borderdb_step`), face capture + match — shared by the real gate
//! (`crate::lane::devices`) and the simulated bank (`crate::simulation::bank`). Only where the
//! chip, the frames and the databases come from differs: [`ChipLink`], [`Camera`],
//! [`BorderDbCheck`] and the EES adapter.
//!
//! Jobs run on blocking threads (PC/SC and ONNX Runtime block) and hand their result back to
//! the driver loop as the matching [`Input`] with the job's ticket.
//!
//! Personal data of one passage — the scanned MRZ, the chip's DG1 and portrait — lives in
//! [`PassageData`] and nowhere else; it is zeroized when the passage ends (the driver calls
//! [`JobRunner::passage_ended`]) or when the next document is scanned.

use std::sync::{Arc, Mutex};
use std::time::{Instant, SystemTime};

use document::reader::{AccessKey, ReadDocument};
use gate::{CivilDate, Input, JobKind, Ticket};
use tokio::sync::mpsc;
use tracing::{debug, warn};
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

/// One passage's personal data, between its jobs.
#[derive(Default)]
pub struct PassageData {
    /// Which passage this is: a job started for an earlier one must not write here.
    pub generation: u64,
    /// The printed MRZ as the scanner read it (lines separated by `\n`).
    pub printed_mrz: Option<Zeroizing<String>>,
    /// The chip portrait (DG2 image), once read.
    pub chip_photo: Option<Zeroizing<Vec<u8>>>,
    /// The border database query, once the chip was read (asked once, then dropped).
    pub borderdb: Option<borderdb::Query>,
    /// The EES step's query (the same document), once the chip was read.
    pub ees: Option<borderdb::Query>,
    /// DG1, for the officer who handles a border database referral (moved into the
    /// referral, or dropped with the passage).
    pub dg1: Option<console::link::Dg1View>,
    /// The EES individual file's facial image, when the record has one.
    pub ees_reference: Option<Zeroizing<Vec<u8>>>,
}

/// The face pipeline, matcher and capture policy of one gate.
pub struct VisionParts {
    /// Detection, quality, embedding.
    pub pipeline: vision::FacePipeline,
    /// Threshold from the target false-match rate.
    pub matcher: vision::Matcher,
    /// The capture window.
    pub policy: vision::CapturePolicy,
}

impl VisionParts {
    /// Loads the models named in `[vision]`.
    pub fn load(vcfg: &vision::VisionConfig) -> anyhow::Result<Self> {
        Ok(Self {
            pipeline: vision::FacePipeline::new(vcfg)?,
            matcher: vision::Matcher::from_config(vcfg)?,
            policy: vcfg.capture,
        })
    }
}

/// Everything the jobs of one gate share.
pub struct JobContext {
    /// The passage in progress.
    pub passage: Mutex<PassageData>,
    /// Results go back to the driver loop here.
    pub inputs: mpsc::UnboundedSender<Input>,
    /// Trust anchors of passive authentication (reloaded while the gate runs).
    pub trust: Arc<crate::lane::trust::Trust>,
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
    /// The EES entry record to create if the passage in progress is accepted.
    pub ees_pending: Mutex<Option<crate::lane::borderdb_step::PendingEntry>>,
    /// The audit trail, for the border database step's records (source, category, decision).
    pub audit: Option<Arc<Mutex<audit::AuditLog>>>,
    /// Devices the jobs last reported faulty (reader, camera), so that only changes are sent.
    pub faults: Mutex<std::collections::BTreeSet<&'static str>>,
    /// The lane's traveller screen (language, guidance, the start of capture).
    pub screen: traveller::Feed,
    /// The gate's metrics (chip-read recoveries).
    pub metrics: Option<crate::lane::metrics::GateMetrics>,
    /// Each capture's PAD verdict, from the face job to its PAD job.
    pub pad: crate::lane::pad::PadLink,
}

impl JobContext {
    /// A new passage: its scanned MRZ replaces whatever the last one left.
    pub fn begin_passage(&self, printed_mrz: Zeroizing<String>) {
        // Doc 9303-4 §4.2.2, -5 §4.2.2, -6 §4.2.2: the issuing state is characters 3–5 of
        // the first line in every format. Only the language derived from it leaves here.
        if let Some(state) = printed_mrz.get(2..5) {
            self.screen.issuing_state(state);
        }
        let mut p = self.passage.lock().unwrap_or_else(|p| p.into_inner());
        *p = PassageData {
            generation: p.generation + 1,
            printed_mrz: Some(printed_mrz),
            ..Default::default()
        };
    }

    /// The passage is over: its personal data goes (zeroized on drop).
    pub fn end_passage(&self) {
        {
            let mut p = self.passage.lock().unwrap_or_else(|p| p.into_inner());
            *p = PassageData {
                generation: p.generation + 1,
                ..Default::default()
            };
        }
        self.link.set_photo(PhotoKind::Chip, None);
        self.link.set_photo(PhotoKind::Live, None);
    }

    /// Reports a job's device as faulty or working again to the gate (only changes): a
    /// reader or camera that fails while the gate runs is a device fault the officers see,
    /// not just one referral after another.
    fn device(&self, device: gate::Device, faulty: bool) {
        let name = match device {
            gate::Device::DocumentReader => "reader",
            gate::Device::Camera => "camera",
            _ => "other",
        };
        let changed = {
            let mut f = self.faults.lock().unwrap_or_else(|p| p.into_inner());
            if faulty {
                f.insert(name)
            } else {
                f.remove(name)
            }
        };
        if changed {
            let e = if faulty {
                gate::SensorEvent::DeviceFault(device)
            } else {
                gate::SensorEvent::DeviceRecovered(device)
            };
            let _ = self.inputs.send(Input::Sensor(e));
        }
    }

    /// Runs `f` on the passage data if it still belongs to passage `generation` (a late
    /// job's result is dropped, never written into the next traveller's passage).
    pub(crate) fn update(&self, generation: u64, f: impl FnOnce(&mut PassageData)) -> bool {
        let mut p = self.passage.lock().unwrap_or_else(|p| p.into_inner());
        if p.generation == generation {
            f(&mut p);
            true
        } else {
            false
        }
    }
}

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

    fn passage_ended(&mut self, outcome: &gate::PassageOutcome) {
        let accepted = *outcome == gate::PassageOutcome::Accepted;
        crate::lane::borderdb_step::passage_ended(&self.ctx, accepted);
        self.ctx.end_passage();
    }

    fn pad_record(&mut self) -> Option<serde_json::Value> {
        self.ctx.pad.take_record()
    }
}

/// Chip read, passive authentication (ICAO 9303-11 §5.1), chip authenticity (AA §6.1 /
/// CA §6.2) and the facts the gate's policy needs.
fn chip_job(ctx: &JobContext) -> gate::DocumentVerdict {
    use gate::{DocumentVerdict, ReasonCode};
    let (generation, printed) = {
        let p = ctx.passage.lock().unwrap_or_else(|p| p.into_inner());
        (p.generation, p.printed_mrz.clone())
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
            ctx.device(gate::Device::DocumentReader, false);
            if let Some(m) = &ctx.metrics {
                m.chip_read(&r.stats);
            }
            r
        }
        Err(e @ ChipError::Reader(_)) => {
            warn!(error = %e, "chip read failed");
            ctx.device(gate::Device::DocumentReader, true);
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
            if ctx.update(generation, |p| p.chip_photo = Some(image)) {
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

/// Chip authenticity of a chip read (document::authenticity), now, against `store`.
pub fn chip_authenticity(
    read: &ReadDocument,
    pa: &document::pa::PaVerdict,
    store: &document::pki::CscaStore,
) -> document::authenticity::AuthenticityVerdict {
    read.verify_chip(pa, store, &document::pa::PaOptions::new(SystemTime::now()))
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
    use gate::{DocumentVerdict, ReasonCode};
    let store = ctx.trust.store();
    let pa = passive_authentication(read, mrz, &store);
    let chip_mrz = match read.mrz() {
        Ok(m) => m,
        Err(e) => {
            warn!(error = %e, "DG1 does not parse");
            return DocumentVerdict::Refused(ReasonCode::ChipReadFailed);
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
            ctx.trust
                .crl_stale_refers(&store, &ds.issuer, country, SystemTime::now())
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
    // ICAO 9303-11 §6: the signed data (EF.SOD's list, EF.CardSecurity) say which
    // protections the chip must give; failing any of them refers, whatever the policy says.
    let chip = chip_authenticity(read, &pa, &store);
    if let Some(reason) = chip.reason {
        debug!(reason, "chip authenticity did not pass");
    }
    let (chip_auth, chip_refusal) = chip_facts(&chip);
    let m = &chip_mrz;
    let facts = (|| {
        Some(gate::DocumentFacts {
            kind: document_kind(m.document_code()),
            issuing_state: country(m.issuing_state())?,
            nationality: country(m.nationality())?,
            birth_date: yymmdd(m.birth_date(), true),
            expiry: yymmdd(m.expiry_date(), false)?,
            pa: pa_outcome,
            chip_auth,
            chip_refusal,
            mrz_matches_dg1: m.lines() == mrz.lines(),
            pseudonym: gate::Pseudonym(
                ctx.pseudonyms
                    .pseudonym(m.issuing_state(), m.document_number()),
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
            let person = || {
                borderdb::Person::new(
                    m.primary_identifier(),
                    m.secondary_identifier(),
                    f.birth_date,
                )
            };
            match (query(), query()) {
                (Ok(q), Ok(ees)) => {
                    let q = match person() {
                        Some(p) => q.with_person(p),
                        None => {
                            warn!("DG1's name cannot be queried: the document only");
                            q
                        }
                    };
                    let dg1 = crate::lane::borderdb_step::dg1_view(m);
                    ctx.update(generation, |p| {
                        p.borderdb = Some(q);
                        p.ees = Some(ees);
                        p.dg1 = Some(dg1);
                    });
                }
                (Err(e), _) | (_, Err(e)) => {
                    warn!(error = %e, "no border database query can be made from DG1")
                }
            }
            DocumentVerdict::Read(f)
        }
        None => {
            warn!("DG1 holds a country code or date the gate cannot use");
            DocumentVerdict::Refused(ReasonCode::ChipReadFailed)
        }
    }
}

/// The kind of document from its MRZ document code (ICAO 9303-4 §4.2.2 and 9303-5 §4.2.2:
/// the first letter is the type, the second is at the issuer's discretion; `R` as second
/// letter marks a residence permit in EU practice, Council Regulation 1030/2002 as amended).
fn document_kind(code: &str) -> gate::DocumentKind {
    use gate::DocumentKind as K;
    let mut c = code.chars();
    match (c.next(), c.next()) {
        (Some('P'), _) => K::Passport,
        (Some('I' | 'A' | 'C'), Some('R')) => K::ResidencePermit,
        // Crew member certificates (`AC`) are not identity cards.
        (Some('A'), Some('C')) => K::Other,
        (Some('I'), _) => K::IdentityCard,
        (Some('A' | 'C'), _) => K::ResidencePermit,
        _ => K::Other,
    }
}

/// An MRZ country code with its fillers put back (`D` is Germany's `D<<`, ICAO 9303-3 §5).
fn country(code: &str) -> Option<gate::CountryCode> {
    gate::CountryCode::new(&format!("{code:<<3}")).ok()
}

/// An MRZ date (YYMMDD) as a civil date, its century as of the lane clock's year.
fn yymmdd(s: &str, birth: bool) -> Option<CivilDate> {
    use document::mrz::DateField;
    let field = if birth {
        DateField::Birth
    } else {
        DateField::Expiry
    };
    let this_year = crate::lane::clock::LaneClock::default().today().year();
    let (year, month, day) = document::mrz::mrz_date(s, field, this_year)?;
    CivilDate::new(year, month, day).ok()
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
    let (generation, photo) = {
        let p = ctx.passage.lock().unwrap_or_else(|p| p.into_inner());
        (p.generation, p.chip_photo.clone())
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
        Ok(s) => {
            ctx.device(gate::Device::Camera, false);
            s
        }
        Err(e) => {
            warn!(error = %e, "camera unavailable");
            ctx.device(gate::Device::Camera, true);
            return gate::FaceVerdict::NoFace;
        }
    };
    let mut tee = FirstFrame {
        inner: source.as_mut(),
        jpeg: None,
        screen: &ctx.screen,
    };
    let result = crate::lane::pad::capture(
        pipeline,
        &mut tee,
        &reference,
        matcher,
        *policy,
        ctx.pad.config(),
        Instant::now,
        |guidance| {
            if let Some(g) = guidance.first() {
                ctx.screen.guidance(g.code());
            }
        },
    )
    .map(|(face, p)| {
        *pad = p;
        face
    });
    let live = tee.jpeg.take();
    let mut ees_reference = None;
    if let Some(jpeg) = &live {
        let kept = ctx.update(generation, |p| ees_reference = p.ees_reference.clone());
        if kept {
            ctx.link.set_photo(PhotoKind::Live, Some(jpeg.to_vec()));
            if let Some(entry) = ctx
                .ees_pending
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .as_mut()
            {
                entry.live = Some(jpeg.clone());
            }
        }
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

#[cfg(test)]
mod tests;
