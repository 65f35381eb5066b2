//! Faults and officer actions in the engine: at their time, or armed until the gate reaches
//! a given phase; each fault reaches the lane the way the real device would report it.

use std::time::{Duration, Instant};

use gate::{Input, OfficerCommand, SensorEvent};
use sim::controller::Fault;

use super::{secs, Engine, Event, FaultRecord, Trigger};

impl Engine<'_> {
    pub(super) fn officer(&mut self, i: usize, n: usize, now: Instant) {
        if let Some(cmd) = OfficerCommand::from_name(&self.c.scenario.officer[n].command) {
            self.advance(i, now);
            self.lanes[i].lane.input(now, Input::Officer(cmd));
            self.after(i, now);
        }
    }

    /// Fires the armed faults and officer commands whose phase the gate is in.
    pub(super) fn triggers(&mut self, i: usize, now: Instant) {
        let phase = self.lanes[i].lane.gate.phase().as_str();
        let due: Vec<Trigger> = self.lanes[i]
            .armed
            .iter()
            .copied()
            .filter(|t| {
                let when = match *t {
                    Trigger::Fault(n) => &self.c.scenario.faults[n].when,
                    Trigger::Officer(n) => &self.c.scenario.officer[n].when,
                };
                when.as_deref() == Some(phase)
            })
            .collect();
        if due.is_empty() {
            return;
        }
        self.lanes[i].armed.retain(|t| {
            !due.iter().any(|d| match (d, t) {
                (Trigger::Fault(a), Trigger::Fault(b))
                | (Trigger::Officer(a), Trigger::Officer(b)) => a == b,
                _ => false,
            })
        });
        for t in due {
            match t {
                Trigger::Fault(n) => {
                    if let Some(d) = self.c.scenario.faults[n].for_s {
                        self.schedule(Duration::from_secs_f64(d), Event::Fault(i, n, false));
                    }
                    self.fault(i, n, true, now);
                }
                Trigger::Officer(n) => self.officer(i, n, now),
            }
        }
    }

    pub(super) fn fault(&mut self, i: usize, n: usize, on: bool, now: Instant) {
        let f = self.c.scenario.faults[n].clone();
        self.advance(i, now);
        let t = secs(self.now);
        if on {
            self.faults.push(FaultRecord {
                kind: f.kind.clone(),
                gate: f.gate,
                at_s: t,
                cleared_s: None,
                recovered_s: None,
                recovery_s: None,
                passages_affected: 0,
            });
            let idx = self.faults.len() - 1;
            self.lanes[i].recovering.push(idx);
        } else if let Some(r) = self
            .faults
            .iter_mut()
            .rev()
            .find(|r| r.kind == f.kind && r.gate == f.gate && r.cleared_s.is_none())
        {
            r.cleared_s = Some(t);
        }
        let l = &mut self.lanes[i];
        let door = match f.door.as_deref() {
            Some("entry") => gate::DoorId::Entry,
            _ => gate::DoorId::Exit,
        };
        match f.kind.as_str() {
            "reader_disconnected" => {
                l.reader_down = on;
                let e = if on {
                    SensorEvent::DeviceFault(gate::Device::DocumentReader)
                } else {
                    SensorEvent::DeviceRecovered(gate::Device::DocumentReader)
                };
                l.lane.input(now, Input::Sensor(e));
            }
            "card_pulled" => l.pull_card = true,
            "serial_link_lost" => l.lane.link_up = !on,
            "camera_frozen" => {
                l.camera_frozen = on;
                // The lane looks at a faulty camera every 2 s (daemon lane::camera): new
                // frames again, and it is reported working.
                if !on && l.camera_faulted {
                    l.camera_faulted = false;
                    let e = SensorEvent::DeviceRecovered(gate::Device::Camera);
                    l.lane.input(now, Input::Sensor(e));
                }
            }
            "door_jammed" => l.lane.fault(Fault::JammedDoor(door), on),
            "fire_alarm" => l.lane.fault(Fault::FireAlarm, on),
            "mains_lost" => l.lane.fault(Fault::MainsLost, on),
            "emergency_button" => l.lane.fault(Fault::EmergencyButton, on),
            "tamper" => l.lane.fault(Fault::Tamper, on),
            _ => {}
        }
        self.after(i, now);
    }
}
