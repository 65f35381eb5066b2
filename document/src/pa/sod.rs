//! EF.SOD (ICAO 9303-10 §4.6.2): the LDS Security Object and its passive authentication
//! against the data groups read and the MRZ used for access (ICAO 9303-11 §5.1).

use super::*;

/// The LDS Security Object (ICAO 9303-10 §4.6.2.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LdsSecurityObject {
    /// 0 (LDS 1.7) or 1 (LDS 1.8, with ldsVersionInfo).
    pub version: u8,
    /// The data-group hash algorithm.
    pub hash_algorithm: HashAlg,
    /// Data-group number → hash.
    pub hashes: BTreeMap<u8, Vec<u8>>,
    /// ldsVersionInfo (LDS version, Unicode version) when present.
    pub lds_version: Option<(String, String)>,
}

impl LdsSecurityObject {
    /// Parses `LDSSecurityObject ::= SEQUENCE { version, hashAlgorithm,
    /// dataGroupHashValues SEQUENCE OF DataGroupHash, ldsVersionInfo OPTIONAL }`.
    pub fn from_der(der: &[u8]) -> Result<LdsSecurityObject, PkiError> {
        let (seq, _) = crate::pki::expect(der, tlv::SEQUENCE, "LDSSecurityObject")?;
        let f = tlv::children_ber(seq.value)?;
        if f.len() < 3 || f[2].tag != tlv::SEQUENCE {
            return Err(PkiError::Malformed("LDSSecurityObject fields"));
        }
        let version = match f[0].unsigned_integer()? {
            [v] if *v <= 1 => *v,
            _ => return Err(PkiError::Malformed("LDSSecurityObject version")),
        };
        let hash_algorithm = hash_from_alg_id(&f[1])?;
        let mut hashes = BTreeMap::new();
        for dgh in tlv::children_ber(f[2].value)? {
            let p = tlv::children_ber(dgh.value)?;
            if p.len() != 2 || p[1].tag != tlv::OCTET_STRING {
                return Err(PkiError::Malformed("DataGroupHash"));
            }
            let n = match p[0].unsigned_integer()? {
                [n] if (1..=16).contains(n) => *n,
                _ => return Err(PkiError::Malformed("data group number")),
            };
            if hashes.insert(n, p[1].value.to_vec()).is_some() {
                return Err(PkiError::Malformed("data group listed twice"));
            }
        }
        let lds_version = match f.get(3) {
            Some(v) if v.tag == tlv::SEQUENCE => {
                let p = tlv::children_ber(v.value)?;
                let s = |i: usize| {
                    p.get(i)
                        .map(|t| String::from_utf8_lossy(t.value).into_owned())
                        .unwrap_or_default()
                };
                Some((s(0), s(1)))
            }
            _ => None,
        };
        Ok(LdsSecurityObject {
            version,
            hash_algorithm,
            hashes,
            lds_version,
        })
    }
}

/// The data groups EF.SOD lists, parsed without verifying anything: which files a reader
/// must ask for. Whether the list is genuine is passive authentication's business
/// ([`verify_sod`]). `None` when EF.SOD does not parse.
pub fn sod_data_groups(sod: &[u8]) -> Option<Vec<u8>> {
    let sd = SignedData::from_der(sod).ok()?;
    if sd.econtent_type != OID_LDS_SECURITY_OBJECT {
        return None;
    }
    let lso = LdsSecurityObject::from_der(&sd.econtent).ok()?;
    Some(lso.hashes.keys().copied().collect())
}

/// Passive authentication of EF.SOD against the data groups read and the MRZ used for access,
/// the issuing state mapped to its CSCA country by the standard [`CountryTable`].
pub fn verify_sod(input: &PaInput<'_>, store: &CscaStore, opts: &PaOptions) -> PaVerdict {
    verify_sod_with(input, store, opts, &CountryTable::standard())
}

/// [`verify_sod`] with a country table extended by configuration.
pub fn verify_sod_with(
    input: &PaInput<'_>,
    store: &CscaStore,
    opts: &PaOptions,
    countries: &CountryTable,
) -> PaVerdict {
    let mut verdict = PaVerdict {
        checks: Vec::new(),
        outcome: PaOutcome::Failed,
        strictness: opts.strictness,
        validity_time: ValidityTime::Now(opts.now),
        hash_algorithm: None,
        signature_algorithm: None,
        ds: None,
        csca: None,
        dgs_in_sod: Vec::new(),
        dgs_not_supplied: Vec::new(),
    };
    let parsed = SignedData::from_der(input.sod).and_then(|sd| {
        if sd.econtent_type != OID_LDS_SECURITY_OBJECT {
            return Err(PkiError::Malformed(
                "eContentType is not id-icao-mrtd-security-ldsSecurityObject",
            ));
        }
        let lso = LdsSecurityObject::from_der(&sd.econtent)?;
        Ok((sd, lso))
    });
    let (sd, lso) = match parsed {
        Ok(p) => p,
        Err(e) => {
            verdict
                .checks
                .push(Check::fail("sod_structure", "sod_malformed", e.to_string()));
            finish(&mut verdict);
            return verdict;
        }
    };
    verdict.checks.push(Check::pass(
        "sod_structure",
        format!(
            "LDSSecurityObject v{}, {} hashes, {} data groups",
            lso.version,
            lso.hash_algorithm.name(),
            lso.hashes.len()
        ),
    ));
    verdict.hash_algorithm = Some(lso.hash_algorithm);
    verdict.dgs_in_sod = lso.hashes.keys().copied().collect();

    let so = verify_signer(&sd, store, opts, "sod_signature", "sod_signature_invalid");
    verdict.checks.extend(so.checks);
    verdict.validity_time = so.validity_time;
    verdict.signature_algorithm = so.signature_algorithm;
    verdict.ds = so.ds.as_ref().map(CertSummary::of);
    verdict.csca = so.csca.as_ref().map(CertSummary::of);

    // ICAO 9303-10 §4.6.2.2: each data group's hash over the whole EF as read.
    for (&dg, bytes) in input.data_groups {
        let check = match lso.hashes.get(&dg) {
            Some(expected) => {
                if lso.hash_algorithm.digest(bytes) == *expected {
                    Check::pass(
                        "dg_hash",
                        format!("DG{dg} {} matches", lso.hash_algorithm.name()),
                    )
                } else {
                    Check::fail(
                        "dg_hash",
                        "dg_hash_mismatch",
                        format!("DG{dg} hash does not match the SOD"),
                    )
                }
            }
            None => Check::fail(
                "dg_hash",
                "dg_not_in_sod",
                format!("DG{dg} was read but the SOD has no hash for it"),
            ),
        };
        verdict.checks.push(check.for_dg(dg));
    }
    verdict.dgs_not_supplied = lso
        .hashes
        .keys()
        .copied()
        .filter(|dg| !input.data_groups.contains_key(dg))
        .collect();

    // DG1 against the MRZ used for access (9303-11 §4.3: BAC/PACE keys derive from it).
    let dg1_mrz = input.data_groups.get(&1).map(|b| dg1_mrz(b));
    verdict.checks.push(match (&dg1_mrz, input.access_key) {
        (None, _) => Check::not_possible("mrz_dg1", "dg1_not_available", "DG1 not supplied"),
        (Some(Err(e)), _) => Check::fail("mrz_dg1", "dg1_malformed", e.to_string()),
        (Some(Ok(_)), None) => Check::not_possible(
            "mrz_dg1",
            "mrz_not_provided",
            "no MRZ key given (CAN access?)",
        ),
        (Some(Ok(m)), Some(key)) => {
            if *m.key().information() == *key.information() {
                Check::pass(
                    "mrz_dg1",
                    "document number, birth and expiry dates in DG1 match the access MRZ",
                )
            } else {
                Check::fail(
                    "mrz_dg1",
                    "mrz_dg1_mismatch",
                    "DG1 differs from the MRZ used for access",
                )
            }
        }
    });

    // Issuing state of the document against the DS and CSCA countries (9303-12 §7.1.1:
    // countryName in the subject of CSCA and DS certificates).
    let state = dg1_mrz
        .as_ref()
        .and_then(|r| r.as_ref().ok())
        .map(|m| m.issuing_state().trim_end_matches('<').to_string());
    let ds_c = verdict.ds.as_ref().and_then(|d| d.country.clone());
    let csca_c = verdict.csca.as_ref().and_then(|c| c.country.clone());
    verdict.checks.push(issuing_state_check(
        countries,
        state.as_deref(),
        ds_c.as_deref(),
        csca_c.as_deref(),
    ));

    finish(&mut verdict);
    verdict
}

fn issuing_state_check(
    countries: &CountryTable,
    state: Option<&str>,
    ds_c: Option<&str>,
    csca_c: Option<&str>,
) -> Check {
    const NAME: &str = "issuing_state";
    let Some(state) = state else {
        return Check::not_possible(
            NAME,
            "issuing_state_unknown",
            "no DG1 to take the issuing state from",
        );
    };
    // ICAO 9303-3 §5: an unknown code, or one the table maps to no CSCA country, cannot be
    // matched to a certificate: its own reason, never a mismatch.
    let alpha2 = match countries.lookup(state) {
        Lookup::Country(c) => c,
        Lookup::NoCountry(kind) => {
            return Check::fail(
                NAME,
                "issuing_state_unknown",
                format!("issuing state {state} ({kind:?}) has no CSCA country in the table"),
            )
        }
        Lookup::Unknown => {
            return Check::fail(
                NAME,
                "issuing_state_unknown",
                format!("issuing state {state} is not an ICAO 9303-3 code"),
            )
        }
    };
    if ds_c.is_none() && csca_c.is_none() {
        return Check::not_possible(
            NAME,
            "issuing_state_unknown",
            "no countryName in the DS or CSCA certificate",
        );
    }
    for (who, c) in [("DS", ds_c), ("CSCA", csca_c)] {
        if let Some(c) = c {
            if !c.eq_ignore_ascii_case(alpha2) {
                return Check::fail(
                    NAME,
                    "issuing_state_mismatch",
                    format!("document issued by {state} ({alpha2}) but {who} country is {c}"),
                );
            }
        }
    }
    Check::pass(
        NAME,
        format!(
            "{state} ({alpha2}) matches the DS{} country",
            if csca_c.is_some() { " and CSCA" } else { "" }
        ),
    )
}

/// Extracts and parses the MRZ from DG1 (`61 { 5F1F mrz }`, ICAO 9303-10 §4.7.1).
pub fn dg1_mrz(dg1: &[u8]) -> Result<Mrz, PkiError> {
    let (outer, _) = crate::pki::expect(dg1, 0x61, "DG1 tag 61")?;
    let (inner, _) = crate::pki::expect(outer.value, 0x5F1F, "DG1 MRZ data element 5F1F")?;
    Mrz::from_dg1_bytes(inner.value).map_err(|_| PkiError::Malformed("DG1 MRZ does not parse"))
}
