//! Card side of secure messaging (ICAO 9303-11 §9.8): unwrap protected command APDUs, wrap
//! response APDUs. The cryptography is `document::sm::SecureChannel`'s card direction (the
//! same code path the reader uses in the other direction); this module maps its errors to the
//! chip's status words. A wrong MAC or malformed data object ends the session (§9.8.7).

use document::apdu::{ResponseApdu, StatusWord};
use document::crypto::Cipher;
use document::sm::{self as dsm, SecureChannel};

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
pub struct SmSession {
    channel: SecureChannel,
}

impl std::fmt::Debug for SmSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SmSession({})", self.channel.cipher().name())
    }
}

impl SmSession {
    /// A session with the given keys and initial SSC (ICAO 9303-11 §9.8.2: BAC derives it from
    /// the nonces, PACE and CA start at zero). Fails on key or SSC lengths the cipher cannot
    /// take.
    pub fn new(cipher: Cipher, ks_enc: &[u8], ks_mac: &[u8], ssc: &[u8]) -> Result<Self, SmError> {
        SecureChannel::new(cipher, ks_enc, ks_mac, ssc)
            .map(|channel| Self { channel })
            .map_err(|_| SmError::Incorrect)
    }

    /// A session whose keys derive from a shared secret with the KDF and SSC = 0 (PACE, CA).
    pub fn from_secret(cipher: Cipher, secret: &[u8]) -> Self {
        Self {
            channel: SecureChannel::from_shared_secret(cipher, secret),
        }
    }

    /// The block cipher of this session.
    pub fn cipher(&self) -> Cipher {
        self.channel.cipher()
    }

    /// Verifies and decrypts a protected command APDU (ICAO 9303-11 §9.8.4). Increments the
    /// SSC.
    pub fn unwrap_command(&mut self, capdu: &[u8]) -> Result<PlainCommand, SmError> {
        match self.channel.unprotect_command(capdu) {
            Ok(c) => Ok(PlainCommand {
                cla: c.cla,
                ins: c.ins,
                p1: c.p1,
                p2: c.p2,
                data: c.data,
                le: c.ne,
            }),
            Err(dsm::SmError::MissingObject(_)) => Err(SmError::Missing),
            Err(_) => Err(SmError::Incorrect),
        }
    }

    /// Protects a response (ICAO 9303-11 §9.8.5): DO'87' with the encrypted data (when there
    /// is any), DO'99' with the status word, DO'8E' with the MAC. Increments the SSC. Should
    /// the protection itself fail (it cannot with the keys this module accepted), the answer
    /// is an unprotected 6988, which ends the reader's session as well.
    pub fn wrap_response(&mut self, data: &[u8], sw: u16) -> Vec<u8> {
        self.channel
            .protect_response(&ResponseApdu::new(data.to_vec(), StatusWord(sw)))
            .unwrap_or_else(|_| vec![0x69, 0x88])
    }
}
