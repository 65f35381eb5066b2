//! The register map: where a controller keeps each coil, input and register, which inputs are
//! active-low, how fast to poll and what the safe states are. Deserialised from TOML (the
//! `--map FILE` of `egate hw door`, or a table of the daemon's config); unknown fields are
//! rejected and [`DoorMap::validate`] reports every problem at once.
//!
//! The defaults are egate's reference map (see `hardware/door-map.md`):
//!
//! | table | address | meaning |
//! |---|---|---|
//! | coil | 0 | open entry door (1 = drive open, 0 = drive closed) |
//! | coil | 1 | open exit door |
//! | coil | 2 | lock entry door (1 = locked) |
//! | coil | 3 | lock exit door |
//! | coil | 4 | alarm sounder |
//! | coil | 5 | green lamp |
//! | coil | 6 | red lamp |
//! | discrete input | 0 | entry door closed |
//! | discrete input | 1 | exit door closed |
//! | discrete input | 2 | entry door fully open |
//! | discrete input | 3 | exit door fully open |
//! | discrete input | 4 | zone A occupied (entry threshold) |
//! | discrete input | 5 | zone B occupied (between the doors) |
//! | discrete input | 6 | zone C occupied (exit threshold) |
//! | discrete input | 7 | more than one person in the gate |
//! | discrete input | 8 | fire alarm |
//! | discrete input | 9 | emergency button |
//! | discrete input | 10 | tamper |
//! | discrete input | 11 | mains lost (on battery) |
//! | input register | 0 | person count inside the gate |
//! | input register | 1 | controller fault code (0 = none; never set for mains loss) |

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::{DoorId, Input, Output, Snapshot};

/// Modbus Application Protocol V1.1b3 §6.1/§6.2: at most 2000 coils or inputs per read.
const MAX_BITS_PER_READ: u16 = 2000;
/// Modbus Application Protocol V1.1b3 §6.4: at most 125 registers per read.
const MAX_REGS_PER_READ: u16 = 125;

/// The whole door-controller description: serial line, unit, addresses, polarity, timing and
/// safe states. `Default` is egate's reference map.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DoorMap {
    /// Serial line settings.
    pub serial: SerialSettings,
    /// Modbus unit (slave) address, 1..=247 (Modbus over Serial Line V1.02 §2.2).
    pub unit_id: u8,
    /// Poll period in milliseconds; at most 50 (the adapter polls at 20 Hz or faster).
    pub poll_period_ms: u64,
    /// How long to wait for one answer before retrying, in milliseconds.
    pub response_timeout_ms: u64,
    /// Retries of one request after a timeout or a bad answer.
    pub retries: u8,
    /// Link watchdog: no valid answer for this long → link fault, in milliseconds.
    pub watchdog_ms: u64,
    /// How long a door may take to reach the commanded position before a door fault, in ms.
    pub door_confirm_ms: u64,
    /// Lock a door after it is confirmed closed.
    pub lock_on_close: bool,
    /// Coil addresses.
    pub coils: Coils,
    /// Discrete-input addresses.
    pub inputs: Inputs,
    /// Input-register addresses.
    pub registers: Registers,
    /// Inputs whose wire level is inverted (active-low contacts, e.g. a normally-closed fire loop).
    pub active_low: Vec<Input>,
    /// What the adapter drives the doors to on a fire alarm and on link loss.
    pub safe_state: Fallbacks,
    /// Which occupied inputs forbid closing each door.
    pub guard: Guards,
}

impl Default for DoorMap {
    fn default() -> Self {
        DoorMap {
            serial: SerialSettings::default(),
            unit_id: 1,
            poll_period_ms: 50,
            response_timeout_ms: 100,
            retries: 2,
            watchdog_ms: 200,
            door_confirm_ms: 3000,
            lock_on_close: true,
            coils: Coils::default(),
            inputs: Inputs::default(),
            registers: Registers::default(),
            active_low: Vec::new(),
            safe_state: Fallbacks::default(),
            guard: Guards::default(),
        }
    }
}

/// Serial line settings (Modbus over Serial Line V1.02 §2.5.1: 8 data bits, even parity by
/// default, 1 stop bit; no parity requires 2 stop bits).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SerialSettings {
    /// Baud rate.
    pub baud: u32,
    /// Parity.
    pub parity: Parity,
    /// Stop bits, 1 or 2.
    pub stop_bits: u8,
}

impl Default for SerialSettings {
    fn default() -> Self {
        SerialSettings {
            baud: 19_200,
            parity: Parity::Even,
            stop_bits: 1,
        }
    }
}

/// Serial parity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Parity {
    /// No parity bit.
    None,
    /// Even parity (the Modbus default).
    Even,
    /// Odd parity.
    Odd,
}

/// Coil addresses (written with function 05, read back with 01).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
#[allow(missing_docs)] // field names are the documentation; see the module table
pub struct Coils {
    pub open_entry: u16,
    pub open_exit: u16,
    pub lock_entry: u16,
    pub lock_exit: u16,
    pub alarm_sounder: u16,
    pub green_lamp: u16,
    pub red_lamp: u16,
}

impl Default for Coils {
    fn default() -> Self {
        Coils {
            open_entry: 0,
            open_exit: 1,
            lock_entry: 2,
            lock_exit: 3,
            alarm_sounder: 4,
            green_lamp: 5,
            red_lamp: 6,
        }
    }
}

impl Coils {
    /// The address of an output.
    pub fn address(&self, output: Output) -> u16 {
        match output {
            Output::OpenEntry => self.open_entry,
            Output::OpenExit => self.open_exit,
            Output::LockEntry => self.lock_entry,
            Output::LockExit => self.lock_exit,
            Output::AlarmSounder => self.alarm_sounder,
            Output::GreenLamp => self.green_lamp,
            Output::RedLamp => self.red_lamp,
        }
    }
}

/// Discrete-input addresses (read with function 02).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
#[allow(missing_docs)] // field names are the documentation; see the module table
pub struct Inputs {
    pub entry_closed: u16,
    pub exit_closed: u16,
    pub entry_open: u16,
    pub exit_open: u16,
    pub zone_a: u16,
    pub zone_b: u16,
    pub zone_c: u16,
    pub multiple_persons: u16,
    pub fire_alarm: u16,
    pub emergency_button: u16,
    pub tamper: u16,
    pub mains_lost: u16,
}

impl Default for Inputs {
    fn default() -> Self {
        Inputs {
            entry_closed: 0,
            exit_closed: 1,
            entry_open: 2,
            exit_open: 3,
            zone_a: 4,
            zone_b: 5,
            zone_c: 6,
            multiple_persons: 7,
            fire_alarm: 8,
            emergency_button: 9,
            tamper: 10,
            mains_lost: 11,
        }
    }
}

impl Inputs {
    /// The address of an input.
    pub fn address(&self, input: Input) -> u16 {
        match input {
            Input::EntryClosed => self.entry_closed,
            Input::ExitClosed => self.exit_closed,
            Input::EntryOpen => self.entry_open,
            Input::ExitOpen => self.exit_open,
            Input::ZoneA => self.zone_a,
            Input::ZoneB => self.zone_b,
            Input::ZoneC => self.zone_c,
            Input::MultiplePersons => self.multiple_persons,
            Input::FireAlarm => self.fire_alarm,
            Input::EmergencyButton => self.emergency_button,
            Input::Tamper => self.tamper,
            Input::MainsLost => self.mains_lost,
        }
    }
}

/// Input-register addresses (read with function 04).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Registers {
    /// Person count inside the gate.
    pub person_count: u16,
    /// Controller fault code, 0 = no fault.
    pub fault_code: u16,
    /// Bits of the fault code that are not faults of the controller and that the adapter
    /// masks out, e.g. a maker's "on battery" flag: mains loss reaches the gate on the
    /// mains-lost input only, and is not a device fault (hardware/door-map.md, "Mains loss").
    pub fault_code_ignore: u16,
}

impl Default for Registers {
    fn default() -> Self {
        Registers {
            person_count: 0,
            fault_code: 1,
            fault_code_ignore: 0,
        }
    }
}

/// Where the adapter drives both doors by itself when it has to make the lane safe (fire
/// alarm, link loss), whatever the gate asked. Not the gate's own `gate::SafeState` (each
/// door's position on a fault or shutdown, which the gate commands): this is the controller
/// adapter's fallback beneath it. Configured as `[safe_state]` of the register map.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Fallback {
    /// Both doors unlocked and driven open: free egress (the fire default).
    Open,
    /// Both doors driven closed and unlocked: no powered passage, but a person can push out.
    ClosedUnlocked,
    /// Both doors driven closed and locked.
    ClosedLocked,
}

/// The fallback for each reason (the `[safe_state]` table of the map).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Fallbacks {
    /// On a fire alarm input (fail-safe: default `open`).
    pub fire: Fallback,
    /// On link loss, written as soon as the controller answers again (the controller's own
    /// comms watchdog must act while the link is down; default `closed-unlocked`).
    pub link_loss: Fallback,
}

impl Default for Fallbacks {
    fn default() -> Self {
        Fallbacks {
            fire: Fallback::Open,
            link_loss: Fallback::ClosedUnlocked,
        }
    }
}

/// The inputs that must be inactive before a door may close (the adapter refuses the close
/// otherwise, and re-opens a closing door when one becomes active).
///
/// The default guards each door with its threshold zone: the entry with zone A, the exit
/// with zone C (the gate's rule, `gate::Zone`: zone A covers the area in front of and under
/// the entry leaves, zone C the area under the exit leaves and just beyond). The mantrap
/// (zone B) guards neither door by default, so the entry closes behind a traveller waiting
/// in the mantrap. A controller whose zone A or C sensor does not cover its door's swept
/// area must add the zone that does (e.g. `entry = ["zone_a", "zone_b"]`) — at the price
/// that the entry then cannot close while anyone stands in the mantrap.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Guards {
    /// Inputs guarding the entry door.
    pub entry: Vec<Input>,
    /// Inputs guarding the exit door.
    pub exit: Vec<Input>,
}

impl Default for Guards {
    fn default() -> Self {
        Guards {
            entry: vec![Input::threshold(DoorId::Entry)],
            exit: vec![Input::threshold(DoorId::Exit)],
        }
    }
}

/// One problem found in a register map.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MapError {
    /// The TOML text does not parse or has unknown / mistyped fields.
    #[error("{0}")]
    Syntax(String),
    /// A value is out of its allowed range.
    #[error("{field}: {message}")]
    Range {
        /// The offending field.
        field: &'static str,
        /// Why it is wrong.
        message: String,
    },
    /// Two coils or two inputs share an address.
    #[error("{table}: address {address} is used twice")]
    Duplicate {
        /// `coils` or `inputs` or `registers`.
        table: &'static str,
        /// The shared address.
        address: u16,
    },
}

/// A contiguous span of addresses to read in one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    /// First address.
    pub start: u16,
    /// Number of items.
    pub count: u16,
}

fn span(addrs: &[u16]) -> Span {
    let start = addrs.iter().copied().min().unwrap_or(0);
    let end = addrs.iter().copied().max().unwrap_or(0);
    Span {
        start,
        count: end - start + 1,
    }
}

fn duplicates(table: &'static str, addrs: &[u16], errors: &mut Vec<MapError>) {
    let mut sorted = addrs.to_vec();
    sorted.sort_unstable();
    for w in sorted.windows(2) {
        if w[0] == w[1] {
            errors.push(MapError::Duplicate {
                table,
                address: w[0],
            });
        }
    }
}

impl DoorMap {
    /// Parses a TOML map, then validates it; every problem is returned at once.
    pub fn from_toml(text: &str) -> Result<DoorMap, Vec<MapError>> {
        let map: DoorMap = toml_parse(text).map_err(|e| vec![MapError::Syntax(e)])?;
        map.validate()?;
        Ok(map)
    }

    /// Checks ranges and address clashes; every problem is returned at once.
    pub fn validate(&self) -> Result<(), Vec<MapError>> {
        let mut errors = Vec::new();
        let mut range = |field: &'static str, ok: bool, message: &str| {
            if !ok {
                errors.push(MapError::Range {
                    field,
                    message: message.to_string(),
                });
            }
        };
        // Modbus over Serial Line V1.02 §2.2: unicast addresses are 1..=247.
        range(
            "unit_id",
            (1..=247).contains(&self.unit_id),
            "must be 1..=247",
        );
        range(
            "poll_period_ms",
            (1..=50).contains(&self.poll_period_ms),
            "must be 1..=50 (20 Hz or faster)",
        );
        range(
            "response_timeout_ms",
            (1..=1000).contains(&self.response_timeout_ms),
            "must be 1..=1000",
        );
        range(
            "watchdog_ms",
            self.watchdog_ms >= self.poll_period_ms && self.watchdog_ms <= 10_000,
            "must be at least poll_period_ms and at most 10000",
        );
        range(
            "door_confirm_ms",
            (1..=60_000).contains(&self.door_confirm_ms),
            "must be 1..=60000",
        );
        range("retries", self.retries <= 10, "must be 0..=10");
        range(
            "registers.fault_code_ignore",
            self.registers.fault_code_ignore.count_ones() <= MAX_IGNORED_FAULT_BITS,
            "may clear at most two bits (a maker's mains or battery flags): a wider mask would \
             hide the controller's own faults, a jammed drive or its comms watchdog",
        );
        range(
            "serial.baud",
            (300..=4_000_000).contains(&self.serial.baud),
            "must be 300..=4000000",
        );
        range(
            "serial.stop_bits",
            matches!(self.serial.stop_bits, 1 | 2),
            "must be 1 or 2",
        );
        let coils = self.coil_addresses();
        let inputs = self.input_addresses();
        let regs = [self.registers.person_count, self.registers.fault_code];
        range(
            "coils",
            span(&coils).count <= MAX_BITS_PER_READ,
            "addresses span more than 2000",
        );
        range(
            "inputs",
            span(&inputs).count <= MAX_BITS_PER_READ,
            "addresses span more than 2000",
        );
        range(
            "registers",
            span(&regs).count <= MAX_REGS_PER_READ,
            "addresses span more than 125",
        );
        range(
            "guard.entry",
            !self.guard.entry.is_empty(),
            "must name at least one input",
        );
        range(
            "guard.exit",
            !self.guard.exit.is_empty(),
            "must name at least one input",
        );
        duplicates("coils", &coils, &mut errors);
        duplicates("inputs", &inputs, &mut errors);
        duplicates("registers", &regs, &mut errors);
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    fn coil_addresses(&self) -> Vec<u16> {
        Output::ALL.iter().map(|&o| self.coils.address(o)).collect()
    }

    fn input_addresses(&self) -> Vec<u16> {
        Input::ALL.iter().map(|&i| self.inputs.address(i)).collect()
    }

    /// The discrete inputs to read each poll, as one span.
    pub fn input_span(&self) -> Span {
        span(&self.input_addresses())
    }

    /// The input registers to read each poll, as one span.
    pub fn register_span(&self) -> Span {
        span(&[self.registers.person_count, self.registers.fault_code])
    }

    /// The inputs guarding `door`.
    pub fn guarded(&self, door: DoorId) -> &[Input] {
        match door {
            DoorId::Entry => &self.guard.entry,
            DoorId::Exit => &self.guard.exit,
        }
    }

    /// The first active guard input that forbids closing `door`, if any.
    pub fn blocking(&self, snap: &Snapshot, door: DoorId) -> Option<Input> {
        self.guarded(door)
            .iter()
            .copied()
            .find(|&i| snap.inputs.contains(i))
    }

    /// Whether `input` is wired active-low.
    pub fn is_active_low(&self, input: Input) -> bool {
        self.active_low.contains(&input)
    }

    /// The poll period.
    pub fn poll_period(&self) -> Duration {
        Duration::from_millis(self.poll_period_ms)
    }

    /// The per-request answer timeout.
    pub fn response_timeout(&self) -> Duration {
        Duration::from_millis(self.response_timeout_ms)
    }

    /// The link watchdog.
    pub fn watchdog(&self) -> Duration {
        Duration::from_millis(self.watchdog_ms)
    }

    /// The door confirmation time.
    pub fn door_confirm(&self) -> Duration {
        Duration::from_millis(self.door_confirm_ms)
    }
}

/// TOML → `DoorMap` without pulling a TOML parser into the library's public API.
fn toml_parse(text: &str) -> Result<DoorMap, String> {
    toml::from_str(text).map_err(|e| e.to_string())
}

/// Fault-code bits `[registers] fault_code_ignore` may clear, at most: the flags a maker sets
/// for mains or battery state, which are not faults (door-map.md, "Mains loss").
pub const MAX_IGNORED_FAULT_BITS: u32 = 2;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_map_is_valid_and_round_trips() {
        let map = DoorMap::default();
        map.validate().unwrap();
        let text = toml::to_string(&map).unwrap();
        assert_eq!(DoorMap::from_toml(&text).unwrap(), map);
        assert_eq!(DoorMap::from_toml("").unwrap(), map);
        assert_eq!(
            map.input_span(),
            Span {
                start: 0,
                count: 12
            }
        );
        assert_eq!(map.register_span(), Span { start: 0, count: 2 });
        // Each door is guarded by its threshold zone only: the entry can close behind a
        // traveller waiting in the mantrap (zone B).
        assert_eq!(map.guarded(DoorId::Entry), [Input::ZoneA]);
        assert_eq!(map.guarded(DoorId::Exit), [Input::ZoneC]);
    }

    #[test]
    fn every_error_is_reported() {
        let text = "unit_id = 0\npoll_period_ms = 100\n[coils]\nopen_exit = 0\n";
        let errors = DoorMap::from_toml(text).unwrap_err();
        assert_eq!(errors.len(), 3, "{errors:?}");
        assert!(DoorMap::from_toml("bogus = 1").is_err());
        let text = "active_low = [\"fire_alarm\"]\n[safe_state]\nlink_loss = \"closed-locked\"\n";
        let map = DoorMap::from_toml(text).unwrap();
        assert!(map.is_active_low(Input::FireAlarm));
        assert_eq!(map.safe_state.link_loss, Fallback::ClosedLocked);
    }

    #[test]
    fn a_fault_mask_may_clear_a_battery_flag_but_not_hide_every_fault() {
        let map = DoorMap::from_toml("[registers]\nfault_code_ignore = 0x0020\n").unwrap();
        assert_eq!(map.registers.fault_code_ignore, 0x0020);
        // The mask that would silence a jammed door and the comms watchdog along with it.
        for wide in ["0xFFFF", "0x0007"] {
            let errors = DoorMap::from_toml(&format!("[registers]\nfault_code_ignore = {wide}\n"))
                .unwrap_err();
            assert!(
                errors
                    .iter()
                    .any(|e| e.to_string().contains("registers.fault_code_ignore")),
                "{wide}: {errors:?}"
            );
        }
    }
}
