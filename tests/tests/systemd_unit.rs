//! Must-show 1 of the operations issue: the installed package's `egate.service` is started by
//! a real systemd and reports ready.
//!
//! systemd is not PID 1 on the test machine, so the test starts one: `unshare --pid --fork
//! --mount-proc` makes a PID namespace in which `/lib/systemd/system/systemd --system` is
//! PID 1, over a private `/run` (its own units and control socket) but the machine's
//! filesystem (the units the package installed, the `egate` user it created). That systemd
//! starts a target that wants only `egate.service`. The packaged unit runs as written —
//! `Type=notify`, `WatchdogSec=`, its user, `StateDirectory=`, every hardening setting —
//! with a drop-in such as an administrator would write (`systemctl edit egate`), that
//! changes only what the test needs:
//!
//! - `ExecStart=`: the simulation build with a simulation config (the border build in the
//!   package has no simulator), on a free port;
//! - `StandardOutput=`/`StandardError=`: a file, since no journald runs in the namespace;
//! - `DefaultDependencies=no`: the namespace boots no `sysinit.target`.
//!
//! The namespace shares the machine's filesystem and kernel, so what its systemd may start
//! is fenced: `sysinit.target`, `basic.target`, `pcscd.socket` (the simulation reads its
//! chips in process) and the units that act on the machine at boot (`systemd-tmpfiles-setup`,
//! which `PrivateTmp=` pulls in and which would empty the machine's `/tmp`; udev, sysctl,
//! modules, journald, ...) are masked in the namespace's `/run`, and `/tmp` and `/var/tmp` are
//! private tmpfs mounts there. The test checks that none of the masked units ran.
//!
//! What is checked: systemd sees `active (running)` — for `Type=notify` that is after the
//! daemon's `READY=1` — and `/ready` answers 200 then; the unit stays up without a restart
//! past its `WatchdogSec=` (the watchdog is fed); `systemctl stop` stops it cleanly (the
//! audit trail in its state folder ends with `daemon_stopped`).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use egate_tests::{egate_bin, http, production_bin, repo};

fn sh(cmd: &str, args: &[&str]) -> (bool, String) {
    let out = Command::new(cmd)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{cmd}: {e}"));
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// The package `scripts/test.sh` builds (`EGATE_DEB` overrides).
fn deb() -> PathBuf {
    let deb = std::env::var_os("EGATE_DEB")
        .map(PathBuf::from)
        .unwrap_or_else(|| production_bin().with_file_name("egate.deb"));
    assert!(
        deb.exists(),
        "no package at {}: scripts/test.sh builds it (or set EGATE_DEB)",
        deb.display()
    );
    deb
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Units the namespace's systemd must not start: the boot targets, and every unit that
/// would act on the machine it shares (its `/tmp`, devices, kernel settings, logs).
const MASKED: [&str; 23] = [
    "sysinit.target",
    "basic.target",
    "sockets.target",
    "local-fs.target",
    "local-fs-pre.target",
    "network.target",
    "network-online.target",
    "pcscd.socket",
    "pcscd.service",
    "systemd-tmpfiles-setup.service",
    "systemd-tmpfiles-setup-dev.service",
    "systemd-tmpfiles-clean.timer",
    "systemd-udevd.service",
    "systemd-udev-trigger.service",
    "systemd-udevd-control.socket",
    "systemd-udevd-kernel.socket",
    "systemd-sysctl.service",
    "systemd-modules-load.service",
    "systemd-journald.service",
    "systemd-journald.socket",
    "systemd-journald-dev-log.socket",
    "systemd-random-seed.service",
    "systemd-sysusers.service",
];

/// A systemd as PID 1 of its own PID namespace; killed (with everything it started) on
/// drop.
struct Systemd {
    unshare: Child,
    /// systemd's PID as this machine sees it.
    pid: u32,
}

impl Systemd {
    /// Boots `target` from the units in `units` (copied into the namespace's `/run`).
    fn boot(units: &Path, target: &str, log: &Path) -> Systemd {
        let masks: String = MASKED
            .iter()
            .map(|u| format!("ln -s /dev/null /run/systemd/system/{u}\n"))
            .collect();
        let script = format!(
            "set -e\n\
             mount -t tmpfs -o mode=755 tmpfs /run\n\
             mount -t tmpfs -o mode=1777 tmpfs /tmp\n\
             mount -t tmpfs -o mode=1777 tmpfs /var/tmp\n\
             mkdir -p /run/systemd/system\n\
             cp -r {units}/. /run/systemd/system/\n\
             {masks}\
             export container=egate-test\n\
             exec /lib/systemd/systemd --system --unit={target} --log-target=console\n",
            units = units.display()
        );
        let unshare = Command::new("unshare")
            .args([
                "--pid",
                "--fork",
                "--mount-proc",
                "--mount",
                "--propagation",
                "private",
                "sh",
                "-c",
                &script,
            ])
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(log).unwrap())
            .stderr(std::fs::File::create(log.with_extension("err")).unwrap())
            .spawn()
            .expect("unshare (util-linux)");
        // systemd is the child of unshare's forked child.
        let deadline = Instant::now() + Duration::from_secs(10);
        let pid = loop {
            let children =
                std::fs::read_to_string(format!("/proc/{0}/task/{0}/children", unshare.id()))
                    .unwrap_or_default();
            if let Some(pid) = children.split_whitespace().next() {
                let pid: u32 = pid.parse().unwrap();
                let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
                if comm.trim() == "systemd" {
                    break pid;
                }
            }
            assert!(
                Instant::now() < deadline,
                "systemd did not start in the namespace: {}",
                std::fs::read_to_string(log.with_extension("err")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(50));
        };
        Systemd { unshare, pid }
    }

    /// `systemctl ARGS` inside the namespace.
    fn systemctl(&self, args: &[&str]) -> (bool, String) {
        let pid = self.pid.to_string();
        let mut all = vec!["-t", &pid, "-p", "-m", "systemctl", "--no-pager"];
        all.extend_from_slice(args);
        sh("nsenter", &all)
    }

    /// `systemctl show UNIT -p KEY`'s value.
    fn show(&self, unit: &str, key: &str) -> String {
        let (_, out) = self.systemctl(&["show", unit, "-p", key, "--value"]);
        out.trim().to_string()
    }
}

impl Drop for Systemd {
    fn drop(&mut self) {
        // SIGKILL to the namespace's PID 1 ends every process in the namespace.
        let _ = Command::new("kill")
            .args(["-KILL", &self.pid.to_string()])
            .status();
        let _ = self.unshare.wait();
    }
}

#[test]
fn the_installed_unit_starts_under_systemd_and_reports_ready() {
    let deb = deb();
    let (ok, out) = sh("dpkg", &["-i", deb.to_str().unwrap()]);
    assert!(ok, "dpkg -i: {out}");
    struct Purge;
    impl Drop for Purge {
        fn drop(&mut self) {
            let _ = Command::new("dpkg").args(["--purge", "egate"]).output();
        }
    }
    let _purge = Purge;

    // Files the service reads live where user egate may read them, and where the namespace
    // still shows them: not under /tmp or /var/tmp (PrivateTmp=yes, and the namespace mounts
    // its own) nor under a home such as /root (ProtectHome=yes), wherever the checkout is.
    // /srv (FHS: data served by this system) is none of those; the simulation build and the
    // test faces are copied there.
    let dir = tempfile::Builder::new()
        .prefix("egate-systemd-test")
        .tempdir_in("/srv")
        .unwrap();
    let open = |p: &Path, mode: u32| {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
    };
    open(dir.path(), 0o755);
    let bin = dir.path().join("egate");
    std::fs::copy(egate_bin(), &bin).unwrap();
    open(&bin, 0o755);
    let faces = dir.path().join("faces");
    std::fs::create_dir(&faces).unwrap();
    open(&faces, 0o755);
    for f in std::fs::read_dir(repo().join("vision/tests/data")).unwrap() {
        let f = f.unwrap().path();
        if f.is_file() {
            let to = faces.join(f.file_name().unwrap());
            std::fs::copy(&f, &to).unwrap();
            open(&to, 0o644);
        }
    }
    let port = free_port();
    let cfg = dir.path().join("egate.toml");
    let assets = std::env::var("EGATE_ASSETS").unwrap_or_else(|_| "/opt/egate".into());
    std::fs::write(
        &cfg,
        format!(
            "[dangerous]\nsimulation = true\n[sim]\ngates = 1\narrival_interval_s = 0.5\n\
             vpcd_readers = []\nfaces_dir = {:?}\n[vision]\nassets = {assets:?}\n",
            faces.display().to_string()
        ),
    )
    .unwrap();
    open(&cfg, 0o644);
    let units = dir.path().join("units");
    std::fs::create_dir_all(units.join("egate.service.d")).unwrap();
    std::fs::write(
        units.join("egate-test.target"),
        "[Unit]\nDescription=egate unit test\nDefaultDependencies=no\nWants=egate.service\n",
    )
    .unwrap();
    let log = dir.path().join("egate.log");
    std::fs::write(
        units.join("egate.service.d/test.conf"),
        format!(
            "[Unit]\nDefaultDependencies=no\n[Service]\nExecStart=\n\
             ExecStart={bin} run --config {cfg} --listen 127.0.0.1:{port} \
             --console-listen 127.0.0.1:0 --log-format json\n\
             StandardOutput=append:{log}\nStandardError=append:{log}\n",
            bin = bin.display(),
            cfg = cfg.display(),
            log = log.display(),
        ),
    )
    .unwrap();

    let sd = Systemd::boot(&units, "egate-test.target", &dir.path().join("systemd.log"));
    let started = Instant::now();
    let diagnose = |sd: &Systemd| {
        format!(
            "{}\nservice log:\n{}",
            sd.systemctl(&["status", "egate.service"]).1,
            std::fs::read_to_string(&log).unwrap_or_default()
        )
    };
    // Type=notify: "active" only once the daemon sent READY=1.
    loop {
        let state = sd.show("egate.service", "ActiveState");
        if state == "active" {
            break;
        }
        assert!(
            state != "failed" && started.elapsed() < Duration::from_secs(120),
            "egate.service is {state:?} after {:?}\n{}",
            started.elapsed(),
            diagnose(&sd)
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let ready_after = started.elapsed();
    // Nothing ran but the test's target and the service: every other service, socket,
    // timer, path or target is inactive (devices, mounts, slices and scopes only mirror
    // what exists).
    let (_, loaded) = sd.systemctl(&["list-units", "--all", "--no-legend", "--plain"]);
    for line in loaded.lines() {
        let unit = line.split_whitespace().next().unwrap_or_default();
        let active = line.split_whitespace().nth(2).unwrap_or_default();
        let acts = [".service", ".socket", ".timer", ".path", ".target"]
            .iter()
            .any(|t| unit.ends_with(t));
        if !acts || active == "inactive" {
            continue;
        }
        assert!(
            ["egate-test.target", "egate.service"].contains(&unit),
            "the namespace's systemd started {unit}: {line}\n{loaded}"
        );
    }
    let addr = format!("127.0.0.1:{port}").parse().unwrap();
    let ready = http(addr, "GET", "/ready", "").unwrap();
    assert_eq!(ready.status, 200, "active before /ready was true");
    assert_eq!(sd.show("egate.service", "SubState"), "running");
    assert_eq!(sd.show("egate.service", "User"), "egate");
    let main_pid = sd.show("egate.service", "MainPID");
    // MainPID is the daemon's PID in the namespace: read its status there.
    let (_, status) = sh(
        "nsenter",
        &[
            "-t",
            &sd.pid.to_string(),
            "-p",
            "-m",
            "cat",
            &format!("/proc/{main_pid}/status"),
        ],
    );
    assert!(status.contains("NoNewPrivs:\t1"), "{status}");
    assert!(status.contains("CapEff:\t0000000000000000"), "{status}");
    println!("egate.service active (READY=1) {ready_after:?} after systemd started");

    // Past WatchdogSec= with no restart: WATCHDOG=1 keeps coming.
    let watchdog_us: u64 = sd
        .show("egate.service", "WatchdogUSec")
        .parse()
        .unwrap_or(0);
    let watchdog = if watchdog_us > 0 {
        Duration::from_micros(watchdog_us)
    } else {
        // Older systemd prints "10s".
        let v = sd.show("egate.service", "WatchdogUSec");
        Duration::from_secs(v.trim_end_matches('s').parse().expect("WatchdogUSec"))
    };
    std::thread::sleep(watchdog + Duration::from_secs(2));
    assert_eq!(
        sd.show("egate.service", "ActiveState"),
        "active",
        "{}",
        diagnose(&sd)
    );
    assert_eq!(
        sd.show("egate.service", "NRestarts"),
        "0",
        "{}",
        diagnose(&sd)
    );
    assert_eq!(sd.show("egate.service", "MainPID"), main_pid, "restarted");

    // systemctl stop: SIGTERM, the doors to their safe state, a clean exit.
    let (ok, out) = sd.systemctl(&["stop", "egate.service"]);
    assert!(ok, "systemctl stop: {out}");
    assert_eq!(
        sd.show("egate.service", "ActiveState"),
        "inactive",
        "{}",
        diagnose(&sd)
    );
    assert_eq!(
        sd.show("egate.service", "Result"),
        "success",
        "{}",
        diagnose(&sd)
    );
    let trail = std::fs::read_to_string("/var/lib/egate/audit.jsonl").unwrap();
    let last = trail.lines().last().unwrap_or_default();
    assert!(last.contains("\"kind\":\"daemon_stopped\""), "{last}");
}
