//! Decision latency and the gate's share of a whole passage.
//!
//! - `decision/face_accept_to_exit_open`: from the last input (the face verdict that
//!   completes an accept) to the exit-open command being polled.
//! - `passage/two_step` and `passage/one_step`: every input of a genuine passage through
//!   the machine, draining all commands, from `Gate::new` to idle again.
//!
//! Run: `cargo bench -p gate --bench decision`.

// `criterion_group!` generates an undocumented `pub fn`.
#![allow(missing_docs)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use gate::{
    ChipAuthOutcome, CivilDate, Command, CountryCode, DocumentFacts, DocumentKind, DocumentVerdict,
    DoorAction, DoorId, FaceVerdict, Gate, GateConfig, Input, PaOutcome, PadVerdict, Pseudonym,
    SensorEvent, Ticket, WatchlistResult, Zone,
};

fn facts() -> DocumentFacts {
    DocumentFacts {
        kind: DocumentKind::Passport,
        issuing_state: CountryCode::new("DEU").expect("code"),
        nationality: CountryCode::new("DEU").expect("code"),
        birth_date: Some(CivilDate::new(1990, 5, 17).expect("date")),
        expiry: CivilDate::new(2031, 3, 1).expect("date"),
        pa: PaOutcome::Trusted,
        chip_auth: ChipAuthOutcome::Passed,
        mrz_matches_dg1: true,
        pseudonym: Pseudonym("hmac:3f9a".into()),
    }
}

#[derive(Default)]
struct Jobs {
    chip: Option<Ticket>,
    watchlist: Option<Ticket>,
    face: Option<Ticket>,
    pad: Option<Ticket>,
}

/// Feeds one input and drains every command, echoing doors as position sensors.
fn feed(gate: &mut Gate, now: Instant, input: Input, jobs: &mut Jobs) {
    gate.handle(now, input);
    let mut echoes = Vec::new();
    while let Some(c) = gate.poll_command() {
        match c {
            Command::StartChipRead { ticket } => jobs.chip = Some(ticket),
            Command::StartWatchlist { ticket } => jobs.watchlist = Some(ticket),
            Command::StartFaceMatch { ticket } => jobs.face = Some(ticket),
            Command::StartPad { ticket } => jobs.pad = Some(ticket),
            Command::Door { door, action } => echoes.push(Input::Sensor(SensorEvent::Door {
                door,
                closed: action != DoorAction::Open,
            })),
            other => {
                black_box(other);
            }
        }
    }
    for echo in echoes {
        feed(gate, now, echo, jobs);
    }
}

fn zone(zone: Zone, occupied: bool) -> Input {
    Input::Sensor(SensorEvent::Zone { zone, occupied })
}

/// A two-step gate waiting only for the face verdict (PAD already live).
fn ready_for_face(now: Instant) -> (Gate, Ticket) {
    let today = CivilDate::new(2026, 11, 26).expect("date");
    let mut gate = Gate::new(GateConfig::two_step(today), now);
    let mut jobs = Jobs::default();
    for z in [Zone::A, Zone::B, Zone::C] {
        feed(&mut gate, now, zone(z, false), &mut jobs);
    }
    feed(&mut gate, now, zone(Zone::A, true), &mut jobs);
    feed(&mut gate, now, Input::DocumentPresented, &mut jobs);
    let ticket = jobs.chip.expect("chip");
    let verdict = DocumentVerdict::Read(facts());
    feed(
        &mut gate,
        now,
        Input::DocumentVerdict { ticket, verdict },
        &mut jobs,
    );
    let ticket = jobs.watchlist.expect("watchlist");
    let result = WatchlistResult::Clear;
    feed(
        &mut gate,
        now,
        Input::WatchlistResult { ticket, result },
        &mut jobs,
    );
    feed(&mut gate, now, zone(Zone::B, true), &mut jobs);
    feed(&mut gate, now, zone(Zone::A, false), &mut jobs);
    let ticket = jobs.pad.expect("pad");
    let verdict = PadVerdict::Live { score: 0.9 };
    feed(
        &mut gate,
        now,
        Input::PadVerdict { ticket, verdict },
        &mut jobs,
    );
    (gate, jobs.face.expect("face"))
}

/// The decision: the last input in, the exit-open command out.
fn decide(gate: &mut Gate, now: Instant, ticket: Ticket) -> bool {
    let verdict = FaceVerdict::Match {
        score: 0.7,
        threshold: 0.5,
    };
    gate.handle(now, Input::FaceVerdict { ticket, verdict });
    while let Some(c) = gate.poll_command() {
        if c == (Command::Door {
            door: DoorId::Exit,
            action: DoorAction::Open,
        }) {
            return true;
        }
    }
    false
}

fn whole_passage(config: GateConfig, t0: Instant) -> Gate {
    let two_step = config.layout == gate::Layout::TwoStep;
    let mut now = t0;
    let mut gate = Gate::new(config, now);
    let mut jobs = Jobs::default();
    let mut step = |gate: &mut Gate, input: Input, jobs: &mut Jobs| {
        now += Duration::from_millis(500);
        feed(gate, now, input, jobs);
    };
    for z in [Zone::A, Zone::B, Zone::C] {
        step(&mut gate, zone(z, false), &mut jobs);
    }
    step(&mut gate, zone(Zone::A, true), &mut jobs);
    if !two_step {
        step(&mut gate, zone(Zone::B, true), &mut jobs);
    }
    step(&mut gate, Input::DocumentPresented, &mut jobs);
    let ticket = jobs.chip.expect("chip");
    let verdict = DocumentVerdict::Read(facts());
    step(
        &mut gate,
        Input::DocumentVerdict { ticket, verdict },
        &mut jobs,
    );
    let ticket = jobs.watchlist.expect("watchlist");
    let result = WatchlistResult::Clear;
    step(
        &mut gate,
        Input::WatchlistResult { ticket, result },
        &mut jobs,
    );
    if two_step {
        step(&mut gate, zone(Zone::B, true), &mut jobs);
        step(&mut gate, zone(Zone::A, false), &mut jobs);
    }
    let ticket = jobs.pad.expect("pad");
    let verdict = PadVerdict::Live { score: 0.9 };
    step(&mut gate, Input::PadVerdict { ticket, verdict }, &mut jobs);
    let ticket = jobs.face.expect("face");
    let verdict = FaceVerdict::Match {
        score: 0.7,
        threshold: 0.5,
    };
    step(&mut gate, Input::FaceVerdict { ticket, verdict }, &mut jobs);
    step(&mut gate, zone(Zone::C, true), &mut jobs);
    step(&mut gate, zone(Zone::B, false), &mut jobs);
    step(&mut gate, zone(Zone::C, false), &mut jobs);
    assert_eq!(gate.phase(), gate::Phase::Idle);
    gate
}

fn benches(c: &mut Criterion) {
    let t0 = Instant::now();
    let today = CivilDate::new(2026, 11, 26).expect("date");
    c.bench_function("decision/face_accept_to_exit_open", |b| {
        b.iter_batched(
            || ready_for_face(t0),
            |(mut gate, ticket)| {
                assert!(decide(&mut gate, t0, ticket));
                gate
            },
            BatchSize::SmallInput,
        )
    });
    c.bench_function("passage/two_step", |b| {
        b.iter(|| whole_passage(GateConfig::two_step(today), t0))
    });
    c.bench_function("passage/one_step", |b| {
        b.iter(|| whole_passage(GateConfig::one_step(today), t0))
    });
}

criterion_group!(decision, benches);
criterion_main!(decision);
