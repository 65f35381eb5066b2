//! Public keys from SubjectPublicKeyInfo and signature verification: RSA PKCS#1 v1.5 and
//! RSASSA-PSS (RFC 8017 §8), ECDSA (X9.62 DER and BSI TR-03111 plain `r‖s`).

use num_bigint::BigUint;
use rsa::{Pkcs1v15Sign, RsaPublicKey};

use super::ec;
use super::hash::HashAlg;
use super::PkiError;
use crate::ecc::{Curve, EcPoint};
use crate::tlv;

/// A public key taken from a certificate or from DG15.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PublicKey {
    /// RSA (RFC 8017 §3.1): modulus and public exponent.
    Rsa {
        /// Modulus n.
        n: BigUint,
        /// Public exponent e.
        e: BigUint,
    },
    /// An EC point on a (named or explicit) prime curve.
    Ec {
        /// The curve domain parameters.
        curve: Box<Curve>,
        /// The public point Q.
        point: EcPoint,
    },
}

const OID_RSA: &str = "1.2.840.113549.1.1.1";
const OID_RSA_PSS: &str = "1.2.840.113549.1.1.10";
const OID_EC_PUBLIC_KEY: &str = "1.2.840.10045.2.1";
const OID_MGF1: &str = "1.2.840.113549.1.1.8";

impl PublicKey {
    /// Parses a DER `SubjectPublicKeyInfo` (RFC 5280 §4.1.2.7). EC keys may carry named or
    /// explicit parameters (RFC 3279 §2.3.5); ICAO 9303-12 §4.4 allows both.
    pub fn from_spki_der(der: &[u8]) -> Result<PublicKey, PkiError> {
        let (spki, _) = crate::pki::expect(der, tlv::SEQUENCE, "SubjectPublicKeyInfo")?;
        let parts = tlv::children_ber(spki.value)?;
        if parts.len() != 2 || parts[0].tag != tlv::SEQUENCE || parts[1].tag != tlv::BIT_STRING {
            return Err(PkiError::Malformed("SubjectPublicKeyInfo"));
        }
        let (oid, alg) = algorithm_identifier(&parts[0], "AlgorithmIdentifier")?;
        let bits = parts[1].value.split_first().map(|(_, b)| b).unwrap_or(&[]);
        match oid.as_str() {
            OID_RSA | OID_RSA_PSS => Self::rsa_from_pkcs1(bits),
            OID_EC_PUBLIC_KEY => {
                let params = alg
                    .get(1)
                    .ok_or(PkiError::Malformed("EC key without parameters"))?;
                let curve = ec::curve_from_parameters_der(params.raw)?;
                let point = ec::decode_point(&curve, bits)?;
                Ok(PublicKey::Ec {
                    curve: Box::new(curve),
                    point,
                })
            }
            _ => Err(PkiError::Unsupported("public key algorithm")),
        }
    }

    /// Parses a PKCS#1 `RSAPublicKey ::= SEQUENCE { modulus, publicExponent }`.
    pub fn rsa_from_pkcs1(der: &[u8]) -> Result<PublicKey, PkiError> {
        let (seq, _) = crate::pki::expect(der, tlv::SEQUENCE, "RSAPublicKey")?;
        let parts = tlv::children_ber(seq.value)?;
        if parts.len() != 2 {
            return Err(PkiError::Malformed("RSAPublicKey"));
        }
        let n = BigUint::from_bytes_be(parts[0].unsigned_integer()?);
        let e = BigUint::from_bytes_be(parts[1].unsigned_integer()?);
        if n.bits() < 512 || e < BigUint::from(3u32) {
            return Err(PkiError::Unsupported("RSA key too small"));
        }
        Ok(PublicKey::Rsa { n, e })
    }

    /// A short description for reports (`"RSA-2048"`, `"EC brainpoolP256r1"`, `"EC explicit
    /// brainpoolP256r1"`).
    pub fn describe(&self) -> String {
        match self {
            PublicKey::Rsa { n, .. } => format!("RSA-{}", n.bits()),
            PublicKey::Ec { curve, .. } => match curve.name {
                Some(name) => format!("EC {name}"),
                None => format!("EC explicit {}-bit", curve.p.bits()),
            },
        }
    }

    fn rsa_key(&self) -> Result<RsaPublicKey, PkiError> {
        match self {
            PublicKey::Rsa { n, e } => RsaPublicKey::new_with_max_size(
                rsa::BigUint::from_bytes_be(&n.to_bytes_be()),
                rsa::BigUint::from_bytes_be(&e.to_bytes_be()),
                16384,
            )
            .map_err(|_| PkiError::Unsupported("RSA key rejected")),
            PublicKey::Ec { .. } => Err(PkiError::KeyMismatch),
        }
    }
}

/// A signature algorithm with its hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SignatureAlgorithm {
    /// RSASSA-PKCS1-v1_5 (RFC 8017 §8.2).
    RsaPkcs1(HashAlg),
    /// RSASSA-PSS (RFC 8017 §8.1) with MGF1.
    RsaPss {
        /// Message hash.
        hash: HashAlg,
        /// Hash used by MGF1.
        mgf_hash: HashAlg,
        /// Salt length in bytes.
        salt_len: usize,
    },
    /// ECDSA with a DER `Ecdsa-Sig-Value` (X9.62, RFC 3279 §2.2.3).
    Ecdsa(HashAlg),
    /// ECDSA with a plain `r‖s` signature (BSI TR-03111 §5.2.1, ecdsa-plain-*).
    EcdsaPlain(HashAlg),
}

impl SignatureAlgorithm {
    /// The hash this algorithm uses.
    pub fn hash(&self) -> HashAlg {
        match *self {
            Self::RsaPkcs1(h) | Self::Ecdsa(h) | Self::EcdsaPlain(h) => h,
            Self::RsaPss { hash, .. } => hash,
        }
    }

    /// A short name for reports.
    pub fn describe(&self) -> String {
        match self {
            Self::RsaPkcs1(h) => format!("RSA PKCS#1 v1.5 {}", h.name()),
            Self::RsaPss { hash, salt_len, .. } => {
                format!("RSASSA-PSS {} salt {salt_len}", hash.name())
            }
            Self::Ecdsa(h) => format!("ECDSA {}", h.name()),
            Self::EcdsaPlain(h) => format!("ECDSA-plain {}", h.name()),
        }
    }

    /// Parses a DER `AlgorithmIdentifier`. `digest` is the CMS `digestAlgorithm`, used when
    /// the signature OID names only the key type (`rsaEncryption`, `id-ecPublicKey`), as
    /// RFC 5754 §3 and many issuers do.
    pub fn from_der(der: &[u8], digest: Option<HashAlg>) -> Result<SignatureAlgorithm, PkiError> {
        let (seq, _) = crate::pki::expect(der, tlv::SEQUENCE, "AlgorithmIdentifier")?;
        let (oid, parts) = algorithm_identifier(&seq, "AlgorithmIdentifier")?;
        let need = |d: Option<HashAlg>| {
            d.ok_or(PkiError::Unsupported("signature algorithm without a hash"))
        };
        Ok(match oid.as_str() {
            OID_RSA => Self::RsaPkcs1(need(digest)?),
            "1.2.840.113549.1.1.5" => Self::RsaPkcs1(HashAlg::Sha1),
            "1.2.840.113549.1.1.14" => Self::RsaPkcs1(HashAlg::Sha224),
            "1.2.840.113549.1.1.11" => Self::RsaPkcs1(HashAlg::Sha256),
            "1.2.840.113549.1.1.12" => Self::RsaPkcs1(HashAlg::Sha384),
            "1.2.840.113549.1.1.13" => Self::RsaPkcs1(HashAlg::Sha512),
            OID_RSA_PSS => Self::pss_params(parts.get(1))?,
            OID_EC_PUBLIC_KEY => Self::Ecdsa(need(digest)?),
            "1.2.840.10045.4.1" => Self::Ecdsa(HashAlg::Sha1),
            "1.2.840.10045.4.3.1" => Self::Ecdsa(HashAlg::Sha224),
            "1.2.840.10045.4.3.2" => Self::Ecdsa(HashAlg::Sha256),
            "1.2.840.10045.4.3.3" => Self::Ecdsa(HashAlg::Sha384),
            "1.2.840.10045.4.3.4" => Self::Ecdsa(HashAlg::Sha512),
            // BSI TR-03111 §5.2.1: ecdsa-plain-signatures 0.4.0.127.0.7.1.1.4.1.{1..5}
            "0.4.0.127.0.7.1.1.4.1.1" => Self::EcdsaPlain(HashAlg::Sha1),
            "0.4.0.127.0.7.1.1.4.1.2" => Self::EcdsaPlain(HashAlg::Sha224),
            "0.4.0.127.0.7.1.1.4.1.3" => Self::EcdsaPlain(HashAlg::Sha256),
            "0.4.0.127.0.7.1.1.4.1.4" => Self::EcdsaPlain(HashAlg::Sha384),
            "0.4.0.127.0.7.1.1.4.1.5" => Self::EcdsaPlain(HashAlg::Sha512),
            _ => return Err(PkiError::Unsupported("signature algorithm")),
        })
    }

    /// RSASSA-PSS-params (RFC 8017 Appendix A.2.3); absent fields take their defaults
    /// (SHA-1, MGF1-SHA-1, salt 20).
    fn pss_params(params: Option<&tlv::Tlv<'_>>) -> Result<SignatureAlgorithm, PkiError> {
        let mut hash = HashAlg::Sha1;
        let mut mgf_hash = HashAlg::Sha1;
        let mut salt_len = 20usize;
        if let Some(p) = params.filter(|p| p.tag == tlv::SEQUENCE) {
            for field in tlv::children_ber(p.value)? {
                let (inner, _) = tlv::parse_one_ber(field.value)?;
                match field.tag {
                    0xA0 => hash = hash_from_alg_id(&inner)?,
                    0xA1 => {
                        let mgf = tlv::children_ber(inner.value)?;
                        if mgf.len() != 2 || mgf[0].oid()? != OID_MGF1 {
                            return Err(PkiError::Unsupported("PSS mask generation function"));
                        }
                        mgf_hash = hash_from_alg_id(&mgf[1])?;
                    }
                    0xA2 => {
                        let v = inner.unsigned_integer()?;
                        if v.len() > 2 {
                            return Err(PkiError::Malformed("PSS salt length"));
                        }
                        salt_len = v.iter().fold(0usize, |a, &b| (a << 8) | usize::from(b));
                    }
                    0xA3 => {
                        if inner.unsigned_integer()? != [1] {
                            return Err(PkiError::Unsupported("PSS trailer field"));
                        }
                    }
                    _ => return Err(PkiError::Malformed("RSASSA-PSS-params")),
                }
            }
        }
        Ok(Self::RsaPss {
            hash,
            mgf_hash,
            salt_len,
        })
    }
}

/// The hash named by a DER `AlgorithmIdentifier` TLV.
pub fn hash_from_alg_id(tlv: &tlv::Tlv<'_>) -> Result<HashAlg, PkiError> {
    let (oid, _) = algorithm_identifier(tlv, "digest AlgorithmIdentifier")?;
    HashAlg::from_oid(&oid).ok_or(PkiError::Unsupported("digest algorithm"))
}

/// The OID and the parts of `AlgorithmIdentifier ::= SEQUENCE { algorithm OBJECT IDENTIFIER,
/// parameters ANY OPTIONAL }` (RFC 5280 §4.1.1.2); `what` names it in errors.
fn algorithm_identifier<'a>(
    alg: &tlv::Tlv<'a>,
    what: &'static str,
) -> Result<(String, Vec<tlv::Tlv<'a>>), PkiError> {
    if alg.tag != tlv::SEQUENCE {
        return Err(PkiError::Malformed(what));
    }
    let parts = tlv::children_ber(alg.value)?;
    let oid = tlv::Tlv::oid(parts.first().ok_or(PkiError::Malformed(what))?)?;
    Ok((oid, parts))
}

/// Verifies `signature` over `message` (the hash is computed here).
///
/// `Ok(())` means valid; [`PkiError::SignatureInvalid`] means the signature does not verify;
/// other errors mean it could not be checked (unsupported algorithm, malformed key).
pub fn verify(
    key: &PublicKey,
    alg: &SignatureAlgorithm,
    message: &[u8],
    signature: &[u8],
) -> Result<(), PkiError> {
    let digest = alg.hash().digest(message);
    verify_digest(key, alg, &digest, signature)
}

/// Verifies `signature` over an already computed message hash.
pub fn verify_digest(
    key: &PublicKey,
    alg: &SignatureAlgorithm,
    digest: &[u8],
    signature: &[u8],
) -> Result<(), PkiError> {
    match (*alg, key) {
        (SignatureAlgorithm::RsaPkcs1(h), PublicKey::Rsa { .. }) => {
            let k = key.rsa_key()?;
            // RFC 8017 §9.2 note 1: the DigestInfo parameters are NULL, but some signers
            // omit them; accept both encodings of the same hash.
            for with_null in [true, false] {
                let scheme = Pkcs1v15Sign {
                    hash_len: Some(h.output_len()),
                    prefix: digest_info_prefix(h, with_null).into(),
                };
                if k.verify(scheme, digest, signature).is_ok() {
                    return Ok(());
                }
            }
            Err(PkiError::SignatureInvalid)
        }
        (
            SignatureAlgorithm::RsaPss {
                hash,
                mgf_hash,
                salt_len,
            },
            PublicKey::Rsa { .. },
        ) => {
            if mgf_hash != hash {
                // The `rsa` crate ties MGF1 to the message hash; mixed PSS would need our own
                // EMSA-PSS. Not seen in ICAO documents.
                return Err(PkiError::Unsupported(
                    "PSS with an MGF1 hash unlike the message hash",
                ));
            }
            let scheme = match hash {
                HashAlg::Sha1 => rsa::Pss::new_with_salt::<sha1::Sha1>(salt_len),
                HashAlg::Sha224 => rsa::Pss::new_with_salt::<sha2::Sha224>(salt_len),
                HashAlg::Sha256 => rsa::Pss::new_with_salt::<sha2::Sha256>(salt_len),
                HashAlg::Sha384 => rsa::Pss::new_with_salt::<sha2::Sha384>(salt_len),
                HashAlg::Sha512 => rsa::Pss::new_with_salt::<sha2::Sha512>(salt_len),
            };
            key.rsa_key()?
                .verify(scheme, digest, signature)
                .map_err(|_| PkiError::SignatureInvalid)
        }
        (SignatureAlgorithm::Ecdsa(_), PublicKey::Ec { curve, point }) => {
            let (r, s) = ecdsa_der_to_rs(signature)?;
            ecdsa_verify_rs(curve, point, digest, &r, &s)
        }
        (SignatureAlgorithm::EcdsaPlain(_), PublicKey::Ec { curve, point }) => {
            if signature.is_empty() || signature.len() % 2 != 0 {
                return Err(PkiError::SignatureInvalid);
            }
            let (r, s) = signature.split_at(signature.len() / 2);
            ecdsa_verify_rs(
                curve,
                point,
                digest,
                &BigUint::from_bytes_be(r),
                &BigUint::from_bytes_be(s),
            )
        }
        _ => Err(PkiError::KeyMismatch),
    }
}

/// Verifies ECDSA `(r, s)`: named NIST P-256/P-384 through the RustCrypto crates, every
/// other curve (brainpool, explicit parameters) through [`ec::ecdsa_verify`].
pub fn ecdsa_verify_rs(
    curve: &Curve,
    point: &EcPoint,
    digest: &[u8],
    r: &BigUint,
    s: &BigUint,
) -> Result<(), PkiError> {
    use p256::ecdsa::signature::hazmat::PrehashVerifier;
    let enc = curve.encode_point(point);
    let flen = curve.field_len();
    let (rb, sb) = (ec::pad(r, flen), ec::pad(s, flen));
    if rb.len() != flen || sb.len() != flen {
        return Err(PkiError::SignatureInvalid);
    }
    // The RustCrypto verifiers of the two NIST curves that ICAO documents use most.
    macro_rules! nist_verify {
        ($curve:ident, $what:literal) => {{
            let vk = $curve::ecdsa::VerifyingKey::from_sec1_bytes(&enc)
                .map_err(|_| PkiError::Malformed($what))?;
            $curve::ecdsa::Signature::from_scalars(
                *$curve::FieldBytes::from_slice(&rb),
                *$curve::FieldBytes::from_slice(&sb),
            )
            .is_ok_and(|sig| vk.verify_prehash(digest, &sig).is_ok())
        }};
    }
    let valid = match ec::known_oid(curve) {
        Some("1.2.840.10045.3.1.7") => nist_verify!(p256, "P-256 point"),
        Some("1.3.132.0.34") => nist_verify!(p384, "P-384 point"),
        _ => ec::ecdsa_verify(curve, point, digest, r, s),
    };
    if valid {
        Ok(())
    } else {
        Err(PkiError::SignatureInvalid)
    }
}

/// Splits a DER `Ecdsa-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER }`.
pub fn ecdsa_der_to_rs(sig: &[u8]) -> Result<(BigUint, BigUint), PkiError> {
    let (seq, rest) = crate::pki::expect(sig, tlv::SEQUENCE, "Ecdsa-Sig-Value")
        .map_err(|_| PkiError::SignatureInvalid)?;
    if !rest.is_empty() {
        return Err(PkiError::SignatureInvalid);
    }
    let parts = tlv::children_ber(seq.value).map_err(|_| PkiError::SignatureInvalid)?;
    if parts.len() != 2 {
        return Err(PkiError::SignatureInvalid);
    }
    let r = parts[0]
        .unsigned_integer()
        .map_err(|_| PkiError::SignatureInvalid)?;
    let s = parts[1]
        .unsigned_integer()
        .map_err(|_| PkiError::SignatureInvalid)?;
    Ok((BigUint::from_bytes_be(r), BigUint::from_bytes_be(s)))
}

/// The DER prefix of a PKCS#1 `DigestInfo` for `h` (RFC 8017 §9.2 note 1).
fn digest_info_prefix(h: HashAlg, with_null: bool) -> Vec<u8> {
    let oid = tlv::encode(0x06, h.oid_der());
    let mut alg = oid;
    if with_null {
        alg.extend_from_slice(&[0x05, 0x00]);
    }
    let alg = tlv::encode(0x30, &alg);
    let mut inner = alg;
    inner.push(0x04);
    tlv::encode_len(h.output_len(), &mut inner);
    // Outer SEQUENCE header: its length covers the prefix plus the digest itself.
    let mut out = vec![0x30];
    tlv::encode_len(inner.len() + h.output_len(), &mut out);
    out.extend_from_slice(&inner);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_digest_info_prefix_matches_rfc8017() {
        // RFC 8017 §9.2 note 1: SHA-256 prefix.
        let expect = [
            0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
            0x01, 0x05, 0x00, 0x04, 0x20,
        ];
        assert_eq!(digest_info_prefix(HashAlg::Sha256, true), expect);
    }

    fn oid_tlv(dotted_der: &[u8]) -> Vec<u8> {
        tlv::encode(0x06, dotted_der)
    }

    /// Signs `digest` with the RustCrypto crate of a NIST curve: the SEC1 public point, the
    /// plain `r‖s` signature and its DER form.
    macro_rules! crate_signature {
        ($curve:ident, $secret:expr, $digest:expr) => {{
            use p256::ecdsa::signature::hazmat::PrehashSigner;
            let sk = $curve::ecdsa::SigningKey::from_bytes(&$secret.into()).unwrap();
            let sig: $curve::ecdsa::Signature = sk.sign_prehash($digest).unwrap();
            let sec1 = sk.verifying_key().to_encoded_point(false);
            (
                sec1.as_bytes().to_vec(),
                sig.to_bytes().to_vec(),
                sig.to_der().as_bytes().to_vec(),
            )
        }};
    }

    /// Checks that the crate path and the generic verifier both accept a plain `r‖s`
    /// signature by the SEC1 point `sec1` on `curve_oid`; returns the curve and point.
    fn both_verifiers_accept(
        curve_oid: &str,
        sec1: &[u8],
        digest: &[u8],
        plain: &[u8],
    ) -> (Curve, EcPoint) {
        let curve = ec::curve_from_oid(curve_oid).unwrap();
        let point = ec::decode_point(&curve, sec1).unwrap();
        let (r, s) = plain.split_at(plain.len() / 2);
        let (r, s) = (BigUint::from_bytes_be(r), BigUint::from_bytes_be(s));
        assert_eq!(ecdsa_verify_rs(&curve, &point, digest, &r, &s), Ok(()));
        assert!(ec::ecdsa_verify(&curve, &point, digest, &r, &s));
        (curve, point)
    }

    #[test]
    fn rsa_pss_with_parameters_and_pkcs1_without_null() {
        use rsa::traits::PublicKeyParts;
        let mut rng: rand::rngs::StdRng = rand::SeedableRng::seed_from_u64(0x0123_4567_89AB_CDEF);
        let private = rsa::RsaPrivateKey::new(&mut rng, 1024).unwrap();
        let key = PublicKey::Rsa {
            n: BigUint::from_bytes_be(&private.n().to_bytes_be()),
            e: BigUint::from_bytes_be(&private.e().to_bytes_be()),
        };
        let msg = b"LDSSecurityObject";
        let digest = HashAlg::Sha256.digest(msg);
        // RSASSA-PSS-params { [0] sha256, [1] mgf1(sha256), [2] 32 } (RFC 8017 A.2.3).
        let sha256 = tlv::encode(
            0x30,
            &[oid_tlv(HashAlg::Sha256.oid_der()), vec![0x05, 0x00]].concat(),
        );
        let mgf = tlv::encode(
            0x30,
            &[
                oid_tlv(&[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x08]),
                sha256.clone(),
            ]
            .concat(),
        );
        let params = tlv::encode(
            0x30,
            &[
                tlv::encode(0xA0, &sha256),
                tlv::encode(0xA1, &mgf),
                tlv::encode(0xA2, &[0x02, 0x01, 0x20]),
            ]
            .concat(),
        );
        let alg_der = tlv::encode(
            0x30,
            &[
                oid_tlv(&[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x0A]),
                params,
            ]
            .concat(),
        );
        let alg = SignatureAlgorithm::from_der(&alg_der, None).unwrap();
        assert_eq!(
            alg,
            SignatureAlgorithm::RsaPss {
                hash: HashAlg::Sha256,
                mgf_hash: HashAlg::Sha256,
                salt_len: 32
            }
        );
        let sig = private
            .sign_with_rng(
                &mut rng,
                rsa::Pss::new_with_salt::<sha2::Sha256>(32),
                &digest,
            )
            .unwrap();
        assert_eq!(verify(&key, &alg, msg, &sig), Ok(()));
        assert_eq!(
            verify(&key, &alg, b"other", &sig),
            Err(PkiError::SignatureInvalid)
        );

        // PKCS#1 v1.5 whose DigestInfo omits the NULL parameters is accepted too.
        let scheme = Pkcs1v15Sign {
            hash_len: Some(32),
            prefix: digest_info_prefix(HashAlg::Sha256, false).into(),
        };
        let sig = private.sign(scheme, &digest).unwrap();
        assert_eq!(
            verify(
                &key,
                &SignatureAlgorithm::RsaPkcs1(HashAlg::Sha256),
                msg,
                &sig
            ),
            Ok(())
        );
    }

    #[test]
    fn nist_curves_via_crates_agree_with_the_generic_verifier() {
        let digest = HashAlg::Sha384.digest(b"EF.SOD");
        // P-384 through the p384 crate.
        let (sec1, plain, der) = crate_signature!(p384, [0x42u8; 48], &digest);
        let (curve, point) = both_verifiers_accept("1.3.132.0.34", &sec1, &digest, &plain);
        let key = PublicKey::Ec {
            curve: Box::new(curve),
            point,
        };
        assert_eq!(
            verify_digest(
                &key,
                &SignatureAlgorithm::Ecdsa(HashAlg::Sha384),
                &digest,
                &der
            ),
            Ok(())
        );
        assert_eq!(
            verify_digest(
                &key,
                &SignatureAlgorithm::EcdsaPlain(HashAlg::Sha384),
                &digest,
                &plain
            ),
            Ok(())
        );
        let mut bad = plain;
        bad[10] ^= 1;
        assert_eq!(
            verify_digest(
                &key,
                &SignatureAlgorithm::EcdsaPlain(HashAlg::Sha384),
                &digest,
                &bad
            ),
            Err(PkiError::SignatureInvalid)
        );
        // P-256 with a SHA-1 digest (shorter than the order), as in old SODs.
        let d1 = HashAlg::Sha1.digest(b"EF.SOD");
        let (sec1, plain, _) = crate_signature!(p256, [0x17u8; 32], &d1);
        both_verifiers_accept("1.2.840.10045.3.1.7", &sec1, &d1, &plain);
    }
}
