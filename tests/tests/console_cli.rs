//! `egate console` through the real binary (issue #8): account tools, the gates file's
//! validation, and a console over a gate daemon's API that starts, logs its address and
//! certificate fingerprint, and stops on SIGTERM. The console's HTTP behaviour is tested in
//! `console/src/tests.rs` and in headless Chromium (`tests/browser`).

use std::time::Duration;

use egate_tests::{egate, temp_file, Daemon};

#[test]
fn adduser_writes_argon2_accounts_and_rejects_bad_roles() {
    let dir = tempfile::tempdir().unwrap();
    let users = dir.path().join("users.toml");
    let u = users.to_str().unwrap();
    let (code, out, err) = egate(&[
        "console",
        "adduser",
        "--users",
        u,
        "--id",
        "olga",
        "--role",
        "officer",
        "--generate",
    ]);
    assert_eq!(code, 0, "{err}");
    let password = out.trim().rsplit(' ').next().unwrap().to_string();
    assert_eq!(password.len(), 16, "{out}");
    let text = std::fs::read_to_string(&users).unwrap();
    assert!(text.contains("id = \"olga\""), "{text}");
    assert!(text.contains("$argon2id$"), "{text}");
    assert!(
        !text.contains(&password),
        "the password itself is never written"
    );
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&users).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let (code, _, err) = egate(&[
        "console",
        "adduser",
        "--users",
        u,
        "--id",
        "x",
        "--role",
        "king",
        "--generate",
    ]);
    assert_eq!(code, 2, "{err}");
    let (code, _, _) = egate(&[
        "console",
        "adduser",
        "--users",
        u,
        "--id",
        "a b",
        "--role",
        "officer",
        "--generate",
    ]);
    assert_eq!(code, 2);
}

#[test]
fn console_without_gates_or_with_a_bad_gates_file_says_why() {
    let (code, _, err) = egate(&["console"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--gates"), "{err}");
    let (_dir, gates) = temp_file(
        "gates.toml",
        "[[gate]]\nid = \"g1\"\nurl = \"https://127.0.0.1:1\"\ntoken_file = \"t\"\n",
    );
    let (code, _, err) = egate(&["console", "--gates", gates.to_str().unwrap()]);
    assert_eq!(code, 64, "{err}");
    assert!(err.contains("fingerprint"), "{err}");
}

#[test]
fn console_over_an_unreachable_gate_starts_and_stops_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let token = dir.path().join("token");
    let (code, _, err) = egate(&["console", "new-token", token.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(std::fs::read_to_string(&token).unwrap().trim().len() >= 32);
    let users = dir.path().join("users.toml");
    let (code, _, err) = egate(&[
        "console",
        "adduser",
        "--users",
        users.to_str().unwrap(),
        "--id",
        "sam",
        "--role",
        "supervisor",
        "--generate",
    ]);
    assert_eq!(code, 0, "{err}");
    let gates = dir.path().join("gates.toml");
    // Nothing listens on port 9: the link stays down, the console still serves.
    std::fs::write(
        &gates,
        format!(
            "[[gate]]\nid = \"g1\"\nurl = \"https://127.0.0.1:9\"\ntoken_file = {:?}\nfingerprint = \"{}\"\n",
            token.to_str().unwrap(),
            ["AB"; 32].join(":")
        ),
    )
    .unwrap();
    let mut d = Daemon::start(&[
        "console",
        "--gates",
        gates.to_str().unwrap(),
        "--users",
        users.to_str().unwrap(),
        "--listen",
        "127.0.0.1:0",
        "--state-dir",
        dir.path().to_str().unwrap(),
    ]);
    let line = d.wait_for_line("console listening", Duration::from_secs(30));
    assert!(line.contains("fingerprint="), "{line}");
    assert!(line.contains("https://127.0.0.1:"), "{line}");
    d.signal("TERM");
    let st = d
        .wait_exit(Duration::from_secs(5))
        .expect("exits on SIGTERM");
    assert!(st.success(), "{:?}\n{}", st, d.log.join("\n"));
    let out = egate(&[
        "audit",
        "verify",
        dir.path().join("console-audit.jsonl").to_str().unwrap(),
    ]);
    assert_eq!(out.0, 0, "{}{}", out.1, out.2);
}
