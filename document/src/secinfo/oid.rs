//! Dotted object identifiers used by PACE, CA, TA and AA (ICAO 9303-11 §9.2, BSI TR-03110-3
//! §A.1), and the named curves behind the standardized domain parameter ids (ICAO 9303-11
//! §9.5.1, Table 6).

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

/// The named curves among the standardized domain parameters (ICAO 9303-11 §9.5.1, Table 6):
/// (parameter id, curve OID) per RFC 5480 and RFC 5639.
const NAMED_CURVES: [(u32, &str); 11] = [
    (8, "1.2.840.10045.3.1.1"),
    (9, "1.3.36.3.3.2.8.1.1.3"),
    (10, "1.3.132.0.33"),
    (11, "1.3.36.3.3.2.8.1.1.5"),
    (12, "1.2.840.10045.3.1.7"),
    (13, "1.3.36.3.3.2.8.1.1.7"),
    (14, "1.3.36.3.3.2.8.1.1.9"),
    (15, "1.3.132.0.34"),
    (16, "1.3.36.3.3.2.8.1.1.11"),
    (17, "1.3.36.3.3.2.8.1.1.13"),
    (18, "1.3.132.0.35"),
];

/// Maps a named-curve OID to the ICAO standardized id.
pub fn named_curve_id(oid: &str) -> Option<u32> {
    NAMED_CURVES
        .iter()
        .find(|(_, o)| *o == oid)
        .map(|(id, _)| *id)
}

/// The named-curve OID of a standardized EC parameter id.
pub fn named_curve_oid(id: u32) -> Option<&'static str> {
    NAMED_CURVES.iter().find(|(i, _)| *i == id).map(|(_, o)| *o)
}
