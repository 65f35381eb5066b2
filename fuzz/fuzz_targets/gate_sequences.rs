//! Random input sequences with random time steps through the gate state machine; every
//! step is checked against the safety invariants by `gate::check::SafetyModel`.
//!
//! The first bytes choose the configuration; then each operation takes three bytes:
//! an opcode, an argument, and a time step. Job results answer the latest job of their
//! kind, an older one, or a ticket never issued, so deep passages are reachable.

#![no_main]

use std::time::{Duration, Instant};

use gate::check::SafetyModel;
use gate::{
    ChipAuthOutcome, CivilDate, Command, CountryCode, Device, DocumentFacts, DocumentKind,
    DocumentVerdict, DoorId, DoorSafeState, FaceVerdict, Gate, GateConfig, Input, LivenessMode,
    OccupancyAction, OfficerCommand, PaOutcome, PadVerdict, Pseudonym, ReasonCode,
    ReferralRoute, SensorEvent, Ticket, WatchlistMode, WatchlistResult, Zone,
};
use libfuzzer_sys::fuzz_target;

fn bit(b: u8, i: u8) -> bool {
    b & (1 << i) != 0
}

fn occupancy(b: u8) -> OccupancyAction {
    match b % 3 {
        0 => OccupancyAction::Refer,
        1 => OccupancyAction::Alarm,
        _ => OccupancyAction::Record,
    }
}

fn config(b0: u8, b1: u8) -> Option<GateConfig> {
    let today = CivilDate::new(2026, 11, 26).ok()?;
    let mut c = if bit(b0, 0) {
        GateConfig::two_step(today)
    } else {
        GateConfig::one_step(today)
    };
    c.liveness = if bit(b0, 1) {
        LivenessMode::Required
    } else {
        LivenessMode::NotChecked
    };
    c.referral = if bit(b0, 2) {
        ReferralRoute::WaitForOfficer
    } else {
        ReferralRoute::BackThroughEntry
    };
    c.eligibility.watchlist = if bit(b0, 3) {
        WatchlistMode::Required
    } else {
        WatchlistMode::Off
    };
    let safe = |on: bool| if on { DoorSafeState::Open } else { DoorSafeState::Locked };
    c.safe_state.entry = safe(bit(b0, 4));
    c.safe_state.exit = safe(bit(b0, 5));
    c.occupancy.tailgating = occupancy(b1);
    c.occupancy.wrong_direction = occupancy(b1 / 3);
    c.occupancy.loitering = occupancy(b1 / 9);
    c.occupancy.child = occupancy(b1 / 27);
    c.occupancy.object_left = occupancy(b1 / 81);
    Some(c)
}

fn facts(arg: u8) -> Option<DocumentFacts> {
    let mut f = DocumentFacts {
        kind: DocumentKind::Passport,
        issuing_state: CountryCode::new("NLD").ok()?,
        nationality: CountryCode::new("NLD").ok()?,
        birth_date: CivilDate::new(1975, 12, 31).ok(),
        expiry: CivilDate::new(2029, 1, 1).ok()?,
        pa: PaOutcome::Trusted,
        chip_auth: ChipAuthOutcome::Passed,
        mrz_matches_dg1: true,
        pseudonym: Pseudonym("p".into()),
    };
    match arg % 8 {
        0 => f.pa = PaOutcome::Failed,
        1 => f.birth_date = CivilDate::new(2021, 2, 28).ok(),
        2 => f.expiry = CivilDate::new(2021, 1, 1).ok()?,
        3 => f.chip_auth = ChipAuthOutcome::Failed,
        4 => f.birth_date = None,
        _ => {}
    }
    Some(f)
}

#[derive(Default)]
struct Issued {
    chip: Vec<Ticket>,
    watchlist: Vec<Ticket>,
    face: Vec<Ticket>,
    pad: Vec<Ticket>,
}

impl Issued {
    fn see(&mut self, commands: &[Command]) {
        for c in commands {
            match c {
                Command::StartChipRead { ticket } => self.chip.push(*ticket),
                Command::StartWatchlist { ticket } => self.watchlist.push(*ticket),
                Command::StartFaceMatch { ticket } => self.face.push(*ticket),
                Command::StartPad { ticket } => self.pad.push(*ticket),
                _ => {}
            }
        }
    }
}

/// Latest ticket mostly; an older one or a never-issued one sometimes.
fn pick(list: &[Ticket], arg: u8) -> Ticket {
    match arg >> 5 {
        0 => Ticket(u64::from(arg)),
        1 => list
            .len()
            .checked_sub(2)
            .and_then(|i| list.get(i))
            .copied()
            .unwrap_or(Ticket(0)),
        _ => list.last().copied().unwrap_or(Ticket(0)),
    }
}

fn zone(arg: u8) -> Zone {
    match arg % 3 {
        0 => Zone::A,
        1 => Zone::B,
        _ => Zone::C,
    }
}

fn device(arg: u8) -> Device {
    match arg % 3 {
        0 => Device::Camera,
        1 => Device::DocumentReader,
        _ => Device::DoorController,
    }
}

fn officer(arg: u8) -> OfficerCommand {
    match arg % 6 {
        0 => OfficerCommand::ReleaseExit,
        1 => OfficerCommand::Refer,
        2 => OfficerCommand::Reset,
        3 => OfficerCommand::LaneOpen,
        4 => OfficerCommand::LaneClose,
        _ => OfficerCommand::OutOfService,
    }
}

/// `None` means "jump to the next deadline".
fn input(op: u8, arg: u8, issued: &Issued) -> Option<Input> {
    let on = arg & 1 == 1;
    let sensor = |e| Some(Input::Sensor(e));
    match op % 24 {
        0..=5 => sensor(SensorEvent::Zone {
            zone: zone(arg >> 1),
            occupied: on,
        }),
        6 => sensor(SensorEvent::Door {
            door: if arg & 2 == 0 { DoorId::Entry } else { DoorId::Exit },
            closed: on,
        }),
        7 => sensor(if arg & 2 == 0 {
            SensorEvent::MultiplePersons(on)
        } else {
            SensorEvent::PersonCount(arg >> 2 & 3)
        }),
        8 => sensor(match arg >> 1 & 7 {
            0 => SensorEvent::FireAlarm(on),
            1 => SensorEvent::EmergencyButton(on),
            2 => SensorEvent::Tamper(on),
            3 => SensorEvent::MainsLost(on),
            4 => SensorEvent::ChildDetected(on),
            5 => SensorEvent::WrongDirection,
            6 => SensorEvent::DeviceFault(device(arg >> 4)),
            _ => SensorEvent::DeviceRecovered(device(arg >> 4)),
        }),
        9 | 10 => Some(Input::DocumentPresented),
        11 | 12 => Some(Input::DocumentVerdict {
            ticket: pick(&issued.chip, arg),
            verdict: if arg & 16 == 0 {
                DocumentVerdict::Read(facts(arg)?)
            } else {
                DocumentVerdict::Refused(ReasonCode::ChipReadFailed)
            },
        }),
        13 => Some(Input::WatchlistResult {
            ticket: pick(&issued.watchlist, arg),
            result: match arg % 4 {
                0 => WatchlistResult::Hit,
                1 => WatchlistResult::Unavailable,
                _ => WatchlistResult::Clear,
            },
        }),
        14..=16 => Some(Input::FaceVerdict {
            ticket: pick(&issued.face, arg),
            verdict: match arg % 8 {
                0 => FaceVerdict::NoMatch {
                    score: 0.2,
                    threshold: 0.5,
                },
                1 => FaceVerdict::NoFace,
                2 => FaceVerdict::MultipleFaces,
                3 => FaceVerdict::Match {
                    score: f32::NAN,
                    threshold: 0.5,
                },
                _ => FaceVerdict::Match {
                    score: 0.9,
                    threshold: 0.5,
                },
            },
        }),
        17 | 18 => Some(Input::PadVerdict {
            ticket: pick(&issued.pad, arg),
            verdict: match arg % 8 {
                0 => PadVerdict::Attack { score: 0.1 },
                1 => PadVerdict::Inconclusive,
                2 => PadVerdict::NotChecked,
                _ => PadVerdict::Live { score: 0.9 },
            },
        }),
        19 | 20 => Some(Input::Officer(officer(arg))),
        21 => Some(Input::DateChanged(
            CivilDate::new(2026 + u16::from(arg % 8), 1 + arg % 12, 1).ok()?,
        )),
        22 => None,
        _ => Some(if arg == 0xff {
            Input::Shutdown
        } else {
            Input::DocumentPresented
        }),
    }
}

fuzz_target!(|data: &[u8]| {
    let (Some(&b0), Some(&b1)) = (data.first(), data.get(1)) else {
        return;
    };
    let Some(config) = config(b0, b1) else {
        return;
    };
    let mut now = Instant::now();
    let mut model = SafetyModel::new(&config);
    let mut gate = Gate::new(config, now);
    let mut issued = Issued::default();
    let first = model.drain(&mut gate).unwrap_or_else(|v| panic!("{v} at start"));
    issued.see(&first);
    for op in data[2..].chunks_exact(3) {
        // Time passes (0 to ~65 s) and due deadlines fire, as a driver would.
        now += Duration::from_millis(u64::from(op[2]) * 256);
        while let Some(at) = gate.poll_timeout() {
            if at > now {
                break;
            }
            let c = model
                .step(&mut gate, now, None)
                .unwrap_or_else(|v| panic!("{v} on timeout"));
            issued.see(&c);
        }
        let next = input(op[0], op[1], &issued);
        if next.is_none() {
            if let Some(at) = gate.poll_timeout() {
                now = now.max(at);
            }
        }
        let label = format!("{next:?}");
        let c = model
            .step(&mut gate, now, next)
            .unwrap_or_else(|v| panic!("{v} after {label}"));
        issued.see(&c);
    }
});
