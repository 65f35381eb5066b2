//! document's reader against the virtual chip, in process (issue #4, must-show 1 and 3): every
//! profile in sim/profiles reads; passive authentication passes on genuine documents and
//! reports each bad document with its own reason; AA fails on a clone; a card pulled mid-read
//! is a transport error.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use document::apdu::CommandApdu;
use document::mrz::Mrz;
use document::pa::{self, PaOptions};
use document::pki::store::{CscaStore, MasterList};
use document::pki::Certificate;
use document::reader::{self, AccessKey, Chip, ReadError, ReaderOptions};
use sim::chip::VirtualChip;
use sim::factory::{self, pki::TestPki, profile::Profile, Defect, Document};
use sim::inprocess::InProcessCard;

fn profiles_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("profiles")
}

fn build(profile: &Profile) -> (Document, TestPki) {
    let pki = TestPki::generate(&profile.pki_seed, &profile.pki_country);
    (factory::build(&profile.document, &pki), pki)
}

fn mrz_key(doc: &Document) -> (AccessKey, Mrz) {
    let lines: Vec<&str> = doc.printed_mrz.lines().collect();
    let mrz = Mrz::parse(&lines).expect("printed MRZ parses");
    (AccessKey::from(&mrz), mrz)
}

/// Trust anchors the way a gate gets them: the master list, verified against the CSCA.
fn store(pki: &TestPki) -> CscaStore {
    let mut s = CscaStore::new();
    let csca = Certificate::from_der(&pki.csca.der).expect("CSCA parses");
    let ml = MasterList::from_der(&pki.master_list).expect("master list parses");
    s.add_master_list(&ml, &[csca])
        .expect("master list verifies");
    s.add_crl(&pki.crl).expect("CRL parses");
    s
}

fn read(
    doc: &Document,
    key: &AccessKey,
) -> Result<(reader::ReadDocument, InProcessCard), ReadError> {
    let card = InProcessCard::new(
        VirtualChip::new(doc.chip.clone()),
        sim::chip::LinkModel::TYPICAL,
    );
    let mut chip = Chip::new(card, ReaderOptions::default());
    let d = reader::read_with(&mut chip, key)?;
    Ok((d, chip.into_transport()))
}

fn pa_verdict(doc: &reader::ReadDocument, mrz: &Mrz, pki: &TestPki) -> pa::PaVerdict {
    let key = mrz.key();
    // A fixed "now" inside every genuine certificate's validity.
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_790_000_000);
    doc.verify_sod(Some(&key), &store(pki), &PaOptions::new(now))
}

#[test]
fn every_genuine_profile_reads_and_verifies() {
    let mut n = 0;
    for entry in std::fs::read_dir(profiles_dir()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "toml") {
            continue;
        }
        let profile = Profile::load(&path).unwrap();
        let (doc, pki) = build(&profile);
        let (key, mrz) = mrz_key(&doc);
        let (read, card) = read(&doc, &key).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let face = read
            .face()
            .unwrap_or_else(|e| panic!("{}: DG2 {e}", path.display()));
        assert_eq!(face.image, profile.document.face, "{}", path.display());
        let verdict = pa_verdict(&read, &mrz, &pki);
        assert!(
            verdict.passed(),
            "{}: PA failed: {:?}",
            path.display(),
            verdict.reasons()
        );
        let expected_pace = !profile.document.pace.is_empty();
        assert_eq!(
            matches!(read.access, reader::AccessProtocol::Pace(_)),
            expected_pace,
            "{}: access {:?}",
            path.display(),
            read.access
        );
        eprintln!(
            "{}: {:?}, {} APDUs, {} bytes, modelled {:?}",
            path.file_name().unwrap().to_string_lossy(),
            read.access,
            card.apdus(),
            card.bytes(),
            card.modelled_time()
        );
        n += 1;
    }
    assert!(n >= 8, "profiles found: {n}");
}

#[test]
fn pace_with_can_reads_the_specimen() {
    let (doc, pki) = build(&Profile::specimen());
    let key = AccessKey::Can(doc.can.clone().unwrap().into());
    let (read, _) = read(&doc, &key).expect("PACE-CAN");
    assert!(matches!(read.access, reader::AccessProtocol::Pace(_)));
    let (_, mrz) = mrz_key(&doc);
    assert!(pa_verdict(&read, &mrz, &pki).passed());
}

#[test]
fn wrong_can_and_wrong_mrz_fail() {
    let (doc, _) = build(&Profile::specimen());
    let wrong_can = read(&doc, &AccessKey::Can("000000".to_string().into()));
    assert!(
        matches!(wrong_can, Err(ReadError::Pace(_))),
        "{:?}",
        wrong_can.err()
    );
    let mut wrong = factory::specimen_bio();
    wrong.birth.day += 1;
    let lines = wrong.mrz();
    let lines: Vec<&str> = lines.lines().collect();
    let key = AccessKey::from(&Mrz::parse(&lines).unwrap());
    let wrong_mrz = read(&doc, &key);
    assert!(
        matches!(wrong_mrz, Err(ReadError::Pace(_))),
        "{:?}",
        wrong_mrz.err()
    );
}

#[test]
fn every_bad_document_has_its_own_reason() {
    let expected = [
        (Defect::TamperedDg1, "dg_hash_mismatch"),
        (Defect::TamperedDg2, "dg_hash_mismatch"),
        (Defect::BrokenSodSignature, "sod_signature_invalid"),
        (Defect::ExpiredDs, "ds_expired"),
        (Defect::RevokedDs, "ds_revoked"),
        (Defect::UnknownCsca, "csca_not_found"),
        (Defect::MrzMismatch, "mrz_dg1_mismatch"),
        (Defect::WrongIssuingState, "issuing_state_mismatch"),
    ];
    for (defect, reason) in expected {
        let path = profiles_dir()
            .join("bad")
            .join(format!("{}.toml", defect.name()));
        let profile = Profile::load(&path).unwrap();
        assert_eq!(profile.document.defect, Some(defect));
        let (doc, pki) = build(&profile);
        let (key, mrz) = mrz_key(&doc);
        let (read, _) = read(&doc, &key).unwrap_or_else(|e| panic!("{defect:?}: {e}"));
        let verdict = pa_verdict(&read, &mrz, &pki);
        assert!(!verdict.passed(), "{defect:?} passed PA");
        assert!(
            verdict.has_reason(reason),
            "{defect:?}: expected {reason}, got {:?}",
            verdict.reasons()
        );
        if defect == Defect::TamperedDg1 {
            assert!(verdict.check("dg_hash", Some(1)).is_some());
        }
    }
    // An expired document verifies (PA is about authenticity); its expiry is in DG1.
    let profile = Profile::load(&profiles_dir().join("bad/expired-document.toml")).unwrap();
    let (doc, pki) = build(&profile);
    let (key, mrz) = mrz_key(&doc);
    let (read, _) = read(&doc, &key).unwrap();
    assert!(pa_verdict(&read, &mrz, &pki).passed());
    assert_eq!(read.mrz().unwrap().lines()[1][21..27].to_string(), "200101");
}

/// AA over the reader's secure channel: genuine chip passes, clone fails.
fn active_authentication(doc: &Document) -> bool {
    let (key, _) = mrz_key(doc);
    let card = InProcessCard::new(
        VirtualChip::new(doc.chip.clone()),
        sim::chip::LinkModel::INSTANT,
    );
    let mut chip = Chip::new(card, ReaderOptions::default());
    let read = reader::read_with(&mut chip, &key).unwrap();
    let public = document::aa::dg15_public_key(read.dg(15).expect("DG15")).unwrap();
    let challenge = [1u8, 2, 3, 4, 5, 6, 7, 8];
    let cmd = CommandApdu::new(0x00, 0x88, 0x00, 0x00)
        .with_data(challenge.to_vec())
        .with_ne(256);
    match chip.send(&cmd) {
        Ok(r) if r.sw.is_success() => {
            document::aa::verify(&public, &challenge, &r.data, None).passed()
        }
        _ => false,
    }
}

#[test]
fn active_authentication_passes_on_genuine_and_fails_on_clone() {
    let (genuine, _) = build(&Profile::specimen());
    assert!(active_authentication(&genuine));
    let clone = Profile::load(&profiles_dir().join("bad/clone.toml")).unwrap();
    let (clone, _) = build(&clone);
    assert!(!active_authentication(&clone));
}

#[test]
fn a_card_pulled_mid_read_is_a_transport_error() {
    let (doc, _) = build(&Profile::specimen());
    let (key, _) = mrz_key(&doc);
    let mut card = InProcessCard::new(
        VirtualChip::new(doc.chip.clone()),
        sim::chip::LinkModel::INSTANT,
    );
    card.pull_after(15);
    let r = reader::read_document(card, &key, ReaderOptions::default());
    assert!(matches!(r, Err(ReadError::Transport(_))), "{r:?}");
}

/// ICAO 9303-3 issuing states: the specimen state UTO verifies under a CSCA of country UT; a
/// code that is no 9303-3 code fails with its own reason, never as a mismatch.
#[test]
fn uto_specimen_verifies_and_an_unknown_state_is_its_own_reason() {
    let profile = Profile::load(&profiles_dir().join("uto-specimen.toml")).unwrap();
    let (doc, pki) = build(&profile);
    assert_eq!(pki.country, "UT");
    let (key, mrz) = mrz_key(&doc);
    assert_eq!(mrz.issuing_state(), "UTO");
    let (doc_read, _) = read(&doc, &key).unwrap();
    let verdict = pa_verdict(&doc_read, &mrz, &pki);
    assert!(verdict.passed(), "{:?}", verdict.reasons());
    let check = verdict.check("issuing_state", None).unwrap();
    assert_eq!(check.status, pa::CheckStatus::Passed, "{}", check.detail);
    let csca = verdict.csca.as_ref().unwrap();
    assert_eq!(csca.country.as_deref(), Some("UT"));

    for (state, reason) in [
        ("ZZZ", "issuing_state_unknown"),
        ("XPO", "issuing_state_unknown"),
        ("FRA", "issuing_state_mismatch"),
    ] {
        let mut p = profile.clone();
        p.document.bio.issuing_state = state.into();
        let (doc, pki) = build(&p);
        let (key, mrz) = mrz_key(&doc);
        let (read, _) = read(&doc, &key).unwrap();
        let verdict = pa_verdict(&read, &mrz, &pki);
        assert!(!verdict.passed(), "{state}");
        assert_eq!(verdict.reasons(), [reason], "{state}");
    }
}
