//! Decision latency and the gate's share of a whole passage, over [`gate::script`]'s
//! genuine passage (the one the scenario tests and `egate bench gate` drive).
//!
//! - `decision/face_accept_to_exit_open`: from the last input (the face verdict that
//!   completes an accept) to the exit-open command being polled.
//! - `passage/two_step` and `passage/one_step`: every input of a genuine passage through
//!   the machine, draining all commands, from `Gate::new` to idle again.
//!
//! Run: `cargo bench -p gate --bench decision`.

// `criterion_group!` generates an undocumented `pub fn`.
#![allow(missing_docs)]

use std::time::Instant;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use gate::script::{today, Keep, Script, MATCH};
use gate::{GateConfig, Phase};

/// A two-step gate waiting only for the face verdict (PAD already live).
fn ready_for_face(now: Instant) -> Script {
    let mut lane = Script::new(GateConfig::two_step(today()), now, Keep::Nothing);
    lane.clear_lane().expect("clear");
    lane.ready_for_face().expect("ready for the face verdict");
    lane
}

fn whole_passage(config: GateConfig, t0: Instant) -> Script {
    let mut lane = Script::new(config, t0, Keep::Nothing);
    lane.clear_lane().expect("clear");
    lane.genuine_passage().expect("passage");
    assert_eq!(lane.gate.phase(), Phase::Idle);
    lane
}

fn benches(c: &mut Criterion) {
    let t0 = Instant::now();
    let today = today();
    c.bench_function("decision/face_accept_to_exit_open", |b| {
        // By reference: only the decision is timed, not moving the gate in and out.
        b.iter_batched_ref(
            || ready_for_face(t0),
            |lane| assert!(lane.decide(MATCH).expect("face ticket")),
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
