//! The console's view of its bank: one task per gate link forwards the gate's events into one
//! stream for the web pages, and keeps the alarm queue and the passage statistics.
//!
//! Everything kept here is what the audit trail may keep too: reason codes, outcomes, timings,
//! officer ids. No photo or document datum passes through.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use serde::Serialize;
use tokio::sync::broadcast;
use tracing::warn;

use crate::link::{GateEvent, GateEventKind, GateLink, GateStatus};

/// Alarms kept (acknowledged ones are dropped first when full).
const MAX_ALARMS: usize = 1_000;
/// Passages kept for the statistics (the last ones).
const MAX_PASSAGES: usize = 100_000;
/// Upper bounds (seconds) of the transaction-time histogram; the last bucket is open.
pub const DURATION_BUCKETS_S: [u64; 9] = [5, 10, 15, 20, 30, 45, 60, 90, 120];

/// An alarm in the console's queue.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Alarm {
    /// Console-wide id (what the acknowledge endpoint takes).
    pub id: u64,
    /// Gate id.
    pub gate: String,
    /// The gate's own alarm id.
    pub gate_alarm_id: u64,
    /// Reason code (tailgating, pa_failed, face_mismatch, pad_alarm, borderdb_hit,
    /// device_fault, fire_alarm, ...).
    pub reason: String,
    /// When the gate raised it (Unix ms).
    pub ts_ms: u64,
    /// The acknowledgement, once given.
    pub ack: Option<Ack>,
    /// The border database source it is about (`borderdb_unavailable`), else `None`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// When the condition ended (the source answers again), Unix ms; `None` while it lasts
    /// or for alarms about an event.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cleared_ms: Option<u64>,
}

/// An officer's acknowledgement of an alarm.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Ack {
    /// Officer id.
    pub officer: String,
    /// The officer's comment.
    pub comment: String,
    /// When (Unix ms).
    pub ts_ms: u64,
}

#[derive(Debug, Clone)]
struct Passage {
    gate: String,
    ts_ms: u64,
    outcome: String,
    reason: Option<String>,
    duration_ms: u64,
}

#[derive(Default)]
struct State {
    alarms: VecDeque<Alarm>,
    next_alarm: u64,
    passages: VecDeque<Passage>,
}

impl State {
    /// Queues an alarm unless the queue holds it already (the trail and the gate's event
    /// stream may both bring it at start); returns it when new.
    fn queue(&mut self, gate: &str, gate_alarm_id: u64, reason: &str, ts_ms: u64) -> Option<Alarm> {
        if self
            .alarms
            .iter()
            .any(|a| a.gate == gate && a.gate_alarm_id == gate_alarm_id)
        {
            return None;
        }
        let a = Alarm {
            id: self.next_alarm,
            gate: gate.to_string(),
            gate_alarm_id,
            reason: reason.to_string(),
            ts_ms,
            ack: None,
            source: None,
            cleared_ms: None,
        };
        self.next_alarm += 1;
        if self.alarms.len() >= MAX_ALARMS {
            match self.alarms.iter().position(|a| a.ack.is_some()) {
                Some(i) => {
                    self.alarms.remove(i);
                }
                None => {
                    self.alarms.pop_front();
                }
            }
        }
        self.alarms.push_back(a.clone());
        Some(a)
    }
}

/// Where the hub keeps what must survive a restart: the console's audit trail.
pub struct Trail {
    /// The trail the console writes (officers' actions, acknowledgements).
    pub audit: audit::AuditLog,
    /// Whether the gates write their records to this same trail (`egate run`): then their
    /// `alarm` and `passage` records are read from it. Otherwise (a console over remote
    /// gates) the hub records each alarm and passage it receives, as `alarm_received` and
    /// `passage_received`.
    pub gates_write_here: bool,
}

struct TrailState {
    trail: Trail,
    read: Mutex<TrailRead>,
}

/// The trail read so far, and the figures from it.
struct TrailRead {
    follower: audit::Follower,
    collector: audit::stats::Collector,
    /// The collector's alarms already offered to the queue.
    queued: usize,
}

/// What the page receives on its event stream (one JSON object per SSE message).
// Serialized as soon as it is built, never stored: the size of the big variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PageMessage {
    /// A gate event, with the gate's status after it (when reachable) and the alarm it raised.
    Gate {
        /// The event.
        event: GateEvent,
        /// Status after the event.
        status: Option<GateStatus>,
        /// The queued alarm, for alarm events.
        alarm: Option<Alarm>,
    },
    /// An alarm was acknowledged.
    AlarmAck {
        /// The alarm, with its acknowledgement.
        alarm: Alarm,
    },
    /// Events were missed: reload the snapshot.
    Resync,
}

/// The bank as the console sees it.
pub struct Hub {
    links: Vec<Arc<dyn GateLink>>,
    by_id: HashMap<String, usize>,
    state: Mutex<State>,
    tx: broadcast::Sender<Arc<str>>,
    trail: Option<TrailState>,
}

/// Now, in Unix milliseconds.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

impl Hub {
    /// A hub over the links; call [`Hub::spawn_forwarders`] inside a runtime to start it.
    pub fn new(links: Vec<Arc<dyn GateLink>>) -> Arc<Self> {
        let by_id = links
            .iter()
            .enumerate()
            .map(|(i, l)| (l.id().to_string(), i))
            .collect();
        let (tx, _) = broadcast::channel(4096);
        Arc::new(Self {
            links,
            by_id,
            state: Mutex::new(State::default()),
            tx,
            trail: None,
        })
    }

    /// A hub whose alarm queue and statistics come from `trail` (see [`Trail`]): the
    /// alarms it records, open or acknowledged, are queued again at once, so a restart of
    /// the console or of the gate daemon loses none.
    pub fn with_trail(links: Vec<Arc<dyn GateLink>>, trail: Trail) -> Arc<Self> {
        let mut hub = Self::new(links);
        let h = Arc::get_mut(&mut hub).expect("a new hub has one owner");
        h.trail = Some(TrailState {
            read: Mutex::new(TrailRead {
                follower: audit::Follower::new(trail.audit.path()),
                collector: audit::stats::Collector::new(),
                queued: 0,
            }),
            trail,
        });
        let (alarms, open) = hub.queue_from_trail();
        if alarms > 0 {
            tracing::info!(alarms, open, "alarm queue rebuilt from the audit trail");
        }
        hub
    }

    /// Reads what the trail gained and queues the alarms it records that the queue does not
    /// hold, with their acknowledgements; returns the queue's length and its open alarms.
    fn queue_from_trail(&self) -> (usize, usize) {
        let Some(t) = &self.trail else {
            return (0, 0);
        };
        let mut read = t.read.lock().unwrap_or_else(|p| p.into_inner());
        let r = &mut *read;
        if let Err(e) = r.follower.read_new(|l| r.collector.feed_line(l)) {
            warn!(error = %e, "the audit trail cannot be read: alarms may be missing");
        }
        let mut st = self.lock();
        let new = &r.collector.alarms()[r.queued..];
        r.queued += new.len();
        for a in new {
            if let Some(q) = st.queue(&a.gate, a.alarm, &a.reason, a.ts_ms) {
                let ack = a.ack.as_ref().map(|k| Ack {
                    officer: k.officer.clone(),
                    comment: k.comment.clone(),
                    ts_ms: k.ts_ms,
                });
                if let Some(x) = st.alarms.iter_mut().find(|x| x.id == q.id) {
                    x.ack = ack;
                }
            }
        }
        let open = st.alarms.iter().filter(|a| a.ack.is_none()).count();
        (st.alarms.len(), open)
    }

    /// One task per gate: subscribe, ingest, forward.
    pub fn spawn_forwarders(self: &Arc<Self>) -> Vec<tokio::task::JoinHandle<()>> {
        let tasks = self
            .links
            .iter()
            .map(|link| {
                let hub = Arc::clone(self);
                let mut rx = link.subscribe();
                let id = link.id().to_string();
                tokio::spawn(async move {
                    loop {
                        match rx.recv().await {
                            Ok(ev) => hub.ingest(ev),
                            Err(broadcast::error::RecvError::Lagged(n)) => {
                                warn!(gate = %id, missed = n, "console fell behind a gate's events");
                                hub.send(&PageMessage::Resync);
                            }
                            Err(broadcast::error::RecvError::Closed) => break,
                        }
                    }
                })
            })
            .collect();
        // Subscribed: an alarm raised since the trail was first read is in the trail now,
        // or comes as an event.
        self.queue_from_trail();
        tasks
    }

    /// The gate links.
    pub fn links(&self) -> &[Arc<dyn GateLink>] {
        &self.links
    }

    /// A gate's link by id.
    pub fn link(&self, id: &str) -> Option<&Arc<dyn GateLink>> {
        self.by_id.get(id).map(|&i| &self.links[i])
    }

    /// A stream of serialized [`PageMessage`]s.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<str>> {
        self.tx.subscribe()
    }

    fn send(&self, msg: &PageMessage) {
        if let Ok(s) = serde_json::to_string(msg) {
            let _ = self.tx.send(Arc::from(s));
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Takes one gate event into the queue and statistics and passes it to the pages.
    pub fn ingest(&self, event: GateEvent) {
        let mut alarm = None;
        {
            let mut st = self.lock();
            let record = |kind: &str, data: serde_json::Value| match &self.trail {
                Some(t) if !t.trail.gates_write_here => t.trail.audit.record(kind, data),
                _ => {}
            };
            match &event.kind {
                GateEventKind::SourceHealth {
                    source, ok: true, ..
                } => {
                    for a in st.alarms.iter_mut() {
                        if a.gate == event.gate
                            && a.source.as_deref() == Some(source.as_str())
                            && a.cleared_ms.is_none()
                        {
                            a.cleared_ms = Some(event.ts_ms);
                        }
                    }
                }
                GateEventKind::Alarm { .. } | GateEventKind::SourceHealth { .. } => {
                    let (alarm_id, reason, source) = match &event.kind {
                        GateEventKind::SourceHealth {
                            alarm_id, source, ..
                        } => (
                            *alarm_id,
                            gate::ReasonCode::BorderDbUnavailable.as_str().to_string(),
                            Some(source.clone()),
                        ),
                        GateEventKind::Alarm { alarm_id, reason } => {
                            (*alarm_id, reason.clone(), None)
                        }
                        _ => (0, String::new(), None),
                    };
                    alarm = st.queue(&event.gate, alarm_id, &reason, event.ts_ms);
                    if let Some(a) = &mut alarm {
                        if let Some(q) = st.alarms.iter_mut().find(|q| q.id == a.id) {
                            q.source.clone_from(&source);
                        }
                        a.source = source;
                        record(
                            "alarm_received",
                            serde_json::json!({ "gate": event.gate, "alarm": alarm_id,
                                                "reason": reason, "raised_ts_ms": event.ts_ms }),
                        );
                    }
                }
                GateEventKind::Passage {
                    outcome,
                    reason,
                    duration_ms,
                } => {
                    record(
                        "passage_received",
                        serde_json::json!({ "gate": event.gate, "outcome": outcome,
                                            "reason": reason, "took_ms": duration_ms,
                                            "ended_ts_ms": event.ts_ms }),
                    );
                    if st.passages.len() >= MAX_PASSAGES {
                        st.passages.pop_front();
                    }
                    st.passages.push_back(Passage {
                        gate: event.gate.clone(),
                        ts_ms: event.ts_ms,
                        outcome: outcome.clone(),
                        reason: reason.clone(),
                        duration_ms: *duration_ms,
                    });
                }
                _ => {}
            }
        }
        let status = self.link(&event.gate).and_then(|l| l.status().ok());
        self.send(&PageMessage::Gate {
            event,
            status,
            alarm,
        });
    }

    /// The alarm queue, newest first.
    pub fn alarms(&self) -> Vec<Alarm> {
        self.lock().alarms.iter().rev().cloned().collect()
    }

    /// Acknowledges an alarm; `Err(true)` if unknown, `Err(false)` if already acknowledged.
    pub fn ack(&self, id: u64, officer: &str, comment: &str) -> Result<Alarm, bool> {
        let alarm = {
            let mut st = self.lock();
            let a = st.alarms.iter_mut().find(|a| a.id == id).ok_or(true)?;
            if a.ack.is_some() {
                return Err(false);
            }
            a.ack = Some(Ack {
                officer: officer.to_string(),
                comment: comment.to_string(),
                ts_ms: now_ms(),
            });
            a.clone()
        };
        self.send(&PageMessage::AlarmAck {
            alarm: alarm.clone(),
        });
        Ok(alarm)
    }

    /// Whether an alarm exists (acknowledged or not).
    pub fn alarm_exists(&self, id: u64) -> bool {
        self.lock().alarms.iter().any(|a| a.id == id)
    }

    /// Statistics for one gate or (with `None`) the whole bank: from the audit trail when
    /// the hub has one (the figures of `egate audit stats`, which survive a restart), else
    /// from the passages seen since the console started.
    pub fn stats(&self, gate: Option<&str>, now: u64) -> Stats {
        let Some(t) = &self.trail else {
            let st = self.lock();
            let rows: Vec<Passage> = st.passages.iter().cloned().collect();
            drop(st);
            return self.stats_of(&rows, gate, now, "memory", None);
        };
        let mut read = t.read.lock().unwrap_or_else(|p| p.into_inner());
        let r = &mut *read;
        if let Err(e) = r.follower.read_new(|l| r.collector.feed_line(l)) {
            warn!(error = %e, "the audit trail cannot be read: statistics may be behind");
        }
        let rows: Vec<Passage> = r
            .collector
            .passages()
            .iter()
            .map(|p| Passage {
                gate: p.gate.clone(),
                ts_ms: p.ts_ms,
                outcome: p.outcome.clone(),
                reason: p.reason.clone(),
                duration_ms: p.took_ms,
            })
            .collect();
        let report = r.collector.report(audit::stats::Window::default(), gate);
        drop(read);
        self.stats_of(&rows, gate, now, "audit_trail", Some(report))
    }

    fn stats_of(
        &self,
        passages: &[Passage],
        gate: Option<&str>,
        now: u64,
        source: &'static str,
        trail: Option<audit::stats::Report>,
    ) -> Stats {
        let mut s = Stats {
            gate: gate.map(str::to_string),
            source,
            trail,
            ..Stats::default()
        };
        let hour = 3_600_000;
        let current = now / hour * hour;
        s.per_hour = (0..24u64)
            .rev()
            .map(|i| HourBucket {
                hour_start_ms: current.saturating_sub(i * hour),
                ..HourBucket::default()
            })
            .collect();
        s.duration_buckets_s = DURATION_BUCKETS_S.to_vec();
        s.duration_histogram = vec![0; DURATION_BUCKETS_S.len() + 1];
        let mut durations = Vec::new();
        let mut per_gate: BTreeMap<String, GateCounts> = self
            .links
            .iter()
            .map(|l| (l.id().to_string(), GateCounts::default()))
            .collect();
        for p in passages.iter().filter(|p| gate.is_none_or(|g| p.gate == g)) {
            *s.outcomes.entry(p.outcome.clone()).or_default() += 1;
            if let Some(r) = &p.reason {
                *s.reasons.entry(r.clone()).or_default() += 1;
            }
            let g = per_gate.entry(p.gate.clone()).or_default();
            *g.outcomes.entry(p.outcome.clone()).or_default() += 1;
            g.total += 1;
            if p.ts_ms >= current.saturating_sub(23 * hour) {
                let idx = ((p.ts_ms - current.saturating_sub(23 * hour)) / hour) as usize;
                if let Some(b) = s.per_hour.get_mut(idx) {
                    match p.outcome.as_str() {
                        "accepted" => b.accepted += 1,
                        "referred" => b.referred += 1,
                        _ => b.other += 1,
                    }
                }
            }
            let bucket = DURATION_BUCKETS_S
                .iter()
                .position(|&b| p.duration_ms < b * 1000)
                .unwrap_or(DURATION_BUCKETS_S.len());
            s.duration_histogram[bucket] += 1;
            durations.push(p.duration_ms);
            s.total += 1;
        }
        durations.sort_unstable();
        let pct = |q: f64| -> Option<u64> {
            if durations.is_empty() {
                None
            } else {
                let i = ((durations.len() - 1) as f64 * q).round() as usize;
                durations.get(i).copied()
            }
        };
        s.duration_p50_ms = pct(0.5);
        s.duration_p90_ms = pct(0.9);
        s.per_gate = per_gate
            .into_iter()
            .filter(|(g, _)| gate.is_none_or(|x| x == g))
            .map(|(gate, c)| PerGate {
                gate,
                total: c.total,
                outcomes: c.outcomes,
            })
            .collect();
        s
    }
}

#[derive(Default)]
struct GateCounts {
    total: u64,
    outcomes: BTreeMap<String, u64>,
}

/// Passage statistics: from the audit trail (`source` = `audit_trail`), or since the console
/// started (`memory`, a hub without a trail).
#[derive(Debug, Clone, Serialize, Default, PartialEq)]
pub struct Stats {
    /// The gate, or `None` for the bank.
    pub gate: Option<String>,
    /// Where the figures come from: `audit_trail` or `memory`.
    pub source: &'static str,
    /// The figures of `egate audit stats` over the whole trail (steps, availability, alarm
    /// response times), when they come from the trail.
    pub trail: Option<audit::stats::Report>,
    /// Passages counted.
    pub total: u64,
    /// The last 24 hours, oldest first.
    pub per_hour: Vec<HourBucket>,
    /// Count per outcome (accepted, referred, abandoned).
    pub outcomes: BTreeMap<String, u64>,
    /// Count per referral reason code.
    pub reasons: BTreeMap<String, u64>,
    /// Upper bounds (s) of the histogram's buckets; one more open bucket follows.
    pub duration_buckets_s: Vec<u64>,
    /// Transaction-time histogram.
    pub duration_histogram: Vec<u64>,
    /// Median transaction time.
    pub duration_p50_ms: Option<u64>,
    /// 90th percentile transaction time.
    pub duration_p90_ms: Option<u64>,
    /// Outcomes per gate.
    pub per_gate: Vec<PerGate>,
}

/// Passages in one hour.
#[derive(Debug, Clone, Serialize, Default, PartialEq)]
pub struct HourBucket {
    /// Start of the hour (Unix ms).
    pub hour_start_ms: u64,
    /// Accepted.
    pub accepted: u64,
    /// Referred.
    pub referred: u64,
    /// Abandoned or other.
    pub other: u64,
}

/// One gate's counts.
#[derive(Debug, Clone, Serialize, Default, PartialEq)]
pub struct PerGate {
    /// Gate id.
    pub gate: String,
    /// Passages.
    pub total: u64,
    /// Count per outcome.
    pub outcomes: BTreeMap<String, u64>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::link::LocalGate;

    fn status(id: &str) -> GateStatus {
        GateStatus::idle(id, "not-checked")
    }

    #[test]
    fn alarms_queue_and_ack_once() {
        let (g, _rx) = LocalGate::new(status("g1"));
        let hub = Hub::new(vec![g.clone()]);
        let ev = g.publish(GateEventKind::Alarm {
            alarm_id: 7,
            reason: "tailgating".into(),
        });
        hub.ingest(ev);
        let a = hub.alarms();
        assert_eq!(a.len(), 1);
        assert_eq!(a[0].reason, "tailgating");
        assert!(hub.ack(a[0].id, "o1", "seen").is_ok());
        assert_eq!(hub.ack(a[0].id, "o1", "again"), Err(false));
        assert_eq!(hub.ack(999, "o1", "x"), Err(true));
    }

    fn trail(dir: &std::path::Path) -> audit::AuditLog {
        audit::AuditLog::open(
            &dir.join("audit.jsonl"),
            "daemon",
            &audit::AuditKey::from_bytes(&[3; 32]),
        )
        .unwrap()
    }

    #[test]
    fn the_queue_and_statistics_are_rebuilt_from_the_trail() {
        let d = tempfile::tempdir().unwrap();
        let log = trail(d.path());
        let open = log
            .append(
                "alarm",
                &serde_json::json!({"gate": "g1", "reason": "tailgating"}),
            )
            .unwrap();
        let acked = log
            .append(
                "alarm",
                &serde_json::json!({"gate": "g1", "reason": "face_mismatch"}),
            )
            .unwrap();
        log.append(
            "alarm_acknowledged",
            &serde_json::json!({"gate": "g1", "alarm": acked, "officer": "olga", "comment": "ok"}),
        )
        .unwrap();
        log.append(
            "passage",
            &serde_json::json!({"gate": "g1", "outcome": "accepted", "reason": null, "took_ms": 7000}),
        )
        .unwrap();
        let (g1, _rx) = LocalGate::new(status("g1"));
        let hub = Hub::with_trail(
            vec![g1.clone()],
            Trail {
                audit: log.clone(),
                gates_write_here: true,
            },
        );
        let alarms = hub.alarms();
        assert_eq!(alarms.len(), 2);
        let a = alarms.iter().find(|a| a.gate_alarm_id == open).unwrap();
        assert_eq!((a.reason.as_str(), &a.ack), ("tailgating", &None));
        let b = alarms.iter().find(|a| a.gate_alarm_id == acked).unwrap();
        assert_eq!(b.ack.as_ref().unwrap().officer, "olga");
        // The same alarm arriving as an event as well is queued once.
        hub.ingest(GateEvent {
            gate: "g1".into(),
            seq: 0,
            ts_ms: 1,
            kind: GateEventKind::Alarm {
                alarm_id: open,
                reason: "tailgating".into(),
            },
        });
        assert_eq!(hub.alarms().len(), 2);
        let s = hub.stats(None, now_ms());
        assert_eq!((s.source, s.total), ("audit_trail", 1));
        assert_eq!(s.trail.as_ref().unwrap().alarms.open, 1);
        // A passage recorded later shows at the next look.
        log.append(
            "passage",
            &serde_json::json!({"gate": "g1", "outcome": "referred", "reason": "pa_failed", "took_ms": 9000}),
        )
        .unwrap();
        assert_eq!(hub.stats(None, now_ms()).reasons["pa_failed"], 1);
        log.close();
    }

    #[test]
    fn a_console_over_remote_gates_records_what_it_receives_and_rebuilds_from_it() {
        let d = tempfile::tempdir().unwrap();
        let log = trail(d.path());
        let (g1, _rx) = LocalGate::new(status("r1"));
        let hub = Hub::with_trail(
            vec![g1.clone()],
            Trail {
                audit: log.clone(),
                gates_write_here: false,
            },
        );
        hub.ingest(g1.publish(GateEventKind::Alarm {
            alarm_id: 41,
            reason: "pad_alarm".into(),
        }));
        hub.ingest(g1.publish(GateEventKind::Passage {
            outcome: "referred".into(),
            reason: Some("presentation_attack".into()),
            duration_ms: 8000,
        }));
        log.close();
        let kinds: Vec<String> = audit::read_records(&d.path().join("audit.jsonl"))
            .unwrap()
            .iter()
            .map(|r| r["kind"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(kinds, ["alarm_received", "passage_received"]);
        // Restarted: the alarm is back, open, and the passage is counted.
        let log = trail(d.path());
        let hub = Hub::with_trail(
            vec![g1],
            Trail {
                audit: log.clone(),
                gates_write_here: false,
            },
        );
        let a = hub.alarms();
        assert_eq!(
            (a.len(), a[0].gate_alarm_id, a[0].ack.is_none()),
            (1, 41, true)
        );
        assert_eq!(hub.stats(None, now_ms()).reasons["presentation_attack"], 1);
        log.close();
    }

    #[test]
    fn stats_count_outcomes_reasons_and_durations() {
        let (g1, _r1) = LocalGate::new(status("g1"));
        let (g2, _r2) = LocalGate::new(status("g2"));
        let hub = Hub::new(vec![g1.clone(), g2.clone()]);
        for (g, outcome, reason, d) in [
            (&g1, "accepted", None, 12_000),
            (&g1, "referred", Some("face_mismatch"), 31_000),
            (&g2, "accepted", None, 9_000),
            (&g2, "referred", Some("pa_failed"), 200_000),
        ] {
            hub.ingest(g.publish(GateEventKind::Passage {
                outcome: outcome.into(),
                reason: reason.map(str::to_string),
                duration_ms: d,
            }));
        }
        let s = hub.stats(None, now_ms());
        assert_eq!(s.total, 4);
        assert_eq!(s.outcomes["accepted"], 2);
        assert_eq!(s.reasons["pa_failed"], 1);
        assert_eq!(s.per_hour.iter().map(|b| b.accepted).sum::<u64>(), 2);
        assert_eq!(s.duration_histogram.iter().sum::<u64>(), 4);
        assert_eq!(*s.duration_histogram.last().unwrap(), 1);
        let s1 = hub.stats(Some("g1"), now_ms());
        assert_eq!(s1.total, 2);
        assert_eq!(s1.per_gate.len(), 1);
    }
}
