//! Statistics from audit trails, sans-IO: feed records ([`Collector::feed`]), ask for a
//! [`Report`] over a time window. `egate audit stats` and the console's statistics page both
//! use it, so the two show the same figures, and both survive a restart because the trail
//! does.
//!
//! What the report holds: passages by outcome and reason, transaction-time percentiles, per
//! step (document, face, liveness) the failure-to-acquire rate and a false-rejection
//! estimate, availability per gate, and alarms with the officers' response times. What it
//! never holds: a document pseudonym, an officer's id or comment, any per-passage value that
//! could be tied to a traveller — only counts, rates and percentiles.
//!
//! Vocabulary (ISO/IEC 19795-1 §4.6 and 19795-2 §7): a *transaction* is the sequence of
//! attempts of one step for one passage; *failure to acquire* (FTA) is a transaction that
//! ended without a usable sample (no chip read, no face, no liveness decision); a *false
//! rejection* is a genuine user's transaction that ended in a refusal. The trail cannot
//! tell genuine travellers from impostors, so the false-rejection figure here is an
//! estimate that takes every acquired transaction as genuine: an upper bound of the
//! false-rejection rate, exact when no impostor came.
//!
//! Which gate a record belongs to: `data.gate` when present (the lanes of one daemon share
//! its trail), else the record's `gate`.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::Value;

/// The steps reported, with their failure-to-acquire reasons (every other failure of the
/// step is a rejection).
const DOCUMENT_FTA: &[&str] = &["chip_read_failed", "chip_read_timeout", "dg_unreadable"];
const FACE_FTA: &[&str] = &[
    "no_face",
    "poor_quality",
    "multiple_faces",
    "capture_timeout",
];
/// Failures of the face transaction that belong to the liveness step.
const LIVENESS_FTA: &[&str] = &["liveness_inconclusive", "liveness_unavailable"];
const LIVENESS_REJECT: &[&str] = &["presentation_attack"];
/// A face transaction that ended because consent was refused measured nothing.
const NOT_MEASURED: &[&str] = &["declined_biometrics"];

/// Record kinds written by a gate's driver: they make a gate known to the availability count.
const GATE_KINDS: &[&str] = &[
    "phase",
    "passage",
    "passage_started",
    "transaction",
    "attempt",
    "device",
    "alarm",
    "condition",
    "safe_state",
    "officer_action",
    "document_decision",
    "occupancy",
];

/// A closed-open time window in Unix milliseconds; `None` is unbounded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Window {
    /// First millisecond counted.
    pub from_ms: Option<u64>,
    /// First millisecond no longer counted.
    pub to_ms: Option<u64>,
}

impl Window {
    fn contains(&self, ts: u64) -> bool {
        self.from_ms.is_none_or(|f| ts >= f) && self.to_ms.is_none_or(|t| ts < t)
    }
}

/// One passage as the trail recorded it (no pseudonym, no personal data).
#[derive(Debug, Clone, PartialEq)]
pub struct PassageRow {
    /// When it ended (Unix ms).
    pub ts_ms: u64,
    /// The gate.
    pub gate: String,
    /// accepted, referred, released_by_officer, aborted.
    pub outcome: String,
    /// The reason code, when not accepted.
    pub reason: Option<String>,
    /// Transaction time, document presented to end.
    pub took_ms: u64,
    /// checked, not_checked, not_reached.
    pub liveness: String,
}

#[derive(Debug, Clone)]
struct TransactionRow {
    ts_ms: u64,
    gate: String,
    step: String,
    attempts: u64,
    failure: Option<String>,
    took_ms: u64,
}

/// An alarm as the trail recorded it, with its acknowledgement.
#[derive(Debug, Clone, PartialEq)]
pub struct AlarmRow {
    /// The gate that raised it.
    pub gate: String,
    /// Its id at that gate (the sequence number of the gate's `alarm` record).
    pub alarm: u64,
    /// Reason code.
    pub reason: String,
    /// When it was raised (Unix ms).
    pub ts_ms: u64,
    /// The acknowledgement, once given.
    pub ack: Option<AckRow>,
}

/// An officer's acknowledgement (for the console's queue; never in a [`Report`]).
#[derive(Debug, Clone, PartialEq)]
pub struct AckRow {
    /// Officer id.
    pub officer: String,
    /// Comment.
    pub comment: String,
    /// When (Unix ms).
    pub ts_ms: u64,
}

/// The state of a gate for availability.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum LaneState {
    InService,
    LaneClosed,
    OutOfService,
    Emergency,
    Fault,
    NotRunning,
}

impl LaneState {
    fn of_phase(phase: &str) -> LaneState {
        match phase {
            "lane_closed" => LaneState::LaneClosed,
            "out_of_service" => LaneState::OutOfService,
            "emergency" => LaneState::Emergency,
            "fault" => LaneState::Fault,
            "stopped" => LaneState::NotRunning,
            _ => LaneState::InService,
        }
    }
}

#[derive(Debug, Default, Clone)]
struct GateTrack {
    /// (from when, state), in record order.
    changes: Vec<(u64, LaneState)>,
}

/// Accumulates records of one or more trails.
#[derive(Debug, Default)]
pub struct Collector {
    passages: Vec<PassageRow>,
    transactions: Vec<TransactionRow>,
    alarms: Vec<AlarmRow>,
    gates: BTreeMap<String, GateTrack>,
    /// Trail gate id → its lanes, and the time of its last `daemon_started`.
    trails: BTreeMap<String, (BTreeSet<String>, Option<u64>)>,
    first_ms: Option<u64>,
    last_ms: Option<u64>,
    records: u64,
    unreadable: u64,
}

fn str_of<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

fn u64_of(v: &Value, key: &str) -> Option<u64> {
    v.get(key).and_then(Value::as_u64)
}

/// The step names of a transaction record (`document_read` or its `Debug` form).
fn step_name(s: &str) -> &str {
    match s {
        "DocumentRead" | "document_read" => "document",
        "Face" | "face" => "face",
        "BorderDb" | "borderdb" => "borderdb",
        other => other,
    }
}

impl Collector {
    /// An empty collector.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records fed so far, and lines that were not records (skipped).
    pub fn counts(&self) -> (u64, u64) {
        (self.records, self.unreadable)
    }

    /// Takes one line of a trail (a line that is not a record is counted and skipped).
    pub fn feed_line(&mut self, line: &str) {
        match serde_json::from_str::<Value>(line) {
            Ok(v) if v.is_object() => self.feed(&v),
            _ if line.trim().is_empty() => {}
            _ => self.unreadable += 1,
        }
    }

    /// Takes one record (`{"seq","ts_ms","gate","kind","data",..}`).
    pub fn feed(&mut self, r: &Value) {
        let (Some(ts), Some(kind)) = (u64_of(r, "ts_ms"), str_of(r, "kind")) else {
            self.unreadable += 1;
            return;
        };
        self.records += 1;
        self.first_ms = Some(self.first_ms.map_or(ts, |f| f.min(ts)));
        self.last_ms = Some(self.last_ms.map_or(ts, |l| l.max(ts)));
        let trail = str_of(r, "gate").unwrap_or("").to_string();
        let empty = Value::Null;
        let data = r.get("data").unwrap_or(&empty);
        let gate = str_of(data, "gate").unwrap_or(&trail).to_string();
        if GATE_KINDS.contains(&kind) {
            self.know_gate(&trail, &gate, ts);
        }
        match kind {
            "daemon_started" | "daemon_stopped" => {
                let state = if kind == "daemon_started" {
                    LaneState::InService
                } else {
                    LaneState::NotRunning
                };
                let entry = self.trails.entry(trail).or_default();
                if kind == "daemon_started" {
                    entry.1 = Some(ts);
                }
                for lane in entry.0.clone() {
                    self.change(&lane, ts, state);
                }
            }
            "phase" => {
                if let Some(to) = str_of(data, "to") {
                    self.change(&gate, ts, LaneState::of_phase(to));
                }
            }
            "passage" => self.passages.push(PassageRow {
                ts_ms: ts,
                gate,
                outcome: str_of(data, "outcome").unwrap_or("unknown").to_string(),
                reason: str_of(data, "reason").map(str::to_string),
                took_ms: u64_of(data, "took_ms").unwrap_or(0),
                liveness: str_of(data, "liveness").unwrap_or("").to_string(),
            }),
            // A console's record of a passage a remote gate reported.
            "passage_received" => self.passages.push(PassageRow {
                ts_ms: u64_of(data, "ended_ts_ms").unwrap_or(ts),
                gate,
                outcome: str_of(data, "outcome").unwrap_or("unknown").to_string(),
                reason: str_of(data, "reason").map(str::to_string),
                took_ms: u64_of(data, "took_ms").unwrap_or(0),
                liveness: String::new(),
            }),
            "transaction" => self.transactions.push(TransactionRow {
                ts_ms: ts,
                gate,
                step: step_name(str_of(data, "step").unwrap_or("")).to_string(),
                attempts: u64_of(data, "attempts").unwrap_or(0),
                failure: str_of(data, "failure").map(str::to_string),
                took_ms: u64_of(data, "took_ms").unwrap_or(0),
            }),
            // A gate's own alarm: its id is the record's sequence number.
            "alarm" => {
                if let Some(seq) = u64_of(r, "seq") {
                    self.raise(gate, seq, str_of(data, "reason"), ts);
                }
            }
            // A console's record of an alarm a remote gate raised.
            "alarm_received" => {
                if let Some(id) = u64_of(data, "alarm") {
                    let at = u64_of(data, "raised_ts_ms").unwrap_or(ts);
                    self.raise(gate, id, str_of(data, "reason"), at);
                }
            }
            "alarm_acknowledged" => {
                if let Some(id) = u64_of(data, "alarm") {
                    if let Some(a) = self
                        .alarms
                        .iter_mut()
                        .rev()
                        .find(|a| a.gate == gate && a.alarm == id && a.ack.is_none())
                    {
                        a.ack = Some(AckRow {
                            officer: str_of(data, "officer").unwrap_or("").to_string(),
                            comment: str_of(data, "comment").unwrap_or("").to_string(),
                            ts_ms: ts,
                        });
                    }
                }
            }
            _ => {}
        }
    }

    fn raise(&mut self, gate: String, alarm: u64, reason: Option<&str>, ts: u64) {
        if self
            .alarms
            .iter()
            .any(|a| a.gate == gate && a.alarm == alarm)
        {
            return;
        }
        self.alarms.push(AlarmRow {
            gate,
            alarm,
            reason: reason.unwrap_or("unknown").to_string(),
            ts_ms: ts,
            ack: None,
        });
    }

    fn know_gate(&mut self, trail: &str, gate: &str, ts: u64) {
        if self.gates.contains_key(gate) {
            return;
        }
        let entry = self.trails.entry(trail.to_string()).or_default();
        entry.0.insert(gate.to_string());
        // In service since its daemon started, if the trail says when.
        let since = entry.1.filter(|s| *s <= ts).unwrap_or(ts);
        self.gates.insert(
            gate.to_string(),
            GateTrack {
                changes: vec![(since, LaneState::InService)],
            },
        );
    }

    fn change(&mut self, gate: &str, ts: u64, state: LaneState) {
        if let Some(g) = self.gates.get_mut(gate) {
            g.changes.push((ts, state));
        }
    }

    /// The passages fed so far, in record order.
    pub fn passages(&self) -> &[PassageRow] {
        &self.passages
    }

    /// Every alarm fed so far with its acknowledgement, in the order raised.
    pub fn alarms(&self) -> &[AlarmRow] {
        &self.alarms
    }

    /// The figures over `window`, for every gate or (with `gate`) one.
    pub fn report(&self, window: Window, gate: Option<&str>) -> Report {
        let from = window.from_ms.or(self.first_ms).unwrap_or(0);
        let to = window
            .to_ms
            .or(self.last_ms.map(|l| l.saturating_add(1)))
            .unwrap_or(from);
        let mine = |g: &str| gate.is_none_or(|x| x == g);
        let mut r = Report {
            from_ms: from,
            to_ms: to,
            ..Report::default()
        };
        let mut took = Vec::new();
        let mut took_by_outcome: BTreeMap<String, Vec<u64>> = BTreeMap::new();
        let mut liveness = StepCounter::default();
        for p in self
            .passages
            .iter()
            .filter(|p| window.contains(p.ts_ms) && mine(&p.gate))
        {
            r.passages += 1;
            *r.outcomes.entry(p.outcome.clone()).or_default() += 1;
            let reason = p.reason.clone().unwrap_or_else(|| "none".into());
            match p.outcome.as_str() {
                "referred" => *r.referral_reasons.entry(reason.clone()).or_default() += 1,
                "aborted" => *r.abort_reasons.entry(reason.clone()).or_default() += 1,
                _ => {}
            }
            let g = r.gates.entry(p.gate.clone()).or_default();
            g.passages += 1;
            *g.outcomes
                .entry(p.outcome.clone())
                .or_default()
                .entry(reason)
                .or_default() += 1;
            took.push(p.took_ms);
            took_by_outcome
                .entry(p.outcome.clone())
                .or_default()
                .push(p.took_ms);
            if p.liveness == "checked" {
                let r = p.reason.as_deref().unwrap_or("");
                let failure = if LIVENESS_FTA.contains(&r) {
                    Some(true)
                } else if LIVENESS_REJECT.contains(&r) {
                    Some(false)
                } else {
                    liveness.accepted += 1;
                    None
                };
                liveness.add(failure, 1, None);
            }
        }
        r.transaction_time_ms = Percentiles::of(&mut took);
        r.transaction_time_ms_by_outcome = took_by_outcome
            .into_iter()
            .map(|(o, mut v)| (o, Percentiles::of(&mut v)))
            .collect();
        let mut steps: BTreeMap<&str, StepCounter> = BTreeMap::new();
        for t in self
            .transactions
            .iter()
            .filter(|t| window.contains(t.ts_ms) && mine(&t.gate))
        {
            let f = t.failure.as_deref();
            let (step, fta) = match t.step.as_str() {
                "document" => ("document", DOCUMENT_FTA),
                "face" => ("face", FACE_FTA),
                _ => continue,
            };
            if f.is_some_and(|f| {
                NOT_MEASURED.contains(&f)
                    || LIVENESS_FTA.contains(&f)
                    || LIVENESS_REJECT.contains(&f)
            }) {
                // Measured by the liveness step, or not at all.
                steps
                    .entry(step)
                    .or_default()
                    .add(None, t.attempts, Some(t.took_ms));
                continue;
            }
            let counter = steps.entry(step).or_default();
            counter.add(f.map(|f| fta.contains(&f)), t.attempts, Some(t.took_ms));
            if f.is_none() {
                counter.accepted += 1;
            }
        }
        for (name, c) in steps {
            r.steps.insert(name.to_string(), c.finish());
        }
        r.steps.insert("liveness".into(), liveness.finish());
        for (name, track) in self.gates.iter().filter(|(g, _)| mine(g)) {
            let a = availability(&track.changes, from, to);
            r.gates.entry(name.clone()).or_default().availability = a;
        }
        let mut response = Vec::new();
        for a in self
            .alarms
            .iter()
            .filter(|a| window.contains(a.ts_ms) && mine(&a.gate))
        {
            r.alarms.raised += 1;
            *r.alarms.by_reason.entry(a.reason.clone()).or_default() += 1;
            match &a.ack {
                Some(ack) => {
                    r.alarms.acknowledged += 1;
                    response.push(ack.ts_ms.saturating_sub(a.ts_ms));
                }
                None => r.alarms.open += 1,
            }
            *r.gates
                .entry(a.gate.clone())
                .or_default()
                .alarms
                .entry(a.reason.clone())
                .or_default() += 1;
        }
        r.alarms.response_time_ms = Percentiles::of(&mut response);
        r
    }
}

#[derive(Default)]
struct StepCounter {
    transactions: u64,
    attempts: u64,
    accepted: u64,
    fta: u64,
    rejected: u64,
    took: Vec<u64>,
}

impl StepCounter {
    /// `failure`: `Some(true)` failed to acquire, `Some(false)` rejected, `None` neither.
    fn add(&mut self, failure: Option<bool>, attempts: u64, took: Option<u64>) {
        self.transactions += 1;
        self.attempts += attempts;
        match failure {
            Some(true) => self.fta += 1,
            Some(false) => self.rejected += 1,
            None => {}
        }
        if let Some(t) = took {
            self.took.push(t);
        }
    }

    fn finish(mut self) -> StepStats {
        let acquired = self.transactions - self.fta;
        StepStats {
            transactions: self.transactions,
            attempts: self.attempts,
            accepted: self.accepted,
            failed_to_acquire: self.fta,
            rejected: self.rejected,
            fta_rate: ratio(self.fta, self.transactions),
            false_rejection_estimate: ratio(self.rejected, acquired),
            time_ms: Percentiles::of(&mut self.took),
        }
    }
}

fn ratio(n: u64, d: u64) -> Option<f64> {
    (d > 0).then(|| n as f64 / d as f64)
}

/// Time in each state between `from` and `to`, from a gate's state changes.
fn availability(changes: &[(u64, LaneState)], from: u64, to: u64) -> Availability {
    let mut ms: BTreeMap<LaneState, u64> = BTreeMap::new();
    let first = changes.first().map_or(to, |c| c.0);
    for (i, (at, state)) in changes.iter().enumerate() {
        let end = changes.get(i + 1).map_or(to, |n| n.0);
        let (s, e) = ((*at).max(from), end.min(to));
        if e > s {
            *ms.entry(*state).or_default() += e - s;
        }
    }
    let get = |s| ms.get(&s).copied().unwrap_or(0);
    let observed = to.saturating_sub(first.max(from));
    Availability {
        observed_ms: observed,
        in_service_ms: get(LaneState::InService),
        lane_closed_ms: get(LaneState::LaneClosed),
        out_of_service_ms: get(LaneState::OutOfService),
        emergency_ms: get(LaneState::Emergency),
        fault_ms: get(LaneState::Fault),
        not_running_ms: get(LaneState::NotRunning),
        ratio: ratio(get(LaneState::InService), observed),
    }
}

/// Nearest-rank percentiles (the smallest value with at least p·n values at or below it).
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Percentiles {
    /// Values counted.
    pub count: u64,
    /// Median.
    pub p50: Option<u64>,
    /// 90th percentile.
    pub p90: Option<u64>,
    /// 95th percentile.
    pub p95: Option<u64>,
    /// 99th percentile.
    pub p99: Option<u64>,
    /// Largest.
    pub max: Option<u64>,
}

impl Percentiles {
    /// Of `values` (sorted in place).
    pub fn of(values: &mut [u64]) -> Self {
        values.sort_unstable();
        let n = values.len();
        let at = |p: f64| -> Option<u64> {
            if n == 0 {
                return None;
            }
            let rank = ((p * n as f64).ceil() as usize).clamp(1, n);
            Some(values[rank - 1])
        };
        Self {
            count: n as u64,
            p50: at(0.50),
            p90: at(0.90),
            p95: at(0.95),
            p99: at(0.99),
            max: values.last().copied(),
        }
    }
}

/// One step's figures.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct StepStats {
    /// Transactions (one per passage that reached the step).
    pub transactions: u64,
    /// Attempts in them.
    pub attempts: u64,
    /// Transactions that ended with the step passed (liveness: passages it took part in
    /// that it did not end).
    pub accepted: u64,
    /// Transactions that ended without a usable sample.
    pub failed_to_acquire: u64,
    /// Acquired transactions that ended in a refusal.
    pub rejected: u64,
    /// failed_to_acquire / transactions.
    pub fta_rate: Option<f64>,
    /// rejected / acquired transactions: the false-rejection rate if every traveller was
    /// genuine (an upper bound; see the module documentation).
    pub false_rejection_estimate: Option<f64>,
    /// The step's transaction times.
    pub time_ms: Percentiles,
}

/// A gate's time in and out of service over the window.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Availability {
    /// From the gate's first record (or the window's start) to the window's end.
    pub observed_ms: u64,
    /// Taking travellers (idle or in a passage).
    pub in_service_ms: u64,
    /// Lane closed.
    pub lane_closed_ms: u64,
    /// Out of service by an officer.
    pub out_of_service_ms: u64,
    /// Fire alarm or emergency button.
    pub emergency_ms: u64,
    /// Device fault.
    pub fault_ms: u64,
    /// Daemon stopped (between `daemon_stopped` and the next `daemon_started`).
    pub not_running_ms: u64,
    /// in_service / observed.
    pub ratio: Option<f64>,
}

/// One gate's figures.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct GateStats {
    /// Passages ended.
    pub passages: u64,
    /// Passages by outcome, then reason (`none` when accepted).
    pub outcomes: BTreeMap<String, BTreeMap<String, u64>>,
    /// Alarms raised, by reason.
    pub alarms: BTreeMap<String, u64>,
    /// Time in service.
    pub availability: Availability,
}

/// Alarms and how long officers took to acknowledge them.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct AlarmStats {
    /// Alarms raised.
    pub raised: u64,
    /// By reason.
    pub by_reason: BTreeMap<String, u64>,
    /// Acknowledged.
    pub acknowledged: u64,
    /// Still open.
    pub open: u64,
    /// Raised to acknowledged.
    pub response_time_ms: Percentiles,
}

/// The figures over a window.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Report {
    /// Window start (Unix ms).
    pub from_ms: u64,
    /// Window end, exclusive (Unix ms).
    pub to_ms: u64,
    /// Passages ended.
    pub passages: u64,
    /// By outcome.
    pub outcomes: BTreeMap<String, u64>,
    /// Referred passages by reason.
    pub referral_reasons: BTreeMap<String, u64>,
    /// Aborted passages by reason.
    pub abort_reasons: BTreeMap<String, u64>,
    /// Passage transaction time, document presented to end.
    pub transaction_time_ms: Percentiles,
    /// The same, by outcome.
    pub transaction_time_ms_by_outcome: BTreeMap<String, Percentiles>,
    /// document, face, liveness.
    pub steps: BTreeMap<String, StepStats>,
    /// Per gate.
    pub gates: BTreeMap<String, GateStats>,
    /// Alarms.
    pub alarms: AlarmStats,
}

impl Report {
    /// The report as CSV: `section,gate,key,value` rows (gate empty for the whole set).
    pub fn to_csv(&self) -> String {
        let mut c = Csv(String::from("section,gate,key,value\n"));
        let optf = |v: Option<f64>| v.map(|v| format!("{v:.6}")).unwrap_or_default();
        c.row("window", "", "from_ms", self.from_ms);
        c.row("window", "", "to_ms", self.to_ms);
        c.row("passages", "", "total", self.passages);
        for (k, v) in &self.outcomes {
            c.row("outcome", "", k, v);
        }
        for (k, v) in &self.referral_reasons {
            c.row("referral_reason", "", k, v);
        }
        for (k, v) in &self.abort_reasons {
            c.row("abort_reason", "", k, v);
        }
        c.pct("transaction_time_ms", "", &self.transaction_time_ms);
        for (step, s) in &self.steps {
            let section = format!("step_{step}");
            c.pct(&format!("{section}_time_ms"), "", &s.time_ms);
            c.row(&section, "", "transactions", s.transactions);
            c.row(&section, "", "attempts", s.attempts);
            c.row(&section, "", "accepted", s.accepted);
            c.row(&section, "", "failed_to_acquire", s.failed_to_acquire);
            c.row(&section, "", "rejected", s.rejected);
            c.row(&section, "", "fta_rate", optf(s.fta_rate));
            c.row(
                &section,
                "",
                "false_rejection_estimate",
                optf(s.false_rejection_estimate),
            );
        }
        for (gate, g) in &self.gates {
            c.row("gate", gate, "passages", g.passages);
            for (o, reasons) in &g.outcomes {
                for (reason, n) in reasons {
                    c.row("gate_outcome", gate, &format!("{o}/{reason}"), n);
                }
            }
            for (reason, n) in &g.alarms {
                c.row("gate_alarm", gate, reason, n);
            }
            let a = &g.availability;
            c.row("availability", gate, "observed_ms", a.observed_ms);
            c.row("availability", gate, "in_service_ms", a.in_service_ms);
            c.row("availability", gate, "lane_closed_ms", a.lane_closed_ms);
            c.row(
                "availability",
                gate,
                "out_of_service_ms",
                a.out_of_service_ms,
            );
            c.row("availability", gate, "emergency_ms", a.emergency_ms);
            c.row("availability", gate, "fault_ms", a.fault_ms);
            c.row("availability", gate, "not_running_ms", a.not_running_ms);
            c.row("availability", gate, "ratio", optf(a.ratio));
        }
        c.row("alarms", "", "raised", self.alarms.raised);
        c.row("alarms", "", "acknowledged", self.alarms.acknowledged);
        c.row("alarms", "", "open", self.alarms.open);
        for (k, v) in &self.alarms.by_reason {
            c.row("alarm_reason", "", k, v);
        }
        c.pct("alarm_response_time_ms", "", &self.alarms.response_time_ms);
        c.0
    }
}

struct Csv(String);

impl Csv {
    fn row(&mut self, section: &str, gate: &str, key: &str, value: impl std::fmt::Display) {
        self.0.push_str(&format!(
            "{},{},{},{}\n",
            csv_field(section),
            csv_field(gate),
            csv_field(key),
            csv_field(&value.to_string())
        ));
    }

    fn pct(&mut self, section: &str, gate: &str, p: &Percentiles) {
        let opt = |v: Option<u64>| v.map(|v| v.to_string()).unwrap_or_default();
        self.row(section, gate, "count", p.count);
        self.row(section, gate, "p50", opt(p.p50));
        self.row(section, gate, "p90", opt(p.p90));
        self.row(section, gate, "p95", opt(p.p95));
        self.row(section, gate, "p99", opt(p.p99));
        self.row(section, gate, "max", opt(p.max));
    }
}

/// RFC 4180: a field with a comma, quote or line break is quoted, quotes doubled.
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// Parses a time for `--from`/`--to`: Unix milliseconds, or an RFC 3339 UTC date-time
/// (`2026-12-06T03:00:00Z`, seconds optional) or date (`2026-12-06`, midnight UTC).
pub fn parse_time(s: &str) -> Result<u64, String> {
    let s = s.trim();
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        return s.parse().map_err(|e| format!("{s:?}: {e}"));
    }
    let bad =
        || format!("{s:?}: expected Unix milliseconds, YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS]Z (UTC)");
    let (date, time) = match s.split_once(['T', ' ']) {
        Some((d, t)) => (d, Some(t.strip_suffix('Z').ok_or_else(bad)?)),
        None => (s, None),
    };
    let num = |t: &str, len: usize| -> Result<i64, String> {
        if t.len() == len && t.bytes().all(|b| b.is_ascii_digit()) {
            t.parse().map_err(|_| bad())
        } else {
            Err(bad())
        }
    };
    let d: Vec<&str> = date.split('-').collect();
    let [y, m, dd] = d[..] else { return Err(bad()) };
    let (y, m, dd) = (num(y, 4)?, num(m, 2)?, num(dd, 2)?);
    // Only dates that exist (no 2026-02-30).
    let date = u16::try_from(y)
        .ok()
        .zip(u8::try_from(m).ok())
        .zip(u8::try_from(dd).ok())
        .and_then(|((y, m), d)| gate::CivilDate::new(y, m, d).ok())
        .ok_or_else(bad)?;
    let mut secs = date.day_number() * 86_400;
    if let Some(t) = time {
        let parts: Vec<&str> = t.split(':').collect();
        let (h, mi, se) = match parts[..] {
            [h, mi] => (num(h, 2)?, num(mi, 2)?, 0),
            [h, mi, se] => (num(h, 2)?, num(mi, 2)?, num(se, 2)?),
            _ => return Err(bad()),
        };
        if h > 23 || mi > 59 || se > 59 {
            return Err(bad());
        }
        secs += h * 3600 + mi * 60 + se;
    }
    u64::try_from(secs * 1000).map_err(|_| bad())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rec(seq: u64, ts: u64, kind: &str, data: Value) -> Value {
        json!({ "seq": seq, "ts_ms": ts, "gate": "gate-1", "kind": kind, "data": data })
    }

    fn trail() -> Collector {
        let mut c = Collector::new();
        let recs = [
            rec(0, 1_000, "daemon_started", json!({})),
            rec(
                1,
                1_000,
                "device",
                json!({"gate": "g1", "device": "camera", "fault": false}),
            ),
            rec(
                2,
                1_000,
                "device",
                json!({"gate": "g2", "device": "camera", "fault": false}),
            ),
            rec(
                3,
                2_000,
                "transaction",
                json!({"gate": "g1", "passage": 1, "step": "DocumentRead", "attempts": 1, "failure": null, "took_ms": 900}),
            ),
            rec(
                4,
                3_000,
                "transaction",
                json!({"gate": "g1", "passage": 1, "step": "Face", "attempts": 2, "failure": null, "took_ms": 2100}),
            ),
            rec(
                5,
                4_000,
                "passage",
                json!({"gate": "g1", "passage": 1, "outcome": "accepted", "reason": null, "liveness": "checked", "took_ms": 9000, "document": "pseudo-xyz"}),
            ),
            rec(
                6,
                5_000,
                "transaction",
                json!({"gate": "g2", "passage": 1, "step": "DocumentRead", "attempts": 3, "failure": "chip_read_failed", "took_ms": 6000}),
            ),
            rec(
                7,
                5_100,
                "passage",
                json!({"gate": "g2", "passage": 1, "outcome": "referred", "reason": "chip_read_failed", "liveness": "not_reached", "took_ms": 6100}),
            ),
            rec(
                8,
                6_000,
                "transaction",
                json!({"gate": "g1", "passage": 2, "step": "DocumentRead", "attempts": 1, "failure": null, "took_ms": 800}),
            ),
            rec(
                9,
                7_000,
                "transaction",
                json!({"gate": "g1", "passage": 2, "step": "Face", "attempts": 1, "failure": "face_mismatch", "took_ms": 1500}),
            ),
            rec(
                10,
                7_100,
                "passage",
                json!({"gate": "g1", "passage": 2, "outcome": "referred", "reason": "face_mismatch", "liveness": "checked", "took_ms": 5000}),
            ),
            rec(
                11,
                7_200,
                "alarm",
                json!({"gate": "g1", "reason": "face_mismatch"}),
            ),
            rec(
                12,
                8_000,
                "phase",
                json!({"gate": "g2", "from": "idle", "to": "out_of_service"}),
            ),
            rec(
                13,
                9_200,
                "alarm_acknowledged",
                json!({"gate": "g1", "alarm": 11, "officer": "olga", "comment": "seen him", "reason": "face_mismatch"}),
            ),
            rec(
                14,
                10_000,
                "phase",
                json!({"gate": "g2", "from": "out_of_service", "to": "idle"}),
            ),
            rec(
                15,
                10_500,
                "alarm",
                json!({"gate": "g2", "reason": "tailgating"}),
            ),
            rec(16, 11_000, "daemon_stopped", json!({})),
        ];
        for r in recs {
            c.feed_line(&r.to_string());
        }
        c.feed_line("not json");
        c
    }

    #[test]
    fn counts_outcomes_steps_availability_and_alarm_response() {
        let c = trail();
        assert_eq!(c.counts(), (17, 1));
        let r = c.report(Window::default(), None);
        assert_eq!(r.passages, 3);
        assert_eq!(r.outcomes["referred"], 2);
        assert_eq!(r.referral_reasons["face_mismatch"], 1);
        assert_eq!(r.transaction_time_ms.p50, Some(6100));
        assert_eq!(r.transaction_time_ms.max, Some(9000));
        let doc = &r.steps["document"];
        assert_eq!(
            (doc.transactions, doc.failed_to_acquire, doc.rejected),
            (3, 1, 0)
        );
        assert_eq!(doc.fta_rate, Some(1.0 / 3.0));
        let face = &r.steps["face"];
        assert_eq!((face.transactions, face.rejected), (2, 1));
        assert_eq!(face.false_rejection_estimate, Some(0.5));
        assert_eq!(r.steps["liveness"].transactions, 2);
        assert_eq!(r.gates["g1"].outcomes["referred"]["face_mismatch"], 1);
        assert_eq!(r.gates["g1"].outcomes["accepted"]["none"], 1);
        // g2: out of service from 8 s to 10 s of 1..11 s; the window ends after the last
        // record (11 s + 1 ms), in which the daemon had stopped.
        let a = &r.gates["g2"].availability;
        assert_eq!(
            (a.observed_ms, a.out_of_service_ms, a.not_running_ms),
            (10_001, 2_000, 1)
        );
        assert_eq!(a.in_service_ms, 8_000);
        assert_eq!(r.alarms.raised, 2);
        assert_eq!((r.alarms.acknowledged, r.alarms.open), (1, 1));
        assert_eq!(r.alarms.response_time_ms.p50, Some(2_000));
        // A window: only the second half.
        let w = Window {
            from_ms: Some(6_000),
            to_ms: Some(11_001),
        };
        let r = c.report(w, Some("g1"));
        assert_eq!(r.passages, 1);
        assert_eq!(r.gates.len(), 1);
        assert_eq!(r.gates["g1"].availability.observed_ms, 5_001);
    }

    #[test]
    fn no_pseudonym_officer_or_comment_reaches_a_report() {
        let r = trail().report(Window::default(), None);
        let json = serde_json::to_string(&r).unwrap();
        let csv = r.to_csv();
        for text in [json, csv] {
            for needle in ["pseudo-xyz", "olga", "seen him"] {
                assert!(!text.contains(needle), "{needle} in {text}");
            }
        }
        // The acknowledgement is kept for the console's queue, not for reports.
        assert_eq!(trail().alarms()[0].ack.as_ref().unwrap().officer, "olga");
    }

    #[test]
    fn an_alarm_is_acknowledged_once_and_a_stray_acknowledgement_changes_nothing() {
        let mut c = Collector::new();
        c.feed(&rec(
            3,
            10,
            "alarm",
            json!({"gate": "g1", "reason": "tailgating"}),
        ));
        // An acknowledgement for another gate's alarm 3, and one for an alarm never raised.
        c.feed(&rec(
            4,
            20,
            "alarm_acknowledged",
            json!({"gate": "g2", "alarm": 3}),
        ));
        c.feed(&rec(
            5,
            30,
            "alarm_acknowledged",
            json!({"gate": "g1", "alarm": 99}),
        ));
        assert!(c.alarms()[0].ack.is_none());
        c.feed(&rec(
            6,
            40,
            "alarm_acknowledged",
            json!({"gate": "g1", "alarm": 3, "officer": "a"}),
        ));
        c.feed(&rec(
            7,
            50,
            "alarm_acknowledged",
            json!({"gate": "g1", "alarm": 3, "officer": "b"}),
        ));
        assert_eq!(c.alarms()[0].ack.as_ref().unwrap().officer, "a");
        // A remote gate's alarm recorded twice by a console is one alarm.
        for seq in [8, 9] {
            c.feed(&rec(
                seq,
                60,
                "alarm_received",
                json!({"gate": "r", "alarm": 1, "reason": "x", "raised_ts_ms": 55}),
            ));
        }
        assert_eq!(c.alarms().len(), 2);
        assert_eq!(c.alarms()[1].ts_ms, 55);
    }

    #[test]
    fn records_without_time_or_kind_are_skipped_not_counted() {
        let mut c = Collector::new();
        c.feed(&json!({"kind": "passage", "data": {"outcome": "accepted"}}));
        c.feed(&json!({"ts_ms": "soon", "kind": "passage"}));
        c.feed_line("[1,2]");
        assert_eq!(c.counts(), (0, 3));
        assert_eq!(c.report(Window::default(), None).passages, 0);
    }

    #[test]
    fn percentiles_are_nearest_rank() {
        let mut v: Vec<u64> = (1..=20).rev().collect();
        let p = Percentiles::of(&mut v);
        assert_eq!(
            (p.p50, p.p90, p.p95, p.p99, p.max),
            (Some(10), Some(18), Some(19), Some(20), Some(20))
        );
        assert_eq!(Percentiles::of(&mut []).p50, None);
    }

    #[test]
    fn times_parse_as_utc_and_bad_ones_name_the_input() {
        assert_eq!(parse_time("1700000000000"), Ok(1_700_000_000_000));
        assert_eq!(parse_time("1970-01-01"), Ok(0));
        // 2024-02-29T12:30:00Z, leap day.
        assert_eq!(parse_time("2024-02-29T12:30:00Z"), Ok(1_709_209_800_000));
        assert_eq!(parse_time("2024-02-29T12:30Z"), Ok(1_709_209_800_000));
        for bad in [
            "2023-02-29",
            "2024-13-01",
            "2024-01-01T24:00Z",
            "2024-01-01T10:00",
            "yesterday",
            "",
        ] {
            let e = parse_time(bad).unwrap_err();
            assert!(e.contains(&format!("{bad:?}")), "{e}");
        }
    }

    #[test]
    fn csv_quotes_fields_that_need_it() {
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"x\""), "\"say \"\"x\"\"\"");
        let csv = trail().report(Window::default(), None).to_csv();
        assert!(csv.starts_with("section,gate,key,value\n"));
        assert!(
            csv.contains("gate_outcome,g1,referred/face_mismatch,1\n"),
            "{csv}"
        );
        assert!(csv.lines().all(|l| l.split(',').count() == 4), "{csv}");
    }
}
