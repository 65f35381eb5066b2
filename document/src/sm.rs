//! Secure messaging (ICAO 9303-11 §9.8): protecting and unprotecting APDUs with the session
//! keys of BAC, PACE or Chip Authentication, in both directions.
//!
//! - Terminal side: [`SecureChannel::protect_command`] / [`SecureChannel::unprotect_response`].
//! - Card side (the virtual chip): [`SecureChannel::unprotect_command`] /
//!   [`SecureChannel::protect_response`].
//!
//! The send sequence counter (SSC) is incremented before every protect/unprotect, so terminal
//! and card stay in step as long as every command gets exactly one response. A MAC that does
//! not verify is [`SmError::MacMismatch`]; a chip answers it with 6988 and ends the session.

use std::fmt;

use crate::apdu::{ApduError, CommandApdu, ResponseApdu, StatusWord};
use crate::crypto::{self, Cipher, CryptoError, KdfCounter, SecretBytes};
use crate::tlv::{self, TlvError};

/// Errors of secure messaging.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SmError {
    /// The MAC in DO'8E' does not match: the APDU was altered or the keys/SSC differ.
    /// The card answers this with 6988.
    #[error("secure messaging MAC does not verify")]
    MacMismatch,
    /// A mandatory secure-messaging data object is missing (card answers 6987).
    #[error("secure messaging data object {0:#04X} missing")]
    MissingObject(u8),
    /// The secure-messaging data objects are malformed (card answers 6988).
    #[error("malformed secure messaging data objects: {0}")]
    Malformed(&'static str),
    /// The response carries only a status word, without secure messaging: the chip rejected
    /// the protected command (typically 6987/6988, after which the session is over).
    #[error("chip answered without secure messaging: {0}")]
    Unprotected(StatusWord),
    /// The command is not marked as protected (CLA bits b4-b3 not set).
    #[error("command not protected with secure messaging")]
    CommandNotProtected,
    /// Keys or SSC of the wrong length for the cipher.
    #[error("secure messaging key or SSC length wrong for {0:?}")]
    KeyLength(Cipher),
    /// A block-cipher or padding error (bad padding inside a verified cryptogram).
    #[error("secure messaging crypto: {0}")]
    Crypto(#[from] CryptoError),
    /// The plain APDU cannot be encoded.
    #[error("secure messaging APDU: {0}")]
    Apdu(#[from] ApduError),
}

/// The state of one secure-messaging session: cipher suite, session keys and the send
/// sequence counter. Keys are wiped on drop; `Debug` prints only the cipher.
pub struct SecureChannel {
    cipher: Cipher,
    k_enc: SecretBytes,
    k_mac: SecretBytes,
    ssc: Vec<u8>,
}

impl fmt::Debug for SecureChannel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecureChannel({})", self.cipher.name())
    }
}

impl SecureChannel {
    /// A channel from session keys and an initial SSC (BAC: RND.IC[4..8] || RND.IFD[4..8];
    /// PACE and CA: zero, of the cipher's block length).
    pub fn new(cipher: Cipher, k_enc: &[u8], k_mac: &[u8], ssc: &[u8]) -> Result<Self, SmError> {
        if k_enc.len() != cipher.key_len()
            || k_mac.len() != cipher.key_len()
            || ssc.len() != cipher.block_len()
        {
            return Err(SmError::KeyLength(cipher));
        }
        Ok(SecureChannel {
            cipher,
            k_enc: SecretBytes::new(k_enc.to_vec()),
            k_mac: SecretBytes::new(k_mac.to_vec()),
            ssc: ssc.to_vec(),
        })
    }

    /// A channel whose keys are derived from a shared secret K with the 9303 KDF (counter 1 for
    /// K_enc, 2 for K_mac; ICAO 9303-11 §9.7.1), SSC zero: what PACE and Chip Authentication
    /// establish.
    pub fn from_shared_secret(cipher: Cipher, secret: &[u8]) -> Self {
        let k_enc = cipher.kdf(secret, KdfCounter::Enc);
        let k_mac = cipher.kdf(secret, KdfCounter::Mac);
        SecureChannel {
            cipher,
            k_enc,
            k_mac,
            ssc: vec![0; cipher.block_len()],
        }
    }

    /// The cipher suite.
    pub fn cipher(&self) -> Cipher {
        self.cipher
    }

    /// The current send sequence counter.
    pub fn ssc(&self) -> &[u8] {
        &self.ssc
    }

    /// K_enc (for the chip side and for tests against published vectors).
    pub fn k_enc(&self) -> &[u8] {
        &self.k_enc
    }

    /// K_mac.
    pub fn k_mac(&self) -> &[u8] {
        &self.k_mac
    }

    // ICAO 9303-11 §9.8.3: the SSC is incremented before each command and each response.
    fn increment_ssc(&mut self) {
        for b in self.ssc.iter_mut().rev() {
            let (v, carry) = b.overflowing_add(1);
            *b = v;
            if !carry {
                break;
            }
        }
    }

    fn bs(&self) -> usize {
        self.cipher.block_len()
    }

    fn encrypt(&self, plain: &[u8]) -> Result<Vec<u8>, SmError> {
        let iv = self.cipher.sm_iv(&self.k_enc, &self.ssc)?;
        Ok(self
            .cipher
            .encrypt_cbc(&self.k_enc, &iv, &crypto::pad(plain, self.bs()))?)
    }

    fn decrypt(&self, cryptogram: &[u8]) -> Result<Vec<u8>, SmError> {
        if cryptogram.is_empty() || cryptogram.len() % self.bs() != 0 {
            return Err(SmError::Malformed("cryptogram not block-aligned"));
        }
        let iv = self.cipher.sm_iv(&self.k_enc, &self.ssc)?;
        let plain = self.cipher.decrypt_cbc(&self.k_enc, &iv, cryptogram)?;
        Ok(crypto::unpad(&plain)?.to_vec())
    }

    // ICAO 9303-11 §9.8.6.2 / §9.8.7.2: MAC over pad(SSC || input).
    fn mac(&self, input: &[u8]) -> Result<[u8; 8], SmError> {
        let mut n = Vec::with_capacity(self.ssc.len() + input.len() + 16);
        n.extend_from_slice(&self.ssc);
        n.extend_from_slice(input);
        let n = crypto::pad(&n, self.bs());
        Ok(self.cipher.mac(&self.k_mac, &n)?)
    }

    /// Terminal side: protects a plain command (ICAO 9303-11 §9.8.4). The header gets CLA
    /// bits '0C'; data goes encrypted into DO'87' (even INS) or DO'85' (odd INS); Le into
    /// DO'97'; DO'8E' carries the MAC; the protected APDU has Le = 00 (or 0000 extended).
    pub fn protect_command(&mut self, cmd: &CommandApdu) -> Result<CommandApdu, SmError> {
        self.increment_ssc();
        let cla = cmd.cla | 0x0C;
        let mut body = Vec::with_capacity(cmd.data.len() + 32);
        if !cmd.data.is_empty() {
            let cryptogram = self.encrypt(&cmd.data)?;
            if cmd.ins & 1 == 1 {
                // Odd INS: BER-TLV data, DO'85' without padding-content indicator.
                tlv::push(&mut body, 0x85, &cryptogram);
            } else {
                let mut v = Vec::with_capacity(cryptogram.len() + 1);
                v.push(0x01);
                v.extend_from_slice(&cryptogram);
                tlv::push(&mut body, 0x87, &v);
            }
        }
        if let Some(ne) = cmd.ne {
            if cmd.is_extended() {
                tlv::push(&mut body, 0x97, &((ne % 65536) as u16).to_be_bytes());
            } else {
                tlv::push(&mut body, 0x97, &[(ne % 256) as u8]);
            }
        }
        let mut m = crypto::pad(&[cla, cmd.ins, cmd.p1, cmd.p2], self.bs());
        m.extend_from_slice(&body);
        let cc = self.mac(&m)?;
        tlv::push(&mut body, 0x8E, &cc);
        let extended = cmd.is_extended() || body.len() > 255;
        let mut out = CommandApdu::new(cla, cmd.ins, cmd.p1, cmd.p2)
            .with_data(body)
            .with_ne(if extended { 65536 } else { 256 });
        out.force_extended = extended;
        Ok(out)
    }

    /// Terminal side: verifies and decrypts a protected response (ICAO 9303-11 §9.8.5).
    /// Returns the plain data and the status word from DO'99'.
    pub fn unprotect_response(&mut self, rapdu: &[u8]) -> Result<ResponseApdu, SmError> {
        let outer = ResponseApdu::parse(rapdu)?;
        if outer.data.is_empty() {
            // No SM objects at all: the chip refused (e.g. 6988) and the session ends.
            return Err(SmError::Unprotected(outer.sw));
        }
        self.increment_ssc();
        let dos = parse_dos(&outer.data)?;
        let mut cryptogram: Option<(u8, &[u8])> = None;
        let mut sw: Option<StatusWord> = None;
        let mut mac: Option<(&[u8], usize)> = None;
        for d in &dos {
            match d.tag {
                0x87 | 0x85 if cryptogram.is_none() && mac.is_none() => {
                    cryptogram = Some((d.tag, d.value))
                }
                0x99 if sw.is_none() && mac.is_none() => {
                    if d.value.len() != 2 {
                        return Err(SmError::Malformed("DO'99' is not 2 bytes"));
                    }
                    sw = Some(StatusWord::from_bytes(d.value[0], d.value[1]));
                }
                0x8E if mac.is_none() => mac = Some((d.value, d.start)),
                _ => return Err(SmError::Malformed("unexpected data object in response")),
            }
        }
        let (cc, mac_start) = mac.ok_or(SmError::MissingObject(0x8E))?;
        if cc.len() != 8 {
            return Err(SmError::Malformed("DO'8E' is not 8 bytes"));
        }
        let expect = self.mac(&outer.data[..mac_start])?;
        if !crypto::ct_eq(&expect, cc) {
            return Err(SmError::MacMismatch);
        }
        let sw = sw.ok_or(SmError::MissingObject(0x99))?;
        let data = match cryptogram {
            None => Vec::new(),
            Some((0x87, v)) => {
                if v.first() != Some(&0x01) {
                    return Err(SmError::Malformed("DO'87' padding indicator is not 01"));
                }
                self.decrypt(&v[1..])?
            }
            Some((_, v)) => self.decrypt(v)?,
        };
        Ok(ResponseApdu::new(data, sw))
    }

    /// Card side: verifies and decrypts a protected command (ICAO 9303-11 §9.8.4, receiving
    /// end). Returns the plain command with CLA bits '0C' cleared. A wrong MAC is
    /// [`SmError::MacMismatch`] (answer 6988); a missing DO'8E' is
    /// [`SmError::MissingObject`] (answer 6987).
    pub fn unprotect_command(&mut self, capdu: &[u8]) -> Result<CommandApdu, SmError> {
        let cmd = CommandApdu::parse(capdu)?;
        if cmd.cla & 0x0C != 0x0C {
            return Err(SmError::CommandNotProtected);
        }
        self.increment_ssc();
        let dos = parse_dos(&cmd.data)?;
        let mut cryptogram: Option<(u8, &[u8])> = None;
        let mut le: Option<&[u8]> = None;
        let mut mac: Option<(&[u8], usize)> = None;
        for d in &dos {
            match d.tag {
                0x87 | 0x85 if cryptogram.is_none() && le.is_none() && mac.is_none() => {
                    cryptogram = Some((d.tag, d.value))
                }
                0x97 if le.is_none() && mac.is_none() => le = Some(d.value),
                0x8E if mac.is_none() => mac = Some((d.value, d.start)),
                _ => return Err(SmError::Malformed("unexpected data object in command")),
            }
        }
        let (cc, mac_start) = mac.ok_or(SmError::MissingObject(0x8E))?;
        if cc.len() != 8 {
            return Err(SmError::Malformed("DO'8E' is not 8 bytes"));
        }
        let mut m = crypto::pad(&[cmd.cla, cmd.ins, cmd.p1, cmd.p2], self.bs());
        m.extend_from_slice(&cmd.data[..mac_start]);
        let expect = self.mac(&m)?;
        if !crypto::ct_eq(&expect, cc) {
            return Err(SmError::MacMismatch);
        }
        let mut plain = CommandApdu::new(cmd.cla & !0x0C, cmd.ins, cmd.p1, cmd.p2);
        plain.force_extended = cmd.force_extended;
        match cryptogram {
            None => {}
            Some((0x87, v)) => {
                if v.first() != Some(&0x01) {
                    return Err(SmError::Malformed("DO'87' padding indicator is not 01"));
                }
                plain.data = self.decrypt(&v[1..])?;
            }
            Some((_, v)) => plain.data = self.decrypt(v)?,
        }
        plain.ne = match le {
            None => None,
            Some([0]) => Some(256),
            Some([n]) => Some(*n as usize),
            Some([0, 0]) => Some(65536),
            Some([a, b]) => Some(u16::from_be_bytes([*a, *b]) as usize),
            Some(_) => return Err(SmError::Malformed("DO'97' longer than 2 bytes")),
        };
        Ok(plain)
    }

    /// Card side: protects a response (ICAO 9303-11 §9.8.5): data encrypted in DO'87', the
    /// status word in DO'99', the MAC in DO'8E', then SW1-SW2 in clear.
    pub fn protect_response(&mut self, response: &ResponseApdu) -> Result<Vec<u8>, SmError> {
        self.increment_ssc();
        let mut body = Vec::with_capacity(response.data.len() + 32);
        if !response.data.is_empty() {
            let cryptogram = self.encrypt(&response.data)?;
            let mut v = Vec::with_capacity(cryptogram.len() + 1);
            v.push(0x01);
            v.extend_from_slice(&cryptogram);
            tlv::push(&mut body, 0x87, &v);
        }
        tlv::push(&mut body, 0x99, &response.sw.0.to_be_bytes());
        let cc = self.mac(&body)?;
        tlv::push(&mut body, 0x8E, &cc);
        body.extend_from_slice(&response.sw.0.to_be_bytes());
        Ok(body)
    }
}

/// Length of the response data field that carries `n` bytes of plain response data under
/// secure messaging (ICAO 9303-11 §9.8.5 and §9.8.6): DO'87' (padding-content indicator and
/// the cryptogram of the data padded with ISO/IEC 9797-1 method 2, which always adds at least
/// one byte), DO'99' (the status word, 4 bytes) and DO'8E' (the 8-byte MAC, 10 bytes).
pub fn protected_response_len(cipher: Cipher, n: usize) -> usize {
    const DO99_AND_DO8E: usize = 4 + 10;
    if n == 0 {
        return DO99_AND_DO8E;
    }
    let bs = cipher.block_len();
    let value = 1 + (n / bs + 1) * bs;
    let header = match value {
        0..=0x7F => 2,
        0x80..=0xFF => 3,
        _ => 4,
    };
    header + value + DO99_AND_DO8E
}

/// The largest plain response whose protected form fits in `ne` response bytes (for a short
/// APDU Ne ≤ 256, ISO/IEC 7816-4 §5.1): 223 bytes with AES, 231 with 3DES at Ne = 256. A
/// READ BINARY under secure messaging with short APDUs asks for no more than this, or the
/// chip cannot answer it (ICAO 9303-11 §9.8).
pub fn max_plaintext(cipher: Cipher, ne: usize) -> usize {
    let bs = cipher.block_len();
    // The padded cryptogram grows in whole blocks: find the largest block count that fits,
    // then the largest n that pads to it.
    let mut best = 0;
    let mut blocks = 1;
    loop {
        let n = blocks * bs - 1;
        if protected_response_len(cipher, n) > ne {
            return best;
        }
        best = n;
        blocks += 1;
    }
}

struct Do<'a> {
    tag: u8,
    value: &'a [u8],
    /// Offset of the tag byte in the parsed buffer.
    start: usize,
}

/// Parses the flat list of secure-messaging data objects: one-byte tags and lengths of at
/// most three bytes (ICAO 9303-11 §9.8.6), read by the one TLV reader.
fn parse_dos(b: &[u8]) -> Result<Vec<Do<'_>>, SmError> {
    let mut out = Vec::new();
    let mut rest = b;
    while !rest.is_empty() {
        if rest[0] & 0x1F == 0x1F {
            return Err(SmError::Malformed("multi-byte tag in SM data"));
        }
        let start = b.len() - rest.len();
        let (t, r) = tlv::parse_one(rest).map_err(|e| match e {
            TlvError::Truncated(_) => SmError::Malformed("value runs past the end"),
            _ => SmError::Malformed("unsupported length encoding"),
        })?;
        if t.raw.len() - t.value.len() > 5 {
            return Err(SmError::Malformed("unsupported length encoding"));
        }
        out.push(Do {
            tag: t.tag as u8,
            value: t.value,
            start,
        });
        rest = r;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apdu::{read_binary, select_ef};

    fn vectors() -> Vec<(String, Vec<u8>)> {
        let text = include_str!("../tests/vectors/icao9303_11_appendix_d_bac.txt");
        let mut out = Vec::new();
        for line in text.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            if let Some((k, v)) = line.split_once('=') {
                let v = v.trim();
                if !v.starts_with('"') {
                    out.push((k.trim().to_string(), hex::decode(v).unwrap()));
                }
            }
        }
        out
    }

    fn get(v: &[(String, Vec<u8>)], k: &str) -> Vec<u8> {
        v.iter().find(|(n, _)| n == k).unwrap().1.clone()
    }

    fn appendix_d_pair() -> (SecureChannel, SecureChannel, Vec<(String, Vec<u8>)>) {
        let v = vectors();
        // Terminal and chip start from the same keys and counter.
        let channel = || {
            let (k_enc, k_mac, ssc) = (get(&v, "ks_enc"), get(&v, "ks_mac"), get(&v, "ssc"));
            SecureChannel::new(Cipher::Tdes, &k_enc, &k_mac, &ssc).unwrap()
        };
        (channel(), channel(), v)
    }

    #[test]
    fn appendix_d_terminal_side() {
        let (mut t, _, v) = appendix_d_pair();
        // Each step: the command, its name in the vector file and the data it answers.
        let steps = [
            (select_ef(0x011E), "select", Vec::new()),
            (read_binary(0, 4), "read1", get(&v, "read1_data")),
            (read_binary(4, 0x12), "read2", get(&v, "read2_data")),
        ];
        for (cmd, step, data) in steps {
            let vector = |what: &str| get(&v, &format!("{step}_{what}"));
            assert_eq!(cmd.to_bytes().unwrap(), vector("plain"), "{step}");
            let p = t.protect_command(&cmd).unwrap();
            assert_eq!(p.to_bytes().unwrap(), vector("protected"), "{step}");
            let r = t.unprotect_response(&vector("response")).unwrap();
            assert!(r.sw.is_success(), "{step}");
            assert_eq!(r.data, data, "{step}");
        }
        assert_eq!(t.ssc(), &get(&v, "ssc_after")[..]);
    }

    #[test]
    fn appendix_d_card_side() {
        let (_, mut c, v) = appendix_d_pair();
        let cmd = c.unprotect_command(&get(&v, "select_protected")).unwrap();
        assert_eq!(cmd.to_bytes().unwrap(), get(&v, "select_plain"));
        let r = c
            .protect_response(&ResponseApdu::new(vec![], StatusWord::SUCCESS))
            .unwrap();
        assert_eq!(r, get(&v, "select_response"));
        let cmd = c.unprotect_command(&get(&v, "read1_protected")).unwrap();
        assert_eq!(cmd.to_bytes().unwrap(), get(&v, "read1_plain"));
        let r = c
            .protect_response(&ResponseApdu::new(
                get(&v, "read1_data"),
                StatusWord::SUCCESS,
            ))
            .unwrap();
        assert_eq!(r, get(&v, "read1_response"));
    }

    #[test]
    fn wrong_mac_is_typed() {
        let (mut t, mut c, v) = appendix_d_pair();
        let mut p = get(&v, "select_protected");
        let n = p.len();
        p[n - 3] ^= 1; // inside DO'8E'
        assert_eq!(c.unprotect_command(&p), Err(SmError::MacMismatch));
        let _ = t.protect_command(&select_ef(0x011E)).unwrap();
        let mut r = get(&v, "select_response");
        r[3] ^= 0x10; // the status inside DO'99'
        assert_eq!(t.unprotect_response(&r), Err(SmError::MacMismatch));
        assert_eq!(
            t.unprotect_response(&[0x69, 0x88]),
            Err(SmError::Unprotected(StatusWord::SM_OBJECTS_INCORRECT))
        );
    }

    #[test]
    fn roundtrip_all_ciphers_and_lengths() {
        for cipher in [Cipher::Tdes, Cipher::Aes128, Cipher::Aes192, Cipher::Aes256] {
            let mut t = SecureChannel::from_shared_secret(cipher, b"shared secret");
            let mut c = SecureChannel::from_shared_secret(cipher, b"shared secret");
            for (data_len, ne) in [
                (0, None),
                (2, None),
                (0, Some(223)),
                (300, Some(1000)),
                (5, Some(65536)),
            ] {
                let mut cmd = CommandApdu::new(0, 0xB0, 0, 0);
                cmd.data = vec![0x5A; data_len];
                cmd.ne = ne;
                let p = t.protect_command(&cmd).unwrap();
                let wire = p.to_bytes().unwrap();
                let got = c.unprotect_command(&wire).unwrap();
                assert_eq!(got.data, cmd.data);
                assert_eq!(got.ne, cmd.ne);
                let resp = ResponseApdu::new(vec![0xA5; data_len * 3], StatusWord::END_OF_FILE);
                let wire = c.protect_response(&resp).unwrap();
                assert_eq!(t.unprotect_response(&wire).unwrap(), resp);
            }
            // Odd INS uses DO'85'.
            let cmd = crate::apdu::read_binary_odd(40000, 100);
            let p = t.protect_command(&cmd).unwrap();
            assert_eq!(p.data[0], 0x85);
            assert_eq!(c.unprotect_command(&p.to_bytes().unwrap()).unwrap(), cmd);
            assert_eq!(t.ssc(), c.ssc());
            assert_eq!(t.ssc().len(), cipher.block_len());
        }
    }

    #[test]
    fn largest_plaintext_in_a_short_response() {
        assert_eq!(max_plaintext(Cipher::Aes128, 256), 223);
        assert_eq!(max_plaintext(Cipher::Aes256, 256), 223);
        assert_eq!(max_plaintext(Cipher::Tdes, 256), 231);
        for cipher in [Cipher::Tdes, Cipher::Aes128] {
            let mut c = SecureChannel::from_shared_secret(cipher, b"k");
            for ne in [64, 200, 256, 4096] {
                let n = max_plaintext(cipher, ne);
                let r = c
                    .protect_response(&ResponseApdu::new(vec![7; n], StatusWord::SUCCESS))
                    .unwrap();
                // The response data field is all but the trailing SW1-SW2.
                assert_eq!(r.len() - 2, protected_response_len(cipher, n));
                assert!(r.len() - 2 <= ne, "{cipher:?} {ne}");
                assert!(
                    protected_response_len(cipher, n + 1) > ne,
                    "{cipher:?} {ne}"
                );
            }
        }
    }

    #[test]
    fn garbage_never_panics() {
        let mut c = SecureChannel::from_shared_secret(Cipher::Aes128, b"k");
        for b in [
            &[0x0C, 0xB0, 0, 0][..],
            &[0x0C, 0xB0, 0, 0, 2, 0x8E, 0x7F],
            &[0x0C, 0xB0, 0, 0, 3, 0x87, 0x84, 0xFF],
            &[0x0C, 0xB0, 0, 0, 4, 0x97, 0x01, 0x00, 0x8E],
        ] {
            // Refused as malformed or incomplete, before any MAC is computed.
            let command = c.unprotect_command(b);
            assert!(
                matches!(
                    command,
                    Err(SmError::MissingObject(_) | SmError::Malformed(_) | SmError::Apdu(_))
                ),
                "{command:?}"
            );
            let response = c.unprotect_response(b);
            assert!(
                matches!(
                    response,
                    Err(SmError::MissingObject(_) | SmError::Malformed(_))
                ),
                "{response:?}"
            );
        }
    }
}
