//! The simulated MRZ scanner: writes a document's MRZ to a pty the way a serial OCR reader
//! sends it, so the production adapter (`hardware::scanner::SerialMrzScanner`) reads it from
//! a real serial device path.
//!
//! Framing ([`frame`]): STX, each line followed by CR, ETX — the 3M/Gemalto RTE/AT9000
//! family's `<STX>[line]<CR>[line]<CR><ETX>` text block without its length header and BCC,
//! and what `hardware::scanner::MrzLineAssembler` documents accepting ("text lines
//! terminated by CR and/or LF, often wrapped in STX/ETX"). The lines go out as given, not
//! checked, so a test can send a torn or misprinted MRZ on purpose.
//!
//! MRZ text is personal data in principle: nothing here logs it, and [`frame`]'s caller
//! should zeroize the bytes after [`SimScanner::send`].

use tokio::io::AsyncWriteExt;

use crate::controller::SimError;
use crate::pty::Pty;

/// Start of text, before the first line.
pub const STX: u8 = 0x02;
/// End of text, after the last line's CR.
pub const ETX: u8 = 0x03;

/// The bytes an OCR reader sends for one document: STX, each line + CR, ETX.
pub fn frame<S: AsRef<str>>(lines: &[S]) -> Vec<u8> {
    let mut out = Vec::with_capacity(2 + lines.iter().map(|l| l.as_ref().len() + 1).sum::<usize>());
    out.push(STX);
    for line in lines {
        out.extend_from_slice(line.as_ref().as_bytes());
        out.push(b'\r');
    }
    out.push(ETX);
    out
}

/// A simulated scanner on a pty. Documents sent while no program has the port open stay in
/// the pty's buffer and are read by the next program that opens it (a few KiB at most: past
/// that, [`SimScanner::send`] waits for a reader).
#[derive(Debug)]
pub struct SimScanner {
    pty: Pty,
}

impl SimScanner {
    /// Opens the pty pair. Must be called inside a tokio runtime.
    pub fn open() -> Result<SimScanner, SimError> {
        Ok(SimScanner { pty: Pty::open()? })
    }

    /// The port path the program under test opens.
    pub fn path(&self) -> &str {
        self.pty.path()
    }

    /// Writes bytes (usually a [`frame`]) to the line.
    pub async fn send(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.pty.master.write_all(bytes).await?;
        self.pty.master.flush().await
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use hardware::scanner::{MrzFormat, MrzLineAssembler, ScanEvent};

    use super::*;

    #[test]
    fn the_production_assembler_reads_a_framed_document() {
        let td3 = document::mrz::specimen::TD3;
        let bytes = frame(&td3);
        assert_eq!(bytes[0], STX);
        assert_eq!(&bytes[bytes.len() - 2..], b"\r\x03");
        let mut asm = MrzLineAssembler::default();
        let events = asm.push(Instant::now(), &bytes);
        let [ScanEvent::Read(read)] = events.as_slice() else {
            panic!("{events:?}")
        };
        assert_eq!(read.format(), MrzFormat::Td3);
        assert_eq!(read.lines(), td3);
    }
}
