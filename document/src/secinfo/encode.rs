//! DER encoders of SecurityInfos, domain parameters and chip-authentication keys, for tests
//! and the fuzz targets (feature `test-encoders`): a border build only reads SecurityInfos.

use num_bigint::BigUint;

use super::*;
use crate::tlv::{self, write};

impl SecurityInfos {
    /// Encodes (DER) this set. Unknown infos are copied
    /// verbatim; typed ones are re-encoded from their fields.
    pub fn to_der(&self) -> Vec<u8> {
        let mut body = Vec::new();
        for i in &self.infos {
            body.extend_from_slice(&encode_info(i));
        }
        tlv::encode(tlv::SET, &body)
    }
}

/// DER of the AlgorithmIdentifier `standardizedDomainParameters(id)`.
pub fn encode_standardized_params(id: u32) -> Vec<u8> {
    let mut b = write::oid(oid::STANDARDIZED_DOMAIN_PARAMETERS);
    b.extend_from_slice(&write::int(u64::from(id)));
    tlv::encode(0x30, &b)
}

fn encode_info(i: &SecurityInfo) -> Vec<u8> {
    let mut b = Vec::new();
    match i {
        SecurityInfo::Pace(p) => {
            b.extend(write::oid(&p.oid));
            b.extend(write::int(u64::from(p.version)));
            if let Some(id) = p.parameter_id {
                b.extend(write::int(u64::from(id)));
            }
        }
        SecurityInfo::ChipAuthentication(c) => {
            b.extend(write::oid(&c.oid));
            b.extend(write::int(u64::from(c.version)));
            if let Some(id) = c.key_id {
                b.extend(write::int(u64::from(id)));
            }
        }
        SecurityInfo::TerminalAuthentication(t) => {
            b.extend(write::oid(oid::ID_TA));
            b.extend(write::int(u64::from(t.version)));
        }
        SecurityInfo::ActiveAuthentication(a) => {
            b.extend(write::oid(oid::ID_AA));
            b.extend(write::int(u64::from(a.version)));
            if let Some(s) = &a.signature_algorithm {
                b.extend(write::oid(s));
            }
        }
        SecurityInfo::ChipAuthenticationPublicKey(k) => {
            b.extend(write::oid(&k.oid));
            b.extend_from_slice(&k.spki);
            if let Some(id) = k.key_id {
                b.extend(write::int(u64::from(id)));
            }
        }
        SecurityInfo::PaceDomainParameter(d) => {
            b.extend(write::oid(&d.oid));
            b.extend(encode_algorithm_identifier(&d.parameters));
            if let Some(id) = d.parameter_id {
                b.extend(write::int(u64::from(id)));
            }
        }
        SecurityInfo::ChipAuthenticationDomainParameter(d) => {
            b.extend(write::oid(&d.oid));
            b.extend(encode_algorithm_identifier(&d.parameters));
            if let Some(id) = d.key_id {
                b.extend(write::int(u64::from(id)));
            }
        }
        SecurityInfo::Unknown { raw, .. } => return raw.clone(),
    }
    tlv::encode(0x30, &b)
}

/// DER AlgorithmIdentifier for domain parameters: `standardizedDomainParameters(id)`, or
/// explicit X9.62 ECParameters under id-ecPublicKey, or X9.42 DomainParameters (p, g, q) under
/// dhpublicnumber (PKCS #3 dhKeyAgreement with p, g when q is unknown).
pub fn encode_algorithm_identifier(spec: &DomainParameterSpec) -> Vec<u8> {
    match spec {
        DomainParameterSpec::Standardized(id) => encode_standardized_params(*id),
        DomainParameterSpec::Explicit(DomainParams::Ec(c)) => {
            let l = c.field_len();
            let mut field = write::oid(oid::PRIME_FIELD);
            field.extend(write::uint(&c.p));
            let mut curve = tlv::encode(0x04, &crate::ecc::to_fixed(&c.a, l));
            curve.extend(tlv::encode(0x04, &crate::ecc::to_fixed(&c.b, l)));
            let mut ecp = write::int(1);
            ecp.extend(tlv::encode(0x30, &field));
            ecp.extend(tlv::encode(0x30, &curve));
            ecp.extend(tlv::encode(0x04, &c.encode_point(&c.g)));
            ecp.extend(write::uint(&c.n));
            ecp.extend(write::uint(&c.h));
            let mut b = write::oid(oid::EC_PUBLIC_KEY);
            b.extend(tlv::encode(0x30, &ecp));
            tlv::encode(0x30, &b)
        }
        DomainParameterSpec::Explicit(DomainParams::Dh(g)) => {
            let mut dp = write::uint(&g.p);
            dp.extend(write::uint(&g.g));
            let alg = match &g.q {
                Some(q) => {
                    dp.extend(write::uint(q));
                    oid::DH_PUBLIC_NUMBER
                }
                None => oid::DH_KEY_AGREEMENT,
            };
            let mut b = write::oid(alg);
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
        CaPublicKey::Dh { y, .. } => bits.extend(write::uint(y)),
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
