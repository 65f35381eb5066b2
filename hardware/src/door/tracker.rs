//! The door tracker, sans-IO: what the adapter knows of the controller and what it must write
//! next. It takes readings and the link's answers with the time they happened (`now` is always
//! an argument), checks commands against the interlocks, turns them into coil writes, confirms
//! door movements from later readings and keeps the link watchdog. It performs no I/O: the
//! Modbus adapter ([`super::ModbusDoorController`]) runs the writes it asks for and tells it
//! how they went, then drains its [`Outcome`]s with [`DoorTracker::poll_outcome`].
//!
//! `R` is whatever the caller uses to answer a command (a channel sender in the adapter, a
//! number in tests); the tracker only hands it back in [`Outcome::Reply`].

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use super::map::{DoorMap, Fallback};
use super::{
    door_index, DoorCommand, DoorError, DoorEvent, DoorId, DoorPosition, FallbackReason, Input,
    Output, Snapshot, DOORS,
};

/// One coil write the tracker asks for (Application Protocol §6.5, function 05).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CoilWrite {
    /// The coil.
    pub output: Output,
    /// On or off.
    pub on: bool,
}

const fn write(output: Output, on: bool) -> CoilWrite {
    CoilWrite { output, on }
}

/// What the tracker reports, in order.
#[derive(Debug)]
pub enum Outcome<R> {
    /// An event for the adapter's event stream.
    Event(DoorEvent),
    /// The final answer to a command started with [`DoorTracker::command_written`].
    Reply(R, Result<(), DoorError>),
}

/// A checked command: the writes to make, in order, stopping at the first that fails.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// The command as it will be tracked (a write to a door's drive coil is a door command).
    pub command: DoorCommand,
    /// The writes.
    pub writes: Vec<CoilWrite>,
}

impl Plan {
    /// The door whose position confirms the command, if it waits for one.
    pub fn door(&self) -> Option<DoorId> {
        match self.command {
            DoorCommand::Open(d) | DoorCommand::Close(d) => Some(d),
            DoorCommand::Set(..) => None,
        }
    }
}

/// A fallback the adapter must write now (see [`DoorTracker::on_reading`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FallbackPlan {
    /// Why.
    pub reason: FallbackReason,
    /// Which fallback.
    pub state: Fallback,
    /// The writes, in order, stopping at the first that fails.
    pub writes: Vec<CoilWrite>,
    /// The reading before this one, restored when a fire fallback could not be written, so
    /// the next reading sees the alarm's rising edge again.
    previous: Option<Snapshot>,
}

/// What a fresh reading means for a door with a pending command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Confirmation {
    /// The door reached the commanded position: call [`DoorTracker::confirmed`].
    Reached,
    /// A closing door reached the closed position and must be locked: write the lock, then
    /// call [`DoorTracker::confirmed`] whatever the write did.
    LockThenReached,
    /// A guard input is active under a closing door: write the drive coil open again, then
    /// call [`DoorTracker::close_aborted`].
    Reopen(Input),
}

/// A door command waiting for its confirming reading.
#[derive(Debug)]
struct Pending<R> {
    command: DoorCommand,
    started: Instant,
    deadline: Instant,
    reply: R,
}

/// The tracker. See the module documentation.
#[derive(Debug)]
pub struct DoorTracker<R> {
    map: DoorMap,
    /// When the last valid answer arrived (start time before the first).
    last_ok: Instant,
    /// A full reading has been reported since start or since the last link fault.
    connected: bool,
    /// The watchdog has fired and the link has not come back yet.
    link_faulted: bool,
    /// The last complete reading while connected (the base for change events).
    last: Option<Snapshot>,
    /// The latest valid reading, `None` before the first one and while the link is down.
    reading: Option<Snapshot>,
    pending: [Option<Pending<R>>; 2],
    /// A link-loss fallback to write as soon as the link is back.
    fallback_due: bool,
    out: VecDeque<Outcome<R>>,
}

impl<R> DoorTracker<R> {
    /// A tracker for `map`, started at `now` (the watchdog counts from here).
    pub fn new(map: DoorMap, now: Instant) -> Self {
        DoorTracker {
            map,
            last_ok: now,
            connected: false,
            link_faulted: false,
            last: None,
            reading: None,
            pending: [None, None],
            fallback_due: false,
            out: VecDeque::new(),
        }
    }

    /// The register map.
    pub fn map(&self) -> &DoorMap {
        &self.map
    }

    /// The latest valid reading, or `None` before the first one and while the link is down.
    pub fn reading(&self) -> Option<Snapshot> {
        self.reading
    }

    /// The next thing to report, oldest first.
    pub fn poll_outcome(&mut self) -> Option<Outcome<R>> {
        self.out.pop_front()
    }

    /// Whether the watchdog has declared the link down and no valid answer came since.
    pub fn link_faulted(&self) -> bool {
        self.link_faulted
    }

    /// How long an answer may still take before the watchdog fires, while the link is up.
    pub fn watchdog_left(&self, now: Instant) -> Option<Duration> {
        (!self.link_faulted)
            .then(|| (self.last_ok + self.map.watchdog()).saturating_duration_since(now))
    }

    /// A valid answer arrived: the link is up.
    pub fn answered(&mut self, now: Instant) {
        self.last_ok = now;
        self.link_faulted = false;
    }

    /// An exception answer arrived (Application Protocol §7): the device is alive but
    /// refuses, which feeds the watchdog without declaring the link restored.
    pub fn refused(&mut self, now: Instant) {
        self.last_ok = now;
    }

    /// Declares a link fault once the watchdog time has passed without a valid answer;
    /// returns whether the link is (now or already) faulted.
    pub fn check_watchdog(&mut self, now: Instant) -> bool {
        let silent_for = now.saturating_duration_since(self.last_ok);
        if self.link_faulted || silent_for < self.map.watchdog() {
            return self.link_faulted;
        }
        self.link_faulted = true;
        self.connected = false;
        self.last = None;
        self.reading = None;
        self.out
            .push_back(Outcome::Event(DoorEvent::LinkFault { silent_for }));
        self.fallback_due = true;
        for door in DOORS {
            self.finish(door, Err(DoorError::LinkDown));
        }
        true
    }

    /// Checks `command` against the link and the interlocks and plans its writes. A direct
    /// write to a door's drive coil is a door command, with the same checks.
    pub fn plan(&self, command: DoorCommand) -> Result<Plan, DoorError> {
        let command = match command {
            DoorCommand::Set(output, on) => {
                match DOORS.into_iter().find(|&d| Output::open(d) == output) {
                    Some(door) if on => DoorCommand::Open(door),
                    Some(door) => DoorCommand::Close(door),
                    None => command,
                }
            }
            c => c,
        };
        let Some(snap) = self.last.filter(|_| self.connected && !self.link_faulted) else {
            return Err(DoorError::LinkDown);
        };
        let writes = match command {
            DoorCommand::Open(door) => {
                vec![
                    write(Output::lock(door), false),
                    write(Output::open(door), true),
                ]
            }
            DoorCommand::Close(door) => {
                if snap.inputs.contains(Input::FireAlarm) {
                    return Err(DoorError::FireAlarm { door });
                }
                if let Some(zone) = self.map.blocking(&snap, door) {
                    return Err(DoorError::ZoneOccupied { door, zone });
                }
                vec![write(Output::open(door), false)]
            }
            DoorCommand::Set(output, on) => vec![write(output, on)],
        };
        Ok(Plan { command, writes })
    }

    /// The plan's writes were acknowledged at `now`: a door command now waits for its
    /// confirming reading (replacing an older one for the same door, which is answered
    /// `Superseded`); any other command is answered at once.
    pub fn command_written(&mut self, plan: &Plan, reply: R, now: Instant) {
        let Some(door) = plan.door() else {
            self.out.push_back(Outcome::Reply(reply, Ok(())));
            return;
        };
        self.finish(door, Err(DoorError::Superseded { door }));
        self.pending[door_index(door)] = Some(Pending {
            command: plan.command,
            started: now,
            deadline: now + self.map.door_confirm(),
            reply,
        });
    }

    /// Takes a complete reading: reports what changed and returns the fallback to write now,
    /// if any (the fire fallback on the alarm's rising edge, else a link-loss fallback that is
    /// due). Follow with [`DoorTracker::fallback_written`] for the returned plan.
    pub fn on_reading(&mut self, snap: Snapshot) -> Option<FallbackPlan> {
        self.reading = Some(snap);
        let previous = self.last.replace(snap);
        match previous {
            None => {
                self.connected = true;
                self.event(DoorEvent::Connected(snap));
            }
            Some(prev) => {
                for input in prev.inputs.changed(snap.inputs) {
                    self.event(DoorEvent::InputChanged {
                        input,
                        active: snap.inputs.contains(input),
                    });
                }
                if prev.person_count != snap.person_count {
                    self.event(DoorEvent::PersonCount(snap.person_count));
                }
                if prev.fault_code != snap.fault_code {
                    self.event(DoorEvent::ControllerFault(snap.fault_code));
                }
            }
        }
        let fire_now = snap.inputs.contains(Input::FireAlarm);
        let fire_before = previous.is_some_and(|p| p.inputs.contains(Input::FireAlarm));
        if fire_now {
            // The fire fallback takes precedence over the link-loss one.
            self.fallback_due = false;
        }
        if fire_now && !fire_before {
            // Fail-safe: the fire alarm overrides every pending command.
            for door in DOORS {
                let err = match self.pending[door_index(door)].as_ref().map(|p| p.command) {
                    Some(DoorCommand::Close(_)) => DoorError::FireAlarm { door },
                    _ => DoorError::Superseded { door },
                };
                self.finish(door, Err(err));
            }
            let state = self.map.safe_state.fire;
            return Some(self.fallback(FallbackReason::FireAlarm, state, &snap, previous));
        }
        self.fallback_due.then(|| {
            let state = self.map.safe_state.link_loss;
            self.fallback(FallbackReason::LinkLoss, state, &snap, previous)
        })
    }

    /// Both doors to `state`. A door whose guarded zone is occupied is never driven closed:
    /// it is left open instead. Unlock before opening; lock after the close command (the
    /// controller engages the lock once the door is closed).
    fn fallback(
        &self,
        reason: FallbackReason,
        state: Fallback,
        snap: &Snapshot,
        previous: Option<Snapshot>,
    ) -> FallbackPlan {
        let mut writes = Vec::new();
        for door in DOORS {
            let open = match state {
                Fallback::Open => true,
                Fallback::ClosedUnlocked | Fallback::ClosedLocked => {
                    self.map.blocking(snap, door).is_some()
                }
            };
            let locked = state == Fallback::ClosedLocked && !open;
            if !locked {
                writes.push(write(Output::lock(door), false));
            }
            writes.push(write(Output::open(door), open));
            if locked {
                writes.push(write(Output::lock(door), true));
            }
        }
        FallbackPlan {
            reason,
            state,
            writes,
            previous,
        }
    }

    /// How the writes of a [`FallbackPlan`] went: reported when acknowledged; otherwise a
    /// link-loss fallback stays due and a fire fallback is retried on the next reading.
    pub fn fallback_written(&mut self, plan: FallbackPlan, acknowledged: bool) {
        if acknowledged {
            if plan.reason == FallbackReason::LinkLoss {
                self.fallback_due = false;
            }
            self.event(DoorEvent::Fallback {
                reason: plan.reason,
                state: plan.state,
            });
        } else if plan.reason == FallbackReason::FireAlarm && self.connected {
            self.last = plan.previous;
        }
    }

    /// What `snap` means for `door`'s pending command, if it settles it.
    pub fn confirmation(&self, door: DoorId, snap: &Snapshot) -> Option<Confirmation> {
        let command = self.pending[door_index(door)].as_ref()?.command;
        match command {
            DoorCommand::Open(_) if snap.door(door) == DoorPosition::Open => {
                Some(Confirmation::Reached)
            }
            DoorCommand::Close(_) => {
                if let Some(zone) = self.map.blocking(snap, door) {
                    // Never close on an occupied zone: drive the door back open.
                    Some(Confirmation::Reopen(zone))
                } else if snap.door(door) == DoorPosition::Closed {
                    Some(if self.map.lock_on_close {
                        Confirmation::LockThenReached
                    } else {
                        Confirmation::Reached
                    })
                } else {
                    None
                }
            }
            _ => None,
        }
    }

    /// `door` reached the commanded position at `now`.
    pub fn confirmed(&mut self, door: DoorId, now: Instant) {
        if let Some(p) = self.pending[door_index(door)].take() {
            self.event(DoorEvent::DoorConfirmed {
                door,
                command: p.command,
                after: now.saturating_duration_since(p.started),
            });
            self.out.push_back(Outcome::Reply(p.reply, Ok(())));
        }
    }

    /// A closing `door` was driven open again because `zone` became occupied.
    pub fn close_aborted(&mut self, door: DoorId, zone: Input) {
        self.event(DoorEvent::CloseAborted { door, zone });
        self.finish(door, Err(DoorError::ZoneOccupied { door, zone }));
    }

    /// Fails the door commands not confirmed by their deadline.
    pub fn check_deadlines(&mut self, now: Instant) {
        for door in DOORS {
            let i = door_index(door);
            if let Some(p) = self.pending[i].take_if(|p| now >= p.deadline) {
                let within = self.map.door_confirm();
                tracing::warn!(
                    door = door.as_str(),
                    ?within,
                    "door fault: position not confirmed"
                );
                self.event(DoorEvent::DoorFault {
                    door,
                    command: p.command,
                });
                self.out.push_back(Outcome::Reply(
                    p.reply,
                    Err(DoorError::DoorFault { door, within }),
                ));
            }
        }
    }

    fn event(&mut self, event: DoorEvent) {
        self.out.push_back(Outcome::Event(event));
    }

    fn finish(&mut self, door: DoorId, result: Result<(), DoorError>) {
        if let Some(p) = self.pending[door_index(door)].take() {
            self.out.push_back(Outcome::Reply(p.reply, result));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::door::InputSet;

    fn reading(active: &[Input]) -> Snapshot {
        let mut inputs = InputSet::EMPTY;
        for &i in active {
            inputs.set(i, true);
        }
        Snapshot {
            inputs,
            person_count: 0,
            fault_code: 0,
        }
    }

    type Replies = Vec<(u32, Result<(), DoorError>)>;

    fn drain(t: &mut DoorTracker<u32>) -> (Vec<DoorEvent>, Replies) {
        let (mut events, mut replies) = (Vec::new(), Vec::new());
        while let Some(o) = t.poll_outcome() {
            match o {
                Outcome::Event(e) => events.push(e),
                Outcome::Reply(r, res) => replies.push((r, res)),
            }
        }
        (events, replies)
    }

    const CLOSED: [Input; 2] = [Input::EntryClosed, Input::ExitClosed];

    #[test]
    fn commands_are_checked_planned_and_confirmed_by_readings() {
        let t0 = Instant::now();
        let ms = |n| t0 + Duration::from_millis(n);
        let mut t = DoorTracker::<u32>::new(DoorMap::default(), t0);
        assert_eq!(
            t.plan(DoorCommand::Open(DoorId::Entry)),
            Err(DoorError::LinkDown)
        );
        t.answered(ms(10));
        assert_eq!(t.on_reading(reading(&CLOSED)), None);
        assert!(matches!(drain(&mut t).0[..], [DoorEvent::Connected(_)]));

        // A write to a drive coil is a door command: unlock, then drive open.
        let plan = t.plan(DoorCommand::Set(Output::OpenEntry, true)).unwrap();
        assert_eq!(plan.command, DoorCommand::Open(DoorId::Entry));
        assert_eq!(
            plan.writes,
            [
                write(Output::LockEntry, false),
                write(Output::OpenEntry, true)
            ]
        );
        t.command_written(&plan, 1, ms(20));
        let open = reading(&[Input::EntryOpen, Input::ExitClosed]);
        t.on_reading(open);
        assert_eq!(
            t.confirmation(DoorId::Entry, &open),
            Some(Confirmation::Reached)
        );
        t.confirmed(DoorId::Entry, ms(520));
        let (events, replies) = drain(&mut t);
        assert!(events.contains(&DoorEvent::DoorConfirmed {
            door: DoorId::Entry,
            command: DoorCommand::Open(DoorId::Entry),
            after: Duration::from_millis(500),
        }));
        assert_eq!(replies, [(1, Ok(()))]);

        // Zone A (the entry's threshold) occupied: the close is refused before any write.
        let occupied = reading(&[Input::EntryOpen, Input::ExitClosed, Input::ZoneA]);
        t.on_reading(occupied);
        assert_eq!(
            t.plan(DoorCommand::Close(DoorId::Entry)),
            Err(DoorError::ZoneOccupied {
                door: DoorId::Entry,
                zone: Input::ZoneA
            })
        );
    }

    #[test]
    fn the_watchdog_fails_pending_commands_and_the_link_loss_fallback_follows() {
        let t0 = Instant::now();
        let ms = |n| t0 + Duration::from_millis(n);
        let mut t = DoorTracker::<u32>::new(DoorMap::default(), t0);
        t.on_reading(reading(&CLOSED));
        let plan = t.plan(DoorCommand::Open(DoorId::Exit)).unwrap();
        t.command_written(&plan, 7, ms(10));
        drain(&mut t);
        assert_eq!(t.watchdog_left(ms(150)), Some(Duration::from_millis(50)));
        assert!(!t.check_watchdog(ms(199)));
        assert!(t.check_watchdog(ms(200)));
        assert_eq!(t.reading(), None);
        let (events, replies) = drain(&mut t);
        assert!(matches!(events[..], [DoorEvent::LinkFault { .. }]));
        assert_eq!(replies, [(7, Err(DoorError::LinkDown))]);

        // Back: the default link-loss fallback closes both doors unlocked, but leaves the
        // exit open while zone C is occupied.
        t.answered(ms(300));
        let plan = t
            .on_reading(reading(&[Input::EntryClosed, Input::ZoneC]))
            .unwrap();
        assert_eq!(plan.reason, FallbackReason::LinkLoss);
        assert_eq!(
            plan.writes,
            [
                write(Output::LockEntry, false),
                write(Output::OpenEntry, false),
                write(Output::LockExit, false),
                write(Output::OpenExit, true),
            ]
        );
        t.fallback_written(plan, true);
        assert!(drain(&mut t).0.contains(&DoorEvent::Fallback {
            reason: FallbackReason::LinkLoss,
            state: Fallback::ClosedUnlocked,
        }));
        assert_eq!(t.on_reading(reading(&CLOSED)), None);
    }

    #[test]
    fn a_fire_alarm_fails_a_close_and_is_retried_until_written() {
        let t0 = Instant::now();
        let mut t = DoorTracker::<u32>::new(DoorMap::default(), t0);
        t.on_reading(reading(&[Input::EntryOpen, Input::ExitClosed]));
        let plan = t.plan(DoorCommand::Close(DoorId::Entry)).unwrap();
        t.command_written(&plan, 3, t0);
        drain(&mut t);
        let fire = reading(&[Input::EntryOpen, Input::ExitClosed, Input::FireAlarm]);
        let plan = t.on_reading(fire).unwrap();
        assert_eq!(
            (plan.reason, plan.state),
            (FallbackReason::FireAlarm, Fallback::Open)
        );
        let (_, replies) = drain(&mut t);
        assert_eq!(
            replies,
            [(
                3,
                Err(DoorError::FireAlarm {
                    door: DoorId::Entry
                })
            )]
        );
        // Not acknowledged: the next reading sees the rising edge again.
        t.fallback_written(plan, false);
        assert!(t.on_reading(fire).is_some());
        assert_eq!(
            t.plan(DoorCommand::Close(DoorId::Entry)),
            Err(DoorError::FireAlarm {
                door: DoorId::Entry
            })
        );
    }
}
