//! `egate bench audit-hold`: what the driver's [`AuditHold`] costs in resident memory when it
//! is full ([`AUDIT_PENDING_MAX`] records kept while the trail cannot be written, a full disk).
//!
//! The records are the ones a lane writes: the audit events of whole genuine two-step passages
//! through the state machine (`gate::script`), mapped by the driver's own
//! [`audit_record`](crate::lane::driver::audit_record) and named after their gate, as the
//! driver keeps them. Resident memory is the process's `VmRSS` (Linux `/proc/self/status`),
//! read before the hold is filled and after; the hold is then dropped.

use std::time::Instant;

use serde_json::json;

use super::{whole_passage, BenchError, Report};
use crate::lane::driver::{audit_record, AuditHold, AUDIT_PENDING_MAX};

/// The process's resident set, in bytes (`VmRSS`), when the kernel tells it.
fn rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// Fills an [`AuditHold`] to [`AUDIT_PENDING_MAX`] records and reports the growth of the
/// resident set.
pub fn bench_audit_hold(json_out: bool) -> Result<(Report, bool), BenchError> {
    // One passage's records, made once: the hold keeps copies, as the driver does for each
    // passage while the disk is full.
    let lane = whole_passage(Instant::now())?;
    let passage: Vec<_> = lane
        .audits()
        .map(|e| {
            let (kind, mut data) = audit_record(e);
            if let Some(obj) = data.as_object_mut() {
                obj.insert("gate".into(), "lane-01".into());
            }
            (kind, data)
        })
        .collect();
    if passage.is_empty() {
        return Err(BenchError::Gate("a passage wrote no audit event"));
    }
    let before = rss_bytes().ok_or(BenchError::Gate("no VmRSS in /proc/self/status"))?;
    let mut hold = AuditHold::default();
    let mut bytes_json = 0usize;
    for (kind, data) in passage.iter().cycle().take(AUDIT_PENDING_MAX) {
        bytes_json += data.to_string().len();
        hold.keep(kind, data.clone());
    }
    let after = rss_bytes().ok_or(BenchError::Gate("no VmRSS in /proc/self/status"))?;
    let kept = hold.kept();
    drop(std::hint::black_box(hold));
    let grown = after.saturating_sub(before);
    let mib = |b: u64| b as f64 / (1024.0 * 1024.0);
    let table = format!(
        "egate bench audit-hold — records kept in memory while the trail cannot be written\n\
         records kept                    {kept} (the most the driver keeps)\n\
         records per passage             {per}\n\
         resident set before             {b:.1} MiB\n\
         resident set full               {a:.1} MiB\n\
         growth                          {g:.1} MiB ({each} bytes a record; {j} bytes of JSON text)\n",
        per = passage.len(),
        b = mib(before),
        a = mib(after),
        g = mib(grown),
        each = grown / kept.max(1) as u64,
        j = bytes_json / kept.max(1),
    );
    let json = json!({
        "records": kept,
        "records_per_passage": passage.len(),
        "rss_before_bytes": before,
        "rss_full_bytes": after,
        "growth_bytes": grown,
        "bytes_per_record": grown / kept.max(1) as u64,
        "json_bytes_per_record": bytes_json / kept.max(1),
    });
    Ok((Report { table, json }, json_out))
}
