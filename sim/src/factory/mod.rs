//! The document factory: a test PKI from a seed, and passports or ID cards built from
//! biographic data and a face image, signed by a Document Signer — genuine or with one
//! deliberate defect for the acceptance tests.

pub mod cms;
mod date;
pub mod deviation;
pub mod lds;
pub mod pki;
pub mod profile;

use sha2::{Digest, Sha256};

use crate::chip::{
    AaKey, CaKey, ChipSpec, FileSystem, PaceMapping, PaceOffer, Quirks, StandardFile,
};
pub use date::DateTime;
use document::tlv::write as der;
use lds::{check_digit, fill, mrz_name, ImageFormat};
use pki::{derive_scalar, TestPki};

pub use document::crypto::Cipher;

/// The built-in specimen face (240×320 JPEG; origin in sim/data/README.md).
pub const SPECIMEN_FACE: &[u8] = include_bytes!("../../data/specimen-face.jpg");

/// TD3 passport or TD1 identity card (ICAO 9303-4, 9303-5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocType {
    /// Passport booklet, two 44-character lines.
    Td3,
    /// ID card, three 30-character lines.
    Td1,
}

/// Biographic data printed in the MRZ.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Biographic {
    /// Document format.
    pub doc_type: DocType,
    /// Issuing state, three letters (ICAO 9303-3 §5).
    pub issuing_state: String,
    /// Document number (up to 9 characters).
    pub number: String,
    /// Primary identifier.
    pub surname: String,
    /// Secondary identifier.
    pub given_names: String,
    /// Nationality, three letters.
    pub nationality: String,
    /// Date of birth.
    pub birth: DateTime,
    /// 'M', 'F' or '<'.
    pub sex: char,
    /// Date of expiry.
    pub expiry: DateTime,
    /// The two-character document code (ICAO 9303-3 §4.2.2), e.g. "IR" for a residence
    /// permit card; `None`: "P<" for a passport, "I<" for an identity card.
    pub document_code: Option<String>,
}

impl Biographic {
    /// The document code written in the MRZ.
    fn code(&self) -> String {
        match (&self.document_code, self.doc_type) {
            (Some(c), _) => fill(c, 2),
            (None, DocType::Td3) => "P<".into(),
            (None, DocType::Td1) => "I<".into(),
        }
    }

    /// The MRZ lines joined with '\n'.
    pub fn mrz(&self) -> String {
        let num = fill(&self.number, 9);
        let ncd = check_digit(&num);
        let dob = self.birth.yymmdd();
        let doe = self.expiry.yymmdd();
        let (dcd, ecd) = (check_digit(&dob), check_digit(&doe));
        let name = format!(
            "{}<<{}",
            mrz_name(&self.surname),
            mrz_name(&self.given_names)
        );
        let state = fill(&self.issuing_state, 3);
        let nat = fill(&self.nationality, 3);
        match self.doc_type {
            DocType::Td3 => {
                let l1 = format!("{}{state}{}", self.code(), fill(&name, 39));
                let opt = fill("", 14);
                let ocd = '<';
                let composite = format!("{num}{ncd}{dob}{dcd}{doe}{ecd}{opt}{ocd}");
                let l2 = format!(
                    "{num}{ncd}{nat}{dob}{dcd}{}{doe}{ecd}{opt}{ocd}{}",
                    self.sex,
                    check_digit(&composite)
                );
                format!("{l1}\n{l2}")
            }
            DocType::Td1 => {
                let opt1 = fill("", 15);
                let opt2 = fill("", 11);
                let l1 = format!("{}{state}{num}{ncd}{opt1}", self.code());
                let composite = format!("{num}{ncd}{opt1}{dob}{dcd}{doe}{ecd}{opt2}");
                let l2 = format!(
                    "{dob}{dcd}{}{doe}{ecd}{nat}{opt2}{}",
                    self.sex,
                    check_digit(&composite)
                );
                format!("{l1}\n{l2}\n{}", fill(&name, 30))
            }
        }
    }

    /// MRZ_information, the BAC/PACE password (ICAO 9303-11 §9.7.2).
    pub fn mrz_information(&self) -> String {
        let num = fill(&self.number, 9);
        let dob = self.birth.yymmdd();
        let doe = self.expiry.yymmdd();
        format!(
            "{num}{}{dob}{}{doe}{}",
            check_digit(&num),
            check_digit(&dob),
            check_digit(&doe)
        )
    }
}

/// A deliberate defect, each of which a verifying reader must report with its own reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Defect {
    /// A byte of DG1 changed after signing (data-group hash mismatch).
    TamperedDg1,
    /// A byte of DG2's image changed after signing.
    TamperedDg2,
    /// The SOD's signature is corrupted.
    BrokenSodSignature,
    /// Signed by a Document Signer whose certificate expired before the signing time.
    ExpiredDs,
    /// Signed by a Document Signer revoked on the CRL.
    RevokedDs,
    /// Signed under a CSCA that is in no master list.
    UnknownCsca,
    /// A clone: same data, no AA or CA private keys.
    Clone,
    /// A clone that hides DG14 and DG15 ("file not found") and leaves them out of a
    /// rewritten EF.COM; the SOD still signs them.
    CloneHidingDg14Dg15,
    /// A chip whose Active Authentication signature is wrong while Chip Authentication
    /// passes.
    CloneAaSignatureWrong,
    /// A chip without Chip Authentication that answers AA with a signature from a key other
    /// than DG15's.
    CloneAaOtherKey,
    /// A PACE-CAM chip whose CAM proof is made with a key other than EF.CardSecurity's.
    CloneCamWrongProof,
    /// EF.CardSecurity re-signed by a Document Signer under an unknown CSCA.
    CloneCardSecurityResigned,
    /// A chip that answers "file not found" for DG2, which EF.COM and the SOD list.
    CloneDg2NotFound,
    /// DG1 differs from the printed MRZ (and the chip's access password): date of birth.
    MrzMismatch,
    /// The document's expiry date has passed.
    Expired,
    /// The issuing state in the MRZ/DG1 (FRA) is not the country of the signing PKI.
    WrongIssuingState,
    /// The issuer's own mistake: the SOD holds a wrong hash for DG11 (signed so), the kind
    /// of defect a deviation list (ICAO 9303-12 §10, `DGHashWrong`) declares.
    Dg11HashWrong,
}

impl Defect {
    /// All defects, for test loops.
    pub const ALL: [Defect; 17] = [
        Defect::TamperedDg1,
        Defect::TamperedDg2,
        Defect::BrokenSodSignature,
        Defect::ExpiredDs,
        Defect::RevokedDs,
        Defect::UnknownCsca,
        Defect::Clone,
        Defect::CloneHidingDg14Dg15,
        Defect::CloneAaSignatureWrong,
        Defect::CloneAaOtherKey,
        Defect::CloneCamWrongProof,
        Defect::CloneCardSecurityResigned,
        Defect::CloneDg2NotFound,
        Defect::MrzMismatch,
        Defect::Expired,
        Defect::WrongIssuingState,
        Defect::Dg11HashWrong,
    ];

    /// Kebab-case name used in profiles.
    pub fn name(self) -> &'static str {
        match self {
            Defect::TamperedDg1 => "tampered-dg1",
            Defect::TamperedDg2 => "tampered-dg2",
            Defect::BrokenSodSignature => "broken-sod-signature",
            Defect::ExpiredDs => "expired-ds",
            Defect::RevokedDs => "revoked-ds",
            Defect::UnknownCsca => "unknown-csca",
            Defect::Clone => "clone",
            Defect::CloneHidingDg14Dg15 => "clone-hides-dg14-dg15",
            Defect::CloneAaSignatureWrong => "clone-aa-signature-wrong",
            Defect::CloneAaOtherKey => "clone-aa-other-key",
            Defect::CloneCamWrongProof => "clone-cam-wrong-proof",
            Defect::CloneCardSecurityResigned => "clone-card-security-resigned",
            Defect::CloneDg2NotFound => "clone-dg2-not-found",
            Defect::MrzMismatch => "mrz-mismatch",
            Defect::Expired => "expired-document",
            Defect::WrongIssuingState => "wrong-issuing-state",
            Defect::Dg11HashWrong => "dg11-hash-wrong",
        }
    }

    /// Parses a profile name.
    pub fn from_name(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|d| d.name() == s)
    }

    /// The clone profiles (issue #13), each refused by the chip-authenticity verdict with
    /// its own reason code, given here beside it.
    pub const CLONES: [(Defect, &'static str); 7] = [
        (Defect::Clone, "ca_failed"),
        (Defect::CloneHidingDg14Dg15, "com_sod_mismatch"),
        (Defect::CloneAaSignatureWrong, "chip_auth_inconsistent"),
        (Defect::CloneAaOtherKey, "aa_failed"),
        (Defect::CloneCamWrongProof, "cam_failed"),
        (Defect::CloneCardSecurityResigned, "card_security_invalid"),
        (Defect::CloneDg2NotFound, "dg_unreadable"),
    ];
}

/// Everything needed to build one document.
#[derive(Debug, Clone)]
pub struct DocumentSpec {
    /// Biographic data.
    pub bio: Biographic,
    /// Face image bytes.
    pub face: Vec<u8>,
    /// Face image format.
    pub face_format: ImageFormat,
    /// Face image width and height in pixels.
    pub face_size: (u16, u16),
    /// Card access number (PACE-CAN), if any.
    pub can: Option<String>,
    /// Whether BAC is offered.
    pub bac: bool,
    /// PACE offers (EF.CardAccess); empty for a BAC-only chip.
    pub pace: Vec<PaceOffer>,
    /// Whether the chip has Active Authentication (DG15, ECDSA P-256).
    pub active_auth: bool,
    /// Whether the chip has Chip Authentication (DG14; curve of the first PACE offer, or P-256).
    pub chip_auth: bool,
    /// Include DG11 and DG12.
    pub dg11_dg12: bool,
    /// Date of issue and signing time of the SOD.
    pub issued: DateTime,
    /// A deliberate defect.
    pub defect: Option<Defect>,
    /// Chip quirks.
    pub quirks: Quirks,
    /// Seed for the chip's own keys (AA, CA).
    pub key_seed: String,
}

/// The specimen's biographic data: issued by "D" under the test PKI of "DE". ICAO's own
/// specimen state "UTO" (Utopia) maps to the CSCA country "UT" (profile
/// `sim/profiles/uto-specimen.toml`). Every certificate of the test PKI says "egate TEST" in
/// its common name.
pub fn specimen_bio() -> Biographic {
    Biographic {
        doc_type: DocType::Td3,
        issuing_state: "D".into(),
        number: "L898902C3".into(),
        surname: "ERIKSSON".into(),
        given_names: "ANNA MARIA".into(),
        nationality: "D".into(),
        birth: DateTime::date(1974, 8, 12),
        sex: 'F',
        expiry: DateTime::date(2034, 4, 15),
        document_code: None,
    }
}

impl DocumentSpec {
    /// Gives the document `defect`, with the chip features the defect is about: PACE-CAM
    /// for [`Defect::CloneCamWrongProof`], no Chip Authentication for
    /// [`Defect::CloneAaOtherKey`], PACE (hence EF.CardSecurity) for
    /// [`Defect::CloneCardSecurityResigned`].
    pub fn set_defect(&mut self, defect: Defect) {
        self.defect = Some(defect);
        match defect {
            Defect::CloneCamWrongProof => {
                self.pace = vec![PaceOffer {
                    mapping: PaceMapping::Cam,
                    cipher: Cipher::Aes128,
                    param_id: 13,
                }];
                self.chip_auth = true;
            }
            Defect::CloneAaOtherKey => {
                self.chip_auth = false;
                self.active_auth = true;
            }
            Defect::CloneCardSecurityResigned if self.pace.is_empty() => {
                self.pace = Self::specimen().pace;
            }
            _ => {}
        }
    }

    /// The built-in specimen: TD3, BAC and PACE-GM ECDH on brainpoolP256r1 with AES-128,
    /// AA and CA, DG11/DG12, CAN 123456.
    pub fn specimen() -> Self {
        Self {
            bio: specimen_bio(),
            face: SPECIMEN_FACE.to_vec(),
            face_format: ImageFormat::Jpeg,
            face_size: (240, 320),
            can: Some("123456".into()),
            bac: true,
            pace: vec![PaceOffer {
                mapping: PaceMapping::Gm,
                cipher: Cipher::Aes128,
                param_id: 13,
            }],
            active_auth: true,
            chip_auth: true,
            dg11_dg12: true,
            issued: DateTime::date(2024, 4, 16),
            defect: None,
            quirks: Quirks::default(),
            key_seed: "specimen".into(),
        }
    }
}

/// A built document: the chip and what the reader side needs to know.
#[derive(Debug, Clone)]
pub struct Document {
    /// The chip to serve.
    pub chip: ChipSpec,
    /// The MRZ printed on the data page (what an OCR scanner reads), lines joined with '\n'.
    pub printed_mrz: String,
    /// The card access number, if any.
    pub can: Option<String>,
}

/// Builds a document signed within `pki`.
pub fn build(spec: &DocumentSpec, pki: &TestPki) -> Document {
    let defect = spec.defect;
    let mut bio = spec.bio.clone();
    if defect == Some(Defect::Expired) {
        bio.expiry = DateTime::date(2020, 1, 1);
    }
    if defect == Some(Defect::WrongIssuingState) {
        // A real ICAO code that is not the signing PKI's country.
        bio.issuing_state = "FRA".into();
    }
    // The printed MRZ is what the chip's access password was personalised from.
    let printed_mrz = bio.mrz();
    let mut mrz = printed_mrz.clone();
    if defect == Some(Defect::MrzMismatch) {
        // DG1 holds a different date of birth than the data page (and the chip's password).
        let mut other = bio.clone();
        other.birth.day = if bio.birth.day == 1 {
            2
        } else {
            bio.birth.day - 1
        };
        mrz = other.mrz();
    }

    let mut files = FileSystem::new();
    let mut dgs: Vec<(u8, Vec<u8>)> = vec![
        (1, lds::dg1(&mrz)),
        (
            2,
            lds::dg2(
                &spec.face,
                spec.face_format,
                spec.face_size.0,
                spec.face_size.1,
            ),
        ),
    ];
    if spec.dg11_dg12 {
        let full = format!("{}<<{}", mrz_name(&bio.surname), mrz_name(&bio.given_names));
        dgs.push((11, lds::dg11(&full, "ZENITH")));
        dgs.push((
            12,
            lds::dg12(
                "egate TEST AUTHORITY",
                &format!(
                    "{:04}{:02}{:02}",
                    spec.issued.year, spec.issued.month, spec.issued.day
                ),
            ),
        ));
    }

    // The chip's own keys, derived from the key seed.
    let mut ca_keys = Vec::new();
    let mut ca_public = Vec::new();
    if spec.chip_auth {
        let param_id = spec
            .pace
            .iter()
            .find(|o| !o.is_dh())
            .map(|o| o.param_id)
            .unwrap_or(12);
        if let Ok(curve) = document::ecc::standardized_curve(param_id) {
            let private = derive_scalar(&curve.n, format!("{}|ca", spec.key_seed).as_bytes());
            if let Some(p) = curve.mul_g(&private) {
                ca_public.push(lds::CaPublic {
                    key_id: Some(1),
                    param_id,
                    point: curve.encode_point(&p),
                });
                ca_keys.push(CaKey {
                    key_id: Some(1),
                    param_id,
                    private,
                });
            }
        }
    }
    let mut aa_key = None;
    if spec.active_auth {
        if let Ok(curve) = document::ecc::standardized_curve(12) {
            let private = derive_scalar(&curve.n, format!("{}|aa", spec.key_seed).as_bytes());
            if let Some(p) = curve.mul_g(&private) {
                dgs.push((15, lds::dg15(&lds::ec_spki(12, &curve.encode_point(&p)))));
                aa_key = Some(AaKey::Ecdsa {
                    param_id: 12,
                    private,
                    hash: document::pki::HashAlg::Sha256,
                });
            }
        }
    }
    let mut dg14_infos = lds::ca_infos(&ca_public);
    if spec.active_auth {
        dg14_infos.push(lds::aa_info());
    }
    for o in &spec.pace {
        dg14_infos.push(lds::pace_info(o));
    }
    if !dg14_infos.is_empty() && (spec.chip_auth || spec.active_auth) {
        dgs.push((14, lds::dg14(&dg14_infos)));
    }
    dgs.sort_by_key(|(n, _)| *n);

    // EF.SOD over the genuine data groups.
    let mut hashes: Vec<(u8, Vec<u8>)> = dgs
        .iter()
        .map(|(n, c)| (*n, Sha256::digest(c).to_vec()))
        .collect();
    if defect == Some(Defect::Dg11HashWrong) {
        if let Some((_, h)) = hashes.iter_mut().find(|(n, _)| *n == 11) {
            h[0] ^= 0x01;
        }
    }
    let signer = match defect {
        Some(Defect::ExpiredDs) => &pki.ds_expired,
        Some(Defect::RevokedDs) => &pki.ds_revoked,
        Some(Defect::UnknownCsca) => &pki.rogue_ds,
        _ => &pki.ds,
    };
    let sod = cms::signed_data_with(
        "2.23.136.1.1.1",
        &lds::lds_security_object(&hashes),
        signer,
        spec.issued,
        defect == Some(Defect::BrokenSodSignature),
    );
    files.put_standard(StandardFile::Sod, document::tlv::encode(0x77, &sod));

    // What the chip shows: a clone may hide files the SOD signs.
    let hidden: &[u8] = match defect {
        Some(Defect::CloneHidingDg14Dg15) => &[14, 15],
        Some(Defect::CloneDg2NotFound) => &[2],
        _ => &[],
    };
    // A clone that hides files rewrites EF.COM to match; one that only loses a file does not.
    let unlisted: &[u8] = match defect {
        Some(Defect::CloneHidingDg14Dg15) => hidden,
        _ => &[],
    };
    let tags: Vec<u8> = dgs
        .iter()
        .filter(|(n, _)| !unlisted.contains(n))
        .map(|(n, _)| match n {
            1 => 0x61,
            2 => 0x75,
            11 => 0x6B,
            12 => 0x6C,
            14 => 0x6E,
            _ => 0x6F,
        })
        .collect();
    files.put_standard(StandardFile::Com, lds::ef_com(&tags));
    for (n, mut content) in dgs {
        if hidden.contains(&n) {
            continue;
        }
        match (n, defect) {
            (1, Some(Defect::TamperedDg1)) => {
                // Change one character of the name in the MRZ (after signing).
                if let Some(b) = content.get_mut(5 + 10) {
                    *b = if *b == b'X' { b'Y' } else { b'X' };
                }
            }
            (2, Some(Defect::TamperedDg2)) => {
                let i = content.len() - 100.min(content.len() / 2);
                content[i] ^= 0x01;
            }
            _ => {}
        }
        files.put_standard(StandardFile::DataGroup(n), content);
    }

    if !spec.pace.is_empty() {
        let infos: Vec<Vec<u8>> = spec.pace.iter().map(lds::pace_info).collect();
        files.put_standard(StandardFile::CardAccess, lds::security_infos(&infos));
        // EF.CardSecurity (ICAO 9303-11 §9.2.11): PACE and CA infos, signed by the DS.
        let mut all = infos;
        all.extend(lds::ca_infos(&ca_public));
        let cs_signer = match defect {
            Some(Defect::CloneCardSecurityResigned) => &pki.rogue_ds,
            _ => signer,
        };
        let cs = cms::signed_data(
            "0.4.0.127.0.7.3.2.1",
            &lds::security_infos(&all),
            cs_signer,
            spec.issued,
        );
        files.put_standard(StandardFile::CardSecurity, cs);
    }

    if spec.quirks.extended_length {
        // EF.ATR/INFO (ICAO 9303-10 §3.11.4, ISO/IEC 7816-4 §12.7.1): DO'7F66' extended length
        // information, maximum command and response lengths.
        let mut info = der::int(2048);
        info.extend_from_slice(&der::int(4096));
        files.put_standard(StandardFile::AtrInfo, document::tlv::encode(0x7F66, &info));
    }

    // The clone's own keys: none, or keys other than the ones DG14, DG15 and
    // EF.CardSecurity name.
    match defect {
        Some(Defect::Clone | Defect::CloneHidingDg14Dg15) => {
            aa_key = None;
            ca_keys.clear();
        }
        Some(Defect::CloneAaOtherKey) => {
            if let (Some(AaKey::Ecdsa { private, .. }), Ok(curve)) =
                (aa_key.as_mut(), document::ecc::standardized_curve(12))
            {
                *private =
                    derive_scalar(&curve.n, format!("{}|aa-clone", spec.key_seed).as_bytes());
            }
        }
        Some(Defect::CloneCamWrongProof) => {
            for k in &mut ca_keys {
                if let Ok(curve) = document::ecc::standardized_curve(k.param_id) {
                    k.private =
                        derive_scalar(&curve.n, format!("{}|ca-clone", spec.key_seed).as_bytes());
                }
            }
        }
        _ => {}
    }
    Document {
        chip: ChipSpec {
            files,
            mrz_information: bio.mrz_information(),
            can: spec.can.clone(),
            bac: spec.bac,
            pace: spec.pace.clone(),
            aa_key,
            ca_keys,
            corrupt_aa_signature: defect == Some(Defect::CloneAaSignatureWrong),
            quirks: spec.quirks.clone(),
        },
        printed_mrz,
        can: spec.can.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specimen_mrz() {
        let mrz = specimen_bio().mrz();
        let lines: Vec<&str> = mrz.lines().collect();
        assert_eq!(lines[0], "P<D<<ERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<");
        assert_eq!(lines[1].len(), 44);
        assert!(lines[1].starts_with("L898902C36D<<7408122F340415"));
        assert_eq!(specimen_bio().mrz_information().len(), 24);
    }
}
