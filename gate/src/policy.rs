//! The eligibility policy: a pure function from document facts and today's date to a
//! decision. No state, no time, no I/O: tested on its own.

use crate::date::CivilDate;
use crate::reason::ReasonCode;
use crate::verdict::{ChipAuthOutcome, CountryCode, DocumentFacts, DocumentKind, PaOutcome};

/// How strict passive authentication must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PaStrictness {
    /// The document signer must chain to a trusted CSCA.
    RequireTrustedCsca,
    /// Signature and hashes must verify; an unknown CSCA is tolerated (test lanes, or
    /// states whose CSCA is not yet in the master list).
    AllowUntrustedCsca,
}

/// A list that either allows everything or only the listed values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Allow<T> {
    /// Every value is allowed.
    Any,
    /// Only these values are allowed.
    Only(Vec<T>),
}

impl<T: PartialEq> Allow<T> {
    /// Whether `value` is allowed.
    pub fn allows(&self, value: &T) -> bool {
        match self {
            Self::Any => true,
            Self::Only(list) => list.contains(value),
        }
    }
}

/// Whether the borderdb is queried.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BorderDbMode {
    /// No borderdb query.
    Off,
    /// Every eligible traveller is checked; an unavailable list refers.
    Required,
}

/// Who may use the gate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EligibilityPolicy {
    /// Allowed document kinds.
    pub document_kinds: Vec<DocumentKind>,
    /// Allowed issuing states.
    pub issuing_states: Allow<CountryCode>,
    /// Allowed nationalities.
    pub nationalities: Allow<CountryCode>,
    /// Minimum age in completed years (0: none).
    pub minimum_age: u8,
    /// Refuse documents past their expiry date.
    pub require_valid_document: bool,
    /// How strict PA must be.
    pub pa: PaStrictness,
    /// Require AA or CA to have passed (a chip without either is refused). It decides only
    /// for chips whose signed data carry no AA or CA: one whose signed data do and that
    /// fails them is refused whatever this says ([`DocumentFacts::chip_refusal`]).
    pub require_chip_authentication: bool,
    /// BorderDb query.
    pub borderdb: BorderDbMode,
}

impl Default for EligibilityPolicy {
    /// Passports and ID cards of any state, minimum age 12 (EasyPASS), valid documents,
    /// a trusted CSCA, chip authentication if the chip has it, borderdb required.
    fn default() -> Self {
        Self {
            document_kinds: vec![DocumentKind::Passport, DocumentKind::IdentityCard],
            issuing_states: Allow::Any,
            nationalities: Allow::Any,
            minimum_age: 12,
            require_valid_document: true,
            pa: PaStrictness::RequireTrustedCsca,
            require_chip_authentication: false,
            borderdb: BorderDbMode::Required,
        }
    }
}

/// Decides whether a document's holder may use the gate on `today`.
///
/// Checks run from the document's authenticity to the holder's eligibility, and the first
/// failure is the reason: a forged document is reported as forged even if it is also
/// expired.
pub fn evaluate(
    policy: &EligibilityPolicy,
    facts: &DocumentFacts,
    today: CivilDate,
) -> Result<(), ReasonCode> {
    // Authenticity first (ICAO 9303-11 §5: PA; §6: AA/CA).
    match (facts.pa, policy.pa) {
        (PaOutcome::Failed, _) => return Err(ReasonCode::PaFailed),
        (PaOutcome::DsRevoked, _) => return Err(ReasonCode::DsRevoked),
        (PaOutcome::CrlStale, _) => return Err(ReasonCode::CrlStale),
        (PaOutcome::UntrustedCsca, PaStrictness::RequireTrustedCsca) => {
            return Err(ReasonCode::CscaUntrusted)
        }
        _ => {}
    }
    // The chip's signed data call for a protection it did not give (ICAO 9303-11 §6; issue
    // #13): refers whatever the policy allows.
    if let Some(reason) = facts.chip_refusal {
        return Err(reason);
    }
    match facts.chip_auth {
        ChipAuthOutcome::Failed => return Err(ReasonCode::ChipAuthFailed),
        ChipAuthOutcome::NotSupported if policy.require_chip_authentication => {
            return Err(ReasonCode::ChipAuthMissing)
        }
        _ => {}
    }
    if !facts.mrz_matches_dg1 {
        return Err(ReasonCode::MrzDg1Mismatch);
    }
    // Validity: a document is valid through its expiry date.
    if policy.require_valid_document && today > facts.expiry {
        return Err(ReasonCode::DocumentExpired);
    }
    if !policy.document_kinds.contains(&facts.kind) {
        return Err(ReasonCode::IneligibleDocument);
    }
    if !policy.issuing_states.allows(&facts.issuing_state) {
        return Err(ReasonCode::IneligibleIssuingState);
    }
    if !policy.nationalities.allows(&facts.nationality) {
        return Err(ReasonCode::IneligibleNationality);
    }
    if policy.minimum_age > 0 {
        match facts.birth_date {
            None => return Err(ReasonCode::AgeUnknown),
            Some(born) if born.age_on(today) < u16::from(policy.minimum_age) => {
                return Err(ReasonCode::Underage)
            }
            Some(_) => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verdict::Pseudonym;

    fn d(y: u16, m: u8, day: u8) -> CivilDate {
        CivilDate::new(y, m, day).expect("valid test date")
    }

    fn cc(s: &str) -> CountryCode {
        CountryCode::new(s).expect("valid code")
    }

    fn facts() -> DocumentFacts {
        DocumentFacts {
            kind: DocumentKind::Passport,
            issuing_state: cc("DEU"),
            nationality: cc("DEU"),
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
            evaluate(&EligibilityPolicy::default(), &facts(), today()),
            Ok(())
        );
    }

    #[test]
    fn pa_strictness() {
        let p = EligibilityPolicy::default();
        let mut f = facts();
        f.pa = PaOutcome::Failed;
        assert_eq!(evaluate(&p, &f, today()), Err(ReasonCode::PaFailed));
        f.pa = PaOutcome::UntrustedCsca;
        assert_eq!(evaluate(&p, &f, today()), Err(ReasonCode::CscaUntrusted));
        let lenient = EligibilityPolicy {
            pa: PaStrictness::AllowUntrustedCsca,
            ..p
        };
        assert_eq!(evaluate(&lenient, &f, today()), Ok(()));
        // Lenient never means a failed PA passes.
        f.pa = PaOutcome::Failed;
        assert_eq!(evaluate(&lenient, &f, today()), Err(ReasonCode::PaFailed));
        // A revoked signer or a stale CRL refers with its own reason, lenient or not.
        f.pa = PaOutcome::DsRevoked;
        assert_eq!(evaluate(&lenient, &f, today()), Err(ReasonCode::DsRevoked));
        f.pa = PaOutcome::CrlStale;
        assert_eq!(evaluate(&lenient, &f, today()), Err(ReasonCode::CrlStale));
    }

    #[test]
    fn chip_authentication() {
        let mut p = EligibilityPolicy::default();
        let mut f = facts();
        f.chip_auth = ChipAuthOutcome::Failed;
        assert_eq!(evaluate(&p, &f, today()), Err(ReasonCode::ChipAuthFailed));
        f.chip_auth = ChipAuthOutcome::NotSupported;
        assert_eq!(evaluate(&p, &f, today()), Ok(()));
        p.require_chip_authentication = true;
        assert_eq!(evaluate(&p, &f, today()), Err(ReasonCode::ChipAuthMissing));
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
            evaluate(&lenient, &f, today()),
            Err(ReasonCode::DgUnreadable)
        );
        f.chip_auth = ChipAuthOutcome::NotSupported;
        f.chip_refusal = Some(ReasonCode::AaFailed);
        assert_eq!(evaluate(&lenient, &f, today()), Err(ReasonCode::AaFailed));
        // A failed PA is still reported as such first.
        f.pa = PaOutcome::Failed;
        assert_eq!(evaluate(&lenient, &f, today()), Err(ReasonCode::PaFailed));
    }

    #[test]
    fn a_forged_document_is_reported_as_forged_before_expiry() {
        let mut f = facts();
        f.pa = PaOutcome::Failed;
        f.expiry = d(2020, 1, 1);
        assert_eq!(
            evaluate(&EligibilityPolicy::default(), &f, today()),
            Err(ReasonCode::PaFailed)
        );
    }

    #[test]
    fn mrz_dg1_mismatch() {
        let mut f = facts();
        f.mrz_matches_dg1 = false;
        assert_eq!(
            evaluate(&EligibilityPolicy::default(), &f, today()),
            Err(ReasonCode::MrzDg1Mismatch)
        );
    }

    #[test]
    fn expiry_is_inclusive_and_optional() {
        let mut p = EligibilityPolicy::default();
        let mut f = facts();
        f.expiry = today();
        assert_eq!(evaluate(&p, &f, today()), Ok(()));
        f.expiry = d(2026, 11, 25);
        assert_eq!(evaluate(&p, &f, today()), Err(ReasonCode::DocumentExpired));
        p.require_valid_document = false;
        assert_eq!(evaluate(&p, &f, today()), Ok(()));
    }

    #[test]
    fn document_kind_state_and_nationality_lists() {
        let mut p = EligibilityPolicy::default();
        let mut f = facts();
        f.kind = DocumentKind::ResidencePermit;
        assert_eq!(
            evaluate(&p, &f, today()),
            Err(ReasonCode::IneligibleDocument)
        );
        f.kind = DocumentKind::IdentityCard;
        p.issuing_states = Allow::Only(vec![cc("FRA"), cc("AUT")]);
        assert_eq!(
            evaluate(&p, &f, today()),
            Err(ReasonCode::IneligibleIssuingState)
        );
        p.issuing_states = Allow::Only(vec![cc("DEU")]);
        p.nationalities = Allow::Only(vec![cc("FRA")]);
        assert_eq!(
            evaluate(&p, &f, today()),
            Err(ReasonCode::IneligibleNationality)
        );
        p.nationalities = Allow::Only(vec![cc("FRA"), cc("DEU")]);
        assert_eq!(evaluate(&p, &f, today()), Ok(()));
    }

    #[test]
    fn minimum_age_boundaries() {
        let p = EligibilityPolicy::default(); // 12
        let mut f = facts();
        f.birth_date = Some(d(2014, 11, 26)); // 12 today
        assert_eq!(evaluate(&p, &f, today()), Ok(()));
        f.birth_date = Some(d(2014, 11, 27)); // 12 tomorrow
        assert_eq!(evaluate(&p, &f, today()), Err(ReasonCode::Underage));
        f.birth_date = None;
        assert_eq!(evaluate(&p, &f, today()), Err(ReasonCode::AgeUnknown));
        let no_minimum = EligibilityPolicy {
            minimum_age: 0,
            ..p
        };
        assert_eq!(evaluate(&no_minimum, &f, today()), Ok(()));
    }
}
