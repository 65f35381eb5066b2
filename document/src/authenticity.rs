//! Chip authenticity: is this chip the one the document's signer personalised, or a copy?
//!
//! A sans-IO verdict over what a read brought back (the files, the outcome of Active
//! Authentication, Chip Authentication and PACE-CAM) and the passive-authentication verdict.
//! Only signed data decide which protections are expected: the LDS security object's
//! data-group hash list (EF.SOD, ICAO 9303-10 §4.6.2.2) and EF.CardSecurity (ICAO 9303-11
//! §9.2.1, BSI TR-03110-3 §A.1.2). EF.COM and EF.CardAccess are unsigned hints: a clone can
//! rewrite them, so they never lower what is expected. Each way a chip can fail this has its
//! own reason code, which the gate refers on whatever its policy says.

use std::collections::BTreeMap;

use crate::aa::AaVerdict;
use crate::ca::CaVerdict;
use crate::lds;
use crate::pa::{CardSecurityVerdict, Check, CheckStatus, PaVerdict};
use crate::secinfo::SecurityInfos;

/// Why a data group the reader asked for was not read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Unreadable {
    /// The chip answered "file not found" (6A82).
    NotFound,
    /// The chip refused access (6982), as it does for DG3/DG4 without EAC.
    AccessDenied,
}

impl Unreadable {
    /// `"file not found"` or `"access denied"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Unreadable::NotFound => "file not found",
            Unreadable::AccessDenied => "access denied",
        }
    }
}

/// What the read brought back, as the verdict needs it (no personal data: data-group
/// numbers, DG14's security infos and the authentication outcomes).
#[derive(Debug, Clone, Copy)]
pub struct ChipEvidence<'a> {
    /// EF.COM as read, when the chip has one.
    pub com: Option<&'a [u8]>,
    /// The numbers of the data groups read.
    pub read: &'a [u8],
    /// Data groups the reader asked for and did not get, with why.
    pub unreadable: &'a BTreeMap<u8, Unreadable>,
    /// DG14 as read (SecurityInfos; its hash is checked by passive authentication).
    pub dg14: Option<&'a [u8]>,
    /// Active Authentication, when it ran.
    pub active_authentication: Option<&'a AaVerdict>,
    /// Chip Authentication, when it ran.
    pub chip_authentication: Option<&'a CaVerdict>,
    /// `Some(cam_verified)` when access was PACE-CAM; `None` otherwise.
    pub pace_cam: Option<Option<bool>>,
    /// The verdict on EF.CardSecurity, when the chip has one (read after PACE).
    pub card_security: Option<&'a CardSecurityVerdict>,
}

/// Overall outcome, in the words of the gate's `ChipAuthOutcome`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuthenticityOutcome {
    /// Every protection the signed data call for was given, and at least one authentication
    /// (AA, CA or PACE-CAM) proved the chip.
    Passed,
    /// The signed data call for no chip authentication, and nothing else failed.
    NotSupported,
    /// Something failed; [`AuthenticityVerdict::reason`] says what.
    Failed,
}

impl AuthenticityOutcome {
    /// `"passed"`, `"not_supported"` or `"failed"`.
    pub fn as_str(self) -> &'static str {
        match self {
            AuthenticityOutcome::Passed => "passed",
            AuthenticityOutcome::NotSupported => "not_supported",
            AuthenticityOutcome::Failed => "failed",
        }
    }
}

/// The chip-authenticity verdict.
#[derive(Debug, Clone)]
pub struct AuthenticityVerdict {
    /// Every check, in the order run: `card_security`, `com_sod`, `dg_presence`, `pace_cam`,
    /// `active_authentication`, `chip_authentication`, `chip_auth_consistency` (each only
    /// when it applies).
    pub checks: Vec<Check>,
    /// The outcome.
    pub outcome: AuthenticityOutcome,
    /// The reason that refers the traveller, when the outcome is failed (see [`REASONS`]).
    pub reason: Option<&'static str>,
}

impl AuthenticityVerdict {
    /// Whether the outcome is not failed.
    pub fn passed(&self) -> bool {
        self.outcome != AuthenticityOutcome::Failed
    }

    /// The first check with this name.
    pub fn check(&self, name: &str) -> Option<&Check> {
        self.checks.iter().find(|c| c.name == name)
    }
}

/// Every reason code the verdict gives, most decisive first: when several apply, the first
/// of these is [`AuthenticityVerdict::reason`].
pub const REASONS: [&str; 7] = [
    "card_security_invalid",
    "com_sod_mismatch",
    "dg_unreadable",
    "cam_failed",
    "chip_auth_inconsistent",
    "ca_failed",
    "aa_failed",
];

/// Data groups a reader without Extended Access Control cannot read (ICAO 9303-11 §7:
/// DG3 and DG4 are protected by EAC).
const NEEDS_EAC: [u8; 2] = [3, 4];

/// Decides chip authenticity from what was read and the passive-authentication verdict.
pub fn assess(evidence: &ChipEvidence<'_>, pa: &PaVerdict) -> AuthenticityVerdict {
    let mut checks = Vec::new();
    let signed: &[u8] = &pa.dgs_in_sod;

    // EF.CardSecurity (ICAO 9303-11 §9.2.1): signed like EF.SOD. Its signer must be trusted
    // as far as the SOD's: an unknown CSCA is tolerated only when the SOD shares it (the
    // gate's policy decides on that through passive authentication).
    let mut cs_infos = None;
    if let Some(cs) = evidence.card_security {
        let failing: Vec<&Check> = cs
            .checks
            .iter()
            .filter(|c| {
                c.status == CheckStatus::Failed
                    || (c.status == CheckStatus::NotPossible && c.name != "ds_revocation")
            })
            .collect();
        let same_unknown_csca = |c: &Check| {
            c.reason == Some("csca_not_found")
                && pa.has_reason("csca_not_found")
                && pa.ds.as_ref().map(|d| &d.issuer) == cs.ds.as_ref().map(|d| &d.issuer)
        };
        match failing.iter().find(|c| !same_unknown_csca(c)) {
            None => {
                checks.push(Check::pass(
                    "card_security",
                    match &cs.ds {
                        Some(ds) => format!("signed by DS {}", ds.subject),
                        None => "signed".to_string(),
                    },
                ));
                cs_infos = cs
                    .security_infos
                    .as_deref()
                    .and_then(|d| SecurityInfos::parse(d).ok());
            }
            Some(c) => checks.push(Check::fail(
                "card_security",
                "card_security_invalid",
                format!(
                    "{}: {}",
                    c.reason.unwrap_or(c.name),
                    if c.detail.is_empty() {
                        c.name
                    } else {
                        &c.detail
                    }
                ),
            )),
        }
    }

    // EF.COM is unsigned; the SOD's list is signed. ICAO 9303-10 §4.6.1: EF.COM lists the
    // data groups present, so the two must agree.
    if let Some(com) = evidence.com {
        if !signed.is_empty() {
            match lds::parse_com(com) {
                Ok(c) => {
                    let mut listed = c.data_groups.clone();
                    listed.sort_unstable();
                    listed.dedup();
                    let only_com: Vec<u8> = listed
                        .iter()
                        .copied()
                        .filter(|d| !signed.contains(d))
                        .collect();
                    let only_sod: Vec<u8> = signed
                        .iter()
                        .copied()
                        .filter(|d| !listed.contains(d))
                        .collect();
                    checks.push(if only_com.is_empty() && only_sod.is_empty() {
                        Check::pass("com_sod", "EF.COM lists the data groups the SOD signs")
                    } else {
                        Check::fail(
                            "com_sod",
                            "com_sod_mismatch",
                            format!(
                                "the SOD signs {} that EF.COM leaves out; EF.COM lists {} the SOD does not sign",
                                dg_list(&only_sod),
                                dg_list(&only_com)
                            ),
                        )
                    });
                }
                Err(e) => checks.push(Check::fail(
                    "com_sod",
                    "com_sod_mismatch",
                    format!("EF.COM does not parse: {e}"),
                )),
            }
        }
    }

    // Every data group the SOD signs and the reader asked for must be there (DG3/DG4 need
    // EAC, which this reader does not do).
    let missing: Vec<(u8, Unreadable)> = evidence
        .unreadable
        .iter()
        .filter(|(dg, _)| signed.contains(dg) && !NEEDS_EAC.contains(dg))
        .map(|(dg, why)| (*dg, *why))
        .collect();
    if !signed.is_empty() {
        checks.push(match missing.first() {
            None => Check::pass(
                "dg_presence",
                format!("read {} of the SOD's data groups", dg_list(evidence.read)),
            ),
            Some(_) => Check::fail(
                "dg_presence",
                "dg_unreadable",
                missing
                    .iter()
                    .map(|(dg, why)| format!("DG{dg}: {}", why.as_str()))
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
        });
    }

    // PACE-CAM (ICAO 9303-11 §4.4.3.5.2): the chip's proof must verify against the CA key
    // of a valid EF.CardSecurity.
    let cs_valid = cs_infos.is_some();
    let cam =
        evidence.pace_cam.map(|verified| {
            match (verified, cs_valid) {
        (Some(true), true) => Check::pass(
            "pace_cam",
            "CAM proof verifies against EF.CardSecurity's key",
        ),
        (Some(true), false) => Check::fail(
            "pace_cam",
            "cam_failed",
            "CAM proof verifies, but against an EF.CardSecurity that is not valid",
        ),
        (Some(false), _) => Check::fail(
            "pace_cam",
            "cam_failed",
            "CAM proof does not verify against EF.CardSecurity's key",
        ),
        (None, _) => Check::fail(
            "pace_cam",
            "cam_failed",
            "PACE-CAM without a proof that could be checked (no EF.CardSecurity or no CAM data)",
        ),
    }
        });
    let cam_passed = cam.as_ref().map(|c| c.status == CheckStatus::Passed);
    checks.extend(cam);

    // Active Authentication (ICAO 9303-11 §6.1) is expected when the SOD signs DG15.
    let mut outcomes: Vec<bool> = cam_passed.into_iter().collect();
    if signed.contains(&15) || evidence.read.contains(&15) {
        let c = match evidence.active_authentication {
            Some(v) if v.passed() => Check::pass("active_authentication", v.check.detail.clone()),
            Some(v) => Check::fail(
                "active_authentication",
                "aa_failed",
                format!("{}: {}", v.check.reason.unwrap_or("failed"), v.check.detail),
            ),
            None => Check::fail(
                "active_authentication",
                "aa_failed",
                if evidence.read.contains(&15) {
                    "DG15 present and Active Authentication not attempted"
                } else {
                    "the SOD signs DG15 and it was not read"
                },
            ),
        };
        outcomes.push(c.status == CheckStatus::Passed);
        checks.push(c);
    }

    // Chip Authentication (ICAO 9303-11 §6.2) is expected when DG14 (hash-checked by PA) or
    // a valid EF.CardSecurity carries ChipAuthenticationInfo; PACE-CAM gives it too.
    let dg14_ca = evidence
        .dg14
        .and_then(|d| SecurityInfos::parse(d).ok())
        .is_some_and(|i| i.ca_infos().next().is_some());
    let cs_ca = cs_infos
        .as_ref()
        .is_some_and(|i| i.ca_infos().next().is_some());
    if dg14_ca || cs_ca {
        let from = if dg14_ca { "DG14" } else { "EF.CardSecurity" };
        let c = match (evidence.chip_authentication, cam_passed) {
            (Some(CaVerdict::Passed), _) => {
                Check::pass("chip_authentication", format!("{from} key proved"))
            }
            (None, Some(true)) => Check::pass(
                "chip_authentication",
                format!("{from} key proved by PACE-CAM"),
            ),
            (Some(CaVerdict::Failed(why)), _) => Check::fail(
                "chip_authentication",
                "ca_failed",
                format!("{from} offers Chip Authentication and it failed: {why:?}"),
            ),
            (None, Some(false)) => Check::fail(
                "chip_authentication",
                "ca_failed",
                format!("{from} offers Chip Authentication and PACE-CAM did not prove it"),
            ),
            (None, None) => Check::fail(
                "chip_authentication",
                "ca_failed",
                format!("{from} offers Chip Authentication and it was not attempted"),
            ),
        };
        outcomes.push(c.status == CheckStatus::Passed);
        checks.push(c);
    } else if signed.contains(&14) && !evidence.read.contains(&14) {
        // The SOD signs a DG14 the reader did not get: what it offers is unknown, so
        // nothing proves the chip offers no Chip Authentication.
        checks.push(Check::fail(
            "chip_authentication",
            "ca_failed",
            "the SOD signs DG14 and it was not read",
        ));
        outcomes.push(false);
    }

    // ICAO 9303-11 §6: a chip that fails any authentication it offers is a copy, even when
    // another passed.
    if outcomes.contains(&true) && outcomes.contains(&false) {
        checks.push(Check::fail(
            "chip_auth_consistency",
            "chip_auth_inconsistent",
            "one authentication passed and another failed",
        ));
    }

    debug_assert_eq!(
        outcomes.len(),
        checks.iter().filter(|c| is_authentication(c)).count()
    );
    let mut v = AuthenticityVerdict {
        checks,
        outcome: AuthenticityOutcome::NotSupported,
        reason: None,
    };
    v.conclude();
    v
}

/// The checks that are an authentication of the chip (each passed or failed).
fn is_authentication(c: &Check) -> bool {
    matches!(
        c.name,
        "pace_cam" | "active_authentication" | "chip_authentication"
    )
}

impl AuthenticityVerdict {
    /// Sets the reason and the outcome from the checks: the first of [`REASONS`] that a
    /// check not excused carries; passed when some authentication passed, not supported when
    /// none ran. Called again after a deviation list excused a check ([`crate::deviation`]).
    pub(crate) fn conclude(&mut self) {
        let live = |c: &&Check| c.status != CheckStatus::Excused;
        self.reason = REASONS.iter().copied().find(|r| {
            self.checks
                .iter()
                .filter(live)
                .any(|c| c.reason == Some(*r))
        });
        self.outcome = if self.reason.is_some() {
            AuthenticityOutcome::Failed
        } else if !self.checks.iter().any(is_authentication) {
            AuthenticityOutcome::NotSupported
        } else {
            AuthenticityOutcome::Passed
        };
    }
}

fn dg_list(dgs: &[u8]) -> String {
    if dgs.is_empty() {
        return "none".into();
    }
    dgs.iter()
        .map(|d| format!("DG{d}"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pa::{PaOutcome, Strictness, ValidityTime};

    /// A passed PA verdict whose SOD lists `dgs`.
    fn pa(dgs: &[u8]) -> PaVerdict {
        PaVerdict {
            checks: Vec::new(),
            outcome: PaOutcome::Passed,
            strictness: Strictness::Standard,
            validity_time: ValidityTime::Now(std::time::UNIX_EPOCH),
            hash_algorithm: None,
            signature_algorithm: None,
            ds: None,
            csca: None,
            dgs_in_sod: dgs.to_vec(),
            dgs_not_supplied: Vec::new(),
        }
    }

    fn aa(passed: bool) -> AaVerdict {
        AaVerdict {
            check: if passed {
                Check::pass(crate::aa::CHECK_NAME, "ok")
            } else {
                Check::fail(crate::aa::CHECK_NAME, "aa_signature_invalid", "bad")
            },
            algorithm: None,
        }
    }

    fn evidence<'a>(read: &'a [u8], unreadable: &'a BTreeMap<u8, Unreadable>) -> ChipEvidence<'a> {
        ChipEvidence {
            com: None,
            read,
            unreadable,
            dg14: None,
            active_authentication: None,
            chip_authentication: None,
            pace_cam: None,
            card_security: None,
        }
    }

    #[test]
    fn a_chip_whose_signed_data_carry_no_aa_or_ca_is_not_supported() {
        let none = BTreeMap::new();
        let v = assess(&evidence(&[1, 2], &none), &pa(&[1, 2]));
        assert_eq!(v.outcome, AuthenticityOutcome::NotSupported);
        assert_eq!(v.reason, None);
        assert!(v.passed());
    }

    #[test]
    fn dg15_in_the_sod_calls_for_aa_whether_or_not_it_was_read() {
        let none = BTreeMap::new();
        // Read and AA not attempted.
        let v = assess(&evidence(&[1, 2, 15], &none), &pa(&[1, 2, 15]));
        assert_eq!(v.reason, Some("aa_failed"));
        // Not read at all (the reader was told not to): still expected.
        let v = assess(&evidence(&[1, 2], &none), &pa(&[1, 2, 15]));
        assert_eq!(v.reason, Some("aa_failed"));
        // Passed.
        let ok = aa(true);
        let mut e = evidence(&[1, 2, 15], &none);
        e.active_authentication = Some(&ok);
        let v = assess(&e, &pa(&[1, 2, 15]));
        assert_eq!(v.outcome, AuthenticityOutcome::Passed);
    }

    #[test]
    fn a_hidden_signed_data_group_is_unreadable_except_dg3_and_dg4() {
        let mut hidden = BTreeMap::new();
        hidden.insert(3, Unreadable::AccessDenied);
        hidden.insert(4, Unreadable::AccessDenied);
        let v = assess(&evidence(&[1, 2], &hidden), &pa(&[1, 2, 3, 4]));
        assert_eq!(v.reason, None, "{:?}", v.checks);
        hidden.insert(2, Unreadable::NotFound);
        let v = assess(&evidence(&[1], &hidden), &pa(&[1, 2, 3, 4]));
        assert_eq!(v.reason, Some("dg_unreadable"));
        // A file the SOD does not sign may be absent.
        let mut unsigned = BTreeMap::new();
        unsigned.insert(11, Unreadable::NotFound);
        let v = assess(&evidence(&[1, 2], &unsigned), &pa(&[1, 2]));
        assert_eq!(v.reason, None);
    }

    #[test]
    fn pace_cam_without_a_verified_proof_fails() {
        let none = BTreeMap::new();
        for cam in [None, Some(false), Some(true)] {
            let mut e = evidence(&[1, 2], &none);
            e.pace_cam = Some(cam);
            // No valid EF.CardSecurity: even a proof that verifies cannot be trusted.
            let v = assess(&e, &pa(&[1, 2]));
            assert_eq!(v.reason, Some("cam_failed"), "{cam:?}");
        }
    }

    #[test]
    fn com_and_sod_must_agree() {
        let none = BTreeMap::new();
        // EF.COM listing DG1 and DG2 (tags 61, 75; ICAO 9303-10 §4.6.1).
        let com = [
            0x60, 0x14, 0x5F, 0x01, 0x04, b'0', b'1', b'0', b'7', 0x5F, 0x36, 0x06, b'0', b'4',
            b'0', b'0', b'0', b'0', 0x5C, 0x02, 0x61, 0x75,
        ];
        let mut e = evidence(&[1, 2], &none);
        e.com = Some(&com);
        assert_eq!(assess(&e, &pa(&[1, 2])).reason, None);
        let v = assess(&e, &pa(&[1, 2, 15]));
        assert_eq!(v.reason, Some("com_sod_mismatch"));
        assert!(v.check("com_sod").unwrap().detail.contains("DG15"));
    }

    #[test]
    fn the_most_decisive_reason_is_given() {
        let none = BTreeMap::new();
        let bad = aa(false);
        let mut e = evidence(&[1, 2, 15], &none);
        e.active_authentication = Some(&bad);
        assert_eq!(assess(&e, &pa(&[1, 2, 15])).reason, Some("aa_failed"));
        // PACE-CAM failing as well: cam_failed comes first (REASONS). The case of one
        // passing and one failing is the clone-aa-signature-wrong profile (sim/tests).
        e.pace_cam = Some(Some(false));
        assert_eq!(assess(&e, &pa(&[1, 2, 15])).reason, Some("cam_failed"));
    }
}
