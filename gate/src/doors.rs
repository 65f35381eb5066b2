//! The doors as the gate has commanded them, with the two structural safety rules:
//! a closing movement waits until the door's zone is clear, and (two-step) the interlock
//! refuses to open one door while the other is not commanded closed.

use std::collections::VecDeque;

use crate::command::{Command, DoorAction};
use crate::config::Layout;
use crate::sensors::{door_index, guard_zone, Sensors};
use crate::verdict::DoorId;

/// A door's commanded position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Commanded {
    /// Never commanded since start.
    Unknown,
    /// Commanded open.
    Open,
    /// Commanded closed (unlocked).
    Closed,
    /// Commanded closed and locked.
    Locked,
}

impl Commanded {
    fn is_closed(self) -> bool {
        matches!(self, Self::Closed | Self::Locked)
    }
}

#[derive(Debug, Clone, Copy)]
struct Slot {
    commanded: Commanded,
    /// A close or lock waiting for the door's zone to clear.
    pending: Option<Commanded>,
}

/// The commanded doors.
#[derive(Debug, Clone)]
pub(crate) struct Doors {
    layout: Layout,
    slots: [Slot; 2],
}

/// Why a door was not opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Interlocked;

impl Doors {
    pub fn new(layout: Layout) -> Self {
        let slot = Slot {
            commanded: Commanded::Unknown,
            pending: None,
        };
        Self {
            layout,
            slots: [slot; 2],
        }
    }

    fn has(&self, door: DoorId) -> bool {
        !(self.layout == Layout::OneStep && door == DoorId::Entry)
    }

    fn other(door: DoorId) -> DoorId {
        match door {
            DoorId::Entry => DoorId::Exit,
            DoorId::Exit => DoorId::Entry,
        }
    }

    /// Whether the door is commanded closed (or locked) with nothing pending; a one-step
    /// lane's missing entry door counts as closed.
    pub fn is_closed(&self, door: DoorId) -> bool {
        if !self.has(door) {
            return true;
        }
        let s = self.slots[door_index(door)];
        s.commanded.is_closed() && s.pending.is_none()
    }

    /// Whether the door is held shut: commanded closed, or with a close pending for its zone
    /// while its position sensor reports it closed (a close waiting for someone in front of
    /// a shut door, as after a restart with a traveller at the entry, moves nothing).
    pub fn held_shut(&self, door: DoorId, sensors: &Sensors) -> bool {
        self.is_closed(door)
            || (self.slots[door_index(door)].pending.is_some() && sensors.reported_closed(door))
    }

    /// Whether the door is commanded open.
    pub fn is_open(&self, door: DoorId) -> bool {
        self.has(door) && self.slots[door_index(door)].commanded == Commanded::Open
    }

    /// Every door commanded closed, nothing pending.
    pub fn settled(&self) -> bool {
        self.is_closed(DoorId::Entry) && self.is_closed(DoorId::Exit)
    }

    /// Opens a door. Unless `bypass` (fire alarm, emergency, configured fail-safe), a
    /// two-step lane refuses while the other door is not commanded closed.
    pub fn open(
        &mut self,
        door: DoorId,
        bypass: bool,
        out: &mut VecDeque<Command>,
    ) -> Result<(), Interlocked> {
        if !self.has(door) {
            return Ok(());
        }
        if !bypass && self.layout == Layout::TwoStep && !self.is_closed(Self::other(door)) {
            return Err(Interlocked);
        }
        let slot = &mut self.slots[door_index(door)];
        slot.pending = None;
        if slot.commanded != Commanded::Open {
            slot.commanded = Commanded::Open;
            out.push_back(Command::Door {
                door,
                action: DoorAction::Open,
            });
        }
        Ok(())
    }

    /// Closes (or locks) a door, now if its zone is clear, otherwise as soon as it is.
    /// Locking or unlocking an already closed door is not a movement and happens now.
    pub fn close(
        &mut self,
        door: DoorId,
        lock: bool,
        sensors: &Sensors,
        out: &mut VecDeque<Command>,
    ) {
        if !self.has(door) {
            return;
        }
        let target = if lock {
            Commanded::Locked
        } else {
            Commanded::Closed
        };
        let slot = &mut self.slots[door_index(door)];
        if slot.commanded.is_closed() || sensors.clear(guard_zone(door)) {
            slot.pending = None;
            if slot.commanded != target {
                slot.commanded = target;
                out.push_back(Command::Door {
                    door,
                    action: if lock {
                        DoorAction::Lock
                    } else {
                        DoorAction::Close
                    },
                });
            }
        } else {
            slot.pending = Some(target);
        }
    }

    /// Carries out pending closes whose zone has cleared.
    pub fn on_zones(&mut self, sensors: &Sensors, out: &mut VecDeque<Command>) {
        for door in [DoorId::Entry, DoorId::Exit] {
            if let Some(target) = self.slots[door_index(door)].pending {
                if sensors.clear(guard_zone(door)) {
                    self.close(door, target == Commanded::Locked, sensors, out);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::Zone;

    fn doors_cmds(out: &VecDeque<Command>) -> Vec<(DoorId, DoorAction)> {
        out.iter()
            .filter_map(|c| match c {
                Command::Door { door, action } => Some((*door, *action)),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn close_waits_for_the_zone_and_interlock_holds() {
        let mut s = Sensors::default();
        let mut out = VecDeque::new();
        let mut d = Doors::new(Layout::TwoStep);
        // Exit never commanded: only a bypass (start-up safe state) may open the entry.
        assert_eq!(d.open(DoorId::Entry, false, &mut out), Err(Interlocked));
        d.open(DoorId::Entry, true, &mut out).expect("bypass");
        // The entry is open, so the exit must stay shut.
        assert_eq!(d.open(DoorId::Exit, false, &mut out), Err(Interlocked));
        d.close(DoorId::Entry, false, &s, &mut out); // zone A unknown: pending
        assert_eq!(doors_cmds(&out), vec![(DoorId::Entry, DoorAction::Open)]);
        s.set_zone(Zone::A, false);
        d.on_zones(&s, &mut out);
        assert_eq!(
            doors_cmds(&out).last(),
            Some(&(DoorId::Entry, DoorAction::Close))
        );
        assert!(d.is_closed(DoorId::Entry));
    }
}
