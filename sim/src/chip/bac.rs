//! Card side of Basic Access Control (ICAO 9303-11 §4.3): GET CHALLENGE, then EXTERNAL
//! AUTHENTICATE with E_IFD || M_IFD, answered with E_ICC || M_ICC; session keys from
//! K.IFD xor K.ICC, SSC from the low halves of the nonces.

use document::crypto::{self, Cipher, KdfCounter};
use rand::RngCore;

use super::sm::{PlainCommand, SmSession};
use super::{sw, Access, Session, VirtualChip};

/// GET CHALLENGE: an 8-byte RND.ICC (ICAO 9303-11 §4.3.4.1).
pub(super) fn get_challenge(chip: &mut VirtualChip, cmd: &PlainCommand) -> Result<Vec<u8>, u16> {
    if cmd.le != Some(8) || cmd.p1 != 0 || cmd.p2 != 0 {
        return Err(sw::WRONG_LENGTH);
    }
    if !chip.spec.bac {
        // A PACE-only chip (ICAO 9303-11 §4.2: BAC optional once PACE is supported).
        return Err(sw::INS_NOT_SUPPORTED);
    }
    let mut rnd = [0u8; 8];
    rand::thread_rng().fill_bytes(&mut rnd);
    chip.access = Access::BacChallenge(rnd);
    Ok(rnd.to_vec())
}

/// The BAC key seed: the first 16 bytes of SHA-1(MRZ_information) (ICAO 9303-11 §9.7.2).
pub(super) fn key_seed(mrz_information: &str) -> Vec<u8> {
    crypto::sha1(mrz_information.as_bytes())[..16].to_vec()
}

/// EXTERNAL AUTHENTICATE (ICAO 9303-11 §4.3.4.2 and Appendix D.3).
pub(super) fn external_authenticate(
    chip: &mut VirtualChip,
    cmd: &PlainCommand,
) -> Result<Vec<u8>, u16> {
    let Access::BacChallenge(rnd_icc) = chip.access else {
        return Err(sw::CONDITIONS);
    };
    // Whatever happens next, the challenge is used up.
    chip.access = Access::None;
    if cmd.data.len() != 40 {
        return Err(sw::WRONG_LENGTH);
    }
    let seed = key_seed(&chip.spec.mrz_information);
    let k_enc = Cipher::Tdes.kdf(&seed, KdfCounter::Enc);
    let k_mac = Cipher::Tdes.kdf(&seed, KdfCounter::Mac);
    let (e_ifd, m_ifd) = cmd.data.split_at(32);
    let mac = crypto::retail_mac(&k_mac, &crypto::pad(e_ifd, 8)).map_err(|_| sw::AUTH_FAILED)?;
    if !crypto::ct_eq(&mac, m_ifd) {
        return Err(sw::AUTH_FAILED);
    }
    let s = crypto::tdes_cbc_decrypt(&k_enc, e_ifd).map_err(|_| sw::AUTH_FAILED)?;
    let (rnd_ifd, rest) = s.split_at(8);
    let (rnd_icc_echo, k_ifd) = rest.split_at(8);
    if rnd_icc_echo != rnd_icc {
        return Err(sw::AUTH_FAILED);
    }
    let mut k_icc = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut k_icc);
    let mut r = rnd_icc.to_vec();
    r.extend_from_slice(rnd_ifd);
    r.extend_from_slice(&k_icc);
    let e_icc = crypto::tdes_cbc_encrypt(&k_enc, &r).map_err(|_| sw::AUTH_FAILED)?;
    let m_icc = crypto::retail_mac(&k_mac, &crypto::pad(&e_icc, 8)).map_err(|_| sw::AUTH_FAILED)?;
    // §9.7.4: K_seed = K.IFD xor K.ICC; SSC = RND.ICC[4..8] || RND.IFD[4..8].
    let seed: Vec<u8> = k_ifd.iter().zip(&k_icc).map(|(a, b)| a ^ b).collect();
    let mut ssc = rnd_icc[4..].to_vec();
    ssc.extend_from_slice(&rnd_ifd[4..]);
    let sm = SmSession::new(
        Cipher::Tdes,
        &Cipher::Tdes.kdf(&seed, KdfCounter::Enc),
        &Cipher::Tdes.kdf(&seed, KdfCounter::Mac),
        &ssc,
    )
    .map_err(|_| sw::AUTH_FAILED)?;
    chip.access = Access::Secure(Box::new(Session {
        sm,
        pace: false,
        _pace_pk: None,
    }));
    let mut out = e_icc;
    out.extend_from_slice(&m_icc);
    Ok(out)
}
