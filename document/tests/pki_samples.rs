//! Passive-authentication building blocks on the public specimen files in `tests/data`
//! (origins and licences in `tests/data/README.md`).

use document::pki::{Certificate, MasterList, MasterListSignature, SignedData};

fn data(path: &str) -> Vec<u8> {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(path);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[test]
fn german_master_list_parses_and_verifies_against_csca07() {
    let ml = MasterList::from_der(&data("gmrtd/DE_ML_2026-05-28-08-28-45.ml")).unwrap();
    assert_eq!(ml.certificates.len() + ml.unparsed, 588);
    assert_eq!(ml.unparsed, 0, "every master-list entry parses");
    let csca = Certificate::from_der(&data("gmrtd/DE_ROOT_CA_CSCA07.cer")).unwrap();
    let verdict = ml.verify(std::slice::from_ref(&csca));
    assert!(
        matches!(verdict, MasterListSignature::Verified { .. }),
        "{verdict:?}"
    );
    // The wrong anchor does not verify it.
    let nl = Certificate::from_der(&data("gmrtd/NL_ROOT_CA.cer")).unwrap();
    assert!(matches!(
        ml.verify(&[nl]),
        MasterListSignature::SignerNotTrusted(_)
    ));
}

#[test]
fn specimen_sods_verify_against_their_embedded_ds() {
    for f in [
        "jmrtd-bsi2008/EF_SOD.bin",
        "jmrtd-loes2006/ef011D.bin",
        "jmrtd-misc/NZ2013_EF_SOD.BIN",
        "vsmartcard-npa-ecdh/ef_cardsecurity",
    ] {
        let sd = SignedData::from_der(&data(f)).unwrap();
        let si = &sd.signer_infos[0];
        let cert = sd
            .signer_certificate(si)
            .unwrap_or_else(|| panic!("{f}: no signer cert"));
        let check = sd.check_signer(si, cert);
        assert_eq!(check.digest_matches, Some(true), "{f}");
        assert_eq!(check.signature, Ok(()), "{f} {:?}", check.algorithm);
    }
}

#[test]
fn bsi_card_security_signature_verifies_and_yields_security_infos() {
    use document::pa::{verify_card_security, CheckStatus, PaOptions, Strictness};
    use document::pki::CscaStore;
    let opts = PaOptions {
        now: std::time::SystemTime::now(),
        strictness: Strictness::IntegrityOnly,
    };
    let v = verify_card_security(
        &data("vsmartcard-npa-ecdh/ef_cardsecurity"),
        &CscaStore::new(),
        &opts,
    );
    let sig = v
        .checks
        .iter()
        .find(|c| c.name == "card_security_signature")
        .unwrap();
    assert_eq!(sig.status, CheckStatus::Passed, "{sig:?}");
    assert!(v
        .security_infos
        .as_ref()
        .is_some_and(|s| s.first() == Some(&0x31)));
    let chain = v.checks.iter().find(|c| c.name == "csca_chain").unwrap();
    assert_eq!(chain.reason, Some("csca_not_found"));
}

#[test]
fn master_list_certificates_cover_many_countries_and_their_keys_parse() {
    use document::pki::PublicKey;
    let ml = MasterList::from_der(&data("gmrtd/DE_ML_2026-05-28-08-28-45.ml")).unwrap();
    let mut countries: Vec<String> = ml
        .certificates
        .iter()
        .filter_map(|c| c.subject_country())
        .collect();
    countries.sort();
    countries.dedup();
    assert!(countries.len() > 50, "{}", countries.len());
    // Every key parses (RSA, named and explicit EC).
    let unusable: Vec<String> = ml
        .certificates
        .iter()
        .filter(|c| c.public_key().is_err())
        .map(|c| format!("{}: {:?}", c.subject(), c.public_key().err()))
        .collect();
    assert!(unusable.len() <= 5, "{unusable:#?}");
    let ec_on_known_curves = ml
        .certificates
        .iter()
        .filter(|c| matches!(c.public_key(), Ok(PublicKey::Ec { ref curve, .. }) if curve.name.is_some()))
        .count();
    assert!(ec_on_known_curves > 0);
}
