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

use crate::config::EesConfig;
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
    /// `[ees]`.
    pub config: EesConfig,
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
            config: EesConfig::default(),
            adapter: None,
            clock: LaneClock::default(),
        }
    }
}

/// An admitted third-country national's entry record, created once the passage is accepted.
/// Kept apart from the passage data, which the lane drops as soon as the traveller has left
/// with their document (possibly before the gate ends the passage).
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

/// Appends an audit record from a job. Source names, categories, reason codes and counts
/// only. A failed write is logged; the driver's own records keep the gate's decisions.
fn audit(ctx: &JobContext, kind: &str, data: Value) {
    if let Some(a) = &ctx.audit {
        let log = a.lock().unwrap_or_else(|p| p.into_inner());
        if let Err(e) = log.append(kind, &data) {
            error!(error = %e, kind, "audit trail write failed");
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
            audit(
                ctx,
                "borderdb_source",
                json!({ "gate": ctx.link.id_string(), "source": r.source, "up": ok }),
            );
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
                alarm_id: ctx.link.next_alarm_id(),
                source: r.source.clone(),
                ok,
                detail: detail.into(),
            });
        }
    }
}

/// The border database step of the passage in progress.
pub fn run(ctx: &JobContext) -> BorderDbResult {
    let (generation, query, ees_query, nationality) = {
        let mut p = ctx.passage.lock().unwrap_or_else(|p| p.into_inner());
        let nationality = p
            .borderdb
            .as_ref()
            .map(|q| q.nationality().as_str().to_string());
        (p.generation, p.borderdb.take(), p.ees.take(), nationality)
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
            let dg1 = {
                let mut p = ctx.passage.lock().unwrap_or_else(|p| p.into_inner());
                (p.generation == generation).then(|| p.dg1.take()).flatten()
            };
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
        Answer::Clear => match (ees_query, nationality) {
            (Some(q), Some(n)) => ees(ctx, generation, q, &n),
            _ => BorderDbResult::Clear,
        },
    }
}

/// The EES step (Regulation (EU) 2017/2226 Art. 23; Regulation (EU) 2016/399 Art. 8(3)(a)
/// (iii)): at an entry lane, for a holder whose nationality is not exempt.
fn ees(ctx: &JobContext, generation: u64, query: Query, nationality: &str) -> BorderDbResult {
    let step = &ctx.ees;
    if !step.config.entry_lane || step.config.exempt(nationality) {
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
            if ctx.update(generation, |p| p.ees_reference = reference) {
                *ctx.ees_pending.lock().unwrap_or_else(|p| p.into_inner()) =
                    Some(PendingEntry { query, live: None });
            }
            BorderDbResult::Clear
        }
    }
}

/// The passage ended: if it was accepted, the EES entry record of an admitted third-country
/// national is created (Regulation (EU) 2017/2226 Art. 16), with the live capture as the
/// facial image of a new individual file; otherwise the pending entry is dropped.
pub fn passage_ended(ctx: &JobContext, accepted: bool) {
    let entry = ctx
        .ees_pending
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .take();
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
