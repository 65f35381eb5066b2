//! The virtual chip through pcscd + vpcd, read with the PC/SC adapter and document's reader
//! (issue #4, must-show 1). Needs pcscd: run under `scripts/with-pcscd.sh`; without pcscd
//! these tests fail with instructions.

mod common;

use std::path::Path;
use std::time::Duration;

use common::pcscd::{require_pcscd, slot, wait_for_card, wait_for_removal};
use document::mrz::Mrz;
use document::reader::{self, AccessKey, ReadError, ReaderOptions};
use hardware::pcsc_reader::PcscError;
use sim::chip::{LinkModel, VirtualChip};
use sim::factory::{self, pki::TestPki, profile::Profile};
use sim::vpcd::{VpcdOptions, VpcdSlot};

fn doc(profile: &Profile) -> factory::Document {
    let pki = TestPki::generate(&profile.pki_seed, &profile.pki_country);
    factory::build(&profile.document, &pki)
}

fn key(doc: &factory::Document) -> AccessKey {
    let lines: Vec<&str> = doc.printed_mrz.lines().collect();
    AccessKey::from(&Mrz::parse(&lines).unwrap())
}

#[test]
fn reader_reads_every_profile_through_pcscd_and_vpcd() {
    require_pcscd();
    let (addr, name) = slot(0);
    let mut vpcd = VpcdSlot::new(addr.as_str(), VpcdOptions::default()).unwrap();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("profiles");
    let mut n = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "toml") {
            continue;
        }
        let profile = Profile::load(&path).unwrap();
        let d = doc(&profile);
        vpcd.insert(VirtualChip::new(d.chip.clone()))
            .expect("connect to vpcd");
        let mut reader = wait_for_card(&name);
        reader.connect().expect("connect to the card");
        let read = reader::read_document(&mut reader, &key(&d), ReaderOptions::default())
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(read.face().unwrap().image, profile.document.face);
        eprintln!(
            "{} via pcscd: {:?}, {} APDUs",
            path.file_name().unwrap().to_string_lossy(),
            read.access,
            read.stats.apdus
        );
        reader.disconnect();
        vpcd.remove();
        wait_for_removal(&mut reader);
        n += 1;
    }
    assert!(n >= 8);
}

#[test]
fn a_card_pulled_mid_read_is_a_clear_error() {
    require_pcscd();
    let (addr, name) = slot(1);
    // A slow link so the read takes a few seconds; pull the card half-way.
    let slow = LinkModel {
        bit_rate: 106_000,
        turnaround: Duration::from_millis(100),
    };
    let mut vpcd = VpcdSlot::new(
        addr.as_str(),
        VpcdOptions {
            realtime: Some(slow),
        },
    )
    .unwrap();
    let d = doc(&Profile::specimen());
    vpcd.insert(VirtualChip::new(d.chip.clone())).unwrap();
    let mut reader = wait_for_card(&name);
    reader.connect().unwrap();
    let puller = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(1200));
        vpcd.remove();
        vpcd
    });
    let r = reader::read_document(&mut reader, &key(&d), ReaderOptions::default());
    let _vpcd = puller.join().unwrap();
    match r {
        Err(ReadError::Transport(e)) => {
            assert_eq!(
                e.kind(),
                document::reader::TransportErrorKind::Disconnected,
                "{e}"
            )
        }
        other => panic!("expected a transport error, got {other:?}"),
    }
    // The adapter itself reports the removal clearly too.
    let e = reader.transmit(&[0x00, 0xA4, 0x00, 0x0C]).unwrap_err();
    assert!(
        matches!(e, PcscError::CardRemoved | PcscError::NoCard),
        "{e:?}"
    );
    assert_eq!(e.kind(), hardware::error::ErrorKind::Disconnected);
}
