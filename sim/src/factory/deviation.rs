//! Deviation lists (ICAO 9303-12 §10) signed within a test PKI: the `DeviationList` content
//! DER-encoded under the module's IMPLICIT TAGS, wrapped in CMS SignedData with eContentType
//! id-icao-DeviationList.

use sha2::{Digest, Sha256};

use super::pki::{Cert, TestPki, SHA256};
use super::DateTime;
use document::tlv::write as der;

/// id-icao-DeviationList.
pub const DEVIATION_LIST: &str = "2.23.136.1.1.7";
/// id-icao-DeviationListSigningKey (the Deviation List Signer's extended key usage).
pub const DEVIATION_LIST_SIGNING_KEY: &str = "2.23.136.1.1.8";

/// The Document Signer criterion (`DocumentSignerIdentifier`).
#[derive(Debug, Clone)]
pub enum Dsc {
    /// `[1]` issuer and serial number of this certificate.
    IssuerSerial(Cert),
    /// `[2]` its subject key identifier.
    SubjectKeyId(Cert),
    /// `[3]` its SHA-256 digest (the list then names SHA-256 as its digestAlgorithm).
    Digest(Cert),
}

/// Which documents a deviation concerns (`DeviationDocuments`); empty fields are left out.
#[derive(Debug, Clone, Default)]
pub struct Documents {
    /// `[0]` the two-character document type.
    pub document_type: Option<String>,
    /// The Document Signer.
    pub dsc: Option<Dsc>,
    /// `[4]` the first and last date of issue.
    pub issued: Option<(DateTime, DateTime)>,
    /// `[5]` document numbers.
    pub numbers: Vec<String>,
}

/// One `DeviationDescription`.
#[derive(Debug, Clone)]
pub struct Description {
    /// The deviationType OID.
    pub oid: String,
    /// The whole DER of the parameter value, if any (placed under an explicit `[0]`).
    pub parameter: Option<Vec<u8>>,
    /// The free-text description.
    pub text: Option<String>,
}

impl Description {
    /// A description of type `arc` (the OID under id-icao-DeviationList, e.g. `"2.2"`) with an
    /// INTEGER parameter (a data group or an MRZ field) when given.
    pub fn new(arc: &str, parameter: Option<u64>) -> Self {
        Self {
            oid: format!("{DEVIATION_LIST}.{arc}"),
            parameter: parameter.map(der::int),
            text: None,
        }
    }
    /// id-Deviation-LDS-DGHashWrong for data group `dg`.
    pub fn dg_hash_wrong(dg: u8) -> Self {
        Self::new("2.2", Some(u64::from(dg)))
    }
    /// id-Deviation-CertOrKey-AAKeyCompromised.
    pub fn aa_key_compromised() -> Self {
        Self::new("1.4", None)
    }
    /// id-Deviation-LDS-SODSignatureWrong.
    pub fn sod_signature_wrong() -> Self {
        Self::new("2.3", None)
    }
    /// id-Deviation-LDS-COMInconsistent.
    pub fn com_inconsistent() -> Self {
        Self::new("2.4", None)
    }
}

/// One `Deviation`.
#[derive(Debug, Clone)]
pub struct Deviation {
    /// Which documents.
    pub documents: Documents,
    /// What is wrong with them.
    pub descriptions: Vec<Description>,
}

fn generalized(d: DateTime) -> Vec<u8> {
    der::encode(
        0x18,
        format!("{:04}{:02}{:02}000000Z", d.year, d.month, d.day).as_bytes(),
    )
}

fn documents(d: &Documents) -> (Vec<u8>, bool) {
    let mut parts: Vec<Vec<u8>> = Vec::new();
    let mut digest = false;
    if let Some(t) = &d.document_type {
        parts.push(der::encode(0x80, t.as_bytes()));
    }
    match &d.dsc {
        Some(Dsc::IssuerSerial(c)) => parts.push(der::encode(
            0xA1,
            &[c.issuer.clone(), der::int(c.serial)].concat(),
        )),
        Some(Dsc::SubjectKeyId(c)) => parts.push(der::encode(0x82, &c.key.key_id())),
        Some(Dsc::Digest(c)) => {
            digest = true;
            parts.push(der::encode(0x83, &Sha256::digest(&c.der)));
        }
        None => {}
    }
    if let Some((first, last)) = d.issued {
        parts.push(der::encode(
            0xA4,
            &[generalized(first), generalized(last)].concat(),
        ));
    }
    if !d.numbers.is_empty() {
        let n: Vec<Vec<u8>> = d.numbers.iter().map(|n| der::printable(n)).collect();
        parts.push(der::encode(0xA5, &n.concat()));
    }
    let refs: Vec<&[u8]> = parts.iter().map(|p| p.as_slice()).collect();
    (der::seq(&refs), digest)
}

fn description(d: &Description) -> Vec<u8> {
    let mut parts = Vec::new();
    if let Some(t) = &d.text {
        parts.push(der::printable(t));
    }
    parts.push(der::oid(&d.oid));
    if let Some(p) = &d.parameter {
        parts.push(der::ctx(0, p));
    }
    let refs: Vec<&[u8]> = parts.iter().map(|p| p.as_slice()).collect();
    der::seq(&refs)
}

/// The `DeviationList` content (version 0; digestAlgorithm SHA-256 when a certificate
/// digest is used).
pub fn content(deviations: &[Deviation]) -> Vec<u8> {
    let mut any_digest = false;
    let items: Vec<Vec<u8>> = deviations
        .iter()
        .map(|d| {
            let (docs, digest) = documents(&d.documents);
            any_digest |= digest;
            let descs: Vec<Vec<u8>> = d.descriptions.iter().map(description).collect();
            let refs: Vec<&[u8]> = descs.iter().map(|p| p.as_slice()).collect();
            der::seq(&[&docs, &der::set_of(&refs)])
        })
        .collect();
    let refs: Vec<&[u8]> = items.iter().map(|p| p.as_slice()).collect();
    let set = der::set_of(&refs);
    if any_digest {
        der::seq(&[&der::int(0), &der::seq(&[&der::oid(SHA256)]), &set])
    } else {
        der::seq(&[&der::int(0), &set])
    }
}

/// A deviation list of `deviations` signed by `signer`.
pub fn signed_by(deviations: &[Deviation], signer: &Cert) -> Vec<u8> {
    super::cms::signed_data(
        DEVIATION_LIST,
        &content(deviations),
        signer,
        DateTime::date(2026, 1, 1),
    )
}

impl TestPki {
    /// A deviation list of `deviations` signed by this PKI's Deviation List Signer.
    pub fn deviation_list(&self, deviations: &[Deviation]) -> Vec<u8> {
        signed_by(deviations, &self.dl_signer)
    }

    /// The sample list of `egate sim passport --pki-out`: DG11's hash declared wrong for the
    /// documents of the Document Signer `ds` (the defect of profile `bad/dg11-hash-wrong`).
    pub fn sample_deviation_list(&self) -> Vec<u8> {
        self.deviation_list(&[Deviation {
            documents: Documents {
                dsc: Some(Dsc::IssuerSerial(self.ds.clone())),
                ..Documents::default()
            },
            descriptions: vec![Description::dg_hash_wrong(11)],
        }])
    }
}
