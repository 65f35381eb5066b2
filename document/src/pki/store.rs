//! The CSCA store: trust anchors from CSCA master lists (ICAO 9303-12 §8), from a folder of
//! CSCA and link certificates (DER or PEM), CRLs (9303-12 §7.1.4) checked against them, and
//! deviation lists (9303-12 §10) whose signers chain to them.

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use der::Decode;

use super::cert::{hex_upper, name_country, names_match, Certificate};
use super::cms::{SignedData, OID_CSCA_MASTER_LIST};
use super::deviation::{DeviationList, TrustedDeviationList};
use super::sig::SignatureAlgorithm;
use super::PkiError;
use crate::tlv;

/// A CRL whose signature has been checked against a CSCA in the store.
#[derive(Debug, Clone)]
pub struct Crl {
    issuer: x509_cert::name::Name,
    issuer_country: Option<String>,
    this_update: SystemTime,
    next_update: Option<SystemTime>,
    revoked: Vec<Vec<u8>>,
}

impl Crl {
    /// The issuer in RFC 4514 form.
    pub fn issuer(&self) -> String {
        self.issuer.to_string()
    }

    /// The issuer's country.
    pub fn issuer_country(&self) -> Option<&str> {
        self.issuer_country.as_deref()
    }

    /// thisUpdate.
    pub fn this_update(&self) -> SystemTime {
        self.this_update
    }

    /// nextUpdate, if given.
    pub fn next_update(&self) -> Option<SystemTime> {
        self.next_update
    }

    /// Number of revoked serials.
    pub fn revoked_count(&self) -> usize {
        self.revoked.len()
    }

    /// How current the CRL is at `now`: past nextUpdate it is overdue, and past nextUpdate
    /// plus `grace` stale (RFC 5280 §5.1.2.5: nextUpdate is when the next CRL will be issued,
    /// so after it this one may miss revocations). A CRL without nextUpdate never goes stale
    /// (9303-12 §7.1.4 requires nextUpdate; its absence is reported by `egate pki list`).
    pub fn freshness(&self, now: SystemTime, grace: std::time::Duration) -> CrlFreshness {
        match self.next_update {
            Some(next) if now > next + grace => CrlFreshness::Stale,
            Some(next) if now > next => CrlFreshness::Overdue,
            _ => CrlFreshness::Current,
        }
    }

    /// The serials listed, as content octets.
    pub fn revoked_serials(&self) -> &[Vec<u8>] {
        &self.revoked
    }

    /// Whether the serial (content octets) is listed.
    pub fn is_revoked(&self, serial: &[u8]) -> bool {
        let s = strip(serial);
        self.revoked.iter().any(|r| strip(r) == s)
    }
}

/// How current a CRL is (see [`Crl::freshness`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[non_exhaustive]
pub enum CrlFreshness {
    /// Before nextUpdate (or no nextUpdate).
    Current,
    /// Past nextUpdate, within the grace.
    Overdue,
    /// Past nextUpdate plus the grace.
    Stale,
}

impl CrlFreshness {
    /// `"current"`, `"overdue"` or `"stale"`.
    pub fn as_str(self) -> &'static str {
        match self {
            CrlFreshness::Current => "current",
            CrlFreshness::Overdue => "overdue",
            CrlFreshness::Stale => "stale",
        }
    }
}

fn strip(b: &[u8]) -> &[u8] {
    let n = b.iter().take_while(|&&x| x == 0).count();
    &b[n.min(b.len().saturating_sub(1))..]
}

/// A parsed (and, when verified against a store, checked) CSCA master list.
#[derive(Debug, Clone)]
pub struct MasterList {
    /// The CscaMasterList certificates that parsed.
    pub certificates: Vec<Certificate>,
    /// Entries that did not parse as certificates.
    pub unparsed: usize,
    /// The parsed CMS wrapper.
    pub signed_data: SignedData,
}

/// How the master list's CMS signature came out.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum MasterListSignature {
    /// Signature valid and the signer certificate chains to the given trust anchor.
    Verified {
        /// Subject of the master list signer.
        signer: String,
        /// Subject of the CSCA that issued the signer certificate.
        csca: String,
        /// The signature algorithm used by the signer.
        algorithm: String,
    },
    /// The CMS signature itself is invalid.
    SignatureInvalid(String),
    /// The signer certificate is not issued by (does not verify against) any anchor.
    SignerNotTrusted(String),
    /// The signature could not be checked.
    NotPossible(String),
}

impl MasterList {
    /// Parses a `.ml` file: CMS SignedData with eContentType id-icao-cscaMasterList and
    /// content `CscaMasterList ::= SEQUENCE { version INTEGER, certList SET OF Certificate }`
    /// (ICAO 9303-12 §8.2). Nothing is trusted yet: see [`MasterList::verify`].
    pub fn from_der(der: &[u8]) -> Result<MasterList, PkiError> {
        let signed_data =
            SignedData::from_der(der).map_err(|e| e.in_field("ContentInfo (CMS SignedData)"))?;
        if signed_data.econtent_type != OID_CSCA_MASTER_LIST {
            return Err(
                PkiError::Malformed("eContentType is not id-icao-cscaMasterList")
                    .in_field("SignedData.encapContentInfo.eContentType"),
            );
        }
        let (seq, _) = crate::pki::expect(&signed_data.econtent, tlv::SEQUENCE, "CscaMasterList")
            .map_err(|e| e.in_field("SignedData.encapContentInfo.eContent"))?;
        let parts = tlv::children_ber(seq.value)
            .map_err(|e| PkiError::from(e).in_field("CscaMasterList"))?;
        if parts.len() != 2 || parts[0].tag != tlv::INTEGER || parts[1].tag != tlv::SET {
            return Err(
                PkiError::Malformed("expected SEQUENCE { version INTEGER, certList SET }")
                    .in_field("CscaMasterList"),
            );
        }
        let mut certificates = Vec::new();
        let mut unparsed = 0;
        let list = tlv::children_ber(parts[1].value)
            .map_err(|e| PkiError::from(e).in_field("CscaMasterList.certList"))?;
        for c in list {
            match Certificate::from_der(c.raw) {
                Ok(cert) => certificates.push(cert),
                Err(_) => unparsed += 1,
            }
        }
        Ok(MasterList {
            certificates,
            unparsed,
            signed_data,
        })
    }

    /// Verifies the CMS signature and that the signer certificate is issued by one of
    /// `anchors` (ICAO 9303-12 §8.1: the master list signer is issued by the CSCA).
    pub fn verify(&self, anchors: &[Certificate]) -> MasterListSignature {
        let Some(signer) = self.signed_data.signer_infos.first() else {
            return MasterListSignature::NotPossible("no signer".into());
        };
        let Some(cert) = self.signed_data.signer_certificate(signer) else {
            return MasterListSignature::NotPossible("signer certificate not included".into());
        };
        let check = self.signed_data.check_signer(signer, cert);
        if check.digest_matches == Some(false) {
            return MasterListSignature::SignatureInvalid(
                "messageDigest does not match the content".into(),
            );
        }
        match &check.signature {
            Ok(()) => {}
            Err(PkiError::SignatureInvalid) => {
                return MasterListSignature::SignatureInvalid("CMS signature invalid".into())
            }
            Err(e) => return MasterListSignature::NotPossible(e.to_string()),
        }
        for anchor in anchors {
            if cert.may_be_issued_by(anchor) && cert.verify_signed_by(anchor).is_ok() {
                return MasterListSignature::Verified {
                    signer: cert.subject(),
                    csca: anchor.subject(),
                    algorithm: check.algorithm.map(|a| a.describe()).unwrap_or_default(),
                };
            }
        }
        MasterListSignature::SignerNotTrusted(format!(
            "signer {} issued by {}",
            cert.subject(),
            cert.issuer()
        ))
    }
}

/// Trust anchors (CSCA and link certificates) and CRLs.
#[derive(Debug, Clone, Default)]
pub struct CscaStore {
    certs: Vec<Certificate>,
    crls: Vec<Crl>,
    deviation_lists: Vec<TrustedDeviationList>,
}

/// Whether a certificate appears on a CRL of its issuer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Revocation {
    /// A CRL of the issuer is loaded and does not list the certificate.
    NotRevoked,
    /// A CRL of the issuer lists the certificate.
    Revoked,
    /// No CRL of the issuer is loaded.
    NoCrl,
}

impl CscaStore {
    /// An empty store.
    pub fn new() -> CscaStore {
        CscaStore::default()
    }

    /// The trust anchors.
    pub fn certificates(&self) -> &[Certificate] {
        &self.certs
    }

    /// The loaded CRLs.
    pub fn crls(&self) -> &[Crl] {
        &self.crls
    }

    /// The deviation lists whose signature verified.
    pub fn deviation_lists(&self) -> &[TrustedDeviationList] {
        &self.deviation_lists
    }

    /// Parses a deviation list (DER), verifies it against the CSCAs in the store at `now`
    /// (ICAO 9303-12 §10: a Deviation List Signer of the CSCA's own country) and keeps it.
    /// A list already kept (same bytes) is not kept twice. The error names the field: a
    /// malformed field, or the one whose check refused the list.
    pub fn add_deviation_list(
        &mut self,
        bytes: &[u8],
        now: SystemTime,
    ) -> Result<&TrustedDeviationList, PkiError> {
        let list = DeviationList::from_der(bytes)?;
        let verdict = list.verify(&self.certs, now);
        if let Some((field, reason)) = verdict.refusal() {
            return Err(PkiError::Refused { field, reason });
        }
        let super::deviation::DeviationListSignature::Verified {
            signer,
            csca,
            country,
        } = verdict
        else {
            return Err(PkiError::Malformed("deviation list verdict"));
        };
        let i = match self
            .deviation_lists
            .iter()
            .position(|d| d.list.id == list.id)
        {
            Some(i) => i,
            None => {
                self.deviation_lists.push(TrustedDeviationList {
                    list,
                    country,
                    signer,
                    csca,
                });
                self.deviation_lists.len() - 1
            }
        };
        Ok(&self.deviation_lists[i])
    }

    /// Adds one trusted certificate (duplicates are ignored); returns whether it was new.
    pub fn add_certificate(&mut self, cert: Certificate) -> bool {
        if self.certs.iter().any(|c| c.der() == cert.der()) {
            return false;
        }
        self.certs.push(cert);
        true
    }

    /// Adds every certificate in a DER file or PEM text; returns how many were new.
    pub fn add_der_or_pem(&mut self, bytes: &[u8]) -> Result<usize, PkiError> {
        let certs = if bytes.first() == Some(&0x30) {
            vec![Certificate::from_der(bytes)?]
        } else {
            Certificate::all_from_pem(bytes)?
        };
        Ok(certs
            .into_iter()
            .filter(|c| self.add_certificate(c.clone()))
            .count())
    }

    /// Adds every certificate file (`.cer`, `.crt`, `.der`, `.pem`) in a folder, link
    /// certificates included. This is the crate's one filesystem convenience; callers that
    /// load certificates some other way use [`CscaStore::add_der_or_pem`].
    pub fn add_dir(&mut self, dir: &Path) -> Result<usize, PkiError> {
        let mut added = 0;
        let entries = std::fs::read_dir(dir).map_err(|e| PkiError::Io(e.to_string()))?;
        let mut paths: Vec<_> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        paths.sort();
        for path in paths {
            let ext = path
                .extension()
                .and_then(|e| e.to_str())
                .unwrap_or("")
                .to_ascii_lowercase();
            if !matches!(ext.as_str(), "cer" | "crt" | "der" | "pem") {
                continue;
            }
            let bytes = std::fs::read(&path).map_err(|e| PkiError::Io(e.to_string()))?;
            added += self.add_der_or_pem(&bytes)?;
        }
        Ok(added)
    }

    /// Adds a master list's certificates after checking its signature against the anchors
    /// already in the store (plus `extra_anchors`, e.g. a CSCA given on the command line).
    /// An unverified master list adds nothing and returns the reason.
    pub fn add_master_list(
        &mut self,
        ml: &MasterList,
        extra_anchors: &[Certificate],
    ) -> Result<(usize, MasterListSignature), MasterListSignature> {
        let mut anchors = self.certs.clone();
        anchors.extend_from_slice(extra_anchors);
        // A master list normally contains its own CSCA; it may vouch for itself only when
        // that CSCA is already trusted (present in `anchors`), so the check uses anchors only.
        let verdict = ml.verify(&anchors);
        if !matches!(verdict, MasterListSignature::Verified { .. }) {
            return Err(verdict);
        }
        let added = ml
            .certificates
            .iter()
            .filter(|c| self.add_certificate((*c).clone()))
            .count();
        Ok((added, verdict))
    }

    /// Candidate issuers of `cert` among the anchors: matching name and key identifier and
    /// a verifying signature. Link certificates count as anchors (9303-12 §5.2).
    pub fn find_issuer(&self, cert: &Certificate) -> Option<&Certificate> {
        self.certs
            .iter()
            .filter(|c| cert.may_be_issued_by(c))
            .find(|c| cert.verify_signed_by(c).is_ok())
    }

    /// Anchors whose subject matches `cert`'s issuer name (signature not checked).
    pub fn issuer_candidates(&self, cert: &Certificate) -> Vec<&Certificate> {
        self.certs
            .iter()
            .filter(|c| cert.may_be_issued_by(c))
            .collect()
    }

    /// Parses a DER (or PEM `X509 CRL`) CRL, checks its signature against an anchor whose
    /// subject is the CRL issuer (9303-12 §7.1.4: CRLs are signed by the CSCA) and keeps it.
    pub fn add_crl(&mut self, bytes: &[u8]) -> Result<&Crl, PkiError> {
        let der_bytes;
        let der: &[u8] = if bytes.first() == Some(&0x30) {
            bytes
        } else {
            let text = std::str::from_utf8(bytes)
                .map_err(|_| PkiError::Malformed("CRL is neither DER nor PEM"))?;
            let (_, d) = der::pem::decode_vec(text.trim().as_bytes())
                .map_err(|e| PkiError::Der(e.to_string()))?;
            der_bytes = d;
            &der_bytes
        };
        let (outer, _) = crate::pki::expect(der, tlv::SEQUENCE, "CertificateList")
            .map_err(|e| e.in_field("CertificateList"))?;
        let parts = tlv::children_ber(outer.value)
            .map_err(|e| PkiError::from(e).in_field("CertificateList"))?;
        if parts.len() != 3 || parts[2].tag != tlv::BIT_STRING {
            return Err(PkiError::Malformed(
                "expected SEQUENCE { tbsCertList, signatureAlgorithm, signatureValue BIT STRING }",
            )
            .in_field("CertificateList"));
        }
        let list = x509_cert::crl::CertificateList::from_der(outer.raw)
            .map_err(|e| PkiError::Der(e.to_string()).in_field("CertificateList.tbsCertList"))?;
        let tbs = &list.tbs_cert_list;
        let alg = SignatureAlgorithm::from_der(parts[1].raw, None)
            .map_err(|e| e.in_field("CertificateList.signatureAlgorithm"))?;
        let signature = parts[2].value.get(1..).unwrap_or(&[]);
        let mut candidates = self
            .certs
            .iter()
            .filter(|c| names_match(&tbs.issuer, c.subject_name()))
            .peekable();
        if candidates.peek().is_none() {
            return Err(PkiError::CrlIssuerUnknown.in_field("CertificateList.tbsCertList.issuer"));
        }
        let verified = candidates.any(|c| {
            c.public_key()
                .and_then(|k| super::sig::verify(&k, &alg, parts[0].raw, signature))
                .is_ok()
        });
        if !verified {
            return Err(PkiError::SignatureInvalid.in_field("CertificateList.signatureValue"));
        }
        let revoked = tbs
            .revoked_certificates
            .as_ref()
            .map(|v| {
                v.iter()
                    .map(|r| r.serial_number.as_bytes().to_vec())
                    .collect()
            })
            .unwrap_or_default();
        self.crls.push(Crl {
            issuer: tbs.issuer.clone(),
            issuer_country: name_country(&tbs.issuer),
            this_update: UNIX_EPOCH + tbs.this_update.to_unix_duration(),
            next_update: tbs.next_update.map(|t| UNIX_EPOCH + t.to_unix_duration()),
            revoked,
        });
        self.crls.last().ok_or(PkiError::Malformed("CRL"))
    }

    /// Revocation status of `cert` against the loaded CRLs of its issuer.
    pub fn revocation(&self, cert: &Certificate) -> Revocation {
        let mut any = false;
        for crl in self
            .crls
            .iter()
            .filter(|c| names_match(&c.issuer, cert.issuer_name()))
        {
            any = true;
            if crl.is_revoked(cert.serial()) {
                return Revocation::Revoked;
            }
        }
        if any {
            Revocation::NotRevoked
        } else {
            Revocation::NoCrl
        }
    }

    /// A one-line summary for logs (no personal data: only counts and countries).
    pub fn summary(&self) -> String {
        let mut countries: Vec<String> = self
            .certs
            .iter()
            .filter_map(|c| c.subject_country())
            .collect();
        countries.sort();
        countries.dedup();
        format!(
            "{} CSCA/link certificates from {} countries, {} CRLs, {} deviation lists",
            self.certs.len(),
            countries.len(),
            self.crls.len(),
            self.deviation_lists.len()
        )
    }
}

/// Hex of a serial, for reports.
pub fn serial_hex(serial: &[u8]) -> String {
    hex_upper(serial)
}
