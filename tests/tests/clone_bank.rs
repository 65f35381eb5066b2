//! `egate run --sim` with every clone profile of the document factory (issue #13, item 4):
//! each traveller carrying a cloned chip is referred with the clone's own reason code, read
//! through pcscd + vpcd by the production PC/SC adapter and reader, whatever the default
//! policy allows (it does not require chip authentication). Run beside pcscd
//! (`scripts/with-pcscd.sh cargo test`, as make test does).

use std::time::{Duration, Instant};

use egate_tests::{audit_records, egate, run_args, write_sim_config, Daemon};

/// Each clone pattern with the reason it must be referred with (the factory's
/// `Defect::CLONES`, stated again here so that a change there fails this test).
const CLONES: [(&str, &str); 7] = [
    ("clone", "ca_failed"),
    ("clone-hides-dg14-dg15", "com_sod_mismatch"),
    ("clone-aa-signature-wrong", "chip_auth_inconsistent"),
    ("clone-aa-other-key", "aa_failed"),
    ("clone-cam-wrong-proof", "cam_failed"),
    ("clone-card-security-resigned", "card_security_invalid"),
    ("clone-dg2-not-found", "dg_unreadable"),
];

#[test]
fn every_clone_profile_is_referred_with_its_own_reason() {
    let state = tempfile::tempdir().unwrap();
    let cfg = state.path().join("egate.toml");
    let pattern = CLONES
        .iter()
        .map(|(p, _)| format!("{p:?}"))
        .collect::<Vec<_>>()
        .join(", ");
    write_sim_config(&cfg, &pattern, "0");
    let args = run_args(true, Some(&cfg), state.path());
    let trail = state.path().join("audit.jsonl");
    let mut d = Daemon::start(&args);
    d.wait_listening();
    let deadline = Instant::now() + Duration::from_secs(180);
    let mut seen = Vec::new();
    while Instant::now() < deadline {
        seen = audit_records(&trail, "passage");
        if seen.len() >= CLONES.len() {
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    d.signal("TERM");
    assert!(d.wait_exit(Duration::from_secs(5)).is_some());
    let log = d.log.join("\n");
    assert!(
        log.contains("chip link: pcscd + vpcd"),
        "the simulated gate did not find the vpcd reader: run the tests beside pcscd \
         (scripts/with-pcscd.sh cargo test)\n{log}"
    );
    assert!(
        seen.len() >= CLONES.len(),
        "{} passages in 180 s: {seen:?}\n{log}",
        seen.len()
    );
    let decisions = audit_records(&trail, "document_decision");
    for (i, (pattern, reason)) in CLONES.iter().enumerate() {
        let p = &seen[i]["data"];
        assert_eq!(p["outcome"], "referred", "{pattern}: {p}\n{log}");
        assert_eq!(p["reason"], *reason, "{pattern}: {p}\n{log}");
        // The chip was read and decided on, not refused as unreadable.
        let decision = decisions
            .iter()
            .find(|r| r["data"]["passage"] == p["passage"])
            .unwrap_or_else(|| panic!("{pattern}: no document decision\n{decisions:?}"));
        assert_eq!(
            decision["data"]["refusal"], *reason,
            "{pattern}: {decision}"
        );
    }
    let (code, out, err) = egate(&["audit", "verify", trail.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
}
