//! `egate bench` through the real binary (issues #3 and #7): each subcommand's JSON object
//! has its fields with sane values. No timing thresholds: the figures depend on the machine.

use egate_tests::egate;
use serde_json::Value;

/// Runs `egate bench <sub> --iterations 2 --json` and parses its one JSON object.
fn bench_json(sub: &str) -> Value {
    let (code, out, err) = egate(&["bench", sub, "--iterations", "2", "--json"]);
    assert_eq!(code, 0, "egate bench {sub} failed:\n{err}");
    let v: Value = serde_json::from_str(out.trim())
        .unwrap_or_else(|e| panic!("egate bench {sub}: not one JSON object ({e}):\n{out}"));
    let obj = v.as_object().expect("a JSON object");
    for (k, x) in obj {
        assert!(x.is_number(), "{sub}: field {k} is not a number: {x}");
    }
    v
}

/// `{stem}_median` is positive and `{stem}_{tail}` (a percentile) at least as large.
fn assert_median_and_tail(v: &Value, stem: &str, tail: &str) {
    let median = num(v, &format!("{stem}_median"));
    assert!(median > 0.0, "{stem}_median in {v}");
    let tail = num(v, &format!("{stem}_{tail}"));
    assert!(tail >= median, "{stem}: {tail} below the median {median}");
}

fn num(v: &Value, key: &str) -> f64 {
    v.get(key)
        .and_then(Value::as_f64)
        .unwrap_or_else(|| panic!("field {key} missing from {v}"))
}

#[test]
fn bench_doc_reports_a_full_read_with_a_20_kb_face() {
    let v = bench_json("doc");
    assert_eq!(num(&v, "iterations"), 2.0);
    assert!(num(&v, "apdus") > 0.0);
    assert!(num(&v, "bytes") > 20_000.0);
    let dg2 = num(&v, "dg2_bytes");
    assert!((15_000.0..30_000.0).contains(&dg2), "DG2 {dg2} bytes");
    assert!(num(&v, "dg2_apdus") >= 1.0);
    assert!(num(&v, "dg2_apdus") < num(&v, "apdus"));
    assert_eq!(num(&v, "aa_run"), 1.0);
    assert_eq!(num(&v, "ca_run"), 1.0);
    let modelled = num(&v, "modelled_ms");
    assert!(modelled > 0.0);
    assert!(num(&v, "dg2_modelled_ms") > 0.0);
    assert!(num(&v, "dg2_modelled_ms") < modelled);
    assert_median_and_tail(&v, "software_ms", "p95");
    assert!(num(&v, "read_ms_median") > 0.0);
    assert!(num(&v, "pa_ms_median") > 0.0);
    assert_eq!(num(&v, "goal_software_ms"), 50.0);
    assert_eq!(num(&v, "goal_dg2_modelled_ms"), 1000.0);
}

#[test]
fn bench_gate_reports_decision_latency_and_a_passage() {
    let v = bench_json("gate");
    assert_eq!(num(&v, "iterations"), 2.0);
    assert_median_and_tail(&v, "decision_us", "p99");
    assert!(num(&v, "passage_us_median") > 0.0);
    assert!(num(&v, "audit_events") > 0.0);
    assert_eq!(num(&v, "goal_decision_us"), 1000.0);
}

#[test]
fn bench_passage_reports_each_component_and_the_fsync_apart() {
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path().to_str().expect("utf-8 temp dir");
    let (code, out, err) = egate(&[
        "bench",
        "passage",
        "--iterations",
        "2",
        "--json",
        "--audit-dir",
        d,
    ]);
    assert_eq!(code, 0, "egate bench passage failed:\n{err}");
    let v: Value = serde_json::from_str(out.trim()).expect("one JSON object");
    for key in [
        "read_ms_median",
        "pa_ms_median",
        "gate_ms_median",
        "audit_record_ms_median",
        "software_ms_median",
        "audit_append_fsync_ms_median",
    ] {
        assert!(num(&v, key) > 0.0, "{key} in {v}");
    }
    let parts = num(&v, "read_ms_median") + num(&v, "pa_ms_median");
    assert_median_and_tail(&v, "software_ms", "p95");
    assert!(num(&v, "software_ms_median") > 0.5 * parts, "{v}");
    assert!(num(&v, "audit_events") > 0.0);
    assert_eq!(num(&v, "goal_software_ms"), 300.0);
    // The temporary trail is removed afterwards.
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .expect("read temp dir")
        .collect();
    assert!(left.is_empty(), "the bench left files behind: {left:?}");
}

#[test]
fn bench_tables_name_the_goals() {
    for (sub, goal) in [
        ("doc", "goal < 50 ms"),
        ("gate", "goal < 1000 µs"),
        ("passage", "goal < 300 ms"),
    ] {
        let (code, out, err) = egate(&["bench", sub, "--iterations", "1"]);
        assert_eq!(code, 0, "egate bench {sub} failed:\n{err}");
        assert!(out.contains(goal), "{sub}: {goal:?} missing:\n{out}");
    }
}

#[test]
fn bench_rejects_bad_input_without_panicking() {
    let (code, _, err) = egate(&["bench", "doc", "--iterations", "0"]);
    assert_ne!(code, 0);
    assert!(!err.contains("panicked"), "{err}");
    let (code, _, err) = egate(&["bench", "doc", "--face", "/nonexistent/face.jpg"]);
    assert_ne!(code, 0);
    assert!(err.contains("face image"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}
