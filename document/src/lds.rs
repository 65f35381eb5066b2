//! Logical Data Structure parsers (ICAO 9303-10 §4): EF.COM, DG1 (→ [`Mrz`]), DG2 face
//! images in ISO/IEC 19794-5 and ISO/IEC 39794-5, DG7 signature images, DG11 and DG12.
//! DG14/DG15 stay raw bytes here; their structure is parsed by `secinfo`/`aa`.
//!
//! Every parser takes untrusted chip bytes, returns a typed error and never panics.
//! Parsed personal data is wiped on drop and never printed by `Debug`.

use std::fmt;

use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::mrz::{Mrz, MrzError};
use crate::tlv::{self, Tlv, TlvError};

/// Errors of the LDS parsers. They carry tags and lengths, never content.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LdsError {
    /// The TLV structure is malformed.
    #[error("TLV: {0}")]
    Tlv(#[from] TlvError),
    /// A mandatory element is missing.
    #[error("{0} missing")]
    Missing(&'static str),
    /// The file starts with another tag than the data group's.
    #[error("expected tag {expected:#X}, found {found:#X}")]
    WrongTag {
        /// Tag of the data group.
        expected: u32,
        /// Tag found.
        found: u32,
    },
    /// DG1's MRZ does not parse.
    #[error("DG1 MRZ: {0}")]
    Mrz(#[from] MrzError),
    /// A binary record is malformed.
    #[error("malformed {0}")]
    Malformed(&'static str),
}

/// The LDS data-group tags (ICAO 9303-10 §4.6.1 table 34): DG1 = 0x61, DG2 = 0x75, ...
const DG_TAGS: [(u8, u8); 16] = [
    (0x61, 1),
    (0x75, 2),
    (0x63, 3),
    (0x76, 4),
    (0x65, 5),
    (0x66, 6),
    (0x67, 7),
    (0x68, 8),
    (0x69, 9),
    (0x6A, 10),
    (0x6B, 11),
    (0x6C, 12),
    (0x6D, 13),
    (0x6E, 14),
    (0x6F, 15),
    (0x70, 16),
];

/// The data-group number of an LDS tag (0x75 → 2).
pub fn dg_for_tag(tag: u8) -> Option<u8> {
    DG_TAGS.iter().find(|(t, _)| *t == tag).map(|(_, n)| *n)
}

/// The LDS tag of data group `n` (2 → 0x75).
pub fn tag_for_dg(n: u8) -> Option<u8> {
    DG_TAGS.iter().find(|(_, d)| *d == n).map(|(t, _)| *t)
}

fn outer(b: &[u8], tag: u32) -> Result<Tlv<'_>, LdsError> {
    let (t, _) = tlv::parse_one(b)?;
    if t.tag != tag {
        return Err(LdsError::WrongTag {
            expected: tag,
            found: t.tag,
        });
    }
    Ok(t)
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// EF.COM (ICAO 9303-10 §4.6.1): LDS and Unicode versions and the list of data groups present.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Com {
    /// LDS version "aabb" (e.g. "0107"), from DO'5F01'.
    pub lds_version: String,
    /// Unicode version "aabbcc", from DO'5F36'.
    pub unicode_version: String,
    /// Data-group numbers listed in DO'5C', in order.
    pub data_groups: Vec<u8>,
}

/// Parses EF.COM (tag 0x60).
pub fn parse_com(b: &[u8]) -> Result<Com, LdsError> {
    let t = outer(b, 0x60)?;
    let mut com = Com {
        lds_version: String::new(),
        unicode_version: String::new(),
        data_groups: Vec::new(),
    };
    let mut have_list = false;
    for c in t.children()? {
        match c.tag {
            0x5F01 => com.lds_version = text(c.value),
            0x5F36 => com.unicode_version = text(c.value),
            0x5C => {
                have_list = true;
                com.data_groups = c.value.iter().filter_map(|x| dg_for_tag(*x)).collect();
            }
            _ => {}
        }
    }
    if !have_list {
        return Err(LdsError::Missing("EF.COM tag list 5C"));
    }
    Ok(com)
}

/// Parses DG1 (tag 0x61, MRZ in DO'5F1F') into an [`Mrz`]. Check digits are evaluated but not
/// enforced: the caller reports them (a chip MRZ with a wrong digit is a finding, not a crash).
pub fn parse_dg1(b: &[u8]) -> Result<Mrz, LdsError> {
    let t = outer(b, 0x61)?;
    let m = t
        .require(0x5F1F)
        .map_err(|_| LdsError::Missing("DG1 MRZ 5F1F"))?;
    Ok(Mrz::from_dg1_bytes(m.value)?)
}

/// The encoding of a face image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ImageFormat {
    /// JPEG (ISO/IEC 10918).
    Jpeg,
    /// JPEG 2000, JP2 file format.
    Jpeg2000,
    /// JPEG 2000 raw codestream (J2K).
    Jpeg2000Codestream,
    /// Not recognised.
    Unknown,
}

impl ImageFormat {
    /// "JPEG", "JPEG 2000", ...
    pub fn name(self) -> &'static str {
        match self {
            ImageFormat::Jpeg => "JPEG",
            ImageFormat::Jpeg2000 => "JPEG 2000",
            ImageFormat::Jpeg2000Codestream => "JPEG 2000 codestream",
            ImageFormat::Unknown => "unknown",
        }
    }
}

/// The biometric data format of DG2.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FaceEncoding {
    /// ISO/IEC 19794-5 (facial record header 'FAC').
    Iso19794_5,
    /// ISO/IEC 39794-5 (DER-encoded, no 'FAC').
    Iso39794_5,
}

/// A face image from DG2 with its metadata. The image is wiped on drop; `Debug` prints
/// format and dimensions only.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct FaceImage {
    /// 19794-5 or 39794-5.
    #[zeroize(skip)]
    pub encoding: FaceEncoding,
    /// JPEG or JPEG 2000.
    #[zeroize(skip)]
    pub format: ImageFormat,
    /// Width in pixels (from the record, else from the codestream; 0 if unknown).
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// ISO/IEC 19794-5 face image type (0 basic, 1 full frontal, 2 token frontal), if given.
    pub image_type: Option<u8>,
    /// The encoded image bytes.
    pub image: Vec<u8>,
}

impl fmt::Debug for FaceImage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "FaceImage({:?}, {}, {}x{}, {} bytes)",
            self.encoding,
            self.format.name(),
            self.width,
            self.height,
            self.image.len()
        )
    }
}

/// Recognises JPEG / JP2 / J2K by their signatures.
pub fn image_format(b: &[u8]) -> ImageFormat {
    const JP2: [u8; 12] = [
        0, 0, 0, 0x0C, 0x6A, 0x50, 0x20, 0x20, 0x0D, 0x0A, 0x87, 0x0A,
    ];
    if b.starts_with(&[0xFF, 0xD8, 0xFF]) {
        ImageFormat::Jpeg
    } else if b.starts_with(&JP2) {
        ImageFormat::Jpeg2000
    } else if b.starts_with(&[0xFF, 0x4F, 0xFF, 0x51]) {
        ImageFormat::Jpeg2000Codestream
    } else {
        ImageFormat::Unknown
    }
}

fn be(b: &[u8], at: usize, n: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(n)?)?;
    Some(s.iter().fold(0u32, |a, x| (a << 8) | *x as u32))
}

/// Width and height read from the image codestream itself: JPEG SOF marker, JP2 'ihdr' box,
/// J2K SIZ marker. `None` when not found.
pub fn image_dimensions(b: &[u8]) -> Option<(u32, u32)> {
    match image_format(b) {
        ImageFormat::Jpeg => {
            let mut i = 2;
            while i + 4 <= b.len() {
                if b[i] != 0xFF {
                    return None;
                }
                let marker = b[i + 1];
                if marker == 0xFF {
                    i += 1;
                    continue;
                }
                let len = be(b, i + 2, 2)? as usize;
                // SOF0..SOF15 except DHT (C4), JPG (C8), DAC (CC).
                if (0xC0..=0xCF).contains(&marker) && ![0xC4, 0xC8, 0xCC].contains(&marker) {
                    let h = be(b, i + 5, 2)?;
                    let w = be(b, i + 7, 2)?;
                    return Some((w, h));
                }
                if marker == 0xDA || len < 2 {
                    return None;
                }
                i = i.checked_add(2 + len)?;
            }
            None
        }
        ImageFormat::Jpeg2000 => {
            let pos = b.windows(4).position(|w| w == b"ihdr")?;
            let h = be(b, pos + 4, 4)?;
            let w = be(b, pos + 8, 4)?;
            Some((w, h))
        }
        ImageFormat::Jpeg2000Codestream => {
            // SIZ: FF51 Lsiz Rsiz Xsiz Ysiz XOsiz YOsiz.
            let x = be(b, 8, 4)?;
            let y = be(b, 12, 4)?;
            let xo = be(b, 16, 4)?;
            let yo = be(b, 20, 4)?;
            Some((x.saturating_sub(xo), y.saturating_sub(yo)))
        }
        ImageFormat::Unknown => None,
    }
}

/// Parses a bare ISO/IEC 19794-5:2005 facial record ('FAC\0'), returning every image.
/// Layout (19794-5 §5.4–5.7): record header 14 bytes (format id, version, record length 4,
/// number of images 2); per image: facial information 20 bytes (block length 4, number of
/// feature points 2, ...), 8 bytes per feature point, image information 12 bytes (face image
/// type 1, image data type 1, width 2, height 2, ...), then the image data.
pub fn parse_face_record_19794(b: &[u8]) -> Result<Vec<FaceImage>, LdsError> {
    if b.get(0..4) != Some(b"FAC\0") {
        return Err(LdsError::Malformed("ISO 19794-5 record: no 'FAC' header"));
    }
    let count = be(b, 12, 2).ok_or(LdsError::Malformed("ISO 19794-5 record header"))? as usize;
    let mut out = Vec::new();
    let mut pos = 14usize;
    for _ in 0..count {
        let block_len =
            be(b, pos, 4).ok_or(LdsError::Malformed("ISO 19794-5 facial information"))? as usize;
        let points = be(b, pos + 4, 2)
            .ok_or(LdsError::Malformed("ISO 19794-5 facial information"))?
            as usize;
        let info = pos + 20 + points * 8;
        let image_type = b.get(info).copied();
        let data_type = b.get(info + 1).copied();
        let width =
            be(b, info + 2, 2).ok_or(LdsError::Malformed("ISO 19794-5 image information"))?;
        let height =
            be(b, info + 4, 2).ok_or(LdsError::Malformed("ISO 19794-5 image information"))?;
        let start = info + 12;
        let end = pos
            .checked_add(block_len)
            .filter(|e| *e <= b.len() && *e >= start)
            .ok_or(LdsError::Malformed("ISO 19794-5 block length"))?;
        let image = b[start..end].to_vec();
        let mut format = image_format(&image);
        if format == ImageFormat::Unknown {
            // Image data type (19794-5 §5.7.2): 0 JPEG, 1 JPEG 2000.
            format = match data_type {
                Some(0) => ImageFormat::Jpeg,
                Some(1) => ImageFormat::Jpeg2000,
                _ => ImageFormat::Unknown,
            };
        }
        out.push(FaceImage {
            encoding: FaceEncoding::Iso19794_5,
            format,
            width,
            height,
            image_type,
            image,
        });
        pos = end;
    }
    if out.is_empty() {
        return Err(LdsError::Missing("face image"));
    }
    Ok(out)
}

/// Finds the first primitive value in a 39794-5 block that holds an image (depth-limited).
fn find_image_39794(b: &[u8], depth: usize) -> Result<Option<&[u8]>, LdsError> {
    if depth > tlv::MAX_DEPTH {
        return Err(TlvError::TooDeep.into());
    }
    for t in tlv::parse_all(b)? {
        if t.is_constructed() {
            if let Some(x) = find_image_39794(t.value, depth + 1)? {
                return Ok(Some(x));
            }
        } else if image_format(t.value) != ImageFormat::Unknown {
            return Ok(Some(t.value));
        }
    }
    Ok(None)
}

/// Parses DG2 (tag 0x75, ICAO 9303-10 §4.7.2): biometric information group template 7F61,
/// one 7F60 per face; the biometric data block is 5F2E (ISO/IEC 19794-5, 'FAC') or 7F2E
/// (ISO/IEC 39794-5, DER). Returns every face image.
pub fn parse_dg2_all(b: &[u8]) -> Result<Vec<FaceImage>, LdsError> {
    let t = outer(b, 0x75)?;
    let group = t
        .require(0x7F61)
        .map_err(|_| LdsError::Missing("DG2 template 7F61"))?;
    let mut out = Vec::new();
    for bit in group.children()?.into_iter().filter(|c| c.tag == 0x7F60) {
        for c in bit.children()? {
            match c.tag {
                0x5F2E => {
                    if c.value.starts_with(b"FAC\0") {
                        out.extend(parse_face_record_19794(c.value)?);
                    } else if let Some(img) = find_image_39794(c.value, 0).ok().flatten() {
                        out.push(face_from_image(FaceEncoding::Iso39794_5, img));
                    } else {
                        return Err(LdsError::Malformed("DG2 biometric data block"));
                    }
                }
                0x7F2E => {
                    let img = find_image_39794(c.value, 0)?
                        .ok_or(LdsError::Missing("ISO 39794-5 image data"))?;
                    out.push(face_from_image(FaceEncoding::Iso39794_5, img));
                }
                _ => {}
            }
        }
    }
    if out.is_empty() {
        return Err(LdsError::Missing("DG2 face image"));
    }
    Ok(out)
}

fn face_from_image(encoding: FaceEncoding, img: &[u8]) -> FaceImage {
    let (width, height) = image_dimensions(img).unwrap_or((0, 0));
    FaceImage {
        encoding,
        format: image_format(img),
        width,
        height,
        image_type: None,
        image: img.to_vec(),
    }
}

/// The first face image of DG2.
pub fn parse_dg2(b: &[u8]) -> Result<FaceImage, LdsError> {
    parse_dg2_all(b)?
        .into_iter()
        .next()
        .ok_or(LdsError::Missing("DG2 face image"))
}

/// Parses DG7 (tag 0x67, ICAO 9303-10 §4.7.7): displayed signature or usual mark images
/// (DO'5F43'), returned as encoded image bytes.
pub fn parse_dg7(b: &[u8]) -> Result<Vec<Zeroizing<Vec<u8>>>, LdsError> {
    let t = outer(b, 0x67)?;
    Ok(t.children()?
        .into_iter()
        .filter(|c| c.tag == 0x5F43)
        .map(|c| Zeroizing::new(c.value.to_vec()))
        .collect())
}

/// DG11, additional personal details (ICAO 9303-10 §4.7.11). Wiped on drop; `Debug` redacted.
#[derive(Clone, Default, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
#[non_exhaustive]
pub struct PersonalDetails {
    /// 5F0E full name, in national characters.
    pub full_name: Option<String>,
    /// 5F0F other names (in template A0).
    pub other_names: Vec<String>,
    /// 5F10 personal number.
    pub personal_number: Option<String>,
    /// 5F2B full date of birth, YYYYMMDD.
    pub full_date_of_birth: Option<String>,
    /// 5F11 place of birth.
    pub place_of_birth: Option<String>,
    /// 5F42 permanent address.
    pub address: Option<String>,
    /// 5F12 telephone.
    pub telephone: Option<String>,
    /// 5F13 profession.
    pub profession: Option<String>,
    /// 5F14 title.
    pub title: Option<String>,
    /// 5F15 personal summary.
    pub personal_summary: Option<String>,
    /// 5F16 proof of citizenship (an image).
    pub proof_of_citizenship: Option<Vec<u8>>,
    /// 5F17 other valid travel document numbers.
    pub other_td_numbers: Option<String>,
    /// 5F18 custody information.
    pub custody_information: Option<String>,
}

impl fmt::Debug for PersonalDetails {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PersonalDetails(<redacted>)")
    }
}

/// Parses DG11 (tag 0x6B).
pub fn parse_dg11(b: &[u8]) -> Result<PersonalDetails, LdsError> {
    let t = outer(b, 0x6B)?;
    let mut d = PersonalDetails::default();
    for c in t.children()? {
        let v = || Some(text(c.value));
        match c.tag {
            0x5F0E => d.full_name = v(),
            0x5F0F | 0xA0 => push_names(&c, 0x5F0F, &mut d.other_names)?,
            0x5F10 => d.personal_number = v(),
            0x5F2B => d.full_date_of_birth = Some(bcd_or_text(c.value)),
            0x5F11 => d.place_of_birth = v(),
            0x5F42 => d.address = v(),
            0x5F12 => d.telephone = v(),
            0x5F13 => d.profession = v(),
            0x5F14 => d.title = v(),
            0x5F15 => d.personal_summary = v(),
            0x5F16 => d.proof_of_citizenship = Some(c.value.to_vec()),
            0x5F17 => d.other_td_numbers = v(),
            0x5F18 => d.custody_information = v(),
            _ => {}
        }
    }
    Ok(d)
}

/// A name DO `tag` of DG11/DG12, or the template A0 that lists several of them.
fn push_names(c: &Tlv<'_>, tag: u32, names: &mut Vec<String>) -> Result<(), LdsError> {
    if c.tag == tag {
        names.push(text(c.value));
    } else {
        for o in c.children()?.into_iter().filter(|o| o.tag == tag) {
            names.push(text(o.value));
        }
    }
    Ok(())
}

/// Dates in DG11/DG12 are 8 ASCII digits, or 4 BCD bytes on some chips.
fn bcd_or_text(b: &[u8]) -> String {
    if b.len() == 4
        && b.iter().all(|x| x >> 4 <= 9 && x & 0xF <= 9)
        && !b.iter().all(u8::is_ascii_digit)
    {
        b.iter().map(|x| format!("{:02X}", x)).collect()
    } else {
        text(b)
    }
}

/// DG12, additional document details (ICAO 9303-10 §4.7.12). Wiped on drop; `Debug` redacted.
#[derive(Clone, Default, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
#[non_exhaustive]
pub struct DocumentDetails {
    /// 5F19 issuing authority.
    pub issuing_authority: Option<String>,
    /// 5F26 date of issue, YYYYMMDD.
    pub date_of_issue: Option<String>,
    /// 5F1A names of other persons (in template A0).
    pub other_persons: Vec<String>,
    /// 5F1B endorsements and observations.
    pub endorsements: Option<String>,
    /// 5F1C tax/exit requirements.
    pub tax_exit_requirements: Option<String>,
    /// 5F1D image of the front of the document.
    pub image_front: Option<Vec<u8>>,
    /// 5F1E image of the rear of the document.
    pub image_rear: Option<Vec<u8>>,
    /// 5F55 date and time of personalization, YYYYMMDDhhmmss.
    pub personalization_time: Option<String>,
    /// 5F56 serial number of the personalization system.
    pub personalization_device: Option<String>,
}

impl fmt::Debug for DocumentDetails {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DocumentDetails(<redacted>)")
    }
}

/// Parses DG12 (tag 0x6C).
pub fn parse_dg12(b: &[u8]) -> Result<DocumentDetails, LdsError> {
    let t = outer(b, 0x6C)?;
    let mut d = DocumentDetails::default();
    for c in t.children()? {
        let v = || Some(text(c.value));
        match c.tag {
            0x5F19 => d.issuing_authority = v(),
            0x5F26 => d.date_of_issue = Some(bcd_or_text(c.value)),
            0x5F1A | 0xA0 => push_names(&c, 0x5F1A, &mut d.other_persons)?,
            0x5F1B => d.endorsements = v(),
            0x5F1C => d.tax_exit_requirements = v(),
            0x5F1D => d.image_front = Some(c.value.to_vec()),
            0x5F1E => d.image_rear = Some(c.value.to_vec()),
            0x5F55 => d.personalization_time = Some(bcd_or_text(c.value)),
            0x5F56 => d.personalization_device = v(),
            _ => {}
        }
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    const BSI_COM: &[u8] = include_bytes!("../tests/data/jmrtd-bsi2008/EF_COM.bin");
    const BSI_DG1: &[u8] = include_bytes!("../tests/data/jmrtd-bsi2008/Datagroup1.bin");
    const BSI_DG2: &[u8] = include_bytes!("../tests/data/jmrtd-bsi2008/Datagroup2.bin");
    const LOES_COM: &[u8] = include_bytes!("../tests/data/jmrtd-loes2006/ef011E.bin");
    const LOES_DG1: &[u8] = include_bytes!("../tests/data/jmrtd-loes2006/ef0101.bin");
    const LOES_DG2: &[u8] = include_bytes!("../tests/data/jmrtd-loes2006/ef0102.bin");
    const FAC_JPEG: &[u8] = include_bytes!("../tests/data/gmrtd/ISO19794_Test1_Data.bin");
    const DG2_39794: &[u8] =
        include_bytes!("../tests/data/gmrtd/ICAO_39794_5_AP_DG2_MandFields.dat");

    #[test]
    fn ef_com() {
        let c = parse_com(BSI_COM).unwrap();
        assert_eq!(c.lds_version, "0107");
        assert_eq!(c.unicode_version, "040000");
        assert_eq!(c.data_groups, [1, 2, 3, 14]);
        let c = parse_com(LOES_COM).unwrap();
        assert!(c.data_groups.contains(&1) && c.data_groups.contains(&2));
    }

    #[test]
    fn dg1_specimens() {
        let m = parse_dg1(BSI_DG1).unwrap();
        assert_eq!(m.primary_identifier(), "MUSTERMANN");
        assert_eq!(m.secondary_identifier(), "ERIKA");
        assert_eq!(m.issuing_state(), "D");
        let m = parse_dg1(LOES_DG1).unwrap();
        assert_eq!(m.issuing_state(), "NLD");
        assert_eq!(m.primary_identifier(), "MEULENDIJK");
    }

    #[test]
    fn dg2_19794_jpeg2000() {
        // Width and height as the image information block of each record states them
        // (ISO/IEC 19794-5:2005 §5.7.3, 5.7.4), read off the files by hand.
        for (dg2, size) in [(BSI_DG2, (337, 449)), (LOES_DG2, (449, 598))] {
            let f = parse_dg2(dg2).unwrap();
            assert_eq!(f.encoding, FaceEncoding::Iso19794_5);
            assert_eq!(f.format, ImageFormat::Jpeg2000);
            assert_eq!((f.width, f.height), size);
            // The record header is authoritative; these specimens' JP2 headers disagree with it
            // (BSI 2008: header 337x449, JP2 'ihdr' 413x531), so only check the codestream parses.
            assert!(image_dimensions(&f.image).is_some());
            assert!(format!("{f:?}").starts_with("FaceImage(Iso19794_5"));
        }
    }

    #[test]
    fn face_record_19794_jpeg() {
        let f = parse_face_record_19794(FAC_JPEG).unwrap();
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].format, ImageFormat::Jpeg);
        assert_eq!(f[0].image.len(), FAC_JPEG.len() - 46);
        assert_eq!(
            image_dimensions(&f[0].image),
            Some((f[0].width, f[0].height))
        );
    }

    #[test]
    fn dg2_39794() {
        let f = parse_dg2(DG2_39794).unwrap();
        assert_eq!(f.encoding, FaceEncoding::Iso39794_5);
        assert_eq!(f.format, ImageFormat::Jpeg2000);
        assert_eq!((f.width, f.height), (413, 531));
        // The image is the whole representation data object (tag 80, length 0x3A98 at
        // offset 72): 15 000 bytes from offset 76, starting with the JP2 signature box.
        assert_eq!(f.image.len(), 15_000);
        assert_eq!(&f.image[..], &DG2_39794[76..76 + 15_000]);
        assert_eq!(&f.image[..12], b"\0\0\0\x0cjP  \r\n\x87\n");
    }

    #[test]
    fn wrong_files_are_typed_errors() {
        assert!(matches!(parse_dg1(BSI_COM), Err(LdsError::WrongTag { .. })));
        let truncated = parse_dg2(&BSI_DG2[..100]);
        assert!(matches!(truncated, Err(LdsError::Tlv(_))), "{truncated:?}");
        let empty = parse_dg2(&[]);
        assert!(matches!(empty, Err(LdsError::Tlv(_))), "{empty:?}");
        let com = parse_com(&[0x60, 0]);
        assert!(matches!(com, Err(LdsError::Missing(_))), "{com:?}");
        let record = parse_face_record_19794(&FAC_JPEG[..20]);
        assert!(matches!(record, Err(LdsError::Malformed(_))), "{record:?}");
        // Truncate every prefix: never a panic.
        for n in 0..200 {
            let _ = parse_dg2(&BSI_DG2[..n]);
            let _ = parse_dg1(&BSI_DG1[..n.min(BSI_DG1.len())]);
        }
    }

    #[test]
    fn dg11_dg12_roundtrip() {
        let dg11 = tlv::encode(
            0x6B,
            &[
                tlv::encode(0x5C, &[0x5F, 0x0E, 0x5F, 0x2B]),
                tlv::encode(0x5F0E, b"ERIKSSON<<ANNA<MARIA"),
                tlv::encode(0x5F2B, b"19740812"),
                tlv::encode(
                    0xA0,
                    &[tlv::encode(0x02, &[1]), tlv::encode(0x5F0F, b"X<<Y")].concat(),
                ),
            ]
            .concat(),
        );
        let d = parse_dg11(&dg11).unwrap();
        assert_eq!(d.full_name.as_deref(), Some("ERIKSSON<<ANNA<MARIA"));
        assert_eq!(d.full_date_of_birth.as_deref(), Some("19740812"));
        assert_eq!(d.other_names, ["X<<Y"]);
        assert_eq!(format!("{d:?}"), "PersonalDetails(<redacted>)");
        let dg12 = tlv::encode(
            0x6C,
            &[
                tlv::encode(0x5F19, b"UTOPIA"),
                tlv::encode(0x5F26, &[0x20, 0x24, 0x01, 0x31]),
            ]
            .concat(),
        );
        let d = parse_dg12(&dg12).unwrap();
        assert_eq!(d.issuing_authority.as_deref(), Some("UTOPIA"));
        assert_eq!(d.date_of_issue.as_deref(), Some("20240131"));
    }
}
