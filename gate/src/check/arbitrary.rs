//! Random runs of a [`Gate`] under the [`SafetyModel`]. The property tests draw their
//! choices from proptest strategies and the fuzz target from raw bytes; both decode them
//! here into the same configurations, verdicts and driver loop.

use std::time::{Duration, Instant};

use super::SafetyModel;
use crate::command::{Command, JobKind};
use crate::config::{DoorSafeState, GateConfig, LivenessMode, OccupancyAction, ReferralRoute};
use crate::date::CivilDate;
use crate::gate::Gate;
use crate::input::Input;
use crate::phase::Phase;
use crate::policy::BorderDbMode;
use crate::reason::ReasonCode;
use crate::script::genuine_facts;
use crate::verdict::{
    BorderDbResult, ChipAuthOutcome, CountryCode, DocumentFacts, DocumentKind, DocumentVerdict,
    FaceVerdict, PaOutcome, PadVerdict, Ticket,
};

pub use crate::script::today;

fn cc(code: &str) -> CountryCode {
    CountryCode::new(code).expect("a valid country code")
}

fn date(y: u16, m: u8, d: u8) -> CivilDate {
    CivilDate::new(y, m, d).expect("a valid date")
}

/// The lane options a run varies; everything else is the layout's default.
#[derive(Debug, Clone)]
pub struct LaneChoices {
    /// Two-step (mantrap) rather than one-step.
    pub two_step: bool,
    /// Liveness required rather than not checked.
    pub liveness: bool,
    /// A referral waits for the officer rather than sending back through the entry.
    pub wait_for_officer: bool,
    /// The border databases is required rather than off.
    pub borderdb: bool,
    /// Tailgating, wrong direction, loitering, child, object left.
    pub occupancy: [OccupancyAction; 5],
    /// Entry, exit.
    pub safe_state: [DoorSafeState; 2],
    /// Explicit consent rather than notice only.
    pub explicit_consent: bool,
    /// Two-step: overlapping passages ([`GateConfig::overlap`]).
    pub overlap: bool,
    /// Two-step: capture starts while the entry closes ([`GateConfig::early_capture`]).
    pub early_capture: bool,
}

impl LaneChoices {
    /// The configuration these choices make on `today`.
    pub fn config(&self, today: CivilDate) -> GateConfig {
        let mut c = if self.two_step {
            GateConfig::two_step(today)
        } else {
            GateConfig::one_step(today)
        };
        c.liveness = if self.liveness {
            LivenessMode::Required
        } else {
            LivenessMode::NotChecked
        };
        c.referral = if self.wait_for_officer {
            ReferralRoute::WaitForOfficer
        } else {
            ReferralRoute::BackThroughEntry
        };
        c.eligibility.borderdb = if self.borderdb {
            BorderDbMode::Required
        } else {
            BorderDbMode::Off
        };
        let [tailgating, wrong_direction, loitering, child, object_left] = self.occupancy;
        c.occupancy.tailgating = tailgating;
        c.occupancy.wrong_direction = wrong_direction;
        c.occupancy.loitering = loitering;
        c.occupancy.child = child;
        c.occupancy.object_left = object_left;
        [c.safe_state.entry, c.safe_state.exit] = self.safe_state;
        if self.explicit_consent {
            c.consent.mode = crate::ConsentMode::Explicit;
        }
        c.overlap = self.overlap && self.two_step;
        c.early_capture = self.early_capture && self.two_step;
        c
    }
}

/// An occupancy action: `v % 3` picks refer, alarm or record.
pub fn occupancy_action(v: u8) -> OccupancyAction {
    match v % 3 {
        0 => OccupancyAction::Refer,
        1 => OccupancyAction::Alarm,
        _ => OccupancyAction::Record,
    }
}

/// Document facts: 7 is a genuine adult's valid passport; the others each break or test
/// the edge of one rule (the dates around [`today`] and the day after).
pub fn facts(v: u8) -> DocumentFacts {
    // French, so that the policies that allow France only decide it too.
    let mut f = genuine_facts();
    f.issuing_state = cc("FRA");
    f.nationality = cc("FRA");
    f.birth_date = Some(date(1980, 2, 29));
    f.expiry = date(2030, 6, 30);
    match v % 16 {
        0 => f.pa = PaOutcome::Failed,
        1 => f.birth_date = Some(date(2020, 1, 1)),
        2 => f.expiry = date(2020, 1, 1),
        3 => f.mrz_matches_dg1 = false,
        4 => f.pa = PaOutcome::UntrustedCsca,
        5 => f.chip_auth = ChipAuthOutcome::Failed,
        6 if v >= 128 => f.chip_refusal = Some(ReasonCode::DgUnreadable),
        6 => f.chip_auth = ChipAuthOutcome::NotSupported,
        8 => f.birth_date = None,
        9 => f.kind = DocumentKind::ResidencePermit,
        10 => f.kind = DocumentKind::Other,
        11 => {
            f.kind = DocumentKind::IdentityCard;
            f.issuing_state = cc("D<<");
            f.nationality = cc("UTO");
        }
        // 12 years old today, 18 and 12 tomorrow.
        12 => f.birth_date = Some(date(2014, 11, 26)),
        13 => f.birth_date = Some(date(2008, 11, 27)),
        14 => f.birth_date = Some(date(2014, 11, 27)),
        // Valid through today, expired tomorrow.
        15 => f.expiry = today(),
        _ => {}
    }
    f
}

/// The result of a job of `kind` for `ticket`, decoded from `v`. A chip read fails one
/// time in five, else reads the document [`facts`]`(v)`; the other jobs mostly pass, and
/// otherwise give each of their failures (a border database hit or outage; no match, no face,
/// several faces or a NaN score; an attack, inconclusive or unchecked liveness).
pub fn job_result(kind: JobKind, ticket: Ticket, v: u8) -> Input {
    match kind {
        JobKind::ChipRead => Input::DocumentVerdict {
            ticket,
            verdict: if v % 5 == 4 {
                DocumentVerdict::Refused(ReasonCode::ChipReadFailed)
            } else {
                DocumentVerdict::Read(facts(v))
            },
        },
        JobKind::BorderDb => Input::BorderDbResult {
            ticket,
            result: match v % 7 {
                0 => BorderDbResult::Hit,
                1 => BorderDbResult::Unavailable,
                2 => BorderDbResult::Refused(ReasonCode::EesOverstay),
                _ => BorderDbResult::Clear,
            },
        },
        JobKind::FaceMatch => Input::FaceVerdict {
            ticket,
            verdict: match v % 8 {
                0 => FaceVerdict::NoMatch {
                    score: 0.1,
                    threshold: 0.5,
                },
                1 => FaceVerdict::NoFace,
                2 => FaceVerdict::MultipleFaces,
                3 => FaceVerdict::Match {
                    score: f32::NAN,
                    threshold: 0.5,
                },
                _ => FaceVerdict::Match {
                    score: 0.8,
                    threshold: 0.5,
                },
            },
        },
        JobKind::Pad => Input::PadVerdict {
            ticket,
            verdict: match v % 6 {
                0 => PadVerdict::Attack { score: 0.1 },
                1 => PadVerdict::Inconclusive,
                2 => PadVerdict::NotChecked,
                _ => PadVerdict::Live { score: 0.9 },
            },
        },
    }
}

/// The jobs the gate has started so far, oldest first.
#[derive(Debug, Default)]
pub struct Tickets {
    started: Vec<(JobKind, Ticket)>,
}

impl Tickets {
    /// Notes the jobs that `commands` start.
    pub fn see(&mut self, commands: &[Command]) {
        self.started
            .extend(commands.iter().filter_map(Command::started_job));
    }

    /// The tickets of the jobs of `kind`, oldest first.
    pub fn of(&self, kind: JobKind) -> Vec<Ticket> {
        let of_kind = self.started.iter().filter(|(k, _)| *k == kind);
        of_kind.map(|(_, ticket)| *ticket).collect()
    }

    /// The latest ticket of `kind`.
    pub fn latest(&self, kind: JobKind) -> Option<Ticket> {
        self.of(kind).last().copied()
    }
}

/// A gate driven as a driver drives it, every step checked by a [`SafetyModel`]. Errors
/// are the model's violations, said with the step that caused them.
pub struct Run {
    /// The gate under test.
    pub gate: Gate,
    /// The model that checks it.
    pub model: SafetyModel,
    /// The run's clock.
    pub now: Instant,
    /// The tickets issued so far.
    pub tickets: Tickets,
}

impl Run {
    /// Starts a gate with `config` and checks its first commands.
    pub fn start(config: GateConfig) -> Result<Self, String> {
        let now = Instant::now();
        let mut model = SafetyModel::new(&config);
        let mut gate = Gate::new(config, now);
        let mut tickets = Tickets::default();
        let first = model
            .drain(&mut gate)
            .map_err(|v| format!("{v} at start"))?;
        tickets.see(&first);
        Ok(Self {
            gate,
            model,
            now,
            tickets,
        })
    }

    /// Lets `by` pass and fires every deadline that falls due meanwhile; returns the
    /// phase after each.
    pub fn advance(&mut self, by: Duration) -> Result<Vec<Phase>, String> {
        self.now += by;
        let mut phases = Vec::new();
        while let Some(at) = self.gate.poll_timeout() {
            if at > self.now {
                break;
            }
            let c = self
                .model
                .step(&mut self.gate, self.now, None)
                .map_err(|v| format!("{v} on timeout"))?;
            self.tickets.see(&c);
            phases.push(self.gate.phase());
        }
        Ok(phases)
    }

    /// Feeds `input`; `None` jumps straight to the next deadline and fires it.
    pub fn feed(&mut self, input: Option<Input>) -> Result<(), String> {
        if input.is_none() {
            if let Some(at) = self.gate.poll_timeout() {
                self.now = self.now.max(at);
            }
        }
        let label = format!("{input:?}");
        let c = self
            .model
            .step(&mut self.gate, self.now, input)
            .map_err(|v| format!("{v} after {label}"))?;
        self.tickets.see(&c);
        Ok(())
    }
}
