//! `egate sim run FILE --real-time --report DIR`: the scenario in real time against an
//! `egate run --sim` daemon this command starts as a child process (this same binary), with
//! a configuration derived from the scenario and `--config`, its state (audit trail, keys,
//! log, the configuration it ran with) kept in `DIR/daemon/` beside the reports.
//!
//! Why a child and not a daemon that is already running: the scenario's `[gates]` settings
//! become the daemon's configuration, so they cannot disagree; the report's reproduction
//! section holds that configuration and the build; the audit trail the results are read from
//! is the daemon's own, in a folder this command owns and hands in with the reports; and no
//! daemon at a border runs with `[dangerous] simulation`, so there is no deployed daemon to
//! attach to — a real-time run always means a simulation daemon started for it.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use acceptance::realtime::{Daemon, LaneView, Order, Progress};
use acceptance::scenario::Checked;

use crate::cli::EXIT_BAD_CONFIG;

/// How long the daemon may take to load its models and listen.
const START_TIMEOUT: Duration = Duration::from_secs(180);

/// The daemon's configuration for the scenario, as TOML: `base` (the `--config` file's text,
/// or empty for the defaults) with the scenario's gates, faces and seed, the simulated bank
/// driven from here, and ephemeral ports. Edited as a document, so every other key of the
/// base file stays as written.
pub fn daemon_config(c: &Checked, base: &str) -> Result<String, String> {
    use toml_edit::{DocumentMut, Item, Table};
    let mut doc: DocumentMut = base.parse().map_err(|e| format!("--config: {e}"))?;
    let g = &c.scenario.gates;
    let mut set = |table: &str, key: &str, v: toml_edit::Value| -> Result<(), String> {
        let t = doc
            .entry(table)
            .or_insert_with(|| Item::Table(Table::new()))
            .as_table_mut()
            .ok_or_else(|| format!("--config: [{table}] is not a table"))?;
        t.insert(key, Item::Value(v));
        Ok(())
    };
    set("dangerous", "simulation", true.into())?;
    set("sim", "driven", true.into())?;
    set("sim", "gates", i64::from(g.count).into())?;
    set(
        "sim",
        "seed",
        ((c.scenario.seed & i64::MAX as u64) as i64).into(),
    )?;
    set("sim", "faces_dir", c.faces.display().to_string().into())?;
    set("gate", "layout", gate::Layout::TwoStep.as_str().into())?;
    set("gate", "liveness", c.liveness.as_str().into())?;
    if c.liveness == gate::LivenessMode::NotChecked {
        // The scenario asks for it; the daemon refuses it without its dangerous switch.
        set("dangerous", "liveness_not_checked", true.into())?;
    }
    let borderdb = match c.borderdb {
        gate::BorderDbMode::Off => "off",
        _ => "required",
    };
    set("policy", "borderdb", borderdb.into())?;
    set("attempts", "capture", i64::from(g.capture_attempts).into())?;
    set(
        "attempts",
        "chip_read",
        i64::from(g.chip_read_attempts).into(),
    )?;
    if let Some(f) = g.target_fmr {
        set("vision", "target_fmr", f.into())?;
    }
    set("server", "listen", "127.0.0.1:0".into())?;
    set("console", "listen", "127.0.0.1:0".into())?;
    Ok(doc.to_string())
}

/// The running child daemon, driven over HTTP.
struct Driving {
    child: Child,
    addr: SocketAddr,
    http: reqwest::blocking::Client,
    trail: audit::Follower,
    ids: Vec<String>,
}

fn client() -> Result<reqwest::blocking::Client, String> {
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(rustls::RootCertStore::empty())
        .with_no_client_auth();
    reqwest::blocking::Client::builder()
        .tls_backend_preconfigured(tls)
        .no_proxy()
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(|e| e.to_string())
}

impl Driving {
    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    fn answer(r: reqwest::Result<reqwest::blocking::Response>) -> Result<String, String> {
        let r = r.map_err(|e| e.to_string())?;
        let status = r.status();
        let text = r.text().map_err(|e| e.to_string())?;
        if status.is_success() {
            Ok(text)
        } else {
            Err(format!("{status}: {}", text.trim()))
        }
    }

    fn get<T: serde::de::DeserializeOwned>(&self, path: &str) -> Result<T, String> {
        let text = Self::answer(self.http.get(self.url(path)).send())?;
        serde_json::from_str(&text).map_err(|e| format!("{path}: {e}"))
    }

    fn post(&self, path: &str, body: String) -> Result<(), String> {
        Self::answer(
            self.http
                .post(self.url(path))
                .header("content-type", "application/json")
                .body(body)
                .send(),
        )
        .map(|_| ())
    }

    fn gate(&self, lane: u32) -> Result<&str, String> {
        self.ids
            .get(lane as usize - 1)
            .map(String::as_str)
            .ok_or_else(|| format!("no lane {lane}"))
    }
}

impl Daemon for Driving {
    fn present(&mut self, order: &Order) -> Result<(), String> {
        let body = serde_json::to_string(order).map_err(|e| e.to_string())?;
        self.post("/sim/travellers", body)
    }

    fn fault(&mut self, lane: u32, name: &str, on: bool) -> Result<(), String> {
        let url = self.url(&format!("/sim/gates/{}/faults/{name}", self.gate(lane)?));
        let r = if on {
            self.http.post(url).send()
        } else {
            self.http.delete(url).send()
        };
        Self::answer(r).map(|_| ())
    }

    fn officer(&mut self, lane: u32, command: gate::OfficerCommand) -> Result<(), String> {
        let path = format!(
            "/sim/gates/{}/officer/{}",
            self.gate(lane)?,
            command.as_str()
        );
        self.post(&path, String::new())
    }

    fn lanes(&mut self) -> Result<Vec<LaneView>, String> {
        let lanes: Vec<LaneView> = self.get("/sim/lanes")?;
        self.ids = lanes.iter().map(|l| l.id.clone()).collect();
        Ok(lanes)
    }

    fn travellers(&mut self) -> Result<Vec<Progress>, String> {
        self.get("/sim/travellers")
    }

    fn trail(&mut self) -> Result<Vec<serde_json::Value>, String> {
        let mut out = Vec::new();
        self.trail
            .read_new(|line| {
                if let Ok(v) = serde_json::from_str(line) {
                    out.push(v);
                }
            })
            .map_err(|e| e.to_string())?;
        Ok(out)
    }

    fn resources(&mut self) -> (u64, u32) {
        let pid = self.child.id();
        let rss = std::fs::read_to_string(format!("/proc/{pid}/statm"))
            .ok()
            .and_then(|s| s.split_whitespace().nth(1)?.parse::<u64>().ok())
            .map_or(0, |pages| pages * 4);
        let fds = std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, |d| d.count() as u32);
        (rss, fds)
    }
}

impl Drop for Driving {
    fn drop(&mut self) {
        stop(&mut self.child);
    }
}

/// Stops the daemon as its service manager would (SIGTERM: doors to their safe state, the
/// trail closed), and kills it if it has not stopped after a grace period.
fn stop(child: &mut Child) {
    if matches!(child.try_wait(), Ok(Some(_))) {
        return;
    }
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let deadline = Instant::now() + Duration::from_secs(15);
    while Instant::now() < deadline {
        if matches!(child.try_wait(), Ok(Some(_))) {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// The address in the daemon's "listening addr=127.0.0.1:1234" log line (not the console's
/// "console listening url=... addr=...").
fn listening(line: &str) -> Option<SocketAddr> {
    let rest = &line[line.find(" listening addr=")? + 16..];
    let end = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '.' | ':' | '[' | ']')))
        .unwrap_or(rest.len());
    rest[..end].parse().ok()
}

/// Starts `egate run` with `config`, its state in `state`, and waits until it listens and
/// is ready. Its output goes to `state/daemon.log`.
fn start(config: &Path, state: &Path) -> Result<Driving, String> {
    let exe = std::env::current_exe().map_err(|e| format!("this program's path: {e}"))?;
    let mut child = Command::new(exe)
        .arg("run")
        .arg("--config")
        .arg(config)
        .arg("--state-dir")
        .arg(state)
        .args(["--log-format", "human"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start egate run: {e}"))?;
    let log = std::fs::File::create(state.join("daemon.log"))
        .map_err(|e| format!("{}: {e}", state.join("daemon.log").display()))?;
    let log = std::sync::Arc::new(std::sync::Mutex::new(log));
    let (tx, rx) = mpsc::channel();
    let pipes: [Box<dyn std::io::Read + Send>; 2] = [
        Box::new(child.stdout.take().ok_or("no stdout")?),
        Box::new(child.stderr.take().ok_or("no stderr")?),
    ];
    for pipe in pipes {
        let (tx, log) = (tx.clone(), log.clone());
        std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                if let Some(addr) = listening(&line) {
                    let _ = tx.send(addr);
                }
                use std::io::Write;
                let mut f = log.lock().unwrap_or_else(|p| p.into_inner());
                let _ = writeln!(f, "{line}");
            }
        });
    }
    let addr = loop {
        match rx.recv_timeout(Duration::from_millis(200)) {
            Ok(a) => break a,
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                stop(&mut child);
                return Err(format!(
                    "egate run ended before listening (see {})",
                    state.join("daemon.log").display()
                ));
            }
        }
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!(
                "egate run exited ({status}) before listening (see {})",
                state.join("daemon.log").display()
            ));
        }
    };
    let http = client()?;
    let trail = audit::Follower::new(&state.join("audit.jsonl"));
    let mut d = Driving {
        child,
        addr,
        http,
        trail,
        ids: Vec::new(),
    };
    let deadline = Instant::now() + START_TIMEOUT;
    while d
        .http
        .get(d.url("/ready"))
        .send()
        .map_or(true, |r| !r.status().is_success())
    {
        if Instant::now() > deadline {
            return Err("egate run did not become ready".into());
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    d.lanes()?;
    Ok(d)
}

/// Runs `c` in real time; writes the reports (and `daemon/`) into `dir`.
pub fn run(
    file: &Path,
    c: &Checked,
    base: &str,
    dir: &Path,
    repro: acceptance::report::Reproduction,
) -> ExitCode {
    let problems = acceptance::realtime::unsupported(c);
    if !problems.is_empty() {
        for mut e in problems {
            e.file = Some(file.to_path_buf());
            eprintln!("{e}");
        }
        eprintln!(
            "{}: the scenario asks for what real time cannot do (see `egate sim run --help`); \
             run it in virtual time, or change it",
            file.display()
        );
        return ExitCode::from(EXIT_BAD_CONFIG);
    }
    let state = dir.join("daemon");
    if let Err(e) = std::fs::create_dir_all(&state) {
        eprintln!("sim: {}: {e}", state.display());
        return ExitCode::from(1);
    }
    let text = match daemon_config(c, base) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("sim: {e}");
            return ExitCode::from(EXIT_BAD_CONFIG);
        }
    };
    let config_path = state.join("egate.toml");
    if let Err(e) = std::fs::write(&config_path, &text) {
        eprintln!("sim: {}: {e}", config_path.display());
        return ExitCode::from(1);
    }
    let mut repro = repro;
    repro
        .checks
        .push(("daemon.config".into(), config_path.display().to_string()));
    repro.checks.push((
        "daemon.audit_trail".into(),
        state.join("audit.jsonl").display().to_string(),
    ));
    let started = Instant::now();
    let mut daemon = match start(&config_path, &state) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("sim: {e}");
            return ExitCode::from(1);
        }
    };
    let bar = super::accept::progress_bar(u64::from(c.scenario.travellers.count));
    bar.set_prefix(format!("{} (real time)", c.scenario.name));
    let out = acceptance::realtime::run(c, &mut daemon, &mut |d, _| bar.set_position(u64::from(d)));
    bar.finish_and_clear();
    drop(daemon);
    let out = match out {
        Ok(o) => o,
        Err(e) => {
            eprintln!(
                "sim: {e} (the daemon's log: {})",
                state.join("daemon.log").display()
            );
            return ExitCode::from(1);
        }
    };
    // The trail the results were read from, checked like any other.
    let mut kept = crate::config::sections::AuditConfig::default();
    kept.keep_in(&state, "audit.jsonl");
    let verified =
        audit::AuditKey::load(&kept.mac_key_file).and_then(|k| audit::verify_file(&kept.file, &k));
    repro.checks.push((
        "daemon.audit_trail_verified".into(),
        match &verified {
            Ok(r) if r.broken.is_none() => format!("yes ({} records)", r.records),
            Ok(r) => format!("NO: broken after {} records", r.records),
            Err(e) => format!("NO: {e}"),
        },
    ));
    let wall = started.elapsed().as_secs_f64();
    let r = acceptance::report::build(c, &out, repro, wall, Vec::new());
    super::accept::finish(dir, r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_listening_line_gives_the_address() {
        let line =
            "2026-12-06T10:00:00Z  INFO egate::cli::run: listening addr=127.0.0.1:40123 gate=egate";
        assert_eq!(listening(line), Some("127.0.0.1:40123".parse().unwrap()));
        assert_eq!(listening("INFO traveller screen listening"), None);
        assert_eq!(listening("INFO something addr=127.0.0.1:1"), None);
        let console =
            "INFO console: console listening url=https://127.0.0.1:43575/ addr=127.0.0.1:43575";
        assert_eq!(listening(console), None);
    }

    #[test]
    fn the_daemon_config_is_the_base_file_with_the_scenario_s_gates() {
        let faces = tempfile::tempdir().unwrap();
        std::fs::write(faces.path().join("identities.txt"), "a.jpg a\n").unwrap();
        let text = format!(
            "name = \"t\"\nseed = 9\n\n[gates]\ncount = 3\nliveness = \"not-checked\"\n\
             borderdb = \"off\"\ncapture_attempts = 2\ntarget_fmr = 0.001\n\n\
             [travellers]\ncount = 2\nfaces = \"{}\"\n",
            faces.path().display()
        );
        let c =
            acceptance::scenario::Scenario::check(&text, Path::new("."), Path::new("/nonexistent"))
                .unwrap();
        // A base file that says otherwise: the scenario wins on what it owns, the rest stays.
        let base = "[sim]\ngates = 1\ndriven = false\n\n[dangerous]\nsimulation = false\n\n\
                    [server]\nlisten = \"0.0.0.0:80\"\n\n[timeouts]\nenter = 12.5\n";
        let derived = daemon_config(&c, base).unwrap();
        let cfg = crate::config::parse(&derived).unwrap_or_else(|e| panic!("{e:?}\n{derived}"));
        assert!(cfg.dangerous.simulation && cfg.sim.driven);
        assert_eq!((cfg.sim.gates, cfg.sim.seed), (3, 9));
        assert_eq!(cfg.sim.faces_dir, faces.path().display().to_string());
        assert_eq!(cfg.gate.liveness, gate::LivenessMode::NotChecked);
        assert_eq!(cfg.attempts.capture, 2);
        assert_eq!(cfg.vision.target_fmr, 0.001);
        assert_eq!(cfg.server.listen, "127.0.0.1:0");
        assert_eq!(
            cfg.timeouts.enter, 12.5,
            "a key the scenario does not own stays"
        );
        assert!(derived.contains("borderdb = \"off\""));
        // A base file that is not TOML, or whose section is not a table, is an error.
        assert!(daemon_config(&c, "[sim\n")
            .unwrap_err()
            .starts_with("--config"));
        assert!(daemon_config(&c, "sim = 3\n")
            .unwrap_err()
            .contains("[sim]"));
    }
}
