//! The operations issue, item 4: "The console can run from the stream instead of polling each
//! gate". `egate run --sim` publishes two gates' events to a real NATS server with JetStream
//! (Debian's `nats-server`, started here); `egate console --stream-gates` follows them on the
//! stream with no connection to the gates. After the gate daemon has stopped, the console
//! shows every alarm and passage its audit trail recorded, each once, refuses commands with
//! the reason, and a restarted console goes on from where it stopped without counting a
//! passage twice.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use egate_tests::nats::{free_port, nats_server, Nats};
use egate_tests::{audit_records, egate_bin, parse_addr, repo, run_args, Console, Daemon};
use serde_json::json;

const GATES: [&str; 2] = ["gate-1-1", "gate-1-2"];
const PASSWORD: &str = "stream-Pa55word-console";

fn adduser(users: &Path) {
    let mut child = Command::new(egate_bin())
        .args(["console", "adduser", "--users"])
        .arg(users)
        .args(["--id", "sup-1", "--role", "supervisor"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    writeln!(child.stdin.take().unwrap(), "{PASSWORD}").unwrap();
    assert!(child.wait().unwrap().success());
}

/// Starts `egate console --stream-gates` and logs in.
fn start_console(cfg: &Path, state: &Path) -> (Daemon, Console) {
    let mut c = Daemon::start(&[
        "console".as_ref(),
        "--stream-gates".as_ref(),
        GATES.join(",").as_ref(),
        "--config".as_ref(),
        cfg.as_os_str(),
        "--state-dir".as_ref(),
        state.as_os_str(),
    ]);
    let line = c.wait_for_line("console listening", Duration::from_secs(60));
    let session = Console::login(parse_addr(&line).unwrap(), "sup-1", PASSWORD);
    (c, session)
}

/// Polls `f` until it returns `Some`, or fails saying `what` and the last value seen.
fn wait_for<T>(what: &str, mut f: impl FnMut() -> Result<T, String>) -> T {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        match f() {
            Ok(v) => return v,
            Err(last) if Instant::now() > deadline => panic!("{what}: {last}"),
            Err(_) => std::thread::sleep(Duration::from_millis(250)),
        }
    }
}

/// Passages per gate and outcome, from `egate run`'s audit trail.
fn trail_outcomes(trail: &Path) -> BTreeMap<(String, String), u64> {
    let mut out = BTreeMap::new();
    for r in audit_records(trail, "passage") {
        let key = (
            r["data"]["gate"].as_str().unwrap().to_string(),
            r["data"]["outcome"].as_str().unwrap().to_string(),
        );
        *out.entry(key).or_default() += 1;
    }
    out
}

/// The console's view of the alarms: (gate, gate alarm id, reason), sorted.
fn console_alarms(session: &Console) -> Vec<(String, u64, String)> {
    let a = session.get("/api/alarms");
    let mut v: Vec<_> = a["alarms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["gate"].as_str().unwrap().to_string(),
                x["gate_alarm_id"].as_u64().unwrap(),
                x["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    v.sort();
    v
}

/// The trail's alarms, as the console should show them.
fn trail_alarms(trail: &Path) -> Vec<(String, u64, String)> {
    let mut v: Vec<_> = audit_records(trail, "alarm")
        .iter()
        .map(|r| {
            (
                r["data"]["gate"].as_str().unwrap().to_string(),
                r["seq"].as_u64().unwrap(),
                r["data"]["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn a_console_follows_its_gates_on_the_stream_and_resumes_where_it_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let url = format!("nats://127.0.0.1:{port}");
    let _nats = Nats(nats_server(port, &dir.path().join("jetstream")).0);

    // The gates: two simulated lanes, a genuine traveller then an impostor, publishing.
    let gate_dir = dir.path().join("gate");
    std::fs::create_dir_all(&gate_dir).unwrap();
    let gate_cfg = gate_dir.join("egate.toml");
    std::fs::write(
        &gate_cfg,
        format!(
            "[server]\nlisten = \"127.0.0.1:0\"\nshutdown_grace_s = 20\n\
             [sim]\ngates = 2\narrival_interval_s = 0.5\nvpcd_readers = []\n\
             pattern = [\"genuine\", \"impostor\"]\nfaces_dir = {:?}\n\
             [fleet]\nnats_url = {url:?}\nack_timeout_s = 1.0\n",
            repo().join("vision/tests/data").display().to_string()
        ),
    )
    .unwrap();

    // The console: its own users, TLS and audit trail; only [fleet] says where the gates are.
    let console_dir = dir.path().join("console");
    std::fs::create_dir_all(&console_dir).unwrap();
    let users = console_dir.join("users.toml");
    adduser(&users);
    let console_cfg = console_dir.join("egate.toml");
    let write_console_cfg = |consumer: &str| {
        std::fs::write(
            &console_cfg,
            format!(
                "[console]\nlisten = \"127.0.0.1:0\"\nusers_file = {:?}\n\
                 [fleet]\nnats_url = {url:?}\nconsole_consumer = {consumer:?}\n",
                users.display().to_string()
            ),
        )
        .unwrap();
    };
    // Without a consumer name of its own, the console does not start.
    write_console_cfg("");
    let (code, _, err) = egate_tests::egate(&[
        "console".as_ref(),
        "--stream-gates".as_ref(),
        "gate-1-1".as_ref(),
        "--config".as_ref(),
        console_cfg.as_os_str(),
        "--state-dir".as_ref(),
        console_dir.as_os_str(),
    ]);
    assert_eq!(code, 64, "{err}");
    assert!(err.contains("console_consumer"), "{err}");
    write_console_cfg("console-test");

    // The gates run first: the stream holds a backlog when the console starts.
    let mut gates = Daemon::start(&run_args(true, Some(&gate_cfg), &gate_dir));
    let trail = gate_dir.join("audit.jsonl");
    wait_for("passages of both kinds on both gates", || {
        let o = trail_outcomes(&trail);
        let both = GATES.iter().all(|g| {
            ["accepted", "referred"]
                .iter()
                .all(|k| o.contains_key(&(g.to_string(), k.to_string())))
        });
        both.then_some(()).ok_or(format!("{o:?}"))
    });
    let (mut console, session) = start_console(&console_cfg, &console_dir);
    let backlog = audit_records(&trail, "passage").len() as u64;
    wait_for("the backlog on the console", || {
        let s = session.get("/api/stats");
        (s["total"].as_u64().unwrap() >= backlog)
            .then_some(())
            .ok_or(format!("{} of {backlog}", s["total"]))
    });
    // Its tiles: no phase (the stream carries none), the stream up.
    let g = session.get("/api/gates");
    for e in g["gates"].as_array().unwrap() {
        let s = &e["status"];
        assert_eq!(s["phase"], "unknown", "{s}");
        let stream = s["devices"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["device"] == "fleet_stream")
            .unwrap_or_else(|| panic!("no fleet_stream device: {s}"));
        assert_eq!(stream["ok"], true, "{s}");
    }
    // A followed gate takes no commands; the console says why.
    let (status, body) = session.post(
        &format!("/api/gates/{}/commands/reset", GATES[0]),
        json!({ "comment": "from the stream console" }),
    );
    assert_eq!(status, 502, "{body}");
    assert!(
        body.to_string().contains("fleet stream"),
        "the refusal names the reason: {body}"
    );

    // The console stops; the gates go on, then stop (their last events flushed).
    console.signal("TERM");
    assert!(console
        .wait_exit(Duration::from_secs(20))
        .is_some_and(|s| s.success()));
    let seen_by_first =
        audit_records(&console_dir.join("console-audit.jsonl"), "passage_received").len() as u64;
    wait_for("passages while the console is down", || {
        let n = audit_records(&trail, "passage").len() as u64;
        (n >= seen_by_first + 2)
            .then_some(())
            .ok_or(format!("{n} vs {seen_by_first}"))
    });
    gates.signal("TERM");
    assert!(
        gates
            .wait_exit(Duration::from_secs(60))
            .is_some_and(|s| s.success()),
        "egate run did not stop cleanly"
    );
    let passages = audit_records(&trail, "passage").len() as u64;
    let alarms = trail_alarms(&trail);
    assert!(alarms.iter().any(|a| a.2 == "face_mismatch"), "{alarms:?}");

    // A new start goes on from where the first stopped: every passage and alarm of the trail,
    // each once, the ones of before the restart not again.
    let (mut console, session) = start_console(&console_cfg, &console_dir);
    let received =
        || audit_records(&console_dir.join("console-audit.jsonl"), "passage_received").len() as u64;
    wait_for("every passage of the trail on the console", || {
        (received() == passages && session.get("/api/stats")["total"] == passages)
            .then_some(())
            .ok_or(format!("{} received of {passages}", received()))
    });
    wait_for("every alarm of the trail on the console", || {
        let got = console_alarms(&session);
        (got == alarms)
            .then_some(())
            .ok_or(format!("{got:?} vs {alarms:?}"))
    });
    // And nothing more comes: the stream has been read to its end, once.
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(
        received(),
        passages,
        "each passage recorded once by the console"
    );
    assert_eq!(console_alarms(&session), alarms);
    console.signal("TERM");
    console.wait_exit(Duration::from_secs(20));
}
