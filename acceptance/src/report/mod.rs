//! The reports of a run: one model ([`Report`]) written three ways — JSON (the record),
//! JUnit XML (for CI), and a self-contained printable HTML page with inline SVG plots.
//!
//! Everything in a report follows from the scenario, its seed and the build, except two
//! fields that say when and how fast it ran: `generated_at` and the `measured` section
//! (wall-clock duration, resident memory and open file descriptors over the run). Two runs
//! of the same scenario give byte-identical JSON once those two are removed.

mod html;
mod junit;
pub mod svg;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::criteria::{Criterion, Metric};
use crate::engine::{FaultRecord, Outcome, Record, Resources, Sample};
use crate::scenario::Checked;

pub use html::html;
pub use junit::junit;

/// The report format's name and version.
pub const FORMAT: &str = "egate-acceptance/1";

/// How the run can be reproduced.
#[derive(Debug, Clone, Serialize)]
pub struct Reproduction {
    /// The build: version, commit, profile, features.
    pub build: BTreeMap<String, String>,
    /// The command line to run it again.
    pub command: String,
    /// What the checks ran with (models, threshold, trust anchors).
    pub checks: Vec<(String, String)>,
    /// The scenario file's text as read.
    pub scenario_text: String,
    /// The seed.
    pub seed: u64,
}

/// Transaction-time statistics, seconds.
#[derive(Debug, Clone, Serialize, Default)]
pub struct Times {
    /// Passages with a time.
    pub n: usize,
    /// Mean.
    pub mean: f64,
    /// Median.
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 95th percentile.
    pub p95: f64,
    /// 99th percentile.
    pub p99: f64,
    /// Longest.
    pub max: f64,
    /// One-second bins: (start, count).
    pub histogram: Vec<(f64, u32)>,
}

/// The run's face comparisons.
#[derive(Debug, Clone, Serialize, Default)]
pub struct Biometrics {
    /// Genuine comparisons (the holder's own face, bona fide).
    pub genuine: usize,
    /// Impostor comparisons (someone else's face).
    pub impostor: usize,
    /// The threshold the gates used.
    pub threshold: Option<f64>,
    /// DET points: (threshold, FMR, FNMR).
    pub det: Vec<(f64, f64, f64)>,
    /// Score histograms, bins of 0.05: (start, genuine count, impostor count).
    pub histogram: Vec<(f64, u32, u32)>,
    /// What the figures can and cannot show.
    pub note: String,
}

/// One criterion's result.
#[derive(Debug, Clone, Serialize)]
pub struct CriterionResult {
    /// As written.
    pub criterion: String,
    /// The measured value, when it is a number.
    pub value: Option<f64>,
    /// Met.
    pub passed: bool,
    /// Why, in words.
    pub detail: String,
}

/// One case of the built-in suite.
#[derive(Debug, Clone, Serialize)]
pub struct CaseResult {
    /// Short id.
    pub id: String,
    /// What it is.
    pub title: String,
    /// The requirement it covers.
    pub requirement: String,
    /// What must happen.
    pub expected: String,
    /// What happened.
    pub actual: String,
    /// Passed.
    pub passed: bool,
    /// Its travellers (ids in `travellers`).
    pub travellers: Vec<u32>,
}

/// Figures of the run's process, not of the model: they differ between runs.
#[derive(Debug, Clone, Serialize, Default)]
pub struct Measured {
    /// Wall-clock seconds of the run.
    pub wall_s: f64,
    /// Virtual seconds per wall-clock second.
    pub speedup: f64,
    /// Resident memory and open file descriptors over the run.
    pub resources: Vec<Resources>,
}

/// Headline figures.
#[derive(Debug, Clone, Serialize, Default)]
pub struct Summary {
    /// Travellers.
    pub travellers: usize,
    /// Passages the gates started.
    pub passages: usize,
    /// By outcome.
    pub outcomes: BTreeMap<String, u32>,
    /// Out through the exit.
    pub through: u32,
    /// Left inside a lane.
    pub trapped: u32,
    /// Attacks.
    pub attacks: u32,
    /// Attacks that got through the exit.
    pub attacks_through: u32,
    /// Travellers whose passage ended as expected.
    pub as_expected: u32,
    /// Gates.
    pub gates: u32,
    /// Virtual seconds from start to the last traveller out.
    pub virtual_s: f64,
    /// Travellers served per hour per gate over the run.
    pub throughput_per_gate_h: f64,
    /// Per gate: 3600 / mean seconds a traveller occupies a lane (step-up to lane ready).
    pub capacity_per_gate_h: f64,
    /// Per gate: (travellers served, seconds busy).
    pub per_gate: Vec<(u32, f64)>,
}

/// A report.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// [`FORMAT`].
    pub format: &'static str,
    /// When it was written (UTC, RFC 3339): not part of the run.
    pub generated_at: String,
    /// `pass` or `fail`.
    pub verdict: &'static str,
    /// The clock the run ran on: `virtual` or `real_time`.
    pub clock: &'static str,
    /// What that clock means for the figures, and (real time) what the mode supports.
    pub clock_note: String,
    /// The scenario's title.
    pub name: String,
    /// The modelled durations the run used, and the engine's own assumptions.
    pub model: BTreeMap<String, serde_json::Value>,
    /// Headline figures.
    pub summary: Summary,
    /// Transaction times.
    pub transaction_s: Times,
    /// Throughput over time: (end of a 5-minute window, travellers per hour per gate).
    pub throughput: Vec<(f64, f64)>,
    /// Queue length over time.
    pub queue: Vec<Sample>,
    /// Face comparisons.
    pub biometrics: Biometrics,
    /// Per traveller type: outcome → count (plus `as_expected`).
    pub outcomes_by_type: BTreeMap<String, BTreeMap<String, u32>>,
    /// Referral and abort reasons → count.
    pub referral_reasons: BTreeMap<String, u32>,
    /// Faults and recovery.
    pub faults: Vec<FaultRecord>,
    /// PAD by species: species → PAD verdict or outcome → count.
    pub pad: BTreeMap<String, BTreeMap<String, u32>>,
    /// The criteria.
    pub criteria: Vec<CriterionResult>,
    /// The suite's cases (empty for a scenario run).
    pub cases: Vec<CaseResult>,
    /// Every traveller.
    pub travellers: Vec<Record>,
    /// How to run it again.
    pub reproduction: Reproduction,
    /// Figures of the process (not reproducible).
    pub measured: Measured,
    /// What the engine did (not figures of the gate): face checks computed and reused, chip
    /// reads, Modbus frames.
    pub engine: BTreeMap<String, u64>,
}

fn round(v: f64, k: i32) -> f64 {
    let f = 10f64.powi(k);
    (v * f).round() / f
}

/// Nearest-rank percentile of sorted values.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil().max(1.0) as usize;
    sorted[rank.min(sorted.len()) - 1]
}

fn times(records: &[Record]) -> Times {
    let mut v: Vec<f64> = records.iter().filter_map(|r| r.transaction_s).collect();
    v.sort_by(f64::total_cmp);
    if v.is_empty() {
        return Times::default();
    }
    let max = *v.last().unwrap_or(&0.0);
    let mut hist: BTreeMap<u32, u32> = BTreeMap::new();
    for t in &v {
        *hist.entry(t.floor() as u32).or_default() += 1;
    }
    let top = max.floor() as u32;
    Times {
        n: v.len(),
        mean: round(v.iter().sum::<f64>() / v.len() as f64, 3),
        p50: percentile(&v, 50.0),
        p90: percentile(&v, 90.0),
        p95: percentile(&v, 95.0),
        p99: percentile(&v, 99.0),
        max,
        histogram: (0..=top)
            .map(|s| (f64::from(s), hist.get(&s).copied().unwrap_or(0)))
            .collect(),
    }
}

/// FMR and FNMR at threshold `t` (a comparison at or above the threshold is a match).
fn rates(genuine: &[f64], impostor: &[f64], t: f64) -> (f64, f64) {
    let fmr = if impostor.is_empty() {
        0.0
    } else {
        impostor.iter().filter(|&&s| s >= t).count() as f64 / impostor.len() as f64
    };
    let fnmr = if genuine.is_empty() {
        0.0
    } else {
        genuine.iter().filter(|&&s| s < t).count() as f64 / genuine.len() as f64
    };
    (fmr, fnmr)
}

/// The FNMR at the lowest threshold whose FMR is at most `fmr` (ISO/IEC 19795-1 §4.6), or
/// `None` without comparisons of both kinds.
pub fn fnmr_at_fmr(genuine: &[f64], impostor: &[f64], fmr: f64) -> Option<(f64, f64)> {
    if genuine.is_empty() || impostor.is_empty() {
        return None;
    }
    let mut candidates: Vec<f64> = genuine.iter().chain(impostor).copied().collect();
    candidates.push(f64::INFINITY);
    candidates.sort_by(f64::total_cmp);
    candidates.dedup();
    candidates
        .into_iter()
        .find(|&t| rates(genuine, impostor, t).0 <= fmr)
        .map(|t| (t, rates(genuine, impostor, t).1))
}

fn scores(records: &[Record]) -> (Vec<f64>, Vec<f64>, Option<f64>) {
    let (mut g, mut i) = (Vec::new(), Vec::new());
    let mut threshold = None;
    for r in records {
        for &(s, t) in &r.scores {
            threshold = Some(f64::from(t));
            if r.genuine_face {
                g.push(f64::from(s));
            } else if r.pad_species.is_none() {
                i.push(f64::from(s));
            }
        }
    }
    (g, i, threshold)
}

fn biometrics(records: &[Record]) -> Biometrics {
    let (g, i, threshold) = scores(records);
    let mut ts: Vec<f64> = g.iter().chain(&i).copied().collect();
    ts.sort_by(f64::total_cmp);
    ts.dedup();
    let det = ts
        .iter()
        .map(|&t| {
            let (a, b) = rates(&g, &i, t);
            (round(t, 4), round(a, 6), round(b, 6))
        })
        .collect();
    let bin = |s: f64| (s / 0.05).floor() as i32;
    let mut hist: BTreeMap<i32, (u32, u32)> = BTreeMap::new();
    for s in &g {
        hist.entry(bin(*s)).or_default().0 += 1;
    }
    for s in &i {
        hist.entry(bin(*s)).or_default().1 += 1;
    }
    let n_i = i.len();
    Biometrics {
        genuine: g.len(),
        impostor: n_i,
        threshold: threshold.map(|t| round(t, 4)),
        det,
        histogram: hist
            .into_iter()
            .map(|(b, (x, y))| (round(f64::from(b) * 0.05, 2), x, y))
            .collect(),
        note: format!(
            "Scores are those of the run's own capture attempts. With {n_i} impostor comparisons \
             an observed FMR of 0 only bounds the true FMR below {} (rule of three, 95 %); the \
             number of distinct faces in the face set limits how many independent comparisons \
             exist. Each distinct (portrait, presentation) was matched once per run and reused.",
            if n_i > 0 {
                format!("{:.4}", 3.0 / n_i as f64)
            } else {
                "— (none)".into()
            }
        ),
    }
}

/// Builds the report of a run.
pub fn build(
    c: &Checked,
    out: &Outcome,
    reproduction: Reproduction,
    wall_s: f64,
    cases: Vec<CaseResult>,
) -> Report {
    let records = &out.records;
    let gates = c.scenario.gates.count;
    let mut outcomes: BTreeMap<String, u32> = BTreeMap::new();
    let mut by_type: BTreeMap<String, BTreeMap<String, u32>> = BTreeMap::new();
    let mut reasons: BTreeMap<String, u32> = BTreeMap::new();
    let mut pad: BTreeMap<String, BTreeMap<String, u32>> = BTreeMap::new();
    let mut s = Summary {
        travellers: records.len(),
        gates,
        virtual_s: out.end_s,
        per_gate: out.gates.clone(),
        ..Summary::default()
    };
    for r in records {
        *outcomes.entry(r.outcome.into()).or_default() += 1;
        let t = by_type.entry(r.ty.into()).or_default();
        *t.entry(r.outcome.into()).or_default() += 1;
        *t.entry("as_expected".into()).or_default() += u32::from(r.as_expected);
        if let Some(reason) = r.reason {
            *reasons.entry(reason.into()).or_default() += 1;
        }
        let species = r.pad_species.unwrap_or("bona_fide");
        if r.pad.is_some() || r.pad_species.is_some() {
            let p = pad.entry(species.into()).or_default();
            *p.entry(format!("pad_{}", r.pad.unwrap_or("not_reached")))
                .or_default() += 1;
            *p.entry(format!("outcome_{}", r.outcome)).or_default() += 1;
        }
        s.passages += usize::from(r.transaction_s.is_some());
        s.through += u32::from(r.through);
        s.trapped += u32::from(r.trapped);
        s.attacks += u32::from(r.attack);
        s.attacks_through += u32::from(r.attack && r.through);
        s.as_expected += u32::from(r.as_expected);
    }
    s.outcomes = outcomes;
    let first = records.iter().map(|r| r.arrived_s).fold(f64::MAX, f64::min);
    let last = records.iter().filter_map(|r| r.left_s).fold(0.0, f64::max);
    let span_h = ((last - first.min(last)) / 3600.0).max(1e-9);
    let served = records.iter().filter(|r| r.gate.is_some()).count() as f64;
    s.throughput_per_gate_h = round(served / span_h / f64::from(gates.max(1)), 1);
    let busy: f64 = out.gates.iter().map(|g| g.1).sum();
    let n: u32 = out.gates.iter().map(|g| g.0).sum();
    s.capacity_per_gate_h = if busy > 0.0 {
        round(3600.0 / (busy / f64::from(n.max(1))), 1)
    } else {
        0.0
    };
    // Throughput in 5-minute windows of the time travellers left.
    let window = 300.0;
    let mut tp: BTreeMap<u64, u32> = BTreeMap::new();
    for r in records.iter().filter(|r| r.gate.is_some()) {
        if let Some(l) = r.left_s {
            *tp.entry((l / window).floor() as u64).or_default() += 1;
        }
    }
    let top = tp.keys().next_back().copied().unwrap_or(0);
    let throughput = (0..=top)
        .map(|w| {
            let k = f64::from(tp.get(&w).copied().unwrap_or(0));
            (
                (w + 1) as f64 * window,
                round(k * 3600.0 / window / f64::from(gates.max(1)), 1),
            )
        })
        .collect();
    let times = times(records);
    let bio = biometrics(records);
    let mut model: BTreeMap<String, serde_json::Value> = BTreeMap::new();
    if let Ok(serde_json::Value::Object(m)) = serde_json::to_value(&c.scenario.timing) {
        for (k, v) in m {
            model.insert(format!("timing.{k}"), v);
        }
    }
    model.insert("source".into(), "docs/passage-timing.md".into());
    let (officer_s, clock_note) = match out.clock {
        crate::engine::Clock::Virtual => (
            crate::engine::OFFICER_RESPONSE_S,
            "Virtual time: the gates, the Modbus frames, the chip reads and the face models \
             are real; walking, door travel and the chip link follow the modelled durations; \
             face inference costs no virtual time."
                .to_string(),
        ),
        crate::engine::Clock::RealTime => (
            crate::realtime::OFFICER_RESPONSE_S,
            crate::realtime::SUPPORTED.to_string(),
        ),
    };
    model.insert("officer_response_s".into(), officer_s.into());
    model.insert("clock".into(), out.clock.as_str().into());
    model.insert(
        "documents_per_kind".into(),
        (crate::engine::population::DOCUMENTS_PER_KIND as u64).into(),
    );
    model.insert("layout".into(), c.layout.as_str().into());
    model.insert("liveness".into(), c.liveness.as_str().into());
    model.insert("date".into(), c.scenario.date.clone().into());
    let mut criteria: Vec<CriterionResult> = c
        .criteria
        .iter()
        .map(|k| evaluate(k, records, &out.faults, &s, &times))
        .collect();
    for case in &cases {
        criteria.push(CriterionResult {
            criterion: format!("case {}", case.id),
            value: None,
            passed: case.passed,
            detail: format!("expected {}; {}", case.expected, case.actual),
        });
    }
    let verdict = if criteria.iter().all(|c| c.passed) {
        "pass"
    } else {
        "fail"
    };
    let mut engine = BTreeMap::new();
    engine.insert("face_checks_computed".into(), out.face_cache.0);
    engine.insert("face_checks_reused".into(), out.face_cache.1);
    engine.insert("chip_reads".into(), out.chip_reads);
    engine.insert("modbus_requests".into(), out.frames.0);
    engine.insert("modbus_answers".into(), out.frames.1);
    engine.insert("face_identities".into(), out.identities.len() as u64);
    Report {
        format: FORMAT,
        generated_at: String::new(),
        verdict,
        clock: out.clock.as_str(),
        clock_note,
        name: c.scenario.name.clone(),
        model,
        summary: s,
        transaction_s: times,
        throughput,
        queue: out.samples.clone(),
        biometrics: bio,
        outcomes_by_type: by_type,
        referral_reasons: reasons,
        faults: out.faults.clone(),
        pad,
        criteria,
        cases,
        travellers: records.clone(),
        reproduction,
        measured: Measured {
            wall_s: round(wall_s, 3),
            speedup: if wall_s > 0.0 {
                round(out.end_s / wall_s, 1)
            } else {
                0.0
            },
            resources: out.resources.clone(),
        },
        engine,
    }
}

fn evaluate(
    k: &Criterion,
    records: &[Record],
    faults: &[FaultRecord],
    s: &Summary,
    t: &Times,
) -> CriterionResult {
    let (value, passed, detail) = match k {
        Criterion::FnmrAtFmr { op, fnmr, fmr } => {
            let (g, i, _) = scores(records);
            match fnmr_at_fmr(&g, &i, *fmr) {
                Some((thr, v)) => (
                    Some(round(v, 6)),
                    op.holds(v, *fnmr),
                    format!(
                        "FNMR {v:.4} at threshold {thr:.4} (FMR at most {fmr}; {} genuine, {} impostor comparisons)",
                        g.len(),
                        i.len()
                    ),
                ),
                None => (
                    None,
                    false,
                    format!(
                        "not measurable: {} genuine and {} impostor comparisons (both are needed)",
                        g.len(),
                        i.len()
                    ),
                ),
            }
        }
        Criterion::Bound { metric, op, bound } => {
            let genuine: Vec<&Record> = records
                .iter()
                .filter(|r| r.expected == "accepted")
                .collect();
            let value = match metric {
                Metric::MedianTransaction => Some(t.p50),
                Metric::P95Transaction => Some(t.p95),
                Metric::MeanTransaction => Some(t.mean),
                Metric::ThroughputPerGate => Some(s.throughput_per_gate_h),
                Metric::FalseReferralRate => (!genuine.is_empty()).then(|| {
                    genuine.iter().filter(|r| r.outcome != "accepted").count() as f64
                        / genuine.len() as f64
                }),
                Metric::AttackAcceptRate => {
                    (s.attacks > 0).then(|| f64::from(s.attacks_through) / f64::from(s.attacks))
                }
                Metric::MaxRecovery => {
                    if faults.iter().any(|f| f.recovery_s.is_none()) {
                        Some(f64::INFINITY)
                    } else {
                        Some(
                            faults
                                .iter()
                                .filter_map(|f| f.recovery_s)
                                .fold(0.0, f64::max),
                        )
                    }
                }
            };
            match value {
                Some(v) => (
                    v.is_finite().then_some(round(v, 4)),
                    op.holds(v, *bound),
                    if v.is_finite() {
                        format!("{metric} = {}", round(v, 4))
                    } else {
                        format!("{metric}: a fault never recovered")
                    },
                ),
                None => (None, false, format!("{metric}: no traveller it applies to")),
            }
        }
        Criterion::NobodyTrapped => (
            Some(f64::from(s.trapped)),
            s.trapped == 0,
            format!("{} traveller(s) left inside a lane", s.trapped),
        ),
        Criterion::EveryAttackReferred => (
            Some(f64::from(s.attacks_through)),
            s.attacks_through == 0,
            format!(
                "{} of {} attacks got through the exit",
                s.attacks_through, s.attacks
            ),
        ),
        Criterion::EveryCaseAsExpected => {
            let bad = records.iter().filter(|r| !r.as_expected).count();
            (
                Some(bad as f64),
                bad == 0,
                format!("{bad} traveller(s) did not end as expected"),
            )
        }
    };
    CriterionResult {
        criterion: k.to_string(),
        value,
        passed,
        detail,
    }
}

/// The report as JSON (pretty, keys in a fixed order).
pub fn json(r: &Report) -> String {
    serde_json::to_string_pretty(r).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let v: Vec<f64> = (1..=10).map(f64::from).collect();
        assert_eq!(percentile(&v, 50.0), 5.0);
        assert_eq!(percentile(&v, 95.0), 10.0);
        assert_eq!(percentile(&v, 0.0), 1.0);
        assert_eq!(percentile(&[], 50.0), 0.0);
    }

    #[test]
    fn fnmr_at_fmr_picks_the_lowest_threshold_that_keeps_the_fmr() {
        let genuine = [0.9, 0.8, 0.7, 0.3];
        let impostor = [0.1, 0.2, 0.75];
        // FMR <= 0: the threshold must be above 0.75; then 0.3 and 0.7 fail → FNMR 0.5.
        let (t, fnmr) = fnmr_at_fmr(&genuine, &impostor, 0.0005).unwrap();
        assert_eq!(t, 0.8);
        assert_eq!(fnmr, 0.5);
        // FMR <= 1/3: threshold 0.3 keeps only 0.75 above → FNMR 0.
        assert_eq!(fnmr_at_fmr(&genuine, &impostor, 0.34), Some((0.3, 0.0)));
        assert_eq!(fnmr_at_fmr(&genuine, &[], 0.1), None);
    }
}
