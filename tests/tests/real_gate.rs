//! `egate run` WITHOUT `--sim`: the production gate, with every device named in its config
//! and served by a stand-alone simulated device at the real boundary —
//!
//! - the chip: `egate sim passport` in the vpcd reader, read by the daemon through pcscd
//!   with the PC/SC adapter, verified against the CSCA and CRL files of `[pki]`;
//! - the doors: `egate sim controller`, a Modbus RTU device on a pty, driven by the Modbus
//!   adapter; its traveller walks as the doors open;
//! - the MRZ scanner: `egate sim scanner`, an OCR reader on a pty;
//! - the traveller display: `egate sim display`, on a pty;
//! - the camera: an image sequence read through OpenCV `VideoCapture`;
//! - the borderdb: a local list file, changed while the gate runs.
//!
//! A genuine traveller is let through; the same document, once listed, is referred, and the
//! display tells the traveller only to see an officer; someone else presenting it is
//! referred by the face match; the exit never opens for either; a fire alarm opens both
//! doors. No document number, name or MRZ reaches the log (at debug level), the audit
//! trail or the metrics.
//!
//! Waits are generous and nothing asserts a duration: the machine may be loaded.

use std::path::Path;
use std::time::{Duration, Instant};

use egate_tests::{audit_records, config_check, egate, http, repo, run_args, Daemon, SimDevice};
use serde_json::Value;

const EVENTUALLY: Duration = Duration::from_secs(120);

fn passages(trail: &Path) -> Vec<Value> {
    audit_records(trail, "passage")
}

/// Waits until the audit trail holds `n` passages; returns the last.
fn wait_passages(trail: &Path, n: usize, d: &mut Daemon) -> Value {
    let deadline = Instant::now() + EVENTUALLY;
    loop {
        let p = passages(trail);
        if p.len() >= n {
            return p[n - 1].clone();
        }
        if Instant::now() > deadline {
            d.drain();
            panic!(
                "no passage {n} within {EVENTUALLY:?}; audit trail:\n{}\ndaemon log:\n{}",
                std::fs::read_to_string(trail).unwrap_or_default(),
                d.log.join("\n")
            );
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Waits until the simulated door controller reports the entry and the exit in these
/// positions ("open", "closed").
fn wait_doors(controller: &mut SimDevice, entry: &str, exit: &str) {
    let (entry, exit) = (format!("entry={entry}"), format!("exit={exit}"));
    let deadline = Instant::now() + EVENTUALLY;
    loop {
        let s = controller.state();
        if s.contains(&entry) && s.contains(&exit) {
            return;
        }
        assert!(Instant::now() < deadline, "never {entry} {exit}: {s}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Writes the list file the way an agency should: a new file, then a rename.
fn write_list(path: &Path, text: &str) {
    let tmp = path.with_extension("new");
    std::fs::write(&tmp, text).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

#[test]
fn the_production_gate_runs_on_its_configured_devices() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let faces = repo().join("vision/tests/data");

    // The document: a passport whose chip photo is person A, and the PKI it was signed with.
    let profile = d.join("passport.toml");
    std::fs::write(
        &profile,
        format!(
            "[document]\nface = {:?}\n",
            faces.join("person_a_1.jpg").to_str().unwrap()
        ),
    )
    .unwrap();
    let pki = d.join("pki");
    let profile_s = profile.to_str().unwrap();
    let (code, mrz, err) = egate(&["sim", "passport", "--profile", profile_s, "--print-mrz"]);
    assert_eq!(code, 0, "{err}");
    let mrz_lines: Vec<String> = mrz.lines().map(str::to_string).collect();
    assert_eq!(mrz_lines.len(), 2, "{mrz}");
    let mut passport = SimDevice::start(
        &[
            "sim",
            "passport",
            "--vpcd",
            "127.0.0.1:35963",
            "--profile",
            profile_s,
            "--pki-out",
            pki.to_str().unwrap(),
        ],
        "card inserted",
    );

    // The camera: person A again, a different photo, as an image sequence.
    let frames = d.join("frames");
    std::fs::create_dir_all(&frames).unwrap();
    for i in 0..4 {
        std::fs::copy(
            faces.join("person_a_2.jpg"),
            frames.join(format!("frame_{i:03}.jpg")),
        )
        .unwrap();
    }

    let mut controller =
        SimDevice::start(&["sim", "controller", "--patience", "600"], "controller: ");
    let mut scanner = SimDevice::start(&["sim", "scanner"], "scanner: ");
    let mut display = SimDevice::start(&["sim", "display"], "display: ");

    let list = d.join("borderdb.txt");
    write_list(&list, "# lost and stolen\nUTO X12345678\n");
    let cfg = d.join("egate.toml");
    std::fs::write(
        &cfg,
        format!(
            r#"[log]
level = "debug"
[gate]
id = "lane-7"
# The camera replays one still photo: nothing for PAD to judge.
liveness = "not-checked"
[dangerous]
liveness_not_checked = true
[reader]
pcsc_reader = "Virtual PCD 00 00"
card_wait_s = 10.0
[pki]
csca = [{csca:?}, {link:?}]
crls = [{crl:?}]
[doors]
port = {doors:?}
[scanner]
port = {scanner:?}
[display]
port = {display:?}
[policy]
borderdb = "required"
[borderdb]
file = {list:?}
[vision.camera]
source = {camera:?}
width = 0
height = 0
fps = 0.0
"#,
            csca = pki.join("csca.der").to_str().unwrap(),
            link = pki.join("link.der").to_str().unwrap(),
            crl = pki.join("crl.der").to_str().unwrap(),
            doors = controller.path,
            scanner = scanner.path,
            display = display.path,
            list = list.to_str().unwrap(),
            camera = frames.join("frame_%03d.jpg").to_str().unwrap(),
        ),
    )
    .unwrap();
    let (code, out, err) = config_check(&cfg);
    assert_eq!(code, 0, "{out}{err}");

    let state = d.join("state");
    let mut daemon = Daemon::start(&run_args(false, Some(&cfg), &state));
    let addr = daemon.wait_listening();
    let trail = state.join("audit.jsonl");

    let scan = |scanner: &mut SimDevice| {
        for l in &mrz_lines {
            scanner.send(l);
        }
        scanner.send("");
        scanner.wait_line("ok", EVENTUALLY);
    };

    // The next traveller steps up when the display invites them (the gate is idle again).
    let invited = |display: &mut SimDevice, since: usize| {
        if display.log[since..]
            .iter()
            .any(|l| l.starts_with("MSG present-passport"))
        {
            return;
        }
        display.wait_for(
            |l| l.starts_with("MSG present-passport"),
            "the display invites the next traveller",
            EVENTUALLY,
        );
    };

    // A traveller steps up to a closed lane (the gate starts no passage while a door it
    // closed is still held open by someone standing in it).
    let lane_closed = |controller: &mut SimDevice| wait_doors(controller, "closed", "closed");

    // The next traveller arrives and scans the passport; returns the audit record of
    // passage `n`.
    let passage =
        |controller: &mut SimDevice, scanner: &mut SimDevice, daemon: &mut Daemon, n: usize| {
            lane_closed(controller);
            controller.command("arrive").expect("arrive");
            scan(scanner);
            wait_passages(&trail, n, daemon)
        };

    // A referred traveller turns away and leaves through the entry.
    let turn_away = |controller: &mut SimDevice, what: &str| {
        controller.command("turn-away").expect("turn-away");
        controller.wait_for(|l| l == "event: traveller turned-away", what, EVENTUALLY);
    };

    // 1. A genuine traveller: walks in, scans the passport, is let through.
    let p = passage(&mut controller, &mut scanner, &mut daemon, 1);
    assert_eq!(
        p["data"]["outcome"],
        "accepted",
        "{p}\n{}",
        daemon.log.join("\n")
    );
    assert_eq!(p["data"]["liveness"], "not_checked", "{p}");
    // Passive authentication chained to the CSCA of [pki].
    let decisions: Vec<Value> = std::fs::read_to_string(&trail)
        .unwrap()
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v["kind"] == "document_decision")
        .collect();
    assert_eq!(decisions[0]["data"]["pa"], "Trusted", "{decisions:?}");
    let shown_after_1 = display.mark();
    controller.wait_for(
        |l| l == "event: traveller through",
        "the traveller left through the exit",
        EVENTUALLY,
    );

    // 2. The document is listed (the file changes while the gate runs): the same traveller
    //    is referred, and the display only asks them to see an officer.
    write_list(&list, "# lost and stolen\nUTO X12345678\nD L898902C3\n");
    invited(&mut display, shown_after_1);
    let shown_before = display.mark();
    let exit_opened = |c: &SimDevice| {
        c.log
            .iter()
            .filter(|l| l.as_str() == "event: exit door open")
            .count()
    };
    let exit_opens_before = exit_opened(&controller);
    let p = passage(&mut controller, &mut scanner, &mut daemon, 2);
    assert_eq!(p["data"]["outcome"], "referred", "{p}");
    assert_eq!(p["data"]["reason"], "borderdb_hit", "{p}");
    let see_officer = display.wait_for(
        |l| l.starts_with("MSG see-officer"),
        "the display asks the traveller to see an officer",
        EVENTUALLY,
    );
    for l in &display.log[shown_before..] {
        let lower = l.to_lowercase();
        assert!(
            !lower.contains("watch") && !lower.contains("list") && !lower.contains("wanted"),
            "the display told the traveller why: {l}"
        );
    }
    assert!(see_officer.contains("red"), "{see_officer}");
    let shown_after_2 = display.mark();
    turn_away(
        &mut controller,
        "the referred traveller left through the entry",
    );
    assert_eq!(
        exit_opened(&controller),
        exit_opens_before,
        "the exit opened for a referred traveller"
    );

    // 3. Someone else presents the (no longer listed) document: the real face pipeline
    //    refers them.
    write_list(&list, "# lost and stolen\nUTO X12345678\n");
    invited(&mut display, shown_after_2);
    for i in 0..4 {
        std::fs::copy(
            faces.join("person_b_2.jpg"),
            frames.join(format!("frame_{i:03}.jpg")),
        )
        .unwrap();
    }
    let p = passage(&mut controller, &mut scanner, &mut daemon, 3);
    assert_eq!(p["data"]["outcome"], "referred", "{p}");
    assert_eq!(p["data"]["reason"], "face_mismatch", "{p}");
    turn_away(&mut controller, "the impostor left through the entry");
    assert_eq!(
        exit_opened(&controller),
        exit_opens_before,
        "the exit opened for an impostor"
    );

    // 4. Fire: both doors open.
    controller.command("fire on").expect("fire on");
    wait_doors(&mut controller, "open", "open");

    // Nothing personal anywhere the gate writes.
    let metrics = http(addr, "GET", "/metrics", "").unwrap().body;
    assert!(
        metrics.contains("egate_passages_total"),
        "metrics lack passages:\n{metrics}"
    );
    daemon.signal("TERM");
    daemon
        .wait_exit(Duration::from_secs(10))
        .expect("egate run stops on SIGTERM");
    let trail_text = std::fs::read_to_string(&trail).unwrap();
    let log = daemon.log.join("\n");
    for (name, text) in [
        ("log", &log),
        ("audit trail", &trail_text),
        ("metrics", &metrics),
    ] {
        for needle in [
            "L898902C3",
            "ERIKSSON",
            "ANNA",
            "MARIA",
            &mrz_lines[0][..20],
        ] {
            assert!(!text.contains(needle), "{needle:?} found in the {name}");
        }
    }
    let (code, out, err) = egate(&["audit", "verify", trail.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");

    for dev in [&mut controller, &mut scanner, &mut display, &mut passport] {
        dev.close_stdin();
        let _ = dev.wait_exit(Duration::from_secs(20));
    }
}
