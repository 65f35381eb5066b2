//! The console's side of the fleet stream: `egate console --stream-gates ID,...` follows
//! gates on the JetStream stream their daemons publish to (`[fleet]`), instead of connecting
//! to each gate's API.
//!
//! One durable pull consumer (`[fleet] console_consumer`, explicit acknowledgement) reads the
//! stream's `<subject_prefix>.>` subjects. Nothing is fetched before the console's hub has
//! subscribed to every followed gate; each message is handed to its gate's [`StreamGate`],
//! and acknowledged only once the hub has taken it off the gate's channel, so the hub never
//! falls behind and a restarted console goes on from where it stopped. Its first start
//! replays what the stream still holds. A redelivered event (an acknowledgement lost with a
//! crash) is dropped by its gate, boot and sequence number.
//!
//! The stream carries passage outcomes, alarms, device health and lane state (see
//! [`super::record`]), never phases, commands or photos: a followed gate shows its phase as
//! `unknown`, and takes no commands (an officer sends those through a console connected to
//! the gate's API). Its tile counts the passages this console has followed since it started.
//! While the stream cannot be read, each followed gate reports its device `fleet_stream` as
//! down, so the officer sees that the tiles are stale.

use std::collections::{BTreeSet, HashMap};
use std::hash::{Hash, Hasher};
use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::{self, consumer::pull};
use console::link::{DeviceHealth, PhotoKind, StatusBoard};
use console::link::{GateEvent, GateEventKind, GateLink, GateStatus, LinkError, OfficerRequest};
use futures_util::StreamExt;
use tokio::sync::broadcast;
use tokio::task::JoinHandle;
use tracing::{info, warn};

use crate::config::fleet::FleetConfig;

/// How long a delivered message waits for its acknowledgement before it is delivered again.
const ACK_WAIT: Duration = Duration::from_secs(10);
/// Alarm ids from here up count per daemon boot (trust-list and unrecorded alarms), not per
/// audit trail: on the stream they are made unique with the boot (see [`alarm_id`]).
const PER_BOOT_ALARM_IDS: u64 = 1 << 40;
/// Unknown gate ids named in the log, at most (the rest are ignored silently).
const UNKNOWN_NAMED: usize = 16;

/// A gate followed on the fleet stream: its status is what its events said.
pub struct StreamGate {
    id: String,
    board: StatusBoard,
}

impl StreamGate {
    fn new(id: &str) -> Arc<Self> {
        let mut status = GateStatus::idle(id, "unknown");
        status.phase = "unknown".into();
        status.step = "followed on the fleet stream".into();
        Arc::new(Self {
            id: id.to_string(),
            board: StatusBoard::new(status),
        })
    }

    /// Takes one event of this gate into its status and passes it on; returns once every
    /// subscriber (the hub) has taken it off the channel.
    async fn take(&self, event: GateEvent) {
        self.board.update(|s| apply(s, &event.kind));
        if !self.board.send(event) {
            return;
        }
        while !self.board.drained() {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }

    /// Whether the hub has subscribed.
    fn subscribed(&self) -> bool {
        self.board.subscribers() > 0
    }

    /// The stream's own health on the tile, as a device, sent on when it changes.
    async fn stream_health(&self, ok: bool, detail: &str) {
        let d = DeviceHealth {
            device: "fleet_stream".into(),
            ok,
            detail: detail.into(),
        };
        let changed = self.board.update(|s| !s.devices.contains(&d));
        if changed {
            self.take(GateEvent {
                gate: self.id.clone(),
                seq: 0,
                ts_ms: console::hub::now_ms(),
                kind: GateEventKind::Device(d),
            })
            .await;
        }
    }
}

/// The alarm id the console keeps: the gate's own for alarms numbered by its audit trail
/// (unique across its restarts); for those a daemon numbers per boot, one made unique with
/// the boot, in the same per-boot range.
fn alarm_id(boot: u64, id: u64) -> u64 {
    if id < PER_BOOT_ALARM_IDS {
        return id;
    }
    let mut h = std::collections::hash_map::DefaultHasher::new();
    (boot, id).hash(&mut h);
    PER_BOOT_ALARM_IDS | (h.finish() >> 24)
}

/// A message of the stream: the gate event and the boot of the daemon that published it.
#[derive(serde::Deserialize)]
struct Published {
    #[serde(flatten)]
    event: GateEvent,
    #[serde(default)]
    boot: u64,
}

/// What an event says about the gate's status.
fn apply(s: &mut GateStatus, kind: &GateEventKind) {
    match kind {
        GateEventKind::Passage { outcome, .. } => match outcome.as_str() {
            "accepted" => s.passages_accepted += 1,
            "referred" => s.passages_referred += 1,
            _ => {}
        },
        GateEventKind::Lane {
            open,
            out_of_service,
        } => {
            s.lane_open = *open;
            s.out_of_service = *out_of_service;
        }
        GateEventKind::Device(d) => upsert_device(&mut s.devices, d),
        GateEventKind::Alarm { .. }
        | GateEventKind::SourceHealth { .. }
        | GateEventKind::Phase { .. }
        | GateEventKind::Command { .. } => {}
    }
}

fn upsert_device(devices: &mut Vec<DeviceHealth>, d: &DeviceHealth) {
    match devices.iter_mut().find(|x| x.device == d.device) {
        Some(x) => *x = d.clone(),
        None => devices.push(d.clone()),
    }
}

impl GateLink for StreamGate {
    fn id(&self) -> &str {
        &self.id
    }
    fn status(&self) -> Result<GateStatus, LinkError> {
        Ok(self.board.status())
    }
    fn subscribe(&self) -> broadcast::Receiver<GateEvent> {
        self.board.subscribe()
    }
    fn command(&self, _cmd: OfficerRequest) -> Result<(), LinkError> {
        Err(LinkError::Refused(
            self.id.clone(),
            "followed on the fleet stream, which carries no commands: use a console connected \
             to the gate's API"
                .into(),
        ))
    }
    fn photo(&self, _kind: PhotoKind) -> Option<Vec<u8>> {
        None
    }
}

/// The followed gates' links and the task that feeds them.
pub struct Following {
    /// One link per gate id given, in order.
    pub links: Vec<Arc<StreamGate>>,
    /// Reads the stream until the console stops.
    pub task: JoinHandle<()>,
}

/// Starts following `gates` on the stream of `cfg` (its `nats_url`, `stream`,
/// `subject_prefix` and `console_consumer`). Nothing is read before every link has a
/// subscriber (the console's hub).
pub fn follow(cfg: &FleetConfig, gates: &[String]) -> Following {
    let links: Vec<Arc<StreamGate>> = gates.iter().map(|g| StreamGate::new(g)).collect();
    let by_id: HashMap<String, Arc<StreamGate>> = links
        .iter()
        .map(|l| (l.id.clone(), Arc::clone(l)))
        .collect();
    let task = tokio::spawn(consume(cfg.clone(), by_id));
    Following { links, task }
}

/// Reads the stream for ever: waits for the hub, connects, binds the durable consumer,
/// pulls; binds again after any error of the consumer.
async fn consume(cfg: FleetConfig, gates: HashMap<String, Arc<StreamGate>>) {
    while !gates.values().all(|g| g.subscribed()) {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let down = |detail: String| {
        let gates = gates.values().cloned().collect::<Vec<_>>();
        async move {
            for g in gates {
                g.stream_health(false, &detail).await;
            }
        }
    };
    let options = async_nats::ConnectOptions::new()
        .name("egate-console")
        .retry_on_initial_connect()
        .max_reconnects(None);
    let client = match async_nats::connect_with_options(cfg.nats_url.as_str(), options).await {
        Ok(c) => c,
        Err(e) => {
            warn!(error = %e, "console: cannot use [fleet] nats_url; the followed gates stay silent");
            down(format!("[fleet] nats_url: {e}")).await;
            return;
        }
    };
    let js = jetstream::new(client);
    let mut unknown = BTreeSet::new();
    // The last sequence number taken per (gate, boot): a redelivery is not taken twice.
    let mut last: HashMap<(String, u64), u64> = HashMap::new();
    let mut failing = false;
    loop {
        let consumer = match bind(&js, &cfg).await {
            Ok(c) => c,
            Err(e) => {
                if !failing {
                    warn!(stream = %cfg.stream, consumer = %cfg.console_consumer, error = %e,
                          "console: the fleet stream's consumer cannot be bound; retrying");
                    down(format!("stream {}: {e}", cfg.stream)).await;
                    failing = true;
                }
                tokio::time::sleep(Duration::from_millis(500)).await;
                continue;
            }
        };
        if std::mem::take(&mut failing) {
            info!(stream = %cfg.stream, "console: following the fleet stream");
        }
        for g in gates.values() {
            g.stream_health(true, "").await;
        }
        // Short pull requests: one lost with a restarting broker expires, the next reaches it.
        'pull: loop {
            let batch = consumer
                .fetch()
                .max_messages(256)
                .expires(Duration::from_secs(1))
                .messages()
                .await;
            let mut batch = match batch {
                Ok(b) => b,
                Err(e) => {
                    warn!(error = %e, "console: pulling from the fleet stream failed; binding again");
                    down(e.to_string()).await;
                    failing = true;
                    tokio::time::sleep(Duration::from_millis(500)).await;
                    break 'pull;
                }
            };
            while let Some(m) = batch.next().await {
                let m = match m {
                    Ok(m) => m,
                    Err(e) => {
                        // A deleted consumer or stream answers every pull with an error.
                        warn!(error = %e, "console: the fleet stream answered with an error; binding again");
                        down(e.to_string()).await;
                        failing = true;
                        tokio::time::sleep(Duration::from_millis(500)).await;
                        break 'pull;
                    }
                };
                match serde_json::from_slice::<Published>(&m.payload) {
                    Ok(Published { mut event, boot }) => match gates.get(&event.gate) {
                        Some(g) => {
                            let key = (event.gate.clone(), boot);
                            if last.get(&key).is_none_or(|&seq| event.seq > seq) {
                                last.insert(key, event.seq);
                                if let GateEventKind::Alarm { alarm_id: id, .. } = &mut event.kind {
                                    *id = alarm_id(boot, *id);
                                }
                                g.take(event).await;
                            }
                        }
                        None => {
                            if unknown.len() < UNKNOWN_NAMED && unknown.insert(event.gate.clone()) {
                                warn!(gate = %event.gate.chars().take(64).collect::<String>(),
                                      "console: an event of a gate not in --stream-gates; ignored");
                            }
                        }
                    },
                    Err(e) => {
                        // The error's class and place, never the payload's values.
                        warn!(subject = %m.subject, class = ?e.classify(), line = e.line(),
                              column = e.column(),
                              "console: a message on the fleet stream is not a gate event; skipped");
                    }
                }
                if let Err(e) = m.ack().await {
                    warn!(error = %e, "console: a fleet message could not be acknowledged; it comes again");
                }
            }
        }
    }
}

async fn bind(
    js: &jetstream::Context,
    cfg: &FleetConfig,
) -> Result<jetstream::consumer::Consumer<pull::Config>, String> {
    let stream = js
        .get_stream(&cfg.stream)
        .await
        .map_err(|e| e.to_string())?;
    if cfg.console_consumer.is_empty() {
        return Err("[fleet] console_consumer is not set".into());
    }
    stream
        .get_or_create_consumer(
            &cfg.console_consumer,
            pull::Config {
                durable_name: Some(cfg.console_consumer.clone()),
                filter_subject: format!("{}.>", cfg.subject_prefix),
                ack_policy: jetstream::consumer::AckPolicy::Explicit,
                ack_wait: ACK_WAIT,
                ..Default::default()
            },
        )
        .await
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(kind: GateEventKind) -> GateEvent {
        GateEvent {
            gate: "g1".into(),
            seq: 1,
            ts_ms: 1,
            kind,
        }
    }

    #[tokio::test]
    async fn a_followed_gate_counts_passages_and_keeps_lane_and_device_state() {
        let g = StreamGate::new("g1");
        assert!(!g.subscribed());
        let mut rx = g.subscribe();
        assert!(g.subscribed());
        // The hub's side: takes every event off the channel.
        let hub = tokio::spawn(async move {
            let mut n = 0;
            while rx.recv().await.is_ok() {
                n += 1;
            }
            n
        });
        assert_eq!(g.status().unwrap().phase, "unknown");
        for outcome in ["accepted", "referred", "accepted", "abandoned"] {
            g.take(ev(GateEventKind::Passage {
                outcome: outcome.into(),
                reason: None,
                duration_ms: 1,
            }))
            .await;
        }
        g.take(ev(GateEventKind::Lane {
            open: false,
            out_of_service: true,
        }))
        .await;
        let fault = DeviceHealth {
            device: "door_controller".into(),
            ok: false,
            detail: "link".into(),
        };
        g.take(ev(GateEventKind::Device(fault.clone()))).await;
        g.take(ev(GateEventKind::Device(DeviceHealth {
            ok: true,
            detail: String::new(),
            ..fault
        })))
        .await;
        // The stream's health is a device of its own, sent on only when it changes.
        g.stream_health(false, "no broker").await;
        g.stream_health(false, "no broker").await;
        g.stream_health(true, "").await;
        let s = g.status().unwrap();
        assert_eq!((s.passages_accepted, s.passages_referred), (2, 1));
        assert!(!s.lane_open && s.out_of_service);
        assert_eq!(s.devices.len(), 2);
        assert!(s.devices.iter().all(|d| d.ok), "{:?}", s.devices);
        // Every event went on to the hub, in order: take returns once it is off the channel.
        assert!(g.board.drained());
        drop(g);
        assert_eq!(hub.await.unwrap(), 9);
    }

    #[test]
    fn per_boot_alarm_ids_are_made_unique_with_the_boot_and_trail_ids_kept() {
        assert_eq!(alarm_id(1, 42), 42);
        assert_eq!(alarm_id(2, 42), 42);
        let (a, b) = (
            alarm_id(1, PER_BOOT_ALARM_IDS + 1),
            alarm_id(2, PER_BOOT_ALARM_IDS + 1),
        );
        assert_ne!(a, b);
        assert!(a >= PER_BOOT_ALARM_IDS && b >= PER_BOOT_ALARM_IDS);
        assert_eq!(a, alarm_id(1, PER_BOOT_ALARM_IDS + 1));
        assert_ne!(alarm_id(1, u64::MAX - 1), alarm_id(2, u64::MAX - 1));
    }

    #[test]
    fn a_followed_gate_refuses_commands_and_has_no_photos() {
        let g = StreamGate::new("g1");
        let r = g.command(OfficerRequest {
            officer: "o".into(),
            role: console::auth::Role::Supervisor,
            action: gate::OfficerCommand::ReleaseExit,
            comment: None,
        });
        assert!(
            matches!(&r, Err(LinkError::Refused(id, why)) if id == "g1" && why.contains("fleet stream")),
            "{r:?}"
        );
        assert!(g.photo(PhotoKind::Live).is_none());
    }

    #[test]
    fn a_fleet_message_is_a_gate_event() {
        // What `super::record` publishes: the event, plus the daemon's boot time.
        let e = ev(GateEventKind::Alarm {
            alarm_id: 42,
            reason: "face_mismatch".into(),
        });
        let r = super::super::record("egate.events", 7, &e).unwrap();
        let back: Published =
            serde_json::from_slice(&serde_json::to_vec(&r.data).unwrap()).unwrap();
        assert_eq!((back.event, back.boot), (e, 7));
    }
}
