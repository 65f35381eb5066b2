//! Basic Access Control (ICAO 9303-11 §4.3): document basic access keys from the MRZ, the
//! mutual authentication GET CHALLENGE / EXTERNAL AUTHENTICATE, and the session keys and SSC
//! of 3DES secure messaging.
//!
//! The pure building blocks ([`document_keys`], [`encrypt_and_mac`], [`verify_and_decrypt`],
//! [`session`]) serve both sides: the terminal ([`perform`]) and the virtual chip.

use zeroize::Zeroizing;

use crate::apdu::{self, CommandApdu, ResponseApdu, StatusWord};
use crate::crypto::{self, Cipher, CryptoError, KdfCounter, SecretBytes};
use crate::mrz::MrzKey;
use crate::sm::SecureChannel;
use crate::transport::{Transport, TransportError};

/// Errors of BAC.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BacError {
    /// The transport failed.
    #[error("transport: {0}")]
    Transport(#[from] TransportError),
    /// The chip refused a BAC command (e.g. 6982/6300 for wrong MRZ keys, 6D00 when BAC is
    /// not supported).
    #[error("chip refused {step}: {sw}")]
    Refused {
        /// "GET CHALLENGE" or "EXTERNAL AUTHENTICATE".
        step: &'static str,
        /// The status word.
        sw: StatusWord,
    },
    /// The chip's answer has the wrong length or is unparsable.
    #[error("malformed BAC response")]
    Malformed,
    /// The chip's cryptogram MAC does not verify (wrong MRZ keys or not the same chip).
    #[error("BAC response MAC does not verify")]
    MacMismatch,
    /// The chip's answer does not contain our nonces: not a genuine response to our challenge.
    #[error("BAC response does not echo the nonces")]
    NonceMismatch,
    /// Crypto failure (lengths).
    #[error("BAC crypto: {0}")]
    Crypto(#[from] CryptoError),
}

/// The document basic access keys (K_enc, K_mac) from the MRZ information (ICAO 9303-11
/// §9.7.2 and §9.7.1): K_seed = first 16 bytes of SHA-1(MRZ information), then the KDF with
/// counters 1 and 2, 3DES with parity adjusted.
pub fn document_keys(mrz_information: &[u8]) -> (SecretBytes, SecretBytes) {
    let h = Zeroizing::new(crypto::sha1(mrz_information));
    let seed = &h[..16];
    (
        Cipher::Tdes.kdf(seed, KdfCounter::Enc),
        Cipher::Tdes.kdf(seed, KdfCounter::Mac),
    )
}

/// E = 3DES-CBC(K_enc, S) with a zero IV and M = retail MAC(K_mac, pad(E)), returned as E || M
/// (ICAO 9303-11 §4.3.4.1 step 4–5 terminal side; step 2–3 chip side).
pub fn encrypt_and_mac(k_enc: &[u8], k_mac: &[u8], s: &[u8]) -> Result<Vec<u8>, BacError> {
    let e = crypto::tdes_cbc_encrypt(k_enc, s)?;
    let m = crypto::retail_mac(k_mac, &crypto::pad(&e, 8))?;
    let mut out = e;
    out.extend_from_slice(&m);
    Ok(out)
}

/// Verifies M over E and decrypts E (the inverse of [`encrypt_and_mac`]); `data` is E || M.
pub fn verify_and_decrypt(
    k_enc: &[u8],
    k_mac: &[u8],
    data: &[u8],
) -> Result<SecretBytes, BacError> {
    if data.len() != 40 {
        return Err(BacError::Malformed);
    }
    let (e, m) = data.split_at(32);
    let expect = crypto::retail_mac(k_mac, &crypto::pad(e, 8))?;
    if !crypto::ct_eq(&expect, m) {
        return Err(BacError::MacMismatch);
    }
    Ok(Zeroizing::new(crypto::tdes_cbc_decrypt(k_enc, e)?))
}

/// The BAC session (ICAO 9303-11 §9.7.3 / §9.8.2): K_seed = K.IFD xor K.IC, session keys by
/// the KDF, SSC = the 4 least significant bytes of RND.IC || those of RND.IFD.
pub fn session(
    k_ifd: &[u8],
    k_ic: &[u8],
    rnd_ic: &[u8],
    rnd_ifd: &[u8],
) -> Result<SecureChannel, BacError> {
    if k_ifd.len() != 16 || k_ic.len() != 16 || rnd_ic.len() != 8 || rnd_ifd.len() != 8 {
        return Err(BacError::Malformed);
    }
    let seed: SecretBytes = Zeroizing::new(k_ifd.iter().zip(k_ic).map(|(a, b)| a ^ b).collect());
    let ks_enc = Cipher::Tdes.kdf(&seed, KdfCounter::Enc);
    let ks_mac = Cipher::Tdes.kdf(&seed, KdfCounter::Mac);
    let mut ssc = [0u8; 8];
    ssc[..4].copy_from_slice(&rnd_ic[4..]);
    ssc[4..].copy_from_slice(&rnd_ifd[4..]);
    SecureChannel::new(Cipher::Tdes, &ks_enc, &ks_mac, &ssc).map_err(|_| BacError::Malformed)
}

/// Terminal side of BAC with fresh random RND.IFD and K.IFD.
pub fn perform<T: Transport + ?Sized>(
    transport: &mut T,
    key: &MrzKey,
) -> Result<SecureChannel, BacError> {
    let mut rnd_ifd = [0u8; 8];
    let mut k_ifd = Zeroizing::new([0u8; 16]);
    use rand::RngCore;
    let mut rng = rand::rngs::OsRng;
    rng.fill_bytes(&mut rnd_ifd);
    rng.fill_bytes(&mut k_ifd[..]);
    perform_with(transport, key, &rnd_ifd, &k_ifd[..])
}

fn exchange<T: Transport + ?Sized>(
    transport: &mut T,
    cmd: &CommandApdu,
    step: &'static str,
) -> Result<ResponseApdu, BacError> {
    let bytes = cmd.to_bytes().map_err(|_| BacError::Malformed)?;
    let r = ResponseApdu::parse(&transport.transmit(&bytes)?).map_err(|_| BacError::Malformed)?;
    if !r.sw.is_success() {
        return Err(BacError::Refused { step, sw: r.sw });
    }
    Ok(r)
}

/// Terminal side of BAC with the given nonce and key material (deterministic; for tests against
/// ICAO 9303-11 Appendix D). ICAO 9303-11 §4.3.4.1.
pub fn perform_with<T: Transport + ?Sized>(
    transport: &mut T,
    key: &MrzKey,
    rnd_ifd: &[u8],
    k_ifd: &[u8],
) -> Result<SecureChannel, BacError> {
    let (k_enc, k_mac) = document_keys(&key.information());
    let r = exchange(transport, &apdu::get_challenge(), "GET CHALLENGE")?;
    if r.data.len() != 8 {
        return Err(BacError::Malformed);
    }
    let rnd_ic = r.data;
    // S = RND.IFD || RND.IC || K.IFD.
    let mut s = Zeroizing::new(Vec::with_capacity(32));
    s.extend_from_slice(rnd_ifd);
    s.extend_from_slice(&rnd_ic);
    s.extend_from_slice(k_ifd);
    let cmd_data = encrypt_and_mac(&k_enc, &k_mac, &s)?;
    let cmd = CommandApdu::new(0x00, apdu::INS_EXTERNAL_AUTHENTICATE, 0, 0)
        .with_data(cmd_data)
        .with_ne(40);
    let r = exchange(transport, &cmd, "EXTERNAL AUTHENTICATE")?;
    // R = RND.IC || RND.IFD || K.IC.
    let plain = verify_and_decrypt(&k_enc, &k_mac, &r.data)?;
    if !crypto::ct_eq(&plain[..8], &rnd_ic) || !crypto::ct_eq(&plain[8..16], rnd_ifd) {
        return Err(BacError::NonceMismatch);
    }
    session(k_ifd, &plain[16..32], &rnd_ic, rnd_ifd)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v() -> Vec<(String, Vec<u8>)> {
        let text = include_str!("../tests/vectors/icao9303_11_appendix_d_bac.txt");
        text.lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
            .filter_map(|l| l.split_once('='))
            .filter(|(_, v)| !v.trim().starts_with('"'))
            .map(|(k, v)| (k.trim().to_string(), hex::decode(v.trim()).unwrap()))
            .collect()
    }
    fn get(v: &[(String, Vec<u8>)], k: &str) -> Vec<u8> {
        v.iter().find(|(n, _)| n == k).unwrap().1.clone()
    }

    /// A scripted chip answering with the Appendix D responses.
    struct Scripted {
        v: Vec<(String, Vec<u8>)>,
        sent: Vec<Vec<u8>>,
    }
    impl Transport for Scripted {
        fn transmit(&mut self, capdu: &[u8]) -> Result<Vec<u8>, TransportError> {
            self.sent.push(capdu.to_vec());
            let mut r = match capdu[1] {
                0x84 => get(&self.v, "rnd_ic"),
                0x82 => get(&self.v, "resp_data"),
                _ => vec![],
            };
            r.extend_from_slice(&[0x90, 0x00]);
            Ok(r)
        }
    }

    #[test]
    fn appendix_d_mutual_authentication() {
        let v = v();
        let key = MrzKey::new("L898902C", "690806", "940623").unwrap();
        let (ke, km) = document_keys(&key.information());
        assert_eq!(&ke[..], &get(&v, "k_enc")[..]);
        assert_eq!(&km[..], &get(&v, "k_mac")[..]);
        let mut t = Scripted {
            v: v.clone(),
            sent: vec![],
        };
        let ch = perform_with(&mut t, &key, &get(&v, "rnd_ifd"), &get(&v, "k_ifd")).unwrap();
        assert_eq!(t.sent[0], hex::decode("0084000008").unwrap());
        assert_eq!(&t.sent[1][5..45], &get(&v, "cmd_data")[..]);
        assert_eq!(ch.k_enc(), &get(&v, "ks_enc")[..]);
        assert_eq!(ch.k_mac(), &get(&v, "ks_mac")[..]);
        assert_eq!(ch.ssc(), &get(&v, "ssc")[..]);
        // The chip-side building blocks give back R.
        let r = verify_and_decrypt(&ke, &km, &get(&v, "resp_data")).unwrap();
        assert_eq!(&r[..], &get(&v, "r")[..]);
        assert_eq!(encrypt_and_mac(&ke, &km, &r).unwrap(), get(&v, "resp_data"));
    }

    #[test]
    fn wrong_keys_fail() {
        let v = v();
        let key = MrzKey::new("L898902C", "690806", "940624").unwrap();
        let mut t = Scripted {
            v: v.clone(),
            sent: vec![],
        };
        assert_eq!(
            perform_with(&mut t, &key, &get(&v, "rnd_ifd"), &get(&v, "k_ifd")).unwrap_err(),
            BacError::MacMismatch
        );
        assert_eq!(
            verify_and_decrypt(&[0; 16], &[0; 16], &[0; 39]).unwrap_err(),
            BacError::Malformed
        );
    }
}
