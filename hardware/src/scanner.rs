//! The serial MRZ scanner: OCR readers that send the machine-readable zone of a document as
//! text lines terminated by CR and/or LF (often wrapped in STX/ETX).
//!
//! [`MrzLineAssembler`] is sans-IO and panic-free on any byte stream (fuzzed by
//! `fuzz/fuzz_targets/hw_mrz_scanner.rs`): it cuts lines, drops garbage, and groups consecutive
//! lines of one document into one read — ICAO Doc 9303 formats: TD1 is 3 lines of 30
//! characters, TD2 2 × 36, TD3 (passport) 2 × 44, and visas (MRV-B, MRV-A; 9303-7) take the
//! TD2 and TD3 shapes with a `V` document code; the character set is `A–Z 0–9 <`
//! (Doc 9303-3 §4.3). Check digits and field meanings belong to the `document` crate.
//! [`SerialMrzScanner`] runs it on a serial port.
//!
//! MRZ text is personal data: [`MrzRead`] never prints its content in `Debug` and is zeroized
//! on drop.

use std::time::{Duration, Instant};

use tokio::io::AsyncReadExt;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_serial::SerialPortBuilderExt;
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::error::ErrorKind;

/// The longest line kept; anything longer is garbage (a TD3 line is 44 characters).
const MAX_LINE: usize = 64;

pub use document::mrz::MrzFormat;

/// The layout a line of `len` characters belongs to and its line count (ICAO Doc 9303-4/5/6);
/// `visa` when the document code starts with `V` (9303-7: MRV-A and MRV-B share the TD3 and
/// TD2 shapes).
fn format_of(len: usize, visa: bool) -> Option<(MrzFormat, usize)> {
    match (len, visa) {
        (30, _) => Some((MrzFormat::Td1, 3)),
        (36, false) => Some((MrzFormat::Td2, 2)),
        (36, true) => Some((MrzFormat::MrvB, 2)),
        (44, false) => Some((MrzFormat::Td3, 2)),
        (44, true) => Some((MrzFormat::MrvA, 2)),
        _ => None,
    }
}

/// One complete MRZ read. `Debug` shows only the format; the text is zeroized on drop.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct MrzRead {
    #[zeroize(skip)]
    format: MrzFormat,
    lines: Vec<String>,
}

impl MrzRead {
    /// The layout.
    pub fn format(&self) -> MrzFormat {
        self.format
    }

    /// The lines, top to bottom.
    pub fn lines(&self) -> &[String] {
        &self.lines
    }
}

impl std::fmt::Debug for MrzRead {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MrzRead")
            .field("format", &self.format)
            .field("lines", &"<redacted>")
            .finish()
    }
}

/// What the scanner reports.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ScanEvent {
    /// A complete MRZ.
    Read(MrzRead),
    /// Bytes that did not form an MRZ line, or an incomplete read that was abandoned.
    Rejected(RejectReason),
    /// The port failed; the adapter stops.
    Disconnected(ScannerError),
}

/// Why input was dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RejectReason {
    /// A line with characters outside `A–Z 0–9 <`.
    BadCharacters,
    /// A line whose length is not 30, 36 or 44.
    BadLength,
    /// A read stopped before all its lines arrived (different length or too late).
    Incomplete,
}

/// A scanner error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ScannerError {
    /// The port could not be opened or failed.
    #[error("MRZ scanner port {port}: {message}")]
    Port {
        /// The port path.
        port: String,
        /// The OS error.
        message: String,
    },
}

impl ScannerError {
    /// The kind, for the driver.
    pub fn kind(&self) -> ErrorKind {
        ErrorKind::Disconnected
    }
}

/// Cuts a byte stream into MRZ reads. Sans-IO: time is an argument.
#[derive(Debug)]
pub struct MrzLineAssembler {
    line: Vec<u8>,
    overlong: bool,
    pending: Vec<String>,
    pending_since: Option<Instant>,
    line_gap: Duration,
}

impl Default for MrzLineAssembler {
    fn default() -> Self {
        Self::new(Duration::from_millis(500))
    }
}

impl Drop for MrzLineAssembler {
    fn drop(&mut self) {
        self.line.zeroize();
        self.pending.zeroize();
    }
}

impl MrzLineAssembler {
    /// An assembler that abandons a read whose next line is more than `line_gap` late.
    pub fn new(line_gap: Duration) -> Self {
        MrzLineAssembler {
            line: Vec::with_capacity(MAX_LINE),
            overlong: false,
            pending: Vec::new(),
            pending_since: None,
            line_gap,
        }
    }

    /// Feeds received bytes at `now`; returns the events they complete.
    pub fn push(&mut self, now: Instant, bytes: &[u8]) -> Vec<ScanEvent> {
        let mut out = Vec::new();
        for &b in bytes {
            match b {
                b'\r' | b'\n' => self.end_line(now, &mut out),
                // STX / ETX framing some readers add.
                0x02 | 0x03 => {}
                _ if self.line.len() < MAX_LINE => self.line.push(b),
                _ => self.overlong = true,
            }
        }
        out
    }

    /// Drops a read whose lines stopped coming; call when the line has been idle.
    pub fn handle_timeout(&mut self, now: Instant) -> Option<ScanEvent> {
        let since = self.pending_since?;
        if now.saturating_duration_since(since) < self.line_gap {
            return None;
        }
        self.abandon()
            .then_some(ScanEvent::Rejected(RejectReason::Incomplete))
    }

    fn abandon(&mut self) -> bool {
        let had = !self.pending.is_empty();
        self.pending.zeroize();
        self.pending.clear();
        self.pending_since = None;
        had
    }

    fn end_line(&mut self, now: Instant, out: &mut Vec<ScanEvent>) {
        let overlong = std::mem::take(&mut self.overlong);
        let mut raw = std::mem::take(&mut self.line);
        // Readers pad with spaces or tabs; they are never part of an MRZ.
        let text: Vec<u8> = raw
            .iter()
            .copied()
            .filter(|b| *b != b' ' && *b != b'\t')
            .collect();
        raw.zeroize();
        if text.is_empty() && !overlong {
            // CRLF or a blank line between reads.
            return;
        }
        if let Some(ev) = self.handle_timeout(now) {
            out.push(ev);
        }
        let reject = |out: &mut Vec<ScanEvent>, this: &mut Self, reason| {
            if this.abandon() {
                out.push(ScanEvent::Rejected(RejectReason::Incomplete));
            }
            out.push(ScanEvent::Rejected(reason));
        };
        if overlong {
            return reject(out, self, RejectReason::BadLength);
        }
        if !text
            .iter()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || *b == b'<')
        {
            return reject(out, self, RejectReason::BadCharacters);
        }
        let Some((format, count)) = format_of(text.len(), false) else {
            return reject(out, self, RejectReason::BadLength);
        };
        if self.pending.first().is_some_and(|l| l.len() != text.len()) && self.abandon() {
            out.push(ScanEvent::Rejected(RejectReason::Incomplete));
        }
        // The bytes are ASCII, checked above.
        self.pending
            .push(text.iter().map(|&b| char::from(b)).collect());
        self.pending_since = Some(now);
        if self.pending.len() == count {
            let lines = std::mem::take(&mut self.pending);
            self.pending_since = None;
            let visa = lines[0].starts_with('V');
            let format = format_of(text.len(), visa).map_or(format, |(f, _)| f);
            out.push(ScanEvent::Read(MrzRead { format, lines }));
        }
    }
}

/// The scanner adapter: reads a serial port and sends [`ScanEvent`]s. Dropping it stops it.
#[derive(Debug)]
pub struct SerialMrzScanner {
    task: JoinHandle<()>,
}

impl SerialMrzScanner {
    /// Opens `port` at `baud` (8N1, the usual for OCR readers) and starts reading. Must be
    /// called inside a tokio runtime.
    pub fn open(
        port: &str,
        baud: u32,
    ) -> Result<(SerialMrzScanner, mpsc::UnboundedReceiver<ScanEvent>), ScannerError> {
        let mut stream = tokio_serial::new(port, baud)
            .open_native_async()
            .map_err(|e| ScannerError::Port {
                port: port.to_string(),
                message: e.to_string(),
            })?;
        let (tx, rx) = mpsc::unbounded_channel();
        let port = port.to_string();
        let task = tokio::spawn(async move {
            let mut asm = MrzLineAssembler::default();
            let mut buf = [0u8; 256];
            loop {
                let read =
                    tokio::time::timeout(Duration::from_millis(100), stream.read(&mut buf)).await;
                let now = Instant::now();
                let events = match read {
                    Err(_) => asm.handle_timeout(now).into_iter().collect(),
                    Ok(Ok(n)) if n > 0 => asm.push(now, &buf[..n]),
                    Ok(Ok(_)) => vec![ScanEvent::Disconnected(ScannerError::Port {
                        port: port.clone(),
                        message: "end of stream".into(),
                    })],
                    Ok(Err(e)) => vec![ScanEvent::Disconnected(ScannerError::Port {
                        port: port.clone(),
                        message: e.to_string(),
                    })],
                };
                buf.zeroize();
                for ev in events {
                    let stop = matches!(ev, ScanEvent::Disconnected(_));
                    if tx.send(ev).is_err() || stop {
                        return;
                    }
                }
            }
        });
        Ok((SerialMrzScanner { task }, rx))
    }
}

impl Drop for SerialMrzScanner {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use document::mrz::specimen::{TD1, TD3};

    fn reads(events: &[ScanEvent]) -> Vec<(MrzFormat, Vec<String>)> {
        events
            .iter()
            .filter_map(|e| match e {
                ScanEvent::Read(r) => Some((r.format(), r.lines().to_vec())),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn assembles_td3_and_td1_with_any_terminator_and_chunking() {
        let t = Instant::now();
        let mut asm = MrzLineAssembler::default();
        let stream = format!(
            "\x02{}\r\n{}\r\n\x03\n{}\r{}\r{}\r",
            TD3[0], TD3[1], TD1[0], TD1[1], TD1[2]
        );
        let mut events = Vec::new();
        for chunk in stream.as_bytes().chunks(7) {
            events.extend(asm.push(t, chunk));
        }
        let got = reads(&events);
        assert_eq!(got.len(), 2, "{events:?}");
        assert_eq!(got[0].0, MrzFormat::Td3);
        assert_eq!(got[0].1, TD3.map(String::from).to_vec());
        assert_eq!(got[1].0, MrzFormat::Td1);
        assert!(
            !format!("{events:?}").contains("ERIKSSON"),
            "MRZ leaked into Debug"
        );
    }

    #[test]
    fn a_visa_is_told_from_a_passport_of_the_same_shape() {
        // ICAO Doc 9303-7 Appendix: the MRV-A specimen.
        let mrv_a = [
            "V<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
            "L8988901C4XXX4009078F96121096ZE184226B<<<<<<",
        ];
        let mut asm = MrzLineAssembler::default();
        let events = asm.push(
            Instant::now(),
            format!("{}\r{}\r", mrv_a[0], mrv_a[1]).as_bytes(),
        );
        assert_eq!(reads(&events)[0].0, MrzFormat::MrvA);
    }

    #[test]
    fn garbage_and_stale_partials_are_rejected() {
        let t = Instant::now();
        let mut asm = MrzLineAssembler::new(Duration::from_millis(300));
        let ev = asm.push(t, b"hello world\n\xff\xfe\x00\n");
        assert_eq!(
            ev,
            vec![
                ScanEvent::Rejected(RejectReason::BadCharacters),
                ScanEvent::Rejected(RejectReason::BadCharacters)
            ]
        );
        // A first line, then the second comes too late: the first is dropped.
        assert!(asm.push(t, format!("{}\n", TD3[0]).as_bytes()).is_empty());
        let late = t + Duration::from_millis(400);
        let ev = asm.push(late, format!("{}\n", TD3[1]).as_bytes());
        assert_eq!(ev, vec![ScanEvent::Rejected(RejectReason::Incomplete)]);
        assert_eq!(
            asm.handle_timeout(late + Duration::from_secs(1)),
            Some(ScanEvent::Rejected(RejectReason::Incomplete))
        );
        // An endless line without terminator is capped, then rejected.
        let ev = asm.push(late, &[b'A'; 10_000]);
        assert!(ev.is_empty());
        assert_eq!(
            asm.push(late, b"\n"),
            vec![ScanEvent::Rejected(RejectReason::BadLength)]
        );
    }

    proptest::proptest! {
        #[test]
        fn never_panics_and_finds_an_embedded_read(noise in proptest::collection::vec(proptest::num::u8::ANY, 0..400), cut in 0usize..90) {
            let t = Instant::now();
            let mut asm = MrzLineAssembler::default();
            let _ = asm.push(t, &noise);
            let _ = asm.handle_timeout(t + Duration::from_secs(5));
            // After a line break, a clean read is still found, however it is chunked.
            let clean = format!("\n{}\r\n{}\r\n", TD3[0], TD3[1]);
            let (a, b) = clean.as_bytes().split_at(cut.min(clean.len()));
            let mut events = asm.push(t + Duration::from_secs(6), a);
            events.extend(asm.push(t + Duration::from_secs(6), b));
            proptest::prop_assert_eq!(reads(&events).len(), 1);
        }
    }
}
