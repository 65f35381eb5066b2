//! PACE — Password Authenticated Connection Establishment (ICAO 9303-11 §4.4), terminal side,
//! with the chip-side building blocks in [`chip`].
//!
//! Supported: Generic Mapping with ECDH and DH, Integrated Mapping with ECDH and DH (AES),
//! Chip Authentication Mapping (ECDH, AES); MRZ, CAN, PIN and PUK passwords; 3DES and
//! AES-128/192/256 secure messaging; every ICAO standardized parameter set and explicit
//! parameters from a PACEDomainParameterInfo.
//!
//! The flow ([`establish`]): MSE:Set AT (tag 80 OID, 83 password reference, 84 parameter id —
//! always sent, some chips answer 6A87 without it; no Le), then four GENERAL AUTHENTICATE
//! commands chained with CLA 10 (§4.4.4.2): encrypted nonce, mapping data, ephemeral keys,
//! authentication tokens (plus the encrypted CA data for CAM). The result is a
//! [`SecureChannel`] with SSC = 0.

pub mod chip;
pub mod im;

use num_bigint::BigUint;
use zeroize::Zeroizing;

use crate::apdu::{CommandApdu, ResponseApdu, StatusWord};
use crate::crypto::{CryptoError, SecretBytes};
use crate::ecc::{DomainParams, EccError};
use crate::mrz::MrzKey;
use crate::secinfo::{
    CaPublicKey, KeyAgreement, Mapping, PaceInfo, PaceProtocol, SecInfoError, SecurityInfos,
};
use crate::sm::SecureChannel;
use crate::tlv::{self, TlvError};
use crate::transport::{Transport, TransportError};

use chip::KeyPair;

/// A PACE password (ICAO 9303-11 §9.7.3; TR-03110 adds PIN and PUK).
#[derive(Clone)]
pub enum Password {
    /// The MRZ password: document number, date of birth, date of expiry.
    Mrz(MrzKey),
    /// The Card Access Number printed on the document.
    Can(Zeroizing<String>),
    /// A PIN (German ID cards).
    Pin(Zeroizing<String>),
    /// A PUK.
    Puk(Zeroizing<String>),
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let k = match self {
            Password::Mrz(_) => "Mrz",
            Password::Can(_) => "Can",
            Password::Pin(_) => "Pin",
            Password::Puk(_) => "Puk",
        };
        write!(f, "Password::{k}(<redacted>)")
    }
}

impl Password {
    /// A CAN password.
    pub fn can(can: &str) -> Self {
        Password::Can(Zeroizing::new(can.to_string()))
    }

    /// The password reference for MSE:Set AT tag 83 (§4.4.4.1): 1 MRZ, 2 CAN, 3 PIN, 4 PUK.
    pub fn reference(&self) -> u8 {
        match self {
            Password::Mrz(_) => 1,
            Password::Can(_) => 2,
            Password::Pin(_) => 3,
            Password::Puk(_) => 4,
        }
    }

    /// f(π): SHA-1 of the MRZ information, or the password characters unhashed (§9.7.3).
    pub fn seed(&self) -> SecretBytes {
        match self {
            Password::Mrz(k) => Zeroizing::new(crate::crypto::sha1(&k.information()).to_vec()),
            Password::Can(s) | Password::Pin(s) | Password::Puk(s) => {
                Zeroizing::new(s.as_bytes().to_vec())
            }
        }
    }
}

/// A short human-readable protocol name for reports, e.g. "PACE-ECDH-GM AES-128".
pub fn protocol_name(p: &PaceProtocol) -> String {
    let ka = match p.agreement {
        KeyAgreement::Dh => "DH",
        KeyAgreement::Ecdh => "ECDH",
    };
    let m = match p.mapping {
        Mapping::Generic => "GM",
        Mapping::Integrated => "IM",
        Mapping::ChipAuthentication => "CAM",
    };
    format!("PACE-{ka}-{m} {}", p.cipher.name())
}

/// Why PACE failed. A wrong password shows up as [`PaceError::ChipRejected`] (typically 6300 on
/// the last GENERAL AUTHENTICATE) or [`PaceError::TokenMismatch`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PaceError {
    /// EF.CardAccess offers no PACE protocol this library supports.
    #[error("no supported PACEInfo in EF.CardAccess")]
    NoSupportedProtocol,
    /// The transport failed.
    #[error("transport: {0}")]
    Transport(#[from] TransportError),
    /// The chip answered a PACE command with an error status.
    #[error("chip rejected {step}: {sw}")]
    ChipRejected {
        /// Which command.
        step: &'static str,
        /// Its status word.
        sw: StatusWord,
    },
    /// The chip's authentication token does not verify (wrong password or tampering).
    #[error("authentication token mismatch")]
    TokenMismatch,
    /// Malformed data from the peer.
    #[error("malformed PACE data: {0}")]
    Malformed(&'static str),
    /// A combination this implementation does not support.
    #[error("unsupported: {0}")]
    Unsupported(&'static str),
    /// Steps out of order (chip session).
    #[error("PACE step out of order")]
    State,
    /// Domain parameters or point validation failed.
    #[error("key agreement: {0}")]
    Ecc(#[from] EccError),
    /// Symmetric crypto failed (wrong lengths, bad padding).
    #[error("crypto: {0}")]
    Crypto(#[from] CryptoError),
    /// TLV structure broken.
    #[error("TLV: {0}")]
    Der(#[from] TlvError),
    /// Parameters from EF.CardAccess unusable.
    #[error("security infos: {0}")]
    SecInfo(#[from] SecInfoError),
}

impl PaceError {
    /// The status word a chip answers when its side of PACE fails with this error (for the
    /// virtual chip): 6300 authentication failed (token mismatch: wrong password), 6985
    /// conditions not satisfied (step out of order), 6A80 wrong data otherwise.
    pub fn chip_status(&self) -> u16 {
        match self {
            PaceError::TokenMismatch => 0x6300,
            PaceError::State => 0x6985,
            _ => 0x6A80,
        }
    }
}

/// Options for [`establish`].
#[derive(Debug, Clone, Default)]
pub struct PaceOptions {
    /// Use exactly this protocol OID when EF.CardAccess offers it.
    pub protocol_oid: Option<String>,
    /// Prefer this mapping when several are offered (default: CAM, then GM, then IM).
    pub prefer_mapping: Option<Mapping>,
    /// Verify CAM immediately against these infos (EF.CardSecurity content); usually `None`
    /// because EF.CardSecurity is only readable after PACE — call
    /// [`PaceOutcome::verify_cam`] then.
    pub card_security: Option<SecurityInfos>,
}

/// What CAM delivered: CA_IC and the chip's mapping public key, kept for verification against
/// the CA public key from EF.CardSecurity.
#[derive(Debug, Clone)]
pub struct CamEvidence {
    /// CA_IC = SK_IC⁻¹·SK_map,IC mod n.
    pub ca_ic: BigUint,
    /// PK_map,IC as sent by the chip.
    pub chip_map_public: Vec<u8>,
    /// The static domain parameters.
    pub params: DomainParams,
}

/// A successful PACE run.
#[derive(Debug)]
pub struct PaceOutcome {
    /// Secure messaging with the new session keys, SSC = 0.
    pub channel: SecureChannel,
    /// The protocol run.
    pub protocol: PaceProtocol,
    /// The mapping (same as `protocol.mapping`).
    pub mapping: Mapping,
    /// The domain-parameter id from PACEInfo.
    pub parameter_id: u32,
    /// `Some(true/false)` once CAM was checked, `None` for GM/IM or before the check.
    pub cam_verified: Option<bool>,
    /// CAM data for a later [`PaceOutcome::verify_cam`].
    pub cam: Option<CamEvidence>,
    /// Number of APDUs exchanged.
    pub apdu_count: u32,
}

impl PaceOutcome {
    /// Verifies CAM against EF.CardSecurity's ChipAuthenticationPublicKeyInfos: the key on
    /// the PACE curve, chosen by KeyId = PACE parameter id when several share the curve
    /// (ICAO 9303-11 §4.4.3.5.1). Records and returns the verdict; `None` when not CAM.
    pub fn verify_cam(&mut self, card_security: &SecurityInfos) -> Option<bool> {
        let ev = self.cam.as_ref()?;
        let v = verify_cam_evidence(ev, self.parameter_id, card_security);
        self.cam_verified = Some(v);
        Some(v)
    }
}

/// CAM verification as a pure function (see [`PaceOutcome::verify_cam`]).
pub fn verify_cam_evidence(ev: &CamEvidence, parameter_id: u32, infos: &SecurityInfos) -> bool {
    let DomainParams::Ec(pace_curve) = &ev.params else {
        return false;
    };
    let candidates: Vec<_> = infos
        .ca_public_keys()
        .filter_map(|k| match &k.public_key {
            CaPublicKey::Ec { curve, point }
                if curve.p == pace_curve.p
                    && curve.a == pace_curve.a
                    && curve.b == pace_curve.b
                    && curve.n == pace_curve.n =>
            {
                Some((k.key_id, point))
            }
            _ => None,
        })
        .collect();
    let chosen = if candidates.len() > 1 {
        candidates.iter().find(|(id, _)| *id == Some(parameter_id))
    } else {
        candidates.first()
    };
    match chosen {
        Some((_, point)) => chip::cam_verify(&ev.params, &ev.ca_ic, point, &ev.chip_map_public),
        None => false,
    }
}

fn mapping_rank(m: Mapping, prefer: Option<Mapping>) -> u8 {
    if Some(m) == prefer {
        return 10;
    }
    match m {
        Mapping::ChipAuthentication => 3,
        Mapping::Generic => 2,
        Mapping::Integrated => 1,
    }
}

/// Picks the PACEInfo to run from EF.CardAccess (§4.4.1: the terminal selects among the
/// offered parameters). Protocols whose parameters cannot be resolved are skipped.
pub fn select_pace_info<'a>(
    card_access: &'a SecurityInfos,
    opts: &PaceOptions,
) -> Result<(&'a PaceInfo, PaceProtocol, DomainParams), PaceError> {
    let mut best: Option<(u8, &PaceInfo, PaceProtocol, DomainParams)> = None;
    for info in card_access.pace_infos() {
        let Some(proto) = info.protocol else { continue };
        if let Some(o) = &opts.protocol_oid {
            if &info.oid != o {
                continue;
            }
        }
        let Ok(params) = card_access.resolve_pace_parameters(info) else {
            continue;
        };
        let agreement_ok = matches!(
            (proto.agreement, &params),
            (KeyAgreement::Ecdh, DomainParams::Ec(_)) | (KeyAgreement::Dh, DomainParams::Dh(_))
        );
        if !agreement_ok {
            continue;
        }
        let mut rank = mapping_rank(proto.mapping, opts.prefer_mapping) * 2;
        if proto.agreement == KeyAgreement::Ecdh {
            rank += 1;
        }
        if best.as_ref().is_none_or(|b| rank > b.0) {
            best = Some((rank, info, proto, params));
        }
    }
    best.map(|(_, i, p, d)| (i, p, d))
        .ok_or(PaceError::NoSupportedProtocol)
}

/// MSE:Set AT for PACE (§4.4.4.1): `00 22 C1 A4` with 80 OID, 83 password reference and 84
/// parameter id, sent without Le.
pub fn mse_set_at(oid: &str, password_ref: u8, parameter_id: u32) -> CommandApdu {
    let mut data = tlv::encode(0x80, &tlv::write::oid_value(oid));
    data.extend(tlv::encode(0x83, &[password_ref]));
    data.extend(tlv::encode(0x84, &param_id_bytes(parameter_id)));
    CommandApdu::new(0x00, 0x22, 0xC1, 0xA4).with_data(data)
}

fn param_id_bytes(id: u32) -> Vec<u8> {
    let b = id.to_be_bytes();
    let skip = b.iter().position(|x| *x != 0).unwrap_or(3);
    b[skip..].to_vec()
}

/// GENERAL AUTHENTICATE with dynamic authentication data `7C { inner }` (§4.4.4.2); `last`
/// clears the chaining bit (CLA 00 instead of 10).
pub fn general_authenticate(inner: &[u8], last: bool) -> CommandApdu {
    let cla = if last { 0x00 } else { 0x10 };
    CommandApdu::new(cla, 0x86, 0x00, 0x00)
        .with_data(tlv::encode(0x7C, inner))
        .with_ne(256)
}

struct Exchanger<'t, T: Transport + ?Sized> {
    t: &'t mut T,
    count: u32,
}

impl<T: Transport + ?Sized> Exchanger<'_, T> {
    fn send(&mut self, cmd: &CommandApdu, step: &'static str) -> Result<Vec<u8>, PaceError> {
        let bytes = cmd
            .to_bytes()
            .map_err(|_| PaceError::Malformed("command encoding"))?;
        self.count += 1;
        let raw = self.t.transmit(&bytes)?;
        let r = ResponseApdu::parse(&raw).map_err(|_| PaceError::Malformed("response APDU"))?;
        if !r.sw.is_success() {
            return Err(PaceError::ChipRejected { step, sw: r.sw });
        }
        Ok(r.data)
    }

    /// Sends a GA and returns the children of the `7C` response.
    fn ga(&mut self, inner: &[u8], last: bool, step: &'static str) -> Result<Vec<u8>, PaceError> {
        let data = self.send(&general_authenticate(inner, last), step)?;
        let (outer, _) = tlv::expect(&data, 0x7C)?;
        Ok(outer.value.to_vec())
    }
}

fn find_do(data: &[u8], tag: u32) -> Result<Option<Vec<u8>>, PaceError> {
    Ok(tlv::find(data, tag)?.map(|t| t.value.to_vec()))
}

/// Runs PACE as the terminal over `t` and returns the secure channel (§4.4.1).
pub fn establish<T: Transport + ?Sized>(
    t: &mut T,
    card_access: &SecurityInfos,
    password: &Password,
    opts: &PaceOptions,
) -> Result<PaceOutcome, PaceError> {
    let (info, proto, params) = select_pace_info(card_access, opts)?;
    let parameter_id = info.parameter_id.unwrap_or(0);
    let oid = proto.oid();
    let cipher = proto.cipher;
    let mut x = Exchanger { t, count: 0 };

    x.send(
        &mse_set_at(&oid, password.reference(), parameter_id),
        "MSE:Set AT",
    )?;

    // Step 1: encrypted nonce (§4.4.3.1).
    let r1 = x.ga(&[], false, "GA encrypted nonce")?;
    let z = find_do(&r1, 0x80)?.ok_or(PaceError::Malformed("missing encrypted nonce 80"))?;
    let k_pi = chip::password_key(password, cipher);
    let s = chip::decrypt_nonce(cipher, &k_pi, &z)?;

    // Step 2: mapping (§4.4.3.3).
    let mut map_key: Option<KeyPair> = None;
    let mut chip_map_public = Vec::new();
    let eph_params = match proto.mapping {
        Mapping::Generic | Mapping::ChipAuthentication => {
            let k = KeyPair::generate(&params)?;
            let r2 = x.ga(&tlv::encode(0x81, &k.public), false, "GA map nonce")?;
            chip_map_public =
                find_do(&r2, 0x82)?.ok_or(PaceError::Malformed("missing mapping data 82"))?;
            if chip_map_public == k.public {
                return Err(PaceError::Malformed("chip mapping key equals ours"));
            }
            let d = chip::map_generic(&params, &s, &k, &chip_map_public)?;
            map_key = Some(k);
            d
        }
        Mapping::Integrated => {
            let mut tn = Zeroizing::new(vec![0u8; cipher.key_len()]);
            rand::RngCore::fill_bytes(&mut rand::thread_rng(), &mut tn);
            x.ga(&tlv::encode(0x81, &tn), false, "GA map nonce")?;
            chip::map_integrated(&params, cipher, &s, &tn)?
        }
    };
    drop(map_key);

    // Step 3: ephemeral key agreement (§4.4.3.4).
    let eph = KeyPair::generate(&eph_params)?;
    let r3 = x.ga(&tlv::encode(0x83, &eph.public), false, "GA key agreement")?;
    let chip_eph = find_do(&r3, 0x84)?.ok_or(PaceError::Malformed("missing ephemeral key 84"))?;
    let shared = chip::key_agreement(&eph_params, &eph, &chip_eph)?;
    let (k_enc, k_mac) = chip::derive_keys(cipher, &shared);

    // Step 4: mutual authentication with tokens (§4.4.3.4 f).
    let t_ifd = chip::compute_token(cipher, proto.agreement, &k_mac, &oid, &chip_eph)?;
    let r4 = x.ga(&tlv::encode(0x85, &t_ifd), true, "GA mutual authentication")?;
    let t_ic = find_do(&r4, 0x86)?.ok_or(PaceError::Malformed("missing token 86"))?;
    let expect = chip::compute_token(cipher, proto.agreement, &k_mac, &oid, &eph.public)?;
    if !chip::tokens_equal(&expect, &t_ic) {
        return Err(PaceError::TokenMismatch);
    }

    let mut cam = None;
    if proto.mapping == Mapping::ChipAuthentication {
        let a_ic =
            find_do(&r4, 0x8A)?.ok_or(PaceError::Malformed("missing encrypted CA data 8A"))?;
        let ca_ic = chip::cam_decrypt(cipher, &k_enc, &a_ic)?;
        cam = Some(CamEvidence {
            ca_ic,
            chip_map_public,
            params: params.clone(),
        });
    }
    let channel = SecureChannel::new(cipher, &k_enc, &k_mac, &vec![0u8; cipher.block_len()])
        .map_err(|_| PaceError::Malformed("session key length"))?;
    let mut out = PaceOutcome {
        channel,
        protocol: proto,
        mapping: proto.mapping,
        parameter_id,
        cam_verified: None,
        cam,
        apdu_count: x.count,
    };
    if let Some(cs) = &opts.card_security {
        out.verify_cam(cs);
    }
    Ok(out)
}

/// [`establish`] from the raw EF.CardAccess bytes: what the reader's PACE hook calls, e.g.
/// `pace::establish_with_card_access(chip.transport_mut(), card_access, &key.into(), &Default::default())`
/// and then `chip.set_secure_channel(outcome.channel)`.
pub fn establish_with_card_access<T: Transport + ?Sized>(
    t: &mut T,
    card_access: &[u8],
    password: &Password,
    opts: &PaceOptions,
) -> Result<PaceOutcome, PaceError> {
    let infos = SecurityInfos::parse(card_access)?;
    establish(t, &infos, password, opts)
}

#[cfg(test)]
pub(crate) mod tests;
