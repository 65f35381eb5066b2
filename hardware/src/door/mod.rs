//! The door controller: the two doors of a lane, the occupancy sensors between them, the
//! alarm inputs and the lamps, behind the [`DoorController`] trait.
//!
//! The real adapter is [`ModbusDoorController`]: Modbus RTU over a serial port (tokio-serial +
//! tokio-modbus) with the register map from [`DoorMap`]. It polls the inputs at 20 Hz or faster,
//! reports changes as [`DoorEvent`]s, watches the link, confirms every door movement by reading
//! the position back, and enforces three safety rules itself, whatever the caller asks:
//!
//! - a door never closes on an occupied guard zone (by default its threshold zone: entry ↔
//!   zone A, exit ↔ zone C; see [`Guards`]): the close is refused, and a closing door whose
//!   zone becomes occupied is re-opened;
//! - a fire alarm drives both doors to the fire [`Fallback`] (open by default) and refuses
//!   closes while it lasts;
//! - a link loss is reported within the watchdog time, and the link-loss fallback is written
//!   as soon as the controller answers again.
//!
//! Layers, from the wire up: [`rtu`] (RTU frames: CRC, silences), [`codec`] (the adapter's
//! requests and the checks and decoding of their answers), [`frames`] (the same requests and
//! answers as RTU bytes without I/O, for virtual-time runs), `client` (port, tokio-modbus
//! context, retries, counters), and [`tracker`] (the sans-IO state: readings, interlocks,
//! confirmations, watchdog, fallbacks), which `modbus` drives.

mod client;
pub mod codec;
pub mod frames;
mod gate_inputs;
mod map;
mod modbus;
pub mod rtu;
mod stats;
mod tap;
pub mod tracker;

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use serde::{Deserialize, Serialize};

pub use gate_inputs::{gate_inputs, sensor};
pub use map::{
    Coils, DoorMap, Fallback, Fallbacks, Guards, Inputs as InputAddresses, MapError, Parity,
    Registers, SerialSettings, Span,
};
pub use modbus::ModbusDoorController;
pub use stats::{LinkStats, LinkStatsSnapshot};
pub use tracker::DoorTracker;

use crate::error::ErrorKind;

pub use gate::DoorId;

/// Both doors, entry first (the order of every per-door array in this module and the
/// simulator).
pub const DOORS: [DoorId; 2] = [DoorId::Entry, DoorId::Exit];

/// The position of `door` in [`DOORS`].
pub fn door_index(door: DoorId) -> usize {
    match door {
        DoorId::Entry => 0,
        DoorId::Exit => 1,
    }
}

gate::named_enum! {
    /// A binary input of the controller, after polarity correction (true = active). The
    /// declaration order is the bit order of [`InputSet`]; the names are those of config
    /// files and logs.
    #[derive(Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum Input {
        /// Entry door closed.
        EntryClosed => "entry_closed",
        /// Exit door closed.
        ExitClosed => "exit_closed",
        /// Entry door fully open.
        EntryOpen => "entry_open",
        /// Exit door fully open.
        ExitOpen => "exit_open",
        /// Zone A occupied (entry threshold: in front of and under the entry leaves).
        ZoneA => "zone_a",
        /// Zone B occupied (between the doors).
        ZoneB => "zone_b",
        /// Zone C occupied (exit threshold: under the exit leaves and just beyond).
        ZoneC => "zone_c",
        /// More than one person in the gate.
        MultiplePersons => "multiple_persons",
        /// Fire alarm.
        FireAlarm => "fire_alarm",
        /// Emergency button pressed.
        EmergencyButton => "emergency_button",
        /// Tamper contact.
        Tamper => "tamper",
        /// Mains lost: the controller runs on battery.
        MainsLost => "mains_lost",
    }
}

impl Input {
    fn bit(self) -> u16 {
        1 << (self as u16)
    }

    /// The input that reads "closed" for `door`.
    pub fn closed(door: DoorId) -> Input {
        [Input::EntryClosed, Input::ExitClosed][door_index(door)]
    }

    /// The input that reads "fully open" for `door`.
    pub fn fully_open(door: DoorId) -> Input {
        [Input::EntryOpen, Input::ExitOpen][door_index(door)]
    }

    /// `door`'s threshold zone, which must be free before the door may close by default
    /// (see [`Guards`]): zone A (in front of and under the entry leaves) for the entry,
    /// zone C (under the exit leaves and just beyond) for the exit.
    pub fn threshold(door: DoorId) -> Input {
        [Input::ZoneA, Input::ZoneC][door_index(door)]
    }
}

/// A coil of the controller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Output {
    /// Drive the entry door open (off = drive closed).
    OpenEntry,
    /// Drive the exit door open (off = drive closed).
    OpenExit,
    /// Lock the entry door.
    LockEntry,
    /// Lock the exit door.
    LockExit,
    /// Alarm sounder.
    AlarmSounder,
    /// Green lamp.
    GreenLamp,
    /// Red lamp.
    RedLamp,
}

impl Output {
    /// The coil that drives `door` open.
    pub fn open(door: DoorId) -> Output {
        [Output::OpenEntry, Output::OpenExit][door_index(door)]
    }

    /// The coil that locks `door`.
    pub fn lock(door: DoorId) -> Output {
        [Output::LockEntry, Output::LockExit][door_index(door)]
    }

    /// Every output.
    pub const ALL: [Output; 7] = [
        Output::OpenEntry,
        Output::OpenExit,
        Output::LockEntry,
        Output::LockExit,
        Output::AlarmSounder,
        Output::GreenLamp,
        Output::RedLamp,
    ];
}

/// The set of active inputs (a bit per [`Input`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct InputSet(u16);

impl InputSet {
    /// No input active.
    pub const EMPTY: InputSet = InputSet(0);

    /// Whether `input` is active.
    pub fn contains(self, input: Input) -> bool {
        self.0 & input.bit() != 0
    }

    /// Sets `input` active or inactive.
    pub fn set(&mut self, input: Input, active: bool) {
        if active {
            self.0 |= input.bit();
        } else {
            self.0 &= !input.bit();
        }
    }

    /// The inputs whose state differs between `self` and `other`.
    pub fn changed(self, other: InputSet) -> impl Iterator<Item = Input> {
        let diff = self.0 ^ other.0;
        Input::ALL.into_iter().filter(move |i| diff & i.bit() != 0)
    }

    /// The active inputs.
    pub fn active(self) -> impl Iterator<Item = Input> {
        Input::ALL.into_iter().filter(move |&i| self.contains(i))
    }
}

/// Where a door is, from its two position sensors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DoorPosition {
    /// The closed sensor is active.
    Closed,
    /// The fully-open sensor is active.
    Open,
    /// Neither: travelling, or stopped half-way.
    Between,
    /// Both sensors active at once: a sensor fault.
    Inconsistent,
}

/// One complete reading of the controller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Snapshot {
    /// Active inputs.
    pub inputs: InputSet,
    /// Person count inside the gate (input register).
    pub person_count: u16,
    /// Controller fault code, 0 = none (input register).
    pub fault_code: u16,
}

impl Snapshot {
    /// The position of `door`.
    pub fn door(&self, door: DoorId) -> DoorPosition {
        match (
            self.inputs.contains(Input::closed(door)),
            self.inputs.contains(Input::fully_open(door)),
        ) {
            (true, false) => DoorPosition::Closed,
            (false, true) => DoorPosition::Open,
            (false, false) => DoorPosition::Between,
            (true, true) => DoorPosition::Inconsistent,
        }
    }
}

/// A command to the controller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DoorCommand {
    /// Unlock and drive the door open; confirmed by the fully-open sensor.
    Open(DoorId),
    /// Drive the door closed (refused while a guarded zone is occupied or the fire alarm is
    /// active); confirmed by the closed sensor, then locked if `lock_on_close`.
    Close(DoorId),
    /// Switch a lamp, the sounder or a lock directly (no confirmation beyond the write echo).
    Set(Output, bool),
}

/// Why the adapter applied a [`Fallback`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FallbackReason {
    /// The fire alarm input became active.
    FireAlarm,
    /// The link was lost; written when the controller answered again.
    LinkLoss,
}

/// What the adapter reports, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DoorEvent {
    /// The first valid reading after start or after a link fault: the full state.
    Connected(Snapshot),
    /// An input changed.
    InputChanged {
        /// Which input.
        input: Input,
        /// Its new state.
        active: bool,
    },
    /// The person count changed.
    PersonCount(u16),
    /// The controller's fault code changed (0 = cleared).
    ControllerFault(u16),
    /// A door reached the commanded position.
    DoorConfirmed {
        /// The door.
        door: DoorId,
        /// The command that was confirmed.
        command: DoorCommand,
        /// Time from the command to the confirming reading.
        after: Duration,
    },
    /// A door did not reach the commanded position within `door_confirm_ms`.
    DoorFault {
        /// The door.
        door: DoorId,
        /// The command that failed.
        command: DoorCommand,
    },
    /// A closing door was re-opened because its zone became occupied.
    CloseAborted {
        /// The door.
        door: DoorId,
        /// The zone that became occupied.
        zone: Input,
    },
    /// No valid answer within the watchdog time.
    LinkFault {
        /// Time since the last valid answer when the fault was declared.
        silent_for: Duration,
    },
    /// The adapter drove the doors to its fallback (writes acknowledged by the controller).
    Fallback {
        /// Why.
        reason: FallbackReason,
        /// Which fallback.
        state: Fallback,
    },
}

/// A door-controller error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DoorError {
    /// The serial port could not be opened or is gone.
    #[error("serial port {port}: {message}")]
    Port {
        /// The port path.
        port: String,
        /// The OS error.
        message: String,
    },
    /// The controller has not answered within the watchdog time.
    #[error("controller link down")]
    LinkDown,
    /// No answer to a request within the timeout, after the retries.
    #[error("no answer from the controller")]
    Timeout,
    /// The answer broke the protocol (CRC, framing, mismatched function).
    #[error("protocol error: {0}")]
    Protocol(String),
    /// The controller answered with a Modbus exception (Application Protocol §7).
    #[error("controller exception {0:#04x}")]
    Exception(u8),
    /// A door did not reach the commanded position in time.
    #[error("{} door did not reach the commanded position within {within:?}", .door.as_str())]
    DoorFault {
        /// The door.
        door: DoorId,
        /// The confirmation time that passed.
        within: Duration,
    },
    /// A close was refused or aborted because a guarded zone is occupied.
    #[error("{} door not closed: {zone} is occupied", .door.as_str())]
    ZoneOccupied {
        /// The door.
        door: DoorId,
        /// The occupied zone.
        zone: Input,
    },
    /// A close was refused because the fire alarm is active.
    #[error("{} door not closed: fire alarm active", .door.as_str())]
    FireAlarm {
        /// The door.
        door: DoorId,
    },
    /// A newer command for the same door replaced this one before it was confirmed.
    #[error("{} door command superseded", .door.as_str())]
    Superseded {
        /// The door.
        door: DoorId,
    },
    /// The adapter's task has stopped.
    #[error("door controller adapter stopped")]
    Stopped,
}

impl DoorError {
    /// The kind, for the driver's retry / refer / fault decision.
    pub fn kind(&self) -> ErrorKind {
        match self {
            DoorError::Port { .. } | DoorError::LinkDown | DoorError::Stopped => {
                ErrorKind::Disconnected
            }
            DoorError::Timeout => ErrorKind::Timeout,
            DoorError::Protocol(_) => ErrorKind::Protocol,
            DoorError::Exception(_) | DoorError::DoorFault { .. } => ErrorKind::Device,
            DoorError::ZoneOccupied { .. }
            | DoorError::FireAlarm { .. }
            | DoorError::Superseded { .. } => ErrorKind::Refused,
        }
    }
}

/// A boxed future, so the trait stays object-safe (`Box<dyn DoorController>`).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A door controller: commands in, events out (events come from the receiver returned when the
/// controller is started).
pub trait DoorController: Send + Sync {
    /// Executes a command and resolves when it is confirmed, refused or failed.
    fn command(&self, command: DoorCommand) -> BoxFuture<'_, Result<(), DoorError>>;

    /// The latest valid reading, or `None` before the first one and while the link is down.
    fn snapshot(&self) -> Option<Snapshot>;

    /// The link counters.
    fn stats(&self) -> LinkStatsSnapshot;
}
