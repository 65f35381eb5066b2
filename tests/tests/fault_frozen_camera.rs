//! A frozen camera (issue #17, faults): `egate run --sim` runs its simulated camera's frames
//! through the real capture loop, face models and PAD. The test freezes the camera mid-run
//! through the simulator's fault route (`POST /sim/gates/{gate}/faults/camera_frozen`): from
//! then on it repeats its last frame, a frame of the traveller before, as a stalled driver
//! handing out its last buffer does.
//!
//! What holds:
//! - no passage is accepted on a face step that ran on the frozen camera;
//! - the freeze is found within the capture that meets it: the camera's device record says
//!   `frozen`, the passage in progress ends for the device fault, the gate's `device_fault`
//!   alarm and the camera's state (`frozen`) reach the console;
//! - while frozen, the camera stays faulty (looked at every 2 s, `daemon/src/lane/camera.rs`);
//! - unfrozen, it is recorded working again; an officer resets the gate (a device fault
//!   waits for one, as for every device) and passages are accepted again;
//! - `egate audit verify` accepts the trail.

use std::path::Path;
use std::time::{Duration, Instant};

use egate_tests::{
    audit_records, egate, http, parse_addr, run_args, write_sim_config, Console, Daemon,
};
use serde_json::{json, Value};

const GATE: &str = "gate-1-1";

/// Waits up to `limit` for `f` to give `Some`; fails with `what` and the daemon's log.
fn wait_for<T>(d: &mut Daemon, limit: Duration, what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(v) = f() {
            return v;
        }
        d.drain();
        assert!(
            Instant::now() < deadline,
            "{what} within {limit:?}\n{}",
            d.log.join("\n")
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The trail's records, in order.
fn records(trail: &Path) -> Vec<Value> {
    std::fs::read_to_string(trail)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

fn seq(r: &Value) -> u64 {
    r["seq"].as_u64().expect("a record has a seq")
}

/// The camera's device records: (seq, fault, detail).
fn camera_records(trail: &Path) -> Vec<(u64, bool, Option<String>)> {
    audit_records(trail, "device")
        .iter()
        .filter(|r| r["data"]["device"] == "camera")
        .map(|r| {
            (
                seq(r),
                r["data"]["fault"].as_bool().unwrap(),
                r["data"]["detail"].as_str().map(str::to_string),
            )
        })
        .collect()
}

fn accepted_after(trail: &Path, after: u64) -> usize {
    audit_records(trail, "passage")
        .iter()
        .filter(|p| seq(p) > after && p["data"]["outcome"] == "accepted")
        .count()
}

/// Logs in to the console of `egate run --sim` as the demo supervisor whose password the
/// start printed.
fn login(d: &mut Daemon) -> Console {
    let line = d.wait_for_line("console listening", Duration::from_secs(60));
    let addr = parse_addr(&line).unwrap();
    let pw = d
        .log
        .iter()
        .rev()
        .find(|l| l.contains('│') && l.contains("supervisor"))
        .expect("demo supervisor password")
        .split_whitespace()
        .last()
        .unwrap()
        .to_string();
    Console::login(addr, "supervisor", &pw)
}

#[test]
fn a_frozen_camera_is_a_device_fault_no_passage_is_accepted_on_it_and_the_lane_recovers() {
    let state = tempfile::tempdir().unwrap();
    let cfg = state.path().join("egate.toml");
    write_sim_config(&cfg, "\"genuine\"", "");
    let trail = state.path().join("audit.jsonl");
    let mut d = Daemon::start(&run_args(true, Some(&cfg), state.path()));
    let addr = d.wait_listening();
    let console = login(&mut d);

    // The camera works: travellers pass.
    wait_for(
        &mut d,
        Duration::from_secs(180),
        "two accepted passages",
        || (accepted_after(&trail, 0) >= 2).then_some(()),
    );
    // Freeze it as a passage ends: the next face step is seconds away (the next traveller
    // walks into the mantrap first), so every face step after this one meets the freeze.
    let ended = audit_records(&trail, "passage").len();
    wait_for(&mut d, Duration::from_secs(60), "another passage", || {
        (audit_records(&trail, "passage").len() > ended).then_some(())
    });
    let r = http(
        addr,
        "POST",
        &format!("/sim/gates/{GATE}/faults/camera_frozen"),
        "",
    )
    .unwrap();
    assert_eq!(r.status, 204, "{r:?}");
    let frozen_at = records(&trail).last().map(seq).unwrap();
    let t_freeze = Instant::now();

    // Found within the capture that meets it, and reported as the camera's fault.
    let (fault_seq, _, detail) = wait_for(
        &mut d,
        Duration::from_secs(90),
        "the camera's device fault",
        || {
            camera_records(&trail)
                .into_iter()
                .find(|(s, fault, _)| *s > frozen_at && *fault)
        },
    );
    assert_eq!(detail.as_deref(), Some("frozen"));
    let found_after = t_freeze.elapsed();
    d.wait_for_line("camera frozen", Duration::from_secs(10));
    // The gate's device alarm, recorded and on the console; the camera's state too.
    let alarm = wait_for(
        &mut d,
        Duration::from_secs(10),
        "the device_fault alarm",
        || {
            audit_records(&trail, "alarm")
                .into_iter()
                .find(|a| seq(a) > frozen_at && a["data"]["reason"] == "device_fault")
        },
    );
    let on_console = wait_for(
        &mut d,
        Duration::from_secs(10),
        "the alarm on the console",
        || {
            console.get("/api/alarms")["alarms"]
                .as_array()
                .unwrap()
                .iter()
                .find(|a| a["gate"] == GATE && a["gate_alarm_id"].as_u64() == Some(seq(&alarm)))
                .cloned()
        },
    );
    assert_eq!(on_console["reason"], "device_fault", "{on_console}");
    let status = console.get(&format!("/api/gates/{GATE}"))["status"].clone();
    assert_eq!(status["phase"], "fault", "{status}");
    let camera = status["devices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["device"] == "camera")
        .unwrap_or_else(|| panic!("no camera on the console: {status}"))
        .clone();
    assert_eq!(camera["ok"], false, "{camera}");
    assert_eq!(camera["detail"], "frozen", "{camera}");

    // Still frozen after a few looks at it: still faulty, and no traveller is taken.
    std::thread::sleep(Duration::from_secs(7));
    assert!(
        camera_records(&trail)
            .iter()
            .all(|(s, fault, _)| *s < fault_seq || *fault),
        "recovered while frozen: {:?}",
        camera_records(&trail)
    );
    assert_eq!(
        console.get(&format!("/api/gates/{GATE}"))["status"]["phase"],
        "fault"
    );

    // Unfrozen: new frames again, recorded.
    let r = http(
        addr,
        "DELETE",
        &format!("/sim/gates/{GATE}/faults/camera_frozen"),
        "",
    )
    .unwrap();
    assert_eq!(r.status, 204, "{r:?}");
    let t_unfreeze = Instant::now();
    let (recovered_seq, ..) = wait_for(
        &mut d,
        Duration::from_secs(30),
        "the camera recorded working again",
        || {
            camera_records(&trail)
                .into_iter()
                .find(|(s, fault, _)| *s > fault_seq && !*fault)
        },
    );
    eprintln!(
        "frozen camera: device fault recorded {found_after:.1?} after the freeze (the next \
         face step's), recovery recorded {:.1?} after the unfreeze",
        t_unfreeze.elapsed()
    );
    // An officer resets the gate (a device fault waits for one), and travellers pass again.
    let (code, body) = console.post(
        &format!("/api/gates/{GATE}/commands/reset"),
        json!({ "comment": "camera delivers frames again" }),
    );
    assert_eq!(code, 202, "{body}");
    let deadline = Instant::now() + Duration::from_secs(180);
    while accepted_after(&trail, recovered_seq) < 2 {
        d.drain();
        if Instant::now() > deadline {
            let tail: Vec<String> = records(&trail)
                .iter()
                .filter(|r| seq(r) >= recovered_seq)
                .map(|r| r.to_string())
                .collect();
            panic!(
                "no passages after the recovery; the trail since:\n{}\n{}",
                tail.join("\n"),
                d.log.join("\n")
            );
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    d.signal("TERM");
    assert!(d.wait_exit(Duration::from_secs(10)).is_some());
    let log = d.log.join("\n");

    let (code, out, err) = egate(&["audit", "verify", trail.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    let all = records(&trail);
    let passages: Vec<&Value> = all.iter().filter(|r| r["kind"] == "passage").collect();
    // No passage accepted on the frozen camera: a passage accepted after the freeze had its
    // face step before it, or after the camera worked again.
    for p in &passages {
        if p["data"]["outcome"] != "accepted" || seq(p) <= frozen_at {
            continue;
        }
        let n = &p["data"]["passage"];
        for a in all.iter().filter(|r| {
            r["kind"] == "attempt" && r["data"]["passage"] == *n && r["data"]["step"] == "Face"
        }) {
            assert!(
                seq(a) <= frozen_at || seq(a) > recovered_seq,
                "passage {n} accepted on a face step of the frozen camera: {a}\n{log}"
            );
        }
    }
    // The passage the freeze met ended for the device fault.
    assert!(
        passages.iter().any(|p| seq(p) > frozen_at
            && seq(p) < recovered_seq
            && p["data"]["reason"] == "device_fault"
            && p["data"]["outcome"] != "accepted"),
        "no passage ended for the camera's fault: {passages:?}\n{log}"
    );
    // The officer's reset is in the trail, after the recovery.
    assert!(all.iter().any(|r| r["kind"] == "officer_action"
        && seq(r) > recovered_seq
        && r["data"]["command"] == "Reset"
        && r["data"]["accepted"] == true));
}
