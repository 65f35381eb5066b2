//! document's production reader against the virtual passport's read habits, in process
//! (issue #13, item 1): a chip that ends its secure-messaging session on a read it cannot
//! serve, one that answers with fewer bytes, one that answers 6Cxx, one that answers 6282 at
//! the end of a file, and a DG2 over 40 KB that needs odd-INS READ BINARY.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, SystemTime};

use document::mrz::Mrz;
use document::pa::PaOptions;
use document::pki::store::{CscaStore, MasterList};
use document::pki::Certificate;
use document::reader::{
    self, AccessKey, Chip, ReadDocument, ReadError, ReaderOptions, Transport, TransportError,
};
use sim::chip::{LinkModel, VirtualChip};
use sim::factory::{self, pki::TestPki, profile::Profile};
use sim::inprocess::InProcessCard;

/// The transport of the in-process card, counting the instructions the reader sends (the INS
/// byte stays in clear under secure messaging, ICAO 9303-11 §9.8.4).
struct Watch {
    card: InProcessCard,
    ins: BTreeMap<u8, u32>,
}

impl Transport for Watch {
    fn transmit(&mut self, capdu: &[u8]) -> Result<Vec<u8>, TransportError> {
        if let Some(ins) = capdu.get(1) {
            *self.ins.entry(*ins).or_default() += 1;
        }
        self.card.transmit(capdu)
    }
}

struct Read {
    doc: ReadDocument,
    face: Vec<u8>,
    le: usize,
    ins: BTreeMap<u8, u32>,
    modelled: Duration,
    pa_passed: bool,
}

fn read(profile_name: &str, options: ReaderOptions) -> Result<Read, ReadError> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("profiles")
        .join(profile_name);
    let profile = Profile::load(&path).unwrap();
    let pki = TestPki::generate(&profile.pki_seed, &profile.pki_country);
    let doc = factory::build(&profile.document, &pki);
    let lines: Vec<&str> = doc.printed_mrz.lines().collect();
    let mrz = Mrz::parse(&lines).unwrap();
    let card = InProcessCard::new(VirtualChip::new(doc.chip.clone()), LinkModel::TYPICAL);
    let mut chip = Chip::new(
        Watch {
            card,
            ins: BTreeMap::new(),
        },
        options,
    );
    // Chip Authentication replaces the channel; without it the Le learnt stays visible.
    let read = reader::read_with(&mut chip, &AccessKey::from(&mrz))?;
    let le = chip.current_le();
    let watch = chip.into_transport();

    let mut store = CscaStore::new();
    let csca = Certificate::from_der(&pki.csca.der).unwrap();
    let ml = MasterList::from_der(&pki.master_list).unwrap();
    store.add_master_list(&ml, &[csca]).unwrap();
    let key = mrz.key();
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_790_000_000);
    let verdict = read.verify_sod(Some(&key), &store, &PaOptions::new(now));
    Ok(Read {
        face: read.face().unwrap().image.clone(),
        doc: read,
        le,
        ins: watch.ins,
        modelled: watch.card.modelled_time(),
        pa_passed: verdict.passed(),
    })
}

fn without_ca() -> ReaderOptions {
    let mut o = ReaderOptions::default();
    o.chip_authentication = false;
    o
}

fn report(name: &str, r: &Read) {
    eprintln!(
        "{name}: {} APDUs, modelled link time {:?}, Le {}, recoveries {}",
        r.doc.stats.apdus,
        r.modelled,
        r.le,
        r.doc.stats.recoveries.len()
    );
    for x in &r.doc.stats.recoveries {
        eprintln!(
            "  recovery in {} at offset {}: chip answered {} to Le {}, resumed with Le {} \
             after {} APDUs, {:?}",
            x.file, x.offset, x.status, x.le_before, x.le_after, x.apdus, x.duration
        );
    }
}

#[test]
fn sm_ends_on_plain_status_is_read_by_opening_the_chip_again() {
    let r = read("sm-ends-on-plain-status.toml", without_ca()).unwrap();
    report("sm-ends-on-plain-status", &r);
    assert!(r.pa_passed);
    assert_eq!(r.face, factory::SPECIMEN_FACE);
    assert!(matches!(r.doc.access, reader::AccessProtocol::Pace(_)));
    // A 200-byte buffer holds 175 bytes of AES-protected plaintext: 223 and 192 are refused,
    // each with a plain 6700 that ends the session, then 160 fits.
    let les: Vec<(usize, usize)> = r
        .doc
        .stats
        .recoveries
        .iter()
        .map(|x| (x.le_before, x.le_after))
        .collect();
    assert_eq!(les, [(223, 192), (192, 160)]);
    assert!(r
        .doc
        .stats
        .recoveries
        .iter()
        .all(|x| x.status.0 == 0x6700 && x.apdus > 4));
    assert_eq!(r.le, 160);
    // PACE ran three times: once to open the chip, once per recovery.
    assert_eq!(
        r.doc
            .stats
            .steps
            .iter()
            .filter(|s| s.step == "PACE")
            .count()
            + r.doc
                .stats
                .steps
                .iter()
                .filter(|s| s.step == "recovery")
                .count(),
        3
    );
    // The whole procedure, Chip Authentication included, still passes.
    let r = read("sm-ends-on-plain-status.toml", ReaderOptions::default()).unwrap();
    assert_eq!(
        r.doc.chip_authentication,
        Some(document::ca::CaVerdict::Passed)
    );
    assert_eq!(
        r.doc.active_authentication.as_ref().unwrap().check.status,
        document::pa::CheckStatus::Passed
    );
}

#[test]
fn without_recoveries_the_session_loss_is_an_error() {
    let mut o = without_ca();
    o.max_recoveries = 0;
    let e = read("sm-ends-on-plain-status.toml", o).err().unwrap();
    assert!(matches!(e, ReadError::SecureMessaging(_)), "{e:?}");
}

#[test]
fn short_answers_6cxx_and_6282_need_no_recovery() {
    // 175 = the largest AES plaintext whose protected form fits a 200-byte buffer: the chip
    // that truncates serves it with 9000, the 6Cxx chip names it; the 6282 chip serves every
    // Le that fits a short response (223) and warns at the end of each file.
    assert_eq!(
        document::sm::max_plaintext(factory::Cipher::Aes128, 200),
        175
    );
    for (profile, le) in [
        ("truncates-to-fit.toml", 175),
        ("6cxx.toml", 175),
        ("end-of-file-6282.toml", 223),
    ] {
        let r = read(profile, without_ca()).unwrap();
        report(profile, &r);
        assert!(r.pa_passed, "{profile}");
        assert_eq!(r.face, factory::SPECIMEN_FACE, "{profile}");
        assert!(r.doc.stats.recoveries.is_empty(), "{profile}");
        assert_eq!(r.le, le, "{profile}");
    }
}

#[test]
fn a_dg2_over_40k_is_read_with_odd_ins() {
    let r = read("big-dg2-40k.toml", without_ca()).unwrap();
    report("big-dg2-40k", &r);
    assert!(r.pa_passed);
    let dg2 = r.doc.dg(2).unwrap();
    assert!(dg2.len() > 40 * 1024, "DG2 {} bytes", dg2.len());
    assert_eq!(r.face.len(), 41_000);
    assert!(r.doc.stats.recoveries.is_empty());
    // Offsets 0..=32767 with even INS, the rest (over 8 KB) with odd INS.
    let odd = r.ins.get(&0xB1).copied().unwrap_or(0);
    assert!(
        odd >= (dg2.len() - 32_768) as u32 / 223,
        "odd-INS reads: {odd}"
    );
    let dg2_step = r.doc.stats.steps.iter().find(|s| s.step == "DG2").unwrap();
    eprintln!(
        "big-dg2-40k: DG2 {} bytes in {} APDUs ({odd} with odd INS)",
        dg2.len(),
        dg2_step.apdus
    );
}
