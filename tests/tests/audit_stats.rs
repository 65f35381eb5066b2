//! Must-show 2 of the operations issue: statistics that survive a restart because they come
//! from the audit trail.
//!
//! - `egate audit stats --json` over the trail of a simulated run counts what the run's
//!   `/metrics` counted: passages per gate and outcome (and per reason, after the metrics'
//!   merge of document-check reasons), transaction times, alarms per reason; the console's
//!   statistics page reads the same figures; and no personal datum (names, MRZ, document
//!   numbers, document pseudonyms, officers, comments) is in any output.
//! - An alarm raised before a restart of the gate daemon is still open after it, with its
//!   gate, reason and time; acknowledged, it stays acknowledged across the next restart.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use egate_tests::{audit_records, egate, http, parse_addr, repo, run_args, Console, Daemon};
use serde_json::Value;

/// The merged label of `/metrics` for the reasons that would tell why one traveller was
/// referred (daemon/src/lane/metrics.rs, `public_reason`), written out again here.
const DOCUMENT_CHECK_REASONS: [&str; 14] = [
    "borderdb_hit",
    "borderdb_unavailable",
    "borderdb_timeout",
    "pa_failed",
    "csca_untrusted",
    "chip_auth_failed",
    "chip_auth_missing",
    "mrz_dg1_mismatch",
    "document_expired",
    "ineligible_document",
    "ineligible_issuing_state",
    "ineligible_nationality",
    "underage",
    "age_unknown",
];

fn public_reason(r: &str) -> &str {
    if DOCUMENT_CHECK_REASONS.contains(&r) {
        "document_check"
    } else {
        r
    }
}

fn sim_config(dir: &Path, gates: u32, pattern: &str) -> std::path::PathBuf {
    let cfg = dir.join("egate.toml");
    std::fs::write(
        &cfg,
        format!(
            "[sim]\ngates = {gates}\narrival_interval_s = 0.5\nfaces_dir = {:?}\n\
             pattern = [{pattern}]\nvpcd_readers = []\n",
            repo().join("vision/tests/data").display().to_string()
        ),
    )
    .unwrap();
    cfg
}

/// Samples of `/metrics`: `name{labels} value` → (labels as a map, value).
fn samples(text: &str, name: &str) -> Vec<(BTreeMap<String, String>, f64)> {
    let mut out = Vec::new();
    for line in text.lines() {
        let Some(rest) = line.strip_prefix(name) else {
            continue;
        };
        let Some(rest) = rest.strip_prefix('{') else {
            continue;
        };
        let (labels, value) = rest.split_once("} ").unwrap();
        let map = labels
            .split(',')
            .filter(|l| !l.is_empty())
            .map(|l| {
                let (k, v) = l.split_once('=').unwrap();
                (k.to_string(), v.trim_matches('"').to_string())
            })
            .collect();
        out.push((map, value.trim().parse().unwrap()));
    }
    out
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

fn stats_json(trail: &Path, extra: &[&str]) -> Value {
    let mut args = vec!["audit", "stats", "--json"];
    args.extend_from_slice(extra);
    args.push(trail.to_str().unwrap());
    let (code, out, err) = egate(&args);
    assert_eq!(code, 0, "{out}{err}");
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

#[test]
fn audit_stats_counts_what_the_metrics_counted_and_shows_nothing_personal() {
    let state = tempfile::tempdir().unwrap();
    let cfg = sim_config(
        state.path(),
        2,
        "\"genuine\", \"impostor\", \"forged\", \"listed\"",
    );
    let mut d = Daemon::start(&run_args(true, Some(&cfg), state.path()));
    let addr = d.wait_listening();
    let trail = state.path().join("audit.jsonl");
    // A scrape between two reads of the trail that agree with each other and with the
    // scrape's passage count: no passage ended while it was taken (the driver counts a
    // passage in the metrics just before it appends its record).
    let deadline = Instant::now() + Duration::from_secs(240);
    let mut last = String::new();
    let (metrics, to_ms) = loop {
        assert!(
            Instant::now() < deadline,
            "no quiet moment with 4 passages in 240 s (last look: {last})\n{}",
            d.log.join("\n")
        );
        let before = (
            audit_records(&trail, "passage").len(),
            audit_records(&trail, "alarm").len(),
        );
        let m = http(addr, "GET", "/metrics", "").unwrap().body;
        let after = (
            audit_records(&trail, "passage").len(),
            audit_records(&trail, "alarm").len(),
        );
        let to = now_ms();
        let counted: f64 = samples(&m, "egate_passages_total")
            .iter()
            .map(|s| s.1)
            .sum();
        let alarms: f64 = samples(&m, "egate_alarms_total").iter().map(|s| s.1).sum();
        last = format!(
            "trail {before:?} then {after:?} (passages, alarms), metrics {counted} passages, \
             {alarms} alarms"
        );
        if before == after
            && before.0 >= 4
            && counted as usize == before.0
            && alarms as usize == before.1
        {
            break (m, to + 1);
        }
        std::thread::sleep(Duration::from_millis(300));
    };
    d.signal("TERM");
    assert!(d
        .wait_exit(Duration::from_secs(20))
        .is_some_and(|s| s.success()));

    let to = to_ms.to_string();
    let s = stats_json(&trail, &["--to", &to]);
    // Passages per gate, outcome and (public) reason.
    let mut from_stats: BTreeMap<(String, String, String), u64> = BTreeMap::new();
    for (gate, g) in s["gates"].as_object().unwrap() {
        for (outcome, reasons) in g["outcomes"].as_object().unwrap() {
            for (reason, n) in reasons.as_object().unwrap() {
                *from_stats
                    .entry((
                        gate.clone(),
                        outcome.clone(),
                        public_reason(reason).to_string(),
                    ))
                    .or_default() += n.as_u64().unwrap();
            }
        }
    }
    let from_metrics: BTreeMap<(String, String, String), u64> =
        samples(&metrics, "egate_passages_total")
            .into_iter()
            .filter(|(_, v)| *v > 0.0)
            .map(|(l, v)| {
                (
                    (l["gate"].clone(), l["outcome"].clone(), l["reason"].clone()),
                    v as u64,
                )
            })
            .collect();
    assert_eq!(
        from_stats, from_metrics,
        "stats:\n{s:#}\nmetrics:\n{metrics}"
    );
    assert_eq!(
        from_stats
            .keys()
            .map(|k| &k.0)
            .collect::<std::collections::BTreeSet<_>>()
            .len(),
        2
    );
    assert!(!s["outcomes"].as_object().unwrap().is_empty(), "{s:#}");
    // Transaction times: one per passage, as the histogram's count per gate and outcome.
    let hist: u64 = samples(&metrics, "egate_passage_duration_seconds_count")
        .iter()
        .map(|s| s.1 as u64)
        .sum();
    assert_eq!(s["transaction_time_ms"]["count"].as_u64(), Some(hist));
    assert_eq!(s["passages"].as_u64(), Some(hist));
    let p50 = s["transaction_time_ms"]["p50"].as_u64().unwrap();
    let p95 = s["transaction_time_ms"]["p95"].as_u64().unwrap();
    assert!(p50 <= p95, "{s:#}");
    // Alarms per gate and reason.
    let mut alarms_stats: BTreeMap<(String, String), u64> = BTreeMap::new();
    for (gate, g) in s["gates"].as_object().unwrap() {
        for (reason, n) in g["alarms"].as_object().unwrap() {
            alarms_stats.insert((gate.clone(), reason.clone()), n.as_u64().unwrap());
        }
    }
    let alarms_metrics: BTreeMap<(String, String), u64> = samples(&metrics, "egate_alarms_total")
        .into_iter()
        .filter(|(_, v)| *v > 0.0)
        .map(|(l, v)| ((l["gate"].clone(), l["reason"].clone()), v as u64))
        .collect();
    assert_eq!(alarms_stats, alarms_metrics);
    assert!(!alarms_stats.is_empty(), "the impostors raised no alarm");
    // Every step the pattern reaches was measured; the document step refused the forgery.
    let doc = &s["steps"]["document"];
    assert!(doc["transactions"].as_u64().unwrap() >= 2, "{s:#}");
    assert!(
        s["steps"]["face"]["rejected"].as_u64().unwrap() >= 1,
        "{s:#}"
    );
    assert!(
        s["steps"]["liveness"]["transactions"].as_u64().unwrap() >= 1,
        "{s:#}"
    );
    // Availability is measured for both gates (a loaded machine may fault a door link).
    for g in s["gates"].as_object().unwrap().values() {
        let a = g["availability"]["ratio"].as_f64().unwrap();
        assert!(a > 0.0 && a <= 1.0, "{g:#}");
    }

    // Nothing personal in any format: not the specimen's names or MRZ, no document number,
    // no document pseudonym from the trail.
    let pseudonyms: Vec<String> = audit_records(&trail, "document_decision")
        .iter()
        .filter_map(|r| r["data"]["document"].as_str().map(str::to_string))
        .collect();
    assert!(!pseudonyms.is_empty());
    for format in ["--json", "--csv", ""] {
        let mut args = vec!["audit", "stats"];
        if !format.is_empty() {
            args.push(format);
        }
        args.push(trail.to_str().unwrap());
        let (code, out, err) = egate(&args);
        assert_eq!(code, 0, "{err}");
        for needle in ["ERIKSSON", "ANNA", "P<UTO", "L898902C3", "<<", "WANTED001"] {
            assert!(!out.contains(needle), "{format}: {needle}");
        }
        for p in &pseudonyms {
            assert!(!out.contains(p.as_str()), "{format}: a document pseudonym");
        }
        let digits = out
            .as_bytes()
            .windows(9)
            .any(|w| w[0] == b'X' && w[1..].iter().all(u8::is_ascii_digit));
        assert!(!digits, "{format}: a document number");
    }
    // A window before the run counts nothing.
    let empty = stats_json(&trail, &["--to", "2020-01-01"]);
    assert_eq!(empty["passages"], 0);
    // Bad input gets a clear error, not a panic.
    let (code, _, err) = egate(&[
        "audit",
        "stats",
        "--from",
        "yesterday",
        trail.to_str().unwrap(),
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("\"yesterday\""), "{err}");
    let (code, _, err) = egate(&["audit", "stats", "/nonexistent/audit.jsonl"]);
    assert_eq!(code, 1);
    assert!(err.contains("/nonexistent/audit.jsonl"), "{err}");
}

/// Logs in to the console of `egate run --sim` as the demo supervisor whose password this
/// start printed.
fn login(d: &mut Daemon) -> Console {
    let line = d.wait_for_line("console listening", Duration::from_secs(60));
    let addr = parse_addr(&line).unwrap();
    let pw_line = d
        .log
        .iter()
        .rev()
        .find(|l| l.contains("│") && l.contains("supervisor"))
        .expect("demo supervisor password")
        .clone();
    let pw = pw_line.split_whitespace().last().unwrap().to_string();
    Console::login(addr, "supervisor", &pw)
}

/// The console's alarm with this gate and gate alarm id.
fn find_alarm(alarms: &Value, gate: &str, id: u64) -> Option<Value> {
    alarms["alarms"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["gate"] == gate && a["gate_alarm_id"] == id)
        .cloned()
}

#[test]
fn an_alarm_stays_open_across_a_restart_and_its_acknowledgement_stays_too() {
    let state = tempfile::tempdir().unwrap();
    let cfg = sim_config(state.path(), 1, "\"impostor\"");
    let args = run_args(true, Some(&cfg), state.path());
    let trail = state.path().join("audit.jsonl");

    // First run: an impostor's referral raises an alarm.
    let mut d = Daemon::start(&args);
    d.wait_listening();
    let deadline = Instant::now() + Duration::from_secs(180);
    let raised = loop {
        if let Some(a) = audit_records(&trail, "alarm").first().cloned() {
            break a;
        }
        assert!(Instant::now() < deadline, "no alarm\n{}", d.log.join("\n"));
        std::thread::sleep(Duration::from_millis(100));
    };
    let gate = raised["data"]["gate"].as_str().unwrap().to_string();
    let id = raised["seq"].as_u64().unwrap();
    let reason = raised["data"]["reason"].clone();
    let c = login(&mut d);
    let before = find_alarm(&c.get("/api/alarms"), &gate, id).expect("alarm queued");
    assert_eq!(before["ack"], Value::Null);
    assert_eq!(before["reason"], reason);
    drop(c);
    d.signal("TERM");
    assert!(d
        .wait_exit(Duration::from_secs(20))
        .is_some_and(|s| s.success()));

    // Second run: the alarm is still open, with its gate, reason and time.
    let mut d = Daemon::start(&args);
    d.wait_listening();
    let c = login(&mut d);
    let after = find_alarm(&c.get("/api/alarms"), &gate, id).expect("alarm after restart");
    assert_eq!(after["ack"], Value::Null, "{after}");
    assert_eq!(after["reason"], before["reason"]);
    // Queued from the gate's event before, rebuilt from its record (a few ms later) after.
    let near = |a: &Value, b: &Value| a.as_u64().unwrap().abs_diff(b.as_u64().unwrap()) < 1000;
    assert!(near(&after["ts_ms"], &before["ts_ms"]), "{after} {before}");
    assert_eq!(after["gate_alarm_id"], id);
    // The statistics page reads the trail: the passages of both runs.
    let passages_before = audit_records(&trail, "passage").len() as u64;
    let st = c.get("/api/stats");
    let passages_after = audit_records(&trail, "passage").len() as u64;
    assert_eq!(st["source"], "audit_trail", "{st:#}");
    let total = st["total"].as_u64().unwrap();
    assert!(
        (passages_before..=passages_after).contains(&total),
        "{total} not in {passages_before}..={passages_after}"
    );
    assert_eq!(st["trail"]["passages"].as_u64(), Some(total));
    // Acknowledged now.
    let (status, body) = c.post(
        &format!("/api/alarms/{}/ack", after["id"]),
        serde_json::json!({ "comment": "checked at the gate" }),
    );
    assert_eq!(status, 200, "{body}");
    drop(c);
    d.signal("TERM");
    assert!(d
        .wait_exit(Duration::from_secs(20))
        .is_some_and(|s| s.success()));

    // Third run: still acknowledged, by whom and with the comment; a second
    // acknowledgement is refused.
    let mut d = Daemon::start(&args);
    d.wait_listening();
    let c = login(&mut d);
    let acked = find_alarm(&c.get("/api/alarms"), &gate, id).expect("alarm after 2nd restart");
    assert_eq!(acked["ack"]["officer"], "supervisor", "{acked}");
    assert_eq!(acked["ack"]["comment"], "checked at the gate");
    assert_eq!(acked["ts_ms"], after["ts_ms"]);
    let (status, _) = c.post(
        &format!("/api/alarms/{}/ack", acked["id"]),
        serde_json::json!({ "comment": "again" }),
    );
    assert_eq!(status, 409);
    drop(c);
    d.signal("TERM");
    assert!(d.wait_exit(Duration::from_secs(20)).is_some());
    // The response time is in the statistics; who acknowledged and what they wrote is not.
    let s = stats_json(&trail, &[]);
    assert!(s["alarms"]["acknowledged"].as_u64().unwrap() >= 1, "{s:#}");
    assert!(s["alarms"]["response_time_ms"]["p50"].as_u64().is_some());
    let text = s.to_string();
    assert!(!text.contains("supervisor") && !text.contains("checked at the gate"));
}
