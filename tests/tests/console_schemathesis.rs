//! Schemathesis (PyPI), a property-based API tester this project did not write, against the
//! console's served OpenAPI document, logged in as each role (issue #17, must-show 5): no 5xx,
//! every answer as documented, invalid input refused, and no state change by a role that may
//! not make it (checked here in the console's audit trail afterwards).
//!
//! The console is the console fixture (`cargo build -p egate --examples`; the real console
//! code over synthetic gates), with the gate API on behind a bearer token and a client CA;
//! tests/independent/schemathesis_console.py logs in and runs Schemathesis. Each run is bounded
//! by [`EXAMPLES`] test cases per operation.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use egate_tests::{audit_records, egate, egate_bin, run_independent, Daemon};

/// Test cases per operation and role: with 25, the three runs took 2 min 9 s (2601 cases) on
/// a loaded 2-core machine.
const EXAMPLES: &str = "20";

fn fixture_bin() -> PathBuf {
    if let Some(p) = std::env::var_os("EGATE_CONSOLE_FIXTURE") {
        return PathBuf::from(p);
    }
    let bin = egate_bin()
        .parent()
        .expect("profile dir")
        .join("examples/console_fixture");
    assert!(
        bin.exists(),
        "the console fixture is not built at {}: run `cargo build -p egate --examples` (`make test` does)",
        bin.display()
    );
    bin
}

fn console_addr(line: &str) -> String {
    let at = line.find(" addr=").expect("addr= in the console line") + 6;
    let rest = &line[at..];
    rest[..rest.find(' ').unwrap_or(rest.len())].to_string()
}

/// A client CA and one console certificate it signed: (CA file, certificate file, key file).
fn console_pki(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    use rcgen::{
        BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    };
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "egate test console CA");
    let ca_key = KeyPair::generate().unwrap();
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let mut params = CertificateParams::new(vec!["console-1".to_string()]).unwrap();
    params
        .distinguished_name
        .push(DnType::CommonName, "console-1");
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    let key = KeyPair::generate().unwrap();
    let cert = params.signed_by(&key, &ca, &ca_key).unwrap();
    let files = (
        dir.join("client-ca.pem"),
        dir.join("console-1.pem"),
        dir.join("console-1.key"),
    );
    std::fs::write(&files.0, ca.pem()).unwrap();
    std::fs::write(&files.1, cert.pem()).unwrap();
    std::fs::write(&files.2, key.serialize_pem()).unwrap();
    (files.0, files.1, files.2)
}

#[test]
fn schemathesis_finds_no_failure_in_the_console_api_as_any_role() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let users = d.join("users.toml");
    let mut accounts = serde_json::Map::new();
    for role in ["officer", "supervisor", "technician"] {
        let id = format!("{role}-1");
        let (code, out, err) = egate(&[
            "console",
            "adduser",
            "--users",
            users.to_str().unwrap(),
            "--id",
            &id,
            "--role",
            role,
            "--generate",
        ]);
        assert_eq!(code, 0, "adduser: {err}");
        let pw = out
            .trim()
            .rsplit_once("password: ")
            .map(|(_, p)| p.to_string())
            .unwrap_or_else(|| panic!("no password in {out:?}"));
        accounts.insert(role.into(), serde_json::json!([id, pw]));
    }
    let accounts_file = d.join("accounts.json");
    std::fs::write(
        &accounts_file,
        serde_json::Value::Object(accounts).to_string(),
    )
    .unwrap();
    let token_file = d.join("gate-api.token");
    let (code, _, err) = egate(&["console", "new-token", token_file.to_str().unwrap()]);
    assert_eq!(code, 0, "new-token: {err}");
    let token = std::fs::read_to_string(&token_file)
        .unwrap()
        .trim()
        .to_string();
    let (ca, cert, key) = console_pki(d);
    let state = d.join("state");
    std::fs::create_dir(&state).unwrap();
    let mut cmd = Command::new(fixture_bin());
    cmd.args([
        "--gates",
        "2",
        "--listen",
        "127.0.0.1:0",
        "--cycle-ms",
        "2000",
    ])
    .arg("--users")
    .arg(&users)
    .arg("--state-dir")
    .arg(&state)
    .arg("--token-file")
    .arg(&token_file)
    .arg("--client-ca")
    .arg(&ca);
    let mut fixture = Daemon::spawn(cmd);
    let line = fixture.wait_for_line("console listening", Duration::from_secs(60));
    let addr = console_addr(&line);
    let reports = d.join("reports");
    std::fs::create_dir(&reports).unwrap();

    let (code, text) = run_independent(
        "schemathesis_console.py",
        &[
            addr.as_str(),
            accounts_file.to_str().unwrap(),
            token.as_str(),
            cert.to_str().unwrap(),
            key.to_str().unwrap(),
            reports.to_str().unwrap(),
            EXAMPLES,
        ],
    );
    eprintln!("{text}");
    assert_eq!(code, 0, "schemathesis found failures:\n{text}");
    for role in ["officer", "supervisor", "technician"] {
        assert!(
            text.contains(&format!("===== schemathesis as {role}: exit 0")),
            "no passing run as {role}"
        );
    }

    // No state change without the right role: the technician's session commanded nothing and
    // acknowledged nothing, and nothing got through the gate API without a signed assertion.
    let trail = state.join("audit.jsonl");
    fixture.drain();
    let commands = audit_records(&trail, "officer_command");
    assert!(
        !commands
            .iter()
            .any(|r| r["data"]["officer"] == "technician-1"),
        "a technician's command was carried out"
    );
    assert!(
        !commands.iter().any(|r| r["data"]["via"] == "gate_api"),
        "an unsigned gate API command was carried out"
    );
    assert!(
        !audit_records(&trail, "alarm_acknowledged")
            .iter()
            .any(|r| r["data"]["officer"] == "technician-1"),
        "a technician acknowledged an alarm"
    );
}
