//! The audit trail: append-only, fsync'd, MAC-chained JSON lines with signed checkpoints,
//! written by one thread; and the keyed pseudonym that stands in for a document number.
//!
//! # Record format
//!
//! Each line is one record,
//! `{"seq":N,"ts_ms":T,"gate":G,"kind":K,"data":{..},"prev":P,"mac":M}` where
//! `M = HMAC-SHA-256(K_audit, the line's bytes up to ,"mac")` as 64 lower-case hex digits and
//! `P` is the previous record's `M` (64 zeros for the first); `seq` counts from 0. The MAC
//! covers the exact bytes written, so verifying needs no canonical JSON. Without the key
//! (a file only the daemon's user may read, [`AuditKey`]) nobody can alter, insert or
//! re-chain a record so that it verifies.
//!
//! A key holder could still cut the tail or rewrite the trail from some point on; the
//! anchors against that are checkpoints, written by the writer thread every
//! [`CHECKPOINT_EVERY`] records and after [`CHECKPOINT_IDLE`] without a new record (and at
//! [`AuditLog::close`]), each to the checkpoints file beside the trail (`<trail>.checkpoints`)
//! and to the log (target `egate::audit`, message `audit checkpoint`, which journald or
//! syslog keeps off the trail's disk):
//! `{"gate":G,"seq":S,"mac":M,"ts_ms":T,"cmac":C}` where record `S` has MAC `M` and
//! `C = HMAC-SHA-256(K_audit, "egate audit checkpoint\n" ‖ the bytes up to ,"cmac")`.
//! [`check_checkpoints`] (`egate audit verify --checkpoints FILE`) finds a cut tail (a
//! checkpoint names a record that is gone) and a rewritten middle (a checkpointed record's MAC
//! differs).
//!
//! `ts_ms` is the wall clock when the record is written. The writer also keeps the monotonic
//! time of its last record: a wall clock that moved more than [`CLOCK_STEP_TOLERANCE`] away
//! from where the monotonic time since then puts it (stepped by NTP or an operator, either
//! way) is recorded first, as a `clock_stepped` record with the expected and the new wall
//! time, so that timestamps that go back (or leap) are explained in the chain itself.
//!
//! A record is written and `fsync`ed before `append` returns: a passage whose record returned
//! is never lost. A line torn by a crash (no final newline) was never acknowledged; at open it
//! is cut off and the cut is itself recorded. The trail is created with mode 0640.
//!
//! What goes in: decisions, reason codes, timings, device events and officer actions. What
//! never goes in: images, embeddings, MRZ, names, document numbers — the caller passes a
//! [`Pseudonymizer`] value instead.
//!
//! [`stats`] turns trails into statistics (passages, outcomes, per-step failure rates,
//! availability, alarm response times) without any personal datum; [`Follower`] reads a
//! trail as it grows.
//!
//! Secrets and other files only their owner may read (the keys, tokens, accounts)
//! are written by [`private_file`], the one writer of such files in egate, and checked by
//! [`check_secret_file`] before use.

mod chain;
mod follow;
mod key;
mod private;
mod pseudonym;
pub mod stats;

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

pub use chain::{check_checkpoints, verify_file, Break, VerifyReport};
pub use follow::Follower;
pub use key::{check_secret_file, AuditKey, Exposure};
pub use private::private_file;
pub use pseudonym::Pseudonymizer;

/// A checkpoint follows at most this many records.
pub const CHECKPOINT_EVERY: u64 = 64;
/// A checkpoint follows the last record once no new one came for this long.
pub const CHECKPOINT_IDLE: Duration = Duration::from_secs(1);
/// Records waiting for the writer at most; an appender beyond it waits.
const QUEUE: usize = 4096;

/// Errors of the audit trail.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// The file could not be opened, read, written or synced.
    #[error("audit trail {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The existing trail does not verify; the daemon refuses to append to it.
    #[error("audit trail {path} is broken at line {line}: {reason}")]
    Broken {
        /// The file (the trail, or its checkpoints file).
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// What is wrong.
        reason: String,
    },
    /// A key file is unusable.
    #[error("key {path}: {reason}")]
    Key {
        /// The key file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The writer thread has stopped (after [`AuditLog::close`]).
    #[error("audit trail {path}: closed")]
    Closed {
        /// The file.
        path: PathBuf,
    },
}

/// What the writer does with the outcome of one append.
pub type Done = Box<dyn FnOnce(Result<u64, AuditError>) + Send>;

enum Job {
    Append {
        kind: String,
        data: serde_json::Value,
        done: Done,
    },
    Close(mpsc::SyncSender<()>),
}

/// A handle on an open audit trail: every clone sends its records to the trail's one writer
/// thread, which appends, fsyncs and checkpoints them in the order received.
#[derive(Clone)]
pub struct AuditLog {
    tx: mpsc::SyncSender<Job>,
    path: PathBuf,
}

/// The checkpoints file of a trail: `<trail>.checkpoints`.
pub fn checkpoints_path(trail: &Path) -> PathBuf {
    let mut p = trail.as_os_str().to_owned();
    p.push(".checkpoints");
    PathBuf::from(p)
}

/// How far the wall clock may drift from the monotonic clock between two records before the
/// writer records a step (`clock_stepped`): well above NTP's slewing (at most 0.5 ms/s).
pub const CLOCK_STEP_TOLERANCE: Duration = Duration::from_secs(2);

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// The `clock_stepped` record's data when the wall clock at `wall` (ms) is more than
/// [`CLOCK_STEP_TOLERANCE`] away from where the monotonic time since the last record (`last`:
/// its wall ms and monotonic instant) puts it.
fn clock_step(
    last: Option<(u64, std::time::Instant)>,
    wall: u64,
    mono: std::time::Instant,
) -> Option<serde_json::Value> {
    let (last_wall, last_mono) = last?;
    let expected =
        last_wall.saturating_add(mono.saturating_duration_since(last_mono).as_millis() as u64);
    (wall.abs_diff(expected) > CLOCK_STEP_TOLERANCE.as_millis() as u64).then(|| {
        serde_json::json!({
            "expected_ms": expected,
            "wall_ms": wall,
            "step_ms": wall as i64 - expected as i64,
        })
    })
}

/// Constant-time comparison.
pub(crate) fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Opens `path` for appending (mode `mode` when created), cuts a torn last line; returns the
/// file, its complete bytes and how many torn bytes were cut.
fn open_cut(path: &Path, mode: u32) -> Result<(File, Vec<u8>, usize), AuditError> {
    let io = |source| AuditError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut file = OpenOptions::new()
        .read(true)
        .append(true)
        .create(true)
        .mode(mode)
        .open(path)
        .map_err(io)?;
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes).map_err(io)?;
    let complete = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    let torn = bytes.len() - complete;
    if torn > 0 {
        // The torn tail never reached fsync as a whole line: cut it.
        file.set_len(complete as u64).map_err(io)?;
        file.seek(SeekFrom::End(0)).map_err(io)?;
        file.sync_all().map_err(io)?;
        bytes.truncate(complete);
    }
    Ok((file, bytes, torn))
}

impl AuditLog {
    /// Opens (or creates, mode 0640) the trail under `key`, verifies the whole existing chain
    /// and its checkpoints, cuts a torn last line, and starts the writer thread.
    pub fn open(path: &Path, gate: &str, key: &AuditKey) -> Result<Self, AuditError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| AuditError::Io {
                path: path.to_path_buf(),
                source,
            })?;
        }
        let (file, bytes, torn) = open_cut(path, 0o640)?;
        let mut report = chain::verify_bytes(&bytes, key);
        if let Some(b) = report.broken {
            return Err(AuditError::Broken {
                path: path.to_path_buf(),
                line: b.line,
                reason: b.reason,
            });
        }
        let cp_path = checkpoints_path(path);
        let (checkpoints, cp_bytes, _) = open_cut(&cp_path, 0o640)?;
        check_checkpoints(&mut report, &String::from_utf8_lossy(&cp_bytes), key).map_err(|b| {
            AuditError::Broken {
                path: cp_path.clone(),
                line: b.line,
                reason: b.reason,
            }
        })?;
        let mut w = Writer {
            path: path.to_path_buf(),
            cp_path,
            file,
            checkpoints,
            gate: gate.to_string(),
            key: key.clone(),
            next_seq: report.records,
            prev: report.last_mac,
            unchecked: 0,
            len: bytes.len() as u64,
            clock: None,
        };
        if torn > 0 {
            w.append(
                "audit_recovered",
                &serde_json::json!({ "torn_bytes_removed": torn }),
            )?;
        }
        let (tx, rx) = mpsc::sync_channel(QUEUE);
        std::thread::Builder::new()
            .name("egate-audit".into())
            .spawn(move || w.run(rx))
            .map_err(|source| AuditError::Io {
                path: path.to_path_buf(),
                source,
            })?;
        Ok(Self {
            tx,
            path: path.to_path_buf(),
        })
    }

    /// Hands one record to the writer; `done` gets its sequence number once it is fsync'd,
    /// or the error. Waits only while the writer's queue is full.
    pub fn submit(&self, kind: &str, data: serde_json::Value, done: Done) {
        let job = Job::Append {
            kind: kind.to_string(),
            data,
            done,
        };
        if let Err(mpsc::SendError(Job::Append { done, .. })) = self.tx.send(job) {
            done(Err(AuditError::Closed {
                path: self.path.clone(),
            }));
        }
    }

    /// Appends one record and waits until it is fsync'd; returns its sequence number.
    pub fn append(&self, kind: &str, data: &serde_json::Value) -> Result<u64, AuditError> {
        let (tx, rx) = mpsc::sync_channel(1);
        self.submit(
            kind,
            data.clone(),
            Box::new(move |r| {
                let _ = tx.send(r);
            }),
        );
        rx.recv().unwrap_or_else(|_| {
            Err(AuditError::Closed {
                path: self.path.clone(),
            })
        })
    }

    /// Appends one record without waiting; a failure is logged.
    pub fn record(&self, kind: &str, data: serde_json::Value) {
        let k = kind.to_string();
        self.submit(
            kind,
            data,
            Box::new(move |r| {
                if let Err(e) = r {
                    tracing::error!(error = %e, kind = %k, "audit append failed");
                }
            }),
        );
    }

    /// Writes a last checkpoint after every record sent so far and stops the writer; later
    /// appends fail with [`AuditError::Closed`]. Waits for it.
    pub fn close(&self) {
        let (tx, rx) = mpsc::sync_channel(1);
        if self.tx.send(Job::Close(tx)).is_ok() {
            let _ = rx.recv();
        }
    }

    /// The trail's path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// The writer thread's side: the files and the head of the chain.
struct Writer {
    path: PathBuf,
    cp_path: PathBuf,
    file: File,
    checkpoints: File,
    gate: String,
    key: AuditKey,
    next_seq: u64,
    prev: String,
    /// Records since the last checkpoint.
    unchecked: u64,
    /// Bytes of the trail's complete records: a failed write is cut back to this.
    len: u64,
    /// The wall time (ms) and the monotonic time of the last record written, to notice a
    /// stepped wall clock.
    clock: Option<(u64, std::time::Instant)>,
}

impl Writer {
    fn run(mut self, rx: mpsc::Receiver<Job>) {
        loop {
            let job = if self.unchecked > 0 {
                match rx.recv_timeout(CHECKPOINT_IDLE) {
                    Ok(j) => Some(j),
                    Err(mpsc::RecvTimeoutError::Timeout) => None,
                    Err(mpsc::RecvTimeoutError::Disconnected) => break,
                }
            } else {
                match rx.recv() {
                    Ok(j) => Some(j),
                    Err(_) => break,
                }
            };
            match job {
                None => self.checkpoint(),
                Some(Job::Append { kind, data, done }) => {
                    let r = self.append(&kind, &data);
                    done(r);
                    if self.unchecked >= CHECKPOINT_EVERY {
                        self.checkpoint();
                    }
                }
                Some(Job::Close(ack)) => {
                    self.checkpoint();
                    let _ = ack.send(());
                    return;
                }
            }
        }
        self.checkpoint();
    }

    fn append(&mut self, kind: &str, data: &serde_json::Value) -> Result<u64, AuditError> {
        let (wall, mono) = (now_ms(), std::time::Instant::now());
        if let Some(step) = clock_step(self.clock, wall, mono) {
            self.write(wall, "clock_stepped", &step)?;
            self.clock = Some((wall, mono));
        }
        let seq = self.write(wall, kind, data)?;
        self.clock = Some((wall, mono));
        Ok(seq)
    }

    /// Seals and writes one record stamped `ts_ms`; returns its sequence number.
    fn write(
        &mut self,
        ts_ms: u64,
        kind: &str,
        data: &serde_json::Value,
    ) -> Result<u64, AuditError> {
        let s = chain::seal(
            &self.key,
            self.next_seq,
            ts_ms,
            &self.gate,
            kind,
            data,
            &self.prev,
        );
        let io = |source| AuditError::Io {
            path: self.path.clone(),
            source,
        };
        let written = self
            .file
            .write_all(s.line.as_bytes())
            .and_then(|()| self.file.sync_data());
        if let Err(e) = written {
            // A full disk can take part of a line: cut it, so that the chain ends at the last
            // whole record and the same record can be appended again once there is room.
            let _ = self.file.set_len(self.len);
            return Err(io(e));
        }
        self.len += s.line.len() as u64;
        self.prev = s.mac;
        self.next_seq += 1;
        self.unchecked += 1;
        Ok(self.next_seq - 1)
    }

    /// Writes a checkpoint of the last record to the checkpoints file and the log.
    fn checkpoint(&mut self) {
        if self.unchecked == 0 || self.next_seq == 0 {
            return;
        }
        let line = chain::checkpoint_line(
            &self.key,
            &self.gate,
            self.next_seq - 1,
            &self.prev,
            now_ms(),
        );
        tracing::info!(target: "egate::audit", checkpoint = %line, "audit checkpoint");
        let r = self
            .checkpoints
            .write_all(format!("{line}\n").as_bytes())
            .and_then(|()| self.checkpoints.sync_data());
        match r {
            Ok(()) => self.unchecked = 0,
            Err(e) => tracing::error!(error = %e, file = %self.cp_path.display(),
                                      "audit checkpoint write failed"),
        }
    }
}

/// Reads the records of a trail as JSON values; lines that are not JSON are skipped (a reader,
/// not a verifier: [`verify_file`] says whether the chain holds).
pub fn read_records(path: &Path) -> Result<Vec<serde_json::Value>, AuditError> {
    let file = File::open(path).map_err(|source| AuditError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let mut out = Vec::new();
    for line in BufReader::new(file).lines() {
        let line = line.map_err(|source| AuditError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        if let Ok(v) = serde_json::from_str(&line) {
            out.push(v);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn key() -> AuditKey {
        AuditKey::from_bytes(&[9; 32])
    }

    fn trail(dir: &Path, n: usize) -> PathBuf {
        let p = dir.join("audit.jsonl");
        let log = AuditLog::open(&p, "gate-1", &key()).unwrap();
        for i in 0..n {
            log.append("passage", &json!({ "outcome": "accepted", "i": i }))
                .unwrap();
        }
        log.close();
        p
    }

    /// A wall clock that follows the monotonic one (within the tolerance) is no step; one
    /// stepped forward or back beyond it is, with the signed size of the step.
    #[test]
    fn a_stepped_wall_clock_is_found_either_way() {
        let t0 = std::time::Instant::now();
        let later = t0 + Duration::from_secs(10);
        let last = Some((1_000_000u64, t0));
        assert_eq!(clock_step(None, 5, later), None, "no record yet");
        assert_eq!(clock_step(last, 1_010_000, later), None);
        let tol = CLOCK_STEP_TOLERANCE.as_millis() as u64;
        assert_eq!(
            clock_step(last, 1_010_000 + tol, later),
            None,
            "at the tolerance"
        );
        let forward = clock_step(last, 1_010_000 + tol + 1, later).expect("forward");
        assert_eq!(forward["step_ms"], json!(tol as i64 + 1));
        assert_eq!(forward["expected_ms"], json!(1_010_000u64));
        // Back by a quarter of an hour: the new wall time is before the last record's.
        let back = clock_step(last, 1_010_000 - 900_000, later).expect("back");
        assert_eq!(back["step_ms"], json!(-900_000i64));
        assert_eq!(back["wall_ms"], json!(110_000u64));
    }

    fn verify_with_checkpoints(p: &Path) -> Result<VerifyReport, Break> {
        let mut r = verify_file(p, &key()).unwrap();
        if let Some(b) = r.broken.clone() {
            return Err(b);
        }
        let cps = std::fs::read_to_string(checkpoints_path(p)).unwrap();
        check_checkpoints(&mut r, &cps, &key())?;
        Ok(r)
    }

    #[test]
    fn a_fresh_chain_verifies_and_reopens_where_it_ended() {
        use std::os::unix::fs::PermissionsExt;
        let d = tempfile::tempdir().unwrap();
        let p = trail(d.path(), 5);
        let mode = std::fs::metadata(&p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode & 0o137, 0, "{mode:o}");
        let r = verify_with_checkpoints(&p).unwrap();
        assert_eq!((r.records, r.broken, r.checkpoints), (5, None, 1));
        let log = AuditLog::open(&p, "gate-1", &key()).unwrap();
        assert_eq!(log.append("x", &json!({})).unwrap(), 5);
        log.close();
        assert_eq!(verify_file(&p, &key()).unwrap().records, 6);
        assert!(matches!(
            log.append("y", &json!({})),
            Err(AuditError::Closed { .. })
        ));
        // Another key: the very first record fails.
        let other = verify_file(&p, &AuditKey::from_bytes(&[1; 32])).unwrap();
        assert_eq!(other.broken.unwrap().line, 1);
    }

    #[test]
    fn an_altered_record_is_found_at_its_line() {
        let d = tempfile::tempdir().unwrap();
        let p = trail(d.path(), 4);
        let text = std::fs::read_to_string(&p).unwrap();
        let altered = text.replacen("\"i\":2", "\"i\":7", 1);
        std::fs::write(&p, altered).unwrap();
        let r = verify_file(&p, &key()).unwrap();
        assert_eq!(r.records, 2);
        let b = r.broken.unwrap();
        assert_eq!(b.line, 3);
        assert!(b.reason.contains("altered"), "{}", b.reason);
        assert!(matches!(
            AuditLog::open(&p, "gate-1", &key()),
            Err(AuditError::Broken { line: 3, .. })
        ));
    }

    #[test]
    fn a_removed_record_breaks_the_link() {
        let d = tempfile::tempdir().unwrap();
        let p = trail(d.path(), 4);
        let text = std::fs::read_to_string(&p).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        let without: String = [lines[0], lines[2], lines[3]]
            .iter()
            .map(|l| format!("{l}\n"))
            .collect();
        std::fs::write(&p, without).unwrap();
        let b = verify_file(&p, &key()).unwrap().broken.unwrap();
        assert_eq!(b.line, 2);
        assert!(b.reason.contains("prev"), "{}", b.reason);
    }

    #[test]
    fn a_cut_tail_passes_the_chain_but_not_the_checkpoints() {
        let d = tempfile::tempdir().unwrap();
        let p = trail(d.path(), 6);
        let text = std::fs::read_to_string(&p).unwrap();
        let kept: String = text.lines().take(4).map(|l| format!("{l}\n")).collect();
        std::fs::write(&p, kept).unwrap();
        assert_eq!(verify_file(&p, &key()).unwrap().broken, None);
        let b = verify_with_checkpoints(&p).unwrap_err();
        assert!(b.reason.contains("cut off"), "{}", b.reason);
        // The daemon refuses to go on writing after a cut tail.
        assert!(matches!(
            AuditLog::open(&p, "gate-1", &key()),
            Err(AuditError::Broken { .. })
        ));
    }

    #[test]
    fn a_middle_rewritten_under_the_key_fails_its_checkpoint() {
        let d = tempfile::tempdir().unwrap();
        let p = trail(d.path(), 3);
        // A key holder rewrites record 1 onwards and re-chains every MAC after it.
        let recs = read_records(&p).unwrap();
        let k = key();
        let mut out = String::new();
        let mut prev = chain::GENESIS.to_string();
        for (i, r) in recs.iter().enumerate() {
            let data = if i == 1 {
                json!({"outcome":"referred"})
            } else {
                r["data"].clone()
            };
            let s = chain::seal(&k, i as u64, 1, "gate-1", "passage", &data, &prev);
            out.push_str(&s.line);
            prev = s.mac;
        }
        std::fs::write(&p, out).unwrap();
        assert_eq!(verify_file(&p, &k).unwrap().broken, None);
        let b = verify_with_checkpoints(&p).unwrap_err();
        assert!(b.reason.contains("rewritten"), "{}", b.reason);
    }

    #[test]
    fn a_forged_checkpoint_is_refused() {
        let d = tempfile::tempdir().unwrap();
        let p = trail(d.path(), 2);
        let cp = checkpoints_path(&p);
        let text = std::fs::read_to_string(&cp)
            .unwrap()
            .replace("\"seq\":1", "\"seq\":0");
        std::fs::write(&cp, text).unwrap();
        let b = verify_with_checkpoints(&p).unwrap_err();
        assert!(b.reason.contains("forged"), "{}", b.reason);
    }

    #[test]
    fn a_torn_tail_is_cut_and_recorded_at_open() {
        let d = tempfile::tempdir().unwrap();
        let p = trail(d.path(), 3);
        let mut f = OpenOptions::new().append(true).open(&p).unwrap();
        f.write_all(b"{\"seq\":3,\"ts_ms\":1,\"ga").unwrap();
        drop(f);
        assert!(verify_file(&p, &key()).unwrap().broken.is_some());
        AuditLog::open(&p, "gate-1", &key()).unwrap().close();
        assert_eq!(verify_file(&p, &key()).unwrap().records, 4);
        let recs = read_records(&p).unwrap();
        assert_eq!(recs[3]["kind"], "audit_recovered");
        assert_eq!(verify_with_checkpoints(&p).unwrap().broken, None);
    }

    #[test]
    fn records_from_many_threads_land_once_each_in_one_chain() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("a.jsonl");
        let log = AuditLog::open(&p, "g", &key()).unwrap();
        let hs: Vec<_> = (0..8)
            .map(|t| {
                let log = log.clone();
                std::thread::spawn(move || {
                    for i in 0..20 {
                        log.record("x", json!({ "t": t, "i": i }));
                    }
                })
            })
            .collect();
        for h in hs {
            h.join().unwrap();
        }
        log.close();
        let r = verify_with_checkpoints(&p).unwrap();
        assert_eq!(r.records, 160);
        assert!(r.checkpoints >= 2, "{}", r.checkpoints);
    }
}
