//! The simulated controller's state and behaviour, sans-IO: coils, door drives with travel
//! times, sensors driven by simulated travellers, a comms watchdog and injectable faults.
//! Time is an argument ([`Device::tick`]); the pty front end in `mod.rs` calls it.
//!
//! The travellers are [`Walker`]s, the one traveller model of the simulator: the device
//! ticks them with its own door positions, and their bodies occupy the zone sensors. A user
//! of the device may instead force zones ([`Device::set_zone`]), as the simulated bank does
//! when it walks its own travellers.

use std::time::{Duration, Instant};

use hardware::door::{door_index, DoorId, DoorMap, Input, InputSet, Output, DOORS};

use crate::traveller::{Doors, Place, WalkTimes, Walker};

use super::rtu::{exception_pdu, frame_response, pack_bits, Exception, Pdu, Request};

/// What the device does by itself when no request has reached it for `comms_watchdog`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommsLossAction {
    /// Keep the outputs as they are.
    Hold,
    /// Drive both doors open, unlocked.
    Open,
    /// Drive both doors closed (obstruction detection still applies), unlocked.
    Close,
}

/// Configuration of the simulated controller.
#[derive(Debug, Clone)]
pub struct SimControllerConfig {
    /// The register map it serves (the adapter's default map by default).
    pub map: DoorMap,
    /// Time for a door to travel fully open or closed.
    pub door_travel: Duration,
    /// How the travellers added with [`Device::add_traveller`] walk.
    pub walk: WalkTimes,
    /// The device's own comms watchdog: no request for this long → `comms_loss`.
    pub comms_watchdog: Option<Duration>,
    /// What the comms watchdog does.
    pub comms_loss: CommsLossAction,
    /// Seed for the noise the faults inject.
    pub seed: u64,
}

impl Default for SimControllerConfig {
    fn default() -> Self {
        SimControllerConfig {
            map: DoorMap::default(),
            door_travel: Duration::from_millis(1500),
            walk: WalkTimes::default(),
            comms_watchdog: Some(Duration::from_millis(500)),
            comms_loss: CommsLossAction::Close,
            seed: 6,
        }
    }
}

/// An injectable fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The device receives and executes requests but never answers (broken transmitter).
    Silence,
    /// Nothing reaches the device and nothing leaves it (cable cut): its comms watchdog acts.
    LinkCut,
    /// Every answer has one byte flipped, so its CRC fails.
    CorruptReplies,
    /// Random bytes are sent before every answer.
    NoiseBursts,
    /// The door's drive does not move.
    JammedDoor(DoorId),
    /// An input reads this value whatever happens (after polarity: `true` = active).
    StuckSensor(Input, bool),
    /// The fire alarm input is active.
    FireAlarm,
    /// The controller runs on battery.
    MainsLost,
    /// The emergency button is pressed.
    EmergencyButton,
    /// The tamper contact is open.
    Tamper,
}

impl Fault {
    /// The faults that have a [`Fault::name`] (all but [`Fault::StuckSensor`]).
    pub const NAMED: [Fault; 10] = [
        Fault::FireAlarm,
        Fault::MainsLost,
        Fault::EmergencyButton,
        Fault::Tamper,
        Fault::Silence,
        Fault::LinkCut,
        Fault::CorruptReplies,
        Fault::NoiseBursts,
        Fault::JammedDoor(DoorId::Entry),
        Fault::JammedDoor(DoorId::Exit),
    ];

    /// The snake_case name (`fire_alarm`, `jammed_entry`, ...) used by `egate sim controller`
    /// and the `/sim` HTTP routes; `None` for a stuck sensor, which names its input instead.
    pub fn name(self) -> Option<&'static str> {
        Some(match self {
            Fault::FireAlarm => "fire_alarm",
            Fault::MainsLost => "mains_lost",
            Fault::EmergencyButton => "emergency_button",
            Fault::Tamper => "tamper",
            Fault::Silence => "silence",
            Fault::LinkCut => "link_cut",
            Fault::CorruptReplies => "corrupt_replies",
            Fault::NoiseBursts => "noise_bursts",
            Fault::JammedDoor(DoorId::Entry) => "jammed_entry",
            Fault::JammedDoor(DoorId::Exit) => "jammed_exit",
            Fault::StuckSensor(..) => return None,
        })
    }

    /// The fault named `name` (see [`Fault::name`]).
    pub fn from_name(name: &str) -> Option<Fault> {
        Fault::NAMED.into_iter().find(|f| f.name() == Some(name))
    }
}

/// Fault code register values the simulated controller reports.
pub mod fault_code {
    /// No fault.
    pub const NONE: u16 = 0;
    /// A door drive is jammed (motor current, no movement).
    pub const DOOR_JAMMED: u16 = 0x0001;
    /// The comms watchdog fired.
    pub const COMMS_LOST: u16 = 0x0010;
    // No code for mains loss: running on battery is not a fault of the controller. It is
    // reported on the mains-lost input alone (discrete input 11 of the reference map,
    // hardware/door-map.md "Mains loss"), and the gate finishes the passage in progress and
    // closes the lane (gate::Gate on SensorEvent::MainsLost).
}

/// A copy of the device state, for tests and the console.
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceState {
    /// Door opening, 0.0 closed … 1.0 fully open, entry then exit.
    pub door_position: [f64; 2],
    /// Coil values, by [`Output`] order.
    pub coils: [bool; 7],
    /// Active inputs (logical, after stuck sensors).
    pub inputs: InputSet,
    /// Person count register (the travellers inside, or the forced value).
    pub person_count: u16,
    /// Whether the person count is forced ([`Device::set_person_count`]).
    pub person_count_forced: bool,
    /// Zones A, B, C forced occupied (`Some(true)`), free (`Some(false)`), or left to the
    /// travellers (`None`).
    pub zone_override: [Option<bool>; 3],
    /// Fault code register.
    pub fault_code: u16,
    /// Valid requests addressed to this unit.
    pub requests: u64,
    /// Frames dropped for a bad CRC or framing.
    pub bad_frames: u64,
    /// Whether the comms watchdog has fired and no request came since.
    pub comms_lost: bool,
    /// Where each traveller still in the lane is, in order of arrival.
    pub travellers: Vec<Place>,
    /// Travellers who left through the exit since start.
    pub through: u64,
    /// Travellers who left back through the entry, or gave up at it, since start.
    pub turned_away: u64,
    /// Active faults.
    pub faults: Vec<Fault>,
}

impl DeviceState {
    /// The coil value of `output`.
    pub fn coil(&self, output: Output) -> bool {
        self.coils[output_index(output)]
    }

    /// Door opening of `door`.
    pub fn position(&self, door: DoorId) -> f64 {
        self.door_position[door_index(door)]
    }
}

fn output_index(output: Output) -> usize {
    Output::ALL.iter().position(|&o| o == output).unwrap_or(0)
}

/// The simulated controller.
#[derive(Debug)]
pub struct Device {
    config: SimControllerConfig,
    coils: [bool; 7],
    holding: [u16; 16],
    position: [f64; 2],
    faults: Vec<Fault>,
    travellers: Vec<Walker>,
    through: u64,
    turned_away: u64,
    zone_override: [Option<bool>; 3],
    person_override: Option<u16>,
    last_request: Instant,
    last_tick: Instant,
    comms_lost: bool,
    requests: u64,
    bad_frames: u64,
}

impl Device {
    /// A device at rest: doors closed and locked, no travellers.
    pub fn new(config: SimControllerConfig, now: Instant) -> Self {
        let mut coils = [false; 7];
        coils[output_index(Output::LockEntry)] = true;
        coils[output_index(Output::LockExit)] = true;
        Device {
            config,
            coils,
            holding: [0; 16],
            position: [0.0; 2],
            faults: Vec::new(),
            travellers: Vec::new(),
            through: 0,
            turned_away: 0,
            zone_override: [None; 3],
            person_override: None,
            last_request: now,
            last_tick: now,
            comms_lost: false,
            requests: 0,
            bad_frames: 0,
        }
    }

    /// The register map served.
    pub fn map(&self) -> &DoorMap {
        &self.config.map
    }

    /// Injects a fault (idempotent).
    pub fn inject(&mut self, fault: Fault) {
        // A stuck sensor replaces an earlier stuck value of the same input.
        if let Fault::StuckSensor(input, _) = fault {
            self.faults
                .retain(|f| !matches!(f, Fault::StuckSensor(i, _) if *i == input));
        }
        if !self.faults.contains(&fault) {
            self.faults.push(fault);
        }
    }

    /// Clears a fault (for `StuckSensor`, any stuck value of that input).
    pub fn clear(&mut self, fault: Fault) {
        self.faults.retain(|f| match (f, fault) {
            (Fault::StuckSensor(a, _), Fault::StuckSensor(b, _)) => *a != b,
            _ => *f != fault,
        });
    }

    /// Whether a fault is active.
    pub fn has(&self, fault: Fault) -> bool {
        self.faults.contains(&fault)
    }

    /// Forces a zone's occupancy (`Some`) or hands it back to the traveller model (`None`).
    /// `zone` is [`Input::ZoneA`], [`Input::ZoneB`] or [`Input::ZoneC`].
    pub fn set_zone(&mut self, zone: Input, occupied: Option<bool>) {
        if let Some(i) = zone_index(zone) {
            self.zone_override[i] = occupied;
        }
    }

    /// Forces the person count register (`Some`), e.g. to show a tailgater the zone sensors
    /// cannot tell apart, or hands it back to the travellers (`None`). The "more than one
    /// person" input follows it.
    pub fn set_person_count(&mut self, count: Option<u16>) {
        self.person_override = count;
    }

    /// A traveller arrives in zone A; they walk as [`SimControllerConfig::walk`] says.
    pub fn add_traveller(&mut self, now: Instant) {
        self.travellers.push(Walker::arrive(now, self.config.walk));
    }

    /// Every traveller is told to leave ([`Walker::turn_away`]): those at the entry step
    /// away, those in the mantrap walk back out once the entry is open.
    pub fn turn_away(&mut self, now: Instant) {
        for w in &mut self.travellers {
            w.turn_away(now);
        }
    }

    /// Records a frame dropped by the assembler.
    pub fn count_bad_frame(&mut self) {
        self.bad_frames += 1;
    }

    fn occupancy(&self) -> [bool; 3] {
        let mut z = [false; 3];
        for w in &self.travellers {
            for (zone, occupied) in z.iter_mut().zip(w.zones()) {
                *zone |= occupied;
            }
        }
        for (i, o) in self.zone_override.iter().enumerate() {
            if let Some(v) = o {
                z[i] = *v;
            }
        }
        z
    }

    fn person_count(&self) -> u16 {
        if let Some(n) = self.person_override {
            return n;
        }
        let n = self.travellers.iter().filter(|w| w.is_inside()).count();
        u16::try_from(n).unwrap_or(u16::MAX)
    }

    /// The logical inputs, stuck sensors applied.
    pub fn inputs(&self) -> InputSet {
        let mut s = InputSet::EMPTY;
        let z = self.occupancy();
        s.set(Input::EntryClosed, self.position[0] <= 0.0);
        s.set(Input::ExitClosed, self.position[1] <= 0.0);
        s.set(Input::EntryOpen, self.position[0] >= 1.0);
        s.set(Input::ExitOpen, self.position[1] >= 1.0);
        s.set(Input::ZoneA, z[0]);
        s.set(Input::ZoneB, z[1]);
        s.set(Input::ZoneC, z[2]);
        s.set(Input::MultiplePersons, self.person_count() > 1);
        s.set(Input::FireAlarm, self.has(Fault::FireAlarm));
        s.set(Input::EmergencyButton, self.has(Fault::EmergencyButton));
        s.set(Input::Tamper, self.has(Fault::Tamper));
        s.set(Input::MainsLost, self.has(Fault::MainsLost));
        for f in &self.faults {
            if let Fault::StuckSensor(input, v) = *f {
                s.set(input, v);
            }
        }
        s
    }

    fn fault_code(&self) -> u16 {
        let mut code = fault_code::NONE;
        if self
            .faults
            .iter()
            .any(|f| matches!(f, Fault::JammedDoor(_)))
        {
            code |= fault_code::DOOR_JAMMED;
        }
        if self.comms_lost {
            code |= fault_code::COMMS_LOST;
        }
        code
    }

    /// Advances doors, travellers and the comms watchdog to `now`.
    pub fn tick(&mut self, now: Instant) {
        let dt = now.saturating_duration_since(self.last_tick);
        self.last_tick = now;
        if let Some(wd) = self.config.comms_watchdog {
            if !self.comms_lost && now.saturating_duration_since(self.last_request) >= wd {
                self.comms_lost = true;
                match self.config.comms_loss {
                    CommsLossAction::Hold => {}
                    CommsLossAction::Open => self.set_doors(true),
                    CommsLossAction::Close => self.set_doors(false),
                }
            }
        }
        let step = dt.as_secs_f64() / self.config.door_travel.as_secs_f64().max(1e-3);
        let inputs = self.inputs();
        for door in DOORS {
            let i = door_index(door);
            if self.has(Fault::JammedDoor(door)) {
                continue;
            }
            let want_open = self.coils[output_index(Output::open(door))];
            let locked = self.coils[output_index(Output::lock(door))];
            if want_open {
                // A lock holds a closed door shut.
                if !(locked && self.position[i] <= 0.0) {
                    self.position[i] = (self.position[i] + step).min(1.0);
                }
            } else {
                // Obstruction detection: a door drive never closes on an occupied zone.
                let guarded = self
                    .config
                    .map
                    .guarded(door)
                    .iter()
                    .any(|&g| inputs.contains(g));
                if !guarded {
                    self.position[i] = (self.position[i] - step).max(0.0);
                }
            }
        }
        self.move_travellers(now);
    }

    fn set_doors(&mut self, open: bool) {
        for door in DOORS {
            self.coils[output_index(Output::lock(door))] = false;
            self.coils[output_index(Output::open(door))] = open;
        }
    }

    fn move_travellers(&mut self, now: Instant) {
        let doors = Doors {
            entry: self.position[0],
            exit: self.position[1],
        };
        for w in &mut self.travellers {
            w.tick(now, doors);
            match w.place() {
                Place::Through => self.through += 1,
                Place::TurnedAway => self.turned_away += 1,
                _ => {}
            }
        }
        self.travellers.retain(|w| !w.is_gone());
    }

    /// A copy of the state.
    pub fn state(&self) -> DeviceState {
        DeviceState {
            door_position: self.position,
            coils: self.coils,
            inputs: self.inputs(),
            person_count: self.person_count(),
            person_count_forced: self.person_override.is_some(),
            zone_override: self.zone_override,
            fault_code: self.fault_code(),
            requests: self.requests,
            bad_frames: self.bad_frames,
            comms_lost: self.comms_lost,
            travellers: self.travellers.iter().map(Walker::place).collect(),
            through: self.through,
            turned_away: self.turned_away,
            faults: self.faults.clone(),
        }
    }

    /// The wire value of the discrete input at `addr` (polarity applied), if mapped.
    fn input_bit(&self, inputs: InputSet, addr: u16) -> Option<bool> {
        let map = &self.config.map;
        Input::ALL
            .into_iter()
            .find(|&i| map.inputs.address(i) == addr)
            .map(|i| inputs.contains(i) != map.is_active_low(i))
    }

    fn coil_at(&self, addr: u16) -> Option<usize> {
        let map = &self.config.map;
        Output::ALL
            .into_iter()
            .find(|&o| map.coils.address(o) == addr)
            .map(output_index)
    }

    fn input_register(&self, addr: u16) -> Option<u16> {
        let r = &self.config.map.registers;
        if addr == r.person_count {
            Some(self.person_count())
        } else if addr == r.fault_code {
            Some(self.fault_code())
        } else {
            None
        }
    }

    /// Executes a request; returns the framed answer, or `None` when none is due (another
    /// unit, or a broadcast — Serial Line §2.1: broadcasts are never answered).
    pub fn handle(&mut self, request: &Request, now: Instant) -> Option<Vec<u8>> {
        let unit = self.config.map.unit_id;
        if request.unit != unit && request.unit != 0 {
            return None;
        }
        self.requests += 1;
        self.last_request = now;
        self.comms_lost = false;
        let fc = request.pdu.function();
        let pdu = self
            .execute(&request.pdu)
            .unwrap_or_else(|e| exception_pdu(fc, e));
        (request.unit != 0).then(|| frame_response(unit, &pdu))
    }

    fn execute(&mut self, pdu: &Pdu) -> Result<Vec<u8>, Exception> {
        // §6.1/§6.2: 1..=2000 bits; §6.3/§6.4: 1..=125 registers; else exception 03.
        let bits_ok = |count: u16| (1..=2000).contains(&count);
        let regs_ok = |count: u16| (1..=125).contains(&count);
        let addrs = |addr: u16, count: u16| {
            (0..count).map(move |k| addr.checked_add(k).ok_or(Exception::IllegalDataAddress))
        };
        match *pdu {
            Pdu::ReadCoils { addr, count } | Pdu::ReadDiscreteInputs { addr, count } => {
                if !bits_ok(count) {
                    return Err(Exception::IllegalDataValue);
                }
                let inputs = self.inputs();
                let coils = matches!(pdu, Pdu::ReadCoils { .. });
                let mut bits = Vec::with_capacity(usize::from(count));
                for a in addrs(addr, count) {
                    let a = a?;
                    let bit = if coils {
                        self.coil_at(a).map(|i| self.coils[i])
                    } else {
                        self.input_bit(inputs, a)
                    };
                    bits.push(bit.ok_or(Exception::IllegalDataAddress)?);
                }
                let packed = pack_bits(&bits);
                let mut out = vec![pdu.function(), packed.len() as u8];
                out.extend_from_slice(&packed);
                Ok(out)
            }
            Pdu::ReadInputRegisters { addr, count } | Pdu::ReadHoldingRegisters { addr, count } => {
                if !regs_ok(count) {
                    return Err(Exception::IllegalDataValue);
                }
                let input = matches!(pdu, Pdu::ReadInputRegisters { .. });
                let mut out = vec![pdu.function(), (2 * count) as u8];
                for a in addrs(addr, count) {
                    let a = a?;
                    let v = if input {
                        self.input_register(a)
                    } else {
                        self.holding.get(usize::from(a)).copied()
                    };
                    out.extend_from_slice(&v.ok_or(Exception::IllegalDataAddress)?.to_be_bytes());
                }
                Ok(out)
            }
            Pdu::WriteSingleCoil { addr, value } => {
                // §6.5: 0xFF00 = on, 0x0000 = off, anything else is exception 03.
                let on = match value {
                    0xFF00 => true,
                    0x0000 => false,
                    _ => return Err(Exception::IllegalDataValue),
                };
                let i = self.coil_at(addr).ok_or(Exception::IllegalDataAddress)?;
                self.coils[i] = on;
                Ok(echo(0x05, addr, value))
            }
            Pdu::WriteMultipleCoils { addr, ref values } => {
                let count = u16::try_from(values.len()).map_err(|_| Exception::IllegalDataValue)?;
                let targets: Vec<usize> = addrs(addr, count)
                    .map(|a| a.and_then(|a| self.coil_at(a).ok_or(Exception::IllegalDataAddress)))
                    .collect::<Result<_, _>>()?;
                for (i, v) in targets.into_iter().zip(values) {
                    self.coils[i] = *v;
                }
                Ok(echo(0x0F, addr, count))
            }
            Pdu::WriteSingleRegister { addr, value } => {
                let slot = self
                    .holding
                    .get_mut(usize::from(addr))
                    .ok_or(Exception::IllegalDataAddress)?;
                *slot = value;
                Ok(echo(0x06, addr, value))
            }
            Pdu::WriteMultipleRegisters { addr, ref values } => {
                let count = u16::try_from(values.len()).map_err(|_| Exception::IllegalDataValue)?;
                let start = usize::from(addr);
                let end = start + values.len();
                let slots = self
                    .holding
                    .get_mut(start..end)
                    .ok_or(Exception::IllegalDataAddress)?;
                slots.copy_from_slice(values);
                Ok(echo(0x10, addr, count))
            }
            Pdu::Unsupported(_) => Err(Exception::IllegalFunction),
            Pdu::Malformed(_) => Err(Exception::IllegalDataValue),
        }
    }
}

/// The answer to a write (§6.5, §6.6, §6.11, §6.12): the function code, the address and the
/// value or quantity written, echoed.
fn echo(function: u8, addr: u16, value: u16) -> Vec<u8> {
    let mut out = vec![function];
    out.extend_from_slice(&addr.to_be_bytes());
    out.extend_from_slice(&value.to_be_bytes());
    out
}

fn zone_index(zone: Input) -> Option<usize> {
    match zone {
        Input::ZoneA => Some(0),
        Input::ZoneB => Some(1),
        Input::ZoneC => Some(2),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::super::rtu::parse_request;
    use super::*;
    use hardware::door::rtu::append_crc;

    fn req(bytes: &[u8]) -> Request {
        let mut f = bytes.to_vec();
        append_crc(&mut f);
        parse_request(&f).unwrap()
    }

    #[test]
    fn doors_travel_and_travellers_walk_through() {
        let t0 = Instant::now();
        let cfg = SimControllerConfig {
            door_travel: Duration::from_millis(100),
            walk: WalkTimes {
                through_door: Duration::from_millis(50),
                walk_away: Duration::from_millis(50),
                patience: Duration::from_secs(60),
            },
            comms_watchdog: None,
            ..Default::default()
        };
        let mut d = Device::new(cfg, t0);
        d.add_traveller(t0);
        assert!(d.inputs().contains(Input::ZoneA));
        // Open the entry (unlock, then open) as the adapter does.
        let ms = |n| t0 + Duration::from_millis(n);
        assert!(d.handle(&req(&[1, 5, 0, 2, 0, 0]), t0).is_some());
        assert!(d.handle(&req(&[1, 5, 0, 0, 0xFF, 0]), t0).is_some());
        d.tick(ms(50));
        assert!(!d.inputs().contains(Input::EntryClosed));
        d.tick(ms(110));
        assert!(d.inputs().contains(Input::EntryOpen));
        d.tick(ms(111));
        assert_eq!(d.state().travellers, vec![Place::EnteringMantrap]);
        d.tick(ms(170));
        assert_eq!(d.person_count(), 1);
        assert!(d.inputs().contains(Input::ZoneB) && !d.inputs().contains(Input::ZoneA));
        // Close the entry while someone stands in its threshold (zone A): the drive holds
        // the door open.
        d.set_zone(Input::ZoneA, Some(true));
        d.handle(&req(&[1, 5, 0, 0, 0, 0]), ms(170));
        d.tick(ms(300));
        assert!(d.inputs().contains(Input::EntryOpen));
        // Zone A clears: the entry closes behind the traveller waiting in the mantrap
        // (the default guard is the door's threshold zone only).
        d.set_zone(Input::ZoneA, None);
        d.tick(ms(350));
        d.tick(ms(500));
        assert!(d.inputs().contains(Input::ZoneB));
        assert!(d.inputs().contains(Input::EntryClosed));
    }

    #[test]
    fn exceptions_follow_the_spec() {
        let t0 = Instant::now();
        let mut d = Device::new(SimControllerConfig::default(), t0);
        // Unknown address → 02; bad coil value → 03; unknown function → 01; other unit → none.
        assert_eq!(
            d.handle(&req(&[1, 2, 0, 40, 0, 1]), t0).unwrap()[1..3],
            [0x82, 0x02]
        );
        assert_eq!(
            d.handle(&req(&[1, 5, 0, 0, 0x12, 0x34]), t0).unwrap()[1..3],
            [0x85, 0x03]
        );
        assert_eq!(
            d.handle(&req(&[1, 0x2B, 0, 0]), t0).unwrap()[1..3],
            [0xAB, 0x01]
        );
        assert_eq!(d.handle(&req(&[9, 2, 0, 0, 0, 1]), t0), None);
        assert_eq!(d.handle(&req(&[0, 5, 0, 4, 0xFF, 0]), t0), None);
        assert!(d.state().coil(Output::AlarmSounder));
    }
}
