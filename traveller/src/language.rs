//! The screen's language for a document: from its three-letter ICAO code (Doc 9303-3 §5,
//! with `D` for Germany), the language most travellers holding it read. A traveller can
//! always tap another; a state not listed here gets the fallback.

/// ICAO codes (fillers removed) and the language the screen shows for them.
const BY_STATE: &[(&str, &str)] = &[
    // German
    ("D", "de"),
    ("AUT", "de"),
    ("LIE", "de"),
    // French
    ("FRA", "fr"),
    ("MCO", "fr"),
    ("SEN", "fr"),
    ("CIV", "fr"),
    ("MLI", "fr"),
    ("BFA", "fr"),
    ("NER", "fr"),
    ("GIN", "fr"),
    ("BEN", "fr"),
    ("TGO", "fr"),
    ("GAB", "fr"),
    ("COD", "fr"),
    ("COG", "fr"),
    ("CMR", "fr"),
    ("MDG", "fr"),
    ("HTI", "fr"),
    // Spanish
    ("ESP", "es"),
    ("MEX", "es"),
    ("ARG", "es"),
    ("COL", "es"),
    ("CHL", "es"),
    ("PER", "es"),
    ("VEN", "es"),
    ("ECU", "es"),
    ("BOL", "es"),
    ("PRY", "es"),
    ("URY", "es"),
    ("CRI", "es"),
    ("PAN", "es"),
    ("GTM", "es"),
    ("HND", "es"),
    ("SLV", "es"),
    ("NIC", "es"),
    ("CUB", "es"),
    ("DOM", "es"),
    // Arabic
    ("SAU", "ar"),
    ("ARE", "ar"),
    ("EGY", "ar"),
    ("JOR", "ar"),
    ("KWT", "ar"),
    ("QAT", "ar"),
    ("BHR", "ar"),
    ("OMN", "ar"),
    ("IRQ", "ar"),
    ("SYR", "ar"),
    ("LBN", "ar"),
    ("LBY", "ar"),
    ("DZA", "ar"),
    ("MAR", "ar"),
    ("TUN", "ar"),
    ("YEM", "ar"),
    ("SDN", "ar"),
    ("PSE", "ar"),
    ("MRT", "ar"),
    // Chinese
    ("CHN", "zh"),
    ("TWN", "zh"),
    ("HKG", "zh"),
    ("MAC", "zh"),
    ("SGP", "zh"),
    // English
    ("GBR", "en"),
    ("GBD", "en"),
    ("GBN", "en"),
    ("GBO", "en"),
    ("GBP", "en"),
    ("GBS", "en"),
    ("IRL", "en"),
    ("USA", "en"),
    ("CAN", "en"),
    ("AUS", "en"),
    ("NZL", "en"),
    ("UTO", "en"),
];

/// The language for a document issued by `state` (an ICAO code, fillers allowed), if the
/// table has one.
pub fn for_state(state: &str) -> Option<&'static str> {
    let code = state.trim_end_matches('<');
    BY_STATE.iter().find(|(s, _)| *s == code).map(|(_, l)| *l)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_map_to_their_language() {
        assert_eq!(for_state("D<<"), Some("de"));
        assert_eq!(for_state("D"), Some("de"));
        assert_eq!(for_state("SAU"), Some("ar"));
        assert_eq!(for_state("CHN"), Some("zh"));
        assert_eq!(for_state("UTO"), Some("en"));
        assert_eq!(for_state("XXA"), None);
        let mut seen = std::collections::HashSet::new();
        assert!(
            BY_STATE.iter().all(|(s, _)| seen.insert(*s)),
            "a state listed twice"
        );
    }
}
