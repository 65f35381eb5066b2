//! eMRTD public key infrastructure (ICAO Doc 9303 Part 12): certificates, CMS SignedData,
//! signature verification, the CSCA store with master lists and CRLs.
//!
//! Everything here is pure Rust: RSA through the `rsa` crate, NIST P-256/P-384 through
//! `p256`/`p384`, and ECDSA on brainpool and explicit-parameter curves through [`ec`], which
//! is written by hand because no crate verifies over explicit domain parameters.

pub mod cert;
pub mod cms;
pub mod deviation;
pub mod ec;
pub mod hash;
pub mod sig;
pub mod store;

use crate::tlv::{self, Tlv, TlvError};

pub use cert::Certificate;
pub use cms::{SignedData, SignerInfo};
pub use deviation::{DeviationList, DeviationListSignature, DeviationType, TrustedDeviationList};
pub use hash::HashAlg;
pub use sig::{PublicKey, SignatureAlgorithm};
pub use store::{Crl, CrlFreshness, CscaStore, MasterList, MasterListSignature, Revocation};

/// Errors from PKI parsing and verification.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PkiError {
    /// The input is not the expected DER structure.
    #[error("malformed: {0}")]
    Malformed(&'static str),
    /// The input does not split into TLVs, or holds a malformed INTEGER or OID value.
    #[error("malformed: {0}")]
    Tlv(#[from] TlvError),
    /// The `der`/`x509-cert` decoder refused the input.
    #[error("DER decoding failed: {0}")]
    Der(String),
    /// A well-formed but unsupported algorithm or parameter.
    #[error("unsupported: {0}")]
    Unsupported(&'static str),
    /// The signature does not verify.
    #[error("signature invalid")]
    SignatureInvalid,
    /// The key type does not fit the signature algorithm.
    #[error("key type does not match the signature algorithm")]
    KeyMismatch,
    /// No anchor in the store issued this CRL (or its signature fails).
    #[error("CRL issuer not found among the CSCA certificates, or CRL signature invalid")]
    CrlIssuerUnknown,
    /// Reading a file failed.
    #[error("I/O: {0}")]
    Io(String),
    /// An error inside a named field of a trust-list file (master list, CRL), so that the
    /// report names the field as well as what is wrong with it.
    #[error("{field}: {source}")]
    InField {
        /// The ASN.1 field, e.g. `CscaMasterList.certList` or `CertificateList.tbsCertList`.
        field: &'static str,
        /// What is wrong with it.
        source: Box<PkiError>,
    },
    /// An error at a path inside a list file whose entries are numbered, e.g.
    /// `DeviationList.deviations[2].descriptions[0].parameters`.
    #[error("{path}: {source}")]
    InPath {
        /// The ASN.1 path, with entry indices.
        path: String,
        /// What is wrong there.
        source: Box<PkiError>,
    },
    /// A well-formed trust-list file that is refused (bad signature, untrusted signer …),
    /// naming the field that failed.
    #[error("{field}: {reason}")]
    Refused {
        /// The field, e.g. `SignedData.signerInfos[0].signature`.
        field: &'static str,
        /// Why.
        reason: String,
    },
}

impl PkiError {
    /// Wraps the error as one in `field` (an error already naming a field keeps its own).
    pub fn in_field(self, field: &'static str) -> PkiError {
        match self {
            e @ (PkiError::InField { .. } | PkiError::InPath { .. } | PkiError::Refused { .. }) => {
                e
            }
            e => PkiError::InField {
                field,
                source: Box::new(e),
            },
        }
    }
}

/// Reads one TLV (BER indefinite lengths accepted, as in some issuers' CMS) that must carry
/// `tag`; another tag is [`PkiError::Malformed`] naming `what`.
pub(crate) fn expect<'a>(
    input: &'a [u8],
    tag: u32,
    what: &'static str,
) -> Result<(Tlv<'a>, &'a [u8]), PkiError> {
    let (t, rest) = tlv::parse_one_ber(input)?;
    if t.tag != tag {
        return Err(PkiError::Malformed(what));
    }
    Ok((t, rest))
}
