//! Property tests: every parser of untrusted chip bytes returns a value or a typed error on
//! arbitrary input, never panics (the stable-toolchain complement of the cargo-fuzz targets in
//! `fuzz/`). Also round-trip properties of secure messaging and APDU encoding.

use document::apdu::{CommandApdu, ResponseApdu, StatusWord};
use document::crypto::{self, Cipher};
use document::mrz::Mrz;
use document::sm::SecureChannel;
use document::{lds, reader, tlv};
use proptest::prelude::*;

const DG2: &[u8] = include_bytes!("data/jmrtd-bsi2008/Datagroup2.bin");
const DG2_39794: &[u8] = include_bytes!("data/gmrtd/ICAO_39794_5_AP_DG2_MandFields.dat");

fn cipher(i: u8) -> Cipher {
    match i % 4 {
        0 => Cipher::Tdes,
        1 => Cipher::Aes128,
        2 => Cipher::Aes192,
        _ => Cipher::Aes256,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn tlv_and_lds_never_panic(data in proptest::collection::vec(any::<u8>(), 0..600)) {
        let _ = tlv::validate_tree(&data);
        let _ = tlv::find_deep(&data, 0x5F1F);
        let _ = lds::parse_com(&data);
        let _ = lds::parse_dg1(&data);
        let _ = lds::parse_dg2_all(&data);
        let _ = lds::parse_dg7(&data);
        let _ = lds::parse_dg11(&data);
        let _ = lds::parse_dg12(&data);
        let _ = lds::parse_face_record_19794(&data);
        let _ = lds::image_dimensions(&data);
        let _ = reader::extended_length_info(&data);
        for tag in [0x60u32, 0x61, 0x75, 0x6B, 0x6C, 0x67] {
            let w = tlv::encode(tag, &data);
            let _ = lds::parse_com(&w);
            let _ = lds::parse_dg1(&w);
            let _ = lds::parse_dg2_all(&w);
            let _ = lds::parse_dg11(&w);
            let _ = lds::parse_dg12(&w);
        }
    }

    #[test]
    fn dg2_mutations_never_panic(pos in 0usize..16000, val in any::<u8>(), cut in 0usize..16000, which in any::<bool>()) {
        let base = if which { DG2 } else { DG2_39794 };
        let mut d = base.to_vec();
        let p = pos % d.len();
        d[p] = val;
        d.truncate(cut.max(1).min(d.len()));
        let _ = lds::parse_dg2_all(&d);
    }

    #[test]
    fn mrz_never_panics(s in "[A-Z0-9<\n]{0,100}", raw in proptest::collection::vec(any::<u8>(), 0..100)) {
        let lines: Vec<&str> = s.split('\n').collect();
        if let Ok(m) = Mrz::parse(&lines) {
            let _ = m.validate();
            let _ = m.key().information();
        }
        let _ = Mrz::from_dg1_bytes(&raw);
        let _ = Mrz::parse(&[String::from_utf8_lossy(&raw)]);
    }

    #[test]
    fn mrz_alphabet_shapes(s in "[A-Z0-9<]{90}") {
        for len in [90usize, 72, 88] {
            if let Ok(m) = Mrz::from_dg1_bytes(&s.as_bytes()[..len]) {
                let _ = m.validate();
            }
        }
    }

    #[test]
    fn sm_unwrap_never_panics(sel in any::<u8>(), data in proptest::collection::vec(any::<u8>(), 0..300)) {
        let c = cipher(sel);
        let mut t = SecureChannel::from_shared_secret(c, b"k");
        let mut card = SecureChannel::from_shared_secret(c, b"k");
        let _ = t.unprotect_response(&data);
        let _ = card.unprotect_command(&data);
        let _ = CommandApdu::parse(&data);
        // Arbitrary data objects under a valid MAC reach decryption and unpadding.
        let mut t = SecureChannel::from_shared_secret(c, b"k");
        let mut n = vec![0u8; c.block_len()];
        if let Some(last) = n.last_mut() { *last = 1; }
        n.extend_from_slice(&data);
        let mac = c.mac(t.k_mac(), &crypto::pad(&n, c.block_len())).unwrap();
        let mut r = data.clone();
        r.extend_from_slice(&[0x8E, 0x08]);
        r.extend_from_slice(&mac);
        r.extend_from_slice(&[0x90, 0x00]);
        let _ = t.unprotect_response(&r);
    }

    #[test]
    fn sm_roundtrip(sel in any::<u8>(), data in proptest::collection::vec(any::<u8>(), 0..600),
                    ne in proptest::option::of(1usize..=65536), ins in any::<u8>()) {
        let c = cipher(sel);
        let mut t = SecureChannel::from_shared_secret(c, b"k");
        let mut card = SecureChannel::from_shared_secret(c, b"k");
        let mut cmd = CommandApdu::new(0, ins, 1, 2).with_data(data.clone());
        cmd.ne = ne;
        let p = t.protect_command(&cmd).unwrap();
        let got = card.unprotect_command(&p.to_bytes().unwrap()).unwrap();
        prop_assert_eq!(&got.data, &cmd.data);
        prop_assert_eq!(got.ne, cmd.ne);
        let resp = ResponseApdu::new(data, StatusWord(0x6282));
        let wire = card.protect_response(&resp).unwrap();
        prop_assert_eq!(t.unprotect_response(&wire).unwrap(), resp);
        // Any single bit flip in the protected response is caught.
        let mut bad = card.protect_response(&ResponseApdu::new(vec![1, 2, 3], StatusWord::SUCCESS)).unwrap();
        let i = (sel as usize) % (bad.len() - 2);
        bad[i] ^= 0x01;
        prop_assert!(t.unprotect_response(&bad).is_err());
    }

    #[test]
    fn apdu_roundtrip(cla in any::<u8>(), ins in any::<u8>(), data in proptest::collection::vec(any::<u8>(), 0..400),
                      ne in proptest::option::of(1usize..=65536), ext in any::<bool>()) {
        let mut c = CommandApdu::new(cla, ins, 0, 0).with_data(data);
        c.ne = ne;
        c.force_extended = ext;
        let b = c.to_bytes().unwrap();
        let p = CommandApdu::parse(&b).unwrap();
        prop_assert_eq!(p.data, c.data);
        prop_assert_eq!(p.ne, c.ne);
    }
}
