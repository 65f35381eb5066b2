//! `[fleet]`: each gate's events on a NATS JetStream stream, for a central console or any
//! consumer of a fleet of gates.
//!
//! What is published: passage outcomes (outcome, reason code, transaction time), alarms,
//! device health and lane state — the console link's [`GateEventKind`]s that carry no
//! personal data. Phase changes and officers' commands stay local.
//!
//! How: a collector per gate appends each event to the disk [`spool`]; one sender publishes
//! what the spool holds to JetStream and removes it once the broker acknowledged it
//! (JetStream's PubAck). Each message carries `Nats-Msg-Id: <gate>-<boot>-<seq>` (`boot`: the
//! daemon's start, Unix ms; `seq`: the gate's event sequence), so a message sent again after
//! a lost acknowledgement is dropped by the stream's duplicate window, and a consumer can
//! tell every event apart. While the broker is away the spool grows; when it is back, the
//! sender catches up in order.

pub mod follow;
pub mod spool;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_nats::jetstream::{self, context::PublishErrorKind};
use console::link::{GateEvent, GateEventKind, LocalGate};
use tokio::sync::{broadcast, watch, Notify};
use tokio::task::JoinHandle;
use tracing::{info, warn};

use crate::config::fleet::FleetConfig;
use spool::{Record, Spool};

/// How long JetStream remembers message ids to drop duplicates (its default is 2 minutes):
/// long enough to cover a resend after a broker outage.
const DUPLICATE_WINDOW: Duration = Duration::from_secs(3600);
/// Messages sent before their acknowledgements are awaited.
const BATCH: usize = 256;

/// The running publisher.
pub struct Fleet {
    collectors: Vec<JoinHandle<()>>,
    sender: JoinHandle<()>,
    /// Tells the collectors to spool what their gates sent last and stop.
    drain: watch::Sender<bool>,
    /// Tells the sender that nothing more comes: send what the spool holds and stop.
    flush: watch::Sender<bool>,
}

/// The subject token for a gate id: NATS subjects split on '.', and '*'/'>' are wildcards.
fn token(gate: &str) -> String {
    gate.chars()
        .map(|c| {
            if c == '.' || c == '*' || c == '>' || c.is_whitespace() {
                '_'
            } else {
                c
            }
        })
        .collect()
}

/// The event's type on the fleet stream, `None` for what stays local.
fn published_type(kind: &GateEventKind) -> Option<&'static str> {
    match kind {
        GateEventKind::Passage { .. } => Some("passage"),
        GateEventKind::Alarm { .. } => Some("alarm"),
        GateEventKind::Device(_) | GateEventKind::SourceHealth { .. } => Some("device"),
        GateEventKind::Lane { .. } => Some("lane"),
        _ => None,
    }
}

/// The spool record of a gate event, or `None` if it is not published.
pub fn record(prefix: &str, boot: u64, ev: &GateEvent) -> Option<Record> {
    let kind = published_type(&ev.kind)?;
    let mut data = serde_json::to_value(ev).ok()?;
    data["boot"] = boot.into();
    Some(Record {
        id: format!("{}-{boot}-{}", ev.gate, ev.seq),
        subject: format!("{prefix}.{}.{kind}", token(&ev.gate)),
        data,
    })
}

/// Starts publishing the events of `links`, or returns `None` when `[fleet] nats_url` is
/// empty. The spool is `[fleet] spool_dir`, else `fleet-spool` in `state_dir`.
pub fn start(
    cfg: &FleetConfig,
    state_dir: &Path,
    links: &[Arc<LocalGate>],
) -> anyhow::Result<Option<Fleet>> {
    if cfg.nats_url.trim().is_empty() {
        return Ok(None);
    }
    let dir = if cfg.spool_dir.is_empty() {
        state_dir.join("fleet-spool")
    } else {
        PathBuf::from(&cfg.spool_dir)
    };
    let spool = Arc::new(Spool::open(&dir)?);
    let boot = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    let (drain, draining) = watch::channel(false);
    let (flush, flushing) = watch::channel(false);
    let wake = Arc::new(Notify::new());
    let collectors = links
        .iter()
        .map(|link| {
            // From the gate's first event: the gates of a bank start (and run passages)
            // before the publisher does.
            let (early, events) = link.subscribe_from_start();
            tokio::spawn(collect(
                early,
                events,
                spool.clone(),
                cfg.subject_prefix.clone(),
                boot,
                wake.clone(),
                draining.clone(),
            ))
        })
        .collect();
    info!(url = %cfg.nats_url, stream = %cfg.stream, spool = %dir.display(), "fleet: publishing the gates' events");
    let sender = tokio::spawn(send(cfg.clone(), spool, wake, flushing));
    Ok(Some(Fleet {
        collectors,
        sender,
        drain,
        flush,
    }))
}

impl Fleet {
    /// After the gates stopped: spools their last events, then sends what the spool holds
    /// for up to `grace` (what is left is sent at the next start).
    pub async fn finish(self, grace: Duration) {
        let _ = self.drain.send(true);
        for c in self.collectors {
            let _ = c.await;
        }
        // Only now: the sender must not see an empty spool before the last events are in.
        let _ = self.flush.send(true);
        if tokio::time::timeout(grace, self.sender).await.is_err() {
            warn!("fleet: events still in the spool at shutdown; they are sent at the next start");
        }
    }
}

async fn collect(
    early: Vec<GateEvent>,
    mut events: broadcast::Receiver<GateEvent>,
    spool: Arc<Spool>,
    prefix: String,
    boot: u64,
    wake: Arc<Notify>,
    mut draining: watch::Receiver<bool>,
) {
    let keep = |ev: &GateEvent| {
        if let Some(r) = record(&prefix, boot, ev) {
            match spool.append(&r) {
                Ok(()) => wake.notify_one(),
                Err(e) => warn!(error = %e, "fleet: an event cannot be spooled"),
            }
        }
    };
    for ev in &early {
        keep(ev);
    }
    loop {
        tokio::select! {
            biased;
            ev = events.recv() => match ev {
                Ok(ev) => keep(&ev),
                Err(broadcast::error::RecvError::Lagged(n)) => {
                    warn!(missed = n, "fleet: events missed (the spool fell behind the gate)");
                }
                Err(broadcast::error::RecvError::Closed) => return,
            },
            _ = draining.wait_for(|d| *d) => {
                while let Ok(ev) = events.try_recv() {
                    keep(&ev);
                }
                return;
            }
        }
    }
}

async fn send(
    cfg: FleetConfig,
    spool: Arc<Spool>,
    wake: Arc<Notify>,
    mut flushing: watch::Receiver<bool>,
) {
    let ack_timeout = Duration::from_secs_f64(cfg.ack_timeout_s);
    let options = async_nats::ConnectOptions::new()
        .name("egate")
        .retry_on_initial_connect()
        .max_reconnects(None)
        .connection_timeout(ack_timeout);
    let client = match async_nats::connect_with_options(cfg.nats_url.as_str(), options).await {
        Ok(c) => c,
        Err(e) => {
            warn!(error = %e, "fleet: cannot use [fleet] nats_url; events stay in the spool");
            return;
        }
    };
    let mut js = jetstream::new(client);
    js.set_timeout(ack_timeout);
    let stream = jetstream::stream::Config {
        name: cfg.stream.clone(),
        subjects: vec![format!("{}.>", cfg.subject_prefix)],
        storage: jetstream::stream::StorageType::File,
        duplicate_window: DUPLICATE_WINDOW,
        ..Default::default()
    };
    let mut stream_ready = false;
    let mut backoff = Duration::from_millis(100);
    let mut down_since: Option<std::time::Instant> = None;
    loop {
        let finishing = *flushing.borrow();
        if finishing && spool.is_empty() {
            return;
        }
        if !stream_ready {
            match js.get_or_create_stream(stream.clone()).await {
                Ok(_) => stream_ready = true,
                Err(e) => {
                    if down_since.is_none() {
                        warn!(error = %e, "fleet: the stream cannot be reached; spooling");
                        down_since = Some(std::time::Instant::now());
                    }
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_secs(2));
                    continue;
                }
            }
        }
        let batch = match spool.pending(BATCH) {
            Ok(b) => b,
            Err(e) => {
                warn!(error = %e, "fleet: the spool cannot be read");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        if batch.is_empty() {
            tokio::select! {
                _ = wake.notified() => {}
                _ = flushing.changed() => {}
                _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            }
            continue;
        }
        let mut acks = Vec::with_capacity(batch.len());
        for (end, rec) in &batch {
            let body = serde_json::to_vec(&rec.data).unwrap_or_default();
            let msg = jetstream::message::PublishMessage::build()
                .payload(bytes::Bytes::from(body))
                .message_id(&rec.id);
            match js.send_publish(rec.subject.clone(), msg).await {
                Ok(ack) => acks.push((*end, ack)),
                Err(e) => {
                    if e.kind() == PublishErrorKind::MaxPayloadExceeded {
                        warn!(id = %rec.id, "fleet: an event is too large for the broker; dropped");
                    }
                    break;
                }
            }
        }
        let mut acked = 0;
        for (end, ack) in acks {
            match ack.await {
                Ok(_) => {
                    if let Err(e) = spool.ack(end) {
                        warn!(error = %e, "fleet: the spool cannot record an acknowledgement");
                    }
                    acked += 1;
                }
                Err(e) => {
                    if down_since.is_none() {
                        warn!(error = %e, "fleet: no acknowledgement from the broker; spooling");
                        down_since = Some(std::time::Instant::now());
                    }
                    break;
                }
            }
        }
        if acked == batch.len() {
            if let Some(since) = down_since.take() {
                info!(
                    after_s = since.elapsed().as_secs_f64(),
                    "fleet: the broker acknowledges again; catching up"
                );
            }
            backoff = Duration::from_millis(100);
        } else {
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(Duration::from_secs(2));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_passages_alarms_devices_and_lane_state_are_published_under_their_ids() {
        let ev = |kind| GateEvent {
            gate: "gate.1".into(),
            seq: 7,
            ts_ms: 1,
            kind,
        };
        let r = record(
            "egate.events",
            42,
            &ev(GateEventKind::Passage {
                outcome: "referred".into(),
                reason: Some("face_mismatch".into()),
                duration_ms: 5000,
            }),
        )
        .unwrap();
        assert_eq!(r.id, "gate.1-42-7");
        assert_eq!(r.subject, "egate.events.gate_1.passage");
        assert_eq!(r.data["reason"], "face_mismatch");
        assert_eq!(r.data["boot"], 42);
        let phase = ev(GateEventKind::Phase {
            phase: "idle".into(),
            step: String::new(),
        });
        assert!(record("egate.events", 42, &phase).is_none());
    }
}
