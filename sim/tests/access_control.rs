//! Access control on the virtual chip (issue #4, must-show 3): nothing but EF.CardAccess before
//! authentication; wrong MRZ fails BAC; a wrong MAC gives 6988 and ends the session. The
//! reader side here is document's secure-messaging channel plus a hand-written BAC exchange.

use document::apdu::CommandApdu;
use document::crypto::{self, Cipher, KdfCounter};
use document::sm::SecureChannel;
use sim::chip::VirtualChip;
use sim::factory::{self, pki::TestPki, DocumentSpec};

fn chip() -> VirtualChip {
    let pki = TestPki::generate("access-test", "UT");
    VirtualChip::new(factory::build(&DocumentSpec::specimen(), &pki).chip)
}

fn sw(r: &[u8]) -> u16 {
    u16::from_be_bytes([r[r.len() - 2], r[r.len() - 1]])
}

const SELECT_APP: [u8; 12] = [
    0x00, 0xA4, 0x04, 0x0C, 0x07, 0xA0, 0x00, 0x00, 0x02, 0x47, 0x10, 0x01,
];

/// BAC by hand (ICAO 9303-11 §4.3 / Appendix D), returning the reader's SM channel.
fn bac(chip: &mut VirtualChip, mrz_information: &str) -> Result<SecureChannel, u16> {
    let seed = &crypto::sha1(mrz_information.as_bytes())[..16];
    let k_enc = Cipher::Tdes.kdf(seed, KdfCounter::Enc);
    let k_mac = Cipher::Tdes.kdf(seed, KdfCounter::Mac);
    let r = chip.process(&[0x00, 0x84, 0x00, 0x00, 0x08]);
    if sw(&r) != 0x9000 {
        return Err(sw(&r));
    }
    let rnd_icc = r[..8].to_vec();
    let rnd_ifd = [1u8, 2, 3, 4, 5, 6, 7, 8];
    let k_ifd = [9u8; 16];
    let mut s = rnd_ifd.to_vec();
    s.extend_from_slice(&rnd_icc);
    s.extend_from_slice(&k_ifd);
    let e_ifd = crypto::tdes_cbc_encrypt(&k_enc, &s).unwrap();
    let m_ifd = crypto::retail_mac(&k_mac, &crypto::pad(&e_ifd, 8)).unwrap();
    let mut apdu = vec![0x00, 0x82, 0x00, 0x00, 0x28];
    apdu.extend_from_slice(&e_ifd);
    apdu.extend_from_slice(&m_ifd);
    apdu.push(0x28);
    let r = chip.process(&apdu);
    if sw(&r) != 0x9000 {
        return Err(sw(&r));
    }
    let resp = crypto::tdes_cbc_decrypt(&k_enc, &r[..32]).unwrap();
    assert_eq!(&resp[8..16], &rnd_ifd, "chip echoes RND.IFD");
    let k_icc = &resp[16..32];
    let seed: Vec<u8> = k_ifd.iter().zip(k_icc).map(|(a, b)| a ^ b).collect();
    let mut ssc = rnd_icc[4..].to_vec();
    ssc.extend_from_slice(&rnd_ifd[4..]);
    Ok(SecureChannel::new(
        Cipher::Tdes,
        &Cipher::Tdes.kdf(&seed, KdfCounter::Enc),
        &Cipher::Tdes.kdf(&seed, KdfCounter::Mac),
        &ssc,
    )
    .unwrap())
}

fn protected(ch: &mut SecureChannel, cmd: CommandApdu) -> Vec<u8> {
    ch.protect_command(&cmd).unwrap().to_bytes().unwrap()
}

#[test]
fn only_card_access_is_readable_before_authentication() {
    let mut c = chip();
    // EF.CardAccess by SFI 1C at the MF: readable.
    let r = c.process(&[0x00, 0xB0, 0x9C, 0x00, 0x04]);
    assert_eq!(sw(&r), 0x9000);
    assert_eq!(r[0], 0x31);
    // DG1 by FID and by SFI: 6982.
    assert_eq!(sw(&c.process(&SELECT_APP)), 0x9000);
    assert_eq!(
        sw(&c.process(&[0x00, 0xA4, 0x02, 0x0C, 0x02, 0x01, 0x01])),
        0x9000
    );
    assert_eq!(sw(&c.process(&[0x00, 0xB0, 0x00, 0x00, 0x04])), 0x6982);
    assert_eq!(sw(&c.process(&[0x00, 0xB0, 0x81, 0x00, 0x04])), 0x6982);
    assert_eq!(
        sw(&c.process(&[0x00, 0xB0, 0x9D, 0x00, 0x04])),
        0x6982,
        "EF.SOD"
    );
}

#[test]
fn wrong_mrz_fails_bac_and_right_mrz_reads_dg1() {
    let mut c = chip();
    assert_eq!(sw(&c.process(&SELECT_APP)), 0x9000);
    let wrong = "L898902C3674081323404159";
    assert_eq!(bac(&mut c, wrong).err(), Some(0x6300));
    let right = factory::specimen_bio().mrz_information();
    let mut ch = bac(&mut c, &right).expect("BAC");
    let r = c.process(&protected(
        &mut ch,
        CommandApdu::new(0x00, 0xB0, 0x81, 0x00).with_ne(4),
    ));
    let plain = ch.unprotect_response(&r).expect("valid SM response");
    assert!(plain.sw.is_success());
    assert_eq!(plain.data[0], 0x61, "DG1 tag");
}

#[test]
fn wrong_mac_gives_6988_and_ends_the_session() {
    let mut c = chip();
    assert_eq!(sw(&c.process(&SELECT_APP)), 0x9000);
    let right = factory::specimen_bio().mrz_information();
    let mut ch = bac(&mut c, &right).expect("BAC");
    let mut apdu = protected(&mut ch, CommandApdu::new(0x00, 0xB0, 0x81, 0x00).with_ne(4));
    // Flip a bit of the MAC (last byte before Le).
    let n = apdu.len();
    apdu[n - 2] ^= 0x01;
    assert_eq!(c.process(&apdu), vec![0x69, 0x88]);
    assert!(!c.in_session());
    // The old channel no longer works, and plain reads are refused again.
    let r = c.process(&protected(
        &mut ch,
        CommandApdu::new(0x00, 0xB0, 0x81, 0x00).with_ne(4),
    ));
    assert_eq!(sw(&r), 0x6987);
    assert_eq!(sw(&c.process(&[0x00, 0xB0, 0x81, 0x00, 0x04])), 0x6982);
}

#[test]
fn malformed_apdus_never_panic() {
    let mut c = chip();
    let mut x: u32 = 0x1234_5678;
    for len in 0..300usize {
        let mut v = Vec::with_capacity(len);
        for _ in 0..len {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            v.push(x as u8);
        }
        let r = c.process(&v);
        assert!(r.len() >= 2);
        // Also with each interesting INS and a protected CLA.
        for ins in [0xA4u8, 0xB0, 0xB1, 0x22, 0x86, 0x88, 0x82, 0x84] {
            if v.len() >= 4 {
                v[1] = ins;
                v[0] = [0x00, 0x0C, 0x10][len % 3];
                assert!(c.process(&v).len() >= 2);
            }
        }
    }
}
