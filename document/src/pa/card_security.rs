//! EF.CardSecurity (BSI TR-03110-3 §A.1.2; ICAO 9303-11 §9.2.1): a CMS SignedData over
//! SecurityInfos, verified like EF.SOD.

use super::*;

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
