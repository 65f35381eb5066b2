//! Independent check: the `dmrtd` crate (not our reader) performs BAC and PACE-GM against the
//! virtual chip and reads DG1 and DG2.

use chrono::NaiveDate;
use dmrtd::com::{TransceiveError, Transceiver};
use dmrtd::lds::df1::efdg2::EfDG2;
use dmrtd::passport::Passport;
use dmrtd::proto::can_key::CanKey;
use dmrtd::proto::dba_key::DBAKey;
use sim::chip::VirtualChip;
use sim::factory::{self, pki::TestPki, DocumentSpec, SPECIMEN_FACE};

struct InProcess(VirtualChip);

impl Transceiver for InProcess {
    fn transceive(&mut self, apdu: &[u8]) -> Result<Vec<u8>, TransceiveError> {
        Ok(self.0.process(apdu))
    }
}

fn specimen_chip(spec: &DocumentSpec) -> VirtualChip {
    let pki = TestPki::generate("dmrtd-test", "UT");
    VirtualChip::new(factory::build(spec, &pki).chip)
}

fn key(pace: bool) -> DBAKey {
    DBAKey::new(
        "L898902C3",
        NaiveDate::from_ymd_opt(1974, 8, 12).unwrap(),
        NaiveDate::from_ymd_opt(2034, 4, 15).unwrap(),
        pace,
    )
    .unwrap()
}

fn check_dg1_dg2(passport: &mut Passport<InProcess>) {
    let dg1 = passport.read_ef_dg1().expect("DG1");
    assert_eq!(dg1.mrz().document_number(), "L898902C3");
    let dg2: EfDG2 = passport.read_ef_dg2().expect("DG2");
    assert_eq!(dg2.image_data.as_deref(), Some(SPECIMEN_FACE));
    assert_eq!((dg2.image_width, dg2.image_height), (240, 320));
}

#[test]
fn dmrtd_reads_the_specimen_with_bac() {
    let mut passport = Passport::new(InProcess(specimen_chip(&DocumentSpec::specimen())));
    passport.start_session(key(false)).expect("BAC");
    check_dg1_dg2(&mut passport);
}

#[test]
fn dmrtd_reads_the_specimen_with_pace_gm_brainpool_and_mrz() {
    let mut passport = Passport::new(InProcess(specimen_chip(&DocumentSpec::specimen())));
    let card_access = passport.read_ef_card_access().expect("EF.CardAccess");
    passport
        .start_session_pace(key(true), &card_access)
        .expect("PACE");
    check_dg1_dg2(&mut passport);
}

#[test]
fn dmrtd_reads_pace_gm_with_can_on_nist_curves_and_dh() {
    for (cipher, param_id) in [
        (factory::Cipher::Aes256, 12),
        (factory::Cipher::Aes192, 15),
        // RFC 5114 1024-bit MODP group (ICAO id 0). dmrtd has no 3DES PACE, so 3DES PACE is
        // covered by document's reader only.
        (factory::Cipher::Aes128, 0),
    ] {
        let mut spec = DocumentSpec::specimen();
        spec.pace = vec![sim::chip::PaceOffer {
            mapping: sim::chip::PaceMapping::Gm,
            cipher,
            param_id,
        }];
        let mut passport = Passport::new(InProcess(specimen_chip(&spec)));
        let card_access = passport.read_ef_card_access().expect("EF.CardAccess");
        passport
            .start_session_pace(CanKey::new("123456").unwrap(), &card_access)
            .unwrap_or_else(|e| panic!("PACE {cipher:?} id {param_id}: {e}"));
        check_dg1_dg2(&mut passport);
    }
}

#[test]
fn dmrtd_fails_bac_and_pace_with_wrong_keys() {
    let mut passport = Passport::new(InProcess(specimen_chip(&DocumentSpec::specimen())));
    let wrong = DBAKey::new(
        "L898902C3",
        NaiveDate::from_ymd_opt(1974, 8, 13).unwrap(),
        NaiveDate::from_ymd_opt(2034, 4, 15).unwrap(),
        false,
    )
    .unwrap();
    assert!(passport.start_session(wrong).is_err());
    let card_access = passport.read_ef_card_access().expect("EF.CardAccess");
    assert!(passport
        .start_session_pace(CanKey::new("654321").unwrap(), &card_access)
        .is_err());
}
