//! Who a simulated traveller is: their nationality, the document they carry and the state
//! that issued it, and their age. A traveller mix made of these holds EU citizens,
//! third-country nationals, residence-permit holders and minors, so that the eligibility
//! rule table (`gate::eligibility`) decides for each of them as it would at a border.
//!
//! Written `"NAT/DOCUMENT/AGE"` (the state of nationality issues the document) or
//! `"NAT@ISSUER/DOCUMENT/AGE"`: `"FRA/passport/34"`, `"D/identity_card/15"`,
//! `"TUR@D/residence_permit/30"`. Codes are ICAO 9303-3 (Germany is `D`); documents are the
//! gate's document kinds; the age is completed years on the day the document is made.

use crate::factory::{DateTime, DocType, DocumentSpec};

/// The document a holder carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Carried {
    /// A TD3 passport, document code `P<`.
    Passport,
    /// A TD1 identity card, document code `I<`.
    IdentityCard,
    /// A TD1 residence permit card, document code `IR` (Council Regulation 1030/2002).
    ResidencePermit,
}

impl Carried {
    /// Its name, the gate's document-kind name.
    pub fn as_str(self) -> &'static str {
        match self {
            Carried::Passport => gate::DocumentKind::Passport.as_str(),
            Carried::IdentityCard => gate::DocumentKind::IdentityCard.as_str(),
            Carried::ResidencePermit => gate::DocumentKind::ResidencePermit.as_str(),
        }
    }
}

/// A simulated document holder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    /// Nationality (ICAO 9303-3 code as the MRZ writes it: `D`, `FRA`).
    pub nationality: String,
    /// The issuing state.
    pub issuing_state: String,
    /// The document.
    pub document: Carried,
    /// Completed years on the day the document is made.
    pub age: u16,
}

/// Why a holder's text was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HolderError {
    /// Not three parts separated by '/'.
    #[error(
        "a holder is \"NAT/DOCUMENT/AGE\" or \"NAT@ISSUER/DOCUMENT/AGE\", e.g. \"FRA/passport/34\""
    )]
    Shape,
    /// A state code that is not ICAO 9303-3 or that no test CSCA country maps to.
    #[error(
        "{0:?} is not an ICAO 9303-3 state code with a CSCA country (e.g. \"FRA\", \"D\", \"UTO\")"
    )]
    State(String),
    /// A document that is not passport, identity_card or residence_permit.
    #[error("{0:?} is not \"passport\", \"identity_card\" or \"residence_permit\"")]
    Document(String),
    /// An age that is not 0 to 120.
    #[error("{0:?} is not an age from 0 to 120 years")]
    Age(String),
}

impl Holder {
    /// The specimen's holder: a German adult with a German passport.
    pub fn specimen() -> Self {
        Self {
            nationality: "D".into(),
            issuing_state: "D".into(),
            document: Carried::Passport,
            age: 52,
        }
    }

    /// Parses `"NAT/DOCUMENT/AGE"` or `"NAT@ISSUER/DOCUMENT/AGE"`.
    pub fn parse(text: &str) -> Result<Self, HolderError> {
        let parts: Vec<&str> = text.split('/').collect();
        let [states, doc, age] = parts.as_slice() else {
            return Err(HolderError::Shape);
        };
        let (nationality, issuing_state) = match states.split_once('@') {
            Some((n, i)) => (n, i),
            None => (*states, *states),
        };
        for s in [nationality, issuing_state] {
            if document::pa::alpha3_to_alpha2(s).is_none()
                || !(1..=3).contains(&s.len())
                || !s.bytes().all(|b| b.is_ascii_uppercase())
            {
                return Err(HolderError::State(s.to_string()));
            }
        }
        let document = match *doc {
            "passport" => Carried::Passport,
            "identity_card" => Carried::IdentityCard,
            "residence_permit" => Carried::ResidencePermit,
            other => return Err(HolderError::Document(other.to_string())),
        };
        let age = match age.parse::<u16>() {
            Ok(a) if a <= 120 && age.bytes().all(|b| b.is_ascii_digit()) => a,
            _ => return Err(HolderError::Age(age.to_string())),
        };
        Ok(Self {
            nationality: nationality.into(),
            issuing_state: issuing_state.into(),
            document,
            age,
        })
    }

    /// The CSCA country (ISO 3166-1 alpha-2) of the issuing state: the test PKI that signs
    /// the document must be of it (passive authentication checks it, ICAO 9303-11 §5.1).
    pub fn pki_country(&self) -> &'static str {
        document::pa::alpha3_to_alpha2(&self.issuing_state).unwrap_or("DE")
    }

    /// Gives `spec` this holder's nationality, document and issuing state, and a birth date
    /// that makes them `age` on `today` (their birthday a month past, so the age holds for
    /// the weeks a simulation runs).
    pub fn apply(&self, spec: &mut DocumentSpec, today: DateTime) {
        let bio = &mut spec.bio;
        bio.nationality = self.nationality.clone();
        bio.issuing_state = self.issuing_state.clone();
        let (doc_type, code) = match self.document {
            Carried::Passport => (DocType::Td3, None),
            Carried::IdentityCard => (DocType::Td1, None),
            Carried::ResidencePermit => (DocType::Td1, Some("IR".to_string())),
        };
        bio.doc_type = doc_type;
        bio.document_code = code;
        let (mut year, mut month) = (today.year.saturating_sub(self.age), today.month);
        if month == 1 {
            month = 12;
            year = year.saturating_sub(1);
        } else {
            month -= 1;
        }
        // A day every month has.
        bio.birth = DateTime::date(year, month, today.day.min(28));
        // Valid for years after `today`.
        bio.expiry = DateTime::date(today.year + 5, today.month, today.day.min(28));
    }
}

impl std::fmt::Display for Holder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.nationality == self.issuing_state {
            write!(f, "{}", self.nationality)?;
        } else {
            write!(f, "{}@{}", self.nationality, self.issuing_state)?;
        }
        write!(f, "/{}/{}", self.document.as_str(), self.age)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holders_parse_and_print_back() {
        for text in [
            "FRA/passport/34",
            "D/identity_card/15",
            "TUR@D/residence_permit/30",
            "UTO/passport/0",
        ] {
            assert_eq!(Holder::parse(text).unwrap().to_string(), text);
        }
        for (bad, err) in [
            ("FRA/passport", HolderError::Shape),
            ("FRA/passport/34/x", HolderError::Shape),
            ("fra/passport/34", HolderError::State("fra".into())),
            ("XYZ/passport/34", HolderError::State("XYZ".into())),
            ("FRA@/passport/34", HolderError::State("".into())),
            ("FRA/visa/34", HolderError::Document("visa".into())),
            ("FRA/passport/-1", HolderError::Age("-1".into())),
            ("FRA/passport/121", HolderError::Age("121".into())),
            ("FRA/passport/+3", HolderError::Age("+3".into())),
        ] {
            assert_eq!(Holder::parse(bad), Err(err), "{bad}");
        }
    }

    #[test]
    fn the_document_made_carries_the_holder_as_its_mrz_says() {
        let today = DateTime::date(2026, 1, 31);
        let mut spec = DocumentSpec::specimen();
        Holder::parse("TUR@D/residence_permit/30")
            .unwrap()
            .apply(&mut spec, today);
        let mrz = spec.bio.mrz();
        let lines: Vec<&str> = mrz.lines().collect();
        assert_eq!(lines.len(), 3, "TD1");
        assert!(lines[0].starts_with("IRD<<"), "{mrz}");
        // Born 28 December 1995: 30 on 31 January 2026.
        assert!(lines[1].starts_with("951228"), "{mrz}");
        assert_eq!(&lines[1][15..18], "TUR", "{mrz}");
        let m = document::mrz::Mrz::parse_strict(&lines).expect("valid check digits");
        assert_eq!(m.document_code(), "IR");

        let mut spec = DocumentSpec::specimen();
        Holder::parse("USA/passport/16")
            .unwrap()
            .apply(&mut spec, today);
        let mrz = spec.bio.mrz();
        assert!(mrz.starts_with("P<USA"), "{mrz}");
        assert_eq!(
            Holder::parse("USA/passport/16").unwrap().pki_country(),
            "US"
        );
    }
}
