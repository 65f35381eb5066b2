//! `egate doc verify` and `egate doc masterlist` on the public specimen files kept in
//! `document/tests/data` (origins and licences in the README there); `egate doc verify` on
//! the UTO specimen of the document factory, and `egate doc read` through pcscd + vpcd on
//! virtual passports (run under `scripts/with-pcscd.sh`).

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

/// The UTO specimen and `doc read` need the simulator's document factory and virtual passport
/// (feature `sim`; a border build has neither).
#[cfg(feature = "sim")]
mod sim_documents {
    use super::*;

    /// The test PKI and document of a profile in `sim/profiles`.
    fn sim_document(profile: &str) -> (sim::factory::Document, sim::factory::pki::TestPki) {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../sim/profiles")
            .join(profile);
        let p = sim::factory::profile::Profile::load(&path).expect("profile loads");
        let pki = sim::factory::pki::TestPki::generate(&p.pki_seed, &p.pki_country);
        (sim::factory::build(&p.document, &pki), pki)
    }

    /// Issue #13, must-show 3: the ICAO TD3 specimen of state UTO (Utopia), signed under a test
    /// CSCA of country UT, verifies with `egate doc verify` against that CSCA and its CRL.
    #[test]
    fn the_uto_specimen_verifies() {
        use sim::chip::StandardFile;
        let (doc, pki) = sim_document("uto-specimen.toml");
        assert!(doc.printed_mrz.starts_with("P<UTO"), "{}", doc.printed_mrz);
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, bytes: &[u8]| {
            let p = dir.path().join(name);
            std::fs::write(&p, bytes).unwrap();
            p.display().to_string()
        };
        let files = &doc.chip.files;
        let sod = write("EF.SOD", files.content(StandardFile::Sod).unwrap());
        let csca = write("csca.der", &pki.csca.der);
        let crl = write("crl.der", &pki.crl);
        let mut args: Vec<String> = [
            "doc", "verify", "--sod", &sod, "--csca", &csca, "--crl", &crl,
        ]
        .map(String::from)
        .to_vec();
        for n in [1u8, 2, 11, 12, 14, 15] {
            let content = files.content(StandardFile::DataGroup(n)).unwrap();
            args.push("--dg".into());
            args.push(format!("{n}={}", write(&format!("DG{n}"), content)));
        }
        for line in doc.printed_mrz.lines() {
            args.push("--mrz".into());
            args.push(line.into());
        }
        args.push("--json".into());
        let (code, out) = egate(&args.iter().map(String::as_str).collect::<Vec<_>>());
        assert_eq!(code, 0, "{out}");
        let v: serde_json::Value = serde_json::from_str(&out).expect("JSON");
        let check = |name: &str| {
            v["checks"]
                .as_array()
                .unwrap()
                .iter()
                .find(|c| c["check"] == name)
                .cloned()
                .unwrap_or_else(|| panic!("{name}: {out}"))
        };
        for name in [
            "sod_signature",
            "csca_chain",
            "ds_revocation",
            "mrz_dg1",
            "issuing_state",
        ] {
            assert_eq!(check(name)["status"], "passed", "{name}: {out}");
        }
        assert_eq!(v["csca"]["country"], "UT", "{out}");
        // The same files under another state's CSCA do not verify.
        let (_, de) = sim_document("specimen.toml");
        let de_csca = write("csca-de.der", &de.csca.der);
        let i = args.iter().position(|a| *a == csca).unwrap();
        args[i] = de_csca;
        let (code, out) = egate(&args.iter().map(String::as_str).collect::<Vec<_>>());
        assert_eq!(code, 1, "{out}");
    }

    /// `egate sim passport` serving `profile` on vpcd reader 0 (pcscd with the vpcd readers:
    /// run under `scripts/with-pcscd.sh`); the PKI is written to `pki`. Stopped on drop.
    struct Passport(std::process::Child);

    impl Passport {
        fn serve(profile: &str, pki: &std::path::Path) -> Passport {
            use std::io::BufRead;
            let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../sim/profiles")
                .join(profile);
            let mut child = Command::new(env!("CARGO_BIN_EXE_egate"))
                .args(["sim", "passport", "--vpcd", "127.0.0.1:35963", "--profile"])
                .arg(&path)
                .arg("--pki-out")
                .arg(pki)
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .spawn()
                .expect("run egate sim passport");
            let out = child.stdout.take().unwrap();
            let mut seen = String::new();
            for line in std::io::BufReader::new(out).lines() {
                let line = line.unwrap();
                seen.push_str(&line);
                seen.push('\n');
                if line.starts_with("card inserted") {
                    pcscd_sees_card(true);
                    return Passport(child);
                }
            }
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "egate sim passport did not insert its card (run beside pcscd: \
                 scripts/with-pcscd.sh cargo test):\n{seen}"
            );
        }
    }

    impl Drop for Passport {
        fn drop(&mut self) {
            drop(self.0.stdin.take());
            let _ = self.0.wait();
            // The next passport's card must not be taken for this one reset: pcscd has to
            // have seen this card go first.
            pcscd_sees_card(false);
        }
    }

    /// Waits (up to 5 s) until pcscd reports reader 0 with a card (`present`) or without.
    fn pcscd_sees_card(present: bool) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        if let Ok(mut r) = hardware::pcsc_reader::PcscReader::open(Some("Virtual PCD 00 00")) {
            while r.card_present().unwrap_or(!present) != present
                && std::time::Instant::now() < deadline
            {
                let _ = r.wait_event(std::time::Duration::from_millis(100));
            }
        }
    }

    /// Issue #13, must-show 2: `egate doc read` reports AA, CA and the chip-authenticity verdict
    /// with its reason, and exits 1 on a clone; a genuine chip exits 0.
    #[test]
    fn doc_read_reports_chip_authenticity_and_fails_on_clones() {
        let clones = sim::factory::Defect::CLONES
            .iter()
            .map(|(d, r)| (format!("bad/{}.toml", d.name()), 1, Some(*r)));
        for (profile, exit, reason) in
            std::iter::once(("specimen.toml".to_string(), 0, None)).chain(clones)
        {
            let profile = profile.as_str();
            let (doc, _) = sim_document(profile);
            let pki = tempfile::tempdir().unwrap();
            let passport = Passport::serve(profile, pki.path());
            let csca = pki.path().join("csca.der").display().to_string();
            let crl = pki.path().join("crl.der").display().to_string();
            let mut args: Vec<String> = [
                "doc",
                "read",
                "--reader",
                "Virtual PCD 00 00",
                "--csca",
                &csca,
                "--crl",
                &crl,
            ]
            .map(String::from)
            .to_vec();
            for line in doc.printed_mrz.lines() {
                args.push("--mrz".into());
                args.push(line.into());
            }
            let (code, text) = egate(&args.iter().map(String::as_str).collect::<Vec<_>>());
            assert_eq!(code, exit, "{profile}: {text}");
            assert!(
                text.contains("active authentication: "),
                "{profile}: {text}"
            );
            assert!(text.contains("chip authentication: "), "{text}");
            match reason {
                Some(r) => assert!(
                    text.contains(&format!("chip authenticity: FAILED ({r})")),
                    "{profile}: {text}"
                ),
                None => assert!(text.contains("chip authenticity: PASSED"), "{text}"),
            }
            args.push("--json".into());
            let (code, out) = egate(&args.iter().map(String::as_str).collect::<Vec<_>>());
            assert_eq!(code, exit, "{profile}: {out}");
            let v: serde_json::Value = serde_json::from_str(&out).expect("JSON");
            assert_eq!(v["chip_authenticity"]["reason"].as_str(), reason, "{out}");
            assert_eq!(v["passive_authentication"]["outcome"], "passed", "{out}");
            if reason.is_none() {
                assert_eq!(v["active_authentication"]["status"], "passed", "{out}");
                assert_eq!(v["chip_authentication"]["status"], "passed", "{out}");
                assert_eq!(v["chip_authenticity"]["outcome"], "passed", "{out}");
            }
            drop(passport);
        }
    }
}
