//! The lane's own checks for acceptance runs (`egate sim run`, `egate sim suite`): the chip
//! read's passive authentication, chip authenticity and facts (`lane::jobs::check_read`),
//! the real borderdb code over the simulator's list, and the face job's capture loop with
//! PAD on the same frames (`lane::pad::capture`) on the configured ONNX models — the
//! functions a running lane uses, called by the virtual-time engine of the `acceptance`
//! crate. Only the clock differs: the capture loop gets a virtual clock that advances one
//! frame interval per frame, so a capture's length never depends on the CPU.

use std::time::{Duration, Instant};

use acceptance::checks::{Checks, DocumentCheck, FaceCheck};
use document::reader::{read_document, AccessKey, ReaderOptions, Transport};
use zeroize::Zeroizing;

use crate::config::Config;
use crate::lane::jobs::{self, BorderDbCheck, VisionParts};
use crate::lane::trust::Trust;

/// The checks of one acceptance run.
pub struct LaneChecks {
    cfg: Config,
    trust: std::sync::Arc<Trust>,
    pseudonyms: audit::Pseudonymizer,
    borderdb: borderdb::BorderDb,
    vision: Option<VisionParts>,
    vision_error: Option<String>,
    _dir: tempfile::TempDir,
}

/// Seconds between two camera frames in the capture loop's virtual clock (15 fps).
const FRAME_INTERVAL: Duration = Duration::from_micros(66_667);

impl LaneChecks {
    /// The checks for `cfg` (its `[vision]` models and target FMR, `[gate]`, `[policy]`),
    /// trusting the test PKI `pki`, with the simulator's borderdb.
    pub fn new(cfg: Config, pki: &sim::factory::pki::TestPki) -> anyhow::Result<Self> {
        let mut store = document::pki::CscaStore::new();
        store.add_der_or_pem(&pki.csca.der)?;
        store.add_der_or_pem(&pki.link.der)?;
        store.add_crl(&pki.crl)?;
        // `[pki]` adds to the test PKI, as in the simulated bank.
        let (trust, _notes) =
            Trust::load(&cfg.pki, Some(store)).map_err(|e| anyhow::anyhow!("[pki] {e}"))?;
        let dir = tempfile::tempdir()?;
        let file = dir.path().join("sim-borderdb.txt");
        let (state, number) = acceptance::faces::LISTED_DOCUMENT;
        std::fs::write(
            &file,
            format!("# The simulator's borderdb: the document of every \"borderdb_hit\" traveller.\n{state} {number}\n"),
        )?;
        let borderdb = borderdb::BorderDb::new(&borderdb::BorderDbConfig {
            file,
            ..Default::default()
        })
        .map_err(|e| anyhow::anyhow!("[borderdb] {e}"))?;
        let (vision, vision_error) = match VisionParts::load(&cfg.vision, cfg.gate.liveness) {
            Ok(v) => (Some(v), None),
            Err(e) => (None, Some(e.to_string())),
        };
        Ok(Self {
            cfg,
            trust,
            // A fixed key: the simulator's documents are fabricated, and the reports show
            // no pseudonym.
            pseudonyms: audit::Pseudonymizer::from_key(&[0x5a; 32]),
            borderdb,
            vision,
            vision_error,
            _dir: dir,
        })
    }

    /// Why the face models did not load, if they did not.
    pub fn vision_error(&self) -> Option<&str> {
        self.vision_error.as_deref()
    }
}

impl Checks for LaneChecks {
    fn document(&mut self, card: &mut dyn Transport, printed_mrz: &str) -> DocumentCheck {
        let refused = |r| DocumentCheck {
            verdict: gate::DocumentVerdict::Refused(r),
            borderdb: gate::BorderDbResult::Unavailable,
            portrait: None,
        };
        let lines: Vec<&str> = printed_mrz.lines().collect();
        let Ok(mrz) = document::mrz::Mrz::parse(&lines) else {
            return refused(gate::ReasonCode::ChipReadFailed);
        };
        let key = AccessKey::from(&mrz);
        let Ok(read) = read_document(card, &key, ReaderOptions::default()) else {
            return refused(gate::ReasonCode::ChipReadFailed);
        };
        let (verdict, query) = jobs::check_read(
            &self.trust,
            &self.pseudonyms,
            document::deviation::DeviationPolicy::default(),
            &read,
            &mrz,
            &mut Vec::new(),
        );
        let borderdb = match query {
            // The document and the person, as a lane asks; no EES step in acceptance runs.
            Some(q) => match BorderDbCheck::check(&self.borderdb, &q.borderdb).answer {
                borderdb::Answer::Clear => gate::BorderDbResult::Clear,
                borderdb::Answer::Hit(_) => gate::BorderDbResult::Hit,
                borderdb::Answer::Unavailable { .. } => gate::BorderDbResult::Unavailable,
            },
            None => gate::BorderDbResult::Unavailable,
        };
        let portrait = read.face().ok().map(|f| Zeroizing::new(f.image.clone()));
        DocumentCheck {
            verdict,
            borderdb,
            portrait,
        }
    }

    fn face(&mut self, portrait: &[u8], frames: &[vision::Frame], liveness: bool) -> FaceCheck {
        let none = FaceCheck {
            face: gate::FaceVerdict::NoFace,
            pad: gate::PadVerdict::Inconclusive,
            species: None,
            camera_frozen: false,
        };
        let Some(v) = self.vision.as_mut() else {
            return none;
        };
        let VisionParts {
            pipeline,
            matcher,
            policy,
            pad_models,
        } = v;
        let reference = match vision::decode::decode_photo(portrait)
            .and_then(|f| vision::matcher::largest_face(pipeline, &f))
        {
            Ok(Some(found)) => found.3,
            _ => return none,
        };
        let Ok(copies) = frames
            .iter()
            .map(vision::Frame::try_clone)
            .collect::<Result<Vec<_>, _>>()
        else {
            return none;
        };
        let mut source = vision::source::ReplaySource::new(copies, true);
        let pad_config = liveness.then_some(self.cfg.vision.pad);
        let t0 = Instant::now();
        let mut tick = 0u32;
        let clock = || {
            tick += 1;
            t0 + FRAME_INTERVAL * tick
        };
        match crate::lane::pad::capture(
            pipeline,
            &mut source,
            &reference,
            matcher,
            *policy,
            // The acceptance engine's presentations are recorded clips: no challenge is
            // asked of them.
            crate::lane::pad::PadPlan {
                config: pad_config,
                models: pad_models.as_mut(),
                ..Default::default()
            },
            clock,
            |_| {},
            |_| {},
        ) {
            Ok(crate::lane::pad::Captured { face, pad, .. }) => FaceCheck {
                camera_frozen: face.decision == vision::Decision::CameraFrozen,
                face: jobs::to_gate_face(&face),
                pad: match &pad {
                    Some(p) => crate::lane::pad::to_gate_pad(p),
                    None if liveness => gate::PadVerdict::Inconclusive,
                    None => gate::PadVerdict::NotChecked,
                },
                species: pad.and_then(|p| match p.decision {
                    vision::pad::PadDecision::Attack(s) => Some(s.as_str().to_string()),
                    _ => None,
                }),
            },
            Err(_) => none,
        }
    }

    fn detector(&mut self) -> Option<&mut vision::FacePipeline> {
        self.vision.as_mut().map(|v| &mut v.pipeline)
    }

    fn gate_config(&self, today: gate::CivilDate) -> gate::GateConfig {
        self.cfg.gate_config(today)
    }

    fn describe(&self) -> Vec<(String, String)> {
        let v = &self.cfg.vision;
        let mut out = vec![
            (
                "checks".into(),
                "egate lane jobs: check_read (PA, chip authenticity), borderdb file, capture + PAD"
                    .into(),
            ),
            ("vision.assets".into(), v.assets_dir().display().to_string()),
            ("vision.yunet".into(), v.yunet.clone()),
            ("vision.sface".into(), v.sface.clone()),
            ("vision.target_fmr".into(), v.target_fmr.to_string()),
        ];
        if let Some(p) = &self.vision {
            out.push((
                "vision.threshold".into(),
                format!("{:.4}", p.matcher.threshold()),
            ));
        }
        out.push((
            "pki".into(),
            "the simulator's test PKI \"egate-accept\" (DE)".into(),
        ));
        out
    }
}
