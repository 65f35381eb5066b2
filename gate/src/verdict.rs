//! The gate's own vocabulary for the results of background jobs.
//!
//! The daemon translates the `document` and `vision` crates' outputs into these values.
//! Verdicts are values, not errors: a failed PA or a face mismatch is an outcome.
//! None of them hold biometric data or the document number: only facts needed for the
//! decision and a keyed pseudonym for the audit trail.

use std::fmt;

use crate::date::CivilDate;
use crate::reason::ReasonCode;

/// Identifies one background job (chip read, border database query, face match, PAD).
///
/// Tickets are issued by the gate, strictly increasing over its lifetime. A result that
/// carries any ticket other than the one the current state waits for is dropped, so a
/// late result can never act on the next traveller's passage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ticket(pub u64);

impl fmt::Display for Ticket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

crate::named_enum! {
    serde;
    /// A door of the lane.
    pub enum DoorId {
        /// The entry door (two-step layout only): between zone A and the mantrap.
        Entry => "entry",
        /// The exit door: between the capture position and zone C, into the country.
        Exit => "exit",
    }
}

crate::named_enum! {
    /// ICAO Doc 9303 document categories, from the first character of the document code.
    pub enum DocumentKind {
        /// `P`: passport (TD3).
        Passport => "passport",
        /// `I`: identity card (TD1/TD2).
        IdentityCard => "identity_card",
        /// `A` or `C` and national residence permits.
        ResidencePermit => "residence_permit",
        /// Anything else (visa, crew member certificate, …).
        Other => "other",
    }
}

/// Why a [`CountryCode`] was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a country code is three letters A-Z or '<' (ICAO 9303-3 §5)")]
pub struct CountryCodeError;

/// A three-letter ICAO country code (`DEU`, `FRA`, `D<<`, `UTO`, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CountryCode([u8; 3]);

impl CountryCode {
    /// Parses a code of exactly three characters from `A`–`Z` and `<`.
    pub fn new(code: &str) -> Result<Self, CountryCodeError> {
        let bytes: [u8; 3] = code.as_bytes().try_into().map_err(|_| CountryCodeError)?;
        if bytes.iter().all(|b| b.is_ascii_uppercase() || *b == b'<') {
            Ok(Self(bytes))
        } else {
            Err(CountryCodeError)
        }
    }

    /// The code as text.
    pub fn as_str(&self) -> &str {
        // Only ASCII is ever stored, so this cannot fail; fall back to "???" anyway.
        std::str::from_utf8(&self.0).unwrap_or("???")
    }
}

impl fmt::Display for CountryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

crate::named_enum! {
    /// The outcome of passive authentication (ICAO 9303-11 §5.1).
    pub enum PaOutcome {
        /// SOD signature and hashes verify, and the document signer chains to a trusted CSCA.
        Trusted => "trusted",
        /// SOD signature and hashes verify, but no trusted CSCA was found for the signer.
        UntrustedCsca => "untrusted_csca",
        /// The SOD signature or a data-group hash does not verify.
        Failed => "failed",
        /// The document signer is on its CSCA's CRL (ICAO 9303-12 §7.1.4).
        DsRevoked => "ds_revoked",
        /// The CRL of the document signer's CSCA is past nextUpdate plus the configured grace
        /// and the gate is configured to refer such documents.
        CrlStale => "crl_stale",
    }
}

crate::named_enum! {
    /// The outcome of active authentication or chip authentication (ICAO 9303-11 §6.1, §6.2).
    pub enum ChipAuthOutcome {
        /// AA or CA succeeded: the chip is not a copy.
        Passed => "passed",
        /// The chip supports neither.
        NotSupported => "not_supported",
        /// AA or CA was attempted and failed.
        Failed => "failed",
    }
}

/// A keyed pseudonym of the document (e.g. HMAC of issuing state + document number),
/// computed by the daemon. The audit trail records this instead of the number.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Pseudonym(pub String);

impl fmt::Display for Pseudonym {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What the chip read established about the document and its holder: only what the
/// eligibility policy needs, no name, no number, no photo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentFacts {
    /// Document category.
    pub kind: DocumentKind,
    /// Issuing state or organisation.
    pub issuing_state: CountryCode,
    /// Holder's nationality.
    pub nationality: CountryCode,
    /// Holder's birth date; `None` when the MRZ leaves it (partly) unknown.
    pub birth_date: Option<CivilDate>,
    /// Date of expiry.
    pub expiry: CivilDate,
    /// Passive authentication.
    pub pa: PaOutcome,
    /// Active or chip authentication.
    pub chip_auth: ChipAuthOutcome,
    /// Why the chip's signed evidence refers the traveller whatever the policy says (decided
    /// by `document::authenticity`): a data group the SOD lists and the chip hides, a failed
    /// or missing AA/CA/PACE-CAM the signed data call for, an invalid EF.CardSecurity. One of
    /// the chip reason codes (`dg_unreadable` … `card_security_invalid`); `None` when nothing
    /// refers.
    pub chip_refusal: Option<ReasonCode>,
    /// Whether the optically read MRZ (or CAN-derived data) matches DG1.
    pub mrz_matches_dg1: bool,
    /// Keyed pseudonym of the document for the audit trail.
    pub pseudonym: Pseudonym,
}

/// The result of a chip-read job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DocumentVerdict {
    /// The chip was read; the facts still go through the eligibility policy.
    Read(DocumentFacts),
    /// The read failed with a reason (e.g. [`ReasonCode::ChipReadFailed`] is retried while
    /// attempts remain; anything else refers at once).
    Refused(ReasonCode),
}

/// The result of the border database step: the border databases (document and person)
/// and, at an entry lane, the EES step for third-country nationals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BorderDbResult {
    /// No record, and the EES step (if any) admits.
    Clear,
    /// A border database holds the document or the person: the traveller is referred
    /// without being told why.
    Hit,
    /// A border database could not be queried.
    Unavailable,
    /// The EES step refers the traveller with this reason (`ees_required`, `ees_overstay`,
    /// `ees_unavailable`).
    Refused(ReasonCode),
}

/// The result of one face capture and 1:1 match attempt.
///
/// Scores are similarity scores where higher means more similar. The gate re-checks
/// `score >= threshold` for a `Match` (a NaN or inconsistent match is not an accept).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FaceVerdict {
    /// The live face matches the chip photo.
    Match {
        /// Similarity score.
        score: f32,
        /// Decision threshold in force.
        threshold: f32,
    },
    /// The live face does not match.
    NoMatch {
        /// Similarity score.
        score: f32,
        /// Decision threshold in force.
        threshold: f32,
    },
    /// No face in the capture.
    NoFace,
    /// A face, too poor to compare.
    PoorQuality {
        /// Quality score.
        quality: f32,
        /// Minimum quality required.
        threshold: f32,
    },
    /// More than one face in the capture.
    MultipleFaces,
}

impl FaceVerdict {
    /// `None` for a genuine accept, otherwise the reason of the failed attempt.
    pub fn failure(&self) -> Option<ReasonCode> {
        match *self {
            // `>=` is false for NaN, so a NaN score never accepts.
            Self::Match { score, threshold } if score >= threshold => None,
            Self::Match { .. } | Self::NoMatch { .. } => Some(ReasonCode::FaceMismatch),
            Self::NoFace => Some(ReasonCode::NoFace),
            Self::PoorQuality { .. } => Some(ReasonCode::PoorQuality),
            Self::MultipleFaces => Some(ReasonCode::MultipleFaces),
        }
    }
}

/// The result of a presentation attack detection (liveness) job.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PadVerdict {
    /// A live presentation.
    Live {
        /// Detector score (higher is more live).
        score: f32,
    },
    /// An attack presentation (photo, screen, mask): refers at once.
    Attack {
        /// Detector score.
        score: f32,
    },
    /// The detector could not decide; counts as a failed attempt.
    Inconclusive,
    /// The detector did not check (none installed, or it failed).
    NotChecked,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn country_codes_are_three_icao_characters() {
        assert_eq!(
            CountryCode::new("DEU").map(|c| c.to_string()),
            Ok("DEU".into())
        );
        assert!(CountryCode::new("D<<").is_ok());
        // Doc 9303-3 §5: upper-case A–Z and the filler only, exactly three characters.
        for bad in ["deu", "DEUT", "DÉ", "", "DE1", "D E"] {
            assert_eq!(CountryCode::new(bad), Err(CountryCodeError), "{bad:?}");
        }
    }

    #[test]
    fn a_match_must_reach_its_threshold() {
        let ok = FaceVerdict::Match {
            score: 0.6,
            threshold: 0.5,
        };
        let inconsistent = FaceVerdict::Match {
            score: 0.4,
            threshold: 0.5,
        };
        let nan = FaceVerdict::Match {
            score: f32::NAN,
            threshold: 0.5,
        };
        assert_eq!(ok.failure(), None);
        assert_eq!(inconsistent.failure(), Some(ReasonCode::FaceMismatch));
        assert_eq!(nan.failure(), Some(ReasonCode::FaceMismatch));
        assert_eq!(FaceVerdict::NoFace.failure(), Some(ReasonCode::NoFace));
    }
}
