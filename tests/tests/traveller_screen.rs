//! The traveller screen from outside: `egate config check` on message catalogues, and the
//! screen's event stream during simulated passages.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::time::{Duration, Instant};

use egate_tests::{
    audit_records, config_check, http, parse_addr, repo, run_args, write_sim_config, Daemon,
};

#[test]
fn a_catalogue_with_a_missing_key_or_a_bad_placeholder_fails_config_check() {
    let dir = tempfile::tempdir().unwrap();
    let messages = dir.path().join("messages");
    std::fs::create_dir(&messages).unwrap();
    for lang in ["en", "de"] {
        let text = std::fs::read_to_string(repo().join(format!("messages/{lang}.toml"))).unwrap();
        let text = if lang == "de" {
            text.lines()
                .filter(|l| !l.starts_with("lane_closed ="))
                .map(|l| l.replace("Schritt {step}", "Schritt {schritt}"))
                .collect::<Vec<_>>()
                .join("\n")
        } else {
            text
        };
        std::fs::write(messages.join(format!("{lang}.toml")), text).unwrap();
    }
    let cfg = dir.path().join("egate.toml");
    std::fs::write(
        &cfg,
        format!(
            "[traveller]\nmessages_dir = {:?}\n",
            messages.display().to_string()
        ),
    )
    .unwrap();
    let (code, _, err) = config_check(&cfg);
    assert_eq!(code, 64, "{err}");
    let de = messages.join("de.toml").display().to_string();
    let text = std::fs::read_to_string(messages.join("de.toml")).unwrap();
    let line_of = |needle: &str| text.lines().position(|l| l.contains(needle)).unwrap() + 1;
    assert!(
        err.contains(&format!(
            "{de}: line {}: messages.lane_closed: missing",
            line_of("[messages]")
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "{de}: line {}: labels.progress: bad placeholder {{schritt}}",
            line_of("{schritt}")
        )),
        "{err}"
    );
    // The shipped catalogues pass.
    std::fs::write(
        &cfg,
        format!(
            "[traveller]\nmessages_dir = {:?}\n",
            repo().join("messages").display().to_string()
        ),
    )
    .unwrap();
    let (code, out, err) = config_check(&cfg);
    assert_eq!(code, 0, "{out}{err}");
}

/// `egate run --sim` over travellers of `pattern` with the traveller screen on (plus
/// `traveller` keys); returns the daemon and the screen's address.
fn start_with_screen(dir: &Path, pattern: &str, traveller: &str) -> (Daemon, SocketAddr) {
    let cfg = dir.join("egate.toml");
    write_sim_config(&cfg, pattern, "");
    let mut text = std::fs::read_to_string(&cfg).unwrap();
    text.push_str(&format!(
        "[traveller]\nlisten = \"127.0.0.1:0\"\n{traveller}"
    ));
    // One traveller in the lane at a time: the tests read the screen's steps passage by
    // passage, and with overlap the next traveller's steps would interleave on the lane's one
    // screen (an entry screen for the waiting traveller is not built).
    text.push_str("[gate]\noverlap = false\n");
    std::fs::write(&cfg, text).unwrap();
    let mut d = Daemon::start(&run_args(true, Some(&cfg), dir));
    let line = d.wait_for_line("traveller screen listening", Duration::from_secs(120));
    let addr = parse_addr(&line).unwrap();
    d.wait_listening();
    (d, addr)
}

/// The screen's updates as the kiosk page gets them (server-sent events).
fn updates(
    addr: std::net::SocketAddr,
    lane: &str,
    until: Instant,
    mut enough: impl FnMut(&[serde_json::Value]) -> bool,
) -> Vec<serde_json::Value> {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    write!(
        s,
        "GET /gates/{lane}/events HTTP/1.1\r\nHost: {addr}\r\nAccept: text/event-stream\r\n\r\n"
    )
    .unwrap();
    let mut r = BufReader::new(s);
    let mut out = Vec::new();
    let mut line = String::new();
    while Instant::now() < until {
        line.clear();
        match r.read_line(&mut line) {
            Ok(0) => break,
            Ok(_) => {
                if let Some(data) = line.trim_end().strip_prefix("data: ") {
                    out.push(serde_json::from_str(data).unwrap());
                    if enough(&out) {
                        break;
                    }
                }
            }
            Err(_) => continue,
        }
    }
    out
}

/// Splits the updates into passages, each starting at the first prompt.
fn passages(updates: &[serde_json::Value]) -> Vec<Vec<&serde_json::Value>> {
    let mut out: Vec<Vec<&serde_json::Value>> = Vec::new();
    for u in updates {
        if u["step"] == "present_document" {
            out.push(Vec::new());
        }
        if let Some(p) = out.last_mut() {
            p.push(u);
        }
    }
    out
}

fn steps(p: &[&serde_json::Value]) -> Vec<String> {
    let mut s: Vec<String> = p
        .iter()
        .map(|u| u["step"].as_str().unwrap().to_string())
        .collect();
    s.dedup();
    s
}

#[test]
fn the_screen_follows_each_passage_in_the_documents_language_with_the_notice_first() {
    let dir = tempfile::tempdir().unwrap();
    let (mut d, addr) = start_with_screen(dir.path(), "\"genuine\", \"impostor\"", "");
    // Until a passage of each kind has ended and the next traveller is being asked.
    let ends = |p: &[&serde_json::Value], last: &str| {
        p.iter().any(|u| u["step"] == "look_at_camera")
            && p.last().is_some_and(|u| u["step"] == last)
    };
    let enough = |got: &[serde_json::Value]| {
        let all = passages(got);
        let finished = &all[..all.len().saturating_sub(1)];
        finished.iter().any(|p| ends(p, "please_proceed"))
            && finished.iter().any(|p| ends(p, "please_go_back"))
    };
    let got = updates(
        addr,
        "gate-1-1",
        Instant::now() + Duration::from_secs(120),
        enough,
    );
    d.signal("TERM");
    d.wait_exit(Duration::from_secs(20));
    let done = passages(&got);
    let genuine = done
        .iter()
        .find(|p| ends(p, "please_proceed"))
        .unwrap_or_else(|| panic!("no accepted passage in {got:#?}"));
    assert_eq!(
        steps(genuine),
        [
            "present_document",
            "reading_document",
            "please_wait",
            "please_enter",
            "look_at_camera",
            "please_proceed"
        ]
    );
    let referred = done
        .iter()
        .find(|p| ends(p, "please_go_back"))
        .unwrap_or_else(|| panic!("no passage referred back through the entry in {got:#?}"));
    for p in [genuine, referred] {
        // The simulator's documents are issued by "D": German from the chip read on.
        let reading = p.iter().find(|u| u["step"] == "reading_document").unwrap();
        assert_eq!(reading["lang"], "de", "{p:#?}");
        // The notice is on screen before the camera takes its first frame.
        let first_capture = p.iter().position(|u| u["capturing"] == true).unwrap();
        assert!(
            p[..first_capture].iter().any(|u| u["notice"] == "2026-12"),
            "{p:#?}"
        );
        // Nothing on screen names a reason.
        for u in p.iter() {
            let obj = u.as_object().unwrap();
            let keys: Vec<&str> = obj.keys().map(String::as_str).collect();
            assert_eq!(
                keys,
                [
                    "accessible",
                    "capturing",
                    "challenge",
                    "guidance",
                    "lang",
                    "notice",
                    "pictogram",
                    "progress",
                    "seq",
                    "step"
                ]
            );
        }
    }
    // Each passage record names the notice the open page showed (the first traveller may
    // have started before the page was open).
    let ended = audit_records(&dir.path().join("audit.jsonl"), "passage");
    assert!(ended.len() >= 2, "{ended:#?}");
    assert!(
        ended[1..].iter().all(|r| r["data"]["notice"] == "2026-12"),
        "{ended:#?}"
    );
}

/// With the liveness challenge on, its prompts reach the traveller screen during the camera
/// step, one action after the other with its place, and are gone when the traveller is asked
/// to proceed; the simulated traveller follows them and passes.
#[test]
fn the_challenge_prompts_reach_the_traveller_screen_one_after_the_other() {
    let dir = tempfile::tempdir().unwrap();
    let (mut d, addr) = start_with_screen(
        dir.path(),
        "\"genuine\"",
        "[vision.pad.challenge]\nenabled = true\nactions = 2\n",
    );
    let enough = |got: &[serde_json::Value]| {
        passages(got).iter().any(|p| {
            p.iter().any(|u| u["challenge"].is_array())
                && p.last().is_some_and(|u| u["step"] == "please_proceed")
        })
    };
    let got = updates(
        addr,
        "gate-1-1",
        Instant::now() + Duration::from_secs(120),
        enough,
    );
    let catalogue = http(addr, "GET", "/messages/de", "").map(|r| r.body);
    d.signal("TERM");
    d.wait_exit(Duration::from_secs(20));
    let all = passages(&got);
    let p = all
        .iter()
        .find(|p| p.iter().any(|u| u["challenge"].is_array()))
        .unwrap_or_else(|| panic!("no challenge on screen in {got:#?}"));
    assert_eq!(p.last().unwrap()["step"], "please_proceed", "{p:#?}");
    let mut asked: Vec<(String, u64)> = p
        .iter()
        .filter_map(|u| {
            let c = u["challenge"].as_array()?;
            assert_eq!(u["step"], "look_at_camera", "{u}");
            Some((c[0].as_str()?.to_string(), c[1][0].as_u64()?))
        })
        .collect();
    // Other changes on screen (the capture starting, guidance) repeat the prompt.
    asked.dedup();
    assert_eq!(asked.len(), 2, "{asked:?}");
    assert_eq!((asked[0].1, asked[1].1), (1, 2), "{asked:?}");
    assert_ne!(asked[0].0, asked[1].0, "two different actions: {asked:?}");
    for (code, _) in &asked {
        assert!(
            ["turn_left", "turn_right", "step_closer"].contains(&code.as_str()),
            "{code}"
        );
    }
    // After the challenge, nothing is asked any more.
    assert!(p.last().unwrap()["challenge"].is_null(), "{p:#?}");
    // The prompts have texts in the document's language.
    let catalogue = catalogue.expect("the catalogue");
    assert!(
        catalogue.contains("challenge.turn_left") && catalogue.contains("Kopf nach links"),
        "{catalogue}"
    );
}

#[test]
fn with_explicit_consent_a_no_captures_nothing_and_a_yes_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let (mut d, addr) = start_with_screen(dir.path(), "\"genuine\"", "consent = \"explicit\"\n");
    // An answer outside the question goes nowhere.
    let early = http(addr, "POST", "/gates/gate-1-1/consent/yes", "").unwrap();
    let asked = |u: &serde_json::Value| u["step"] == "ask_consent";
    let mut answers = Vec::new();
    let got = updates(
        addr,
        "gate-1-1",
        Instant::now() + Duration::from_secs(120),
        |got| {
            if got.last().is_some_and(asked)
                && got.iter().filter(|u| asked(u)).count() > answers.len()
            {
                // The first traveller says no, the next yes.
                let answer = if answers.is_empty() { "no" } else { "yes" };
                let r = http(
                    addr,
                    "POST",
                    &format!("/gates/gate-1-1/consent/{answer}"),
                    "",
                )
                .unwrap();
                answers.push((answer, r.status));
            }
            let all = passages(got);
            answers.len() == 2
                && all[..all.len().saturating_sub(1)].iter().any(|p| {
                    p.iter().any(|u| asked(u))
                        && p.last().is_some_and(|u| u["step"] == "please_proceed")
                })
        },
    );
    d.signal("TERM");
    d.wait_exit(Duration::from_secs(20));
    assert!(early.status == 409 || early.status == 204, "{early:?}");
    assert_eq!(answers, [("no", 204), ("yes", 204)], "{got:#?}");
    let all = passages(&got);
    let declined = all
        .iter()
        .find(|p| p.iter().any(|u| asked(u)) && !p.iter().any(|u| u["step"] == "look_at_camera"))
        .unwrap_or_else(|| panic!("no declined passage in {got:#?}"));
    // No: never a frame; the entry stays shut and the traveller is sent to an officer.
    assert!(
        declined.iter().all(|u| u["capturing"] == false),
        "{declined:#?}"
    );
    assert_eq!(
        declined.last().unwrap()["step"],
        "see_officer",
        "{declined:#?}"
    );
    // The notice was on screen when the question was asked.
    let question = declined.iter().find(|u| asked(u)).unwrap();
    assert_eq!(question["notice"], "2026-12");
    let accepted = all
        .iter()
        .find(|p| {
            p.iter().any(|u| asked(u)) && p.last().is_some_and(|u| u["step"] == "please_proceed")
        })
        .unwrap();
    assert_eq!(
        steps(accepted),
        [
            "present_document",
            "reading_document",
            "please_wait",
            "ask_consent",
            "please_enter",
            "look_at_camera",
            "please_proceed"
        ]
    );
    // The trail: the declined passage referred with its reason and no face attempt at all.
    let trail = dir.path().join("audit.jsonl");
    let ended = audit_records(&trail, "passage");
    let first = &ended[0]["data"];
    assert_eq!(
        (first["outcome"].as_str(), first["reason"].as_str()),
        (Some("referred"), Some("declined_biometrics")),
        "{ended:#?}"
    );
    let faces = audit_records(&trail, "attempt")
        .into_iter()
        .filter(|a| a["data"]["passage"] == first["passage"] && a["data"]["step"] == "Face")
        .count();
    assert_eq!(faces, 0);
}
