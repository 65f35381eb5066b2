//! The reader against a small scripted chip (BAC + 3DES secure messaging, configurable read
//! quirks), built only from this crate's public card-side building blocks. The full virtual
//! passport lives in `sim`; this one exists so `document` tests stand alone.

use std::collections::BTreeMap;

use document::apdu::{CommandApdu, ResponseApdu, StatusWord};
use document::bac;
use document::mrz::MrzKey;
use document::pace::{chip::ChipSession, Password};
use document::reader::{
    read_document, read_with, AccessKey, AccessProtocol, Chip, ExtendedLength, ReadDocument,
    ReadError, ReaderOptions, Transport, TransportError, TransportErrorKind,
};
use document::secinfo::{Mapping, SecurityInfos};
use document::sm::SecureChannel;
use document::tlv;

const COM: &[u8] = include_bytes!("data/jmrtd-bsi2008/EF_COM.bin");
const DG1: &[u8] = include_bytes!("data/jmrtd-bsi2008/Datagroup1.bin");
const DG2: &[u8] = include_bytes!("data/jmrtd-bsi2008/Datagroup2.bin");
const DG14: &[u8] = include_bytes!("data/jmrtd-bsi2008/Datagroup14.bin");
const SOD: &[u8] = include_bytes!("data/jmrtd-bsi2008/EF_SOD.bin");

/// Read quirks of the scripted chip.
#[derive(Default, Clone)]
struct Quirks {
    /// Answer 6700 when Ne exceeds this (0: no limit).
    max_le: usize,
    /// Return at most this many bytes per READ BINARY, with 9000 (0: no limit).
    short_answers: usize,
    /// Accept extended-length APDUs.
    extended: bool,
    /// Present EF.ATR/INFO announcing this maximum response length.
    atr_info_max: Option<u16>,
    /// The card is pulled after this many APDUs.
    pull_after: Option<u32>,
    /// Flip a bit in the n-th response (a man in the middle).
    tamper_response: Option<u32>,
    /// Offer PACE (EF.CardAccess of the BSI worked example: ECDH-GM, AES-128, brainpoolP256r1).
    pace: bool,
    /// Refuse BAC (PACE-only chip).
    no_bac: bool,
    /// T=0 style: GET CHALLENGE answers 6108 and the nonce comes with GET RESPONSE.
    t0: bool,
    /// A protected READ BINARY answer longer than this (on the wire, without SW) is refused
    /// with a plain 6700, which ends the session (ICAO 9303-11 §9.8.6); 0: no limit.
    plain_refusal_above: usize,
}

const CARD_ACCESS: &[u8] = include_bytes!("data/vsmartcard-npa-ecdh/ef_cardaccess");

struct MiniChip {
    key: MrzKey,
    mf: BTreeMap<u16, Vec<u8>>,
    app: BTreeMap<u16, Vec<u8>>,
    in_app: bool,
    selected: Option<u16>,
    rnd_ic: [u8; 8],
    sm: Option<SecureChannel>,
    q: Quirks,
    apdus: u32,
    pace: Option<ChipSession>,
}

impl MiniChip {
    fn new(q: Quirks) -> Self {
        let mut app = BTreeMap::new();
        app.insert(0x011E, COM.to_vec());
        app.insert(0x0101, DG1.to_vec());
        app.insert(0x0102, DG2.to_vec());
        app.insert(0x010E, DG14.to_vec());
        app.insert(0x011D, SOD.to_vec());
        let mut mf = BTreeMap::new();
        if q.pace {
            mf.insert(0x011C, CARD_ACCESS.to_vec());
        }
        if let Some(max) = q.atr_info_max {
            let ext = tlv::encode(
                0x7F66,
                &[
                    tlv::encode(0x02, &max.to_be_bytes()),
                    tlv::encode(0x02, &max.to_be_bytes()),
                ]
                .concat(),
            );
            mf.insert(0x2F01, ext);
        }
        MiniChip {
            key: MrzKey::new("C11T002JM", "960812", "131031").unwrap(),
            mf,
            app,
            in_app: false,
            selected: None,
            rnd_ic: [0x46, 0x08, 0xF9, 0x19, 0x88, 0x70, 0x22, 0x12],
            sm: None,
            q,
            apdus: 0,
            pace: None,
        }
    }

    fn df(&self) -> &BTreeMap<u16, Vec<u8>> {
        if self.in_app {
            &self.app
        } else {
            &self.mf
        }
    }

    fn handle(&mut self, c: &CommandApdu) -> ResponseApdu {
        let sw = |s: u16| ResponseApdu::new(vec![], StatusWord(s));
        if c.is_extended() && !self.q.extended {
            return sw(0x6700);
        }
        match (c.ins, c.p1) {
            (0xA4, 0x04) => {
                self.in_app = true;
                self.selected = None;
                sw(0x9000)
            }
            (0xA4, 0x00) => {
                self.in_app = false;
                sw(0x9000)
            }
            (0xA4, 0x02) => {
                if c.ne.is_some() {
                    return sw(0x6A86); // this chip refuses an Le on SELECT
                }
                let fid = u16::from_be_bytes([c.data[0], c.data[1]]);
                if self.in_app && self.sm.is_none() {
                    return sw(0x6982);
                }
                if self.df().contains_key(&fid) {
                    self.selected = Some(fid);
                    sw(0x9000)
                } else {
                    sw(0x6A82)
                }
            }
            (0xB0 | 0xB1, _) => {
                if self.in_app && self.sm.is_none() {
                    return sw(0x6982);
                }
                let (fid, offset) = if c.ins == 0xB1 {
                    let (t, _) = tlv::expect(&c.data, 0x54).unwrap();
                    let off = t.value.iter().fold(0usize, |a, b| (a << 8) | *b as usize);
                    (self.selected, off)
                } else if c.p1 & 0x80 != 0 {
                    let sfi = c.p1 & 0x1F;
                    let fid = self.df().keys().copied().find(|f| (*f & 0x1F) as u8 == sfi);
                    self.selected = fid;
                    (fid, c.p2 as usize)
                } else {
                    (self.selected, ((c.p1 as usize) << 8) | c.p2 as usize)
                };
                let Some(file) = fid.and_then(|f| self.df().get(&f)) else {
                    return sw(0x6A82);
                };
                let mut ne = c.ne.unwrap_or(256);
                if self.q.max_le != 0 && ne > self.q.max_le {
                    return sw(0x6700);
                }
                if self.q.short_answers != 0 {
                    ne = ne.min(self.q.short_answers);
                }
                if offset > file.len() {
                    return sw(0x6B00);
                }
                let data = file[offset..(offset + ne).min(file.len())].to_vec();
                if c.ins == 0xB1 {
                    return ResponseApdu::new(tlv::encode(0x53, &data), StatusWord::SUCCESS);
                }
                ResponseApdu::new(data, StatusWord::SUCCESS)
            }
            (0x22, 0xC1) if self.q.pace => {
                let infos = SecurityInfos::parse(CARD_ACCESS).unwrap();
                let info = infos.pace_infos().next().unwrap();
                let params = infos.resolve_pace_parameters(info).unwrap();
                let pw = Password::Mrz(self.key.clone());
                self.pace = Some(ChipSession::new(info.protocol.unwrap(), params, &pw, None));
                sw(0x9000)
            }
            (0x86, _) => {
                let Some(p) = self.pace.as_mut() else {
                    return sw(0x6985);
                };
                match p.handle(&c.data) {
                    Ok(d) => {
                        if let Some((ke, km)) = p.session_keys() {
                            let cipher = p.protocol().cipher;
                            self.sm = Some(
                                SecureChannel::new(cipher, ke, km, &vec![0; cipher.block_len()])
                                    .unwrap(),
                            );
                        }
                        ResponseApdu::new(d, StatusWord::SUCCESS)
                    }
                    Err(_) => {
                        self.pace = None;
                        sw(0x6300)
                    }
                }
            }
            (0x84 | 0x82, _) if self.q.no_bac => sw(0x6D00),
            (0x84, _) if self.q.t0 => sw(0x6108),
            (0xC0, _) if self.q.t0 => ResponseApdu::new(self.rnd_ic.to_vec(), StatusWord::SUCCESS),
            (0x84, _) => ResponseApdu::new(self.rnd_ic.to_vec(), StatusWord::SUCCESS),
            (0x82, _) => {
                let (ke, km) = bac::document_keys(&self.key.information());
                let Ok(s) = bac::verify_and_decrypt(&ke, &km, &c.data) else {
                    return sw(0x6300);
                };
                if s[8..16] != self.rnd_ic {
                    return sw(0x6300);
                }
                let k_ic = [0x0Bu8; 16];
                let mut r = self.rnd_ic.to_vec();
                r.extend_from_slice(&s[..8]);
                r.extend_from_slice(&k_ic);
                let resp = bac::encrypt_and_mac(&ke, &km, &r).unwrap();
                self.sm = Some(bac::session(&s[16..32], &k_ic, &self.rnd_ic, &s[..8]).unwrap());
                // The BAC response itself is not protected.
                ResponseApdu::new(resp, StatusWord::SUCCESS)
            }
            _ => sw(0x6D00),
        }
    }
}

impl Transport for MiniChip {
    fn transmit(&mut self, capdu: &[u8]) -> Result<Vec<u8>, TransportError> {
        self.apdus += 1;
        if self.q.pull_after.is_some_and(|n| self.apdus > n) {
            return Err(TransportError::new(
                TransportErrorKind::Disconnected,
                "card removed",
            ));
        }
        let protected = capdu[0] & 0x0C == 0x0C;
        let mut out = if protected {
            let Some(sm) = self.sm.as_mut() else {
                return Ok(vec![0x69, 0x88]);
            };
            match sm.unprotect_command(capdu) {
                Ok(cmd) => {
                    let r = self.handle(&cmd);
                    let cipher = self.sm.as_ref().map(|s| s.cipher());
                    if let (0xB0 | 0xB1, Some(cipher)) = (cmd.ins, cipher) {
                        let wire = document::sm::protected_response_len(cipher, r.data.len());
                        if self.q.plain_refusal_above != 0 && wire > self.q.plain_refusal_above {
                            self.sm = None;
                            return Ok(vec![0x67, 0x00]);
                        }
                    }
                    match self.sm.as_mut() {
                        Some(sm) => sm.protect_response(&r).unwrap(),
                        None => r.to_bytes(),
                    }
                }
                Err(_) => {
                    self.sm = None;
                    vec![0x69, 0x88]
                }
            }
        } else {
            let Ok(cmd) = CommandApdu::parse(capdu) else {
                return Ok(vec![0x67, 0x00]);
            };
            self.handle(&cmd).to_bytes()
        };
        if self.q.tamper_response == Some(self.apdus) && out.len() > 4 {
            out[1] ^= 0x01;
        }
        Ok(out)
    }
}

fn key() -> AccessKey {
    AccessKey::Mrz(MrzKey::new("C11T002JM", "960812", "131031").unwrap())
}

/// Reads the scripted chip with `quirks` and checks that every file came through whole.
fn read_whole(quirks: Quirks, opts: ReaderOptions) -> (Chip<MiniChip>, ReadDocument) {
    let mut chip = Chip::new(MiniChip::new(quirks), opts);
    let doc = read_with(&mut chip, &key()).unwrap();
    check_content(&doc);
    (chip, doc)
}

fn check_content(doc: &ReadDocument) {
    assert_eq!(doc.dg(1), Some(DG1));
    assert_eq!(doc.dg(2), Some(DG2));
    assert_eq!(doc.dg(14), Some(DG14));
    assert_eq!(doc.sod, SOD);
    assert_eq!(doc.com.as_deref(), Some(COM));
}

#[test]
fn bac_read_of_specimen() {
    let (_, doc) = read_whole(Quirks::default(), ReaderOptions::default());
    assert_eq!(doc.access, AccessProtocol::Bac);
    let m = doc.mrz().unwrap();
    assert_eq!(m.primary_identifier(), "MUSTERMANN");
    let face = doc.face().unwrap();
    assert_eq!(face.format, document::lds::ImageFormat::Jpeg2000);
    assert!(
        doc.stats.apdus > 60 && doc.stats.apdus < 120,
        "{}",
        doc.stats.apdus
    );
    assert!(doc
        .stats
        .steps
        .iter()
        .any(|s| s.step == "DG2" && s.file_bytes == DG2.len()));
    assert!(!format!("{doc:?}").contains("MUSTERMANN"));
}

/// The chunk size follows what the chip answers: a refused Le steps down to the next
/// smaller size and is remembered; short answers shrink the chunk to their length.
#[test]
fn adaptive_le_steps_down_and_short_answers_shrink_the_chunk() {
    let refusing = Quirks {
        max_le: 200,
        ..Quirks::default()
    };
    let short = Quirks {
        short_answers: 100,
        ..Quirks::default()
    };
    for (quirks, le) in [(refusing, 192), (short, 100)] {
        let (chip, _) = read_whole(quirks, ReaderOptions::default());
        assert_eq!(chip.current_le(), le);
    }
}

#[test]
fn extended_length_from_atr_info() {
    let q = Quirks {
        extended: true,
        atr_info_max: Some(4096),
        ..Quirks::default()
    };
    let (chip, doc) = read_whole(q, ReaderOptions::default());
    assert!(chip.extended_max().is_some());
    let dg2 = doc.stats.steps.iter().find(|s| s.step == "DG2").unwrap();
    assert!(dg2.apdus <= 5, "DG2 in {} APDUs", dg2.apdus);
}

#[test]
fn extended_length_rejected_falls_back() {
    let q = Quirks::default();
    let mut opts = ReaderOptions::default();
    opts.extended_length = ExtendedLength::On(8192);
    let (chip, _) = read_whole(q, opts);
    assert_eq!(chip.extended_max(), None);
}

#[test]
fn offsets_beyond_32767_use_odd_ins() {
    let big: Vec<u8> = (0..40_000u32).map(|i| (i % 251) as u8).collect();
    let dg2 = tlv::encode(0x75, &big);
    let mut c = MiniChip::new(Quirks::default());
    c.app.insert(0x0102, dg2.clone());
    let doc = read_document(c, &key(), ReaderOptions::default()).unwrap();
    assert_eq!(doc.dg(2), Some(&dg2[..]));
}

#[test]
fn card_pulled_mid_read_is_an_error() {
    for n in [1, 3, 10, 40, 70] {
        let q = Quirks {
            pull_after: Some(n),
            ..Quirks::default()
        };
        match read_document(MiniChip::new(q), &key(), ReaderOptions::default()) {
            Err(ReadError::Transport(e)) => assert_eq!(e.kind(), TransportErrorKind::Disconnected),
            other => panic!("after {n} APDUs: {other:?}"),
        }
    }
}

#[test]
fn wrong_mrz_fails_bac() {
    let k = AccessKey::Mrz(MrzKey::new("C11T002JM", "960812", "131030").unwrap());
    let e = read_document(
        MiniChip::new(Quirks::default()),
        &k,
        ReaderOptions::default(),
    )
    .unwrap_err();
    assert!(
        matches!(e, ReadError::Bac(bac::BacError::Refused { .. })),
        "{e:?}"
    );
}

#[test]
fn tampered_response_is_caught() {
    let q = Quirks {
        tamper_response: Some(12),
        ..Quirks::default()
    };
    let e = read_document(MiniChip::new(q), &key(), ReaderOptions::default()).unwrap_err();
    assert!(matches!(e, ReadError::SecureMessaging(_)), "{e:?}");
}

#[test]
fn can_without_pace() {
    let k = AccessKey::Can(zeroize::Zeroizing::new("123456".into()));
    let e = read_document(
        MiniChip::new(Quirks::default()),
        &k,
        ReaderOptions::default(),
    )
    .unwrap_err();
    assert_eq!(e, ReadError::CanWithoutPace);
}

/// A chip that offers PACE and refuses BAC.
fn pace_only() -> Quirks {
    Quirks {
        pace: true,
        no_bac: true,
        ..Quirks::default()
    }
}

#[test]
fn pace_when_card_access_offers_it() {
    let (_, doc) = read_whole(pace_only(), ReaderOptions::default());
    assert!(matches!(doc.access, AccessProtocol::Pace(_)));
    let p = doc.pace.as_ref().unwrap();
    assert_eq!(p.mapping, Mapping::Generic);
    assert_eq!(p.parameter_id, 13);
    assert_eq!(p.cam_verified, None);
    assert!(doc.stats.steps.iter().any(|s| s.step == "PACE"));
}

#[test]
fn pace_only_chip_with_wrong_mrz_fails_pace() {
    let k = AccessKey::Mrz(MrzKey::new("C11T002JM", "960812", "131030").unwrap());
    let e = read_document(MiniChip::new(pace_only()), &k, ReaderOptions::default()).unwrap_err();
    assert!(matches!(e, ReadError::Pace(_)), "{e:?}");
}

#[test]
fn t0_get_response() {
    let q = Quirks {
        t0: true,
        ..Quirks::default()
    };
    let doc = read_document(MiniChip::new(q), &key(), ReaderOptions::default()).unwrap();
    check_content(&doc);
}

/// A chip whose buffer holds `n` bytes: a larger Le is refused with a plain 6700.
fn refusing_plain_above(n: usize) -> Quirks {
    Quirks {
        plain_refusal_above: n,
        ..Quirks::default()
    }
}

/// Without Chip Authentication the BAC channel stays in place to be inspected.
fn without_ca() -> ReaderOptions {
    let mut opts = ReaderOptions::default();
    opts.chip_authentication = false;
    opts
}

#[test]
fn first_le_fits_a_short_protected_response() {
    // A chip that can send no more than a short response allows (256 bytes with SM objects)
    // is read without a single refusal: the first Le under 3DES is 231.
    let (chip, doc) = read_whole(refusing_plain_above(256), without_ca());
    assert_eq!(chip.current_le(), 231);
    assert!(doc.stats.recoveries.is_empty());
}

#[test]
fn a_chip_that_ends_its_session_is_opened_again() {
    // This chip's buffer holds 200 bytes: Le 231, 224 and 192 are refused with a plain 6700
    // that ends the session; each time BAC runs again and the file resumes with a smaller Le.
    let (chip, doc) = read_whole(refusing_plain_above(200), without_ca());
    let r = &doc.stats.recoveries;
    let les: Vec<(usize, usize)> = r.iter().map(|r| (r.le_before, r.le_after)).collect();
    assert_eq!(les, [(231, 224), (224, 192), (192, 160)]);
    assert!(r
        .iter()
        .all(|r| r.status == StatusWord::WRONG_LENGTH && r.apdus >= 3));
    assert_eq!(
        doc.stats
            .steps
            .iter()
            .filter(|s| s.step == "recovery")
            .count(),
        3
    );
    assert_eq!(chip.current_le(), 160);

    // With fewer recoveries allowed the read fails with the chip's plain status.
    let mut opts = ReaderOptions::default();
    opts.max_recoveries = 2;
    let e = read_document(MiniChip::new(refusing_plain_above(200)), &key(), opts).unwrap_err();
    assert_eq!(
        e,
        ReadError::SecureMessaging(document::sm::SmError::Unprotected(StatusWord::WRONG_LENGTH))
    );
}
