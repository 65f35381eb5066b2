//! Random input sequences with random time steps through the gate state machine; every
//! step is checked against the safety invariants by `gate::check::SafetyModel`.
//!
//! The first bytes choose the configuration (bit 7 of the first: overlapping passages);
//! then each operation takes three bytes:
//! an opcode, an argument, and a time step. Job results answer the latest job of their
//! kind, an older one, or a ticket never issued, so deep passages are reachable.

#![no_main]

use std::time::Duration;

use gate::check::arbitrary::{job_result, occupancy_action, today, LaneChoices, Run, Tickets};
use gate::{
    CivilDate, Device, DoorId, DoorSafeState, Input, JobKind, OfficerCommand, SensorEvent, Ticket,
    Zone,
};
use libfuzzer_sys::fuzz_target;

fn bit(b: u8, i: u8) -> bool {
    b & (1 << i) != 0
}

fn choices(b0: u8, b1: u8) -> LaneChoices {
    let safe = |on: bool| {
        if on {
            DoorSafeState::Open
        } else {
            DoorSafeState::Locked
        }
    };
    LaneChoices {
        two_step: bit(b0, 0),
        liveness: bit(b0, 1),
        wait_for_officer: bit(b0, 2),
        borderdb: bit(b0, 3),
        occupancy: [b1, b1 / 3, b1 / 9, b1 / 27, b1 / 81].map(occupancy_action),
        safe_state: [safe(bit(b0, 4)), safe(bit(b0, 5))],
        explicit_consent: bit(b0, 6),
        overlap: bit(b0, 7),
        // b1 above the 3^5 occupancy choices, or its parity otherwise.
        early_capture: b1 >= 243 || b1 & 1 == 0,
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
fn input(op: u8, arg: u8, tickets: &Tickets) -> Option<Input> {
    let on = arg & 1 == 1;
    let sensor = |e| Some(Input::Sensor(e));
    let result = |kind| Some(job_result(kind, pick(&tickets.of(kind), arg), arg));
    match op % 24 {
        0..=5 => sensor(SensorEvent::Zone {
            zone: zone(arg >> 1),
            occupied: on,
        }),
        6 => sensor(SensorEvent::Door {
            door: if arg & 2 == 0 {
                DoorId::Entry
            } else {
                DoorId::Exit
            },
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
        11 | 12 => result(JobKind::ChipRead),
        13 => result(JobKind::BorderDb),
        14..=16 => result(JobKind::FaceMatch),
        17 | 18 => result(JobKind::Pad),
        19 | 20 => Some(Input::Officer(officer(arg))),
        21 => Some(Input::DateChanged(
            CivilDate::new(2026 + u16::from(arg % 8), 1 + arg % 12, 1).ok()?,
        )),
        22 if arg & 0x80 != 0 => Some(Input::Consent(arg & 1 == 1)),
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
    let mut run = Run::start(choices(b0, b1).config(today())).unwrap_or_else(|v| panic!("{v}"));
    for op in data[2..].chunks_exact(3) {
        // Time passes (0 to ~65 s) and due deadlines fire, as a driver would.
        let by = Duration::from_millis(u64::from(op[2]) * 256);
        run.advance(by).unwrap_or_else(|v| panic!("{v}"));
        let next = input(op[0], op[1], &run.tickets);
        run.feed(next).unwrap_or_else(|v| panic!("{v}"));
    }
});
