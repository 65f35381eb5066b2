//! Helpers for the end-to-end tests in `tests/tests/`: locate the built `egate` binary, start
//! it on a free port, wait for readiness from its own log line, and talk plain HTTP to it;
//! start the stand-alone simulated devices (`egate sim ...`, [`SimDevice`]) and talk to them.
//!
//! The binary is built by the test command (`make test` runs `cargo build -p egate` before
//! `cargo test`); a missing binary is a test failure with a clear message, never a skip.

use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStderr, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

pub mod console_session;
pub mod nats;
pub mod sim_device;
pub use console_session::Console;
pub use sim_device::SimDevice;

/// The repository's root (the workspace).
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_path_buf()
}

/// The records of one `kind` in an audit trail (JSON lines); none if it cannot be read.
pub fn audit_records(trail: &std::path::Path, kind: &str) -> Vec<serde_json::Value> {
    std::fs::read_to_string(trail)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["kind"] == kind)
        .collect()
}

/// The target directory's profile folder (`target/<profile>`) of the running test.
fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    // target/<profile>/deps/<test> → target/<profile>
    exe.parent()
        .and_then(|d| d.parent())
        .expect("target dir layout")
        .to_path_buf()
}

/// Path of the `egate` binary next to the running test executable (`EGATE_BIN` overrides).
pub fn egate_bin() -> PathBuf {
    if let Some(p) = std::env::var_os("EGATE_BIN") {
        return PathBuf::from(p);
    }
    let bin = profile_dir().join("egate");
    assert!(
        bin.exists(),
        "the egate binary is not built at {}: run `cargo build -p egate` first (`make test` does)",
        bin.display()
    );
    bin
}

/// Path of the border build of `egate` (`--no-default-features --features production`),
/// which `scripts/test.sh` copies to `<target>/production/egate` (`EGATE_PRODUCTION_BIN`
/// overrides).
pub fn production_bin() -> PathBuf {
    if let Some(p) = std::env::var_os("EGATE_PRODUCTION_BIN") {
        return PathBuf::from(p);
    }
    let target = profile_dir()
        .parent()
        .expect("target dir layout")
        .to_path_buf();
    let bin = target.join("production").join("egate");
    assert!(
        bin.exists(),
        "the production egate binary is not at {}: build it with `cargo build -p egate \
         --no-default-features --features production` and copy target/debug/egate there \
         (scripts/test.sh does), or set EGATE_PRODUCTION_BIN",
        bin.display()
    );
    bin
}

/// A child's output stream, read one line at a time on a thread of its own (a child that
/// writes is never blocked by the test), and every line seen so far.
pub struct LineLog {
    lines: mpsc::Receiver<String>,
    /// Every line seen so far.
    pub log: Vec<String>,
}

impl LineLog {
    /// Starts reading `stream`.
    pub fn read(stream: impl Read + Send + 'static) -> LineLog {
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stream).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        LineLog {
            lines,
            log: Vec::new(),
        }
    }

    /// Collects the lines written so far (without waiting) into the log.
    pub fn drain(&mut self) {
        self.log.extend(self.lines.try_iter());
    }

    /// The next new line (kept in the log), waiting until `deadline`; panics, naming
    /// `what` was awaited, when none comes.
    pub fn next_line(&mut self, deadline: Instant, what: &str) -> String {
        let left = deadline.saturating_duration_since(Instant::now());
        match self.lines.recv_timeout(left) {
            Ok(l) => {
                self.log.push(l.clone());
                l
            }
            Err(_) => panic!(
                "no line for {what:?} in time; output so far:\n{}",
                self.log.join("\n")
            ),
        }
    }

    /// Waits (up to `timeout`) for a line that satisfies `pred`: one of the log from its
    /// `mark`th line on, or else a new one; returns it.
    pub fn wait_since(
        &mut self,
        mark: usize,
        pred: impl Fn(&str) -> bool,
        what: &str,
        timeout: Duration,
    ) -> String {
        if let Some(l) = self
            .log
            .get(mark..)
            .and_then(|ls| ls.iter().find(|l| pred(l)))
        {
            return l.clone();
        }
        let deadline = Instant::now() + timeout;
        loop {
            let l = self.next_line(deadline, what);
            if pred(&l) {
                return l;
            }
        }
    }
}

/// A running `egate` process whose stderr lines are collected in the background (its
/// [`LineLog`]).
pub struct Daemon {
    /// The child process.
    pub child: Child,
    err: LineLog,
}

impl Deref for Daemon {
    type Target = LineLog;

    fn deref(&self) -> &LineLog {
        &self.err
    }
}

impl Daemon {
    /// Starts `egate <args>` with stderr captured.
    pub fn start<S: AsRef<OsStr>>(args: &[S]) -> Self {
        let mut cmd = Command::new(egate_bin());
        cmd.args(args);
        Self::spawn(cmd)
    }

    /// Starts `cmd` (an `egate` command line with its own working directory or
    /// environment) with stderr captured.
    pub fn spawn(mut cmd: Command) -> Self {
        let mut child = cmd
            .env_remove("EGATE_LOG")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn egate");
        let stderr: ChildStderr = child.stderr.take().expect("stderr piped");
        Self {
            child,
            err: LineLog::read(stderr),
        }
    }

    /// Collects the log lines written so far (without waiting) into the log.
    pub fn drain(&mut self) {
        self.err.drain();
    }

    /// Waits (up to `timeout`) for a log line containing `needle`; returns it.
    pub fn wait_for_line(&mut self, needle: &str, timeout: Duration) -> String {
        self.err
            .wait_since(0, |l| l.contains(needle), needle, timeout)
    }

    /// Waits for the daemon's own "listening" line (not the console's) and parses the bound
    /// address out of it.
    pub fn wait_listening(&mut self) -> SocketAddr {
        let line = self.err.wait_since(
            0,
            |l| l.contains("egate::cli::run") && l.contains("listening"),
            "egate::cli::run listening",
            Duration::from_secs(60),
        );
        parse_addr(&line).unwrap_or_else(|| panic!("no address in {line:?}"))
    }

    /// Sends a signal by name (`TERM`, `INT`, `KILL`) with the `kill` command.
    pub fn signal(&self, sig: &str) {
        let st = Command::new("kill")
            .arg(format!("-{sig}"))
            .arg(self.child.id().to_string())
            .status()
            .expect("run kill");
        assert!(st.success(), "kill -{sig} failed");
    }

    /// Waits until at least `at_least` passages have ended on this daemon, serving `/metrics`
    /// at `addr`; fails with the daemon's log after `timeout`.
    pub fn wait_passages_ended(&self, addr: SocketAddr, at_least: u64, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        while passages_ended(addr) < at_least {
            assert!(
                Instant::now() < deadline,
                "fewer than {at_least} passages ended in {timeout:?}\n{}",
                self.log.join("\n")
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Waits up to 60 s for a daemon that must refuse to start: fails if it is still running
    /// or exited with success; returns its log.
    pub fn refused_start(&mut self) -> String {
        let st = self.wait_exit(Duration::from_secs(60));
        let log = self.log.join("\n");
        assert!(
            st.is_some_and(|s| !s.success()),
            "egate run did not refuse to start: {st:?}\n{log}"
        );
        log
    }

    /// Waits for exit up to `timeout`; `None` if still running.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let st = wait_child(&mut self.child, timeout);
        self.err.drain();
        st
    }
}

/// Waits for `child` to exit, up to `timeout`; `None` if it is still running.
pub fn wait_child(child: &mut Child, timeout: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(st) = child.try_wait().expect("try_wait") {
            return Some(st);
        }
        if Instant::now() > deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Finds `addr=IP:PORT` (human log) or `"addr":"IP:PORT"` (JSON log) in a line.
pub fn parse_addr(line: &str) -> Option<SocketAddr> {
    let start = line.find("addr")? + 4;
    let rest = line[start..].trim_start_matches(['=', '"', ':']);
    let end = rest
        .find(|c: char| {
            !(c.is_ascii_alphanumeric() || c == '.' || c == ':' || c == '[' || c == ']')
        })
        .unwrap_or(rest.len());
    rest[..end].parse().ok()
}

/// A minimal HTTP/1.1 response.
#[derive(Debug)]
pub struct Response {
    /// Status code.
    pub status: u16,
    /// Raw header block.
    pub headers: String,
    /// Body as text.
    pub body: String,
}

/// Sends a plain HTTP/1.1 request and reads the whole response (Connection: close).
pub fn http(addr: SocketAddr, method: &str, path: &str, body: &str) -> std::io::Result<Response> {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
    s.set_read_timeout(Some(Duration::from_secs(10)))?;
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)?;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    Ok(Response {
        status,
        headers: head.to_string(),
        body: body.to_string(),
    })
}

/// The arguments of `egate run` on ephemeral ports (API and console) keeping its state in
/// `state_dir`: with `--sim` when `sim`, and `--config config` when given.
pub fn run_args(sim: bool, config: Option<&Path>, state_dir: &Path) -> Vec<String> {
    let mut args = vec!["run".to_string()];
    if sim {
        args.push("--sim".into());
    }
    if let Some(config) = config {
        args.push("--config".into());
        args.push(config.display().to_string());
    }
    args.extend(
        [
            "--listen",
            "127.0.0.1:0",
            "--console-listen",
            "127.0.0.1:0",
            "--state-dir",
        ]
        .map(String::from),
    );
    args.push(state_dir.display().to_string());
    args
}

/// The test venv's Python (`scripts/setup.sh` creates it under `$EGATE_ASSETS`, default
/// `/opt/egate`); `EGATE_TEST_PYTHON` overrides it. A missing venv fails the test.
pub fn venv_python() -> PathBuf {
    if let Some(p) = std::env::var_os("EGATE_TEST_PYTHON") {
        return PathBuf::from(p);
    }
    let assets = std::env::var_os("EGATE_ASSETS").unwrap_or_else(|| "/opt/egate".into());
    let py = Path::new(&assets).join("venv/bin/python");
    assert!(
        py.exists(),
        "{} not found: run scripts/setup.sh (it creates the test venv)",
        py.display()
    );
    py
}

/// Runs the independent checker `tests/independent/<script>` with the venv's Python; returns
/// its exit code and its output (stdout then stderr, trimmed).
pub fn run_independent<S: AsRef<OsStr>>(script: &str, args: &[S]) -> (i32, String) {
    let out = Command::new(venv_python())
        .arg(repo().join("tests/independent").join(script))
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("run the Python checker {script}: {e}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text.trim().to_string())
}

/// Runs the independent checker `tests/independent/<script>`, which prints one JSON value on
/// stdout, and parses it; a failure or an answer that is not JSON fails the test with the
/// checker's stderr. Warnings on stderr do not disturb the answer.
pub fn independent_json<S: AsRef<OsStr>>(script: &str, args: &[S]) -> serde_json::Value {
    let out = Command::new(venv_python())
        .arg(repo().join("tests/independent").join(script))
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("run the Python checker {script}: {e}"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{script} failed: {stderr}");
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{script} printed no JSON ({e}): {stderr}"))
}

/// Writes an `egate run --sim` config to `path`: one gate, a traveller every 0.2 s cycling
/// through `pattern` (TOML strings, comma-separated), chips read through the vpcd readers
/// listed (`""` for in-process chips), faces from `vision/tests/data`.
pub fn write_sim_config(path: &Path, pattern: &str, vpcd_readers: &str) {
    std::fs::write(
        path,
        format!(
            "[sim]\ngates = 1\narrival_interval_s = 0.2\nfaces_dir = {:?}\npattern = [{pattern}]\nvpcd_readers = [{vpcd_readers}]\n",
            repo().join("vision/tests/data").display().to_string()
        ),
    )
    .unwrap();
}

/// Appends to the config `cfg` (created if absent) a `[pki]` section that trusts the CSCA
/// certificate `csca_der` (written beside `cfg` as `csca.der`) and keeps its trust store in
/// `store` beside `cfg`, with the `extra` keys; returns the store's path.
pub fn add_pki(cfg: &Path, csca_der: &[u8], extra: &str) -> PathBuf {
    let dir = cfg.parent().expect("a config file has a folder");
    let csca = dir.join("csca.der");
    std::fs::write(&csca, csca_der).unwrap();
    let store = dir.join("store");
    let mut text = std::fs::read_to_string(cfg).unwrap_or_default();
    text.push_str(&format!(
        "\n[pki]\ncsca = [{:?}]\nstore_dir = {:?}\n{extra}",
        csca.display().to_string(),
        store.display().to_string()
    ));
    std::fs::write(cfg, text).unwrap();
    store
}

/// A new temporary folder holding the file `name` with `text`; dropping the folder
/// removes both.
pub fn temp_file(name: &str, text: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    (dir, path)
}

/// `egate config check FILE`: exit code, stdout, stderr.
pub fn config_check(file: &Path) -> (i32, String, String) {
    egate(&["config", "check", file.to_str().unwrap()])
}

/// Runs `egate <args>` to completion; returns (exit code, stdout, stderr).
pub fn egate<S: AsRef<OsStr>>(args: &[S]) -> (i32, String, String) {
    run(&egate_bin(), args)
}

/// Runs `bin <args>` to completion; returns (exit code, stdout, stderr).
pub fn run<S: AsRef<OsStr>>(bin: &Path, args: &[S]) -> (i32, String, String) {
    let out = Command::new(bin)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("run {}: {e}", bin.display()));
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Appends `text` to the config file at `path` (a section the test adds to a written config).
pub fn append_config(path: &Path, text: &str) {
    let mut cfg = std::fs::read_to_string(path).expect("read the config");
    cfg.push_str(text);
    std::fs::write(path, cfg).expect("write the config");
}

/// The values of every sample of `name` on the daemon's `/metrics` at `addr` whose line
/// contains `label` (`""`: every sample), summed.
pub fn metric_sum(addr: SocketAddr, name: &str, label: &str) -> u64 {
    let r = http(addr, "GET", "/metrics", "").expect("GET /metrics");
    r.body
        .lines()
        .filter(|l| {
            l.strip_prefix(name)
                .is_some_and(|rest| rest.starts_with(['{', ' ']))
        })
        .filter(|l| l.contains(label))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum::<f64>() as u64
}

/// Passages ended so far on the daemon at `addr` (`egate_passages_total`, every label).
pub fn passages_ended(addr: SocketAddr) -> u64 {
    metric_sum(addr, "egate_passages_total", "")
}

/// The value of the first sample of `name` in the Prometheus text `metrics` that carries
/// every label of `labels` (in any order: the exposition format does not fix one).
pub fn metric_sample<'a>(metrics: &'a str, name: &str, labels: &[(&str, &str)]) -> Option<&'a str> {
    metrics.lines().find_map(|l| {
        let (set, value) = l.strip_prefix(name)?.strip_prefix('{')?.split_once('}')?;
        let have: Vec<&str> = set.split(',').collect();
        labels
            .iter()
            .all(|(k, v)| have.contains(&format!("{k}=\"{v}\"").as_str()))
            .then_some(value.trim())
    })
}

/// Whether the Prometheus text `metrics` has a sample of `name` carrying every label of
/// `labels` (in any order).
pub fn has_sample(metrics: &str, name: &str, labels: &[(&str, &str)]) -> bool {
    metric_sample(metrics, name, labels).is_some()
}

#[cfg(test)]
mod tests {
    use super::parse_addr;

    #[test]
    fn finds_addresses_in_both_log_formats() {
        let human =
            "2026-11-26T15:00:00Z  INFO egate::cli::run: listening addr=127.0.0.1:4321 gate=gate-1";
        assert_eq!(parse_addr(human), Some("127.0.0.1:4321".parse().unwrap()));
        let json = r#"{"fields":{"message":"listening","addr":"127.0.0.1:99"}}"#;
        assert_eq!(parse_addr(json), Some("127.0.0.1:99".parse().unwrap()));
    }
}
