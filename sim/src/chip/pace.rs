//! Card side of PACE (ICAO 9303-11 §4.4): MSE:Set AT, then a chain of GENERAL AUTHENTICATE
//! commands — encrypted nonce, mapping (Generic Mapping on ECDH or DH; Chip Authentication
//! Mapping), key agreement on the mapped parameters, mutual authentication tokens.
//!
//! The arithmetic comes from `document::ecc` (curves with a replaceable generator, DH groups).

use document::crypto::{self, Cipher, KdfCounter};
use document::ecc::{self, Curve, DhGroup, DomainParams, EcPoint};
use num_bigint::BigUint;
use rand::RngCore;

use super::sm::{PlainCommand, SmSession};
use super::{sw, tlv, ChipSpec, VirtualChip};

/// The mapping of a PACE protocol (ICAO 9303-11 §4.4.3.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaceMapping {
    /// Generic Mapping (§4.4.3.3.1), ECDH or DH.
    Gm,
    /// Integrated Mapping (§4.4.3.3.2), ECDH or DH; runs on `document::pace::chip::ChipSession`.
    Im,
    /// Chip Authentication Mapping (§4.4.3.3.3), ECDH with AES only.
    Cam,
}

/// One PACE protocol and parameter set the chip offers (one PACEInfo in EF.CardAccess).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PaceOffer {
    /// Mapping.
    pub mapping: PaceMapping,
    /// Secure-messaging cipher.
    pub cipher: Cipher,
    /// Standardized domain parameter id (ICAO 9303-11 §9.5.1): 0–2 DH, 8–18 ECDH.
    pub param_id: u32,
}

impl PaceOffer {
    /// Whether the parameters are a DH group.
    pub fn is_dh(&self) -> bool {
        self.param_id <= 2
    }

    /// DER content bytes of the protocol OID, id-PACE = 0.4.0.127.0.7.2.2.4
    /// (ICAO 9303-11 §9.2.3), e.g. id-PACE-ECDH-GM-AES-CBC-CMAC-128 = id-PACE.2.2.
    pub fn oid(&self) -> Vec<u8> {
        let kind = match (self.mapping, self.is_dh()) {
            (PaceMapping::Gm, true) => 1,
            (PaceMapping::Gm, false) => 2,
            (PaceMapping::Im, true) => 3,
            (PaceMapping::Im, false) => 4,
            (PaceMapping::Cam, _) => 6,
        };
        let cipher = match self.cipher {
            Cipher::Tdes => 1,
            Cipher::Aes128 => 2,
            Cipher::Aes192 => 3,
            _ => 4,
        };
        vec![0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x04, kind, cipher]
    }
}

/// The ephemeral (mapped) domain parameters.
#[derive(Clone)]
enum Group {
    Ec(Curve),
    Dh(DhGroup),
}

impl Group {
    fn standard(id: u32) -> Option<Self> {
        match ecc::standardized(id).ok()? {
            DomainParams::Ec(c) => Some(Group::Ec(c.clone())),
            DomainParams::Dh(g) => Some(Group::Dh(g.clone())),
        }
    }

    fn random_private(&self) -> BigUint {
        match self {
            Group::Ec(c) => c.random_scalar(),
            Group::Dh(g) => g.random_private(),
        }
    }

    /// Public key encoding: uncompressed point, or the DH value padded to the length of p.
    fn public(&self, sk: &BigUint) -> Option<Vec<u8>> {
        match self {
            Group::Ec(c) => c.mul_g(sk).map(|p| c.encode_point(&p)),
            Group::Dh(g) => Some(ecc::to_fixed(&g.public(sk), g.len())),
        }
    }

    fn agree(&self, sk: &BigUint, peer: &[u8]) -> Option<Vec<u8>> {
        match self {
            Group::Ec(c) => {
                let p = c.decode_point(peer).ok()?;
                c.agree(sk, &p).ok().map(|k| k.to_vec())
            }
            Group::Dh(g) => {
                let y = BigUint::from_bytes_be(peer);
                g.agree(sk, &y).ok().map(|k| k.to_vec())
            }
        }
    }

    /// Generic Mapping (ICAO 9303-11 §4.4.3.3.1): Ĝ = s·G + H with H = sk·PK_map for ECDH,
    /// ĝ = g^s · h mod p with h = PK_map^sk for DH.
    fn map_generic(&self, s: &BigUint, sk_map: &BigUint, pk_map_pcd: &[u8]) -> Option<Group> {
        match self {
            Group::Ec(c) => {
                let peer = c.decode_point(pk_map_pcd).ok()?;
                let h: EcPoint = c.mul(sk_map, &peer)?;
                let sg = c.mul_g(s)?;
                let g = c.add(&sg, &h)?;
                c.with_generator(g).ok().map(Group::Ec)
            }
            Group::Dh(g) => {
                let y = BigUint::from_bytes_be(pk_map_pcd);
                g.validate_public(&y).ok()?;
                let h = y.modpow(sk_map, &g.p);
                let gs = g.g.modpow(s, &g.p);
                g.with_generator((gs * h) % &g.p).ok().map(Group::Dh)
            }
        }
    }
}

/// Progress of one PACE run.
pub(super) struct PaceRun {
    offer: PaceOffer,
    k_pi: Vec<u8>,
    stage: Stage,
    /// Integrated Mapping runs on `document::pace::chip`'s session (its point encoding and
    /// pseudo-random function are shared with the reader; dmrtd has no IM to cross-check).
    delegate: Option<Box<document::pace::chip::ChipSession>>,
}

enum Stage {
    /// Waiting for the empty first GENERAL AUTHENTICATE.
    Nonce,
    /// Nonce sent; waiting for the reader's mapping public key.
    Map { s: BigUint },
    /// Mapped; waiting for the reader's ephemeral public key.
    Agree { group: Group, sk_map: BigUint },
    /// Keys agreed; waiting for the reader's authentication token.
    Mutual {
        group: Group,
        sk_map: BigUint,
        pk_pcd: Vec<u8>,
        pk_picc: Vec<u8>,
        k: Vec<u8>,
    },
    /// Finished or failed.
    Spent,
}

/// The outcome of one GENERAL AUTHENTICATE step.
pub(super) enum StepResult {
    /// Answer and wait for the next step.
    Continue(Vec<u8>),
    /// PACE succeeded: answer, then secure messaging with these keys.
    Done {
        response: Vec<u8>,
        session: SmSession,
        pk_picc: Vec<u8>,
    },
}

/// MSE:Set AT for PACE (ICAO 9303-11 §4.4.4.1): DO'80' protocol OID, DO'83' password
/// reference (01 MRZ, 02 CAN), optional DO'84' parameter id.
pub(super) fn set_at(chip: &VirtualChip, data: &[u8]) -> Result<PaceRun, u16> {
    let objects = tlv::children(data).map_err(|_| sw::WRONG_DATA)?;
    let oid = objects
        .iter()
        .find(|o| o.tag == 0x80)
        .ok_or(sw::WRONG_DATA)?
        .value;
    let pwd = objects
        .iter()
        .find(|o| o.tag == 0x83)
        .ok_or(sw::WRONG_DATA)?
        .value;
    let param = objects.iter().find(|o| o.tag == 0x84).map(|o| o.value);
    if param.is_none() && chip.spec.quirks.require_param_id {
        return Err(sw::LC_INCONSISTENT);
    }
    let candidates: Vec<&PaceOffer> = chip.spec.pace.iter().filter(|o| o.oid() == oid).collect();
    let offer = match param {
        Some(p) => {
            let id = p.iter().fold(0u32, |a, &b| (a << 8) | u32::from(b));
            candidates.into_iter().find(|o| o.param_id == id)
        }
        None => candidates.into_iter().next(),
    }
    .ok_or(sw::REF_NOT_FOUND)?;
    // ICAO 9303-11 §9.7.3: π = SHA-1(MRZ_information) for the MRZ, the CAN itself otherwise.
    let password: Vec<u8> = match pwd {
        [0x01] => crypto::sha1(chip.spec.mrz_information.as_bytes()).to_vec(),
        [0x02] => chip
            .spec
            .can
            .as_ref()
            .ok_or(sw::REF_NOT_FOUND)?
            .as_bytes()
            .to_vec(),
        _ => return Err(sw::REF_NOT_FOUND),
    };
    let delegate = if offer.mapping == PaceMapping::Im {
        Some(Box::new(im_session(chip, offer, pwd)?))
    } else {
        None
    };
    Ok(PaceRun {
        offer: *offer,
        k_pi: offer.cipher.kdf(&password, KdfCounter::Pace).to_vec(),
        stage: Stage::Nonce,
        delegate,
    })
}

/// A `document::pace::chip` session for Integrated Mapping.
fn im_session(
    chip: &VirtualChip,
    offer: &PaceOffer,
    pwd: &[u8],
) -> Result<document::pace::chip::ChipSession, u16> {
    use document::pace::Password;
    let oid: Vec<String> = offer.oid()[1..].iter().map(|a| a.to_string()).collect();
    // Content bytes 04 00 7F 00 07 ...: the first byte 0x04 encodes "0.4" (X.690 §8.19.4);
    // the other arcs are below 128, one byte each.
    let dotted = format!("0.4.{}", oid.join("."));
    let protocol = document::secinfo::PaceProtocol::from_oid(&dotted).ok_or(sw::REF_NOT_FOUND)?;
    let params = DomainParams::standardized(offer.param_id).map_err(|_| sw::REF_NOT_FOUND)?;
    let password = match pwd {
        [0x01] => {
            // MRZ_information = number(9) cd dob(6) cd doe(6) cd (ICAO 9303-11 §9.7.2).
            let info = chip.spec.mrz_information.as_str();
            let (num, dob, doe) = (
                info.get(..9).ok_or(sw::CONDITIONS)?,
                info.get(10..16).ok_or(sw::CONDITIONS)?,
                info.get(17..23).ok_or(sw::CONDITIONS)?,
            );
            let key = document::mrz::MrzKey::new(num.trim_end_matches('<'), dob, doe)
                .map_err(|_| sw::CONDITIONS)?;
            Password::Mrz(key)
        }
        _ => Password::can(chip.spec.can.as_deref().ok_or(sw::REF_NOT_FOUND)?),
    };
    Ok(document::pace::chip::ChipSession::new(
        protocol, params, &password, None,
    ))
}

/// The value of the single inner object `tag` of a dynamic authentication data object 7C.
fn inner(data: &[u8], tag: u32) -> Result<&[u8], u16> {
    let (outer, rest) = tlv::parse_one(data).map_err(|_| sw::WRONG_DATA)?;
    if outer.tag != 0x7C || !rest.is_empty() {
        return Err(sw::WRONG_DATA);
    }
    tlv::find(outer.value, tag)
        .ok()
        .flatten()
        .map(|t| t.value)
        .ok_or(sw::WRONG_DATA)
}

fn dyn_auth(objects: &[(u32, &[u8])]) -> Vec<u8> {
    let mut v = Vec::new();
    for (tag, value) in objects {
        v.extend_from_slice(&tlv::encode(*tag, value));
    }
    tlv::encode(0x7C, &v)
}

/// Public key data object for the authentication token (ICAO 9303-11 §4.4.3.4, §9.4):
/// 7F49 { 06 OID, 86 point } for ECDH, 7F49 { 06 OID, 84 value } for DH.
pub(super) fn auth_token_input(oid: &[u8], dh: bool, pk: &[u8]) -> Vec<u8> {
    let mut v = tlv::encode(0x06, oid);
    if dh {
        // BSI TR-03110-3 §D.3.4: a DH public value is an unsigned integer, written without
        // leading zero bytes, although it travels padded to the length of p.
        let skip = pk.iter().position(|b| *b != 0).unwrap_or(pk.len());
        v.extend_from_slice(&tlv::encode(0x84, &pk[skip..]));
    } else {
        v.extend_from_slice(&tlv::encode(0x86, pk));
    }
    tlv::encode(0x7F49, &v)
}

/// One GENERAL AUTHENTICATE step (ICAO 9303-11 §4.4.4.2).
pub(super) fn step(
    spec: &ChipSpec,
    run: &mut PaceRun,
    cmd: &PlainCommand,
) -> Result<StepResult, u16> {
    if let Some(session) = run.delegate.as_mut() {
        let response = session.handle(&cmd.data).map_err(|e| match e {
            document::pace::PaceError::TokenMismatch => sw::AUTH_FAILED,
            _ => sw::WRONG_DATA,
        })?;
        return Ok(match session.session_keys() {
            None => StepResult::Continue(response),
            Some((k_enc, k_mac)) => {
                let cipher = run.offer.cipher;
                StepResult::Done {
                    response,
                    session: SmSession::new(cipher, k_enc, k_mac, &vec![0; cipher.block_len()])
                        .map_err(|_| sw::CONDITIONS)?,
                    pk_picc: Vec::new(),
                }
            }
        });
    }
    let stage = std::mem::replace(&mut run.stage, Stage::Spent);
    let cipher = run.offer.cipher;
    match stage {
        Stage::Nonce => {
            // Step 1: z = E(Kπ, s), CBC with a zero IV.
            let (outer, _) = tlv::parse_one(&cmd.data).map_err(|_| sw::WRONG_DATA)?;
            if outer.tag != 0x7C || !outer.value.is_empty() {
                return Err(sw::WRONG_DATA);
            }
            let mut s = vec![0u8; cipher.block_len()];
            rand::thread_rng().fill_bytes(&mut s);
            let iv = vec![0u8; cipher.block_len()];
            let z = cipher
                .encrypt_cbc(&run.k_pi, &iv, &s)
                .map_err(|_| sw::CONDITIONS)?;
            run.stage = Stage::Map {
                s: BigUint::from_bytes_be(&s),
            };
            Ok(StepResult::Continue(dyn_auth(&[(0x80, &z)])))
        }
        Stage::Map { s } => {
            // Step 2: exchange mapping keys, compute the ephemeral generator.
            let pk_map_pcd = inner(&cmd.data, 0x81)?;
            let group = Group::standard(run.offer.param_id).ok_or(sw::CONDITIONS)?;
            let sk_map = group.random_private();
            let pk_map_picc = group.public(&sk_map).ok_or(sw::CONDITIONS)?;
            let mapped = group
                .map_generic(&s, &sk_map, pk_map_pcd)
                .ok_or(sw::WRONG_DATA)?;
            run.stage = Stage::Agree {
                group: mapped,
                sk_map,
            };
            Ok(StepResult::Continue(dyn_auth(&[(0x82, &pk_map_picc)])))
        }
        Stage::Agree { group, sk_map } => {
            // Step 3: ephemeral key agreement on the mapped parameters.
            let pk_pcd = inner(&cmd.data, 0x83)?.to_vec();
            let sk = group.random_private();
            let pk_picc = group.public(&sk).ok_or(sw::CONDITIONS)?;
            // §4.4.1 d): the two public keys must differ.
            if pk_picc == pk_pcd {
                return Err(sw::WRONG_DATA);
            }
            let k = group.agree(&sk, &pk_pcd).ok_or(sw::WRONG_DATA)?;
            run.stage = Stage::Mutual {
                group,
                sk_map,
                pk_pcd,
                pk_picc: pk_picc.clone(),
                k,
            };
            Ok(StepResult::Continue(dyn_auth(&[(0x84, &pk_picc)])))
        }
        Stage::Mutual {
            group,
            sk_map,
            pk_pcd,
            pk_picc,
            k,
        } => {
            // Step 4: verify T_PCD = MAC(KSmac, PK_PICC), answer T_PICC = MAC(KSmac, PK_PCD).
            let t_pcd = inner(&cmd.data, 0x85)?;
            let oid = run.offer.oid();
            let dh = run.offer.is_dh();
            let ks_enc = cipher.kdf(&k, KdfCounter::Enc).to_vec();
            let ks_mac = cipher.kdf(&k, KdfCounter::Mac).to_vec();
            let expected = cipher
                .mac_message(&ks_mac, &auth_token_input(&oid, dh, &pk_picc))
                .map_err(|_| sw::AUTH_FAILED)?;
            if !crypto::ct_eq(&expected, t_pcd) {
                return Err(sw::AUTH_FAILED);
            }
            let t_picc = cipher
                .mac_message(&ks_mac, &auth_token_input(&oid, dh, &pk_pcd))
                .map_err(|_| sw::AUTH_FAILED)?;
            let mut objects: Vec<(u32, Vec<u8>)> = vec![(0x86, t_picc.to_vec())];
            if run.offer.mapping == PaceMapping::Cam {
                let a = cam_data(spec, &run.offer, &group, &sk_map, cipher, &ks_enc)?;
                objects.push((0x8A, a));
            }
            let refs: Vec<(u32, &[u8])> = objects.iter().map(|(t, v)| (*t, v.as_slice())).collect();
            let session = SmSession::new(cipher, &ks_enc, &ks_mac, &vec![0; cipher.block_len()])
                .map_err(|_| sw::CONDITIONS)?;
            Ok(StepResult::Done {
                response: dyn_auth(&refs),
                session,
                pk_picc,
            })
        }
        Stage::Spent => Err(sw::CONDITIONS),
    }
}

/// Chip Authentication Mapping (ICAO 9303-11 §4.4.3.5.1): CA_PICC = SK_map · SK_static⁻¹ mod n,
/// sent as A_PICC = E(KSenc, CA_PICC) in CBC mode with IV = E(KSenc, FF..FF). The static key is
/// the CA key whose domain parameters are the PACE parameters; a cloned chip has none.
fn cam_data(
    spec: &ChipSpec,
    offer: &PaceOffer,
    group: &Group,
    sk_map: &BigUint,
    cipher: Cipher,
    ks_enc: &[u8],
) -> Result<Vec<u8>, u16> {
    let Group::Ec(curve) = group else {
        return Err(sw::CONDITIONS);
    };
    let key = spec
        .ca_keys
        .iter()
        .find(|k| k.param_id == offer.param_id)
        .ok_or(sw::CONDITIONS)?;
    let inv = ecc::mod_inverse(&key.private, &curve.n).ok_or(sw::CONDITIONS)?;
    let ca = (sk_map * inv) % &curve.n;
    let ca = ecc::to_fixed(&ca, curve.order_len());
    let iv = cipher
        .encrypt_block(ks_enc, &vec![0xFF; cipher.block_len()])
        .map_err(|_| sw::CONDITIONS)?;
    cipher
        .encrypt_cbc(ks_enc, &iv, &crypto::pad(&ca, cipher.block_len()))
        .map_err(|_| sw::CONDITIONS)
}

#[cfg(test)]
mod token_tests {
    use super::auth_token_input;
    use document::pace::chip::public_key_data_object;
    use document::secinfo::KeyAgreement;

    /// A DH public value whose first byte is zero (1 key in 256) must give the token input
    /// the reader computes, or PACE-DH fails at mutual authentication for that key.
    #[test]
    fn dh_token_input_drops_leading_zeros_like_the_reader() {
        let oid = "0.4.0.127.0.7.2.2.4.1.2";
        let oid_der = document::tlv::write::oid_value(oid);
        let mut pk = vec![0u8; 128];
        pk[1..]
            .iter_mut()
            .enumerate()
            .for_each(|(i, b)| *b = (i as u8) | 1);
        let reader = public_key_data_object(KeyAgreement::Dh, oid, &pk);
        assert_eq!(auth_token_input(&oid_der, true, &pk), reader);
        // ECDH points keep their encoding as it is (04 || x || y).
        let point = [0x04, 0x00, 0x01, 0x02];
        assert_eq!(
            auth_token_input(&oid_der, false, &point),
            public_key_data_object(KeyAgreement::Ecdh, oid, &point)
        );
    }
}
