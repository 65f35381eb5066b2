//! The border database step of a passage, on a job's thread: the border databases
//! (`borderdb`: the document and the person), then, at an entry lane, the EES step for
//! third-country nationals (Regulation (EU) 2017/2226), and what follows from their answers —
//! the per-source latency metrics, the alarm of a source that stopped answering (cleared
//! when it answers again), the audit records (source and category, never the query), and
//! the referral detail the handling officer alone sees on the console (the required action
//! and the passage's DG1).

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use borderdb::ees::{Ees, EesDecision};
use borderdb::{Answer, Checked, Query, SourceReport};
use console::link::{DeviceHealth, Dg1View, GateEventKind, ReferralDetail};
use gate::{BorderDbResult, ReasonCode};
use serde_json::{json, Value};
use tracing::{error, info, warn};

use crate::lane::clock::LaneClock;
use crate::lane::jobs::JobContext;

/// The border databases, as a job sees them.
pub trait BorderDbCheck: Send + Sync {
    /// Asks every source until one has a hit.
    fn check(&self, query: &Query) -> Checked;
}

impl BorderDbCheck for borderdb::BorderDb {
    fn check(&self, query: &Query) -> Checked {
        borderdb::BorderDb::check(self, query)
    }
}

impl<T: BorderDbCheck + ?Sized> BorderDbCheck for Arc<T> {
    fn check(&self, query: &Query) -> Checked {
        (**self).check(query)
    }
}

/// No border database: every query is answered `Unavailable`. A real gate refuses to start
/// with `[policy] borderdb = "required"` and none, so with this the gate never asks.
pub struct NoBorderDb;

impl BorderDbCheck for NoBorderDb {
    fn check(&self, _query: &Query) -> Checked {
        warn!("border database query, but no border database is configured");
        Checked {
            answer: Answer::Unavailable {
                source: "none".into(),
            },
            reports: Vec::new(),
            errors: Vec::new(),
        }
    }
}

/// The EES step of a lane: whether it applies, who skips it, the adapter.
pub struct EesStep {
    /// The step runs on this lane (`[ees] enabled` on an entry lane).
    pub applies: bool,
    /// The nationalities that skip it (`[ees] exempt_group`).
    pub exempt: Vec<gate::CountryCode>,
    /// The adapter; `None`: third-country nationals are referred with `ees_required`.
    pub adapter: Option<Arc<dyn Ees>>,
    /// The lane's civil date.
    pub clock: LaneClock,
}

impl EesStep {
    /// No EES step (not an entry lane).
    #[cfg(test)]
    pub fn off() -> Self {
        Self {
            applies: false,
            exempt: Vec::new(),
            adapter: None,
            clock: LaneClock::default(),
        }
    }
}

/// An admitted third-country national's entry record, created once the passage is accepted
/// (kept in the passage's data, zeroized with it).
pub struct PendingEntry {
    /// The document the record is found by.
    pub query: Query,
    /// The live capture's first frame, JPEG: the facial image of a new individual file.
    pub live: Option<zeroize::Zeroizing<Vec<u8>>>,
}

/// The passage's DG1 as the handling officer sees it.
pub fn dg1_view(m: &document::mrz::Mrz) -> Dg1View {
    Dg1View {
        document_code: m.document_code().into(),
        issuing_state: m.issuing_state().into(),
        document_number: m.document_number().into(),
        primary_identifier: m.primary_identifier().into(),
        secondary_identifier: m.secondary_identifier().into(),
        nationality: m.nationality().into(),
        birth_date: m.birth_date().into(),
        sex: m.sex().into(),
        expiry_date: m.expiry_date().into(),
    }
}

/// The alarm id of a source's alarm whose record could not be written (the driver loop's
/// unrecorded alarms count down from `u64::MAX`; this one stays below them).
const UNRECORDED_SOURCE_ALARM: u64 = u64::MAX / 2;

/// Appends an audit record from a job; returns its sequence number. Source names,
/// categories, reason codes and counts only. A failed write is logged; the driver's own
/// records keep the gate's decisions (and take the gate out of service when the trail
/// cannot be written).
fn audit(ctx: &JobContext, kind: &str, data: Value) -> Option<u64> {
    let a = ctx.audit.as_ref()?;
    let log = a.lock().unwrap_or_else(|p| p.into_inner());
    match log.append(kind, &data) {
        Ok(seq) => Some(seq),
        Err(e) => {
            error!(error = %e, kind, "audit trail write failed");
            None
        }
    }
}

/// The sources that did not answer their last query, per lane.
#[derive(Default)]
pub struct SourceHealth(Mutex<BTreeSet<String>>);

impl SourceHealth {
    /// Raises the alarm of each source that stopped answering and clears that of each one
    /// that answers again.
    fn update(&self, ctx: &JobContext, reports: &[SourceReport]) {
        for r in reports {
            let changed = {
                let mut down = self.0.lock().unwrap_or_else(|p| p.into_inner());
                if r.answered {
                    down.remove(&r.source)
                } else {
                    down.insert(r.source.clone())
                }
            };
            if !changed {
                continue;
            }
            let ok = r.answered;
            let detail = if ok { "" } else { "no answer" };
            if ok {
                info!(source = %r.source, "border database source answers again");
            } else {
                warn!(source = %r.source, "border database source unavailable");
                if let Some(m) = &ctx.metrics {
                    m.alarm(ReasonCode::BorderDbUnavailable.as_str());
                }
            }
            // A source that stops answering is an alarm of the lane: its id is its record's
            // sequence number, as the driver loop's alarms are.
            let record = if ok {
                audit(
                    ctx,
                    "borderdb_source",
                    json!({ "gate": ctx.link.id_string(), "source": r.source, "up": true }),
                )
            } else {
                audit(
                    ctx,
                    "alarm",
                    json!({ "gate": ctx.link.id_string(),
                            "reason": ReasonCode::BorderDbUnavailable.as_str(),
                            "source": r.source }),
                )
            };
            let device = format!("borderdb_{}", r.source);
            let health = DeviceHealth {
                device: device.clone(),
                ok,
                detail: detail.into(),
            };
            ctx.link.set_status(|s| {
                s.devices.retain(|d| d.device != device);
                s.devices.push(health);
            });
            ctx.link.publish(GateEventKind::SourceHealth {
                alarm_id: record.unwrap_or(UNRECORDED_SOURCE_ALARM),
                source: r.source.clone(),
                ok,
                detail: detail.into(),
            });
        }
    }
}

/// The border database step of the passage in progress.
pub fn run(ctx: &JobContext) -> BorderDbResult {
    // The step asks about the passage whose document was just read (with overlap, the next
    // traveller's).
    let (generation, query, ees_query) = match ctx.passages().reading() {
        Some(p) => (p.generation, p.borderdb.take(), p.ees.take()),
        None => (0, None, None),
    };
    let Some(query) = query else {
        warn!("border database query before the chip was read");
        return BorderDbResult::Unavailable;
    };
    let checked = ctx.borderdb.check(&query);
    drop(query);
    // The errors name files, lines, sources and HTTP statuses, never document data.
    for e in &checked.errors {
        warn!(error = %e, "borderdb");
    }
    if let Some(m) = &ctx.metrics {
        m.borderdb(&checked.reports);
    }
    ctx.sources.update(ctx, &checked.reports);
    let gate_id = ctx.link.id_string();
    match checked.answer {
        Answer::Hit(hit) => {
            let mut dg1 = None;
            ctx.update(generation, |p| dg1 = p.dg1.take());
            let referral = ctx.link.open_referral(ReferralDetail {
                reason: ReasonCode::BorderDbHit.as_str().into(),
                source: hit.source.clone(),
                category: hit.category.as_str().into(),
                action: hit.action.text().to_string(),
                dg1: dg1.unwrap_or_default(),
            });
            audit(
                ctx,
                "borderdb_hit",
                json!({ "gate": gate_id, "source": hit.source, "category": hit.category.as_str(),
                        "referral": referral }),
            );
            BorderDbResult::Hit
        }
        Answer::Unavailable { source } => {
            audit(
                ctx,
                "borderdb_unavailable",
                json!({ "gate": gate_id, "source": source }),
            );
            BorderDbResult::Unavailable
        }
        Answer::Clear => match ees_query {
            Some(q) => ees(ctx, generation, q),
            None => BorderDbResult::Clear,
        },
    }
}

/// The EES step (Regulation (EU) 2017/2226 Art. 23; Regulation (EU) 2016/399 Art. 8(3)(a)
/// (iii)): at an entry lane, for a holder whose nationality is not exempt.
fn ees(ctx: &JobContext, generation: u64, query: Query) -> BorderDbResult {
    let step = &ctx.ees;
    if !step.applies || step.exempt.contains(&query.nationality()) {
        return BorderDbResult::Clear;
    }
    let gate_id = ctx.link.id_string();
    let Some(adapter) = &step.adapter else {
        audit(
            ctx,
            "ees",
            json!({ "gate": gate_id, "decision": ReasonCode::EesRequired.as_str() }),
        );
        return BorderDbResult::Refused(ReasonCode::EesRequired);
    };
    let record = match adapter.find(&query) {
        Ok(r) => r,
        Err(e) => {
            warn!(error = %e, "EES");
            audit(
                ctx,
                "ees",
                json!({ "gate": gate_id, "source": adapter.name(),
                        "decision": ReasonCode::EesUnavailable.as_str() }),
            );
            return BorderDbResult::Refused(ReasonCode::EesUnavailable);
        }
    };
    match borderdb::ees::evaluate(record.as_ref(), step.clock.today()) {
        EesDecision::Refer(reason) => {
            audit(
                ctx,
                "ees",
                json!({ "gate": gate_id, "source": adapter.name(), "decision": reason.as_str() }),
            );
            BorderDbResult::Refused(reason)
        }
        EesDecision::Admit {
            remaining,
            first_entry,
        } => {
            audit(
                ctx,
                "ees",
                json!({ "gate": gate_id, "source": adapter.name(), "decision": "admit",
                        "remaining_days": remaining, "first_entry": first_entry }),
            );
            let reference = record.and_then(|r| r.reference_face);
            // A passage that ended meanwhile keeps nothing (its result is stale anyway).
            ctx.update(generation, |p| {
                p.ees_reference = reference;
                p.ees_entry = Some(PendingEntry { query, live: None });
            });
            BorderDbResult::Clear
        }
    }
}

/// A passage ended: if it was accepted, the EES entry record of an admitted third-country
/// national is created (Regulation (EU) 2017/2226 Art. 16), with the live capture as the
/// facial image of a new individual file; otherwise the pending entry is dropped.
pub fn passage_ended(ctx: &JobContext, entry: Option<PendingEntry>, accepted: bool) {
    let (Some(entry), Some(adapter), true) = (entry, &ctx.ees.adapter, accepted) else {
        return;
    };
    let created = adapter.create_entry(
        &entry.query,
        ctx.ees.clock.today(),
        entry.live.as_deref().map(|v| v.as_slice()),
    );
    if let Err(e) = &created {
        warn!(error = %e, "EES entry record not created");
    }
    audit(
        ctx,
        "ees_entry",
        json!({ "gate": ctx.link.id_string(), "source": adapter.name(), "created": created.is_ok() }),
    );
}
