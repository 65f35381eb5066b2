//! The virtual chip's Active Authentication signatures checked by a verifier whose
//! cryptography this project did not write: `tests/independent/aa_check.py` (the Python
//! `cryptography` package; ISO/IEC 9796-2 scheme 1 recovery spelled out from the standard).
//! One ECDSA chip (the factory's specimen: P-256, ecdsa-plain-SHA256) and one RSA chip (the
//! specimen with an RSA-2048 AA key made by the checker, DG15 replaced to match).
//!
//! The chip is reached the way a gate reaches it: the document reader opens secure messaging,
//! then INTERNAL AUTHENTICATE carries a fixed challenge (ICAO 9303-11 §6.1). Needs the test
//! venv (`scripts/setup.sh`: `cryptography` from scripts/requirements-test.txt);
//! `EGATE_TEST_PYTHON` overrides the interpreter.

use std::path::{Path, PathBuf};

use document::apdu::CommandApdu;
use document::mrz::Mrz;
use document::reader::{self, AccessKey, Chip, ReaderOptions};
use egate_tests::run_independent;
use num_bigint::BigUint;
use sim::chip::{AaKey, LinkModel, StandardFile, VirtualChip};
use sim::factory::{self, lds, pki::TestPki, DocumentSpec};
use sim::inprocess::InProcessCard;

const CHALLENGE: [u8; 8] = [0x46, 0x08, 0xF9, 0x19, 0x88, 0x70, 0x22, 0x12];

/// Runs the checker with `args`; returns (exit code, output).
fn check(args: &[&Path]) -> (i32, String) {
    run_independent("aa_check.py", args)
}

/// A fresh directory under the system's temp dir, removed on drop (the sim crate has no
/// tempfile dependency).
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("egate-aa-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create temp dir");
        Self(dir)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn specimen() -> factory::Document {
    factory::build(&DocumentSpec::specimen(), &TestPki::generate("egate", "DE"))
}

/// What the chip gave: DG15, DG14 (if any) and its signature over [`CHALLENGE`].
struct Answer {
    dg15: Vec<u8>,
    dg14: Option<Vec<u8>>,
    signature: Vec<u8>,
}

fn internal_authenticate(doc: &factory::Document) -> Answer {
    let lines: Vec<&str> = doc.printed_mrz.lines().collect();
    let key = AccessKey::from(&Mrz::parse(&lines).expect("printed MRZ parses"));
    let card = InProcessCard::new(VirtualChip::new(doc.chip.clone()), LinkModel::TYPICAL);
    let mut chip = Chip::new(card, ReaderOptions::default());
    let read = reader::read_with(&mut chip, &key).expect("the chip reads");
    // ICAO 9303-11 §6.1.1: INTERNAL AUTHENTICATE, CLA 00 INS 88 P1 P2 00 00, Lc 08,
    // RND.IFD, Le 00 (up to 256 bytes: the RSA-2048 and P-256 signatures fit).
    let mut apdu = vec![0x00, 0x88, 0x00, 0x00, 0x08];
    apdu.extend_from_slice(&CHALLENGE);
    apdu.push(0x00);
    let r = chip
        .send(&CommandApdu::parse(&apdu).expect("APDU parses"))
        .expect("INTERNAL AUTHENTICATE under secure messaging");
    assert!(r.sw.is_success(), "chip answered {}", r.sw);
    Answer {
        dg15: read.dg(15).expect("DG15").to_vec(),
        dg14: read.dg(14).map(<[u8]>::to_vec),
        signature: r.data,
    }
}

/// The checker accepts the chip's signature and rejects a flipped bit and a wrong challenge;
/// returns its verdict on the genuine one.
fn independently_verified(answer: &Answer, name: &str) -> String {
    let dir = TempDir::new(name);
    let file = |name: &str, bytes: &[u8]| {
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    };
    let dg15 = file("dg15.bin", &answer.dg15);
    let challenge = file("challenge.bin", &CHALLENGE);
    let signature = file("signature.bin", &answer.signature);
    let dg14 = answer.dg14.as_ref().map(|d| file("dg14.bin", d));
    let run = |challenge: &Path, signature: &Path| {
        let mut args = vec![Path::new("verify"), dg15.as_path(), challenge, signature];
        args.extend(dg14.as_deref());
        check(&args)
    };

    let (code, ok) = run(&challenge, &signature);
    assert_eq!(code, 0, "{ok}");
    assert!(ok.starts_with("ok "), "{ok}");

    // One bit flipped, in the middle of the signature and in its last byte.
    for at in [answer.signature.len() / 2, answer.signature.len() - 1] {
        let mut flipped = answer.signature.clone();
        flipped[at] ^= 0x01;
        let (code, out) = run(&challenge, &file("flipped.bin", &flipped));
        assert_eq!(code, 1, "bit flipped at byte {at}: {out}");
        assert!(out.starts_with("invalid: "), "{out}");
    }

    // The same signature presented for another challenge (a replayed response).
    let mut other = CHALLENGE;
    other[7] ^= 0x80;
    let (code, out) = run(&file("other.bin", &other), &signature);
    assert_eq!(code, 1, "{out}");
    assert!(out.starts_with("invalid: "), "{out}");
    ok
}

#[test]
fn the_specimens_ecdsa_signature_verifies_independently() {
    let answer = internal_authenticate(&specimen());
    // P-256: r || s, 32 bytes each (BSI TR-03111 plain format).
    assert_eq!(answer.signature.len(), 64);
    let ok = independently_verified(&answer, "ecdsa");
    assert_eq!(ok, "ok ecdsa plain, secp256r1, sha256");
}

#[test]
fn an_rsa_chips_iso9796_2_signature_verifies_independently() {
    let keys = TempDir::new("rsa-key");
    let (code, out) = check(&[Path::new("rsa-key"), keys.path()]);
    assert_eq!(code, 0, "{out}");
    let hex = |name: &str| {
        let text = std::fs::read_to_string(keys.path().join(name)).unwrap();
        BigUint::parse_bytes(text.trim().as_bytes(), 16).expect("hex number")
    };
    let spki = std::fs::read(keys.path().join("rsa_spki.der")).unwrap();

    let mut doc = specimen();
    doc.chip.aa_key = Some(AaKey::Rsa {
        n: hex("rsa_n.hex"),
        d: hex("rsa_d.hex"),
    });
    *doc.chip
        .files
        .content_mut(StandardFile::DataGroup(15))
        .expect("the specimen has DG15") = lds::dg15(&spki);

    let answer = internal_authenticate(&doc);
    assert_eq!(answer.signature.len(), 256);
    let ok = independently_verified(&answer, "rsa");
    // SHA-1 with the implicit trailer BC; M1 fills the rest of the 2048-bit representative.
    assert_eq!(ok, "ok rsa iso9796-2 scheme 1, sha1, M1 234 bytes");
}
