//! CSCA master lists (ICAO 9303-12 §8) on arbitrary bytes, as `egate pki import-masterlist`
//! and the gate's trust reload take them: parse, verify against a master-list signer anchor,
//! add to a store. Nothing may panic, and every refusal must name its field.
#![no_main]

use std::sync::OnceLock;

use document::pki::{Certificate, CscaStore, MasterList, PkiError};
use libfuzzer_sys::fuzz_target;

/// The anchor of the seed corpus's lists: the test PKI's CSCA (seed "egate-sim", DE).
fn anchor() -> &'static Certificate {
    static A: OnceLock<Certificate> = OnceLock::new();
    A.get_or_init(|| {
        let pki = sim::factory::pki::TestPki::generate("egate-sim", "DE");
        Certificate::from_der(&pki.csca.der).expect("the test CSCA parses")
    })
}

fuzz_target!(|data: &[u8]| {
    match MasterList::from_der(data) {
        Ok(ml) => {
            let _ = ml.verify(std::slice::from_ref(anchor()));
            let mut store = CscaStore::new();
            let _ = store.add_master_list(&ml, std::slice::from_ref(anchor()));
            let _ = store.summary();
        }
        Err(e) => {
            // A malformed list is reported with the field it failed in.
            assert!(
                matches!(e, PkiError::InField { .. }),
                "master-list error without a field: {e:?}"
            );
            let _ = e.to_string();
        }
    }
});
