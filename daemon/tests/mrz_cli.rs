//! `egate mrz parse` against the real binary, on the ICAO 9303 specimen MRZs.

use std::process::{Command, Output};

fn mrz(lines: &[&str]) -> (Output, serde_json::Value) {
    let out = Command::new(env!("CARGO_BIN_EXE_egate"))
        .args(["mrz", "parse"])
        .args(lines)
        .output()
        .expect("egate runs");
    let json = serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null);
    (out, json)
}

#[test]
fn td3_specimen_parses() {
    let (out, j) = mrz(&[
        "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
        "L898902C36UTO7408122F1204159ZE184226B<<<<<10",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(j["format"], "TD3");
    assert_eq!(j["document_number"], "L898902C3");
    assert_eq!(j["birth_date"], "740812");
    assert_eq!(j["sex"], "F");
    assert_eq!(j["expiry_date"], "120415");
    assert_eq!(j["primary_identifier"], "ERIKSSON");
    assert_eq!(j["secondary_identifier"], "ANNA MARIA");
    assert_eq!(j["optional_data"], "ZE184226B");
    assert_eq!(j["check_digits"].as_array().unwrap().len(), 5);
    assert!(j["check_digits"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["ok"] == true));
}

#[test]
fn td1_specimen_parses() {
    let (out, j) = mrz(&[
        "I<UTOD231458907<<<<<<<<<<<<<<<",
        "7408122F1204159UTO<<<<<<<<<<<6",
        "ERIKSSON<<ANNA<MARIA<<<<<<<<<<",
    ]);
    assert!(out.status.success());
    assert_eq!(j["format"], "TD1");
    assert_eq!(j["document_number"], "D23145890");
}

#[test]
fn wrong_check_digit_names_the_field_and_exits_1() {
    let (out, j) = mrz(&[
        "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
        "L898902C36UTO7408121F1204159ZE184226B<<<<<10",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("birth_date"), "{err}");
    assert_eq!(j["valid"], false);
}

#[test]
fn not_an_mrz_exits_1() {
    let (out, _) = mrz(&["HELLO"]);
    assert_eq!(out.status.code(), Some(1));
}
