//! Passive authentication (ICAO 9303-11 §5.1, 9303-12 §4–§7): EF.SOD and EF.CardSecurity.
//!
//! The result is a [`PaVerdict`] *value* listing every check as passed, failed or not
//! possible, each with a stable reason code, and an overall outcome under a configurable
//! [`Strictness`]. Nothing here panics on input and nothing here logs: reason codes and
//! detail strings carry no personal data (no names, numbers or dates of birth).

mod card_security;
mod country;
mod sod;
mod verdict;

use std::collections::BTreeMap;
use std::time::SystemTime;

use crate::mrz::{Mrz, MrzKey};
use crate::pki::cert::{unix_secs, Certificate};
use crate::pki::cms::{SignedData, OID_LDS_SECURITY_OBJECT, OID_SECURITY_OBJECT};
use crate::pki::sig::hash_from_alg_id;
use crate::pki::{CscaStore, HashAlg, PkiError, Revocation};
use crate::tlv;

pub use card_security::{verify_card_security, CardSecurityVerdict};
pub use country::{alpha3_to_alpha2, code_kind, CodeKind, CountryTable, CountryTableError, Lookup};
pub use sod::{dg1_mrz, sod_data_groups, verify_sod, verify_sod_with, LdsSecurityObject};
pub(crate) use verdict::finish;
pub use verdict::{
    CertSummary, Check, CheckStatus, PaOutcome, PaVerdict, Strictness, ValidityTime,
};

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

/// An instant as `YYYY-MM-DDTHH:MM:SSZ` (for detail strings), or Unix seconds if out of range.
fn rfc3339(t: SystemTime) -> String {
    let d = t.duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    der::DateTime::from_unix_duration(d)
        .map(|dt| dt.to_string())
        .unwrap_or_else(|_| unix_secs(t).to_string())
}
