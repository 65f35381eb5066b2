//! Document profiles: TOML files describing a document, its chip and its PKI. Every field is
//! optional and defaults to the built-in specimen; unknown fields are rejected.
//!
//! ```toml
//! [document]
//! type = "td3"                 # td3 (passport) | td1 (ID card)
//! issuing_state = "D"
//! number = "L898902C3"
//! surname = "ERIKSSON"
//! given_names = "ANNA MARIA"
//! nationality = "D"
//! birth = "1974-08-12"
//! sex = "F"
//! expiry = "2034-04-15"
//! issued = "2024-04-16"        # date of issue = SOD signing time
//! face = "face.jpg"            # relative to the profile; default: the built-in specimen face
//! face_format = "jpeg"         # jpeg | jpeg2000
//! face_width = 240
//! face_height = 320
//!
//! [chip]
//! can = "123456"               # omit for no CAN
//! bac = true
//! pace = [{ mapping = "gm", cipher = "aes128", param_id = 13 }]   # gm | im | cam; 3des | aes128 | aes192 | aes256
//! active_auth = true
//! chip_auth = true
//! dg11_dg12 = true
//! defect = "clone"             # see Defect::name; omit for a genuine document (a clone-*
//!                              # defect brings the chip features it is about, e.g. PACE-CAM)
//! key_seed = "specimen"
//!
//! [quirks]
//! max_le = 224
//! oversize_read_sw = "6700"
//! oversize_read = "status"     # status | plain-status | truncate | 6cxx (see OversizeRead)
//! response_limit = 256         # largest response data field, SM objects included
//! end_of_file_6282 = false
//! refuse_le_on_select_mse = false
//! require_param_id = false
//! extended_length = true
//! answer_delay_ms = 0
//!
//! [pki]
//! seed = "egate-test-pki"
//! country = "DE"
//!
//! [link]
//! bit_rate = 424000
//! turnaround_ms = 5
//! ```

use std::path::Path;
use std::time::Duration;

use serde::Deserialize;

use super::lds::ImageFormat;
use super::DateTime;
use super::{Cipher, Defect, DocType, DocumentSpec};
use crate::chip::{LinkModel, OversizeRead, PaceMapping, PaceOffer};

/// Why a profile was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProfileError {
    /// The file could not be read.
    #[error("cannot read {path}: {reason}")]
    Read {
        /// The path.
        path: String,
        /// The I/O error.
        reason: String,
    },
    /// TOML syntax or an unknown field.
    #[error("{0}")]
    Toml(String),
    /// A value out of range.
    #[error("{field}: {reason}")]
    Value {
        /// The field.
        field: &'static str,
        /// What is wrong.
        reason: String,
    },
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    #[serde(default)]
    document: RawDocument,
    #[serde(default)]
    chip: RawChip,
    #[serde(default)]
    quirks: RawQuirks,
    #[serde(default)]
    pki: RawPki,
    #[serde(default)]
    link: RawLink,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDocument {
    #[serde(rename = "type")]
    doc_type: Option<String>,
    issuing_state: Option<String>,
    number: Option<String>,
    surname: Option<String>,
    given_names: Option<String>,
    nationality: Option<String>,
    birth: Option<String>,
    sex: Option<String>,
    expiry: Option<String>,
    issued: Option<String>,
    face: Option<String>,
    face_format: Option<String>,
    face_width: Option<u16>,
    face_height: Option<u16>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawChip {
    can: Option<String>,
    bac: Option<bool>,
    pace: Option<Vec<RawPace>>,
    active_auth: Option<bool>,
    chip_auth: Option<bool>,
    dg11_dg12: Option<bool>,
    defect: Option<String>,
    key_seed: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPace {
    mapping: String,
    cipher: String,
    param_id: u32,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawQuirks {
    max_le: Option<usize>,
    oversize_read_sw: Option<String>,
    oversize_read: Option<String>,
    response_limit: Option<usize>,
    end_of_file_6282: Option<bool>,
    refuse_le_on_select_mse: Option<bool>,
    require_param_id: Option<bool>,
    extended_length: Option<bool>,
    answer_delay_ms: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPki {
    seed: Option<String>,
    country: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLink {
    bit_rate: Option<u32>,
    turnaround_ms: Option<u64>,
}

/// A parsed profile: the document to build, the PKI to sign it in, the link to model.
#[derive(Debug, Clone)]
pub struct Profile {
    /// The document.
    pub document: DocumentSpec,
    /// PKI seed.
    pub pki_seed: String,
    /// PKI country (two letters).
    pub pki_country: String,
    /// Link model.
    pub link: LinkModel,
}

/// Default PKI seed.
pub const DEFAULT_PKI_SEED: &str = "egate-test-pki";
/// Default PKI country (the specimen is issued by "D"; see `factory::specimen_bio`).
pub const DEFAULT_PKI_COUNTRY: &str = "DE";

impl Profile {
    /// The built-in specimen.
    pub fn specimen() -> Self {
        Self {
            document: DocumentSpec::specimen(),
            pki_seed: DEFAULT_PKI_SEED.into(),
            pki_country: DEFAULT_PKI_COUNTRY.into(),
            link: LinkModel::TYPICAL,
        }
    }

    /// Reads a profile file; a relative `face` path is resolved against its directory.
    pub fn load(path: &Path) -> Result<Self, ProfileError> {
        let text = std::fs::read_to_string(path).map_err(|e| ProfileError::Read {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
        Self::parse(&text, path.parent())
    }

    /// Parses profile text; `base` resolves a relative face path.
    pub fn parse(text: &str, base: Option<&Path>) -> Result<Self, ProfileError> {
        let raw: Raw = toml::from_str(text).map_err(|e| ProfileError::Toml(e.to_string()))?;
        let mut p = Self::specimen();
        let d = &mut p.document;
        let r = raw.document;
        // A date the profile gives, checked.
        let date = |field: &'static str, given: Option<String>| {
            given
                .map(|v| {
                    DateTime::parse(&v).ok_or(ProfileError::Value {
                        field,
                        reason: format!("{v:?} is not YYYY-MM-DD"),
                    })
                })
                .transpose()
        };
        if let Some(t) = r.doc_type {
            d.bio.doc_type = match t.as_str() {
                "td3" => DocType::Td3,
                "td1" => DocType::Td1,
                _ => return Err(value("document.type", "td3 or td1")),
            };
        }
        set(&mut d.bio.issuing_state, r.issuing_state);
        if let Some(v) = r.number {
            if v.len() > 9 {
                return Err(value("document.number", "at most 9 characters"));
            }
            d.bio.number = v;
        }
        set(&mut d.bio.surname, r.surname);
        set(&mut d.bio.given_names, r.given_names);
        set(&mut d.bio.nationality, r.nationality);
        set(&mut d.bio.birth, date("document.birth", r.birth)?);
        if let Some(v) = r.sex {
            d.bio.sex = match v.as_str() {
                "M" => 'M',
                "F" => 'F',
                "X" | "<" => '<',
                _ => return Err(value("document.sex", "M, F or X")),
            };
        }
        set(&mut d.bio.expiry, date("document.expiry", r.expiry)?);
        set(&mut d.issued, date("document.issued", r.issued)?);
        if let Some(f) = r.face {
            let path = match base {
                Some(b) => b.join(&f),
                None => f.into(),
            };
            d.face = std::fs::read(&path).map_err(|e| ProfileError::Read {
                path: path.display().to_string(),
                reason: e.to_string(),
            })?;
        }
        if let Some(v) = r.face_format {
            d.face_format = match v.as_str() {
                "jpeg" => ImageFormat::Jpeg,
                "jpeg2000" => ImageFormat::Jpeg2000,
                _ => return Err(value("document.face_format", "jpeg or jpeg2000")),
            };
        }
        set(&mut d.face_size.0, r.face_width);
        set(&mut d.face_size.1, r.face_height);
        let c = raw.chip;
        if c.can.is_some() {
            d.can = c.can;
        }
        set(&mut d.bac, c.bac);
        if let Some(list) = c.pace {
            d.pace = list
                .iter()
                .map(|o| {
                    let mapping = match o.mapping.as_str() {
                        "gm" => PaceMapping::Gm,
                        "cam" => PaceMapping::Cam,
                        "im" => PaceMapping::Im,
                        _ => return Err(value("chip.pace.mapping", "gm, cam or im")),
                    };
                    let cipher = match o.cipher.as_str() {
                        "3des" => Cipher::Tdes,
                        "aes128" => Cipher::Aes128,
                        "aes192" => Cipher::Aes192,
                        "aes256" => Cipher::Aes256,
                        _ => {
                            return Err(value("chip.pace.cipher", "3des, aes128, aes192 or aes256"))
                        }
                    };
                    if document::ecc::standardized(o.param_id).is_err() {
                        return Err(value("chip.pace.param_id", "0-2 or 8-18"));
                    }
                    if mapping == PaceMapping::Cam && (cipher == Cipher::Tdes || o.param_id <= 2) {
                        return Err(value("chip.pace", "CAM needs AES and an EC parameter id"));
                    }
                    Ok(PaceOffer {
                        mapping,
                        cipher,
                        param_id: o.param_id,
                    })
                })
                .collect::<Result<_, _>>()?;
        }
        set(&mut d.active_auth, c.active_auth);
        set(&mut d.chip_auth, c.chip_auth);
        set(&mut d.dg11_dg12, c.dg11_dg12);
        if let Some(v) = c.defect {
            d.set_defect(Defect::from_name(&v).ok_or(ProfileError::Value {
                field: "chip.defect",
                reason: format!(
                    "unknown defect {v:?}; one of {}",
                    Defect::ALL.map(|d| d.name()).join(", ")
                ),
            })?);
        }
        set(&mut d.key_seed, c.key_seed);
        if !d.bac && d.pace.is_empty() {
            return Err(value("chip", "a chip needs BAC or at least one PACE offer"));
        }
        let q = raw.quirks;
        if q.max_le.is_some() {
            d.quirks.max_le = q.max_le;
        }
        if let Some(v) = q.oversize_read_sw {
            d.quirks.oversize_read_sw = u16::from_str_radix(&v, 16)
                .map_err(|_| value("quirks.oversize_read_sw", "four hex digits, e.g. \"6700\""))?;
        }
        if let Some(v) = q.oversize_read {
            d.quirks.oversize_read = OversizeRead::from_name(&v).ok_or(ProfileError::Value {
                field: "quirks.oversize_read",
                reason: format!(
                    "unknown behaviour {v:?}; one of {}",
                    OversizeRead::ALL.map(|o| o.name()).join(", ")
                ),
            })?;
        }
        if let Some(v) = q.response_limit {
            if v < 16 {
                return Err(value("quirks.response_limit", "at least 16 bytes"));
            }
            d.quirks.response_limit = Some(v);
        }
        set(&mut d.quirks.end_of_file_6282, q.end_of_file_6282);
        set(
            &mut d.quirks.refuse_le_on_select_mse,
            q.refuse_le_on_select_mse,
        );
        set(&mut d.quirks.require_param_id, q.require_param_id);
        set(&mut d.quirks.extended_length, q.extended_length);
        set(
            &mut d.quirks.answer_delay,
            q.answer_delay_ms.map(Duration::from_millis),
        );
        set(&mut p.pki_seed, raw.pki.seed);
        set(&mut p.pki_country, raw.pki.country);
        set(&mut p.link.bit_rate, raw.link.bit_rate);
        set(
            &mut p.link.turnaround,
            raw.link.turnaround_ms.map(Duration::from_millis),
        );
        Ok(p)
    }
}

/// Overwrites a default with the value the profile gives, if it gives one.
fn set<T>(target: &mut T, given: Option<T>) {
    if let Some(v) = given {
        *target = v;
    }
}

fn value(field: &'static str, reason: &str) -> ProfileError {
    ProfileError::Value {
        field,
        reason: reason.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_rejects() {
        let p = Profile::parse(
            "[chip]\nbac = false\npace = [{ mapping = \"cam\", cipher = \"aes256\", param_id = 12 }]\n[quirks]\nmax_le = 128\n",
            None,
        )
        .unwrap();
        assert!(!p.document.bac);
        assert_eq!(p.document.quirks.max_le, Some(128));
        assert!(Profile::parse("[chip]\nbogus = 1\n", None).is_err());
        assert!(Profile::parse("[chip]\ndefect = \"nope\"\n", None).is_err());
        let p = Profile::parse(
            "[quirks]\noversize_read = \"6cxx\"\nresponse_limit = 200\nend_of_file_6282 = true\n",
            None,
        )
        .unwrap();
        assert_eq!(p.document.quirks.oversize_read, OversizeRead::CorrectLe);
        assert_eq!(p.document.quirks.response_limit, Some(200));
        assert!(p.document.quirks.end_of_file_6282);
        assert!(Profile::parse("[quirks]\noversize_read = \"ignore\"\n", None).is_err());
    }
}
