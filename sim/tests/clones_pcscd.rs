//! Clone defence (issue #13, items 3 and 4): every clone profile of the document factory is
//! refused by the chip-authenticity verdict (`document::authenticity`) with its own reason
//! code, read by the production path — the PC/SC adapter of `hardware` over pcscd + vpcd and
//! document's reader — and every genuine access profile still passes. Needs pcscd: run under
//! `scripts/with-pcscd.sh`. The in-process test covers the same profiles without pcscd.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use common::pcscd::{require_pcscd, slot, wait_for_card, wait_for_removal};
use document::authenticity::{AuthenticityOutcome, AuthenticityVerdict};
use document::mrz::Mrz;
use document::pa::{PaOptions, PaVerdict};
use document::pki::store::{CscaStore, MasterList};
use document::pki::Certificate;
use document::reader::{self, AccessKey, ReadDocument, ReaderOptions};
use sim::chip::{LinkModel, VirtualChip};
use sim::factory::{self, pki::TestPki, profile::Profile, Defect, Document};
use sim::inprocess::InProcessCard;
use sim::vpcd::{VpcdOptions, VpcdSlot};

fn profiles_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("profiles")
}

/// The genuine access profiles: each must still pass.
const GENUINE: [&str; 9] = [
    "specimen.toml",
    "bac-only.toml",
    "pace-only-p256-aes256.toml",
    "pace-p384.toml",
    "pace-dh.toml",
    "pace-im.toml",
    "pace-cam.toml",
    "td1-id-card.toml",
    "uto-specimen.toml",
];

/// Each clone profile file with the reason it must be refused with.
fn clones() -> Vec<(String, &'static str)> {
    Defect::CLONES
        .iter()
        .map(|(d, reason)| (format!("bad/{}.toml", d.name()), *reason))
        .collect()
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

fn build(file: &str) -> (Document, TestPki) {
    let profile = Profile::load(&profiles_dir().join(file)).unwrap();
    let pki = TestPki::generate(&profile.pki_seed, &profile.pki_country);
    (factory::build(&profile.document, &pki), pki)
}

fn key(doc: &Document) -> (AccessKey, Mrz) {
    let lines: Vec<&str> = doc.printed_mrz.lines().collect();
    let mrz = Mrz::parse(&lines).expect("printed MRZ parses");
    (AccessKey::from(&mrz), mrz)
}

/// Passive authentication and chip authenticity, at a fixed instant inside every genuine
/// certificate's validity.
fn verify(read: &ReadDocument, mrz: &Mrz, pki: &TestPki) -> (PaVerdict, AuthenticityVerdict) {
    let store = store(pki);
    let opts = PaOptions::new(SystemTime::UNIX_EPOCH + Duration::from_secs(1_780_000_000));
    let pa = read.verify_sod(Some(&mrz.key()), &store, &opts);
    let chip = read.verify_chip(&pa, &store, &opts);
    (pa, chip)
}

fn describe(v: &AuthenticityVerdict) -> String {
    v.checks
        .iter()
        .map(|c| {
            format!(
                "{} {} {:?} {}",
                c.name,
                c.status.as_str(),
                c.reason,
                c.detail
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Asserts the verdict for `file`: genuine (`None`) passes with PA and AA/CA passed; a clone
/// fails with exactly its reason.
fn assert_verdict(file: &str, pa: &PaVerdict, chip: &AuthenticityVerdict, want: Option<&str>) {
    assert!(pa.passed(), "{file}: PA {:?}", pa.reasons());
    match want {
        None => {
            assert_eq!(
                chip.outcome,
                AuthenticityOutcome::Passed,
                "{file}:\n{}",
                describe(chip)
            );
            assert_eq!(chip.reason, None, "{file}");
        }
        Some(reason) => {
            assert_eq!(
                chip.outcome,
                AuthenticityOutcome::Failed,
                "{file}:\n{}",
                describe(chip)
            );
            assert_eq!(chip.reason, Some(reason), "{file}:\n{}", describe(chip));
        }
    }
}

#[test]
fn each_clone_profile_has_its_own_reason() {
    let reasons: BTreeSet<&str> = Defect::CLONES.iter().map(|(_, r)| *r).collect();
    assert_eq!(reasons.len(), Defect::CLONES.len());
    for r in &reasons {
        assert!(document::authenticity::REASONS.contains(r), "{r}");
    }
}

#[test]
fn clones_are_refused_and_genuine_chips_pass_in_process() {
    let cases = GENUINE
        .iter()
        .map(|f| (f.to_string(), None))
        .chain(clones().into_iter().map(|(f, r)| (f, Some(r))));
    for (file, want) in cases {
        let (doc, pki) = build(&file);
        let (key, mrz) = key(&doc);
        let card = InProcessCard::new(VirtualChip::new(doc.chip.clone()), LinkModel::INSTANT);
        let read = reader::read_document(card, &key, ReaderOptions::default())
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        let (pa, chip) = verify(&read, &mrz, &pki);
        assert_verdict(&file, &pa, &chip, want);
    }
}

#[test]
fn clones_are_refused_and_genuine_chips_pass_through_pcscd_and_vpcd() {
    require_pcscd();
    let (addr, name) = slot(0);
    let mut vpcd = VpcdSlot::new(addr.as_str(), VpcdOptions { realtime: None }).unwrap();
    let cases = GENUINE
        .iter()
        .map(|f| (f.to_string(), None))
        .chain(clones().into_iter().map(|(f, r)| (f, Some(r))));
    for (file, want) in cases {
        let (doc, pki) = build(&file);
        let (key, mrz) = key(&doc);
        vpcd.insert(VirtualChip::new(doc.chip.clone()))
            .expect("connect to vpcd");
        let mut pcsc = wait_for_card(&name);
        pcsc.connect().expect("connect to the card");
        let read = reader::read_document(&mut pcsc, &key, ReaderOptions::default())
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        let (pa, chip) = verify(&read, &mrz, &pki);
        eprintln!(
            "{file} via pcscd: {:?}, chip authenticity {} {:?}",
            read.access,
            chip.outcome.as_str(),
            chip.reason
        );
        assert_verdict(&file, &pa, &chip, want);
        pcsc.disconnect();
        vpcd.remove();
        wait_for_removal(&mut pcsc);
    }
}
