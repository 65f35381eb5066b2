//! The document step of a passage, shared by the lane's passage and the one waiting at
//! the entry (overlap): each chip-read attempt and the step's transaction recorded
//! (ISO/IEC 19795-2), eligibility decided and audited, the border database query started and
//! recorded. The callers (`passage.rs` for the lane, `overlap.rs` for the waiting
//! passage) move their passage on as the step says; nothing here moves a door.

use std::time::{Duration, Instant};

use crate::command::{AttemptRecord, AuditEvent, Command, Step};
use crate::gate::Gate;
use crate::policy::{self, BorderDbMode};
use crate::reason::ReasonCode;
use crate::state::{AcceptedDocument, Passage};
use crate::verdict::{DocumentVerdict, Ticket};

/// How a chip read ended.
#[derive(Debug)]
pub(crate) enum ReadEnd {
    /// The reader's verdict.
    Verdict(DocumentVerdict),
    /// The attempt's deadline passed first.
    TimedOut,
}

/// What the document step decided after a chip read ([`Gate::decide_document`]).
#[derive(Debug)]
pub(crate) enum DocumentStep {
    /// The attempt failed and another one follows.
    ReadAgain,
    /// The step ended with a referral for this reason.
    Refused(ReasonCode),
    /// The document is eligible; `borderdb` is the query just started, when the policy
    /// requires one.
    Accepted {
        doc: AcceptedDocument,
        borderdb: Option<Ticket>,
    },
}

impl Gate {
    // ---- attempts and transactions (ISO/IEC 19795-2) ----------------------------------

    /// Counts and audits one attempt of a step.
    pub(crate) fn record_attempt(&mut self, record: AttemptRecord) {
        self.counters.attempts += 1;
        self.audit(AuditEvent::Attempt(record));
    }

    /// Counts and audits the end of a step's transaction (its attempts).
    pub(crate) fn record_transaction(
        &mut self,
        passage: &Passage,
        step: Step,
        attempts: u8,
        failure: Option<ReasonCode>,
        took: Duration,
    ) {
        self.counters.transactions += 1;
        self.audit(AuditEvent::Transaction {
            passage: passage.id,
            step,
            attempts,
            failure,
            took,
        });
    }

    /// The document step of a passage, the lane's or the one waiting at the entry: a
    /// chip read ended (`read`). Records the attempt and, when the step ends, its
    /// transaction (ISO/IEC 19795-2); decides eligibility ([`policy::decide`]) and audits
    /// the decision; starts the border database query the policy requires. The caller moves its
    /// passage on as the returned step says.
    pub(crate) fn decide_document(
        &mut self,
        now: Instant,
        passage: &Passage,
        attempt: u8,
        attempt_started: Instant,
        read: ReadEnd,
    ) -> DocumentStep {
        let facts = match read {
            ReadEnd::Verdict(DocumentVerdict::Read(facts)) => facts,
            ReadEnd::Verdict(DocumentVerdict::Refused(reason)) => {
                // Only a read that failed on the link is worth another attempt; a refused
                // document would be refused again.
                let retryable = reason == ReasonCode::ChipReadFailed;
                return self.chip_failure(
                    now,
                    passage,
                    attempt,
                    attempt_started,
                    reason,
                    retryable,
                );
            }
            ReadEnd::TimedOut => {
                let reason = ReasonCode::ChipReadTimeout;
                return self.chip_failure(now, passage, attempt, attempt_started, reason, true);
            }
        };
        self.record_attempt(AttemptRecord {
            passage: passage.id,
            step: Step::DocumentRead,
            attempt,
            of: self.config.attempts.chip_read,
            failure: None,
            score: None,
            took: now.saturating_duration_since(attempt_started),
        });
        let total = now.saturating_duration_since(passage.started);
        self.record_transaction(passage, Step::DocumentRead, attempt, None, total);
        let decision = policy::decide(
            &self.config.eligibility,
            &facts,
            self.config.direction,
            self.config.today,
        );
        let refusal = decision.outcome.err();
        let rule = decision
            .rule
            .map(|by| self.config.eligibility.rules.decider_name(by).to_string());
        self.audit(AuditEvent::DocumentDecision {
            passage: passage.id,
            pseudonym: facts.pseudonym.clone(),
            pa: facts.pa,
            chip_auth: facts.chip_auth,
            refusal,
            rule,
        });
        if let Some(reason) = refusal {
            return DocumentStep::Refused(reason);
        }
        let borderdb = (self.config.eligibility.borderdb == BorderDbMode::Required).then(|| {
            let ticket = self.new_ticket();
            self.emit(Command::StartBorderDb { ticket });
            ticket
        });
        DocumentStep::Accepted {
            doc: AcceptedDocument {
                pseudonym: facts.pseudonym,
            },
            borderdb,
        }
    }

    /// Records the border database step's one attempt and its transaction.
    pub(crate) fn record_borderdb(
        &mut self,
        now: Instant,
        passage: &Passage,
        started: Instant,
        failure: Option<ReasonCode>,
    ) {
        let took = now.saturating_duration_since(started);
        self.record_attempt(AttemptRecord {
            passage: passage.id,
            step: Step::BorderDb,
            attempt: 1,
            of: 1,
            failure,
            score: None,
            took,
        });
        self.record_transaction(passage, Step::BorderDb, 1, failure, took);
    }

    /// Records a failed chip-read attempt: another attempt if one is left and the failure
    /// is worth one, else the document transaction is recorded as failed and the step ends.
    fn chip_failure(
        &mut self,
        now: Instant,
        passage: &Passage,
        attempt: u8,
        started: Instant,
        reason: ReasonCode,
        retryable: bool,
    ) -> DocumentStep {
        let of = self.config.attempts.chip_read;
        self.record_attempt(AttemptRecord {
            passage: passage.id,
            step: Step::DocumentRead,
            attempt,
            of,
            failure: Some(reason),
            score: None,
            took: now.saturating_duration_since(started),
        });
        if retryable && attempt < of {
            return DocumentStep::ReadAgain;
        }
        let total = now.saturating_duration_since(passage.started);
        self.record_transaction(passage, Step::DocumentRead, attempt, Some(reason), total);
        DocumentStep::Refused(reason)
    }
}
