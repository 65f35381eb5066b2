//! The trust-list lifecycle through the real binary: `egate pki` imports and lists a published
//! master list (the German one, `document/tests/data/gmrtd`, origin and licence in that
//! folder's README) and refuses a tampered one, an untrusted signer and a malformed file with
//! the file and the field; a running `egate run --sim` takes a new CRL without a restart,
//! keeps the last good set when a trust file is bad, and from then on refers the travellers
//! whose document signer the CRL revokes.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use egate_tests::{add_pki, audit_records, egate, repo, run_args, write_sim_config, Daemon};
use serde_json::Value;

fn sample(name: &str) -> PathBuf {
    repo().join("document/tests/data/gmrtd").join(name)
}

const DE_ML: &str = "DE_ML_2026-05-28-08-28-45.ml";
const DE_CSCA: &str = "DE_ROOT_CA_CSCA07.cer";
const NL_CSCA: &str = "NL_ROOT_CA.cer";

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn list_json(store: &Path) -> Value {
    let (code, out, err) = egate(&["pki", "list", "--json", "--store-dir", s(store)]);
    assert_eq!(code, 0, "{err}");
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

#[test]
fn the_german_master_list_imports_and_is_listed_with_its_expiries() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let (code, out, err) = egate(&[
        "pki",
        "import-masterlist",
        s(&sample(DE_ML)),
        "--signer-anchor",
        s(&sample(DE_CSCA)),
        "--store-dir",
        s(&store),
    ]);
    assert_eq!(code, 0, "{out}{err}");
    // gmrtd's README and our own parse: CscaMasterList v0 with 588 certificates, signed by
    // "CSCA Master List Signer" under csca-germany.
    assert!(out.contains("588 certificate(s)"), "{out}");
    assert!(out.contains("CN=CSCA Master List Signer"), "{out}");
    assert!(out.contains("issued by CN=csca-germany"), "{out}");
    assert!(store.join("masterlists").join(DE_ML).is_file());

    let list = list_json(&store);
    let cscas = list["cscas"].as_array().unwrap();
    assert_eq!(cscas.len(), 588, "{list}");
    let germany = cscas
        .iter()
        .find(|c| c["subject"] == "CN=csca-germany,OU=bsi,O=bund,C=DE" && c["serial"] != "")
        .unwrap_or_else(|| panic!("no German CSCA listed: {list}"));
    assert_eq!(germany["country"], "DE");
    // Sorted by expiry, and the next expiry is the first one still valid.
    let dates: Vec<&str> = cscas
        .iter()
        .map(|c| c["not_after"].as_str().unwrap())
        .collect();
    assert!(dates.windows(2).all(|w| w[0] <= w[1]), "not by expiry");
    let first_valid = cscas.iter().find(|c| c["expired"] == false).unwrap();
    assert_eq!(list["next_expiry"]["not_after"], first_valid["not_after"]);

    // The text form names the countries and the expiry dates.
    let (code, text, _) = egate(&["pki", "list", "--store-dir", s(&store)]);
    assert_eq!(code, 0);
    assert!(
        text.starts_with("588 CSCA/link certificates from "),
        "{text}"
    );
    assert!(
        text.contains("  DE  CN=csca-germany,OU=bsi,O=bund,C=DE"),
        "{text}"
    );
    assert!(text.contains("next expiry: "), "{text}");
}

#[test]
fn a_tampered_master_list_an_untrusted_signer_and_a_malformed_file_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let original = std::fs::read(sample(DE_ML)).unwrap();
    // Change the last byte of csca-germany's own certificate inside the list (its signature
    // value): the DER stays well formed, so only the CMS messageDigest can catch it.
    let csca = std::fs::read(sample(DE_CSCA)).unwrap();
    let at = original
        .windows(csca.len())
        .position(|w| w == csca.as_slice())
        .expect("the German CSCA is in the German master list")
        + csca.len()
        - 1;
    let mut tampered = original.clone();
    tampered[at] ^= 0x01;
    let tampered_path = dir.path().join("tampered.ml");
    std::fs::write(&tampered_path, &tampered).unwrap();

    let import = |file: &Path, anchor: &str| {
        egate(&[
            "pki",
            "import-masterlist",
            s(file),
            "--signer-anchor",
            s(&sample(anchor)),
            "--store-dir",
            s(&store),
        ])
    };
    let (code, out, err) = import(&tampered_path, DE_CSCA);
    assert_eq!(code, 1, "{out}{err}");
    assert!(err.contains(s(&tampered_path)), "{err}");
    assert!(
        err.contains("master list refused: SignedData.signerInfos[0].signedAttrs.messageDigest"),
        "{err}"
    );

    // The genuine list, but the anchor given is the Dutch CSCA, which did not issue the
    // German master-list signer.
    let (code, out, err) = import(&sample(DE_ML), NL_CSCA);
    assert_eq!(code, 1, "{out}{err}");
    assert!(err.contains(DE_ML), "{err}");
    assert!(
        err.contains("SignedData.certificates (master-list signer)")
            && err.contains("issued by CN=csca-germany")
            && err.contains("not a configured master-list signer anchor"),
        "{err}"
    );

    // Cut short: the outer structure does not parse.
    let short = dir.path().join("short.ml");
    std::fs::write(&short, &original[..1000]).unwrap();
    let (code, _, err) = import(&short, DE_CSCA);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains(s(&short)) && err.contains("ContentInfo (CMS SignedData)"),
        "{err}"
    );

    // Nothing refused reached the store.
    assert_eq!(list_json(&store)["cscas"].as_array().unwrap().len(), 0);
}

#[test]
fn a_crl_no_csca_signed_is_refused_naming_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let pki = sim::factory::pki::TestPki::generate("egate-sim", "DE");
    let cfg = dir.path().join("egate.toml");
    add_pki(&cfg, &pki.csca.der, "");
    // The CSCA's CRL with a byte of its signature value changed.
    let mut forged = pki.crl_revoking_ds();
    let n = forged.len();
    forged[n - 3] ^= 0x55;
    let file = dir.path().join("forged.crl");
    std::fs::write(&file, &forged).unwrap();
    let (code, out, err) = egate(&["pki", "import-crl", s(&file), "--config", s(&cfg)]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        err.contains(s(&file)) && err.contains("CRL refused: CertificateList.signatureValue"),
        "{err}"
    );
    // The genuine one imports, and is listed with its dates.
    std::fs::write(&file, pki.crl_revoking_ds()).unwrap();
    let (code, out, err) = egate(&["pki", "import-crl", s(&file), "--config", s(&cfg)]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("with 2 revoked serial(s)"), "{out}");
    let (code, out, err) = egate(&["pki", "list", "--json", "--config", s(&cfg)]);
    assert_eq!(code, 0, "{err}");
    let list: Value = serde_json::from_str(&out).unwrap();
    let crl = &list["crls"][0];
    assert_eq!(crl["country"], "DE");
    assert_eq!(crl["this_update"], "2026-02-01");
    assert_eq!(crl["next_update"], "2036-01-01");
    assert_eq!(crl["freshness"], "current");
    // The older CRL of the same issuer does not replace the newer one.
    std::fs::write(&file, &pki.crl).unwrap();
    let (code, _, err) = egate(&["pki", "import-crl", s(&file), "--config", s(&cfg)]);
    assert_eq!(code, 1);
    assert!(
        err.contains("CertificateList.tbsCertList.thisUpdate 2026-01-01 is older"),
        "{err}"
    );
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

#[test]
fn a_running_sim_takes_a_crl_revoking_its_document_signer_without_a_restart() {
    let state = tempfile::tempdir().unwrap();
    let cfg = state.path().join("egate.toml");
    write_sim_config(&cfg, "\"genuine\"", "");
    // The simulated bank's own test PKI (seed "egate-sim", DE): its CSCA is named in [pki] so
    // that `egate pki import-crl` can verify the new CRL against it.
    let pki = sim::factory::pki::TestPki::generate("egate-sim", "DE");
    let store = add_pki(&cfg, &pki.csca.der, "reload_interval_s = 1.0\n");
    let trail = state.path().join("audit.jsonl");
    let passages = || audit_records(&trail, "passage");
    let mut d = Daemon::start(&run_args(true, Some(&cfg), state.path()));
    d.wait_listening();

    // Genuine travellers pass before the CRL.
    let deadline = Instant::now() + Duration::from_secs(180);
    while !passages()
        .iter()
        .any(|p| p["data"]["outcome"] == "accepted")
    {
        assert!(
            Instant::now() < deadline,
            "no genuine traveller accepted: {:?}\n{}",
            passages(),
            d.log.join("\n")
        );
        std::thread::sleep(Duration::from_millis(200));
    }

    // A bad file in the store: the gate keeps its set, writes why and raises the alarm.
    let crls = store.join("crls");
    std::fs::create_dir_all(&crls).unwrap();
    std::fs::write(crls.join("broken.crl"), b"\x30\x03\x02\x01").unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while audit_records(&trail, "trust_reload_failed").is_empty() {
        assert!(Instant::now() < deadline, "no trust_reload_failed record");
        std::thread::sleep(Duration::from_millis(100));
    }
    let failed = &audit_records(&trail, "trust_reload_failed")[0];
    let why = failed["data"]["error"].as_str().unwrap();
    assert!(
        why.contains("broken.crl") && why.contains("CertificateList"),
        "{failed}"
    );
    d.wait_for_line("the last good set stays", Duration::from_secs(5));
    std::fs::remove_file(crls.join("broken.crl")).unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while audit_records(&trail, "trust_reloaded").is_empty() {
        assert!(
            Instant::now() < deadline,
            "no reload after the bad file went"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let reloads_before = audit_records(&trail, "trust_reloaded").len();
    let accepted_before = passages()
        .iter()
        .filter(|p| p["data"]["outcome"] == "accepted")
        .count();

    // The new CRL, through the operator's command (written whole, then renamed).
    let file = state.path().join("new.crl");
    std::fs::write(&file, pki.crl_revoking_ds()).unwrap();
    let (code, out, err) = egate(&["pki", "import-crl", s(&file), "--config", s(&cfg)]);
    assert_eq!(code, 0, "{out}{err}");
    let dropped = now_ms();
    let deadline = Instant::now() + Duration::from_secs(30);
    let reloaded = loop {
        let r = audit_records(&trail, "trust_reloaded");
        if r.len() > reloads_before {
            break r[reloads_before].clone();
        }
        assert!(Instant::now() < deadline, "the new CRL was not taken");
        std::thread::sleep(Duration::from_millis(20));
    };
    let took = reloaded["ts_ms"].as_u64().unwrap().saturating_sub(dropped);
    println!("the running gate took the new CRL {took} ms after it was imported");
    assert!(
        reloaded["data"]["summary"]
            .as_str()
            .unwrap()
            .contains("2 CRLs"),
        "{reloaded}"
    );

    // From then on every traveller is referred as ds_revoked; nobody is let in whose chip
    // was read after the reload.
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let all = passages();
        let first = all.iter().position(|p| p["data"]["reason"] == "ds_revoked");
        if let Some(i) = first {
            if all.len() >= i + 3 {
                for p in &all[i..] {
                    assert_eq!(p["data"]["outcome"], "referred", "{all:?}");
                    assert_eq!(p["data"]["reason"], "ds_revoked", "{all:?}");
                }
                // At most the passage whose chip was already read is accepted in between.
                let accepted_after = all[..i]
                    .iter()
                    .filter(|p| p["data"]["outcome"] == "accepted")
                    .count();
                assert!(accepted_after <= accepted_before + 1, "{all:?}");
                break;
            }
        }
        assert!(
            Instant::now() < deadline,
            "travellers are not referred as ds_revoked: {all:?}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    d.signal("TERM");
    assert!(d.wait_exit(Duration::from_secs(10)).is_some());
    let (code, out, err) = egate(&["audit", "verify", s(&trail)]);
    assert_eq!(code, 0, "{out}{err}");
}

#[test]
fn a_stale_crl_raises_the_alarm_and_refers_the_travellers_of_its_csca() {
    let state = tempfile::tempdir().unwrap();
    let cfg = state.path().join("egate.toml");
    write_sim_config(&cfg, "\"genuine\"", "");
    // The simulated bank's CSCA issues a CRL newer than the bank's own (thisUpdate
    // 2026-02-01) whose nextUpdate, 2026-03-01, is long past: RFC 5280 §5.1.2.5.
    let pki = sim::factory::pki::TestPki::generate("egate-sim", "DE");
    let store = state.path().join("store");
    std::fs::create_dir_all(store.join("crls")).unwrap();
    std::fs::write(
        store.join("crls/stale.crl"),
        sim::factory::pki::crl(
            &pki.csca,
            &[],
            sim::factory::DateTime::date(2026, 2, 1),
            sim::factory::DateTime::date(2026, 3, 1),
        ),
    )
    .unwrap();
    let mut text = std::fs::read_to_string(&cfg).unwrap();
    text.push_str(&format!(
        "\n[pki]\nstore_dir = {:?}\ncrl_grace_hours = 24\ncrl_stale = \"refer\"\n",
        s(&store)
    ));
    std::fs::write(&cfg, text).unwrap();
    let trail = state.path().join("audit.jsonl");
    let mut d = Daemon::start(&run_args(true, Some(&cfg), state.path()));
    d.wait_listening();
    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        let all = audit_records(&trail, "passage");
        if all.len() >= 2 {
            for p in &all {
                assert_eq!(p["data"]["outcome"], "referred", "{all:?}");
                assert_eq!(p["data"]["reason"], "crl_stale", "{all:?}");
            }
            break;
        }
        assert!(
            Instant::now() < deadline,
            "fewer than 2 passages: {all:?}\n{}",
            d.log.join("\n")
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let fresh = audit_records(&trail, "crl_freshness");
    assert!(
        fresh.iter().any(|r| r["data"]["state"] == "stale"
            && r["data"]["issuer"]
                .as_str()
                .is_some_and(|i| i.contains("egate TEST CSCA DE"))),
        "{fresh:?}"
    );
    d.signal("TERM");
    assert!(d.wait_exit(Duration::from_secs(10)).is_some());
}
