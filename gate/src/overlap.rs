//! Overlapping passages in a two-step lane ([`crate::GateConfig::overlap`]).
//!
//! While the previous traveller is in the face step or leaving through the exit, the next
//! one may present their document at the entry reader. Their passage is a [`Waiting`]
//! beside the lane's state: its own passage id, tickets, deadline and record. It never
//! moves a door. When the exit has closed behind the previous traveller with the mantrap
//! empty, it becomes the lane's state and the entry opens for them; if the lane leaves
//! the previous traveller's normal way out (a referral, an officer call, a fault, an
//! emergency, a reset, a lane closure), the waiting passage is cut short first, so the
//! entry never opens for a traveller while another is still inside.

use std::time::Instant;

use crate::command::{AuditEvent, Command, JobKind, PassageOutcome};
use crate::document_step::{DocumentStep, ReadEnd};
use crate::gate::{later, Gate};
use crate::input::Zone;
use crate::phase::Phase;
use crate::reason::{MessageCode, ReasonCode};
use crate::state::{CheckingBorderDb, Passage, ReadingDocument, State, Waiting, WaitingStep};
use crate::verdict::{BorderDbResult, DoorId, Ticket};

/// The phases of the previous traveller's normal way out, during which a next traveller
/// may wait at the entry: the entry is closed behind them and stays closed.
pub(crate) fn lane_on_its_way_out(phase: Phase) -> bool {
    matches!(
        phase,
        Phase::Verifying | Phase::Exiting | Phase::ClosingExit
    )
}

impl Gate {
    /// Whether this lane overlaps passages: configured, two-step, and consent by notice. With
    /// explicit consent the lane does not overlap: the consent question of a traveller
    /// waiting at the entry is not built, and asking it for the lane's passage must not open
    /// the entry for anyone else.
    pub(crate) fn overlaps(&self) -> bool {
        self.config.overlap
            && self.is_two_step()
            && self.config.consent.mode != crate::config::ConsentMode::Explicit
    }

    /// Whether a document presented now starts a waiting passage: overlap on, the lane on
    /// its way out with the entry closed, nobody waiting yet, no closure scheduled, and
    /// someone reported at the entry (zone A).
    pub(crate) fn may_wait(&self) -> bool {
        self.overlaps()
            && self.waiting.is_none()
            && lane_on_its_way_out(self.phase())
            && self.doors.is_closed(DoorId::Entry)
            && self.after_passage.is_none()
            && !self.sensors.mains_lost
            && self.sensors.reported_occupied(Zone::A)
    }

    /// A document presented at the entry while the lane is busy: a waiting passage begins.
    pub(crate) fn start_waiting(&mut self, now: Instant) {
        let passage = self.new_passage(now);
        self.audit(AuditEvent::PassageStarted {
            passage: passage.id,
        });
        self.start_waiting_read(now, passage, 1);
    }

    fn start_waiting_read(&mut self, now: Instant, passage: Passage, attempt: u8) {
        let ticket = self.new_ticket();
        self.emit(Command::StartChipRead { ticket });
        let deadline = later(now, self.config.timeouts.chip_read);
        self.waiting = Some(Waiting {
            passage,
            step: WaitingStep::Reading {
                ticket,
                attempt,
                attempt_started: now,
                deadline,
            },
        });
        self.entry_message(if attempt == 1 {
            MessageCode::ReadingDocument
        } else {
            MessageCode::PresentDocumentAgain
        });
    }

    /// Shows a message at the entry reader, to the waiting traveller.
    fn entry_message(&mut self, message: MessageCode) {
        self.emit(Command::ShowEntryMessage(message));
    }

    /// Whether `ticket` is the running job of kind `kind` of the waiting passage.
    pub(crate) fn is_waiting_job(&self, kind: JobKind, ticket: Ticket) -> bool {
        match self.waiting.as_ref().map(|w| &w.step) {
            Some(WaitingStep::Reading { ticket: t, .. }) => {
                kind == JobKind::ChipRead && *t == ticket
            }
            Some(WaitingStep::CheckingBorderDb { ticket: t, .. }) => {
                kind == JobKind::BorderDb && *t == ticket
            }
            _ => false,
        }
    }

    /// The waiting passage's chip read ended (a verdict whose ticket the caller checked,
    /// or its deadline): the document step decides ([`Gate::decide_document`]) as for the
    /// lane's passage, and the waiting passage follows it without moving a door.
    pub(crate) fn end_waiting_read(&mut self, now: Instant, read: ReadEnd) {
        let Some(Waiting {
            passage,
            step:
                WaitingStep::Reading {
                    attempt,
                    attempt_started,
                    ..
                },
        }) = self.waiting.take()
        else {
            return;
        };
        let step = match self.decide_document(now, &passage, attempt, attempt_started, read) {
            DocumentStep::ReadAgain => return self.start_waiting_read(now, passage, attempt + 1),
            DocumentStep::Refused(reason) => {
                return self.end_waiting(now, passage, PassageOutcome::Referred(reason))
            }
            DocumentStep::Accepted {
                doc,
                borderdb: Some(ticket),
            } => WaitingStep::CheckingBorderDb {
                doc,
                ticket,
                started: now,
                deadline: later(now, self.config.timeouts.borderdb),
            },
            DocumentStep::Accepted {
                doc,
                borderdb: None,
            } => WaitingStep::Ready { doc },
        };
        self.waiting = Some(Waiting { passage, step });
        self.entry_message(MessageCode::PleaseWait);
    }

    /// The waiting passage's border database query answered.
    pub(crate) fn waiting_borderdb_result(&mut self, now: Instant, result: BorderDbResult) {
        let failure = match result {
            BorderDbResult::Clear => None,
            BorderDbResult::Hit => Some(ReasonCode::BorderDbHit),
            BorderDbResult::Unavailable => Some(ReasonCode::BorderDbUnavailable),
            BorderDbResult::Refused(reason) => Some(reason),
        };
        self.end_waiting_borderdb(now, failure);
    }

    fn end_waiting_borderdb(&mut self, now: Instant, failure: Option<ReasonCode>) {
        let Some(Waiting {
            passage,
            step: WaitingStep::CheckingBorderDb { doc, started, .. },
        }) = self.waiting.take()
        else {
            return;
        };
        self.record_borderdb(now, &passage, started, failure);
        match failure {
            Some(reason) => self.end_waiting(now, passage, PassageOutcome::Referred(reason)),
            None => {
                self.waiting = Some(Waiting {
                    passage,
                    step: WaitingStep::Ready { doc },
                });
            }
        }
    }

    /// The waiting passage's own deadline has passed.
    pub(crate) fn on_waiting_deadline(&mut self, now: Instant) {
        let Some(w) = self.waiting.take() else {
            return;
        };
        if let Some(ticket) = w.running_job() {
            self.emit(Command::CancelJob { ticket });
        }
        match w.step {
            step @ WaitingStep::Reading { .. } => {
                self.waiting = Some(Waiting {
                    passage: w.passage,
                    step,
                });
                self.end_waiting_read(now, ReadEnd::TimedOut);
            }
            step @ WaitingStep::CheckingBorderDb { .. } => {
                self.waiting = Some(Waiting {
                    passage: w.passage,
                    step,
                });
                self.end_waiting_borderdb(now, Some(ReasonCode::BorderDbTimeout));
            }
            step @ WaitingStep::Ready { .. } => {
                self.waiting = Some(Waiting {
                    passage: w.passage,
                    step,
                });
            }
        }
    }

    /// Ends a waiting passage that will not enter the lane. A referral alarms the
    /// officer (as at an idle lane), except a traveller who simply walked away.
    fn end_waiting(&mut self, now: Instant, passage: Passage, outcome: PassageOutcome) {
        self.record_passage_end(now, &passage, outcome);
        match outcome {
            PassageOutcome::Referred(ReasonCode::TravellerLeft) => {}
            PassageOutcome::Referred(reason) => {
                self.alarm(reason);
                self.entry_message(MessageCode::SeeOfficer);
            }
            _ => self.entry_message(MessageCode::PleaseWait),
        }
    }

    /// Cuts the waiting passage short (its job cancelled) because the lane cannot take
    /// the traveller: `reason` is the lane's.
    pub(crate) fn abort_waiting(&mut self, now: Instant, reason: ReasonCode) {
        if let Some(w) = self.waiting.take() {
            if let Some(ticket) = w.running_job() {
                self.emit(Command::CancelJob { ticket });
            }
            self.end_waiting(now, w.passage, PassageOutcome::Aborted(reason));
        }
    }

    /// Zone A cleared while a traveller waited there: they walked away.
    pub(crate) fn check_waiting_zone(&mut self, now: Instant) {
        if self.waiting.is_some() && self.sensors.clear(Zone::A) {
            if let Some(w) = self.waiting.take() {
                if let Some(ticket) = w.running_job() {
                    self.emit(Command::CancelJob { ticket });
                }
                let outcome = PassageOutcome::Referred(ReasonCode::TravellerLeft);
                self.end_waiting(now, w.passage, outcome);
            }
        }
    }

    /// The exit has closed behind the previous traveller: the waiting passage becomes the
    /// lane's, where it is (reading, border database, or accepted and let in). The lane must be
    /// free ([`Gate::lane_free`]) with the traveller still at the entry, or the waiting
    /// passage is cut short.
    pub(crate) fn promote_waiting(&mut self, now: Instant, waiting: Waiting) {
        if !(self.lane_free() && self.sensors.reported_occupied(Zone::A)) {
            self.waiting = Some(waiting);
            self.abort_waiting(now, ReasonCode::Loitering);
            return self.enter_idle(now);
        }
        let Waiting { passage, step } = waiting;
        match step {
            WaitingStep::Reading {
                ticket,
                attempt,
                attempt_started,
                deadline,
            } => {
                let state = ReadingDocument {
                    passage,
                    ticket,
                    attempt,
                    attempt_started,
                    deadline,
                };
                self.set_state(now, State::ReadingDocument(state));
                self.message(MessageCode::ReadingDocument);
            }
            WaitingStep::CheckingBorderDb {
                doc,
                ticket,
                started,
                deadline,
            } => {
                let state = CheckingBorderDb {
                    passage,
                    doc,
                    ticket,
                    started,
                    deadline,
                };
                self.set_state(now, State::CheckingBorderDb(state));
                self.message(MessageCode::PleaseWait);
            }
            WaitingStep::Ready { doc } => self.after_document(now, passage, doc),
        }
    }
}
