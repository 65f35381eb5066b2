//! Acceptance runs end to end through the real binary: `egate sim check` names line and key
//! of a scenario's mistakes (exit 64), `egate sim suite` writes its three reports under the
//! build folder with every case and a verdict each, numbers that add up and every plot, and a
//! one-step scenario runs twice to byte-identical JSON (timestamps and process figures
//! aside).
//!
//! Needs ONNX Runtime and the face models (`scripts/setup.sh`).

use std::path::{Path, PathBuf};

use egate_tests::{egate, independent_json, repo};

/// `<target>/acceptance/<name>`: where the reports stay after the test (the browser test
/// opens the suite's).
fn out_dir(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let target = exe.ancestors().nth(3).unwrap().to_path_buf();
    let dir = target.join("acceptance").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn scenario_mistakes_are_named_by_line_and_key_never_a_stack_trace() {
    let dir = tempfile::tempdir().unwrap();
    let faces = repo().join("vision/tests/data");
    let write = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p
    };
    let base = format!(
        "name = \"t\"\nseed = 1\n\n[travellers]\ncount = 5\nfaces = \"{}\"\n\n[travellers.mix]\nimpostor = 10\n",
        faces.display()
    );
    let good = write("good.toml", &base);
    let (code, out, err) = egate(&["sim", "check", good.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("ok"), "{out}");

    for (name, text, line, key) in [
        (
            "unknown.toml",
            base.replace("count = 5\n", "count = 5\ncuont = 6\n"),
            6,
            "travellers.cuont",
        ),
        (
            "mix.toml",
            base.replace("impostor = 10", "impostor = 90\nprint = 20"),
            8,
            "travellers.mix",
        ),
        (
            "faces.toml",
            base.replace(&faces.display().to_string(), "/no/such/faces"),
            6,
            "travellers.faces",
        ),
    ] {
        let f = write(name, &text);
        let (code, out, err) = egate(&["sim", "check", f.to_str().unwrap()]);
        assert_eq!(code, 64, "{name}: {out}{err}");
        let want = format!("{}:{line}: {key}:", f.display());
        assert!(err.contains(&want), "{name}: expected `{want}` in:\n{err}");
        assert!(
            !err.contains("panicked") && !err.contains("RUST_BACKTRACE"),
            "{err}"
        );
    }
    // Not TOML at all, and a file that is not there: still a line or a reason, exit 64.
    let f = write("broken.toml", "name = \"t\nseed = 1\n");
    let (code, _, err) = egate(&["sim", "check", f.to_str().unwrap()]);
    assert_eq!(code, 64, "{err}");
    assert!(
        err.contains(":1:") && err.contains("not valid TOML"),
        "{err}"
    );
    let (code, _, err) = egate(&["sim", "check", "/no/such/scenario.toml"]);
    assert_eq!(code, 64, "{err}");
}

#[test]
fn the_built_in_suite_passes_and_its_reports_hold_every_case_and_plot() {
    let dir = out_dir("suite");
    let faces = repo().join("vision/tests/data");
    let (code, out, err) = egate(&[
        "sim",
        "suite",
        "--report",
        dir.to_str().unwrap(),
        "--faces",
        faces.to_str().unwrap(),
    ]);
    let r = json(&dir.join("report.json"));
    let cases = r["cases"].as_array().unwrap();
    assert_eq!(cases.len(), acceptance_case_count(), "{out}");
    for c in cases {
        assert!(c["passed"].is_boolean(), "{c}");
        assert!(!c["requirement"].as_str().unwrap().is_empty(), "{c}");
        assert!(!c["expected"].as_str().unwrap().is_empty(), "{c}");
    }
    let failed: Vec<String> = cases
        .iter()
        .filter(|c| c["passed"] != true)
        .map(|c| {
            format!(
                "{}: expected {}; got {}",
                c["id"], c["expected"], c["actual"]
            )
        })
        .collect();
    assert!(
        failed.is_empty(),
        "failed cases:\n{}\n{err}",
        failed.join("\n")
    );
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(r["verdict"], "pass");

    // The numbers add up: every traveller is in exactly one outcome, per type too.
    let travellers = r["travellers"].as_array().unwrap();
    let s = &r["summary"];
    assert_eq!(s["travellers"].as_u64().unwrap() as usize, travellers.len());
    let by_outcome: u64 = s["outcomes"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(by_outcome as usize, travellers.len());
    let mut by_type = 0;
    for m in r["outcomes_by_type"].as_object().unwrap().values() {
        for (k, v) in m.as_object().unwrap() {
            if k != "as_expected" {
                by_type += v.as_u64().unwrap();
            }
        }
    }
    assert_eq!(by_type as usize, travellers.len());
    let with_time = travellers
        .iter()
        .filter(|t| t["transaction_s"].is_number())
        .count();
    assert_eq!(
        r["transaction_s"]["n"].as_u64().unwrap() as usize,
        with_time
    );
    let hist: u64 = r["transaction_s"]["histogram"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b[1].as_u64().unwrap())
        .sum();
    assert_eq!(hist as usize, with_time);
    let reasons: u64 = r["referral_reasons"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(
        reasons as usize,
        travellers
            .iter()
            .filter(|t| t["reason"].is_string())
            .count()
    );
    let case_travellers: usize = cases
        .iter()
        .map(|c| c["travellers"].as_array().unwrap().len())
        .sum();
    assert_eq!(case_travellers, travellers.len());
    assert!(
        r["faults"].as_array().unwrap().len() >= 6,
        "faults: {}",
        r["faults"]
    );
    assert!(r["biometrics"]["genuine"].as_u64().unwrap() > 0);
    assert!(r["biometrics"]["impostor"].as_u64().unwrap() > 0);
    assert!(
        r["pad"].get("print").is_some() && r["pad"].get("screen_replay").is_some(),
        "{}",
        r["pad"]
    );
    assert!(r["reproduction"]["build"]["version"].is_string());
    assert!(r["reproduction"]["command"]
        .as_str()
        .unwrap()
        .starts_with("egate sim suite"));

    // JUnit, read by junitparser as a CI server would: one test case per case and per
    // criterion, each with its verdict, and totals that match the cases.
    let junit = independent_json("junit_check.py", &[dir.join("report.xml")]);
    let out = junit.to_string();
    let criteria = r["criteria"].as_array().unwrap();
    assert_eq!(
        junit["counted"]["tests"].as_u64().unwrap() as usize,
        criteria.len(),
        "{out}"
    );
    for claimed in junit["claimed"].as_array().unwrap() {
        for k in ["tests", "failures", "errors", "skipped"] {
            let counted: u64 = junit["cases"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|c| c["suite"] == claimed["name"])
                .filter(|c| match k {
                    "tests" => true,
                    "failures" => c["result"] == "failure",
                    "errors" => c["result"] == "error",
                    _ => c["result"] == "skipped",
                })
                .count() as u64;
            assert_eq!(
                claimed[k].as_u64().unwrap_or(0),
                counted,
                "{k} of {claimed}"
            );
        }
    }
    let verdict = |class: &str, name: &str| -> String {
        junit["cases"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["classname"] == class && c["name"] == name)
            .unwrap_or_else(|| panic!("{class}/{name} not in the JUnit report: {out}"))["result"]
            .as_str()
            .unwrap()
            .to_string()
    };
    for c in cases {
        let want = if c["passed"] == true {
            "passed"
        } else {
            "failure"
        };
        assert_eq!(verdict("suite", c["id"].as_str().unwrap()), want, "{c}");
    }
    // Each case is also a criterion, "case <id>", under the class "suite".
    for c in criteria {
        let want = if c["passed"] == true {
            "passed"
        } else {
            "failure"
        };
        let criterion = c["criterion"].as_str().unwrap();
        let got = match criterion.strip_prefix("case ") {
            Some(id) => verdict("suite", id),
            None => verdict("criteria", criterion),
        };
        assert_eq!(got, want, "{c}");
    }
    // HTML: self-contained, every plot there.
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    for id in [
        "transaction",
        "throughput",
        "queue",
        "det",
        "scores",
        "outcomes",
        "reasons",
        "recovery",
        "pad",
        "rss",
        "fds",
    ] {
        assert!(
            html.contains(&format!("<figure id=\"plot-{id}\"><svg")),
            "plot {id}"
        );
    }
    assert!(
        !html.contains("<script") && !html.contains("src=\"http"),
        "self-contained"
    );
    for c in cases {
        assert!(html.contains(c["id"].as_str().unwrap()), "{}", c["id"]);
    }
}

/// The number of built-in cases, from the suite's own list in the HTML help (not linked:
/// the tests crate runs the binary only).
fn acceptance_case_count() -> usize {
    let src = std::fs::read_to_string(repo().join("acceptance/src/suite.rs")).unwrap();
    src.matches("    Case {\n        id: ").count()
}

/// A report's JSON without what may differ between two runs: when it was written and the
/// process's own figures (wall time, memory, descriptors).
fn reproducible(mut v: serde_json::Value) -> String {
    let o = v.as_object_mut().unwrap();
    o.remove("generated_at");
    o.remove("measured");
    serde_json::to_string_pretty(&v).unwrap()
}

#[test]
fn a_one_step_scenario_runs_end_to_end_and_twice_to_the_same_report() {
    let dir = tempfile::tempdir().unwrap();
    let faces = repo().join("vision/tests/data");
    let scenario = dir.path().join("one-step.toml");
    std::fs::write(
        &scenario,
        format!(
            "name = \"one-step\"\nseed = 11\ncriteria = [\"nobody_trapped\", \"every_attack_referred\"]\n\n\
             [gates]\ncount = 2\nlayout = \"one-step\"\n\n[travellers]\ncount = 12\nfaces = \"{}\"\n\n\
             [travellers.mix]\nimpostor = 20\nprint = 10\nforged = 10\n\n[arrivals]\nkind = \"poisson\"\nrate_per_h = 900\n\n\
             [[faults]]\nat_s = 20\ngate = 2\nkind = \"serial_link_lost\"\nfor_s = 3\n",
            faces.display()
        ),
    )
    .unwrap();
    let mut reports = Vec::new();
    // Both runs write to the same folder (the command line is part of the report).
    for _ in 0..2 {
        let out = dir.path().join("report");
        let (code, stdout, err) = egate(&[
            "sim",
            "run",
            scenario.to_str().unwrap(),
            "--report",
            out.to_str().unwrap(),
        ]);
        assert_eq!(code, 0, "{stdout}{err}");
        reports.push(json(&out.join("report.json")));
        std::fs::remove_dir_all(&out).unwrap();
    }
    let r = &reports[0];
    assert_eq!(r["model"]["layout"], "one-step");
    let t = r["travellers"].as_array().unwrap();
    assert_eq!(t.len(), 12);
    assert!(
        t.iter()
            .any(|x| x["outcome"] == "accepted" && x["through"] == true),
        "{t:?}"
    );
    assert_eq!(r["summary"]["trapped"], 0);
    assert_eq!(
        reproducible(reports[0].clone()),
        reproducible(reports[1].clone())
    );
    // What is set apart really is the only difference allowed: the runs took time.
    assert!(reports[0]["measured"]["wall_s"].as_f64().unwrap() > 0.0);
}
