//! Certificate revocation lists (RFC 5280 §5, ICAO 9303-12 §7.1.4) on arbitrary bytes, as
//! `egate pki import-crl` and the gate's trust reload take them: parse, check the signature
//! against the CSCA, then freshness and revocation. Nothing may panic, and every refusal must
//! name its field.
#![no_main]

use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

use document::pki::{Certificate, CscaStore, PkiError, Revocation};
use libfuzzer_sys::fuzz_target;

/// The store of the seed corpus's CRLs: the test PKI's CSCA (seed "egate-sim", DE), and its
/// document signer to look up.
fn world() -> &'static (CscaStore, Certificate) {
    static W: OnceLock<(CscaStore, Certificate)> = OnceLock::new();
    W.get_or_init(|| {
        let pki = sim::factory::pki::TestPki::generate("egate-sim", "DE");
        let mut store = CscaStore::new();
        store
            .add_der_or_pem(&pki.csca.der)
            .expect("the test CSCA parses");
        let ds = Certificate::from_der(&pki.ds.der).expect("the test DS parses");
        (store, ds)
    })
}

fuzz_target!(|data: &[u8]| {
    let (base, ds) = world();
    let mut store = base.clone();
    match store.add_crl(data) {
        Ok(crl) => {
            let _ = crl.freshness(SystemTime::now(), Duration::from_secs(86_400));
            let _ = (crl.issuer(), crl.issuer_country(), crl.revoked_count());
            let r = store.revocation(ds);
            assert!(matches!(r, Revocation::Revoked | Revocation::NotRevoked));
        }
        Err(e) => {
            // A PEM wrapper that does not decode is reported as such; anything else that
            // fails names the CertificateList field it failed in.
            assert!(
                matches!(
                    e,
                    PkiError::InField { .. } | PkiError::Der(_) | PkiError::Malformed(_)
                ),
                "CRL error: {e:?}"
            );
            let _ = e.to_string();
        }
    }
});
