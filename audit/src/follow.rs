//! Reading a trail while its writer appends: each call hands over the complete lines added
//! since the last one (a line still being written waits for its newline).

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use crate::AuditError;

/// Follows one trail file from its start.
#[derive(Debug)]
pub struct Follower {
    path: PathBuf,
    /// Bytes of whole lines handed over so far.
    offset: u64,
}

impl Follower {
    /// A follower that has read nothing yet.
    pub fn new(path: &Path) -> Self {
        Self {
            path: path.to_path_buf(),
            offset: 0,
        }
    }

    /// Calls `line` for every complete line appended since the last call, in order. A trail
    /// that is not there yet has no lines.
    pub fn read_new(&mut self, mut line: impl FnMut(&str)) -> Result<(), AuditError> {
        let io = |source| AuditError::Io {
            path: self.path.clone(),
            source,
        };
        let mut f = match File::open(&self.path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(io(e)),
        };
        let len = f.metadata().map_err(io)?.len();
        if len < self.offset {
            // Shorter than what was read: not the same file any more. Start again.
            self.offset = 0;
        }
        f.seek(SeekFrom::Start(self.offset)).map_err(io)?;
        let mut bytes = Vec::new();
        f.take(len - self.offset)
            .read_to_end(&mut bytes)
            .map_err(io)?;
        let Some(end) = bytes.iter().rposition(|&b| b == b'\n') else {
            return Ok(());
        };
        for l in bytes[..end].split(|&b| b == b'\n') {
            line(&String::from_utf8_lossy(l));
        }
        self.offset += end as u64 + 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn hands_over_whole_lines_once_and_waits_for_a_torn_one() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("t.jsonl");
        let mut fo = Follower::new(&p);
        let mut got = Vec::new();
        fo.read_new(|l| got.push(l.to_string())).unwrap();
        assert!(got.is_empty());
        let mut f = std::fs::File::create(&p).unwrap();
        f.write_all(b"a\nb\nc").unwrap();
        fo.read_new(|l| got.push(l.to_string())).unwrap();
        assert_eq!(got, ["a", "b"]);
        f.write_all(b"d\ne\n").unwrap();
        fo.read_new(|l| got.push(l.to_string())).unwrap();
        assert_eq!(got, ["a", "b", "cd", "e"]);
        fo.read_new(|l| got.push(l.to_string())).unwrap();
        assert_eq!(got.len(), 4);
    }
}
