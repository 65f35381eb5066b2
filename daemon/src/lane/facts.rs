//! What the eligibility policy reads from a machine-readable zone: the document kind, the
//! issuing state, the nationality and the dates. One mapping for the chip-read job (from
//! DG1) and `egate policy explain` (from an MRZ file), so the two cannot disagree.

use document::mrz::{DateField, Mrz};
use gate::CivilDate;

/// The facts of an MRZ the rule table and the validity check look at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MrzFacts {
    /// Kind, states and birth date.
    pub holder: gate::Holder,
    /// Date of expiry.
    pub expiry: CivilDate,
}

/// The facts of `m`, its two-digit years read as of `this_year` (ICAO 9303-3 §4.6 leaves the
/// century to the reader). `None` when a country code or the expiry date is unusable; a
/// birth date the MRZ leaves (partly) unknown is `birth_date: None`.
pub fn from_mrz(m: &Mrz, this_year: u16) -> Option<MrzFacts> {
    Some(MrzFacts {
        holder: gate::Holder {
            kind: document_kind(m.document_code()),
            issuing_state: country(m.issuing_state())?,
            nationality: country(m.nationality())?,
            birth_date: yymmdd(m.birth_date(), DateField::Birth, this_year),
        },
        expiry: yymmdd(m.expiry_date(), DateField::Expiry, this_year)?,
    })
}

/// The kind of document from its MRZ document code (ICAO 9303-4 §4.2.2 and 9303-5 §4.2.2:
/// the first letter is the type, the second is at the issuer's discretion; `R` as second
/// letter marks a residence permit in EU practice, Council Regulation 1030/2002 as amended).
pub fn document_kind(code: &str) -> gate::DocumentKind {
    use gate::DocumentKind as K;
    let mut c = code.chars();
    match (c.next(), c.next()) {
        (Some('P'), _) => K::Passport,
        (Some('I' | 'A' | 'C'), Some('R')) => K::ResidencePermit,
        // Crew member certificates (`AC`) are not identity cards.
        (Some('A'), Some('C')) => K::Other,
        (Some('I'), _) => K::IdentityCard,
        (Some('A' | 'C'), _) => K::ResidencePermit,
        _ => K::Other,
    }
}

/// An MRZ country code with its fillers put back (`D` is Germany's `D<<`, ICAO 9303-3 §5).
pub fn country(code: &str) -> Option<gate::CountryCode> {
    gate::CountryCode::new(&format!("{code:<<3}")).ok()
}

/// An MRZ date (YYMMDD) as a civil date, its century as of `this_year`.
pub fn yymmdd(s: &str, field: DateField, this_year: u16) -> Option<CivilDate> {
    let (year, month, day) = document::mrz::mrz_date(s, field, this_year)?;
    CivilDate::new(year, month, day).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn document_kinds_come_from_the_document_code() {
        use gate::DocumentKind as K;
        for (code, kind) in [
            ("P<", K::Passport),
            ("PD", K::Passport),
            ("I<", K::IdentityCard),
            ("ID", K::IdentityCard),
            ("IR", K::ResidencePermit),
            ("AR", K::ResidencePermit),
            ("AC", K::Other),
            ("V<", K::Other),
            ("", K::Other),
        ] {
            assert_eq!(document_kind(code), kind, "{code}");
        }
    }

    #[test]
    fn country_codes_get_their_fillers_back() {
        assert_eq!(country("D").map(|c| c.to_string()), Some("D<<".into()));
        assert_eq!(country("UTO").map(|c| c.to_string()), Some("UTO".into()));
        assert_eq!(country("d1"), None);
    }

    #[test]
    fn mrz_dates_get_their_century() {
        let b = |s| yymmdd(s, DateField::Birth, 2026);
        let e = |s| yymmdd(s, DateField::Expiry, 2026);
        assert_eq!(b("740812"), CivilDate::new(1974, 8, 12).ok());
        assert_eq!(b("120415"), CivilDate::new(2012, 4, 15).ok());
        assert_eq!(e("340415"), CivilDate::new(2034, 4, 15).ok());
        assert_eq!(e("34041"), None);
        assert_eq!(e("341345"), None);
        // ICAO 9303-3 §4.6: an unknown day or month is filled with '<'.
        assert_eq!(b("7408<<"), None);
    }

    #[test]
    fn the_icao_specimen_passport_gives_its_facts() {
        // ICAO 9303-4 Appendix A (TD3 specimen of Utopia).
        let m = Mrz::parse_strict(&[
            "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
            "L898902C36UTO7408122F1204159ZE184226B<<<<<10",
        ])
        .unwrap();
        let f = from_mrz(&m, 2026).unwrap();
        assert_eq!(f.holder.kind, gate::DocumentKind::Passport);
        assert_eq!(f.holder.nationality.as_str(), "UTO");
        assert_eq!(f.holder.birth_date, CivilDate::new(1974, 8, 12).ok());
        assert_eq!(f.expiry, CivilDate::new(2012, 4, 15).unwrap());
    }
}
