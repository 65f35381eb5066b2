//! Acceptance runs in real time: the same scenario file drives a running `egate run --sim`
//! daemon through its real boundaries, against the wall clock. The daemon's simulated bank
//! makes each traveller the scenario presents (a virtual passport read through pcscd + vpcd
//! on the lanes that have a vpcd reader, the door controller on a pty, the replayed camera
//! through the face models), its lanes decide as in service, and the results are read back
//! from what the daemon itself records: its audit trail (passages, attempts and their
//! scores, PAD) and, for what only the simulated world knows (where a traveller walked), its
//! `/sim/travellers` route. The same report writer then builds the report, marked as real
//! time.
//!
//! What runs in real time is narrower than virtual time; [`unsupported`] names every
//! scenario key this mode cannot honour, with its line, so a scenario is rejected rather
//! than run differently from what it says. The daemon side is behind [`Daemon`]: the
//! `egate` binary implements it over HTTP against the child daemon it starts.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use toml_edit::ImDocument;

use crate::engine::population::{self, Plan};
use crate::engine::{Clock, FaultRecord, Outcome, Record, Resources, Sample};
use crate::kinds::{Kind, Type};
use crate::position::line_of_key;
use crate::scenario::{Checked, ScenarioError};

/// The traveller behaviours the daemon's simulated bank can present, besides every document
/// defect of the factory (which it builds into the chip).
pub const KINDS: [Kind; 11] = [
    Kind::Genuine,
    Kind::Impostor,
    Kind::Expired,
    Kind::Revoked,
    Kind::Forged,
    Kind::Tampered,
    Kind::BorderDb,
    Kind::Minor,
    Kind::Wheelchair,
    Kind::Luggage,
    Kind::Leaving,
];

/// The presentation attacks the bank renders before the replayed camera.
pub const PAD_KINDS: [Kind; 2] = [Kind::Print, Kind::ScreenReplay];

/// Why a traveller type cannot be presented in real time, or `None` when it can.
pub fn unsupported_kind(ty: Type) -> Option<&'static str> {
    let kind = ty.as_kind()?;
    if KINDS.contains(&kind) || PAD_KINDS.contains(&kind) {
        return None;
    }
    Some(match kind {
        Kind::Lookalike => {
            "the lookalike is chosen from the run's own face scores, which the daemon does not \
             hand out before the passage"
        }
        Kind::UsedTwice => {
            "the simulated bank makes a fresh document for every traveller; it keeps none to \
             present twice"
        }
        Kind::Hesitant => {
            "the replayed camera shows the traveller's face from the moment they step in; it \
             has no delay before facing it"
        }
        Kind::Tailgater | Kind::SecondPerson => {
            "the simulated bank walks one traveller at a time through the mantrap"
        }
        Kind::WrongDirection => "the simulated door controller has no direction sensor",
        _ => "not presented by the simulated bank",
    })
}

/// The daemon's fault route (`/sim/gates/{gate}/faults/{name}`) for a scenario fault, or why
/// it has none.
pub fn sim_fault(kind: &str, door: Option<&str>) -> Result<&'static str, &'static str> {
    match (kind, door) {
        ("fire_alarm", _) => Ok("fire_alarm"),
        ("mains_lost", _) => Ok("mains_lost"),
        ("emergency_button", _) => Ok("emergency_button"),
        ("tamper", _) => Ok("tamper"),
        ("serial_link_lost", _) => Ok("link_cut"),
        ("door_jammed", Some("entry")) => Ok("jammed_entry"),
        ("door_jammed", _) => Ok("jammed_exit"),
        ("reader_disconnected" | "card_pulled", _) => Err(
            "the daemon's simulated reader has no fault route (pcscd itself can be stopped: see \
             tests/tests/fault_pcscd_restart.rs)",
        ),
        ("camera_frozen", _) => Ok("camera_frozen"),
        _ => Err("no fault route on the daemon"),
    }
}

/// What real time supports, in words, for the reports and `--help`.
pub const SUPPORTED: &str = "Real time (wall clock) against `egate run --sim`: two-step gates \
    (the simulated bank walks a two-step lane), [gates] count, liveness, borderdb, target_fmr, \
    capture_attempts and chip_read_attempts; traveller types genuine, impostor, expired, \
    revoked, forged, tampered, borderdb_hit, minor, wheelchair, luggage, leaving, print, \
    screen_replay and every document-factory defect, with their walking speed, document and \
    patience timings; Poisson or standing-queue arrivals; faults fire_alarm, mains_lost, \
    emergency_button, tamper, serial_link_lost, door_jammed and camera_frozen at given times. \
    Not supported (rejected with line and key): one-step gates, minimum_age and date (the \
    daemon's [policy] and clock decide), lookalike_impostor, document_used_twice, hesitant, \
    tailgater, second_person, wrong_direction, faults reader_disconnected and card_pulled, \
    `when` on a fault, and [[officer]] commands. Door travel, the chip link and face inference \
    take the time they take on this machine; [timing] keys other than walk_m_s, lane_m, \
    document_s, first_time_share, first_time_extra_s and patience_s have no effect.";

/// Every key of the scenario that real time cannot honour, with its line and dotted key.
pub fn unsupported(c: &Checked) -> Vec<ScenarioError> {
    let mut problems: Vec<(String, String)> = Vec::new();
    let s = &c.scenario;
    let doc = ImDocument::parse(c.text.as_str()).ok();
    let present = |path: &str| {
        doc.as_ref().is_some_and(|d| {
            let mut t = d.as_table();
            let parts: Vec<&str> = path.split('.').collect();
            for (i, p) in parts.iter().enumerate() {
                match t.get(p) {
                    Some(toml_edit::Item::Table(next)) if i + 1 < parts.len() => t = next,
                    Some(_) if i + 1 == parts.len() => return true,
                    _ => return false,
                }
            }
            false
        })
    };
    if c.layout == gate::Layout::OneStep {
        problems.push((
            "gates.layout".into(),
            "real time runs two-step gates only: the daemon's simulated bank walks its \
             travellers through a two-step lane (use virtual time for one-step)"
                .into(),
        ));
    }
    if s.gates.minimum_age.is_some() {
        problems.push((
            "gates.minimum_age".into(),
            "in real time the daemon's own [policy] and [eligibility] decide (give them in \
             --config)"
                .into(),
        ));
    }
    if present("date") {
        problems.push((
            "date".into(),
            "in real time the gates run on the daemon's clock; leave `date` out".into(),
        ));
    }
    for name in s.travellers.mix.keys() {
        if let Some(why) = Type::from_name(name).and_then(unsupported_kind) {
            problems.push((
                format!("travellers.mix.{name}"),
                format!("`{name}` cannot run in real time: {why}"),
            ));
        }
    }
    for (i, name) in s.travellers.sequence.iter().enumerate() {
        if let Some(why) = Type::from_name(name).and_then(unsupported_kind) {
            problems.push((
                format!("travellers.sequence[{}]", i + 1),
                format!("`{name}` cannot run in real time: {why}"),
            ));
        }
    }
    for (i, f) in s.faults.iter().enumerate() {
        if let Err(why) = sim_fault(&f.kind, f.door.as_deref()) {
            problems.push((
                format!("faults[{}].kind", i + 1),
                format!("`{}` cannot run in real time: {why}", f.kind),
            ));
        }
        if f.when.is_some() {
            problems.push((
                format!("faults[{}].when", i + 1),
                "real time starts faults at `at_s` of the wall clock only".into(),
            ));
        }
    }
    if !s.officer.is_empty() {
        problems.push((
            "officer".into(),
            "real time has no scripted officer commands (the simulated officer still attends \
             lanes that wait for one)"
                .into(),
        ));
    }
    let mut errors: Vec<ScenarioError> = problems
        .into_iter()
        .map(|(key, message)| ScenarioError {
            file: None,
            line: doc
                .as_ref()
                .and_then(|d| line_of_key(c.text.as_str(), d, &key)),
            key,
            message,
        })
        .collect();
    errors.sort_by_key(|e| e.line.unwrap_or(usize::MAX));
    errors
}

/// A traveller handed to the daemon's simulated bank (`POST /sim/travellers`): who they are
/// and their physical timings. The bank's lanes take them from one queue, in order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Order {
    /// The scenario's traveller number (0-based).
    pub id: u32,
    /// The traveller type's name (see [`KINDS`], [`PAD_KINDS`] and the factory's defects).
    pub kind: String,
    /// Seed of the bank's draws for this traveller (whose face, which photo, document number).
    pub seed: u64,
    /// Seconds from stepping up to the reader to placing the document on it.
    pub document_s: f64,
    /// Seconds to pass through an open door.
    pub through_door_s: f64,
    /// Seconds to walk away from the exit.
    pub walk_away_s: f64,
    /// Seconds of patience at a shut entry.
    pub patience_s: f64,
}

/// What the bank knows of a traveller it was handed (`GET /sim/travellers`): where they went
/// and which passages the gate started for them. Times are milliseconds since the Unix epoch.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Progress {
    /// [`Order::id`].
    pub id: u32,
    /// The lane (1-based) that served them, once one did.
    pub lane: Option<u32>,
    /// The gate's passages for them, in order.
    pub passages: Vec<u64>,
    /// Stepped up to the lane.
    pub served_ms: Option<u64>,
    /// Out of the lane.
    pub left_ms: Option<u64>,
    /// Where they are (`sim::traveller::Place`), or `queued`.
    pub place: String,
    /// Out through the exit.
    pub through: bool,
}

/// One lane as the daemon reports it (`GET /sim/lanes`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LaneView {
    /// 1-based.
    pub lane: u32,
    /// The gate id (as in the audit trail).
    pub id: String,
    /// The gate's phase.
    pub phase: String,
    /// Both doors closed.
    pub shut: bool,
}

/// The running daemon, as a real-time run drives it.
pub trait Daemon {
    /// Hands a traveller to the bank's queue.
    fn present(&mut self, order: &Order) -> Result<(), String>;
    /// Starts (`on`) or clears a fault of lane `lane` by its route name ([`sim_fault`]).
    fn fault(&mut self, lane: u32, name: &str, on: bool) -> Result<(), String>;
    /// The simulated officer gives `command` on lane `lane`.
    fn officer(&mut self, lane: u32, command: gate::OfficerCommand) -> Result<(), String>;
    /// The lanes, in order.
    fn lanes(&mut self) -> Result<Vec<LaneView>, String>;
    /// What the bank knows of every traveller it was handed.
    fn travellers(&mut self) -> Result<Vec<Progress>, String>;
    /// The records the daemon's audit trail gained since the last call, one JSON value each.
    fn trail(&mut self) -> Result<Vec<serde_json::Value>, String>;
    /// The daemon process's resident memory (KiB) and open file descriptors.
    fn resources(&mut self) -> (u64, u32);
}

/// Why a real-time run stopped.
#[derive(Debug, thiserror::Error)]
pub enum RealTimeError {
    /// The daemon did not answer or refused.
    #[error("the daemon: {0}")]
    Daemon(String),
    /// The face set.
    #[error("faces: {0}")]
    Faces(#[from] crate::faces::FacesError),
}

/// Seconds the simulated officer takes to attend a lane that waits for one in real time.
pub const OFFICER_RESPONSE_S: f64 = 5.0;
/// A traveller still inside this long after their passage ended is trapped.
const TRAPPED_AFTER: Duration = Duration::from_secs(60);
/// A run with travellers left ends when none has finished for this long.
const STUCK: Duration = Duration::from_secs(180);
/// How often the daemon is asked.
const TICK: Duration = Duration::from_millis(200);

fn secs(d: Duration) -> f64 {
    (d.as_secs_f64() * 1000.0).round() / 1000.0
}

/// The order for a planned traveller.
pub fn order(c: &Checked, p: &Plan) -> Order {
    let speed = p.speed.max(0.05);
    Order {
        id: p.id,
        kind: p.ty.name().to_string(),
        seed: c.scenario.seed ^ (u64::from(p.id) << 20) ^ 0x5EED,
        document_s: p.document_s,
        through_door_s: 1.0 / speed,
        walk_away_s: (c.scenario.timing.lane_m / 2.0).max(0.5) / speed,
        patience_s: p.patience_s,
    }
}

/// One lane's officer, as in virtual time: attends a lane that waits for one after
/// [`OFFICER_RESPONSE_S`].
#[derive(Default)]
struct Officer {
    due: Option<Instant>,
    visits: u32,
}

/// Runs the scenario against the daemon in real time; `progress(done, total)` as travellers
/// finish.
pub fn run(
    c: &Checked,
    d: &mut dyn Daemon,
    progress: &mut dyn FnMut(u32, u32),
) -> Result<Outcome, RealTimeError> {
    let ids = crate::faces::load_identities(&c.faces, None)?;
    let photos: Vec<usize> = ids.iter().map(|i| i.live.len().max(1)).collect();
    let plans = population::draw(c, &photos);
    let total = plans.len() as u32;
    let err = RealTimeError::Daemon;
    let lanes0 = d.lanes().map_err(err)?;
    let gates = c.scenario.gates.count as usize;
    if lanes0.len() != gates {
        return Err(RealTimeError::Daemon(format!(
            "it runs {} lane(s), the scenario {gates}",
            lanes0.len()
        )));
    }
    let ids_of: Vec<String> = lanes0.iter().map(|l| l.id.clone()).collect();
    let wall0 = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |t| t.as_millis() as u64);
    let t0 = Instant::now();
    let rel = |ms: u64| ms.saturating_sub(wall0) as f64 / 1000.0;
    let mut arrived: Vec<Option<f64>> = vec![None; plans.len()];
    let mut next = 0usize;
    // Fault events: (at, scenario index, on).
    let mut fault_events: Vec<(Duration, usize, bool)> = Vec::new();
    for (i, f) in c.scenario.faults.iter().enumerate() {
        let at = Duration::from_secs_f64(f.at_s);
        fault_events.push((at, i, true));
        if let Some(s) = f.for_s {
            fault_events.push((at + Duration::from_secs_f64(s), i, false));
        }
    }
    fault_events.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)));
    let mut fault_events = std::collections::VecDeque::from(fault_events);
    let mut faults: Vec<FaultRecord> = Vec::new();
    let mut recovering: Vec<usize> = Vec::new();
    let mut officers: Vec<Officer> = (0..gates).map(|_| Officer::default()).collect();
    let mut samples: Vec<Sample> = Vec::new();
    let mut resources: Vec<Resources> = Vec::new();
    let mut next_sample = Duration::ZERO;
    let sample_every = Duration::from_secs_f64(c.scenario.sample_every_s);
    let mut progress_now: Vec<Progress>;
    let mut trail = Trail::default();
    let mut ended_at: BTreeMap<u32, Instant> = BTreeMap::new();
    let mut last_done = (0u32, Instant::now());
    loop {
        let now = Instant::now();
        let t = now - t0;
        // Arrivals against the wall clock.
        while next < plans.len() && plans[next].arrive <= t {
            d.present(&order(c, &plans[next])).map_err(err)?;
            arrived[next] = Some(secs(Instant::now() - t0));
            next += 1;
        }
        // Faults against the wall clock.
        while fault_events.front().is_some_and(|e| e.0 <= t) {
            let Some((_, n, on)) = fault_events.pop_front() else {
                break;
            };
            let f = &c.scenario.faults[n];
            let route = sim_fault(&f.kind, f.door.as_deref()).map_err(|e| err(e.into()))?;
            d.fault(f.gate, route, on).map_err(err)?;
            let at = secs(Instant::now() - t0);
            if on {
                faults.push(FaultRecord {
                    kind: f.kind.clone(),
                    gate: f.gate,
                    at_s: at,
                    cleared_s: None,
                    recovered_s: None,
                    recovery_s: None,
                    passages_affected: 0,
                });
                recovering.push(faults.len() - 1);
            } else if let Some(r) = faults
                .iter_mut()
                .rev()
                .find(|r| r.kind == f.kind && r.gate == f.gate && r.cleared_s.is_none())
            {
                r.cleared_s = Some(at);
            }
        }
        // The lanes: the simulated officer, and recovery from faults.
        let lanes = d.lanes().map_err(err)?;
        for l in &lanes {
            let i = l.lane as usize - 1;
            if i >= gates {
                continue;
            }
            // Scripted officer commands are not supported in real time, so a closed lane
            // was closed by mains loss: the officer opens it once mains are back.
            let mains = faults
                .iter()
                .filter(|f| f.gate == l.lane && f.kind == "mains_lost");
            let mains_back = l.phase == "lane_closed"
                && mains.clone().count() > 0
                && mains.clone().all(|f| f.cleared_s.is_some());
            let waits = mains_back
                || matches!(l.phase.as_str(), "awaiting_officer" | "emergency" | "fault");
            let o = &mut officers[i];
            match (waits, o.due) {
                (true, None) => {
                    o.due = Some(now + Duration::from_secs_f64(OFFICER_RESPONSE_S));
                }
                (true, Some(due)) if now >= due => {
                    o.due = None;
                    o.visits += 1;
                    let cmd = if l.phase == "awaiting_officer" && o.visits % 2 == 1 {
                        gate::OfficerCommand::Refer
                    } else if l.phase == "lane_closed" {
                        gate::OfficerCommand::LaneOpen
                    } else {
                        gate::OfficerCommand::Reset
                    };
                    d.officer(l.lane, cmd).map_err(err)?;
                }
                (false, _) => {
                    o.due = None;
                    o.visits = 0;
                }
                _ => {}
            }
            if l.phase == "idle" && l.shut {
                let at = secs(t);
                recovering.retain(|&n| {
                    let f = &mut faults[n];
                    if f.gate != l.lane {
                        return true;
                    }
                    match f.cleared_s {
                        Some(cleared) => {
                            f.recovered_s = Some(at);
                            f.recovery_s = Some(((at - cleared) * 1000.0).round() / 1000.0);
                            false
                        }
                        None => true,
                    }
                });
            }
        }
        // The travellers.
        progress_now = d.travellers().map_err(err)?;
        trail.absorb(&d.trail().map_err(err)?, &ids_of);
        let ended = &trail.ended;
        let mut done = 0u32;
        for p in &progress_now {
            let passage_over = p.lane.is_some_and(|lane| {
                p.passages
                    .last()
                    .is_some_and(|&n| ended.contains_key(&(lane, n)))
            });
            if passage_over {
                ended_at.entry(p.id).or_insert(now);
            }
            let trapped = ended_at
                .get(&p.id)
                .is_some_and(|&e| now.saturating_duration_since(e) > TRAPPED_AFTER);
            // Done once out of the lane with every passage of theirs ended (a traveller who
            // walked away leaves a passage the gate still has to end), or trapped.
            let passages_over = p
                .lane
                .is_none_or(|lane| p.passages.iter().all(|&n| ended.contains_key(&(lane, n))));
            if (p.left_ms.is_some() && passages_over) || trapped {
                done += 1;
            }
        }
        if done != last_done.0 {
            last_done = (done, now);
            progress(done, total);
        }
        // The queue whenever it changes (as virtual time samples it at each arrival and
        // each step-up); the daemon's memory and descriptors every `sample_every_s`.
        let queue = progress_now
            .iter()
            .filter(|p| p.served_ms.is_none() && p.left_ms.is_none())
            .count() as u32;
        if samples
            .last()
            .is_none_or(|l: &Sample| (l.queue, l.done) != (queue, done))
        {
            samples.push(Sample {
                t_s: secs(t),
                queue,
                done,
            });
        }
        if t >= next_sample {
            let (rss_kib, fds) = d.resources();
            resources.push(Resources {
                t_s: secs(t),
                done,
                rss_kib,
                fds,
            });
            next_sample = t + sample_every;
        }
        let all_in = next >= plans.len();
        let settled = recovering.is_empty() && fault_events.is_empty();
        if all_in && done >= total && settled {
            break;
        }
        if all_in && now.saturating_duration_since(last_done.1) > STUCK {
            break;
        }
        std::thread::sleep(TICK);
    }
    let end = Instant::now();
    let (rss_kib, fds) = d.resources();
    resources.push(Resources {
        t_s: secs(end - t0),
        done: samples.last().map_or(0, |s| s.done),
        rss_kib,
        fds,
    });
    trail.absorb(&d.trail().map_err(err)?, &ids_of);
    let (ended, scores) = (&trail.ended, &trail.scores);
    let by_id: BTreeMap<u32, &Progress> = progress_now.iter().map(|p| (p.id, p)).collect();
    let mut per_gate = vec![(0u32, 0.0f64); gates];
    let mut records = Vec::new();
    for (k, plan) in plans.iter().enumerate() {
        let ty = plan.ty;
        let p = by_id.get(&plan.id);
        let lane = p.and_then(|p| p.lane);
        let served_s = p.and_then(|p| p.served_ms).map(rel);
        let left_s = p.and_then(|p| p.left_ms).map(rel);
        let last = p.and_then(|p| {
            let lane = p.lane?;
            p.passages
                .iter()
                .rev()
                .find_map(|&n| ended.get(&(lane, n)).map(|e| (n, e)))
        });
        let (outcome, reason, took, pad) = match last {
            Some((_, e)) => (e.outcome, e.reason.clone(), Some(e.took_s), e.pad.clone()),
            None => ("no_passage", None, None, None),
        };
        let through = p.is_some_and(|p| p.through);
        let trapped = p.is_some_and(|p| p.left_ms.is_none() && p.lane.is_some())
            && last.is_some()
            && ended_at
                .get(&plan.id)
                .is_some_and(|&e| end.saturating_duration_since(e) > TRAPPED_AFTER);
        let mut sc = Vec::new();
        if let (Some(p), Some(lane)) = (p, lane) {
            for n in &p.passages {
                if let Some(v) = scores.get(&(lane, *n)) {
                    sc.extend(v.iter().copied());
                }
            }
        }
        if let (Some(lane), Some(s), Some(l)) = (lane, served_s, left_s) {
            let g = &mut per_gate[(lane as usize - 1).min(gates - 1)];
            g.0 += 1;
            g.1 += (l - s).max(0.0);
        }
        let expected = ty.expected();
        records.push(Record {
            id: plan.id,
            ty: ty.name(),
            gate: lane,
            arrived_s: arrived[k].unwrap_or_else(|| secs(plan.arrive)),
            served_s,
            left_s,
            transaction_s: took,
            outcome,
            reason: reason.and_then(|r| gate::ReasonCode::from_name(&r).map(|r| r.as_str())),
            through,
            trapped,
            scores: sc,
            pad_species: ty.pad_species(),
            pad: pad.as_deref().and_then(pad_word),
            expected: expected.as_str(),
            as_expected: false,
            attack: ty.is_attack(),
            genuine_face: !ty.shows_other_face() && ty.pad_species().is_none(),
        });
        let r = records.last_mut().expect("just pushed");
        // Never served is never as expected, as in virtual time.
        r.as_expected = r.gate.is_some() && expected.met(r.outcome, r.through, r.trapped);
    }
    for f in &mut faults {
        let from = f.at_s;
        let to = f.recovered_s.unwrap_or(f64::MAX);
        f.passages_affected = records
            .iter()
            .filter(|r| r.left_s.is_some_and(|l| l >= from && l <= to))
            .count() as u32;
    }
    let chip_reads = trail.chip_reads;
    Ok(Outcome {
        clock: Clock::RealTime,
        records,
        faults,
        samples,
        resources,
        end_s: secs(end - t0),
        gates: per_gate
            .into_iter()
            .map(|(n, b)| (n, (b * 1000.0).round() / 1000.0))
            .collect(),
        face_cache: (0, 0),
        chip_reads,
        frames: (0, 0),
        identities: ids.iter().map(|i| i.label.clone()).collect(),
    })
}

/// What the run has read of the daemon's audit trail.
#[derive(Default)]
struct Trail {
    ended: BTreeMap<(u32, u64), Ended>,
    scores: BTreeMap<(u32, u64), Vec<(f32, f32)>>,
    chip_reads: u64,
}

impl Trail {
    fn absorb(&mut self, new: &[serde_json::Value], ids: &[String]) {
        self.ended.extend(ended_passages(new, ids));
        for (k, v) in face_scores(new, ids) {
            self.scores.entry(k).or_default().extend(v);
        }
        self.chip_reads += new
            .iter()
            .filter(|r| r["kind"] == "attempt" && r["data"]["step"] == "DocumentRead")
            .count() as u64;
    }
}

/// A passage as the audit trail records its end.
struct Ended {
    outcome: &'static str,
    reason: Option<String>,
    took_s: f64,
    pad: Option<String>,
}

fn lane_of(ids: &[String], gate: &serde_json::Value) -> Option<u32> {
    let g = gate.as_str()?;
    ids.iter().position(|i| i == g).map(|i| i as u32 + 1)
}

/// The ended passages in the trail by (lane, passage).
fn ended_passages(trail: &[serde_json::Value], ids: &[String]) -> BTreeMap<(u32, u64), Ended> {
    let mut out = BTreeMap::new();
    for r in trail.iter().filter(|r| r["kind"] == "passage") {
        let d = &r["data"];
        let (Some(lane), Some(n)) = (lane_of(ids, &d["gate"]), d["passage"].as_u64()) else {
            continue;
        };
        let outcome = match d["outcome"].as_str() {
            Some("accepted") => "accepted",
            Some("released_by_officer") => "released",
            Some("referred") => "referred",
            Some("aborted") => "aborted",
            _ => continue,
        };
        out.insert(
            (lane, n),
            Ended {
                outcome,
                reason: d["reason"].as_str().map(str::to_string),
                took_s: d["took_ms"].as_u64().unwrap_or(0) as f64 / 1000.0,
                pad: d["pad"]["decision"].as_str().map(str::to_string),
            },
        );
    }
    out
}

/// The face attempts' (score, threshold) in the trail by (lane, passage).
fn face_scores(
    trail: &[serde_json::Value],
    ids: &[String],
) -> BTreeMap<(u32, u64), Vec<(f32, f32)>> {
    let mut out: BTreeMap<(u32, u64), Vec<(f32, f32)>> = BTreeMap::new();
    for r in trail
        .iter()
        .filter(|r| r["kind"] == "attempt" && r["data"]["step"] == "Face")
    {
        let d = &r["data"];
        let (Some(lane), Some(n), Some(s), Some(t)) = (
            lane_of(ids, &d["gate"]),
            d["passage"].as_u64(),
            d["score"].as_f64(),
            d["threshold"].as_f64(),
        ) else {
            continue;
        };
        out.entry((lane, n)).or_default().push((s as f32, t as f32));
    }
    out
}

fn pad_word(s: &str) -> Option<&'static str> {
    match s {
        "live" => Some("live"),
        "attack" => Some("attack"),
        "inconclusive" => Some("inconclusive"),
        "not_checked" => Some("not_checked"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Scenario;
    use std::path::Path;

    fn check(text: &str) -> Checked {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("identities.txt"), "a.jpg a\n").unwrap();
        let text = text.replace("FACES", &d.path().display().to_string());
        Scenario::check(&text, Path::new("."), Path::new("/x")).unwrap()
    }

    #[test]
    fn what_real_time_cannot_honour_is_named_by_line_and_key() {
        let c = check(
            "name = \"t\"\nseed = 1\ndate = \"2026-12-01\"\n\n[gates]\nlayout = \"one-step\"\n\n\
             [travellers]\ncount = 4\nfaces = \"FACES\"\nsequence = [\"genuine\", \"tailgater\"]\n\n\
             [[faults]]\nat_s = 3\nkind = \"reader_disconnected\"\nfor_s = 2\n\n\
             [[faults]]\nat_s = 3\nkind = \"fire_alarm\"\nfor_s = 2\nwhen = \"verifying\"\n",
        );
        let e = unsupported(&c);
        let got: Vec<(Option<usize>, &str)> = e.iter().map(|e| (e.line, e.key.as_str())).collect();
        assert_eq!(
            got,
            vec![
                (Some(3), "date"),
                (Some(6), "gates.layout"),
                (Some(11), "travellers.sequence[2]"),
                (Some(15), "faults[1].kind"),
                (Some(22), "faults[2].when"),
            ]
        );
        assert!(
            e[2].message.contains("one traveller at a time"),
            "{}",
            e[2].message
        );
    }

    #[test]
    fn a_scenario_real_time_supports_has_no_problem() {
        let c = check(
            "name = \"t\"\nseed = 1\n\n[travellers]\ncount = 4\nfaces = \"FACES\"\n\
             sequence = [\"genuine\", \"impostor\", \"clone-aa-other-key\", \"print\", \"leaving\"]\n\n\
             [[faults]]\nat_s = 3\nkind = \"door_jammed\"\ndoor = \"entry\"\nfor_s = 2\n",
        );
        assert!(unsupported(&c).is_empty(), "{:?}", unsupported(&c));
        // Every behaviour is either supported or says why not.
        for k in Kind::ALL {
            let t = Type::kind(k);
            assert_eq!(
                unsupported_kind(t).is_none(),
                KINDS.contains(&k) || PAD_KINDS.contains(&k),
                "{k}"
            );
        }
    }

    #[test]
    fn the_trail_gives_each_passage_its_outcome_and_scores() {
        let ids = vec!["g-1".to_string(), "g-2".to_string()];
        let trail: Vec<serde_json::Value> = [
            r#"{"kind":"attempt","data":{"gate":"g-2","passage":4,"step":"Face","score":0.61,"threshold":0.4}}"#,
            r#"{"kind":"passage","data":{"gate":"g-2","passage":4,"outcome":"accepted","reason":null,"took_ms":8123,"pad":{"decision":"live"}}}"#,
            r#"{"kind":"passage","data":{"gate":"g-9","passage":4,"outcome":"accepted","took_ms":1}}"#,
            r#"{"kind":"passage","data":{"gate":"g-1","passage":"x","outcome":"accepted"}}"#,
        ]
        .iter()
        .map(|s| serde_json::from_str(s).unwrap())
        .collect();
        let e = ended_passages(&trail, &ids);
        assert_eq!(
            e.len(),
            1,
            "an unknown gate or a malformed record is skipped"
        );
        let p = &e[&(2, 4)];
        assert_eq!(
            (p.outcome, p.took_s, p.pad.as_deref()),
            ("accepted", 8.123, Some("live"))
        );
        assert_eq!(face_scores(&trail, &ids)[&(2, 4)], vec![(0.61, 0.4)]);
    }
}
