//! The PAD job (presentation attack detection) and the capture loop it shares with the face
//! match.
//!
//! PAD runs on the very frames the matcher sees: [`capture`] is the face job's capture loop,
//! feeding each frame to the matcher's [`vision::CaptureSession`] and to a
//! [`vision::pad::PadSession`] under one frame id. The gate starts a PAD job beside each face
//! job ([`gate::Command::StartPad`] right after its `StartFaceMatch`); the n-th PAD job takes
//! the n-th capture's PAD verdict from [`PadLink`] and hands it to the gate with its own
//! ticket. The verdict's deciding signal goes into the passage record.
//!
//! With `[vision.pad.challenge] enabled`, the face job draws a challenge at the start of
//! each capture and [`capture`] asks it on the same frames: each prompt goes to the
//! traveller display and the officers' live view as it is asked, and the challenge's signal
//! fuses with the others (`vision::pad::challenge`).

use std::collections::BTreeMap;
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tracing::{info, warn};
use vision::pad::challenge::{Action, Challenge, ChallengeSession};
use vision::pad::models::PadModels;
use vision::pad::{PadConfig, PadDecision, PadSession, PadVerdict, Signal};

/// Hands each capture's PAD verdict from the face job to its PAD job.
pub struct PadLink {
    /// `None` when liveness is not checked: the face job then runs no PAD.
    config: Option<PadConfig>,
    /// The capture window: how long a PAD job waits for its capture, plus a margin.
    window: Duration,
    state: Mutex<LinkState>,
    ready: Condvar,
}

#[derive(Default)]
struct LinkState {
    /// Captures begun (face jobs with PAD).
    begun: u64,
    /// PAD jobs started.
    claimed: u64,
    /// The last capture whose PAD job gave up waiting.
    abandoned: u64,
    /// Finished captures' verdicts by capture number (`None`: PAD could not run).
    results: BTreeMap<u64, Option<PadVerdict>>,
    /// What the passage record says about PAD (the last attempt's verdict).
    record: Option<Value>,
}

impl PadLink {
    /// A link; `config` is `None` when liveness is configured not checked; `window` is the
    /// capture window.
    pub fn new(config: Option<PadConfig>, window: Duration) -> Self {
        Self {
            config,
            window,
            state: Mutex::new(LinkState::default()),
            ready: Condvar::new(),
        }
    }

    /// The PAD thresholds, when PAD runs.
    pub fn config(&self) -> Option<PadConfig> {
        self.config
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, LinkState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A face job with PAD begins a capture: its number.
    pub fn begin(&self) -> u64 {
        let mut s = self.lock();
        s.begun += 1;
        s.begun
    }

    /// The capture `n` is over: its PAD verdict (`None`: PAD could not run). Only the
    /// first post of a capture counts.
    pub fn post(&self, n: u64, verdict: Option<PadVerdict>) {
        let mut s = self.lock();
        // A capture whose PAD job already gave up waiting is not kept.
        if n > s.abandoned {
            s.results.entry(n).or_insert(verdict);
        }
        self.ready.notify_all();
    }

    /// The PAD job: waits up to `wait` for its capture's verdict. `None` when none came in
    /// time; `Some(None)` when the capture ended without PAD (no frames to judge).
    pub fn take(&self, wait: Duration) -> Option<Option<PadVerdict>> {
        let deadline = Instant::now() + wait;
        let mut s = self.lock();
        s.claimed += 1;
        let n = s.claimed;
        loop {
            if let Some(v) = s.results.remove(&n) {
                s.results.retain(|&k, _| k > n);
                return Some(v);
            }
            let now = Instant::now();
            if now >= deadline {
                s.abandoned = s.abandoned.max(n);
                warn!(capture = n, "no PAD verdict from the capture in time");
                return None;
            }
            s = self
                .ready
                .wait_timeout(s, deadline - now)
                .map(|(g, _)| g)
                .unwrap_or_else(|p| p.into_inner().0);
        }
    }

    /// Remembers what the passage record says about PAD.
    fn set_record(&self, record: Value) {
        self.lock().record = Some(record);
    }

    /// What the passage record says about PAD, once (the passage is over).
    pub fn take_record(&self) -> Option<Value> {
        self.lock().record.take()
    }
}

/// The PAD verdict as the passage record and the log carry it: decision, species, deciding
/// signal, score and the number of frames. No image data.
pub fn record(v: &PadVerdict) -> Value {
    let (decision, species) = match v.decision {
        PadDecision::Live => ("live", None),
        PadDecision::Attack(s) => ("attack", Some(s.as_str())),
        PadDecision::Inconclusive => ("inconclusive", None),
    };
    let mut r = json!({
        "decision": decision,
        "species": species,
        "signal": v.deciding.as_str(),
        "score": v.score,
        "frames": v.frames.len(),
    });
    // With a PAD sensor: what it concluded, beside the deciding signal.
    if let Some(s) = v.signals.iter().find(|s| s.signal == Signal::Sensor) {
        r["sensor"] = decision_word(s.decision).into();
    }
    // With a challenge: whether it was followed, beside the deciding signal.
    if let Some(s) = v.signals.iter().find(|s| s.signal == Signal::Challenge) {
        r["challenge"] = decision_word(s.decision).into();
    }
    // The weak model signals, when they ran: their mean scores (they decide only through
    // `[vision.pad.models] weight`, and never an attack).
    let models: serde_json::Map<String, Value> = v
        .signals
        .iter()
        .filter(|s| matches!(s.signal, Signal::Antispoof | Signal::Livenessnet))
        .map(|s| (s.signal.as_str().to_string(), json!(s.score)))
        .collect();
    if !models.is_empty() {
        r["models"] = Value::Object(models);
    }
    r
}

/// Loads the weak PAD models (`[vision.pad.models]`) when PAD runs (`liveness` required) and
/// `every` is above 0. A missing or corrupt model file is an error naming it when their
/// `weight` is above 0 (the gate must not start without a signal it is configured to weigh);
/// with weight 0 they would only be recorded, so the gate starts without them and says so.
pub fn load_models(
    vcfg: &vision::VisionConfig,
    liveness: gate::LivenessMode,
) -> anyhow::Result<Option<PadModels>> {
    let models = vcfg.pad.models;
    if liveness != gate::LivenessMode::Required || !models.enabled() {
        return Ok(None);
    }
    match PadModels::load(vcfg) {
        Ok(m) => Ok(Some(m)),
        Err(e) if models.weight > 0.0 => anyhow::bail!(
            "[gate] liveness = \"required\" and [vision.pad.models] weight = {}, but a PAD \
             model cannot be loaded: {e}",
            models.weight
        ),
        Err(e) => {
            warn!(error = %e, "the weak PAD models are not loaded (weight 0: their scores are not recorded)");
            Ok(None)
        }
    }
}

fn decision_word(d: PadDecision) -> &'static str {
    match d {
        PadDecision::Live => "live",
        PadDecision::Attack(_) => "attack",
        PadDecision::Inconclusive => "inconclusive",
    }
}

/// A PAD sensor's reading for the frame `frame_id`, in PAD's words: a face at or above the
/// sensor's threshold (0.5) reads live, paper a print, a display a screen replay, anything
/// else planar an attack; a face below its threshold, a score that is not a number, a reading
/// it cannot use or a failed read is inconclusive (PAD's other signals still decide).
pub fn pad_sensor_evidence(
    frame_id: u64,
    reading: Result<hardware::pad_sensor::Reading, hardware::pad_sensor::PadSensorError>,
) -> vision::pad::PadSensorEvidence {
    use hardware::pad_sensor::{Material, Reading};
    use vision::pad::Species;
    let (decision, score, reason) = match reading {
        Ok(Reading::Face { score } | Reading::NotFace { score, .. }) if !score.is_finite() => (
            PadDecision::Inconclusive,
            0.5,
            "a score that is not a number".to_string(),
        ),
        Ok(Reading::Face { score }) if score < 0.5 => (
            PadDecision::Inconclusive,
            score,
            "reads as a face below the sensor's threshold".to_string(),
        ),
        Ok(Reading::Face { score }) => (PadDecision::Live, score, "reads as a face".to_string()),
        Ok(Reading::NotFace { material, score }) => (
            PadDecision::Attack(match material {
                Material::Paper => Species::Print,
                Material::Display => Species::ScreenReplay,
                Material::Planar => Species::Planar,
            }),
            score,
            format!("reads as {}", material.as_str()),
        ),
        Ok(Reading::Unusable) => (PadDecision::Inconclusive, 0.5, "no usable reading".into()),
        Err(e) => (PadDecision::Inconclusive, 0.5, e.to_string()),
    };
    vision::pad::PadSensorEvidence {
        frame_id,
        decision,
        score: score.clamp(0.0, 1.0),
        reason,
    }
}

/// The gate's words for a PAD verdict.
pub fn to_gate_pad(v: &PadVerdict) -> gate::PadVerdict {
    match v.decision {
        PadDecision::Live => gate::PadVerdict::Live { score: v.score },
        PadDecision::Attack(_) => gate::PadVerdict::Attack { score: v.score },
        PadDecision::Inconclusive => gate::PadVerdict::Inconclusive,
    }
}

/// The PAD job: the verdict of the capture it belongs to, for the gate.
pub fn pad_job(link: &PadLink) -> gate::PadVerdict {
    // The capture runs at most its window; a few seconds more for a slow first frame.
    let verdict = link.take(link.window + Duration::from_secs(5));
    match verdict {
        Some(Some(v)) => {
            let r = record(&v);
            let reason = v
                .signals
                .iter()
                .find(|s| s.signal == v.deciding)
                .map(|s| s.reason.clone())
                .unwrap_or_default();
            info!(pad = %r, reason = %reason, "PAD verdict");
            link.set_record(r);
            to_gate_pad(&v)
        }
        Some(None) => {
            // The capture ended before any frame could be judged (no chip photo, no camera,
            // an error): the face verdict carries the reason; PAD is one more failed check.
            link.set_record(json!({ "decision": "inconclusive", "frames": 0 }));
            gate::PadVerdict::Inconclusive
        }
        None => {
            link.set_record(json!({ "decision": "not_checked" }));
            gate::PadVerdict::NotChecked
        }
    }
}

/// What PAD does during one capture.
#[derive(Default)]
pub struct PadPlan<'a> {
    /// The PAD thresholds; `None`: no PAD (liveness not checked).
    pub config: Option<PadConfig>,
    /// The lane's PAD sensor, read with each frame.
    pub sensor: Option<&'a dyn hardware::pad_sensor::PadSensor>,
    /// The challenge to ask (drawn by the caller); asked only with PAD.
    pub challenge: Option<Challenge>,
    /// The weak PAD models (`[vision.pad.models]`), when loaded; run only with PAD.
    pub models: Option<&'a mut PadModels>,
}

/// A capture's results.
pub struct Captured {
    /// The face verdict.
    pub face: vision::FaceVerdict,
    /// The PAD verdict, when PAD ran.
    pub pad: Option<PadVerdict>,
    /// How the challenge went, when one was asked.
    pub challenge: Option<ChallengeReport>,
}

/// How long a capture's challenge took and whether it passed (no personal data).
#[derive(Debug, Clone, PartialEq)]
pub struct ChallengeReport {
    /// The actions asked, in order.
    pub actions: Vec<Action>,
    /// Every action done in time.
    pub passed: bool,
    /// First prompt to the last action judged.
    pub took: Duration,
}

/// The face job's capture window with PAD on the same frames: frames from `source`, each
/// analysed once; the matcher's session takes them until it is complete, PAD until it has
/// enough frames or the window closes. A frame that repeats a recent one goes to neither, and
/// a frozen camera ends the capture at once (`vision::freeze`: the face verdict is
/// `CameraFrozen`). With a challenge, its first prompt goes to
/// `on_prompt` before the first frame, each next one when the last is done, and `None` when
/// it is over; PAD then takes frames until the challenge is over and the geometry signal can
/// decide (or the window has closed), so the capture takes at most the longer of the window
/// and the challenge's bound (`actions × time_per_action_s`), plus one frame.
#[allow(clippy::too_many_arguments)]
pub fn capture(
    pipeline: &mut vision::FacePipeline,
    source: &mut dyn vision::source::FrameSource,
    reference: &vision::Embedding,
    matcher: &vision::Matcher,
    policy: vision::CapturePolicy,
    plan: PadPlan<'_>,
    mut clock: impl FnMut() -> Instant,
    mut on_guidance: impl FnMut(&[vision::quality::Guidance]),
    mut on_prompt: impl FnMut(Option<(Action, usize, usize)>),
) -> vision::Result<Captured> {
    let start = clock();
    let mut session = vision::CaptureSession::new(start, policy);
    let deadline = session.poll_timeout();
    let mut pad = plan.config.map(PadSession::new);
    let mut challenge = match (plan.config, plan.challenge) {
        (Some(c), Some(ch)) => Some(ChallengeSession::new(ch, c.challenge, start)),
        _ => None,
    };
    let mut models = plan.models;
    let mut shown = None;
    let mut id = 0u64;
    loop {
        let now = clock();
        if let Some(c) = challenge.as_mut() {
            c.handle_timeout(now);
            let prompt = c.prompt();
            if prompt != shown {
                shown = prompt;
                on_prompt(prompt);
            }
        }
        let face_done = session.is_complete(now);
        let pad_done = challenge.as_ref().is_none_or(ChallengeSession::is_complete)
            && match &pad {
                None => true,
                Some(_) if now >= deadline => true,
                Some(p) if challenge.is_some() => p.geometry_decided(),
                Some(p) => p.has_enough(),
            };
        if face_done && pad_done {
            break;
        }
        let Some(frame) = source.next_frame()? else {
            break;
        };
        // A repeated frame is evidence of nothing new, for the match, PAD or the challenge; a
        // camera that keeps repeating ends the capture as frozen.
        if !session.handle_raw(&frame) {
            if session.is_frozen() {
                break;
            }
            continue;
        }
        id += 1;
        if let (Some(p), Some(sensor)) = (pad.as_mut(), plan.sensor) {
            p.handle_pad_sensor(pad_sensor_evidence(id, sensor.read()));
        }
        let width = frame.width();
        let face = if !face_done {
            let analysis = pipeline.analyze(&frame)?;
            let face = analysis.primary.as_ref().map(|f| f.detection);
            if let (Some(p), Some(f)) = (pad.as_mut(), face.as_ref()) {
                p.handle_frame(id, &frame, f)?;
                score_models(p, models.as_deref_mut(), id, &frame, f);
            }
            drop(frame);
            on_guidance(&session.handle_frame(clock(), analysis, width));
            face
        } else if let Some(p) = pad.as_mut() {
            // The match has its frames; PAD needs a few more of the same stream.
            let faces = pipeline.detect(&frame)?;
            let face = faces
                .into_iter()
                .max_by(|a, b| a.area().total_cmp(&b.area()));
            if let Some(f) = face.as_ref() {
                p.handle_frame(id, &frame, f)?;
                score_models(p, models.as_deref_mut(), id, &frame, f);
            }
            face
        } else {
            None
        };
        if face.is_none() {
            if let Some(p) = pad.as_mut() {
                p.handle_no_face();
            }
        }
        if let Some(c) = challenge.as_mut() {
            match face.as_ref() {
                Some(f) => c.handle_face(clock(), id, f),
                None => c.handle_no_face(clock()),
            }
        }
    }
    let mut report = None;
    // A camera that froze mid-challenge is a device fault, not a traveller who failed the
    // challenge: the challenge is not judged (nor timed, nor given to PAD).
    if session.is_frozen() {
        if shown.is_some() {
            on_prompt(None);
        }
        challenge = None;
    }
    if let Some(mut c) = challenge {
        let now = clock();
        let signal = c.finish(now);
        report = Some(ChallengeReport {
            actions: c.challenge().actions().to_vec(),
            passed: signal.decision == PadDecision::Live,
            took: c.elapsed(now),
        });
        info!(challenge = %signal.reason, "liveness challenge");
        if shown.is_some() {
            on_prompt(None);
        }
        if let Some(p) = pad.as_mut() {
            p.handle_challenge(signal);
        }
    }
    Ok(Captured {
        face: session.finish(reference, matcher),
        pad: pad.map(|p| p.finish()),
        challenge: report,
    })
}

/// The weak models' scores of the frame PAD just took, on the frames it asks for. A frame
/// they cannot score is left out: a weak signal never stops the capture.
fn score_models(
    pad: &mut PadSession,
    models: Option<&mut PadModels>,
    id: u64,
    frame: &vision::Frame,
    face: &vision::Detection,
) {
    if let Some(m) = models.filter(|_| pad.wants_model_scores()) {
        match m.score(id, frame, face) {
            Ok(scores) => pad.handle_model_scores(scores),
            Err(e) => warn!(error = %e, "the weak PAD models could not score a frame"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verdict(decision: PadDecision) -> PadVerdict {
        PadVerdict {
            decision,
            score: 0.2,
            deciding: vision::pad::Signal::Texture,
            signals: Vec::new(),
            frames: vec![1, 2, 3],
        }
    }

    /// A camera that freezes while a challenge is asked is a device fault: the capture ends
    /// `CameraFrozen`, the challenge is neither judged nor timed nor given to PAD (with
    /// `on_failure = "attack"` it would otherwise call the frozen camera an attack), and the
    /// prompt is taken off the screens.
    #[test]
    fn a_camera_frozen_during_the_challenge_is_no_failed_challenge() {
        let vcfg = vision::VisionConfig::default();
        let mut pipeline =
            vision::FacePipeline::new(&vcfg).expect("the face models (scripts/setup-models.sh)");
        let data = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../vision/tests/data");
        let photo = vision::read_photo(&data.join("person_b_1.jpg")).unwrap();
        let reference = vision::matcher::largest_face(&mut pipeline, &photo)
            .unwrap()
            .expect("a face")
            .3;
        let matcher =
            vision::Matcher::from_calibration(&vision::Calibration::shipped().unwrap(), 0.001)
                .unwrap();
        let mut config = PadConfig::default();
        config.challenge.enabled = true;
        let plan = PadPlan {
            config: Some(config),
            challenge: Some(Challenge::draw(&config.challenge, |_| 0)),
            ..Default::default()
        };
        let mut frozen = vision::source::ReplaySource::new(vec![photo], true);
        let t0 = Instant::now();
        let mut ticks = 0u64;
        let mut prompts = Vec::new();
        let c = capture(
            &mut pipeline,
            &mut frozen,
            &reference,
            &matcher,
            vision::CapturePolicy::default(),
            plan,
            || {
                ticks += 1;
                t0 + Duration::from_millis(66 * ticks)
            },
            |_| {},
            |p| prompts.push(p),
        )
        .unwrap();
        assert_eq!(
            c.face.decision,
            vision::Decision::CameraFrozen,
            "{}",
            c.face.reason
        );
        assert!(c.challenge.is_none(), "{:?}", c.challenge);
        let pad = c.pad.expect("PAD ran");
        assert!(
            !pad.signals.iter().any(|s| s.signal == Signal::Challenge),
            "{pad:?}"
        );
        assert_ne!(pad.deciding, Signal::Challenge, "{pad:?}");
        assert!(prompts.first().is_some_and(Option::is_some), "{prompts:?}");
        assert_eq!(prompts.last(), Some(&None), "the prompt is taken off");
    }

    #[test]
    fn the_record_carries_the_weak_models_scores_and_not_the_deciding_word() {
        let weak = |signal, score| vision::pad::SignalResult {
            signal,
            decision: PadDecision::Live,
            score,
            reason: String::new(),
        };
        let mut v = verdict(PadDecision::Attack(vision::pad::Species::Print));
        v.signals = vec![
            weak(Signal::Antispoof, 0.75),
            weak(Signal::Livenessnet, 0.5),
        ];
        let r = record(&v);
        assert_eq!(r["signal"], "texture");
        assert_eq!(r["models"]["antispoof"], 0.75);
        assert_eq!(r["models"]["livenessnet"], 0.5);
        // Without them (not loaded, every = 0) the record has no such key.
        assert!(record(&verdict(PadDecision::Live)).get("models").is_none());
    }

    #[test]
    fn pad_models_load_only_where_they_count() {
        let mut vcfg = vision::VisionConfig {
            antispoof: "/nonexistent/antispoof.onnx".into(),
            ..vision::VisionConfig::default()
        };
        // Liveness not checked, or every = 0: not loaded at all, whatever the files.
        assert!(load_models(&vcfg, gate::LivenessMode::NotChecked)
            .unwrap()
            .is_none());
        vcfg.pad.models.every = 0;
        assert!(load_models(&vcfg, gate::LivenessMode::Required)
            .unwrap()
            .is_none());
        // Weight 0: a missing file is a warning.
        vcfg.pad.models.every = 2;
        assert!(load_models(&vcfg, gate::LivenessMode::Required)
            .unwrap()
            .is_none());
        // A weight: an error naming the file.
        vcfg.pad.models.weight = 0.2;
        let e = load_models(&vcfg, gate::LivenessMode::Required).unwrap_err();
        let msg = format!("{e:#}");
        assert!(msg.contains("/nonexistent/antispoof.onnx"), "{msg}");
        assert!(msg.contains("weight = 0.2"), "{msg}");
    }

    #[test]
    fn pad_sensor_readings_in_pad_words() {
        use hardware::pad_sensor::{Material, PadSensorError, Reading};
        use vision::pad::Species;
        let d = |r| pad_sensor_evidence(7, r).decision;
        assert_eq!(d(Ok(Reading::Face { score: 0.8 })), PadDecision::Live);
        assert_eq!(
            d(Ok(Reading::Face { score: 0.1 })),
            PadDecision::Inconclusive
        );
        assert_eq!(
            d(Ok(Reading::Face { score: f32::NAN })),
            PadDecision::Inconclusive
        );
        for (material, species) in [
            (Material::Paper, Species::Print),
            (Material::Display, Species::ScreenReplay),
            (Material::Planar, Species::Planar),
        ] {
            let e = pad_sensor_evidence(
                7,
                Ok(Reading::NotFace {
                    material,
                    score: 0.2,
                }),
            );
            assert_eq!((e.frame_id, e.decision), (7, PadDecision::Attack(species)));
        }
        assert_eq!(
            d(Ok(Reading::NotFace {
                material: Material::Paper,
                score: f32::INFINITY
            })),
            PadDecision::Inconclusive
        );
        assert_eq!(d(Ok(Reading::Unusable)), PadDecision::Inconclusive);
        let e = pad_sensor_evidence(7, Err(PadSensorError::Timeout));
        assert_eq!(e.decision, PadDecision::Inconclusive);
        assert!(e.reason.contains("in time"), "{}", e.reason);
    }

    #[test]
    fn the_nth_pad_job_gets_the_nth_capture_and_names_the_deciding_signal() {
        let link = PadLink::new(Some(PadConfig::default()), Duration::ZERO);
        let a = link.begin();
        let b = link.begin();
        link.post(b, Some(verdict(PadDecision::Live)));
        link.post(
            a,
            Some(verdict(PadDecision::Attack(vision::pad::Species::Print))),
        );
        assert_eq!(pad_job(&link), gate::PadVerdict::Attack { score: 0.2 });
        let r = link.take_record().unwrap();
        assert_eq!(r["signal"], "texture");
        assert_eq!(r["species"], "print");
        assert_eq!(pad_job(&link), gate::PadVerdict::Live { score: 0.2 });
        // A capture that ended without PAD: inconclusive (the face verdict says why).
        let c = link.begin();
        link.post(c, None);
        assert_eq!(pad_job(&link), gate::PadVerdict::Inconclusive);
        assert_eq!(link.take_record().unwrap()["decision"], "inconclusive");
        // No capture at all for the fourth: PAD did not check, and the record says so.
        assert_eq!(pad_job(&link), gate::PadVerdict::NotChecked);
        assert_eq!(link.take_record().unwrap()["decision"], "not_checked");
    }
}
