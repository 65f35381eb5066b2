//! Metrics of the passage's steps and of the gate's trust data, for monitoring without
//! personal data: how long each background job (chip read, borderdb, face match, PAD) took,
//! the distribution of face-match scores (a histogram only: no per-passage value is
//! exported), how long the liveness challenge took, by outcome, and the issue and
//! next-update times of the CRLs the gate checks against (their age and nearness to expiry
//! follow in PromQL: `time() - ...`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use gate::{FaceVerdict, Input, JobKind, Ticket};
use prometheus::{GaugeVec, HistogramOpts, HistogramVec, IntGaugeVec, Opts, Registry};

/// The metric families, registered once per process.
#[derive(Clone)]
pub struct StepMetrics {
    job_seconds: HistogramVec,
    face_score: HistogramVec,
    challenge_seconds: HistogramVec,
    crl_this_update: GaugeVec,
    crl_next_update: GaugeVec,
    trust_anchors: IntGaugeVec,
}

impl StepMetrics {
    /// Creates and registers the families.
    pub fn register(registry: &Registry) -> prometheus::Result<Self> {
        let job_seconds = HistogramVec::new(
            HistogramOpts::new(
                "egate_step_duration_seconds",
                "Time of each step's job, started to result: chip_read (read, passive and \
                 active/chip authentication), borderdb, face_match (capture and match), pad.",
            )
            .buckets(vec![
                0.05, 0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 8.0, 12.0,
            ]),
            &["gate", "step"],
        )?;
        let face_score = HistogramVec::new(
            HistogramOpts::new(
                "egate_face_score",
                "Distribution of face-match similarity scores, by decision (match, no_match).",
            )
            .buckets((0..=20).map(|i| f64::from(i) / 20.0).collect()),
            &["gate", "decision"],
        )?;
        let challenge_seconds = HistogramVec::new(
            HistogramOpts::new(
                "egate_pad_challenge_seconds",
                "Time of each liveness challenge, first prompt to the last action judged, by \
                 outcome (passed, failed): what the challenge adds to the face step.",
            )
            .buckets(vec![
                0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0, 20.0,
            ]),
            &["gate", "outcome"],
        )?;
        let crl_this_update = GaugeVec::new(
            Opts::new(
                "egate_trust_crl_this_update_timestamp_seconds",
                "thisUpdate of each CRL loaded ([pki]), Unix time.",
            ),
            &["gate", "issuer"],
        )?;
        let crl_next_update = GaugeVec::new(
            Opts::new(
                "egate_trust_crl_next_update_timestamp_seconds",
                "nextUpdate of each CRL loaded ([pki]), Unix time.",
            ),
            &["gate", "issuer"],
        )?;
        let trust_anchors = IntGaugeVec::new(
            Opts::new(
                "egate_trust_anchors",
                "CSCA and link certificates the gate trusts.",
            ),
            &["gate"],
        )?;
        registry.register(Box::new(job_seconds.clone()))?;
        registry.register(Box::new(face_score.clone()))?;
        registry.register(Box::new(challenge_seconds.clone()))?;
        registry.register(Box::new(crl_this_update.clone()))?;
        registry.register(Box::new(crl_next_update.clone()))?;
        registry.register(Box::new(trust_anchors.clone()))?;
        Ok(Self {
            job_seconds,
            face_score,
            challenge_seconds,
            crl_this_update,
            crl_next_update,
            trust_anchors,
        })
    }

    /// The handle one gate's driver uses.
    pub fn for_gate(&self, gate: &str) -> GateStepMetrics {
        GateStepMetrics {
            m: self.clone(),
            gate: gate.to_string(),
            started: Default::default(),
        }
    }
}

/// One gate's view of the step metrics.
#[derive(Clone)]
pub struct GateStepMetrics {
    m: StepMetrics,
    gate: String,
    /// The jobs in flight: their step and start.
    started: Arc<Mutex<HashMap<Ticket, (&'static str, Instant)>>>,
}

fn unix(t: SystemTime) -> f64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

impl GateStepMetrics {
    /// A job started.
    pub fn job_started(&self, kind: JobKind, ticket: Ticket) {
        if let Ok(mut s) = self.started.lock() {
            s.insert(ticket, (kind.as_str(), Instant::now()));
        }
    }

    /// A job was cancelled: its time is not a step's time.
    pub fn job_cancelled(&self, ticket: Ticket) {
        if let Ok(mut s) = self.started.lock() {
            s.remove(&ticket);
        }
    }

    /// An input reached the gate: a job's result ends its step's time; a face verdict adds
    /// its score to the distribution.
    pub fn input(&self, input: &Input) {
        let ticket = match input {
            Input::DocumentVerdict { ticket, .. }
            | Input::BorderDbResult { ticket, .. }
            | Input::FaceVerdict { ticket, .. }
            | Input::PadVerdict { ticket, .. } => *ticket,
            _ => return,
        };
        if let Some((step, at)) = self.started.lock().ok().and_then(|mut s| s.remove(&ticket)) {
            self.m
                .job_seconds
                .with_label_values(&[&self.gate, step])
                .observe(at.elapsed().as_secs_f64());
        }
        if let Input::FaceVerdict { verdict, .. } = input {
            let (decision, score) = match verdict {
                FaceVerdict::Match { score, .. } => ("match", score),
                FaceVerdict::NoMatch { score, .. } => ("no_match", score),
                _ => return,
            };
            if score.is_finite() {
                self.m
                    .face_score
                    .with_label_values(&[&self.gate, decision])
                    .observe(f64::from(*score));
            }
        }
    }

    /// A liveness challenge ended after `took`, passed or not.
    pub fn challenge(&self, passed: bool, took: std::time::Duration) {
        let outcome = if passed { "passed" } else { "failed" };
        self.m
            .challenge_seconds
            .with_label_values(&[&self.gate, outcome])
            .observe(took.as_secs_f64());
    }

    /// The trust data the gate checks against.
    pub fn trust(&self, store: &document::pki::CscaStore) {
        self.m
            .trust_anchors
            .with_label_values(&[&self.gate])
            .set(i64::try_from(store.certificates().len()).unwrap_or(i64::MAX));
        for crl in store.crls() {
            let issuer = crl.issuer();
            self.m
                .crl_this_update
                .with_label_values(&[&self.gate, &issuer])
                .set(unix(crl.this_update()));
            if let Some(next) = crl.next_update() {
                self.m
                    .crl_next_update
                    .with_label_values(&[&self.gate, &issuer])
                    .set(unix(next));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_result_times_its_step_and_a_face_score_lands_in_the_distribution() {
        let registry = Registry::new();
        let m = StepMetrics::register(&registry).unwrap().for_gate("g");
        m.job_started(JobKind::FaceMatch, Ticket(7));
        m.job_started(JobKind::ChipRead, Ticket(8));
        m.job_cancelled(Ticket(8));
        m.input(&Input::FaceVerdict {
            ticket: Ticket(7),
            verdict: FaceVerdict::Match {
                score: 0.62,
                threshold: 0.4,
            },
        });
        let text = prometheus::TextEncoder::new()
            .encode_to_string(&registry.gather())
            .unwrap();
        assert!(
            text.contains("egate_step_duration_seconds_count{gate=\"g\",step=\"face_match\"} 1"),
            "{text}"
        );
        assert!(!text.contains("step=\"chip_read\""), "{text}");
        m.challenge(true, std::time::Duration::from_millis(1200));
        let text = prometheus::TextEncoder::new()
            .encode_to_string(&registry.gather())
            .unwrap();
        assert!(
            text.contains(
                "egate_pad_challenge_seconds_bucket{gate=\"g\",outcome=\"passed\",le=\"1.5\"} 1"
            ),
            "{text}"
        );
        assert!(
            text.contains("egate_face_score_bucket{decision=\"match\",gate=\"g\",le=\"0.6\"} 0"),
            "{text}"
        );
        assert!(
            text.contains("egate_face_score_bucket{decision=\"match\",gate=\"g\",le=\"0.65\"} 1"),
            "{text}"
        );
    }
}
