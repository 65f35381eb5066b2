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
    // With a wrong key the chip cannot verify the terminal's cryptogram (BAC, Doc 9303-11
    // §4.3.3) or authentication token (PACE, §4.4.3.4) and answers 63 00, which dmrtd reports
    // as such rather than as a transport or parse failure.
    let bac = passport.start_session(wrong).unwrap_err().to_string();
    assert!(bac.contains("BAC step failed with status sw=6300"), "{bac}");
    let card_access = passport.read_ef_card_access().expect("EF.CardAccess");
    let pace = passport
        .start_session_pace(CanKey::new("654321").unwrap(), &card_access)
        .unwrap_err()
        .to_string();
    assert!(
        pace.contains("PACE step failed with status sw=6300"),
        "{pace}"
    );
}

/// dmrtd reads EF.COM, DG1, DG2, DG14, DG15 and EF.SOD, checks the SOD with its own passive
/// authentication against the test CSCA, and runs its own Active Authentication; every file
/// is byte for byte what document's reader gets from the same chip.
#[test]
fn dmrtd_reads_the_sod_and_its_passive_and_active_authentication_pass() {
    use dmrtd::auth::passive::{self, DataGroup, TrustAnchor};
    use dmrtd::lds::ef::ElementaryFile;

    let pki = TestPki::generate("dmrtd-test", "UT");
    let doc = factory::build(&DocumentSpec::specimen(), &pki);
    let mut passport = Passport::new(InProcess(VirtualChip::new(doc.chip.clone())));
    passport.start_session(key(false)).expect("BAC");
    let com = passport.read_ef_com().expect("EF.COM");
    let dg1 = passport.read_ef_dg1().expect("DG1");
    let dg2 = passport.read_ef_dg2().expect("DG2");
    let dg14 = passport.read_ef_dg14().expect("DG14");
    let dg15 = passport.read_ef_dg15().expect("DG15");
    let sod = passport.read_ef_sod().expect("EF.SOD");
    let anchor = TrustAnchor::from_certificate(&pki.csca.der).expect("CSCA");
    let groups = [
        DataGroup {
            number: 1,
            bytes: dg1.to_bytes(),
        },
        DataGroup {
            number: 2,
            bytes: dg2.to_bytes(),
        },
        DataGroup {
            number: 14,
            bytes: dg14.to_bytes(),
        },
        DataGroup {
            number: 15,
            bytes: dg15.to_bytes(),
        },
    ];
    let pa = passive::verify(sod.to_bytes(), &groups, &[anchor]).expect("dmrtd PA");
    assert!(pa.is_authentic(), "{pa:?}");
    assert_eq!(pa.verified_groups, [1, 2, 14, 15]);
    passport
        .verify_active_authentication(&[1, 2, 3, 4, 5, 6, 7, 8])
        .expect("dmrtd AA");

    // The same files through document's reader.
    let lines: Vec<&str> = doc.printed_mrz.lines().collect();
    let mrz = document::mrz::Mrz::parse(&lines).unwrap();
    let ours = document::reader::read_document(
        sim::inprocess::InProcessCard::new(
            VirtualChip::new(doc.chip.clone()),
            sim::chip::LinkModel::INSTANT,
        ),
        &document::reader::AccessKey::from(&mrz),
        document::reader::ReaderOptions::default(),
    )
    .unwrap();
    assert_eq!(ours.com.as_deref(), Some(com.to_bytes()));
    assert_eq!(ours.sod, sod.to_bytes());
    for (n, theirs) in [
        (1, dg1.to_bytes()),
        (2, dg2.to_bytes()),
        (14, dg14.to_bytes()),
        (15, dg15.to_bytes()),
    ] {
        assert_eq!(ours.dg(n), Some(theirs), "DG{n}");
    }
}

/// dmrtd against the read-habit profiles of the virtual chip. It reads the chip that answers
/// with fewer bytes and the one that answers 6282. It gives up on the chip that ends its
/// session and on 6Cxx under secure messaging (it has no recovery), and on the 41 KB DG2 two
/// bytes before the end: it asks the odd-INS READ BINARY for Ne = the bytes left, while
/// ISO/IEC 7816-4 §5.1 makes Ne bound the whole response data field, which for INS B1 is the
/// DO'53' around the data (§11.3.3). The chip is right to answer `53 00` there; dmrtd's Ne
/// is short by the DO'53' header.
#[test]
fn dmrtd_reads_the_habit_profiles_it_can() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("profiles");
    for (file, readable) in [
        ("truncates-to-fit.toml", true),
        ("end-of-file-6282.toml", true),
        ("sm-ends-on-plain-status.toml", false),
        ("6cxx.toml", false),
        ("big-dg2-40k.toml", false),
    ] {
        let profile = sim::factory::profile::Profile::load(&dir.join(file)).unwrap();
        let pki = TestPki::generate(&profile.pki_seed, &profile.pki_country);
        let doc = factory::build(&profile.document, &pki);
        let mut passport = Passport::new(InProcess(VirtualChip::new(doc.chip.clone())));
        passport.start_session(key(false)).expect("BAC");
        let r = passport.read_ef_dg2();
        assert_eq!(r.is_ok(), readable, "{file}: {:?}", r.as_ref().err());
        if let Ok(dg2) = r {
            assert_eq!(dg2.image_data.as_deref(), Some(&profile.document.face[..]));
        }
    }
    // The odd-INS answer at the end of the 41 KB DG2 to dmrtd's Ne, through document's BAC.
    let profile = sim::factory::profile::Profile::load(&dir.join("big-dg2-40k.toml")).unwrap();
    let pki = TestPki::generate(&profile.pki_seed, &profile.pki_country);
    let card = sim::inprocess::InProcessCard::new(
        VirtualChip::new(factory::build(&profile.document, &pki).chip),
        sim::chip::LinkModel::INSTANT,
    );
    let mut c = document::reader::Chip::new(card, document::reader::ReaderOptions::default());
    c.select_application().unwrap();
    let key = document::mrz::MrzKey::new("L898902C3", "740812", "340415").unwrap();
    let sm = document::bac::perform(c.transport_mut(), &key).unwrap();
    c.set_secure_channel(sm);
    let dg2 = c
        .read_file(document::reader::FileId::dg(2).unwrap())
        .unwrap();
    let last_two = u32::try_from(dg2.len() - 2).unwrap();
    let r = c
        .send(&document::apdu::read_binary_odd(last_two, 2))
        .unwrap();
    assert_eq!(r.data, [0x53, 0x00]);
    let r = c
        .send(&document::apdu::read_binary_odd(last_two, 4))
        .unwrap();
    assert_eq!(r.data, [0x53, 0x02, dg2[dg2.len() - 2], dg2[dg2.len() - 1]]);
}
