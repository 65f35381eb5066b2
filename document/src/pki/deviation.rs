//! ICAO deviation lists (Doc 9303-12 §10): an issuing state's signed statement that some of
//! its documents deviate from Doc 9303 in a known way (a wrong hash in the SOD, a broken
//! certificate encoding, a compromised Active Authentication key …), and which documents.
//!
//! The list is CMS SignedData (RFC 5652) whose eContentType is id-icao-DeviationList
//! (2.23.136.1.1.7), signed by a Deviation List Signer: a certificate issued by the state's
//! CSCA that carries the extended key usage id-icao-DeviationListSigningKey (2.23.136.1.1.8).
//! The content, in the module's words (the ASN.1 module uses IMPLICIT TAGS):
//!
//! - `DeviationList`: a SEQUENCE of a version INTEGER (0), an optional digest
//!   AlgorithmIdentifier (the hash of `certificateDigest` below) and a SET OF `Deviation`.
//! - `Deviation`: a SEQUENCE of the documents it concerns (`DeviationDocuments`) and a SET OF
//!   `DeviationDescription`.
//! - `DeviationDescription`: a SEQUENCE of an optional PrintableString description, the
//!   deviationType OBJECT IDENTIFIER, optional parameters under `[0]` whose type the
//!   deviationType defines, and an optional `[1]` for national use.
//! - `DeviationDocuments`: a SEQUENCE of optional criteria: the two-character document type
//!   `[0]`, the Document Signer (`DocumentSignerIdentifier`, a CHOICE of `[1]`
//!   issuerAndSerialNumber, `[2]` subjectKeyIdentifier, `[3]` a digest of the certificate),
//!   the issue period `[4]` (two GeneralizedTimes, first and last issued) and a `[5]` SET OF
//!   PrintableString document numbers.
//! - Parameters: a data group is an INTEGER (1–16, 20 for EF.SOD, 21 for EF.COM), an MRZ
//!   field an INTEGER (0 generic, 1 document code … 9 optional data), a certificate field a
//!   CHOICE of a TBSCertificate field number (INTEGER 0–9) or an extension's OID.
//!
//! Parsing here trusts nothing: [`DeviationList::verify`] checks the signature, the signer's
//! key usage and its chain to a CSCA of the same country. What a deviation does to a
//! document's verdict is [`crate::deviation`]'s business.

use std::time::SystemTime;

use der::Decode;

use super::cert::{hex_upper, Certificate};
use super::cms::SignedData;
use super::hash::HashAlg;
use super::sig::hash_from_alg_id;
use super::PkiError;
use crate::tlv::{self, Tlv};

/// id-icao-DeviationList (ICAO 9303-12 §10): the eContentType of a deviation list.
pub const OID_DEVIATION_LIST: &str = "2.23.136.1.1.7";
/// id-icao-DeviationListSigningKey (ICAO 9303-12 §10): the extended key usage a Deviation
/// List Signer certificate carries.
pub const OID_DEVIATION_LIST_SIGNING_KEY: &str = "2.23.136.1.1.8";

/// The deviation types of ICAO 9303-12 §10, one per OID under id-icao-DeviationList.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum DeviationType {
    /// id-Deviation-CertOrKey-DSSignature: the Document Signer certificate's signature is
    /// wrong.
    DsSignature,
    /// id-Deviation-CertOrKey-DSEncoding: the Document Signer certificate is mis-encoded.
    DsEncoding,
    /// id-Deviation-CertOrKey-CSCAEncoding: the CSCA certificate is mis-encoded.
    CscaEncoding,
    /// id-Deviation-CertOrKey-AAKeyCompromised: the chips' Active Authentication keys are
    /// compromised.
    AaKeyCompromised,
    /// id-Deviation-LDS-DGMalformed: a data group is mis-encoded.
    DgMalformed,
    /// id-Deviation-LDS-DGHashWrong: the SOD holds a wrong hash for a data group.
    DgHashWrong,
    /// id-Deviation-LDS-SODSignatureWrong: the SOD's signature is wrong.
    SodSignatureWrong,
    /// id-Deviation-LDS-COMInconsistent: EF.COM does not agree with the SOD.
    ComInconsistent,
    /// id-Deviation-MRZ-WrongData: an MRZ field holds wrong data.
    MrzWrongData,
    /// id-Deviation-MRZ-WrongCheckDigit: an MRZ check digit is wrong.
    MrzWrongCheckDigit,
    /// id-Deviation-Chip (or an OID under it): the chip deviates.
    Chip,
    /// id-Deviation-NationalUse (or an OID under it): the issuer's own meaning.
    NationalUse,
    /// An OID this reader does not know.
    Unknown,
}

const ARC: &str = "2.23.136.1.1.7";

/// Every known type with its OID (under [`OID_DEVIATION_LIST`]) and its stable name.
const TYPES: [(DeviationType, &str, &str); 12] = [
    (DeviationType::DsSignature, ".1.1", "ds_signature"),
    (DeviationType::DsEncoding, ".1.2", "ds_encoding"),
    (DeviationType::CscaEncoding, ".1.3", "csca_encoding"),
    (
        DeviationType::AaKeyCompromised,
        ".1.4",
        "aa_key_compromised",
    ),
    (DeviationType::DgMalformed, ".2.1", "dg_malformed"),
    (DeviationType::DgHashWrong, ".2.2", "dg_hash_wrong"),
    (
        DeviationType::SodSignatureWrong,
        ".2.3",
        "sod_signature_wrong",
    ),
    (DeviationType::ComInconsistent, ".2.4", "com_inconsistent"),
    (DeviationType::MrzWrongData, ".3.1", "mrz_wrong_data"),
    (
        DeviationType::MrzWrongCheckDigit,
        ".3.2",
        "mrz_wrong_check_digit",
    ),
    (DeviationType::Chip, ".4", "chip"),
    (DeviationType::NationalUse, ".5", "national_use"),
];

impl DeviationType {
    /// The type of a deviationType OID. OIDs under id-Deviation-Chip and
    /// id-Deviation-NationalUse are of those types; anything else unknown is
    /// [`DeviationType::Unknown`].
    pub fn from_oid(oid: &str) -> DeviationType {
        let Some(rest) = oid.strip_prefix(ARC) else {
            return DeviationType::Unknown;
        };
        for (t, suffix, _) in TYPES {
            if rest == suffix {
                return t;
            }
        }
        for (t, suffix) in [
            (DeviationType::Chip, ".4."),
            (DeviationType::NationalUse, ".5."),
        ] {
            if rest.starts_with(suffix) {
                return t;
            }
        }
        DeviationType::Unknown
    }

    /// The OID (for [`DeviationType::Unknown`], the deviation list arc itself).
    pub fn oid(self) -> String {
        TYPES
            .iter()
            .find(|(t, _, _)| *t == self)
            .map_or_else(|| ARC.to_string(), |(_, s, _)| format!("{ARC}{s}"))
    }

    /// The stable name used in records: `dg_hash_wrong`, `aa_key_compromised`, … or
    /// `unknown`.
    pub fn as_str(self) -> &'static str {
        TYPES
            .iter()
            .find(|(t, _, _)| *t == self)
            .map_or("unknown", |(_, _, n)| n)
    }

    /// Every known type (for tests and reports).
    pub fn all() -> impl Iterator<Item = DeviationType> {
        TYPES.iter().map(|(t, _, _)| *t)
    }

    /// Whether the type's parameters name a data group.
    fn takes_data_group(self) -> bool {
        matches!(
            self,
            DeviationType::DgMalformed | DeviationType::DgHashWrong
        )
    }

    /// Whether the type's parameters name an MRZ field.
    fn takes_mrz_field(self) -> bool {
        matches!(
            self,
            DeviationType::MrzWrongData | DeviationType::MrzWrongCheckDigit
        )
    }

    /// Whether the type's parameters name a certificate field.
    fn takes_cert_field(self) -> bool {
        matches!(
            self,
            DeviationType::DsSignature | DeviationType::DsEncoding | DeviationType::CscaEncoding
        )
    }
}

/// A certificate field (`CertField`): a TBSCertificate field by number (0 generic,
/// 1 version, 2 serialNumber, 3 signature, 4 issuer, 5 validity, 6 subject,
/// 7 subjectPublicKeyInfo, 8 issuerUniqueID, 9 subjectUniqueID) or an extension by OID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CertField {
    /// A field of the certificate body.
    Body(u8),
    /// An extension.
    Extension(String),
}

/// The parameters of a description, typed by its deviation type.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DeviationParameter {
    /// None given.
    None,
    /// A data group: 1–16, 20 (EF.SOD) or 21 (EF.COM).
    DataGroup(u8),
    /// An MRZ field: 0 generic, 1 document code, 2 issuing state, 3 name, 4 document
    /// number, 5 nationality, 6 date of birth, 7 sex, 8 date of expiry, 9 optional data.
    MrzField(u8),
    /// A certificate field.
    CertField(CertField),
    /// Parameters of a type that does not define them here (chip, national use, unknown):
    /// kept as their DER.
    Other(Vec<u8>),
}

impl DeviationParameter {
    /// A short label for records: `DG11`, `EF.SOD`, `mrz:4`, `cert:body:5`,
    /// `cert:ext:2.5.29.15`, `other`, or empty.
    pub fn label(&self) -> String {
        match self {
            DeviationParameter::None => String::new(),
            DeviationParameter::DataGroup(20) => "EF.SOD".into(),
            DeviationParameter::DataGroup(21) => "EF.COM".into(),
            DeviationParameter::DataGroup(n) => format!("DG{n}"),
            DeviationParameter::MrzField(n) => format!("mrz:{n}"),
            DeviationParameter::CertField(CertField::Body(n)) => format!("cert:body:{n}"),
            DeviationParameter::CertField(CertField::Extension(o)) => format!("cert:ext:{o}"),
            DeviationParameter::Other(_) => "other".into(),
        }
    }
}

/// One `DeviationDescription`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviationDescription {
    /// The free-text description, if any.
    pub description: Option<String>,
    /// The deviationType OID.
    pub oid: String,
    /// Its type.
    pub kind: DeviationType,
    /// Its parameters.
    pub parameter: DeviationParameter,
    /// Whether a `[1]` national-use part is present (not interpreted).
    pub national_use: bool,
}

/// A calendar date, as a deviation's issue period and a document's date of issue compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct IssueDate {
    /// Year.
    pub year: u16,
    /// Month, 1–12.
    pub month: u8,
    /// Day, 1–31.
    pub day: u8,
}

impl IssueDate {
    /// `YYYYMMDD` (DG12's date of issue, ICAO 9303-10 §4.7.11), else `None`.
    pub fn from_yyyymmdd(s: &str) -> Option<IssueDate> {
        let b = s.as_bytes();
        if b.len() != 8 || !b.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let year = s[0..4].parse().ok()?;
        let month = s[4..6].parse().ok()?;
        let day = s[6..8].parse().ok()?;
        ((1..=12).contains(&month) && (1..=31).contains(&day)).then_some(IssueDate {
            year,
            month,
            day,
        })
    }
}

/// `DocumentSignerIdentifier`: which Document Signer's documents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DscIdentifier {
    /// `[1]` issuer name and serial number (content octets).
    IssuerSerial {
        /// The issuer.
        issuer: x509_cert::name::Name,
        /// The serial number's content octets.
        serial: Vec<u8>,
    },
    /// `[2]` the subjectKeyIdentifier.
    SubjectKeyId(Vec<u8>),
    /// `[3]` a digest of the whole certificate under the list's digestAlgorithm.
    CertificateDigest(Vec<u8>),
}

impl DscIdentifier {
    /// `issuer_serial`, `subject_key_id` or `certificate_digest`.
    pub fn as_str(&self) -> &'static str {
        match self {
            DscIdentifier::IssuerSerial { .. } => "issuer_serial",
            DscIdentifier::SubjectKeyId(_) => "subject_key_id",
            DscIdentifier::CertificateDigest(_) => "certificate_digest",
        }
    }
}

/// `DeviationDocuments`: the criteria a document must meet for the deviation to concern it.
#[derive(Clone, PartialEq, Eq)]
pub struct DeviationDocuments {
    /// `[0]` the two-character document type (e.g. `P<`).
    pub document_type: Option<String>,
    /// The Document Signer.
    pub dsc: Option<DscIdentifier>,
    /// `[4]` first and last date of issue.
    pub issued: Option<(IssueDate, IssueDate)>,
    /// `[5]` document numbers.
    pub document_numbers: Option<Vec<String>>,
}

impl std::fmt::Debug for DeviationDocuments {
    // Document numbers are left out: records and logs never carry them.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviationDocuments")
            .field("document_type", &self.document_type)
            .field("dsc", &self.dsc.as_ref().map(DscIdentifier::as_str))
            .field("issued", &self.issued)
            .field(
                "document_numbers",
                &self.document_numbers.as_ref().map(Vec::len),
            )
            .finish()
    }
}

impl DeviationDocuments {
    /// Whether no criterion is given (such a deviation concerns no document here: see
    /// [`crate::deviation`]).
    pub fn is_empty(&self) -> bool {
        self.document_type.is_none()
            && self.dsc.is_none()
            && self.issued.is_none()
            && self.document_numbers.is_none()
    }
}

/// One `Deviation`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deviation {
    /// Which documents.
    pub documents: DeviationDocuments,
    /// What is wrong with them.
    pub descriptions: Vec<DeviationDescription>,
}

/// A parsed deviation list (nothing trusted yet: see [`DeviationList::verify`]).
#[derive(Debug, Clone)]
pub struct DeviationList {
    /// The version (0).
    pub version: u32,
    /// The digest algorithm of `certificateDigest` identifiers.
    pub digest_algorithm: Option<HashAlg>,
    /// The deviations.
    pub deviations: Vec<Deviation>,
    /// The CMS wrapper.
    pub signed_data: SignedData,
    /// The first 16 hex digits of the SHA-256 of the file: the list's name in records.
    pub id: String,
}

/// How a deviation list's signature came out.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DeviationListSignature {
    /// Valid, by a Deviation List Signer issued by a trusted CSCA of the same country.
    Verified {
        /// The signer's subject.
        signer: String,
        /// The CSCA's subject.
        csca: String,
        /// The country of signer and CSCA (alpha-2, upper case).
        country: String,
    },
    /// The messageDigest attribute does not match the content.
    DigestMismatch,
    /// The CMS signature does not verify.
    SignatureInvalid,
    /// The signer certificate is not issued by a trusted CSCA.
    SignerNotTrusted(String),
    /// The signer certificate lacks the id-icao-DeviationListSigningKey key usage.
    NotDeviationListSigner(String),
    /// The signer and its CSCA are of different (or no) countries.
    CountryMismatch(String),
    /// The signer certificate is not valid now.
    SignerNotValid(String),
    /// The signature could not be checked (no signer, certificate missing, algorithm).
    NotPossible(String),
}

impl DeviationListSignature {
    /// The field that failed and why, for an error naming the file: `None` when verified.
    pub fn refusal(&self) -> Option<(&'static str, String)> {
        Some(match self {
            DeviationListSignature::Verified { .. } => return None,
            // RFC 5652 §5.4: the messageDigest attribute binds the signature to the content.
            DeviationListSignature::DigestMismatch => (
                "SignedData.signerInfos[0].signedAttrs.messageDigest",
                "does not match the content (the list was altered after signing)".into(),
            ),
            DeviationListSignature::SignatureInvalid => (
                "SignedData.signerInfos[0].signature",
                "does not verify (the list was altered or mis-signed)".into(),
            ),
            DeviationListSignature::SignerNotTrusted(d) => (
                "SignedData.certificates (deviation list signer)",
                format!("{d}, which is no trusted CSCA"),
            ),
            DeviationListSignature::NotDeviationListSigner(d) => (
                "SignedData.certificates (deviation list signer).extKeyUsage",
                format!("{d} (9303-12 §10 requires id-icao-DeviationListSigningKey)"),
            ),
            DeviationListSignature::CountryMismatch(d) => (
                "SignedData.certificates (deviation list signer).subject.countryName",
                d.clone(),
            ),
            DeviationListSignature::SignerNotValid(d) => (
                "SignedData.certificates (deviation list signer).validity",
                d.clone(),
            ),
            DeviationListSignature::NotPossible(d) => ("SignedData.signerInfos[0]", d.clone()),
        })
    }
}

/// A deviation list whose signature verified, as the store keeps it.
#[derive(Debug, Clone)]
pub struct TrustedDeviationList {
    /// The list.
    pub list: DeviationList,
    /// The country of its signer and CSCA: it speaks only for that country's documents.
    pub country: String,
    /// The signer's subject.
    pub signer: String,
    /// The CSCA's subject.
    pub csca: String,
}

fn at(path: &str, e: impl Into<PkiError>) -> PkiError {
    PkiError::InPath {
        path: path.to_string(),
        source: Box::new(e.into()),
    }
}

fn malformed(path: &str, what: &'static str) -> PkiError {
    at(path, PkiError::Malformed(what))
}

/// Text of a PrintableString (or, leniently, UTF8String/IA5String) value.
fn text(t: &Tlv<'_>, path: &str) -> Result<String, PkiError> {
    std::str::from_utf8(t.value)
        .map(str::to_string)
        .map_err(|_| malformed(path, "not text"))
}

fn small_int(t: &Tlv<'_>, path: &str, max: u32) -> Result<u8, PkiError> {
    if t.tag != tlv::INTEGER {
        return Err(malformed(path, "expected INTEGER"));
    }
    let v = tlv::decode_u32(t.value).map_err(|e| at(path, e))?;
    if v > max {
        return Err(malformed(path, "value out of range"));
    }
    Ok(v as u8)
}

impl DeviationList {
    /// Parses a deviation list file: CMS SignedData with eContentType id-icao-DeviationList.
    /// Errors name the ASN.1 field (`DeviationList.deviations[2].descriptions[0].parameters`).
    pub fn from_der(der: &[u8]) -> Result<DeviationList, PkiError> {
        let signed_data =
            SignedData::from_der(der).map_err(|e| e.in_field("ContentInfo (CMS SignedData)"))?;
        if signed_data.econtent_type != OID_DEVIATION_LIST {
            return Err(
                PkiError::Malformed("eContentType is not id-icao-DeviationList")
                    .in_field("SignedData.encapContentInfo.eContentType"),
            );
        }
        let (seq, rest) = crate::pki::expect(&signed_data.econtent, tlv::SEQUENCE, "DeviationList")
            .map_err(|e| e.in_field("SignedData.encapContentInfo.eContent"))?;
        if !rest.is_empty() {
            return Err(malformed(
                "SignedData.encapContentInfo.eContent",
                "trailing bytes after DeviationList",
            ));
        }
        let parts =
            tlv::children_ber(seq.value).map_err(|e| at("DeviationList", PkiError::from(e)))?;
        let version = parts
            .first()
            .ok_or_else(|| malformed("DeviationList.version", "missing"))?;
        if version.tag != tlv::INTEGER {
            return Err(malformed("DeviationList.version", "expected INTEGER"));
        }
        let version = tlv::decode_u32(version.value).map_err(|e| at("DeviationList.version", e))?;
        if version != 0 {
            return Err(malformed(
                "DeviationList.version",
                "unknown version (v0 only)",
            ));
        }
        let (digest_algorithm, set) = match &parts[1..] {
            [alg, set] if alg.tag == tlv::SEQUENCE => (
                Some(hash_from_alg_id(alg).map_err(|e| at("DeviationList.digestAlgorithm", e))?),
                set,
            ),
            [set] => (None, set),
            _ => {
                return Err(malformed(
                    "DeviationList",
                    "expected SEQUENCE { version, digestAlgorithm OPTIONAL, deviations SET OF }",
                ))
            }
        };
        if set.tag != tlv::SET {
            return Err(malformed("DeviationList.deviations", "expected SET OF"));
        }
        let entries = tlv::children_ber(set.value)
            .map_err(|e| at("DeviationList.deviations", PkiError::from(e)))?;
        let mut deviations = Vec::with_capacity(entries.len());
        for (i, d) in entries.iter().enumerate() {
            let path = format!("DeviationList.deviations[{i}]");
            let dev = parse_deviation(d, &path)?;
            if matches!(dev.documents.dsc, Some(DscIdentifier::CertificateDigest(_)))
                && digest_algorithm.is_none()
            {
                return Err(malformed(
                    &format!("{path}.documents.dscIdentifier.certificateDigest"),
                    "needs DeviationList.digestAlgorithm, which is absent",
                ));
            }
            deviations.push(dev);
        }
        Ok(DeviationList {
            version,
            digest_algorithm,
            deviations,
            signed_data,
            id: hex_upper(&HashAlg::Sha256.digest(der)[..8]),
        })
    }

    /// Verifies the CMS signature, that the signer certificate carries the deviation list
    /// signing key usage and is valid at `now`, and that it was issued by one of `anchors`
    /// (the CSCAs) of the signer's own country (ICAO 9303-12 §10).
    pub fn verify(&self, anchors: &[Certificate], now: SystemTime) -> DeviationListSignature {
        use DeviationListSignature as S;
        let Some(signer) = self.signed_data.signer_infos.first() else {
            return S::NotPossible("no signer".into());
        };
        let Some(cert) = self.signed_data.signer_certificate(signer) else {
            return S::NotPossible("the signer certificate is not included".into());
        };
        let check = self.signed_data.check_signer(signer, cert);
        if check.digest_matches == Some(false) {
            return S::DigestMismatch;
        }
        match &check.signature {
            Ok(()) => {}
            Err(PkiError::SignatureInvalid) | Err(PkiError::KeyMismatch) => {
                return S::SignatureInvalid
            }
            Err(e) => return S::NotPossible(e.to_string()),
        }
        // A Document Signer or master-list signer of the same CSCA must not speak for it
        // here: only the key usage set aside for deviation lists counts.
        let usage = cert.extended_key_usage().unwrap_or_default();
        if !usage.iter().any(|u| u == OID_DEVIATION_LIST_SIGNING_KEY) {
            return S::NotDeviationListSigner(format!(
                "signer {} has no id-icao-DeviationListSigningKey",
                cert.subject()
            ));
        }
        if !cert.valid_at(now) {
            return S::SignerNotValid(format!("signer {} is not valid now", cert.subject()));
        }
        let Some(anchor) = anchors
            .iter()
            .find(|a| cert.may_be_issued_by(a) && cert.verify_signed_by(a).is_ok())
        else {
            return S::SignerNotTrusted(format!(
                "signer {} issued by {}",
                cert.subject(),
                cert.issuer()
            ));
        };
        match (cert.subject_country(), anchor.subject_country()) {
            (Some(s), Some(c)) if s == c => S::Verified {
                signer: cert.subject(),
                csca: anchor.subject(),
                country: s,
            },
            (s, c) => S::CountryMismatch(format!(
                "signer country {} and CSCA country {} must be the same",
                s.as_deref().unwrap_or("(none)"),
                c.as_deref().unwrap_or("(none)")
            )),
        }
    }

    /// How many descriptions the list holds of each type.
    pub fn type_counts(&self) -> Vec<(DeviationType, usize)> {
        let mut counts: Vec<(DeviationType, usize)> = Vec::new();
        for d in self.deviations.iter().flat_map(|d| &d.descriptions) {
            match counts.iter_mut().find(|(t, _)| *t == d.kind) {
                Some((_, n)) => *n += 1,
                None => counts.push((d.kind, 1)),
            }
        }
        counts.sort();
        counts
    }
}

fn parse_deviation(t: &Tlv<'_>, path: &str) -> Result<Deviation, PkiError> {
    if t.tag != tlv::SEQUENCE {
        return Err(malformed(path, "expected SEQUENCE (Deviation)"));
    }
    let parts = tlv::children_ber(t.value).map_err(|e| at(path, PkiError::from(e)))?;
    let [docs, descs] = parts.as_slice() else {
        return Err(malformed(
            path,
            "expected SEQUENCE { documents, descriptions }",
        ));
    };
    let documents = parse_documents(docs, &format!("{path}.documents"))?;
    let dpath = format!("{path}.descriptions");
    if descs.tag != tlv::SET {
        return Err(malformed(&dpath, "expected SET OF DeviationDescription"));
    }
    let items = tlv::children_ber(descs.value).map_err(|e| at(&dpath, PkiError::from(e)))?;
    if items.is_empty() {
        return Err(malformed(&dpath, "empty"));
    }
    let descriptions = items
        .iter()
        .enumerate()
        .map(|(i, d)| parse_description(d, &format!("{dpath}[{i}]")))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Deviation {
        documents,
        descriptions,
    })
}

fn parse_documents(t: &Tlv<'_>, path: &str) -> Result<DeviationDocuments, PkiError> {
    if t.tag != tlv::SEQUENCE {
        return Err(malformed(path, "expected SEQUENCE (DeviationDocuments)"));
    }
    let mut docs = DeviationDocuments {
        document_type: None,
        dsc: None,
        issued: None,
        document_numbers: None,
    };
    let mut last: Option<u32> = None;
    for f in tlv::children_ber(t.value).map_err(|e| at(path, PkiError::from(e)))? {
        // IMPLICIT TAGS: [0] 0x80, then one of the dscIdentifier alternatives [1] 0xA1,
        // [2] 0x82, [3] 0x83, then [4] 0xA4 and [5] 0xA5, each at most once and in order.
        let slot = match f.tag {
            0x80 => 0,
            0xA1 | 0x82 | 0x83 => 1,
            0xA4 => 2,
            0xA5 => 3,
            _ => return Err(malformed(path, "unexpected field")),
        };
        if last.is_some_and(|l| slot <= l) {
            return Err(malformed(path, "repeated or out-of-order field"));
        }
        last = Some(slot);
        match f.tag {
            0x80 => {
                let p = format!("{path}.documentType");
                let v = text(&f, &p)?;
                if v.chars().count() != 2 {
                    return Err(malformed(&p, "must be two characters"));
                }
                docs.document_type = Some(v);
            }
            0xA1 => {
                let p = format!("{path}.dscIdentifier.issuerAndSerialNumber");
                let parts = tlv::children_ber(f.value).map_err(|e| at(&p, PkiError::from(e)))?;
                let [issuer, serial] = parts.as_slice() else {
                    return Err(malformed(&p, "expected { issuer, serialNumber }"));
                };
                let issuer = x509_cert::name::Name::from_der(issuer.raw)
                    .map_err(|e| at(&format!("{p}.issuer"), PkiError::Der(e.to_string())))?;
                if serial.tag != tlv::INTEGER || serial.value.is_empty() {
                    return Err(malformed(&format!("{p}.serialNumber"), "expected INTEGER"));
                }
                docs.dsc = Some(DscIdentifier::IssuerSerial {
                    issuer,
                    serial: serial.value.to_vec(),
                });
            }
            0x82 | 0x83 => {
                let p = format!("{path}.dscIdentifier");
                if f.value.is_empty() {
                    return Err(malformed(&p, "empty identifier"));
                }
                docs.dsc = Some(if f.tag == 0x82 {
                    DscIdentifier::SubjectKeyId(f.value.to_vec())
                } else {
                    DscIdentifier::CertificateDigest(f.value.to_vec())
                });
            }
            0xA4 => {
                let p = format!("{path}.issuingDate");
                let parts = tlv::children_ber(f.value).map_err(|e| at(&p, PkiError::from(e)))?;
                let [first, lastd] = parts.as_slice() else {
                    return Err(malformed(&p, "expected { firstIssued, lastIssued }"));
                };
                let first = generalized(first, &format!("{p}.firstIssued"))?;
                let lastd = generalized(lastd, &format!("{p}.lastIssued"))?;
                if lastd < first {
                    return Err(malformed(&p, "lastIssued before firstIssued"));
                }
                docs.issued = Some((first, lastd));
            }
            0xA5 => {
                let p = format!("{path}.documentNumbers");
                let items = tlv::children_ber(f.value).map_err(|e| at(&p, PkiError::from(e)))?;
                let mut numbers = Vec::with_capacity(items.len());
                for (i, n) in items.iter().enumerate() {
                    let np = format!("{p}[{i}]");
                    if n.tag != 0x13 {
                        return Err(malformed(&np, "expected PrintableString"));
                    }
                    numbers.push(text(n, &np)?);
                }
                if numbers.is_empty() {
                    return Err(malformed(&p, "empty"));
                }
                docs.document_numbers = Some(numbers);
            }
            _ => return Err(malformed(path, "unexpected field")),
        }
    }
    Ok(docs)
}

fn generalized(t: &Tlv<'_>, path: &str) -> Result<IssueDate, PkiError> {
    if t.tag != 0x18 {
        return Err(malformed(path, "expected GeneralizedTime"));
    }
    let g = der::asn1::GeneralizedTime::from_der(t.raw)
        .map_err(|e| at(path, PkiError::Der(e.to_string())))?;
    let d = g.to_date_time();
    Ok(IssueDate {
        year: d.year(),
        month: d.month(),
        day: d.day(),
    })
}

fn parse_description(t: &Tlv<'_>, path: &str) -> Result<DeviationDescription, PkiError> {
    if t.tag != tlv::SEQUENCE {
        return Err(malformed(path, "expected SEQUENCE (DeviationDescription)"));
    }
    let parts = tlv::children_ber(t.value).map_err(|e| at(path, PkiError::from(e)))?;
    let mut i = 0;
    let mut description = None;
    if let Some(d) = parts
        .first()
        .filter(|d| matches!(d.tag, 0x13 | 0x0C | 0x16))
    {
        description = Some(text(d, &format!("{path}.description"))?);
        i += 1;
    }
    let tpath = format!("{path}.deviationType");
    let oid = parts
        .get(i)
        .ok_or_else(|| malformed(&tpath, "missing"))?
        .oid()
        .map_err(|e| at(&tpath, e))?;
    let kind = DeviationType::from_oid(&oid);
    i += 1;
    let mut parameter = DeviationParameter::None;
    let mut national_use = false;
    for f in &parts[i..] {
        match f.tag {
            0xA0 if parameter == DeviationParameter::None && !national_use => {
                parameter = parse_parameter(kind, f, &format!("{path}.parameters"))?;
            }
            0xA1 if !national_use => national_use = true,
            _ => return Err(malformed(path, "unexpected field after deviationType")),
        }
    }
    Ok(DeviationDescription {
        description,
        oid,
        kind,
        parameter,
        national_use,
    })
}

/// `[0] ANY DEFINED BY deviationType`: an open type, so the tag is explicit and the value is
/// one whole TLV inside it.
fn parse_parameter(
    kind: DeviationType,
    f: &Tlv<'_>,
    path: &str,
) -> Result<DeviationParameter, PkiError> {
    let (inner, rest) = tlv::parse_one_ber(f.value).map_err(|e| at(path, PkiError::from(e)))?;
    if !rest.is_empty() {
        return Err(malformed(path, "more than one value"));
    }
    if kind.takes_data_group() {
        let n = small_int(&inner, path, 21)?;
        if !matches!(n, 1..=16 | 20 | 21) {
            return Err(malformed(path, "not a data group (1–16, 20 sod, 21 com)"));
        }
        return Ok(DeviationParameter::DataGroup(n));
    }
    if kind.takes_mrz_field() {
        return Ok(DeviationParameter::MrzField(small_int(&inner, path, 9)?));
    }
    if kind.takes_cert_field() {
        return Ok(DeviationParameter::CertField(match inner.tag {
            tlv::INTEGER => CertField::Body(small_int(&inner, path, 9)?),
            tlv::OID => CertField::Extension(inner.oid().map_err(|e| at(path, e))?),
            _ => {
                return Err(malformed(
                    path,
                    "expected CertField (INTEGER or OBJECT IDENTIFIER)",
                ))
            }
        }));
    }
    Ok(DeviationParameter::Other(inner.raw.to_vec()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_round_trips_through_its_oid() {
        for t in DeviationType::all() {
            assert_eq!(DeviationType::from_oid(&t.oid()), t, "{t:?}");
        }
        // ICAO 9303-12 §10: id-Deviation-LDS-DGHashWrong is id-Deviation-LDS 2.
        assert_eq!(
            DeviationType::from_oid("2.23.136.1.1.7.2.2"),
            DeviationType::DgHashWrong
        );
        assert_eq!(
            DeviationType::from_oid("2.23.136.1.1.7.4.9"),
            DeviationType::Chip
        );
        assert_eq!(
            DeviationType::from_oid("2.23.136.1.1.7.2.22"),
            DeviationType::Unknown
        );
        assert_eq!(
            DeviationType::from_oid("2.23.136.1.1.7.1.4.1"),
            DeviationType::Unknown
        );
    }

    #[test]
    fn issue_dates_parse_only_when_whole() {
        assert_eq!(
            IssueDate::from_yyyymmdd("20240416"),
            Some(IssueDate {
                year: 2024,
                month: 4,
                day: 16
            })
        );
        for bad in [
            "2024041",
            "2024-4-16",
            "20241316",
            "20240400",
            "２０２４０４１６",
        ] {
            assert_eq!(IssueDate::from_yyyymmdd(bad), None, "{bad}");
        }
    }
}
