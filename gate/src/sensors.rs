//! The gate's latest view of its sensors. Unknown (never reported) zones count as
//! occupied for safety: no door closes on a zone the controller has not reported clear.

use crate::input::{Device, Zone};
use crate::verdict::DoorId;

/// Index of a zone in the arrays below.
pub(crate) fn zone_index(zone: Zone) -> usize {
    match zone {
        Zone::A => 0,
        Zone::B => 1,
        Zone::C => 2,
    }
}

/// Index of a door in the arrays below.
pub(crate) fn door_index(door: DoorId) -> usize {
    match door {
        DoorId::Entry => 0,
        DoorId::Exit => 1,
    }
}

/// The zone a door sweeps: it never closes while that zone is occupied.
pub(crate) fn guard_zone(door: DoorId) -> Zone {
    match door {
        DoorId::Entry => Zone::A,
        DoorId::Exit => Zone::C,
    }
}

/// Latest sensor values.
#[derive(Debug, Clone, Default)]
pub(crate) struct Sensors {
    zones: [Option<bool>; 3],
    door_closed: [Option<bool>; 2],
    pub multiple_persons: bool,
    pub person_count: Option<u8>,
    pub child: bool,
    pub fire_alarm: bool,
    pub emergency_button: bool,
    pub tamper: bool,
    pub mains_lost: bool,
    faulted: Vec<Device>,
}

impl Sensors {
    /// Records a zone report.
    pub fn set_zone(&mut self, zone: Zone, occupied: bool) {
        self.zones[zone_index(zone)] = Some(occupied);
    }

    /// Occupied, or never reported (the safe assumption).
    pub fn occupied(&self, zone: Zone) -> bool {
        self.zones[zone_index(zone)] != Some(false)
    }

    /// Reported occupied (not merely unknown).
    pub fn reported_occupied(&self, zone: Zone) -> bool {
        self.zones[zone_index(zone)] == Some(true)
    }

    /// Reported clear.
    pub fn clear(&self, zone: Zone) -> bool {
        !self.occupied(zone)
    }

    /// Records a door position report.
    pub fn set_door_closed(&mut self, door: DoorId, closed: bool) {
        self.door_closed[door_index(door)] = Some(closed);
    }

    /// Whether the door's position sensor last reported it closed (not merely unreported).
    pub fn reported_closed(&self, door: DoorId) -> bool {
        self.door_closed[door_index(door)] == Some(true)
    }

    /// Whether the door's position sensor last reported it open (not merely unreported).
    pub fn reported_open(&self, door: DoorId) -> bool {
        self.door_closed[door_index(door)] == Some(false)
    }

    /// More than one person in zone B by either detector.
    pub fn crowded(&self) -> bool {
        self.multiple_persons || self.person_count.is_some_and(|n| n > 1)
    }

    /// Whether the fire alarm or the emergency button is active.
    pub fn emergency_active(&self) -> bool {
        self.fire_alarm || self.emergency_button
    }

    /// Marks a device faulted.
    pub fn fault(&mut self, device: Device) {
        if !self.faulted.contains(&device) {
            self.faulted.push(device);
        }
    }

    /// Marks a device recovered.
    pub fn recover(&mut self, device: Device) {
        self.faulted.retain(|d| *d != device);
    }

    /// Whether any device is faulted or the enclosure is tampered with.
    pub fn any_fault(&self) -> bool {
        !self.faulted.is_empty() || self.tamper
    }
}
