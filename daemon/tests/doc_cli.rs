//! `egate doc verify` and `egate doc masterlist` on the public specimen files kept in
//! `document/tests/data` (origins and licences in the README there).

use std::path::PathBuf;
use std::process::Command;

fn data(p: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../document/tests/data")
        .join(p)
        .display()
        .to_string()
}

fn egate(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_egate"))
        .args(args)
        .output()
        .expect("run egate");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.code().unwrap_or(-1), text)
}

#[test]
fn verify_bsi2008_specimen_reports_csca_not_found() {
    let (sod, dg1, dg2, dg14) = (
        data("jmrtd-bsi2008/EF_SOD.bin"),
        data("jmrtd-bsi2008/Datagroup1.bin"),
        data("jmrtd-bsi2008/Datagroup2.bin"),
        data("jmrtd-bsi2008/Datagroup14.bin"),
    );
    let (code, out) = egate(&[
        "doc",
        "verify",
        "--sod",
        &sod,
        "--dg",
        &format!("1={dg1}"),
        "--dg",
        &format!("2={dg2}"),
        "--dg",
        &format!("14={dg14}"),
        "--at",
        "2008-06-01",
        "--json",
    ]);
    assert_eq!(code, 1, "{out}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    let checks = v["checks"].as_array().unwrap();
    let get = |name: &str| {
        checks
            .iter()
            .find(|c| c["check"] == name)
            .unwrap_or_else(|| panic!("{name}: {out}"))
    };
    assert_eq!(get("sod_signature")["status"], "passed");
    for dg in [1, 2, 14] {
        assert_eq!(get(&format!("dg_hash:{dg}"))["status"], "passed");
    }
    assert_eq!(get("csca_chain")["reason"], "csca_not_found");
    assert!(get("csca_chain")["detail"]
        .as_str()
        .unwrap()
        .starts_with("CSCA not found"));
    assert_eq!(v["hash_algorithm"], "SHA-1");
}

#[test]
fn verify_loes2006_specimen_text_output() {
    let (code, out) = egate(&[
        "doc",
        "verify",
        "--sod",
        &data("jmrtd-loes2006/ef011D.bin"),
        "--dg",
        &format!("1={}", data("jmrtd-loes2006/ef0101.bin")),
        "--dg",
        &format!("2={}", data("jmrtd-loes2006/ef0102.bin")),
        "--dg",
        &format!("15={}", data("jmrtd-loes2006/ef010F.bin")),
        "--at",
        "2008-06-01",
    ]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("[passed      ] sod_signature"), "{out}");
    assert!(out.contains("[passed      ] dg_hash:2"), "{out}");
    assert!(out.contains("csca_not_found: CSCA not found"), "{out}");
    // Integrity only (no trust anchors for these test signers) passes.
    let (code, out) = egate(&[
        "doc",
        "verify",
        "--sod",
        &data("jmrtd-loes2006/ef011D.bin"),
        "--dg",
        &format!("1={}", data("jmrtd-loes2006/ef0101.bin")),
        "--at",
        "2008-06-01",
        "--strictness",
        "integrity-only",
    ]);
    assert_eq!(code, 0, "{out}");
}

#[test]
fn german_master_list_588_certificates_verified_against_csca07() {
    let (code, out) = egate(&[
        "doc",
        "masterlist",
        &data("gmrtd/DE_ML_2026-05-28-08-28-45.ml"),
        "--csca",
        &data("gmrtd/DE_ROOT_CA_CSCA07.cer"),
        "--json",
    ]);
    assert_eq!(code, 0, "{out}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    assert_eq!(v["certificates"], 588);
    assert_eq!(v["unparsed"], 0);
    assert_eq!(v["signature"]["status"], "verified");
    // The Dutch CSCA did not issue the German signer.
    let (code, _) = egate(&[
        "doc",
        "masterlist",
        &data("gmrtd/DE_ML_2026-05-28-08-28-45.ml"),
        "--csca",
        &data("gmrtd/NL_ROOT_CA.cer"),
    ]);
    assert_eq!(code, 1);
}

#[test]
fn bad_arguments_exit_2() {
    let (code, _) = egate(&["doc", "verify", "--sod", "/nonexistent/sod.bin"]);
    assert_eq!(code, 2);
    let (code, _) = egate(&[
        "doc",
        "verify",
        "--sod",
        &data("jmrtd-loes2006/ef011D.bin"),
        "--dg",
        "x",
    ]);
    assert_eq!(code, 2);
}
