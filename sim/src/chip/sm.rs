//! Card side of secure messaging (ICAO 9303-11 §9.8): unwrap protected command APDUs, wrap
//! response APDUs. A wrong MAC or malformed data object ends the session (§9.8.7).

use document::crypto::{self, Cipher, KdfCounter};

use super::capdu::Command;
use super::tlv;

/// Why a protected command was refused; the chip answers 6988 (or 6987) and drops the session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SmError {
    /// A mandatory SM data object (DO'8E') is missing: SW 6987.
    #[error("SM data object missing")]
    Missing,
    /// A wrong MAC, a bad cryptogram or padding, or a malformed data object: SW 6988.
    #[error("SM data objects incorrect")]
    Incorrect,
}

impl SmError {
    /// The status word for this error.
    pub fn sw(self) -> u16 {
        match self {
            SmError::Missing => 0x6987,
            SmError::Incorrect => 0x6988,
        }
    }
}

/// An unwrapped command: the plain INS/P1/P2, data and Le the reader protected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlainCommand {
    /// CLA with the SM bits cleared (command chaining bit kept).
    pub cla: u8,
    /// Instruction.
    pub ins: u8,
    /// Parameter 1.
    pub p1: u8,
    /// Parameter 2.
    pub p2: u8,
    /// Decrypted data.
    pub data: Vec<u8>,
    /// Le from DO'97', if present.
    pub le: Option<usize>,
}

/// Session keys and send sequence counter of one secure-messaging session.
#[derive(Debug, Clone)]
pub struct SmSession {
    cipher: Cipher,
    ks_enc: Vec<u8>,
    ks_mac: Vec<u8>,
    ssc: Vec<u8>,
}

impl SmSession {
    /// A session with the given keys and initial SSC (ICAO 9303-11 §9.8.2: BAC derives it from
    /// the nonces, PACE and CA start at zero).
    pub fn new(cipher: Cipher, ks_enc: Vec<u8>, ks_mac: Vec<u8>, ssc: Vec<u8>) -> Self {
        Self {
            cipher,
            ks_enc,
            ks_mac,
            ssc,
        }
    }

    /// A session whose keys derive from a shared secret with the KDF and SSC = 0 (PACE, CA).
    pub fn from_secret(cipher: Cipher, secret: &[u8]) -> Self {
        Self::new(
            cipher,
            cipher.kdf(secret, KdfCounter::Enc).to_vec(),
            cipher.kdf(secret, KdfCounter::Mac).to_vec(),
            vec![0; cipher.block_len()],
        )
    }

    /// The block cipher of this session.
    pub fn cipher(&self) -> Cipher {
        self.cipher
    }

    fn increment(&mut self) {
        for b in self.ssc.iter_mut().rev() {
            *b = b.wrapping_add(1);
            if *b != 0 {
                break;
            }
        }
    }

    /// ICAO 9303-11 §9.8.6.1 / §9.8.7.1: zero IV for 3DES, E(KSenc, SSC) for AES.
    fn iv(&self) -> Result<Vec<u8>, crypto::CryptoError> {
        self.cipher.sm_iv(&self.ks_enc, &self.ssc)
    }

    /// MAC over SSC || body, padded (ICAO pads before CMAC as well).
    fn mac(&self, body: &[u8]) -> Result<[u8; 8], crypto::CryptoError> {
        let mut input = self.ssc.clone();
        input.extend_from_slice(body);
        self.cipher
            .mac(&self.ks_mac, &crypto::pad(&input, self.cipher.block_len()))
    }

    /// Verifies and decrypts a protected command (ICAO 9303-11 §9.8.4). Increments the SSC.
    pub fn unwrap_command(&mut self, cmd: &Command<'_>) -> Result<PlainCommand, SmError> {
        self.increment();
        let bs = self.cipher.block_len();
        let objects = tlv::parse_all(cmd.data).ok_or(SmError::Incorrect)?;
        let mut cryptogram: Option<(u16, &[u8])> = None;
        let mut le_do: Option<&[u8]> = None;
        let mut mac: Option<&[u8]> = None;
        let mut mac_input = crypto::pad(&[cmd.cla | 0x0C, cmd.ins, cmd.p1, cmd.p2], bs);
        for o in &objects {
            match o.tag {
                0x85 | 0x87 if cryptogram.is_none() && mac.is_none() => {
                    cryptogram = Some((o.tag, o.value));
                    mac_input.extend_from_slice(&tlv::encode(o.tag, o.value));
                }
                0x97 if le_do.is_none() && mac.is_none() => {
                    le_do = Some(o.value);
                    mac_input.extend_from_slice(&tlv::encode(o.tag, o.value));
                }
                0x8E if mac.is_none() => mac = Some(o.value),
                _ => return Err(SmError::Incorrect),
            }
        }
        let mac = mac.ok_or(SmError::Missing)?;
        let expected = self.mac(&mac_input).map_err(|_| SmError::Incorrect)?;
        if !crypto::ct_eq(mac, &expected) {
            return Err(SmError::Incorrect);
        }
        let data = match cryptogram {
            None => Vec::new(),
            Some((tag, value)) => {
                // DO'87' carries a padding-content indicator 01 (§9.8.4); DO'85' (odd INS) not.
                let ct = if tag == 0x87 {
                    match value.split_first() {
                        Some((0x01, ct)) => ct,
                        _ => return Err(SmError::Incorrect),
                    }
                } else {
                    value
                };
                if ct.is_empty() || ct.len() % bs != 0 {
                    return Err(SmError::Incorrect);
                }
                let iv = self.iv().map_err(|_| SmError::Incorrect)?;
                let pt = self
                    .cipher
                    .decrypt_cbc(&self.ks_enc, &iv, ct)
                    .map_err(|_| SmError::Incorrect)?;
                crypto::unpad(&pt).map_err(|_| SmError::Incorrect)?.to_vec()
            }
        };
        let le = match le_do {
            None => None,
            Some([]) => Some(256),
            Some([0]) => Some(256),
            Some([n]) => Some(usize::from(*n)),
            Some([0, 0]) => Some(65_536),
            Some([a, b]) => Some(usize::from(u16::from_be_bytes([*a, *b]))),
            Some(_) => return Err(SmError::Incorrect),
        };
        Ok(PlainCommand {
            cla: cmd.cla & !0x0C,
            ins: cmd.ins,
            p1: cmd.p1,
            p2: cmd.p2,
            data,
            le,
        })
    }

    /// Protects a response (ICAO 9303-11 §9.8.5): DO'87' with the encrypted data (when there
    /// is any), DO'99' with the status word, DO'8E' with the MAC. Increments the SSC.
    pub fn wrap_response(&mut self, data: &[u8], sw: u16) -> Vec<u8> {
        self.increment();
        let bs = self.cipher.block_len();
        let mut body = Vec::new();
        if !data.is_empty() {
            let iv = self.iv().unwrap_or_else(|_| vec![0; bs]);
            let ct = self
                .cipher
                .encrypt_cbc(&self.ks_enc, &iv, &crypto::pad(data, bs))
                .unwrap_or_default();
            let mut v = vec![0x01];
            v.extend_from_slice(&ct);
            body.extend_from_slice(&tlv::encode(0x87, &v));
        }
        body.extend_from_slice(&tlv::encode(0x99, &sw.to_be_bytes()));
        let mac = self.mac(&body).unwrap_or([0; 8]);
        body.extend_from_slice(&tlv::encode(0x8E, &mac));
        body.extend_from_slice(&sw.to_be_bytes());
        body
    }
}
