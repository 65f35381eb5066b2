//! Passive authentication (ICAO 9303-11 §5.1, 9303-12 §4–§7): EF.SOD and EF.CardSecurity.
//!
//! The result is a [`PaVerdict`] *value* listing every check as passed, failed or not
//! possible, each with a stable reason code, and an overall outcome under a configurable
//! [`Strictness`]. Nothing here panics on input and nothing here logs: reason codes and
//! detail strings carry no personal data (no names, numbers or dates of birth).

use std::collections::BTreeMap;
use std::time::SystemTime;

use crate::mrz::{Mrz, MrzKey};
use crate::pki::cert::{unix_secs, Certificate};
use crate::pki::cms::{SignedData, OID_LDS_SECURITY_OBJECT, OID_SECURITY_OBJECT};
use crate::pki::sig::hash_from_alg_id;
use crate::pki::{CscaStore, HashAlg, PkiError, Revocation};
use crate::tlv;

/// Outcome of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CheckStatus {
    /// The check ran and succeeded.
    Passed,
    /// The check ran and failed.
    Failed,
    /// The check could not be run (missing input, unsupported algorithm, no CRL …).
    NotPossible,
}

impl CheckStatus {
    /// `"passed"`, `"failed"` or `"not_possible"`.
    pub fn as_str(self) -> &'static str {
        match self {
            CheckStatus::Passed => "passed",
            CheckStatus::Failed => "failed",
            CheckStatus::NotPossible => "not_possible",
        }
    }
}

/// One check in a verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// Stable check name: `sod_structure`, `sod_signature`, `ds_validity`, `csca_chain`,
    /// `ds_revocation`, `dg_hash` (with [`Check::dg`]), `mrz_dg1`, `issuing_state`; for
    /// EF.CardSecurity `card_security_structure` and `card_security_signature`.
    pub name: &'static str,
    /// The data group this check concerns (for `dg_hash`).
    pub dg: Option<u8>,
    /// Passed, failed or not possible.
    pub status: CheckStatus,
    /// Stable reason code when not passed (e.g. `sod_signature_invalid`, `ds_expired`,
    /// `ds_revoked`, `csca_not_found`, `dg_hash_mismatch`, `mrz_dg1_mismatch`,
    /// `issuing_state_mismatch`, `crl_not_available`).
    pub reason: Option<&'static str>,
    /// Human-readable detail (algorithms, certificate subjects of authorities, times); never
    /// personal data.
    pub detail: String,
}

impl Check {
    pub(crate) fn pass(name: &'static str, detail: impl Into<String>) -> Check {
        Check {
            name,
            dg: None,
            status: CheckStatus::Passed,
            reason: None,
            detail: detail.into(),
        }
    }
    pub(crate) fn fail(
        name: &'static str,
        reason: &'static str,
        detail: impl Into<String>,
    ) -> Check {
        Check {
            name,
            dg: None,
            status: CheckStatus::Failed,
            reason: Some(reason),
            detail: detail.into(),
        }
    }
    pub(crate) fn not_possible(
        name: &'static str,
        reason: &'static str,
        detail: impl Into<String>,
    ) -> Check {
        Check {
            name,
            dg: None,
            status: CheckStatus::NotPossible,
            reason: Some(reason),
            detail: detail.into(),
        }
    }
    fn for_dg(mut self, dg: u8) -> Check {
        self.dg = Some(dg);
        self
    }

    /// The check name with its data group, e.g. `dg_hash:2`.
    pub fn label(&self) -> String {
        match self.dg {
            Some(dg) => format!("{}:{dg}", self.name),
            None => self.name.to_string(),
        }
    }
}

/// How strict the overall outcome is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Strictness {
    /// Every check must pass; "not possible" (e.g. no CRL loaded) fails the document.
    Strict,
    /// No check may fail, and the SOD structure and signature, the DS validity, the chain
    /// to a CSCA and every data-group hash must pass. Revocation, MRZ/DG1 and issuing
    /// state may be "not possible" (no CRL loaded, CAN-based access, no country in the
    /// certificate). The default for gates.
    #[default]
    Standard,
    /// Only the SOD signature and the data-group hashes count (integrity without trust):
    /// for offline inspection of specimens whose CSCA is not published. Never for gates.
    IntegrityOnly,
}

impl Strictness {
    /// `"strict"`, `"standard"` or `"integrity_only"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Strictness::Strict => "strict",
            Strictness::Standard => "standard",
            Strictness::IntegrityOnly => "integrity_only",
        }
    }
}

/// Which instant certificate validity was checked at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ValidityTime {
    /// The signingTime signed attribute of the SOD (RFC 5652 §11.3).
    SigningTime(SystemTime),
    /// No signingTime in the SOD: the caller's "now" ([`PaOptions::now`]).
    Now(SystemTime),
}

impl ValidityTime {
    /// The instant.
    pub fn instant(&self) -> SystemTime {
        match *self {
            ValidityTime::SigningTime(t) | ValidityTime::Now(t) => t,
        }
    }
    /// `"signing_time"` or `"now"`.
    pub fn source(&self) -> &'static str {
        match self {
            ValidityTime::SigningTime(_) => "signing_time",
            ValidityTime::Now(_) => "now",
        }
    }
}

/// Options for passive authentication.
#[derive(Debug, Clone, Copy)]
pub struct PaOptions {
    /// The current time (the library reads no clock). Used for DS validity when the SOD has
    /// no signingTime.
    pub now: SystemTime,
    /// Strictness of the overall outcome.
    pub strictness: Strictness,
}

impl PaOptions {
    /// Standard strictness at `now`.
    pub fn new(now: SystemTime) -> PaOptions {
        PaOptions {
            now,
            strictness: Strictness::Standard,
        }
    }
}

/// What passive authentication is given.
#[derive(Debug, Clone, Copy)]
pub struct PaInput<'a> {
    /// EF.SOD as read (with or without its 0x77 wrapper).
    pub sod: &'a [u8],
    /// The data groups read, by number (1..=16), each the whole EF content as read.
    pub data_groups: &'a BTreeMap<u8, Vec<u8>>,
    /// The MRZ key used for BAC/PACE-MRZ (`None` for PACE with a CAN).
    pub access_key: Option<&'a MrzKey>,
}

/// Summary of a certificate for reports (authority data only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertSummary {
    /// Subject (RFC 4514).
    pub subject: String,
    /// Issuer (RFC 4514).
    pub issuer: String,
    /// Serial, hex.
    pub serial: String,
    /// notBefore, Unix seconds.
    pub not_before: u64,
    /// notAfter, Unix seconds.
    pub not_after: u64,
    /// Subject country (alpha-2).
    pub country: Option<String>,
    /// Public key description (`"EC explicit brainpoolP256r1"`, `"RSA-2048"`).
    pub key: String,
}

impl CertSummary {
    /// Summarises a certificate.
    pub fn of(c: &Certificate) -> CertSummary {
        CertSummary {
            subject: c.subject(),
            issuer: c.issuer(),
            serial: c.serial_hex(),
            not_before: unix_secs(c.not_before()),
            not_after: unix_secs(c.not_after()),
            country: c.subject_country(),
            key: c
                .public_key()
                .map(|k| k.describe())
                .unwrap_or_else(|e| format!("unusable key: {e}")),
        }
    }
}

/// Overall outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PaOutcome {
    /// The document's data is authentic under the chosen strictness.
    Passed,
    /// It is not.
    Failed,
}

/// The verdict of passive authentication: every check, plus the outcome.
#[derive(Debug, Clone)]
pub struct PaVerdict {
    /// Every check, in the order run.
    pub checks: Vec<Check>,
    /// Overall outcome under [`PaVerdict::strictness`].
    pub outcome: PaOutcome,
    /// The strictness applied.
    pub strictness: Strictness,
    /// The instant certificate validity was checked at, and where it came from.
    pub validity_time: ValidityTime,
    /// The SOD's data-group hash algorithm.
    pub hash_algorithm: Option<HashAlg>,
    /// The SOD signature algorithm, described.
    pub signature_algorithm: Option<String>,
    /// The Document Signer certificate.
    pub ds: Option<CertSummary>,
    /// The CSCA (or link) certificate that issued the DS.
    pub csca: Option<CertSummary>,
    /// Data groups listed in the SOD.
    pub dgs_in_sod: Vec<u8>,
    /// Data groups listed in the SOD but not supplied (their integrity is unknown).
    pub dgs_not_supplied: Vec<u8>,
}

impl PaVerdict {
    /// Whether the outcome is [`PaOutcome::Passed`].
    pub fn passed(&self) -> bool {
        self.outcome == PaOutcome::Passed
    }

    /// The reason codes of every check that did not pass.
    pub fn reasons(&self) -> Vec<&'static str> {
        self.checks.iter().filter_map(|c| c.reason).collect()
    }

    /// The first check with this name (and data group, for `dg_hash`).
    pub fn check(&self, name: &str, dg: Option<u8>) -> Option<&Check> {
        self.checks
            .iter()
            .find(|c| c.name == name && (dg.is_none() || c.dg == dg))
    }

    /// Whether some check has this reason code.
    pub fn has_reason(&self, reason: &str) -> bool {
        self.checks.iter().any(|c| c.reason == Some(reason))
    }
}

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

/// Result of verifying a signed object's signer against the store (shared by EF.SOD and
/// EF.CardSecurity).
struct SignerOutcome {
    checks: Vec<Check>,
    ds: Option<Certificate>,
    csca: Option<Certificate>,
    signature_algorithm: Option<String>,
    validity_time: ValidityTime,
}

/// Checks signature, DS validity, chain and revocation of the first signer.
fn verify_signer(
    sd: &SignedData,
    store: &CscaStore,
    opts: &PaOptions,
    sig_check: &'static str,
    sig_invalid: &'static str,
) -> SignerOutcome {
    let mut checks = Vec::new();
    let mut out = SignerOutcome {
        checks: Vec::new(),
        ds: None,
        csca: None,
        signature_algorithm: None,
        validity_time: ValidityTime::Now(opts.now),
    };
    let Some(signer) = sd.signer_infos.first() else {
        checks.push(Check::fail(
            sig_check,
            "signer_info_missing",
            "no SignerInfo",
        ));
        out.checks = checks;
        return out;
    };
    if let Some(t) = signer.signing_time {
        out.validity_time = ValidityTime::SigningTime(t);
    }
    // ICAO 9303-10 §4.6.2.1: the DS certificate should be included in the SOD.
    let Some(ds) = sd.signer_certificate(signer).cloned() else {
        let detail = if sd.unparsed_certificates > 0 {
            "the SOD's certificate did not parse"
        } else {
            "no DS certificate in the SOD for this signer"
        };
        checks.push(Check::not_possible(
            sig_check,
            "ds_certificate_missing",
            detail,
        ));
        checks.push(Check::not_possible(
            "ds_validity",
            "ds_certificate_missing",
            detail,
        ));
        checks.push(Check::not_possible(
            "csca_chain",
            "ds_certificate_missing",
            detail,
        ));
        checks.push(Check::not_possible(
            "ds_revocation",
            "ds_certificate_missing",
            detail,
        ));
        out.checks = checks;
        return out;
    };
    // RFC 5652 §5.4 and §5.6: messageDigest, then the signature over the signed attributes.
    let sc = sd.check_signer(signer, &ds);
    out.signature_algorithm = sc.algorithm.map(|a| a.describe());
    let alg = out.signature_algorithm.clone().unwrap_or_default();
    checks.push(match (&sc.digest_matches, &sc.signature) {
        (Some(false), _) => Check::fail(
            sig_check,
            "sod_message_digest_mismatch",
            "messageDigest attribute does not match the content",
        ),
        (_, Ok(())) => Check::pass(sig_check, format!("{alg} by DS {}", ds.subject())),
        (_, Err(PkiError::SignatureInvalid)) => Check::fail(
            sig_check,
            sig_invalid,
            format!("{alg} signature does not verify"),
        ),
        (_, Err(PkiError::KeyMismatch)) => Check::fail(
            sig_check,
            sig_invalid,
            "DS key type does not fit the signature algorithm",
        ),
        (_, Err(e)) => {
            Check::not_possible(sig_check, "signature_algorithm_unsupported", e.to_string())
        }
    });
    // ICAO 9303-12 §7.1.1 / RFC 5280 §4.1.2.5: DS validity at signing time if known.
    let at = out.validity_time.instant();
    let when = format!("at {} ({})", rfc3339(at), out.validity_time.source());
    checks.push(if at < ds.not_before() {
        Check::fail(
            "ds_validity",
            "ds_not_yet_valid",
            format!("DS not yet valid {when}"),
        )
    } else if at > ds.not_after() {
        Check::fail("ds_validity", "ds_expired", format!("DS expired {when}"))
    } else {
        Check::pass("ds_validity", format!("DS valid {when}"))
    });
    // 9303-12 §5: the DS is issued by a CSCA (or a link certificate's key).
    let candidates = store.issuer_candidates(&ds);
    let issuer = candidates
        .iter()
        .find(|c| ds.verify_signed_by(c).is_ok())
        .map(|c| (*c).clone());
    checks.push(match (&issuer, candidates.is_empty()) {
        (Some(c), _) => Check::pass("csca_chain", format!("issued by {}", c.subject())),
        (None, true) => Check::fail(
            "csca_chain",
            "csca_not_found",
            format!(
                "CSCA not found: no trusted certificate for issuer {}",
                ds.issuer()
            ),
        ),
        (None, false) => Check::fail(
            "csca_chain",
            "ds_certificate_signature_invalid",
            format!(
                "{} CSCA candidate(s) for {} but none verifies the DS certificate",
                candidates.len(),
                ds.issuer()
            ),
        ),
    });
    // 9303-12 §7.1.4: CRLs published by the CSCA.
    checks.push(match store.revocation(&ds) {
        Revocation::Revoked => Check::fail(
            "ds_revocation",
            "ds_revoked",
            format!("DS serial {} is on the CRL", ds.serial_hex()),
        ),
        Revocation::NotRevoked => Check::pass("ds_revocation", "DS not on the issuer's CRL"),
        _ => Check::not_possible(
            "ds_revocation",
            "crl_not_available",
            format!("no CRL loaded for {}", ds.issuer()),
        ),
    });
    out.checks = checks;
    out.ds = Some(ds);
    out.csca = issuer;
    out
}

/// Passive authentication of EF.SOD against the data groups read and the MRZ used for access.
pub fn verify_sod(input: &PaInput<'_>, store: &CscaStore, opts: &PaOptions) -> PaVerdict {
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
        state.as_deref(),
        ds_c.as_deref(),
        csca_c.as_deref(),
    ));

    finish(&mut verdict);
    verdict
}

fn issuing_state_check(state: Option<&str>, ds_c: Option<&str>, csca_c: Option<&str>) -> Check {
    const NAME: &str = "issuing_state";
    let Some(state) = state else {
        return Check::not_possible(
            NAME,
            "issuing_state_unknown",
            "no DG1 to take the issuing state from",
        );
    };
    let Some(alpha2) = alpha3_to_alpha2(state) else {
        return Check::fail(
            NAME,
            "issuing_state_mismatch",
            format!("issuing state {state} is not a known ICAO code"),
        );
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

/// An instant as `YYYY-MM-DDTHH:MM:SSZ` (for detail strings), or Unix seconds if out of range.
fn rfc3339(t: SystemTime) -> String {
    let d = t.duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    der::DateTime::from_unix_duration(d)
        .map(|dt| dt.to_string())
        .unwrap_or_else(|_| unix_secs(t).to_string())
}

/// Extracts and parses the MRZ from DG1 (`61 { 5F1F mrz }`, ICAO 9303-10 §4.7.1).
pub fn dg1_mrz(dg1: &[u8]) -> Result<Mrz, PkiError> {
    let (outer, _) = crate::pki::expect(dg1, 0x61, "DG1 tag 61")?;
    let (inner, _) = crate::pki::expect(outer.value, 0x5F1F, "DG1 MRZ data element 5F1F")?;
    Mrz::from_dg1_bytes(inner.value).map_err(|_| PkiError::Malformed("DG1 MRZ does not parse"))
}

/// Applies the strictness to the checks.
fn finish(v: &mut PaVerdict) {
    let essential = |c: &Check| {
        matches!(
            c.name,
            "sod_structure" | "sod_signature" | "ds_validity" | "csca_chain" | "dg_hash"
        )
    };
    let integrity = |c: &Check| matches!(c.name, "sod_structure" | "sod_signature" | "dg_hash");
    let has = |name: &str| v.checks.iter().any(|c| c.name == name);
    let ok = match v.strictness {
        Strictness::Strict => v.checks.iter().all(|c| c.status == CheckStatus::Passed),
        Strictness::Standard => {
            v.checks.iter().all(|c| c.status != CheckStatus::Failed)
                && v.checks
                    .iter()
                    .filter(|c| essential(c))
                    .all(|c| c.status == CheckStatus::Passed)
                && has("sod_signature")
                && has("dg_hash")
        }
        Strictness::IntegrityOnly => {
            v.checks
                .iter()
                .filter(|c| integrity(c))
                .all(|c| c.status == CheckStatus::Passed)
                && has("sod_signature")
                && has("dg_hash")
        }
    };
    v.outcome = if ok {
        PaOutcome::Passed
    } else {
        PaOutcome::Failed
    };
}

/// The verdict on EF.CardSecurity (BSI TR-03110-3 §A.1.2; ICAO 9303-11 §9.2.1): a CMS
/// SignedData over SecurityInfos, signed by a Document Signer. Its verified SecurityInfos are
/// what PACE-CAM and Chip Authentication may trust.
#[derive(Debug, Clone)]
pub struct CardSecurityVerdict {
    /// Every check, in order: `card_security_structure`, `card_security_signature`,
    /// `ds_validity`, `csca_chain`, `ds_revocation`.
    pub checks: Vec<Check>,
    /// Overall outcome under the strictness (IntegrityOnly counts structure and signature).
    pub outcome: PaOutcome,
    /// The signed SecurityInfos (DER `SET OF SecurityInfo`), when the structure parsed. Trust
    /// them only when `outcome` is passed.
    pub security_infos: Option<Vec<u8>>,
    /// The signer (DS) certificate.
    pub ds: Option<CertSummary>,
    /// The issuing CSCA.
    pub csca: Option<CertSummary>,
    /// The instant validity was checked at.
    pub validity_time: ValidityTime,
}

/// Verifies EF.CardSecurity.
pub fn verify_card_security(
    bytes: &[u8],
    store: &CscaStore,
    opts: &PaOptions,
) -> CardSecurityVerdict {
    let mut v = CardSecurityVerdict {
        checks: Vec::new(),
        outcome: PaOutcome::Failed,
        security_infos: None,
        ds: None,
        csca: None,
        validity_time: ValidityTime::Now(opts.now),
    };
    let sd = match SignedData::from_der(bytes) {
        Ok(sd) if sd.econtent_type == OID_SECURITY_OBJECT => sd,
        Ok(_) => {
            v.checks.push(Check::fail(
                "card_security_structure",
                "card_security_malformed",
                "eContentType is not id-SecurityObject",
            ));
            return v;
        }
        Err(e) => {
            v.checks.push(Check::fail(
                "card_security_structure",
                "card_security_malformed",
                e.to_string(),
            ));
            return v;
        }
    };
    v.checks.push(Check::pass(
        "card_security_structure",
        "SignedData over SecurityInfos",
    ));
    v.security_infos = Some(sd.econtent.clone());
    let so = verify_signer(
        &sd,
        store,
        opts,
        "card_security_signature",
        "card_security_signature_invalid",
    );
    v.checks.extend(so.checks);
    v.validity_time = so.validity_time;
    v.ds = so.ds.as_ref().map(CertSummary::of);
    v.csca = so.csca.as_ref().map(CertSummary::of);
    let count = |c: &Check| match opts.strictness {
        Strictness::IntegrityOnly => matches!(
            c.name,
            "card_security_structure" | "card_security_signature"
        ),
        Strictness::Standard => c.name != "ds_revocation" || c.status == CheckStatus::Failed,
        _ => true,
    };
    let ok = v
        .checks
        .iter()
        .filter(|c| count(c))
        .all(|c| c.status == CheckStatus::Passed);
    v.outcome = if ok {
        PaOutcome::Passed
    } else {
        PaOutcome::Failed
    };
    v
}

/// Maps an ICAO 9303-3 §5 three-letter code (ISO 3166-1 alpha-3, plus `D` for Germany and
/// the ICAO-specific codes) to the ISO 3166-1 alpha-2 code used in certificate countryName.
pub fn alpha3_to_alpha2(code: &str) -> Option<&'static str> {
    let code = code.trim_end_matches('<');
    ALPHA3_TO_ALPHA2
        .split(' ')
        .filter_map(|p| p.split_once(':'))
        .find(|(a3, _)| *a3 == code)
        .map(|(_, a2)| a2)
}

// ISO 3166-1 (from the Debian iso-codes table) plus the ICAO 9303-3 codes D, GBD, GBN,
// GBO, GBP, GBS, RKS, EUE, UNO, UNA, UNK.
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
    "TUV:TV TWN:TW TZA:TZ UGA:UG UKR:UA UMI:UM UNA:UN UNK:UN UNO:UN URY:UY USA:US UZB:UZ VAT:VA ",
    "VCT:VC VEN:VE VGB:VG VIR:VI VNM:VN VUT:VU WLF:WF WSM:WS YEM:YE ZAF:ZA ZMB:ZM ZWE:ZW ",
);
