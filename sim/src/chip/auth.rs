//! Active Authentication (ICAO 9303-11 §6.1) and Chip Authentication (§6.2) on the card side.

use document::crypto::Cipher;
use document::ecc::{self, DomainParams};
use document::pki::HashAlg;
use num_bigint::BigUint;
use num_traits::Zero;
use rand::RngCore;
use sha1::{Digest, Sha1};

use super::sm::{PlainCommand, SmSession};
use super::{sw, tlv, VirtualChip};

/// The Active Authentication private key.
#[derive(Debug, Clone)]
pub enum AaKey {
    /// ECDSA on a standardized curve; the signature is plain r || s (BSI TR-03111).
    Ecdsa {
        /// Standardized domain parameter id (8–18).
        param_id: u32,
        /// Private scalar.
        private: BigUint,
        /// The hash announced in DG14.
        hash: HashAlg,
    },
    /// RSA with ISO/IEC 9796-2 digital signature scheme 1 and SHA-1.
    Rsa {
        /// Modulus.
        n: BigUint,
        /// Private exponent.
        d: BigUint,
    },
}

/// A Chip Authentication private key.
#[derive(Debug, Clone)]
pub struct CaKey {
    /// Key id (DG14 / EF.CardSecurity keyId), if the chip has more than one key.
    pub key_id: Option<u32>,
    /// Standardized domain parameter id: 0–2 DH, 8–18 ECDH.
    pub param_id: u32,
    /// Private key (scalar or exponent).
    pub private: BigUint,
}

/// INTERNAL AUTHENTICATE (ICAO 9303-11 §6.1.2): sign the reader's 8-byte challenge.
pub(super) fn internal_authenticate(
    chip: &mut VirtualChip,
    cmd: &PlainCommand,
    protected: bool,
) -> Result<Vec<u8>, u16> {
    if !protected {
        return Err(sw::SECURITY_STATUS);
    }
    if cmd.data.len() != 8 {
        return Err(sw::WRONG_DATA);
    }
    // A cloned chip holds the data but not the private key.
    let key = chip.spec.aa_key.as_ref().ok_or(sw::CONDITIONS)?;
    let mut signature = match key {
        AaKey::Ecdsa {
            param_id,
            private,
            hash,
        } => ecdsa_sign(*param_id, private, &hash.digest(&cmd.data)).ok_or(sw::CONDITIONS)?,
        AaKey::Rsa { n, d } => iso9796_2_sign(n, d, &cmd.data),
    };
    if chip.spec.corrupt_aa_signature {
        if let Some(b) = signature.last_mut() {
            *b ^= 0x01;
        }
    }
    Ok(signature)
}

/// ECDSA (BSI TR-03111 §4.2.1.1) on a standardized curve, output plain r || s.
pub fn ecdsa_sign(param_id: u32, private: &BigUint, digest: &[u8]) -> Option<Vec<u8>> {
    let curve = ecc::standardized_curve(param_id).ok()?;
    let n = &curve.n;
    let bits = n.bits();
    let mut e = BigUint::from_bytes_be(digest);
    let dbits = (digest.len() * 8) as u64;
    if dbits > bits {
        e >>= dbits - bits;
    }
    for _ in 0..16 {
        let k = curve.random_scalar();
        let r = curve.mul_g(&k)?.x % n;
        if r.is_zero() {
            continue;
        }
        let kinv = ecc::mod_inverse(&k, n)?;
        let s = (kinv * ((&e + &r * private) % n)) % n;
        if s.is_zero() {
            continue;
        }
        let len = curve.order_len();
        let mut out = ecc::to_fixed(&r, len);
        out.extend_from_slice(&ecc::to_fixed(&s, len));
        return Some(out);
    }
    None
}

/// ISO/IEC 9796-2 digital signature scheme 1 with SHA-1, partial recovery (ICAO 9303-11
/// §6.1.2.1): F = 6A || M1 || SHA-1(M1 || M2) || BC, where M1 is chip randomness filling the
/// modulus and M2 the reader's challenge; signature F^d mod n.
pub fn iso9796_2_sign(n: &BigUint, d: &BigUint, challenge: &[u8]) -> Vec<u8> {
    let k = (n.bits() as usize).div_ceil(8);
    let m1_len = k.saturating_sub(2 + 20);
    let mut m1 = vec![0u8; m1_len];
    rand::thread_rng().fill_bytes(&mut m1);
    let mut h = Sha1::new();
    h.update(&m1);
    h.update(challenge);
    let mut f = vec![0x6A];
    f.extend_from_slice(&m1);
    f.extend_from_slice(&h.finalize());
    f.push(0xBC);
    let s = BigUint::from_bytes_be(&f).modpow(d, n);
    ecc::to_fixed(&s, k)
}

/// MSE for Chip Authentication: Set KAT (41A6) with the reader's key in DO'91' (3DES, §6.2.4.1),
/// or Set AT (41A4) with the protocol OID in DO'80' (AES, §6.2.4.2). Optional DO'84' key id.
pub(super) fn ca_mse(chip: &mut VirtualChip, cmd: &PlainCommand) -> Result<Vec<u8>, u16> {
    let objects = tlv::children(&cmd.data).map_err(|_| sw::WRONG_DATA)?;
    let key_id = objects
        .iter()
        .find(|o| o.tag == 0x84)
        .map(|o| o.value.iter().fold(0u32, |a, &b| (a << 8) | u32::from(b)));
    if cmd.p2 == 0xA6 {
        let pk = objects
            .iter()
            .find(|o| o.tag == 0x91)
            .ok_or(sw::WRONG_DATA)?
            .value;
        let secret = ca_agree(chip, key_id, None, pk)?;
        chip.pending_session = Some(SmSession::from_secret(Cipher::Tdes, &secret));
        Ok(Vec::new())
    } else {
        let oid = objects
            .iter()
            .find(|o| o.tag == 0x80)
            .ok_or(sw::WRONG_DATA)?
            .value;
        // id-CA = 0.4.0.127.0.7.2.2.3; .1 DH, .2 ECDH; last arc the cipher.
        let prefix = [0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x03];
        if oid.len() != 10 || oid[..8] != prefix {
            return Err(sw::REF_NOT_FOUND);
        }
        let cipher = match oid[9] {
            1 => Cipher::Tdes,
            2 => Cipher::Aes128,
            3 => Cipher::Aes192,
            4 => Cipher::Aes256,
            _ => return Err(sw::REF_NOT_FOUND),
        };
        chip.ca_pending = Some((cipher, key_id, oid[8] == 1));
        Ok(Vec::new())
    }
}

/// GENERAL AUTHENTICATE for Chip Authentication with AES (ICAO 9303-11 §6.2.4.2): DO'80' in
/// 7C carries the reader's ephemeral key; the answer is an empty 7C; then new session keys.
pub(super) fn ca_general_authenticate(
    chip: &mut VirtualChip,
    cmd: &PlainCommand,
) -> Result<Vec<u8>, u16> {
    let (cipher, key_id, dh) = chip.ca_pending.take().ok_or(sw::CONDITIONS)?;
    let (outer, _) = tlv::parse_one(&cmd.data).map_err(|_| sw::WRONG_DATA)?;
    if outer.tag != 0x7C {
        return Err(sw::WRONG_DATA);
    }
    let pk = tlv::find(outer.value, 0x80)
        .ok()
        .flatten()
        .map(|t| t.value)
        .ok_or(sw::WRONG_DATA)?;
    let secret = ca_agree(chip, key_id, Some(dh), pk)?;
    chip.pending_session = Some(SmSession::from_secret(cipher, &secret));
    Ok(vec![0x7C, 0x00])
}

/// Key agreement with the chip's static CA key; a cloned chip has none and fails.
fn ca_agree(
    chip: &VirtualChip,
    key_id: Option<u32>,
    dh: Option<bool>,
    pk: &[u8],
) -> Result<Vec<u8>, u16> {
    let key = chip
        .spec
        .ca_keys
        .iter()
        .find(|k| {
            key_id.is_none_or(|id| k.key_id == Some(id))
                && dh.is_none_or(|dh| (k.param_id <= 2) == dh)
        })
        .ok_or(sw::REF_NOT_FOUND)?;
    match ecc::standardized(key.param_id).map_err(|_| sw::CONDITIONS)? {
        DomainParams::Ec(c) => {
            let p = c.decode_point(pk).map_err(|_| sw::WRONG_DATA)?;
            c.agree(&key.private, &p)
                .map(|k| k.to_vec())
                .map_err(|_| sw::WRONG_DATA)
        }
        DomainParams::Dh(g) => g
            .agree(&key.private, &BigUint::from_bytes_be(pk))
            .map(|k| k.to_vec())
            .map_err(|_| sw::WRONG_DATA),
    }
}
