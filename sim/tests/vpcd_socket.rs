//! The card side of the vpcd link sets the socket options that keep TCP's delayed ACK out of
//! every APDU (see the module docs of `sim::vpcd`): TCP_NODELAY, and TCP_QUICKACK re-armed
//! after each exchange. Checked by reading them back from the kernel (getsockopt; TCP_QUICKACK
//! at each message from vpcd, where it matters), not by timing. Needs pcscd: run under `scripts/with-pcscd.sh cargo test -p sim --test vpcd_socket`.

mod common;

use common::pcscd::{require_pcscd, slot, wait_for_card, wait_for_removal};
use document::mrz::Mrz;
use document::reader::{self, AccessKey, ReaderOptions};
use sim::chip::VirtualChip;
use sim::factory::{self, pki::TestPki, profile::Profile};
use sim::vpcd::{VpcdOptions, VpcdSlot};

#[test]
fn the_card_socket_acknowledges_at_once_after_a_whole_read() {
    require_pcscd();
    let (addr, name) = slot(0);
    let profile = Profile::specimen();
    let pki = TestPki::generate(&profile.pki_seed, &profile.pki_country);
    let doc = factory::build(&profile.document, &pki);
    let lines: Vec<&str> = doc.printed_mrz.lines().collect();
    let key = AccessKey::from(&Mrz::parse(&lines).unwrap());

    let mut vpcd = VpcdSlot::new(addr.as_str(), VpcdOptions::default()).unwrap();
    assert_eq!(
        vpcd.socket_options().unwrap_err().kind(),
        std::io::ErrorKind::NotConnected,
        "no card, no socket"
    );
    vpcd.insert(VirtualChip::new(doc.chip.clone())).unwrap();
    let mut reader = wait_for_card(&name);
    reader.connect().unwrap();
    // A whole read: a few dozen commands, each answered at once. Linux puts a socket that
    // answers right after receiving into delayed-ACK ("pingpong") mode, where getsockopt reads
    // TCP_QUICKACK as 0; an implementation that set it once at connect fails here, at every
    // command after the first.
    let read = reader::read_document(&mut reader, &key, ReaderOptions::default()).unwrap();
    assert!(read.stats.apdus > 20, "{} APDUs", read.stats.apdus);
    assert!(vpcd.apdu_count() >= u64::from(read.stats.apdus));
    let o = vpcd
        .socket_options()
        .expect("getsockopt on the card socket");
    assert!(o.nodelay, "TCP_NODELAY not set on the card socket: {o:?}");
    let acks = vpcd.ack_report();
    assert!(
        acks.messages >= u64::from(read.stats.apdus),
        "every command counted: {acks:?}"
    );
    if cfg!(target_os = "linux") {
        assert_eq!(
            acks.quickack, acks.messages,
            "TCP_QUICKACK not set when vpcd's messages arrived: {acks:?}"
        );
    }
    reader.disconnect();
    vpcd.remove();
    wait_for_removal(&mut reader);
    assert!(vpcd.socket_options().is_err(), "the card was removed");
}
