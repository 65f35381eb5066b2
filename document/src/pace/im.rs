//! PACE Integrated Mapping primitives: the pseudo-random function
//! R(s, t) of ICAO 9303-11 §4.4.3.3.2 and the ECDH point encoding of Part 11's Integrated
//! Mapping appendix (a simplified SWU / Icart-style map for p ≡ 3 mod 4, affine variant).

use num_bigint::BigUint;
use num_traits::{One, Zero};

use super::PaceError;
use crate::crypto::Cipher;
use crate::ecc::{mod_inverse, Curve, EcPoint};

// ICAO 9303-11 §4.4.3.3.2: constants c0, c1 for l = 128 and l = 256.
const C0_128: [u8; 16] = [
    0xa6, 0x68, 0x89, 0x2a, 0x7c, 0x41, 0xe3, 0xca, 0x73, 0x9f, 0x40, 0xb0, 0x57, 0xd8, 0x59, 0x04,
];
const C1_128: [u8; 16] = [
    0xa4, 0xe1, 0x36, 0xac, 0x72, 0x5f, 0x73, 0x8b, 0x01, 0xc1, 0xf6, 0x02, 0x17, 0xc1, 0x88, 0xad,
];
const C0_256: [u8; 32] = [
    0xd4, 0x63, 0xd6, 0x52, 0x34, 0x12, 0x4e, 0xf7, 0x89, 0x70, 0x54, 0x98, 0x6d, 0xca, 0x0a, 0x17,
    0x4e, 0x28, 0xdf, 0x75, 0x8c, 0xba, 0xa0, 0x3f, 0x24, 0x06, 0x16, 0x41, 0x4d, 0x5a, 0x16, 0x76,
];
const C1_256: [u8; 32] = [
    0x54, 0xbd, 0x72, 0x55, 0xf0, 0xaa, 0xf8, 0x31, 0xbe, 0xc3, 0x42, 0x3f, 0xcf, 0x39, 0xd6, 0x9b,
    0x6c, 0xbf, 0x06, 0x66, 0x77, 0xd0, 0xfa, 0xae, 0x5a, 0xad, 0xd9, 0x9d, 0xf8, 0xe5, 0x35, 0x17,
];

/// R(s, t) (ICAO 9303-11 §4.4.3.3.2): key₁ = E(t, s); for i = 1..n: keyᵢ₊₁ = E(keyᵢ, c0),
/// xᵢ = E(keyᵢ, c1), keys truncated to the cipher's key length; output x₁‖…‖xₙ with
/// n = ⌈(log₂ p + 64) / l⌉, l the bit length of s. AES only (l = 128 or 256): the 3DES
/// constants are not defined for PACE-IM in this implementation.
pub fn prf(cipher: Cipher, s: &[u8], t: &[u8], p_bits: usize) -> Result<Vec<u8>, PaceError> {
    let (c0, c1): (&[u8], &[u8]) = match s.len() {
        16 => (&C0_128, &C1_128),
        32 => (&C0_256, &C1_256),
        _ => return Err(PaceError::Unsupported("IM nonce length")),
    };
    if !cipher.is_aes() {
        return Err(PaceError::Unsupported("PACE-IM with 3DES"));
    }
    let kl = cipher.key_len();
    if t.len() != kl {
        return Err(PaceError::Malformed("IM nonce t length"));
    }
    let l = s.len() * 8;
    let n = (p_bits + 64).div_ceil(l);
    let zero = vec![0u8; cipher.block_len()];
    let mut key = cipher.encrypt_cbc(t, &zero, s)?;
    let mut out = Vec::with_capacity(n * s.len());
    for _ in 0..n {
        if key.len() < kl {
            return Err(PaceError::Unsupported("IM key shorter than cipher key"));
        }
        let k = &key[..kl];
        let next = cipher.encrypt_cbc(k, &zero, c0)?;
        out.extend(cipher.encrypt_cbc(k, &zero, c1)?);
        key = next;
    }
    Ok(out)
}

/// Maps a field element t to a curve point (9303-11 Part 11, Integrated Mapping point encoding,
/// affine variant): α = −t², X₂ = −b(1+α+α²)/(a(α+α²)), X₃ = αX₂, h₂ = X₂³+aX₂+b, U = t³h₂,
/// A = h₂^(p−1−(p+1)/4); (X₂, A·h₂) if A²h₂ = 1, else (X₃, A·U); times the cofactor.
pub fn encode_to_curve(c: &Curve, t: &BigUint) -> Result<EcPoint, PaceError> {
    let p = &c.p;
    if (p % 4u8) != BigUint::from(3u8) {
        return Err(PaceError::Unsupported(
            "IM point encoding needs p ≡ 3 mod 4",
        ));
    }
    let t = t % p;
    let neg = |v: BigUint| -> BigUint {
        if v.is_zero() {
            v
        } else {
            p - v
        }
    };
    let alpha = neg((&t * &t) % p);
    let alpha2 = (&alpha * &alpha) % p;
    let s1 = (&alpha + &alpha2) % p;
    let num = neg((&c.b * ((BigUint::one() + &s1) % p)) % p);
    let den = (&c.a * &s1) % p;
    let den_inv =
        mod_inverse(&den, p).ok_or(PaceError::Malformed("IM encoding: zero denominator"))?;
    let x2 = (num * den_inv) % p;
    let x3 = (&alpha * &x2) % p;
    let h2 = ((&x2 * &x2 % p) * &x2 + &c.a * &x2 + &c.b) % p;
    let u = ((&t * &t % p) * &t % p * &h2) % p;
    let e = (p - 1u8) - ((p + 1u8) >> 2);
    let a = h2.modpow(&e, p);
    let pt = if (&a * &a % p * &h2) % p == BigUint::one() {
        EcPoint {
            x: x2,
            y: (&a * &h2) % p,
        }
    } else {
        EcPoint {
            x: x3,
            y: (&a * &u) % p,
        }
    };
    c.validate_point(&pt)?;
    if c.h.is_one() {
        Ok(pt)
    } else {
        c.mul(&c.h, &pt)
            .ok_or(PaceError::Malformed("IM encoding at infinity"))
    }
}
