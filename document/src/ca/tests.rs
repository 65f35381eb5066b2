//! Chip Authentication tests: the BSI TR-03110 worked example (CA v2) and PACE + CA runs
//! against an in-process chip with secure messaging, genuine and cloned.

use super::*;
use crate::apdu::ResponseApdu;
use crate::pace::tests::{card_access_for, hx, vectors, MiniChip};
use crate::pace::{self, Password};
use crate::secinfo::{oid, ChipAuthenticationInfo, SecurityInfo};

#[test]
fn bsi_worked_example_ca_v2() {
    let v = vectors(include_str!(
        "../../tests/vectors/bsi_tr03110_worked_example_pace_ca.txt"
    ));
    let params = DomainParams::standardized(13).unwrap();
    let proto = CaProtocol::from_oid(&v["ca_oid"]).unwrap();
    let sk = BigUint::from_bytes_be(&hx(&v, "ca_sk_picc"));
    let chip_key = chip::static_key(&params, &sk).unwrap();
    assert_eq!(chip_key.public, hx(&v, "ca_pk_picc"));
    let term =
        KeyPair::from_private(&params, &BigUint::from_bytes_be(&hx(&v, "ca_sk_pcd"))).unwrap();
    assert_eq!(term.public, hx(&v, "ca_pk_pcd"));
    let k = chip::key_agreement(&params, &chip_key, &term.public).unwrap();
    assert_eq!(*k, hx(&v, "ca_shared_secret"));
    let k2 = chip::key_agreement(&params, &term, &chip_key.public).unwrap();
    assert_eq!(k, k2);
    let (ke, km) = chip::session_keys_v2(proto.cipher, &k, &hx(&v, "ca_nonce"));
    assert_eq!(*ke, hx(&v, "ca_ks_enc"));
    assert_eq!(*km, hx(&v, "ca_ks_mac"));
    let t = chip::token_v2(&proto, &km, &term.public).unwrap();
    assert_eq!(t.to_vec(), hx(&v, "ca_token_picc"));
    // The key in the example's EF.CardSecurity is the chip's key and select() finds it with
    // the ChipAuthenticationInfo of EF.CardAccess.
    let cs = SecurityInfos::parse_card_security_unverified(include_bytes!(
        "../../tests/data/vsmartcard-npa-ecdh/ef_cardsecurity"
    ))
    .unwrap();
    let (info, p, key) = select(&cs).unwrap();
    assert_eq!(p, proto);
    assert_eq!(info.version, 2);
    assert_eq!(encode_public(&key.public_key), chip_key.public);
}

/// PACE chip extended with secure messaging and CA.
struct CaChip {
    pace: MiniChip,
    sm: Option<SecureChannel>,
    protocol: CaProtocol,
    version: u32,
    params: DomainParams,
    ca_private: BigUint,
    pending: Option<(SecretBytes, SecretBytes)>,
}

impl Transport for CaChip {
    fn transmit(&mut self, capdu: &[u8]) -> Result<Vec<u8>, TransportError> {
        let Some(sm) = self.sm.as_mut() else {
            let r = self.pace.transmit(capdu)?;
            if let Some((e, m)) = self.pace.session.as_ref().and_then(|s| s.session_keys()) {
                let cipher = self.pace.session.as_ref().unwrap().protocol().cipher;
                self.sm =
                    Some(SecureChannel::new(cipher, e, m, &vec![0; cipher.block_len()]).unwrap());
            }
            return Ok(r);
        };
        let cmd = match sm.unprotect_command(capdu) {
            Ok(c) => c,
            Err(_) => return Ok(vec![0x69, 0x88]),
        };
        let ok = |d: Vec<u8>| ResponseApdu::new(d, StatusWord(0x9000));
        let resp = match (cmd.ins, cmd.p1, cmd.p2) {
            (0x22, 0x41, 0xA6) => {
                let keys = chip::respond_set_kat(
                    self.protocol.cipher,
                    &self.params,
                    &self.ca_private,
                    &cmd.data,
                )
                .unwrap();
                self.pending = Some(keys);
                ok(vec![])
            }
            (0x22, 0x41, 0xA4) => ok(vec![]),
            (0x86, 0, 0) => {
                let (d, e, m) = chip::respond_general_authenticate(
                    &self.protocol,
                    self.version,
                    &self.params,
                    &self.ca_private,
                    &cmd.data,
                )
                .unwrap();
                self.pending = Some((e, m));
                ok(d)
            }
            _ => ok(vec![]),
        };
        let out = sm.protect_response(&resp).unwrap();
        if let Some((e, m)) = self.pending.take() {
            // The response is protected with the old keys, then the new ones apply (SSC 0).
            let c = self.protocol.cipher;
            self.sm = Some(SecureChannel::new(c, &e, &m, &vec![0; c.block_len()]).unwrap());
        }
        Ok(out)
    }
}

fn ca_infos(protocol: &CaProtocol, version: u32, param_id: u32, public: &[u8]) -> SecurityInfos {
    let spki = match protocol.agreement {
        KeyAgreement::Ecdh => crate::secinfo::encode_ec_spki_standardized(param_id, public),
        KeyAgreement::Dh => {
            crate::secinfo::encode_dh_spki_standardized(param_id, &BigUint::from_bytes_be(public))
        }
    };
    let pk_oid = match protocol.agreement {
        KeyAgreement::Ecdh => oid::ID_PK_ECDH,
        KeyAgreement::Dh => oid::ID_PK_DH,
    };
    let mut b = tlv::encode(0x06, &tlv::write::oid_value(pk_oid));
    b.extend(spki);
    b.extend(tlv::encode(0x02, &[1]));
    let s = SecurityInfos {
        infos: vec![
            SecurityInfo::ChipAuthentication(ChipAuthenticationInfo {
                oid: protocol.oid(),
                protocol: Some(*protocol),
                version,
                key_id: Some(1),
            }),
            SecurityInfo::Unknown {
                oid: String::new(),
                raw: tlv::encode(0x30, &b),
            },
        ],
    };
    // Through DER and back, as the reader would see DG14.
    SecurityInfos::parse(&s.to_der()).unwrap()
}

fn pace_then_ca(
    pace_oid: &str,
    ca_oid: &str,
    version: u32,
    param_id: u32,
    clone: bool,
) -> CaVerdict {
    let protocol = CaProtocol::from_oid(ca_oid).unwrap();
    let params = DomainParams::standardized(param_id).unwrap();
    let genuine = KeyPair::generate(&params).unwrap();
    let infos = ca_infos(&protocol, version, param_id, &genuine.public);
    let ca_private = if clone {
        KeyPair::generate(&params).unwrap().private()
    } else {
        genuine.private()
    };
    let access = card_access_for(pace_oid, 13);
    let mut chip = CaChip {
        pace: MiniChip {
            card_access: access.clone(),
            password: Password::can("123456"),
            ca_private: None,
            session: None,
            require_84: false,
        },
        sm: None,
        protocol,
        version,
        params,
        ca_private,
        pending: None,
    };
    let p = pace::establish(
        &mut chip,
        &access,
        &Password::can("123456"),
        &Default::default(),
    )
    .unwrap();
    let out = authenticate(&mut chip, p.channel, &infos).unwrap();
    assert_eq!(out.channel.is_some(), out.verdict == CaVerdict::Passed);
    out.verdict
}

#[test]
fn genuine_chip_passes_and_clone_fails() {
    let cases = [
        // (PACE, CA, version, CA parameter id)
        ("0.4.0.127.0.7.2.2.4.2.2", "0.4.0.127.0.7.2.2.3.2.2", 2, 13), // ECDH AES v2
        ("0.4.0.127.0.7.2.2.4.2.2", "0.4.0.127.0.7.2.2.3.2.2", 1, 12), // ECDH AES v1
        ("0.4.0.127.0.7.2.2.4.2.1", "0.4.0.127.0.7.2.2.3.2.1", 1, 13), // ECDH 3DES KAT
        ("0.4.0.127.0.7.2.2.4.2.1", "0.4.0.127.0.7.2.2.3.1.1", 1, 0),  // DH 3DES KAT
        ("0.4.0.127.0.7.2.2.4.2.4", "0.4.0.127.0.7.2.2.3.1.4", 2, 2),  // DH AES-256 v2
    ];
    for (p, c, v, id) in cases {
        assert_eq!(
            pace_then_ca(p, c, v, id, false),
            CaVerdict::Passed,
            "{c} v{v}"
        );
        let clone = pace_then_ca(p, c, v, id, true);
        assert!(matches!(clone, CaVerdict::Failed(_)), "{c} v{v}: {clone:?}");
    }
}

#[test]
fn dg14_samples_select() {
    let dg14 = SecurityInfos::parse(include_bytes!(
        "../../tests/data/jmrtd-bsi2008/Datagroup14.bin"
    ))
    .unwrap();
    let (info, proto, key) = select(&dg14).unwrap();
    assert_eq!(info.version, 1);
    assert_eq!(proto.cipher, Cipher::Tdes);
    assert!(matches!(&key.public_key, CaPublicKey::Ec { curve, .. } if curve.field_len() == 28));
    let dh = SecurityInfos::parse(include_bytes!(
        "../../tests/data/jmrtd-misc/spec_sample_encoded_dg14.bin"
    ))
    .unwrap();
    let (_, proto, _) = select(&dh).unwrap();
    assert_eq!(proto.agreement, KeyAgreement::Dh);
}

/// A chip answering every command with bytes from the fuzzer.
struct NoiseChip(Vec<Vec<u8>>);

impl Transport for NoiseChip {
    fn transmit(&mut self, _capdu: &[u8]) -> Result<Vec<u8>, TransportError> {
        Ok(self.0.pop().unwrap_or_default())
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(48))]

    #[test]
    fn terminal_never_panics_on_chip_noise(
        answers in proptest::collection::vec(proptest::collection::vec(proptest::prelude::any::<u8>(), 0..80), 0..6),
        ok_sw in proptest::prelude::any::<bool>(),
    ) {
        let mut answers = answers;
        if ok_sw {
            for a in answers.iter_mut() { a.extend_from_slice(&[0x90, 0x00]); }
        }
        let access = card_access_for("0.4.0.127.0.7.2.2.4.2.2", 13);
        let mut chip = NoiseChip(answers.clone());
        let _ = pace::establish(&mut chip, &access, &Password::can("1"), &Default::default());
        let params = DomainParams::standardized(13).unwrap();
        let k = KeyPair::generate(&params).unwrap();
        let proto = CaProtocol::from_oid("0.4.0.127.0.7.2.2.3.2.2").unwrap();
        let infos = ca_infos(&proto, 2, 13, &k.public);
        let ch = SecureChannel::new(Cipher::Aes128, &[1; 16], &[2; 16], &[0; 16]).unwrap();
        let mut chip = NoiseChip(answers);
        let _ = authenticate(&mut chip, ch, &infos);
    }

    #[test]
    fn ca_chip_side_never_panics(data in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..120)) {
        let params = DomainParams::standardized(13).unwrap();
        let proto = CaProtocol::from_oid("0.4.0.127.0.7.2.2.3.2.2").unwrap();
        let sk = BigUint::from(12345u32);
        let _ = chip::respond_general_authenticate(&proto, 2, &params, &sk, &data);
        let _ = chip::respond_general_authenticate(&proto, 2, &params, &sk, &tlv::encode(0x7C, &tlv::encode(0x80, &data)));
        let _ = chip::respond_set_kat(Cipher::Tdes, &params, &sk, &data);
        let _ = crate::pace::chip::parse_mse_set_at(&data);
    }
}
