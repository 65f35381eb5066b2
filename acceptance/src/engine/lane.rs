//! One lane in virtual time: the gate state machine, the simulated door controller spoken to
//! in Modbus RTU frames through the adapter's sans-IO tracker, and the bodies in the lane.
//!
//! The poll mirrors the production adapter (`hardware::door::modbus`): read the discrete
//! inputs (02) and the input registers (04) every poll period, hand the reading to the
//! tracker, write the coils (05) it plans for commands, fallbacks and confirmations, and turn
//! its events into gate inputs with `hardware::door::gate_inputs`. Only the transport differs:
//! the frames go to `sim::controller::Device::handle` in-process at the virtual instant.

use std::time::{Duration, Instant};

use gate::{Command, DoorAction, Gate, Input};
use hardware::door::codec::{snapshot, Op, Reply};
use hardware::door::tracker::{Confirmation, Outcome};
use hardware::door::{frames, DoorCommand, DoorMap, DoorTracker, Output, DOORS};
use sim::controller::{Device, Fault, SimControllerConfig};
use sim::traveller::{Doors, Place, WalkTimes, Walker};

/// Who a body in the lane is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The traveller being served.
    Main,
    /// Someone who walks in with or behind them.
    Follower,
    /// Someone who walks in from the exit side.
    Intruder,
}

/// A body in the lane.
#[derive(Debug, Clone)]
pub struct Body {
    /// The traveller (plan id).
    pub traveller: u32,
    /// Who.
    pub role: Role,
    /// Where (for an intruder: `Leaving` while in zone C).
    pub walker: Walker,
    /// An intruder leaves zone C at this time.
    pub until: Option<Instant>,
    /// When the body reached the mantrap (zone B), if it has.
    pub inside_since: Option<Instant>,
}

/// A close the controller refused while the doorway was occupied: retried at each poll, as
/// the lane runtime does, until carried out, replaced or too old.
#[derive(Debug, Clone, Copy)]
struct CloseRetry {
    since: Instant,
}

const CLOSE_RETRY_FOR: Duration = Duration::from_secs(120);

/// The lane.
pub struct Lane {
    /// The gate.
    pub gate: Gate,
    device: Device,
    tracker: DoorTracker<()>,
    map: DoorMap,
    /// Whether frames reach the controller (a `serial_link_lost` fault cuts it).
    pub link_up: bool,
    /// Bodies in the lane.
    pub bodies: Vec<Body>,
    /// One-step: there is no entry door for the bodies to wait at.
    one_step: bool,
    close_retry: [Option<CloseRetry>; 2],
    /// Frames exchanged (requests, answers) for the report.
    pub frames: (u64, u64),
    /// Gate commands other than doors, in order, for the engine.
    pub out: Vec<Command>,
}

impl Lane {
    /// A lane at rest at `now`.
    pub fn new(config: gate::GateConfig, door_travel: Duration, seed: u64, now: Instant) -> Self {
        let map = DoorMap::default();
        let one_step = config.layout == gate::Layout::OneStep;
        let device = Device::new(
            SimControllerConfig {
                map: map.clone(),
                door_travel,
                seed,
                ..Default::default()
            },
            now,
        );
        let mut lane = Lane {
            gate: Gate::new(config, now),
            device,
            tracker: DoorTracker::new(map.clone(), now),
            map,
            link_up: true,
            bodies: Vec::new(),
            one_step,
            close_retry: [None, None],
            frames: (0, 0),
            out: Vec::new(),
        };
        lane.drain(now);
        lane
    }

    /// The poll period of the adapter.
    pub fn poll_period(&self) -> Duration {
        self.map.poll_period()
    }

    /// Door positions as the bodies see them (one-step: no entry door). In a fault or an
    /// emergency an unlocked door can be pushed open by hand: the bodies see it open.
    pub fn doors(&self) -> Doors {
        let st = self.device.state();
        let p = st.door_position;
        let by_hand = matches!(
            self.gate.phase(),
            gate::Phase::Fault | gate::Phase::Emergency | gate::Phase::Stopped
        );
        let door = |d: gate::DoorId, i: usize| {
            if by_hand && !st.coil(Output::lock(d)) {
                1.0
            } else {
                p[i]
            }
        };
        Doors {
            entry: if self.one_step {
                1.0
            } else {
                door(gate::DoorId::Entry, 0)
            },
            exit: door(gate::DoorId::Exit, 1),
        }
    }

    /// Both doors shut (as the controller has them).
    pub fn shut(&self) -> bool {
        let p = self.device.state().door_position;
        p[0] <= 0.0 && p[1] <= 0.0
    }

    /// Injects or clears a controller fault.
    pub fn fault(&mut self, fault: Fault, on: bool) {
        if on {
            self.device.inject(fault);
        } else {
            self.device.clear(fault);
        }
    }

    /// A body steps up to the entry.
    pub fn arrive(&mut self, traveller: u32, role: Role, times: WalkTimes, now: Instant) {
        self.bodies.push(Body {
            traveller,
            role,
            walker: Walker::arrive(now, times),
            until: None,
            inside_since: None,
        });
    }

    /// Someone steps into zone C from the exit side for `stay`.
    pub fn intrude(&mut self, traveller: u32, stay: Duration, now: Instant) {
        let mut walker = Walker::arrive(now, WalkTimes::default());
        // Standing in zone C: the walker's "leaving" place occupies exactly that zone.
        walker.turn_away(now);
        self.bodies.push(Body {
            traveller,
            role: Role::Intruder,
            walker,
            until: Some(now + stay),
            inside_since: None,
        });
    }

    /// Advances the controller and the bodies to `now`; returns the bodies that left the
    /// lane, with the place they left by.
    pub fn advance(&mut self, now: Instant) -> Vec<(Body, Place)> {
        self.device.tick(now);
        let doors = self.doors();
        for b in &mut self.bodies {
            if b.role == Role::Intruder {
                continue;
            }
            b.walker.tick(now, doors);
            if b.walker.place() == Place::InMantrap && b.inside_since.is_none() {
                b.inside_since = Some(now);
            }
        }
        let mut gone = Vec::new();
        let mut i = 0;
        while i < self.bodies.len() {
            let b = &self.bodies[i];
            let left = match b.role {
                Role::Intruder => b
                    .until
                    .is_some_and(|u| now >= u)
                    .then_some(Place::TurnedAway),
                _ => b.walker.is_gone().then(|| b.walker.place()),
            };
            match left {
                Some(place) => gone.push((self.bodies.remove(i), place)),
                None => i += 1,
            }
        }
        self.occupy();
        gone
    }

    /// The bodies' zones and count on the controller's sensors.
    fn occupy(&mut self) {
        use hardware::door::Input as Hw;
        let mut z = [false; 3];
        let mut inside = 0u16;
        for b in &self.bodies {
            let bz = match b.role {
                Role::Intruder => [false, false, true],
                _ => b.walker.zones(),
            };
            for k in 0..3 {
                z[k] |= bz[k];
            }
            if b.role != Role::Intruder && b.walker.is_inside() {
                inside += 1;
            }
        }
        self.device.set_zone(Hw::ZoneA, Some(z[0]));
        self.device.set_zone(Hw::ZoneB, Some(z[1]));
        self.device.set_zone(Hw::ZoneC, Some(z[2]));
        self.device.set_person_count(Some(inside));
    }

    /// One Modbus transaction over the in-process wire; `None` when nothing came back.
    fn transact(
        &mut self,
        op: Op,
        now: Instant,
    ) -> Option<Result<Reply, hardware::door::DoorError>> {
        self.tracker.check_watchdog(now);
        if !self.link_up {
            return None;
        }
        let unit = self.map.unit_id;
        let request = frames::request(unit, op);
        self.frames.0 += 1;
        let parsed = sim::controller::rtu::parse_request(&request)?;
        let answer = self.device.handle(&parsed, now)?;
        self.frames.1 += 1;
        let reply = frames::answer(unit, op, &answer);
        match &reply {
            Ok(_) => self.tracker.answered(now),
            Err(hardware::door::DoorError::Exception(_)) => self.tracker.refused(now),
            Err(_) => {}
        }
        Some(reply)
    }

    fn write(&mut self, output: Output, on: bool, now: Instant) -> bool {
        let addr = self.map.coils.address(output);
        matches!(self.transact(Op::WriteCoil(addr, on), now), Some(Ok(_)))
    }

    /// The adapter's poll at `now` (see the module documentation).
    pub fn poll(&mut self, now: Instant) {
        let (ispan, rspan) = (self.map.input_span(), self.map.register_span());
        let bits = match self.transact(Op::ReadInputs(ispan), now) {
            Some(Ok(Reply::Bits(b))) => Some(b),
            _ => None,
        };
        let words = match bits {
            Some(_) => match self.transact(Op::ReadRegisters(rspan), now) {
                Some(Ok(Reply::Words(w))) => Some(w),
                _ => None,
            },
            None => None,
        };
        let (Some(bits), Some(words)) = (bits, words) else {
            self.tracker.check_watchdog(now);
            self.tracker.check_deadlines(now);
            self.drain(now);
            return;
        };
        let snap = snapshot(&self.map, &bits, &words);
        if let Some(plan) = self.tracker.on_reading(snap) {
            self.drain(now);
            let ok = plan.writes.iter().all(|w| self.write(w.output, w.on, now));
            self.tracker.fallback_written(plan, ok);
        }
        for door in DOORS {
            match self.tracker.confirmation(door, &snap) {
                Some(Confirmation::Reached) => self.tracker.confirmed(door, now),
                Some(Confirmation::LockThenReached) => {
                    self.write(Output::lock(door), true, now);
                    self.tracker.confirmed(door, now);
                }
                Some(Confirmation::Reopen(zone)) => {
                    self.write(Output::open(door), true, now);
                    self.tracker.close_aborted(door, zone);
                }
                None => {}
            }
        }
        self.tracker.check_deadlines(now);
        // Closes refused while someone stood in the doorway are tried again.
        for door in DOORS {
            let i = hardware::door::door_index(door);
            if let Some(r) = self.close_retry[i] {
                if now.saturating_duration_since(r.since) > CLOSE_RETRY_FOR {
                    self.close_retry[i] = None;
                } else {
                    self.command(DoorCommand::Close(door), now);
                }
            }
        }
        self.drain(now);
        self.gate.handle_timeout(now);
        self.drain(now);
    }

    /// Carries out a door command (the tracker plans the writes).
    fn command(&mut self, cmd: DoorCommand, now: Instant) {
        let door = match cmd {
            DoorCommand::Open(d) | DoorCommand::Close(d) => Some(d),
            DoorCommand::Set(..) => None,
        };
        match self.tracker.plan(cmd) {
            Ok(plan) => {
                if let Some(d) = door {
                    self.close_retry[hardware::door::door_index(d)] = None;
                }
                let ok = plan.writes.iter().all(|w| self.write(w.output, w.on, now));
                if ok {
                    self.tracker.command_written(&plan, (), now);
                }
            }
            Err(hardware::door::DoorError::ZoneOccupied { .. }) => {
                if let Some(d) = door {
                    let i = hardware::door::door_index(d);
                    let since = self.close_retry[i].map_or(now, |r| r.since);
                    self.close_retry[i] = Some(CloseRetry { since });
                }
            }
            // Link down, fire alarm: the gate learns the door's real position from the
            // sensors.
            Err(_) => {}
        }
    }

    /// Feeds an input to the gate at `now` and carries out what follows.
    pub fn input(&mut self, now: Instant, input: Input) {
        self.gate.handle(now, input);
        self.drain(now);
    }

    /// Moves the tracker's events into the gate and the gate's commands out, until both are
    /// quiet. Door commands are carried out here; the rest go to [`Lane::out`].
    pub fn drain(&mut self, now: Instant) {
        loop {
            let mut busy = false;
            while let Some(outcome) = self.tracker.poll_outcome() {
                busy = true;
                if let Outcome::Event(ev) = outcome {
                    for input in hardware::door::gate_inputs(&ev) {
                        self.gate.handle(now, input);
                    }
                }
            }
            while let Some(cmd) = self.gate.poll_command() {
                busy = true;
                match cmd {
                    Command::Door { door, action } => {
                        let c = match action {
                            DoorAction::Open => DoorCommand::Open(door),
                            DoorAction::Close => DoorCommand::Close(door),
                            DoorAction::Lock => DoorCommand::Set(Output::lock(door), true),
                        };
                        if action != DoorAction::Close {
                            self.close_retry[hardware::door::door_index(door)] = None;
                        }
                        self.command(c, now);
                    }
                    Command::Lamp(l) => {
                        let (green, red) = match l {
                            gate::Lamp::Off => (false, false),
                            gate::Lamp::Green => (true, false),
                            gate::Lamp::Red => (false, true),
                            gate::Lamp::Amber => (true, true),
                        };
                        self.command(DoorCommand::Set(Output::GreenLamp, green), now);
                        self.command(DoorCommand::Set(Output::RedLamp, red), now);
                    }
                    Command::Sounder(on) => {
                        self.command(DoorCommand::Set(Output::AlarmSounder, on), now)
                    }
                    other => self.out.push(other),
                }
            }
            if !busy {
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lane(layout: gate::Layout) -> (Lane, Instant) {
        let t0 = Instant::now();
        let mut cfg = gate::GateConfig::two_step(gate::CivilDate::new(2026, 12, 1).unwrap());
        cfg.layout = layout;
        (Lane::new(cfg, Duration::from_millis(800), 1, t0), t0)
    }

    fn run(lane: &mut Lane, now: &mut Instant, polls: u32) {
        for _ in 0..polls {
            *now += lane.poll_period();
            lane.advance(*now);
            lane.poll(*now);
        }
    }

    #[test]
    fn the_gate_sees_the_controller_through_modbus_frames_and_a_cut_link_is_a_fault() {
        let (mut lane, mut now) = lane(gate::Layout::TwoStep);
        run(&mut lane, &mut now, 40);
        assert!(lane.frames.0 > 40, "{:?}", lane.frames);
        assert_eq!(lane.frames.0, lane.frames.1, "every request answered");
        assert_eq!(lane.gate.phase(), gate::Phase::Idle);
        assert!(lane.shut());
        // Nothing reaches the controller: the tracker's watchdog declares the link lost and
        // the gate goes to its fault state.
        lane.link_up = false;
        run(&mut lane, &mut now, 20);
        assert_eq!(lane.gate.phase(), gate::Phase::Fault);
    }

    #[test]
    fn a_body_at_the_entry_occupies_zone_a_and_the_gate_knows() {
        let (mut lane, mut now) = lane(gate::Layout::TwoStep);
        run(&mut lane, &mut now, 10);
        lane.arrive(0, Role::Main, WalkTimes::default(), now);
        run(&mut lane, &mut now, 4);
        assert_eq!(lane.bodies[0].walker.place(), Place::AtEntry);
        // The entry is shut: they give up after their patience and leave.
        run(&mut lane, &mut now, 500);
        assert!(lane.bodies.is_empty());
    }

    #[test]
    fn in_a_one_step_lane_a_body_walks_straight_to_the_capture_position() {
        let (mut lane, mut now) = lane(gate::Layout::OneStep);
        run(&mut lane, &mut now, 10);
        lane.arrive(0, Role::Main, WalkTimes::default(), now);
        run(&mut lane, &mut now, 40);
        assert_eq!(lane.bodies[0].walker.place(), Place::InMantrap);
    }
}
