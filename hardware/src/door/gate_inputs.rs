//! What the adapter's [`DoorEvent`]s mean to the gate: the gate sensor [`Input`]s each one
//! stands for. Shared by every driver of the gate (the lane runtime and virtual-time runs).

use gate::{Device, Input, SensorEvent, Zone};

use super::DoorEvent;
use super::Input as Hw;

/// The gate sensor event that one controller input state stands for; `None` for an input
/// the gate does not see ("fully open" confirms a command inside the adapter).
pub fn sensor(input: Hw, active: bool) -> Option<SensorEvent> {
    Some(match input {
        Hw::EntryClosed => SensorEvent::Door {
            door: gate::DoorId::Entry,
            closed: active,
        },
        Hw::ExitClosed => SensorEvent::Door {
            door: gate::DoorId::Exit,
            closed: active,
        },
        // "Fully open" confirms a command inside the adapter; the gate works from "closed".
        Hw::EntryOpen | Hw::ExitOpen => return None,
        Hw::ZoneA => SensorEvent::Zone {
            zone: Zone::A,
            occupied: active,
        },
        Hw::ZoneB => SensorEvent::Zone {
            zone: Zone::B,
            occupied: active,
        },
        Hw::ZoneC => SensorEvent::Zone {
            zone: Zone::C,
            occupied: active,
        },
        Hw::MultiplePersons => SensorEvent::MultiplePersons(active),
        Hw::FireAlarm => SensorEvent::FireAlarm(active),
        Hw::EmergencyButton => SensorEvent::EmergencyButton(active),
        Hw::Tamper => SensorEvent::Tamper(active),
        Hw::MainsLost => SensorEvent::MainsLost(active),
    })
}

/// Translates one adapter event into gate inputs.
pub fn gate_inputs(event: &DoorEvent) -> Vec<Input> {
    let mut out = Vec::new();
    match event {
        DoorEvent::Connected(snap) => {
            out.push(Input::Sensor(SensorEvent::DeviceRecovered(
                Device::DoorController,
            )));
            for i in Hw::ALL {
                if let Some(s) = sensor(i, snap.inputs.contains(i)) {
                    out.push(Input::Sensor(s));
                }
            }
            out.push(Input::Sensor(SensorEvent::PersonCount(
                snap.person_count.min(255) as u8,
            )));
        }
        DoorEvent::InputChanged { input, active } => {
            if let Some(s) = sensor(*input, *active) {
                out.push(Input::Sensor(s));
            }
        }
        DoorEvent::PersonCount(n) => {
            out.push(Input::Sensor(SensorEvent::PersonCount((*n).min(255) as u8)))
        }
        DoorEvent::ControllerFault(0) => out.push(Input::Sensor(SensorEvent::DeviceRecovered(
            Device::DoorController,
        ))),
        DoorEvent::ControllerFault(_)
        | DoorEvent::DoorFault { .. }
        | DoorEvent::LinkFault { .. } => out.push(Input::Sensor(SensorEvent::DeviceFault(
            Device::DoorController,
        ))),
        // Confirmations, aborted closes and the adapter's own safe state are visible to the
        // gate through the door and zone inputs that follow them.
        _ => {}
    }
    out
}
