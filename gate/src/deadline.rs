//! Deadlines of the passage states, and what follows an officer call.

use std::time::Instant;

use crate::command::AuditEvent;
use crate::document_step::ReadEnd;
use crate::gate::{later, Gate};
use crate::input::Zone;
use crate::reason::ReasonCode;
use crate::state::State;

impl Gate {
    // ---- deadlines ------------------------------------------------------------------

    /// The current state's deadline has passed.
    pub(crate) fn on_deadline(&mut self, now: Instant) {
        let repeat = self.config.timeouts.alarm_repeat;
        match &mut self.state {
            State::Idle(_) => self.on_loiter(now),
            State::ReadingDocument(_) => {
                self.cancel_jobs();
                self.end_chip_read(now, ReadEnd::TimedOut);
            }
            State::CheckingBorderDb(s) => {
                let (passage, doc, started) = (s.passage.clone(), s.doc.clone(), s.started);
                self.cancel_jobs();
                let reason = Some(ReasonCode::BorderDbTimeout);
                self.end_borderdb(now, passage, doc, started, reason);
            }
            State::AwaitingConsent(s) => {
                // No answer is no consent.
                let passage = s.passage.clone();
                self.refer(now, Some(passage), ReasonCode::DeclinedBiometrics);
            }
            State::Entering(s) => {
                let passage = s.passage.clone();
                let following = self.sensors.reported_occupied(Zone::A)
                    && self.sensors.reported_occupied(Zone::B);
                let reason = if self.sensors.crowded() || following {
                    ReasonCode::Tailgating
                } else {
                    ReasonCode::PassageTimeout
                };
                self.refer(now, Some(passage), reason);
            }
            State::ClosingEntry(s) => {
                let passage = s.passage.clone();
                self.cancel_jobs();
                if self.sensors.reported_occupied(Zone::A) {
                    self.refer(now, Some(passage), ReasonCode::Tailgating);
                } else {
                    self.fault(now, ReasonCode::DoorFault);
                }
            }
            State::Verifying(_) => {
                self.cancel_jobs();
                let reason = Some(ReasonCode::CaptureTimeout);
                self.end_face_attempt(now, reason, None, true);
            }
            State::Exiting(s) => {
                let (passage, authority) = (s.passage.take(), s.authority);
                if let Some(passage) = passage {
                    self.end_passage(now, &passage, Self::passage_outcome(authority));
                }
                self.loiter_in_lane(now);
            }
            State::ClosingExit(_) => self.fault(now, ReasonCode::DoorFault),
            State::Referred(r) => {
                let via_entry = r.via_entry;
                let inside = !self.is_two_step() || via_entry;
                if inside {
                    self.loiter_in_lane(now);
                } else {
                    self.enter_rest(now);
                }
            }
            State::AwaitingOfficer(s) => {
                s.deadline = later(now, repeat);
                let reason = s.reason;
                self.alarm(reason);
            }
            State::Emergency(s) => {
                s.deadline = later(now, repeat);
                let reason = s.reason;
                self.alarm(reason);
            }
            State::Fault(s) => {
                s.deadline = later(now, repeat);
                let reason = s.reason;
                self.alarm(reason);
            }
            State::LaneClosed(_) | State::OutOfService | State::Stopped => {}
        }
    }

    /// Someone stays in the lane after being let out or sent back: an officer is needed.
    fn loiter_in_lane(&mut self, now: Instant) {
        let action = self.config.occupancy.loitering;
        let phase = self.phase();
        self.audit(AuditEvent::Occupancy {
            reason: ReasonCode::Loitering,
            action,
            phase,
        });
        self.alarm(ReasonCode::Loitering);
        self.await_officer(now, ReasonCode::Loitering, true);
        self.check_awaiting(now);
    }

    /// An officer call for an empty-lane anomaly ends once the lane is clear.
    pub(crate) fn check_awaiting(&mut self, now: Instant) {
        if let State::AwaitingOfficer(a) = &self.state {
            let clear = self.sensors.clear(Zone::A)
                && self.sensors.clear(Zone::B)
                && self.sensors.clear(Zone::C);
            if a.clears_itself && clear {
                self.enter_rest(now);
            }
        }
    }
}
