//! EF.SOD / CMS SignedData, certificates, master lists, CRLs and passive authentication on
//! arbitrary bytes: nothing may panic.
#![no_main]

use std::collections::BTreeMap;

use document::pa::{verify_card_security, verify_sod, PaInput, PaOptions};
use document::pki::{Certificate, CscaStore, MasterList, PublicKey, SignedData};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(sd) = SignedData::from_der(data) {
        for si in &sd.signer_infos {
            if let Some(c) = sd.signer_certificate(si) {
                let _ = sd.check_signer(si, c);
            }
        }
    }
    if let Ok(c) = Certificate::from_der(data) {
        let _ = c.public_key();
        let _ = c.verify_signed_by(&c);
    }
    let _ = PublicKey::from_spki_der(data);
    if let Ok(ml) = MasterList::from_der(data) {
        let _ = ml.verify(&[]);
    }
    let mut store = CscaStore::new();
    let _ = store.add_crl(data);
    let dgs = BTreeMap::from([(1u8, data.to_vec())]);
    let opts = PaOptions::new(std::time::SystemTime::UNIX_EPOCH);
    let _ = verify_sod(
        &PaInput {
            sod: data,
            data_groups: &dgs,
            access_key: None,
        },
        &store,
        &opts,
    );
    let _ = verify_card_security(data, &store, &opts);
});
