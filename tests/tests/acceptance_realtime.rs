//! Acceptance runs in real time (issue #15, "two clocks"): `egate sim run FILE --real-time`
//! starts the real `egate run --sim` daemon, presents the scenario's travellers through its
//! `/sim/travellers` route against the wall clock (chips through pcscd + vpcd on the lane
//! that has a vpcd reader, doors over the simulated controller's pty, the replayed camera
//! through the face models), injects the scenario's fault through `/sim/gates/{gate}/faults`,
//! and builds the report from the daemon's own audit trail. The report has every traveller
//! with the outcome its type expects, says it ran in real time, and has the same JSON shape
//! as the virtual-time report of the same scenario. A scenario asking real time for what it
//! cannot do is refused with line and key.
//!
//! Run beside pcscd (`scripts/with-pcscd.sh cargo test`, as make test does) for the vpcd
//! chip link; needs ONNX Runtime and the face models (`scripts/setup.sh`). About a minute of
//! wall-clock time: the scenario's Poisson arrivals (seed 5, 400 per hour) bring the first
//! traveller after 14 s, once the mains failure at 1 s has closed and an officer has
//! reopened the lane.

use std::collections::BTreeSet;
use std::path::Path;

use egate_tests::{egate, repo};

fn scenario(dir: &Path, extra: &str) -> std::path::PathBuf {
    let text = format!(
        "name = \"real time, one gate\"\nseed = 5\n\
         criteria = [\"nobody_trapped\", \"every_attack_referred\", \"every_case_as_expected\"]\n\n\
         [travellers]\ncount = 5\nfaces = \"{}\"\n\
         sequence = [\"genuine\", \"impostor\", \"print\", \"clone-aa-other-key\", \"leaving\"]\n\n\
         [arrivals]\nkind = \"poisson\"\nrate_per_h = 400\n\n\
         [[faults]]\nat_s = 1\nkind = \"mains_lost\"\nfor_s = 2\n{extra}",
        repo().join("vision/tests/data").display()
    );
    let p = dir.join("scenario.toml");
    std::fs::write(&p, text).unwrap();
    p
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Every key path of a JSON value (arrays by their first element), to compare shapes.
fn shape(v: &serde_json::Value, at: &str, out: &mut BTreeSet<String>) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, v) in m {
                let p = format!("{at}.{k}");
                out.insert(p.clone());
                // Maps keyed by data (outcomes, reasons, types) vary between runs.
                if !matches!(
                    at,
                    ".summary.outcomes"
                        | ".outcomes_by_type"
                        | ".referral_reasons"
                        | ".pad"
                        | ".model"
                        | ".engine"
                ) && !at.starts_with(".outcomes_by_type.")
                    && !at.starts_with(".pad.")
                {
                    shape(v, &p, out);
                }
            }
        }
        serde_json::Value::Array(a) => {
            if let Some(first) = a.first() {
                shape(first, &format!("{at}[]"), out);
            }
        }
        _ => {}
    }
}

#[test]
fn a_scenario_drives_the_running_daemon_in_real_time_and_reports_every_traveller() {
    let dir = tempfile::tempdir().unwrap();
    let file = scenario(dir.path(), "");
    let out = dir.path().join("real-time");
    let (code, stdout, stderr) = egate(&[
        "sim",
        "run",
        file.to_str().unwrap(),
        "--real-time",
        "--report",
        out.to_str().unwrap(),
    ]);
    let log = std::fs::read_to_string(out.join("daemon/daemon.log")).unwrap_or_default();
    assert_eq!(code, 0, "{stdout}{stderr}\n--- daemon log ---\n{log}");
    if std::env::var_os("EGATE_PCSCD_PID_FILE").is_some() {
        assert!(
            log.contains("chip link: pcscd + vpcd"),
            "beside pcscd, the lane reads its chips through vpcd\n{log}"
        );
    }
    let r = json(&out.join("report.json"));
    assert_eq!(r["clock"], "real_time");
    assert!(
        r["clock_note"].as_str().unwrap().contains("Not supported"),
        "the report says what real time does not support"
    );
    let t = r["travellers"].as_array().unwrap();
    let types: Vec<&str> = t.iter().map(|t| t["type"].as_str().unwrap()).collect();
    assert_eq!(
        types,
        [
            "genuine",
            "impostor",
            "print",
            "clone-aa-other-key",
            "leaving"
        ]
    );
    for tr in t {
        assert_eq!(tr["as_expected"], true, "{tr}");
        assert_eq!(tr["trapped"], false, "{tr}");
        assert_eq!(tr["gate"], 1, "{tr}");
    }
    // What the gate decided, from the daemon's audit trail.
    assert_eq!(
        (&t[0]["outcome"], &t[0]["through"]),
        (&"accepted".into(), &true.into())
    );
    assert!(t[0]["transaction_s"].as_f64().unwrap() > 0.0);
    assert_eq!(t[0]["pad"], "live");
    assert!(
        !t[0]["scores"].as_array().unwrap().is_empty(),
        "face scores from the trail"
    );
    assert_eq!(
        (&t[1]["outcome"], &t[1]["reason"]),
        (&"referred".into(), &"face_mismatch".into())
    );
    assert_eq!(
        (&t[2]["outcome"], &t[2]["reason"]),
        (&"referred".into(), &"presentation_attack".into())
    );
    assert_eq!(t[2]["pad"], "attack");
    assert_eq!(
        (&t[3]["outcome"], &t[3]["reason"]),
        (&"referred".into(), &"aa_failed".into())
    );
    assert_eq!(t[4]["through"], false);
    let s = &r["summary"];
    assert_eq!(
        (&s["attacks"], &s["attacks_through"], &s["trapped"]),
        (&3.into(), &0.into(), &0.into())
    );
    // The mains failure against the wall clock, and the lane's recovery once an officer
    // opened it again.
    let f = &r["faults"][0];
    assert_eq!(f["kind"], "mains_lost");
    assert!(f["at_s"].as_f64().unwrap() >= 1.0);
    assert!(f["recovery_s"].as_f64().is_some(), "{f}");
    assert_eq!(r["verdict"], "pass");
    let checks = r["reproduction"]["checks"].as_array().unwrap();
    assert!(
        checks
            .iter()
            .any(|c| c[0] == "daemon.audit_trail_verified"
                && c[1].as_str().unwrap().starts_with("yes")),
        "{checks:?}"
    );
    assert!(std::fs::read_to_string(out.join("report.html"))
        .unwrap()
        .contains("Clock: real time"));

    // The same scenario in virtual time: the same report shape.
    let virt = dir.path().join("virtual");
    let (code, stdout, stderr) = egate(&[
        "sim",
        "run",
        file.to_str().unwrap(),
        "--report",
        virt.to_str().unwrap(),
    ]);
    assert!(code == 0 || code == 1, "{stdout}{stderr}");
    let v = json(&virt.join("report.json"));
    assert_eq!(v["clock"], "virtual");
    let (mut a, mut b) = (BTreeSet::new(), BTreeSet::new());
    shape(&r, "", &mut a);
    shape(&v, "", &mut b);
    assert_eq!(a, b, "real-time and virtual-time reports differ in shape");
}

#[test]
fn what_real_time_cannot_do_is_refused_with_line_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let file = scenario(
        dir.path(),
        "\n[[faults]]\nat_s = 5\nkind = \"reader_disconnected\"\nfor_s = 3\n\n[[officer]]\nat_s = 9\ncommand = \"lane_close\"\n",
    );
    let text = std::fs::read_to_string(&file)
        .unwrap()
        .replace("\"leaving\"]", "\"tailgater\"]");
    std::fs::write(&file, text).unwrap();
    let out = dir.path().join("out");
    let (code, stdout, stderr) = egate(&[
        "sim",
        "run",
        file.to_str().unwrap(),
        "--real-time",
        "--report",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 64, "{stdout}{stderr}");
    let f = file.display().to_string();
    for want in [
        format!("{f}:8: travellers.sequence[5]: `tailgater` cannot run in real time"),
        format!("{f}:21: faults[2].kind: `reader_disconnected` cannot run in real time"),
        format!("{f}:24: officer: real time has no scripted officer commands"),
    ] {
        assert!(stderr.contains(&want), "missing {want:?} in:\n{stderr}");
    }
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(!out.join("daemon").exists(), "no daemon was started");
}
