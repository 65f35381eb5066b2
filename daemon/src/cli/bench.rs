//! `egate bench`: the figures issues #3 and #7 ask for, measured in-process.
//!
//! - `doc`: a full document read (PACE, EF.COM, SOD, DG1, a ~20 KB DG2, DG14, DG15, AA, CA)
//!   from the in-process virtual chip plus passive authentication — software time per
//!   document with an instant link, and the modelled wall time on a 424 kbit/s, 5 ms per APDU
//!   link; with `--vpcd`, the same read through pcscd and vpcd (the PC/SC adapter, the chip
//!   answering on the modelled link's timing) beside the in-process model, and their ratio.
//! - `gate`: decision latency (the face verdict that completes an accept → the exit-open
//!   command polled from [`gate::Gate`]) and a whole two-step passage through the machine.
//! - `passage`: the software share of a passage: read + PA + state machine + audit appends,
//!   with the fsync'd append (disk time) reported on its own.
//! - `audit-hold`: the resident memory the records kept while the audit trail cannot be
//!   written (a full disk) take, at the most the driver keeps.
//! - `throughput`: travellers per hour through one two-step gate and the median passage, in
//!   virtual time with modelled physical durations, with overlap on and off.
//!
//! Each prints a table, or with `--json` one JSON object of numbers (nothing personal).

mod audit_hold;
#[cfg(feature = "sim")]
mod document;
#[cfg(feature = "sim")]
mod link;
#[cfg(feature = "sim")]
mod throughput;

#[cfg(feature = "sim")]
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::{Args, Subcommand};
use gate::script::{self, Keep, Script, MATCH};
use gate::GateConfig;
use serde_json::{json, Value};

/// Goal: decision latency in-process, well under a millisecond.
const GOAL_DECISION_US: f64 = 1000.0;

/// `egate bench`.
#[derive(Subcommand)]
pub enum BenchCommand {
    /// Document read from the in-process virtual chip + passive authentication
    #[cfg(feature = "sim")]
    Doc(BenchArgs),
    /// Gate decision latency and a whole passage through the state machine
    Gate(BenchArgs),
    /// Software share of a passage: read + PA + state machine + audit
    #[cfg(feature = "sim")]
    Passage(BenchArgs),
    /// Travellers per hour and median passage of one gate, virtual time, overlap on and off
    #[cfg(feature = "sim")]
    Throughput(throughput::ThroughputArgs),
    /// Resident memory of the audit records kept while the trail cannot be written
    AuditHold {
        /// Print one JSON object instead of the table
        #[arg(long)]
        json: bool,
    },
}

/// Options common to every benchmark.
#[derive(Args)]
pub struct BenchArgs {
    /// Measured iterations (after one warm-up)
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    iterations: u32,
    /// Print one JSON object instead of the table
    #[arg(long)]
    json: bool,
    /// Photo made into the ~20 KB DG2 face image (default: vision/tests/data/person_b_1.jpg)
    #[cfg(feature = "sim")]
    #[arg(long)]
    face: Option<PathBuf>,
    /// Directory for the temporary audit trail of `bench passage` (default: the temp dir)
    #[cfg(feature = "sim")]
    #[arg(long)]
    audit_dir: Option<PathBuf>,
    /// `bench doc`: also read the document through pcscd, the virtual chip on vpcd at this
    /// address (e.g. 127.0.0.1:35963, as scripts/with-pcscd.sh sets up)
    #[cfg(feature = "sim")]
    #[arg(long, value_name = "ADDR")]
    vpcd: Option<String>,
    /// `bench doc --vpcd`: the PC/SC reader that vpcd address is
    #[cfg(feature = "sim")]
    #[arg(long, default_value = "Virtual PCD 00 00")]
    vpcd_reader: String,
    /// `bench doc --vpcd`: measured reads through pcscd (after one warm-up)
    #[cfg(feature = "sim")]
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=1000))]
    vpcd_reads: u32,
}

/// Why a benchmark could not run.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// The face photo could not be read or encoded.
    #[cfg(feature = "sim")]
    #[error("face image {path}: {source}")]
    Face {
        /// The photo.
        path: PathBuf,
        /// The vision error.
        source: vision::VisionError,
    },
    /// The photo could not be brought to about 20 KB.
    #[cfg(feature = "sim")]
    #[error("face image {0}: cannot encode a JPEG of about 20 KB from it")]
    FaceSize(PathBuf),
    /// The specimen's printed MRZ does not parse.
    #[cfg(feature = "sim")]
    #[error("specimen MRZ: {0}")]
    Mrz(String),
    /// The test PKI does not load into the CSCA store.
    #[cfg(feature = "sim")]
    #[error("test PKI: {0}")]
    Pki(String),
    /// The chip read failed.
    #[cfg(feature = "sim")]
    #[error("chip read: {0}")]
    Read(String),
    /// pcscd or vpcd could not be reached or did not behave.
    #[cfg(feature = "sim")]
    #[error("pcscd + vpcd: {0}")]
    Vpcd(String),
    /// Passive authentication did not pass on the specimen.
    #[cfg(feature = "sim")]
    #[error("passive authentication did not pass: {0:?}")]
    Pa(Vec<&'static str>),
    /// The gate did not go through a passage as expected.
    #[error("gate: {0}")]
    Gate(&'static str),
    /// A bad option value.
    #[error("{0}: {1}")]
    #[cfg(feature = "sim")]
    Option(&'static str, &'static str),
    /// The throughput model stopped.
    #[cfg(feature = "sim")]
    #[error("throughput model: {0}")]
    Throughput(String),
    /// The scripted passage could not go on.
    #[error("gate: {0}")]
    Script(#[from] gate::script::ScriptError),
    /// The audit trail failed.
    #[cfg(feature = "sim")]
    #[error("audit trail: {0}")]
    Audit(#[from] audit::AuditError),
    /// Temporary directory.
    #[cfg(feature = "sim")]
    #[error("temporary audit file {path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}

/// Entry point of `egate bench`.
pub fn main(cmd: BenchCommand) -> ExitCode {
    let result = match &cmd {
        #[cfg(feature = "sim")]
        BenchCommand::Doc(a) => document::bench_doc(a).map(|r| (r, a.json)),
        BenchCommand::Gate(a) => bench_gate(a).map(|r| (r, a.json)),
        #[cfg(feature = "sim")]
        BenchCommand::Passage(a) => document::bench_passage(a).map(|r| (r, a.json)),
        #[cfg(feature = "sim")]
        BenchCommand::Throughput(a) => throughput::bench_throughput(a).map(|r| (r, a.json())),
        BenchCommand::AuditHold { json } => audit_hold::bench_audit_hold(*json),
    };
    match result {
        Ok((report, true)) => {
            println!("{}", report.json);
            ExitCode::SUCCESS
        }
        Ok((report, false)) => {
            print!("{}", report.table);
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("egate bench: {e}");
            ExitCode::FAILURE
        }
    }
}

/// A finished benchmark: its table and its JSON object.
struct Report {
    table: String,
    json: Value,
}

/// Median, p95, p99 and mean of a set of samples.
struct Summary {
    median: Duration,
    // Only the document benchmarks report it.
    #[cfg_attr(not(feature = "sim"), allow(dead_code))]
    p95: Duration,
    p99: Duration,
    mean: Duration,
}

impl Summary {
    fn of(samples: &mut [Duration]) -> Summary {
        samples.sort_unstable();
        // Nearest-rank percentile.
        let pick = |p: f64| -> Duration {
            if samples.is_empty() {
                return Duration::ZERO;
            }
            let rank = ((p * samples.len() as f64).ceil() as usize).clamp(1, samples.len());
            samples[rank - 1]
        };
        let total: Duration = samples.iter().sum();
        Summary {
            median: pick(0.5),
            p95: pick(0.95),
            p99: pick(0.99),
            mean: total / (samples.len().max(1) as u32),
        }
    }
}

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

/// `yes` / `NO` against a goal, for the tables.
fn meets(value: f64, goal: f64) -> &'static str {
    if value < goal {
        "yes"
    } else {
        "NO"
    }
}

// ---------------------------------------------------------------------------------------
// The gate: the genuine passage of `gate::script`, the one gate/benches/decision.rs and the
// gate's scenario tests drive, keeping the audit events the daemon would write.

/// A two-step gate on the script's date, its zones reported clear.
fn lane(t0: Instant) -> Result<Script, BenchError> {
    let mut lane = Script::new(GateConfig::two_step(script::today()), t0, Keep::Audit);
    lane.clear_lane()?;
    Ok(lane)
}

/// A two-step passage up to the face verdict, the face match job running.
fn ready_for_face(t0: Instant) -> Result<Script, BenchError> {
    let mut lane = lane(t0)?;
    lane.ready_for_face()?;
    Ok(lane)
}

/// A whole genuine two-step passage, from `Gate::new` to idle again; the audit events it
/// wrote are in the script's log.
fn whole_passage(t0: Instant) -> Result<Script, BenchError> {
    let mut lane = lane(t0)?;
    lane.genuine_passage()?;
    if lane.gate.phase() != gate::Phase::Idle {
        return Err(BenchError::Gate("the passage did not end idle"));
    }
    Ok(lane)
}

struct GateFigures {
    decision: Summary,
    passage: Summary,
    audit_events: usize,
}

fn gate_figures(iterations: u32) -> Result<GateFigures, BenchError> {
    let t0 = Instant::now();
    let mut decision = Vec::with_capacity(iterations as usize);
    let mut passage = Vec::with_capacity(iterations as usize);
    let mut audit_events = 0;
    for i in 0..=iterations {
        let mut lane = ready_for_face(t0)?;
        let start = Instant::now();
        let opened = lane.decide(MATCH);
        let took = start.elapsed();
        if !opened? {
            return Err(BenchError::Gate("the face match did not open the exit"));
        }
        let start = Instant::now();
        let lane = whole_passage(t0)?;
        let whole = start.elapsed();
        let lane = std::hint::black_box(lane);
        if i > 0 {
            // Iteration 0 is the warm-up.
            decision.push(took);
            passage.push(whole);
            audit_events = lane.audits().count();
        }
    }
    Ok(GateFigures {
        decision: Summary::of(&mut decision),
        passage: Summary::of(&mut passage),
        audit_events,
    })
}

fn bench_gate(args: &BenchArgs) -> Result<Report, BenchError> {
    let f = gate_figures(args.iterations)?;
    let table = format!(
        "egate bench gate — the sans-IO state machine, two-step layout\n\
         iterations                      {n}\n\
         decision (face match → exit open) median {dm:.2} µs   p99 {dp:.2} µs   (goal < {g} µs: {m})\n\
         whole passage (new → idle)       median {pm:.2} µs   p99 {pp:.2} µs\n\
         audit events per passage        {ae}\n",
        n = args.iterations,
        dm = us(f.decision.median),
        dp = us(f.decision.p99),
        g = GOAL_DECISION_US,
        m = meets(us(f.decision.p99), GOAL_DECISION_US),
        pm = us(f.passage.median),
        pp = us(f.passage.p99),
        ae = f.audit_events,
    );
    let json = json!({
        "iterations": args.iterations,
        "decision_us_median": us(f.decision.median),
        "decision_us_p99": us(f.decision.p99),
        "decision_us_mean": us(f.decision.mean),
        "passage_us_median": us(f.passage.median),
        "passage_us_p99": us(f.passage.p99),
        "audit_events": f.audit_events,
        "goal_decision_us": GOAL_DECISION_US,
    });
    Ok(Report { table, json })
}
