//! What a trusted deviation list (ICAO 9303-12 §10, parsed and verified in
//! [`crate::pki::deviation`]) does to one document's verdict, and the record of each use.
//!
//! **Matching.** A deviation concerns a document when the list speaks for the document's
//! country (the country of the CSCA its Document Signer chains to is the list signer's) and
//! every criterion the deviation gives holds: the Document Signer (issuer and serial, subject
//! key identifier or certificate digest), the two-character document type, the document
//! number, the date of issue within the period. A fact the read did not establish never
//! matches: the date of issue is known only from a DG12 whose hash passed, the document type
//! and number only from a DG1 whose hash passed, the country only from a chain to a trusted
//! CSCA. A deviation that gives no criterion at all concerns no document.
//!
//! **Policy** (the gate's, stated here once). A deviation list can only move a verdict in
//! the ways below; anything else it says is recorded and changes nothing:
//!
//! | deviation | effect |
//! |---|---|
//! | `aa_key_compromised` | a passing Active Authentication counts as failed (`aa_failed`): the key proves nothing any more |
//! | `dg_hash_wrong` for a data group the gate does not decide on (DG3–DG13, DG16) | its failed hash check is excused |
//! | `com_inconsistent` | a failed EF.COM/SOD comparison is excused: the signed SOD alone says what must be present |
//! | `dg_hash_wrong` for DG1 or DG2, `sod_signature_wrong`, `ds_signature` | excused only with [`DeviationPolicy::excuse_essential`] (default off), else recorded as `not_excused` |
//! | `dg_hash_wrong` for DG14 or DG15 | never excused: those hashes vouch for the chip-authentication keys |
//! | everything else (`dg_malformed`, `ds_encoding`, `csca_encoding`, MRZ, chip, national use, unknown) | recorded, no effect |
//!
//! Every matching description is recorded as a [`DeviationUse`] with its effect, whether or
//! not it changed anything; the record holds the list, the type, the parameter and which
//! criteria matched — never the document number or any other personal data.

use crate::aa::AaVerdict;
use crate::authenticity::AuthenticityVerdict;
use crate::lds;
use crate::pa::{Check, CheckStatus, PaVerdict};
use crate::pki::cert::{names_match, Certificate};
use crate::pki::cms::SignedData;
use crate::pki::deviation::{
    DeviationDescription, DeviationDocuments, DeviationParameter, DeviationType, DscIdentifier,
    IssueDate, TrustedDeviationList,
};
#[cfg(doc)]
use crate::pki::CscaStore;
use zeroize::Zeroizing;

/// The gate's deviation policy.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeviationPolicy {
    /// Whether a deviation may excuse a failed hash of DG1 or DG2, a wrong SOD signature or
    /// a wrong Document Signer certificate signature. Off unless the operator opts in: these
    /// checks are what makes the document's data and portrait authentic.
    pub excuse_essential: bool,
}

/// What one matching deviation did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DeviationEffect {
    /// A failed check was excused.
    Excused,
    /// A passing check now fails.
    Tightened,
    /// The deviation would excuse a failed essential check, and the policy does not allow
    /// it (or never allows it: DG14, DG15).
    NotExcused,
    /// Nothing to change: the check it concerns did not fail (or pass, for a tightening
    /// one), or this type has no effect at a gate.
    NoEffect,
}

impl DeviationEffect {
    /// `excused`, `tightened`, `not_excused` or `no_effect`.
    pub fn as_str(self) -> &'static str {
        match self {
            DeviationEffect::Excused => "excused",
            DeviationEffect::Tightened => "tightened",
            DeviationEffect::NotExcused => "not_excused",
            DeviationEffect::NoEffect => "no_effect",
        }
    }
}

/// One use of a deviation on one document: what the passage record keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviationUse {
    /// The list's id ([`crate::pki::DeviationList::id`]).
    pub list: String,
    /// The list's country.
    pub country: String,
    /// The deviation type.
    pub kind: DeviationType,
    /// Its parameter's label (`DG11`, …; empty when none).
    pub parameter: String,
    /// What it did.
    pub effect: DeviationEffect,
    /// The check it concerned, as [`Check::label`] (`dg_hash:11`, `active_authentication`).
    pub check: Option<String>,
    /// The criteria that matched: `dsc`, `document_type`, `document_number`, `issue_date`.
    pub matched_on: Vec<&'static str>,
}

/// What the read established about a document, as deviations are matched against it.
pub struct Subject {
    country: Option<String>,
    ds: Option<Certificate>,
    document_type: Option<String>,
    document_number: Option<Zeroizing<String>>,
    issued: Option<IssueDate>,
}

impl std::fmt::Debug for Subject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subject")
            .field("country", &self.country)
            .field("ds", &self.ds.as_ref().map(Certificate::subject))
            .field("document_type", &self.document_type)
            .field(
                "document_number",
                &self.document_number.as_ref().map(|_| ".."),
            )
            .field("issued", &self.issued.map(|_| ".."))
            .finish()
    }
}

fn hash_passed(pa: &PaVerdict, dg: u8) -> bool {
    pa.check("dg_hash", Some(dg))
        .is_some_and(|c| c.status == CheckStatus::Passed)
}

impl Subject {
    /// The facts of a read: EF.SOD as read, the passive-authentication verdict on it, and
    /// DG1 and DG12 when read. Each fact is kept only when the check that vouches for it
    /// passed (see the module documentation).
    pub fn new(sod: &[u8], pa: &PaVerdict, dg1: Option<&[u8]>, dg12: Option<&[u8]>) -> Subject {
        let ds = SignedData::from_der(sod).ok().and_then(|sd| {
            let signer = sd.signer_infos.first()?;
            sd.signer_certificate(signer).cloned()
        });
        // The country counts when the DS chains to a trusted CSCA, or when a trusted CSCA of
        // that name exists and only the DS certificate's signature fails (what a
        // `ds_signature` deviation is about).
        let chain = pa.check("csca_chain", None);
        let country = match chain {
            Some(c) if c.status == CheckStatus::Passed => {
                pa.csca.as_ref().and_then(|c| c.country.clone())
            }
            Some(c) if c.reason == Some("ds_certificate_signature_invalid") => {
                ds.as_ref().and_then(Certificate::issuer_country)
            }
            _ => None,
        };
        let mrz = dg1
            .filter(|_| hash_passed(pa, 1))
            .and_then(|b| lds::parse_dg1(b).ok());
        let document_type = mrz.as_ref().map(|m| {
            let mut code = m.document_code().to_string();
            while code.chars().count() < 2 {
                code.push('<');
            }
            code
        });
        let document_number = mrz
            .as_ref()
            .map(|m| Zeroizing::new(m.document_number().trim_end_matches('<').to_string()));
        let issued = dg12
            .filter(|_| hash_passed(pa, 12))
            .and_then(|b| lds::parse_dg12(b).ok())
            .and_then(|d| {
                d.date_of_issue
                    .as_deref()
                    .and_then(IssueDate::from_yyyymmdd)
            });
        Subject {
            country,
            ds,
            document_type,
            document_number,
            issued,
        }
    }
}

/// A description that concerns the document, with the list it came from.
#[derive(Debug, Clone)]
pub struct Match<'a> {
    /// The list.
    pub list: &'a TrustedDeviationList,
    /// The description.
    pub description: &'a DeviationDescription,
    /// The criteria that matched.
    pub matched_on: Vec<&'static str>,
}

fn strip_zeros(b: &[u8]) -> &[u8] {
    let n = b.iter().take_while(|&&x| x == 0).count();
    &b[n.min(b.len().saturating_sub(1))..]
}

/// The criteria of `docs` that hold for `subject`, or `None` when one does not hold (or is
/// unknown), or when none is given.
fn criteria(
    docs: &DeviationDocuments,
    list: &TrustedDeviationList,
    subject: &Subject,
) -> Option<Vec<&'static str>> {
    if docs.is_empty() || subject.country.as_deref() != Some(list.country.as_str()) {
        return None;
    }
    let mut on = Vec::new();
    if let Some(dsc) = &docs.dsc {
        let ds = subject.ds.as_ref()?;
        let hit = match dsc {
            DscIdentifier::IssuerSerial { issuer, serial } => {
                strip_zeros(serial) == strip_zeros(ds.serial())
                    && names_match(issuer, ds.issuer_name())
            }
            DscIdentifier::SubjectKeyId(ski) => {
                ds.subject_key_id().as_deref() == Some(ski.as_slice())
            }
            DscIdentifier::CertificateDigest(d) => list
                .list
                .digest_algorithm
                .is_some_and(|h| h.digest(ds.der()) == *d),
        };
        if !hit {
            return None;
        }
        on.push("dsc");
    }
    if let Some(t) = &docs.document_type {
        if subject.document_type.as_deref() != Some(t.as_str()) {
            return None;
        }
        on.push("document_type");
    }
    if let Some(numbers) = &docs.document_numbers {
        let n = subject.document_number.as_deref()?;
        if !numbers
            .iter()
            .any(|x| x.trim_end_matches('<') == n.as_str())
        {
            return None;
        }
        on.push("document_number");
    }
    if let Some((first, last)) = docs.issued {
        let d = subject.issued?;
        if d < first || d > last {
            return None;
        }
        on.push("issue_date");
    }
    Some(on)
}

/// Every description of the trusted `lists` (a store's [`CscaStore::deviation_lists`]) that
/// concerns `subject`.
pub fn matching<'a>(lists: &'a [TrustedDeviationList], subject: &Subject) -> Vec<Match<'a>> {
    let mut out = Vec::new();
    for list in lists {
        for d in &list.list.deviations {
            if let Some(on) = criteria(&d.documents, list, subject) {
                out.extend(d.descriptions.iter().map(|description| Match {
                    list,
                    description,
                    matched_on: on.clone(),
                }));
            }
        }
    }
    out
}

/// A check a deviation speaks for: its name, its data group, the reason it must fail with.
type Target = (&'static str, Option<u8>, &'static str);

fn record(m: &Match<'_>, effect: DeviationEffect, check: Option<String>) -> DeviationUse {
    DeviationUse {
        list: m.list.list.id.clone(),
        country: m.list.country.clone(),
        kind: m.description.kind,
        parameter: m.description.parameter.label(),
        effect,
        check,
        matched_on: m.matched_on.clone(),
    }
}

fn why(m: &Match<'_>) -> String {
    let p = m.description.parameter.label();
    format!(
        "deviation list {} ({}) declares {}{}{}",
        m.list.list.id,
        m.list.country,
        m.description.kind.as_str(),
        if p.is_empty() { "" } else { " " },
        p
    )
}

/// Applies the tightening deviations to Active Authentication before chip authenticity is
/// assessed: a passed AA of a document whose AA keys the issuer declares compromised
/// becomes a failed one (`aa_key_compromised`), whatever the policy. Returns the uses.
pub fn tighten_active_authentication(
    matches: &[Match<'_>],
    aa: &mut Option<AaVerdict>,
) -> Vec<DeviationUse> {
    let mut uses = Vec::new();
    for m in matches
        .iter()
        .filter(|m| m.description.kind == DeviationType::AaKeyCompromised)
    {
        let effect = match aa.as_mut() {
            Some(v) if v.passed() => {
                v.check = Check::fail(
                    crate::aa::CHECK_NAME,
                    "aa_key_compromised",
                    format!("the chip answered, but {}", why(m)),
                );
                DeviationEffect::Tightened
            }
            _ => DeviationEffect::NoEffect,
        };
        uses.push(record(m, effect, Some(crate::aa::CHECK_NAME.to_string())));
    }
    uses
}

/// Applies the excusing deviations to the verdicts under `policy` (see the module
/// documentation) and concludes both again. Returns the uses (the tightening ones come
/// from [`tighten_active_authentication`]).
pub fn excuse(
    matches: &[Match<'_>],
    pa: &mut PaVerdict,
    chip: &mut AuthenticityVerdict,
    policy: DeviationPolicy,
) -> Vec<DeviationUse> {
    let mut uses = Vec::new();
    for m in matches {
        let d = m.description;
        // The check a deviation speaks for, whether policy lets it excuse it, and where.
        let (target, allowed): (Option<Target>, bool) = match (d.kind, &d.parameter) {
            (DeviationType::AaKeyCompromised, _) => continue,
            (DeviationType::DgHashWrong, DeviationParameter::DataGroup(n @ (1 | 2))) => (
                Some(("dg_hash", Some(*n), "dg_hash_mismatch")),
                policy.excuse_essential,
            ),
            (DeviationType::DgHashWrong, DeviationParameter::DataGroup(n @ (14 | 15))) => {
                (Some(("dg_hash", Some(*n), "dg_hash_mismatch")), false)
            }
            (DeviationType::DgHashWrong, DeviationParameter::DataGroup(n @ 3..=16)) => {
                (Some(("dg_hash", Some(*n), "dg_hash_mismatch")), true)
            }
            (DeviationType::SodSignatureWrong, _) => (
                Some(("sod_signature", None, "sod_signature_invalid")),
                policy.excuse_essential,
            ),
            (DeviationType::DsSignature, _) => (
                Some(("csca_chain", None, "ds_certificate_signature_invalid")),
                policy.excuse_essential,
            ),
            (DeviationType::ComInconsistent, _) => {
                (Some(("com_sod", None, "com_sod_mismatch")), true)
            }
            _ => (None, false),
        };
        let Some((name, dg, reason)) = target else {
            uses.push(record(m, DeviationEffect::NoEffect, None));
            continue;
        };
        let label = match dg {
            Some(n) => format!("{name}:{n}"),
            None => name.to_string(),
        };
        let checks = if name == "com_sod" {
            &mut chip.checks
        } else {
            &mut pa.checks
        };
        let failed = checks.iter_mut().find(|c| {
            c.name == name
                && (dg.is_none() || c.dg == dg)
                && c.status == CheckStatus::Failed
                && c.reason == Some(reason)
        });
        let effect = match failed {
            None => DeviationEffect::NoEffect,
            Some(_) if !allowed => DeviationEffect::NotExcused,
            Some(c) => {
                c.excuse(&why(m));
                DeviationEffect::Excused
            }
        };
        uses.push(record(m, effect, Some(label)));
    }
    crate::pa::finish(pa);
    chip.conclude();
    uses
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pki::deviation::IssueDate;

    fn date(year: u16, month: u8, day: u8) -> IssueDate {
        IssueDate { year, month, day }
    }

    fn subject() -> Subject {
        Subject {
            country: Some("UT".into()),
            ds: None,
            document_type: Some("P<".into()),
            document_number: Some(Zeroizing::new("L898902C3".into())),
            issued: Some(date(2024, 4, 16)),
        }
    }

    fn list(country: &str) -> TrustedDeviationList {
        TrustedDeviationList {
            list: crate::pki::DeviationList {
                version: 0,
                digest_algorithm: None,
                deviations: Vec::new(),
                signed_data: crate::pki::SignedData {
                    econtent_type: String::new(),
                    econtent: Vec::new(),
                    certificates: Vec::new(),
                    unparsed_certificates: 0,
                    signer_infos: Vec::new(),
                },
                id: "00".into(),
            },
            country: country.into(),
            signer: String::new(),
            csca: String::new(),
        }
    }

    fn docs() -> DeviationDocuments {
        DeviationDocuments {
            document_type: None,
            dsc: None,
            issued: None,
            document_numbers: None,
        }
    }

    #[test]
    fn every_given_criterion_must_hold() {
        let ut = list("UT");
        let s = subject();
        let mut d = docs();
        // No criterion: concerns nothing (a list must say which documents).
        assert_eq!(criteria(&d, &ut, &s), None);
        d.document_type = Some("P<".into());
        assert_eq!(criteria(&d, &ut, &s), Some(vec!["document_type"]));
        d.issued = Some((date(2024, 1, 1), date(2024, 4, 16)));
        assert_eq!(
            criteria(&d, &ut, &s),
            Some(vec!["document_type", "issue_date"])
        );
        // One day later is outside the period.
        d.issued = Some((date(2024, 4, 17), date(2024, 12, 31)));
        assert_eq!(criteria(&d, &ut, &s), None);
        d.issued = None;
        d.document_numbers = Some(vec!["X0000000".into(), "L898902C3".into()]);
        assert_eq!(
            criteria(&d, &ut, &s),
            Some(vec!["document_type", "document_number"])
        );
        d.document_numbers = Some(vec!["L898902C4".into()]);
        assert_eq!(criteria(&d, &ut, &s), None);
    }

    #[test]
    fn a_list_speaks_only_for_its_own_country() {
        let mut d = docs();
        d.document_type = Some("P<".into());
        assert_eq!(criteria(&d, &list("DE"), &subject()), None);
        // An unknown country (no chain to a trusted CSCA) matches no list.
        let mut s = subject();
        s.country = None;
        assert_eq!(criteria(&d, &list("UT"), &s), None);
    }

    #[test]
    fn unknown_facts_never_match() {
        let ut = list("UT");
        let mut s = subject();
        s.issued = None;
        s.document_number = None;
        let mut d = docs();
        d.issued = Some((date(2000, 1, 1), date(2099, 12, 31)));
        assert_eq!(criteria(&d, &ut, &s), None, "no date of issue known");
        let mut d = docs();
        d.document_numbers = Some(vec!["L898902C3".into()]);
        assert_eq!(criteria(&d, &ut, &s), None, "no document number known");
        let mut d = docs();
        d.dsc = Some(DscIdentifier::SubjectKeyId(vec![1, 2, 3]));
        assert_eq!(criteria(&d, &ut, &s), None, "no DS certificate known");
    }

    fn failed_hash(dg: u8) -> Check {
        let mut c = Check::fail("dg_hash", "dg_hash_mismatch", "hash differs");
        c.dg = Some(dg);
        c
    }

    /// The policy table of the module documentation, on one verdict per data group: the
    /// hashes that vouch for the chip-authentication keys are never excused, DG1/DG2 only
    /// with the opt-in, the others always.
    #[test]
    fn which_data_group_hashes_a_deviation_may_excuse() {
        use crate::pa::{PaOutcome, Strictness, ValidityTime};
        let ut = list("UT");
        for (dg, default, opt_in) in [
            (1, false, true),
            (2, false, true),
            (11, true, true),
            (14, false, false),
            (15, false, false),
        ] {
            let description = DeviationDescription {
                description: None,
                oid: DeviationType::DgHashWrong.oid(),
                kind: DeviationType::DgHashWrong,
                parameter: DeviationParameter::DataGroup(dg),
                national_use: false,
            };
            let m = Match {
                list: &ut,
                description: &description,
                matched_on: vec!["dsc"],
            };
            for (policy, expected) in [(false, default), (true, opt_in)] {
                let mut pa = PaVerdict {
                    checks: vec![
                        Check::pass("sod_structure", ""),
                        Check::pass("sod_signature", ""),
                        Check::pass("ds_validity", ""),
                        Check::pass("csca_chain", ""),
                        failed_hash(dg),
                    ],
                    outcome: PaOutcome::Failed,
                    strictness: Strictness::Standard,
                    validity_time: ValidityTime::Now(std::time::UNIX_EPOCH),
                    hash_algorithm: None,
                    signature_algorithm: None,
                    ds: None,
                    csca: None,
                    dgs_in_sod: vec![dg],
                    dgs_not_supplied: Vec::new(),
                };
                let mut chip = AuthenticityVerdict {
                    checks: Vec::new(),
                    outcome: crate::authenticity::AuthenticityOutcome::NotSupported,
                    reason: None,
                };
                let uses = excuse(
                    std::slice::from_ref(&m),
                    &mut pa,
                    &mut chip,
                    DeviationPolicy {
                        excuse_essential: policy,
                    },
                );
                assert_eq!(pa.passed(), expected, "DG{dg}, opt-in {policy}");
                let effect = if expected {
                    DeviationEffect::Excused
                } else {
                    DeviationEffect::NotExcused
                };
                assert_eq!(uses[0].effect, effect, "DG{dg}, opt-in {policy}");
            }
        }
    }

    #[test]
    fn effects_have_stable_names() {
        let names: Vec<&str> = [
            DeviationEffect::Excused,
            DeviationEffect::Tightened,
            DeviationEffect::NotExcused,
            DeviationEffect::NoEffect,
        ]
        .iter()
        .map(|e| e.as_str())
        .collect();
        assert_eq!(names, ["excused", "tightened", "not_excused", "no_effect"]);
    }
}
