//! PACE building blocks shared by the terminal and the virtual chip, plus a sans-IO chip-side
//! session.
//!
//! Every step of ICAO 9303-11 §4.4.3 is a pure function here: the password key, nonce
//! encryption, the Generic and Integrated mappings, key agreement, session keys, the
//! authentication tokens and the Chip Authentication Mapping data. The terminal
//! ([`super::establish`]) and the simulator's chip ([`ChipSession`]) both call these, so the two
//! sides cannot drift apart; the published vectors (Appendix G/H, BSI worked example) pin them.

use num_bigint::BigUint;
use zeroize::Zeroizing;

use super::im;
use super::{PaceError, Password};
use crate::crypto::{Cipher, KdfCounter, SecretBytes};
use crate::ecc::{mod_inverse, to_fixed, Curve, DhGroup, DomainParams, EcPoint};
use crate::secinfo::{KeyAgreement, Mapping, PaceProtocol};
use crate::tlv;

/// K_π = KDF_π(f(π)) = KDF(f(π), 3) (ICAO 9303-11 §4.4.3.1, §9.7.3): f(π) is SHA-1 of the MRZ
/// information for the MRZ password, the CAN (or PIN) characters themselves otherwise.
pub fn password_key(password: &Password, cipher: Cipher) -> SecretBytes {
    let f = password.seed();
    cipher.kdf(&f, KdfCounter::Pace)
}

/// Length of the nonce s the chip draws: one cipher block for GM/CAM and for IM with 3DES or
/// AES-128; 32 bytes for IM with AES-192/256 (ICAO 9303-11 §4.4.3.3.2 uses l = 256 there).
pub fn nonce_len(protocol: &PaceProtocol) -> usize {
    match (protocol.mapping, protocol.cipher) {
        (Mapping::Integrated, Cipher::Aes192 | Cipher::Aes256) => 32,
        (_, c) => c.block_len(),
    }
}

/// z = E(K_π, s), CBC with a zero IV (ICAO 9303-11 §4.4.3.1 step 1).
pub fn encrypt_nonce(cipher: Cipher, k_pi: &[u8], s: &[u8]) -> Result<Vec<u8>, PaceError> {
    let iv = vec![0u8; cipher.block_len()];
    Ok(cipher.encrypt_cbc(k_pi, &iv, s)?)
}

/// s = D(K_π, z) (ICAO 9303-11 §4.4.3.1 step 2).
pub fn decrypt_nonce(cipher: Cipher, k_pi: &[u8], z: &[u8]) -> Result<SecretBytes, PaceError> {
    if z.is_empty() {
        return Err(PaceError::Malformed("empty encrypted nonce"));
    }
    let iv = vec![0u8; cipher.block_len()];
    Ok(Zeroizing::new(cipher.decrypt_cbc(k_pi, &iv, z)?))
}

/// An ephemeral or static key pair on DH or EC domain parameters.
pub struct KeyPair {
    /// Private scalar/exponent (wiped as bytes on drop).
    sk: SecretBytes,
    /// Encoded public key: uncompressed point, or y left-padded to the length of p.
    pub public: Vec<u8>,
}

impl std::fmt::Debug for KeyPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "KeyPair(public={} bytes)", self.public.len())
    }
}

impl KeyPair {
    /// A fresh random key pair.
    pub fn generate(params: &DomainParams) -> Result<Self, PaceError> {
        let sk = match params {
            DomainParams::Ec(c) => c.random_scalar(),
            DomainParams::Dh(g) => g.random_private(),
        };
        Self::from_private(params, &sk)
    }

    /// The key pair of a given private value (vectors, static chip keys).
    pub fn from_private(params: &DomainParams, sk: &BigUint) -> Result<Self, PaceError> {
        let public = match params {
            DomainParams::Ec(c) => {
                c.check_scalar(sk)?;
                let p = c.mul_g(sk).ok_or(PaceError::Malformed("infinity"))?;
                c.encode_point(&p)
            }
            DomainParams::Dh(g) => to_fixed(&g.public(sk), g.len()),
        };
        Ok(KeyPair {
            sk: Zeroizing::new(sk.to_bytes_be()),
            public,
        })
    }

    /// The private value.
    pub fn private(&self) -> BigUint {
        BigUint::from_bytes_be(&self.sk)
    }
}

/// Generic Mapping (ICAO 9303-11 §4.4.3.3.1): H = SK_map·PK_map,peer (ECDH, the whole point) or
/// h = PK^SK mod p (DH); the new generator is Ĝ = s·G + H, resp. ĝ = g^s·h mod p. The peer's
/// mapping key is validated; a result at infinity (or 1) is an error.
pub fn map_generic(
    params: &DomainParams,
    s: &[u8],
    own_map: &KeyPair,
    peer_map_public: &[u8],
) -> Result<DomainParams, PaceError> {
    let s = BigUint::from_bytes_be(s);
    match params {
        DomainParams::Ec(c) => {
            let h = ec_mapping_point(c, own_map, peer_map_public)?;
            let g_hat = match c.mul_g(&s) {
                Some(sg) => c.add(&sg, &h),
                None => Some(h),
            }
            .ok_or(PaceError::Malformed("mapped generator at infinity"))?;
            Ok(DomainParams::Ec(c.with_generator(g_hat)?))
        }
        DomainParams::Dh(g) => {
            let h = dh_mapping_value(g, own_map, peer_map_public)?;
            let g_hat = (g.g.modpow(&s, &g.p) * h) % &g.p;
            Ok(DomainParams::Dh(g.with_generator(g_hat)?))
        }
    }
}

/// The GM mapping point/value H itself (for vector checks): EC point encoding or DH value.
pub fn mapping_shared(
    params: &DomainParams,
    own_map: &KeyPair,
    peer_map_public: &[u8],
) -> Result<Vec<u8>, PaceError> {
    Ok(match params {
        DomainParams::Ec(c) => c.encode_point(&ec_mapping_point(c, own_map, peer_map_public)?),
        DomainParams::Dh(g) => to_fixed(&dh_mapping_value(g, own_map, peer_map_public)?, g.len()),
    })
}

/// H = SK_map·PK_map,peer of the Generic Mapping on an elliptic curve.
fn ec_mapping_point(c: &Curve, own_map: &KeyPair, peer: &[u8]) -> Result<EcPoint, PaceError> {
    let peer = c.decode_point(peer)?;
    c.mul(&own_map.private(), &peer)
        .ok_or(PaceError::Malformed("mapping point H at infinity"))
}

/// h = PK_map,peer^SK_map mod p of the Generic Mapping in a DH group.
fn dh_mapping_value(g: &DhGroup, own_map: &KeyPair, peer: &[u8]) -> Result<BigUint, PaceError> {
    let y = parse_dh_public(g.len(), peer)?;
    g.validate_public(&y)?;
    Ok(y.modpow(&own_map.private(), &g.p))
}

/// Integrated Mapping (ICAO 9303-11 §4.4.3.3.2): x = R(s, t) mod p, then the ECDH point
/// encoding (Appendix of Part 11, simplified SWU for p ≡ 3 mod 4) or ĝ = x^((p−1)/q) (DH).
pub fn map_integrated(
    params: &DomainParams,
    cipher: Cipher,
    s: &[u8],
    t: &[u8],
) -> Result<DomainParams, PaceError> {
    match params {
        DomainParams::Ec(c) => {
            let r = im::prf(cipher, s, t, c.p.bits() as usize)?;
            let x = BigUint::from_bytes_be(&r) % &c.p;
            let g_hat = im::encode_to_curve(c, &x)?;
            Ok(DomainParams::Ec(c.with_generator(g_hat)?))
        }
        DomainParams::Dh(g) => {
            let q =
                g.q.as_ref()
                    .ok_or(PaceError::Unsupported("DH-IM without subgroup order q"))?;
            let r = im::prf(cipher, s, t, g.p.bits() as usize)?;
            let x = BigUint::from_bytes_be(&r) % &g.p;
            let e = (&g.p - 1u8) / q;
            let g_hat = x.modpow(&e, &g.p);
            Ok(DomainParams::Dh(g.with_generator(g_hat)?))
        }
    }
}

/// Big-endian DH public value of at most `len` bytes (leading zeros may be stripped).
pub fn parse_dh_public(len: usize, data: &[u8]) -> Result<BigUint, PaceError> {
    if data.is_empty() || data.len() > len {
        return Err(PaceError::Malformed("DH public value length"));
    }
    Ok(BigUint::from_bytes_be(data))
}

/// Anonymous key agreement K = KA(SK, PK_peer, D) (ICAO 9303-11 §4.4.3.4 / §9.6): the
/// x-coordinate for ECDH, the padded value for DH. The peer key is validated and must differ
/// from our own (§4.4.1 step 3d).
pub fn key_agreement(
    params: &DomainParams,
    own: &KeyPair,
    peer_public: &[u8],
) -> Result<SecretBytes, PaceError> {
    if peer_public == own.public.as_slice() {
        return Err(PaceError::Malformed("peer public key equals ours"));
    }
    match params {
        DomainParams::Ec(c) => {
            let peer = c.decode_point(peer_public)?;
            Ok(c.agree(&own.private(), &peer)?)
        }
        DomainParams::Dh(g) => {
            let y = parse_dh_public(g.len(), peer_public)?;
            Ok(g.agree(&own.private(), &y)?)
        }
    }
}

/// Session keys KS_enc = KDF(K, 1), KS_mac = KDF(K, 2) (ICAO 9303-11 §9.7.1).
pub fn derive_keys(cipher: Cipher, k: &[u8]) -> (SecretBytes, SecretBytes) {
    (
        cipher.kdf(k, KdfCounter::Enc),
        cipher.kdf(k, KdfCounter::Mac),
    )
}

/// The public key data object `7F49 { 06 OID, 86 point }` (ECDH) or `7F49 { 06 OID, 84 y }`
/// (DH, y without leading zeros) over which tokens are computed (ICAO 9303-11 §4.4.3.4,
/// BSI TR-03110-3 §D.3.4).
pub fn public_key_data_object(agreement: KeyAgreement, oid: &str, public: &[u8]) -> Vec<u8> {
    let mut inner = tlv::encode(0x06, &tlv::write::oid_value(oid));
    match agreement {
        KeyAgreement::Ecdh => inner.extend(tlv::encode(0x86, public)),
        KeyAgreement::Dh => {
            let skip = public.iter().position(|b| *b != 0).unwrap_or(public.len());
            inner.extend(tlv::encode(0x84, &public[skip..]));
        }
    }
    tlv::encode(0x7F49, &inner)
}

/// Authentication token T = MAC(KS_mac, PK_peer) (ICAO 9303-11 §4.4.3.4): AES-CMAC truncated
/// to 8 bytes, or the 3DES retail MAC over the padded object.
pub fn compute_token(
    cipher: Cipher,
    agreement: KeyAgreement,
    k_mac: &[u8],
    oid: &str,
    peer_public: &[u8],
) -> Result<[u8; 8], PaceError> {
    let data = public_key_data_object(agreement, oid, peer_public);
    Ok(cipher.mac_message(k_mac, &data)?)
}

/// Constant-time token comparison.
pub fn tokens_equal(a: &[u8], b: &[u8]) -> bool {
    crate::crypto::ct_eq(a, b)
}

/// The IV for Chip Authentication Mapping data: E(KS_enc, −1), −1 being the all-ones block
/// (ICAO 9303-11 §4.4.3.5.1).
fn cam_iv(cipher: Cipher, k_enc: &[u8]) -> Result<Vec<u8>, PaceError> {
    Ok(cipher.encrypt_block(k_enc, &vec![0xFF; cipher.block_len()])?)
}

/// Chip side of CAM (ICAO 9303-11 §4.4.3.5.1): CA_IC = SK_IC⁻¹ · SK_map,IC mod n, encrypted as
/// A_IC = E(KS_enc, CA_IC) in CBC mode with IV = E(KS_enc, −1), padded with ISO 9797-1 method 2.
pub fn cam_encrypt(
    cipher: Cipher,
    k_enc: &[u8],
    params: &DomainParams,
    static_ca_private: &BigUint,
    map_private: &BigUint,
) -> Result<Vec<u8>, PaceError> {
    let c = match params {
        DomainParams::Ec(c) => c,
        DomainParams::Dh(_) => return Err(PaceError::Unsupported("CAM with DH")),
    };
    if !cipher.is_aes() {
        return Err(PaceError::Unsupported("CAM with 3DES"));
    }
    let inv = mod_inverse(static_ca_private, &c.n).ok_or(PaceError::Malformed("CA key"))?;
    let ca_ic = (inv * map_private) % &c.n;
    let plain = Zeroizing::new(crate::crypto::pad(&to_fixed(&ca_ic, c.order_len()), 16));
    let iv = cam_iv(cipher, k_enc)?;
    Ok(cipher.encrypt_cbc(k_enc, &iv, &plain)?)
}

/// Terminal side of CAM: decrypts A_IC into CA_IC.
pub fn cam_decrypt(cipher: Cipher, k_enc: &[u8], a_ic: &[u8]) -> Result<BigUint, PaceError> {
    if !cipher.is_aes() {
        return Err(PaceError::Unsupported("CAM with 3DES"));
    }
    let iv = cam_iv(cipher, k_enc)?;
    let plain = Zeroizing::new(cipher.decrypt_cbc(k_enc, &iv, a_ic)?);
    let unpadded = crate::crypto::unpad(&plain)?;
    Ok(BigUint::from_bytes_be(unpadded))
}

/// Terminal check of CAM: PK_map,IC = KA(CA_IC, PK_IC, D_IC), i.e. CA_IC · PK_IC equals the
/// chip's mapping public key (full point). `static_params` are the static (unmapped)
/// parameters; `ca_public` the chip's CA key from EF.CardSecurity on the same curve.
pub fn cam_verify(
    static_params: &DomainParams,
    ca_ic: &BigUint,
    ca_public: &EcPoint,
    chip_map_public: &[u8],
) -> bool {
    let c = match static_params {
        DomainParams::Ec(c) => c,
        DomainParams::Dh(_) => return false,
    };
    if c.check_scalar(ca_ic).is_err() || c.validate_point(ca_public).is_err() {
        return false;
    }
    let Ok(map_pk) = c.decode_point(chip_map_public) else {
        return false;
    };
    match c.mul(ca_ic, ca_public) {
        Some(p) => crate::crypto::ct_eq(&c.encode_point(&p), &c.encode_point(&map_pk)),
        None => false,
    }
}

/// Chip-side PACE state for the virtual passport: feed it the data field of each GENERAL
/// AUTHENTICATE command (the `7C` dynamic authentication data) and send back what it returns
/// (ICAO 9303-11 §4.4.4.2). After the fourth step [`ChipSession::session_keys`] yields the keys
/// for secure messaging with SSC = 0.
pub struct ChipSession {
    protocol: PaceProtocol,
    oid: String,
    params: DomainParams,
    k_pi: SecretBytes,
    s: Option<SecretBytes>,
    map_key: Option<KeyPair>,
    eph_params: Option<DomainParams>,
    eph_key: Option<KeyPair>,
    terminal_eph: Option<Vec<u8>>,
    keys: Option<(SecretBytes, SecretBytes)>,
    ca_private: Option<BigUint>,
    step: u8,
    done: bool,
}

impl std::fmt::Debug for ChipSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ChipSession({}, step {})", self.oid, self.step)
    }
}

impl ChipSession {
    /// Starts a session after MSE:Set AT selected `protocol` on `params` with the chip's copy of
    /// the password. `ca_private` is the chip's static CA key, needed for CAM only.
    pub fn new(
        protocol: PaceProtocol,
        params: DomainParams,
        password: &Password,
        ca_private: Option<BigUint>,
    ) -> Self {
        ChipSession {
            oid: protocol.oid(),
            k_pi: password_key(password, protocol.cipher),
            protocol,
            params,
            s: None,
            map_key: None,
            eph_params: None,
            eph_key: None,
            terminal_eph: None,
            keys: None,
            ca_private,
            step: 0,
            done: false,
        }
    }

    /// Handles one GENERAL AUTHENTICATE data field; returns the response data field. Any error
    /// means the chip answers with an error status (the session should then be dropped; the
    /// simulator typically answers 6300 for a token mismatch and 6A80 for malformed data).
    pub fn handle(&mut self, command_data: &[u8]) -> Result<Vec<u8>, PaceError> {
        let (outer, _) = tlv::expect(command_data, 0x7C)?;
        let kids = tlv::children(outer.value)?;
        let get = |tag: u32| kids.iter().find(|t| t.tag == tag).map(|t| t.value);
        let cipher = self.protocol.cipher;
        let resp = match self.step {
            0 => {
                let mut s = vec![0u8; nonce_len(&self.protocol)];
                rand::RngCore::fill_bytes(&mut rand::thread_rng(), &mut s);
                let z = encrypt_nonce(cipher, &self.k_pi, &s)?;
                self.s = Some(Zeroizing::new(s));
                tlv::encode(0x80, &z)
            }
            1 => {
                let data = get(0x81).ok_or(PaceError::Malformed("missing mapping data 81"))?;
                let s = self.s.as_ref().ok_or(PaceError::State)?;
                match self.protocol.mapping {
                    Mapping::Generic | Mapping::ChipAuthentication => {
                        let k = KeyPair::generate(&self.params)?;
                        self.eph_params = Some(map_generic(&self.params, s, &k, data)?);
                        let out = tlv::encode(0x82, &k.public);
                        self.map_key = Some(k);
                        out
                    }
                    Mapping::Integrated => {
                        self.eph_params = Some(map_integrated(&self.params, cipher, s, data)?);
                        tlv::encode(0x82, &[])
                    }
                }
            }
            2 => {
                let data = get(0x83).ok_or(PaceError::Malformed("missing ephemeral key 83"))?;
                let eph = self.eph_params.as_ref().ok_or(PaceError::State)?;
                let k = KeyPair::generate(eph)?;
                let shared = key_agreement(eph, &k, data)?;
                self.keys = Some(derive_keys(cipher, &shared));
                self.terminal_eph = Some(data.to_vec());
                let out = tlv::encode(0x84, &k.public);
                self.eph_key = Some(k);
                out
            }
            3 => {
                let t_ifd = get(0x85).ok_or(PaceError::Malformed("missing token 85"))?;
                let (k_enc, k_mac) = self.keys.as_ref().ok_or(PaceError::State)?;
                let own = self.eph_key.as_ref().ok_or(PaceError::State)?;
                let agreement = self.protocol.agreement;
                let expect = compute_token(cipher, agreement, k_mac, &self.oid, &own.public)?;
                if !tokens_equal(&expect, t_ifd) {
                    return Err(PaceError::TokenMismatch);
                }
                let term = self.terminal_eph.as_ref().ok_or(PaceError::State)?;
                let t_ic = compute_token(cipher, agreement, k_mac, &self.oid, term)?;
                let mut out = tlv::encode(0x86, &t_ic);
                if self.protocol.mapping == Mapping::ChipAuthentication {
                    let ca = self
                        .ca_private
                        .as_ref()
                        .ok_or(PaceError::Unsupported("CAM chip without CA key"))?;
                    let map = self.map_key.as_ref().ok_or(PaceError::State)?;
                    let a = cam_encrypt(cipher, k_enc, &self.params, ca, &map.private())?;
                    out.extend(tlv::encode(0x8A, &a));
                }
                self.done = true;
                out
            }
            _ => return Err(PaceError::State),
        };
        self.step += 1;
        Ok(tlv::encode(0x7C, &resp))
    }

    /// True after the fourth step succeeded.
    pub fn is_complete(&self) -> bool {
        self.done
    }

    /// (KS_enc, KS_mac) once complete; secure messaging then starts with SSC = 0.
    pub fn session_keys(&self) -> Option<(&[u8], &[u8])> {
        if !self.done {
            return None;
        }
        self.keys
            .as_ref()
            .map(|(e, m)| (e.as_slice(), m.as_slice()))
    }

    /// The protocol in use.
    pub fn protocol(&self) -> PaceProtocol {
        self.protocol
    }
}

/// What MSE:Set AT for PACE carries (ICAO 9303-11 §4.4.4.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetAt {
    /// Protocol OID from tag 80 (dotted).
    pub oid: String,
    /// Password reference from tag 83 (1 MRZ, 2 CAN, 3 PIN, 4 PUK).
    pub password_ref: u8,
    /// Domain-parameter id from tag 84, when sent.
    pub parameter_id: Option<u32>,
}

/// Chip side: parses the data field of MSE:Set AT `00 22 C1 A4` for PACE.
pub fn parse_mse_set_at(data: &[u8]) -> Result<SetAt, PaceError> {
    let oid = tlv::find(data, 0x80)?.ok_or(PaceError::Malformed("missing OID 80"))?;
    let oid = tlv::decode_oid(oid.value)?;
    let pref = tlv::find(data, 0x83)?.ok_or(PaceError::Malformed("missing password ref 83"))?;
    let password_ref = match pref.value {
        [r] => *r,
        _ => return Err(PaceError::Malformed("password reference length")),
    };
    let parameter_id = match tlv::find(data, 0x84)? {
        Some(t) if !t.value.is_empty() && t.value.len() <= 4 => {
            Some(t.value.iter().fold(0u32, |a, b| (a << 8) | u32::from(*b)))
        }
        Some(_) => return Err(PaceError::Malformed("parameter id length")),
        None => None,
    };
    Ok(SetAt {
        oid,
        password_ref,
        parameter_id,
    })
}
