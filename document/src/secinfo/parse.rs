//! The SecurityInfos parser (ICAO 9303-11 §9.2, BSI TR-03110-3 §A.1.1): every read is
//! bounds-checked through [`crate::tlv`]; a known protocol whose body is malformed becomes
//! [`SecurityInfo::Unknown`], never an error for the whole set.

use num_bigint::BigUint;
use num_traits::One;

use super::*;
use crate::tlv;

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
