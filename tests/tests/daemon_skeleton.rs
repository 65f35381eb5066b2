//! The `egate` binary's skeleton (issue #2): subcommands, config handling, the health and
//! metrics endpoint, log formats and clean shutdown — all through the real binary.

use std::path::Path;
use std::time::{Duration, Instant};

use egate_tests::{config_check, egate, http, run_args, temp_file, Daemon};

#[test]
fn help_lists_every_subcommand_with_a_description() {
    let (code, out, _) = egate(&["--help"]);
    assert_eq!(code, 0);
    for sub in [
        "run", "console", "sim", "doc", "mrz", "vision", "hw", "config", "audit", "bench", "pki",
        "policy",
    ] {
        let line = out
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("{sub} ")))
            .unwrap_or_else(|| panic!("`{sub}` missing from --help:\n{out}"));
        assert!(
            line.split_whitespace().count() > 2,
            "`{sub}` has no description: {line:?}"
        );
    }
}

#[test]
fn config_default_documents_every_key_and_checks_valid() {
    let (code, out, _) = egate(&["config", "default"]);
    assert_eq!(code, 0);
    // Every key of the annotated default is explained: a comment heads the paragraph it is
    // in (no blank line between them), so a key added to a section without a word of
    // explanation fails here. The rows of an array of tables (`[[...]]`, e.g. an eligibility
    // rule) are data, explained where their table is, and named by their `name`.
    let mut commented = false;
    let mut row = false;
    let mut keys = 0;
    for (n, line) in out.lines().enumerate() {
        let t = line.trim();
        if t.starts_with('#') {
            commented = true;
        } else if t.starts_with('[') || t.is_empty() {
            commented = false;
            if t.starts_with('[') {
                row = t.starts_with("[[");
            }
        } else if let Some((key, _)) = t.split_once('=') {
            let key = key.trim();
            if !row && !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            {
                assert!(commented, "line {}: `{key}` has no comment", n + 1);
                keys += 1;
            }
        }
    }
    assert!(keys > 40, "only {keys} keys found in the default:\n{out}");
    let (_dir, f) = temp_file("egate.toml", &out);
    let (code, o, err) = config_check(&f);
    assert_eq!(code, 0, "{o}{err}");
    // The default is the schema: a key it does not list is unknown to the daemon.
    let extended = out.replacen("[server]\n", "[server]\nundocumented_key = 1\n", 1);
    let (_dir2, f2) = temp_file("egate.toml", &extended);
    let (code, _, err) = config_check(&f2);
    assert_eq!(code, 64, "{err}");
    assert!(
        err.contains("server.undocumented_key: unknown key"),
        "{err}"
    );
}

#[test]
fn config_check_lists_every_error_and_exits_64() {
    let (_dir, f) = temp_file(
        "bad.toml",
        "[server]\nlisten = \"nowhere\"\ncolour = 1\n[gate]\nlayout = 3\n[surprise]\n",
    );
    let (code, _, err) = config_check(&f);
    assert_eq!(code, 64, "{err}");
    assert!(err.contains("line 3: server.colour: unknown key"), "{err}");
    assert!(
        err.contains("line 5: gate.layout: expected a string"),
        "{err}"
    );
    assert!(err.contains("line 6: surprise: unknown key"), "{err}");
    // Type errors stop the semantic pass, so the bad address is reported once those are fixed.
    std::fs::write(&f, "[server]\nlisten = \"nowhere\"\n").unwrap();
    let (code, _, err) = config_check(&f);
    assert_eq!(code, 64);
    assert!(err.contains("line 2: server.listen"), "{err}");
    let (code, _, err) = config_check(Path::new("/nonexistent/egate.toml"));
    assert_eq!(code, 64);
    assert!(err.contains("cannot read"), "{err}");
}

#[test]
fn config_check_names_each_bad_gate_rule() {
    let (_dir, f) = temp_file(
        "policy.toml",
        "[gate]\nreferral = \"elsewhere\"\n[eligibility.groups]\ng = [\"FRA\", \"fr\"]\n\
         [timeouts]\nexit = 0\n",
    );
    let (code, _, err) = config_check(&f);
    assert_eq!(code, 64, "{err}");
    for expected in [
        "line 2: gate.referral: unknown variant `elsewhere`",
        "line 4: eligibility.groups.g[1]: \"fr\" is not an ICAO 9303-3 code",
        "line 6: timeouts.exit: must be more than 0",
        "3 error(s)",
    ] {
        assert!(err.contains(expected), "{expected:?} missing:\n{err}");
    }
}

#[test]
fn run_refuses_a_bad_config_with_64() {
    let (_dir, f) = temp_file("bad.toml", "[log]\nformat = \"xml\"\n");
    let (code, _, err) = egate(&["run", "--config", f.to_str().unwrap()]);
    assert_eq!(code, 64, "{err}");
    assert!(err.contains("xml"), "{err}");
}

/// A config for `egate run --sim` with one simulated gate and no traveller arriving, so
/// the daemon's own behaviour is all there is to see.
fn quiet_sim(dir: &std::path::Path) -> String {
    let cfg = dir.join("egate.toml");
    let faces = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../vision/tests/data");
    std::fs::write(
        &cfg,
        format!(
            "[sim]\ngates = 1\narrival_interval_s = 3600\nvpcd_readers = []\nfaces_dir = {:?}\n",
            faces.display().to_string()
        ),
    )
    .unwrap();
    cfg.to_str().unwrap().to_string()
}

#[test]
fn run_without_a_door_controller_refuses_to_start() {
    let state = tempfile::tempdir().unwrap();
    let (code, _, err) = egate(&run_args(false, None, state.path()));
    // A configuration error (64), every missing device named with its key.
    assert_eq!(code, 64, "{err}");
    assert!(err.contains("doors.port: [doors] port is empty"), "{err}");
    assert!(err.contains("scanner.port"), "{err}");
    assert!(err.contains("policy.borderdb"), "{err}");
}

#[test]
fn run_serves_health_and_metrics_then_stops_on_sigterm() {
    let state = tempfile::tempdir().unwrap();
    let cfg = quiet_sim(state.path());
    let mut d = Daemon::start(&run_args(true, Some(Path::new(&cfg)), state.path()));
    let addr = d.wait_listening();
    let live = http(addr, "GET", "/live", "").unwrap();
    assert_eq!(live.status, 200);
    let ready = http(addr, "GET", "/ready", "").unwrap();
    assert_eq!(ready.status, 200, "{ready:?}");
    let m = http(addr, "GET", "/metrics", "").unwrap();
    assert_eq!(m.status, 200);
    assert!(m.headers.contains("text/plain"), "{}", m.headers);
    let names: Vec<&str> = m
        .body
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| l.split(['{', ' ']).next().unwrap())
        .collect();
    assert!(!names.is_empty());
    for n in &names {
        assert!(
            n.starts_with("egate_"),
            "metric {n} lacks the egate_ prefix"
        );
    }
    assert!(http(addr, "GET", "/nope", "").unwrap().status == 404);

    let t = Instant::now();
    d.signal("TERM");
    let st = d
        .wait_exit(Duration::from_secs(2))
        .expect("egate run did not stop within 2 s of SIGTERM");
    assert!(st.success(), "exit status {st:?}");
    assert!(t.elapsed() < Duration::from_secs(2));
    assert!(d.log.iter().any(|l| l.contains("stopped")), "{:?}", d.log);

    // Start and stop are in the audit trail, and its chain verifies.
    let trail = state.path().join("audit.jsonl");
    let (code, out, err) = egate(&["audit", "verify", trail.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    let text = std::fs::read_to_string(&trail).unwrap();
    let records = text.lines().count();
    assert!(
        out.contains(&format!("chain intact, {records} record(s)")),
        "{out}"
    );
    assert!(text.lines().next().unwrap().contains("daemon_started"));
    assert!(text.lines().last().unwrap().contains("daemon_stopped"));
    // A changed byte is found, with its line.
    std::fs::write(&trail, text.replacen("daemon_stopped", "daemon_stoppad", 1)).unwrap();
    let (code, out, _) = egate(&["audit", "verify", trail.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(out.contains(&format!("BROKEN at line {records}")), "{out}");
}

#[test]
fn run_logs_json_with_the_flag_and_stops_on_sigint() {
    let state = tempfile::tempdir().unwrap();
    let cfg = quiet_sim(state.path());
    let mut args = run_args(true, Some(Path::new(&cfg)), state.path());
    args.extend(["--log-format".into(), "json".into()]);
    let mut d = Daemon::start(&args);
    let addr = d.wait_listening();
    assert_eq!(http(addr, "GET", "/live", "").unwrap().status, 200);
    d.signal("INT");
    let st = d
        .wait_exit(Duration::from_secs(2))
        .expect("stops on SIGINT");
    assert!(st.success());
    assert!(!d.log.is_empty());
    for line in &d.log {
        let v: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        assert!(v.get("level").is_some(), "{line}");
    }
}
