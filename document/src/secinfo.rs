//! SecurityInfos (ICAO 9303-11 §9.2, BSI TR-03110-3 §A.1.1) from EF.CardAccess, DG14 and the
//! signed content of EF.CardSecurity (owner: document-pace).
//!
//! `SecurityInfos ::= SET OF SecurityInfo`, `SecurityInfo ::= SEQUENCE { protocol OID,
//! requiredData ANY, optionalData ANY OPTIONAL }`. Known protocols become typed values; any
//! other entry — or a known one whose body is malformed — is kept as [`SecurityInfo::Unknown`]
//! with its raw bytes, so one odd entry never hides the PACE parameters next to it.
//! Parsing never panics on any input (proptest and the `secinfo` fuzz target check this).

use num_bigint::BigUint;
use num_traits::One;

use crate::crypto::Cipher;
use crate::ecc::{Curve, DhGroup, DomainParams, EcPoint, EccError};
use crate::tlv;

/// Dotted object identifiers used by PACE, CA, TA and AA (ICAO 9303-11 §9.2, TR-03110-3 §A.1).
pub mod oid {
    /// bsi-de = 0.4.0.127.0.7
    pub const BSI_DE: &str = "0.4.0.127.0.7";
    /// id-PK (Chip Authentication public keys): bsi-de 2.2.1
    pub const ID_PK: &str = "0.4.0.127.0.7.2.2.1";
    /// id-PK-DH
    pub const ID_PK_DH: &str = "0.4.0.127.0.7.2.2.1.1";
    /// id-PK-ECDH
    pub const ID_PK_ECDH: &str = "0.4.0.127.0.7.2.2.1.2";
    /// id-TA
    pub const ID_TA: &str = "0.4.0.127.0.7.2.2.2";
    /// id-CA
    pub const ID_CA: &str = "0.4.0.127.0.7.2.2.3";
    /// id-CA-DH (ChipAuthenticationDomainParameterInfo)
    pub const ID_CA_DH: &str = "0.4.0.127.0.7.2.2.3.1";
    /// id-CA-ECDH (ChipAuthenticationDomainParameterInfo)
    pub const ID_CA_ECDH: &str = "0.4.0.127.0.7.2.2.3.2";
    /// id-PACE
    pub const ID_PACE: &str = "0.4.0.127.0.7.2.2.4";
    /// id-PACE-DH-GM
    pub const ID_PACE_DH_GM: &str = "0.4.0.127.0.7.2.2.4.1";
    /// id-PACE-ECDH-GM
    pub const ID_PACE_ECDH_GM: &str = "0.4.0.127.0.7.2.2.4.2";
    /// id-PACE-DH-IM
    pub const ID_PACE_DH_IM: &str = "0.4.0.127.0.7.2.2.4.3";
    /// id-PACE-ECDH-IM
    pub const ID_PACE_ECDH_IM: &str = "0.4.0.127.0.7.2.2.4.4";
    /// id-PACE-ECDH-CAM
    pub const ID_PACE_ECDH_CAM: &str = "0.4.0.127.0.7.2.2.4.6";
    /// standardizedDomainParameters (bsi-de 1.2)
    pub const STANDARDIZED_DOMAIN_PARAMETERS: &str = "0.4.0.127.0.7.1.2";
    /// id-AA (ActiveAuthenticationInfo), ICAO 2.23.136.1.1.5
    pub const ID_AA: &str = "2.23.136.1.1.5";
    /// id-ecPublicKey (X9.62)
    pub const EC_PUBLIC_KEY: &str = "1.2.840.10045.2.1";
    /// prime-field (X9.62)
    pub const PRIME_FIELD: &str = "1.2.840.10045.1.1";
    /// dhpublicnumber (X9.42)
    pub const DH_PUBLIC_NUMBER: &str = "1.2.840.10046.2.1";
    /// dhKeyAgreement (PKCS #3)
    pub const DH_KEY_AGREEMENT: &str = "1.2.840.113549.1.3.1";
    /// CMS signedData
    pub const SIGNED_DATA: &str = "1.2.840.113549.1.7.2";
}

/// Errors for input whose outer structure is not SecurityInfos.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SecInfoError {
    /// TLV structure broken.
    #[error("malformed DER: {0}")]
    Der(#[from] crate::tlv::TlvError),
    /// The outer tag is neither SET (EF.CardAccess, EF.CardSecurity content) nor 6E (DG14).
    #[error("not a SecurityInfos SET")]
    NotSecurityInfos,
    /// The CMS wrapper of EF.CardSecurity is not SignedData with an encapsulated content.
    #[error("EF.CardSecurity is not CMS SignedData with content")]
    NotSignedData,
    /// Domain parameters are not usable.
    #[error("domain parameters: {0}")]
    Params(#[from] EccError),
    /// The algorithm identifier names parameters this library does not know.
    #[error("unsupported domain parameters {0}")]
    UnsupportedParams(String),
}

/// PACE mapping (ICAO 9303-11 §4.4.3.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Mapping {
    /// Generic Mapping (GM).
    Generic,
    /// Integrated Mapping (IM).
    Integrated,
    /// Chip Authentication Mapping (CAM, ECDH only).
    ChipAuthentication,
}

/// Key agreement family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyAgreement {
    /// Finite-field Diffie-Hellman.
    Dh,
    /// Elliptic-curve Diffie-Hellman.
    Ecdh,
}

/// A PACE protocol OID decoded: mapping, key agreement and the cipher of the secure channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PaceProtocol {
    /// Mapping.
    pub mapping: Mapping,
    /// DH or ECDH.
    pub agreement: KeyAgreement,
    /// Secure-messaging cipher (also used for nonce encryption and tokens).
    pub cipher: Cipher,
}

fn cipher_from_arc(arc: &str) -> Option<Cipher> {
    match arc {
        "1" => Some(Cipher::Tdes),
        "2" => Some(Cipher::Aes128),
        "3" => Some(Cipher::Aes192),
        "4" => Some(Cipher::Aes256),
        _ => None,
    }
}

fn cipher_arc(c: Cipher) -> &'static str {
    match c {
        Cipher::Tdes => "1",
        Cipher::Aes128 => "2",
        Cipher::Aes192 => "3",
        _ => "4",
    }
}

impl PaceProtocol {
    /// Decodes `id-PACE-{DH,ECDH}-{GM,IM,CAM}-{3DES-CBC-CBC,AES-CBC-CMAC-128/192/256}`.
    /// CAM with 3DES or DH does not exist and is rejected.
    pub fn from_oid(oid: &str) -> Option<Self> {
        let rest = oid.strip_prefix(oid::ID_PACE)?.strip_prefix('.')?;
        let mut it = rest.split('.');
        let (m, c) = (it.next()?, it.next()?);
        if it.next().is_some() {
            return None;
        }
        let (mapping, agreement) = match m {
            "1" => (Mapping::Generic, KeyAgreement::Dh),
            "2" => (Mapping::Generic, KeyAgreement::Ecdh),
            "3" => (Mapping::Integrated, KeyAgreement::Dh),
            "4" => (Mapping::Integrated, KeyAgreement::Ecdh),
            "6" => (Mapping::ChipAuthentication, KeyAgreement::Ecdh),
            _ => return None,
        };
        let cipher = cipher_from_arc(c)?;
        if mapping == Mapping::ChipAuthentication && cipher == Cipher::Tdes {
            return None;
        }
        Some(PaceProtocol {
            mapping,
            agreement,
            cipher,
        })
    }

    /// The dotted OID.
    pub fn oid(&self) -> String {
        let m = match (self.mapping, self.agreement) {
            (Mapping::Generic, KeyAgreement::Dh) => "1",
            (Mapping::Generic, KeyAgreement::Ecdh) => "2",
            (Mapping::Integrated, KeyAgreement::Dh) => "3",
            (Mapping::Integrated, KeyAgreement::Ecdh) => "4",
            (Mapping::ChipAuthentication, _) => "6",
        };
        format!("{}.{}.{}", oid::ID_PACE, m, cipher_arc(self.cipher))
    }
}

/// A Chip Authentication protocol OID decoded (`id-CA-{DH,ECDH}-{3DES-CBC-CBC,AES-CBC-CMAC-*}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CaProtocol {
    /// DH or ECDH.
    pub agreement: KeyAgreement,
    /// Cipher of the restarted secure messaging.
    pub cipher: Cipher,
}

impl CaProtocol {
    /// Decodes a ChipAuthenticationInfo protocol OID.
    pub fn from_oid(oid: &str) -> Option<Self> {
        let rest = oid.strip_prefix(oid::ID_CA)?.strip_prefix('.')?;
        let mut it = rest.split('.');
        let (a, c) = (it.next()?, it.next()?);
        if it.next().is_some() {
            return None;
        }
        let agreement = match a {
            "1" => KeyAgreement::Dh,
            "2" => KeyAgreement::Ecdh,
            _ => return None,
        };
        Some(CaProtocol {
            agreement,
            cipher: cipher_from_arc(c)?,
        })
    }

    /// The dotted OID.
    pub fn oid(&self) -> String {
        let a = match self.agreement {
            KeyAgreement::Dh => "1",
            KeyAgreement::Ecdh => "2",
        };
        format!("{}.{}.{}", oid::ID_CA, a, cipher_arc(self.cipher))
    }
}

/// Domain parameters as given by an AlgorithmIdentifier: a standardized id or explicit values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DomainParameterSpec {
    /// `standardizedDomainParameters` with the ICAO id (9303-11 §9.5.1), or a named curve
    /// mapped to that id.
    Standardized(u32),
    /// Explicit parameters (X9.62 ECParameters, X9.42 DomainParameters or PKCS #3 DHParameter).
    Explicit(DomainParams),
}

impl DomainParameterSpec {
    /// The usable parameters.
    pub fn resolve(&self) -> Result<DomainParams, EccError> {
        match self {
            DomainParameterSpec::Standardized(id) => DomainParams::standardized(*id),
            DomainParameterSpec::Explicit(p) => Ok(p.clone()),
        }
    }
}

/// PACEInfo (ICAO 9303-11 §9.2.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaceInfo {
    /// Protocol OID as given.
    pub oid: String,
    /// Decoded protocol; `None` for an OID under id-PACE this library does not know.
    pub protocol: Option<PaceProtocol>,
    /// Version (2 for ICAO PACE).
    pub version: u32,
    /// Standardized parameter id, or the id of a PACEDomainParameterInfo (proprietary parameters).
    pub parameter_id: Option<u32>,
}

/// PACEDomainParameterInfo (ICAO 9303-11 §9.2.2): explicit or proprietary PACE parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaceDomainParameterInfo {
    /// id-PACE-DH-GM etc. (without cipher arc).
    pub oid: String,
    /// The parameters.
    pub parameters: DomainParameterSpec,
    /// Identifier referenced by PACEInfo.parameterId.
    pub parameter_id: Option<u32>,
}

/// ChipAuthenticationInfo (ICAO 9303-11 §9.2.5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChipAuthenticationInfo {
    /// Protocol OID as given.
    pub oid: String,
    /// Decoded protocol.
    pub protocol: Option<CaProtocol>,
    /// Version 1 or 2.
    pub version: u32,
    /// Key reference when the chip has several CA keys.
    pub key_id: Option<u32>,
}

/// ChipAuthenticationDomainParameterInfo (TR-03110-3 §A.1.1.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChipAuthenticationDomainParameterInfo {
    /// id-CA-DH or id-CA-ECDH.
    pub oid: String,
    /// The parameters.
    pub parameters: DomainParameterSpec,
    /// Key reference.
    pub key_id: Option<u32>,
}

/// A chip's static Chip Authentication public key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaPublicKey {
    /// DH: group and public value y.
    Dh {
        /// Group.
        group: DhGroup,
        /// Public value.
        y: BigUint,
    },
    /// ECDH: curve and point.
    Ec {
        /// Curve.
        curve: Curve,
        /// Point (validated on the curve).
        point: EcPoint,
    },
}

/// ChipAuthenticationPublicKeyInfo (ICAO 9303-11 §9.2.6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChipAuthenticationPublicKeyInfo {
    /// id-PK-DH or id-PK-ECDH.
    pub oid: String,
    /// The key, with its parameters resolved.
    pub public_key: CaPublicKey,
    /// The SubjectPublicKeyInfo DER bytes, as stored.
    pub spki: Vec<u8>,
    /// Key reference.
    pub key_id: Option<u32>,
}

/// TerminalAuthenticationInfo (ICAO 9303-11 §9.2.7).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TerminalAuthenticationInfo {
    /// Version.
    pub version: u32,
}

/// ActiveAuthenticationInfo (ICAO 9303-11 §9.2.8): the ECDSA signature algorithm for AA.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActiveAuthenticationInfo {
    /// Version (1).
    pub version: u32,
    /// Signature algorithm OID (e.g. ecdsa-plain-SHA256).
    pub signature_algorithm: Option<String>,
}

/// One SecurityInfo.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SecurityInfo {
    /// PACEInfo.
    Pace(PaceInfo),
    /// PACEDomainParameterInfo.
    PaceDomainParameter(PaceDomainParameterInfo),
    /// ChipAuthenticationInfo.
    ChipAuthentication(ChipAuthenticationInfo),
    /// ChipAuthenticationDomainParameterInfo.
    ChipAuthenticationDomainParameter(ChipAuthenticationDomainParameterInfo),
    /// ChipAuthenticationPublicKeyInfo.
    ChipAuthenticationPublicKey(ChipAuthenticationPublicKeyInfo),
    /// TerminalAuthenticationInfo.
    TerminalAuthentication(TerminalAuthenticationInfo),
    /// ActiveAuthenticationInfo.
    ActiveAuthentication(ActiveAuthenticationInfo),
    /// Anything else (CardInfoLocator, PrivilegedTerminalInfo, RI, ...), or a known protocol
    /// whose body did not parse: the OID and the whole SEQUENCE encoding.
    Unknown {
        /// Protocol OID (dotted), or empty when even the OID was unreadable.
        oid: String,
        /// The SecurityInfo's DER bytes.
        raw: Vec<u8>,
    },
}

/// A parsed SecurityInfos set.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SecurityInfos {
    /// The entries in file order.
    pub infos: Vec<SecurityInfo>,
}

impl SecurityInfos {
    /// Parses EF.CardAccess, the EF.CardSecurity signed content (both a bare SET) or DG14
    /// (the SET inside tag 6E).
    pub fn parse(data: &[u8]) -> Result<Self, SecInfoError> {
        let (outer, _trailing) = tlv::parse_one(data)?;
        let set = match outer.tag {
            0x31 => outer.value,
            0x6E => {
                let (inner, _) = tlv::expect(outer.value, 0x31)?;
                inner.value
            }
            _ => return Err(SecInfoError::NotSecurityInfos),
        };
        let mut infos = Vec::new();
        for item in tlv::children(set)? {
            infos.push(parse_info(&item));
        }
        Ok(SecurityInfos { infos })
    }

    /// Extracts and parses the SecurityInfos from EF.CardSecurity (CMS SignedData) *without*
    /// verifying its signature — the pki module verifies it; use this for reading only.
    pub fn parse_card_security_unverified(cms: &[u8]) -> Result<Self, SecInfoError> {
        let content = card_security_content(cms)?;
        Self::parse(content)
    }

    /// All PACEInfos whose protocol is known, in file order.
    pub fn pace_infos(&self) -> impl Iterator<Item = &PaceInfo> {
        self.infos.iter().filter_map(|i| match i {
            SecurityInfo::Pace(p) if p.protocol.is_some() => Some(p),
            _ => None,
        })
    }

    /// All ChipAuthenticationInfos.
    pub fn ca_infos(&self) -> impl Iterator<Item = &ChipAuthenticationInfo> {
        self.infos.iter().filter_map(|i| match i {
            SecurityInfo::ChipAuthentication(c) => Some(c),
            _ => None,
        })
    }

    /// All ChipAuthenticationPublicKeyInfos.
    pub fn ca_public_keys(&self) -> impl Iterator<Item = &ChipAuthenticationPublicKeyInfo> {
        self.infos.iter().filter_map(|i| match i {
            SecurityInfo::ChipAuthenticationPublicKey(c) => Some(c),
            _ => None,
        })
    }

    /// The PACEDomainParameterInfo with `parameter_id` (proprietary PACE parameters).
    pub fn pace_domain_parameters(&self, parameter_id: u32) -> Option<&PaceDomainParameterInfo> {
        self.infos.iter().find_map(|i| match i {
            SecurityInfo::PaceDomainParameter(d) if d.parameter_id == Some(parameter_id) => Some(d),
            _ => None,
        })
    }

    /// The ActiveAuthenticationInfo, if present (DG14).
    pub fn active_authentication(&self) -> Option<&ActiveAuthenticationInfo> {
        self.infos.iter().find_map(|i| match i {
            SecurityInfo::ActiveAuthentication(a) => Some(a),
            _ => None,
        })
    }

    /// Resolves the PACE domain parameters for `info`: standardized id (0–2, 8–18) or a
    /// PACEDomainParameterInfo in this set with the same id (ICAO 9303-11 §9.2.1).
    pub fn resolve_pace_parameters(&self, info: &PaceInfo) -> Result<DomainParams, SecInfoError> {
        let id = info.parameter_id.ok_or_else(|| {
            SecInfoError::UnsupportedParams("PACEInfo without parameterId".into())
        })?;
        if let Some(d) = self.pace_domain_parameters(id) {
            return Ok(d.parameters.resolve()?);
        }
        Ok(DomainParams::standardized(id)?)
    }

    /// Encodes (DER) this set, for the virtual chip's EF.CardAccess. Unknown infos are copied
    /// verbatim; typed ones are re-encoded from their fields.
    pub fn to_der(&self) -> Vec<u8> {
        let mut body = Vec::new();
        for i in &self.infos {
            body.extend_from_slice(&encode_info(i));
        }
        tlv::encode(0x31, &body)
    }
}

/// The eContent OCTET STRING of a CMS SignedData (EF.CardSecurity), unverified.
pub fn card_security_content(cms: &[u8]) -> Result<&[u8], SecInfoError> {
    let (ci, _) = tlv::expect(cms, 0x30).map_err(|_| SecInfoError::NotSignedData)?;
    let mut it = tlv::children(ci.value)?.into_iter();
    let ct = it.next().ok_or(SecInfoError::NotSignedData)?;
    if ct.tag != 0x06 || tlv::decode_oid(ct.value)? != oid::SIGNED_DATA {
        return Err(SecInfoError::NotSignedData);
    }
    let a0 = it.next().ok_or(SecInfoError::NotSignedData)?;
    if a0.tag != 0xA0 {
        return Err(SecInfoError::NotSignedData);
    }
    let (sd, _) = tlv::expect(a0.value, 0x30)?;
    let parts = tlv::children(sd.value)?;
    // version, digestAlgorithms, encapContentInfo, ...
    let eci = parts.get(2).ok_or(SecInfoError::NotSignedData)?;
    if eci.tag != 0x30 {
        return Err(SecInfoError::NotSignedData);
    }
    let eparts = tlv::children(eci.value)?;
    let ec = eparts.get(1).ok_or(SecInfoError::NotSignedData)?;
    if ec.tag != 0xA0 {
        return Err(SecInfoError::NotSignedData);
    }
    let (os, _) = tlv::expect(ec.value, 0x04)?;
    Ok(os.value)
}

fn parse_info(item: &tlv::Tlv<'_>) -> SecurityInfo {
    let unknown = |oid: String| SecurityInfo::Unknown {
        oid,
        raw: item.raw.to_vec(),
    };
    if item.tag != 0x30 {
        return unknown(String::new());
    }
    let kids = match tlv::children(item.value) {
        Ok(k) => k,
        Err(_) => return unknown(String::new()),
    };
    let oid = match kids.first() {
        Some(t) if t.tag == 0x06 => match tlv::decode_oid(t.value) {
            Ok(o) => o,
            Err(_) => return unknown(String::new()),
        },
        _ => return unknown(String::new()),
    };
    match parse_known(&oid, &kids[1..]) {
        Some(info) => info,
        None => unknown(oid),
    }
}

fn int_at(kids: &[tlv::Tlv<'_>], i: usize) -> Option<u32> {
    let t = kids.get(i)?;
    if t.tag != 0x02 {
        return None;
    }
    tlv::decode_u32(t.value).ok()
}

fn opt_int(kids: &[tlv::Tlv<'_>], i: usize) -> Result<Option<u32>, ()> {
    match kids.get(i) {
        None => Ok(None),
        Some(t) if t.tag == 0x02 => tlv::decode_u32(t.value).map(Some).map_err(|_| ()),
        Some(_) => Err(()),
    }
}

fn parse_known(oid: &str, kids: &[tlv::Tlv<'_>]) -> Option<SecurityInfo> {
    let under = |prefix: &str| {
        oid.strip_prefix(prefix)
            .is_some_and(|r| r.starts_with('.') && r.len() > 1)
    };
    if oid == oid::ID_TA {
        return Some(SecurityInfo::TerminalAuthentication(
            TerminalAuthenticationInfo {
                version: int_at(kids, 0)?,
            },
        ));
    }
    if oid == oid::ID_AA {
        let sig = match kids.get(1) {
            Some(t) if t.tag == 0x06 => Some(tlv::decode_oid(t.value).ok()?),
            _ => None,
        };
        return Some(SecurityInfo::ActiveAuthentication(
            ActiveAuthenticationInfo {
                version: int_at(kids, 0)?,
                signature_algorithm: sig,
            },
        ));
    }
    if [
        oid::ID_PACE_DH_GM,
        oid::ID_PACE_ECDH_GM,
        oid::ID_PACE_DH_IM,
        oid::ID_PACE_ECDH_IM,
        oid::ID_PACE_ECDH_CAM,
    ]
    .contains(&oid)
    {
        let params = parse_algorithm_identifier(kids.first()?).ok()?;
        return Some(SecurityInfo::PaceDomainParameter(PaceDomainParameterInfo {
            oid: oid.to_string(),
            parameters: params,
            parameter_id: opt_int(kids, 1).ok()?,
        }));
    }
    if under(oid::ID_PACE) {
        return Some(SecurityInfo::Pace(PaceInfo {
            oid: oid.to_string(),
            protocol: PaceProtocol::from_oid(oid),
            version: int_at(kids, 0)?,
            parameter_id: opt_int(kids, 1).ok()?,
        }));
    }
    if oid == oid::ID_CA_DH || oid == oid::ID_CA_ECDH {
        let params = parse_algorithm_identifier(kids.first()?).ok()?;
        return Some(SecurityInfo::ChipAuthenticationDomainParameter(
            ChipAuthenticationDomainParameterInfo {
                oid: oid.to_string(),
                parameters: params,
                key_id: opt_int(kids, 1).ok()?,
            },
        ));
    }
    if under(oid::ID_CA) {
        return Some(SecurityInfo::ChipAuthentication(ChipAuthenticationInfo {
            oid: oid.to_string(),
            protocol: CaProtocol::from_oid(oid),
            version: int_at(kids, 0)?,
            key_id: opt_int(kids, 1).ok()?,
        }));
    }
    if oid == oid::ID_PK_DH || oid == oid::ID_PK_ECDH {
        let spki = kids.first()?;
        let public_key = parse_spki(spki).ok()?;
        return Some(SecurityInfo::ChipAuthenticationPublicKey(
            ChipAuthenticationPublicKeyInfo {
                oid: oid.to_string(),
                public_key,
                spki: spki.raw.to_vec(),
                key_id: opt_int(kids, 1).ok()?,
            },
        ));
    }
    None
}

/// Maps a named-curve OID to the ICAO standardized id.
pub fn named_curve_id(oid: &str) -> Option<u32> {
    Some(match oid {
        "1.2.840.10045.3.1.1" => 8,
        "1.3.36.3.3.2.8.1.1.3" => 9,
        "1.3.132.0.33" => 10,
        "1.3.36.3.3.2.8.1.1.5" => 11,
        "1.2.840.10045.3.1.7" => 12,
        "1.3.36.3.3.2.8.1.1.7" => 13,
        "1.3.36.3.3.2.8.1.1.9" => 14,
        "1.3.132.0.34" => 15,
        "1.3.36.3.3.2.8.1.1.11" => 16,
        "1.3.36.3.3.2.8.1.1.13" => 17,
        "1.3.132.0.35" => 18,
        _ => return None,
    })
}

/// Parses an AlgorithmIdentifier naming domain parameters: standardizedDomainParameters,
/// id-ecPublicKey (named or explicit ECParameters), dhpublicnumber or dhKeyAgreement.
pub fn parse_algorithm_identifier(alg: &tlv::Tlv<'_>) -> Result<DomainParameterSpec, SecInfoError> {
    if alg.tag != 0x30 {
        return Err(SecInfoError::UnsupportedParams(
            "AlgorithmIdentifier".into(),
        ));
    }
    let kids = tlv::children(alg.value)?;
    let o = kids
        .first()
        .filter(|t| t.tag == 0x06)
        .ok_or_else(|| SecInfoError::UnsupportedParams("AlgorithmIdentifier".into()))?;
    let oid_s = tlv::decode_oid(o.value)?;
    let params = kids.get(1);
    match oid_s.as_str() {
        oid::STANDARDIZED_DOMAIN_PARAMETERS => {
            let p = params
                .filter(|t| t.tag == 0x02)
                .ok_or_else(|| SecInfoError::UnsupportedParams(oid_s.clone()))?;
            Ok(DomainParameterSpec::Standardized(tlv::decode_u32(p.value)?))
        }
        oid::EC_PUBLIC_KEY => {
            let p = params.ok_or_else(|| SecInfoError::UnsupportedParams(oid_s.clone()))?;
            match p.tag {
                0x06 => {
                    let name = tlv::decode_oid(p.value)?;
                    named_curve_id(&name)
                        .map(DomainParameterSpec::Standardized)
                        .ok_or(SecInfoError::UnsupportedParams(name))
                }
                0x30 => Ok(DomainParameterSpec::Explicit(DomainParams::Ec(
                    parse_ec_parameters(p.value)?,
                ))),
                _ => Err(SecInfoError::UnsupportedParams(oid_s)),
            }
        }
        oid::DH_PUBLIC_NUMBER | oid::DH_KEY_AGREEMENT => {
            let p = params
                .filter(|t| t.tag == 0x30)
                .ok_or_else(|| SecInfoError::UnsupportedParams(oid_s.clone()))?;
            let v = tlv::children(p.value)?;
            let get = |i: usize| -> Result<BigUint, SecInfoError> {
                let t = v
                    .get(i)
                    .filter(|t| t.tag == 0x02)
                    .ok_or_else(|| SecInfoError::UnsupportedParams("DH parameters".into()))?;
                Ok(tlv::decode_biguint(t.value)?)
            };
            let (pp, g) = (get(0)?, get(1)?);
            // X9.42 DomainParameters: p, g, q, ...; PKCS #3: p, g, privateValueLength.
            let q = if oid_s == oid::DH_PUBLIC_NUMBER {
                Some(get(2)?)
            } else {
                None
            };
            Ok(DomainParameterSpec::Explicit(DomainParams::Dh(
                DhGroup::new(pp, g, q)?,
            )))
        }
        _ => Err(SecInfoError::UnsupportedParams(oid_s)),
    }
}

/// X9.62 ECParameters: version, fieldID (prime-field, p), curve (a, b, seed?), base, order,
/// cofactor? — validated through [`Curve::new`].
fn parse_ec_parameters(value: &[u8]) -> Result<Curve, SecInfoError> {
    let bad = || SecInfoError::UnsupportedParams("ECParameters".into());
    let kids = tlv::children(value)?;
    let field = kids.get(1).filter(|t| t.tag == 0x30).ok_or_else(bad)?;
    let f = tlv::children(field.value)?;
    let ftype = f.first().filter(|t| t.tag == 0x06).ok_or_else(bad)?;
    if tlv::decode_oid(ftype.value)? != oid::PRIME_FIELD {
        return Err(SecInfoError::UnsupportedParams("non-prime field".into()));
    }
    let p = tlv::decode_biguint(f.get(1).filter(|t| t.tag == 0x02).ok_or_else(bad)?.value)?;
    let curve = kids.get(2).filter(|t| t.tag == 0x30).ok_or_else(bad)?;
    let c = tlv::children(curve.value)?;
    let a = BigUint::from_bytes_be(c.first().filter(|t| t.tag == 0x04).ok_or_else(bad)?.value);
    let b = BigUint::from_bytes_be(c.get(1).filter(|t| t.tag == 0x04).ok_or_else(bad)?.value);
    let base = kids.get(3).filter(|t| t.tag == 0x04).ok_or_else(bad)?.value;
    let n = tlv::decode_biguint(kids.get(4).filter(|t| t.tag == 0x02).ok_or_else(bad)?.value)?;
    let h = match kids.get(5) {
        Some(t) if t.tag == 0x02 => tlv::decode_biguint(t.value)?,
        _ => BigUint::one(),
    };
    // Decode the base point against a provisional curve with the same field.
    let probe = Curve {
        p: p.clone(),
        a: a.clone(),
        b: b.clone(),
        g: EcPoint {
            x: BigUint::one(),
            y: BigUint::one(),
        },
        n: n.clone(),
        h: h.clone(),
        name: None,
    };
    if p.bits() < 8 || p.bits() > 1024 {
        return Err(bad());
    }
    let g = probe.decode_point(base)?;
    Ok(Curve::new(p, a, b, g, n, h)?)
}

/// Parses a SubjectPublicKeyInfo holding a DH or EC public key (CA keys in DG14/EF.CardSecurity).
pub fn parse_spki(spki: &tlv::Tlv<'_>) -> Result<CaPublicKey, SecInfoError> {
    let bad = || SecInfoError::UnsupportedParams("SubjectPublicKeyInfo".into());
    if spki.tag != 0x30 {
        return Err(bad());
    }
    let kids = tlv::children(spki.value)?;
    let alg = kids.first().ok_or_else(bad)?;
    let bits = kids.get(1).filter(|t| t.tag == 0x03).ok_or_else(bad)?;
    let key = bits
        .value
        .split_first()
        .filter(|(u, _)| **u == 0)
        .ok_or_else(bad)?
        .1;
    match parse_algorithm_identifier(alg)?.resolve()? {
        DomainParams::Ec(curve) => {
            let point = curve.decode_point(key)?;
            Ok(CaPublicKey::Ec { curve, point })
        }
        DomainParams::Dh(group) => {
            let (y, _) = tlv::expect(key, 0x02)?;
            let y = tlv::decode_biguint(y.value)?;
            Ok(CaPublicKey::Dh { group, y })
        }
    }
}

fn encode_int(v: u32) -> Vec<u8> {
    let b = v.to_be_bytes();
    let skip = b.iter().position(|x| *x != 0).unwrap_or(3);
    let mut body = b[skip..].to_vec();
    if body[0] & 0x80 != 0 {
        body.insert(0, 0);
    }
    tlv::encode(0x02, &body)
}

fn encode_oid(o: &str) -> Vec<u8> {
    tlv::encode(0x06, &tlv::write::oid_value(o))
}

/// DER of the AlgorithmIdentifier `standardizedDomainParameters(id)`.
pub fn encode_standardized_params(id: u32) -> Vec<u8> {
    let mut b = encode_oid(oid::STANDARDIZED_DOMAIN_PARAMETERS);
    b.extend_from_slice(&encode_int(id));
    tlv::encode(0x30, &b)
}

fn encode_info(i: &SecurityInfo) -> Vec<u8> {
    let mut b = Vec::new();
    match i {
        SecurityInfo::Pace(p) => {
            b.extend(encode_oid(&p.oid));
            b.extend(encode_int(p.version));
            if let Some(id) = p.parameter_id {
                b.extend(encode_int(id));
            }
        }
        SecurityInfo::ChipAuthentication(c) => {
            b.extend(encode_oid(&c.oid));
            b.extend(encode_int(c.version));
            if let Some(id) = c.key_id {
                b.extend(encode_int(id));
            }
        }
        SecurityInfo::TerminalAuthentication(t) => {
            b.extend(encode_oid(oid::ID_TA));
            b.extend(encode_int(t.version));
        }
        SecurityInfo::ActiveAuthentication(a) => {
            b.extend(encode_oid(oid::ID_AA));
            b.extend(encode_int(a.version));
            if let Some(s) = &a.signature_algorithm {
                b.extend(encode_oid(s));
            }
        }
        SecurityInfo::ChipAuthenticationPublicKey(k) => {
            b.extend(encode_oid(&k.oid));
            b.extend_from_slice(&k.spki);
            if let Some(id) = k.key_id {
                b.extend(encode_int(id));
            }
        }
        SecurityInfo::PaceDomainParameter(d) => {
            b.extend(encode_oid(&d.oid));
            b.extend(encode_algorithm_identifier(&d.parameters));
            if let Some(id) = d.parameter_id {
                b.extend(encode_int(id));
            }
        }
        SecurityInfo::ChipAuthenticationDomainParameter(d) => {
            b.extend(encode_oid(&d.oid));
            b.extend(encode_algorithm_identifier(&d.parameters));
            if let Some(id) = d.key_id {
                b.extend(encode_int(id));
            }
        }
        SecurityInfo::Unknown { raw, .. } => return raw.clone(),
    }
    tlv::encode(0x30, &b)
}

fn encode_big(v: &BigUint) -> Vec<u8> {
    let mut b = v.to_bytes_be();
    if b.first().is_some_and(|x| x & 0x80 != 0) {
        b.insert(0, 0);
    }
    tlv::encode(0x02, &b)
}

/// DER AlgorithmIdentifier for domain parameters: `standardizedDomainParameters(id)`, or
/// explicit X9.62 ECParameters under id-ecPublicKey, or X9.42 DomainParameters (p, g, q) under
/// dhpublicnumber (PKCS #3 dhKeyAgreement with p, g when q is unknown).
pub fn encode_algorithm_identifier(spec: &DomainParameterSpec) -> Vec<u8> {
    match spec {
        DomainParameterSpec::Standardized(id) => encode_standardized_params(*id),
        DomainParameterSpec::Explicit(DomainParams::Ec(c)) => {
            let l = c.field_len();
            let mut field = encode_oid(oid::PRIME_FIELD);
            field.extend(encode_big(&c.p));
            let mut curve = tlv::encode(0x04, &crate::ecc::to_fixed(&c.a, l));
            curve.extend(tlv::encode(0x04, &crate::ecc::to_fixed(&c.b, l)));
            let mut ecp = encode_int(1);
            ecp.extend(tlv::encode(0x30, &field));
            ecp.extend(tlv::encode(0x30, &curve));
            ecp.extend(tlv::encode(0x04, &c.encode_point(&c.g)));
            ecp.extend(encode_big(&c.n));
            ecp.extend(encode_big(&c.h));
            let mut b = encode_oid(oid::EC_PUBLIC_KEY);
            b.extend(tlv::encode(0x30, &ecp));
            tlv::encode(0x30, &b)
        }
        DomainParameterSpec::Explicit(DomainParams::Dh(g)) => {
            let mut dp = encode_big(&g.p);
            dp.extend(encode_big(&g.g));
            let alg = match &g.q {
                Some(q) => {
                    dp.extend(encode_big(q));
                    oid::DH_PUBLIC_NUMBER
                }
                None => oid::DH_KEY_AGREEMENT,
            };
            let mut b = encode_oid(alg);
            b.extend(tlv::encode(0x30, &dp));
            tlv::encode(0x30, &b)
        }
    }
}

/// DER SubjectPublicKeyInfo for a CA public key with any parameters (point or DH value y).
pub fn encode_spki(spec: &DomainParameterSpec, key: &CaPublicKey) -> Vec<u8> {
    let mut bits = vec![0u8];
    match key {
        CaPublicKey::Ec { curve, point } => bits.extend(curve.encode_point(point)),
        CaPublicKey::Dh { y, .. } => bits.extend(encode_big(y)),
    }
    let mut b = encode_algorithm_identifier(spec);
    b.extend(tlv::encode(0x03, &bits));
    tlv::encode(0x30, &b)
}

/// DER SubjectPublicKeyInfo for an EC CA key on a standardized curve (id-PK-ECDH keys in
/// EF.CardSecurity / DG14 written by the document factory).
pub fn encode_ec_spki_standardized(param_id: u32, point: &[u8]) -> Vec<u8> {
    let alg = encode_standardized_params(param_id);
    let mut bits = vec![0u8];
    bits.extend_from_slice(point);
    let mut b = alg;
    b.extend(tlv::encode(0x03, &bits));
    tlv::encode(0x30, &b)
}

/// DER SubjectPublicKeyInfo for a DH CA key on a standardized group.
pub fn encode_dh_spki_standardized(param_id: u32, y: &BigUint) -> Vec<u8> {
    let alg = encode_standardized_params(param_id);
    let mut yb = y.to_bytes_be();
    if yb.first().is_some_and(|b| b & 0x80 != 0) {
        yb.insert(0, 0);
    }
    let mut bits = vec![0u8];
    bits.extend(tlv::encode(0x02, &yb));
    let mut b = alg;
    b.extend(tlv::encode(0x03, &bits));
    tlv::encode(0x30, &b)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CARD_ACCESS: &[u8] = include_bytes!("../tests/data/vsmartcard-npa-ecdh/ef_cardaccess");
    const CARD_SECURITY: &[u8] =
        include_bytes!("../tests/data/vsmartcard-npa-ecdh/ef_cardsecurity");
    const DG14_BSI2008: &[u8] = include_bytes!("../tests/data/jmrtd-bsi2008/Datagroup14.bin");
    const DG14_DH: &[u8] = include_bytes!("../tests/data/jmrtd-misc/spec_sample_encoded_dg14.bin");

    #[test]
    fn bsi_worked_example_card_access() {
        let s = SecurityInfos::parse(CARD_ACCESS).unwrap();
        let pace: Vec<_> = s.pace_infos().collect();
        assert_eq!(pace.len(), 1);
        assert_eq!(pace[0].version, 2);
        assert_eq!(pace[0].parameter_id, Some(13));
        assert_eq!(
            pace[0].protocol,
            Some(PaceProtocol {
                mapping: Mapping::Generic,
                agreement: KeyAgreement::Ecdh,
                cipher: Cipher::Aes128
            })
        );
        let ca: Vec<_> = s.ca_infos().collect();
        assert_eq!(ca[0].version, 2);
        assert_eq!(ca[0].key_id, Some(1));
        assert!(s
            .infos
            .iter()
            .any(|i| matches!(i, SecurityInfo::TerminalAuthentication(_))));
        // CardInfoLocator and PrivilegedTerminalInfo are kept.
        assert_eq!(
            s.infos
                .iter()
                .filter(|i| matches!(i, SecurityInfo::Unknown { .. }))
                .count(),
            2
        );
        assert_eq!(
            pace[0].protocol.unwrap().oid(),
            "0.4.0.127.0.7.2.2.4.2.2".to_string()
        );
        assert!(matches!(
            s.resolve_pace_parameters(pace[0]).unwrap(),
            DomainParams::Ec(_)
        ));
    }

    #[test]
    fn bsi_worked_example_card_security() {
        let s = SecurityInfos::parse_card_security_unverified(CARD_SECURITY).unwrap();
        let keys: Vec<_> = s.ca_public_keys().collect();
        assert_eq!(keys.len(), 1);
        assert_eq!(keys[0].key_id, Some(1));
        match &keys[0].public_key {
            CaPublicKey::Ec { curve, point } => {
                assert_eq!(curve.name, Some("brainpoolP256r1"));
                assert_eq!(
                    hex::encode_upper(curve.encode_point(point)),
                    "04A44EBE5451DF7AADB01E459B8C928A87746A57927C8C28A6775C97A7E1FE8D9A46FF4A1CC7E4D1389AEA19758E4F75C28C598FD734AEBEB135337CF95BE12E94"
                );
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn dg14_explicit_ec_and_dh() {
        let s = SecurityInfos::parse(DG14_BSI2008).unwrap();
        let k: Vec<_> = s.ca_public_keys().collect();
        assert!(
            matches!(&k[0].public_key, CaPublicKey::Ec { curve, .. } if curve.field_len() == 28)
        );
        let ca: Vec<_> = s.ca_infos().collect();
        assert_eq!(
            ca[0].protocol,
            Some(CaProtocol {
                agreement: KeyAgreement::Ecdh,
                cipher: Cipher::Tdes
            })
        );
        let s = SecurityInfos::parse(DG14_DH).unwrap();
        let k: Vec<_> = s.ca_public_keys().collect();
        assert!(matches!(&k[0].public_key, CaPublicKey::Dh { group, .. } if group.len() == 128));
    }

    #[test]
    fn reencode_roundtrip() {
        let s = SecurityInfos::parse(CARD_ACCESS).unwrap();
        let again = SecurityInfos::parse(&s.to_der()).unwrap();
        assert_eq!(s, again);
    }

    proptest::proptest! {
        #[test]
        fn parse_never_panics(data in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..400)) {
            let _ = SecurityInfos::parse(&data);
            let _ = SecurityInfos::parse_card_security_unverified(&data);
        }

        #[test]
        fn mutated_card_access_never_panics(pos in 0usize..201, val in proptest::prelude::any::<u8>()) {
            let mut d = CARD_ACCESS.to_vec();
            if pos < d.len() { d[pos] = val; }
            let _ = SecurityInfos::parse(&d);
        }
    }
}
