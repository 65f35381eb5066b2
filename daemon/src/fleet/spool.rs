//! The fleet publisher's disk buffer: every event is appended here first and leaves only
//! once the broker has acknowledged it, so a gate that loses its broker (or restarts while
//! it is away) catches up from disk.
//!
//! Two files in the spool folder: `events.jsonl`, one [`Record`] per line, appended; and
//! `acked`, the byte offset up to which the broker acknowledged. When everything is
//! acknowledged both are reset to empty. A record is written (not fsync'd) before it is
//! sent: it survives a crash of the daemon; the audit trail, fsync'd per record, stays the
//! record of truth after a power loss.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

/// One event waiting for the broker.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Record {
    /// The `Nats-Msg-Id`: JetStream drops a second message with the same id.
    pub id: String,
    /// The subject.
    pub subject: String,
    /// The message body (JSON).
    pub data: serde_json::Value,
}

/// Errors of the spool.
#[derive(Debug, thiserror::Error)]
pub enum SpoolError {
    /// A spool file cannot be read or written.
    #[error("fleet spool {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

struct Inner {
    events: File,
    /// Bytes in `events.jsonl`.
    len: u64,
    /// Bytes acknowledged.
    acked: u64,
}

/// The disk buffer.
pub struct Spool {
    events_path: PathBuf,
    acked_path: PathBuf,
    inner: Mutex<Inner>,
}

impl Spool {
    /// Opens (or creates) the spool in `dir`. A last line cut short by a crash is dropped.
    pub fn open(dir: &Path) -> Result<Spool, SpoolError> {
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| SpoolError::Io { path, source }
        };
        std::fs::create_dir_all(dir).map_err(io(dir))?;
        let events_path = dir.join("events.jsonl");
        let acked_path = dir.join("acked");
        let events = OpenOptions::new()
            .create(true)
            .read(true)
            .append(true)
            .open(&events_path)
            .map_err(io(&events_path))?;
        let text = std::fs::read(&events_path).map_err(io(&events_path))?;
        let whole = text.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1) as u64;
        if whole < text.len() as u64 {
            events.set_len(whole).map_err(io(&events_path))?;
        }
        let acked = std::fs::read_to_string(&acked_path)
            .ok()
            .and_then(|s| s.trim().parse::<u64>().ok())
            .unwrap_or(0)
            .min(whole);
        Ok(Spool {
            events_path,
            acked_path,
            inner: Mutex::new(Inner {
                events,
                len: whole,
                acked,
            }),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves consistent offsets (each write is whole).
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Appends a record.
    pub fn append(&self, record: &Record) -> Result<(), SpoolError> {
        let mut line = serde_json::to_vec(record).unwrap_or_default();
        line.push(b'\n');
        let mut inner = self.lock();
        inner
            .events
            .write_all(&line)
            .map_err(|source| SpoolError::Io {
                path: self.events_path.clone(),
                source,
            })?;
        inner.len += line.len() as u64;
        Ok(())
    }

    /// Records not yet acknowledged, up to `max`, each with the offset just past it.
    pub fn pending(&self, max: usize) -> Result<Vec<(u64, Record)>, SpoolError> {
        let (from, to) = {
            let inner = self.lock();
            (inner.acked, inner.len)
        };
        if from >= to {
            return Ok(Vec::new());
        }
        let io = |source| SpoolError::Io {
            path: self.events_path.clone(),
            source,
        };
        let mut f = File::open(&self.events_path).map_err(io)?;
        f.seek(SeekFrom::Start(from)).map_err(io)?;
        let mut reader = BufReader::new(f).take(to - from);
        let mut out = Vec::new();
        let mut at = from;
        let mut line = Vec::new();
        while out.len() < max {
            line.clear();
            let n = reader.read_until(b'\n', &mut line).map_err(io)?;
            if n == 0 || line.last() != Some(&b'\n') {
                break;
            }
            at += n as u64;
            // A line that does not parse (a damaged disk) is skipped, not retried forever.
            if let Ok(record) = serde_json::from_slice::<Record>(&line) {
                out.push((at, record));
            }
        }
        Ok(out)
    }

    /// The broker acknowledged everything before `offset`.
    pub fn ack(&self, offset: u64) -> Result<(), SpoolError> {
        let mut inner = self.lock();
        if offset <= inner.acked {
            return Ok(());
        }
        inner.acked = offset.min(inner.len);
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| SpoolError::Io { path, source }
        };
        if inner.acked == inner.len {
            inner.events.set_len(0).map_err(io(&self.events_path))?;
            inner.len = 0;
            inner.acked = 0;
        }
        std::fs::write(&self.acked_path, inner.acked.to_string()).map_err(io(&self.acked_path))
    }

    /// Records waiting.
    pub fn is_empty(&self) -> bool {
        let inner = self.lock();
        inner.acked >= inner.len
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(i: u32) -> Record {
        Record {
            id: format!("g-1-{i}"),
            subject: "egate.events.g.passage".into(),
            data: serde_json::json!({ "seq": i }),
        }
    }

    #[test]
    fn records_leave_only_when_acknowledged_and_survive_a_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let s = Spool::open(dir.path()).unwrap();
        for i in 0..5 {
            s.append(&rec(i)).unwrap();
        }
        let p = s.pending(2).unwrap();
        assert_eq!(
            p.iter().map(|(_, r)| r.clone()).collect::<Vec<_>>(),
            [rec(0), rec(1)]
        );
        s.ack(p[1].0).unwrap();
        drop(s);
        // Reopened (a daemon restart): the three unacknowledged records are still there.
        let s = Spool::open(dir.path()).unwrap();
        let p = s.pending(10).unwrap();
        assert_eq!(
            p.iter().map(|(_, r)| r.id.clone()).collect::<Vec<_>>(),
            ["g-1-2", "g-1-3", "g-1-4"]
        );
        s.ack(p[2].0).unwrap();
        assert!(s.is_empty());
        assert_eq!(
            std::fs::metadata(dir.path().join("events.jsonl"))
                .unwrap()
                .len(),
            0
        );
        s.append(&rec(9)).unwrap();
        assert_eq!(s.pending(10).unwrap()[0].1, rec(9));
    }

    #[test]
    fn a_line_cut_short_by_a_crash_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let s = Spool::open(dir.path()).unwrap();
        s.append(&rec(0)).unwrap();
        drop(s);
        let mut f = OpenOptions::new()
            .append(true)
            .open(dir.path().join("events.jsonl"))
            .unwrap();
        f.write_all(b"{\"id\":\"g-1-1\",\"sub").unwrap();
        let s = Spool::open(dir.path()).unwrap();
        let p = s.pending(10).unwrap();
        assert_eq!(p.len(), 1);
        s.append(&rec(2)).unwrap();
        assert_eq!(s.pending(10).unwrap()[1].1, rec(2));
    }
}
