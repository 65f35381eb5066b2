//! X.509 certificates (RFC 5280 §4.1) as used by ICAO 9303-12: CSCA, link and Document
//! Signer certificates.
//!
//! Typed fields come from the `x509-cert` crate; the signed TBSCertificate bytes are taken
//! from the input as received (RFC 5280 §4.1.1.3), never re-encoded.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use der::{Decode, Encode};
use x509_cert::ext::pkix::{
    AuthorityKeyIdentifier, BasicConstraints, ExtendedKeyUsage, SubjectKeyIdentifier,
};
use x509_cert::name::Name;

use super::hash::HashAlg;
use super::sig::{self, PublicKey, SignatureAlgorithm};
use super::PkiError;
use crate::tlv;

const OID_COUNTRY: &str = "2.5.4.6";
const OID_SKI: &str = "2.5.29.14";
const OID_AKI: &str = "2.5.29.35";
const OID_BASIC_CONSTRAINTS: &str = "2.5.29.19";
const OID_EXT_KEY_USAGE: &str = "2.5.29.37";

/// A parsed certificate that remembers its exact encoding.
#[derive(Debug, Clone)]
pub struct Certificate {
    der: Vec<u8>,
    tbs: (usize, usize),
    sig_alg_der: Vec<u8>,
    signature: Vec<u8>,
    spki_der: Vec<u8>,
    inner: x509_cert::Certificate,
}

impl PartialEq for Certificate {
    fn eq(&self, other: &Self) -> bool {
        self.der == other.der
    }
}

impl Certificate {
    /// Parses one DER certificate; trailing bytes are an error.
    pub fn from_der(der: &[u8]) -> Result<Certificate, PkiError> {
        let (outer, rest) = crate::pki::expect(der, tlv::SEQUENCE, "Certificate")?;
        if !rest.is_empty() {
            return Err(PkiError::Malformed("trailing bytes after Certificate"));
        }
        let parts = tlv::children_ber(outer.value)?;
        if parts.len() != 3 || parts[0].tag != tlv::SEQUENCE || parts[2].tag != tlv::BIT_STRING {
            return Err(PkiError::Malformed("Certificate structure"));
        }
        let inner = x509_cert::Certificate::from_der(outer.raw)
            .map_err(|e| PkiError::Der(e.to_string()))?;
        // Offsets of the TBSCertificate within `der` (it is a sub-slice of the input).
        let start = parts[0].raw.as_ptr() as usize - der.as_ptr() as usize;
        let tbs = (start, start + parts[0].raw.len());
        let signature = parts[2].value.get(1..).unwrap_or(&[]).to_vec();
        // TBSCertificate: [0] version?, serial, signature, issuer, validity, subject, spki, …
        let tbs_parts = tlv::children_ber(parts[0].value)?;
        let skip = usize::from(tbs_parts.first().map(|t| t.tag == 0xA0).unwrap_or(false));
        let spki_der = tbs_parts
            .get(skip + 5)
            .ok_or(PkiError::Malformed("TBSCertificate"))?
            .raw
            .to_vec();
        Ok(Certificate {
            der: der.to_vec(),
            tbs,
            sig_alg_der: parts[1].raw.to_vec(),
            signature,
            spki_der,
            inner,
        })
    }

    /// Parses a DER or PEM certificate.
    pub fn from_der_or_pem(bytes: &[u8]) -> Result<Certificate, PkiError> {
        if bytes.first() == Some(&0x30) {
            return Self::from_der(bytes);
        }
        let certs = Self::all_from_pem(bytes)?;
        certs
            .into_iter()
            .next()
            .ok_or(PkiError::Malformed("no certificate in PEM"))
    }

    /// Every `CERTIFICATE` block in a PEM text.
    pub fn all_from_pem(bytes: &[u8]) -> Result<Vec<Certificate>, PkiError> {
        let text =
            std::str::from_utf8(bytes).map_err(|_| PkiError::Malformed("PEM is not UTF-8"))?;
        let mut out = Vec::new();
        let mut rest = text;
        while let Some(start) = rest.find("-----BEGIN CERTIFICATE-----") {
            let after = &rest[start..];
            let end = after
                .find("-----END CERTIFICATE-----")
                .ok_or(PkiError::Malformed("PEM without END"))?;
            let block = &after[..end + "-----END CERTIFICATE-----".len()];
            let (_, der) =
                der::pem::decode_vec(block.as_bytes()).map_err(|e| PkiError::Der(e.to_string()))?;
            out.push(Self::from_der(&der)?);
            rest = &after[block.len()..];
        }
        Ok(out)
    }

    /// The certificate's DER encoding as received.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// The signed TBSCertificate bytes as received.
    pub fn tbs_der(&self) -> &[u8] {
        &self.der[self.tbs.0..self.tbs.1]
    }

    /// The `x509-cert` view of the certificate.
    pub fn x509(&self) -> &x509_cert::Certificate {
        &self.inner
    }

    /// The serial number's content octets.
    pub fn serial(&self) -> &[u8] {
        self.inner.tbs_certificate.serial_number.as_bytes()
    }

    /// The serial number in hex (for reports).
    pub fn serial_hex(&self) -> String {
        hex_upper(self.serial())
    }

    /// The subject in RFC 4514 form.
    pub fn subject(&self) -> String {
        self.inner.tbs_certificate.subject.to_string()
    }

    /// The issuer in RFC 4514 form.
    pub fn issuer(&self) -> String {
        self.inner.tbs_certificate.issuer.to_string()
    }

    /// The DER encoding of the issuer name (as decoded and re-encoded).
    pub fn issuer_name(&self) -> &Name {
        &self.inner.tbs_certificate.issuer
    }

    /// The subject name.
    pub fn subject_name(&self) -> &Name {
        &self.inner.tbs_certificate.subject
    }

    /// The subject's countryName (ICAO 9303-12 §7.1.1 requires it in CSCA and DS subjects).
    pub fn subject_country(&self) -> Option<String> {
        name_country(&self.inner.tbs_certificate.subject)
    }

    /// The issuer's countryName.
    pub fn issuer_country(&self) -> Option<String> {
        name_country(&self.inner.tbs_certificate.issuer)
    }

    /// Start of the validity period.
    pub fn not_before(&self) -> SystemTime {
        UNIX_EPOCH
            + self
                .inner
                .tbs_certificate
                .validity
                .not_before
                .to_unix_duration()
    }

    /// End of the validity period.
    pub fn not_after(&self) -> SystemTime {
        UNIX_EPOCH
            + self
                .inner
                .tbs_certificate
                .validity
                .not_after
                .to_unix_duration()
    }

    /// Whether `at` lies within the validity period (inclusive, RFC 5280 §4.1.2.5).
    pub fn valid_at(&self, at: SystemTime) -> bool {
        at >= self.not_before() && at <= self.not_after()
    }

    /// The subjectKeyIdentifier extension value, if present.
    pub fn subject_key_id(&self) -> Option<Vec<u8>> {
        let ext = self.extension(OID_SKI)?;
        SubjectKeyIdentifier::from_der(ext)
            .ok()
            .map(|s| s.0.as_bytes().to_vec())
    }

    /// The keyIdentifier of the authorityKeyIdentifier extension, if present.
    pub fn authority_key_id(&self) -> Option<Vec<u8>> {
        let ext = self.extension(OID_AKI)?;
        AuthorityKeyIdentifier::from_der(ext)
            .ok()?
            .key_identifier
            .map(|k| k.as_bytes().to_vec())
    }

    /// Whether basicConstraints marks the certificate as a CA.
    pub fn is_ca(&self) -> bool {
        self.extension(OID_BASIC_CONSTRAINTS)
            .and_then(|e| BasicConstraints::from_der(e).ok())
            .map(|b| b.ca)
            .unwrap_or(false)
    }

    /// The key purposes of the extKeyUsage extension (RFC 5280 §4.2.1.12), dotted; `None`
    /// when the extension is absent or does not parse.
    pub fn extended_key_usage(&self) -> Option<Vec<String>> {
        let ext = self.extension(OID_EXT_KEY_USAGE)?;
        ExtendedKeyUsage::from_der(ext)
            .ok()
            .map(|u| u.0.iter().map(|o| o.to_string()).collect())
    }

    fn extension(&self, oid: &str) -> Option<&[u8]> {
        self.inner
            .tbs_certificate
            .extensions
            .as_ref()?
            .iter()
            .find(|e| e.extn_id.to_string() == oid)
            .map(|e| e.extn_value.as_bytes())
    }

    /// The DER SubjectPublicKeyInfo as received.
    pub fn spki_der(&self) -> &[u8] {
        &self.spki_der
    }

    /// The subject public key.
    pub fn public_key(&self) -> Result<PublicKey, PkiError> {
        PublicKey::from_spki_der(&self.spki_der)
    }

    /// The certificate's signature algorithm.
    pub fn signature_algorithm(&self) -> Result<SignatureAlgorithm, PkiError> {
        SignatureAlgorithm::from_der(&self.sig_alg_der, None)
    }

    /// Whether subject and issuer names are equal.
    pub fn is_self_issued(&self) -> bool {
        names_match(self.subject_name(), self.issuer_name())
    }

    /// Verifies this certificate's signature with `issuer`'s public key.
    pub fn verify_signed_by(&self, issuer: &Certificate) -> Result<(), PkiError> {
        let key = issuer.public_key()?;
        self.verify_signed_by_key(&key)
    }

    /// Verifies this certificate's signature with a public key.
    pub fn verify_signed_by_key(&self, key: &PublicKey) -> Result<(), PkiError> {
        let alg = self.signature_algorithm()?;
        sig::verify(key, &alg, self.tbs_der(), &self.signature)
    }

    /// Whether `issuer` could have issued this certificate by name and key identifier
    /// (RFC 5280 §4.2.1.1); the signature is not checked here.
    pub fn may_be_issued_by(&self, issuer: &Certificate) -> bool {
        if let (Some(aki), Some(ski)) = (self.authority_key_id(), issuer.subject_key_id()) {
            if aki != ski {
                return false;
            }
        }
        names_match(self.issuer_name(), issuer.subject_name())
    }

    /// SHA-256 of the DER encoding, upper-case hex (a stable identifier for reports).
    pub fn fingerprint(&self) -> String {
        hex_upper(&HashAlg::Sha256.digest(&self.der))
    }
}

/// Name equality: DER equality after decoding (SET OF sorted), else a case-insensitive
/// comparison of the string forms (some issuers switch PrintableString/UTF8String between
/// a CSCA and its DS certificates; RFC 5280 §7.1).
pub fn names_match(a: &Name, b: &Name) -> bool {
    if a == b {
        return true;
    }
    match (a.to_der(), b.to_der()) {
        (Ok(x), Ok(y)) if x == y => true,
        _ => a.to_string().eq_ignore_ascii_case(&b.to_string()),
    }
}

/// The countryName attribute of a name, upper-cased.
pub fn name_country(name: &Name) -> Option<String> {
    for rdn in name.0.iter() {
        for atv in rdn.0.iter() {
            if atv.oid.to_string() == OID_COUNTRY {
                let bytes = atv.value.value();
                return std::str::from_utf8(bytes)
                    .ok()
                    .map(|s| s.trim().to_ascii_uppercase());
            }
        }
    }
    None
}

/// Upper-case hex of bytes.
pub fn hex_upper(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

/// Seconds since the Unix epoch (saturating at zero), for reports.
pub fn unix_secs(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_secs()
}
