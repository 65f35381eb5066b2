//! Everything that can happen to the gate: sensors, job results, officers, the daemon.

use crate::date::CivilDate;
use crate::verdict::{BorderDbResult, DocumentVerdict, DoorId, FaceVerdict, PadVerdict, Ticket};

crate::named_enum! {
    /// A floor zone of the lane, reported occupied or clear by the door controller.
    ///
    /// Zone A is the entry threshold (where the document reader is, in front of and under the
    /// entry leaves), zone B the capture position (the mantrap in a two-step lane), zone C the
    /// exit threshold (under the exit leaves and just beyond). A door never closes while its
    /// threshold zone is occupied: A guards the entry, C guards the exit.
    pub enum Zone {
        /// Entry threshold.
        A => "a",
        /// Capture position / mantrap.
        B => "b",
        /// Exit threshold.
        C => "c",
    }
}

crate::named_enum! {
    /// A device whose health the daemon reports.
    #[derive(PartialOrd, Ord)]
    pub enum Device {
        /// The contactless document reader.
        DocumentReader => "document_reader",
        /// The optical MRZ scanner.
        MrzScanner => "mrz_scanner",
        /// The face camera.
        Camera => "camera",
        /// The door controller (doors, zones, person counter).
        DoorController => "door_controller",
        /// The border database service.
        BorderDb => "borderdb",
        /// Face matching / PAD workers.
        Biometrics => "biometrics",
    }
}

/// A change reported by the lane's sensors (the door controller and building signals).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SensorEvent {
    /// A door's position sensor: `closed = true` when it is fully closed.
    Door {
        /// Which door.
        door: DoorId,
        /// Fully closed or not.
        closed: bool,
    },
    /// A zone became occupied or clear.
    Zone {
        /// Which zone.
        zone: Zone,
        /// Occupied or clear.
        occupied: bool,
    },
    /// The controller's "more than one person" detector in zone B.
    MultiplePersons(bool),
    /// The controller's person count in zone B.
    PersonCount(u8),
    /// The height sensor saw a child in the lane.
    ChildDetected(bool),
    /// The controller's direction detector saw someone moving against the lane.
    WrongDirection,
    /// The building's fire alarm, raised or cleared.
    FireAlarm(bool),
    /// The lane's emergency button, pressed or released.
    EmergencyButton(bool),
    /// The enclosure's tamper switch.
    Tamper(bool),
    /// Mains power lost (`true`) or restored (`false`).
    MainsLost(bool),
    /// A device reported a fault.
    DeviceFault(Device),
    /// A device recovered.
    DeviceRecovered(Device),
}

crate::named_enum! {
    serde;
    /// An officer's action from the console (audited with the officer's id by the daemon).
    pub enum OfficerCommand {
        /// Open the exit for the traveller inside (refused while the entry is open in a
        /// two-step lane).
        ReleaseExit => "release_exit",
        /// Refer the traveller in the lane.
        Refer => "refer",
        /// Back to normal service after an emergency, a fault or an officer call.
        Reset => "reset",
        /// Open the lane.
        LaneOpen => "lane_open",
        /// Close the lane after the passage in progress.
        LaneClose => "lane_close",
        /// Take the gate out of service now (a passage before the exit is referred).
        OutOfService => "out_of_service",
    }
}

/// One input to [`crate::Gate::handle`].
#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    /// A sensor change.
    Sensor(SensorEvent),
    /// A document was presented: the MRZ was scanned or a CAN obtained. The gate never
    /// sees the MRZ text; the daemon keeps it for the chip-read job it is asked to start.
    DocumentPresented,
    /// The result of a chip-read job.
    DocumentVerdict {
        /// The job's ticket.
        ticket: Ticket,
        /// The result.
        verdict: DocumentVerdict,
    },
    /// The result of a border database job.
    BorderDbResult {
        /// The job's ticket.
        ticket: Ticket,
        /// The result.
        result: BorderDbResult,
    },
    /// The result of a capture + match job.
    FaceVerdict {
        /// The job's ticket.
        ticket: Ticket,
        /// The result.
        verdict: FaceVerdict,
    },
    /// The result of a PAD job.
    PadVerdict {
        /// The job's ticket.
        ticket: Ticket,
        /// The result.
        verdict: PadVerdict,
    },
    /// The traveller's answer to the consent question (a touch on the traveller screen or
    /// a button): `true` for yes.
    Consent(bool),
    /// The accessible mode, asked for by the traveller (the screen's button, a button on the
    /// register map) or an officer: longer timeouts for this passage.
    Assistance,
    /// An officer's action.
    Officer(OfficerCommand),
    /// The civil date changed (at midnight, or the daemon's clock was corrected).
    DateChanged(CivilDate),
    /// The daemon is stopping: doors to the safe state, jobs cancelled.
    Shutdown,
}

impl Input {
    /// A short stable name of the input's kind, for audit events (no payload).
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Sensor(s) => match s {
                SensorEvent::Door { .. } => "sensor_door",
                SensorEvent::Zone { .. } => "sensor_zone",
                SensorEvent::MultiplePersons(_) => "sensor_multiple_persons",
                SensorEvent::PersonCount(_) => "sensor_person_count",
                SensorEvent::ChildDetected(_) => "sensor_child",
                SensorEvent::WrongDirection => "sensor_wrong_direction",
                SensorEvent::FireAlarm(_) => "sensor_fire_alarm",
                SensorEvent::EmergencyButton(_) => "sensor_emergency_button",
                SensorEvent::Tamper(_) => "sensor_tamper",
                SensorEvent::MainsLost(_) => "sensor_mains",
                SensorEvent::DeviceFault(_) => "device_fault",
                SensorEvent::DeviceRecovered(_) => "device_recovered",
            },
            Self::DocumentPresented => "document_presented",
            Self::DocumentVerdict { .. } => "document_verdict",
            Self::BorderDbResult { .. } => "borderdb_result",
            Self::FaceVerdict { .. } => "face_verdict",
            Self::PadVerdict { .. } => "pad_verdict",
            Self::Consent(_) => "consent",
            Self::Assistance => "assistance",
            Self::Officer(o) => match o {
                OfficerCommand::ReleaseExit => "officer_release_exit",
                OfficerCommand::Refer => "officer_refer",
                OfficerCommand::Reset => "officer_reset",
                OfficerCommand::LaneOpen => "officer_lane_open",
                OfficerCommand::LaneClose => "officer_lane_close",
                OfficerCommand::OutOfService => "officer_out_of_service",
            },
            Self::DateChanged(_) => "date_changed",
            Self::Shutdown => "shutdown",
        }
    }
}
