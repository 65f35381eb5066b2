//! The read habits of real chips through pcscd + vpcd, read by the production path: the PC/SC
//! adapter of `hardware` and document's reader (issue #13, item 1). The chip answers over a
//! modelled contactless link (424 kbit/s, 5 ms per APDU) in real time, so the cost of each
//! recovery is wall time. Needs pcscd: run under `scripts/with-pcscd.sh`.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::pcscd::{require_pcscd, slot, wait_for_card, wait_for_removal};
use document::mrz::Mrz;
use document::reader::{self, AccessKey, ReaderOptions};
use sim::chip::{LinkModel, VirtualChip};
use sim::factory::{self, pki::TestPki, profile::Profile};
use sim::vpcd::{VpcdOptions, VpcdSlot};

#[test]
fn every_habit_profile_reads_through_pcscd_and_vpcd() {
    require_pcscd();
    let (addr, name) = slot(0);
    let mut vpcd = VpcdSlot::new(
        addr.as_str(),
        VpcdOptions {
            realtime: Some(LinkModel::TYPICAL),
        },
    )
    .unwrap();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("profiles");
    // (profile, recoveries expected)
    let habits = [
        ("specimen.toml", 0),
        ("sm-ends-on-plain-status.toml", 2),
        ("truncates-to-fit.toml", 0),
        ("6cxx.toml", 0),
        ("end-of-file-6282.toml", 0),
        ("big-dg2-40k.toml", 0),
    ];
    for (file, recoveries) in habits {
        let profile = Profile::load(&dir.join(file)).unwrap();
        let pki = TestPki::generate(&profile.pki_seed, &profile.pki_country);
        let d = factory::build(&profile.document, &pki);
        let lines: Vec<&str> = d.printed_mrz.lines().collect();
        let key = AccessKey::from(&Mrz::parse(&lines).unwrap());
        vpcd.insert(VirtualChip::new(d.chip.clone()))
            .expect("connect to vpcd");
        let mut pcsc = wait_for_card(&name);
        pcsc.connect().expect("connect to the card");
        let start = Instant::now();
        let read = reader::read_document(&mut pcsc, &key, ReaderOptions::default())
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        let took = start.elapsed();
        assert_eq!(read.face().unwrap().image, profile.document.face, "{file}");
        assert_eq!(read.stats.recoveries.len(), recoveries, "{file}");
        assert_eq!(
            read.chip_authentication,
            Some(document::ca::CaVerdict::Passed),
            "{file}"
        );
        let dg2 = read.stats.steps.iter().find(|s| s.step == "DG2").unwrap();
        eprintln!(
            "{file} via pcscd: {:?}, {} APDUs, read {took:?}; DG2 {} bytes in {} APDUs, {:?}",
            read.access, read.stats.apdus, dg2.file_bytes, dg2.apdus, dg2.duration
        );
        let mut cost = Duration::ZERO;
        for r in &read.stats.recoveries {
            eprintln!(
                "  recovery in {} at offset {}: {} to Le {}, resumed with Le {}: {} APDUs, {:?}",
                r.file, r.offset, r.status, r.le_before, r.le_after, r.apdus, r.duration
            );
            assert!(r.duration > Duration::ZERO);
            cost += r.duration;
        }
        if recoveries > 0 {
            eprintln!("  recoveries cost {cost:?} of {took:?}");
        }
        pcsc.disconnect();
        vpcd.remove();
        wait_for_removal(&mut pcsc);
    }
}
