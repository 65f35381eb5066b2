//! The serial MRZ scanner's line assembler on arbitrary bytes, cut at arbitrary points, with
//! time jumping: never a panic, and every read it reports is 2 × 44, 2 × 36 or 3 × 30
//! characters of the MRZ alphabet.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    use hardware::scanner::{MrzLineAssembler, ScanEvent};
    use std::time::{Duration, Instant};

    let Some((&chunk, bytes)) = data.split_first() else {
        return;
    };
    let chunk = usize::from(chunk % 32) + 1;
    let mut now = Instant::now();
    let mut asm = MrzLineAssembler::new(Duration::from_millis(300));
    for piece in bytes.chunks(chunk) {
        // The first byte of each piece moves the clock by 0..=255 ms.
        now += Duration::from_millis(u64::from(piece[0]));
        let mut events = asm.push(now, piece);
        events.extend(asm.handle_timeout(now));
        for event in events {
            if let ScanEvent::Read(read) = event {
                let (count, len) = read.format().shape();
                assert_eq!(read.lines().len(), count);
                for line in read.lines() {
                    assert_eq!(line.len(), len);
                    assert!(line
                        .bytes()
                        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'<'));
                }
            }
        }
    }
});
