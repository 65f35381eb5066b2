//! ICAO deviation lists (9303-12 §10) on arbitrary bytes, as `egate pki import-deviation-list`
//! and the gate's trust reload take them: parse, verify against the CSCA, add to a store.
//! A list that parses is then matched and applied, as if trusted, to the verdicts of a real
//! read of the test PKI's specimen (its DG11 hash wrong), so that matching and applying see
//! every shape of list too. Nothing may panic, every refusal must name its field, and no list
//! may make a failed DG1/DG2 hash or SOD signature pass without the opt-in.
#![no_main]

use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

use document::deviation::{self, DeviationPolicy, Subject};
use document::pa::{CheckStatus, PaOptions, PaVerdict};
use document::pki::{Certificate, CscaStore, DeviationList, PkiError, TrustedDeviationList};
use libfuzzer_sys::fuzz_target;

struct Fixture {
    store: CscaStore,
    sod: Vec<u8>,
    dg1: Vec<u8>,
    dg12: Vec<u8>,
    pa: PaVerdict,
}

fn now() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_790_000_000)
}

/// The test PKI (seed "egate-sim", DE) and a specimen whose SOD holds a wrong DG11 hash,
/// verified once without deviations.
fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        use sim::factory::{self, Defect, DocumentSpec};
        let pki = sim::factory::pki::TestPki::generate("egate-sim", "DE");
        let mut store = CscaStore::new();
        store.add_certificate(Certificate::from_der(&pki.csca.der).expect("CSCA parses"));
        let mut spec = DocumentSpec::specimen();
        spec.set_defect(Defect::Dg11HashWrong);
        let doc = factory::build(&spec, &pki);
        let file = |f| doc.chip.files.content(f).expect("file").to_vec();
        use sim::chip::StandardFile as S;
        let sod = file(S::Sod);
        let mut dgs = std::collections::BTreeMap::new();
        for n in [1u8, 2, 11, 12, 14, 15] {
            dgs.insert(n, file(S::DataGroup(n)));
        }
        let input = document::pa::PaInput {
            sod: &sod,
            data_groups: &dgs,
            access_key: None,
        };
        let pa = document::pa::verify_sod(&input, &store, &PaOptions::new(now()));
        Fixture {
            dg1: dgs[&1].clone(),
            dg12: dgs[&12].clone(),
            store,
            sod,
            pa,
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let f = fixture();
    match DeviationList::from_der(data) {
        Ok(list) => {
            let _ = list.verify(f.store.certificates(), now());
            let _ = list.type_counts();
            let mut store = f.store.clone();
            let _ = store.add_deviation_list(data, now());
            // As if trusted: matching and applying on whatever parsed.
            let trusted = [TrustedDeviationList {
                list,
                country: "DE".into(),
                signer: String::new(),
                csca: String::new(),
            }];
            let subject = Subject::new(&f.sod, &f.pa, Some(&f.dg1), Some(&f.dg12));
            let matches = deviation::matching(&trusted, &subject);
            let mut pa = f.pa.clone();
            let mut chip = document::authenticity::assess(
                &document::authenticity::ChipEvidence {
                    com: None,
                    read: &[1, 2, 11, 12],
                    unreadable: &Default::default(),
                    dg14: None,
                    active_authentication: None,
                    chip_authentication: None,
                    pace_cam: None,
                    card_security: None,
                },
                &pa,
            );
            let uses = deviation::excuse(&matches, &mut pa, &mut chip, DeviationPolicy::default());
            assert!(uses.len() <= matches.len());
            for essential in [("dg_hash", Some(1)), ("dg_hash", Some(2)), ("sod_signature", None)] {
                let before = f.pa.check(essential.0, essential.1).map(|c| c.status);
                let after = pa.check(essential.0, essential.1).map(|c| c.status);
                assert!(
                    before != Some(CheckStatus::Failed) || after == before,
                    "a deviation excused {essential:?} without the opt-in"
                );
            }
        }
        Err(e) => {
            // A malformed list is reported with the field it failed in.
            assert!(
                matches!(e, PkiError::InField { .. } | PkiError::InPath { .. }),
                "deviation-list error without a field: {e:?}"
            );
            let _ = e.to_string();
        }
    }
});
