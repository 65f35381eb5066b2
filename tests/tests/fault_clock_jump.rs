//! A wall clock stepped under a running gate (issue #17, faults): `egate run --sim` runs with
//! libfaketime (Debian package `faketime`) preloaded, which makes the process's wall clock
//! (`CLOCK_REALTIME`) read a file the test rewrites, while the monotonic clock stays the
//! kernel's (`FAKETIME_DONT_FAKE_MONOTONIC=1`) — as an NTP step or an operator's `date -s`
//! does to a real host. The binary is the real one; nothing in it knows about the fake.
//!
//! What holds: the wall clock jumps a day forward, then 26 hours back, while travellers keep
//! arriving every 0.2 s. Every passage is accepted (no step timer fired early or late: they
//! run on monotonic time), passages go on after each jump (the simulator's next traveller
//! arrives only once both doors have been shut for half a second, so each further passage
//! shows no door was held open), the trail records each step as a `clock_stepped` record
//! with its signed size, its timestamps go back only at such a record, and
//! `egate audit verify` accepts it.

use std::path::Path;
use std::time::Duration;

use egate_tests::{audit_records, egate, passages_ended, run_args, write_sim_config, Daemon};

/// libfaketime's multi-threaded build, as Debian installs it.
const LIBFAKETIME: &str = "/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1";

/// Sets the offset libfaketime adds to the wall clock (its relative format, `+1d`, `-2h`).
fn set_offset(file: &Path, offset: &str) {
    // Written whole and renamed: the daemon's threads read the file on every clock call.
    let tmp = file.with_extension("tmp");
    std::fs::write(&tmp, format!("{offset}\n")).unwrap();
    std::fs::rename(&tmp, file).unwrap();
}

#[test]
fn a_stepped_wall_clock_neither_stops_the_lane_nor_disorders_the_trail() {
    assert!(
        Path::new(LIBFAKETIME).exists(),
        "{LIBFAKETIME} not found: run scripts/setup.sh (it installs the Debian package faketime)"
    );
    let state = tempfile::tempdir().unwrap();
    let cfg = state.path().join("egate.toml");
    write_sim_config(&cfg, "\"genuine\"", "");
    let offset = state.path().join("faketime");
    set_offset(&offset, "+0");
    let mut cmd = std::process::Command::new(egate_tests::egate_bin());
    cmd.args(run_args(true, Some(&cfg), state.path()))
        .env("LD_PRELOAD", LIBFAKETIME)
        .env("FAKETIME_TIMESTAMP_FILE", &offset)
        .env("FAKETIME_NO_CACHE", "1")
        .env("FAKETIME_DONT_FAKE_MONOTONIC", "1");
    let mut d = Daemon::spawn(cmd);
    let addr = d.wait_listening();
    d.wait_passages_ended(addr, 2, Duration::from_secs(120));

    // A day forward: the lane's date turns too.
    set_offset(&offset, "+1d");
    let n = passages_ended(addr);
    d.wait_passages_ended(addr, n + 3, Duration::from_secs(120));
    // 26 hours back: before the first record's time.
    set_offset(&offset, "-2h");
    let n = passages_ended(addr);
    d.wait_passages_ended(addr, n + 3, Duration::from_secs(120));

    d.signal("TERM");
    let st = d.wait_exit(Duration::from_secs(10));
    assert!(st.is_some_and(|s| s.success()), "egate exit: {st:?}");
    let log = d.log.join("\n");

    let trail = state.path().join("audit.jsonl");
    let (code, out, err) = egate(&["audit", "verify", trail.to_str().unwrap()]);
    assert_eq!(code, 0, "egate audit verify: {out}{err}");

    // Every passage is accepted, but one still under way when the daemon stops (with
    // overlap, the next traveller's), which ends as aborted for the shutdown.
    let ended = audit_records(&trail, "passage");
    let stopped = ended
        .iter()
        .filter(|p| p["data"]["reason"] == "shutdown")
        .count();
    assert!(
        stopped <= 2,
        "{stopped} passages ended by the shutdown\n{log}"
    );
    for p in ended.iter().filter(|p| p["data"]["reason"] != "shutdown") {
        assert_eq!(p["data"]["outcome"], "accepted", "{p}\n{log}");
    }
    let steps: Vec<i64> = audit_records(&trail, "clock_stepped")
        .iter()
        .map(|r| r["data"]["step_ms"].as_i64().unwrap())
        .collect();
    let day = 86_400_000i64;
    assert!(
        steps.iter().any(|s| (s - day).abs() < 60_000),
        "no forward step of a day in {steps:?}"
    );
    assert!(
        steps
            .iter()
            .any(|s| (s + day + 2 * 3_600_000).abs() < 60_000),
        "no backward step of 26 h in {steps:?}"
    );
    // Timestamps go back only at a recorded step.
    let text = std::fs::read_to_string(&trail).unwrap();
    let records: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    for pair in records.windows(2) {
        let (a, b) = (&pair[0], &pair[1]);
        let (ta, tb) = (a["ts_ms"].as_u64().unwrap(), b["ts_ms"].as_u64().unwrap());
        assert!(
            tb >= ta || b["kind"] == "clock_stepped",
            "the time goes back without a recorded step:\n{a}\n{b}"
        );
    }
    // The lane's date followed the clock, both ways.
    assert!(
        audit_records(&trail, "date_changed").len() >= 2,
        "the date change was not noticed\n{log}"
    );
}
