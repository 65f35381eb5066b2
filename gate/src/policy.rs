//! The eligibility policy: a pure function from document facts, the lane direction and
//! today's date to a decision. Authenticity first, then validity, then the rule table
//! ([`crate::eligibility`]). No state, no time, no I/O: tested on its own.

use crate::date::CivilDate;
use crate::eligibility::{Decider, Direction, Holder, RuleTable};
use crate::reason::ReasonCode;
use crate::verdict::{ChipAuthOutcome, DocumentFacts, PaOutcome};

/// How strict passive authentication must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PaStrictness {
    /// The document signer must chain to a trusted CSCA.
    RequireTrustedCsca,
    /// Signature and hashes must verify; an unknown CSCA is tolerated (test lanes, or
    /// states whose CSCA is not yet in the master list).
    AllowUntrustedCsca,
}

/// Whether the border databases are queried.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BorderDbMode {
    /// No border database query.
    Off,
    /// Every eligible traveller is checked; an unavailable list refers.
    Required,
}

/// Who may use the gate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EligibilityPolicy {
    /// Who may use the lane, by document kind, state group, age band and direction.
    pub rules: RuleTable,
    /// Refuse documents past their expiry date.
    pub require_valid_document: bool,
    /// How strict PA must be.
    pub pa: PaStrictness,
    /// Require AA or CA to have passed (a chip without either is refused). It decides only
    /// for chips whose signed data carry no AA or CA: one whose signed data do and that
    /// fails them is refused whatever this says ([`DocumentFacts::chip_refusal`]).
    pub require_chip_authentication: bool,
    /// Border database query.
    pub borderdb: BorderDbMode,
}

impl Default for EligibilityPolicy {
    /// The shipped rule table ([`RuleTable::shipped`]), valid documents, a trusted CSCA,
    /// chip authentication if the chip has it, border databases required.
    fn default() -> Self {
        Self {
            rules: RuleTable::shipped(),
            require_valid_document: true,
            pa: PaStrictness::RequireTrustedCsca,
            require_chip_authentication: false,
            borderdb: BorderDbMode::Required,
        }
    }
}

/// What the policy decided for one document, and which part of it decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PolicyDecision {
    /// `Ok(())`: eligible; `Err(reason)`: referred.
    pub outcome: Result<(), ReasonCode>,
    /// The rule-table row that decided; `None` when a check before the table (authenticity,
    /// validity) refused the document.
    pub rule: Option<Decider>,
}

/// Decides whether a document's holder may use a `direction` lane on `today`.
///
/// Checks run from the document's authenticity to the holder's eligibility, and the first
/// failure is the reason: a forged document is reported as forged even if it is also
/// expired.
pub fn evaluate(
    policy: &EligibilityPolicy,
    facts: &DocumentFacts,
    direction: Direction,
    today: CivilDate,
) -> Result<(), ReasonCode> {
    decide(policy, facts, direction, today).outcome
}

/// [`evaluate`], with the rule-table row that decided.
pub fn decide(
    policy: &EligibilityPolicy,
    facts: &DocumentFacts,
    direction: Direction,
    today: CivilDate,
) -> PolicyDecision {
    let refused = |reason| PolicyDecision {
        outcome: Err(reason),
        rule: None,
    };
    // Authenticity first (ICAO 9303-11 §5: PA; §6: AA/CA).
    match (facts.pa, policy.pa) {
        (PaOutcome::Failed, _) => return refused(ReasonCode::PaFailed),
        (PaOutcome::DsRevoked, _) => return refused(ReasonCode::DsRevoked),
        (PaOutcome::CrlStale, _) => return refused(ReasonCode::CrlStale),
        (PaOutcome::UntrustedCsca, PaStrictness::RequireTrustedCsca) => {
            return refused(ReasonCode::CscaUntrusted)
        }
        _ => {}
    }
    // The chip's signed data call for a protection it did not give (ICAO 9303-11 §6; issue
    // #13): refers whatever the policy allows.
    if let Some(reason) = facts.chip_refusal {
        return refused(reason);
    }
    match facts.chip_auth {
        ChipAuthOutcome::Failed => return refused(ReasonCode::ChipAuthFailed),
        ChipAuthOutcome::NotSupported if policy.require_chip_authentication => {
            return refused(ReasonCode::ChipAuthMissing)
        }
        _ => {}
    }
    if !facts.mrz_matches_dg1 {
        return refused(ReasonCode::MrzDg1Mismatch);
    }
    if let Err(reason) = validity(policy, facts.expiry, today) {
        return refused(reason);
    }
    let decision = policy.rules.decide(&facts.holder(), direction, today);
    PolicyDecision {
        outcome: decision.outcome.as_result(),
        rule: Some(decision.by),
    }
}

/// The validity check, before the rule table: a document is valid through its expiry date.
pub fn validity(
    policy: &EligibilityPolicy,
    expiry: CivilDate,
    today: CivilDate,
) -> Result<(), ReasonCode> {
    if policy.require_valid_document && today > expiry {
        Err(ReasonCode::DocumentExpired)
    } else {
        Ok(())
    }
}

impl DocumentFacts {
    /// What the rule table looks at.
    pub fn holder(&self) -> Holder {
        Holder {
            kind: self.kind,
            issuing_state: self.issuing_state,
            nationality: self.nationality,
            birth_date: self.birth_date,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eligibility::{AgeBand, Outcome, Rule};
    use crate::verdict::{CountryCode, DocumentKind, Pseudonym};

    const ENTRY: Direction = Direction::Entry;

    fn d(y: u16, m: u8, day: u8) -> CivilDate {
        CivilDate::new(y, m, day).expect("valid test date")
    }

    fn cc(s: &str) -> CountryCode {
        CountryCode::new(s).expect("valid code")
    }

    fn facts() -> DocumentFacts {
        DocumentFacts {
            kind: DocumentKind::Passport,
            issuing_state: cc("D<<"),
            nationality: cc("D<<"),
            birth_date: Some(d(1990, 5, 17)),
            expiry: d(2030, 1, 1),
            pa: PaOutcome::Trusted,
            chip_auth: ChipAuthOutcome::Passed,
            chip_refusal: None,
            mrz_matches_dg1: true,
            pseudonym: Pseudonym("p-1".into()),
        }
    }

    const TODAY: (u16, u8, u8) = (2026, 11, 26);

    fn today() -> CivilDate {
        d(TODAY.0, TODAY.1, TODAY.2)
    }

    #[test]
    fn a_genuine_adult_with_a_valid_passport_is_eligible() {
        assert_eq!(
            evaluate(&EligibilityPolicy::default(), &facts(), ENTRY, today()),
            Ok(())
        );
    }

    #[test]
    fn pa_strictness() {
        let p = EligibilityPolicy::default();
        let mut f = facts();
        f.pa = PaOutcome::Failed;
        assert_eq!(evaluate(&p, &f, ENTRY, today()), Err(ReasonCode::PaFailed));
        f.pa = PaOutcome::UntrustedCsca;
        assert_eq!(
            evaluate(&p, &f, ENTRY, today()),
            Err(ReasonCode::CscaUntrusted)
        );
        let lenient = EligibilityPolicy {
            pa: PaStrictness::AllowUntrustedCsca,
            ..p
        };
        assert_eq!(evaluate(&lenient, &f, ENTRY, today()), Ok(()));
        // Lenient never means a failed PA passes.
        f.pa = PaOutcome::Failed;
        assert_eq!(
            evaluate(&lenient, &f, ENTRY, today()),
            Err(ReasonCode::PaFailed)
        );
        // A revoked signer or a stale CRL refers with its own reason, lenient or not.
        f.pa = PaOutcome::DsRevoked;
        assert_eq!(
            evaluate(&lenient, &f, ENTRY, today()),
            Err(ReasonCode::DsRevoked)
        );
        f.pa = PaOutcome::CrlStale;
        assert_eq!(
            evaluate(&lenient, &f, ENTRY, today()),
            Err(ReasonCode::CrlStale)
        );
    }

    #[test]
    fn chip_authentication() {
        let mut p = EligibilityPolicy::default();
        let mut f = facts();
        f.chip_auth = ChipAuthOutcome::Failed;
        assert_eq!(
            evaluate(&p, &f, ENTRY, today()),
            Err(ReasonCode::ChipAuthFailed)
        );
        f.chip_auth = ChipAuthOutcome::NotSupported;
        assert_eq!(evaluate(&p, &f, ENTRY, today()), Ok(()));
        p.require_chip_authentication = true;
        assert_eq!(
            evaluate(&p, &f, ENTRY, today()),
            Err(ReasonCode::ChipAuthMissing)
        );
    }

    #[test]
    fn a_chip_refusal_refers_whatever_the_policy_says() {
        let lenient = EligibilityPolicy {
            pa: PaStrictness::AllowUntrustedCsca,
            require_chip_authentication: false,
            ..EligibilityPolicy::default()
        };
        let mut f = facts();
        f.chip_refusal = Some(ReasonCode::DgUnreadable);
        assert_eq!(
            evaluate(&lenient, &f, ENTRY, today()),
            Err(ReasonCode::DgUnreadable)
        );
        f.chip_auth = ChipAuthOutcome::NotSupported;
        f.chip_refusal = Some(ReasonCode::AaFailed);
        assert_eq!(
            evaluate(&lenient, &f, ENTRY, today()),
            Err(ReasonCode::AaFailed)
        );
        // A failed PA is still reported as such first.
        f.pa = PaOutcome::Failed;
        assert_eq!(
            evaluate(&lenient, &f, ENTRY, today()),
            Err(ReasonCode::PaFailed)
        );
    }

    #[test]
    fn a_forged_document_is_reported_as_forged_before_expiry() {
        let mut f = facts();
        f.pa = PaOutcome::Failed;
        f.expiry = d(2020, 1, 1);
        assert_eq!(
            evaluate(&EligibilityPolicy::default(), &f, ENTRY, today()),
            Err(ReasonCode::PaFailed)
        );
    }

    #[test]
    fn mrz_dg1_mismatch() {
        let mut f = facts();
        f.mrz_matches_dg1 = false;
        assert_eq!(
            evaluate(&EligibilityPolicy::default(), &f, ENTRY, today()),
            Err(ReasonCode::MrzDg1Mismatch)
        );
    }

    #[test]
    fn expiry_is_inclusive_and_optional() {
        let mut p = EligibilityPolicy::default();
        let mut f = facts();
        f.expiry = today();
        assert_eq!(evaluate(&p, &f, ENTRY, today()), Ok(()));
        f.expiry = d(2026, 11, 25);
        assert_eq!(
            evaluate(&p, &f, ENTRY, today()),
            Err(ReasonCode::DocumentExpired)
        );
        p.require_valid_document = false;
        assert_eq!(evaluate(&p, &f, ENTRY, today()), Ok(()));
    }

    #[test]
    fn the_rule_table_decides_after_authenticity_and_validity() {
        let mut p = EligibilityPolicy::default();
        let mut f = facts();
        f.kind = DocumentKind::ResidencePermit;
        assert_eq!(
            decide(&p, &f, ENTRY, today()),
            PolicyDecision {
                outcome: Err(ReasonCode::IneligibleTraveller),
                rule: Some(Decider::Default),
            }
        );
        f.kind = DocumentKind::Passport;
        assert_eq!(
            decide(&p, &f, ENTRY, today()),
            PolicyDecision {
                outcome: Ok(()),
                rule: Some(Decider::Rule(2)),
            }
        );
        // Validity comes before the table: an expired document is refused as such.
        f.expiry = d(2020, 1, 1);
        assert_eq!(
            decide(&p, &f, ENTRY, today()),
            PolicyDecision {
                outcome: Err(ReasonCode::DocumentExpired),
                rule: None,
            }
        );
        // A table that refers everyone on exit lanes.
        f.expiry = d(2030, 1, 1);
        p.rules.rules.insert(
            0,
            Rule {
                name: "no-exit".into(),
                documents: None,
                nationality: None,
                issuing_state: None,
                age: AgeBand::Any,
                direction: Some(Direction::Exit),
                outcome: Outcome::Refer(ReasonCode::IneligibleNationality),
            },
        );
        assert_eq!(evaluate(&p, &f, ENTRY, today()), Ok(()));
        assert_eq!(
            evaluate(&p, &f, Direction::Exit, today()),
            Err(ReasonCode::IneligibleNationality)
        );
    }

    #[test]
    fn minimum_age_boundaries() {
        let p = EligibilityPolicy::default(); // children: 0-11
        let mut f = facts();
        f.birth_date = Some(d(2014, 11, 26)); // 12 today
        assert_eq!(evaluate(&p, &f, ENTRY, today()), Ok(()));
        f.birth_date = Some(d(2014, 11, 27)); // 12 tomorrow
        assert_eq!(evaluate(&p, &f, ENTRY, today()), Err(ReasonCode::Underage));
        f.birth_date = None;
        assert_eq!(
            evaluate(&p, &f, ENTRY, today()),
            Err(ReasonCode::AgeUnknown)
        );
    }
}
