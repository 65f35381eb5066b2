//! Prometheus metrics of the gates (`egate_*`): passages by outcome and reason, phase
//! durations, alarms, device health, dropped and unexpected inputs. Labels carry only gate
//! ids, phases, reason codes and device names — never anything about a traveller — and
//! reasons that would tell a reader why one traveller was referred (a border database hit above
//! all) are merged into one public label, [`DOCUMENT_CHECK`] (see [`public_reason`]).

use std::time::Duration;

use gate::ReasonCode;
use prometheus::{HistogramOpts, HistogramVec, IntCounterVec, IntGaugeVec, Opts, Registry};

/// The public label of the reasons [`public_reason`] merges.
pub const DOCUMENT_CHECK: &str = "document_check";

/// The reason as a public metrics label: the checks of the document and its holder
/// (authenticity, eligibility, the border databases) are merged into [`DOCUMENT_CHECK`], so that a
/// count that moves on `/metrics` does not tell whoever reads it that the traveller at a
/// gate was just referred for a border database hit. The audit trail keeps the exact reason.
pub fn public_reason(reason: &str) -> &str {
    use ReasonCode::*;
    match ReasonCode::from_name(reason) {
        Some(
            BorderDbHit
            | BorderDbUnavailable
            | BorderDbTimeout
            | EesRequired
            | EesOverstay
            | EesUnavailable
            | PaFailed
            | CscaUntrusted
            | ChipAuthFailed
            | ChipAuthMissing
            | MrzDg1Mismatch
            | DocumentExpired
            | IneligibleDocument
            | IneligibleIssuingState
            | IneligibleNationality
            | Underage
            | AgeUnknown
            | IneligibleTraveller,
        ) => DOCUMENT_CHECK,
        _ => reason,
    }
}

/// The metric families, registered once per process and shared by its gates.
#[derive(Clone)]
pub struct Metrics {
    passages: IntCounterVec,
    transaction_seconds: HistogramVec,
    phase_seconds: HistogramVec,
    alarms: IntCounterVec,
    device_up: IntGaugeVec,
    inputs: IntCounterVec,
    dropped: IntCounterVec,
    audit_failures: IntCounterVec,
    recoveries: IntCounterVec,
    recovery_seconds: HistogramVec,
    pad: IntCounterVec,
    source_seconds: HistogramVec,
    source_up: IntGaugeVec,
    steps: super::step_metrics::StepMetrics,
}

impl Metrics {
    /// Creates and registers the families.
    pub fn register(registry: &Registry) -> prometheus::Result<Self> {
        let passages = IntCounterVec::new(
            Opts::new(
                "egate_passages_total",
                "Passages ended, by outcome and reason.",
            ),
            &["gate", "outcome", "reason"],
        )?;
        let transaction_seconds = HistogramVec::new(
            HistogramOpts::new(
                "egate_passage_duration_seconds",
                "Transaction time of a passage, document presented to end.",
            )
            .buckets(vec![1.0, 2.0, 4.0, 6.0, 8.0, 10.0, 15.0, 20.0, 30.0, 60.0]),
            &["gate", "outcome"],
        )?;
        let phase_seconds = HistogramVec::new(
            HistogramOpts::new("egate_phase_duration_seconds", "Time spent in each phase.")
                .buckets(vec![0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 60.0]),
            &["gate", "phase"],
        )?;
        let alarms = IntCounterVec::new(
            Opts::new(
                "egate_alarms_total",
                "Alarms raised for the officer, by reason.",
            ),
            &["gate", "reason"],
        )?;
        let device_up = IntGaugeVec::new(
            Opts::new(
                "egate_device_up",
                "1 when a device works, 0 when it is faulty.",
            ),
            &["gate", "device"],
        )?;
        let inputs = IntCounterVec::new(
            Opts::new("egate_inputs_total", "Inputs handed to the gate, by kind."),
            &["gate", "kind"],
        )?;
        let dropped = IntCounterVec::new(
            Opts::new(
                "egate_inputs_dropped_total",
                "Stale job results and unexpected inputs the gate dropped.",
            ),
            &["gate", "why"],
        )?;
        let audit_failures = IntCounterVec::new(
            Opts::new(
                "egate_audit_write_failures_total",
                "Failed audit trail writes.",
            ),
            &["gate"],
        )?;
        let recoveries = IntCounterVec::new(
            Opts::new(
                "egate_chip_read_recoveries_total",
                "Chip reads resumed after the chip ended its secure-messaging session \
                 (ICAO 9303-11 §9.8.6), by the plain status word it answered.",
            ),
            &["gate", "status"],
        )?;
        let recovery_seconds = HistogramVec::new(
            HistogramOpts::new(
                "egate_chip_read_recovery_seconds",
                "Time each chip-read recovery cost (access control run again).",
            )
            .buckets(vec![0.05, 0.1, 0.2, 0.4, 0.8, 1.6, 3.2]),
            &["gate"],
        )?;
        let pad = IntCounterVec::new(
            Opts::new(
                "egate_pad_decisions_total",
                "Presentation attack detection verdicts of ended passages, by decision (live, \
                 attack, inconclusive, not_checked) and, for attacks, the species seen (ISO/IEC \
                 30107-1 presentation attack instrument species).",
            ),
            &["gate", "decision", "species"],
        )?;
        registry.register(Box::new(pad.clone()))?;
        // Every query asks every source until one has a hit, so the latency of a source does
        // not tell a reader whether the traveller at the gate was listed: only that one
        // answered and how fast. No hit count per source is kept here (the audit has it).
        let source_seconds = HistogramVec::new(
            HistogramOpts::new(
                "egate_borderdb_query_seconds",
                "Time each border database source took to answer or fail, per source.",
            )
            .buckets(vec![0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0]),
            &["gate", "source"],
        )?;
        let source_up = IntGaugeVec::new(
            Opts::new(
                "egate_borderdb_source_up",
                "Whether a border database source answered its last query (1) or not (0).",
            ),
            &["gate", "source"],
        )?;
        registry.register(Box::new(source_seconds.clone()))?;
        registry.register(Box::new(source_up.clone()))?;
        registry.register(Box::new(recoveries.clone()))?;
        registry.register(Box::new(recovery_seconds.clone()))?;
        registry.register(Box::new(passages.clone()))?;
        registry.register(Box::new(transaction_seconds.clone()))?;
        registry.register(Box::new(phase_seconds.clone()))?;
        registry.register(Box::new(alarms.clone()))?;
        registry.register(Box::new(device_up.clone()))?;
        registry.register(Box::new(inputs.clone()))?;
        registry.register(Box::new(dropped.clone()))?;
        registry.register(Box::new(audit_failures.clone()))?;
        let steps = super::step_metrics::StepMetrics::register(registry)?;
        Ok(Self {
            passages,
            transaction_seconds,
            phase_seconds,
            alarms,
            device_up,
            inputs,
            dropped,
            audit_failures,
            recoveries,
            recovery_seconds,
            pad,
            source_seconds,
            source_up,
            steps,
        })
    }

    /// The handle one gate's driver uses.
    pub fn for_gate(&self, gate: &str) -> GateMetrics {
        // Counters an alert watches start at 0, so `increase()` sees their first step.
        self.audit_failures.with_label_values(&[gate]);
        for why in ["stale", "unexpected"] {
            self.dropped.with_label_values(&[gate, why]);
        }
        GateMetrics {
            m: self.clone(),
            gate: gate.to_string(),
            steps: self.steps.for_gate(gate),
        }
    }
}

/// One gate's view of the metrics.
#[derive(Clone)]
pub struct GateMetrics {
    m: Metrics,
    gate: String,
    /// Step times, face-score distribution, trust data.
    pub steps: super::step_metrics::GateStepMetrics,
}

impl GateMetrics {
    /// A passage ended.
    pub fn passage(&self, outcome: &str, reason: &str, took: Duration) {
        self.m
            .passages
            .with_label_values(&[&self.gate, outcome, public_reason(reason)])
            .inc();
        self.m
            .transaction_seconds
            .with_label_values(&[&self.gate, outcome])
            .observe(took.as_secs_f64());
    }
    /// The gate left `phase` after `took`.
    pub fn observe_phase(&self, phase: &str, took: Duration) {
        self.m
            .phase_seconds
            .with_label_values(&[&self.gate, phase])
            .observe(took.as_secs_f64());
    }
    /// An alarm was raised.
    pub fn alarm(&self, reason: &str) {
        self.m
            .alarms
            .with_label_values(&[&self.gate, public_reason(reason)])
            .inc();
    }
    /// A device's health.
    pub fn device(&self, device: &str, up: bool) {
        self.m
            .device_up
            .with_label_values(&[&self.gate, device])
            .set(i64::from(up));
    }
    /// An input was handed to the gate.
    pub fn input(&self, kind: &str) {
        self.m.inputs.with_label_values(&[&self.gate, kind]).inc();
    }
    /// A stale job result was dropped.
    pub fn stale(&self) {
        self.m
            .dropped
            .with_label_values(&[&self.gate, "stale"])
            .inc();
    }
    /// An unexpected input was dropped.
    pub fn unexpected(&self) {
        self.m
            .dropped
            .with_label_values(&[&self.gate, "unexpected"])
            .inc();
    }
    /// An audit write failed.
    pub fn audit_failure(&self) {
        self.m.audit_failures.with_label_values(&[&self.gate]).inc();
    }
    /// A passage's PAD verdict: its decision and, for an attack, the species (an empty
    /// label otherwise). Nothing of the traveller.
    pub fn pad(&self, decision: &str, species: &str) {
        let decision = match decision {
            "live" | "attack" | "inconclusive" | "not_checked" => decision,
            _ => "unknown",
        };
        let species = match species {
            "" => "",
            s if s.len() <= 32 && s.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') => s,
            _ => "other",
        };
        self.m
            .pad
            .with_label_values(&[&self.gate, decision, species])
            .inc();
    }
    /// How each border database source fared with one query.
    pub fn borderdb(&self, reports: &[borderdb::SourceReport]) {
        for r in reports {
            self.m
                .source_seconds
                .with_label_values(&[&self.gate, &r.source])
                .observe(r.took.as_secs_f64());
            self.m
                .source_up
                .with_label_values(&[&self.gate, &r.source])
                .set(i64::from(r.answered));
        }
    }
    /// The recoveries of one chip read (`ReadStats::recoveries`): each counted by the plain
    /// status word that ended the session, and its cost observed.
    pub fn chip_read(&self, stats: &document::reader::ReadStats) {
        for r in &stats.recoveries {
            self.m
                .recoveries
                .with_label_values(&[&self.gate, &format!("{:04X}", r.status.0)])
                .inc();
            self.m
                .recovery_seconds
                .with_label_values(&[&self.gate])
                .observe(r.duration.as_secs_f64());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use document::apdu::StatusWord;
    use document::reader::{ReadStats, Recovery};
    use prometheus::Encoder;

    #[test]
    fn chip_read_recoveries_are_counted_with_their_cost() {
        let registry = Registry::new();
        let m = Metrics::register(&registry).unwrap().for_gate("gate-1");
        let recovery = |ms| Recovery {
            file: "EF.SOD",
            offset: 0,
            status: StatusWord(0x6700),
            le_before: 223,
            le_after: 160,
            duration: Duration::from_millis(ms),
            apdus: 9,
        };
        m.chip_read(&ReadStats {
            recoveries: vec![recovery(120), recovery(300)],
            ..ReadStats::default()
        });
        m.chip_read(&ReadStats::default());
        let mut text = Vec::new();
        prometheus::TextEncoder::new()
            .encode(&registry.gather(), &mut text)
            .unwrap();
        let text = String::from_utf8(text).unwrap();
        assert!(
            text.contains("egate_chip_read_recoveries_total{gate=\"gate-1\",status=\"6700\"} 2"),
            "{text}"
        );
        assert!(
            text.contains("egate_chip_read_recovery_seconds_count{gate=\"gate-1\"} 2"),
            "{text}"
        );
        assert!(
            text.contains("egate_chip_read_recovery_seconds_sum{gate=\"gate-1\"} 0.42"),
            "{text}"
        );
    }

    #[test]
    fn pad_decisions_are_counted_by_species_with_closed_labels() {
        let registry = Registry::new();
        let m = Metrics::register(&registry).unwrap().for_gate("gate-1");
        m.pad("attack", "print");
        m.pad("attack", "print");
        m.pad("live", "");
        // A label never carries free text: an unknown decision or an odd species is folded.
        m.pad("P<D<<MUSTERMANN", "Erika Mustermann");
        let mut text = Vec::new();
        prometheus::TextEncoder::new()
            .encode(&registry.gather(), &mut text)
            .unwrap();
        let text = String::from_utf8(text).unwrap();
        for line in [
            "egate_pad_decisions_total{decision=\"attack\",gate=\"gate-1\",species=\"print\"} 2",
            "egate_pad_decisions_total{decision=\"live\",gate=\"gate-1\",species=\"\"} 1",
            "egate_pad_decisions_total{decision=\"unknown\",gate=\"gate-1\",species=\"other\"} 1",
        ] {
            assert!(text.contains(line), "{line} in\n{text}");
        }
        assert!(!text.contains("MUSTERMANN") && !text.contains("Erika"));
    }
}

#[cfg(test)]
mod reason_labels {
    use super::*;

    #[test]
    fn sensitive_reasons_are_merged_and_the_others_kept() {
        let registry = Registry::new();
        let m = Metrics::register(&registry).unwrap().for_gate("g1");
        m.passage("referred", "borderdb_hit", Duration::from_secs(3));
        m.alarm("borderdb_hit");
        m.passage("referred", "face_mismatch", Duration::from_secs(3));
        let mut text = Vec::new();
        prometheus::Encoder::encode(
            &prometheus::TextEncoder::new(),
            &registry.gather(),
            &mut text,
        )
        .unwrap();
        let text = String::from_utf8(text).unwrap();
        assert!(!text.contains("borderdb"), "{text}");
        assert!(text.contains("reason=\"document_check\""), "{text}");
        assert!(text.contains("reason=\"face_mismatch\""), "{text}");
        for r in ReasonCode::ALL {
            assert!(!public_reason(r.as_str()).contains("borderdb"));
        }
    }
}
