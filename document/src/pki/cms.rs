//! CMS SignedData (RFC 5652 §5) as used by EF.SOD (ICAO 9303-10 §4.6.2), EF.CardSecurity
//! (BSI TR-03110-3 / 9303-11 §9.2) and CSCA master lists (9303-12 §8).
//!
//! Hand-rolled over the DER walker because the signature covers the signed attributes *as
//! received* (RFC 5652 §5.4: re-tagged from `[0] IMPLICIT` to `SET OF`), and decoders that
//! re-sort a SET OF would break signatures of issuers whose attributes are not in DER order.

use std::time::{SystemTime, UNIX_EPOCH};

use der::Decode;

use super::cert::{names_match, Certificate};
use super::hash::HashAlg;
use super::sig::{self, hash_from_alg_id, SignatureAlgorithm};
use super::PkiError;
use crate::tlv;

/// id-signedData (RFC 5652 §5.1).
pub const OID_SIGNED_DATA: &str = "1.2.840.113549.1.7.2";
/// id-icao-mrtd-security-ldsSecurityObject (ICAO 9303-10 §4.6.2).
pub const OID_LDS_SECURITY_OBJECT: &str = "2.23.136.1.1.1";
/// id-icao-cscaMasterList (ICAO 9303-12 §8.2).
pub const OID_CSCA_MASTER_LIST: &str = "2.23.136.1.1.2";
/// id-SecurityObject of EF.CardSecurity (BSI TR-03110-3 §A.1.2.6).
pub const OID_SECURITY_OBJECT: &str = "0.4.0.127.0.7.3.2.1";

const OID_CONTENT_TYPE: &str = "1.2.840.113549.1.9.3";
const OID_MESSAGE_DIGEST: &str = "1.2.840.113549.1.9.4";
const OID_SIGNING_TIME: &str = "1.2.840.113549.1.9.5";

/// How a SignerInfo names its certificate (RFC 5652 §5.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignerId {
    /// issuerAndSerialNumber: the issuer name and the serial's content octets.
    IssuerSerial {
        /// Issuer name.
        issuer: x509_cert::name::Name,
        /// Serial number content octets.
        serial: Vec<u8>,
    },
    /// subjectKeyIdentifier.
    SubjectKeyId(Vec<u8>),
}

/// One SignerInfo.
#[derive(Debug, Clone)]
pub struct SignerInfo {
    /// The signer's certificate reference.
    pub sid: SignerId,
    /// The digest algorithm (`Err` keeps the reason if unsupported).
    pub digest_alg: Result<HashAlg, PkiError>,
    /// The signed attributes re-encoded as `SET OF` (tag 0x31), exactly as signed.
    pub signed_attrs: Option<Vec<u8>>,
    /// The messageDigest attribute.
    pub message_digest: Option<Vec<u8>>,
    /// The contentType attribute (dotted OID).
    pub content_type: Option<String>,
    /// The signingTime attribute, if present.
    pub signing_time: Option<SystemTime>,
    /// The DER signatureAlgorithm.
    pub signature_alg_der: Vec<u8>,
    /// The signature value.
    pub signature: Vec<u8>,
}

/// A parsed SignedData.
#[derive(Debug, Clone)]
pub struct SignedData {
    /// eContentType (dotted OID).
    pub econtent_type: String,
    /// The encapsulated content (empty when detached).
    pub econtent: Vec<u8>,
    /// Certificates in the `certificates` field that parsed.
    pub certificates: Vec<Certificate>,
    /// Certificates in that field that did not parse (kept for reports).
    pub unparsed_certificates: usize,
    /// Signer infos.
    pub signer_infos: Vec<SignerInfo>,
}

/// Result of checking one signer.
#[derive(Debug, Clone)]
pub struct SignerCheck {
    /// Whether the messageDigest attribute equals the content digest (`None` when there are
    /// no signed attributes, in which case the signature covers the content directly).
    pub digest_matches: Option<bool>,
    /// The signature check result.
    pub signature: Result<(), PkiError>,
    /// The signature algorithm, when understood.
    pub algorithm: Option<SignatureAlgorithm>,
}

impl SignedData {
    /// Parses a `ContentInfo` carrying SignedData. An ICAO application wrapper (EF.SOD's tag
    /// `0x77`, 9303-10 §4.6.2) is removed first when present.
    pub fn from_der(input: &[u8]) -> Result<SignedData, PkiError> {
        let (first, _) = tlv::parse_one_ber(input)?;
        let content_info = if first.tag == 0x77 {
            first.value
        } else {
            first.raw
        };
        let (ci, _) = crate::pki::expect(content_info, tlv::SEQUENCE, "ContentInfo")?;
        let parts = tlv::children_ber(ci.value)?;
        if parts.len() != 2 || parts[0].oid()? != OID_SIGNED_DATA || parts[1].tag != 0xA0 {
            return Err(PkiError::Malformed("ContentInfo is not SignedData"));
        }
        let (sd, _) = crate::pki::expect(parts[1].value, tlv::SEQUENCE, "SignedData")?;
        let fields = tlv::children_ber(sd.value)?;
        // SignedData ::= SEQUENCE { version, digestAlgorithms, encapContentInfo,
        //   certificates [0] IMPLICIT OPTIONAL, crls [1] IMPLICIT OPTIONAL, signerInfos }
        if fields.len() < 4 || fields[0].tag != tlv::INTEGER || fields[1].tag != tlv::SET {
            return Err(PkiError::Malformed("SignedData fields"));
        }
        let encap = tlv::children_ber(fields[2].value)?;
        let econtent_type = tlv::Tlv::oid(
            encap
                .first()
                .ok_or(PkiError::Malformed("EncapsulatedContentInfo"))?,
        )?;
        let econtent = match encap.get(1) {
            Some(t) if t.tag == 0xA0 => octet_string_content(t.value)?,
            Some(_) => return Err(PkiError::Malformed("eContent")),
            None => Vec::new(),
        };
        let mut certificates = Vec::new();
        let mut unparsed_certificates = 0;
        let mut signer_set = None;
        for f in &fields[3..] {
            match f.tag {
                0xA0 => {
                    for c in tlv::children_ber(f.value)? {
                        match Certificate::from_der(c.raw) {
                            Ok(cert) => certificates.push(cert),
                            Err(_) => unparsed_certificates += 1,
                        }
                    }
                }
                0xA1 => {}
                tlv::SET => signer_set = Some(f.value),
                _ => return Err(PkiError::Malformed("SignedData field")),
            }
        }
        let signer_set = signer_set.ok_or(PkiError::Malformed("SignedData without signerInfos"))?;
        let signer_infos = tlv::children_ber(signer_set)?
            .iter()
            .map(parse_signer_info)
            .collect::<Result<Vec<_>, _>>()?;
        if signer_infos.is_empty() {
            return Err(PkiError::Malformed("no SignerInfo"));
        }
        Ok(SignedData {
            econtent_type,
            econtent,
            certificates,
            unparsed_certificates,
            signer_infos,
        })
    }

    /// The certificate in `certificates` that `signer` names, if any.
    pub fn signer_certificate(&self, signer: &SignerInfo) -> Option<&Certificate> {
        self.certificates.iter().find(|c| signer_matches(signer, c))
    }

    /// Checks one signer's messageDigest and signature with `cert`'s key (RFC 5652 §5.4,
    /// §5.6).
    pub fn check_signer(&self, signer: &SignerInfo, cert: &Certificate) -> SignerCheck {
        let digest_alg = match &signer.digest_alg {
            Ok(h) => *h,
            Err(e) => {
                return SignerCheck {
                    digest_matches: None,
                    signature: Err(e.clone()),
                    algorithm: None,
                }
            }
        };
        let algorithm =
            match SignatureAlgorithm::from_der(&signer.signature_alg_der, Some(digest_alg)) {
                Ok(a) => a,
                Err(e) => {
                    return SignerCheck {
                        digest_matches: None,
                        signature: Err(e),
                        algorithm: None,
                    }
                }
            };
        let key = match cert.public_key() {
            Ok(k) => k,
            Err(e) => {
                return SignerCheck {
                    digest_matches: None,
                    signature: Err(e),
                    algorithm: Some(algorithm),
                }
            }
        };
        let (digest_matches, signed) = match &signer.signed_attrs {
            Some(attrs) => {
                let content_digest = digest_alg.digest(&self.econtent);
                let ok = signer.message_digest.as_deref() == Some(content_digest.as_slice());
                (Some(ok), attrs.as_slice())
            }
            None => (None, self.econtent.as_slice()),
        };
        let signature = sig::verify(&key, &algorithm, signed, &signer.signature);
        SignerCheck {
            digest_matches,
            signature,
            algorithm: Some(algorithm),
        }
    }
}

fn signer_matches(signer: &SignerInfo, cert: &Certificate) -> bool {
    match &signer.sid {
        SignerId::IssuerSerial { issuer, serial } => {
            strip_zeros(cert.serial()) == strip_zeros(serial)
                && names_match(issuer, cert.issuer_name())
        }
        SignerId::SubjectKeyId(ski) => cert.subject_key_id().as_deref() == Some(ski.as_slice()),
    }
}

fn strip_zeros(b: &[u8]) -> &[u8] {
    let n = b.iter().take_while(|&&x| x == 0).count();
    &b[n.min(b.len().saturating_sub(1))..]
}

/// eContent `[0] EXPLICIT OCTET STRING`; a constructed OCTET STRING (BER) is concatenated.
fn octet_string_content(value: &[u8]) -> Result<Vec<u8>, PkiError> {
    let (os, _) = tlv::parse_one_ber(value)?;
    match os.tag {
        tlv::OCTET_STRING => Ok(os.value.to_vec()),
        0x24 => {
            let mut out = Vec::new();
            for seg in tlv::children_ber(os.value)? {
                if seg.tag != tlv::OCTET_STRING {
                    return Err(PkiError::Malformed("constructed OCTET STRING segment"));
                }
                out.extend_from_slice(seg.value);
            }
            Ok(out)
        }
        _ => Err(PkiError::Malformed("eContent is not an OCTET STRING")),
    }
}

fn parse_signer_info(tlv: &tlv::Tlv<'_>) -> Result<SignerInfo, PkiError> {
    if tlv.tag != tlv::SEQUENCE {
        return Err(PkiError::Malformed("SignerInfo"));
    }
    let f = tlv::children_ber(tlv.value)?;
    // SignerInfo ::= SEQUENCE { version, sid, digestAlgorithm, signedAttrs [0] OPTIONAL,
    //   signatureAlgorithm, signature, unsignedAttrs [1] OPTIONAL }
    if f.len() < 5 {
        return Err(PkiError::Malformed("SignerInfo fields"));
    }
    let sid = match f[1].tag {
        tlv::SEQUENCE => {
            let p = tlv::children_ber(f[1].value)?;
            if p.len() != 2 {
                return Err(PkiError::Malformed("IssuerAndSerialNumber"));
            }
            let issuer = x509_cert::name::Name::from_der(p[0].raw)
                .map_err(|e| PkiError::Der(e.to_string()))?;
            if p[1].tag != tlv::INTEGER {
                return Err(PkiError::Malformed("serial number"));
            }
            SignerId::IssuerSerial {
                issuer,
                serial: p[1].value.to_vec(),
            }
        }
        0x80 => SignerId::SubjectKeyId(f[1].value.to_vec()),
        _ => return Err(PkiError::Malformed("SignerIdentifier")),
    };
    let digest_alg = hash_from_alg_id(&f[2]);
    let mut idx = 3;
    let mut signed_attrs = None;
    let mut message_digest = None;
    let mut content_type = None;
    let mut signing_time = None;
    if f[idx].tag == 0xA0 {
        // RFC 5652 §5.4: the signature covers the DER of SET OF Attribute, i.e. the same
        // content octets under tag 0x31.
        // A BER indefinite-length encoding is signed as its DER form (RFC 5652 §5.4).
        let set = if f[idx].raw.get(1) == Some(&0x80) {
            tlv::encode(0x31, f[idx].value)
        } else {
            let mut set = f[idx].raw.to_vec();
            set[0] = 0x31;
            set
        };
        signed_attrs = Some(set);
        for attr in tlv::children_ber(f[idx].value)? {
            let a = tlv::children_ber(attr.value)?;
            if a.len() != 2 || a[1].tag != tlv::SET {
                return Err(PkiError::Malformed("Attribute"));
            }
            let values = tlv::children_ber(a[1].value)?;
            let Some(first) = values.first() else {
                continue;
            };
            match a[0].oid()?.as_str() {
                OID_MESSAGE_DIGEST if first.tag == tlv::OCTET_STRING => {
                    message_digest = Some(first.value.to_vec())
                }
                OID_CONTENT_TYPE => content_type = first.oid().ok(),
                OID_SIGNING_TIME => {
                    signing_time = x509_cert::time::Time::from_der(first.raw)
                        .ok()
                        .map(|t| UNIX_EPOCH + t.to_unix_duration());
                }
                _ => {}
            }
        }
        idx += 1;
    }
    let alg = f
        .get(idx)
        .ok_or(PkiError::Malformed("signatureAlgorithm"))?;
    let sigv = f.get(idx + 1).ok_or(PkiError::Malformed("signature"))?;
    if alg.tag != tlv::SEQUENCE || sigv.tag != tlv::OCTET_STRING {
        return Err(PkiError::Malformed("SignerInfo signature"));
    }
    Ok(SignerInfo {
        sid,
        digest_alg,
        signed_attrs,
        message_digest,
        content_type,
        signing_time,
        signature_alg_der: alg.raw.to_vec(),
        signature: sigv.value.to_vec(),
    })
}
