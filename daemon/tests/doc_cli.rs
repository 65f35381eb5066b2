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

/// `egate doc verify --sod SOD --dg N=FILE… MORE…`, the files under `data`.
fn verify(sod: &str, dgs: &[(u8, &str)], more: &[&str]) -> (i32, String) {
    let mut args = vec![
        "doc".to_string(),
        "verify".into(),
        "--sod".into(),
        data(sod),
    ];
    for (n, file) in dgs {
        args.push("--dg".into());
        args.push(format!("{n}={}", data(file)));
    }
    args.extend(more.iter().map(|a| a.to_string()));
    egate(&args.iter().map(String::as_str).collect::<Vec<_>>())
}

#[test]
fn verify_bsi2008_specimen_reports_csca_not_found() {
    let dgs = [
        (1, "jmrtd-bsi2008/Datagroup1.bin"),
        (2, "jmrtd-bsi2008/Datagroup2.bin"),
        (14, "jmrtd-bsi2008/Datagroup14.bin"),
    ];
    let sod = "jmrtd-bsi2008/EF_SOD.bin";
    let (code, out) = verify(sod, &dgs, &["--at", "2008-06-01", "--json"]);
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
    let sod = "jmrtd-loes2006/ef011D.bin";
    let dgs = [
        (1, "jmrtd-loes2006/ef0101.bin"),
        (2, "jmrtd-loes2006/ef0102.bin"),
        (15, "jmrtd-loes2006/ef010F.bin"),
    ];
    let (code, out) = verify(sod, &dgs, &["--at", "2008-06-01"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("[passed      ] sod_signature"), "{out}");
    assert!(out.contains("[passed      ] dg_hash:2"), "{out}");
    assert!(out.contains("csca_not_found: CSCA not found"), "{out}");
    // Integrity only (no trust anchors for these test signers) passes.
    let integrity_only = ["--at", "2008-06-01", "--strictness", "integrity-only"];
    let (code, out) = verify(sod, &dgs[..1], &integrity_only);
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
