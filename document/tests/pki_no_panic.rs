//! Malformed input never panics: random and mutated bytes through every PKI parser (SOD/CMS,
//! certificates, master lists, CRLs, DG15/AA) and through passive authentication.

use std::collections::BTreeMap;

use document::pa::{verify_card_security, verify_sod, PaInput, PaOptions};
use document::pki::{Certificate, CscaStore, MasterList, PublicKey, SignedData};
use proptest::prelude::*;

fn data(path: &str) -> Vec<u8> {
    std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data")
            .join(path),
    )
    .unwrap()
}

fn exercise(bytes: &[u8]) {
    if let Ok(sd) = SignedData::from_der(bytes) {
        for si in &sd.signer_infos {
            if let Some(c) = sd.signer_certificate(si) {
                let _ = sd.check_signer(si, c);
            }
        }
    }
    if let Ok(c) = Certificate::from_der(bytes) {
        let _ = c.public_key();
        let _ = c.verify_signed_by(&c);
        let _ = (
            c.subject_country(),
            c.subject_key_id(),
            c.authority_key_id(),
            c.is_ca(),
        );
    }
    let _ = Certificate::from_der_or_pem(bytes);
    let _ = PublicKey::from_spki_der(bytes);
    let _ = document::aa::dg15_public_key(bytes);
    if let Ok(ml) = MasterList::from_der(bytes) {
        let _ = ml.verify(&[]);
    }
    let mut store = CscaStore::new();
    let _ = store.add_crl(bytes);
    let _ = store.add_der_or_pem(bytes);
    let dgs = BTreeMap::from([(1u8, bytes.to_vec())]);
    let opts = PaOptions::new(std::time::SystemTime::UNIX_EPOCH);
    let _ = verify_sod(
        &PaInput {
            sod: bytes,
            data_groups: &dgs,
            access_key: None,
        },
        &store,
        &opts,
    );
    let _ = verify_card_security(bytes, &store, &opts);
}

fn mutate(seed: &[u8], edits: &[(usize, u8)], cut: usize) -> Vec<u8> {
    let mut v = seed.to_vec();
    for &(i, b) in edits {
        if !v.is_empty() {
            let n = v.len();
            v[i % n] = b;
        }
    }
    let keep = v.len().saturating_sub(cut % 64);
    v.truncate(keep);
    v
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        exercise(&bytes);
    }

    #[test]
    fn mutated_sods(edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..6), cut in any::<usize>(), which in 0usize..4) {
        let seed = match which {
            0 => data("jmrtd-bsi2008/EF_SOD.bin"),
            1 => data("jmrtd-loes2006/ef011D.bin"),
            2 => data("jmrtd-misc/NZ2013_EF_SOD.BIN"),
            _ => data("vsmartcard-npa-ecdh/ef_cardsecurity"),
        };
        exercise(&mutate(&seed, &edits, cut));
    }

    #[test]
    fn mutated_certificates(edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..6), cut in any::<usize>(), nl in any::<bool>()) {
        let seed = if nl { data("gmrtd/NL_ROOT_CA.cer") } else { data("gmrtd/DE_ROOT_CA_CSCA07.cer") };
        exercise(&mutate(&seed, &edits, cut));
    }
}

#[test]
fn mutated_master_list_heads() {
    // The 900 KB master list is too big to mutate per case; mutate its first 4 KB (header,
    // length fields, first certificates) and a truncated tail.
    let ml = data("gmrtd/DE_ML_2026-05-28-08-28-45.ml");
    for i in 0..64usize {
        let mut v = ml.clone();
        let pos = (i * 67) % 4096;
        v[pos] ^= 0x5A;
        let _ = MasterList::from_der(&v).map(|m| m.certificates.len());
        v.truncate(ml.len() - i * 1000);
        let _ = MasterList::from_der(&v).map(|m| m.certificates.len());
    }
}
