//! TEST FIXTURE — not part of egate. Serves the real officers' console over N in-process
//! `LocalGate`s fed with synthetic gate events (no state machine, no devices), for the
//! console's browser tests and for developing the page. Nothing here is reachable from the
//! `egate` binary or its config; `egate run --sim` is the real thing.
//!
//! ```text
//! cargo run -p egate --example console_fixture -- --gates 8 --users FILE --state-dir DIR \
//!     [--listen 127.0.0.1:0] [--token-file FILE] [--client-ca FILE] [--cycle-ms 4000]
//! ```
//!
//! Each gate loops through a passage (document → chip → entry → capture → match → exit) every
//! `--cycle-ms`; every third passage of a gate is referred with a reason and raises an alarm.
//! Officer commands act as a gate would: closing the lane stops new passages, out of service
//! stops everything until a reset, release/refer only count during a passage. The photos of the
//! passage in progress are synthetic "SPECIMEN" placeholders.

#![allow(missing_docs)]

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use console::link::{
    DeviceHealth, GateEventKind, GateLink, GateStatus, LocalGate, OfficerRequest, PhotoKind,
};
use gate::OfficerCommand;
use tokio::sync::mpsc::UnboundedReceiver;

const CHIP: &[u8] = include_bytes!("console_fixture_chip.jpg");
const LIVE: &[u8] = include_bytes!("console_fixture_live.jpg");
const REASONS: [&str; 5] = [
    "face_mismatch",
    "tailgating",
    "pa_failed",
    "borderdb_hit",
    "pad_alarm",
];

struct Args {
    gates: usize,
    listen: String,
    users: Option<PathBuf>,
    state_dir: PathBuf,
    token_file: Option<PathBuf>,
    client_ca: Option<PathBuf>,
    cycle_ms: u64,
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        gates: 4,
        listen: "127.0.0.1:0".into(),
        users: None,
        state_dir: std::env::temp_dir().join("egate-console-fixture"),
        token_file: None,
        client_ca: None,
        cycle_ms: 4000,
    };
    let mut it = std::env::args().skip(1);
    while let Some(k) = it.next() {
        let mut v = || it.next().ok_or(format!("{k} needs a value"));
        match k.as_str() {
            "--gates" => a.gates = v()?.parse().map_err(|_| "--gates: a number")?,
            "--listen" => a.listen = v()?,
            "--users" => a.users = Some(v()?.into()),
            "--state-dir" => a.state_dir = v()?.into(),
            "--token-file" => a.token_file = Some(v()?.into()),
            "--client-ca" => a.client_ca = Some(v()?.into()),
            "--cycle-ms" => a.cycle_ms = v()?.parse().map_err(|_| "--cycle-ms: a number")?,
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(a)
}

fn devices() -> Vec<DeviceHealth> {
    ["chip_reader", "door_controller", "camera", "mrz_scanner"]
        .iter()
        .map(|d| DeviceHealth {
            device: d.to_string(),
            ok: true,
            detail: String::new(),
        })
        .collect()
}

#[tokio::main]
async fn main() {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("console_fixture: {e}");
            std::process::exit(2);
        }
    };
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new("info"))
        .with_ansi(false)
        .with_writer(std::io::stderr)
        .init();
    tracing::warn!("TEST FIXTURE: synthetic gates, not egate run");
    let audit = audit::AuditKey::load_or_create(&args.state_dir.join("audit-mac.key"))
        .and_then(|k| audit::AuditLog::open(&args.state_dir.join("audit.jsonl"), "fixture", &k))
        .unwrap_or_else(|e| {
            eprintln!("console_fixture: {e}");
            std::process::exit(1)
        });
    let audit = Arc::new(Mutex::new(audit));
    let mut links: Vec<Arc<dyn GateLink>> = Vec::new();
    for i in 1..=args.gates {
        let (g, rx) = LocalGate::new(GateStatus {
            step: "waiting for a traveller".into(),
            devices: devices(),
            ..GateStatus::idle(&format!("gate-{i}"), "not-checked")
        });
        links.push(g.clone());
        tokio::spawn(drive(g, rx, i, args.cycle_ms));
    }
    let cfg = console::ConsoleConfig {
        listen: args.listen.clone(),
        users_file: args.users.clone().unwrap_or_default(),
        gate_api_token_file: args.token_file.clone().unwrap_or_default(),
        gate_api_client_ca_file: args.client_ca.clone().unwrap_or_default(),
        ..Default::default()
    };
    let (_stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let env = console::Env {
        audit,
        simulation: args.users.is_none(),
        state_dir: args.state_dir.clone(),
        json_logs: false,
        // The fixture's gates write no trail: the console records what they send.
        gates_write_here: false,
    };
    match console::start(links, &cfg, env, stop_rx).await {
        Ok(c) => {
            let _ = c.task.await;
        }
        Err(e) => {
            eprintln!("console_fixture: {e}");
            std::process::exit(1);
        }
    }
}

const STEPS: [(&str, &str, u64); 6] = [
    ("document_check", "reading chip", 20),
    ("eligibility", "checking eligibility", 10),
    ("entry_open", "traveller entering", 15),
    ("face_capture", "capturing face", 25),
    ("matching", "matching face", 10),
    ("exit_open", "traveller leaving", 20),
];

/// One synthetic gate: passages on a loop, officer commands obeyed.
async fn drive(g: Arc<LocalGate>, mut rx: UnboundedReceiver<OfficerRequest>, n: usize, cycle: u64) {
    // Stagger the gates so that they are not in step.
    tokio::time::sleep(Duration::from_millis(cycle * n as u64 / 8)).await;
    let mut passage = 0u64;
    let mut alarm_id = 0u64;
    loop {
        let st = g.status().unwrap_or_else(|_| unreachable_status());
        if !st.lane_open || st.out_of_service {
            // Wait for an officer.
            match rx.recv().await {
                Some(cmd) => handle_idle(&g, cmd),
                None => return,
            }
            continue;
        }
        passage += 1;
        let referred = passage % 3 == 0 && passage > 0;
        let reason = REASONS[(passage as usize / 3 + n) % REASONS.len()];
        let start = tokio::time::Instant::now();
        let mut ended_by_officer = None;
        'steps: for (i, (phase, step, pct)) in STEPS.iter().enumerate() {
            if referred && i == 5 {
                break;
            }
            g.set_status(|s| {
                s.phase = phase.to_string();
                s.step = step.to_string();
                s.elapsed_ms = start.elapsed().as_millis() as u64;
                s.photos_available = i >= 3;
            });
            if i == 3 {
                g.set_photo(PhotoKind::Chip, Some(CHIP.to_vec()));
                g.set_photo(PhotoKind::Live, Some(LIVE.to_vec()));
            }
            g.publish(GateEventKind::Phase {
                phase: phase.to_string(),
                step: step.to_string(),
            });
            let until = tokio::time::Instant::now() + Duration::from_millis(cycle * pct / 100);
            loop {
                tokio::select! {
                    _ = tokio::time::sleep_until(until) => break,
                    cmd = rx.recv() => {
                        let Some(cmd) = cmd else { return };
                        match cmd.action {
                            OfficerCommand::ReleaseExit => {
                                ack(&g, &cmd, true);
                                ended_by_officer = Some(("accepted", None));
                                break 'steps;
                            }
                            OfficerCommand::Refer => {
                                ack(&g, &cmd, true);
                                ended_by_officer = Some(("referred", Some("officer_referral")));
                                break 'steps;
                            }
                            OfficerCommand::OutOfService => {
                                handle_idle(&g, cmd);
                                ended_by_officer = Some(("abandoned", Some("out_of_service")));
                                break 'steps;
                            }
                            _ => handle_idle(&g, cmd),
                        }
                    }
                }
            }
        }
        let (outcome, why) = match ended_by_officer {
            Some(x) => x,
            None if referred => ("referred", Some(reason)),
            None => ("accepted", None),
        };
        if outcome == "referred" && ended_by_officer.is_none() {
            alarm_id += 1;
            g.publish(GateEventKind::Alarm {
                alarm_id,
                reason: reason.to_string(),
            });
        }
        g.set_photo(PhotoKind::Chip, None);
        g.set_photo(PhotoKind::Live, None);
        g.set_status(|s| {
            s.phase = "idle".into();
            s.step = "waiting for a traveller".into();
            s.elapsed_ms = 0;
            s.photos_available = false;
            match outcome {
                "accepted" => s.passages_accepted += 1,
                "referred" => s.passages_referred += 1,
                _ => {}
            }
        });
        g.publish(GateEventKind::Passage {
            outcome: outcome.into(),
            reason: why.map(str::to_string),
            duration_ms: start.elapsed().as_millis() as u64,
        });
        g.publish(GateEventKind::Phase {
            phase: "idle".into(),
            step: "waiting for a traveller".into(),
        });
        // Time between travellers, commands still obeyed.
        let until = tokio::time::Instant::now() + Duration::from_millis(cycle / 10);
        loop {
            tokio::select! {
                _ = tokio::time::sleep_until(until) => break,
                cmd = rx.recv() => match cmd { Some(c) => handle_idle(&g, c), None => return },
            }
        }
    }
}

fn unreachable_status() -> GateStatus {
    GateStatus {
        lane_open: false,
        out_of_service: true,
        ..GateStatus::idle("", "not-checked")
    }
}

fn ack(g: &LocalGate, cmd: &OfficerRequest, accepted: bool) {
    g.publish(GateEventKind::Command {
        officer: cmd.officer.clone(),
        action: cmd.action,
        accepted,
    });
}

/// A command outside a passage (or one that does not end it).
fn handle_idle(g: &LocalGate, cmd: OfficerRequest) {
    let st = match g.status() {
        Ok(s) => s,
        Err(_) => return,
    };
    let (open, oos, accepted) = match cmd.action {
        OfficerCommand::LaneOpen => (true, st.out_of_service, !st.out_of_service),
        OfficerCommand::LaneClose => (false, st.out_of_service, true),
        OfficerCommand::OutOfService => (false, true, true),
        OfficerCommand::Reset => (st.lane_open, false, st.out_of_service),
        // Nobody in the gate: nothing to release or refer.
        OfficerCommand::ReleaseExit | OfficerCommand::Refer => {
            (st.lane_open, st.out_of_service, false)
        }
    };
    let open = if accepted { open } else { st.lane_open };
    let oos = if accepted { oos } else { st.out_of_service };
    ack(g, &cmd, accepted);
    if accepted && (open != st.lane_open || oos != st.out_of_service) {
        g.set_status(|s| {
            s.lane_open = open;
            s.out_of_service = oos;
            if oos {
                s.phase = "out_of_service".into();
                s.step = "taken out of service by an officer".into();
            } else if s.phase == "out_of_service" {
                s.phase = "idle".into();
                s.step = "waiting for a traveller".into();
            }
        });
        g.publish(GateEventKind::Lane {
            open,
            out_of_service: oos,
        });
    }
}
