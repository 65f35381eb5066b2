//! The record and checkpoint formats, and the verifier of both (see the crate documentation
//! for the format).

use std::path::Path;

use serde::Serialize;

use crate::{AuditError, AuditKey};

/// `prev` of the first record.
pub(crate) const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";
const MAC_FIELD: &str = ",\"mac\":\"";
const CMAC_FIELD: &str = ",\"cmac\":\"";
/// Prefix of a checkpoint's MAC input, so that no record body can pass for a checkpoint.
const CHECKPOINT_DOMAIN: &[u8] = b"egate audit checkpoint\n";

#[derive(Serialize)]
struct Record<'a> {
    seq: u64,
    ts_ms: u64,
    gate: &'a str,
    kind: &'a str,
    data: &'a serde_json::Value,
    prev: &'a str,
}

/// One sealed record: its line (with the newline) and its MAC.
pub(crate) struct Sealed {
    pub(crate) line: String,
    pub(crate) mac: String,
}

/// Seals a record: the JSON object up to `prev`, then `,"mac":"<HMAC of those bytes>"}`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn seal(
    key: &AuditKey,
    seq: u64,
    ts_ms: u64,
    gate: &str,
    kind: &str,
    data: &serde_json::Value,
    prev: &str,
) -> Sealed {
    let rec = Record {
        seq,
        ts_ms,
        gate,
        kind,
        data,
        prev,
    };
    let mut line = serde_json::to_string(&rec).expect("audit record serialises");
    line.pop(); // the MAC member closes the object
    let mac = key.mac_hex(&[line.as_bytes()]);
    line.push_str(MAC_FIELD);
    line.push_str(&mac);
    line.push_str("\"}\n");
    Sealed { line, mac }
}

#[derive(Serialize)]
struct Checkpoint<'a> {
    gate: &'a str,
    seq: u64,
    mac: &'a str,
    ts_ms: u64,
}

/// A checkpoint line (no newline): record `seq` of `gate`'s trail has MAC `mac`.
pub(crate) fn checkpoint_line(
    key: &AuditKey,
    gate: &str,
    seq: u64,
    mac: &str,
    ts_ms: u64,
) -> String {
    let mut line = serde_json::to_string(&Checkpoint {
        gate,
        seq,
        mac,
        ts_ms,
    })
    .expect("checkpoint serialises");
    line.pop();
    let cmac = key.mac_hex(&[CHECKPOINT_DOMAIN, line.as_bytes()]);
    line.push_str(CMAC_FIELD);
    line.push_str(&cmac);
    line.push_str("\"}");
    line
}

/// Where a chain breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Break {
    /// 1-based line (of the trail, or of the checkpoints file for a checkpoint that fails).
    pub line: usize,
    /// What is wrong.
    pub reason: String,
}

/// The result of verifying a trail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    /// Records that verified before the first break (or all of them).
    pub records: u64,
    /// MAC of the last verified record ([`GENESIS`] for none).
    pub last_mac: String,
    /// The gate named by the verified records (the first record's), if any.
    pub gate: Option<String>,
    /// The MAC of each verified record, by sequence number.
    pub macs: Vec<String>,
    /// The first break, if any.
    pub broken: Option<Break>,
    /// Checkpoints checked against the trail (by [`check_checkpoints`]).
    pub checkpoints: usize,
}

/// Verifies a whole trail file's MACs and chain.
pub fn verify_file(path: &Path, key: &AuditKey) -> Result<VerifyReport, AuditError> {
    let bytes = std::fs::read(path).map_err(|source| AuditError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(verify_bytes(&bytes, key))
}

pub(crate) fn verify_bytes(bytes: &[u8], key: &AuditKey) -> VerifyReport {
    let mut r = VerifyReport {
        records: 0,
        last_mac: GENESIS.to_string(),
        gate: None,
        macs: Vec::new(),
        broken: None,
        checkpoints: 0,
    };
    for (i, line) in bytes.split_inclusive(|&b| b == b'\n').enumerate() {
        if let Err(reason) = check_record(line, key, &mut r) {
            r.broken = Some(Break {
                line: i + 1,
                reason,
            });
            return r;
        }
    }
    r
}

fn check_record(line: &[u8], key: &AuditKey, r: &mut VerifyReport) -> Result<(), String> {
    let line = line
        .strip_suffix(b"\n")
        .ok_or("last line is incomplete (torn write)")?;
    let text = std::str::from_utf8(line).map_err(|_| "not UTF-8")?;
    let cut = text.rfind(MAC_FIELD).ok_or("no mac field")?;
    let (body, tail) = text.split_at(cut);
    let claimed = tail
        .strip_prefix(MAC_FIELD)
        .and_then(|t| t.strip_suffix("\"}"))
        .unwrap_or("");
    let actual = key.mac_hex(&[body.as_bytes()]);
    if !crate::ct_eq(claimed.as_bytes(), actual.as_bytes()) {
        return Err(
            "record MAC does not match its content (record altered, or written under another key)"
                .into(),
        );
    }
    let v: serde_json::Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    if v.get("prev").and_then(|p| p.as_str()) != Some(r.last_mac.as_str()) {
        return Err(
            "prev does not match the previous record's mac (record removed, inserted or reordered)"
                .into(),
        );
    }
    if v.get("seq").and_then(|s| s.as_u64()) != Some(r.records) {
        return Err(format!("sequence number is not {}", r.records));
    }
    let gate = v.get("gate").and_then(|g| g.as_str()).unwrap_or("");
    match &r.gate {
        None => r.gate = Some(gate.to_string()),
        Some(g) if g != gate => return Err(format!("gate {gate:?} in a trail of {g:?}")),
        Some(_) => {}
    }
    r.macs.push(actual.clone());
    r.last_mac = actual;
    r.records += 1;
    Ok(())
}

/// Finds the checkpoint in a line of a checkpoints file or of a log (`journalctl -o cat`):
/// the text from `{"gate":` to the end of its `cmac` member.
fn find_checkpoint(line: &str) -> Option<&str> {
    let start = line.find("{\"gate\":")?;
    let rest = &line[start..];
    let c = rest.find(CMAC_FIELD)?;
    let end = c + CMAC_FIELD.len() + 64 + 2;
    rest.get(..end).filter(|s| s.ends_with("\"}"))
}

/// Checks every checkpoint found in `checkpoints` (a checkpoints file, or a log holding
/// `audit checkpoint` lines) against a verified trail: each checkpoint's MAC must hold, and
/// the record it names must exist with the MAC it names. A trail cut after a checkpointed
/// record, or rewritten (even with valid MACs) before one, fails here. Checkpoints of other
/// gates' trails in a shared log are skipped. Adds the first failure to `report`.
pub fn check_checkpoints(
    report: &mut VerifyReport,
    checkpoints: &str,
    key: &AuditKey,
) -> Result<(), Break> {
    let gate = report.gate.clone();
    for (i, raw) in checkpoints.lines().enumerate() {
        let fail = |reason: String| Break {
            line: i + 1,
            reason,
        };
        let Some(cp) = find_checkpoint(raw) else {
            continue;
        };
        let cut = cp.rfind(CMAC_FIELD).ok_or_else(|| fail("no cmac".into()))?;
        let (body, tail) = cp.split_at(cut);
        let claimed = &tail[CMAC_FIELD.len()..tail.len() - 2];
        let actual = key.mac_hex(&[CHECKPOINT_DOMAIN, body.as_bytes()]);
        if !crate::ct_eq(claimed.as_bytes(), actual.as_bytes()) {
            return Err(fail(
                "checkpoint MAC does not hold (forged or altered)".into(),
            ));
        }
        let v: serde_json::Value =
            serde_json::from_str(cp).map_err(|e| fail(format!("checkpoint not JSON: {e}")))?;
        // An empty trail names no gate: any valid checkpoint then says records were cut.
        if gate.is_some() && v["gate"].as_str() != gate.as_deref() {
            continue;
        }
        let seq = v["seq"]
            .as_u64()
            .ok_or_else(|| fail("checkpoint without seq".into()))?;
        let mac = v["mac"].as_str().unwrap_or("");
        match report.macs.get(seq as usize) {
            None => {
                return Err(fail(format!(
                    "checkpoint names record {seq}, but the trail verifies only {} record(s): \
                     records were cut off its end",
                    report.records
                )))
            }
            Some(m) if m != mac => {
                return Err(fail(format!(
                    "record {seq} is not the one checkpointed: the trail was rewritten"
                )))
            }
            Some(_) => report.checkpoints += 1,
        }
    }
    Ok(())
}
