//! The audit trail: append-only, fsync'd, hash-chained JSON lines, and the keyed pseudonym
//! that stands in for a document number.
//!
//! Each line is one record, `{"seq":N,"ts_ms":T,"gate":G,"kind":K,"data":{..},"prev":P,"hash":H}`
//! where `H = SHA-256(the line's bytes up to ,"hash")` and `P` is the previous record's `H`
//! (64 zeros for the first). The hash covers the exact bytes written, so verifying needs no
//! canonical JSON. A record is written and `fsync`ed before `append` returns: a passage whose
//! record returned is never lost. A line torn by a crash (no final newline) was never
//! acknowledged; at open it is cut off and the cut is itself recorded.
//!
//! What goes in: decisions, reason codes, timings, device events and officer actions. What
//! never goes in: images, embeddings, MRZ, names, document numbers — the caller passes a
//! [`Pseudonymizer`] value instead.
//!
//! Secrets and other files only their owner may read (the pseudonym key, tokens, accounts)
//! are written by [`private_file`], the one writer of such files in egate.

mod private;
mod pseudonym;

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;
use sha2::{Digest, Sha256};

pub use private::private_file;
pub use pseudonym::Pseudonymizer;

const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";
const HASH_FIELD: &str = ",\"hash\":\"";

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
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// What is wrong.
        reason: String,
    },
    /// The pseudonym key file is unusable.
    #[error("pseudonym key {path}: {reason}")]
    Key {
        /// The key file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
}

/// An open audit trail, positioned to append.
pub struct AuditLog {
    path: PathBuf,
    file: File,
    gate: String,
    next_seq: u64,
    prev: String,
}

#[derive(Serialize)]
struct Record<'a> {
    seq: u64,
    ts_ms: u64,
    gate: &'a str,
    kind: &'a str,
    data: &'a serde_json::Value,
    prev: &'a str,
}

impl AuditLog {
    /// Opens (or creates) the trail, verifies the whole existing chain, cuts a torn last line.
    pub fn open(path: &Path, gate: &str) -> Result<Self, AuditError> {
        let io = |source| AuditError::Io {
            path: path.to_path_buf(),
            source,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(path)
            .map_err(io)?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).map_err(io)?;
        let complete = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        let torn = bytes.len() - complete;
        let report = verify_bytes(&bytes[..complete]);
        if let Some(b) = report.broken {
            return Err(AuditError::Broken {
                path: path.to_path_buf(),
                line: b.line,
                reason: b.reason,
            });
        }
        if torn > 0 {
            // The torn tail never reached fsync as a whole record: cut it, then say so.
            file.set_len(complete as u64).map_err(io)?;
            file.seek(SeekFrom::End(0)).map_err(io)?;
            file.sync_all().map_err(io)?;
        }
        let mut log = Self {
            path: path.to_path_buf(),
            file,
            gate: gate.to_string(),
            next_seq: report.records,
            prev: report.last_hash,
        };
        if torn > 0 {
            log.append(
                "audit_recovered",
                &serde_json::json!({ "torn_bytes_removed": torn }),
            )?;
        }
        Ok(log)
    }

    /// Appends one record and fsyncs it; returns its sequence number.
    pub fn append(&mut self, kind: &str, data: &serde_json::Value) -> Result<u64, AuditError> {
        let ts_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0);
        let rec = Record {
            seq: self.next_seq,
            ts_ms,
            gate: &self.gate,
            kind,
            data,
            prev: &self.prev,
        };
        let mut line = serde_json::to_string(&rec).expect("audit record serialises");
        line.pop(); // drop the closing brace; the hash field closes the object
        let hash = hex::encode(Sha256::digest(line.as_bytes()));
        line.push_str(HASH_FIELD);
        line.push_str(&hash);
        line.push_str("\"}\n");
        let io = |source| AuditError::Io {
            path: self.path.clone(),
            source,
        };
        self.file.write_all(line.as_bytes()).map_err(io)?;
        self.file.sync_data().map_err(io)?;
        self.prev = hash;
        self.next_seq += 1;
        Ok(self.next_seq - 1)
    }
}

/// Where a chain breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Break {
    /// 1-based line.
    pub line: usize,
    /// What is wrong.
    pub reason: String,
}

/// The result of verifying a trail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    /// Records that verified before the first break (or all of them).
    pub records: u64,
    /// Hash of the last verified record.
    pub last_hash: String,
    /// The first break, if any.
    pub broken: Option<Break>,
}

/// Verifies a whole trail file.
pub fn verify_file(path: &Path) -> Result<VerifyReport, AuditError> {
    let file = File::open(path).map_err(|source| AuditError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let mut bytes = Vec::new();
    BufReader::new(file)
        .read_to_end(&mut bytes)
        .map_err(|source| AuditError::Io {
            path: path.to_path_buf(),
            source,
        })?;
    Ok(verify_bytes(&bytes))
}

fn verify_bytes(bytes: &[u8]) -> VerifyReport {
    let mut prev = GENESIS.to_string();
    let mut records = 0u64;
    for (i, line) in bytes.split_inclusive(|&b| b == b'\n').enumerate() {
        let lineno = i + 1;
        let fail = |reason: String, records: u64, prev: String| VerifyReport {
            records,
            last_hash: prev,
            broken: Some(Break {
                line: lineno,
                reason,
            }),
        };
        let Some(line) = line.strip_suffix(b"\n") else {
            return fail("last line is incomplete (torn write)".into(), records, prev);
        };
        let Ok(text) = std::str::from_utf8(line) else {
            return fail("not UTF-8".into(), records, prev);
        };
        let Some(cut) = text.rfind(HASH_FIELD) else {
            return fail("no hash field".into(), records, prev);
        };
        let (body, tail) = text.split_at(cut);
        let claimed = tail
            .strip_prefix(HASH_FIELD)
            .and_then(|t| t.strip_suffix("\"}"))
            .unwrap_or("");
        let actual = hex::encode(Sha256::digest(body.as_bytes()));
        if claimed != actual {
            return fail(
                "record hash does not match its content (record altered)".into(),
                records,
                prev,
            );
        }
        let v: serde_json::Value = match serde_json::from_str(text) {
            Ok(v) => v,
            Err(e) => return fail(format!("not JSON: {e}"), records, prev),
        };
        if v.get("prev").and_then(|p| p.as_str()) != Some(prev.as_str()) {
            return fail(
                "prev does not match the previous record's hash (record removed, inserted or reordered)"
                    .into(),
                records,
                prev,
            );
        }
        if v.get("seq").and_then(|s| s.as_u64()) != Some(records) {
            return fail(format!("sequence number is not {records}"), records, prev);
        }
        prev = actual;
        records += 1;
    }
    VerifyReport {
        records,
        last_hash: prev,
        broken: None,
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

    fn trail(dir: &Path, n: usize) -> PathBuf {
        let p = dir.join("audit.jsonl");
        let mut log = AuditLog::open(&p, "gate-1").unwrap();
        for i in 0..n {
            log.append("passage", &json!({ "outcome": "accepted", "i": i }))
                .unwrap();
        }
        p
    }

    #[test]
    fn a_fresh_chain_verifies_and_reopens_where_it_ended() {
        let d = tempfile::tempdir().unwrap();
        let p = trail(d.path(), 5);
        let r = verify_file(&p).unwrap();
        assert_eq!((r.records, r.broken), (5, None));
        let mut log = AuditLog::open(&p, "gate-1").unwrap();
        assert_eq!(log.append("x", &json!({})).unwrap(), 5);
        assert_eq!(verify_file(&p).unwrap().records, 6);
    }

    #[test]
    fn an_altered_record_is_found_at_its_line() {
        let d = tempfile::tempdir().unwrap();
        let p = trail(d.path(), 4);
        let text = std::fs::read_to_string(&p).unwrap();
        let altered = text.replacen("\"i\":2", "\"i\":7", 1);
        std::fs::write(&p, altered).unwrap();
        let r = verify_file(&p).unwrap();
        assert_eq!(r.records, 2);
        let b = r.broken.unwrap();
        assert_eq!(b.line, 3);
        assert!(b.reason.contains("altered"), "{}", b.reason);
        assert!(matches!(
            AuditLog::open(&p, "gate-1"),
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
        let b = verify_file(&p).unwrap().broken.unwrap();
        assert_eq!(b.line, 2);
        assert!(b.reason.contains("prev"), "{}", b.reason);
    }

    #[test]
    fn a_torn_tail_is_cut_and_recorded_at_open() {
        let d = tempfile::tempdir().unwrap();
        let p = trail(d.path(), 3);
        let mut f = OpenOptions::new().append(true).open(&p).unwrap();
        f.write_all(b"{\"seq\":3,\"ts_ms\":1,\"ga").unwrap();
        drop(f);
        assert!(verify_file(&p).unwrap().broken.is_some());
        drop(AuditLog::open(&p, "gate-1").unwrap());
        assert_eq!(verify_file(&p).unwrap().records, 4);
        let recs = read_records(&p).unwrap();
        assert_eq!(recs[3]["kind"], "audit_recovered");
        assert_eq!(verify_file(&p).unwrap().broken, None);
    }
}
