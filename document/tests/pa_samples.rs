//! Passive authentication on the public specimen sets (`tests/data/README.md`), and every
//! tampering the specimens allow: changed DG1/DG2 byte, broken SOD signature, MRZ/DG1
//! mismatch, issuing-state mismatch.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use document::mrz::MrzKey;
use document::pa::{verify_sod, CheckStatus, PaInput, PaOptions, PaOutcome, Strictness};
use document::pki::CscaStore;

fn data(path: &str) -> Vec<u8> {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(path);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

struct Set {
    sod: Vec<u8>,
    dgs: BTreeMap<u8, Vec<u8>>,
}

/// A specimen set: its data groups by number and file name, and its EF.SOD file, under
/// `dir`.
fn specimen(dir: &str, dgs: &[(u8, &str)], sod: &str) -> Set {
    Set {
        sod: data(&format!("{dir}/{sod}")),
        dgs: dgs
            .iter()
            .map(|(n, f)| (*n, data(&format!("{dir}/{f}"))))
            .collect(),
    }
}

fn bsi2008() -> Set {
    let dgs = [
        (1, "Datagroup1.bin"),
        (2, "Datagroup2.bin"),
        (14, "Datagroup14.bin"),
    ];
    specimen("jmrtd-bsi2008", &dgs, "EF_SOD.bin")
}

fn loes2006() -> Set {
    let dgs = [(1, "ef0101.bin"), (2, "ef0102.bin"), (15, "ef010F.bin")];
    specimen("jmrtd-loes2006", &dgs, "ef011D.bin")
}

/// 2008-06-01: inside both specimen DS validity periods (2008-01-28..2009-01-27 and
/// 2006-09-25..2011-10-04).
fn in_validity() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_212_278_400)
}

fn run(set: &Set, key: Option<&MrzKey>, strictness: Strictness) -> document::pa::PaVerdict {
    let input = PaInput {
        sod: &set.sod,
        data_groups: &set.dgs,
        access_key: key,
    };
    let opts = PaOptions {
        now: in_validity(),
        strictness,
    };
    verify_sod(&input, &CscaStore::new(), &opts)
}

fn status(v: &document::pa::PaVerdict, name: &str, dg: Option<u8>) -> CheckStatus {
    v.check(name, dg)
        .unwrap_or_else(|| panic!("no check {name}"))
        .status
}

/// Asserts that check `name` (of data group `dg`) failed with `reason`.
fn assert_failed(v: &document::pa::PaVerdict, name: &str, dg: Option<u8>, reason: &str) {
    let c = v
        .check(name, dg)
        .unwrap_or_else(|| panic!("no check {name}"));
    assert_eq!(
        (c.status, c.reason),
        (CheckStatus::Failed, Some(reason)),
        "{c:?}"
    );
}

fn key_of(set: &Set) -> MrzKey {
    document::pa::dg1_mrz(&set.dgs[&1]).unwrap().key()
}

#[test]
fn specimens_verify_signature_and_hashes_but_csca_is_not_found() {
    for set in [bsi2008(), loes2006()] {
        let key = key_of(&set);
        let v = run(&set, Some(&key), Strictness::Standard);
        assert_eq!(status(&v, "sod_structure", None), CheckStatus::Passed);
        assert_eq!(
            status(&v, "sod_signature", None),
            CheckStatus::Passed,
            "{:?}",
            v.checks
        );
        for dg in set.dgs.keys() {
            assert_eq!(
                status(&v, "dg_hash", Some(*dg)),
                CheckStatus::Passed,
                "DG{dg}"
            );
        }
        assert_eq!(status(&v, "ds_validity", None), CheckStatus::Passed);
        let chain = v.check("csca_chain", None).unwrap();
        assert_eq!(chain.status, CheckStatus::Failed);
        assert_eq!(chain.reason, Some("csca_not_found"));
        assert!(chain.detail.starts_with("CSCA not found"));
        assert_eq!(status(&v, "ds_revocation", None), CheckStatus::NotPossible);
        assert_eq!(status(&v, "mrz_dg1", None), CheckStatus::Passed);
        assert_eq!(
            status(&v, "issuing_state", None),
            CheckStatus::Passed,
            "{:?}",
            v.check("issuing_state", None)
        );
        assert_eq!(
            v.outcome,
            PaOutcome::Failed,
            "no trust anchor: standard fails"
        );
        assert_eq!(
            run(&set, Some(&key), Strictness::IntegrityOnly).outcome,
            PaOutcome::Passed
        );
    }
}

#[test]
fn bsi2008_lists_dg3_without_file_and_loes_uses_sha256_rsa() {
    let v = run(&bsi2008(), None, Strictness::IntegrityOnly);
    assert_eq!(v.hash_algorithm.map(|h| h.name()), Some("SHA-1"));
    assert!(v.dgs_not_supplied.contains(&3));
    assert!(v
        .signature_algorithm
        .as_deref()
        .unwrap_or("")
        .starts_with("ECDSA"));
    let v = run(&loes2006(), None, Strictness::IntegrityOnly);
    assert_eq!(v.hash_algorithm.map(|h| h.name()), Some("SHA-256"));
    assert!(v
        .signature_algorithm
        .as_deref()
        .unwrap_or("")
        .starts_with("RSA"));
    assert_eq!(
        v.check("mrz_dg1", None).unwrap().reason,
        Some("mrz_not_provided")
    );
}

#[test]
fn changed_byte_in_dg1_or_dg2_is_dg_hash_mismatch() {
    for dg in [1u8, 2] {
        let mut set = loes2006();
        let bytes = set.dgs.get_mut(&dg).unwrap();
        let i = bytes.len() / 2;
        bytes[i] ^= 0x01;
        let v = run(&set, None, Strictness::IntegrityOnly);
        assert_failed(&v, "dg_hash", Some(dg), "dg_hash_mismatch");
        assert_eq!(v.outcome, PaOutcome::Failed);
        // Other data groups are still fine.
        let other = if dg == 1 { 2 } else { 1 };
        assert_eq!(status(&v, "dg_hash", Some(other)), CheckStatus::Passed);
    }
}

#[test]
fn flipped_signature_byte_is_sod_signature_invalid() {
    for mut set in [bsi2008(), loes2006()] {
        // The signature OCTET STRING ends the SignerInfo, which ends the SOD: flip a byte near
        // the end of the file (inside the signature value).
        let n = set.sod.len();
        set.sod[n - 5] ^= 0x40;
        let v = run(&set, None, Strictness::IntegrityOnly);
        assert_failed(&v, "sod_signature", None, "sod_signature_invalid");
        assert_eq!(v.outcome, PaOutcome::Failed);
    }
}

#[test]
fn mrz_dg1_mismatch_is_reported() {
    let set = loes2006();
    let other = MrzKey::new("XX0000000", "700101", "300101").unwrap();
    let v = run(&set, Some(&other), Strictness::IntegrityOnly);
    assert_failed(&v, "mrz_dg1", None, "mrz_dg1_mismatch");
    // Integrity-only ignores it, standard does not.
    assert_eq!(v.outcome, PaOutcome::Passed);
    assert!(run(&set, Some(&other), Strictness::Standard).has_reason("mrz_dg1_mismatch"));
}

#[test]
fn issuing_state_mismatch_is_reported() {
    // Replace the issuing state in DG1 (bytes 7..10 after `61 5B 5F1F 58 P<`) and keep the
    // DG1 hash consistent by checking DG1 alone: the SOD hash then fails too, but the
    // issuing-state check has its own reason code.
    let mut set = loes2006();
    let dg1 = set.dgs.get_mut(&1).unwrap();
    assert_eq!(&dg1[7..10], b"NLD");
    dg1[7..10].copy_from_slice(b"BEL");
    let v = run(&set, None, Strictness::IntegrityOnly);
    assert_failed(&v, "issuing_state", None, "issuing_state_mismatch");
    assert!(v.has_reason("dg_hash_mismatch"));
}

#[test]
fn garbage_sod_is_malformed_not_a_panic() {
    let mut set = loes2006();
    set.sod.truncate(100);
    let v = run(&set, None, Strictness::Standard);
    assert_eq!(
        v.check("sod_structure", None).unwrap().reason,
        Some("sod_malformed")
    );
    assert_eq!(v.outcome, PaOutcome::Failed);
}

#[test]
fn validity_defaults_to_now_without_signing_time() {
    let set = bsi2008();
    let input = PaInput {
        sod: &set.sod,
        data_groups: &set.dgs,
        access_key: None,
    };
    let now = UNIX_EPOCH + Duration::from_secs(1_900_000_000); // 2030
    let v = verify_sod(&input, &CscaStore::new(), &PaOptions::new(now));
    assert_eq!(v.validity_time.source(), "now");
    assert_eq!(
        v.check("ds_validity", None).unwrap().reason,
        Some("ds_expired")
    );
}
