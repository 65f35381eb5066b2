//! `egate hw`: commissioning tools for gate hardware.
//!
//! `egate hw door --port PATH [--map FILE] (status | open DOOR | close DOOR | watch)` talks to
//! the door controller through the same Modbus RTU adapter the daemon uses, so what a
//! technician sees is what the gate will see. Exit codes: 0 ok, 1 the device or the command
//! failed, 2 usage, 64 bad map file.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::{Args, Subcommand, ValueEnum};
use hardware::door::{
    DoorCommand, DoorController, DoorEvent, DoorId, DoorMap, DoorPosition, Input,
    ModbusDoorController, Snapshot,
};
use tokio::sync::mpsc::UnboundedReceiver;

/// Exit code when the device or the command failed.
const EXIT_FAILED: u8 = 1;
/// Exit code for a bad map file (sysexits EX_USAGE, as for a bad configuration).
const EXIT_BAD_MAP: u8 = 64;

/// Arguments of `egate hw`.
#[derive(Args)]
pub(crate) struct HwArgs {
    #[command(subcommand)]
    device: Device,
}

#[derive(Subcommand)]
enum Device {
    /// The door controller (Modbus RTU over a serial line)
    Door(DoorArgs),
}

#[derive(Args)]
struct DoorArgs {
    /// Serial port of the controller, e.g. /dev/ttyUSB0
    #[arg(long)]
    port: String,
    /// Register map (TOML); default: egate's reference map (hardware/door-map.md)
    #[arg(long)]
    map: Option<PathBuf>,
    #[command(subcommand)]
    action: DoorAction,
}

#[derive(Subcommand)]
enum DoorAction {
    /// Read every input and register once
    Status,
    /// Unlock and open a door, and wait until its open sensor confirms it
    Open {
        /// Which door
        door: DoorArg,
    },
    /// Close a door (refused while its zones are occupied), wait for the closed sensor
    Close {
        /// Which door
        door: DoorArg,
    },
    /// Print every change until interrupted
    Watch {
        /// Stop after this many seconds
        #[arg(long)]
        seconds: Option<u64>,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum DoorArg {
    Entry,
    Exit,
}

impl From<DoorArg> for DoorId {
    fn from(d: DoorArg) -> DoorId {
        match d {
            DoorArg::Entry => DoorId::Entry,
            DoorArg::Exit => DoorId::Exit,
        }
    }
}

/// Runs `egate hw`.
pub(crate) fn main(args: HwArgs) -> ExitCode {
    match args.device {
        Device::Door(door) => door_main(door),
    }
}

fn load_map(path: Option<&PathBuf>) -> Result<DoorMap, ExitCode> {
    let Some(path) = path else {
        return Ok(DoorMap::default());
    };
    super::load_file(path, "register map", EXIT_BAD_MAP, DoorMap::from_toml)
}

fn door_main(args: DoorArgs) -> ExitCode {
    let map = match load_map(args.map.as_ref()) {
        Ok(m) => m,
        Err(code) => return code,
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("egate hw: cannot start the runtime: {e}");
            return ExitCode::from(EXIT_FAILED);
        }
    };
    runtime.block_on(door_async(args.port, map, args.action))
}

/// Opens the adapter and waits for the first complete reading.
async fn connect(
    port: &str,
    map: &DoorMap,
) -> Result<(ModbusDoorController, UnboundedReceiver<DoorEvent>, Snapshot), ExitCode> {
    let (doors, mut events) = ModbusDoorController::open(port, map.clone()).map_err(|e| {
        eprintln!("egate hw door: {e}");
        ExitCode::from(EXIT_FAILED)
    })?;
    // The adapter reports a link fault after the watchdog; wait a little longer than that.
    let give_up = map.watchdog() + map.response_timeout() * 2 + Duration::from_secs(1);
    let first = tokio::time::timeout(give_up, async {
        while let Some(ev) = events.recv().await {
            match ev {
                DoorEvent::Connected(snap) => return Some(snap),
                DoorEvent::LinkFault { .. } => return None,
                _ => {}
            }
        }
        None
    })
    .await
    .ok()
    .flatten();
    match first {
        Some(snap) => Ok((doors, events, snap)),
        None => {
            let s = doors.stats();
            eprintln!(
                "egate hw door: no valid answer from unit {} on {port} ({} baud): check wiring, \
                 baud rate, parity and unit id ({} requests, {} timeouts, {} CRC errors)",
                map.unit_id, map.serial.baud, s.requests, s.timeouts, s.crc_errors
            );
            Err(ExitCode::from(EXIT_FAILED))
        }
    }
}

async fn door_async(port: String, map: DoorMap, action: DoorAction) -> ExitCode {
    let (doors, events, snap) = match connect(&port, &map).await {
        Ok(c) => c,
        Err(code) => return code,
    };
    match action {
        DoorAction::Status => {
            print_status(&port, &map, &snap, &doors);
            ExitCode::SUCCESS
        }
        DoorAction::Open { door } => run_command(&doors, DoorCommand::Open(door.into())).await,
        DoorAction::Close { door } => run_command(&doors, DoorCommand::Close(door.into())).await,
        DoorAction::Watch { seconds } => watch(&doors, events, snap, seconds).await,
    }
}

async fn run_command(doors: &ModbusDoorController, command: DoorCommand) -> ExitCode {
    let (door, verb) = match command {
        DoorCommand::Open(d) => (d, "open"),
        DoorCommand::Close(d) => (d, "closed"),
        DoorCommand::Set(..) => return ExitCode::from(EXIT_FAILED),
    };
    let t0 = Instant::now();
    match doors.execute(command).await {
        Ok(()) => {
            println!(
                "{} door {verb} (confirmed after {} ms)",
                door.as_str(),
                t0.elapsed().as_millis()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("egate hw door: {e} [{}]", e.kind());
            ExitCode::from(EXIT_FAILED)
        }
    }
}

fn yes_no(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

fn position(p: DoorPosition) -> &'static str {
    match p {
        DoorPosition::Closed => "closed",
        DoorPosition::Open => "open",
        DoorPosition::Between => "between (moving or stopped)",
        DoorPosition::Inconsistent => "INCONSISTENT (closed and open sensors both active)",
    }
}

fn print_status(port: &str, map: &DoorMap, snap: &Snapshot, doors: &ModbusDoorController) {
    let on = |i: Input| snap.inputs.contains(i);
    let occupied = |i: Input| if on(i) { "occupied" } else { "free" };
    println!(
        "controller: unit {} on {port} ({} baud)",
        map.unit_id, map.serial.baud
    );
    println!("entry door: {}", position(snap.door(DoorId::Entry)));
    println!("exit door: {}", position(snap.door(DoorId::Exit)));
    println!(
        "zone A: {}, zone B: {}, zone C: {}",
        occupied(Input::ZoneA),
        occupied(Input::ZoneB),
        occupied(Input::ZoneC)
    );
    println!("person count: {}", snap.person_count);
    println!(
        "more than one person: {}",
        yes_no(on(Input::MultiplePersons))
    );
    println!("fire alarm: {}", yes_no(on(Input::FireAlarm)));
    println!("emergency button: {}", yes_no(on(Input::EmergencyButton)));
    println!("tamper: {}", yes_no(on(Input::Tamper)));
    println!("mains lost: {}", yes_no(on(Input::MainsLost)));
    println!("fault code: {:#06x}", snap.fault_code);
    let s = doors.stats();
    println!(
        "link: {} requests, {} answers, {} timeouts, {} CRC errors, {} exceptions",
        s.requests, s.answers, s.timeouts, s.crc_errors, s.exceptions
    );
}

async fn watch(
    doors: &ModbusDoorController,
    mut events: UnboundedReceiver<DoorEvent>,
    snap: Snapshot,
    seconds: Option<u64>,
) -> ExitCode {
    let t0 = Instant::now();
    let active: Vec<&str> = snap.inputs.active().map(Input::as_str).collect();
    println!(
        "0.000 connected: active [{}], person count {}, fault code {:#06x}",
        active.join(", "),
        snap.person_count,
        snap.fault_code
    );
    let until = seconds.map(|s| tokio::time::Instant::now() + Duration::from_secs(s));
    loop {
        let next = async {
            match until {
                Some(t) => tokio::time::timeout_at(t, events.recv()).await.ok(),
                None => Some(events.recv().await),
            }
        };
        let ev = tokio::select! {
            ev = next => ev,
            _ = tokio::signal::ctrl_c() => None,
        };
        let Some(Some(ev)) = ev else { break };
        let at = t0.elapsed().as_secs_f64();
        let line = match ev {
            DoorEvent::InputChanged { input, active } => {
                format!("{input} {}", if active { "on" } else { "off" })
            }
            DoorEvent::PersonCount(n) => format!("person count {n}"),
            DoorEvent::ControllerFault(c) => format!("fault code {c:#06x}"),
            DoorEvent::LinkFault { silent_for } => {
                format!(
                    "LINK FAULT (no valid answer for {} ms)",
                    silent_for.as_millis()
                )
            }
            DoorEvent::Connected(_) => "link restored".to_string(),
            DoorEvent::Fallback { reason, state } => format!("safe state {state:?} ({reason:?})"),
            other => format!("{other:?}"),
        };
        println!("{at:.3} {line}");
    }
    let s = doors.stats();
    println!(
        "link: {} polls, {} requests, {} timeouts, {} CRC errors, {} link faults",
        s.polls, s.requests, s.timeouts, s.crc_errors, s.link_faults
    );
    ExitCode::SUCCESS
}
