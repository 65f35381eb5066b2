//! Interoperability (issue #6, must-show 3): the real `egate hw door` binary drives an
//! independent Modbus RTU slave — pymodbus, serving the default register map on a pty — and
//! the default map works against it.
//!
//! Needs the test venv made by the setup script: `/opt/egate/venv` with `pymodbus==3.16.1`
//! and `pyserial==3.5` (override the interpreter with `EGATE_TEST_PYTHON`). This test fails,
//! never skips, when they are missing.

use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use egate_tests::LineLog;

const EGATE: &str = env!("CARGO_BIN_EXE_egate");

fn python() -> String {
    std::env::var("EGATE_TEST_PYTHON").unwrap_or_else(|_| "/opt/egate/venv/bin/python".into())
}

/// The pymodbus slave; killed on drop.
struct Slave {
    child: Child,
    lines: LineLog,
}

impl Drop for Slave {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Slave {
    fn start() -> (Slave, String) {
        let py = python();
        let check = Command::new(&py)
            .args(["-c", "import pymodbus, serial; print(pymodbus.__version__)"])
            .output();
        match check {
            Ok(out) if out.status.success() => {
                eprintln!("pymodbus {}", String::from_utf8_lossy(&out.stdout).trim());
            }
            other => panic!(
                "the interoperability test needs pymodbus in a venv at {py}: create it with \
                 `python3 -m venv /opt/egate/venv && /opt/egate/venv/bin/pip install \
                 pymodbus==3.16.1 pyserial==3.5` (the project's setup script does this); got {other:?}"
            ),
        }
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/pymodbus_door.py");
        let mut child = Command::new(&py)
            .arg(&script)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start the pymodbus slave");
        let mut slave = Slave {
            lines: LineLog::read(child.stdout.take().expect("piped stdout")),
            child,
        };
        // Wait for readiness: the script prints its pty path once pymodbus listens.
        let deadline = Instant::now() + Duration::from_secs(60);
        let ready = slave
            .lines
            .next_line(deadline, "READY from the pymodbus slave");
        let path = ready
            .strip_prefix("READY ")
            .unwrap_or_else(|| panic!("unexpected first line {ready:?}"))
            .to_string();
        (slave, path)
    }

    /// Coil writes pymodbus has seen since the last call.
    fn coil_writes(&mut self) -> Vec<String> {
        let mark = self.lines.log.len();
        self.lines.drain();
        let new = &self.lines.log[mark..];
        new.iter()
            .filter(|l| l.starts_with("COIL "))
            .cloned()
            .collect()
    }
}

fn egate(args: &[&str]) -> Output {
    let out = Command::new(EGATE).args(args).output().expect("run egate");
    eprintln!(
        "$ egate {}\n{}{}→ {:?}",
        args.join(" "),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
        out.status.code()
    );
    out
}

/// `egate hw door --port <port> --map <map> status`.
fn status_with_map(port: &str, map: &Path) -> Output {
    let map = map.to_str().expect("a UTF-8 path");
    egate(&["hw", "door", "--port", port, "--map", map, "status"])
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn egate_hw_door_drives_a_pymodbus_slave_with_the_default_map() {
    let (mut slave, port) = Slave::start();

    let out = egate(&["hw", "door", "--port", &port, "status"]);
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    for expected in [
        "entry door: closed",
        "exit door: closed",
        "zone A: occupied, zone B: free, zone C: free",
        "person count: 3",
        "fault code: 0x0007",
        "fire alarm: no",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in\n{text}");
    }

    let out = egate(&["hw", "door", "--port", &port, "open", "entry"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout(&out).contains("entry door open"));

    // Zone A is occupied: closing the entry is refused and nothing is written.
    let seen_before = slave.coil_writes();
    let out = egate(&["hw", "door", "--port", &port, "close", "entry"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("zone_a is occupied"),
        "{}",
        stderr(&out)
    );

    let out = egate(&["hw", "door", "--port", &port, "open", "exit"]);
    assert_eq!(out.status.code(), Some(0));
    let out = egate(&["hw", "door", "--port", &port, "close", "exit"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));

    let out = egate(&["hw", "door", "--port", &port, "watch", "--seconds", "1"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout(&out)
        .contains("connected: active [exit_closed, entry_open, zone_a], person count 3"));

    // What pymodbus saw: unlock + open entry (coils 2, 0), then unlock + open exit (3, 1),
    // close exit (1 off), lock exit (3 on) — and no write for the refused close.
    let mut writes = seen_before;
    writes.extend(slave.coil_writes());
    assert_eq!(
        writes,
        ["COIL 2 0", "COIL 0 1", "COIL 3 0", "COIL 1 1", "COIL 1 0", "COIL 3 1"]
    );

    // A unit id nobody answers to: a clear message and exit code 1.
    let dir = tempfile::tempdir().unwrap();
    let wrong_unit = dir.path().join("unit9.toml");
    std::fs::write(&wrong_unit, "unit_id = 9\n").unwrap();
    let out = status_with_map(&port, &wrong_unit);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("no valid answer from unit 9"),
        "{}",
        stderr(&out)
    );
    drop(slave);
}

#[test]
fn usage_and_map_errors_have_their_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "unit_id = 0\npoll_period_ms = 500\nsurprise = true\n").unwrap();
    let out = status_with_map("/dev/null", &bad);
    assert_eq!(out.status.code(), Some(64));
    assert!(stderr(&out).contains("surprise"), "{}", stderr(&out));
    std::fs::write(&bad, "unit_id = 0\npoll_period_ms = 500\n").unwrap();
    let out = status_with_map("/dev/null", &bad);
    assert_eq!(out.status.code(), Some(64));
    // Every error at once: unit id, poll period, and the watchdog now shorter than a poll.
    let err = stderr(&out);
    assert!(
        err.contains("unit_id") && err.contains("poll_period_ms"),
        "{err}"
    );
    assert!(err.contains("3 error(s)"), "{err}");

    let out = egate(&["hw", "door", "--port", "/dev/null", "open", "sideways"]);
    assert_eq!(out.status.code(), Some(2));
    let out = egate(&["hw", "door", "status"]);
    assert_eq!(out.status.code(), Some(2));

    let out = egate(&["hw", "door", "--port", "/nonexistent/tty", "status"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("/nonexistent/tty"),
        "{}",
        stderr(&out)
    );
}
