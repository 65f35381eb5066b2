//! The verdict of passive authentication: every check with its stable reason code, and the
//! overall outcome under a [`Strictness`].

use super::*;

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
    /// The check failed, and a trusted deviation list (ICAO 9303-12 §10) says the issuer's
    /// documents fail it this way; the gate's deviation policy excused it
    /// ([`crate::deviation`]). The reason code stays for the record.
    Excused,
}

impl CheckStatus {
    /// `"passed"`, `"failed"` or `"not_possible"`.
    pub fn as_str(self) -> &'static str {
        match self {
            CheckStatus::Passed => "passed",
            CheckStatus::Failed => "failed",
            CheckStatus::NotPossible => "not_possible",
            CheckStatus::Excused => "excused",
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
    /// `issuing_state_mismatch`, `issuing_state_unknown`, `crl_not_available`).
    pub reason: Option<&'static str>,
    /// Human-readable detail (algorithms, certificate subjects of authorities, times); never
    /// personal data.
    pub detail: String,
}

impl Check {
    fn new(
        name: &'static str,
        status: CheckStatus,
        reason: Option<&'static str>,
        detail: impl Into<String>,
    ) -> Check {
        Check {
            name,
            dg: None,
            status,
            reason,
            detail: detail.into(),
        }
    }
    pub(crate) fn pass(name: &'static str, detail: impl Into<String>) -> Check {
        Check::new(name, CheckStatus::Passed, None, detail)
    }
    pub(crate) fn fail(
        name: &'static str,
        reason: &'static str,
        detail: impl Into<String>,
    ) -> Check {
        Check::new(name, CheckStatus::Failed, Some(reason), detail)
    }
    pub(crate) fn not_possible(
        name: &'static str,
        reason: &'static str,
        detail: impl Into<String>,
    ) -> Check {
        Check::new(name, CheckStatus::NotPossible, Some(reason), detail)
    }
    /// Marks a failed check as excused by a deviation list, saying why in the detail.
    pub(crate) fn excuse(&mut self, why: &str) {
        self.status = CheckStatus::Excused;
        self.detail = format!("{}; excused: {why}", self.detail);
    }

    /// Whether the check passed or was excused.
    pub fn counts_as_passed(&self) -> bool {
        matches!(self.status, CheckStatus::Passed | CheckStatus::Excused)
    }

    pub(super) fn for_dg(mut self, dg: u8) -> Check {
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

    /// The reason codes of every check that did not pass (excused checks left out).
    pub fn reasons(&self) -> Vec<&'static str> {
        self.checks
            .iter()
            .filter(|c| c.status != CheckStatus::Excused)
            .filter_map(|c| c.reason)
            .collect()
    }

    /// The first check with this name (and data group, for `dg_hash`).
    pub fn check(&self, name: &str, dg: Option<u8>) -> Option<&Check> {
        self.checks
            .iter()
            .find(|c| c.name == name && (dg.is_none() || c.dg == dg))
    }

    /// Whether some check that is not excused has this reason code.
    pub fn has_reason(&self, reason: &str) -> bool {
        self.checks
            .iter()
            .any(|c| c.reason == Some(reason) && c.status != CheckStatus::Excused)
    }
}

/// Applies the strictness to the checks (an excused check counts as passed).
pub(crate) fn finish(v: &mut PaVerdict) {
    let essential = |c: &Check| {
        matches!(
            c.name,
            "sod_structure" | "sod_signature" | "ds_validity" | "csca_chain" | "dg_hash"
        )
    };
    let integrity = |c: &Check| matches!(c.name, "sod_structure" | "sod_signature" | "dg_hash");
    let has = |name: &str| v.checks.iter().any(|c| c.name == name);
    let ok = match v.strictness {
        Strictness::Strict => v.checks.iter().all(Check::counts_as_passed),
        Strictness::Standard => {
            v.checks.iter().all(|c| c.status != CheckStatus::Failed)
                && v.checks
                    .iter()
                    .filter(|c| essential(c))
                    .all(Check::counts_as_passed)
                && has("sod_signature")
                && has("dg_hash")
        }
        Strictness::IntegrityOnly => {
            v.checks
                .iter()
                .filter(|c| integrity(c))
                .all(Check::counts_as_passed)
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
