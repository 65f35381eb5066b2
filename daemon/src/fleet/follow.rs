//! The console's side of the fleet stream: `egate console --stream-gates ID,...` follows
//! gates on the JetStream stream their daemons publish to (`[fleet]`), instead of connecting
//! to each gate's API.
//!
//! One durable pull consumer (`[fleet] console_consumer`, explicit acknowledgement) reads the
//! stream's `<subject_prefix>.>` subjects; each message is handed to its gate's
//! [`StreamGate`] and then acknowledged, so a restarted console goes on from where it stopped. Its first start
//! replays what the stream still holds. Delivery is at least once: an event handed over just
//! before a crash can come again (alarms are kept once per gate and alarm id).
//!
//! The stream carries passage outcomes, alarms, device health and lane state (see
//! [`super::record`]), never phases, commands or photos: a followed gate shows its phase as
//! `unknown`, and takes no commands (an officer sends those through a console connected to
//! the gate's API).

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_nats::jetstream::{self, consumer::pull};
use console::link::{DeviceHealth, PhotoKind};
use console::link::{GateEvent, GateEventKind, GateLink, GateStatus, LinkError, OfficerRequest};
use futures_util::StreamExt;
use tokio::sync::broadcast;
use tokio::task::JoinHandle;
use tracing::{info, warn};

use crate::config::fleet::FleetConfig;

/// How long a delivered message waits for its acknowledgement before it is delivered again.
const ACK_WAIT: Duration = Duration::from_secs(10);

/// A gate followed on the fleet stream: its status is what its events said.
pub struct StreamGate {
    id: String,
    status: Mutex<GateStatus>,
    events: broadcast::Sender<GateEvent>,
}

impl StreamGate {
    fn new(id: &str) -> Arc<Self> {
        let mut status = GateStatus::idle(id, "unknown");
        status.phase = "unknown".into();
        status.step = "followed on the fleet stream".into();
        Arc::new(Self {
            id: id.to_string(),
            status: Mutex::new(status),
            events: broadcast::channel(1024).0,
        })
    }

    /// Takes one event of this gate into its status and passes it on.
    fn take(&self, event: GateEvent) {
        {
            let mut s = self.status.lock().unwrap_or_else(|p| p.into_inner());
            apply(&mut s, &event.kind);
        }
        // No subscriber is fine: the hub subscribes when the console starts.
        let _ = self.events.send(event);
    }
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
        Ok(self
            .status
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone())
    }
    fn subscribe(&self) -> broadcast::Receiver<GateEvent> {
        self.events.subscribe()
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

/// Starts following `gates` on the stream of `cfg` (its `nats_url`, `stream` and
/// `subject_prefix`, as the gates publish).
pub fn follow(cfg: &FleetConfig, gates: &[String]) -> Following {
    let links: Vec<Arc<StreamGate>> = gates.iter().map(|g| StreamGate::new(g)).collect();
    let by_id: HashMap<String, Arc<StreamGate>> = links
        .iter()
        .map(|l| (l.id.clone(), Arc::clone(l)))
        .collect();
    let task = tokio::spawn(consume(cfg.clone(), by_id));
    Following { links, task }
}

/// Reads the stream for ever: connects (again), binds the durable consumer, pulls.
async fn consume(cfg: FleetConfig, gates: HashMap<String, Arc<StreamGate>>) {
    let options = async_nats::ConnectOptions::new()
        .name("egate-console")
        .retry_on_initial_connect()
        .max_reconnects(None);
    let client = match async_nats::connect_with_options(cfg.nats_url.as_str(), options).await {
        Ok(c) => c,
        Err(e) => {
            warn!(error = %e, "console: cannot use [fleet] nats_url; the followed gates stay silent");
            return;
        }
    };
    let js = jetstream::new(client);
    let mut unknown = BTreeSet::new();
    let mut said_waiting = false;
    loop {
        let consumer = match bind(&js, &cfg).await {
            Ok(c) => c,
            Err(e) => {
                if !said_waiting {
                    warn!(stream = %cfg.stream, error = %e, "console: the fleet stream is not there yet; waiting");
                    said_waiting = true;
                }
                tokio::time::sleep(Duration::from_millis(500)).await;
                continue;
            }
        };
        if said_waiting {
            info!(stream = %cfg.stream, "console: following the fleet stream");
            said_waiting = false;
        }
        // Short pull requests: one lost with a restarting broker expires, the next reaches it.
        loop {
            let batch = consumer
                .fetch()
                .max_messages(256)
                .expires(Duration::from_secs(1))
                .messages()
                .await;
            let Ok(mut batch) = batch else {
                tokio::time::sleep(Duration::from_millis(200)).await;
                break;
            };
            while let Some(m) = batch.next().await {
                let Ok(m) = m else { break };
                match serde_json::from_slice::<GateEvent>(&m.payload) {
                    Ok(ev) => match gates.get(&ev.gate) {
                        Some(g) => g.take(ev),
                        None => {
                            if unknown.insert(ev.gate.clone()) {
                                warn!(gate = %ev.gate, "console: an event of a gate not in --stream-gates; ignored");
                            }
                        }
                    },
                    Err(e) => {
                        warn!(subject = %m.subject, error = %e, "console: a message on the fleet stream is not a gate event; skipped");
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

    #[test]
    fn a_followed_gate_counts_passages_and_keeps_lane_and_device_state() {
        let g = StreamGate::new("g1");
        let mut rx = g.subscribe();
        assert_eq!(g.status().unwrap().phase, "unknown");
        for outcome in ["accepted", "referred", "accepted", "abandoned"] {
            g.take(ev(GateEventKind::Passage {
                outcome: outcome.into(),
                reason: None,
                duration_ms: 1,
            }));
        }
        g.take(ev(GateEventKind::Lane {
            open: false,
            out_of_service: true,
        }));
        let fault = DeviceHealth {
            device: "door_controller".into(),
            ok: false,
            detail: "link".into(),
        };
        g.take(ev(GateEventKind::Device(fault.clone())));
        g.take(ev(GateEventKind::Device(DeviceHealth {
            ok: true,
            detail: String::new(),
            ..fault
        })));
        let s = g.status().unwrap();
        assert_eq!((s.passages_accepted, s.passages_referred), (2, 1));
        assert!(!s.lane_open && s.out_of_service);
        assert_eq!(s.devices.len(), 1);
        assert!(s.devices[0].ok);
        // Every event goes on to the console, in order.
        let mut n = 0;
        while rx.try_recv().is_ok() {
            n += 1;
        }
        assert_eq!(n, 7);
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
        let back: GateEvent =
            serde_json::from_slice(&serde_json::to_vec(&r.data).unwrap()).unwrap();
        assert_eq!(back, e);
    }
}
