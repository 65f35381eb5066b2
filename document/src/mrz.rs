//! Machine-readable zones (ICAO Doc 9303 Parts 3–7): TD1, TD2 and TD3 documents and the
//! MRV-A/MRV-B visas; check digits; names; long document numbers; and the MRZ information used
//! as the BAC/PACE key (ICAO 9303-11 §9.7.2).
//!
//! An [`Mrz`] is personal data: it is wiped on drop and its `Debug` prints `Mrz(<redacted>)`.
//! Errors name fields and positions, never the content.

use std::fmt;

use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

mod date;
pub mod specimen;

pub use date::{mrz_date, DateField};

/// The MRZ layouts of ICAO Doc 9303.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MrzFormat {
    /// TD1 cards: 3 lines of 30 characters (9303-5).
    Td1,
    /// TD2 documents: 2 lines of 36 characters (9303-6).
    Td2,
    /// TD3 passports: 2 lines of 44 characters (9303-4).
    Td3,
    /// Format-A visas: 2 lines of 44 characters (9303-7).
    MrvA,
    /// Format-B visas: 2 lines of 36 characters (9303-7).
    MrvB,
}

impl MrzFormat {
    /// "TD1", "TD2", "TD3", "MRV-A", "MRV-B".
    pub fn name(self) -> &'static str {
        match self {
            MrzFormat::Td1 => "TD1",
            MrzFormat::Td2 => "TD2",
            MrzFormat::Td3 => "TD3",
            MrzFormat::MrvA => "MRV-A",
            MrzFormat::MrvB => "MRV-B",
        }
    }

    /// (lines, characters per line).
    pub fn shape(self) -> (usize, usize) {
        match self {
            MrzFormat::Td1 => (3, 30),
            MrzFormat::Td2 | MrzFormat::MrvB => (2, 36),
            MrzFormat::Td3 | MrzFormat::MrvA => (2, 44),
        }
    }
}

/// A field protected by a check digit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MrzField {
    /// The document number.
    DocumentNumber,
    /// The date of birth.
    BirthDate,
    /// The date of expiry.
    ExpiryDate,
    /// The optional data / personal number (TD3 only has a check digit for it).
    OptionalData,
    /// The composite check digit over the upper/middle line fields.
    Composite,
}

impl MrzField {
    /// A snake_case name used in JSON and in error messages.
    pub fn name(self) -> &'static str {
        match self {
            MrzField::DocumentNumber => "document_number",
            MrzField::BirthDate => "birth_date",
            MrzField::ExpiryDate => "expiry_date",
            MrzField::OptionalData => "optional_data",
            MrzField::Composite => "composite",
        }
    }
}

impl fmt::Display for MrzField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Errors of MRZ parsing. None carries MRZ content.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MrzError {
    /// The line count and lengths match no 9303 format.
    #[error("{lines} line(s) of length {lengths:?} match no MRZ format (TD1 3x30, TD2/MRV-B 2x36, TD3/MRV-A 2x44)")]
    Shape {
        /// Number of lines.
        lines: usize,
        /// Length of each line.
        lengths: Vec<usize>,
    },
    /// A character outside `A-Z`, `0-9` and `<`.
    #[error("invalid character at line {line}, column {column}")]
    InvalidCharacter {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
    },
    /// A check digit position holds something other than a digit (or `<` where allowed).
    #[error("check digit of {0} is not a digit")]
    BadCheckDigit(MrzField),
    /// A check digit does not match its field.
    #[error("check digit mismatch: {0}")]
    CheckDigit(MrzField),
    /// A date field is not a valid YYMMDD date.
    #[error("{0} is not a valid YYMMDD date")]
    BadDate(MrzField),
}

/// The result of verifying one check digit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckDigitResult {
    /// The protected field.
    pub field: MrzField,
    /// The check digit printed in the MRZ (`<` counts as 0).
    pub printed: char,
    /// The check digit computed from the field.
    pub computed: u8,
    /// Whether they agree.
    pub ok: bool,
}

/// The numeric value of an MRZ character (ICAO 9303-3 §4.9): digits 0–9, A–Z 10–35, `<` 0.
pub fn char_value(c: u8) -> Option<u32> {
    match c {
        b'0'..=b'9' => Some((c - b'0') as u32),
        b'A'..=b'Z' => Some((c - b'A') as u32 + 10),
        b'<' => Some(0),
        _ => None,
    }
}

/// The check digit of a field (ICAO 9303-3 §4.9): weights 7, 3, 1 repeating, sum modulo 10.
/// Characters outside the MRZ set count as 0 (they are rejected at parse time).
pub fn check_digit(field: &[u8]) -> u8 {
    const W: [u32; 3] = [7, 3, 1];
    let sum: u32 = field
        .iter()
        .enumerate()
        .map(|(i, c)| char_value(*c).unwrap_or(0) * W[i % 3])
        .sum();
    (sum % 10) as u8
}

/// A parsed machine-readable zone. Fields are kept as printed (fillers `<` inside the number
/// and optional data kept, trailing fillers removed); names have fillers turned into spaces.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct Mrz {
    #[zeroize(skip)]
    format: MrzFormat,
    lines: Vec<String>,
    document_code: String,
    issuing_state: String,
    document_number: String,
    document_number_check: u8,
    nationality: String,
    birth_date: String,
    birth_date_check: u8,
    sex: String,
    expiry_date: String,
    expiry_date_check: u8,
    primary_identifier: String,
    secondary_identifier: String,
    optional_data: String,
    optional_data_2: String,
    optional_data_check: Option<u8>,
    composite_check: Option<u8>,
    // Check results: (field, printed, computed) for every digit in the MRZ.
    #[zeroize(skip)]
    checks: Vec<CheckDigitResult>,
}

impl fmt::Debug for Mrz {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Mrz(<redacted>)")
    }
}

/// (number, check digit, the characters the check digit covers, remaining optional data).
type Spill = (Vec<u8>, u8, Vec<u8>, Vec<u8>);

fn s(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn trim_fillers(b: &[u8]) -> String {
    let mut end = b.len();
    while end > 0 && b[end - 1] == b'<' {
        end -= 1;
    }
    s(&b[..end])
}

fn digit(c: u8, field: MrzField, allow_filler: bool) -> Result<u8, MrzError> {
    match c {
        b'0'..=b'9' => Ok(c - b'0'),
        b'<' if allow_filler => Ok(b'<'),
        _ => Err(MrzError::BadCheckDigit(field)),
    }
}

fn valid_date(d: &[u8]) -> bool {
    if d.len() != 6 || !d.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let mm = (d[2] - b'0') * 10 + (d[3] - b'0');
    let dd = (d[4] - b'0') * 10 + (d[5] - b'0');
    (1..=12).contains(&mm) && (1..=31).contains(&dd)
}

/// Splits the name field at the first `<<` into primary and secondary identifiers
/// (ICAO 9303-3 §4.6); single fillers become spaces.
fn split_name(field: &[u8]) -> (String, String) {
    let text = trim_fillers(field);
    let (p, sec) = match text.find("<<") {
        Some(i) => (&text[..i], text[i + 2..].trim_start_matches('<')),
        None => (text.as_str(), ""),
    };
    let clean = |x: &str| x.replace('<', " ").trim().to_string();
    (clean(p), clean(sec))
}

impl Mrz {
    /// Parses MRZ lines. Accepts the lines separately, or one string holding the whole MRZ
    /// (with or without line breaks). Surrounding whitespace is ignored. The structure is
    /// validated; check digits are evaluated but not enforced — see [`Mrz::parse_strict`] and
    /// [`Mrz::check_digits`].
    pub fn parse<S: AsRef<str>>(input: &[S]) -> Result<Mrz, MrzError> {
        let mut lines: Vec<Vec<u8>> = Vec::new();
        for l in input {
            for part in l.as_ref().split(['\n', '\r']) {
                let t: Vec<u8> = part.trim().bytes().filter(|b| *b != b' ').collect();
                if !t.is_empty() {
                    lines.push(t);
                }
            }
        }
        // A single concatenated MRZ: split it by total length.
        if lines.len() == 1 {
            let one = lines.remove(0);
            let width = match one.len() {
                90 => 30,
                72 => 36,
                88 => 44,
                _ => one.len().max(1),
            };
            lines = one.chunks(width).map(<[u8]>::to_vec).collect();
        }
        let out = Self::parse_lines(&lines);
        for l in lines.iter_mut() {
            l.zeroize();
        }
        out
    }

    /// Parses the MRZ as stored in DG1 (data element 5F1F): the lines concatenated without
    /// separators (90, 72 or 88 bytes).
    pub fn from_dg1_bytes(b: &[u8]) -> Result<Mrz, MrzError> {
        let width = match b.len() {
            90 => 30,
            72 => 36,
            88 => 44,
            n => {
                return Err(MrzError::Shape {
                    lines: 1,
                    lengths: vec![n],
                })
            }
        };
        let lines: Vec<Vec<u8>> = b.chunks(width).map(<[u8]>::to_vec).collect();
        Self::parse_lines(&lines)
    }

    /// Parses and requires every check digit to match; the error names the first failing field.
    pub fn parse_strict<S: AsRef<str>>(input: &[S]) -> Result<Mrz, MrzError> {
        let m = Self::parse(input)?;
        m.validate()?;
        Ok(m)
    }

    /// Ok when every check digit matches; otherwise the first field whose digit does not.
    pub fn validate(&self) -> Result<(), MrzError> {
        match self.checks.iter().find(|c| !c.ok) {
            Some(c) => Err(MrzError::CheckDigit(c.field)),
            None => Ok(()),
        }
    }

    fn parse_lines(lines: &[Vec<u8>]) -> Result<Mrz, MrzError> {
        let lengths: Vec<usize> = lines.iter().map(Vec::len).collect();
        let shape_err = || MrzError::Shape {
            lines: lines.len(),
            lengths: lengths.clone(),
        };
        let first = lines.first().and_then(|l| l.first()).copied();
        let format = match (
            lines.len(),
            lengths.iter().all(|n| *n == lengths[0]),
            lengths.first(),
        ) {
            (3, true, Some(30)) => MrzFormat::Td1,
            (2, true, Some(36)) if first == Some(b'V') => MrzFormat::MrvB,
            (2, true, Some(36)) => MrzFormat::Td2,
            (2, true, Some(44)) if first == Some(b'V') => MrzFormat::MrvA,
            (2, true, Some(44)) => MrzFormat::Td3,
            _ => return Err(shape_err()),
        };
        for (li, l) in lines.iter().enumerate() {
            if let Some(ci) = l.iter().position(|c| char_value(*c).is_none()) {
                return Err(MrzError::InvalidCharacter {
                    line: li + 1,
                    column: ci + 1,
                });
            }
        }
        match format {
            MrzFormat::Td1 => Self::parse_td1(lines),
            f => Self::parse_two_line(f, &lines[0], &lines[1]),
        }
        .map(|mut m| {
            m.lines = lines.iter().map(|l| s(l)).collect();
            m
        })
    }

    fn empty(format: MrzFormat) -> Mrz {
        Mrz {
            format,
            lines: Vec::new(),
            document_code: String::new(),
            issuing_state: String::new(),
            document_number: String::new(),
            document_number_check: 0,
            nationality: String::new(),
            birth_date: String::new(),
            birth_date_check: 0,
            sex: String::new(),
            expiry_date: String::new(),
            expiry_date_check: 0,
            primary_identifier: String::new(),
            secondary_identifier: String::new(),
            optional_data: String::new(),
            optional_data_2: String::new(),
            optional_data_check: None,
            composite_check: None,
            checks: Vec::new(),
        }
    }

    fn add_check(&mut self, field: MrzField, data: &[u8], printed: u8) {
        let computed = check_digit(data);
        let p = if printed == b'<' { 0 } else { printed };
        self.checks.push(CheckDigitResult {
            field,
            printed: if printed == b'<' {
                '<'
            } else {
                (b'0' + printed) as char
            },
            computed,
            ok: p == computed,
        });
    }

    /// Reads a document number with its check digit, following the long-number rule of
    /// ICAO 9303-5 §4.2.4 / 9303-6: when the check digit position holds `<`, the number
    /// continues in the optional data up to the first filler, whose last character is the
    /// check digit. Returns (number, check digit, optional data remaining).
    fn number_with_spill(number: &[u8], check: u8, optional: &[u8]) -> Result<Spill, MrzError> {
        if check == b'<' {
            let end = optional
                .iter()
                .position(|c| *c == b'<')
                .unwrap_or(optional.len());
            if end == 0 {
                return Err(MrzError::BadCheckDigit(MrzField::DocumentNumber));
            }
            let mut full = number.to_vec();
            full.extend_from_slice(&optional[..end - 1]);
            let cd = digit(optional[end - 1], MrzField::DocumentNumber, false)?;
            let rest = optional[end..].to_vec();
            Ok((full.clone(), cd, full, rest))
        } else {
            let cd = digit(check, MrzField::DocumentNumber, false)?;
            Ok((number.to_vec(), cd, number.to_vec(), optional.to_vec()))
        }
    }

    fn parse_td1(l: &[Vec<u8>]) -> Result<Mrz, MrzError> {
        let (l1, l2, l3) = (&l[0], &l[1], &l[2]);
        let mut m = Mrz::empty(MrzFormat::Td1);
        m.document_code = trim_fillers(&l1[0..2]);
        m.issuing_state = trim_fillers(&l1[2..5]);
        let (number, cd, checked, rest) = Self::number_with_spill(&l1[5..14], l1[14], &l1[15..30])?;
        m.document_number = trim_fillers(&number);
        m.document_number_check = cd;
        m.optional_data = trim_fillers(&rest);
        m.birth_date = s(&l2[0..6]);
        m.birth_date_check = digit(l2[6], MrzField::BirthDate, false)?;
        m.sex = s(&l2[7..8]);
        m.expiry_date = s(&l2[8..14]);
        m.expiry_date_check = digit(l2[14], MrzField::ExpiryDate, false)?;
        m.nationality = trim_fillers(&l2[15..18]);
        m.optional_data_2 = trim_fillers(&l2[18..29]);
        let composite = digit(l2[29], MrzField::Composite, false)?;
        m.composite_check = Some(composite);
        let (p, sec) = split_name(l3);
        m.primary_identifier = p;
        m.secondary_identifier = sec;
        m.add_check(MrzField::DocumentNumber, &checked, cd);
        m.add_check(MrzField::BirthDate, &l2[0..6], m.birth_date_check);
        m.add_check(MrzField::ExpiryDate, &l2[8..14], m.expiry_date_check);
        // ICAO 9303-5 §4.2.2.1: composite over line 1 positions 6–30, line 2 positions 1–7,
        // 9–15 and 19–29.
        let mut c = Vec::with_capacity(60);
        c.extend_from_slice(&l1[5..30]);
        c.extend_from_slice(&l2[0..7]);
        c.extend_from_slice(&l2[8..15]);
        c.extend_from_slice(&l2[18..29]);
        m.add_check(MrzField::Composite, &c, composite);
        c.zeroize();
        m.check_dates()?;
        Ok(m)
    }

    fn parse_two_line(format: MrzFormat, l1: &[u8], l2: &[u8]) -> Result<Mrz, MrzError> {
        let mut m = Mrz::empty(format);
        let width = l1.len();
        m.document_code = trim_fillers(&l1[0..2]);
        m.issuing_state = trim_fillers(&l1[2..5]);
        let (p, sec) = split_name(&l1[5..]);
        m.primary_identifier = p;
        m.secondary_identifier = sec;
        m.nationality = trim_fillers(&l2[10..13]);
        m.birth_date = s(&l2[13..19]);
        m.birth_date_check = digit(l2[19], MrzField::BirthDate, false)?;
        m.sex = s(&l2[20..21]);
        m.expiry_date = s(&l2[21..27]);
        m.expiry_date_check = digit(l2[27], MrzField::ExpiryDate, false)?;
        let (opt_end, has_composite) = match format {
            MrzFormat::Td3 => (42, true),
            MrzFormat::Td2 => (35, true),
            _ => (width, false),
        };
        // Long document numbers spill into the optional data (TD2, 9303-6 §4.2.4); TD3 and
        // visas have no such rule, so a filler check digit there is simply a bad digit.
        let spill = format == MrzFormat::Td2;
        let (number, cd, checked, rest) = if spill {
            Self::number_with_spill(&l2[0..9], l2[9], &l2[28..opt_end])?
        } else {
            let cd = digit(l2[9], MrzField::DocumentNumber, false)?;
            (
                l2[0..9].to_vec(),
                cd,
                l2[0..9].to_vec(),
                l2[28..opt_end].to_vec(),
            )
        };
        m.document_number = trim_fillers(&number);
        m.document_number_check = cd;
        m.optional_data = trim_fillers(&rest);
        m.add_check(MrzField::DocumentNumber, &checked, cd);
        m.add_check(MrzField::BirthDate, &l2[13..19], m.birth_date_check);
        m.add_check(MrzField::ExpiryDate, &l2[21..27], m.expiry_date_check);
        if format == MrzFormat::Td3 {
            // ICAO 9303-4 §4.2.2.2: the personal number check digit may be '<' when the field
            // is all fillers.
            let od = digit(l2[42], MrzField::OptionalData, true)?;
            m.optional_data_check = Some(if od == b'<' { 0 } else { od });
            m.add_check(MrzField::OptionalData, &l2[28..42], od);
        }
        if has_composite {
            let pos = width - 1;
            let composite = digit(l2[pos], MrzField::Composite, false)?;
            m.composite_check = Some(composite);
            // ICAO 9303-4 §4.2.2.2 / 9303-6: composite over positions 1–10, 14–20 and 22–43
            // (TD3) or 22–35 (TD2) of the lower line.
            let mut c = Vec::with_capacity(40);
            c.extend_from_slice(&l2[0..10]);
            c.extend_from_slice(&l2[13..20]);
            c.extend_from_slice(&l2[21..pos]);
            m.add_check(MrzField::Composite, &c, composite);
            c.zeroize();
        }
        m.check_dates()?;
        Ok(m)
    }

    fn check_dates(&self) -> Result<(), MrzError> {
        if !valid_date(self.birth_date.as_bytes()) && !self.birth_date.contains('<') {
            return Err(MrzError::BadDate(MrzField::BirthDate));
        }
        if !valid_date(self.expiry_date.as_bytes()) && !self.expiry_date.contains('<') {
            return Err(MrzError::BadDate(MrzField::ExpiryDate));
        }
        Ok(())
    }

    /// The layout.
    pub fn format(&self) -> MrzFormat {
        self.format
    }
    /// The MRZ lines as parsed.
    pub fn lines(&self) -> &[String] {
        &self.lines
    }
    /// The document code (`P`, `I`, `AC`, `V`, ...), trailing filler removed.
    pub fn document_code(&self) -> &str {
        &self.document_code
    }
    /// The issuing state or organisation (3 letters, e.g. `UTO`, `D`).
    pub fn issuing_state(&self) -> &str {
        &self.issuing_state
    }
    /// The full document number (long numbers joined from the optional data).
    pub fn document_number(&self) -> &str {
        &self.document_number
    }
    /// The nationality code.
    pub fn nationality(&self) -> &str {
        &self.nationality
    }
    /// Date of birth as printed, YYMMDD (may contain `<` for unknown parts).
    pub fn birth_date(&self) -> &str {
        &self.birth_date
    }
    /// Sex: `M`, `F` or `<` (unspecified; 9303 also allows `X`).
    pub fn sex(&self) -> &str {
        &self.sex
    }
    /// Date of expiry, YYMMDD.
    pub fn expiry_date(&self) -> &str {
        &self.expiry_date
    }
    /// Primary identifier (surname), fillers as spaces.
    pub fn primary_identifier(&self) -> &str {
        &self.primary_identifier
    }
    /// Secondary identifier (given names), fillers as spaces.
    pub fn secondary_identifier(&self) -> &str {
        &self.secondary_identifier
    }
    /// Optional data (TD3: personal number; TD1: line 1 optional data after any spilled
    /// document number), trailing fillers removed.
    pub fn optional_data(&self) -> &str {
        &self.optional_data
    }
    /// TD1 only: the optional data of line 2.
    pub fn optional_data_2(&self) -> &str {
        &self.optional_data_2
    }
    /// Every check digit with its verdict, in MRZ order.
    pub fn check_digits(&self) -> &[CheckDigitResult] {
        &self.checks
    }

    /// The key for BAC and for PACE with the MRZ password.
    pub fn key(&self) -> MrzKey {
        MrzKey {
            document_number: Zeroizing::new(self.document_number.clone()),
            birth_date: Zeroizing::new(self.birth_date.clone()),
            expiry_date: Zeroizing::new(self.expiry_date.clone()),
        }
    }

    /// The DG1 encoding of the MRZ: the lines concatenated.
    pub fn to_dg1_bytes(&self) -> Zeroizing<Vec<u8>> {
        Zeroizing::new(self.lines.concat().into_bytes())
    }
}

/// The three MRZ fields that key BAC and PACE (ICAO 9303-11 §9.7.2): document number, date of
/// birth, date of expiry. Can be built from a full [`Mrz`] or from the three fields alone (as
/// typed by an officer). Wiped on drop; `Debug` is redacted.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct MrzKey {
    document_number: Zeroizing<String>,
    birth_date: Zeroizing<String>,
    expiry_date: Zeroizing<String>,
}

impl fmt::Debug for MrzKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MrzKey(<redacted>)")
    }
}

impl MrzKey {
    /// Builds a key from a document number (fillers allowed, any length ≥ 1) and YYMMDD dates.
    pub fn new(
        document_number: &str,
        birth_date: &str,
        expiry_date: &str,
    ) -> Result<Self, MrzError> {
        let dn = document_number.trim().to_ascii_uppercase();
        if dn.is_empty() || dn.bytes().any(|c| char_value(c).is_none()) {
            return Err(MrzError::InvalidCharacter { line: 1, column: 1 });
        }
        if !valid_date(birth_date.as_bytes()) {
            return Err(MrzError::BadDate(MrzField::BirthDate));
        }
        if !valid_date(expiry_date.as_bytes()) {
            return Err(MrzError::BadDate(MrzField::ExpiryDate));
        }
        Ok(MrzKey {
            document_number: Zeroizing::new(dn),
            birth_date: Zeroizing::new(birth_date.to_string()),
            expiry_date: Zeroizing::new(expiry_date.to_string()),
        })
    }

    /// The document number of this key.
    pub fn document_number(&self) -> &str {
        &self.document_number
    }

    /// The MRZ information (ICAO 9303-11 §9.7.2): document number (padded with `<` to at least
    /// 9 characters, long numbers in full) + check digit + date of birth + check digit + date
    /// of expiry + check digit.
    pub fn information(&self) -> Zeroizing<Vec<u8>> {
        let mut v = Zeroizing::new(Vec::with_capacity(32));
        let mut dn = self.document_number.as_bytes().to_vec();
        while dn.len() < 9 {
            dn.push(b'<');
        }
        let cd = check_digit(&dn);
        v.extend_from_slice(&dn);
        v.push(b'0' + cd);
        v.extend_from_slice(self.birth_date.as_bytes());
        v.push(b'0' + check_digit(self.birth_date.as_bytes()));
        v.extend_from_slice(self.expiry_date.as_bytes());
        v.push(b'0' + check_digit(self.expiry_date.as_bytes()));
        dn.zeroize();
        v
    }
}

#[cfg(test)]
mod tests {
    use super::specimen::{TD1, TD3};
    use super::*;

    // ICAO 9303-6 Appendix A: the TD2 specimen card.
    const TD2: [&str; 2] = [
        "I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<",
        "D231458907UTO7408122F1204159<<<<<<<6",
    ];

    // ICAO 9303-7: the MRV-A specimen visa.
    const MRVA: [&str; 2] = [
        "V<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
        "L8988901C4XXX4009078F96121096ZE184226B<<<<<<",
    ];

    // ICAO 9303-7: the MRV-B specimen visa.
    const MRVB: [&str; 2] = [
        "V<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<",
        "L8988901C4XXX4009078F9612109<<<<<<<<",
    ];

    /// The fields of `m`, joined by `|`: document code, issuing state, number, nationality,
    /// birth, sex, expiry, primary and secondary identifier, optional data.
    fn fields(m: &Mrz) -> String {
        let document = [m.document_code(), m.issuing_state(), m.document_number()];
        let holder = [m.nationality(), m.birth_date(), m.sex(), m.expiry_date()];
        let rest = [
            m.primary_identifier(),
            m.secondary_identifier(),
            m.optional_data(),
        ];
        [&document[..], &holder, &rest].concat().join("|")
    }

    #[test]
    fn td3_specimen() {
        let m = Mrz::parse_strict(&TD3).unwrap();
        assert_eq!(m.format(), MrzFormat::Td3);
        let expected = "P|UTO|L898902C3|UTO|740812|F|120415|ERIKSSON|ANNA MARIA|ZE184226B";
        assert_eq!(fields(&m), expected);
        assert_eq!(m.check_digits().len(), 5);
        assert!(m.check_digits().iter().all(|c| c.ok));
        assert_eq!(format!("{m:?}"), "Mrz(<redacted>)");
        assert_eq!(&*m.key().information(), b"L898902C3674081221204159");
    }

    #[test]
    fn td3_concatenated_and_dg1() {
        let joined = TD3.concat();
        let m = Mrz::parse_strict(&[joined.as_str()]).unwrap();
        assert_eq!(m.document_number(), "L898902C3");
        let d = Mrz::from_dg1_bytes(joined.as_bytes()).unwrap();
        assert_eq!(d, m);
        assert_eq!(&*d.to_dg1_bytes(), joined.as_bytes());
    }

    #[test]
    fn td1_and_td2_specimens() {
        let card = "I|UTO|D23145890|UTO|740812|F|120415|ERIKSSON|ANNA MARIA|";
        for (lines, format) in [(&TD1[..], MrzFormat::Td1), (&TD2[..], MrzFormat::Td2)] {
            let m = Mrz::parse_strict(lines).unwrap();
            assert_eq!(m.format(), format);
            assert_eq!(fields(&m), card, "{format:?}");
        }
    }

    #[test]
    fn visas() {
        let a = Mrz::parse_strict(&MRVA).unwrap();
        assert_eq!(a.format(), MrzFormat::MrvA);
        assert_eq!(a.document_number(), "L8988901C");
        assert_eq!(a.nationality(), "XXX");
        assert_eq!(a.optional_data(), "6ZE184226B");
        assert_eq!(a.check_digits().len(), 3);
        let b = Mrz::parse_strict(&MRVB).unwrap();
        assert_eq!(b.format(), MrzFormat::MrvB);
        assert_eq!(b.birth_date(), "400907");
    }

    #[test]
    fn td1_long_document_number() {
        // ICAO 9303-5 §4.2.4 example: number D23145890734, check digit 9, in the optional data.
        let l1 = "I<UTOD23145890<7349<<<<<<<<<<<";
        let mut l2 = String::from("7408122F1204159UTO<<<<<<<<<<<");
        let mut c = Vec::new();
        c.extend_from_slice(&l1.as_bytes()[5..30]);
        c.extend_from_slice(&l2.as_bytes()[0..7]);
        c.extend_from_slice(&l2.as_bytes()[8..15]);
        c.extend_from_slice(&l2.as_bytes()[18..29]);
        l2.push((b'0' + check_digit(&c)) as char);
        let m = Mrz::parse_strict(&[l1, l2.as_str(), TD1[2]]).unwrap();
        assert_eq!(m.document_number(), "D23145890734");
        assert_eq!(m.optional_data(), "");
        assert_eq!(&m.key().information()[..13], b"D231458907349");
    }

    #[test]
    fn appendix_d_mrz_information() {
        let k = MrzKey::new("L898902C", "690806", "940623").unwrap();
        assert_eq!(&*k.information(), b"L898902C<369080619406236");
        assert_eq!(format!("{k:?}"), "MrzKey(<redacted>)");
    }

    #[test]
    fn wrong_check_digits_name_the_field() {
        let mut l2 = TD3[1].to_string();
        l2.replace_range(9..10, "7");
        let e = Mrz::parse_strict(&[TD3[0], l2.as_str()]).unwrap_err();
        assert_eq!(e, MrzError::CheckDigit(MrzField::DocumentNumber));
        let m = Mrz::parse(&[TD3[0], l2.as_str()]).unwrap();
        let bad: Vec<_> = m
            .check_digits()
            .iter()
            .filter(|c| !c.ok)
            .map(|c| c.field)
            .collect();
        assert_eq!(bad, [MrzField::DocumentNumber, MrzField::Composite]);
        let mut l2 = TD3[1].to_string();
        l2.replace_range(19..20, "3");
        assert_eq!(
            Mrz::parse_strict(&[TD3[0], l2.as_str()]).unwrap_err(),
            MrzError::CheckDigit(MrzField::BirthDate)
        );
        assert!(!e.to_string().contains("L898"));
    }

    #[test]
    fn malformed() {
        assert!(matches!(
            Mrz::parse(&["P<UTO"]),
            Err(MrzError::Shape { .. })
        ));
        assert!(matches!(
            Mrz::parse(&[TD3[0], &TD3[1].to_lowercase()]),
            Err(MrzError::InvalidCharacter { line: 2, .. })
        ));
        let empty: [&str; 0] = [];
        assert!(Mrz::parse(&empty).is_err());
        assert!(Mrz::from_dg1_bytes(&[0xFF; 88]).is_err());
        assert!(Mrz::from_dg1_bytes(&[b'<'; 90]).is_err());
    }
}
