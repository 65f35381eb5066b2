//! Encoders for the LDS files (ICAO 9303-10 §4.6–4.7): the MRZ, EF.COM, DG1, DG2 (ISO/IEC
//! 19794-5 face record), DG11, DG12, DG14, DG15, EF.CardAccess and the LDS security object.

use crate::chip::PaceOffer;
use document::secinfo::oid;
use document::tlv;

use document::tlv::write as der;

/// ICAO 9303-3 §4.9 check digit: weights 7-3-1, digits as themselves, A–Z as 10–35, '<' as 0.
pub fn check_digit(field: &str) -> char {
    let sum: u32 = field
        .bytes()
        .zip([7u32, 3, 1].iter().cycle())
        .map(|(c, w)| {
            let v = match c {
                b'0'..=b'9' => u32::from(c - b'0'),
                b'A'..=b'Z' => u32::from(c - b'A') + 10,
                _ => 0,
            };
            v * w
        })
        .sum();
    char::from(b'0' + (sum % 10) as u8)
}

/// Pads or truncates `s` to `n` characters with '<'.
pub fn fill(s: &str, n: usize) -> String {
    let mut v: String = s.chars().take(n).collect();
    while v.chars().count() < n {
        v.push('<');
    }
    v
}

/// Upper-case MRZ form of a name part: letters kept, spaces and hyphens become '<'.
pub fn mrz_name(s: &str) -> String {
    s.to_uppercase()
        .chars()
        .map(|c| if c.is_ascii_uppercase() { c } else { '<' })
        .collect()
}

/// DG1 (ICAO 9303-10 §4.7.1): 61 { 5F1F MRZ characters without line breaks }.
pub fn dg1(mrz: &str) -> Vec<u8> {
    let joined: String = mrz.lines().collect();
    tlv::encode(0x61, &tlv::encode(0x5F1F, joined.as_bytes()))
}

/// EF.COM (ICAO 9303-10 §4.6.1): LDS version 1.7, Unicode 4.0.0, the data-group tag list.
pub fn ef_com(dg_tags: &[u8]) -> Vec<u8> {
    let mut v = tlv::encode(0x5F01, b"0107");
    v.extend_from_slice(&tlv::encode(0x5F36, b"040000"));
    v.extend_from_slice(&tlv::encode(0x5C, dg_tags));
    tlv::encode(0x60, &v)
}

/// Image format inside the face record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageFormat {
    /// JPEG (ISO/IEC 10918).
    Jpeg,
    /// JPEG 2000 (ISO/IEC 15444).
    Jpeg2000,
}

/// DG2 (ICAO 9303-10 §4.7.2) with one ISO/IEC 19794-5:2005 facial record.
pub fn dg2(image: &[u8], format: ImageFormat, width: u16, height: u16) -> Vec<u8> {
    // ISO/IEC 19794-5:2005 §5.4–5.7: general header, facial information, image information.
    let facial_len = 20 + 12 + image.len();
    let mut rec = Vec::with_capacity(14 + facial_len);
    rec.extend_from_slice(b"FAC\x00010\x00");
    rec.extend_from_slice(&((14 + facial_len) as u32).to_be_bytes());
    rec.extend_from_slice(&1u16.to_be_bytes());
    rec.extend_from_slice(&(facial_len as u32).to_be_bytes());
    rec.extend_from_slice(&0u16.to_be_bytes()); // feature points
    rec.extend_from_slice(&[0, 0, 0]); // gender, eye colour, hair colour: unspecified
    rec.extend_from_slice(&[0, 0, 0]); // feature mask
    rec.extend_from_slice(&[0, 0]); // expression
    rec.extend_from_slice(&[0, 0, 0, 0, 0, 0]); // pose angle and uncertainty
    rec.push(1); // face image type: full frontal
    rec.push(match format {
        ImageFormat::Jpeg => 0,
        ImageFormat::Jpeg2000 => 1,
    });
    rec.extend_from_slice(&width.to_be_bytes());
    rec.extend_from_slice(&height.to_be_bytes());
    rec.push(1); // colour space: 24-bit RGB
    rec.push(2); // source type: digital still camera
    rec.extend_from_slice(&[0, 0, 0, 0]); // device type, quality
    rec.extend_from_slice(image);
    // Biometric header template (ISO/IEC 7816-11, ICAO 9303-10 §4.7.2.1).
    let mut bht = tlv::encode(0x80, &[0x01, 0x01]);
    bht.extend_from_slice(&tlv::encode(0x81, &[0x02]));
    bht.extend_from_slice(&tlv::encode(0x82, &[0x00]));
    bht.extend_from_slice(&tlv::encode(0x87, &[0x01, 0x01]));
    bht.extend_from_slice(&tlv::encode(0x88, &[0x00, 0x08]));
    let mut bit = tlv::encode(0xA1, &bht);
    bit.extend_from_slice(&tlv::encode(0x5F2E, &rec));
    let mut group = tlv::encode(0x02, &[0x01]);
    group.extend_from_slice(&tlv::encode(0x7F60, &bit));
    tlv::encode(0x75, &tlv::encode(0x7F61, &group))
}

/// DG11 (ICAO 9303-10 §4.7.11): full name and place of birth.
pub fn dg11(full_name: &str, place_of_birth: &str) -> Vec<u8> {
    let mut v = tlv::encode(0x5C, &[0x5F, 0x0E, 0x5F, 0x11]);
    v.extend_from_slice(&tlv::encode(0x5F0E, full_name.as_bytes()));
    v.extend_from_slice(&tlv::encode(0x5F11, place_of_birth.as_bytes()));
    tlv::encode(0x6B, &v)
}

/// DG12 (ICAO 9303-10 §4.7.12): issuing authority and date of issue (YYYYMMDD).
pub fn dg12(authority: &str, date_of_issue: &str) -> Vec<u8> {
    let mut v = tlv::encode(0x5C, &[0x5F, 0x19, 0x5F, 0x26]);
    v.extend_from_slice(&tlv::encode(0x5F19, authority.as_bytes()));
    v.extend_from_slice(&tlv::encode(0x5F26, date_of_issue.as_bytes()));
    tlv::encode(0x6C, &v)
}

/// SubjectPublicKeyInfo of an EC public key on a standardized curve.
pub fn ec_spki(param_id: u32, point: &[u8]) -> Vec<u8> {
    der::seq(&[
        &der::seq(&[
            &der::oid("1.2.840.10045.2.1"),
            &der::oid(oid::named_curve_oid(param_id).unwrap_or("1.2.840.10045.3.1.7")),
        ]),
        &der::bits(point),
    ])
}

/// PACEInfo (ICAO 9303-11 §9.2.1): protocol, version 2, parameterId.
pub fn pace_info(offer: &PaceOffer) -> Vec<u8> {
    der::seq(&[
        &der::encode(0x06, &offer.oid()),
        &der::int(2),
        &der::int(u64::from(offer.param_id)),
    ])
}

/// A chip-authentication key as published in DG14 / EF.CardSecurity.
#[derive(Debug, Clone)]
pub struct CaPublic {
    /// Key id.
    pub key_id: Option<u32>,
    /// Standardized parameter id (EC only in this factory).
    pub param_id: u32,
    /// Uncompressed point.
    pub point: Vec<u8>,
}

/// ChipAuthenticationInfo (id-CA-ECDH-AES-CBC-CMAC-128, version 1) and
/// ChipAuthenticationPublicKeyInfo (id-PK-ECDH) per key (ICAO 9303-11 §9.2.5, §9.2.6).
pub fn ca_infos(keys: &[CaPublic]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for k in keys {
        let id = k.key_id.map(|i| der::int(u64::from(i))).unwrap_or_default();
        out.push(der::seq(&[
            &der::oid("0.4.0.127.0.7.2.2.3.2.2"),
            &der::int(1),
            &id,
        ]));
        out.push(der::seq(&[
            &der::oid("0.4.0.127.0.7.2.2.1.2"),
            &ec_spki(k.param_id, &k.point),
            &id,
        ]));
    }
    out
}

/// ActiveAuthenticationInfo (ICAO 9303-11 §9.2.9) for ECDSA AA: ecdsa-plain-SHA256.
pub fn aa_info() -> Vec<u8> {
    der::seq(&[
        &der::oid("2.23.136.1.1.5"),
        &der::int(1),
        &der::oid("0.4.0.127.0.7.1.1.4.1.3"),
    ])
}

/// A SET OF SecurityInfos.
pub fn security_infos(infos: &[Vec<u8>]) -> Vec<u8> {
    let refs: Vec<&[u8]> = infos.iter().map(|i| i.as_slice()).collect();
    der::set_of(&refs)
}

/// DG14 (ICAO 9303-10 §4.7.14): 6E { SecurityInfos }.
pub fn dg14(infos: &[Vec<u8>]) -> Vec<u8> {
    tlv::encode(0x6E, &security_infos(infos))
}

/// DG15 (ICAO 9303-10 §4.7.15): 6F { SubjectPublicKeyInfo }.
pub fn dg15(spki: &[u8]) -> Vec<u8> {
    tlv::encode(0x6F, spki)
}

/// LDSSecurityObject v0 (ICAO 9303-10 §4.6.2.2) with SHA-256 hashes of the data groups.
pub fn lds_security_object(hashes: &[(u8, Vec<u8>)]) -> Vec<u8> {
    let items: Vec<Vec<u8>> = hashes
        .iter()
        .map(|(n, h)| der::seq(&[&der::int(u64::from(*n)), &der::octets(h)]))
        .collect();
    let refs: Vec<&[u8]> = items.iter().map(|i| i.as_slice()).collect();
    der::seq(&[
        &der::int(0),
        &der::seq(&[&der::oid(super::pki::SHA256)]),
        &der::seq(&refs),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// ICAO 9303-3 §4.9 worked example: document number L898902C3 → 6.
    #[test]
    fn check_digits() {
        assert_eq!(check_digit("L898902C3"), '6');
        assert_eq!(check_digit("740812"), '2');
        assert_eq!(check_digit("120415"), '9');
    }
}
