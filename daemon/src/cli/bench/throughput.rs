//! `egate bench throughput`: travellers per hour through one two-step gate and the median
//! passage (document presented → exit closed behind the traveller), in virtual time
//! ([`sim::throughput`]): the gate state machine under its safety model, the simulated door
//! controller and walkers, and modelled durations (`sim/data/passage-timing.md`), with
//! overlap on and, beside it, off.

use std::time::Duration;

use clap::Args;
use gate::GateConfig;
use serde_json::{json, Value};
use sim::chip::LinkModel;
use sim::throughput::{self, Durations, StepUp};
use sim::traveller::WalkTimes;

use super::{BenchError, Report};

/// Goal (issue #20): travellers per hour per gate with overlap.
const GOAL_PER_HOUR: f64 = 450.0;
/// Goal (issue #20): median passage with overlap, in seconds.
const GOAL_MEDIAN_S: f64 = 8.0;

/// Options of `egate bench throughput`.
#[derive(Args)]
pub struct ThroughputArgs {
    /// Travellers in each run (a queue that never runs dry)
    #[arg(long, default_value_t = 400, value_parser = clap::value_parser!(u32).range(2..=100_000))]
    travellers: u32,
    /// Door leaf travel, seconds
    #[arg(long, default_value_t = 1.0)]
    door_travel: f64,
    /// Placing the document on the reader, seconds
    #[arg(long, default_value_t = 1.5)]
    place_document: f64,
    /// The face step (capture, match, PAD), seconds
    #[arg(long, default_value_t = 0.8)]
    face_step: f64,
    /// The border database query, seconds
    #[arg(long, default_value_t = 0.05)]
    borderdb: f64,
    /// The chip read, seconds (default: the modelled read of the specimen, measured at start)
    #[arg(long)]
    chip_read: Option<f64>,
    /// Print one JSON object instead of the table
    #[arg(long)]
    json: bool,
    /// Photo made into the ~20 KB DG2 face image of the specimen whose read is modelled
    #[arg(long)]
    face: Option<std::path::PathBuf>,
}

impl ThroughputArgs {
    /// Whether to print JSON.
    pub(super) fn json(&self) -> bool {
        self.json
    }
}

fn secs(name: &'static str, v: f64) -> Result<Duration, BenchError> {
    if !(0.0..=600.0).contains(&v) {
        return Err(BenchError::Option(
            name,
            "must be between 0 and 600 seconds",
        ));
    }
    Duration::try_from_secs_f64(v).map_err(|_| BenchError::Option(name, "not a duration"))
}

/// The chip read of the specimen: the link model's time for every APDU of the read plus the
/// software time of the read and passive authentication.
fn modelled_chip_read(args: &ThroughputArgs) -> Result<(Duration, Duration, Duration), BenchError> {
    let fx = super::document::fixture_with(args.face.clone())?;
    super::document::read_once_timed(&fx, LinkModel::INSTANT)?; // warm-up
    let (modelled, software) = super::document::read_once_timed(&fx, LinkModel::TYPICAL)?;
    Ok((modelled + software, modelled, software))
}

struct Row {
    label: &'static str,
    report: throughput::Report,
}

impl Row {
    fn median_s(&self) -> f64 {
        self.report.quantile(0.5).as_secs_f64()
    }

    fn json(&self) -> Value {
        json!({
            "travellers": self.report.through,
            "per_hour": self.report.per_hour(),
            "median_passage_s": self.median_s(),
            "p90_passage_s": self.report.quantile(0.9).as_secs_f64(),
            "overlapped": self.report.overlapped,
            "not_accepted": self.report.not_accepted,
        })
    }
}

pub(super) fn bench_throughput(args: &ThroughputArgs) -> Result<Report, BenchError> {
    let (chip_read, link, software) = match args.chip_read {
        Some(v) => {
            let d = secs("--chip-read", v)?;
            (d, d, Duration::ZERO)
        }
        None => modelled_chip_read(args)?,
    };
    let durations = Durations {
        chip_read,
        borderdb: secs("--borderdb", args.borderdb)?,
        face_step: secs("--face-step", args.face_step)?,
        place_document: secs("--place-document", args.place_document)?,
        door_travel: secs("--door-travel", args.door_travel)?,
        walk: WalkTimes::default(),
        poll: hardware::door::DoorMap::default().poll_period(),
    };
    if durations.door_travel.is_zero() {
        return Err(BenchError::Option("--door-travel", "must be more than 0"));
    }
    let today = gate::script::today();
    let config = |overlap: bool| {
        let mut c = GateConfig::two_step(today);
        c.overlap = overlap;
        c
    };
    let n = args.travellers as usize;
    let run = |overlap, step_up| {
        throughput::run(config(overlap), durations, step_up, n)
            .map_err(|e| BenchError::Throughput(e.to_string()))
    };
    let rows = [
        Row {
            label: "overlap on (called forward)",
            report: run(true, StepUp::Called)?,
        },
        Row {
            label: "overlap on (as soon as allowed)",
            report: run(true, StepUp::AsSoonAsAllowed)?,
        },
        Row {
            label: "overlap off",
            report: run(false, StepUp::Called)?,
        },
    ];
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let s = |d: Duration| d.as_secs_f64();
    let mut table = format!(
        "egate bench throughput — one two-step gate, virtual time, {n} genuine travellers per run\n\
         modelled durations (sim/data/passage-timing.md):\n\
         \x20 chip read        {cr:.0} ms  (specimen, 424 kbit/s + 5 ms/APDU: {lk:.0} ms link + {sw:.1} ms software)\n\
         \x20 borderdb        {wl:.0} ms\n\
         \x20 face step        {fs:.0} ms  (capture, match, PAD)\n\
         \x20 place document   {pd:.1} s\n\
         \x20 door travel      {dt:.1} s\n\
         \x20 walking          {td:.1} s through a door, {wa:.1} s away from the exit\n\
         \x20 controller poll  {po:.0} ms\n\
         {h:<34} {a:>10} {b:>12} {c:>10} {d:>11}\n",
        cr = ms(chip_read),
        lk = ms(link),
        sw = ms(software),
        wl = ms(durations.borderdb),
        fs = ms(durations.face_step),
        pd = s(durations.place_document),
        dt = s(durations.door_travel),
        td = s(durations.walk.through_door),
        wa = s(durations.walk.walk_away),
        po = ms(durations.poll),
        h = "",
        a = "per hour",
        b = "median s",
        c = "p90 s",
        d = "overlapped",
    );
    for r in &rows {
        table.push_str(&format!(
            "{l:<34} {ph:>10.0} {md:>12.2} {p9:>10.2} {ov:>11}\n",
            l = r.label,
            ph = r.report.per_hour(),
            md = r.median_s(),
            p9 = r.report.quantile(0.9).as_secs_f64(),
            ov = r.report.overlapped,
        ));
    }
    let on = &rows[0];
    table.push_str(&format!(
        "goal with overlap: ≥ {GOAL_PER_HOUR:.0}/h: {} · median ≤ {GOAL_MEDIAN_S:.0} s: {}\n\
         (passage: document presented → exit closed behind the traveller; per hour: between the \
         first and the last exit closing)\n",
        if on.report.per_hour() >= GOAL_PER_HOUR {
            "yes"
        } else {
            "NO"
        },
        if on.median_s() <= GOAL_MEDIAN_S {
            "yes"
        } else {
            "NO"
        },
    ));
    let json = json!({
        "travellers_per_run": n,
        "durations_s": {
            "chip_read": s(chip_read),
            "chip_read_link": s(link),
            "chip_read_software": s(software),
            "borderdb": s(durations.borderdb),
            "face_step": s(durations.face_step),
            "place_document": s(durations.place_document),
            "door_travel": s(durations.door_travel),
            "through_door": s(durations.walk.through_door),
            "walk_away": s(durations.walk.walk_away),
            "poll": s(durations.poll),
        },
        "overlap_called": rows[0].json(),
        "overlap_as_soon_as_allowed": rows[1].json(),
        "no_overlap": rows[2].json(),
        "goal_per_hour": GOAL_PER_HOUR,
        "goal_median_s": GOAL_MEDIAN_S,
    });
    Ok(Report { table, json })
}
