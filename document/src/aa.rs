//! Active Authentication, terminal side (ICAO 9303-11 §6.1), plus the chip-side signing
//! primitives the simulator reuses.
//!
//! The terminal sends INTERNAL AUTHENTICATE with an 8-byte random challenge; the chip signs
//! it with the private key whose public half is in DG15. RSA keys use ISO/IEC 9796-2
//! digital signature scheme 1 with partial message recovery; EC keys use plain ECDSA
//! (`r‖s`, BSI TR-03111) with the hash named by ActiveAuthenticationInfo in DG14. A cloned
//! chip (same data, no private key) cannot produce a valid response: the verdict fails.

use num_bigint::BigUint;

use crate::ecc::Curve;
use crate::pa::{Check, CheckStatus};
use crate::pki::ec::{self, pad};
use crate::pki::sig::{ecdsa_verify_rs, PublicKey};
use crate::pki::{HashAlg, PkiError};

/// INS byte of INTERNAL AUTHENTICATE (ISO/IEC 7816-4 §7.5.2).
pub const INS_INTERNAL_AUTHENTICATE: u8 = 0x88;

/// Name of the check in verdicts.
pub const CHECK_NAME: &str = "active_authentication";

/// Builds the INTERNAL AUTHENTICATE command for `challenge` (9303-11 §6.1.1). `le` is the
/// expected response length: up to 256 fits a short APDU (Le = 00); longer responses
/// (RSA keys above 2048 bits) use extended length.
pub fn internal_authenticate_apdu(challenge: &[u8; 8], le: usize) -> Vec<u8> {
    let mut apdu = vec![0x00, INS_INTERNAL_AUTHENTICATE, 0x00, 0x00];
    if le <= 256 {
        apdu.push(0x08);
        apdu.extend_from_slice(challenge);
        apdu.push(if le == 256 { 0x00 } else { le as u8 });
    } else {
        // ISO/IEC 7816-4 §5.1: extended Lc (00 00 08) and extended Le (2 bytes).
        apdu.extend_from_slice(&[0x00, 0x00, 0x08]);
        apdu.extend_from_slice(challenge);
        let le = if le >= 65_536 { 0 } else { le as u16 };
        apdu.extend_from_slice(&le.to_be_bytes());
    }
    apdu
}

/// The Active Authentication public key from DG15 (`6F { SubjectPublicKeyInfo }`,
/// 9303-10 §4.7.15).
pub fn dg15_public_key(dg15: &[u8]) -> Result<PublicKey, PkiError> {
    let (outer, _) = crate::pki::expect(dg15, 0x6F, "DG15 tag 6F")?;
    PublicKey::from_spki_der(outer.value)
}

/// The AA signature hash from the signatureAlgorithm OID of ActiveAuthenticationInfo
/// (9303-11 §9.2.7: ecdsa-plain-SHA* of BSI TR-03111, or ecdsa-with-SHA*).
pub fn hash_from_aa_signature_oid(oid: &str) -> Option<HashAlg> {
    Some(match oid {
        "0.4.0.127.0.7.1.1.4.1.1" | "1.2.840.10045.4.1" => HashAlg::Sha1,
        "0.4.0.127.0.7.1.1.4.1.2" | "1.2.840.10045.4.3.1" => HashAlg::Sha224,
        "0.4.0.127.0.7.1.1.4.1.3" | "1.2.840.10045.4.3.2" => HashAlg::Sha256,
        "0.4.0.127.0.7.1.1.4.1.4" | "1.2.840.10045.4.3.3" => HashAlg::Sha384,
        "0.4.0.127.0.7.1.1.4.1.5" | "1.2.840.10045.4.3.4" => HashAlg::Sha512,
        _ => return None,
    })
}

/// The Active Authentication verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AaVerdict {
    /// The check (`active_authentication`), passed / failed / not possible with a reason
    /// code: `aa_signature_invalid`, `aa_response_malformed`, `aa_key_unsupported`.
    pub check: Check,
    /// The scheme used, e.g. `"ISO/IEC 9796-2 scheme 1, SHA-1 (trailer BC)"`.
    pub algorithm: Option<String>,
}

impl AaVerdict {
    /// Whether the chip proved possession of the DG15 private key.
    pub fn passed(&self) -> bool {
        self.check.status == CheckStatus::Passed
    }
}

/// Verifies the chip's answer to INTERNAL AUTHENTICATE (the response data, without SW).
///
/// `ecdsa_hash` is the hash from ActiveAuthenticationInfo in DG14; when absent for an EC
/// key, each SHA-2/SHA-1 hash is tried and the one that verifies is reported.
pub fn verify(
    key: &PublicKey,
    challenge: &[u8],
    response: &[u8],
    ecdsa_hash: Option<HashAlg>,
) -> AaVerdict {
    match key {
        PublicKey::Rsa { n, e } => match rsa_9796_2_verify(n, e, challenge, response) {
            Ok(hash) => AaVerdict {
                check: Check::pass(
                    CHECK_NAME,
                    format!(
                        "RSA-{} ISO/IEC 9796-2 signature over the challenge verifies",
                        n.bits()
                    ),
                ),
                algorithm: Some(format!("ISO/IEC 9796-2 scheme 1, {}", hash.name())),
            },
            Err(AaFailure::Malformed(what)) => AaVerdict {
                check: Check::fail(
                    CHECK_NAME,
                    "aa_signature_invalid",
                    format!("recovered message invalid: {what}"),
                ),
                algorithm: Some("ISO/IEC 9796-2 scheme 1".into()),
            },
            Err(AaFailure::HashMismatch(hash)) => AaVerdict {
                check: Check::fail(
                    CHECK_NAME,
                    "aa_signature_invalid",
                    "hash in the recovered message does not match",
                ),
                algorithm: Some(format!("ISO/IEC 9796-2 scheme 1, {}", hash.name())),
            },
        },
        PublicKey::Ec { curve, point } => {
            let flen = curve.order_len();
            if response.len() != 2 * flen && response.len() != 2 * curve.field_len() {
                return AaVerdict {
                    check: Check::fail(
                        CHECK_NAME,
                        "aa_response_malformed",
                        format!("ECDSA response of {} bytes", response.len()),
                    ),
                    algorithm: None,
                };
            }
            let (r, s) = response.split_at(response.len() / 2);
            let (r, s) = (BigUint::from_bytes_be(r), BigUint::from_bytes_be(s));
            let hashes: Vec<HashAlg> = match ecdsa_hash {
                Some(h) => vec![h],
                None => vec![
                    HashAlg::Sha256,
                    HashAlg::Sha1,
                    HashAlg::Sha224,
                    HashAlg::Sha384,
                    HashAlg::Sha512,
                ],
            };
            for h in &hashes {
                if ecdsa_verify_rs(curve, point, &h.digest(challenge), &r, &s).is_ok() {
                    let how = if ecdsa_hash.is_some() {
                        "from DG14"
                    } else {
                        "found by trial: no ActiveAuthenticationInfo"
                    };
                    return AaVerdict {
                        check: Check::pass(
                            CHECK_NAME,
                            format!("ECDSA {} ({how}) over the challenge verifies", h.name()),
                        ),
                        algorithm: Some(format!("ECDSA-plain {}", h.name())),
                    };
                }
            }
            AaVerdict {
                check: Check::fail(
                    CHECK_NAME,
                    "aa_signature_invalid",
                    "ECDSA signature over the challenge does not verify",
                ),
                algorithm: ecdsa_hash.map(|h| format!("ECDSA-plain {}", h.name())),
            }
        }
        #[allow(unreachable_patterns)]
        _ => AaVerdict {
            check: Check::not_possible(
                CHECK_NAME,
                "aa_key_unsupported",
                "DG15 key type not supported",
            ),
            algorithm: None,
        },
    }
}

enum AaFailure {
    Malformed(&'static str),
    HashMismatch(HashAlg),
}

/// ISO/IEC 9796-2 scheme 1 with partial recovery (9303-11 §6.1.2): recover
/// `m = 6A ‖ M1 ‖ H ‖ T` from the signature, check `H = hash(M1 ‖ challenge)`.
fn rsa_9796_2_verify(
    n: &BigUint,
    e: &BigUint,
    challenge: &[u8],
    response: &[u8],
) -> Result<HashAlg, AaFailure> {
    let k = usize::try_from(n.bits().div_ceil(8)).unwrap_or(0);
    let s = BigUint::from_bytes_be(response);
    if response.is_empty() || response.len() > k || &s >= n {
        return Err(AaFailure::Malformed("signature out of range"));
    }
    let mut m = s.modpow(e, n);
    // ISO/IEC 9796-2 §B.6 (RSA, odd e): the signer may send min(s, n−s); the representative
    // then recovers as n − m. A valid representative ends in nibble C.
    if (&m % 16u32) != BigUint::from(12u32) {
        m = n - m;
    }
    let m = pad(&m, k);
    if m.len() != k || m.last().map(|b| b & 0x0F) != Some(0x0C) {
        return Err(AaFailure::Malformed("trailer"));
    }
    // Trailer: BC = SHA-1 implicit; otherwise `hash-id CC` (ISO/IEC 10118-3 identifier).
    let (hash, t) = match m[k - 1] {
        0xBC => (HashAlg::Sha1, 1),
        0xCC => (
            HashAlg::from_iso10118_id(m[k - 2])
                .ok_or(AaFailure::Malformed("unknown hash identifier"))?,
            2,
        ),
        _ => return Err(AaFailure::Malformed("trailer")),
    };
    let hlen = hash.output_len();
    // Header: first nibble 6 (partial recovery), optional padding nibbles B, then A.
    if m[0] >> 4 != 0x6 {
        return Err(AaFailure::Malformed("header"));
    }
    let mut nib = 1usize;
    let nibble = |i: usize| {
        if i % 2 == 0 {
            m[i / 2] >> 4
        } else {
            m[i / 2] & 0x0F
        }
    };
    while nib < 2 * k && nibble(nib) == 0x0B {
        nib += 1;
    }
    if nib >= 2 * k || nibble(nib) != 0x0A || (nib + 1) % 2 != 0 {
        return Err(AaFailure::Malformed("padding"));
    }
    let start = nib.div_ceil(2);
    let end = k
        .checked_sub(t + hlen)
        .ok_or(AaFailure::Malformed("key too small for the hash"))?;
    if start > end {
        return Err(AaFailure::Malformed("key too small for the hash"));
    }
    let m1 = &m[start..end];
    let h = &m[end..k - t];
    if hash.digest_parts(&[m1, challenge]) == h {
        Ok(hash)
    } else {
        Err(AaFailure::HashMismatch(hash))
    }
}

/// Chip side: ISO/IEC 9796-2 scheme 1 signature of `challenge` with the RSA private
/// exponent `d` (9303-11 §6.1.2). `m1` fills the recoverable part and must be exactly
/// `k − 1 − hash_len − trailer_len` bytes (k = modulus bytes; the chip chooses it at
/// random). SHA-1 uses trailer `BC`, other hashes `id CC`. Variable-time: for the
/// simulator and tests, not for real chips.
pub fn rsa_9796_2_sign(
    n: &BigUint,
    d: &BigUint,
    hash: HashAlg,
    m1: &[u8],
    challenge: &[u8],
) -> Result<Vec<u8>, PkiError> {
    let k = usize::try_from(n.bits().div_ceil(8)).unwrap_or(0);
    if n.bits() % 8 != 0 {
        return Err(PkiError::Unsupported(
            "modulus length not a multiple of 8 bits",
        ));
    }
    let t = if hash == HashAlg::Sha1 { 1 } else { 2 };
    if m1.len() + 1 + hash.output_len() + t != k {
        return Err(PkiError::Malformed(
            "M1 length does not fill the representative",
        ));
    }
    let mut m = Vec::with_capacity(k);
    m.push(0x6A);
    m.extend_from_slice(m1);
    m.extend_from_slice(&hash.digest_parts(&[m1, challenge]));
    if hash == HashAlg::Sha1 {
        m.push(0xBC);
    } else {
        m.push(hash.iso10118_id());
        m.push(0xCC);
    }
    let s = BigUint::from_bytes_be(&m).modpow(d, n);
    Ok(pad(&s, k))
}

/// The M1 length [`rsa_9796_2_sign`] needs for a modulus of `modulus_bytes` bytes.
pub fn rsa_9796_2_m1_len(modulus_bytes: usize, hash: HashAlg) -> usize {
    let t = if hash == HashAlg::Sha1 { 1 } else { 2 };
    modulus_bytes.saturating_sub(1 + hash.output_len() + t)
}

/// Chip side: plain ECDSA (`r‖s`, each the order length) over `hash(challenge)` with the
/// private scalar `d` and nonce `k` (secret, unique per signature). `None` if `k` is unusable.
pub fn ecdsa_sign(
    curve: &Curve,
    d: &BigUint,
    hash: HashAlg,
    challenge: &[u8],
    k: &BigUint,
) -> Option<Vec<u8>> {
    let (r, s) = ec::ecdsa_sign_with_k(curve, d, &hash.digest(challenge), k)?;
    let l = curve.order_len();
    let mut out = pad(&r, l);
    out.extend_from_slice(&pad(&s, l));
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 1024-bit RSA key from a seeded generator (test only).
    fn test_rsa() -> (BigUint, BigUint, BigUint) {
        use rsa::traits::{PrivateKeyParts, PublicKeyParts};
        let mut rng: rand::rngs::StdRng = rand::SeedableRng::seed_from_u64(0x9E37_79B9_7F4A_7C15);
        let key = rsa::RsaPrivateKey::new(&mut rng, 1024).unwrap();
        let n = BigUint::from_bytes_be(&key.n().to_bytes_be());
        let e = BigUint::from_bytes_be(&key.e().to_bytes_be());
        let d = BigUint::from_bytes_be(&key.d().to_bytes_be());
        (n, e, d)
    }

    #[test]
    fn apdu_shapes() {
        let c = [1, 2, 3, 4, 5, 6, 7, 8];
        assert_eq!(
            internal_authenticate_apdu(&c, 256),
            [0, 0x88, 0, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8, 0]
        );
        assert_eq!(internal_authenticate_apdu(&c, 512).len(), 4 + 3 + 8 + 2);
    }

    #[test]
    fn rsa_9796_2_round_trip_and_clone_fails() {
        let (n, e, d) = test_rsa();
        let key = PublicKey::Rsa { n: n.clone(), e };
        let challenge = [0x11u8; 8];
        for hash in [HashAlg::Sha1, HashAlg::Sha256] {
            let m1 = vec![0x5Au8; rsa_9796_2_m1_len(128, hash)];
            let sig = rsa_9796_2_sign(&n, &d, hash, &m1, &challenge).unwrap();
            let v = verify(&key, &challenge, &sig, None);
            assert!(v.passed(), "{v:?}");
            // n − s is accepted too (ISO/IEC 9796-2 §B.6).
            let alt = pad(&(&n - BigUint::from_bytes_be(&sig)), 128);
            assert!(verify(&key, &challenge, &alt, None).passed());
            // A different challenge (a replayed answer) fails.
            let v = verify(&key, &[0x22u8; 8], &sig, None);
            assert_eq!(v.check.reason, Some("aa_signature_invalid"));
        }
        // A cloned chip without the key answers with something else.
        let v = verify(&key, &challenge, &[0x42u8; 128], None);
        assert_eq!(
            (v.check.status, v.check.reason),
            (CheckStatus::Failed, Some("aa_signature_invalid"))
        );
    }

    #[test]
    fn ecdsa_round_trip_on_brainpool() {
        let curve = ec::curve_by_name("brainpoolP256r1").unwrap();
        let d = BigUint::from(0x1234_5678_9ABC_DEF0u64);
        let q = curve.mul_g(&d).unwrap();
        let key = PublicKey::Ec {
            curve: Box::new(curve.clone()),
            point: q,
        };
        let challenge = [9u8; 8];
        let sig = ecdsa_sign(
            &curve,
            &d,
            HashAlg::Sha256,
            &challenge,
            &BigUint::from(77_777u32),
        )
        .unwrap();
        assert!(verify(&key, &challenge, &sig, Some(HashAlg::Sha256)).passed());
        assert!(verify(&key, &challenge, &sig, None).passed());
        assert!(!verify(&key, &[8u8; 8], &sig, Some(HashAlg::Sha256)).passed());
        assert_eq!(
            verify(&key, &challenge, &sig[..10], None).check.reason,
            Some("aa_response_malformed")
        );
    }

    #[test]
    fn specimen_dg15_keys_parse() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
        for f in ["jmrtd-loes2006/ef010F.bin", "jmrtd-bsi2008/Datagroup15.bin"] {
            let bytes = std::fs::read(dir.join(f)).unwrap();
            let key = dg15_public_key(&bytes).unwrap();
            assert!(
                matches!(key, PublicKey::Rsa { .. }),
                "{f}: {}",
                key.describe()
            );
        }
    }
}
