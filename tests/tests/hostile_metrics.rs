//! `/metrics` during a borderdb referral (issue #17, must-show 3): the referral is counted,
//! but under the merged public reason, so that nobody who reads the metrics learns that the
//! traveller at a gate was just referred for a border database hit; and `/metrics` answers loopback
//! clients only (no `[server] metrics_token_file` is set).

use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use egate_tests::{audit_records, http, write_sim_config, Daemon};

/// This host's address on its default route, if it has one (no packet is sent).
fn non_loopback_ip() -> Option<IpAddr> {
    let s = UdpSocket::bind("0.0.0.0:0").ok()?;
    s.connect("10.255.255.254:9").ok()?;
    let ip = s.local_addr().ok()?.ip();
    (!ip.is_loopback() && !ip.is_unspecified()).then_some(ip)
}

#[test]
fn metrics_during_a_borderdb_referral_name_no_borderdb_reason() {
    let state = tempfile::tempdir().unwrap();
    let cfg = state.path().join("egate.toml");
    write_sim_config(&cfg, r#""listed", "genuine""#, "");
    let mut d = Daemon::start(&[
        "run",
        "--sim",
        "--config",
        cfg.to_str().unwrap(),
        "--listen",
        "0.0.0.0:0",
        "--console-listen",
        "127.0.0.1:0",
        "--state-dir",
        state.path().to_str().unwrap(),
    ]);
    let port = d.wait_listening().port();
    let local = SocketAddr::from(([127, 0, 0, 1], port));
    let trail = state.path().join("audit.jsonl");
    let deadline = Instant::now() + Duration::from_secs(180);
    let mut scrapes = Vec::new();
    // Scrape while the listed traveller's passage runs and right after it is recorded.
    loop {
        let m = http(local, "GET", "/metrics", "").unwrap();
        assert_eq!(m.status, 200, "{m:?}");
        scrapes.push(m.body);
        let hit = audit_records(&trail, "passage")
            .iter()
            .any(|p| p["data"]["reason"] == "borderdb_hit");
        if hit {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no borderdb referral in 180 s\n{}",
            d.log.join("\n")
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let after = http(local, "GET", "/metrics", "").unwrap().body;
    assert!(
        after.contains(r#"outcome="referred",reason="document_check""#),
        "the referral is not counted under the merged reason:\n{after}"
    );
    // Every passage goes through the border databases phase (phase and input labels say so for all
    // travellers alike); no label may give the border databases as the reason of a referral or alarm.
    for s in scrapes.iter().chain([&after]) {
        assert!(
            !s.contains(r#"reason="borderdb"#),
            "/metrics names a borderdb reason:\n{s}"
        );
    }
    // The audit trail keeps the exact reason.
    assert!(std::fs::read_to_string(&trail)
        .unwrap()
        .contains("borderdb_hit"));

    // From another address of this host: refused (no token configured).
    if let Some(ip) = non_loopback_ip() {
        let r = http(SocketAddr::new(ip, port), "GET", "/metrics", "").unwrap();
        assert_eq!(r.status, 403, "{r:?}");
        let live = http(SocketAddr::new(ip, port), "GET", "/live", "").unwrap();
        assert_eq!(live.status, 200, "{live:?}");
    }
    d.signal("TERM");
    assert!(d.wait_exit(Duration::from_secs(10)).is_some());
}
