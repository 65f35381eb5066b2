//! ICAO deviation lists (Doc 9303-12 §10) through the real binary: `egate pki
//! import-deviation-list` verifies a list into the trust store and `egate pki list` shows it;
//! a tampered list, one signed by a Document Signer and one from an untrusted signer are
//! refused naming the file and the field; a running `egate run --sim` takes a list without a
//! restart, and from then on the chip check of every traveller uses it, recorded in the
//! passage record.

use std::path::Path;
use std::time::{Duration, Instant};

use egate_tests::{add_pki, audit_records, egate, run_args, write_sim_config, Daemon};
use serde_json::Value;
use sim::factory::deviation::{signed_by, Description, Deviation, Documents, Dsc};
use sim::factory::pki::TestPki;

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The simulated bank's test PKI (seed "egate-sim", DE).
fn pki() -> TestPki {
    TestPki::generate("egate-sim", "DE")
}

fn aa_compromised(pki: &TestPki) -> Vec<Deviation> {
    vec![Deviation {
        documents: Documents {
            dsc: Some(Dsc::IssuerSerial(pki.ds.clone())),
            ..Documents::default()
        },
        descriptions: vec![Description::aa_key_compromised()],
    }]
}

#[test]
fn import_lists_and_refuses_with_the_field() {
    let pki = pki();
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("egate.toml");
    let store = add_pki(&cfg, &pki.csca.der, "");
    let import = |name: &str, bytes: &[u8]| {
        let file = dir.path().join(name);
        std::fs::write(&file, bytes).unwrap();
        egate(&[
            "pki",
            "import-deviation-list",
            s(&file),
            "--config",
            s(&cfg),
        ])
    };
    // Tampered after signing: the messageDigest no longer matches.
    let mut tampered = pki.sample_deviation_list();
    let at = tampered
        .windows(5)
        .position(|w| w == [0xA0, 0x03, 0x02, 0x01, 11])
        .unwrap();
    tampered[at + 4] = 12;
    let (code, _, err) = import("tampered.dl", &tampered);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("tampered.dl") && err.contains("signedAttrs.messageDigest"),
        "{err}"
    );
    // Signed by the Document Signer, which is no Deviation List Signer.
    let (code, _, err) = import("by-ds.dl", &signed_by(&aa_compromised(&pki), &pki.ds));
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("by-ds.dl") && err.contains("extKeyUsage"),
        "{err}"
    );
    // Signed by another country's genuine Deviation List Signer, whose CSCA is not trusted.
    let other = TestPki::generate("egate-sim", "UT");
    let (code, _, err) = import("ut.dl", &other.sample_deviation_list());
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("ut.dl") && err.contains("no trusted CSCA"),
        "{err}"
    );
    // Not a deviation list at all.
    let (code, _, err) = import("ml.dl", &pki.master_list);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("ml.dl") && err.contains("eContentType"),
        "{err}"
    );
    assert!(!store.join("deviation-lists").exists());

    let (code, out, err) = import("good.dl", &pki.sample_deviation_list());
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("deviation list") && out.contains("dg_hash_wrong ×1"),
        "{out}"
    );
    let (code, out, err) = egate(&["pki", "list", "--json", "--config", s(&cfg)]);
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    let lists = v["deviation_lists"].as_array().unwrap();
    assert_eq!(lists.len(), 1, "{v:#}");
    assert_eq!(lists[0]["country"], "DE");
    assert_eq!(lists[0]["types"][0]["type"], "dg_hash_wrong");
    let (code, out, _) = egate(&["pki", "list", "--config", s(&cfg)]);
    assert_eq!(code, 0);
    assert!(out.contains("Deviation lists:\n  DE  "), "{out}");
}

#[test]
fn a_running_sim_takes_a_list_and_records_each_use() {
    let pki = pki();
    let state = tempfile::tempdir().unwrap();
    let cfg = state.path().join("egate.toml");
    write_sim_config(&cfg, "\"genuine\"", "");
    add_pki(&cfg, &pki.csca.der, "reload_interval_s = 1.0\n");
    let trail = state.path().join("audit.jsonl");
    let passages = || audit_records(&trail, "passage");
    let mut d = Daemon::start(&run_args(true, Some(&cfg), state.path()));
    d.wait_listening();
    let deadline = Instant::now() + Duration::from_secs(180);
    while !passages()
        .iter()
        .any(|p| p["data"]["outcome"] == "accepted")
    {
        assert!(
            Instant::now() < deadline,
            "no genuine traveller accepted: {}",
            d.log.join("\n")
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let before = passages().len();

    // The issuer declares the AA keys of its Document Signer's chips compromised.
    let file = state.path().join("aa.dl");
    std::fs::write(&file, pki.deviation_list(&aa_compromised(&pki))).unwrap();
    let (code, out, err) = egate(&[
        "pki",
        "import-deviation-list",
        s(&file),
        "--config",
        s(&cfg),
    ]);
    assert_eq!(code, 0, "{out}{err}");

    // From then on: AA fails while CA passes, so every traveller is referred, and each
    // passage record says which list did it.
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let all = passages();
        let used: Vec<&Value> = all[before..]
            .iter()
            .filter(|p| p["data"]["deviations"].is_array())
            .collect();
        if used.len() >= 2 {
            for p in &used {
                assert_eq!(p["data"]["outcome"], "referred", "{p}");
                assert_eq!(p["data"]["reason"], "chip_auth_inconsistent", "{p}");
                let u = &p["data"]["deviations"][0];
                assert_eq!(u["type"], "aa_key_compromised", "{p}");
                assert_eq!(u["effect"], "tightened", "{p}");
                assert_eq!(u["country"], "DE", "{p}");
                assert_eq!(u["matched_on"][0], "dsc", "{p}");
                // No document number in the record.
                assert!(!p.to_string().contains("L898902C3"), "{p}");
            }
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no passage used the deviation list: {:?}",
            &all[before..]
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    d.signal("TERM");
    assert!(d.wait_exit(Duration::from_secs(10)).is_some());
    let (code, out, err) = egate(&["audit", "verify", s(&trail)]);
    assert_eq!(code, 0, "{out}{err}");
}
