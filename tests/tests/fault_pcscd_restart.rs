//! pcscd restarted while a chip is being read (issue #17, faults): `egate run --sim` reads each
//! traveller's chip through the real pcscd and its vpcd driver with the production PC/SC
//! adapter. Run beside pcscd (`scripts/with-pcscd.sh cargo test`, as make test does), which
//! restarts pcscd whenever it exits (as systemd would on a gate) and names its pid in
//! `EGATE_PCSCD_PID_FILE`.
//!
//! The test kills pcscd (SIGKILL, a crash) once a chip read is under way, until a chip-read
//! attempt has failed for it. What holds: a passage whose chip could not be read is retried or
//! referred, never accepted (no door opens on a broken read: an accepted passage always has a
//! document decision without a refusal), and the lane recovers: the next travellers are read
//! through the new pcscd and accepted. `egate audit verify` accepts the trail.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use egate_tests::{
    audit_records, egate, metric_sum, passages_ended, run_args, write_sim_config, Daemon,
};

/// Whether a chip read is under way: more documents presented than chip results handed in.
fn reading(addr: SocketAddr) -> bool {
    let presented = metric_sum(addr, "egate_inputs_total", "kind=\"document_presented\"");
    let read = metric_sum(addr, "egate_inputs_total", "kind=\"document_verdict\"");
    presented > read
}

/// Failed chip-read attempts in the trail.
fn failed_reads(trail: &std::path::Path) -> usize {
    audit_records(trail, "attempt")
        .iter()
        .filter(|r| r["data"]["step"] == "DocumentRead" && !r["data"]["failure"].is_null())
        .count()
}

fn kill_pcscd() -> u32 {
    let file = std::env::var("EGATE_PCSCD_PID_FILE").expect(
        "EGATE_PCSCD_PID_FILE is not set: run the tests beside pcscd (scripts/with-pcscd.sh \
         cargo test)",
    );
    let pid: u32 = std::fs::read_to_string(&file)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let st = std::process::Command::new("kill")
        .args(["-KILL", &pid.to_string()])
        .status()
        .unwrap();
    assert!(st.success(), "kill pcscd {pid}");
    // The supervisor starts the next one.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let now: u32 = std::fs::read_to_string(&file)
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(pid);
        if now != pid {
            return now;
        }
        assert!(Instant::now() < deadline, "pcscd was not restarted");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn pcscd_restarted_mid_read_refers_or_retries_and_the_next_traveller_is_read() {
    let state = tempfile::tempdir().unwrap();
    let cfg = state.path().join("egate.toml");
    write_sim_config(&cfg, "\"genuine\"", "0");
    let trail = state.path().join("audit.jsonl");
    let mut d = Daemon::start(&run_args(true, Some(&cfg), state.path()));
    let addr = d.wait_listening();
    d.wait_for_line("chip link: pcscd + vpcd", Duration::from_secs(30));

    // Kill pcscd in the middle of a read until a read attempt fails for it.
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut kills = 0;
    while failed_reads(&trail) == 0 {
        assert!(
            Instant::now() < deadline,
            "no chip read failed after {kills} pcscd kills\n{}",
            d.log.join("\n")
        );
        while !reading(addr) {
            std::thread::sleep(Duration::from_millis(10));
        }
        // Into the read: the reader has been found and the card is being talked to.
        std::thread::sleep(Duration::from_millis(300));
        kill_pcscd();
        kills += 1;
        // The read in progress ends (failed or done) before the next look.
        let t = Instant::now();
        while reading(addr) && t.elapsed() < Duration::from_secs(20) {
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    // The lane recovers: the next travellers are accepted.
    let after = passages_ended(addr);
    d.wait_passages_ended(addr, after + 3, Duration::from_secs(120));
    d.signal("TERM");
    assert!(d.wait_exit(Duration::from_secs(10)).is_some());
    let log = d.log.join("\n");

    let (code, out, err) = egate(&["audit", "verify", trail.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    // A passage still under way when the daemon stops (with overlap, the next traveller's)
    // ends as aborted for the shutdown: it is not one of the travellers under test.
    let ended: Vec<_> = audit_records(&trail, "passage")
        .into_iter()
        .filter(|p| p["data"]["reason"] != "shutdown")
        .collect();
    let decisions = audit_records(&trail, "document_decision");
    let attempts = audit_records(&trail, "attempt");
    for p in &ended {
        let n = &p["data"]["passage"];
        let read_ok = decisions
            .iter()
            .any(|r| r["data"]["passage"] == *n && r["data"]["refusal"].is_null());
        if p["data"]["outcome"] == "accepted" {
            assert!(read_ok, "accepted without a good chip read: {p}\n{log}");
        }
        // A passage whose every read attempt failed was not let through.
        let reads: Vec<_> = attempts
            .iter()
            .filter(|a| a["data"]["passage"] == *n && a["data"]["step"] == "DocumentRead")
            .collect();
        if !reads.is_empty() && reads.iter().all(|a| !a["data"]["failure"].is_null()) {
            assert_ne!(p["data"]["outcome"], "accepted", "{p}\n{reads:?}");
        }
    }
    let last: Vec<_> = ended.iter().rev().take(3).collect();
    assert!(
        last.iter().all(|p| p["data"]["outcome"] == "accepted"),
        "the travellers after the restart: {last:?}\n{log}"
    );
}
