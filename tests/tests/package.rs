//! The Debian package and the systemd units (`deploy/`).
//!
//! - The package that `scripts/test.sh` builds from the border binary (`cargo deb --no-build
//!   --profile production`, next to it as `egate.deb`) installs into this machine with
//!   `dpkg -i`: the binary, the conffile, the units, the service user and its state folder;
//!   a changed conffile survives a reinstall; `systemd-analyze verify` accepts the
//!   installed units. The test purges the package at the end.
//! - The unit's own `ExecStart=` command line, run as systemd would (`NOTIFY_SOCKET`,
//!   `WATCHDOG_USEC` from its `WatchdogSec=`), sends `READY=1` once `/ready` is true, then
//!   `WATCHDOG=1` within every watchdog interval, and `STOPPING=1` on SIGTERM: the test is
//!   the notification peer (the `sd_notify(3)` datagram protocol). The simulation build
//!   stands in for `/usr/bin/egate`, since the border build has no simulator. The installed
//!   unit under a real systemd is `tests/tests/systemd_unit.rs`.

use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use egate_tests::{egate_bin, http, production_bin, repo, Daemon};

fn unit(name: &str) -> String {
    std::fs::read_to_string(repo().join("deploy/systemd").join(name)).unwrap()
}

/// The value of `key=` in a unit file (the last assignment wins, as in systemd).
fn setting(unit: &str, key: &str) -> Option<String> {
    unit.lines()
        .filter_map(|l| l.trim().strip_prefix(&format!("{key}=")))
        .next_back()
        .map(str::to_string)
}

fn sh(cmd: &str, args: &[&str]) -> (bool, String) {
    let out = Command::new(cmd)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{cmd}: {e}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// The package `scripts/test.sh` builds (`EGATE_DEB` overrides).
fn deb() -> PathBuf {
    let deb = std::env::var_os("EGATE_DEB")
        .map(PathBuf::from)
        .unwrap_or_else(|| production_bin().with_file_name("egate.deb"));
    assert!(
        deb.exists(),
        "no package at {}: scripts/test.sh builds it with `cargo deb -p egate --no-build \
         --profile production --output <target>/production/egate.deb` (or set EGATE_DEB)",
        deb.display()
    );
    deb
}

#[test]
fn the_package_installs_with_its_conffile_units_and_service_user() {
    let deb = deb();
    let deb = deb.to_str().unwrap();
    let (ok, fields) = sh("dpkg-deb", &["-f", deb, "Package", "Depends"]);
    assert!(ok, "{fields}");
    assert!(fields.contains("Package: egate"), "{fields}");
    assert!(fields.contains("pcscd"), "{fields}");
    let (ok, out) = sh("dpkg", &["-i", deb]);
    assert!(ok, "dpkg -i: {out}");
    struct Purge;
    impl Drop for Purge {
        fn drop(&mut self) {
            let _ = Command::new("dpkg").args(["--purge", "egate"]).output();
        }
    }
    let _purge = Purge;

    // The border build, with no simulator.
    let (ok, help) = sh("/usr/bin/egate", &["--help"]);
    assert!(ok, "{help}");
    assert!(!help.contains("\n  sim "), "{help}");
    // The annotated default as a conffile.
    let (_, conffiles) = sh("dpkg-query", &["-W", "-f=${Conffiles}", "egate"]);
    assert!(conffiles.contains("/etc/egate/egate.toml"), "{conffiles}");
    let (ok, default) = sh("/usr/bin/egate", &["config", "default"]);
    assert!(ok, "{default}");
    assert_eq!(
        std::fs::read_to_string("/etc/egate/egate.toml").unwrap(),
        default,
        "the conffile is not the binary's annotated default"
    );
    let (ok, out) = sh(
        "/usr/bin/egate",
        &["config", "check", "/etc/egate/egate.toml"],
    );
    assert!(ok, "the packaged config does not check: {out}");
    // The service user and its private state folder.
    let (ok, user) = sh("getent", &["passwd", "egate"]);
    assert!(ok, "no egate user: {user}");
    let (_, groups) = sh("id", &["-nG", "egate"]);
    assert!(
        groups.split_whitespace().any(|g| g == "dialout"),
        "{groups}"
    );
    let (_, stat) = sh("stat", &["-c", "%a %U", "/var/lib/egate"]);
    assert_eq!(stat.trim(), "700 egate");
    // The units, installed and accepted by systemd's own checker.
    for name in ["egate.service", "egate-console.service"] {
        let installed = format!("/lib/systemd/system/{name}");
        assert_eq!(std::fs::read_to_string(&installed).unwrap(), unit(name));
        let (ok, out) = sh("systemd-analyze", &["verify", &installed]);
        assert!(
            ok && out.trim().is_empty(),
            "systemd-analyze verify {name}: {out}"
        );
    }
    // A changed conffile survives a reinstall (dpkg keeps the administrator's version).
    let edited = format!(
        "{}\n# site edit\n",
        std::fs::read_to_string("/etc/egate/egate.toml").unwrap()
    );
    std::fs::write("/etc/egate/egate.toml", &edited).unwrap();
    let (ok, out) = sh("dpkg", &["-i", "--force-confold", deb]);
    assert!(ok, "reinstall: {out}");
    assert_eq!(
        std::fs::read_to_string("/etc/egate/egate.toml").unwrap(),
        edited
    );
}

#[test]
fn the_units_harden_the_service() {
    let u = unit("egate.service");
    for (key, want) in [
        ("Type", "notify"),
        ("User", "egate"),
        ("ProtectSystem", "strict"),
        ("NoNewPrivileges", "yes"),
        ("DevicePolicy", "closed"),
        ("StandardError", "journal"),
        ("CapabilityBoundingSet", ""),
    ] {
        assert_eq!(setting(&u, key).as_deref(), Some(want), "{key}");
    }
    assert!(setting(&u, "WatchdogSec").is_some());
    let allowed: Vec<&str> = u
        .lines()
        .filter_map(|l| l.strip_prefix("DeviceAllow="))
        .collect();
    assert!(allowed.contains(&"char-ttyS rw"), "{allowed:?}");
    let c = unit("egate-console.service");
    assert_eq!(setting(&c, "User").as_deref(), Some("egate"));
    assert_eq!(setting(&c, "ProtectSystem").as_deref(), Some("strict"));
    assert_eq!(setting(&c, "PrivateDevices").as_deref(), Some("yes"));
}

/// `WatchdogSec=` in seconds (`10s`, `10`, `500ms`).
fn seconds(v: &str) -> Duration {
    if let Some(ms) = v.strip_suffix("ms") {
        Duration::from_millis(ms.parse().unwrap())
    } else {
        Duration::from_secs(v.trim_end_matches('s').parse().unwrap())
    }
}

fn recv(sock: &UnixDatagram, until: Instant) -> Option<(String, Instant)> {
    let left = until.saturating_duration_since(Instant::now());
    sock.set_read_timeout(Some(left.max(Duration::from_millis(1))))
        .unwrap();
    let mut buf = [0u8; 512];
    let n = sock.recv(&mut buf).ok()?;
    Some((
        String::from_utf8_lossy(&buf[..n]).into_owned(),
        Instant::now(),
    ))
}

#[test]
fn the_units_command_line_notifies_ready_then_keeps_the_watchdog_fed() {
    let u = unit("egate.service");
    let exec = setting(&u, "ExecStart").expect("ExecStart=");
    let mut argv: Vec<String> = exec.split_whitespace().map(String::from).collect();
    assert_eq!(argv[0], "/usr/bin/egate");
    let watchdog = seconds(&setting(&u, "WatchdogSec").expect("WatchdogSec="));

    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("egate.toml");
    let faces = repo().join("vision/tests/data");
    std::fs::write(
        &cfg,
        format!(
            "[dangerous]\nsimulation = true\n[sim]\ngates = 2\narrival_interval_s = 0.5\n\
             vpcd_readers = []\nfaces_dir = {:?}\n",
            faces.display().to_string()
        ),
    )
    .unwrap();
    // The unit's command line, with the simulation build and config, and free ports and a
    // temporary state folder instead of /var/lib/egate.
    argv[0] = egate_bin().display().to_string();
    let at = argv.iter().position(|a| a == "--config").expect("--config");
    argv[at + 1] = cfg.display().to_string();
    argv.extend(
        [
            "--listen",
            "127.0.0.1:0",
            "--console-listen",
            "127.0.0.1:0",
            "--state-dir",
        ]
        .map(String::from),
    );
    argv.push(dir.path().display().to_string());

    let sock_path: PathBuf = dir.path().join("notify.sock");
    let sock = UnixDatagram::bind(&sock_path).unwrap();
    let mut cmd = Command::new(&argv[0]);
    cmd.args(&argv[1..])
        .current_dir(Path::new("/"))
        .env("NOTIFY_SOCKET", &sock_path)
        .env("WATCHDOG_USEC", watchdog.as_micros().to_string());
    let mut d = Daemon::spawn(cmd);

    let (first, _) = recv(&sock, Instant::now() + Duration::from_secs(90)).unwrap_or_else(|| {
        d.drain();
        panic!("no READY=1 within 90 s; log:\n{}", d.log.join("\n"))
    });
    assert_eq!(first, "READY=1");
    let addr = d.wait_listening();
    let ready = http(addr, "GET", "/ready", "").unwrap();
    assert_eq!(ready.status, 200, "READY=1 came before /ready was true");

    // WATCHDOG=1 keeps coming, never more than the interval apart, while passages run.
    let mut last = Instant::now();
    for _ in 0..4 {
        let (msg, at) = recv(&sock, last + watchdog)
            .unwrap_or_else(|| panic!("no WATCHDOG=1 within WatchdogSec ({watchdog:?})"));
        assert_eq!(msg, "WATCHDOG=1");
        last = at;
    }
    let m = http(addr, "GET", "/metrics", "").unwrap();
    assert!(m.body.contains("egate_passages_total{"), "no passage ran");

    d.signal("TERM");
    let mut stopping = false;
    while let Some((msg, _)) = recv(&sock, Instant::now() + Duration::from_secs(10)) {
        if msg == "STOPPING=1" {
            stopping = true;
            break;
        }
    }
    assert!(stopping, "no STOPPING=1 after SIGTERM");
    assert!(d
        .wait_exit(Duration::from_secs(20))
        .is_some_and(|s| s.success()));
}
