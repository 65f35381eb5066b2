//! Chip Authentication (ICAO 9303-11 §6.2; BSI TR-03110-2 §3.4 for version 2), terminal side,
//! with the chip-side math in [`chip`].
//!
//! The terminal sends an ephemeral public key on the chip's CA domain parameters; both sides
//! compute K = KA(SK, PK) and restart secure messaging with KS_enc/KS_mac derived from K (v2:
//! from K ‖ r_IC) and SSC = 0. Only a chip holding the private key of the CA public key signed
//! into DG14 / EF.CardSecurity can continue the session, so a cloned chip fails — reported as
//! [`CaVerdict::Failed`], a value, never a panic.
//!
//! Commands (sent inside the current secure channel):
//! - 3DES: MSE:Set KAT `00 22 41 A6` with 91 PK_IFD (and 84 key id) — §6.2.4.1.
//! - AES (and any v2): MSE:Set AT `00 22 41 A4` with 80 CA OID (and 84 key id), then
//!   GENERAL AUTHENTICATE `00 86 00 00` with `7C { 80 PK_IFD }`; a v2 chip answers
//!   `7C { 81 r_IC, 82 T_IC }` — §6.2.4.2, TR-03110-3 §B.11.
//!
//! For v1 the new keys are confirmed by one protected probe command (SELECT EF.COM); a chip
//! without the key cannot produce a valid MAC for it.

use num_bigint::BigUint;

use crate::apdu::{CommandApdu, StatusWord};
use crate::crypto::{Cipher, CryptoError, SecretBytes};
use crate::ecc::{DomainParams, EccError};
use crate::pace::chip::{self as pace_chip, KeyPair};
use crate::pace::PaceError;
use crate::secinfo::{
    CaProtocol, CaPublicKey, ChipAuthenticationInfo, ChipAuthenticationPublicKeyInfo, KeyAgreement,
    SecurityInfos,
};
use crate::sm::{SecureChannel, SmError};
use crate::tlv::{self, TlvError};
use crate::transport::{Transport, TransportError};

/// Errors that prevent running CA at all (as opposed to a failed verdict).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CaError {
    /// No usable ChipAuthenticationInfo + public key pair in the security infos.
    #[error("no usable Chip Authentication info and key")]
    NoChipAuthentication,
    /// The transport failed.
    #[error("transport: {0}")]
    Transport(#[from] TransportError),
    /// Key generation / agreement failed on our side.
    #[error("key agreement: {0}")]
    Ecc(#[from] EccError),
    /// Symmetric crypto failure on our side.
    #[error("crypto: {0}")]
    Crypto(#[from] CryptoError),
    /// PACE building block failure.
    #[error("{0}")]
    Pace(#[from] PaceError),
    /// TLV failure.
    #[error("TLV: {0}")]
    Der(#[from] TlvError),
}

/// Why CA failed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CaFailure {
    /// The chip rejected MSE or GENERAL AUTHENTICATE with this status word.
    ChipRejected(StatusWord),
    /// Secure messaging broke (wrong MAC, missing objects): the chip does not hold the key.
    SecureMessaging(String),
    /// The v2 authentication token does not verify.
    TokenMismatch,
    /// The chip's answer is malformed.
    Malformed(&'static str),
}

/// The result of Chip Authentication.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaVerdict {
    /// The chip proved possession of the CA private key.
    Passed,
    /// It did not (cloned chip, wrong key, broken session).
    Failed(CaFailure),
}

/// What [`authenticate`] returns.
#[derive(Debug)]
pub struct CaOutcome {
    /// The verdict.
    pub verdict: CaVerdict,
    /// The restarted secure channel (Some only when passed). After a failure the old channel
    /// is no longer usable either: the reader must reset the chip.
    pub channel: Option<SecureChannel>,
    /// The protocol used.
    pub protocol: CaProtocol,
    /// CA version (1 or 2).
    pub version: u32,
    /// Key id used, if any.
    pub key_id: Option<u32>,
    /// APDUs sent.
    pub apdu_count: u32,
}

/// Chooses the CA info and matching public key (by key id when present; a lone pair matches).
pub fn select(
    infos: &SecurityInfos,
) -> Option<(
    &ChipAuthenticationInfo,
    CaProtocol,
    &ChipAuthenticationPublicKeyInfo,
)> {
    let keys: Vec<_> = infos.ca_public_keys().collect();
    for info in infos.ca_infos() {
        let Some(proto) = info.protocol else { continue };
        let key = match info.key_id {
            Some(id) => keys
                .iter()
                .find(|k| k.key_id == Some(id) || keys.len() == 1),
            None => keys.first(),
        };
        let Some(key) = key else { continue };
        let ok = matches!(
            (&key.public_key, proto.agreement),
            (CaPublicKey::Ec { .. }, KeyAgreement::Ecdh)
                | (CaPublicKey::Dh { .. }, KeyAgreement::Dh)
        );
        if ok {
            return Some((info, proto, key));
        }
    }
    None
}

fn params_of(key: &CaPublicKey) -> DomainParams {
    match key {
        CaPublicKey::Ec { curve, .. } => DomainParams::Ec(curve.clone()),
        CaPublicKey::Dh { group, .. } => DomainParams::Dh(group.clone()),
    }
}

fn encode_public(key: &CaPublicKey) -> Vec<u8> {
    match key {
        CaPublicKey::Ec { curve, point } => curve.encode_point(point),
        CaPublicKey::Dh { group, y } => crate::ecc::to_fixed(y, group.len()),
    }
}

/// Chip Authentication math shared by terminal and virtual chip.
pub mod chip {
    use super::*;

    /// K = KA(SK, PK_peer): x-coordinate (ECDH) or padded value (DH), peer key validated.
    pub fn key_agreement(
        params: &DomainParams,
        own: &KeyPair,
        peer_public: &[u8],
    ) -> Result<SecretBytes, PaceError> {
        pace_chip::key_agreement(params, own, peer_public)
    }

    /// The chip's static key pair from its private value.
    pub fn static_key(params: &DomainParams, sk: &BigUint) -> Result<KeyPair, PaceError> {
        KeyPair::from_private(params, sk)
    }

    /// v1 session keys: KDF(K, 1), KDF(K, 2) (§6.2.3).
    pub fn session_keys_v1(cipher: Cipher, k: &[u8]) -> (SecretBytes, SecretBytes) {
        pace_chip::derive_keys(cipher, k)
    }

    /// v2 session keys: KDF(K ‖ r_IC, 1), KDF(K ‖ r_IC, 2) (TR-03110-2 §3.4.1).
    pub fn session_keys_v2(cipher: Cipher, k: &[u8], nonce: &[u8]) -> (SecretBytes, SecretBytes) {
        let mut seed = SecretBytes::new(k.to_vec());
        seed.extend_from_slice(nonce);
        pace_chip::derive_keys(cipher, &seed)
    }

    /// v2 token T_IC = MAC(KS_mac, 7F49 { 06 CA OID, 86/84 PK_IFD }).
    pub fn token_v2(
        protocol: &CaProtocol,
        k_mac: &[u8],
        terminal_public: &[u8],
    ) -> Result<[u8; 8], PaceError> {
        pace_chip::compute_token(
            protocol.cipher,
            protocol.agreement,
            k_mac,
            &protocol.oid(),
            terminal_public,
        )
    }

    /// Chip side of the GENERAL AUTHENTICATE for CA: takes the command data `7C { 80 PK_IFD }`
    /// and returns (response data, KS_enc, KS_mac). For version 2 the response is
    /// `7C { 81 r_IC, 82 T_IC }` with a fresh 8-byte nonce; for version 1 it is `7C 00`.
    pub fn respond_general_authenticate(
        protocol: &CaProtocol,
        version: u32,
        params: &DomainParams,
        static_private: &BigUint,
        command_data: &[u8],
    ) -> Result<(Vec<u8>, SecretBytes, SecretBytes), PaceError> {
        let (outer, _) = tlv::expect(command_data, 0x7C)?;
        let pk = tlv::find(outer.value, 0x80)?
            .ok_or(PaceError::Malformed("missing CA public key 80"))?
            .value;
        let own = static_key(params, static_private)?;
        let k = key_agreement(params, &own, pk)?;
        if version >= 2 {
            let mut r = [0u8; 8];
            rand::RngCore::fill_bytes(&mut rand::thread_rng(), &mut r);
            let (ke, km) = session_keys_v2(protocol.cipher, &k, &r);
            let t = token_v2(protocol, &km, pk)?;
            let mut body = tlv::encode(0x81, &r);
            body.extend(tlv::encode(0x82, &t));
            Ok((tlv::encode(0x7C, &body), ke, km))
        } else {
            let (ke, km) = session_keys_v1(protocol.cipher, &k);
            Ok((tlv::encode(0x7C, &[]), ke, km))
        }
    }

    /// Chip side of MSE:Set KAT (3DES, v1): data `91 PK_IFD [84 id]` → (KS_enc, KS_mac).
    pub fn respond_set_kat(
        cipher: Cipher,
        params: &DomainParams,
        static_private: &BigUint,
        command_data: &[u8],
    ) -> Result<(SecretBytes, SecretBytes), PaceError> {
        let pk = tlv::find(command_data, 0x91)?
            .ok_or(PaceError::Malformed("missing CA public key 91"))?
            .value;
        let own = static_key(params, static_private)?;
        let k = key_agreement(params, &own, pk)?;
        Ok(session_keys_v1(cipher, &k))
    }
}

enum Sent {
    Ok(Vec<u8>),
    /// Error status inside a verified (MACed) response.
    Rejected(StatusWord),
    /// Error status sent without secure messaging (the session is over).
    RejectedPlain(StatusWord),
    SmBroken(String),
}

impl Sent {
    /// The response data, or why Chip Authentication fails when there is none.
    fn data(self) -> Result<Vec<u8>, CaFailure> {
        match self {
            Sent::Ok(d) => Ok(d),
            Sent::Rejected(sw) | Sent::RejectedPlain(sw) => Err(CaFailure::ChipRejected(sw)),
            Sent::SmBroken(e) => Err(CaFailure::SecureMessaging(e)),
        }
    }
}

fn send_protected<T: Transport + ?Sized>(
    t: &mut T,
    ch: &mut SecureChannel,
    cmd: &CommandApdu,
    count: &mut u32,
) -> Result<Sent, CaError> {
    let p = match ch.protect_command(cmd) {
        Ok(p) => p,
        Err(e) => return Ok(Sent::SmBroken(e.to_string())),
    };
    let bytes = p
        .to_bytes()
        .map_err(|_| CaError::Pace(PaceError::Malformed("command encoding")))?;
    *count += 1;
    let raw = t.transmit(&bytes)?;
    match ch.unprotect_response(&raw) {
        Ok(r) if r.sw.is_success() => Ok(Sent::Ok(r.data)),
        Ok(r) => Ok(Sent::Rejected(r.sw)),
        Err(SmError::Unprotected(sw)) => Ok(Sent::RejectedPlain(sw)),
        Err(e) => Ok(Sent::SmBroken(e.to_string())),
    }
}

/// Runs Chip Authentication inside `channel` using the CA infos and key from `infos` (DG14 or
/// the EF.CardSecurity content). Consumes the old channel; on success returns the new one.
pub fn authenticate<T: Transport + ?Sized>(
    t: &mut T,
    mut channel: SecureChannel,
    infos: &SecurityInfos,
) -> Result<CaOutcome, CaError> {
    let (info, protocol, key) = select(infos).ok_or(CaError::NoChipAuthentication)?;
    let params = params_of(&key.public_key);
    let chip_public = encode_public(&key.public_key);
    let eph = KeyPair::generate(&params)?;
    let k = chip::key_agreement(&params, &eph, &chip_public)?;
    let key_id = info.key_id.or(key.key_id);
    let mut count = 0u32;
    let fail = |f: CaFailure, count: u32| CaOutcome {
        verdict: CaVerdict::Failed(f),
        channel: None,
        protocol,
        version: info.version,
        key_id,
        apdu_count: count,
    };
    let id_do = |id: Option<u32>| -> Vec<u8> {
        match id {
            Some(id) => {
                let b = id.to_be_bytes();
                let skip = b.iter().position(|x| *x != 0).unwrap_or(3);
                tlv::encode(0x84, &b[skip..])
            }
            None => Vec::new(),
        }
    };

    let use_kat = protocol.cipher == Cipher::Tdes && info.version < 2;
    let (k_enc, k_mac) = if use_kat {
        // §6.2.4.1: MSE:Set KAT.
        let mut data = tlv::encode(0x91, &eph.public);
        data.extend(id_do(key_id));
        let cmd = CommandApdu::new(0x00, 0x22, 0x41, 0xA6).with_data(data);
        if let Err(why) = send_protected(t, &mut channel, &cmd, &mut count)?.data() {
            return Ok(fail(why, count));
        }
        chip::session_keys_v1(protocol.cipher, &k)
    } else {
        // §6.2.4.2: MSE:Set AT + GENERAL AUTHENTICATE.
        let mut data = tlv::encode(0x80, &tlv::write::oid_value(&protocol.oid()));
        data.extend(id_do(key_id));
        let cmd = CommandApdu::new(0x00, 0x22, 0x41, 0xA4).with_data(data);
        if let Err(why) = send_protected(t, &mut channel, &cmd, &mut count)?.data() {
            return Ok(fail(why, count));
        }
        let ga = CommandApdu::new(0x00, 0x86, 0x00, 0x00)
            .with_data(tlv::encode(0x7C, &tlv::encode(0x80, &eph.public)))
            .with_ne(256);
        let resp = match send_protected(t, &mut channel, &ga, &mut count)?.data() {
            Ok(d) => d,
            Err(why) => return Ok(fail(why, count)),
        };
        let inner = match tlv::expect(&resp, 0x7C) {
            Ok((o, _)) => o.value.to_vec(),
            Err(_) if resp.is_empty() => Vec::new(),
            Err(_) => return Ok(fail(CaFailure::Malformed("GA response"), count)),
        };
        let nonce = tlv::find(&inner, 0x81)
            .ok()
            .flatten()
            .map(|t| t.value.to_vec());
        let token = tlv::find(&inner, 0x82)
            .ok()
            .flatten()
            .map(|t| t.value.to_vec());
        match (nonce, token) {
            (Some(r), Some(tk)) => {
                let (ke, km) = chip::session_keys_v2(protocol.cipher, &k, &r);
                let expect = chip::token_v2(&protocol, &km, &eph.public)?;
                if !pace_chip::tokens_equal(&expect, &tk) {
                    return Ok(fail(CaFailure::TokenMismatch, count));
                }
                (ke, km)
            }
            (None, None) if info.version < 2 => chip::session_keys_v1(protocol.cipher, &k),
            _ => return Ok(fail(CaFailure::Malformed("v2 nonce/token missing"), count)),
        }
    };

    // Restart secure messaging with SSC = 0 (§6.2.3 / §9.8.2).
    let mut new_channel = SecureChannel::new(
        protocol.cipher,
        &k_enc,
        &k_mac,
        &vec![0u8; protocol.cipher.block_len()],
    )
    .map_err(|_| CaError::Pace(PaceError::Malformed("session key length")))?;

    // Confirm the keys with one protected command: a clone cannot MAC the answer.
    let probe = crate::apdu::select_ef(0x011E);
    match send_protected(t, &mut new_channel, &probe, &mut count)? {
        Sent::Ok(_) | Sent::Rejected(_) => {}
        Sent::RejectedPlain(sw) => {
            return Ok(fail(
                CaFailure::SecureMessaging(format!("probe answered without SM: {sw}")),
                count,
            ))
        }
        Sent::SmBroken(e) => return Ok(fail(CaFailure::SecureMessaging(e), count)),
    }
    Ok(CaOutcome {
        verdict: CaVerdict::Passed,
        channel: Some(new_channel),
        protocol,
        version: info.version,
        key_id,
        apdu_count: count,
    })
}

#[cfg(test)]
mod tests;
