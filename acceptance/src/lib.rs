//! Acceptance runs for procurement teams: scenario files, the virtual-time engine, the
//! built-in suite and the reports they hand in.
//!
//! # Contract
//!
//! - A scenario file ([`scenario`]) is checked like the daemon's config: every problem at
//!   once, each with its line and dotted key, never a panic.
//! - The engine ([`engine`]) runs the production gate state machine, the production door
//!   tracker over real Modbus RTU frames to the simulated controller, the production chip
//!   reader against virtual passports, and the lane's own document and face checks
//!   ([`checks::Checks`], implemented by the `egate` binary) — in virtual time: time is an
//!   argument, walking, door travel and the chip link follow modelled durations
//!   ([`timing`]). The same scenario and seed give the same report.
//! - Reports ([`report`]) are JSON, JUnit XML and a self-contained printable HTML page.
//! - The suite ([`suite`]) stages the classic acceptance cases and the exception cases of
//!   the Frontex catalogue that the simulator can stage, each with its expected outcome and
//!   the requirement it covers.
//!
//! Never part of a border build: the crate is a dependency of `egate`'s `sim` feature only.

pub mod checks;
pub mod criteria;
pub mod engine;
pub mod faces;
pub mod kinds;
mod position;
pub mod realtime;
pub mod report;
pub mod scenario;
pub mod suite;
pub mod timing;

use std::path::Path;

use engine::{Cache, Engine, Outcome, RunError};
use report::{CaseResult, Report, Reproduction};
use scenario::{Checked, Scenario};

/// Runs a checked scenario and builds its report. `progress(done, total)` is called as
/// travellers finish.
pub fn run(
    c: &Checked,
    checks: &mut dyn checks::Checks,
    pki: &sim::factory::pki::TestPki,
    reproduction: Reproduction,
    progress: &mut dyn FnMut(u32, u32),
) -> Result<Report, RunError> {
    let started = std::time::Instant::now();
    let ids = engine::load_faces(c, checks)?;
    let mut cache = Cache::default();
    let out = Engine::new(c, checks, ids, pki, &mut cache)?.run(progress);
    let wall = started.elapsed().as_secs_f64();
    Ok(report::build(c, &out, reproduction, wall, Vec::new()))
}

/// Runs the built-in suite over the face folder `faces` and builds its report (the cases
/// one after another, as if on one gate).
pub fn run_suite(
    faces: &Path,
    seed: u64,
    checks: &mut dyn checks::Checks,
    pki: &sim::factory::pki::TestPki,
    reproduction: Reproduction,
    progress: &mut dyn FnMut(u32, u32),
) -> Result<Report, SuiteError> {
    let started = std::time::Instant::now();
    let faces_s = faces.display().to_string();
    let total: usize = suite::CASES.iter().map(|c| c.travellers.len()).sum();
    let overall_text = format!(
        "name = \"egate built-in acceptance suite\"\nseed = {seed}\ncriteria = [\"nobody_trapped\"]\n\n[travellers]\ncount = {total}\nfaces = \"{faces_s}\"\n"
    );
    let overall = Scenario::check(&overall_text, Path::new("."), Path::new("."))
        .map_err(SuiteError::Scenario)?;
    let ids = engine::load_faces(&overall, checks)?;
    let mut cache = Cache::default();
    let mut merged: Option<Outcome> = None;
    let mut cases = Vec::new();
    let mut done = 0u32;
    let mut offset = 0.0;
    for case in suite::CASES {
        let text = suite::scenario(case, &faces_s, seed);
        let c =
            Scenario::check(&text, Path::new("."), Path::new(".")).map_err(SuiteError::Scenario)?;
        let mut step = |d: u32, _t: u32| progress(done + d, total as u32);
        let out = Engine::new(&c, checks, ids.clone(), pki, &mut cache)?.run(&mut step);
        done += out.records.len() as u32;
        let recovered = out.faults.iter().all(|f| f.recovery_s.is_some());
        let (passed, actual) = suite::judge(case, &out.records, recovered);
        let first = merged.as_ref().map_or(0, |m| m.records.len() as u32);
        cases.push(CaseResult {
            id: case.id.into(),
            title: case.title.into(),
            requirement: case.requirement.into(),
            expected: suite::expected(case),
            actual,
            passed,
            travellers: (first..first + out.records.len() as u32).collect(),
        });
        merged = Some(match merged {
            None => shift(out, 0, 0.0),
            Some(m) => append(m, out, offset),
        });
        offset = merged.as_ref().map_or(0.0, |m| m.end_s) + 10.0;
    }
    let out = merged.ok_or(SuiteError::Empty)?;
    let wall = started.elapsed().as_secs_f64();
    Ok(report::build(&overall, &out, reproduction, wall, cases))
}

fn shift(mut o: Outcome, first: u32, dt: f64) -> Outcome {
    let add = |v: &mut f64| *v = ((*v + dt) * 1000.0).round() / 1000.0;
    for r in &mut o.records {
        r.id += first;
        add(&mut r.arrived_s);
        r.served_s.as_mut().map(add);
        r.left_s.as_mut().map(add);
    }
    for f in &mut o.faults {
        add(&mut f.at_s);
        f.cleared_s.as_mut().map(add);
        f.recovered_s.as_mut().map(add);
    }
    for s in &mut o.samples {
        add(&mut s.t_s);
    }
    for s in &mut o.resources {
        add(&mut s.t_s);
    }
    add(&mut o.end_s);
    o
}

fn append(mut m: Outcome, o: Outcome, offset: f64) -> Outcome {
    let done = m.records.len() as u32;
    let mut o = shift(o, done, offset);
    for s in &mut o.samples {
        s.done += done;
    }
    for s in &mut o.resources {
        s.done += done;
    }
    m.records.extend(o.records);
    m.faults.extend(o.faults);
    m.samples.extend(o.samples);
    m.resources.extend(o.resources);
    m.end_s = o.end_s;
    for (a, b) in m.gates.iter_mut().zip(&o.gates) {
        a.0 += b.0;
        a.1 += b.1;
    }
    m.face_cache.0 += o.face_cache.0;
    m.face_cache.1 += o.face_cache.1;
    m.chip_reads += o.chip_reads;
    m.frames.0 += o.frames.0;
    m.frames.1 += o.frames.1;
    m
}

/// Why the suite could not run.
#[derive(Debug, thiserror::Error)]
pub enum SuiteError {
    /// A case's scenario did not check (a bug of the suite, or a missing face folder).
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Scenario(Vec<scenario::ScenarioError>),
    /// A run failed.
    #[error(transparent)]
    Run(#[from] RunError),
    /// No case.
    #[error("the suite has no case")]
    Empty,
}
