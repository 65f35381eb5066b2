//! Reader-side AES secure messaging against vectors this crate did not compute:
//! `tests/independent/sm_vectors.json`, written by `tests/independent/sm_vectors.py` with
//! the Python `cryptography` package from ICAO 9303-11 §9.8 (AES-CBC with IV = E(KSenc,
//! SSC), ISO/IEC 9797-1 padding method 2, AES-CMAC truncated to 8 bytes). The command is a
//! READ BINARY with odd INS (offset in DO'54') and an extended Le, the case where DO'85'
//! replaces DO'87' and DO'97' carries two bytes.
//!
//! Regenerate (byte for byte the same): `$EGATE_ASSETS/venv/bin/python
//! tests/independent/sm_vectors.py tests/independent/sm_vectors.json`.

use document::apdu::{CommandApdu, StatusWord};
use document::crypto::Cipher;
use document::sm::{SecureChannel, SmError};

const VECTORS: &str = include_str!("../../tests/independent/sm_vectors.json");

/// A hex member of the flat vectors file (one `"name": "hex"` member per line).
fn field(name: &str) -> Vec<u8> {
    let key = format!("\"{name}\": \"");
    let line = VECTORS
        .lines()
        .find_map(|l| l.trim().strip_prefix(key.as_str()))
        .unwrap_or_else(|| panic!("no member {name} in the vectors"));
    let value = line.split('"').next().expect("closing quote");
    hex::decode(value).expect("hex")
}

fn channel(ssc: &str) -> SecureChannel {
    SecureChannel::new(
        Cipher::Aes128,
        &field("ks_enc"),
        &field("ks_mac"),
        &field(ssc),
    )
    .expect("AES-128 session")
}

#[test]
fn the_reader_protects_an_odd_ins_extended_read_binary_exactly_as_the_vectors_say() {
    let plain = CommandApdu::parse(&field("plain_command")).expect("plain command parses");
    assert_eq!(plain.ins, 0xB1);
    assert!(plain.is_extended());
    let mut sm = channel("ssc_before");
    let protected = sm.protect_command(&plain).expect("protects");
    assert_eq!(
        hex::encode(protected.to_bytes().expect("encodes")),
        hex::encode(field("protected_command"))
    );
    assert_eq!(sm.ssc(), field("ssc_command").as_slice());
}

#[test]
fn the_reader_unprotects_the_vectors_responses() {
    for name in ["protected_response_do87", "protected_response_do85"] {
        let mut sm = channel("ssc_command");
        let r = sm.unprotect_response(&field(name)).expect(name);
        assert_eq!(r.sw, StatusWord::SUCCESS, "{name}");
        assert_eq!(
            hex::encode(&r.data),
            hex::encode(field("response_data")),
            "{name}"
        );
        assert_eq!(sm.ssc(), field("ssc_response").as_slice(), "{name}");
    }
    // One byte of the MAC changed: refused.
    let mut bad = field("protected_response_do87");
    let mac_at = bad.len() - 3;
    bad[mac_at] ^= 0x01;
    let refused = channel("ssc_command").unprotect_response(&bad);
    assert!(matches!(refused, Err(SmError::MacMismatch)), "{refused:?}");
}

#[test]
fn the_card_side_agrees_with_the_vectors() {
    // The virtual chip's half of the same session: it reads the vectors' command and
    // answers with the vectors' DO'87' response.
    let mut card = channel("ssc_before");
    let plain = card
        .unprotect_command(&field("protected_command"))
        .expect("the vectors' command verifies");
    assert_eq!(
        hex::encode(plain.to_bytes().expect("encodes")),
        hex::encode(field("plain_command"))
    );
    let data = field("response_data");
    let response = document::apdu::ResponseApdu::new(data, StatusWord::SUCCESS);
    assert_eq!(
        hex::encode(card.protect_response(&response).expect("protects")),
        hex::encode(field("protected_response_do87"))
    );
}
