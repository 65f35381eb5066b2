//! The audit trail checked by a verifier this project's Rust code did not write:
//! `tests/independent/audit_chain.py`, written from the format description alone (README
//! "Audit trail" and the audit module's doc comment), on a trail written by `egate run --sim`.
//! It must accept the daemon's trail and find a changed field, a removed line and a record
//! rehashed after its change.
//!
//! Needs the test venv's Python (`scripts/setup.sh`; `EGATE_TEST_PYTHON` overrides it). The
//! verifier uses the standard library only.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use egate_tests::{egate, run_args, run_independent, venv_python, write_sim_config, Daemon};
use serde_json::Value;

/// Runs the independent verifier on `trail`; returns (exit code, its one-line verdict).
fn independent_verify(trail: &Path) -> (i32, String) {
    run_independent("audit_chain.py", &[trail])
}

/// A trail written by the daemon: one simulated lane with travellers arriving (passages
/// carry nested data), stopped by SIGTERM after a few passages.
fn daemon_trail(dir: &Path) -> PathBuf {
    let cfg = dir.join("egate.toml");
    write_sim_config(&cfg, r#""genuine", "forged", "listed""#, "");
    let mut d = Daemon::start(&run_args(true, Some(&cfg), dir));
    d.wait_listening();
    let trail = dir.join("audit.jsonl");
    let deadline = Instant::now() + Duration::from_secs(120);
    let passages = || {
        std::fs::read_to_string(&trail)
            .unwrap_or_default()
            .lines()
            .filter(|l| l.contains(r#""kind":"passage""#))
            .count()
    };
    while passages() < 3 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(200));
    }
    d.signal("TERM");
    let st = d
        .wait_exit(Duration::from_secs(5))
        .expect("stops on SIGTERM");
    assert!(st.success(), "{}", d.log.join("\n"));
    assert!(
        passages() >= 3,
        "fewer than 3 passages in 120 s\n{}",
        d.log.join("\n")
    );
    trail
}

#[test]
fn an_independent_verifier_accepts_the_daemons_trail_and_finds_every_break() {
    let dir = tempfile::tempdir().unwrap();
    let trail = daemon_trail(dir.path());
    let text = std::fs::read_to_string(&trail).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines.len() >= 5, "{text}");

    // Both verifiers accept the intact trail and count the same records.
    let (code, out) = independent_verify(&trail);
    assert_eq!(code, 0, "{out}");
    assert_eq!(out, format!("ok {} records", lines.len()));
    let (code, ours, err) = egate(&["audit", "verify", trail.to_str().unwrap()]);
    assert_eq!(code, 0, "{ours}{err}");

    let write = |name: &str, lines: &[String]| {
        let p = dir.path().join(name);
        std::fs::write(
            &p,
            lines.iter().map(|l| format!("{l}\n")).collect::<String>(),
        )
        .unwrap();
        p
    };
    let owned: Vec<String> = lines.iter().map(|l| l.to_string()).collect();

    // One field of one passage record changed: that line's hash no longer matches.
    let at = lines
        .iter()
        .position(|l| l.contains(r#""kind":"passage""#))
        .expect("a passage record");
    let mut changed = owned.clone();
    let mut record: Value = serde_json::from_str(lines[at]).unwrap();
    let before = record["data"]["outcome"].clone();
    let flipped = if before == "accepted" {
        "referred"
    } else {
        "accepted"
    };
    changed[at] = lines[at].replacen(
        &format!(r#""outcome":{before}"#),
        &format!(r#""outcome":"{flipped}""#),
        1,
    );
    assert_ne!(changed[at], lines[at], "the outcome field was not found");
    let (code, out) = independent_verify(&write("changed.jsonl", &changed));
    assert_eq!(code, 1, "{out}");
    assert!(
        out.starts_with(&format!("broken at line {}: hash", at + 1)),
        "{out}"
    );

    // A line removed in the middle: the next record's prev names a record that is gone.
    let gone = lines.len() / 2;
    let mut removed = owned.clone();
    removed.remove(gone);
    let (code, out) = independent_verify(&write("removed.jsonl", &removed));
    assert_eq!(code, 1, "{out}");
    assert!(
        out.starts_with(&format!("broken at line {}: prev", gone + 1)),
        "{out}"
    );

    // A changed record rehashed by someone who knows the format: the next record's prev
    // still names the original.
    let body_end = changed[at].rfind(r#","hash":""#).unwrap();
    let body = &changed[at][..body_end];
    let digest = sha256_hex(body.as_bytes());
    record = serde_json::from_str(&changed[at]).unwrap();
    assert_ne!(record["hash"], digest.as_str());
    let mut rehashed = changed.clone();
    rehashed[at] = format!(r#"{body},"hash":"{digest}"}}"#);
    let (code, out) = independent_verify(&write("rehashed.jsonl", &rehashed));
    assert_eq!(code, 1, "{out}");
    assert!(
        out.starts_with(&format!("broken at line {}: prev", at + 2)),
        "{out}"
    );
}

/// SHA-256 by the venv's Python (the tests crate has no hash dependency of its own).
fn sha256_hex(bytes: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("body");
    std::fs::write(&f, bytes).unwrap();
    let out = Command::new(venv_python())
        .args([
            "-c",
            "import hashlib,sys;print(hashlib.sha256(open(sys.argv[1],'rb').read()).hexdigest())",
        ])
        .arg(&f)
        .output()
        .expect("run python");
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}
