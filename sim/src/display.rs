//! The simulated traveller display: a pty whose lines (the `MSG <code> <lamp> <lang>=<text>|...`
//! protocol of `hardware::display`, CR LF terminated) are handed to the caller, so a test or
//! a demo sees what the production `LineDisplay` would show a traveller.

use tokio::io::AsyncReadExt;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::controller::SimError;
use crate::pty::Pty;

/// A line longer than this is cut (the display protocol's lines are a few hundred bytes).
pub const MAX_LINE: usize = 4096;

/// Cuts a byte stream into lines at LF; CR is dropped; invalid UTF-8 is replaced.
/// Sans-IO and panic-free on any input.
#[derive(Debug, Default)]
pub struct LineSplitter {
    buf: Vec<u8>,
}

impl LineSplitter {
    /// Adds received bytes; returns the lines they complete (empty lines skipped).
    pub fn push(&mut self, bytes: &[u8]) -> Vec<String> {
        let mut out = Vec::new();
        for &b in bytes {
            match b {
                b'\n' => {
                    let line = std::mem::take(&mut self.buf);
                    if !line.is_empty() {
                        out.push(String::from_utf8_lossy(&line).into_owned());
                    }
                }
                b'\r' => {}
                _ if self.buf.len() < MAX_LINE => self.buf.push(b),
                _ => {}
            }
        }
        out
    }
}

/// A simulated display on a pty; dropping it closes the pty.
#[derive(Debug)]
pub struct SimDisplay {
    path: String,
    task: JoinHandle<()>,
}

impl SimDisplay {
    /// Opens the pty pair and starts reading; each complete line arrives on the receiver.
    /// Must be called inside a tokio runtime.
    pub fn open() -> Result<(SimDisplay, mpsc::UnboundedReceiver<String>), SimError> {
        let pty = Pty::open()?;
        let path = pty.path().to_string();
        let (tx, rx) = mpsc::unbounded_channel();
        let task = tokio::spawn(async move {
            // The whole pty, its held slave side included, lives as long as the task (an
            // async block would otherwise capture only the field it uses).
            let mut pty = pty;
            let mut lines = LineSplitter::default();
            let mut buf = [0u8; 512];
            loop {
                match pty.master.read(&mut buf).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => {
                        for line in lines.push(&buf[..n]) {
                            if tx.send(line).is_err() {
                                return;
                            }
                        }
                    }
                }
            }
        });
        Ok((SimDisplay { path, task }, rx))
    }

    /// The port path the program under test opens.
    pub fn path(&self) -> &str {
        &self.path
    }
}

impl Drop for SimDisplay {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_crlf_lines_across_chunks() {
        let mut s = LineSplitter::default();
        assert!(s.push(b"MSG welcome off en=Wel").is_empty());
        assert_eq!(
            s.push(b"come\r\n\r\nMSG see-officer red en=Please see an officer\r\n"),
            vec![
                "MSG welcome off en=Welcome".to_string(),
                "MSG see-officer red en=Please see an officer".to_string()
            ]
        );
        let long = vec![b'x'; MAX_LINE + 10];
        let got = s.push(&[&long[..], b"\n"].concat());
        assert_eq!(got[0].len(), MAX_LINE);
    }
}
