//! The audit trail checked by a verifier this project's Rust code did not write:
//! `tests/independent/audit_chain.py`, written from the format description alone
//! (`docs/audit-trail.md`), on a trail written by `egate run --sim`. It and `egate audit
//! verify` must accept the daemon's trail and its checkpoints, and find a changed field, a
//! removed line, a record re-hashed without the key, a cut tail and a middle rewritten and
//! re-MACed under the key (issue #17, must-show 2).
//!
//! Needs the test venv's Python (`scripts/setup.sh`; `EGATE_TEST_PYTHON` overrides it). The
//! verifier uses the standard library only.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use egate_tests::{egate, run_args, run_independent, venv_python, write_sim_config, Daemon};
use serde_json::Value;

/// Runs the independent verifier on `trail` with `key` (and the checkpoints file, if
/// given); returns (exit code, its one-line verdict).
fn independent_verify(trail: &Path, key: &Path, checkpoints: Option<&Path>) -> (i32, String) {
    let mut args = vec![trail, key];
    args.extend(checkpoints);
    run_independent("audit_chain.py", &args)
}

/// `egate audit verify trail --key key --checkpoints cps`: (exit code, stdout + stderr).
fn egate_verify(trail: &Path, key: &Path, checkpoints: &Path) -> (i32, String) {
    let (code, out, err) = egate(&[
        "audit",
        "verify",
        trail.to_str().unwrap(),
        "--key",
        key.to_str().unwrap(),
        "--checkpoints",
        checkpoints.to_str().unwrap(),
    ]);
    (code, format!("{out}{err}"))
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
    std::fs::write(dir.join("daemon.log"), d.log.join("\n")).unwrap();
    trail
}

#[test]
fn an_independent_verifier_accepts_the_daemons_trail_and_finds_every_break() {
    let dir = tempfile::tempdir().unwrap();
    let trail = daemon_trail(dir.path());
    let key = dir.path().join("audit-mac.key");
    let cps = dir.path().join("audit.jsonl.checkpoints");
    let text = std::fs::read_to_string(&trail).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines.len() >= 5, "{text}");

    // Both verifiers accept the intact trail and its checkpoints, and count the same records.
    let (code, out) = independent_verify(&trail, &key, Some(&cps));
    assert_eq!(code, 0, "{out}");
    assert!(
        out.starts_with(&format!("ok {} records, ", lines.len())),
        "{out}"
    );
    assert!(!out.ends_with(" 0 checkpoints"), "{out}");
    let (code, ours) = egate_verify(&trail, &key, &cps);
    assert_eq!(code, 0, "{ours}");

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

    // One field of one passage record changed: that line's MAC no longer matches.
    let at = lines
        .iter()
        .position(|l| l.contains(r#""kind":"passage""#))
        .expect("a passage record");
    let mut changed = owned.clone();
    let before = serde_json::from_str::<Value>(lines[at]).unwrap()["data"]["outcome"].clone();
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
    let p = write("changed.jsonl", &changed);
    let (code, out) = independent_verify(&p, &key, None);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.starts_with(&format!("broken at line {}: mac", at + 1)),
        "{out}"
    );
    let (code, ours) = egate_verify(&p, &key, &cps);
    assert_eq!(code, 1, "{ours}");
    assert!(
        ours.contains(&format!("BROKEN at line {}", at + 1)),
        "{ours}"
    );

    // A line removed in the middle: the next record's prev names a record that is gone.
    let gone = lines.len() / 2;
    let mut removed = owned.clone();
    removed.remove(gone);
    let (code, out) = independent_verify(&write("removed.jsonl", &removed), &key, None);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.starts_with(&format!("broken at line {}: prev", gone + 1)),
        "{out}"
    );

    // The changed record re-hashed by someone who knows the format but not the key (SHA-256,
    // as an unkeyed chain would have it): its MAC fails.
    let body_end = changed[at].rfind(r#","mac":""#).unwrap();
    let body = changed[at][..body_end].to_string();
    let mut rehashed = changed.clone();
    rehashed[at] = format!(r#"{body},"mac":"{}"}}"#, python_hex("sha256", None, &body));
    let p = write("rehashed.jsonl", &rehashed);
    let (code, out) = independent_verify(&p, &key, None);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.starts_with(&format!("broken at line {}: mac", at + 1)),
        "{out}"
    );
    let (code, ours) = egate_verify(&p, &key, &cps);
    assert_eq!(code, 1, "{ours}");

    // The tail cut: the chain that is left holds, the checkpoints name records that are gone.
    let cut = write("cut.jsonl", &owned[..owned.len() - 2]);
    let (code, out) = independent_verify(&cut, &key, None);
    assert_eq!(code, 0, "{out}");
    let (code, out) = independent_verify(&cut, &key, Some(&cps));
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("cut"), "{out}");
    let (code, ours) = egate_verify(&cut, &key, &cps);
    assert_eq!(code, 1, "{ours}");
    assert!(ours.contains("cut off its end"), "{ours}");

    // A key holder rewrites the middle and re-MACs it and every record after it: the chain
    // holds, the checkpoints do not.
    let mut rewritten = owned.clone();
    let mut prev = serde_json::from_str::<Value>(&owned[at]).unwrap()["prev"]
        .as_str()
        .unwrap()
        .to_string();
    for (i, line) in owned.iter().enumerate().skip(at) {
        let l = if i == at {
            changed[at].clone()
        } else {
            line.clone()
        };
        let cut_at = l.find(r#","prev":""#).unwrap();
        let body = format!(r#"{},"prev":"{prev}""#, &l[..cut_at]);
        let mac = python_hex("hmac", Some(&key), &body);
        rewritten[i] = format!(r#"{body},"mac":"{mac}"}}"#);
        prev = mac;
    }
    let p = write("rewritten.jsonl", &rewritten);
    let (code, out) = independent_verify(&p, &key, None);
    assert_eq!(code, 0, "the rewrite is a valid chain: {out}");
    let (code, out) = independent_verify(&p, &key, Some(&cps));
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("rewritten"), "{out}");
    let (code, ours) = egate_verify(&p, &key, &cps);
    assert_eq!(code, 1, "{ours}");
    assert!(ours.contains("rewritten"), "{ours}");

    // The checkpoints are in the daemon's log too, where a disk writer cannot reach them:
    // they catch the rewrite without the checkpoints file.
    let log = dir.path().join("daemon.log");
    assert!(std::fs::read_to_string(&log)
        .unwrap()
        .contains("audit checkpoint"));
    let (code, ours) = egate_verify(&p, &key, &log);
    assert_eq!(code, 1, "{ours}");
}

/// SHA-256 (`kind` "sha256") or HMAC-SHA-256 under the key file (`kind` "hmac") of `text`,
/// in hex, by the venv's Python (the tests crate has no hash dependency of its own).
fn python_hex(kind: &str, key: Option<&Path>, text: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("body");
    std::fs::write(&f, text).unwrap();
    let script = match kind {
        "sha256" => "import hashlib,sys;print(hashlib.sha256(open(sys.argv[1],'rb').read()).hexdigest())",
        _ => "import hashlib,hmac,sys;print(hmac.new(open(sys.argv[2],'rb').read(),open(sys.argv[1],'rb').read(),hashlib.sha256).hexdigest())",
    };
    let mut cmd = Command::new(venv_python());
    cmd.args(["-c", script]).arg(&f);
    if let Some(k) = key {
        cmd.arg(k);
    }
    let out = cmd.output().expect("run python");
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}
