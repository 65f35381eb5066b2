//! What a run records: per traveller, per fault, samples of the queue and of the process.

/// What happened to one traveller.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Record {
    /// 0-based number.
    pub id: u32,
    /// Type name.
    #[serde(rename = "type")]
    pub ty: &'static str,
    /// Gate (1-based), once served.
    pub gate: Option<u32>,
    /// Arrival at the queue, s.
    pub arrived_s: f64,
    /// Stepped up to the gate, s.
    pub served_s: Option<f64>,
    /// Out of the lane, s.
    pub left_s: Option<f64>,
    /// The gate's passage time (document presented → passage ended), s.
    pub transaction_s: Option<f64>,
    /// `accepted`, `released`, `referred`, `aborted`, or `no_passage`.
    pub outcome: &'static str,
    /// The referral or abort reason.
    pub reason: Option<&'static str>,
    /// Out through the exit.
    pub through: bool,
    /// Still in the lane long after their passage ended, or at the end of the run.
    pub trapped: bool,
    /// Face comparison scores of the attempts, with the threshold.
    pub scores: Vec<(f32, f32)>,
    /// PAD species shown, if any.
    pub pad_species: Option<&'static str>,
    /// What PAD said, if it ran: `live`, `attack`, `inconclusive`.
    pub pad: Option<&'static str>,
    /// What was expected.
    pub expected: &'static str,
    /// Whether it ended as expected.
    pub as_expected: bool,
    /// An attack.
    pub attack: bool,
    /// Whose face the camera saw was the document holder's (genuine comparison).
    pub genuine_face: bool,
}

/// A fault as it happened.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct FaultRecord {
    /// Kind.
    pub kind: String,
    /// Gate (1-based).
    pub gate: u32,
    /// Start, s.
    pub at_s: f64,
    /// Cleared, s (None for a one-off).
    pub cleared_s: Option<f64>,
    /// Lane back in service (idle, doors shut) after it cleared, s.
    pub recovered_s: Option<f64>,
    /// `recovered_s - (cleared_s or at_s)`.
    pub recovery_s: Option<f64>,
    /// Passages that ended while it lasted or until the lane recovered.
    pub passages_affected: u32,
}

/// One sample of the run's state.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Sample {
    /// Virtual time, s.
    pub t_s: f64,
    /// Travellers waiting.
    pub queue: u32,
    /// Passages finished so far.
    pub done: u32,
}

/// A resource sample (the process, not the model: kept apart from the run's figures).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Resources {
    /// Virtual time, s.
    pub t_s: f64,
    /// Passages finished so far.
    pub done: u32,
    /// Resident memory, KiB.
    pub rss_kib: u64,
    /// Open file descriptors.
    pub fds: u32,
}

/// Which clock a run ran on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Clock {
    /// Virtual time: the engine's discrete-event clock and modelled durations.
    Virtual,
    /// Real time: the wall clock, against a running daemon (`crate::realtime`).
    RealTime,
}

impl Clock {
    /// The stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            Clock::Virtual => "virtual",
            Clock::RealTime => "real_time",
        }
    }
}

/// Everything a run produced.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The clock it ran on.
    pub clock: Clock,
    /// Per traveller, in plan order.
    pub records: Vec<Record>,
    /// Faults.
    pub faults: Vec<FaultRecord>,
    /// Queue samples.
    pub samples: Vec<Sample>,
    /// Resource samples.
    pub resources: Vec<Resources>,
    /// Time at the end (virtual, or wall-clock seconds since the start in real time), s.
    pub end_s: f64,
    /// Per gate: (passages, busy seconds).
    pub gates: Vec<(u32, f64)>,
    /// Face checks computed (distinct presentations) and reused.
    pub face_cache: (u64, u64),
    /// Chip reads done (each over the modelled link).
    pub chip_reads: u64,
    /// Modbus frames (requests, answers) over all lanes.
    pub frames: (u64, u64),
    /// Identities of the face set used.
    pub identities: Vec<String>,
}
