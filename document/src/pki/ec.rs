//! EC keys and ECDSA over any short-Weierstrass prime curve, named or given by explicit
//! parameters (RFC 3279 §2.3.5 / X9.62 `SpecifiedECDomain`).
//!
//! Why by hand: German CSCA keys (and many DS keys) carry *explicit* brainpool parameters,
//! which no RustCrypto curve crate accepts and OpenSSL 3 refuses. The curve arithmetic is
//! the crate's [`crate::ecc`] module (shared with PACE and Chip Authentication); this file
//! adds the ECParameters decoding, the named-curve OIDs and ECDSA itself (SEC1 v2 §4.1).
//! Verification only uses public inputs, so variable time is acceptable. Named NIST
//! P-256/P-384 keys go through the `p256`/`p384` crates instead (see `sig.rs`).

use num_bigint::BigUint;
use num_traits::{One, Zero};

use super::PkiError;
use crate::ecc::{self, Curve, EcPoint};
use crate::tlv;

/// Named-curve OIDs and their ICAO 9303-11 §9.5.1 standardized domain parameter ids
/// (RFC 5639 §4.1 for brainpool, SEC 2 for the NIST curves).
const OID_TO_ICAO_ID: &[(&str, u32)] = &[
    ("1.2.840.10045.3.1.1", 8),    // secp192r1
    ("1.3.36.3.3.2.8.1.1.3", 9),   // brainpoolP192r1
    ("1.3.132.0.33", 10),          // secp224r1
    ("1.3.36.3.3.2.8.1.1.5", 11),  // brainpoolP224r1
    ("1.2.840.10045.3.1.7", 12),   // secp256r1
    ("1.3.36.3.3.2.8.1.1.7", 13),  // brainpoolP256r1
    ("1.3.36.3.3.2.8.1.1.9", 14),  // brainpoolP320r1
    ("1.3.132.0.34", 15),          // secp384r1
    ("1.3.36.3.3.2.8.1.1.11", 16), // brainpoolP384r1
    ("1.3.36.3.3.2.8.1.1.13", 17), // brainpoolP512r1
    ("1.3.132.0.35", 18),          // secp521r1
];

/// A named curve by its OID (dotted), if known.
pub fn curve_from_oid(oid: &str) -> Option<Curve> {
    let id = OID_TO_ICAO_ID.iter().find(|(o, _)| *o == oid)?.1;
    ecc::standardized_curve(id).ok().cloned()
}

/// A named curve by name (`"brainpoolP256r1"`; NIST curves by their ecc-module names).
pub fn curve_by_name(name: &str) -> Option<Curve> {
    OID_TO_ICAO_ID
        .iter()
        .filter_map(|(_, id)| ecc::standardized_curve(*id).ok())
        .find(|c| c.name.is_some_and(|n| n.eq_ignore_ascii_case(name)))
        .cloned()
}

/// The OID of the named curve with exactly these parameters, if any (explicit parameters
/// equal to brainpoolP256r1 are recognised as such).
pub fn known_oid(curve: &Curve) -> Option<&'static str> {
    OID_TO_ICAO_ID
        .iter()
        .find(|(_, id)| {
            ecc::standardized_curve(*id).is_ok_and(|c| {
                c.p == curve.p
                    && c.a == curve.a
                    && c.b == curve.b
                    && c.g == curve.g
                    && c.n == curve.n
            })
        })
        .map(|(oid, _)| *oid)
}

/// Parses `ECParameters` (RFC 3279 §2.3.5): a `namedCurve` OID or `specifiedCurve`.
pub fn curve_from_parameters_der(der: &[u8]) -> Result<Curve, PkiError> {
    let (tlv, _) = tlv::parse_one_ber(der)?;
    match tlv.tag {
        tlv::OID => {
            let oid = tlv.oid()?;
            curve_from_oid(&oid).ok_or(PkiError::Unsupported("named curve not known"))
        }
        tlv::SEQUENCE => from_specified(tlv.value),
        _ => Err(PkiError::Malformed("ECParameters")),
    }
}

fn from_specified(value: &[u8]) -> Result<Curve, PkiError> {
    // SpecifiedECDomain ::= SEQUENCE { version, fieldID, curve, base, order, cofactor OPTIONAL }
    let parts = tlv::children_ber(value)?;
    if parts.len() < 5 {
        return Err(PkiError::Malformed("SpecifiedECDomain too short"));
    }
    let field = tlv::children_ber(parts[1].value)?;
    if field.len() != 2 || field[0].oid()? != "1.2.840.10045.1.1" {
        return Err(PkiError::Unsupported(
            "only prime-field curves are supported",
        ));
    }
    let p = BigUint::from_bytes_be(field[1].unsigned_integer()?);
    let curve_parts = tlv::children_ber(parts[2].value)?;
    if curve_parts.len() < 2
        || curve_parts[0].tag != tlv::OCTET_STRING
        || curve_parts[1].tag != tlv::OCTET_STRING
        || parts[3].tag != tlv::OCTET_STRING
    {
        return Err(PkiError::Malformed("Curve"));
    }
    let a = BigUint::from_bytes_be(curve_parts[0].value);
    let b = BigUint::from_bytes_be(curve_parts[1].value);
    let n = BigUint::from_bytes_be(parts[4].unsigned_integer()?);
    let h = match parts.get(5) {
        Some(t) if t.tag == tlv::INTEGER => BigUint::from_bytes_be(t.unsigned_integer()?),
        _ => BigUint::one(),
    };
    if p.bits() < 128 || n.bits() < 128 || p.bits() > 1024 || n.bits() > 1040 {
        return Err(PkiError::Unsupported("curve size out of range"));
    }
    // Decode the base point on a provisional curve (generator checked by `Curve::new`).
    let provisional = Curve {
        p: p.clone(),
        a: a.clone(),
        b: b.clone(),
        g: EcPoint {
            x: BigUint::zero(),
            y: BigUint::zero(),
        },
        n: n.clone(),
        h: h.clone(),
        name: None,
    };
    let g = provisional
        .decode_point(parts[3].value)
        .map_err(|_| PkiError::Malformed("base point"))?;
    let mut curve = Curve::new(p, a, b, g, n, h)
        .map_err(|_| PkiError::Malformed("inconsistent explicit EC parameters"))?;
    if let Some(oid) = known_oid(&curve) {
        curve.name = curve_from_oid(oid).and_then(|c| c.name);
    }
    Ok(curve)
}

/// Decodes a public point (SEC1 §2.3.4) and validates it on `curve`.
pub fn decode_point(curve: &Curve, bytes: &[u8]) -> Result<EcPoint, PkiError> {
    curve
        .decode_point(bytes)
        .map_err(|_| PkiError::Malformed("EC point"))
}

/// SEC1 §4.1.3 step 5: the leftmost `bitlen(n)` bits of the hash as an integer.
fn hash_to_int(curve: &Curve, digest: &[u8]) -> BigUint {
    let e = BigUint::from_bytes_be(digest);
    let hash_bits = (digest.len() as u64) * 8;
    let n_bits = curve.n.bits();
    if hash_bits > n_bits {
        e >> (hash_bits - n_bits)
    } else {
        e
    }
}

/// ECDSA verification (SEC1 v2 §4.1.4) of `(r, s)` over the message hash `digest` with
/// public point `q`. Returns `true` only for a valid signature.
pub fn ecdsa_verify(curve: &Curve, q: &EcPoint, digest: &[u8], r: &BigUint, s: &BigUint) -> bool {
    if r.is_zero()
        || s.is_zero()
        || r >= &curve.n
        || s >= &curve.n
        || curve.validate_point(q).is_err()
    {
        return false;
    }
    let e = hash_to_int(curve, digest);
    let Some(w) = ecc::mod_inverse(s, &curve.n) else {
        return false;
    };
    let u1 = &e * &w % &curve.n;
    let u2 = r * &w % &curve.n;
    let sum = match (curve.mul_g(&u1), curve.mul(&u2, q)) {
        (Some(a), Some(b)) => curve.add(&a, &b),
        (Some(a), None) | (None, Some(a)) => Some(a),
        (None, None) => None,
    };
    match sum {
        Some(pt) => (pt.x % &curve.n) == *r,
        None => false,
    }
}

/// ECDSA signing with a caller-chosen nonce `k` (for tests and the simulator's chip-side
/// Active Authentication; `k` must be secret and unique). `None` if `k` is unusable.
pub fn ecdsa_sign_with_k(
    curve: &Curve,
    d: &BigUint,
    digest: &[u8],
    k: &BigUint,
) -> Option<(BigUint, BigUint)> {
    let k = k % &curve.n;
    if k.is_zero() {
        return None;
    }
    let r = curve.mul_g(&k)?.x % &curve.n;
    if r.is_zero() {
        return None;
    }
    let e = hash_to_int(curve, digest);
    let s = ecc::mod_inverse(&k, &curve.n)? * ((e + &r * d) % &curve.n) % &curve.n;
    if s.is_zero() {
        return None;
    }
    Some((r, s))
}

/// Big-endian bytes of `v`, left-padded with zeros to `len`.
pub fn pad(v: &BigUint, len: usize) -> Vec<u8> {
    let b = v.to_bytes_be();
    if b.len() >= len {
        return b;
    }
    let mut out = vec![0u8; len - b.len()];
    out.extend_from_slice(&b);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_named_oid_resolves_to_its_curve() {
        let expect = [
            "secp192r1",
            "brainpoolP192r1",
            "secp224r1",
            "brainpoolP224r1",
            "secp256r1",
            "brainpoolP256r1",
            "brainpoolP320r1",
            "secp384r1",
            "brainpoolP384r1",
            "brainpoolP512r1",
            "secp521r1",
        ];
        for ((oid, _), name) in OID_TO_ICAO_ID.iter().zip(expect) {
            let c = curve_from_oid(oid).unwrap_or_else(|| panic!("{oid}"));
            assert_eq!(known_oid(&c), Some(*oid));
            // Names differ in spelling between tables (P-256 vs secp256r1); the bit size must agree.
            let bits: u64 = name
                .trim_start_matches(|ch: char| !ch.is_ascii_digit())
                .trim_end_matches("r1")
                .parse()
                .unwrap();
            assert_eq!(c.p.bits(), bits, "{oid} {:?}", c.name);
        }
    }

    #[test]
    fn sign_then_verify_on_brainpool() {
        let c = curve_from_oid("1.3.36.3.3.2.8.1.1.7").unwrap();
        let d = BigUint::from(123_456_789u64);
        let q = c.mul_g(&d).unwrap();
        let digest = [7u8; 32];
        let (r, s) = ecdsa_sign_with_k(&c, &d, &digest, &BigUint::from(987_654_321u64)).unwrap();
        assert!(ecdsa_verify(&c, &q, &digest, &r, &s));
        assert!(!ecdsa_verify(&c, &q, &[8u8; 32], &r, &s));
        assert_eq!(decode_point(&c, &c.encode_point(&q)).unwrap(), q);
    }
}
