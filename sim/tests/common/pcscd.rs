//! Test helper: tests that need pcscd with the vpcd readers call [`require_pcscd`], which
//! fails the test with instructions when no such pcscd answers (never skips silently).
//!
//! Run them beside a private pcscd: `scripts/with-pcscd.sh cargo test -p sim` (isolated
//! namespaces; CI), or after `scripts/pcscd.sh start` (the machine's pcscd with 8 readers).

use std::time::{Duration, Instant};

use hardware::pcsc_reader::{self, CardEvent, PcscReader};

/// vpcd port and PC/SC reader name of virtual reader `i` (0 or 1), as configured by
/// scripts/with-pcscd.sh: "Virtual PCD 00 00" on 35963, "Virtual PCD 00 01" on 35964.
pub fn slot(i: u16) -> (String, String) {
    (
        format!("127.0.0.1:{}", 35963 + i),
        format!("Virtual PCD 00 {:02}", i % 2),
    )
}

/// Panics with a clear message unless pcscd answers and lists the virtual readers.
pub fn require_pcscd() {
    let hint = "this test needs pcscd with vsmartcard-vpcd readers: run it as \
                `scripts/with-pcscd.sh cargo test -p sim` (or start pcscd with \
                `scripts/pcscd.sh start` first)";
    match pcsc_reader::list_readers() {
        Ok(readers) if readers.iter().any(|r| r.starts_with("Virtual PCD")) => {}
        Ok(readers) => panic!("pcscd runs but has no vpcd reader ({readers:?}); {hint}"),
        Err(e) => panic!("pcscd not reachable ({e}); {hint}"),
    }
}

/// Opens reader `name` and waits until a card is present.
pub fn wait_for_card(name: &str) -> PcscReader {
    let mut reader = PcscReader::open(Some(name)).expect("open reader");
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        if reader.card_present().unwrap_or(false) {
            return reader;
        }
        assert!(
            Instant::now() < deadline,
            "{name}: no card 15 s after connecting to vpcd; is this pcscd's vpcd configured with \
             a single reader.conf entry on port 35963 (scripts/with-pcscd.sh does that)?"
        );
        let _ = reader.wait_event(Duration::from_millis(500));
    }
}

/// Waits for the removal event on `reader`.
pub fn wait_for_removal(reader: &mut PcscReader) {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        if !reader.card_present().unwrap_or(true) {
            return;
        }
        assert!(Instant::now() < deadline, "card still present after 15 s");
        if let Ok(Some(CardEvent::Removed)) = reader.wait_event(Duration::from_millis(500)) {
            return;
        }
    }
}
