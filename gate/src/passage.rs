//! The passage: document, eligibility, borderdb, entering, face, exit, referral, and
//! each step's deadline.

use std::time::Instant;

use crate::command::{AttemptRecord, AuditEvent, Command, JobKind, PassageOutcome, Step};
use crate::config::{ConsentMode, LivenessMode, ReferralRoute};
use crate::document_step::{DocumentStep, ReadEnd};
use crate::gate::{later, Gate};
use crate::input::Zone;
use crate::phase::Phase;
use crate::reason::{MessageCode, ReasonCode};
use crate::state::{
    AcceptedDocument, AwaitingConsent, AwaitingOfficer, Capture, CheckingBorderDb, ClosingEntry,
    ClosingExit, Entering, ExitAuthority, Exiting, Job, Passage, ReadingDocument, Referred, State,
    Verifying,
};
use crate::verdict::{BorderDbResult, DocumentVerdict, DoorId, FaceVerdict, PadVerdict, Ticket};

/// Decides one face attempt: the failure reason if any, and whether it is final
/// (no retry even if attempts remain).
fn decide_attempt(face: FaceVerdict, pad: Option<PadVerdict>) -> (Option<ReasonCode>, bool) {
    // ISO/IEC 30107: a detected attack is not retried; neither is a detector that did not
    // check when liveness is required (never pretend a check happened).
    match pad {
        Some(PadVerdict::Attack { .. }) => return (Some(ReasonCode::PresentationAttack), true),
        Some(PadVerdict::NotChecked) => return (Some(ReasonCode::LivenessUnavailable), true),
        _ => {}
    }
    if let Some(reason) = face.failure() {
        return (Some(reason), false);
    }
    if let Some(PadVerdict::Inconclusive) = pad {
        return (Some(ReasonCode::LivenessInconclusive), false);
    }
    (None, false)
}

impl Gate {
    // ---- document -------------------------------------------------------------------

    pub(crate) fn on_document_presented(&mut self, now: Instant) {
        if self.may_wait() {
            return self.start_waiting(now);
        }
        let ready = matches!(self.state, State::Idle(_))
            && if self.is_two_step() {
                self.lane_free()
            } else {
                self.doors.settled()
            };
        if !ready {
            if matches!(self.state, State::Idle(_)) {
                self.message(MessageCode::PleaseWait);
            }
            self.unexpected_kind("document_presented");
            return;
        }
        let passage = self.new_passage(now);
        self.audit(AuditEvent::PassageStarted {
            passage: passage.id,
        });
        self.start_chip_read(now, passage, 1);
    }

    fn start_chip_read(&mut self, now: Instant, passage: Passage, attempt: u8) {
        let ticket = self.new_ticket();
        self.emit(Command::StartChipRead { ticket });
        let deadline = later(now, self.config.timeouts.chip_read);
        self.set_state(
            now,
            State::ReadingDocument(ReadingDocument {
                passage,
                ticket,
                attempt,
                attempt_started: now,
                deadline,
            }),
        );
        self.message(if attempt == 1 {
            MessageCode::ReadingDocument
        } else {
            MessageCode::PresentDocumentAgain
        });
    }

    pub(crate) fn on_document_verdict(
        &mut self,
        now: Instant,
        ticket: Ticket,
        verdict: DocumentVerdict,
    ) {
        if self.is_waiting_job(JobKind::ChipRead, ticket) {
            return self.end_waiting_read(now, ReadEnd::Verdict(verdict));
        }
        match &self.state {
            State::ReadingDocument(s) if s.ticket == ticket => {}
            _ => return self.drop_result(JobKind::ChipRead, ticket, "document_verdict"),
        }
        self.end_chip_read(now, ReadEnd::Verdict(verdict));
    }

    /// The lane's chip read ended (a verdict, or its deadline): the document step decides
    /// ([`Gate::decide_document`]) and the lane follows it.
    pub(crate) fn end_chip_read(&mut self, now: Instant, read: ReadEnd) {
        let State::ReadingDocument(s) = &self.state else {
            return;
        };
        let (passage, attempt, attempt_started) = (s.passage.clone(), s.attempt, s.attempt_started);
        match self.decide_document(now, &passage, attempt, attempt_started, read) {
            DocumentStep::ReadAgain => self.start_chip_read(now, passage, attempt + 1),
            DocumentStep::Refused(reason) => self.refer(now, Some(passage), reason),
            DocumentStep::Accepted {
                doc,
                borderdb: Some(ticket),
            } => {
                let deadline = later(now, self.config.timeouts.borderdb);
                self.set_state(
                    now,
                    State::CheckingBorderDb(CheckingBorderDb {
                        passage,
                        doc,
                        ticket,
                        started: now,
                        deadline,
                    }),
                );
                self.message(MessageCode::PleaseWait);
            }
            DocumentStep::Accepted {
                doc,
                borderdb: None,
            } => self.after_document(now, passage, doc),
        }
    }

    pub(crate) fn on_borderdb_result(
        &mut self,
        now: Instant,
        ticket: Ticket,
        result: BorderDbResult,
    ) {
        if self.is_waiting_job(JobKind::BorderDb, ticket) {
            return self.waiting_borderdb_result(now, result);
        }
        let (passage, doc, started) = match &self.state {
            State::CheckingBorderDb(s) if s.ticket == ticket => {
                (s.passage.clone(), s.doc.clone(), s.started)
            }
            _ => return self.drop_result(JobKind::BorderDb, ticket, "borderdb_result"),
        };
        let failure = match result {
            BorderDbResult::Clear => None,
            BorderDbResult::Hit => Some(ReasonCode::BorderDbHit),
            BorderDbResult::Unavailable => Some(ReasonCode::BorderDbUnavailable),
            BorderDbResult::Refused(reason) => Some(reason),
        };
        self.end_borderdb(now, passage, doc, started, failure);
    }

    /// The border database step has one attempt: its end is also the end of its transaction.
    pub(crate) fn end_borderdb(
        &mut self,
        now: Instant,
        passage: Passage,
        doc: AcceptedDocument,
        started: Instant,
        failure: Option<ReasonCode>,
    ) {
        self.record_borderdb(now, &passage, started, failure);
        match failure {
            // The traveller sees the same message as for any referral.
            Some(reason) => self.refer(now, Some(passage), reason),
            None => self.after_document(now, passage, doc),
        }
    }

    /// The document is accepted. With explicit consent, the traveller is asked first;
    /// otherwise (and after a yes) two-step opens the entry, one-step goes to the face.
    pub(crate) fn after_document(&mut self, now: Instant, passage: Passage, doc: AcceptedDocument) {
        if self.config.consent.mode == ConsentMode::Explicit {
            let deadline = later(now, self.traveller_time(self.config.consent.wait));
            self.set_state(
                now,
                State::AwaitingConsent(AwaitingConsent {
                    passage,
                    doc,
                    deadline,
                }),
            );
            return self.message(MessageCode::AskConsent);
        }
        self.after_consent(now, passage, doc);
    }

    /// The traveller's answer to the consent question; ignored (and counted) outside it.
    pub(crate) fn on_consent(&mut self, now: Instant, yes: bool) {
        let State::AwaitingConsent(s) = &self.state else {
            return self.unexpected(&crate::input::Input::Consent(yes));
        };
        let (passage, doc) = (s.passage.clone(), s.doc.clone());
        if yes {
            self.after_consent(now, passage, doc);
        } else {
            self.refer(now, Some(passage), ReasonCode::DeclinedBiometrics);
        }
    }

    fn after_consent(&mut self, now: Instant, passage: Passage, doc: AcceptedDocument) {
        if !self.is_two_step() {
            return self.start_verifying(now, passage, doc);
        }
        if !self.lane_free() {
            // The lane was free when the passage began (or was promoted), but the chip
            // read, the border database and the consent question take seconds: someone (or
            // something) is now in the mantrap or at the exit, or the exit stands open,
            // and the entry stays shut.
            return self.refer(now, Some(passage), ReasonCode::Loitering);
        }
        if !self.open_door(DoorId::Entry) {
            return self.fault(now, ReasonCode::DoorFault);
        }
        let deadline = later(now, self.traveller_time(self.config.timeouts.enter));
        self.set_state(
            now,
            State::Entering(Entering {
                passage,
                doc,
                deadline,
            }),
        );
        self.message(MessageCode::PleaseEnter);
        self.check_entering(now);
    }

    /// Two-step: whether the entry may open for the next traveller: both doors held shut
    /// ([`Doors::held_shut`]) and neither reported open by its position sensor, the
    /// mantrap (zone B) and the exit (zone C) reported clear. Checked when a passage
    /// begins at an idle lane, when a waiting one becomes the lane's, and again at the
    /// moment the entry opens, so that the entry never opens onto someone already inside
    /// or an exit standing open, whatever happened while the document was checked.
    pub(crate) fn lane_free(&self) -> bool {
        self.doors.held_shut(DoorId::Entry, &self.sensors)
            && self.doors.held_shut(DoorId::Exit, &self.sensors)
            && !self.sensors.reported_open(DoorId::Entry)
            && !self.sensors.reported_open(DoorId::Exit)
            && self.sensors.clear(Zone::B)
            && self.sensors.clear(Zone::C)
    }

    // ---- entering (two-step) --------------------------------------------------------

    /// Closes the entry once one person is alone in the mantrap and zone A is clear.
    pub(crate) fn check_entering(&mut self, now: Instant) {
        let State::Entering(s) = &self.state else {
            return;
        };
        let refuse_crowd =
            self.config.occupancy.tailgating == crate::config::OccupancyAction::Refer;
        let single = !(refuse_crowd && self.sensors.crowded());
        if self.sensors.reported_occupied(Zone::B) && self.sensors.clear(Zone::A) && single {
            let (mut passage, doc) = (s.passage.clone(), s.doc.clone());
            self.doors
                .close(DoorId::Entry, false, &self.sensors, &mut self.out);
            // The traveller is alone in the capture zone (B): with early capture the face
            // step runs while the entry closes behind them.
            let capture = if self.config.early_capture {
                passage.face_reached = true;
                Some(self.start_capture(now))
            } else {
                None
            };
            let deadline = later(now, self.config.timeouts.door_travel);
            self.set_state(
                now,
                State::ClosingEntry(ClosingEntry {
                    passage,
                    doc,
                    capture,
                    deadline,
                }),
            );
        }
    }

    /// The entry's position sensor reports closed.
    pub(crate) fn entry_closed(&mut self, now: Instant) {
        if let State::ClosingEntry(s) = &mut self.state {
            let (passage, doc, capture) = (s.passage.clone(), s.doc.clone(), s.capture.take());
            match capture {
                None => self.start_verifying(now, passage, doc),
                Some(capture) => {
                    let started = capture.started;
                    self.verify_with(now, passage, doc, 1, started, capture);
                    // Results that came in while the entry closed are decided now.
                    self.try_finish_attempt(now);
                }
            }
        }
    }

    // ---- face -----------------------------------------------------------------------

    fn start_verifying(&mut self, now: Instant, mut passage: Passage, doc: AcceptedDocument) {
        passage.face_reached = true;
        self.start_attempt(now, passage, doc, 1, now);
    }

    /// Starts the jobs of one face attempt: the match and, when liveness is required, PAD
    /// on the same capture.
    fn start_capture(&mut self, now: Instant) -> Capture {
        let ticket = self.new_ticket();
        self.emit(Command::StartFaceMatch { ticket });
        let pad = match self.config.liveness {
            LivenessMode::Required => {
                let ticket = self.new_ticket();
                self.emit(Command::StartPad { ticket });
                Some(Job {
                    ticket,
                    result: None,
                })
            }
            LivenessMode::NotChecked => None,
        };
        self.message(MessageCode::LookAtCamera);
        Capture {
            face: Job {
                ticket,
                result: None,
            },
            pad,
            started: now,
        }
    }

    fn start_attempt(
        &mut self,
        now: Instant,
        passage: Passage,
        doc: AcceptedDocument,
        attempt: u8,
        transaction_started: Instant,
    ) {
        let capture = self.start_capture(now);
        self.verify_with(now, passage, doc, attempt, transaction_started, capture);
    }

    /// Enters `Verifying` for an attempt whose jobs are already running (or answered).
    fn verify_with(
        &mut self,
        now: Instant,
        passage: Passage,
        doc: AcceptedDocument,
        attempt: u8,
        transaction_started: Instant,
        capture: Capture,
    ) {
        let deadline = later(
            capture.started,
            self.traveller_time(self.config.timeouts.capture_attempt),
        );
        self.set_state(
            now,
            State::Verifying(Verifying {
                passage,
                doc,
                attempt,
                transaction_started,
                attempt_started: capture.started,
                face: capture.face,
                pad: capture.pad,
                deadline,
            }),
        );
    }

    pub(crate) fn on_face_verdict(&mut self, now: Instant, ticket: Ticket, verdict: FaceVerdict) {
        match &mut self.state {
            State::Verifying(s) if s.face.ticket == ticket && s.face.result.is_none() => {
                s.face.result = Some(verdict);
            }
            State::ClosingEntry(ClosingEntry {
                capture: Some(c), ..
            }) if c.face.ticket == ticket && c.face.result.is_none() => {
                // Kept until the entry is closed: only then may the attempt be decided.
                c.face.result = Some(verdict);
                return;
            }
            _ => return self.drop_result(JobKind::FaceMatch, ticket, "face_verdict"),
        }
        self.try_finish_attempt(now);
    }

    pub(crate) fn on_pad_verdict(&mut self, now: Instant, ticket: Ticket, verdict: PadVerdict) {
        match &mut self.state {
            State::Verifying(Verifying { pad: Some(job), .. })
                if job.ticket == ticket && job.result.is_none() =>
            {
                job.result = Some(verdict);
            }
            State::ClosingEntry(ClosingEntry {
                capture: Some(Capture { pad: Some(job), .. }),
                ..
            }) if job.ticket == ticket && job.result.is_none() => {
                job.result = Some(verdict);
                return;
            }
            _ => return self.drop_result(JobKind::Pad, ticket, "pad_verdict"),
        }
        self.try_finish_attempt(now);
    }

    /// Decides the attempt once every result of it is in.
    fn try_finish_attempt(&mut self, now: Instant) {
        let State::Verifying(s) = &self.state else {
            return;
        };
        let Some(face) = s.face.result else {
            return;
        };
        let pad = match &s.pad {
            None => None,
            Some(Job { result: None, .. }) => return,
            Some(Job { result, .. }) => *result,
        };
        let (failure, last) = decide_attempt(face, pad);
        let score = match face {
            FaceVerdict::Match { score, threshold } | FaceVerdict::NoMatch { score, threshold } => {
                Some((score, threshold))
            }
            _ => None,
        };
        self.end_face_attempt(now, failure, score, !last);
    }

    /// Ends the current face attempt: an accept, another attempt while one is left and
    /// `retryable`, or a referral that ends the face transaction.
    pub(crate) fn end_face_attempt(
        &mut self,
        now: Instant,
        failure: Option<ReasonCode>,
        score: Option<(f32, f32)>,
        retryable: bool,
    ) {
        let State::Verifying(s) = &self.state else {
            return;
        };
        let (passage, doc, attempt) = (s.passage.clone(), s.doc.clone(), s.attempt);
        let (tx_started, att_started) = (s.transaction_started, s.attempt_started);
        let of = self.config.attempts.capture;
        self.record_attempt(AttemptRecord {
            passage: passage.id,
            step: Step::Face,
            attempt,
            of,
            failure,
            score,
            took: now.saturating_duration_since(att_started),
        });
        let total = now.saturating_duration_since(tx_started);
        match failure {
            None => {
                self.record_transaction(&passage, Step::Face, attempt, None, total);
                self.accept(now, passage);
            }
            Some(_) if retryable && attempt < of => {
                self.start_attempt(now, passage, doc, attempt + 1, tx_started);
            }
            Some(reason) => {
                self.record_transaction(&passage, Step::Face, attempt, Some(reason), total);
                self.refer(now, Some(passage), reason);
            }
        }
    }

    // ---- exit -----------------------------------------------------------------------

    /// Opens `door` through the interlock; a refusal is audited and returns false.
    pub(crate) fn open_door(&mut self, door: DoorId) -> bool {
        let opened = self.doors.open(door, false, &mut self.out).is_ok();
        if !opened {
            self.audit(AuditEvent::InterlockRefused { door });
        }
        opened
    }

    /// Verified: the exit opens (the interlock has the entry closed).
    fn accept(&mut self, now: Instant, passage: Passage) {
        if !self.open_door(DoorId::Exit) {
            return self.fault(now, ReasonCode::DoorFault);
        }
        self.enter_exiting(now, Some(passage), ExitAuthority::Accepted);
    }

    /// The exit has just been opened, by an accept or an officer.
    pub(crate) fn enter_exiting(
        &mut self,
        now: Instant,
        passage: Option<Passage>,
        authority: ExitAuthority,
    ) {
        let deadline = later(now, self.traveller_time(self.config.timeouts.exit));
        self.set_state(
            now,
            State::Exiting(Exiting {
                passage,
                authority,
                seen_c: false,
                called_next: false,
                deadline,
            }),
        );
        self.message(MessageCode::PleaseProceed);
        self.check_exiting(now);
    }

    pub(crate) fn passage_outcome(authority: ExitAuthority) -> PassageOutcome {
        match authority {
            ExitAuthority::Accepted => PassageOutcome::Accepted,
            ExitAuthority::Officer => PassageOutcome::ReleasedByOfficer,
        }
    }

    /// The passage is confirmed when zone C was entered and then B and C are clear.
    pub(crate) fn check_exiting(&mut self, now: Instant) {
        let c_occupied = self.sensors.reported_occupied(Zone::C);
        let through = self.sensors.clear(Zone::B) && self.sensors.clear(Zone::C);
        let left_mantrap = c_occupied && self.sensors.clear(Zone::B);
        let call = self.overlaps() && self.waiting.is_none();
        let State::Exiting(s) = &mut self.state else {
            return;
        };
        s.seen_c |= c_occupied;
        if left_mantrap && call && !s.called_next {
            // The traveller ahead has stepped out of the mantrap: the entry reader calls
            // the next one, whose chip read then runs while the exit closes.
            s.called_next = true;
            self.emit(Command::ShowEntryMessage(MessageCode::PresentDocument));
        }
        let State::Exiting(s) = &mut self.state else {
            return;
        };
        if !(s.seen_c && through) {
            return;
        }
        let (passage, authority) = (s.passage.take(), s.authority);
        if let Some(passage) = passage {
            self.end_passage(now, &passage, Self::passage_outcome(authority));
        }
        self.doors
            .close(DoorId::Exit, false, &self.sensors, &mut self.out);
        let deadline = later(now, self.config.timeouts.door_travel);
        self.set_state(now, State::ClosingExit(ClosingExit { deadline }));
    }

    // ---- referral -------------------------------------------------------------------

    /// Refers the traveller: records the decision, alarms the officer and sends the
    /// traveller out by the configured route. Callers cancel running jobs first.
    pub(crate) fn refer(&mut self, now: Instant, passage: Option<Passage>, reason: ReasonCode) {
        // The traveller inside leaves by a way the next one cannot follow.
        self.abort_waiting(now, reason);
        if let Some(p) = &passage {
            self.end_passage(now, p, PassageOutcome::Referred(reason));
        }
        self.alarm(reason);
        let inside = !self.is_two_step()
            || matches!(
                self.phase(),
                Phase::Entering | Phase::ClosingEntry | Phase::Verifying | Phase::AwaitingOfficer
            );
        if !inside {
            // Two-step, still in front of the entry: nothing to open.
            return self.enter_referred(now, reason, false, MessageCode::SeeOfficer);
        }
        match self.config.referral {
            ReferralRoute::WaitForOfficer if reason != ReasonCode::TravellerLeft => {
                // Keep the traveller in the lane for the officer.
                self.doors
                    .close(DoorId::Entry, false, &self.sensors, &mut self.out);
                self.await_officer(now, reason, false);
                self.message(MessageCode::SeeOfficer);
            }
            _ => self.send_back(now, reason),
        }
    }

    /// Sends the traveller back the way they came (two-step: through the reopened entry).
    pub(crate) fn send_back(&mut self, now: Instant, reason: ReasonCode) {
        let via_entry = self.is_two_step();
        if via_entry && !self.open_door(DoorId::Entry) {
            self.await_officer(now, reason, false);
            return self.message(MessageCode::SeeOfficer);
        }
        self.enter_referred(now, reason, via_entry, MessageCode::PleaseGoBack);
    }

    /// Waits for the referred traveller to leave (through the entry when `via_entry`).
    fn enter_referred(
        &mut self,
        now: Instant,
        reason: ReasonCode,
        via_entry: bool,
        message: MessageCode,
    ) {
        let deadline = later(now, self.traveller_time(self.config.timeouts.referral));
        let referred = Referred {
            reason,
            via_entry,
            deadline,
        };
        self.set_state(now, State::Referred(referred));
        self.message(message);
        self.check_referred(now);
    }

    /// Ends the referral once the traveller has left the lane.
    pub(crate) fn check_referred(&mut self, now: Instant) {
        let State::Referred(r) = &self.state else {
            return;
        };
        let gone = if !self.is_two_step() {
            self.sensors.clear(Zone::B)
        } else if r.via_entry {
            self.sensors.clear(Zone::A) && self.sensors.clear(Zone::B)
        } else {
            self.sensors.clear(Zone::A)
        };
        if gone {
            self.enter_rest(now);
        }
    }

    /// Waits for an officer, re-raising the alarm every `alarm_repeat`.
    pub(crate) fn await_officer(&mut self, now: Instant, reason: ReasonCode, clears_itself: bool) {
        let deadline = later(now, self.config.timeouts.alarm_repeat);
        self.set_state(
            now,
            State::AwaitingOfficer(AwaitingOfficer {
                reason,
                clears_itself,
                deadline,
            }),
        );
    }
}
