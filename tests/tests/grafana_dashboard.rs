//! `deploy/grafana/egate.json` is checked against the daemon it watches: every query of
//! every panel (and of the gate variable) names only `egate_*` metrics that `egate run
//! --sim` exports on `/metrics`, and parses as PromQL by Prometheus's own parser
//! (`promtool check rules` over a rule file made of the queries).

use std::collections::BTreeSet;
use std::path::Path;
use std::time::{Duration, Instant};

use egate_tests::{http, repo, run_args, Daemon};

/// Every query of the dashboard, with where it is.
fn queries(dash: &serde_json::Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for p in dash["panels"].as_array().expect("panels") {
        let title = p["title"].as_str().unwrap_or("?").to_string();
        let targets = p["targets"].as_array().map(Vec::as_slice).unwrap_or(&[]);
        assert!(!targets.is_empty(), "panel {title:?} has no query");
        for t in targets {
            let expr = t["expr"]
                .as_str()
                .unwrap_or_else(|| panic!("{title}: no expr"));
            out.push((title.clone(), expr.to_string()));
        }
    }
    for v in dash["templating"]["list"].as_array().expect("templating") {
        if let Some(q) = v["query"]["query"].as_str() {
            out.push((format!("variable {}", v["name"]), q.to_string()));
        }
    }
    out
}

/// The `egate_*` names in a query (a recording rule's `a:egate_b:c` is not one).
fn metric_names(expr: &str) -> Vec<String> {
    let bytes = expr.as_bytes();
    let mut names = Vec::new();
    let mut i = 0;
    while let Some(at) = expr[i..].find("egate_") {
        let start = i + at;
        let word = |c: u8| c.is_ascii_alphanumeric() || c == b'_' || c == b':';
        let mut end = start;
        while end < bytes.len() && word(bytes[end]) {
            end += 1;
        }
        if start == 0 || !word(bytes[start - 1]) {
            names.push(expr[start..end].to_string());
        }
        i = end;
    }
    names
}

/// The metric names on a `/metrics` page, histogram series included (`_bucket`, ...).
fn exported(page: &str) -> BTreeSet<String> {
    page.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .filter_map(|l| l.split(['{', ' ']).next())
        .map(str::to_string)
        .collect()
}

#[test]
fn every_dashboard_query_names_metrics_the_daemon_exports() {
    let text = std::fs::read_to_string(repo().join("deploy/grafana/egate.json")).unwrap();
    let dash: serde_json::Value = serde_json::from_str(&text).expect("dashboard JSON");
    let queries = queries(&dash);

    // A simulated run in which every kind of traveller passes (alarms included).
    let state = tempfile::tempdir().unwrap();
    let cfg = state.path().join("egate.toml");
    std::fs::write(
        &cfg,
        format!(
            "[sim]\ngates = 2\narrival_interval_s = 0.2\nvpcd_readers = []\nfaces_dir = {:?}\n\
             pattern = [\"genuine\", \"impostor\", \"forged\", \"listed\"]\n",
            repo().join("vision/tests/data").display().to_string()
        ),
    )
    .unwrap();
    let mut d = Daemon::start(&run_args(true, Some(Path::new(&cfg)), state.path()));
    let addr = d.wait_listening();
    let wanted: BTreeSet<String> = queries.iter().flat_map(|(_, q)| metric_names(q)).collect();
    let deadline = Instant::now() + Duration::from_secs(120);
    let missing = loop {
        let page = http(addr, "GET", "/metrics", "").unwrap().body;
        let have = exported(&page);
        let missing: Vec<&String> = wanted.iter().filter(|n| !have.contains(*n)).collect();
        if missing.is_empty() || Instant::now() > deadline {
            break missing.into_iter().cloned().collect::<Vec<_>>();
        }
        std::thread::sleep(Duration::from_millis(500));
    };
    for (title, q) in &queries {
        assert!(
            !metric_names(q).is_empty(),
            "{title}: {q:?} names no egate metric"
        );
    }
    assert!(
        missing.is_empty(),
        "the dashboard queries metrics the daemon does not export: {missing:?}"
    );
    d.signal("TERM");
    d.wait_exit(Duration::from_secs(20));

    // PromQL, checked by Prometheus's parser; Grafana's $gate becomes a regex.
    let mut rules = String::from("groups:\n  - name: dashboard\n    rules:\n");
    for (i, (_, q)) in queries.iter().enumerate() {
        let q = q.replace("$gate", ".*");
        let q = match q
            .strip_prefix("label_values(")
            .and_then(|r| r.split_once(','))
        {
            Some((metric, _)) => metric.trim().to_string(),
            None => q,
        };
        rules.push_str(&format!(
            "      - record: dashboard:query_{i}\n        expr: {q:?}\n"
        ));
    }
    let file = state.path().join("dashboard.rules.yml");
    std::fs::write(&file, rules).unwrap();
    let out = std::process::Command::new("promtool")
        .args(["check", "rules"])
        .arg(&file)
        .output()
        .expect("promtool (Debian package prometheus, scripts/setup.sh)");
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn metric_names_skips_recording_rules_and_finds_every_metric() {
    assert_eq!(
        metric_names("sum(rate(egate_a_total{x=\"y\"}[5m])) / gate:egate_b:rate5m + egate_c"),
        ["egate_a_total", "egate_c"]
    );
}
