//! Issuing-state codes: the three-letter codes of ICAO 9303-3 §5 in the MRZ, and the ISO
//! 3166-1 alpha-2 countryName of the CSCA and Document Signer certificates that sign for them
//! (ICAO 9303-12 §7.1.1), through a [`CountryTable`] that configuration can extend.

use std::collections::BTreeMap;

/// What an ICAO 9303-3 code stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CodeKind {
    /// A state or territory: ISO 3166-1 alpha-3, `D` for Germany, the British codes
    /// `GBD`/`GBN`/`GBO`/`GBP`/`GBS`, `RKS` (Kosovo).
    State,
    /// An organisation that issues travel documents: `EUE`, `UNO`, `UNA`, `UNK` and the
    /// `X`-series (`XBA`, `XCC`, `XCE`, `XCO`, `XDC`, `XEC`, `XES`, `XIM`, `XMP`, `XOM`, `XPO`).
    Organisation,
    /// A nationality only, never an issuer (`XXA` stateless, `XXB`/`XXC` refugee, `XXX`
    /// unspecified).
    NationalityOnly,
    /// The specimen state `UTO` (Utopia) of ICAO's specimen documents.
    Specimen,
}

/// ICAO 9303-3 §5 codes that are not ISO 3166-1 alpha-3, with their kind.
const ICAO_CODES: [(&str, CodeKind); 23] = [
    ("D", CodeKind::State),
    ("GBD", CodeKind::State),
    ("GBN", CodeKind::State),
    ("GBO", CodeKind::State),
    ("GBP", CodeKind::State),
    ("GBS", CodeKind::State),
    ("RKS", CodeKind::State),
    ("EUE", CodeKind::Organisation),
    ("UNO", CodeKind::Organisation),
    ("UNA", CodeKind::Organisation),
    ("UNK", CodeKind::Organisation),
    ("XBA", CodeKind::Organisation),
    ("XCC", CodeKind::Organisation),
    ("XCE", CodeKind::Organisation),
    ("XCO", CodeKind::Organisation),
    ("XDC", CodeKind::Organisation),
    ("XEC", CodeKind::Organisation),
    ("XES", CodeKind::Organisation),
    ("XIM", CodeKind::Organisation),
    ("XMP", CodeKind::Organisation),
    ("XOM", CodeKind::Organisation),
    ("XPO", CodeKind::Organisation),
    ("UTO", CodeKind::Specimen),
];

/// Nationality-only codes (ICAO 9303-3 §5): never an issuing state.
const NATIONALITY_ONLY: [&str; 4] = ["XXA", "XXB", "XXC", "XXX"];

/// The kind of an ICAO 9303-3 code, `None` when the code is not one (trailing filler `<`
/// ignored).
pub fn code_kind(code: &str) -> Option<CodeKind> {
    let code = code.trim_end_matches('<');
    if let Some((_, k)) = ICAO_CODES.iter().find(|(c, _)| *c == code) {
        return Some(*k);
    }
    if NATIONALITY_ONLY.contains(&code) {
        return Some(CodeKind::NationalityOnly);
    }
    standard_country(code).map(|_| CodeKind::State)
}

/// The CSCA country a code maps to by default: ISO 3166-1 alpha-3 → alpha-2, `D` → `DE`,
/// the British codes → `GB`, `RKS` → `XK`, `EUE` → `EU`, the United Nations codes → `UN`,
/// `UTO` → `UT` (the country of specimen test CSCAs). The other organisations and the
/// nationality-only codes have none; a [`CountryTable`] can add them.
pub fn alpha3_to_alpha2(code: &str) -> Option<&'static str> {
    standard_country(code.trim_end_matches('<'))
}

fn standard_country(code: &str) -> Option<&'static str> {
    ALPHA3_TO_ALPHA2
        .split(' ')
        .filter_map(|p| p.split_once(':'))
        .find(|(a3, _)| *a3 == code)
        .map(|(_, a2)| a2)
}

/// A code that cannot be added to a [`CountryTable`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CountryTableError {
    /// The issuing code is not 1 to 3 capital letters.
    #[error("issuing code {0:?} is not 1 to 3 capital letters")]
    Code(String),
    /// The certificate country is not 2 capital letters (ISO 3166-1 alpha-2 form).
    #[error("CSCA country {0:?} for {1} is not 2 capital letters")]
    Country(String, String),
}

/// Issuing code → CSCA country: the defaults of [`alpha3_to_alpha2`] plus entries added by
/// configuration (an organisation's CSCA country, a national practice), which win over the
/// defaults.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CountryTable {
    extra: BTreeMap<String, String>,
}

/// What the table says about an issuing code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup<'a> {
    /// The CSCA country that signs for this code.
    Country(&'a str),
    /// A 9303-3 code the table maps to no CSCA country (an organisation nobody configured,
    /// a nationality-only code).
    NoCountry(CodeKind),
    /// Not a 9303-3 code.
    Unknown,
}

impl CountryTable {
    /// The defaults only.
    pub fn standard() -> Self {
        Self::default()
    }

    /// Adds (or overrides) the CSCA country of an issuing code.
    pub fn insert(&mut self, code: &str, country: &str) -> Result<(), CountryTableError> {
        let upper = |s: &str| s.bytes().all(|b| b.is_ascii_uppercase());
        if code.is_empty() || code.len() > 3 || !upper(code) {
            return Err(CountryTableError::Code(code.to_string()));
        }
        if country.len() != 2 || !upper(country) {
            return Err(CountryTableError::Country(
                country.to_string(),
                code.to_string(),
            ));
        }
        self.extra.insert(code.to_string(), country.to_string());
        Ok(())
    }

    /// The CSCA country of an issuing code (trailing filler `<` ignored).
    pub fn lookup(&self, code: &str) -> Lookup<'_> {
        let code = code.trim_end_matches('<');
        if let Some(c) = self.extra.get(code) {
            return Lookup::Country(c);
        }
        if let Some(c) = standard_country(code) {
            return Lookup::Country(c);
        }
        match code_kind(code) {
            Some(k) => Lookup::NoCountry(k),
            None => Lookup::Unknown,
        }
    }
}

// ISO 3166-1 (from the Debian iso-codes table) plus the ICAO 9303-3 codes D, GBD, GBN,
// GBO, GBP, GBS, RKS, EUE, UNO, UNA, UNK, and the specimen code UTO.
const ALPHA3_TO_ALPHA2: &str = concat!(
    "ABW:AW AFG:AF AGO:AO AIA:AI ALA:AX ALB:AL AND:AD ARE:AE ARG:AR ARM:AM ASM:AS ATA:AQ ATF:TF ",
    "ATG:AG AUS:AU AUT:AT AZE:AZ BDI:BI BEL:BE BEN:BJ BES:BQ BFA:BF BGD:BD BGR:BG BHR:BH BHS:BS ",
    "BIH:BA BLM:BL BLR:BY BLZ:BZ BMU:BM BOL:BO BRA:BR BRB:BB BRN:BN BTN:BT BVT:BV BWA:BW CAF:CF ",
    "CAN:CA CCK:CC CHE:CH CHL:CL CHN:CN CIV:CI CMR:CM COD:CD COG:CG COK:CK COL:CO COM:KM CPV:CV ",
    "CRI:CR CUB:CU CUW:CW CXR:CX CYM:KY CYP:CY CZE:CZ D:DE DEU:DE DJI:DJ DMA:DM DNK:DK DOM:DO DZA:DZ ",
    "ECU:EC EGY:EG ERI:ER ESH:EH ESP:ES EST:EE ETH:ET EUE:EU FIN:FI FJI:FJ FLK:FK FRA:FR FRO:FO ",
    "FSM:FM GAB:GA GBD:GB GBN:GB GBO:GB GBP:GB GBR:GB GBS:GB GEO:GE GGY:GG GHA:GH GIB:GI GIN:GN ",
    "GLP:GP GMB:GM GNB:GW GNQ:GQ GRC:GR GRD:GD GRL:GL GTM:GT GUF:GF GUM:GU GUY:GY HKG:HK HMD:HM ",
    "HND:HN HRV:HR HTI:HT HUN:HU IDN:ID IMN:IM IND:IN IOT:IO IRL:IE IRN:IR IRQ:IQ ISL:IS ISR:IL ",
    "ITA:IT JAM:JM JEY:JE JOR:JO JPN:JP KAZ:KZ KEN:KE KGZ:KG KHM:KH KIR:KI KNA:KN KOR:KR KWT:KW ",
    "LAO:LA LBN:LB LBR:LR LBY:LY LCA:LC LIE:LI LKA:LK LSO:LS LTU:LT LUX:LU LVA:LV MAC:MO MAF:MF ",
    "MAR:MA MCO:MC MDA:MD MDG:MG MDV:MV MEX:MX MHL:MH MKD:MK MLI:ML MLT:MT MMR:MM MNE:ME MNG:MN ",
    "MNP:MP MOZ:MZ MRT:MR MSR:MS MTQ:MQ MUS:MU MWI:MW MYS:MY MYT:YT NAM:NA NCL:NC NER:NE NFK:NF ",
    "NGA:NG NIC:NI NIU:NU NLD:NL NOR:NO NPL:NP NRU:NR NZL:NZ OMN:OM PAK:PK PAN:PA PCN:PN PER:PE ",
    "PHL:PH PLW:PW PNG:PG POL:PL PRI:PR PRK:KP PRT:PT PRY:PY PSE:PS PYF:PF QAT:QA REU:RE RKS:XK ",
    "ROU:RO RUS:RU RWA:RW SAU:SA SDN:SD SEN:SN SGP:SG SGS:GS SHN:SH SJM:SJ SLB:SB SLE:SL SLV:SV ",
    "SMR:SM SOM:SO SPM:PM SRB:RS SSD:SS STP:ST SUR:SR SVK:SK SVN:SI SWE:SE SWZ:SZ SXM:SX SYC:SC ",
    "SYR:SY TCA:TC TCD:TD TGO:TG THA:TH TJK:TJ TKL:TK TKM:TM TLS:TL TON:TO TTO:TT TUN:TN TUR:TR ",
    "TUV:TV TWN:TW TZA:TZ UGA:UG UKR:UA UMI:UM UNA:UN UNK:UN UNO:UN URY:UY USA:US UTO:UT UZB:UZ ",
    "VAT:VA ",
    "VCT:VC VEN:VE VGB:VG VIR:VI VNM:VN VUT:VU WLF:WF WSM:WS YEM:YE ZAF:ZA ZMB:ZM ZWE:ZW ",
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_9303_3_code_is_known() {
        for (code, kind, country) in [
            ("DEU", CodeKind::State, Some("DE")),
            ("D<<", CodeKind::State, Some("DE")),
            ("GBN", CodeKind::State, Some("GB")),
            ("RKS", CodeKind::State, Some("XK")),
            ("EUE", CodeKind::Organisation, Some("EU")),
            ("UNO", CodeKind::Organisation, Some("UN")),
            ("UNK", CodeKind::Organisation, Some("UN")),
            ("XPO", CodeKind::Organisation, None),
            ("XOM", CodeKind::Organisation, None),
            ("XXA", CodeKind::NationalityOnly, None),
            ("XXX", CodeKind::NationalityOnly, None),
            ("UTO", CodeKind::Specimen, Some("UT")),
        ] {
            assert_eq!(code_kind(code), Some(kind), "{code}");
            assert_eq!(alpha3_to_alpha2(code), country, "{code}");
        }
        assert_eq!(code_kind("ZZZ"), None);
        assert_eq!(code_kind("XYZ"), None);
        for (code, _) in ICAO_CODES {
            assert!(code_kind(code).is_some(), "{code}");
        }
    }

    #[test]
    fn the_table_is_extended_by_configuration() {
        let mut t = CountryTable::standard();
        assert_eq!(t.lookup("XPO"), Lookup::NoCountry(CodeKind::Organisation));
        assert_eq!(t.lookup("QQQ"), Lookup::Unknown);
        t.insert("XPO", "XP").unwrap();
        t.insert("QQQ", "QQ").unwrap();
        assert_eq!(t.lookup("XPO"), Lookup::Country("XP"));
        assert_eq!(t.lookup("QQQ<"), Lookup::Country("QQ"));
        assert_eq!(t.lookup("FRA"), Lookup::Country("FR"));
        assert_eq!(
            t.insert("xpo", "XP"),
            Err(CountryTableError::Code("xpo".into()))
        );
        assert_eq!(
            t.insert("XPO", "XPO"),
            Err(CountryTableError::Country("XPO".into(), "XPO".into()))
        );
        assert_eq!(t.lookup("XPO"), Lookup::Country("XP"));
    }
}
