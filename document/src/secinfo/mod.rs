//! SecurityInfos (ICAO 9303-11 §9.2, BSI TR-03110-3 §A.1.1) from EF.CardAccess, DG14 and the
//! signed content of EF.CardSecurity.
//!
//! `SecurityInfos ::= SET OF SecurityInfo`, `SecurityInfo ::= SEQUENCE { protocol OID,
//! requiredData ANY, optionalData ANY OPTIONAL }`. Known protocols become typed values; any
//! other entry — or a known one whose body is malformed — is kept as [`SecurityInfo::Unknown`]
//! with its raw bytes, so one odd entry never hides the PACE parameters next to it.
//! Parsing never panics on any input (proptest and the `doc_secinfo` fuzz target check this).

use num_bigint::BigUint;

use crate::crypto::Cipher;
use crate::ecc::{Curve, DhGroup, DomainParams, EcPoint, EccError};

#[cfg(any(test, feature = "test-encoders"))]
mod encode;
pub mod oid;
mod parse;

#[cfg(any(test, feature = "test-encoders"))]
pub use encode::{
    encode_algorithm_identifier, encode_dh_spki_standardized, encode_ec_spki_standardized,
    encode_spki, encode_standardized_params,
};
pub use oid::named_curve_id;
pub use parse::{card_security_content, parse_algorithm_identifier, parse_spki};

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
}

#[cfg(test)]
mod tests {
    use super::*;

    const CARD_ACCESS: &[u8] = include_bytes!("../../tests/data/vsmartcard-npa-ecdh/ef_cardaccess");
    const CARD_SECURITY: &[u8] =
        include_bytes!("../../tests/data/vsmartcard-npa-ecdh/ef_cardsecurity");
    const DG14_BSI2008: &[u8] = include_bytes!("../../tests/data/jmrtd-bsi2008/Datagroup14.bin");
    const DG14_DH: &[u8] =
        include_bytes!("../../tests/data/jmrtd-misc/spec_sample_encoded_dg14.bin");

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
