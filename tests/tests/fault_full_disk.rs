//! A full disk under the audit trail (issue #17, faults): `egate run --sim` keeps its state
//! (the trail, its keys) on a 16 MiB tmpfs of its own, in a mount namespace of its own
//! (`unshare --mount --map-root-user`, so no privilege is needed), taking a traveller every
//! 0.2 s. A filler file then takes all the space. What holds: the gate goes out of service (its
//! safe state) and takes no traveller while the trail cannot be written; once the filler is
//! removed, the records kept meanwhile are written in order, the gate takes travellers again
//! (a door opening that waited for its record is carried out then, so the traveller it was
//! for leaves the lane), and `egate audit verify` accepts the whole trail (no record lost,
//! none torn).
//!
//! The test reads the passages from `/metrics` (the trail is visible only inside the
//! namespace); a shell inside it fills and frees the disk on the test's signal (files in a
//! control folder) and copies the trail out when egate has exited.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use egate_tests::{egate, egate_bin, passages_ended, run_args, write_sim_config, Daemon};

const SCRIPT: &str = r#"
set -eu
mount -t tmpfs -o size=16m egate-full-disk "$STATE"
main=$$
(
  until [ -e "$CTRL/fill" ]; do sleep 0.05; kill -0 "$main" 2>/dev/null || exit 0; done
  dd if=/dev/zero of="$STATE/filler" bs=64k 2>/dev/null || true
  touch "$CTRL/full"
  until [ -e "$CTRL/free" ]; do sleep 0.05; kill -0 "$main" 2>/dev/null || break; done
  rm -f "$STATE/filler"
  touch "$CTRL/freed"
  while kill -0 "$main" 2>/dev/null; do sleep 0.05; done
  cp "$STATE"/audit* "$CTRL/"
  touch "$CTRL/done"
) &
exec "$EGATE" "$@"
"#;

fn wait_file(path: &Path, timeout: Duration) {
    let deadline = Instant::now() + timeout;
    while !path.exists() {
        assert!(
            Instant::now() < deadline,
            "{} did not appear",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_full_disk_holds_the_gate_out_of_service_until_space_returns_losing_no_record() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let ctrl = dir.path().join("ctrl");
    std::fs::create_dir(&state).unwrap();
    std::fs::create_dir(&ctrl).unwrap();
    let cfg = dir.path().join("egate.toml");
    write_sim_config(&cfg, "\"genuine\"", "");
    let mut cmd = Command::new("unshare");
    cmd.args(["--mount", "--map-root-user", "bash", "-c", SCRIPT, "bash"])
        .args(run_args(true, Some(&cfg), &state))
        .env("STATE", &state)
        .env("CTRL", &ctrl)
        .env("EGATE", egate_bin());
    let mut d = Daemon::spawn(cmd);
    let addr = d.wait_listening();
    d.wait_passages_ended(addr, 2, Duration::from_secs(180));

    // The disk fills: the next record fails, the gate goes out of service.
    std::fs::write(ctrl.join("fill"), b"").unwrap();
    wait_file(&ctrl.join("full"), Duration::from_secs(20));
    d.wait_for_line("audit trail write failed", Duration::from_secs(30));
    d.wait_for_line("gate out of service", Duration::from_secs(10));
    // The passage in progress ends (abandoned) with the gate's safe state; then nothing.
    std::thread::sleep(Duration::from_secs(1));
    let held = passages_ended(addr);
    std::thread::sleep(Duration::from_secs(4));
    assert_eq!(
        passages_ended(addr),
        held,
        "the gate took travellers while its trail could not be written"
    );

    // Space returns: the kept records are written, the gate takes travellers again.
    std::fs::write(ctrl.join("free"), b"").unwrap();
    wait_file(&ctrl.join("freed"), Duration::from_secs(10));
    d.wait_for_line(
        "the audit trail takes records again",
        Duration::from_secs(10),
    );
    d.wait_passages_ended(addr, held + 2, Duration::from_secs(180));

    d.signal("TERM");
    let st = d.wait_exit(Duration::from_secs(10));
    assert!(st.is_some_and(|s| s.success()), "egate exit: {st:?}");
    wait_file(&ctrl.join("done"), Duration::from_secs(10));
    let trail = ctrl.join("audit.jsonl");
    let key = ctrl.join("audit-mac.key");
    let (code, out, err) = egate(&[
        "audit",
        "verify",
        trail.to_str().unwrap(),
        "--key",
        key.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "egate audit verify: {out}{err}");
    let records: Vec<serde_json::Value> = std::fs::read_to_string(&trail)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let resumed = records
        .iter()
        .position(|r| r["kind"] == "audit_resumed")
        .expect("an audit_resumed record");
    let kept = records[resumed]["data"]["records_kept"].as_u64().unwrap();
    assert!(kept >= 2, "{kept} records kept");
    // The records kept in memory are the ones just before it, in order: the failed one and
    // the gate going out of service among them.
    let outage = &records[resumed - kept as usize..resumed];
    assert!(
        outage
            .iter()
            .any(|r| r["kind"] == "officer_action" && r["data"]["command"] == "OutOfService"),
        "{outage:#?}"
    );
    // Every record has the next sequence number (verify checked the chain; this is the
    // count).
    for (i, r) in records.iter().enumerate() {
        assert_eq!(r["seq"].as_u64(), Some(i as u64), "{r}");
    }
}
